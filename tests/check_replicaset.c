/* The leader-follower replicated store (models/replicaset.c), driven request
 * by request with constant delays (write 1 ms, read 1 ms, replication
 * 10 ms): acknowledgement rules, apply order, each consistency level's read
 * rule, and the writes a failover loses. */
#include <check.h>
#include <string.h>

#include "models/kind.h"
#include "models/model.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct component sink;
static int replies, last_status;
static uint64_t last_version;

static void sink_request(struct sim *s, struct component *c, struct request *r)
{
    (void)s;
    (void)c;
    (void)r;
}

static void sink_reply(struct sim *s, struct component *c, struct request *r)
{
    (void)c;
    replies++;
    last_status = r->status;
    last_version = r->version;
    sim_req_free(s, r);
}

static const struct kind sink_kind = {
    .name = "sink",
    .on_request = sink_request,
    .on_reply = sink_reply,
};

/* Builds a replica set `db` with these extra keys (a client that is never
 * started keeps the model valid). */
static void build(const char *keys)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[client c]\narrival = constant(rate=1/s)\nto = db\n\n[replicaset db]\n"
             "write_time = const(1ms)\nread_time = const(1ms)\nfailover = 100ms\n%s%s",
             strstr(keys, "replication_delay") ? "" : "replication_delay = const(10ms)\n",
             keys);
    tl_model_build(&sim, &sc, &pt, text, 1, 1000000000000LL);
    memset(&sink, 0, sizeof sink);
    sink.kind = &sink_kind;
    sink.name = "sink";
    replies = 0;
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}


static void run_until(int64_t t_ns)
{
    tl_run_until(&sim, t_ns);
}

static void send(uint64_t key, int op)
{
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = (uint8_t)op;
    r->user = UINT32_MAX;
    sim_enter(r, &sink);
    sim_send(&sim, &sink, r, kind_lookup(&sim, "db"));
}

static double metric(const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, "db"), name);
}

static void crash_leader(bool start)
{
    struct component *c = kind_lookup(&sim, "db");
    c->kind->fault(&sim, c, 0, FAULT_CRASH, 0, start);
}

START_TEST(async_acknowledges_at_the_commit_and_strong_reads_the_leader)
{
    build("replicas = 3\nconsistency = strong\n");
    send(7, OP_WRITE);
    run_until(1 * MS);
    ck_assert_int_eq(replies, 1);
    ck_assert_int_eq(last_status, REQ_OK);
    ck_assert_uint_eq(last_version, 1);
    send(7, OP_READ);
    run_until(3 * MS);
    ck_assert_uint_eq(last_version, 1);
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
        ck_assert_uint_ge(last_version, seen);
        seen = last_version;
    }
}
END_TEST

START_TEST(semi_sync_acknowledges_when_a_follower_has_applied)
{
    build("replicas = 3\nack = semi_sync(k=1)\n");
    send(7, OP_WRITE);
    run_until(10 * MS);
    ck_assert_int_eq(replies, 0);
    run_until(11 * MS);
    ck_assert_int_eq(replies, 1);
    ck_assert_int_eq(last_status, REQ_OK);
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
    ck_assert_int_eq(last_status, REQ_ERROR);
    ck_assert_double_eq(metric("failed"), 1);
    run_until(200 * MS);
    ck_assert_double_eq(metric("lost_writes"), 1);
    send(7, OP_READ);
    run_until(210 * MS);
    ck_assert_int_eq(last_status, REQ_OK);
    ck_assert_uint_eq(last_version, 0);
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
    ck_assert_uint_eq(last_version, 1);
}
END_TEST


/* Followers apply in log order even when later writes have shorter delays:
 * after 50 quick writes of one key and a quiet second, every node returns
 * the 50th version. */
START_TEST(followers_apply_in_log_order)
{
    build("replicas = 3\nconsistency = eventual\nreplication_delay = exp(mean=10ms)\n");
    for (int i = 0; i < 50; i++)
        send(7, OP_WRITE);
    run_until(1000 * MS);
    for (int i = 0; i < 30; i++) {
        send(7, OP_READ);
        run_until(1002 * MS + i * MS);
        ck_assert_uint_eq(last_version, 50);
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
    tcase_add_test(t, followers_apply_in_log_order);
    suite_add_tcase(s, t);
    return s;
}
