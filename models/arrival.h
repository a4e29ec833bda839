/* arrival: open-loop arrival processes of a client ("poisson(rate=9/s)",
 * "constant(rate=100/s)"). A process gives the gap to the next arrival; it
 * draws only from the client's own arrival stream, so two variants of a
 * scenario see the same arrivals. Registered by name in models/registry.c. */
#ifndef SDSIM_MODELS_ARRIVAL_H
#define SDSIM_MODELS_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/spec.h"

struct arrival;

struct arrival_policy {
    const char *name;
    const char *summary;
    const struct param_spec *params;
    int (*init)(struct arrival *a, const struct spec *sp, struct diag *d);
    /* Nanoseconds from now_ns to the next arrival (>= 0), or INT64_MAX for
     * none. A process that knows what the next request is (trace replay)
     * sets a->has_item, a->item_key and a->item_op for it. */
    int64_t (*next_gap)(struct arrival *a, int64_t now_ns, struct rng *r);
    void (*fini)(struct arrival *a); /* may be NULL */
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

const struct arrival_policy *const *arrival_policies(void); /* NULL-terminated, registry.c */

extern const struct arrival_policy arrival_poisson;
extern const struct arrival_policy arrival_constant;

#endif
