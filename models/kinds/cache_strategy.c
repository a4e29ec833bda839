/* cache_strategy: what a cache does with writes. Each strategy is a const
 * table (models/kinds/cache.h) listed in models/kinds/cache.c and in `sdsim list
 * strategy`:
 *
 *   cache_aside(on_write=delete|update)  the application writes the store,
 *       then deletes (or overwrites) the cache entry; a read miss is filled
 *       by the application one hop after it got the value (the classic race
 *       with a concurrent write leaves a stale entry until the TTL).
 *   read_through    the cache loads misses itself; writes go to the store and
 *       then delete the entry.
 *   write_through   the write goes to the store; once it commits the cache
 *       holds the new version. The writer waits for both.
 *   write_behind(batch, flush, queue, full)  the write is acknowledged once
 *       it is in the cache; it is flushed to the store later, when `batch`
 *       writes are pending or every `flush` interval. Pending writes to one
 *       key merge (the store sees the last). `queue` bounds the pending plus
 *       in-flight writes; when it is full the writer waits (block), is
 *       refused (reject), or the oldest pending write is dropped
 *       (drop_oldest: its acknowledged writes are lost, as the catalogue's
 *       sketch does). A flush of up to `batch` keys is one bulk write to
 *       the store (models/kinds/store.h), which commits each key with its own
 *       version. A crash loses every pending write (a flush already sent
 *       still commits). A flush that the store refuses or fails is lost
 *       whole, every key of it (the sketch logs and drops it; no retry).
 *   write_around    writes go to the store and leave the cache alone: an
 *       entry stays stale until its TTL or an invalidation event.
 *
 * Cost: O(1) per write; a flush is O(batch), one store request, and
 * allocates nothing once its pool slot has grown (struct cache_flush). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "models/kinds/cache_impl.h"
#include "models/kinds/store.h"
#include "sim/units.h"
#include "sim/xalloc.h"

/* ---- synchronous strategies ---------------------------------------------- */

static void forward_write(struct sim *sim, struct cache *c, struct request *r)
{
    cache_forward(sim, c, r, CACHE_WRITE);
}

static void aside_written(struct sim *sim, struct cache *c, struct request *r)
{
    if (r->status != REQ_OK)
        return;
    if (c->on_write_update)
        cache_fill(sim, c, r->key, r->version, 0);
    else
        cache_invalidate(c, r->key);
}

static void delete_written(struct sim *sim, struct cache *c, struct request *r)
{
    (void)sim;
    if (r->status == REQ_OK)
        cache_invalidate(c, r->key);
}

static void through_written(struct sim *sim, struct cache *c, struct request *r)
{
    if (r->status == REQ_OK)
        cache_fill(sim, c, r->key, r->version, 0);
}

static void nothing_written(struct sim *sim, struct cache *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
}

static const struct param_spec aside_params[] = {
    {"on_write", "delete|update", "delete", "after a write commits: delete the entry, or update it"},
    {NULL, NULL, NULL, NULL},
};

static int aside_setup(struct cache *c, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, aside_params, "on_write", &loc);
    if (strcmp(v, "delete") != 0 && strcmp(v, "update") != 0)
        return diag_error(d, loc, "bad on_write '%s': delete or update", v);
    c->on_write_update = strcmp(v, "update") == 0;
    return 0;
}

static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};

const struct cache_strategy cache_aside = {
    .head.name = "cache_aside",
    .head.summary = "the application reads the cache, fills it on a miss, writes the store and then "
               "deletes (or updates) the entry",
    .head.params = aside_params,
    .setup = aside_setup,
    .write = forward_write,
    .written = aside_written,
    .fill_after_reply = true,
};

const struct cache_strategy cache_read_through = {
    .head.name = "read_through",
    .head.summary = "the cache loads misses from the store itself; writes go to the store and delete "
               "the entry",
    .head.params = no_params,
    .write = forward_write,
    .written = delete_written,
};

const struct cache_strategy cache_write_through = {
    .head.name = "write_through",
    .head.summary = "writes go to the store and, once committed, into the cache; the writer waits",
    .head.params = no_params,
    .write = forward_write,
    .written = through_written,
};

const struct cache_strategy cache_write_around = {
    .head.name = "write_around",
    .head.summary = "writes go to the store only; cached entries stay until TTL or invalidation",
    .head.params = no_params,
    .write = forward_write,
    .written = nothing_written,
};

/* ---- write-behind ---------------------------------------------------------- */

static const struct param_spec behind_params[] = {
    {"batch", "int", "100", "a flush starts when this many writes are pending"},
    {"flush", "duration", "1s", "and at least this often"},
    {"queue", "int", "10000", "pending plus in-flight writes the cache holds at most"},
    {"full", "block|reject|drop_oldest", "block",
     "when the queue is full: the writer waits, is refused, or the oldest pending write is "
     "dropped (lost)"},
    {NULL, NULL, NULL, NULL},
};

