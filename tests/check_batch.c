/* Batch receive (the consumers' `batch`, models/kinds/queue.c) with an
 * idempotent consumer and with a visibility timeout, with constant times
 * so every count is exact: a message fetched in a batch after a crash lost
 * its ack is skipped, not processed twice; the timeout runs from the
 * fetch, so a message waiting in its fetch past it is delivered again,
 * and a crash's cut fetch comes back when the timeout ends. With owned
 * partitions (assignment = range) a fetch takes from one partition, a
 * member's crash sends its batch back in order (or loses it on receive),
 * and a member that loses the partition in a rebalance finishes the batch
 * it fetched before the new owner starts. */
#include <check.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

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
    group_crash(true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    tl_run_until(&sim, 30 * MS);
    group_crash(false);
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
    group_crash(true);
    tl_run_until(&sim, 20 * MS);
    group_crash(false);
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
    group_crash(true);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    tl_run_until(&sim, 100 * MS);
    group_crash(false);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "calls"), 5); /* 2's first call went, its return dropped */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 115 + 130 + 145) / 4, 1e-9);
}
END_TEST

/* ---- batch with owned partitions (assignment = range) --------------------- */

static void member_crash(int32_t k, bool start)
{
    struct component *c = kind_lookup(&sim, "w");
    c->kind->fault(&sim, c, k, FAULT_CRASH, 0, start);
}

/* Publish n messages (round_robin routing: the i-th to partition (i - 1)
 * mod parts); a message's key is its partition (+ 100), so out_of_order
 * counts what breaks the order within a partition. */
static void publish_rr(uint64_t n, uint64_t parts)
{
    for (uint64_t i = 1; i <= n; i++)
        publish(100 + (i - 1) % parts);
}

#define OWNED(parts, members, extra) \
    QUIET "[queue q]\npartitions = " parts "\nroute = round_robin\n\n[consumers w]\nfrom = q\n" \
          "consumers = " members "\nassignment = range\nservice = const(10ms)\nbatch = 3\n" extra

/* One member, one partition, batch 3, fetch 5 ms, service 10 ms, 5
 * messages at 0: 1 is stored to a free member and fetched alone (5 + 10:
 * ends 15); at 15 one fetch takes 2, 3, 4 (5 ms, then 10 each: 30, 40,
 * 50); at 50 5 alone (65): three fetches for five messages. */
START_TEST(an_owned_partitions_batch_pays_one_fetch)
{
    build(OWNED("1", "1", "fetch_latency = const(5ms)\n"));
    publish_rr(5, 1);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 30 + 40 + 50 + 65) / 5, 1e-9);
}
END_TEST

/* Two members, two partitions (member 0 owns 0, member 1 owns 1), batch
 * 3, fetch 5 ms, 8 messages at 0: partition 0 gets 1, 3, 5, 7 and 1 gets
 * 2, 4, 6, 8. Each member takes its first alone (15), then fetches 3 of
 * its partition's 3 waiting (30, 40, 50); nothing is left. Then one
 * member owning both: 1 alone (15); at 15 it serves partition 1 next and
 * fetches 2, 4, 6 from it only (30, 40, 50); at 50 partition 0: 3, 5, 7
 * (65, 75, 85); at 85 partition 1: 8 (100). */
START_TEST(owned_members_fetch_from_one_partition_at_a_time)
{
    build(OWNED("2", "2", "fetch_latency = const(5ms)\n"));
    publish_rr(8, 2);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 2 * (15.0 + 30 + 40 + 50) / 8, 1e-9);
    teardown();
    build(OWNED("2", "1", "fetch_latency = const(5ms)\n"));
    publish_rr(8, 2);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"),
                            (15.0 + 30 + 40 + 50 + 65 + 75 + 85 + 100) / 8, 1e-9);
}
END_TEST

/* One partition, two members (member 1 idle), batch 3, no fetch latency,
 * rebalance 5 ms, 4 messages at 0: member 0 takes 1 alone (10), then 2
 * with 3 and 4 fetched (2 ends 20, 3 runs from 20). A crash of member 0 at
 * 25 ms cuts 3 and its fetch. after_processing: 3 then 4 go back to the
 * front of the partition, in order; the rebalance gives it to member 1 at
 * 30 ms, which takes 3 with 4 (40, 50). on_receive: 3 and 4 are lost. */
