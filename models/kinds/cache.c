/* cache: a keyed cache in front of a store.
 *
 * A request first spends the lookup time (`hit_time`, the cache's own cost).
 * By default the cache is an infinite server: lookups do not queue. With
 * `workers = N` at most N lookups run at once and the others wait in FIFO
 * order (a Redis node is one worker); with `queue = Q` a lookup that finds
 * Q waiting is rejected (REQ_REJECTED, cause queue full, counted in
 * lookup_rejected). Only the lookup holds a worker: a miss's store read and
 * a write's trip to the store do not. The lookup workers and queue and the
 * node's fault state are a station (models/kinds/station.h). Then:
 *
 * - a read is looked up in the eviction policy, which counts every lookup as
 *   one access (so the policy sees exactly the request stream, as in the
 *   independent reference model). A hit on valid, unexpired data is answered
 *   with the version the entry holds, and the store's observer is told that
 *   version: a stale hit is counted there. A miss reads the store and fills
 *   the cache with the version it got (at once for read_through, one network
 *   hop later for cache_aside, whose application sets the cache itself);
 *   with `coalesce = true` concurrent misses on a key wait for the one read
 *   in flight (single flight) and are answered, and observed, when it
 *   returns. With `early_refresh = xfetch(beta=B)` a hit whose entry expires
 *   at T is treated as a miss when now - delta * B * ln(U) >= T, delta being
 *   the duration of the store read that filled it and U uniform in (0, 1]
 *   (Vattani, Chierichetti and Lowenstein, "Optimal Probabilistic Cache
 *   Stampede Prevention", VLDB 2015).
 * - a write is handed to the strategy (models/kinds/cache_strategy.c). A
 *   conditional write (OP_CAS) always goes to the store, and a committed one
 *   drops the entry.
 *
 * Invalidation: TTL (lazy: checked at lookup; uniform jitter of +-ttl_jitter),
 * the strategy's own action on write, and `invalidation = events(loss=P)`:
 * every commit at the store sends the cache a message that arrives after
 * `event_delay` unless lost, and drops the entry if it holds an older
 * version. A cache that is down (fault `crash`) is skipped: requests go
 * straight to the store. The crash empties the cache, loses the write-behind
 * writes not yet flushed (counted as lost writes by the observer) and sends
 * the requests waiting at the cache on to the store.
 *
 * Capacity in bytes: `capacity = 64MB` with `object_size = <dist>`. Each key's
 * size is drawn once from object_size by an rng seeded with a hash of (the
 * run's seed, the cache's name, the key), so it is a pure function of them
 * and is drawn again, identically, whenever needed (no table of sizes). The
 * eviction policy works in bytes (see models/evict/evict.h); an object larger than
 * the whole capacity is never cached (counted in too_big). The policy's
 * nodes are allocated for capacity / q objects, q the 0.1% quantile of
 * object_size (at least 1 byte); see docs/decisions.md.
 *
 * Cost: O(1) expected per request (the eviction policy's cost plus keymap
 * lookups). Memory: the policy's O(capacity), plus one entry (40 bytes and
 * a map slot pair) per distinct key ever seen. */
#include "models/kinds/cache_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kinds/store.h"
#include "models/napkin.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

