/* sim: one simulation run. The run context (clock, event queue, components,
 * request pool, statistics cut) is passed first everywhere, as Lua passes
 * lua_State; there are no globals, so runs on several threads are
 * independent and reproducible.
 *
 * The engine is the bottom layer: models/ and output/ include it, it
 * includes neither (tests/layers.sh checks). It calls a component only
 * through struct component_ops, which the models fill in when they build
 * the component. Its jobs, one file each:
 *   sim.c        the run loop, the warm-up cut, levels, messages (send/reply)
 *   reqpool.c    the request pool (sim_req_new, sim_req_free)
 *   timeseries.c the time series (one row of figures per interval)
 *   warmup.c     the latency series a `warmup = auto` pilot records
 *   precision.c  the `precision` stop (batch means of measured latencies)
 *   hist.c, stats.c  streaming histograms and statistics they all use
 *
 * A request is born at a client and travels through components; each
 * component it enters pushes a frame on the request's stack, and a reply pops
 * the frame and travels back to the component below. Every hop can carry a
 * network latency, drawn from the sender's `latency` distribution. Requests
 * come from a pool with a free list: memory grows with the number of
 * requests in flight, never with the number served. */
#ifndef SDSIM_SIM_SIM_H
#define SDSIM_SIM_SIM_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim/attrib.h"
#include "sim/trace.h"
#include "sim/check.h" /* SIM_CHECK */
#include "sim/diag.h"
#include "sim/dist.h"
#include "sim/evq.h"
#include "sim/hist.h"
#include "sim/precision.h"
#include "sim/reqpool.h"
#include "sim/rng.h"
#include "sim/timeseries.h"
#include "sim/warmup.h"

struct hist;
struct kind;
struct sc_section;

enum req_status { REQ_OK, REQ_REJECTED, REQ_ERROR, REQ_TIMEOUT };

/* Why a request ended as it did, beyond its status (resilience policies
 * fill it in; clients count errors by it). */
enum req_cause {
    CAUSE_NONE,         /* served, or failed by the service itself */
    CAUSE_QUEUE_FULL,   /* rejected: no waiting place */
    CAUSE_BREAKER,      /* rejected: a circuit breaker is open */
    CAUSE_BULKHEAD,     /* rejected: a bulkhead's limit and queue are full */
    CAUSE_SHED,         /* rejected: load shedding (queue length, age, CoDel) */
    CAUSE_CALL_TIMEOUT, /* a call between components timed out */
    CAUSE_DROPPED,      /* dropped by a service because its caller had gone */
    CAUSE_FALLBACK,     /* REQ_OK: a fallback reply while a breaker was open */
    CAUSE_RATE_LIMITED, /* rejected by a rate limiter: its own outcome, rate_limited */
    CAUSE_UNAUTHENTICATED, /* rejected: auth failed (a refresh or a session lookup) */
    CAUSE_DENIED,       /* rejected: authorisation denied it (a 403; never retried) */
};

/* What a request does to the key it carries. A conditional write (compare
 * and set) commits only when the key's current version is still
 * request.version, the one the caller read; otherwise the store refuses it
 * (REQ_REJECTED, with request.version set to the current version), which is
 * what optimistic concurrency control retries on. */
enum req_op { OP_READ = 0, OP_WRITE = 1, OP_CAS = 2 };

/* A request nests at most REQ_MAX_DEPTH frames deep. It holds its first
 * REQ_INLINE_FRAMES frames itself (a client and the component it calls:
 * most requests) and the deeper ones in blocks of REQ_BLOCK_FRAMES from
 * the pool, taken when a call goes that deep and kept until the request is
 * freed; a frame never moves once pushed. */
#define REQ_MAX_DEPTH 16
#define REQ_INLINE_FRAMES 2
#define REQ_BLOCK_FRAMES 2

