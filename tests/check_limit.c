/* Rate limiters (models/admission/limit.c): the exact decision sequence of each
 * algorithm on hand-made arrival times, the boundary burst that a fixed
 * window lets through twice and a sliding log never does, retry-after
 * hints, scopes, the memory they count, and bad specs. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "models/admission/limit.h"
#include "sim/diag.h"
#include "sim/sim.h"

#define MS 1000000LL

static struct diag *d;
static struct limit l;

static void setup(void)
{
    d = diag_new();
    memset(&l, 0, sizeof l);
}

static void teardown(void)
{
    limit_fini(&l);
    diag_free(d);
}

static void make(const char *text)
{
    int rc = limit_setup(&l, text, (struct loc){"t.ini", 1, 1}, d);
    ck_assert_msg(rc == 0, "%s: %s", text, diag_count(d) ? diag_message(d, 0) : "");
}

/* The decisions for requests at the given times (ms) in scope 0: 'A'
 * admitted at once, 'D' admitted after a delay, 'R' rate limited. */
static const char *decide(const double *at_ms, size_t n)
{
    static char out[128];
    for (size_t i = 0; i < n; i++) {
        struct limit_verdict v = limit_check(&l, 0, (int64_t)(at_ms[i] * MS));
        out[i] = !v.admit ? 'R' : v.delay_ns > 0 ? 'D' : 'A';
    }
    out[n] = 0;
    return out;
}
#define DECIDE(...) decide((const double[]){__VA_ARGS__}, \
                           sizeof((const double[]){__VA_ARGS__}) / sizeof(double))

START_TEST(token_bucket_passes_burst_then_refills_continuously)
{
    make("token_bucket(rate=10/s, burst=3)"); /* one token per 100 ms */
    /* 3 at once pass, the 4th finds none; 50 ms later half a token (no);
     * at 100 ms one token (yes); 350 ms: 2.5 tokens -> 2 pass, a third no. */
    ck_assert_str_eq(DECIDE(0, 0, 0, 0, 50, 100, 350, 350, 350), "AAARRAAAR");
    ck_assert_uint_eq(l.admitted, 6);
    ck_assert_uint_eq(l.limited, 3);
}
END_TEST

START_TEST(token_bucket_never_holds_more_than_burst)
{
    make("token_bucket(rate=10/s, burst=2)");
    /* a 10 s quiet spell refills only up to 2 */
    ck_assert_str_eq(DECIDE(0, 10000, 10000, 10000), "AAAR");
}
END_TEST

START_TEST(token_bucket_hints_when_the_next_token_comes)
{
    make("token_bucket(rate=10/s, burst=1)");
    limit_check(&l, 0, 0);
    struct limit_verdict v = limit_check(&l, 0, 30 * MS);
    ck_assert(!v.admit);
    ck_assert_int_eq(v.retry_after_ns, 70 * MS);
    v = limit_check(&l, 0, 100 * MS); /* exactly when the hint said */
    ck_assert(v.admit);
}
END_TEST

START_TEST(leaky_bucket_spaces_a_burst_and_rejects_past_its_queue)
{
    make("leaky_bucket(rate=10/s, queue=2)"); /* one leaves per 100 ms */
    /* at 0: the first leaves now, two wait (100 ms and 200 ms), the
     * fourth finds the queue full. At 150 ms one waits (to leave at 200):
     * a new one gets the 300 ms slot, the next finds 2 waiting. */
    ck_assert_str_eq(DECIDE(0, 0, 0, 0, 150, 150), "ADDRDR");
    ck_assert_uint_eq(l.delayed, 3);
}
END_TEST

START_TEST(leaky_bucket_delays_to_its_departure_slot)
{
    make("leaky_bucket(rate=10/s, queue=5)");
    ck_assert_int_eq(limit_check(&l, 0, 0).delay_ns, 0);
    ck_assert_int_eq(limit_check(&l, 0, 0).delay_ns, 100 * MS);
    ck_assert_int_eq(limit_check(&l, 0, 20 * MS).delay_ns, 180 * MS);
    ck_assert_int_eq(limit_check(&l, 0, 500 * MS).delay_ns, 0); /* drained: leaves now */
}
END_TEST

START_TEST(leaky_bucket_counts_a_delayed_request_when_it_leaves)
{
    make("leaky_bucket(rate=10/s, queue=5)");
    DECIDE(0, 0, 0); /* one leaves now, two wait */
    ck_assert_uint_eq(l.peak_passed, 1);
    ck_assert_uint_eq(l.entries, 3); /* the departure slot and two waiting */
    limit_release(&l, 100 * MS);
    limit_release(&l, 200 * MS);
    ck_assert_uint_eq(l.peak_passed, 3);
    ck_assert_uint_eq(l.entries, 1);
    limit_check(&l, 0, 1500 * MS); /* the span has moved on: 0..200 ms left it */
    ck_assert_uint_eq(l.span_passed, 1);
}
END_TEST

