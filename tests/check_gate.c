/* The admission gate (models/admission/gate.c) on a balancer and on a
 * service: the same limiter keys give the same decisions for the same
 * arrivals at either, a service's refused requests never take a worker, a
 * counter-store check that timed out still lands when the store serves it,
 * and auth at a balancer (no workers: verify is a delay per request with
 * no queue). Every count is hand-computed. */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "models/admission/gate.h"
#include "models/kind.h"
#include "testlib.h"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

#define MS 1000000LL

static void build(const char *text)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000LL * 1000 * MS);
    tl_sink_init(&sink);
    for (size_t i = 0; i < sim.ncomps; i++)
        if (!sim.comps[i]->ops.is_client && sim.comps[i]->kind->start)
            sim.comps[i]->kind->start(&sim, sim.comps[i]);
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

static double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

/* Sends a request of key `key` to `to` at t_ms; returns 'R' when it was
 * refused at once (rate limited), else 'A' (admitted or held). */
static char send_at(const char *to, double t_ms, uint64_t key)
{
    int64_t t = (int64_t)llround(t_ms * MS);
    tl_run_until(&sim, t);
    int refused = sink.replies - sink.oks - sink.errors;
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = OP_READ;
    r->measured = true;
    r->work_seed = key * 31 + 7;
    tl_sink_send(&sim, &sink, r, kind_lookup(&sim, to));
    tl_run_until(&sim, t);
    return sink.replies - sink.oks - sink.errors > refused ? 'R' : 'A';
}

/* Arrivals in bursts across window boundaries, keys 0..2. */
static const double arrivals_ms[] = {0,   0,   0,   0,   10,  20,  50,  99,  100, 100, 101,
                                     150, 199, 200, 200, 200, 250, 300, 301, 302, 450, 451};
#define NARR (sizeof arrivals_ms / sizeof arrivals_ms[0])

static void decide_all(const char *to, char *out)
{
    for (size_t i = 0; i < NARR; i++)
        out[i] = send_at(to, arrivals_ms[i], i % 3);
    out[NARR] = 0;
}

static const char *const limits[] = {
    "token_bucket(rate=20/s, burst=3)",
    "fixed_window(limit=3, window=100ms)",
    "sliding_log(limit=2, window=100ms, per=key)",
    "sliding_window(limit=3, window=100ms)",
    "leaky_bucket(rate=50/s, queue=2)",
};

#define APP_SLOW "[service app]\nservice = const(50ms)\nworkers = 1\n"
#define CLIENT_TO(x) "[client c]\narrival = constant(rate=1/s)\nto = " x "\n"

/* The same limit at a gateway and on the service itself: the same verdict
 * for every request, the same counts; at the service the refused requests
 * never reach a worker or its queue (only the admitted are served). */
START_TEST(a_service_limiter_decides_as_a_gateway_does)
{
    char text[1024], at_gw[NARR + 1], at_svc[NARR + 1];
    snprintf(text, sizeof text, CLIENT_TO("gw") "[balancer gw]\nto = app\nlimit = %s\n" APP_SLOW,
             limits[_i]);
    build(text);
    decide_all("gw", at_gw);
    const struct limit *lg = gate_limit_of(kind_lookup(&sim, "gw"));
    uint64_t adm = lg->admitted, lim = lg->limited, del = lg->delayed;
    teardown();

    snprintf(text, sizeof text, CLIENT_TO("app") APP_SLOW "limit = %s\n", limits[_i]);
    build(text);
    decide_all("app", at_svc);
    const struct limit *ls = gate_limit_of(kind_lookup(&sim, "app"));
    ck_assert_str_eq(at_svc, at_gw);
    if (_i == 0) /* a token each 50 ms, 3 at most: by hand */
        ck_assert_str_eq(at_gw, "AAARRRARARRARARRAARRAA");
    ck_assert_uint_eq(ls->admitted, adm);
    ck_assert_uint_eq(ls->limited, lim);
    ck_assert_uint_eq(ls->delayed, del);
    ck_assert_uint_gt(lim, 0); /* every limit here refuses some */
    struct component *app = kind_lookup(&sim, "app");
    ck_assert_uint_eq(app->st.arrivals, NARR);
    ck_assert_uint_eq(app->st.rejected, lim);
    tl_run_until(&sim, 100000 * MS); /* one worker, 50 ms each: all served by then */
    ck_assert_uint_eq(app->st.completed, adm);
    ck_assert_int_eq(sink.oks, (int)adm);
    ck_assert_double_eq(metric("app", "rate_limited"), (double)lim);
}
END_TEST

/* fixed_window(limit=3) at a counter store serving one check at a time in
 * 10 ms, store_timeout 25 ms, fail open. Three requests at 0: their checks
 * are answered at 10 and 20 ms (admitted, count 2); the third times out at
 * 25 ms (let through uncounted) but the store serves it at 30 ms: the
 * count becomes 3. A fourth request at 100 ms, answered at 110 ms, finds
 * the window full: refused. Without the late increment the count would be
 * 2 and it would pass: 4 admitted where one exact limiter admits 3. */
