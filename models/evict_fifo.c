/* evict_fifo: first in, first out.
 *
 * One list in insertion order (head = newest); hits change nothing, a miss on
 * a full cache drops the tail. Under the independent reference model its hit
 * ratio equals RANDOM's (Gelenbe, "A unified approach to the evaluation of a
 * class of replacement algorithms", IEEE Trans. Computers 22(6), 1973).
 * Cost: O(1) per access, a hit only probes the map. Byte mode: a miss drops
 * tails until the new object fits. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct fifo {
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

static struct fifo *fifo_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct fifo *c = xmalloc(sizeof *c);
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

static void *fifo_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return fifo_new(capacity, capacity, false);
}

static void *fifo_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                               const double *values)
{
    (void)seed;
    (void)values;
    return fifo_new(capacity, max_objects, true);
}

static bool fifo_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct fifo *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
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

static bool fifo_access(void *state, uint64_t key)
{
    struct fifo *c = state;
    if (evict_map_get(&c->map, key) != EVICT_MAP_NONE)
        return true;
    uint32_t i;
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

static bool fifo_contains(const void *state, uint64_t key)
{
    const struct fifo *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool fifo_remove(void *state, uint64_t key)
{
    struct fifo *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    evict_list_unlink(c->links, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t fifo_size(const void *state)
{
    const struct fifo *c = state;
    return c->map.count;
}

static uint64_t fifo_bytes(const void *state)
{
    const struct fifo *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void fifo_destroy(void *state)
{
    struct fifo *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->sizes);
    free(c);
}

const struct evict_policy evict_fifo = {
    .name = "fifo",
    .summary = "first in, first out; hits do not reorder; O(1)",
    .params = params,
    .create = fifo_create,
    .access = fifo_access,
    .contains = fifo_contains,
    .remove = fifo_remove,
    .size = fifo_size,
    .create_bytes = fifo_create_bytes,
    .access_sized = fifo_access_sized,
    .bytes = fifo_bytes,
    .destroy = fifo_destroy,
};
