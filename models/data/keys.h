/* keys: the key of each request a client sends, drawn from a key
 * distribution written as a spec:
 *
 *   uniform(n=1000)                       every key in [0, n) equally likely
 *   zipf(n=100000, s=0.99)                P(rank k) proportional to 1/(k+1)^s
 *   hotset(n=100000, hot=1%, share=90%)   `share` of requests uniformly on the
 *                                         first hot*n keys, the rest uniformly
 *                                         on the others
 *
 * Keys are ranks: key 0 is the most popular, key 1 the next, and so on, so
 * the hot keys sit together at the bottom of the key space. Anything that
 * cares where keys fall (range partitioning, consistent hashing on a small
 * ring, a cache sharded by key ranges) then sees all the hot keys in one
 * place. Every kind takes scramble=true (default false), which maps each
 * rank through a fixed bijective 64-bit mixer (sim/rng.h's rng_mix64, the
 * splitmix64 finaliser): keys become pseudo-random 64-bit values outside
 * [0, n), popularity is unchanged, and distinct ranks never collide.
 *
 * A struct keys is plain data set up once; keys_next draws from the rng it
 * is given (the client's own stream) and costs O(1): zipf uses rejection-
 * inversion (Hormann and Derflinger 1996) with no table, so n may be as
 * large as 2^53. */
#ifndef SDSIM_MODELS_KEYS_H
#define SDSIM_MODELS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"

struct rng;

#define KEYS_MAX_N (1ULL << 53) /* ranks stay exact in a double */

enum keys_kind { KEYS_UNIFORM, KEYS_ZIPF, KEYS_HOTSET };

struct keys {
    enum keys_kind kind;
    uint64_t n;    /* number of keys (ranks 0..n-1), 1..KEYS_MAX_N */
    bool scramble; /* map ranks through the mixer */
    /* zipf: exponent and the constants of rejection-inversion */
    double s;       /* >= 0 */
    double h_x1;    /* H(1.5) - 1: upper end of the uniform draw */
    double h_n;     /* H(n + 0.5): lower end */
    double squeeze; /* accept at once when k - x <= squeeze */
    /* hotset */
    uint64_t hot_n; /* keys [0, hot_n) are hot, 1 <= hot_n <= n */
    double share;   /* fraction of requests on the hot keys */
};

/* Parses text (at loc, for messages) into k. Returns 0, or -1 with every
 * problem reported in d at the argument it concerns. Nothing to free on -1. */
int keys_setup(struct keys *k, const char *text, struct loc loc, struct diag *d);

/* The next key (a rank in [0, n), or its scrambled 64-bit image). */
uint64_t keys_next(const struct keys *k, struct rng *r);

/* Releases what keys_setup took (nothing today; call it anyway). */
void keys_fini(struct keys *k);

/* The rank-to-key mapping scramble=true uses: a bijection on 64 bits. */
uint64_t keys_scramble(uint64_t rank);

/* Documentation of the key distributions for `sdsim list`: fills
 * out[0..max) in the order above and returns how many. */
extern const struct policy_family keys_family; /* for lookups and `sdsim list` */

#endif
