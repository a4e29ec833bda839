/* The nodes of a replicated store (models/kinds/nodeset.c): the set of up
 * nodes answers every choice exactly as the list of up nodes it replaced
 * (same draws, same nodes) at 7, 100 and 4096 nodes through random crashes
 * and recoveries, a random choice is uniform over the up nodes, and a
 * [replicaset] of 4096 nodes and a [multileader] of 1024 leaders work
 * (tests/check_multileader.c runs one of 4096). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/nodeset.h"
#include "models/model.h"
#include "sim/rng.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL

/* The up nodes as the kinds listed them before the set: by index, or
 * nearest first by an insertion sort (ties keep the lower index first). */
static uint32_t old_up_nodes(const struct nodeset *ns, uint32_t *ups, bool by_distance)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < ns->n; i++) {
        if (!ns->nf[i].up)
            continue;
        uint32_t at = k++;
        while (by_distance && at > 0 && ns->dist_ns[ups[at - 1]] > ns->dist_ns[i]) {
            ups[at] = ups[at - 1];
            at--;
        }
        ups[at] = i;
    }
    return k;
}

static void flip(struct sim *sim, struct nodeset *ns, uint32_t i)
{
    nodeset_fault(sim, ns, (int32_t)i, FAULT_CRASH, 0, ns->nf[i].up, NULL, NULL);
}

static const uint32_t sizes[] = {7, 100, 4096};

static void set_up(struct sim *sim, struct component *c, struct nodeset *ns, uint32_t n)
{
    memset(sim, 0, sizeof *sim);
    sim->seed = 5;
    memset(c, 0, sizeof *c);
    c->name = "db";
    nodeset_init(ns, sim, c, n);
}

/* Every choice against the old list with a twin of the random stream,
 * while nodes crash and recover: a random node, an r-of-n sample (the old
 * partial Fisher-Yates over the list), and the k-th nearest (distances
 * with many ties, so the tie rule counts). */
START_TEST(choices_match_the_list_of_up_nodes)
{
    uint32_t n = sizes[_i];
    struct sim sim;
    struct component c;
    struct nodeset ns;
    set_up(&sim, &c, &ns, n);
    struct rng pick, draw, old_draw;
    rng_stream(&pick, 9, "test", "pick");
    rng_stream(&draw, 9, "test", "draw");
    rng_stream(&old_draw, 9, "test", "draw");
    for (uint32_t i = 0; i < n; i++)
        ns.dist_ns[i] = (int64_t)rng_below(&pick, 5) * MS;
    nodeset_order_by_distance(&ns);
    uint32_t *ups = calloc(n, sizeof *ups), *near = calloc(n, sizeof *near);
    uint32_t *out = calloc(n, sizeof *out);
    int crashed_all = 0;
    for (int step = 0; step < 2000; step++) {
        if (step % 3 == 0)
            flip(&sim, &ns, (uint32_t)rng_below(&pick, n));
        if (step == 1000) { /* everything down, then back one by one */
            for (uint32_t i = 0; i < n; i++)
                if (ns.nf[i].up)
                    flip(&sim, &ns, i);
            crashed_all = ns.up == 0;
        }
        uint32_t k = old_up_nodes(&ns, ups, false);
        ck_assert_uint_eq(k, ns.up);
        uint32_t want = k ? ups[rng_below(&old_draw, k)] : UINT32_MAX;
        ck_assert_uint_eq(nodeset_random(&ns, &draw), want);
        uint32_t r = 1 + (uint32_t)(step % 4);
        if (r <= k) {
            nodeset_sample(&ns, &draw, r, out);
            for (uint32_t j = 0; j < r; j++) {
                uint32_t x = j + (uint32_t)rng_below(&old_draw, k - j), t = ups[j];
                ups[j] = ups[x];
                ups[x] = t;
                ck_assert_uint_eq(out[j], ups[j]);
            }
        }
        uint32_t kn = old_up_nodes(&ns, near, true);
        for (uint32_t j = 0; j < kn; j += 1 + kn / 16)
            ck_assert_uint_eq(nodeset_kth_nearest(&ns, j), near[j]);
    }
    ck_assert(crashed_all);
    free(ups);
    free(near);
    free(out);
    nodeset_fini(&ns);
}
END_TEST

/* With a third of 1000 nodes down, 300000 random choices are all up nodes
 * and spread uniformly over them: chi-square with 666 degrees of freedom
 * (mean 666, sd 36.5) below 666 + 6 sd. */
