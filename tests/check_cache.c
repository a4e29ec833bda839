/* The store, the cache and their observer, driven request by request: a
 * model is built from scenario text, requests are sent from a test sink
 * component, and events run up to a chosen time, so each test states an
 * exact sequence and its expected outcome. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/data/keymap.h"
#include "models/kind.h"
#include "models/model.h"
#include "models/data/observer.h"
#include "models/kinds/store.h"
#include "sim/hist.h"
#include "output/results.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

/* ---- keymap and observer ---------------------------------------------------- */

START_TEST(keymap_grows_and_deletes_without_losing_keys)
{
    struct keymap m;
    keymap_init(&m);
    ck_assert_uint_eq(keymap_get(&m, 5), KEYMAP_NONE);
    for (uint64_t k = 0; k < 5000; k++)
        keymap_put(&m, k * 7919, k + 1);
    for (uint64_t k = 0; k < 5000; k += 2)
        ck_assert_uint_eq(keymap_del(&m, k * 7919), k + 1);
    for (uint64_t k = 0; k < 5000; k++)
        ck_assert_uint_eq(keymap_get(&m, k * 7919), k % 2 ? k + 1 : KEYMAP_NONE);
    ck_assert_uint_eq(m.count, 2500);
    keymap_put(&m, 7919, 42); /* replaces */
    ck_assert_uint_eq(keymap_get(&m, 7919), 42);
    ck_assert_uint_eq(m.count, 2500);
    keymap_clear(&m);
    ck_assert_uint_eq(keymap_get(&m, 7919), KEYMAP_NONE);
    keymap_fini(&m);
}
END_TEST

/* A hand-made history of key 9: two commits, then reads that return
 * version 1 (stale by one), 2 (current), 0 (never-written data, stale by
 * two) and pending write-behind data (never stale). */
START_TEST(observer_counts_reads_older_than_the_newest_commit)
{
    struct observer o;
    observer_init(&o);
    ck_assert_uint_eq(observer_committed(&o, 9), 0);
    ck_assert_uint_eq(observer_commit(&o, 9), 1);
    ck_assert_uint_eq(observer_commit(&o, 9), 2);
    ck_assert(observer_read(&o, 9, 1));
    ck_assert(!observer_read(&o, 9, 2));
    ck_assert(observer_read(&o, 9, 0));
    ck_assert(!observer_read(&o, 9, OBSERVER_PENDING));
    ck_assert(!observer_read(&o, 10, 0)); /* never written: version 0 is current */
    observer_lost(&o, 3);
    ck_assert_uint_eq(o.reads, 5);
    ck_assert_uint_eq(o.stale_reads, 2);
    ck_assert_uint_eq(o.versions_behind, 3);
    ck_assert_uint_eq(o.commits, 2);
    ck_assert_uint_eq(o.lost_writes, 3);
    observer_reset(&o);
    ck_assert_uint_eq(o.stale_reads + o.lost_writes + o.reads, 0);
    ck_assert_uint_eq(observer_committed(&o, 9), 2); /* state survives the cut */
    observer_fini(&o);
}
END_TEST

/* ---- a model driven by hand ---------------------------------------------- */

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

/* Builds the model of `text` (a client that is never started, so only the
 * test's own requests flow) and starts the component called `start`. */
static void build(const char *text, const char *start)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000000000000LL);
    tl_sink_init(&sink);
    if (start) {
        struct component *c = kind_lookup(&sim, start);
        c->kind->start(&sim, c);
    }
}

static void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}


static void run_until(int64_t t_ns)
{
    tl_run_until(&sim, t_ns);
}

static void send(const char *to, uint64_t key, int op, uint64_t version)
{
    struct request *r = sim_req_new(&sim);
    r->key = key;
    r->op = (uint8_t)op;
    r->version = version;
    r->work_seed = key * 31 + (uint64_t)sink.replies;
    tl_sink_send(&sim, &sink, r, kind_lookup(&sim, to));
}

