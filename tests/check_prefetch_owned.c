/* Prefetch with owned partitions and with an autoscaler (the consumers'
 * `prefetch = N` with assignment = range or round_robin, or autoscale;
 * models/kinds/queue.c, "Prefetch"), driven publish by publish with
 * constant times so every figure is exact: a member buffers up to N
 * messages of the partitions it owns; a rebalance that moves a partition
 * sends the old owner's buffered messages of it back to its front, the old
 * owner finishes the one it processes and the new owner starts after it,
 * so the order holds and nothing is processed twice; a member's crash
 * sends its buffer back (after_processing) or loses it (on_receive); a slow
 * member slows only its own partitions; a consumer an autoscaler removes
 * finishes its message and hands its buffer back in order (nothing lost,
 * nothing twice), and a new one gets an empty buffer and full credit. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

static double group_ts(const char *name)
{
    struct component *c = kind_lookup(&sim, "w");
    const char *names[8];
    double values[8];
    size_t n = c->kind->ts_extra(&sim, c, names, values, 8);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    ck_abort_msg("w has no time-series figure %s", name);
    return NAN;
}

/* The key partition p processes now, or 0 when it processes none. */
static uint64_t serving_in(uint32_t p)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), p);
    ck_assert_uint_le(st->busy, 1); /* one message of a partition at a time */
    return st->busy ? st->serving[0].r->key : 0;
}

/* The autoscaler's readings start (a run's start does it). */
static void start_autoscaler(void)
{
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
}

/* ---- a rebalance --------------------------------------------------------------- */

/* One partition, two members (range: the first live one owns it), prefetch
 * 3, 10 ms a message, rebalance 4 ms. Member 0 is down from the start
 * (before any message), so member 1 owns the partition. Six messages (one
 * key: a partition's order is the key's) at 5 ms: member 1 gets 1 (in
 * processing, [5, 15)) and 2, 3 (buffered); 4, 5, 6 wait at the broker.
 * Member 0 recovers at 10 ms: the group pauses to 14 ms, when the
 * partition goes to member 0 and member 1's buffered 2 and 3 go back to
 * its front (the log is 2, 3, 4, 5, 6 again); member 1 finishes 1 at 15
 * ms and member 0, which waited for it, starts 2 then: 2, 3, 4, 5, 6 end at
 * 25, 35, 45, 55, 65 ms. End-to-end 10, 20, ..., 60 ms: mean 35. */
START_TEST(a_rebalance_sends_the_moved_buffer_back_and_the_new_owner_waits)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nassignment = range\n"
                "rebalance = 4ms\nservice = const(10ms)\nprefetch = 3\n");
    fault(0, FAULT_CRASH, 0, true);
    tl_run_until(&sim, 5 * MS);
    for (int i = 0; i < 6; i++)
        publish(7);
    ck_assert_uint_eq(serving_in(0), 7);
    ck_assert_double_eq(backlog_now(), 3); /* 4, 5, 6: member 1's credit is used */
    tl_run_until(&sim, 10 * MS);
    fault(0, FAULT_CRASH, 0, false);
    ck_assert_double_eq(group_ts("rebalancing"), 1);
    tl_run_until(&sim, 14 * MS + MS / 2);
    ck_assert_double_eq(group_ts("rebalancing"), 0);
    ck_assert_double_eq(backlog_now(), 5); /* 2 and 3 back in front of 4, 5, 6 */
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_uint_eq(serving_in(0), 7); /* member 1 finishes 1: member 0 waits */
    tl_run_until(&sim, 15 * MS + MS / 2);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(backlog_now(), 2); /* 2 (in processing), 3, 4 sent to member 0 */
    tl_run_until(&sim, 65 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 65 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "rebalances"), 2); /* the crash, the recovery */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 35, 1e-9);
    ck_assert_uint_eq(serving_in(0), 0);
}
END_TEST

