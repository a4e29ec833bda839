/* check: SIM_CHECK, the checks of invariants on the per-event paths (a
 * request is freed once and not used after, the clock never goes backwards,
 * a level never goes negative, a station's counts add up). They run where
 * SDSIM_CHECKS is defined, as in the sanitizer builds of `make check`, and
 * cost nothing in the optimised build that `make bench` measures. A plain
 * assert stays where a check is off the per-event path or guards memory
 * against what a scenario could cause. */
#ifndef SDSIM_SIM_CHECK_H
#define SDSIM_SIM_CHECK_H

#ifdef SDSIM_CHECKS
#include <assert.h>
#define SIM_CHECK(cond) assert(cond)
#else
#define SIM_CHECK(cond) ((void)0)
#endif

#endif
