/* registry: every component kind and every policy, as plain const tables.
 * The parser, the model builder and `sdsim list` all read these, so what is
 * documented is exactly what is accepted. Adding a policy is one file plus
 * one line here. */
#include <string.h>

#include "models/arrival.h"
#include "models/cache.h"
#include "models/autoscale.h"
#include "models/backoff.h"
#include "models/balance.h"
#include "models/breaker.h"
#include "models/bulkhead.h"
#include "models/client.h"
#include "models/keys.h"
#include "models/kind.h"

#include "models/service.h"
#include "models/shard_route.h"
#include "models/shed.h"

extern const struct kind kind_balancer;
extern const struct kind kind_fault;
extern const struct kind kind_store;
extern const struct kind kind_wars;
extern const struct kind kind_shards;
extern const struct kind kind_replicaset;
extern const struct kind kind_multileader;

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
    NULL,
};

static const struct balance_policy *const balancers[] = {
    &balance_random,
    &balance_round_robin,
    &balance_weighted_round_robin,
    &balance_least_connections,
    &balance_power_of_two,
    &balance_least_response_time,
    &balance_consistent_hash,
    &balance_rendezvous,
    NULL,
};

static const struct arrival_policy *const arrivals[] = {
    &arrival_poisson,
    &arrival_constant,
    &arrival_ramp,
    &arrival_step,
    &arrival_spike,
    &arrival_diurnal,
    &arrival_mmpp,
    &arrival_trace,
    NULL,
};

/* Resilience policies (issue 6): client retries, and a service's breakers,
 * bulkheads and load shedding. */
static const struct backoff_policy *const backoffs[] = {
    &backoff_none,
    &backoff_constant,
    &backoff_exponential,
    NULL,
};

static const struct breaker_policy *const breakers[] = {
    &breaker_consecutive,
    &breaker_count,
    &breaker_time,
    NULL,
};

static const struct bulkhead_policy *const bulkheads[] = {
    &bulkhead_fixed,
    &bulkhead_aimd,
    &bulkhead_gradient,
    NULL,
};

static const struct shed_policy *const sheds[] = {
    &shed_none,
    &shed_length,
    &shed_deadline,
    &shed_lifo,
    &shed_codel,
    NULL,
};

const struct backoff_policy *const *backoff_policies(void)
{
    return backoffs;
}

const struct breaker_policy *const *breaker_policies(void)
{
    return breakers;
}

const struct bulkhead_policy *const *bulkhead_policies(void)
{
    return bulkheads;
}

const struct shed_policy *const *shed_policies(void)
{
    return sheds;
}

/* One docs function per resilience family: the tables differ in type but
 * share the three documented fields. */
#define RESIL_DOCS(fn, tab)                                                                     \
    static size_t fn(struct policy_doc *out, size_t max)                                        \
    {                                                                                           \
        size_t n = 0;                                                                           \
        for (; tab[n] && n < max; n++)                                                          \
            out[n] = (struct policy_doc){tab[n]->name, tab[n]->summary, tab[n]->params};        \
        return n;                                                                               \
    }
RESIL_DOCS(backoff_docs, backoffs)
RESIL_DOCS(breaker_docs, breakers)
RESIL_DOCS(bulkhead_docs, bulkheads)
RESIL_DOCS(shed_docs, sheds)

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

const struct balance_policy *const *balance_policies(void)
{
    return balancers;
}

const struct arrival_policy *const *arrival_policies(void)
{
    return arrivals;
}

/* Documentation views of the policy tables, for `sdsim list`: filled from
 * the same structs the parser uses. */
static size_t balance_docs(struct policy_doc *out, size_t max)
{
    size_t n = 0;
    for (; balancers[n] && n < max; n++)
        out[n] = (struct policy_doc){balancers[n]->name, balancers[n]->summary,
                                     balancers[n]->params};
    return n;
}

static size_t arrival_docs(struct policy_doc *out, size_t max)
{
    size_t n = 0;
    for (; arrivals[n] && n < max; n++)
        out[n] = (struct policy_doc){arrivals[n]->name, arrivals[n]->summary,
                                     arrivals[n]->params};
    return n;
}

static size_t dist_docs(struct policy_doc *out, size_t max)
{
    const struct dist_info *di = dist_catalogue();
    size_t n = 0;
    for (; di[n].name && n < max; n++)
        out[n] = (struct policy_doc){di[n].name, di[n].summary, di[n].params};
    return n;
}

static const struct family families_tab[] = {
    {"balance", "how a service spreads requests over its replicas (key: balance)", balance_docs},
    {"arrival", "open-loop arrival processes of a client (key: arrival)", arrival_docs},
    {"dist", "distributions for durations (service, think, latency)", dist_docs},
    {"keys", "request key distributions of a client (key: keys)", keys_docs},
    {"autoscale", "horizontal autoscalers of a service (key: autoscale)", autoscale_docs},
    {"health", "a balancer's health checks and outlier detection (keys: health, outlier)",
     balancer_health_docs},
    {"backoff", "a client's wait before a retry (key: retry)", backoff_docs},
    {"breaker", "circuit breaker on each of a service's calls (key: breaker)", breaker_docs},
    {"bulkhead", "concurrency limit on each of a service's calls (key: bulkhead)", bulkhead_docs},
    {"shed", "load shedding at a service's queue (key: shed)", shed_docs},
    {"strategy", "what a cache does with writes (key: strategy)", cache_strategy_docs},
    {"eviction", "which object a full cache drops (key: eviction)", cache_eviction_docs},
    {"sharding", "which shard owns a key, for [shards] (key: sharding)", shard_route_docs},
};

static const struct family *const families[] = {
    &families_tab[0],
    &families_tab[1],
    &families_tab[2],
    &families_tab[3],
    &families_tab[4],
    &families_tab[5],
    &families_tab[6],
    &families_tab[7],
    &families_tab[8],
    &families_tab[9],
    &families_tab[10],
    &families_tab[11],
    &families_tab[12],
    NULL,
};

const struct family *const *family_all(void)
{
    return families;
}
