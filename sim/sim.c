/* sim: the run loop, the request pool and message passing between
 * components. See sim.h for the model. */
#include "sim/sim.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "sim/hist.h"
#include "sim/stats.h"
#include "sim/xalloc.h"

#define POOL_CHUNK 256

void sim_init(struct sim *sim, uint64_t seed, int64_t cut_ns, int64_t end_ns)
{
    memset(sim, 0, sizeof *sim);
    sim->q = evq_new();
    sim->seed = seed;
    sim->cut_ns = cut_ns;
    sim->end_ns = end_ns;
    sim->measuring = cut_ns <= 0;
    sim->max_in_flight = SIZE_MAX;
    sim->stall_events = SIM_STALL_EVENTS;
}

static void stats_fini(struct comp_stats *st)
{
    hist_free(st->wait);
    hist_free(st->local);
    hist_free(st->resp);
}

void sim_fini(struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++) {
        struct component *c = sim->comps[i];
        if (!c)
            continue;
        if (c->kind && c->kind->fini)
            c->kind->fini(c);
        dist_fini(&c->latency);
        stats_fini(&c->st);
        free(c->callees);
        free(c->callee_locs);
        free(c);
    }
    free(sim->comps);
    free(sim->levels);
    free(sim->bm);
    free(sim->series);
    hist_free(sim->ts.lat);
    for (size_t i = 0; i < sim->ts_ncols; i++)
        free(sim->ts_names[i]);
    free(sim->ts_names);
    free(sim->ts_rows);
    free(sim->spans);
    free(sim->links);
    for (size_t i = 0; i < sim->nchunks; i++)
        free(sim->chunks[i]);
    free(sim->chunks);
    evq_free(sim->q);
    memset(sim, 0, sizeof *sim);
}

uint64_t sim_after(struct sim *sim, int64_t delay_ns, evq_fn *fn, void *a, void *b)
{
    assert(delay_ns >= 0 && "negative delay");
    int64_t now = evq_now(sim->q);
    /* Saturates: an event at INT64_MAX is past every run's end, never reached. */
    int64_t at = delay_ns <= INT64_MAX - now ? now + delay_ns : INT64_MAX;
    return evq_push(sim->q, at, fn, a, b);
}

uint64_t sim_at(struct sim *sim, int64_t at_ns, evq_fn *fn, void *a, void *b)
{
    return evq_push(sim->q, at_ns, fn, a, b);
}

static void level_close(struct level *l, int64_t now_ns)
{
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
    for (size_t i = 0; i < sim->nlevels; i++) {
        sim->levels[i]->area = 0;
        sim->levels[i]->last_ns = now;
    }
    for (size_t i = 0; i < sim->ncomps; i++) {
        struct component *c = sim->comps[i];
        struct comp_stats *st = &c->st;
        st->arrivals_before_cut += st->arrivals;
        st->arrivals = st->completed = st->rejected = st->errors = 0;
        if (st->wait)
            hist_reset(st->wait);
        if (st->local)
            hist_reset(st->local);
        if (st->resp)
            hist_reset(st->resp);
        if (c->kind->reset)
            c->kind->reset(sim, c);
    }
    sim->measuring = true;
}

/* The run has reached max_in_flight: it stops after this event. Kept out
 * of line so that sim_req_new pays one comparison. */
static void overload(struct sim *sim)
{
    sim->overloaded = true;
    sim->stop = true;
    sim->overload.at_ns = sim_now(sim);
    sim->overload.in_flight = sim->reqs_live;
}

/* Names the component holding the most queued requests (the first in file
 * order on a tie), its offered rate over the whole run and, when its kind
 * knows it, its capacity. */
static void overload_report(struct sim *sim)
{
    struct sim_overload *o = &sim->overload;
    o->busiest = NULL;
    o->queued = 0;
    o->offered_rps = NAN;
    o->capacity_rps = NAN;
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
    if (c->kind->capacity_rps)
        o->capacity_rps = c->kind->capacity_rps(sim, c);
}