/* What a component remembers about a request it is handling. */
struct frame {
    struct component *c;
    uint32_t replica;     /* which replica serves it (service) */
    uint32_t step;        /* progress through a component's calls */
    int64_t arrive_ns;    /* when it reached this component */
    int64_t start_ns;     /* when service started */
    uint64_t timer;       /* a pending event handle (timeouts) or EVQ_NONE */
    bool holds_worker;    /* a worker of the replica is taken by this request */
    uint32_t slot;        /* index in the replica's list of requests holding a worker */
    uint32_t epoch;       /* the replica's crash count when the request arrived */
};

struct frame_block {
    struct frame f[REQ_BLOCK_FRAMES];
    struct frame_block *next; /* the next deeper block, or the pool's free list */
};

struct reqpool;

struct request {
    uint64_t id;
    uint64_t work_seed;   /* all the work this request carries derives from it */
    uint64_t key;
    int64_t born_ns;      /* first attempt left the client */
    uint32_t attempt;     /* 0 for the first */
    uint32_t user;        /* closed-loop user, or UINT32_MAX */
    int32_t target;       /* replica chosen by a balancer for the next hop, or -1 */
    uint32_t bytes;       /* a message's size in bytes (models/kinds/queue.c), 0: unsized */
    uint64_t version;     /* store version: a read's reply carries the version it
                             returns, a write's the version it made; a cas sends
                             the version it read (models/kinds/store.h) */
    uint8_t op;           /* enum req_op: OP_READ, OP_WRITE or OP_CAS */
    uint8_t status;       /* enum req_status */
    uint8_t depth;        /* frames in use */
    bool abandoned;       /* the client has given up (timed out) */
    bool measured;        /* born at or after the warm-up cut */
    uint8_t cause;        /* enum req_cause */
    bool pooled;          /* in the pool's free list (checks a request is freed once) */
    int64_t retry_after_ns; /* with CAUSE_RATE_LIMITED: wait at least this before a
                               retry (a Retry-After hint), or 0: no hint */
    /* The request this one is an attempt of (client retries, hedges) or a
     * guarded call of (models/kinds/dep.c), or NULL. Valid while !abandoned: the
     * parent outlives a child it still waits for. */
    struct request *parent;
    struct frame_block *deep; /* frames REQ_INLINE_FRAMES.. in blocks, or NULL */
    struct reqpool *pool;     /* the pool it came from (deep blocks come from it) */
    struct request *next_free;
    struct frame stack[REQ_INLINE_FRAMES]; /* use sim_frame() past these */
    /* Where its time went (sim/attrib.h), or NULL: attribution is off. Its
     * own chunk in the pool (reqpool_with_attr), so a run without it pays
     * one pointer per request; past the header every new request clears. */
    struct req_attr *attr;
};

/* A level that changes at events (queue length, busy workers): a count,
 * never negative (checked). Its time-weighted mean is area / (end - cut). */
struct level {
    int64_t value;
    double area;   /* integral of value over time since the cut, in ns */
    int64_t last_ns;
};

/* Statistics every component keeps. Counters and histograms cover the
 * measured window [cut, end); they are reset at the cut in sim_cut(). */
struct comp_stats {
    uint64_t arrivals;
    uint64_t completed;
    uint64_t rejected;
    uint64_t errors;
    struct level busy;     /* workers busy */
    struct level queued;   /* requests waiting */
    struct level insys;    /* waiting + in service (+ in calls) */
    struct hist *wait;     /* time in queue before service */
    struct tally local;    /* wait + own service, without downstream calls: only its
                              mean is reported, so a count and a sum, no buckets */
    struct hist *resp;     /* arrival to reply, calls included */
    double servers;        /* workers in total, for utilisation */
    struct level capacity; /* workers of the replicas taking traffic (autoscaling) */
    uint32_t replicas_up;  /* replicas taking traffic now (time series) */
    uint64_t arrivals_before_cut; /* arrivals before the warm-up cut (overload report) */
};

/* What the engine calls on a component. The models fill it in from the
 * component's kind when they build it (models/model.c, kind_bind), so the
 * engine knows only these calls, never a model's types. */
