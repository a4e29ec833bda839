/* cache: a keyed cache in front of a store, with an eviction policy
 * (models/evict/evict.h), TTL, invalidation, a write strategy and thundering-herd
 * mitigations. The strategies are plain const tables, listed here for the
 * registry and `sdsim list strategy`. */
#ifndef SDSIM_MODELS_CACHE_H
#define SDSIM_MODELS_CACHE_H

#include <stddef.h>

#include "models/kind.h"

extern const struct kind kind_cache;

struct cache;

/* A write strategy: what the cache does with a write, and with the store's
 * acknowledgement of a write it forwarded. Reads are the same for all: a
 * hit is answered from the cache, a miss is read from the store and fills
 * the cache (read-through). */
struct cache_strategy {
    struct policy_head head; /* first: name ("write_behind"), summary, parameters */
    /* Reads the strategy's arguments into the cache. May be NULL. */
    int (*setup)(struct cache *c, const struct spec *sp, struct diag *d);
    /* A write arrived (after the lookup time). */
    void (*write)(struct sim *sim, struct cache *c, struct request *r);
    /* The store acknowledged a write this strategy forwarded (r->status
     * says whether it committed; r->version is the new version). */
    void (*written)(struct sim *sim, struct cache *c, struct request *r);
    /* The fill of a read miss waits for one network hop after the reply, as
     * the application's separate "set" in cache-aside does. */
    bool fill_after_reply;
};

extern const struct cache_strategy cache_aside;
extern const struct cache_strategy cache_read_through;
extern const struct cache_strategy cache_write_through;
extern const struct cache_strategy cache_write_behind;
extern const struct cache_strategy cache_write_around;

/* Documentation of the strategies and of the eviction policies for `sdsim
 * list`: fill out[0..max) and return how many. */
extern const struct policy_family cache_strategy_family; /* registry.c */

#endif
