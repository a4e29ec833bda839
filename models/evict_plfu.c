/* evict_plfu: perfect LFU. Unlike `lfu`, whose counts live and die with
 * cached objects, perfect LFU counts every request to every key ever seen,
 * cached or not, and keeps the `capacity` keys with the highest counts: on a
 * miss the requested key replaces the least counted cached key only when its
 * own count is now higher (ties keep the incumbents). Under independent
 * requests its hit ratio tends to the sum of the capacity highest
 * popularities, the best any policy can do without knowing the future
 * (validation case CACHE-EXACT-N10-C3, hit_ratio_LFU_perfect; Coffman and
 * Denning 1973). The cached keys sit in a binary min-heap by (count, time of
 * admission), each remembering its heap slot. Cost: O(log capacity) per
 * access; memory grows with the number of distinct keys seen (16 bytes each
 * in a keymap), which is what "perfect" costs. */
#include "models/evict.h"

#include <stdlib.h>

#include "models/evict_map.h"
#include "models/keymap.h"
#include "sim/xalloc.h"

struct plfu_entry {
    uint64_t key;
    uint64_t count;
    uint64_t since; /* admission order: among equal counts the newest goes first */
};

struct plfu {
    struct keymap counts;     /* key -> requests so far, every key seen */
    struct evict_map slot_of; /* cached key -> heap slot */
    struct plfu_entry *heap;  /* min-heap by (count, since) */
    size_t size, capacity;
    uint64_t admitted;
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

/* Heap order: the next to evict is the least counted, and among equal
 * counts the most recently admitted, so long-standing entries stay. */
static bool before(const struct plfu_entry *a, const struct plfu_entry *b)
{
    return a->count < b->count || (a->count == b->count && a->since > b->since);
}

static void place(struct plfu *c, size_t i, struct plfu_entry e)
{
    c->heap[i] = e;
    evict_map_put(&c->slot_of, e.key, (uint32_t)i);
}

static void sift_down(struct plfu *c, size_t i)
{
    struct plfu_entry e = c->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        const struct plfu_entry *bp = &e;
        if (l < c->size && before(&c->heap[l], bp)) {
            best = l;
            bp = &c->heap[l];
        }
        if (l + 1 < c->size && before(&c->heap[l + 1], bp))
            best = l + 1;
        if (best == i)
            break;
        place(c, i, c->heap[best]);
        i = best;
    }
    place(c, i, e);
}

static void sift_up(struct plfu *c, size_t i)
{
    struct plfu_entry e = c->heap[i];
    while (i > 0 && before(&e, &c->heap[(i - 1) / 2])) {
        place(c, i, c->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    place(c, i, e);
}

static void *plfu_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    if (capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct plfu *c = xcalloc(1, sizeof *c);
    keymap_init(&c->counts);
    evict_map_init(&c->slot_of, capacity);
    c->heap = xcalloc(capacity, sizeof *c->heap);
    c->capacity = capacity;
    return c;
}

/* Counts one request to key (or none, for a fill) and applies the rule. */
static bool plfu_touch(struct plfu *c, uint64_t key, uint64_t add)
{
    uint64_t n = keymap_get(&c->counts, key);
    n = (n == KEYMAP_NONE ? 0 : n) + add;
    keymap_put(&c->counts, key, n);
    uint32_t slot = evict_map_get(&c->slot_of, key);
    if (slot != EVICT_MAP_NONE) { /* a hit: its count grew, it sinks */
        c->heap[slot].count = n;
        sift_down(c, slot);
        return true;
    }
    struct plfu_entry e = {key, n, c->admitted};
    if (c->size < c->capacity) {
        c->admitted++;
        c->heap[c->size++] = e;
        sift_up(c, c->size - 1);
    } else if (n > c->heap[0].count) { /* beats the least counted: replace it */
        c->admitted++;
        evict_map_del(&c->slot_of, c->heap[0].key);
        place(c, 0, e);
        sift_down(c, 0);
    }
    return false;
}

static bool plfu_access(void *state, uint64_t key)
{
    return plfu_touch(state, key, 1);
}

/* A fill after a miss: the request was counted at its access already. */
static bool plfu_insert(void *state, uint64_t key)
{
    return plfu_touch(state, key, 0);
}

static bool plfu_contains(const void *state, uint64_t key)
{
    const struct plfu *c = state;
    return evict_map_get(&c->slot_of, key) != EVICT_MAP_NONE;
}

static bool plfu_remove(void *state, uint64_t key)
{
    struct plfu *c = state;
    uint32_t slot = evict_map_del(&c->slot_of, key);
    if (slot == EVICT_MAP_NONE)
        return false;
    c->size--;
    if (slot < c->size) {
        place(c, slot, c->heap[c->size]);
        sift_down(c, slot);
        sift_up(c, evict_map_get(&c->slot_of, c->heap[slot].key));
    }
    return true;
}

static size_t plfu_size(const void *state)
{
    return ((const struct plfu *)state)->size;
}

static void plfu_destroy(void *state)
{
    struct plfu *c = state;
    if (!c)
        return;
    keymap_fini(&c->counts);
    evict_map_fini(&c->slot_of);
    free(c->heap);
    free(c);
}

const struct evict_policy evict_plfu = {
    .name = "lfu_perfect",
    .summary = "perfect LFU: counts every request to every key, keeps the most counted "
               "(the IRM optimum); O(log n), memory grows with keys seen",
    .params = params,
    .create = plfu_create,
    .access = plfu_access,
    .insert = plfu_insert,
    .may_decline = true,
    .contains = plfu_contains,
    .remove = plfu_remove,
    .size = plfu_size,
    .destroy = plfu_destroy,
};
