/* hist: a log-linear latency histogram (HdrHistogram-like).
 *
 * Layout (HIST_SUB_BITS = 8, so HIST_HALF = 128): a value v has magnitude
 * e = floor(log2(v)) and shift s = max(e - 7, 0). Its bucket is
 *     index = s * 128 + (v >> s),
 * where v >> s lies in [128, 256) when s > 0 and in [0, 256) when s == 0.
 * So values 0..255 have a bucket each (index == value), and the range
 * [2^e, 2^(e+1)) for e >= 8 is split into 128 buckets of width 2^(e-7),
 * indices 256 + (e - 8) * 128 .. + 127. The last bucket (e = 62) ends at
 * INT64_MAX, so every non-negative int64 has a bucket and the table has
 * 256 + 55 * 128 = 7296 entries. One formula for both halves keeps hist_add
 * branch-light: one count-leading-zeros, one shift, one add (the layout of
 * Gil Tene's HdrHistogram with one sub-bucket range per power of two).
 *
 * Invariant: count == sum of counts[]; when count > 0, min and max are the
 * exact smallest and largest values added and sum, sumsq the exact sums (up
 * to long double rounding). */
#include "sim/hist.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

static long double sumsq(const struct hist *h);

size_t hist_bucket_index(int64_t v_ns)
{
    return hist_index_of(v_ns < 0 ? 0 : (uint64_t)v_ns);
}

size_t hist_nbuckets(void)
{
    return HIST_NBUCKETS;
}

void hist_bucket_bounds(size_t i, int64_t *lo, int64_t *hi)
{
    assert(i < HIST_NBUCKETS && "bucket index out of range");
    if (i < 2 * HIST_HALF) {
        *lo = *hi = (int64_t)i;
        return;
    }
    /* Inverse of hist_bucket_index: i = shift * 128 + m with m in [128, 256). */
    unsigned shift = (unsigned)(i / HIST_HALF) - 1;
    uint64_t m = (uint64_t)i - (uint64_t)shift * HIST_HALF;
    uint64_t lo_u = m << shift;
    *lo = (int64_t)lo_u;
    *hi = (int64_t)(lo_u + ((1ULL << shift) - 1));
}

struct hist *hist_new(void)
{
    struct hist *h = xmalloc(sizeof *h);
    h->moment2 = true;
    hist_reset(h);
    return h;
}

struct hist *hist_new_no_moment2(void)
{
    struct hist *h = xmalloc(sizeof *h);
    h->moment2 = false;
    hist_reset(h);
    return h;
}

bool hist_has_moment2(const struct hist *h)
{
    return h->moment2;
}

void hist_free(struct hist *h)
{
    free(h);
}

/* Keeps whether the sum of squares is kept. */
void hist_reset(struct hist *h)
{
    memset(h->counts, 0, sizeof h->counts);
    h->t = (struct tally){0, 0, 0};
    h->sumsq_ns2 = 0;
    h->npend = 0;
    h->min_ns = INT64_MAX;
    h->max_ns = 0;
}

void hist_add_n(struct hist *h, int64_t v_ns, uint64_t n)
{
    if (n == 0)
        return;
    if (v_ns < 0)
        v_ns = 0;
    h->counts[hist_bucket_index(v_ns)] += n;
    h->t.count += n;
    long double v = (long double)v_ns;
    uint64_t u = (uint64_t)v_ns;
    if (h->t.sum_ns == 0 && (u == 0 || n <= UINT64_MAX / u)) {
        tally_sum_add(&h->t, u * n); /* the product is exact, as in a long double */
    } else {
        tally_sum_add_big(&h->t, 0); /* the sum as a long double, then the rounded product */
        h->t.sum_ns += v * (long double)n;
    }
    if (h->moment2) {
        hist_fold(h); /* the squares in order: the pending ones first */
        h->sumsq_ns2 += v * v * (long double)n;
    }
    if (v_ns < h->min_ns)
        h->min_ns = v_ns;
    if (v_ns > h->max_ns)
        h->max_ns = v_ns;
}

/* O(number of buckets). */
void hist_merge(struct hist *dst, const struct hist *src)
{
    assert((!dst->moment2 || src->moment2) && "merging a histogram without a sum of squares "
                                                "into one with");
    if (src->t.count == 0)
        return;
    for (size_t i = 0; i < HIST_NBUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->t.count += src->t.count;
    if (src->t.sum_ns != 0) { /* past 2^64 */
        tally_sum_add_big(&dst->t, 0);
        dst->t.sum_ns += src->t.sum_ns;
    } else {
        tally_sum_add(&dst->t, src->t.sum_exact);
    }
    if (dst->moment2) {
        hist_fold(dst);
        dst->sumsq_ns2 += sumsq(src);
    }
    if (src->min_ns < dst->min_ns)
        dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns)
        dst->max_ns = src->max_ns;
}

