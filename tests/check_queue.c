/* The message queue and its consumers (models/kinds/queue.c), driven publish
 * by publish with constant service times so every count is exact: a full
 * queue refuses (full = reject) or drops its oldest waiting message (full =
 * drop_oldest), capacity counts the messages being processed only with ack
 * = after_processing, consumers take messages oldest first, the publisher
 * gets its ack after the broker latency and not after the processing, and
 * the end-to-end latency runs from the publish to the end of processing;
 * with partitions, round robin deals publishes in turn, one key stays in
 * one partition in order, and capacity bounds each partition; a crash of
 * the consumers redelivers the message being processed first (ack =
 * after_processing) or loses it (on_receive), and the broker keeps taking
 * publishes while they are down; with mode = fanout every group gets and
 * processes every message, a crashed group's backlog grows alone, and a
 * full group drops its own oldest message (drop_oldest) or refuses the
 * publish for every group (reject). */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/hist.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#define QF_OWN_BUILD /* build() also clears `rejected` */
#include "tests/queue_fixture.h"

static int rejected;

static void build(const char *text)
{
    qf_build(text);
    rejected = 0;
}

static const struct station *stn(void)
{
    return queue_station(kind_lookup(&sim, "q"), 0);
}

/* The key of the i-th waiting message of partition p, oldest first. */
static uint64_t waiting_in(uint32_t p, size_t i)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), p);
    ck_assert_uint_lt(i, st->len);
    return st->ring[(st->head + i) % st->cap]->key;
}

static uint64_t waiting(size_t i)
{
    return waiting_in(0, i);
}

static size_t backlog_of(uint32_t p)
{
    return queue_station(kind_lookup(&sim, "q"), p)->len;
}

/* The key of the message partition p's one consumer is processing. */
static uint64_t serving_in(uint32_t p)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), p);
    ck_assert_uint_eq(st->busy, 1);
    return st->serving[0].r->key;
}

/* The key of the message the one consumer is processing. */
static uint64_t serving(void)
{
    const struct station *st = stn();
    ck_assert_uint_eq(st->busy, 1);
    return st->serving[0].r->key;
}

START_TEST(full_reject_counts_the_messages_being_processed)
{
    /* capacity 3 with ack = after_processing: 1 processed + 2 waiting */
    build(QUIET "[queue q]\ncapacity = 3\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1); /* the acks (no latency anywhere) */
    ck_assert_int_eq(sink.replies, 6);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.errors, 0);
    ck_assert_uint_eq(stn()->len, 2);
    ck_assert_double_eq(metric("q", "published"), 6);
    ck_assert_double_eq(metric("q", "rejected_full"), 3);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 0);
    /* a freed place takes the next publish: 1 done at 1 s, so one more fits */
    tl_run_until(&sim, 1 * S);
    publish(7);
    publish(8);
    tl_run_until(&sim, 1 * S + 1);
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_double_eq(metric("q", "rejected_full"), 4);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_uint_eq(stn()->len, 0);
}
END_TEST

START_TEST(ack_on_receive_counts_only_the_waiting_messages)
{
    /* capacity 3 with ack = on_receive: 1 processed + 3 waiting */
    build(QUIET "[queue q]\ncapacity = 3\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\nack = on_receive\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
}
END_TEST

START_TEST(capacity_zero_on_receive_takes_only_what_a_free_consumer_takes)
{
    build(QUIET "[queue q]\ncapacity = 0\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\nack = on_receive\n");
    for (uint64_t k = 1; k <= 5; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 3);
}
END_TEST

START_TEST(drop_oldest_drops_the_oldest_waiting_message)
{
    build(QUIET "[queue q]\ncapacity = 3\nfull = drop_oldest\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1);
    /* 1 is processed; 2 and 3 waited and were dropped for 4 and 5, then 4 for 6 */
    ck_assert_int_eq(sink.oks, 6);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_uint_eq(serving(), 1);
    ck_assert_uint_eq(stn()->len, 2);
    ck_assert_uint_eq(waiting(0), 5);
    ck_assert_uint_eq(waiting(1), 6);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
}
END_TEST

START_TEST(drop_oldest_refuses_when_every_held_message_is_processed)
{
    /* capacity 2, 2 consumers, after_processing: both held messages are in
     * processing, none waits, so nothing can be dropped */
    build(QUIET "[queue q]\ncapacity = 2\nfull = drop_oldest\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 0);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
}
END_TEST

/* A visibility timeout's waiting copy of a message still in processing
 * is held once with it: dropping the copy frees no place. */
START_TEST(drop_oldest_drops_past_a_copy_that_frees_no_room)
{
    /* 1 in processing 0-1.5 s; its copy waits from 1 s; 2 stored at 1.1 s
     * fills capacity 2; 3 at 1.2 s: dropping the copy frees nothing, so 2
     * goes too, and 3 is stored */
    build(QUIET "[queue q]\ncapacity = 2\nfull = drop_oldest\nvisibility_timeout = 1s\n"
                "max_deliveries = 2\n\n"
                "[consumers w]\nfrom = q\nservice = const(1500ms)\n");
    publish(1);
    tl_run_until(&sim, S + S / 10);
    publish(2);
    tl_run_until(&sim, S + S / 5);
    publish(3);
    tl_run_until(&sim, S + S / 4);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_uint_eq(stn()->len, 1);
    ck_assert_uint_eq(waiting(0), 3);
    tl_run_until(&sim, 20 * S);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

START_TEST(drop_oldest_refuses_when_only_copies_wait)
{
    /* capacity 1: 1 in processing, its copy waiting from 1 s; a publish at
     * 1.1 s drops the copy, which frees nothing, and is refused */
    build(QUIET "[queue q]\ncapacity = 1\nfull = drop_oldest\nvisibility_timeout = 1s\n"
                "max_deliveries = 2\n\n"
                "[consumers w]\nfrom = q\nservice = const(1500ms)\n");
    publish(1);
    tl_run_until(&sim, S + S / 10);
    publish(2);
    tl_run_until(&sim, S + S / 5);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_uint_eq(stn()->len, 0);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
}
END_TEST

START_TEST(consumers_take_messages_oldest_first)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 5; k++)
        publish(k);
    for (int s = 0; s < 5; s++) {
        tl_run_until(&sim, s * S + S / 2);
        ck_assert_uint_eq(serving(), (uint64_t)s + 1);
        ck_assert_uint_eq(stn()->len, 4 - (size_t)s);
        for (size_t i = 0; i < stn()->len; i++)
            ck_assert_uint_eq(waiting(i), (uint64_t)s + 2 + i);
    }
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    /* backlog: 4, 3, 2, 1 messages over the seconds 0..4, then none: 10
     * message-seconds over the 10 s run so far */
    ck_assert_double_eq_tol(metric("q", "backlog_mean"), 1.0, 1e-12);
}
END_TEST

START_TEST(the_ack_comes_after_the_broker_latency_not_the_processing)
{
    build(QUIET "[queue q]\nlatency = const(3ms)\n\n"
                "[consumers w]\nfrom = q\nservice = const(50ms)\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_reply_ns, 3 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    /* end to end: 3 + 50 and 3 + 50 + 50 ms */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (53.0 + 103.0) / 2, 1e-9);
    /* one consumer busy 100 ms of the 1 s so far */
    ck_assert_double_eq_tol(metric("w", "consumer_utilization"), 0.1, 1e-12);
}
END_TEST

START_TEST(round_robin_deals_publishes_to_partitions_in_turn)
{
    build(QUIET "[queue q]\npartitions = 3\nroute = round_robin\n\n"
                "[consumers w]\nfrom = q\nconsumers = 3\nservice = const(1s)\n");
    ck_assert_ptr_null(queue_station(kind_lookup(&sim, "q"), 3));
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->workers, 1);
    for (uint64_t k = 1; k <= 9; k++)
        publish(k);
    tl_run_until(&sim, 1);
    /* partition p: k = p + 1 processed, then p + 4 and p + 7 waiting */
    for (uint32_t p = 0; p < 3; p++) {
        ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), p)->serving[0].r->key, p + 1);
        ck_assert_uint_eq(backlog_of(p), 2);
        ck_assert_uint_eq(waiting_in(p, 0), p + 4);
        ck_assert_uint_eq(waiting_in(p, 1), p + 7);
    }
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 9);
}
END_TEST

