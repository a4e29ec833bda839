/* store: one database node with `workers` servers and a FIFO queue of
 * bounded or unbounded length; each request takes a service time drawn from
 * its birth seed (common random numbers). When its service ends it reads,
 * writes or conditionally writes its key:
 *
 *   OP_READ   the reply carries the key's current version;
 *   OP_WRITE  commits a new version (observer_commit) and tells every
 *             listener, then replies with the new version;
 *   OP_CAS    commits like a write if request.version is still the current
 *             version, else replies REQ_REJECTED with the current version
 *             (a conflict, counted in cas_conflicts).
 *
 * A bulk write (store.h: a write whose sender registered with
 * store_bulk_sender and names a batch) is one request: one worker, one
 * `service` draw plus (n - 1) x `batch_item_time`, then n commits in order.
 * So a write-behind flush loads the store like one request, not n.
 *
 * The store is its own observer's first client: every read it answers is
 * checked (a single node is never stale; replicas will be, issue 7).
 * Faults: crash fails the queue and the requests in service at once and
 * refuses new ones until recovery (nothing is committed by a failed
 * request); slow multiplies service times; errors fails requests after
 * service with a probability, before they commit; latency adds to replies.
 *
 * Its workers, queue and fault state are a station (models/kinds/station.h).
 *
 * Invariants: those of the station (busy <= workers, the queue empty while
 * a worker is free, levels >= 0); st.insys counts from arrival to reply, so
 * it is at least busy + queued. */
#include "models/kinds/store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kinds/nodefault.h"
#include "models/kinds/station.h"
#include "models/napkin.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

struct listener {
    store_commit_fn *fn;
    void *arg;
};

struct bulk_sender {
    const struct component *c;
    store_bulk_fn *fn;
    void *arg;
};

struct store {
    struct component base;
    struct station stn;        /* workers, FIFO queue, crash, slow, errors, latency */
    struct dist demand;
    bool has_demand;
    struct observer obs;
    struct listener *listeners;
    size_t nlisteners;
    struct bulk_sender *bulk;
    size_t nbulk;
    int64_t item_ns;           /* batch_item_time: per key of a bulk write after the first */
    uint64_t store_reads;      /* reads served here (measured window) */
    uint64_t cas_conflicts;    /* conditional writes refused (measured window) */
};

static const struct param_spec params[] = {
    {"service", "dist", NULL, "time to serve one read or write, e.g. exp(mean=5ms)"},
    {"workers", "int", "1", "requests served at once"},
    {"queue", "int|unbounded", "unbounded",
     "waiting room; a request that finds it full is rejected"},
    {"latency", "dist", "", "one-way network delay of each reply and message this store sends"},
    {"batch_item_time", "duration", "0",
     "a bulk write of n keys (a write-behind flush) takes one service time plus (n - 1) times "
     "this"},
    {NULL, NULL, NULL, NULL},
};

static struct store *as_store(struct component *c)
{
    return (struct store *)c;
}

bool store_is(const struct component *c)
{
    return c->kind == &kind_store;
}

struct observer *store_observer(struct component *c)
{
    return &as_store(c)->obs;
}

void store_listen(struct component *c, store_commit_fn *fn, void *arg)
{
    struct store *st = as_store(c);
    st->listeners = xrealloc(st->listeners, (st->nlisteners + 1) * sizeof *st->listeners);
    st->listeners[st->nlisteners++] = (struct listener){fn, arg};
}

void store_bulk_sender(struct component *c, const struct component *sender,
                       store_bulk_fn *fn, void *arg)
{
    struct store *st = as_store(c);
    st->bulk = xrealloc(st->bulk, (st->nbulk + 1) * sizeof *st->bulk);
    st->bulk[st->nbulk++] = (struct bulk_sender){sender, fn, arg};
}

/* The batch of r if r is a bulk write (the store's frame is on top, the
 * sender's right below it). */
static bool bulk_of(const struct store *st, const struct request *r, struct store_bulk *out)
{
    if (st->nbulk == 0 || r->op != OP_WRITE || r->depth < 2)
        return false;
    const struct component *sender = sim_cframe(r, r->depth - 2u)->c;
    for (size_t i = 0; i < st->nbulk; i++)
        if (st->bulk[i].c == sender)
            return st->bulk[i].fn(st->bulk[i].arg, r, out);
    return false;
}

