/* attrib: see attrib.h.
 *
 * The sink of a client: for each bucket b of the latency histogram's layout
 * (hist_bucket_index), row[b] = (requests, then the summed ns of each
 * phase) of the requests whose latency fell in b. Rows come in blocks of
 * ATTR_BLOCK buckets (one octave), allocated the first time a latency lands
 * in them.
 *
 * The groups. With N requests, p_q is the ceil(q N)-th smallest latency (as
 * hist_quantile takes it), so the requests at or above it are the slowest
 * K = N - ceil(q N) + 1. The buckets are walked from the top, whole while
 * they fit in K; the bucket holding the boundary (it has requests on both
 * sides) gives the share of its totals that its requests inside the group
 * make up, as if they were its average requests. Only that part is
 * approximate: the bucket spans at most 1/128 of its lower bound, so its
 * members' latencies are within 0.8% of the group's slowest-K cut, and the
 * group's time is exact to within 0.8% of the boundary part's time; a
 * phase's share can be off by at most the boundary part's weight in the
 * group (its members are average for their bucket, not its slowest). */
#include "sim/attrib.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "sim/xalloc.h"

#define ATTR_BLOCK 128

const char *const attr_comp_phase_names[ATTR_COMP_PHASES] = {"queue", "service", "network"};
const char *const attr_req_phase_names[ATTR_REQ_PHASES] = {"backoff", "hedge_wait",
                                                           "failed_attempts", "other",
                                                           "unaccounted"};
const char *const attr_group_names[ATTR_GROUPS] = {"all", "p99", "p99.9"};

struct attr_sink {
    size_t nblocks;
    double **block; /* ATTR_BLOCK rows of 1 + nphases, or NULL */
};

void sim_attr_enable(struct sim *sim)
{
    struct sim_attr *a = xcalloc(1, sizeof *a);
    a->ncomps = sim->ncomps;
    a->nphases = ATTR_COMP_PHASES * sim->ncomps + ATTR_REQ_PHASES;
    a->sinks = xcalloc(sim->ncomps + 1, sizeof *a->sinks);
    a->record = true;
    sim->attr = a;
    sim->msg_hooks = true;
    reqpool_with_attr(&sim->pool);
}

void sim_attr_free(struct sim_attr *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ncomps; i++) {
        struct attr_sink *s = a->sinks[i];
        if (!s)
            continue;
        for (size_t b = 0; b < s->nblocks; b++)
            free(s->block[b]);
        free(s->block);
        free(s);
    }
    free(a->sinks);
    free(a);
}

static uint32_t comp_phase(const struct sim *sim, const struct component *c, int k)
{
    (void)sim;
    return ATTR_COMP_PHASES * c->id + (uint32_t)k;
}

static uint32_t req_phase(const struct sim *sim, int k)
{
    return (uint32_t)(ATTR_COMP_PHASES * sim->attr->ncomps) + (uint32_t)k;
}

static void add(struct req_attr *x, uint32_t idx, int64_t ns)
{
    if (ns <= 0)
        return;
    for (uint32_t i = 0; i < x->n; i++) {
        if (x->idx[i] == idx) {
            x->ns[i] += ns;
            return;
        }
    }
    if (x->n == ATTR_SLOTS) {
        x->other_ns += ns;
        return;
    }
    x->idx[x->n] = idx;
    x->ns[x->n++] = ns;
}

/* The stretch since the mark goes to phase idx; the mark moves to now. */
static void close_to(struct sim *sim, struct request *r, uint32_t idx)
{
    int64_t now = sim_now(sim);
    add(r->attr, idx, now - r->attr->at_ns);
    r->attr->at_ns = now;
}

void sim_attr_begin(struct sim *sim, struct request *r)
{
    struct req_attr *x = r->attr;
    x->at_ns = x->start_ns = sim_now(sim);
    x->other_ns = 0;
    x->n = 0;
    if (sim->trace)
        trace_begin(sim, r);
}

void sim_attr_queue(struct sim *sim, struct request *r, const struct component *c)
{
    close_to(sim, r, comp_phase(sim, c, ATTR_QUEUE));
    if (sim->trace)
        trace_queue(sim, r);
}

void sim_attr_close(struct sim *sim, struct request *r, const struct component *c)
{
    close_to(sim, r, comp_phase(sim, c, ATTR_SERVICE));
}

void sim_attr_hop(struct sim *sim, struct request *r, const struct component *holder,
                  const struct component *callee, int64_t delay_ns)
{
    close_to(sim, r, comp_phase(sim, holder, ATTR_SERVICE));
    add(r->attr, comp_phase(sim, callee, ATTR_NETWORK), delay_ns);
    r->attr->at_ns += delay_ns;
}

