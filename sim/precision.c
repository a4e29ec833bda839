/* precision: the `precision` stop. See precision.h. */
#include "sim/precision.h"

#include <stdlib.h>

#include "sim/stats.h"
#include "sim/xalloc.h"

void precision_init(struct precision *p, double goal)
{
    p->goal = goal;
    p->bm = xmalloc(sizeof *p->bm);
    batches_init(p->bm, 100);
}

void precision_fini(struct precision *p)
{
    free(p->bm);
    p->bm = NULL;
}

/* Checks the goal once per completed batch: 20 regrouped batch means, as
 * JMT and Law & Kelton advise, and at least 100 batches seen so that each
 * batch is long compared with the correlation of the series. */
static bool reached(const struct precision *p)
{
    struct ci ci;
    if (p->bm->nbatches < 100 && p->bm->batch_size == p->bm->base_size)
        return false;
    if (!batches_ci95(p->bm, 20, &ci) || !(ci.mean > 0))
        return false;
    return (ci.hi - ci.lo) / 2 <= p->goal * ci.mean;
}

bool precision_add(struct precision *p, double latency_ns)
{
    batches_add(p->bm, latency_ns);
    return p->bm->fill == 0 && reached(p); /* fill 0: a batch has just been completed */
}
