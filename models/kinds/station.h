/* station: the worker-and-queue machinery of one node that serves requests
 * (a service replica, a store, a cache node's lookups; the coming message
 * consumers and rate-limited gateways). One module, so every kind with
 * servers queues, rejects, sheds, counts and fails the same way.
 *
 * A station owns:
 *   - `workers` servers (0: unbounded, a pure delay) and the requests holding
 *     them (so a crash can take them back);
 *   - a FIFO queue (a ring buffer, grown geometrically, so no malloc per
 *     event once warm) of `queue_cap` places (-1: unbounded), optionally
 *     ordered and thinned by a shed policy (models/resilience/shed.h: admission by
 *     length, LIFO, deadline and CoDel drops at dequeue);
 *   - capacity and rejection: station_offer says whether a request started,
 *     waits, or was turned away and why;
 *   - its busy and queue levels: it moves the time-weighted levels its owner
 *     points it at (up to two each, e.g. the component's statistics and an
 *     autoscaler's private copy; NULL: none);
 *   - the node's fault state (struct nodefault: crash, slow, errors,
 *     latency) and its crash count (`epoch`);
 *   - the service-time event: at start it draws the request's demand from
 *     `dist` with the request's work seed, or asks the owner, scales it by the slow factor and divides by `speed`, rounds to
 *     whole nanoseconds, adds latency(add=) when STATION_LATENCY_HOLDS is
 *     set, and schedules the end of service.
 *
 * Its owner (the kind) provides, in struct station_ops: the demand of a
 * request, what happens when its service ends (the worker stays held until
 * the owner calls station_release, so a worker can stay taken through
 * downstream calls), and what happens to a request the station gives up
 * (shed, abandoned, crash), plus optional hooks: an admission check before
 * the queue (a rate limiter, dropping work whose caller has gone), a test
 * at dequeue (has the caller gone?), a note when a worker is freed. The
 * station knows nothing of the owner's types: it passes itself, and the
 * owner finds its own record in `owner` and its node number in `index`.
 * Requests are identified by their top frame (struct frame): the station
 * uses arrive_ns, start_ns, timer, holds_worker and slot of the owner's
 * frame, and nothing else of the request.
 *
 * Invariants (checked with SIM_CHECK, sim/check.h: on in the sanitizer
 * builds, free in the optimised one): busy <= workers when bounded; busy ==
 * the number of requests in `serving` (when kept); the queue is empty whenever a worker
 * is free; len <= queue_cap when bounded; levels never go negative; a request is
 * either queued or holding a worker, never both (holds_worker says which).
 *
 * Options (flags), for behaviour that differs between kinds today:
 *   STATION_LATENCY_HOLDS    latency(add=) is part of the service: the worker
 *                            is held add_ns longer (service, store, cache).
 *                            Without it the owner adds the latency to its
 *                            replies itself.
 *   STATION_CRASH_KEEPS_SERVICE  a crash drains the queue but lets the
 *                            requests in service finish (the cache's lookups,
 *                            which then find the node down). Without it a
 *                            crash cancels their service and hands them to
 *                            ops->cut. */
#ifndef SDSIM_MODELS_STATION_H
#define SDSIM_MODELS_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kind.h" /* enum fault_action, struct param_spec, kp_ readers */
#include "models/kinds/nodefault.h"
#include "sim/sim.h"

struct hist;
struct shed;
struct station;

/* What station_offer did with a request. */
enum station_verdict {
    STATION_STARTED, /* it took a worker; its service is scheduled */
    STATION_QUEUED,  /* it waits for a worker */
    STATION_DOWN,    /* the node is crashed: not taken */
    STATION_REFUSED, /* ops->admit said no: not taken */
    STATION_SHED,    /* the shed policy refused it a waiting place: not taken */
    STATION_FULL,    /* no worker and no waiting place: not taken */
};

/* Why the station gave up a queued request (ops->dropped). */
enum station_drop {
    STATION_DROP_SHED,  /* the shed policy dropped it at dequeue */
    STATION_DROP_GONE,  /* ops->gone said its caller has gone */
    STATION_DROP_CRASH, /* the node crashed while it waited */
};

#define STATION_LATENCY_HOLDS 1u
#define STATION_CRASH_KEEPS_SERVICE 2u

struct station_ops {
    /* Service demand of r in nanoseconds, before the slow factor and speed;
     * asked only when the station has no `dist`. */
    double (*demand)(struct station *st, struct request *r);
    /* r's service is over (it still holds its worker, unless workers are
     * unbounded and the owner never releases). */
    void (*served)(struct sim *sim, struct station *st, struct request *r);
    /* Optional: the event that ends r's service, called as
     * fn(sim, st, r); it clears sim_top(r)->timer (EVQ_NONE) and does what
     * served does, one call fewer per request. NULL: the station's own
     * event, which calls served. */
    evq_fn *served_event;
    /* r left the queue without service. */
    void (*dropped)(struct sim *sim, struct station *st, struct request *r,
                    enum station_drop why);
    /* A crash took r's worker back; in_service: its service was cut (its
     * event cancelled), else it held the worker outside its service (in a
     * downstream call). NULL: nothing (only with CRASH_KEEPS_SERVICE). */
    void (*cut)(struct sim *sim, struct station *st, struct request *r, bool in_service);
    /* Optional. May r enter (asked after the up check)? NULL: yes. */
    bool (*admit)(struct station *st, struct request *r);
    /* Optional. Asked of each request taken from the queue: drop it (its
     * caller has gone)? NULL: never. */
    bool (*gone)(struct station *st, struct request *r);
    /* Optional. r just gave its worker back (station_release), before the
     * next request is taken from the queue. */
    void (*freed)(struct sim *sim, struct station *st, struct request *r);
};

