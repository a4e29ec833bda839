/* compare: paired verdicts between the variants of one sweep variable of a
 * results folder (sdsim compare DIR --by VAR).
 *
 * Replication r of every sweep point runs on the same seed (common random
 * numbers): the variants of a point face the same arrivals and the same
 * work. So the difference between two variants is measured run by run, on
 * the pairs (variant, rep r) - (baseline, rep r), and its 95% interval is a
 * Student t interval over the replications' differences. It is narrower
 * than the unpaired interval (Welch's, over the two means) by as much as
 * the pairing removes shared noise; both are printed, with the ratio.
 *
 * The variants are the values of VAR; every combination of the other
 * sweep variables is compared on its own (a stratum). The verdict says
 * "better" or "worse" when the whole interval is on one side of 0 and the
 * metric has a known good direction (latency, failures: lower; throughput,
 * hit ratios: higher), "higher"/"lower" when it has none, and "no clear
 * difference" when the interval holds 0. */
#ifndef SDSIM_OUTPUT_COMPARE_H
#define SDSIM_OUTPUT_COMPARE_H

#include <stddef.h>
#include <stdio.h>

struct compare_opts {
    const char *dir;      /* a results folder written by sdsim run */
    const char *by;       /* the sweep variable whose values are compared */
    const char *baseline; /* one of its values, or NULL: the first */
    const char *metrics;  /* runs.csv columns, comma-separated, or NULL: the default */
    const char *csv;      /* a file to write the comparisons to, or NULL */
};

/* The default metrics. */
#define COMPARE_METRICS "latency_mean_ms,latency_p99_ms,goodput_rps"

/* The paired and unpaired intervals of one comparison. */
struct compare_diff {
    size_t n;             /* replications with both values */
    double base, var;     /* the two means */
    double diff;          /* mean of var - base, run by run */
    double paired_half;   /* half-width of its 95% interval (NAN: n < 2) */
    double unpaired_half; /* Welch's half-width for var mean - base mean */
};

/* The comparison of x (variant) against b (baseline), paired by index:
 * entries where either is NAN are left out. */
void compare_pairs(const double *b, const double *x, size_t n, struct compare_diff *out);

/* -1 when lower is better (latency, failures, losses), +1 when higher is
 * (throughput, goodput, hit ratios), 0 when the name says neither. */
int compare_direction(const char *metric);

/* Runs the comparison and prints it on out. Returns 0 or a sysexits code,
 * with the message printed on stderr. */
int compare_run(const struct compare_opts *o, FILE *out);

#endif
