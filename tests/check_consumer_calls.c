/* A consumers group's downstream calls (models/kinds/queue.c, `calls`),
 * driven publish by publish with constant times so every count is exact:
 * each processing is its own service, then its calls in order with the
 * consumer held, and the message is acked (it stops counting against the
 * queue's capacity) only after the last call came back; a call to a queue
 * publishes; calls made = messages processed x calls; a failing callee
 * fails the processing, so the message is redelivered and dead-lettered at
 * max_deliveries; a call timeout fails it the same way while the callee
 * still does the work; a crash while a call is out redelivers the message
 * (or loses it, ack on receive) and the call's late return is dropped; the
 * napkin math carries the group's load to its callees. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/queue.h"
#include "models/napkin.h"
#include "sim/hist.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

static uint32_t busy(void)
{
    return queue_station(kind_lookup(&sim, "q"), 0)->busy;
}

START_TEST(calls_go_in_order_with_the_consumer_held_and_the_ack_after_them)
{
    /* 1 s of processing, then a 500 ms write to db, then a publish to q2:
     * messages end at 1.5, 3 and 4.5 s */
    build(QUIET "[queue q]\ncapacity = 3\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = db, q2\n\n"
                "[store db]\nservice = const(500ms)\n\n"
                "[queue q2]\n\n[consumers w2]\nfrom = q2\nservice = const(100ms)\n");
    publish(1);
    publish(2);
    publish(3);
    tl_run_until(&sim, S + S / 5); /* the first is out on its write */
    ck_assert_uint_eq(busy(), 1);
    ck_assert_double_eq(metric("w", "calls"), 1);
    ck_assert_double_eq(metric("w", "processed"), 0);
    publish(4); /* 3 held, the one out on its calls included: refused */
    tl_run_until(&sim, S + S / 2 + 1);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_double_eq(metric("q", "rejected_full"), 1);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(metric("w", "calls"), 2);
    ck_assert_double_eq(metric("q2", "published"), 1);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "calls"), 3 * 2); /* processed x calls */
    ck_assert_double_eq(metric("w", "failed_calls"), 0);
    ck_assert_double_eq(metric("db", "writes"), 3);
    ck_assert_double_eq(metric("q2", "published"), 3);
    ck_assert_double_eq(metric("w2", "processed"), 3);
    /* publish -> processed, the calls included: 1.5, 3 and 4.5 s */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 3000, 30);
    ck_assert(!has_metric("w", "call_timeouts")); /* no guards */
}
END_TEST

/* components.csv's local (wait + own work, downstream calls excluded) means
 * the same for a consumers group with calls as for a service with calls:
 * three at once, 1 s of own work each, then a 500 ms write with the worker
 * held: they start at 0, 1.5 and 3 s, so local is 1, 2.5 and 4 s (mean
 * 2.5 s) and the calls (1.5, 3, 4.5 s with them) are not in it. */
START_TEST(local_is_the_wait_and_own_work_without_the_calls_as_for_a_service)
{
    build(QUIET "[queue q]\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = db\n\n"
                "[service s]\nservice = const(1s)\ncalls = db2\n\n"
                "[store db]\nservice = const(500ms)\n\n[store db2]\nservice = const(500ms)\n");
    for (uint64_t k = 1; k <= 3; k++) {
        publish(k);
        tl_sink_publish(&sim, &sink, k, kind_lookup(&sim, "s"));
    }
    tl_run_until(&sim, 10 * S);
    ck_assert_int_eq(sink.oks, 6);
    ck_assert_double_eq(metric("w", "processed"), 3);
    const struct comp_stats *w = &kind_lookup(&sim, "w")->st, *sv = &kind_lookup(&sim, "s")->st;
    ck_assert_uint_eq(w->local.count, 3);
    ck_assert_double_eq_tol(tally_mean(&w->local) / (double)MS, 2500, 1e-6);
    ck_assert_uint_eq(sv->local.count, 3);
    ck_assert_double_eq_tol(tally_mean(&sv->local) / (double)MS, 2500, 1e-6);
    /* the service's response has the calls: 1.5, 3 and 4.5 s; the group's
     * figure with them is e2e_mean_ms (the broker's latency is 0 here) */
    ck_assert_double_eq_tol(hist_mean(sv->resp) / (double)MS, 3000, 1e-6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 3000, 1e-6);
}
END_TEST

START_TEST(a_group_without_calls_reports_no_call_figures)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(1s)\n");
    ck_assert(!has_metric("w", "calls"));
    ck_assert(!has_metric("w", "failed_calls"));
}
END_TEST

