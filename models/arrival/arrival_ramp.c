/* arrival ramp: a Poisson process whose rate is `from` until `start`, then
 * changes linearly to `to` over `over`, then stays at `to`:
 *
 *   ramp(from=10/s, to=100/s, start=0s, over=60s)
 *
 * The rate is piecewise linear, so the integrated rate L(t) is piecewise
 * quadratic and has a closed-form inverse: each gap is found by drawing
 * E ~ Exp(1) and solving L(now + gap) - L(now) = E (inversion of the
 * integrated rate, the time change that turns a unit Poisson process into
 * this one: Cinlar, "Introduction to Stochastic Processes", 1975; exact
 * where thinning, Lewis and Shedler 1979, would reject most candidates). That
 * is exact, costs O(1) and one Exp(1) draw per arrival, however steep the ramp.
 * Over the whole run the mean rate tends to `to`, the value a->rate_per_s
 * reports. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

struct ramp {
    double from_per_ns;
    double to_per_ns;
    double start_ns; /* the linear part is [start_ns, end_ns) */
    double end_ns;
};

static const struct param_spec ramp_params[] = {
    {"from", "rate", NULL, "rate before `start`, e.g. 10/s (0 allowed)"},
    {"to", "rate", NULL, "rate reached at start + over and kept after it (0 allowed)"},
    {"start", "duration", "0s", "when the rate starts to change"},
    {"over", "duration", NULL, "how long the linear change takes (0: a step at `start`)"},
    {NULL, NULL, NULL, NULL},
};

static int ramp_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    double from, to;
    int64_t start_ns, over_ns;
    int rc = 0;
    if (arrival_read_rate(sp, ramp_params, "from", &from, d) < 0)
        rc = -1;
    if (arrival_read_rate(sp, ramp_params, "to", &to, d) < 0)
        rc = -1;
    if (arrival_read_duration(sp, ramp_params, "start", &start_ns, d) < 0)
        rc = -1;
    if (arrival_read_duration(sp, ramp_params, "over", &over_ns, d) < 0)
        rc = -1;
    if (rc == 0 && from == 0.0 && to == 0.0)
        return diag_error(d, sp->loc, "ramp from 0 to 0: no request would ever arrive");
    if (rc == 0 && (double)start_ns + (double)over_ns > 9e18)
        return diag_error(d, sp->loc, "start + over is too far in the future");
    if (rc < 0)
        return -1;
    struct ramp *st = xmalloc(sizeof *st);
    *st = (struct ramp){from / 1e9, to / 1e9, (double)start_ns, (double)(start_ns + over_ns)};
    a->state = st;
    a->rate_per_s = to;
    return 0;
}

/* Time of the next arrival after t_ns: the point where the integrated rate
 * from t_ns reaches e. Each of the three pieces either holds the answer or
 * is consumed whole. HUGE_VAL when the rate ends at 0 first. */
static double ramp_solve(const struct ramp *st, double t_ns, double e)
{
    if (t_ns < st->start_ns) {
        double mass = st->from_per_ns * (st->start_ns - t_ns);
        if (st->from_per_ns > 0.0 && mass >= e)
            return t_ns + e / st->from_per_ns;
        e -= mass;
        t_ns = st->start_ns;
    }
    if (t_ns < st->end_ns) {
        double slope = (st->to_per_ns - st->from_per_ns) / (st->end_ns - st->start_ns);
        double rate = st->from_per_ns + slope * (t_ns - st->start_ns);
        double mass = 0.5 * (rate + st->to_per_ns) * (st->end_ns - t_ns);
        if (mass >= e && mass > 0.0) {
            /* Root of slope/2 x^2 + rate x - e = 0, in the form that stays
             * accurate as slope -> 0 (no cancellation). mass >= e keeps the
             * discriminant >= 0 even for a falling rate. */
            double disc = fmax(0.0, rate * rate + 2.0 * slope * e);
            return t_ns + 2.0 * e / (rate + sqrt(disc));
        }
        e -= mass;
        t_ns = st->end_ns;
    }
    return st->to_per_ns > 0.0 ? t_ns + e / st->to_per_ns : HUGE_VAL;
}

static int64_t ramp_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    double at_ns = ramp_solve(a->state, (double)now_ns, rng_exp(r));
    double gap_ns = at_ns - (double)now_ns;
    if (!(gap_ns < 9e18))
        return INT64_MAX;
    return gap_ns > 0.0 ? llround(gap_ns) : 0;
}

static void ramp_fini(struct arrival *a)
{
    free(a->state);
}

const struct arrival_policy arrival_ramp = {
    .head.name = "ramp",
    .head.summary = "Poisson arrivals whose rate changes linearly from `from` to "
               "`to` (exact inversion)",
    .head.params = ramp_params,
    .init = ramp_init,
    .next_gap = ramp_gap,
    .fini = ramp_fini,
};
