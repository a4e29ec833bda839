/* rng: xoshiro256** streams seeded by splitmix64.
 *
 * Every (component, purpose) pair owns an independent stream derived from the
 * run's seed and the two names, so adding a component or reordering a file
 * never shifts another component's draws (common random numbers). A struct rng
 * is plain data: copy it to fork a stream, no allocation, no globals.
 * Reference: Blackman and Vigna, "Scrambled linear pseudorandom number
 * generators" (2021); splitmix64 from Steele, Lea and Flood (2014). */
#ifndef SDSIM_SIM_RNG_H
#define SDSIM_SIM_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

#define RNG_GOLDEN 0x9e3779b97f4a7c15ULL /* splitmix64's Weyl increment */

/* splitmix64 finaliser: a good 64-bit mixing function. Inline, as is
 * rng_seed: every request seeds a stream from its work seed at each
 * service (sim_work_rng). */
static inline uint64_t rng_mix64(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Fills the state from one 64-bit seed via splitmix64 (never all zero). */
static inline void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += RNG_GOLDEN;
        r->s[i] = rng_mix64(seed);
    }
}

/* The first rng_next of a stream rng_seed(seed) would start, without the
 * rest of the state: xoshiro256**'s first output reads only s[1], the
 * second splitmix64 value. For a stream used for one draw and dropped. */
static inline uint64_t rng_seed_first(uint64_t seed)
{
    uint64_t s1 = rng_mix64(seed + 2 * RNG_GOLDEN) * 5;
    return ((s1 << 7) | (s1 >> 57)) * 9;
}

/* 64-bit FNV-1a of a string, continued from h (start with RNG_FNV_BASIS). */
#define RNG_FNV_BASIS 0xcbf29ce484222325ULL
uint64_t rng_hash_str(uint64_t h, const char *s);

/* Seeds r as the stream for (component, purpose) of a run with run_seed. */
void rng_stream(struct rng *r, uint64_t run_seed, const char *component, const char *purpose);

/* The draws every request makes (its work seed, its arrival gap) are
 * inline: a call each would cost as much as the generator itself. */
static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}
static inline double rng_uniform(struct rng *r) /* [0, 1), 53 bits */
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}
static inline double rng_uniform_pos(struct rng *r) /* (0, 1]: safe for log() */
{
    return (double)((rng_next(r) >> 11) + 1) * 0x1.0p-53;
}
/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire 2019). */
uint64_t rng_below(struct rng *r, uint64_t n);
static inline double rng_exp(struct rng *r) /* Exp(1) */
{
    return 0.0 - log(rng_uniform_pos(r));
}
double rng_normal(struct rng *r); /* N(0, 1) */

#endif
