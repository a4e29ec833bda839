/* service: a pool of replicas, each with `workers` servers sharing one FIFO
 * queue of bounded or unbounded length; a balance policy picks the replica,
 * unless a balancer in front already chose one (request.target).
 * A request's service demand is drawn from its birth seed (common random
 * numbers) and divided by the replica's speed. After its own service a
 * request may call other components in sequence (`calls`); a worker stays
 * taken during the calls unless `async = true`, which frees it as soon as
 * the service itself is done (an event-loop server, or a pipeline stage).
 *
 * Each replica is a station (models/kinds/station.h): its workers, queue, shed
 * policy and fault state.
 *
 * Invariants: those of each replica's station (busy <= workers, the queue
 * empty while a worker is free, levels >= 0); st.busy, st.queued and
 * st.insys equal the sums over replicas, so st.insys >= st.busy + st.queued.
 * A request is in st.insys from arrival to reply. A crash bumps the
 * replica's epoch: a request whose frame carries an older epoch belongs to
 * the crashed incarnation and is failed, not served. */
#include "models/kinds/service.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/scale/autoscale.h"
#include "models/admission/gate.h"
#include "models/auth/auth.h"
#include "models/kinds/nodeload.h"
#include "models/balance/balance.h"
#include "models/kinds/dep.h"
#include "models/kinds/fault.h"
#include "models/kind.h"
#include "models/napkin.h"
#include "models/kinds/nodefault.h"
#include "models/resilience/shed.h"
#include "models/theorycheck.h"
#include "models/kinds/station.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

struct service {
    struct component base;
    uint32_t nreplicas;  /* replica slots: max of `replicas` and the autoscaler's max */
    uint32_t nready;     /* replicas [0, nready) take new requests */
    uint32_t nstarting;  /* replicas [nready, nready + nstarting) are in cold start */
    bool autoscale;
    struct hpa hpa;
    struct level hpa_busy;  /* private copies, never reset at the cut */
    struct level hpa_queue;
    double hpa_busy_mark, hpa_queue_mark;
    uint64_t hpa_arrivals;
    int64_t hpa_last_ns;
    uint32_t workers;
    long long queue_cap; /* -1: unbounded */
    struct dist demand;
    bool async;
    double error_rate;
    struct balance bal;
    struct station *reps; /* one per replica slot: workers, queue, faults (down until ready) */
    struct station_ops ops; /* the replicas' hooks (set_station_ops) */
    double *weights;     /* per replica, for weighted policies */
    /* Resilience (issue 6, models/kinds/dep.c and models/resilience/shed.c). */
    struct dep *deps;    /* one guarded call per callee, or NULL: plain calls */
    bool guarded;        /* deps, shedding or drop_abandoned set: report their metrics */
    bool drop_abandoned; /* drop work whose caller has gone instead of serving it */
    struct shed shed;
    double wasted_ns;    /* service time given to requests whose caller had gone */
    uint64_t dropped;    /* requests dropped because their caller had gone */
    uint64_t shed_count; /* requests rejected or dropped by the shed policy */
    struct auth *auth;   /* `auth` / `rbac` (models/auth/auth.h), or NULL: none */
    struct gate gate;    /* `limit` and its keys, judged on arrival (models/admission/gate.h) */
    bool track_load;     /* a fixed pool of 2+ replicas: each one's share of the requests */
    struct nodeload load;
};

static const struct param_spec params[] = {
    {"service", "dist", NULL, "service time of one request, e.g. exp(mean=10ms)"},
    {"replicas", "int", "1", "identical replicas, each with its own workers and queue"},
    {"workers", "int", "1", "requests one replica serves at once"},
    {"queue", "int|unbounded", "unbounded",
     "waiting room per replica; a request that finds it full is rejected (0: none, Erlang B)"},
    {"balance", "policy", "round_robin", "how a request picks a replica (see `sdsim list balance`)"},
    {"speed", "numbers", "1",
     "per-replica speed factors, e.g. 1, 1, 0.5 (one value: all replicas)"},
    {"weights", "numbers", "1", "per-replica weights for weighted balance policies, e.g. 5, 1, 1"},
    {"calls", "components", "", "components called in sequence after the service, e.g. db, cache"},
    {"autoscale", "autoscaler", "none",
     "hpa(metric=utilisation, target=60%, min=1, max=10, period=15s, tolerance=10%, "
     "window=300s, cold_start=0s), or none"},
    {"async", "bool", "false", "free the worker while calls are outstanding"},
    {"error_rate", "fraction", "0", "probability that a request fails after its service"},
    {"latency", "dist", "", "one-way network delay of each call this service makes"},
    {"call_timeout", "duration", "0",
     "give up on each call to a component in `calls` after this long (0: never); the "
     "request then fails"},
    {"breaker", "breaker", "none",
     "a circuit breaker on each callee, e.g. consecutive(failures=5, open=10s, probes=1) "
     "(see `sdsim list breaker`)"},
    {"fallback", "fail|reply", "fail",
     "while a breaker is open: fail fast (rejected) or answer with a fallback (success)"},
    {"call_hedge", "duration", "0",
     "hedge each call in `calls`: send another copy when none came back after this long, "
     "take the first success, give up the rest (0: off)"},
    {"call_hedges", "int", "1", "extra copies per call at most (with call_hedge, up to 4)"},
    {"bulkhead", "bulkhead", "none",
     "a concurrency limit on each callee, e.g. fixed(limit=10, queue=0), aimd(...), "
     "gradient(...) (see `sdsim list bulkhead`)"},
    {"drop_abandoned", "bool", "false",
     "drop a request whose caller has given up when its turn comes (and before each call) "
     "instead of serving it; when set (true or false) runs.csv reports wasted_work_s"},
    {"shed", "shed", "none",
     "load shedding at each replica's queue: none, length(max=N), deadline(wait=100ms), "
     "lifo(above=N), codel(target=5ms, interval=100ms) (see `sdsim list shed`)"},
    {"auth", "auth", "none",
     "authentication of each request before its service: jwt(verify=DIST, ttl=, ttl_jitter=, "
     "refresh_ahead=, refresh=NAME, keys=NAME, keys_ttl=, rotate=, coalesce=, users=N) or "
     "session(store=NAME, users=N) (see `sdsim list auth`); a failed refresh, key fetch or "
     "lookup ends the request unauthenticated"},
    {"rbac", "rbac", "none",
     "authorisation of each request: check(time=DIST, cache=N, eviction=lru, ttl=, deny=2%, "
     "policy=NAME) (see `sdsim list rbac`); denied requests end as denied"},
    GATE_LIMIT_PARAMS,
    {NULL, NULL, NULL, NULL},
};

