/* One fault state per node (models/kinds/nodefault.c), as every kind with nodes
 * honours it: for each (kind, action) pair a tiny model is driven request
 * by request with constant service times, the action is started on one
 * node, and the test checks what the action should change (a crash fails
 * or bypasses, slow(factor=10) makes a read take 10 times as long,
 * latency(add=7ms) adds exactly 7 ms, errors(rate=50%) fails about half the
 * reads) and that the node is healthy again after the recovery. Then the
 * replicated kinds' own meanings: a slow follower's applies, a failing
 * leader's writes, and the table of supported actions against the kinds. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/model.h"
#include "models/kinds/nodefault.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL
#define CLIENT(to) "[client c]\narrival = constant(rate=1/s)\nto = " to "\n\n"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;
static uint64_t seq; /* work seeds: every request its own */

/* A kind with nodes: a model whose component `target` serves reads of its
 * node `node` in exactly read_ns when healthy; a read at a crashed node
 * fails, or (a cache) goes to the store and takes bypass_ns. */
struct kcase {
    const char *kind;
    const char *text;
    const char *target;
    int32_t node;
    int64_t read_ns;
    int64_t bypass_ns; /* 0: a crash fails the read */
};

static const struct kcase kcases[] = {
    {"service", CLIENT("app") "[service app]\nservice = const(2ms)\nreplicas = 2\n"
                              "balance = round_robin\n",
     "app", -1, 2 * MS, 0},
    {"store", CLIENT("db") "[store db]\nservice = const(2ms)\n", "db", 0, 2 * MS, 0},
    {"cache", CLIENT("app") "[cache app]\nto = db\nhit_time = const(2ms)\n\n"
                            "[store db]\nservice = const(1ms)\n",
     "app", 0, 2 * MS, 1 * MS},
    {"replicaset", CLIENT("db") "[replicaset db]\nreplicas = 3\nconsistency = strong\n"
                                "write_time = const(1ms)\nread_time = const(2ms)\n"
                                "replication_delay = const(10ms)\nfailover = 100s\n",
     "db", 0, 2 * MS, 0},
    {"multileader", CLIENT("db") "[multileader db]\nleaders = 3\nwrite_to = home\n"
                                 "read_from = home\nwrite_time = const(1ms)\n"
                                 "read_time = const(2ms)\nreplication_delay = const(10ms)\n",
     "db", 0, 2 * MS, 0},
};
#define NKCASES (sizeof kcases / sizeof kcases[0])
#define NACTIONS 4

static void build(const char *text)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000000000000LL);
    tl_sink_init(&sink);
    seq = 0;
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

/* Sends one request to `to` and runs until it is answered (at most 1 s);
 * returns how long the answer took. */
static int64_t ask(const char *to, uint64_t key, int op)
{
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = (uint8_t)op;
    r->work_seed = 0x9e3779b97f4a7c15ULL * ++seq;
    int64_t sent = sim_now(&sim);
    int before = sink.replies;
    tl_sink_send(&sim, &sink, r, kind_lookup(&sim, to));
    tl_run_until(&sim, sent + 1000 * MS);
    ck_assert_int_eq(sink.replies, before + 1);
    return sink.last_reply_ns - sent;
}

static void fault(const char *target, int32_t node, enum fault_action a, double value,
                  bool start)
{
    struct component *c = kind_lookup(&sim, target);
    c->kind->fault(&sim, c, node, a, value, start);
}

static double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

/* A warm, healthy read of key 1 takes exactly read_ns. */
static void assert_healthy(const struct kcase *k)
{
    ask(k->target, 1, OP_READ); /* a cache fills on the first read */
    int64_t t = ask(k->target, 1, OP_READ);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(t, k->read_ns);
}

/* Loop index: kind * NACTIONS + action. */
START_TEST(every_kind_with_nodes_honours_every_action)
{
    const struct kcase *k = &kcases[_i / NACTIONS];
    enum fault_action a = (enum fault_action)(_i % NACTIONS);
    build(k->text);
    assert_healthy(k);
    switch (a) {
    case FAULT_CRASH:
        fault(k->target, k->node, a, 0, true);
        if (k->bypass_ns) { /* a down cache is skipped: the store answers */
            ck_assert_int_eq(ask(k->target, 1, OP_READ), k->bypass_ns);
            ck_assert_int_eq(sink.last_status, REQ_OK);
        } else {
            ask(k->target, 1, OP_READ);
            ck_assert_int_eq(sink.last_status, REQ_ERROR);
        }
        break;
    case FAULT_SLOW:
        fault(k->target, k->node, a, 10.0, true);
        ck_assert_int_eq(ask(k->target, 1, OP_READ), 10 * k->read_ns);
        ck_assert_int_eq(sink.last_status, REQ_OK);
        break;
    case FAULT_LATENCY:
        fault(k->target, k->node, a, 7.0 * MS, true);
        ck_assert_int_eq(ask(k->target, 1, OP_READ), k->read_ns + 7 * MS);
        ck_assert_int_eq(sink.last_status, REQ_OK);
        break;
    case FAULT_ERRORS: {
        /* 2000 independent draws at p = 0.5: the standard deviation of the
         * failed share is sqrt(0.25 / 2000) = 0.011, so 0.05 is 4.5 of
         * them (a wrong rate of 0.4 or 0.6, or no draw at all, fails). */
        fault(k->target, k->node, a, 0.5, true);
        int failed = 0;
        for (int n = 0; n < 2000; n++) {
            ask(k->target, 1, OP_READ);
            failed += sink.last_status == REQ_ERROR;
        }
        ck_assert_double_eq_tol(failed / 2000.0, 0.5, 0.05);
        break;
    }
    }
    fault(k->target, k->node, a, 0, false);
    assert_healthy(k);
}
END_TEST

