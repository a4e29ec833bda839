/* rng: xoshiro256** generator, splitmix64 seeding and named streams.
 *
 * The state is four 64-bit words that are never all zero (the one state
 * xoshiro cannot leave). rng_seed fills them with four consecutive splitmix64
 * outputs; splitmix64 maps distinct counters to distinct outputs, so at most
 * one word can be zero. Every variate uses a fixed number of draws except
 * rng_below's rare rejections, so a stream's position depends only on what
 * was asked of it. Generator and constants: Blackman and Vigna, "Scrambled
 * linear pseudorandom number generators", ACM TOMS 47(4), 2021, and their
 * reference code xoshiro256starstar.c and splitmix64.c (prng.di.unimi.it). */
#include "sim/rng.h"

#include <math.h>

#define RNG_FNV_PRIME 0x100000001b3ULL
/* Separates component from purpose in the stream hash. The byte 0xff never
 * occurs in UTF-8 text, so ("ab", "c") and ("a", "bc") hash differently. */
#define RNG_NAME_SEP 0xffu
#define RNG_TWO_PI 6.283185307179586476925286766559

uint64_t rng_hash_str(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * RNG_FNV_PRIME;
    return h;
}

/* seed = mix(run_seed ^ mix(FNV-1a(component "\xff" purpose))). The inner
 * mix spreads the name hash over all bits before it meets the run seed; the
 * outer mix (and splitmix64 in rng_seed) decorrelates nearby run seeds. */
void rng_stream(struct rng *r, uint64_t run_seed, const char *component, const char *purpose)
{
    uint64_t h = rng_hash_str(RNG_FNV_BASIS, component);

    h = (h ^ RNG_NAME_SEP) * RNG_FNV_PRIME;
    h = rng_hash_str(h, purpose);
    rng_seed(r, rng_mix64(run_seed ^ rng_mix64(h)));
}

/* The top 53 bits scaled by 2^-53: every double k/2^53 equally likely. */
/* The full 128-bit product a * b as (hi, lo): one multiply where the
 * compiler has 128-bit integers, else in portable C. */
static inline void mul128(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 p = (u128)a * b;
    *lo = (uint64_t)p;
    *hi = (uint64_t)(p >> 64);
#else
    const uint64_t mask = 0xffffffffULL;
    uint64_t a0 = a & mask, a1 = a >> 32, b0 = b & mask, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & mask) + (p10 & mask);

    *lo = (mid << 32) | (p00 & mask);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* Lemire, "Fast random integer generation in an interval", ACM TOMS 29(1),
 * 2019: the high word of x * n is uniform on [0, n) once products whose low
 * word falls below 2^64 mod n are rejected. Expected draws < 2. */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t hi, lo;

    mul128(rng_next(r), n, &hi, &lo);
    if (lo < n) {
        const uint64_t threshold = (0 - n) % n; /* 2^64 mod n */
        while (lo < threshold)
            mul128(rng_next(r), n, &hi, &lo);
    }
    return hi;
}

/* Inversion; 0.0 - log keeps the result +0.0 rather than -0.0 at u == 1. */
/* Box-Muller (1958) with exactly two draws; the second variate of the pair
 * is dropped so that struct rng stays four plain words. */
double rng_normal(struct rng *r)
{
    double u1 = rng_uniform_pos(r);
    double u2 = rng_uniform(r);

    return sqrt(-2.0 * log(u1)) * cos(RNG_TWO_PI * u2);
}
