/* Resilience policies as pure state machines (issue 6): each backoff's
 * sequence of delays at a fixed seed, retry-budget accounting, every
 * circuit-breaker transition (half-open included), bulkhead admission and
 * adaptive limits, and the shedding policies (CoDel's drop schedule). */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/resilience/backoff.h"
#include "models/resilience/breaker.h"
#include "models/resilience/bulkhead.h"
#include "models/resilience/shed.h"

#define MS 1000000LL
#define S 1000000000LL

static const struct loc here = {"t", 1, 1};

static void setup_backoff(struct backoff *b, const char *text)
{
    struct diag *d = diag_new();
    ck_assert_msg(backoff_setup(b, text, here, d) == 0, "%s",
                  diag_count(d) ? diag_message(d, 0) : "");
    diag_free(d);
}

START_TEST(exponential_without_jitter_doubles_from_2_base_up_to_the_cap)
{
    struct backoff b;
    struct rng r;
    rng_seed(&r, 1);
    setup_backoff(&b, "exponential(base=5ms, cap=2s, jitter=none)");
    const int64_t want[] = {10 * MS, 20 * MS, 40 * MS, 80 * MS, 160 * MS,
                            320 * MS, 640 * MS, 1280 * MS, 2 * S, 2 * S};
    for (uint32_t n = 1; n <= 10; n++)
        ck_assert_int_eq(backoff_delay(&b, n, 0, &r), want[n - 1]);
}
END_TEST

/* The jittered delays, drawn from a copy of the same stream. */
START_TEST(full_and_equal_jitter_follow_the_aws_formulas)
{
    struct backoff full, equal;
    struct rng r, copy;
    rng_seed(&r, 42);
    copy = r;
    setup_backoff(&full, "exponential(base=5ms, cap=2s, jitter=full)");
    setup_backoff(&equal, "exponential(base=5ms, cap=2s, jitter=equal)");
    for (uint32_t n = 1; n <= 12; n++) {
        double t = fmin(2e9, 5e6 * pow(2, n));
        double u = rng_uniform(&copy);
        ck_assert_int_eq(backoff_delay(&full, n, 0, &r), (int64_t)(u * t + 0.5));
        int64_t e = backoff_delay(&equal, n, 0, &r);
        double v = rng_uniform(&copy);
        int64_t ti = (int64_t)t;
        ck_assert_int_eq(e, ti / 2 + (int64_t)(v * (double)(ti - ti / 2) + 0.5));
    }
}
END_TEST

START_TEST(decorrelated_jitter_stays_between_base_and_three_times_the_last)
{
    struct backoff b;
    struct rng r, copy;
    rng_seed(&r, 7);
    copy = r;
    setup_backoff(&b, "exponential(base=5ms, cap=300ms, jitter=decorrelated)");
    int64_t prev = 0;
    for (uint32_t n = 1; n <= 40; n++) {
        int64_t x = backoff_delay(&b, n, prev, &r);
        double hi = 3.0 * (double)(prev ? prev : 5 * MS);
        double want = fmin(300e6, floor(5e6 + rng_uniform(&copy) * (hi - 5e6) + 0.5));
        ck_assert_int_eq(x, (int64_t)want);
        ck_assert_int_ge(x, 5 * MS);
        ck_assert_int_le(x, 300 * MS);
        prev = x;
    }
}
END_TEST

START_TEST(constant_and_none_backoffs)
{
    struct backoff c, none;
    struct rng r;
    rng_seed(&r, 3);
    setup_backoff(&c, "constant(delay=50ms)");
    setup_backoff(&none, "none");
    for (uint32_t n = 1; n < 5; n++) {
        ck_assert_int_eq(backoff_delay(&c, n, 0, &r), 50 * MS);
        ck_assert_int_eq(backoff_delay(&none, n, 0, &r), 0);
    }
}
END_TEST

START_TEST(bad_backoff_specs_are_reported)
{
    struct backoff b;
    struct diag *d = diag_new();
    ck_assert_int_eq(backoff_setup(&b, "exponentail(base=5ms)", here, d), -1);
    ck_assert_ptr_nonnull(strstr(diag_message(d, 0), "did you mean 'exponential'"));
    ck_assert_int_eq(backoff_setup(&b, "constant(jitter=decorrelated)", here, d), -1);
    ck_assert_int_eq(backoff_setup(&b, "exponential(base=5ms, cap=1ms)", here, d), -1);
    diag_free(d);
}
END_TEST

