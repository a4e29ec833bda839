/* Tests for sim/hist: bucket layout, quantile accuracy, exact moments,
 * merging, and the edges (empty, negative, INT64_MAX). */
#include "sim/hist.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Fresh histograms per test (checked fixture), so tests run in any order. */
static struct hist *h;
static struct hist *h2;

static void setup(void)
{
    h = hist_new();
    h2 = hist_new();
}

static void teardown(void)
{
    hist_free(h);
    hist_free(h2);
    h = h2 = NULL;
}

static double rel_err(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(layout_has_7296_buckets_ending_at_int64_max)
{
    int64_t lo, hi;
    ck_assert_uint_eq(hist_nbuckets(), 256 + 55 * 128);
    hist_bucket_bounds(hist_nbuckets() - 1, &lo, &hi);
    ck_assert_int_eq(hi, INT64_MAX);
    ck_assert_uint_eq(hist_bucket_index(INT64_MAX), hist_nbuckets() - 1);
}
END_TEST

START_TEST(buckets_tile_the_range_without_gaps)
{
    int64_t prev_hi = -1;
    for (size_t i = 0; i < hist_nbuckets(); i++) {
        int64_t lo, hi;
        hist_bucket_bounds(i, &lo, &hi);
        ck_assert_int_eq(lo, prev_hi + 1);
        ck_assert_int_ge(hi, lo);
        ck_assert_uint_eq(hist_bucket_index(lo), i);
        ck_assert_uint_eq(hist_bucket_index(hi), i);
        prev_hi = hi;
    }
}
END_TEST

START_TEST(values_below_256_have_a_bucket_each)
{
    for (int64_t v = 0; v < 256; v++) {
        int64_t lo, hi;
        ck_assert_uint_eq(hist_bucket_index(v), (size_t)v);
        hist_bucket_bounds((size_t)v, &lo, &hi);
        ck_assert_int_eq(lo, v);
        ck_assert_int_eq(hi, v);
    }
    /* 256 and 257 share the first two-wide bucket. */
    ck_assert_uint_eq(hist_bucket_index(256), 256);
    ck_assert_uint_eq(hist_bucket_index(257), 256);
    ck_assert_uint_eq(hist_bucket_index(258), 257);
}
END_TEST

START_TEST(small_values_give_exact_quantiles)
{
    for (int64_t v = 0; v < 256; v++)
        hist_add(h, v);
    for (int64_t v = 0; v < 256; v++) {
        /* The (v+1)-th smallest of 0..255 is v. */
        double q = ((double)v + 0.5) / 256.0;
        ck_assert_int_eq(hist_quantile(h, q), v);
    }
}
END_TEST

/* Any value read back as its bucket's midpoint is within 1/256 (0.4%) of
 * itself, which bounds every quantile's error by the same amount. */
START_TEST(bucket_midpoint_is_within_half_percent_of_its_bounds)
{
    for (size_t i = 0; i < hist_nbuckets(); i++) {
        int64_t lo, hi;
        hist_bucket_bounds(i, &lo, &hi);
        double mid = (double)(lo + (hi - lo) / 2);
        if (lo == 0)
            continue; /* bucket 0 holds 0 alone */
        ck_assert_double_le(rel_err(mid, (double)lo), 1.0 / 256);
        ck_assert_double_le(rel_err(mid, (double)hi), 1.0 / 256);
    }
}
END_TEST

/* Values k * 1000 ns for k = 1..1e6: the exact q-quantile is
 * ceil(q * 1e6) * 1000 ns. */
static const double quantiles[] = {0.0001, 0.001, 0.01, 0.1, 0.25, 0.5,
                                   0.75,   0.9,   0.99, 0.999, 0.9999};

START_TEST(quantiles_of_1_to_1e6_us_are_within_one_percent)
{
    const int64_t n = 1000000;
    for (int64_t k = 1; k <= n; k++)
        hist_add(h, k * 1000);
    for (size_t i = 0; i < sizeof quantiles / sizeof quantiles[0]; i++) {
        double q = quantiles[i];
        double want = ceil(q * (double)n - 1e-6) * 1000.0;
        double got = (double)hist_quantile(h, q);
        ck_assert_msg(rel_err(got, want) <= 0.01, "q=%g got %g want %g", q, got, want);
        ck_assert_double_le(rel_err(got, want), 1.0 / 256);
    }
}
END_TEST

/* Log-spaced values from 1 us to 1 h compared with exact order statistics. */
START_TEST(quantiles_over_1us_to_1h_are_within_one_percent)
{
    enum { N = 100001 };
    int64_t *v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    const double span = 3600e9 / 1e3;
    for (int i = 0; i < N; i++) {
        /* Scrambled order, so insertion order plays no part. */
        int j = (int)(((int64_t)i * 7919) % N);
        v[i] = (int64_t)llround(1e3 * pow(span, (double)j / (N - 1)));
        hist_add(h, v[i]);
    }
    qsort(v, N, sizeof *v, cmp_i64);
    for (double q = 0.0; q <= 1.0; q += 0.0125) {
        size_t rank = (size_t)ceil(q * N - 1e-9);
        size_t idx = rank == 0 ? 0 : rank - 1;
        double got = (double)hist_quantile(h, q);
        ck_assert_msg(rel_err(got, (double)v[idx]) <= 0.01, "q=%g got %g want %g", q, got,
                      (double)v[idx]);
    }
    ck_assert_int_eq(hist_quantile(h, 0.0), 1000);
    ck_assert_int_eq(hist_quantile(h, 1.0), 3600000000000);
    free(v);
}
END_TEST

START_TEST(quantile_0_is_min_and_1_is_max_even_in_wide_buckets)
{
    hist_add(h, 1000003);
    hist_add(h, 5000017);
    hist_add(h, 77777777);
    ck_assert_int_eq(hist_quantile(h, 0.0), 1000003);
    ck_assert_int_eq(hist_quantile(h, 1.0), 77777777);
}
END_TEST

START_TEST(quantiles_of_a_single_value_are_that_value)
{
    hist_add(h, 123456789);
    for (double q = 0.0; q <= 1.0; q += 0.125)
        ck_assert_int_eq(hist_quantile(h, q), 123456789);
}
END_TEST

START_TEST(min_max_mean_and_moment2_are_exact)
{
    const int64_t v[] = {3, 1000, 1000000007, 7000000000013, 42};
    long double sum = 0, sumsq = 0;
    for (size_t i = 0; i < 5; i++) {
        hist_add(h, v[i]);
        sum += (long double)v[i];
        sumsq += (long double)v[i] * (long double)v[i];
    }
    ck_assert_uint_eq(hist_count(h), 5);
    ck_assert_int_eq(hist_min(h), 3);
    ck_assert_int_eq(hist_max(h), 7000000000013);
    /* Exact up to the final rounding to double. */
    ck_assert_double_eq(hist_mean(h), (double)(sum / 5));
    ck_assert_double_eq(hist_moment2(h), (double)(sumsq / 5));
}
END_TEST

/* The sum is kept as an integer while it is below 2^64 and as a long
 * double from the add that reaches it: the mean must be the one a long
 * double sum of the same values in the same order gives, bit for bit, on
 * both sides of 2^64 (huge latencies of an overloaded run get there), and
 * through hist_add_n and hist_merge too. */
START_TEST(sum_past_2_to_the_64_is_the_long_double_sum)
{
    const int64_t big = INT64_MAX / 3; /* about 2^61.4: the sum crosses 2^64 at the 6th */
    long double sum = 0;
    for (int i = 0; i < 40; i++) {
        int64_t v = big + i * 1234567; /* not multiples of the rounding unit */
        hist_add(h, v);
        sum += (long double)v;
        ck_assert_double_eq(hist_mean(h), (double)(sum / (long double)(i + 1)));
    }
    /* add_n whose product alone is past 2^64, into a sum still below it */
    hist_add(h2, 5);
    hist_add_n(h2, big, 9);
    long double s2 = 5.0L + (long double)big * 9.0L;
    ck_assert_double_eq(hist_mean(h2), (double)(s2 / 10.0L));
    /* merging a sum past 2^64 into one below it, and the other way round */
    struct hist *small = hist_new(), *copy = hist_new();
    hist_add(small, 777);
    hist_copy(copy, small);
    hist_merge(small, h);
    ck_assert_double_eq(hist_mean(small), (double)((777.0L + sum) / 41.0L));
    hist_merge(h, copy);
    ck_assert_double_eq(hist_mean(h), (double)((sum + 777.0L) / 41.0L));
    /* below 2^64 the sum is exact: 2^63 + 2^63 - 2 is, in a double it is not */
    hist_reset(copy);
    hist_add(copy, INT64_MAX);
    hist_add(copy, INT64_MAX - 1);
    ck_assert_double_eq(hist_mean(copy), (double)(((long double)INT64_MAX * 2 - 1) / 2));
    hist_free(small);
    hist_free(copy);
}
END_TEST

/* The squares wait in a short list and are summed in order, a list at a
 * time: the second moment must be the long double sum of the squares in
 * the order they came, bit for bit, whether read between two folds or
 * after, and through hist_add_n and hist_merge (which fold first). Values
 * past 2^32 ns make squares and sums that round, so the order shows. */
START_TEST(moment2_is_the_in_order_long_double_sum_of_squares)
{
    long double sq = 0, sq2 = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int n = 0;
    struct hist *tmp = hist_new();
    for (int i = 1; i <= 100; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> 20); /* up to 2^44 ns: squares to 2^88 */
        hist_add(h, v);
        sq += (long double)v * (long double)v;
        n++;
        ck_assert_double_eq(hist_moment2(h), (double)(sq / (long double)n));
        /* A double hides the last bits of a long double: the sum itself,
         * folded in a copy (h keeps its pending squares), bit for bit. */
        hist_copy(tmp, h);
        hist_fold(tmp);
        ck_assert(tmp->npend == 0 && tmp->sumsq_ns2 == sq);
        if (i == 37) { /* pending squares, then n copies of one value */
            hist_add_n(h, v, 3);
            sq += (long double)v * (long double)v * 3.0L;
            n += 3;
            ck_assert_double_eq(hist_moment2(h), (double)(sq / (long double)n));
            sq2 = sq; /* h2 gets what h has so far, through a merge */
            hist_merge(h2, h);
        }
    }
    ck_assert_double_eq(hist_moment2(h), (double)(sq / 103.0L));
    hist_add(h2, 12345678901LL);
    sq2 += 12345678901.0L * 12345678901.0L;
    hist_merge(h2, h); /* h2 has pending squares, h too */
    ck_assert_double_eq(hist_moment2(h2), (double)((sq2 + sq) / 144.0L));
    hist_fold(h2);
    ck_assert(h2->sumsq_ns2 == sq2 + sq);
    hist_free(tmp);
}
END_TEST

