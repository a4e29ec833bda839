/* stats: the statistics that leave a run.
 *
 * Student t quantiles invert the exact t distribution function: the upper
 * tail is P(T > t) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2) (Abramowitz
 * and Stegun 26.7.1 with 26.5.27), the regularised incomplete beta function I
 * is the continued fraction of DLMF 8.17.22 evaluated by the modified Lentz
 * method (Lentz 1976; Thompson and Barnett 1986), and a Newton iteration kept
 * inside a shrinking bracket solves P(T > t) = alpha. Gamma functions come
 * from a local Lanczos approximation rather than libm's lgamma(), which
 * writes the global signgam and so is not safe when runs share a process.
 *
 * Everything here is plain data in caller-owned storage; nothing allocates. */
#include "sim/stats.h"

#include <assert.h>
#include <float.h>
#include <math.h>

#define STATS_PI 3.14159265358979323846
#define STATS_TINY 1e-300 /* Lentz's guard against a zero denominator */
#define STATS_CF_EPS 1e-15
#define STATS_CF_MAXIT 1000

/* log Gamma(x) for x > 0, relative error about 1e-15: Lanczos (1964) with
 * g = 7 and Godfrey's nine coefficients; reflection below 1/2. */
static double stats_lgamma(double x)
{
    static const double c[9] = {
        0.99999999999980993,  676.5203681218851,     -1259.1392167224028,
        771.32342877765313,   -176.61502916214059,   12.507343278686905,
        -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    };
    assert(x > 0 && "lgamma of a non-positive argument");
    if (x < 0.5)
        return log(STATS_PI / sin(STATS_PI * x)) - stats_lgamma(1.0 - x);
    x -= 1.0;
    double a = c[0];
    for (int i = 1; i < 9; i++)
        a += c[i] / (x + i);
    double t = x + 7.5;
    return 0.5 * log(2 * STATS_PI) + (x + 0.5) * log(t) - t + log(a);
}

/* One modified-Lentz update for a continued-fraction term with numerator
 * num; returns the factor that multiplies the running value. */
static double stats_lentz_step(double *c, double *d, double num)
{
    *d = 1.0 + num * *d;
    if (fabs(*d) < STATS_TINY)
        *d = STATS_TINY;
    *c = 1.0 + num / *c;
    if (fabs(*c) < STATS_TINY)
        *c = STATS_TINY;
    *d = 1.0 / *d;
    return *d * *c;
}

/* The continued fraction of I_x(a, b) (DLMF 8.17.22) without its prefactor;
 * converges quickly for x < (a + 1) / (a + b + 2). */
static double stats_beta_cf(double a, double b, double x)
{
    double c = 1.0;
    double d = 1.0 - (a + b) * x / (a + 1.0);
    if (fabs(d) < STATS_TINY)
        d = STATS_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= STATS_CF_MAXIT; m++) {
        double m2 = 2.0 * m;
        double even = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        h *= stats_lentz_step(&c, &d, even);
        double factor = stats_lentz_step(&c, &d, odd);
        h *= factor;
        if (fabs(factor - 1.0) < STATS_CF_EPS)
            break;
    }
    return h;
}

/* Regularised incomplete beta I_x(a, b), with y = 1 - x passed in so callers
 * can supply it without cancellation. */
static double stats_ibeta(double a, double b, double x, double y)
{
    if (x <= 0)
        return 0.0;
    if (y <= 0)
        return 1.0;
    double lbeta = stats_lgamma(a) + stats_lgamma(b) - stats_lgamma(a + b);
    /* Take the log of the smaller of x and y, log1p of the other, so
     * neither loses digits when x is near 0 or 1. */
    double log_x = x < 0.5 ? log(x) : log1p(-y);
    double log_y = y < 0.5 ? log(y) : log1p(-x);
    double front = exp(a * log_x + b * log_y - lbeta);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * stats_beta_cf(a, b, x) / a;
    return 1.0 - front * stats_beta_cf(b, a, y) / b;
}

/* P(T > t) for t >= 0 and df degrees of freedom. */
static double stats_t_upper(double t, double df)
{
    double t2 = t * t;
    return 0.5 * stats_ibeta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
}