/* 10% of 100 requests with a bucket of 2: 2 + 10 retries, then none. */
START_TEST(retry_budget_allows_ratio_times_requests_plus_burst)
{
    struct budget b;
    budget_init(&b, 0.1, 2);
    int allowed = 0;
    for (int i = 0; i < 100; i++)
        budget_deposit(&b);
    while (budget_withdraw(&b))
        allowed++;
    /* the bucket holds at most burst + ratio = 2.1 tokens */
    ck_assert_int_eq(allowed, 2);
    budget_init(&b, 0.1, 2);
    allowed = 0;
    for (int i = 0; i < 100; i++) {
        budget_deposit(&b);
        allowed += budget_withdraw(&b);
    }
    ck_assert_int_eq(allowed, 2 + 10);
    ck_assert_uint_eq(b.denied, 100 - 12);
}
END_TEST

/* ---- breaker ----------------------------------------------------------- */

static struct breaker br;

static void setup_breaker(const char *text)
{
    struct diag *d = diag_new();
    ck_assert_msg(breaker_setup(&br, text, here, d) == 0, "%s",
                  diag_count(d) ? diag_message(d, 0) : "");
    diag_free(d);
}

static void teardown_breaker(void)
{
    breaker_fini(&br);
}

/* Admits a call at t and records its outcome at once. */
static bool call(int64_t t, bool failed)
{
    uint32_t ticket;
    if (!breaker_allow(&br, t, &ticket))
        return false;
    breaker_record(&br, t, ticket, failed, 1 * MS);
    return true;
}

START_TEST(consecutive_opens_after_n_failures_in_a_row)
{
    setup_breaker("consecutive(failures=3, open=1s)");
    ck_assert(call(0, true));
    ck_assert(call(1, true));
    ck_assert(call(2, false)); /* a success resets the run */
    ck_assert(call(3, true));
    ck_assert(call(4, true));
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    ck_assert(call(5, true));
    ck_assert_int_eq(br.state, BREAKER_OPEN);
    ck_assert_uint_eq(br.opens, 1);
    ck_assert(!call(6, false)); /* open: fails fast */
    ck_assert(!call(5 + S - 1, false));
    ck_assert_int_eq(br.state, BREAKER_OPEN);
}
END_TEST

START_TEST(half_open_admits_only_the_probes_and_closes_on_success)
{
    setup_breaker("consecutive(failures=1, open=1s, probes=2)");
    ck_assert(call(0, true));
    uint32_t t1, t2, t3;
    breaker_poll(&br, S);
    ck_assert_int_eq(br.state, BREAKER_HALF_OPEN);
    ck_assert(breaker_allow(&br, S, &t1));
    ck_assert(breaker_allow(&br, S, &t2));
    ck_assert(!breaker_allow(&br, S, &t3)); /* two probes at once at most */
    breaker_record(&br, S + 1, t1, false, MS);
    ck_assert_int_eq(br.state, BREAKER_HALF_OPEN); /* waits for both */
    breaker_record(&br, S + 2, t2, false, MS);
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    ck_assert_uint_eq(br.opens, 1);
}
END_TEST

/* Trip, a failed probe (a re-open), a failed probe again, then a passing
 * probe closes it: one cycle, two re-opens, three openings in all; the
 * rate policies count the same way when their probes are judged. */
START_TEST(cycles_and_reopens_are_counted_apart)
{
    setup_breaker("consecutive(failures=1, open=1s)");
    ck_assert(call(0, true));
    ck_assert(call(S, true));
    ck_assert(call(2 * S, true));
    ck_assert(call(3 * S, false));
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    ck_assert_uint_eq(br.opens, 3);
    ck_assert_uint_eq(br.reopens, 2);
    ck_assert_uint_eq(br.cycles, 1);
    ck_assert(call(3 * S + 1, true)); /* trips again: an opening, not a re-open */
    ck_assert_uint_eq(br.opens, 4);
    ck_assert_uint_eq(br.reopens, 2);
    breaker_fini(&br);
    setup_breaker("count(window=2, min_calls=2, rate=50%, open=1s, probes=2)");
    call(0, true);
    call(1, true);
    ck_assert_int_eq(br.state, BREAKER_OPEN);
    ck_assert(call(S + 1, true));
    ck_assert(call(S + 1, true)); /* both probes failed: re-open */
    ck_assert_uint_eq(br.reopens, 1);
    ck_assert(call(2 * S + 1, false));
    ck_assert(call(2 * S + 1, false));
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    ck_assert_uint_eq(br.cycles, 1);
    ck_assert_uint_eq(br.opens, 2);
}
END_TEST

