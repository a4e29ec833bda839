/* arrival mmpp: a two-state Markov-modulated Poisson process (on/off
 * bursts). The process alternates between an "on" state with rate `on` and
 * an "off" state with rate `off`; sojourns are exponential with means
 * `mean_on` and `mean_off`:
 *
 *   mmpp(on=200/s, off=10/s, mean_on=5s, mean_off=20s, start=off)
 *
 * It starts in the off state by default, so the first burst comes after
 * Exp(mean_off); start=on begins with a burst; start=random picks on with
 * the stationary probability mean_on / (mean_on + mean_off), and since
 * sojourns are exponential the process is then stationary from time 0.
 * Long-run mean rate (a->rate_per_s):
 *   (on * mean_on + off * mean_off) / (mean_on + mean_off).
 * Reference: Fischer and Meier-Hellstern, "The Markov-modulated Poisson
 * process (MMPP) cookbook", Performance Evaluation 18(2), 1993.
 *
 * Each gap draws E ~ Exp(1) and spends it at the current state's rate up to
 * the next switch, then at the next state's (inversion of the integrated
 * rate; exact by memorylessness). Cost: O(1) per arrival plus O(1) per state
 * switch, one draw each. State: the current state and when it ends. */
#include "models/arrival/arrival.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

enum mmpp_start { MMPP_START_OFF, MMPP_START_ON, MMPP_START_RANDOM };

struct mmpp {
    double rate_per_ns[2]; /* [0] off, [1] on */
    double mean_ns[2];     /* mean sojourn, > 0 */
    enum mmpp_start start;
    bool started;     /* state and switch_ns are set (first gap drawn) */
    int state;        /* 0 off, 1 on */
    double switch_ns; /* when the current state ends */
};

static const struct param_spec mmpp_params[] = {
    {"on", "rate", NULL, "rate during a burst, e.g. 200/s"},
    {"off", "rate", NULL, "rate between bursts (0 allowed)"},
    {"mean_on", "duration", NULL, "mean length of a burst (exponential)"},
    {"mean_off", "duration", NULL, "mean time between bursts (exponential)"},
    {"start", "off|on|random", "off",
     "state at time 0; random: stationary (on with probability "
     "mean_on / (mean_on + mean_off))"},
    {NULL, NULL, NULL, NULL},
};

static int read_mean(const struct spec *sp, const char *key, double *out_ns, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, mmpp_params, key, &loc);
    const char *why;
    int64_t ns;
    if (units_parse_duration(v, &ns, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    if (ns <= 0)
        return diag_error(d, loc, "%s must be positive, got '%s'", key, v);
    *out_ns = (double)ns;
    return 0;
}

static int read_start(const struct spec *sp, enum mmpp_start *out, struct diag *d)
{
    static const char *const names[] = {"off", "on", "random"};
    struct loc loc;
    const char *v = spec_value(sp, mmpp_params, "start", &loc);
    for (size_t i = 0; i < 3; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (enum mmpp_start)i;
            return 0;
        }
    return diag_error(d, loc, "bad start '%s': expected off, on or random", v);
}

static int mmpp_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    struct mmpp st = {.started = false};
    double on, off;
    int rc = 0;
    if (arrival_read_rate(sp, mmpp_params, "on", &on, d) < 0)
        rc = -1;
    if (arrival_read_rate(sp, mmpp_params, "off", &off, d) < 0)
        rc = -1;
    if (read_mean(sp, "mean_on", &st.mean_ns[1], d) < 0)
        rc = -1;
    if (read_mean(sp, "mean_off", &st.mean_ns[0], d) < 0)
        rc = -1;
    if (read_start(sp, &st.start, d) < 0)
        rc = -1;
    if (rc == 0 && on == 0.0 && off == 0.0)
        return diag_error(d, sp->loc, "mmpp with both rates 0: no request would ever arrive");
    if (rc < 0)
        return -1;
    st.rate_per_ns[0] = off / 1e9;
    st.rate_per_ns[1] = on / 1e9;
    a->state = xmalloc(sizeof st);
    *(struct mmpp *)a->state = st;
    a->rate_per_s = (on * st.mean_ns[1] + off * st.mean_ns[0]) / (st.mean_ns[0] + st.mean_ns[1]);
    return 0;
}

/* Enters the initial state at t_ns (the first call, usually at 0). */
static void mmpp_begin(struct mmpp *st, double t_ns, struct rng *r)
{
    if (st->start == MMPP_START_RANDOM)
        st->state = rng_uniform(r) * (st->mean_ns[0] + st->mean_ns[1]) < st->mean_ns[1];
    else
        st->state = st->start == MMPP_START_ON;
    st->switch_ns = t_ns + st->mean_ns[st->state] * rng_exp(r);
    st->started = true;
}

static int64_t mmpp_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    struct mmpp *st = a->state;
    double t_ns = (double)now_ns;
    if (!st->started)
        mmpp_begin(st, t_ns, r);
    double e = rng_exp(r);
    for (;;) {
        double rate = st->rate_per_ns[st->state];
        double mass = rate * fmax(0.0, st->switch_ns - t_ns);
        if (rate > 0.0 && mass >= e)
            break;
        e -= mass;
        t_ns = fmax(t_ns, st->switch_ns);
        st->state = 1 - st->state;
        st->switch_ns = t_ns + st->mean_ns[st->state] * rng_exp(r);
    }
    double gap_ns = t_ns + e / st->rate_per_ns[st->state] - (double)now_ns;
    return gap_ns < 9e18 ? llround(gap_ns) : INT64_MAX;
}

static void mmpp_fini(struct arrival *a)
{
    free(a->state);
}

const struct arrival_policy arrival_mmpp = {
    .head.name = "mmpp",
    .head.summary = "on/off bursts: two-state Markov-modulated Poisson process",
    .head.params = mmpp_params,
    .init = mmpp_init,
    .next_gap = mmpp_gap,
    .fini = mmpp_fini,
};
