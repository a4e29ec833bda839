/* Tests for sim/dist: closed-form means, sample means, Kolmogorov-Smirnov
 * fits against dist_cdf, empirical files and every kind of parse error.
 *
 * All sampling uses fixed seeds (one rng_stream per spec text), so these
 * statistical tests are deterministic: they cannot flake, and a failure
 * means the code changed. Tolerances are set where a correct implementation
 * passes for all but a small fraction of seeds (5 standard errors for means,
 * the 1% critical value for KS). */
#include "sim/dist.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/units.h"

Suite *dist_suite(void);

#define MEAN_N 200000
#define KS_N 20000
#define TEST_SEED 20240601u

/* Per-test state, rebuilt by the checked fixture. */
static struct diag *diag;
static char tmpdir[64];    /* a fresh directory for empirical files */
static char scenario[128]; /* a scenario path inside tmpdir, for loc.file */

static void setup(void)
{
    diag = diag_new();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_dist_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(scenario, sizeof scenario, "%s/scenario.sdsim", tmpdir);
}

/* Files the tests may write into tmpdir. */
static const char *const tmp_files[] = {"lat.csv", "hundred.csv", "bad.csv", "nums.csv",
                                        "empty.csv", NULL};

static void teardown(void)
{
    char path[256];

    for (size_t i = 0; tmp_files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", tmpdir, tmp_files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
    diag_free(diag);
    diag = NULL;
}

static void write_file(const char *name, const char *text)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static struct loc test_loc(void)
{
    return (struct loc){scenario, 3, 1};
}

/* Parses text or fails the test with the first diagnostic. */
static void parse_ok(struct dist *dist, const char *text, enum dist_unit unit)
{
    int rc = dist_parse(dist, text, test_loc(), unit, diag);

    ck_assert_msg(rc == 0, "'%s' rejected: %s", text,
                  diag_count(diag) ? diag_message(diag, 0) : "(no message)");
    ck_assert_uint_eq(diag_count(diag), 0);
}

/* A distribution with its mean and scv worked out independently (by hand or
 * in Python's math module), in ns for durations. */
struct dist_case {
    const char *text;
    enum dist_unit unit;
    double mean;
    double scv;
};

static const struct dist_case cases[] = {
    {"const(5ms)", DIST_DURATION, 5e6, 0.0},
    {"const(value=2.5)", DIST_NUMBER, 2.5, 0.0},
    /* (a + b) / 2; (b - a)^2 / 12 / mean^2 = 1/12 */
    {"uniform(min=1ms, max=3ms)", DIST_DURATION, 2e6, 1.0 / 12.0},
    {"uniform(2, 6)", DIST_NUMBER, 4.0, 16.0 / 12.0 / 16.0},
    {"exp(mean=10ms)", DIST_DURATION, 1e7, 1.0},
    {"exp(4)", DIST_NUMBER, 4.0, 1.0},
    /* Truncated at 0: mu + sd phi(z0)/Phi(z0), z0 = mu/sd = 0.5. */
    {"normal(mean=1ms, sd=2ms)", DIST_DURATION, 2018320.8676740672, 0.4773891920587076},
    {"normal(10ms, 2ms)", DIST_DURATION, 10000002.973439882, 0.03999967886859179},
    /* median e^(s^2/2); scv e^(s^2) - 1 */
    {"lognormal(median=20ms, sigma=0.5)", DIST_DURATION, 22662969.061336525,
     0.2840254166877414},
    /* sigma = z - sqrt(z^2 - 2 ln 10) = 1.42817; scv e^(sigma^2) - 1 */
    {"lognormal(mean=20ms, p99=200ms)", DIST_DURATION, 2e7, 6.688059059851715},
    /* alpha x_m / (alpha - 1); 1 / (alpha (alpha - 2)) */
    {"pareto(scale=1ms, alpha=3)", DIST_DURATION, 1.5e6, 1.0 / 3.0},
    {"pareto(mean=10ms, alpha=4.5)", DIST_DURATION, 1e7, 1.0 / (4.5 * 2.5)},
    /* lambda G(1 + 1/k); G(1 + 2/k) / G(1 + 1/k)^2 - 1 */
    {"weibull(scale=10ms, shape=1.5)", DIST_DURATION, 9027452.929509336, 0.4609984862063179},
    {"weibull(mean=10ms, shape=0.7)", DIST_DURATION, 1e7, 2.1386856318511667},
    {"hyperexp(mean=10ms, scv=4)", DIST_DURATION, 1e7, 4.0},
    {"hyperexp(mean=10ms, scv=1)", DIST_DURATION, 1e7, 1.0},
    {"erlang(k=3, mean=10ms)", DIST_DURATION, 1e7, 1.0 / 3.0},
    {"erlang(1, 2)", DIST_NUMBER, 2.0, 1.0},
    /* mix: sum w_i m_i; scv from E[X^2] = sum w_i m_i^2 (scv_i + 1) */
    {"mix(0.25 const(2ms), 0.75 exp(mean=4ms))", DIST_DURATION, 3.5e6, 1.0408163265306123},
    /* The PBS paper's LNKD-SSD fit: 91.22% Pareto(0.235ms, 10), 8.78% exp(rate 1.66/ms). */
    {"mix(91.22% pareto(scale=0.235ms, alpha=10), 8.78% exp(mean=0.60241ms))", DIST_DURATION,
     291077.15355555556, 0.49535322035730034},
    {"mix(0.5 const(1), 0.5 uniform(2, 6))", DIST_NUMBER, 2.5, 0.46666666666666656},
    {"mix(0.6 mix(0.5 const(1ms), 0.5 exp(mean=3ms)), 0.4 exp(mean=10ms))", DIST_DURATION,
     5.2e6, 2.169378698224852},
    /* Sizes in bytes: 4KB = 4000, 1KiB = 1024; a bare number is bytes. */
    {"lognormal(median=4KB, sigma=1)", DIST_BYTES, 6594.885082800513, 1.718281828459045},
    {"pareto(scale=1KiB, alpha=3)", DIST_BYTES, 1536.0, 1.0 / 3.0},
    /* A mixture passes its unit down: (1000 + 3000) / 2; var 1e6 / mean^2 */
    {"mix(0.5 const(1KB), 0.5 const(3KB))", DIST_BYTES, 2000.0, 0.25},
    {"uniform(100, 1kB)", DIST_BYTES, 550.0, 900.0 * 900.0 / 12.0 / (550.0 * 550.0)},
};

START_TEST(parsed_mean_and_scv_match_closed_forms)
{
    const struct dist_case *c = &cases[_i];
    struct dist d;

    parse_ok(&d, c->text, c->unit);
    /* Relative 1e-9: the same formulas, evaluated in a different order. */
    ck_assert_msg(fabs(d.mean - c->mean) <= 1e-9 * c->mean, "%s: mean %.17g, want %.17g",
                  c->text, d.mean, c->mean);
    ck_assert_msg(fabs(d.scv - c->scv) <= 1e-9 * c->scv, "%s: scv %.17g, want %.17g", c->text,
                  d.scv, c->scv);
    dist_fini(&d);
}
END_TEST

/* dist_sample_seeded skips seeding the whole stream for one-draw kinds: it
 * must give the very bits dist_sample gives on that stream, or a service
 * demand (and every results file) would change. Seeds from the ordinary
 * range and the edges, where the first output's top bits are extreme. */
START_TEST(seeded_sample_is_bitwise_the_stream_sample)
{
    const struct dist_case *c = &cases[_i];
    struct dist d;

    parse_ok(&d, c->text, c->unit);
    for (uint64_t i = 0; i < 20000; i++) {
        uint64_t seed = i < 10000 ? rng_mix64(i) : (i - 10000) * 0x9e3779b97f4a7c15ULL;
        struct rng r;
        rng_seed(&r, seed);
        double want = dist_sample(&d, &r), got = dist_sample_seeded(&d, seed);
        ck_assert_msg(memcmp(&want, &got, sizeof want) == 0, "%s seed %llu: %a vs %a", c->text,
                      (unsigned long long)seed, got, want);
    }
    dist_fini(&d);
}
END_TEST

START_TEST(sample_mean_is_within_five_standard_errors)
{
    const struct dist_case *c = &cases[_i];
    struct dist d;
    struct rng r;
    double sum = 0.0;
    int negative = 0; /* counted, not asserted per draw: a passing ck_assert costs a write */

    parse_ok(&d, c->text, c->unit);
    rng_stream(&r, TEST_SEED, "check_dist", c->text);
    for (int i = 0; i < MEAN_N; i++) {
        double x = dist_sample(&d, &r);
        negative += x < 0.0;
        sum += x;
    }
    ck_assert_int_eq(negative, 0);
    /* SE = sd / sqrt(n) = mean sqrt(scv / n); with n = 2e5 a correct
     * sampler is outside 5 SE with probability 6e-7 (by the CLT: every case
     * here has a finite variance). The 1e-12 term covers rounding. */
    double tol = 5.0 * c->mean * sqrt(c->scv / MEAN_N) + 1e-12 * c->mean;
    ck_assert_msg(fabs(sum / MEAN_N - c->mean) <= tol, "%s: sample mean %.6g, want %.6g +- %.3g",
                  c->text, sum / MEAN_N, c->mean, tol);
    dist_fini(&d);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov distance between the sample x[0..n) (sorted here) and
 * dist_cdf. Runs of equal values are compared at both ends of the step
 * against F(x) and F(x-), so discrete distributions work too. */
static double ks_distance(const struct dist *d, double *x, size_t n)
{
    double dmax = 0.0;

    qsort(x, n, sizeof x[0], cmp_double);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && x[j] == x[i])
            j++;
        double before = dist_cdf(d, nextafter(x[i], -HUGE_VAL));
        dmax = fmax(dmax, fabs((double)i / (double)n - before));
        dmax = fmax(dmax, fabs((double)j / (double)n - dist_cdf(d, x[i])));
        i = j;
    }
    return dmax;
}

