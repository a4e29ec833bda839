/* balance: how a service (and later a balancer component) picks one of n
 * replicas for a request. A policy is a const table registered by name in
 * models/registry.c; its per-instance state lives in struct balance.
 * The service tells the balancer when a replica starts and finishes a
 * request, so load-aware policies can keep their own (possibly stale) view. */
#ifndef SDSIM_MODELS_BALANCE_H
#define SDSIM_MODELS_BALANCE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct request;
struct balance;

struct balance_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct balance *b, const struct spec *sp, struct diag *d); /* may be NULL */
    /* Chooses a replica in [0, n). Cost stated in each policy's file. */
    uint32_t (*pick)(struct balance *b, const struct request *r);
    void (*on_start)(struct balance *b, uint32_t replica);                    /* may be NULL */
    void (*on_done)(struct balance *b, uint32_t replica, int64_t latency_ns); /* may be NULL */
    /* Called by balance_resize when the eligible replicas become [0, n), with
     * 1 <= n <= b->cap and b->n already set to n; later picks return indices
     * < n. Replicas at or above n keep their state: requests in flight there
     * still end with on_done, and a request sent to one by index (a balancer
     * component's choice) still starts with on_start. NULL when pick depends
     * on b->n alone. Cost stated in each policy's file. */
    void (*resize)(struct balance *b, uint32_t n);
    void (*fini)(struct balance *b); /* may be NULL */
    /* Theory (models/theorycheck.h): d when every pick joins the replica
     * with the fewest requests in flight among d sampled uniformly at random
     * on exact counts (the power of d choices), *replace whether the d are
     * drawn with replacement; 0: not that. May be NULL (0). */
    uint32_t (*theory_choices)(const struct balance *b, bool *replace);
};

struct balance {
    const struct balance_policy *pol;
    uint32_t n;             /* eligible replicas [0, n), 1 <= n <= cap */
    uint32_t cap;           /* replicas given to balance_setup: state is sized for these */
    struct rng rng;         /* the balancer's own stream */
    uint64_t next;          /* round-robin position */
    int64_t now_ns;         /* simulated time of the current pick/start/done */
    const double *weight;   /* per-replica weight (cap entries), or NULL: all 1 */
    void *state;            /* owned by the policy */
};

/* Parses "name(k=v, ...)" at loc and sets up b for n replicas, all eligible
 * (b->n = b->cap = n; balance_resize may lower n later). Returns 0 or -1
 * (unknown policy: the message lists the known ones). */
int balance_setup(struct balance *b, const char *text, struct loc loc, uint32_t n,
                  const struct rng *stream, struct diag *d);
void balance_fini(struct balance *b);

/* Reads the stale-view parameters shared by the load-aware policies:
 * `refresh` (a duration >= 0; 0 = exact) and `count_picks` (a bool). */
int balance_read_staleness(const struct spec *sp, const struct param_spec *params,
                           int64_t *refresh_ns, bool *count_picks, struct diag *d);

/* Reads `ring_seed` for the hash rings: "fixed" (salt 0, the same ring in
 * every run), "run" (a salt drawn from a copy of stream, the run's own ring)
 * or a whole number (another fixed ring; 0 is "fixed"). Returns 0 or -1. */
int balance_read_ring_seed(const struct spec *sp, const struct param_spec *params,
                           const struct rng *stream, uint64_t *salt, struct diag *d);

/* Makes replicas [0, n) eligible (1 <= n <= b->cap), as when an autoscaler
 * adds or drains replicas. Nothing happens when n == b->n. */
static inline void balance_resize(struct balance *b, uint32_t n)
{
    assert(n >= 1 && n <= b->cap && "resize beyond the replicas set up");
    if (n == b->n)
        return;
    b->n = n;
    if (b->pol->resize)
        b->pol->resize(b, n);
}

static inline uint32_t balance_pick(struct balance *b, const struct request *r)
{
    return b->n == 1 ? 0 : b->pol->pick(b, r);
}

extern const struct policy_family balance_family; /* its policies, registry.c */

extern const struct balance_policy balance_random;
extern const struct balance_policy balance_round_robin;
extern const struct balance_policy balance_weighted_round_robin;
extern const struct balance_policy balance_least_connections;
extern const struct balance_policy balance_power_of_two;
extern const struct balance_policy balance_least_response_time;
extern const struct balance_policy balance_consistent_hash;
extern const struct balance_policy balance_rendezvous;
extern const struct balance_policy balance_hash_mod;

#endif
