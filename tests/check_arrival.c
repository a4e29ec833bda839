/* Tests for the time-varying arrival processes (models/arrival_*.c): counts
 * in windows against the integrated rate, MMPP's long-run rate, trace
 * replay, and parameter errors with their locations.
 *
 * Every process here is a (possibly modulated) Poisson process, so the count
 * in a window with integrated rate L is Poisson(L): standard deviation
 * sqrt(L). Tolerances are 5 standard deviations (two-sided tail about
 * 6e-7 per window), so a correct process passes for virtually every seed,
 * while a wrong rate shape (the ramp's halves swapped, a spike of the wrong
 * width, a diurnal phase off by a quarter) misses by dozens of standard
 * deviations at these counts. The seed is fixed: the tests cannot flake. */
#include "models/arrival/arrival.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/diag.h"
#include "sim/rng.h"

Suite *arrival_suite(void);

#define TEST_SEED 20240607u
#define MAX_WINDOWS 5
#define NS_PER_S 1e9
#define PI 3.14159265358979323846

/* Per-test state, rebuilt by the checked fixture. */
static struct diag *diag;
static char tmpdir[64];    /* a fresh directory for trace files */
static char scenario[128]; /* a scenario path inside tmpdir, for loc.file */

static void setup(void)
{
    diag = diag_new();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/check_arrival_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(scenario, sizeof scenario, "%s/scenario.ini", tmpdir);
}

/* Files the tests may write into tmpdir. */
static const char *const tmp_files[] = {"trace.csv", "times.csv", "down.csv", "bad.csv",
                                        "empty.csv", "cols.csv",  NULL};

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

/* The spec sits at line 3, column 11 of the scenario ("arrival = ..."). */
static struct loc test_loc(void)
{
    return (struct loc){scenario, 3, 11};
}

static void setup_ok(struct arrival *a, const char *text)
{
    int rc = arrival_setup(a, text, test_loc(), diag);
    ck_assert_msg(rc == 0, "'%s' rejected: %s", text,
                  diag_count(diag) ? diag_message(diag, 0) : "(no message)");
}

/* ---- counts in windows ----------------------------------------------------- */

/* A process, window edges in seconds (edge[0] = 0), the integrated rate
 * over each window worked out by hand, and the long-run rate it reports. */
struct window_case {
    const char *text;
    size_t nwin;
    double edge_s[MAX_WINDOWS + 1];
    double expect[MAX_WINDOWS];
    double rate_per_s;
};

static const struct window_case windows[] = {
    /* Constant 1000/s for 10 s, then 1000 + 9000 (t - 10)/60: the halves of
     * the ramp hold 1000*30 + 150*30^2/2 = 97500 and 232500; then 10000/s. */
    {"ramp(from=1000/s, to=10000/s, start=10s, over=60s)",
     4,
     {0, 10, 40, 70, 100},
     {10000, 97500, 232500, 300000},
     10000},
    /* From 0: 20 t per s, so [0,50] holds 20*50^2/2 = 25000, [50,100] 75000. */
    {"ramp(from=0/s, to=2000/s, over=100s)", 3, {0, 50, 100, 120}, {25000, 75000, 40000}, 2000},
    /* Down to 0: the triangle holds 2000*20/2 = 20000; nothing after. */
    {"ramp(from=2000/s, to=0/s, start=10s, over=20s)", 3, {0, 10, 30, 1000}, {20000, 20000, 0}, 0},
    /* over = 0 is a step at start. */
    {"ramp(from=1000/s, to=3000/s, start=20s, over=0s)", 2, {0, 20, 40}, {20000, 60000}, 3000},
    {"step(before=1000/s, after=5000/s, at=50s)", 2, {0, 50, 100}, {50000, 250000}, 5000},
    {"step(before=0/s, after=5000/s, at=50s)", 2, {0, 50, 60}, {0, 50000}, 5000},
    {"spike(base=1000/s, peak=20000/s, at=30s, width=5s)",
     3,
     {0, 30, 35, 60},
     {30000, 100000, 25000},
     1000},
    /* Quarters of a period P = 400 s: mean*(P/4 +- amplitude*P/(2 pi)). */
    {"diurnal(mean=1000/s, amplitude=0.5, period=400s)",
     4,
     {0, 100, 200, 300, 400},
     {100000 + 1000 * 0.5 * 400 / (2 * PI), 100000 + 1000 * 0.5 * 400 / (2 * PI),
      100000 - 1000 * 0.5 * 400 / (2 * PI), 100000 - 1000 * 0.5 * 400 / (2 * PI)},
     1000},
    /* phase = P/4 starts at the peak: the integrals of cos, +, -, -, +. */
    {"diurnal(mean=1000/s, amplitude=1, period=400s, phase=100s)",
     4,
     {0, 100, 200, 300, 400},
     {100000 + 1000 * 400 / (2 * PI), 100000 - 1000 * 400 / (2 * PI),
      100000 - 1000 * 400 / (2 * PI), 100000 + 1000 * 400 / (2 * PI)},
     1000},
    /* amplitude 0 is a plain Poisson process. */
    {"diurnal(mean=2000/s, amplitude=0, period=1h)", 2, {0, 30, 60}, {60000, 60000}, 2000},
};

