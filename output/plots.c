/* plots: the plot data (.dat, whitespace separated, one block per curve,
 * blocks separated by two blank lines, each starting with a header line
 * whose first field is the curve's title) and the gnuplot scripts that
 * draw them. A data file's columns are laid out by a table of named
 * groups (struct dat_group), and a script asks that table for a metric's
 * column number when it is written, so no script depends on a column
 * order written elsewhere. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "output/writers.h"
#include "sim/xalloc.h"

#define NS_PER_MS 1e6

/* A data file's columns after column 1 (x, headed by the block's title):
 * a metric's value, CI low and CI high (three columns under head, "lo",
 * "hi"), or, with metric NULL, the x value as text (one column, for tick
 * labels). metric "" stands for the block's own column (sweep_metrics). */
struct dat_group {
    const char *head;
    const char *metric;
};

/* The column number (from 1) of metric's value (its lo and hi follow), or
 * of the x label when metric is NULL. */
static size_t dat_col(const struct dat_group *g, size_t n, const char *metric)
{
    size_t col = 2;
    for (size_t i = 0; i < n; i++) {
        if (metric ? g[i].metric && strcmp(g[i].metric, metric) == 0 : !g[i].metric)
            return col;
        col += g[i].metric ? 3 : 1;
    }
    assert(0 && "a script asked for a column its data file does not have");
    return 0;
}

static void dat_header(struct outfile *o, const struct dat_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outfile_printf(o, g[i].metric ? " \"%s\" \"lo\" \"hi\"" : " \"%s\"", g[i].head);
    outfile_printf(o, "\n");
}

/* sweep_latency.dat */
static const struct dat_group sweep_groups[] = {
    {"p50", "latency_p50_ms"}, {"p99", "latency_p99_ms"},      {"x", NULL},
    {"throughput", "throughput_rps"}, {"errors", "failed_ratio"},
};
#define NSWEEP_GROUPS (sizeof sweep_groups / sizeof sweep_groups[0])
/* sweep_metrics.dat */
static const struct dat_group metrics_groups[] = {{"mean", ""}, {"x", NULL}};
#define NMETRICS_GROUPS (sizeof metrics_groups / sizeof metrics_groups[0])

static bool all_numeric(const struct sc_sweep *w)
{
    for (size_t i = 0; i < w->nvalues; i++) {
        char *end;
        strtod(w->values[i], &end);
        if (end == w->values[i] || *end)
            return false;
    }
    return true;
}

/* A value and its interval as three plot-data columns. Without an interval
 * (one replication, or a maximum) the error bar has no length. */
static void plot_triple(struct outfile *o, double value, const struct ci *ci)
{
    outfile_printf(o, " %.9g %.9g %.9g", value, isnan(ci->lo) ? value : ci->lo,
                   isnan(ci->hi) ? value : ci->hi);
}

/* ---- latency_cdf -------------------------------------------------------- */

void plots_cdf_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct hist *pool = wr_pooled(rp, b, e);
        char *label = wr_point_label(rp->sc, rp->runs[b].point);
        outfile_printf(o, "%s\"%s\" \"cdf\"\n", *nblocks ? "\n\n" : "", label);
        free(label);
        uint64_t total = hist_count(pool), seen = 0;
        size_t it = 0, idx;
        uint64_t cnt;
        while (hist_next_bucket(pool, &it, &idx, &cnt)) {
            int64_t lo, hi;
            hist_bucket_bounds(idx, &lo, &hi);
            if (seen == 0) /* the step up starts from 0 (and the x range is never empty) */
                outfile_printf(o, "%.9g 0\n",
                               (lo > 0 ? (double)lo : ((double)hi + 1) / 2) / NS_PER_MS);
            seen += cnt;
            outfile_printf(o, "%.9g %.9g\n", ((double)hi + 1) / NS_PER_MS,
                           (double)seen / (double)total);
        }
        hist_free(pool);
        (*nblocks)++;
    }
}

