/* [expect] and [predict]: the scenario keeps their lines apart, each line
 * is read against the dictionary, the components and the sweeps (values in
 * the metric's unit, errors at their column), and a verdict is judged on an
 * interval: pass when all of it satisfies the line, fail when none of it
 * does, inconclusive when it straddles the bound. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/expect.h"
#include "output/report.h"
#include "sim/diag.h"
#include "sim/scenario.h"
#include "testlib.h"

static struct diag *d;

static void setup(void)
{
    d = diag_new();
}

static void teardown(void)
{
    diag_free(d);
}

#define BASE                                                                                       \
    "[sim]\nduration = 10s\n"                                                                      \
    "[client c]\narrival = poisson(rate=1/s)\nto = s\n"                                            \
    "[service s]\nworkers = ${w = 1, 2}\nservice = exp(mean=100ms)\n"                              \
    "calls = k\n"                                                                                  \
    "[cache k]\nmode = ${mode = semi_sync(k=1), plain}\n"

static struct scenario *parse(const char *text)
{
    struct scenario *sc = scenario_parse("t.ini", text, d);
    ck_assert_msg(sc != NULL, "%s", diag_count(d) ? diag_message(d, 0) : "");
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    return sc;
}

START_TEST(the_lines_are_kept_apart_from_the_sections)
{
    struct scenario *sc = parse("[expect]\nlatency_p99_ms < 200ms   # a comment\n\n"
                                "[sim]\nduration = 10s\n[ predict ]\n  error_ratio = 1%\n"
                                "[client c]\nto = s\n[expect]\ncompleted > 0\n");
    ck_assert_uint_eq(sc->nsections, 2);
    ck_assert_str_eq(sc->sections[0].name, "sim");
    ck_assert_str_eq(sc->sections[1].name, "c");
    ck_assert_uint_eq(sc->sections[1].nentries, 1);
    ck_assert_uint_eq(sc->nchecks, 3);
    ck_assert_str_eq(sc->checks[0].text, "latency_p99_ms < 200ms");
    ck_assert(!sc->checks[0].predict);
    ck_assert_int_eq(sc->checks[0].loc.line, 2);
    ck_assert_int_eq(sc->checks[0].loc.col, 1);
    ck_assert_str_eq(sc->checks[1].text, "error_ratio = 1%");
    ck_assert(sc->checks[1].predict);
    ck_assert_int_eq(sc->checks[1].loc.line, 7);
    ck_assert_int_eq(sc->checks[1].loc.col, 3);
    ck_assert_str_eq(sc->checks[2].text, "completed > 0");
    ck_assert(!sc->checks[2].predict);
    scenario_free(sc);
}
END_TEST

/* Reads line (an [expect] line unless predict) against BASE. */
static int read_line(struct scenario *sc, const char *text, bool predict, struct expect_item *it)
{
    static struct sc_check l;
    l = (struct sc_check){(char *)text, {"t.ini", 20, 1}, predict};
    return expect_read_line(sc, &l, it, d);
}

