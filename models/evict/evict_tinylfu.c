/* evict_tinylfu: W-TinyLFU (Einziger, Friedman and Manes, "TinyLFU: a highly
 * efficient cache admission policy", ACM Trans. Storage 13(4), 2017), laid
 * out as in Caffeine.
 *
 * A small LRU window (fraction `window` of the capacity, at least 1) takes
 * every new object. The rest is a segmented LRU (Karedla, Love and Wherry
 * 1994): probation, and protected (at most fraction `protected` of the main
 * part); a hit in probation promotes to protected, whose overflow is demoted
 * back to probation's head. When the window overflows, its LRU object is a
 * candidate for the main part: it enters probation freely while the main part
 * has room, and otherwise only if its estimated frequency is strictly greater
 * than that of probation's LRU object (the victim, or protected's when
 * probation is empty); the loser is evicted.
 * Frequencies come from a count-min sketch (Cormode and Muthukrishnan 2005)
 * of 4 rows of 4-bit counters, each row next_pow2(4 * capacity) wide (at least
 * 64): 8 to 16 bytes per object, Caffeine's size; a quarter of it cost 0.2
 * points of hit ratio on Zipf(1) in tests/bench_evict.c),
 * indexed by double hashing (Kirsch and Mitzenmacher 2006) of the key mixed
 * with a salt from the seed. Every access adds a sample; after 10 * capacity
 * samples all counters and the sample count are halved (the paper's "reset").
 * The doorkeeper is omitted. Ties reject the candidate, so runs are
 * deterministic (Caffeine adds a random tie-break against hash flooding).
 * Cost: O(1) per access (4 counter updates; 8 reads on a full miss) plus O(w)
 * for the reset (O(width)) every 10 * capacity accesses, O(1) amortised.
 * Memory per object: 8-16 bytes of sketch, 17 of nodes, 32-64 of map.
 *
 * Byte mode: window, probation, protected and their targets are in bytes
 * (window_max = round(window * capacity) bytes, at least 1). The sketch and
 * its reset period (10 * max_objects samples) are sized by max_objects, an
 * upper bound that may be well above the objects actually cached, so counts
 * age more slowly than in object mode (Caffeine sizes its sketch by the
 * maximum weight, capped, with the same effect). A miss adds the sample, then (if the object fits
 * the capacity at all) moves window tails to the main part until the new
 * object fits in the window's share, then puts it at the window's head; an
 * object larger than the share empties the window and sits there alone,
 * after probation's (then protected's) LRU objects are evicted until the
 * whole cache fits it. A
 * candidate from the window enters probation at once if it fits in the
 * main part's free bytes; if it is larger than the whole main part it is
 * evicted; otherwise, as Caffeine's evictFromMain does, it is compared in
 * turn with each victim (probation's LRU object, protected's once
 * probation is empty): if its estimate is strictly greater the victim is
 * evicted and the next victim faces the candidate, until the candidate
 * fits and enters probation; the first time it does not win, the candidate
 * is evicted and the victims already evicted stay evicted. A big candidate
 * thus needs to beat every object it displaces. Protected's overflow is
 * demoted until protected is back within its share. If the object count
 * reaches max_objects, window tails go to the main part as above and then
 * probation's (protected's) LRU objects are evicted until a node is free. */
#include "models/evict/evict.h"

#include <math.h>
#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

enum { TL_WINDOW, TL_PROBATION, TL_PROTECTED };

#define TL_ROWS 4
#define TL_SAMPLE_FACTOR 10 /* reset after this many samples per cached object */

struct sketch {
    uint64_t *table;    /* [TL_ROWS * row_words], 16 counters per word */
    size_t row_words;   /* width / 16 */
    uint64_t width;     /* counters per row, a power of two >= 64 */
    uint64_t salt;      /* from the seed */
    size_t samples;     /* since the last reset, halved by it */
    size_t sample_max;  /* reset when samples reaches this */
};

struct tinylfu {
    struct evict_map map;
    struct evict_pool pool;   /* [0, capacity) */
    uint64_t *keys;           /* [capacity] */
    struct evict_link *links; /* [capacity + 3]; sentinels: capacity + TL_WINDOW, ... */
    uint8_t *where;           /* [capacity] which list */
    uint32_t *sizes;          /* [capacity] byte mode; NULL in object mode */
    uint64_t len[3];          /* objects (byte mode: bytes) in each list */
    uint64_t window_max;      /* >= 1 */
    uint64_t main_max;        /* limit - window_max */
    uint64_t protected_max;   /* floor(protected * main_max) */
    size_t capacity;          /* nodes: most objects held at once */
    uint64_t limit;           /* capacity in objects, or bytes */
    struct sketch sk;
};

static const struct param_spec params[] = {
    {"window", "fraction", "0.01", "share of the capacity for the LRU window, in (0, 1]"},
    {"protected", "fraction", "0.8", "share of the main part for the protected segment, in [0, 1]"},
    {NULL, NULL, NULL, NULL},
};

/* --- count-min sketch -------------------------------------------------------- */

