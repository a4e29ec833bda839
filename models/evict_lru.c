/* evict_lru: least recently used.
 *
 * One list in recency order (head = most recent); a hit moves the node to the
 * head, a miss on a full cache drops the tail. The map finds a key's node.
 * Cost: O(1) per access (one map probe, a few link writes); 16 bytes per
 * object plus 32 to 64 of map. Byte mode: a miss drops tails until the new
 * object fits (4 more bytes per object for its size). Mattson, Gecsei, Slutz and Traiger, "Evaluation
 * techniques for storage hierarchies", IBM Systems Journal 9(2), 1970. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct lru {
    struct evict_map map;
    struct evict_pool pool;
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 1]; the sentinel is links[nodes] */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    uint32_t head;            /* sentinel index */
    size_t nodes;             /* most objects held at once */
    uint64_t capacity;        /* objects, or bytes */
    uint64_t bytes;           /* byte mode: bytes held */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct lru *lru_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct lru *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, nodes);
    evict_pool_init(&c->pool, nodes);
    c->keys = xmalloc(nodes * sizeof *c->keys);
    c->links = xmalloc((nodes + 1) * sizeof *c->links);
    c->sizes = sized ? xmalloc(nodes * sizeof *c->sizes) : NULL;
    c->head = (uint32_t)nodes;
    evict_list_init(c->links, c->head);
    c->nodes = nodes;
    c->capacity = capacity;
    c->bytes = 0;
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
static bool lru_miss_sized(struct lru *c, uint64_t key, uint32_t size)
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

static bool lru_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct lru *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        evict_list_move(c->links, c->head, i);
        return true;
    }
    return lru_miss_sized(c, key, size);
}

static bool lru_access(void *state, uint64_t key)
{
    struct lru *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
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

static bool lru_contains(const void *state, uint64_t key)
{
    const struct lru *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool lru_remove(void *state, uint64_t key)
{
    struct lru *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    evict_list_unlink(c->links, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t lru_size(const void *state)
{
    const struct lru *c = state;
    return c->map.count;
}

static uint64_t lru_bytes(const void *state)
{
    const struct lru *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void lru_destroy(void *state)
{
    struct lru *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->sizes);
    free(c);
}

const struct evict_policy evict_lru = {
    .name = "lru",
    .summary = "least recently used (Mattson et al. 1970); O(1)",
    .params = params,
    .create = lru_create,
    .access = lru_access,
    .contains = lru_contains,
    .remove = lru_remove,
    .size = lru_size,
    .create_bytes = lru_create_bytes,
    .access_sized = lru_access_sized,
    .bytes = lru_bytes,
    .destroy = lru_destroy,
};
