/* balance_weighted_round_robin: smooth weighted round robin, as in nginx
 * (ngx_http_upstream_round_robin.c, ngx_http_upstream_get_peer; Dounin's
 * 2012 change). Each replica has a running score current[i]. At a pick every
 * replica adds its weight, the highest score wins (the lowest index among
 * equals), and the winner subtracts the total weight. Over any sum(w) picks
 * with integer weights, replica i gets exactly w_i of them, and they are
 * interleaved rather than bunched: weights 5, 1, 1 give a a b a c a a, where
 * the classic interleaved WRR (LVS, and the reference's gcd sketch) gives
 * a a a a a b c. sum(current) stays 0, so scores stay bounded by n max(w).
 *
 * Weights: the `weights` parameter ("5:1:1", one per replica) if given, else
 * b->weight (the service's), else all 1, which is plain round robin; they
 * are read at the first pick and at each resize. A replica of weight 0 is
 * skipped; if all are 0 the picks fall back to plain rotation.
 *
 * Cost: nginx's step is O(n), since every score moves at every pick. But with
 * integer weights the sequence is periodic: after W = sum(w) picks each
 * replica has won w_i times, so every score is back where it started. The
 * first pick therefore runs W steps once (O(W n)) and records the cycle;
 * every pick after that is O(1), a table lookup, and gives exactly nginx's
 * order. Weights that are not whole numbers, or a cycle costing more than
 * CYCLE_WORK_MAX to record, fall back to the O(n) step. A resize (an
 * autoscaler) zeroes the scores of replicas outside [0, n), re-centres the
 * rest (O(cap)) and records the cycle again. */
#include "models/balance/balance.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

#define CYCLE_WORK_MAX 50000000.0 /* W * n steps to record a cycle, at most */

struct wrr {
    double *weight;  /* from `weights`, cap entries, or NULL: use b->weight */
    double *current; /* smooth scores; sum 0 after each pick */
    uint32_t *cycle; /* one period of picks, or NULL: step each time */
    size_t ncycle, pos;
    bool recorded;   /* the cycle (or the decision not to have one) is current */
};

/* nginx's step: O(n). */
static uint32_t step(struct balance *b, struct wrr *s)
{
    const double *w = s->weight ? s->weight : b->weight;
    double total = 0;
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < b->n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi > 0.0))
            continue;
        s->current[i] += wi;
        total += wi;
        if (best == UINT32_MAX || s->current[i] > s->current[best])
            best = i;
    }
    if (best == UINT32_MAX)
        return (uint32_t)(b->next++ % b->n);
    s->current[best] -= total;
    return best;
}

/* Records one period of the sequence from the current scores, which the
 * period leaves as they were. */
static void record_cycle(struct balance *b, struct wrr *s)
{
    const double *w = s->weight ? s->weight : b->weight;
    double total = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi > 0.0 && wi != floor(wi))
            total = -1; /* not whole: no period to rely on */
        if (total >= 0 && wi > 0.0)
            total += wi;
    }
    free(s->cycle);
    s->cycle = NULL;
    s->ncycle = s->pos = 0;
    s->recorded = true;
    if (!(total > 0) || total * (double)b->n > CYCLE_WORK_MAX)
        return;
    s->ncycle = (size_t)total;
    s->cycle = xmalloc(s->ncycle * sizeof *s->cycle);
    for (size_t k = 0; k < s->ncycle; k++)
        s->cycle[k] = step(b, s);
}

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    struct wrr *s = b->state;
    if (!s->recorded)
        record_cycle(b, s);
    if (!s->cycle)
        return step(b, s);
    uint32_t i = s->cycle[s->pos];
    if (++s->pos == s->ncycle)
        s->pos = 0;
    return i;
}

/* Replicas that leave drop to score 0 (a joining one has 0 already); the
 * scores of the eligible replicas of positive weight shift by their mean, so
 * they sum to 0 again and keep their order. O(cap). */
static void resize(struct balance *b, uint32_t n)
{
    struct wrr *s = b->state;
    const double *w = s->weight ? s->weight : b->weight;
    for (uint32_t i = n; i < b->cap; i++)
        s->current[i] = 0;
    double sum = 0;
    uint32_t live = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (w && !(w[i] > 0.0))
            s->current[i] = 0;
        sum += s->current[i];
        if (!w || w[i] > 0.0)
            live++;
    }
    for (uint32_t i = 0; i < n && live > 0; i++)
        if (!w || w[i] > 0.0)
            s->current[i] -= sum / live;
    s->recorded = false; /* the next pick records the new cycle */
}

static const struct param_spec params[] = {
    {"weights", "list", "",
     "one weight per replica, colon-separated (5:1:1); default: the service's, else all 1"},
    {NULL, NULL, NULL, NULL},
};

/* Parses "w0:w1:...": n non-negative numbers, not all 0. The column of each
 * item is reported so a bad one is pointed at. */
static int parse_weights(double *out, uint32_t n, const char *text, struct loc loc,
                         struct diag *d)
{
    size_t count = 0, off = 0, len = strlen(text);
    bool any = false;
    while (off <= len) {
        size_t item = strcspn(text + off, ":");
        char buf[64];
        struct loc at = loc;
        at.col += (int)off;
        if (item >= sizeof buf)
            return diag_error(d, at, "weight %zu is too long", count + 1);
        memcpy(buf, text + off, item);
        buf[item] = '\0';
        double w;
        const char *why;
        if (units_parse_double(buf, &w, &why) < 0)
            return diag_error(d, at, "bad weight '%s': %s", buf, why);
        if (!(w >= 0.0) || !isfinite(w))
            return diag_error(d, at, "a weight must be finite and >= 0, got '%s'", buf);
        if (count < n)
            out[count] = w;
        any = any || w > 0.0;
        count++;
        off += item + 1;
    }
    if (count != n)
        return diag_error(d, loc, "'weights' has %zu entr%s but there %s %u replica%s", count,
                          count == 1 ? "y" : "ies", n == 1 ? "is" : "are", n, n == 1 ? "" : "s");
    if (!any)
        return diag_error(d, loc, "'weights' are all 0: no replica could be chosen");
    return 0;
}

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct wrr *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->current = xcalloc(b->n, sizeof *s->current);
    struct loc loc;
    const char *v = spec_value(sp, params, "weights", &loc);
    if (!v || !*v)
        return 0;
    s->weight = xcalloc(b->n, sizeof *s->weight);
    return parse_weights(s->weight, b->n, v, loc, d);
}

static void fini(struct balance *b)
{
    struct wrr *s = b->state;
    if (!s)
        return;
    free(s->weight);
    free(s->current);
    free(s->cycle);
    free(s);
}

const struct balance_policy balance_weighted_round_robin = {
    .head.name = "weighted_round_robin",
    .head.summary = "smooth weighted round robin as in nginx: weights 5:1:1 give a a b a c a a; "
               "O(1) per pick from the recorded cycle (whole weights)",
    .head.params = params,
    .init = init,
    .pick = pick,
    .resize = resize,
    .fini = fini,
};