START_TEST(leaky_bucket_with_no_queue_polices_the_spacing)
{
    make("leaky_bucket(rate=10/s, queue=0)");
    ck_assert_str_eq(DECIDE(0, 50, 100, 150, 199, 200), "ARARRA");
}
END_TEST

START_TEST(fixed_window_restarts_its_count_at_each_boundary)
{
    make("fixed_window(limit=2, window=1s)");
    ck_assert_str_eq(DECIDE(0, 10, 20, 999, 1000, 1001, 1002, 2500), "AARRAARA");
}
END_TEST

/* A burst of `limit` just before a boundary and another just after: the
 * fixed window admits both, 2 x limit within 2 ms; the sliding log admits
 * only the first; the sliding window counter stops nearly all the second. */
static int boundary_burst(const char *text, int limit)
{
    make(text);
    int admitted = 0;
    for (int i = 0; i < limit; i++)
        admitted += limit_check(&l, 0, 999 * MS).admit;
    for (int i = 0; i < limit; i++)
        admitted += limit_check(&l, 0, 1001 * MS).admit;
    return admitted;
}

START_TEST(fixed_window_lets_twice_the_limit_through_across_a_boundary)
{
    ck_assert_int_eq(boundary_burst("fixed_window(limit=10, window=1s)", 10), 20);
    ck_assert_uint_eq(l.peak_passed, 20); /* all 20 within one 1 s span */
}
END_TEST

START_TEST(sliding_log_never_passes_more_than_the_limit_across_a_boundary)
{
    ck_assert_int_eq(boundary_burst("sliding_log(limit=10, window=1s)", 10), 10);
    ck_assert_uint_eq(l.peak_passed, 10);
}
END_TEST

START_TEST(sliding_window_weighs_the_previous_window)
{
    /* 10 admitted at 999 ms; at 1001 ms the previous window weighs
     * 999/1000: 9.99 + 1 > 10, so none of the second burst passes. */
    ck_assert_int_eq(boundary_burst("sliding_window(limit=10, window=1s)", 10), 10);
}
END_TEST

START_TEST(sliding_log_admits_when_the_oldest_leaves_the_window)
{
    make("sliding_log(limit=2, window=1s)");
    /* (t - 1s, t] holds fewer than 2 admissions: 0 and 300 fill it; 999 no;
     * at 1000 the one at 0 has left; at 1200 full (300, 1000); 1300: 300 left. */
    ck_assert_str_eq(DECIDE(0, 300, 999, 1000, 1200, 1300, 1300), "AARARAR");
    struct limit_verdict v = limit_check(&l, 0, 1400 * MS);
    ck_assert(!v.admit);
    ck_assert_int_eq(v.retry_after_ns, 600 * MS); /* the one at 1000 leaves at 2000 */
}
END_TEST

START_TEST(sliding_log_counts_one_entry_per_admission_in_its_window)
{
    make("sliding_log(limit=5, window=1s)");
    DECIDE(0, 100, 200, 300, 400, 500);
    ck_assert_uint_eq(l.entries, 5); /* the 6th was rejected: not logged */
    DECIDE(1150); /* 0 and 100 expire, 1150 enters */
    ck_assert_uint_eq(l.entries, 4);
    ck_assert_uint_eq(l.entries_max, 5);
    DECIDE(5000); /* all but the new one expire */
    ck_assert_uint_eq(l.entries, 1);
}
END_TEST

START_TEST(sliding_window_sequence_and_hints)
{
    make("sliding_window(limit=4, window=1s)");
    /* window 0: 4 pass. At 1250 prev=4 weighs 0.75: 3 + 0 + 1 <= 4 passes,
     * then 3 + 1 + 1 > 4 no. At 1500: 2 + 1 + 1 passes; 2 + 2 + 1 no. */
    ck_assert_str_eq(DECIDE(0, 100, 200, 300, 400, 1250, 1250, 1500, 1500), "AAAARARAR");
    struct limit_verdict v = limit_check(&l, 0, 1500 * MS);
    /* passes when 4 (1 - e) + 2 + 1 <= 4: e >= 0.75, at 1750 ms */
    ck_assert_int_eq(v.retry_after_ns, 250 * MS);
    ck_assert(limit_check(&l, 0, 1750 * MS).admit);
}
END_TEST

