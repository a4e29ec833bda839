/* service: a pool of replicas, each with `workers` servers sharing one FIFO
 * queue of bounded or unbounded length; a balance policy picks the replica.
 * A request's service demand is drawn from its birth seed (common random
 * numbers) and divided by the replica's speed. After its own service a
 * request may call other components in sequence (`calls`); a worker stays
 * taken during the calls unless `async = true`, which frees it as soon as
 * the service itself is done (an event-loop server, or a pipeline stage).
 *
 * Invariants: per replica, busy <= workers and the queue is empty whenever
 * busy < workers; st.busy, st.queued and st.insys always equal the sums over
 * replicas. A request is in st.insys from arrival to reply. */
#include <stdlib.h>
#include <string.h>

#include "models/balance.h"
#include "models/kind.h"
#include "output/hist.h"
#include "sim/xalloc.h"

struct replica {
    uint32_t busy;
    struct request **ring; /* FIFO queue as a ring buffer */
    size_t head, len, cap;
};

struct service {
    struct component base;
    uint32_t nreplicas;
    uint32_t workers;
    long long queue_cap; /* -1: unbounded */
    struct dist demand;
    bool async;
    double error_rate;
    struct balance bal;
    struct replica *reps;
};

static const struct param_spec params[] = {
    {"service", "dist", NULL, "service time of one request, e.g. exp(mean=10ms)"},
    {"replicas", "int", "1", "identical replicas, each with its own workers and queue"},
    {"workers", "int", "1", "requests one replica serves at once"},
    {"queue", "int|unbounded", "unbounded",
     "waiting room per replica; a request that finds it full is rejected (0: none, Erlang B)"},
    {"balance", "policy", "round_robin", "how a request picks a replica (see `sdsim list balance`)"},
    {"calls", "components", NULL, "components called in sequence after the service, e.g. db, cache"},
    {"async", "bool", "false", "free the worker while calls are outstanding"},
    {"error_rate", "fraction", "0", "probability that a request fails after its service"},
    {"latency", "dist", NULL, "one-way network delay of each call this service makes"},
    {NULL, NULL, NULL, NULL},
};

static void ring_push(struct replica *rp, struct request *r)
{
    if (rp->len == rp->cap) {
        size_t ncap = rp->cap ? 2 * rp->cap : 16;
        struct request **nr = xmalloc(ncap * sizeof *nr);
        for (size_t i = 0; i < rp->len; i++)
            nr[i] = rp->ring[(rp->head + i) % rp->cap];
        free(rp->ring);
        rp->ring = nr;
        rp->cap = ncap;
        rp->head = 0;
    }
    rp->ring[(rp->head + rp->len) % rp->cap] = r;
    rp->len++;
}

static struct request *ring_pop(struct replica *rp)
{
    struct request *r = rp->ring[rp->head];
    rp->head = (rp->head + 1) % rp->cap;
    rp->len--;
    return r;
}

static void service_done(struct sim *sim, void *a, void *b);

static void begin(struct sim *sim, struct service *sv, struct request *r)
{
    struct frame *f = sim_top(r);
    struct replica *rp = &sv->reps[f->replica];
    rp->busy++;
    f->holds_worker = true;
    sim_level_add(sim, &sv->base.st.busy, 1);
    f->start_ns = sim_now(sim);
    hist_add(sv->base.st.wait, f->start_ns - f->arrive_ns);
    struct rng wr;
    sim_work_rng(r, &sv->base, 0, &wr);
    int64_t t = dist_sample_ns(&sv->demand, &wr);
    sim_after(sim, t, service_done, sv, r);
}

static void release_worker(struct sim *sim, struct service *sv, struct frame *f)
{
    struct replica *rp = &sv->reps[f->replica];
    f->holds_worker = false;
    rp->busy--;
    sim_level_add(sim, &sv->base.st.busy, -1);
    if (sv->bal.pol->on_done) {
        sv->bal.now_ns = sim_now(sim);
        sv->bal.pol->on_done(&sv->bal, f->replica, sim_now(sim) - f->arrive_ns);
    }
    if (rp->len > 0) {
        sim_level_add(sim, &sv->base.st.queued, -1);
        begin(sim, sv, ring_pop(rp));
    }
}

/* The request is done here: free the worker (which may start the next one),
 * account, and reply last, because the reply may run the caller at once. */
