/* arrival diurnal: a Poisson process whose rate follows a sinusoid,
 *
 *   diurnal(mean=100/s, amplitude=0.5, period=24h, phase=0s)
 *   rate(t) = mean * (1 + amplitude * sin(2 pi (t + phase) / period))
 *
 * with amplitude in [0, 1], so the rate never goes below 0. The integrated
 * rate has no closed-form inverse, so arrivals come from thinning (Lewis and
 * Shedler, "Simulation of nonhomogeneous Poisson processes by thinning",
 * Naval Research Logistics Quarterly 26(3), 1979): candidates of a Poisson
 * process at the peak rate mean * (1 + amplitude), each kept with probability
 * rate(t) / peak. That is exact. Cost: on average 1 + amplitude candidates
 * (two draws each) per arrival, at most 2. The long-run mean rate,
 * a->rate_per_s, is `mean`. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

#define DIURNAL_TWO_PI 6.283185307179586476925286766559

struct diurnal {
    double mean_per_ns;
    double amplitude; /* in [0, 1] */
    double period_ns; /* > 0 */
    double phase_ns;  /* in [0, period_ns) */
};

static const struct param_spec diurnal_params[] = {
    {"mean", "rate", NULL, "mean rate over a period, e.g. 100/s"},
    {"amplitude", "fraction", "0.5",
     "swing as a fraction of the mean: the rate goes from "
     "mean*(1-amplitude) to mean*(1+amplitude)"},
    {"period", "duration", "24h", "length of one cycle"},
    {"phase", "duration", "0s",
     "shift: the rate at time t is the sinusoid's at t + phase (0s "
     "starts at the mean, rising; period/4 starts at the peak)"},
    {NULL, NULL, NULL, NULL},
};

static int diurnal_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    struct diurnal st;
    double mean;
    int64_t period_ns, phase_ns;
    struct loc loc;
    const char *why;
    int rc = 0;
    const char *v = spec_value(sp, diurnal_params, "mean", &loc);
    struct loc mean_loc = loc;
    if (units_parse_rate(v, &mean, &why) < 0)
        rc = diag_error(d, loc, "bad mean '%s': %s", v, why);
    else if (!(mean > 0.0))
        rc = diag_error(d, loc, "mean rate must be positive, got '%s'", v);
    v = spec_value(sp, diurnal_params, "amplitude", &loc);
    if (units_parse_fraction(v, &st.amplitude, &why) < 0)
        rc = diag_error(d, loc, "bad amplitude '%s': %s", v, why);
    v = spec_value(sp, diurnal_params, "period", &loc);
    if (arrival_read_duration(sp, diurnal_params, "period", &period_ns, d) < 0)
        rc = -1;
    else if (period_ns == 0)
        rc = diag_error(d, loc, "period must be positive");
    if (arrival_read_duration(sp, diurnal_params, "phase", &phase_ns, d) < 0)
        rc = -1;
    if (rc < 0)
        return -1;
    if (mean * (1.0 + st.amplitude) > UNITS_RATE_MAX_PER_S)
        return diag_error(d, mean_loc,
                          "peak rate mean x (1 + amplitude) = %g/s is over 1e8/s, the highest "
                          "rate the nanosecond clock keeps",
                          mean * (1.0 + st.amplitude));
    st.mean_per_ns = mean / 1e9;
    st.period_ns = (double)period_ns;
    st.phase_ns = (double)(phase_ns % period_ns);
    a->state = xmalloc(sizeof st);
    *(struct diurnal *)a->state = st;
    a->rate_per_s = mean;
    return 0;
}

/* rate(t) / peak rate, in [0, 1]. */
static double diurnal_accept_prob(const struct diurnal *st, double t_ns)
{
    double cycles = fmod(t_ns + st->phase_ns, st->period_ns) / st->period_ns;
    return (1.0 + st->amplitude * sin(DIURNAL_TWO_PI * cycles)) / (1.0 + st->amplitude);
}

static int64_t diurnal_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    const struct diurnal *st = a->state;
    double peak_per_ns = st->mean_per_ns * (1.0 + st->amplitude);
    double t_ns = (double)now_ns;
    do
        t_ns += rng_exp(r) / peak_per_ns;
    while (rng_uniform(r) >= diurnal_accept_prob(st, t_ns) && t_ns < 9e18);
    double gap_ns = t_ns - (double)now_ns;
    return gap_ns < 9e18 ? llround(gap_ns) : INT64_MAX;
}

static void diurnal_fini(struct arrival *a)
{
    free(a->state);
}

const struct arrival_policy arrival_diurnal = {
    .head.name = "diurnal",
    .head.summary = "Poisson arrivals with a sinusoidal rate "
               "mean*(1+amplitude*sin(2pi(t+phase)/period))",
    .head.params = diurnal_params,
    .init = diurnal_init,
    .next_gap = diurnal_gap,
    .fini = diurnal_fini,
};
