/* hist: a log-linear latency histogram (HdrHistogram-like).
 *
 * Values are non-negative int64 nanoseconds. Values below 2^HIST_SUB_BITS
 * have a bucket each; above that every power-of-two range is split into
 * 2^(HIST_SUB_BITS-1) equal buckets, so a bucket is never wider than 1/128
 * of its lower bound and a quantile read as the bucket midpoint is within
 * 0.4% of the true value (the issue asks <= 1% over 1 us .. 1 h; this holds
 * over the whole int64 range). Fixed size, no allocation after hist_new:
 * memory does not grow with the number of values. Histograms of the same
 * layout merge by adding counts, so percentiles over several runs come from
 * the merged counts, never from averaging percentiles. Count, sum, sum of
 * squares, min and max are exact (sums in long double). */
#ifndef SDSIM_SIM_HIST_H
#define SDSIM_SIM_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 8
#define HIST_HALF (1 << (HIST_SUB_BITS - 1))                      /* 128 buckets per octave */
#define HIST_NBUCKETS ((size_t)(64 - HIST_SUB_BITS + 1) * HIST_HALF) /* 7296 */

#define HIST_PEND 16 /* values whose squares wait to be summed (struct hist) */

/* A count and the exact sum of values: what a mean needs, without the
 * buckets of a histogram (struct hist keeps one too). The sum is exact in
 * sum_exact while it stays below 2^64, where a long double holds every
 * integer, so it is the long double sum the values would make, without an
 * x87 load and store per value; from the add that reaches 2^64 on, in
 * sum_ns (0 until then), as long double adds, and sum_exact stays
 * UINT64_MAX, so any add but 0 (which changes nothing) takes the slow path
 * with one test. Zero-initialised is empty. */
struct tally {
    uint64_t count;
    uint64_t sum_exact;
    long double sum_ns;
};

/* The histogram's record. Its fields belong to hist.c; it is here only so
 * that hist_add, called a few times per request, is inline. */
struct hist {
    struct tally t;        /* count and sum */
    int64_t min_ns;        /* INT64_MAX when empty */
    int64_t max_ns;        /* 0 when empty */
    uint32_t npend;
    /* Whether the sum of squares is kept (hist_new) or not
     * (hist_new_no_moment2): only the histograms whose second moment some
     * output reads pay for it. */
    bool moment2;
    /* The sum of squared values: sumsq_ns2 holds those of all values but
     * the last npend, which wait in pend and are added in order, HIST_PEND
     * at a time (hist_fold), with the sum in an x87 register: the same
     * long double additions in the same order, so the same bits, without
     * a load and store of the 80-bit sum per value. */
    long double sumsq_ns2;
    int64_t pend[HIST_PEND];
    uint64_t counts[HIST_NBUCKETS];
};

struct hist *hist_new(void);
/* A histogram that keeps no sum of squares (hist_moment2 gives NAN), for
 * the ones whose second moment nothing reads: a few instructions less per
 * value. Merging one into a histogram that keeps it is an error. */
struct hist *hist_new_no_moment2(void);
bool hist_has_moment2(const struct hist *h);
void hist_free(struct hist *h); /* NULL-safe */
void hist_reset(struct hist *h);
static inline void hist_add(struct hist *h, int64_t v_ns); /* v_ns < 0 is clamped to 0 */
void hist_add_n(struct hist *h, int64_t v_ns, uint64_t n);
void hist_merge(struct hist *dst, const struct hist *src);
void hist_copy(struct hist *dst, const struct hist *src);

uint64_t hist_count(const struct hist *h);
double hist_mean(const struct hist *h);   /* ns; 0 when empty */
double hist_moment2(const struct hist *h); /* E[X^2] in ns^2; 0 when empty; NAN when not kept */
int64_t hist_min(const struct hist *h);   /* 0 when empty */
int64_t hist_max(const struct hist *h);   /* 0 when empty */

/* The q-quantile (0 <= q <= 1) in ns: the midpoint of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty. */
int64_t hist_quantile(const struct hist *h, double q);

/* Fraction of values strictly greater than x_ns, interpolating linearly
 * inside the bucket that holds x_ns. 0 when empty. */
double hist_fraction_above(const struct hist *h, int64_t x_ns);

/* Buckets: index range [0, hist_nbuckets()); bucket i holds values in
 * [lo, hi] (inclusive, integers). */
size_t hist_nbuckets(void);
void hist_bucket_bounds(size_t i, int64_t *lo, int64_t *hi);
uint64_t hist_bucket_count(const struct hist *h, size_t i);
size_t hist_bucket_index(int64_t v_ns);

/* Non-zero buckets in increasing order: start with *it = 0; returns false at
 * the end. */
bool hist_next_bucket(const struct hist *h, size_t *it, size_t *index, uint64_t *count);

/* floor(log2(v)) for v > 0. */
static inline unsigned hist_log2(uint64_t v)
{
#ifdef __GNUC__
    return 63u - (unsigned)__builtin_clzll(v);
#else
    /* Portable: a fixed six-step binary search, no loop. */
    unsigned e = 0;
    if (v >> 32) { e += 32; v >>= 32; }
    if (v >> 16) { e += 16; v >>= 16; }
    if (v >> 8) { e += 8; v >>= 8; }
    if (v >> 4) { e += 4; v >>= 4; }
    if (v >> 2) { e += 2; v >>= 2; }
    if (v >> 1) { e += 1; }
    return e;
#endif
}

/* The bucket of v >= 0 (hist.c describes the layout). v | 128 has
 * magnitude max(floor(log2(v)), 7), so its log2 minus 7 is the shift with
 * no compare: one or, one bit scan, one shift and an add. */
static inline size_t hist_index_of(uint64_t v)
{
    unsigned shift = hist_log2(v | HIST_HALF) - (HIST_SUB_BITS - 1);
    return (size_t)shift * HIST_HALF + (size_t)(v >> shift);
}

/* Adds the squares of the pending values to sumsq_ns2, in order (hist.c). */
void hist_fold(struct hist *h);

/* Adds v to the sum once it has reached 2^64, or as it does (hist.c). */
void tally_sum_add_big(struct tally *t, uint64_t v);

static inline void tally_sum_add(struct tally *t, uint64_t v)
{
    uint64_t s = t->sum_exact + v;
    if (s >= v) /* no wrap: the exact sum is below 2^64 (or v is 0) */
        t->sum_exact = s;
    else
        tally_sum_add_big(t, v);
}

/* Counts v_ns (< 0 is counted as 0) and adds it to the sum. Inline: a
 * component's local time is one per request. */
static inline void tally_add(struct tally *t, int64_t v_ns)
{
    t->count++;
    tally_sum_add(t, v_ns < 0 ? 0 : (uint64_t)v_ns);
}

/* The mean of the values added, as hist_mean computes it (the same bits
 * for the same values); 0 when empty. */
double tally_mean(const struct tally *t);

static inline void hist_add(struct hist *h, int64_t v_ns)
{
    if (v_ns < 0)
        v_ns = 0;
    h->counts[hist_index_of((uint64_t)v_ns)]++;
    h->t.count++;
    tally_sum_add(&h->t, (uint64_t)v_ns);
    if (v_ns < h->min_ns)
        h->min_ns = v_ns;
    if (v_ns > h->max_ns)
        h->max_ns = v_ns;
    if (h->moment2) {
        h->pend[h->npend++] = v_ns;
        if (h->npend == HIST_PEND)
            hist_fold(h);
    }
}

#endif
