/* evict_lru: least recently used, and first in, first out: one list, which
 * LRU keeps in recency order and FIFO in insertion order.
 *
 * LRU: a hit moves the node to the head (most recent), a miss on a full
 * cache drops the tail. Mattson, Gecsei, Slutz and Traiger, "Evaluation
 * techniques for storage hierarchies", IBM Systems Journal 9(2), 1970.
 * FIFO: the same list, but hits change nothing. Under the independent
 * reference model its hit ratio equals RANDOM's (Gelenbe, "A unified
 * approach to the evaluation of a class of replacement algorithms", IEEE
 * Trans. Computers 22(6), 1973).
 *
 * The map finds a key's node. Cost: O(1) per access (one map probe, a few
 * link writes; a FIFO hit only probes the map); 16 bytes per object plus 32
 * to 64 of map. Byte mode: a miss drops tails until the new object fits (4
 * more bytes per object for its size). The two policies share every
 * function but the access pair, which take `reorder` as a constant so each
 * compiles to its own loop. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct evict_listed *lru_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct evict_listed *c = xmalloc(sizeof *c);
    evict_listed_init(c, capacity, nodes, sized);
    return c;
}

static void *lru_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return lru_new(capacity, capacity, false);
}

static void *lru_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)seed;
    (void)values;
    return lru_new(capacity, max_objects, true);
}

/* Byte mode miss: drops tails until size more bytes (and one more object) fit. */
static bool lru_miss_sized(struct evict_listed *c, uint64_t key, uint32_t size)
{
    if (size > c->capacity)
        return false;
    while (c->bytes + size > c->capacity || c->map.count == c->nodes) {
        uint32_t t = evict_list_tail(c->links, c->head);
        evict_list_unlink(c->links, t);
        evict_map_del(&c->map, c->keys[t]);
        c->bytes -= c->sizes[t];
        evict_pool_free(&c->pool, c->links, t);
    }
    uint32_t i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->sizes[i] = size;
    c->bytes += size;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

/* A hit moves the node to the head when reorder (LRU), else nothing (FIFO). */
static inline bool list_access_sized(struct evict_listed *c, uint64_t key, uint32_t size, bool reorder)
{
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        if (reorder)
            evict_list_move(c->links, c->head, i);
        return true;
    }
    return lru_miss_sized(c, key, size);
}

static bool lru_access_sized(void *state, uint64_t key, uint32_t size)
{
    return list_access_sized(state, key, size, true);
}

static bool fifo_access_sized(void *state, uint64_t key, uint32_t size)
{
    return list_access_sized(state, key, size, false);
}

static inline bool list_access(struct evict_listed *c, uint64_t key, bool reorder)
{
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        if (reorder)
            evict_list_move(c->links, c->head, i);
        return true;
    }
    if (c->map.count == c->nodes) {
        i = evict_list_tail(c->links, c->head);
        evict_list_unlink(c->links, i);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = evict_pool_alloc(&c->pool, c->links);
    }
    c->keys[i] = key;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool lru_access(void *state, uint64_t key)
{
    return list_access(state, key, true);
}

static bool fifo_access(void *state, uint64_t key)
{
    return list_access(state, key, false);
}

static bool lru_remove(void *state, uint64_t key)
{
    uint32_t i = evict_listed_take(state, key);
    if (i == EVICT_MAP_NONE)
        return false;
    evict_listed_drop(state, i);
    return true;
}

static void lru_destroy(void *state)
{
    if (!state)
        return;
    evict_listed_fini(state);
    free(state);
}

const struct evict_policy evict_lru = {
    .head.name = "lru",
    .head.summary = "least recently used (Mattson et al. 1970); O(1)",
    .head.params = params,
    .create = lru_create,
    .access = lru_access,
    .contains = evict_listed_contains,
    .remove = lru_remove,
    .size = evict_listed_size,
    .create_bytes = lru_create_bytes,
    .access_sized = lru_access_sized,
    .bytes = evict_listed_bytes,
    .destroy = lru_destroy,
};

const struct evict_policy evict_fifo = {
    .head.name = "fifo",
    .head.summary = "first in, first out; hits do not reorder; O(1)",
    .head.params = params,
    .create = lru_create,
    .access = fifo_access,
    .contains = evict_listed_contains,
    .remove = lru_remove,
    .size = evict_listed_size,
    .create_bytes = lru_create_bytes,
    .access_sized = fifo_access_sized,
    .bytes = evict_listed_bytes,
    .destroy = lru_destroy,
};
