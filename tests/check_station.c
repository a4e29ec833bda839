/* The station (models/kinds/station.c) on its own: a test owner whose requests
 * carry their service demand in `key` (nanoseconds), driven by hand on a
 * bare struct sim. Checks FIFO order, capacity and shed rejection, the busy
 * and queue levels against time-weighted values worked out by hand, what a
 * crash does to queued and in-service work, and the slow, speed and
 * latency factors. */
#include <check.h>
#include <string.h>

#include "models/resilience/shed.h"
#include "models/kinds/station.h"
#include "sim/diag.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL
#define MAXREQ 16

struct owner {
    struct station st;
    struct component comp;
    struct level busy, queued;
    uint64_t served_id[MAXREQ];
    int64_t served_ns[MAXREQ];
    int nserved;
    uint64_t dropped_id[MAXREQ];
    enum station_drop dropped_why[MAXREQ];
    int ndropped;
    uint64_t cut_id[MAXREQ];
    bool cut_in_service[MAXREQ];
    int ncut;
    uint64_t gone_id; /* ops->gone says this request's caller has gone; 0: none */
};

static double demand(struct station *st, struct request *r)
{
    (void)st;
    return (double)r->key;
}

/* Service over: note it, give the worker back (which starts the next). */
static void served(struct sim *sim, struct station *st, struct request *r)
{
    struct owner *o = st->owner;
    ck_assert_int_lt(o->nserved, MAXREQ);
    o->served_id[o->nserved] = r->id;
    o->served_ns[o->nserved++] = sim_now(sim);
    station_release(sim, st, r);
    sim_req_free(sim, r);
}

static void dropped(struct sim *sim, struct station *st, struct request *r,
                    enum station_drop why)
{
    struct owner *o = st->owner;
    ck_assert(!sim_top(r)->holds_worker);
    o->dropped_id[o->ndropped] = r->id;
    o->dropped_why[o->ndropped++] = why;
    sim_req_free(sim, r);
}

static void cut(struct sim *sim, struct station *st, struct request *r, bool in_service)
{
    struct owner *o = st->owner;
    ck_assert(!sim_top(r)->holds_worker);
    o->cut_id[o->ncut] = r->id;
    o->cut_in_service[o->ncut++] = in_service;
    sim_req_free(sim, r);
}

static bool gone(struct station *st, struct request *r)
{
    return ((struct owner *)st->owner)->gone_id == r->id;
}

static const struct station_ops ops = {
    .demand = demand, .served = served, .dropped = dropped, .cut = cut, .gone = gone};

static struct sim sim;
static struct owner o;

static void setup_owner(uint32_t workers, long long queue_cap, unsigned flags)
{
    sim_init(&sim, 1, 0, 1000 * MS);
    memset(&o, 0, sizeof o);
    o.comp.name = "st";
    station_init(&o.st, &ops, &o, &o.comp, 0, workers, queue_cap, flags);
    sim_level_init(&sim, &o.busy);
    sim_level_init(&sim, &o.queued);
    o.st.busy_lv[0] = &o.busy;
    o.st.queue_lv[0] = &o.queued;
}

static void teardown_owner(void)
{
    station_fini(&o.st);
    sim_fini(&sim);
}

/* A request with id and demand_ns arriving at the station now. */
static enum station_verdict offer(uint64_t id, int64_t demand_ns)
{
    struct request *r = sim_req_new(&sim);
    r->id = id;
    r->key = (uint64_t)demand_ns;
    struct frame *f = sim_enter(r, &o.comp);
    f->arrive_ns = sim_now(&sim);
    enum station_verdict v = station_offer(&sim, &o.st, r);
    if (v != STATION_STARTED && v != STATION_QUEUED)
        sim_req_free(&sim, r);
    return v;
}

static void run_to(int64_t t_ns)
{
    tl_run_until(&sim, t_ns);
}

/* One worker: four requests at 0 with demands 10, 1, 1, 1 ms are served in
 * arrival order, each right after the one before. */
START_TEST(fifo_order)
{
    setup_owner(1, -1, 0);
    ck_assert_int_eq(offer(1, 10 * MS), STATION_STARTED);
    ck_assert_int_eq(offer(2, 1 * MS), STATION_QUEUED);
    ck_assert_int_eq(offer(3, 1 * MS), STATION_QUEUED);
    ck_assert_int_eq(offer(4, 1 * MS), STATION_QUEUED);
    ck_assert_uint_eq(o.st.busy, 1);
    ck_assert_uint_eq(o.st.len, 3);
    run_to(100 * MS);
    ck_assert_int_eq(o.nserved, 4);
    const int64_t at[] = {10 * MS, 11 * MS, 12 * MS, 13 * MS};
    for (int k = 0; k < 4; k++) {
        ck_assert_uint_eq(o.served_id[k], (uint64_t)k + 1);
        ck_assert_int_eq(o.served_ns[k], at[k]);
    }
    ck_assert_uint_eq(o.st.busy, 0);
    ck_assert_uint_eq(o.st.len, 0);
    teardown_owner();
}
END_TEST

