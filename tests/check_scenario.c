/* Scenario parser, spec syntax, sweep expansion and --set. */
#include <check.h>
#include <string.h>

#include "sim/diag.h"
#include "sim/scenario.h"
#include "sim/spec.h"

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
    if (sc && scenario_find_sweeps(sc, d) < 0) {
        scenario_free(sc);
        return NULL;
    }
    return sc;
}

START_TEST(sections_and_keys_keep_file_order_and_locations)
{
    struct scenario *sc = parse("# c\n[sim]\nduration = 10s ; comment\n\n[client  web]\n"
                                "  to = app\n[service app]\nworkers=3\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->nsections, 3);
    ck_assert_str_eq(sc->sections[1].kind, "client");
    ck_assert_str_eq(sc->sections[1].name, "web");
    const struct sc_entry *e = sc_find_entry(&sc->sections[0], "duration");
    ck_assert_str_eq(e->value, "10s");
    ck_assert_int_eq(e->val_loc.line, 3);
    ck_assert_int_eq(e->val_loc.col, 12);
    e = sc_find_entry(&sc->sections[1], "to");
    ck_assert_int_eq(e->key_loc.col, 3);
    ck_assert_str_eq(sc_find_entry(&sc->sections[2], "workers")->value, "3");
    scenario_free(sc);
}
END_TEST

START_TEST(crlf_line_ends_are_accepted)
{
    struct scenario *sc = parse("[sim]\r\nduration = 10s\r\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_str_eq(sc_find_entry(&sc->sections[0], "duration")->value, "10s");
    scenario_free(sc);
}
END_TEST

static const struct {
    const char *text;
    const char *message; /* expected "file:line:col: error: ..." prefix */
} bad[] = {
    {"[sim\n", "t.ini:1:1: error: missing ']'"},
    {"[client]\n", "t.ini:1:1: error: section [client] needs a name"},
    {"[client a b]\n", "t.ini:1:11: error: a section header is [kind name]"},
    {"x = 1\n", "t.ini:1:1: error: 'x' is outside any section"},
    {"[sim]\njunk\n", "t.ini:2:1: error: expected 'key = value'"},
    {"[sim]\nseed =\n", "t.ini:2:7: error: missing value for 'seed'"},
    {"[sim]\nseed = 1\nseed = 2\n", "t.ini:3:1: error: 'seed' is set twice in [sim]"},
    {"[sim]\n[sim]\n", "t.ini:2:1: error: 'sim' is defined twice"},
    {"[sim]\nduration = ${d = 1s, 2s\n", "t.ini:2:12: error: unterminated '${'"},
    {"[sim]\nduration = ${d}\n", "t.ini:2:12: error: no sweep named 'd'"},
    {"[sim]\nduration = ${d = 1s}\nwarmup = ${d = 2s}\n",
     "t.ini:3:10: error: sweep 'd' is defined twice"},
    {"[sim]\nrepeat = ${n = 5..1}\n", "t.ini:2:10: error: empty range"},
    {"[sim]\nrepeat = ${n = 1..5 step 0}\n", "t.ini:2:10: error: the step of sweep 'n' must be"},
    {"[sim]\nrepeat = ${n = a, , b}\n", "t.ini:2:10: error: empty value in sweep 'n'"},
};

START_TEST(bad_scenarios_are_reported_with_location)
{
    struct scenario *sc = parse(bad[_i].text);
    ck_assert_ptr_null(sc);
    ck_assert_uint_ge(diag_count(d), 1);
    const char *m = diag_message(d, 0);
    ck_assert_msg(strncmp(m, bad[_i].message, strlen(bad[_i].message)) == 0,
                  "case %d: got '%s', want '%s...'", _i, m, bad[_i].message);
}
END_TEST

START_TEST(sweeps_expand_as_a_cross_product_first_outermost)
{
    struct scenario *sc = parse("[sim]\nduration = ${d = 1s, 2s}\n[service a]\n"
                                "workers = ${w = 1..5 step 2}\nqueue = ${w}\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->nsweeps, 2);
    ck_assert_uint_eq(scenario_npoints(sc), 6);
    static const char *const want[6][2] = {{"1s", "1"}, {"1s", "3"}, {"1s", "5"},
                                           {"2s", "1"}, {"2s", "3"}, {"2s", "5"}};
    for (size_t p = 0; p < 6; p++) {
        struct sc_point *pt = scenario_point(sc, p);
        ck_assert_str_eq(sc_find_entry(&pt->sections[0], "duration")->value, want[p][0]);
        ck_assert_str_eq(sc_find_entry(&pt->sections[1], "workers")->value, want[p][1]);
        ck_assert_str_eq(sc_find_entry(&pt->sections[1], "queue")->value, want[p][1]);
        ck_assert_str_eq(scenario_sweep_value(sc, p, 0), want[p][0]);
        ck_assert_str_eq(scenario_sweep_value(sc, p, 1), want[p][1]);
        scenario_point_free(pt);
    }
    scenario_free(sc);
}
END_TEST

/* A sweep of durations also carries its value in ms (the NAME_ms column), so
 * "100ms" sorts before "10s"; any other sweep does not. */
START_TEST(duration_sweeps_are_recognised_and_converted_to_ms)
{
    struct scenario *sc = parse("[service a]\nx = ${ttl = 100ms, 10s, 0, 2m}\ny = ${n = 1, 2}\n"
                                "z = ${z = 0}\nw = ${w = fast, 1s}\nv = ${v = 0, 1.5us}\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->nsweeps, 5);
    ck_assert(scenario_sweep_is_duration(sc, 0));
    ck_assert(!scenario_sweep_is_duration(sc, 1)); /* bare numbers need a unit */
    ck_assert(!scenario_sweep_is_duration(sc, 2)); /* "0" alone says nothing */
    ck_assert(!scenario_sweep_is_duration(sc, 3)); /* one value is not a duration */
    ck_assert(scenario_sweep_is_duration(sc, 4));
    /* point = ((((ttl * 2 + n) * 1 + z) * 2 + w) * 2 + v): ttl is outermost */
    size_t per_ttl = 2 * 1 * 2 * 2;
    ck_assert_double_eq(scenario_sweep_ms(sc, 0 * per_ttl, 0), 100.0);
    ck_assert_double_eq(scenario_sweep_ms(sc, 1 * per_ttl, 0), 10000.0);
    ck_assert_double_eq(scenario_sweep_ms(sc, 2 * per_ttl, 0), 0.0);
    ck_assert_double_eq(scenario_sweep_ms(sc, 3 * per_ttl, 0), 120000.0);
    ck_assert_double_eq_tol(scenario_sweep_ms(sc, 1, 4), 0.0015, 1e-12);
    scenario_free(sc);
}
END_TEST

START_TEST(sweep_text_around_the_substitution_is_kept)
{
    struct scenario *sc = parse("[client c]\narrival = poisson(rate=${r = 0.5, 0.25}/s)\n");
    ck_assert_ptr_nonnull(sc);
    struct sc_point *pt = scenario_point(sc, 1);
    ck_assert_str_eq(sc_find_entry(&pt->sections[0], "arrival")->value, "poisson(rate=0.25/s)");
    scenario_point_free(pt);
    scenario_free(sc);
}
END_TEST

START_TEST(sweep_values_may_be_specs_with_commas)
{
    struct scenario *sc = parse("[service s]\nbalance = ${b = random, power_of_two(d=3, x=1)}\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->sweeps[0].nvalues, 2);
    ck_assert_str_eq(sc->sweeps[0].values[1], "power_of_two(d=3, x=1)");
    scenario_free(sc);
}
END_TEST

START_TEST(fractional_range_has_no_rounding_drift)
{
    struct scenario *sc = parse("[sim]\nx = ${x = 0.1..0.5 step 0.1}\n");
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(sc->sweeps[0].nvalues, 5);
    ck_assert_str_eq(sc->sweeps[0].values[2], "0.3");
    ck_assert_str_eq(sc->sweeps[0].values[4], "0.5");
    scenario_free(sc);
}
END_TEST

START_TEST(set_overrides_adds_and_reports_unknown_sections)
{
    struct scenario *sc = scenario_parse("t.ini", "[sim]\nseed = 1\n[service app]\n", d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_set(sc, "sim.seed=7", d), 0);
    ck_assert_int_eq(scenario_set(sc, "app.workers=${w = 1, 2}", d), 0);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    ck_assert_str_eq(sc_find_entry(&sc->sections[0], "seed")->value, "7");
    ck_assert_uint_eq(scenario_npoints(sc), 2);
    ck_assert_int_eq(scenario_set(sc, "ap.workers=3", d), -1);
    ck_assert_msg(strstr(diag_message(d, 0), "did you mean 'app'"), "%s", diag_message(d, 0));
    ck_assert_int_eq(scenario_set(sc, "noequals", d), -1);
    scenario_free(sc);
}
END_TEST

/* --set NAME.KEY= (empty) removes the key, so its default applies; a sweep
 * the file writes but a --set replaced or removed is known as such. */
START_TEST(set_empty_removes_the_key_and_replaced_sweeps_are_known)
{
    struct scenario *sc = scenario_parse(
        "t.ini", "[sim]\nplot_x = p\nseed = 1\n[service app]\nbalance = ${p = random, x}\n"
                 "workers = ${w = 1, 2}\n", d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_set(sc, "sim.plot_x=", d), 0);
    ck_assert_int_eq(scenario_set(sc, "app.balance=round_robin", d), 0);
    ck_assert_int_eq(scenario_set(sc, "app.nothing=", d), 0); /* absent: nothing to remove */
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    ck_assert_ptr_null(sc_find_entry(&sc->sections[0], "plot_x"));
    ck_assert_str_eq(sc_find_entry(&sc->sections[0], "seed")->value, "1");
    ck_assert_uint_eq(sc->sections[0].nentries, 1);
    ck_assert_uint_eq(sc->nsweeps, 1);
    ck_assert(scenario_sweep_replaced(sc, "p"));
    ck_assert(!scenario_sweep_replaced(sc, "w"));     /* still a sweep */
    ck_assert(!scenario_sweep_replaced(sc, "seed"));  /* never one */
    ck_assert_uint_eq(diag_count(d), 0);
    scenario_free(sc);
}
END_TEST

START_TEST(spec_parses_named_and_positional_arguments)
{
    struct spec sp;
    struct loc loc = {"t.ini", 4, 10};
    ck_assert_int_eq(spec_parse(&sp, " lognormal( median = 20ms , sigma=0.5 ) ", loc, d), 0);
    ck_assert_str_eq(sp.name, "lognormal");
    ck_assert_int_eq(sp.loc.col, 11);
    ck_assert_uint_eq(sp.nargs, 2);
    ck_assert_str_eq(sp.args[0].key, "median");
    ck_assert_str_eq(sp.args[0].val, "20ms");
    ck_assert_int_eq(sp.args[0].val_loc.col, 10 + 21);
    ck_assert_int_eq(spec_parse(&sp, "const(5ms)", loc, d), 0);
    ck_assert_ptr_null(sp.args[0].key);
    ck_assert_int_eq(spec_parse(&sp, "round_robin", loc, d), 0);
    ck_assert_uint_eq(sp.nargs, 0);
    /* A value may be a spec: its commas and '=' stay inside it. */
    ck_assert_int_eq(spec_parse(&sp, "mix(0.5 exp(mean=1ms, x=2), w=c(d))", loc, d), 0);
    ck_assert_uint_eq(sp.nargs, 2);
    ck_assert_ptr_null(sp.args[0].key);
    ck_assert_str_eq(sp.args[0].val, "0.5 exp(mean=1ms, x=2)");
    ck_assert_int_eq(sp.args[0].val_loc.col, 10 + 4);
    ck_assert_str_eq(sp.args[1].key, "w");
    ck_assert_str_eq(sp.args[1].val, "c(d)");
}
END_TEST

static const char *const bad_specs[] = {
    "exp(mean=1s",      /* missing ')' */
    "exp(mean=1s) x",   /* trailing text */
    "exp(mean=)",       /* missing value */
    "exp(=1s)",         /* missing name */
    "exp(mean=1s, mean=2s)",
    "(mean=1s)",
    "a(b(c)",           /* a nested '(' left open */
    "a(b)) ",           /* a ')' too many */
};

START_TEST(spec_rejects_malformed_text)
{
    struct spec sp;
    ck_assert_int_eq(spec_parse(&sp, bad_specs[_i], (struct loc){"t", 1, 1}, d), -1);
    ck_assert_uint_ge(diag_count(d), 1);
}
END_TEST

START_TEST(spec_check_suggests_the_closest_parameter)
{
    static const struct param_spec params[] = {
        {"mean", "duration", NULL, "mean"}, {"sd", "duration", "1ms", "sd"}, {NULL, NULL, NULL, NULL}};
    struct spec sp;
    ck_assert_int_eq(spec_parse(&sp, "normal(maen=3ms)", (struct loc){"t", 1, 1}, d), 0);
    ck_assert_int_eq(spec_check(&sp, params, "distribution 'normal'", d), -1);
    ck_assert_msg(strstr(diag_message(d, 0), "did you mean 'mean'"), "%s", diag_message(d, 0));
    /* ...and the missing required one is reported too */
    ck_assert_uint_eq(diag_count(d), 2);
    struct loc l;
    ck_assert_int_eq(spec_parse(&sp, "normal(3ms)", (struct loc){"t", 1, 1}, d), 0);
    ck_assert_str_eq(spec_value(&sp, params, "mean", &l), "3ms");
    ck_assert_str_eq(spec_value(&sp, params, "sd", &l), "1ms");
}
END_TEST

START_TEST(diag_suggests_only_close_names)
{
    const char *names[] = {"round_robin", "random", "least_connections"};
    ck_assert_str_eq(diag_closest("round_robn", names, 3), "round_robin");
    ck_assert_str_eq(diag_closest("least", names, 3), "least_connections");
    ck_assert_ptr_null(diag_closest("zzzzzz", names, 3));
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sections_and_keys_keep_file_order_and_locations);
    tcase_add_test(tc, crlf_line_ends_are_accepted);
    tcase_add_loop_test(tc, bad_scenarios_are_reported_with_location, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, sweeps_expand_as_a_cross_product_first_outermost);
    tcase_add_test(tc, sweep_text_around_the_substitution_is_kept);
    tcase_add_test(tc, duration_sweeps_are_recognised_and_converted_to_ms);
    tcase_add_test(tc, fractional_range_has_no_rounding_drift);
    tcase_add_test(tc, sweep_values_may_be_specs_with_commas);
    tcase_add_test(tc, set_overrides_adds_and_reports_unknown_sections);
    tcase_add_test(tc, set_empty_removes_the_key_and_replaced_sweeps_are_known);
    tcase_add_test(tc, spec_parses_named_and_positional_arguments);
    tcase_add_loop_test(tc, spec_rejects_malformed_text, 0,
                        (int)(sizeof bad_specs / sizeof bad_specs[0]));
    tcase_add_test(tc, spec_check_suggests_the_closest_parameter);
    tcase_add_test(tc, diag_suggests_only_close_names);
    suite_add_tcase(s, tc);
    return s;
}
