/* Tests for models/keys: Zipf frequencies against 1/k^s (chi-square over
 * every rank and the top ranks one by one), Zipf at n = 1e9, uniform
 * coverage, the hot set's share, the scrambler's bijectivity, and parameter
 * errors at their locations.
 *
 * Seeds are fixed, so the statistical tests are deterministic. Thresholds:
 * chi-square at the 0.1% critical value (Wilson-Hilferty approximation),
 * single frequencies within 5 binomial standard deviations. A correct
 * sampler passes for all but a small fraction of seeds; a wrong exponent
 * (s = 0.9 for s = 1) gives a chi-square in the thousands at 1e6 draws. */
#include "models/data/keys.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "models/kind.h"
#include "sim/diag.h"
#include "sim/rng.h"

Suite *keys_suite(void);

#define TEST_SEED 20240608u
#define DRAWS 1000000
#define Z_999 3.090232306167813 /* standard normal 99.9% quantile */

static struct diag *diag;

static void setup(void)
{
    diag = diag_new();
}

static void teardown(void)
{
    diag_free(diag);
    diag = NULL;
}

/* The spec sits at line 7, column 8 of a scenario ("keys = ..."). */
static struct loc test_loc(void)
{
    return (struct loc){"scenario.ini", 7, 8};
}

static void setup_ok(struct keys *k, const char *text)
{
    int rc = keys_setup(k, text, test_loc(), diag);
    ck_assert_msg(rc == 0, "'%s' rejected: %s", text,
                  diag_count(diag) ? diag_message(diag, 0) : "(no message)");
}

/* The 1 - alpha quantile of chi-square with df degrees of freedom, with z
 * the normal 1 - alpha quantile (Wilson and Hilferty 1931; within 1% for
 * df >= 10 at these tails). */
static double chi2_critical(double df, double z)
{
    double a = 2.0 / (9.0 * df);
    return df * pow(1.0 - a + z * sqrt(a), 3);
}

/* Pearson's chi-square of count[0..n) against expected probabilities p,
 * merging neighbouring ranks until each cell expects at least 5 draws.
 * Stores the degrees of freedom (cells - 1) in *df. */
static double chi_square(const double *count, const double *p, size_t n, double draws, double *df)
{
    double chi2 = 0, obs = 0, exp_n = 0;
    size_t cells = 0;
    for (size_t i = 0; i < n; i++) {
        obs += count[i];
        exp_n += p[i] * draws;
        if (exp_n >= 5.0 || i == n - 1) {
            chi2 += (obs - exp_n) * (obs - exp_n) / exp_n;
            cells++;
            obs = exp_n = 0;
        }
    }
    *df = (double)cells - 1.0;
    return chi2;
}

/* Draws DRAWS keys from text into count[0..n) (all keys must be < n). */
static void histogram(const char *text, double *count, size_t n)
{
    struct keys k;
    struct rng r;
    setup_ok(&k, text);
    ck_assert_uint_eq(k.n, n);
    rng_stream(&r, TEST_SEED, "client", text);
    for (size_t i = 0; i < n; i++)
        count[i] = 0;
    /* Check's assertions cost a system call each under CK_FORK=no: collect
     * the out-of-range keys and assert once. */
    uint64_t bad = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t key = keys_next(&k, &r);
        if (key < n)
            count[key]++;
        else
            bad++;
    }
    ck_assert_uint_eq(bad, 0);
    keys_fini(&k);
}

/* Zipf probabilities of ranks 0..n-1: (k+1)^-s / sum. */
static void zipf_probs(double *p, size_t n, double s)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i] = pow((double)(i + 1), -s);
    for (size_t i = 0; i < n; i++)
        p[i] /= sum;
}

struct zipf_case {
    const char *text;
    size_t n;
    double s;
};

static const struct zipf_case zipfs[] = {
    {"zipf(n=1000, s=1)", 1000, 1.0},   {"zipf(n=1000, s=0.99)", 1000, 0.99},
    {"zipf(n=1000, s=0.5)", 1000, 0.5}, {"zipf(n=1000, s=2)", 1000, 2.0},
    {"zipf(n=1000, s=0)", 1000, 0.0},   {"zipf(n=10, s=1.2)", 10, 1.2},
    {"zipf(n=1, s=1)", 1, 1.0},
};

