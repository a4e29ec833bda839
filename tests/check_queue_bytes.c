/* A queue bounded in bytes (models/kinds/queue.c: message_size,
 * capacity_bytes), driven publish by publish with constant service times
 * so every count is exact: a 10 kB partition holds two 4 kB messages and
 * refuses the third (full = reject), or drops the oldest waiting ones until
 * the new one fits (drop_oldest, several for a large one, none when the
 * bytes being processed leave no room), or holds the publish until it fits
 * (block, head-of-line: a small publish waits behind a large one); a
 * message larger than the bound is refused outright (rejected_too_large);
 * with ack = on_receive only the waiting bytes count; a crash-cut message
 * and a dead letter keep their size; message_size alone changes no result;
 * the same seed gives the same sizes and figures at any -j. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

/* Sizes of 2 kB or 8 kB, half each (which one is the message's own draw). */
#define MIXED "message_size = mix(0.5 const(2kB), 0.5 const(8kB))\n"

/* The bytes queue `name` holds now (its bytes_held time-series figure). */
static double held_now(const char *name)
{
    struct component *c = kind_lookup(&sim, name);
    const char *names[4];
    double values[4];
    size_t n = c->kind->ts_extra(&sim, c, names, values, 4);
    /* backlog, bytes_held, and bytes_cap with capacity_bytes */
    ck_assert_msg(n == 2 || (n == 3 && strcmp(names[2], "bytes_cap") == 0), "%zu columns", n);
    ck_assert_str_eq(names[1], "bytes_held");
    return values[1];
}

/* The size of the message a publish of `key` makes at q (tl_sink_publish
 * seeds its work from the key). */
static uint32_t size_of(uint64_t key)
{
    struct request r;
    memset(&r, 0, sizeof r);
    r.key = key;
    r.work_seed = 0x9e3779b97f4a7c15ULL * key;
    return queue_message_bytes(kind_lookup(&sim, "q"), &r);
}

/* The first n keys from `from` on whose message has `size` bytes. */
static void keys_of_size(uint32_t size, uint64_t from, uint64_t *out, int n)
{
    uint64_t k = from;
    for (int i = 0; i < n; k++) {
        ck_assert_uint_lt(k, from + 1000);
        if (size_of(k) == size)
            out[i++] = k;
    }
}

static void crash(const char *group, bool start)
{
    struct component *c = kind_lookup(&sim, group);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, start);
}

/* The key of the i-th waiting message of partition 0, oldest first. */
static uint64_t waiting(size_t i)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), 0);
    ck_assert_uint_lt(i, st->len);
    return st->ring[(st->head + i) % st->cap]->key;
}

static uint64_t serving(void)
{
    const struct station *st = queue_station(kind_lookup(&sim, "q"), 0);
    ck_assert_uint_eq(st->busy, 1);
    return st->serving[0].r->key;
}

