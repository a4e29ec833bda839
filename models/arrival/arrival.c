/* arrival: the open-loop arrival processes and their set-up. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <string.h>

#include "sim/units.h"

static int read_rate(struct arrival *a, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, a->pol->head.params, "rate", &loc);
    const char *why;
    if (units_parse_rate(v, &a->rate_per_s, &why) < 0)
        return diag_error(d, loc, "bad rate '%s': %s", v, why);
    if (!(a->rate_per_s > 0))
        return diag_error(d, loc, "rate must be positive, got '%s'", v);
    a->p[0] = 1e9 / a->rate_per_s; /* mean gap in ns */
    return 0;
}

static int64_t poisson_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    (void)now_ns;
    double gap_ns = a->p[0] * rng_exp(r);
    return gap_ns < 9e18 ? units_llround(gap_ns) : INT64_MAX;
}

/* Exact gaps would drift by the rounding of a non-integer ns gap; the k-th
 * arrival is instead placed at round(k * gap) from the first. */
static int64_t constant_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    (void)r;
    (void)now_ns;
    double k = a->p[1];
    a->p[1] = k + 1;
    if (!((k + 1) * a->p[0] < 9e18)) /* a rate so low the next arrival is past any run */
        return INT64_MAX;
    return llround((k + 1) * a->p[0]) - llround(k * a->p[0]);
}

static const struct param_spec rate_params[] = {
    {"rate", "rate", NULL, "mean arrival rate, e.g. 2.5/s, 900/min"},
    {NULL, NULL, NULL, NULL},
};

const struct arrival_policy arrival_poisson = {
    .head.name = "poisson",
    .head.summary = "Poisson process: exponential gaps with mean 1/rate",
    .head.params = rate_params,
    .init = read_rate,
    .next_gap = poisson_gap,
};

const struct arrival_policy arrival_constant = {
    .head.name = "constant",
    .head.summary = "evenly spaced arrivals, exactly `rate` per second (D/G/c input)",
    .head.params = rate_params,
    .init = read_rate,
    .next_gap = constant_gap,
};

int arrival_setup(struct arrival *a, const char *text, struct loc loc, struct diag *d)
{
    memset(a, 0, sizeof *a);
    struct spec sp;
    const struct policy_head *h = policy_setup(&arrival_family, text, loc, &sp, d);
    if (!h)
        return -1;
    a->pol = (const struct arrival_policy *)h;
    return a->pol->init(a, &sp, d);
}

void arrival_fini(struct arrival *a)
{
    if (a->pol && a->pol->fini)
        a->pol->fini(a);
    a->state = NULL;
}

int arrival_read_rate(const struct spec *sp, const struct param_spec *params, const char *key,
                      double *out_per_s, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, params, key, &loc);
    const char *why;
    if (units_parse_rate(v, out_per_s, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    return 0;
}

int arrival_read_duration(const struct spec *sp, const struct param_spec *params, const char *key,
                          int64_t *out_ns, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, params, key, &loc);
    const char *why;
    if (units_parse_duration(v, out_ns, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    return 0;
}
