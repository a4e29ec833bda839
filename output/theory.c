/* theory: closed forms and approximations of queueing and caching theory.
 * Plain functions of doubles; each one's source and conditions are in
 * theory.h. Roots are found by bisection or by Newton's method from below on
 * a concave increasing function (monotone, so it cannot overshoot); every
 * loop has a fixed bound, so no input can hang a caller. */
#include "output/theory.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "models/data/irm.h"
#include "sim/xalloc.h"

static bool is_rate(double x)
{
    return isfinite(x) && x >= 0;
}

static bool is_prob(double p)
{
    return p > 0 && p < 1;
}

/* ---- Erlang B and C ------------------------------------------------------- */

double theory_erlang_b(unsigned c, double a)
{
    if (!is_rate(a))
        return (double)NAN;
    double b = 1;
    for (unsigned k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    return b;
}

double theory_erlang_c(unsigned c, double a)
{
    if (c == 0 || !is_rate(a))
        return (double)NAN;
    if (a >= (double)c)
        return 1;
    double b = theory_erlang_b(c, a);
    return (double)c * b / ((double)c - a * (1 - b));
}

/* Valid M/M/c arguments? */
static bool mmc_ok(unsigned c, double lambda, double mu)
{
    return c > 0 && is_rate(lambda) && isfinite(mu) && mu > 0;
}

static bool mmc_stable(unsigned c, double lambda, double mu)
{
    return lambda < (double)c * mu;
}

double theory_mmc_wait_mean(unsigned c, double lambda, double mu)
{
    if (!mmc_ok(c, lambda, mu))
        return (double)NAN;
    if (!mmc_stable(c, lambda, mu))
        return (double)INFINITY;
    return theory_erlang_c(c, lambda / mu) / ((double)c * mu - lambda);
}

double theory_mmc_response_mean(unsigned c, double lambda, double mu)
{
    return theory_mmc_wait_mean(c, lambda, mu) + 1 / mu;
}

double theory_mmc_wait_sf(unsigned c, double lambda, double mu, double t)
{
    if (!mmc_ok(c, lambda, mu) || isnan(t))
        return (double)NAN;
    if (t < 0 || !mmc_stable(c, lambda, mu))
        return 1;
    return theory_erlang_c(c, lambda / mu) * exp(-((double)c * mu - lambda) * t);
}

double theory_mmc_wait_quantile(unsigned c, double lambda, double mu, double p)
{
    if (!mmc_ok(c, lambda, mu) || !is_prob(p))
        return (double)NAN;
    if (!mmc_stable(c, lambda, mu))
        return (double)INFINITY;
    double C = theory_erlang_c(c, lambda / mu);
    if (p <= 1 - C)
        return 0;
    return log(C / (1 - p)) / ((double)c * mu - lambda);
}

/* P(Exp(x) + Exp(y) > t), rates x, y > 0, t >= 0: with a = min, d = max - min,
 * e^(-a t) (1 + a (1 - e^(-d t)) / d), whose d -> 0 limit (Erlang-2) is
 * e^(-a t) (1 + a t); expm1 keeps it accurate for small d t. */
static double hypo2_sf(double x, double y, double t)
{
    double a = x < y ? x : y, d = fabs(x - y);
    double g = d * t < 1e-300 ? t : -expm1(-d * t) / d;
    return exp(-a * t) * (1 + a * g);
}

double theory_mmc_response_sf(unsigned c, double lambda, double mu, double t)
{
    if (!mmc_ok(c, lambda, mu) || isnan(t))
        return (double)NAN;
    if (t <= 0 || !mmc_stable(c, lambda, mu))
        return 1;
    double C = theory_erlang_c(c, lambda / mu);
    return (1 - C) * exp(-mu * t) + C * hypo2_sf(mu, (double)c * mu - lambda, t);
}

/* A decreasing survival function and its parameters, for invert_sf(). */
struct sf_fn {
    double (*sf)(const struct sf_fn *f, double t);
    unsigned c;          /* M/M/c: workers */
    double x, y;         /* M/M/c: lambda, mu */
    size_t n;            /* hypoexponential: number of rates */
    const double *rates; /* hypoexponential: the rates */
    unsigned k;          /* M/M/c/K: capacity */
    double lw1, w0;      /* M/M/c/K: log of w_1, and w_0 (theory_mmck_response_sf) */
};

/* The smallest t with sf(t) <= 1 - p, by doubling from `guess` and then
 * bisection to 1e-15 relative. */

static double invert_sf(const struct sf_fn *f, double p, double guess)
{
    double target = 1 - p, lo = 0, hi = guess > 0 ? guess : 1;
    for (int i = 0; i < 2100 && f->sf(f, hi) > target; i++) {
        lo = hi;
        hi *= 2;
    }
    if (!isfinite(hi))
        return (double)INFINITY;
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (f->sf(f, mid) > target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static double mmc_sf_fn(const struct sf_fn *f, double t)
{
    return theory_mmc_response_sf(f->c, f->x, f->y, t);
}

double theory_mmc_response_quantile(unsigned c, double lambda, double mu, double p)
{
    if (!mmc_ok(c, lambda, mu) || !is_prob(p))
        return (double)NAN;
    if (!mmc_stable(c, lambda, mu))
        return (double)INFINITY;
    struct sf_fn f = {mmc_sf_fn, c, lambda, mu, 0, NULL, 0, 0, 0};
    return invert_sf(&f, p, 1 / mu);
}

/* ---- M/M/c/K ---------------------------------------------------------------- */

/* p_n is proportional to t_n, t_0 = 1, t_n = t_(n-1) a / min(n, c): summed
 * in log space relative to the largest term, so a^n / n! cannot overflow. */
static int mmck_solve(unsigned c, unsigned k, double lambda, double mu, double *p_k, double *l)
{
    if (c == 0 || k < c || !is_rate(lambda) || !isfinite(mu) || mu <= 0)
        return -1;
    if (lambda == 0) {
        *p_k = 0;
        *l = 0;
        return 0;
    }
    double la = log(lambda / mu), lt = 0, top = 0;
    for (unsigned n = 1; n <= k; n++) {
        lt += la - log((double)(n < c ? n : c));
        if (lt > top)
            top = lt;
    }
    double sum = 0, sum_n = 0, last = 0;
    lt = 0;
    for (unsigned n = 0; n <= k; n++) {
        if (n > 0)
            lt += la - log((double)(n < c ? n : c));
        last = exp(lt - top);
        sum += last;
        sum_n += (double)n * last;
    }
    *p_k = last / sum;
    *l = sum_n / sum;
    return 0;
}

double theory_mmck_blocking(unsigned c, unsigned k, double lambda, double mu)
{
    double pk, l;
    return mmck_solve(c, k, lambda, mu, &pk, &l) < 0 ? (double)NAN : pk;
}

double theory_mmck_mean_in_system(unsigned c, unsigned k, double lambda, double mu)
{
    double pk, l;
    return mmck_solve(c, k, lambda, mu, &pk, &l) < 0 ? (double)NAN : l;
}

double theory_mmck_response_mean(unsigned c, unsigned k, double lambda, double mu)
{
    double pk, l;
    if (mmck_solve(c, k, lambda, mu, &pk, &l) < 0)
        return (double)NAN;
    return lambda == 0 ? 1 / mu : l / (lambda * (1 - pk));
}

/* An admitted request finds n < K with probability p_n / (1 - p_K)
 * (PASTA). n < c: it is served at once, T ~ Exp(mu). n >= c: it waits for
 * j = n - c + 1 departures at rate c mu, then is served: T ~ Erlang(j, c mu)
 * + Exp(mu). With x = c mu t, r = (c - 1)/c and pois(m) the Poisson(x)
 * probabilities, P(Erlang(j, c mu) + Exp(mu) > t)
 *   = sum_{m < j} pois(m) + sum_{m >= j} pois(m) r^(m - j)
 * (the second sum is e^(-mu t) (c/(c-1))^j P(Erlang(j, (c-1) mu) <= t)
 * expanded; c = 1 gives Erlang(j + 1, mu)). Mixed with weights w_0 (no
 * wait) and w_j = p_(c+j-1) / (1 - p_K), j = 1..K-c, geometric in j:
 *   P(T > t) = sum_m pois(m) (W(m) + h(m)),
 * W(m) = sum_{j > m} w_j, h(m) = r h(m-1) + w_m, h(0) = w_0: positive
 * terms, no cancellation; 0 <= W + h <= 1, so the sum stops once m > x
 * and pois(m) < 1e-18. */
static double mmck_sf_fn(const struct sf_fn *f, double t)
{
    double mu = f->y, x = (double)f->c * mu * t, r = (double)(f->c - 1) / (double)f->c;
    if (!(t > 0))
        return 1;
    unsigned jmax = f->k - f->c;
    double lx = log(x), lrho = log(f->x / ((double)f->c * mu));
    double sf = 0, tail = 1 - f->w0, h = 0, lw = f->lw1;
    for (unsigned long long m = 0;; m++) {
        double w = 0;
        if (m == 0) {
            w = f->w0;
        } else if (m <= jmax) {
            w = exp(lw);
            lw += lrho;
        }
        h = m == 0 ? w : r * h + w;
        if (m > 0)
            tail = tail > w ? tail - w : 0;
        double pm = exp(-x + (double)m * lx - lgamma((double)m + 1));
        sf += pm * (tail + h);
        if ((double)m > x && pm < 1e-18)
            break;
    }
    return sf < 1 ? sf : 1;
}

/* The weights of mmck_sf_fn: w_0 and log w_1, in log space as mmck_solve. */
static int mmck_weights(unsigned c, unsigned k, double lambda, double mu, double *w0, double *lw1)
{
    if (c == 0 || k < c || !is_rate(lambda) || !isfinite(mu) || mu <= 0)
        return -1;
    if (lambda == 0) {
        *w0 = 1;
        *lw1 = -(double)INFINITY;
        return 0;
    }
    double la = log(lambda / mu), lt = 0, top = 0;
    for (unsigned n = 1; n < k; n++) {
        lt += la - log((double)(n < c ? n : c));
        if (lt > top)
            top = lt;
    }
    double z = 0, below = 0, ltc = 0;
    lt = 0;
    for (unsigned n = 0; n < k; n++) { /* the states an admitted request finds */
        if (n > 0)
            lt += la - log((double)(n < c ? n : c));
        double v = exp(lt - top);
        z += v;
        if (n < c)
            below += v;
        if (n == c)
            ltc = lt;
    }
    *w0 = below / z;
    *lw1 = k > c ? ltc - top - log(z) : -(double)INFINITY;
    return 0;
}

double theory_mmck_response_sf(unsigned c, unsigned k, double lambda, double mu, double t)
{
    struct sf_fn f = {mmck_sf_fn, c, lambda, mu, 0, NULL, k, 0, 0};
    if (mmck_weights(c, k, lambda, mu, &f.w0, &f.lw1) < 0 || isnan(t))
        return (double)NAN;
    return mmck_sf_fn(&f, t);
}

double theory_mmck_response_quantile(unsigned c, unsigned k, double lambda, double mu, double p)
{
    struct sf_fn f = {mmck_sf_fn, c, lambda, mu, 0, NULL, k, 0, 0};
    if (mmck_weights(c, k, lambda, mu, &f.w0, &f.lw1) < 0 || !is_prob(p))
        return (double)NAN;
    return invert_sf(&f, p, 1 / mu);
}

/* ---- M/D/1/K ------------------------------------------------------------------ */

double theory_md1k_loss(unsigned k, double lambda, double d)
{
    if (!is_rate(lambda) || !isfinite(d) || d <= 0 || k < 1 || k > THEORY_MD1K_MAX)
        return (double)NAN;
    double rho = lambda * d;
    if (rho == 0)
        return 0;
    if (!(rho < 700))
        return (double)NAN; /* exp(-rho) underflows */
    double *a = xmalloc(2 * (size_t)k * sizeof *a); /* a[m], then tail[m] = P(A > m) */
    double *tail = a + k;
    double *pi = xmalloc((size_t)k * sizeof *pi);
    double am = exp(-rho), cum = 0;
    for (unsigned m = 0; m < k; m++) {
        a[m] = am;
        cum += am;
        tail[m] = cum < 1 ? 1 - cum : 0;
        am *= rho / (m + 1);
    }
    pi[0] = 1;
    for (unsigned j = 0; j + 1 < k; j++) {
        double up = pi[0] * tail[j];
        for (unsigned i = 1; i <= j; i++)
            up += pi[i] * tail[j - i + 1];
        pi[j + 1] = up / a[0];
        if (pi[j + 1] > 1e250) /* keep the ratios in range */
            for (unsigned i = 0; i <= j + 1; i++)
                pi[i] *= 1e-250;
    }
    double sum = 0;
    for (unsigned j = 0; j < k; j++)
        sum += pi[j];
    double pi0 = pi[0] / sum;
    free(a);
    free(pi);
    return 1 - 1 / (pi0 + rho);
}

/* ---- M/G/1 and G/G/c ------------------------------------------------------- */

double theory_mg1_wait_mean(double lambda, double mean_s, double scv)
{
    if (!is_rate(lambda) || !isfinite(mean_s) || mean_s <= 0 || !is_rate(scv))
        return (double)NAN;
    double rho = lambda * mean_s;
    if (rho >= 1)
        return (double)INFINITY;
    return rho * mean_s * (1 + scv) / (2 * (1 - rho));
}

double theory_mg1_response_mean(double lambda, double mean_s, double scv)
{
    return theory_mg1_wait_mean(lambda, mean_s, scv) + mean_s;
}

double theory_mg1_wait_m2(double lambda, double s1, double s2, double s3)
{
    if (!is_rate(lambda) || !isfinite(s1) || s1 <= 0 || !(s2 >= s1 * s1) || !isfinite(s2) ||
        !(s3 > 0) || !isfinite(s3))
        return (double)NAN;
    double rho = lambda * s1;
    if (rho >= 1)
        return (double)INFINITY;
    double wq = lambda * s2 / (2 * (1 - rho));
    return 2 * wq * wq + lambda * s3 / (3 * (1 - rho));
}

double theory_md1_wait_mean(double lambda, double d)
{
    return theory_mg1_wait_mean(lambda, d, 0);
}

double theory_md1_response_mean(double lambda, double d)
{
    return theory_mg1_response_mean(lambda, d, 0);
}

/* Franx's form of the M/D/1 waiting-time distribution (Franx, "A simple
 * solution for the M/D/c waiting time distribution", Oper. Res. Letters
 * 29, 2001, with c = 1): for t = k d + (d - y), 0 < y <= d,
 *   P(Wq <= t) = sum_{j=0..k} Q_(k+1-j) e^(-lambda y) (lambda y)^j / j!,
 * Q_n = P(at most n in the system). Every term is positive, unlike Erlang's
 * alternating sum (equal in exact arithmetic, but it loses all digits
 * beyond t ~ 30 d at rho = 0.9). Q comes from the level-crossing recursion
 * of the M/D/1 queue length, pi_0 = 1 - rho,
 *   pi_(n+1) a_0 = pi_0 A_(n+1) + sum_{j=1..n} pi_j A_(n-j+2),
 * a_m = P(m arrivals in a service), A_m = P(>= m arrivals): positive terms
 * again. a_m < rho^m / m!, so A_m and the Poisson weights of the first sum
 * vanish (< 1e-89) beyond MD1_TAIL terms: ring buffers of that size hold
 * what the recursions need. O(MD1_TAIL t / d) time. */
#define MD1_TAIL 64

double theory_md1_wait_cdf(double lambda, double d, double t)
{
    if (!is_rate(lambda) || !isfinite(d) || d <= 0 || isnan(t))
        return (double)NAN;
    double rho = lambda * d;
    if (rho >= 1 || t < 0)
        return 0;
    if (t / d > 1e6)
        return (double)NAN;
    double a[2 * MD1_TAIL + 1], tail[MD1_TAIL + 2] = {0};
    a[0] = exp(-rho);
    for (int m = 1; m <= 2 * MD1_TAIL; m++)
        a[m] = a[m - 1] * rho / m;
    for (int m = 2 * MD1_TAIL; m >= MD1_TAIL; m--)
        tail[MD1_TAIL] += a[m]; /* A_MD1_TAIL, smallest terms first */
    for (int m = MD1_TAIL - 1; m >= 0; m--)
        tail[m] = tail[m + 1] + a[m];
    long k = (long)floor(t / d);
    double y = (double)(k + 1) * d - t;
    /* pi_n and Q_n for n = 0 .. k + 1, the last MD1_TAIL of each kept */
    double pi[MD1_TAIL], q[MD1_TAIL], sum = 0;
    pi[0] = 1 - rho;
    q[0] = pi[0];
    for (long n = 0; n <= k; n++) {
        /* pi_0 is read from slot 0 before step MD1_TAIL - 1 overwrites it;
         * later its factor A_(n+1) is 0 */
        double up = pi[0] * (n + 1 <= MD1_TAIL ? tail[n + 1] : 0);
        for (long jj = n + 2 - MD1_TAIL > 1 ? n + 2 - MD1_TAIL : 1; jj <= n; jj++)
            up += pi[jj % MD1_TAIL] * tail[n - jj + 2];
        pi[(n + 1) % MD1_TAIL] = up / a[0];
        q[(n + 1) % MD1_TAIL] = q[n % MD1_TAIL] + pi[(n + 1) % MD1_TAIL];
    }
    double w = exp(-lambda * y);
    for (long j = 0; j <= k && j < MD1_TAIL; j++) {
        if (j > 0)
            w *= lambda * y / (double)j;
        sum += q[(k + 1 - j) % MD1_TAIL] * w;
    }
    return sum > 1 ? 1 : sum;
}

double theory_md1_wait_quantile(double lambda, double d, double p)
{
    if (!is_rate(lambda) || !isfinite(d) || d <= 0 || !is_prob(p))
        return (double)NAN;
    double rho = lambda * d;
    if (rho >= 1)
        return (double)INFINITY;
    if (p <= 1 - rho)
        return 0;
    double lo = 0, hi = d, f;
    for (int i = 0; i < 64 && (f = theory_md1_wait_cdf(lambda, d, hi)) < p; i++) {
        lo = hi;
        hi *= 2;
    }
    if (isnan(theory_md1_wait_cdf(lambda, d, hi)))
        return (double)NAN;
    for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        f = theory_md1_wait_cdf(lambda, d, mid);
        if (isnan(f))
            return (double)NAN;
        if (f < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double theory_md1_response_quantile(double lambda, double d, double p)
{
    return theory_md1_wait_quantile(lambda, d, p) + d;
}

double theory_allen_cunneen_wait_mean(unsigned c, double lambda, double mean_s, double scv_a,
                                      double scv_s)
{
    if (!isfinite(mean_s) || mean_s <= 0 || !is_rate(scv_a) || !is_rate(scv_s))
        return (double)NAN;
    return theory_mmc_wait_mean(c, lambda, 1 / mean_s) * (scv_a + scv_s) / 2;
}

/* ---- E_k/M/1 ----------------------------------------------------------------- */

/* Laplace-Stieltjes transform of the interarrival time at s. */
static double ek_lst(double k, double lambda, double s)
{
    if (isinf(k))
        return exp(-s / lambda);
    return pow(k * lambda / (k * lambda + s), k);
}

double theory_ekm1_sigma(double k, double lambda, double mu)
{
    if (!(k >= 1) || !isfinite(lambda) || lambda <= 0 || !isfinite(mu) || mu <= 0)
        return (double)NAN;
    if (lambda >= mu)
        return 1;
    /* f(sigma) = A*(mu (1 - sigma)) - sigma is positive below the root and
     * negative above it (A* is convex and A*'(0) = -1/lambda, so the slope
     * of A*(mu(1 - sigma)) at sigma = 1 is mu/lambda > 1). */
    double lo = 0.0, hi = 1.0 - 1e-15;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (ek_lst(k, lambda, mu * (1.0 - mid)) - mid > 0)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double theory_ekm1_wait_mean(double k, double lambda, double mu)
{
    double s = theory_ekm1_sigma(k, lambda, mu);
    return s >= 1 ? (double)INFINITY : s / (mu * (1 - s));
}

double theory_ekm1_response_mean(double k, double lambda, double mu)
{
    double s = theory_ekm1_sigma(k, lambda, mu);
    return s >= 1 ? (double)INFINITY : 1 / (mu * (1 - s));
}

double theory_ekm1_response_quantile(double k, double lambda, double mu, double p)
{
    double s = theory_ekm1_sigma(k, lambda, mu);
    if (!is_prob(p) || isnan(s))
        return (double)NAN;
    return s >= 1 ? (double)INFINITY : -log1p(-p) / (mu * (1 - s));
}

/* ---- load balancing ------------------------------------------------------ */

double theory_random_split_response_mean(unsigned n, unsigned c, double lambda, double mu)
{
    if (n == 0)
        return (double)NAN;
    return theory_mmc_response_mean(c, lambda / (double)n, mu);
}

double theory_random_split_response_quantile(unsigned n, unsigned c, double lambda, double mu,
                                             double p)
{
    if (n == 0)
        return (double)NAN;
    return theory_mmc_response_quantile(c, lambda / (double)n, mu, p);
}

double theory_power_of_d_response_mean(unsigned d, double rho, double mu)
{
    if (d == 0 || !is_rate(rho) || !isfinite(mu) || mu <= 0)
        return (double)NAN;
    if (rho >= 1)
        return (double)INFINITY;
    if (d == 1)
        return 1 / (mu * (1 - rho));
    /* Exponents e_i = (d^i - d)/(d - 1): e_1 = 0, e_(i+1) = d (e_i + 1);
     * they grow doubly exponentially, so a handful of terms suffice. */
    double sum = 0, e = 0;
    for (int i = 0; i < 2000; i++) {
        double term = pow(rho, e);
        sum += term;
        if (term < 1e-17 * sum)
            break;
        e = (double)d * (e + 1);
    }
    return sum / mu;
}

double theory_power_of_d_wait_prob(unsigned d, double rho)
{
    if (d == 0 || !is_rate(rho))
        return (double)NAN;
    return rho >= 1 ? 1 : pow(rho, (double)d);
}

/* The JSQ-2 chain on (m, k) = (shorter queue, difference), truncated at
 * m <= M, k <= K (the result is the same to 12 digits at 400 x 80 for
 * rho = 0.9). Gauss-Seidel sweeps with P(0, 0) fixed at 1 until the mean
 * changes by less than 1e-14 relative over 50 sweeps (about 10^4 sweeps at
 * rho = 0.9). mu = 1 here; the caller scales. */
static void jsq2_solve(double rho, double *mean, double *busy)
{
    enum { M = 200, K = 40 };
    double arr = 2 * rho, prev = 0;
    double *p = xcalloc((M + 1) * (K + 1), sizeof *p);
#define JSQ_P(m, k) p[(m) * (K + 1) + (k)]
    JSQ_P(0, 0) = 1;
    *mean = *busy = 0;
    for (int sweep = 1; sweep <= 1000000; sweep++) {
        for (int m = 0; m <= M; m++)
            for (int k = m == 0; k <= K; k++) {
                /* out: an arrival joins the shorter queue (either when equal);
                 * the shorter (or either equal) queue or the longer one ends
                 * a service */
                double out = k == 0 ? arr + (m > 0 ? 2 : 0)
                                    : (m < M ? arr : 0) + (m > 0 && k < K ? 1 : 0) + 1;
                double in = k < K ? JSQ_P(m, k + 1) : 0; /* the longer one served */
                if (m > 0 && k < K)
                    in += JSQ_P(m - 1, k + 1) * arr; /* joined the shorter one */
                if (k == 1)
                    in += JSQ_P(m, 0) * arr + (m < M ? 2 * JSQ_P(m + 1, 0) : 0);
                if (k >= 2 && m < M)
                    in += JSQ_P(m + 1, k - 1); /* the shorter one served */
                JSQ_P(m, k) = in / out;
            }
        if (sweep % 50)
            continue;
        double sum = 0, n = 0, w = 0;
        for (int m = 0; m <= M; m++)
            for (int k = 0; k <= K; k++)
                sum += JSQ_P(m, k), n += JSQ_P(m, k) * (2 * m + k), w += m ? JSQ_P(m, k) : 0;
        *mean = n / sum / arr, *busy = w / sum;
        if (fabs(*mean - prev) < 1e-14 * *mean)
            break;
        prev = *mean;
    }
#undef JSQ_P
    free(p);
}

static bool jsq2_ok(double rho, double mu)
{
    return rho > 0 && rho <= 0.95 && isfinite(mu) && mu > 0;
}

double theory_jsq2_response_mean(double rho, double mu)
{
    if (!jsq2_ok(rho, mu))
        return (double)NAN;
    double mean, busy;
    jsq2_solve(rho, &mean, &busy);
    return mean / mu;
}

double theory_jsq2_wait_prob(double rho, double mu)
{
    if (!jsq2_ok(rho, mu))
        return (double)NAN;
    double mean, busy;
    jsq2_solve(rho, &mean, &busy);
    return busy;
}

/* ---- Jackson networks and closed loops ------------------------------------- */

double theory_jackson_response_mean(size_t n, const double *visits, const unsigned *c,
                                    const double *mu, double lambda)
{
    if (n == 0 || !is_rate(lambda))
        return (double)NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_rate(visits[i]))
            return (double)NAN;
        if (visits[i] > 0)
            sum += visits[i] * theory_mmc_response_mean(c[i], lambda * visits[i], mu[i]);
    }
    return sum;
}

int theory_jackson_visits(size_t n, const double *entry, const double *route, double *visits)
{
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        double row = 0;
        for (size_t j = 0; j < n; j++) {
            if (!(route[i * n + j] >= 0))
                return -1;
            row += route[i * n + j];
        }
        if (!is_rate(entry[i]) || row > 1 + 1e-12)
            return -1;
        visits[i] = entry[i];
    }
    /* Gauss-Seidel on v_j = entry_j + sum_i v_i route_ij; it converges when
     * every request eventually leaves (spectral radius of route < 1). */
    for (int sweep = 0; sweep < 100000; sweep++) {
        double change = 0, size = 0;
        for (size_t j = 0; j < n; j++) {
            double v = entry[j];
            for (size_t i = 0; i < n; i++)
                v += visits[i] * route[i * n + j];
            change = fmax(change, fabs(v - visits[j]));
            size = fmax(size, v);
            visits[j] = v;
        }
        if (!(size < 1e12))
            return -1;
        if (change <= 1e-14 * size)
            return 0;
    }
    return -1;
}

double theory_tandem_response_mean(size_t n, const unsigned *c, const double *mu, double lambda)
{
    if (n == 0 || !is_rate(lambda))
        return (double)NAN;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += theory_mmc_response_mean(c[i], lambda, mu[i]);
    return sum;
}

double theory_hypoexp_sf(size_t n, const double *rate, double t)
{
    if (n == 0 || n > THEORY_HYPOEXP_MAX || isnan(t))
        return (double)NAN;
    double top = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(rate[i]) || rate[i] <= 0)
            return (double)NAN;
        top = fmax(top, rate[i]);
    }
    if (t <= 0)
        return 1;
    /* Uniformization at rate top: phase i moves on with probability
     * rate[i]/top at each Poisson(top t) event. P(X > t) = sum_m
     * Pois(m) P(not absorbed after m steps). */
    double pi[THEORY_HYPOEXP_MAX] = {1}, x = top * t, lw = -x, sf = 0;
    double mmax = x + 40 * sqrt(x) + 200;
    for (double m = 0; m <= mmax; m++) {
        if (m > 0) {
            lw += log(x) - log(m);
            for (size_t i = n; i-- > 0;) {
                double move = pi[i] * rate[i] / top;
                pi[i] -= move;
                if (i + 1 < n)
                    pi[i + 1] += move;
            }
        }
        double alive = 0;
        for (size_t i = 0; i < n; i++)
            alive += pi[i];
        double w = exp(lw);
        sf += w * alive;
        if (m > x && (alive < 1e-300 || w < 1e-20))
            break; /* the Poisson tail beyond the mode is smaller than w */
    }
    return fmin(1, sf);
}

static double hypoexp_fn(const struct sf_fn *f, double t)
{
    return theory_hypoexp_sf(f->n, f->rates, t);
}

double theory_tandem_mm1_response_quantile(size_t n, const double *mu, double lambda, double p)
{
    if (n == 0 || n > THEORY_HYPOEXP_MAX || !is_rate(lambda) || !is_prob(p))
        return (double)NAN;
    double rate[THEORY_HYPOEXP_MAX], mean = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(mu[i]) || mu[i] <= 0)
            return (double)NAN;
        if (lambda >= mu[i])
            return (double)INFINITY;
        rate[i] = mu[i] - lambda;
        mean += 1 / rate[i];
    }
    struct sf_fn f = {hypoexp_fn, 0, 0, 0, n, rate, 0, 0, 0};
    return invert_sf(&f, p, mean);
}

