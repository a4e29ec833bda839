/* The leader-follower replicated store (models/kinds/replicaset.c), driven request
 * by request with constant delays (write 1 ms, read 1 ms, replication
 * 10 ms): acknowledgement rules, apply order, each consistency level's read
 * rule, the writes a failover loses, node queues, distances and nearest
 * reads, and session reads that wait at their follower. */
#include <check.h>
#include <string.h>

#include "models/kind.h"
#include "models/model.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

/* Builds a replica set `db` with these extra keys (a client that is never
 * started keeps the model valid), with this seed. */
static void build_seeded(const char *keys, uint64_t seed)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[client c]\narrival = constant(rate=1/s)\nto = db\n\n[replicaset db]\n"
             "write_time = const(1ms)\nread_time = const(1ms)\nfailover = 100ms\n%s%s",
             strstr(keys, "replication_delay") ? "" : "replication_delay = const(10ms)\n",
             keys);
    tl_model_build(&sim, &sc, &pt, text, seed, 1000000000000LL);
    tl_sink_init(&sink);
}

static void build(const char *keys)
{
    build_seeded(keys, 1);
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}


static void run_until(int64_t t_ns)
{
    tl_run_until(&sim, t_ns);
}

/* Sends a request of session `user` (UINT32_MAX: the client's). */
static void send_as(uint64_t key, int op, uint32_t user)
{
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = (uint8_t)op;
    r->user = user;
    tl_sink_send(&sim, &sink, r, kind_lookup(&sim, "db"));
}

static void send(uint64_t key, int op)
{
    send_as(key, op, UINT32_MAX);
}

static double metric(const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, "db"), name);
}

static void crash_node(int32_t i, bool start)
{
    struct component *c = kind_lookup(&sim, "db");
    c->kind->fault(&sim, c, i, FAULT_CRASH, 0, start);
}

static void crash_leader(bool start)
{
    crash_node(0, start);
}

static void cut(int32_t i, bool start)
{
    struct component *c = kind_lookup(&sim, "db");
    c->kind->partition(&sim, c, i, start);
}

