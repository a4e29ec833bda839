/* Whole runs in process: theory on small cases, exact deterministic cases,
 * accounting, determinism, common random numbers and bounded memory. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "sim/hist.h"
#include "output/results.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/testlib.h"

/* Runs every run of text; returns the results (caller frees with done()). */
static struct run_result *run_all(const char *text, size_t *n, int jobs)
{
    return tl_runs(text, jobs, n);
}

static void done(struct run_result *res, size_t n)
{
    tl_runs_free(res, n);
}

static double mean_ms(const struct sparse_hist *h)
{
    return (double)(h->sum / (long double)h->total) / 1e6;
}

/* M/M/1 at rho = 0.5: mean response 2 s. With about 500k requests after the
 * warm-up the 95% half-width is about 1.4% (Whitt 1989); 5% is > 6 sigma. */
START_TEST(mm1_mean_response_matches_theory)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=1000000s\nwarmup=1000s\nseed=4\n"
                                   "[client c]\narrival=poisson(rate=0.5/s)\nto=s\n"
                                   "[service s]\nservice=exp(mean=1s)\n",
                                   &n, 1);
    ck_assert_double_eq_tol(mean_ms(&r->latency), 2000, 100);
    /* utilisation rho = 0.5; L = rho / (1 - rho) = 1 */
    ck_assert_double_eq_tol(r->comps[0].mean_busy, 0.5, 0.01);
    ck_assert_double_eq_tol(r->comps[0].mean_insys, 1.0, 0.05);
    done(r, n);
}
END_TEST

/* Deterministic D/D/1: arrivals every 1 s, service 0.5 s: nobody waits, the
 * server is busy exactly half the time, and latency is the service time plus
 * two 10 ms hops. Exact, so the tolerances are rounding only. */
START_TEST(deterministic_queue_gives_exact_figures)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=1000s\nwarmup=100s\n"
                                   "[client c]\narrival=constant(rate=1/s)\nto=s\n"
                                   "latency=const(10ms)\n"
                                   "[service s]\nservice=const(500ms)\n",
                                   &n, 1);
    /* born at 100 s, 101 s, ..., 1000 s; the last one is still in service */
    ck_assert_uint_eq(r->offered, 901);
    ck_assert_uint_eq(r->completed, 900);
    ck_assert_uint_eq(r->in_flight, 1);
    ck_assert_int_eq(r->latency.min, 520000000);
    ck_assert_int_eq(r->latency.max, 520000000);
    ck_assert_double_eq_tol(r->comps[0].mean_busy, 0.5, 1e-6);
    ck_assert_uint_eq(r->comps[0].wait.total, r->comps[0].wait.count[0]); /* all waits 0 */
    done(r, n);
}
END_TEST

/* Levels are snapshotted at the cut: a queue that is already long at the cut
 * counts from its value there. Arrivals at 2/s into a 1/s server from t=0:
 * after the cut at 100 s about 100 wait, growing by 1 per second, so the mean
 * queue over [100, 200] is about 150, not the 50 a reset-to-zero would give. */
START_TEST(levels_are_snapshotted_at_the_cut)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=200s\nwarmup=100s\n"
                                   "[client c]\narrival=constant(rate=2/s)\nto=s\n"
                                   "[service s]\nservice=const(1s)\n",
                                   &n, 1);
    ck_assert_double_eq_tol(r->comps[0].mean_queue, 150, 1.5);
    ck_assert_uint_gt(r->in_flight, 90); /* measured requests still queued at the end */
    done(r, n);
}
END_TEST

START_TEST(every_measured_request_is_accounted_once)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=300s\nwarmup=30s\nrepeat=3\n"
                                   "[client c]\narrival=poisson(rate=8/s)\nto=s\ntimeout=3s\n"
                                   "attempts=2\n"
                                   "[service s]\nworkers=10\nqueue=3\nerror_rate=0.1\n"
                                   "service=exp(mean=1s)\n",
                                   &n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_eq(r[i].offered, r[i].completed + r[i].rejected + r[i].timeouts +
                                            r[i].errors + r[i].in_flight);
        ck_assert_uint_gt(r[i].timeouts, 0);
        ck_assert_uint_gt(r[i].rejected, 0);
        ck_assert_uint_gt(r[i].errors, 0);
        ck_assert_uint_ge(r[i].attempts, r[i].offered);
    }
    done(r, n);
}
END_TEST

