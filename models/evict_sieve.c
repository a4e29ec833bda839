/* evict_sieve: SIEVE (Zhang, Yang, Yue, Vigfusson and Rashmi, "SIEVE is
 * simpler than LRU: an efficient turn-key eviction algorithm for web caches",
 * NSDI 2024, Algorithm 1).
 *
 * One FIFO list (head = newest) and a hand. A hit sets the object's visited
 * bit and moves nothing. To evict, the hand starts where it stopped last time
 * (or at the tail), walks towards the head clearing visited bits, wrapping to
 * the tail, and drops the first unvisited object; the hand stays at that
 * object's newer neighbour. Unlike CLOCK, survivors keep their place, so new
 * objects sit near the head and are examined soon ("quick demotion").
 * Cost: O(1) per hit; O(1) amortised per miss, because each step of the hand
 * clears a bit set by an earlier hit. Byte mode: a miss runs the hand (same
 * victim rule) until the new object fits. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct sieve {
    struct evict_map map;
    struct evict_pool pool;
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 1]; the sentinel is links[nodes] */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    uint8_t *visited;         /* [nodes] */
    uint32_t head;            /* sentinel index */
    uint32_t hand;            /* next object to examine; the sentinel means "the tail" */
    size_t nodes;             /* most objects held at once */
    uint64_t capacity;        /* objects, or bytes */
    uint64_t bytes;           /* byte mode: bytes held */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct sieve *sieve_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct sieve *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, nodes);
    evict_pool_init(&c->pool, nodes);
    c->keys = xmalloc(nodes * sizeof *c->keys);
    c->links = xmalloc((nodes + 1) * sizeof *c->links);
    c->sizes = sized ? xmalloc(nodes * sizeof *c->sizes) : NULL;
    c->visited = xmalloc(nodes);
    c->head = (uint32_t)nodes;
    c->hand = c->head;
    evict_list_init(c->links, c->head);
    c->nodes = nodes;
    c->capacity = capacity;
    c->bytes = 0;
    return c;
}

static void *sieve_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return sieve_new(capacity, capacity, false);
}

static void *sieve_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)seed;
    (void)values;
    return sieve_new(capacity, max_objects, true);
}

/* Moves the hand to an unvisited object, unlinks it and returns it. */
static uint32_t sieve_victim(struct sieve *c)
{
    uint32_t i = c->hand == c->head ? evict_list_tail(c->links, c->head) : c->hand;
    while (c->visited[i]) {
        c->visited[i] = 0;
        i = c->links[i].prev;
        if (i == c->head)
            i = evict_list_tail(c->links, c->head);
    }
    c->hand = c->links[i].prev; /* the sentinel if i was the head */
    evict_list_unlink(c->links, i);
    return i;
}

static bool sieve_access(void *state, uint64_t key)
{
    struct sieve *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        c->visited[i] = 1;
        return true;
    }
    if (c->map.count == c->nodes) {
        i = sieve_victim(c);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = evict_pool_alloc(&c->pool, c->links);
    }
    c->keys[i] = key;
    c->visited[i] = 0;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool sieve_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct sieve *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        c->visited[i] = 1;
        return true;
    }
    if (size > c->capacity)
        return false;
    while (c->bytes + size > c->capacity || c->map.count == c->nodes) {
        uint32_t t = sieve_victim(c);
        evict_map_del(&c->map, c->keys[t]);
        c->bytes -= c->sizes[t];
        evict_pool_free(&c->pool, c->links, t);
    }
    i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->sizes[i] = size;
    c->bytes += size;
    c->visited[i] = 0;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool sieve_contains(const void *state, uint64_t key)
{
    const struct sieve *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool sieve_remove(void *state, uint64_t key)
{
    struct sieve *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    if (c->hand == i)
        c->hand = c->links[i].prev;
    evict_list_unlink(c->links, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t sieve_size(const void *state)
{
    const struct sieve *c = state;
    return c->map.count;
}

static uint64_t sieve_bytes(const void *state)
{
    const struct sieve *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void sieve_destroy(void *state)
{
    struct sieve *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->sizes);
    free(c->visited);
    free(c);
}

const struct evict_policy evict_sieve = {
    .name = "sieve",
    .summary = "SIEVE: FIFO with a visited bit and a moving hand (Zhang et al., NSDI 2024); "
               "O(1) amortised",
    .params = params,
    .create = sieve_create,
    .access = sieve_access,
    .contains = sieve_contains,
    .remove = sieve_remove,
    .size = sieve_size,
    .create_bytes = sieve_create_bytes,
    .access_sized = sieve_access_sized,
    .bytes = sieve_bytes,
    .destroy = sieve_destroy,
};
