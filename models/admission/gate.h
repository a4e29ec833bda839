/* gate: admission in front of a component's work, the one piece a
 * [balancer] (a gateway) and a [service] share for the keys
 *
 *   limit, retry_after, store, store_timeout, on_store_error, sync,
 *   limit_nodes   (a rate limiter, models/admission/limit.h)
 *   auth, rbac    (authentication and authorisation, models/auth/auth.h)
 *
 * with the same meaning, the same errors and the same runs.csv and
 * time-series columns on both. The owner calls gate_arrive when a request
 * arrives (its frame pushed) and goes on with its own work when the gate
 * lets the request through: at once (gate_arrive returns false) or later,
 * through the owner's pass callback (after a leaky bucket's delay, a
 * counter store's answer, a token refresh). A refused request is answered
 * by the gate: rate limited (a 429, REQ_REJECTED, CAUSE_RATE_LIMITED, with
 * the Retry-After hint when retry_after = true, counted in the owner's
 * rejected), or, when the counter store fails and on_store_error = deny,
 * an error (counted in the owner's errors). The limiter judges each
 * request on arrival, before anything else: at a service, before the
 * request queues, so a refused request never takes a worker.
 *
 * A limiter shared by several gateway nodes is modelled two ways:
 *
 * - `store = NAME`: the count lives in a counter store (a `store`
 *   component). Each check is a write of the scope's counter (its key is
 *   the scope value) sent to the store; the request waits for the reply,
 *   and the limiter decides when it comes back (the store's answer, in the
 *   order the answers arrive): exact, at the price of the store's latency
 *   and queue. A check that fails (the store refuses it, errs, is down) or
 *   gets no answer within `store_timeout` is settled by `on_store_error`:
 *   allow (let the request through uncounted: fail open) or deny (the
 *   request fails as an error: fail closed). A check that timed out but
 *   that the store still served lands all the same: when its late answer
 *   comes, the counter takes the increment the store made (the limiter
 *   applies the check to the scope's state without a verdict), so later
 *   requests see it, as they would at a real counter.
 * - `sync = 100ms` with `limit_nodes = N`: each request goes to one of N
 *   gateway nodes (uniformly at random), and each node decides alone, on
 *   its own copy of the limiter. Every interval the nodes send their counts
 *   to the others: after a sync a node's copy holds the global count (all
 *   nodes' admissions so far), and it adds its own admissions until the
 *   next, so it admits against the global limit minus the others' counts
 *   as of the last sync. Between syncs the others' admissions are unseen:
 *   the cluster admits more than the limit (over_admission).
 *
 * Both keep a shadow: the one exact limiter at one place that every
 * request would have met, and report over_admission = admitted / what the
 * shadow admitted - 1.
 *
 * Auth and rbac: at a service they run on a worker (models/kinds/service.c
 * owns that part: the verify and check costs are worker time). A balancer
 * has no workers, so at a balancer the gate runs them itself, after the
 * limiter: a token refresh first when the user's token expired, then the
 * local work (jwt verify, rbac check) as a delay of its own per request,
 * with no queue and no limit on how many requests verify at once (the
 * assumption: the gateway's CPU is not the bottleneck; to model a gateway
 * whose CPU saturates, make it a [service] with these keys), then the
 * calls (signing keys, session lookup, policy service) to the named
 * components as at a service, the gateway being one verifier. A request
 * ends unauthenticated or denied as at a service (REQ_REJECTED, counted
 * in the owner's rejected). */
#ifndef SDSIM_MODELS_GATE_H
#define SDSIM_MODELS_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/admission/limit.h"
#include "models/auth/auth.h"
#include "sim/rng.h"
#include "sim/sim.h"

struct sc_section;
struct param_spec;
struct metric_out;
struct napkin_flow;

/* The gate let r through (its top frame is the owner's): the owner goes on. */
typedef void (*gate_pass_fn)(struct sim *sim, struct component *owner, struct request *r);

struct gate {
    struct component *owner;
    gate_pass_fn pass;
    bool has_limit;       /* `limit` set: lim checks every request */
    bool retry_after;     /* rate-limited replies carry the limiter's hint */
    struct limit lim;     /* the limiter (with sync: the global count) */
    /* distributed limiting (see the top of this file) */
    bool has_store;          /* `store`: checks go to `store` */
    struct component *store; /* the counter store */
    bool store_callee;       /* the store is the owner's callees[1] (a balancer) */
    bool fail_open;          /* on_store_error = allow */
    int64_t store_timeout_ns;
    int64_t sync_ns;         /* `sync`: 0 off */
    uint32_t nnodes;         /* limit_nodes */
    struct limit *nodes;     /* with sync: each node's copy */
    struct rng node_rng;     /* which node a request reaches */
    bool has_shadow;
    struct limit shadow;     /* the exact limiter at one place */
    uint64_t store_checks, store_errors; /* measured window */
    int64_t check_ns_sum;    /* time the measured checks took */
    /* auth run by the gate itself (a balancer's; NULL at a service, whose
     * auth runs on its workers) */
    struct auth *auth;
};