START_TEST(sliding_window_forgets_after_two_quiet_windows)
{
    make("sliding_window(limit=1, window=1s)");
    ck_assert_str_eq(DECIDE(0, 1500, 1999, 3000), "ARRA");
}
END_TEST

START_TEST(each_scope_value_has_its_own_limiter)
{
    make("fixed_window(limit=1, window=1s, per=key)");
    ck_assert(limit_check(&l, 7, 0).admit);
    ck_assert(!limit_check(&l, 7, 1).admit);
    ck_assert(limit_check(&l, 8, 2).admit);
    for (uint64_t k = 100; k < 1100; k++) /* grows its table past many doublings */
        ck_assert(limit_check(&l, k, 3).admit);
    ck_assert(!limit_check(&l, 8, 4).admit);
    ck_assert(!limit_check(&l, 555, 5).admit);
    ck_assert_uint_eq(l.nslots, 1002);
    ck_assert_uint_eq(l.entries, 2 * 1002);
}
END_TEST

START_TEST(scope_comes_from_the_request)
{
    struct component c1 = {.id = 3}, c2 = {.id = 4};
    struct request r = {.key = 42, .user = 9};
    r.stack[0].c = &c1;
    make("token_bucket(rate=1/s, per=global)");
    ck_assert_uint_eq(limit_scope_of(&l, &r), 0);
    limit_fini(&l);
    make("token_bucket(rate=1/s, per=key)");
    ck_assert_uint_eq(limit_scope_of(&l, &r), 42);
    limit_fini(&l);
    make("token_bucket(rate=1/s, per=client)");
    ck_assert_uint_eq(limit_scope_of(&l, &r), 3);
    r.stack[0].c = &c2;
    ck_assert_uint_eq(limit_scope_of(&l, &r), 4);
    limit_fini(&l);
    make("token_bucket(rate=1/s, per=user)");
    ck_assert_uint_eq(limit_scope_of(&l, &r), (4ULL << 32) | 9);
}
END_TEST

/* ---- a limit shared by nodes that sync their counts ---------------------- */

/* l is the global count; n[i] node i's copy (as models/admission/gate.c). */
static struct limit n[3];
static size_t nn;

static void cluster(const char *text, size_t nodes)
{
    make(text);
    nn = nodes;
    for (size_t i = 0; i < nn; i++) {
        ck_assert_int_eq(limit_setup(&n[i], text, (struct loc){"t.ini", 1, 1}, d), 0);
        limit_widen(&n[i], (uint32_t)nn);
    }
    limit_widen(&l, (uint32_t)nn);
    limit_track_changes(&l);
}

static void cluster_fini(void)
{
    for (size_t i = 0; i < nn; i++)
        limit_fini(&n[i]);
    nn = 0;
}

/* Node i decides a request of scope s at t ms: 'A' or 'R'. */
static char at_node(size_t i, uint64_t s, double t_ms)
{
    int64_t t = (int64_t)(t_ms * MS);
    struct limit_verdict v = limit_check(&n[i], s, t);
    if (v.admit)
        limit_force(&l, s, t);
    else
        limit_count_refusal(&l);
    return v.admit ? 'A' : 'R';
}

static void sync_all(void)
{
    for (size_t i = 0; i < nn; i++)
        limit_sync_to(&l, &n[i], 0);
    limit_sync_done(&l);
}

/* Node i's decisions at the given times, scope 0. */
static const char *node_decide(size_t i, const double *at_ms, size_t k)
{
    static char out[64];
    for (size_t j = 0; j < k; j++)
        out[j] = at_node(i, 0, at_ms[j]);
    out[k] = 0;
    return out;
}
#define NODE(i, ...) node_decide(i, (const double[]){__VA_ARGS__}, \
                                 sizeof((const double[]){__VA_ARGS__}) / sizeof(double))

START_TEST(synced_fixed_window_admits_nodes_times_the_limit_before_a_sync)
{
    cluster("fixed_window(limit=3, window=1s)", 2);
    /* before any sync each node sees only its own count: 3 + 3 pass */
    ck_assert_str_eq(NODE(0, 0, 10, 20, 30), "AAAR");
    ck_assert_str_eq(NODE(1, 40, 50, 60, 70), "AAAR");
    ck_assert_uint_eq(l.admitted, 6);
    ck_assert_uint_eq(l.limited, 2);
    /* the global count is 6: after a sync both refuse until the window ends */
    sync_all();
    ck_assert_str_eq(NODE(0, 100, 999), "RR");
    ck_assert_str_eq(NODE(1, 500), "R");
    /* a new window: each node's copy restarts, 3 each again */
    ck_assert_str_eq(NODE(0, 1000, 1001, 1002, 1003), "AAAR");
    /* synced within the window: node 1 sees node 0's 3 and admits none */
    sync_all();
    ck_assert_str_eq(NODE(1, 1100), "R");
    ck_assert_uint_eq(l.admitted, 9);
    cluster_fini();
}
END_TEST