static double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

#define MS 1000000LL

#define STORE "[store db]\nservice = const(1ms)\nworkers = 4\n"
#define CLIENT "[client c]\narrival = constant(rate=1/s)\nto = cache\n"

START_TEST(cas_commits_only_on_the_version_read)
{
    build(CLIENT "[cache cache]\nto = db\n" STORE, NULL);
    send("db", 7, OP_WRITE, 0);
    run_until(10 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 1);
    send("db", 7, OP_CAS, 0); /* read before the write: conflict */
    run_until(20 * MS);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_uint_eq(sink.last_version, 1);
    send("db", 7, OP_CAS, 1);
    run_until(30 * MS);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_uint_eq(sink.last_version, 2);
    send("db", 7, OP_READ, 0);
    run_until(40 * MS);
    ck_assert_uint_eq(sink.last_version, 2);
    ck_assert_double_eq(metric("db", "cas_conflicts"), 1);
    ck_assert_double_eq(metric("db", "writes"), 2);
}
END_TEST

START_TEST(ttl_expires_an_entry)
{
    build(CLIENT "[cache cache]\nto = db\nttl = 1s\n" STORE, NULL);
    send("cache", 3, OP_READ, 0);
    run_until(500 * MS);
    send("cache", 3, OP_READ, 0);
    run_until(999 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 1);
    send("cache", 3, OP_READ, 0); /* filled at 1 ms: expired at 1001 ms */
    run_until(1002 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 2);
    run_until(1100 * MS);
    send("cache", 3, OP_READ, 0);
    run_until(1200 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 2);
    ck_assert_double_eq(metric("cache", "misses"), 2);
    ck_assert_int_eq(sink.replies, 4);
}
END_TEST

static void herd(bool coalesce)
{
    build(coalesce ? CLIENT "[cache cache]\nto = db\ncoalesce = true\n" STORE
                   : CLIENT "[cache cache]\nto = db\n" STORE,
          NULL);
    for (int i = 0; i < 5; i++)
        send("cache", 11, OP_READ, 0);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 5);
    ck_assert_double_eq(metric("db", "store_reads"), coalesce ? 1 : 5);
    ck_assert_double_eq(metric("cache", "coalesced"), coalesce ? 4 : 0);
    ck_assert_double_eq(metric("db", "reads"), 5); /* each answered once */
}

START_TEST(coalescing_sends_one_read_for_concurrent_misses)
{
    herd(true);
}
END_TEST

START_TEST(without_coalescing_every_miss_reads_the_store)
{
    herd(false);
}
END_TEST

/* write_around leaves the cached copy: the next hit returns version 0
 * while the store has version 1, and the observer calls it stale. */
START_TEST(a_hit_on_an_overwritten_entry_is_stale)
{
    build(CLIENT "[cache cache]\nto = db\nstrategy = write_around\n" STORE, NULL);
    send("cache", 4, OP_READ, 0);
    run_until(10 * MS);
    send("cache", 4, OP_WRITE, 0);
    run_until(20 * MS);
    send("cache", 4, OP_READ, 0);
    run_until(30 * MS);
    ck_assert_uint_eq(sink.last_version, 0);
    ck_assert_double_eq(metric("db", "stale_reads"), 1);
    ck_assert_double_eq(metric("db", "reads"), 2);
}
END_TEST

/* cache_aside deletes on write: the read after the write misses and gets
 * the new version; nothing is stale. */
