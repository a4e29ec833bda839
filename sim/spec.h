/* spec: the "name(key=value, ...)" syntax shared by distributions, arrival
 * processes and policies ("exp(mean=10ms)", "const(5ms)", "poisson(rate=9/s)",
 * "round_robin"). Arguments may be positional or named; a value may itself
 * contain parentheses (a nested spec, as in mix(0.9 exp(mean=1ms), ...)):
 * commas inside them do not split arguments.
 * A spec owns a copy of its text; its pointers point into that copy.
 *
 * param_spec documents one key of a component kind, policy or distribution.
 * The same tables drive the parser and `sdsim list`. */
#ifndef SDSIM_SIM_SPEC_H
#define SDSIM_SIM_SPEC_H

#include <stddef.h>

#include "sim/diag.h"

#define SPEC_MAX_ARGS 12
#define SPEC_MAX_TEXT 512

struct spec_arg {
    const char *key;  /* NULL for a positional argument */
    const char *val;  /* trimmed, never NULL */
    struct loc key_loc;
    struct loc val_loc;
};

struct spec {
    const char *name; /* trimmed, e.g. "exp" */
    struct loc loc;   /* where name starts */
    size_t nargs;
    struct spec_arg args[SPEC_MAX_ARGS];
    char buf[SPEC_MAX_TEXT];
};

/* Parses text (whose first character sits at loc) into sp. Returns 0, or -1
 * with a diagnostic. "name" alone is a spec with no arguments. */
int spec_parse(struct spec *sp, const char *text, struct loc loc, struct diag *d);

/* The named argument key, or NULL. */
const struct spec_arg *spec_get(const struct spec *sp, const char *key);

/* One documented key. type is shown by `sdsim list` ("duration", "rate",
 * "int", "number", "fraction", "bool", "dist", "component", "policy", ...).
 * def is the default as written in a scenario, or NULL if required. */
struct param_spec {
    const char *name;
    const char *type;
    const char *def;
    const char *help;
};

/* Checks that every named argument of sp is in params (a table ending with a
 * {NULL} entry) and that every required one (def == NULL) is present.
 * Reports each problem with a suggestion and returns -1 if any. `what` names
 * the thing for messages ("distribution 'exp'"). Positional arguments are
 * matched to params in order. */
int spec_check(const struct spec *sp, const struct param_spec *params, const char *what,
               struct diag *d);

/* The value of param `key`: named, else positional by its index in params,
 * else the default (def), else NULL. loc receives where it came from (the
 * spec's own loc for defaults). */
const char *spec_value(const struct spec *sp, const struct param_spec *params, const char *key,
                       struct loc *loc);

#endif
