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

/* M/M/4/6 (4 workers, queue = 2) at lambda 3, mu 1, as
 * scenarios/validation/mmck-4-6.ini: p_n is proportional to a^n/n! up to
 * n = 4 and a^n/(4! 4^(n-4)) above: 1, 3, 4.5, 4.5, 3.375, 2.53125,
 * 1.8984375, summing to 20.8046875; blocking p_6 = 0.0912505; L =
 * 63.046875/20.8046875 = 3.030413, T = L/(3 (1 - p_6)) = 1.111570 s. */
START_TEST(mmck_blocking_and_admitted_mean)
{
    struct theory_model m;
    check_text("[client load]\narrival = poisson(rate=3/s)\nto = app\n"
               "[service app]\nworkers = 4\nqueue = 2\nservice = exp(mean=1s)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    const char *method;
    ck_assert_double_eq_tol(theory_apply_value(&m, "rejected_ratio", &method), 0.0912505, 1e-7);
    ck_assert_str_eq(method, "mmck");
    ck_assert_double_eq_tol(theory_apply_value(&m, "refused_ratio", &method), 0.0912505, 1e-7);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 1111.570, 1e-3);
    ck_assert_str_eq(method, "mmck");
    /* The admitted's percentiles: they find n = 0..5 with weights 1, 3,
     * 4.5, 4.5, 3.375, 2.53125 (over 18.90625): Exp(1) below 4, Exp(4) +
     * Exp(1) at 4, Erlang(2, 4) + Exp(1) at 5, whose survivals e^-t,
     * (4 e^-t - e^-4t)/3 and e^-4t (1 + 4t) + 16 e^-t (1 - e^-3t (1 + 3t))/9
     * mix to p50 821.7723 ms, p90 2453.8065, p99 4756.7195, p999 7059.3052.
     * latency_all_ counts the rejected requests too: none there. */
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p50_ms", &method), 821.7723, 1e-3);
    ck_assert_str_eq(method, "mmck");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p90_ms", &method), 2453.8065, 1e-3);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p99_ms", &method), 4756.7195, 1e-3);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p999_ms", &method), 7059.3052, 1e-3);
    ck_assert(isnan(theory_apply_value(&m, "latency_all_p99_ms", &method)));
    ck_assert(isnan(theory_apply_value(&m, "latency_all_mean_ms", &method)));
    ck_assert(isnan(theory_apply_value(&m, "error_ratio", &method)));
    ck_assert_ptr_null(method);
    /* a loss system is stable at any load: 10 arrivals a second on 4 workers */
    check_text("[client load]\narrival = poisson(rate=10/s)\nto = app\n"
               "[service app]\nworkers = 4\nqueue = 2\nservice = exp(mean=1s)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    double b = theory_apply_value(&m, "rejected_ratio", &method);
    ck_assert_msg(b > 0.6 && b < 1, "blocking at rho 2.5: %g", b);
}
END_TEST

/* Erlang B, c = 10, a = 7 (scenarios/validation/erlb-10.ini): B(k) = a
 * B(k-1)/(k + a B(k-1)) from B(0) = 1 gives B(10) = 0.0787409. An
 * admitted request never waits: its latency is its service time, mean 1 s
 * whatever the distribution, p99 -ln(0.01) s when exponential. */
START_TEST(erlang_b_any_service)
{
    struct theory_model m;
    const char *method;
    check_text("[client load]\narrival = poisson(rate=7/s)\nto = app\n"
               "[service app]\nworkers = 10\nqueue = 0\nservice = exp(mean=1s)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "rejected_ratio", &method), 0.0787409, 1e-7);
    ck_assert_str_eq(method, "erlang_b");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 1000, 1e-9);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p99_ms", &method), 4605.170, 1e-3);
    check_text("[client load]\narrival = poisson(rate=7/s)\nto = app\n"
               "[service app]\nworkers = 10\nqueue = 0\n"
               "service = lognormal(median=606.5306597ms, sigma=1)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "rejected_ratio", &method), 0.0787409, 1e-7);
    ck_assert_str_eq(method, "erlang_b");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 1000, 1e-6);
    ck_assert(isnan(theory_apply_value(&m, "latency_p99_ms", &method)));
}
END_TEST

