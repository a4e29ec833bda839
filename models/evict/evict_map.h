/* evict_map: the shared O(1) building blocks of the eviction policies.
 *
 * - struct evict_map: an open-addressing hash map from a uint64_t key to a
 *   uint32_t node index. Linear probing over a power-of-two table sized at
 *   init for a fixed maximum number of entries (load factor <= 1/2, so an
 *   unsuccessful probe visits 2.5 slots on average, Knuth TAOCP vol. 3 6.4).
 *   Deletion shifts later entries of the run back (Knuth's Algorithm R), so
 *   there are no tombstones and probe lengths never degrade over time.
 *   Keys are mixed with the splitmix64 finaliser (Steele, Lea and Flood 2014),
 *   so sequential or strided keys spread evenly.
 * - struct evict_link: intrusive doubly linked lists over a node array, by
 *   32-bit index. Each list has a sentinel node stored in the same array
 *   (after the real nodes), so insert and unlink have no branches.
 * - struct evict_pool: hands out node indices 0..n-1 and recycles freed ones,
 *   without touching the array at creation (lazy, O(1) create).
 *
 * Nothing here allocates after init, so a policy built on them does no
 * malloc per access. Indices are 32-bit to keep nodes compact (a policy's
 * capacity must stay below EVICT_MAP_NONE / 2). */
#ifndef SDSIM_MODELS_EVICT_MAP_H
#define SDSIM_MODELS_EVICT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVICT_MAP_NONE UINT32_MAX /* "no node": absent key, empty slot */

struct evict_map_slot {
    uint64_t key;
    uint32_t val; /* EVICT_MAP_NONE marks an empty slot */
};

struct evict_map {
    struct evict_map_slot *slots; /* mask + 1 slots */
    size_t mask;
    size_t count;       /* occupied slots */
    size_t max_entries; /* count never exceeds this */
};

/* Sizes m for at most max_entries keys (allocates; ends the program on OOM). */
void evict_map_init(struct evict_map *m, size_t max_entries);
void evict_map_fini(struct evict_map *m);

/* The value stored for key, or EVICT_MAP_NONE. */
uint32_t evict_map_get(const struct evict_map *m, uint64_t key);

/* Stores key -> val (val != EVICT_MAP_NONE), replacing any previous value. */
void evict_map_put(struct evict_map *m, uint64_t key, uint32_t val);

/* Removes key. Returns its value, or EVICT_MAP_NONE if it was absent. */
uint32_t evict_map_del(struct evict_map *m, uint64_t key);

/* splitmix64 finaliser: a bijective 64-bit mixer. */
uint64_t evict_mix64(uint64_t x);

/* --- intrusive lists ------------------------------------------------------ */

struct evict_link {
    uint32_t prev; /* towards the head (newer end) */
    uint32_t next; /* towards the tail (older end) */
};

/* Makes sentinel h an empty list. */
static inline void evict_list_init(struct evict_link *l, uint32_t h)
{
    l[h].prev = h;
    l[h].next = h;
}

static inline bool evict_list_is_empty(const struct evict_link *l, uint32_t h)
{
    return l[h].next == h;
}

/* The tail (oldest, least recently pushed) node of list h; h if empty. */
static inline uint32_t evict_list_tail(const struct evict_link *l, uint32_t h)
{
    return l[h].prev;
}

/* The head (newest) node of list h; h if empty. */
static inline uint32_t evict_list_head(const struct evict_link *l, uint32_t h)
{
    return l[h].next;
}

/* Removes node i from whatever list holds it. */
static inline void evict_list_unlink(struct evict_link *l, uint32_t i)
{
    uint32_t p = l[i].prev, n = l[i].next;
    l[p].next = n;
    l[n].prev = p;
}

/* Inserts node i (in no list) at the head of list h. */
static inline void evict_list_push(struct evict_link *l, uint32_t h, uint32_t i)
{
    uint32_t n = l[h].next;
    l[i].prev = h;
    l[i].next = n;
    l[n].prev = i;
    l[h].next = i;
}

/* Inserts node i (in no list) right after node at (towards the tail). */
static inline void evict_list_insert_after(struct evict_link *l, uint32_t at, uint32_t i)
{
    evict_list_push(l, at, i);
}

/* Moves node i from its list to the head of list h. */
static inline void evict_list_move(struct evict_link *l, uint32_t h, uint32_t i)
{
    evict_list_unlink(l, i);
    evict_list_push(l, h, i);
}

/* --- node pool -------------------------------------------------------------- */

struct evict_pool {
    uint32_t used;      /* indices [0, used) have been handed out at least once */
    uint32_t limit;     /* total number of nodes */
    uint32_t free_head; /* freed nodes, linked through links[].next */
};

static inline void evict_pool_init(struct evict_pool *p, size_t nodes)
{
    p->used = 0;
    p->limit = (uint32_t)nodes;
    p->free_head = EVICT_MAP_NONE;
}

/* A node index not in use, or EVICT_MAP_NONE if all are. */
static inline uint32_t evict_pool_alloc(struct evict_pool *p, const struct evict_link *l)
{
    uint32_t i = p->free_head;
    if (i != EVICT_MAP_NONE) {
        p->free_head = l[i].next;
        return i;
    }
    return p->used < p->limit ? p->used++ : EVICT_MAP_NONE;
}

/* Returns node i (already unlinked from its list) to the pool. */
static inline void evict_pool_free(struct evict_pool *p, struct evict_link *l, uint32_t i)
{
    l[i].next = p->free_head;
    p->free_head = i;
}

/* The store of the list-ordered policies (LRU and FIFO in evict_lru.c,
 * SIEVE and CLOCK in evict_sieve.c, which embeds it first): the key map,
 * the node pool, each node's key, links and (byte mode) size, and one
 * list whose sentinel is links[nodes]. */
struct evict_listed {
    struct evict_map map;
    struct evict_pool pool;
    uint64_t *keys;           /* [nodes] */
    struct evict_link *links; /* [nodes + 1]; the sentinel is links[nodes] */
    uint32_t *sizes;          /* [nodes] byte mode; NULL in object mode */
    uint32_t head;            /* sentinel index */
    size_t nodes;             /* most objects held at once */
    uint64_t capacity;        /* objects, or bytes */
    uint64_t bytes;           /* byte mode: bytes held */
};

void evict_listed_init(struct evict_listed *c, uint64_t capacity, size_t nodes, bool sized);
void evict_listed_fini(struct evict_listed *c);

/* Takes key's node out of the map: its index, still linked, or
 * EVICT_MAP_NONE. evict_listed_drop then unlinks and frees it. */
static inline uint32_t evict_listed_take(struct evict_listed *c, uint64_t key)
{
    return evict_map_del(&c->map, key);
}

static inline void evict_listed_drop(struct evict_listed *c, uint32_t i)
{
    evict_list_unlink(c->links, i);
    if (c->sizes)
        c->bytes -= c->sizes[i];
    evict_pool_free(&c->pool, c->links, i);
}

/* The policy table's contains, size and bytes for a state that begins
 * with a struct evict_listed. */
bool evict_listed_contains(const void *state, uint64_t key);
size_t evict_listed_size(const void *state);
uint64_t evict_listed_bytes(const void *state);

#endif