static const char *const late_land[] = {
    CLIENT_TO("gw") "[balancer gw]\nto = app\nlimit = fixed_window(limit=3, window=1s)\n"
                    "store = counters\nstore_timeout = 25ms\n"
                    "[store counters]\nservice = const(10ms)\n"
                    "[service app]\nservice = const(1ms)\nworkers = 10\n",
    CLIENT_TO("gw") "[store counters]\nservice = const(10ms)\n"
                    "[service gw]\nservice = const(1ms)\nworkers = 10\n"
                    "limit = fixed_window(limit=3, window=1s)\n"
                    "store = counters\nstore_timeout = 25ms\n",
};

START_TEST(a_timed_out_check_the_store_served_still_counts)
{
    build(late_land[_i]);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(send_at("gw", 0, 1), 'A');
    tl_run_until(&sim, 60 * MS);
    ck_assert_int_eq(sink.oks, 3); /* the third went through on the timeout */
    ck_assert_double_eq(metric("gw", "store_errors"), 1);
    send_at("gw", 100, 1);
    tl_run_until(&sim, 200 * MS);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_int_eq(sink.oks, 3);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("gw", "rate_limited"), 1);
    ck_assert_double_eq(metric("gw", "over_admission"), 0); /* 3 admitted, as the shadow */
    ck_assert_uint_eq(gate_limit_of(kind_lookup(&sim, "gw"))->admitted, 3);
}
END_TEST

#define APP "[service app]\nservice = const(1ms)\nworkers = 100\n"

/* A balancer has no workers: jwt's verify is a delay of its own per
 * request, with no queue, so two requests at once both verify in 2 ms and
 * reply at 3 ms (2 ms verify + 1 ms service). */
START_TEST(jwt_at_a_gateway_is_a_delay_without_a_queue)
{
    build(CLIENT_TO("gw") "[balancer gw]\nto = app\nauth = jwt(verify=const(2ms))\n" APP);
    send_at("gw", 0, 1);
    send_at("gw", 0, 2);
    tl_run_until(&sim, 3 * MS - 1);
    ck_assert_int_eq(sink.replies, 0);
    tl_run_until(&sim, 3 * MS);
    ck_assert_int_eq(sink.oks, 2);
    ck_assert_int_eq(sink.last_reply_ns, 3 * MS);
    ck_assert_double_eq(metric("gw", "unauthenticated"), 0);
}
END_TEST

/* Session lookups at a gateway call the named store; a failed lookup ends
 * the request unauthenticated, counted as at a service (the owner's
 * rejected, the gate's unauthenticated); rbac with deny = 100% denies all. */
START_TEST(session_and_rbac_at_a_gateway_end_as_at_a_service)
{
    build(CLIENT_TO("gw") "[balancer gw]\nto = app\nauth = session(store = sessions, users = 10)\n"
          "[store sessions]\nservice = const(1ms)\nqueue = 0\n" APP);
    /* one lookup at a time, no queue: of three at once two are refused */
    for (int i = 0; i < 3; i++)
        send_at("gw", 0, (uint64_t)i);
    tl_run_until(&sim, 50 * MS);
    ck_assert_int_eq(sink.oks, 1);
    ck_assert_double_eq(metric("gw", "unauthenticated"), 2);
    ck_assert_double_eq(metric("gw", "session_lookups"), 3);
    ck_assert_uint_eq(kind_lookup(&sim, "gw")->st.rejected, 2);
    ck_assert(gate_has_auth(kind_lookup(&sim, "gw")));
    teardown();

    build(CLIENT_TO("gw") "[balancer gw]\nto = app\nrbac = check(time=const(1ms), deny=100%)\n" APP);
    send_at("gw", 0, 1);
    tl_run_until(&sim, 50 * MS);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_int_eq(sink.last_reply_ns, 1 * MS);
    ck_assert_double_eq(metric("gw", "denied"), 1);
    ck_assert_uint_eq(kind_lookup(&sim, "app")->st.arrivals, 0); /* never reached the pool */
}
END_TEST

Suite *gate_suite(void)
{
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("gate");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_loop_test(tc, a_service_limiter_decides_as_a_gateway_does, 0,
                        (int)(sizeof limits / sizeof limits[0]));
    tcase_add_loop_test(tc, a_timed_out_check_the_store_served_still_counts, 0, 2);
    tcase_add_test(tc, jwt_at_a_gateway_is_a_delay_without_a_queue);
    tcase_add_test(tc, session_and_rbac_at_a_gateway_end_as_at_a_service);
    suite_add_tcase(s, tc);
    return s;
}