/* Two partitions dealt in turn (keys 10: partition 0, 20: partition 1),
 * two members (range: member 0 owns partition 0, member 1 partition 1),
 * prefetch 3, 10 ms a message, rebalance 0. Eight messages at 0: member 0
 * processes 1 with 3, 5 buffered (7 waits); member 1 processes 2 with 4, 6
 * buffered (8 waits). Member 1 crashes at 5 ms: 2 (cut) and its buffer 4,
 * 6 go back to the front of partition 1, in order (2, 4, 6, 8); member 0
 * then owns both and serves them in turn as its credit frees: 3 at 10 ms
 * (7 sent), 5 at 20 (2 sent), 7 at 30 (4 sent), then 2, 4, 6, 8. Ends 10,
 * 20, ..., 80 ms: mean 45; nothing lost or processed twice, each
 * partition's order kept. */
START_TEST(a_member_crash_sends_its_buffer_back_after_processing)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nservice = const(10ms)\nprefetch = 3\n");
    for (int i = 0; i < 4; i++) {
        publish(10);
        publish(20);
    }
    ck_assert_double_eq(backlog_now(), 2);
    tl_run_until(&sim, 5 * MS);
    fault(1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    ck_assert_double_eq(backlog_now(), 5); /* 7; 2, 4, 6, 8 */
    tl_run_until(&sim, 40 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 4); /* 1, 3, 5, 7 */
    ck_assert_uint_eq(serving_in(1), 20);             /* 2 */
    tl_run_until(&sim, 80 * MS);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 45, 1e-9);
}
END_TEST

/* The same crash with ack = on_receive: 2, 4 and 6 were forgotten when
 * they were delivered: lost. Member 0 processes 1, 3, 5, 7, 8 (ends 10,
 * 20, 30, 40, 50 ms). */
START_TEST(a_member_crash_loses_its_buffer_on_receive)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nservice = const(10ms)\nprefetch = 3\n"
                "ack = on_receive\n");
    for (int i = 0; i < 4; i++) {
        publish(10);
        publish(20);
    }
    tl_run_until(&sim, 5 * MS);
    fault(1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "lost"), 3);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 30, 1e-9);
}
END_TEST

/* Member 1 three times slow (30 ms a message): partition 1's 2, 4, 6 end at
 * 30, 60, 90 ms; partition 0's 1, 3, 5, on member 0, at 10, 20, 30. */
START_TEST(a_slow_member_slows_only_its_own_partitions)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nservice = const(10ms)\nprefetch = 2\n");
    fault(1, FAULT_SLOW, 3, true);
    for (int i = 0; i < 3; i++) {
        publish(10);
        publish(20);
    }
    tl_run_until(&sim, 30 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2); /* 1, 3 */
    tl_run_until(&sim, 30 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4); /* 5, and 2 */
    tl_run_until(&sim, 90 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 30 + 60 + 90) / 6,
                            1e-9);
}
END_TEST

/* ---- an autoscaler ---------------------------------------------------------- */

#define SCALED_T(start, max, prefetch, target)                                                   \
    QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = " start "\n"                       \
          "service = const(10ms)\nprefetch = " prefetch "\n"                                    \
          "autoscale = hpa(metric=lag, target=" target ", min=1, max=" max ", period=25ms, "    \
          "tolerance=0%, window=0s, cold_start=0s)\n"
#define SCALED(start, max, prefetch) SCALED_T(start, max, prefetch, "2")

/* A shared group of 2, prefetch 4, 12 messages at 0: consumer 0 gets 1, 3,
 * 5, 7 and consumer 1 2, 4, 6, 8 (round robin); as their credit frees at
 * 10 and 20 ms the broker sends 9, 11 to consumer 0 and 10, 12 to
 * consumer 1. At the reading at 25 ms nothing waits at the broker but six
 * are buffered, not started: the lag is 6 (3 a consumer), and for a target
 * of 6 one consumer is enough (for 2, see below); consumer 1, processing 6, with 8, 10, 12
 * buffered, is removed: it finishes 6 at 30 ms and its three buffered go
 * back to the broker's front, in order, to consumer 0, which ends 7, 9, 11
 * at 40, 50, 60 and 8, 10, 12 at 70, 80, 90. Ends 10, 10, 20, 20, 30, 30,
 * 40, 50, 60, 70, 80, 90: mean 42.5; nothing lost, nothing twice. */
