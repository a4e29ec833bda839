/* report: the results folder. report_write writes every file through
 * outfile (temporary name, then rename); the CSV files come from csvout.c,
 * the plot data and scripts from plots.c, the terminal table from table.c,
 * and their columns from the dictionary in columns.c. This file holds what
 * they share (writers.h): sweep points, pooled histograms and the summary
 * of a metric over a point's replications. Every number goes through
 * "%.*g" in the C locale, and rows follow run order, then component file
 * order, so the files are byte-identical for the same scenario and seed
 * whatever the number of threads. */
#include "output/report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/stats.h"
#include "output/attribution.h"
#include "output/trace.h"
#include "output/expect.h"
#include "output/find.h"
#include "output/partfile.h"
#include "output/writers.h"
#include "sim/xalloc.h"

#ifndef SDSIM_COMMIT
#define SDSIM_COMMIT "" /* the git commit sdsim was built from, when known */
#endif
#define NA ((double)NAN) /* an empty CSV field */
#define NS_PER_MS 1e6

/* ---- small helpers ------------------------------------------------------ */

void wr_csv_str(struct outfile *o, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        outfile_printf(o, "%s", s);
        return;
    }
    outfile_printf(o, "\"");
    for (; *s; s++)
        outfile_printf(o, *s == '"' ? "\"\"" : "%c", *s);
    outfile_printf(o, "\"");
}

void wr_num(struct outfile *o, double v)
{
    if (isnan(v))
        outfile_printf(o, ",");
    else
        outfile_printf(o, ",%.9g", v == 0 ? 0.0 : v); /* no "-0" */
}

void wr_sweep_header(struct outfile *o, const struct scenario *sc)
{
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, ",");
        wr_csv_str(o, sc->sweeps[i].name);
        if (scenario_sweep_is_duration(sc, i)) {
            outfile_printf(o, ",");
            wr_csv_str(o, sc->sweeps[i].name);
            outfile_printf(o, "_ms");
        }
    }
}

void wr_sweep_values(struct outfile *o, const struct scenario *sc, size_t point)
{
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, ",");
        wr_csv_str(o, scenario_sweep_value(sc, point, i));
        if (scenario_sweep_is_duration(sc, i))
            wr_num(o, scenario_sweep_ms(sc, point, i));
    }
}

char *wr_point_label(const struct scenario *sc, size_t point)
{
    size_t cap = 64, len = 0;
    char *s = xmalloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < sc->nsweeps; i++) {
        const char *v = scenario_sweep_value(sc, point, i);
        size_t need = len + strlen(sc->sweeps[i].name) + strlen(v) + 3;
        xgrow(&s, &cap, need, 1);
        len += (size_t)snprintf(s + len, cap - len, "%s%s=%s", i ? " " : "", sc->sweeps[i].name, v);
    }
    if (sc->nsweeps == 0)
        snprintf(s, cap, "all runs");
    return s;
}

static double ms(double ns)
{
    return ns / NS_PER_MS;
}

/* ---- extra metrics and time-series names ------------------------------- */

size_t wr_extra_names(const struct report *rp, const char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < rp->nruns; i++) {
        for (size_t k = 0; k < rp->runs[i].nextra; k++) {
            const char *name = rp->runs[i].extra[k].name;
            size_t j = 0;
            while (j < n && strcmp((*out)[j], name) != 0)
                j++;
            if (j < n)
                continue;
            xgrow(out, &cap, n + 1, sizeof **out);
            (*out)[n++] = name;
        }
    }
    return n;
}

double wr_extra_value(const struct run_result *r, const char *name)
{
    for (size_t k = 0; k < r->nextra; k++)
        if (strcmp(r->extra[k].name, name) == 0)
            return r->extra[k].value;
    return NA;
}

/* A sweep may add columns in some runs only (autoscale = ${a = none,
 * hpa(...)}, breaker = ...): the union over the runs. */
size_t wr_ts_names(const struct report *rp, const char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t k = 0; k < r->ts_ncols; k++) {
            size_t j = 0;
            while (j < n && strcmp((*out)[j], r->ts_names[k]) != 0)
                j++;
            if (j < n)
                continue;
            xgrow(out, &cap, n + 1, sizeof **out);
            (*out)[n++] = r->ts_names[k];
        }
    }
    return n;
}

const char *report_column_taken(const char *name)
{
    return columns_taken(name);
}

/* ---- a metric over the replications of one point ----------------------- */

size_t wr_point_end(const struct report *rp, size_t b)
{
    size_t e = b;
    while (e < rp->nruns && rp->runs[e].point == rp->runs[b].point)
        e++;
    return e;
}

/* A run's latency histogram: the successes', or with all that of every
 * finished request. */
static const struct sparse_hist *latency_of(const struct run_result *r, bool all)
{
    return all ? &r->latency_all : &r->latency;
}