double theory_feedback_response_mean(unsigned c, double lambda, double mu, double q)
{
    if (!(q >= 0 && q < 1))
        return (double)NAN;
    double v = 1 / (1 - q);
    return v * theory_mmc_response_mean(c, lambda * v, mu);
}

/* MVA for a delay station (think) and one FIFO exponential server: R(m) =
 * S (1 + Q(m - 1)), X(m) = m / (Z + R(m)), Q(m) = X(m) R(m). */
static int mva_solve(unsigned users, double think, double service, double *x, double *r)
{
    if (users == 0 || !is_rate(think) || !isfinite(service) || service <= 0)
        return -1;
    double q = 0;
    for (unsigned m = 1; m <= users; m++) {
        *r = service * (1 + q);
        *x = (double)m / (think + *r);
        q = *x * *r;
    }
    return 0;
}

double theory_mva_throughput(unsigned users, double think_time, double service_time)
{
    double x, r;
    return mva_solve(users, think_time, service_time, &x, &r) < 0 ? (double)NAN : x;
}

double theory_mva_response_mean(unsigned users, double think_time, double service_time)
{
    double x, r;
    return mva_solve(users, think_time, service_time, &x, &r) < 0 ? (double)NAN : r;
}

/* ---- caches ------------------------------------------------------------------ */

