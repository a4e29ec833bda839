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
 * consumer's buffer (sent + the delivery's round trip, in channel order). */
struct pf_slot {
    struct request *m;
    int64_t sent_ns, land_ns;
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
    double slow;          /* its own slow fault's factor; 1: none */
    struct level buffered; /* its buffer's length (time-weighted) */
};

/* Messages delivered to c and not yet acked (its buffer, the one in
 * processing, the acks on their way): its credit in use. */
static inline uint32_t pf_used(const struct pf_consumer *c)
{
    return c->len + (c->cur != NULL) + c->acking;
}

void pf_push(struct pf_consumer *c, struct request *m, int64_t sent_ns, int64_t land_ns);
struct pf_slot pf_pop_front(struct pf_consumer *c);
struct pf_slot pf_pop_back(struct pf_consumer *c);

/* Has c's oldest buffered message landed by now_ns (and is c free to take it)? */
bool pf_head_ready(const struct pf_consumer *c, int64_t now_ns);

/* The broker's round robin (RabbitMQ's): the first of the n consumers cs,
 * from *cursor on, that is up and has credit left under `prefetch`; the
 * cursor moves past it. Returns n when none has. */
uint32_t pf_pick(const struct pf_consumer *cs, uint32_t n, uint32_t *cursor, uint32_t prefetch);

/* Is m delivered to c now (in processing or in its buffer) by a delivery
 * sent at sent_ns? */
bool pf_holds(const struct pf_consumer *c, const struct request *m, int64_t sent_ns);

void pf_fini(struct pf_consumer *c);

#endif