int64_t sim_run(struct sim *sim)
{
    if (sim->cut_ns > 0)
        evq_push(sim->q, sim->cut_ns, do_cut, NULL, NULL);
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i]->kind->start)
            sim->comps[i]->kind->start(sim, sim->comps[i]);
    struct evq_event ev;
    int64_t instant = -1;
    uint32_t same = 0; /* events in a row at `instant` */
    while (!sim->stop && evq_peek_time(sim->q) <= sim->end_ns && evq_pop(sim->q, &ev)) {
        sim->events++;
        if (ev.at_ns != instant) {
            instant = ev.at_ns;
            same = 0;
        } else if (++same == sim->stall_events) {
            sim->stalled = true;
            sim->stop = true;
        }
        ev.fn(sim, ev.a, ev.b);
    }
    if (sim->overloaded)
        overload_report(sim);
    if (sim->stop && !sim->measuring) /* stopped in the warm-up: nothing measured */
        do_cut(sim, NULL, NULL);
    int64_t end = sim->stop ? sim_now(sim) : sim->end_ns;
    for (size_t i = 0; i < sim->nlevels; i++)
        level_close(sim->levels[i], end);
    return end;
}

struct request *sim_req_new(struct sim *sim)
{
    if (!sim->free_reqs) {
        struct request *chunk = xcalloc(POOL_CHUNK, sizeof *chunk);
        sim->chunks = xrealloc(sim->chunks, (sim->nchunks + 1) * sizeof *sim->chunks);
        sim->chunks[sim->nchunks++] = chunk;
        for (size_t i = POOL_CHUNK; i-- > 0;) {
            chunk[i].next_free = sim->free_reqs;
            sim->free_reqs = &chunk[i];
        }
    }
    struct request *r = sim->free_reqs;
    sim->free_reqs = r->next_free;
    /* Clear the header only: frames are written as they are pushed. */
    memset(r, 0, offsetof(struct request, stack));
    r->id = sim->next_req_id++;
    r->user = UINT32_MAX;
    r->target = -1;
    if (++sim->reqs_live == sim->max_in_flight) /* the one check per birth */
        overload(sim);
    return r;
}

struct request *sim_req_child(struct sim *sim, struct request *parent)
{
    struct request *r = sim_req_new(sim);
    r->work_seed = parent->work_seed;
    r->key = parent->key;
    r->op = parent->op;
    r->version = parent->version;
    r->born_ns = parent->born_ns;
    r->measured = parent->measured;
    r->user = parent->user;
    r->attempt = parent->attempt;
    r->parent = parent;
    return r;
}

void sim_req_free(struct sim *sim, struct request *r)
{
    r->next_free = sim->free_reqs;
    sim->free_reqs = r;
    sim->reqs_live--;
}

struct frame *sim_enter(struct request *r, struct component *c)
{
    assert(r->depth < REQ_MAX_DEPTH && "calls nested too deep");
    struct frame *f = &r->stack[r->depth++];
    f->c = c;
    f->replica = 0;
    f->step = 0;
    f->arrive_ns = 0;
    f->start_ns = 0;
    f->timer = EVQ_NONE;
    f->holds_worker = false;
    return f;
}

/* A message with no latency is handled at once, without an event: the
 * receiver runs inside the sender's handler, so senders finish updating
 * their own state before they send or reply. */