START_TEST(a_failed_probe_opens_again_for_a_full_period)
{
    setup_breaker("consecutive(failures=2, open=1s)");
    call(0, true);
    call(0, true);
    ck_assert(call(S, true)); /* the probe, which fails */
    ck_assert_int_eq(br.state, BREAKER_OPEN);
    ck_assert_uint_eq(br.opens, 2);
    ck_assert(!call(2 * S - 1, false));
    ck_assert(call(2 * S, false));
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
}
END_TEST

/* A call admitted while closed that returns after the breaker opened
 * (and went half-open) is not taken for a probe. */
START_TEST(outcomes_from_an_earlier_state_are_ignored)
{
    setup_breaker("consecutive(failures=1, open=1s)");
    uint32_t old, probe;
    ck_assert(breaker_allow(&br, 0, &old));
    call(1, true);
    breaker_poll(&br, S + 1);
    ck_assert(breaker_allow(&br, S + 1, &probe));
    breaker_record(&br, S + 2, old, false, MS);
    ck_assert_int_eq(br.state, BREAKER_HALF_OPEN);
    breaker_forget(&br, probe); /* its caller gave up: the place is free again */
    ck_assert(breaker_allow(&br, S + 3, &probe));
    breaker_record(&br, S + 4, probe, false, MS);
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
}
END_TEST

START_TEST(count_window_waits_for_min_calls_then_trips_at_the_rate)
{
    setup_breaker("count(window=10, min_calls=4, rate=50%, open=1s, probes=2)");
    ck_assert(call(0, true));
    ck_assert(call(0, true));
    ck_assert(call(0, true));
    ck_assert_int_eq(br.state, BREAKER_CLOSED); /* 3 calls < min_calls */
    ck_assert(call(0, false));
    ck_assert_int_eq(br.state, BREAKER_OPEN); /* 3 of 4 failed */
}
END_TEST

START_TEST(count_window_forgets_calls_that_slid_out)
{
    setup_breaker("count(window=4, min_calls=4, rate=75%, open=1s)");
    call(0, true);
    call(0, true);
    call(0, false);
    call(0, false); /* 2 of 4 */
    call(0, true);  /* the first failure slid out: still 2 of 4 */
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    call(0, true); /* S S F F: 2 of 4 */
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    call(0, true); /* S F F F: 3 of 4 */
    ck_assert_int_eq(br.state, BREAKER_OPEN);
}
END_TEST

START_TEST(rate_half_open_judges_all_probes_together)
{
    setup_breaker("count(window=2, min_calls=2, rate=50%, open=1s, probes=2)");
    call(0, true);
    call(0, true);
    ck_assert_int_eq(br.state, BREAKER_OPEN);
    ck_assert(call(S, true));
    ck_assert_int_eq(br.state, BREAKER_HALF_OPEN);
    ck_assert(call(S, false));
    ck_assert_int_eq(br.state, BREAKER_OPEN); /* 1 of 2 failed = 50% */
    ck_assert(call(2 * S, false));
    ck_assert(call(2 * S, false));
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
}
END_TEST

START_TEST(time_window_drops_old_failures)
{
    setup_breaker("time(window=10s, min_calls=3, rate=100%, open=1s)");
    call(0, true);
    call(1 * S, true);
    call(12 * S, true); /* the first two have left the 10 s window */
    ck_assert_int_eq(br.state, BREAKER_CLOSED);
    call(13 * S, true);
    call(14 * S, true);
    ck_assert_int_eq(br.state, BREAKER_OPEN);
}
END_TEST

