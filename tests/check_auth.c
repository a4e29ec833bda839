/* Authentication and authorisation at a service (models/auth/auth.c):
 * the worker time auth costs, token expiry and refresh storms, a failing
 * auth service, the deny share, the decision cache, and how the client
 * counts and retries the two new outcomes. Counts are hand-computed; the
 * random ones are checked within 4 binomial standard deviations (a false
 * alarm about once in 16000 runs, never with these fixed seeds). */
#include <check.h>
#include <math.h>
#include <stdio.h>

#include "models/kind.h"
#include "models/kinds/client.h"
#include "sim/hist.h"
#include "testlib.h"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;

#define MS 1000000LL
#define S 1000000000LL

/* Builds text for a run that ends (no new requests after) at end_ns. */
static void build_until(const char *text, int64_t end_ns)
{
    tl_model_build(&sim, &sc, &pt, text, 7, end_ns);
    for (size_t i = 0; i < sim.ncomps; i++)
        if (sim.comps[i]->kind->start)
            sim.comps[i]->kind->start(&sim, sim.comps[i]);
}

static void build(const char *text)
{
    build_until(text, 10 * S);
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

static double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

static const struct client_totals *totals(void)
{
    return client_totals(kind_lookup(&sim, "c"));
}

/* 200 users, one request at a time, 50 ms apart; tokens live 10 s. */
#define STORM_CLIENT "[client c]\nusers = 200\nthink = const(50ms)\nto = app\n"
#define APP "[service app]\nservice = const(1ms)\nworkers = 1000\n"
#define IDP "[service idp]\nservice = const(1ms)\nworkers = 1000\n"

/* Everyone logged in at 0, so without jitter every token expires at 10 s:
 * no refresh before, one per user (200) in the first 52 ms after (a user
 * sends every 51 ms), none again before 20 s. */
START_TEST(synchronised_tokens_refresh_in_one_burst_of_every_user)
{
    build_until(STORM_CLIENT APP "auth = jwt(verify=const(0), ttl=10s, users=200, refresh=idp)\n" IDP,
                19 * S);
    tl_run_until(&sim, 10 * S - 1);
    ck_assert_double_eq(metric("app", "refreshes"), 0);
    ck_assert_uint_eq(kind_lookup(&sim, "idp")->st.arrivals, 0);
    tl_run_until(&sim, 10 * S + 52 * MS);
    ck_assert_double_eq(metric("app", "refreshes"), 200);
    ck_assert_uint_eq(kind_lookup(&sim, "idp")->st.arrivals, 200);
    tl_run_until(&sim, 19 * S);
    ck_assert_double_eq(metric("app", "refreshes"), 200);
    ck_assert_double_eq(metric("app", "unauthenticated"), 0);
}
END_TEST

/* ttl_jitter = 50%: a token lives 10 s x (1 - U/2), uniform in (5 s, 10 s],
 * so by 5 s + x the refreshes are Binomial(1000, x / 5 s), less the last
 * 11 ms (the most a user waits before its next request). */
START_TEST(ttl_jitter_spreads_the_refreshes_uniformly)
{
    build("[client c]\nusers = 1000\nthink = const(10ms)\nto = app\n" APP
          "auth = jwt(verify=const(0), ttl=10s, ttl_jitter=50%, users=1000, refresh=idp)\n" IDP);
    tl_run_until(&sim, 5 * S);
    ck_assert_double_eq(metric("app", "refreshes"), 0);
    const double at[] = {6.25, 7.5, 8.75};
    for (int i = 0; i < 3; i++) {
        tl_run_until(&sim, (int64_t)(at[i] * 1e9));
        double p = (at[i] - 5) / 5, n = 1000, sd = sqrt(n * p * (1 - p));
        double got = metric("app", "refreshes");
        ck_assert_msg(fabs(got - n * p) <= 4 * sd + n * 0.011 / 5,
                      "at %.2f s: %g refreshes, expected %g +- %g", at[i], got, n * p, 4 * sd);
    }
}
END_TEST

/* The auth service fails every call: until the tokens expire at 5 s every
 * request completes; from then on every request's refresh fails and it
 * ends unauthenticated (each one tries, as a client would after a 401). */
START_TEST(a_failing_auth_service_fails_refreshes_while_valid_tokens_go_on)
{
    build("[client c]\nusers = 50\nthink = const(100ms)\nto = app\n" APP
          "auth = jwt(verify=const(0), ttl=5s, users=50, refresh=idp)\n"
          "[service idp]\nservice = const(1ms)\nworkers = 100\nerror_rate = 1\n");
    tl_run_until(&sim, 5 * S - 1);
    ck_assert_uint_eq(totals()->unauthenticated, 0);
    uint64_t done = totals()->completed;
    ck_assert_uint_gt(done, 50 * 45);
    tl_run_until(&sim, 5 * S + 5 * MS); /* the last requests that passed before 5 s */
    done = totals()->completed;
    tl_run_until(&sim, 10 * S);
    ck_assert_uint_eq(totals()->completed, done);
    ck_assert_uint_gt(totals()->unauthenticated, 50 * 45);
    ck_assert_double_eq(metric("app", "refresh_failed"), (double)totals()->unauthenticated);
    ck_assert_double_eq(metric("app", "unauthenticated"), (double)totals()->unauthenticated);
    ck_assert_uint_eq(totals()->errors, 0);
}
END_TEST

/* One worker, 100 requests/s, 1 ms of service: a 1 ms verify doubles the
 * latency to 2 ms; a session lookup (3 ms in the store) instead makes it
 * 4 ms and sends every request to the store. */
START_TEST(jwt_costs_worker_time_session_costs_a_call)
{
    const char *base = "[client c]\narrival = constant(rate=100/s)\nto = app\n"
                       "[service app]\nservice = const(1ms)\n";
    char text[1024];
    snprintf(text, sizeof text, "%sauth = jwt(verify=const(1ms))\n", base);
    build(text);
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->completed, 1000);
    ck_assert_double_eq(hist_mean(totals()->latency), 2.0 * MS);
    teardown();
    snprintf(text, sizeof text,
             "%sauth = session(store=sessions)\n[store sessions]\nservice = const(3ms)\n", base);
    build(text);
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->completed, 1000);
    ck_assert_double_eq(hist_mean(totals()->latency), 4.0 * MS);
    ck_assert_uint_eq(kind_lookup(&sim, "sessions")->st.arrivals, 1000);
    ck_assert_double_eq(metric("app", "session_lookups"), 1000);
}
END_TEST

