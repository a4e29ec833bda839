/* writers: what the writers of a results folder share (report.c defines
 * these): CSV fields, sweep points, pooled histograms and the summary of a
 * metric over a point's replications. Internal to output/: report.c,
 * csvout.c (the CSV files), plots.c (plot data and gnuplot scripts) and
 * table.c (the terminal table). Runs are in run order, so the runs of one
 * sweep point are a range [b, e) of rp->runs. */
#ifndef SDSIM_OUTPUT_WRITERS_H
#define SDSIM_OUTPUT_WRITERS_H

#include <stdbool.h>
#include <stddef.h>

#include "output/columns.h"
#include "output/outfile.h"
#include "output/report.h"
#include "sim/stats.h"

struct hist;

/* A CSV field, quoted when it holds a separator, quote or newline. */
void wr_csv_str(struct outfile *o, const char *s);
/* ",value" with "%.9g", or "," for NAN (an empty field); never "-0". */
void wr_num(struct outfile *o, double v);
/* ",name" per sweep variable, and ",value" per sweep variable at point;
 * a duration sweep adds ",name_ms" and its value in milliseconds. */
void wr_sweep_header(struct outfile *o, const struct scenario *sc);
void wr_sweep_values(struct outfile *o, const struct scenario *sc, size_t point);
/* "name=value name2=value2", or "all runs" without sweeps; caller frees. */
char *wr_point_label(const struct scenario *sc, size_t point);

/* The end of the point whose runs start at b. */
size_t wr_point_end(const struct report *rp, size_t b);
/* The latency histogram pooled over runs [b, e); caller frees. */
struct hist *wr_pooled(const struct report *rp, size_t b, size_t e);

/* The names of the extra (kind) metrics over all runs, and of the
 * time-series columns, in first-seen order (deterministic: runs are in run
 * order). Caller frees the array only. */
size_t wr_extra_names(const struct report *rp, const char ***out);
double wr_extra_value(const struct run_result *r, const char *name); /* NAN: none */
size_t wr_ts_names(const struct report *rp, const char ***out);

/* The value and 95% interval of summary metric m over runs [b, e) (pool:
 * their pooled latency histogram), as summary.csv writes them. */
void wr_summarise(const struct report *rp, size_t b, size_t e, const struct summary_metric *m,
                  const struct hist *pool, struct ci *ci, double *value);
/* The same for any runs.csv column name: a summary metric or an extra. */
void wr_column_ci(const struct report *rp, size_t b, size_t e, const char *name, struct ci *ci,
                  double *value);
/* Mean and interval of per-replication values of metric name, in range. */
void wr_ci_of_values(const double *x, size_t n, const char *name, struct ci *ci);
/* Runs of [b, e) that stopped early (max_in_flight, or a stalled clock). */
size_t wr_stopped_runs(const struct report *rp, size_t b, size_t e);
/* 1 when the point [b, e) meets the SLO (never when a run stopped). */
int wr_slo_met(const struct report *rp, size_t b, size_t e, const struct hist *pool);

/* csvout.c */
void csvout_runs(struct outfile *o, const struct report *rp);
void csvout_components(struct outfile *o, const struct report *rp);
void csvout_histograms(struct outfile *o, const struct report *rp);
void csvout_summary(struct outfile *o, const struct report *rp);
void csvout_timeseries(struct outfile *o, const struct report *rp);

/* plots.c: each data file sets *nblocks, which its script then needs. The
 * sweep_metrics files plot the columns of rp->plot that some run has. */
struct plot_cols {
    char names[REPORT_PLOT_MAX][64];
    size_t n;
    size_t first[REPORT_PLOT_MAX + 1]; /* each column's first data block */
};
size_t plots_split(const struct report *rp, struct plot_cols *pc, char *unknown, size_t size);
void plots_cdf_data(struct outfile *o, const struct report *rp, size_t *nblocks);
void plots_cdf_script(struct outfile *o, size_t nblocks);
void plots_sweep_data(struct outfile *o, const struct report *rp, size_t *nblocks);
void plots_sweep_script(struct outfile *o, const struct report *rp, size_t nblocks);
void plots_metrics_data(struct outfile *o, const struct report *rp, struct plot_cols *pc);
void plots_metrics_script(struct outfile *o, const struct report *rp, const struct plot_cols *pc);
void plots_ts_data(struct outfile *o, const struct report *rp, size_t *nblocks);
void plots_ts_script(struct outfile *o, const struct report *rp, size_t nblocks);

#endif
