/* arrival spike: a Poisson process at rate `base`, except for a window of
 * length `width` starting at `at` where the rate is `peak`:
 *
 *   spike(base=10/s, peak=200/s, at=60s, width=5s)
 *
 * The rate is piecewise constant (three pieces), so each gap is found by
 * inverting the integrated rate: draw E ~ Exp(1) and spend it piece by piece
 * (exact by the memorylessness of the exponential; Cinlar, "Introduction to
 * Stochastic Processes", 1975). O(1) and one draw per arrival. The long-run
 * mean rate, a->rate_per_s, is `base`. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

#define SPIKE_PIECES 3

struct spike {
    double edge_ns[SPIKE_PIECES - 1]; /* at, at + width */
    double rate_per_ns[SPIKE_PIECES]; /* base, peak, base */
};

static const struct param_spec spike_params[] = {
    {"base", "rate", NULL, "rate outside the spike, e.g. 10/s (0 allowed)"},
    {"peak", "rate", NULL, "rate during the spike"},
    {"at", "duration", NULL, "when the spike starts"},
    {"width", "duration", NULL, "how long the spike lasts"},
    {NULL, NULL, NULL, NULL},
};

static int spike_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    double base, peak;
    int64_t at_ns, width_ns;
    int rc = 0;
    if (arrival_read_rate(sp, spike_params, "base", &base, d) < 0)
        rc = -1;
    if (arrival_read_rate(sp, spike_params, "peak", &peak, d) < 0)
        rc = -1;
    if (arrival_read_duration(sp, spike_params, "at", &at_ns, d) < 0)
        rc = -1;
    if (arrival_read_duration(sp, spike_params, "width", &width_ns, d) < 0)
        rc = -1;
    if (rc == 0 && peak == 0.0 && base == 0.0)
        return diag_error(d, sp->loc, "spike with base and peak 0: no request would ever arrive");
    if (rc == 0 && (double)at_ns + (double)width_ns > 9e18)
        return diag_error(d, sp->loc, "at + width is too far in the future");
    if (rc < 0)
        return -1;
    struct spike *st = xmalloc(sizeof *st);
    *st = (struct spike){{(double)at_ns, (double)(at_ns + width_ns)},
                         {base / 1e9, peak / 1e9, base / 1e9}};
    a->state = st;
    a->rate_per_s = base;
    return 0;
}

/* Time of the next arrival after t_ns, where the integrated rate from t_ns
 * reaches e; HUGE_VAL if the rate ends at 0 first. */
static double spike_solve(const struct spike *st, double t_ns, double e)
{
    size_t i = 0;
    while (i < SPIKE_PIECES - 1 && st->edge_ns[i] <= t_ns)
        i++;
    for (; i < SPIKE_PIECES - 1; i++) {
        double mass = st->rate_per_ns[i] * (st->edge_ns[i] - t_ns);
        if (st->rate_per_ns[i] > 0.0 && mass >= e)
            return t_ns + e / st->rate_per_ns[i];
        e -= mass;
        t_ns = st->edge_ns[i];
    }
    double last = st->rate_per_ns[SPIKE_PIECES - 1];
    return last > 0.0 ? t_ns + e / last : HUGE_VAL;
}

static int64_t spike_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    double gap_ns = spike_solve(a->state, (double)now_ns, rng_exp(r)) - (double)now_ns;
    if (!(gap_ns < 9e18))
        return INT64_MAX;
    return gap_ns > 0.0 ? llround(gap_ns) : 0;
}

static void spike_fini(struct arrival *a)
{
    free(a->state);
}

const struct arrival_policy arrival_spike = {
    .head.name = "spike",
    .head.summary = "Poisson arrivals at rate `base`, `peak` during [at, at + width)",
    .head.params = spike_params,
    .init = spike_init,
    .next_gap = spike_gap,
    .fini = spike_fini,
};