static double stats_t_pdf(double t, double df)
{
    double lc = stats_lgamma(0.5 * (df + 1.0)) - stats_lgamma(0.5 * df) - 0.5 * log(df * STATS_PI);
    return exp(lc - 0.5 * (df + 1.0) * log1p(t * t / df));
}

/* The z > 0 with P(Z > z) = alpha for a standard normal Z, 0 < alpha < 1/2:
 * Abramowitz and Stegun 26.2.23 (error < 4.5e-4), then Newton steps on
 * erfc, which libm computes to full precision in the tail. */
static double stats_normal_upper(double alpha)
{
    double w = sqrt(-2.0 * log(alpha));
    double z = w - (2.515517 + w * (0.802853 + w * 0.010328)) /
                       (1.0 + w * (1.432788 + w * (0.189269 + w * 0.001308)));
    for (int it = 0; it < 4; it++) {
        double f = 0.5 * erfc(z / sqrt(2.0)) - alpha;
        double pdf = exp(-0.5 * z * z) / sqrt(2.0 * STATS_PI);
        z += f / pdf;
    }
    return z;
}

/* The Cornish-Fisher expansion of the t quantile in powers of 1/df around the
 * normal quantile z, to four terms (Abramowitz and Stegun 26.7.5). Its error
 * is of order z^11 / df^5: a starting point for small df, the answer itself
 * for large df. */
static double stats_t_cornish_fisher(double z, double df)
{
    double z2 = z * z;
    double g1 = (z2 + 1.0) * z / 4.0;
    double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

/* The t > 0 with P(T > t) = alpha, 0 < alpha < 1/2. Above STATS_T_LARGE_DF
 * the expansion is exact to rounding, while the continued fraction would
 * need O(sqrt(df)) terms and lgamma(df / 2) loses digits to cancellation.
 * Below it: Newton steps, falling back to bisection whenever a step would
 * leave the bracket [lo, hi]. */
#define STATS_T_LARGE_DF 1e5
static double stats_t_solve(double alpha, double df)
{
    double t = stats_t_cornish_fisher(stats_normal_upper(alpha), df);
    if (df >= STATS_T_LARGE_DF)
        return t;
    double lo = 0.0; /* P(T > lo) > alpha */
    double hi = fmax(t, 1.0);
    while (stats_t_upper(hi, df) > alpha && hi < DBL_MAX / 4)
        hi *= 2.0;
    if (!(t > lo && t <= hi))
        t = 0.5 * hi;
    for (int it = 0; it < 300; it++) {
        double f = stats_t_upper(t, df) - alpha;
        if (f == 0)
            break;
        if (f > 0)
            lo = t;
        else
            hi = t;
        double next = t + f / stats_t_pdf(t, df);
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        double step = fabs(next - t);
        t = next;
        if (step <= 1e-15 * t)
            break;
    }
    return t;
}

double stats_t_quantile(double p, double df)
{
    assert(p > 0 && p < 1 && df > 0 && "t quantile out of domain");
    if (p == 0.5)
        return 0.0;
    return p > 0.5 ? stats_t_solve(1.0 - p, df) : -stats_t_solve(p, df);
}

/* Sample variance of x[0..n), n >= 2, in two passes about the known mean. */
static double sample_var(const double *x, size_t n, double mean)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - mean) * (x[i] - mean);
    return ss / (double)(n - 1);
}

static double mean_of(const double *x, size_t n)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    return sum / (double)n;
}

void stats_ci95(const double *x, size_t n, struct ci *out)
{
    out->n = n;
    out->mean = 0.0;
    out->lo = out->hi = (double)NAN;
    if (n == 0)
        return;
    out->mean = mean_of(x, n);
    if (n == 1)
        return;
    double half = stats_t_quantile(0.975, (double)(n - 1)) *
                  sqrt(sample_var(x, n, out->mean) / (double)n);
    out->lo = out->mean - half;
    out->hi = out->mean + half;
}

