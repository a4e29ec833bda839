/* balance_hash_mod: the replica is hash(key) mod n, as nginx's `hash`
 * directive without `consistent`. Equal keys go to one replica, so each
 * replica's cache sees only its share of the keys, but a change of n (a
 * replica joins or leaves, an autoscaler resizes) moves about n/(n+1) of the
 * keys, where consistent_hash and rendezvous move about 1/(n+1): the
 * baseline those two are measured against. The key is mixed first
 * (rng_mix64, a bijection) so sequential keys spread. Blind to load and to
 * weights; all requests go to one replica if keys are unset. Cost: O(1). */
#include "models/balance/balance.h"

#include "sim/sim.h"

#define HASH_MOD_SALT 0x510e527fade682d1ULL /* separates these hashes from others */

static uint32_t pick(struct balance *b, const struct request *r)
{
    return (uint32_t)(rng_mix64(r->key ^ HASH_MOD_SALT) % b->n);
}

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

const struct balance_policy balance_hash_mod = {
    .head.name = "hash_mod",
    .head.summary = "hash(key) mod n (nginx `hash`): equal keys together, but a resize moves "
                    "~n/(n+1) of keys; O(1)",
    .head.params = params,
    .pick = pick,
};