START_TEST(values_are_converted_to_the_metric_unit)
{
    static const struct {
        const char *text;
        const char *unit;
        enum expect_op op;
        double bound;
    } ok[] = {
        {"latency_p99_ms < 200", "ms", EXPECT_LT, 200},
        {"latency_p99_ms<0.2s", "ms", EXPECT_LT, 200},
        {"latency_p99_ms <= 200 ms", "ms", EXPECT_LE, 200},
        {"latency_mean_ms > 1.5m", "ms", EXPECT_GT, 90000},
        {"error_ratio >= 5%", "ratio", EXPECT_GE, 0.05},
        {"error_ratio == 0", "ratio", EXPECT_EQ, 0},
        {"throughput_rps != 120/m", "1/s", EXPECT_NE, 2},
        {"throughput_rps > 0.5", "1/s", EXPECT_GT, 0.5},
        {"s.utilisation < 0.9", "ratio", EXPECT_LT, 0.9},
        {"s.wait_p99_ms < 1s", "ms", EXPECT_LT, 1000},
        {"k.hit_ratio > 80%", "ratio", EXPECT_GT, 0.8},
        {"completed > 1000", "requests", EXPECT_GT, 1000},
    };
    struct scenario *sc = parse(BASE);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct expect_item it;
        int rc = read_line(sc, ok[i].text, false, &it);
        ck_assert_msg(rc == 0, "%s: %s", ok[i].text, diag_count(d) ? diag_message(d, 0) : "");
        ck_assert_str_eq(it.unit, ok[i].unit);
        ck_assert_int_eq(it.op, ok[i].op);
        ck_assert_msg(fabs(it.bound - ok[i].bound) <= 1e-12 * fabs(ok[i].bound), "%s: %g", ok[i].text,
                      it.bound);
        ck_assert_uint_eq(it.nwhen, 0);
        expect_item_clear(&it);
    }
    struct expect_item it;
    ck_assert_int_eq(read_line(sc, "s.utilisation < 0.9", false, &it), 0);
    ck_assert_ptr_nonnull(it.col); /* a components.csv column */
    ck_assert_str_eq(it.comp, "s");
    expect_item_clear(&it);
    ck_assert_int_eq(read_line(sc, "k.hit_ratio > 0.8", false, &it), 0);
    ck_assert_ptr_null(it.col); /* a summary.csv row the cache reports */
    expect_item_clear(&it);
    /* a kind list with commas ("client, service or consumers"): the client's
     * breaker is found as well as the service's */
    ck_assert_int_eq(read_line(sc, "c.breaker_opens == 0", false, &it), 0);
    expect_item_clear(&it);
    ck_assert_int_eq(read_line(sc, "s.breaker_opens == 0", false, &it), 0);
    expect_item_clear(&it);
    ck_assert_int_eq(read_line(sc, "latency_mean_ms  =\t2600ms", true, &it), 0);
    ck_assert_int_eq(it.op, EXPECT_EQ);
    ck_assert_double_eq(it.bound, 2600);
    ck_assert_str_eq(it.text, "latency_mean_ms = 2600ms");
    expect_item_clear(&it);
    scenario_free(sc);
}
END_TEST

START_TEST(when_names_sweep_points)
{
    struct scenario *sc = parse(BASE);
    struct expect_item it;
    ck_assert_int_eq(read_line(sc, "error_ratio == 0 when w = 2", false, &it), 0);
    ck_assert_uint_eq(it.nwhen, 1);
    ck_assert_uint_eq(it.when_sweep[0], 0);
    ck_assert_uint_eq(it.when_value[0], 1);
    expect_item_clear(&it);
    /* a value with parentheses and '=' inside; a number matches numerically */
    ck_assert_int_eq(
        read_line(sc, "error_ratio == 0 when mode = semi_sync(k=1) and w = 1.0", false, &it), 0);
    ck_assert_uint_eq(it.nwhen, 2);
    ck_assert_uint_eq(it.when_sweep[0], 1);
    ck_assert_uint_eq(it.when_value[0], 0);
    ck_assert_uint_eq(it.when_sweep[1], 0);
    ck_assert_uint_eq(it.when_value[1], 0);
    expect_item_clear(&it);
    ck_assert_int_eq(read_line(sc, "error_ratio == 0 when mode=plain, w=2", false, &it), 0);
    ck_assert_uint_eq(it.nwhen, 2);
    ck_assert_uint_eq(it.when_value[0], 1);
    expect_item_clear(&it);
    scenario_free(sc);
}
END_TEST

/* A --set that replaces a sweep leaves the lines naming it valid, applying
 * to no point; a name the file never swept is still an error. */
