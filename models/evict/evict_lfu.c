/* evict_lfu: least frequently used, O(1) (Shah, Mitra and Matani, "An O(1)
 * algorithm for implementing the LFU cache eviction scheme", 2010).
 *
 * Frequency buckets form a list in increasing order of count (head = lowest);
 * each bucket holds the objects with exactly that count, newest at its head.
 * A hit moves the object to the bucket for count + 1, creating it right after
 * its own if absent (when the object is alone in its bucket and there is no
 * count + 1 bucket, the bucket is simply relabelled). A miss on a full cache
 * drops the tail of the lowest bucket: least frequent first, ties to the
 * least recently used. Counts are in-cache: they start at 1 on insertion and
 * are forgotten on eviction. Empty buckets are freed at once, so at most
 * capacity + 1 exist. Cost: O(1) per access, about 50 bytes per object.
 * Byte mode: a miss drops the lowest bucket's tail (least frequent, then
 * least recent) repeatedly until the new object fits; the new object then
 * enters with count 1 like any other. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

struct lfu {
    struct evict_map map;
    struct evict_pool items;   /* object nodes [0, capacity) */
    struct evict_pool buckets; /* bucket nodes [0, capacity + 1) */
    uint64_t *keys;            /* [capacity] */
    uint32_t *sizes;           /* [capacity] byte mode; NULL in object mode */
    uint32_t *bucket_of;       /* [capacity] the bucket holding each object */
    /* [capacity + capacity + 1]: objects, then bucket b's sentinel at capacity + b */
    struct evict_link *ilinks;
    uint64_t *count;           /* [capacity + 1] the count of each bucket */
    struct evict_link *blinks; /* [capacity + 2]; the sentinel is the last */
    uint32_t bhead;            /* bucket list sentinel */
    size_t capacity;           /* object nodes: most objects held at once */
    uint64_t limit;            /* capacity in objects, or bytes */
    uint64_t bytes;            /* byte mode: bytes held */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static uint32_t sentinel(const struct lfu *c, uint32_t b)
{
    return (uint32_t)c->capacity + b;
}

static struct lfu *lfu_new(uint64_t limit, size_t capacity, bool sized)
{
    if (limit == 0 || capacity == 0 || capacity > EVICT_MAX_CAPACITY)
        return NULL;
    struct lfu *c = xmalloc(sizeof *c);
    evict_map_init(&c->map, capacity);
    evict_pool_init(&c->items, capacity);
    evict_pool_init(&c->buckets, capacity + 1);
    c->keys = xmalloc(capacity * sizeof *c->keys);
    c->sizes = sized ? xmalloc(capacity * sizeof *c->sizes) : NULL;
    c->bucket_of = xmalloc(capacity * sizeof *c->bucket_of);
    c->ilinks = xmalloc((2 * capacity + 1) * sizeof *c->ilinks);
    c->count = xmalloc((capacity + 1) * sizeof *c->count);
    c->blinks = xmalloc((capacity + 2) * sizeof *c->blinks);
    c->bhead = (uint32_t)capacity + 1;
    evict_list_init(c->blinks, c->bhead);
    c->capacity = capacity;
    c->limit = limit;
    c->bytes = 0;
    return c;
}

static void *lfu_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return lfu_new(capacity, capacity, false);
}

static void *lfu_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)seed;
    (void)values;
    return lfu_new(capacity, max_objects, true);
}

/* A new empty bucket with count n, placed right after bucket `after`
 * (the sentinel: first). */
static uint32_t bucket_new(struct lfu *c, uint32_t after, uint64_t n)
{
    uint32_t b = evict_pool_alloc(&c->buckets, c->blinks);
    c->count[b] = n;
    evict_list_init(c->ilinks, sentinel(c, b));
    evict_list_insert_after(c->blinks, after, b);
    return b;
}

/* Frees bucket b if no object is left in it. */
static void bucket_release_if_empty(struct lfu *c, uint32_t b)
{
    if (!evict_list_is_empty(c->ilinks, sentinel(c, b)))
        return;
    evict_list_unlink(c->blinks, b);
    evict_pool_free(&c->buckets, c->blinks, b);
}