/* One worker and two waiting places: the fourth is turned away as full and
 * nothing of it stays; with shed length(max=1) the third is shed instead
 * (there was room, the policy said no). */
START_TEST(capacity_rejection)
{
    setup_owner(1, 2, 0);
    ck_assert_int_eq(offer(1, MS), STATION_STARTED);
    ck_assert_int_eq(offer(2, MS), STATION_QUEUED);
    ck_assert_int_eq(offer(3, MS), STATION_QUEUED);
    ck_assert_int_eq(offer(4, MS), STATION_FULL);
    ck_assert_uint_eq(o.st.len, 2);
    ck_assert_int_eq(o.queued.value, 2);
    run_to(100 * MS);
    ck_assert_int_eq(o.nserved, 3);
    teardown_owner();

    setup_owner(1, 2, 0);
    struct shed shed;
    struct diag *d = diag_new();
    ck_assert_int_eq(shed_setup(&shed, "length(max=1)", (struct loc){"t", 1, 1}, d), 0);
    diag_free(d);
    o.st.shed = &shed;
    ck_assert_int_eq(offer(1, MS), STATION_STARTED);
    ck_assert_int_eq(offer(2, MS), STATION_QUEUED);
    ck_assert_int_eq(offer(3, MS), STATION_SHED);
    run_to(100 * MS);
    ck_assert_int_eq(o.nserved, 2);
    teardown_owner();
}
END_TEST

/* Two workers; at 0: A 10 ms, B 30 ms, C 20 ms, D 10 ms. A and B start; C
 * starts at 10 (ends 30), D at 30 (ends 40). Busy is 2 on [0, 30), 1 on
 * [30, 40), 0 after: area 70 ms, mean over 50 ms 1.4. Queued is 2 on
 * [0, 10), 1 on [10, 30): area 40 ms, mean 0.8. Wait: 0, 0, 10, 30 ms. */
START_TEST(levels_are_time_weighted)
{
    setup_owner(2, -1, 0);
    offer(1, 10 * MS);
    offer(2, 30 * MS);
    offer(3, 20 * MS);
    offer(4, 10 * MS);
    run_to(50 * MS);
    sim_level_add(&sim, &o.busy, 0); /* close the areas at 50 ms */
    sim_level_add(&sim, &o.queued, 0);
    ck_assert_int_eq(o.nserved, 4);
    ck_assert_int_eq(o.served_ns[3], 40 * MS);
    ck_assert_double_eq_tol(sim_level_mean(&sim, &o.busy, 50 * MS), 1.4, 1e-12);
    ck_assert_double_eq_tol(sim_level_mean(&sim, &o.queued, 50 * MS), 0.8, 1e-12);
    ck_assert_int_eq(o.busy.value, 0);
    ck_assert_int_eq(o.queued.value, 0);
    teardown_owner();
}
END_TEST

static void crash_event(struct sim *s, void *a, void *b)
{
    (void)b;
    struct station *st = a;
    ck_assert_int_eq(station_fault(st, FAULT_CRASH, 0, true), NODEFAULT_CRASHED);
    station_crash(s, st);
}

/* One worker, three requests of 10 ms at 0, a crash at 5 ms: the two queued
 * go to ops->dropped (crash) in arrival order, the one in service to
 * ops->cut (in service) and is never served; levels are back to 0, the
 * epoch moved on and a new request is refused as down. With
 * CRASH_KEEPS_SERVICE the one in service ends at 10 ms instead. */
START_TEST(crash_drops_queued_work)
{
    setup_owner(1, -1, 0);
    offer(1, 10 * MS);
    offer(2, 10 * MS);
    offer(3, 10 * MS);
    sim_at(&sim, 5 * MS, crash_event, &o.st, NULL);
    run_to(100 * MS);
    ck_assert_int_eq(o.nserved, 0);
    ck_assert_int_eq(o.ndropped, 2);
    ck_assert_uint_eq(o.dropped_id[0], 2);
    ck_assert_uint_eq(o.dropped_id[1], 3);
    ck_assert_int_eq(o.dropped_why[0], STATION_DROP_CRASH);
    ck_assert_int_eq(o.ncut, 1);
    ck_assert_uint_eq(o.cut_id[0], 1);
    ck_assert(o.cut_in_service[0]);
    ck_assert_int_eq(o.busy.value, 0);
    ck_assert_int_eq(o.queued.value, 0);
    ck_assert_uint_eq(o.st.epoch, 1);
    ck_assert_int_eq(offer(4, MS), STATION_DOWN);
    ck_assert_int_eq(station_fault(&o.st, FAULT_CRASH, 0, false), NODEFAULT_RECOVERED);
    ck_assert_int_eq(offer(5, MS), STATION_STARTED);
    teardown_owner();

    setup_owner(1, -1, STATION_CRASH_KEEPS_SERVICE);
    offer(1, 10 * MS);
    offer(2, 10 * MS);
    sim_at(&sim, 5 * MS, crash_event, &o.st, NULL);
    run_to(100 * MS);
    ck_assert_int_eq(o.ndropped, 1);
    ck_assert_int_eq(o.ncut, 0);
    ck_assert_int_eq(o.nserved, 1);
    ck_assert_uint_eq(o.served_id[0], 1);
    ck_assert_int_eq(o.served_ns[0], 10 * MS);
    teardown_owner();
}
END_TEST

