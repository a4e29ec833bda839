/* trace: see trace.h. */
#include "sim/trace.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

_Static_assert(REQ_MAX_DEPTH <= 16, "struct trace_req holds 16 depths");
_Static_assert(REQ_MAX_DEPTH <= 32, "trace_req.queued holds a bit per depth");

#define TRACE_CHUNK 64

void sim_trace_enable(struct sim *sim, double share, size_t max_events)
{
    if (!sim->attr)
        sim_attr_enable(sim); /* the hooks and accumulators; runner turns its sinks off */
    struct sim_trace *t = xcalloc(1, sizeof *t);
    t->all = share >= 1;
    t->threshold = t->all ? UINT64_MAX : (uint64_t)ldexp(share, 64);
    t->max = max_events;
    t->ncomps = sim->ncomps;
    t->track_of = xcalloc(sim->ncomps + 1, sizeof *t->track_of);
    t->nreplicas = xcalloc(sim->ncomps + 1, sizeof *t->nreplicas);
    sim->trace = t;
    sim->msg_hooks = true;
}

void sim_trace_free(struct sim_trace *t)
{
    if (!t)
        return;
    free(t->ev);
    for (size_t i = 0; i < t->nchunks; i++)
        free(t->chunks[i]);
    free(t->chunks);
    for (size_t i = 0; i < t->ncomps; i++)
        free(t->track_of[i]);
    free(t->track_of);
    free(t->nreplicas);
    free(t->tracks);
    free(t);
}

/* ---- tracks ---------------------------------------------------------------- */

static uint32_t track(struct sim_trace *t, const struct component *c, uint32_t replica)
{
    uint32_t id = c->id;
    if (replica >= t->nreplicas[id]) {
        uint32_t n = replica + 1;
        t->track_of[id] = xrealloc(t->track_of[id], n * sizeof **t->track_of);
        memset(t->track_of[id] + t->nreplicas[id], 0,
               (n - t->nreplicas[id]) * sizeof **t->track_of);
        t->nreplicas[id] = n;
    }
    uint32_t *slot = &t->track_of[id][replica];
    if (*slot == 0) {
        if (t->ntracks == t->tracks_cap) {
            t->tracks_cap = t->tracks_cap ? 2 * t->tracks_cap : 16;
            t->tracks = xrealloc(t->tracks, t->tracks_cap * sizeof *t->tracks);
        }
        t->tracks[t->ntracks][0] = id;
        t->tracks[t->ntracks][1] = replica;
        *slot = (uint32_t)++t->ntracks;
    }
    return *slot - 1;
}

/* The track of r's frame i: frame 0 of a child is its parent caller's. */
static uint32_t tid_of(struct sim *sim, const struct request *r, unsigned i)
{
    const struct trace_req *tr = r->attr->tr;
    if (i == 0 && tr->tid0 != UINT32_MAX)
        return tr->tid0;
    const struct frame *f = sim_cframe(r, i);
    /* a client keeps counters in its frames: it has one track */
    return track(sim->trace, f->c, f->c->ops.is_client ? 0 : f->replica);
}

/* ---- events ---------------------------------------------------------------- */