void sim_attr_adopt(struct sim *sim, struct request *parent, const struct request *child)
{
    struct req_attr *p = parent->attr;
    const struct req_attr *c = child->attr;
    add(p, req_phase(sim, ATTR_HEDGE), c->start_ns - p->at_ns);
    for (uint32_t i = 0; i < c->n; i++)
        add(p, c->idx[i], c->ns[i]);
    p->other_ns += c->other_ns;
    /* the child's stretch since its own mark (0 when its reply just came) */
    add(p, req_phase(sim, ATTR_UNACCOUNTED), sim_now(sim) - c->at_ns);
    p->at_ns = sim_now(sim);
}

void sim_attr_fail(struct sim *sim, struct request *r)
{
    close_to(sim, r, req_phase(sim, ATTR_FAILED));
}

void sim_attr_fail_all(struct sim *sim, struct request *r)
{
    struct req_attr *x = r->attr;
    int64_t t = x->other_ns + (sim_now(sim) - x->at_ns);
    for (uint32_t i = 0; i < x->n; i++)
        t += x->ns[i];
    x->n = 0;
    x->other_ns = 0;
    x->at_ns = sim_now(sim);
    add(x, req_phase(sim, ATTR_FAILED), t);
}

void sim_attr_wait(struct sim *sim, struct request *r)
{
    if (sim->trace)
        trace_backoff(sim, r, r->attr->at_ns);
    close_to(sim, r, req_phase(sim, ATTR_BACKOFF));
}

void sim_attr_done(struct sim *sim, const struct component *c, const struct request *r,
                   int64_t latency_ns)
{
    struct sim_attr *a = sim->attr;
    if (!a->record)
        return;
    size_t np = a->nphases, row = 1 + np;
    struct attr_sink *s = a->sinks[c->id];
    if (!s) {
        s = a->sinks[c->id] = xcalloc(1, sizeof *s);
        s->nblocks = (hist_nbuckets() + ATTR_BLOCK - 1) / ATTR_BLOCK;
        s->block = xcalloc(s->nblocks, sizeof *s->block);
    }
    size_t b = hist_bucket_index(latency_ns);
    double **blk = &s->block[b / ATTR_BLOCK];
    if (!*blk) /* once per octave a client's latencies reach: at most 57 */
        *blk = xcalloc(ATTR_BLOCK * row, sizeof **blk);
    double *v = *blk + (b % ATTR_BLOCK) * row;
    const struct req_attr *x = r->attr;
    int64_t sum = x->other_ns;
    v[0] += 1;
    for (uint32_t i = 0; i < x->n; i++) {
        v[1 + x->idx[i]] += (double)x->ns[i];
        sum += x->ns[i];
    }
    v[1 + req_phase(sim, ATTR_OTHER)] += (double)x->other_ns;
    /* What no phase holds: its stretch since the last mark, or a path that
     * moved the mark past the end (negative). */
    v[1 + req_phase(sim, ATTR_UNACCOUNTED)] += (double)(latency_ns - sum);
}

bool sim_attr_groups(const struct sim_attr *a, size_t c, double n[ATTR_GROUPS], double *ns)
{
    size_t np = a->nphases, row = 1 + np;
    memset(ns, 0, ATTR_GROUPS * np * sizeof *ns);
    for (int g = 0; g < ATTR_GROUPS; g++)
        n[g] = 0;
    const struct attr_sink *s = c < a->ncomps ? a->sinks[c] : NULL;
    if (!s)
        return false;
    uint64_t total = 0;
    for (size_t b = 0; b < s->nblocks; b++)
        for (size_t i = 0; s->block[b] && i < ATTR_BLOCK; i++)
            total += (uint64_t)s->block[b][i * row];
    if (total == 0)
        return false;
    /* K = N - ceil(q N) + 1 for q = 99/100 and 999/1000, in integers */
    uint64_t want[ATTR_GROUPS] = {total, total - (99 * total + 99) / 100 + 1,
                                  total - (999 * total + 999) / 1000 + 1};
    double left[ATTR_GROUPS];
    for (int g = 0; g < ATTR_GROUPS; g++)
        left[g] = (double)want[g];
    for (size_t b = s->nblocks; b-- > 0;) {
        if (!s->block[b])
            continue;
        for (size_t i = ATTR_BLOCK; i-- > 0;) {
            const double *v = s->block[b] + i * row;
            if (v[0] == 0)
                continue;
            for (size_t g = 0; g < ATTR_GROUPS; g++) {
                if (left[g] <= 0)
                    continue;
                double f = left[g] >= v[0] ? 1.0 : left[g] / v[0];
                left[g] -= f * v[0];
                n[g] += f * v[0];
                for (size_t k = 0; k < np; k++)
                    ns[g * np + k] += f * v[1 + k];
            }
        }
    }
    return true;
}
