/* balance_consistent_hash: a hash ring (Karger et al., "Consistent hashing
 * and random trees", STOC 1997). Each replica owns `vnodes` points on a 64-bit
 * circle; a request goes to the owner of the first point at or after the hash
 * of its key, wrapping around. When replica n joins n others, only the keys
 * now falling just before its points move, about 1/(n+1) of them, and all
 * move to it; with a plain hash mod n almost all keys would move. More virtual
 * nodes even out the arcs: the largest share is roughly (1 + O(sqrt(log n /
 * vnodes))) / n. vnodes defaults to 100; the catalogue example uses 3, which
 * leaves the shares very uneven (for 10 replicas here: 0.25 to 1.64 times
 * the mean, against 0.84 to 1.13 with 100).
 *
 * Data: the points sorted by (hash, replica). A point's hash depends only on
 * (replica, vnode), never on n, so the rings for n and n + 1 replicas share
 * every point of the first n replicas: the pick for a given n is exactly the
 * owner function of the ring of n replicas. Hashes come from the splitmix64
 * finaliser (rng_mix64), a bijection, so distinct (replica, vnode) pairs never
 * collide; request keys go through it too, so sequential keys spread.
 * Lookup: the first point at or after the key's hash, by binary search. An
 * index by the top `bits` bits of the hash (2^bits >= points, as in a radix
 * table) narrows the search to one bucket first, about one point on average.
 * Cost: O(log(n * vnodes)) per pick at worst, O(1) expected; O(n vnodes
 * log(n vnodes)) to build; 16 bytes per point plus 4-8 per point of index.
 * Resizing to n < cap replicas (an autoscaler) copies the points of [0, n)
 * out of the full ring, in order, and re-indexes: O(cap vnodes), and a second
 * copy of the ring while n < cap. Because the result is the ring of n
 * replicas, a replica that leaves gives away exactly its own keys.
 * Blind to load and to weights; every request with the same key goes to the
 * same replica (all to one if keys are unset).
 *
 * `ring_seed` places the points: `fixed` (the default) uses the hash of
 * (replica, vnode) alone, the same ring in every run and replication; `run`
 * XORs a salt drawn from the balancer's stream of the run's seed into every
 * point hash, so each replication gets its own ring and results average over
 * ring placements; a whole number gives one other fixed ring. The salt is
 * XORed before the last mix, which stays a bijection of (replica, vnode), so
 * points still never collide. */
#include "models/balance/balance.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/sim.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define CH_MAX_POINTS (1u << 24)            /* 256 MiB of ring */
#define CH_KEY_SALT 0x6a09e667f3bcc908ULL   /* separates key hashes from point hashes */
#define CH_POINT_SALT 0xbb67ae8584caa73bULL

struct ch_point {
    uint64_t hash;
    uint32_t replica;
};

struct ch {
    struct ch_point *all; /* every replica's points, sorted by (hash, replica) */
    size_t nall;
    struct ch_point *pt; /* the points of replicas [0, n), in the same order; all when n = cap */
    size_t npt;
    uint32_t *start;     /* start[p]: first point whose top `bits` bits are >= p */
    unsigned bits;       /* 2^bits >= npt buckets, so about one point per bucket */
};

static int cmp_point(const void *a, const void *b)
{
    const struct ch_point *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->replica > y->replica) - (x->replica < y->replica);
}

static uint64_t point_hash(uint32_t replica, uint32_t vnode, uint64_t ring_salt)
{
    return rng_mix64(rng_mix64(((uint64_t)replica << 32) | vnode) ^ CH_POINT_SALT ^ ring_salt);
}

static uint32_t pick(struct balance *b, const struct request *r)
{
    const struct ch *s = b->state;
    uint64_t h = rng_mix64(r->key ^ CH_KEY_SALT);
    uint64_t p = h >> (64 - s->bits);
    size_t lo = s->start[p], hi = s->start[p + 1]; /* first hash >= h is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->pt[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return s->pt[lo == s->npt ? 0 : lo].replica;
}

/* Fills start[] for the sorted ring: one pass over the points. */
static void build_index(struct ch *s)
{
    free(s->start);
    s->bits = 1;
    while (s->bits < 32 && ((size_t)1 << s->bits) < s->npt)
        s->bits++;
    size_t nb = (size_t)1 << s->bits;
    s->start = xcalloc(nb + 1, sizeof *s->start);
    size_t k = 0;
    for (size_t p = 0; p <= nb; p++) {
        while (k < s->npt && (s->pt[k].hash >> (64 - s->bits)) < p)
            k++;
        s->start[p] = (uint32_t)k;
    }
}

static const struct param_spec params[] = {
    {"vnodes", "int", "100", "points per replica on the ring; more: more even shares"},
    {"ring_seed", "fixed|run|int", "fixed",
     "fixed: one ring for every run; run: drawn from the run's seed (each replication its own); "
     "a number: another fixed ring"},
    {NULL, NULL, NULL, NULL},
};

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct loc loc;
    const char *why;
    long long vn;
    const char *v = spec_value(sp, params, "vnodes", &loc);
    if (units_parse_int(v, &vn, &why) < 0)
        return diag_error(d, loc, "bad integer '%s' for 'vnodes': %s", v, why);
    if (vn < 1 || vn > CH_MAX_POINTS)
        return diag_error(d, loc, "'vnodes' = %lld is out of range [1, %u]", vn, CH_MAX_POINTS);
    if ((unsigned long long)vn * b->n > CH_MAX_POINTS)
        return diag_error(d, loc, "%lld vnodes x %u replicas is over %u ring points", vn, b->n,
                          CH_MAX_POINTS);
    uint64_t salt;
    if (balance_read_ring_seed(sp, params, &b->rng, &salt, d) < 0)
        return -1;
    struct ch *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->nall = s->npt = (size_t)vn * b->n;
    s->all = s->pt = xcalloc(s->nall, sizeof *s->all);
    size_t k = 0;
    for (uint32_t i = 0; i < b->n; i++)
        for (uint32_t j = 0; j < (uint32_t)vn; j++)
            s->all[k++] = (struct ch_point){point_hash(i, j, salt), i};
    qsort(s->all, s->nall, sizeof *s->all, cmp_point);
    build_index(s);
    return 0;
}

/* The ring of replicas [0, n) is the full ring without the others' points:
 * filtered in order, no sort. O(cap vnodes). */
static void resize(struct balance *b, uint32_t n)
{
    struct ch *s = b->state;
    if (n == b->cap) {
        if (s->pt != s->all)
            free(s->pt);
        s->pt = s->all;
        s->npt = s->nall;
    } else {
        if (s->pt == s->all)
            s->pt = xcalloc(s->nall, sizeof *s->pt);
        s->npt = 0;
        for (size_t k = 0; k < s->nall; k++)
            if (s->all[k].replica < n)
                s->pt[s->npt++] = s->all[k];
    }
    build_index(s);
}

static void fini(struct balance *b)
{
    struct ch *s = b->state;
    if (!s)
        return;
    if (s->pt != s->all)
        free(s->pt);
    free(s->all);
    free(s->start);
    free(s);
}

const struct balance_policy balance_consistent_hash = {
    .head.name = "consistent_hash",
    .head.summary = "hash ring of request keys with vnodes points per replica, O(log(n vnodes)); "
               "a join moves ~1/(n+1) of keys (Karger 1997)",
    .head.params = params,
    .init = init,
    .pick = pick,
    .resize = resize,
    .fini = fini,
};