/* Runs the process from 0 to the last edge, counting arrivals per window. */
static void count_windows(struct arrival *a, const struct window_case *c, double *count)
{
    /* Check's assertions cost a system call each under CK_FORK=no: one
     * assertion at the end instead of one per arrival. */
    bool negative = false;
    struct rng r;
    int64_t now_ns = 0;
    int64_t end_ns = (int64_t)(c->edge_s[c->nwin] * NS_PER_S);
    size_t w = 0;
    rng_stream(&r, TEST_SEED, "client", c->text);
    for (size_t i = 0; i < c->nwin; i++)
        count[i] = 0;
    for (;;) {
        int64_t gap = a->pol->next_gap(a, now_ns, &r);
        negative |= gap < 0;
        if (gap == INT64_MAX || now_ns + gap >= end_ns)
            break;
        now_ns += gap;
        while ((double)now_ns >= c->edge_s[w + 1] * NS_PER_S)
            w++;
        count[w] += 1;
    }
    ck_assert_msg(!negative, "%s: negative gap", c->text);
}

START_TEST(counts_in_windows_match_the_integrated_rate)
{
    const struct window_case *c = &windows[_i];
    struct arrival a;
    double count[MAX_WINDOWS];
    setup_ok(&a, c->text);
    ck_assert_double_eq_tol(a.rate_per_s, c->rate_per_s, 1e-9 * c->rate_per_s + 1e-12);
    count_windows(&a, c, count);
    for (size_t i = 0; i < c->nwin; i++) {
        double tol = 5.0 * sqrt(c->expect[i]);
        ck_assert_msg(fabs(count[i] - c->expect[i]) <= tol,
                      "%s: window %zu [%gs, %gs): %.0f arrivals, expected %.1f +- %.1f", c->text, i,
                      c->edge_s[i], c->edge_s[i + 1], count[i], c->expect[i], tol);
    }
    arrival_fini(&a);
}
END_TEST

START_TEST(ramp_down_to_zero_ends_the_process)
{
    struct arrival a;
    struct rng r;
    int64_t now_ns = 0, gap;
    setup_ok(&a, "ramp(from=100/s, to=0/s, over=10s)");
    rng_stream(&r, TEST_SEED, "client", "ramp down");
    while ((gap = a.pol->next_gap(&a, now_ns, &r)) != INT64_MAX)
        now_ns += gap;
    ck_assert_int_le(now_ns, 10 * (int64_t)NS_PER_S);
    ck_assert_int_gt(now_ns, 5 * (int64_t)NS_PER_S);
    arrival_fini(&a);
}
END_TEST

/* ---- mmpp ------------------------------------------------------------------ */

/* Two-state MMPP: rates l1 (on), l0 (off); leaves on at r1 = 1/mean_on, off
 * at r2 = 1/mean_off. Long-run rate (l1 r2 + l0 r1) / (r1 + r2), which is
 * (on mean_on + off mean_off) / (mean_on + mean_off); the count over a long
 * window T has variance ~ T mean (1 + 2 (l1 - l0)^2 r1 r2 / ((r1 + r2)^3
 * mean)), the asymptotic index of dispersion (Fischer and Meier-Hellstern
 * 1993). Here: mean 48/s, dispersion 97.3. */