static struct service *as_service(struct component *c)
{
    return (struct service *)c;
}

static void service_done(struct sim *sim, struct station *rp, struct request *r);

static void reply_event(struct sim *sim, void *a, void *b)
{
    (void)a;
    sim_reply(sim, b);
}

/* A queued request that will not be served: shed, or its caller has gone.
 * Its reply goes out as an event, so nothing re-enters the dequeue loop. */
static void drop_queued(struct sim *sim, struct service *sv, struct request *r, uint8_t cause)
{
    struct frame *f = sim_top(r);
    struct comp_stats *st = &sv->base.st;
    sim_level_add(sim, &st->insys, -1);
    if (sv->bal.pol->on_done) {
        sv->bal.now_ns = sim_now(sim);
        sv->bal.pol->on_done(&sv->bal, f->replica, sim_now(sim) - f->arrive_ns);
    }
    if (cause == CAUSE_SHED) {
        st->rejected++;
        sv->shed_count++;
        r->status = REQ_REJECTED;
    } else {
        st->errors++;
        sv->dropped++;
        r->status = REQ_ERROR;
    }
    r->cause = cause;
    sim_after(sim, 0, reply_event, NULL, r);
}

/* The request is done here: free the worker (which may start the next one),
 * account, and reply last, because the reply may run the caller at once.
 * finish, service_body, admitted and offer are inlined into their callers:
 * they are the path of every request, and the calls' saves and restores
 * were about 3% of a plain service's instructions per request. */
__attribute__((always_inline)) static inline void
finish(struct sim *sim, struct service *sv, struct request *r)
{
    struct frame *f = sim_top(r);
    if (f->holds_worker)
        station_release(sim, &sv->reps[f->replica], r);
    struct comp_stats *st = &sv->base.st;
    sim_level_add(sim, &st->insys, -1);
    SIM_CHECK(st->insys.value >= st->busy.value + st->queued.value);
    hist_add(st->resp, sim_now(sim) - f->arrive_ns);
    if (r->status == REQ_OK)
        st->completed++;
    else if (r->cause == CAUSE_UNAUTHENTICATED || r->cause == CAUSE_DENIED)
        st->rejected++;
    else
        st->errors++;
    sim_reply(sim, r);
}

/* The draw of fails, out of line: most services never fail a request. */
static bool fails_draw(struct service *sv, const struct request *r, double p)
{
    struct rng wr;
    sim_work_rng(r, &sv->base, 1, &wr);
    return rng_uniform(&wr) < p;
}

static inline bool fails(struct service *sv, struct station *rp, const struct request *r)
{
    /* error_rate and an errors fault fail independently. */
    double e = rp->nf.error_ratio;
    double p = sv->error_rate + e - sv->error_rate * e;
    return p > 0 && fails_draw(sv, r, p);
}

/* Calls callee `step` for r: through its guard when the service has any,
 * else a plain send; or drops r first when its caller has gone. */
static void call(struct sim *sim, struct service *sv, struct request *r, uint32_t step)
{
    if (sv->drop_abandoned && dep_caller_gone(r)) {
        sv->dropped++;
        r->status = REQ_ERROR;
        r->cause = CAUSE_DROPPED;
        finish(sim, sv, r);
        return;
    }
    if (sv->deps)
        dep_call(sim, &sv->deps[step], r);
    else
        sim_send(sim, &sv->base, r, sv->base.callees[step]);
}

/* r's own service is over (after its auth, if any): fail, reply or call. */
__attribute__((always_inline)) static inline void
service_body(struct sim *sim, struct service *sv, struct station *rp, struct request *r,
             struct frame *f)
{
    tally_add(&sv->base.st.local, sim_now(sim) - f->arrive_ns);
    if (sv->guarded && dep_caller_gone(r))
        sv->wasted_ns += (double)(sim_now(sim) - f->start_ns);
    if (fails(sv, rp, r)) {
        r->status = REQ_ERROR;
        finish(sim, sv, r);
        return;
    }
    if (sv->base.ncallees == 0) {
        finish(sim, sv, r);
        return;
    }
    if (sv->async)
        station_release(sim, rp, r);
    f->step = 0;
    call(sim, sv, r, 0);
}

/* ---- auth (models/auth/auth.h) ------------------------------------------
 * With `auth` or `rbac` the station serves only the local auth work
 * (auth_demand); auth then makes its calls with the worker held, and a
 * request that passes does its own service (drawn as without auth) on the
 * same worker, through an event of its own. A crash meanwhile fails it when
 * auth or that event comes back (the epoch moved on). */