static struct hist *pooled_of(const struct report *rp, size_t b, size_t e, bool all)
{
    struct hist *h = hist_new();
    for (size_t i = b; i < e; i++)
        sparse_into_hist(latency_of(&rp->runs[i], all), h);
    return h;
}

struct hist *wr_pooled(const struct report *rp, size_t b, size_t e)
{
    return pooled_of(rp, b, e, false);
}

static int64_t pooled_max(const struct report *rp, size_t b, size_t e, bool all)
{
    int64_t m = 0;
    for (size_t i = b; i < e; i++) {
        const struct sparse_hist *s = latency_of(&rp->runs[i], all);
        if (s->total && s->max > m)
            m = s->max;
    }
    return m;
}

/* Every sdsim metric is a count, rate, time or ratio, so none is negative
 * (but over_admission, from -1), and ratios, fractions and probabilities
 * are at most 1 (columns_range). */
void wr_ci_of_values(const double *x, size_t n, const char *name, struct ci *ci)
{
    double min, max;
    stats_ci95(x, n, ci);
    columns_range(name, &min, &max);
    stats_ci_clamp(ci, min, max);
}

/* Woodruff's interval for the q-quantile pooled over runs [b, e), in ms:
 * each replication's fraction of latencies at or below the pooled value
 * (stats_quantile_ci95), its t interval mapped back through the pooled
 * quantile function. So the interval holds the value, never leaves [min,
 * max observed], and is as asymmetric as the tail. An upper probability of
 * 1 or more maps to the largest latency observed (the pooled quantile
 * function's value at 1): the replications cannot place the percentile
 * below the maximum. */
static void quantile_ci(const struct report *rp, size_t b, size_t e, double q, bool all,
                        const struct hist *pool, struct ci *ci)
{
    ci->lo = ci->hi = NA;
    if (hist_count(pool) == 0)
        return;
    int64_t at = hist_quantile(pool, q);
    double *below = xcalloc(e - b + 1, sizeof *below);
    size_t n = 0;
    struct hist *h = hist_new();
    for (size_t i = b; i < e; i++) {
        const struct sparse_hist *s = latency_of(&rp->runs[i], all);
        if (!s->total)
            continue;
        hist_reset(h);
        sparse_into_hist(s, h);
        below[n++] = 1.0 - hist_fraction_above(h, at);
    }
    hist_free(h);
    double p_lo, p_hi;
    if (stats_quantile_ci95(below, n, q, &p_lo, &p_hi)) {
        ci->lo = ms((double)hist_quantile(pool, p_lo));
        ci->hi = ms((double)hist_quantile(pool, p_hi));
    }
    free(below);
}

/* Means and ratios: the mean of the per-replication values with a Student
 * t interval. Percentiles: the value of the histogram pooled over the
 * replications, never a mean of percentiles, with Woodruff's interval
 * about it (quantile_ci). The maximum is an observed extreme, not an
 * estimate of a parameter: it has no interval. One replication gives no
 * interval (lo, hi NAN). The latency_all metrics take the same path over
 * the histograms of every finished request, pooled here (pool is the
 * successes'). */
void wr_summarise(const struct report *rp, size_t b, size_t e, const struct summary_metric *m,
                  const struct hist *pool, struct ci *ci, double *value)
{
    struct hist *own = m->all && m->q >= 0 && m->q < 1.0 ? pooled_of(rp, b, e, true) : NULL;
    if (own)
        pool = own;
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double v = m->get(&rp->runs[i]);
        if (!isnan(v))
            x[n++] = v;
    }
    if (m->q >= 1.0) {
        stats_ci95(x, 0, ci);
        ci->n = n;
        *value = ms((double)pooled_max(rp, b, e, m->all));
    } else if (m->q >= 0) {
        *value = hist_count(pool) ? ms((double)hist_quantile(pool, m->q)) : NA;
        ci->mean = *value;
        ci->n = n;
        quantile_ci(rp, b, e, m->q, m->all, pool, ci);
    } else {
        wr_ci_of_values(x, n, m->doc.name, ci);
        *value = ci->mean;
    }
    free(x);
    hist_free(own);
    if (n == 0)
        *value = ci->lo = ci->hi = NA;
}

void wr_column_ci(const struct report *rp, size_t b, size_t e, const char *name, struct ci *ci,
                  double *value)
{
    const struct summary_metric *m = columns_summary_metric(name);
    if (m) {
        struct hist *pool = wr_pooled(rp, b, e);
        wr_summarise(rp, b, e, m, pool, ci, value);
        hist_free(pool);
        return;
    }
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double v = wr_extra_value(&rp->runs[i], name);
        if (!isnan(v))
            x[n++] = v;
    }
    wr_ci_of_values(x, n, name, ci);
    free(x);
    *value = n ? ci->mean : NA;
    if (n == 0)
        ci->lo = ci->hi = NA;
}

