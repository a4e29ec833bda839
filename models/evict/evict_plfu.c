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
 * in a keymap), which is what "perfect" costs.
 * Byte mode: a missed key that does not fit faces the least counted cached
 * key, then the next least counted, and so on: while its count is strictly
 * higher it evicts that key, and it is admitted once it fits; the first time
 * it is not higher it is not admitted (the keys already evicted stay out,
 * as in Caffeine's admission of a large candidate). So only keys counted
 * less than the newcomer are ever displaced. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "models/data/keymap.h"
#include "sim/xalloc.h"

struct plfu_entry {
    uint64_t key;
    uint64_t count;
    uint64_t since; /* admission order: among equal counts the newest goes first */
    uint32_t size;  /* byte mode: the object's size */
};

struct plfu {
    struct keymap counts;     /* key -> requests so far, every key seen */
    struct evict_map slot_of; /* cached key -> heap slot */
    struct plfu_entry *heap;  /* min-heap by (count, since) */
    size_t size, capacity; /* objects cached; nodes (most objects at once) */
    uint64_t admitted;
    bool sized;
    uint64_t limit; /* capacity in objects, or bytes */
    uint64_t bytes; /* byte mode: bytes held */
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

static struct plfu *plfu_new(uint64_t limit, size_t capacity, bool sized)
{
    if (limit == 0 || capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct plfu *c = xcalloc(1, sizeof *c);
    keymap_init(&c->counts);
    evict_map_init(&c->slot_of, capacity);
    c->heap = xcalloc(capacity, sizeof *c->heap);
    c->capacity = capacity;
    c->sized = sized;
    c->limit = limit;
    return c;
}

static void *plfu_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return plfu_new(capacity, capacity, false);
}

static void *plfu_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                               const double *values)
{
    (void)seed;
    (void)values;
    return plfu_new(capacity, max_objects, true);
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
    struct plfu_entry e = {key, n, c->admitted, 1};
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

static void drop_slot(struct plfu *c, uint32_t slot);

/* plfu_touch in byte mode: the newcomer evicts the least counted keys one
 * by one while it beats them, until it fits. */
static bool plfu_touch_sized(struct plfu *c, uint64_t key, uint64_t add, uint32_t size)
{
    uint64_t n = keymap_get(&c->counts, key);
    n = (n == KEYMAP_NONE ? 0 : n) + add;
    keymap_put(&c->counts, key, n);
    uint32_t slot = evict_map_get(&c->slot_of, key);
    if (slot != EVICT_MAP_NONE) {
        c->heap[slot].count = n;
        sift_down(c, slot);
        return true;
    }
    if (size > c->limit)
        return false;
    while (c->bytes + size > c->limit || c->size == c->capacity) {
        if (!(n > c->heap[0].count))
            return false;
        drop_slot(c, 0);
    }
    struct plfu_entry e = {key, n, c->admitted++, size};
    c->bytes += size;
    c->heap[c->size++] = e;
    sift_up(c, c->size - 1);
    return false;
}

static bool plfu_access_sized(void *state, uint64_t key, uint32_t size)
{
    return plfu_touch_sized(state, key, 1, size);
}

static bool plfu_insert_sized(void *state, uint64_t key, uint32_t size)
{
    return plfu_touch_sized(state, key, 0, size);
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
    uint32_t slot = evict_map_get(&c->slot_of, key);
    if (slot == EVICT_MAP_NONE)
        return false;
    drop_slot(c, slot);
    return true;
}

/* Removes the cached entry in heap slot `slot`. */
static void drop_slot(struct plfu *c, uint32_t slot)
{
    evict_map_del(&c->slot_of, c->heap[slot].key);
    if (c->sized)
        c->bytes -= c->heap[slot].size;
    c->size--;
    if (slot < c->size) {
        place(c, slot, c->heap[c->size]);
        sift_down(c, slot);
        sift_up(c, evict_map_get(&c->slot_of, c->heap[slot].key));
    }
}

static size_t plfu_size(const void *state)
{
    return ((const struct plfu *)state)->size;
}

static uint64_t plfu_bytes(const void *state)
{
    const struct plfu *c = state;
    return c->sized ? c->bytes : c->size;
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
    .head.name = "lfu_perfect",
    .head.summary = "perfect LFU: counts every request to every key, keeps the most counted "
               "(the IRM optimum); O(log n), memory grows with keys seen",
    .head.params = params,
    .create = plfu_create,
    .access = plfu_access,
    .insert = plfu_insert,
    .may_decline = true,
    .contains = plfu_contains,
    .remove = plfu_remove,
    .size = plfu_size,
    .create_bytes = plfu_create_bytes,
    .access_sized = plfu_access_sized,
    .insert_sized = plfu_insert_sized,
    .bytes = plfu_bytes,
    .destroy = plfu_destroy,
};
