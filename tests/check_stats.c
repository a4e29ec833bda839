/* Tests for sim/stats: t quantiles against published tables, confidence
 * intervals, Welford moments, streaming batch means and MSER truncation. */
#include "sim/stats.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define PI 3.14159265358979323846

/* A tiny deterministic generator for the tests: xorshift64* (Vigna 2016). */
struct test_rng {
    uint64_t s;
};

static double test_uniform(struct test_rng *r) /* (0, 1) */
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    uint64_t x = r->s * 0x2545F4914F6CDD1DULL;
    return ((double)(x >> 11) + 0.5) / 9007199254740992.0;
}

static double test_normal(struct test_rng *r) /* Box-Muller, one of the pair */
{
    double u = test_uniform(r), v = test_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * PI * v);
}

/* t(0.975, df) to 10 decimals (R's qt(0.975, df)). */
static const struct {
    double df;
    double t;
} t_table[] = {
    {1, 12.7062047362}, {2, 4.3026527297},  {4, 2.7764451052},
    {9, 2.2621571628},  {29, 2.0452296421}, {1000, 1.9623390808},
};

/* 1e-9 relative: the table's own rounding is below 4e-11, and the header
 * promises 1e-8. */
START_TEST(t_quantile_matches_table)
{
    double got = stats_t_quantile(0.975, t_table[_i].df);
    ck_assert_double_eq_tol(got, t_table[_i].t, 1e-9 * t_table[_i].t);
}
END_TEST

START_TEST(t_quantile_is_odd_about_one_half)
{
    const double dfs[] = {0.5, 1, 3, 17.5, 200};
    for (size_t i = 0; i < sizeof dfs / sizeof dfs[0]; i++) {
        ck_assert_double_eq(stats_t_quantile(0.5, dfs[i]), 0.0);
        for (double p = 0.55; p < 1.0; p += 0.1) {
            double up = stats_t_quantile(p, dfs[i]);
            ck_assert_double_gt(up, 0.0);
            ck_assert_double_eq_tol(stats_t_quantile(1.0 - p, dfs[i]), -up, 1e-12 * up);
        }
    }
}
END_TEST

/* df = 1 is Cauchy and df = 2 has a closed form, so every p can be checked.
 * The Cauchy point is written as a cotangent of the tail probability, since
 * tan(pi * (p - 0.5)) loses the digits of a tiny p to the subtraction. */
START_TEST(t_quantile_matches_closed_forms_for_df_1_and_2)
{
    const double ps[] = {1e-12, 1e-6, 0.001, 0.01, 0.1, 0.3, 0.6, 0.9, 0.975, 0.999, 0.999999};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double p = ps[i];
        double cauchy = p < 0.5 ? -1.0 / tan(PI * p) : 1.0 / tan(PI * (1.0 - p));
        double df2 = (2.0 * p - 1.0) / sqrt(2.0 * p * (1.0 - p));
        ck_assert_double_eq_tol(stats_t_quantile(p, 1), cauchy, 1e-9 * fabs(cauchy));
        ck_assert_double_eq_tol(stats_t_quantile(p, 2), df2, 1e-9 * fabs(df2));
    }
}
END_TEST

/* Above df = 1e5 the quantile comes from the Cornish-Fisher series instead
 * of the incomplete beta function; both sides of the switch must agree with
 * the normal limit plus its first correction, z + (z^3 + z) / (4 df). */
START_TEST(t_quantile_tends_to_normal_for_large_df)
{
    const double z975 = 1.959963984540054, z95 = 1.644853626951472;
    const double dfs[] = {99999.0, 1e5, 1e7, 1e12};
    for (size_t i = 0; i < sizeof dfs / sizeof dfs[0]; i++) {
        double df = dfs[i];
        double t975 = z975 + (z975 * z975 + 1.0) * z975 / (4.0 * df);
        double t95 = z95 + (z95 * z95 + 1.0) * z95 / (4.0 * df);
        ck_assert_double_eq_tol(stats_t_quantile(0.975, df), t975, 1e-9);
        ck_assert_double_eq_tol(stats_t_quantile(0.95, df), t95, 1e-9);
    }
    ck_assert_double_lt(stats_t_quantile(0.975, 1e5), stats_t_quantile(0.975, 99999.0));
}
END_TEST

