/* station: workers, a FIFO or policy queue, capacity and rejection, busy and
 * queue levels and the fault state of one serving node (see station.h).
 *
 * Invariants (checked at every change with SIM_CHECK, on in the sanitizer
 * builds): busy <= workers when bounded, but for a scale-down's holders,
 * which finish (station_set_workers) and may hand their worker over
 * (station_handover) before it leaves; the serving list holds exactly the
 * busy requests, each frame's slot its index there; the queue is empty
 * whenever a worker is free and the node is up; len <= queue_cap when
 * bounded; every level the station moves stays >= 0. */
#include "models/kinds/station.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "models/resilience/shed.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

void station_init(struct station *st, const struct station_ops *ops, void *owner,
                  struct component *comp, uint32_t index, uint32_t workers, long long queue_cap,
                  unsigned flags)
{
    *st = (struct station){.ops = ops,
                           .owner = owner,
                           .comp = comp,
                           .index = index,
                           .flags = flags,
                           .workers = workers,
                           .queue_cap = queue_cap,
                           .speed = 1.0};
    nodefault_init(&st->nf);
    /* The list of holders serves only a crash that takes workers back. */
    if (workers > 0 && !(flags & STATION_CRASH_KEEPS_SERVICE)) {
        st->serving = xcalloc(workers, sizeof *st->serving);
        st->serving_cap = workers;
    }
}

void station_fini(struct station *st)
{
    free(st->ring);
    free(st->serving);
    st->ring = NULL;
    st->serving = NULL;
}

void station_no_crash(struct station *st)
{
    SIM_CHECK(st->busy == 0);
    free(st->serving);
    st->serving = NULL;
    st->serving_cap = 0;
}

/* ---- levels ---------------------------------------------------------------- */

static inline void move(struct sim *sim, struct level *const lv[2], int64_t delta)
{
    if (lv[0]) {
        sim_level_add(sim, lv[0], delta);
        SIM_CHECK(lv[0]->value >= 0);
    }
    if (lv[1]) {
        sim_level_add(sim, lv[1], delta);
        SIM_CHECK(lv[1]->value >= 0);
    }
}

/* ---- the queue ------------------------------------------------------------- */

/* The ring's capacity is a power of two (16, doubled), so a slot is an AND. */
static inline void ring_push(struct station *st, struct request *r)
{
    if (st->len == st->cap) {
        size_t ncap = st->cap ? 2 * st->cap : 16;
        st->ring = xring_grow(st->ring, sizeof *st->ring, st->cap, st->head, st->len, ncap);
        st->cap = ncap;
        st->head = 0;
    }
    st->ring[(st->head + st->len) & (st->cap - 1)] = r;
    st->len++;
}

static inline struct request *ring_pop(struct station *st)
{
    struct request *r = st->ring[st->head];
    st->head = (st->head + 1) & (st->cap - 1);
    st->len--;
    return r;
}

static inline struct request *ring_pop_newest(struct station *st)
{
    st->len--;
    return st->ring[(st->head + st->len) & (st->cap - 1)];
}

static void enqueue(struct sim *sim, struct station *st, struct request *r)
{
    SIM_CHECK(!sim_top(r)->holds_worker);
    ring_push(st, r);
    move(sim, st->queue_lv, 1);
}

/* ---- workers --------------------------------------------------------------- */

static void served_event(struct sim *sim, void *a, void *b)
{
    struct station *st = a;
    struct request *r = b;
    sim_top(r)->timer = EVQ_NONE;
    st->ops->served(sim, st, r);
}

/* The demand of r: drawn from its work seed (stream 0) when the station has
 * a dist, else asked of the owner. */
static inline double demand_of(struct station *st, struct request *r)
{
    if (!st->dist)
        return st->ops->demand(st, r);
    return dist_sample_seeded(st->dist, sim_work_seed(r, st->comp, 0));
}

/* r takes a free worker and its service begins. Inlined into its callers:
 * it is the hot path of every served request. move_busy: false when the
 * caller has already brought the busy levels up to now for a worker handed
 * straight from one request to the next (station_release). handed: the
 * worker is one handed over by its holder (station_handover), which may
 * still be over the workers after a scale-down (it finishes its fetch). */
