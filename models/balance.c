/* balance: policy lookup and set-up shared by every balancing policy. */
#include "models/balance.h"

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
    if (spec_parse(&sp, text, loc, d) < 0)
        return -1;
    const struct balance_policy *const *all = balance_policies();
    const char *names[64];
    size_t nn = 0;
    for (; all[nn] && nn < 64; nn++) {
        names[nn] = all[nn]->name;
        if (strcmp(all[nn]->name, sp.name) == 0)
            b->pol = all[nn];
    }
    if (!b->pol) {
        const char *near = diag_closest(sp.name, names, nn);
        char known[512] = "";
        for (size_t i = 0; i < nn; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, names[i], sizeof known - strlen(known) - 1);
        }
        if (near)
            return diag_error(d, sp.loc, "unknown balance policy '%s' (did you mean '%s'?)",
                              sp.name, near);
        return diag_error(d, sp.loc, "unknown balance policy '%s' (known: %s)", sp.name, known);
    }
    char what[96];
    snprintf(what, sizeof what, "balance policy '%s'", b->pol->name);
    if (spec_check(&sp, b->pol->params, what, d) < 0)
        return -1;
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