START_TEST(random_choice_is_uniform_over_the_up_nodes)
{
    struct sim sim;
    struct component c;
    struct nodeset ns;
    set_up(&sim, &c, &ns, 1000);
    for (uint32_t i = 0; i < 1000; i += 3)
        flip(&sim, &ns, i);
    ck_assert_uint_eq(ns.up, 666);
    struct rng draw;
    rng_stream(&draw, 1, "test", "uniform");
    static uint32_t count[1000];
    memset(count, 0, sizeof count);
    const int draws = 300000;
    for (int t = 0; t < draws; t++) {
        uint32_t i = nodeset_random(&ns, &draw);
        ck_assert(ns.nf[i].up);
        count[i]++;
    }
    double expect = (double)draws / 666, chi2 = 0;
    for (uint32_t i = 0; i < 1000; i++)
        if (ns.nf[i].up)
            chi2 += ((double)count[i] - expect) * ((double)count[i] - expect) / expect;
    ck_assert_msg(chi2 < 666 + 6 * sqrt(2 * 665.0), "chi2 %.1f", chi2);
    nodeset_fini(&ns);
}
END_TEST

/* ---- the kinds at their largest sizes ------------------------------------ */

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

static void build(const char *text)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000000000000LL);
    tl_sink_init(&sink);
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

static void send(uint64_t key, int op)
{
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = (uint8_t)op;
    r->user = UINT32_MAX;
    tl_sink_send(&sim, &sink, r, kind_lookup(&sim, "db"));
}

static void crash(int32_t i, bool start)
{
    struct component *c = kind_lookup(&sim, "db");
    c->kind->fault(&sim, c, i, FAULT_CRASH, 0, start);
}

static double metric(const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, "db"), name);
}

/* 4096 nodes, sync: a write commits at 1 ms and is acknowledged when the
 * last of 4095 followers applies it, at 11 ms. With all but nodes 0, 7
 * and 4095 down, eventual reads go only to those three (none fails), a
 * quorum(r=3) read asks exactly those, and quorum(r=4) cannot be served. */
#define RS4096                                                                             \
    "[client c]\narrival = constant(rate=1/s)\nto = db\n\n[replicaset db]\n"                \
    "replicas = 4096\nack = sync\nconsistency = %s\nwrite_time = const(1ms)\n"               \
    "read_time = const(1ms)\nreplication_delay = const(10ms)\n"

START_TEST(a_replicaset_of_4096_nodes)
{
    char text[512];
    for (int level = 0; level < 3; level++) {
        snprintf(text, sizeof text, RS4096,
                 level == 0 ? "eventual" : level == 1 ? "quorum(r=3)" : "quorum(r=4)");
        build(text);
        send(7, OP_WRITE);
        tl_run_until(&sim, 20 * MS);
        ck_assert_int_eq(sink.last_status, REQ_OK);
        ck_assert_int_eq(sink.last_reply_ns, 11 * MS);
        for (int32_t i = 1; i < 4095; i++)
            if (i != 7)
                crash(i, true);
        for (int k = 0; k < 300; k++)
            send(7, OP_READ);
        tl_run_until(&sim, 40 * MS);
        ck_assert_int_eq(sink.replies, 301);
        if (level < 2) {
            ck_assert_int_eq(sink.errors, 0);
            ck_assert_uint_eq(sink.last_version, 1);
        } else {
            ck_assert_int_eq(sink.errors, 300);
        }
        /* back up: reads spread over every node again, still none fails */
        crash(-1, false);
        if (level == 0) {
            for (int k = 0; k < 300; k++)
                send(7, OP_READ);
            tl_run_until(&sim, 60 * MS);
            ck_assert_int_eq(sink.errors, 0);
        }
        ck_assert_double_eq(metric("writes"), 1);
        teardown();
    }
}
END_TEST

/* 1024 leaders: a write at one is applied at all 1024 after the
 * replication delay; a read at any node then returns it. */
START_TEST(a_multileader_of_1024_nodes)
{
    build("[client c]\narrival = constant(rate=1/s)\nto = db\n\n[multileader db]\n"
          "leaders = 1024\nexchange = sync_all\nwrite_time = const(1ms)\n"
          "read_time = const(1ms)\nreplication_delay = const(10ms)\n");
    send(7, OP_WRITE);
    tl_run_until(&sim, 20 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_int_eq(sink.last_reply_ns, 11 * MS);
    for (int k = 0; k < 100; k++)
        send(7, OP_READ);
    tl_run_until(&sim, 40 * MS);
    ck_assert_int_eq(sink.errors, 0);
    ck_assert_double_eq(metric("stale_fraction"), 0);
    teardown();
}
END_TEST

Suite *nodeset_suite(void)
{
    Suite *s = suite_create("nodeset");
    TCase *t = tcase_create("choices");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, choices_match_the_list_of_up_nodes, 0, 3);
    tcase_add_test(t, random_choice_is_uniform_over_the_up_nodes);
    suite_add_tcase(s, t);
    TCase *k = tcase_create("kinds");
    tcase_set_timeout(k, 120);
    tcase_add_test(k, a_replicaset_of_4096_nodes);
    tcase_add_test(k, a_multileader_of_1024_nodes);
    suite_add_tcase(s, k);
    return s;
}
