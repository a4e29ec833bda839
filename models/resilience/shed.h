/* shed: load shedding at a service's queue (key `shed`). The service asks
 * its policy at arrival (may this request wait?) and at every dequeue
 * (which end to take; should the request taken be dropped?). A shed request
 * is rejected with cause CAUSE_SHED.
 *
 * Policies (`sdsim list shed`):
 *   none                              plain FIFO
 *   length(max=100)                   reject on arrival when `max` wait already
 *   deadline(wait=100ms)              drop at dequeue what waited longer than `wait`
 *   lifo(above=0)                     serve the newest first while more than
 *                                     `above` wait (adaptive LIFO, as at
 *                                     Facebook: "Fail at Scale", Maurer 2015)
 *   codel(target=5ms, interval=100ms) CoDel (Nichols & Jacobson, "Controlling
 *                                     Queue Delay", ACM Queue 2012): once the
 *                                     sojourn time has stayed above target for
 *                                     an interval, drop at dequeue, the next
 *                                     drops interval/sqrt(count) apart, until
 *                                     a request's sojourn falls below target
 *                                     (RFC 8289's pseudocode).
 *                                     The last request waiting is never dropped.
 * Each decision is O(1). */
#ifndef SDSIM_MODELS_SHED_H
#define SDSIM_MODELS_SHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct shed;

struct shed_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct shed *s, const struct spec *sp, struct diag *d); /* may be NULL */
    /* May a request wait, finding `waiting` requests queued? NULL: yes. */
    bool (*admit)(const struct shed *s, size_t waiting);
    /* Take the newest instead of the oldest, with `waiting` queued? NULL: no. */
    bool (*lifo)(const struct shed *s, size_t waiting);
    /* Drop the request just taken from the queue after sojourn_ns, with
     * `left` still waiting? first: the first take of this dequeue (false
     * after a drop). NULL: never. */
    bool (*drop)(struct shed *s, int64_t now_ns, int64_t sojourn_ns, size_t left, bool first);
};

struct shed {
    const struct shed_policy *pol;
    long long max;         /* length: most waiting; lifo: above */
    int64_t wait_ns;       /* deadline */
    int64_t target_ns, interval_ns; /* codel */
    /* CoDel state (names from the paper's pseudocode) */
    int64_t first_above_ns; /* 0: sojourn below target */
    int64_t drop_next_ns;
    uint32_t count, lastcount;
    bool dropping;
    bool just_entered;     /* the take after entering the dropping state is kept */
};

int shed_setup(struct shed *s, const char *text, struct loc loc, struct diag *d);

extern const struct policy_family shed_family; /* its policies, registry.c */

extern const struct shed_policy shed_none;
extern const struct shed_policy shed_length;
extern const struct shed_policy shed_deadline;
extern const struct shed_policy shed_lifo;
extern const struct shed_policy shed_codel;

#endif
