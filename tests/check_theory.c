/* Tests for output/theory: every formula against the published values of
 * tests/validation/queueing.csv (a copy of the shared validation set) and
 * extra.csv, against hand-computed cases, and at its boundaries (unstable
 * load, c = 1, very large c).
 *
 * Tolerances: the CSV values carry 10 significant digits, so a closed form
 * must match them to REL_CSV (1e-8 relative: the rounding of the 10th digit
 * is 5e-10, and the root finders stop at 1e-13 or better). Hand-computed
 * values are checked to the digits written in the test. */
#include "output/theory.h"

#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define REL_CSV 1e-8

static void near_rel(double got, double want, double rel, const char *what)
{
    ck_assert_msg(fabs(got - want) <= rel * fabs(want), "%s: got %.12g, want %.12g (rel %g)", what,
                  got, want, rel);
}

static void near_abs(double got, double want, double tol, const char *what)
{
    ck_assert_msg(fabs(got - want) <= tol, "%s: got %.12g, want %.12g (abs %g)", what, got, want,
                  tol);
}

/* ---- Erlang C / M/M/c -------------------------------------------------- */

START_TEST(mmc_matches_published_erlang_c_cases)
{
    /* queueing.csv MMC-4, MMC-10, MMC-2 (mu = 1). */
    static const struct {
        unsigned c;
        double lambda, pwait, wq, t, pw1, p50, p90, p99;
    } cases[] = {
        {4, 3.2, 0.5964324718, 0.7455405897, 1.74554059, 0.2679943847, 1.346199054, 3.77596025,
         6.893203749},
        {10, 9, 0.6687315241, 0.6687315241, 1.668731524, 0.2460125794, 1.329091869, 3.510904117,
         6.249876699},
        {2, 1.8, 0.8526315789, 4.263157895, 5.263157895, 0.6980756947, 3.769159382, 11.83148062,
         23.34443},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned c = cases[i].c;
        double l = cases[i].lambda;
        near_rel(theory_erlang_c(c, l), cases[i].pwait, REL_CSV, "P(wait>0)");
        near_rel(theory_mmc_wait_mean(c, l, 1), cases[i].wq, REL_CSV, "Wq");
        near_rel(theory_mmc_response_mean(c, l, 1), cases[i].t, REL_CSV, "T");
        near_rel(theory_mmc_wait_sf(c, l, 1, 1), cases[i].pw1, REL_CSV, "P(wait>1)");
        near_rel(theory_mmc_response_quantile(c, l, 1, 0.50), cases[i].p50, REL_CSV, "p50");
        near_rel(theory_mmc_response_quantile(c, l, 1, 0.90), cases[i].p90, REL_CSV, "p90");
        /* MMC-2's p99 is printed with 7 digits only (23.34443) */
        near_rel(theory_mmc_response_quantile(c, l, 1, 0.99), cases[i].p99, c == 2 ? 1e-6 : REL_CSV,
                 "p99");
        /* Little: Lq = lambda Wq, L = lambda T (the CSV's L and Lq rows) */
    }
    near_rel(3.2 * theory_mmc_wait_mean(4, 3.2, 1), 2.385729887, REL_CSV, "MMC-4 Lq");
    near_rel(9 * theory_mmc_response_mean(10, 9, 1), 15.01858372, REL_CSV, "MMC-10 L");
}
END_TEST

START_TEST(mm1_matches_published_cases)
{
    /* queueing.csv MM1-A (rho 0.9) and MM1-B (rho 0.5): T ~ Exp(mu - lambda). */
    near_rel(theory_mmc_response_mean(1, 0.9, 1), 10, REL_CSV, "MM1-A T");
    near_rel(theory_mmc_wait_mean(1, 0.9, 1), 9, REL_CSV, "MM1-A Wq");
    near_rel(theory_erlang_c(1, 0.9), 0.9, REL_CSV, "MM1-A P(wait>0)");
    near_rel(theory_mmc_wait_sf(1, 0.9, 1, 5), 0.5458775937, REL_CSV, "MM1-A P(wait>5)");
    near_rel(theory_mmc_wait_sf(1, 0.9, 1, 20), 0.1218017549, REL_CSV, "MM1-A P(wait>20)");
    near_rel(theory_mmc_response_sf(1, 0.9, 1, 20), 0.1353352832, REL_CSV, "MM1-A P(T>20)");
    near_rel(theory_mmc_response_quantile(1, 0.9, 1, 0.5), 6.931471806, REL_CSV, "MM1-A p50");
    near_rel(theory_mmc_response_quantile(1, 0.9, 1, 0.999), 69.07755279, REL_CSV, "MM1-A p99.9");
    near_rel(theory_mmc_wait_quantile(1, 0.9, 1, 0.5), 5.877866649, REL_CSV, "MM1-A wait p50");
    near_rel(theory_mmc_wait_quantile(1, 0.9, 1, 0.99), 44.9980967, REL_CSV, "MM1-A wait p99");
    near_rel(theory_mmc_wait_sf(1, 0.5, 1, 20), 2.269996488e-05, REL_CSV, "MM1-B P(wait>20)");
    near_rel(theory_mmc_response_quantile(1, 0.5, 1, 0.9), 4.605170186, REL_CSV, "MM1-B p90");
    near_rel(theory_mmc_wait_quantile(1, 0.5, 1, 0.9), 3.218875825, REL_CSV, "MM1-B wait p90");
    /* P(Wq = 0) = 1 - rho = 0.5 exactly: the median wait is 0 */
    ck_assert(theory_mmc_wait_quantile(1, 0.5, 1, 0.5) == 0);
}
END_TEST

