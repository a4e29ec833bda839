/* Event queue: ordering, ties, cancellation and memory reuse. */
#include <check.h>
#include <stdlib.h>

#include "sim/evq.h"
#include "sim/rng.h"

static struct evq *q;

static void setup(void)
{
    q = evq_new();
}

static void teardown(void)
{
    evq_free(q);
}

static void noop(struct sim *s, void *a, void *b)
{
    (void)s;
    (void)a;
    (void)b;
}

START_TEST(pops_in_time_order)
{
    int64_t times[] = {50, 10, 40, 10, 30, 20, 0, 60};
    for (size_t i = 0; i < 8; i++)
        evq_push(q, times[i], noop, NULL, NULL);
    struct evq_event ev;
    int64_t last = -1;
    size_t n = 0;
    while (evq_pop(q, &ev)) {
        ck_assert_int_ge(ev.at_ns, last);
        ck_assert_int_eq(evq_now(q), ev.at_ns);
        last = ev.at_ns;
        n++;
    }
    ck_assert_uint_eq(n, 8);
}
END_TEST

START_TEST(equal_times_pop_in_push_order)
{
    int v[100];
    for (int i = 0; i < 100; i++)
        evq_push(q, 7, noop, &v[i], NULL);
    struct evq_event ev;
    for (int i = 0; i < 100; i++) {
        ck_assert(evq_pop(q, &ev));
        ck_assert_ptr_eq(ev.a, &v[i]);
    }
}
END_TEST

/* The run loop's pop: nothing later than the limit leaves the queue, and
 * the clock stays at the last event popped. */
START_TEST(pop_until_stops_at_the_limit)
{
    int a, b, c;
    evq_push(q, 10, noop, &a, NULL);
    evq_push(q, 20, noop, &b, NULL);
    evq_push(q, 21, noop, &c, NULL);
    struct evq_event ev;
    ck_assert(evq_pop_until(q, 20, &ev));
    ck_assert_ptr_eq(ev.a, &a);
    ck_assert(evq_pop_until(q, 20, &ev)); /* due at the limit itself */
    ck_assert_ptr_eq(ev.a, &b);
    ck_assert(!evq_pop_until(q, 20, &ev));
    ck_assert_int_eq(evq_now(q), 20);
    ck_assert_uint_eq(evq_size(q), 1);
    ck_assert(evq_pop_until(q, INT64_MAX, &ev));
    ck_assert_ptr_eq(ev.a, &c);
    ck_assert(!evq_pop_until(q, INT64_MAX, &ev));
}
END_TEST

START_TEST(cancelled_event_never_fires)
{
    int a, b, c;
    evq_push(q, 10, noop, &a, NULL);
    uint64_t hb = evq_push(q, 20, noop, &b, NULL);
    evq_push(q, 30, noop, &c, NULL);
    ck_assert(evq_cancel(q, hb));
    ck_assert_uint_eq(evq_size(q), 2);
    struct evq_event ev;
    ck_assert(evq_pop(q, &ev));
    ck_assert_ptr_eq(ev.a, &a);
    ck_assert(evq_pop(q, &ev));
    ck_assert_ptr_eq(ev.a, &c);
    ck_assert(!evq_pop(q, &ev));
}
END_TEST

START_TEST(cancel_twice_or_after_firing_is_refused)
{
    uint64_t h = evq_push(q, 5, noop, NULL, NULL);
    uint64_t h2 = evq_push(q, 6, noop, NULL, NULL);
    ck_assert(evq_cancel(q, h));
    ck_assert(!evq_cancel(q, h));
    struct evq_event ev;
    ck_assert(evq_pop(q, &ev));
    ck_assert(!evq_cancel(q, h2));
    ck_assert(!evq_cancel(q, EVQ_NONE));
    /* A reused record gets a new generation: the old handle stays dead. */
    uint64_t h3 = evq_push(q, 9, noop, NULL, NULL);
    ck_assert(!evq_cancel(q, h));
    ck_assert(evq_cancel(q, h3));
}
END_TEST

/* Against a reference: random pushes, pops and cancels, checked against a
 * plain array sorted by (time, seq). */
START_TEST(random_operations_match_a_sorted_reference)
{
    enum { N = 4000 };
    struct ref {
        int64_t at;
        uint64_t seq, h;
        int live;
    } *ref = calloc(N, sizeof *ref);
    struct rng r;
    rng_seed(&r, 99);
    size_t nref = 0;
    uint64_t seq = 0;
    int64_t now = 0;
    for (int step = 0; step < 20000; step++) {
        uint64_t op = rng_below(&r, 10);
        if (op < 5 && nref < N) {
            int64_t at = now + (int64_t)rng_below(&r, 50);
            ref[nref] = (struct ref){at, seq++, 0, 1};
            ref[nref].h = evq_push(q, at, noop, &ref[nref], NULL);
            nref++;
        } else if (op < 7 && nref > 0) {
            struct ref *x = &ref[rng_below(&r, nref)];
            ck_assert(evq_cancel(q, x->h) == (x->live != 0));
            x->live = 0;
        } else {
            struct ref *best = NULL;
            for (size_t i = 0; i < nref; i++)
                if (ref[i].live && (!best || ref[i].at < best->at ||
                                    (ref[i].at == best->at && ref[i].seq < best->seq)))
                    best = &ref[i];
            struct evq_event ev;
            ck_assert(evq_pop(q, &ev) == (best != NULL));
            if (best) {
                ck_assert_ptr_eq(ev.a, best);
                best->live = 0;
                now = ev.at_ns;
            }
        }
    }
    free(ref);
}
END_TEST

/* Cancelling timeouts returns their records at once: a million cycles of
 * push-then-cancel never hold more than the live events. */
START_TEST(cancel_frees_records_for_reuse)
{
    evq_push(q, 1000, noop, NULL, NULL);
    for (int i = 0; i < 1000000; i++) {
        uint64_t h = evq_push(q, 500 + i, noop, NULL, NULL);
        ck_assert(evq_cancel(q, h));
    }
    ck_assert_uint_le(evq_capacity(q), 2);
    ck_assert_uint_eq(evq_size(q), 1);
}
END_TEST

START_TEST(empty_queue_reports_nothing)
{
    struct evq_event ev;
    ck_assert(evq_is_empty(q));
    ck_assert(!evq_pop(q, &ev));
    ck_assert_int_eq(evq_peek_time(q), INT64_MAX);
}
END_TEST

Suite *evq_suite(void)
{
    Suite *s = suite_create("evq");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pops_in_time_order);
    tcase_add_test(tc, equal_times_pop_in_push_order);
    tcase_add_test(tc, pop_until_stops_at_the_limit);
    tcase_add_test(tc, cancelled_event_never_fires);
    tcase_add_test(tc, cancel_twice_or_after_firing_is_refused);
    tcase_add_test(tc, random_operations_match_a_sorted_reference);
    tcase_add_test(tc, cancel_frees_records_for_reuse);
    tcase_add_test(tc, empty_queue_reports_nothing);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
