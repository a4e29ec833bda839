/* nodefault: the fault state of one node that serves requests (a service
 * replica, a store, a cache node, a replicaset or multileader node), the one
 * function that applies a scheduled fault action or its recovery to it, the
 * queries a kind asks where a node starts service, finishes it or replies,
 * and the table of which fault actions each kind supports (models/kinds/fault.c
 * refuses the others at build time).
 *
 * Every kind with nodes keeps one struct nodefault per node and asks it the
 * same questions, so an action means the same thing everywhere:
 *   crash     the node is down (what it was doing and what it holds fail;
 *             the kind says how: nodefault_apply tells it when to act);
 *   slow      its service times are multiplied by the factor;
 *   errors    each request it serves fails with that probability, when its
 *             service ends (before anything is committed);
 *   latency   the time is added to the node's replies.
 * A fault-free node draws nothing and scales nothing, so a scenario without
 * faults gives the same results whether or not a kind uses this module. */
#ifndef SDSIM_MODELS_NODEFAULT_H
#define SDSIM_MODELS_NODEFAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/kind.h" /* enum fault_action */
#include "sim/rng.h"

struct nodefault {
    bool up;            /* false while crashed */
    double slow;        /* service-time factor from slow(factor=); 1: normal */
    double error_ratio; /* errors(rate=): share of served requests that fail; 0: none */
    int64_t add_ns;     /* latency(add=): added to the node's replies; 0: none */
};

/* What nodefault_apply asks the kind to do. */
enum nodefault_change {
    NODEFAULT_SAME,      /* nothing beyond the new state */
    NODEFAULT_CRASHED,   /* the node just went down: fail its work */
    NODEFAULT_RECOVERED, /* the node just came back: resync, catch up */
};

/* A healthy node. */
void nodefault_init(struct nodefault *nf);

/* Starts (start = true) or ends action a on nf, value being the action's
 * parameter (a factor, a probability, nanoseconds). A crash of a node
 * that is down, or a recovery of one that is up, changes nothing. */
enum nodefault_change nodefault_apply(struct nodefault *nf, enum fault_action a, double value,
                                      bool start);

/* A service time of demand nanoseconds (not yet rounded) at this node. */
static inline double nodefault_scale(const struct nodefault *nf, double demand_ns)
{
    return demand_ns * nf->slow;
}

/* A service time of base_ns at this node, rounded to whole nanoseconds;
 * exactly base_ns when the node is not slow. */
static inline int64_t nodefault_service_ns(const struct nodefault *nf, int64_t base_ns)
{
    if (nf->slow == 1.0)
        return base_ns;
    return (int64_t)((double)base_ns * nf->slow + 0.5);
}

/* Whether a request whose service at this node just ended fails. Draws from
 * rng only while an errors fault is on, so a healthy node leaves rng as it
 * was. */
static inline bool nodefault_fails(const struct nodefault *nf, struct rng *rng)
{
    return nf->error_ratio > 0 && rng_uniform(rng) < nf->error_ratio;
}

/* Nanoseconds added to each reply the node sends. */
static inline int64_t nodefault_extra_latency_ns(const struct nodefault *nf)
{
    return nf->add_ns;
}

/* ---- which actions each kind supports ---------------------------------- */

/* Bit of action a in a support mask; NODEFAULT_PARTITION is `action =
 * partition` (a node cut off from its component's other nodes). */
#define NODEFAULT_BIT(a) (1u << (unsigned)(a))
#define NODEFAULT_PARTITION (1u << 4)

/* The actions a kind named `kind` supports, as a mask of NODEFAULT_BIT and
 * NODEFAULT_PARTITION; 0: it has no nodes and takes no fault. */
unsigned nodefault_supported(const char *kind);

/* Writes the names of the actions in mask, comma-separated ("crash, slow,
 * errors, latency"), to buf (always terminated). */
void nodefault_action_names(unsigned mask, char *buf, size_t size);

/* Writes the names of the kinds that take faults, comma-separated. */
void nodefault_kind_names(char *buf, size_t size);

#endif