static double auth_demand(struct station *rp, struct request *r)
{
    return auth_local_ns(((struct service *)rp->owner)->auth, r);
}

static bool crashed_meanwhile(struct sim *sim, struct service *sv, struct request *r)
{
    struct frame *f = sim_top(r);
    if (f->epoch == sv->reps[f->replica].epoch)
        return false;
    r->status = REQ_ERROR;
    f->holds_worker = false; /* the crash already took the worker back */
    finish(sim, sv, r);
    return true;
}

static void body_event(struct sim *sim, void *a, void *b)
{
    struct service *sv = a;
    struct request *r = b;
    if (crashed_meanwhile(sim, sv, r))
        return;
    struct frame *f = sim_top(r);
    service_body(sim, sv, &sv->reps[f->replica], r, f);
}

static inline void offer(struct sim *sim, struct service *sv, struct request *r);

static void auth_done(struct sim *sim, struct component *c, struct request *r,
                      enum auth_verdict v, bool on_worker)
{
    struct service *sv = as_service(c);
    if (!on_worker) { /* after a token refresh, before a worker */
        if (v == AUTH_PASS) {
            sim_top(r)->arrive_ns = sim_now(sim); /* its wait starts now */
            offer(sim, sv, r);
        } else {
            r->status = REQ_REJECTED;
            r->cause = CAUSE_UNAUTHENTICATED;
            c->st.rejected++;
            sim_reply(sim, r);
        }
        return;
    }
    if (crashed_meanwhile(sim, sv, r))
        return;
    if (v == AUTH_PASS) {
        struct station *rp = &sv->reps[sim_top(r)->replica];
        double t = nodefault_scale(&rp->nf, dist_sample_seeded(&sv->demand, sim_work_seed(r, c, 0))) /
                   rp->speed;
        sim_after(sim, units_ns_from_double(t), body_event, sv, r);
        return;
    }
    r->status = v == AUTH_FAILED ? REQ_ERROR : REQ_REJECTED;
    r->cause = v == AUTH_UNAUTHENTICATED ? CAUSE_UNAUTHENTICATED
               : v == AUTH_DENIED        ? CAUSE_DENIED
                                         : CAUSE_NONE;
    finish(sim, sv, r);
}

static void service_done(struct sim *sim, struct station *rp, struct request *r)
{
    struct service *sv = rp->owner;
    if (sv->auth)
        auth_begin(sim, sv->auth, r);
    else
        service_body(sim, sv, rp, r, sim_top(r));
}

/* The event that ends r's service on replica a (station_ops.served_event). */
static void service_done_event(struct sim *sim, void *a, void *b)
{
    struct station *rp = a;
    struct request *r = b;
    struct service *sv = rp->owner;
    struct frame *f = sim_top(r);
    f->timer = EVQ_NONE;
    if (sv->auth)
        auth_begin(sim, sv->auth, r);
    else
        service_body(sim, sv, rp, r, f);
}

/* A call of r came back (or its guard answered): the next call, or done. */
static void call_returned(struct sim *sim, struct component *c, struct request *r)
{
    struct service *sv = as_service(c);
    struct frame *f = sim_top(r);
    if (f->epoch != sv->reps[f->replica].epoch) { /* its replica crashed meanwhile */
        r->status = REQ_ERROR;
        f->holds_worker = false; /* the crash already took the worker back */
        finish(sim, sv, r);
        return;
    }
    f->step++;
    if (r->status != REQ_OK || f->step >= c->ncallees) {
        finish(sim, sv, r);
        return;
    }
    call(sim, sv, r, f->step);
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    if (as_service(c)->auth && auth_on_reply(sim, as_service(c)->auth, r))
        return;
    if (r->depth == 1 && gate_on_reply(sim, &as_service(c)->gate, r)) /* a limit check */
        return;
    if (r->depth == 1) { /* a guarded call's child request (models/kinds/dep.c) */
        dep_on_reply(sim, as_service(c)->deps, r);
        return;
    }
    call_returned(sim, c, r);
}

/* ---- the replicas' station hooks ------------------------------------------ */

/* Taken from the queue without service: shed, its caller gone, or the
 * replica crashed. */
static void dropped(struct sim *sim, struct station *rp, struct request *r, enum station_drop why)
{
    struct service *sv = rp->owner;
    if (why == STATION_DROP_CRASH) {
        r->status = REQ_ERROR;
        finish(sim, sv, r);
    } else {
        drop_queued(sim, sv, r, why == STATION_DROP_SHED ? CAUSE_SHED : CAUSE_DROPPED);
    }
}

/* The replica crashed while r held a worker: failed now if in its own
 * service; if out on a call, when the call returns (epoch). */
static void cut(struct sim *sim, struct station *rp, struct request *r, bool in_service)
{
    struct service *sv = rp->owner;
    struct frame *f = sim_top_of(r, &sv->base);
    if (sv->bal.pol->on_done)
        sv->bal.pol->on_done(&sv->bal, rp->index, sim_now(sim) - f->arrive_ns);
    if (in_service) {
        r->status = REQ_ERROR;
        finish(sim, sv, r);
    }
}

/* drop_abandoned: work whose caller has gone is not started. */
static bool caller_here(struct station *rp, struct request *r)
{
    (void)rp;
    return !dep_caller_gone(r);
}

static bool caller_gone(struct station *rp, struct request *r)
{
    return !caller_here(rp, r);
}

