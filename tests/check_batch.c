/* Batch receive (the consumers' `batch`, models/kinds/queue.c) with an
 * idempotent consumer and with a visibility timeout, with constant times
 * so every count is exact: a message fetched in a batch after a crash lost
 * its ack is skipped, not processed twice; the timeout runs from the
 * fetch, so a message waiting in its fetch past it is delivered again,
 * and a crash's cut fetch comes back when the timeout ends. */
#include <check.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL
#define S 1000000000LL
#define QUIET "[client c]\narrival = constant(rate=0.0001/s)\nto = q\n\n"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

static double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

static void crash(bool start)
{
    struct component *c = kind_lookup(&sim, "w");
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, start);
}

/* One consumer, batch 3, service 10 ms, acks landing 5 ms after each
 * processing. 1 is taken alone at 0 (ends 10, acked 15); 2 is taken at 10
 * with 3 and 4 fetched (2 ends at 20, its ack due at 25). A crash at 22 ms
 * cuts 3 with 4 behind it and loses 2's ack: 2, 3, 4 go back to the front
 * in that order. At the recovery (30 ms) 2 is taken alone (nothing else
 * waits yet): with dedupe it is skipped (the group processed it at 20),
 * then 3 is taken with 4 (ends 40, 50). Without dedupe 2 is processed a
 * second time (a duplicate, ending at 40), 3 and 4 at 50 and 60. */
static void run(bool dedupe)
{
    tl_model_build(&sim, &sc, &pt,
                   dedupe ? QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                                  "batch = 3\nack_delay = 5ms\ndedupe = 10s\n"
                          : QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                                  "batch = 3\nack_delay = 5ms\n",
                   1, 1000 * S);
    tl_sink_init(&sink);
    for (uint64_t k = 1; k <= 4; k++)
        tl_sink_publish(&sim, &sink, k, kind_lookup(&sim, "q"));
    tl_run_until(&sim, 22 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    crash(true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    tl_run_until(&sim, 30 * MS);
    crash(false);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "lost"), 0);
    if (dedupe) {
        ck_assert_double_eq(metric("w", "processed"), 4);
        ck_assert_double_eq(metric("w", "deduped"), 1);
        ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
        ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 40 + 50) / 4, 1e-9);
    } else {
        ck_assert_double_eq(metric("w", "processed"), 5);
        ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
        ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 40 + 50 + 60) / 5,
                                1e-9);
    }
}

START_TEST(a_batch_with_dedupe_skips_a_message_whose_ack_was_lost)
{
    run(true);
}
END_TEST

START_TEST(a_batch_without_dedupe_processes_it_twice)
{
    run(false);
}
END_TEST

static void build(const char *text)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000 * S);
    tl_sink_init(&sink);
}

static void publish(uint64_t k)
{
    tl_sink_publish(&sim, &sink, k, kind_lookup(&sim, "q"));
}

#define VT_BATCH(vt) QUIET "[queue q]\nvisibility_timeout = " vt "\n\n[consumers w]\nfrom = q\n" \
                     "service = const(10ms)\nbatch = 3\n"

/* Batch 3, service 10 ms, timeout 15 ms from the fetch: 1 is taken alone
 * at 0 (done at 10); 2 at 10 with 3 and 4 fetched. At 25 ms 3 is in
 * processing and 4 still waits in the fetch: both are delivered again (3',
 * 4' queued). 4 runs in [30, 40); at 40 3' is taken with 4' (3' in [40,
 * 50), 4' in [50, 60)); at 55 ms 4' is in processing: 4'' runs in [60,
 * 70). Seven processings, three duplicates; with the timeout from the
 * processing's start 4 (started at 30) would not have timed out. */
START_TEST(a_batch_timeout_runs_from_the_fetch)
{
    build(VT_BATCH("15ms"));
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 7);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 3);
    ck_assert_double_eq(metric("w", "visibility_expired"), 3);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 40 + 50 + 60 + 70) / 7,
                            1e-9);
}
END_TEST

/* Timeout 50 ms: 2 is fetched with 3 and 4 at 10 ms; a crash at 15 ms cuts
 * 2 and the fetch: the broker knows only their timeout, so after the
 * recovery (20 ms) they come back at 60 ms, in order (2 alone in [60, 70),
 * then 3 with 4: [70, 80), [80, 90)). */
START_TEST(a_cut_fetch_comes_back_when_its_timeout_ends)
{
    build(VT_BATCH("50ms"));
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 15 * MS);
    crash(true);
    tl_run_until(&sim, 20 * MS);
    crash(false);
    tl_run_until(&sim, 60 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 70 + 80 + 90) / 4, 1e-9);
}
END_TEST

#define CALLS_BATCH QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n" \
                    "batch = 3\ncalls = s\n\n[service s]\nservice = const(5ms)\nworkers = 4\n"

/* Batch 3 with a 5 ms call after each 10 ms processing (the consumer held
 * through it): 1 is taken alone (ends at 15); at 15 2 is taken with 3 and
 * 4, each processed and acked after its call: 30, 45, 60. A crash at 27 ms
 * (2 out on its call) cuts 2 and its fetch: 2, 3, 4 go back to the front
 * and 2's call returns to nobody; after the recovery (100 ms) 2 is taken
 * alone (115), then 3 with 4 (130, 145). */
START_TEST(a_batch_makes_each_messages_calls_in_turn)
{
    build(CALLS_BATCH);
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "calls"), 4);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 30 + 45 + 60) / 4, 1e-9);
    teardown();
    build(CALLS_BATCH);
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 27 * MS);
    crash(true);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    tl_run_until(&sim, 100 * MS);
    crash(false);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "calls"), 5); /* 2's first call went, its return dropped */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 115 + 130 + 145) / 4, 1e-9);
}
END_TEST

Suite *batch_suite(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, a_batch_with_dedupe_skips_a_message_whose_ack_was_lost);
    tcase_add_test(tc, a_batch_without_dedupe_processes_it_twice);
    tcase_add_test(tc, a_batch_timeout_runs_from_the_fetch);
    tcase_add_test(tc, a_cut_fetch_comes_back_when_its_timeout_ends);
    tcase_add_test(tc, a_batch_makes_each_messages_calls_in_turn);
    suite_add_tcase(s, tc);
    return s;
}
