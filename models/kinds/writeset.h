/* writeset: a set of one key's writes in a replicated store ([multileader]),
 * numbered 1, 2, ... in commit order over every node (the write's global
 * number g). It holds every write up to a watermark `low` and, above it,
 * the members listed in ascending order (`more`): low + 1 is the oldest
 * write it lacks.
 *
 * It stands for a version vector (one counter per origin node) of a set
 * that is closed per origin under earlier writes (a node that holds the
 * c-th write of an origin holds the first c - 1 too): the counter of
 * origin p is the number of p's writes in the set, the sum of the counters
 * is the set's size, "the vector covers (p, c)" is "the set holds the g of
 * (p, c)", and the join of two vectors is the union of their sets. Its size
 * does not grow with the number of origins but with the writes committed
 * since the oldest one the holder lacks: at a node that receives writes as
 * they commit, the writes in flight; at one cut off or down, every write
 * made since. A join costs O(size of both), a membership test O(log size).
 * No allocation once `more` has grown to the largest size it needs. */
#ifndef SDSIM_MODELS_WRITESET_H
#define SDSIM_MODELS_WRITESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct writeset {
    uint64_t low;   /* every write g <= low is in the set */
    uint64_t *more; /* members above low + 1, ascending */
    uint32_t nmore, cap;
};

void writeset_fini(struct writeset *a);

/* Writes in the set. */
static inline uint64_t writeset_size(const struct writeset *a)
{
    return a->low + a->nmore;
}

/* Whether the set (low, more[0..nmore)) holds write g. O(log nmore). */
bool writeset_has_in(uint64_t low, const uint64_t *more, uint32_t nmore, uint64_t g);

static inline bool writeset_has(const struct writeset *a, uint64_t g)
{
    return writeset_has_in(a->low, a->more, a->nmore, g);
}

/* a becomes a united with the set (low, more[0..nmore)) (ascending, each
 * above low + 1; not a's own list). O(a->nmore + nmore). */
void writeset_join(struct writeset *a, uint64_t low, const uint64_t *more, uint32_t nmore);

/* a takes in write g: O(1) when g is the first write a lacks or above
 * every member, else O(members above g). */
void writeset_add(struct writeset *a, uint64_t g);

/* The newest write at most top that the set lacks, or 0 when it has every
 * write up to top (each member is at most top). O(members above it). */
uint64_t writeset_newest_missing(const struct writeset *a, uint64_t top);

/* Bytes of memory held by the set's list (its capacity). */
static inline size_t writeset_bytes(const struct writeset *a)
{
    return (size_t)a->cap * sizeof *a->more;
}

#endif