/* Unlinks object i from its bucket, freeing the bucket if it empties. */
static void item_unlink(struct lfu *c, uint32_t i)
{
    evict_list_unlink(c->ilinks, i);
    bucket_release_if_empty(c, c->bucket_of[i]);
}

static void lfu_hit(struct lfu *c, uint32_t i)
{
    uint32_t b = c->bucket_of[i];
    uint32_t nb = c->blinks[b].next;
    uint64_t n = c->count[b] + 1;
    bool next_fits = nb != c->bhead && c->count[nb] == n;
    uint32_t s = sentinel(c, b);
    if (!next_fits && c->ilinks[s].next == i && c->ilinks[s].prev == i) {
        c->count[b] = n; /* alone: relabel; the next bucket's count is > n */
        return;
    }
    if (!next_fits)
        nb = bucket_new(c, b, n);
    evict_list_unlink(c->ilinks, i);
    bucket_release_if_empty(c, b);
    evict_list_push(c->ilinks, sentinel(c, nb), i);
    c->bucket_of[i] = nb;
}

static bool lfu_access(void *state, uint64_t key)
{
    struct lfu *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        lfu_hit(c, i);
        return true;
    }
    if (c->map.count == c->capacity) {
        uint32_t low = evict_list_head(c->blinks, c->bhead);
        i = evict_list_tail(c->ilinks, sentinel(c, low));
        item_unlink(c, i);
        evict_map_del(&c->map, c->keys[i]);
    } else {
        i = evict_pool_alloc(&c->items, c->ilinks);
    }
    uint32_t b = evict_list_head(c->blinks, c->bhead);
    if (b == c->bhead || c->count[b] != 1)
        b = bucket_new(c, c->bhead, 1);
    c->keys[i] = key;
    c->bucket_of[i] = b;
    evict_list_push(c->ilinks, sentinel(c, b), i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool lfu_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct lfu *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        lfu_hit(c, i);
        return true;
    }
    if (size > c->limit)
        return false;
    while (c->bytes + size > c->limit || c->map.count == c->capacity) {
        uint32_t low = evict_list_head(c->blinks, c->bhead);
        uint32_t t = evict_list_tail(c->ilinks, sentinel(c, low));
        item_unlink(c, t);
        evict_map_del(&c->map, c->keys[t]);
        c->bytes -= c->sizes[t];
        evict_pool_free(&c->items, c->ilinks, t);
    }
    i = evict_pool_alloc(&c->items, c->ilinks);
    uint32_t b = evict_list_head(c->blinks, c->bhead);
    if (b == c->bhead || c->count[b] != 1)
        b = bucket_new(c, c->bhead, 1);
    c->keys[i] = key;
    c->sizes[i] = size;
    c->bytes += size;
    c->bucket_of[i] = b;
    evict_list_push(c->ilinks, sentinel(c, b), i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool lfu_contains(const void *state, uint64_t key)
{
    const struct lfu *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool lfu_remove(void *state, uint64_t key)
{
    struct lfu *c = state;
    uint32_t i = evict_map_del(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    item_unlink(c, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->items, c->ilinks, i);
    return true;
}

static size_t lfu_size(const void *state)
{
    const struct lfu *c = state;
    return c->map.count;
}

static uint64_t lfu_bytes(const void *state)
{
    const struct lfu *c = state;
    return c->sizes ? c->bytes : c->map.count;
}

static void lfu_destroy(void *state)
{
    struct lfu *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->sizes);
    free(c->bucket_of);
    free(c->ilinks);
    free(c->count);
    free(c->blinks);
    free(c);
}

const struct evict_policy evict_lfu = {
    .head.name = "lfu",
    .head.summary = "least frequently used, in-cache counts, LRU among ties "
               "(Shah, Mitra and Matani 2010); O(1)",
    .head.params = params,
    .create = lfu_create,
    .access = lfu_access,
    .contains = lfu_contains,
    .remove = lfu_remove,
    .size = lfu_size,
    .create_bytes = lfu_create_bytes,
    .access_sized = lfu_access_sized,
    .bytes = lfu_bytes,
    .destroy = lfu_destroy,
};