START_TEST(async_acknowledges_at_the_commit_and_strong_reads_the_leader)
{
    build("replicas = 3\nconsistency = strong\n");
    send(7, OP_WRITE);
    run_until(1 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 1);
    send(7, OP_READ);
    run_until(3 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    ck_assert_double_eq(metric("stale_fraction"), 0);
}
END_TEST

/* Before the followers apply the write (11 ms), reads from any node are
 * stale unless they land on the leader; after it, none is. */
START_TEST(eventual_reads_are_stale_until_the_followers_apply)
{
    build("replicas = 3\nconsistency = eventual\n");
    send(7, OP_WRITE);
    run_until(2 * MS);
    for (int i = 0; i < 30; i++)
        send(7, OP_READ);
    run_until(5 * MS);
    double early = metric("stale_fraction");
    ck_assert_double_gt(early, 0.3);
    ck_assert_double_eq(metric("stale_versions_mean"), 1);
    run_until(12 * MS);
    for (int i = 0; i < 30; i++)
        send(7, OP_READ);
    run_until(20 * MS);
    ck_assert_double_eq_tol(metric("stale_fraction"), early / 2, 1e-12);
}
END_TEST

START_TEST(read_your_writes_and_causal_fall_back_to_the_leader)
{
    static const char *const levels[] = {"read_your_writes", "causal"};
    char keys[128];
    snprintf(keys, sizeof keys, "replicas = 3\nconsistency = %s\n", levels[_i]);
    build(keys);
    send(7, OP_WRITE);
    run_until(2 * MS);
    for (int i = 0; i < 30; i++)
        send(7, OP_READ);
    run_until(5 * MS);
    ck_assert_double_eq(metric("stale_fraction"), 0);
    ck_assert_double_gt(metric("leader_fallbacks"), 5);
}
END_TEST

/* Monotonic reads: once the session has read version 1 (from the leader),
 * a follower without it is not used. */
START_TEST(monotonic_reads_never_go_back)
{
    build("replicas = 3\nconsistency = monotonic_reads\n");
    send(7, OP_WRITE);
    run_until(2 * MS);
    uint64_t seen = 0;
    for (int i = 0; i < 30; i++) {
        send(7, OP_READ);
        run_until(3 * MS + i * 2 * MS);
        ck_assert_uint_ge(sink.last_version, seen);
        seen = sink.last_version;
    }
}
END_TEST

START_TEST(semi_sync_acknowledges_when_a_follower_has_applied)
{
    build("replicas = 3\nack = semi_sync(k=1)\n");
    send(7, OP_WRITE);
    run_until(10 * MS);
    ck_assert_int_eq(sink.replies, 0);
    run_until(11 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_OK);
}
END_TEST

/* The leader commits and acknowledges at 1 ms and crashes at 5 ms, before
 * shipping the write (due at 11 ms): after the failover the write is lost
 * and the new leader's version (0) is the truth again. Writes fail while
 * there is no leader. */
START_TEST(failover_loses_acknowledged_unreplicated_writes)
{
    build("replicas = 3\nconsistency = strong\n");
    send(7, OP_WRITE);
    run_until(5 * MS);
    crash_leader(true);
    send(8, OP_WRITE);
    run_until(50 * MS);
    ck_assert_int_eq(sink.last_status, REQ_ERROR);
    ck_assert_double_eq(metric("failed"), 1);
    run_until(200 * MS);
    ck_assert_double_eq(metric("lost_writes"), 1);
    send(7, OP_READ);
    run_until(210 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 0);
    ck_assert_double_eq(metric("stale_fraction"), 0);
}
END_TEST

START_TEST(semi_sync_loses_nothing_at_failover)
{
    build("replicas = 3\nconsistency = strong\nack = semi_sync(k=1)\n");
    send(7, OP_WRITE);
    run_until(12 * MS);
    crash_leader(true);
    run_until(200 * MS);
    ck_assert_double_eq(metric("lost_writes"), 0);
    send(7, OP_READ);
    run_until(210 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
}
END_TEST


/* Followers apply in log order even when later writes have shorter delays
 * (and, in the second loop, random apply times on 4 workers): after 50
 * quick writes of one key and a quiet second, every node returns the 50th
 * version. */
START_TEST(followers_apply_in_log_order)
{
    build("replicas = 3\nconsistency = eventual\nreplication_delay = exp(mean=10ms)\n");
    for (int i = 0; i < 50; i++)
        send(7, OP_WRITE);
    run_until(1000 * MS);
    for (int i = 0; i < 30; i++) {
        send(7, OP_READ);
        run_until(1002 * MS + i * MS);
        ck_assert_uint_eq(sink.last_version, 50);
    }
}
END_TEST

/* One worker per node, room for one waiting request, const 1 ms per read:
 * three strong reads sent at 0 are served 0-1 and 1-2 ms; the third finds
 * the queue full and fails at once. A write behind them in the leader's
 * queue waits its turn: it is still queued at 2 ms and commits at 3 ms. */
START_TEST(one_worker_serves_the_leader_in_turn)
{
    build("replicas = 3\nconsistency = strong\nworkers = 1\nqueue = 1\n");
    send(7, OP_READ);
    send(7, OP_READ);
    send(7, OP_READ);
    run_until(0);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_ERROR);
    ck_assert_double_eq(metric("queue_full"), 1);
    run_until(1 * MS);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.last_reply_ns, 1 * MS);
    send(7, OP_WRITE);
    run_until(2 * MS);
    ck_assert_int_eq(sink.replies, 3);
    ck_assert_int_eq(sink.last_reply_ns, 2 * MS);
    run_until(3 * MS);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_int_eq(sink.last_reply_ns, 3 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    /* Node 0 was busy from 0 to 3 ms and had one request waiting from 0 to
     * 2 ms (the second read to 1 ms, then the write): means over 3 ms. */
    ck_assert_double_eq_tol(tl_metric(&sim, kind_lookup(&sim, "db"), "node0_busy"), 1, 1e-9);
    ck_assert_double_eq(metric("node1_busy"), 0);
}
END_TEST

/* Distances 5, 1 and 3 ms: an eventual read from the nearest node goes to
 * node 1 (1 + 1 + 1 = 3 ms); once node 1 is down, to node 2 (3 + 1 + 3). */
START_TEST(nearest_reads_the_closest_up_node)
{
    build("replicas = 3\nconsistency = eventual\nread_from = nearest\n"
          "distance = 5ms, 1ms, 3ms\n");
    send(7, OP_READ);
    run_until(10 * MS);
    ck_assert_int_eq(sink.last_reply_ns, 3 * MS);
    crash_node(1, true);
    send(7, OP_READ);
    run_until(20 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.last_reply_ns, 17 * MS);
    crash_node(1, false);
    send(7, OP_READ);
    run_until(30 * MS);
    ck_assert_int_eq(sink.last_reply_ns, 23 * MS);
}
END_TEST

/* A far leader (40 ms): a strong read and a write pay 40 ms each way
 * (81 ms with 1 ms of service), an eventual read from the nearest follower
 * 1 ms each way. */
START_TEST(strong_pays_the_leaders_distance_twice)
{
    build("replicas = 3\nconsistency = strong\ndistance = 40ms, 1ms, 1ms\n");
    send(7, OP_READ);
    run_until(100 * MS);
    ck_assert_int_eq(sink.last_reply_ns, 81 * MS);
    send(7, OP_WRITE);
    run_until(200 * MS);
    ck_assert_int_eq(sink.last_reply_ns, 181 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    teardown();
    build("replicas = 3\nconsistency = eventual\nread_from = nearest\n"
          "distance = 40ms, 1ms, 1ms\n");
    send(7, OP_READ);
    run_until(100 * MS);
    ck_assert_int_eq(sink.last_reply_ns, 3 * MS);
}
END_TEST

/* A quorum(r=2) read of the two nearest nodes (1 and 2 ms away) lasts as
 * long as the farther round trip: 2 + 1 + 2 = 5 ms. */
START_TEST(nearest_quorum_waits_for_the_farther_node)
{
    build("replicas = 3\nconsistency = quorum(r=2)\nread_from = nearest\n"
          "distance = 2ms, 1ms, 9ms\nworkers = 1\n");
    send(7, OP_READ);
    run_until(20 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.last_reply_ns, 5 * MS);
}
END_TEST

/* Two nodes; the leader is 10 ms away, the follower 0. A write of key 7
 * sent at 0 commits at 11 ms (ack at 21 ms) and is applied at the follower
 * at 21 ms. A read sent at 15 ms goes to the (nearest) follower:
 *   key 7, read_your_writes: waits 15 -> 21 ms, sink.replies at 22 ms, version 1
 *   key 8, read_your_writes: the session never wrote key 8: 16 ms, no wait
 *   key 8, causal: depends on the write (lsn 1): 22 ms, waited 6 ms
 *   key 7, behind = leader: falls back to the far leader: 15 + 21 = 36 ms */
START_TEST(session_reads_wait_for_the_follower)
{
    static const struct {
        const char *keys;
        uint64_t key;
        int64_t reply_ms, waits;
    } cases[] = {
        {"consistency = read_your_writes\nbehind = wait\n", 7, 22, 1},
        {"consistency = read_your_writes\nbehind = wait\n", 8, 16, 0},
        {"consistency = causal\nbehind = wait\n", 8, 22, 1},
        {"consistency = read_your_writes\nbehind = leader\n", 7, 36, 0},
    };
    char keys[256];
    snprintf(keys, sizeof keys, "replicas = 2\nread_from = nearest\ndistance = 10ms, 0ms\n%s",
             cases[_i].keys);
    build(keys);
    send_as(7, OP_WRITE, 3);
    run_until(15 * MS);
    send_as(cases[_i].key, OP_READ, 3);
    run_until(cases[_i].reply_ms * MS);
    ck_assert_uint_eq(sink.last_version, cases[_i].key == 7 ? 1 : 0);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.read_reply_ns, cases[_i].reply_ms * MS);
    ck_assert_double_eq(metric("session_waits"), (double)cases[_i].waits);
    ck_assert_double_eq(metric("session_wait_ms_mean"), cases[_i].waits ? 6 : 0);
    ck_assert_double_eq(metric("ryw_violation_fraction"), 0);
    ck_assert_double_eq(metric("leader_fallbacks"), cases[_i].reply_ms == 36 ? 1 : 0);
}
END_TEST

/* A read parked at a follower fails when the follower crashes. */
START_TEST(a_crash_fails_parked_reads)
{
    build("replicas = 2\nread_from = nearest\ndistance = 10ms, 0ms\n"
          "consistency = read_your_writes\nbehind = wait\n");
    send_as(7, OP_WRITE, 3);
    run_until(15 * MS);
    send_as(7, OP_READ, 3);
    run_until(16 * MS);
    ck_assert_int_eq(sink.replies, 0);
    crash_node(1, true);
    run_until(17 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_ERROR);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 2); /* the write's ack */
}
END_TEST

