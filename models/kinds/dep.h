/* dep: a guarded call from a component to one dependency: a per-call
 * timeout, a circuit breaker and a bulkhead, any of them optional.
 *
 * One request object normally travels the whole call chain, so a caller
 * cannot stop waiting for it. A guarded call therefore sends a child
 * request (same work seed, key and attempt, so the callee does the same
 * work as for an unguarded call) whose only frame below the callee's is
 * the caller's; the parent stays with the caller. When the child's reply
 * comes back (the caller's on_reply sees a request of depth 1 and hands it
 * to dep_on_reply) or its timeout fires first, the parent takes the
 * outcome and the caller's continuation `done` runs. A child that timed out
 * is marked abandoned, so a callee with drop_abandoned drops it, and it is
 * freed when its late reply arrives.
 *
 * Outcomes given to the parent: the child's status; REQ_ERROR with
 * CAUSE_CALL_TIMEOUT on a timeout; REQ_REJECTED with CAUSE_BREAKER (breaker
 * open, fail fast) or REQ_OK with CAUSE_FALLBACK (breaker open, fallback
 * reply); REQ_REJECTED with CAUSE_BULKHEAD (limit and queue full).
 * A call's outcome feeds the breaker and the adaptive limit, except a call
 * dropped by the callee because its caller had gone (not the dependency's
 * fault).
 *
 * Hedging (`hedge_ns` > 0, as a client's `hedge`): when no copy has come
 * back hedge_ns after the last one was sent, another copy goes (if the
 * breaker and the bulkhead let it, else none), up to `hedges` extra copies.
 * The first success is the outcome; a failure waits for the copies still
 * out and the last one's failure is the outcome. When the outcome is known
 * the other copies are given up (marked abandoned: a callee with
 * drop_abandoned drops them; the breaker forgets them). The copies of one
 * call are kept in a `struct dep_hedge` record of the dep's table, whose
 * index + 1 the child's frame keeps in `step`. */
#ifndef SDSIM_MODELS_DEP_H
#define SDSIM_MODELS_DEP_H

#include <stdbool.h>
#include <stdint.h>

#include "models/resilience/breaker.h"
#include "models/resilience/bulkhead.h"
#include "sim/sim.h"

/* The caller's continuation: r (the parent) has its status and cause set. */
typedef void dep_done_fn(struct sim *sim, struct component *from, struct request *r);

struct dep_wait {
    struct request *r;
    uint32_t ticket;  /* breaker admission */
};

#define DEP_HEDGES_MAX 4 /* extra copies of a hedged call at most */

/* A hedged call in flight: the parent and its copies still awaited. */
struct dep_hedge {
    struct request *r;                          /* the parent, or NULL: free */
    struct request *copy[DEP_HEDGES_MAX + 1];   /* awaited copies, ncopies of them */
    uint32_t ncopies;
    uint32_t sent;                              /* copies sent, the first included */
    uint64_t timer;                             /* the next hedge, or EVQ_NONE */
    uint32_t next_free;                         /* free list link (index + 1, 0: end) */
};

struct dep {
    struct component *from, *to;
    uint32_t index;        /* in from->callees */
    dep_done_fn *done;
    int64_t timeout_ns;    /* 0: none */
    bool has_breaker, has_bulkhead;
    bool fallback;         /* breaker open: reply OK (fallback) instead of failing fast */
    struct breaker br;
    struct bulkhead bh;
    struct dep_wait *wait; /* the bulkhead's FIFO queue (ring) */
    size_t head, len, cap;
    uint64_t seen_opens;   /* br.opens when the open timer was last set */
    int64_t hedge_ns;      /* 0: no hedging */
    uint32_t max_hedges;   /* extra copies per call at most */
    struct dep_hedge *hedge_tab; /* hedged calls (grows; indices are stable) */
    uint32_t hedge_cap, hedge_free; /* free list head: index + 1, 0: empty */
    struct level open_lvl, half_lvl, inflight_lvl, queue_lvl;
    /* counters over the measured window (dep_reset at the cut) */
    uint64_t calls, timeouts, rej_breaker, rej_bulkhead, fallbacks, opens_at_cut, hedges;
    uint64_t cycles_at_cut, reopens_at_cut; /* br.cycles and br.reopens at the cut */
};

/* The settings shared by every dependency of a component. The strings are
 * policy specs or NULL (none). */
struct dep_config {
    int64_t timeout_ns;
    const char *breaker;
    struct loc breaker_loc;
    const char *bulkhead;
    struct loc bulkhead_loc;
    bool fallback;
    int64_t hedge_ns;      /* 0: no hedging */
    uint32_t hedges;       /* extra copies at most, 1..DEP_HEDGES_MAX */
};

struct sc_section;
struct param_spec;
/* Reads the guard keys every kind with guarded calls shares, call_timeout,
 * breaker, bulkhead and fallback, from section s (params: its kind's
 * table) into cfg; "none" leaves a guard off. Returns 0 or -1 (reported). */
int dep_read_guards(const struct sc_section *s, const struct param_spec *params,
                    struct dep_config *cfg, struct diag *d);
/* Sets up dp for calls from `from` to from->callees[index]. Returns 0 or -1. */
int dep_setup(struct sim *sim, struct dep *dp, struct component *from, uint32_t index,
              const struct dep_config *cfg, dep_done_fn *done, struct diag *d);
void dep_fini(struct dep *dp);
void dep_reset(struct dep *dp); /* at the warm-up cut */

/* Calls the dependency for parent r (whose top frame is the caller's). The
 * continuation runs later, or at once when the call is refused. */
void dep_call(struct sim *sim, struct dep *dp, struct request *r);
/* A child came back to its caller (deps: the caller's dep array). */
void dep_on_reply(struct sim *sim, struct dep *deps, struct request *child);

/* Has anyone up r's chain of callers given up on it? */
bool dep_caller_gone(const struct request *r);

/* 0 closed, 0.5 half-open, 1 open (for the time series). */
double dep_breaker_state(const struct dep *dp);

#endif