/* deny = 10% of (user, key) pairs; a million users and keys make nearly
 * every request a pair of its own, so the denials are Binomial(n, 0.1). A
 * denied request costs only its check (1 ms), never the service (5 ms). */
START_TEST(the_deny_share_is_binomial_and_a_denial_skips_the_service)
{
    build("[client c]\narrival = poisson(rate=2000/s)\nto = app\n"
          "[service app]\nservice = const(5ms)\nworkers = 100\n"
          "rbac = check(time=const(1ms), deny=10%, users=1000000)\n");
    tl_run_until(&sim, 10 * S);
    const struct client_totals *t = totals();
    double n = (double)(t->completed + t->denied);
    ck_assert_double_ge(n, 19000);
    ck_assert_msg(fabs((double)t->denied - 0.1 * n) <= 4 * sqrt(n * 0.09),
                  "%llu denied of %g", (unsigned long long)t->denied, n);
    ck_assert_int_eq(hist_max(t->latency_failed), 1 * MS);
    ck_assert_int_eq(hist_min(t->latency), 6 * MS);
    ck_assert_uint_eq(t->errors + t->rejected, 0);
    ck_assert_double_eq(metric("app", "denied"), (double)t->denied);
}
END_TEST

/* 10 users x 10 keys = 100 pairs: a cache of 100 decisions misses each pair
 * once, so the policy service gets exactly 100 calls. With ttl = 1 s each
 * pair misses again once a second (at an offset of its own): 10 s give
 * 1000 to 1100 calls. */
