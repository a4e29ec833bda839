/* evict: the registry of eviction policies. A new policy is one file
 * (models/evict_<name>.c) plus one line in the table below. */
#include "models/evict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const struct evict_policy *const registry[] = {
    &evict_lru,   &evict_fifo,   &evict_random, &evict_clock,   &evict_lfu,
    &evict_sieve, &evict_s3fifo, &evict_arc,    &evict_tinylfu, &evict_plfu, NULL,
};

const struct evict_policy *const *evict_policies(void)
{
    return registry;
}

const struct evict_policy *evict_find(const char *name)
{
    for (size_t i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

double evict_param(const struct param_spec *params, const double *values, size_t i)
{
    if (values)
        return values[i];
    assert(params[i].def && "evict parameters all have defaults");
    return strtod(params[i].def, NULL);
}
