/* Tests for sim/trace ([sim] trace): which requests are sampled, which runs
 * are traced, the cap, and that the spans of a simple path are what the
 * model did (a hop = its queue + its service; the service is the constant
 * service time; a request = network + hop + network). */
#include "sim/trace.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "output/results.h"
#include "tests/testlib.h"

/* 2 replicas of a 1 ms constant service at 1000/s offered (utilisation
 * 0.5: some requests queue), 200 us of network each way, no warm-up. */
#define MODEL                                                                                    \
    "[client load]\narrival = poisson(rate=1000/s)\nto = app\nlatency = const(200us)\n"          \
    "[service app]\nreplicas = 2\nworkers = 1\nservice = const(1ms)\nlatency = const(200us)\n"

static size_t count(const struct trace_result *t, enum trace_what w)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += t->ev[i].what == w;
    return n;
}

START_TEST(every_request_at_100_percent_first_replication_only)
{
    size_t n;
    struct run_result *r =
        tl_runs("[sim]\nduration = 2s\nwarmup = 0s\nrepeat = 2\ntrace = 100%\n" MODEL, 2, &n);
    ck_assert_uint_eq(n, 2);
    const struct trace_result *t = r[0].trace;
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_null(r[1].trace); /* replication 1 is not traced */
    ck_assert(!t->full);
    ck_assert_uint_eq(t->sampled, r[0].offered);
    /* each finished request has one top span; those in flight at the end none */
    ck_assert_uint_eq(count(t, TRACE_REQUEST), r[0].completed);
    /* a hop per reply, with its flow's end; sends of requests still out have no hop yet */
    ck_assert_uint_eq(count(t, TRACE_HOP), count(t, TRACE_FLOW_IN));
    ck_assert_uint_ge(count(t, TRACE_HOP), r[0].completed);
    ck_assert_uint_le(count(t, TRACE_HOP), count(t, TRACE_FLOW_OUT));
    ck_assert_int_eq(r[0].attribution, 0); /* the hooks only: no attribution.csv */
    /* the tracks: the client and app's two replicas */
    ck_assert_uint_eq(t->ntracks, 3);
    ck_assert_str_eq(t->tracks[0], "load");
    ck_assert(!strcmp(t->tracks[1], "app[0]") || !strcmp(t->tracks[1], "app[1]"));
    size_t queued = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (e->what == TRACE_SERVICE)
            ck_assert_int_eq(e->dur_ns, 1000000); /* const(1ms) */
        if (e->what == TRACE_NETWORK)
            ck_assert_int_eq(e->dur_ns, 200000); /* const(200us) each way */
        if (e->what == TRACE_QUEUE)
            queued += e->dur_ns > 0;
        if (e->what == TRACE_REQUEST) { /* 200 us + queue + 1 ms + 200 us */
            ck_assert_int_ge(e->dur_ns, 1400000);
            ck_assert_uint_eq(e->status, REQ_OK);
        }
    }
    ck_assert_uint_gt(queued, 10); /* at utilisation 0.5 some wait */
    tl_runs_free(r, n);
}
END_TEST

START_TEST(a_share_samples_about_that_share_the_same_at_any_j)
{
    size_t n1, n2;
    const char *text = "[sim]\nduration = 10s\nwarmup = 0s\nseed = 3\ntrace = 5%\n" MODEL;
    struct run_result *a = tl_runs(text, 1, &n1);
    struct run_result *b = tl_runs(text, 2, &n2);
    const struct trace_result *t = a[0].trace, *u = b[0].trace;
    /* about 10000 requests: 500 expected, sd 22 */
    ck_assert_uint_gt(t->sampled, 410);
    ck_assert_uint_lt(t->sampled, 590);
    ck_assert_uint_eq(t->n, u->n);
    ck_assert_int_eq(memcmp(t->ev, u->ev, t->n * sizeof *t->ev), 0);
    tl_runs_free(a, n1);
    tl_runs_free(b, n2);
}
END_TEST

START_TEST(the_cap_keeps_the_first_events_and_says_so)
{
    size_t n;
    struct run_result *r = tl_runs(
        "[sim]\nduration = 2s\nwarmup = 0s\ntrace = 100%\ntrace_max_events = 50\n" MODEL, 1, &n);
    ck_assert(r[0].trace->full);
    ck_assert_uint_eq(r[0].trace->n, 50);
    tl_runs_free(r, n);
}
END_TEST

/* Messages: a client publishes 100/s evenly to a queue (1 ms of broker
 * latency) read by one consumer taking 2 ms each (never waiting: 10 ms
 * between messages). */
#define MSG_MODEL(fail)                                                                          \
    "[sim]\nduration = 1s\nwarmup = 0s\ntrace = 100%\n"                                          \
    "[client load]\narrival = constant(rate=100/s)\nto = q\n"                                    \
    "[queue q]\nlatency = const(1ms)\nmax_deliveries = 3\n"                                      \
    "[consumers w]\nfrom = q\nservice = const(2ms)\nfail = " fail "\n"

static const struct trace_ev *span_of(const struct trace_result *t, uint32_t id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].span == id && t->ev[i].what != TRACE_FLOW_OUT &&
            t->ev[i].what != TRACE_FLOW_IN)
            return &t->ev[i];
    return NULL;
}

