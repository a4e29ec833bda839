/* The WARS probe (models/kinds/wars.c): quorum rules that hold on every trial
 * (strict quorums, constant delays), and the PBS k-staleness closed form,
 * on models built from scenario text and run for a fixed simulated time. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/model.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;

/* Builds `text`, runs it for run_s simulated seconds and returns the probe
 * `q`. */
static struct component *run(const char *text, double run_s)
{
    tl_model_build(&sim, &sc, &pt, text, 7, (int64_t)(run_s * 1e9));
    sim_run(&sim); /* starts every component */
    return kind_lookup(&sim, "q");
}

static double metric(const struct component *c, const char *name)
{
    return tl_metric(&sim, c, name);
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

/* R + W > N: every read quorum meets every write quorum. */
START_TEST(strict_quorum_reads_are_always_consistent)
{
    struct component *q = run("[sim]\nduration = 100s\n\n[wars q]\nreplicas = 3\n"
                              "read_quorum = 2\nwrite_quorum = 2\n"
                              "write_delay = exp(mean=10ms)\n",
                              100);
    ck_assert_double_gt(metric(q, "trials"), 1000);
    ck_assert_double_eq(metric(q, "p_consistent"), 1);
    ck_assert_double_eq(metric(q, "versions_behind_mean"), 0);
}
END_TEST

/* Constant delays: a write returns at W + A = 11 ms, a read at R + S = 2 ms;
 * every replica has applied the write by then. */
START_TEST(constant_delays_give_exact_latencies)
{
    struct component *q = run("[sim]\nduration = 1s\n\n[wars q]\nwrite_delay = const(10ms)\n"
                              "ack_delay = const(1ms)\nread_delay = const(1ms)\n"
                              "response_delay = const(1ms)\nread_after = 5ms\n",
                              1);
    ck_assert_double_eq(metric(q, "trials"), 55); /* 1 s / (11 + 5 + 2 ms), floor */
    ck_assert_double_eq(metric(q, "write_mean_ms"), 11);
    ck_assert_double_eq(metric(q, "read_mean_ms"), 2);
    ck_assert_double_eq(metric(q, "p_consistent"), 1);
}
END_TEST

/* A read long after the write finds every replica up to date. */
START_TEST(a_late_read_is_consistent)
{
    struct component *q = run("[sim]\nduration = 100s\n\n[wars q]\nread_after = 1s\n", 100);
    ck_assert_double_eq(metric(q, "p_consistent"), 1);
}
END_TEST

/* PBS k-staleness: with writes kept only by the first W replicas to ack, a
 * read of R replicas sees one of k writes with probability 1 - (C(N-W, R) /
 * C(N, R))^k; N = 3, R = W = 1: 1 - (2/3)^k. Tolerance: 4 standard errors
 * of about 1e5 trials. */
START_TEST(quorum_only_writes_follow_the_k_staleness_formula)
{
    static const int ks[] = {1, 2, 3};
    char text[256];
    int k = ks[_i];
    snprintf(text, sizeof text,
             "[sim]\nduration = 400s\n\n[wars q]\npropagate = quorum\nwrites = %d\n", k);
    struct component *q = run(text, 400);
    double expect = 1 - pow(2.0 / 3.0, k), n = metric(q, "trials");
    ck_assert_double_gt(n, 30000);
    ck_assert_double_eq_tol(metric(q, "p_within_k"), expect, 4 * sqrt(expect * (1 - expect) / n));
    /* The newest write alone is seen with probability 1/3 whatever k is. */
    ck_assert_double_eq_tol(metric(q, "p_consistent"), 1.0 / 3.0, 4 * sqrt(2.0 / 9.0 / n));
}
END_TEST

/* Beyond the old cap of 64 replicas: N = 600, W = 300, R = 1 with writes
 * kept by the first 300 to ack only: a read of one replica sees the write
 * with probability W/N = 1/2. Every replica's events must reach its own
 * state (an index cut to fewer bits would alias replicas). Tolerance: 4
 * standard errors. */
START_TEST(hundreds_of_replicas_follow_the_quorum_formula)
{
    struct component *q = run("[sim]\nduration = 20s\n\n[wars q]\nreplicas = 600\n"
                              "write_quorum = 300\npropagate = quorum\n",
                              20);
    double n = metric(q, "trials");
    ck_assert_double_gt(n, 1000);
    ck_assert_double_eq_tol(metric(q, "p_consistent"), 0.5, 4 * sqrt(0.25 / n));
}
END_TEST

/* R + W > N at N = 4096: every read is consistent. */
START_TEST(strict_quorums_at_4096_replicas)
{
    struct component *q = run("[sim]\nduration = 2s\n\n[wars q]\nreplicas = 4096\n"
                              "read_quorum = 2048\nwrite_quorum = 2049\n",
                              2);
    ck_assert_double_gt(metric(q, "trials"), 10);
    ck_assert_double_eq(metric(q, "p_consistent"), 1);
}
END_TEST

Suite *wars_suite(void)
{
    Suite *s = suite_create("wars");
    TCase *t = tcase_create("quorums");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, strict_quorum_reads_are_always_consistent);
    tcase_add_test(t, constant_delays_give_exact_latencies);
    tcase_add_test(t, a_late_read_is_consistent);
    tcase_add_test(t, hundreds_of_replicas_follow_the_quorum_formula);
    tcase_add_test(t, strict_quorums_at_4096_replicas);
    tcase_add_loop_test(t, quorum_only_writes_follow_the_k_staleness_formula, 0, 3);
    suite_add_tcase(s, t);
    return s;
}