/* ---- what the actions mean for replica nodes ------------------------------ */

#define RSET(keys)                                                                        \
    CLIENT("db") "[replicaset db]\nreplicas = 2\nwrite_time = const(1ms)\n"              \
                 "read_time = const(1ms)\nreplication_delay = const(10ms)\nfailover = 100s\n" \
                 keys

/* ack = sync waits for the follower's apply: 1 ms write + 10 ms on the
 * wire + 1 ms apply; slow(factor=10) on the follower makes the apply
 * 10 ms (the network is not the node), so the write takes 21 ms. */
START_TEST(a_slow_follower_slows_its_applies_and_sync_writes)
{
    build(RSET("ack = sync\napply_time = const(1ms)\nworkers = 1\n"));
    ck_assert_int_eq(ask("db", 1, OP_WRITE), 12 * MS);
    fault("db", 1, FAULT_SLOW, 10.0, true);
    ck_assert_int_eq(ask("db", 1, OP_WRITE), 21 * MS);
    fault("db", 1, FAULT_SLOW, 0, false);
    ck_assert_int_eq(ask("db", 1, OP_WRITE), 12 * MS);
}
END_TEST

/* A slow follower falls behind: writes every 5 ms need 10 ms applies, so
 * 20 ms after the 20th write it has applied only 10 of them, and an
 * eventual read there (the nearest node) misses the last write; healthy,
 * it would have applied all of them 11 ms after each commit. */
START_TEST(a_slow_follower_falls_behind_and_serves_stale_reads)
{
    build(RSET("apply_time = const(1ms)\nworkers = 2\ndistance = 3ms, 0\n"
               "read_from = nearest\n"));
    fault("db", 1, FAULT_SLOW, 10.0, true);
    struct component *db = kind_lookup(&sim, "db");
    for (int n = 0; n < 20; n++) {
        struct request *r = sim_req_new(&sim);
        r->key = (uint64_t)n;
        r->op = OP_WRITE;
        tl_sink_send(&sim, &sink, r, db);
        tl_run_until(&sim, sim_now(&sim) + 5 * MS);
    }
    tl_run_until(&sim, sim_now(&sim) + 20 * MS);
    /* at once by its second worker (the first applies), 10 x read_time */
    ck_assert_int_eq(ask("db", 19, OP_READ), 10 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 0);
    ck_assert_double_eq(metric("db", "stale_fraction"), 1.0);
    tl_run_until(&sim, sim_now(&sim) + 1000 * MS); /* it catches up in the end */
    ask("db", 19, OP_READ);
    ck_assert_uint_eq(sink.last_version, 1);
}
END_TEST

/* errors(rate=) on the leader fails that share of the writes it leads,
 * before the commit: only the others are written. */
START_TEST(a_failing_leader_commits_only_the_writes_that_succeed)
{
    build(RSET(""));
    fault("db", 0, FAULT_ERRORS, 0.5, true);
    int ok = 0;
    for (int n = 0; n < 1000; n++) {
        ask("db", (uint64_t)n, OP_WRITE);
        ok += sink.last_status == REQ_OK;
    }
    ck_assert_double_eq(metric("db", "writes"), ok);
    ck_assert_double_eq_tol(ok / 1000.0, 0.5, 0.07); /* sd 0.016: 4.4 of them */
}
END_TEST

/* latency(add=) is on the node's replies, after its service: the worker is
 * free meanwhile, so a second read queued behind the first is not delayed
 * by the first one's added time. */
START_TEST(replica_latency_is_on_the_reply_not_the_worker)
{
    build(RSET("consistency = strong\nworkers = 1\n"));
    fault("db", 0, FAULT_LATENCY, 7.0 * MS, true);
    struct component *db = kind_lookup(&sim, "db");
    for (int n = 0; n < 2; n++) {
        struct request *r = sim_req_new(&sim);
        r->key = 1;
        r->op = OP_READ;
        tl_sink_send(&sim, &sink, r, db);
    }
    tl_run_until(&sim, 100 * MS);
    ck_assert_int_eq(sink.replies, 2);
    ck_assert_int_eq(sink.last_reply_ns, 2 * MS + 7 * MS); /* served 1..2 ms, +7 */
}
END_TEST