/* Done here: free the worker (which may start the next request), account,
 * and reply last, because the reply may run the caller at once. */
static void finish(struct sim *sim, struct store *st, struct request *r)
{
    struct frame *f = sim_top(r);
    if (f->holds_worker)
        station_release(sim, &st->stn, r);
    struct comp_stats *cs = &st->base.st;
    SIM_CHECK(cs->insys.value >= cs->busy.value + cs->queued.value);
    sim_level_add(sim, &cs->insys, -1);
    hist_add(cs->resp, sim_now(sim) - f->arrive_ns);
    if (r->status == REQ_OK)
        cs->completed++;
    else if (r->status == REQ_REJECTED)
        cs->rejected++;
    else
        cs->errors++;
    sim_reply(sim, r);
}

static uint64_t commit_key(struct sim *sim, struct store *st, uint64_t key)
{
    uint64_t v = observer_commit(&st->obs, key);
    for (size_t i = 0; i < st->nlisteners; i++)
        st->listeners[i].fn(sim, st->listeners[i].arg, key, v);
    return v;
}

static void commit(struct sim *sim, struct store *st, struct request *r)
{
    struct store_bulk b;
    if (!bulk_of(st, r, &b)) {
        r->version = commit_key(sim, st, r->key);
        return;
    }
    for (size_t i = 0; i < b.n; i++)
        b.versions[i] = commit_key(sim, st, b.keys[i]);
    r->version = b.versions[b.n - 1];
}

/* Applies r's operation to the data, now that its service is over. */
static void apply(struct sim *sim, struct store *st, struct request *r)
{
    uint64_t current = observer_committed(&st->obs, r->key);
    switch (r->op) {
    case OP_READ:
        r->version = current;
        observer_read(&st->obs, r->key, current);
        st->store_reads++;
        break;
    case OP_WRITE:
        commit(sim, st, r);
        break;
    default: /* OP_CAS */
        if (r->version == current) {
            commit(sim, st, r);
        } else {
            st->cas_conflicts++;
            r->version = current;
            r->status = REQ_REJECTED;
        }
        break;
    }
}

static bool fails(struct store *st, const struct request *r)
{
    if (st->stn.nf.error_ratio <= 0)
        return false;
    struct rng wr;
    sim_work_rng(r, &st->base, 1, &wr);
    return station_fails(&st->stn, &wr);
}

/* ---- the station's hooks ---------------------------------------------------- */

static double demand(struct station *stn, struct request *r)
{
    struct store *st = stn->owner;
    if (!st->has_demand)
        return 0;
    struct rng wr;
    sim_work_rng(r, &st->base, 0, &wr);
    double t = dist_sample(&st->demand, &wr);
    struct store_bulk b;
    if (st->item_ns > 0 && bulk_of(st, r, &b))
        t += (double)(b.n - 1) * (double)st->item_ns;
    return t;
}

static void served(struct sim *sim, struct station *stn, struct request *r)
{
    struct store *st = stn->owner;
    struct frame *f = sim_top(r);
    tally_add(&st->base.st.local, sim_now(sim) - f->arrive_ns);
    if (fails(st, r))
        r->status = REQ_ERROR;
    else
        apply(sim, st, r);
    finish(sim, st, r);
}

/* A queued request failed by a crash (a store sheds nothing). */
static void dropped(struct sim *sim, struct station *stn, struct request *r, enum station_drop why)
{
    (void)why;
    r->status = REQ_ERROR;
    finish(sim, stn->owner, r);
}

/* A request in service when the store crashed: it fails, nothing committed. */
static void cut(struct sim *sim, struct station *stn, struct request *r, bool in_service)
{
    (void)in_service;
    r->status = REQ_ERROR;
    finish(sim, stn->owner, r);
}

static const struct station_ops store_station = {
    .demand = demand,
    .served = served,
    .dropped = dropped,
    .cut = cut,
};