START_TEST(hand_computed_mmc_cases)
{
    /* M/M/3, lambda 2.55, mu 1 (a = 2.55, rho = 0.85): P0 = 1/(1 + 2.55 +
     * 3.25125 + 2.7635625/0.15) = 0.0396432, C = 0.7303766, Wq = C/0.45 =
     * 1.6230591, T = 2.6230591 (scenarios/hello.ini's service). */
    near_rel(theory_erlang_c(3, 2.55), 0.7303766105, 1e-9, "M/M/3 C");
    near_rel(theory_mmc_response_mean(3, 2.55, 1), 2.6230591345, 1e-9, "M/M/3 T");
    /* M/M/1 at rho 0.8: p99 of the response is ln(100)/0.2 */
    near_rel(theory_mmc_response_quantile(1, 0.8, 1, 0.99), log(100) / 0.2, 1e-13, "M/M/1 p99");
    /* time units: mu = 1000/s, lambda = 800/s gives the same in ms */
    near_rel(theory_mmc_response_quantile(1, 800, 1000, 0.99), log(100) / 200, 1e-13, "units");
}
END_TEST

START_TEST(c_equal_1_reduces_to_mm1_everywhere)
{
    for (double rho = 0.05; rho < 1; rho += 0.1) {
        near_rel(theory_erlang_c(1, rho), rho, 1e-14, "C");
        near_rel(theory_mmc_response_mean(1, rho, 1), 1 / (1 - rho), 1e-13, "T");
        for (double p = 0.1; p < 1; p += 0.2) {
            near_rel(theory_mmc_response_quantile(1, rho, 1, p), -log(1 - p) / (1 - rho), 1e-12,
                     "T quantile");
            for (double t = 0.5; t < 50; t *= 3)
                near_rel(theory_mmc_response_sf(1, rho, 1, t), exp(-(1 - rho) * t), 1e-12, "sf");
        }
    }
}
END_TEST

START_TEST(response_sf_is_exact_when_the_two_rates_coincide)
{
    /* c mu - lambda == mu (c = 2, lambda = 1, mu = 1): the waiting part is
     * Erlang-2, P(S + W > t) = (1 + t) e^-t; compare just off the tie too. */
    double C = theory_erlang_c(2, 1), t = 3;
    double want = (1 - C) * exp(-t) + C * (1 + t) * exp(-t);
    near_rel(theory_mmc_response_sf(2, 1, 1, t), want, 1e-13, "tie");
    near_rel(theory_mmc_response_sf(2, 1 + 1e-9, 1, t), want, 1e-7, "near the tie");
}
END_TEST

/* Erlang B by an independent route: B = pois(c; a) / P(Pois(a) <= c),
 * summed in log space. */
static double erlang_b_logspace(unsigned c, double a)
{
    double top = -(double)INFINITY, sum = 0, lt;
    for (unsigned k = 0; k <= c; k++) {
        lt = (double)k * log(a) - lgamma((double)k + 1);
        if (lt > top)
            top = lt;
    }
    for (unsigned k = 0; k <= c; k++)
        sum += exp((double)k * log(a) - lgamma((double)k + 1) - top);
    lt = (double)c * log(a) - lgamma((double)c + 1);
    return exp(lt - top) / sum;
}

START_TEST(huge_c_stays_finite_and_matches_a_log_space_sum)
{
    unsigned c = 5000;
    double a = 4900;
    double b = theory_erlang_b(c, a), C = theory_erlang_c(c, a);
    near_rel(b, erlang_b_logspace(c, a), 1e-9, "B(5000, 4900)");
    ck_assert(C > b && C < 1);
    double wq = theory_mmc_wait_mean(c, a, 1);
    ck_assert(isfinite(wq) && wq > 0 && wq < 1);
    double p99 = theory_mmc_response_quantile(c, a, 1, 0.99);
    ck_assert(isfinite(p99) && p99 > -log(0.01) - 1e-9);
    /* a million servers at 99.9% load: still a probability */
    C = theory_erlang_c(1000000, 999000);
    ck_assert(C > 0 && C < 1);
}
END_TEST

START_TEST(unstable_or_invalid_arguments_say_so)
{
    ck_assert(theory_erlang_c(2, 2) == 1);
    ck_assert(isinf(theory_mmc_wait_mean(2, 2, 1)));
    ck_assert(isinf(theory_mmc_response_mean(1, 1.5, 1)));
    ck_assert(isinf(theory_mmc_response_quantile(4, 5, 1, 0.5)));
    ck_assert(isinf(theory_mmc_wait_quantile(4, 5, 1, 0.5)));
    ck_assert(theory_mmc_wait_sf(1, 1, 1, 3) == 1);
    ck_assert(isnan(theory_erlang_c(0, 0.5)));
    ck_assert(isnan(theory_mmc_wait_mean(1, -1, 1)));
    ck_assert(isnan(theory_mmc_wait_mean(1, 0.5, 0)));
    ck_assert(isnan(theory_mmc_response_quantile(1, 0.5, 1, 1)));
    ck_assert(isnan(theory_mmc_response_quantile(1, 0.5, 1, 0)));
    ck_assert(isnan(theory_erlang_b(3, (double)NAN)));
    ck_assert(isinf(theory_mg1_wait_mean(1, 1, 0)));
    ck_assert(isinf(theory_power_of_d_response_mean(2, 1, 1)));
    ck_assert(theory_ekm1_sigma(2, 1, 1) == 1);
    ck_assert(isinf(theory_ekm1_response_mean(2, 1.2, 1)));
    ck_assert(isnan(theory_jsq2_response_mean(0.99, 1)));
    ck_assert(isinf(theory_tandem_mm1_response_quantile(1, (double[]){1}, 1, 0.5)));
    /* zero load: nobody waits */
    ck_assert(theory_mmc_wait_mean(3, 0, 1) == 0);
    ck_assert(theory_erlang_b(3, 0) == 0);
}
END_TEST

/* ---- Erlang B and M/M/c/K ------------------------------------------------ */

