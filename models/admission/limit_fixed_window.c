/* limit_fixed_window: time is cut into windows [k*window, (k+1)*window) and
 * each admits `limit` requests; the count restarts at each boundary. Cheap
 * (one counter, as a Redis INCR with EXPIRE), but a burst at the end of one
 * window and another at the start of the next both pass: up to 2 x limit
 * within a short time across a boundary. Cost: O(1); entries: 2. */
#include "models/admission/limit.h"

struct fw_slot {
    int64_t window; /* index of the current window */
    uint32_t count; /* requests admitted in it */
};

static const struct param_spec params[] = {
    {"limit", "int", NULL, "requests admitted per window"},
    {"window", "duration", "1s", "window length; windows start at multiples of it"},
    LIMIT_PER_PARAM,
    {NULL, NULL, NULL, NULL},
};

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    int rc = limit_read_count(sp, params, "limit", 1, &l->limit, d);
    if (limit_read_window(sp, params, &l->window_ns, d) < 0)
        rc = -1;
    l->slot_bytes = sizeof(struct fw_slot);
    return rc;
}

static void slot_init(const struct limit *l, void *slot, int64_t now_ns)
{
    *(struct fw_slot *)slot = (struct fw_slot){now_ns / l->window_ns, 0};
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct fw_slot *s = slot;
    int64_t w = now_ns / l->window_ns;
    if (w != s->window) {
        s->window = w;
        s->count = 0;
    }
    if (s->count < l->limit) {
        s->count++;
        v->admit = true;
    } else {
        v->retry_after_ns = (w + 1) * l->window_ns - now_ns;
    }
    return 0;
}

/* The global count of a synced limiter: past the limit when nodes overshoot. */
static long consume(const struct limit *l, void *slot, int64_t now_ns)
{
    struct fw_slot *s = slot;
    int64_t w = now_ns / l->window_ns;
    if (w != s->window) {
        s->window = w;
        s->count = 0;
    }
    s->count++;
    return 0;
}

static size_t entries(const struct limit *l, const void *slot)
{
    (void)l;
    (void)slot;
    return 2;
}

const struct limit_policy limit_fixed_window = {
    .head.name = "fixed_window",
    .head.summary = "`limit` requests per window, counts restart at each boundary (up to 2x "
                    "limit passes across one); O(1), 2 entries per scope",
    .head.params = params,
    .init = init,
    .slot_init = slot_init,
    .check = check,
    .entries = entries,
    .consume = consume,
};
