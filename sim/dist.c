/* dist: parses distribution specs, samples them and evaluates their CDFs.
 *
 * A struct dist is plain data after parsing: kind, up to four precomputed
 * parameters, and for empirical a sorted table. Durations are stored in ns
 * as doubles, so sampling is a few flops and never touches the text again.
 * The meaning of p[] for each kind:
 *
 *   const      p0 value
 *   uniform    p0 min, p1 max
 *   exp        p0 mean
 *   normal     p0 mean before truncation, p1 sd, p2 P(N(p0, p1) >= 0)
 *   lognormal  p0 mu (of ln x, x in ns), p1 sigma
 *   pareto     p0 scale x_m, p1 alpha
 *   weibull    p0 scale lambda, p1 shape k
 *   hyperexp   p0 probability of phase 1, p1 phase-1 mean, p2 phase-2 mean
 *   erlang     p0 k, p1 mean of one phase (mean / k)
 *   mix        no p[]: table holds the cumulative weights, parts the
 *              component distributions
 *
 * Parsing goes on after a mistake, so one call reports every bad argument of
 * a spec at its own location. Formulas for means and variances are the
 * standard ones (Johnson, Kotz and Balakrishnan, "Continuous Univariate
 * Distributions", 2nd ed., 1994); the lognormal mean/p99 solution and the
 * balanced-means hyper-exponential fit are derived where they are used. */
#include "sim/dist.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define DIST_SQRT2 1.4142135623730950488016887242097
#define DIST_SQRT2PI 2.5066282746310005024157652848110
/* The standard normal 0.99 quantile, Phi^-1(0.99). */
#define DIST_Z99 2.3263478740408408
#define DIST_ERLANG_MAX_K 1000 /* sampling costs k draws */
#define DIST_MAX_FILE_ERRORS 10 /* bad lines reported before giving up */
#define DIST_TOKEN_MAX 127
/* The largest share of a duration distribution's samples that may lie past
 * UNITS_TIME_MAX_NS (and saturate there): one in a million. */
#define DIST_MAX_BEYOND 1e-6

/* State of one dist_parse call. */
struct dist_ctx {
    const struct spec *sp;
    const struct param_spec *params; /* the table for sp->name */
    const char *name;                /* distribution name, for messages */
    enum dist_unit unit;
    struct diag *d;
    int rc; /* becomes -1 at the first reported mistake */
};

/* Parameter tables. A def of "" marks one side of alternative forms
 * (median+sigma or mean+p99): optional, with no default of its own. For a
 * number distribution the "duration" parameters are plain numbers. */