START_TEST(add_n_equals_n_single_adds)
{
    hist_add_n(h, 5000, 7);
    hist_add_n(h, 9, 0);
    for (int i = 0; i < 7; i++)
        hist_add(h2, 5000);
    ck_assert_uint_eq(hist_count(h), 7);
    ck_assert_uint_eq(hist_bucket_count(h, hist_bucket_index(5000)), 7);
    ck_assert_int_eq(hist_min(h), 5000);
    ck_assert_double_eq(hist_mean(h), hist_mean(h2));
    ck_assert_double_eq(hist_moment2(h), hist_moment2(h2));
}
END_TEST

START_TEST(merge_equals_adding_all_values_to_one_histogram)
{
    struct hist *all = hist_new();
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        /* xorshift64 (Marsaglia 2003): spread values over 1 ns .. ~1 s. */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> 34);
        hist_add(i % 3 ? h : h2, v);
        hist_add(all, v);
    }
    hist_merge(h, h2);
    ck_assert_uint_eq(hist_count(h), hist_count(all));
    for (size_t i = 0; i < hist_nbuckets(); i++)
        ck_assert_uint_eq(hist_bucket_count(h, i), hist_bucket_count(all, i));
    ck_assert_int_eq(hist_min(h), hist_min(all));
    ck_assert_int_eq(hist_max(h), hist_max(all));
    for (double q = 0.0; q <= 1.0; q += 0.01)
        ck_assert_int_eq(hist_quantile(h, q), hist_quantile(all, q));
    /* Sums are added in a different order: equal to long double rounding. */
    ck_assert_double_eq_tol(hist_mean(h), hist_mean(all), 1e-12 * hist_mean(all));
    ck_assert_double_eq_tol(hist_moment2(h), hist_moment2(all), 1e-12 * hist_moment2(all));
    hist_free(all);
}
END_TEST