START_TEST(sizes_take_their_units_and_draw_the_same_for_a_publish)
{
    build(QUIET "[queue q]\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    ck_assert_uint_eq(size_of(1), 4000);
    tl_model_free(&sim, &sc, &pt);
    build(QUIET "[queue q]\nmessage_size = const(1.5KiB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    ck_assert_uint_eq(size_of(1), 1536);
    tl_model_free(&sim, &sc, &pt);
    build(QUIET "[queue q]\n" MIXED "\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    int small = 0;
    for (uint64_t k = 1; k <= 200; k++) {
        uint32_t b = size_of(k);
        ck_assert(b == 2000 || b == 8000);
        ck_assert_uint_eq(size_of(k), b); /* one draw per publish, always the same */
        small += b == 2000;
    }
    /* half each: 100 of 200, binomial sd 7 */
    ck_assert_int_gt(small, 100 - 4 * 7);
    ck_assert_int_lt(small, 100 + 4 * 7);
}
END_TEST

START_TEST(reject_refuses_the_message_that_does_not_fit)
{
    /* 10 kB a partition, 4 kB messages, after_processing: 1 processed (4 kB)
     * + 2 waiting (8 kB) is full; the third publish at 0 would make 12 kB */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(metric("q", "rejected_too_large"), 0);
    ck_assert_double_eq(held_now("q"), 8000);
    /* at 1 s message 1 is processed: 4 kB free, one more fits, the next not */
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(held_now("q"), 4000);
    publish(4);
    publish(5);
    tl_run_until(&sim, 1 * S + 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 2);
    ck_assert_double_eq(held_now("q"), 8000);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(held_now("q"), 0);
    ck_assert_double_eq(metric("q", "bytes_held_max"), 8000);
    ck_assert_double_eq(metric("q", "published_bytes"), 5 * 4000);
    ck_assert_double_eq(metric("q", "rejected_bytes"), 2 * 4000);
    /* held 8 kB over [0, 1 s), 8 kB over [1 s, 2 s), 4 kB over [2 s, 3 s),
     * then nothing to 10 s: 20 kB s / 10 s */
    ck_assert_double_eq_tol(metric("q", "bytes_held_mean"), 2000, 1e-9);
}
END_TEST

START_TEST(both_bounds_apply_a_message_must_fit_both)
{
    /* capacity 2 messages and 100 kB: the message bound refuses the third */
    build(QUIET "[queue q]\ncapacity = 2\ncapacity_bytes = 100kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    tl_model_free(&sim, &sc, &pt);
    /* capacity 100 messages and 10 kB: the byte bound refuses the third */
    build(QUIET "[queue q]\ncapacity = 100\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
}
END_TEST

START_TEST(drop_oldest_drops_exactly_the_first)
{
    /* the consumers are down: 1, 2 wait (8 kB); 3 needs 4 kB more than the
     * 10 kB: dropping 1 makes room */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nfull = drop_oldest\n"
                "message_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    crash("w", true);
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(held_now("q"), 8000);
    crash("w", false);
    tl_run_until(&sim, 2);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_uint_eq(waiting(0), 3);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(held_now("q"), 0);
}
END_TEST

START_TEST(drop_oldest_drops_as_many_as_a_large_message_needs)
{
    /* down consumers; three 2 kB messages wait (6 kB); an 8 kB one needs
     * 14 kB of 10 kB: the two oldest go (10 kB then fits exactly) */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nfull = drop_oldest\n" MIXED "\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    uint64_t small[3], big[1];
    keys_of_size(2000, 1, small, 3);
    keys_of_size(8000, 1, big, 1);
    crash("w", true);
    for (int i = 0; i < 3; i++)
        publish(small[i]);
    publish(big[0]);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 4);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 2);
    ck_assert_double_eq(held_now("q"), 10000);
    crash("w", false);
    tl_run_until(&sim, 2);
    ck_assert_uint_eq(serving(), small[2]);
    ck_assert_uint_eq(waiting(0), big[0]);
}
END_TEST

START_TEST(drop_oldest_refuses_when_the_processed_bytes_leave_no_room)
{
    /* an 8 kB message is processed, a 2 kB one waits (10 kB); another 8 kB
     * would not fit even with the waiting one dropped (16 kB): refused, and
     * nothing is dropped */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nfull = drop_oldest\n" MIXED "\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    uint64_t small[1], big[2];
    keys_of_size(2000, 1, small, 1);
    keys_of_size(8000, 1, big, 2);
    publish(big[0]);
    publish(small[0]);
    publish(big[1]);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 0);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_uint_eq(waiting(0), small[0]);
}
END_TEST

START_TEST(a_message_larger_than_the_bound_is_refused_outright)
{
    /* 5 kB a partition: an 8 kB message never fits, whatever full says; it is
     * counted in rejected_too_large, not rejected_full, and drops nothing */
    build(QUIET "[queue q]\ncapacity_bytes = 5kB\nfull = drop_oldest\n" MIXED "\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    uint64_t small[2], big[1];
    keys_of_size(2000, 1, small, 2);
    keys_of_size(8000, 1, big, 1);
    publish(small[0]);
    publish(small[1]);
    publish(big[0]);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("q", "rejected_too_large"), 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 0);
    ck_assert_double_eq(metric("q", "published"), 3);
    ck_assert_double_eq(metric("q", "published_bytes"), 2000 + 2000 + 8000);
    ck_assert_double_eq(metric("q", "rejected_bytes"), 8000);
    ck_assert_double_eq(held_now("q"), 4000);
}
END_TEST

START_TEST(block_holds_a_small_publish_behind_a_large_one)
{
    /* 10 kB, one consumer 10 ms a message. An 8 kB message is processed
     * 0..10 ms; another 8 kB publish does not fit (16 kB) and waits at the
     * broker; a 2 kB publish would fit (10 kB) but waits behind it
     * (head-of-line). At 10 ms the first is done: both are stored, in
     * order, and acked then. */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nfull = block\n" MIXED "\n"
                "[consumers w]\nfrom = q\nservice = const(10ms)\n");
    uint64_t small[1], big[2];
    keys_of_size(2000, 1, small, 1);
    keys_of_size(8000, 1, big, 2);
    publish(big[0]);
    publish(big[1]);
    publish(small[0]);
    tl_run_until(&sim, 10 * MS - 1);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_double_eq(metric("q", "blocked_full"), 2);
    ck_assert_double_eq(held_now("q"), 8000);
    tl_run_until(&sim, 10 * MS);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.last_reply_ns, 10 * MS);
    ck_assert_uint_eq(serving(), big[1]);
    ck_assert_uint_eq(waiting(0), small[0]);
    ck_assert_double_eq(held_now("q"), 10000);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_int_eq(sink.errors, 0);
}
END_TEST

