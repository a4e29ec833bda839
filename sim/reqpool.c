/* reqpool: the request pool. See reqpool.h. */
#include "sim/reqpool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/xalloc.h"

static void grow(struct reqpool *p)
{
    struct request *chunk = xcalloc(REQPOOL_CHUNK, sizeof *chunk);
    p->chunks = xrealloc(p->chunks, (p->nchunks + 1) * sizeof *p->chunks);
    p->chunks[p->nchunks++] = chunk;
    for (size_t i = REQPOOL_CHUNK; i-- > 0;) {
        chunk[i].pooled = true;
        chunk[i].next_free = p->free;
        p->free = &chunk[i];
    }
}

struct request *reqpool_take(struct reqpool *p)
{
    if (!p->free)
        grow(p);
    struct request *r = p->free;
    assert(r->pooled && "a request in the free list is in use");
    p->free = r->next_free;
    /* Clear the header only: frames are written as they are pushed. */
    memset(r, 0, offsetof(struct request, stack));
    r->id = p->next_id++;
    r->user = UINT32_MAX;
    r->target = -1;
    p->live++;
    return r;
}

void reqpool_put(struct reqpool *p, struct request *r)
{
    assert(!r->pooled && "request freed twice");
    assert(p->live > 0 && "more requests freed than taken");
    r->pooled = true;
    r->next_free = p->free;
    p->free = r;
    p->live--;
}

void reqpool_fini(struct reqpool *p)
{
#ifndef NDEBUG
    size_t nfree = 0;
    for (const struct request *r = p->free; r; r = r->next_free)
        nfree++;
    assert(nfree + p->live == p->nchunks * REQPOOL_CHUNK && "request pool accounting");
#endif
    for (size_t i = 0; i < p->nchunks; i++)
        free(p->chunks[i]);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}