static void owned_crash_mid_batch(bool on_receive)
{
    build(on_receive ? OWNED("1", "2", "rebalance = 5ms\nack = on_receive\n")
                     : OWNED("1", "2", "rebalance = 5ms\n"));
    publish_rr(4, 1);
    tl_run_until(&sim, 25 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    member_crash(0, true);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    if (on_receive) {
        ck_assert_double_eq(metric("w", "processed"), 2);
        ck_assert_double_eq(metric("w", "lost"), 2);
        ck_assert_double_eq(metric("w", "redelivered"), 0);
        ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20) / 2, 1e-9);
    } else {
        ck_assert_double_eq(metric("w", "processed"), 4);
        ck_assert_double_eq(metric("w", "lost"), 0);
        ck_assert_double_eq(metric("w", "redelivered"), 2);
        ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
        ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 40 + 50) / 4, 1e-9);
    }
}

START_TEST(an_owned_members_crash_sends_its_batch_back_in_order)
{
    owned_crash_mid_batch(false);
}
END_TEST

START_TEST(an_owned_members_crash_loses_its_batch_on_receive)
{
    owned_crash_mid_batch(true);
}
END_TEST

/* The same with ack_delay 5 ms and the crash at 23 ms: 2 ended at 20, its
 * ack (due at 25) is lost, so 2, 3, 4 go back to the front in that order;
 * member 1 takes 2 with 3 and 4 fetched at 28 ms (38, 48, 58): 2 is
 * processed twice. */
START_TEST(an_owned_members_crash_with_ack_delay_sends_back_its_unacked)
{
    build(OWNED("1", "2", "rebalance = 5ms\nack_delay = 5ms\n"));
    publish_rr(4, 1);
    tl_run_until(&sim, 23 * MS);
    member_crash(0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 38 + 48 + 58) / 5, 1e-9);
}
END_TEST

/* Two partitions, two members; member 1 is down from the start (rebalance
 * 0: member 0 owns both). 8 messages at 1 ms (partition 0: 1, 3, 5, 7;
 * partition 1: 2, 4, 6, 8), batch 3, service 10 ms, no fetch latency:
 * member 0 takes 1 alone (11), then 2 with 4 and 6 from partition 1 (21,
 * 31, 41). Member 1 recovers at 25 ms: partition 1 goes back to it, but
 * member 0 keeps and finishes the batch it fetched (4 at 31, 6 at 41)
 * while member 1 waits for the partition; at 41 member 0 fetches 3, 5, 7
 * of its partition 0 (51, 61, 71) and member 1 takes 8 (51). Order holds
 * in each partition, nothing is delivered twice. */
START_TEST(an_owned_batch_keeps_partition_order_through_a_rebalance)
{
    build(OWNED("2", "2", ""));
    member_crash(1, true);
    tl_run_until(&sim, 1 * MS);
    publish_rr(8, 2);
    tl_run_until(&sim, 25 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    member_crash(1, false);
    tl_run_until(&sim, 41 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "rebalances"), 2);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"),
                            (10.0 + 20 + 30 + 40 + 50 + 50 + 60 + 70) / 8, 1e-9);
}
END_TEST

/* ---- batch with an autoscaler --------------------------------------------- */

/* Batch 5, service 1 s, 45 messages at 0, an autoscaler on lag (target 10,
 * min 1, max 5, period 10.4 s, cold start 2 s). One consumer: 1 alone
 * (ends 1 s), then 2-6 (2..6), 7-11 (7..11). At the first reading (10.4
 * s) 34 wait: ceil(34 / 10) = 4 consumers, 3 ready at 12.4 s. Consumer 0
 * fetches 12-16 at 11 (12..16) and 32-36 at 16 (17..21); the 3 new ones
 * 17-21, 22-26, 27-31 at 12.4 (13.4..17.4), then at 17.4 one 37-41
 * (18.4..22.4), one 42-45 (18.4..21.4), one none. The reading at 20.8 s
 * finds nothing waiting: down to 1 consumer while 3 process. The one on
 * 40 still holds 41 in its fetch: it finishes it (21.4..22.4), handed the
 * worker it holds, over the 1 consumer left until it ends. */
START_TEST(a_consumer_scaled_down_finishes_its_fetch)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\nbatch = 5\n"
                "autoscale = hpa(metric=lag, target=10, min=1, max=5, period=10400ms, "
                "tolerance=0%, window=0s, cold_start=2s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
    for (uint64_t k = 1; k <= 45; k++)
        publish(k);
    const struct station *st = queue_station(kind_lookup(&sim, "q"), 0);
    tl_run_until(&sim, 12 * S + 4 * S / 10 + 1);
    ck_assert_uint_eq(st->busy, 4);
    tl_run_until(&sim, 21 * S + 2 * S / 10);
    ck_assert_uint_eq(st->workers, 1);
    ck_assert_uint_eq(st->busy, 2); /* 40 with 41 fetched, 45 */
    tl_run_until(&sim, 21 * S + 4 * S / 10 + 1);
    ck_assert_uint_eq(st->busy, 1); /* 41, handed over */
    ck_assert_double_eq(metric("w", "processed"), 44);
    tl_run_until(&sim, 100 * S);
    ck_assert_double_eq(metric("w", "processed"), 45);
    ck_assert_uint_eq(st->busy, 0);
    /* ends: 1; 2..6; 7..11; 12..16; 3 x 13.4..17.4; 17..21; 18.4..22.4;
     * 18.4..21.4 */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"),
                            (1 + 20 + 45 + 70 + 3 * 77 + 95 + 102 + 79.6) * 1000 / 45, 1e-6);
}
END_TEST

