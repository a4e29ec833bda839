/* timeseries: the time series of a run. See timeseries.h. */
#include "sim/timeseries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

#define TS_EXTRA_MAX 16

static size_t comp_extra(const struct sim *sim, const struct component *c, const char **names,
                         double *values)
{
    return c->ops.ts_extra ? c->ops.ts_extra(sim, c, names, values, TS_EXTRA_MAX) : 0;
}

static void ts_add_col(struct sim *sim, const char *comp, int fixed, const char *extra)
{
    sim->ts.cols = xrealloc(sim->ts.cols, (sim->ts.ncols + 1) * sizeof *sim->ts.cols);
    sim->ts.cols[sim->ts.ncols++] = (struct sim_ts_col){comp, fixed, extra};
}

static void ts_sample(struct sim *sim, void *a, void *b)
{
    (void)a;
    (void)b;
    double secs = (double)sim->ts.interval_ns / 1e9;
    xgrow(&sim->ts.rows, &sim->ts.cap, (sim->ts.nrows + 1) * (1 + sim->ts.ncols),
          sizeof *sim->ts.rows);
    double *row = sim->ts.rows + sim->ts.nrows * (1 + sim->ts.ncols);
    size_t k = 0;
    row[k++] = (double)sim_now(sim) / 1e9;
    struct ts_acc *acc = &sim->ts.acc;
    bool any = hist_count(acc->lat) > 0;
    row[k + SIM_TS_OFFERED] = (double)acc->offered / secs;
    row[k + SIM_TS_COMPLETED] = (double)acc->completed / secs;
    row[k + SIM_TS_FAILED] = (double)acc->failed / secs;
    row[k + SIM_TS_P50] = any ? (double)hist_quantile(acc->lat, 0.5) / 1e6 : (double)NAN;
    row[k + SIM_TS_P99] = any ? (double)hist_quantile(acc->lat, 0.99) / 1e6 : (double)NAN;
    row[k + SIM_TS_IN_SYSTEM] = (double)sim->pool.live;
    k += SIM_TS_RUN_COLS;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->ops.no_traffic)
            continue;
        if (!c->ops.is_client) { /* a client has only its extra columns */
            row[k + SIM_TS_REPLICAS] = (double)c->st.replicas_up;
            row[k + SIM_TS_QUEUE] = (double)c->st.queued.value;
            row[k + SIM_TS_BUSY] = (double)c->st.busy.value;
            k += SIM_TS_COMP_COLS;
        }
        const char *names[TS_EXTRA_MAX];
        double vals[TS_EXTRA_MAX];
        size_t n = comp_extra(sim, c, names, vals);
        for (size_t j = 0; j < n; j++)
            row[k++] = vals[j];
    }
    sim->ts.nrows++;
    acc->offered = acc->completed = acc->failed = 0;
    hist_reset(acc->lat);
    if (sim_now(sim) + sim->ts.interval_ns <= sim->end_ns)
        sim_after(sim, sim->ts.interval_ns, ts_sample, NULL, NULL);
}

void sim_ts_start(struct sim *sim, int64_t interval_ns)
{
    if (interval_ns <= 0)
        return;
    sim->ts.interval_ns = interval_ns;
    sim->ts.acc.lat = hist_new_no_moment2(); /* quantiles only */
    for (int i = 0; i < SIM_TS_RUN_COLS; i++)
        ts_add_col(sim, NULL, i, NULL);
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->ops.no_traffic)
            continue;
        int ncomp_cols = c->ops.is_client ? 0 : SIM_TS_COMP_COLS;
        for (int j = 0; j < ncomp_cols; j++) /* a client has only its extra columns */
            ts_add_col(sim, c->name, j, NULL);
        const char *names[TS_EXTRA_MAX];
        double vals[TS_EXTRA_MAX];
        size_t n = comp_extra(sim, c, names, vals);
        for (size_t j = 0; j < n; j++)
            ts_add_col(sim, c->name, -1, names[j]);
    }
    if (interval_ns <= sim->end_ns)
        sim_at(sim, interval_ns, ts_sample, NULL, NULL);
}

void sim_ts_fini(struct sim_ts *ts)
{
    hist_free(ts->acc.lat);
    free(ts->cols);
    free(ts->rows);
    memset(ts, 0, sizeof *ts);
}
