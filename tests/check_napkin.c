/* Napkin math (models/napkin.c): offered load through `to` and `calls`,
 * capacity, utilisation, the read/write mix, cache hit ratios and the
 * bottleneck, on models built from scenario text. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/data/irm.h"
#include "models/data/keys.h"
#include "models/napkin.h"
#include "tests/testlib.h"

struct nap {
    struct sim sim;
    struct scenario *sc;
    struct sc_point *pt;
    struct napkin_row rows[16];
    long best;
};

static void nap_build(struct nap *n, const char *text)
{
    memset(n, 0, sizeof *n);
    tl_model_build(&n->sim, &n->sc, &n->pt, text, 1, 1000000000);
    ck_assert_uint_le(n->sim.ncomps, 16);
    n->best = napkin_compute(&n->sim, n->rows);
}

static const struct napkin_row *row(const struct nap *n, const char *name)
{
    for (size_t i = 0; i < n->sim.ncomps; i++)
        if (strcmp(n->sim.comps[i]->name, name) == 0)
            return &n->rows[i];
    ck_abort_msg("no component %s", name);
    return NULL;
}

static const char *bottleneck(const struct nap *n)
{
    return n->best < 0 ? "(none)" : n->sim.comps[n->best]->name;
}

#define HELLO(rate, queue)                                                                  \
    "[client load]\narrival = poisson(rate=" rate ")\nto = app\n"                           \
    "[service app]\nworkers = 3\nqueue = " queue "\nservice = exp(mean=1s)\n"

/* M/M/3 of hello.ini: 2.55/s into 3 workers of 1 s is rho = 0.85. */
START_TEST(mmc_capacity_and_utilisation)
{
    struct nap n;
    nap_build(&n, HELLO("2.55/s", "unbounded"));
    const struct napkin_row *app = row(&n, "app"), *load = row(&n, "load");
    ck_assert_double_eq_tol(load->offered, 2.55, 1e-12);
    ck_assert(!load->has_server);
    ck_assert_double_eq_tol(app->offered, 2.55, 1e-12);
    ck_assert_double_eq_tol(app->capacity, 3, 1e-12);
    ck_assert_double_eq_tol(app->utilisation, 0.85, 1e-12);
    ck_assert(app->unbounded_queue && !app->overloaded);
    ck_assert_str_eq(bottleneck(&n), "app");
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* At or over capacity, an unbounded queue grows: overloaded; a bounded
 * queue rejects instead: not. */
START_TEST(overload_needs_an_unbounded_queue)
{
    struct nap n;
    nap_build(&n, HELLO("6/s", "unbounded"));
    ck_assert_double_eq_tol(row(&n, "app")->utilisation, 2, 1e-12);
    ck_assert(row(&n, "app")->overloaded);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    nap_build(&n, HELLO("3/s", "unbounded")); /* exactly at capacity: still grows */
    ck_assert(row(&n, "app")->overloaded);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    nap_build(&n, HELLO("6/s", "10"));
    ck_assert(!row(&n, "app")->unbounded_queue && !row(&n, "app")->overloaded);
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* Replicas x workers over the mean service time, each replica at its
 * speed: 2 workers of 100 ms at speeds 1 and 3 serve 20 + 60 = 80/s. */
START_TEST(capacity_counts_replicas_and_speed)
{
    struct nap n;
    nap_build(&n, "[client c]\narrival = poisson(rate=40/s)\nto = app\n"
                  "[service app]\nreplicas = 2\nworkers = 2\nspeed = 1, 3\n"
                  "service = exp(mean=100ms)\n");
    ck_assert_double_eq_tol(row(&n, "app")->capacity, 80, 1e-9);
    ck_assert_double_eq_tol(row(&n, "app")->utilisation, 0.5, 1e-12);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    ck_assert_double_eq_tol(napkin_capacity(3, 1e9), 3, 1e-12);
    ck_assert(isinf(napkin_capacity(3, 0)));
    ck_assert(isnan(napkin_capacity(3, -1)));
    ck_assert(isnan(napkin_capacity(0, 1e9)));
}
END_TEST

#define CALLS(calls, async)                                                                 \
    "[client c]\narrival = poisson(rate=10/s)\nto = api\n"                                  \
    "[service api]\nworkers = 4\nservice = exp(mean=50ms)\ncalls = " calls "\nasync = " async \
    "\n[store db]\nservice = exp(mean=10ms)\nworkers = 1\n"

/* A service that calls db twice per request doubles db's offered load. */
START_TEST(visits_through_calls)
{
    struct nap n;
    nap_build(&n, CALLS("db", "true"));
    ck_assert_double_eq_tol(row(&n, "db")->offered, 10, 1e-12);
    ck_assert_double_eq_tol(row(&n, "db")->utilisation, 0.1, 1e-12);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    nap_build(&n, CALLS("db, db", "true"));
    ck_assert_double_eq_tol(row(&n, "api")->offered, 10, 1e-12);
    ck_assert_double_eq_tol(row(&n, "api")->capacity, 80, 1e-9);
    ck_assert_double_eq_tol(row(&n, "db")->offered, 20, 1e-12);
    ck_assert_double_eq_tol(row(&n, "db")->capacity, 100, 1e-9);
    ck_assert_double_eq_tol(row(&n, "db")->utilisation, 0.2, 1e-12);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* workers held through the calls: the service's capacity is unknown,
     * its callee's load is not */
    nap_build(&n, CALLS("db, db", "false"));
    ck_assert(isnan(row(&n, "api")->capacity) && isnan(row(&n, "api")->utilisation));
    ck_assert_double_eq_tol(row(&n, "db")->offered, 20, 1e-12);
    ck_assert_str_eq(bottleneck(&n), "db");
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

#define CACHED_EV(keys, writes, cap, strategy, eviction)                                     \
    "[client c]\narrival = poisson(rate=100/s)\nkeys = " keys "\nwrites = " writes          \
    "\nto = cache\n[cache cache]\nto = db\ncapacity = " cap "\nstrategy = " strategy         \
    "\neviction = " eviction "\n[store db]\nservice = exp(mean=5ms)\nworkers = 1\n"
#define CACHED(keys, writes, cap, strategy) CACHED_EV(keys, writes, cap, strategy, "lru")

/* Reads that miss and every write reach the store. Uniform keys: an LRU of
 * 250 of 1000 keys hits 25%, so with 20% writes through the cache the store
 * gets 80 x 0.75 + 20 = 80 requests a second. */
START_TEST(read_write_mix_and_hit_ratio)
{
    struct nap n;
    nap_build(&n, CACHED("uniform(n=1000)", "20%", "250", "write_through"));
    ck_assert_double_eq_tol(row(&n, "cache")->offered, 100, 1e-12);
    ck_assert(isinf(row(&n, "cache")->capacity)); /* no lookup workers: no limit */
    ck_assert_double_eq_tol(row(&n, "db")->offered, 80, 1e-9);
    ck_assert_double_eq_tol(row(&n, "db")->writes, 20, 1e-9);
    ck_assert_double_eq_tol(row(&n, "db")->utilisation, 0.4, 1e-9);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* reads only: 100 x 0.75 */
    nap_build(&n, CACHED("uniform(n=1000)", "0", "250", "cache_aside"));
    ck_assert_double_eq_tol(row(&n, "db")->offered, 75, 1e-9);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* cache_aside deletes the entry on a write: the hit ratio is no longer
     * theory's, and the store's load is unknown */
    nap_build(&n, CACHED("uniform(n=1000)", "20%", "250", "cache_aside"));
    ck_assert(isnan(row(&n, "db")->offered));
    ck_assert_double_eq_tol(row(&n, "db")->writes, 20, 1e-9);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* write-behind batches the writes: unknown */
    nap_build(&n, CACHED("uniform(n=1000)", "20%", "250", "write_behind(batch=10, flush=1s)"));
    ck_assert(isnan(row(&n, "db")->offered));
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* Zipf keys: the miss ratio is 1 - Che's hit ratio; at n = 10, s = 1, C = 3
 * Che gives 0.4657239064 (the value check_theory checks by the formula). */
START_TEST(che_hit_ratio_thins_the_store)
{
    struct nap n;
    nap_build(&n, CACHED("zipf(n=10, s=1)", "0", "3", "cache_aside"));
    ck_assert_double_eq_tol(row(&n, "db")->offered, 100 * (1 - 0.4657239064), 1e-6);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* FIFO keeps fewer of the popular keys than LRU: more misses */
    nap_build(&n, CACHED_EV("zipf(n=10, s=1)", "0", "3", "cache_aside", "fifo"));
    double fifo_hit = irm_martina_fifo_hit_ratio(10, 1, 3);
    ck_assert(fifo_hit < 0.4657239064 && fifo_hit > 0.3);
    ck_assert_double_eq_tol(row(&n, "db")->offered, 100 * (1 - fifo_hit), 1e-9);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    /* a policy theory has no formula for here: unknown */
    nap_build(&n, CACHED_EV("zipf(n=10, s=1)", "0", "3", "cache_aside", "lfu"));
    ck_assert(isnan(row(&n, "db")->offered));
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

START_TEST(hit_ratio_by_policy)
{
    struct keys z = {.kind = KEYS_ZIPF, .n = 100000, .s = 0.8};
    ck_assert_double_eq_tol(napkin_hit_ratio("lru", 1000, &z), 0.2043337635, 1e-8);
    ck_assert_double_eq_tol(napkin_hit_ratio("fifo", 1000, &z),
                            irm_martina_fifo_hit_ratio(100000, 0.8, 1000), 1e-15);
    ck_assert_double_eq_tol(napkin_hit_ratio("random", 1000, &z),
                            napkin_hit_ratio("fifo", 1000, &z), 1e-15);
    ck_assert(napkin_hit_ratio("fifo", 1000, &z) < napkin_hit_ratio("lru", 1000, &z));
    ck_assert(isnan(napkin_hit_ratio("lfu", 1000, &z)));
    struct keys u = {.kind = KEYS_UNIFORM, .n = 10000000000ULL};
    ck_assert_double_eq_tol(napkin_hit_ratio("lru", 1e6, &u), 1e-4, 1e-15);
    struct keys big = {.kind = KEYS_ZIPF, .n = NAPKIN_MAX_KEYS + 1, .s = 0.9};
    ck_assert(isnan(napkin_hit_ratio("lru", 1000, &big)));
    struct keys hot = {.kind = KEYS_HOTSET, .n = 1000, .hot_n = 10, .share = 0.9};
    ck_assert(isnan(napkin_hit_ratio("lru", 100, &hot)));
    ck_assert(isnan(napkin_hit_ratio("lru", 100, NULL)));
}
END_TEST

/* Two clients with the same keys keep the hit ratio known; different keys
 * make it unknown. */
START_TEST(keys_of_several_clients)
{
    static const char same[] =
        "[client a]\narrival = poisson(rate=60/s)\nkeys = uniform(n=100)\nto = cache\n"
        "[client b]\narrival = poisson(rate=40/s)\nkeys = uniform(n=100)\nto = cache\n"
        "[cache cache]\nto = db\ncapacity = 50\n"
        "[store db]\nservice = exp(mean=5ms)\n";
    struct nap n;
    nap_build(&n, same);
    ck_assert_double_eq_tol(row(&n, "cache")->offered, 100, 1e-12);
    ck_assert_double_eq_tol(row(&n, "db")->offered, 50, 1e-9);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    static const char mixed[] =
        "[client a]\narrival = poisson(rate=60/s)\nkeys = uniform(n=100)\nto = cache\n"
        "[client b]\narrival = poisson(rate=40/s)\nkeys = uniform(n=200)\nto = cache\n"
        "[cache cache]\nto = db\ncapacity = 50\n"
        "[store db]\nservice = exp(mean=5ms)\n";
    nap_build(&n, mixed);
    ck_assert(isnan(row(&n, "db")->offered));
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* The bottleneck is the highest utilisation, wherever it is in the chain. */
START_TEST(bottleneck_naming)
{
    static const char fmt[] =
        "[client c]\narrival = poisson(rate=30/s)\nto = lb\n"
        "[balancer lb]\nto = app\n"
        "[service app]\nreplicas = 2\nworkers = 2\nservice = exp(mean=100ms)\ncalls = db\n"
        "async = true\n"
        "[store db]\nservice = exp(mean=%s)\n";
    char text[512];
    struct nap n;
    snprintf(text, sizeof text, fmt, "20ms");
    nap_build(&n, text);
    ck_assert(isinf(row(&n, "lb")->capacity));
    ck_assert_double_eq_tol(row(&n, "app")->utilisation, 0.75, 1e-12);
    ck_assert_double_eq_tol(row(&n, "db")->utilisation, 0.6, 1e-12);
    ck_assert_str_eq(bottleneck(&n), "app");
    tl_model_free(&n.sim, &n.sc, &n.pt);
    snprintf(text, sizeof text, fmt, "30ms");
    nap_build(&n, text);
    ck_assert_double_eq_tol(row(&n, "db")->utilisation, 0.9, 1e-12);
    ck_assert_str_eq(bottleneck(&n), "db");
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* What cannot be known stays unknown: a closed loop's rate, what a rate
 * limiter lets through. */
START_TEST(unknowns_stay_unknown)
{
    struct nap n;
    nap_build(&n, "[client c]\nusers = 10\nthink = exp(mean=1s)\nto = app\n"
                  "[service app]\nworkers = 3\nservice = exp(mean=1s)\n");
    ck_assert(isnan(row(&n, "app")->offered) && isnan(row(&n, "app")->utilisation));
    ck_assert_double_eq_tol(row(&n, "app")->capacity, 3, 1e-12);
    ck_assert_int_eq(n.best, -1);
    tl_model_free(&n.sim, &n.sc, &n.pt);
    nap_build(&n, "[client c]\narrival = poisson(rate=200/s)\nto = gw\n"
                  "[balancer gw]\nto = app\nlimit = token_bucket(rate=100/s, burst=10)\n"
                  "[service app]\nworkers = 3\nservice = exp(mean=10ms)\n");
    ck_assert_double_eq_tol(row(&n, "gw")->offered, 200, 1e-12);
    ck_assert(isnan(row(&n, "app")->offered));
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

/* A queue's consumers take its publishes without a call edge: a service
 * publishing 2 messages per request at 100/s offers each group of a fanout
 * queue 200/s; 4 consumers of 10 ms serve 400/s (0.5), 1 of 10 ms 100/s
 * (2: overloaded, its queue unbounded); a bounded queue is not. */
START_TEST(consumers_take_their_queue_s_publishes)
{
    struct nap n;
    const char *text = "[client load]\narrival = poisson(rate=100/s)\nto = api\n"
                       "[service api]\nworkers = 10\nservice = exp(mean=1ms)\ncalls = q, q\n"
                       "[queue q]\nmode = fanout\n"
                       "[consumers a]\nfrom = q\nconsumers = 4\nservice = exp(mean=10ms)\n"
                       "[consumers b]\nfrom = q\nservice = exp(mean=10ms)\n";
    nap_build(&n, text);
    ck_assert_double_eq_tol(row(&n, "q")->offered, 200, 1e-9);
    ck_assert_double_eq_tol(row(&n, "a")->offered, 200, 1e-9);
    ck_assert_double_eq_tol(row(&n, "a")->capacity, 400, 1e-9);
    ck_assert_double_eq_tol(row(&n, "a")->utilisation, 0.5, 1e-9);
    ck_assert(!row(&n, "a")->overloaded);
    ck_assert_double_eq_tol(row(&n, "b")->utilisation, 2, 1e-9);
    ck_assert(row(&n, "b")->overloaded);
    ck_assert_str_eq(bottleneck(&n), "b");
    tl_model_free(&n.sim, &n.sc, &n.pt);
}
END_TEST

Suite *napkin_suite(void)
{
    Suite *s = suite_create("napkin");
    TCase *tc = tcase_create("napkin");
    tcase_add_test(tc, mmc_capacity_and_utilisation);
    tcase_add_test(tc, overload_needs_an_unbounded_queue);
    tcase_add_test(tc, capacity_counts_replicas_and_speed);
    tcase_add_test(tc, visits_through_calls);
    tcase_add_test(tc, read_write_mix_and_hit_ratio);
    tcase_add_test(tc, che_hit_ratio_thins_the_store);
    tcase_add_test(tc, hit_ratio_by_policy);
    tcase_add_test(tc, keys_of_several_clients);
    tcase_add_test(tc, bottleneck_naming);
    tcase_add_test(tc, unknowns_stay_unknown);
    tcase_add_test(tc, consumers_take_their_queue_s_publishes);
    suite_add_tcase(s, tc);
    return s;
}