struct frame *sim_top_of(struct request *r, const struct component *c)
{
    for (size_t i = r->depth; i-- > 0;)
        if (r->stack[i].c == c)
            return &r->stack[i];
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
    for (size_t i = 0; i < sim->nlinks; i++) {
        struct link_fault *lf = sim->links[i];
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
    to->kind->on_request(sim, to, b);
}

static void deliver_reply(struct sim *sim, void *a, void *b)
{
    struct component *to = a;
    to->kind->on_reply(sim, to, b);
}

void sim_send(struct sim *sim, struct component *from, struct request *r, struct component *to)
{
    int64_t delay = hop_delay(from);
    if (sim->nlinks && !link_passes(sim, from, to, &delay))
        return;
    if (delay == 0)
        to->kind->on_request(sim, to, r);
    else
        sim_after(sim, delay, deliver_request, to, r);
}

void sim_reply(struct sim *sim, struct request *r)
{
    assert(r->depth >= 2 && "reply with no caller");
    r->depth--;
    struct component *caller = r->stack[r->depth - 1].c;
    int64_t delay = hop_delay(caller);
    if (sim->nlinks && !link_passes(sim, r->stack[r->depth].c, caller, &delay))
        return;
    if (delay == 0)
        caller->kind->on_reply(sim, caller, r);
    else
        sim_after(sim, delay, deliver_reply, caller, r);
}

void sim_work_rng(const struct request *r, const struct component *c, uint64_t purpose,
                  struct rng *out)
{
    uint64_t s = r->work_seed ^ c->salt;
    s = rng_mix64(s + 0x9e3779b97f4a7c15ULL * ((uint64_t)r->attempt + 1));
    rng_seed(out, s ^ purpose);
}

void sim_level_init(struct sim *sim, struct level *l)
{
    l->value = 0;
    l->last_ns = 0;
    l->area = 0;
    xgrow(&sim->levels, &sim->levels_cap, sim->nlevels + 1, sizeof *sim->levels);
    sim->levels[sim->nlevels++] = l;
}

void sim_level_set(struct sim *sim, struct level *l, int64_t value)
{
    level_close(l, sim_now(sim));
    l->value = value;
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
        st->wait = hist_new();
        st->local = hist_new();
        st->resp = hist_new();
    }
}

static void series_add(struct series *s, double x, int64_t now_ns)
{
    if (s->batch_size == 0)
        s->batch_size = 5; /* MSER-5: batches of five */
    s->partial += x;
    if (++s->fill < s->batch_size)
        return;
    s->mean[s->nbatches] = s->partial / (double)s->fill;
    s->end_ns[s->nbatches] = now_ns;
    s->nbatches++;
    s->partial = 0;
    s->fill = 0;
    if (s->nbatches < SERIES_MAX)
        return;
    for (size_t i = 0; i < SERIES_MAX / 2; i++) {
        s->mean[i] = (s->mean[2 * i] + s->mean[2 * i + 1]) / 2;
        s->end_ns[i] = s->end_ns[2 * i + 1];
    }
    s->nbatches = SERIES_MAX / 2;
    s->batch_size *= 2;
}

/* Checks the precision goal once per completed batch: 20 regrouped batch
 * means, as JMT and Law & Kelton advise, and at least 100 batches seen so
 * that each batch is long compared with the correlation of the series. */
static void precision_check(struct sim *sim)
{
    struct ci ci;
    if (sim->bm->nbatches < 100 && sim->bm->batch_size == sim->bm->base_size)
        return;
    if (!batches_ci95(sim->bm, 20, &ci) || !(ci.mean > 0))
        return;
    if ((ci.hi - ci.lo) / 2 <= sim->precision * ci.mean)
        sim->stop = true;
}

void sim_observe(struct sim *sim, int64_t latency_ns, bool measured)
{
    if (sim->series)
        series_add(sim->series, (double)latency_ns, sim_now(sim));
    if (measured && sim->bm) {
        batches_add(sim->bm, (double)latency_ns);
        if (sim->bm->fill == 0) /* a batch has just been completed */
            precision_check(sim);
    }
}

/* ---- time series --------------------------------------------------------- */

#define TS_RUN_COLS 6
#define TS_EXTRA_MAX 16

static const char *const ts_run_names[TS_RUN_COLS] = {
    "offered_rps", "throughput_rps", "failed_rps", "latency_p50_ms", "latency_p99_ms",
    "requests_in_system",
};

static const char *const ts_comp_names[] = {"replicas", "queue", "busy"};

static size_t comp_extra(const struct sim *sim, const struct component *c, const char **names,
                         double *values)
{
    return c->kind->ts_extra ? c->kind->ts_extra(sim, c, names, values, TS_EXTRA_MAX) : 0;
}

static void ts_add_name(struct sim *sim, const char *comp, const char *what)
{
    size_t len = strlen(what) + (comp ? strlen(comp) + 1 : 0) + 1;
    char *n = xmalloc(len);
    snprintf(n, len, "%s%s%s", comp ? comp : "", comp ? "." : "", what);
    sim->ts_names = xrealloc(sim->ts_names, (sim->ts_ncols + 1) * sizeof *sim->ts_names);
    sim->ts_names[sim->ts_ncols++] = n;
}

