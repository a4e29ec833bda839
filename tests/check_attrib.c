/* Tests for sim/attrib: a request's phases follow its clock mark and add up
 * to its latency (hops, queues, failures, backoff, hedges), and the groups
 * at or above p99 and p99.9 are the slowest K requests. */
#include "sim/attrib.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

/* A run with two bare components (0: client, 1: db), attribution on. */
static struct sim sim;
static struct component comp[2];
static struct component *comps[2] = {&comp[0], &comp[1]};
static struct request req[3]; /* with their accumulators, as the pool gives them */
static struct req_attr req_acc[3];

static void setup(void)
{
    sim_init(&sim, 1, 0, 1000000000);
    memset(comp, 0, sizeof comp);
    comp[0].id = 0;
    comp[1].id = 1;
    sim.comps = comps;
    sim.ncomps = 2;
    sim_attr_enable(&sim);
    for (size_t i = 0; i < 3; i++)
        req[i].attr = &req_acc[i];
}

static void teardown(void)
{
    sim.comps = NULL; /* not sim_fini's to free */
    sim.ncomps = 0;
    sim_fini(&sim);
}

static size_t cidx(size_t c, int k)
{
    return ATTR_COMP_PHASES * c + (size_t)k;
}

static size_t ridx(int k)
{
    return ATTR_COMP_PHASES * 2 + (size_t)k;
}

/* The all-group totals of component 0's sink, as ns per request. */
static double total_of(size_t k)
{
    double n[ATTR_GROUPS];
    double ns[ATTR_GROUPS * (ATTR_COMP_PHASES * 2 + ATTR_REQ_PHASES)];
    ck_assert(sim_attr_groups(sim.attr, 0, n, ns));
    return ns[k] / n[ATTR_ALL];
}

/* ---- one request through the hooks, driven by events --------------------- */


static void ev_begin(struct sim *s, void *a, void *b)
{
    (void)b;
    sim_attr_begin(s, a);
}
static void ev_send(struct sim *s, void *a, void *b) /* client -> db, 5 ns of network */
{
    (void)b;
    sim_attr_hop(s, a, &comp[0], &comp[1], 5);
}
static void ev_queue(struct sim *s, void *a, void *b)
{
    (void)b;
    sim_attr_queue(s, a, &comp[1]);
}
static void ev_reply(struct sim *s, void *a, void *b) /* db replies, 3 ns back */
{
    (void)b;
    sim_attr_hop(s, a, &comp[1], &comp[1], 3);
}
static void ev_fail(struct sim *s, void *a, void *b)
{
    (void)b;
    sim_attr_fail(s, a);
}
static void ev_wait(struct sim *s, void *a, void *b)
{
    (void)b;
    sim_attr_wait(s, a);
}
static void ev_adopt(struct sim *s, void *a, void *b)
{
    sim_attr_adopt(s, a, b);
}
static void ev_done(struct sim *s, void *a, void *b)
{
    (void)b;
    struct request *r = a;
    sim_attr_done(s, &comp[0], r, sim_now(s) - r->born_ns);
}

START_TEST(hops_and_a_queue_split_the_latency_exactly)
{
    struct request *r = &req[0];
    sim_at(&sim, 0, ev_begin, r, NULL);
    sim_at(&sim, 0, ev_send, r, NULL);   /* arrives at 5 */
    sim_at(&sim, 20, ev_queue, r, NULL); /* waited 15 */
    sim_at(&sim, 50, ev_reply, r, NULL); /* served 30, back at 53 */
    sim_at(&sim, 53, ev_done, r, NULL);
    sim_run(&sim);
    ck_assert_double_eq(total_of(cidx(1, ATTR_NETWORK)), 8);
    ck_assert_double_eq(total_of(cidx(1, ATTR_QUEUE)), 15);
    ck_assert_double_eq(total_of(cidx(1, ATTR_SERVICE)), 30);
    ck_assert_double_eq(total_of(cidx(0, ATTR_SERVICE)), 0);
    ck_assert_double_eq(total_of(ridx(ATTR_UNACCOUNTED)), 0);
}
END_TEST