START_TEST(without_moment2_every_other_figure_is_the_same)
{
    /* hist_new_no_moment2 skips only the sum of squares: buckets, count,
     * sum, min, max and quantiles match a full histogram's, value for
     * value, through add, add_n, merge and reset. */
    struct hist *lean = hist_new_no_moment2(), *lean2 = hist_new_no_moment2();
    ck_assert(hist_has_moment2(h) && !hist_has_moment2(lean));
    uint64_t x = 0x243f6a8885a308d3ULL;
    for (int i = 0; i < 1000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = (int64_t)(x >> (i % 50 + 10)) - 100; /* a few negative */
        hist_add(h, v);
        hist_add(lean, v);
        if (i % 97 == 0) {
            hist_add_n(h, v, 5);
            hist_add_n(lean, v, 5);
        }
    }
    hist_merge(lean2, lean);
    hist_merge(h2, h);
    const struct hist *pairs[2][2] = {{h, lean}, {h2, lean2}};
    for (int k = 0; k < 2; k++) {
        const struct hist *a = pairs[k][0], *b = pairs[k][1];
        ck_assert_uint_eq(hist_count(a), hist_count(b));
        ck_assert_double_eq(hist_mean(a), hist_mean(b));
        ck_assert_int_eq(hist_min(a), hist_min(b));
        ck_assert_int_eq(hist_max(a), hist_max(b));
        for (size_t i = 0; i < hist_nbuckets(); i++)
            ck_assert_uint_eq(hist_bucket_count(a, i), hist_bucket_count(b, i));
        ck_assert_int_eq(hist_quantile(a, 0.99), hist_quantile(b, 0.99));
        ck_assert(hist_moment2(a) > 0 && isnan(hist_moment2(b)));
    }
    hist_reset(lean); /* stays a histogram without the second moment */
    hist_add(lean, 5);
    ck_assert(!hist_has_moment2(lean) && isnan(hist_moment2(lean)));
    ck_assert_double_eq(hist_mean(lean), 5.0);
    hist_free(lean);
    hist_free(lean2);
}
END_TEST

