/* model: the model builder. Components are created in file order first (so
 * `to` and `calls` may name a component defined further down), then each is
 * built, then the call graph is checked for cycles by depth-first search. */
#include "models/model.h"

#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "sim/units.h"
#include "sim/xalloc.h"

static int unknown_kind(const struct sc_section *s, struct diag *d)
{
    const char *names[32];
    size_t n = 0;
    for (const struct kind *const *k = kind_all(); *k && n < 32; k++)
        names[n++] = (*k)->name;
    const char *near = diag_closest(s->kind, names, n);
    if (near)
        return diag_error(d, s->loc, "unknown component kind '%s' (did you mean '%s'?)", s->kind,
                          near);
    return diag_error(d, s->loc, "unknown component kind '%s' (see `sdsim list`)", s->kind);
}

enum { WHITE, GREY, BLACK };

/* DFS from c; on a back edge, reports the cycle as "a -> b -> a". */
static int visit(struct component *c, unsigned char *colour, struct component **path, size_t depth,
                 struct diag *d)
{
    colour[c->id] = GREY;
    path[depth] = c;
    for (size_t i = 0; i < c->ncallees; i++) {
        struct component *to = c->callees[i];
        if (colour[to->id] == GREY) {
            char buf[1024] = "";
            size_t start = 0;
            while (path[start] != to)
                start++;
            for (size_t j = start; j <= depth; j++) {
                strncat(buf, path[j]->name, sizeof buf - strlen(buf) - 1);
                strncat(buf, " -> ", sizeof buf - strlen(buf) - 1);
            }
            strncat(buf, to->name, sizeof buf - strlen(buf) - 1);
            return diag_error(d, c->callee_locs[i], "a cycle of calls: %s", buf);
        }
        if (colour[to->id] == WHITE && visit(to, colour, path, depth + 1, d) < 0)
            return -1;
    }
    colour[c->id] = BLACK;
    return 0;
}

static int check_cycles(struct sim *sim, struct diag *d)
{
    unsigned char *colour = xcalloc(sim->ncomps, 1);
    struct component **path = xcalloc(sim->ncomps + 1, sizeof *path);
    int rc = 0;
    for (size_t i = 0; i < sim->ncomps && rc == 0; i++)
        if (colour[i] == WHITE)
            rc = visit(sim->comps[i], colour, path, 0, d);
    free(colour);
    free(path);
    return rc;
}

static int build_one(struct sim *sim, struct component *c, const struct sc_section *s,
                     struct diag *d)
{
    char what[160];
    snprintf(what, sizeof what, "[%s %s]", s->kind, s->name);
    int rc = kp_check_keys(s, c->kind->params, what, d);
    bool present = false;
    if (kp_dist(s, c->kind->params, "latency", DIST_DURATION, &c->latency, &present, d) < 0)
        rc = -1;
    c->has_latency = present && rc == 0;
    if (c->kind->build(sim, c, s, d) < 0)
        rc = -1;
    return rc;
}

/* Sums over components that each key's range does not bound: servers
 * (st.servers, set by every kind with workers) and closed-loop users. Each
 * kind has checked its own value, so the users parse here cannot fail. */
static int check_run_totals(const struct sim *sim, const struct sc_section *const *secs,
                            struct diag *d)
{
    double servers = 0, users = 0;
    int rc = 0;
    bool servers_said = false, users_said = false;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        servers += c->st.servers;
        if (servers > KIND_MAX_RUN_SERVERS && !servers_said) {
            rc = diag_error(d, c->loc,
                            "servers (replicas x workers) of all components up to [%s %s] add up "
                            "to %.4g: at most 10^8 in a run",
                            c->kind->name, c->name, servers);
            servers_said = true;
        }
        const struct sc_entry *e = c->kind->is_client ? sc_find_entry(secs[i], "users") : NULL;
        long long n;
        const char *why;
        if (e && units_parse_int(e->value, &n, &why) == 0)
            users += (double)n;
        if (users > KIND_MAX_RUN_USERS && !users_said) {
            rc = diag_error(d, e ? e->val_loc : c->loc,
                            "users of all clients up to [%s %s] add up to %.4g: at most 10^7 in "
                            "a run",
                            c->kind->name, c->name, users);
            users_said = true;
        }
    }
    return rc;
}

void kind_bind(struct component *c, const struct kind *k)
{
    c->kind = k;
    c->ops = (struct component_ops){
        .start = k->start,
        .on_request = k->on_request,
        .on_reply = k->on_reply,
        .reset = k->reset,
        .fini = k->fini,
        .ts_extra = k->ts_extra,
        .capacity_rps = k->capacity_rps,
        .is_client = k->is_client,
        .no_traffic = k->no_traffic,
    };
}

int model_build(struct sim *sim, const struct sc_point *pt, struct diag *d)
{
    int rc = 0;
    sim->comps = xcalloc(pt->nsections + 1, sizeof *sim->comps);
    const struct sc_section **secs = xcalloc(pt->nsections + 1, sizeof *secs);
    bool any_client = false;
    for (size_t i = 0; i < pt->nsections; i++) {
        const struct sc_section *s = &pt->sections[i];
        if (strcmp(s->kind, "sim") == 0 || strcmp(s->kind, "plot") == 0) /* not components */
            continue;
        const struct kind *k = kind_find(s->kind);
        if (!k) {
            rc = unknown_kind(s, d);
            continue;
        }
        struct component *c = xcalloc(1, k->size);
        kind_bind(c, k);
        c->name = s->name;
        c->loc = s->loc;
        c->id = (uint32_t)sim->ncomps;
        c->salt = rng_hash_str(RNG_FNV_BASIS, s->name);
        rng_stream(&c->net_rng, sim->seed, s->name, "latency");
        secs[sim->ncomps] = s;
        sim->comps[sim->ncomps++] = c;
        any_client |= k->is_client || k->self_driven;
    }
    /* With an unknown kind, references to it would only add noise. */
    bool kinds_ok = rc == 0;
    bool *failed = xcalloc(sim->ncomps + 1, sizeof *failed);
    for (int stage = 0; stage <= 1 && kinds_ok; stage++)
        for (size_t i = 0; i < sim->ncomps; i++)
            if (sim->comps[i]->kind->build_stage == stage &&
                build_one(sim, sim->comps[i], secs[i], d) < 0)
                rc = -1, failed[i] = true;
    for (size_t i = 0; i < sim->ncomps && kinds_ok; i++)
        if (!failed[i] && sim->comps[i]->kind->check &&
            sim->comps[i]->kind->check(sim, sim->comps[i], d) < 0)
            rc = -1;
    free(failed);
    if (kinds_ok && check_run_totals(sim, secs, d) < 0)
        rc = -1;
    if (rc == 0 && !any_client)
        rc = diag_error(d, pt->nsections ? pt->sections[0].loc : (struct loc){NULL, 0, 0},
                        "no [client NAME] section: nothing would send requests");
    if (rc == 0)
        rc = check_cycles(sim, d);
    free(secs);
    return rc;
}
