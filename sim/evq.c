/* evq: future event list as a d-ary heap with handles.
 *
 * heap[] holds (at_ns, seq, node) keys inline, so sifting compares without
 * touching the records; nodes[] holds what to call and the record's heap
 * slot (pos) for O(log n) cancel. Invariants: heap[i] <= its children by
 * (at_ns, seq) and nodes[heap[i].node].pos == i for every pending node,
 * except slot 0 while `hole` is set (a pop emptied it, see evq.h); free
 * nodes form a singly linked list through pos. Handles are
 * (generation << 32) | (node index + 1), and a node's generation changes
 * every time it is freed, so stale handles never match. */
#include "sim/evq.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/check.h"
#include "sim/xalloc.h"

#ifndef EVQ_ARITY
#define EVQ_ARITY 4
#endif

#define NODE_FREE_END UINT32_MAX

struct evq *evq_new(void)
{
    struct evq *q = xcalloc(1, sizeof *q);
    q->free_head = NODE_FREE_END;
    return q;
}

void evq_free(struct evq *q)
{
    if (!q)
        return;
    free(q->heap);
    free(q->nodes);
    free(q);
}

/* Branch-light: the times almost always differ, and seq decides a tie. */
static inline bool key_less(const struct evq_key *x, const struct evq_key *y)
{
    return x->at_ns < y->at_ns || (x->at_ns == y->at_ns && x->seq < y->seq);
}

__attribute__((always_inline)) static inline void sift_up(struct evq *q, size_t i, struct evq_key k)
{
    struct evq_key *heap = q->heap;
    struct evq_node *nodes = q->nodes;
    while (i > 0) {
        size_t parent = (i - 1) / EVQ_ARITY;
        if (!key_less(&k, &heap[parent]))
            break;
        heap[i] = heap[parent];
        nodes[heap[i].node].pos = (uint32_t)i;
        i = parent;
    }
    heap[i] = k;
    nodes[k.node].pos = (uint32_t)i;
}

/* key_less as one compare of (at_ns, seq) as a 128-bit number (times are
 * >= 0: the clock starts at 0), so it yields a single flag: min_child picks
 * with it by a conditional move. Which of siblings comes first is a coin
 * toss, and a branch on it is mispredicted half the time. */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 evq_u128;

static inline bool key_less_flag(const struct evq_key *x, const struct evq_key *y)
{
    evq_u128 a = ((evq_u128)(uint64_t)x->at_ns << 64) | x->seq;
    evq_u128 b = ((evq_u128)(uint64_t)y->at_ns << 64) | y->seq;
    return a < b;
}
#else /* a target without 128-bit integers (32-bit): the same order, by branches */
static inline bool key_less_flag(const struct evq_key *x, const struct evq_key *y)
{
    return key_less(x, y);
}
#endif

/* The smallest of the children first .. last - 1 (first < last). A full set
 * of four is a two-round tournament, without a loop or a branch. */
static inline size_t min_child(const struct evq_key *heap, size_t first, size_t last)
{
#if EVQ_ARITY == 4
    if (last == first + 4) {
        size_t a = first + key_less_flag(&heap[first + 1], &heap[first]);
        size_t b = first + 2 + key_less_flag(&heap[first + 3], &heap[first + 2]);
        return key_less_flag(&heap[b], &heap[a]) ? b : a;
    }
#endif
    size_t best = first;
    for (size_t c = first + 1; c < last; c++)
        if (key_less(&heap[c], &heap[best]))
            best = c;
    return best;
}

/* Fills the hole at slot i with k: the smaller child moves up into the hole
 * until k is no greater than the hole's smallest child. A partial last
 * family (fewer than EVQ_ARITY children) is scanned keeping the best
 * child's time in a register. */