START_TEST(a_tally_has_the_count_and_mean_of_a_histogram)
{
    /* A tally (a component's local time: only its mean is reported) gives
     * the count and the very mean bits a histogram of the same values
     * would: below 2^64, past it (long double adds from there), and for a
     * negative value, counted as 0. */
    struct tally t = {0, 0, 0};
    ck_assert_double_eq(tally_mean(&t), 0.0);
    const int64_t big = INT64_MAX / 3;
    for (int i = 0; i < 40; i++) {
        int64_t v = i == 3 ? -5 : i < 20 ? 1000003 * i : big + i * 1234567;
        hist_add(h, v);
        tally_add(&t, v);
        ck_assert_uint_eq(t.count, hist_count(h));
        ck_assert_double_eq(tally_mean(&t), hist_mean(h));
    }
    ck_assert(t.sum_ns != 0); /* it went past 2^64 */
}
END_TEST

START_TEST(merging_into_empty_copies_and_merging_empty_changes_nothing)
{
    hist_add(h2, 700);
    hist_add(h2, 90000);
    hist_merge(h, h2);
    ck_assert_uint_eq(hist_count(h), 2);
    ck_assert_int_eq(hist_min(h), 700);
    ck_assert_int_eq(hist_max(h), 90000);
    hist_reset(h2);
    hist_merge(h, h2);
    ck_assert_uint_eq(hist_count(h), 2);
    ck_assert_int_eq(hist_min(h), 700);
}
END_TEST

