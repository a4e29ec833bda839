/* columns: the dictionary of the results files. Each file that has columns
 * (runs.csv, summary.csv, components.csv, timeseries.csv, histograms.csv)
 * has one table here, in the file's column order, and every row says the
 * column's name, unit, meaning, when it appears and how its value is got.
 * The writers take the header, the row values and their order from these
 * tables, the plot scripts find a column's number by its name, and
 * `sdsim list metrics` and the README print the same rows. A row may stand
 * for several columns: one per sweep variable, one per extra metric a kind
 * reports (documented in columns_kinds.c), one per component. */
#ifndef SDSIM_OUTPUT_COLUMNS_H
#define SDSIM_OUTPUT_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/results.h"
#include "sim/sim.h"

struct coldoc {
    const char *name;    /* as in the header; <...> marks a row of several */
    const char *unit;    /* "ms", "s", "1/s", "ratio", "count", ... or "-" */
    const char *meaning; /* one line */
    const char *when;    /* when it appears: "always", "with a sweep", ... */
    const char *source;  /* how its value is got */
};

/* How a row's value is written. COL_SWEEPS and COL_EXTRAS rows stand for
 * a column per sweep variable, or per extra metric some run has. */
enum col_type { COL_COUNT, COL_NUM, COL_TEXT, COL_SWEEPS, COL_EXTRAS };

/* runs.csv: one row per run. Exactly one getter is set, as type says. */
struct run_column {
    struct coldoc doc;
    enum col_type type;
    uint64_t (*count)(const struct run_result *r);
    double (*num)(const struct run_result *r); /* NAN: an empty field */
    const char *(*text)(const struct run_result *r);
};
extern const struct run_column columns_runs[]; /* ends with a NULL name */

/* components.csv: one row per component of every run. */
struct comp_column {
    struct coldoc doc;
    enum col_type type;
    uint64_t (*count)(const struct run_result *r, const struct comp_result *c);
    double (*num)(const struct run_result *r, const struct comp_result *c);
    const char *(*text)(const struct run_result *r, const struct comp_result *c);
};
extern const struct comp_column columns_components[];

/* The metrics summary.csv has a row for (its `metric` column) at every
 * sweep point: the value over a point's replications with a 95% interval.
 * q >= 0: a latency quantile, pooled over the replications (1: maximum). */
struct summary_metric {
    struct coldoc doc;
    double q;
    double (*get)(const struct run_result *r); /* one run's value; NAN: none */
    bool all; /* q >= 0 of latency_all (every finished request), not latency (successes) */
};
extern const struct summary_metric columns_summary_metrics[];
/* The row of name, or NULL. */
const struct summary_metric *columns_summary_metric(const char *name);

/* timeseries.csv: a row per sample of every run. slot: the recorded
 * value (enum sim_ts_run, or enum sim_ts_comp for the "<component>." rows),
 * COLUMNS_TS_TIME for the sample's time, -1 for the run's key columns
 * (count) and the expansions. */
#define COLUMNS_TS_TIME (-2)
struct ts_column {
    struct coldoc doc;
    enum col_type type;
    int slot;
    bool per_component;
    uint64_t (*count)(const struct run_result *r);
};
extern const struct ts_column columns_timeseries[];
/* The name of one recorded time-series column ("offered_rps",
 * "app.queue", "lb.in_rotation"); caller frees. */
char *columns_ts_name(const struct sim_ts_col *c);

/* Columns of files written by hand in a fixed shape (doc only, in order). */
extern const struct coldoc columns_summary[];    /* summary.csv */
extern const struct coldoc columns_histograms[]; /* histograms.csv */
extern const struct coldoc columns_expect[];     /* expect.csv */
extern const struct coldoc columns_find[];       /* find.csv */
extern const struct coldoc columns_attribution[]; /* attribution.csv */

/* A metric a kind reports (runs.csv and summary.csv, or a time-series
 * column): per_component ones are named "<component>.<name>". */
struct kind_metric {
    struct coldoc doc;
    const char *kinds;  /* the kinds that report it */
    bool per_component; /* "<component>.<name>"; else summed into "<name>" */
    bool timeseries;    /* a timeseries.csv column, not a runs.csv one */
};
extern const struct kind_metric columns_kind_metrics[];
/* Whether kind (a kind's name, as "service") is a whole word of a kind
 * metric's kinds ("client, service or consumers", "balancer with a limit"):
 * a word ends at anything that cannot be in a kind's name (a space, a comma,
 * a parenthesis). */
bool columns_kind_listed(const char *kinds, const char *kind);

/* Calls fn for every documented column: file is "runs.csv", ...; the kind
 * metrics come with their file and the name as it appears in it
 * ("<component>.hit_ratio"), in buf-sized storage owned by the walker. */
typedef void columns_fn(void *ctx, const char *file, const char *name, const struct coldoc *d);
void columns_each(columns_fn *fn, void *ctx);

/* The file whose fixed column is called name (so a sweep variable may not
 * be), or NULL. */
const char *columns_taken(const char *name);

/* The range a metric's value lies in (0..1 for ratios, fractions and
 * probabilities, -1..inf for over_admission, which is below 0 when a
 * shared limit admits less than one exact limiter would, else 0..inf),
 * from its name. */
void columns_range(const char *name, double *min, double *max);

#endif