/* Owned partitions (2, round_robin routing: 1, 3, .. 39 to partition 0,
 * 2, .. 40 to 1) with an autoscaler (min 1, max 2, lag target 10, period
 * 10.4 s, cold start 2 s, rebalance 0), batch 5, service 1 s, 40 messages
 * at 0. Member 0 owns both: 1 alone (1), then in turn 2-10 of partition 1
 * (2..6), 3-11 of 0 (7..11), 12-20 of 1 from 11 (12..16). The reading at
 * 10.4 s (29 waiting: ceil(29 / 10) = 3, capped at 2) adds member 1 at
 * 12.4 s: partition 1 is now member 1's, but member 0 finishes the batch
 * it fetched from it (14, 15, 16) while member 1 waits; at 16 member 0
 * fetches 13-21 of partition 0 and member 1 22-30 (17..21), then 23-31
 * and 32-40 (22..26), then member 0 33-39 (27..30). The reading at 20.8 s
 * (14 waiting, 7 per member) keeps 2; the one at 31.2 s, 1 (a rebalance). */
START_TEST(an_owned_batch_through_an_autoscalers_rebalance)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "assignment = range\nservice = const(1s)\nbatch = 5\n"
                "autoscale = hpa(metric=lag, target=10, min=1, max=2, period=10400ms, "
                "tolerance=0%, window=0s, cold_start=2s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
    publish_rr(40, 2);
    tl_run_until(&sim, 16 * S - 1);
    ck_assert_double_eq(metric("w", "processed"), 15);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    tl_run_until(&sim, 100 * S);
    ck_assert_double_eq(metric("w", "processed"), 40);
    ck_assert_double_eq(metric("w", "rebalances"), 2);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"),
                            (1.0 + 20 + 45 + 70 + 2 * 95 + 2 * 120 + 114) * 1000 / 40, 1e-6);
}
END_TEST

/* The lag an autoscaler reads counts the messages no consumer has started:
 * those waiting and those fetched into a batch (Kafka's lag is the log end
 * minus the committed offset; a fetch moves the position, not the commit),
 * so a larger batch hides none of it. One consumer, batch 5, service 1 s,
 * 7 messages at 0: 1 is taken alone (0..1), then 2 with 3-6 fetched (2
 * from 1 s), 7 waits. The reading at 1.5 s: 4 fetched + 1 waiting = 5 per
 * consumer against a target of 1: 5 consumers, 4 starting (counting only
 * the waiting one: 1, none starting; counting 2 in processing too: 6). */
START_TEST(the_lag_counts_fetched_messages)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\nbatch = 5\n"
                "autoscale = hpa(metric=lag, target=1, min=1, max=10, period=1500ms, "
                "tolerance=0%, window=0s, cold_start=10s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
    for (uint64_t k = 1; k <= 7; k++)
        publish(k);
    tl_run_until(&sim, S + S / 2 + 1);
    const char *names[8];
    double values[8];
    size_t n = w->kind->ts_extra(&sim, w, names, values, 8);
    double starting = -1, ready = -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "consumers_starting") == 0)
            starting = values[i];
        if (strcmp(names[i], "consumers_ready") == 0)
            ready = values[i];
    }
    ck_assert_double_eq(ready, 1);
    ck_assert_double_eq(starting, 4);
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
    tcase_add_test(tc, an_owned_partitions_batch_pays_one_fetch);
    tcase_add_test(tc, owned_members_fetch_from_one_partition_at_a_time);
    tcase_add_test(tc, an_owned_members_crash_sends_its_batch_back_in_order);
    tcase_add_test(tc, an_owned_members_crash_loses_its_batch_on_receive);
    tcase_add_test(tc, an_owned_members_crash_with_ack_delay_sends_back_its_unacked);
    tcase_add_test(tc, an_owned_batch_keeps_partition_order_through_a_rebalance);
    tcase_add_test(tc, a_consumer_scaled_down_finishes_its_fetch);
    tcase_add_test(tc, an_owned_batch_through_an_autoscalers_rebalance);
    tcase_add_test(tc, the_lag_counts_fetched_messages);
    suite_add_tcase(s, tc);
    return s;
}