START_TEST(one_key_stays_in_one_partition_in_order)
{
    build(QUIET "[queue q]\npartitions = 4\n\n"
                "[consumers w]\nfrom = q\nconsumers = 4\nservice = const(1s)\n");
    /* five messages of key 42, told apart by their publish times */
    for (int i = 0; i < 5; i++) {
        tl_run_until(&sim, i * MS);
        publish(42);
    }
    tl_run_until(&sim, 10 * MS);
    uint32_t busy = 0, with_backlog = 0;
    for (uint32_t p = 0; p < 4; p++) {
        const struct station *st = queue_station(kind_lookup(&sim, "q"), p);
        busy += st->busy;
        if (st->len > 0) {
            with_backlog++;
            ck_assert_uint_eq(st->len, 4);
            for (size_t i = 0; i + 1 < st->len; i++) /* oldest first */
                ck_assert_int_lt(st->ring[(st->head + i) % st->cap]->born_ns,
                                 st->ring[(st->head + i + 1) % st->cap]->born_ns);
        }
    }
    ck_assert_uint_eq(busy, 1);
    ck_assert_uint_eq(with_backlog, 1);
}
END_TEST

START_TEST(capacity_applies_to_each_partition)
{
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\ncapacity = 2\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 8; k++)
        publish(k);
    tl_run_until(&sim, 1);
    /* each partition: 1 processed + 1 waiting */
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_double_eq(metric("q", "rejected_full"), 4);
    ck_assert_uint_eq(backlog_of(0), 1);
    ck_assert_uint_eq(backlog_of(1), 1);
}
END_TEST

/* full = block: publishes held at the broker until their partition has room */

START_TEST(full_block_holds_publishes_until_room_frees)
{
    /* capacity 2, one consumer 10 ms each, 4 publishes at 0: 1 processed
     * 0..10 and 2 waiting fill it; 3 and 4 wait at the broker, not acked.
     * At 10 ms 1 is done and 2 starts: room for 3 (acked at 10 ms); at
     * 20 ms 2 is done: room for 4 (acked at 20 ms). */
    build(QUIET "[queue q]\ncapacity = 2\nfull = block\n\n"
                "[consumers w]\nfrom = q\nservice = const(10ms)\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 10 * MS - 1);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_reply_ns, 0);
    ck_assert_double_eq(metric("q", "blocked_full"), 2);
    ck_assert_double_eq(metric("q", "published"), 2); /* counted when stored */
    tl_run_until(&sim, 10 * MS);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.last_reply_ns, 10 * MS);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_uint_eq(waiting(0), 3);
    tl_run_until(&sim, 20 * MS - 1);
    ck_assert_int_eq(sink.oks, 3);
    tl_run_until(&sim, 20 * MS);
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_int_eq(sink.last_reply_ns, 20 * MS);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_int_eq(sink.errors, 0);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(metric("q", "blocked_full"), 2);
    ck_assert_double_eq(metric("q", "blocked_gone"), 0);
    ck_assert_double_eq(metric("q", "published"), 4);
    ck_assert_double_eq(metric("w", "processed"), 4);
}
END_TEST

START_TEST(full_block_drops_a_publish_whose_caller_gave_up_at_the_front)
{
    /* as above, but 3's caller gives up at 5 ms: at 10 ms 3 reaches the
     * front and is dropped unstored (handed back), and 4 takes the room */
    build(QUIET "[queue q]\ncapacity = 2\nfull = block\n\n"
                "[consumers w]\nfrom = q\nservice = const(10ms)\n");
    publish(1);
    publish(2);
    struct request *r3 = publish(3);
    publish(4);
    tl_run_until(&sim, 5 * MS);
    ck_assert_int_eq(sink.replies, 2);
    r3->abandoned = true;
    tl_run_until(&sim, 10 * MS);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.errors, 1);
    ck_assert_int_eq(sink.last_reply_ns, 10 * MS);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_uint_eq(waiting(0), 4);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("q", "blocked_full"), 2);
    ck_assert_double_eq(metric("q", "blocked_gone"), 1);
    ck_assert_double_eq(metric("q", "published"), 3);
    ck_assert_double_eq(metric("w", "processed"), 3);
}
END_TEST

START_TEST(full_block_in_fanout_waits_for_the_slowest_group)
{
    /* capacity 1 per group: a fast group (1 ms) and a slow one (10 ms);
     * publish 2 waits until both have room: the slow one's at 10 ms */
    build(QUIET "[queue q]\ncapacity = 1\nfull = block\nmode = fanout\n\n"
                "[consumers fast]\nfrom = q\nservice = const(1ms)\n\n"
                "[consumers slow]\nfrom = q\nservice = const(10ms)\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 10 * MS - 1);
    ck_assert_int_eq(sink.oks, 1);
    tl_run_until(&sim, 10 * MS);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_reply_ns, 10 * MS);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("fast", "processed"), 2);
    ck_assert_double_eq(metric("slow", "processed"), 2);
    ck_assert_double_eq(metric("q", "blocked_full"), 1);
}
END_TEST

START_TEST(full_block_frees_room_when_a_message_expires)
{
    /* capacity 1, retention 5 ms, consumers down (crashed): message 1
     * parks; publish 2 at 0 waits. Nothing frees room until the broker
     * looks for it and deletes the expired messages: publish 3's arrival
     * at 6 ms. 1 expires, 2 is stored with its arrival time (0) as its
     * birth, so it is older than the retention too and expires as 3 looks
     * for room: 3 is stored at once (it never waited). */
    build(QUIET "[queue q]\ncapacity = 1\nfull = block\nretention = 5ms\n\n"
                "[consumers w]\nfrom = q\nservice = const(10ms)\n");
    group_crash(true);
    publish(1);
    publish(2);
    tl_run_until(&sim, 6 * MS);
    ck_assert_int_eq(sink.oks, 1);
    publish(3);
    tl_run_until(&sim, 6 * MS + 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.last_reply_ns, 6 * MS);
    ck_assert_double_eq(metric("q", "lost_retention"), 2);
    ck_assert_double_eq(metric("q", "blocked_full"), 1);
    group_crash(false); /* 3 is processed 6..16 ms */
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
}
END_TEST

START_TEST(a_crash_redelivers_the_message_being_processed_first)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    group_crash(true);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_double_eq(backlog_now(), 4); /* 1 (back in front), 2, 3, 4 */
    publish(5); /* the broker still takes publishes */
    tl_run_until(&sim, 2 * S);
    ck_assert_int_eq(sink.oks, 5);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(backlog_now(), 5);
    group_crash(false);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(serving(), 1); /* processed again, from the start */
    for (size_t i = 0; i < 4; i++)
        ck_assert_uint_eq(waiting(i), i + 2);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_double_eq(metric("w", "lost"), 0);
}
END_TEST