/* Draws KS_N samples of d from a fixed stream named name and checks the fit.
 * 1.63 / sqrt(n) is the asymptotic 1% critical value of D (Smirnov 1948);
 * the seed is fixed, so the test is deterministic. */
static void check_ks(const struct dist *d, const char *name)
{
    double *x = malloc(KS_N * sizeof *x);
    struct rng r;

    ck_assert_ptr_nonnull(x);
    rng_stream(&r, TEST_SEED, "check_dist_ks", name);
    for (size_t i = 0; i < KS_N; i++)
        x[i] = dist_sample(d, &r);
    double dist_d = ks_distance(d, x, KS_N);
    free(x);
    ck_assert_msg(dist_d < 1.63 / sqrt(KS_N), "%s: KS D = %.4f, 1%% critical %.4f", name,
                  dist_d, 1.63 / sqrt(KS_N));
}

START_TEST(samples_pass_kolmogorov_smirnov_against_cdf)
{
    const struct dist_case *c = &cases[_i];
    struct dist d;

    parse_ok(&d, c->text, c->unit);
    check_ks(&d, c->text);
    dist_fini(&d);
}
END_TEST

START_TEST(cdf_is_zero_below_support_and_one_far_above)
{
    const struct dist_case *c = &cases[_i];
    struct dist d;

    parse_ok(&d, c->text, c->unit);
    ck_assert_double_eq(dist_cdf(&d, -1.0), 0.0);
    /* 1e4 means out, every case here has a tail below 1e-9. */
    ck_assert_double_eq_tol(dist_cdf(&d, 1e4 * c->mean), 1.0, 1e-9);
    dist_fini(&d);
}
END_TEST