START_TEST(a_sweep_replaced_by_set_makes_its_lines_apply_nowhere)
{
    struct scenario *sc = scenario_parse("t.ini", BASE, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_set(sc, "s.workers=3", d), 0);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    ck_assert_uint_eq(sc->nsweeps, 1);
    struct expect_item it;
    ck_assert_int_eq(read_line(sc, "error_ratio == 0 when w = 2 and mode = plain", false, &it), 0);
    ck_assert_str_eq(it.replaced, "w");
    ck_assert_uint_eq(it.nwhen, 1); /* mode is still checked */
    expect_item_clear(&it);
    ck_assert_int_eq(read_line(sc, "error_ratio == 0 when mode = plan", false, &it), -1);
    ck_assert_int_eq(read_line(sc, "error_ratio == 0 when ww = 2", false, &it), -1);
    ck_assert_uint_eq(diag_count(d), 2);
    scenario_free(sc);
}
END_TEST

static const struct {
    const char *text;
    bool predict;
    int col;
    const char *msg;
} bad[] = {
    {"latency_p99 < 200ms", false, 1, "did you mean 'latency_p99_ms'"},
    {"lost_writes == 0", false, 1, "reported by a store"},
    {"s.hit_ratio > 0.5", false, 1, "a cache reports 'hit_ratio'"},
    {"nobody.utilisation < 1", false, 1, "unknown metric"},
    {"latency_p99_ms =< 200ms", false, 16, "bad operator"},
    {"latency_p99_ms ~ 200ms", false, 16, "bad operator"},
    {"latency_p99_ms = 200ms", false, 16, "write '=='"},
    {"latency_p99_ms", false, 15, "missing operator"},
    {"latency_p99_ms <", false, 17, "missing value"},
    {"latency_p99_ms < 200 parsecs", false, 18, "unknown unit"},
    {"error_ratio < 5ms", false, 15, "plain number"},
    {"latency_p99_ms < 200ms if w = 1", false, 24, "unexpected 'if w = 1'"},
    {"latency_p99_ms < 200ms when", false, 28, "expected a sweep variable"},
    {"latency_p99_ms < 200ms when policy = x", false, 29, "no sweep variable 'policy'"},
    {"latency_p99_ms < 200ms when w = 3", false, 33, "'3' is not a value of sweep 'w'"},
    {"latency_p99_ms < 200ms when w == 1", false, 31, "expected '='"},
    {"latency_p99_ms < 200ms when w = 1 and w = 2", false, 39, "named twice"},
    {"latency_p99_ms < 200ms when w = 1 or mode = plain", false, 35, "expected 'and'"},
    {"latency_p99_ms < 200ms", true, 16, "belong in [expect]"},
    {"latency_p99_ms", true, 15, "expected '='"},
    {"bottleneck = z", true, 14, "no component 'z'"},
    {"bottleneck = c", true, 14, "'c' is a client"},
    {"bottleneck < s", true, 12, "expected '=' and a component"},
    {"bottleneck = s when w = 3", true, 25, "not a value of sweep 'w'"},
};

START_TEST(bad_lines_are_errors_at_their_column)
{
    struct scenario *sc = parse(BASE);
    struct expect_item it;
    ck_assert_int_eq(read_line(sc, bad[_i].text, bad[_i].predict, &it), -1);
    ck_assert_uint_eq(diag_count(d), 1);
    char want[32];
    snprintf(want, sizeof want, "t.ini:20:%d: error: ", bad[_i].col);
    const char *m = diag_message(d, 0);
    ck_assert_msg(strncmp(m, want, strlen(want)) == 0, "%s: %s", bad[_i].text, m);
    ck_assert_msg(strstr(m, bad[_i].msg) != NULL, "%s: %s", bad[_i].text, m);
    scenario_free(sc);
}
END_TEST

