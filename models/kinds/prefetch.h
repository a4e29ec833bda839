/* prefetch: the consumer side of a [consumers] group with `prefetch = N`
 * (models/kinds/queue.c, "Prefetch" in its top comment): each consumer's
 * own buffer of messages delivered to it and not yet in processing, in
 * delivery order, and the broker's round robin over the consumers with
 * free credit. The glue (dispatch, start, crash) is in queue.c; this is
 * the data it keeps per consumer, with no knowledge of the broker. */
#ifndef SDSIM_MODELS_PREFETCH_H
#define SDSIM_MODELS_PREFETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* One delivered message: when the broker sent it and when it lands in the
 * consumer's buffer (sent + the delivery's round trip, in channel order),
 * and the group's delivery count then (seq: the order the broker sent the
 * messages in, which a hand-back restores). */
struct pf_slot {
    struct request *m;
    int64_t sent_ns, land_ns;
    uint64_t seq;
};

/* One consumer of a prefetching group. Its credit in use is its buffer
 * (in flight or landed), the message it processes and, with ack_delay, the
 * ones it processed whose acks have not landed (RabbitMQ frees a credit
 * when the ack arrives). */
struct pf_consumer {
    struct pf_slot *ring; /* its buffer, oldest delivery first */
    uint32_t head, len, cap;
    struct request *cur;  /* the message it processes, or NULL (idle) */
    int64_t cur_sent_ns;  /* when the broker sent it (its visibility timeout runs from then) */
    int64_t last_land_ns; /* its channel delivers in order: no landing before this */
    uint32_t epoch;       /* crashes so far: a landing event of an older one is stale */
    uint32_t down;        /* crash faults on it now */
    uint32_t acking;      /* processed, its ack on the way (ack_delay): still unacked */
    bool gone;            /* removed by an autoscaler: the broker sends it nothing */
    double slow;          /* its own slow fault's factor; 1: none */
    struct level buffered; /* its buffer's length (time-weighted) */
};

/* Messages delivered to c and not yet acked (its buffer, the one in
 * processing, the acks on their way): its credit in use. */
static inline uint32_t pf_used(const struct pf_consumer *c)
{
    return c->len + (c->cur != NULL) + c->acking;
}

void pf_push(struct pf_consumer *c, struct request *m, int64_t sent_ns, int64_t land_ns,
             uint64_t seq);
struct pf_slot pf_pop_front(struct pf_consumer *c);
struct pf_slot pf_pop_back(struct pf_consumer *c);

/* Has c's oldest buffered message landed by now_ns (and is c free to take it)? */
bool pf_head_ready(const struct pf_consumer *c, int64_t now_ns);

/* The i-th buffered message of c (0: the oldest). */
static inline struct pf_slot *pf_at(const struct pf_consumer *c, uint32_t i)
{
    return &c->ring[(c->head + i) % c->cap];
}

/* The consumers with credit (up, present, fewer than `prefetch` delivered
 * and unacked), as a set of numbers 0..n-1 kept in a 64-ary tree of bit
 * words: bit i of a word at level l + 1 says word i of level l is not
 * zero. The broker's round robin (RabbitMQ's) asks for the first member at
 * or after its cursor, in O(log64 n) (4 levels for a million consumers),
 * not a scan of every consumer per delivery. */
#define PF_SET_LEVELS 6
struct pf_set {
    uint64_t *w[PF_SET_LEVELS];
    uint32_t nw[PF_SET_LEVELS];
    uint32_t levels, n;
};

void pf_set_init(struct pf_set *s, uint32_t n);
void pf_set_fini(struct pf_set *s);
/* Puts k in the set (in) or takes it out. */
void pf_set_put(struct pf_set *s, uint32_t k, bool in);
bool pf_set_has(const struct pf_set *s, uint32_t k);
/* The smallest member >= from, or s->n when there is none. */
uint32_t pf_set_next(const struct pf_set *s, uint32_t from);

/* Is m delivered to c now (in processing or in its buffer) by a delivery
 * sent at sent_ns? */
bool pf_holds(const struct pf_consumer *c, const struct request *m, int64_t sent_ns);

void pf_fini(struct pf_consumer *c);

#endif
