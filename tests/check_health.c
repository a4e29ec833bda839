/* Health checks and outlier detection of the balancer, observed through
 * the time series of whole runs: when replicas leave and rejoin rotation. */
#include <check.h>
#include <stdlib.h>

#include "output/results.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "tests/testlib.h"

static void done(struct run_result *r)
{
    tl_runs_free(r, 1);
}

/* Probes every 1 s that fail at once (1 s timeout, no latency): a replica
 * crashed at 10.5 s fails the probes at 11, 12, 13 s and leaves at the third
 * (unhealthy = 3); it recovers at 20.5 s and, with healthy = 2, rejoins at
 * the second good probe, 22 s. */
START_TEST(active_checks_take_a_crashed_replica_out_and_back)
{
    struct run_result *r = tl_run_one(
        "[sim]\nduration=30s\ninterval=500ms\n"
        "[client c]\narrival=constant(rate=10/s)\nto=lb\n"
        "[balancer lb]\nto=app\nhealth=active(interval=1s, timeout=1s, unhealthy=3, healthy=2)\n"
        "[service app]\nreplicas=3\nworkers=4\nservice=const(10ms)\n"
        "[fault f]\ntarget=app\nreplica=1\nat=10500ms\nuntil=20500ms\naction=crash\n");
    ck_assert_double_eq(tl_ts_at(r, "lb.in_rotation", 10.0), 3);
    /* the probe at 13 s fails at 13 + timeout = 14 s */
    ck_assert_double_eq(tl_ts_at(r, "lb.in_rotation", 13.5), 3);
    ck_assert_double_eq(tl_ts_at(r, "lb.in_rotation", 14.5), 2);
    ck_assert_double_eq(tl_ts_at(r, "lb.in_rotation", 21.5), 2);
    ck_assert_double_eq(tl_ts_at(r, "lb.in_rotation", 22.5), 3);
    ck_assert_double_eq(tl_ts_at(r, "app.replicas", 15.0), 2);
    done(r);
}
END_TEST

/* Without checks, a blind balancer keeps sending a third of the requests to
 * the dead replica: they fail, exactly those routed there. */
START_TEST(without_checks_requests_to_a_dead_replica_fail)
{
    struct run_result *r = tl_run_one(
        "[sim]\nduration=30s\n"
        "[client c]\narrival=constant(rate=30/s)\nto=lb\n"
        "[balancer lb]\nto=app\npolicy=round_robin\n"
        "[service app]\nreplicas=3\nworkers=4\nservice=const(10ms)\n"
        "[fault f]\ntarget=app\nreplica=1\nat=10s\nuntil=20s\naction=crash\n");
    /* 10 s of 30/s, round robin over 3: 100 requests go to the dead one */
    ck_assert_uint_ge(r->errors, 99);
    ck_assert_uint_le(r->errors, 101);
    done(r);
}
END_TEST

/* Outlier detection: 5 consecutive errors eject for 4 s, then 8 s after a
 * second ejection (doubling), so errors come in bursts of 5. */
START_TEST(outlier_detection_ejects_with_growing_times)
{
    struct run_result *r = tl_run_one(
        "[sim]\nduration=40s\n"
        "[client c]\narrival=constant(rate=30/s)\nto=lb\n"
        "[balancer lb]\nto=app\npolicy=round_robin\n"
        "outlier=consecutive(errors=5, base=4s, max=60s)\n"
        "[service app]\nreplicas=3\nworkers=4\nservice=const(10ms)\n"
        "[fault f]\ntarget=app\nreplica=1\nat=10s\nuntil=30s\naction=crash\n");
    /* ejections at about 10.5 s (back 14.5), 15 s (back 23), 23.5 s (back 39.5):
     * three bursts of 5 errors */
    ck_assert_uint_eq(r->errors, 15);
    done(r);
}
END_TEST

Suite *health_suite(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("balancer");
    tcase_add_test(tc, active_checks_take_a_crashed_replica_out_and_back);
    tcase_add_test(tc, without_checks_requests_to_a_dead_replica_fail);
    tcase_add_test(tc, outlier_detection_ejects_with_growing_times);
    suite_add_tcase(s, tc);
    return s;
}