START_TEST(mmpp_long_run_rate_is_the_time_weighted_mean)
{
    const double on = 200, off = 10, mean_on = 0.5, mean_off = 2, horizon_s = 100000;
    const double r1 = 1 / mean_on, r2 = 1 / mean_off;
    const double mean = (on * mean_on + off * mean_off) / (mean_on + mean_off);
    const double idc = 1 + 2 * (on - off) * (on - off) * r1 * r2 / pow(r1 + r2, 3) / mean;
    struct arrival a;
    struct rng r;
    int64_t now_ns = 0, end_ns = (int64_t)(horizon_s * NS_PER_S);
    double n = 0;
    setup_ok(&a, "mmpp(on=200/s, off=10/s, mean_on=500ms, mean_off=2s)");
    ck_assert_double_eq_tol(a.rate_per_s, 48.0, 1e-9);
    rng_stream(&r, TEST_SEED, "client", "mmpp");
    for (;;) {
        int64_t gap = a.pol->next_gap(&a, now_ns, &r);
        if (now_ns + gap >= end_ns)
            break;
        now_ns += gap;
        n++;
    }
    double expect = mean * horizon_s, tol = 5 * sqrt(expect * idc);
    ck_assert_msg(fabs(n - expect) <= tol, "%.0f arrivals, expected %.0f +- %.0f", n, expect, tol);
    arrival_fini(&a);
}
END_TEST

/* The first gap of 100 runs: with start=off and off=0 the first arrival
 * waits for the first burst, Exp(mean_off = 100 s); with start=on it comes
 * at rate 1000/s at once. Means of 100 gaps: 100 s (+- 10 s) against 1 ms. */
static double mean_first_gap_s(const char *text)
{
    struct arrival a;
    struct rng r;
    double sum = 0;
    rng_stream(&r, TEST_SEED, "client", text);
    for (int i = 0; i < 100; i++) {
        setup_ok(&a, text);
        sum += (double)a.pol->next_gap(&a, 0, &r) / NS_PER_S;
        arrival_fini(&a);
    }
    return sum / 100;
}

START_TEST(mmpp_starts_in_the_state_asked_for)
{
    double off = mean_first_gap_s("mmpp(on=1000/s, off=0/s, mean_on=1s, mean_off=100s)");
    double on = mean_first_gap_s("mmpp(on=1000/s, off=0/s, mean_on=1s, mean_off=100s, start=on)");
    double rnd = mean_first_gap_s("mmpp(1000/s, 0/s, 1s, 100s, random)");
    ck_assert_msg(off > 50 && off < 150, "start=off: mean first gap %gs", off);
    ck_assert_msg(on < 0.01, "start=on: mean first gap %gs", on);
    /* random starts on with probability 1/101: mostly like off. */
    ck_assert_msg(rnd > 50 && rnd < 150, "start=random: mean first gap %gs", rnd);
}
END_TEST

/* ---- trace ----------------------------------------------------------------- */

START_TEST(trace_replays_times_keys_and_ops)
{
    static const int64_t at_ns[] = {500000000, 1000000000, 1500000000, 1500000000, 2000000000};
    static const uint64_t key[] = {7, 8, 9, 18446744073709551615u, 10};
    static const uint8_t op[] = {0, 1, 1, 0, 0};
    struct arrival a;
    struct rng r;
    int64_t now_ns = 0;
    write_file("trace.csv", "time,key,op\n"
                            "0.5, 7, read\n"
                            "1s, 8, w\n"
                            "1500ms,9,1   # a comment\n"
                            "\n"
                            "1.5, 18446744073709551615, r\n"
                            "2, 10, 0, extra columns are ignored\n");
    setup_ok(&a, "trace(file=trace.csv)");
    rng_stream(&r, TEST_SEED, "client", "trace");
    ck_assert_double_eq_tol(a.rate_per_s, 2.5, 1e-12); /* 5 requests over 2 s */
    for (size_t i = 0; i < 5; i++) {
        int64_t gap = a.pol->next_gap(&a, now_ns, &r);
        now_ns += gap;
        ck_assert_int_eq(now_ns, at_ns[i]);
        ck_assert(a.has_item);
        ck_assert_uint_eq(a.item_key, key[i]);
        ck_assert_uint_eq(a.item_op, op[i]);
    }
    ck_assert_int_eq(a.pol->next_gap(&a, now_ns, &r), INT64_MAX);
    ck_assert(!a.has_item);
    arrival_fini(&a);
}
END_TEST

