/* idmap: a hash map from a message id (uint64) to two counters, for the
 * message queue's duplicate tracking and idempotent consumers
 * (models/kinds/queue.c). Open addressing with linear probing and
 * backward-shift deletion, grown geometrically: no malloc per event once
 * warm, and lookups of a missing id stop at the first empty slot. The
 * order of its slots never reaches results (only counts and lookups do). */
#ifndef SDSIM_MODELS_IDMAP_H
#define SDSIM_MODELS_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
    uint64_t key; /* id + 1; 0: empty */
    uint32_t a, b;
};

struct idmap {
    struct idmap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t len;
};

/* The slot of id, or NULL. */
struct idmap_slot *idmap_find(const struct idmap *m, uint64_t id);
/* The slot of id, made (counters 0) when missing. */
struct idmap_slot *idmap_get(struct idmap *m, uint64_t id);
/* Removes id (nothing when missing). */
void idmap_del(struct idmap *m, uint64_t id);
void idmap_free(struct idmap *m);

#endif
