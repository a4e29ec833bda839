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
 * Cost: O(n) per pick: the definition scores every replica. (A skeleton of
 * virtual sub-clusters would make it O(log n); not done here.) O(n) memory
 * for the per-replica seeds. Blind to load; equal keys go to one replica.
 * Only replicas [0, b->n) are scored, so a resize needs no hook. */
#include "models/balance.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/sim.h"
#include "sim/xalloc.h"

#define HRW_KEY_SALT 0x3c6ef372fe94f82bULL
#define HRW_REPLICA_SALT 0xa54ff53a5f1d36f1ULL

struct hrw {
    uint64_t *seed; /* seed[i]: replica i's hash seed, independent of n */
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

static uint32_t pick(struct balance *b, const struct request *r)
{
    const struct hrw *s = b->state;
    uint64_t kh = rng_mix64(r->key ^ HRW_KEY_SALT);
    if (b->weight)
        return pick_weighted(s, b->weight, b->n, kh);
    return pick_unweighted(s, b->n, kh);
}

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    (void)sp, (void)d;
    assert(b->n >= 1 && "a balancer needs replicas");
    struct hrw *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->seed = xcalloc(b->n, sizeof *s->seed);
    for (uint32_t i = 0; i < b->n; i++)
        s->seed[i] = rng_mix64((uint64_t)i ^ HRW_REPLICA_SALT);
    return 0;
}

static void fini(struct balance *b)
{
    struct hrw *s = b->state;
    if (!s)
        return;
    free(s->seed);
    free(s);
}

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

const struct balance_policy balance_rendezvous = {
    .name = "rendezvous",
    .summary = "highest random weight hashing of request keys, O(n) per pick by definition; "
               "a join moves ~1/(n+1) of keys (Thaler 1998)",
    .params = params,
    .init = init,
    .pick = pick,
    .fini = fini,
};
