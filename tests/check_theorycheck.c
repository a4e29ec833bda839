/* Theory beside the simulation: which models, as built from scenario text,
 * meet a method's conditions (models/theorycheck.c), and the values
 * summary.csv then gets (output/theory_apply.c). The values are checked
 * against hand-computed closed forms to the digits written here. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/theorycheck.h"
#include "output/theory_apply.h"
#include "tests/testlib.h"

/* Builds text's model and checks it. */
static void check_text(const char *text, struct theory_model *m)
{
    struct sim sim;
    struct scenario *sc;
    struct sc_point *pt;
    tl_model_build(&sim, &sc, &pt, text, 1, 1000000000);
    theory_check(&sim, m);
    m->component = NULL; /* borrowed from the point, freed below */
    tl_model_free(&sim, &sc, &pt);
}

/* The model does not qualify, for a reason that names `why`. */
static void refused(const char *text, const char *why)
{
    struct theory_model m;
    check_text(text, &m);
    ck_assert_msg(!m.applies, "should not qualify:\n%s", text);
    ck_assert_msg(m.why && strstr(m.why, why), "reason '%s', want '%s'", m.why ? m.why : "(none)",
                  why);
    const char *method;
    ck_assert(isnan(theory_apply_value(&m, "latency_mean_ms", &method)));
    ck_assert_ptr_null(method);
}

#define CLIENT "[client load]\narrival = poisson(rate=2.55/s)\nto = app\n"
#define MM3 "[service app]\nworkers = 3\nservice = exp(mean=1s)\n"

/* hello.ini: M/M/3 at rho 0.85. Erlang C by hand: sum_{k<3} a^k/k! =
 * 6.80125, a^3/3! x 3/(3 - a) = 18.42375, C = 18.42375/25.225 = 0.7303766,
 * Wq = C/0.45 = 1.6230591 s, so the mean response is 2623.059 ms. */
START_TEST(hello_is_erlang_c)
{
    struct theory_model m;
    check_text(CLIENT MM3, &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_uint_eq(m.st.workers, 3);
    ck_assert(m.st.exponential && !m.st.constant);
    ck_assert_double_eq_tol(m.lambda, 2.55, 1e-12);
    ck_assert_double_eq_tol(m.rho, 0.85, 1e-12);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 2623.059, 1e-3);
    ck_assert_str_eq(method, "erlang_c");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_all_mean_ms", &method), 2623.059,
                            1e-3);
    /* the percentiles rise with p, and the median is below the mean */
    double p50 = theory_apply_value(&m, "latency_p50_ms", &method);
    ck_assert_str_eq(method, "erlang_c");
    double p90 = theory_apply_value(&m, "latency_p90_ms", &method);
    double p99 = theory_apply_value(&m, "latency_p99_ms", &method);
    double p999 = theory_apply_value(&m, "latency_p999_ms", &method);
    ck_assert(1000 < p50 && p50 < 2623.059 && p50 < p90 && p90 < p99 && p99 < p999);
    ck_assert_double_eq(theory_apply_value(&m, "latency_all_p99_ms", &method), p99);
    /* rows no method gives stay empty */
    ck_assert(isnan(theory_apply_value(&m, "latency_max_ms", &method)));
    ck_assert_ptr_null(method);
    ck_assert(isnan(theory_apply_value(&m, "offered_rps", &method)));
    ck_assert(isnan(theory_apply_value(&m, "error_ratio", &method)));
}
END_TEST

/* M/M/1 at lambda 8/s, 100 ms: the response time is Exp(mu - lambda = 2/s):
 * mean 500 ms, p99 = ln(100)/2 s = 2302.585 ms. */
START_TEST(mm1_response_is_exponential)
{
    struct theory_model m;
    check_text("[client c]\narrival = poisson(rate=8/s)\nto = s\n"
               "[service s]\nservice = exp(mean=100ms)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 500, 1e-9);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p99_ms", &method), 2302.585, 1e-3);
    ck_assert_str_eq(method, "erlang_c");
}
END_TEST

/* M/D/1, 10 ms at 50/s (rho 0.5): P-K Wq = rho S / (2 (1 - rho)) = 5 ms,
 * mean 15 ms; the percentiles from the exact M/D/1 wait: P(Wq = 0) = 1 - rho
 * = 0.5, so the median response is the service time alone. */