static void sketch_init(struct sketch *s, size_t capacity, uint64_t seed)
{
    s->width = 64;
    while (s->width < 4 * capacity)
        s->width *= 2;
    s->row_words = (size_t)(s->width / 16);
    s->table = xcalloc(TL_ROWS * s->row_words, sizeof *s->table);
    s->salt = evict_mix64(seed ^ 0x74696e796c6675ULL);
    s->samples = 0;
    s->sample_max = TL_SAMPLE_FACTOR * capacity;
}

/* Word and bit offset of key's counter in row r, h = the key's hash. */
static uint64_t *counter(const struct sketch *s, uint64_t h, unsigned r, unsigned *shift)
{
    uint64_t idx = ((h & 0xffffffffu) + r * ((h >> 32) | 1)) & (s->width - 1);
    *shift = (unsigned)(idx & 15) * 4;
    return &s->table[r * s->row_words + (size_t)(idx >> 4)];
}

static void sketch_add(struct sketch *s, uint64_t key)
{
    uint64_t h = evict_mix64(key ^ s->salt);
    for (unsigned r = 0; r < TL_ROWS; r++) {
        unsigned sh;
        uint64_t *w = counter(s, h, r, &sh);
        if (((*w >> sh) & 15) < 15)
            *w += (uint64_t)1 << sh;
    }
    if (++s->samples < s->sample_max)
        return;
    for (size_t i = 0; i < TL_ROWS * s->row_words; i++)
        s->table[i] = (s->table[i] >> 1) & 0x7777777777777777ULL;
    s->samples /= 2;
}

static unsigned sketch_estimate(const struct sketch *s, uint64_t key)
{
    uint64_t h = evict_mix64(key ^ s->salt);
    unsigned best = 15;
    for (unsigned r = 0; r < TL_ROWS; r++) {
        unsigned sh;
        const uint64_t *w = counter(s, h, r, &sh);
        unsigned v = (unsigned)((*w >> sh) & 15);
        best = v < best ? v : best;
    }
    return best;
}

/* --- lists ------------------------------------------------------------------- */

static uint64_t sz(const struct tinylfu *c, uint32_t i)
{
    return c->sizes ? c->sizes[i] : 1;
}

static uint32_t head(const struct tinylfu *c, int list)
{
    return (uint32_t)c->capacity + (uint32_t)list;
}

static void push(struct tinylfu *c, int list, uint32_t i)
{
    c->where[i] = (uint8_t)list;
    c->len[list] += sz(c, i);
    evict_list_push(c->links, head(c, list), i);
}

static void unlink_node(struct tinylfu *c, uint32_t i)
{
    c->len[c->where[i]] -= sz(c, i);
    evict_list_unlink(c->links, i);
}

static uint32_t tail(const struct tinylfu *c, int list)
{
    return evict_list_tail(c->links, head(c, list));
}

/* Forgets node i (already unlinked). */
static void drop(struct tinylfu *c, uint32_t i)
{
    evict_map_del(&c->map, c->keys[i]);
    evict_pool_free(&c->pool, c->links, i);
}

static struct tinylfu *tl_new(uint64_t limit, size_t capacity, bool sized, uint64_t seed,
                              const double *values)
{
    double window = evict_param(params, values, 0), prot = evict_param(params, values, 1);
    if (limit == 0 || capacity == 0 || capacity > EVICT_MAX_CAPACITY ||
        !(window > 0 && window <= 1) || !(prot >= 0 && prot <= 1))
        return NULL;
    struct tinylfu *c = xmalloc(sizeof *c);
    uint64_t w = (uint64_t)llround(window * (double)limit);
    c->window_max = w < 1 ? 1 : w > limit ? limit : w;
    c->main_max = limit - c->window_max;
    c->protected_max = (uint64_t)floor(prot * (double)c->main_max + 1e-9);
    c->capacity = capacity;
    c->limit = limit;
    c->sizes = sized ? xmalloc(capacity * sizeof *c->sizes) : NULL;
    evict_map_init(&c->map, capacity);
    evict_pool_init(&c->pool, capacity);
    c->keys = xmalloc(capacity * sizeof *c->keys);
    c->links = xmalloc((capacity + 3) * sizeof *c->links);
    c->where = xmalloc(capacity);
    for (int l = 0; l < 3; l++) {
        evict_list_init(c->links, head(c, l));
        c->len[l] = 0;
    }
    sketch_init(&c->sk, capacity, seed);
    return c;
}

static void *tl_create(size_t capacity, uint64_t seed, const double *values)
{
    return tl_new(capacity, capacity, false, seed, values);
}

static void *tl_create_bytes(uint64_t capacity, size_t max_objects, uint64_t seed,
                             const double *values)
{
    return tl_new(capacity, max_objects, true, seed, values);
}

static void tl_hit(struct tinylfu *c, uint32_t i)
{
    switch (c->where[i]) {
    case TL_WINDOW:
    case TL_PROTECTED:
        evict_list_move(c->links, head(c, c->where[i]), i);
        break;
    default: /* probation: promote, demoting protected's overflow */
        unlink_node(c, i);
        push(c, TL_PROTECTED, i);
        while (c->len[TL_PROTECTED] > c->protected_max) {
            uint32_t t = tail(c, TL_PROTECTED);
            unlink_node(c, t);
            push(c, TL_PROBATION, t);
        }
    }
}

