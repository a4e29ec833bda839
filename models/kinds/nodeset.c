/* nodeset: see nodeset.h. */
#include "models/kinds/nodeset.h"

#include <stdio.h>
#include <stdlib.h>

#include "sim/hist.h"
#include "sim/xalloc.h"

static void fw_add(uint32_t *fw, uint32_t n, uint32_t pos, int32_t delta)
{
    for (uint32_t i = pos + 1; i <= n; i += i & (~i + 1))
        fw[i] = (uint32_t)((int32_t)fw[i] + delta);
}

/* The position of the k-th (0-based) set flag. */
static uint32_t fw_kth(const uint32_t *fw, uint32_t n, uint32_t top, uint32_t k)
{
    uint32_t pos = 0;
    for (uint32_t step = top; step > 0; step >>= 1)
        if (pos + step <= n && fw[pos + step] <= k) {
            pos += step;
            k -= fw[pos];
        }
    return pos;
}

/* A Fenwick tree of n set flags, built in O(n). */
static void fw_fill(uint32_t *fw, uint32_t n)
{
    for (uint32_t i = 1; i <= n; i++)
        fw[i] = 1;
    for (uint32_t i = 1; i <= n; i++) {
        uint32_t j = i + (i & (~i + 1));
        if (j <= n)
            fw[j] += fw[i];
    }
}

void nodeset_init(struct nodeset *ns, const struct sim *sim, struct component *c, uint32_t n)
{
    ns->c = c;
    ns->failed = NULL;
    ns->n = n;
    ns->up = n;
    ns->ntouched = 0;
    ns->top = 1;
    while (ns->top * 2 <= n)
        ns->top *= 2;
    ns->nf = xcalloc(n, sizeof *ns->nf);
    ns->fault_rng = xcalloc(n, sizeof *ns->fault_rng);
    ns->dist_ns = xcalloc(n, sizeof *ns->dist_ns);
    ns->fw_index = xcalloc((size_t)n + 1, sizeof *ns->fw_index);
    ns->fw_near = xcalloc((size_t)n + 1, sizeof *ns->fw_near);
    ns->rank = xcalloc(n, sizeof *ns->rank);
    ns->by_rank = xcalloc(n, sizeof *ns->by_rank);
    ns->slot = xcalloc(n, sizeof *ns->slot);
    ns->touched = xcalloc(2 * (size_t)n, sizeof *ns->touched);
    fw_fill(ns->fw_index, n);
    fw_fill(ns->fw_near, n);
    for (uint32_t i = 0; i < n; i++) {
        nodefault_init(&ns->nf[i]);
        char purpose[32];
        snprintf(purpose, sizeof purpose, "node%u.faults", i);
        rng_stream(&ns->fault_rng[i], sim->seed, c->name, purpose);
        ns->rank[i] = ns->by_rank[i] = i;
        ns->slot[i] = UINT32_MAX;
    }
}

void nodeset_fini(struct nodeset *ns)
{
    free(ns->nf);
    free(ns->fault_rng);
    free(ns->dist_ns);
    free(ns->fw_index);
    free(ns->fw_near);
    free(ns->rank);
    free(ns->by_rank);
    free(ns->slot);
    free(ns->touched);
}

struct ranked {
    int64_t dist;
    uint32_t node;
};

static int by_distance(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->dist != y->dist)
        return x->dist < y->dist ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

void nodeset_order_by_distance(struct nodeset *ns)
{
    struct ranked *order = xcalloc(ns->n, sizeof *order);
    for (uint32_t i = 0; i < ns->n; i++)
        order[i] = (struct ranked){ns->dist_ns[i], i};
    qsort(order, ns->n, sizeof *order, by_distance);
    for (uint32_t p = 0; p < ns->n; p++) {
        ns->by_rank[p] = order[p].node;
        ns->rank[order[p].node] = p;
    }
    free(order);
    /* the tree over ranks holds the same up flags, in the new order */
    for (uint32_t p = 0; p <= ns->n; p++)
        ns->fw_near[p] = 0;
    for (uint32_t i = 0; i < ns->n; i++)
        if (ns->nf[i].up)
            fw_add(ns->fw_near, ns->n, ns->rank[i], 1);
}

int nodeset_read_distances(struct nodeset *ns, const struct sc_section *sec,
                           const struct param_spec *params, const char *key, struct diag *d)
{
    if (kp_durations(sec, params, key, ns->n, false, ns->dist_ns, d) < 0) {
        for (uint32_t i = 0; i < ns->n; i++)
            ns->dist_ns[i] = 0;
        return -1;
    }
    nodeset_order_by_distance(ns);
    return 0;
}

