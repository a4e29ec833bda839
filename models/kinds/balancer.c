/* balancer: a load balancer in front of a service's replicas. It picks a
 * replica with any balance policy, from its own view: the in-flight counts
 * and latencies it sees are those of the requests it sent, so several
 * balancers in front of one pool each decide on partial information, as real
 * ones spread over several hosts do. It keeps replicas out of rotation by
 *
 * - active health checks (`health = active(...)`): every interval each
 *   replica is probed; a probe fails when the replica is down (the reply
 *   would never come) and takes `timeout` to say so; `unhealthy`
 *   consecutive failures take a replica out, `healthy` successes bring it
 *   back (Envoy, HAProxy and Kubernetes readiness probes work this way);
 * - passive outlier detection (`outlier = consecutive(...)`): `errors`
 *   consecutive failed replies eject a replica for base * 2^(k-1), k being
 *   the number of times it was ejected, capped at max (Envoy's outlier
 *   detection).
 *
 * When the policy picks a replica that is out of rotation the balancer asks
 * the policy again (up to 3 times), then takes the next replica in rotation
 * by index: O(n) only while replicas are out. With none left, the request
 * fails at once (a 503).
 *
 * With `limit = ...` (models/admission/limit.h) the balancer is a gateway: each
 * request is first checked by the rate limiter; a refused one is answered
 * at once as rate limited (a 429, with the limiter's Retry-After hint when
 * `retry_after = true`), and a leaky bucket's delayed one waits its turn
 * before it is sent on.
 *
 * A limiter shared by several gateway nodes is modelled two ways:
 *
 * - `store = NAME`: the count lives in a counter store (a `store`
 *   component). Each check is a write of the scope's counter (its key is
 *   the scope value) sent to the store; the request waits for the reply,
 *   and the limiter decides when it comes back (the store's answer, in the
 *   order the answers arrive): exact, at the price of the store's latency
 *   and queue. A check that fails (the store refuses it, errs, is down) or
 *   gets no answer within `store_timeout` is settled by `on_store_error`:
 *   allow (let the request through uncounted: fail open) or deny (the
 *   request fails as an error: fail closed).
 * - `sync = 100ms` with `limit_nodes = N`: each request goes to one of N
 *   gateway nodes (uniformly at random), and each node decides alone, on
 *   its own copy of the limiter. Every interval the nodes send their counts
 *   to the others: after a sync a node's copy holds the global count (all
 *   nodes' admissions so far), and it adds its own admissions until the
 *   next, so it admits against the global limit minus the others' counts
 *   as of the last sync. Between syncs the others' admissions are unseen:
 *   the cluster admits more than the limit (over_admission).
 *
 * Both keep a shadow: the one exact limiter at one place that every
 * request would have met, and report over_admission = admitted / what the
 * shadow admitted - 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/balance/balance.h"
#include "models/kind.h"
#include "models/admission/limit.h"
#include "models/kinds/nodeload.h"
#include "models/napkin.h"
#include "models/kinds/service.h"
#include "models/kinds/store.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

struct upstream {
    bool healthy;          /* active checks say it is up */
    uint32_t fails, oks;   /* consecutive probe results */
    uint32_t errors;       /* consecutive failed replies */
    uint32_t ejections;    /* times ejected so far */
    int64_t ejected_until; /* outlier detection: out until then */
};

struct balancer {
    struct component base;
    struct component *pool;
    uint32_t n;
    struct balance bal;
    struct upstream *up;
    /* active health checks; interval 0: off */
    int64_t hc_interval, hc_timeout;
    uint32_t hc_unhealthy, hc_healthy;
    /* outlier detection; errors 0: off */
    uint32_t od_errors;
    int64_t od_base, od_max;
    uint64_t no_upstream; /* requests failed because no replica was in rotation */
    uint64_t ejections;   /* outlier ejections so far */
    bool has_limit;       /* `limit` set: lim checks every request */
    bool retry_after;     /* rate-limited replies carry the limiter's hint */
    struct limit lim;     /* the gateway's limiter (with sync: the global count) */
    /* distributed limiting (see the top of this file) */
    bool has_store;          /* `store`: checks go to callees[1] */
    bool fail_open;          /* on_store_error = allow */
    int64_t store_timeout_ns;
    int64_t sync_ns;         /* `sync`: 0 off */
    uint32_t nnodes;         /* limit_nodes */
    struct limit *nodes;     /* with sync: each node's copy */
    struct rng node_rng;     /* which node a request reaches */
    bool has_shadow;
    struct limit shadow;     /* the exact limiter at one place */
    uint64_t store_checks, store_errors; /* measured window */
    int64_t check_ns_sum;    /* time the measured checks took */
    struct nodeload load; /* per-replica shares and in-flight levels, for metrics */
};