double theory_zipf_norm(size_t n, double s)
{
    return irm_zipf_norm(n, s);
}

double theory_che_lru_time(size_t n, double s, double capacity)
{
    return irm_che_lru_time(n, s, capacity);
}

double theory_che_lru_hit_ratio(size_t n, double s, double capacity)
{
    return irm_che_lru_hit_ratio(n, s, capacity);
}

double theory_che_lru_key_hit(double p, double t_c)
{
    if (!(p >= 0 && p <= 1) || isnan(t_c) || t_c < 0)
        return (double)NAN;
    return isinf(t_c) ? (p > 0 ? 1 : 0) : -expm1(-p * t_c);
}

double theory_martina_fifo_time(size_t n, double s, double capacity)
{
    return irm_martina_fifo_time(n, s, capacity);
}

double theory_martina_fifo_hit_ratio(size_t n, double s, double capacity)
{
    return irm_martina_fifo_hit_ratio(n, s, capacity);
}

double theory_martina_fifo_key_hit(double p, double t_c)
{
    if (!(p >= 0 && p <= 1) || isnan(t_c) || t_c < 0)
        return (double)NAN;
    return isinf(t_c) ? (p > 0 ? 1 : 0) : p * t_c / (1 + p * t_c);
}

/* ---- PBS --------------------------------------------------------------------- */