START_TEST(lognormal_by_mean_puts_p99_at_the_99th_percentile)
{
    struct dist d;

    parse_ok(&d, "lognormal(mean=20ms, p99=100ms)", DIST_DURATION);
    ck_assert_double_eq_tol(d.mean, 2e7, 1e-9 * 2e7);
    /* z is Phi^-1(0.99) to 17 digits, so only rounding remains. */
    ck_assert_double_eq_tol(dist_cdf(&d, 1e8), 0.99, 1e-12);
    dist_fini(&d);
}
END_TEST

START_TEST(truncated_normal_mean_exceeds_requested_mean)
{
    struct dist d;

    parse_ok(&d, "normal(mean=10ms, sd=10ms)", DIST_DURATION);
    /* mu + sd phi(1)/Phi(1) = 12.876ms: the resampling shifts the mean. */
    ck_assert_double_eq_tol(d.mean, 12875999.709391785, 1e-3);
    dist_fini(&d);
}
END_TEST

START_TEST(sample_ns_rounds_to_nearest_and_saturates)
{
    struct dist d;
    struct rng r;

    rng_seed(&r, 1);
    parse_ok(&d, "const(2.5)", DIST_NUMBER);
    ck_assert(dist_sample_ns(&d, &r) == 3);
    dist_fini(&d);
    /* alpha = 0.01: draws beyond 2^63 are common, and must not wrap; they
     * saturate at the end of time. (A duration distribution this heavy is
     * refused; a plain number one is not checked.) */
    parse_ok(&d, "pareto(scale=3600000000000, alpha=0.01)", DIST_NUMBER);
    ck_assert(isinf(d.mean) && isinf(d.scv));
    int below = 0, at_end = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t x = dist_sample_ns(&d, &r);
        below += x < 3600000000000;
        at_end += x == UNITS_TIME_MAX_NS;
        ck_assert(x <= UNITS_TIME_MAX_NS);
    }
    ck_assert_int_eq(below, 0);
    ck_assert_int_gt(at_end, 500); /* P(beyond 73 years) = 87% */
    dist_fini(&d);
}
END_TEST

