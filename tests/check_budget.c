/* The cost budget of a scenario (runner_validate_budget): the estimate, the
 * refusal at the sweep that multiplies the runs, --force; and the parser on
 * many keys (duplicates found by hash, in file order). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/diag.h"
#include "sim/runner.h"
#include "sim/scenario.h"

static struct diag *d;

static void setup(void)
{
    d = diag_new();
}

static void teardown(void)
{
    diag_free(d);
}

static struct scenario *parse(const char *text)
{
    struct scenario *sc = scenario_parse("t.ini", text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    return sc;
}

/* 1 client at 100/s for 10 s through one service, 3 replications. */
static const char small[] = "[sim]\nduration = 10s\nrepeat = 3\n"
                            "[client c]\nto = app\narrival = poisson(rate=100/s)\n"
                            "[service app]\nservice = exp(mean=1ms)\n";

START_TEST(estimate_counts_runs_events_and_rows)
{
    struct scenario *sc = parse(small);
    struct runner_estimate est;
    ck_assert_int_eq(runner_validate_budget(sc, false, &est, d), 0);
    ck_assert_uint_eq(est.points, 1);
    ck_assert_int_eq(est.repeat, 3);
    ck_assert_double_eq(est.runs, 3);
    /* 3 runs x 1000 requests x 2 events at the service */
    ck_assert_double_eq_tol(est.events, 6000, 1e-6);
    ck_assert_double_eq(est.rows_runs, 3);
    ck_assert_double_eq(est.rows_components, 3);
    ck_assert_double_eq(est.rows_timeseries, 0);
    /* latency, app.wait, app.response: at most 1000 buckets each */
    ck_assert_double_eq_tol(est.rows_histograms, 3 * 3 * 1000, 1e-6);
    ck_assert(est.output_bytes > 1e5 && est.output_bytes < 1e7);
    scenario_free(sc);
}
END_TEST

/* trace.json: the first replication of each point, share x requests x
 * (the client's span + 7 events per component visited), capped at
 * trace_max_events per run; every event is a line of about 80-140 bytes. */
START_TEST(estimate_counts_trace_json)
{
    struct scenario *sc = parse(small);
    struct runner_estimate off, on, capped;
    ck_assert_int_eq(runner_validate_budget(sc, false, &off, d), 0);
    ck_assert_double_eq(off.trace_events, 0);
    ck_assert_int_eq(scenario_set(sc, "sim.trace=50%", d), 0);
    ck_assert_int_eq(runner_validate_budget(sc, false, &on, d), 0);
    ck_assert_double_eq_tol(on.trace_events, 0.5 * 1000 * 8, 1e-6); /* 1 of 3 replications */
    ck_assert(on.output_bytes - off.output_bytes > on.trace_events * 50);
    ck_assert_int_eq(scenario_set(sc, "sim.trace_max_events=1000", d), 0);
    ck_assert_int_eq(runner_validate_budget(sc, false, &capped, d), 0);
    ck_assert_double_eq(capped.trace_events, 1000);
    scenario_free(sc);
}
END_TEST

START_TEST(runs_past_the_budget_are_refused_at_the_multiplying_sweep)
{
    /* 10 x 100 x 200 points: the running product passes 100000 at w */
    struct scenario *sc =
        parse("[sim]\nduration = ${a = 1..10}s\n[client c]\nto = app\n"
              "arrival = poisson(rate=${r = 1..100}/s)\n[service app]\n"
              "service = exp(mean=1ms)\nworkers = ${w = 1..200}\n");
    struct runner_estimate est;
    ck_assert_int_eq(runner_validate_budget(sc, false, &est, d), -1);
    ck_assert_uint_eq(diag_count(d), 1);
    ck_assert_str_eq(diag_message(d, 0),
                     "t.ini:8:11: error: 200000 sweep points x 1 replication = 200000 runs, "
                     "more than the budget of 100000 runs; narrow the sweep or pass --force");
    ck_assert_double_eq(est.runs, 200000);
    scenario_free(sc);
}
END_TEST

