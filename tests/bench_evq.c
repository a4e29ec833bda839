/* bench_evq: the event queue under the "hold" model (pop the earliest, push
 * one at now + Exp(1)) and under timeout churn (push a timeout, cancel an
 * older one), at 10, 10^3 and 10^6 pending events. Built twice by `make
 * bench`, with EVQ_ARITY=2 and EVQ_ARITY=4, next to a pairing heap written
 * here for comparison, so the choice of structure stays a measured one.
 * Wall-clock timing is fine here: this is a benchmark, not a test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/evq.h"
#include "sim/rng.h"

#ifndef EVQ_ARITY
#define EVQ_ARITY 4
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void noop(struct sim *s, void *a, void *b)
{
    (void)s;
    (void)a;
    (void)b;
}

/* ---- pairing heap (Fredman et al. 1986), for comparison only ------------ */
struct ph {
    int64_t at;
    uint64_t seq;
    struct ph *child, *next, *prev; /* prev: left sibling or parent */
};

static int ph_less(const struct ph *a, const struct ph *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static struct ph *ph_meld(struct ph *a, struct ph *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    if (ph_less(b, a)) {
        struct ph *t = a;
        a = b;
        b = t;
    }
    b->prev = a;
    b->next = a->child;
    if (a->child)
        a->child->prev = b;
    a->child = b;
    a->next = a->prev = NULL;
    return a;
}

static struct ph *ph_merge_pairs(struct ph *first)
{
    if (!first)
        return NULL;
    struct ph *pairs = NULL; /* two-pass: meld pairs left to right, then right to left */
    while (first) {
        struct ph *a = first, *b = first->next;
        first = b ? b->next : NULL;
        a->next = a->prev = NULL;
        if (b)
            b->next = b->prev = NULL;
        struct ph *m = ph_meld(a, b);
        m->next = pairs;
        pairs = m;
    }
    struct ph *root = NULL;
    while (pairs) {
        struct ph *n = pairs->next;
        pairs->next = NULL;
        root = ph_meld(root, pairs);
        pairs = n;
    }
    return root;
}

static struct ph *ph_pop(struct ph *root)
{
    return ph_merge_pairs(root->child);
}

static struct ph *ph_remove(struct ph *root, struct ph *x)
{
    if (x == root)
        return ph_pop(root);
    if (x->prev->child == x)
        x->prev->child = x->next;
    else
        x->prev->next = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->next = x->prev = NULL;
    return ph_meld(root, ph_merge_pairs(x->child));
}

/* ---- runs ---------------------------------------------------------------- */

static int64_t gap(struct rng *r)
{
    return (int64_t)(1e6 * rng_exp(r)) + 1;
}

static double hold_evq(size_t n, size_t ops)
{
    struct evq *q = evq_new();
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < n; i++)
        evq_push(q, gap(&r), noop, NULL, NULL);
    double t0 = now_s();
    struct evq_event ev;
    for (size_t i = 0; i < ops; i++) {
        evq_pop(q, &ev);
        evq_push(q, ev.at_ns + gap(&r), noop, NULL, NULL);
    }
    double dt = now_s() - t0;
    evq_free(q);
    return dt / (double)ops * 1e9;
}

static double churn_evq(size_t n, size_t ops)
{
    struct evq *q = evq_new();
    struct rng r;
    rng_seed(&r, 7);
    uint64_t *h = malloc(n * sizeof *h);
    for (size_t i = 0; i < n; i++)
        h[i] = evq_push(q, gap(&r) * 1000, noop, NULL, NULL);
    double t0 = now_s();
    for (size_t i = 0; i < ops; i++) {
        size_t k = (size_t)rng_below(&r, n);
        evq_cancel(q, h[k]);
        h[k] = evq_push(q, gap(&r) * 1000, noop, NULL, NULL);
    }
    double dt = now_s() - t0;
    free(h);
    evq_free(q);
    return dt / (double)ops * 1e9;
}

static double hold_ph(size_t n, size_t ops)
{
    struct ph *nodes = calloc(n, sizeof *nodes);
    struct rng r;
    rng_seed(&r, 42);
    struct ph *root = NULL;
    uint64_t seq = 0;
    for (size_t i = 0; i < n; i++) {
        nodes[i].at = gap(&r);
        nodes[i].seq = seq++;
        root = ph_meld(root, &nodes[i]);
    }
    double t0 = now_s();
    for (size_t i = 0; i < ops; i++) {
        struct ph *top = root;
        root = ph_pop(root);
        top->child = top->next = top->prev = NULL;
        top->at += gap(&r);
        top->seq = seq++;
        root = ph_meld(root, top);
    }
    double dt = now_s() - t0;
    free(nodes);
    return dt / (double)ops * 1e9;
}

static double churn_ph(size_t n, size_t ops)
{
    struct ph *nodes = calloc(n, sizeof *nodes);
    struct rng r;
    rng_seed(&r, 7);
    struct ph *root = NULL;
    uint64_t seq = 0;
    for (size_t i = 0; i < n; i++) {
        nodes[i].at = gap(&r) * 1000;
        nodes[i].seq = seq++;
        root = ph_meld(root, &nodes[i]);
    }
    double t0 = now_s();
    for (size_t i = 0; i < ops; i++) {
        struct ph *x = &nodes[rng_below(&r, n)];
        root = ph_remove(root, x);
        x->child = x->next = x->prev = NULL;
        x->at = gap(&r) * 1000;
        x->seq = seq++;
        root = ph_meld(root, x);
    }
    double dt = now_s() - t0;
    free(nodes);
    return dt / (double)ops * 1e9;
}

int main(void)
{
    static const size_t sizes[] = {10, 1000, 1000000};
    const size_t ops = 2000000;
    for (size_t i = 0; i < 3; i++) {
        size_t n = sizes[i];
        printf("  %-16s n=%-8zu hold %7.1f ns/op   timeout churn %7.1f ns/op\n",
               EVQ_ARITY == 2 ? "binary heap" : "4-ary heap", n, hold_evq(n, ops),
               churn_evq(n, ops));
        if (EVQ_ARITY == 4)
            printf("  %-16s n=%-8zu hold %7.1f ns/op   timeout churn %7.1f ns/op\n",
                   "pairing heap", n, hold_ph(n, ops), churn_ph(n, ops));
    }
    return 0;
}