struct component_ops {
    void (*start)(struct sim *sim, struct component *c); /* first events; may be NULL */
    void (*on_request)(struct sim *sim, struct component *c, struct request *r);
    void (*on_reply)(struct sim *sim, struct component *c, struct request *r);
    void (*reset)(struct sim *sim, struct component *c); /* at the cut; may be NULL */
    void (*fini)(struct component *c);                   /* may be NULL */
    /* Extra time-series columns: fills names (static strings) and values,
     * returns how many (at most max). May be NULL. */
    size_t (*ts_extra)(const struct sim *sim, const struct component *c, const char **names,
                       double *values, size_t max);
    /* Requests per second it can serve now, or NAN; for the overload
     * message. May be NULL. */
    double (*capacity_rps)(const struct sim *sim, const struct component *c);
    bool is_client;  /* in the time series, only its extra columns */
    bool no_traffic; /* takes no requests: not in the time series */
};

struct component {
    const struct kind *kind;   /* the model's description; the engine never reads it */
    struct component_ops ops;  /* what the engine calls */
    const char *name;      /* borrowed from the scenario point */
    uint32_t id;           /* index in file order */
    uint64_t salt;         /* hash of the name: per-component random streams */
    struct loc loc;
    struct dist latency;   /* one-way delay of each message this component sends */
    bool has_latency;
    struct rng net_rng;
    struct component **callees;
    struct loc *callee_locs;
    size_t ncallees;
    struct comp_stats st;
};

/* Why a run stopped at the in-flight limit (sim.limits.max_in_flight), filled in
 * when it did: the figures main prints. */
struct sim_overload {
    int64_t at_ns;            /* when the limit was reached */
    size_t in_flight;         /* requests held then (sim.pool.live) */
    const struct component *busiest; /* the one with the most queued requests, or NULL */
    int64_t queued;           /* its queued requests */
    double offered_rps;       /* its arrivals per second since time 0 */
    double capacity_rps;      /* requests per second it can serve, or NAN: unknown */
};

/* The run's safety stops (sim.c): the in-flight limit and the stall guard. */
struct sim_limits {
    /* The run stops when pool.live reaches this ([sim] max_in_flight):
     * requests held, whether their client still waits or has given up and
     * they still sit in a queue. SIZE_MAX: no limit (sim_init's default). */
    size_t max_in_flight;
    bool overloaded;       /* stopped at max_in_flight; see overload */
    struct sim_overload overload;
    bool stalled;          /* stopped: stall_events events in a row at one instant */
    uint32_t stall_events; /* SIM_STALL_EVENTS (sim_init); tests lower it */
};

/* Every level of the run, so the cut and the end handle them in one place. */
struct sim_levels {
    struct level **all;
    size_t n, cap;
};

/* What the fault components register (models/kinds/fault.c): spans for the plots,
 * link faults that sim_send and sim_reply apply. */
struct sim_faults {
    struct span *spans;
    size_t nspans;
    struct link_fault **links; /* borrowed from fault components */
    size_t nlinks;
};

/* Where a run shows how far it has got, for a progress line another thread
 * draws (sim/runner.c, sim/main.c): sim_run stores its clock and event count
 * here every SIM_PROGRESS_EVENTS events and when it ends. The run only
 * writes them (relaxed atomics); nothing it computes depends on them. */
#define SIM_PROGRESS_EVENTS 4096
struct sim_progress {
    _Atomic int64_t now_ns;
    _Atomic uint64_t events;
};

struct sim {
    /* the run loop (sim.c) */
    struct evq *q;
    /* evq_now(q), copied by the run loop at every event: sim_now is one
     * load, not two (it is read several times per event) */
    int64_t now_ns;
    uint64_t seed;
    int64_t cut_ns;        /* warm-up cut: statistics start here */
    int64_t end_ns;        /* the run stops at this time (or earlier, see stop) */
    bool stop;             /* set to end the run now (precision reached, a limit) */
    bool measuring;        /* now >= cut_ns */
    uint64_t events;       /* events executed */
    struct component **comps;
    size_t ncomps;
    struct sim_levels levels;
    struct sim_limits limits;
    struct sim_faults faults;
    /* the other jobs, one module each */
    struct reqpool pool;        /* sim/reqpool.c: requests */
    struct sim_ts ts;           /* sim/timeseries.c: the time series */
    struct series *warmup;      /* sim/warmup.c: a pilot's latency series, or NULL */
    struct precision precision; /* sim/precision.c: the precision stop */
    struct sim_progress *progress; /* NULL, or where sim_run publishes its clock */
    struct sim_attr *attr;      /* sim/attrib.c: where requests' time goes, or NULL: off */
    struct sim_trace *trace;    /* sim/trace.c: spans of sampled requests, or NULL: off */
    bool msg_hooks;             /* link faults or attribution: sim_send and sim_reply look */
};