void plots_cdf_script(struct outfile *o, size_t nblocks)
{
    outfile_printf(o,
                   "# Latency CDF per sweep point, pooled over replications.\n"
                   "# Redraw with: sdsim plot DIR (or: gnuplot latency_cdf.gp in DIR)\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set output 'latency_cdf.png'\n"
                   "set xlabel 'end-to-end latency (ms)'\n"
                   "set ylabel 'fraction of requests at or below'\n"
                   "set logscale x\n"
                   "set yrange [0:1]\n"
                   "set grid\n"
                   "set key bottom right\n"
                   "plot for [i=0:%zu] 'latency_cdf.dat' index i using 1:2 with steps lw 2 "
                   "title columnheader(1)\n",
                   nblocks ? nblocks - 1 : 0);
}

/* ---- against the first sweep variable ----------------------------------- */

/* The block header of the point pt (titled by the other sweeps only). */
static void block_header(struct outfile *o, const struct scenario *sc, size_t pt, size_t nblocks,
                         const struct dat_group *g, size_t ng)
{
    char *label = wr_point_label(sc, pt);
    const char *t = sc->nsweeps > 1 ? strchr(label, ' ') + 1 : "";
    outfile_printf(o, "%s\"%s\"", nblocks ? "\n\n" : "", t);
    dat_header(o, g, ng);
    free(label);
}

/* One row of a sweep data file: x (the value, or its index when the sweep
 * is not numeric), then the groups; column is the block's own column. */
static void sweep_row(struct outfile *o, const struct report *rp, size_t b, size_t e,
                      const struct dat_group *g, size_t ng, const char *column)
{
    const struct scenario *sc = rp->sc;
    size_t pt = rp->runs[b].point;
    const char *xv = scenario_sweep_value(sc, pt, 0);
    if (all_numeric(&sc->sweeps[0]))
        outfile_printf(o, "%s", xv);
    else
        outfile_printf(o, "%zu", pt / (scenario_npoints(sc) / sc->sweeps[0].nvalues));
    for (size_t i = 0; i < ng; i++) {
        if (!g[i].metric) {
            outfile_printf(o, " \"%s\"", xv);
            continue;
        }
        struct ci ci;
        double value;
        wr_column_ci(rp, b, e, g[i].metric[0] ? g[i].metric : column, &ci, &value);
        plot_triple(o, value, &ci);
    }
    outfile_printf(o, "\n");
}

/* One block per combination of the other sweeps, x along the first.
 * Returns the number of blocks written. */
static size_t sweep_blocks(struct outfile *o, const struct report *rp, const struct dat_group *g,
                           size_t ng, const char *column, size_t nblocks)
{
    size_t rest_n = scenario_npoints(rp->sc) / rp->sc->sweeps[0].nvalues, n = 0;
    for (size_t rest = 0; rest < rest_n; rest++) {
        bool header = false;
        for (size_t b = 0, e; b < rp->nruns; b = e) {
            e = wr_point_end(rp, b);
            if (rp->runs[b].point % rest_n != rest)
                continue;
            if (!header) {
                block_header(o, rp->sc, rp->runs[b].point, nblocks + n, g, ng);
                header = true;
                n++;
            }
            sweep_row(o, rp, b, e, g, ng, column);
        }
    }
    return n;
}

void plots_sweep_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = sweep_blocks(o, rp, sweep_groups, NSWEEP_GROUPS, NULL, 0);
}

/* gnuplot cannot scale an axis whose values are all zero. */
static bool any_failed(const struct report *rp)
{
    const struct summary_metric *m = columns_summary_metric("failed_ratio");
    for (size_t i = 0; i < rp->nruns; i++)
        if (m->get(&rp->runs[i]) > 0)
            return true;
    return false;
}