static void freed(struct sim *sim, struct station *rp, struct request *r)
{
    struct service *sv = rp->owner;
    if (sv->bal.pol->on_done) {
        sv->bal.now_ns = sim_now(sim);
        sv->bal.pol->on_done(&sv->bal, rp->index, sim_now(sim) - sim_top(r)->arrive_ns);
    }
}

/* The replicas' hooks: admission and the dequeue test only with
 * drop_abandoned, the freed note only for a balance policy that wants it
 * (set at build, in struct service, so the others pay no call per request). */
static void set_station_ops(struct service *sv)
{
    sv->ops = (struct station_ops){.served = service_done,
                                   .served_event = service_done_event,
                                   .dropped = dropped,
                                   .cut = cut};
    if (sv->auth)
        sv->ops.demand = auth_demand;
    if (sv->drop_abandoned) {
        sv->ops.admit = caller_here;
        sv->ops.gone = caller_gone;
    }
    if (sv->bal.pol && sv->bal.pol->on_done)
        sv->ops.freed = freed;
}

/* A request that cannot be served: refused (down replica) or rejected (full
 * queue). It never entered the replica. */
static void turn_away(struct sim *sim, struct service *sv, struct request *r, uint32_t i,
                      enum req_status status)
{
    struct component *c = &sv->base;
    if (sv->bal.pol->on_done)
        sv->bal.pol->on_done(&sv->bal, i, 0);
    if (status == REQ_REJECTED)
        c->st.rejected++;
    else
        c->st.errors++;
    r->status = (uint8_t)status;
    sim_reply(sim, r);
}

/* r passed the gate (its limiter, on arrival): auth's token refresh, or a
 * replica. */
__attribute__((always_inline)) static inline void
admitted(struct sim *sim, struct component *c, struct request *r)
{
    struct service *sv = as_service(c);
    if (sv->auth && auth_arrive(sim, sv->auth, r)) /* a token refresh first */
        return;
    offer(sim, sv, r);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct service *sv = as_service(c);
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    sv->hpa_arrivals++;
    if (!gate_arrive(sim, &sv->gate, r))
        admitted(sim, c, r);
}

/* r (its frame pushed) goes to a replica's station. */
__attribute__((always_inline)) static inline void
offer(struct sim *sim, struct service *sv, struct request *r)
{
    struct component *c = &sv->base;
    struct frame *f = sim_top(r);
    sv->bal.now_ns = sim_now(sim);
    uint32_t i;
    if (r->target >= 0 && (uint32_t)r->target < sv->nreplicas) {
        i = (uint32_t)r->target;
    } else {
        if (sv->bal.n != sv->nready)
            balance_resize(&sv->bal, sv->nready);
        i = balance_pick(&sv->bal, r);
    }
    r->target = -1;
    f->replica = i;
    if (sv->track_load)
        nodeload_start(&sv->load, i, sim_now(sim), sim->measuring);
    struct station *rp = &sv->reps[i];
    f->epoch = rp->epoch;
    if (sv->bal.pol->on_start)
        sv->bal.pol->on_start(&sv->bal, i);
    switch (station_offer(sim, rp, r)) {
    case STATION_STARTED:
    case STATION_QUEUED:
        sim_level_add(sim, &c->st.insys, 1);
        break;
    case STATION_DOWN:
        turn_away(sim, sv, r, i, REQ_ERROR);
        break;
    case STATION_REFUSED: /* drop_abandoned: its caller has gone */
        sv->dropped++;
        r->cause = CAUSE_DROPPED;
        turn_away(sim, sv, r, i, REQ_ERROR);
        break;
    case STATION_SHED:
        r->cause = CAUSE_SHED;
        sv->shed_count++;
        turn_away(sim, sv, r, i, REQ_REJECTED);
        break;
    case STATION_FULL:
        r->cause = CAUSE_QUEUE_FULL;
        turn_away(sim, sv, r, i, REQ_REJECTED);
        break;
    }
}

/* ---- faults ----------------------------------------------------------- */

/* Replicas taking traffic: ready and not crashed; and the workers they
 * have, whose time average is the denominator of utilisation. */
static void count_up(struct sim *sim, struct service *sv)
{
    uint32_t up = 0;
    for (uint32_t i = 0; i < sv->nready; i++)
        up += sv->reps[i].nf.up;
    sv->base.st.replicas_up = up;
    sim_level_set(sim, &sv->base.st.capacity, (int64_t)sv->nready * sv->workers);
}

/* ---- autoscaling ----------------------------------------------------------
 * Replicas are added at index nready + nstarting after the cold start, and
 * removed from the top of the ready range: a removed replica takes no new
 * requests and finishes what it holds (its queue included). */

static void replica_ready(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct service *sv = a;
    if (sv->nstarting == 0) /* cancelled by a scale-down meanwhile */
        return;
    sv->nstarting--;
    sv->nready++;
    sv->reps[sv->nready - 1].nf.up = true;
    count_up(sim, sv);
}

static double hpa_measure(struct sim *sim, struct service *sv)
{
    double secs = (double)(sim_now(sim) - sv->hpa_last_ns) / 1e9;
    sim_level_add(sim, &sv->hpa_busy, 0); /* bring the areas up to now */
    sim_level_add(sim, &sv->hpa_queue, 0);
    double busy = (sv->hpa_busy.area - sv->hpa_busy_mark) / 1e9 / secs;
    double queue = (sv->hpa_queue.area - sv->hpa_queue_mark) / 1e9 / secs;
    double per = sv->nready ? (double)sv->nready : 1.0;
    double arrivals = (double)sv->hpa_arrivals;
    sv->hpa_busy_mark = sv->hpa_busy.area;
    sv->hpa_queue_mark = sv->hpa_queue.area;
    sv->hpa_arrivals = 0;
    sv->hpa_last_ns = sim_now(sim);
    switch (sv->hpa.metric) {
    case HPA_UTILISATION:
        return busy / (per * (double)sv->workers);
    case HPA_QUEUE:
        return queue / per;
    case HPA_RPS:
        return arrivals / secs / per;
    case HPA_LAG: /* refused at build */
        break;
    }
    return 0;
}

