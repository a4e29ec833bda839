/* csvout: the CSV files of a results folder. Each header and each row is
 * printed from its file's table in output/columns.c, in the table's order,
 * so a header and its rows cannot disagree. Rows follow run order, then
 * component file order; numbers are "%.9g" in the C locale. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "output/theory_apply.h"
#include "output/writers.h"
#include "sim/xalloc.h"

#define NA ((double)NAN)

static void sep_name(struct outfile *o, bool first, const char *name)
{
    if (!first)
        outfile_printf(o, ",");
    wr_csv_str(o, name);
}

/* ---- runs.csv ------------------------------------------------------------ */

void csvout_runs(struct outfile *o, const struct report *rp)
{
    const char **xn;
    size_t nx = wr_extra_names(rp, &xn);
    for (const struct run_column *c = columns_runs; c->doc.name; c++) {
        bool first = c == columns_runs;
        if (c->type == COL_SWEEPS)
            wr_sweep_header(o, rp->sc);
        else if (c->type == COL_EXTRAS)
            for (size_t k = 0; k < nx; k++)
                sep_name(o, false, xn[k]);
        else
            sep_name(o, first, c->doc.name);
    }
    outfile_printf(o, "\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (const struct run_column *c = columns_runs; c->doc.name; c++) {
            const char *sep = c == columns_runs ? "" : ",";
            switch (c->type) {
            case COL_COUNT:
                outfile_printf(o, "%s%llu", sep, (unsigned long long)c->count(r));
                break;
            case COL_NUM:
                wr_num(o, c->num(r));
                break;
            case COL_TEXT:
                outfile_printf(o, "%s", sep);
                wr_csv_str(o, c->text(r));
                break;
            case COL_SWEEPS:
                wr_sweep_values(o, rp->sc, r->point);
                break;
            case COL_EXTRAS:
                for (size_t k = 0; k < nx; k++)
                    wr_num(o, wr_extra_value(r, xn[k]));
                break;
            }
        }
        outfile_printf(o, "\n");
    }
    free(xn);
}

/* ---- components.csv ------------------------------------------------------ */

void csvout_components(struct outfile *o, const struct report *rp)
{
    for (const struct comp_column *c = columns_components; c->doc.name; c++) {
        if (c->type == COL_SWEEPS)
            wr_sweep_header(o, rp->sc);
        else
            sep_name(o, c == columns_components, c->doc.name);
    }
    outfile_printf(o, "\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t k = 0; k < r->ncomps; k++) {
            const struct comp_result *cr = &r->comps[k];
            for (const struct comp_column *c = columns_components; c->doc.name; c++) {
                const char *sep = c == columns_components ? "" : ",";
                if (c->type == COL_COUNT)
                    outfile_printf(o, "%s%llu", sep, (unsigned long long)c->count(r, cr));
                else if (c->type == COL_NUM)
                    wr_num(o, c->num(r, cr));
                else if (c->type == COL_TEXT) {
                    outfile_printf(o, "%s", sep);
                    wr_csv_str(o, c->text(r, cr));
                } else if (c->type == COL_SWEEPS)
                    wr_sweep_values(o, rp->sc, r->point);
            }
            outfile_printf(o, "\n");
        }
    }
}

/* ---- histograms.csv ------------------------------------------------------ */

static void hist_rows(struct outfile *o, size_t run, const char *name, const struct sparse_hist *s)
{
    for (size_t i = 0; i < s->n; i++) {
        int64_t lo, hi;
        hist_bucket_bounds(s->index[i], &lo, &hi);
        outfile_printf(o, "%zu,", run);
        wr_csv_str(o, name);
        outfile_printf(o, ",%lld,%lld,%llu\n", (long long)lo, (long long)hi,
                       (unsigned long long)s->count[i]);
    }
}

/* The row shape is fixed (run, histogram, bucket bounds, count): the
 * header comes from columns_histograms, which tests hold to this order. */
void csvout_histograms(struct outfile *o, const struct report *rp)
{
    for (const struct coldoc *d = columns_histograms; d->name; d++)
        sep_name(o, d == columns_histograms, d->name);
    outfile_printf(o, "\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        hist_rows(o, r->run, "latency", &r->latency);
        for (size_t c = 0; c < r->ncomps; c++) {
            const struct comp_result *cr = &r->comps[c];
            if (!cr->has_hists)
                continue;
            char name[256];
            snprintf(name, sizeof name, "%s.wait", cr->name);
            hist_rows(o, r->run, name, &cr->wait);
            snprintf(name, sizeof name, "%s.response", cr->name);
            hist_rows(o, r->run, name, &cr->resp);
        }
    }
}

/* ---- summary.csv --------------------------------------------------------- */

/* point, the sweep values, metric: the first columns of every row. */
static void summary_key(struct outfile *o, const struct report *rp, size_t b, const char *metric)
{
    outfile_printf(o, "%zu", rp->runs[b].point);
    wr_sweep_values(o, rp->sc, rp->runs[b].point);
    outfile_printf(o, ",");
    wr_csv_str(o, metric);
}