/* M/D/1/2 (queue = 1) at rho 0.5: the departure chain has pi_0 = e^-rho,
 * so the loss is 1 - 1/(e^-rho + rho) = 1 - 1/1.1065307 = 0.0962745. A
 * bounded queue with lognormal service has no exact formula: nothing. */
START_TEST(md1k_loss_and_no_formula)
{
    struct theory_model m;
    const char *method;
    check_text("[client load]\narrival = poisson(rate=1/s)\nto = app\n"
               "[service app]\nqueue = 1\nservice = const(500ms)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "rejected_ratio", &method), 0.0962745, 1e-7);
    ck_assert_str_eq(method, "md1k");
    ck_assert(isnan(theory_apply_value(&m, "latency_mean_ms", &method)));
    ck_assert_ptr_null(method);
    check_text("[client load]\narrival = poisson(rate=1/s)\nto = app\n"
               "[service app]\nqueue = 3\nservice = lognormal(mean=500ms, p99=2s)\n",
               &m);
    ck_assert(isnan(theory_apply_value(&m, "rejected_ratio", &method)));
    ck_assert(isnan(theory_apply_value(&m, "latency_mean_ms", &method)));
    ck_assert_ptr_null(method);
}
END_TEST

/* Two M/M/1 in series at lambda 0.8, mu 1 (scenarios/validation/tandem-2.ini):
 * each sojourn is Exp(0.2), independent (Burke, Reich): the mean is 5 + 5 =
 * 10 s, the time Erlang-2 of rate 0.2, whose median x/0.2 solves
 * (1 + x) e^-x = 1/2 at x = 1.678347: 8.391735 s. An M/M/2 second station
 * adds its Erlang C mean: a = 0.8, C = 0.2286, Wq = C/1.2, T = 1.190476 s. */
#define TANDEM_CLIENT "[client load]\narrival = poisson(rate=0.8/s)\nto = s1\n"
#define TANDEM_S1 "[service s1]\nservice = exp(mean=1s)\nasync = true\ncalls = s2\n"
START_TEST(tandem_is_jackson)
{
    struct theory_model m;
    const char *method;
    check_text(TANDEM_CLIENT TANDEM_S1 "[service s2]\nservice = exp(mean=1s)\n", &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_uint_eq(m.nstations, 2);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 10000, 1e-6);
    ck_assert_str_eq(method, "jackson_tandem");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_all_mean_ms", &method), 10000, 1e-6);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_p50_ms", &method), 8391.735, 1e-2);
    ck_assert(isnan(theory_apply_value(&m, "rejected_ratio", &method)));
    check_text(TANDEM_CLIENT TANDEM_S1 "[service s2]\nworkers = 2\nservice = exp(mean=1s)\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 5000 + 1190.476,
                            1e-2);
    /* c = 2: the sojourns are not independent, no percentiles */
    ck_assert(isnan(theory_apply_value(&m, "latency_p50_ms", &method)));
    refused(TANDEM_CLIENT "[service s1]\nservice = exp(mean=1s)\ncalls = s2\n"
                          "[service s2]\nservice = exp(mean=1s)\n",
            "not as a tandem");
    refused(TANDEM_CLIENT TANDEM_S1 "[service s2]\nservice = const(1s)\n", "not exponential");
    refused(TANDEM_CLIENT TANDEM_S1 "[service s2]\nservice = exp(mean=1s)\nqueue = 5\n",
            "bounded queue in a tandem");
    refused(TANDEM_CLIENT TANDEM_S1 "[service s2]\nservice = exp(mean=2s)\n", "rho >= 1");
    refused(TANDEM_CLIENT TANDEM_S1 "[service s2]\nservice = exp(mean=1s)\n"
                                    "[service s3]\nservice = exp(mean=1s)\n",
            "more than one component");
    refused(TANDEM_CLIENT "[service s1]\nservice = exp(mean=1s)\nasync = true\ncalls = s2\n"
                          "call_timeout = 10s\n[service s2]\nservice = exp(mean=1s)\n",
            "not as a tandem");
}
END_TEST

/* A cache's hit ratio under independent references. Uniform keys: any
 * policy holds C of n equally likely keys, C/n = 0.1 exactly. Zipf(0.8)
 * over 10^5 keys, C = 1000: 0.20433 by Che and 0.17921 by Martina, the
 * values tests/validation/cache_theory.py computes independently. */