START_TEST(a_crash_loses_a_message_acked_on_receive)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n"
                "ack = on_receive\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    group_crash(true);
    ck_assert_double_eq(metric("w", "lost"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(backlog_now(), 3);
    tl_run_until(&sim, 2 * S);
    group_crash(false);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(serving(), 2);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
}
END_TEST

START_TEST(messages_parked_during_a_crash_count_against_capacity)
{
    build(QUIET "[queue q]\ncapacity = 3\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(1s)\n");
    group_crash(true);
    for (uint64_t k = 1; k <= 5; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    group_crash(false);
    tl_run_until(&sim, 2);
    ck_assert_uint_eq(stn()->busy, 2);
    ck_assert_uint_eq(stn()->len, 1);
    ck_assert_uint_eq(waiting(0), 3);
}
END_TEST

/* ---- topics: mode = fanout ------------------------------------------------- */

static const struct station *gstn(const char *group)
{
    return consumers_station_of(kind_lookup(&sim, group), 0);
}

/* A consumers group's own backlog now (its time-series figure in fanout). */
static double group_backlog_now(const char *group)
{
    struct component *c = kind_lookup(&sim, group);
    const char *names[4];
    double values[4];
    /* backlog, lag_s, e2e_p99_ms */
    ck_assert_uint_eq(c->kind->ts_extra(&sim, c, names, values, 4), 3);
    ck_assert_str_eq(names[0], "backlog");
    return values[0];
}

START_TEST(fanout_every_group_processes_every_message)
{
    build(QUIET "[queue q]\nmode = fanout\n\n"
                "[consumers a]\nfrom = q\nservice = const(100ms)\n\n"
                "[consumers b]\nfrom = q\nconsumers = 2\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 10; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 10); /* one ack per publish, not per copy */
    ck_assert_uint_eq(gstn("a")->len, 9);
    ck_assert_uint_eq(gstn("b")->len, 8);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("q", "published"), 10);
    ck_assert_double_eq(metric("a", "processed"), 10);
    ck_assert_double_eq(metric("b", "processed"), 10);
    /* a: 0.1, 0.2, ... 1 s; b: 1, 1, 2, 2, ... 5, 5 s */
    ck_assert_double_eq_tol(metric("a", "e2e_mean_ms"), 550, 1e-9);
    ck_assert_double_eq_tol(metric("b", "e2e_mean_ms"), 3000, 1e-9);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (550.0 + 3000.0) / 2, 1e-9);
    /* backlog: a 9, 8, ... 0 for 0.1 s each = 4.5 message-s; b 8, 8, 6, 6,
     * ... 0 for 1 s each... = 8 + 6 + 4 + 2 = 20 message-s; over 20 s */
    ck_assert_double_eq_tol(metric("a", "backlog_mean"), 4.5 / 20, 1e-12);
    ck_assert_double_eq_tol(metric("b", "backlog_mean"), 20.0 / 20, 1e-12);
    ck_assert_double_eq_tol(metric("q", "backlog_mean"), 24.5 / 20, 1e-12);
}
END_TEST

START_TEST(fanout_a_crashed_group_lags_alone)
{
    build(QUIET "[queue q]\nmode = fanout\n\n"
                "[consumers fast]\nfrom = q\nservice = const(100ms)\n\n"
                "[consumers slow]\nfrom = q\nservice = const(100ms)\n");
    struct component *slow = kind_lookup(&sim, "slow");
    slow->kind->fault(&sim, slow, -1, FAULT_CRASH, 0, true);
    /* one publish a second for 10 s: fast keeps up, slow's backlog grows */
    for (int i = 0; i < 10; i++) {
        tl_run_until(&sim, i * S);
        publish((uint64_t)i + 1);
        tl_run_until(&sim, i * S + S / 2);
        ck_assert_double_eq(group_backlog_now("fast"), 0);
        ck_assert_double_eq(group_backlog_now("slow"), i + 1);
        ck_assert_double_eq(metric("fast", "processed"), i + 1);
        ck_assert_double_eq(metric("slow", "processed"), 0);
    }
    /* the fast group's messages never waited: 100 ms each */
    ck_assert_double_eq_tol(metric("fast", "e2e_p99_ms"), 100, 1);
    ck_assert_double_eq(metric("fast", "backlog_mean"), 0);
    slow->kind->fault(&sim, slow, -1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("slow", "processed"), 10);
    ck_assert_double_eq(group_backlog_now("slow"), 0);
    ck_assert_double_eq(metric("fast", "processed"), 10);
}
END_TEST

START_TEST(fanout_drop_oldest_drops_only_from_the_full_group)
{
    /* a hands every message to a free consumer (on_receive: never held); b
     * has one consumer and holds 2: its waiting message gives way */
    build(QUIET "[queue q]\nmode = fanout\ncapacity = 2\nfull = drop_oldest\n\n"
                "[consumers a]\nfrom = q\nconsumers = 4\nservice = const(1s)\n"
                "ack = on_receive\n\n"
                "[consumers b]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_double_eq(metric("b", "dropped_oldest"), 2);
    ck_assert_double_eq(metric("a", "dropped_oldest"), 0);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 2);
    ck_assert_uint_eq(gstn("b")->serving[0].r->key, 1);
    ck_assert_uint_eq(gstn("b")->ring[gstn("b")->head]->key, 4);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("a", "processed"), 4);
    ck_assert_double_eq(metric("b", "processed"), 2);
}
END_TEST

START_TEST(fanout_reject_refuses_the_publish_for_every_group)
{
    build(QUIET "[queue q]\nmode = fanout\ncapacity = 1\n\n"
                "[consumers a]\nfrom = q\nconsumers = 4\nservice = const(1s)\n"
                "ack = on_receive\n\n"
                "[consumers b]\nfrom = q\nservice = const(1s)\n");
    publish(1);
    publish(2); /* b holds 1: refused, so a does not get it either */
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("a", "processed"), 1);
    ck_assert_double_eq(metric("b", "processed"), 1);
}
END_TEST

/* ---- failures, max_deliveries and dead letters ---------------------------- */

/* A queue's backlog now (its time-series figure). */
static double qbacklog(const char *name)
{
    struct component *c = kind_lookup(&sim, name);
    const char *names[4];
    double values[4];
    ck_assert_uint_eq(c->kind->ts_extra(&sim, c, names, values, 4), 1);
    return values[0];
}

