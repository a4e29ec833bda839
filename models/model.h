/* model: turns the concrete sections of one sweep point into the components
 * of a run: finds each kind, checks every key against the kind's table,
 * builds the components and rejects call cycles. */
#ifndef SDSIM_MODELS_MODEL_H
#define SDSIM_MODELS_MODEL_H

#include "sim/diag.h"
#include "sim/scenario.h"
#include "sim/sim.h"

/* Builds the components of pt (every section but [sim]) into sim. Returns 0,
 * or -1 with every problem reported in d. */
int model_build(struct sim *sim, const struct sc_point *pt, struct diag *d);

#endif
