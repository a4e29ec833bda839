/* evict_arc: Adaptive Replacement Cache (Megiddo and Modha, "ARC: a
 * self-tuning, low overhead replacement cache", FAST 2003, Figure 4).
 *
 * Four LRU lists (head = most recent): T1 holds objects seen once recently,
 * T2 objects seen at least twice; B1 and B2 are ghosts (keys only) of objects
 * evicted from T1 and T2. |T1| + |T2| <= c, |T1| + |B1| <= c and the total
 * <= 2c. The target size p of T1 adapts: a hit in B1 grows it by
 * max(1, |B2| / |B1|), a hit in B2 shrinks it by max(1, |B1| / |B2|); p is
 * real-valued as in the paper. REPLACE moves T1's tail to B1 if
 * |T1| > p (or = p on a B2 hit), else T2's tail to B2. A ghost is its evicted
 * node relabelled and keeps its map entry. remove() only drops cached
 * objects; as the cache is then not full, REPLACE is skipped until it is,
 * which keeps the paper's bounds. Memory: 2 * capacity nodes.
 * Cost: O(1) per access.
 *
 * Byte mode: |X| is the bytes of the objects in list X (ghosts remember
 * their object's size), c and p are in bytes, and the bounds above hold in
 * bytes. A ghost hit on an object of s bytes moves p by s * max(1, |B2| /
 * |B1|) (B1 hit) or s * max(1, |B1| / |B2|) (B2 hit): the paper's rule with
 * "one object" read as "s bytes", which is how byte-aware ARC variants
 * (e.g. libCacheSim's ARC with sized requests) adapt. REPLACE then runs
 * until s more bytes fit in T1 + T2. A new object of s bytes first trims
 * the ghosts: while |T1| + |B1| + s > c, B1's tail is forgotten (T1's tail,
 * with no ghost, once B1 is empty); while the total + s > 2c, B2's tail is
 * forgotten (B1's once B2 is empty); then REPLACE runs until it fits. For
 * s = 1 these are exactly the paper's case IV. Nodes: 2 * max_objects, and
 * if a count bound binds (objects smaller than the caller promised) the
 * same trimming order makes room by count. */
#include "models/evict/evict.h"

#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

enum { ARC_T1, ARC_T2, ARC_B1, ARC_B2 };

struct arc {
    struct evict_map map;     /* cached and ghost keys */
    struct evict_pool pool;   /* [0, nodes) */
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 4]; sentinels: nodes + ARC_T1, ... */
    uint8_t *where;           /* [nodes] which list */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    size_t len[4];            /* objects in each list */
    uint64_t bytes[4];        /* byte mode: bytes in each list */
    size_t capacity; /* c, in objects (byte mode: most objects cached at once) */
    uint64_t cap_bytes; /* byte mode: c in bytes */
    double p;        /* target size of T1, in [0, c] (bytes in byte mode) */
    uint32_t nodes;  /* 2c */
};

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

static uint32_t head(const struct arc *c, int list)
{
    return c->nodes + (uint32_t)list;
}

static struct arc *arc_new(size_t capacity, uint64_t cap_bytes, bool sized)
{
    if (capacity == 0 || cap_bytes == 0 || capacity > EVICT_MAX_CAPACITY / 2)
        return NULL;
    struct arc *c = xmalloc(sizeof *c);
    c->capacity = capacity;
    c->nodes = (uint32_t)(2 * capacity);
    c->p = 0;
    evict_map_init(&c->map, c->nodes);
    evict_pool_init(&c->pool, c->nodes);
    c->keys = xmalloc(c->nodes * sizeof *c->keys);
    c->links = xmalloc((c->nodes + 4) * sizeof *c->links);
    c->where = xmalloc(c->nodes);
    c->sizes = sized ? xmalloc(c->nodes * sizeof *c->sizes) : NULL;
    c->cap_bytes = cap_bytes;
    for (int l = 0; l < 4; l++) {
        evict_list_init(c->links, head(c, l));
        c->len[l] = 0;
        c->bytes[l] = 0;
    }
    return c;
}

static void *arc_create(size_t capacity, uint64_t seed, const double *values)
{
    (void)seed;
    (void)values;
    return arc_new(capacity, capacity, false);
}

