/* runner: the [sim] section, the list of runs (sweep points x replications)
 * and running them, on several threads if asked. Run k is point k / repeat,
 * replication k % repeat; a replication's seed depends only on the base seed
 * and the replication number, so every sweep point sees the same traffic.
 * Results land in an array indexed by run number, so the output does not
 * depend on which thread ran what. */
#ifndef SDSIM_SIM_RUNNER_H
#define SDSIM_SIM_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/results.h"
#include "sim/diag.h"
#include "sim/scenario.h"
#include "sim/spec.h"

/* A service-level objective, `slo = p99 < 200ms` or `errors < 1%`: the
 * report marks the sweep points that meet it and names the highest offered
 * load that does (the load-testing pattern). */
struct slo {
    const char *metric; /* a summary metric name, or NULL: none */
    double limit;       /* in the metric's unit (ms, or a ratio) */
    char text[64];      /* as written, for messages */
};

struct sim_config {
    int64_t duration_ns;   /* simulated time (the maximum with precision) */
    int64_t warmup_ns;     /* the cut, unless warmup_auto */
    bool warmup_auto;      /* MSER-5 on a pilot run */
    long long repeat;      /* replications per sweep point */
    uint64_t seed;
    double precision;      /* 0: off */
    int64_t interval_ns;   /* time-series interval; 0: no timeseries.csv */
    struct slo slo;        /* service-level objective checked per sweep point */
    char plot[256];        /* runs.csv columns to plot against the first sweep, or "" */
    char show[256];        /* extra columns of the terminal table, or "" */
    bool table_wide;       /* [sim] table = wide: every column on one line */
    char plot_x[64];       /* the sweep on the x axis of the sweep plots, or "": the first */
    char compare[64];      /* the sweep whose values sdsim compare pairs after the table, or "" */
    size_t max_in_flight;  /* stop a run holding this many requests; SIZE_MAX: none */
    bool attribution;      /* where requests' time goes: attribution.csv (sim/attrib.h) */
    double trace;          /* share of client requests traced (trace.json; sim/trace.h), 0: off */
    long long trace_max_events; /* events kept per run */
};

extern const struct param_spec runner_sim_params[];
extern const struct param_spec runner_plot_params[];

struct report_plot;
/* The [plot NAME] sections of sc, checked (errors into d); with out, a
 * new array of *nout plots (caller frees; NULL on error). Returns 0 or -1. */
int runner_plots(const struct scenario *sc, struct report_plot **out, size_t *nout,
                 struct diag *d);

/* Reads the [sim] section of pt (defaults if absent). */
int runner_config(const struct sc_point *pt, struct sim_config *cfg, struct diag *d);

/* Checks every sweep point: [sim] keys and the whole model. Returns 0 or -1. */
int runner_validate(const struct scenario *sc, struct diag *d);

/* The cost budget: `validate` and `run` refuse a scenario past it unless
 * --force is given, so a sweep typo cannot fill the disk. */
#define RUNNER_MAX_RUNS 100000
#define RUNNER_MAX_OUTPUT_BYTES 2e9

/* What running a scenario would cost, estimated while validating it.
 * events: for every client, its mean rate (client_rate_per_s) x duration x
 * 2 events (arrival, departure) at each component with traffic, summed over
 * every run; warm-up, network hops and retries are ignored (the shipped
 * scenarios come within a factor of 2).
 * Output: rows of each CSV file x a typical row size (bytes_per_row below). */
struct runner_estimate {
    size_t points;
    long long repeat;
    double runs;             /* points x repeat */
    double events;           /* simulated events, all runs */
    double rows_runs;        /* runs.csv */
    double rows_components;  /* components.csv */
    double rows_summary;     /* summary.csv */
    double rows_histograms;  /* histograms.csv */
    double rows_timeseries;  /* timeseries.csv */
    double trace_events;     /* trace.json lines ([sim] trace; 0 when off) */
    double output_bytes;     /* all of them */
};

/* runner_validate, plus the cost estimate and the budget: past
 * RUNNER_MAX_RUNS runs (checked first, before any point is built) or
 * RUNNER_MAX_OUTPUT_BYTES of output, reports an error at the sweep that
 * multiplies the cost and returns -1, unless force. est may be NULL. When
 * the run count is over budget, est holds only points, repeat and runs. */
int runner_validate_budget(const struct scenario *sc, bool force, struct runner_estimate *est,
                           struct diag *d);

struct runner_opts {
    int jobs;               /* threads, >= 1 */
    bool has_seed;          /* --seed given */
    uint64_t seed;
    const size_t *only;     /* if not NULL: run just these run numbers */
    size_t nonly;
    /* If not NULL, runner_run publishes its progress here (see below). */
    struct runner_progress *progress;
};

/* How far runner_run has got, for a progress line drawn by another thread
 * while it runs (sdsim run draws it from sim/main.c, the only module that
 * looks at the wall clock). The workers publish counters with atomic stores;
 * runner_progress_read may be called at any time from any thread. Reading
 * it changes nothing in the runs: results are the same with or without. */
struct runner_progress;
/* For up to jobs threads (runner_opts.jobs). */
struct runner_progress *runner_progress_new(int jobs);
void runner_progress_free(struct runner_progress *p); /* p may be NULL */

struct runner_progress_view {
    size_t total;     /* runs to do (0 until runner_run starts) */
    size_t done;      /* runs finished */
    size_t running;   /* runs being simulated now */
    double share;     /* their shares of simulated time done, summed: 0 to running
                         (a warmup = auto run counts its pilot run as its first half) */
    uint64_t events;  /* events simulated so far, pilot runs included */
};
void runner_progress_read(struct runner_progress *p, struct runner_progress_view *v);

/* Total runs of the scenario (points x repeat) and the base seed in force. */
size_t runner_nruns(const struct scenario *sc, const struct runner_opts *o, uint64_t *base_seed,
                    long long *repeat);

/* The [sim] settings of the first sweep point (repeat, seed and slo are
 * the same at every point). */
void runner_first_config(const struct scenario *sc, struct sim_config *cfg);

/* The seed of replication rep. */
uint64_t runner_rep_seed(uint64_t base_seed, size_t rep);

/* Runs the selected runs into out[0..n) (n = nonly or runner_nruns), in run
 * order. Returns 0, or -1 on an internal error. */
int runner_run(const struct scenario *sc, const struct runner_opts *o, struct run_result *out,
               struct diag *d);

#endif