#define CACHE_MODEL(keys, ev, extra_client, extra_cache, extra_store)                           \
    "[client load]\narrival = poisson(rate=1000/s)\nkeys = " keys "\nto = c\n" extra_client     \
    "[cache c]\nto = db\ncapacity = 1000\neviction = " ev "\n" extra_cache                     \
    "[store db]\nservice = exp(mean=1ms)\nworkers = 10\n" extra_store

static double hit_theory(const char *text, const char **method)
{
    struct theory_model m;
    check_text(text, &m);
    return theory_apply_value(&m, "c.hit_ratio", method);
}

START_TEST(cache_hit_ratio_che_and_martina)
{
    const char *method;
    ck_assert_double_eq_tol(hit_theory(CACHE_MODEL("uniform(n=10000)", "lru", "", "", ""), &method),
                            0.1, 1e-12);
    ck_assert_str_eq(method, "che_lru");
    double h = hit_theory(CACHE_MODEL("zipf(n=100000, s=0.8)", "lru", "", "", ""), &method);
    ck_assert_msg(fabs(h - 0.20433) < 1e-5, "Che %g", h);
    ck_assert_str_eq(method, "che_lru");
    h = hit_theory(CACHE_MODEL("zipf(n=100000, s=0.8)", "fifo", "", "", ""), &method);
    ck_assert_msg(fabs(h - 0.17921) < 1e-5, "Martina %g", h);
    ck_assert_str_eq(method, "martina_fifo");
    h = hit_theory(CACHE_MODEL("zipf(n=100000, s=0.8)", "random", "", "", ""), &method);
    ck_assert_msg(fabs(h - 0.17921) < 1e-5, "Martina %g", h);
    ck_assert_str_eq(method, "martina_random");
    /* constant arrivals are as independent in their keys */
    ck_assert(!isnan(hit_theory("[client load]\narrival = constant(rate=1000/s)\n"
                                "keys = zipf(n=1000, s=1)\nto = c\n[cache c]\nto = db\n"
                                "capacity = 100\n[store db]\nservice = exp(mean=1ms)\n",
                                &method)));
    /* and none where the hit ratio is not the key sequence's alone */
    static const char *const none[] = {
        CACHE_MODEL("zipf(n=1000, s=1)", "clock", "", "", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "", "ttl = 10s\n", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "", "coalesce = true\n", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "writes = 10%\n", "", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "timeout = 1s\n", "", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "", "", "queue = 5\n"),
        CACHE_MODEL("hotset(n=1000, hot=10%, share=90%)", "lru", "", "", ""),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "", "",
                    "[fault f]\ntarget = db\naction = crash\nat = 10s\nuntil = 20s\n"),
        CACHE_MODEL("zipf(n=1000, s=1)", "lru", "", "",
                    "[client other]\narrival = poisson(rate=10/s)\nkeys = zipf(n=1000, s=0.5)\n"
                    "to = c\n"),
    };
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        ck_assert_msg(isnan(hit_theory(none[i], &method)), "a theory for:\n%s", none[i]);
        ck_assert_ptr_null(method);
    }
}
END_TEST

/* The writers share one check per sweep point: the memo checks a point
 * once (the same model every time it is asked) and gives what a fresh
 * check gives. */
START_TEST(memo_checks_each_point_once)
{
    struct sim sim;
    struct scenario *sc;
    struct sc_point *pt;
    tl_model_build(&sim, &sc, &pt,
                   CACHE_MODEL("zipf(n=100000, s=0.8)", "lru", "", "", ""), 1, 1000000000);
    struct theory_memo *memo = theory_memo_new(sc);
    struct theory_model a, b;
    const struct theory_model *m1 = theory_apply_memo(memo, sc, 0, &a);
    const struct theory_model *m2 = theory_apply_memo(memo, sc, 0, &b);
    ck_assert_ptr_eq(m1, m2);
    ck_assert_ptr_ne(m1, &a);
    const struct theory_model *fresh = theory_apply_memo(NULL, sc, 0, &b);
    ck_assert_ptr_eq(fresh, &b);
    const char *x, *y;
    ck_assert_double_eq(theory_apply_value(m1, "c.hit_ratio", &x),
                        theory_apply_value(fresh, "c.hit_ratio", &y));
    ck_assert_str_eq(x, "che_lru");
    ck_assert_str_eq(y, "che_lru");
    theory_memo_free(memo);
    theory_memo_free(NULL);
    tl_model_free(&sim, &sc, &pt);
}
END_TEST

