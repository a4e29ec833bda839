/* Per-node statistics (models/kinds/nodeload.c): exact time averages and share
 * statistics on hand-made sequences, and, through a balancer in a run, the
 * fraction of replicas with at least k requests against the mean-field
 * limit of the power of d choices. */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "models/kind.h"
#include "models/kinds/nodeload.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define SEC 1000000000LL

/* Node 0 holds 1 request over [0, 3 s) and 2 over [1, 2 s); node 1 none;
 * the window is [0, 4 s): ge1 = 3 / (2 x 4), ge2 = 1 / 8. */
START_TEST(time_average_levels_are_exact)
{
    struct nodeload l;
    nodeload_init(&l, 2, true);
    nodeload_start(&l, 0, 0, true);
    nodeload_start(&l, 0, 1 * SEC, true);
    nodeload_done(&l, 0, 2 * SEC);
    nodeload_done(&l, 0, 3 * SEC);
    ck_assert_double_eq(nodeload_frac_ge(&l, 0, 4 * SEC), 1);
    ck_assert_double_eq(nodeload_frac_ge(&l, 1, 4 * SEC), 3.0 / 8);
    ck_assert_double_eq(nodeload_frac_ge(&l, 2, 4 * SEC), 1.0 / 8);
    ck_assert_double_eq(nodeload_frac_ge(&l, 3, 4 * SEC), 0);
    /* a cut at 1 s: over [1, 4 s) node 0 is at >= 1 for 2 s, >= 2 for 1 s */
    nodeload_fini(&l);
    nodeload_init(&l, 2, true);
    nodeload_start(&l, 0, 0, false);
    nodeload_reset(&l, 1 * SEC);
    nodeload_start(&l, 0, 1 * SEC, true);
    nodeload_done(&l, 0, 2 * SEC);
    nodeload_done(&l, 0, 3 * SEC);
    ck_assert_double_eq_tol(nodeload_frac_ge(&l, 1, 4 * SEC), 2.0 / 6, 1e-12);
    ck_assert_double_eq_tol(nodeload_frac_ge(&l, 2, 4 * SEC), 1.0 / 6, 1e-12);
    ck_assert_uint_eq(l.routed[0], 1); /* only the measured start counts in the shares */
    nodeload_fini(&l);
}
END_TEST

/* Counts 1, 1, 1, 5: mean 2, max/mean 2.5, CV = sqrt(3) / 2; over the first
 * three nodes only (the others out of use) all equal. */
START_TEST(share_statistics_are_exact)
{
    struct nodeload l;
    nodeload_init(&l, 4, false);
    for (uint32_t i = 0; i < 4; i++)
        for (int k = 0; k < (i == 3 ? 5 : 1); k++)
            nodeload_start(&l, i, 0, true);
    double mom, cv;
    nodeload_shares(&l, 4, &mom, &cv);
    ck_assert_double_eq_tol(mom, 2.5, 1e-12);
    ck_assert_double_eq_tol(cv, sqrt(3) / 2, 1e-12);
    nodeload_shares(&l, 3, &mom, &cv);
    ck_assert_double_eq_tol(mom, 1, 1e-12);
    ck_assert_double_eq_tol(cv, 0, 1e-12);
    struct metric_out out[4];
    ck_assert_uint_eq(nodeload_metrics(&l, 4, SEC, out, 4), 3); /* no levels: not tracked */
    nodeload_fini(&l);
}
END_TEST

/* The fraction of 200 replicas (one exponential worker each, load rho =
 * 0.8) with at least k requests from the balancer, against the supermarket
 * model's mean-field limit rho^((d^k - 1)/(d - 1)) (Mitzenmacher 2001):
 * d = 2 with replacement gives 0.8, 0.512, 0.2097, 0.0352; random (d = 1,
 * M/M/1 per replica) rho^k. The O(1/n) finite-size error and the noise of
 * 60 s (10^6 requests) stay within 0.01 (measured: 0.004 at most). */
static void run_levels(const char *policy, double *ge)
{
    char text[512];
    snprintf(text, sizeof text,
             "[sim]\nduration = 60s\nwarmup = 5s\n\n[client c]\narrival = poisson(rate=16000/s)\n"
             "to = lb\n\n[balancer lb]\nto = app\npolicy = %s\n\n"
             "[service app]\nreplicas = 200\nworkers = 1\nservice = exp(mean=10ms)\n",
             policy);
    struct sim sim;
    struct scenario *sc;
    struct sc_point *pt;
    tl_model_build(&sim, &sc, &pt, text, 5, 60 * SEC);
    sim_run(&sim);
    for (unsigned k = 0; k <= NODELOAD_K; k++) {
        char name[32];
        snprintf(name, sizeof name, "inflight_ge%u", k);
        ge[k] = tl_metric(&sim, kind_lookup(&sim, "lb"), name);
    }
    tl_model_free(&sim, &sc, &pt);
}

START_TEST(power_of_d_levels_match_the_mean_field_limit)
{
    static const struct {
        const char *policy;
        double d;
    } cases[] = {{"power_of_two_replace(d=2)", 2}, {"random", 1}};
    double rho = 0.8;
    const char *policy = cases[_i].policy;
    double d = cases[_i].d, ge[NODELOAD_K + 1];
    run_levels(policy, ge);
    ck_assert_double_eq(ge[0], 1);
    for (unsigned k = 1; k <= 4; k++) {
        double want = d == 1 ? pow(rho, k) : pow(rho, (pow(d, k) - 1) / (d - 1));
        double got = ge[k];
        ck_assert_msg(fabs(got - want) < 0.01, "%s: k = %u: got %.4f, mean field %.4f", policy,
                      k, got, want);
    }
}
END_TEST

Suite *nodeload_suite(void)
{
    Suite *s = suite_create("nodeload");
    TCase *t = tcase_create("levels");
    tcase_add_test(t, time_average_levels_are_exact);
    tcase_add_test(t, share_statistics_are_exact);
    tcase_add_loop_test(t, power_of_d_levels_match_the_mean_field_limit, 0, 2);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}
