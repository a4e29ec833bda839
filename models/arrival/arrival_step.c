/* arrival step: a Poisson process whose rate jumps once, from `before` to
 * `after`, at time `at`:
 *
 *   step(before=10/s, after=50/s, at=60s)
 *
 * The rate is piecewise constant, so each gap is found by inverting the
 * integrated rate: draw E ~ Exp(1) and spend it at rate `before` up to `at`,
 * the rest at rate `after` (exact by the memorylessness of the exponential;
 * Cinlar, "Introduction to Stochastic Processes", 1975). O(1) and one draw
 * per arrival. The long-run mean rate, a->rate_per_s, is `after`. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

struct step {
    double before_per_ns;
    double after_per_ns;
    double at_ns;
};

static const struct param_spec step_params[] = {
    {"before", "rate", NULL, "rate until `at`, e.g. 10/s (0 allowed)"},
    {"after", "rate", NULL, "rate from `at` on (0 allowed)"},
    {"at", "duration", NULL, "when the rate changes"},
    {NULL, NULL, NULL, NULL},
};

static int step_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    double before, after;
    int64_t at_ns;
    struct loc loc;
    const char *v = spec_value(sp, step_params, "at", &loc);
    const char *why;
    int rc = 0;
    if (arrival_read_rate(sp, step_params, "before", &before, d) < 0)
        rc = -1;
    if (arrival_read_rate(sp, step_params, "after", &after, d) < 0)
        rc = -1;
    if (units_parse_duration(v, &at_ns, &why) < 0)
        rc = diag_error(d, loc, "bad at '%s': %s", v, why);
    if (rc == 0 && before == 0.0 && after == 0.0)
        return diag_error(d, sp->loc, "step from 0 to 0: no request would ever arrive");
    if (rc < 0)
        return -1;
    struct step *st = xmalloc(sizeof *st);
    *st = (struct step){before / 1e9, after / 1e9, (double)at_ns};
    a->state = st;
    a->rate_per_s = after;
    return 0;
}

static int64_t step_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    const struct step *st = a->state;
    double t_ns = (double)now_ns, e = rng_exp(r);
    if (t_ns < st->at_ns) {
        double mass = st->before_per_ns * (st->at_ns - t_ns);
        if (st->before_per_ns > 0.0 && mass >= e)
            return llround(e / st->before_per_ns);
        e -= mass;
        t_ns = st->at_ns;
    }
    if (st->after_per_ns == 0.0)
        return INT64_MAX;
    double gap_ns = t_ns + e / st->after_per_ns - (double)now_ns;
    return gap_ns < 9e18 ? llround(gap_ns) : INT64_MAX;
}

static void step_fini(struct arrival *a)
{
    free(a->state);
}

const struct arrival_policy arrival_step = {
    .head.name = "step",
    .head.summary = "Poisson arrivals at rate `before`, then `after` from time `at` on",
    .head.params = step_params,
    .init = step_init,
    .next_gap = step_gap,
    .fini = step_fini,
};