/* A request holding a worker, with its frame here (frames never move), so
 * giving a worker back need not search the request's stack. */
struct station_hold {
    struct request *r;
    struct frame *f;
};

struct station {
    const struct station_ops *ops;
    void *owner;               /* the kind's record */
    struct component *comp;    /* whose frames the station reads */
    uint32_t index;            /* the owner's number for this node (replica) */
    unsigned flags;            /* STATION_* options */
    uint32_t workers;          /* 0: unbounded */
    long long queue_cap;       /* waiting places; -1: unbounded */
    double speed;              /* service rate factor; 1: normal */
    const struct dist *dist;   /* service demand, drawn from the request's work seed
                                  (common random numbers, stream 0); NULL: ops->demand */
    struct nodefault nf;       /* crash, slow, errors, latency */
    uint32_t epoch;            /* crashes so far */
    uint32_t busy;             /* workers taken */
    struct request **ring;     /* FIFO queue as a ring buffer */
    size_t head, len, cap;
    struct station_hold *serving; /* the busy requests holding a worker (bounded, and
                                  only when a crash takes them back) */
    uint32_t serving_cap;      /* its places: the most workers station_set_workers may set */
    struct level *busy_lv[2];  /* levels moved with busy; NULL: none */
    struct level *queue_lv[2]; /* levels moved with len; NULL: none */
    struct hist *wait;         /* time queued before service; NULL: not recorded */
    struct shed *shed;         /* queue policy; NULL: plain FIFO */
    /* Whether a freed worker may take the oldest waiting request straight
     * away (no freed or gone hook, no LIFO or dropping shed policy):
     * decided by station_release at its first call, once the owner has set
     * ops and shed, which do not change after. 0: not decided yet. */
    uint8_t direct;
};

/* A healthy, empty station with `workers` (0: unbounded) and queue_cap
 * places (-1: unbounded), speed 1, no levels, no shed policy; the caller
 * then sets the optional fields. Allocates the serving list (bounded
 * workers, unless CRASH_KEEPS_SERVICE). */
void station_init(struct station *st, const struct station_ops *ops, void *owner,
                  struct component *comp, uint32_t index, uint32_t workers, long long queue_cap,
                  unsigned flags);
void station_fini(struct station *st);

/* No crash can reach st (decided once the model is built, before any
 * request): frees the serving list, which only a crash reads, so serving
 * a request no longer keeps it. Not with station_cut, which reads it too. */
void station_no_crash(struct station *st);

/* r (whose top frame is st->comp's, arrive_ns set) asks for a worker. With
 * unbounded workers and a service time that rounds to zero, ops->served
 * runs before this returns; otherwise always through an event. */
enum station_verdict station_offer(struct sim *sim, struct station *st, struct request *r);

/* r (top frame, holding a worker) gives it back; the worker takes the next
 * request from the queue (through the shed policy) while the node is up. */
void station_release(struct sim *sim, struct station *st, struct request *r);

/* from (holding a worker, its service over) hands its worker straight to
 * to (taken out of the queue by the owner): to's service begins now, with
 * no other waiting request between (a consumer's fetched batch,
 * models/kinds/queue.c). Also after a scale-down left more busy than
 * workers: the worker leaves when its holder releases it. */
void station_handover(struct sim *sim, struct station *st, struct request *from,
                      struct request *to);

/* A new number of workers (bounded, at most the workers it was made with):
 * more start waiting requests at once; fewer take no new request until
 * enough holders have finished (busy may stay above workers meanwhile). An
 * autoscaled consumers group (models/kinds/queue.c). */
void station_set_workers(struct sim *sim, struct station *st, uint32_t workers);

/* Applies a fault action (models/kinds/nodefault.h). On NODEFAULT_CRASHED the
 * owner calls station_crash when it is ready to fail the node's work. */
enum nodefault_change station_fault(struct station *st, enum fault_action a, double value,
                                    bool start);

/* The node went down: bumps the epoch, hands every queued request to
 * ops->dropped (STATION_DROP_CRASH), oldest first, and, unless
 * CRASH_KEEPS_SERVICE, takes every worker back (newest holder first),
 * cancelling service in progress, and hands each holder to ops->cut. */
void station_crash(struct sim *sim, struct station *st);

/* One worker of a node that stays up goes down: r (holding a worker here)
 * is taken back, its service cancelled, and handed to ops->cut; the queue
 * and the other workers go on (a consumer of a group crashing alone,
 * models/kinds/queue.c). Not with CRASH_KEEPS_SERVICE. */
void station_cut(struct sim *sim, struct station *st, struct request *r);

static inline bool station_is_up(const struct station *st)
{
    return st->nf.up;
}

/* Does r, whose service just ended here, fail under an errors fault?
 * Draws from rng only while one is on. */
static inline bool station_fails(const struct station *st, struct rng *rng)
{
    return nodefault_fails(&st->nf, rng);
}

/* Reads key `key` of s as a number of waiting places or "unbounded"/"inf"
 * (-1) into *cap. Returns 0 or -1 (reported in d). */
int station_read_queue(const struct sc_section *s, const struct param_spec *params,
                       const char *key, long long *cap, struct diag *d);

/* Takes the oldest waiting request out of the queue (a bounded message
 * queue dropping its oldest message to make room), or NULL when none
 * waits. The caller owns it: nothing is called on it. */
struct request *station_take_oldest(struct sim *sim, struct station *st);

#endif
