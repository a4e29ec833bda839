/* keymap: a growable hash map from a uint64_t key to a uint64_t value, for
 * per-key state whose number of keys is not known in advance: the version of
 * every key a store has written, the entry of every key a cache has seen.
 * Memory grows with the number of distinct keys (16 bytes per slot, load
 * factor at most 1/2); it never shrinks until keymap_fini or keymap_clear.
 * Any key is valid; KEYMAP_NONE is not a valid value (it means "absent").
 * Iteration order is never used for output, so hash order cannot leak. */
#ifndef SDSIM_MODELS_KEYMAP_H
#define SDSIM_MODELS_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#define KEYMAP_NONE UINT64_MAX

struct keymap_slot {
    uint64_t key;
    uint64_t val; /* KEYMAP_NONE: empty */
};

struct keymap {
    struct keymap_slot *slots; /* mask + 1 slots, or NULL before the first put */
    size_t mask;
    size_t count; /* keys stored */
};

void keymap_init(struct keymap *m); /* empty, allocates nothing */
void keymap_fini(struct keymap *m);
void keymap_clear(struct keymap *m); /* removes every key, keeps the table */

/* The value stored for key, or KEYMAP_NONE. O(1) expected. */
uint64_t keymap_get(const struct keymap *m, uint64_t key);

/* Stores key -> val (val != KEYMAP_NONE), replacing any previous value.
 * Doubles the table when it would pass half full: O(1) amortised. */
void keymap_put(struct keymap *m, uint64_t key, uint64_t val);

/* Removes key; returns its value, or KEYMAP_NONE if it was absent. */
uint64_t keymap_del(struct keymap *m, uint64_t key);

#endif