static void hpa_sync(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct service *sv = a;
    double metric = hpa_measure(sim, sv);
    uint32_t current = sv->nready + sv->nstarting;
    uint32_t want = hpa_decide(&sv->hpa, sim_now(sim), current, metric);
    while (current < want && current < sv->nreplicas) {
        sv->nstarting++;
        current++;
        sim_after(sim, sv->hpa.cold_start_ns, replica_ready, sv, NULL);
    }
    while (current > want && current > 1) {
        if (sv->nstarting > 0)
            sv->nstarting--; /* the newest start is abandoned */
        else
            sv->nready--; /* it drains: no new requests, finishes its own */
        current--;
    }
    count_up(sim, sv);
    if (sim_now(sim) + sv->hpa.period_ns <= sim->end_ns)
        sim_after(sim, sv->hpa.period_ns, hpa_sync, sv, NULL);
}

/* Once every [fault] is built: a service no fault crashes keeps no list of
 * the requests holding its workers (only a crash reads it). */
static int check(struct sim *sim, struct component *c, struct diag *d)
{
    (void)d;
    struct service *sv = as_service(c);
    if (!fault_may_crash(sim, c))
        for (uint32_t i = 0; i < sv->nreplicas; i++)
            station_no_crash(&sv->reps[i]);
    return 0;
}

static void start(struct sim *sim, struct component *c)
{
    struct service *sv = as_service(c);
    if (sv->autoscale) {
        hpa_start(&sv->hpa, sim_now(sim), sv->nready);
        sim_after(sim, sv->hpa.period_ns, hpa_sync, sv, NULL);
    }
    gate_start(sim, &sv->gate);
}

static size_t ts_extra(const struct sim *sim, const struct component *c, const char **names,
                       double *values, size_t max)
{
    const struct service *sv = (const struct service *)c;
    size_t n = 0;
    if (sv->autoscale && n < max) {
        names[n] = "starting";
        values[n++] = (double)sv->nstarting;
    }
    n += gate_ts_extra(sim, &sv->gate, names + n, values + n, max - n);
    if (!sv->deps || n + 3 > max)
        return n;
    double state = 0, inflight = 0, limit = 0, waiting = 0;
    for (size_t k = 0; k < c->ncallees; k++) {
        const struct dep *dp = &sv->deps[k];
        double s = dep_breaker_state(dp);
        state = s > state ? s : state;
        inflight += (double)dp->inflight_lvl.value;
        limit += dp->has_bulkhead ? dp->bh.limit : 0;
        waiting += (double)dp->queue_lvl.value;
    }
    if (sv->deps[0].has_breaker) {
        names[n] = "breaker_state";
        values[n++] = state;
    }
    if (sv->deps[0].has_bulkhead) {
        names[n] = "bulkhead_in_flight";
        values[n++] = inflight;
        names[n] = "bulkhead_limit";
        values[n++] = limit;
        names[n] = "bulkhead_queue";
        values[n++] = waiting;
    }
    return n;
}

/* Resilience results per service (runs.csv columns "<service>.<name>"),
 * over the measured window; summed over the service's callees. */
static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    const struct service *sv = (const struct service *)c;
    size_t na = sv->auth ? auth_metrics(sv->auth, out, max) : 0;
    na += gate_metrics(sim, &sv->gate, end_ns, out + na, max - na);
    if (sv->track_load)
        na += nodeload_metrics(&sv->load, sv->nreplicas, end_ns, out + na, max - na);
    out += na, max -= na;
    if (!sv->guarded || max < 14)
        return na;
    double calls = 0, timeouts = 0, opens = 0, open_s = 0, half_s = 0, rej_br = 0, rej_bh = 0,
           fallbacks = 0, hedges = 0, cycles = 0, reopens = 0;
    for (size_t k = 0; sv->deps && k < c->ncallees; k++) {
        const struct dep *dp = &sv->deps[k];
        calls += (double)dp->calls;
        timeouts += (double)dp->timeouts;
        opens += (double)(dp->br.opens - dp->opens_at_cut);
        open_s += dp->open_lvl.area / 1e9;
        half_s += dp->half_lvl.area / 1e9;
        rej_br += (double)dp->rej_breaker;
        rej_bh += (double)dp->rej_bulkhead;
        fallbacks += (double)dp->fallbacks;
        hedges += (double)dp->hedges;
        cycles += (double)(dp->br.cycles - dp->cycles_at_cut);
        reopens += (double)(dp->br.reopens - dp->reopens_at_cut);
    }
    (void)sim, (void)end_ns;
    size_t n = 0;
    out[n++] = (struct metric_out){"wasted_work_s", sv->wasted_ns / 1e9, true};
    out[n++] = (struct metric_out){"dropped", (double)sv->dropped, true};
    out[n++] = (struct metric_out){"shed", (double)sv->shed_count, true};
    out[n++] = (struct metric_out){"calls", calls, true};
    out[n++] = (struct metric_out){"call_timeouts", timeouts, true};
    out[n++] = (struct metric_out){"breaker_opens", opens, true};
    out[n++] = (struct metric_out){"breaker_open_s", open_s, true};
    out[n++] = (struct metric_out){"breaker_half_open_s", half_s, true};
    out[n++] = (struct metric_out){"breaker_rejected", rej_br, true};
    out[n++] = (struct metric_out){"fallbacks", fallbacks, true};
    out[n++] = (struct metric_out){"bulkhead_rejected", rej_bh, true};
    if (sv->deps && sv->deps[0].hedge_ns > 0)
        out[n++] = (struct metric_out){"call_hedges", hedges, true};
    out[n++] = (struct metric_out){"breaker_cycles", cycles, true};
    out[n++] = (struct metric_out){"breaker_reopens", reopens, true};
    return na + n;
}

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct service *sv = as_service(c);
    sv->wasted_ns = 0;
    sv->dropped = sv->shed_count = 0;
    for (size_t k = 0; sv->deps && k < c->ncallees; k++)
        dep_reset(&sv->deps[k]);
    if (sv->auth)
        auth_reset(sv->auth);
    gate_reset(&sv->gate);
    if (sv->track_load)
        nodeload_reset(&sv->load, sim_now(sim));
}