/* Bernoulli feedback, the only way a request revisits a station in sdsim
 * (a call cycle is refused): a failure after service (error_rate = q) that
 * every client resends at once until it succeeds (attempts = 0). As
 * scenarios/validation/feedback.ini: lambda 0.5, q 0.2, M/M/1: the station
 * sees 0.625, T per visit 1/(1 - 0.625) = 2.6667 s, 1.25 visits: 3333.333
 * ms. M/M/2 at lambda 0.5, q 0.5: 1 a second, a = 1, C = 1/3, Wq = 1/3, T
 * per visit 4/3, 2 visits: 2666.667 ms. */
#define FB_CLIENT "[client load]\narrival = poisson(rate=0.5/s)\nto = app\nattempts = 0\n"
START_TEST(feedback_is_jackson)
{
    struct theory_model m;
    const char *method;
    check_text(FB_CLIENT "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.2\n", &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(m.feedback, 0.2, 1e-15);
    ck_assert_double_eq_tol(m.rho, 0.625, 1e-12);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 3333.333, 1e-3);
    ck_assert_str_eq(method, "jackson_feedback");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_all_mean_ms", &method), 3333.333,
                            1e-3);
    ck_assert(isnan(theory_apply_value(&m, "latency_p99_ms", &method))); /* no percentiles */
    ck_assert_ptr_null(method);
    check_text(FB_CLIENT "[service app]\nservice = exp(mean=1s)\nworkers = 2\nerror_rate = 0.5\n",
               &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 2666.667, 1e-3);
    /* and where it is not feedback, or not Jackson's */
    refused(CLIENT "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.2\n", "error_rate");
    refused(FB_CLIENT "[client other]\narrival = poisson(rate=0.1/s)\nto = app\n"
                      "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.2\n",
            "error_rate");
    refused(FB_CLIENT "[service app]\nservice = const(1s)\nerror_rate = 0.2\n", "exponential");
    refused(FB_CLIENT "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.2\nqueue = 4\n",
            "bounded queue");
    refused(FB_CLIENT "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.5\n", "rho >= 1");
    refused(FB_CLIENT "[service app]\nservice = exp(mean=1s)\nqueue = 4\n", "retry");
    refused(FB_CLIENT "[service app]\nservice = exp(mean=100ms)\nerror_rate = 0.2\n"
                      "calls = b\nasync = true\n[service b]\nservice = exp(mean=100ms)\n",
            "error_rate");
    refused("[client load]\narrival = poisson(rate=0.5/s)\nto = app\nattempts = 0\n"
            "retry = exponential(base=5ms, cap=2s, jitter=full)\n"
            "[service app]\nservice = exp(mean=1s)\nerror_rate = 0.2\n",
            "retr");
}
END_TEST

/* The power of d choices over N = 100 replicas at rho 0.9 (as
 * scenarios/validation/lb-p2c-100.ini): the mean-field mean
 * sum_{i >= 1} rho^((d^i - d)/(d - 1)) is 2.614057 s for d = 2 and
 * 2.027856 s for d = 3, with or without replacement (the same limit). */