START_TEST(erlang_b_matches_published_cases)
{
    /* queueing.csv ERLB-5, -10, -50: blocking and mean busy a(1 - B). */
    static const struct {
        unsigned c;
        double a, b, busy;
    } cases[] = {
        {5, 3, 0.1100543478, 2.669836957},
        {10, 7, 0.07874088297, 6.448813819},
        {50, 40, 0.01869067111, 39.25237316},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double b = theory_erlang_b(cases[i].c, cases[i].a);
        near_rel(b, cases[i].b, REL_CSV, "B");
        near_rel(cases[i].a * (1 - b), cases[i].busy, REL_CSV, "busy");
        /* M/M/c/c is Erlang B */
        near_rel(theory_mmck_blocking(cases[i].c, cases[i].c, cases[i].a, 1), b, 1e-12, "K = c");
    }
}
END_TEST

START_TEST(mmck_matches_published_cases)
{
    static const struct {
        unsigned c, k;
        double lambda, block, l, t;
    } cases[] = {
        {1, 10, 0.9, 0.05081373133, 3.969440599, 4.646600672}, /* MM1K-A */
        {1, 5, 1.5, 0.3654135338, 3.577443609, 3.758293839},   /* MM1K-B */
        {4, 8, 4, 0.1385281385, 4.831168831, 1.40201005},      /* MMCK-4-8 */
        {4, 6, 3, 0.0912504694, 3.030416823, 1.111570248},     /* MMCK-4-6 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned c = cases[i].c, k = cases[i].k;
        double l = cases[i].lambda;
        near_rel(theory_mmck_blocking(c, k, l, 1), cases[i].block, REL_CSV, "blocking");
        near_rel(theory_mmck_mean_in_system(c, k, l, 1), cases[i].l, REL_CSV, "L");
        near_rel(theory_mmck_response_mean(c, k, l, 1), cases[i].t, REL_CSV, "T admitted");
    }
    /* MM1K-A throughput lambda (1 - p_K) = 0.8542676418 */
    near_rel(0.9 * (1 - theory_mmck_blocking(1, 10, 0.9, 1)), 0.8542676418, REL_CSV, "X");
}
END_TEST

/* Crommelin's (1932) closed form of the M/D/1 queue-length distribution:
 * P(N = n) = (1 - rho) sum_{k=1..n} (-1)^(n-k) e^(k rho) [(k rho)^(n-k) /
 * (n-k)! + (k rho)^(n-k-1) / (n-k-1)!] for n >= 2; an alternating sum, fine
 * for the small n used here. */
static double md1_pn(unsigned n, double rho)
{
    if (n == 0)
        return 1 - rho;
    if (n == 1)
        return (1 - rho) * (exp(rho) - 1);
    double s = 0;
    for (unsigned k = 1; k <= n; k++) {
        double x = k * rho, t = 0, f = 1; /* f = (n-k-1)! */
        for (unsigned m = 2; m < n - k; m++)
            f *= m;
        if (n - k >= 1)
            t = pow(x, n - k) / (f * (n - k)) + pow(x, n - k - 1) / f;
        else
            t = 1;
        s += ((n - k) % 2 ? -1 : 1) * exp(k * rho) * t;
    }
    return (1 - rho) * s;
}

START_TEST(md1k_loss_matches_closed_forms_and_an_independent_relation)
{
    /* K = 1: one place, loss rho / (1 + rho) for any service (Erlang B). */
    for (double rho = 0.25; rho < 3; rho += 0.5)
        near_rel(theory_md1k_loss(1, rho, 1), rho / (1 + rho), 1e-12, "K = 1");
    /* K = 2: pi_1 = pi_0 (e^rho - 1), so loss = 1 - 1 / (e^-rho + rho). */
    for (double rho = 0.25; rho < 3; rho += 0.5)
        near_rel(theory_md1k_loss(2, rho * 100, 0.01), 1 - 1 / (exp(-rho) + rho), 1e-12, "K = 2");
    /* rho < 1: the M/G/1/K loss is (1 - rho) q / (1 - rho q), q = P(N >= K)
     * in the unbounded M/D/1 (Tijms, A First Course in Stochastic Models,
     * 2003, s9.4), q from Crommelin's distribution above. */
    static const struct { unsigned k; double rho; } cases[] = {
        {3, 0.9}, {4, 0.7}, {5, 0.5}, {6, 0.8}, {8, 0.6}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double q = 1;
        for (unsigned n = 0; n < cases[i].k; n++)
            q -= md1_pn(n, cases[i].rho);
        double want = (1 - cases[i].rho) * q / (1 - cases[i].rho * q);
        near_rel(theory_md1k_loss(cases[i].k, cases[i].rho, 1), want, 1e-9, "Tijms relation");
    }
    near_rel(theory_md1k_loss(4, 0.7, 1), 0.034111548549, 1e-9, "K = 4, rho = 0.7");
}
END_TEST

START_TEST(md1k_loss_limits_and_bad_arguments)
{
    ck_assert_double_eq(theory_md1k_loss(5, 0, 1), 0);
    ck_assert(theory_md1k_loss(200, 0.5, 1) < 1e-12);           /* a big room loses nothing */
    near_abs(theory_md1k_loss(4000, 2, 1), 0.5, 1e-9, "overload"); /* 1 - 1 / rho */
    near_abs(theory_md1k_loss(4000, 1.1, 1), 1 - 1 / 1.1, 1e-9, "overload");
    ck_assert(isnan(theory_md1k_loss(0, 1, 1)));
    ck_assert(isnan(theory_md1k_loss(THEORY_MD1K_MAX + 1, 1, 1)));
    ck_assert(isnan(theory_md1k_loss(3, -1, 1)));
    ck_assert(isnan(theory_md1k_loss(3, 1, 0)));
}
END_TEST

START_TEST(mmck_with_a_huge_room_is_mmc_and_stays_finite_at_scale)
{
    near_rel(theory_mmck_response_mean(4, 4000, 3.2, 1), theory_mmc_response_mean(4, 3.2, 1),
             1e-12, "K -> infinity");
    double b = theory_mmck_blocking(3000, 3500, 3500, 1); /* overloaded, large */
    ck_assert(b > 0 && b < 1 && isfinite(theory_mmck_response_mean(3000, 3500, 3500, 1)));
    ck_assert(theory_mmck_blocking(2, 4, 0, 1) == 0);
    ck_assert(theory_mmck_response_mean(2, 4, 0, 1) == 1);
    ck_assert(isnan(theory_mmck_blocking(4, 3, 1, 1))); /* K < c */
}
END_TEST

/* The admitted request's response time. By hand: M/M/1/2 at lambda = mu =
 * 1 finds 0 or 1 with probability 1/2 each, so T is Exp(1) or Erlang(2, 1):
 * P(T > t) = e^-t (1 + t/2), 0.5518192 at t = 1, median 1.1461932, p99
 * 5.9902443. M/M/2/3 at lambda = 2, mu = 1: p_n ~ 1, 2, 2, 2; the admitted
 * find 0, 1, 2 with 1/5, 2/5, 2/5, so T is Exp(1) w.p. 3/5 and Exp(2) +
 * Exp(1) w.p. 2/5: P(T > t) = 1.4 e^-t - 0.4 e^-2t, 0.4608971 at t = 1,
 * median 0.9070615, p99.9 7.2440234. */
START_TEST(mmck_response_percentiles_by_hand)
{
    near_rel(theory_mmck_response_sf(1, 2, 1, 1, 1), 0.5518191618, 1e-9, "M/M/1/2 sf(1)");
    near_rel(theory_mmck_response_quantile(1, 2, 1, 1, 0.5), 1.1461932206, 1e-9, "M/M/1/2 p50");
    near_rel(theory_mmck_response_quantile(1, 2, 1, 1, 0.99), 5.9902443462, 1e-9, "M/M/1/2 p99");
    near_rel(theory_mmck_response_sf(2, 3, 2, 1, 1), 0.4608971043, 1e-9, "M/M/2/3 sf(1)");
    near_rel(theory_mmck_response_quantile(2, 3, 2, 1, 0.5), 0.9070614574, 1e-9, "M/M/2/3 p50");
    near_rel(theory_mmck_response_quantile(2, 3, 2, 1, 0.999), 7.2440233715, 1e-9,
             "M/M/2/3 p999");
    /* K = c (Erlang B): the admitted never wait, T ~ Exp(mu) */
    near_rel(theory_mmck_response_quantile(5, 5, 20, 2, 0.99), -log(0.01) / 2, 1e-12, "K = c");
    /* a room no request fills: M/M/c's percentiles (Erlang C) */
    static const double ps[] = {0.5, 0.95, 0.99, 0.999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        near_rel(theory_mmck_response_quantile(4, 400, 3.2, 1, ps[i]),
                 theory_mmc_response_quantile(4, 3.2, 1, ps[i]), 1e-9, "K -> infinity");
    /* the mean of the distribution is the mean by Little's law: the
     * integral of P(T > t) (Simpson, h = 0.005 to t = 60) for M/M/4/6 */
    double h = 0.005, sum = 0;
    for (int i = 0; i <= 12000; i++) {
        double w = i == 0 || i == 12000 ? 1 : i % 2 ? 4 : 2;
        sum += w * theory_mmck_response_sf(4, 6, 3, 1, i * h);
    }
    near_rel(sum * h / 3, theory_mmck_response_mean(4, 6, 3, 1), 1e-9, "integral = mean");
    /* overloaded and large: finite, and above the mean of an idle system */
    double q = theory_mmck_response_quantile(3000, 3500, 3500, 1, 0.99);
    ck_assert(isfinite(q) && q > -log(0.01));
    ck_assert(isnan(theory_mmck_response_quantile(4, 3, 1, 1, 0.5)));
    ck_assert(isnan(theory_mmck_response_quantile(4, 6, 1, 1, 1)));
}
END_TEST

/* WARS P(consistent) with exponential delays against 10^8 Monte Carlo
 * trials of the model (tests/validation/extra.csv, standard error <= 5e-5:
 * within 4 of them), and the strict quorum's 1. */
START_TEST(wars_p_consistent_matches_monte_carlo)
{
    static const struct {
        unsigned n, r, w;
        double mw, t, mc;
    } cases[] = {
        {3, 1, 1, 10, 0, 0.41953004},  {3, 1, 1, 10, 5, 0.64790305}, {3, 1, 1, 10, 10, 0.78640503},
        {3, 1, 1, 10, 30, 0.97107933}, {3, 1, 1, 1, 0, 0.75177621},  {3, 1, 1, 1, 1, 0.90863262},
        {3, 1, 2, 10, 0, 0.71316609},  {3, 2, 1, 10, 0, 0.75729732}, {5, 1, 1, 10, 0, 0.2901365},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        near_abs(theory_wars_p_consistent(cases[i].n, cases[i].r, cases[i].w, cases[i].mw, 1, 1,
                                          1, cases[i].t),
                 cases[i].mc, 2e-4, "WARS P(consistent) vs Monte Carlo");
    ck_assert(theory_wars_p_consistent(3, 2, 2, 10, 1, 1, 1, 0) == 1);
    ck_assert(theory_wars_p_consistent(500, 300, 201, 10, 1, 1, 1, 0) == 1);
    ck_assert(isnan(theory_wars_p_consistent(500, 1, 1, 10, 1, 1, 1, 0))); /* N > 100 */
    ck_assert(isnan(theory_wars_p_consistent(3, 4, 1, 10, 1, 1, 1, 0)));
    ck_assert(isnan(theory_wars_p_consistent(3, 1, 1, 10, 1, 1, 1, -1)));
    /* more replicas: the integration keeps 1e-6 (a 10x finer Simpson gives
     * 0.1198183228 and 0.8489220762) */
    near_abs(theory_wars_p_consistent(20, 1, 1, 10, 1, 1, 1, 0), 0.1198183228, 1e-6, "N = 20");
    near_abs(theory_wars_p_consistent(20, 3, 5, 10, 1, 1, 1, 2), 0.8489220762, 1e-6, "N = 20");
}
END_TEST

/* ---- M/G/1, Kingman ------------------------------------------------------ */

START_TEST(pollaczek_khinchine_matches_published_cases)
{
    near_rel(theory_md1_wait_mean(0.9, 1), 4.5, REL_CSV, "MD1 Wq");
    near_rel(theory_md1_response_mean(0.9, 1), 5.5, REL_CSV, "MD1 T");
    near_rel(0.9 * theory_md1_wait_mean(0.9, 1), 4.05, REL_CSV, "MD1 Lq");
    /* MG1-LN: ln S ~ N(-0.5, 1): E[S] = 1, SCV = e - 1, E[S^3] = e^3 */
    double e = exp(1);
    near_rel(theory_mg1_wait_mean(0.8, 1, e - 1), 5.436563657, REL_CSV, "MG1-LN Wq");
    near_rel(theory_mg1_response_mean(0.8, 1, e - 1), 6.436563657, REL_CSV, "MG1-LN T");
    near_rel(0.8 * theory_mg1_response_mean(0.8, 1, e - 1), 5.149250926, REL_CSV, "MG1-LN L");
    near_rel(theory_mg1_wait_m2(0.8, 1, e, exp(3)), 85.89316469, REL_CSV, "MG1-LN E[Wq^2]");
    /* MG1-H2: balanced means, E[S^2] = 5 (SCV 4); E[S^3] = sum p 6/r^3 */
    double p1 = 0.887298335, r1 = 1.774596669, p2 = 0.112701665, r2 = 0.225403331;
    double s3 = 6 * (p1 / (r1 * r1 * r1) + p2 / (r2 * r2 * r2));
    near_rel(theory_mg1_wait_mean(0.8, 1, 4), 10, REL_CSV, "MG1-H2 Wq");
    near_rel(theory_mg1_response_mean(0.8, 1, 4), 11, REL_CSV, "MG1-H2 T");
    /* the CSV's phase parameters have 9 digits: 1e-7 */
    near_rel(theory_mg1_wait_m2(0.8, 1, 5, s3), 280, 1e-7, "MG1-H2 E[Wq^2]");
    /* MG1-U: Uniform(0, 2), SCV 1/3 */
    near_rel(theory_mg1_wait_mean(0.8, 1, 1.0 / 3), 2.666666667, REL_CSV, "MG1-U Wq");
    near_rel(theory_mg1_response_mean(0.8, 1, 1.0 / 3), 3.666666667, REL_CSV, "MG1-U T");
    /* scv 1 is M/M/1 */
    near_rel(theory_mg1_wait_mean(0.7, 1, 1), theory_mmc_wait_mean(1, 0.7, 1), 1e-14, "M/M/1");
}
END_TEST

START_TEST(md1_percentiles_match_published_cases)
{
    /* queueing.csv MD1 (lambda 0.9, d 1; mpmath, 50 digits) */
    near_rel(theory_md1_wait_quantile(0.9, 1, 0.5), 3.013047519, REL_CSV, "wait p50");
    near_rel(theory_md1_wait_quantile(0.9, 1, 0.9), 10.78250496, REL_CSV, "wait p90");
    near_rel(theory_md1_wait_quantile(0.9, 1, 0.99), 21.89823735, REL_CSV, "wait p99");
    near_rel(theory_md1_response_quantile(0.9, 1, 0.5), 4.013047519, REL_CSV, "response p50");
    near_rel(theory_md1_response_quantile(0.9, 1, 0.99), 22.89823735, REL_CSV, "response p99");
    /* Erlang's sum in 60-digit arithmetic (mpmath) where the double sum has
     * lost every digit: t = 37 at rho 0.9, t = 55.5 at rho 0.95; and a light
     * load, rho 0.3 at t = 2.25. 1e-13 absolute: Franx's terms are positive */
    near_abs(theory_md1_wait_cdf(0.9, 1, 37), 0.9995620682612451, 1e-13, "cdf(37)");
    near_abs(theory_md1_wait_cdf(0.95, 1, 55.5), 0.9965850982272291, 1e-13, "cdf(55.5)");
    near_abs(theory_md1_wait_cdf(0.3, 1, 2.25), 0.9950099212636693, 1e-13, "cdf(2.25)");
    /* atom at 0, units, and the median wait at low load */
    near_abs(theory_md1_wait_cdf(0.9, 1, 0), 0.1, 1e-15, "P(Wq = 0)");
    near_abs(theory_md1_wait_cdf(900, 1e-3, 37e-3), 0.9995620682612451, 1e-13, "ms");
    ck_assert(theory_md1_wait_quantile(0.3, 1, 0.6) == 0);
    ck_assert(isinf(theory_md1_wait_quantile(1, 1, 0.5)));
}
END_TEST

START_TEST(kingman_is_exact_where_it_must_be)
{
    /* M/M/c: both scv 1 */
    near_rel(theory_allen_cunneen_wait_mean(4, 3.2, 1, 1, 1), 0.7455405897, REL_CSV, "M/M/4");
    /* M/G/1: scv_a 1, any scv_s (PK) */
    near_rel(theory_allen_cunneen_wait_mean(1, 0.8, 1, 1, 4), 10, 1e-14, "M/H2/1");
    /* D/D/1: no variability, no wait */
    ck_assert(theory_allen_cunneen_wait_mean(1, 0.9, 1, 0, 0) == 0);
    /* service mean 2 ms at 400/s: rho 0.8, M/M/1 Wq = 0.8 * 2 / 0.2 = 8 ms,
     * times (0.5 + 1)/2 */
    near_rel(theory_allen_cunneen_wait_mean(1, 0.4, 2, 0.5, 1), 6, 1e-13, "E2/M/1 approx");
}
END_TEST

/* ---- round robin (E_k/M/1), random split, power of d, JSQ ------------------ */

START_TEST(round_robin_matches_published_cases)
{
    static const struct {
        double k, sigma, t, wq, p99;
    } cases[] = {
        {2, 0.8682178937, 7.588283629, 6.588283629, 34.94533753},
        {10, 0.8233301819, 5.66027639, 4.66027639, 26.06653608},
        {100, 0.808678743, 5.226810735, 4.226810735, 24.07035297},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double k = cases[i].k;
        near_rel(theory_ekm1_sigma(k, 0.9, 1), cases[i].sigma, REL_CSV, "sigma");
        near_rel(theory_ekm1_response_mean(k, 0.9, 1), cases[i].t, REL_CSV, "T");
        near_rel(theory_ekm1_wait_mean(k, 0.9, 1), cases[i].wq, REL_CSV, "Wq");
        near_rel(theory_ekm1_response_quantile(k, 0.9, 1, 0.99), cases[i].p99, REL_CSV, "p99");
    }
    /* LB-RR-INF: D/M/1 */
    near_rel(theory_ekm1_response_mean((double)INFINITY, 0.9, 1), 5.178659422, REL_CSV, "D/M/1");
    /* k = 1 is M/M/1: sigma = rho */
    near_rel(theory_ekm1_sigma(1, 0.7, 1), 0.7, 1e-13, "M/M/1");
}
END_TEST

START_TEST(random_split_is_mm1_per_replica)
{
    /* LB-RANDOM: N replicas at 0.9 each */
    near_rel(theory_random_split_response_mean(10, 1, 9, 1), 10, REL_CSV, "T");
    near_rel(theory_random_split_response_quantile(10, 1, 9, 1, 0.99), 46.05170186, REL_CSV,
             "p99");
    near_rel(theory_random_split_response_mean(3, 4, 3 * 3.2, 1), 1.74554059, REL_CSV, "M/M/4");
}
END_TEST

START_TEST(power_of_d_matches_the_mean_field_values)
{
    /* extra.csv LB-P2C-*, LB-P3C-* */
    near_rel(theory_power_of_d_response_mean(2, 0.9, 1), 2.614057377, REL_CSV, "d=2");
    near_rel(theory_power_of_d_response_mean(3, 0.9, 1), 2.027855969, REL_CSV, "d=3");
    near_rel(theory_power_of_d_wait_prob(2, 0.9), 0.81, 1e-14, "d=2 wait");
    near_rel(theory_power_of_d_wait_prob(3, 0.9), 0.729, 1e-14, "d=3 wait");
    /* by hand, d = 2, rho = 0.5: 1 + 0.5^2 + 0.5^6 + 0.5^14 + 0.5^30 + ... */
    near_rel(theory_power_of_d_response_mean(2, 0.5, 1),
             1 + 0.25 + 1.0 / 64 + 1.0 / 16384 + pow(0.5, 30) + pow(0.5, 62), 1e-15, "d=2 hand");
    near_rel(theory_power_of_d_response_mean(1, 0.9, 2), 5, 1e-14, "d=1 is M/M/1");
}
END_TEST

START_TEST(jsq2_matches_the_ctmc_values)
{
    /* extra.csv LB-JSQ-2 (the validator's own CTMC before it moved here;
     * its exact rows pin the value to 1e-9) */
    near_rel(theory_jsq2_response_mean(0.9, 1), 5.47491282123, 1e-10, "T");
    near_rel(theory_jsq2_wait_prob(0.9, 1), 0.842245762305, 1e-10, "P(wait)");
    /* better than two random M/M/1 queues, worse than one shared M/M/2 */
    double t = theory_jsq2_response_mean(0.5, 2);
    ck_assert(t > theory_mmc_response_mean(2, 2, 2) && t < theory_mmc_response_mean(1, 1, 2));
}
END_TEST

/* ---- Jackson networks, MVA ------------------------------------------------- */

START_TEST(tandem_matches_published_cases)
{
    unsigned c2[] = {1, 1}, c3[] = {1, 1, 1};
    double mu2[] = {1, 1}, mu3[] = {1, 0.75, 2};
    near_rel(theory_tandem_response_mean(2, c2, mu2, 0.8), 10, REL_CSV, "TANDEM-2 T");
    near_rel(theory_tandem_mm1_response_quantile(2, mu2, 0.8, 0.5), 8.39173495, REL_CSV,
             "TANDEM-2 p50");
    near_rel(theory_tandem_mm1_response_quantile(2, mu2, 0.8, 0.99), 33.19176034, REL_CSV,
             "TANDEM-2 p99");
    near_rel(theory_tandem_response_mean(3, c3, mu3, 0.5), 6.666666667, REL_CSV, "TANDEM-3 T");
    near_rel(theory_tandem_mm1_response_quantile(3, mu3, 0.5, 0.5), 5.606254713, REL_CSV,
             "TANDEM-3 p50");
    near_rel(theory_tandem_mm1_response_quantile(3, mu3, 0.5, 0.99), 21.9120981, REL_CSV,
             "TANDEM-3 p99");
}
END_TEST

START_TEST(hypoexponential_survival_matches_closed_forms)
{
    double one[] = {0.5}, two[] = {1, 1}, mixed[] = {0.5, 0.25, 1.5};
    for (double t = 0.25; t < 80; t *= 2) {
        near_abs(theory_hypoexp_sf(1, one, t), exp(-0.5 * t), 1e-14, "Exp");
        near_abs(theory_hypoexp_sf(2, two, t), (1 + t) * exp(-t), 1e-14, "Erlang-2");
        /* distinct rates: sum_i e^(-r_i t) prod_(j != i) r_j / (r_j - r_i) */
        double want = 0;
        for (int i = 0; i < 3; i++) {
            double w = exp(-mixed[i] * t);
            for (int j = 0; j < 3; j++)
                if (j != i)
                    w *= mixed[j] / (mixed[j] - mixed[i]);
            want += w;
        }
        near_abs(theory_hypoexp_sf(3, mixed, t), want, 1e-13, "distinct rates");
    }
    ck_assert(theory_hypoexp_sf(2, two, 0) == 1);
}
END_TEST

START_TEST(feedback_and_visit_ratios)
{
    /* queueing.csv FEEDBACK: lambda 0.5, q 0.2, mu 1 */
    near_rel(theory_feedback_response_mean(1, 0.5, 1, 0.2), 3.333333333, REL_CSV, "T");
    double entry[] = {1}, route[] = {0.2}, v[1];
    ck_assert_int_eq(theory_jackson_visits(1, entry, route, v), 0);
    near_rel(v[0], 1.25, 1e-13, "visits");
    unsigned c[] = {1};
    double mu[] = {1};
    near_rel(theory_jackson_response_mean(1, v, c, mu, 0.5), 3.333333333, REL_CSV, "network");
    /* a front (1 worker, mu 4) that sends 30% to a store (2 workers, mu 1),
     * which returns to the front: v = (1/0.7, 0.3/0.7) */
    double e2[] = {1, 0}, r2[] = {0, 0.3, 1, 0}, v2[2];
    ck_assert_int_eq(theory_jackson_visits(2, e2, r2, v2), 0);
    near_rel(v2[0], 1 / 0.7, 1e-13, "front visits");
    near_rel(v2[1], 0.3 / 0.7, 1e-13, "store visits");
    unsigned cc[] = {1, 2};
    double mm[] = {4, 1};
    double want = v2[0] * theory_mmc_response_mean(1, v2[0], 4) +
                  v2[1] * theory_mmc_response_mean(2, v2[1], 1);
    near_rel(theory_jackson_response_mean(2, v2, cc, mm, 1), want, 1e-14, "two stations");
    /* a closed loop (nobody leaves) is refused */
    double loop[] = {0, 1, 1, 0};
    ck_assert_int_eq(theory_jackson_visits(2, e2, loop, v2), -1);
}
END_TEST

START_TEST(mva_matches_published_closed_loops)
{
    static const struct {
        unsigned m;
        double z, x, r;
    } cases[] = {
        {10, 9, 0.8320367737, 3.018699553},
        {20, 9, 0.9993830272, 11.01234707},
        {5, 9, 0.4750920049, 1.524277294},
        {50, 100, 0.4906953206, 1.896223373},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        near_rel(theory_mva_throughput(cases[i].m, cases[i].z, 1), cases[i].x, REL_CSV, "X");
        near_rel(theory_mva_response_mean(cases[i].m, cases[i].z, 1), cases[i].r, REL_CSV, "R");
    }
    /* one user never waits */
    near_rel(theory_mva_response_mean(1, 9, 1), 1, 1e-15, "M=1");
}
END_TEST

/* ---- caches ------------------------------------------------------------- */

START_TEST(che_and_martina_match_the_computed_values)
{
    /* extra.csv CACHE-CHE-* (cache_theory.py, Python floats, 10 digits) */
    near_rel(theory_che_lru_hit_ratio(100000, 0.8, 1000), 0.2043337635, REL_CSV, "LRU 1000");
    near_rel(theory_che_lru_hit_ratio(100000, 0.8, 10000), 0.4686852354, REL_CSV, "LRU 10000");
    near_rel(theory_martina_fifo_hit_ratio(100000, 0.8, 1000), 0.1792124144, REL_CSV, "FIFO 1000");
    near_rel(theory_martina_fifo_hit_ratio(100000, 0.8, 10000), 0.4283710948, REL_CSV,
             "FIFO 10000");
    /* queueing.csv CACHE-EXACT-N10-C3, che_approx_LRU_for_comparison */
    near_rel(theory_che_lru_hit_ratio(10, 1, 3), 0.4657239064, REL_CSV, "Che N10 C3");
}
END_TEST

START_TEST(cache_per_key_hits_add_up)
{
    size_t n = 1000;
    double s = 0.9, cap = 100, h = theory_zipf_norm(n, s);
    double t = theory_che_lru_time(n, s, cap), occ = 0, hit = 0;
    double tf = theory_martina_fifo_time(n, s, cap), occ_f = 0, hit_f = 0;
    for (size_t i = 1; i <= n; i++) {
        double p = pow((double)i, -s) / h;
        occ += theory_che_lru_key_hit(p, t);
        hit += p * theory_che_lru_key_hit(p, t);
        occ_f += theory_martina_fifo_key_hit(p, tf);
        hit_f += p * theory_martina_fifo_key_hit(p, tf);
    }
    near_rel(occ, cap, 1e-10, "LRU occupancy = C");
    near_rel(hit, theory_che_lru_hit_ratio(n, s, cap), 1e-12, "LRU hit");
    near_rel(occ_f, cap, 1e-10, "FIFO occupancy = C");
    near_rel(hit_f, theory_martina_fifo_hit_ratio(n, s, cap), 1e-12, "FIFO hit");
    ck_assert(hit > hit_f); /* LRU beats FIFO under IRM Zipf */
}
END_TEST

START_TEST(cache_boundaries)
{
    /* uniform popularity: every policy hits C/N */
    near_rel(theory_che_lru_hit_ratio(500, 0, 50), 0.1, 1e-12, "uniform LRU");
    near_rel(theory_martina_fifo_hit_ratio(500, 0, 50), 0.1, 1e-12, "uniform FIFO");
    ck_assert(theory_che_lru_hit_ratio(10, 1, 10) == 1);
    ck_assert(isinf(theory_che_lru_time(10, 1, 12)));
    ck_assert(theory_che_lru_hit_ratio(10, 1, 0) == 0);
    ck_assert(isnan(theory_che_lru_hit_ratio(0, 1, 3)));
    near_rel(theory_zipf_norm(4, 1), 1 + 0.5 + 1.0 / 3 + 0.25, 1e-15, "H(4, 1)");
}
END_TEST

/* ---- PBS --------------------------------------------------------------- */

START_TEST(pbs_matches_published_cases)
{
    near_rel(theory_pbs_kstale(3, 1, 1, 1), 1.0 / 3, 1e-14, "K1");
    near_rel(theory_pbs_kstale(3, 1, 1, 2), 0.5555555556, REL_CSV, "K2");
    near_rel(theory_pbs_kstale(3, 1, 1, 3), 0.7037037037, REL_CSV, "K3");
    near_rel(theory_pbs_kstale(3, 1, 1, 5), 0.8683127572, REL_CSV, "K5");
    near_rel(theory_pbs_kstale(5, 2, 1, 2), 0.64, 1e-14, "N5 R2 K2");
    ck_assert(theory_pbs_kstale(3, 2, 2, 1) == 1); /* strict quorum */
    /* WARS latencies in ms (extra.csv in s) */
    near_rel(theory_wars_latency_quantile(3, 1, 10, 1, 0.5), 3.313272712, REL_CSV, "w p50");
    near_rel(theory_wars_latency_quantile(3, 1, 10, 1, 0.99), 16.40417206, REL_CSV, "w p99");
    near_rel(theory_wars_latency_quantile(3, 1, 10, 1, 0.999), 24.07945609, REL_CSV, "w p999");
    near_rel(theory_wars_latency_quantile(3, 1, 1, 1, 0.99), 2.894664188, REL_CSV, "r p99");
    near_rel(theory_wars_latency_quantile(3, 2, 10, 1, 0.99), 29.37221466, REL_CSV, "W2 p99");
    near_rel(theory_wars_latency_quantile(3, 2, 1, 1, 0.99), 4.54470423, REL_CSV, "R2 p99");
    near_rel(theory_wars_latency_quantile(5, 1, 10, 1, 0.99), 10.2638482, REL_CSV, "N5 p99");
    ck_assert(isnan(theory_wars_latency_quantile(3, 4, 1, 1, 0.5)));
}
END_TEST

START_TEST(method_table_is_complete)
{
    size_t n;
    const struct theory_method *m = theory_methods(&n);
    static const char *const required[] = {
        "erlang_c", "erlang_b", "mmck", "md1k", "pk_mg1", "kingman", "random_split", "jackson_tandem",
        "che_lru", "martina_fifo", "martina_random", "power_of_d", "pbs_kstale"};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found = found || strcmp(m[i].name, required[r]) == 0;
        ck_assert_msg(found, "no method %s", required[r]);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert(m[i].summary[0] && m[i].conditions[0] && m[i].source[0]);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(m[i].name, m[j].name);
    }
}
END_TEST

Suite *theory_suite(void);
Suite *theory_suite(void)
{
    Suite *s = suite_create("theory");
    TCase *q = tcase_create("queues");
    tcase_add_test(q, mmc_matches_published_erlang_c_cases);
    tcase_add_test(q, mm1_matches_published_cases);
    tcase_add_test(q, hand_computed_mmc_cases);
    tcase_add_test(q, c_equal_1_reduces_to_mm1_everywhere);
    tcase_add_test(q, response_sf_is_exact_when_the_two_rates_coincide);
    tcase_add_test(q, huge_c_stays_finite_and_matches_a_log_space_sum);
    tcase_add_test(q, unstable_or_invalid_arguments_say_so);
    tcase_add_test(q, erlang_b_matches_published_cases);
    tcase_add_test(q, mmck_matches_published_cases);
    tcase_add_test(q, mmck_with_a_huge_room_is_mmc_and_stays_finite_at_scale);
    tcase_add_test(q, mmck_response_percentiles_by_hand);
    tcase_add_test(q, wars_p_consistent_matches_monte_carlo);
    tcase_add_test(q, md1k_loss_matches_closed_forms_and_an_independent_relation);
    tcase_add_test(q, md1k_loss_limits_and_bad_arguments);
    tcase_add_test(q, pollaczek_khinchine_matches_published_cases);
    tcase_add_test(q, md1_percentiles_match_published_cases);
    tcase_add_test(q, kingman_is_exact_where_it_must_be);
    suite_add_tcase(s, q);

    TCase *b = tcase_create("balancing and networks");
    tcase_set_timeout(b, 30);
    tcase_add_test(b, round_robin_matches_published_cases);
    tcase_add_test(b, random_split_is_mm1_per_replica);
    tcase_add_test(b, power_of_d_matches_the_mean_field_values);
    tcase_add_test(b, jsq2_matches_the_ctmc_values);
    tcase_add_test(b, tandem_matches_published_cases);
    tcase_add_test(b, hypoexponential_survival_matches_closed_forms);
    tcase_add_test(b, feedback_and_visit_ratios);
    tcase_add_test(b, mva_matches_published_closed_loops);
    suite_add_tcase(s, b);

    TCase *c = tcase_create("caches and PBS");
    tcase_set_timeout(c, 30);
    tcase_add_test(c, che_and_martina_match_the_computed_values);
    tcase_add_test(c, cache_per_key_hits_add_up);
    tcase_add_test(c, cache_boundaries);
    tcase_add_test(c, pbs_matches_published_cases);
    tcase_add_test(c, method_table_is_complete);
    suite_add_tcase(s, c);
    return s;
}
