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
    uint64_t rate_limited; /* ... refused by a rate limiter */
    uint64_t unauthenticated; /* ... refused by a service's auth (failed refresh or lookup) */
    uint64_t denied;      /* ... refused by a service's authorisation (never retried) */
    uint64_t timeouts;    /* ... given up by the client */
    uint64_t errors;      /* ... failed after every attempt */
    uint64_t attempts;    /* attempts made by measured requests */
    uint64_t fallbacks;   /* completed ones answered by a breaker's fallback */
    struct hist *latency; /* birth to successful reply, retries included */
    struct hist *latency_failed; /* birth to a failed end: rejection, error or timeout */
};

/* Outcomes by cause and the work of the resilience policies, counted for
 * measured requests (born after the warm-up cut). */
struct client_resil {
    uint64_t rejected_queue;    /* rejected: a full queue */
    uint64_t rejected_breaker;  /* rejected: a breaker was open */
    uint64_t rejected_bulkhead; /* rejected: a bulkhead was full */
    uint64_t rejected_shed;     /* rejected: load shedding */
    uint64_t errors_call_timeout; /* failed: a call between components timed out */
    uint64_t errors_dropped;    /* failed: dropped because a caller had gone */
    uint64_t errors_failed;     /* failed: the service failed it */
    uint64_t attempt_timeouts;  /* attempts given up (attempt_timeout) */
    uint64_t hedges;            /* hedged copies sent */
    uint64_t retries_denied;    /* retries (or hedges) refused by the retry budget */
};

/* The totals of a client component (c->kind->is_client). */
const struct client_totals *client_totals(const struct component *c);

/* The client's mean request rate, for cost estimates: the arrival process's
 * long-run rate, or for a closed loop users / mean think time (an upper
 * bound: it leaves out the time a user waits for its reply). */
double client_rate_per_s(const struct component *c);

extern const struct kind kind_client;

#endif