static const char *const sweep_text =
    "[sim]\nduration=200s\nrepeat=2\nseed=9\n"
    "[client c]\narrival=poisson(rate=15/s)\nto=s\n"
    "[service s]\nreplicas=4\nworkers=1\nbalance=${b = random, round_robin}\n"
    "service=exp(mean=200ms)\n";

START_TEST(same_seed_same_results_at_any_thread_count)
{
    size_t n1, n2;
    struct run_result *a = run_all(sweep_text, &n1, 1);
    struct run_result *b = run_all(sweep_text, &n2, 3);
    ck_assert_uint_eq(n1, 4);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        ck_assert_uint_eq(a[i].seed, b[i].seed);
        ck_assert_uint_eq(a[i].completed, b[i].completed);
        ck_assert_uint_eq(a[i].events, b[i].events);
        ck_assert(a[i].latency.sum == b[i].latency.sum);
    }
    done(a, n1);
    done(b, n2);
}
END_TEST

/* Common random numbers: both policies see the same arrivals and the same
 * work (replication r of each point uses the same seed), so they are offered
 * exactly the same requests; only the latency differs. */
START_TEST(policies_are_compared_on_the_same_traffic)
{
    size_t n;
    struct run_result *r = run_all(sweep_text, &n, 1);
    ck_assert_uint_eq(r[0].seed, r[2].seed);
    ck_assert_uint_eq(r[0].offered, r[2].offered);
    ck_assert_uint_eq(r[1].offered, r[3].offered);
    ck_assert_uint_ne(r[0].offered, r[1].offered);
    ck_assert(r[0].latency.sum != r[2].latency.sum);
    done(r, n);
}
END_TEST

/* Memory follows the requests in flight, not the requests served: a closed
 * loop of 50 users with timeouts that mostly do not fire reuses the same few
 * request records and event records for 10^5 requests. */
START_TEST(memory_follows_requests_in_flight)
{
    struct scenario *sc;
    struct sc_point *pt;
    struct sim sim;
    tl_model_build(&sim, &sc, &pt,
                   "[sim]\nduration=2000s\n"
                   "[client c]\nusers=50\nthink=exp(mean=1s)\ntimeout=5s\nto=s\n"
                   "[service s]\nworkers=50\nservice=exp(mean=10ms)\n",
                   1, 2000LL * 1000000000LL);
    sim_run(&sim);
    ck_assert_uint_gt(sim.pool.next_id, 90000);
    ck_assert_uint_le(sim.pool.nchunks, 1);          /* <= 256 request records */
    ck_assert_uint_le(evq_capacity(sim.q), 200); /* event records */
    tl_model_free(&sim, &sc, &pt);
}
END_TEST

/* [sim] max_in_flight stops the run when the requests held reach it, at
 * that moment. D/D/1 overload, exact: births every 0.5 s from 0.5 s, one
 * server taking 980 ms, so completion j is at 0.5 + 0.98 j s. Held
 * requests first reach 100 at birth 202 (t = 101 s), when 102 are done:
 * 202 - 102 = 100 (no completion ties with a birth before then). */
#define DD1_OVERLOAD "[client c]\narrival=constant(rate=2/s)\nto=s\n" \
                     "[service s]\nservice=const(980ms)\n"

START_TEST(run_stops_when_requests_held_reach_max_in_flight)
{
    size_t n;
    struct run_result *r =
        run_all("[sim]\nduration=1000s\nmax_in_flight=100\n" DD1_OVERLOAD, &n, 1);
    ck_assert_int_eq(r->stop.overloaded, 1);
    ck_assert_double_eq_tol(r->stop.at_s, 101.0, 1e-9);
    ck_assert_double_eq_tol(r->window_s, 101.0, 1e-9); /* statistics up to the stop */
    ck_assert_uint_eq(r->stop.in_flight, 100);
    ck_assert_uint_eq(r->offered, 202);
    ck_assert_uint_eq(r->completed, 102);
    ck_assert_uint_eq(r->in_flight, 100);
    ck_assert_str_eq(r->stop.busiest, "s");
    ck_assert_uint_eq(r->stop.queued, 99); /* and one in service */
    ck_assert_double_eq_tol(r->stop.offered_rps, 2.0, 1e-9);       /* 202 in 101 s */
    ck_assert_double_eq_tol(r->stop.capacity_rps, 1 / 0.98, 1e-9); /* 1 worker / 980 ms */
    done(r, n);
}
END_TEST

/* The same model without a limit, or with one it never reaches, runs to
 * its end and is not marked. */