START_TEST(ci95_of_1_to_5_is_hand_computed)
{
    const double x[] = {1, 2, 3, 4, 5};
    struct ci c;
    stats_ci95(x, 5, &c);
    /* s^2 = 2.5, half-width = t(0.975, 4) * s / sqrt(5). */
    double half = 2.7764451052 * sqrt(2.5) / sqrt(5.0);
    ck_assert_uint_eq(c.n, 5);
    ck_assert_double_eq_tol(c.mean, 3.0, 1e-15);
    ck_assert_double_eq_tol(c.lo, 3.0 - half, 1e-9);
    ck_assert_double_eq_tol(c.hi, 3.0 + half, 1e-9);
}
END_TEST

START_TEST(ci95_of_one_value_or_none_has_no_interval)
{
    const double x[] = {42.5};
    struct ci c;
    stats_ci95(x, 1, &c);
    ck_assert_double_eq(c.mean, 42.5);
    ck_assert(isnan(c.lo) && isnan(c.hi));
    stats_ci95(x, 0, &c);
    ck_assert_uint_eq(c.n, 0);
    ck_assert_double_eq(c.mean, 0.0);
    ck_assert(isnan(c.lo) && isnan(c.hi));
    double lo = 0, hi = 0;
    ck_assert(!stats_quantile_ci95(x, 1, 0.99, &lo, &hi));
}
END_TEST

/* Woodruff: the t interval of the replications' fractions at or below the
 * pooled value, centred on q. By hand: the fractions' mean is 0.99, their
 * sample variance 0.00025 / 4, so h = t(0.975, 4) sqrt(6.25e-5 / 5) =
 * 2.776445 * 0.0035355 = 0.0098164. */
START_TEST(quantile_ci_is_the_t_interval_of_the_fractions_about_q)
{
    const double below[] = {0.98, 0.99, 1.0, 0.985, 0.995};
    double lo = 0, hi = 0;
    ck_assert(stats_quantile_ci95(below, 5, 0.99, &lo, &hi));
    ck_assert_double_eq_tol(lo, 0.99 - 0.0098164, 1e-6);
    ck_assert_double_eq_tol(hi, 0.99 + 0.0098164, 1e-6);
    /* Centred on q, not on the fractions' mean: a pooled value that most
     * replications lie above still gets an interval about q. */
    const double skew[] = {0.95, 0.96, 0.97, 0.96, 0.96};
    ck_assert(stats_quantile_ci95(skew, 5, 0.99, &lo, &hi));
    ck_assert_double_eq_tol((lo + hi) / 2, 0.99, 1e-12);
    ck_assert(lo < 0.99 && hi > 0.99);
}
END_TEST

/* A latency interval whose t bound goes below 0 is cut at 0 and still holds
 * its estimate; a ratio's is cut at 1. */
START_TEST(ci_clamp_keeps_intervals_in_the_metric_range)
{
    const double lat[] = {1, 1, 1, 1, 100};
    struct ci c;
    stats_ci95(lat, 5, &c);
    ck_assert_double_lt(c.lo, 0.0);
    stats_ci_clamp(&c, 0.0, (double)INFINITY);
    ck_assert_double_eq(c.lo, 0.0);
    ck_assert(c.lo <= c.mean && c.mean <= c.hi);
    const double ratio[] = {0.99, 0.99, 0.99, 0.5, 1.0};
    stats_ci95(ratio, 5, &c);
    ck_assert_double_gt(c.hi, 1.0);
    stats_ci_clamp(&c, 0.0, 1.0);
    ck_assert_double_eq(c.hi, 1.0);
    ck_assert(c.lo <= c.mean && c.mean <= c.hi);
}
END_TEST

/* 2000 replications of 8 normal observations each; the count covering the
 * true mean is binomial(2000, 0.95): sd 9.7, so 1850..1950 is > 5 sd wide. */
START_TEST(ci95_covers_the_true_mean_95_percent_of_the_time)
{
    struct test_rng r = {0x9E3779B97F4A7C15ULL};
    int covered = 0;
    for (int rep = 0; rep < 2000; rep++) {
        double x[8];
        for (int i = 0; i < 8; i++)
            x[i] = 10.0 + 3.0 * test_normal(&r);
        struct ci c;
        stats_ci95(x, 8, &c);
        covered += c.lo <= 10.0 && 10.0 <= c.hi;
    }
    ck_assert_int_ge(covered, 1850);
    ck_assert_int_le(covered, 1950);
}
END_TEST

