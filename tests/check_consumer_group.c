/* Consumer groups that own partitions (models/kinds/queue.c, assignment =
 * range or round_robin), driven publish by publish with constant service
 * times so every count is exact: each partition has one owner at a time, a
 * consumer owning several partitions serves them one message at a time in
 * turn, consumers beyond the partitions sit idle; a crash or recovery of a
 * member rebalances the group (paused for `rebalance`, then the partitions
 * are assigned again), and a partition's order holds across the
 * reassignment; an autoscaler on lag never asks for more consumers than
 * partitions; an ack on its way (ack_delay) that a crash loses makes the
 * message come back and be processed twice, counted once in
 * duplicates_processed. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

static double group_ts(const char *group, const char *name)
{
    struct component *c = kind_lookup(&sim, group);
    const char *names[8];
    double values[8];
    size_t n = c->kind->ts_extra(&sim, c, names, values, 8);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    ck_abort_msg("%s has no time-series figure %s", group, name);
    return NAN;
}

/* The key partition p is processing now, or 0 when it processes none. */
static uint64_t serving_in(uint32_t p)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), p);
    ck_assert_uint_le(st->busy, 1); /* one owner at a time */
    return st->busy ? st->serving[0].r->key : 0;
}

static void crash(uint32_t member, bool start)
{
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, (int32_t)member, FAULT_CRASH, 0, start);
}

/* ---- a fault on one member ------------------------------------------------ */

static void slow(int32_t member, double factor, bool start)
{
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, member, FAULT_SLOW, factor, start);
}

START_TEST(a_slow_member_slows_only_the_messages_it_processes)
{
    /* 2 partitions, 2 members (range: member 0 owns partition 0, member 1
     * partition 1), 10 ms a message; member 1 slowed 3 times from 0. Keys
     * 1..6 dealt in turn: 1, 3, 5 to partition 0, done at 10, 20, 30 ms
     * whatever member 1 does; 2, 4 to partition 1, done at 30, 60 ms. */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n"
                "assignment = range\n");
    slow(1, 3.0, true);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 10 * MS - 1);
    ck_assert_uint_eq(serving_in(0), 1);
    ck_assert_uint_eq(serving_in(1), 2);
    tl_run_until(&sim, 10 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_uint_eq(serving_in(0), 3);
    tl_run_until(&sim, 20 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 30 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_uint_eq(serving_in(1), 2);
    tl_run_until(&sim, 30 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4); /* 5 on partition 0, 2 on 1 */
    ck_assert_uint_eq(serving_in(0), 0);
    ck_assert_uint_eq(serving_in(1), 4);
    /* the fault ends at 45 ms: 4, started slowed, still ends at 60 ms; 6
     * starts then and takes its normal 10 ms */
    tl_run_until(&sim, 45 * MS);
    slow(1, 3.0, false);
    tl_run_until(&sim, 60 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 60 * MS);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_uint_eq(serving_in(1), 6);
    tl_run_until(&sim, 70 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 70 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
}
END_TEST

START_TEST(a_slow_member_slows_the_partition_it_takes_over)
{
    /* 2 partitions, 2 members, member 1 slowed 2 times; member 0 crashes at
     * 0: after the rebalance (0 s) member 1 owns both partitions and
     * processes 1 (p0) 0..20 ms, then 2 (p1) 20..40 ms; member 0 back at
     * 100 ms takes partition 0 again: 3 (p0) at normal speed 100..110 ms */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n"
                "assignment = range\nrebalance = 0s\n");
    slow(1, 2.0, true);
    crash(0, true);
    publish(1);
    publish(2);
    tl_run_until(&sim, 20 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 0);
    tl_run_until(&sim, 20 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 100 * MS);
    crash(0, false);
    publish(3);
    tl_run_until(&sim, 110 * MS);
    ck_assert_double_eq(metric("w", "processed"), 3);
}
END_TEST

/* ---- ownership ----------------------------------------------------------- */

START_TEST(range_gives_consecutive_partitions_served_in_turn)
{
    /* 4 partitions, 3 consumers, range: member 0 owns 0 and 1, member 1
     * owns 2, member 2 owns 3. 8 messages dealt in turn: keys 1..4 to
     * partitions 0..3, keys 5..8 again. Member 0 processes one message at
     * a time: 1 (p0), 2 (p1), 5 (p0), 6 (p1), ending at 4 s; the others
     * are done at 2 s. */
    build(QUIET "[queue q]\npartitions = 4\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 3\nservice = const(1s)\n"
                "assignment = range\n");
    for (uint64_t k = 1; k <= 8; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    ck_assert_uint_eq(serving_in(0), 1);
    ck_assert_uint_eq(serving_in(1), 0); /* its owner is busy on partition 0 */
    ck_assert_uint_eq(serving_in(2), 3);
    ck_assert_uint_eq(serving_in(3), 4);
    tl_run_until(&sim, S + S / 2);
    ck_assert_uint_eq(serving_in(0), 0);
    ck_assert_uint_eq(serving_in(1), 2);
    ck_assert_uint_eq(serving_in(2), 7);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(serving_in(0), 5);
    ck_assert_double_eq(metric("w", "processed"), 6);
    tl_run_until(&sim, 3 * S + S / 2);
    ck_assert_uint_eq(serving_in(1), 6);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "rebalances"), 0); /* the group as it starts */
    ck_assert_double_eq(metric("w", "idle_consumers"), 0);
}
END_TEST