START_TEST(a_failing_callee_sends_the_messages_to_the_dlq_after_max_deliveries)
{
    /* every call fails: 1, 2, 1, 2, 1 (3rd: dead), 2 (dead), 1.1 s each */
    build(QUIET "[queue q]\nmax_deliveries = 3\ndlq = dead\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = bad\n\n"
                "[service bad]\nservice = const(100ms)\nerror_rate = 1\n\n"
                "[queue dead]\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 5 * S);
    ck_assert_double_eq(metric("q", "dead_lettered"), 0);
    ck_assert_double_eq(metric("w", "failed_processing"), 4);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(metric("w", "calls"), 6);
    ck_assert_double_eq(metric("w", "failed_calls"), 6);
    ck_assert_double_eq(metric("w", "failed_processing"), 6);
    ck_assert_double_eq(metric("w", "redelivered"), 4);
    ck_assert_double_eq(metric("q", "dead_lettered"), 2);
    ck_assert_double_eq(metric("dead", "published"), 2);
    ck_assert_double_eq(metric("q", "lost_total"), 0);
}
END_TEST

START_TEST(a_call_timeout_fails_the_processing_while_the_callee_still_writes)
{
    /* own 0-1 s, call 1 s: timeout at 1.5 s; again 1.5-2.5 s, call at 2.5 s
     * waits for db (busy with the first to 3 s): timeout at 3 s, the
     * second delivery: discarded (no dlq). db still commits both writes. */
    build(QUIET "[queue q]\nmax_deliveries = 2\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = db\n"
                "call_timeout = 500ms\n\n"
                "[store db]\nservice = const(2s)\n");
    publish(1);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "calls"), 2);
    ck_assert_double_eq(metric("w", "call_timeouts"), 2);
    ck_assert_double_eq(metric("w", "failed_calls"), 2);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    ck_assert_double_eq(metric("q", "lost_dead_letter"), 1);
    ck_assert_double_eq(metric("db", "writes"), 2);
}
END_TEST

START_TEST(a_crash_while_a_call_is_out_redelivers_and_drops_the_late_return)
{
    /* own 0-1 s, write 1-3 s; crash at 1.5 s (the write goes on), back at
     * 2 s: own 2-3 s, its second write waits for the first (to 3 s), 3-5 s;
     * the second message 5-6 s, write 6-8 s */
    build(QUIET "[queue q]\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = db\n\n"
                "[store db]\nservice = const(2s)\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, S + S / 2);
    group_crash(true);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_uint_eq(busy(), 0);
    tl_run_until(&sim, 2 * S);
    group_crash(false);
    tl_run_until(&sim, 3 * S + 1); /* the late return came and went */
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(metric("db", "writes"), 1);
    tl_run_until(&sim, 5 * S + 1);
    ck_assert_double_eq(metric("w", "processed"), 1);
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "calls"), 3);
    ck_assert_double_eq(metric("w", "failed_calls"), 0);
    ck_assert_double_eq(metric("w", "failed_processing"), 0);
    ck_assert_double_eq(metric("db", "writes"), 3); /* the cut one's write landed too */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (5000 + 8000) / 2.0, 50);
}
END_TEST

START_TEST(a_crash_while_a_call_is_out_loses_a_message_acked_on_receive)
{
    build(QUIET "[queue q]\n\n"
                "[consumers w]\nfrom = q\nservice = const(1s)\ncalls = db\n"
                "ack = on_receive\n\n"
                "[store db]\nservice = const(2s)\n");
    publish(1);
    tl_run_until(&sim, S + S / 2);
    group_crash(true); /* the message is freed; its call is still out */
    ck_assert_double_eq(metric("w", "lost"), 1);
    tl_run_until(&sim, 2 * S);
    group_crash(false);
    publish(2); /* may reuse the freed message's request */
    tl_run_until(&sim, 20 * S);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(metric("w", "calls"), 2);
    ck_assert_double_eq(metric("db", "writes"), 2);
    ck_assert_double_eq(metric("q", "lost_at_most_once"), 1);
}
END_TEST

START_TEST(the_napkin_math_carries_the_groups_load_to_its_callees)
{
    build("[client c]\narrival = poisson(rate=100/s)\nwrites = 100%\nto = q\n\n"
          "[consumers w]\nfrom = q\nservice = exp(mean=1ms)\ncalls = db, q2\n\n"
          "[queue q]\n\n"
          "[store db]\nservice = exp(mean=1ms)\n\n"
          "[queue q2]\n\n[consumers w2]\nfrom = q2\nservice = exp(mean=1ms)\n");
    struct napkin_row rows[8];
    ck_assert_uint_eq(sim.ncomps, 6);
    napkin_compute(&sim, rows);
    const char *names[] = {"w", "db", "q2", "w2"};
    for (size_t i = 0; i < 4; i++) {
        const struct component *c = kind_lookup(&sim, names[i]);
        ck_assert_double_eq_tol(rows[c->id].offered, 100, 1e-9);
        ck_assert_double_eq_tol(rows[c->id].writes, 100, 1e-9);
    }
    /* its consumers are held through their calls: capacity unknown */
    ck_assert(isnan(rows[kind_lookup(&sim, "w")->id].capacity));
    ck_assert_double_eq_tol(rows[kind_lookup(&sim, "db")->id].utilisation, 0.1, 1e-9);
}
END_TEST

Suite *consumer_calls_suite(void)
{
    Suite *s = suite_create("consumer_calls");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, calls_go_in_order_with_the_consumer_held_and_the_ack_after_them);
    tcase_add_test(tc, local_is_the_wait_and_own_work_without_the_calls_as_for_a_service);
    tcase_add_test(tc, a_group_without_calls_reports_no_call_figures);
    tcase_add_test(tc, a_failing_callee_sends_the_messages_to_the_dlq_after_max_deliveries);
    tcase_add_test(tc, a_call_timeout_fails_the_processing_while_the_callee_still_writes);
    tcase_add_test(tc, a_crash_while_a_call_is_out_redelivers_and_drops_the_late_return);
    tcase_add_test(tc, a_crash_while_a_call_is_out_loses_a_message_acked_on_receive);
    tcase_add_test(tc, the_napkin_math_carries_the_groups_load_to_its_callees);
    suite_add_tcase(s, tc);
    return s;
}