/* A duration distribution with more than one sample in a million beyond the
 * end of time is refused at its name, saying why; an infinite mean with a
 * tail light enough at that horizon is allowed. */
START_TEST(duration_tail_beyond_the_end_of_time_is_refused)
{
    struct dist d;
    static const char *const refused[] = {
        "pareto(scale=1ms, alpha=0.01)", "pareto(scale=1ms, alpha=0.45)",
        "lognormal(median=5ms, sigma=1e6)", "exp(mean=100000h)",
        "mix(0.5 exp(mean=1ms), 0.5 lognormal(median=5ms, sigma=100))",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        diag_free(diag);
        diag = diag_new();
        ck_assert_msg(dist_parse(&d, refused[i], test_loc(), DIST_DURATION, diag) == -1,
                      "'%s' accepted", refused[i]);
        ck_assert_uint_eq(diag_count(diag), 1);
        ck_assert_msg(strstr(diag_message(diag, 0), "longer than 73 years") != NULL, "%s",
                      diag_message(diag, 0));
    }
    diag_free(diag);
    diag = diag_new();
    parse_ok(&d, "pareto(scale=1ms, alpha=0.5)", DIST_DURATION); /* 6.6e-7 beyond */
    ck_assert(isinf(d.mean));
    dist_fini(&d);
    parse_ok(&d, "exp(mean=2000h)", DIST_DURATION);
    dist_fini(&d);
}
END_TEST

START_TEST(a_number_or_negative_value_is_not_a_distribution)
{
    struct dist d;
    ck_assert_int_eq(dist_parse(&d, "-1ms", test_loc(), DIST_DURATION, diag), -1);
    ck_assert_msg(strstr(diag_message(diag, 0), "scenario.sdsim:3:1: error: '-1ms' is negative: "
                                                "a distribution's values must be >= 0") != NULL,
                  "%s", diag_message(diag, 0));
    ck_assert_int_eq(dist_parse(&d, "5ms", test_loc(), DIST_DURATION, diag), -1);
    ck_assert(strstr(diag_message(diag, 1), "write const(5ms)") != NULL);
}
END_TEST

START_TEST(failed_parse_leaves_nothing_to_free)
{
    struct dist d;

    ck_assert_int_eq(dist_parse(&d, "exp(mean=5)", test_loc(), DIST_DURATION, diag), -1);
    ck_assert_ptr_null(d.table);
    dist_fini(&d);
    dist_fini(NULL);
}
END_TEST

START_TEST(catalogue_documents_every_distribution_and_parameter)
{
    const struct policy_head *const *info = dist_family.table;
    size_t n = 0;

    for (; info[n]; n++) {
        ck_assert_ptr_nonnull(info[n]->summary);
        ck_assert_ptr_nonnull(info[n]->params);
        for (const struct param_spec *p = info[n]->params; p->name; p++) {
            ck_assert_ptr_nonnull(p->type);
            ck_assert_msg(p->help && strlen(p->help) > 10, "%s.%s lacks help", info[n]->name,
                          p->name);
        }
    }
    ck_assert_uint_eq(n, DIST_MIX + 1);
    ck_assert_str_eq(info[DIST_LOGNORMAL]->name, "lognormal");
}
END_TEST

