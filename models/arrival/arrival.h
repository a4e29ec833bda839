/* arrival: open-loop arrival processes of a client ("poisson(rate=9/s)",
 * "constant(rate=100/s)"). A process gives the gap to the next arrival; it
 * draws only from the client's own arrival stream, so two variants of a
 * scenario see the same arrivals. Registered by name in models/registry.c.
 *
 * Processes whose rate changes with time (one file each, models/arrival_*.c):
 *   ramp(from=10/s, to=100/s, start=0s, over=60s)   linear change, then constant
 *   step(before=10/s, after=50/s, at=60s)
 *   spike(base=10/s, peak=200/s, at=60s, width=5s)
 *   diurnal(mean=100/s, amplitude=0.5, period=24h, phase=0s)
 *       rate = mean * (1 + amplitude * sin(2 pi (t + phase) / period))
 *   mmpp(on=200/s, off=10/s, mean_on=5s, mean_off=20s, start=off)   on/off bursts
 *   trace(file=requests.csv)   replays time, key, op lines (sets has_item)
 * All are exact non-homogeneous Poisson processes (inversion of the
 * integrated rate, or thinning for diurnal); rate_per_s is the long-run mean. */
#ifndef SDSIM_MODELS_ARRIVAL_H
#define SDSIM_MODELS_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct arrival;

struct arrival_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct arrival *a, const struct spec *sp, struct diag *d);
    /* Nanoseconds from now_ns to the next arrival (>= 0), or INT64_MAX for
     * none. A process that knows what the next request is (trace replay)
     * sets a->has_item, a->item_key and a->item_op for it. */
    int64_t (*next_gap)(struct arrival *a, int64_t now_ns, struct rng *r);
    void (*fini)(struct arrival *a); /* may be NULL */
    /* next_gap may set has_item (trace replay): the client asks for the
     * next gap only after sending the request the current item describes.
     * Without it the client asks first, so the draw's latency (a log, a
     * rounding) overlaps the new request's work: the same draws from the
     * same stream, and the same events in the same order. */
    bool gives_items;
};

struct arrival {
    const struct arrival_policy *pol;
    double rate_per_s;   /* mean rate, for reports */
    double p[4];         /* policy parameters */
    void *state;         /* owned by the policy (init allocates, fini frees) */
    bool has_item;       /* the next arrival's key and op are given */
    uint64_t item_key;
    uint8_t item_op;     /* 0 read, 1 write */
};

void arrival_fini(struct arrival *a);

int arrival_setup(struct arrival *a, const char *text, struct loc loc, struct diag *d);

/* Reads parameter `key` of sp (table params) as a rate or a duration,
 * reporting a bad value at its location. For the processes' init. */
int arrival_read_rate(const struct spec *sp, const struct param_spec *params, const char *key,
                      double *out_per_s, struct diag *d);
int arrival_read_duration(const struct spec *sp, const struct param_spec *params, const char *key,
                          int64_t *out_ns, struct diag *d);

extern const struct policy_family arrival_family; /* its policies, registry.c */

extern const struct arrival_policy arrival_poisson;
extern const struct arrival_policy arrival_constant;
extern const struct arrival_policy arrival_ramp;
extern const struct arrival_policy arrival_step;
extern const struct arrival_policy arrival_spike;
extern const struct arrival_policy arrival_diurnal;
extern const struct arrival_policy arrival_mmpp;
extern const struct arrival_policy arrival_trace;

#endif
