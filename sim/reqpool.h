/* reqpool: the request pool. Requests come in chunks of REQPOOL_CHUNK with a free
 * list, so memory grows with the number of requests in flight, never with
 * the number served, and taking or returning one never allocates once the
 * run holds its peak. The engine's calls on it are sim_req_new, sim_req_child
 * and sim_req_free (sim.h); this header is the pool's own state. */
#ifndef SDSIM_SIM_REQPOOL_H
#define SDSIM_SIM_REQPOOL_H

#include <stddef.h>
#include <stdint.h>

struct request;
struct frame_block;

#define REQPOOL_CHUNK 256

struct reqpool {
    struct request *free;     /* free list through request.next_free */
    struct request **chunks;  /* every chunk of REQPOOL_CHUNK requests */
    size_t nchunks;
    size_t live;              /* taken and not returned */
    uint64_t next_id;         /* id of the next request taken */
    /* the blocks of frames of deep requests, the same way */
    struct frame_block *free_blocks;
    struct frame_block **block_chunks;
    size_t nblock_chunks;
    size_t live_blocks;
    struct req_attr **attrs;  /* with attribution: one chunk of accumulators per chunk */
};

/* A request with a fresh id, no frames, user UINT32_MAX, target -1 and the
 * rest of its header zero (frames are written as they are pushed). */
struct request *reqpool_take(struct reqpool *p);
/* Returns r, which must be live (not already returned), and its blocks. */
void reqpool_put(struct reqpool *p, struct request *r);
/* Adds a chunk of free requests (the free list is empty). */
void reqpool_grow(struct reqpool *p);
/* Returns the blocks of r's deeper frames (r->deep, not NULL) to p. */
void reqpool_put_blocks(struct reqpool *p, struct request *r);
/* r is about to push frame i, the first of a block: links a block for it
 * from p unless r kept one from an earlier, deeper call. */
void reqpool_deepen(struct reqpool *p, struct request *r, unsigned i);
/* Gives every request, those of chunks to come too, an attribution
 * accumulator (request.attr; sim/attrib.h). */
void reqpool_with_attr(struct reqpool *p);
/* Frees every chunk (requests still live go with them) and zeroes p.
 * Checks the accounting first: free + live = every request allocated. */
void reqpool_fini(struct reqpool *p);

#endif
