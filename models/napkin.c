/* napkin: offered load, capacity and utilisation of every component of a
 * built model, from the kinds' napkin hooks (see napkin.h). */
#include "models/napkin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/data/irm.h"
#include "models/data/keys.h"
#include "models/kind.h"
#include "sim/xalloc.h"

double napkin_capacity(double servers, double mean_ns)
{
    if (!(servers > 0) || !(mean_ns >= 0) || !isfinite(mean_ns))
        return (double)NAN;
    if (mean_ns == 0 || isinf(servers))
        return (double)INFINITY;
    return servers / (mean_ns / 1e9);
}

double napkin_hit_ratio(const char *policy, double capacity, const struct keys *k)
{
    if (!k || !policy || !(capacity >= 0))
        return (double)NAN;
    bool lru = strcmp(policy, "lru") == 0;
    if (!lru && strcmp(policy, "fifo") != 0 && strcmp(policy, "random") != 0)
        return (double)NAN;
    if (k->kind == KEYS_UNIFORM) /* every policy keeps C of n equally likely keys */
        return capacity >= (double)k->n ? 1 : capacity / (double)k->n;
    if (k->kind != KEYS_ZIPF || k->n > NAPKIN_MAX_KEYS)
        return (double)NAN;
    return lru ? irm_che_lru_hit_ratio((size_t)k->n, k->s, capacity)
               : irm_martina_fifo_hit_ratio((size_t)k->n, k->s, capacity);
}

/* Depth-first post-order from c: every callee is placed before its caller,
 * so the reverse of `order` puts callers first. */
#define NAPKIN_SIDE_MAX 8

/* Is c fed without a call edge (a queue's consumers) and makes calls of its
 * own? Then its feeder comes before it, as a caller would. */
static const struct component *fed_caller(const struct component *c)
{
    return c->ncallees > 0 && c->kind->napkin_fed_by ? c->kind->napkin_fed_by(c) : NULL;
}

static void post_order(const struct sim *sim, const struct component *c, unsigned char *seen,
                       size_t *order, size_t *n)
{
    seen[c->id] = 1;
    for (size_t i = 0; i < c->ncallees; i++)
        if (!seen[c->callees[i]->id])
            post_order(sim, c->callees[i], seen, order, n);
    for (size_t i = 0; i < sim->ncomps; i++) /* the callers it feeds */
        if (!seen[i] && fed_caller(sim->comps[i]) == c)
            post_order(sim, sim->comps[i], seen, order, n);
    const struct component *side[NAPKIN_SIDE_MAX];
    size_t ns = c->kind->napkin_side ? c->kind->napkin_side(c, NULL, side, NULL, NAPKIN_SIDE_MAX)
                                     : 0;
    for (size_t i = 0; i < ns; i++)
        if (!seen[side[i]->id])
            post_order(sim, side[i], seen, order, n);
    order[(*n)++] = c->id;
}

/* Two key distributions with the same popularity (scrambling moves keys,
 * not their popularity). */
static bool same_keys(const struct keys *a, const struct keys *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind || a->n != b->n)
        return false;
    if (a->kind == KEYS_ZIPF)
        return a->s == b->s;
    if (a->kind == KEYS_HOTSET)
        return a->hot_n == b->hot_n && a->share == b->share;
    return true;
}

/* Adds f to the load of component `to`; keys stay known only while every
 * caller sends the same distribution. */
static void add_flow(struct napkin_flow *in, bool *reached, size_t to, const struct napkin_flow *f)
{
    if (!reached[to]) {
        in[to] = *f;
        reached[to] = true;
        return;
    }
    in[to].reads += f->reads;
    in[to].writes += f->writes;
    if (!same_keys(in[to].keys, f->keys))
        in[to].keys = NULL;
}

long napkin_compute(const struct sim *sim, struct napkin_row *rows)
{
    size_t n = sim->ncomps;
    unsigned char *seen = xcalloc(n + 1, 1);
    size_t *order = xcalloc(n + 1, sizeof *order);
    struct napkin_flow *in = xcalloc(n + 1, sizeof *in);
    bool *reached = xcalloc(n + 1, sizeof *reached);
    size_t norder = 0;
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            post_order(sim, sim->comps[i], seen, order, &norder);
    for (size_t k = norder; k-- > 0;) {
        const struct component *c = sim->comps[order[k]];
        const struct kind *kd = c->kind;
        struct napkin_flow *f = &in[c->id];
        if (kd->napkin_source) {
            double w = 0;
            const struct keys *keys = NULL;
            double rate = kd->napkin_source(c, &w, &keys);
            *f = (struct napkin_flow){rate * (1 - w), rate * w, keys};
            reached[c->id] = true;
        } else if (kd->self_driven) { /* makes its own work: not from a rate we know */
            *f = (struct napkin_flow){(double)NAN, (double)NAN, NULL};
        } else if (fed_caller(c)) { /* its feeder's load is complete: it came first */
            *f = in[fed_caller(c)->id];
            reached[c->id] = true;
        } else if (!reached[c->id]) {
            *f = (struct napkin_flow){0, 0, NULL};
        }
        for (size_t i = 0; i < c->ncallees; i++) {
            struct napkin_flow out = {(double)NAN, (double)NAN, NULL};
            if (kd->napkin_visits)
                kd->napkin_visits(c, i, f, &out);
            add_flow(in, reached, c->callees[i]->id, &out);
        }
        if (kd->napkin_side) {
            const struct component *side[NAPKIN_SIDE_MAX];
            struct napkin_flow out[NAPKIN_SIDE_MAX];
            size_t ns = kd->napkin_side(c, f, side, out, NAPKIN_SIDE_MAX);
            for (size_t i = 0; i < ns; i++)
                add_flow(in, reached, side[i]->id, &out[i]);
        }
    }
    /* Loads taken without a call edge (a queue's consumers; those that
     * make calls took theirs above). */
    for (size_t i = 0; i < n; i++) {
        const struct component *c = sim->comps[i];
        const struct component *from = c->kind->napkin_fed_by ? c->kind->napkin_fed_by(c) : NULL;
        if (from)
            in[i] = in[from->id];
    }
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const struct component *c = sim->comps[i];
        struct napkin_row *r = &rows[i];
        *r = (struct napkin_row){.offered = in[i].reads + in[i].writes,
                                 .writes = in[i].writes,
                                 .capacity = (double)NAN,
                                 .utilisation = (double)NAN};
        if (c->kind->napkin_server) {
            struct napkin_server s = {(double)NAN, false};
            c->kind->napkin_server(c, &s);
            r->has_server = true;
            r->capacity = s.rps;
            r->unbounded_queue = s.unbounded_queue;
        }
        if (isfinite(r->offered) && isfinite(r->capacity) && r->capacity > 0) {
            r->utilisation = r->offered / r->capacity;
            r->overloaded = r->unbounded_queue && r->offered > 0 && r->utilisation >= 1;
            if (best < 0 || r->utilisation > rows[best].utilisation)
                best = (long)i;
        }
    }
    free(seen);
    free(order);
    free(in);
    free(reached);
    return best;
}