size_t wr_stopped_runs(const struct report *rp, size_t b, size_t e)
{
    size_t n = 0;
    for (size_t i = b; i < e; i++)
        n += rp->runs[i].stop.overloaded || rp->runs[i].stop.stalled;
    return n;
}

/* The pooled value of the SLO's metric (pooled percentiles, mean of
 * means) below its limit. A point where some run stopped early never
 * meets it: the load could not be carried, whatever the figures until the
 * stop say. */
int wr_slo_met(const struct report *rp, size_t b, size_t e, const struct hist *pool)
{
    if (wr_stopped_runs(rp, b, e) > 0)
        return 0;
    const struct summary_metric *m = columns_summary_metric(rp->slo_metric);
    if (!m)
        return 0;
    struct ci ci;
    double value;
    wr_summarise(rp, b, e, m, pool, &ci, &value);
    return !isnan(value) && value < rp->slo_limit;
}

/* ---- manifest.txt ----------------------------------------------------- */

static void write_manifest(struct outfile *o, const struct report *rp)
{
    const struct scenario *sc = rp->sc;
    outfile_printf(o, "# sdsim results manifest: how to reproduce every row\n");
    outfile_printf(o, "sdsim_version: %s\n", SDSIM_VERSION);
    if (SDSIM_COMMIT[0])
        outfile_printf(o, "sdsim_commit: %s\n", SDSIM_COMMIT);
    outfile_printf(o, "scenario: %s (a copy as run: scenario.ini)\n", sc->file);
    outfile_printf(o, "scenario_fnv1a64: %016llx\n", (unsigned long long)sc->hash);
    outfile_printf(o, "command: %s\n", rp->command);
    outfile_printf(o, "base_seed: %llu\n", (unsigned long long)rp->base_seed);
    outfile_printf(o, "repeat: %lld\n", rp->repeat);
    outfile_printf(o, "points: %zu\n", scenario_npoints(sc));
    outfile_printf(o, "runs_written: %zu\n", rp->nruns);
    if (rp->part)
        outfile_printf(o, "shard: %zu/%zu of %zu runs (part.sdsim holds them for sdsim merge)\n",
                       rp->part->shard, rp->part->nshards, rp->part->total);
    if (rp->find)
        find_manifest(o, rp->find);
    char *tl = trace_lines(rp); /* [sim] trace: "" otherwise */
    outfile_printf(o, "%s", tl);
    free(tl);
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, "sweep %s:", sc->sweeps[i].name);
        for (size_t j = 0; j < sc->sweeps[i].nvalues; j++)
            outfile_printf(o, "%s %s", j ? "," : "", sc->sweeps[i].values[j]);
        outfile_printf(o, "\n");
    }
    outfile_printf(o, "\n# run point rep seed parameters | command that recomputes that run\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        char *label = wr_point_label(sc, r->point);
        outfile_printf(o,
                       "run %zu point %zu rep %zu seed %llu %s | sdsim run %s/scenario.ini%s%s "
                       "--seed %llu --runs %zu -o %s-run%zu\n",
                       r->run, r->point, r->rep, (unsigned long long)r->seed, label, rp->outdir,
                       rp->sets && *rp->sets ? " " : "", rp->sets ? rp->sets : "",
                       (unsigned long long)rp->base_seed, r->run, rp->outdir, r->run);
        free(label);
    }
}

/* ---- all files -------------------------------------------------------- */

/* What the writers of one results folder share: a data file's block count
 * for its script, and the columns named by `plot`. */
struct wctx {
    size_t nblocks;
    struct plot_cols pc;
};

typedef void writer_fn(struct outfile *o, const struct report *rp, struct wctx *w);

static void w_runs(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_runs(o, rp);
}
/* scenario.ini: the scenario's text as it was read (the --set options are
 * in the manifest's commands), so the folder reproduces itself even when
 * the file changes or came from standard input. */
static void w_scenario(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    outfile_printf(o, "%s", rp->sc->text);
}
static void w_summary(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_summary(o, rp);
}
static void w_components(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_components(o, rp);
}
static void w_histograms(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_histograms(o, rp);
}
static void w_expect(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_expect(o, rp);
}
static void w_manifest(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_manifest(o, rp);
}
static void w_find_csv(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    find_csv(o, rp->find);
}
static void w_find_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    find_plot_data(o, rp->find);
}
static void w_find_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    find_plot_script(o, rp->find);
}
static void w_part(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    partfile_write(o, rp->part, rp->runs, rp->nruns);
}
static void w_cdf_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_cdf_data(o, rp, &w->nblocks);
}
static void w_cdf_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_cdf_script(o, rp, w->nblocks);
}
static void w_ts(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_timeseries(o, rp);
}
static void w_ts_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_ts_data(o, rp, &w->nblocks);
}
static void w_ts_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_ts_script(o, rp, w->nblocks);
}
static void w_sweep_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_sweep_data(o, rp, &w->nblocks);
}
static void w_sweep_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_sweep_script(o, rp, w->nblocks);
}
static void w_metrics_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_metrics_data(o, rp, &w->pc);
}
static void w_metrics_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    plots_metrics_script(o, rp, &w->pc);
}

