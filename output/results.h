/* results: what one run leaves behind, small and self-contained, so that the
 * runner can keep every run's result in memory until all runs are done and
 * only then write the results folder. Histograms are kept sparse (non-zero
 * buckets only) with their exact count, sum, min and max. */
#ifndef SDSIM_OUTPUT_RESULTS_H
#define SDSIM_OUTPUT_RESULTS_H

#include <stddef.h>
#include <stdint.h>

struct hist;
struct tally;

struct sparse_hist {
    size_t n;
    uint32_t *index;
    uint64_t *count;
    uint64_t total;
    long double sum, sumsq;
    int64_t min, max;
};

void sparse_from_hist(struct sparse_hist *s, const struct hist *h);
/* A tally as a sparse histogram with no buckets: total and sum (the same
 * as sparse_from_hist gives for the same values), sumsq NAN and min, max 0
 * (not kept). Only its total and mean may be read. */
void sparse_from_tally(struct sparse_hist *s, const struct tally *t);
/* Adds the sparse histogram's values into h (exact counts per bucket). */
void sparse_into_hist(const struct sparse_hist *s, struct hist *h);
void sparse_free(struct sparse_hist *s);

struct comp_result {
    char *name;
    const char *kind;        /* static string from the kind table */
    uint64_t arrivals, completed, rejected, errors;
    double servers;          /* workers in total */
    double mean_busy;        /* time-weighted mean of busy workers */
    double mean_queue;       /* time-weighted mean waiting (Lq) */
    double mean_insys;       /* time-weighted mean in the component (L) */
    struct sparse_hist wait, local, resp;
    int has_hists;
    /* napkin math of the model before the run (models/napkin.h); NAN: unknown */
    double offered_expected;     /* requests per second offered */
    double capacity_expected;    /* requests per second it can serve (NAN also: no limit) */
    double utilisation_expected; /* offered / capacity */
};

/* A named per-run figure beyond the fixed columns (owned name). */
struct named_value {
    char *name;
    double value;
};

struct result_span {
    char *name;
    double from_s, to_s;
};

/* A run that ended before its duration because it held [sim] max_in_flight
 * requests. Its statistics cover the time until the stop. */
struct run_stop {
    int overloaded;        /* 0: the run ended normally */
    int stalled;           /* stopped because the clock stood still */
    double at_s;           /* when it stopped */
    uint64_t in_flight;    /* requests held then */
    char *busiest;         /* the component with the most queued requests, or NULL (owned) */
    uint64_t queued;       /* its queued requests */
    double offered_rps;    /* its arrivals per second since time 0, or NAN */
    double capacity_rps;   /* its capacity, or NAN: unknown */
};

/* Where one client's measured successes spent their time ([sim]
 * attribution = on; sim/attrib.h): the phases with time in some group. */
struct attr_row {
    char *component;  /* "" for the request-wide phases (backoff, ...) */
    char *phase;      /* queue, service, network, backoff, hedge_wait, ... */
    double ns[3];     /* summed in each group: all, p99, p99.9 (sim/attrib.h) */
};
struct attr_result {
    char *client;
    double n[3];      /* requests in each group (the boundary bucket's share: fractional) */
    struct attr_row *rows;
    size_t nrows;
};

struct run_result {
    size_t run, point, rep;
    uint64_t seed;
    double warmup_s;         /* the cut, as configured or found by MSER-5 */
    double window_s;         /* measured time: end - cut */
    int precision_met;       /* -1: not asked; 0 or 1 */
    uint64_t offered, completed, rejected, timeouts, errors, in_flight, attempts;
    uint64_t rate_limited;   /* refused by a rate limiter; a column only with a limiter */
    uint64_t unauthenticated, denied; /* refused by a service's auth or rbac; columns only
                                         with auth (from the clients' metrics) */
    uint64_t fallbacks;      /* completed with a breaker's fallback reply */
    uint64_t events;
    struct sparse_hist latency;     /* successes */
    struct sparse_hist latency_all; /* every finished request: successes and failed ends */
    struct comp_result *comps;
    size_t ncomps;
    double *ts_rows;   /* ts_nrows rows of 1 + ts_ncols values, t_s first */
    size_t ts_nrows, ts_ncols;
    char **ts_names;   /* ts_ncols column names */
    struct result_span *spans; /* scheduled faults */
    size_t nspans;
    struct named_value *extra; /* metrics of the patterns present, in component order */
    size_t nextra;
    struct run_stop stop;
    int attribution;             /* [sim] attribution = on */
    struct attr_result *attr;    /* one per client with successes */
    size_t nattr;
    struct trace_result *trace;  /* [sim] trace: the sampled spans (sim/trace.h), or NULL */
};

void run_result_free(struct run_result *r);

#endif
