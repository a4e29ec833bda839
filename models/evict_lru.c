/* evict_lru: least recently used.
 *
 * One list in recency order (head = most recent); a hit moves the node to the
 * head, a miss on a full cache drops the tail. The map finds a key's node.
 * Cost: O(1) per access (one map probe, a few link writes); 16 bytes per
 * object plus 32 to 64 of map. Mattson, Gecsei, Slutz and Traiger, "Evaluation
 * techniques for storage hierarchies", IBM Systems Journal 9(2), 1970. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct lru {
    struct evict_map map;
    struct evict_pool pool;
    uint64_t *keys;           /* [capacity] */
    struct evict_link *links; /* [capacity + 1]; the sentinel is links[capacity] */
    uint32_t head;            /* sentinel index */
    size_t capacity;
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static void *lru_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    if (capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct lru *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, capacity);
    evict_pool_init(&c->pool, capacity);
    c->keys = xmalloc(capacity * sizeof *c->keys);
    c->links = xmalloc((capacity + 1) * sizeof *c->links);
    c->head = (uint32_t)capacity;
    evict_list_init(c->links, c->head);
    c->capacity = capacity;
    return c;
}

static bool lru_access(void *state, uint64_t key)
{
    struct lru *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        evict_list_move(c->links, c->head, i);
        return true;
    }
    if (c->map.count == c->capacity) {
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
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t lru_size(const void *state)
{
    const struct lru *c = state;
    return c->map.count;
}

static void lru_destroy(void *state)
{
    struct lru *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
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
    .destroy = lru_destroy,
};