static int behind_setup(struct cache *c, const struct spec *sp, struct diag *d)
{
    int rc = 0;
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, behind_params, "batch", &loc);
    if (units_parse_int(v, &c->wb_batch, &why) < 0 || c->wb_batch < 1)
        rc = diag_error(d, loc, "bad batch '%s': a positive integer", v);
    v = spec_value(sp, behind_params, "queue", &loc);
    if (units_parse_int(v, &c->wb_queue, &why) < 0 || c->wb_queue < 1)
        rc = diag_error(d, loc, "bad queue '%s': a positive integer", v);
    v = spec_value(sp, behind_params, "flush", &loc);
    if (units_parse_duration(v, &c->wb_flush_ns, &why) < 0 || c->wb_flush_ns <= 0)
        rc = diag_error(d, loc, "bad flush '%s': a positive duration", v);
    v = spec_value(sp, behind_params, "full", &loc);
    if (strcmp(v, "block") == 0)
        c->wb_full = CACHE_FULL_BLOCK;
    else if (strcmp(v, "reject") == 0)
        c->wb_full = CACHE_FULL_REJECT;
    else if (strcmp(v, "drop_oldest") == 0)
        c->wb_full = CACHE_FULL_DROP_OLDEST;
    else
        rc = diag_error(d, loc, "bad full '%s': block, reject or drop_oldest", v);
    return rc;
}

static size_t wb_used(const struct cache *c)
{
    return c->wb.len + c->wb_inflight;
}

/* A free flush slot with room for the next batch (grown geometrically,
 * reused after). */
static uint32_t flush_new(struct cache *c)
{
    uint32_t i;
    if (c->flush_free) {
        i = c->flush_free - 1;
        c->flush_free = c->flushes[i].next_free;
    } else {
        i = (uint32_t)c->nflushes;
        xgrow(&c->flushes, &c->flushes_cap, c->nflushes + 1, sizeof *c->flushes);
        c->flushes[c->nflushes++] = (struct cache_flush){0};
    }
    struct cache_flush *fl = &c->flushes[i];
    size_t want = (long long)c->wb.len < c->wb_batch ? c->wb.len : (size_t)c->wb_batch;
    if (fl->cap < want) {
        size_t ncap = 2 * fl->cap > want ? 2 * fl->cap : want;
        fl->keys = xrealloc(fl->keys, ncap * sizeof *fl->keys);
        fl->versions = xrealloc(fl->versions, ncap * sizeof *fl->versions);
        fl->acks = xrealloc(fl->acks, ncap * sizeof *fl->acks);
        fl->wseq = xrealloc(fl->wseq, ncap * sizeof *fl->wseq);
        fl->cap = ncap;
    }
    fl->n = 0;
    return i;
}

static void flush_release(struct cache *c, uint32_t i)
{
    c->flushes[i].n = 0;
    c->flushes[i].next_free = c->flush_free;
    c->flush_free = i + 1;
}

/* The store asks for the batch of a write from this cache (store.h). */
static bool flush_bulk(void *arg, const struct request *r, struct store_bulk *out)
{
    struct cache *c = arg;
    const struct frame *f = sim_cframe(r, r->depth - 2u);
    assert(f->c == &c->base && "a bulk write comes straight from its cache");
    if (f->step != CACHE_FLUSH)
        return false;
    struct cache_flush *fl = &c->flushes[f->slot];
    *out = (struct store_bulk){fl->keys, fl->versions, fl->n};
    return true;
}

/* Sends up to `batch` pending keys, oldest first, as one bulk write. */
static void flush_batch(struct sim *sim, struct cache *c)
{
    assert(c->wb.len > 0 && "a flush carries at least one key");
    uint32_t i = flush_new(c);
    struct cache_flush *fl = &c->flushes[i];
    while ((long long)fl->n < c->wb_batch && c->wb.len > 0) {
        uint64_t key = cache_ring_pop_key(&c->wb);
        fl->keys[fl->n] = key;
        fl->acks[fl->n] = keymap_del(&c->wb_pending, key);
        fl->wseq[fl->n] = cache_entry_of(c, key)->wseq;
        fl->n++;
    }
    struct request *r = sim_req_new(sim);
    r->work_seed = rng_next(&c->flush_rng);
    r->born_ns = sim_now(sim);
    r->key = fl->keys[0];
    r->op = OP_WRITE;
    struct frame *f = sim_enter(r, &c->base);
    f->arrive_ns = sim_now(sim);
    f->slot = i;
    f->epoch = c->epoch;
    c->wb_inflight += fl->n;
    cache_forward(sim, c, r, CACHE_FLUSH);
}

static void flush_tick(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct cache *c = a;
    while (c->wb.len > 0)
        flush_batch(sim, c);
    if (sim_now(sim) + c->wb_flush_ns <= sim->end_ns)
        sim_after(sim, c->wb_flush_ns, flush_tick, c, NULL);
}

void cache_wb_start(struct sim *sim, struct cache *c)
{
    if (c->strat != &cache_write_behind)
        return;
    store_bulk_sender(c->store, &c->base, flush_bulk, c);
    if (c->wb_flush_ns <= sim->end_ns)
        sim_after(sim, c->wb_flush_ns, flush_tick, c, NULL);
}