START_TEST(round_robin_deals_partitions_and_extra_consumers_idle)
{
    /* round_robin, 3 partitions, 5 consumers: partition p to member p;
     * members 3 and 4 own none: idle_consumers 2; all five count in the
     * utilisation: 3 busy for 1 s of 10 s over 5 is 0.06 */
    build(QUIET "[queue q]\npartitions = 3\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 5\nservice = const(1s)\n"
                "assignment = round_robin\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    for (uint32_t p = 0; p < 3; p++)
        ck_assert_uint_eq(serving_in(p), p + 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "idle_consumers"), 2);
    ck_assert_double_eq_tol(metric("w", "consumer_utilization"), 0.06, 1e-12);
}
END_TEST

START_TEST(round_robin_with_fewer_consumers_owns_every_other_partition)
{
    /* round_robin, 4 partitions, 3 consumers: member 0 owns 0 and 3 (and
     * serves 1 then 4), member 1 owns 1, member 2 owns 2 */
    build(QUIET "[queue q]\npartitions = 4\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 3\nservice = const(1s)\n"
                "assignment = round_robin\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    ck_assert_uint_eq(serving_in(0), 1);
    ck_assert_uint_eq(serving_in(1), 2);
    ck_assert_uint_eq(serving_in(2), 3);
    ck_assert_uint_eq(serving_in(3), 0);
    tl_run_until(&sim, S + S / 2);
    ck_assert_uint_eq(serving_in(3), 4);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
}
END_TEST

START_TEST(a_shared_group_reports_no_ownership_figures)
{
    build(QUIET "[queue q]\npartitions = 2\n\n[consumers w]\nfrom = q\nconsumers = 4\n"
                "service = const(1s)\n");
    ck_assert(!has_metric("w", "rebalances"));
    ck_assert(!has_metric("w", "idle_consumers"));
    ck_assert(!has_metric("w", "acks_lost"));
}
END_TEST

/* ---- rebalancing ------------------------------------------------------------ */

START_TEST(a_crash_and_a_recovery_are_two_rebalances_and_order_holds)
{
    /* 2 partitions, 2 consumers, range, rebalance 1 s. Keys 10, 20, 10, 20
     * dealt in turn: partition 0 holds 10 (a), 10 (b); partition 1 holds
     * 20 (a), 20 (b). Member 1 crashes at 0.5 s while processing 20 (a):
     * it goes back to the front of partition 1; the group pauses to 1.5 s
     * (member 0 ends 10 (a) at 1 s and waits). At 1.5 s member 0 owns both:
     * 10 (b) to 2.5 s. Member 1 recovers at 2 s: a second pause, to 3 s
     * (member 0 ends 10 (b) at 2.5 s and waits). At 3 s member 1 owns
     * partition 1 again: 20 (a) to 4 s, 20 (b) to 5 s, in order. */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n"
                "assignment = range\nrebalance = 1s\n");
    publish(10);
    publish(20);
    publish(10);
    publish(20);
    tl_run_until(&sim, S / 2);
    ck_assert_uint_eq(serving_in(1), 20);
    crash(1, true);
    ck_assert_uint_eq(serving_in(1), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    ck_assert_double_eq(group_ts("w", "rebalancing"), 1);
    tl_run_until(&sim, S + S / 5);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_uint_eq(serving_in(0), 0); /* paused */
    ck_assert_uint_eq(serving_in(1), 0);
    tl_run_until(&sim, S + S * 6 / 10);
    ck_assert_double_eq(group_ts("w", "rebalancing"), 0);
    ck_assert_uint_eq(serving_in(0), 10);
    ck_assert_uint_eq(serving_in(1), 0);
    tl_run_until(&sim, 2 * S);
    crash(1, false);
    ck_assert_double_eq(metric("w", "rebalances"), 2);
    tl_run_until(&sim, 2 * S + S * 7 / 10);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_uint_eq(serving_in(0), 0); /* paused: 20 (a) still waits */
    ck_assert_uint_eq(serving_in(1), 0);
    tl_run_until(&sim, 3 * S + S / 2);
    ck_assert_uint_eq(serving_in(1), 20);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "rebalances"), 2);
    ck_assert_double_eq_tol(metric("w", "rebalance_paused_s"), 2.0, 1e-12);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
}
END_TEST

