/* cache_impl: the cache's state, shared by models/kinds/cache.c (lookups, fills,
 * invalidation, faults, building) and models/kinds/cache_strategy.c (the write
 * strategies). Nothing outside these two files includes it. */
#ifndef SDSIM_MODELS_CACHE_IMPL_H
#define SDSIM_MODELS_CACHE_IMPL_H

#include "models/kinds/flight.h"
#include <stdbool.h>
#include <stdint.h>

#include "models/kinds/cache.h"
#include "models/evict/evict.h"
#include "models/data/keymap.h"
#include "models/kinds/nodefault.h"
#include "models/kinds/station.h"
#include "models/data/observer.h"

/* What a request is doing at the cache (frame.step). */
enum cache_step {
    CACHE_LOOKUP, /* waiting for the lookup time */
    CACHE_BYPASS, /* the cache is down: passed straight to the store */
    CACHE_FETCH,  /* a read miss reading the store */
    CACHE_WRITE,  /* a write forwarded to the store by the strategy */
    CACHE_FLUSH,  /* a write-behind flush (the cache's own request) */
};

enum cache_full { CACHE_FULL_BLOCK, CACHE_FULL_REJECT, CACHE_FULL_DROP_OLDEST };

/* What the cache knows about a key it has seen. It describes the cached
 * data only while the eviction policy holds the key: a key the policy
 * (re)inserts on a miss is marked invalid until its fill arrives, and a
 * policy's silent eviction needs no bookkeeping here. */
struct cache_entry {
    uint64_t version;   /* version held; OBSERVER_PENDING while an unflushed write is newer */
    int64_t expires_ns; /* INT64_MAX: no TTL */
    int64_t delta_ns;   /* how long the fill's store read took (XFetch) */
    uint32_t epoch;     /* the cache incarnation that wrote it */
    uint32_t wseq;      /* write-behind: writes accepted for this key, mod 2^32 */
    bool valid;         /* holds data */
};

/* A message to the cache in flight: an invalidation event, or the
 * application's "set" after a cache-aside miss. */
struct cache_msg {
    uint64_t key, version;
    int64_t delta_ns; /* fill: the store read's duration */
    bool fill;        /* false: invalidation */
    uint32_t next_free;
};

/* A write-behind flush in flight (one bulk write, models/kinds/store.h): its keys,
 * the versions the store gave them, and per key the acknowledged writes it
 * carries and the key's wseq when it left. Slots are pooled with their
 * arrays, so once the pool has as many slots as flushes were ever in flight
 * at once and each slot's arrays have reached `batch`, a flush allocates
 * nothing. */
struct cache_flush {
    uint64_t *keys, *versions, *acks;
    uint32_t *wseq;
    size_t n, cap;
    uint32_t next_free;
};

/* A FIFO of requests or keys, as a ring buffer. */
struct cache_ring {
    void **req;       /* requests (blocked writers) */
    uint64_t *key;    /* keys (write-behind queue) */
    size_t head, len, cap;
};

struct cache {
    struct component base;
    struct component *store;
    struct observer *obs;
    const struct evict_policy *pol;
    double pol_values[8];
    bool pol_has_values;
    size_t capacity;         /* objects; in byte mode, the most objects held (max_objects) */
    /* byte mode: capacity in bytes, each key's size from object_size */
    bool bytes_mode;
    uint64_t capacity_bytes;
    struct dist object_size; /* sizes in bytes (DIST_BYTES) */
    uint64_t size_seed;      /* a key's size is sampled from rng seeded by (size_seed, key) */
    void *ev;                /* the eviction policy's state */
    struct keymap index;     /* key -> index in entries */
    struct cache_entry *entries;
    size_t nentries, entries_cap;
    struct dist hit_time;
    int64_t ttl_ns;          /* 0: no TTL */
    double ttl_jitter;       /* TTL uniform in ttl * [1 - j, 1 + j] */
    const struct cache_strategy *strat;
    bool on_write_update;    /* cache_aside: update the entry instead of deleting it */
    /* write-behind */
    long long wb_batch;
    int64_t wb_flush_ns;
    long long wb_queue;      /* capacity: pending + in-flight writes */
    enum cache_full wb_full;
    struct cache_ring wb;    /* pending keys, oldest first */
    struct keymap wb_pending; /* key -> acknowledged writes merged into it */
    size_t wb_inflight;      /* flush writes sent and not yet answered */
    struct cache_ring blocked; /* writers waiting for room (full = block) */
    struct cache_flush *flushes; /* pool of flushes, in flight or free */
    size_t nflushes, flushes_cap;
    uint32_t flush_free;     /* 1 + first free slot; 0: none */
    /* event-based invalidation */
    bool events;
    struct dist ev_delay;
    double ev_loss;
    uint64_t events_lost;
    struct cache_msg *msgs;
    size_t nmsgs, msgs_cap;
    uint32_t msg_free;
    /* thundering herd */
    bool coalesce;
    struct flight flight;    /* store reads in flight and the misses waiting on them */
    double xfetch_beta;      /* 0: no early refresh */
    /* faults */
    uint32_t epoch;          /* crashes so far */
    struct rng rng;          /* TTL jitter, XFetch, invalidation delays and losses */
    struct rng flush_rng;    /* work seeds of flush writes */
    /* the node: its lookup workers and queue (`workers` lookups at once, FIFO
     * behind them; 0: unbounded, every lookup starts at once, no statistics
     * of waiting) and its fault state (stn.nf: crash, slow, errors, latency) */
    struct station stn;
    uint64_t lookup_rejected; /* lookups refused: the queue was full (measured window) */
    /* counters of the measured window */
    uint64_t hits, misses, coalesced, early_refreshes, dropped, rejected;
    uint64_t bytes_hit, bytes_requested, too_big; /* byte mode */
};

/* Looks key up in the eviction policy for a read (byte mode: with its size,
 * counting requested bytes and too-big objects); *size is the object's size
 * (1 in object mode). True if the policy held it. */
bool cache_policy_access(struct cache *c, uint64_t key, uint32_t *size);

/* The entry of key, created invalid on first sight. */
struct cache_entry *cache_entry_of(struct cache *c, uint64_t key);
/* Stores `version` for key now (inserting it into the policy if needed),
 * with a fresh TTL. */
void cache_fill(struct sim *sim, struct cache *c, uint64_t key, uint64_t version,
                int64_t delta_ns);
/* Drops key from the cache. */
void cache_invalidate(struct cache *c, uint64_t key);
/* Sends r on to the store; its reply comes back to the cache with `step`. */
void cache_forward(struct sim *sim, struct cache *c, struct request *r, enum cache_step step);
/* r is done at the cache: accounts and replies to the caller. */
void cache_finish(struct sim *sim, struct cache *c, struct request *r);

void cache_ring_push_req(struct cache_ring *q, struct request *r);
struct request *cache_ring_pop_req(struct cache_ring *q);
void cache_ring_push_key(struct cache_ring *q, uint64_t key);
uint64_t cache_ring_pop_key(struct cache_ring *q);

/* Write-behind (models/kinds/cache_strategy.c): the periodic flush, the flush
 * write's acknowledgement, and what a crash loses. */
void cache_wb_start(struct sim *sim, struct cache *c);
void cache_wb_flushed(struct sim *sim, struct cache *c, struct request *r);
void cache_wb_crash(struct sim *sim, struct cache *c);
void cache_wb_fini(struct cache *c);

#endif
