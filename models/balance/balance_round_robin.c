/* balance_round_robin: replicas in strict cyclic order 0, 1, ..., n-1, 0, ...
 * With Poisson arrivals each replica sees Erlang-n interarrival times, which
 * is why round robin beats random (validation cases LB-RR-*). Cost: O(1). */
#include "models/balance/balance.h"

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    uint32_t i = (uint32_t)(b->next % b->n);
    b->next++;
    return i;
}

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

const struct balance_policy balance_round_robin = {
    .head.name = "round_robin",
    .head.summary = "strict cyclic order; each replica sees every n-th request",
    .head.params = params,
    .pick = pick,
};