START_TEST(the_decision_cache_calls_the_policy_service_once_per_pair_and_ttl)
{
    const char *base = "[service pdp]\nservice = const(1ms)\nworkers = 100\n"
                       "[client c]\narrival = poisson(rate=1000/s)\nkeys = uniform(n=10)\nto = app\n"
                       "[service app]\nservice = const(1ms)\nworkers = 100\n";
    char text[1024];
    snprintf(text, sizeof text, "%srbac = check(cache=100, users=10, policy=pdp)\n", base);
    build(text);
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("app", "policy_calls"), 100);
    ck_assert_uint_eq(kind_lookup(&sim, "pdp")->st.arrivals, 100);
    uint64_t checks = totals()->completed + totals()->denied;
    ck_assert_double_eq_tol(metric("app", "rbac_hit_ratio"), 1 - 100.0 / (double)checks, 1e-12);
    teardown();
    snprintf(text, sizeof text, "%srbac = check(cache=1000, ttl=1s, users=10, policy=pdp)\n",
             base);
    build(text);
    tl_run_until(&sim, 10 * S);
    double calls = metric("app", "policy_calls");
    ck_assert_msg(calls >= 1000 && calls <= 1100, "%g policy calls", calls);
}
END_TEST

/* A denial is never retried, whatever retry_on says; unauthenticated is
 * retried only when retry_on names it (3 attempts each). */
START_TEST(denied_is_never_retried_unauthenticated_only_when_named)
{
    build("[client c]\narrival = constant(rate=100/s)\nto = app\nattempts = 3\n"
          "retry_on = error, rejected, timeout, rate_limited, unauthenticated\n"
          "[service app]\nservice = const(1ms)\nrbac = check(deny=100%)\n");
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->denied, 1000);
    ck_assert_uint_eq(totals()->attempts, 1000);
    teardown();
    const char *authn = "to = app\nattempts = 3\n"
                        "[service app]\nservice = const(1ms)\n"
                        "auth = jwt(verify=const(0), ttl=1ns, users=1, refresh=idp)\n"
                        "[service idp]\nservice = const(1ms)\nerror_rate = 1\n";
    char text[1024];
    snprintf(text, sizeof text, "[client c]\narrival = constant(rate=100/s)\n"
                                "retry_on = unauthenticated\n%s", authn);
    build(text);
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->unauthenticated, 1000);
    ck_assert_uint_eq(totals()->attempts, 3000);
    teardown();
    snprintf(text, sizeof text, "[client c]\narrival = constant(rate=100/s)\n"
                                "retry_on = error, rejected\n%s", authn);
    build(text);
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->unauthenticated, 1000);
    ck_assert_uint_eq(totals()->attempts, 1000);
}
END_TEST

/* One verifier, a request every 1 ms (constant arrivals at whole ms), a
 * key service that answers in 10 ms, and the key rotated at 5 s: nothing
 * is fetched before; from 5000 ms every request finds the keys stale until
 * the first fetch is back at 5010 ms. Without coalescing each of the
 * requests of 5000 .. 5009 ms fetches (10 fetches, a herd); with it the
 * first fetches and the other 9 wait for it (1 fetch, 9 waits), and they
 * all finish at 5011 ms. */
START_TEST(a_key_rotation_herd_and_its_coalesced_fetch)
{
    const char *base = "[client c]\narrival = constant(rate=1000/s)\nto = app\n"
                       "[service jwks]\nservice = const(10ms)\nworkers = 100\n"
                       "[service app]\nservice = const(1ms)\nworkers = 100\n";
    char text[1024];
    for (int co = 0; co < 2; co++) {
        snprintf(text, sizeof text,
                 "%sauth = jwt(verify=const(0), keys=jwks, rotate=5s, keys_ttl=1h, coalesce=%s)\n",
                 base, co ? "true" : "false");
        build(text);
        tl_run_until(&sim, 5 * S - 1);
        ck_assert_double_eq(metric("app", "key_fetches"), 0);
        tl_run_until(&sim, 6 * S);
        ck_assert_double_eq(metric("app", "key_fetches"), co ? 1 : 10);
        ck_assert_uint_eq(kind_lookup(&sim, "jwks")->st.arrivals, co ? 1 : 10);
        if (co)
            ck_assert_double_eq(metric("app", "key_waits"), 9);
        ck_assert_int_eq(hist_max(totals()->latency), 11 * MS);
        ck_assert_uint_eq(totals()->unauthenticated, 0);
        teardown();
    }
}
END_TEST

/* keys_ttl = 1 s and two verifiers with coalescing: each fetches once a
 * second (its copy ages out 1 s after its last fetch, plus the 10 ms the
 * fetch takes), so 10 s give 2 x 9 fetches. */