START_TEST(repeat_alone_past_the_budget_is_blamed)
{
    struct scenario *sc = parse("[sim]\nrepeat = 200000\n[client c]\nto = app\n"
                                "arrival = poisson(rate=1/s)\n[service app]\n"
                                "service = exp(mean=1ms)\n");
    ck_assert_int_eq(runner_validate_budget(sc, false, NULL, d), -1);
    ck_assert_ptr_nonnull(strstr(diag_message(d, 0), "t.ini:2:10: error: 1 sweep point x "
                                                     "200000 replications = 200000 runs"));
    scenario_free(sc);
}
END_TEST

START_TEST(force_lifts_the_budget)
{
    struct scenario *sc = parse("[sim]\nduration = 1s\nrepeat = 20000\n[client c]\nto = app\n"
                                "arrival = poisson(rate=${r = 1..6}/s)\n[service app]\n"
                                "service = exp(mean=1ms)\n");
    struct runner_estimate est;
    ck_assert_int_eq(runner_validate_budget(sc, false, &est, d), -1);
    diag_free(d);
    d = diag_new();
    ck_assert_int_eq(runner_validate_budget(sc, true, &est, d), 0);
    ck_assert_uint_eq(diag_count(d), 0);
    ck_assert_double_eq(est.runs, 120000);
    ck_assert_double_eq(est.rows_runs, 120000);
    scenario_free(sc);
}
END_TEST

START_TEST(output_past_the_budget_is_refused_unless_forced)
{
    /* 10^6 time-series rows per run x 50 runs */
    struct scenario *sc = parse("[sim]\nduration = 1000s\ninterval = 1ms\n[client c]\nto = app\n"
                                "arrival = poisson(rate=${r = 1..50}/s)\n[service app]\n"
                                "service = exp(mean=1ms)\n");
    struct runner_estimate est;
    ck_assert_int_eq(runner_validate_budget(sc, false, &est, d), -1);
    ck_assert_ptr_nonnull(strstr(diag_message(d, 0), "t.ini:6:24: error: the results would take"));
    ck_assert_double_eq_tol(est.rows_timeseries, 50e6, 1);
    ck_assert(est.output_bytes > 2e9);
    diag_free(d);
    d = diag_new();
    ck_assert_int_eq(runner_validate_budget(sc, true, &est, d), 0);
    scenario_free(sc);
}
END_TEST

START_TEST(many_keys_and_duplicates_are_found_in_file_order)
{
    size_t n = 50000, cap = 64 + n * 24;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(text, cap, "[sim]\n[service a]\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "k%zu = 1\n", i);
    len += (size_t)snprintf(text + len, cap - len, "k7 = 2\n[b x]\nk7 = 3\n[a y]\n[sim]\n");
    struct scenario *sc = scenario_parse("t.ini", text, d);
    ck_assert_ptr_null(sc);
    ck_assert_uint_eq(diag_count(d), 2);
    ck_assert_str_eq(diag_message(d, 0), "t.ini:50003:1: error: 'k7' is set twice in [a] "
                                         "(first at line 10)");
    ck_assert_ptr_nonnull(strstr(diag_message(d, 1), "'sim' is defined twice (first at line 1)"));
    free(text);
}
END_TEST

Suite *budget_suite(void)
{
    Suite *s = suite_create("budget");
    TCase *tc = tcase_create("budget");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, estimate_counts_runs_events_and_rows);
    tcase_add_test(tc, estimate_counts_trace_json);
    tcase_add_test(tc, runs_past_the_budget_are_refused_at_the_multiplying_sweep);
    tcase_add_test(tc, repeat_alone_past_the_budget_is_blamed);
    tcase_add_test(tc, force_lifts_the_budget);
    tcase_add_test(tc, output_past_the_budget_is_refused_unless_forced);
    tcase_add_test(tc, many_keys_and_duplicates_are_found_in_file_order);
    suite_add_tcase(s, tc);
    return s;
}
