/* dist: random variates as written in scenario files.
 *
 *   const(5ms)  const(value=5ms)          uniform(min=1ms, max=3ms)
 *   exp(mean=10ms)                        normal(mean=10ms, sd=2ms)  (resampled while < 0)
 *   lognormal(median=20ms, sigma=0.5)     lognormal(mean=20ms, p99=200ms)
 *   pareto(scale=1ms, alpha=2.5)          pareto(mean=10ms, alpha=2.5)
 *   weibull(scale=10ms, shape=1.5)        weibull(mean=10ms, shape=1.5)
 *   hyperexp(mean=10ms, scv=4)            (two phases, balanced means)
 *   erlang(k=3, mean=10ms)                empirical(file=lat.csv, unit=ms)
 *   mix(0.9 exp(mean=1ms), 0.1 pareto(scale=5ms, alpha=1.5))
 *                                         (a mixture: weight, then a distribution)
 *
 * A duration distribution (DIST_DURATION) takes durations with units and
 * samples nanoseconds; a number distribution (DIST_NUMBER) takes plain
 * numbers. Scale-free parameters (sigma, alpha, shape, scv, k) are plain
 * numbers in all kinds. A size distribution (DIST_BYTES) takes sizes with byte
 * units ("4KB", "1MiB"; a bare number is bytes) and samples bytes. Parsing reports every mistake with its location.
 * empirical(file=) reads one value per line (first column of a CSV, '#'
 * comments and a non-numeric header line skipped); a relative path is taken
 * relative to the directory of the scenario file named in loc.file. */
#ifndef SDSIM_SIM_DIST_H
#define SDSIM_SIM_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct rng;

enum dist_unit { DIST_DURATION, DIST_NUMBER, DIST_BYTES };

enum dist_kind {
    DIST_CONST,
    DIST_UNIFORM,
    DIST_EXP,
    DIST_NORMAL,
    DIST_LOGNORMAL,
    DIST_PARETO,
    DIST_WEIBULL,
    DIST_HYPEREXP,
    DIST_ERLANG,
    DIST_EMPIRICAL,
    DIST_MIX,
};

struct dist {
    enum dist_kind kind;
    double p[4];      /* kind-specific parameters, in ns for durations */
    double *table;    /* DIST_EMPIRICAL: sorted values; DIST_MIX: cumulative
                         weights, the last 1 (owned) */
    size_t n;         /* DIST_EMPIRICAL: number of values; DIST_MIX: parts */
    struct dist *parts; /* DIST_MIX: the n component distributions (owned) */
    double mean;      /* exact mean of the distribution as sampled */
    double scv;       /* squared coefficient of variation (var / mean^2) */
};

/* Parses text at loc into *out. Returns 0 or -1 (diagnostics in d). On -1
 * nothing needs freeing. */
int dist_parse(struct dist *out, const char *text, struct loc loc, enum dist_unit unit,
               struct diag *d);
void dist_fini(struct dist *dist); /* frees a table and a mixture's parts; NULL-safe */

/* One variate: nanoseconds for a duration distribution. Always >= 0. */
double dist_sample(const struct dist *dist, struct rng *r);
/* dist_sample(dist, r) on a fresh stream r = rng_seed(seed), r then dropped:
 * the same value, but a one-draw distribution (const, uniform, exp) skips
 * seeding the whole state. A request's work stream is used so (sim_work_seed). */
double dist_sample_seeded(const struct dist *dist, uint64_t seed);
/* dist_sample rounded to the nearest nanosecond. */
int64_t dist_sample_ns(const struct dist *dist, struct rng *r);

/* The CDF at x (same units as samples), for tests; empirical uses its table. */
double dist_cdf(const struct dist *dist, double x);

/* The distributions as a policy family, for dist_parse's lookup and
 * `sdsim list` (models/registry.c lists it with the other families). */
extern const struct policy_family dist_family;

#endif