START_TEST(zipf_frequencies_follow_the_power_law)
{
    const struct zipf_case *c = &zipfs[_i];
    double *count = malloc(c->n * sizeof *count), *p = malloc(c->n * sizeof *p), df;
    histogram(c->text, count, c->n);
    zipf_probs(p, c->n, c->s);
    double chi2 = chi_square(count, p, c->n, DRAWS, &df);
    if (df >= 1) {
        double crit = chi2_critical(df, Z_999);
        ck_assert_msg(chi2 <= crit, "%s: chi-square %.1f with %.0f df, 0.1%% critical %.1f",
                      c->text, chi2, df, crit);
    }
    /* The top ranks one by one: binomial, 5 standard deviations. */
    for (size_t i = 0; i < 10 && i < c->n; i++) {
        double want = p[i] * DRAWS, tol = 5 * sqrt(DRAWS * p[i] * (1 - p[i])) + 1e-9;
        ck_assert_msg(fabs(count[i] - want) <= tol,
                      "%s: rank %zu drawn %.0f times, want %.1f "
                      "+- %.1f",
                      c->text, i, count[i], want, tol);
    }
    free(count);
    free(p);
}
END_TEST

/* Zipf over 1e9 keys: nothing is tabulated, so set-up is instant and 1e6
 * draws take well under a second (5 s allows for sanitizers and slow CI).
 * P(rank 0) = 1 / H(n, s); H by the first 1e6 terms exactly plus the
 * midpoint integral of x^-s for the rest (error far below 1e-9). */
START_TEST(zipf_over_a_billion_keys_is_fast_and_right)
{
    const double s = 0.99, n = 1e9;
    struct keys k;
    struct rng r;
    double h = 0, top = 0, below_1000 = 0;
    for (int i = 1; i <= 1000000; i++)
        h += pow(i, -s);
    h += (pow(n + 0.5, 1 - s) - pow(1000000.5, 1 - s)) / (1 - s);
    double h1000 = 0;
    for (int i = 1; i <= 1000; i++)
        h1000 += pow(i, -s);
    clock_t t0 = clock();
    setup_ok(&k, "zipf(n=1000000000, s=0.99)");
    rng_stream(&r, TEST_SEED, "client", "billion");
    uint64_t bad = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t key = keys_next(&k, &r);
        bad += key >= 1000000000u;
        top += key == 0;
        below_1000 += key < 1000;
    }
    ck_assert_uint_eq(bad, 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_msg(secs < 5.0, "1e6 draws took %.2f s", secs);
    double p = 1 / h, q = h1000 / h;
    ck_assert_msg(fabs(top - p * DRAWS) <= 5 * sqrt(DRAWS * p * (1 - p)), "rank 0: %.0f, want %.1f",
                  top, p * DRAWS);
    ck_assert_msg(fabs(below_1000 - q * DRAWS) <= 5 * sqrt(DRAWS * q * (1 - q)),
                  "ranks < 1000: %.0f, want %.1f", below_1000, q * DRAWS);
    keys_fini(&k);
}
END_TEST

START_TEST(uniform_covers_every_key_evenly)
{
    enum { N = 1000 };
    double count[N], p[N], df;
    histogram("uniform(n=1000)", count, N);
    for (size_t i = 0; i < N; i++) {
        ck_assert_msg(count[i] > 0, "key %zu never drawn", i);
        p[i] = 1.0 / N;
    }
    double chi2 = chi_square(count, p, N, DRAWS, &df);
    ck_assert_double_le(chi2, chi2_critical(df, Z_999));
}
END_TEST

/* share = 90% on hot = 1% of 100000 keys: the hot fraction of 1e6 draws
 * has sd sqrt(0.9 * 0.1 / 1e6) = 3e-4; within each set keys are uniform,
 * so the mean hot key is 499.5 (sd 288.7 / sqrt(9e5) = 0.30) and the mean
 * cold key 50499.5 (sd 28579 / sqrt(1e5) = 90). */
START_TEST(hotset_sends_its_share_to_the_hot_keys)
{
    struct keys k;
    struct rng r;
    double hot = 0, hot_sum = 0, cold_sum = 0;
    setup_ok(&k, "hotset(n=100000, hot=1%, share=90%)");
    ck_assert_uint_eq(k.hot_n, 1000);
    rng_stream(&r, TEST_SEED, "client", "hotset");
    uint64_t bad = 0;
    for (int i = 0; i < DRAWS; i++) {
        uint64_t key = keys_next(&k, &r);
        bad += key >= 100000;
        if (key < 1000) {
            hot++;
            hot_sum += (double)key;
        } else {
            cold_sum += (double)key;
        }
    }
    ck_assert_uint_eq(bad, 0);
    ck_assert_double_eq_tol(hot / DRAWS, 0.9, 5 * 3e-4);
    ck_assert_double_eq_tol(hot_sum / hot, 499.5, 5 * 0.30);
    ck_assert_double_eq_tol(cold_sum / (DRAWS - hot), 50499.5, 5 * 90);
    keys_fini(&k);
}
END_TEST