static void w_custom_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    plots_custom_data(o, rp);
}
static void w_custom_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    plots_custom_script(o, rp);
}

static void w_attr(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    csvout_attribution(o, rp);
}
static void w_attr_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    attribution_plot_data(o, rp);
}
static void w_attr_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    attribution_plot_script(o, rp);
}

static void w_trace(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    trace_write_json(o, rp);
}

static bool has_timeseries(const struct report *rp)
{
    return rp->nruns > 0 && rp->runs[0].ts_nrows > 0;
}

/* Latency plots need at least one successful request (a run of probes such
 * as [wars] has none, and gnuplot cannot scale an empty axis). */
static bool any_latency(const struct report *rp)
{
    for (size_t i = 0; i < rp->nruns; i++)
        if (rp->runs[i].latency.total > 0)
            return true;
    return false;
}

const char *report_plot_from_show(const struct report *rp, char *buf, size_t size)
{
    if (rp->plot || rp->nplots || !rp->show)
        return NULL;
    const char *show = rp->show;
    if (strncmp(show, "only:", 5) == 0)
        show += 5;
    struct report probe = *rp;
    probe.plot = show;
    struct plot_cols pc;
    char unknown[64];
    size_t n = plots_split(&probe, &pc, unknown, sizeof unknown);
    buf[0] = '\0';
    for (size_t k = 0, len = 0; k < n && len < size; k++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s", k ? ", " : "", pc.names[k]);
    return buf[0] ? buf : NULL;
}

const char *report_plot_unknown(const struct report *rp, char *buf, size_t size)
{
    struct plot_cols pc;
    plots_split(rp, &pc, buf, size);
    return buf[0] ? buf : NULL;
}

int report_write(const struct report *rp, const struct outdir *od, int *err, const char **what)
{
    struct wctx w = {0};
    bool sweep = rp->sc->nsweeps > 0 && wr_point_end(rp, 0) < rp->nruns; /* >= 2 points */
    bool lat = any_latency(rp);
    char unknown[64]; /* reported by main through report_plot_unknown */
    if (sweep)
        plots_split(rp, &w.pc, unknown, sizeof unknown);
    const struct {
        const char *name;
        writer_fn *fn;
        bool wanted;
    } files[] = {
        {"runs.csv", w_runs, true},
        {"summary.csv", w_summary, true},
        {"components.csv", w_components, true},
        {"histograms.csv", w_histograms, true},
        {"expect.csv", w_expect, rp->expect != NULL},
        {"find.csv", w_find_csv, rp->find != NULL},
        {"find.dat", w_find_data, rp->find != NULL},
        {"find.gp", w_find_script, rp->find != NULL},
        {"manifest.txt", w_manifest, true},
        {"scenario.ini", w_scenario, true},
        {PARTFILE_NAME, w_part, rp->part != NULL},
        {"latency_cdf.dat", w_cdf_data, lat},
        {"latency_cdf.gp", w_cdf_script, lat},
        {"timeseries.csv", w_ts, has_timeseries(rp)},
        {"timeseries.dat", w_ts_data, has_timeseries(rp)},
        {"timeseries.gp", w_ts_script, has_timeseries(rp)},
        {"sweep_latency.dat", w_sweep_data, sweep && lat},
        {"sweep_latency.gp", w_sweep_script, sweep && lat},
        {"sweep_metrics.dat", w_metrics_data, w.pc.n > 0},
        {"sweep_metrics.gp", w_metrics_script, w.pc.n > 0},
        {"plots.dat", w_custom_data, sweep && rp->nplots > 0},
        {"plots.gp", w_custom_script, sweep && rp->nplots > 0},
        {"attribution.csv", w_attr, attribution_any(rp)},
        {"attribution.dat", w_attr_data, attribution_any(rp) && lat},
        {"attribution.gp", w_attr_script, attribution_any(rp) && lat},
        {"trace.json", w_trace, trace_any(rp)},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!files[i].wanted)
            continue;
        struct outfile o;
        *what = files[i].name;
        if (outfile_open(&o, od, files[i].name) < 0) {
            *err = o.err;
            outfile_abort(&o);
            return -1;
        }
        files[i].fn(&o, rp, &w); /* data files set w.nblocks for their script */
        if (outfile_commit(&o) < 0) {
            *err = o.err;
            return -1;
        }
    }
    return 0;
}