bool stats_quantile_ci95(const double *below, size_t n, double q, double *p_lo, double *p_hi)
{
    if (n < 2)
        return false;
    double half = stats_t_quantile(0.975, (double)(n - 1)) *
                  sqrt(sample_var(below, n, mean_of(below, n)) / (double)n);
    *p_lo = q - half;
    *p_hi = q + half;
    return true;
}

void stats_ci_clamp(struct ci *c, double min, double max)
{
    if (!isnan(c->lo) && c->lo < min)
        c->lo = min;
    if (!isnan(c->hi) && c->hi > max)
        c->hi = max;
}

/* Welford (1962). */
void moments_add(struct moments *m, double x)
{
    m->n++;
    double delta = x - m->mean;
    m->mean += delta / (double)m->n;
    m->m2 += delta * (x - m->mean);
}

double moments_var(const struct moments *m)
{
    return m->n > 1 ? m->m2 / (double)(m->n - 1) : 0.0;
}

void batches_init(struct batches *b, size_t base_size)
{
    assert(base_size > 0 && "batches need at least one observation each");
    b->base_size = base_size;
    b->batch_size = base_size;
    b->nbatches = 0;
    b->fill = 0;
    b->partial_sum = 0.0;
}

/* When the table fills, batches 2i and 2i+1 (equal sizes) become batch i, so
 * every full batch always holds batch_size consecutive observations. */
void batches_add(struct batches *b, double x)
{
    b->partial_sum += x;
    if (++b->fill < b->batch_size)
        return;
    b->mean[b->nbatches++] = b->partial_sum / (double)b->batch_size;
    b->partial_sum = 0.0;
    b->fill = 0;
    if (b->nbatches < BATCHES_MAX)
        return;
    for (size_t i = 0; i < BATCHES_MAX / 2; i++)
        b->mean[i] = 0.5 * (b->mean[2 * i] + b->mean[2 * i + 1]);
    b->nbatches = BATCHES_MAX / 2;
    b->batch_size *= 2;
}

/* The centre is the grand mean of all full batches. The spread comes from k
 * groups of g = nbatches / k consecutive batches, the newest k * g (the
 * nbatches mod k oldest ones sit out, as they lie nearest the warm-up):
 * Var(grand mean) ~ s_g^2 * g / nbatches, with s_g^2 the sample variance of
 * the group means, and k - 1 degrees of freedom (Law, Simulation Modeling and
 * Analysis, 5th ed., sec. 9.5.3). out->n is the number of groups used. */
bool batches_ci95(const struct batches *b, size_t k, struct ci *out)
{
    size_t nb = b->nbatches;
    if (nb < 2)
        return false;
    if (k < 2 || k > nb)
        k = nb;
    size_t g = nb / k;
    size_t first = nb - k * g;
    double total = 0.0;
    for (size_t i = 0; i < nb; i++)
        total += b->mean[i];
    struct moments groups = {0, 0.0, 0.0};
    for (size_t j = 0; j < k; j++) {
        double sum = 0.0;
        for (size_t i = first + j * g; i < first + (j + 1) * g; i++)
            sum += b->mean[i];
        moments_add(&groups, sum / (double)g);
    }
    double mean = total / (double)nb;
    double half = stats_t_quantile(0.975, (double)(k - 1)) *
                  sqrt(moments_var(&groups) * (double)g / (double)nb);
    out->mean = mean;
    out->lo = mean - half;
    out->hi = mean + half;
    out->n = k;
    return true;
}

/* MSER (White 1997): the d in [0, n/2] minimising
 * sum_{i >= d} (y_i - mean(y[d..n)))^2 / (n - d)^2, ties to the smallest d.
 * One backward pass of Welford's update gives every suffix's sum of squares
 * without cancellation: O(n) time, O(1) space. */
size_t stats_mser(const double *y, size_t n)
{
    if (n < 2)
        return 0;
    struct moments suffix = {0, 0.0, 0.0};
    size_t best_d = n - 1;
    double best = HUGE_VAL;
    for (size_t d = n; d-- > 0;) {
        moments_add(&suffix, y[d]);
        if (d > n / 2)
            continue;
        double m = (double)(n - d);
        double stat = suffix.m2 / (m * m);
        if (stat <= best) {
            best = stat;
            best_d = d;
        }
    }
    return best_d;
}
