/* client: request generation, timeouts, simple retries and end-to-end
 * accounting. A request keeps its client frame at the bottom of its stack;
 * the frame's timer is the pending timeout. When the timeout fires first the
 * request is marked abandoned and counted as a timeout; its late reply is
 * then dropped here, so nothing is counted twice. */
#include "models/client.h"

#include <stdlib.h>

#include "models/arrival.h"
#include "models/keys.h"
#include "models/kind.h"
#include "output/hist.h"
#include "output/stats.h"

struct client {
    struct component base;
    struct arrival arrival;
    bool closed;            /* closed loop: users + think */
    long long users;
    struct dist think;
    int64_t timeout_ns;     /* 0: wait forever */
    long long max_attempts; /* 0: unlimited */
    bool has_keys;
    struct keys keys;
    double writes;          /* fraction of requests that are writes */
    struct rng arrival_rng;
    struct rng work_rng;
    struct rng think_rng;
    struct rng key_rng;     /* keys and read/write: their own stream */
    struct client_totals tot;
};

static const struct param_spec params[] = {
    {"to", "component", NULL, "where requests go"},
    {"arrival", "arrival", "",
     "open-loop arrival process, e.g. poisson(rate=100/s) (see `sdsim list arrival`); "
     "or use users + think"},
    {"keys", "keys", "uniform(n=1000000)",
     "key of each request, e.g. zipf(n=100000, s=0.99) (see `sdsim list keys`)"},
    {"writes", "fraction", "0", "share of requests that are writes (the rest are reads)"},
    {"users", "int", "", "closed loop: number of users, each with one request at a time"},
    {"think", "dist", "exp(mean=1s)", "closed loop: think time between a reply and the next request"},
    {"timeout", "duration", "0", "give up on a request after this long (0: never)"},
    {"attempts", "int", "1",
     "attempts per request on error, retried at once (0: unlimited; backoff comes later)"},
    {"latency", "dist", "", "one-way network delay to `to` (and back), e.g. const(1ms)"},
    {NULL, NULL, NULL, NULL},
};

const struct client_totals *client_totals(const struct component *c)
{
    return &((const struct client *)c)->tot;
}

static void send_new(struct sim *sim, struct client *cl, uint32_t user);

static void on_timeout(struct sim *sim, void *a, void *b)
{
    struct client *cl = a;
    struct request *r = b;
    r->stack[0].timer = EVQ_NONE;
    r->abandoned = true;
    sim_ts_outcome(sim, REQ_TIMEOUT, 0);
    if (r->measured)
        cl->tot.timeouts++;
    if (cl->closed)
        send_new(sim, cl, r->user);
}

static void send_new(struct sim *sim, struct client *cl, uint32_t user)
{
    struct request *r = sim_req_new(sim);
    r->work_seed = rng_next(&cl->work_rng);
    r->born_ns = sim_now(sim);
    r->measured = sim->measuring;
    r->user = user;
    if (!cl->closed && cl->arrival.has_item) { /* trace replay gives both */
        r->key = cl->arrival.item_key;
        r->op = cl->arrival.item_op;
    } else {
        r->key = cl->has_keys ? keys_next(&cl->keys, &cl->key_rng) : 0;
        r->op = cl->writes > 0 && rng_uniform(&cl->key_rng) < cl->writes;
    }
    struct frame *f = sim_enter(r, &cl->base);
    f->arrive_ns = r->born_ns;
    sim_ts_born(sim);
    if (r->measured) {
        cl->tot.offered++;
        cl->tot.attempts++;
    }
    if (cl->timeout_ns > 0)
        f->timer = sim_after(sim, cl->timeout_ns, on_timeout, cl, r);
    sim_send(sim, &cl->base, r, cl->base.callees[0]);
}

static void user_wakes(struct sim *sim, void *a, void *b)
{
    send_new(sim, a, (uint32_t)(uintptr_t)b);
}

static void think_then_send(struct sim *sim, struct client *cl, uint32_t user)
{
    int64_t t = dist_sample_ns(&cl->think, &cl->think_rng);
    sim_after(sim, t, user_wakes, cl, (void *)(uintptr_t)user);
}

static void next_arrival(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct client *cl = a;
    send_new(sim, cl, UINT32_MAX);
    int64_t gap = cl->arrival.pol->next_gap(&cl->arrival, sim_now(sim), &cl->arrival_rng);
    if (gap != INT64_MAX && sim_now(sim) + gap <= sim->end_ns)
        sim_after(sim, gap, next_arrival, cl, NULL);
}

