/* compare (output/compare.c): the paired difference and its interval,
 * computed by hand, the Welch interval it is set against, and the good
 * direction of metric names. */
#include <check.h>
#include <math.h>

#include "output/compare.h"

/* b = 1 2 3, x = 2 3 5: differences 1 1 2, mean 4/3, sd sqrt(1/3); the
 * half-width is t(0.975, 2) sd / sqrt(3) = 4.302653 / 3. */
START_TEST(paired_interval_is_t_over_the_differences)
{
    double b[] = {1, 2, 3}, x[] = {2, 3, 5};
    struct compare_diff d;
    compare_pairs(b, x, 3, &d);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_double_eq_tol(d.base, 2, 1e-12);
    ck_assert_double_eq_tol(d.var, 10.0 / 3, 1e-12);
    ck_assert_double_eq_tol(d.diff, 4.0 / 3, 1e-12);
    ck_assert_double_eq_tol(d.paired_half, 4.302653 / 3, 1e-6);
    /* Welch: variances 1 and 7/3 over 3 runs each, df 3.448, t = 2.9607
     * (by numeric integration of the t density); the shared trend (both
     * rise with the run) makes the paired interval narrower */
    ck_assert_double_eq_tol(d.unpaired_half, 3.120884, 1e-5);
    ck_assert(d.unpaired_half > 2 * d.paired_half);
}
END_TEST

START_TEST(missing_values_drop_their_pair)
{
    double b[] = {1, (double)NAN, 3, 4}, x[] = {2, 9, (double)NAN, 6};
    struct compare_diff d;
    compare_pairs(b, x, 4, &d);
    ck_assert_uint_eq(d.n, 2);
    ck_assert_double_eq_tol(d.diff, 1.5, 1e-12);
    compare_pairs(b, x, 1, &d); /* one pair: a difference, no interval */
    ck_assert_uint_eq(d.n, 1);
    ck_assert_double_eq_tol(d.diff, 1, 1e-12);
    ck_assert(isnan(d.paired_half) && isnan(d.unpaired_half));
}
END_TEST

START_TEST(identical_variants_differ_by_exactly_zero)
{
    double b[] = {5, 7, 6}, x[] = {5, 7, 6};
    struct compare_diff d;
    compare_pairs(b, x, 3, &d);
    ck_assert_double_eq(d.diff, 0);
    ck_assert_double_eq(d.paired_half, 0);
    ck_assert(d.unpaired_half > 0);
}
END_TEST

START_TEST(direction_follows_the_metric_name)
{
    ck_assert_int_eq(compare_direction("latency_p99_ms"), -1);
    ck_assert_int_eq(compare_direction("db.stale_fraction"), -1);
    ck_assert_int_eq(compare_direction("lost_writes"), -1);
    ck_assert_int_eq(compare_direction("goodput_rps"), 1);
    ck_assert_int_eq(compare_direction("cache.hit_ratio"), 1);
    ck_assert_int_eq(compare_direction("cache.byte_hit_ratio"), 1);
    ck_assert_int_eq(compare_direction("events"), 0);
}
END_TEST

Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("paired");
    tcase_add_test(tc, paired_interval_is_t_over_the_differences);
    tcase_add_test(tc, missing_values_drop_their_pair);
    tcase_add_test(tc, identical_variants_differ_by_exactly_zero);
    tcase_add_test(tc, direction_follows_the_metric_name);
    suite_add_tcase(s, tc);
    return s;
}