/* The cache now holds r's write, newer than anything committed. */
static void hold_dirty(struct sim *sim, struct cache *c, struct request *r)
{
    cache_fill(sim, c, r->key, OBSERVER_PENDING, 0);
    cache_entry_of(c, r->key)->wseq++;
    r->version = OBSERVER_PENDING;
}

/* Takes r into the queue (there is room, or it merges) and acknowledges it. */
static void accept(struct sim *sim, struct cache *c, struct request *r)
{
    uint64_t n = keymap_get(&c->wb_pending, r->key);
    if (n != KEYMAP_NONE) {
        keymap_put(&c->wb_pending, r->key, n + 1);
    } else {
        keymap_put(&c->wb_pending, r->key, 1);
        cache_ring_push_key(&c->wb, r->key);
    }
    hold_dirty(sim, c, r);
    cache_finish(sim, c, r);
    if ((long long)c->wb.len >= c->wb_batch)
        flush_batch(sim, c);
}

/* The oldest pending write leaves the queue unsent: its writes are lost
 * and the cache forgets the data, which the store will never have. */
static void drop_oldest(struct cache *c)
{
    uint64_t key = cache_ring_pop_key(&c->wb);
    uint64_t n = keymap_del(&c->wb_pending, key);
    observer_lost(c->obs, n);
    c->dropped += n;
    cache_invalidate(c, key);
}

static void behind_write(struct sim *sim, struct cache *c, struct request *r)
{
    bool merges = keymap_get(&c->wb_pending, r->key) != KEYMAP_NONE;
    if (merges || (long long)wb_used(c) < c->wb_queue) {
        accept(sim, c, r);
        return;
    }
    switch (c->wb_full) {
    case CACHE_FULL_BLOCK:
        cache_ring_push_req(&c->blocked, r);
        return;
    case CACHE_FULL_REJECT:
        c->rejected++;
        r->status = REQ_REJECTED;
        cache_finish(sim, c, r);
        return;
    case CACHE_FULL_DROP_OLDEST:
        if (c->wb.len > 0) {
            drop_oldest(c);
            accept(sim, c, r);
        } else { /* everything is in flight: the new write is the one dropped */
            observer_lost(c->obs, 1);
            c->dropped++;
            r->version = OBSERVER_PENDING;
            cache_finish(sim, c, r);
        }
        return;
    }
}

/* Key k of a flush came back: clean on success; on failure its writes are
 * lost, and the cache forgets data the store will never have (unless the
 * key was written again since, or the cache crashed meanwhile). */
static void flushed_key(struct cache *c, const struct cache_flush *fl, size_t k, uint32_t epoch,
                        bool ok)
{
    uint64_t i = keymap_get(&c->index, fl->keys[k]);
    struct cache_entry *e = i == KEYMAP_NONE ? NULL : &c->entries[i];
    bool same = e && e->valid && epoch == c->epoch && e->epoch == c->epoch &&
                e->version == OBSERVER_PENDING && e->wseq == fl->wseq[k];
    if (ok) {
        if (same)
            e->version = fl->versions[k]; /* clean: the store has it now */
    } else {
        observer_lost(c->obs, fl->acks[k]);
        if (same)
            cache_invalidate(c, fl->keys[k]);
    }
}

void cache_wb_flushed(struct sim *sim, struct cache *c, struct request *r)
{
    struct frame *f = sim_top(r);
    struct cache_flush *fl = &c->flushes[f->slot];
    c->wb_inflight -= fl->n;
    for (size_t k = 0; k < fl->n; k++)
        flushed_key(c, fl, k, f->epoch, r->status == REQ_OK);
    flush_release(c, f->slot);
    sim_req_free(sim, r);
    while (c->blocked.len > 0 && (long long)wb_used(c) < c->wb_queue)
        accept(sim, c, cache_ring_pop_req(&c->blocked));
}

void cache_wb_crash(struct sim *sim, struct cache *c)
{
    uint64_t lost = 0;
    while (c->wb.len > 0)
        lost += keymap_del(&c->wb_pending, cache_ring_pop_key(&c->wb));
    observer_lost(c->obs, lost);
    while (c->blocked.len > 0) /* never acknowledged: they go to the store */
        cache_forward(sim, c, cache_ring_pop_req(&c->blocked), CACHE_BYPASS);
}

void cache_wb_fini(struct cache *c)
{
    for (size_t i = 0; i < c->nflushes; i++) {
        free(c->flushes[i].keys);
        free(c->flushes[i].versions);
        free(c->flushes[i].acks);
        free(c->flushes[i].wseq);
    }
    free(c->flushes);
}

const struct cache_strategy cache_write_behind = {
    .head.name = "write_behind",
    .head.summary = "writes are acknowledged in the cache and flushed to the store in batches; a "
               "crash loses what was not flushed",
    .head.params = behind_params,
    .setup = behind_setup,
    .write = behind_write,
    .written = nothing_written,
};