START_TEST(trace_of_times_only_leaves_keys_to_the_client)
{
    struct arrival a;
    struct rng r;
    write_file("times.csv", "0\n0.25\n");
    setup_ok(&a, "trace(times.csv)");
    rng_stream(&r, TEST_SEED, "client", "times");
    ck_assert_int_eq(a.pol->next_gap(&a, 0, &r), 0);
    ck_assert(!a.has_item);
    ck_assert_int_eq(a.pol->next_gap(&a, 0, &r), 250000000);
    ck_assert_int_eq(a.pol->next_gap(&a, 250000000, &r), INT64_MAX);
    arrival_fini(&a);
}
END_TEST

/* Runs a failing set-up and returns the first message. */
static const char *setup_fails(const char *text)
{
    struct arrival a;
    ck_assert_msg(arrival_setup(&a, text, test_loc(), diag) == -1, "'%s' accepted", text);
    ck_assert_uint_ge(diag_count(diag), 1);
    arrival_fini(&a); /* harmless after a failure; must not leak or crash */
    return diag_message(diag, 0);
}

START_TEST(trace_decreasing_time_names_file_and_line)
{
    char want[512];
    write_file("down.csv", "1s,1,r\n2s,2,r\n1.5s,3,r\n3s,4,r\n");
    const char *msg = setup_fails("trace(file=down.csv)");
    /* Reported at the file= value: column 11 + strlen("trace(file="). */
    snprintf(want, sizeof want,
             "%s:3:22: error: %s/down.csv:3: time 1.5s is before the previous "
             "line's 2s",
             scenario, tmpdir);
    ck_assert_msg(strstr(msg, want) == msg, "got: %s\nwant: %s", msg, want);
    ck_assert_uint_eq(diag_count(diag), 1);
}
END_TEST

START_TEST(trace_reports_every_bad_line)
{
    write_file("bad.csv", "1s,1,r\n2 parsecs,2,r\n3s,x,r\n4s,4,maybe\n5s,5\n");
    const char *msg = setup_fails("trace(file=bad.csv)");
    ck_assert_msg(strstr(msg, "bad.csv:2: bad time '2 parsecs'") != NULL, "got: %s", msg);
    ck_assert_uint_eq(diag_count(diag), 4);
    msg = diag_message(diag, 1);
    ck_assert_msg(strstr(msg, "bad.csv:3: bad key 'x'") != NULL, "got: %s", msg);
    msg = diag_message(diag, 2);
    ck_assert_msg(strstr(msg, "bad.csv:4: bad op 'maybe'") != NULL, "got: %s", msg);
    msg = diag_message(diag, 3);
    ck_assert_msg(strstr(msg, "bad.csv:5: expected time, key, op") != NULL, "got: %s", msg);
}
END_TEST

START_TEST(trace_rejects_empty_and_two_column_files)
{
    write_file("empty.csv", "time,key,op\n# nothing\n");
    const char *msg = setup_fails("trace(file=empty.csv)");
    ck_assert_msg(strstr(msg, "contains no requests") != NULL, "got: %s", msg);
    write_file("cols.csv", "1s,2\n");
    setup_fails("trace(file=cols.csv)");
    msg = diag_message(diag, diag_count(diag) - 1);
    ck_assert_msg(strstr(msg, "cols.csv:1: expected time, key, op (or time only)") != NULL,
                  "got: %s", msg);
}
END_TEST

/* ---- parameter errors ------------------------------------------------------ */

/* A spec with a mistake, the words its first message must contain, and
 * where it must point: the first occurrence of `at` in text. */
struct error_case {
    const char *text;
    const char *at;
    const char *words;
};

