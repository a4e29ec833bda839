/* backoff: how long a client waits before a retry. A policy is a const
 * table registered in models/registry.c (`sdsim list backoff`):
 *
 *   none                                   retry at once (delay 0)
 *   constant(delay=100ms, jitter=none)     the same delay every time
 *   exponential(base=5ms, cap=2s, jitter=full)
 *
 * with the jitters of the AWS Architecture Blog post "Exponential Backoff
 * And Jitter" (Marc Brooker, 2015). For retry n (n = 1 for the first retry,
 * as in the post) let t = min(cap, base * 2^n) for exponential (t = delay for
 * constant). Then the delay is
 *   none          t
 *   full          uniform(0, t)
 *   equal         t/2 + uniform(0, t/2)
 *   decorrelated  min(cap, uniform(base, 3 * previous delay)), the previous
 *                 delay being base before the first retry (exponential only).
 * Pure: the caller keeps the previous delay and gives the random stream. */
#ifndef SDSIM_MODELS_BACKOFF_H
#define SDSIM_MODELS_BACKOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/policy.h"
#include "sim/spec.h"

enum backoff_jitter { JITTER_NONE, JITTER_FULL, JITTER_EQUAL, JITTER_DECORRELATED };

struct backoff;

struct backoff_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct backoff *b, const struct spec *sp, struct diag *d); /* may be NULL */
    /* The wait before retry n (n >= 1) in nanoseconds; prev_ns is the
     * previous wait of the same request (0 before the first retry). */
    int64_t (*delay)(const struct backoff *b, uint32_t n, int64_t prev_ns, struct rng *r);
};

struct backoff {
    const struct backoff_policy *pol;
    int64_t base_ns;  /* exponential: base; constant: delay */
    int64_t cap_ns;   /* exponential: the most it waits */
    enum backoff_jitter jitter;
};

/* Parses "exponential(base=5ms, ...)" at loc. Returns 0 or -1. */
int backoff_setup(struct backoff *b, const char *text, struct loc loc, struct diag *d);

static inline int64_t backoff_delay(const struct backoff *b, uint32_t n, int64_t prev_ns,
                                    struct rng *r)
{
    return b->pol->delay(b, n, prev_ns, r);
}

extern const struct policy_family backoff_family; /* its policies, registry.c */

extern const struct backoff_policy backoff_none;
extern const struct backoff_policy backoff_constant;
extern const struct backoff_policy backoff_exponential;

/* Retry budget, token-bucket style as in Finagle's RetryBudget and gRPC's
 * retry throttling: every first attempt deposits `ratio` tokens, every retry
 * withdraws one and is allowed only if a whole token is there; the bucket
 * starts with `burst` tokens and holds at most that many (plus ratio). Over
 * any stretch, retries <= ratio * requests + burst. ratio < 0: no budget. */
struct budget {
    double ratio;
    double burst;
    double tokens;
    uint64_t denied; /* retries refused (since the start; the client counts its own) */
};

void budget_init(struct budget *b, double ratio, double burst);
void budget_deposit(struct budget *b);
/* true: the retry may go (one token taken); false: refused. */
bool budget_withdraw(struct budget *b);

#endif