START_TEST(keys_expire_after_keys_ttl_per_verifier)
{
    build("[client c]\narrival = constant(rate=1000/s)\nto = app\n"
          "[service jwks]\nservice = const(10ms)\nworkers = 100\n"
          "[service app]\nservice = const(1ms)\nworkers = 100\nreplicas = 2\n"
          "auth = jwt(verify=const(0), keys=jwks, keys_ttl=1s, coalesce=true)\n");
    tl_run_until(&sim, 10 * S);
    ck_assert_double_eq(metric("app", "key_fetches"), 18);
}
END_TEST

/* refresh_ahead = 50%: every user refreshes in the background at a point
 * uniform in (5 s, 10 s], so by 5 s + x the refreshes are Binomial(200,
 * x / 5 s) (less a user's 51 ms between requests), and by 10.1 s each user
 * has refreshed exactly once, nearly all ahead of expiry (a user whose
 * point falls in its token's last 51 ms refreshes at expiry instead: 1%). */
START_TEST(refresh_ahead_spreads_the_refreshes_in_the_background)
{
    build_until(STORM_CLIENT APP "auth = jwt(verify=const(0), ttl=10s, refresh_ahead=50%, "
                                 "users=200, refresh=idp)\n" IDP,
                19 * S);
    tl_run_until(&sim, 5 * S);
    ck_assert_double_eq(metric("app", "refreshes"), 0);
    tl_run_until(&sim, 7500 * MS);
    double got = metric("app", "refreshes"), sd = sqrt(200 * 0.25);
    ck_assert_msg(fabs(got - 100) <= 4 * sd + 200 * 0.052 / 5, "%g refreshes by 7.5 s", got);
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_double_eq(metric("app", "refreshes"), 200);
    ck_assert_double_ge(metric("app", "refreshes_ahead"), 200 - 4 * sqrt(200 * 0.01) - 2);
    ck_assert_uint_eq(totals()->unauthenticated, 0);
}
END_TEST

/* A session store that fails every lookup: every request ends
 * unauthenticated after the lookup (2 ms), never an error, and never
 * reaches the service's own work (5 ms). A policy service that fails makes
 * the request an error (an authorisation that could not be decided), not
 * a denial. */
START_TEST(a_failed_lookup_is_unauthenticated_a_failed_policy_call_an_error)
{
    build("[client c]\narrival = constant(rate=100/s)\nto = app\n"
          "[service app]\nservice = const(5ms)\nauth = session(store=sess)\n"
          "[service sess]\nservice = const(2ms)\nerror_rate = 1\n");
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->unauthenticated, 1000);
    ck_assert_uint_eq(totals()->errors + totals()->completed + totals()->denied, 0);
    ck_assert_int_eq(hist_max(totals()->latency_failed), 2 * MS);
    teardown();
    build("[client c]\narrival = constant(rate=100/s)\nto = app\n"
          "[service app]\nservice = const(5ms)\nrbac = check(time=const(0), policy=pdp)\n"
          "[service pdp]\nservice = const(2ms)\nerror_rate = 1\n");
    tl_run_until(&sim, 10 * S + 100 * MS);
    ck_assert_uint_eq(totals()->errors, 1000);
    ck_assert_uint_eq(totals()->denied + totals()->unauthenticated + totals()->completed, 0);
}
END_TEST

Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("auth");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, synchronised_tokens_refresh_in_one_burst_of_every_user);
    tcase_add_test(tc, ttl_jitter_spreads_the_refreshes_uniformly);
    tcase_add_test(tc, a_failing_auth_service_fails_refreshes_while_valid_tokens_go_on);
    tcase_add_test(tc, jwt_costs_worker_time_session_costs_a_call);
    tcase_add_test(tc, the_deny_share_is_binomial_and_a_denial_skips_the_service);
    tcase_add_test(tc, the_decision_cache_calls_the_policy_service_once_per_pair_and_ttl);
    tcase_add_test(tc, denied_is_never_retried_unauthenticated_only_when_named);
    tcase_add_test(tc, refresh_ahead_spreads_the_refreshes_in_the_background);
    tcase_add_test(tc, a_failed_lookup_is_unauthenticated_a_failed_policy_call_an_error);
    tcase_add_test(tc, a_key_rotation_herd_and_its_coalesced_fetch);
    tcase_add_test(tc, keys_expire_after_keys_ttl_per_verifier);
    suite_add_tcase(s, tc);
    return s;
}