START_TEST(poison_messages_go_to_the_dlq_after_max_deliveries)
{
    /* 2 poison messages, 1 consumer, 1 s each: a failed message goes to the
     * back, so 1, 2, 1, 2, 1 (3rd: dead at 5 s), 2 (dead at 6 s) */
    build(QUIET "[queue q]\nmax_deliveries = 3\ndlq = dead\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\n\n"
                "[queue dead]\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_uint_eq(serving(), 1);
    ck_assert_double_eq(metric("w", "failed_processing"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    tl_run_until(&sim, 5 * S + S / 2);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_double_eq(metric("dead", "published"), 1);
    ck_assert_double_eq(qbacklog("dead"), 1);
    ck_assert_double_eq(qbacklog("q"), 0);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "failed_processing"), 6);
    ck_assert_double_eq(metric("w", "redelivered"), 4);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(metric("q", "dead_lettered"), 2);
    ck_assert_double_eq(metric("q", "lost_dead_letter"), 0);
    ck_assert_double_eq(metric("q", "lost_total"), 0);
    ck_assert_double_eq(metric("dead", "published"), 2);
    ck_assert_double_eq(qbacklog("dead"), 2);
    /* its level's area so far (a run closes it at its end): 1 message from
     * 5 to 6 s, over the 20 s */
    ck_assert_double_eq_tol(metric("dead", "backlog_mean"), 1.0 / 20, 1e-12);
}
END_TEST

START_TEST(a_dlq_consumer_processes_dead_letters_with_their_first_age)
{
    build(QUIET "[queue q]\nmax_deliveries = 2\ndlq = dead\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\n\n"
                "[queue dead]\n\n[consumers dw]\nfrom = dead\nservice = const(100ms)\n");
    publish(1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_double_eq(metric("dw", "processed"), 1);
    ck_assert_double_eq(metric("w", "processed"), 0);
    /* failed at 1 s and 2 s, then 100 ms in the dlq: 2.1 s from the publish */
    ck_assert_double_eq_tol(metric("dead", "e2e_mean_ms"), 2100, 1e-9);
}
END_TEST

START_TEST(without_a_dlq_dead_letters_are_discarded)
{
    build(QUIET "[queue q]\nmax_deliveries = 1\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("q", "dead_lettered"), 3);
    ck_assert_double_eq(metric("q", "lost_dead_letter"), 3);
    ck_assert_double_eq(metric("q", "lost_total"), 3);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(metric("w", "failed_processing"), 3);
}
END_TEST

START_TEST(a_full_dlq_refuses_and_the_dead_letter_is_lost)
{
    build(QUIET "[queue q]\nmax_deliveries = 1\ndlq = dead\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\n\n"
                "[queue dead]\ncapacity = 2\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("q", "dead_lettered"), 3);
    ck_assert_double_eq(metric("dead", "rejected_full"), 1);
    ck_assert_double_eq(metric("q", "lost_dead_letter"), 1);
    ck_assert_double_eq(qbacklog("dead"), 2);
}
END_TEST

START_TEST(a_crash_cut_delivery_counts_towards_max_deliveries)
{
    build(QUIET "[queue q]\nmax_deliveries = 2\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\n");
    publish(1);
    tl_run_until(&sim, S / 2);
    group_crash(true); /* delivery 1 cut: delivered again */
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    group_crash(false);
    tl_run_until(&sim, S / 2 + S + 1); /* delivery 2 fails: the last */
    ck_assert_double_eq(metric("w", "failed_processing"), 1);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
}
END_TEST

START_TEST(a_failure_acked_on_receive_is_lost)
{
    build(QUIET "[queue q]\nmax_deliveries = 5\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\npoison = 1\nack = on_receive\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "lost"), 3);
    ck_assert_double_eq(metric("q", "lost_at_most_once"), 3);
    ck_assert_double_eq(metric("q", "lost_total"), 3);
    ck_assert_double_eq(metric("q", "dead_lettered"), 0);
}
END_TEST

START_TEST(transient_failures_are_retried_until_processed)
{
    /* fail = 0.25, no limit: every message is processed in the end, after
     * 1/0.75 deliveries on average: 10000 * 0.25 / 0.75 = 3333 failures
     * (binomial-geometric: sd = sqrt(10000 * 0.25) / 0.75 = 67) */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 4\n"
                "service = const(1ms)\nfail = 0.25\n");
    for (uint64_t k = 1; k <= 10000; k++)
        publish(k);
    tl_run_until(&sim, 100 * S);
    ck_assert_double_eq(metric("w", "processed"), 10000);
    double f = metric("w", "failed_processing");
    ck_assert_double_eq(metric("w", "redelivered"), f);
    ck_assert_double_le(fabs(f - 10000.0 / 3), 4 * 67);
}
END_TEST

/* ---- retention ------------------------------------------------------------- */

START_TEST(retention_deletes_a_message_a_consumer_reaches_too_late)
{
    /* 5 messages at 0, 4 s each on one consumer, retention 10 s: 1, 2, 3
     * processed (done at 4, 8, 12 s); at 12 s 4 and 5 are 12 s old */
    build(QUIET "[queue q]\nretention = 10s\n\n[consumers w]\nfrom = q\n"
                "service = const(4s)\n");
    for (uint64_t k = 1; k <= 5; k++)
        publish(k);
    tl_run_until(&sim, 12 * S - 1);
    ck_assert_double_eq(metric("q", "lost_retention"), 0);
    ck_assert_double_eq(backlog_now(), 2); /* deleted when reached */
    tl_run_until(&sim, 12 * S + 1);
    ck_assert_double_eq(metric("q", "lost_retention"), 2);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("q", "lost_total"), 2);
    ck_assert_double_eq(backlog_now(), 0);
}
END_TEST

START_TEST(retention_deletes_expired_messages_before_a_new_one_is_stored)
{
    build(QUIET "[queue q]\nretention = 10s\ncapacity = 4\n\n[consumers w]\nfrom = q\n"
                "service = const(4s)\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 10 * S + S / 2);
    /* 3 (from 8 s) is processed and holds a place; 4 is 10.5 s old */
    publish(5);
    tl_run_until(&sim, 10 * S + S / 2 + 1);
    ck_assert_double_eq(metric("q", "lost_retention"), 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_uint_eq(waiting(0), 5);
    tl_run_until(&sim, 30 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
}
END_TEST

START_TEST(retention_deletes_messages_parked_through_a_crash)
{
    build(QUIET "[queue q]\nretention = 10s\n\n[consumers w]\nfrom = q\n"
                "service = const(1s)\n");
    group_crash(true);
    publish(1);
    publish(2);
    tl_run_until(&sim, 5 * S);
    publish(3);
    tl_run_until(&sim, 12 * S);
    group_crash(false); /* 1, 2 are 12 s old; 3 is 7 s old */
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("q", "lost_retention"), 2);
    ck_assert_double_eq(metric("w", "processed"), 1);
}
END_TEST

START_TEST(a_dead_letter_keeps_its_first_age_for_the_dlq_retention)
{
    /* 1 dead at 4 s (4 s old), 2 published at 6 s dead at 10 s: then 1 is
     * 10 s old, past the dlq's 5 s, and is deleted as 2 is stored */
    build(QUIET "[queue q]\nmax_deliveries = 1\ndlq = dead\n\n"
                "[consumers w]\nfrom = q\nservice = const(4s)\npoison = 1\n\n"
                "[queue dead]\nretention = 5s\n");
    publish(1);
    tl_run_until(&sim, 6 * S);
    publish(2);
    tl_run_until(&sim, 11 * S);
    ck_assert_double_eq(metric("dead", "published"), 2);
    ck_assert_double_eq(metric("dead", "lost_retention"), 1);
    ck_assert_double_eq(qbacklog("dead"), 1);
}
END_TEST

/* ---- visibility timeout, duplicates and idempotent consumers -------------- */

START_TEST(a_slow_consumer_past_the_visibility_timeout_processes_twice)
{
    /* 1.5 s of processing, 1 s of visibility: the delivery at 0 comes back
     * at 1 s (the second consumer takes it), that one at 2 s, that one at
     * 3 s: the 4th delivery is past max_deliveries = 3 (dead-lettered,
     * discarded). Processings end at 1.5, 2.5 and 3.5 s: 2 duplicates. */
    build(QUIET "[queue q]\nvisibility_timeout = 1s\nmax_deliveries = 3\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1500ms)\n");
    publish(1);
    tl_run_until(&sim, S + S / 4);
    ck_assert_uint_eq(stn()->busy, 2);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 2);
    ck_assert_double_eq(metric("w", "visibility_expired"), 3);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

START_TEST(an_idempotent_consumer_skips_a_message_it_has_processed)
{
    /* as above with dedupe: the copy at 1 s starts before the first
     * processing ends (not seen yet: a duplicate at 2.5 s); the copy at 2 s
     * finds the id seen at 1.5 s and is acked unprocessed, so no more */
    build(QUIET "[queue q]\nvisibility_timeout = 1s\nmax_deliveries = 3\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1500ms)\n"
                "dedupe = 1min\n");
    publish(1);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "deduped"), 1);
    ck_assert_double_eq(metric("w", "visibility_expired"), 2);
    ck_assert_double_eq(metric("q", "dead_lettered"), 0);
    ck_assert_double_eq(metric("w", "dedupe_ids_max"), 1);
}
END_TEST

START_TEST(dedupe_remembers_ids_for_its_window_only)
{
    /* one consumer, 10 ms each: the ids processed in the last 100 ms are
     * 10; each costs 16 bytes in the ring (64 places) and 16 in the map
     * (64 slots): 2048 bytes */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                "dedupe = 100ms\n");
    for (uint64_t k = 1; k <= 100; k++)
        publish(k);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 100);
    ck_assert_double_eq(metric("w", "deduped"), 0);
    ck_assert_double_eq(metric("w", "dedupe_ids_max"), 10);
    ck_assert_double_eq(metric("w", "dedupe_bytes_max"), 2048);
}
END_TEST

START_TEST(a_crash_cut_message_comes_back_after_the_visibility_timeout)
{
    build(QUIET "[queue q]\nvisibility_timeout = 5s\ncapacity = 1\n\n[consumers w]\nfrom = q\n"
                "service = const(1s)\n");
    publish(1);
    tl_run_until(&sim, S / 2);
    group_crash(true);
    group_crash(false); /* up again at once, but the message is invisible */
    publish(2);   /* it still counts against the capacity: refused */
    tl_run_until(&sim, S);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_uint_eq(stn()->busy, 0);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    tl_run_until(&sim, 5 * S + 1);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_uint_eq(serving(), 1);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 6000, 1e-9);
}
END_TEST

