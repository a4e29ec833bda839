/* timeseries: every interval the run appends one row of ncols values (what
 * each holds in cols, fixed when the model is built): t_s, the whole run's
 * figures (enum sim_ts_run order), then for each component with traffic its
 * station levels (enum sim_ts_comp order, none for a client) and its kind's
 * extra figures. The engine records numbers only: the columns' names, units
 * and meanings are the results writers' (output/columns.c). End-to-end figures
 * of the current interval accumulate in acc. The calls models and clients
 * make (sim_ts_start, sim_ts_born, sim_ts_outcome) are in sim.h. */
#ifndef SDSIM_SIM_TIMESERIES_H
#define SDSIM_SIM_TIMESERIES_H

#include <stddef.h>
#include <stdint.h>

struct hist;

enum sim_ts_run {
    SIM_TS_OFFERED,   /* requests born per second */
    SIM_TS_COMPLETED, /* successful replies per second */
    SIM_TS_FAILED,    /* failed requests per second */
    SIM_TS_P50,       /* median latency of the successes, ms */
    SIM_TS_P99,       /* 99th percentile of the same, ms */
    SIM_TS_IN_SYSTEM, /* requests alive at the sample */
    SIM_TS_RUN_COLS
};
enum sim_ts_comp { SIM_TS_REPLICAS, SIM_TS_QUEUE, SIM_TS_BUSY, SIM_TS_COMP_COLS };
struct sim_ts_col {
    const char *comp;  /* component name (borrowed), NULL: the whole run */
    int fixed;         /* an enum sim_ts_run or sim_ts_comp value, or -1 */
    const char *extra; /* the kind's name for it (static) when fixed < 0 */
};

struct ts_acc {
    uint64_t offered;   /* requests born in the interval */
    uint64_t completed; /* successful replies in the interval */
    uint64_t failed;    /* rejected, timed out or failed in the interval */
    struct hist *lat;   /* latencies of the successful replies; NULL: no series */
};

struct sim_ts {
    int64_t interval_ns; /* 0: no time series */
    struct ts_acc acc;
    struct sim_ts_col *cols; /* what each column after t_s holds */
    size_t ncols;
    double *rows;        /* nrows rows of 1 + ncols values (t_s first) */
    size_t nrows, cap;
};

void sim_ts_fini(struct sim_ts *ts);

#endif