START_TEST(cache_aside_delete_leaves_nothing_stale)
{
    build(CLIENT "[cache cache]\nto = db\n" STORE, NULL);
    send("cache", 4, OP_READ, 0);
    run_until(10 * MS);
    send("cache", 4, OP_WRITE, 0);
    run_until(20 * MS);
    send("cache", 4, OP_READ, 0);
    run_until(30 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    ck_assert_double_eq(metric("db", "stale_reads"), 0);
    ck_assert_double_eq(metric("cache", "misses"), 2);
}
END_TEST

#define WB(args) CLIENT "[cache cache]\nto = db\nstrategy = write_behind(" args ")\n" STORE

START_TEST(write_behind_flushes_a_full_batch_at_once)
{
    build(WB("batch=3, flush=1s"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    run_until(500 * MS);
    ck_assert_int_eq(sink.replies, 2); /* acknowledged at once */
    ck_assert_double_eq(metric("db", "writes"), 0);
    send("cache", 3, OP_WRITE, 0);
    run_until(502 * MS);
    ck_assert_double_eq(metric("db", "writes"), 3);
}
END_TEST

START_TEST(write_behind_flushes_on_the_interval_and_merges_writes)
{
    build(WB("batch=100, flush=1s"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    run_until(999 * MS);
    ck_assert_double_eq(metric("db", "writes"), 0);
    ck_assert_double_eq(metric("cache", "wb_unflushed"), 2);
    run_until(1002 * MS);
    ck_assert_double_eq(metric("db", "writes"), 2); /* key 1's two writes merged */
    ck_assert_double_eq(metric("cache", "wb_unflushed"), 0);
    send("cache", 1, OP_READ, 0); /* the cache holds key 1, now clean at version 1 */
    run_until(1010 * MS);
    ck_assert_uint_eq(sink.last_version, 1);
    ck_assert_double_eq(metric("db", "stale_reads"), 0);
}
END_TEST

START_TEST(write_behind_full_queue_rejects)
{
    build(WB("batch=100, flush=1s, queue=2, full=reject"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    ck_assert_int_eq(sink.replies, 3);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    send("cache", 1, OP_WRITE, 0); /* merges: needs no room */
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_double_eq(metric("cache", "wb_rejected"), 1);
}
END_TEST

START_TEST(write_behind_full_queue_drops_the_oldest)
{
    build(WB("batch=100, flush=1s, queue=2, full=drop_oldest"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    ck_assert_int_eq(sink.replies, 3);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    run_until(1100 * MS);
    ck_assert_double_eq(metric("db", "lost_writes"), 1);
    ck_assert_double_eq(metric("db", "writes"), 2);
}
END_TEST

START_TEST(write_behind_full_queue_blocks_until_a_flush_is_acknowledged)
{
    build(WB("batch=100, flush=1s, queue=2, full=block"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    ck_assert_int_eq(sink.replies, 2);
    run_until(1000 * MS); /* flushed, not yet acknowledged */
    ck_assert_int_eq(sink.replies, 2);
    run_until(1001 * MS); /* the store took 1 ms */
    ck_assert_int_eq(sink.replies, 3);
    run_until(2002 * MS);
    ck_assert_double_eq(metric("db", "writes"), 3);
    ck_assert_double_eq(metric("db", "lost_writes"), 0);
}
END_TEST

START_TEST(a_crash_loses_the_unflushed_writes_and_empties_the_cache)
{
    build(WB("batch=100, flush=1s"), "cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    run_until(500 * MS);
    struct component *c = kind_lookup(&sim, "cache");
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("db", "lost_writes"), 3);
    send("cache", 1, OP_READ, 0); /* down: straight to the store */
    run_until(600 * MS);
    ck_assert_uint_eq(sink.last_version, 0);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, false);
    send("cache", 1, OP_READ, 0); /* back, empty: a miss */
    run_until(700 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 0);
    run_until(2100 * MS);
    ck_assert_double_eq(metric("db", "writes"), 0);
}
END_TEST

/* ---- the lookup queue ------------------------------------------------------ */

#define QCACHE(extra) CLIENT "[cache cache]\nto = db\nhit_time = const(10ms)\n" extra "\n" STORE

static struct component *comp(const char *name)
{
    return kind_lookup(&sim, name);
}

/* One worker, 10 ms lookups, three misses at t = 0 and one hit at 50 ms:
 * lookups end at 10, 20 and 30 ms (waits 0, 10 and 20 ms), each miss then
 * reads the store for 1 ms; the hit at 50 ms finds the worker free. */
START_TEST(lookups_wait_in_fifo_order_for_one_worker)
{
    build(QCACHE("workers = 1"), NULL);
    send("cache", 1, OP_READ, 0);
    send("cache", 2, OP_READ, 0);
    send("cache", 3, OP_READ, 0);
    ck_assert_int_eq(comp("cache")->st.busy.value, 1);
    ck_assert_int_eq(comp("cache")->st.queued.value, 2);
    const int64_t replies_at[] = {11 * MS, 21 * MS, 31 * MS};
    for (int i = 0; i < 3; i++) {
        run_until(replies_at[i] - 1);
        ck_assert_int_eq(sink.replies, i);
        run_until(replies_at[i]);
        ck_assert_int_eq(sink.replies, i + 1);
    }
    ck_assert_int_eq(comp("cache")->st.queued.value, 0);
    run_until(50 * MS);
    send("cache", 1, OP_READ, 0);
    run_until(60 * MS - 1);
    ck_assert_int_eq(sink.replies, 3);
    run_until(60 * MS);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_double_eq(metric("cache", "hits"), 1);
    const struct hist *w = comp("cache")->st.wait;
    ck_assert_uint_eq(hist_count(w), 4);
    ck_assert_double_eq_tol(hist_mean(w), (0 + 10 + 20 + 0) * MS / 4.0, 1); /* exact sum */
    ck_assert_int_eq(hist_max(w), 20 * MS);
    ck_assert_int_eq(comp("cache")->st.busy.value, 0);
    ck_assert_double_eq(metric("cache", "lookup_rejected"), 0);
}
END_TEST

/* queue = 1: the third lookup finds one in service and one waiting. */
START_TEST(a_full_lookup_queue_rejects_at_once)
{
    build(QCACHE("workers = 1\nqueue = 1"), NULL);
    send("cache", 1, OP_READ, 0);
    send("cache", 2, OP_READ, 0);
    send("cache", 3, OP_READ, 0);
    ck_assert_int_eq(sink.replies, 1);
    ck_assert_int_eq(sink.last_status, REQ_REJECTED);
    ck_assert_double_eq(metric("cache", "lookup_rejected"), 1);
    ck_assert_uint_eq(comp("cache")->st.rejected, 1);
    ck_assert_int_eq(comp("cache")->st.insys.value, 2);
    run_until(100 * MS);
    ck_assert_int_eq(sink.replies, 3);
    ck_assert_int_eq(sink.last_status, REQ_OK);
    ck_assert_double_eq(metric("cache", "misses"), 2); /* the rejected one never looked */
}
END_TEST

/* A crash at 1 ms sends the two waiting lookups to the store at once (their
 * replies at 2 ms); the lookup in progress ends at 10 ms, finds the cache
 * down and goes to the store too (11 ms). */
START_TEST(a_crash_sends_waiting_lookups_to_the_store)
{
    build(QCACHE("workers = 1"), NULL);
    struct component *c = comp("cache");
    send("cache", 1, OP_READ, 0);
    send("cache", 2, OP_READ, 0);
    send("cache", 3, OP_READ, 0);
    run_until(1 * MS);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, true);
    ck_assert_int_eq(c->st.queued.value, 0);
    ck_assert_int_eq(c->st.busy.value, 1);
    run_until(2 * MS);
    ck_assert_int_eq(sink.replies, 2);
    run_until(11 * MS - 1);
    ck_assert_int_eq(sink.replies, 2);
    run_until(11 * MS);
    ck_assert_int_eq(sink.replies, 3);
    ck_assert_int_eq(c->st.busy.value, 0);
    ck_assert_double_eq(metric("cache", "misses") + metric("cache", "hits"), 0);
}
END_TEST

/* The default: every lookup starts at once, as before workers existed
 * (four misses, so the store's four workers do not queue them either). */
START_TEST(unbounded_workers_never_queue_lookups)
{
    build(QCACHE(""), NULL);
    for (uint64_t k = 1; k <= 4; k++)
        send("cache", k, OP_READ, 0);
    run_until(11 * MS - 1);
    ck_assert_int_eq(sink.replies, 0);
    run_until(11 * MS);
    ck_assert_int_eq(sink.replies, 4);
    ck_assert_int_eq(comp("cache")->st.queued.value, 0);
}
END_TEST

/* A cache with one worker, exp(mean = 1 ms) lookups and Poisson arrivals
 * at 500/s on one key (every lookup after the first is a hit) is an M/M/1
 * queue at rho = 0.5: mean response 1 / (mu - lambda) = 2 ms, mean wait
 * 1 ms, utilisation 0.5. Over 20 seeds this 190 s window gave a standard
 * deviation of 0.018 ms for the mean response and 0.002 for the
 * utilisation, so +-5% (about 5 sigma) and +-0.01 cannot fail by chance
 * but catch a lookup that does not queue (response 1 ms) or a worker that
 * is held past its lookup. */
START_TEST(one_worker_cache_of_hits_is_an_mm1_queue)
{
    size_t n;
    struct run_result *r = tl_runs("[sim]\nduration = 200s\nwarmup = 10s\nseed = 7\n"
                                   "[client c]\narrival = poisson(rate=500/s)\n"
                                   "keys = uniform(n=1)\nto = cache\n"
                                   "[cache cache]\nto = db\nworkers = 1\n"
                                   "hit_time = exp(mean=1ms)\n"
                                   "[store db]\nservice = const(1ms)\n",
                                   1, &n);
    ck_assert_uint_eq(n, 1);
    const struct comp_result *cr = NULL;
    for (size_t i = 0; i < r->ncomps; i++)
        if (strcmp(r->comps[i].name, "cache") == 0)
            cr = &r->comps[i];
    ck_assert_ptr_nonnull(cr);
    double resp_ms = (double)(cr->resp.sum / (long double)cr->resp.total) / 1e6;
    double wait_ms = (double)(cr->wait.sum / (long double)cr->wait.total) / 1e6;
    ck_assert_double_eq_tol(resp_ms, 2.0, 0.1);
    ck_assert_double_eq_tol(wait_ms, 1.0, 0.1);
    ck_assert_double_eq_tol(cr->mean_busy / cr->servers, 0.5, 0.01);
    ck_assert_uint_eq(cr->rejected, 0);
    tl_runs_free(r, n);
}
END_TEST

/* ---- write-behind as bulk writes -------------------------------------------- */

static uint64_t store_requests(void)
{
    return comp("db")->st.arrivals;
}

static uint64_t committed(uint64_t key)
{
    return observer_committed(store_observer(comp("db")), key);
}

/* batch = 3: writes of keys 1..6 at t = 0 leave as two bulk writes at once;
 * keys 7, 7 (merged) and 1 again wait for the 1 s tick and leave as a third.
 * 8 distinct pending writes, ceil(8 / 3) = 3 store requests, and each key
 * ends at its newest version (key 1 at 2), which the cache then serves. */
START_TEST(write_behind_sends_one_store_request_per_batch)
{
    build(WB("batch=3, flush=1s"), "cache");
    for (uint64_t k = 1; k <= 6; k++)
        send("cache", k, OP_WRITE, 0);
    run_until(10 * MS);
    ck_assert_uint_eq(store_requests(), 2);
    ck_assert_double_eq(metric("db", "writes"), 6);
    send("cache", 7, OP_WRITE, 0);
    send("cache", 7, OP_WRITE, 0);
    send("cache", 1, OP_WRITE, 0);
    run_until(999 * MS);
    ck_assert_uint_eq(store_requests(), 2);
    ck_assert_double_eq(metric("cache", "wb_unflushed"), 2);
    run_until(1001 * MS);
    ck_assert_uint_eq(store_requests(), 3);
    ck_assert_double_eq(metric("db", "writes"), 8);
    ck_assert_double_eq(metric("db", "lost_writes"), 0);
    ck_assert_double_eq(metric("cache", "wb_unflushed"), 0);
    for (uint64_t k = 1; k <= 7; k++)
        ck_assert_uint_eq(committed(k), k == 1 ? 2 : 1);
    send("cache", 1, OP_READ, 0);
    run_until(1010 * MS);
    ck_assert_uint_eq(sink.last_version, 2);
    ck_assert_double_eq(metric("cache", "hits"), 1);
    ck_assert_double_eq(metric("db", "stale_reads"), 0);
}
END_TEST

/* batch_item_time = 2ms: a bulk write of 3 keys takes 1 ms + 2 x 2 ms and
 * commits all three at 5 ms; a plain write to the same store still takes
 * its 1 ms service. */
START_TEST(a_bulk_write_takes_one_service_plus_the_per_item_time)
{
    build(CLIENT "[cache cache]\nto = db\nstrategy = write_behind(batch=3, flush=1s)\n" STORE
          "batch_item_time = 2ms\n",
          "cache");
    for (uint64_t k = 1; k <= 3; k++)
        send("cache", k, OP_WRITE, 0);
    run_until(5 * MS - 1);
    ck_assert_double_eq(metric("db", "writes"), 0);
    ck_assert_int_eq(comp("db")->st.busy.value, 1);
    run_until(5 * MS);
    ck_assert_double_eq(metric("db", "writes"), 3);
    run_until(10 * MS);
    send("db", 9, OP_WRITE, 0);
    run_until(11 * MS - 1);
    ck_assert_double_eq(metric("db", "writes"), 3);
    run_until(11 * MS);
    ck_assert_double_eq(metric("db", "writes"), 4);
}
END_TEST

/* batch = 2: keys 1 and 2 leave at t = 0 as one bulk write (it commits at
 * 1 ms); two writes of key 3 wait. A crash at t = 0 loses exactly those two
 * acknowledged writes; the bulk write already sent still commits. The
 * same again later: the crash loses only the one pending write. */
START_TEST(a_crash_between_flushes_loses_exactly_the_unflushed_writes)
{
    build(WB("batch=2, flush=1s"), "cache");
    struct component *c = comp("cache");
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("db", "lost_writes"), 2);
    run_until(10 * MS);
    ck_assert_double_eq(metric("db", "writes"), 2);
    ck_assert_double_eq(metric("db", "lost_writes"), 2);
    ck_assert_uint_eq(committed(1), 1);
    ck_assert_uint_eq(committed(3), 0);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, false);
    send("cache", 5, OP_WRITE, 0);
    send("cache", 6, OP_WRITE, 0);
    send("cache", 7, OP_WRITE, 0);
    run_until(500 * MS);
    c->kind->fault(&sim, c, -1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("db", "lost_writes"), 3);
    run_until(2100 * MS);
    ck_assert_double_eq(metric("db", "writes"), 4);
    ck_assert_uint_eq(committed(7), 0);
    ck_assert_uint_eq(store_requests(), 2);
}
END_TEST

/* The store fails every request: the one bulk write of keys 1, 2 (written
 * twice) and 3 fails whole, its 4 acknowledged writes are lost, and the
 * cache forgets data the store never got (the next read misses). */
START_TEST(a_failed_bulk_write_loses_every_write_it_carries)
{
    build(WB("batch=3, flush=1s"), "cache");
    struct component *db = comp("db");
    db->kind->fault(&sim, db, -1, FAULT_ERRORS, 1.0, true);
    send("cache", 1, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 2, OP_WRITE, 0);
    send("cache", 3, OP_WRITE, 0);
    run_until(10 * MS);
    ck_assert_uint_eq(store_requests(), 1);
    ck_assert_double_eq(metric("db", "lost_writes"), 4);
    ck_assert_double_eq(metric("db", "writes"), 0);
    ck_assert_double_eq(metric("cache", "wb_unflushed"), 0);
    db->kind->fault(&sim, db, -1, FAULT_ERRORS, 0, false);
    send("cache", 2, OP_READ, 0);
    run_until(20 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 0);
    ck_assert_uint_eq(sink.last_version, 0);
}
END_TEST

/* ---- capacity in bytes --------------------------------------------------------- */

#define BYTES_CACHE(name, cap, size)                                                              \
    "[cache " name "]\nto = db\ncapacity = " cap "\nobject_size = " size "\n"

/* Reads key at time t and lets its fill arrive (the store takes 1 ms). */
static void read_at(const char *cache, uint64_t key, int64_t t_ns)
{
    send(cache, key, OP_READ, 0);
    run_until(t_ns);
}

/* 4 KB objects in a 10 KB LRU cache: two fit, a third evicts the least
 * recent. 1 M, 2 M, 1 H [1 2], 3 M evicts 2 [3 1], 1 H [1 3], 2 M evicts 3
 * [2 1]: 2 hits of 6 requests, by count and by bytes. */
START_TEST(byte_capacity_evicts_by_bytes)
{
    build(CLIENT BYTES_CACHE("cache", "10KB", "const(4KB)") STORE, NULL);
    static const uint64_t keys[] = {1, 2, 1, 3, 1, 2};
    for (int i = 0; i < 6; i++)
        read_at("cache", keys[i], (i + 1) * 10 * MS);
    ck_assert_double_eq(metric("cache", "hits"), 2);
    ck_assert_double_eq(metric("cache", "misses"), 4);
    ck_assert_double_eq_tol(metric("cache", "hit_ratio"), 1.0 / 3.0, 1e-12);
    ck_assert_double_eq_tol(metric("cache", "byte_hit_ratio"), 1.0 / 3.0, 1e-12);
    ck_assert_double_eq(metric("cache", "bytes_cached"), 8000);
    ck_assert_double_eq(metric("cache", "too_big"), 0);
}
END_TEST

/* An object larger than the whole cache is never cached: every read of it
 * misses and is counted in too_big, and nothing is held. */
START_TEST(an_object_larger_than_the_cache_is_not_admitted)
{
    build(CLIENT BYTES_CACHE("cache", "10KB", "const(20KB)") STORE, NULL);
    read_at("cache", 1, 10 * MS);
    read_at("cache", 1, 20 * MS);
    ck_assert_double_eq(metric("cache", "misses"), 2);
    ck_assert_double_eq(metric("cache", "too_big"), 2);
    ck_assert_double_eq(metric("cache", "bytes_cached"), 0);
    ck_assert_double_eq(metric("cache", "byte_hit_ratio"), 0);
}
END_TEST

/* Bytes held after one read of each of keys 0..99 into a cache big enough
 * for all, twice over (each key read twice, so a size that changed between
 * reads would show as a miss). */
static double bytes_of_100_keys(const char *text, const char *cache)
{
    build(text, NULL);
    for (uint64_t k = 0; k < 200; k++)
        read_at(cache, k % 100, (int64_t)(k + 1) * 10 * MS);
    ck_assert_double_eq(metric(cache, "hits"), 100);
    double b = metric(cache, "bytes_cached");
    teardown();
    return b;
}

/* A key's size is a pure function of (seed, cache name, key): the same model
 * gives the same bytes, a cache with another name other sizes. Sizes are
 * uniform in [1, 1000] bytes, so 100 of them sum to 50050 on average with a
 * standard deviation of 289 * 10 = 2890; 4 standard deviations is 11560. */
START_TEST(object_sizes_depend_on_seed_cache_and_key_only)
{
    const char *a = CLIENT BYTES_CACHE("cache", "1MB", "uniform(1B, 1000B)") STORE;
    const char *b = "[client c]\narrival = constant(rate=1/s)\nto = other\n" BYTES_CACHE(
        "other", "1MB", "uniform(1B, 1000B)") STORE;
    double first = bytes_of_100_keys(a, "cache");
    ck_assert_double_eq(bytes_of_100_keys(a, "cache"), first);
    ck_assert_double_eq_tol(first, 50050, 11560);
    double renamed = bytes_of_100_keys(b, "other");
    ck_assert_double_ne(renamed, first);
    ck_assert_double_eq_tol(renamed, 50050, 11560);
    build(a, NULL); /* for the fixture's teardown */
}
END_TEST

/* Object mode keeps today's columns: no byte metrics appear. */
START_TEST(object_capacity_has_no_byte_metrics)
{
    build(CLIENT "[cache cache]\nto = db\ncapacity = 2\n" STORE, NULL);
    struct component *c = kind_lookup(&sim, "cache");
    struct metric_out out[64];
    size_t n = c->kind->metrics(&sim, c, 0, out, 64);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strcmp(out[i].name, "byte_hit_ratio") != 0 &&
                          strcmp(out[i].name, "too_big") != 0,
                      "object mode reports %s", out[i].name);
}
END_TEST

Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *t = tcase_create("observer");
    tcase_add_test(t, keymap_grows_and_deletes_without_losing_keys);
    tcase_add_test(t, observer_counts_reads_older_than_the_newest_commit);
    suite_add_tcase(s, t);
    t = tcase_create("requests");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, cas_commits_only_on_the_version_read);
    tcase_add_test(t, ttl_expires_an_entry);
    tcase_add_test(t, coalescing_sends_one_read_for_concurrent_misses);
    tcase_add_test(t, without_coalescing_every_miss_reads_the_store);
    tcase_add_test(t, a_hit_on_an_overwritten_entry_is_stale);
    tcase_add_test(t, cache_aside_delete_leaves_nothing_stale);
    tcase_add_test(t, write_behind_flushes_a_full_batch_at_once);
    tcase_add_test(t, write_behind_flushes_on_the_interval_and_merges_writes);
    tcase_add_test(t, write_behind_full_queue_rejects);
    tcase_add_test(t, write_behind_full_queue_drops_the_oldest);
    tcase_add_test(t, write_behind_full_queue_blocks_until_a_flush_is_acknowledged);
    tcase_add_test(t, a_crash_loses_the_unflushed_writes_and_empties_the_cache);
    tcase_add_test(t, lookups_wait_in_fifo_order_for_one_worker);
    tcase_add_test(t, a_full_lookup_queue_rejects_at_once);
    tcase_add_test(t, a_crash_sends_waiting_lookups_to_the_store);
    tcase_add_test(t, unbounded_workers_never_queue_lookups);
    tcase_add_test(t, one_worker_cache_of_hits_is_an_mm1_queue);
    tcase_add_test(t, write_behind_sends_one_store_request_per_batch);
    tcase_add_test(t, a_bulk_write_takes_one_service_plus_the_per_item_time);
    tcase_add_test(t, a_crash_between_flushes_loses_exactly_the_unflushed_writes);
    tcase_add_test(t, a_failed_bulk_write_loses_every_write_it_carries);
    suite_add_tcase(s, t);
    t = tcase_create("bytes");
    tcase_add_checked_fixture(t, NULL, teardown);
    tcase_add_test(t, byte_capacity_evicts_by_bytes);
    tcase_add_test(t, an_object_larger_than_the_cache_is_not_admitted);
    tcase_add_test(t, object_sizes_depend_on_seed_cache_and_key_only);
    tcase_add_test(t, object_capacity_has_no_byte_metrics);
    suite_add_tcase(s, t);
    return s;
}