/* ---- lag and order ---------------------------------------------------------- */

/* Group g's time-series figure `name` now. */
static double group_ts(const char *group, const char *name)
{
    struct component *c = kind_lookup(&sim, group);
    const char *names[4];
    double values[4];
    size_t n = c->kind->ts_extra(&sim, c, names, values, 4);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return values[i];
    ck_abort_msg("%s has no time-series figure %s", group, name);
    return (double)NAN;
}

START_TEST(lag_in_seconds_is_the_age_of_the_oldest_waiting_message)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, S / 2);
    ck_assert_double_eq_tol(group_ts("w", "lag_s"), 0.5, 1e-12); /* 2 waits, born at 0 */
    tl_run_until(&sim, 2 * S + S / 2);
    ck_assert_double_eq_tol(group_ts("w", "lag_s"), 2.5, 1e-12); /* 4 waits, born at 0 */
    tl_run_until(&sim, 3 * S + S / 2);
    ck_assert_double_eq(group_ts("w", "lag_s"), 0); /* none waits */
}
END_TEST

START_TEST(a_failed_message_sent_to_the_back_is_processed_out_of_order)
{
    /* one key, one consumer: 1 fails under an errors fault and goes behind
     * 2; 2 ends at 2 s, then 1 at 3 s, after a later message of its key */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->fault(&sim, w, -1, FAULT_ERRORS, 1.0, true);
    publish(7);
    publish(7);
    publish(8);
    tl_run_until(&sim, S + S / 2);
    w->kind->fault(&sim, w, -1, FAULT_ERRORS, 1.0, false);
    ck_assert_double_eq(metric("w", "failed_processing"), 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "out_of_order"), 1);
}
END_TEST

START_TEST(one_consumer_per_key_keeps_the_order)
{
    /* the same publishes, no fault: in order */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    publish(7);
    publish(7);
    publish(8);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
}
END_TEST

/* ---- autoscaled consumers --------------------------------------------------- */

START_TEST(consumers_scale_on_lag_after_their_cold_start)
{
    /* 45 messages at 0, 1 s each on 1 consumer; at the first reading
     * (10.5 s) 10 are done and 1 in processing: 34 wait, 34 per consumer
     * against a target of 10: ceil(1 x 34 / 10) = 4 consumers, 3 of them
     * ready 2 s later. Drained, the next readings scale back to min 1. */
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n"
                "autoscale = hpa(metric=lag, target=10, min=1, max=5, period=10500ms, "
                "tolerance=0%, window=0s, cold_start=2s)\n");
    struct component *w = kind_lookup(&sim, "w");
    w->kind->start(&sim, w);
    for (uint64_t k = 1; k <= 45; k++)
        publish(k);
    tl_run_until(&sim, 10 * S + S / 2 + 1);
    ck_assert_double_eq(group_ts("w", "consumers_ready"), 1);
    ck_assert_double_eq(group_ts("w", "consumers_starting"), 3);
    ck_assert_uint_eq(stn()->busy, 1);
    tl_run_until(&sim, 12 * S + S / 2 + 1);
    ck_assert_double_eq(group_ts("w", "consumers_ready"), 4);
    ck_assert_double_eq(group_ts("w", "consumers_starting"), 0);
    ck_assert_uint_eq(stn()->busy, 4);
    tl_run_until(&sim, 32 * S);
    ck_assert_double_eq(metric("w", "processed"), 45);
    ck_assert_double_eq(group_ts("w", "consumers_ready"), 1);
}
END_TEST

START_TEST(a_redelivered_copy_holds_no_second_place)
{
    /* capacity 1: the copy made at 1 s and the first delivery, both in
     * processing, are one message: a publish at 1.2 s is refused, one at
     * 3 s (both ended at 1.5 and 2.5 s, the copy's copy dead-lettered at
     * 2 s) is taken */
    build(QUIET "[queue q]\nvisibility_timeout = 1s\nmax_deliveries = 2\ncapacity = 1\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1500ms)\n");
    publish(1);
    tl_run_until(&sim, S + S / 5);
    ck_assert_uint_eq(stn()->busy, 2);
    publish(2);
    tl_run_until(&sim, S + S / 5 + 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    tl_run_until(&sim, 3 * S);
    publish(3);
    tl_run_until(&sim, 10 * S);
    ck_assert_int_eq(sink.oks, 2);
    /* 1 and 3 each: processed by the first delivery and by its copy (the
     * copy's own copy is its 3rd delivery: dead-lettered) */
    ck_assert_double_eq(metric("w", "duplicates_processed"), 2);
    ck_assert_double_eq(metric("q", "dead_lettered"), 2);
}
END_TEST

/* Request-response over queues (reply = QUEUE): the publisher's request
 * waits at the request queue until the consumer's reply has passed the
 * reply queue's latency; a reply whose caller gave up is late. */
#define RR_MODEL(extra_q, extra_w)                                                       \
    QUIET "[queue q]\nlatency = const(2ms)\nreply = r\n" extra_q "\n"                   \
          "[queue r]\nlatency = const(3ms)\n\n"                                          \
          "[consumers w]\nfrom = q\nservice = const(10ms)\n" extra_w

START_TEST(a_request_waits_for_its_reply_through_the_reply_queue)
{
    /* capacity 2 with one consumer: publishes 1 and 2 are stored at 2 ms,
     * 3 is refused at once (rejected, not waiting); 1 is processed 2..12 ms
     * and its reply reaches the caller at 12 + 3 = 15 ms, 2 is processed
     * 12..22 ms, replied at 25 ms */
    build(RR_MODEL("capacity = 2\n", ""));
    publish(1);
    publish(2);
    publish(3);
    tl_run_until(&sim, 2 * MS + 1);
    ck_assert_int_eq(sink.replies, 1); /* only the refusal */
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    tl_run_until(&sim, 15 * MS - 1);
    ck_assert_int_eq(sink.replies, 1);
    tl_run_until(&sim, 15 * MS);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_int_eq(sink.last_reply_ns, 15 * MS);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_reply_ns, 25 * MS);
    ck_assert_double_eq(metric("q", "replied"), 2);
    ck_assert_double_eq(metric("q", "late_replies"), 0);
    ck_assert_double_eq(metric("r", "published"), 2);
    ck_assert_double_eq(metric("w", "processed"), 2);
}
END_TEST

