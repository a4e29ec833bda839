/* evict_random: evict a uniformly random cached object.
 *
 * keys[0..n) is a dense array of the cached keys and the map gives each key's
 * position, so a victim is one draw: the new key takes its slot. remove()
 * moves the last key into the hole. Randomness comes from the instance's own
 * sim/rng stream seeded at create, through rng_below (no modulo bias). Under
 * the independent reference model its hit ratio equals FIFO's (Gelenbe 1973).
 * Cost: O(1) per access, 8 bytes per object plus the map. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

struct rnd {
    struct evict_map map;
    uint64_t *keys; /* [capacity]; [0, map.count) are cached */
    size_t capacity;
    struct rng rng; /* victim choice */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static void *rnd_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)values;
    if (capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct rnd *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, capacity);
    c->keys = xmalloc(capacity * sizeof *c->keys);
    c->capacity = capacity;
    rng_seed(&c->rng, seed);
    return c;
}

static bool rnd_access(void *state, uint64_t key)
{
    struct rnd *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
    uint32_t i;
    if (c->map.count == c->capacity) {
        i = (uint32_t)rng_below(&c->rng, c->capacity);
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