START_TEST(run_below_the_limit_is_not_stopped)
{
    size_t n;
    struct run_result *r =
        run_all("[sim]\nduration=150s\nmax_in_flight=${m = 200, none}\n" DD1_OVERLOAD, &n, 1);
    ck_assert_uint_eq(n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(r[i].stop.overloaded, 0);
        ck_assert_double_eq_tol(r[i].window_s, 150.0, 1e-9);
        ck_assert_uint_eq(r[i].offered, 300);
    }
    done(r, n);
}
END_TEST

/* Requests whose client has given up still sit in the queue and are still
 * served, so they count: with a 5 s timeout the client waits for at most
 * 10 requests, yet the run stops exactly when it did without one. */
START_TEST(abandoned_requests_count_towards_max_in_flight)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=1000s\nmax_in_flight=100\n"
                                   "[client c]\narrival=constant(rate=2/s)\nto=s\ntimeout=5s\n"
                                   "[service s]\nservice=const(980ms)\n",
                                   &n, 1);
    ck_assert_int_eq(r->stop.overloaded, 1);
    ck_assert_double_eq_tol(r->stop.at_s, 101.0, 1e-9);
    ck_assert_uint_eq(r->stop.in_flight, 100);
    ck_assert_uint_le(r->in_flight, 10); /* what the client still waits for */
    ck_assert_uint_gt(r->timeouts, 80);
    done(r, n);
}
END_TEST

/* A run that stops inside its warm-up has measured nothing: an empty
 * window, no counts, no latencies. */
START_TEST(run_stopped_in_the_warmup_has_empty_statistics)
{
    size_t n;
    struct run_result *r =
        run_all("[sim]\nduration=1000s\nwarmup=500s\nmax_in_flight=100\n" DD1_OVERLOAD, &n, 1);
    ck_assert_int_eq(r->stop.overloaded, 1);
    ck_assert_double_eq_tol(r->stop.at_s, 101.0, 1e-9);
    ck_assert_double_eq_tol(r->window_s, 0.0, 1e-12);
    ck_assert_uint_eq(r->offered, 0);
    ck_assert_uint_eq(r->latency.total, 0);
    ck_assert_uint_eq(r->comps[0].arrivals, 0);
    ck_assert_uint_eq(r->comps[0].resp.total, 0);
    done(r, n);
}
END_TEST

/* The limit is reached by the birth that makes reqs_live equal to it, not
 * one before; a freed request makes room again. */
START_TEST(limit_is_reached_at_exactly_max_in_flight)
{
    struct sim sim;
    sim_init(&sim, 1, 0, 1000);
    sim.limits.max_in_flight = 3;
    struct request *a = sim_req_new(&sim);
    struct request *b = sim_req_new(&sim);
    sim_req_free(&sim, a);
    a = sim_req_new(&sim);
    ck_assert(!sim.limits.overloaded);
    struct request *c = sim_req_new(&sim);
    ck_assert(sim.limits.overloaded);
    ck_assert(sim.stop);
    ck_assert_uint_eq(sim.limits.overload.in_flight, 3);
    sim_req_free(&sim, a);
    sim_req_free(&sim, b);
    sim_req_free(&sim, c);
    sim_fini(&sim);
}
END_TEST

/* An event that schedules itself again after *(int64_t *)a nanoseconds. */
static void again(struct sim *sim, void *a, void *b)
{
    (void)b;
    sim_after(sim, *(int64_t *)a, again, a, NULL);
}

/* A loop of zero-time steps never lets the clock reach the end: the run
 * stops after stall_events events in a row at one instant, marked stalled,
 * at that instant. The same loop with 1 ns steps is not stalled. */
START_TEST(a_clock_that_stands_still_stops_the_run)
{
    struct sim sim;
    int64_t zero = 0, one = 1;
    sim_init(&sim, 1, 0, 1000000);
    sim.limits.stall_events = 1000;
    sim_at(&sim, 5, again, &zero, NULL);
    int64_t end = sim_run(&sim);
    ck_assert(sim.limits.stalled);
    ck_assert_int_eq(end, 5);
    ck_assert_uint_eq(sim.events, 1001);
    sim_fini(&sim);

    sim_init(&sim, 1, 0, 5000);
    sim.limits.stall_events = 1000;
    sim_at(&sim, 0, again, &one, NULL);
    ck_assert_int_eq(sim_run(&sim), 5000);
    ck_assert(!sim.limits.stalled);
    sim_fini(&sim);
}
END_TEST

static double extra(const struct run_result *r, const char *name)
{
    for (size_t k = 0; k < r->nextra; k++)
        if (strcmp(r->extra[k].name, name) == 0)
            return r->extra[k].value;
    ck_abort_msg("no metric %s", name);
    return 0;
}

