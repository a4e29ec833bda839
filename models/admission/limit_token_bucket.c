/* limit_token_bucket: a bucket of `burst` tokens refilled continuously at
 * `rate` per second; a request takes one token or is rejected. It lets a
 * burst of up to `burst` requests through at once and `rate` on average
 * (policing: nothing waits). Refill is computed at each check from the time
 * since the last one (as Guava's RateLimiter and Envoy's local rate limit
 * do), so no timer runs. With Poisson arrivals it admits exactly what an
 * M/D/1/K queue with service 1/rate and K = burst admits: the missing
 * tokens are the queue's work (theory_md1k_loss). Cost: O(1); entries: 2. */
#include <math.h>
#include <stdlib.h>

#include "models/admission/limit.h"

struct tb_slot {
    double tokens;   /* in [0, burst]; below 0 (a debt) only when synced */
    int64_t last_ns; /* when tokens was last brought up to date */
};

static const struct param_spec params[] = {
    {"rate", "rate", NULL, "tokens added per second, continuously, e.g. 100/s"},
    {"burst", "number", "1", "bucket size: requests let through at once after a quiet spell"},
    LIMIT_PER_PARAM,
    {NULL, NULL, NULL, NULL},
};

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    int rc = limit_read_rate(sp, params, &l->rate_per_s, d);
    struct loc loc;
    const char *v = spec_value(sp, params, "burst", &loc);
    char *end;
    double b = strtod(v, &end);
    if (*end || !(b >= 1 && b <= 1e9))
        rc = diag_error(d, loc, "bad burst '%s': a number from 1 to 1e9", v);
    l->burst = b;
    l->slot_bytes = sizeof(struct tb_slot);
    return rc;
}

static void slot_init(const struct limit *l, void *slot, int64_t now_ns)
{
    *(struct tb_slot *)slot = (struct tb_slot){l->burst, now_ns};
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct tb_slot *s = slot;
    s->tokens += (double)(now_ns - s->last_ns) * l->rate_per_s / 1e9;
    if (s->tokens > l->burst)
        s->tokens = l->burst;
    s->last_ns = now_ns;
    if (s->tokens >= 1) {
        s->tokens -= 1;
        v->admit = true;
    } else {
        v->retry_after_ns = (int64_t)ceil((1 - s->tokens) * 1e9 / l->rate_per_s);
    }
    return 0;
}

/* The global bucket of a synced limiter: a node's admission takes its
 * token even from an empty bucket (a debt the refill pays back first). */
static long consume(const struct limit *l, void *slot, int64_t now_ns)
{
    struct tb_slot *s = slot;
    s->tokens += (double)(now_ns - s->last_ns) * l->rate_per_s / 1e9;
    if (s->tokens > l->burst)
        s->tokens = l->burst;
    s->last_ns = now_ns;
    s->tokens -= 1;
    return 0;
}

const struct limit_policy limit_token_bucket = {
    .head.name = "token_bucket",
    .head.summary = "tokens refill continuously at `rate` up to `burst`; a request takes one or "
                    "is rejected (lets a burst of `burst` through); O(1), 2 entries per scope",
    .head.params = params,
    .init = init,
    .slot_init = slot_init,
    .check = check,
    .slot_entries = 2,
    .consume = consume,
};