__attribute__((always_inline)) static inline void begin(struct sim *sim, struct station *st,
                                                        struct request *r, bool move_busy,
                                                        bool handed)
{
    struct frame *f = sim_top(r);
    (void)handed; /* read only by SIM_CHECK */
    SIM_CHECK(!f->holds_worker); /* not already holding a worker here */
    SIM_CHECK(st->workers == 0 || st->busy < st->workers ||
              (handed && (!st->serving || st->busy < st->serving_cap)));
    f->holds_worker = true;
    if (st->serving) {
        f->slot = st->busy;
        st->serving[st->busy] = (struct station_hold){r, f};
    }
    st->busy++;
    if (move_busy)
        move(sim, st->busy_lv, 1);
    f->start_ns = sim_now(sim);
    if (st->wait)
        hist_add(st->wait, f->start_ns - f->arrive_ns);
    if (sim->attr) /* its wait in this queue ends */
        sim_attr_queue(sim, r, f->c);
    double t = nodefault_scale(&st->nf, demand_of(st, r));
    if (st->speed != 1.0) /* t / 1 is t: no division on the path of every request */
        t /= st->speed;
    int64_t ns = units_ns_from_double(t);
    if (st->flags & STATION_LATENCY_HOLDS)
        ns += nodefault_extra_latency_ns(&st->nf);
    if (st->workers == 0 && ns <= 0) { /* a pure zero delay: no event, no queue to recurse on */
        f->timer = EVQ_NONE;
        st->ops->served(sim, st, r);
        return;
    }
    evq_fn *done = st->ops->served_event;
    f->timer = sim_after(sim, ns, done ? done : served_event, st, r);
}

static bool has_worker(const struct station *st)
{
    return st->workers == 0 || st->busy < st->workers;
}

/* The freed worker takes the next request: the oldest, or the newest while
 * the shed policy says LIFO; requests the policy drops, or whose caller has
 * gone, are handed back to the owner on the way. */
static void next_from_queue(struct sim *sim, struct station *st)
{
    const struct shed_policy *pol = st->shed ? st->shed->pol : NULL;
    bool first = true;
    while (st->len > 0) {
        bool lifo = pol && pol->lifo && pol->lifo(st->shed, st->len);
        struct request *r = lifo ? ring_pop_newest(st) : ring_pop(st);
        move(sim, st->queue_lv, -1);
        if (st->ops->gone && st->ops->gone(st, r)) {
            st->ops->dropped(sim, st, r, STATION_DROP_GONE);
            continue;
        }
        if (pol && pol->drop) {
            int64_t sojourn = sim_now(sim) - sim_top(r)->arrive_ns;
            if (pol->drop(st->shed, sim_now(sim), sojourn, st->len, first)) {
                first = false;
                st->ops->dropped(sim, st, r, STATION_DROP_SHED);
                continue;
            }
        }
        begin(sim, st, r, true, false);
        return;
    }
}

enum station_verdict station_offer(struct sim *sim, struct station *st, struct request *r)
{
    if (!st->nf.up)
        return STATION_DOWN;
    if (st->ops->admit && !st->ops->admit(st, r))
        return STATION_REFUSED;
    if (has_worker(st)) {
        SIM_CHECK(st->len == 0);
        begin(sim, st, r, true, false);
        return STATION_STARTED;
    }
    bool room = st->queue_cap < 0 || (long long)st->len < st->queue_cap;
    const struct shed_policy *pol = st->shed ? st->shed->pol : NULL;
    if (room && (!pol || !pol->admit || pol->admit(st->shed, st->len))) {
        enqueue(sim, st, r);
        SIM_CHECK(st->queue_cap < 0 || (long long)st->len <= st->queue_cap);
        return STATION_QUEUED;
    }
    return room ? STATION_SHED : STATION_FULL;
}

/* Takes r's worker back without starting another; moves the busy levels
 * by busy_delta (-1, or 0 when the worker goes straight to the next). */
static inline void take_back(struct sim *sim, struct station *st, struct request *r,
                             struct frame *f, int64_t busy_delta)
{
    (void)r; /* read by the checks only */
    SIM_CHECK(f->holds_worker && st->busy > 0);
    f->holds_worker = false;
    st->busy--;
    if (st->serving) {
        SIM_CHECK(f->slot <= st->busy && st->serving[f->slot].r == r &&
                  st->serving[f->slot].f == f);
        struct station_hold last = st->serving[st->busy];
        st->serving[f->slot] = last;
        last.f->slot = f->slot; /* itself when r was the last */
    }
    move(sim, st->busy_lv, busy_delta);
}

/* h's request loses its worker to a crash or a cut: its service (if it
 * had started) is cancelled and the kind told. */