void service_fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                   double value, bool start)
{
    struct service *sv = as_service(c);
    uint32_t from = replica < 0 ? 0 : (uint32_t)replica;
    uint32_t to = replica < 0 ? sv->nreplicas : from + 1;
    for (uint32_t i = from; i < to && i < sv->nreplicas; i++) {
        /* A crash fails everything the replica holds: its queue and its
         * requests in service at once; those out on calls when the call
         * returns (the epoch moved on). */
        if (station_fault(&sv->reps[i], a, value, start) == NODEFAULT_CRASHED)
            station_crash(sim, &sv->reps[i]);
    }
    count_up(sim, sv);
}

bool service_is(const struct component *c)
{
    return c->kind == &kind_service;
}

struct gate *service_gate(const struct component *c)
{
    return &((struct service *)c)->gate;
}

bool service_has_auth(const struct component *c)
{
    return ((const struct service *)c)->auth != NULL;
}

bool service_is_guarded(const struct component *c)
{
    return ((const struct service *)c)->guarded;
}

uint32_t service_replicas(const struct component *c)
{
    return ((const struct service *)c)->nreplicas;
}

uint32_t service_ready(const struct component *c)
{
    return ((const struct service *)c)->nready;
}

bool service_replica_up(const struct component *c, uint32_t replica)
{
    const struct service *sv = (const struct service *)c;
    return replica < sv->nreplicas && sv->reps[replica].nf.up;
}

/* ---- building ------------------------------------------------------------ */

/* Reads "1, 1, 0.5" (or one value for all) into out[0..n), each > 0. */
static int read_numbers(const struct sc_section *s, const char *key, uint32_t n, double *out,
                        struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(s, params, key, &loc);
    char *copy = xstrdup(v);
    int rc = 0;
    uint32_t k = 0;
    for (char *save, *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        double x;
        const char *why;
        if (units_parse_double(t, &x, &why) < 0 || !(x > 0)) {
            rc = diag_error(d, loc, "bad %s value '%s': a positive number", key, t);
            break;
        }
        if (k < n)
            out[k] = x;
        k++;
    }
    free(copy);
    if (rc == 0 && k == 1)
        for (uint32_t i = 1; i < n; i++)
            out[i] = out[0];
    else if (rc == 0 && k != n)
        rc = diag_error(d, loc, "'%s' has %u values for %u replicas (give one, or one each)", key,
                        k, n);
    return rc;
}

static void dep_returned(struct sim *sim, struct component *c, struct request *r)
{
    call_returned(sim, c, r);
}

/* Reads call_timeout, breaker, fallback, bulkhead, drop_abandoned and shed;
 * sets up one guarded call per callee when any guard is asked for. */