/* Random interleavings: 8 sessions write and read 4 keys on 3 nodes with
 * exponential replication (mean 10 ms), 20 seeds. With behind = wait no read
 * ever returns a version older than its session's own last write of the key
 * (read_your_writes, causal) or older than one it read before
 * (monotonic_reads, causal): zero violations, no tolerance. The same load
 * under eventual does violate read-your-writes, so the check can fail. */
START_TEST(waiting_sessions_never_go_back)
{
    static const char *const levels[] = {"read_your_writes", "monotonic_reads", "causal"};
    double waits = 0, eventual_violations = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        for (int eventual = 0; eventual < 2; eventual++) {
            char keys[256];
            snprintf(keys, sizeof keys,
                     "replicas = 3\nconsistency = %s\nbehind = wait\n"
                     "replication_delay = exp(mean=10ms)\nworkers = 2\n",
                     eventual ? "eventual" : levels[_i]);
            build_seeded(keys, seed);
            uint64_t wrote[8][4] = {{0}}, read[8][4] = {{0}};
            struct rng rng;
            rng_stream(&rng, seed, "test", "load");
            for (int step = 0; step < 400; step++) {
                uint32_t user = (uint32_t)rng_below(&rng, 8);
                uint64_t key = rng_below(&rng, 4);
                bool write = rng_below(&rng, 3) == 0;
                send_as(key, write ? OP_WRITE : OP_READ, user);
                /* one request of this session at a time: wait for it */
                int before = sink.replies;
                int64_t t = sim_now(&sim);
                while (sink.replies == before)
                    run_until(t += MS / 2);
                ck_assert_int_eq(sink.last_status, REQ_OK);
                if (write) {
                    wrote[user][key] = sink.last_version;
                    continue;
                }
                if (!eventual && _i != 1) /* causal includes read-your-writes */
                    ck_assert_uint_ge(sink.last_version, wrote[user][key]);
                if (!eventual && _i != 0) /* ... and monotonic reads */
                    ck_assert_uint_ge(sink.last_version, read[user][key]);
                if (sink.last_version > read[user][key])
                    read[user][key] = sink.last_version;
            }
            if (eventual) {
                eventual_violations += metric("ryw_violation_fraction");
            } else {
                if (_i != 1)
                    ck_assert_double_eq(metric("ryw_violation_fraction"), 0);
                ck_assert_double_eq(metric("leader_fallbacks"), 0);
                waits += metric("session_waits");
            }
            teardown();
        }
    }
    ck_assert_double_gt(waits, 0);
    ck_assert_double_gt(eventual_violations, 0);
}
END_TEST