/* Two occ users on one row, every message exactly 10 ms: both read version
 * 0 (reply at 20 ms) and send their writes, which reach the row together at
 * 30 ms; one commits (reply at 40 ms), the other is refused and, after the
 * backoff of failure 1, reads and writes again: done at 80 ms without a
 * wait, at 90 ms after exponential's 2 * 5 ms. Six calls either way. */
START_TEST(occ_users_retry_a_refused_write_after_the_backoff)
{
    static const char *const retry[] = {"", "retry=exponential(base=5ms, cap=2s, jitter=none)\n"};
    static const double last_s[] = {0.08, 0.09};
    for (int i = 0; i < 2; i++) {
        char text[512];
        snprintf(text, sizeof text,
                 "[sim]\nduration=10s\n[client c]\nocc=true\nusers=2\nto=db\n"
                 "keys=uniform(n=1)\nattempts=0\nlatency=const(10ms)\n%s"
                 "[store db]\nservice=const(0)\n",
                 retry[i]);
        size_t n;
        struct run_result *r = run_all(text, &n, 1);
        ck_assert_uint_eq(r[0].completed, 2);
        ck_assert_uint_eq(r[0].attempts, 3); /* conditional writes */
        ck_assert_double_eq(extra(&r[0], "total_calls"), 6);
        ck_assert_double_eq(extra(&r[0], "occ_writes"), 3);
        ck_assert_double_eq(extra(&r[0], "cas_conflicts"), 1);
        ck_assert_double_eq(extra(&r[0], "unfinished_users"), 0);
        /* exact in ns; the tolerance only absorbs the conversion to seconds */
        ck_assert_double_eq_tol(extra(&r[0], "last_completion_s"), last_s[i], 1e-12);
        done(r, n);
    }
}
END_TEST

/* One call, db takes exactly 50 ms with one worker: api hedges at 10 and
 * 20 ms (call_hedges = 2), the copies queue behind the first, and its reply
 * at 50 ms is the outcome. The second copy has started by then (db frees
 * its worker before replying) and is served for nothing; the third is
 * still queued and db drops it (drop_abandoned). */
START_TEST(hedged_call_takes_the_first_reply_and_gives_up_the_copies)
{
    size_t n;
    struct run_result *r = run_all("[sim]\nduration=1.5s\n"
                                   "[client c]\nusers=1\nthink=const(1s)\nto=api\n"
                                   "[service api]\nservice=const(0)\ncalls=db\n"
                                   "call_hedge=10ms\ncall_hedges=2\n"
                                   "[service db]\nservice=const(50ms)\ndrop_abandoned=true\n",
                                   &n, 1);
    ck_assert_uint_eq(r[0].completed, 1);
    ck_assert_uint_eq(r[0].in_flight, 0);
    ck_assert_double_eq_tol(mean_ms(&r[0].latency), 50, 0.25); /* histogram bucket error */
    ck_assert_double_eq(extra(&r[0], "api.calls"), 3);
    ck_assert_double_eq(extra(&r[0], "api.call_hedges"), 2);
    ck_assert_double_eq(extra(&r[0], "db.dropped"), 1);
    done(r, n);
}
END_TEST

Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("runs");
    tcase_add_test(tc, mm1_mean_response_matches_theory);
    tcase_add_test(tc, deterministic_queue_gives_exact_figures);
    tcase_add_test(tc, levels_are_snapshotted_at_the_cut);
    tcase_add_test(tc, every_measured_request_is_accounted_once);
    tcase_add_test(tc, same_seed_same_results_at_any_thread_count);
    tcase_add_test(tc, policies_are_compared_on_the_same_traffic);
    tcase_add_test(tc, memory_follows_requests_in_flight);
    tcase_add_test(tc, run_stops_when_requests_held_reach_max_in_flight);
    tcase_add_test(tc, run_below_the_limit_is_not_stopped);
    tcase_add_test(tc, abandoned_requests_count_towards_max_in_flight);
    tcase_add_test(tc, run_stopped_in_the_warmup_has_empty_statistics);
    tcase_add_test(tc, limit_is_reached_at_exactly_max_in_flight);
    tcase_add_test(tc, a_clock_that_stands_still_stops_the_run);
    tcase_add_test(tc, occ_users_retry_a_refused_write_after_the_backoff);
    tcase_add_test(tc, hedged_call_takes_the_first_reply_and_gives_up_the_copies);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
