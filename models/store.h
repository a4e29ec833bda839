/* store: a database node. It serves reads, writes and conditional writes
 * (OP_CAS) of keys with its own workers, FIFO queue and service time, keeps
 * the version of every key it has written, and owns the observer that
 * decides which reads were stale and which writes were lost (observer.h).
 *
 * Other kinds reach into a store only through these functions: a cache asks
 * for the newest version (to report what it serves), reports lost writes,
 * and listens to commits (event-based invalidation). Issue 7 (shards x
 * replicas) keeps this shape: the observer stays one per store and holds the
 * truth, while each replica will hold its own applied versions. */
#ifndef SDSIM_MODELS_STORE_H
#define SDSIM_MODELS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/kind.h"
#include "models/observer.h"

extern const struct kind kind_store;

bool store_is(const struct component *c);

/* The store's observer (the truth about versions, and the counters). */
struct observer *store_observer(struct component *store);

/* Called at every commit, in the order of commits, before the write's reply
 * leaves the store. */
typedef void store_commit_fn(struct sim *sim, void *arg, uint64_t key, uint64_t version);

/* Adds a listener (at build time; the store keeps fn and arg until the end
 * of the run, and does not own arg). */
void store_listen(struct component *store, store_commit_fn *fn, void *arg);

#endif