static void finish(struct sim *sim, struct service *sv, struct request *r)
{
    struct frame *f = sim_top(r);
    if (f->holds_worker)
        release_worker(sim, sv, f);
    struct comp_stats *st = &sv->base.st;
    sim_level_add(sim, &st->insys, -1);
    hist_add(st->resp, sim_now(sim) - f->arrive_ns);
    if (r->status == REQ_OK)
        st->completed++;
    else
        st->errors++;
    sim_reply(sim, r);
}

static void service_done(struct sim *sim, void *a, void *b)
{
    struct service *sv = a;
    struct request *r = b;
    struct frame *f = sim_top(r);
    hist_add(sv->base.st.local, sim_now(sim) - f->arrive_ns);
    if (sv->error_rate > 0) {
        struct rng wr;
        sim_work_rng(r, &sv->base, 1, &wr);
        if (rng_uniform(&wr) < sv->error_rate) {
            r->status = REQ_ERROR;
            finish(sim, sv, r);
            return;
        }
    }
    if (sv->base.ncallees == 0) {
        finish(sim, sv, r);
        return;
    }
    if (sv->async)
        release_worker(sim, sv, f);
    f->step = 0;
    sim_send(sim, &sv->base, r, sv->base.callees[0]);
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct service *sv = (struct service *)c;
    struct frame *f = sim_top(r);
    f->step++;
    if (r->status != REQ_OK || f->step >= c->ncallees) {
        finish(sim, sv, r);
        return;
    }
    sim_send(sim, c, r, c->callees[f->step]);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct service *sv = (struct service *)c;
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    sv->bal.now_ns = sim_now(sim);
    uint32_t i = balance_pick(&sv->bal, r);
    f->replica = i;
    struct replica *rp = &sv->reps[i];
    if (sv->bal.pol->on_start)
        sv->bal.pol->on_start(&sv->bal, i);
    if (rp->busy < sv->workers) {
        sim_level_add(sim, &c->st.insys, 1);
        begin(sim, sv, r);
    } else if (sv->queue_cap < 0 || (long long)rp->len < sv->queue_cap) {
        sim_level_add(sim, &c->st.insys, 1);
        sim_level_add(sim, &c->st.queued, 1);
        ring_push(rp, r);
    } else {
        if (sv->bal.pol->on_done)
            sv->bal.pol->on_done(&sv->bal, i, 0);
        c->st.rejected++;
        r->status = REQ_REJECTED;
        sim_reply(sim, r);
    }
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct service *sv = (struct service *)c;
    int rc = 0;
    long long n, w;
    bool present;
    if (kp_int(s, params, "replicas", 1, 100000, &n, d) < 0)
        rc = -1, n = 1;
    if (kp_int(s, params, "workers", 1, 10000000, &w, d) < 0)
        rc = -1, w = 1;
    sv->nreplicas = (uint32_t)n;
    sv->workers = (uint32_t)w;
    struct loc qloc;
    const char *q = kp_raw(s, params, "queue", &qloc);
    if (strcmp(q, "unbounded") == 0 || strcmp(q, "inf") == 0)
        sv->queue_cap = -1;
    else if (strspn(q, "0123456789") != strlen(q))
        rc = diag_error(d, qloc, "bad queue '%s': a number of waiting places, or 'unbounded'", q);
    else if (kp_int(s, params, "queue", 0, 1000000000, &sv->queue_cap, d) < 0)
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
    struct loc bloc;
    const char *bal = kp_raw(s, params, "balance", &bloc);
    struct rng brng;
    rng_stream(&brng, sim->seed, c->name, "balance");
    if (balance_setup(&sv->bal, bal, bloc, sv->nreplicas, &brng, d) < 0)
        rc = -1;
    sv->reps = xcalloc(sv->nreplicas, sizeof *sv->reps);
    sim_stats_init(sim, &c->st, true);
    c->st.servers = (double)sv->nreplicas * (double)sv->workers;
    c->st.replicas_up = sv->nreplicas;
    return rc;
}

static void fini(struct component *c)
{
    struct service *sv = (struct service *)c;
    for (uint32_t i = 0; sv->reps && i < sv->nreplicas; i++)
        free(sv->reps[i].ring);
    free(sv->reps);
    balance_fini(&sv->bal);
    dist_fini(&sv->demand);
}

const struct kind kind_service = {
    .name = "service",
    .summary = "replicas x workers with a FIFO queue each; optional calls to other components",
    .params = params,
    .size = sizeof(struct service),
    .build = build,
    .on_request = on_request,
    .on_reply = on_reply,
    .fini = fini,
};
