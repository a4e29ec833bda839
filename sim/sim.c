/* sim: the run loop, the warm-up cut, levels and message passing between
 * components; the other jobs have a file each (see sim.h). */
#include "sim/sim.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/xalloc.h"

void sim_init(struct sim *sim, uint64_t seed, int64_t cut_ns, int64_t end_ns)
{
    memset(sim, 0, sizeof *sim);
    sim->q = evq_new();
    sim->seed = seed;
    sim->cut_ns = cut_ns;
    sim->end_ns = end_ns;
    sim->measuring = cut_ns <= 0;
    sim->limits.max_in_flight = SIZE_MAX;
    sim->limits.stall_events = SIM_STALL_EVENTS;
}

static void stats_fini(struct comp_stats *st)
{
    hist_free(st->wait);
    hist_free(st->resp);
}

void sim_fini(struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++) {
        struct component *c = sim->comps[i];
        if (!c)
            continue;
        if (c->ops.fini)
            c->ops.fini(c);
        dist_fini(&c->latency);
        stats_fini(&c->st);
        free(c->callees);
        free(c->callee_locs);
        free(c);
    }
    free(sim->comps);
    free(sim->levels.all);
    precision_fini(&sim->precision);
    free(sim->warmup);
    sim_ts_fini(&sim->ts);
    free(sim->faults.spans);
    free(sim->faults.links);
    sim_attr_free(sim->attr);
    sim_trace_free(sim->trace);
    reqpool_fini(&sim->pool);
    evq_free(sim->q);
    memset(sim, 0, sizeof *sim);
}

static void level_close(struct level *l, int64_t now_ns)
{
    SIM_CHECK(now_ns >= l->last_ns && "time went backwards");
    l->area += (double)l->value * (double)(now_ns - l->last_ns);
    l->last_ns = now_ns;
}

/* The warm-up cut: every statistic starts afresh here, in this one place.
 * Levels keep their current value (a snapshot), only their area restarts. */
static void do_cut(struct sim *sim, void *a, void *b)
{
    (void)a;
    (void)b;
    int64_t now = sim_now(sim);
    for (size_t i = 0; i < sim->levels.n; i++) {
        sim->levels.all[i]->area = 0;
        sim->levels.all[i]->last_ns = now;
    }
    for (size_t i = 0; i < sim->ncomps; i++) {
        struct component *c = sim->comps[i];
        struct comp_stats *st = &c->st;
        st->arrivals_before_cut += st->arrivals;
        st->arrivals = st->completed = st->rejected = st->errors = 0;
        if (st->wait)
            hist_reset(st->wait);
        st->local = (struct tally){0, 0, 0};
        if (st->resp)
            hist_reset(st->resp);
        if (c->ops.reset)
            c->ops.reset(sim, c);
    }
    sim->measuring = true;
}

/* Names the component holding the most queued requests (the first in file
 * order on a tie), its offered rate over the whole run and, when its kind
 * knows it, its capacity. */
static void overload_report(struct sim *sim)
{
    struct sim_overload *o = &sim->limits.overload;
    o->busiest = NULL;
    o->queued = 0;
    o->offered_rps = (double)NAN;
    o->capacity_rps = (double)NAN;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->st.queued.value > o->queued) {
            o->busiest = c;
            o->queued = c->st.queued.value;
        }
    }
    const struct component *c = o->busiest;
    if (!c)
        return;
    if (o->at_ns > 0)
        o->offered_rps = (double)(c->st.arrivals_before_cut + c->st.arrivals) /
                         ((double)o->at_ns / 1e9);
    if (c->ops.capacity_rps)
        o->capacity_rps = c->ops.capacity_rps(sim, c);
}

static void publish_progress(struct sim *sim)
{
    atomic_store_explicit(&sim->progress->now_ns, sim_now(sim), memory_order_relaxed);
    atomic_store_explicit(&sim->progress->events, sim->events, memory_order_relaxed);
}

int64_t sim_run(struct sim *sim)
{
    if (sim->cut_ns > 0)
        evq_push(sim->q, sim->cut_ns, do_cut, NULL, NULL);
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i]->ops.start)
            sim->comps[i]->ops.start(sim, sim->comps[i]);
    struct evq_event ev;
    int64_t instant = -1;
    uint32_t same = 0; /* events in a row at `instant` */
    while (!sim->stop && evq_pop_until(sim->q, sim->end_ns, &ev)) {
        if ((++sim->events & (SIM_PROGRESS_EVENTS - 1)) == 0 && sim->progress)
            publish_progress(sim);
        SIM_CHECK(ev.at_ns >= instant && "time went backwards");
        if (ev.at_ns != instant) {
            instant = ev.at_ns;
            same = 0;
        } else if (++same == sim->limits.stall_events) {
            sim->limits.stalled = true;
            sim->stop = true;
        }
        sim->now_ns = ev.at_ns;
        ev.fn(sim, ev.a, ev.b);
    }
    if (sim->progress)
        publish_progress(sim);
    if (sim->limits.overloaded)
        overload_report(sim);
    if (sim->stop && !sim->measuring) /* stopped in the warm-up: nothing measured */
        do_cut(sim, NULL, NULL);
    int64_t end = sim->stop ? sim_now(sim) : sim->end_ns;
    for (size_t i = 0; i < sim->levels.n; i++)
        level_close(sim->levels.all[i], end);
    return end;
}