START_TEST(a_change_during_a_pause_restarts_it_as_one_rebalance)
{
    /* 3 consumers, rebalance 1 s: member 1 crashes at 1 s, member 2 at
     * 1.5 s (the pause restarts: it ends at 2.5 s), member 2 recovers at
     * 4 s (a second rebalance, to 5 s): 2 rebalances, 2.5 s paused */
    build(QUIET "[queue q]\npartitions = 3\n\n[consumers w]\nfrom = q\nconsumers = 3\n"
                "service = const(1s)\nassignment = range\nrebalance = 1s\n");
    tl_run_until(&sim, S);
    crash(1, true);
    tl_run_until(&sim, S + S / 2);
    crash(2, true);
    tl_run_until(&sim, 2 * S + S * 4 / 10);
    ck_assert_double_eq(group_ts("w", "rebalancing"), 1);
    tl_run_until(&sim, 2 * S + S * 6 / 10);
    ck_assert_double_eq(group_ts("w", "rebalancing"), 0);
    tl_run_until(&sim, 4 * S);
    crash(2, false);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "rebalances"), 2);
    ck_assert_double_eq_tol(metric("w", "rebalance_paused_s"), 2.5, 1e-12);
}
END_TEST

START_TEST(without_a_pause_the_survivor_takes_the_partition_at_once)
{
    /* rebalance 0: keys 10, 20, 30, 20 dealt in turn (partition 0: 10, 30;
     * partition 1: 20, 20). Member 1 crashes at 0.5 s processing 20 (a):
     * member 0 owns both at once, ends 10 at 1 s, then serves its
     * partitions in turn: 30 (p0) to 2 s, 20 (a) (p1) to 3 s, 20 (b) to
     * 4 s, in order */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n"
                "assignment = range\n");
    publish(10);
    publish(20);
    publish(30);
    publish(20);
    tl_run_until(&sim, S / 2);
    crash(1, true);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    tl_run_until(&sim, S + S / 2);
    ck_assert_uint_eq(serving_in(0), 30);
    ck_assert_uint_eq(serving_in(1), 0);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(serving_in(1), 20);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq(metric("w", "rebalance_paused_s"), 0);
}
END_TEST

START_TEST(a_whole_group_crash_is_no_rebalance_and_its_recovery_one)
{
    /* 3 consumers, rebalance 0: all crash at 1 s (the group is left empty:
     * nobody to pause), all recover at 2 s at one instant: one rebalance;
     * the message cut at 1 s is processed after 2 s */
    build(QUIET "[queue q]\npartitions = 3\n\n[consumers w]\nfrom = q\nconsumers = 3\n"
                "service = const(1500ms)\nassignment = range\n");
    publish(1);
    tl_run_until(&sim, S);
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "rebalances"), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    tl_run_until(&sim, 2 * S);
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    ck_assert_double_eq(metric("w", "processed"), 1);
}
END_TEST

