/* report: the results folder. From the run results (kept in memory until
 * every run is done) it writes runs.csv, summary.csv, components.csv,
 * histograms.csv, manifest.txt and the plot data and gnuplot scripts, each
 * through outfile (temporary name, then rename). It also formats the short
 * terminal table; printing it is main's job. */
#ifndef SDSIM_OUTPUT_REPORT_H
#define SDSIM_OUTPUT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "output/outfile.h"
#include "output/results.h"
#include "sim/scenario.h"

struct expect_outcome;
struct find_result;
struct theory_memo;
struct part_header;

#define REPORT_PLOT_MAX 8 /* columns plotted at most */

/* A [plot NAME] section: the runs.csv columns y against the sweep x (""
 * for [sim] plot_x or the first), one line per combination of the series
 * sweeps and per column, one panel per combination of the facet sweeps
 * (sweeps named in neither, other than x, become facets too). Drawn as
 * plot_NAME.png from plots.dat/plots.gp. */
struct report_plot {
    char name[64];
    char y[REPORT_PLOT_MAX][64];
    size_t ny;
    char x[64];
    char series[256]; /* sweep names, comma separated ("" : the others) */
    char facet[256];
};

struct report {
    const struct scenario *sc;
    const struct run_result *runs; /* in increasing run order */
    size_t nruns;
    long long repeat;
    uint64_t base_seed;
    const char *command;           /* the command line, for the manifest */
    const char *outdir;            /* as the user named it, for the manifest */
    const char *slo_metric;        /* a summary metric name, or NULL */
    double slo_limit;              /* met when the point's value is below it */
    const char *slo_text;          /* as written */
    /* [sim] plot: runs.csv columns, comma-separated, to plot against the
     * first sweep variable (sweep_metrics.dat/.gp, sweep_COLUMN.png), or
     * NULL. Names no run has are left out. */
    const char *plot;
    /* The --set options of the command, already quoted for a shell (one
     * string, maybe empty), repeated in each run's reproduce command. */
    const char *sets;
    /* sdsim run --shard K/N: the header of the part file (part.sdsim) the
     * folder also gets, for sdsim merge; NULL otherwise. */
    const struct part_header *part;
    /* [sim] show: extra table columns, comma-separated (runs.csv columns,
     * summary metrics, COMPONENT.COLUMN of components.csv), or NULL;
     * "only: a, b": these columns instead of the fixed ones. */
    const char *show;
    bool table_wide; /* [sim] table = wide (or SDSIM_TABLE=wide): every column on one line */
    /* [sim] plot_x: the sweep variable on the x axis of the sweep plots
     * (the others are the lines and panels), or NULL: the first. */
    const char *plot_x;
    const struct report_plot *plots; /* the [plot NAME] sections */
    size_t nplots;
    /* The [expect] and [predict] lines judged (output/expect.h), or NULL:
     * expect.csv is written only with them. */
    const struct expect_outcome *expect;
    /* [sim] find: the capacity search (output/find.h), or NULL: find.csv,
     * find.dat and find.gp are written only with it, and the runs above are
     * those of one probe (the answer's). */
    const struct find_result *find;
    /* The theory of each sweep point (output/theory_apply.h), checked once
     * and shared by the writers, or NULL: each writer checks its own. */
    struct theory_memo *theory;
};

/* The file whose fixed column is called name (so a sweep variable may not
 * be), or NULL. */
const char *report_column_taken(const char *name);

#define REPORT_SHOW_MAX 8 /* extra table columns at most */

/* Writes every file. Returns 0, or -1 with errno-style code in *err and the
 * failing file name in *what (static or owned by the report). */
int report_write(const struct report *rp, const struct outdir *od, int *err, const char **what);

/* The columns a scenario without [sim] plot or [plot] sections plots: the
 * names of its [sim] show that runs.csv has (what its table is about is
 * what its plots should show), comma-separated into buf; NULL when none. */
const char *report_plot_from_show(const struct report *rp, char *buf, size_t size);

/* The first column of rp->plot that no run has, copied into buf (for a
 * warning), or NULL when every one is plotted. */
const char *report_plot_unknown(const struct report *rp, char *buf, size_t size);

/* The headline table, one line per sweep point, and a legend; caller
 * frees. */
char *report_table(const struct report *rp);

/* One "sdsim: warning: ..." line per sweep point whose runs ended with more
 * than 1% of their requests unfinished while some component's measured
 * offered rate exceeded its measured capacity (workers / mean holding
 * time), naming the worst; "" when none. Caller frees. */
char *report_backlog_warnings(const struct report *rp);

/* v with sig significant digits and no exponent ("547900", "2.822",
 * "0.0123"; trailing zeros dropped), "-" for NAN. */
void report_fmt_num(char *buf, size_t size, double v, int sig);

#endif
