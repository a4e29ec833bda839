/* What the messaging kinds put in the time series and the components rows,
 * observed through whole runs: a consumers group's publish -> processed per
 * interval (its e2e_p99_ms series, which timeseries.png draws instead of the
 * publishers' ack latency); a sized queue's cap (bytes_cap); a consumers
 * group's local and response times in components.csv. */
#include <stdio.h>
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "output/results.h"
#include "tests/testlib.h"

/* A quantile read from the histogram is within 0.4% of the true value
 * (sim/hist.h): 0.5% around it. */
static void near(double got, double want, const char *what, double t_s)
{
    ck_assert_msg(fabs(got - want) <= 0.005 * want, "%s at %g s: %g, want %g", what, t_s, got,
                  want);
}

/* 10 publishes a second, 2 ms of broker latency, one consumer of 10 ms
 * down from 3 to 5 s. The publisher's requests end at the ack: 2 ms all
 * along. A message is processed 12 ms after its publish reached the broker
 * (it never waits: 100 ms apart), except those of the outage: none is
 * processed in (3, 4] and (4, 5] (no value), and in (5, 6] the oldest, the
 * publish at 3 s, waited until the recovery at 5 s: 2 s + 10 ms. */
START_TEST(consumers_series_is_publish_to_processed_per_interval)
{
    struct run_result *r = tl_run_one("[sim]\nduration=10s\nwarmup=0s\ninterval=1s\n"
                                    "[client p]\narrival=constant(rate=10/s)\nto=q\n"
                                    "[queue q]\nlatency=const(2ms)\n"
                                    "[consumers w]\nfrom=q\nconsumers=1\nservice=const(10ms)\n"
                                    "[fault f]\ntarget=w\nat=3s\nuntil=5s\naction=crash\n");
    for (double t = 1; t <= 10; t++) {
        near(tl_ts_at(r, "latency_p99_ms", t), 2, "the publishes' ack", t);
        double e2e = tl_ts_at(r, "w.e2e_p99_ms", t);
        if (t == 4 || t == 5)
            ck_assert_msg(isnan(e2e), "nothing processed in (%g, %g]: %g", t - 1, t, e2e);
        else if (t == 6)
            near(e2e, 2010, "w.e2e_p99_ms", t);
        else
            near(e2e, 12, "w.e2e_p99_ms", t);
    }
    tl_runs_free(r, 1);
}
END_TEST

/* A fanout topic of 2 partitions read by 2 groups holds at most 10 kB on
 * each group's partition: bytes_cap is 4 x 10 kB, and bytes_held (1 kB
 * messages, 400 a second for 200 a second of processing) reaches it but
 * never passes it. Without capacity_bytes there is no bytes_cap. */
START_TEST(bytes_cap_is_the_cap_times_every_groups_partitions)
{
    static const char *const text =
        "[sim]\nduration=5s\nwarmup=0s\ninterval=1s\n"
        "[client p]\narrival=constant(rate=400/s)\nto=q\n"
        "[queue q]\nmode=fanout\npartitions=2\nroute=round_robin\nmessage_size=const(1kB)\n"
        "%s"
        "[consumers a]\nfrom=q\nconsumers=2\nservice=const(10ms)\n"
        "[consumers b]\nfrom=q\nconsumers=2\nservice=const(10ms)\n";
    char buf[1024];
    snprintf(buf, sizeof buf, text, "capacity_bytes=10kB\n");
    struct run_result *r = tl_run_one(buf);
    for (double t = 1; t <= 5; t++) {
        ck_assert_double_eq(tl_ts_at(r, "q.bytes_cap", t), 40000);
        ck_assert_double_le(tl_ts_at(r, "q.bytes_held", t), 40000);
    }
    ck_assert_double_eq(tl_ts_at(r, "q.bytes_held", 5), 40000);
    tl_runs_free(r, 1);
    snprintf(buf, sizeof buf, text, "");
    r = tl_run_one(buf);
    for (size_t c = 0; c < r->ts_ncols; c++)
        ck_assert_str_ne(r->ts_names[c], "q.bytes_cap");
    tl_runs_free(r, 1);
}
END_TEST

static const struct comp_result *comp(const struct run_result *r, const char *name)
{
    for (size_t i = 0; i < r->ncomps; i++)
        if (strcmp(r->comps[i].name, name) == 0)
            return &r->comps[i];
    ck_abort_msg("no component %s", name);
    return NULL;
}

static double mean_ms(const struct sparse_hist *h)
{
    ck_assert_uint_gt(h->total, 0);
    return (double)(h->sum / (long double)h->total) / 1e6;
}

/* A consumers group's components row means what a service's does, per
 * delivery: local, its wait + own processing; response, its arrival to
 * the end of its processing, calls included. 10 publishes a second, one
 * consumer of 10 ms that then calls a 5 ms service: no wait, local 10 ms,
 * response 15 ms, and Little's law (arrival rate x response) gives the
 * mean messages in the group. */
START_TEST(consumers_response_includes_their_calls)
{
    struct run_result *r = tl_run_one("[sim]\nduration=20s\nwarmup=0s\n"
                                    "[client p]\narrival=constant(rate=10/s)\nto=q\n"
                                    "[queue q]\nlatency=const(2ms)\n"
                                    "[consumers w]\nfrom=q\nconsumers=1\nservice=const(10ms)\n"
                                    "calls=db\n"
                                    "[service db]\nservice=const(5ms)\n");
    const struct comp_result *w = comp(r, "w");
    ck_assert_double_eq_tol(mean_ms(&w->local), 10, 1e-9);
    ck_assert_double_eq_tol(mean_ms(&w->resp), 15, 1e-9);
    ck_assert_uint_eq(w->resp.total, w->completed);
    /* 10/s x 15 ms = 0.15 messages in the group on average */
    ck_assert_double_eq_tol(w->mean_insys, 0.15, 0.15 * 0.01);
    tl_runs_free(r, 1);
}
END_TEST

/* A failed processing is a delivery that ended, as a service's error is a
 * request that ended: every processing fails (fail = 1, one delivery each,
 * then away): local and response 10 ms each, none processed. */
START_TEST(consumers_local_and_response_count_failed_processings)
{
    struct run_result *r = tl_run_one("[sim]\nduration=20s\nwarmup=0s\n"
                                    "[client p]\narrival=constant(rate=10/s)\nto=q\n"
                                    "[queue q]\nlatency=const(2ms)\nmax_deliveries=1\n"
                                    "[consumers w]\nfrom=q\nconsumers=1\nservice=const(10ms)\n"
                                    "fail=1\n");
    const struct comp_result *w = comp(r, "w");
    ck_assert_uint_eq(w->completed, 0);
    ck_assert_uint_gt(w->local.total, 190);
    ck_assert_uint_eq(w->resp.total, w->local.total);
    ck_assert_double_eq_tol(mean_ms(&w->local), 10, 1e-9);
    ck_assert_double_eq_tol(mean_ms(&w->resp), 10, 1e-9);
    tl_runs_free(r, 1);
}
END_TEST

Suite *queue_series_suite(void)
{
    Suite *s = suite_create("queue_series");
    TCase *tc = tcase_create("timeseries");
    tcase_add_test(tc, consumers_series_is_publish_to_processed_per_interval);
    tcase_add_test(tc, bytes_cap_is_the_cap_times_every_groups_partitions);
    tcase_add_test(tc, consumers_response_includes_their_calls);
    tcase_add_test(tc, consumers_local_and_response_count_failed_processings);
    suite_add_tcase(s, tc);
    return s;
}
