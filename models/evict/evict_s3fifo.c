/* evict_s3fifo: S3-FIFO (Yang, Zhang, Qiu, Yue and Rashmi, "FIFO queues are
 * all you need for cache eviction", SOSP 2023, Algorithm 1).
 *
 * Three FIFO lists (head = newest): S, a small queue (fraction `small` of the
 * capacity) that new objects enter; M, the main queue (the rest); and G, a
 * ghost queue of keys only (floor(ghost * capacity) entries; the paper's
 * default is the size of M, hence 0.9). Each cached object has a 2-bit counter, 0 on
 * insertion and incremented (up to 3) by each hit; hits move nothing.
 * When the cache is full: if S holds at least its share (or M is empty),
 * S's tail goes to M if its counter is above 1 (making room in M first) or
 * else becomes a ghost, repeating until one object has left; otherwise M's
 * tail is reinserted at M's head with its counter decremented while the
 * counter is non-zero, and the first tail with counter 0 is dropped. A miss
 * on a ghost key inserts it straight into M with counter 0.
 * A ghost is the evicted node itself relabelled, so it keeps its map entry;
 * G drops its tail when full. Memory: capacity + ghost * capacity nodes.
 * Cost: O(1) per hit; O(1) amortised per miss (each reinsertion consumes a
 * hit, each promotion from S happens once per insertion).
 *
 * Byte mode: every length and target is in bytes. S's share is
 * round(small * capacity) bytes and M's the rest; a miss repeats the
 * eviction step above until the new object fits; an object promoted from S
 * makes room in M by evicting from M until it fits there (not just once).
 * The ghost queue is bounded by the bytes of the objects it remembers,
 * floor(ghost * capacity), as libCacheSim's S3FIFO does with sized objects;
 * with the default 0.9 that is M's byte size, the paper's "as large as M"
 * measured in the unit the cache is sized in. (A bound by entry count of M
 * would need M's count, which varies; by bytes it is fixed at create.) It
 * also never holds more than floor(ghost * max_objects) entries, the nodes
 * allocated for it, which binds only if remembered objects are smaller
 * than the caller's minimum size. */
#include "models/evict/evict.h"

#include <math.h>
#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

enum { S3_SMALL, S3_MAIN, S3_GHOST };

struct s3fifo {
    struct evict_map map;     /* cached and ghost keys */
    struct evict_pool pool;   /* [0, nodes) */
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 3]; sentinels: nodes + S3_SMALL, ... */
    uint8_t *where;           /* [nodes] S3_SMALL, S3_MAIN or S3_GHOST */
    uint8_t *freq;            /* [nodes] 0..3 */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    uint64_t len[3];          /* objects (byte mode: bytes) in each list */
    size_t cnt[3];            /* objects in each list */
    uint64_t cap[3];          /* targets: S's share, M's size, G's size */
    uint64_t capacity;        /* objects, or bytes */
    size_t max_cached;        /* most objects cached at once */
    size_t max_ghosts;        /* most ghost entries */
    uint32_t nodes;
};

static const struct param_spec params[] = {
    {"small", "fraction", "0.1", "share of the capacity for the small FIFO queue, in (0, 1)"},
    {"ghost", "number", "0.9", "ghost queue entries per unit of capacity, in [0, 4]"},
    {NULL, NULL, NULL, NULL},
};

static uint32_t head(const struct s3fifo *c, int list)
{
    return c->nodes + (uint32_t)list;
}

static uint64_t sz(const struct s3fifo *c, uint32_t i)
{
    return c->sizes ? c->sizes[i] : 1;
}

static struct s3fifo *s3_new(uint64_t capacity, size_t max_objects, bool sized,
                             const double *values)
{
    double small = evict_param(params, values, 0), ghost = evict_param(params, values, 1);
    if (capacity == 0 || max_objects == 0 || max_objects > EVICT_MAX_CAPACITY ||
        !(small > 0 && small < 1) || !(ghost >= 0 && ghost <= 4))
        return NULL;
    struct s3fifo *c = xmalloc(sizeof *c);
    uint64_t s = (uint64_t)llround(small * (double)capacity);
    if (s >= capacity)
        s = capacity - 1;
    c->cap[S3_SMALL] = s ? s : 1;
    c->cap[S3_MAIN] = capacity > c->cap[S3_SMALL] ? capacity - c->cap[S3_SMALL] : 1;
    c->cap[S3_GHOST] = (uint64_t)floor(ghost * (double)capacity + 1e-9); /* as libCacheSim */
    c->capacity = capacity;
    c->max_cached = max_objects;
    c->max_ghosts = sized ? (size_t)floor(ghost * (double)max_objects + 1e-9)
                          : (size_t)c->cap[S3_GHOST];
    c->nodes = (uint32_t)(max_objects + c->max_ghosts);
    evict_map_init(&c->map, c->nodes);
    evict_pool_init(&c->pool, c->nodes);
    c->keys = xmalloc(c->nodes * sizeof *c->keys);
    c->links = xmalloc((c->nodes + 3) * sizeof *c->links);
    c->where = xmalloc(c->nodes);
    c->freq = xmalloc(c->nodes);
    c->sizes = sized ? xmalloc(c->nodes * sizeof *c->sizes) : NULL;
    for (int l = 0; l < 3; l++) {
        evict_list_init(c->links, head(c, l));
        c->len[l] = 0;
        c->cnt[l] = 0;
    }
    return c;
}

static void *s3_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    return s3_new(capacity, capacity, false, values);
}

static void *s3_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                             const double *values)
{
    (void)seed;
    return s3_new(capacity, max_objects, true, values);
}

