/* evict_map: key -> node index hash map for the eviction policies.
 *
 * Linear probing in a power-of-two table of at least 2 * max_entries slots.
 * Invariant: every key sits in the run of occupied slots that starts at its
 * home slot (hash & mask) and reaches it without crossing an empty slot.
 * Deletion keeps the invariant by moving later entries of the run back into
 * the hole whenever their home slot does not lie cyclically in (hole, j]
 * (Knuth TAOCP vol. 3, 6.4, Algorithm R), so no tombstones are needed.
 * Cost: O(1) expected per operation at load <= 1/2. */
#include "models/evict/evict_map.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/xalloc.h"

uint64_t evict_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static size_t home(const struct evict_map *m, uint64_t key)
{
    return (size_t)evict_mix64(key) & m->mask;
}

void evict_map_init(struct evict_map *m, size_t max_entries)
{
    size_t n = 16;
    while (n < 2 * max_entries)
        n *= 2;
    m->slots = xmalloc(n * sizeof *m->slots);
    for (size_t i = 0; i < n; i++)
        m->slots[i].val = EVICT_MAP_NONE;
    m->mask = n - 1;
    m->count = 0;
    m->max_entries = max_entries;
}

void evict_map_fini(struct evict_map *m)
{
    free(m->slots);
    m->slots = NULL;
}

uint32_t evict_map_get(const struct evict_map *m, uint64_t key)
{
    for (size_t i = home(m, key);; i = (i + 1) & m->mask) {
        const struct evict_map_slot *s = &m->slots[i];
        if (s->val == EVICT_MAP_NONE || s->key == key)
            return s->val;
    }
}

void evict_map_put(struct evict_map *m, uint64_t key, uint32_t val)
{
    assert(val != EVICT_MAP_NONE && "reserved value");
    for (size_t i = home(m, key);; i = (i + 1) & m->mask) {
        struct evict_map_slot *s = &m->slots[i];
        if (s->val == EVICT_MAP_NONE) {
            assert(m->count < m->max_entries && "evict_map over its size");
            m->count++;
            s->key = key;
            s->val = val;
            return;
        }
        if (s->key == key) {
            s->val = val;
            return;
        }
    }
}

uint32_t evict_map_del(struct evict_map *m, uint64_t key)
{
    size_t i = home(m, key);
    for (;; i = (i + 1) & m->mask) {
        if (m->slots[i].val == EVICT_MAP_NONE)
            return EVICT_MAP_NONE;
        if (m->slots[i].key == key)
            break;
    }
    uint32_t val = m->slots[i].val;
    /* i is the hole; pull back every later entry of the run that may not skip it. */
    for (size_t j = (i + 1) & m->mask; m->slots[j].val != EVICT_MAP_NONE; j = (j + 1) & m->mask) {
        size_t k = home(m, m->slots[j].key);
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].val = EVICT_MAP_NONE;
    m->count--;
    return val;
}

/* ---- the list-ordered policies' store ------------------------------------ */

void evict_listed_init(struct evict_listed *c, uint64_t capacity, size_t nodes, bool sized)
{
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
}

void evict_listed_fini(struct evict_listed *c)
{
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->sizes);
}

bool evict_listed_contains(const void *state, uint64_t key)
{
    const struct evict_listed *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

size_t evict_listed_size(const void *state)
{
    const struct evict_listed *c = state;
    return c->map.count;
}

uint64_t evict_listed_bytes(const void *state)
{
    const struct evict_listed *c = state;
    return c->sizes ? c->bytes : c->map.count;
}
