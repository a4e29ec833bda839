/* evict_clock: CLOCK, a one-bit approximation of LRU (Corbato, "A paging
 * experiment with the Multics system", MIT Project MAC MAC-M-384, 1968).
 *
 * Kept as a FIFO with reinsertion, which is the clock with its hand at the
 * tail: a hit only sets the object's reference bit; a miss on a full cache
 * looks at the tail, and while the tail's bit is set it clears it and moves
 * the object to the head (a "second chance"), then drops the first tail whose
 * bit is clear. New objects enter with the bit clear, as in libCacheSim's
 * Clock and in SIEVE's comparison (Zhang et al. 2024), so an object must be
 * hit once after insertion to survive the hand.
 * Cost: O(1) per hit; O(1) amortised per miss, because each reinsertion
 * consumes a bit set by an earlier hit. Byte mode: a miss runs the hand
 * (same victim rule) until the new object fits. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "sim/xalloc.h"

struct clk {
    struct evict_map map;
    struct evict_pool pool;
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 1]; the sentinel is links[nodes] */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    uint8_t *ref;             /* [nodes] reference bits */
    uint32_t head;            /* sentinel index */
    size_t nodes;             /* most objects held at once */
    uint64_t capacity;        /* objects, or bytes */
    uint64_t bytes;           /* byte mode: bytes held */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct clk *clk_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct clk *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, nodes);
    evict_pool_init(&c->pool, nodes);
    c->keys = xmalloc(nodes * sizeof *c->keys);
    c->links = xmalloc((nodes + 1) * sizeof *c->links);
    c->sizes = sized ? xmalloc(nodes * sizeof *c->sizes) : NULL;
    c->ref = xmalloc(nodes);
    c->head = (uint32_t)nodes;
    evict_list_init(c->links, c->head);
    c->nodes = nodes;
    c->capacity = capacity;
    c->bytes = 0;
    return c;
}

static void *clk_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return clk_new(capacity, capacity, false);
}

static void *clk_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)seed;
    (void)values;
    return clk_new(capacity, max_objects, true);
}

/* Sweeps the hand to an object whose bit is clear, unlinks it, returns it. */
static uint32_t clk_victim(struct clk *c)
{
    uint32_t i = evict_list_tail(c->links, c->head);
    while (c->ref[i]) {
        c->ref[i] = 0;
        evict_list_move(c->links, c->head, i);
        i = evict_list_tail(c->links, c->head);
    }
    evict_list_unlink(c->links, i);
    return i;
}

static bool clk_access(void *state, uint64_t key)
{
    struct clk *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        c->ref[i] = 1;
        return true;
    }
    if (c->map.count == c->nodes) {
        i = clk_victim(c);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = evict_pool_alloc(&c->pool, c->links);
    }
    c->keys[i] = key;
    c->ref[i] = 0;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool clk_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct clk *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        c->ref[i] = 1;
        return true;
    }
    if (size > c->capacity)
        return false;
    while (c->bytes + size > c->capacity || c->map.count == c->nodes) {
        uint32_t t = clk_victim(c);
        evict_map_del(&c->map, c->keys[t]);
        c->bytes -= c->sizes[t];
        evict_pool_free(&c->pool, c->links, t);
    }
    i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->sizes[i] = size;
    c->bytes += size;
    c->ref[i] = 0;
    evict_list_push(c->links, c->head, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool clk_contains(const void *state, uint64_t key)
{
    const struct clk *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool clk_remove(void *state, uint64_t key)
{
    struct clk *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    evict_list_unlink(c->links, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t clk_size(const void *state)
{
    const struct clk *c = state;
    return c->map.count;
}

static uint64_t clk_bytes(const void *state)
{
    const struct clk *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void clk_destroy(void *state)
{
    struct clk *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->sizes);
    free(c->ref);
    free(c);
}

const struct evict_policy evict_clock = {
    .name = "clock",
    .summary = "CLOCK / second chance, 1 reference bit (Corbato 1968); O(1) amortised",
    .params = params,
    .create = clk_create,
    .access = clk_access,
    .contains = clk_contains,
    .remove = clk_remove,
    .size = clk_size,
    .create_bytes = clk_create_bytes,
    .access_sized = clk_access_sized,
    .bytes = clk_bytes,
    .destroy = clk_destroy,
};
