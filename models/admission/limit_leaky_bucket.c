/* limit_leaky_bucket: the leaky bucket as a queue (shaping): requests leave
 * one every 1/rate seconds, and up to `queue` of them wait for their turn;
 * one that finds the queue full is rejected. Unlike the token bucket it
 * never lets a burst through at once: it delays it, so what leaves is
 * smooth. Kept as one number per scope, the departure time of the next free
 * slot (tat, as in the GCRA of ATM's traffic management spec, ITU-T I.371):
 * the requests still waiting at t are those whose departure is after t, so
 * the queue needs no list. The component holds the delayed requests; each
 * counts as one entry while it waits. Cost: O(1); entries: 1 + waiting. */
#include <math.h>

#include "models/admission/limit.h"

struct lb_slot {
    double tat_ns; /* the next departure slot: no request leaves before it */
};

static const struct param_spec params[] = {
    {"rate", "rate", NULL, "requests let out per second, evenly spaced, e.g. 100/s"},
    {"queue", "int", "10", "requests that may wait for their turn; 0: police without a queue"},
    LIMIT_PER_PARAM,
    {NULL, NULL, NULL, NULL},
};

static int init(struct limit *l, const struct spec *sp, struct diag *d)
{
    int rc = limit_read_rate(sp, params, &l->rate_per_s, d);
    if (limit_read_count(sp, params, "queue", 0, &l->queue, d) < 0)
        rc = -1;
    l->slot_bytes = sizeof(struct lb_slot);
    return rc;
}

static void slot_init(const struct limit *l, void *slot, int64_t now_ns)
{
    (void)l;
    ((struct lb_slot *)slot)->tat_ns = (double)now_ns;
}

static long check(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v)
{
    struct lb_slot *s = slot;
    double gap_ns = 1e9 / l->rate_per_s;
    double t = (double)now_ns;
    if (s->tat_ns <= t) { /* idle: leaves now */
        v->admit = true;
        s->tat_ns = t + gap_ns;
        return 0;
    }
    double waiting = ceil((s->tat_ns - t) / gap_ns) - 1; /* departures after t */
    if (waiting >= (double)l->queue) {
        v->retry_after_ns = (int64_t)ceil(s->tat_ns - (double)l->queue * gap_ns - t);
        if (v->retry_after_ns < 1)
            v->retry_after_ns = 1;
        return 0;
    }
    v->admit = true;
    v->delay_ns = (int64_t)ceil(s->tat_ns - t);
    s->tat_ns += gap_ns;
    return 0;
}

const struct limit_policy limit_leaky_bucket = {
    .head.name = "leaky_bucket",
    .head.summary = "shaping: requests leave evenly at `rate`, up to `queue` wait their turn, "
                    "the rest are rejected (no burst passes at once); O(1), 1 entry + waiting",
    .head.params = params,
    .init = init,
    .slot_init = slot_init,
    .check = check,
    .slot_entries = 1,
};
