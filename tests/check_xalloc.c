/* xring_grow: a ring buffer's items move to a larger array in ring order,
 * whether they wrap past the old array's end or not. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/xalloc.h"

/* A ring of cap slots holding len values, the first at slot head: value
 * k (0-based) is 100 + k. Grown to 2 * cap, slot k holds 100 + k. */
static void grow_and_check(size_t cap, size_t head, size_t len)
{
    uint32_t *ring = xmalloc(cap * sizeof *ring);
    for (size_t k = 0; k < cap; k++)
        ring[k] = 7; /* slots outside the ring: never copied in place of an item */
    for (size_t k = 0; k < len; k++)
        ring[(head + k) % cap] = (uint32_t)(100 + k);
    ring = xring_grow(ring, sizeof *ring, cap, head, len, 2 * cap);
    for (size_t k = 0; k < len; k++)
        ck_assert_uint_eq(ring[k], 100 + k);
    free(ring);
}

START_TEST(items_keep_their_order_when_the_ring_wraps)
{
    grow_and_check(8, 5, 8); /* full, wrapping after 3 */
    grow_and_check(8, 6, 4); /* not full, wrapping after 2 */
}
END_TEST

START_TEST(items_keep_their_order_when_it_does_not_wrap)
{
    grow_and_check(8, 0, 8);
    grow_and_check(8, 2, 3);
    grow_and_check(8, 3, 0); /* empty */
}
END_TEST

Suite *xalloc_suite(void)
{
    Suite *s = suite_create("xalloc");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, items_keep_their_order_when_the_ring_wraps);
    tcase_add_test(tc, items_keep_their_order_when_it_does_not_wrap);
    suite_add_tcase(s, tc);
    return s;
}