#define P2C_CLIENT "[client load]\narrival = poisson(rate=90/s)\nto = app\n"
#define P2C(extra) "[service app]\nreplicas = 100\n" extra
#define EXP "service = exp(mean=1s)\n"
START_TEST(power_of_d_mean_field)
{
    struct theory_model m;
    const char *method;
    check_text(P2C_CLIENT P2C(EXP "balance = power_of_two(d=2)\n"), &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_uint_eq(m.st.choices, 2);
    ck_assert(!m.st.replace);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 2614.057, 1e-3);
    ck_assert_str_eq(method, "power_of_d");
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_all_mean_ms", &method), 2614.057,
                            1e-3);
    ck_assert(isnan(theory_apply_value(&m, "latency_p99_ms", &method)));
    check_text(P2C_CLIENT P2C(EXP "balance = power_of_two_replace(d=3)\n"), &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert(m.st.replace);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 2027.856, 1e-3);
    /* d = 1 picks one replica uniformly: random split, M/M/1 at 0.9 */
    check_text(P2C_CLIENT P2C(EXP "balance = power_of_two(d=1)\n"), &m);
    ck_assert_msg(m.applies, "refused: %s", m.why);
    ck_assert_double_eq_tol(theory_apply_value(&m, "latency_mean_ms", &method), 10000, 1e-6);
    ck_assert_str_eq(method, "random_split");
    refused("[client load]\narrival = poisson(rate=9/s)\nto = app\n"
            "[service app]\nservice = exp(mean=1s)\nreplicas = 10\nbalance = power_of_two\n",
            "fewer than 100 replicas");
    refused(P2C_CLIENT P2C(EXP "balance = power_of_two\nworkers = 2\n"), "more than one worker");
    refused(P2C_CLIENT P2C("balance = power_of_two\nservice = const(1s)\n"), "exponential");
    refused(P2C_CLIENT P2C(EXP "balance = power_of_two\nqueue = 10\n"), "bounded queue");
    refused(P2C_CLIENT P2C(EXP "balance = power_of_two(refresh=100ms)\n"), "exact counts");
    refused(P2C_CLIENT P2C(EXP "balance = least_connections\n"), "balance policy");
}
END_TEST

/* A [wars] store's rows: P(consistent) by theory_wars_p_consistent
 * (exponential delays; 0.4195590 at N = 3, R = W = 1, write delay mean 10
 * ms, the others 1 ms, t = 0), 1 for a strict quorum, PBS k-staleness with
 * propagate = quorum (1 - (2/3)^2 = 0.5555556 within 2 writes, 1/3
 * consistent), the latency percentiles where the two delays are
 * exponential (K-th smallest of N hypoexponentials). */
START_TEST(wars_store_rows)
{
    struct theory_model m;
    const char *method;
    check_text("[wars q]\nwrite_delay = exp(mean=10ms)\n", &m);
    ck_assert_uint_eq(m.nwars, 1);
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.p_consistent", &method), 0.4195590, 1e-6);
    ck_assert_str_eq(method, "wars_consistent");
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.p_within_k", &method), 0.4195590, 1e-6);
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.write_p99_ms", &method), 16.40417206,
                            1e-6);
    ck_assert_str_eq(method, "wars_latency");
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.read_p99_ms", &method), 2.894664188, 1e-6);
    ck_assert(isnan(theory_apply_value(&m, "q.read_mean_ms", &method)));
    ck_assert(isnan(theory_apply_value(&m, "other.p_consistent", &method)));
    check_text("[wars q]\nwrite_delay = const(10ms)\nread_quorum = 2\nwrite_quorum = 2\n", &m);
    ck_assert(theory_apply_value(&m, "q.p_consistent", &method) == 1);
    ck_assert(isnan(theory_apply_value(&m, "q.write_p99_ms", &method))); /* not exponential */
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.read_p99_ms", &method), 4.54470423, 1e-6);
    check_text("[wars q]\nwrite_delay = const(10ms)\n", &m);
    ck_assert(isnan(theory_apply_value(&m, "q.p_consistent", &method)));
    ck_assert_ptr_null(method);
    check_text("[wars q]\npropagate = quorum\nwrites = 2\n", &m);
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.p_within_k", &method), 5.0 / 9, 1e-12);
    ck_assert_str_eq(method, "pbs_kstale");
    ck_assert_double_eq_tol(theory_apply_value(&m, "q.p_consistent", &method), 1.0 / 3, 1e-12);
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
    tcase_add_test(tc, memo_checks_each_point_once);
    tcase_add_test(tc, feedback_is_jackson);
    tcase_add_test(tc, power_of_d_mean_field);
    tcase_add_test(tc, wars_store_rows);
    tcase_add_test(tc, hello_is_erlang_c);
    tcase_add_test(tc, mmck_blocking_and_admitted_mean);
    tcase_add_test(tc, erlang_b_any_service);
    tcase_add_test(tc, md1k_loss_and_no_formula);
    tcase_add_test(tc, tandem_is_jackson);
    tcase_add_test(tc, cache_hit_ratio_che_and_martina);
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
