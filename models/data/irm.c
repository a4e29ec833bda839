/* irm: cache hit ratios under the independent reference model (see irm.h). */
#include "models/data/irm.h"

#include <math.h>
#include <stdbool.h>

static bool is_rate(double x)
{
    return isfinite(x) && x >= 0;
}

double irm_zipf_norm(size_t n, double s)
{
    if (n == 0 || !is_rate(s))
        return (double)NAN;
    double h = 0;
    for (size_t i = n; i > 0; i--) /* smallest terms first */
        h += pow((double)i, -s);
    return h;
}

/* Occupancy of the cache at characteristic time t: sum_i g(p_i t) and its
 * derivative in t, sum_i p_i g'(p_i t), for LRU (g(x) = 1 - e^-x) or FIFO
 * (g(x) = x / (1 + x)); hit: sum_i p_i g(p_i t). */
static void occupancy(size_t n, double s, double h, bool lru, double t, double *occ,
                      double *slope, double *hit)
{
    double o = 0, d = 0, r = 0;
    for (size_t i = n; i > 0; i--) {
        double p = pow((double)i, -s) / h, x = p * t;
        double g = lru ? -expm1(-x) : x / (1 + x);
        double dg = lru ? exp(-x) : 1 / ((1 + x) * (1 + x));
        o += g;
        d += p * dg;
        r += p * g;
    }
    *occ = o;
    *slope = d;
    *hit = r;
}

/* Newton from t = 0 on the concave increasing occupancy: each step lands at
 * or below the root, so the iterates increase to it. Returns t and the hit
 * ratio at t. */
static double solve(size_t n, double s, double cap, bool lru, double *hit)
{
    *hit = (double)NAN;
    if (n == 0 || !is_rate(s) || !is_rate(cap))
        return (double)NAN;
    if (cap >= (double)n) {
        *hit = 1;
        return (double)INFINITY;
    }
    if (cap == 0) {
        *hit = 0;
        return 0;
    }
    double h = irm_zipf_norm(n, s), t = 0, occ, slope;
    for (int i = 0; i < 1000; i++) {
        occupancy(n, s, h, lru, t, &occ, &slope, hit);
        double step = (cap - occ) / slope;
        if (!(step > 1e-13 * t) || !isfinite(step))
            return t; /* converged: the step is below the rounding of t */
        t += step;
    }
    *hit = (double)NAN; /* not converged: no value rather than a wrong one */
    return (double)NAN;
}

/* The last solves of this thread, most recent first: the same cache is
 * solved for the napkin estimate before the runs, in each run, and for
 * summary.csv's theory; a solve at n = 10^6 takes a good part of a second.
 * A pure function of its arguments, so a remembered answer is the answer;
 * per thread, so the runner's workers share nothing. */
#define MEMO_SLOTS 16
struct solved {
    size_t n;
    double s, cap, t, hit;
    bool lru, used;
};
static _Thread_local struct solved memo[MEMO_SLOTS];

static double char_time(size_t n, double s, double cap, bool lru, double *hit)
{
    for (size_t i = 0; i < MEMO_SLOTS && memo[i].used; i++)
        if (memo[i].n == n && memo[i].s == s && memo[i].cap == cap && memo[i].lru == lru) {
            *hit = memo[i].hit;
            return memo[i].t;
        }
    double t = solve(n, s, cap, lru, hit);
    if (n < 1000) /* quick to solve again: keep the slots for the large ones */
        return t;
    for (size_t i = MEMO_SLOTS - 1; i > 0; i--)
        memo[i] = memo[i - 1];
    memo[0] = (struct solved){n, s, cap, t, *hit, lru, true};
    return t;
}

double irm_che_lru_time(size_t n, double s, double capacity)
{
    double hit;
    return char_time(n, s, capacity, true, &hit);
}

double irm_che_lru_hit_ratio(size_t n, double s, double capacity)
{
    double hit;
    char_time(n, s, capacity, true, &hit);
    return hit;
}

double irm_martina_fifo_time(size_t n, double s, double capacity)
{
    double hit;
    return char_time(n, s, capacity, false, &hit);
}

double irm_martina_fifo_hit_ratio(size_t n, double s, double capacity)
{
    double hit;
    char_time(n, s, capacity, false, &hit);
    return hit;
}