/* The edges: an interval touching the bound. */
START_TEST(verdicts_on_interval_edges)
{
    /* < : all of [lo, hi] below the bound, none of it, or some */
    ck_assert_int_eq(expect_judge(EXPECT_LT, 3, 1, 2.999), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_LT, 3, 1, 3), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_LT, 3, 3, 4), EXPECT_FAIL);
    ck_assert_int_eq(expect_judge(EXPECT_LT, 3, 2.5, 3.5), EXPECT_INCONCLUSIVE);
    /* <= : the bound itself satisfies it */
    ck_assert_int_eq(expect_judge(EXPECT_LE, 3, 1, 3), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_LE, 3, 3, 4), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_LE, 3, 3.001, 4), EXPECT_FAIL);
    /* > and >= mirror them */
    ck_assert_int_eq(expect_judge(EXPECT_GT, 3, 3.001, 4), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_GT, 3, 3, 4), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_GT, 3, 1, 3), EXPECT_FAIL);
    ck_assert_int_eq(expect_judge(EXPECT_GE, 3, 3, 4), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_GE, 3, 1, 3), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_GE, 3, 1, 2.999), EXPECT_FAIL);
    /* == passes only on a point interval at the bound */
    ck_assert_int_eq(expect_judge(EXPECT_EQ, 0, 0, 0), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_EQ, 0, 0, 1), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_EQ, 0, 1, 2), EXPECT_FAIL);
    ck_assert_int_eq(expect_judge(EXPECT_EQ, 3, 1, 2), EXPECT_FAIL);
    /* != is its opposite */
    ck_assert_int_eq(expect_judge(EXPECT_NE, 0, 1, 2), EXPECT_PASS);
    ck_assert_int_eq(expect_judge(EXPECT_NE, 0, 0, 0), EXPECT_FAIL);
    ck_assert_int_eq(expect_judge(EXPECT_NE, 0, 0, 1), EXPECT_INCONCLUSIVE);
    /* a single value (one replication) is never inconclusive */
    for (int op = EXPECT_LT; op <= EXPECT_NE; op++)
        for (double v = 2; v <= 4; v += 1)
            ck_assert_int_ne(expect_judge((enum expect_op)op, 3, v, v), EXPECT_INCONCLUSIVE);
    ck_assert_int_eq(expect_judge(EXPECT_LT, 3, (double)NAN, (double)NAN), EXPECT_INCONCLUSIVE);
}
END_TEST

/* Real runs: a constant service time with a worker per request gives every
 * request exactly 100 ms, so the interval of the mean is [100, 100]. */
#define RUNS                                                                                       \
    "[sim]\nduration = 200s\nrepeat = %d\n"                                                        \
    "[client c]\narrival = poisson(rate=2/s)\nto = s\n"                                            \
    "[service s]\nworkers = 1000\nservice = ${t = const(100ms), exp(mean=100ms)}\n"                \
    "[expect]\n"                                                                                   \
    "latency_mean_ms == 100ms when t = const(100ms)\n"                                             \
    "latency_mean_ms > 150ms\n"                                                                    \
    "latency_mean_ms != 100ms when t = exp(mean=100ms)\n"                                          \
    "error_ratio == 0\n"                                                                           \
    "s.utilisation < 1%%\n"                                                                        \
    "[predict]\n"                                                                                  \
    "latency_mean_ms = 110ms\n"

static void run_and_judge(int repeat, struct expect_outcome **out, struct scenario **sco,
                          struct run_result **res, size_t *n)
{
    char text[1024];
    snprintf(text, sizeof text, RUNS, repeat);
    struct scenario *sc = parse(text);
    struct expect_set *es = expect_read(sc, d);
    ck_assert_ptr_nonnull(es);
    ck_assert_uint_eq(es->nexpect, 5);
    ck_assert_uint_eq(es->npredict, 1);
    *res = tl_runs(text, 2, n);
    struct report rp = {.sc = sc, .runs = *res, .nruns = *n, .repeat = repeat};
    *out = expect_evaluate(es, &rp);
    *sco = sc;
}

static void done(struct expect_outcome *o, struct scenario *sc, struct run_result *res, size_t n)
{
    expect_set_free((struct expect_set *)o->set);
    expect_outcome_free(o);
    tl_runs_free(res, n);
    scenario_free(sc);
}