/* A named interval of simulated time (a scheduled fault). */
struct span {
    const char *name; /* borrowed from the scenario point */
    int64_t from_ns, to_ns;
};
void sim_note_span(struct sim *sim, const char *name, int64_t from_ns, int64_t to_ns);

/* A fault on the link between components a and b, both ways (owned by a
 * fault component, models/kinds/fault.c): while active, every request and reply
 * sent between them by sim_send/sim_reply is lost with probability drop,
 * and otherwise arrives add_ns later. A lost message is never delivered:
 * only a timeout of someone waiting for it ends the wait. */
struct link_fault {
    const struct component *a, *b;
    bool active;
    double drop;
    int64_t add_ns;
    struct rng rng;   /* drop draws, only while active */
    uint64_t dropped; /* messages lost since the cut */
};
/* Registers lf for the run (borrowed; it lives as long as its component). */
void sim_link_fault(struct sim *sim, struct link_fault *lf);

/* The time series (sim/timeseries.c). Starts it (call after the model is
 * built): one row every interval_ns from time 0, whole run, warm-up
 * included. */
void sim_ts_start(struct sim *sim, int64_t interval_ns);
/* Clients report births and outcomes here for the time series. Inline:
 * once each per request. */
static inline void sim_ts_born(struct sim *sim)
{
    sim->ts.acc.offered++;
}
static inline void sim_ts_outcome(struct sim *sim, enum req_status status, int64_t latency_ns)
{
    if (!sim->ts.acc.lat)
        return;
    if (status == REQ_OK) {
        sim->ts.acc.completed++;
        hist_add(sim->ts.acc.lat, latency_ns);
    } else {
        sim->ts.acc.failed++;
    }
}

/* A client reports every successful end-to-end latency here (measured or
 * not); this feeds `precision` and `warmup = auto`. Inline: once per
 * request, and usually neither is on. */
static inline void sim_observe(struct sim *sim, int64_t latency_ns, bool measured)
{
    if (sim->warmup)
        warmup_add(sim->warmup, (double)latency_ns, sim->now_ns);
    if (measured && sim->precision.bm && precision_add(&sim->precision, (double)latency_ns))
        sim->stop = true;
}

void sim_init(struct sim *sim, uint64_t seed, int64_t cut_ns, int64_t end_ns);
void sim_fini(struct sim *sim); /* frees the pool and components */

static inline int64_t sim_now(const struct sim *sim)
{
    return sim->now_ns;
}

/* Schedules fn(sim, a, b) after delay_ns >= 0. Inline, as sim_at: every
 * request schedules a few events. */
static inline uint64_t sim_after(struct sim *sim, int64_t delay_ns, evq_fn *fn, void *a, void *b)
{
    assert(delay_ns >= 0 && "negative delay");
    int64_t now = sim_now(sim);
    /* Saturates: an event at INT64_MAX is past every run's end, never reached. */
    int64_t at = delay_ns <= INT64_MAX - now ? now + delay_ns : INT64_MAX;
    return evq_push(sim->q, at, fn, a, b);
}
static inline uint64_t sim_at(struct sim *sim, int64_t at_ns, evq_fn *fn, void *a, void *b)
{
    assert(at_ns >= sim_now(sim) && "event in the past");
    return evq_push(sim->q, at_ns, fn, a, b);
}