static void *arc_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                              const double *values)
{
    (void)seed;
    (void)values;
    return arc_new(max_objects, capacity, true);
}

static void push(struct arc *c, int list, uint32_t i)
{
    c->where[i] = (uint8_t)list;
    c->len[list]++;
    if (c->sizes)
        c->bytes[list] += c->sizes[i];
    evict_list_push(c->links, head(c, list), i);
}

static void unlink_node(struct arc *c, uint32_t i)
{
    c->len[c->where[i]]--;
    if (c->sizes)
        c->bytes[c->where[i]] -= c->sizes[i];
    evict_list_unlink(c->links, i);
}

/* Moves the tail of list `from` to the head of list `to`; returns it. */
static uint32_t shift(struct arc *c, int from, int to)
{
    uint32_t t = evict_list_tail(c->links, head(c, from));
    unlink_node(c, t);
    push(c, to, t);
    return t;
}

/* Forgets the tail of list `from` entirely. */
static void drop_tail(struct arc *c, int from)
{
    uint32_t t = evict_list_tail(c->links, head(c, from));
    unlink_node(c, t);
    evict_map_del(&c->map, c->keys[t]);
    evict_pool_free(&c->pool, c->links, t);
}

static size_t cached(const struct arc *c)
{
    return c->len[ARC_T1] + c->len[ARC_T2];
}

/* REPLACE(x, p) of the paper, only when the cache is full. */
static void replace(struct arc *c, bool hit_in_b2)
{
    if (cached(c) < c->capacity)
        return;
    double t1 = (double)c->len[ARC_T1];
    if (c->len[ARC_T1] >= 1 && (t1 > c->p || (hit_in_b2 && t1 == c->p)))
        shift(c, ARC_T1, ARC_B1);
    else if (c->len[ARC_T2] >= 1)
        shift(c, ARC_T2, ARC_B2);
    else
        shift(c, ARC_T1, ARC_B1); /* unreachable by the paper's invariants */
}

/* Case II/III: a ghost hit adapts p, then the object returns into T2. */
static void ghost_hit(struct arc *c, uint32_t i)
{
    double b1 = (double)c->len[ARC_B1], b2 = (double)c->len[ARC_B2];
    bool in_b2 = c->where[i] == ARC_B2;
    if (!in_b2) {
        double delta = b1 >= b2 ? 1 : b2 / b1;
        c->p = c->p + delta < (double)c->capacity ? c->p + delta : (double)c->capacity;
    } else {
        double delta = b2 >= b1 ? 1 : b1 / b2;
        c->p = c->p - delta > 0 ? c->p - delta : 0;
    }
    replace(c, in_b2);
    unlink_node(c, i);
    push(c, ARC_T2, i);
}

/* Case IV: makes room for a key in no list, then puts it at T1's head. */
static void insert_new(struct arc *c, uint64_t key)
{
    size_t l1 = c->len[ARC_T1] + c->len[ARC_B1];
    size_t total = l1 + c->len[ARC_T2] + c->len[ARC_B2];
    if (l1 == c->capacity) {
        if (c->len[ARC_T1] < c->capacity) {
            drop_tail(c, ARC_B1);
            replace(c, false);
        } else {
            drop_tail(c, ARC_T1);
        }
    } else if (total >= c->capacity) {
        if (total == 2 * c->capacity)
            drop_tail(c, ARC_B2);
        replace(c, false);
    }
    uint32_t i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    push(c, ARC_T1, i);
    evict_map_put(&c->map, key, i);
}

/* --- byte mode ------------------------------------------------------------- */

static uint64_t cached_bytes(const struct arc *c)
{
    return c->bytes[ARC_T1] + c->bytes[ARC_T2];
}

/* REPLACE, repeated until s more bytes (and one more object) fit in T1 + T2. */
static void replace_sized(struct arc *c, bool hit_in_b2, uint64_t s)
{
    while (cached(c) > 0 && (cached_bytes(c) + s > c->cap_bytes || cached(c) == c->capacity)) {
        double t1 = (double)c->bytes[ARC_T1];
        if (c->len[ARC_T1] >= 1 && (t1 > c->p || (hit_in_b2 && t1 == c->p)))
            shift(c, ARC_T1, ARC_B1);
        else if (c->len[ARC_T2] >= 1)
            shift(c, ARC_T2, ARC_B2);
        else
            shift(c, ARC_T1, ARC_B1);
    }
}

