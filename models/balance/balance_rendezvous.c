/* balance_rendezvous: highest random weight hashing (Thaler and Ravishankar,
 * "Using name-based mappings to increase hit rates", IEEE/ACM ToN 6(1), 1998).
 * Every replica i scores the request's key with a hash of (key, i); the
 * highest score wins. A replica that joins takes exactly the keys it now
 * scores highest on, about 1/(n+1) of them, and no other key moves; one that
 * leaves gives each of its keys to that key's runner-up. No ring, no tuning.
 *
 * With weights (b->weight, read at each pick), the score is -w_i / ln(u),
 * u in (0, 1) from the hash: the logarithmic method of weighted rendezvous
 * (Schindelhauer and Schomaker, "Weighted distributed hash tables", SPAA
 * 2005; Resch, "New hashing algorithms for data storage", 2015), under which
 * replica i wins a share w_i / sum(w) of the keys. Weight 0 never wins.
 *
 * Cost: O(n) per pick: the definition scores every replica. O(n) memory for
 * the per-replica seeds. Blind to load; equal keys go to one replica.
 *
 * With `fanout=F` (F >= 2) the replicas are instead leaves of a fixed tree of
 * fan-out F over the replica slots (the skeleton of Wang and Ravishankar,
 * "Skeleton-based rendezvous hashing", 2009): at each level the key picks
 * the child with the highest weighted score, the weight of a subtree being
 * the total weight of its replicas in use, so shares stay proportional.
 * Cost: O(F log_F n) per pick. The price is disruption: a joining replica
 * raises its ancestors' weights, so besides the keys it takes, a few keys
 * move between old replicas (measured in the tests). The tree is over the
 * slots, not n, so it never reshapes; weights are read at the first pick and
 * at each resize. */
#include "models/balance/balance.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/sim.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define HRW_KEY_SALT 0x3c6ef372fe94f82bULL
#define HRW_REPLICA_SALT 0xa54ff53a5f1d36f1ULL

struct hrw {
    uint64_t *seed;   /* seed[i]: replica i's hash seed, independent of n */
    uint32_t fanout;  /* 0: flat, exact; >= 2: skeleton tree */
    uint32_t height;  /* levels above the leaves: fanout^height >= cap */
    double *prefix;   /* skeleton: prefix[i] = weight of eligible replicas < i */
    uint32_t prefix_n; /* the n prefix was built for; UINT32_MAX: not built */
};

static uint32_t pick_unweighted(const struct hrw *s, uint32_t n, uint64_t kh)
{
    uint32_t best = 0;
    uint64_t best_score = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t score = rng_mix64(kh ^ s->seed[i]);
        if (i == 0 || score > best_score)
            best = i, best_score = score;
    }
    return best;
}

static uint32_t pick_weighted(const struct hrw *s, const double *w, uint32_t n, uint64_t kh)
{
    uint32_t best = 0;
    double best_score = -1.0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(w[i] > 0.0))
            continue;
        uint64_t h = rng_mix64(kh ^ s->seed[i]);
        double u = ((double)(h >> 11) + 0.5) * 0x1p-53; /* (0, 1) */
        double score = -w[i] / log(u);
        if (score > best_score)
            best = i, best_score = score;
    }
    return best;
}

static void build_prefix(struct balance *b, struct hrw *s)
{
    s->prefix[0] = 0;
    for (uint32_t i = 0; i < b->cap; i++) {
        double w = i < b->n ? (b->weight ? b->weight[i] : 1.0) : 0.0;
        s->prefix[i + 1] = s->prefix[i] + (w > 0.0 ? w : 0.0);
    }
    s->prefix_n = b->n;
}

/* Descends the skeleton: at each level the child with the highest weighted
 * score among those with weight (an internal node's seed depends only on its
 * level and index, never on n). */
static uint32_t pick_skeleton(struct balance *b, struct hrw *s, uint64_t kh)
{
    if (s->prefix_n != b->n)
        build_prefix(b, s);
    uint64_t span = 1;
    for (uint32_t l = 0; l < s->height; l++)
        span *= s->fanout;
    uint64_t node = 0; /* index at the current level */
    for (uint32_t level = s->height; level > 0; level--) {
        span /= s->fanout; /* leaves under each child */
        uint64_t best = UINT64_MAX;
        double best_score = -1.0;
        for (uint64_t c = node * s->fanout; c < (node + 1) * s->fanout; c++) {
            uint64_t lo = c * span, hi = lo + span;
            if (lo >= b->cap)
                break;
            double w = s->prefix[hi < b->cap ? hi : b->cap] - s->prefix[lo];
            if (!(w > 0.0))
                continue;
            uint64_t h = rng_mix64(kh ^ rng_mix64(((uint64_t)level << 40) ^ c ^ HRW_REPLICA_SALT));
            double u = ((double)(h >> 11) + 0.5) * 0x1p-53;
            double score = -w / log(u);
            if (score > best_score)
                best = c, best_score = score;
        }
        assert(best != UINT64_MAX && "no eligible replica");
        node = best;
    }
    return (uint32_t)node;
}

static uint32_t pick(struct balance *b, const struct request *r)
{
    struct hrw *s = b->state;
    uint64_t kh = rng_mix64(r->key ^ HRW_KEY_SALT);
    if (s->fanout)
        return pick_skeleton(b, s, kh);
    if (b->weight)
        return pick_weighted(s, b->weight, b->n, kh);
    return pick_unweighted(s, b->n, kh);
}

static void resize(struct balance *b, uint32_t n)
{
    (void)n;
    ((struct hrw *)b->state)->prefix_n = UINT32_MAX; /* rebuilt at the next pick */
}

static const struct param_spec params[] = {
    {"fanout", "int", "0",
     "0: exact, O(n) per pick; F >= 2: skeleton tree of fan-out F, O(F log n)"},
    {NULL, NULL, NULL, NULL},
};

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct hrw *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->seed = xcalloc(b->n, sizeof *s->seed);
    for (uint32_t i = 0; i < b->n; i++)
        s->seed[i] = rng_mix64((uint64_t)i ^ HRW_REPLICA_SALT);
    struct loc loc;
    const char *v = spec_value(sp, params, "fanout", &loc);
    long long f;
    const char *why;
    if (units_parse_int(v, &f, &why) < 0 || f == 1 || f > 1024)
        return diag_error(d, loc, "bad fanout '%s': 0 (exact) or from 2 to 1024", v);
    s->fanout = (uint32_t)f;
    s->prefix_n = UINT32_MAX;
    if (s->fanout) {
        uint64_t span = 1;
        while (span < b->n) {
            span *= s->fanout;
            s->height++;
        }
        s->prefix = xcalloc((size_t)b->n + 1, sizeof *s->prefix);
    }
    return 0;
}

static void fini(struct balance *b)
{
    struct hrw *s = b->state;
    if (!s)
        return;
    free(s->seed);
    free(s->prefix);
    free(s);
}

const struct balance_policy balance_rendezvous = {
    .head.name = "rendezvous",
    .head.summary = "highest random weight hashing of request keys; a join moves ~1/(n+1) of keys "
               "(Thaler 1998); exact O(n), or skeleton O(log n) with fanout=",
    .head.params = params,
    .init = init,
    .pick = pick,
    .resize = resize,
    .fini = fini,
};