START_TEST(a_scale_down_hands_the_buffer_back_in_order)
{
    build(SCALED_T("2", "2", "4", "6"));
    start_autoscaler();
    for (int i = 0; i < 12; i++)
        publish(5); /* one key: its order is the queue's */
    tl_run_until(&sim, 25 * MS - 1);
    ck_assert_double_eq(group_ts("consumers_ready"), 2);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(group_ts("consumers_ready"), 1);
    ck_assert_double_eq(backlog_now(), 3); /* 8, 10, 12 handed back */
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 2);
    tl_run_until(&sim, 30 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 1); /* 6's consumer left */
    tl_run_until(&sim, 90 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 11);
    tl_run_until(&sim, 90 * MS);
    ck_assert_double_eq(metric("w", "processed"), 12);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    /* consumer 0 had 7, 9, 11 when 8, 10, 12 came back: 8 and 10 end after 11
     * (shared consumers keep no order; nothing is lost or processed twice) */
    ck_assert_double_eq(metric("w", "out_of_order"), 2);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 510.0 / 12, 1e-9);
}
END_TEST

/* A shared group of 1 (max 2), prefetch 2, 10 messages at 0: consumer 0
 * gets 1, 2; 3 and 4 follow as its credit frees (at 10, 20 ms). At the
 * reading at 25 ms six wait (5..10): lag 6 for a target of 2: a second
 * consumer, ready at once with an empty buffer and its full credit: 5 and 6
 * go to it (5 in [25, 35), 6 in [35, 45)); the round robin then deals 7, 9
 * to consumer 0 and 8, 10 to consumer 1. Ends 1: 10, 2: 20, 3: 30, 5: 35,
 * 4: 40, 6: 45, then 7: 50, 8: 55 (before the next reading matters). */
START_TEST(a_new_consumer_gets_an_empty_buffer_and_full_credit)
{
    build(SCALED("1", "2", "2"));
    start_autoscaler();
    for (int i = 0; i < 10; i++)
        publish(5);
    tl_run_until(&sim, 25 * MS - 1);
    ck_assert_double_eq(backlog_now(), 6);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(group_ts("consumers_ready"), 2);
    ck_assert_double_eq(backlog_now(), 4); /* 5, 6 sent to the new consumer */
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 2);
    tl_run_until(&sim, 35 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 45 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(backlog_now(), 0); /* 7, 9 to consumer 0; 8, 10 to consumer 1 */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 35 + 40 + 45) / 6,
                            1e-9);
}
END_TEST

/* Owned: two partitions dealt in turn, two members (max 2), prefetch 3,
 * rebalance 2 ms. Eight messages at 0: member 0 processes 1 with 3, 5
 * buffered, member 1 2 with 4, 6; 7 and 8 follow at 10 ms. At the reading
 * at 25 ms nothing waits: member 1 (processing 6, 8 buffered) is removed:
 * 8 goes back to partition 1's front and the group pauses to 27 ms. Then
 * member 0 owns both, keeps its buffered 7 and waits for member 1 to
 * finish 6 (at 30 ms) before partition 1 sends it 8: ends 5: 30, 6: 30, 7:
 * 40, 8: 50. Ends 10, 10, 20, 20, 30, 30, 40, 50: mean 26.25, in order. */
START_TEST(an_owned_scale_down_hands_the_buffer_back_and_the_new_owner_waits)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nrebalance = 2ms\nservice = const(10ms)\n"
                "prefetch = 3\n"
                "autoscale = hpa(metric=lag, target=2, min=1, max=2, period=25ms, "
                "tolerance=0%, window=0s, cold_start=0s)\n");
    start_autoscaler();
    for (int i = 0; i < 4; i++) {
        publish(10);
        publish(20);
    }
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(group_ts("consumers_ready"), 1);
    ck_assert_double_eq(backlog_now(), 1); /* 8 */
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    tl_run_until(&sim, 28 * MS);
    ck_assert_double_eq(group_ts("rebalancing"), 0);
    ck_assert_double_eq(backlog_now(), 1); /* 8 waits for 6 to end */
    ck_assert_uint_eq(serving_in(1), 20);
    tl_run_until(&sim, 30 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 50 * MS);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 210.0 / 8, 1e-9);
}
END_TEST

