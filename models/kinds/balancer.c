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
 * With `limit`, `auth` or `rbac` (models/admission/gate.h) the balancer is a
 * gateway: each request first meets the gate (the rate limiter, its shared
 * forms through a counter store or synced nodes, then auth and rbac, whose
 * verify and check costs are a delay at the gateway: a balancer has no
 * workers), and only a request the gate lets through is sent on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/balance/balance.h"
#include "models/kind.h"
#include "models/admission/gate.h"
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
    struct gate gate;     /* limit, auth, rbac (models/admission/gate.h) */
    struct nodeload load; /* per-replica shares and in-flight levels, for metrics */
};

static const struct param_spec params[] = {
    {"to", "component", NULL, "the service whose replicas this balancer spreads requests over"},
    {"policy", "policy", "round_robin", "balance policy (see `sdsim list balance`)"},
    {"health", "checks", "none",
     "active(interval=5s, timeout=1s, unhealthy=3, healthy=2) or none"},
    {"outlier", "detection", "none", "consecutive(errors=5, base=30s, max=300s) or none"},
    {"latency", "dist", "", "one-way network delay to the replicas (and back)"},
    GATE_LIMIT_PARAMS,
    {"auth", "auth", "none",
     "authentication at the gateway: jwt(...) or session(...) as on a service (see `sdsim "
     "list auth`); a balancer has no workers, so verify is a delay per request with no queue "
     "(the gateway's CPU is assumed not to be the bottleneck)"},
    {"rbac", "rbac", "none",
     "authorisation at the gateway: check(...) as on a service (see `sdsim list rbac`); its "
     "time is a delay per request with no queue"},
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

/* The gate let r through. */
static void passed(struct sim *sim, struct component *c, struct request *r)
{
    forward(sim, (struct balancer *)c, r);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct balancer *lb = (struct balancer *)c;
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    if (!gate_arrive(sim, &lb->gate, r))
        forward(sim, lb, r);
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
    if (r->depth == 1 && gate_on_reply(sim, &lb->gate, r)) /* a limit check, an auth call */
        return;
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
    gate_start(sim, &lb->gate);
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
    return 2 + gate_ts_extra(sim, &lb->gate, names + 2, values + 2, max - 2);
}

extern const struct kind kind_balancer;

bool balancer_is(const struct component *c)
{
    return c->kind == &kind_balancer;
}

struct gate *balancer_gate(const struct component *c)
{
    return &((struct balancer *)c)->gate;
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
    if (gate_setup(sim, &lb->gate, c, passed, s, params, true, d) < 0)
        rc = -1;
    if (gate_setup_auth(sim, &lb->gate, s, params, d) < 0)
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
    gate_reset(&lb->gate);
}

/* Shares of the requests over the replicas in use, the time-average
 * fraction of all replicas with at least k of this balancer's requests,
 * then the limiter's figures. */
static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    const struct balancer *lb = (const struct balancer *)c;
    size_t n = nodeload_metrics(&lb->load, lb->bal.n, end_ns, out, max);
    return n + gate_metrics(sim, &lb->gate, end_ns, out + n, max - n);
}

static void fini(struct component *c)
{
    struct balancer *lb = (struct balancer *)c;
    nodeload_fini(&lb->load);
    balance_fini(&lb->bal);
    free(lb->up);
    gate_fini(&lb->gate);
}

/* Napkin math (models/napkin.h): every request goes on to the service,
 * unless a rate limiter decides (then what passes is unknown here; auth's
 * refusals are left out, as at a service); the balancer itself has no
 * workers. */
static void napkin_visits(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out)
{
    if (callee == 1) { /* the counter store: one write per request checked */
        *out = (struct napkin_flow){0, in->reads + in->writes, NULL};
        return;
    }
    if (!((const struct balancer *)c)->gate.has_limit)
        *out = *in;
}

/* The components the gate's auth calls. */
static size_t napkin_side(const struct component *c, const struct napkin_flow *in,
                          const struct component **to, struct napkin_flow *out, size_t max)
{
    double rate = in ? in->reads + in->writes : 0;
    return gate_napkin_side(&((const struct balancer *)c)->gate, rate, to, out, max);
}

static void napkin_server(const struct component *c, struct napkin_server *out)
{
    (void)c;
    out->rps = (double)INFINITY;
    out->unbounded_queue = false;
}

const struct kind kind_balancer = {
    .name = "balancer",
    .summary = "spreads requests over a service's replicas, with health checks and outlier "
               "detection; with limit, auth or rbac a gateway",
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
    .napkin_side = napkin_side,
};