__attribute__((always_inline)) static inline void sift_down(struct evq *q, size_t i, struct evq_key k)
{
    struct evq_key *heap = q->heap;
    struct evq_node *nodes = q->nodes;
    size_t n = q->n;
    for (;;) {
        size_t first = i * EVQ_ARITY + 1;
        if (first >= n)
            break;
        size_t best;
        if (first + EVQ_ARITY <= n) {
            best = min_child(heap, first, first + EVQ_ARITY);
        } else {
            best = first;
            for (size_t c = first + 1; c < n; c++)
                if (key_less(&heap[c], &heap[best]))
                    best = c;
            if (!key_less(&heap[best], &k))
                break;
            /* a partial family is the heap's last: its children have none */
            heap[i] = heap[best];
            nodes[heap[i].node].pos = (uint32_t)i;
            i = best;
            break;
        }
        if (!key_less(&heap[best], &k))
            break;
        heap[i] = heap[best];
        nodes[heap[i].node].pos = (uint32_t)i;
        i = best;
    }
    heap[i] = k;
    nodes[k.node].pos = (uint32_t)i;
}

/* Makes room for one more pending event: a free node at free_head and a
 * heap slot. Out of line, so the push that seldom needs it stays short. */
__attribute__((noinline, cold)) static void make_room(struct evq *q)
{
    if (q->free_head == NODE_FREE_END) {
        assert(q->nodes_len < UINT32_MAX - 1 && "too many pending events");
        xgrow(&q->nodes, &q->nodes_cap, q->nodes_len + 1, sizeof *q->nodes);
        q->nodes[q->nodes_len].gen = 1;
        q->nodes[q->nodes_len].pos = NODE_FREE_END;
        q->free_head = (uint32_t)q->nodes_len++;
    }
    xgrow(&q->heap, &q->heap_cap, q->n + 1, sizeof *q->heap);
}

/* evq_push once make_room has made room: a tail call from evq_push, so
 * none of its values is live across a call on its common path. */
__attribute__((noinline, cold)) static uint64_t push_after_room(struct evq *q, int64_t at_ns,
                                                                evq_fn *fn, void *a, void *b)
{
    make_room(q);
    return evq_push(q, at_ns, fn, a, b);
}

uint64_t evq_push(struct evq *q, int64_t at_ns, evq_fn *fn, void *a, void *b)
{
    SIM_CHECK(at_ns >= q->now_ns && "event in the past");
    if (q->free_head == NODE_FREE_END || q->n == q->heap_cap)
        return push_after_room(q, at_ns, fn, a, b);
    uint32_t i = q->free_head;
    struct evq_node *nd = &q->nodes[i];
    q->free_head = nd->pos;
    nd->fn = fn;
    nd->a = a;
    nd->b = b;
    struct evq_key k = {at_ns, q->seq++, i};
    if (q->hole) { /* the slot a pop emptied: k sinks from the root */
        q->hole = false;
        sift_down(q, 0, k);
    } else {
        sift_up(q, q->n++, k);
    }
    return ((uint64_t)nd->gen << 32) | (uint64_t)(i + 1);
}

/* Removes heap slot i, filling it with the last key. */
static void heap_remove(struct evq *q, size_t i)
{
    struct evq_key last = q->heap[--q->n];
    if (i == q->n)
        return;
    if (i > 0 && key_less(&last, &q->heap[(i - 1) / EVQ_ARITY]))
        sift_up(q, i, last);
    else
        sift_down(q, i, last);
}

bool evq_cancel(struct evq *q, uint64_t h)
{
    if (q->hole)
        evq_settle(q);
    uint64_t idx = h & 0xffffffffu;
    if (idx == 0 || idx > q->nodes_len)
        return false;
    uint32_t i = (uint32_t)(idx - 1);
    struct evq_node *nd = &q->nodes[i];
    if (nd->gen != (uint32_t)(h >> 32) || nd->pos >= q->n || q->heap[nd->pos].node != i)
        return false;
    heap_remove(q, nd->pos);
    evq_node_release(q, i);
    return true;
}

void evq_settle(struct evq *q)
{
    q->hole = false;
    struct evq_key last = q->heap[--q->n];
    if (q->n > 0) /* the last key fills the root and sinks */
        sift_down(q, 0, last);
}

size_t evq_capacity(const struct evq *q)
{
    return q->nodes_len;
}
