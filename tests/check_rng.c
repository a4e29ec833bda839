/* Tests for sim/rng: reference vectors, reproducibility, stream independence
 * and the distribution of each variate. Every statistical test uses a fixed
 * seed, so it is deterministic: a pass stays a pass. Tolerances are stated
 * as standard errors (SE) of the estimate. */
#include "sim/rng.h"

#include <check.h>
#include <math.h>
#include <stdint.h>

Suite *rng_suite(void);

#define N_DRAWS 100000

START_TEST(xoshiro_matches_reference_outputs_from_state_1_2_3_4)
{
    /* Published outputs of the reference xoshiro256starstar.c from state
     * {1, 2, 3, 4} (as in the rand_xoshiro crate's tests). */
    static const uint64_t want[] = {
        11520u,
        0u,
        1509978240u,
        1215971899390074240u,
        1216172134540287360u,
        607988272756665600u,
        16172922978634559625u,
        8476171486693032832u,
        10595114339597558777u,
        2904607092377533576u,
    };
    struct rng r = {{1, 2, 3, 4}};

    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(rng_next(&r) == want[i], "output %zu differs", i);
}
END_TEST

START_TEST(seed_fills_state_with_splitmix64_outputs)
{
    /* splitmix64 from state 0: the first four outputs of the reference
     * splitmix64.c (also java.util.SplittableRandom's mix). */
    struct rng r;

    rng_seed(&r, 0);
    ck_assert(r.s[0] == 0xe220a8397b1dcdafULL);
    ck_assert(r.s[1] == 0x6e789e6aa1b965f4ULL);
    ck_assert(r.s[2] == 0x06c45d188009454fULL);
    ck_assert(r.s[3] == 0xf88bb8a8724c81ecULL);
}
END_TEST

START_TEST(hash_str_is_fnv1a_64)
{
    /* Test vectors from the FNV reference (Fowler, Noll, Vo; IETF draft). */
    ck_assert(rng_hash_str(RNG_FNV_BASIS, "") == RNG_FNV_BASIS);
    ck_assert(rng_hash_str(RNG_FNV_BASIS, "a") == 0xaf63dc4c8601ec8cULL);
    ck_assert(rng_hash_str(RNG_FNV_BASIS, "foobar") == 0x85944171f73967e8ULL);
    /* Continuing from h hashes the concatenation. */
    ck_assert(rng_hash_str(rng_hash_str(RNG_FNV_BASIS, "foo"), "bar") ==
              rng_hash_str(RNG_FNV_BASIS, "foobar"));
}
END_TEST

START_TEST(same_seed_gives_same_sequence)
{
    struct rng a, b;

    rng_seed(&a, 42);
    rng_seed(&b, 42);
    int differ = 0;
    for (int i = 0; i < 1000; i++)
        differ += rng_next(&a) != rng_next(&b);
    ck_assert_int_eq(differ, 0);
}
END_TEST

START_TEST(copied_state_continues_identically)
{
    struct rng a, b;

    rng_seed(&a, 7);
    rng_next(&a);
    b = a;
    for (int i = 0; i < 100; i++)
        ck_assert(rng_next(&a) == rng_next(&b));
}
END_TEST

START_TEST(nearby_seeds_give_different_sequences)
{
    struct rng a, b;
    int same = 0;

    rng_seed(&a, 1);
    rng_seed(&b, 2);
    for (int i = 0; i < 1000; i++)
        same += rng_next(&a) == rng_next(&b);
    ck_assert_int_eq(same, 0);
}
END_TEST

START_TEST(stream_is_reproducible_for_same_names_and_seed)
{
    struct rng a, b;

    rng_stream(&a, 42, "api", "arrivals");
    rng_stream(&b, 42, "api", "arrivals");
    for (int i = 0; i < 100; i++)
        ck_assert(rng_next(&a) == rng_next(&b));
}
END_TEST

/* Pearson correlation of N_DRAWS paired uniforms from a and b. */
static double correlation(struct rng *a, struct rng *b)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;

    for (int i = 0; i < N_DRAWS; i++) {
        double x = rng_uniform(a), y = rng_uniform(b);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    double n = N_DRAWS;
    double cov = sxy / n - (sx / n) * (sy / n);
    return cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
}

struct stream_pair {
    uint64_t seed_a, seed_b;
    const char *comp_a, *purpose_a, *comp_b, *purpose_b;
};

/* Pairs that differ in one way each, including a shifted name boundary. */
static const struct stream_pair stream_pairs[] = {
    {42, 42, "api", "arrivals", "db", "arrivals"},
    {42, 42, "api", "arrivals", "api", "service"},
    {42, 42, "ab", "c", "a", "bc"},
    {42, 43, "api", "arrivals", "api", "arrivals"},
    {0, 0, "", "x", "x", ""},
};

START_TEST(streams_with_different_names_or_seeds_are_uncorrelated)
{
    const struct stream_pair *p = &stream_pairs[_i];
    struct rng a, b;

    rng_stream(&a, p->seed_a, p->comp_a, p->purpose_a);
    rng_stream(&b, p->seed_b, p->comp_b, p->purpose_b);
    ck_assert(a.s[0] != b.s[0] || a.s[1] != b.s[1]);
    /* Independent streams: r has SE 1/sqrt(1e5) = 0.0032, so 0.02 is 6 SE. */
    double r = correlation(&a, &b);
    ck_assert_msg(fabs(r) < 0.02, "correlation %g", r);
}
END_TEST