static void start(struct sim *sim, struct component *c)
{
    struct client *cl = (struct client *)c;
    if (cl->closed) {
        for (long long u = 0; u < cl->users; u++)
            think_then_send(sim, cl, (uint32_t)u);
        return;
    }
    int64_t gap = cl->arrival.pol->next_gap(&cl->arrival, 0, &cl->arrival_rng);
    if (gap != INT64_MAX && gap <= sim->end_ns)
        sim_after(sim, gap, next_arrival, cl, NULL);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
}

static void done(struct sim *sim, struct client *cl, struct request *r)
{
    uint32_t user = r->user;
    sim_req_free(sim, r);
    if (cl->closed)
        think_then_send(sim, cl, user);
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct client *cl = (struct client *)c;
    struct frame *f = &r->stack[0];
    if (r->abandoned) { /* counted when it timed out */
        sim_req_free(sim, r);
        return;
    }
    if (r->status == REQ_ERROR &&
        (cl->max_attempts == 0 || (long long)r->attempt + 1 < cl->max_attempts)) {
        r->attempt++;
        r->status = REQ_OK;
        if (r->measured)
            cl->tot.attempts++;
        sim_send(sim, c, r, c->callees[0]);
        return;
    }
    if (f->timer != EVQ_NONE)
        evq_cancel(sim->q, f->timer);
    if (r->status == REQ_OK)
        sim_observe(sim, sim_now(sim) - r->born_ns, r->measured);
    sim_ts_outcome(sim, (enum req_status)r->status, sim_now(sim) - r->born_ns);
    if (r->measured) {
        switch (r->status) {
        case REQ_OK:
            cl->tot.completed++;
            hist_add(cl->tot.latency, sim_now(sim) - r->born_ns);
            break;
        case REQ_REJECTED:
            cl->tot.rejected++;
            break;
        default:
            cl->tot.errors++;
            break;
        }
    }
    done(sim, cl, r);
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct client *cl = (struct client *)c;
    int rc = kind_read_callees(sim, c, s, "to", true, d);
    if (c->ncallees > 1)
        rc = diag_error(d, c->callee_locs[1], "a client sends to one component ('to = NAME')");
    struct loc aloc, uloc;
    const char *arr = kp_raw(s, params, "arrival", &aloc);
    const char *users = kp_raw(s, params, "users", &uloc);
    if (arr && users)
        rc = diag_error(d, uloc, "give either 'arrival' (open loop) or 'users' (closed loop), not both");
    else if (!arr && !users)
        rc = diag_error(d, s->loc, "[client %s] needs 'arrival = poisson(rate=...)' or 'users = N'",
                        s->name);
    else if (arr && arrival_setup(&cl->arrival, arr, aloc, d) < 0)
        rc = -1;
    cl->closed = users != NULL;
    bool present;
    if (cl->closed) {
        if (kp_int(s, params, "users", 1, 10000000, &cl->users, d) < 0)
            rc = -1;
        if (kp_dist(s, params, "think", DIST_DURATION, &cl->think, &present, d) < 0)
            rc = -1;
    } else if (sc_find_entry(s, "think")) {
        rc = diag_error(d, sc_find_entry(s, "think")->key_loc,
                        "'think' needs a closed loop ('users = N')");
    }
    if (kp_duration(s, params, "timeout", &cl->timeout_ns, d) < 0)
        rc = -1;
    if (kp_int(s, params, "attempts", 0, 1000000, &cl->max_attempts, d) < 0)
        rc = -1;
    struct loc kloc;
    const char *keys = kp_raw(s, params, "keys", &kloc);
    if (keys_setup(&cl->keys, keys, kloc, d) < 0)
        rc = -1;
    else
        cl->has_keys = true;
    if (kp_fraction(s, params, "writes", &cl->writes, d) < 0)
        rc = -1;
    rng_stream(&cl->key_rng, sim->seed, c->name, "keys");
    rng_stream(&cl->arrival_rng, sim->seed, c->name, "arrivals");
    rng_stream(&cl->work_rng, sim->seed, c->name, "work");
    rng_stream(&cl->think_rng, sim->seed, c->name, "think");
    cl->tot.latency = hist_new();
    return rc;
}

static void fini(struct component *c)
{
    struct client *cl = (struct client *)c;
    if (cl->closed)
        dist_fini(&cl->think);
    else
        arrival_fini(&cl->arrival);
    if (cl->has_keys)
        keys_fini(&cl->keys);
    hist_free(cl->tot.latency);
}

const struct kind kind_client = {
    .name = "client",
    .summary = "generates requests (open or closed loop) and measures end-to-end latency",
    .params = params,
    .size = sizeof(struct client),
    .build = build,
    .start = start,
    .build_stage = 1,
    .on_request = on_request,
    .on_reply = on_reply,
    .fini = fini,
    .is_client = true,
};