START_TEST(block_refuses_a_held_publish_too_large_for_the_bound)
{
    /* 5 kB: an 8 kB publish behind a held one is refused when it reaches
     * the front, not held forever */
    build(QUIET "[queue q]\ncapacity_bytes = 5kB\nfull = block\n" MIXED "\n"
                "[consumers w]\nfrom = q\nservice = const(10ms)\n");
    uint64_t small[3], big[1];
    keys_of_size(2000, 1, small, 3);
    keys_of_size(8000, 1, big, 1);
    publish(small[0]); /* processed */
    publish(small[1]); /* waits: 4 kB */
    publish(small[2]); /* 6 kB: held */
    publish(big[0]);   /* held behind it */
    tl_run_until(&sim, 10 * MS - 1);
    ck_assert_int_eq(sink.replies, 2);
    tl_run_until(&sim, 10 * MS);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_double_eq(metric("q", "rejected_too_large"), 1);
    ck_assert_double_eq(metric("q", "blocked_full"), 2);
}
END_TEST

START_TEST(on_receive_counts_only_the_waiting_bytes)
{
    /* ack = on_receive: the message taken at once is not held; 2 and 3 wait
     * (8 kB); 4 would make 12 kB */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\nack = on_receive\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(held_now("q"), 8000);
    /* at 1 s the consumer takes 2: 4 kB held */
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(held_now("q"), 4000);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(held_now("q"), 0);
}
END_TEST

START_TEST(an_owned_partition_counts_its_log_and_the_message_in_processing)
{
    /* assignment = range: the partition's log is the group's; 1 processed
     * (4 kB) + 1 waiting: the third 4 kB publish does not fit in 10 kB with
     * after_processing; with on_receive the one taken at once is not held,
     * so 2 wait and the fourth is refused */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\nassignment = range\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(held_now("q"), 8000);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(held_now("q"), 0);
    tl_model_free(&sim, &sc, &pt);
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\nassignment = range\n"
                "ack = on_receive\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(held_now("q"), 8000);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(held_now("q"), 4000);
}
END_TEST