/* "1:c:c+1:c+2", the x and a metric's value and interval. */
static const char *yerr(char *buf, size_t size, const char *metric)
{
    size_t c = dat_col(sweep_groups, NSWEEP_GROUPS, metric);
    snprintf(buf, size, "1:%zu:%zu:%zu", c, c + 1, c + 2);
    return buf;
}

void plots_sweep_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    const struct sc_sweep *w = &rp->sc->sweeps[0];
    bool numeric = all_numeric(w);
    size_t last = nblocks ? nblocks - 1 : 0;
    outfile_printf(o,
                   "# p50 and p99 end-to-end latency, and throughput and failures, against\n"
                   "# the sweep variable '%s'.\n"
                   "# Points are pooled over replications; error bars are 95%% CIs across\n"
                   "# replications (none with repeat = 1).\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set output 'sweep_latency.png'\n"
                   "set xlabel '%s'\n"
                   "set ylabel 'end-to-end latency (ms)'\n"
                   "set grid\n"
                   "set key top left\n"
                   "set offsets graph 0.05, graph 0.05, graph 0.05, 0\n",
                   w->name, w->name);
    /* gnuplot takes the tick label as the last column spec */
    char x[32] = "", p50[32], p99[32], thr[32];
    if (!numeric) {
        snprintf(x, sizeof x, ":xticlabels(%zu)", dat_col(sweep_groups, NSWEEP_GROUPS, NULL));
        outfile_printf(o, "set xtics rotate by 25 right font ',9'\nset bmargin 12\nset lmargin 20\n");
    }
    size_t f = dat_col(sweep_groups, NSWEEP_GROUPS, "failed_ratio");
    outfile_printf(o,
                   "plot for [i=0:%zu] 'sweep_latency.dat' index i using %s%s with "
                   "yerrorlines lw 2 title sprintf('p50 %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'sweep_latency.dat' index i using %s with "
                   "yerrorlines lw 2 dt 2 title sprintf('p99 %%s', columnheader(1))\n"
                   "set output 'sweep_throughput.png'\n"
                   "set ylabel 'requests per second'\n"
                   "set y2label 'failed requests (%%)'\n"
                   "set y2tics\n"
                   "set y2range [0:%s]\n"
                   "set ytics nomirror\n"
                   "plot for [i=0:%zu] 'sweep_latency.dat' index i using %s%s with "
                   "yerrorlines lw 2 title sprintf('throughput %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'sweep_latency.dat' index i using 1:($%zu*100):($%zu*100):"
                   "($%zu*100) axes x1y2 with yerrorlines lw 2 dt 2 "
                   "title sprintf('failed %%%% %%s', columnheader(1))\n",
                   last, yerr(p50, sizeof p50, "latency_p50_ms"), x, last,
                   yerr(p99, sizeof p99, "latency_p99_ms"), any_failed(rp) ? "*" : "1", last,
                   yerr(thr, sizeof thr, "throughput_rps"), x, last, f, f + 1, f + 2);
}

/* ---- sweep_metrics: chosen runs.csv columns against the first sweep ---- */

/* Splits rp->plot into the columns some run has (a summary metric or a
 * kind's extra metric), at most REPORT_PLOT_MAX, and the first one none
 * has (into unknown, "" if none). */
size_t plots_split(const struct report *rp, struct plot_cols *pc, char *unknown, size_t size)
{
    const char **xn;
    size_t nx = wr_extra_names(rp, &xn);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", rp->plot ? rp->plot : "");
    unknown[0] = '\0';
    pc->n = 0;
    for (char *save, *t = strtok_r(buf, ", \t", &save); t && pc->n < REPORT_PLOT_MAX;
         t = strtok_r(NULL, ", \t", &save)) {
        bool known = columns_summary_metric(t) != NULL;
        for (size_t k = 0; k < nx; k++)
            known |= strcmp(xn[k], t) == 0;
        if (known)
            snprintf(pc->names[pc->n++], sizeof pc->names[0], "%s", t);
        else if (!unknown[0])
            snprintf(unknown, size, "%s", t);
    }
    free(xn);
    return pc->n;
}