START_TEST(each_line_is_judged_at_the_points_it_names)
{
    struct expect_outcome *o;
    struct scenario *sc;
    struct run_result *res;
    size_t n;
    run_and_judge(3, &o, &sc, &res, &n);
    /* point 0 (const): lines 0, 1, 3, 4 and the guess; point 1 (exp): 1, 2, 3, 4, guess */
    static const size_t want_item[] = {0, 1, 3, 4, 5, 1, 2, 3, 4, 5};
    static const size_t want_point[] = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    static const int want_verdict[] = {EXPECT_PASS, EXPECT_FAIL, EXPECT_PASS, EXPECT_PASS, -1,
                                       EXPECT_FAIL, EXPECT_INCONCLUSIVE, EXPECT_PASS, EXPECT_PASS,
                                       -1};
    ck_assert_uint_eq(o->nrows, 10);
    for (size_t i = 0; i < o->nrows; i++) {
        const struct expect_row *r = &o->rows[i];
        ck_assert_uint_eq(r->item, want_item[i]);
        ck_assert_uint_eq(r->point, want_point[i]);
        ck_assert_uint_eq(r->n, 3);
        ck_assert(!r->no_interval);
        if (want_verdict[i] >= 0)
            ck_assert_msg((int)r->verdict == want_verdict[i], "row %zu: %s, value %g [%g, %g]", i,
                          expect_verdict_name(r->verdict), r->value, r->lo, r->hi);
    }
    /* the constant point: exactly 100 ms, a guess of 110 ms is 10% high and outside */
    ck_assert_double_eq(o->rows[0].value, 100);
    ck_assert_double_eq(o->rows[0].lo, 100);
    ck_assert_double_eq(o->rows[0].hi, 100);
    ck_assert_double_eq_tol(o->rows[4].error_pct, 10, 1e-9);
    ck_assert_int_eq(o->rows[4].inside, 0);
    /* the exponential point's mean interval holds 100 ms (so != is
     * inconclusive), and then also the guess of 110 ms when it reaches it */
    const struct expect_row *g = &o->rows[9];
    ck_assert(g->lo <= 100 && 100 <= g->hi);
    ck_assert_int_eq(g->inside, g->lo <= 110 && 110 <= g->hi);
    ck_assert_uint_eq(o->passed, 5);
    ck_assert_uint_eq(o->failed, 2);
    ck_assert_uint_eq(o->inconclusive, 1);
    char *line = expect_row_text(o, sc, 0);
    ck_assert_str_eq(line, "expect: PASS latency_mean_ms == 100ms when t = const(100ms) "
                           "[t=const(100ms)]: 100 ms, 95% CI 100 .. 100");
    free(line);
    done(o, sc, res, n);
}
END_TEST

START_TEST(one_replication_is_judged_on_its_value)
{
    struct expect_outcome *o;
    struct scenario *sc;
    struct run_result *res;
    size_t n;
    run_and_judge(1, &o, &sc, &res, &n);
    ck_assert_uint_eq(o->nrows, 10);
    for (size_t i = 0; i < o->nrows; i++) {
        ck_assert(o->rows[i].no_interval);
        ck_assert_uint_eq(o->rows[i].n, 1);
    }
    /* the exp point's value is not exactly 100 ms: != passes on the value */
    ck_assert_int_eq(o->rows[6].verdict, EXPECT_PASS);
    ck_assert_int_eq(o->rows[9].inside, -1);
    ck_assert_uint_eq(o->inconclusive, 0);
    char *line = expect_row_text(o, sc, 6);
    ck_assert_msg(strstr(line, "one replication: no interval, judged on the value") != NULL, "%s",
                  line);
    free(line);
    done(o, sc, res, n);
}
END_TEST

/* A bottleneck guess: two services fed by two clients, a at 10/s x 50 ms
 * on one worker (utilisation 0.5), b at 10/s x t (0.1, then 0.9): the
 * simulated bottleneck is a at the first point and b at the second, and the
 * napkin math (which knows both loads) says the same. */
