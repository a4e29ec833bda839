/* Tests for the progress counters of sim/runner (runner_progress_*) and the
 * clock sim_run publishes: what the progress line reads must add up to what
 * the runs did, and publishing must not change a result. */
#include "sim/runner.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "tests/testlib.h"

Suite *progress_suite(void);

static const char two_points[] = "[sim]\n"
                                 "duration = 2000s\n"
                                 "repeat = 3\n"
                                 "[client load]\n"
                                 "arrival = poisson(rate=${r = 2, 3}/s)\n"
                                 "to = app\n"
                                 "[service app]\n"
                                 "workers = 4\n"
                                 "service = exp(mean=1s)\n";

static struct scenario *parse(const char *text)
{
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    ck_assert_int_eq(runner_validate(sc, d), 0);
    diag_free(d);
    return sc;
}

/* Runs text on jobs threads, publishing into a progress record when prog. */
static struct run_result *run(const char *text, int jobs, bool prog, size_t *n,
                              struct runner_progress_view *end)
{
    struct scenario *sc = parse(text);
    struct runner_opts o = {.jobs = jobs};
    if (prog)
        o.progress = runner_progress_new(jobs);
    *n = runner_nruns(sc, &o, NULL, NULL);
    struct run_result *res = calloc(*n + 1, sizeof *res);
    struct diag *d = diag_new();
    ck_assert_int_eq(runner_run(sc, &o, res, d), 0);
    if (prog)
        runner_progress_read(o.progress, end);
    runner_progress_free(o.progress);
    diag_free(d);
    scenario_free(sc);
    return res;
}

static uint64_t events_of(const struct run_result *res, size_t n)
{
    uint64_t e = 0;
    for (size_t i = 0; i < n; i++)
        e += res[i].events;
    return e;
}

START_TEST(counters_add_up_when_the_runs_end)
{
    size_t n;
    struct runner_progress_view v;
    struct run_result *res = run(two_points, 2, true, &n, &v);
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(v.total, 6);
    ck_assert_uint_eq(v.done, 6);
    ck_assert_uint_eq(v.running, 0);
    ck_assert(v.share == 0);
    ck_assert_uint_gt(v.events, 1000);
    ck_assert_uint_eq(v.events, events_of(res, n));
    tl_runs_free(res, n);
}
END_TEST

/* warmup = auto simulates a pilot run first: its events count too. */
START_TEST(pilot_runs_count_in_the_events)
{
    static const char text[] = "[sim]\n"
                               "duration = 2000s\n"
                               "warmup = auto\n"
                               "repeat = 2\n"
                               "[client load]\n"
                               "arrival = poisson(rate=3/s)\n"
                               "to = app\n"
                               "[service app]\n"
                               "workers = 4\n"
                               "service = exp(mean=1s)\n";
    size_t n;
    struct runner_progress_view v;
    struct run_result *res = run(text, 1, true, &n, &v);
    ck_assert_uint_eq(v.done, n);
    ck_assert_uint_gt(v.events, events_of(res, n));
    tl_runs_free(res, n);
}
END_TEST

START_TEST(publishing_changes_no_result)
{
    size_t n1, n2;
    struct runner_progress_view v;
    struct run_result *a = run(two_points, 2, false, &n1, &v);
    struct run_result *b = run(two_points, 3, true, &n2, &v);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        ck_assert_uint_eq(a[i].events, b[i].events);
        ck_assert_uint_eq(a[i].completed, b[i].completed);
        ck_assert_uint_eq(a[i].latency.total, b[i].latency.total);
        ck_assert(a[i].latency.sum == b[i].latency.sum);
        ck_assert_uint_eq(a[i].seed, b[i].seed);
    }
    tl_runs_free(a, n1);
    tl_runs_free(b, n2);
}
END_TEST

/* sim_run publishes its clock every SIM_PROGRESS_EVENTS events and at the
 * end: after the run, the published clock and count are the run's own. */
START_TEST(sim_run_publishes_its_clock_and_events)
{
    struct sim sim;
    struct scenario *sc;
    struct sc_point *pt;
    tl_model_build(&sim, &sc, &pt, two_points, 7, 2000000000000LL);
    struct sim_progress sp;
    atomic_init(&sp.now_ns, -1);
    atomic_init(&sp.events, 0);
    sim.progress = &sp;
    int64_t end = sim_run(&sim);
    ck_assert_uint_gt(sim.events, SIM_PROGRESS_EVENTS);
    ck_assert_uint_eq(atomic_load(&sp.events), sim.events);
    ck_assert_int_le(atomic_load(&sp.now_ns), end);
    ck_assert_int_gt(atomic_load(&sp.now_ns), end / 2);
    tl_model_free(&sim, &sc, &pt);
}
END_TEST

Suite *progress_suite(void)
{
    Suite *s = suite_create("progress");
    TCase *t = tcase_create("core");
    tcase_add_test(t, counters_add_up_when_the_runs_end);
    tcase_add_test(t, pilot_runs_count_in_the_events);
    tcase_add_test(t, publishing_changes_no_result);
    tcase_add_test(t, sim_run_publishes_its_clock_and_events);
    suite_add_tcase(s, t);
    return s;
}