static const struct param_spec params[] = {
    {"to", "component", NULL, "the store behind the cache"},
    {"capacity", "int|size", "1000",
     "objects the cache holds (a count: 1000), or bytes with a unit (64MB, 512KiB; "
     "units B, kB, MB, GB, TB, KiB, MiB, GiB, TiB), which needs object_size"},
    {"object_size", "dist", "",
     "with a byte capacity: each key's object size, e.g. lognormal(median=4KB, sigma=1) or "
     "pareto(scale=1KB, alpha=1.2); a key's size is fixed for the run (at least 1 byte)"},
    {"eviction", "policy", "lru",
     "which object a full cache drops, e.g. lru, s3fifo(small=0.1) (see `sdsim list eviction`)"},
    {"strategy", "policy", "cache_aside",
     "what writes do, e.g. write_behind(batch=100, flush=1s) (see `sdsim list strategy`)"},
    {"hit_time", "dist", "const(0)", "the cache's own lookup time, e.g. const(200us)"},
    {"workers", "int|unbounded", "unbounded",
     "lookups served at once (a Redis node: 1); the others wait in a FIFO queue"},
    {"queue", "int|unbounded", "unbounded",
     "lookups waiting for a worker at most; one more is rejected"},
    {"ttl", "duration|none", "none", "entries expire this long after they are filled"},
    {"ttl_jitter", "fraction", "0", "each TTL is drawn uniformly in ttl * [1 - j, 1 + j]"},
    {"invalidation", "events", "none",
     "events(loss=1%): each commit at the store invalidates the entry after event_delay, "
     "unless the message is lost; or none"},
    {"event_delay", "dist", "const(0)", "delay of an invalidation event, e.g. exp(mean=50ms)"},
    {"coalesce", "bool", "false", "concurrent misses on one key wait for one store read"},
    {"early_refresh", "policy", "none",
     "xfetch(beta=1): refresh an entry early with a probability that grows near its expiry"},
    {"latency", "dist", "", "one-way network delay of each message the cache sends"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec events_params[] = {
    {"loss", "fraction", "0", "probability that an invalidation message is lost"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec xfetch_params[] = {
    {"beta", "number", "1", "eagerness: > 1 refreshes earlier, < 1 later"},
    {NULL, NULL, NULL, NULL},
};

static struct cache *as_cache(struct component *c)
{
    return (struct cache *)c;
}

/* ---- rings ------------------------------------------------------------- */

static void ring_grow(struct cache_ring *q, bool keys)
{
    size_t ncap = q->cap ? 2 * q->cap : 16;
    if (keys)
        q->key = xring_grow(q->key, sizeof *q->key, q->cap, q->head, q->len, ncap);
    else
        q->req = xring_grow(q->req, sizeof *q->req, q->cap, q->head, q->len, ncap);
    q->cap = ncap;
    q->head = 0;
}

void cache_ring_push_req(struct cache_ring *q, struct request *r)
{
    if (q->len == q->cap)
        ring_grow(q, false);
    q->req[(q->head + q->len++) % q->cap] = r;
}

struct request *cache_ring_pop_req(struct cache_ring *q)
{
    struct request *r = q->req[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return r;
}

void cache_ring_push_key(struct cache_ring *q, uint64_t key)
{
    if (q->len == q->cap)
        ring_grow(q, true);
    q->key[(q->head + q->len++) % q->cap] = key;
}

uint64_t cache_ring_pop_key(struct cache_ring *q)
{
    uint64_t k = q->key[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return k;
}

/* ---- entries ------------------------------------------------------------- */

struct cache_entry *cache_entry_of(struct cache *c, uint64_t key)
{
    uint64_t i = keymap_get(&c->index, key);
    if (i == KEYMAP_NONE) {
        i = c->nentries;
        xgrow(&c->entries, &c->entries_cap, c->nentries + 1, sizeof *c->entries);
        c->entries[c->nentries++] = (struct cache_entry){0, INT64_MAX, 0, 0, 0, false};
        keymap_put(&c->index, key, i);
    }
    return &c->entries[i];
}

static int64_t ttl_draw(struct cache *c)
{
    if (c->ttl_ns == 0)
        return INT64_MAX;
    double t = (double)c->ttl_ns;
    if (c->ttl_jitter > 0)
        t *= 1.0 + c->ttl_jitter * (2.0 * rng_uniform(&c->rng) - 1.0);
    return units_ns_from_double(t);
}

/* ---- capacity in bytes ----------------------------------------------------- */

/* Key's object size: object_size sampled with an rng seeded from (size_seed,
 * key), rounded, at least 1 byte (sizes beyond 4 GiB count as 4 GiB). */
static uint32_t object_size_of(const struct cache *c, uint64_t key)
{
    struct rng r;
    rng_seed(&r, rng_mix64(c->size_seed ^ rng_mix64(key)));
    double x = floor(dist_sample(&c->object_size, &r) + 0.5);
    return x < 1.0 ? 1 : x >= 4294967295.0 ? UINT32_MAX : (uint32_t)x;
}

bool cache_policy_access(struct cache *c, uint64_t key, uint32_t *size)
{
    if (!c->bytes_mode) {
        *size = 1;
        return c->pol->access(c->ev, key);
    }
    *size = object_size_of(c, key);
    c->bytes_requested += *size;
    if (*size > c->capacity_bytes)
        c->too_big++;
    return c->pol->access_sized(c->ev, key, *size);
}

/* Puts key in after a fill, in the policy's own way. */
static void policy_fill(struct cache *c, uint64_t key)
{
    if (c->pol->contains(c->ev, key))
        return;
    if (!c->bytes_mode) {
        (c->pol->insert ? c->pol->insert : c->pol->access)(c->ev, key);
        return;
    }
    uint32_t size = object_size_of(c, key);
    (c->pol->insert_sized ? c->pol->insert_sized : c->pol->access_sized)(c->ev, key, size);
}

/* A new, empty eviction state (at build and after a crash). */
static void *policy_create(struct cache *c)
{
    const double *values = c->pol_has_values ? c->pol_values : NULL;
    uint64_t seed = rng_next(&c->rng);
    if (c->bytes_mode)
        return c->pol->create_bytes(c->capacity_bytes, c->capacity, seed, values);
    return c->pol->create(c->capacity, seed, values);
}

void cache_fill(struct sim *sim, struct cache *c, uint64_t key, uint64_t version,
                int64_t delta_ns)
{
    policy_fill(c, key);
    struct cache_entry *e = cache_entry_of(c, key);
    int64_t ttl = ttl_draw(c);
    e->valid = true;
    e->version = version;
    e->delta_ns = delta_ns;
    e->epoch = c->epoch;
    e->expires_ns = ttl == INT64_MAX ? INT64_MAX : sim_now(sim) + ttl;
}

void cache_invalidate(struct cache *c, uint64_t key)
{
    c->pol->remove(c->ev, key);
    uint64_t i = keymap_get(&c->index, key);
    if (i != KEYMAP_NONE)
        c->entries[i].valid = false;
}

/* The entry of key if the cache holds data for it now, else NULL. */
static struct cache_entry *held(struct cache *c, uint64_t key)
{
    uint64_t i = keymap_get(&c->index, key);
    if (i == KEYMAP_NONE || !c->entries[i].valid || c->entries[i].epoch != c->epoch ||
        !c->pol->contains(c->ev, key))
        return NULL;
    return &c->entries[i];
}

/* ---- messages to the cache (invalidation events, cache-aside sets) ------ */

static uint32_t msg_new(struct cache *c, uint64_t key, uint64_t version, int64_t delta_ns,
                        bool fill)
{
    uint32_t i = c->msg_free;
    if (i != UINT32_MAX) {
        c->msg_free = c->msgs[i].next_free;
    } else {
        i = (uint32_t)c->nmsgs;
        xgrow(&c->msgs, &c->msgs_cap, c->nmsgs + 1, sizeof *c->msgs);
        c->nmsgs++;
    }
    c->msgs[i] = (struct cache_msg){key, version, delta_ns, fill, UINT32_MAX};
    return i;
}

static void msg_arrives(struct sim *sim, void *a, void *b)
{
    struct cache *c = a;
    uint32_t i = (uint32_t)(uintptr_t)b;
    struct cache_msg m = c->msgs[i];
    c->msgs[i].next_free = c->msg_free;
    c->msg_free = i;
    if (!c->stn.nf.up)
        return;
    struct cache_entry *e = held(c, m.key);
    if (m.fill) {
        if (!(e && e->version == OBSERVER_PENDING))
            cache_fill(sim, c, m.key, m.version, m.delta_ns);
    } else if (e && e->version != OBSERVER_PENDING && e->version < m.version) {
        cache_invalidate(c, m.key);
    }
}

/* The store committed a write: the invalidation event leaves now. */
static void on_commit(struct sim *sim, void *arg, uint64_t key, uint64_t version)
{
    struct cache *c = arg;
    if (c->ev_loss > 0 && rng_uniform(&c->rng) < c->ev_loss) {
        c->events_lost++;
        return;
    }
    int64_t t = dist_sample_ns(&c->ev_delay, &c->rng);
    uint32_t i = msg_new(c, key, version, 0, false);
    sim_after(sim, t < 0 ? 0 : t, msg_arrives, c, (void *)(uintptr_t)i);
}

/* ---- the request path ---------------------------------------------------- */

void cache_forward(struct sim *sim, struct cache *c, struct request *r, enum cache_step step)
{
    sim_top(r)->step = step;
    sim_send(sim, &c->base, r, c->store);
}

void cache_finish(struct sim *sim, struct cache *c, struct request *r)
{
    struct frame *f = sim_top(r);
    struct comp_stats *st = &c->base.st;
    sim_level_add(sim, &st->insys, -1);
    hist_add(st->resp, sim_now(sim) - f->arrive_ns);
    if (r->status == REQ_OK)
        st->completed++;
    else if (r->status == REQ_REJECTED)
        st->rejected++;
    else
        st->errors++;
    sim_reply(sim, r);
}

static void miss(struct sim *sim, struct cache *c, struct request *r)
{
    struct frame *f = sim_top(r);
    if (c->coalesce) { /* single flight (models/kinds/flight.h) */
        uint32_t i = flight_find(&c->flight, r->key);
        if (i != FLIGHT_NONE) {
            flight_wait(&c->flight, i, r);
            c->coalesced++;
            return;
        }
        f->slot = flight_begin(&c->flight, r->key, r);
    }
    f->start_ns = sim_now(sim);
    cache_forward(sim, c, r, CACHE_FETCH);
}

/* XFetch: true when this hit should refresh the entry early. */
static bool refresh_early(struct sim *sim, struct cache *c, const struct cache_entry *e)
{
    if (c->xfetch_beta <= 0 || e->expires_ns == INT64_MAX)
        return false;
    double gap = -(double)e->delta_ns * c->xfetch_beta * log(rng_uniform_pos(&c->rng));
    return (double)sim_now(sim) + gap >= (double)e->expires_ns;
}

static void read_key(struct sim *sim, struct cache *c, struct request *r)
{
    uint32_t size;
    bool present = cache_policy_access(c, r->key, &size);
    struct cache_entry *e = cache_entry_of(c, r->key);
    if (!present)
        e->valid = false; /* just inserted: no data until its fill */
    bool usable = present && e->valid && e->epoch == c->epoch && sim_now(sim) < e->expires_ns;
    if (usable && refresh_early(sim, c, e)) {
        usable = false;
        c->early_refreshes++;
    }
    if (!usable) {
        c->misses++;
        miss(sim, c, r);
        return;
    }
    c->hits++;
    c->bytes_hit += size;
    r->version = e->version;
    observer_read(c->obs, r->key, e->version);
    cache_finish(sim, c, r);
}

static bool lookup_fails(struct cache *c, const struct request *r)
{
    if (c->stn.nf.error_ratio <= 0)
        return false;
    struct rng wr;
    sim_work_rng(r, &c->base, 1, &wr);
    return nodefault_fails(&c->stn.nf, &wr);
}

static void dispatch(struct sim *sim, struct cache *c, struct request *r)
{
    if (!c->stn.nf.up) {
        cache_forward(sim, c, r, CACHE_BYPASS);
    } else if (lookup_fails(c, r)) {
        r->status = REQ_ERROR;
        cache_finish(sim, c, r);
    } else if (r->op == OP_READ) {
        read_key(sim, c, r);
    } else if (r->op == OP_CAS) {
        cache_forward(sim, c, r, CACHE_WRITE);
    } else {
        c->strat->write(sim, c, r);
    }
}

/* ---- the lookup queue: the node's station ----------------------------------
 * A lookup takes a worker for its lookup time (hit_time, scaled by a slow
 * fault, latency(add=) included); only then is it dispatched. With bounded
 * workers a lookup always ends at an event, so a queue of zero-time
 * lookups does not recurse; unbounded, a zero lookup time dispatches at
 * once. A crash sends the waiting lookups to the store, as every request at
 * a down cache goes; those holding a worker finish their lookup time and
 * then find the cache down (dispatch). */

/* r's lookup is over: its worker takes the oldest waiting lookup, then r
 * goes on. */
static void looked_up(struct sim *sim, struct station *stn, struct request *r)
{
    struct cache *c = stn->owner;
    if (stn->workers > 0)
        tally_add(&c->base.st.local, sim_now(sim) - sim_top(r)->arrive_ns);
    station_release(sim, stn, r);
    /* every lookup waiting or holding a worker is in the cache */
    SIM_CHECK(c->base.st.insys.value >= c->base.st.busy.value + c->base.st.queued.value);
    dispatch(sim, c, r);
}

static void lookup_dropped(struct sim *sim, struct station *stn, struct request *r,
                           enum station_drop why)
{
    (void)why; /* only a crash: the lookup queue has no shed policy */
    cache_forward(sim, stn->owner, r, CACHE_BYPASS);
}

static const struct station_ops lookup_station = {
    .served = looked_up,
    .dropped = lookup_dropped,
};

/* No worker and no waiting place: refused at once, as a full store is. */
static void lookup_refuse(struct sim *sim, struct cache *c, struct request *r)
{
    sim_level_add(sim, &c->base.st.insys, -1);
    c->base.st.rejected++;
    c->lookup_rejected++;
    r->status = REQ_REJECTED;
    r->cause = CAUSE_QUEUE_FULL;
    sim_reply(sim, r);
}

static void on_request(struct sim *sim, struct component *comp, struct request *r)
{
    struct cache *c = as_cache(comp);
    struct frame *f = sim_enter(r, comp);
    f->arrive_ns = sim_now(sim);
    f->step = CACHE_LOOKUP;
    comp->st.arrivals++;
    sim_level_add(sim, &comp->st.insys, 1);
    r->target = -1;
    switch (station_offer(sim, &c->stn, r)) {
    case STATION_STARTED:
    case STATION_QUEUED:
        break;
    case STATION_DOWN:
        cache_forward(sim, c, r, CACHE_BYPASS);
        break;
    default: /* full (no admission hook, no shed policy) */
        lookup_refuse(sim, c, r);
        break;
    }
}

/* workers, queue = N | unbounded. */
static int read_lookup_queue(struct cache *c, const struct sc_section *s, struct diag *d)
{
    int rc = 0;
    struct loc loc;
    long long v;
    uint32_t workers = 0;
    long long queue_cap = -1;
    const char *w = kp_raw(s, params, "workers", &loc);
    if (strcmp(w, "unbounded") == 0 || strcmp(w, "inf") == 0)
        workers = 0;
    else if (strspn(w, "0123456789") != strlen(w))
        rc = diag_error(d, loc, "bad workers '%s': a number of lookups at once, or 'unbounded'",
                        w);
    else if (kp_int(s, params, "workers", 1, 10000000, &v, d) < 0)
        rc = -1;
    else
        workers = (uint32_t)v;
    const char *q = kp_raw(s, params, "queue", &loc);
    if (strcmp(q, "unbounded") == 0 || strcmp(q, "inf") == 0)
        queue_cap = -1;
    else if (strspn(q, "0123456789") != strlen(q))
        rc = diag_error(d, loc, "bad queue '%s': a number of waiting lookups, or 'unbounded'", q);
    else if (kp_int(s, params, "queue", 0, 1000000000, &queue_cap, d) < 0)
        rc = -1;
    else if (workers == 0)
        rc = diag_error(d, loc, "queue = %s needs a bounded 'workers': with unbounded workers "
                                "no lookup waits", q);
    /* The station keeps its node state (up, slow, ...) from build's
     * nodefault_init; latency(add=) holds a lookup's worker; a crash lets
     * lookups in progress finish. */
    struct nodefault nf = c->stn.nf;
    station_init(&c->stn, &lookup_station, c, &c->base, 0, workers, queue_cap,
                 STATION_LATENCY_HOLDS | STATION_CRASH_KEEPS_SERVICE);
    c->stn.nf = nf;
    c->stn.dist = &c->hit_time; /* hit_time is read before the lookup queue */
    if (workers > 0) {
        c->stn.busy_lv[0] = &c->base.st.busy;
        c->stn.queue_lv[0] = &c->base.st.queued;
        c->stn.wait = c->base.st.wait;
        c->base.st.servers = (double)workers;
        c->base.st.capacity.value = workers;
    }
    return rc;
}

/* The store answered a read miss: fill, answer the waiters, then r. */
static void fetched(struct sim *sim, struct cache *c, struct request *r)
{
    struct frame *f = sim_top(r);
    bool ok = r->status == REQ_OK;
    int64_t delta = sim_now(sim) - f->start_ns;
    struct cache_entry *e = c->stn.nf.up ? held(c, r->key) : NULL;
    bool newer_held = e && e->version == OBSERVER_PENDING;
    if (ok && c->stn.nf.up && !newer_held) {
        if (c->strat->fill_after_reply && c->base.has_latency) {
            int64_t hop = dist_sample_ns(&c->base.latency, &c->base.net_rng);
            uint32_t i = msg_new(c, r->key, r->version, delta, true);
            sim_after(sim, hop < 0 ? 0 : hop, msg_arrives, c, (void *)(uintptr_t)i);
        } else {
            cache_fill(sim, c, r->key, r->version, delta);
        }
    }
    if (c->coalesce && flight_led_by(&c->flight, f->slot, r)) {
        size_t n;
        struct request **w = flight_end(&c->flight, f->slot, &n);
        for (size_t i = 0; i < n; i++) {
            w[i]->status = r->status;
            w[i]->version = r->version;
            if (ok)
                observer_read(c->obs, w[i]->key, r->version);
            cache_finish(sim, c, w[i]);
        }
        free(w);
    }
    cache_finish(sim, c, r);
}

static void on_reply(struct sim *sim, struct component *comp, struct request *r)
{
    struct cache *c = as_cache(comp);
    struct frame *f = sim_top(r);
    switch ((enum cache_step)f->step) {
    case CACHE_FETCH:
        fetched(sim, c, r);
        return;
    case CACHE_WRITE:
        if (r->op == OP_CAS) {
            if (r->status == REQ_OK && c->stn.nf.up)
                cache_invalidate(c, r->key);
        } else if (c->stn.nf.up) {
            c->strat->written(sim, c, r);
        }
        cache_finish(sim, c, r);
        return;
    case CACHE_FLUSH:
        cache_wb_flushed(sim, c, r);
        return;
    case CACHE_LOOKUP:
    case CACHE_BYPASS:
        break;
    }
    cache_finish(sim, c, r);
}

/* ---- faults -------------------------------------------------------------- */

/* The node dies: its memory is gone (a new, empty eviction state), and the
 * write-behind queue with it; whoever waits at the cache goes to the store. */
static void crash(struct sim *sim, struct cache *c)
{
    c->stn.nf.up = false;
    c->epoch++;
    cache_wb_crash(sim, c);
    c->pol->destroy(c->ev);
    c->ev = policy_create(c);
    for (uint32_t i = 0; i < flight_slots(&c->flight); i++) {
        if (!flight_in_flight(&c->flight, i))
            continue;
        size_t n;
        struct request **w = flight_end(&c->flight, i, &n);
        for (size_t k = 0; k < n; k++)
            cache_forward(sim, c, w[k], CACHE_BYPASS);
        free(w);
    }
    station_crash(sim, &c->stn); /* the waiting lookups go to the store */
}

static void fault(struct sim *sim, struct component *comp, int32_t replica,
                  enum fault_action a, double value, bool start)
{
    struct cache *c = as_cache(comp);
    if (replica > 0)
        return;
    if (nodefault_apply(&c->stn.nf, a, value, start) == NODEFAULT_CRASHED)
        crash(sim, c);
    comp->st.replicas_up = c->stn.nf.up;
}

/* ---- results --------------------------------------------------------------- */

static void reset(struct sim *sim, struct component *comp)
{
    (void)sim;
    struct cache *c = as_cache(comp);
    c->hits = c->misses = c->coalesced = c->early_refreshes = 0;
    c->dropped = c->rejected = c->events_lost = 0;
    c->lookup_rejected = 0;
    c->bytes_hit = c->bytes_requested = c->too_big = 0;
}

static size_t metrics(const struct sim *sim, const struct component *comp, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    (void)end_ns;
    const struct cache *c = (const struct cache *)comp;
    double lookups = (double)(c->hits + c->misses);
    const struct metric_out m[] = {
        {"hit_ratio", lookups > 0 ? (double)c->hits / lookups : 0.0, true},
        {"hits", (double)c->hits, true},
        {"misses", (double)c->misses, true},
        {"coalesced", (double)c->coalesced, true},
        {"early_refreshes", (double)c->early_refreshes, true},
        {"wb_dropped", (double)c->dropped, true},
        {"wb_rejected", (double)c->rejected, true},
        {"wb_unflushed", (double)(c->wb.len + c->wb_inflight), true},
        {"events_lost", (double)c->events_lost, true},
        /* byte mode only, so object-mode results keep their columns */
        {"byte_hit_ratio",
         c->bytes_requested > 0 ? (double)c->bytes_hit / (double)c->bytes_requested : 0.0, true},
        {"bytes_cached", (double)c->pol->bytes(c->ev), true},
        {"too_big", (double)c->too_big, true},
    };
    size_t n = sizeof m / sizeof m[0] - (c->bytes_mode ? 0 : 3);
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    if (c->stn.workers > 0 && n < max) /* only with a lookup queue: other runs.csv stay as they were */
        out[n++] = (struct metric_out){"lookup_rejected", (double)c->lookup_rejected, true};
    return n;
}

static size_t ts_extra(const struct sim *sim, const struct component *comp, const char **names,
                       double *values, size_t max)
{
    (void)sim;
    const struct cache *c = (const struct cache *)comp;
    if (max < 2)
        return 0;
    names[0] = "objects";
    values[0] = (double)c->pol->size(c->ev);
    names[1] = "wb_queue";
    values[1] = (double)(c->wb.len + c->wb_inflight);
    return 2;
}

/* ---- building -------------------------------------------------------------- */

/* Reads a policy's numeric arguments into values[] in params order. */
static int read_numbers(const struct spec *sp, const struct param_spec *ps, double *values,
                        size_t max, struct diag *d)
{
    int rc = 0;
    for (size_t i = 0; ps[i].name && i < max; i++) {
        struct loc vl;
        const char *v = spec_value(sp, ps, ps[i].name, &vl);
        const char *why;
        bool frac = strcmp(ps[i].type, "fraction") == 0;
        int bad = frac ? units_parse_fraction(v, &values[i], &why)
                       : units_parse_double(v, &values[i], &why);
        if (bad < 0)
            rc = diag_error(d, vl, "bad %s '%s': %s", ps[i].name, v, why);
    }
    return rc;
}

static int read_eviction(struct cache *c, const struct sc_section *s, struct diag *d)
{
    struct loc loc;
    const char *text = kp_raw(s, params, "eviction", &loc);
    struct spec sp;
    const struct policy_head *h = policy_setup(&evict_family, text, loc, &sp, d);
    if (!h)
        return -1;
    c->pol = evict_of(h);
    c->pol_has_values = sp.nargs > 0;
    return read_numbers(&sp, c->pol->head.params, c->pol_values, 8, d);
}

static int read_strategy(struct cache *c, const struct sc_section *s, struct diag *d)
{
    struct loc loc;
    const char *text = kp_raw(s, params, "strategy", &loc);
    struct spec sp;
    const struct policy_head *h = policy_setup(&cache_strategy_family, text, loc, &sp, d);
    if (!h)
        return -1;
    c->strat = (const struct cache_strategy *)h;
    return c->strat->setup ? c->strat->setup(c, &sp, d) : 0;
}

/* invalidation = none | events(loss=P); early_refresh = none | xfetch(beta=B) */
static int read_option(const struct sc_section *s, const char *key, const char *name,
                       const struct param_spec *ps, double *value, bool *on, struct diag *d)
{
    struct loc loc;
    const char *text = kp_raw(s, params, key, &loc);
    *on = false;
    if (strcmp(text, "none") == 0)
        return 0;
    struct spec sp;
    if (spec_parse(&sp, text, loc, d) < 0)
        return -1;
    if (strcmp(sp.name, name) != 0)
        return diag_error(d, sp.loc, "unknown %s '%s' (known: %s, none)", key, sp.name, name);
    char what[64];
    snprintf(what, sizeof what, "%s '%s'", key, name);
    if (spec_check(&sp, ps, what, d) < 0 || read_numbers(&sp, ps, value, 1, d) < 0)
        return -1;
    *on = true;
    return 0;
}

static int read_ttl(struct cache *c, const struct sc_section *s, struct diag *d)
{
    const char *t = kp_raw(s, params, "ttl", NULL);
    c->ttl_ns = 0;
    if (strcmp(t, "none") != 0 && kp_duration(s, params, "ttl", &c->ttl_ns, d) < 0)
        return -1;
    if (kp_fraction(s, params, "ttl_jitter", &c->ttl_jitter, d) < 0)
        return -1;
    return 0;
}

static int read_store(struct sim *sim, struct cache *c, const struct sc_section *s,
                      struct diag *d)
{
    if (kind_read_callees(sim, &c->base, s, "to", true, d) < 0)
        return -1;
    if (c->base.ncallees != 1)
        return diag_error(d, c->base.callee_locs[1], "a cache is in front of one store");
    c->store = c->base.callees[0];
    if (!store_is(c->store))
        return diag_error(d, c->base.callee_locs[0], "'%s' is a %s; a cache needs a [store]",
                          c->store->name, c->store->kind->name);
    c->obs = store_observer(c->store);
    return 0;
}

/* Most objects a cache may hold (node arrays are sized for them). */
#define CACHE_MAX_OBJECTS ((long long)EVICT_MAX_CAPACITY / 4)

/* The smallest x with P(size <= x) >= p, by bisection on the CDF. */
static double size_quantile(const struct dist *dist, double p)
{
    double lo = 0.0, hi = 1.0;
    while (dist_cdf(dist, hi) < p && hi < 0x1p62)
        hi *= 2.0;
    for (int i = 0; i < 200 && hi - lo > 0.25; i++) {
        double mid = 0.5 * (lo + hi);
        if (dist_cdf(dist, mid) >= p)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* capacity = <count> | <bytes with a unit>; object_size only with bytes. */
static int read_capacity(struct sim *sim, struct cache *c, const struct sc_section *s,
                         struct diag *d)
{
    struct loc cap_loc, size_loc;
    const char *text = kp_raw(s, params, "capacity", &cap_loc);
    const char *size_text = kp_raw(s, params, "object_size", &size_loc);
    c->capacity = 1;
    size_t len = text ? strlen(text) : 0;
    while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    bool unit = len > 0 && ((text[len - 1] >= 'a' && text[len - 1] <= 'z') ||
                            (text[len - 1] >= 'A' && text[len - 1] <= 'Z'));
    if (!unit) { /* a count of objects */
        long long cap;
        if (kp_int(s, params, "capacity", 1, CACHE_MAX_OBJECTS, &cap, d) < 0)
            return -1;
        c->capacity = (size_t)cap;
        if (size_text)
            return diag_error(d, size_loc,
                              "object_size needs a capacity in bytes (e.g. capacity = 64MB); "
                              "capacity = %s counts objects",
                              text);
        return 0;
    }
    const char *why;
    if (units_parse_bytes(text, &c->capacity_bytes, &why) < 0)
        return diag_error(d, cap_loc, "bad capacity '%s': %s", text, why);
    if (c->capacity_bytes == 0)
        return diag_error(d, cap_loc, "capacity must be at least 1 byte");
    if (!size_text)
        return diag_error(d, cap_loc,
                          "a capacity in bytes needs object_size (e.g. object_size = "
                          "lognormal(median=4KB, sigma=1))");
    bool present;
    if (kp_dist(s, params, "object_size", DIST_BYTES, &c->object_size, &present, d) < 0)
        return -1;
    c->bytes_mode = true;
    /* Nodes for capacity / q objects, q the 0.1% quantile of the sizes (at
     * least 1 byte): holding more would need the cached objects to average
     * below it. If it ever binds, the policy evicts by count. */
    double q = floor(size_quantile(&c->object_size, 1e-3));
    q = q < 1.0 ? 1.0 : q;
    double n = ceil((double)c->capacity_bytes / q);
    if (n > (double)CACHE_MAX_OBJECTS)
        return diag_error(d, cap_loc,
                          "capacity %s may hold up to %.0f objects of %.0f bytes (the 0.1%% "
                          "quantile of object_size); at most %lld are supported",
                          text, n, q, CACHE_MAX_OBJECTS);
    c->capacity = (size_t)n;
    struct rng sr;
    rng_stream(&sr, sim->seed, c->base.name, "object_size");
    c->size_seed = rng_next(&sr);
    return 0;
}

static int build(struct sim *sim, struct component *comp, const struct sc_section *s,
                 struct diag *d)
{
    struct cache *c = as_cache(comp);
    nodefault_init(&c->stn.nf);
    c->msg_free = UINT32_MAX;
    flight_init(&c->flight);
    keymap_init(&c->index);
    keymap_init(&c->wb_pending);
    rng_stream(&c->rng, sim->seed, comp->name, "cache");
    rng_stream(&c->flush_rng, sim->seed, comp->name, "flush");
    sim_stats_init(sim, &comp->st, true);
    comp->st.replicas_up = 1;
    int rc = read_store(sim, c, s, d);
    if (read_capacity(sim, c, s, d) < 0)
        rc = -1;
    if (read_eviction(c, s, d) < 0)
        rc = -1;
    if (read_strategy(c, s, d) < 0)
        rc = -1;
    if (read_ttl(c, s, d) < 0)
        rc = -1;
    bool present;
    if (kp_dist(s, params, "hit_time", DIST_DURATION, &c->hit_time, &present, d) < 0)
        rc = -1;
    if (kp_dist(s, params, "event_delay", DIST_DURATION, &c->ev_delay, &present, d) < 0)
        rc = -1;
    if (read_option(s, "invalidation", "events", events_params, &c->ev_loss, &c->events, d) < 0)
        rc = -1;
    bool xf;
    if (read_option(s, "early_refresh", "xfetch", xfetch_params, &c->xfetch_beta, &xf, d) < 0)
        rc = -1;
    if (!xf)
        c->xfetch_beta = 0;
    else if (!(c->xfetch_beta > 0))
        rc = diag_error(d, s->loc, "xfetch needs beta > 0");
    if (kp_bool(s, params, "coalesce", &c->coalesce, d) < 0)
        rc = -1;
    if (read_lookup_queue(c, s, d) < 0)
        rc = -1;
    if (rc < 0)
        return -1;
    c->ev = policy_create(c);
    if (!c->ev)
        return diag_error(d, s->loc, "eviction policy '%s' refused capacity %zu or its arguments",
                          c->pol->head.name, c->capacity);
    if (c->events)
        store_listen(c->store, on_commit, c);
    return 0;
}

static void start(struct sim *sim, struct component *comp)
{
    cache_wb_start(sim, as_cache(comp));
}

static void fini(struct component *comp)
{
    struct cache *c = as_cache(comp);
    if (c->pol && c->ev)
        c->pol->destroy(c->ev);
    keymap_fini(&c->index);
    keymap_fini(&c->wb_pending);
    free(c->entries);
    free(c->wb.key);
    free(c->blocked.req);
    station_fini(&c->stn);
    cache_wb_fini(c);
    free(c->msgs);
    flight_fini(&c->flight);
    dist_fini(&c->hit_time);
    dist_fini(&c->ev_delay);
    dist_fini(&c->object_size);
}

/* Napkin math (models/napkin.h). Reads that miss go to the store: the hit
 * ratio is napkin_hit_ratio's (LRU, FIFO or RANDOM, object capacity, Zipf
 * or uniform keys) when nothing else changes it: no TTL (nor early
 * refresh), no coalescing, and no writes, or writes that keep the entry
 * (write_through, cache_aside(on_write=update)). Writes go to the store
 * one for one, except write-behind's batches (unknown). A lookup holds a
 * worker for hit_time: the capacity. */
static void napkin_visits(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out)
{
    (void)callee;
    const struct cache *ch = (const struct cache *)c;
    bool keeps = ch->strat == &cache_write_through ||
                 (ch->strat == &cache_aside && ch->on_write_update);
    double h = (double)NAN;
    if (!ch->bytes_mode && ch->ttl_ns == 0 && !ch->coalesce && (in->writes == 0 || keeps))
        h = napkin_hit_ratio(ch->pol->head.name, (double)ch->capacity, in->keys);
    out->reads = in->reads == 0 ? 0 : in->reads * (1 - h);
    out->writes = ch->strat == &cache_write_behind && in->writes != 0 ? (double)NAN : in->writes;
    out->keys = in->keys;
}

/* Theory (models/theorycheck.h): under independent references the hit
 * ratio of LRU (Che), FIFO and RANDOM (Martina) is a function of the keys'
 * popularity and the capacity in objects, when nothing but the key
 * sequence moves entries: no TTL or early refresh, no coalescing (a miss
 * waiting on another is neither hit nor miss), every lookup served. */
static bool theory_cache(const struct component *c, const char **policy, double *capacity,
                         const char **why)
{
    const struct cache *ch = (const struct cache *)c;
    const char *name = ch->pol->head.name;
    if (strcmp(name, "lru") != 0 && strcmp(name, "fifo") != 0 && strcmp(name, "random") != 0)
        *why = "an eviction policy other than lru, fifo or random";
    else if (ch->bytes_mode)
        *why = "a cache sized in bytes (objects of different sizes)";
    else if (ch->ttl_ns > 0 || ch->xfetch_beta > 0)
        *why = "a TTL or early refresh drops entries on time";
    else if (ch->coalesce)
        *why = "coalesced misses";
    else if (ch->stn.workers > 0 && ch->stn.queue_cap >= 0)
        *why = "a bounded lookup queue (rejected lookups)";
    else if (c->has_latency)
        *why = "a network delay (latency) delays the fills";
    else {
        *policy = name;
        *capacity = (double)ch->capacity;
        return true;
    }
    return false;
}

static void napkin_server(const struct component *c, struct napkin_server *out)
{
    const struct cache *ch = (const struct cache *)c;
    out->rps = ch->stn.workers == 0 ? (double)INFINITY
                                    : napkin_capacity(ch->stn.workers, ch->hit_time.mean);
    out->unbounded_queue = ch->stn.queue_cap < 0;
}

const struct kind kind_cache = {
    .name = "cache",
    .summary = "a keyed cache in front of a store: eviction, TTL, write strategy, "
               "invalidation, single flight",
    .params = params,
    .size = sizeof(struct cache),
    .build = build,
    .start = start,
    .on_request = on_request,
    .on_reply = on_reply,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .ts_extra = ts_extra,
    .fault = fault,
    .build_stage = 1,
    .napkin_visits = napkin_visits,
    .theory_cache = theory_cache,
    .napkin_server = napkin_server,
};