/* The lag the autoscaler reads counts the buffered messages (delivered, not
 * started), as Kafka's lag (log end minus committed offset) counts those a
 * consumer fetched: the same in a shared group and an owned one. Shared:
 * the group above with a target of 2: the six buffered at 25 ms are 3 a
 * consumer, so it keeps its 2 (with nothing waiting at the broker): 1..8
 * end at 10, 20, 30, 40 on each (mean 25), nothing handed back. Owned: the owned group of the test above
 * with a target of 1: 7 and 8 buffered at 25 ms, 1 a member: it keeps its 2
 * and nothing is handed back; ends 10, 20, 30, 40 on each: mean 25. */
START_TEST(the_lag_counts_the_buffered_messages_shared_and_owned)
{
    build(SCALED("2", "2", "4"));
    start_autoscaler();
    for (int i = 0; i < 12; i++)
        publish(5);
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_double_eq(group_ts("consumers_ready"), 2);
    tl_run_until(&sim, 50 * MS - 1); /* both still at work: 1..8 ended by 40 ms */
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(group_ts("consumers_ready"), 2);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 25, 1e-9);
    teardown();
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nrebalance = 2ms\nservice = const(10ms)\n"
                "prefetch = 3\n"
                "autoscale = hpa(metric=lag, target=1, min=1, max=2, period=25ms, "
                "tolerance=0%, window=0s, cold_start=0s)\n");
    start_autoscaler();
    for (int i = 0; i < 4; i++) {
        publish(10);
        publish(20);
    }
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_double_eq(group_ts("consumers_ready"), 2);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(metric("w", "rebalances"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 25, 1e-9);
}
END_TEST

/* ---- with acks on their way, calls, dedupe, batch ------------------------------ */

#define OWNED1(extra)                                                                           \
    QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 1\nassignment = range\n"          \
          "service = const(10ms)\n" extra

/* One member owning one partition, ack_delay 5 ms, four messages at 0.
 * Prefetch 2: 1 starts, 2 is buffered; 1 ends at 10 (its ack on its way
 * holds the credit) and 2 starts; 1's ack at 15 lets 3 in, 2's at 25 lets
 * 4 in: ends 10, 20, 30, 40. Prefetch 1 waits for each ack: 2 is sent at
 * 15, 3 at 30, 4 at 45: ends 10, 25, 40, 55. */
START_TEST(an_owned_members_credit_is_held_until_its_ack_lands)
{
    build(OWNED1("prefetch = 2\nack_delay = 5ms\n"));
    for (int i = 0; i < 4; i++)
        publish(7);
    tl_run_until(&sim, 14 * MS);
    ck_assert_double_eq(backlog_now(), 2); /* 3, 4: 2 in processing, 1's ack on its way */
    tl_run_until(&sim, 15 * MS);
    ck_assert_double_eq(backlog_now(), 1);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 25, 1e-9);
    teardown();
    build(OWNED1("prefetch = 1\nack_delay = 5ms\n"));
    for (int i = 0; i < 4; i++)
        publish(7);
    tl_run_until(&sim, 15 * MS - 1);
    ck_assert_double_eq(backlog_now(), 3);
    ck_assert_uint_eq(serving_in(0), 0); /* idle, waiting for 1's ack */
    tl_run_until(&sim, 55 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    tl_run_until(&sim, 55 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 25 + 40 + 55) / 4, 1e-9);
}
END_TEST