/* apply_time = const(2ms) and one worker per node; the leader is 1 ms away,
 * the follower 0. A write sent at 0 commits at 2 ms, reaches the follower
 * at 12 ms and is applied 12-14 ms; semi_sync(k=1) acknowledges it then
 * (the client hears at 15 ms). A read sent to the follower at 13 ms waits
 * for the worker busy applying and is served 14-15 ms: it sees version 1. */
START_TEST(applies_take_a_follower_worker)
{
    build("replicas = 2\nconsistency = eventual\nread_from = nearest\n"
          "distance = 1ms, 0ms\nworkers = 1\napply_time = const(2ms)\nack = semi_sync(k=1)\n");
    send(7, OP_WRITE);
    run_until(13 * MS);
    send(7, OP_READ);
    run_until(14 * MS);
    ck_assert_int_eq(sink.replies, 0);
    run_until(15 * MS);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.read_reply_ns, 15 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    ck_assert_int_eq(sink.last_status, REQ_OK);
}
END_TEST

/* One apply at a time: 20 writes committed at 2 ms (unbounded workers)
 * reach the follower together at 12 ms and are applied 2 ms apart, the
 * k-th ending at 12 + 2k ms. A follower read sent at 29.5 ms ends at
 * 30.5 ms and sees version 9; one sent at 60 ms sees all 20. */
