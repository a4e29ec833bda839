/* observer: the ground truth about versioned data, kept apart from every
 * policy that serves or copies it (caches, and later replicas and
 * consistency levels, issue 7). It knows the newest committed version of
 * every key, so whoever answers a read reports the version it returns and
 * the observer decides whether that read was stale; whoever acknowledged a
 * write that then never reached the store reports it as lost.
 *
 *   stale read:  the version returned is older than the newest version
 *                committed when the read is served (answered);
 *   lost write:  a write acknowledged to its caller that never reaches the
 *                store (a write-behind queue lost in a crash, or dropped).
 *
 * Versions count the commits of a key: 0 means never written, the first
 * commit makes 1. OBSERVER_PENDING stands for data newer than anything
 * committed (a write-behind cache holding a write not yet flushed): never
 * stale. Counters cover the measured window (observer_reset at the cut);
 * the committed versions are state and are never reset. Memory: one keymap
 * slot pair per distinct key ever written. */
#ifndef SDSIM_MODELS_OBSERVER_H
#define SDSIM_MODELS_OBSERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "models/data/keymap.h"

#define OBSERVER_PENDING (UINT64_MAX - 1)

struct observer {
    struct keymap committed; /* key -> newest committed version (absent: 0) */
    uint64_t reads;          /* reads answered and checked */
    uint64_t stale_reads;    /* of which stale */
    uint64_t versions_behind; /* sum over stale reads of (newest - returned) */
    uint64_t commits;        /* writes committed */
    uint64_t lost_writes;    /* acknowledged writes that never reached the store */
};

void observer_init(struct observer *o);
void observer_fini(struct observer *o);
/* Zeroes the counters (the warm-up cut); keeps the versions. */
void observer_reset(struct observer *o);

/* The newest committed version of key (0: never written). */
uint64_t observer_committed(const struct observer *o, uint64_t key);

/* Commits a write of key and returns its new version. */
uint64_t observer_commit(struct observer *o, uint64_t key);

/* A read of key answered now with `version`: counts it, and returns true
 * when it is stale. */
bool observer_read(struct observer *o, uint64_t key, uint64_t version);

/* n acknowledged writes will never reach the store. */
void observer_lost(struct observer *o, uint64_t n);

#endif