/* Events in a row at one instant after which a run is stalled: a loop of
 * zero-time steps (zero think, service and latency) that would never let
 * the clock reach the end. Far above what any real burst schedules at one
 * instant (the largest run holds 10^7 users). */
#define SIM_STALL_EVENTS 100000000u

/* Runs events until end_ns, until a model sets stop, until the clock stands
 * still for stall_events events (then stalled is set), or until pool.live
 * reaches max_in_flight (then overloaded is set and overload filled in;
 * the event that reached it runs to its end). A run stopped before the
 * warm-up cut has empty statistics (the cut is taken at the stop). Then
 * closes every level at the end time. Returns the end time. */
int64_t sim_run(struct sim *sim);

/* The run has reached max_in_flight: it stops after this event (sets
 * limits.overloaded and the figures; reqpool.c). */
void sim_overload(struct sim *sim);

/* Zero bytes the size of a request's header (sim/reqpool.c). Copying them
 * compiles to a few vector moves; a memset of the same size compiles to rep
 * stos, whose start-up costs more than the rest of a request's birth. */
extern const unsigned char sim_req_zero_head[offsetof(struct request, stack)];

/* The one body of reqpool_take and sim_req_new. */
static inline struct request *reqpool_take_inline(struct reqpool *p)
{
    if (!p->free)
        reqpool_grow(p);
    struct request *r = p->free;
    SIM_CHECK(r->pooled && "a request in the free list is in use");
    p->free = r->next_free;
    /* Clear the header only: frames are written as they are pushed. */
    memcpy(r, sim_req_zero_head, sizeof sim_req_zero_head);
    r->pool = p;
    r->id = p->next_id++;
    r->user = UINT32_MAX;
    r->target = -1;
    p->live++;
    return r;
}

/* Requests come from the pool (sim/reqpool.c). A new request has a fresh id, no
 * frames, user UINT32_MAX and target -1; the rest of its header is zero.
 * Inline: once per request; growing the pool and the in-flight stop are out
 * of line. */
static inline struct request *sim_req_new(struct sim *sim)
{
    struct request *r = reqpool_take_inline(&sim->pool);
    if (sim->pool.live == sim->limits.max_in_flight) /* the one check per birth */
        sim_overload(sim);
    if (sim->attr)
        sim_attr_begin(sim, r);
    return r;
}
/* A new request carrying parent's work (seed, key, op, version, birth,
 * measured, user, attempt), with parent as its parent: a retry, hedge or
 * guarded call that the caller can give up on without losing the parent. */
struct request *sim_req_child(struct sim *sim, struct request *parent);
/* reqpool_put's work (sim/reqpool.h), here where struct request is whole. */
static inline void reqpool_put_inline(struct reqpool *p, struct request *r)
{
    SIM_CHECK(!r->pooled && "request freed twice");
    SIM_CHECK(p->live > 0 && "more requests freed than taken");
    r->pooled = true;
    if (r->deep)
        reqpool_put_blocks(p, r);
    r->next_free = p->free;
    p->free = r;
    p->live--;
}

/* Returns r to the pool; r must not be freed twice or used after. Inline:
 * once per request; a deep request's blocks go back out of line. */
static inline void sim_req_free(struct sim *sim, struct request *r)
{
    reqpool_put_inline(&sim->pool, r);
}

/* Frame i (0: the bottom, the client's) of r's stack, i < r->depth. */
static inline struct frame *sim_frame(struct request *r, unsigned i)
{
    if (i < REQ_INLINE_FRAMES)
        return &r->stack[i];
    struct frame_block *b = r->deep;
    for (i -= REQ_INLINE_FRAMES; i >= REQ_BLOCK_FRAMES; i -= REQ_BLOCK_FRAMES)
        b = b->next;
    return &b->f[i];
}
static inline const struct frame *sim_cframe(const struct request *r, unsigned i)
{
    return sim_frame((struct request *)r, i); /* reads only */
}
static inline struct frame *sim_top(struct request *r)
{
    return sim_frame(r, r->depth - 1u);
}

/* Pushes a frame for c onto r (c is handling r now) and returns it. Inline:
 * every component a request enters pushes one. */