START_TEST(one_apply_at_a_time_makes_a_follower_lag)
{
    build("replicas = 2\nconsistency = eventual\nread_from = nearest\n"
          "distance = 1ms, 0ms\napply_time = const(2ms)\n");
    for (int i = 0; i < 20; i++)
        send(7, OP_WRITE);
    run_until(29 * MS + MS / 2);
    send(7, OP_READ);
    run_until(31 * MS);
    ck_assert_int_eq(sink.read_reply_ns, 30 * MS + MS / 2);
    ck_assert_uint_eq(sink.last_version, 9);
    run_until(60 * MS);
    send(7, OP_READ);
    run_until(62 * MS);
    ck_assert_uint_eq(sink.last_version, 20);
}
END_TEST

/* A failover releases parked reads: the follower now holds every write
 * that survived. The leader (5 ms away) commits a write at 6 ms and
 * crashes at 7 ms before shipping it; the session's read parks at the
 * nearest follower at 8 ms; at the failover (107 ms) that follower leads,
 * the write is lost, and the read is served 107-108 ms with version 0,
 * counted as a read-your-writes violation (truthfully: the write is gone). */
START_TEST(a_failover_releases_parked_reads)
{
    build("replicas = 3\nread_from = nearest\ndistance = 5ms, 0ms, 1ms\n"
          "consistency = read_your_writes\nbehind = wait\n");
    send_as(7, OP_WRITE, 3);
    run_until(7 * MS);
    crash_leader(true);
    run_until(8 * MS);
    send_as(7, OP_READ, 3);
    run_until(107 * MS - 1);
    ck_assert_int_eq(sink.read_reply_ns, -1);
    run_until(108 * MS);
    ck_assert_int_eq(sink.read_reply_ns, 108 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 0);
    ck_assert_double_eq(metric("lost_writes"), 1);
    ck_assert_double_eq(metric("ryw_violation_fraction"), 1);
    ck_assert_double_eq(metric("session_wait_ms_mean"), 99);
}
END_TEST

/* Eventual reads go to node 1 (nearest; the leader is 1 ms away, so a
 * write commits at +2 ms). Node 1 has version 1 (applied at 12 ms) when it
 * is cut off at 20 ms; the leader commits versions 2 (22 ms) and 3 (32 ms),
 * and a read at 40 ms (served 41 ms) still returns 1: stale by 2 versions
 * and 9 ms. A write committed at 52 ms would arrive at 62 ms, during the
 * cut: it is lost on the way. At the heal (70 ms) the leader resends
 * versions 2..4 in log order, arriving at 80 ms: a read served at 79 ms
 * returns 1, one served at 81 ms returns 4 and is fresh. */
START_TEST(a_partitioned_follower_serves_what_it_had_at_the_cut)
{
    build("replicas = 2\nread_from = nearest\ndistance = 1ms, 0\n");
    send(7, OP_WRITE);
    run_until(20 * MS);
    cut(1, true);
    send(7, OP_WRITE);
    run_until(30 * MS);
    send(7, OP_WRITE);
    run_until(40 * MS);
    send(7, OP_READ);
    run_until(42 * MS);
    ck_assert_int_eq(sink.replies, 4); /* the follower stays available to clients */
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 1);
    ck_assert_double_eq(metric("stale_fraction"), 1);
    ck_assert_double_eq(metric("stale_versions_mean"), 2);
    ck_assert_double_eq_tol(metric("stale_behind_ms_mean"), 9, 1e-9);
    send(7, OP_WRITE);
    run_until(70 * MS);
    cut(1, false);
    run_until(78 * MS);
    send(7, OP_READ);
    run_until(80 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    send(7, OP_READ);
    run_until(82 * MS);
    ck_assert_int_eq(sink.read_reply_ns, 81 * MS);
    ck_assert_uint_eq(sink.last_version, 4);
    ck_assert_double_eq(metric("reads"), 3);
    ck_assert_double_eq_tol(metric("stale_fraction"), 2.0 / 3.0, 1e-12);
}
END_TEST

/* ack = sync needs both followers: with node 2 cut off at 20 ms, the write
 * committed at 21 ms gets node 1's ack at 31 ms but waits for node 2's;
 * at the heal (100 ms) the leader resends it, node 2 applies it at 110 ms
 * and the client hears then. semi_sync(k=1) does not notice the cut. */