static struct trace_ev *push(struct sim_trace *t)
{
    if (t->n == t->max) {
        t->full = true;
        return NULL;
    }
    if (t->n == t->cap) { /* amortised: doubling, never past max */
        size_t cap = t->cap ? 2 * t->cap : 1024;
        if (cap > t->max)
            cap = t->max;
        t->ev = xrealloc(t->ev, cap * sizeof *t->ev);
        t->cap = cap;
    }
    struct trace_ev *e = &t->ev[t->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static struct trace_ev *span(struct sim_trace *t, enum trace_what what, const struct trace_req *tr,
                 uint32_t tid, int64_t from_ns, int64_t to_ns, uint32_t id, uint32_t parent,
                 bool late)
{
    struct trace_ev *e = push(t);
    if (!e)
        return NULL;
    e->what = (uint8_t)what;
    e->req = tr->req;
    e->tid = tid;
    e->ts_ns = from_ns;
    e->dur_ns = to_ns - from_ns;
    e->span = id;
    e->parent = parent;
    e->late = late;
    return e;
}

/* Has r, or a request it is part of, been given up? Then its spans may end
 * after their parents'. (A parent is valid while its child is not given up.) */
static bool given_up(const struct request *r)
{
    for (; r; r = r->parent)
        if (r->abandoned)
            return true;
    return false;
}

/* ---- sampling -------------------------------------------------------------- */

static struct trace_req *tr_take(struct sim_trace *t)
{
    if (!t->free_tr) {
        struct trace_req *c = xcalloc(TRACE_CHUNK, sizeof *c);
        t->chunks = xrealloc(t->chunks, (t->nchunks + 1) * sizeof *t->chunks);
        t->chunks[t->nchunks++] = c;
        for (size_t i = TRACE_CHUNK; i-- > 0;) {
            c[i].next_free = t->free_tr;
            t->free_tr = &c[i];
        }
    }
    struct trace_req *tr = t->free_tr;
    t->free_tr = tr->next_free;
    memset(tr, 0, sizeof *tr);
    tr->tid0 = UINT32_MAX;
    return tr;
}

/* A client's request (a root whose first frame is a client) is sampled by
 * a hash of its id. */
static struct trace_req *sampled(struct sim *sim, struct request *r)
{
    struct req_attr *x = r->attr;
    if (x->tr || x->tr_decided)
        return x->tr;
    x->tr_decided = true;
    struct sim_trace *t = sim->trace;
    if (r->parent || r->depth == 0 || !sim_frame(r, 0)->c->ops.is_client)
        return NULL;
    if (!t->all && rng_mix64(r->id) >= t->threshold)
        return NULL;
    struct trace_req *tr = x->tr = tr_take(t);
    t->sampled++;
    tr->req = r->id;
    tr->span[0] = tr->span[1] = ++t->next_span;
    tr->arrive[0] = r->born_ns;
    return tr;
}

void trace_begin(struct sim *sim, struct request *r)
{
    struct req_attr *x = r->attr;
    if (x->tr) { /* the slot's last request's state */
        x->tr->next_free = sim->trace->free_tr;
        sim->trace->free_tr = x->tr;
        x->tr = NULL;
    }
    x->tr_decided = false;
}

void trace_child(struct sim *sim, struct request *r)
{
    struct request *p = r->parent;
    struct req_attr *x = r->attr;
    x->tr_decided = true;
    struct trace_req *pt = sampled(sim, p);
    if (!pt || p->depth == 0)
        return;
    struct trace_req *tr = x->tr = tr_take(sim->trace);
    unsigned k = p->depth - 1u;
    tr->req = pt->req;
    tr->span[0] = pt->span[k];
    tr->arrive[0] = sim_now(sim);
    tr->tid0 = tid_of(sim, p, k);
}

/* ---- the hooks --------------------------------------------------------------- */

void trace_queue(struct sim *sim, struct request *r)
{
    struct trace_req *tr = r->attr->tr;
    if (!tr || r->depth == 0)
        return;
    if (tr->msg) { /* a consumer took the message */
        tr->queued = 1;
        tr->start_ns = sim_now(sim);
        return;
    }
    unsigned d = r->depth - 1u;
    if (d == 0) /* a client's own frame: not a hop */
        return;
    tr->queued |= 1u << d;
    tr->started[d] = sim_now(sim);
    span(sim->trace, TRACE_QUEUE, tr, tid_of(sim, r, d), tr->arrive[d], sim_now(sim),
         ++sim->trace->next_span, tr->span[d], given_up(r));
}

void trace_send(struct sim *sim, struct request *r, const struct component *from, int64_t delay_ns)
{
    (void)from;
    struct trace_req *tr = r->parent ? r->attr->tr : sampled(sim, r);
    if (!tr || r->depth == 0)
        return;
    struct sim_trace *t = sim->trace;
    unsigned d = r->depth;
    assert(d < REQ_MAX_DEPTH);
    int64_t now = sim_now(sim);
    tr->span[d] = ++t->next_span;
    tr->arrive[d] = now + delay_ns;
    tr->queued &= ~(1u << d);
    uint32_t tid = tid_of(sim, r, d - 1);
    bool late = given_up(r);
    if (delay_ns > 0)
        span(t, TRACE_NETWORK, tr, tid, now, now + delay_ns, ++t->next_span, tr->span[d - 1], late);
    struct trace_ev *e = push(t);
    if (e) {
        e->what = TRACE_FLOW_OUT;
        e->req = tr->req;
        e->tid = tid;
        e->ts_ns = now;
        e->span = tr->span[d];
    }
}

void trace_reply(struct sim *sim, struct request *r, int64_t delay_ns)
{
    struct trace_req *tr = r->attr->tr;
    unsigned d = r->depth; /* the replier's frame */
    if (!tr || d == 0)
        return;
    struct sim_trace *t = sim->trace;
    int64_t now = sim_now(sim);
    const struct frame *f = sim_frame(r, d);
    uint32_t tid = tid_of(sim, r, d);
    bool late = given_up(r);
    struct trace_ev *e = push(t);
    if (e) {
        e->what = TRACE_FLOW_IN;
        e->req = tr->req;
        e->tid = tid;
        e->ts_ns = tr->arrive[d];
        e->span = tr->span[d];
    }
    struct trace_ev *h =
        span(t, TRACE_HOP, tr, tid, tr->arrive[d], now, tr->span[d], tr->span[d - 1], late);
    if (h)
        h->comp = f->c->id;
    if (tr->queued & (1u << d)) {
        tr->queued &= ~(1u << d);
        span(t, TRACE_SERVICE, tr, tid, tr->started[d], now, ++t->next_span, tr->span[d], late);
    }
    if (delay_ns > 0)
        span(t, TRACE_NETWORK, tr, tid_of(sim, r, d - 1), now, now + delay_ns, ++t->next_span,
             tr->span[d - 1], late);
}

void trace_backoff(struct sim *sim, struct request *r, int64_t from_ns)
{
    struct trace_req *tr = r->attr->tr;
    if (!tr || r->depth == 0)
        return;
    span(sim->trace, TRACE_BACKOFF, tr, tid_of(sim, r, r->depth - 1), from_ns, sim_now(sim),
         ++sim->trace->next_span, tr->span[0], false);
}

void trace_end(struct sim *sim, const struct component *c, const struct request *r, int status,
               int64_t latency_ns)
{
    (void)c;
    struct trace_req *tr = r->attr->tr;
    if (!tr)
        return;
    struct sim_trace *t = sim->trace;
    int64_t now = sim_now(sim);
    struct trace_ev *e =
        span(t, TRACE_REQUEST, tr, tid_of(sim, r, 0), now - latency_ns, now, tr->span[0], 0, false);
    if (e)
        e->status = (uint8_t)status;
}

/* ---- messages ---------------------------------------------------------------- */

/* m's trace state for a delivery from now, of the request req published in
 * span pub_span (track pub_tid, from pub_ns). */
static void msg_begin(struct sim *sim, struct request *m, uint64_t req, uint32_t pub_span,
                      uint32_t pub_tid, int64_t pub_ns, uint32_t caller_tid)
{
    struct req_attr *x = m->attr;
    if (!x)
        return;
    if (x->tr) { /* not expected: m is new; reuse nothing */
        x->tr->next_free = sim->trace->free_tr;
        sim->trace->free_tr = x->tr;
    }
    struct trace_req *tr = x->tr = tr_take(sim->trace);
    x->tr_decided = true;
    tr->msg = true;
    tr->req = req;
    tr->pub_span = pub_span;
    tr->pub_tid = pub_tid;
    tr->pub_ns = pub_ns;
    tr->caller_tid = caller_tid;
    tr->span[0] = ++sim->trace->next_span;
    tr->arrive[0] = sim_now(sim);
}

void trace_msg_publish(struct sim *sim, const struct request *r, struct request *m)
{
    const struct trace_req *pt = r->attr ? r->attr->tr : NULL;
    if (!pt)
        return;
    if (pt->msg) { /* a dead letter: its publish is the message's */
        msg_begin(sim, m, pt->req, pt->pub_span, pt->pub_tid, pt->pub_ns, pt->caller_tid);
        return;
    }
    if (r->depth < 2) /* the queue's frame, below its publisher's */
        return;
    unsigned d = r->depth - 1u;
    msg_begin(sim, m, pt->req, pt->span[d], tid_of(sim, r, d), pt->arrive[d],
              tid_of(sim, r, d - 1));
}

void trace_msg_copy(struct sim *sim, const struct request *m, struct request *copy)
{
    const struct trace_req *pt = m->attr ? m->attr->tr : NULL;
    if (pt && pt->msg)
        msg_begin(sim, copy, pt->req, pt->pub_span, pt->pub_tid, pt->pub_ns, pt->caller_tid);
}

void trace_msg_end(struct sim *sim, struct request *m, bool final)
{
    struct trace_req *tr = m->attr ? m->attr->tr : NULL;
    if (!tr || !tr->msg || m->depth == 0)
        return;
    struct sim_trace *t = sim->trace;
    int64_t now = sim_now(sim);
    if (tr->acking) { /* its delivery is drawn (trace_msg_processed) */
        tr->acking = false;
        tr->arrive[0] = now; /* a lost ack: its next delivery starts now */
        return;
    }
    const struct frame *f = sim_frame(m, 0);
    uint32_t tid = track(t, f->c, f->replica);
    struct trace_ev *e = push(t); /* the flow: from the publish to this delivery */
    if (e) {
        e->what = TRACE_FLOW_OUT;
        e->req = tr->req;
        e->tid = tr->pub_tid;
        e->ts_ns = tr->pub_ns;
        e->span = tr->span[0];
    }
    e = push(t);
    if (e) {
        e->what = TRACE_FLOW_IN;
        e->req = tr->req;
        e->tid = tid;
        e->ts_ns = tr->arrive[0];
        e->span = tr->span[0];
    }
    struct trace_ev *h =
        span(t, TRACE_DELIVERY, tr, tid, tr->arrive[0], now, tr->span[0], tr->pub_span, false);
    if (h)
        h->comp = f->c->id;
    if (tr->queued & 1u) {
        span(t, TRACE_QUEUE, tr, tid, tr->arrive[0], tr->start_ns, ++t->next_span, tr->span[0],
             false);
        span(t, TRACE_SERVICE, tr, tid, tr->start_ns, now, ++t->next_span, tr->span[0], false);
    }
    tr->queued = 0;
    if (!final) { /* delivered again from now */
        tr->span[0] = ++t->next_span;
        tr->arrive[0] = now;
    }
}

void trace_msg_processed(struct sim *sim, struct request *m)
{
    struct trace_req *tr = m->attr ? m->attr->tr : NULL;
    if (!tr || !tr->msg || m->depth == 0)
        return;
    trace_msg_end(sim, m, false);
    tr->acking = true;
}

static void flow(struct sim_trace *t, enum trace_what what, enum trace_flow kind,
                 const struct trace_req *tr, uint32_t tid, int64_t ts_ns, uint32_t span_id)
{
    struct trace_ev *e = push(t);
    if (e) {
        e->what = (uint8_t)what;
        e->status = (uint8_t)kind;
        e->req = tr->req;
        e->tid = tid;
        e->ts_ns = ts_ns;
        e->span = span_id;
    }
}

void trace_msg_reply(struct sim *sim, const struct request *m, const struct component *rq,
                     uint32_t part, int64_t delay_ns)
{
    const struct trace_req *tr = m->attr ? m->attr->tr : NULL;
    if (!tr || !tr->msg || m->depth == 0)
        return;
    struct sim_trace *t = sim->trace;
    int64_t now = sim_now(sim), at = now + (delay_ns > 0 ? delay_ns : 0);
    const struct frame *f = sim_cframe(m, 0);
    uint32_t from = track(t, f->c, f->replica), tid = track(t, rq, part);
    uint32_t id = ++t->next_span;
    /* the span first: a flow binds to the slice enclosing it */
    struct trace_ev *h = span(t, TRACE_REPLY, tr, tid, now, at, id, tr->pub_span, false);
    if (h)
        h->comp = rq->id;
    flow(t, TRACE_FLOW_OUT, TRACE_FLOW_TO_REPLY, tr, from, now, id);
    flow(t, TRACE_FLOW_IN, TRACE_FLOW_TO_REPLY, tr, tid, now, id);
    flow(t, TRACE_FLOW_OUT, TRACE_FLOW_TO_CALLER, tr, tid, now, id);
    flow(t, TRACE_FLOW_IN, TRACE_FLOW_TO_CALLER, tr, tr->caller_tid, at, id);
}

/* ---- the result -------------------------------------------------------------- */

struct trace_result *sim_trace_take(struct sim *sim)
{
    struct sim_trace *t = sim->trace;
    if (!t)
        return NULL;
    struct trace_result *res = xcalloc(1, sizeof *res);
    res->ev = t->ev;
    res->n = t->n;
    t->ev = NULL;
    t->n = t->cap = 0;
    res->full = t->full;
    res->sampled = t->sampled;
    res->ntracks = t->ntracks;
    res->tracks = xcalloc(t->ntracks + 1, sizeof *res->tracks);
    for (size_t i = 0; i < t->ntracks; i++) {
        uint32_t ci = t->tracks[i][0], rep = t->tracks[i][1];
        const char *name = sim->comps[ci]->name;
        size_t len = strlen(name) + 16;
        res->tracks[i] = xcalloc(len, 1);
        if (t->nreplicas[ci] > 1)
            snprintf(res->tracks[i], len, "%s[%u]", name, rep);
        else
            snprintf(res->tracks[i], len, "%s", name);
    }
    res->ncomps = sim->ncomps;
    res->comps = xcalloc(sim->ncomps + 1, sizeof *res->comps);
    for (size_t i = 0; i < sim->ncomps; i++)
        res->comps[i] = xstrdup(sim->comps[i]->name);
    return res;
}

void trace_result_free(struct trace_result *t)
{
    if (!t)
        return;
    free(t->ev);
    for (size_t i = 0; i < t->ntracks; i++)
        free(t->tracks[i]);
    free(t->tracks);
    for (size_t i = 0; i < t->ncomps; i++)
        free(t->comps[i]);
    free(t->comps);
    free(t);
}