static void refuse(struct sim *sim, struct store *st, struct request *r, enum req_status status)
{
    if (status == REQ_REJECTED)
        st->base.st.rejected++;
    else
        st->base.st.errors++;
    r->status = (uint8_t)status;
    sim_reply(sim, r);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct store *st = as_store(c);
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    r->target = -1;
    switch (station_offer(sim, &st->stn, r)) {
    case STATION_STARTED:
    case STATION_QUEUED:
        sim_level_add(sim, &c->st.insys, 1);
        break;
    case STATION_DOWN:
        refuse(sim, st, r, REQ_ERROR);
        break;
    default: /* full (a store has no admission hook nor shed policy) */
        refuse(sim, st, r, REQ_REJECTED);
        break;
    }
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r; /* a store calls nobody */
}

static void fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                  double value, bool start)
{
    struct store *st = as_store(c);
    if (replica > 0)
        return;
    if (station_fault(&st->stn, a, value, start) == NODEFAULT_CRASHED)
        station_crash(sim, &st->stn); /* fails the queue and the requests in service */
    c->st.replicas_up = st->stn.nf.up;
}

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct store *st = as_store(c);
    observer_reset(&st->obs);
    st->store_reads = 0;
    st->cas_conflicts = 0;
}

/* Summed over stores into runs.csv columns of the same name. */
static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    (void)end_ns;
    const struct store *st = (const struct store *)c;
    const struct metric_out m[] = {
        {"reads", (double)st->obs.reads, false},
        {"stale_reads", (double)st->obs.stale_reads, false},
        {"writes", (double)st->obs.commits, false},
        {"lost_writes", (double)st->obs.lost_writes, false},
        {"store_reads", (double)st->store_reads, false},
        {"cas_conflicts", (double)st->cas_conflicts, false},
    };
    size_t n = sizeof m / sizeof m[0];
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    return n;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    (void)sim;
    struct store *st = as_store(c);
    int rc = 0;
    long long w;
    if (kp_int(s, params, "workers", 1, 10000000, &w, d) < 0)
        rc = -1, w = 1;
    long long queue_cap;
    if (station_read_queue(s, params, "queue", &queue_cap, d) < 0)
        rc = -1;
    if (kp_duration(s, params, "batch_item_time", &st->item_ns, d) < 0)
        rc = -1;
    bool present;
    if (kp_dist(s, params, "service", DIST_DURATION, &st->demand, &present, d) < 0)
        rc = -1;
    else if (!present)
        rc = diag_error(d, s->loc, "[store %s] needs 'service = DIST', e.g. exp(mean=5ms)",
                        s->name);
    st->has_demand = present && rc == 0;
    station_init(&st->stn, &store_station, st, c, 0, (uint32_t)w, queue_cap,
                 STATION_LATENCY_HOLDS);
    observer_init(&st->obs);
    sim_stats_init(sim, &c->st, true);
    st->stn.busy_lv[0] = &c->st.busy;
    st->stn.queue_lv[0] = &c->st.queued;
    st->stn.wait = c->st.wait;
    c->st.servers = (double)w;
    c->st.replicas_up = 1;
    c->st.capacity.value = w;
    return rc;
}

static void fini(struct component *c)
{
    struct store *st = as_store(c);
    station_fini(&st->stn);
    free(st->listeners);
    free(st->bulk);
    observer_fini(&st->obs);
    if (st->has_demand)
        dist_fini(&st->demand);
}

/* Napkin math (models/napkin.h): workers over the mean service time. */
static void napkin_server(const struct component *c, struct napkin_server *out)
{
    const struct store *st = (const struct store *)c;
    out->rps = st->has_demand ? napkin_capacity(st->stn.workers, st->demand.mean) : (double)NAN;
    out->unbounded_queue = st->stn.queue_cap < 0;
}

const struct kind kind_store = {
    .name = "store",
    .summary = "a database node: workers, a FIFO queue and a version per key; counts stale "
               "reads and lost writes",
    .params = params,
    .size = sizeof(struct store),
    .build = build,
    .on_request = on_request,
    .on_reply = on_reply,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .fault = fault,
    .napkin_server = napkin_server,
};