struct frame *sim_top_of(struct request *r, const struct component *c)
{
    for (unsigned i = r->depth; i-- > 0;) {
        struct frame *f = sim_frame(r, i);
        if (f->c == c)
            return f;
    }
    assert(0 && "request has no frame for the component");
    return NULL;
}

/* A message with no latency is handled at once, without an event: the
 * receiver runs inside the sender's handler, so senders finish updating
 * their own state before they send or reply. */
static int64_t hop_delay(struct component *from)
{
    return from->has_latency ? dist_sample_ns(&from->latency, &from->net_rng) : 0;
}

/* Applies the active link faults between from and to to a message that
 * would take *delay: false when it is lost. O(link faults) per message. */
static bool link_passes(struct sim *sim, const struct component *from,
                        const struct component *to, int64_t *delay)
{
    for (size_t i = 0; i < sim->faults.nlinks; i++) {
        struct link_fault *lf = sim->faults.links[i];
        if (!lf->active || !((lf->a == from && lf->b == to) || (lf->a == to && lf->b == from)))
            continue;
        if (lf->drop > 0 && rng_uniform(&lf->rng) < lf->drop) {
            lf->dropped++;
            return false;
        }
        *delay += lf->add_ns;
    }
    return true;
}

static void deliver_request(struct sim *sim, void *a, void *b)
{
    struct component *to = a;
    to->ops.on_request(sim, to, b);
}

static void deliver_reply(struct sim *sim, void *a, void *b)
{
    struct component *to = a;
    to->ops.on_reply(sim, to, b);
}

void sim_send_hop(struct sim *sim, struct component *from, struct request *r,
                  struct component *to)
{
    SIM_CHECK(!r->pooled && "request sent after it was freed");
    int64_t delay = hop_delay(from);
    if (sim->msg_hooks) { /* link faults, attribution or trace: one test */
        if (sim->faults.nlinks && !link_passes(sim, from, to, &delay))
            return;
        if (sim->attr)
            sim_attr_hop(sim, r, from, to, delay);
        if (sim->trace)
            trace_send(sim, r, from, delay);
    }
    if (delay == 0)
        to->ops.on_request(sim, to, r);
    else
        sim_after(sim, delay, deliver_request, to, r);
}

void sim_reply_hop(struct sim *sim, struct request *r)
{
    SIM_CHECK(!r->pooled && "reply of a request already freed");
    assert(r->depth >= 2 && "reply with no caller");
    r->depth--;
    struct component *caller = sim_frame(r, r->depth - 1u)->c;
    int64_t delay = hop_delay(caller);
    if (sim->msg_hooks) {
        struct component *from = sim_frame(r, r->depth)->c;
        if (sim->faults.nlinks && !link_passes(sim, from, caller, &delay))
            return;
        if (sim->attr) /* the replier's service ends; the hop back is its network */
            sim_attr_hop(sim, r, from, from, delay);
        if (sim->trace)
            trace_reply(sim, r, delay);
    }
    if (delay == 0)
        caller->ops.on_reply(sim, caller, r);
    else
        sim_after(sim, delay, deliver_reply, caller, r);
}

void sim_work_rng(const struct request *r, const struct component *c, uint64_t purpose,
                  struct rng *out)
{
    rng_seed(out, sim_work_seed(r, c, purpose));
}

void sim_level_init(struct sim *sim, struct level *l)
{
    l->value = 0;
    l->last_ns = 0;
    l->area = 0;
    xgrow(&sim->levels.all, &sim->levels.cap, sim->levels.n + 1, sizeof *sim->levels.all);
    sim->levels.all[sim->levels.n++] = l;
}

double sim_level_mean(const struct sim *sim, const struct level *l, int64_t end_ns)
{
    int64_t from = sim->cut_ns > 0 ? sim->cut_ns : 0;
    return end_ns > from ? l->area / (double)(end_ns - from) : 0;
}

void sim_stats_init(struct sim *sim, struct comp_stats *st, bool with_hists)
{
    memset(st, 0, sizeof *st);
    sim_level_init(sim, &st->busy);
    sim_level_init(sim, &st->queued);
    sim_level_init(sim, &st->insys);
    sim_level_init(sim, &st->capacity);
    if (with_hists) {
        st->wait = hist_new(); /* its second moment is a column (wait_m2_s2) */
        st->resp = hist_new_no_moment2();
    }
}

void sim_link_fault(struct sim *sim, struct link_fault *lf)
{
    struct sim_faults *f = &sim->faults;
    f->links = xrealloc(f->links, (f->nlinks + 1) * sizeof *f->links);
    f->links[f->nlinks++] = lf;
    sim->msg_hooks = true;
}

void sim_note_span(struct sim *sim, const char *name, int64_t from_ns, int64_t to_ns)
{
    struct sim_faults *f = &sim->faults;
    f->spans = xrealloc(f->spans, (f->nspans + 1) * sizeof *f->spans);
    f->spans[f->nspans++] = (struct span){name, from_ns, to_ns};
}
