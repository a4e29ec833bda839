/* multileader: inspection of a [multileader] component's replicas, for tests
 * and tools (the kind itself is models/kinds/multileader.c, kind_multileader). */
#ifndef SDSIM_MODELS_MULTILEADER_H
#define SDSIM_MODELS_MULTILEADER_H

#include <stddef.h>
#include <stdint.h>

struct component;

/* A value's identity: its write's dot, origin node and that origin's count
 * of writes to the key. */
#define MULTILEADER_DOT(origin, counter) (((uint64_t)(origin) << 32) | (uint64_t)(counter))

/* The values node holds for key (lww: at most one; siblings: the antichain),
 * as MULTILEADER_DOT()s in origin order, at most max into dots. Returns how
 * many it holds. c must be a multileader component; node < its leaders. */
size_t multileader_values(const struct component *c, uint32_t node, uint64_t key,
                          uint64_t *dots, size_t max);

/* Bytes of memory the component holds for its nodes, keys, writes in
 * flight and link clocks (the capacity of each of its arrays and hash
 * tables; the event queue and the requests are the engine's): the same for
 * the same run, unlike the resident set size. */
size_t multileader_bytes(const struct component *c);

#endif