/* slow(factor=10) makes 2 ms take 20 ms; speed 0.5 doubles that; with
 * LATENCY_HOLDS latency(add=7ms) holds the worker 7 ms more, without it the
 * service is unchanged (the owner adds it to its replies). After the
 * recovery of both a request takes its demand again. */
START_TEST(slow_factor_speed_and_latency)
{
    setup_owner(1, -1, STATION_LATENCY_HOLDS);
    station_fault(&o.st, FAULT_SLOW, 10, true);
    offer(1, 2 * MS); /* at 0 */
    run_to(100 * MS);
    ck_assert_int_eq(o.served_ns[0], 20 * MS);
    o.st.speed = 0.5;
    offer(2, 2 * MS); /* at 100 ms */
    run_to(200 * MS);
    ck_assert_int_eq(o.served_ns[1], 140 * MS);
    station_fault(&o.st, FAULT_SLOW, 10, false);
    o.st.speed = 1;
    station_fault(&o.st, FAULT_LATENCY, 7.0 * MS, true);
    offer(3, 2 * MS); /* at 200 ms */
    run_to(300 * MS);
    ck_assert_int_eq(o.served_ns[2], 209 * MS);
    station_fault(&o.st, FAULT_LATENCY, 7.0 * MS, false);
    offer(4, 2 * MS); /* at 300 ms */
    run_to(400 * MS);
    ck_assert_int_eq(o.served_ns[3], 302 * MS);
    teardown_owner();

    setup_owner(1, -1, 0);
    station_fault(&o.st, FAULT_LATENCY, 7.0 * MS, true);
    offer(1, 2 * MS);
    run_to(1000 * MS);
    ck_assert_int_eq(o.served_ns[0], 2 * MS);
    teardown_owner();
}
END_TEST

/* Unbounded workers: everything starts at once (no queue), and a zero
 * demand is served before station_offer returns. */
START_TEST(unbounded_workers_never_queue)
{
    setup_owner(0, -1, 0);
    for (uint64_t k = 1; k <= 5; k++)
        ck_assert_int_eq(offer(k, 5 * MS), STATION_STARTED);
    ck_assert_uint_eq(o.st.busy, 5);
    ck_assert_int_eq(offer(6, 0), STATION_STARTED);
    ck_assert_int_eq(o.nserved, 1);
    ck_assert_uint_eq(o.served_id[0], 6);
    run_to(100 * MS);
    ck_assert_int_eq(o.nserved, 6);
    ck_assert_int_eq(o.busy.value, 0);
    teardown_owner();
}
END_TEST

/* A queued request whose caller has gone (ops->gone) is handed back when
 * its turn comes, and the worker takes the next one. */
START_TEST(gone_requests_are_dropped_at_dequeue)
{
    setup_owner(1, -1, 0);
    o.gone_id = 2;
    offer(1, MS);
    offer(2, MS);
    offer(3, MS);
    run_to(100 * MS);
    ck_assert_int_eq(o.ndropped, 1);
    ck_assert_uint_eq(o.dropped_id[0], 2);
    ck_assert_int_eq(o.dropped_why[0], STATION_DROP_GONE);
    ck_assert_int_eq(o.nserved, 2);
    ck_assert_uint_eq(o.served_id[1], 3);
    ck_assert_int_eq(o.served_ns[1], 2 * MS);
    teardown_owner();
}
END_TEST

Suite *station_suite(void)
{
    Suite *s = suite_create("station");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fifo_order);
    tcase_add_test(tc, capacity_rejection);
    tcase_add_test(tc, levels_are_time_weighted);
    tcase_add_test(tc, crash_drops_queued_work);
    tcase_add_test(tc, slow_factor_speed_and_latency);
    tcase_add_test(tc, unbounded_workers_never_queue);
    tcase_add_test(tc, gone_requests_are_dropped_at_dequeue);
    suite_add_tcase(s, tc);
    return s;
}