static const struct param_spec dist_const_params[] = {
    {"value", "duration", NULL, "the value every draw returns, e.g. 5ms; const(5ms) also works"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_uniform_params[] = {
    {"min", "duration", NULL, "smallest value (inclusive), >= 0"},
    {"max", "duration", NULL, "largest value, >= min"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_exp_params[] = {
    {"mean", "duration", NULL, "mean, > 0; the rate is 1/mean"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_normal_params[] = {
    {"mean", "duration", NULL, "mean before truncation, >= 0"},
    {"sd", "duration", NULL,
     "standard deviation, > 0; draws below 0 are redrawn, so the actual mean exceeds "
     "'mean' when sd is not small next to it (by 0.29 sd when sd = mean)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_lognormal_params[] = {
    {"median", "duration", "", "median e^mu, > 0; give with sigma"},
    {"sigma", "number", "", "standard deviation of ln(x), > 0; give with median"},
    {"mean", "duration", "", "mean, > 0; give with p99 instead of median and sigma"},
    {"p99", "duration", "",
     "99th percentile; give with mean; must exceed mean and be at most 14.97 x mean"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_pareto_params[] = {
    {"scale", "duration", "", "smallest value x_m, > 0; or give mean instead"},
    {"alpha", "number", NULL,
     "tail index, > 0; the mean is finite for alpha > 1, the variance for alpha > 2"},
    {"mean", "duration", "", "mean, > 0, instead of scale (needs alpha > 1)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_weibull_params[] = {
    {"scale", "duration", "", "scale lambda (the 63rd percentile), > 0; or give mean instead"},
    {"shape", "number", NULL, "shape k, > 0: below 1 a heavier tail than exp, 1 is exp"},
    {"mean", "duration", "", "mean, > 0, instead of scale"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_hyperexp_params[] = {
    {"mean", "duration", NULL, "mean, > 0, e.g. 10ms"},
    {"scv", "number", NULL, "squared coefficient of variation var/mean^2, >= 1 (1 is exp)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_erlang_params[] = {
    {"k", "int", NULL, "number of exponential phases, 1 to 1000; scv = 1/k"},
    {"mean", "duration", NULL, "mean of the sum, > 0"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_empirical_params[] = {
    {"file", "path", NULL,
     "values, one per line: the first CSV column; '#' comments, blank lines and one header "
     "line are skipped; relative to the scenario's directory"},
    {"unit", "unit", "s",
     "unit of bare numbers in the file: ns, us, ms, s, m or h (a value may carry its own, "
     "as in 5ms); duration distributions only"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec dist_mix_params[] = {
    {"part", "weight dist", NULL,
     "two or more positional parts, each a weight (0.9 or 90%) then a distribution, as in "
     "mix(0.9 exp(mean=1ms), 0.1 pareto(scale=5ms, alpha=1.5)); the weights sum to 1"},
    {NULL, NULL, NULL, NULL},
};

/* In enum dist_kind order: dist_infos[kind] describes kind. */
static const struct policy_head dist_infos[] = {
    {"const", "always the same value", dist_const_params},
    {"uniform", "uniform between min and max", dist_uniform_params},
    {"exp", "exponential (memoryless), scv 1", dist_exp_params},
    {"normal", "normal, redrawn while below 0", dist_normal_params},
    {"lognormal", "lognormal, by median and sigma or by mean and p99", dist_lognormal_params},
    {"pareto", "Pareto (power-law tail), by scale or by mean, with alpha", dist_pareto_params},
    {"weibull", "Weibull, by scale or by mean, with shape", dist_weibull_params},
    {"hyperexp", "two-phase hyper-exponential with balanced means, scv >= 1",
     dist_hyperexp_params},
    {"erlang", "Erlang: the sum of k exponentials, scv 1/k", dist_erlang_params},
    {"empirical", "drawn uniformly from the values in a file", dist_empirical_params},
    {"mix", "a mixture: each draw picks a part by its weight (e.g. the PBS paper's fits)",
     dist_mix_params},
};

static const struct policy_head *const dist_table[] = {
    &dist_infos[DIST_CONST],  &dist_infos[DIST_UNIFORM],  &dist_infos[DIST_EXP],
    &dist_infos[DIST_NORMAL], &dist_infos[DIST_LOGNORMAL], &dist_infos[DIST_PARETO],
    &dist_infos[DIST_WEIBULL], &dist_infos[DIST_HYPEREXP], &dist_infos[DIST_ERLANG],
    &dist_infos[DIST_EMPIRICAL], &dist_infos[DIST_MIX], NULL,
};

_Static_assert(sizeof dist_table / sizeof dist_table[0] ==
                   sizeof dist_infos / sizeof dist_infos[0] + 1,
               "every distribution in the family's table");

const struct policy_family dist_family = {
    "dist", "distribution", "distributions for durations (service, think, latency)", dist_table};

/* ---- argument helpers --------------------------------------------------- */

static const struct param_spec *param_of(const struct dist_ctx *c, const char *key)
{
    for (const struct param_spec *p = c->params; p->name; p++)
        if (strcmp(p->name, key) == 0)
            return p;
    return NULL;
}

/* Whether key was written in the spec (named or positional). spec_value
 * returns the table's own def pointer for a default, so identity tells. */
static bool has(const struct dist_ctx *c, const char *key)
{
    const char *v = spec_value(c->sp, c->params, key, NULL);

    return v && v != param_of(c, key)->def;
}

static struct loc loc_of(const struct dist_ctx *c, const char *key)
{
    struct loc loc;

    spec_value(c->sp, c->params, key, &loc);
    return loc;
}

/* Reports msg at key's value as "name: msg (got key=value)". */
static void bad(struct dist_ctx *c, const char *key, const char *msg)
{
    struct loc loc;
    const char *v = spec_value(c->sp, c->params, key, &loc);

    c->rc = diag_error(c->d, loc, "%s: %s (got %s=%s)", c->name, msg, key, v ? v : "");
}

/* Reports msg at the spec's name: for missing or conflicting arguments. */
static void bad_spec(struct dist_ctx *c, const char *msg)
{
    c->rc = diag_error(c->d, c->sp->loc, "%s: %s", c->name, msg);
}

/* Parses key as a duration in ns (a plain number for DIST_NUMBER, a size in
 * bytes for DIST_BYTES). Returns
 * -1 if it is absent (spec_check has reported a missing required key) or bad. */
static int get_scale(struct dist_ctx *c, const char *key, double *out)
{
    struct loc loc;
    const char *v = spec_value(c->sp, c->params, key, &loc);
    const char *why = "";

    if (!v) {
        c->rc = -1;
        return -1;
    }
    if (c->unit == DIST_DURATION) {
        int64_t ns;
        if (units_parse_duration(v, &ns, &why) == 0) {
            *out = (double)ns;
            return 0;
        }
        c->rc = diag_error(c->d, loc, "%s: bad duration '%s' for %s: %s", c->name, v, key, why);
        return -1;
    }
    if (c->unit == DIST_BYTES) {
        uint64_t bytes;
        if (units_parse_bytes(v, &bytes, &why) == 0) {
            *out = (double)bytes;
            return 0;
        }
        c->rc = diag_error(c->d, loc, "%s: bad size '%s' for %s: %s", c->name, v, key, why);
        return -1;
    }
    if (units_parse_double(v, out, &why) < 0) {
        c->rc = diag_error(c->d, loc, "%s: bad number '%s' for %s: %s", c->name, v, key, why);
        return -1;
    }
    if (*out < 0.0 || !isfinite(*out)) {
        bad(c, key, "must be a finite number >= 0");
        return -1;
    }
    return 0;
}

/* Parses the scale-free number key (sigma, alpha, shape, scv). */
static int get_number(struct dist_ctx *c, const char *key, double *out)
{
    struct loc loc;
    const char *v = spec_value(c->sp, c->params, key, &loc);
    const char *why = "";

    if (!v) {
        c->rc = -1;
        return -1;
    }
    if (units_parse_double(v, out, &why) < 0) {
        c->rc = diag_error(c->d, loc, "%s: bad number '%s' for %s: %s", c->name, v, key, why);
        return -1;
    }
    return 0;
}

/* Checks a parsed value: reports msg at key unless ok. Returns ok. */
static bool need(struct dist_ctx *c, bool ok, const char *key, const char *msg)
{
    if (!ok)
        bad(c, key, msg);
    return ok;
}

/* Of two alternative keys, returns which one was given (1 or 2), or 0 after
 * reporting that neither or both were. */
static int pick(struct dist_ctx *c, const char *k1, const char *k2)
{
    bool h1 = has(c, k1), h2 = has(c, k2);
    char msg[160];

    if (h1 != h2)
        return h1 ? 1 : 2;
    snprintf(msg, sizeof msg, h1 ? "give %s or %s, not both" : "needs %s or %s", k1, k2);
    bad_spec(c, msg);
    return 0;
}

static double std_normal_cdf(double z)
{
    return 0.5 * erfc(-z / DIST_SQRT2);
}

/* ---- builders: check arguments, fill p[], mean and scv ------------------- */

static void build_const(struct dist *out, struct dist_ctx *c)
{
    if (get_scale(c, "value", &out->p[0]) < 0)
        return;
    out->mean = out->p[0];
    out->scv = 0.0;
}

static void build_uniform(struct dist *out, struct dist_ctx *c)
{
    double a, b;
    int ra = get_scale(c, "min", &a);

    if (get_scale(c, "max", &b) < 0 || ra < 0 || !need(c, a <= b, "max", "max must be >= min"))
        return;
    out->p[0] = a;
    out->p[1] = b;
    out->mean = (a + b) / 2.0;
    out->scv = out->mean > 0.0 ? (b - a) * (b - a) / 12.0 / (out->mean * out->mean) : 0.0;
}

static void build_exp(struct dist *out, struct dist_ctx *c)
{
    double m;

    if (get_scale(c, "mean", &m) < 0 || !need(c, m > 0.0, "mean", "mean must be > 0"))
        return;
    out->p[0] = m;
    out->mean = m;
    out->scv = 1.0;
}

/* Truncation at 0: with z0 = mean/sd, Z = Phi(z0) and lambda = phi(z0)/Z,
 * E = mean + sd lambda and Var = sd^2 (1 - z0 lambda - lambda^2) (Johnson,
 * Kotz and Balakrishnan, vol. 1, section 10.1). mean >= 0 keeps Z >= 1/2, so
 * sampling redraws fewer than two times on average. */
static void build_normal(struct dist *out, struct dist_ctx *c)
{
    double mu, sd;
    int rm = get_scale(c, "mean", &mu);

    if (get_scale(c, "sd", &sd) < 0 || !need(c, sd > 0.0, "sd", "sd must be > 0") || rm < 0)
        return;
    double z0 = mu / sd;
    double z = std_normal_cdf(z0);
    double lambda = exp(-0.5 * z0 * z0) / DIST_SQRT2PI / z;
    out->p[0] = mu;
    out->p[1] = sd;
    out->p[2] = z;
    out->mean = mu + sd * lambda;
    out->scv = sd * sd * (1.0 - z0 * lambda - lambda * lambda) / (out->mean * out->mean);
}

/* median + sigma: mu = ln median. mean + p99: mean = e^(mu + s^2/2) and
 * p99 = e^(mu + z s) give s^2 - 2 z s + 2 ln(p99/mean) = 0, so
 * s = z - sqrt(z^2 - 2 ln(p99/mean)): the smaller root, the lighter tail.
 * A real root needs p99/mean <= e^(z^2/2) = 14.97. */
static void lognormal_from_mean(struct dist *out, struct dist_ctx *c)
{
    double mean, p99;
    int rm = get_scale(c, "mean", &mean);

    if (get_scale(c, "p99", &p99) < 0 || rm < 0 ||
        !need(c, mean > 0.0, "mean", "mean must be > 0") ||
        !need(c, p99 > mean, "p99", "p99 must be greater than mean"))
        return;
    double disc = DIST_Z99 * DIST_Z99 - 2.0 * log(p99 / mean);
    if (!need(c, disc >= 0.0, "p99",
              "p99 is over 14.97 times mean, which no lognormal allows; lower p99 or raise mean"))
        return;
    out->p[1] = DIST_Z99 - sqrt(disc);
    out->p[0] = log(mean) - out->p[1] * out->p[1] / 2.0;
}

static void build_lognormal(struct dist *out, struct dist_ctx *c)
{
    bool by_median = has(c, "median") || has(c, "sigma");
    bool by_mean = has(c, "mean") || has(c, "p99");

    if (by_median == by_mean) {
        bad_spec(c, by_median ? "give median and sigma, or mean and p99, not a mix"
                              : "needs median and sigma, or mean and p99");
        return;
    }
    if (by_mean && (!has(c, "mean") || !has(c, "p99"))) {
        bad_spec(c, "mean and p99 go together");
        return;
    }
    if (by_mean) {
        lognormal_from_mean(out, c);
    } else {
        double median, sigma;
        if (!has(c, "median") || !has(c, "sigma")) {
            bad_spec(c, "median and sigma go together");
            return;
        }
        int rm = get_scale(c, "median", &median);
        if (get_number(c, "sigma", &sigma) < 0 ||
            !need(c, sigma > 0.0 && isfinite(sigma), "sigma", "sigma must be > 0") || rm < 0 ||
            !need(c, median > 0.0, "median", "median must be > 0"))
            return;
        out->p[0] = log(median);
        out->p[1] = sigma;
    }
    if (c->rc < 0)
        return;
    double s2 = out->p[1] * out->p[1];
    out->mean = exp(out->p[0] + s2 / 2.0);
    out->scv = expm1(s2);
}

/* mean = alpha x_m / (alpha - 1) for alpha > 1, else infinite;
 * scv = 1 / (alpha (alpha - 2)) for alpha > 2, else infinite. */
static void build_pareto(struct dist *out, struct dist_ctx *c)
{
    double alpha, v;
    int form = pick(c, "scale", "mean");
    int ra = get_number(c, "alpha", &alpha);

    if (ra == 0 && !need(c, alpha > 0.0 && isfinite(alpha), "alpha", "alpha must be > 0"))
        ra = -1;
    if (form == 0 || get_scale(c, form == 1 ? "scale" : "mean", &v) < 0 || ra < 0)
        return;
    if (form == 2 && !need(c, alpha > 1.0, "alpha", "alpha must be > 1 for a finite mean"))
        return;
    if (!need(c, v > 0.0, form == 1 ? "scale" : "mean",
              form == 1 ? "scale must be > 0" : "mean must be > 0"))
        return;
    out->p[0] = form == 1 ? v : v * (alpha - 1.0) / alpha;
    out->p[1] = alpha;
    out->mean = alpha > 1.0 ? alpha * out->p[0] / (alpha - 1.0) : HUGE_VAL;
    out->scv = alpha > 2.0 ? 1.0 / (alpha * (alpha - 2.0)) : HUGE_VAL;
}

/* mean = lambda G(1 + 1/k), scv = G(1 + 2/k) / G(1 + 1/k)^2 - 1. tgamma,
 * not lgamma, because lgamma writes the global signgam. */
static void build_weibull(struct dist *out, struct dist_ctx *c)
{
    double k, v;
    int form = pick(c, "scale", "mean");
    int rk = get_number(c, "shape", &k);

    if (rk == 0 && !need(c, k > 0.0 && isfinite(k), "shape", "shape must be > 0"))
        rk = -1;
    if (form == 0 || get_scale(c, form == 1 ? "scale" : "mean", &v) < 0 || rk < 0)
        return;
    if (!need(c, v > 0.0, form == 1 ? "scale" : "mean",
              form == 1 ? "scale must be > 0" : "mean must be > 0"))
        return;
    double g1 = tgamma(1.0 + 1.0 / k);
    double scv = tgamma(1.0 + 2.0 / k) / (g1 * g1) - 1.0;
    if (!need(c, isfinite(scv), "shape", "shape too small: the moments overflow (use >= 0.02)"))
        return;
    out->p[0] = form == 1 ? v : v / g1;
    out->p[1] = k;
    out->mean = out->p[0] * g1;
    out->scv = scv;
}

/* Balanced means (Whitt 1982; Allen, "Probability, Statistics and Queueing
 * Theory", 1990): p1 = (1 + sqrt((scv - 1) / (scv + 1))) / 2 and phase i
 * has rate 2 p_i / mean, so each phase contributes mean/2 to the mean. */
static void build_hyperexp(struct dist *out, struct dist_ctx *c)
{
    double m, scv;
    int rm = get_scale(c, "mean", &m);

    if (get_number(c, "scv", &scv) < 0 ||
        !need(c, scv >= 1.0 && isfinite(scv), "scv",
              "scv must be >= 1; for less variable times use erlang") ||
        rm < 0 || !need(c, m > 0.0, "mean", "mean must be > 0"))
        return;
    double p1 = (1.0 + sqrt((scv - 1.0) / (scv + 1.0))) / 2.0;
    out->p[0] = p1;
    out->p[1] = m / (2.0 * p1);
    out->p[2] = m / (2.0 * (1.0 - p1));
    out->mean = m;
    out->scv = scv;
}

static void build_erlang(struct dist *out, struct dist_ctx *c)
{
    struct loc loc;
    const char *v = spec_value(c->sp, c->params, "k", &loc);
    const char *why = "";
    long long k = 0;
    double m;
    int rk = -1;

    if (v && units_parse_int(v, &k, &why) < 0)
        c->rc = diag_error(c->d, loc, "%s: bad k '%s': %s", c->name, v, why);
    else if (v && need(c, k >= 1 && k <= DIST_ERLANG_MAX_K, "k", "k must be between 1 and 1000"))
        rk = 0;
    if (get_scale(c, "mean", &m) < 0 || !need(c, m > 0.0, "mean", "mean must be > 0") || rk < 0)
        return;
    out->p[0] = (double)k;
    out->p[1] = m / (double)k;
    out->mean = m;
    out->scv = 1.0 / (double)k;
}

/* ---- empirical ----------------------------------------------------------- */

/* Cuts line down to its first field: '#' starts a comment, ',' ends the
 * first CSV column, and blanks around it go. Returns the field. */
static char *first_field(char *line)
{
    line[strcspn(line, "#,\r\n")] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    return line;
}

/* Converts one field: a duration (bare numbers take unit) or a number >= 0. */
static int parse_value(const char *tok, const char *unit, enum dist_unit kind, double *out,
                       const char **why)
{
    char buf[DIST_TOKEN_MAX + 8];
    size_t n = strlen(tok);
    int64_t ns;

    if (kind == DIST_BYTES) {
        uint64_t bytes;
        if (units_parse_bytes(tok, &bytes, why) < 0)
            return -1;
        *out = (double)bytes;
        return 0;
    }
    if (kind == DIST_NUMBER) {
        if (units_parse_double(tok, out, why) < 0)
            return -1;
        if (*out < 0.0 || !isfinite(*out)) {
            *why = "values must be finite and >= 0";
            return -1;
        }
        return 0;
    }
    if (n > DIST_TOKEN_MAX) {
        *why = "value too long";
        return -1;
    }
    /* A field ending in a digit or '.' is a bare number: give it the unit. */
    bool bare = n > 0 && (tok[n - 1] == '.' || (tok[n - 1] >= '0' && tok[n - 1] <= '9'));
    snprintf(buf, sizeof buf, "%s%s", tok, bare ? unit : "");
    if (units_parse_duration(buf, &ns, why) < 0)
        return -1;
    *out = (double)ns;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    /* Equal values are indistinguishable, so qsort's instability is harmless. */
    return (x > y) - (x < y);
}

/* Reads the values of path into out->table. A first line whose field starts
 * with a letter is a header. Bad lines are reported at loc (the file=
 * argument) as "path:line: bad value". */
static void read_table(struct dist *out, struct dist_ctx *c, FILE *f, const char *path,
                       const char *unit, struct loc loc)
{
    char *line = NULL;
    size_t linecap = 0, cap = 0, lineno = 0, nbad = 0;
    bool seen_data = false;

    while (getline(&line, &linecap, f) >= 0 && nbad < DIST_MAX_FILE_ERRORS) {
        const char *why = "";
        char *tok = first_field(line);
        double v;
        lineno++;
        if (!*tok)
            continue;
        bool letter = (*tok >= 'a' && *tok <= 'z') || (*tok >= 'A' && *tok <= 'Z') ||
                      *tok == '_' || *tok == '"';
        if (!seen_data && letter) {
            seen_data = true; /* the header */
            continue;
        }
        seen_data = true;
        if (parse_value(tok, unit, c->unit, &v, &why) < 0) {
            c->rc = diag_error(c->d, loc, "%s:%zu: bad value '%s': %s", path, lineno, tok, why);
            nbad++;
            continue;
        }
        xgrow(&out->table, &cap, out->n + 1, sizeof(double));
        out->table[out->n++] = v;
    }
    free(line);
}

static void set_table_moments(struct dist *out)
{
    double sum = 0.0, ss = 0.0;

    for (size_t i = 0; i < out->n; i++)
        sum += out->table[i];
    out->mean = sum / (double)out->n;
    for (size_t i = 0; i < out->n; i++)
        ss += (out->table[i] - out->mean) * (out->table[i] - out->mean);
    out->scv = out->mean > 0.0 ? ss / (double)out->n / (out->mean * out->mean) : 0.0;
}

static void build_empirical(struct dist *out, struct dist_ctx *c)
{
    struct loc loc = loc_of(c, "file");
    const char *file = spec_value(c->sp, c->params, "file", NULL);
    const char *unit = spec_value(c->sp, c->params, "unit", NULL);
    const char *why = "";
    int64_t one;
    char probe[DIST_TOKEN_MAX + 2];

    bool unit_ok = true;

    snprintf(probe, sizeof probe, "1%s", unit);
    if (c->unit != DIST_DURATION && has(c, "unit")) {
        bad(c, "unit", "unit applies only to durations");
        unit_ok = false;
    } else if (c->unit == DIST_DURATION && (strspn(unit, "0123456789.+-eE ") > 0 ||
                                            units_parse_duration(probe, &one, &why) < 0)) {
        bad(c, "unit", "unknown unit (expected ns, us, ms, s, m or h)");
        unit_ok = false;
    }
    if (!file || !unit_ok) {
        c->rc = -1;
        return;
    }
    char *path = diag_path_near(file, loc);
    FILE *f = fopen(path, "r");
    if (!f) {
        char err[128];
        if (strerror_r(errno, err, sizeof err) != 0)
            snprintf(err, sizeof err, "error %d", errno);
        c->rc = diag_noinput(c->d, loc, "cannot open '%s': %s", path, err);
        free(path);
        return;
    }
    int before = c->rc;
    c->rc = 0;
    read_table(out, c, f, path, unit, loc);
    if (ferror(f))
        c->rc = diag_error(c->d, loc, "error reading '%s'", path);
    else if (out->n == 0 && c->rc == 0)
        c->rc = diag_error(c->d, loc, "'%s' contains no values", path);
    if (before < 0)
        c->rc = -1;
    fclose(f);
    free(path);
    if (c->rc < 0)
        return;
    qsort(out->table, out->n, sizeof(double), cmp_double);
    set_table_moments(out);
}

/* In enum dist_kind order, like dist_infos. */
static void (*const dist_builders[])(struct dist *, struct dist_ctx *) = {
    build_const,   build_uniform, build_exp,      build_normal, build_lognormal,
    build_pareto,  build_weibull, build_hyperexp, build_erlang, build_empirical,
};

_Static_assert(sizeof dist_builders / sizeof dist_builders[0] ==
                   sizeof dist_infos / sizeof dist_infos[0] - 1,
               "one builder per catalogue entry but mix (parse_mix)");

/* mix(w1 spec1, w2 spec2, ...): positional parts, each a weight and a whole
 * distribution (parsed recursively, so its mistakes are reported at their
 * own columns). Weights are in (0, 1] and must sum to 1 within 1e-6 (a
 * typo in one weight should not be silently renormalised away); they are
 * then scaled to sum exactly to 1. */
static int parse_mix(struct dist *out, const struct spec *sp, enum dist_unit unit,
                     struct diag *d)
{
    if (sp->nargs < 2)
        return diag_error(d, sp->loc,
                          "mix: needs at least two parts, as in mix(0.9 exp(mean=1ms), 0.1 "
                          "const(5ms))");
    out->kind = DIST_MIX;
    out->n = sp->nargs;
    out->parts = xcalloc(sp->nargs, sizeof *out->parts);
    out->table = xcalloc(sp->nargs, sizeof *out->table);
    int rc = 0;
    double sum = 0.0;
    for (size_t i = 0; i < sp->nargs; i++) {
        const struct spec_arg *a = &sp->args[i];
        if (a->key) {
            rc = diag_error(d, a->key_loc,
                            "mix: parts are positional, a weight then a distribution (got "
                            "'%s=')",
                            a->key);
            continue;
        }
        size_t wlen = strcspn(a->val, " \t");
        char wtext[DIST_TOKEN_MAX];
        const char *why = "";
        double w = 0.0;
        if (wlen >= sizeof wtext || a->val[wlen] == '\0') {
            rc = diag_error(d, a->val_loc, "mix: part '%s' needs a weight and a distribution, "
                                           "as in 0.9 exp(mean=1ms)", a->val);
            continue;
        }
        memcpy(wtext, a->val, wlen);
        wtext[wlen] = '\0';
        if (units_parse_fraction(wtext, &w, &why) < 0 || w <= 0.0) {
            rc = diag_error(d, a->val_loc, "mix: bad weight '%s': %s", wtext,
                            w <= 0.0 && !*why ? "must be above 0" : why);
            continue;
        }
        size_t off = wlen + strspn(a->val + wlen, " \t");
        struct loc sub = a->val_loc;
        sub.col += (int)off;
        if (dist_parse(&out->parts[i], a->val + off, sub, unit, d) < 0) {
            rc = -1;
            continue;
        }
        sum += w;
        out->table[i] = w;
    }
    if (rc == 0 && fabs(sum - 1.0) > 1e-6)
        rc = diag_error(d, sp->loc, "mix: the weights sum to %g, not 1", sum);
    if (rc < 0)
        return -1;
    double cum = 0.0, m = 0.0, m2 = 0.0;
    for (size_t i = 0; i < out->n; i++) {
        double w = out->table[i] / sum, mi = out->parts[i].mean;
        m += w * mi;
        m2 += w * mi * mi * (out->parts[i].scv + 1.0);
        cum += w;
        out->table[i] = cum;
    }
    out->table[out->n - 1] = 1.0;
    out->mean = m;
    out->scv = m > 0.0 && isfinite(m2) ? (m2 - m * m) / (m * m) : (m > 0.0 ? (double)INFINITY : 0.0);
    return 0;
}

/* ---- public API ------------------------------------------------------------ */

/* Refuses a duration distribution whose samples often lie beyond the end of
 * time: they would saturate there, and results built on them mean nothing.
 * pareto with alpha <= 1 (infinite mean) passes when its tail is light
 * enough at that horizon, e.g. pareto(scale=1ms, alpha=0.5). */
static void check_tail(const struct dist *dist, struct dist_ctx *c)
{
    double beyond = 1.0 - dist_cdf(dist, (double)UNITS_TIME_MAX_NS);
    if (!(beyond <= DIST_MAX_BEYOND))
        c->rc = diag_error(c->d, c->sp->loc,
                           "%s: %.2g%% of its samples would be longer than 73 years, the longest "
                           "time sdsim represents (at most one in a million may be); lighten the "
                           "tail or shrink the scale",
                           c->name, 100.0 * beyond);
}

/* A number where a distribution belongs ("5ms", "-1ms"): says what is wrong
 * with it rather than calling it a bad name. Returns -1 if text is one. */
static int number_for_dist(const char *text, struct loc loc, struct diag *d)
{
    size_t b = strspn(text, " \t");
    char c = text[b];
    if (!(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')))
        return 0;
    loc.col += (int)b;
    if (c == '-')
        return diag_error(d, loc, "'%s' is negative: a distribution's values must be >= 0",
                          text + b);
    return diag_error(d, loc, "'%s' is a number, not a distribution: write const(%s)", text + b,
                      text + b);
}

int dist_parse(struct dist *out, const char *text, struct loc loc, enum dist_unit unit,
               struct diag *d)
{
    struct spec sp;
    size_t kind = 0;
    char what[64];

    memset(out, 0, sizeof *out);
    if (number_for_dist(text, loc, d) < 0)
        return -1;
    if (spec_parse(&sp, text, loc, d) < 0)
        return -1;
    const struct policy_head *h = policy_lookup(&dist_family, &sp, d);
    if (!h)
        return -1;
    kind = (size_t)(h - dist_infos);
    if (kind == DIST_MIX) {
        if (parse_mix(out, &sp, unit, d) < 0) {
            dist_fini(out);
            memset(out, 0, sizeof *out);
            return -1;
        }
        return 0;
    }
    struct dist_ctx c = {&sp, dist_infos[kind].params, dist_infos[kind].name, unit, d, 0};
    snprintf(what, sizeof what, "distribution '%s'", c.name);
    c.rc = spec_check(&sp, c.params, what, d);
    out->kind = (enum dist_kind)kind;
    dist_builders[kind](out, &c);
    if (c.rc == 0 && unit == DIST_DURATION)
        check_tail(out, &c);
    if (c.rc < 0) {
        dist_fini(out);
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

void dist_fini(struct dist *dist)
{
    if (!dist)
        return;
    if (dist->kind == DIST_MIX && dist->parts)
        for (size_t i = 0; i < dist->n; i++)
            dist_fini(&dist->parts[i]);
    free(dist->parts);
    dist->parts = NULL;
    free(dist->table);
    dist->table = NULL;
    dist->n = 0;
}

double dist_sample(const struct dist *dist, struct rng *r)
{
    const double *p = dist->p;
    double x;

    switch (dist->kind) {
    case DIST_CONST:
        return p[0];
    case DIST_UNIFORM:
        return p[0] + (p[1] - p[0]) * rng_uniform(r);
    case DIST_EXP:
        return p[0] * rng_exp(r);
    case DIST_NORMAL:
        do
            x = p[0] + p[1] * rng_normal(r);
        while (x < 0.0);
        return x;
    case DIST_LOGNORMAL:
        return exp(p[0] + p[1] * rng_normal(r));
    case DIST_PARETO:
        return p[0] * pow(rng_uniform_pos(r), -1.0 / p[1]);
    case DIST_WEIBULL:
        return p[0] * pow(rng_exp(r), 1.0 / p[1]);
    case DIST_HYPEREXP:
        x = rng_uniform(r) < p[0] ? p[1] : p[2];
        return x * rng_exp(r);
    case DIST_ERLANG:
        x = 0.0;
        for (int i = 0; i < (int)p[0]; i++)
            x += rng_exp(r);
        return p[1] * x;
    case DIST_EMPIRICAL:
        return dist->table[rng_below(r, dist->n)];
    case DIST_MIX: {
        double u = rng_uniform(r);
        size_t i = 0;
        while (i + 1 < dist->n && u >= dist->table[i])
            i++;
        return dist_sample(&dist->parts[i], r);
    }
    }
    return 0.0;
}

/* The expressions are dist_sample's and rng_uniform's, rng_uniform_pos's and
 * rng_exp's on the stream's first output, so the values are the same bits. */
double dist_sample_seeded(const struct dist *dist, uint64_t seed)
{
    const double *p = dist->p;

    switch (dist->kind) {
    case DIST_CONST:
        return p[0];
    case DIST_UNIFORM:
        return p[0] + (p[1] - p[0]) * ((double)(rng_seed_first(seed) >> 11) * 0x1.0p-53);
    case DIST_EXP:
        return p[0] * (0.0 - log((double)((rng_seed_first(seed) >> 11) + 1) * 0x1.0p-53));
    default: {
        struct rng r;
        rng_seed(&r, seed);
        return dist_sample(dist, &r);
    }
    }
}

/* Saturates at the end of time, UNITS_TIME_MAX_NS: a heavy tail may draw
 * beyond it, and the event it times is then never reached. */
int64_t dist_sample_ns(const struct dist *dist, struct rng *r)
{
    return units_ns_from_double(dist_sample(dist, r));
}

/* P(N(mu, sd) <= x | >= 0) for the truncated normal. */
static double normal_cdf(const double *p, double x)
{
    if (x < 0.0)
        return 0.0;
    double below0 = 1.0 - p[2];
    return (std_normal_cdf((x - p[0]) / p[1]) - below0) / p[2];
}

/* Erlang: 1 - sum_{n<k} e^-y y^n / n!, y = x / phase mean (the Poisson sum),
 * with terms built in logs so that a large y does not underflow early. */
static double erlang_cdf(const double *p, double x)
{
    if (x <= 0.0)
        return 0.0;
    double y = x / p[1], logt = -y, sum = 0.0;
    for (int n = 0; n < (int)p[0]; n++) {
        if (n > 0)
            logt += log(y) - log((double)n);
        sum += exp(logt);
    }
    return sum < 1.0 ? 1.0 - sum : 0.0;
}

/* Fraction of the table <= x, by binary search. */
static double empirical_cdf(const struct dist *dist, double x)
{
    size_t lo = 0, hi = dist->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dist->table[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (double)lo / (double)dist->n;
}

double dist_cdf(const struct dist *dist, double x)
{
    const double *p = dist->p;

    switch (dist->kind) {
    case DIST_CONST:
        return x < p[0] ? 0.0 : 1.0;
    case DIST_UNIFORM:
        if (x < p[0])
            return 0.0;
        return x >= p[1] ? 1.0 : (x - p[0]) / (p[1] - p[0]);
    case DIST_EXP:
        return x <= 0.0 ? 0.0 : -expm1(-x / p[0]);
    case DIST_NORMAL:
        return normal_cdf(p, x);
    case DIST_LOGNORMAL:
        return x <= 0.0 ? 0.0 : std_normal_cdf((log(x) - p[0]) / p[1]);
    case DIST_PARETO:
        return x <= p[0] ? 0.0 : 1.0 - pow(p[0] / x, p[1]);
    case DIST_WEIBULL:
        return x <= 0.0 ? 0.0 : -expm1(-pow(x / p[0], p[1]));
    case DIST_HYPEREXP:
        if (x <= 0.0)
            return 0.0;
        return 1.0 - p[0] * exp(-x / p[1]) - (1.0 - p[0]) * exp(-x / p[2]);
    case DIST_ERLANG:
        return erlang_cdf(p, x);
    case DIST_EMPIRICAL:
        return empirical_cdf(dist, x);
    case DIST_MIX: {
        double f = 0.0, prev = 0.0;
        for (size_t i = 0; i < dist->n; i++) {
            f += (dist->table[i] - prev) * dist_cdf(&dist->parts[i], x);
            prev = dist->table[i];
        }
        return f;
    }
    }
    return 0.0;
}