START_TEST(moments_match_a_two_pass_computation)
{
    struct moments m = {0, 0.0, 0.0};
    ck_assert_double_eq(moments_var(&m), 0.0);
    moments_add(&m, 1e9 + 4);
    ck_assert_double_eq(moments_var(&m), 0.0);
    moments_add(&m, 1e9 + 7);
    moments_add(&m, 1e9 + 13);
    moments_add(&m, 1e9 + 16);
    /* Deviations -6, -3, 3, 6 around 1e9 + 10: var = 90 / 3 = 30. A naive
     * sum of squares would lose this to cancellation. */
    ck_assert_uint_eq(m.n, 4);
    ck_assert_double_eq_tol(m.mean, 1e9 + 10, 1e-6);
    ck_assert_double_eq_tol(moments_var(&m), 30.0, 1e-6);
}
END_TEST

START_TEST(batch_size_doubles_when_the_table_fills)
{
    struct batches *b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(b);
    batches_init(b, 1);
    for (int i = 0; i < BATCHES_MAX - 1; i++)
        batches_add(b, 1.0);
    ck_assert_uint_eq(b->nbatches, BATCHES_MAX - 1);
    ck_assert_uint_eq(b->batch_size, 1);
    batches_add(b, 1.0); /* the 1024th batch fills the table */
    ck_assert_uint_eq(b->nbatches, BATCHES_MAX / 2);
    ck_assert_uint_eq(b->batch_size, 2);
    ck_assert_uint_eq(b->fill, 0);
    for (int i = 0; i < BATCHES_MAX - 1; i++)
        batches_add(b, 1.0);
    ck_assert_uint_eq(b->nbatches, BATCHES_MAX - 1);
    ck_assert_uint_eq(b->fill, 1);
    ck_assert_uint_eq(b->batch_size, 2);
    batches_add(b, 1.0);
    ck_assert_uint_eq(b->nbatches, BATCHES_MAX / 2);
    ck_assert_uint_eq(b->batch_size, 4);
    ck_assert_uint_eq(b->base_size, 1);
    free(b);
}
END_TEST

/* All full batches hold batch_size observations, so the mean of batch means
 * is the plain mean of the observations they cover (the partial tail is
 * left out). */
START_TEST(grand_mean_equals_the_plain_mean_of_full_batch_observations)
{
    enum { N = 123457 };
    struct batches *b = malloc(sizeof *b);
    double *x = malloc(N * sizeof *x);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(x);
    struct test_rng r = {12345};
    batches_init(b, 3);
    for (int i = 0; i < N; i++) {
        x[i] = 100.0 * test_uniform(&r) + (double)(i % 17);
        batches_add(b, x[i]);
    }
    /* Doublings after 3072, 6144, ..., 98304 observations: six. */
    ck_assert_uint_eq(b->batch_size, 3 * 64);
    size_t used = b->nbatches * b->batch_size;
    ck_assert_uint_eq(used + b->fill, N);
    double plain = 0.0, grand = 0.0;
    for (size_t i = 0; i < used; i++)
        plain += x[i];
    plain /= (double)used;
    for (size_t i = 0; i < b->nbatches; i++)
        grand += b->mean[i];
    grand /= (double)b->nbatches;
    ck_assert_double_eq_tol(grand, plain, 1e-12 * plain);
    struct ci c;
    ck_assert(batches_ci95(b, 20, &c));
    ck_assert_double_eq_tol(c.mean, plain, 1e-12 * plain);
    ck_assert_uint_eq(c.n, 20);
    ck_assert_double_lt(c.lo, c.mean);
    ck_assert_double_gt(c.hi, c.mean);
    free(x);
    free(b);
}
END_TEST

START_TEST(batches_ci95_needs_two_full_batches)
{
    struct batches *b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(b);
    struct ci c;
    batches_init(b, 10);
    ck_assert(!batches_ci95(b, 10, &c));
    for (int i = 0; i < 19; i++)
        batches_add(b, (double)i);
    ck_assert(!batches_ci95(b, 10, &c)); /* one full batch, one partial */
    batches_add(b, 19.0);
    ck_assert(batches_ci95(b, 10, &c)); /* k > nbatches: both batches used */
    ck_assert_uint_eq(c.n, 2);
    ck_assert_double_eq_tol(c.mean, 9.5, 1e-12);
    /* Batch means 4.5 and 14.5: s = sqrt(50), half = t(0.975, 1) * s / sqrt(2). */
    double half = 12.7062047362 * 5.0;
    ck_assert_double_eq_tol(c.hi - c.mean, half, 1e-8);
    free(b);
}
END_TEST