START_TEST(slow_calls_trip_the_breaker)
{
    setup_breaker("count(window=4, min_calls=4, rate=100%, slow=100ms, slow_rate=50%, open=1s)");
    uint32_t t;
    for (int i = 0; i < 4; i++) {
        ck_assert(breaker_allow(&br, 0, &t));
        breaker_record(&br, 0, t, false, i < 2 ? 200 * MS : MS);
    }
    ck_assert_int_eq(br.state, BREAKER_OPEN);
}
END_TEST

/* ---- bulkhead ---------------------------------------------------------- */

static void setup_bulkhead(struct bulkhead *b, const char *text)
{
    struct diag *d = diag_new();
    ck_assert_msg(bulkhead_setup(b, text, here, d) == 0, "%s",
                  diag_count(d) ? diag_message(d, 0) : "");
    diag_free(d);
}

START_TEST(fixed_bulkhead_admits_up_to_its_limit)
{
    struct bulkhead b;
    setup_bulkhead(&b, "fixed(limit=2, queue=5)");
    ck_assert(bulkhead_has_room(&b));
    bulkhead_start(&b);
    bulkhead_start(&b);
    ck_assert(!bulkhead_has_room(&b));
    bulkhead_done(&b, true, MS);
    ck_assert(bulkhead_has_room(&b));
    ck_assert_int_eq(b.queue, 5);
    ck_assert_double_eq(b.limit, 2);
}
END_TEST

START_TEST(aimd_halves_on_failure_and_grows_by_one_per_window)
{
    struct bulkhead b;
    setup_bulkhead(&b, "aimd(initial=10, min=2, max=20, decrease=50%)");
    bulkhead_start(&b);
    bulkhead_done(&b, true, MS);
    ck_assert_double_eq(b.limit, 5);
    for (int i = 0; i < 5; i++) { /* saturated: 5 in flight */
        bulkhead_start(&b);
    }
    for (int i = 0; i < 5; i++) {
        bulkhead_done(&b, false, MS);
        bulkhead_start(&b);
    }
    ck_assert(b.limit > 5.9 && b.limit < 6.1); /* about +1 after a limit's worth */
    for (int i = 0; i < 10; i++) {
        bulkhead_start(&b);
        bulkhead_done(&b, true, MS);
    }
    ck_assert_double_eq(b.limit, 2); /* never below min */
}
END_TEST

START_TEST(gradient_shrinks_when_latency_grows)
{
    struct bulkhead b;
    setup_bulkhead(&b, "gradient(initial=50, min=1, max=100, smoothing=50%, tolerance=1)");
    for (int i = 0; i < 20; i++) {
        bulkhead_start(&b);
        bulkhead_done(&b, false, 10 * MS);
    }
    double grown = b.limit;
    ck_assert(grown > 50);
    for (int i = 0; i < 20; i++) {
        bulkhead_start(&b);
        bulkhead_done(&b, false, 100 * MS);
    }
    ck_assert(b.limit < grown);
}
END_TEST

/* ---- shedding ---------------------------------------------------------- */

static void setup_shed(struct shed *s, const char *text)
{
    struct diag *d = diag_new();
    ck_assert_msg(shed_setup(s, text, here, d) == 0, "%s",
                  diag_count(d) ? diag_message(d, 0) : "");
    diag_free(d);
}

START_TEST(length_deadline_and_lifo_policies)
{
    struct shed s;
    setup_shed(&s, "length(max=3)");
    ck_assert(s.pol->admit(&s, 2));
    ck_assert(!s.pol->admit(&s, 3));
    setup_shed(&s, "deadline(wait=100ms)");
    ck_assert(!s.pol->drop(&s, 0, 100 * MS, 5, true));
    ck_assert(s.pol->drop(&s, 0, 100 * MS + 1, 5, true));
    setup_shed(&s, "lifo(above=4)");
    ck_assert(!s.pol->lifo(&s, 4));
    ck_assert(s.pol->lifo(&s, 5));
}
END_TEST

/* CoDel (Nichols & Jacobson 2012): no drop while the sojourn time has been
 * above target for less than an interval; then one drop, the next after
 * interval/sqrt(2), and the dropping state ends below target. */
