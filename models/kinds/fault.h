/* fault: a scheduled fault (models/kinds/fault.c). This header lets a kind
 * whose nodes are known only at its own build (a queue's partitions) check,
 * after every build, the faults aimed at it. */
#ifndef SDSIM_MODELS_KINDS_FAULT_H
#define SDSIM_MODELS_KINDS_FAULT_H

#include "models/kind.h"

extern const struct kind kind_fault;

/* The component fault f (a built [fault]) acts on, or NULL (a link fault);
 * *replica gets the node it names (-1: all). */
const struct component *fault_target(const struct component *f, int32_t *replica);

/* Whether a built [fault] of the model crashes a node of c (any replica):
 * a kind that keeps state only a crash reads (a station's list of requests
 * holding workers) can skip it when none does. */
bool fault_may_crash(const struct sim *sim, const struct component *c);

#endif