static void ts_sample(struct sim *sim, void *a, void *b)
{
    (void)a;
    (void)b;
    double secs = (double)sim->interval_ns / 1e9;
    xgrow(&sim->ts_rows, &sim->ts_cap, (sim->ts_nrows + 1) * (1 + sim->ts_ncols),
          sizeof *sim->ts_rows);
    double *row = sim->ts_rows + sim->ts_nrows * (1 + sim->ts_ncols);
    size_t k = 0;
    row[k++] = (double)sim_now(sim) / 1e9;
    struct ts_acc *acc = &sim->ts;
    bool any = hist_count(acc->lat) > 0;
    row[k++] = (double)acc->offered / secs;
    row[k++] = (double)acc->completed / secs;
    row[k++] = (double)acc->failed / secs;
    row[k++] = any ? (double)hist_quantile(acc->lat, 0.5) / 1e6 : (double)NAN;
    row[k++] = any ? (double)hist_quantile(acc->lat, 0.99) / 1e6 : (double)NAN;
    row[k++] = (double)sim->reqs_live;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->no_traffic)
            continue;
        if (!c->kind->is_client) { /* a client has only its extra columns */
            row[k++] = (double)c->st.replicas_up;
            row[k++] = (double)c->st.queued.value;
            row[k++] = (double)c->st.busy.value;
        }
        const char *names[TS_EXTRA_MAX];
        double vals[TS_EXTRA_MAX];
        size_t n = comp_extra(sim, c, names, vals);
        for (size_t j = 0; j < n; j++)
            row[k++] = vals[j];
    }
    sim->ts_nrows++;
    acc->offered = acc->completed = acc->failed = 0;
    hist_reset(acc->lat);
    if (sim_now(sim) + sim->interval_ns <= sim->end_ns)
        sim_after(sim, sim->interval_ns, ts_sample, NULL, NULL);
}

void sim_ts_start(struct sim *sim, int64_t interval_ns)
{
    if (interval_ns <= 0)
        return;
    sim->interval_ns = interval_ns;
    sim->ts.lat = hist_new();
    for (size_t i = 0; i < TS_RUN_COLS; i++)
        ts_add_name(sim, NULL, ts_run_names[i]);
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->no_traffic)
            continue;
        size_t ncomp_cols = c->kind->is_client ? 0 : sizeof ts_comp_names / sizeof ts_comp_names[0];
        for (size_t j = 0; j < ncomp_cols; j++) /* a client has only its extra columns */
            ts_add_name(sim, c->name, ts_comp_names[j]);
        const char *names[TS_EXTRA_MAX];
        double vals[TS_EXTRA_MAX];
        size_t n = comp_extra(sim, c, names, vals);
        for (size_t j = 0; j < n; j++)
            ts_add_name(sim, c->name, names[j]);
    }
    if (interval_ns <= sim->end_ns)
        sim_at(sim, interval_ns, ts_sample, NULL, NULL);
}

void sim_ts_born(struct sim *sim)
{
    sim->ts.offered++;
}

void sim_ts_outcome(struct sim *sim, enum req_status status, int64_t latency_ns)
{
    if (!sim->ts.lat)
        return;
    if (status == REQ_OK) {
        sim->ts.completed++;
        hist_add(sim->ts.lat, latency_ns);
    } else {
        sim->ts.failed++;
    }
}

void sim_link_fault(struct sim *sim, struct link_fault *lf)
{
    sim->links = xrealloc(sim->links, (sim->nlinks + 1) * sizeof *sim->links);
    sim->links[sim->nlinks++] = lf;
}

void sim_note_span(struct sim *sim, const char *name, int64_t from_ns, int64_t to_ns)
{
    sim->spans = xrealloc(sim->spans, (sim->nspans + 1) * sizeof *sim->spans);
    sim->spans[sim->nspans++] = (struct span){name, from_ns, to_ns};
}
