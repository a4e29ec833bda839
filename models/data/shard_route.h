/* shard_route: which shard owns a key, for a store split into shards
 * (issue 7). Schemes: range (even split of [0, key_space), or given
 * boundaries), hash_mod, consistent_hash(vnodes=) and rendezvous (the
 * balancing policies' own hashing, models/balance/balance_consistent_hash.c and
 * balance_rendezvous.c, driven through struct balance), and jump
 * (Lamping and Veach, "A fast, minimal memory, consistent hash algorithm",
 * 2014). A router is set up for `cap` shards and uses [0, n); resizing it
 * is resharding, and each scheme moves keys differently: hash_mod about
 * n/(n+1) of them when a shard joins, consistent hashing about 1/(n+1) in
 * expectation, jump exactly the minimum (each key moves with probability
 * 1/(n+1), and only to the new shard). */
#ifndef SDSIM_MODELS_SHARD_ROUTE_H
#define SDSIM_MODELS_SHARD_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "models/balance/balance.h"
#include "models/kind.h"
#include "sim/diag.h"
#include "sim/policy.h"

enum shard_scheme {
    SHARD_RANGE,
    SHARD_HASH_MOD,
    SHARD_CONSISTENT_HASH,
    SHARD_RENDEZVOUS,
    SHARD_JUMP,
};

struct shard_router {
    enum shard_scheme scheme;
    uint32_t n, cap;      /* shards in use [0, n), 1 <= n <= cap */
    uint64_t key_space;   /* range: keys [0, key_space) */
    uint64_t *bounds;     /* range with boundaries: shard i < n-1 holds keys < bounds[i]
                             (cap - 1 entries, increasing); NULL: even split */
    struct balance bal;   /* consistent_hash, rendezvous */
};

/* Parses `text` ("jump", "consistent_hash(vnodes=3)", "range(boundaries=
 * 1000:5000)") at loc for cap shards with n in use. stream (the run's, or
 * NULL for a fixed one) places a consistent_hash ring when its ring_seed is
 * `run`. Returns 0 or -1. */
int shard_router_setup(struct shard_router *r, const char *text, struct loc loc, uint32_t n,
                       uint32_t cap, uint64_t key_space, const struct rng *stream,
                       struct diag *d);
void shard_router_fini(struct shard_router *r);

/* The shard in [0, r->n) that owns key. */
uint32_t shard_router_owner(struct shard_router *r, uint64_t key);

/* Uses shards [0, n) from now on (1 <= n <= cap). With range and no
 * boundaries the key space is split evenly again; with boundaries, shard
 * n-1 takes the keys above bounds[n-2]. */
void shard_router_resize(struct shard_router *r, uint32_t n);

/* Jump consistent hash of an (already mixed) 64-bit key over n buckets. */
uint32_t shard_jump(uint64_t key, uint32_t n);

/* Documentation of the schemes for `sdsim list`. */
extern const struct policy_family shard_route_family; /* lookups and `sdsim list` */

#endif