START_TEST(uniform_lies_in_unit_interval_with_mean_half_and_variance_twelfth)
{
    struct rng r;
    double sum = 0, ss = 0;

    rng_seed(&r, 1);
    int outside = 0; /* counted: a passing ck_assert costs a write to Check's pipe */
    for (int i = 0; i < N_DRAWS; i++) {
        double u = rng_uniform(&r);
        outside += !(u >= 0.0 && u < 1.0);
        sum += u;
        ss += (u - 0.5) * (u - 0.5);
    }
    /* SE of the mean: sqrt(1/12 / n) = 0.00091; of the variance about the
     * known mean: sqrt((1/80 - 1/144) / n) = 0.00024. 5 SE each. */
    ck_assert_int_eq(outside, 0);
    ck_assert_double_eq_tol(sum / N_DRAWS, 0.5, 5 * 0.00091);
    ck_assert_double_eq_tol(ss / N_DRAWS, 1.0 / 12.0, 5 * 0.00024);
}
END_TEST

START_TEST(uniform_pos_is_never_zero)
{
    struct rng zero = {{0, 0, 0, 0}};
    struct rng r;

    /* An all-zero state (invalid for real use) yields raw 0: the edge case. */
    ck_assert_double_eq(rng_uniform_pos(&zero), 0x1.0p-53);
    rng_seed(&r, 3);
    int outside = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double u = rng_uniform_pos(&r);
        outside += !(u > 0.0 && u <= 1.0);
    }
    ck_assert_int_eq(outside, 0);
}
END_TEST

START_TEST(below_stays_in_range_and_is_unbiased)
{
    enum { K = 7, DRAWS = 70000 };
    size_t count[K] = {0};
    int outside = 0;
    struct rng r;

    rng_seed(&r, 11);
    for (int i = 0; i < DRAWS; i++) {
        uint64_t v = rng_below(&r, K);
        outside += v >= K;
        count[v < K ? v : 0]++;
    }
    ck_assert_int_eq(outside, 0);
    double chi2 = 0, expect = (double)DRAWS / K;
    for (int k = 0; k < K; k++)
        chi2 += ((double)count[k] - expect) * ((double)count[k] - expect) / expect;
    /* Chi-square with 6 degrees of freedom: 22.46 is its 0.1% critical value. */
    ck_assert_msg(chi2 < 22.46, "chi2 %g", chi2);
}
END_TEST

START_TEST(below_handles_huge_bounds_without_bias)
{
    /* n = 3 * 2^62: a quarter of raw draws are rejected. The thirds of
     * [0, n) must be equally likely (chi-square, 2 df, 0.1% point 13.82). */
    const uint64_t n = 3ULL << 62;
    size_t count[3] = {0};
    struct rng r;

    rng_seed(&r, 5);
    int outside = 0;
    for (int i = 0; i < 30000; i++) {
        uint64_t v = rng_below(&r, n);
        outside += v >= n;
        count[v < n ? v >> 62 : 0]++;
    }
    ck_assert_int_eq(outside, 0);
    double chi2 = 0;
    for (int k = 0; k < 3; k++)
        chi2 += ((double)count[k] - 10000.0) * ((double)count[k] - 10000.0) / 10000.0;
    ck_assert_msg(chi2 < 13.82, "chi2 %g", chi2);
    ck_assert(rng_below(&r, 1) == 0);
    ck_assert(rng_below(&r, UINT64_MAX) < UINT64_MAX);
}
END_TEST

START_TEST(exp_has_mean_one_and_is_non_negative)
{
    struct rng r;
    double sum = 0;

    rng_seed(&r, 13);
    int negative = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        double x = rng_exp(&r);
        negative += x < 0.0 || signbit(x);
        sum += x;
    }
    ck_assert_int_eq(negative, 0);
    /* Var 1, so SE = 1/sqrt(n) = 0.0032; 5 SE. */
    ck_assert_double_eq_tol(sum / N_DRAWS, 1.0, 5 * 0.0032);
}
END_TEST

START_TEST(normal_has_mean_zero_and_variance_one)
{
    struct rng r;
    double sum = 0, ss = 0;

    rng_seed(&r, 17);
    for (int i = 0; i < N_DRAWS; i++) {
        double x = rng_normal(&r);
        sum += x;
        ss += x * x;
    }
    /* SE of the mean 1/sqrt(n) = 0.0032; of E[x^2], sqrt(2/n) = 0.0045. */
    ck_assert_double_eq_tol(sum / N_DRAWS, 0.0, 5 * 0.0032);
    ck_assert_double_eq_tol(ss / N_DRAWS, 1.0, 5 * 0.0045);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("generator");

    tcase_add_test(tc, xoshiro_matches_reference_outputs_from_state_1_2_3_4);
    tcase_add_test(tc, seed_fills_state_with_splitmix64_outputs);
    tcase_add_test(tc, hash_str_is_fnv1a_64);
    tcase_add_test(tc, same_seed_gives_same_sequence);
    tcase_add_test(tc, copied_state_continues_identically);
    tcase_add_test(tc, nearby_seeds_give_different_sequences);
    suite_add_tcase(s, tc);

    tc = tcase_create("streams");
    tcase_add_test(tc, stream_is_reproducible_for_same_names_and_seed);
    tcase_add_loop_test(tc, streams_with_different_names_or_seeds_are_uncorrelated, 0,
                        NCASES(stream_pairs));
    suite_add_tcase(s, tc);

    tc = tcase_create("variates");
    tcase_add_test(tc, uniform_lies_in_unit_interval_with_mean_half_and_variance_twelfth);
    tcase_add_test(tc, uniform_pos_is_never_zero);
    tcase_add_test(tc, below_stays_in_range_and_is_unbiased);
    tcase_add_test(tc, below_handles_huge_bounds_without_bias);
    tcase_add_test(tc, exp_has_mean_one_and_is_non_negative);
    tcase_add_test(tc, normal_has_mean_zero_and_variance_one);
    suite_add_tcase(s, tc);
    return s;
}