/* ---- empirical ------------------------------------------------------------ */

START_TEST(empirical_reads_first_column_skipping_comments_and_header)
{
    struct dist d;

    write_file("lat.csv", "# measured latencies\nlatency_ms,count\n4,7\n1\n\n"
                          "  3ms , own unit\n2.5 # comment\r\n");
    parse_ok(&d, "empirical(file=lat.csv, unit=ms)", DIST_DURATION);
    ck_assert_uint_eq(d.n, 4);
    ck_assert_double_eq(d.table[0], 1e6);
    ck_assert_double_eq(d.table[1], 2.5e6);
    ck_assert_double_eq(d.table[2], 3e6);
    ck_assert_double_eq(d.table[3], 4e6);
    ck_assert_double_eq_tol(d.mean, 2.625e6, 1e-6);
    ck_assert_double_eq(dist_cdf(&d, 2.9e6), 0.5);
    dist_fini(&d);
}
END_TEST

START_TEST(empirical_unit_defaults_to_seconds)
{
    struct dist d;

    write_file("lat.csv", "0.5\n1.5\n");
    parse_ok(&d, "empirical(file=lat.csv)", DIST_DURATION);
    ck_assert_double_eq(d.mean, 1e9);
    dist_fini(&d);
}
END_TEST

/* Values 1..100 ms: a discrete uniform with mean 50.5ms and variance
 * (100^2 - 1)/12 ms^2. */
static void parse_hundred(struct dist *d)
{
    char text[1024] = "";

    for (int i = 1; i <= 100; i++) {
        char line[16];
        snprintf(line, sizeof line, "%d\n", i);
        strcat(text, line);
    }
    write_file("hundred.csv", text);
    parse_ok(d, "empirical(file=hundred.csv, unit=ms)", DIST_DURATION);
}

START_TEST(empirical_resamples_uniformly_from_its_values)
{
    struct dist d;
    struct rng r;
    double sum = 0.0;

    parse_hundred(&d);
    ck_assert_double_eq_tol(d.mean, 50.5e6, 1e-3);
    ck_assert_double_eq_tol(d.scv, 833.25 / (50.5 * 50.5), 1e-12);
    rng_stream(&r, TEST_SEED, "check_dist", "empirical");
    for (int i = 0; i < MEAN_N; i++)
        sum += dist_sample(&d, &r);
    /* 5 SE, SE = sqrt(833.25 / n) ms. */
    ck_assert_double_eq_tol(sum / MEAN_N, 50.5e6, 5.0 * sqrt(833.25 / MEAN_N) * 1e6);
    check_ks(&d, "empirical");
    dist_fini(&d);
}
END_TEST

START_TEST(empirical_number_distribution_takes_plain_numbers)
{
    struct dist d;

    write_file("nums.csv", "value\n3\n1\n2\n");
    parse_ok(&d, "empirical(file=nums.csv)", DIST_NUMBER);
    ck_assert_uint_eq(d.n, 3);
    ck_assert_double_eq(d.mean, 2.0);
    dist_fini(&d);
}
END_TEST

/* Runs a failing parse and returns the first message. */
static const char *parse_fails(const char *text, enum dist_unit unit)
{
    struct dist d;

    ck_assert_msg(dist_parse(&d, text, test_loc(), unit, diag) == -1, "'%s' accepted", text);
    ck_assert_ptr_null(d.table);
    ck_assert_ptr_null(d.parts);
    ck_assert_uint_ge(diag_count(diag), 1);
    return diag_message(diag, 0);
}

START_TEST(empirical_bad_value_names_file_and_line)
{
    write_file("bad.csv", "1\n2\nfast\n4\n5 parsecs\n");
    const char *msg = parse_fails("empirical(file=bad.csv, unit=ms)", DIST_DURATION);
    ck_assert_msg(strstr(msg, "bad.csv:3: bad value 'fast'") != NULL, "got: %s", msg);
    ck_assert_uint_eq(diag_count(diag), 2);
    msg = diag_message(diag, 1);
    ck_assert_msg(strstr(msg, "bad.csv:5: bad value '5 parsecs': unknown unit") != NULL,
                  "got: %s", msg);
}
END_TEST