START_TEST(md1_mean_and_percentiles)
{
    struct theory_model m;
    check_text("[client c]\narrival = poisson(rate=50/s)\nto = s\n"
               "[service s]\nservice = const(10ms)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert(m.st.constant);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 15, 1e-9);
    ck_assert_str_eq(method, "pk_mg1");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p50_ms", &method), 10, 1e-6);
    ck_assert_str_eq(method, "md1");
    double p99 = theory_apply_value(&m, "latency_p99_ms", &method);
    ck_assert(p99 > 15 && p99 < 60);
}
END_TEST

/* M/G/1, uniform 0..20 ms at 50/s: E[S^2] = 400/3 ms^2, Wq = lambda
 * E[S^2] / (2 (1 - rho)) = 20/3 ms, mean 16.667 ms; no exact percentiles. */
START_TEST(mg1_mean_only)
{
    struct theory_model m;
    check_text("[client c]\narrival = poisson(rate=50/s)\nto = s\n"
               "[service s]\nservice = uniform(min=0ms, max=20ms)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 10 + 20.0 / 3,
                            1e-9);
    ck_assert_str_eq(method, "pk_mg1");
    ck_assert(isnan(theory_apply_value(&m, "latency_p99_ms", &method)));
    ck_assert_ptr_null(method);
}
END_TEST

/* Two Poisson clients add up; a replica's speed scales its service time. */
START_TEST(clients_add_and_speed_scales)
{
    struct theory_model m;
    check_text("[client a]\narrival = poisson(rate=3/s)\nto = s\n"
               "[client b]\narrival = poisson(rate=5/s)\nto = s\n"
               "[service s]\nservice = exp(mean=200ms)\nspeed = 2\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(m.lambda, 8, 1e-12);
    ck_assert_double_eq_tol(m.st.mean_s, 0.1, 1e-12);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 500, 1e-9);
}
END_TEST

/* Random balancing over 4 replicas of M/M/1 at 32/s, 100 ms each: each
 * replica is M/M/1 at 8/s, response Exp(2/s): mean 500 ms, p99 2302.585 ms;
 * with uniform 0..20 ms service at 200/s over 4, each is M/G/1 at 50/s
 * (16.667 ms, as mg1_mean_only). */
START_TEST(random_split_thins)
{
    struct theory_model m;
    check_text("[client c]\narrival = poisson(rate=32/s)\nto = s\n"
               "[service s]\nservice = exp(mean=100ms)\nreplicas = 4\nbalance = random\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_uint_eq(m.st.replicas, 4);
    ck_assert_double_eq_tol(m.rho, 0.8, 1e-12);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 500, 1e-9);
    ck_assert_str_eq(method, "random_split");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p99_ms", &method), 2302.585, 1e-3);
    check_text("[client c]\narrival = poisson(rate=200/s)\nto = s\n"
               "[service s]\nservice = uniform(min=0ms, max=20ms)\nreplicas = 4\n"
               "balance = random\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 10 + 20.0 / 3,
                            1e-9);
    ck_assert_str_eq(method, "pk_mg1");
}
END_TEST

/* Several workers without exponential service: no exact method. */
START_TEST(mdc_has_no_method)
{
    struct theory_model m;
    check_text(CLIENT "[service app]\nworkers = 3\nservice = const(1s)\n", &m);
    ck_assert(m.applies);
    const char *method;
    ck_assert(isnan(theory_apply_value(&m, "latency_mean_ms", &method)));
    ck_assert(isnan(theory_apply_value(&m, "latency_p50_ms", &method)));
    ck_assert_ptr_null(method);
}
END_TEST

/* Every condition, broken one at a time, takes the theory away. */
START_TEST(conditions_refuse)
{
    refused("[client load]\narrival = poisson(rate=2.55/s)\nto = app\ntimeout = 5s\n" MM3,
            "timeout");
    refused("[client load]\narrival = poisson(rate=2.55/s)\nto = app\nattempts = 3\n"
            "retry = exponential(base=5ms, cap=2s, jitter=full)\n" MM3,
            "retry");
    refused("[client load]\narrival = constant(rate=2.55/s)\nto = app\n" MM3, "Poisson");
    refused("[client load]\narrival = step(before=1/s, after=2/s, at=60s)\nto = app\n" MM3,
            "Poisson");
    refused("[client load]\nusers = 5\nto = app\n" MM3, "closed-loop");
    refused("[client load]\narrival = poisson(rate=2.55/s)\nto = app\nlatency = const(1ms)\n" MM3,
            "latency");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\nqueue = 10\n", "bounded");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\nreplicas = 2\n",
            "replicas");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\nreplicas = 2\n"
                   "balance = random\nspeed = 1, 2\n",
            "speeds");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\nerror_rate = 0.01\n",
            "error_rate");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\nshed = length(max=5)\n",
            "shedding");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\ncalls = db\n"
                   "[store db]\nservice = exp(mean=1ms)\n",
            "kind no formula covers");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\ncalls = b\n"
                   "[service b]\nservice = exp(mean=1ms)\n",
            "more than one component");
    refused(CLIENT "[service app]\nworkers = 3\nservice = exp(mean=1s)\n"
                   "autoscale = hpa(min=1, max=3)\n",
            "autoscaled");
    refused(CLIENT MM3 "[fault f]\ntarget = app\naction = slow(factor=2)\nat = 10s\n"
                       "until = 20s\n",
            "fault");
    refused("[client load]\narrival = poisson(rate=3/s)\nto = app\n" MM3, "rho >= 1");
    refused("[client load]\narrival = poisson(rate=2.55/s)\nto = lb\n"
            "[balancer lb]\nto = app\n" MM3,
            "kind no formula covers");
    refused(CLIENT "[service app]\nworkers = 1\n"
                   "service = pareto(scale=100ms, alpha=1.5)\n",
            "finite mean and variance");
}
END_TEST

Suite *theorycheck_suite(void)
{
    Suite *s = suite_create("theorycheck");
    TCase *tc = tcase_create("theorycheck");
    tcase_add_test(tc, hello_is_erlang_c);
    tcase_add_test(tc, mm1_response_is_exponential);
    tcase_add_test(tc, md1_mean_and_percentiles);
    tcase_add_test(tc, mg1_mean_only);
    tcase_add_test(tc, clients_add_and_speed_scales);
    tcase_add_test(tc, random_split_thins);
    tcase_add_test(tc, mdc_has_no_method);
    tcase_add_test(tc, conditions_refuse);
    suite_add_tcase(s, tc);
    return s;
}