/* One partition, two members (range: member 0 owns it), prefetch 2,
 * ack_delay 5 ms, four messages at 0 (one key). Member 0 processes 1
 * (ends 10, ack due at 15) then 2; it crashes at 12: 2 is cut and 1's ack
 * lost (its ring is member 0's), so 1, 2 go back in front of 3, 4
 * (acks_lost 1, redelivered 2) and member 1 owns the partition (rebalance
 * 0): 1 and 2 are sent to it at 12. Without dedupe 1 is processed again
 * [12, 22), then 2 [22, 32) (its credit: 1's ack at 27 lets 4 in), 3
 * [32, 42), 4 [42, 52): 5 processings, one twice. With dedupe 1 has been
 * seen: acked unprocessed at once, so 2 starts at 12 [12, 22), 3 [22, 32),
 * 4 [32, 42): 4 processings, 1 deduped, none twice. */
START_TEST(an_owned_members_crash_loses_its_acks_and_dedupe_skips_the_copy)
{
    for (int d = 0; d < 2; d++) {
        build(d ? QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nassignment = range\n"
                        "service = const(10ms)\nprefetch = 2\nack_delay = 5ms\ndedupe = 1s\n"
                : QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nassignment = range\n"
                        "service = const(10ms)\nprefetch = 2\nack_delay = 5ms\n");
        for (int i = 0; i < 4; i++)
            publish(7);
        tl_run_until(&sim, 12 * MS);
        fault(0, FAULT_CRASH, 0, true);
        ck_assert_double_eq(metric("w", "acks_lost"), 1);
        ck_assert_double_eq(metric("w", "redelivered"), 2);
        ck_assert_double_eq(backlog_now(), 4); /* 1, 2, 3, 4: the rebalance is next */
        tl_run_until(&sim, 12 * MS);
        /* 1, 2 sent to member 1; 3, 4 wait (dedupe: 1 skipped at once, 3 sent) */
        ck_assert_double_eq(backlog_now(), d ? 1 : 2);
        int64_t end = d ? 42 * MS : 52 * MS;
        tl_run_until(&sim, end - 1);
        ck_assert_double_eq(metric("w", "processed"), d ? 3 : 4);
        tl_run_until(&sim, end);
        ck_assert_double_eq(metric("w", "processed"), d ? 4 : 5);
        ck_assert_double_eq(metric("w", "duplicates_processed"), d ? 0 : 1);
        if (d)
            ck_assert_double_eq(metric("w", "deduped"), 1);
        ck_assert_double_eq(metric("w", "lost"), 0);
        ck_assert_double_eq(metric("w", "out_of_order"), 0);
        teardown();
    }
    build(OWNED1("")); /* for the fixture's teardown */
}
END_TEST

/* Two partitions dealt in turn (keys 10: 0, 20: 1), two members, prefetch
 * 2, 10 ms a message then a 5 ms call (the member held through it), six
 * messages at 0: member 0 processes 1 (acked at 15) with 3 buffered, member
 * 1 2 with 4 buffered. Member 1 crashes at 12, 2 out on its call: the call
 * is detached, 2 cut and 4 returned: partition 1's log is 2, 4, 6 again
 * (redelivered 2) and member 0 owns both (rebalance 0). Its credit frees at
 * each ack: 3 [15, 30), then 5, 2, 4, 6 (its partitions in turn, each in
 * order) at 15 ms each: the last ends at 90. Nothing lost or twice. */
START_TEST(an_owned_members_crash_mid_call_sends_the_message_and_its_buffer_back)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nassignment = range\nservice = const(10ms)\nprefetch = 2\n"
                "calls = s\n\n[service s]\nservice = const(5ms)\nworkers = 4\n");
    for (int i = 0; i < 3; i++) {
        publish(10);
        publish(20);
    }
    tl_run_until(&sim, 12 * MS);
    fault(1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 4); /* 5; 2, 4, 6 */
    tl_run_until(&sim, 15 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1);
    tl_run_until(&sim, 90 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 90 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
}
END_TEST

/* When consumer 0 first processes, in [t, t + 10 ms): the test steps the
 * clock by 10 us (the draws are not on a grid); 4 messages (10 ms each)
 * after t0, the time from the first end to the fourth. */
