/* timeseries: every interval the run appends one row of ncols values (names
 * in names, fixed when the model is built): the whole run's figures, then
 * each component's levels and its kind's extra columns. End-to-end figures
 * of the current interval accumulate in acc. The calls models and clients
 * make (sim_ts_start, sim_ts_born, sim_ts_outcome) are in sim.h. */
#ifndef SDSIM_SIM_TIMESERIES_H
#define SDSIM_SIM_TIMESERIES_H

#include <stddef.h>
#include <stdint.h>

struct hist;

struct ts_acc {
    uint64_t offered;   /* requests born in the interval */
    uint64_t completed; /* successful replies in the interval */
    uint64_t failed;    /* rejected, timed out or failed in the interval */
    struct hist *lat;   /* latencies of the successful replies; NULL: no series */
};

struct sim_ts {
    int64_t interval_ns; /* 0: no time series */
    struct ts_acc acc;
    char **names;        /* column names after t_s */
    size_t ncols;
    double *rows;        /* nrows rows of 1 + ncols values (t_s first) */
    size_t nrows, cap;
};

void sim_ts_fini(struct sim_ts *ts);

#endif