/* Moves the window's LRU object into the main part, or evicts it or the
 * main part's victim, whichever the sketch says is less frequent. */
static void evict_window(struct tinylfu *c)
{
    uint32_t cand = tail(c, TL_WINDOW);
    unlink_node(c, cand);
    if (c->len[TL_PROBATION] + c->len[TL_PROTECTED] < c->main_max) {
        push(c, TL_PROBATION, cand);
        return;
    }
    int from = c->len[TL_PROBATION] ? TL_PROBATION : TL_PROTECTED;
    uint32_t victim = tail(c, from);
    if (c->main_max > 0 &&
        sketch_estimate(&c->sk, c->keys[cand]) > sketch_estimate(&c->sk, c->keys[victim])) {
        unlink_node(c, victim);
        drop(c, victim);
        push(c, TL_PROBATION, cand);
    } else {
        drop(c, cand);
    }
}

static uint64_t tl_bytes(const void *state)
{
    const struct tinylfu *c = state;
    return c->len[TL_WINDOW] + c->len[TL_PROBATION] + c->len[TL_PROTECTED];
}

/* Byte mode: the window's LRU object goes to the main part, where it must
 * beat each victim it displaces in turn (Caffeine's evictFromMain). */
static void evict_window_sized(struct tinylfu *c)
{
    uint32_t cand = tail(c, TL_WINDOW);
    unlink_node(c, cand);
    uint64_t s = c->sizes[cand];
    if (s > c->main_max) {
        drop(c, cand);
        return;
    }
    unsigned f = sketch_estimate(&c->sk, c->keys[cand]);
    while (c->len[TL_PROBATION] + c->len[TL_PROTECTED] + s > c->main_max) {
        int from = c->len[TL_PROBATION] ? TL_PROBATION : TL_PROTECTED;
        uint32_t victim = tail(c, from);
        if (f <= sketch_estimate(&c->sk, c->keys[victim])) {
            drop(c, cand);
            return;
        }
        unlink_node(c, victim);
        drop(c, victim);
    }
    push(c, TL_PROBATION, cand);
}

static bool tl_access_sized(void *state, uint64_t key, uint32_t size)
{
    struct tinylfu *c = state;
    sketch_add(&c->sk, key);
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        tl_hit(c, i);
        return true;
    }
    if (size > c->limit)
        return false;
    while (c->len[TL_WINDOW] > 0 && c->len[TL_WINDOW] + size > c->window_max)
        evict_window_sized(c);
    /* An object larger than the window's share, or the count bound (rare). */
    while (c->map.count == c->capacity || tl_bytes(c) + size > c->limit) {
        if (c->len[TL_WINDOW] > 0) {
            evict_window_sized(c);
        } else {
            uint32_t v = tail(c, c->len[TL_PROBATION] ? TL_PROBATION : TL_PROTECTED);
            unlink_node(c, v);
            drop(c, v);
        }
    }
    i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    c->sizes[i] = size;
    push(c, TL_WINDOW, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool tl_access(void *state, uint64_t key)
{
    struct tinylfu *c = state;
    sketch_add(&c->sk, key);
    uint32_t i = evict_map_get(&c->map, key);
    if (i != EVICT_MAP_NONE) {
        tl_hit(c, i);
        return true;
    }
    if (c->len[TL_WINDOW] >= c->window_max)
        evict_window(c);
    i = evict_pool_alloc(&c->pool, c->links);
    c->keys[i] = key;
    push(c, TL_WINDOW, i);
    evict_map_put(&c->map, key, i);
    return false;
}

static bool tl_contains(const void *state, uint64_t key)
{
    const struct tinylfu *c = state;
    return evict_map_get(&c->map, key) != EVICT_MAP_NONE;
}

static bool tl_remove(void *state, uint64_t key)
{
    struct tinylfu *c = state;
    uint32_t i = evict_map_get(&c->map, key);
    if (i == EVICT_MAP_NONE)
        return false;
    unlink_node(c, i);
    drop(c, i);
    return true;
}

static size_t tl_size(const void *state)
{
    const struct tinylfu *c = state;
    return c->map.count;
}


static void tl_destroy(void *state)
{
    struct tinylfu *c = state;
    if (!c)
        return;
    evict_map_fini(&c->map);
    free(c->keys);
    free(c->links);
    free(c->where);
    free(c->sizes);
    free(c->sk.table);
    free(c);
}

const struct evict_policy evict_tinylfu = {
    .head.name = "tinylfu",
    .head.summary = "W-TinyLFU: LRU window, count-min admission, SLRU main "
               "(Einziger, Friedman and Manes 2017); O(1) amortised",
    .head.params = params,
    .create = tl_create,
    .access = tl_access,
    .contains = tl_contains,
    .remove = tl_remove,
    .size = tl_size,
    .create_bytes = tl_create_bytes,
    .access_sized = tl_access_sized,
    .bytes = tl_bytes,
    .destroy = tl_destroy,
};