/* For each column, one block per combination of the other sweeps;
 * pc->first[k] is the index of column k's first block, first[n] the
 * number of blocks. */
void plots_metrics_data(struct outfile *o, const struct report *rp, struct plot_cols *pc)
{
    size_t nblocks = 0;
    for (size_t k = 0; k < pc->n; k++) {
        pc->first[k] = nblocks;
        nblocks += sweep_blocks(o, rp, metrics_groups, NMETRICS_GROUPS, pc->names[k], nblocks);
    }
    pc->first[pc->n] = nblocks;
}

void plots_metrics_script(struct outfile *o, const struct report *rp, const struct plot_cols *pc)
{
    const struct sc_sweep *w = &rp->sc->sweeps[0];
    bool numeric = all_numeric(w);
    size_t c = dat_col(metrics_groups, NMETRICS_GROUPS, "");
    char x[32] = "";
    if (!numeric)
        snprintf(x, sizeof x, ":xticlabels(%zu)", dat_col(metrics_groups, NMETRICS_GROUPS, NULL));
    outfile_printf(o,
                   "# The runs.csv columns named by [sim] plot against the sweep variable\n"
                   "# '%s': the mean over replications with its 95%% CI (sweep_metrics.dat).\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set xlabel '%s'\n"
                   "set grid\n"
                   "set key top left Left reverse\n"
                   "set offsets graph 0.05, graph 0.05, graph 0.05, 0\n",
                   w->name, w->name);
    if (!numeric)
        outfile_printf(o, "set xtics rotate by 25 right font ',9'\nset bmargin 12\n");
    for (size_t k = 0; k < pc->n; k++) {
        if (pc->first[k + 1] == pc->first[k])
            continue;
        outfile_printf(o,
                       "set output 'sweep_%s.png'\n"
                       "set ylabel '%s'\n"
                       "plot for [i=%zu:%zu] 'sweep_metrics.dat' index i using 1:%zu:%zu:%zu%s "
                       "with yerrorlines lw 2 title columnheader(1)\n",
                       pc->names[k], pc->names[k], pc->first[k], pc->first[k + 1] - 1, c, c + 1,
                       c + 2, x);
    }
}

/* ---- timeseries --------------------------------------------------------- */

/* timeseries.dat: the first replication of each sweep point, one block each;
 * whitespace separated, "NaN" where an interval had no reply. Columns: t_s,
 * then the time-series names of all runs (wr_ts_names). */
void plots_ts_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = 0;
    const char **names;
    size_t nn = wr_ts_names(rp, &names); /* every block has these columns */
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b)) {
        const struct run_result *r = &rp->runs[b];
        char *label = wr_point_label(rp->sc, r->point);
        outfile_printf(o, "%s\"%s (rep %zu)\"", *nblocks ? "\n\n" : "", label, r->rep);
        for (size_t j = 0; j < nn; j++)
            outfile_printf(o, " \"%s\"", names[j]);
        outfile_printf(o, "\n");
        free(label);
        for (size_t k = 0; k < r->ts_nrows; k++) {
            const double *row = r->ts_rows + k * (1 + r->ts_ncols);
            outfile_printf(o, "%.9g", row[0]);
            for (size_t j = 0; j < nn; j++) {
                size_t c = 0;
                while (c < r->ts_ncols && strcmp(r->ts_names[c], names[j]) != 0)
                    c++;
                double v = c < r->ts_ncols ? row[1 + c] : (double)NAN;
                outfile_printf(o, " %.9g", isnan(v) ? (double)NAN : v);
            }
            outfile_printf(o, "\n");
        }
        (*nblocks)++;
    }
    free(names);
}

/* The timeseries.dat column (from 1; 1 is t_s) of the series name. */
static size_t ts_col(const char *const *names, size_t nn, const char *name)
{
    for (size_t j = 0; j < nn; j++)
        if (strcmp(names[j], name) == 0)
            return j + 2;
    assert(0 && "a time series without the whole run's columns");
    return 0;
}

