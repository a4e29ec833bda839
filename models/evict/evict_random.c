/* evict_random: evict a uniformly random cached object.
 *
 * keys[0..n) is a dense array of the cached keys and the map gives each key's
 * position, so a victim is one draw: the new key takes its slot. remove()
 * moves the last key into the hole. Randomness comes from the instance's own
 * sim/rng stream seeded at create, through rng_below (no modulo bias). Under
 * the independent reference model its hit ratio equals FIFO's (Gelenbe 1973).
 * Cost: O(1) per access, 8 bytes per object plus the map. Byte mode: a miss
 * removes random victims (each drawn among the objects still cached, and
 * removed like remove()) until the new object fits, then appends it. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/rng.h"
#include "sim/xalloc.h"

struct rnd {
    struct evict_map map;
    uint64_t *keys;   /* [nodes]; [0, map.count) are cached */
    uint32_t *sizes;  /* [nodes] byte mode, parallel to keys; NULL in object mode */
    size_t nodes;     /* most objects held at once */
    uint64_t capacity; /* objects, or bytes */
    uint64_t bytes;    /* byte mode: bytes held */
    struct rng rng; /* victim choice */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct rnd *rnd_new(uint64_t capacity, size_t nodes, bool sized, uint64_t seed)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct rnd *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, nodes);
    c->keys = xmalloc(nodes * sizeof *c->keys);
    c->sizes = sized ? xmalloc(nodes * sizeof *c->sizes) : NULL;
    c->nodes = nodes;
    c->capacity = capacity;
    c->bytes = 0;
    rng_seed(&c->rng, seed);
    return c;
}

static void *rnd_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)values;
    return rnd_new(capacity, capacity, false, seed);
}

static void *rnd_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)values;
    return rnd_new(capacity, max_objects, true, seed);
}

/* Drops the object in slot i, moving the last one into the hole. */
static void rnd_drop_slot(struct rnd *c, uint32_t i)
{
    evict_map_del(&c->map, c->keys[i]);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    uint32_t last = (uint32_t)c->map.count; /* count already dropped by one */
    if (i != last) {
        c->keys[i] = c->keys[last];
        if (c->sizes)
            c->sizes[i] = c->sizes[last];
        evict_map_put(&c->map, c->keys[i], i);
    }
}

static bool rnd_access(void *state, uint64_t key)
{
    struct rnd *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
    uint32_t i;
    if (c->map.count == c->nodes) {
        i = (uint32_t)rng_below(&c->rng, c->nodes);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = (uint32_t)c->map.count;
    }
    c->keys[i] = key;
    evict_map_put(&c->map, key, i);
    return false;
}

static bool rnd_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct rnd *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
    if (size > c->capacity)
        return false;
    while (c->bytes + size > c->capacity || c->map.count == c->nodes)
        rnd_drop_slot(c, (uint32_t)rng_below(&c->rng, c->map.count));
    uint32_t i = (uint32_t)c->map.count;
    c->keys[i] = key;
    c->sizes[i] = size;
    c->bytes += size;
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
    uint32_t i = evict_map_get(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    rnd_drop_slot(c, i);
    return true;
}

static size_t rnd_size(const void *state)
{
    const struct rnd *c = state;
    return c->map.count;
}

static uint64_t rnd_bytes(const void *state)
{
    const struct rnd *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void rnd_destroy(void *state)
{
    struct rnd *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->sizes);
    free(c);
}

const struct evict_policy evict_random = {
    .head.name = "random",
    .head.summary = "evict a uniformly random object, seeded per instance; O(1)",
    .head.params = params,
    .create = rnd_create,
    .access = rnd_access,
    .contains = rnd_contains,
    .remove = rnd_remove,
    .size = rnd_size,
    .create_bytes = rnd_create_bytes,
    .access_sized = rnd_access_sized,
    .bytes = rnd_bytes,
    .destroy = rnd_destroy,
};