/* A ghost hit in byte mode: p moves by the object's size times the paper's ratio. */
static void ghost_hit_sized(struct arc *c, uint32_t i)
{
    double b1 = (double)c->bytes[ARC_B1], b2 = (double)c->bytes[ARC_B2];
    double s = (double)c->sizes[i], cap = (double)c->cap_bytes;
    bool in_b2 = c->where[i] == ARC_B2;
    if (!in_b2) {
        double delta = s * (b1 >= b2 ? 1 : b2 / b1);
        c->p = c->p + delta < cap ? c->p + delta : cap;
    } else {
        double delta = s * (b2 >= b1 ? 1 : b1 / b2);
        c->p = c->p - delta > 0 ? c->p - delta : 0;
    }
    /* Out of its ghost list first, so that REPLACE cannot push past 2c. */
    unlink_node(c, i);
    replace_sized(c, in_b2, c->sizes[i]);
    push(c, ARC_T2, i);
}

static void insert_new_sized(struct arc *c, uint64_t key, uint32_t size)
{
    while (c->bytes[ARC_T1] + c->bytes[ARC_B1] + size > c->cap_bytes) {
        if (c->len[ARC_B1] > 0)
            drop_tail(c, ARC_B1);
        else
            drop_tail(c, ARC_T1);
    }
    uint64_t total = c->bytes[0] + c->bytes[1] + c->bytes[2] + c->bytes[3];
    while (total + size > 2 * c->cap_bytes ||
           c->len[0] + c->len[1] + c->len[2] + c->len[3] == c->nodes) {
        drop_tail(c, c->len[ARC_B2] > 0 ? ARC_B2 : c->len[ARC_B1] > 0 ? ARC_B1 : ARC_T1);
        total = c->bytes[0] + c->bytes[1] + c->bytes[2] + c->bytes[3];
    }
    replace_sized(c, false, size);
    uint32_t i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->sizes[i] = size;
    push(c, ARC_T1, i);
    evict_map_put(&c->map, key, i);
}

static bool arc_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct arc *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE && (c->where[i] == ARC_T1 || c->where[i] == ARC_T2)) {
        unlink_node(c, i);
        push(c, ARC_T2, i);
        return true;
    }
    if (size > c->cap_bytes)
        return false;
    if (i == EVICT_MAP_NONE)
        insert_new_sized(c, key, size);
    else
        ghost_hit_sized(c, i);
    return false;
}

static bool arc_access(void *state, uint64_t key)
{
    struct arc *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i == EVICT_MAP_NONE) {
        insert_new(c, key);
        return false;
    }
    if (c->where[i] == ARC_T1 || c->where[i] == ARC_T2) {
        unlink_node(c, i);
        push(c, ARC_T2, i);
        return true;
    }
    ghost_hit(c, i);
    return false;
}

static bool arc_contains(const void *state, uint64_t key)
{
    const struct arc *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    return i != EVICT_MAP_NONE && (c->where[i] == ARC_T1 || c->where[i] == ARC_T2);
}

static bool arc_remove(void *state, uint64_t key)
{
    struct arc *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i == EVICT_MAP_NONE || c->where[i] == ARC_B1 || c->where[i] == ARC_B2)
        return false;
    unlink_node(c, i);
    evict_map_del(&c->map, key);
    evict_pool_free(&c->pool, c->links, i);
    return true;
}

static size_t arc_size(const void *state)
{
    return cached(state);
}

static uint64_t arc_bytes(const void *state)
{
    const struct arc *c = state;
    return c->sizes ? cached_bytes(c) : cached(c);
}

static void arc_destroy(void *state)
{
    struct arc *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->where);
    free(c->sizes);
    free(c);
}

const struct evict_policy evict_arc = {
    .head.name = "arc",
    .head.summary = "ARC: adaptive recency/frequency split with ghost lists "
               "(Megiddo and Modha, FAST 2003); O(1)",
    .head.params = params,
    .create = arc_create,
    .access = arc_access,
    .contains = arc_contains,
    .remove = arc_remove,
    .size = arc_size,
    .create_bytes = arc_create_bytes,
    .access_sized = arc_access_sized,
    .bytes = arc_bytes,
    .destroy = arc_destroy,
};