/* i.i.d. N(0, 1) data, 400 runs of 4000 observations, batches of 10 regrouped
 * into 20: binomial(400, 0.95) has sd 4.4, so 360..396 is > 4 sd wide. */
START_TEST(batch_means_ci_covers_the_true_mean_for_iid_data)
{
    struct batches *b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(b);
    struct test_rng r = {0xD1B54A32D192ED03ULL};
    int covered = 0;
    for (int rep = 0; rep < 400; rep++) {
        batches_init(b, 10);
        for (int i = 0; i < 4000; i++)
            batches_add(b, test_normal(&r));
        struct ci c;
        ck_assert(batches_ci95(b, 20, &c));
        covered += c.lo <= 0.0 && 0.0 <= c.hi;
    }
    ck_assert_int_ge(covered, 360);
    ck_assert_int_le(covered, 396);
    free(b);
}
END_TEST

START_TEST(mser_truncates_an_obvious_initial_transient)
{
    enum { N = 500 };
    double y[N];
    struct test_rng r = {777};
    for (int i = 0; i < N; i++)
        y[i] = i < 50 ? 10.0 : 1.0 + 0.2 * (test_uniform(&r) - 0.5);
    size_t d = stats_mser(y, N);
    ck_assert_uint_ge(d, 50);
    ck_assert_uint_le(d, 55);
}
END_TEST

START_TEST(mser_barely_truncates_a_stationary_series)
{
    enum { N = 500 };
    double y[N];
    struct test_rng r = {4242};
    for (int i = 0; i < N; i++)
        y[i] = 1.0 + test_normal(&r);
    ck_assert_uint_le(stats_mser(y, N), N / 10);
}
END_TEST

START_TEST(mser_breaks_ties_toward_no_truncation)
{
    const double flat[] = {3, 3, 3, 3, 3, 3, 3, 3};
    ck_assert_uint_eq(stats_mser(flat, 8), 0);
    ck_assert_uint_eq(stats_mser(flat, 1), 0);
    ck_assert_uint_eq(stats_mser(flat, 0), 0);
}
END_TEST

/* A steady downward trend never settles: the statistic falls all the way,
 * and the search stops at n / 2 as the method prescribes. */
START_TEST(mser_searches_only_the_first_half)
{
    double y[101];
    for (int i = 0; i < 101; i++)
        y[i] = 100.0 - i;
    ck_assert_uint_eq(stats_mser(y, 101), 50);
}
END_TEST

Suite *stats_suite(void);
Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *t = tcase_create("t_quantile");
    tcase_add_loop_test(t, t_quantile_matches_table, 0, sizeof t_table / sizeof t_table[0]);
    tcase_add_test(t, t_quantile_is_odd_about_one_half);
    tcase_add_test(t, t_quantile_matches_closed_forms_for_df_1_and_2);
    tcase_add_test(t, t_quantile_tends_to_normal_for_large_df);
    suite_add_tcase(s, t);

    TCase *ci = tcase_create("ci");
    tcase_add_test(ci, ci95_of_1_to_5_is_hand_computed);
    tcase_add_test(ci, ci95_of_one_value_or_none_has_no_interval);
    tcase_add_test(ci, quantile_ci_is_the_t_interval_of_the_fractions_about_q);
    tcase_add_test(ci, ci_clamp_keeps_intervals_in_the_metric_range);
    tcase_add_test(ci, ci95_covers_the_true_mean_95_percent_of_the_time);
    tcase_add_test(ci, moments_match_a_two_pass_computation);
    suite_add_tcase(s, ci);

    TCase *bm = tcase_create("batches");
    tcase_add_test(bm, batch_size_doubles_when_the_table_fills);
    tcase_add_test(bm, grand_mean_equals_the_plain_mean_of_full_batch_observations);
    tcase_add_test(bm, batches_ci95_needs_two_full_batches);
    tcase_add_test(bm, batch_means_ci_covers_the_true_mean_for_iid_data);
    suite_add_tcase(s, bm);

    TCase *mser = tcase_create("mser");
    tcase_add_test(mser, mser_truncates_an_obvious_initial_transient);
    tcase_add_test(mser, mser_barely_truncates_a_stationary_series);
    tcase_add_test(mser, mser_breaks_ties_toward_no_truncation);
    tcase_add_test(mser, mser_searches_only_the_first_half);
    suite_add_tcase(s, mser);
    return s;
}
