/* limit_window: what the windowed limiters (fixed_window, sliding_window,
 * sliding_log) share: their parameters (limit, window, per), reading them,
 * and the window head of the two counters, the index of the current fixed
 * window with its count and the count of the one before, rolled forward
 * when a check falls in a later window. See limit.h. */
#include "models/admission/limit.h"

int limit_window_setup(struct limit *l, const struct spec *sp, const struct param_spec *p,
                       size_t slot_bytes, struct diag *d)
{
    int rc = limit_read_count(sp, p, "limit", 1, &l->limit, d);
    if (limit_read_window(sp, p, &l->window_ns, d) < 0)
        rc = -1;
    l->slot_bytes = slot_bytes;
    return rc;
}

void limit_window_init(const struct limit *l, void *slot, int64_t now_ns)
{
    *(struct limit_window *)slot = (struct limit_window){now_ns / l->window_ns, 0, 0};
}

void limit_window_roll(const struct limit *l, struct limit_window *s, int64_t now_ns)
{
    int64_t w = now_ns / l->window_ns;
    if (w != s->window) {
        s->prev = w == s->window + 1 ? s->cur : 0;
        s->cur = 0;
        s->window = w;
    }
}

long limit_window_consume(const struct limit *l, void *slot, int64_t now_ns)
{
    struct limit_window *s = slot;
    limit_window_roll(l, s, now_ns);
    s->cur++;
    return 0;
}