START_TEST(a_reply_after_the_caller_gave_up_is_late_and_dropped)
{
    /* two publishes at 0, processed 2..12 and 12..22 ms; the second's
     * caller gives up at 20 ms (its timeout): its reply at 25 ms is late;
     * the request goes back abandoned, for the caller to free */
    build(RR_MODEL("", ""));
    publish(1);
    struct request *r2 = publish(2);
    tl_run_until(&sim, 20 * MS);
    ck_assert_int_eq(sink.oks, 1);
    r2->abandoned = true;
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_double_eq(metric("q", "replied"), 1);
    ck_assert_double_eq(metric("q", "late_replies"), 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
}
END_TEST

START_TEST(a_second_reply_to_one_correlation_id_is_late)
{
    /* 10 ms of processing, a 5 ms visibility timeout, 2 consumers: the
     * delivery at 2 ms comes back at 7 ms (processed 7..17 ms), and that
     * copy's at 12 ms is its 2nd delivery's end: dead-lettered. The first
     * processing's reply answers at 15 ms, the copy's at 20 ms finds the id
     * answered: late. */
    build(RR_MODEL("visibility_timeout = 5ms\nmax_deliveries = 2\n", "consumers = 2\n"));
    publish(1);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_reply_ns, 15 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_double_eq(metric("q", "replied"), 1);
    ck_assert_double_eq(metric("q", "late_replies"), 1);
}
END_TEST

START_TEST(a_lost_request_message_leaves_its_caller_unanswered)
{
    /* a 5 ms retention, one consumer, 10 ms each: publishes 1 and 2 are
     * stored at 2 ms; 1 is processed 2..12 ms and replied at 15 ms; 2,
     * reached at 12 ms, is 12 ms old: deleted unprocessed. Its caller gets
     * no reply (it waits for its timeout), and the queue counts it
     * unanswered. */
    build(RR_MODEL("retention = 5ms\n", ""));
    publish(1);
    publish(2);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_double_eq(metric("q", "lost_retention"), 1);
    ck_assert_double_eq(metric("q", "replied"), 1);
    ck_assert_double_eq(metric("q", "unanswered"), 1);
}
END_TEST

START_TEST(a_lost_message_whose_caller_gave_up_is_not_unanswered)
{
    /* as above, but 2's caller gave up at 5 ms: its message's loss at 12 ms
     * leaves nobody waiting */
    build(RR_MODEL("retention = 5ms\n", ""));
    publish(1);
    struct request *r2 = publish(2);
    tl_run_until(&sim, 5 * MS);
    r2->abandoned = true;
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("q", "lost_retention"), 1);
    ck_assert_double_eq(metric("q", "unanswered"), 0);
}
END_TEST

START_TEST(a_lost_message_goes_back_to_its_caller_once_it_gave_up)
{
    /* as above: 2's message is lost at 12 ms, its caller gave up at 5 ms.
     * The queue holds 2's request until a later publish (3, at 20 ms)
     * hands it back, abandoned: it is no longer pending, and the pool has
     * it back once the caller frees it (here the sink sees it come back). */
    build(RR_MODEL("retention = 5ms\n", ""));
    publish(1);
    struct request *r2 = publish(2);
    tl_run_until(&sim, 5 * MS);
    r2->abandoned = true;
    tl_run_until(&sim, 20 * MS);
    ck_assert_int_eq(sink.replies, 1); /* 1's reply only: 2 is still held */
    publish(3);
    tl_run_until(&sim, 23 * MS); /* 3 is stored at 22 ms: 2 goes back then */
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_reply_ns, 22 * MS);
    ck_assert_int_eq(sink.last_status, REQ_ERROR);
    ck_assert_double_eq(metric("q", "unanswered"), 0);
}
END_TEST

START_TEST(a_lost_message_whose_caller_still_waits_stays_pending)
{
    /* 2's caller has no timeout: 2 stays at the queue (in flight to the end
     * of the run), however many publishes come after */
    build(RR_MODEL("retention = 5ms\n", ""));
    publish(1);
    publish(2);
    tl_run_until(&sim, 20 * MS);
    publish(3);
    publish(4);
    tl_run_until(&sim, 1 * S);
    ck_assert_int_eq(sink.replies, 2); /* 1 and 3; 2 lost, 4 lost behind 3 */
    ck_assert_double_eq(metric("q", "unanswered"), 2);
}
END_TEST

START_TEST(a_queue_without_reply_reports_no_reply_figures)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1ms)\n");
    struct metric_out out[32];
    size_t n = kind_lookup(&sim, "q")->kind->metrics(&sim, kind_lookup(&sim, "q"), 0, out, 32);
    ck_assert_uint_eq(n, 12);
}
END_TEST

/* Broker faults: a [fault] on the queue (its time is past the test's end:
 * the test starts and ends it by hand, as the fault would). One consumer,
 * 1 s per message; three publishes at 0: 1 is processed 0..1 s, 2 and 3
 * wait. */
static void broker(int32_t partition, bool start)
{
    struct component *c = kind_lookup(&sim, "q");
    c->kind->fault(&sim, c, partition, FAULT_CRASH, 0, start);
}

#define BROKER_MODEL(extra_q, fault)                                                    \
    QUIET "[queue q]\n" extra_q "\n"                                                    \
          "[consumers w]\nfrom = q\nservice = const(1s)\n\n"                            \
          "[fault f]\ntarget = q\naction = crash\n" fault

START_TEST(a_broker_crash_refuses_publishes_and_keeps_its_messages)
{
    /* down 0.5..3 s: 1 finishes at 1 s (taken before the crash); a publish
     * at 2 s is refused; at 3 s 2 and 3 are delivered: done at 4 and 5 s */
    build(BROKER_MODEL("", "at = 900s\n"));
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 500 * MS);
    broker(-1, true);
    tl_run_until(&sim, 2 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_uint_eq(stn()->busy, 0);
    publish(4);
    tl_run_until(&sim, 2 * S + 1);
    ck_assert_int_eq(sink.errors, 1);
    ck_assert_double_eq(metric("q", "refused_broker_down"), 1);
    tl_run_until(&sim, 3 * S);
    broker(-1, false);
    tl_run_until(&sim, 4 * S + 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("q", "lost_broker_crash"), 0);
    ck_assert_double_eq(metric("q", "lost_total"), 0);
}
END_TEST

START_TEST(a_broker_crash_without_persistence_loses_the_waiting_messages)
{
    build(BROKER_MODEL("persistence = false\n", "at = 900s\n"));
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 500 * MS);
    broker(-1, true);
    tl_run_until(&sim, 3 * S);
    broker(-1, false);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(metric("q", "lost_broker_crash"), 2);
    ck_assert_double_eq(metric("q", "lost_total"), 2);
    ck_assert_int_eq(sink.oks, 3); /* all three were acked before the crash */
}
END_TEST

START_TEST(a_partition_failover_pauses_only_that_partition)
{
    /* 2 partitions in turn, one consumer each; partition 1's leader fails
     * at 0.5 s with a 2 s failover. At 0 keys 1, 3 go to partition 0 and
     * 2, 4 to partition 1; at 1 s 5 goes to 0 and 6 to 1 (held). Partition
     * 0 processes 1, 3, 5 to 3 s; partition 1 processes 2 (0..1 s), then
     * from 2.5 s 4 (to 3.5 s) and 6, stored and acked at 2.5 s (to 4.5 s). */
    build(QUIET "[queue q]\npartitions = 2\nroute = round_robin\nfailover = 2s\n\n"
                "[consumers w]\nfrom = q\nconsumers = 2\nservice = const(1s)\n\n"
                "[fault f]\ntarget = q\naction = crash\nreplica = 1\nat = 900s\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 500 * MS);
    broker(1, true);
    tl_run_until(&sim, 1 * S);
    publish(5);
    publish(6);
    tl_run_until(&sim, 1 * S + 1);
    ck_assert_int_eq(sink.oks, 5); /* 6 waits for the failover */
    ck_assert_double_eq(metric("q", "blocked_publishes"), 1);
    tl_run_until(&sim, 2 * S + 1);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 1)->busy, 0);
    ck_assert_uint_eq(queue_station(kind_lookup(&sim, "q"), 0)->busy, 1);
    tl_run_until(&sim, 2500 * MS);
    ck_assert_int_eq(sink.oks, 6);
    ck_assert_int_eq(sink.last_reply_ns, 2500 * MS);
    tl_run_until(&sim, 3500 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_uint_eq(serving_in(1), 6);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("q", "refused_broker_down"), 0);
    ck_assert_double_eq(metric("q", "lost_broker_crash"), 0);
}
END_TEST

