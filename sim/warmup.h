/* warmup: the end-to-end latency series of a `warmup = auto` pilot run, in
 * completion order, as at most SERIES_MAX batch means with the time each
 * batch ended (neighbours merge when full). MSER-5 (sim/stats.h) reads it
 * to find the warm-up cut. Fixed memory. */
#ifndef SDSIM_SIM_WARMUP_H
#define SDSIM_SIM_WARMUP_H

#include <stddef.h>
#include <stdint.h>

#define SERIES_MAX 1024
struct series {
    size_t batch_size, nbatches, fill;
    double partial;
    double mean[SERIES_MAX];
    int64_t end_ns[SERIES_MAX];
};

/* Adds latency x (ns) completed at now_ns. s starts zeroed. */
void warmup_add(struct series *s, double x, int64_t now_ns);

#endif
