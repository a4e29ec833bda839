/* params: typed readers for the keys of a component section, shared by every
 * kind. Defaults come from the kind's param table, so `sdsim list` shows
 * exactly what the parser uses. */
#include "models/kind.h"

#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

static const struct param_spec *find_param(const struct param_spec *p, const char *key)
{
    for (; p && p->name; p++)
        if (strcmp(p->name, key) == 0)
            return p;
    return NULL;
}

const char *kp_raw(const struct sc_section *s, const struct param_spec *params, const char *key,
                   struct loc *loc)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    if (e) {
        if (loc)
            *loc = e->val_loc;
        return e->value;
    }
    if (loc)
        *loc = s->loc;
    const struct param_spec *p = find_param(params, key);
    /* "" in a table means optional with no default: absent. */
    return p && p->def && *p->def ? p->def : NULL;
}

/* Reads the raw value, reporting a missing required key. */
static const char *need(const struct sc_section *s, const struct param_spec *params,
                        const char *key, struct loc *loc, struct diag *d)
{
    const char *v = kp_raw(s, params, key, loc);
    if (!v)
        diag_error(d, s->loc, "[%s %s] needs '%s'", s->kind, s->name, key);
    return v;
}

int kp_duration(const struct sc_section *s, const struct param_spec *p, const char *key,
                int64_t *out_ns, struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    const char *why;
    if (!v)
        return -1;
    if (units_parse_duration(v, out_ns, &why) < 0)
        return diag_error(d, loc, "bad duration '%s' for '%s': %s", v, key, why);
    return 0;
}

int kp_durations(const struct sc_section *s, const struct param_spec *p, const char *key,
                 uint32_t n, bool allow_negative, int64_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    if (!v)
        return -1;
    char *copy = xstrdup(v);
    int rc = 0;
    uint32_t k = 0;
    for (char *save, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ' || *t == '\t')
            t++;
        size_t len = strlen(t);
        while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
            t[--len] = '\0';
        struct loc at = loc;
        at.col += (int)(t - copy);
        bool neg = allow_negative && *t == '-';
        int64_t ns;
        const char *why = "";
        if (units_parse_duration(neg ? t + 1 : t, &ns, &why) < 0 || (ns < 0 && (why = "negative"))) {
            rc = diag_error(d, at, "bad %s '%s': %s (a duration such as %s)", key, t, why,
                            allow_negative ? "-20ms or 5ms" : "40ms");
            break;
        }
        if (k < n)
            out[k] = neg ? -ns : ns;
        k++;
    }
    free(copy);
    if (rc == 0 && k == 1)
        for (uint32_t i = 1; i < n; i++)
            out[i] = out[0];
    else if (rc == 0 && k != n)
        rc = diag_error(d, loc, "'%s' has %u values for %u nodes (give one, or one each)", key,
                        k, n);
    return rc;
}

int kp_int(const struct sc_section *s, const struct param_spec *p, const char *key, long long min,
           long long max, long long *out, struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    const char *why;
    if (!v)
        return -1;
    if (units_parse_int(v, out, &why) < 0)
        return diag_error(d, loc, "bad integer '%s' for '%s': %s", v, key, why);
    if (*out < min || *out > max)
        return diag_error(d, loc, "'%s' = %lld is out of range [%lld, %lld]", key, *out, min, max);
    return 0;
}

int kp_fraction(const struct sc_section *s, const struct param_spec *p, const char *key,
                double *out, struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    const char *why;
    if (!v)
        return -1;
    if (units_parse_fraction(v, out, &why) < 0)
        return diag_error(d, loc, "bad fraction '%s' for '%s': %s", v, key, why);
    return 0;
}

int kp_double(const struct sc_section *s, const struct param_spec *p, const char *key, double min,
              double max, double *out, struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    const char *why;
    if (!v)
        return -1;
    if (units_parse_double(v, out, &why) < 0)
        return diag_error(d, loc, "bad number '%s' for '%s': %s", v, key, why);
    if (!(*out >= min && *out <= max))
        return diag_error(d, loc, "'%s' = %g is out of range [%g, %g]", key, *out, min, max);
    return 0;
}

