/* evict: cache eviction policies behind one function table, and their registry.
 *
 * A policy decides which object a full cache drops. In object mode (create,
 * access, insert) capacity counts objects and every object has size 1. In
 * byte mode (create_bytes, access_sized, insert_sized) every access carries
 * the object's size, an integer >= 1 in the capacity's unit (bytes); a key's
 * size must stay the same for the life of the instance. The policy evicts as
 * many victims as it takes to fit a new object, and an object larger than
 * the whole capacity is refused: the access is a miss and nothing changes.
 * One instance is used in one mode only. Keys are uint64_t; any value is a
 * valid key.
 * An instance is opaque state made by create() and freed by destroy(); it
 * allocates everything at create (O(capacity) memory, ghost entries
 * included) and nothing per access. access, contains and remove cost O(1)
 * amortised for every policy here; each policy's file states its exact cost.
 * In byte mode a miss may evict several objects, but each was inserted once,
 * so the amortised cost per access stays O(1).
 * Policies are deterministic: the same seed and the same sequence of calls
 * give the same results. */
#ifndef SDSIM_MODELS_EVICT_H
#define SDSIM_MODELS_EVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/policy.h"
#include "sim/spec.h"

/* Largest capacity a policy accepts (node indices are 32-bit, ghosts included). */
#define EVICT_MAX_CAPACITY ((size_t)1 << 30)

struct evict_policy {
    /* First: name as written in a scenario ("lru"), a summary for `sdsim
     * list` citing the source, and the documented parameters with defaults
     * (never NULL; a policy without parameters has just the terminator). */
    struct policy_head head;
    /* Makes an empty cache for capacity objects. param_values holds one value
     * per entry of params, in order, or is NULL for all defaults (borrowed for
     * the call). seed feeds any randomness the policy uses. Returns NULL if
     * capacity is 0 or above EVICT_MAX_CAPACITY, or a value is out of range. */
    void *(*create)(size_t capacity, uint64_t seed, const double *param_values);
    /* Looks key up. On a hit updates recency/frequency and returns true; on a
     * miss inserts key, evicting as needed, and returns false. Afterwards key
     * is in the cache, except for a policy that may decline to admit it
     * (lfu_perfect). */
    bool (*access)(void *state, uint64_t key);
    /* Puts key in after a fill without counting a request; NULL: the fill
     * uses access. For policies whose admission depends on request counts. */
    bool (*insert)(void *state, uint64_t key);
    bool may_decline; /* access may leave a missed key out (an admission policy) */
    /* Byte mode. Makes an empty cache of capacity bytes that never holds
     * more than max_objects objects at once (nodes are allocated for that
     * many, ghosts included, and nothing per access): the caller computes it
     * from the smallest object size it will pass, and if it ever binds the
     * policy evicts to keep the count, as if the cache were full. Returns
     * NULL if capacity or max_objects is 0, max_objects is above
     * EVICT_MAX_CAPACITY, or a value is out of range. */
    void *(*create_bytes)(uint64_t capacity, size_t max_objects, uint64_t seed,
                          const double *param_values);
    /* access and insert with the object's size in bytes (>= 1). */
    bool (*access_sized)(void *state, uint64_t key, uint32_t size);
    bool (*insert_sized)(void *state, uint64_t key, uint32_t size); /* NULL: access_sized */
    /* Bytes held (in object mode: objects), <= capacity. */
    uint64_t (*bytes)(const void *state);
    bool (*contains)(const void *state, uint64_t key); /* no side effects */
    /* Invalidates key (no ghost entry is made). True if it was cached. */
    bool (*remove)(void *state, uint64_t key);
    size_t (*size)(const void *state); /* cached objects, <= capacity */
    void (*destroy)(void *state);      /* state may be NULL */
};

/* The family, listed in models/registry.c in a fixed order (that of
 * `sdsim list`); evict_of converts one of its table's heads. */
extern const struct policy_family evict_family;
static inline const struct evict_policy *evict_of(const struct policy_head *h)
{
    return (const struct evict_policy *)h;
}

/* The policy called name, or NULL. */
const struct evict_policy *evict_find(const char *name);

/* Value number i of params: values[i], or the parsed default if values is
 * NULL. For create() implementations. */
double evict_param(const struct param_spec *params, const double *values, size_t i);

/* The policies, also reachable through the registry. */
extern const struct evict_policy evict_lru;
extern const struct evict_policy evict_fifo;
extern const struct evict_policy evict_random;
extern const struct evict_policy evict_clock;
extern const struct evict_policy evict_lfu;
extern const struct evict_policy evict_sieve;
extern const struct evict_policy evict_s3fifo;
extern const struct evict_policy evict_arc;
extern const struct evict_policy evict_tinylfu;
extern const struct evict_policy evict_plfu;

#endif