START_TEST(empty_histogram_reports_zeros)
{
    size_t it = 0, index;
    uint64_t count;
    ck_assert_uint_eq(hist_count(h), 0);
    ck_assert_double_eq(hist_mean(h), 0.0);
    ck_assert_double_eq(hist_moment2(h), 0.0);
    ck_assert_int_eq(hist_min(h), 0);
    ck_assert_int_eq(hist_max(h), 0);
    ck_assert_int_eq(hist_quantile(h, 0.0), 0);
    ck_assert_int_eq(hist_quantile(h, 0.5), 0);
    ck_assert_int_eq(hist_quantile(h, 1.0), 0);
    ck_assert_double_eq(hist_fraction_above(h, 0), 0.0);
    ck_assert_double_eq(hist_fraction_above(h, -5), 0.0);
    ck_assert(!hist_next_bucket(h, &it, &index, &count));
}
END_TEST

START_TEST(reset_empties_and_copy_is_independent)
{
    hist_add(h, 12345);
    hist_copy(h2, h);
    hist_reset(h);
    ck_assert_uint_eq(hist_count(h), 0);
    ck_assert_int_eq(hist_max(h), 0);
    ck_assert_uint_eq(hist_bucket_count(h, hist_bucket_index(12345)), 0);
    ck_assert_uint_eq(hist_count(h2), 1);
    ck_assert_int_eq(hist_quantile(h2, 0.5), 12345);
    hist_add(h, 1);
    ck_assert_int_eq(hist_min(h), 1);
}
END_TEST

START_TEST(negative_values_count_as_zero)
{
    hist_add(h, -17);
    hist_add_n(h, INT64_MIN, 2);
    ck_assert_uint_eq(hist_count(h), 3);
    ck_assert_uint_eq(hist_bucket_count(h, 0), 3);
    ck_assert_int_eq(hist_min(h), 0);
    ck_assert_int_eq(hist_max(h), 0);
    ck_assert_double_eq(hist_mean(h), 0.0);
}
END_TEST

START_TEST(int64_max_is_counted_in_the_last_bucket)
{
    hist_add(h, INT64_MAX);
    hist_add(h, 0);
    hist_add_n(h, INT64_MAX, 2);
    ck_assert_uint_eq(hist_bucket_count(h, hist_nbuckets() - 1), 3);
    ck_assert_int_eq(hist_max(h), INT64_MAX);
    ck_assert_int_eq(hist_quantile(h, 1.0), INT64_MAX);
    int64_t q = hist_quantile(h, 0.9);
    ck_assert_double_le(rel_err((double)q, (double)INT64_MAX), 1.0 / 256);
    ck_assert_double_eq_tol(hist_mean(h), 0.75 * (double)INT64_MAX, 1e-12 * (double)INT64_MAX);
    ck_assert(isfinite(hist_moment2(h)));
    ck_assert_double_eq(hist_fraction_above(h, INT64_MAX), 0.0);
    ck_assert_double_eq_tol(hist_fraction_above(h, 1), 0.75, 1e-12);
}
END_TEST

/* Every integer 0..2^20-1 once: the uniform-within-bucket assumption is then
 * exact, so the interpolated fraction is exact to rounding. */
START_TEST(fraction_above_is_exact_on_a_uniform_fill)
{
    const int64_t n = 1 << 20;
    for (int64_t v = 0; v < n; v++)
        hist_add(h, v);
    const int64_t xs[] = {0, 100, 255, 256, 1000, 65537, 300001, 777777, 1048000, n - 2};
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double want = (double)(n - 1 - xs[i]) / (double)n;
        ck_assert_double_eq_tol(hist_fraction_above(h, xs[i]), want, 1e-12);
    }
    ck_assert_double_eq(hist_fraction_above(h, -1), 1.0);
    ck_assert_double_eq(hist_fraction_above(h, n - 1), 0.0);
    ck_assert_double_eq(hist_fraction_above(h, INT64_MAX), 0.0);
}
END_TEST