START_TEST(on_receive_an_owner_busy_elsewhere_holds_the_message)
{
    /* capacity 0, ack = on_receive: a message is never held, so it is
     * taken only by a free owner. 1 consumer owns both partitions: the
     * first publish (partition 0) is taken at once, the second (partition
     * 1) finds its owner busy: refused */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\ncapacity = 0\n\n"
                "[consumers w]\nfrom = q\nconsumers = 1\nservice = const(1s)\n"
                "ack = on_receive\nassignment = range\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, S / 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_uint_eq(serving_in(0), 1);
    publish(3); /* partition 0 again: the owner is still busy */
    tl_run_until(&sim, S + S / 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    publish(4); /* partition 1, the owner free: taken */
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    ck_assert_double_eq(metric("w", "processed"), 2);
}
END_TEST

/* ---- autoscaling on lag ------------------------------------------------------- */

START_TEST(an_autoscaled_group_on_lag_is_capped_at_the_partitions)
{
    /* 4 partitions, 100 messages at 0 (25 each), 1 consumer of 1 s owning
     * all 4. At the first reading (10.5 s) 10 are done and 1 in processing:
     * 89 wait against a target of 10: ceil(89 / 10) = 9 consumers, capped
     * at the 4 partitions: 3 start, ready at 12.5 s, which starts a
     * rebalance (one: the three join at once) to 13.5 s; member 0 ends its
     * 13th message at 13 s and waits. From 13.5 s each member owns one
     * partition. */
    build(QUIET "[queue q]\npartitions = 4\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 1\nservice = const(1s)\n"
                "assignment = range\nrebalance = 1s\n"
                "autoscale = hpa(metric=lag, target=10, min=1, max=10, period=10500ms, "
                "tolerance=0%, window=0s, cold_start=2s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
    for (uint64_t k = 1; k <= 100; k++)
        publish(k);
    tl_run_until(&sim, 10 * S + S / 2 + 1);
    ck_assert_double_eq(group_ts("w", "consumers_ready"), 1);
    ck_assert_double_eq(group_ts("w", "consumers_starting"), 3);
    tl_run_until(&sim, 12 * S + S / 2 + 1);
    ck_assert_double_eq(group_ts("w", "consumers_ready"), 4);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
    tl_run_until(&sim, 13 * S + S / 4);
    ck_assert_double_eq(metric("w", "processed"), 13);
    for (uint32_t p = 0; p < 4; p++)
        ck_assert_uint_eq(serving_in(p), 0);
    tl_run_until(&sim, 13 * S + S * 6 / 10);
    for (uint32_t p = 0; p < 4; p++)
        ck_assert_uint_ne(serving_in(p), 0);
    tl_run_until(&sim, 60 * S);
    ck_assert_double_eq(metric("w", "processed"), 100);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
}
END_TEST

/* ---- acks on their way --------------------------------------------------------- */

START_TEST(a_crash_before_the_ack_lands_makes_a_duplicate)
{
    /* one consumer, 1 s, ack_delay 500 ms: 1 is processed at 1 s, its ack
     * due at 1.5 s; 2 starts at 1 s. The group crashes at 1.2 s: 2 is cut
     * and the ack of 1 is lost, both go back, 1 first. At recovery (2 s)
     * 1 is processed again (a duplicate) to 3 s, then 2 to 4 s. */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n"
                "ack_delay = 500ms\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, S + S / 5);
    ck_assert_double_eq(metric("w", "processed"), 1);
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    tl_run_until(&sim, 2 * S);
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->serving[0].r->key, 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
}
END_TEST

START_TEST(a_message_whose_ack_is_on_its_way_is_held)
{
    /* capacity 2, one consumer, ack_delay 500 ms: at 1.2 s message 1 waits
     * for its ack and 2 is processed: a publish then is refused; at 1.6 s
     * the ack has landed and one is taken */
    build(QUIET "[queue q]\ncapacity = 2\n\n[consumers w]\nfrom = q\nservice = const(1s)\n"
                "ack_delay = 500ms\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, S + S / 5);
    publish(3);
    tl_run_until(&sim, S + S * 6 / 10);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    publish(4);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
}
END_TEST

START_TEST(a_lost_ack_with_a_visibility_timeout_comes_back_once)
{
    /* visibility timeout 5 s, 1 s processing, ack_delay 500 ms: 1 ends at
     * 1 s; a crash at 1.2 s (to 1.3 s) loses its ack; it comes back when
     * its timeout ends (5 s), processed again to 6 s: one duplicate, no
     * visibility expiry in processing */
    build(QUIET "[queue q]\nvisibility_timeout = 5s\n\n[consumers w]\nfrom = q\n"
                "service = const(1s)\nack_delay = 500ms\n");
    publish(1);
    tl_run_until(&sim, S + S / 5);
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, true);
    tl_run_until(&sim, S + S * 3 / 10);
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 5 * S + S / 2);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "visibility_expired"), 0);
}
END_TEST

