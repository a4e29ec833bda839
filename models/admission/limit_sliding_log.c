/* limit_sliding_log: keeps the time of every admitted request of the last
 * `window` (a Redis sorted set per client, in the usual sketch) and admits a
 * request when fewer than `limit` are in (t - window, t]. Exact: no span of
 * length window ever holds more than `limit` admissions, boundaries or not.
 * The log never holds more than `limit` times, so each scope's log is a
 * ring of `limit` slots made when the scope first appears (no allocation
 * per request). Times leave the ring as they expire, when the scope is
 * next checked: amortised O(1) per request; entries: the times held. */
#include "models/admission/limit.h"

struct sl_slot {
    uint32_t head;  /* oldest time */
    uint32_t count; /* times held, <= limit */
    int64_t at_ns[]; /* a ring of limit admission times */
};

static const struct param_spec params[] =
    LIMIT_WINDOW_PARAMS("requests admitted in any span of length window", "the sliding span");

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    int rc = limit_window_setup(l, sp, params, 0, d);
    l->log_cap = l->limit;
    l->slot_bytes = sizeof(struct sl_slot) + (size_t)l->log_cap * sizeof(int64_t);
    return rc;
}

static void slot_init(const struct limit *l, void *slot, int64_t now_ns)
{
    (void)l;
    (void)now_ns;
    struct sl_slot *s = slot;
    s->head = s->count = 0;
}

/* Drops the times that left the window; returns minus their number. */
static long expire(const struct limit *l, struct sl_slot *s, int64_t now_ns)
{
    long delta = 0;
    while (s->count > 0 && s->at_ns[s->head] <= now_ns - l->window_ns) {
        s->head = (s->head + 1) % l->log_cap;
        s->count--;
        delta--;
    }
    return delta;
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct sl_slot *s = slot;
    long delta = expire(l, s, now_ns);
    if (s->count < l->limit) {
        s->at_ns[(s->head + s->count) % l->log_cap] = now_ns;
        s->count++;
        v->admit = true;
        return delta + 1;
    }
    v->retry_after_ns = s->at_ns[s->head] + l->window_ns - now_ns;
    return delta;
}

/* A synced log's global count: n nodes admit at most n x limit in one
 * window (each only while its view, which holds its own admissions, is
 * under the limit), and limit_widen made the ring that large; a full ring
 * (never reached) drops its oldest time. */
static long consume(const struct limit *l, void *slot, int64_t now_ns)
{
    struct sl_slot *s = slot;
    long delta = expire(l, s, now_ns);
    if (s->count == l->log_cap) {
        s->head = (s->head + 1) % l->log_cap;
        s->count--;
        delta--;
    }
    s->at_ns[(s->head + s->count) % l->log_cap] = now_ns;
    s->count++;
    return delta + 1;
}

static size_t entries(const struct limit *l, const void *slot)
{
    (void)l;
    return ((const struct sl_slot *)slot)->count;
}

const struct limit_policy limit_sliding_log = {
    .head.name = "sliding_log",
    .head.summary = "admits while fewer than `limit` admissions are in the last `window` "
                    "(exact, never above limit); amortised O(1), 1 entry per admission held",
    .head.params = params,
    .init = init,
    .slot_init = slot_init,
    .check = check,
    .entries = entries,
    .consume = consume,
};
