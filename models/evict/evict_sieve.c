/* evict_sieve: SIEVE and CLOCK, two uses of one FIFO list (head = newest)
 * with a bit per object. A hit sets the object's bit and moves nothing; new
 * objects enter with the bit clear, so an object must be hit once after
 * insertion to survive eviction. They differ only in how they find a victim:
 *
 * SIEVE (Zhang, Yang, Yue, Vigfusson and Rashmi, "SIEVE is simpler than
 * LRU: an efficient turn-key eviction algorithm for web caches", NSDI 2024,
 * Algorithm 1): a hand starts where it stopped last time (or at the tail),
 * walks towards the head clearing set bits, wrapping to the tail, and drops
 * the first object whose bit is clear; the hand stays at that object's newer
 * neighbour. Survivors keep their place, so new objects sit near the head
 * and are examined soon ("quick demotion").
 *
 * CLOCK (Corbato, "A paging experiment with the Multics system", MIT
 * Project MAC MAC-M-384, 1968), a one-bit approximation of LRU, kept as a
 * FIFO with reinsertion, which is the clock with its hand at the tail: while
 * the tail's bit is set it clears it and moves the object to the head (a
 * "second chance"), then drops the first tail whose bit is clear. New
 * objects enter with the bit clear, as in libCacheSim's Clock and in SIEVE's
 * comparison.
 *
 * Cost: O(1) per hit; O(1) amortised per miss, because each step of the hand
 * (each CLOCK reinsertion) clears a bit set by an earlier hit. Byte mode: a
 * miss runs the victim rule until the new object fits. The two policies
 * share every function but the access pair, which pass `sieve` as a
 * constant so each compiles to its own loop. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

struct sieve {
    struct evict_listed l;    /* first: the shared contains, size and bytes read it */
    uint8_t *visited;         /* [nodes] the bits (CLOCK's reference bits) */
    uint32_t hand;            /* SIEVE: next object to examine; the sentinel means
                                 "the tail" (CLOCK leaves it at the sentinel) */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static struct sieve *sieve_new(uint64_t capacity, size_t nodes, bool sized)
{
    if (capacity == 0 || nodes == 0 || nodes > EVICT_MAX_CAPACITY)
        return NULL;
    struct sieve *c = xmalloc(sizeof *c);
    evict_listed_init(&c->l, capacity, nodes, sized);
    c->visited = xmalloc(nodes);
    c->hand = c->l.head;
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

/* Finds an object whose bit is clear by SIEVE's hand (sieve) or CLOCK's
 * reinsertion, unlinks it and returns it. */
static inline uint32_t victim(struct sieve *c, bool sieve)
{
    if (!sieve) {
        uint32_t i = evict_list_tail(c->l.links, c->l.head);
        while (c->visited[i]) {
            c->visited[i] = 0;
            evict_list_move(c->l.links, c->l.head, i);
            i = evict_list_tail(c->l.links, c->l.head);
        }
        evict_list_unlink(c->l.links, i);
        return i;
    }
    uint32_t i = c->hand == c->l.head ? evict_list_tail(c->l.links, c->l.head) : c->hand;
    while (c->visited[i]) {
        c->visited[i] = 0;
        i = c->l.links[i].prev;
        if (i == c->l.head)
            i = evict_list_tail(c->l.links, c->l.head);
    }
    c->hand = c->l.links[i].prev; /* the sentinel if i was the head */
    evict_list_unlink(c->l.links, i);
    return i;
}

static inline bool bit_access(struct sieve *c, uint64_t key, bool sieve)
{
    uint32_t i = evict_map_get(&c->l.map, key);
    if (i != EVICT_MAP_NONE) {
        c->visited[i] = 1;
        return true;
    }
    if (c->l.map.count == c->l.nodes) {
        i = victim(c, sieve);
        evict_map_del(&c->l.map, c->l.keys[i]);
    } else {
        i = evict_pool_alloc(&c->l.pool, c->l.links);
    }
    c->l.keys[i] = key;
    c->visited[i] = 0;
    evict_list_push(c->l.links, c->l.head, i);
    evict_map_put(&c->l.map, key, i);
    return false;
}

static inline bool bit_access_sized(struct sieve *c, uint64_t key, uint32_t size, bool sieve)
{
    uint32_t i = evict_map_get(&c->l.map, key);
    if (i != EVICT_MAP_NONE) {
        c->visited[i] = 1;
        return true;
    }
    if (size > c->l.capacity)
        return false;
    while (c->l.bytes + size > c->l.capacity || c->l.map.count == c->l.nodes) {
        uint32_t t = victim(c, sieve);
        evict_map_del(&c->l.map, c->l.keys[t]);
        c->l.bytes -= c->l.sizes[t];
        evict_pool_free(&c->l.pool, c->l.links, t);
    }
    i = evict_pool_alloc(&c->l.pool, c->l.links);
    c->l.keys[i] = key;
    c->l.sizes[i] = size;
    c->l.bytes += size;
    c->visited[i] = 0;
    evict_list_push(c->l.links, c->l.head, i);
    evict_map_put(&c->l.map, key, i);
    return false;
}

static bool sieve_access(void *state, uint64_t key)
{
    return bit_access(state, key, true);
}

static bool clock_access(void *state, uint64_t key)
{
    return bit_access(state, key, false);
}

static bool sieve_access_sized(void *state, uint64_t key, uint32_t size)
{
    return bit_access_sized(state, key, size, true);
}

static bool clock_access_sized(void *state, uint64_t key, uint32_t size)
{
    return bit_access_sized(state, key, size, false);
}

static bool sieve_remove(void *state, uint64_t key)
{
    struct sieve *c = state;
    uint32_t i = evict_listed_take(&c->l, key);
    if (i == EVICT_MAP_NONE)
        return false;
    if (c->hand == i) /* never for CLOCK, whose hand stays at the sentinel */
        c->hand = c->l.links[i].prev;
    evict_listed_drop(&c->l, i);
    return true;
}

static void sieve_destroy(void *state)
{
    struct sieve *c = state;
    if (!c)
        return;
    evict_listed_fini(&c->l);
    free(c->visited);
    free(c);
}

const struct evict_policy evict_sieve = {
    .head.name = "sieve",
    .head.summary = "SIEVE: FIFO with a visited bit and a moving hand (Zhang et al., NSDI 2024); "
               "O(1) amortised",
    .head.params = params,
    .create = sieve_create,
    .access = sieve_access,
    .contains = evict_listed_contains,
    .remove = sieve_remove,
    .size = evict_listed_size,
    .create_bytes = sieve_create_bytes,
    .access_sized = sieve_access_sized,
    .bytes = evict_listed_bytes,
    .destroy = sieve_destroy,
};

const struct evict_policy evict_clock = {
    .head.name = "clock",
    .head.summary = "CLOCK / second chance, 1 reference bit (Corbato 1968); O(1) amortised",
    .head.params = params,
    .create = sieve_create,
    .access = clock_access,
    .contains = evict_listed_contains,
    .remove = sieve_remove,
    .size = evict_listed_size,
    .create_bytes = sieve_create_bytes,
    .access_sized = clock_access_sized,
    .bytes = evict_listed_bytes,
    .destroy = sieve_destroy,
};
