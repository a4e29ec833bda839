/* reqpool: the request pool, and the engine's calls that take requests from
 * it and return them (sim_req_new, sim_req_child, sim_req_free in sim.h).
 * See reqpool.h. */
#include "sim/reqpool.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/xalloc.h"

const unsigned char sim_req_zero_head[offsetof(struct request, stack)] = {0};

/* Chunk k's accumulators. */
static void attr_chunk(struct reqpool *p, size_t k)
{
    struct req_attr *a = xcalloc(REQPOOL_CHUNK, sizeof *a);
    p->attrs[k] = a;
    for (size_t i = 0; i < REQPOOL_CHUNK; i++)
        p->chunks[k][i].attr = &a[i];
}

void reqpool_with_attr(struct reqpool *p)
{
    if (p->attrs)
        return;
    p->attrs = xcalloc(p->nchunks + 1, sizeof *p->attrs);
    for (size_t k = 0; k < p->nchunks; k++)
        attr_chunk(p, k);
}

void reqpool_grow(struct reqpool *p)
{
    struct request *chunk = xcalloc(REQPOOL_CHUNK, sizeof *chunk);
    p->chunks = xrealloc(p->chunks, (p->nchunks + 1) * sizeof *p->chunks);
    p->chunks[p->nchunks++] = chunk;
    if (p->attrs) {
        p->attrs = xrealloc(p->attrs, (p->nchunks + 1) * sizeof *p->attrs);
        attr_chunk(p, p->nchunks - 1);
    }
    for (size_t i = REQPOOL_CHUNK; i-- > 0;) {
        chunk[i].pooled = true;
        chunk[i].next_free = p->free;
        p->free = &chunk[i];
    }
}

struct request *reqpool_take(struct reqpool *p)
{
    return reqpool_take_inline(p);
}

void reqpool_put_blocks(struct reqpool *p, struct request *r)
{
    struct frame_block *last = r->deep; /* its blocks go back as one chain */
    for (p->live_blocks--; last->next; last = last->next)
        p->live_blocks--;
    last->next = p->free_blocks;
    p->free_blocks = r->deep;
    r->deep = NULL;
}

void reqpool_put(struct reqpool *p, struct request *r)
{
    reqpool_put_inline(p, r); /* sim.h: the engine's sim_req_free inlines it */
}

#define BLOCK_CHUNK 256

void reqpool_deepen(struct reqpool *p, struct request *r, unsigned i)
{
    struct frame_block **link = &r->deep;
    for (i -= REQ_INLINE_FRAMES; *link && i >= REQ_BLOCK_FRAMES; i -= REQ_BLOCK_FRAMES)
        link = &(*link)->next;
    if (*link) /* kept from an earlier call as deep */
        return;
    if (!p->free_blocks) {
        struct frame_block *chunk = xcalloc(BLOCK_CHUNK, sizeof *chunk);
        p->block_chunks = xrealloc(p->block_chunks, (p->nblock_chunks + 1) * sizeof *p->block_chunks);
        p->block_chunks[p->nblock_chunks++] = chunk;
        for (size_t k = BLOCK_CHUNK; k-- > 0;) {
            chunk[k].next = p->free_blocks;
            p->free_blocks = &chunk[k];
        }
    }
    struct frame_block *b = p->free_blocks;
    p->free_blocks = b->next;
    b->next = NULL;
    *link = b;
    p->live_blocks++;
}

/* Kept out of line so that sim_req_new pays one comparison. */
void sim_overload(struct sim *sim)
{
    sim->limits.overloaded = true;
    sim->stop = true;
    sim->limits.overload.at_ns = sim_now(sim);
    sim->limits.overload.in_flight = sim->pool.live;
}

struct request *sim_req_child(struct sim *sim, struct request *parent)
{
    struct request *r = sim_req_new(sim);
    r->work_seed = parent->work_seed;
    r->key = parent->key;
    r->op = parent->op;
    r->version = parent->version;
    r->born_ns = parent->born_ns;
    r->measured = parent->measured;
    r->user = parent->user;
    r->attempt = parent->attempt;
    r->parent = parent;
    if (sim->trace) /* attempts, hedges and calls follow their parent's sampling */
        trace_child(sim, r);
    return r;
}

void reqpool_fini(struct reqpool *p)
{
#ifndef NDEBUG
    size_t nfree = 0;
    for (const struct request *r = p->free; r; r = r->next_free)
        nfree++;
    assert(nfree + p->live == p->nchunks * REQPOOL_CHUNK && "request pool accounting");
    size_t nblocks = 0;
    for (const struct frame_block *b = p->free_blocks; b; b = b->next)
        nblocks++;
    assert(nblocks + p->live_blocks == p->nblock_chunks * BLOCK_CHUNK && "frame block accounting");
#endif
    for (size_t i = 0; i < p->nchunks; i++) {
        free(p->chunks[i]);
        if (p->attrs)
            free(p->attrs[i]);
    }
    free(p->chunks);
    for (size_t i = 0; i < p->nblock_chunks; i++)
        free(p->block_chunks[i]);
    free(p->block_chunks);
    free(p->attrs);
    memset(p, 0, sizeof *p);
}