/* A multi-leader node that fails a write does not commit or ship it. */
START_TEST(a_failing_multileader_node_commits_only_the_writes_that_succeed)
{
    build(CLIENT("db") "[multileader db]\nleaders = 2\nwrite_to = home\nread_from = home\n"
                       "write_time = const(1ms)\nread_time = const(1ms)\n"
                       "replication_delay = const(10ms)\n");
    fault("db", 0, FAULT_ERRORS, 0.5, true);
    int ok = 0;
    for (int n = 0; n < 1000; n++) {
        ask("db", (uint64_t)n, OP_WRITE);
        ok += sink.last_status == REQ_OK;
    }
    ck_assert_double_eq(metric("db", "writes"), ok);
    ck_assert_double_eq_tol(ok / 1000.0, 0.5, 0.07);
}
END_TEST

/* ---- the state and the table ----------------------------------------------- */

START_TEST(apply_reports_only_real_crashes_and_recoveries)
{
    struct nodefault nf;
    nodefault_init(&nf);
    ck_assert_int_eq(nodefault_apply(&nf, FAULT_CRASH, 0, false), NODEFAULT_SAME);
    ck_assert_int_eq(nodefault_apply(&nf, FAULT_CRASH, 0, true), NODEFAULT_CRASHED);
    ck_assert(!nf.up);
    ck_assert_int_eq(nodefault_apply(&nf, FAULT_CRASH, 0, true), NODEFAULT_SAME);
    ck_assert_int_eq(nodefault_apply(&nf, FAULT_CRASH, 0, false), NODEFAULT_RECOVERED);
    ck_assert(nf.up);
    nodefault_apply(&nf, FAULT_SLOW, 3.0, true);
    ck_assert_int_eq(nodefault_service_ns(&nf, 5), 15);
    nodefault_apply(&nf, FAULT_SLOW, 0, false);
    ck_assert_int_eq(nodefault_service_ns(&nf, 5), 5);
    nodefault_apply(&nf, FAULT_LATENCY, 2e6, true);
    ck_assert_int_eq(nodefault_extra_latency_ns(&nf), 2000000);
    nodefault_apply(&nf, FAULT_LATENCY, 0, false);
    ck_assert_int_eq(nodefault_extra_latency_ns(&nf), 0);
}
END_TEST

/* A healthy node never draws: a fault-free run keeps its random streams. */
START_TEST(a_healthy_node_draws_nothing)
{
    struct nodefault nf;
    nodefault_init(&nf);
    struct rng a, b;
    rng_stream(&a, 1, "x", "y");
    b = a;
    ck_assert(!nodefault_fails(&nf, &a));
    ck_assert_uint_eq(rng_uniform(&a) == rng_uniform(&b), 1);
}
END_TEST

/* The table says which actions fault.c lets through: it must promise a
 * fault hook to exactly the kinds that have one, and partition to exactly
 * those with a partition hook. */
START_TEST(the_table_matches_the_kinds_hooks)
{
    for (const struct kind *const *k = kind_all(); *k; k++) {
        unsigned mask = nodefault_supported((*k)->name);
        ck_assert_msg(((mask & ~NODEFAULT_PARTITION) != 0) == ((*k)->fault != NULL), "%s",
                      (*k)->name);
        ck_assert_msg(((mask & NODEFAULT_PARTITION) != 0) == ((*k)->partition != NULL), "%s",
                      (*k)->name);
    }
    char names[128];
    nodefault_action_names(nodefault_supported("store"), names, sizeof names);
    ck_assert_str_eq(names, "crash, slow, errors, latency");
    nodefault_action_names(nodefault_supported("replicaset"), names, sizeof names);
    ck_assert_str_eq(names, "crash, slow, errors, latency, partition");
}
END_TEST

Suite *nodefault_suite(void)
{
    Suite *s = suite_create("nodefault");
    TCase *tc = tcase_create("kinds");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_kind_with_nodes_honours_every_action, 0,
                        (int)(NKCASES * NACTIONS));
    tcase_add_test(tc, a_slow_follower_slows_its_applies_and_sync_writes);
    tcase_add_test(tc, a_slow_follower_falls_behind_and_serves_stale_reads);
    tcase_add_test(tc, a_failing_leader_commits_only_the_writes_that_succeed);
    tcase_add_test(tc, replica_latency_is_on_the_reply_not_the_worker);
    tcase_add_test(tc, a_failing_multileader_node_commits_only_the_writes_that_succeed);
    suite_add_tcase(s, tc);
    TCase *st = tcase_create("state");
    tcase_add_test(st, apply_reports_only_real_crashes_and_recoveries);
    tcase_add_test(st, a_healthy_node_draws_nothing);
    tcase_add_test(st, the_table_matches_the_kinds_hooks);
    suite_add_tcase(s, st);
    return s;
}