static int read_resilience(struct sim *sim, struct service *sv, const struct sc_section *s,
                           struct diag *d)
{
    struct component *c = &sv->base;
    struct dep_config cfg = {0};
    int rc = 0;
    if (dep_read_guards(s, params, &cfg, d) < 0)
        rc = -1;
    long long hedges = 1;
    if (kp_duration(s, params, "call_hedge", &cfg.hedge_ns, d) < 0 ||
        kp_int(s, params, "call_hedges", 1, DEP_HEDGES_MAX, &hedges, d) < 0)
        rc = -1;
    cfg.hedges = (uint32_t)hedges;
    if (kp_bool(s, params, "drop_abandoned", &sv->drop_abandoned, d) < 0)
        rc = -1;
    struct loc sloc;
    if (shed_setup(&sv->shed, kp_raw(s, params, "shed", &sloc), sloc, d) < 0)
        rc = -1;
    bool any = cfg.timeout_ns > 0 || cfg.breaker || cfg.bulkhead || cfg.hedge_ns > 0;
    if (any && c->ncallees == 0)
        return diag_error(d, s->loc, "call_timeout, call_hedge, breaker and bulkhead guard "
                                     "`calls`, and [service %s] has none", s->name);
    sv->guarded = any || sv->shed.pol != &shed_none || sc_find_entry(s, "drop_abandoned");
    if (!any || rc < 0)
        return rc;
    sv->deps = xcalloc(c->ncallees, sizeof *sv->deps);
    for (uint32_t k = 0; k < c->ncallees; k++)
        if (dep_setup(sim, &sv->deps[k], c, k, &cfg, dep_returned, d) < 0)
            return -1;
    return 0;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct service *sv = as_service(c);
    int rc = 0;
    long long n, w;
    bool present, by_max = false;
    if (kp_int(s, params, "replicas", 1, 100000, &n, d) < 0)
        rc = -1, n = 1;
    if (kp_int(s, params, "workers", 1, 10000000, &w, d) < 0)
        rc = -1, w = 1;
    sv->nreplicas = (uint32_t)n;
    sv->nready = (uint32_t)n;
    sv->workers = (uint32_t)w;
    struct loc aloc;
    const char *as = kp_raw(s, params, "autoscale", &aloc);
    if (strcmp(as, "none") != 0) {
        if (hpa_setup(&sv->hpa, as, aloc, d) < 0) {
            rc = -1;
        } else if (sv->hpa.metric == HPA_LAG) {
            rc = diag_error(d, aloc, "metric = lag is for a [consumers] group: a service "
                                     "scales on utilisation, queue or rps");
        } else {
            sv->autoscale = true;
            if (sv->hpa.max > sv->nreplicas) {
                sv->nreplicas = sv->hpa.max; /* slots for every replica it may add */
                by_max = true;
            }
        }
    }
    if ((double)sv->nreplicas * (double)sv->workers > KIND_MAX_SERVERS) {
        const struct sc_entry *we = sc_find_entry(s, "workers");
        rc = diag_error(d, we ? we->val_loc : s->loc,
                        "%s x workers = %u x %u = %.3g servers: at most 10^7 in a service",
                        by_max ? "autoscale max" : "replicas", sv->nreplicas, sv->workers,
                        (double)sv->nreplicas * (double)sv->workers);
        sv->workers = 1; /* build on without allocating them */
    }
    if (sv->nreplicas > 1 && !sv->autoscale && rc == 0) {
        nodeload_init(&sv->load, sv->nreplicas, false);
        sv->track_load = true;
    }
    if (station_read_queue(s, params, "queue", &sv->queue_cap, d) < 0)
        rc = -1;
    if (kp_dist(s, params, "service", DIST_DURATION, &sv->demand, &present, d) < 0)
        rc = -1;
    else if (!present)
        rc = diag_error(d, s->loc, "[service %s] needs 'service = DIST', e.g. exp(mean=10ms)",
                        s->name);
    if (kp_bool(s, params, "async", &sv->async, d) < 0)
        rc = -1;
    if (kp_fraction(s, params, "error_rate", &sv->error_rate, d) < 0)
        rc = -1;
    if (kind_read_callees(sim, c, s, "calls", false, d) < 0)
        rc = -1;
    else if (read_resilience(sim, sv, s, d) < 0)
        rc = -1;
    if (auth_read(sim, &sv->auth, c, sv->nreplicas, auth_done, s, params, d) < 0)
        rc = -1;
    if (gate_setup(sim, &sv->gate, c, admitted, s, params, false, d) < 0)
        rc = -1;
    sv->reps = xcalloc(sv->nreplicas, sizeof *sv->reps);
    sv->weights = xcalloc(sv->nreplicas, sizeof *sv->weights);
    double *speed = xcalloc(sv->nreplicas, sizeof *speed);
    if (read_numbers(s, "speed", sv->nreplicas, speed, d) < 0)
        rc = -1;
    if (read_numbers(s, "weights", sv->nreplicas, sv->weights, d) < 0)
        rc = -1;
    for (uint32_t i = 0; i < sv->nreplicas; i++) {
        struct station *rp = &sv->reps[i];
        station_init(rp, &sv->ops, sv, c, i, sv->workers, sv->queue_cap,
                     STATION_LATENCY_HOLDS);
        rp->nf.up = i < sv->nready;
        rp->speed = speed[i] > 0 ? speed[i] : 1;
        rp->shed = &sv->shed;
        rp->dist = sv->auth ? NULL : &sv->demand; /* with auth: auth_demand */
    }
    free(speed);
    struct loc bloc;
    const char *bal = kp_raw(s, params, "balance", &bloc);
    struct rng brng;
    rng_stream(&brng, sim->seed, c->name, "balance");
    if (balance_setup(&sv->bal, bal, bloc, sv->nreplicas, &brng, d) < 0)
        rc = -1;
    sv->bal.weight = sv->weights;
    set_station_ops(sv);
    sim_stats_init(sim, &c->st, true);
    for (uint32_t i = 0; i < sv->nreplicas; i++) {
        struct station *rp = &sv->reps[i];
        rp->wait = c->st.wait;
        rp->busy_lv[0] = &c->st.busy;
        rp->queue_lv[0] = &c->st.queued;
        if (sv->autoscale) { /* the autoscaler's private levels move with them */
            rp->busy_lv[1] = &sv->hpa_busy;
            rp->queue_lv[1] = &sv->hpa_queue;
        }
    }
    c->st.servers = (double)sv->nready * (double)sv->workers;
    c->st.replicas_up = sv->nready;
    c->st.capacity.value = (int64_t)sv->nready * sv->workers;
    return rc;
}

/* Workers over their mean holding time, summed over the replicas taking
 * traffic. Unknown (NAN) when a worker stays taken during calls, whose
 * time this service does not know, or when the mean service time is not
 * finite and positive. */
static double capacity_rps(const struct sim *sim, const struct component *c)
{
    (void)sim;
    const struct service *sv = (const struct service *)c;
    if ((c->ncallees > 0 && !sv->async) || !(sv->demand.mean > 0) ||
        !isfinite(sv->demand.mean) || (sv->auth && auth_holds_calls(sv->auth)))
        return (double)NAN;
    double mean = sv->demand.mean + (sv->auth ? auth_local_mean_ns(sv->auth) : 0);
    double rps = 0;
    for (uint32_t i = 0; i < sv->nready; i++) {
        const struct station *rp = &sv->reps[i];
        if (rp->nf.up)
            rps += (double)sv->workers /
                   (nodefault_scale(&rp->nf, mean) / rp->speed +
                    (double)nodefault_extra_latency_ns(&rp->nf)) *
                   1e9;
    }
    return rps;
}