static const struct param_spec params[] = {
    {"to", "component", NULL, "the service whose replicas this balancer spreads requests over"},
    {"policy", "policy", "round_robin", "balance policy (see `sdsim list balance`)"},
    {"health", "checks", "none",
     "active(interval=5s, timeout=1s, unhealthy=3, healthy=2) or none"},
    {"outlier", "detection", "none", "consecutive(errors=5, base=30s, max=300s) or none"},
    {"latency", "dist", "", "one-way network delay to the replicas (and back)"},
    {"limit", "policy", "none",
     "rate limiter in front of the replicas, e.g. token_bucket(rate=100/s, burst=20, per=key) "
     "(see `sdsim list limit`); refused requests end as rate_limited"},
    {"retry_after", "bool", "false",
     "rate-limited replies carry a Retry-After hint (when the limiter would admit the next "
     "one); a client retrying on rate_limited waits at least that long"},
    {"store", "component", "",
     "the limit's count lives in this store: each check is a write to it (key: the scope), "
     "and the request waits for the answer (the cost of a central counter)"},
    {"store_timeout", "duration", "1s",
     "with store: a check not answered in this time is a store error"},
    {"on_store_error", "allow|deny", "allow",
     "with store: a failed or timed-out check lets the request through uncounted (allow: fail "
     "open) or fails it as an error (deny: fail closed)"},
    {"sync", "duration", "0",
     "the limit runs on limit_nodes gateway nodes, each deciding on its own copy; every sync "
     "interval they exchange counts (a node admits against the global limit minus the others' "
     "counts as of the last sync); 0: one node"},
    {"limit_nodes", "int", "1", "with sync: gateway nodes, each request reaching one at random"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec active_params[] = {
    {"interval", "duration", "5s", "time between probes of each replica"},
    {"timeout", "duration", "1s", "a probe with no answer fails after this"},
    {"unhealthy", "int", "3", "consecutive failed probes that take a replica out"},
    {"healthy", "int", "2", "consecutive good probes that bring it back"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec outlier_params[] = {
    {"errors", "int", "5", "consecutive failed replies that eject a replica"},
    {"base", "duration", "30s", "first ejection time; doubles with each ejection"},
    {"max", "duration", "300s", "longest ejection"},
    {NULL, NULL, NULL, NULL},
};

/* The health checks and outlier detections, as two policy families. */
static const struct param_spec none_params[] = {{NULL, NULL, NULL, NULL}};
static const struct policy_head health_none = {
    "none", "no health checks: a replica that is down stays in rotation", none_params};
static const struct policy_head health_active = {
    "active",
    "probe every replica; out after `unhealthy` failures, back after `healthy` successes",
    active_params};
static const struct policy_head outlier_none = {"none", "no outlier detection", none_params};
static const struct policy_head outlier_consecutive = {
    "consecutive",
    "eject a replica after `errors` failed replies in a row, for base * 2^(k-1) up to max",
    outlier_params};

static const struct policy_head *const health_checks[] = {&health_none, &health_active, NULL};
static const struct policy_head *const outlier_detections[] = {&outlier_none,
                                                              &outlier_consecutive, NULL};

const struct policy_family balancer_health_family = {
    "health", "health check", "a balancer's health checks (key: health)", health_checks};
const struct policy_family balancer_outlier_family = {
    "outlier", "outlier detection", "a balancer's outlier detection (key: outlier)",
    outlier_detections};

static bool in_rotation(const struct balancer *lb, uint32_t i, int64_t now)
{
    return i < service_ready(lb->pool) && lb->up[i].healthy && lb->up[i].ejected_until <= now;
}

/* A replica in rotation, or UINT32_MAX when there is none. */
static uint32_t choose(struct balancer *lb, const struct request *r, int64_t now)
{
    lb->bal.now_ns = now;
    uint32_t ready = service_ready(lb->pool);
    if (ready >= 1 && lb->bal.n != ready) /* an autoscaled pool changed size */
        balance_resize(&lb->bal, ready);
    uint32_t i = balance_pick(&lb->bal, r);
    for (int tries = 0; tries < 3 && !in_rotation(lb, i, now); tries++)
        i = balance_pick(&lb->bal, r);
    for (uint32_t k = 0; k < lb->n && !in_rotation(lb, i, now); k++)
        i = (i + 1) % lb->n;
    return in_rotation(lb, i, now) ? i : UINT32_MAX;
}

static void forward(struct sim *sim, struct balancer *lb, struct request *r);
static void decided(struct sim *sim, struct balancer *lb, struct request *r,
                    struct limit_verdict v);
static void check_at_store(struct sim *sim, struct balancer *lb, struct request *r,
                           uint64_t scope);
static void check_answered(struct sim *sim, struct balancer *lb, struct request *ch);

/* A leaky bucket's delayed request leaves its queue. */
static void on_released(struct sim *sim, void *a, void *b)
{
    struct balancer *lb = a;
    limit_release(&lb->lim, sim_now(sim));
    forward(sim, lb, b);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct balancer *lb = (struct balancer *)c;
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    if (!lb->has_limit) {
        forward(sim, lb, r);
        return;
    }
    uint64_t scope = limit_scope_of(&lb->lim, r);
    if (lb->has_shadow)
        limit_check(&lb->shadow, scope, sim_now(sim));
    if (lb->has_store) {
        check_at_store(sim, lb, r, scope);
        return;
    }
    struct limit_verdict v;
    if (lb->nodes) { /* synced: one node decides on its copy; the global count follows */
        uint32_t i = (uint32_t)rng_below(&lb->node_rng, lb->nnodes);
        v = limit_check(&lb->nodes[i], scope, sim_now(sim));
        if (v.admit)
            limit_force(&lb->lim, scope, sim_now(sim));
        else
            limit_count_refusal(&lb->lim);
    } else {
        v = limit_check(&lb->lim, scope, sim_now(sim));
    }
    decided(sim, lb, r, v);
}

/* A limiter's verdict on r: refuse it (429), hold it, or send it on. */
static void decided(struct sim *sim, struct balancer *lb, struct request *r,
                    struct limit_verdict v)
{
    if (!v.admit) {
        lb->base.st.rejected++;
        r->status = REQ_REJECTED;
        r->cause = CAUSE_RATE_LIMITED;
        r->retry_after_ns = lb->retry_after ? v.retry_after_ns : 0;
        sim_reply(sim, r);
        return;
    }
    if (v.delay_ns > 0) {
        sim_after(sim, v.delay_ns, on_released, lb, r);
        return;
    }
    forward(sim, lb, r);
}

/* ---- checks at a counter store ------------------------------------------ */

/* A check settled without the store's answer (error or timeout), for parent r. */
static void store_failed(struct sim *sim, struct balancer *lb, struct request *r, bool timeout)
{
    lb->store_errors += r->measured;
    if (lb->fail_open) {
        limit_count_unchecked(&lb->lim, sim_now(sim));
        forward(sim, lb, r);
        return;
    }
    lb->base.st.errors++;
    r->status = REQ_ERROR;
    r->cause = timeout ? CAUSE_CALL_TIMEOUT : CAUSE_NONE;
    sim_reply(sim, r);
}

static void on_check_timeout(struct sim *sim, void *a, void *b)
{
    struct balancer *lb = a;
    struct request *ch = b;
    ch->stack[0].timer = EVQ_NONE;
    ch->abandoned = true; /* freed when its late answer comes */
    store_failed(sim, lb, ch->parent, true);
}

/* Sends r's check to the store: a write of the scope's counter, from a
 * child request whose only frame below the store's is this balancer's. */
static void check_at_store(struct sim *sim, struct balancer *lb, struct request *r,
                           uint64_t scope)
{
    struct component *c = &lb->base;
    struct request *ch = sim_req_child(sim, r);
    ch->op = OP_WRITE;
    ch->key = scope;
    struct frame *f = sim_enter(ch, c);
    f->arrive_ns = sim_now(sim);
    f->timer = sim_after(sim, lb->store_timeout_ns, on_check_timeout, lb, ch);
    lb->store_checks += r->measured;
    sim_send(sim, c, ch, c->callees[1]);
}

/* The store answered check ch: the counter decides (or the error policy). */
static void check_answered(struct sim *sim, struct balancer *lb, struct request *ch)
{
    struct frame *f = &ch->stack[0];
    if (ch->abandoned) { /* timed out: already settled */
        sim_req_free(sim, ch);
        return;
    }
    evq_cancel(sim->q, f->timer);
    struct request *r = ch->parent;
    bool ok = ch->status == REQ_OK;
    if (ok && r->measured)
        lb->check_ns_sum += sim_now(sim) - f->arrive_ns;
    uint64_t scope = ch->key;
    sim_req_free(sim, ch);
    if (!ok) {
        store_failed(sim, lb, r, false);
        return;
    }
    decided(sim, lb, r, limit_check(&lb->lim, scope, sim_now(sim)));
}

/* Every sync interval each node learns the global count. */
static void sync_nodes(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct balancer *lb = a;
    for (uint32_t i = 0; i < lb->nnodes; i++)
        limit_sync_to(&lb->lim, &lb->nodes[i], sim_now(sim));
    limit_sync_done(&lb->lim);
    if (sim_now(sim) + lb->sync_ns <= sim->end_ns)
        sim_after(sim, lb->sync_ns, sync_nodes, lb, NULL);
}

static void forward(struct sim *sim, struct balancer *lb, struct request *r)
{
    struct component *c = &lb->base;
    struct frame *f = sim_top(r);
    uint32_t i = choose(lb, r, sim_now(sim));
    if (i == UINT32_MAX) {
        lb->no_upstream++;
        c->st.errors++;
        r->status = REQ_ERROR;
        sim_reply(sim, r);
        return;
    }
    f->replica = i;
    if (lb->bal.pol->on_start)
        lb->bal.pol->on_start(&lb->bal, i);
    nodeload_start(&lb->load, i, sim_now(sim), sim->measuring);
    sim_level_add(sim, &c->st.insys, 1);
    r->target = (int32_t)i;
    sim_send(sim, c, r, lb->pool);
}

static void eject(struct sim *sim, struct balancer *lb, uint32_t i)
{
    struct upstream *u = &lb->up[i];
    u->ejections++;
    lb->ejections++;
    int64_t t = lb->od_base;
    for (uint32_t k = 1; k < u->ejections && t < lb->od_max; k++)
        t *= 2;
    if (t > lb->od_max)
        t = lb->od_max;
    u->ejected_until = sim_now(sim) + t;
    u->errors = 0;
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct balancer *lb = (struct balancer *)c;
    if (r->depth == 1) { /* the answer of a check at the counter store */
        check_answered(sim, lb, r);
        return;
    }
    struct frame *f = sim_top(r);
    uint32_t i = f->replica;
    int64_t latency = sim_now(sim) - f->arrive_ns;
    lb->bal.now_ns = sim_now(sim);
    if (lb->bal.pol->on_done)
        lb->bal.pol->on_done(&lb->bal, i, latency);
    nodeload_done(&lb->load, i, sim_now(sim));
    if (lb->od_errors > 0) {
        if (r->status == REQ_ERROR) {
            if (++lb->up[i].errors >= lb->od_errors)
                eject(sim, lb, i);
        } else {
            lb->up[i].errors = 0;
        }
    }
    sim_level_add(sim, &c->st.insys, -1);
    hist_add(c->st.resp, latency);
    if (r->status == REQ_OK)
        c->st.completed++;
    else
        c->st.errors++;
    sim_reply(sim, r);
}

/* ---- active health checks ---------------------------------------------- */

static void probe_result(struct sim *sim, void *a, void *b)
{
    struct balancer *lb = a;
    uint32_t i = (uint32_t)((uintptr_t)b >> 1);
    bool ok = ((uintptr_t)b & 1) != 0;
    struct upstream *u = &lb->up[i];
    if (ok) {
        u->fails = 0;
        if (!u->healthy && ++u->oks >= lb->hc_healthy)
            u->healthy = true;
    } else {
        u->oks = 0;
        if (u->healthy && ++u->fails >= lb->hc_unhealthy)
            u->healthy = false;
    }
    (void)sim;
}

static void probe_all(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct balancer *lb = a;
    for (uint32_t i = 0; i < lb->n; i++) {
        bool ok = service_replica_up(lb->pool, i);
        int64_t rtt = 0;
        if (lb->base.has_latency)
            rtt = dist_sample_ns(&lb->base.latency, &lb->base.net_rng) +
                  dist_sample_ns(&lb->base.latency, &lb->base.net_rng);
        if (rtt > lb->hc_timeout)
            ok = false;
        int64_t delay = ok ? rtt : lb->hc_timeout;
        sim_after(sim, delay, probe_result, lb, (void *)(((uintptr_t)i << 1) | (ok ? 1u : 0u)));
    }
    if (sim_now(sim) + lb->hc_interval <= sim->end_ns)
        sim_after(sim, lb->hc_interval, probe_all, lb, NULL);
}

static void start(struct sim *sim, struct component *c)
{
    struct balancer *lb = (struct balancer *)c;
    if (lb->hc_interval > 0)
        sim_after(sim, lb->hc_interval, probe_all, lb, NULL);
    if (lb->has_limit)
        lb->lim.ts_ns = sim->ts.interval_ns;
    if (lb->nodes)
        sim_after(sim, lb->sync_ns, sync_nodes, lb, NULL);
}

static size_t ts_extra(const struct sim *sim, const struct component *c, const char **names,
                       double *values, size_t max)
{
    const struct balancer *lb = (const struct balancer *)c;
    if (max < 2)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < lb->n; i++)
        n += in_rotation(lb, i, sim_now(sim));
    names[0] = "in_rotation";
    values[0] = (double)n;
    names[1] = "ejections";
    values[1] = (double)lb->ejections;
    if (!lb->has_limit || max < 5)
        return 2;
    names[2] = "limiter_entries";
    values[2] = (double)lb->lim.entries;
    names[3] = "admitted_rps";
    values[3] = (double)limit_ts_passed(&lb->lim, sim_now(sim)) * 1e9 /
                (double)sim->ts.interval_ns;
    names[4] = "limit_rps";
    values[4] = limit_rate_per_s(&lb->lim);
    return 5;
}

extern const struct kind kind_balancer;

const struct limit *balancer_limit(const struct component *c)
{
    if (c->kind != &kind_balancer)
        return NULL;
    const struct balancer *lb = (const struct balancer *)c;
    return lb->has_limit ? &lb->lim : NULL;
}

/* The limiter's work since the cut, and the memory it holds at the end. */
static size_t limit_metrics(const struct sim *sim, const struct balancer *lb, int64_t end_ns,
                            struct metric_out *out, size_t max)
{
    if (!lb->has_limit || max < 12)
        return 0;
    const struct limit *l = &lb->lim;
    double window_s = (double)(end_ns - (sim->cut_ns > 0 ? sim->cut_ns : 0)) / 1e9;
    size_t n = 0;
    out[n++] = (struct metric_out){"admitted_rps", window_s > 0 ? (double)l->admitted / window_s
                                                                : 0, true};
    out[n++] = (struct metric_out){"rate_limited", (double)l->limited, true};
    out[n++] = (struct metric_out){"delayed", (double)l->delayed, true};
    out[n++] = (struct metric_out){"peak_passed", (double)l->peak_passed, true};
    out[n++] = (struct metric_out){"limiter_scopes", (double)l->nslots, true};
    out[n++] = (struct metric_out){"limiter_entries", (double)l->entries, true};
    out[n++] = (struct metric_out){"limiter_entries_max", (double)l->entries_max, true};
    size_t bytes = limit_bytes(l);
    for (uint32_t i = 0; lb->nodes && i < lb->nnodes; i++)
        bytes += limit_bytes(&lb->nodes[i]);
    out[n++] = (struct metric_out){"limiter_bytes", (double)bytes, true};
    if (lb->has_shadow)
        out[n++] = (struct metric_out){
            "over_admission",
            lb->shadow.admitted > 0 ? (double)l->admitted / (double)lb->shadow.admitted - 1
                                    : (double)NAN,
            true};
    if (lb->has_store) {
        uint64_t answered = lb->store_checks - lb->store_errors;
        out[n++] = (struct metric_out){"store_errors", (double)lb->store_errors, true};
        out[n++] = (struct metric_out){
            "check_mean_ms", answered > 0 ? (double)lb->check_ns_sum / 1e6 / (double)answered
                                          : (double)NAN,
            true};
    }
    return n;
}


/* ---- building ------------------------------------------------------------ */

static int read_spec_int(const struct spec *sp, const struct param_spec *p, const char *key,
                         long long min, uint32_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, key, &loc);
    long long x;
    const char *why;
    if (units_parse_int(v, &x, &why) < 0 || x < min || x > 1000000)
        return diag_error(d, loc, "bad %s '%s': a whole number >= %lld", key, v, min);
    *out = (uint32_t)x;
    return 0;
}

static int read_spec_dur(const struct spec *sp, const struct param_spec *p, const char *key,
                         int64_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, key, &loc);
    const char *why;
    if (units_parse_duration(v, out, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    if (*out <= 0)
        return diag_error(d, loc, "%s must be positive", key);
    return 0;
}

static int read_health(struct balancer *lb, const struct sc_section *s, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(s, params, "health", &loc);
    if (strcmp(v, "none") == 0)
        return 0;
    struct spec sp;
    const struct policy_head *h = policy_setup(&balancer_health_family, v, loc, &sp, d);
    if (!h)
        return -1;
    if (h == &health_none)
        return 0;
    int rc = 0;
    rc |= read_spec_dur(&sp, active_params, "interval", &lb->hc_interval, d);
    rc |= read_spec_dur(&sp, active_params, "timeout", &lb->hc_timeout, d);
    rc |= read_spec_int(&sp, active_params, "unhealthy", 1, &lb->hc_unhealthy, d);
    rc |= read_spec_int(&sp, active_params, "healthy", 1, &lb->hc_healthy, d);
    return rc ? -1 : 0;
}

static int read_outlier(struct balancer *lb, const struct sc_section *s, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(s, params, "outlier", &loc);
    if (strcmp(v, "none") == 0)
        return 0;
    struct spec sp;
    const struct policy_head *h = policy_setup(&balancer_outlier_family, v, loc, &sp, d);
    if (!h)
        return -1;
    if (h == &outlier_none)
        return 0;
    int rc = 0;
    rc |= read_spec_int(&sp, outlier_params, "errors", 1, &lb->od_errors, d);
    rc |= read_spec_dur(&sp, outlier_params, "base", &lb->od_base, d);
    rc |= read_spec_dur(&sp, outlier_params, "max", &lb->od_max, d);
    return rc ? -1 : 0;
}

/* Where a key of the section is, for errors about it. */
static struct loc key_loc(const struct sc_section *s, const char *key)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    return e ? e->key_loc : s->loc;
}

/* store, store_timeout, on_store_error, sync, limit_nodes (see the top). */
static int read_distributed(struct sim *sim, struct balancer *lb, const struct sc_section *s,
                            const char *lim, struct loc lloc, struct diag *d)
{
    struct component *c = &lb->base;
    static const char *const keys[] = {"store", "store_timeout", "on_store_error", "sync",
                                       "limit_nodes"};
    bool any = false;
    for (size_t k = 0; k < 5; k++)
        if (sc_find_entry(s, keys[k])) {
            any = true;
            if (!lb->has_limit)
                return diag_error(d, key_loc(s, keys[k]),
                                  "'%s' needs a 'limit' (the limit it shares)",
                                  keys[k]);
        }
    if (!any)
        return 0;
    int rc = 0;
    long long nodes = 1;
    if (kp_duration(s, params, "sync", &lb->sync_ns, d) < 0 ||
        kp_int(s, params, "limit_nodes", 1, 1000, &nodes, d) < 0 ||
        kp_duration(s, params, "store_timeout", &lb->store_timeout_ns, d) < 0)
        return -1;
    struct loc oloc;
    const char *onerr = kp_raw(s, params, "on_store_error", &oloc);
    if (strcmp(onerr, "allow") == 0 || strcmp(onerr, "deny") == 0)
        lb->fail_open = strcmp(onerr, "allow") == 0;
    else
        rc = diag_error(d, oloc, "bad on_store_error '%s' (known: allow, deny)", onerr);
    if (lb->sync_ns < 0)
        rc = diag_error(d, key_loc(s, "sync"), "sync must not be negative");
    if (lb->store_timeout_ns <= 0)
        rc = diag_error(d, key_loc(s, "store_timeout"), "store_timeout must be positive");
    lb->has_store = sc_find_entry(s, "store") != NULL;
    if (lb->has_store && lb->sync_ns > 0)
        return diag_error(d, key_loc(s, "sync"),
                          "'sync' and 'store' are two ways to share a limit: choose one");
    if (!lb->has_store && (sc_find_entry(s, "store_timeout") || sc_find_entry(s, "on_store_error")))
        return diag_error(d, key_loc(s, sc_find_entry(s, "store_timeout") ? "store_timeout"
                                                                           : "on_store_error"),
                          "'%s' needs 'store = NAME'",
                          sc_find_entry(s, "store_timeout") ? "store_timeout" : "on_store_error");
    if (lb->sync_ns == 0 && sc_find_entry(s, "limit_nodes"))
        return diag_error(d, key_loc(s, "limit_nodes"),
                          "'limit_nodes' needs 'sync = INTERVAL' (how often the nodes share "
                          "their counts)");
    if ((lb->has_store || lb->sync_ns > 0) && !lb->lim.pol->consume)
        return diag_error(d, lloc,
                          "a %s cannot be shared by 'store' or 'sync': it queues requests at one "
                          "node (use token_bucket, fixed_window, sliding_log or sliding_window)",
                          lb->lim.pol->head.name);
    if (lb->has_store) {
        size_t before = c->ncallees;
        if (kind_read_callees(sim, c, s, "store", true, d) < 0)
            return -1;
        if (c->ncallees != before + 1)
            return diag_error(d, c->callee_locs[before + 1], "'store' names one store");
        if (c->ncallees != 2) /* 'to' failed: reported already */
            return -1;
        if (!store_is(c->callees[1]))
            return diag_error(d, c->callee_locs[1], "'%s' is a %s; 'store' needs a store",
                              c->callees[1]->name, c->callees[1]->kind->name);
    }
    if (rc < 0)
        return rc;
    if (lb->sync_ns > 0) {
        lb->nnodes = (uint32_t)nodes;
        lb->nodes = xcalloc(lb->nnodes, sizeof *lb->nodes);
        struct diag *scratch = diag_new(); /* the text parsed once already */
        for (uint32_t i = 0; i < lb->nnodes; i++) {
            limit_setup(&lb->nodes[i], lim, lloc, scratch);
            limit_widen(&lb->nodes[i], lb->nnodes);
        }
        diag_free(scratch);
        limit_widen(&lb->lim, lb->nnodes);
        limit_track_changes(&lb->lim);
        rng_stream(&lb->node_rng, sim->seed, c->name, "limit_nodes");
    }
    struct diag *scratch = diag_new();
    limit_setup(&lb->shadow, lim, lloc, scratch);
    diag_free(scratch);
    lb->has_shadow = true;
    return 0;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct balancer *lb = (struct balancer *)c;
    int rc = kind_read_callees(sim, c, s, "to", true, d);
    if (rc == 0 && c->ncallees > 1)
        rc = diag_error(d, c->callee_locs[1], "a balancer sends to one service ('to = NAME')");
    if (rc == 0 && !service_is(c->callees[0]))
        rc = diag_error(d, c->callee_locs[0], "'%s' is a %s; a balancer needs a service",
                        c->callees[0]->name, c->callees[0]->kind->name);
    lb->pool = rc == 0 ? c->callees[0] : NULL;
    lb->n = lb->pool ? service_replicas(lb->pool) : 1;
    lb->up = xcalloc(lb->n, sizeof *lb->up);
    for (uint32_t i = 0; i < lb->n; i++)
        lb->up[i].healthy = true;
    if (read_health(lb, s, d) < 0)
        rc = -1;
    if (read_outlier(lb, s, d) < 0)
        rc = -1;
    struct loc lloc;
    const char *lim = kp_raw(s, params, "limit", &lloc);
    lb->has_limit = strcmp(lim, "none") != 0;
    bool lim_ok = true;
    if (lb->has_limit && limit_setup(&lb->lim, lim, lloc, d) < 0)
        rc = -1, lim_ok = false;
    if (kp_bool(s, params, "retry_after", &lb->retry_after, d) < 0)
        rc = -1;
    else if (lb->retry_after && !lb->has_limit)
        rc = diag_error(d, sc_find_entry(s, "retry_after")->key_loc,
                        "'retry_after' needs a 'limit' to send the hint");
    if (lim_ok && read_distributed(sim, lb, s, lim, lloc, d) < 0)
        rc = -1;
    struct loc ploc;
    const char *pol = kp_raw(s, params, "policy", &ploc);
    struct rng brng;
    rng_stream(&brng, sim->seed, c->name, "balance");
    if (balance_setup(&lb->bal, pol, ploc, lb->n, &brng, d) < 0)
        rc = -1;
    nodeload_init(&lb->load, lb->n, true);
    sim_stats_init(sim, &c->st, true);
    c->st.replicas_up = lb->n;
    return rc;
}

static void reset(struct sim *sim, struct component *c)
{
    struct balancer *lb = (struct balancer *)c;
    nodeload_reset(&lb->load, sim_now(sim));
    if (lb->has_limit)
        limit_reset_counts(&lb->lim);
    if (lb->has_shadow)
        limit_reset_counts(&lb->shadow);
    lb->store_checks = lb->store_errors = 0;
    lb->check_ns_sum = 0;
}

/* Shares of the requests over the replicas in use, the time-average
 * fraction of all replicas with at least k of this balancer's requests,
 * then the limiter's figures. */
static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    const struct balancer *lb = (const struct balancer *)c;
    size_t n = nodeload_metrics(&lb->load, lb->bal.n, end_ns, out, max);
    return n + limit_metrics(sim, lb, end_ns, out + n, max - n);
}

static void fini(struct component *c)
{
    struct balancer *lb = (struct balancer *)c;
    nodeload_fini(&lb->load);
    balance_fini(&lb->bal);
    free(lb->up);
    if (lb->has_limit)
        limit_fini(&lb->lim);
    for (uint32_t i = 0; lb->nodes && i < lb->nnodes; i++)
        limit_fini(&lb->nodes[i]);
    free(lb->nodes);
    if (lb->has_shadow)
        limit_fini(&lb->shadow);
}

/* Napkin math (models/napkin.h): every request goes on to the service,
 * unless a rate limiter decides (then what passes is unknown here); the
 * balancer itself has no workers. */
static void napkin_visits(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out)
{
    if (callee == 1) { /* the counter store: one write per request checked */
        *out = (struct napkin_flow){0, in->reads + in->writes, NULL};
        return;
    }
    if (!((const struct balancer *)c)->has_limit)
        *out = *in;
}

static void napkin_server(const struct component *c, struct napkin_server *out)
{
    (void)c;
    out->rps = (double)INFINITY;
    out->unbounded_queue = false;
}

const struct kind kind_balancer = {
    .name = "balancer",
    .summary = "spreads requests over a service's replicas, with health checks and outlier detection",
    .params = params,
    .size = sizeof(struct balancer),
    .build = build,
    .start = start,
    .build_stage = 1,
    .on_request = on_request,
    .on_reply = on_reply,
    .fini = fini,
    .ts_extra = ts_extra,
    .reset = reset,
    .metrics = metrics,
    .napkin_visits = napkin_visits,
    .napkin_server = napkin_server,
};
