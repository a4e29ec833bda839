/* breaker: circuit-breaker policies and their shared state machine (see
 * breaker.h for the states, the policies and their sources). */
#include "models/resilience/breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pspec.h"
#include "sim/xalloc.h"

#define COMMON_PARAMS                                                                            \
    {"open", "duration", "10s", "how long it stays open before letting probes through"},         \
        {"slow", "duration", "0", "a successful call at least this long is slow (0: off)"},       \
        {"slow_rate", "fraction", "100%", "share of slow calls that trips it (rate policies)"}

static const struct param_spec consecutive_params[] = {
    {"failures", "int", "5", "failures in a row that trip it"},
    {"probes", "int", "1", "calls let through at once in half-open; all must succeed to close"},
    COMMON_PARAMS,
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec count_params[] = {
    {"window", "int", "100", "the last N calls"},
    {"min_calls", "int", "100", "calls in the window before the rate is judged"},
    {"rate", "fraction", "50%", "failure share that trips it"},
    {"probes", "int", "10", "calls let through in half-open, judged together at the rate"},
    COMMON_PARAMS,
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec time_params[] = {
    {"window", "duration", "60s", "the calls of the last window (10 buckets)"},
    {"min_calls", "int", "100", "calls in the window before the rate is judged"},
    {"rate", "fraction", "50%", "failure share that trips it"},
    {"probes", "int", "10", "calls let through in half-open, judged together at the rate"},
    COMMON_PARAMS,
    {NULL, NULL, NULL, NULL},
};

static void clear_window(struct breaker *b)
{
    b->run = 0;
    b->ring_head = b->ring_len = 0;
    b->nfailed = b->nslow = b->ncalls = 0;
    memset(b->bcalls, 0, sizeof b->bcalls);
    memset(b->bfailed, 0, sizeof b->bfailed);
    memset(b->bslow, 0, sizeof b->bslow);
}

static void enter(struct breaker *b, enum breaker_state s, int64_t now_ns)
{
    if (b->state == BREAKER_HALF_OPEN) { /* a cycle ends, or the probes failed */
        b->cycles += s == BREAKER_CLOSED;
        b->reopens += s == BREAKER_OPEN;
    }
    b->state = s;
    b->epoch++;
    b->probes_out = b->probes_done = b->probes_failed = b->probes_slow = 0;
    if (s == BREAKER_OPEN) {
        b->opened_ns = now_ns;
        b->opens++;
    }
    clear_window(b);
}

static bool rate_trips(const struct breaker *b, uint32_t calls, uint32_t failed, uint32_t slow)
{
    if (calls == 0 || calls < b->min_calls)
        return false;
    if ((double)failed >= b->rate * (double)calls - 1e-9)
        return true;
    return b->slow_ns > 0 && (double)slow >= b->slow_rate * (double)calls - 1e-9;
}

static bool consecutive_record(struct breaker *b, int64_t now_ns, bool failed, bool slow)
{
    (void)now_ns;
    if (failed || slow)
        return ++b->run >= b->failures;
    b->run = 0;
    return false;
}

static bool count_record(struct breaker *b, int64_t now_ns, bool failed, bool slow)
{
    (void)now_ns;
    uint8_t bits = (uint8_t)((failed ? 1 : 0) | (slow ? 2 : 0));
    if (b->ring_len == b->window) { /* the oldest call leaves */
        uint8_t old = b->ring[b->ring_head];
        b->nfailed -= old & 1;
        b->nslow -= (old >> 1) & 1;
        b->ring[b->ring_head] = bits;
        b->ring_head = (b->ring_head + 1) % b->window;
    } else {
        b->ring[(b->ring_head + b->ring_len) % b->window] = bits;
        b->ring_len++;
    }
    b->nfailed += failed;
    b->nslow += slow;
    return rate_trips(b, b->ring_len, b->nfailed, b->nslow);
}

/* Advances the time window so that its newest bucket holds now_ns. */
static void time_slide(struct breaker *b, int64_t now_ns)
{
    int64_t width = b->window_ns / BREAKER_BUCKETS;
    int64_t id = now_ns / (width > 0 ? width : 1);
    if (b->ncalls == 0)
        b->bucket_id = id;
    for (; b->bucket_id < id; b->bucket_id++) {
        size_t k = (size_t)((b->bucket_id + 1) % BREAKER_BUCKETS);
        b->ncalls -= b->bcalls[k];
        b->nfailed -= b->bfailed[k];
        b->nslow -= b->bslow[k];
        b->bcalls[k] = b->bfailed[k] = b->bslow[k] = 0;
        if (b->ncalls == 0) {
            b->bucket_id = id;
            break;
        }
    }
}

static bool time_record(struct breaker *b, int64_t now_ns, bool failed, bool slow)
{
    time_slide(b, now_ns);
    size_t k = (size_t)(b->bucket_id % BREAKER_BUCKETS);
    b->bcalls[k]++;
    b->bfailed[k] += failed;
    b->bslow[k] += slow;
    b->ncalls++;
    b->nfailed += failed;
    b->nslow += slow;
    return rate_trips(b, b->ncalls, b->nfailed, b->nslow);
}

static int common_init(struct breaker *b, const struct spec *sp, const struct param_spec *p,
                       struct diag *d)
{
    long long probes;
    int rc = pspec_duration(sp, p, "open", &b->open_ns, d);
    rc |= pspec_duration(sp, p, "slow", &b->slow_ns, d);
    rc |= pspec_fraction(sp, p, "slow_rate", &b->slow_rate, d);
    rc |= pspec_int(sp, p, "probes", 1, 1000000, &probes, d);
    b->probes = (uint32_t)probes;
    return rc;
}

static int consecutive_init(struct breaker *b, const struct spec *sp, struct diag *d)
{
    long long n;
    int rc = common_init(b, sp, consecutive_params, d);
    rc |= pspec_int(sp, consecutive_params, "failures", 1, 1000000, &n, d);
    b->failures = (uint32_t)n;
    return rc ? -1 : 0;
}

static int rate_init(struct breaker *b, const struct spec *sp, const struct param_spec *p,
                     struct diag *d)
{
    long long n;
    int rc = common_init(b, sp, p, d);
    rc |= pspec_int(sp, p, "min_calls", 1, 100000000, &n, d);
    b->min_calls = (uint32_t)n;
    rc |= pspec_fraction(sp, p, "rate", &b->rate, d);
    return rc;
}

static int count_init(struct breaker *b, const struct spec *sp, struct diag *d)
{
    long long n;
    int rc = rate_init(b, sp, count_params, d);
    rc |= pspec_int(sp, count_params, "window", 1, 10000000, &n, d);
    if (rc)
        return -1;
    b->window = (uint32_t)n;
    if (b->min_calls > b->window)
        return diag_error(d, sp->loc, "min_calls (%u) is more than the window (%u calls)",
                          b->min_calls, b->window);
    b->ring = xcalloc(b->window, 1);
    return 0;
}

static int time_init(struct breaker *b, const struct spec *sp, struct diag *d)
{
    int rc = rate_init(b, sp, time_params, d);
    rc |= pspec_duration(sp, time_params, "window", &b->window_ns, d);
    if (rc == 0 && b->window_ns < BREAKER_BUCKETS)
        rc = diag_error(d, sp->loc, "window is too short");
    return rc ? -1 : 0;
}

const struct breaker_policy breaker_consecutive = {
    .head.name = "consecutive",
    .head.summary = "opens after N failures in a row (the classic circuit breaker)",
    .head.params = consecutive_params,
    .init = consecutive_init,
    .closed_record = consecutive_record,
};

const struct breaker_policy breaker_count = {
    .head.name = "count",
    .head.summary = "opens when the failure (or slow) share of the last N calls reaches a rate "
               "(Resilience4j COUNT_BASED)",
    .head.params = count_params,
    .init = count_init,
    .closed_record = count_record,
};

const struct breaker_policy breaker_time = {
    .head.name = "time",
    .head.summary = "opens when the failure (or slow) share of the calls in the last window of "
               "time reaches a rate (Resilience4j TIME_BASED)",
    .head.params = time_params,
    .init = time_init,
    .closed_record = time_record,
};

int breaker_setup(struct breaker *b, const char *text, struct loc loc, struct diag *d)
{
    memset(b, 0, sizeof *b);
    struct spec sp;
    const struct policy_head *h = policy_setup(&breaker_family, text, loc, &sp, d);
    if (!h)
        return -1;
    b->pol = (const struct breaker_policy *)h;
    return b->pol->init(b, &sp, d);
}

void breaker_fini(struct breaker *b)
{
    free(b->ring);
    b->ring = NULL;
}

void breaker_poll(struct breaker *b, int64_t now_ns)
{
    if (b->state == BREAKER_OPEN && now_ns - b->opened_ns >= b->open_ns)
        enter(b, BREAKER_HALF_OPEN, now_ns);
}

bool breaker_allow(struct breaker *b, int64_t now_ns, uint32_t *ticket)
{
    breaker_poll(b, now_ns);
    *ticket = b->epoch;
    switch (b->state) {
    case BREAKER_CLOSED:
        return true;
    case BREAKER_HALF_OPEN:
        if (b->probes_out >= b->probes)
            return false;
        b->probes_out++;
        return true;
    default:
        return false;
    }
}

/* A probe's outcome: consecutive re-opens at the first failure; the rate
 * policies judge the probes together once all have reported. */
static void half_open_record(struct breaker *b, int64_t now_ns, bool failed, bool slow)
{
    b->probes_done++;
    b->probes_failed += failed;
    b->probes_slow += slow;
    if (b->pol == &breaker_consecutive) {
        if (failed || slow)
            enter(b, BREAKER_OPEN, now_ns);
        else if (b->probes_done >= b->probes)
            enter(b, BREAKER_CLOSED, now_ns);
        return;
    }
    if (b->probes_done < b->probes)
        return;
    bool trips = (double)b->probes_failed >= b->rate * (double)b->probes - 1e-9 ||
                 (b->slow_ns > 0 &&
                  (double)b->probes_slow >= b->slow_rate * (double)b->probes - 1e-9);
    enter(b, trips ? BREAKER_OPEN : BREAKER_CLOSED, now_ns);
}

void breaker_record(struct breaker *b, int64_t now_ns, uint32_t ticket, bool failed,
                    int64_t latency_ns)
{
    if (ticket != b->epoch)
        return;
    bool slow = !failed && b->slow_ns > 0 && latency_ns >= b->slow_ns;
    if (b->state == BREAKER_CLOSED) {
        if (b->pol->closed_record(b, now_ns, failed, slow))
            enter(b, BREAKER_OPEN, now_ns);
    } else if (b->state == BREAKER_HALF_OPEN) {
        half_open_record(b, now_ns, failed, slow);
    }
}

void breaker_forget(struct breaker *b, uint32_t ticket)
{
    if (ticket == b->epoch && b->state == BREAKER_HALF_OPEN && b->probes_out > 0)
        b->probes_out--;
}