/* The parameter rows of the limiter keys, shared by every kind with a gate. */
#define GATE_LIMIT_PARAMS                                                                      \
    {"limit", "policy", "none",                                                                \
     "rate limiter judging each request on arrival (at a service before it queues: a "         \
     "refused request takes no worker), e.g. token_bucket(rate=100/s, burst=20, per=key) "     \
     "(see `sdsim list limit`); refused requests end as rate_limited"},                        \
        {"retry_after", "bool", "false",                                                       \
         "rate-limited replies carry a Retry-After hint (when the limiter would admit the "    \
         "next one); a client retrying on rate_limited waits at least that long"},             \
        {"store", "component", "",                                                             \
         "the limit's count lives in this store: each check is a write to it (key: the "       \
         "scope), and the request waits for the answer (the cost of a central counter); a "    \
         "check that times out but is served still counts"},                                   \
        {"store_timeout", "duration", "1s",                                                    \
         "with store: a check not answered in this time is a store error"},                    \
        {"on_store_error", "allow|deny", "allow",                                              \
         "with store: a failed or timed-out check lets the request through uncounted "         \
         "(allow: fail open) or fails it as an error (deny: fail closed)"},                    \
        {"sync", "duration", "0",                                                              \
         "the limit runs on limit_nodes gateway nodes, each deciding on its own copy; every "  \
         "sync interval they exchange counts (a node admits against the global limit minus "   \
         "the others' counts as of the last sync); 0: one node"},                              \
        {"limit_nodes", "int", "1",                                                            \
         "with sync: gateway nodes, each request reaching one at random"}

/* Reads the limiter keys of section s (params: the kind's table, with
 * GATE_LIMIT_PARAMS). With store_as_callee the store is read as the
 * owner's second callee (after `to`: a balancer, whose callees are its
 * own); otherwise looked up by name (a service, whose callees are its
 * `calls`). Returns 0 or -1 (reported in d). */
int gate_setup(struct sim *sim, struct gate *g, struct component *owner, gate_pass_fn pass,
               const struct sc_section *s, const struct param_spec *params,
               bool store_as_callee, struct diag *d);
/* Reads `auth` and `rbac` for a gate that runs them itself (a balancer);
 * one verifier. Returns 0 or -1. */
int gate_setup_auth(struct sim *sim, struct gate *g, const struct sc_section *s,
                    const struct param_spec *params, struct diag *d);
void gate_start(struct sim *sim, struct gate *g);
void gate_reset(struct gate *g);
void gate_fini(struct gate *g);

/* r just arrived (its frame pushed): false when it goes on at once, true
 * when the gate took it (refused, or pass() follows). Inline so that a
 * component with neither a limit nor gate auth (most of them) pays two
 * loads per request, not a call. */
bool gate_judge(struct sim *sim, struct gate *g, struct request *r);
static inline bool gate_arrive(struct sim *sim, struct gate *g, struct request *r)
{
    return (g->has_limit || g->auth) && gate_judge(sim, g, r);
}
/* Is r (arriving at the owner's on_reply) one of the gate's calls (a limit
 * check, an auth call)? Then it is handled and true is returned. */
bool gate_on_reply(struct sim *sim, struct gate *g, struct request *r);

/* Runs.csv metrics of the limiter (none without one) and of a gate's auth. */
size_t gate_metrics(const struct sim *sim, const struct gate *g, int64_t end_ns,
                    struct metric_out *out, size_t max);
/* Time-series columns of the limiter: limiter_entries, admitted_rps, limit_rps. */
size_t gate_ts_extra(const struct sim *sim, const struct gate *g, const char **names,
                     double *values, size_t max);
/* Napkin math (models/napkin.h): the components the gate calls that are
 * not the owner's callees (a service's counter store, the auth
 * components), with the load each gets when the owner is offered in_rps
 * (NAN: unknown); out may be NULL. Returns how many (at most max). */
size_t gate_napkin_side(const struct gate *g, double in_rps, const struct component **to,
                        struct napkin_flow *out, size_t max);

/* The gate of c (a balancer or a service), or NULL. */
struct gate *gate_of(const struct component *c);
/* The limiter of c (a balancer or a service with `limit`), or NULL. */
const struct limit *gate_limit_of(const struct component *c);
/* Does c (a balancer or a service) authenticate or authorise? */
bool gate_has_auth(const struct component *c);

#endif
