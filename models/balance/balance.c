/* balance: policy lookup and set-up shared by every balancing policy. */
#include "models/balance/balance.h"

#include <string.h>

#include "sim/units.h"

int balance_setup(struct balance *b, const char *text, struct loc loc, uint32_t n,
                  const struct rng *stream, struct diag *d)
{
    memset(b, 0, sizeof *b);
    b->n = n;
    b->cap = n;
    b->rng = *stream;
    struct spec sp;
    const struct policy_head *h = policy_setup(&balance_family, text, loc, &sp, d);
    if (!h)
        return -1;
    b->pol = (const struct balance_policy *)h;
    return b->pol->init ? b->pol->init(b, &sp, d) : 0;
}

void balance_fini(struct balance *b)
{
    if (b->pol && b->pol->fini)
        b->pol->fini(b);
    b->state = NULL;
}

int balance_read_staleness(const struct spec *sp, const struct param_spec *params,
                           int64_t *refresh_ns, bool *count_picks, struct diag *d)
{
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, params, "refresh", &loc);
    int rc = 0;
    if (units_parse_duration(v, refresh_ns, &why) < 0)
        rc = diag_error(d, loc, "bad duration '%s' for 'refresh': %s", v, why);
    else if (*refresh_ns < 0)
        rc = diag_error(d, loc, "'refresh' must not be negative, got '%s'", v);
    v = spec_value(sp, params, "count_picks", &loc);
    if (units_parse_bool(v, count_picks, &why) < 0)
        rc = diag_error(d, loc, "bad value '%s' for 'count_picks': %s", v, why);
    return rc;
}

int balance_read_ring_seed(const struct spec *sp, const struct param_spec *params,
                           const struct rng *stream, uint64_t *salt, struct diag *d)
{
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, params, "ring_seed", &loc);
    long long x;
    *salt = 0;
    if (strcmp(v, "fixed") == 0)
        return 0;
    if (strcmp(v, "run") == 0) {
        struct rng r = *stream; /* a copy: the policy's own draws stay as they were */
        *salt = rng_next(&r);
        return 0;
    }
    if (units_parse_int(v, &x, &why) < 0 || x < 0)
        return diag_error(d, loc, "bad ring_seed '%s': fixed, run or a whole number >= 0", v);
    *salt = x == 0 ? 0 : rng_mix64((uint64_t)x);
    return 0;
}
