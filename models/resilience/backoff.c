/* backoff: retry delays (none, constant, exponential with AWS jitters) and
 * the retry budget. See backoff.h for the formulas and their source. Each
 * delay is O(1); the budget is O(1) per request. */
#include "models/resilience/backoff.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "models/pspec.h"

static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};

static const char *const jitter_names[] = {"none", "full", "equal", "decorrelated", NULL};

static const struct param_spec constant_params[] = {
    {"delay", "duration", "100ms", "the wait before every retry"},
    {"jitter", "none|full|equal", "none", "full: uniform(0, delay); equal: delay/2 + uniform(0, delay/2)"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec exponential_params[] = {
    {"base", "duration", "5ms", "t = min(cap, base * 2^n) for retry n, n = 1 first"},
    {"cap", "duration", "2s", "the longest wait"},
    {"jitter", "none|full|equal|decorrelated", "full",
     "full: uniform(0, t); equal: t/2 + uniform(0, t/2); decorrelated: "
     "min(cap, uniform(base, 3 * previous wait))"},
    {NULL, NULL, NULL, NULL},
};

static int64_t clamp_ns(double x)
{
    return x <= 0 ? 0 : x >= 9.2e18 ? INT64_MAX : (int64_t)(x + 0.5);
}

/* Applies a none/full/equal jitter to the un-jittered wait t. */
static int64_t jitter(enum backoff_jitter j, int64_t t, struct rng *r)
{
    switch (j) {
    case JITTER_FULL:
        return clamp_ns(rng_uniform(r) * (double)t);
    case JITTER_EQUAL:
        return t / 2 + clamp_ns(rng_uniform(r) * (double)(t - t / 2));
    default:
        return t;
    }
}

static int64_t none_delay(const struct backoff *b, uint32_t n, int64_t prev_ns, struct rng *r)
{
    (void)b, (void)n, (void)prev_ns, (void)r;
    return 0;
}

static int constant_init(struct backoff *b, const struct spec *sp, struct diag *d)
{
    int j = 0;
    int rc = pspec_duration(sp, constant_params, "delay", &b->base_ns, d);
    rc |= pspec_choice(sp, constant_params, "jitter", jitter_names, &j, d);
    if (j == JITTER_DECORRELATED)
        rc = diag_error(d, sp->loc, "decorrelated jitter needs exponential(base, cap)");
    b->jitter = (enum backoff_jitter)j;
    b->cap_ns = b->base_ns;
    return rc ? -1 : 0;
}

static int64_t constant_delay(const struct backoff *b, uint32_t n, int64_t prev_ns, struct rng *r)
{
    (void)n, (void)prev_ns;
    return jitter(b->jitter, b->base_ns, r);
}

static int exponential_init(struct backoff *b, const struct spec *sp, struct diag *d)
{
    int j = 0;
    int rc = pspec_duration(sp, exponential_params, "base", &b->base_ns, d);
    rc |= pspec_duration(sp, exponential_params, "cap", &b->cap_ns, d);
    rc |= pspec_choice(sp, exponential_params, "jitter", jitter_names, &j, d);
    b->jitter = (enum backoff_jitter)j;
    if (rc == 0 && b->cap_ns < b->base_ns)
        rc = diag_error(d, sp->loc, "cap is less than base");
    return rc ? -1 : 0;
}

static int64_t exponential_delay(const struct backoff *b, uint32_t n, int64_t prev_ns,
                                 struct rng *r)
{
    if (b->jitter == JITTER_DECORRELATED) {
        double lo = (double)b->base_ns;
        double hi = 3.0 * (double)(prev_ns > 0 ? prev_ns : b->base_ns);
        int64_t t = clamp_ns(lo + rng_uniform(r) * (hi - lo));
        return t < b->cap_ns ? t : b->cap_ns;
    }
    double t = ldexp((double)b->base_ns, n > 1000 ? 1000 : (int)n);
    int64_t capped = t >= (double)b->cap_ns ? b->cap_ns : clamp_ns(t);
    return jitter(b->jitter, capped, r);
}

const struct backoff_policy backoff_none = {
    .head.name = "none",
    .head.summary = "retry at once",
    .head.params = no_params,
    .delay = none_delay,
};

const struct backoff_policy backoff_constant = {
    .head.name = "constant",
    .head.summary = "the same wait before every retry, optionally jittered",
    .head.params = constant_params,
    .init = constant_init,
    .delay = constant_delay,
};

const struct backoff_policy backoff_exponential = {
    .head.name = "exponential",
    .head.summary = "min(cap, base * 2^n) for retry n with none/full/equal/decorrelated jitter "
               "(AWS Architecture Blog, \"Exponential Backoff And Jitter\", 2015)",
    .head.params = exponential_params,
    .init = exponential_init,
    .delay = exponential_delay,
};

int backoff_setup(struct backoff *b, const char *text, struct loc loc, struct diag *d)
{
    memset(b, 0, sizeof *b);
    struct spec sp;
    const struct policy_head *h = policy_setup(&backoff_family, text, loc, &sp, d);
    if (!h)
        return -1;
    b->pol = (const struct backoff_policy *)h;
    return b->pol->init ? b->pol->init(b, &sp, d) : 0;
}

void budget_init(struct budget *b, double ratio, double burst)
{
    b->ratio = ratio;
    b->burst = burst;
    b->tokens = burst;
    b->denied = 0;
}

void budget_deposit(struct budget *b)
{
    if (b->ratio < 0)
        return;
    b->tokens += b->ratio;
    if (b->tokens > b->burst + b->ratio)
        b->tokens = b->burst + b->ratio;
}

bool budget_withdraw(struct budget *b)
{
    if (b->ratio < 0)
        return true;
    if (b->tokens >= 1.0 - 1e-9) {
        b->tokens -= 1.0;
        return true;
    }
    b->denied++;
    return false;
}