void hist_copy(struct hist *dst, const struct hist *src)
{
    if (dst != src)
        memcpy(dst, src, sizeof *dst);
}

uint64_t hist_count(const struct hist *h)
{
    return h->t.count;
}

/* sumsq_ns2 with the pending squares added, as hist_fold would make it. */
static long double sumsq(const struct hist *h)
{
    long double s = h->sumsq_ns2;
    for (uint32_t i = 0; i < h->npend; i++) {
        long double v = (long double)h->pend[i];
        s += v * v;
    }
    return s;
}

void hist_fold(struct hist *h)
{
    h->sumsq_ns2 = sumsq(h);
    h->npend = 0;
}

void tally_sum_add_big(struct tally *t, uint64_t v)
{
    if (t->sum_ns == 0) { /* exact so far: the same value as a long double */
        t->sum_ns = (long double)t->sum_exact;
        t->sum_exact = UINT64_MAX; /* every later add but 0 comes here */
    }
    t->sum_ns += (long double)v;
}

double tally_mean(const struct tally *t)
{
    long double sum = t->sum_ns != 0 ? t->sum_ns : (long double)t->sum_exact;
    return t->count ? (double)(sum / (long double)t->count) : 0.0;
}

double hist_mean(const struct hist *h)
{
    return tally_mean(&h->t);
}

double hist_moment2(const struct hist *h)
{
    if (!h->moment2)
        return (double)NAN;
    return h->t.count ? (double)(sumsq(h) / (long double)h->t.count) : 0.0;
}

int64_t hist_min(const struct hist *h)
{
    return h->t.count ? h->min_ns : 0;
}

int64_t hist_max(const struct hist *h)
{
    return h->t.count ? h->max_ns : 0;
}

/* The 1-based rank ceil(q * count), in [1, count]. A product that lands a few
 * ulps above an integer (0.99 * 1e6) counts as that integer, so the rank does
 * not jump to the next value through rounding alone. */
static uint64_t hist_rank(uint64_t count, double q)
{
    double r = q * (double)count;
    r = ceil(r - 4 * DBL_EPSILON * r);
    if (r < 1)
        return 1;
    if (r >= (double)count)
        return count;
    return (uint64_t)r;
}

/* O(number of buckets). */
int64_t hist_quantile(const struct hist *h, double q)
{
    if (h->t.count == 0)
        return 0;
    if (!(q > 0)) /* also NaN */
        return h->min_ns;
    if (q >= 1)
        return h->max_ns;
    uint64_t rank = hist_rank(h->t.count, q);
    uint64_t seen = 0;
    size_t i = 0;
    for (; i < HIST_NBUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank)
            break;
    }
    assert(i < HIST_NBUCKETS && "counts disagree with count");
    int64_t lo, hi;
    hist_bucket_bounds(i, &lo, &hi);
    int64_t mid = lo + (hi - lo) / 2;
    if (mid < h->min_ns)
        return h->min_ns;
    if (mid > h->max_ns)
        return h->max_ns;
    return mid;
}

/* O(number of buckets). Values are taken as spread evenly over the integers
 * of their bucket, narrowed to [min, max] when the bucket holds either. */
double hist_fraction_above(const struct hist *h, int64_t x_ns)
{
    if (h->t.count == 0 || x_ns >= h->max_ns)
        return 0.0;
    if (x_ns < h->min_ns)
        return 1.0;
    size_t b = hist_bucket_index(x_ns);
    uint64_t above = 0;
    for (size_t i = b + 1; i < HIST_NBUCKETS; i++)
        above += h->counts[i];
    int64_t lo, hi;
    hist_bucket_bounds(b, &lo, &hi);
    if (lo < h->min_ns)
        lo = h->min_ns;
    if (hi > h->max_ns)
        hi = h->max_ns;
    /* min <= x < max, so lo <= x <= hi here. */
    double part = (double)h->counts[b] * ((double)(hi - x_ns) / ((double)(hi - lo) + 1.0));
    return ((double)above + part) / (double)h->t.count;
}

uint64_t hist_bucket_count(const struct hist *h, size_t i)
{
    assert(i < HIST_NBUCKETS && "bucket index out of range");
    return h->counts[i];
}

bool hist_next_bucket(const struct hist *h, size_t *it, size_t *index, uint64_t *count)
{
    for (size_t i = *it; i < HIST_NBUCKETS; i++) {
        if (h->counts[i]) {
            *index = i;
            *count = h->counts[i];
            *it = i + 1;
            return true;
        }
    }
    *it = HIST_NBUCKETS;
    return false;
}
