/* limit_sliding_window: the weighted two-window counter (Cloudflare's
 * "counting things, a lot of different things", 2017): it keeps the count of
 * the current fixed window and of the one before, and estimates the count
 * of the last `window` as previous x (the share of the sliding span that
 * overlaps the previous window) + current. A request is admitted when the
 * estimate plus itself is at most `limit`; only admitted requests count.
 * It assumes the previous window's requests were spread evenly, so it is
 * an approximation of sliding_log with the memory of fixed_window: a burst
 * at a boundary is mostly stopped. Cost: O(1); entries: 3. */
#include <math.h>

#include "models/admission/limit.h"

/* The slot is a window head (limit.h): cur and prev count the admissions. */
static const struct param_spec params[] =
    LIMIT_WINDOW_PARAMS("requests admitted per window, as estimated over the sliding span",
                        "window length");

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    return limit_window_setup(l, sp, params, sizeof(struct limit_window), d);
}

/* When a rejected request could first pass, from inside window w. */
static int64_t retry_after(const struct limit *l, const struct limit_window *s, int64_t now_ns)
{
    double W = (double)l->window_ns, lim = (double)l->limit;
    double at; /* time when prev' * (W - e) / W + cur' + 1 <= limit */
    if (s->cur + 1 <= l->limit) /* later in this window, as prev's weight falls */
        at = (double)s->window * W + W * (1 - (lim - 1 - s->cur) / s->prev);
    else /* in the next window, where cur becomes the previous count */
        at = (double)(s->window + 1) * W + fmax(0, W * (1 - (lim - 1) / s->cur));
    int64_t wait = (int64_t)ceil(at - (double)now_ns);
    return wait > 0 ? wait : 1;
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct limit_window *s = slot;
    limit_window_roll(l, s, now_ns);
    int64_t w = s->window;
    double elapsed = (double)(now_ns - w * l->window_ns);
    double W = (double)l->window_ns;
    double estimate = (double)s->prev * (W - elapsed) / W + (double)s->cur;
    if (estimate + 1 <= (double)l->limit) {
        s->cur++;
        v->admit = true;
    } else {
        v->retry_after_ns = retry_after(l, s, now_ns);
    }
    return 0;
}

const struct limit_policy limit_sliding_window = {
    .head.name = "sliding_window",
    .head.summary = "weighted two-window counter: previous window's count x overlap + current "
                    "<= limit (approximates sliding_log); O(1), 3 entries per scope",
    .head.params = params,
    .init = init,
    .slot_init = limit_window_init,
    .check = check,
    .slot_entries = 3,
    .consume = limit_window_consume,
};