/* Values every 1000 ns: interpolation is approximate inside wide buckets but
 * stays within a bucket's share (< 1% of the values here). */
START_TEST(fraction_above_interpolates_inside_a_bucket)
{
    const int64_t n = 100000;
    for (int64_t k = 0; k < n; k++)
        hist_add(h, k * 1000);
    for (int64_t x = 1500; x < n * 1000; x = x * 3 + 7) {
        double want = (double)(n - 1 - x / 1000) / (double)n;
        ck_assert_double_eq_tol(hist_fraction_above(h, x), want, 0.01 * want + 1e-5);
    }
}
END_TEST

START_TEST(next_bucket_visits_nonzero_buckets_in_order)
{
    hist_add(h, 5);
    hist_add(h, 5);
    hist_add(h, 1000000);
    hist_add(h, 300);
    size_t it = 0, index;
    uint64_t count;
    ck_assert(hist_next_bucket(h, &it, &index, &count));
    ck_assert_uint_eq(index, 5);
    ck_assert_uint_eq(count, 2);
    ck_assert(hist_next_bucket(h, &it, &index, &count));
    ck_assert_uint_eq(index, hist_bucket_index(300));
    ck_assert(hist_next_bucket(h, &it, &index, &count));
    ck_assert_uint_eq(index, hist_bucket_index(1000000));
    ck_assert_uint_eq(count, 1);
    ck_assert(!hist_next_bucket(h, &it, &index, &count));
    ck_assert(!hist_next_bucket(h, &it, &index, &count));
}
END_TEST

Suite *hist_suite(void);
Suite *hist_suite(void)
{
    Suite *s = suite_create("hist");
    TCase *layout = tcase_create("layout");
    tcase_add_test(layout, layout_has_7296_buckets_ending_at_int64_max);
    tcase_add_test(layout, buckets_tile_the_range_without_gaps);
    tcase_add_test(layout, values_below_256_have_a_bucket_each);
    tcase_add_test(layout, bucket_midpoint_is_within_half_percent_of_its_bounds);
    suite_add_tcase(s, layout);

    TCase *values = tcase_create("values");
    tcase_add_checked_fixture(values, setup, teardown);
    tcase_add_test(values, small_values_give_exact_quantiles);
    tcase_add_test(values, quantiles_of_1_to_1e6_us_are_within_one_percent);
    tcase_add_test(values, quantiles_over_1us_to_1h_are_within_one_percent);
    tcase_add_test(values, quantile_0_is_min_and_1_is_max_even_in_wide_buckets);
    tcase_add_test(values, quantiles_of_a_single_value_are_that_value);
    tcase_add_test(values, min_max_mean_and_moment2_are_exact);
    tcase_add_test(values, add_n_equals_n_single_adds);
    tcase_add_test(values, merge_equals_adding_all_values_to_one_histogram);
    tcase_add_test(values, merging_into_empty_copies_and_merging_empty_changes_nothing);
    tcase_add_test(values, empty_histogram_reports_zeros);
    tcase_add_test(values, reset_empties_and_copy_is_independent);
    tcase_add_test(values, negative_values_count_as_zero);
    tcase_add_test(values, sum_past_2_to_the_64_is_the_long_double_sum);
    tcase_add_test(values, moment2_is_the_in_order_long_double_sum_of_squares);
    tcase_add_test(values, without_moment2_every_other_figure_is_the_same);
    tcase_add_test(values, a_tally_has_the_count_and_mean_of_a_histogram);
    tcase_add_test(values, int64_max_is_counted_in_the_last_bucket);
    tcase_add_test(values, fraction_above_is_exact_on_a_uniform_fill);
    tcase_add_test(values, fraction_above_interpolates_inside_a_bucket);
    tcase_add_test(values, next_bucket_visits_nonzero_buckets_in_order);
    suite_add_tcase(s, values);
    return s;
}
