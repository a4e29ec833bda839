/* registry: every component kind and every policy, as plain const tables.
 * The parser, the model builder and `sdsim list` all read these, so what is
 * documented is exactly what is accepted. Adding a policy is one file plus
 * one line here. */
#include <string.h>

#include "models/arrival/arrival.h"
#include "models/kinds/cache.h"
#include "models/scale/autoscale.h"
#include "models/resilience/backoff.h"
#include "models/balance/balance.h"
#include "models/resilience/breaker.h"
#include "models/resilience/bulkhead.h"
#include "models/kinds/client.h"
#include "models/evict/evict.h"
#include "models/data/keys.h"
#include "models/kind.h"
#include "models/admission/limit.h"
#include "models/auth/auth.h"

#include "models/kinds/service.h"
#include "models/data/shard_route.h"
#include "models/resilience/shed.h"

extern const struct kind kind_balancer;
extern const struct kind kind_fault;
extern const struct kind kind_store;
extern const struct kind kind_wars;
extern const struct kind kind_shards;
extern const struct kind kind_replicaset;
extern const struct kind kind_multileader;
extern const struct kind kind_queue;
extern const struct kind kind_consumers;

static const struct kind *const kinds[] = {
    &kind_client,
    &kind_service,
    &kind_balancer,
    &kind_fault,
    &kind_cache,
    &kind_store,
    &kind_wars,
    &kind_shards,
    &kind_replicaset,
    &kind_multileader,
    &kind_queue,
    &kind_consumers,
    NULL,
};

/* Every policy family: a NULL-terminated table of the heads of its
 * policies (each policy struct begins with its struct policy_head), and the
 * family's record for lookups, messages and `sdsim list`. */
extern const struct balance_policy balance_power_of_two_replace;
static const struct policy_head *const balancers[] = {
    &balance_random.head,
    &balance_round_robin.head,
    &balance_weighted_round_robin.head,
    &balance_least_connections.head,
    &balance_power_of_two.head,
    &balance_least_response_time.head,
    &balance_consistent_hash.head,
    &balance_rendezvous.head,
    &balance_hash_mod.head,
    &balance_power_of_two_replace.head,
    NULL,
};

static const struct policy_head *const arrivals[] = {
    &arrival_poisson.head,
    &arrival_constant.head,
    &arrival_ramp.head,
    &arrival_step.head,
    &arrival_spike.head,
    &arrival_diurnal.head,
    &arrival_mmpp.head,
    &arrival_trace.head,
    NULL,
};

/* Resilience policies: client retries, and a service's breakers, bulkheads
 * and load shedding. */
static const struct policy_head *const backoffs[] = {
    &backoff_none.head,
    &backoff_constant.head,
    &backoff_exponential.head,
    NULL,
};

static const struct policy_head *const breakers[] = {
    &breaker_consecutive.head,
    &breaker_count.head,
    &breaker_time.head,
    NULL,
};

static const struct policy_head *const bulkheads[] = {
    &bulkhead_fixed.head,
    &bulkhead_aimd.head,
    &bulkhead_gradient.head,
    NULL,
};

static const struct policy_head *const sheds[] = {
    &shed_none.head,
    &shed_length.head,
    &shed_deadline.head,
    &shed_lifo.head,
    &shed_codel.head,
    NULL,
};

static const struct policy_head *const evictions[] = {
    &evict_lru.head,   &evict_fifo.head,   &evict_random.head, &evict_clock.head,
    &evict_lfu.head,   &evict_sieve.head,  &evict_s3fifo.head, &evict_arc.head,
    &evict_tinylfu.head, &evict_plfu.head, NULL,
};

static const struct policy_head *const strategies[] = {
    &cache_aside.head,        &cache_read_through.head, &cache_write_through.head,
    &cache_write_behind.head, &cache_write_around.head, NULL,
};

/* Rate limiters (a balancer's `limit`). */
static const struct policy_head *const limits[] = {
    &limit_token_bucket.head,  &limit_leaky_bucket.head,   &limit_fixed_window.head,
    &limit_sliding_log.head,   &limit_sliding_window.head, NULL,
};

const struct policy_family balance_family = {
    "balance", "balance policy",
    "how a service spreads requests over its replicas (key: balance)", balancers};
const struct policy_family arrival_family = {
    "arrival", "arrival process", "open-loop arrival processes of a client (key: arrival)",
    arrivals};
const struct policy_family backoff_family = {
    "backoff", "backoff policy", "a client's wait before a retry (key: retry)", backoffs};
const struct policy_family breaker_family = {
    "breaker", "breaker policy",
    "circuit breaker on each of a service's calls (key: breaker)", breakers};
const struct policy_family bulkhead_family = {
    "bulkhead", "bulkhead policy",
    "concurrency limit on each of a service's calls (key: bulkhead)", bulkheads};
const struct policy_family evict_family = {
    "eviction", "eviction policy", "which object a full cache drops (key: eviction)", evictions};
const struct policy_family cache_strategy_family = {
    "strategy", "cache strategy", "what a cache does with writes (key: strategy)", strategies};
const struct policy_family limit_family = {
    "limit", "rate limiter",
    "rate limiting at a balancer or a service (on arrival, before the queue), one limiter per "
    "scope `per` (key: limit); shared by several gateway nodes with `store` (a counter store) "
    "or `sync` (nodes exchange counts)",
    limits};
const struct policy_family shed_family = {
    "shed", "shed policy", "load shedding at a service's queue (key: shed)", sheds};
/* Authentication and authorisation at a service or a balancer (models/auth/auth.c). */
static const struct policy_head *const authns[] = {&auth_none.head, &auth_jwt.head,
                                                   &auth_session.head, NULL};
static const struct policy_head *const rbacs[] = {&rbac_none.head, &rbac_check.head, NULL};
const struct policy_family auth_family = {
    "auth", "auth policy",
    "authentication at a service (on its workers) or a balancer (a delay per request: it has "
    "no workers) (key: auth)",
    authns};
const struct policy_family rbac_family = {
    "rbac", "rbac policy",
    "authorisation at a service (on its workers) or a balancer (a delay per request) (key: rbac)",
    rbacs};

const struct kind *const *kind_all(void)
{
    return kinds;
}

const struct kind *kind_find(const char *name)
{
    for (size_t i = 0; kinds[i]; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

/* Every policy family, in the order of `sdsim list`. */
static const struct policy_family *const families[] = {
    &balance_family,
    &arrival_family,
    &dist_family,
    &keys_family,
    &autoscale_family,
    &balancer_health_family,
    &balancer_outlier_family,
    &backoff_family,
    &breaker_family,
    &bulkhead_family,
    &shed_family,
    &limit_family,
    &auth_family,
    &rbac_family,
    &cache_strategy_family,
    &evict_family,
    &shard_route_family,
    &fault_action_family,
    &fault_link_family,
    NULL,
};

const struct policy_family *const *family_all(void)
{
    return families;
}