static void summary_extra(struct outfile *o, const struct report *rp, size_t b, size_t e,
                          const char *name, const struct theory_model *tm)
{
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double v = wr_extra_value(&rp->runs[i], name);
        if (!isnan(v))
            x[n++] = v;
    }
    struct ci ci;
    wr_ci_of_values(x, n, name, &ci);
    free(x);
    summary_key(o, rp, b, name);
    wr_num(o, n ? ci.mean : NA);
    wr_num(o, n ? ci.lo : NA);
    wr_num(o, n ? ci.hi : NA);
    outfile_printf(o, ",%zu", ci.n);
    const char *method; /* a cache's hit ratio (output/theory_apply.h) */
    wr_num(o, theory_apply_value(tm, name, &method));
    outfile_printf(o, ",%s\n", method ? method : "");
}

/* One row per metric of columns_summary_metrics, then per extra metric,
 * then slo_met (with an SLO) and stopped_runs (when some run stopped).
 * Each row ends with the theory beside it and its method
 * (output/theory_apply.h), both empty where no method holds. */
void csvout_summary(struct outfile *o, const struct report *rp)
{
    const char **xn;
    size_t nx = wr_extra_names(rp, &xn);
    for (const struct coldoc *d = columns_summary; d->name; d++) {
        if (strcmp(d->name, "<sweep variable>") == 0)
            wr_sweep_header(o, rp->sc);
        else
            sep_name(o, d == columns_summary, d->name);
    }
    outfile_printf(o, "\n");
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct hist *pool = wr_pooled(rp, b, e);
        struct theory_model scratch;
        const struct theory_model *tm =
            theory_apply_memo(rp->theory, rp->sc, rp->runs[b].point, &scratch);
        for (const struct summary_metric *m = columns_summary_metrics; m->doc.name; m++) {
            struct ci ci;
            double value;
            wr_summarise(rp, b, e, m, pool, &ci, &value);
            summary_key(o, rp, b, m->doc.name);
            wr_num(o, value);
            wr_num(o, ci.lo);
            wr_num(o, ci.hi);
            outfile_printf(o, ",%zu", ci.n);
            const char *method;
            wr_num(o, theory_apply_value(tm, m->doc.name, &method));
            outfile_printf(o, ",%s\n", method ? method : "");
        }
        for (size_t k = 0; k < nx; k++)
            summary_extra(o, rp, b, e, xn[k], tm);
        if (rp->slo_metric) {
            summary_key(o, rp, b, "slo_met");
            outfile_printf(o, ",%d,,,%zu,,\n", wr_slo_met(rp, b, e, pool), e - b);
        }
        size_t ns = wr_stopped_runs(rp, b, e);
        if (ns > 0) { /* only then: results without a stop keep their rows */
            summary_key(o, rp, b, "stopped_runs");
            outfile_printf(o, ",%zu,,,%zu,,\n", ns, e - b);
        }
        hist_free(pool);
    }
    free(xn);
}

/* ---- timeseries.csv ------------------------------------------------------ */

/* The column of each name in run r (SIZE_MAX: the run has none). */
static void ts_map(const struct run_result *r, const char **names, size_t nn, size_t *col)
{
    for (size_t j = 0; j < nn; j++) {
        col[j] = SIZE_MAX;
        for (size_t k = 0; k < r->ts_ncols && col[j] == SIZE_MAX; k++)
            if (strcmp(r->ts_names[k], names[j]) == 0)
                col[j] = k;
    }
}

/* The header: the table's key columns, the sweeps, t_s, then the recorded
 * columns (named from the same table by columns_ts_name) of every run. */
void csvout_timeseries(struct outfile *o, const struct report *rp)
{
    const char **names;
    size_t nn = wr_ts_names(rp, &names);
    const struct ts_column *c = columns_timeseries;
    for (; c->doc.name && c->slot < 0 && c->type != COL_EXTRAS; c++) {
        if (c->type == COL_SWEEPS)
            wr_sweep_header(o, rp->sc);
        else
            sep_name(o, c == columns_timeseries, c->doc.name);
    }
    const struct ts_column *recorded = c; /* from here on: the run's ts_names */
    for (size_t j = 0; j < nn; j++)
        sep_name(o, false, names[j]);
    outfile_printf(o, "\n");
    size_t *col = xmalloc((nn ? nn : 1) * sizeof *col);
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        ts_map(r, names, nn, col);
        for (size_t k = 0; k < r->ts_nrows; k++) {
            const double *row = r->ts_rows + k * (1 + r->ts_ncols);
            for (c = columns_timeseries; c != recorded; c++) {
                if (c->type == COL_SWEEPS)
                    wr_sweep_values(o, rp->sc, r->point);
                else if (c->slot == COLUMNS_TS_TIME)
                    wr_num(o, row[0]);
                else
                    outfile_printf(o, "%s%llu", c == columns_timeseries ? "" : ",",
                                   (unsigned long long)c->count(r));
            }
            for (size_t j = 0; j < nn; j++)
                wr_num(o, col[j] == SIZE_MAX ? NA : row[1 + col[j]]);
            outfile_printf(o, "\n");
        }
    }
    free(col);
    free(names);
}
