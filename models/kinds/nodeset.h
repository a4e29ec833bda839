/* nodeset: the nodes of a replicated store ([replicaset], [multileader]),
 * the bookkeeping both kinds share: each node's fault state (struct
 * nodefault) and its own stream of fault draws ("node<i>.faults"), its
 * one-way distance from the clients, and the set of nodes that are up,
 * kept as crashes and recoveries happen so that choosing an up node costs
 * O(log n) instead of a scan of every node.
 *
 * The set answers in the two orders the kinds choose in: index order (a
 * uniformly random up node is the k-th up node by index, k drawn below the
 * count of up nodes: the same draw and the same node as a list of the up
 * nodes by index) and distance order (nearest first, ties by the lower
 * index). Both are Fenwick trees over the nodes' up flags: O(log n) to mark
 * a node down or up, to count, and to find the k-th. Memory: about 48 bytes
 * per node plus the struct nodefault and rng of each. */
#ifndef SDSIM_MODELS_NODESET_H
#define SDSIM_MODELS_NODESET_H

#include <stdbool.h>
#include <stdint.h>

#include "models/kind.h"
#include "models/kinds/nodefault.h"
#include "sim/rng.h"

/* Most nodes a [replicaset] or a [multileader] may have. */
#define NODESET_MAX 65536

struct nodeset {
    struct component *c;     /* the kind's component: replies are counted there */
    uint64_t *failed;        /* the kind's count of failed requests (measured), or NULL */
    uint32_t n;              /* nodes */
    uint32_t up;             /* nodes up now */
    uint32_t top;            /* the highest power of two <= n (Fenwick descent) */
    struct nodefault *nf;    /* per node: crash, slow, errors, latency */
    struct rng *fault_rng;   /* per node: errors(rate=) draws */
    int64_t *dist_ns;        /* per node: one-way delay from the clients */
    uint32_t *fw_index;      /* Fenwick tree (1-based) of up flags by index */
    uint32_t *fw_near;       /* the same by distance rank */
    uint32_t *rank;          /* node -> its position in distance order */
    uint32_t *by_rank;       /* position in distance order -> node */
    uint32_t *slot;          /* scratch of nodeset_sample: position -> node, or UINT32_MAX */
    uint32_t *touched;       /* scratch of nodeset_sample: positions to reset */
    uint32_t ntouched;
};

/* n nodes of component c, all up and healthy, each with its fault stream. */
void nodeset_init(struct nodeset *ns, const struct sim *sim, struct component *c, uint32_t n);
void nodeset_fini(struct nodeset *ns);

/* Reads the per-node `distance` key (kp_durations) and orders the nodes by
 * it; the distances stay 0 on an error. */
int nodeset_read_distances(struct nodeset *ns, const struct sc_section *sec,
                           const struct param_spec *params, const char *key, struct diag *d);

/* Orders the nodes by ns->dist_ns (set by the caller), keeping which are
 * up. O(n log n): at build time. */
void nodeset_order_by_distance(struct nodeset *ns);

/* Whether any node has a distance other than 0. */
bool nodeset_has_distances(const struct nodeset *ns);

/* The k-th up node (k < ns->up) in index order, or nearest first (ties:
 * lower index). O(log n). */
uint32_t nodeset_kth(const struct nodeset *ns, uint32_t k);
uint32_t nodeset_kth_nearest(const struct nodeset *ns, uint32_t k);

/* A uniformly random up node, drawing rng_below(up) from rng (nothing when
 * none is up): UINT32_MAX when none is up. */
uint32_t nodeset_random(const struct nodeset *ns, struct rng *rng);

/* r distinct up nodes (r <= ns->up) into out: a partial Fisher-Yates
 * shuffle of the up nodes in index order, with the draws and results of one
 * over a materialised list (for j < r: swap position j with j +
 * rng_below(up - j)), in O(r log n). */
void nodeset_sample(struct nodeset *ns, struct rng *rng, uint32_t r, uint32_t *out);
/* The same one node at a time, for a caller that draws from rng between
 * the picks: j = 0, 1, ... (j < ns->up), then nodeset_sample_end. */
uint32_t nodeset_sample_next(struct nodeset *ns, struct rng *rng, uint32_t j);
void nodeset_sample_end(struct nodeset *ns);

/* What a kind does when a node goes down or comes back: ctx is its own. */
typedef void nodeset_change_fn(struct sim *sim, void *ctx, uint32_t i,
                               enum nodefault_change ch);

/* Applies a scheduled fault action to node `replica` (or every node when
 * replica < 0), keeping the up set, and calls on_change for each node that
 * went down or came back, in index order. */
void nodeset_fault(struct sim *sim, struct nodeset *ns, int32_t replica, enum fault_action a,
                   double value, bool start, nodeset_change_fn *on_change, void *ctx);

/* ---- replies, as both kinds count them ---------------------------------- */

/* r leaves the component with status st: its in-system level, response
 * time and completed/errors counts; *ns->failed counts errors while
 * measuring. */
void nodeset_finish(struct sim *sim, struct nodeset *ns, struct request *r, enum req_status st);

/* Node i answers r with status st: the answer reaches the client
 * nodeset_back_ns later (now when 0), then nodeset_finish. */
void nodeset_reply(struct sim *sim, struct nodeset *ns, struct request *r, enum req_status st,
                   uint32_t i);

/* The event that finishes b (a request) with its r->status: a is the
 * nodeset. */
void nodeset_on_back(struct sim *sim, void *a, void *b);

/* The time node i's reply takes to reach the client: its distance plus a
 * latency fault's added time. */
static inline int64_t nodeset_back_ns(const struct nodeset *ns, uint32_t i)
{
    return ns->dist_ns[i] + nodefault_extra_latency_ns(&ns->nf[i]);
}

/* A session: a closed-loop user of the client (1 + user), or 0 for the
 * whole client of open-loop load. */
static inline uint64_t nodeset_session(const struct request *r)
{
    return r->user == UINT32_MAX ? 0 : (uint64_t)r->user + 1;
}

#endif