START_TEST(codel_drops_on_schedule_after_an_interval_above_target)
{
    struct shed s;
    setup_shed(&s, "codel(target=5ms, interval=100ms)");
    ck_assert(!s.pol->drop(&s, 10 * MS, 1 * MS, 3, true)); /* below target */
    ck_assert(!s.pol->drop(&s, 20 * MS, 10 * MS, 3, true)); /* above: the clock starts */
    ck_assert(!s.pol->drop(&s, 119 * MS, 10 * MS, 3, true));
    ck_assert(s.pol->drop(&s, 120 * MS, 10 * MS, 3, true)); /* a full interval above */
    ck_assert(!s.pol->drop(&s, 120 * MS, 10 * MS, 2, false)); /* the next one is served */
    ck_assert(s.dropping);
    int64_t next = 120 * MS + (int64_t)(100e6 / sqrt(1.0));
    ck_assert_int_eq(s.drop_next_ns, next);
    ck_assert(!s.pol->drop(&s, next - 1, 10 * MS, 3, true));
    ck_assert(s.pol->drop(&s, next, 10 * MS, 3, true));
    ck_assert_uint_eq(s.count, 2);
    /* the control law: the next drop interval/sqrt(2) later */
    ck_assert(!s.pol->drop(&s, next, 10 * MS, 2, false));
    ck_assert_int_eq(s.drop_next_ns, next + (int64_t)(100e6 / sqrt(2.0)));
    ck_assert(s.pol->drop(&s, next + 80 * MS, 10 * MS, 4, true)); /* 100/sqrt(2) = 70.7 ms */
    ck_assert(!s.pol->drop(&s, next + 80 * MS, 10 * MS, 3, false)); /* next at +57.7 ms */
    ck_assert_uint_eq(s.count, 3);
    next = next + (int64_t)(100e6 / sqrt(2.0));
    ck_assert(!s.pol->drop(&s, next + 90 * MS, 1 * MS, 2, true)); /* below target: stop */
    ck_assert(!s.dropping);
    ck_assert(!s.pol->drop(&s, 2 * S, 10 * MS, 0, true)); /* never the last one */
}
END_TEST

Suite *resilience_suite(void)
{
    Suite *s = suite_create("resilience");
    TCase *t = tcase_create("backoff");
    tcase_add_test(t, exponential_without_jitter_doubles_from_2_base_up_to_the_cap);
    tcase_add_test(t, full_and_equal_jitter_follow_the_aws_formulas);
    tcase_add_test(t, decorrelated_jitter_stays_between_base_and_three_times_the_last);
    tcase_add_test(t, constant_and_none_backoffs);
    tcase_add_test(t, bad_backoff_specs_are_reported);
    tcase_add_test(t, retry_budget_allows_ratio_times_requests_plus_burst);
    suite_add_tcase(s, t);
    t = tcase_create("breaker");
    tcase_add_checked_fixture(t, NULL, teardown_breaker);
    tcase_add_test(t, consecutive_opens_after_n_failures_in_a_row);
    tcase_add_test(t, half_open_admits_only_the_probes_and_closes_on_success);
    tcase_add_test(t, a_failed_probe_opens_again_for_a_full_period);
    tcase_add_test(t, outcomes_from_an_earlier_state_are_ignored);
    tcase_add_test(t, count_window_waits_for_min_calls_then_trips_at_the_rate);
    tcase_add_test(t, count_window_forgets_calls_that_slid_out);
    tcase_add_test(t, rate_half_open_judges_all_probes_together);
    tcase_add_test(t, time_window_drops_old_failures);
    tcase_add_test(t, slow_calls_trip_the_breaker);
    tcase_add_test(t, cycles_and_reopens_are_counted_apart);
    suite_add_tcase(s, t);
    t = tcase_create("bulkhead");
    tcase_add_test(t, fixed_bulkhead_admits_up_to_its_limit);
    tcase_add_test(t, aimd_halves_on_failure_and_grows_by_one_per_window);
    tcase_add_test(t, gradient_shrinks_when_latency_grows);
    suite_add_tcase(s, t);
    t = tcase_create("shed");
    tcase_add_test(t, length_deadline_and_lifo_policies);
    tcase_add_test(t, codel_drops_on_schedule_after_an_interval_above_target);
    suite_add_tcase(s, t);
    return s;
}
