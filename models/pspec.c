/* pspec: typed readers for policy spec arguments (see pspec.h). */
#include "models/pspec.h"

#include <string.h>

#include "sim/units.h"

int pspec_duration(const struct spec *sp, const struct param_spec *p, const char *key,
                   int64_t *out_ns, struct diag *d)
{
    struct loc l;
    const char *v = spec_value(sp, p, key, &l);
    const char *why;
    if (!v)
        return diag_error(d, sp->loc, "'%s' needs %s=DURATION", sp->name, key);
    if (units_parse_duration(v, out_ns, &why) < 0)
        return diag_error(d, l, "bad %s '%s': %s", key, v, why);
    if (*out_ns < 0)
        return diag_error(d, l, "%s must not be negative", key);
    return 0;
}

int pspec_int(const struct spec *sp, const struct param_spec *p, const char *key, long long min,
              long long max, long long *out, struct diag *d)
{
    struct loc l;
    const char *v = spec_value(sp, p, key, &l);
    const char *why;
    if (!v)
        return diag_error(d, sp->loc, "'%s' needs %s=N", sp->name, key);
    if (units_parse_int(v, out, &why) < 0)
        return diag_error(d, l, "bad %s '%s': %s", key, v, why);
    if (*out < min || *out > max)
        return diag_error(d, l, "%s must be in [%lld, %lld]", key, min, max);
    return 0;
}

int pspec_fraction(const struct spec *sp, const struct param_spec *p, const char *key,
                   double *out, struct diag *d)
{
    struct loc l;
    const char *v = spec_value(sp, p, key, &l);
    const char *why;
    if (!v)
        return diag_error(d, sp->loc, "'%s' needs %s=FRACTION", sp->name, key);
    if (units_parse_fraction(v, out, &why) < 0)
        return diag_error(d, l, "bad %s '%s': %s", key, v, why);
    return 0;
}

int pspec_double(const struct spec *sp, const struct param_spec *p, const char *key, double min,
                 double max, double *out, struct diag *d)
{
    struct loc l;
    const char *v = spec_value(sp, p, key, &l);
    const char *why;
    if (!v)
        return diag_error(d, sp->loc, "'%s' needs %s=NUMBER", sp->name, key);
    if (units_parse_double(v, out, &why) < 0)
        return diag_error(d, l, "bad %s '%s': %s", key, v, why);
    if (!(*out >= min && *out <= max))
        return diag_error(d, l, "%s must be in [%g, %g]", key, min, max);
    return 0;
}

int pspec_choice(const struct spec *sp, const struct param_spec *p, const char *key,
                 const char *const *words, int *out, struct diag *d)
{
    struct loc l;
    const char *v = spec_value(sp, p, key, &l);
    if (!v)
        return diag_error(d, sp->loc, "'%s' needs %s=...", sp->name, key);
    size_t n = 0;
    for (; words[n]; n++)
        if (strcmp(words[n], v) == 0) {
            *out = (int)n;
            return 0;
        }
    const char *near = diag_closest(v, words, n);
    char known[256] = "";
    for (size_t i = 0; i < n; i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, words[i], sizeof known - strlen(known) - 1);
    }
    if (near)
        return diag_error(d, l, "bad %s '%s' (did you mean '%s'?)", key, v, near);
    return diag_error(d, l, "bad %s '%s' (known: %s)", key, v, known);
}
