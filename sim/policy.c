/* policy: lookup, errors and checks shared by every policy family (see
 * policy.h). */
#include "sim/policy.h"

#include <stdio.h>
#include <string.h>

const struct policy_head *policy_find(const struct policy_head *const *table, const char *name)
{
    for (size_t i = 0; table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

size_t policy_count(const struct policy_family *f)
{
    size_t n = 0;
    while (f->table[n])
        n++;
    return n;
}

#define POLICY_MAX_NAMES 64

const struct policy_head *policy_lookup(const struct policy_family *f, const struct spec *sp,
                                        struct diag *d)
{
    const struct policy_head *h = policy_find(f->table, sp->name);
    if (h)
        return h;
    const char *names[POLICY_MAX_NAMES];
    char known[1024] = "";
    size_t n = 0;
    for (; f->table[n] && n < POLICY_MAX_NAMES; n++) {
        names[n] = f->table[n]->name;
        strncat(known, n ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, names[n], sizeof known - strlen(known) - 1);
    }
    const char *near = diag_closest(sp->name, names, n);
    if (near)
        diag_error(d, sp->loc, "unknown %s '%s' (did you mean '%s'? known: %s)", f->noun,
                   sp->name, near, known);
    else
        diag_error(d, sp->loc, "unknown %s '%s' (known: %s)", f->noun, sp->name, known);
    return NULL;
}

const struct policy_head *policy_setup(const struct policy_family *f, const char *spec_text,
                                       struct loc loc, struct spec *out, struct diag *d)
{
    if (spec_parse(out, spec_text, loc, d) < 0)
        return NULL;
    const struct policy_head *h = policy_lookup(f, out, d);
    if (!h)
        return NULL;
    char what[128];
    snprintf(what, sizeof what, "%s '%s'", f->noun, h->name);
    if (spec_check(out, h->params, what, d) < 0)
        return NULL;
    return h;
}