static void fini(struct component *c)
{
    struct service *sv = as_service(c);
    if (sv->track_load)
        nodeload_fini(&sv->load);
    for (uint32_t i = 0; sv->reps && i < sv->nreplicas; i++)
        station_fini(&sv->reps[i]);
    free(sv->reps);
    free(sv->weights);
    for (size_t k = 0; sv->deps && k < c->ncallees; k++)
        dep_fini(&sv->deps[k]);
    free(sv->deps);
    if (sv->auth)
        auth_fini(sv->auth);
    free(sv->auth);
    gate_fini(&sv->gate);
    balance_fini(&sv->bal);
    dist_fini(&sv->demand);
}

/* Napkin math (models/napkin.h): each request makes every call once, in
 * order (a component listed twice in `calls` is called twice); the
 * capacity is capacity_rps's, unknown under an autoscaler. */
static void napkin_visits(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out)
{
    (void)callee;
    if (!((const struct service *)c)->gate.has_limit) /* a limiter: what passes is unknown */
        *out = *in;
}

/* The components a service's auth calls (models/auth/auth.h): a session
 * store, a policy service, an auth or key service. */
static size_t napkin_side(const struct component *c, const struct napkin_flow *in,
                          const struct component **to, struct napkin_flow *out, size_t max)
{
    const struct service *sv = (const struct service *)c;
    double rate = in ? in->reads + in->writes : 0;
    size_t n = gate_napkin_side(&sv->gate, rate, to, out, max);
    if (!sv->auth)
        return n;
    double rps[8];
    size_t k = auth_napkin_side(sv->auth, rate, to + n, rps, max - n < 8 ? max - n : 8);
    for (size_t i = 0; out && i < k; i++)
        out[n + i] = (struct napkin_flow){rps[i], 0, NULL};
    return n + k;
}

static void napkin_server(const struct component *c, struct napkin_server *out)
{
    const struct service *sv = (const struct service *)c;
    out->rps = sv->autoscale ? (double)NAN : capacity_rps(NULL, c);
    out->unbounded_queue = sv->queue_cap < 0 && sv->shed.pol == &shed_none;
}

static bool same_speed(const struct service *sv)
{
    for (uint32_t i = 1; i < sv->nreplicas; i++)
        if (sv->reps[i].speed != sv->reps[0].speed)
            return false;
    return true;
}

/* Theory (models/theorycheck.h): one replica, i.e. one queue before its
 * workers, or identical replicas picked at random, that serve each request
 * once and reply. */
static bool theory_station(const struct component *c, struct theory_station *out,
                           const char **why)
{
    const struct service *sv = (const struct service *)c;
    bool replace = false;
    uint32_t choices = sv->nreplicas != 1 && sv->bal.pol->theory_choices
                           ? sv->bal.pol->theory_choices(&sv->bal, &replace)
                           : 0;
    if (sv->autoscale)
        *why = "an autoscaled service";
    else if (sv->nreplicas != 1 && sv->bal.pol != &balance_random && choices == 0)
        *why = "a service with several replicas (each has its own queue) and a balance policy "
               "other than random or the power of d choices on exact counts";
    else if (!same_speed(sv))
        *why = "replicas of different speeds";
    else if (sv->shed.pol != &shed_none || sv->drop_abandoned)
        *why = "load shedding or dropped work";
    else if (c->ncallees > 1 || (c->ncallees == 1 && (!sv->async || sv->guarded)))
        *why = "more than one component serves requests, and not as a tandem (a service "
               "calling another needs async = true and one unguarded call)";
    else if (sv->auth)
        *why = "a service with auth or rbac (extra work, calls and refusals)";
    else if (sv->gate.has_limit)
        *why = "a service with a rate limiter (it refuses or delays requests)";
    else if (!(sv->demand.mean > 0) || !isfinite(sv->demand.mean) || !isfinite(sv->demand.scv))
        *why = "a service time without a finite mean and variance";
    else {
        *out = (struct theory_station){
            .replicas = sv->nreplicas,
            .workers = sv->workers,
            .mean_s = sv->demand.mean / 1e9 / sv->reps[0].speed,
            .scv = sv->demand.scv,
            .exponential = sv->demand.kind == DIST_EXP,
            .constant = sv->demand.kind == DIST_CONST,
            .queue = sv->queue_cap,
            .next = c->ncallees == 1 ? c->callees[0] : NULL,
            .fails = sv->error_rate,
            .choices = choices > 1 ? choices : 0, /* d = 1: a uniform random pick */
            .replace = replace,
        };
        return true;
    }
    return false;
}

const struct kind kind_service = {
    .name = "service",
    .summary = "replicas x workers with a FIFO queue each; optional calls to other components",
    .params = params,
    .size = sizeof(struct service),
    .build = build,
    .check = check,
    .on_request = on_request,
    .on_reply = on_reply,
    .fini = fini,
    .start = start,
    .ts_extra = ts_extra,
    .metrics = metrics,
    .reset = reset,
    .fault = service_fault,
    .capacity_rps = capacity_rps,
    .napkin_visits = napkin_visits,
    .napkin_server = napkin_server,
    .napkin_side = napkin_side,
    .theory_station = theory_station,
};