static const struct error_case errors[] = {
    {"ramp(from=10/s, to=fast, over=60s)", "fast", "bad to 'fast'"},
    {"ramp(from=10/s, to=20/s)", "ramp", "needs 'over'"},
    {"ramp(from=0/s, to=0/s, over=1s)", "ramp", "no request would ever arrive"},
    {"ramp(from=1/s, to=2/s, over=1s, start=soon)", "soon", "bad start 'soon'"},
    {"rampp(from=1/s, to=2/s, over=1s)", "rampp", "did you mean 'ramp'"},
    {"step(before=1/s, after=2/s, at=-5s)", "-5s", "bad at '-5s': negative"},
    {"step(before=-1/s, after=2/s, at=5s)", "-1/s", "bad before"},
    {"spike(base=10/s, peak=200/s, at=60s, width=5)", "5)", "bad width '5': missing unit"},
    {"spike(base=10/s, peak=200/s, at=60s)", "spike", "needs 'width'"},
    {"diurnal(mean=100/s, amplitude=1.5)", "1.5", "bad amplitude"},
    {"diurnal(mean=100/s, period=0s)", "0s)", "period must be positive"},
    {"diurnal(mean=0/s)", "0/s", "mean rate must be positive"},
    {"diurnal(mean=100/s, phase=1x)", "1x", "bad phase"},
    {"mmpp(on=200/s, off=10/s, mean_on=0s, mean_off=20s)", "0s,", "mean_on must be positive"},
    {"mmpp(on=200/s, off=10/s, mean_on=5s, mean_off=20s, start=up)", "up", "bad start 'up'"},
    {"mmpp(on=0/s, off=0/s, mean_on=5s, mean_off=20s)", "mmpp", "no request would ever arrive"},
    {"mmpp(on=1/s, off=1/s, mean_on=5s, meanoff=20s)", "meanoff", "did you mean 'mean_off'"},
    {"trace(file=nonexistent.csv)", "nonexistent", "cannot open"},
};

START_TEST(bad_parameter_is_reported_at_its_argument)
{
    const struct error_case *c = &errors[_i];
    char want[512];
    const char *msg = setup_fails(c->text);
    int col = test_loc().col + (int)(strstr(c->text, c->at) - c->text);
    snprintf(want, sizeof want, "%s:3:%d: error: ", scenario, col);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s: got '%s', want it at '%s'", c->text,
                  msg, want);
    ck_assert_msg(strstr(msg, c->words) != NULL, "%s: got '%s', want '%s'", c->text, msg, c->words);
}
END_TEST

START_TEST(every_process_is_registered_and_documented)
{
    static const char *const names[] = {"poisson", "constant", "ramp", "step",
                                        "spike",   "diurnal",  "mmpp", "trace"};
    const struct policy_head *const *all = arrival_family.table;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t j = 0;
        while (all[j] && strcmp(all[j]->name, names[i]) != 0)
            j++;
        ck_assert_msg(all[j] != NULL, "'%s' is not registered", names[i]);
        ck_assert_ptr_nonnull(all[j]->summary);
        for (const struct param_spec *p = all[j]->params; p->name; p++)
            ck_assert_msg(p->type && p->help, "%s.%s undocumented", names[i], p->name);
    }
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *arrival_suite(void)
{
    Suite *s = suite_create("arrival");
    TCase *tc = tcase_create("rates");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, counts_in_windows_match_the_integrated_rate, 0, NCASES(windows));
    tcase_add_test(tc, ramp_down_to_zero_ends_the_process);
    tcase_add_test(tc, mmpp_long_run_rate_is_the_time_weighted_mean);
    tcase_add_test(tc, mmpp_starts_in_the_state_asked_for);
    suite_add_tcase(s, tc);

    tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, trace_replays_times_keys_and_ops);
    tcase_add_test(tc, trace_of_times_only_leaves_keys_to_the_client);
    tcase_add_test(tc, trace_decreasing_time_names_file_and_line);
    tcase_add_test(tc, trace_reports_every_bad_line);
    tcase_add_test(tc, trace_rejects_empty_and_two_column_files);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, bad_parameter_is_reported_at_its_argument, 0, NCASES(errors));
    tcase_add_test(tc, every_process_is_registered_and_documented);
    suite_add_tcase(s, tc);
    return s;
}