/* A failed attempt (0..10), a 100 ns backoff, an attempt served in 20 ns. */
START_TEST(a_failure_then_backoff_then_a_success)
{
    struct request *L = &req[0], *a2 = &req[1];
    sim_at(&sim, 0, ev_begin, L, NULL);
    sim_at(&sim, 10, ev_fail, L, NULL);
    sim_at(&sim, 110, ev_wait, L, NULL);
    sim_at(&sim, 110, ev_begin, a2, NULL);
    sim_at(&sim, 110, ev_send, a2, NULL);  /* at db at 115 */
    sim_at(&sim, 115, ev_queue, a2, NULL); /* no wait */
    sim_at(&sim, 127, ev_reply, a2, NULL); /* served 12, back at 130 */
    sim_at(&sim, 130, ev_adopt, L, a2);
    sim_at(&sim, 130, ev_done, L, NULL);
    sim_run(&sim);
    ck_assert_double_eq(total_of(ridx(ATTR_FAILED)), 10);
    ck_assert_double_eq(total_of(ridx(ATTR_BACKOFF)), 100);
    ck_assert_double_eq(total_of(cidx(1, ATTR_SERVICE)), 12);
    ck_assert_double_eq(total_of(cidx(1, ATTR_NETWORK)), 8);
    ck_assert_double_eq(total_of(ridx(ATTR_UNACCOUNTED)), 0);
}
END_TEST

/* The first copy is sent at 0, a hedge at 30 wins: 30 ns of hedge wait. */
START_TEST(a_winning_hedge_counts_the_wait_before_it)
{
    struct request *L = &req[0], *first = &req[1], *hedge = &req[2];
    sim_at(&sim, 0, ev_begin, L, NULL);
    sim_at(&sim, 0, ev_begin, first, NULL);
    sim_at(&sim, 0, ev_send, first, NULL);
    sim_at(&sim, 30, ev_begin, hedge, NULL);
    sim_at(&sim, 30, ev_send, hedge, NULL);  /* at db at 35 */
    sim_at(&sim, 35, ev_queue, hedge, NULL);
    sim_at(&sim, 47, ev_reply, hedge, NULL); /* back at 50 */
    sim_at(&sim, 50, ev_adopt, L, hedge);
    sim_at(&sim, 50, ev_done, L, NULL);
    sim_run(&sim);
    ck_assert_double_eq(total_of(ridx(ATTR_HEDGE)), 30);
    ck_assert_double_eq(total_of(cidx(1, ATTR_SERVICE)), 12);
    ck_assert_double_eq(total_of(cidx(1, ATTR_NETWORK)), 8);
    ck_assert_double_eq(total_of(ridx(ATTR_UNACCOUNTED)), 0);
}
END_TEST

/* More phases than slots: the rest goes to other, and the sum still holds. */
START_TEST(phases_past_the_slots_go_to_other)
{
    struct request r;
    struct req_attr acc;
    memset(&r, 0, sizeof r);
    memset(&acc, 0, sizeof acc);
    r.attr = &acc;
    sim_attr_begin(&sim, &r);
    sim_attr_hop(&sim, &r, &comp[0], &comp[1], 7); /* 1 slot */
    r.attr->n = ATTR_SLOTS; /* pretend every slot is taken by db's network */
    for (uint32_t k = 0; k < ATTR_SLOTS; k++) {
        r.attr->idx[k] = (uint32_t)cidx(1, ATTR_NETWORK);
        r.attr->ns[k] = k == 0 ? 7 : 0;
    }
    sim_attr_hop(&sim, &r, &comp[1], &comp[0], 4); /* a new phase: network to comp 0 */
    ck_assert_int_eq(r.attr->other_ns, 4);
    sim_attr_done(&sim, &comp[0], &r, 11);
    ck_assert_double_eq(total_of(ridx(ATTR_OTHER)), 4);
    ck_assert_double_eq(total_of(cidx(1, ATTR_NETWORK)), 7);
    ck_assert_double_eq(total_of(ridx(ATTR_UNACCOUNTED)), 0);
}
END_TEST