START_TEST(synced_token_bucket_pays_back_the_others_debt)
{
    cluster("token_bucket(rate=10/s, burst=2)", 3); /* a token every 100 ms */
    ck_assert_str_eq(NODE(0, 0, 0, 0), "AAR");
    ck_assert_str_eq(NODE(1, 0, 0), "AA");
    ck_assert_str_eq(NODE(2, 0, 0), "AA");
    /* 6 taken from a bucket of 2: the global bucket owes 4 tokens */
    sync_all();
    /* at 100 ms one token refilled: -3, at 400 ms: 0, at 500 ms: 1 */
    ck_assert_str_eq(NODE(1, 100, 400, 499), "RRR");
    ck_assert_str_eq(NODE(2, 500, 500), "AR");
    /* node 0 has not synced since node 2 took that token: it takes one too */
    ck_assert_str_eq(NODE(0, 500), "A");
    /* the global count knows both: -1 at 500 ms, a token again at 700 ms */
    sync_all();
    ck_assert_str_eq(NODE(1, 600, 699, 700), "RRA");
    ck_assert_uint_eq(l.admitted, 9);
    cluster_fini();
}
END_TEST

START_TEST(synced_sliding_log_holds_every_node_admission)
{
    cluster("sliding_log(limit=2, window=1s)", 3);
    ck_assert_str_eq(NODE(0, 0, 100, 200), "AAR");
    ck_assert_str_eq(NODE(1, 300, 400), "AA");
    ck_assert_str_eq(NODE(2, 500, 600), "AA");
    /* the widened log keeps all 6 (3 nodes x limit 2): none is lost */
    ck_assert_uint_eq(l.entries, 6);
    sync_all();
    /* after a sync a node admits again only when the log is under 2: 5 of
     * the 6 must leave it (the 5th, 500 ms, at 1500 ms) */
    ck_assert_str_eq(NODE(2, 1000, 1300, 1399), "RRR");
    ck_assert_str_eq(NODE(0, 1400, 1400), "RR"); /* 500 and 600 are still in */
    ck_assert_str_eq(NODE(1, 1500, 1501), "AR");
    ck_assert_uint_eq(l.entries, 2); /* 600 and 1500 */
    cluster_fini();
}
END_TEST

START_TEST(synced_sliding_window_counts_every_node)
{
    cluster("sliding_window(limit=2, window=1s)", 2);
    ck_assert_str_eq(NODE(0, 0, 100, 200), "AAR");
    ck_assert_str_eq(NODE(1, 300, 400), "AA");
    sync_all();
    /* global: 4 in window 0; at 1500 ms 4 x 0.5 = 2, no room; at 1750 ms
     * 4 x 0.25 + 0 + 1 = 2 <= 2: admitted */
    ck_assert_str_eq(NODE(0, 1500, 1749, 1750), "RRA");
    cluster_fini();
}
END_TEST

START_TEST(a_copy_holds_every_scope_of_the_global_count)
{
    cluster("fixed_window(limit=1, window=1s, per=key)", 2);
    for (uint64_t k = 0; k < 100; k++) /* node 0 alone sees 100 keys: its table grows */
        ck_assert_int_eq(at_node(0, k, 1), 'A');
    sync_all(); /* node 1 had no table beyond its first size */
    ck_assert_uint_eq(n[1].nslots, 100);
    for (uint64_t k = 0; k < 100; k++)
        ck_assert_int_eq(at_node(1, k, 2), 'R');
    ck_assert_int_eq(at_node(1, 100, 3), 'A'); /* a new key: its own limit */
    cluster_fini();
}
END_TEST

START_TEST(a_single_node_synced_decides_as_one_limiter)
{
    cluster("token_bucket(rate=10/s, burst=3)", 1);
    ck_assert_str_eq(NODE(0, 0, 0, 0, 0, 50, 100, 350, 350, 350), "AAARRAAAR");
    sync_all();
    ck_assert_str_eq(NODE(0, 350, 450, 460), "RAR");
    cluster_fini();
}
END_TEST