START_TEST(a_message_is_a_delivery_flowed_from_its_publish)
{
    size_t n;
    struct run_result *r = tl_runs(MSG_MODEL("0"), 1, &n);
    const struct trace_result *t = r[0].trace;
    size_t deliveries = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (e->what != TRACE_DELIVERY)
            continue;
        deliveries++;
        ck_assert_str_eq(t->tracks[e->tid], "w"); /* the group's own track */
        ck_assert_str_eq(t->comps[e->comp], "w");
        ck_assert_int_eq(e->dur_ns, 2000000); /* taken at once, processed in 2 ms */
        const struct trace_ev *p = span_of(t, e->parent);
        ck_assert_ptr_nonnull(p); /* the publish's hop at the queue, of the same request */
        ck_assert_int_eq(p->what, TRACE_HOP);
        ck_assert_str_eq(t->comps[p->comp], "q");
        ck_assert_uint_eq(p->req, e->req);
        ck_assert_int_eq(e->ts_ns, p->ts_ns + p->dur_ns); /* stored at the ack */
        size_t in = 0, out = 0, svc = 0;
        for (size_t k = 0; k < t->n; k++) {
            const struct trace_ev *f = &t->ev[k];
            if (f->span == e->span && f->what == TRACE_FLOW_IN) {
                in++;
                ck_assert_int_eq(f->ts_ns, e->ts_ns);
                ck_assert_uint_eq(f->tid, e->tid);
            }
            if (f->span == e->span && f->what == TRACE_FLOW_OUT) {
                out++;
                ck_assert_int_eq(f->ts_ns, p->ts_ns); /* from the publish's start */
                ck_assert_uint_eq(f->tid, p->tid);
            }
            if (f->parent == e->span && f->what == TRACE_SERVICE) {
                svc++;
                ck_assert_int_eq(f->dur_ns, 2000000);
            }
        }
        ck_assert_uint_eq(in, 1);
        ck_assert_uint_eq(out, 1);
        ck_assert_uint_eq(svc, 1);
    }
    /* 100 publishes; the last may still be in the broker or processed at the end */
    ck_assert_uint_ge(deliveries, 99);
    ck_assert_uint_le(deliveries, 100);
    tl_runs_free(r, n);
}
END_TEST

START_TEST(a_failed_message_is_delivered_again)
{
    /* every processing fails: each message is delivered 3 times, then discarded */
    size_t n;
    struct run_result *r = tl_runs(MSG_MODEL("100%"), 1, &n);
    const struct trace_result *t = r[0].trace;
    size_t three = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (e->what != TRACE_HOP || strcmp(t->comps[e->comp], "q") != 0)
            continue;
        size_t k = 0;
        for (size_t j = 0; j < t->n; j++)
            k += t->ev[j].what == TRACE_DELIVERY && t->ev[j].parent == e->span;
        ck_assert_uint_le(k, 3);
        three += k == 3;
    }
    ck_assert_uint_ge(three, 95);
    tl_runs_free(r, n);
}
END_TEST

START_TEST(off_by_default)
{
    size_t n;
    struct run_result *r = tl_runs("[sim]\nduration = 1s\n" MODEL, 1, &n);
    ck_assert_ptr_null(r[0].trace);
    ck_assert_int_eq(r[0].attribution, 0);
    tl_runs_free(r, n);
}
END_TEST

/* With ack_delay (50 ms here) a delivery still ends with its processing
 * (2 ms), not when its ack lands; so the run's last 5 messages, processed
 * while their acks were on their way at the end, are drawn too: one
 * delivery per message processed. */
START_TEST(a_delivery_ends_with_its_processing_not_its_ack)
{
    size_t n;
    struct run_result *r =
        tl_runs("[sim]\nduration = 1s\nwarmup = 0s\ntrace = 100%\n"
                "[client load]\narrival = constant(rate=100/s)\nto = q\n"
                "[queue q]\nlatency = const(1ms)\n"
                "[consumers w]\nfrom = q\nservice = const(2ms)\nack_delay = 50ms\n",
                1, &n);
    const struct trace_result *t = r[0].trace;
    size_t deliveries = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].what == TRACE_DELIVERY) {
            deliveries++;
            ck_assert_int_eq(t->ev[i].dur_ns, 2000000);
        }
    double processed = -1;
    for (size_t i = 0; i < r[0].nextra; i++)
        if (strcmp(r[0].extra[i].name, "w.processed") == 0)
            processed = r[0].extra[i].value;
    ck_assert_double_gt(processed, 90);
    ck_assert_double_eq((double)deliveries, processed);
    tl_runs_free(r, n);
}
END_TEST

Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *t = tcase_create("runs");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, every_request_at_100_percent_first_replication_only);
    tcase_add_test(t, a_share_samples_about_that_share_the_same_at_any_j);
    tcase_add_test(t, the_cap_keeps_the_first_events_and_says_so);
    tcase_add_test(t, off_by_default);
    tcase_add_test(t, a_message_is_a_delivery_flowed_from_its_publish);
    tcase_add_test(t, a_failed_message_is_delivered_again);
    tcase_add_test(t, a_delivery_ends_with_its_processing_not_its_ack);
    suite_add_tcase(s, t);
    return s;
}