START_TEST(empirical_rejects_a_file_without_values)
{
    write_file("empty.csv", "# nothing yet\n");
    const char *msg = parse_fails("empirical(file=empty.csv)", DIST_DURATION);
    ck_assert_msg(strstr(msg, "contains no values") != NULL, "got: %s", msg);
}
END_TEST

/* ---- parse errors ---------------------------------------------------------- */

/* A spec with a mistake: the words the first message must contain, where it
 * must point (the first occurrence of `at` in text) and how many messages
 * the whole spec yields. */
struct error_case {
    const char *text;
    enum dist_unit unit;
    const char *at;
    size_t count;
    const char *words[3];
};

static const struct error_case errors[] = {
    {"exp(mean=5)", DIST_DURATION, "5", 1, {"bad duration '5'", "missing unit", "ns, us, ms"}},
    {"exp(mean=5 parsecs)", DIST_DURATION, "5", 1, {"unknown unit"}},
    {"exp(maen=5ms)", DIST_DURATION, "maen", 2,
     {"unknown parameter 'maen'", "did you mean 'mean'"}},
    {"uniform(min=1ms)", DIST_DURATION, "uniform", 1, {"needs 'max'"}},
    {"uniform(min=5, max=-1ms)", DIST_DURATION, "5", 2, {"missing unit"}},
    {"uniform(min=5ms, max=1ms)", DIST_DURATION, "1ms", 1, {"max must be >= min"}},
    {"exp(mean=0ms)", DIST_DURATION, "0ms", 1, {"mean must be > 0"}},
    {"exp(mean=-1)", DIST_NUMBER, "-1", 1, {">= 0"}},
    {"normal(mean=10ms, sd=0ms)", DIST_DURATION, "0ms)", 1, {"sd must be > 0"}},
    {"lognormal(median=10ms, sigma=0)", DIST_DURATION, "0)", 1, {"sigma must be > 0"}},
    {"lognormal(median=10ms, sigma=-1)", DIST_DURATION, "-1", 1, {"sigma must be > 0"}},
    {"lognormal(mean=10ms, p99=5ms)", DIST_DURATION, "5ms", 1, {"p99 must be greater than mean"}},
    {"lognormal(mean=10ms, p99=200ms)", DIST_DURATION, "200ms", 1, {"14.97", "p99"}},
    {"lognormal(median=10ms, p99=1s)", DIST_DURATION, "lognormal", 1, {"not a mix"}},
    {"lognormal(sigma=0.5)", DIST_DURATION, "lognormal", 1, {"median and sigma go together"}},
    {"lognormal", DIST_DURATION, "lognormal", 1, {"needs median and sigma, or mean and p99"}},
    {"pareto(alpha=2)", DIST_DURATION, "pareto", 1, {"needs scale or mean"}},
    {"pareto(mean=10ms, alpha=1)", DIST_DURATION, "1)", 1, {"alpha must be > 1"}},
    {"weibull(scale=1ms, mean=2ms, shape=1)", DIST_DURATION, "weibull", 1, {"not both"}},
    {"weibull(scale=1ms, shape=0)", DIST_DURATION, "0)", 1, {"shape must be > 0"}},
    {"hyperexp(mean=10ms, scv=0.5)", DIST_DURATION, "0.5", 1, {"scv must be >= 1", "erlang"}},
    {"erlang(k=2.5, mean=1ms)", DIST_DURATION, "2.5", 1, {"bad k '2.5'", "whole number"}},
    {"erlang(k=0, mean=1ms)", DIST_DURATION, "0,", 1, {"between 1 and 1000"}},
    {"const(1ms, 2ms)", DIST_DURATION, "2ms", 1, {"at most 1 argument"}},
    {"expo(mean=1ms)", DIST_DURATION, "expo", 1, {"unknown distribution 'expo'", "'exp'"}},
    {"empirical(file=no-such-file.csv)", DIST_DURATION, "no-such-file", 1,
     {"cannot open", "no-such-file.csv", "No such file or directory"}},
    {"empirical(file=x.csv, unit=parsec)", DIST_DURATION, "parsec", 1, {"unknown unit"}},
    {"empirical(file=x.csv, unit=ms)", DIST_NUMBER, "ms", 1, {"only to durations"}},
    {"mix(exp(mean=1ms), 0.5 const(1ms))", DIST_DURATION, "exp", 1, {"needs a weight"}},
    {"mix(0.5 exp(mean=1ms), 0.4 const(1ms))", DIST_DURATION, "mix", 1, {"sum to 0.9, not 1"}},
    {"mix(0.5 const(1ms), 0.5 exp(mean=1ms, x=2))", DIST_DURATION, "x=2", 1,
     {"unknown parameter 'x'"}},
    {"mix(1 exp(mean=1ms))", DIST_DURATION, "mix", 1, {"at least two parts"}},
    {"mix(0.5 exp(mean=1ms), 1.5 const(1ms))", DIST_DURATION, "1.5 const", 1,
     {"bad weight '1.5'"}},
    {"mix(0.5 exp(mean=1ms), 0.5 const(1ms)", DIST_DURATION, "(0.5", 1, {"missing ')'"}},
    {"mix(0.5 exp(mean=1ms), w=0.5)", DIST_DURATION, "w=", 1, {"parts are positional"}},
};