/* A sync write waiting for a crashed follower is acknowledged when the
 * follower recovers and copies the leader (write 1 ms, replication 10 ms,
 * const): node 2 crashes at 20 ms, the write commits at 21 ms and node 1
 * applies it at 31 ms, but the ack waits for node 2 until it recovers at
 * 100 ms. Before, the copy acknowledged nothing and the write hung. */
START_TEST(sync_acks_a_write_when_a_crashed_follower_recovers)
{
    build("replicas = 3\nack = sync\n");
    run_until(20 * MS);
    crash_node(2, true);
    send(7, OP_WRITE);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 0);
    crash_node(2, false); /* at 100 ms: the ack is immediate */
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.last_reply_ns, 100 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
}
END_TEST

START_TEST(sync_acks_stall_during_a_partition_and_resume_at_the_heal)
{
    build("replicas = 3\nack = sync\n");
    send(7, OP_WRITE);
    run_until(11 * MS);
    ck_assert_int_eq(sink.replies, 1);
    run_until(20 * MS);
    cut(2, true);
    send(7, OP_WRITE);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 1);
    cut(2, false);
    run_until(110 * MS - 1);
    ck_assert_int_eq(sink.replies, 1);
    run_until(110 * MS);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 2);
    teardown();
    build("replicas = 3\nack = semi_sync(k=1)\n");
    cut(2, true);
    send(7, OP_WRITE);
    run_until(11 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_reply_ns, 11 * MS);
}
END_TEST

/* A follower cut off when the leader crashes cannot be elected, though its
 * log is as long (and its index lower): node 1 is cut at 20 ms, the leader
 * crashes at 30 ms, and the failover (130 ms) promotes node 2, which takes
 * version 2 of key 7 at 132 ms. At the heal (140 ms) node 1 copies the new
 * leader (a failover happened meanwhile). Node 2 crashes at 145 ms: writes
 * fail (it was the leader), and the next failover (245 ms) promotes node 1,
 * which serves version 2: nothing acknowledged was lost. */
START_TEST(a_partitioned_follower_is_not_elected)
{
    build("replicas = 3\nconsistency = strong\n");
    send(7, OP_WRITE);
    run_until(20 * MS);
    cut(1, true);
    run_until(30 * MS);
    crash_leader(true);
    run_until(131 * MS);
    send(7, OP_WRITE);
    run_until(140 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 2);
    cut(1, false);
    run_until(145 * MS);
    crash_node(2, true);
    send(8, OP_WRITE);
    run_until(150 * MS);
    ck_assert_int_eq(sink.last_status, REQ_ERROR);
    run_until(300 * MS);
    send(7, OP_READ);
    run_until(310 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 2);
    ck_assert_double_eq(metric("lost_writes"), 0);
}
END_TEST

/* Writes of key 1 (commit 2 ms, due at node 1 at 12 ms) and key 2 (commit
 * 7 ms, due at 17 ms); node 1 is cut off from 10 to 14 ms, so key 1's
 * message is lost. The leader resends both from the heal (due at 24 ms,
 * after the 17 ms of the last message sent). Key 2's first message, sent
 * before the cut, arrives at 17 ms ahead of the resent key 1: the follower
 * skips it rather than apply past a gap, so at 21 ms it has neither, and at
 * 30 ms both, in log order. */