/* C(n, k) as a double (exact for the small n of replica sets). */
static double binom(unsigned n, unsigned k)
{
    if (k > n)
        return 0;
    double c = 1;
    for (unsigned i = 1; i <= k; i++)
        c = c * (double)(n - k + i) / (double)i;
    return c;
}

double theory_pbs_kstale(unsigned n, unsigned r, unsigned w, double k)
{
    if (n == 0 || r == 0 || r > n || w == 0 || w > n || !(k >= 1))
        return (double)NAN;
    return 1 - pow(binom(n - w, r) / binom(n, r), k);
}

/* P(k-th smallest of n draws <= x) when one draw is <= x with probability f. */
static double kth_cdf(unsigned n, unsigned k, double f)
{
    double g = 0;
    for (unsigned j = k; j <= n; j++)
        g += binom(n, j) * pow(f, (double)j) * pow(1 - f, (double)(n - j));
    return g;
}

double theory_wars_latency_quantile(unsigned n, unsigned k, double a, double b, double q)
{
    if (n == 0 || k == 0 || k > n || !isfinite(a) || a <= 0 || !isfinite(b) || b <= 0 ||
        !is_prob(q))
        return (double)NAN;
    double lo = 0, hi = 1;
    while (hi < 1e9 && kth_cdf(n, k, 1 - hypo2_sf(1 / a, 1 / b, hi)) < q)
        hi *= 2;
    while (hi - lo > 1e-12) {
        double mid = (lo + hi) / 2;
        if (kth_cdf(n, k, 1 - hypo2_sf(1 / a, 1 / b, mid)) < q)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

/* The density of Exp(rate x) + Exp(rate y) at t, in hypo2_sf's stable form. */
static double hypo2_pdf(double x, double y, double t)
{
    double a = x < y ? x : y, d = fabs(x - y);
    double g = d * t < 1e-300 ? t : -expm1(-d * t) / d;
    return x * y * exp(-a * t) * g;
}

/* Composite Simpson on [0, len] with WARS_STEPS intervals per 5 replicas
 * (the read integrand narrows as (1 - F)^(N - R)). */
#define WARS_STEPS 20000
struct wars_args {
    unsigned n, r, w;
    double al, be, rr, ss; /* rates of W, A, R, S */
};

static double wars_read_fn(const struct wars_args *a, double x)
{
    /* R k(x) K(x)^(R-1) (1 - F(x))^(N-R), with k the density of a read
     * answer at x from a replica whose write is later than its read
     * request by the R-part (the e^(-alpha r) factor), K its integral */
    double rate = a->rr + a->al, share = a->rr / rate;
    double k = share * hypo2_pdf(rate, a->ss, x), kk = share * (1 - hypo2_sf(rate, a->ss, x));
    return (double)a->r * k * pow(kk, (double)a->r - 1) *
           pow(hypo2_sf(a->rr, a->ss, x), (double)(a->n - a->r));
}

static double wars_write_fn(const struct wars_args *a, double x)
{
    /* H^(W-1) (1 - H)^(N-W-R) h e^(-alpha R x), H the CDF of W + A */
    double sf = hypo2_sf(a->al, a->be, x);
    return pow(1 - sf, (double)a->w - 1) * pow(sf, (double)(a->n - a->w - a->r)) *
           hypo2_pdf(a->al, a->be, x) * exp(-a->al * (double)a->r * x);
}

static double wars_simpson(double (*f)(const struct wars_args *, double), const struct wars_args *a,
                           double len)
{
    int steps = WARS_STEPS * (int)((a->n + 4) / 5);
    double h = len / steps, s = f(a, 0) + f(a, len);
    for (int i = 1; i < steps; i++)
        s += (i % 2 ? 4 : 2) * f(a, i * h);
    return s * h / 3;
}

double theory_wars_p_consistent(unsigned n, unsigned r, unsigned w, double mw, double ma,
                                double mr, double ms, double t)
{
    bool ok = isfinite(mw) && mw > 0 && isfinite(ma) && ma > 0 && isfinite(mr) && mr > 0 &&
              isfinite(ms) && ms > 0;
    if (n == 0 || r == 0 || w == 0 || r > n || w > n || !ok || !(t >= 0) || !isfinite(t))
        return (double)NAN;
    if (r + w > n) /* strict quorum */
        return 1;
    if (n > THEORY_WARS_MAX_N)
        return (double)NAN;
    struct wars_args a = {n, r, w, 1 / mw, 1 / ma, 1 / mr, 1 / ms};
    double top = fmax(fmax(mw, ma), fmax(mr, ms)), len = 80 * top;
    double read = wars_simpson(wars_read_fn, &a, len);
    double write = wars_simpson(wars_write_fn, &a, len);
    double stale = binom(n - w, r) * read * exp(-a.al * (double)r * t) * (double)n *
                   binom(n - 1, w - 1) * write;
    return stale < 0 ? 1 : stale > 1 ? 0 : 1 - stale;
}

/* ---- the list ---------------------------------------------------------------- */

static const struct theory_method methods[] = {
    {"erlang_c", "M/M/c: P(wait), mean wait and response, wait and response percentiles",
     "Poisson arrivals, exponential service, c identical workers sharing one unbounded FIFO "
     "queue, rho = lambda/(c mu) < 1",
     "Erlang C (Kleinrock 1975, s3.5; Gross and Harris, s2.3)"},
    {"erlang_b", "M/G/c/c: blocking probability and mean busy workers",
     "Poisson arrivals, c workers, no waiting room (arrivals that find all busy are lost), any "
     "service distribution",
     "Erlang B (Erlang 1917; insensitivity: Sevastyanov 1957)"},
    {"mmck", "M/M/c/K: blocking, mean in system, the admitted's mean and percentiles",
     "Poisson arrivals, exponential service, c workers, at most K >= c in the system (K - c "
     "waiting), FIFO; any load",
     "birth-death chain (Gross and Harris, s2.5-2.6)"},
    {"md1k", "M/D/1/K: loss probability (and so a token bucket's admitted fraction)",
     "Poisson arrivals, constant service, one worker, at most K in the system; any load. A "
     "continuous-refill token bucket (rate r, burst b) under Poisson arrivals admits as M/D/1/b "
     "with service 1/r",
     "M/G/1/K departure-epoch chain (Gross and Harris, M/G/1/K); checked against Tijms's "
     "truncation relation with Crommelin's M/D/1 distribution"},
    {"pk_mg1", "M/G/1 (M/D/1: scv 0): mean wait and response; E[Wq^2] from three moments",
     "Poisson arrivals, one worker, i.i.d. service with known mean and SCV, FIFO, rho < 1",
     "Pollaczek-Khinchine (Kleinrock 1975, s5.6); Takacs 1962"},
    {"md1", "M/D/1: waiting-time distribution, wait and response percentiles (exact)",
     "Poisson arrivals, constant service time, one worker, FIFO, rho < 1",
     "Erlang 1909, in Franx's positive-term form (Oper. Res. Letters 29, 2001)"},
    {"kingman", "G/G/c mean wait: APPROXIMATION (M/M/c wait scaled by (ca^2 + cs^2)/2)",
     "renewal arrivals, i.i.d. service, c workers sharing one FIFO queue, rho < 1; exact only for "
     "M/M/c and M/G/1, best in heavy traffic",
     "Kingman 1961 (c = 1); Allen-Cunneen (Allen 1990; Whitt 1993)"},
    {"round_robin", "E_k/M/1: strict round robin over k single-worker servers (mean, percentiles)",
     "Poisson arrivals split in strict cyclic order over k identical servers, one exponential "
     "worker each, FIFO, rho < 1",
     "GI/M/1 (Kleinrock 1975, s6.4)"},
    {"random_split", "random balancing: each replica is M/M/c at lambda/n (mean, percentiles)",
     "Poisson arrivals, each request to a replica chosen uniformly at random, independent of "
     "state; exponential service, FIFO, stable replicas",
     "Poisson thinning + Erlang C"},
    {"power_of_d", "power of d choices: mean response and P(wait): APPROXIMATION (mean field)",
     "Poisson arrivals, d replicas sampled uniformly per request (with replacement; distinct "
     "replicas have the same limit), join the one with the fewest requests; one exponential "
     "worker per replica, FIFO, rho < 1, many replicas (error O(1/N): measured +1% at N = 100 "
     "for d = 2, +1.5% for d = 3). The fraction of replicas with at least k requests is "
     "rho^((d^k - 1)/(d - 1))",
     "Vvedenskaya, Dobrushin and Karpelevich 1996; Mitzenmacher 2001"},
    {"jsq2", "join the shortest of 2 queues: mean response and P(wait), exact CTMC",
     "Poisson arrivals, 2 replicas with one exponential worker each, join the shorter (ties at "
     "random), FIFO, rho <= 0.95",
     "numerical CTMC (Flatto and McKean 1977; Adan, Wessels and Zijm 1990)"},
    {"jackson_tandem", "stations in series: mean end-to-end response; percentiles if c = 1",
     "Poisson arrivals, exponential service at every station, FIFO, unbounded queues, every "
     "station stable; percentiles only for single-worker stations",
     "Jackson 1957; Burke 1956; Reich 1957"},
    {"jackson_feedback", "retry loop / open network: mean end-to-end response from visit ratios",
     "Poisson arrivals, exponential service, FIFO, state-independent random routing (a retry "
     "with probability q, no backoff), every station stable. In sdsim a request revisits a "
     "station only this way (calls may not form a cycle): error_rate = q at a service whose "
     "clients resend at once until success (attempts = 0)",
     "Jackson 1957"},
    {"mva_closed", "closed loop of M users with think time: throughput and mean response",
     "M clients that think (mean Z, any distribution) then wait for one FIFO single-worker "
     "exponential server",
     "exact Mean Value Analysis (Reiser and Lavenberg 1980)"},
    {"che_lru", "LRU hit ratio (total and per key): APPROXIMATION",
     "independent requests (IRM), Zipf(s) or uniform popularity over N keys, unit-size objects, "
     "capacity C; asymptotically exact for large caches",
     "Che, Tung and Wang 2002; Fricker, Robert and Roberts 2012"},
    {"martina_fifo", "FIFO hit ratio (total and per key): APPROXIMATION",
     "as che_lru", "Martina, Garetto and Leonardi 2014"},
    {"martina_random", "RANDOM eviction hit ratio (total and per key): APPROXIMATION",
     "as che_lru (the same value as FIFO under IRM)", "Martina, Garetto and Leonardi 2014"},
    {"pbs_kstale", "PBS: probability that a read sees one of the last k writes",
     "each write kept by W random replicas of N and never propagated further, a read asks R "
     "random replicas",
     "Bailis et al., VLDB 2012, s3.2"},
    {"wars_consistent", "WARS: P(consistent read) t after a write returned (exact)",
     "N replicas, a write sent to all and applied by each after W[i], returning at the W-th ack "
     "(W[i] + A[i]), a read sent to all t later returning the newest of the R first answers "
     "(R[i] + S[i]); all delays independent exponentials; 1 for any delays when R + W > N",
     "the WARS model of Bailis et al., VLDB 2012, integrated given the write's return (theory.h)"},
    {"wars_latency", "WARS: write and read latency percentiles (K-th fastest of N)",
     "N replicas, one-way delays independent exponentials (write W, ack A; read R, response S), "
     "a write waits for W acks, a read for R responses",
     "order statistics of hypoexponentials (the WARS model of Bailis et al., VLDB 2012)"},
};

const struct theory_method *theory_methods(size_t *n)
{
    *n = sizeof methods / sizeof methods[0];
    return methods;
}
