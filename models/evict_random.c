/* evict_random: evict a uniformly random cached object.
 *
 * keys[0..n) is a dense array of the cached keys and the map gives each key's
 * position, so a victim is one draw: the new key takes its slot. remove()
 * moves the last key into the hole. Randomness comes from a splitmix64
 * stream seeded at create (Steele, Lea and Flood 2014), and bounded draws use
 * Lemire's multiply-shift with rejection ("Fast random integer generation in
 * an interval", ACM TOMACS 29(1), 2019), so there is no modulo bias. Under
 * the independent reference model its hit ratio equals FIFO's (Gelenbe 1973).
 * Cost: O(1) per access, 8 bytes per object plus the map. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct rnd {
    struct evict_map map;
    uint64_t *keys; /* [capacity]; [0, map.count) are cached */
    size_t capacity;
    uint64_t rng; /* splitmix64 state */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static uint64_t next64(struct rnd *c)
{
    c->rng += 0x9e3779b97f4a7c15ULL;
    return evict_mix64(c->rng);
}

/* Uniform in [0, n), 0 < n <= 2^32. */
static uint32_t below(struct rnd *c, uint64_t n)
{
    uint64_t m = (next64(c) >> 32) * n;
    if ((uint32_t)m < n) {
        uint32_t t = (uint32_t)((0x100000000ULL - n) % n); /* 2^32 mod n */
        while ((uint32_t)m < t)
            m = (next64(c) >> 32) * n;
    }
    return (uint32_t)(m >> 32);
}

static void *rnd_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)values;
    if (capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct rnd *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, capacity);
    c->keys = xmalloc(capacity * sizeof *c->keys);
    c->capacity = capacity;
    c->rng = seed;
    return c;
}

static bool rnd_access(void *state, uint64_t key)
{
    struct rnd *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
    uint32_t i;
    if (c->map.count == c->capacity) {
        i = below(c, c->capacity);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = (uint32_t)c->map.count;
    }
    c->keys[i] = key;
    evict_map_put(&c->map, key, i);
    return false;
}

static bool rnd_contains(const void *state, uint64_t key)
{
    const struct rnd *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool rnd_remove(void *state, uint64_t key)
{
    struct rnd *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    uint32_t last = (uint32_t)c->map.count; /* count already dropped by one */
    if (i != last) {
        c->keys[i] = c->keys[last];
        evict_map_put(&c->map, c->keys[i], i);
    }
    return true;
}

static size_t rnd_size(const void *state)
{
    const struct rnd *c = state;
    return c->map.count;
}

static void rnd_destroy(void *state)
{
    struct rnd *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c);
}

const struct evict_policy evict_random = {
    .name = "random",
    .summary = "evict a uniformly random object, seeded per instance; O(1)",
    .params = params,
    .create = rnd_create,
    .access = rnd_access,
    .contains = rnd_contains,
    .remove = rnd_remove,
    .size = rnd_size,
    .destroy = rnd_destroy,
};
