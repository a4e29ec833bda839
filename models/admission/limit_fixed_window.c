/* limit_fixed_window: time is cut into windows [k*window, (k+1)*window) and
 * each admits `limit` requests; the count restarts at each boundary. Cheap
 * (one counter, as a Redis INCR with EXPIRE), but a burst at the end of one
 * window and another at the start of the next both pass: up to 2 x limit
 * within a short time across a boundary. Cost: O(1); entries: 2. */
#include "models/admission/limit.h"

/* The slot is a window head (limit.h): cur counts the current window's
 * admissions; prev is not used. */
static const struct param_spec params[] =
    LIMIT_WINDOW_PARAMS("requests admitted per window",
                        "window length; windows start at multiples of it");

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    return limit_window_setup(l, sp, params, sizeof(struct limit_window), d);
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct limit_window *s = slot;
    limit_window_roll(l, s, now_ns);
    if (s->cur < l->limit) {
        s->cur++;
        v->admit = true;
    } else {
        v->retry_after_ns = (s->window + 1) * l->window_ns - now_ns;
    }
    return 0;
}

const struct limit_policy limit_fixed_window = {
    .head.name = "fixed_window",
    .head.summary = "`limit` requests per window, counts restart at each boundary (up to 2x "
                    "limit passes across one); O(1), 2 entries per scope",
    .head.params = params,
    .init = init,
    .slot_init = limit_window_init,
    .check = check,
    .slot_entries = 2,
    .consume = limit_window_consume,
};
