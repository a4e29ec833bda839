/* evq: the future event list. A d-ary min-heap (d = EVQ_ARITY, 4 by default,
 * chosen by `make bench`) of (at_ns, seq) keys, where seq grows with every
 * push, so equal times pop in push order and a run is a pure function of its
 * inputs. Event records live in a pool with a free list: after warm-up no
 * push allocates. Each record knows its heap slot, so cancelling is an
 * O(log n) removal that frees the record at once (a cancelled timeout leaves
 * nothing behind). Handles carry a generation count, so cancelling an event
 * that already fired or was cancelled is detected and harmless. */
#ifndef SDSIM_SIM_EVQ_H
#define SDSIM_SIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;

typedef void evq_fn(struct sim *sim, void *a, void *b);

/* The queue's records. Their fields belong to evq.c; they are here only so
 * the queries called at every event (evq_now, evq_peek_time) are inline. */
struct evq_key {
    int64_t at_ns;
    uint64_t seq;
    uint32_t node;
};

struct evq_node {
    evq_fn *fn;
    void *a;
    void *b;
    uint32_t pos; /* heap slot while pending; next free node while free */
    uint32_t gen;
};

struct evq {
    struct evq_key *heap;
    size_t n, heap_cap;
    struct evq_node *nodes;
    size_t nodes_len, nodes_cap;
    uint32_t free_head;
    uint64_t seq;
    int64_t now_ns;
    /* The last pop left its slot 0 empty (counted in n): the next push fills
     * it and sinks, one sift instead of the pop's and the push's. Anything
     * else settles the heap first (evq_settle). */
    bool hole;
};

/* What evq_pop hands back. */
struct evq_event {
    int64_t at_ns;
    evq_fn *fn;
    void *a;
    void *b;
};

#define EVQ_NONE 0 /* a handle that names no event */

struct evq *evq_new(void);
void evq_free(struct evq *q); /* q may be NULL */

/* Schedules fn(sim, a, b) at at_ns, which must not be before the time of the
 * last popped event. Returns a handle for evq_cancel (never EVQ_NONE). */
uint64_t evq_push(struct evq *q, int64_t at_ns, evq_fn *fn, void *a, void *b);

/* Removes a pending event. Returns false if it already fired or was
 * cancelled (or h is EVQ_NONE). */
bool evq_cancel(struct evq *q, uint64_t h);


static inline bool evq_is_empty(const struct evq *q)
{
    return q->n == (size_t)q->hole;
}
static inline size_t evq_size(const struct evq *q)
{
    return q->n - (size_t)q->hole;
}
/* Fills the hole a pop left (see struct evq). */
void evq_settle(struct evq *q);
static inline int64_t evq_now(const struct evq *q)
{
    return q->now_ns;
}
/* Time of the earliest pending event; INT64_MAX when empty. */
static inline int64_t evq_peek_time(struct evq *q)
{
    if (q->hole)
        evq_settle(q);
    return q->n ? q->heap[0].at_ns : INT64_MAX;
}
/* Frees record i: a new generation, so handles to it go stale. */
static inline void evq_node_release(struct evq *q, uint32_t i)
{
    q->nodes[i].gen++;
    if (q->nodes[i].gen == 0)
        q->nodes[i].gen = 1;
    q->nodes[i].pos = q->free_head;
    q->free_head = i;
}

/* Pops the earliest event into *ev, if it is due at or before until_ns,
 * and advances evq_now to its time. Returns false when the queue is empty or
 * its earliest event is later. Inline: the run loop calls it at every
 * event, and with the sift left to the next push or settle it is a few
 * moves. */
static inline bool evq_pop_until(struct evq *q, int64_t until_ns, struct evq_event *ev)
{
    if (q->hole)
        evq_settle(q);
    if (q->n == 0 || q->heap[0].at_ns > until_ns)
        return false;
    struct evq_key top = q->heap[0];
    struct evq_node *nd = &q->nodes[top.node];
    ev->at_ns = top.at_ns;
    ev->fn = nd->fn;
    ev->a = nd->a;
    ev->b = nd->b;
    q->now_ns = top.at_ns;
    q->hole = true; /* slot 0 stays empty until the next push or settle */
    evq_node_release(q, top.node);
    return true;
}

/* Pops the earliest event into *ev and advances evq_now to its time.
 * Returns false when the queue is empty. */
static inline bool evq_pop(struct evq *q, struct evq_event *ev)
{
    return evq_pop_until(q, INT64_MAX, ev);
}

/* Event records allocated so far (pending + free): a measure of memory. */
size_t evq_capacity(const struct evq *q);

#endif