START_TEST(hotset_of_every_key_is_uniform)
{
    struct keys k;
    setup_ok(&k, "hotset(n=10, hot=100%, share=0%)");
    ck_assert_uint_eq(k.hot_n, 10);
    keys_fini(&k);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(scramble_is_a_bijection_on_a_sample)
{
    enum { N = 100000 };
    uint64_t *key = malloc(N * sizeof *key);
    for (uint64_t i = 0; i < N; i++)
        key[i] = keys_scramble(i);
    qsort(key, N, sizeof *key, cmp_u64);
    size_t collisions = 0;
    for (size_t i = 1; i < N; i++)
        collisions += key[i] == key[i - 1];
    ck_assert_uint_eq(collisions, 0);
    /* Spread over 64 bits, not clustered near the ranks. */
    ck_assert_uint_gt(key[N - 1] - key[0], UINT64_MAX / 2);
    ck_assert_uint_ne(keys_scramble(0), 0);
    free(key);
}
END_TEST

START_TEST(scrambled_keys_are_the_images_of_the_ranks)
{
    struct keys plain, mixed;
    struct rng r1, r2;
    setup_ok(&plain, "zipf(n=50, s=1)");
    setup_ok(&mixed, "zipf(n=50, s=1, scramble=true)");
    rng_stream(&r1, TEST_SEED, "client", "scramble");
    r2 = r1;
    int differ = 0;
    for (int i = 0; i < 1000; i++)
        differ += keys_next(&mixed, &r2) != keys_scramble(keys_next(&plain, &r1));
    ck_assert_int_eq(differ, 0);
    keys_fini(&plain);
    keys_fini(&mixed);
}
END_TEST

START_TEST(docs_list_every_distribution)
{
    const struct policy_head *const *doc = keys_family.table;
    ck_assert_uint_eq(policy_count(&keys_family), 3);
    ck_assert_str_eq(doc[0]->name, "uniform");
    ck_assert_str_eq(doc[1]->name, "zipf");
    ck_assert_str_eq(doc[2]->name, "hotset");
    for (size_t i = 0; i < 3; i++)
        for (const struct param_spec *p = doc[i]->params; p->name; p++)
            ck_assert_msg(p->type && p->help, "%s.%s undocumented", doc[i]->name, p->name);
}
END_TEST

/* A spec with a mistake, the words of its first message, and where it must
 * point: the first occurrence of `at` in text. */
struct error_case {
    const char *text;
    const char *at;
    const char *words;
};

static const struct error_case errors[] = {
    {"zipf(n=0)", "0", "n must be between 1 and 2^53"},
    {"zipf(n=1e6)", "1e6", "bad n '1e6'"},
    {"zipf(n=10000000000000000)", "1000", "n must be between"},
    {"zipf(n=1000, s=-1)", "-1", "s must be between 0 and 100"},
    {"zipf(n=1000, s=fast)", "fast", "bad s 'fast'"},
    {"zipf(s=1)", "zipf", "needs 'n'"},
    {"zipff(n=10)", "zipff", "did you mean 'zipf'"},
    {"uniform(n=10, scramble=maybe)", "maybe", "bad scramble 'maybe'"},
    {"uniform(n=10, s=1)", "s=", "unknown parameter 's'"},
    {"hotset(n=10, hot=1%)", "1%", "less than one key"},
    {"hotset(n=10, hot=150%)", "150%", "bad hot"},
    {"hotset(n=10, share=2)", "2)", "bad share"},
};

START_TEST(bad_parameter_is_reported_at_its_argument)
{
    const struct error_case *c = &errors[_i];
    struct keys k;
    char want[128];
    ck_assert_msg(keys_setup(&k, c->text, test_loc(), diag) == -1, "'%s' accepted", c->text);
    ck_assert_uint_ge(diag_count(diag), 1);
    const char *msg = diag_message(diag, 0);
    int col = test_loc().col + (int)(strstr(c->text, c->at) - c->text);
    snprintf(want, sizeof want, "scenario.ini:7:%d: error: ", col);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s: got '%s', want it at '%s'", c->text,
                  msg, want);
    ck_assert_msg(strstr(msg, c->words) != NULL, "%s: got '%s', want '%s'", c->text, msg, c->words);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *keys_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("distributions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, zipf_frequencies_follow_the_power_law, 0, NCASES(zipfs));
    tcase_add_test(tc, zipf_over_a_billion_keys_is_fast_and_right);
    tcase_add_test(tc, uniform_covers_every_key_evenly);
    tcase_add_test(tc, hotset_sends_its_share_to_the_hot_keys);
    tcase_add_test(tc, hotset_of_every_key_is_uniform);
    suite_add_tcase(s, tc);

    tc = tcase_create("scramble and docs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, scramble_is_a_bijection_on_a_sample);
    tcase_add_test(tc, scrambled_keys_are_the_images_of_the_ranks);
    tcase_add_test(tc, docs_list_every_distribution);
    tcase_add_loop_test(tc, bad_parameter_is_reported_at_its_argument, 0, NCASES(errors));
    suite_add_tcase(s, tc);
    return s;
}
