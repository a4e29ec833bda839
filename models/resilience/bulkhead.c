/* bulkhead: fixed and adaptive concurrency limits (see bulkhead.h). */
#include "models/resilience/bulkhead.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/pspec.h"

static const struct param_spec fixed_params[] = {
    {"limit", "int", "10", "calls in flight at once"},
    {"queue", "int", "0", "calls that may wait for a place (FIFO); the rest are rejected"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec aimd_params[] = {
    {"initial", "int", "10", "starting limit"},
    {"min", "int", "1", "lowest limit"},
    {"max", "int", "200", "highest limit"},
    {"increase", "number", "1", "added per limit's worth of successful calls"},
    {"decrease", "fraction", "90%", "the limit is multiplied by this after a failure"},
    {"slow", "duration", "0", "a call at least this long counts as a failure (0: off)"},
    {"queue", "int", "0", "calls that may wait for a place (FIFO)"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec gradient_params[] = {
    {"initial", "int", "20", "starting limit"},
    {"min", "int", "1", "lowest limit"},
    {"max", "int", "200", "highest limit"},
    {"smoothing", "fraction", "20%", "how far the limit moves towards its new value per call"},
    {"tolerance", "number", "1.5", "latency may grow to tolerance x the no-load one before the "
                                   "limit shrinks"},
    {"queue", "int", "0", "calls that may wait for a place (FIFO)"},
    {NULL, NULL, NULL, NULL},
};

static int read_bounds(struct bulkhead *b, const struct spec *sp, const struct param_spec *p,
                       struct diag *d)
{
    long long init, lo, hi;
    int rc = pspec_int(sp, p, "initial", 1, 100000000, &init, d);
    rc |= pspec_int(sp, p, "min", 1, 100000000, &lo, d);
    rc |= pspec_int(sp, p, "max", 1, 100000000, &hi, d);
    rc |= pspec_int(sp, p, "queue", 0, 100000000, &b->queue, d);
    if (rc == 0 && !(lo <= init && init <= hi))
        rc = diag_error(d, sp->loc, "needs min <= initial <= max");
    b->limit = (double)init;
    b->min = (double)lo;
    b->max = (double)hi;
    return rc;
}

static int fixed_init(struct bulkhead *b, const struct spec *sp, struct diag *d)
{
    long long lim;
    int rc = pspec_int(sp, fixed_params, "limit", 1, 100000000, &lim, d);
    rc |= pspec_int(sp, fixed_params, "queue", 0, 100000000, &b->queue, d);
    b->limit = b->min = b->max = (double)lim;
    return rc ? -1 : 0;
}

static int aimd_init(struct bulkhead *b, const struct spec *sp, struct diag *d)
{
    int rc = read_bounds(b, sp, aimd_params, d);
    rc |= pspec_double(sp, aimd_params, "increase", 0, 1e9, &b->increase, d);
    rc |= pspec_fraction(sp, aimd_params, "decrease", &b->decrease, d);
    rc |= pspec_duration(sp, aimd_params, "slow", &b->slow_ns, d);
    return rc ? -1 : 0;
}

static double clamp(const struct bulkhead *b, double x)
{
    return x < b->min ? b->min : x > b->max ? b->max : x;
}

static void aimd_done(struct bulkhead *b, bool failed, int64_t latency_ns)
{
    if (failed || (b->slow_ns > 0 && latency_ns >= b->slow_ns))
        b->limit = clamp(b, floor(b->limit * b->decrease));
    else if (2.0 * (double)(b->inflight + 1) >= b->limit)
        b->limit = clamp(b, b->limit + b->increase / b->limit);
}

static int gradient_init(struct bulkhead *b, const struct spec *sp, struct diag *d)
{
    int rc = read_bounds(b, sp, gradient_params, d);
    rc |= pspec_fraction(sp, gradient_params, "smoothing", &b->smoothing, d);
    rc |= pspec_double(sp, gradient_params, "tolerance", 1, 1e6, &b->tolerance, d);
    return rc ? -1 : 0;
}

static void gradient_done(struct bulkhead *b, bool failed, int64_t latency_ns)
{
    double rtt = (double)latency_ns;
    if (failed) { /* a drop: back off as the Netflix limit does on a drop */
        b->limit = clamp(b, b->limit * 0.5 * (1 + b->smoothing));
        return;
    }
    if (b->noload_ns <= 0 || rtt < b->noload_ns)
        b->noload_ns = rtt;
    b->recent_ns = b->recent_ns <= 0 ? rtt : 0.9 * b->recent_ns + 0.1 * rtt;
    double g = b->recent_ns > 0 ? b->tolerance * b->noload_ns / b->recent_ns : 1;
    g = g < 0.5 ? 0.5 : g > 1 ? 1 : g;
    double target = b->limit * g + sqrt(b->limit);
    b->limit = clamp(b, (1 - b->smoothing) * b->limit + b->smoothing * target);
}

const struct bulkhead_policy bulkhead_fixed = {
    .head.name = "fixed",
    .head.summary = "a fixed number of calls in flight plus a bounded queue (semaphore bulkhead)",
    .head.params = fixed_params,
    .init = fixed_init,
};

const struct bulkhead_policy bulkhead_aimd = {
    .head.name = "aimd",
    .head.summary = "adaptive limit: additive increase, multiplicative decrease on failures or slow "
               "calls (Netflix concurrency-limits AIMDLimit; TCP)",
    .head.params = aimd_params,
    .init = aimd_init,
    .on_done = aimd_done,
};

const struct bulkhead_policy bulkhead_gradient = {
    .head.name = "gradient",
    .head.summary = "adaptive limit from the ratio of no-load to recent latency (Netflix "
               "concurrency-limits GradientLimit, after TCP Vegas)",
    .head.params = gradient_params,
    .init = gradient_init,
    .on_done = gradient_done,
};

int bulkhead_setup(struct bulkhead *b, const char *text, struct loc loc, struct diag *d)
{
    memset(b, 0, sizeof *b);
    struct spec sp;
    const struct policy_head *h = policy_setup(&bulkhead_family, text, loc, &sp, d);
    if (!h)
        return -1;
    b->pol = (const struct bulkhead_policy *)h;
    return b->pol->init(b, &sp, d);
}

void bulkhead_start(struct bulkhead *b)
{
    b->inflight++;
}

void bulkhead_done(struct bulkhead *b, bool failed, int64_t latency_ns)
{
    assert(b->inflight > 0 && "bulkhead call ended twice");
    b->inflight--;
    if (b->pol->on_done)
        b->pol->on_done(b, failed, latency_ns);
}
