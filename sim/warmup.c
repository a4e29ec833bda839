/* warmup: the latency series of a `warmup = auto` pilot. See warmup.h. */
#include "sim/warmup.h"

void warmup_add(struct series *s, double x, int64_t now_ns)
{
    if (s->batch_size == 0)
        s->batch_size = 5; /* MSER-5: batches of five */
    s->partial += x;
    if (++s->fill < s->batch_size)
        return;
    s->mean[s->nbatches] = s->partial / (double)s->fill;
    s->end_ns[s->nbatches] = now_ns;
    s->nbatches++;
    s->partial = 0;
    s->fill = 0;
    if (s->nbatches < SERIES_MAX)
        return;
    for (size_t i = 0; i < SERIES_MAX / 2; i++) {
        s->mean[i] = (s->mean[2 * i] + s->mean[2 * i + 1]) / 2;
        s->end_ns[i] = s->end_ns[2 * i + 1];
    }
    s->nbatches = SERIES_MAX / 2;
    s->batch_size *= 2;
}