START_TEST(a_reply_queue_down_refuses_replies_and_one_in_failover_holds_them)
{
    /* the reply queue crashes at 5 ms: the reply of the processing ended at
     * 12 ms is refused (its caller waits); with a 20 ms failover instead
     * the reply waits to 25 ms, then takes its 3 ms: at the caller at 28 ms */
    static const char *const models[2] = {
        QUIET "[queue q]\nlatency = const(2ms)\nreply = r\n\n"
              "[queue r]\nlatency = const(3ms)\n\n"
              "[consumers w]\nfrom = q\nservice = const(10ms)\n\n"
              "[fault f]\ntarget = r\naction = crash\nat = 900s\n",
        QUIET "[queue q]\nlatency = const(2ms)\nreply = r\n\n"
              "[queue r]\nlatency = const(3ms)\nfailover = 20ms\n\n"
              "[consumers w]\nfrom = q\nservice = const(10ms)\n\n"
              "[fault f]\ntarget = r\naction = crash\nat = 900s\n",
    };
    for (int k = 0; k < 2; k++) {
        build(models[k]);
        publish(1);
        tl_run_until(&sim, 5 * MS);
        struct component *r = kind_lookup(&sim, "r");
        r->kind->fault(&sim, r, -1, FAULT_CRASH, 0, true);
        tl_run_until(&sim, 1 * S);
        if (k == 0) {
            ck_assert_int_eq(sink.replies, 0);
            ck_assert_double_eq(metric("r", "refused_broker_down"), 1);
            ck_assert_double_eq(metric("q", "replied"), 0);
        } else {
            ck_assert_int_eq(sink.oks, 1);
            ck_assert_int_eq(sink.last_reply_ns, 28 * MS);
            ck_assert_double_eq(metric("r", "blocked_publishes"), 1);
            ck_assert_double_eq(metric("q", "replied"), 1);
        }
        ck_assert_double_eq(metric("w", "processed"), 1);
        if (k == 0)
            teardown(); /* the fixture frees the last model */
    }
}
END_TEST

/* ---- batch receive (`batch`, `fetch_latency`) ------------------------------ */

#define BATCH3 "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\nbatch = 3\n" \
               "fetch_latency = const(5ms)\n"

/* One consumer, batch 3, fetch 5 ms, service 10 ms, six messages published
 * at 0: message 1 finds the consumer idle and is fetched alone (0 + 5 + 10
 * = 15 ms); at 15 the consumer fetches 2, 3, 4 in one fetch (2 at 15 + 5 +
 * 10 = 30, 3 at 40, 4 at 50), then 5, 6 (5 at 65, 6 at 75). Three fetches
 * for six messages: e2e mean (15 + 30 + 40 + 50 + 65 + 75) / 6. */
START_TEST(a_batch_pays_one_fetch_and_is_processed_in_order)
{
    build(QUIET BATCH3);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_uint_eq(serving(), 1);
    ck_assert_uint_eq(stn()->len, 5);
    tl_run_until(&sim, 15 * MS + 1);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_uint_eq(stn()->len, 2); /* 3 and 4 left the queue with 2 */
    ck_assert_double_eq(backlog_now(), 2);
    ck_assert_double_eq(metric("w", "processed"), 1);
    tl_run_until(&sim, 30 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 1);
    tl_run_until(&sim, 30 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_uint_eq(serving(), 3); /* no second fetch: 3 starts at once */
    tl_run_until(&sim, 40 * MS + 1);
    ck_assert_uint_eq(serving(), 4);
    tl_run_until(&sim, 50 * MS + 1);
    ck_assert_uint_eq(serving(), 5);
    ck_assert_uint_eq(stn()->len, 0);
    tl_run_until(&sim, 65 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 65 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 75 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 75 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 30 + 40 + 50 + 65 + 75) / 6,
                            1e-9);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
}
END_TEST

/* Head-of-line: two consumers, batch 3. 1 and 2 go to the idle consumers
 * alone (both end at 15 ms); at 15 the first takes 3 with 4 and 5, the
 * second finds only 6 (ends at 30) and then idles while 4 and 5 wait in
 * the first (ending at 40 and 50). Without batching (fetch 5 ms each) 3, 4
 * end at 30 and 5, 6 at 45. */
START_TEST(fetched_messages_wait_in_their_consumer_while_another_idles)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nbatch = 3\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 30 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 4); /* 1, 2, 3, 6 */
    ck_assert_uint_eq(stn()->busy, 1); /* 4 in processing, 5 fetched: the other idles */
    ck_assert_uint_eq(stn()->len, 0);
    tl_run_until(&sim, 50 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 15 + 30 + 40 + 50 + 30) / 6,
                            1e-9);
    teardown();
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 50 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 15 + 30 + 30 + 45 + 45) / 6,
                            1e-9);
}
END_TEST

/* A crash at 35 ms cuts 3 in processing with 4 fetched behind it (5 and 6
 * wait): with after_processing 3 and 4 go back to the front in order (both
 * redelivered) and every message is processed once; at the recovery (1 s)
 * 3 is fetched alone (ends at 1.015 s), then 4 with 5 and 6 (1.030, 1.040,
 * 1.050 s). */
