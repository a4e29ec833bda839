/* stats: streaming statistics of a run and across runs.
 *
 * - Student t quantiles and 95% confidence intervals across replications.
 * - Welford running moments.
 * - Streaming batch means with a bounded number of batches (when the table is
 *   full, neighbouring batches are merged and the batch size doubles), for a
 *   CI of a steady-state mean from one long run and for `precision = 2%`.
 * - MSER-5 truncation (White 1997; White, Cobb and Spratt 2000) on the batch
 *   series, for `warmup = auto`.
 * All are plain data with fixed memory. */
#ifndef SDSIM_SIM_STATS_H
#define SDSIM_SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Quantile of Student's t distribution with df > 0 degrees of freedom,
 * 0 < p < 1, accurate to 1e-8 relative (Hill 1970 or numeric inversion of
 * the regularised incomplete beta function). */
double stats_t_quantile(double p, double df);

/* Two-sided 95% CI of the mean of x[0..n), Student t with n - 1 degrees of
 * freedom. n == 1 gives the mean with lo and hi NAN (no spread is known, so
 * there is no interval); n == 0 gives mean 0 and lo, hi NAN. */
struct ci {
    double mean;
    double lo;
    double hi;
    size_t n;
};
void stats_ci95(const double *x, size_t n, struct ci *out);
/* Woodruff's interval for a q-quantile (Woodruff, "Confidence intervals
 * for medians and other position measures", JASA 47, 1952; the quantile
 * form of batching in Nakayama, "Confidence intervals for quantiles using
 * sectioning when applying variance-reduction techniques", ACM TOMACS 24,
 * 2014). below[0..n) holds, for each of n independent replications, the
 * fraction of its observations at or below the pooled estimate of the
 * quantile: means of indicators, so their Student t interval is sound
 * where the per-replication quantiles, skewed in the tail, are not. The
 * interval for the probability, [q - h, q + h], is mapped back through the
 * pooled quantile function by the caller. Sets *p_lo and *p_hi (p_lo may be
 * <= 0 and p_hi >= 1: the caller maps those to the smallest and the largest
 * observation) and returns true; false when n < 2. */
bool stats_quantile_ci95(const double *below, size_t n, double q, double *p_lo, double *p_hi);
/* Intersects the interval with [min, max], the range the quantity is known
 * to lie in (latencies >= 0, ratios in [0, 1]). A confidence set cut to the
 * parameter space keeps its coverage: the true value is in both. */
void stats_ci_clamp(struct ci *c, double min, double max);

struct moments {
    uint64_t n;
    double mean;
    double m2; /* sum of squared deviations */
};
void moments_add(struct moments *m, double x);
double moments_var(const struct moments *m); /* sample variance, n-1 */

/* Batch means with at most BATCHES_MAX batches. Observations are added in
 * order; batch_size starts at base_size and doubles whenever the table fills. */
#define BATCHES_MAX 1024
struct batches {
    size_t base_size;
    size_t batch_size;   /* observations per full batch */
    size_t nbatches;     /* full batches in mean[] */
    size_t fill;         /* observations in the current partial batch */
    double partial_sum;
    double mean[BATCHES_MAX];
};
void batches_init(struct batches *b, size_t base_size);
void batches_add(struct batches *b, double x);
/* 95% CI of the grand mean from the full batches, regrouped into k batches
 * (k between 10 and 30 recommended; fewer full batches than k uses them all).
 * Returns false if fewer than 2 batches are full. */
bool batches_ci95(const struct batches *b, size_t k, struct ci *out);

/* MSER-5 on a series of batch means y[0..n): the truncation point d (a batch
 * index, 0 <= d <= n/2) that minimises the standard error of the mean of
 * y[d..n), searched over the first half only as the method prescribes. */
size_t stats_mser(const double *y, size_t n);

#endif
