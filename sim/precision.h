/* precision: the `precision` stop. Measured latencies go into batch means;
 * once per completed batch the 95% confidence interval of the mean is
 * checked against the goal, and the run stops when its half-width is
 * within goal x mean. */
#ifndef SDSIM_SIM_PRECISION_H
#define SDSIM_SIM_PRECISION_H

#include <stdbool.h>

struct batches;

struct precision {
    double goal;        /* > 0: the relative half-width to reach; 0: off */
    struct batches *bm; /* batch means of measured latencies, or NULL: off */
};

/* Turns the stop on with goal > 0 (allocates the batch means). */
void precision_init(struct precision *p, double goal);
void precision_fini(struct precision *p);
/* Adds a measured latency; true when the goal has just been reached. */
bool precision_add(struct precision *p, double latency_ns);

#endif