START_TEST(a_crash_mid_batch_redelivers_the_unprocessed_after_processing)
{
    build(QUIET BATCH3);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 35 * MS);
    ck_assert_uint_eq(serving(), 3);
    group_crash(true);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 4); /* 3, 4 back in front of 5, 6 */
    tl_run_until(&sim, S);
    group_crash(false);
    tl_run_until(&sim, S + 1);
    ck_assert_uint_eq(serving(), 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_uint_eq(waiting(i), i + 4);
    tl_run_until(&sim, S + 15 * MS + 1);
    ck_assert_uint_eq(serving(), 4);
    ck_assert_uint_eq(stn()->len, 0);
    tl_run_until(&sim, S + 50 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
}
END_TEST

/* The same crash with ack = on_receive: 3 and the fetched 4 were acked
 * when fetched, so both are lost; 5 and 6 are processed after the
 * recovery: processed + lost = published. */
START_TEST(a_crash_mid_batch_loses_the_fetched_on_receive)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\nbatch = 3\n"
                "fetch_latency = const(5ms)\nack = on_receive\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 35 * MS);
    group_crash(true);
    ck_assert_double_eq(metric("w", "lost"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(backlog_now(), 2);
    tl_run_until(&sim, S);
    group_crash(false);
    tl_run_until(&sim, 2 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "processed") + metric("w", "lost"), 6);
}
END_TEST

/* Capacity 4 with after_processing: the fetched messages are still held.
 * At 0: 1 in processing and 2, 3, 4 waiting fill it (5, 6 refused); at 15
 * ms 2 is in processing with 3, 4 fetched, and 7 (published at 16 ms)
 * waits: 4 held; at 31 ms 2 is done (30 ms), so 8 fits (3, 4, 7, 8). */
START_TEST(fetched_messages_count_against_capacity_after_processing)
{
    build(QUIET "[queue q]\ncapacity = 4\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                "batch = 3\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    tl_run_until(&sim, 16 * MS);
    publish(7);
    publish(9); /* 2, 3, 4 and 7 held: refused */
    tl_run_until(&sim, 16 * MS + 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 3);
    ck_assert_uint_eq(waiting(0), 7);
    tl_run_until(&sim, 31 * MS);
    publish(8);
    tl_run_until(&sim, 31 * MS + 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 3);
    ck_assert_uint_eq(waiting(1), 8);
}
END_TEST

/* Accounting through a crash: 1000 messages, one a millisecond, to 2
 * consumers fetching up to 4 (a backlog builds: each handles about one per
 * 11.25 ms); the group is down from 300 to 400 ms. After the drain every
 * message was processed exactly once (after_processing), or processed or
 * lost (on_receive), with nothing left held. */
static void batch_accounting(bool on_receive)
{
    build(on_receive ? QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                             "service = const(10ms)\nbatch = 4\nfetch_latency = const(5ms)\n"
                             "ack = on_receive\n"
                     : QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                             "service = const(10ms)\nbatch = 4\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 0; k < 1000; k++) {
        tl_run_until(&sim, (int64_t)k * MS);
        if (k == 300) { /* every message stored so far is processed, lost or parked */
            group_crash(true);
            ck_assert_double_eq(metric("w", "processed") + metric("w", "lost") + backlog_now(),
                                300);
        }
        if (k == 400)
            group_crash(false);
        publish(k + 1);
    }
    tl_run_until(&sim, 20 * S);
    ck_assert_int_eq(sink.oks, 1000);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_uint_eq(stn()->busy, 0);
    ck_assert_double_eq(metric("w", "processed") + metric("w", "lost"), 1000);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    if (on_receive) {
        /* the 2 in processing and up to 3 fetched behind each (fetches are full) */
        ck_assert_double_gt(metric("w", "lost"), 2); /* some fetched: a full backlog */
        ck_assert_double_le(metric("w", "lost"), 8);
        ck_assert_double_eq(metric("w", "redelivered"), 0);
    } else {
        ck_assert_double_eq(metric("w", "lost"), 0);
        ck_assert_double_gt(metric("w", "redelivered"), 2);
    }
}

START_TEST(batch_accounting_after_processing)
{
    batch_accounting(false);
}
END_TEST

START_TEST(batch_accounting_on_receive)
{
    batch_accounting(true);
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, full_reject_counts_the_messages_being_processed);
    tcase_add_test(tc, ack_on_receive_counts_only_the_waiting_messages);
    tcase_add_test(tc, capacity_zero_on_receive_takes_only_what_a_free_consumer_takes);
    tcase_add_test(tc, drop_oldest_drops_the_oldest_waiting_message);
    tcase_add_test(tc, drop_oldest_refuses_when_every_held_message_is_processed);
    tcase_add_test(tc, drop_oldest_drops_past_a_copy_that_frees_no_room);
    tcase_add_test(tc, drop_oldest_refuses_when_only_copies_wait);
    tcase_add_test(tc, consumers_take_messages_oldest_first);
    tcase_add_test(tc, the_ack_comes_after_the_broker_latency_not_the_processing);
    tcase_add_test(tc, round_robin_deals_publishes_to_partitions_in_turn);
    tcase_add_test(tc, one_key_stays_in_one_partition_in_order);
    tcase_add_test(tc, capacity_applies_to_each_partition);
    tcase_add_test(tc, a_crash_redelivers_the_message_being_processed_first);
    tcase_add_test(tc, a_crash_loses_a_message_acked_on_receive);
    tcase_add_test(tc, messages_parked_during_a_crash_count_against_capacity);
    tcase_add_test(tc, fanout_every_group_processes_every_message);
    tcase_add_test(tc, fanout_a_crashed_group_lags_alone);
    tcase_add_test(tc, fanout_drop_oldest_drops_only_from_the_full_group);
    tcase_add_test(tc, fanout_reject_refuses_the_publish_for_every_group);
    tcase_add_test(tc, poison_messages_go_to_the_dlq_after_max_deliveries);
    tcase_add_test(tc, a_dlq_consumer_processes_dead_letters_with_their_first_age);
    tcase_add_test(tc, without_a_dlq_dead_letters_are_discarded);
    tcase_add_test(tc, a_full_dlq_refuses_and_the_dead_letter_is_lost);
    tcase_add_test(tc, a_crash_cut_delivery_counts_towards_max_deliveries);
    tcase_add_test(tc, a_failure_acked_on_receive_is_lost);
    tcase_add_test(tc, transient_failures_are_retried_until_processed);
    tcase_add_test(tc, retention_deletes_a_message_a_consumer_reaches_too_late);
    tcase_add_test(tc, retention_deletes_expired_messages_before_a_new_one_is_stored);
    tcase_add_test(tc, retention_deletes_messages_parked_through_a_crash);
    tcase_add_test(tc, a_dead_letter_keeps_its_first_age_for_the_dlq_retention);
    tcase_add_test(tc, a_slow_consumer_past_the_visibility_timeout_processes_twice);
    tcase_add_test(tc, an_idempotent_consumer_skips_a_message_it_has_processed);
    tcase_add_test(tc, dedupe_remembers_ids_for_its_window_only);
    tcase_add_test(tc, a_crash_cut_message_comes_back_after_the_visibility_timeout);
    tcase_add_test(tc, lag_in_seconds_is_the_age_of_the_oldest_waiting_message);
    tcase_add_test(tc, a_failed_message_sent_to_the_back_is_processed_out_of_order);
    tcase_add_test(tc, one_consumer_per_key_keeps_the_order);
    tcase_add_test(tc, consumers_scale_on_lag_after_their_cold_start);
    tcase_add_test(tc, a_redelivered_copy_holds_no_second_place);
    tcase_add_test(tc, a_request_waits_for_its_reply_through_the_reply_queue);
    tcase_add_test(tc, a_reply_after_the_caller_gave_up_is_late_and_dropped);
    tcase_add_test(tc, a_second_reply_to_one_correlation_id_is_late);
    tcase_add_test(tc, a_lost_request_message_leaves_its_caller_unanswered);
    tcase_add_test(tc, a_lost_message_whose_caller_gave_up_is_not_unanswered);
    tcase_add_test(tc, a_lost_message_goes_back_to_its_caller_once_it_gave_up);
    tcase_add_test(tc, a_lost_message_whose_caller_still_waits_stays_pending);
    tcase_add_test(tc, a_queue_without_reply_reports_no_reply_figures);
    tcase_add_test(tc, a_broker_crash_refuses_publishes_and_keeps_its_messages);
    tcase_add_test(tc, a_broker_crash_without_persistence_loses_the_waiting_messages);
    tcase_add_test(tc, a_partition_failover_pauses_only_that_partition);
    tcase_add_test(tc, a_reply_queue_down_refuses_replies_and_one_in_failover_holds_them);
    tcase_add_test(tc, full_block_holds_publishes_until_room_frees);
    tcase_add_test(tc, full_block_drops_a_publish_whose_caller_gave_up_at_the_front);
    tcase_add_test(tc, full_block_in_fanout_waits_for_the_slowest_group);
    tcase_add_test(tc, full_block_frees_room_when_a_message_expires);
    tcase_add_test(tc, a_batch_pays_one_fetch_and_is_processed_in_order);
    tcase_add_test(tc, fetched_messages_wait_in_their_consumer_while_another_idles);
    tcase_add_test(tc, a_crash_mid_batch_redelivers_the_unprocessed_after_processing);
    tcase_add_test(tc, a_crash_mid_batch_loses_the_fetched_on_receive);
    tcase_add_test(tc, fetched_messages_count_against_capacity_after_processing);
    tcase_add_test(tc, batch_accounting_after_processing);
    tcase_add_test(tc, batch_accounting_on_receive);
    suite_add_tcase(s, tc);
    return s;
}
