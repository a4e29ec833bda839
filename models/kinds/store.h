/* store: a database node. It serves reads, writes and conditional writes
 * (OP_CAS) of keys with its own workers, FIFO queue and service time, keeps
 * the version of every key it has written, and owns the observer that
 * decides which reads were stale and which writes were lost (observer.h).
 *
 * Other kinds reach into a store only through these functions: a cache asks
 * for the newest version (to report what it serves), reports lost writes,
 * listens to commits (event-based invalidation), and sends bulk writes
 * (write-behind flushes). Issue 7 (shards x
 * replicas) keeps this shape: the observer stays one per store and holds the
 * truth, while each replica will hold its own applied versions. */
#ifndef SDSIM_MODELS_STORE_H
#define SDSIM_MODELS_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/kind.h"
#include "models/data/observer.h"

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

/* A bulk write (a multi-row INSERT, a Redis pipeline, DynamoDB's
 * BatchWriteItem): one OP_WRITE request that commits n keys. The store
 * serves it as one request, in one `service` draw plus (n - 1) times
 * `batch_item_time`, and then commits keys[0..n) in order, each with its own
 * version (observer_commit and the listeners, as n writes would), writing
 * key i's new version to versions[i]; r->version gets the last one. If the
 * request fails (store error, crash, full queue) nothing of it commits. */
struct store_bulk {
    const uint64_t *keys;
    uint64_t *versions;
    size_t n;          /* >= 1 */
};

/* Tells the store where the batch of a write from the sender lives: fills
 * *out and returns true for a bulk write, false for a plain one. The sender
 * keeps the arrays valid until the reply. */
typedef bool store_bulk_fn(void *arg, const struct request *r, struct store_bulk *out);

/* Registers `sender` (the component that sends writes straight to this
 * store) as a source of bulk writes: for every write whose frame below the
 * store's is sender's, the store asks fn(arg, ...) for its batch. Call
 * before the first request; the store keeps fn and arg until the end of
 * the run and does not own arg. Cost: O(senders) per write. */
void store_bulk_sender(struct component *store, const struct component *sender,
                       store_bulk_fn *fn, void *arg);

#endif