START_TEST(lost_acks_and_visibility_copies_count_each_extra_processing_once)
{
    /* 2 consumers, 800 ms (x2 under a slow fault to 0.5 s), visibility
     * timeout 1 s, ack_delay 500 ms. Message 1 starts at 0 (slowed: to
     * 1.6 s); its timeout at 1 s delivers a copy, processed 1 to 1.8 s.
     * Both acks are on their way when the group crashes at 1.9 s (to
     * 1.95 s): the first delivery's timeout has ended, so it comes back at
     * once (1.95 to 2.75 s); the copy's ends at 2 s, when it comes back (2 to
     * 2.8 s). 4 processings of one message: 3 duplicates, not more. */
    build(QUIET "[queue q]\nvisibility_timeout = 1s\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(800ms)\nack_delay = 500ms\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, -1, FAULT_SLOW, 2.0, true);
    publish(1);
    tl_run_until(&sim, S / 2);
    w->kind->fault(&sim, w, -1, FAULT_SLOW, 2.0, false);
    tl_run_until(&sim, S + S * 9 / 10);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 2);
    tl_run_until(&sim, S + S * 95 / 100);
    w->kind->fault(&sim, w, -1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 2);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 3);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    ck_assert_double_eq(metric("w", "acks_lost"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
}
END_TEST

START_TEST(a_member_crash_loses_only_its_own_acks)
{
    /* 2 partitions, 2 owners, ack_delay 500 ms: both end their message at
     * 1 s; member 0 crashes at 1.2 s: its message comes back (processed
     * again by member 1, which owns both after the rebalance), member 1's
     * ack lands */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n"
                "assignment = range\nack_delay = 500ms\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, S + S / 5);
    crash(0, true);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "rebalances"), 1);
}
END_TEST

Suite *consumer_group_suite(void)
{
    Suite *s = suite_create("consumer_group");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, range_gives_consecutive_partitions_served_in_turn);
    tcase_add_test(tc, a_slow_member_slows_only_the_messages_it_processes);
    tcase_add_test(tc, a_slow_member_slows_the_partition_it_takes_over);
    tcase_add_test(tc, round_robin_deals_partitions_and_extra_consumers_idle);
    tcase_add_test(tc, round_robin_with_fewer_consumers_owns_every_other_partition);
    tcase_add_test(tc, a_shared_group_reports_no_ownership_figures);
    tcase_add_test(tc, a_crash_and_a_recovery_are_two_rebalances_and_order_holds);
    tcase_add_test(tc, a_change_during_a_pause_restarts_it_as_one_rebalance);
    tcase_add_test(tc, without_a_pause_the_survivor_takes_the_partition_at_once);
    tcase_add_test(tc, a_whole_group_crash_is_no_rebalance_and_its_recovery_one);
    tcase_add_test(tc, on_receive_an_owner_busy_elsewhere_holds_the_message);
    tcase_add_test(tc, an_autoscaled_group_on_lag_is_capped_at_the_partitions);
    tcase_add_test(tc, a_crash_before_the_ack_lands_makes_a_duplicate);
    tcase_add_test(tc, a_message_whose_ack_is_on_its_way_is_held);
    tcase_add_test(tc, a_lost_ack_with_a_visibility_timeout_comes_back_once);
    tcase_add_test(tc, lost_acks_and_visibility_copies_count_each_extra_processing_once);
    tcase_add_test(tc, a_member_crash_loses_only_its_own_acks);
    suite_add_tcase(s, tc);
    return s;
}