static inline struct frame *sim_enter(struct request *r, struct component *c)
{
    SIM_CHECK(!r->pooled && "request used after it was freed");
    assert(r->depth < REQ_MAX_DEPTH && "calls nested too deep");
    unsigned i = r->depth++;
    if (i >= REQ_INLINE_FRAMES && (i - REQ_INLINE_FRAMES) % REQ_BLOCK_FRAMES == 0)
        reqpool_deepen(r->pool, r, i); /* a new block, unless the request has it */
    struct frame *f = sim_frame(r, i);
    f->c = c;
    f->replica = 0;
    f->step = 0;
    f->arrive_ns = 0;
    f->start_ns = 0;
    f->timer = EVQ_NONE;
    f->holds_worker = false;
    return f;
}

/* The frame of component c in r's stack (the topmost one for c). */
struct frame *sim_top_of(struct request *r, const struct component *c);

/* The whole of sim_send and sim_reply (sim.c); the inline ones below take
 * the common case, a hop with no latency and no hooks, themselves. */
void sim_send_hop(struct sim *sim, struct component *from, struct request *r,
                  struct component *to);
void sim_reply_hop(struct sim *sim, struct request *r);

/* Sends r from `from` to `to`: after from's latency, to's on_request runs. */
static inline void sim_send(struct sim *sim, struct component *from, struct request *r,
                            struct component *to)
{
    if (from->has_latency || sim->msg_hooks) {
        sim_send_hop(sim, from, r, to);
        return;
    }
    SIM_CHECK(!r->pooled && "request sent after it was freed");
    to->ops.on_request(sim, to, r); /* no delay: at once, without an event */
}
/* The component on top of r's stack is done with it: pops its frame and,
 * after the caller's latency, the caller's on_reply runs. */
static inline void sim_reply(struct sim *sim, struct request *r)
{
    assert(r->depth >= 2 && "reply with no caller");
    struct component *caller = sim_frame(r, r->depth - 2u)->c;
    if (caller->has_latency || sim->msg_hooks) {
        sim_reply_hop(sim, r);
        return;
    }
    SIM_CHECK(!r->pooled && "reply of a request already freed");
    r->depth--;
    caller->ops.on_reply(sim, caller, r);
}

/* A stream for work drawn from the request's birth seed: the same request
 * gets the same service demand at component c whatever the policies did
 * before (common random numbers). purpose separates several draws. */
void sim_work_rng(const struct request *r, const struct component *c, uint64_t purpose,
                  struct rng *out);
/* The seed sim_work_rng gives that stream (rng_seed of it is the stream):
 * for dist_sample_seeded, which draws a demand without the whole state. */
static inline uint64_t sim_work_seed(const struct request *r, const struct component *c,
                                     uint64_t purpose)
{
    uint64_t s = r->work_seed ^ c->salt;
    s = rng_mix64(s + 0x9e3779b97f4a7c15ULL * ((uint64_t)r->attempt + 1));
    return s ^ purpose;
}

/* Registers a level so the cut and the end handle it; sets it to 0. */
void sim_level_init(struct sim *sim, struct level *l);
/* Inline: every request moves a few levels (busy, queued, in system). */
static inline void sim_level_set(struct sim *sim, struct level *l, int64_t value)
{
    int64_t now = sim_now(sim);
    SIM_CHECK(value >= 0 && "a level (a count of requests or workers) went negative");
    SIM_CHECK(now >= l->last_ns && "time went backwards");
    l->area += (double)l->value * (double)(now - l->last_ns);
    l->last_ns = now;
    l->value = value;
}
static inline void sim_level_add(struct sim *sim, struct level *l, int64_t delta)
{
    sim_level_set(sim, l, l->value + delta);
}
/* Mean of l over [cut, end]. */
double sim_level_mean(const struct sim *sim, const struct level *l, int64_t end_ns);

/* Allocates the component statistics (histograms as asked) and registers its
 * levels. */
void sim_stats_init(struct sim *sim, struct comp_stats *st, bool with_hists);

#endif