static void cut_hold(struct sim *sim, struct station *st, struct station_hold h)
{
    take_back(sim, st, h.r, h.f, -1);
    bool in_service = h.f->timer != EVQ_NONE;
    if (in_service) {
        evq_cancel(sim->q, h.f->timer);
        h.f->timer = EVQ_NONE;
    }
    if (st->ops->cut)
        st->ops->cut(sim, st, h.r, in_service);
}

#define DIRECT_UNDECIDED 0
#define DIRECT_YES 1
#define DIRECT_NO 2

/* station.direct's value for st as built. */
static uint8_t direct_of(const struct station *st)
{
    const struct shed_policy *pol = st->shed ? st->shed->pol : NULL;
    bool yes = !st->ops->freed && !st->ops->gone && (!pol || (!pol->lifo && !pol->drop));
    return yes ? DIRECT_YES : DIRECT_NO;
}

void station_release(struct sim *sim, struct station *st, struct request *r)
{
    SIM_CHECK(st->direct == DIRECT_UNDECIDED || st->direct == direct_of(st));
    if (st->len > 0 && st->direct == DIRECT_YES && st->nf.up &&
        (st->workers == 0 || st->busy <= st->workers)) {
        /* The oldest waiting request takes the worker at once, with no hook
         * between that could see the levels: the busy levels' -1 and +1 at
         * one instant are one update (the second would add value * 0 to
         * their area), the same figures for less work. */
        take_back(sim, st, r, sim_top(r), 0);
        struct request *next = ring_pop(st);
        move(sim, st->queue_lv, -1);
        begin(sim, st, next, false, false);
        return;
    }
    if (st->direct == DIRECT_UNDECIDED) { /* the first release: ops and shed are final */
        st->direct = direct_of(st);
        station_release(sim, st, r);
        return;
    }
    take_back(sim, st, r, sim_top(r), -1);
    if (st->ops->freed)
        st->ops->freed(sim, st, r);
    if (st->len > 0 && st->nf.up && has_worker(st)) /* not after a scale-down */
        next_from_queue(sim, st);
}

void station_handover(struct sim *sim, struct station *st, struct request *from,
                      struct request *to)
{
    take_back(sim, st, from, sim_top(from), 0);
    begin(sim, st, to, false, true);
}

void station_set_workers(struct sim *sim, struct station *st, uint32_t workers)
{
    SIM_CHECK(workers > 0 && st->workers > 0 && (!st->serving || workers <= st->serving_cap));
    st->workers = workers;
    while (st->len > 0 && st->nf.up && has_worker(st))
        next_from_queue(sim, st);
}

enum nodefault_change station_fault(struct station *st, enum fault_action a, double value,
                                    bool start)
{
    return nodefault_apply(&st->nf, a, value, start);
}

void station_crash(struct sim *sim, struct station *st)
{
    st->nf.up = false;
    st->epoch++;
    while (st->len > 0) {
        struct request *r = ring_pop(st);
        move(sim, st->queue_lv, -1);
        st->ops->dropped(sim, st, r, STATION_DROP_CRASH);
    }
    if (st->flags & STATION_CRASH_KEEPS_SERVICE)
        return;
    assert(st->serving || st->busy == 0);
    while (st->busy > 0)
        cut_hold(sim, st, st->serving[st->busy - 1]);
}

void station_cut(struct sim *sim, struct station *st, struct request *r)
{
    SIM_CHECK(st->serving && !(st->flags & STATION_CRASH_KEEPS_SERVICE));
    struct frame *f = sim_top_of(r, st->comp);
    SIM_CHECK(f->holds_worker && st->serving[f->slot].r == r);
    cut_hold(sim, st, st->serving[f->slot]);
}

int station_read_queue(const struct sc_section *s, const struct param_spec *params,
                       const char *key, long long *cap, struct diag *d)
{
    struct loc loc;
    const char *q = kp_raw(s, params, key, &loc);
    *cap = -1;
    if (strcmp(q, "unbounded") == 0 || strcmp(q, "inf") == 0)
        return 0;
    if (strspn(q, "0123456789") != strlen(q))
        return diag_error(d, loc, "bad %s '%s': a number of waiting places, or 'unbounded'", key,
                          q);
    return kp_int(s, params, key, 0, 1000000000, cap, d);
}

struct request *station_take_oldest(struct sim *sim, struct station *st)
{
    if (st->len == 0)
        return NULL;
    struct request *r = ring_pop(st);
    move(sim, st->queue_lv, -1);
    return r;
}
