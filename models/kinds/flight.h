/* flight: single flight, the one mechanism behind coalesced loads. While a
 * load of a key is in flight (its leader, the request that started it),
 * other requests for the same key wait on it instead of loading again; when
 * the leader's load ends, every waiter is answered with it. Used by the
 * cache kind (`coalesce = true`: concurrent misses on a key wait for one
 * store read) and by a JWT verifier's signing-key cache (models/auth/auth.c:
 * `coalesce = true`: a verifier whose keys are stale fetches them once).
 *
 * Entries are recycled through a free list; a load that others waited on
 * hands their array to whoever ends it. Keys are any uint64_t (a keymap
 * indexes the loads in flight). */
#ifndef SDSIM_MODELS_FLIGHT_H
#define SDSIM_MODELS_FLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/data/keymap.h"
#include "sim/sim.h"

#define FLIGHT_NONE UINT32_MAX

/* A load in flight for one key, and the requests waiting on it. */
struct flight_load {
    uint64_t key;
    struct request *leader;
    struct request **waiters;
    size_t nwaiters, cap;
    uint32_t next_free;
    bool used;
};

struct flight {
    struct keymap inflight; /* key -> index in loads */
    struct flight_load *loads;
    size_t n, cap;
    uint32_t free_head;
};

void flight_init(struct flight *f); /* empty; allocates nothing */
void flight_fini(struct flight *f);

/* The load in flight for key, or FLIGHT_NONE. */
uint32_t flight_find(const struct flight *f, uint64_t key);
/* Starts a load of key led by leader (none in flight for key); its index. */
uint32_t flight_begin(struct flight *f, uint64_t key, struct request *leader);
/* r waits on load i. */
void flight_wait(struct flight *f, uint32_t i, struct request *r);
/* Is load i in flight and led by r? */
bool flight_led_by(const struct flight *f, uint32_t i, const struct request *r);
/* Ends load i: *n gets its waiters' count and their array is returned,
 * the caller's to free (answering a waiter may start the next load of the
 * key at once). NULL when none waited. */
struct request **flight_end(struct flight *f, uint32_t i, size_t *n);
/* How many loads there have been room for: loads 0 .. flight_slots() - 1
 * may be in flight (for a crash that ends them all). */
static inline size_t flight_slots(const struct flight *f)
{
    return f->n;
}
static inline bool flight_in_flight(const struct flight *f, uint32_t i)
{
    return i < f->n && f->loads[i].used;
}

#endif
