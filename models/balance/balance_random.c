/* balance_random: each request goes to a replica chosen uniformly at random,
 * independently of load. With Poisson arrivals each replica then sees a
 * Poisson stream (thinning), so N replicas behave as N independent M/M/1
 * queues (validation case LB-RANDOM). Cost: O(1). */
#include "models/balance/balance.h"

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    return (uint32_t)rng_below(&b->rng, b->n);
}

static const struct param_spec params[] = {{NULL, NULL, NULL, NULL}};

const struct balance_policy balance_random = {
    .head.name = "random",
    .head.summary = "uniformly random replica, blind to load; N replicas act as N M/M/1 queues",
    .head.params = params,
    .pick = pick,
};