START_TEST(bad_spec_reports_each_mistake_at_its_argument)
{
    const struct error_case *c = &errors[_i];
    const char *msg = parse_fails(c->text, c->unit);
    char prefix[256];

    for (size_t w = 0; w < 3 && c->words[w]; w++)
        ck_assert_msg(strstr(msg, c->words[w]) != NULL, "%s: '%s' lacks '%s'", c->text, msg,
                      c->words[w]);
    snprintf(prefix, sizeof prefix, "%s:3:%d: error: ", scenario,
             (int)(strstr(c->text, c->at) - c->text) + 1);
    ck_assert_msg(strncmp(msg, prefix, strlen(prefix)) == 0, "%s: '%s' not at '%s'", c->text,
                  msg, prefix);
    ck_assert_msg(diag_count(diag) == c->count, "%s: %zu messages, want %zu", c->text,
                  diag_count(diag), c->count);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *dist_suite(void)
{
    Suite *s = suite_create("dist");
    TCase *tc = tcase_create("closed forms");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, parsed_mean_and_scv_match_closed_forms, 0, NCASES(cases));
    tcase_add_loop_test(tc, cdf_is_zero_below_support_and_one_far_above, 0, NCASES(cases));
    tcase_add_test(tc, lognormal_by_mean_puts_p99_at_the_99th_percentile);
    tcase_add_test(tc, truncated_normal_mean_exceeds_requested_mean);
    tcase_add_test(tc, catalogue_documents_every_distribution_and_parameter);
    suite_add_tcase(s, tc);

    tc = tcase_create("sampling");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, sample_mean_is_within_five_standard_errors, 0, NCASES(cases));
    tcase_add_loop_test(tc, seeded_sample_is_bitwise_the_stream_sample, 0, NCASES(cases));
    tcase_add_loop_test(tc, samples_pass_kolmogorov_smirnov_against_cdf, 0, NCASES(cases));
    tcase_add_test(tc, sample_ns_rounds_to_nearest_and_saturates);
    tcase_add_test(tc, duration_tail_beyond_the_end_of_time_is_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("empirical");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, empirical_reads_first_column_skipping_comments_and_header);
    tcase_add_test(tc, empirical_unit_defaults_to_seconds);
    tcase_add_test(tc, empirical_resamples_uniformly_from_its_values);
    tcase_add_test(tc, empirical_number_distribution_takes_plain_numbers);
    tcase_add_test(tc, empirical_bad_value_names_file_and_line);
    tcase_add_test(tc, empirical_rejects_a_file_without_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, bad_spec_reports_each_mistake_at_its_argument, 0, NCASES(errors));
    tcase_add_test(tc, failed_parse_leaves_nothing_to_free);
    tcase_add_test(tc, a_number_or_negative_value_is_not_a_distribution);
    suite_add_tcase(s, tc);
    return s;
}
