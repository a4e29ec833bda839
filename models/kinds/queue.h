/* queue and consumers: a message queue and the group of consumers reading
 * it (models/kinds/queue.c). Kinds kind_queue and kind_consumers are listed
 * in models/registry.c; this header lets tests look inside. */
#ifndef SDSIM_MODELS_KINDS_QUEUE_H
#define SDSIM_MODELS_KINDS_QUEUE_H

#include "models/kinds/station.h"

extern const struct kind kind_queue;
extern const struct kind kind_consumers;

/* The station of partition `partition` of queue c's (first) group (a built [queue]), or
 * NULL when it has no such partition: its workers are the partition's
 * consumers, its waiting requests the partition's backlog, oldest first,
 * and its serving list the messages being processed. With assignment =
 * range or round_robin its one worker place is the partition's owner at
 * work, and the waiting messages are kept by the group, not the station. */
const struct station *queue_station(const struct component *c, uint32_t partition);

/* The same for consumers group c (a built [consumers]): with a fanout queue
 * each group has its own stations; queue_station gives the first group's. */
const struct station *consumers_station_of(const struct component *c, uint32_t partition);

/* The size in bytes of the message publish r makes at queue c (its
 * message_size drawn from r's work seed; 0 without message_size). */
uint32_t queue_message_bytes(const struct component *c, const struct request *r);

#endif