/* The replicas panel: every component that has them. A balancer's own
 * count is its pool's size; what it has in rotation (its in_rotation
 * column, further right) is what matters. */
static void ts_replicas(struct outfile *o, const char **names, size_t nn, size_t last)
{
    bool first = true;
    for (size_t j = 0; j < nn; j++) {
        const char *n = names[j];
        const char *dot = strrchr(n, '.');
        if (!dot || strcmp(dot, ".replicas") != 0)
            continue;
        size_t col = j, plen = (size_t)(dot - n);
        const char *what = "up";
        for (size_t k = j + 1; k < nn; k++)
            if (!strncmp(names[k], n, plen + 1) && !strcmp(names[k] + plen, ".in_rotation")) {
                col = k;
                what = "in rotation";
            }
        outfile_printf(o,
                       "%sfor [i=0:%zu] 'timeseries.dat' index i using 1:%zu with steps lw 2 "
                       "title sprintf('%.*s %s %%s', columnheader(1))",
                       first ? "" : ", \\\n     ", last, col + 2, (int)plen, n, what);
        first = false;
    }
    if (first)
        outfile_printf(o, "0 notitle");
}

/* Three panels over time: throughput and failures, p50/p99 latency, and the
 * replicas of every component that has them. */
void plots_ts_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    const struct run_result *r0 = &rp->runs[0];
    const char **names;
    size_t nn = wr_ts_names(rp, &names); /* the columns of timeseries.dat */
    size_t last = nblocks ? nblocks - 1 : 0;
    outfile_printf(o, "# Shaded: scheduled faults.\n");
    for (size_t i = 0; i < r0->nspans; i++)
        outfile_printf(o, "set object %zu rect from %.9g, graph 0 to %.9g, graph 1 behind fc rgb 'gray85' fs solid 0.6 noborder\n",
                       i + 1, r0->spans[i].from_s, r0->spans[i].to_s);
    outfile_printf(o,
                   "# The first replication of each sweep point over time (timeseries.dat).\n"
                   "set terminal pngcairo size 1100,%zu noenhanced\n"
                   "set output 'timeseries.png'\n"
                   "set datafile missing 'nan'\n"
                   "set grid\n"
                   "set key outside below left Left reverse maxcols 1\n"
                   "set xrange [0:*]\n"
                   "set style rect fc rgb 'gray80' fs solid 0.5 noborder\n"
                   "set multiplot layout 3,1\n"
                   "set lmargin 12\n"
                   "set rmargin 4\n"
                   "set xlabel 'simulated time (s)'\n"
                   "set ylabel 'requests per second'\n"
                   "plot for [i=0:%zu] 'timeseries.dat' index i using 1:%zu with lines lw 2 "
                   "title sprintf('completed %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'timeseries.dat' index i using 1:%zu with lines dt 2 "
                   "title sprintf('failed %%s', columnheader(1))\n"
                   "set ylabel 'end-to-end latency (ms)'\n"
                   "set logscale y\n"
                   "plot for [i=0:%zu] 'timeseries.dat' index i using 1:%zu with lines lw 2 "
                   "title sprintf('p99 %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'timeseries.dat' index i using 1:%zu with lines dt 2 "
                   "title sprintf('p50 %%s', columnheader(1))\n"
                   "unset logscale y\n"
                   "set ylabel 'replicas'\n"
                   "set yrange [0:*]\n"
                   "set ytics 1\n"
                   "plot ",
                   (size_t)900 + 3 * 40 * nblocks, last, ts_col(names, nn, "throughput_rps"),
                   last, ts_col(names, nn, "failed_rps"), last,
                   ts_col(names, nn, "latency_p99_ms"), last, ts_col(names, nn, "latency_p50_ms"));
    ts_replicas(o, names, nn, last);
    outfile_printf(o, "\nunset multiplot\n");
    free(names);
}