static int64_t ends_span(int64_t t0)
{
    int64_t first = -1;
    for (int64_t t = t0; t < t0 + 400 * MS; t += 10000) {
        tl_run_until(&sim, t);
        double p = metric("w", "processed");
        if (p >= 1 && first < 0)
            first = t;
        if (p >= 4)
            return t - first;
    }
    ck_abort_msg("not 4 processed");
    return -1;
}

/* An owned member's delivery carries up to batch messages on one round
 * trip. One member owning two partitions, prefetch 4, a round trip of
 * uniform(1ms, 200ms), 10 ms a message, down while four messages (two per
 * partition) are published, back at 10 ms: with batch = 4 one delivery
 * carries all four (its partitions in turn), landing together, so they are
 * processed back to back: the fourth ends exactly 30 ms after the first
 * (within the 10 us step). With batch = 1 each has its own round trip and
 * the later draws leave the member idle between them: more than 30 ms. */
START_TEST(an_owned_members_delivery_carries_up_to_batch_messages_on_one_round_trip)
{
    for (int b = 4; b >= 1; b -= 3) {
        char text[512];
        snprintf(text, sizeof text,
                 QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n[consumers w]\n"
                       "from = q\nconsumers = 1\nassignment = range\nservice = const(10ms)\n"
                       "prefetch = 4\nbatch = %d\nfetch_latency = uniform(1ms, 200ms)\n", b);
        build(text);
        fault(0, FAULT_CRASH, 0, true);
        for (int i = 0; i < 2; i++) {
            publish(10);
            publish(20);
        }
        tl_run_until(&sim, 10 * MS);
        fault(0, FAULT_CRASH, 0, false);
        tl_run_until(&sim, 10 * MS); /* the rebalance (0 s) */
        ck_assert_double_eq(backlog_now(), 0); /* all four sent at once */
        int64_t span = ends_span(10 * MS);
        if (b == 4)
            ck_assert_int_le(llabs(span - 30 * MS), 10000);
        else
            ck_assert_int_gt(span, 30 * MS + 20000);
        ck_assert_double_eq(metric("w", "out_of_order"), 0);
        teardown();
    }
    build(OWNED1("")); /* for the fixture's teardown */
}
END_TEST

#define SCALED_ACKS(extra)                                                                       \
    QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"                               \
          "service = const(10ms)\nprefetch = 2\n" extra                                         \
          "autoscale = hpa(metric=lag, target=2, min=1, max=2, period=25ms, "                   \
          "tolerance=0%, window=0s, cold_start=0s)\n"

/* A shared group of 2, prefetch 2, acks 20 ms on their way, four messages
 * at 0: consumer 0 processes 1 then 3, consumer 1 2 then 4 (ends 10, 20;
 * acks at 30, 40). At the reading at 25 ms nothing waits: consumer 1 (idle,
 * the highest) is removed with its acks of 2 and 4 on their way. 5 and 6,
 * published at 26 ms, wait for consumer 0's credit (its acks): 1's ack at
 * 30 lets 5 in [30, 40), 3's at 40 lets 6 in [40, 50); consumer 1's acks
 * land too (nothing lost or twice), and its credit freed at 30 takes
 * nothing (else 5 and 6 would both end at 40). If instead consumer 1
 * crashes at 27 ms, after its removal, its two acks are lost: 2 and 4 go
 * back in front of 5, 6, and consumer 0 processes 2 [30, 40), 4 [40, 50),
 * then, each credit freed by an ack 20 ms after its processing, 5 [60, 70)
 * and 6 [70, 80): 8 processings, 2 twice. */
