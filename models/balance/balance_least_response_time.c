/* balance_least_response_time: peak-EWMA, as in Finagle's PeakEwma balancer
 * (twitter/finagle, finagle-core .../loadbalancer/PeakEwma.scala) and
 * Linkerd (tower's PeakEwma). Each replica keeps
 *   cost:    an EWMA of its response times (ns) over an unevenly spaced series:
 *            weight w = exp(-dt / decay) for a gap dt since the last update,
 *            cost = w * cost + (1 - w) * rtt; but a response slower than cost
 *            sets cost = rtt at once (the peak), so a slowing replica is
 *            avoided immediately and forgiven gradually;
 *   pending: its requests in flight (on_start .. on_done).
 * The load of a replica is cost * (pending + 1): the expected wait if one more
 * request were sent. Reading a load first decays cost toward 0 for the time
 * since its last update (Finagle observes rtt = 0 there), so an idle replica
 * slowly regains traffic. A replica with requests in flight but no response
 * yet gets Finagle's penalty (2^47 ns, about 39 h) + pending, so new replicas
 * are probed one request at a time.
 * Choice: as in Finagle and Linkerd, the lower load of two distinct replicas
 * drawn uniformly (power of two choices, Mitzenmacher 2001), not the minimum
 * over all: O(1) per pick, start and done, and no herd on one fast replica.
 * Ties (all zero at the start) go to either at random.
 * The latency passed to on_done is the response time seen by the balancer
 * (queueing included); a rejection passes 0, which only decays cost.
 * Picks sample [0, b->n) and state is per replica, so a resize needs no hook:
 * a replica that rejoins keeps its cost, decayed for the time it was out. */
#include "models/balance/balance.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

#define LRT_PENALTY_NS 140737488355328.0 /* 2^47 = Long.MaxValue >> 16, as Finagle */

struct lrt_replica {
    double cost_ns;   /* peak-sensitive EWMA of response times */
    int64_t stamp_ns; /* time of the last update of cost_ns */
    uint32_t pending; /* requests in flight */
};

struct lrt {
    struct lrt_replica *rep;
    double decay_ns;  /* time constant tau of the EWMA, > 0 */
};

/* One observation at now: a peak replaces cost, anything else is averaged in
 * with a weight that depends on the time since the previous observation. */
static void observe(const struct lrt *s, struct lrt_replica *p, int64_t now_ns, double rtt_ns)
{
    double dt = (double)(now_ns > p->stamp_ns ? now_ns - p->stamp_ns : 0);
    double w = exp(-dt / s->decay_ns);
    if (rtt_ns > p->cost_ns)
        p->cost_ns = rtt_ns;
    else
        p->cost_ns = p->cost_ns * w + rtt_ns * (1.0 - w);
    p->stamp_ns = now_ns;
}

static double load(const struct lrt *s, struct lrt_replica *p, int64_t now_ns)
{
    observe(s, p, now_ns, 0.0);
    if (p->cost_ns == 0.0 && p->pending != 0)
        return LRT_PENALTY_NS + (double)p->pending;
    return p->cost_ns * (double)(p->pending + 1);
}

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    struct lrt *s = b->state;
    if (b->n == 1)
        return 0;
    uint32_t i = (uint32_t)rng_below(&b->rng, b->n);
    uint32_t j = (uint32_t)rng_below(&b->rng, b->n - 1);
    j += j >= i; /* distinct from i, uniform over the other n - 1 */
    double li = load(s, &s->rep[i], b->now_ns);
    double lj = load(s, &s->rep[j], b->now_ns);
    if (li != lj)
        return li < lj ? i : j;
    return rng_below(&b->rng, 2) ? j : i;
}

static void on_start(struct balance *b, uint32_t i)
{
    struct lrt *s = b->state;
    s->rep[i].pending++;
}

static void on_done(struct balance *b, uint32_t i, int64_t latency_ns)
{
    struct lrt *s = b->state;
    struct lrt_replica *p = &s->rep[i];
    assert(p->pending > 0 && "on_done without on_start");
    p->pending--;
    observe(s, p, b->now_ns, (double)(latency_ns > 0 ? latency_ns : 0));
}

static const struct param_spec params[] = {
    {"decay", "duration", "10s", "time constant of the latency EWMA (Finagle's default: 10s)"},
    {NULL, NULL, NULL, NULL},
};

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct lrt *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->rep = xcalloc(b->n, sizeof *s->rep);
    s->decay_ns = 1.0;
    struct loc loc;
    const char *why;
    int64_t decay_ns;
    const char *v = spec_value(sp, params, "decay", &loc);
    if (units_parse_duration(v, &decay_ns, &why) < 0)
        return diag_error(d, loc, "bad duration '%s' for 'decay': %s", v, why);
    if (decay_ns <= 0)
        return diag_error(d, loc, "'decay' must be positive, got '%s'", v);
    s->decay_ns = (double)decay_ns;
    return 0;
}

static void fini(struct balance *b)
{
    struct lrt *s = b->state;
    if (!s)
        return;
    free(s->rep);
    free(s);
}

const struct balance_policy balance_least_response_time = {
    .head.name = "least_response_time",
    .head.summary = "peak-EWMA latency x (in flight + 1), best of two random replicas, O(1) "
               "(Finagle/Linkerd)",
    .head.params = params,
    .init = init,
    .pick = pick,
    .on_start = on_start,
    .on_done = on_done,
    .fini = fini,
};