int kp_bool(const struct sc_section *s, const struct param_spec *p, const char *key, bool *out,
            struct diag *d)
{
    struct loc loc;
    const char *v = need(s, p, key, &loc, d);
    const char *why;
    if (!v)
        return -1;
    if (units_parse_bool(v, out, &why) < 0)
        return diag_error(d, loc, "bad value '%s' for '%s': %s", v, key, why);
    return 0;
}

int kp_dist(const struct sc_section *s, const struct param_spec *p, const char *key,
            enum dist_unit unit, struct dist *out, bool *present, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(s, p, key, &loc);
    *present = v != NULL;
    if (!v)
        return 0;
    return dist_parse(out, v, loc, unit, d);
}

int kp_check_keys(const struct sc_section *s, const struct param_spec *params, const char *what,
                  struct diag *d)
{
    const char *names[64];
    size_t n = 0;
    for (const struct param_spec *p = params; p && p->name && n < 64; p++)
        names[n++] = p->name;
    int rc = 0;
    for (size_t i = 0; i < s->nentries; i++) {
        const struct sc_entry *e = &s->entries[i];
        if (find_param(params, e->key))
            continue;
        const char *near = diag_closest(e->key, names, n);
        if (near)
            rc = diag_error(d, e->key_loc, "unknown key '%s' in %s (did you mean '%s'?)", e->key,
                            what, near);
        else
            rc = diag_error(d, e->key_loc,
                            "unknown key '%s' in %s (see `sdsim list %s` for the keys)", e->key,
                            what, s->kind);
    }
    return rc;
}

struct component *kind_lookup(struct sim *sim, const char *name)
{
    for (size_t i = 0; i < sim->ncomps; i++)
        if (strcmp(sim->comps[i]->name, name) == 0)
            return sim->comps[i];
    return NULL;
}

int kind_read_callees(struct sim *sim, struct component *c, const struct sc_section *s,
                      const char *key, bool required, struct diag *d)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    if (!e) {
        if (required)
            return diag_error(d, s->loc, "[%s %s] needs '%s = COMPONENT' (where requests go)",
                              s->kind, s->name, key);
        return 0;
    }
    int rc = 0;
    const char *p = e->value;
    while (*p) {
        size_t skip = strspn(p, " \t,");
        p += skip;
        size_t len = strcspn(p, " \t,");
        if (len == 0)
            break;
        char *name = xstrndup(p, len);
        struct loc loc = e->val_loc;
        if (loc.col > 0)
            loc.col += (int)(p - e->value);
        struct component *to = kind_lookup(sim, name);
        if (!to) {
            const char *names[256];
            size_t n = 0;
            for (size_t i = 0; i < sim->ncomps && n < 256; i++)
                if (!sim->comps[i]->kind->is_client)
                    names[n++] = sim->comps[i]->name;
            const char *near = diag_closest(name, names, n);
            rc = near ? diag_error(d, loc, "no component named '%s' (did you mean '%s'?)", name,
                                   near)
                      : diag_error(d, loc, "no component named '%s'", name);
        } else if (to == c) {
            rc = diag_error(d, loc, "'%s' calls itself", name);
        } else if (to->kind->is_client) {
            rc = diag_error(d, loc, "'%s' is a client: requests cannot be sent to it", name);
        } else {
            c->callees = xrealloc(c->callees, (c->ncallees + 1) * sizeof *c->callees);
            c->callee_locs = xrealloc(c->callee_locs, (c->ncallees + 1) * sizeof *c->callee_locs);
            c->callees[c->ncallees] = to;
            c->callee_locs[c->ncallees] = loc;
            c->ncallees++;
        }
        free(name);
        p += len;
    }
    if (rc == 0 && required && c->ncallees == 0)
        rc = diag_error(d, e->val_loc, "'%s' names no component", key);
    return rc;
}
