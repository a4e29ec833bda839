/* policy: the one mechanism behind every policy family (distributions,
 * arrival processes, balancers, evictions, breakers, ...). Each policy
 * struct begins with a struct policy_head (name, summary, parameters); a
 * family is a NULL-terminated table of pointers to those heads, and
 * models/registry.c lists every family once (a family whose rows an enum
 * indexes, such as dist or keys, keeps its table in its own file).
 * policy_setup parses a spec, finds its name in the table (an unknown name
 * gets one error listing every known name and the nearest), and checks its
 * arguments against the head's parameter table; `sdsim list` walks the same
 * heads. Adding a policy is one file plus one row in its family's table. */
#ifndef SDSIM_SIM_POLICY_H
#define SDSIM_SIM_POLICY_H

#include <stddef.h>

#include "sim/diag.h"
#include "sim/spec.h"

/* First member of every policy struct, so a pointer to the policy and to its
 * head convert into each other (C11 6.7.2.1p15). */
struct policy_head {
    const char *name;                /* as written: balance = round_robin */
    const char *summary;             /* one line for `sdsim list` */
    const struct param_spec *params; /* documented parameters, {NULL}-terminated */
};

/* A family of policies. */
struct policy_family {
    const char *name;    /* as `sdsim list NAME` shows it: "arrival" */
    const char *noun;    /* for messages: "unknown <noun> 'x'" ("arrival process") */
    const char *summary; /* one line for `sdsim list` */
    const struct policy_head *const *table; /* NULL-terminated, registry order */
};

/* The policy named `name` in table, or NULL. */
const struct policy_head *policy_find(const struct policy_head *const *table, const char *name);

/* Finds sp->name in the family's table. An unknown name is one error at the
 * name's file:line:col, "unknown <noun> 'x' (did you mean 'y'? known: a, b)"
 * with every name of the table (the hint only when one is near). */
const struct policy_head *policy_lookup(const struct policy_family *f, const struct spec *sp,
                                        struct diag *d);

/* Parses spec_text (whose first character sits at loc) into *out, finds its
 * policy with policy_lookup and checks its arguments against the policy's
 * parameters (spec_check). Returns the policy's head, or NULL after an
 * error. The caller converts the head to its own policy struct. */
const struct policy_head *policy_setup(const struct policy_family *f, const char *spec_text,
                                       struct loc loc, struct spec *out, struct diag *d);

/* How many policies the family has. */
size_t policy_count(const struct policy_family *f);

#endif