bool nodeset_has_distances(const struct nodeset *ns)
{
    for (uint32_t i = 0; i < ns->n; i++)
        if (ns->dist_ns[i] != 0)
            return true;
    return false;
}

uint32_t nodeset_kth(const struct nodeset *ns, uint32_t k)
{
    return fw_kth(ns->fw_index, ns->n, ns->top, k);
}

uint32_t nodeset_kth_nearest(const struct nodeset *ns, uint32_t k)
{
    return ns->by_rank[fw_kth(ns->fw_near, ns->n, ns->top, k)];
}

uint32_t nodeset_random(const struct nodeset *ns, struct rng *rng)
{
    if (ns->up == 0)
        return UINT32_MAX;
    return nodeset_kth(ns, (uint32_t)rng_below(rng, ns->up));
}

/* Position p of the virtual list of up nodes by index, as swapped so far. */
static uint32_t vget(const struct nodeset *ns, uint32_t p)
{
    return ns->slot[p] != UINT32_MAX ? ns->slot[p] : nodeset_kth(ns, p);
}

static void vset(struct nodeset *ns, uint32_t p, uint32_t node)
{
    if (ns->slot[p] == UINT32_MAX)
        ns->touched[ns->ntouched++] = p;
    ns->slot[p] = node;
}

uint32_t nodeset_sample_next(struct nodeset *ns, struct rng *rng, uint32_t j)
{
    uint32_t x = j + (uint32_t)rng_below(rng, ns->up - j);
    uint32_t at_j = vget(ns, j), at_x = vget(ns, x);
    vset(ns, j, at_x);
    vset(ns, x, at_j);
    return at_x;
}

void nodeset_sample_end(struct nodeset *ns)
{
    for (uint32_t t = 0; t < ns->ntouched; t++)
        ns->slot[ns->touched[t]] = UINT32_MAX;
    ns->ntouched = 0;
}

void nodeset_sample(struct nodeset *ns, struct rng *rng, uint32_t r, uint32_t *out)
{
    for (uint32_t j = 0; j < r; j++)
        out[j] = nodeset_sample_next(ns, rng, j);
    nodeset_sample_end(ns);
}

void nodeset_fault(struct sim *sim, struct nodeset *ns, int32_t replica, enum fault_action a,
                   double value, bool start, nodeset_change_fn *on_change, void *ctx)
{
    uint32_t from = replica >= 0 ? (uint32_t)replica : 0;
    uint32_t to = replica >= 0 ? (uint32_t)replica + 1 : ns->n;
    for (uint32_t i = from; i < to && i < ns->n; i++) {
        enum nodefault_change ch = nodefault_apply(&ns->nf[i], a, value, start);
        if (ch == NODEFAULT_SAME)
            continue;
        int32_t delta = ch == NODEFAULT_CRASHED ? -1 : 1;
        ns->up = (uint32_t)((int32_t)ns->up + delta);
        fw_add(ns->fw_index, ns->n, i, delta);
        fw_add(ns->fw_near, ns->n, ns->rank[i], delta);
        if (on_change)
            on_change(sim, ctx, i, ch);
    }
}

void nodeset_finish(struct sim *sim, struct nodeset *ns, struct request *r, enum req_status st)
{
    struct component *c = ns->c;
    r->status = (uint8_t)st;
    sim_level_add(sim, &c->st.insys, -1);
    hist_add(c->st.resp, sim_now(sim) - sim_top(r)->arrive_ns);
    if (st == REQ_OK)
        c->st.completed++;
    else
        c->st.errors++;
    if (st == REQ_ERROR && sim->measuring && ns->failed)
        (*ns->failed)++;
    sim_reply(sim, r);
}

void nodeset_on_back(struct sim *sim, void *a, void *b)
{
    struct request *r = b;
    nodeset_finish(sim, a, r, (enum req_status)r->status);
}

void nodeset_reply(struct sim *sim, struct nodeset *ns, struct request *r, enum req_status st,
                   uint32_t i)
{
    int64_t back = nodeset_back_ns(ns, i);
    if (back == 0) {
        nodeset_finish(sim, ns, r, st);
        return;
    }
    r->status = (uint8_t)st;
    sim_after(sim, back, nodeset_on_back, ns, r);
}