START_TEST(a_message_from_before_the_cut_does_not_jump_the_resent_stream)
{
    build("replicas = 2\nread_from = nearest\ndistance = 1ms, 0\n");
    send(1, OP_WRITE);
    run_until(5 * MS);
    send(2, OP_WRITE);
    run_until(10 * MS);
    cut(1, true);
    run_until(14 * MS);
    cut(1, false);
    run_until(20 * MS);
    send(2, OP_READ);
    run_until(22 * MS);
    ck_assert_int_eq(sink.read_reply_ns, 21 * MS);
    ck_assert_uint_eq(sink.last_version, 0);
    run_until(30 * MS);
    send(1, OP_READ);
    run_until(32 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    send(2, OP_READ);
    run_until(34 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
}
END_TEST

/* Random writes and eventual reads of 5 keys with random delays (and, in
 * the second loop, apply times on 2 workers per node) while followers are
 * cut off and healed: once the stream has settled, no read is stale (every
 * follower caught up from the leader), and a second run with the same
 * seed gives the same results to the last bit. */
static void random_partitions(uint64_t seed, bool apply, double *out)
{
    build_seeded(apply ? "replicas = 4\nreplication_delay = exp(mean=20ms)\n"
                         "apply_time = exp(mean=1ms)\nworkers = 2\n"
                       : "replicas = 4\nreplication_delay = exp(mean=20ms)\n",
                 seed);
    struct rng r;
    rng_seed(&r, seed);
    int64_t t = 0;
    for (int k = 0; k < 400; k++) {
        t += (int64_t)(rng_exp(&r) * 2 * MS);
        run_until(t);
        if (k % 50 == 10)
            cut(1 + (int32_t)rng_below(&r, 3), true);
        if (k % 50 == 40)
            for (int32_t x = 1; x < 4; x++)
                cut(x, false);
        send(rng_below(&r, 5), rng_below(&r, 2) == 0 ? OP_READ : OP_WRITE);
    }
    run_until(t + 10000 * MS);
    ck_assert_int_eq(sink.replies, 400);
    out[0] = metric("stale_fraction");
    out[1] = metric("stale_behind_ms_mean");
    out[2] = metric("reads");
    double stale_before = out[0] * out[2];
    for (uint64_t key = 0; key < 5; key++)
        for (int i = 0; i < 20; i++)
            send(key, OP_READ);
    run_until(t + 11000 * MS);
    ck_assert_double_eq_tol(metric("stale_fraction") * metric("reads"), stale_before, 1e-6);
    ck_assert_double_gt(stale_before, 0); /* the cuts did make reads stale */
    teardown();
}

START_TEST(followers_converge_after_random_partitions_deterministically)
{
    for (uint64_t seed = 1; seed <= 10; seed++) {
        double a[3], b[3];
        random_partitions(seed, _i == 1, a);
        random_partitions(seed, _i == 1, b);
        ck_assert_mem_eq(a, b, sizeof a);
    }
}
END_TEST

Suite *replicaset_suite(void)
{
    Suite *s = suite_create("replicaset");
    TCase *t = tcase_create("levels");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, async_acknowledges_at_the_commit_and_strong_reads_the_leader);
    tcase_add_test(t, eventual_reads_are_stale_until_the_followers_apply);
    tcase_add_loop_test(t, read_your_writes_and_causal_fall_back_to_the_leader, 0, 2);
    tcase_add_test(t, monotonic_reads_never_go_back);
    tcase_add_test(t, semi_sync_acknowledges_when_a_follower_has_applied);
    tcase_add_test(t, failover_loses_acknowledged_unreplicated_writes);
    tcase_add_test(t, semi_sync_loses_nothing_at_failover);
    suite_add_tcase(s, t);
    TCase *n = tcase_create("nodes");
    tcase_add_checked_fixture(n, NULL, teardown);
    tcase_add_test(n, one_worker_serves_the_leader_in_turn);
    tcase_add_test(n, nearest_reads_the_closest_up_node);
    tcase_add_test(n, strong_pays_the_leaders_distance_twice);
    tcase_add_test(n, nearest_quorum_waits_for_the_farther_node);
    tcase_add_loop_test(n, session_reads_wait_for_the_follower, 0, 4);
    tcase_add_test(n, a_crash_fails_parked_reads);
    tcase_add_test(n, a_failover_releases_parked_reads);
    tcase_add_loop_test(n, waiting_sessions_never_go_back, 0, 3);
    tcase_add_test(n, applies_take_a_follower_worker);
    tcase_add_test(n, one_apply_at_a_time_makes_a_follower_lag);
    tcase_add_loop_test(n, followers_apply_in_log_order, 0, 2);
    suite_add_tcase(s, n);
    TCase *p = tcase_create("partitions");
    tcase_add_checked_fixture(p, NULL, teardown);
    tcase_add_test(p, a_partitioned_follower_serves_what_it_had_at_the_cut);
    tcase_add_test(p, sync_acks_stall_during_a_partition_and_resume_at_the_heal);
    tcase_add_test(p, sync_acks_a_write_when_a_crashed_follower_recovers);
    tcase_add_test(p, a_partitioned_follower_is_not_elected);
    tcase_add_test(p, a_message_from_before_the_cut_does_not_jump_the_resent_stream);
    tcase_add_loop_test(p, followers_converge_after_random_partitions_deterministically, 0, 2);
    suite_add_tcase(s, p);
    return s;
}