START_TEST(fetched_messages_are_held_but_not_dropped)
{
    /* batch = 3, after_processing, 20 kB: 1 is processed alone 0..1 s (it
     * found nothing waiting to fetch), 2 and 3 wait; at 1 s 2 starts and
     * fetches 3 (8 kB held, none waiting). 4, 5, 6 then fit (20 kB); 7
     * needs 4 kB more: drop_oldest drops 4, the oldest waiting, not 3,
     * fetched */
    build(QUIET "[queue q]\ncapacity_bytes = 20kB\nfull = drop_oldest\n"
                "message_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\nbatch = 3\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_uint_eq(serving(), 2);
    ck_assert_double_eq(held_now("q"), 8000);
    for (uint64_t k = 4; k <= 7; k++)
        publish(k);
    tl_run_until(&sim, 1 * S + 1);
    ck_assert_double_eq(metric("q", "dropped_oldest"), 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(held_now("q"), 20000);
    ck_assert_uint_eq(waiting(0), 5);
    ck_assert_uint_eq(waiting(1), 6);
    ck_assert_uint_eq(waiting(2), 7);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(held_now("q"), 0);
}
END_TEST

START_TEST(a_crash_cut_message_keeps_its_bytes_held)
{
    /* after_processing: a crash sends the processed message back to the
     * front; the broker still holds its 4 kB, and it still takes room */
    build(QUIET "[queue q]\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 500 * MS);
    crash("w", true);
    ck_assert_double_eq(held_now("q"), 8000);
    publish(3);
    tl_run_until(&sim, 500 * MS + 1);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    crash("w", false);
    tl_run_until(&sim, 500 * MS + 2);
    ck_assert_uint_eq(serving(), 1);
    ck_assert_double_eq(held_now("q"), 8000);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_double_eq(held_now("q"), 0);
}
END_TEST

START_TEST(a_dead_letter_keeps_its_size)
{
    /* poison messages of 4 kB go to a dlq whose own message_size is 1 kB:
     * they keep their 4 kB there, so its 10 kB holds two of them */
    build(QUIET "[queue q]\nmessage_size = const(4kB)\nmax_deliveries = 1\ndlq = dead\n\n"
                "[queue dead]\nmessage_size = const(1kB)\ncapacity_bytes = 10kB\n\n"
                "[consumers w]\nfrom = q\nservice = const(1ms)\npoison = 1\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("q", "dead_lettered"), 3);
    ck_assert_double_eq(metric("q", "lost_dead_letter"), 1);
    ck_assert_double_eq(held_now("dead"), 8000);
    ck_assert_double_eq(metric("dead", "rejected_full"), 1);
}
END_TEST

START_TEST(fanout_bounds_each_groups_bytes)
{
    /* two groups, 10 kB each; the slow group is down: its 2 held messages
     * fill it and the third publish is refused for both (reject) */
    build(QUIET "[queue q]\nmode = fanout\ncapacity_bytes = 10kB\nmessage_size = const(4kB)\n\n"
                "[consumers fast]\nfrom = q\nservice = const(1ms)\n\n"
                "[consumers slow]\nfrom = q\nservice = const(1ms)\n");
    crash("slow", true);
    publish(1);
    publish(2);
    tl_run_until(&sim, 10 * MS);
    ck_assert_double_eq(held_now("q"), 8000); /* the slow group's copies only */
    publish(3);
    tl_run_until(&sim, 20 * MS);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(metric("fast", "processed"), 2);
}
END_TEST

/* ---- whole runs -------------------------------------------------------------- */

#define RUN_TEXT                                                                   \
    "[sim]\nduration = 20s\nwarmup = 2s\nrepeat = 2\nseed = 5\n\n"                 \
    "[client c]\narrival = poisson(rate=300/s)\nto = q\ntimeout = 2s\n\n"          \
    "[queue q]\ncapacity = 40\nfull = drop_oldest\npartitions = 2\n"               \
    "retention = 500ms\nvisibility_timeout = 200ms\n%s\n"                          \
    "[consumers w]\nfrom = q\nconsumers = 4\nservice = lognormal(median=10ms, sigma=1)\n" \
    "fail = 0.05\n\n"                                                              \
    "[fault f]\ntarget = w\naction = crash\nat = 8s\nuntil = 10s\n"

static const char *extra_value_name(const struct run_result *r, size_t i)
{
    return r->extra[i].name;
}

static double extra(const struct run_result *r, const char *name)
{
    for (size_t i = 0; i < r->nextra; i++)
        if (strcmp(r->extra[i].name, name) == 0)
            return r->extra[i].value;
    ck_abort_msg("no extra %s", name);
    return NAN;
}

START_TEST(message_size_alone_changes_no_result)
{
    char plain[2048], sized[2048];
    snprintf(plain, sizeof plain, RUN_TEXT, "");
    snprintf(sized, sizeof sized, RUN_TEXT,
             "message_size = lognormal(median=4kB, sigma=1.5)\n");
    size_t n1, n2;
    struct run_result *a = tl_runs(plain, 1, &n1);
    struct run_result *b = tl_runs(sized, 1, &n2);
    ck_assert_uint_eq(n1, 2);
    ck_assert_uint_eq(n2, 2);
    for (size_t i = 0; i < n1; i++) {
        ck_assert_uint_eq(a[i].offered, b[i].offered);
        ck_assert_uint_eq(a[i].completed, b[i].completed);
        ck_assert_uint_eq(a[i].rejected, b[i].rejected);
        ck_assert_uint_eq(a[i].timeouts, b[i].timeouts);
        ck_assert_uint_eq(a[i].events, b[i].events);
        ck_assert_uint_gt(a[i].completed, 1000);
        /* every figure of the plain run is the same in the sized one, which
         * adds its five byte figures */
        ck_assert_uint_eq(b[i].nextra, a[i].nextra + 5);
        for (size_t k = 0; k < a[i].nextra; k++) {
            const char *name = extra_value_name(&a[i], k);
            double x = a[i].extra[k].value, y = extra(&b[i], name);
            ck_assert_msg(x == y || (isnan(x) && isnan(y)), "%s: %g != %g", name, x, y);
        }
        ck_assert_double_gt(extra(&b[i], "q.bytes_held_mean"), 0);
        ck_assert_double_gt(extra(&a[i], "q.dropped_oldest"), 0); /* the bound was reached */
    }
    tl_runs_free(a, n1);
    tl_runs_free(b, n2);
}
END_TEST

START_TEST(the_same_seed_gives_the_same_bytes_at_any_jobs)
{
    char sized[2048];
    snprintf(sized, sizeof sized, RUN_TEXT,
             "message_size = lognormal(median=4kB, sigma=1.5)\ncapacity_bytes = 100kB\n");
    size_t n1, n2;
    struct run_result *a = tl_runs(sized, 1, &n1);
    struct run_result *b = tl_runs(sized, 2, &n2);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        ck_assert_uint_eq(a[i].nextra, b[i].nextra);
        for (size_t k = 0; k < a[i].nextra; k++) {
            double x = a[i].extra[k].value, y = b[i].extra[k].value;
            ck_assert_str_eq(a[i].extra[k].name, b[i].extra[k].name);
            ck_assert_msg(x == y || (isnan(x) && isnan(y)), "%s", a[i].extra[k].name);
        }
        ck_assert_double_gt(extra(&a[i], "q.rejected_full") + extra(&a[i], "q.dropped_oldest"),
                            0);
        ck_assert_double_le(extra(&a[i], "q.bytes_held_max"), 2 * 100000.0);
    }
    /* the two repetitions draw different sizes */
    ck_assert_double_ne(extra(&a[0], "q.bytes_held_mean"), extra(&a[1], "q.bytes_held_mean"));
    tl_runs_free(a, n1);
    tl_runs_free(b, n2);
}
END_TEST

Suite *queue_bytes_suite(void)
{
    Suite *s = suite_create("queue_bytes");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sizes_take_their_units_and_draw_the_same_for_a_publish);
    tcase_add_test(tc, reject_refuses_the_message_that_does_not_fit);
    tcase_add_test(tc, both_bounds_apply_a_message_must_fit_both);
    tcase_add_test(tc, drop_oldest_drops_exactly_the_first);
    tcase_add_test(tc, drop_oldest_drops_as_many_as_a_large_message_needs);
    tcase_add_test(tc, drop_oldest_refuses_when_the_processed_bytes_leave_no_room);
    tcase_add_test(tc, a_message_larger_than_the_bound_is_refused_outright);
    tcase_add_test(tc, block_holds_a_small_publish_behind_a_large_one);
    tcase_add_test(tc, block_refuses_a_held_publish_too_large_for_the_bound);
    tcase_add_test(tc, on_receive_counts_only_the_waiting_bytes);
    tcase_add_test(tc, an_owned_partition_counts_its_log_and_the_message_in_processing);
    tcase_add_test(tc, fetched_messages_are_held_but_not_dropped);
    tcase_add_test(tc, a_crash_cut_message_keeps_its_bytes_held);
    tcase_add_test(tc, a_dead_letter_keeps_its_size);
    tcase_add_test(tc, fanout_bounds_each_groups_bytes);
    tcase_add_test(tc, message_size_alone_changes_no_result);
    tcase_add_test(tc, the_same_seed_gives_the_same_bytes_at_any_jobs);
    suite_add_tcase(s, tc);
    return s;
}
