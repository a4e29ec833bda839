/* The HPA decision rule: proportional scaling, tolerance, bounds, and the
 * scale-down stabilisation window. Times in seconds for readability. */
#include <check.h>
#include <string.h>

#include "models/scale/autoscale.h"

#define S 1000000000LL

static struct hpa h;

static void setup_hpa(const char *text, uint32_t initial)
{
    struct diag *d = diag_new();
    ck_assert_int_eq(hpa_setup(&h, text, (struct loc){"t", 1, 1}, d), 0);
    hpa_start(&h, 0, initial);
    diag_free(d);
}

START_TEST(scales_in_proportion_to_the_metric)
{
    setup_hpa("hpa(target=50%, min=1, max=100, window=0s)", 4);
    /* 4 replicas at 100% against a 50% target: ceil(4 * 2) = 8 */
    ck_assert_uint_eq(hpa_decide(&h, 15 * S, 4, 1.0), 8);
    /* 8 at 30%: ceil(8 * 0.6) = 5 (no window, so at once) */
    ck_assert_uint_eq(hpa_decide(&h, 30 * S, 8, 0.30), 5);
    /* 3 at 51%: ceil(3 * 1.02) would be 4, but 2% is within the 10% tolerance */
    ck_assert_uint_eq(hpa_decide(&h, 45 * S, 3, 0.51), 3);
}
END_TEST

START_TEST(stays_within_min_and_max)
{
    setup_hpa("hpa(target=60%, min=2, max=5, window=0s)", 4);
    ck_assert_uint_eq(hpa_decide(&h, 15 * S, 4, 3.0), 5);
    ck_assert_uint_eq(hpa_decide(&h, 30 * S, 4, 0.0), 2);
}
END_TEST

/* Kubernetes: scale down to the highest recommendation in the window. */
START_TEST(scale_down_waits_for_the_stabilisation_window)
{
    setup_hpa("hpa(target=50%, min=1, max=100, period=15s, window=60s)", 4);
    ck_assert_uint_eq(hpa_decide(&h, 15 * S, 4, 1.0), 8);  /* up at once */
    ck_assert_uint_eq(hpa_decide(&h, 30 * S, 8, 0.25), 8); /* wants 4: the 8 is in the window */
    ck_assert_uint_eq(hpa_decide(&h, 45 * S, 8, 0.25), 8);
    ck_assert_uint_eq(hpa_decide(&h, 60 * S, 8, 0.25), 8);
    ck_assert_uint_eq(hpa_decide(&h, 75 * S, 8, 0.25), 8);  /* 15 s + 60 s: still inside */
    ck_assert_uint_eq(hpa_decide(&h, 90 * S, 8, 0.25), 4);  /* the 8 has left the window */
}
END_TEST

START_TEST(scale_up_is_not_held_back_by_the_window)
{
    setup_hpa("hpa(target=50%, min=1, max=100, period=15s, window=300s)", 4);
    /* would go to 2, but the starting count is in the window */
    ck_assert_uint_eq(hpa_decide(&h, 15 * S, 4, 0.25), 4);
    ck_assert_uint_eq(hpa_decide(&h, 30 * S, 4, 1.0), 8);
}
END_TEST

static const char *const bad[] = {
    "hpa(target=0%)", "hpa(min=5, max=2)", "hpa(metric=cpu_seconds)", "hpa(period=0s)",
    "hpa(period=1s, window=10000s)", "kpa(target=50%)", "hpa(trget=50%)",
};

START_TEST(bad_settings_are_reported)
{
    struct diag *d = diag_new();
    ck_assert_int_eq(hpa_setup(&h, bad[_i], (struct loc){"t", 1, 1}, d), -1);
    ck_assert_uint_ge(diag_count(d), 1);
    diag_free(d);
}
END_TEST

Suite *autoscale_suite(void)
{
    Suite *s = suite_create("autoscale");
    TCase *tc = tcase_create("hpa");
    tcase_add_test(tc, scales_in_proportion_to_the_metric);
    tcase_add_test(tc, stays_within_min_and_max);
    tcase_add_test(tc, scale_down_waits_for_the_stabilisation_window);
    tcase_add_test(tc, scale_up_is_not_held_back_by_the_window);
    tcase_add_loop_test(tc, bad_settings_are_reported, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, tc);
    return s;
}
