/* evict: helpers shared by the eviction policies. A new policy is one file
 * (models/evict_<name>.c) plus one line in models/registry.c. */
#include "models/evict/evict.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const struct evict_policy *evict_find(const char *name)
{
    const struct policy_head *h = policy_find(evict_family.table, name);
    return h ? evict_of(h) : NULL;
}

double evict_param(const struct param_spec *params, const double *values, size_t i)
{
    if (values)
        return values[i];
    assert(params[i].def && "evict parameters all have defaults");
    return strtod(params[i].def, NULL);
}