START_TEST(a_removed_consumers_acks_land_or_a_crash_loses_them)
{
    for (int crash = 0; crash < 2; crash++) {
        build(SCALED_ACKS("ack_delay = 20ms\n"));
        start_autoscaler();
        for (int i = 0; i < 4; i++)
            publish(5);
        tl_run_until(&sim, 25 * MS + 1);
        ck_assert_double_eq(group_ts("consumers_ready"), 1);
        tl_run_until(&sim, 26 * MS);
        publish(5);
        publish(5);
        tl_run_until(&sim, 27 * MS);
        if (crash) {
            fault(1, FAULT_CRASH, 0, true);
            ck_assert_double_eq(metric("w", "acks_lost"), 2);
            ck_assert_double_eq(backlog_now(), 4); /* 2, 4, 5, 6 */
        } else {
            ck_assert_double_eq(backlog_now(), 2);
        }
        int64_t end = crash ? 80 * MS : 50 * MS;
        tl_run_until(&sim, 40 * MS + 1);
        ck_assert_double_eq(metric("w", "processed"), 5);
        tl_run_until(&sim, end - 1);
        ck_assert_double_eq(metric("w", "processed"), crash ? 7 : 5);
        tl_run_until(&sim, end);
        ck_assert_double_eq(metric("w", "processed"), crash ? 8 : 6);
        ck_assert_double_eq(metric("w", "duplicates_processed"), crash ? 2 : 0);
        ck_assert_double_eq(metric("w", "acks_lost"), crash ? 2 : 0);
        ck_assert_double_eq(metric("w", "lost"), 0);
        tl_run_until(&sim, end + 20 * MS); /* every ack landed: nothing held */
        ck_assert_double_eq(metric("q", "lost_total"), 0);
        ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 0);
        teardown();
    }
    build(OWNED1("")); /* for the fixture's teardown */
}
END_TEST

/* A shared group of 2, prefetch 2, 10 ms a message then a 10 ms call, six
 * messages at 0: consumer 0 processes 1 with 3 buffered, consumer 1 2
 * with 4; at 20 ms 1 and 2 are acked, 3 and 4 start and 5, 6 are sent.
 * At the reading at 25 ms nothing waits: consumer 1 (busy with 4, as
 * consumer 0 with 3: the highest) is removed: it finishes 4 and its call
 * (acked at 40) and hands 6 back. Consumer 0 has no credit before 3's ack
 * at 40: 5 [40, 60) with 6 sent then, 6 [60, 80). Ends 20, 20, 40, 40,
 * 60, 80: 6 calls, 6 redelivered once, nothing lost or twice. */
START_TEST(a_removed_consumer_finishes_its_call_and_hands_its_buffer_back)
{
    build(SCALED_ACKS("calls = s\n") "\n[service s]\nservice = const(10ms)\nworkers = 4\n");
    start_autoscaler();
    for (int i = 0; i < 6; i++)
        publish(5);
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(group_ts("consumers_ready"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_double_eq(backlog_now(), 1); /* 6 */
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 2);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 80 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 80 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "calls"), 6);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 20 + 40 + 40 + 60 + 80) / 6,
                            1e-9);
}
END_TEST

Suite *prefetch_owned_suite(void)
{
    Suite *s = suite_create("prefetch_owned");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, a_rebalance_sends_the_moved_buffer_back_and_the_new_owner_waits);
    tcase_add_test(tc, a_member_crash_sends_its_buffer_back_after_processing);
    tcase_add_test(tc, a_member_crash_loses_its_buffer_on_receive);
    tcase_add_test(tc, a_slow_member_slows_only_its_own_partitions);
    tcase_add_test(tc, a_scale_down_hands_the_buffer_back_in_order);
    tcase_add_test(tc, a_new_consumer_gets_an_empty_buffer_and_full_credit);
    tcase_add_test(tc, an_owned_scale_down_hands_the_buffer_back_and_the_new_owner_waits);
    tcase_add_test(tc, the_lag_counts_the_buffered_messages_shared_and_owned);
    tcase_add_test(tc, an_owned_members_credit_is_held_until_its_ack_lands);
    tcase_add_test(tc, an_owned_members_crash_loses_its_acks_and_dedupe_skips_the_copy);
    tcase_add_test(tc, an_owned_members_crash_mid_call_sends_the_message_and_its_buffer_back);
    tcase_add_test(tc, an_owned_members_delivery_carries_up_to_batch_messages_on_one_round_trip);
    tcase_add_test(tc, a_removed_consumers_acks_land_or_a_crash_loses_them);
    tcase_add_test(tc, a_removed_consumer_finishes_its_call_and_hands_its_buffer_back);
    suite_add_tcase(s, tc);
    return s;
}