START_TEST(passes_per_time_series_interval)
{
    make("fixed_window(limit=100, window=1s)");
    l.ts_ns = 1000 * MS;
    DECIDE(0, 10, 999);             /* 3 in [0, 1 s) */
    ck_assert_uint_eq(limit_ts_passed(&l, 1000 * MS), 3);
    DECIDE(1000, 1500);             /* 2 in [1 s, 2 s): the sample at 1 s still sees 3 */
    ck_assert_uint_eq(limit_ts_passed(&l, 1000 * MS), 3);
    ck_assert_uint_eq(limit_ts_passed(&l, 2000 * MS), 2);
    ck_assert_uint_eq(limit_ts_passed(&l, 3000 * MS), 0); /* nothing in [2 s, 3 s) */
    DECIDE(3500);
    ck_assert_uint_eq(limit_ts_passed(&l, 4000 * MS), 1);
    ck_assert_double_eq(limit_rate_per_s(&l), 100);
    limit_fini(&l);
    make("sliding_log(limit=5, window=100ms)");
    ck_assert_double_eq(limit_rate_per_s(&l), 50);
    limit_fini(&l);
    make("token_bucket(rate=7/s)");
    ck_assert_double_eq(limit_rate_per_s(&l), 7);
}
END_TEST

static const char *const bad[][2] = {
    {"token_bucket(burst=3)", "'rate'"},
    {"token_bucket(rate=0/s)", "rate must be positive"},
    {"token_bucket(rate=5/s, burst=0.5)", "bad burst '0.5'"},
    {"fixed_window(limit=0)", "bad limit '0'"},
    {"sliding_log(limit=5, window=0s)", "window must be positive"},
    {"sliding_window(limit=5, per=keys)", "did you mean 'key'"},
    {"leaky_bucket(rate=1/s, queue=-1)", "bad queue '-1'"},
    {"token_buckets(rate=1/s)", "did you mean 'token_bucket'"},
};

START_TEST(bad_specs_are_reported)
{
    const char *text = bad[_i][0];
    ck_assert_int_eq(limit_setup(&l, text, (struct loc){"t.ini", 1, 1}, d), -1);
    ck_assert_uint_ge(diag_count(d), 1);
    ck_assert_msg(strstr(diag_message(d, 0), bad[_i][1]), "%s: got '%s'", text,
                  diag_message(d, 0));
}
END_TEST

Suite *limit_suite(void)
{
    Suite *s = suite_create("limit");
    TCase *tc = tcase_create("limit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_bucket_passes_burst_then_refills_continuously);
    tcase_add_test(tc, token_bucket_never_holds_more_than_burst);
    tcase_add_test(tc, token_bucket_hints_when_the_next_token_comes);
    tcase_add_test(tc, leaky_bucket_spaces_a_burst_and_rejects_past_its_queue);
    tcase_add_test(tc, leaky_bucket_delays_to_its_departure_slot);
    tcase_add_test(tc, leaky_bucket_counts_a_delayed_request_when_it_leaves);
    tcase_add_test(tc, leaky_bucket_with_no_queue_polices_the_spacing);
    tcase_add_test(tc, fixed_window_restarts_its_count_at_each_boundary);
    tcase_add_test(tc, fixed_window_lets_twice_the_limit_through_across_a_boundary);
    tcase_add_test(tc, sliding_log_never_passes_more_than_the_limit_across_a_boundary);
    tcase_add_test(tc, sliding_window_weighs_the_previous_window);
    tcase_add_test(tc, sliding_log_admits_when_the_oldest_leaves_the_window);
    tcase_add_test(tc, sliding_log_counts_one_entry_per_admission_in_its_window);
    tcase_add_test(tc, sliding_window_sequence_and_hints);
    tcase_add_test(tc, sliding_window_forgets_after_two_quiet_windows);
    tcase_add_test(tc, each_scope_value_has_its_own_limiter);
    tcase_add_test(tc, scope_comes_from_the_request);
    tcase_add_test(tc, synced_fixed_window_admits_nodes_times_the_limit_before_a_sync);
    tcase_add_test(tc, synced_token_bucket_pays_back_the_others_debt);
    tcase_add_test(tc, synced_sliding_log_holds_every_node_admission);
    tcase_add_test(tc, synced_sliding_window_counts_every_node);
    tcase_add_test(tc, a_copy_holds_every_scope_of_the_global_count);
    tcase_add_test(tc, a_single_node_synced_decides_as_one_limiter);
    tcase_add_test(tc, passes_per_time_series_interval);
    tcase_add_loop_test(tc, bad_specs_are_reported, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, tc);
    return s;
}