static void push(struct s3fifo *c, int list, uint32_t i)
{
    c->where[i] = (uint8_t)list;
    c->len[list] += sz(c, i);
    c->cnt[list]++;
    evict_list_push(c->links, head(c, list), i);
}

static void unlink_node(struct s3fifo *c, uint32_t i)
{
    c->len[c->where[i]] -= sz(c, i);
    c->cnt[c->where[i]]--;
    evict_list_unlink(c->links, i);
}

/* Forgets node i (already unlinked) entirely. */
static void drop(struct s3fifo *c, uint32_t i)
{
    evict_map_del(&c->map, c->keys[i]);
    evict_pool_free(&c->pool, c->links, i);
}

/* Drops one object from M, reinserting tails that were hit meanwhile. */
static void evict_main(struct s3fifo *c)
{
    while (c->len[S3_MAIN] > 0) {
        uint32_t t = evict_list_tail(c->links, head(c, S3_MAIN));
        if (c->freq[t] > 0) {
            c->freq[t]--;
            evict_list_move(c->links, head(c, S3_MAIN), t);
            continue;
        }
        unlink_node(c, t);
        drop(c, t);
        return;
    }
}

/* Makes node t (unlinked) the newest ghost, or forgets it without a G. */
static void to_ghost(struct s3fifo *c, uint32_t t)
{
    if (sz(c, t) > c->cap[S3_GHOST] || c->max_ghosts == 0) {
        drop(c, t);
        return;
    }
    while (c->len[S3_GHOST] + sz(c, t) > c->cap[S3_GHOST] || c->cnt[S3_GHOST] == c->max_ghosts) {
        uint32_t g = evict_list_tail(c->links, head(c, S3_GHOST));
        unlink_node(c, g);
        drop(c, g);
    }
    push(c, S3_GHOST, t);
}

/* Moves S's tails to M while they were hit twice, then ghosts one. */
static void evict_small(struct s3fifo *c)
{
    while (c->len[S3_SMALL] > 0) {
        uint32_t t = evict_list_tail(c->links, head(c, S3_SMALL));
        unlink_node(c, t);
        if (c->freq[t] > 1) {
            if (!c->sizes) {
                if (c->len[S3_MAIN] >= c->cap[S3_MAIN])
                    evict_main(c);
            } else {
                while (c->len[S3_MAIN] > 0 && c->len[S3_MAIN] + sz(c, t) > c->cap[S3_MAIN])
                    evict_main(c);
            }
            push(c, S3_MAIN, t);
        } else {
            to_ghost(c, t);
            return;
        }
    }
}

/* True while the cache needs an eviction before size more bytes fit. */
static bool s3_full(const struct s3fifo *c, uint64_t size)
{
    return c->len[S3_SMALL] + c->len[S3_MAIN] + size > c->capacity ||
           c->cnt[S3_SMALL] + c->cnt[S3_MAIN] == c->max_cached;
}

static bool s3_touch(struct s3fifo *c, uint64_t key, uint32_t size)
{
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE && c->where[i] != S3_GHOST) {
        if (c->freq[i] < 3)
            c->freq[i]++;
        return true;
    }
    if (size > c->capacity)
        return false;
    bool was_ghost = i != EVICT_MAP_NONE;
    if (was_ghost) /* out of G first, so that making room cannot drop it */
        unlink_node(c, i);
    if (was_ghost && c->sizes)
        c->sizes[i] = size;
    while (s3_full(c, size)) {
        if (c->len[S3_SMALL] >= c->cap[S3_SMALL] || c->len[S3_MAIN] == 0)
            evict_small(c);
        else
            evict_main(c);
    }
    if (was_ghost) { /* it comes back straight into M */
        c->freq[i] = 0;
        push(c, S3_MAIN, i);
        return false;
    }
    i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->freq[i] = 0;
    if (c->sizes)
        c->sizes[i] = size;
    push(c, S3_SMALL, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool s3_access(void *state, uint64_t key)
{
    return s3_touch(state, key, 1);
}

static bool s3_access_sized(void *state, uint64_t key, uint32_t size)
{
    return s3_touch(state, key, size);
}

static bool s3_contains(const void *state, uint64_t key)
{
    const struct s3fifo *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    return i != EVICT_MAP_NONE && c->where[i] != S3_GHOST;
}

static bool s3_remove(void *state, uint64_t key)
{
    struct s3fifo *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i == EVICT_MAP_NONE || c->where[i] == S3_GHOST)
        return false;
    unlink_node(c, i);
    drop(c, i);
    return true;
}

static size_t s3_size(const void *state)
{
    const struct s3fifo *c = state;
    return c->cnt[S3_SMALL] + c->cnt[S3_MAIN];
}

static uint64_t s3_bytes(const void *state)
{
    const struct s3fifo *c = state;
    return c->len[S3_SMALL] + c->len[S3_MAIN];
}

static void s3_destroy(void *state)
{
    struct s3fifo *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->where);
    free(c->freq);
    free(c->sizes);
    free(c);
}

const struct evict_policy evict_s3fifo = {
    .head.name = "s3fifo",
    .head.summary = "S3-FIFO: small, main and ghost FIFO queues (Yang et al., SOSP 2023); "
               "O(1) amortised",
    .head.params = params,
    .create = s3_create,
    .access = s3_access,
    .contains = s3_contains,
    .remove = s3_remove,
    .size = s3_size,
    .create_bytes = s3_create_bytes,
    .access_sized = s3_access_sized,
    .bytes = s3_bytes,
    .destroy = s3_destroy,
};
