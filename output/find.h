/* find: a capacity search, `[sim] find = max SECTION.KEY where METRIC OP
 * VALUE`. The search itself (sim/find.c) probes values of one numeric key,
 * each probe a full set of replications; this module holds what it found
 * and writes it: find.csv (one row per probe), find.dat and find.gp (the
 * metric against the probed value, the threshold and the answer marked),
 * the manifest's find lines and the sentence on the terminal. */
#ifndef SDSIM_OUTPUT_FIND_H
#define SDSIM_OUTPUT_FIND_H

#include <stdbool.h>
#include <stddef.h>

#include "output/expect.h"
#include "output/outfile.h"

#define FIND_NAME_MAX 128

/* The objective and the search, read from [sim] (sim/find.c). */
struct find_spec {
    bool max;                      /* max: the largest value that passes; else the smallest */
    char target[FIND_NAME_MAX];    /* as written: "app.workers", "load.arrival.rate" */
    char section[FIND_NAME_MAX];
    char key[FIND_NAME_MAX];
    char param[FIND_NAME_MAX];     /* a named argument of the key's spec, or "" */
    bool integer;                  /* the key takes whole numbers */
    char suffix[16];               /* the unit written after a probed number ("/s", "ms", "") */
    double lo, hi;                 /* find_range, in the suffix's unit */
    double tol;                    /* find_tolerance: absolute, or relative when tol_rel */
    bool tol_rel;
    long long repeat;              /* [sim] repeat: the replications of a probe */
    long long max_repeat;          /* find_max_repeat: an unsure probe's cap */
    bool secant;                   /* find_method = secant: interpolate, else bisect */
    struct sc_check line;          /* the objective as an [expect] line ... */
    struct expect_item obj;        /* ... read by output/expect.c */
    char objective[FIND_NAME_MAX]; /* "latency_p99_ms < 100ms" */
};

/* One probe: a value and its replications. */
struct find_probe {
    size_t order;      /* 1, 2, ...: the order the search made them in */
    double value;      /* in the suffix's unit */
    char text[64];     /* as written into the key: "182/s" */
    double mean, lo, hi; /* the metric: mean over the replications and 95% interval (NAN: none) */
    size_t reps;       /* replications run (more when the first were unsure) */
    enum expect_verdict verdict; /* pass, fail, or inconclusive after max_repeat (counted as fail) */
};

struct find_result {
    const struct find_spec *spec;
    struct find_probe *probes;
    size_t nprobes;
    long pass;   /* the best passing probe, or -1: none passes */
    long fail;   /* the failing probe next to it (the bracket's other end), or -1 */
    long shown;  /* the probe whose runs the folder's other files hold */
};

/* "max load.arrival.rate with latency_p99_ms < 100ms: 182/s (passes; 186/s
 * fails)", without a newline; caller frees. */
char *find_sentence(const struct find_result *fr);

/* find.csv, find.dat, find.gp, and the manifest's find lines. */
void find_csv(struct outfile *o, const struct find_result *fr);
void find_plot_data(struct outfile *o, const struct find_result *fr);
void find_plot_script(struct outfile *o, const struct find_result *fr);
void find_manifest(struct outfile *o, const struct find_result *fr);

const char *find_verdict_name(enum expect_verdict v);

#endif
