/* shard_route: key to shard, per scheme (see shard_route.h). Hash schemes
 * mix the key first (rng_mix64, a bijection) so sequential keys spread;
 * range uses the key itself, so neighbouring keys share a shard. Cost per
 * lookup: range O(log cap) with boundaries, else O(1); hash_mod O(1);
 * consistent_hash O(1) expected; rendezvous O(n); jump O(log n). */
#include "models/data/shard_route.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

#define SHARD_KEY_SALT 0x3c6ef372fe94f82bULL /* hash_mod and jump: separate from other hashes */

static const struct param_spec range_params[] = {
    {"boundaries", "list", "even",
     "upper bounds of the first shards, colon-separated (1000:5000); even: split key_space"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec ch_params[] = {
    {"vnodes", "int", "100", "points per shard on the ring (sketches often use 3: too few to spread load)"},
    {"ring_seed", "fixed|run|int", "fixed",
     "fixed: one ring for every run; run: drawn from the run's seed (each replication its own); "
     "a number: another fixed ring"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};

/* A sharding scheme: its head (name, summary, parameters) and its enum. */
struct shard_scheme_policy {
    struct policy_head head;
    enum shard_scheme scheme;
};

static const struct shard_scheme_policy schemes[] = {
    {{"range", "key ranges: neighbouring keys together; even split or boundaries", range_params},
     SHARD_RANGE},
    {{"hash_mod", "hash(key) mod n: even, but a new shard moves ~n/(n+1) of keys", no_params},
     SHARD_HASH_MOD},
    {{"consistent_hash",
      "hash ring with vnodes points per shard (Karger 1997): a new shard takes ~1/(n+1)",
      ch_params},
     SHARD_CONSISTENT_HASH},
    {{"rendezvous",
      "highest random weight (Thaler and Ravishankar 1998): minimal moves, O(n) per key",
      no_params},
     SHARD_RENDEZVOUS},
    {{"jump", "jump consistent hash (Lamping and Veach 2014): minimal moves, no memory, O(log n)",
      no_params},
     SHARD_JUMP},
};

static const struct policy_head *const schemes_table[] = {
    &schemes[0].head, &schemes[1].head, &schemes[2].head, &schemes[3].head, &schemes[4].head,
    NULL,
};

_Static_assert(sizeof schemes_table / sizeof schemes_table[0] ==
                   sizeof schemes / sizeof schemes[0] + 1,
               "every scheme in the family's table");

const struct policy_family shard_route_family = {
    "sharding", "sharding", "which shard owns a key, for [shards] (key: sharding)", schemes_table};

/* Lamping and Veach 2014, figure 1: the bucket changes only when a jump
 * lands below n, so growing n to n + 1 moves a key with probability 1/(n+1)
 * and only to bucket n. */
uint32_t shard_jump(uint64_t key, uint32_t n)
{
    int64_t b = -1, j = 0;
    while (j < (int64_t)n) {
        b = j;
        key = key * 2862933555777941757ULL + 1;
        j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
    }
    return (uint32_t)b;
}

static int read_bounds(struct shard_router *r, const char *v, struct loc loc, struct diag *d)
{
    if (strcmp(v, "even") == 0)
        return 0;
    r->bounds = xcalloc(r->cap, sizeof *r->bounds);
    size_t k = 0;
    for (const char *p = v; *p; k++) {
        char *end;
        unsigned long long b = strtoull(p, &end, 10);
        if (end == p || (*end && *end != ':') || k + 1 >= r->cap ||
            (k > 0 && b <= r->bounds[k - 1]))
            return diag_error(d, loc, "boundaries: %u increasing whole numbers, colon-separated "
                                      "(one fewer than the shards)", r->cap - 1);
        r->bounds[k] = b;
        p = *end ? end + 1 : end;
    }
    if (k != r->cap - 1)
        return diag_error(d, loc, "boundaries: %u values for %u shards, got %zu", r->cap - 1,
                          r->cap, k);
    return 0;
}

static int setup_scheme(struct shard_router *r, const struct spec *sp, const char *text,
                        struct loc loc, const struct rng *stream, struct diag *d)
{
    if (r->scheme == SHARD_RANGE) {
        struct loc vloc;
        const char *v = spec_value(sp, range_params, "boundaries", &vloc);
        return read_bounds(r, v, vloc, d);
    }
    if (r->scheme != SHARD_CONSISTENT_HASH && r->scheme != SHARD_RENDEZVOUS)
        return 0;
    struct rng fixed;
    rng_seed(&fixed, 1);
    if (balance_setup(&r->bal, text, loc, r->cap, stream ? stream : &fixed, d) < 0)
        return -1;
    balance_resize(&r->bal, r->n);
    return 0;
}

int shard_router_setup(struct shard_router *r, const char *text, struct loc loc, uint32_t n,
                       uint32_t cap, uint64_t key_space, const struct rng *stream,
                       struct diag *d)
{
    memset(r, 0, sizeof *r);
    assert(n >= 1 && n <= cap);
    r->n = n;
    r->cap = cap;
    r->key_space = key_space ? key_space : 1;
    struct spec sp;
    const struct policy_head *h = policy_setup(&shard_route_family, text, loc, &sp, d);
    if (!h)
        return -1;
    r->scheme = ((const struct shard_scheme_policy *)h)->scheme;
    return setup_scheme(r, &sp, text, loc, stream, d);
}

void shard_router_fini(struct shard_router *r)
{
    if (r->bal.pol)
        balance_fini(&r->bal);
    free(r->bounds);
    r->bounds = NULL;
}

static uint32_t range_owner(const struct shard_router *r, uint64_t key)
{
    if (!r->bounds) {
        uint64_t per = (r->key_space + r->n - 1) / r->n; /* ceil(key_space / n) keys a shard */
        uint64_t i = (key % r->key_space) / per;
        return i < r->n ? (uint32_t)i : r->n - 1;
    }
    uint32_t lo = 0, hi = r->n - 1; /* first shard whose bound is above key; last: the rest */
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (key < r->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint32_t shard_router_owner(struct shard_router *r, uint64_t key)
{
    if (r->n == 1)
        return 0;
    switch (r->scheme) {
    case SHARD_RANGE:
        return range_owner(r, key);
    case SHARD_HASH_MOD:
        return (uint32_t)(rng_mix64(key ^ SHARD_KEY_SALT) % r->n);
    case SHARD_JUMP:
        return shard_jump(rng_mix64(key ^ SHARD_KEY_SALT), r->n);
    case SHARD_CONSISTENT_HASH:
    case SHARD_RENDEZVOUS:
        break;
    }
    struct request q = {.key = key};
    return balance_pick(&r->bal, &q);
}

void shard_router_resize(struct shard_router *r, uint32_t n)
{
    assert(n >= 1 && n <= r->cap && "resize beyond the shards set up");
    r->n = n;
    if (r->bal.pol)
        balance_resize(&r->bal, n);
}
