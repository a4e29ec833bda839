/* client: where requests are born. Open loop (an arrival process) or closed
 * loop (`users` that each send, wait for the reply, think, and send again).
 * End-to-end results are counted by birth time: a request belongs to the
 * measured window when it was born at or after the warm-up cut, and every
 * measured request ends in exactly one of completed, rejected, timeouts,
 * errors, or is still in flight when the run ends. */
#ifndef SDSIM_MODELS_CLIENT_H
#define SDSIM_MODELS_CLIENT_H

#include <stdint.h>

#include "sim/sim.h"

struct hist;

struct client_totals {
    uint64_t offered;     /* measured requests born */
    uint64_t completed;   /* ... that got a successful reply */
    uint64_t rejected;    /* ... refused by a full queue */
    uint64_t timeouts;    /* ... given up by the client */
    uint64_t errors;      /* ... failed after every attempt */
    uint64_t attempts;    /* attempts made by measured requests */
    struct hist *latency; /* birth to successful reply, retries included */
};

/* The totals of a client component (c->kind->is_client). */
const struct client_totals *client_totals(const struct component *c);

extern const struct kind kind_client;

#endif