/* ---- the groups ----------------------------------------------------------- */

/* 1000 requests of 1..1000 ms: the 980 fastest wait in the client's phase
 * (component 0's queue), the 20 slowest in db's. At or above p99 are the
 * slowest K = 1000 - 990 + 1 = 11, all in db's queue; p99.9: K = 2. */
START_TEST(groups_are_the_slowest_k_requests)
{
    struct request r;
    struct req_attr acc;
    memset(&r, 0, sizeof r);
    memset(&acc, 0, sizeof acc);
    r.attr = &acc;
    double want_all = 0;
    for (int i = 1; i <= 1000; i++) {
        int64_t lat = (int64_t)i * 1000000;
        r.attr->n = 1;
        r.attr->other_ns = 0;
        r.attr->idx[0] = (uint32_t)(i > 980 ? cidx(1, ATTR_QUEUE) : cidx(0, ATTR_QUEUE));
        r.attr->ns[0] = lat;
        want_all += (double)lat;
        sim_attr_done(&sim, &comp[0], &r, lat);
    }
    size_t np = ATTR_COMP_PHASES * 2 + ATTR_REQ_PHASES;
    double n[ATTR_GROUPS], ns[ATTR_GROUPS * (ATTR_COMP_PHASES * 2 + ATTR_REQ_PHASES)];
    ck_assert(sim_attr_groups(sim.attr, 0, n, ns));
    ck_assert_double_eq(n[ATTR_ALL], 1000);
    ck_assert_double_eq_tol(n[ATTR_P99], 11, 1e-9);
    ck_assert_double_eq_tol(n[ATTR_P999], 2, 1e-9);
    double all = ns[cidx(0, ATTR_QUEUE)] + ns[cidx(1, ATTR_QUEUE)];
    ck_assert_double_eq(all, want_all);
    /* every request of the p99 groups waited in db's queue */
    ck_assert_double_eq(ns[np + cidx(0, ATTR_QUEUE)], 0);
    ck_assert_double_eq(ns[2 * np + cidx(0, ATTR_QUEUE)], 0);
    /* their time: the 11 (2) slowest, 990..1000 ms (999, 1000), within the
     * width of the boundary bucket (under 0.8%) */
    double t99 = ns[np + cidx(1, ATTR_QUEUE)], t999 = ns[2 * np + cidx(1, ATTR_QUEUE)];
    ck_assert_double_le(fabs(t99 - 10945e6) / 10945e6, 0.008);
    ck_assert_double_le(fabs(t999 - 1999e6) / 1999e6, 0.008);
}
END_TEST

START_TEST(a_client_without_requests_has_no_groups)
{
    double n[ATTR_GROUPS], ns[ATTR_GROUPS * (ATTR_COMP_PHASES * 2 + ATTR_REQ_PHASES)];
    ck_assert(!sim_attr_groups(sim.attr, 0, n, ns));
    ck_assert(!sim_attr_groups(sim.attr, 1, n, ns));
}
END_TEST

Suite *attrib_suite(void);
Suite *attrib_suite(void)
{
    Suite *s = suite_create("attrib");
    TCase *t = tcase_create("phases");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, hops_and_a_queue_split_the_latency_exactly);
    tcase_add_test(t, a_failure_then_backoff_then_a_success);
    tcase_add_test(t, a_winning_hedge_counts_the_wait_before_it);
    tcase_add_test(t, phases_past_the_slots_go_to_other);
    tcase_add_test(t, groups_are_the_slowest_k_requests);
    tcase_add_test(t, a_client_without_requests_has_no_groups);
    suite_add_tcase(s, t);
    return s;
}
