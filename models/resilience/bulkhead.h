/* bulkhead: a concurrency limit on the calls to one dependency, so that a
 * slow dependency cannot hold every worker of the caller. A call goes when
 * fewer than `limit` calls are in flight; otherwise it waits in the
 * bulkhead's own FIFO queue of `queue` places (0: none), or is rejected.
 * The queue lives in models/kinds/dep.c; this module is the limit (pure).
 *
 * Policies (`sdsim list bulkhead`):
 *   fixed(limit=10, queue=0)          a semaphore (the catalogue's bulkhead)
 *   aimd(initial=10, min=1, max=200, increase=1, decrease=0.9, slow=0, queue=0)
 *       additive increase, multiplicative decrease as in TCP congestion
 *       avoidance and Netflix concurrency-limits' AIMDLimit: each success
 *       while at least half the limit is in use adds increase/limit (one per
 *       limit's worth of calls); a failure, timeout or call slower than
 *       `slow` multiplies the limit by `decrease`.
 *   gradient(initial=20, min=1, max=200, smoothing=0.2, tolerance=1.5, queue=0)
 *       Netflix concurrency-limits' GradientLimit (a TCP Vegas relative):
 *       with the shortest latency seen (no-load) and a moving average of
 *       recent ones, gradient = clamp(tolerance * noload / recent, 0.5, 1),
 *       and limit moves by `smoothing` towards limit * gradient + sqrt(limit).
 * O(1) per call. */
#ifndef SDSIM_MODELS_BULKHEAD_H
#define SDSIM_MODELS_BULKHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct bulkhead;

struct bulkhead_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct bulkhead *b, const struct spec *sp, struct diag *d);
    /* Adjusts the limit after a call (may be NULL: fixed). */
    void (*on_done)(struct bulkhead *b, bool failed, int64_t latency_ns);
};

struct bulkhead {
    const struct bulkhead_policy *pol;
    double limit;         /* calls allowed in flight (floor of it, at least 1) */
    double min, max;      /* bounds of an adaptive limit */
    double increase, decrease, smoothing, tolerance;
    int64_t slow_ns;      /* aimd: a call this slow counts as a drop (0: off) */
    long long queue;      /* waiting places */
    uint32_t inflight;
    double noload_ns;     /* gradient: shortest latency seen */
    double recent_ns;     /* gradient: moving average of latencies */
};

int bulkhead_setup(struct bulkhead *b, const char *text, struct loc loc, struct diag *d);

/* May one more call go now? */
static inline bool bulkhead_has_room(const struct bulkhead *b)
{
    uint32_t lim = b->limit < 1 ? 1 : (uint32_t)b->limit;
    return b->inflight < lim;
}
/* A call left (inflight + 1) and came back (inflight - 1, limit updated). */
void bulkhead_start(struct bulkhead *b);
void bulkhead_done(struct bulkhead *b, bool failed, int64_t latency_ns);

extern const struct policy_family bulkhead_family; /* its policies, registry.c */

extern const struct bulkhead_policy bulkhead_fixed;
extern const struct bulkhead_policy bulkhead_aimd;
extern const struct bulkhead_policy bulkhead_gradient;

#endif
