/* nodeload: what a router (a balancer, a sharded store) sent to each of its
 * nodes, for statistics that work at any number of nodes: each node's share
 * of the requests (max over mean, coefficient of variation) and the
 * time-average fraction of nodes with at least k requests in flight, k = 0..
 * NODELOAD_K, the quantity the mean-field results for power-of-d and
 * join-the-shortest-queue predict (Mitzenmacher 2001: s_k = lambda^((d^k -
 * 1)/(d - 1)) for d choices). Memory: 12 bytes per node, allocated once at
 * build time; cost per request O(1) (one counter and at most one level). */
#ifndef SDSIM_MODELS_NODELOAD_H
#define SDSIM_MODELS_NODELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODELOAD_K 8 /* fractions with at least 0..NODELOAD_K in flight */

struct metric_out;

struct nodeload {
    uint32_t n;                         /* nodes */
    uint64_t *routed;                   /* requests sent to each node (measured) */
    uint32_t *inflight;                 /* in flight at each node now; NULL: not tracked */
    uint32_t ge[NODELOAD_K + 1];        /* nodes with at least k in flight now */
    double area_ns[NODELOAD_K + 1];     /* integral of ge[k] over time since the cut */
    int64_t last_ns[NODELOAD_K + 1];    /* when area_ns[k] was last brought up to date */
    int64_t since_ns;                   /* start of the measured window */
};

/* Sets up l for n >= 1 nodes; track_inflight: also the in-flight levels. */
void nodeload_init(struct nodeload *l, uint32_t n, bool track_inflight);
void nodeload_fini(struct nodeload *l);

/* A request goes to node i at now_ns; measuring: count it in the shares. */
void nodeload_start(struct nodeload *l, uint32_t i, int64_t now_ns, bool measuring);
/* The request at node i is done (its reply came back). */
void nodeload_done(struct nodeload *l, uint32_t i, int64_t now_ns);
/* The warm-up cut: counts and integrals start again from now_ns. */
void nodeload_reset(struct nodeload *l, int64_t now_ns);

/* Share statistics over nodes [0, n): max share over mean share, and the
 * coefficient of variation (population standard deviation over mean) of the
 * counts. Both 0 when nothing was routed. */
void nodeload_shares(const struct nodeload *l, uint32_t n, double *max_over_mean, double *cv);
/* Time-average fraction of the l->n nodes with at least k in flight over
 * [since_ns, end_ns); 0 for an empty window. */
double nodeload_frac_ge(const struct nodeload *l, unsigned k, int64_t end_ns);

/* Appends "nodes", "share_max_over_mean" and "share_cv" (over nodes
 * [0, n)) and, when in-flight is tracked, "inflight_ge0".."inflight_ge8" as
 * per-component metrics. Returns how many were written (at most max). */
size_t nodeload_metrics(const struct nodeload *l, uint32_t n, int64_t end_ns,
                        struct metric_out *out, size_t max);

#endif