#define TWO                                                                                        \
    "[sim]\nduration = 2000s\nrepeat = 2\n"                                                        \
    "[client ca]\narrival = poisson(rate=10/s)\nto = a\n"                                          \
    "[client cb]\narrival = poisson(rate=10/s)\nto = b\n"                                          \
    "[service a]\nworkers = 1\nservice = const(50ms)\n"                                            \
    "[service b]\nworkers = 1\nservice = ${t = const(10ms), const(90ms)}\n"                        \
    "[predict]\n"                                                                                  \
    "bottleneck = b\n"

START_TEST(a_bottleneck_guess_is_compared_with_the_busiest_component)
{
    struct scenario *sc = parse(TWO);
    struct expect_set *es = expect_read(sc, d);
    ck_assert_ptr_nonnull(es);
    ck_assert_uint_eq(es->npredict, 1);
    ck_assert(es->items[0].bottleneck);
    ck_assert_str_eq(es->items[0].comp, "b");
    size_t n;
    struct run_result *res = tl_runs(TWO, 2, &n);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2};
    struct expect_outcome *o = expect_evaluate(es, &rp);
    ck_assert_uint_eq(o->nrows, 2);
    const struct expect_row *r0 = &o->rows[0], *r1 = &o->rows[1];
    /* point 0: a (0.5) is the busiest, b (0.1) the guess: off */
    ck_assert_str_eq(r0->sim_comp, "a");
    ck_assert_int_eq(r0->inside, 0);
    ck_assert_double_eq_tol(r0->value, 0.5, 0.02);
    ck_assert_double_eq_tol(r0->guess_util, 0.1, 0.01);
    ck_assert(r0->lo <= r0->value && r0->value <= r0->hi);
    ck_assert_uint_eq(r0->n, 2);
    ck_assert_str_eq(r0->napkin_comp, "a");
    /* point 1: b (0.9) above a (0.5): right, a the runner-up */
    ck_assert_str_eq(r1->sim_comp, "b");
    ck_assert_int_eq(r1->inside, 1);
    ck_assert_double_eq_tol(r1->value, 0.9, 0.02);
    ck_assert_str_eq(r1->next_comp, "a");
    ck_assert_double_eq_tol(r1->next_util, 0.5, 0.02);
    ck_assert_str_eq(r1->napkin_comp, "b");
    /* no expectation is counted */
    ck_assert_uint_eq(o->passed + o->failed + o->inconclusive, 0);
    char *line = expect_row_text(o, sc, 0);
    ck_assert_msg(strstr(line, "predict: bottleneck = b [t=const(10ms)]: a (utilisation 0.") == line,
                  "%s", line);
    ck_assert_msg(strstr(line, "; b 0.") && strstr(line, "); guess off; napkin math said a"), "%s",
                  line);
    free(line);
    line = expect_row_text(o, sc, 1);
    ck_assert_msg(strstr(line, "]: b (utilisation 0.") && strstr(line, "; next a 0.") &&
                      strstr(line, "); guess right; napkin math said b"),
                  "%s", line);
    free(line);
    expect_outcome_free(o);
    expect_set_free(es);
    tl_runs_free(res, n);
    scenario_free(sc);
}
END_TEST

Suite *expect_suite(void)
{
    Suite *s = suite_create("expect");
    TCase *tc = tcase_create("read");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_lines_are_kept_apart_from_the_sections);
    tcase_add_test(tc, values_are_converted_to_the_metric_unit);
    tcase_add_test(tc, when_names_sweep_points);
    tcase_add_test(tc, a_sweep_replaced_by_set_makes_its_lines_apply_nowhere);
    tcase_add_loop_test(tc, bad_lines_are_errors_at_their_column, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, tc);
    tc = tcase_create("judge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, verdicts_on_interval_edges);
    tcase_add_test(tc, each_line_is_judged_at_the_points_it_names);
    tcase_add_test(tc, one_replication_is_judged_on_its_value);
    tcase_add_test(tc, a_bottleneck_guess_is_compared_with_the_busiest_component);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
