/* results: sparse histogram conversion and freeing of run results. */
#include "output/results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/trace.h"
#include "sim/xalloc.h"

void sparse_from_hist(struct sparse_hist *s, const struct hist *h)
{
    memset(s, 0, sizeof *s);
    size_t it = 0, idx;
    uint64_t cnt;
    size_t n = 0;
    while (hist_next_bucket(h, &it, &idx, &cnt))
        n++;
    s->index = xmalloc((n ? n : 1) * sizeof *s->index);
    s->count = xmalloc((n ? n : 1) * sizeof *s->count);
    it = 0;
    while (hist_next_bucket(h, &it, &idx, &cnt)) {
        s->index[s->n] = (uint32_t)idx;
        s->count[s->n] = cnt;
        s->n++;
    }
    s->total = hist_count(h);
    s->sum = (long double)hist_mean(h) * (long double)s->total;
    s->sumsq = (long double)hist_moment2(h) * (long double)s->total;
    s->min = hist_min(h);
    s->max = hist_max(h);
}

void sparse_from_tally(struct sparse_hist *s, const struct tally *t)
{
    memset(s, 0, sizeof *s);
    s->index = xmalloc(sizeof *s->index);
    s->count = xmalloc(sizeof *s->count);
    s->total = t->count;
    s->sum = (long double)tally_mean(t) * (long double)s->total;
    s->sumsq = (long double)NAN;
    s->min = s->max = 0;
}

void sparse_into_hist(const struct sparse_hist *s, struct hist *h)
{
    for (size_t i = 0; i < s->n; i++) {
        int64_t lo, hi;
        hist_bucket_bounds(s->index[i], &lo, &hi);
        hist_add_n(h, lo, s->count[i]);
    }
}

void sparse_free(struct sparse_hist *s)
{
    free(s->index);
    free(s->count);
    memset(s, 0, sizeof *s);
}

void run_result_free(struct run_result *r)
{
    if (!r)
        return;
    sparse_free(&r->latency);
    sparse_free(&r->latency_all);
    for (size_t i = 0; i < r->ncomps; i++) {
        free(r->comps[i].name);
        sparse_free(&r->comps[i].wait);
        sparse_free(&r->comps[i].local);
        sparse_free(&r->comps[i].resp);
    }
    free(r->comps);
    for (size_t i = 0; r->ts_names && i < r->ts_ncols; i++)
        free(r->ts_names[i]);
    free(r->ts_names);
    free(r->ts_rows);
    for (size_t i = 0; i < r->nspans; i++)
        free(r->spans[i].name);
    free(r->spans);
    for (size_t i = 0; i < r->nextra; i++)
        free(r->extra[i].name);
    free(r->extra);
    free(r->stop.busiest);
    for (size_t i = 0; i < r->nattr; i++) {
        for (size_t k = 0; k < r->attr[i].nrows; k++) {
            free(r->attr[i].rows[k].component);
            free(r->attr[i].rows[k].phase);
        }
        free(r->attr[i].rows);
        free(r->attr[i].client);
    }
    free(r->attr);
    trace_result_free(r->trace);
    memset(r, 0, sizeof *r);
}
