/* find: the capacity search of `[sim] find = max|min SECTION.KEY where
 * METRIC OP VALUE` (or `sdsim run FILE --find '...'`): the largest (max) or
 * smallest (min) value of one numeric key, within [sim] find_range, at which
 * the objective holds.
 *
 * A probe is a full set of replications of the scenario with the key set to
 * one value, through scenario_set (the path of --set) and the runner; every
 * probe uses the same seeds (common random numbers), and probes run one
 * after the other, so the search, its probes and find.csv are the same at
 * any -j. The objective is judged as an [expect] line is (output/expect.c),
 * on the 95% interval of the metric over the probe's replications: pass,
 * fail, or unsure when the interval straddles the threshold. An unsure
 * probe gets more replications (doubled, up to [sim] find_max_repeat); if it
 * is still unsure it counts as failing, so the answer always passes with
 * its interval clear of the threshold.
 *
 * The search probes the end of the range that should pass (max: LO, min:
 * HI) and stops with no answer when it does not; then the other end, and
 * stops there when it passes too; then bisects between the passing and the
 * failing probe (find_method = secant: interpolates, see find.c) until they
 * are find_tolerance apart (whole numbers for an
 * int key: 1 apart by default). It assumes the objective changes once over
 * the range (the usual case: latency grows with load). The top of the
 * program: it calls the runner and output/expect.c, as sim/runner.c does. */
#ifndef SDSIM_SIM_FIND_H
#define SDSIM_SIM_FIND_H

#include <stdbool.h>
#include <stddef.h>

#include "output/find.h"
#include "output/results.h"
#include "sim/diag.h"
#include "sim/runner.h"
#include "sim/scenario.h"

/* Reads [sim] find and its companions of sc (after scenario_find_sweeps;
 * sc is base->text with the --set options sets[0..nsets) applied): *out is
 * NULL when there is no find (or find = none), else a new spec (free with
 * find_spec_free). Both ends of find_range are checked to give a valid
 * scenario. Returns 0, or -1 with diagnostics. */
int find_read(const struct scenario *sc, const char *const *sets, size_t nsets,
              struct find_spec **out, struct diag *d);
void find_spec_free(struct find_spec *fs);

/* The value text written into the key for value v ("182/s", "4",
 * "poisson(rate=182/s)" for a spec's argument is made by find_assignment). */
void find_value_text(const struct find_spec *fs, double v, char *buf, size_t size);

/* How the search runs the probes: run runs the selected runs of sc (as
 * runner_run does; main wraps it with its progress line), probe is told of
 * each probe once judged (may be NULL). */
struct find_hooks {
    void *ctx;
    int (*run)(void *ctx, const struct scenario *sc, const size_t *only, size_t nonly,
               struct run_result *out, struct diag *d);
    void (*probe)(void *ctx, const struct find_spec *fs, const struct find_probe *p);
};

/* What the search hands to the writers: the result, and the runs of the
 * probe shown (fr->shown) with the scenario they ran (the --set options
 * that make it from the file: sets, then the extra ones here). */
struct find_outcome {
    struct find_result fr;
    struct scenario *sc;         /* the shown probe's scenario */
    struct run_result *runs;     /* its runs, in run order */
    size_t nruns;
    char *extra_sets[3];         /* "sim.find=none", "SECTION.KEY=VALUE", maybe "sim.repeat=N" */
    size_t nextra;
};

/* Runs the search of fs over base (parsed from base->text with the --set
 * options sets[0..nsets) applied each time). Returns 0, or -1 with a
 * diagnostic (an internal error: the probes were validated by find_read). */
int find_search(const struct scenario *base, const char *const *sets, size_t nsets,
                const struct find_spec *fs, const struct find_hooks *h,
                struct find_outcome *out, struct diag *d);
void find_outcome_free(struct find_outcome *out);

#endif
