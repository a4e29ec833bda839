/* prefetch: per-consumer buffers of a prefetching [consumers] group; see
 * prefetch.h and "Prefetch" in models/kinds/queue.c. */
#include "models/kinds/prefetch.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/xalloc.h"

void pf_push(struct pf_consumer *c, struct request *m, int64_t sent_ns, int64_t land_ns)
{
    if (c->len == c->cap) { /* grows to the prefetch count once, then never again */
        uint32_t ncap = c->cap ? 2 * c->cap : 4;
        c->ring = xring_grow(c->ring, sizeof *c->ring, c->cap, c->head, c->len, ncap);
        c->cap = ncap;
        c->head = 0;
    }
    c->ring[(c->head + c->len++) % c->cap] = (struct pf_slot){m, sent_ns, land_ns};
}

struct pf_slot pf_pop_front(struct pf_consumer *c)
{
    assert(c->len > 0);
    struct pf_slot s = c->ring[c->head];
    c->head = (c->head + 1) % c->cap;
    c->len--;
    return s;
}

struct pf_slot pf_pop_back(struct pf_consumer *c)
{
    assert(c->len > 0);
    c->len--;
    return c->ring[(c->head + c->len) % c->cap];
}

bool pf_head_ready(const struct pf_consumer *c, int64_t now_ns)
{
    return c->down == 0 && c->cur == NULL && c->len > 0 && c->ring[c->head].land_ns <= now_ns;
}

uint32_t pf_pick(const struct pf_consumer *cs, uint32_t n, uint32_t *cursor, uint32_t prefetch)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = (*cursor + i) % n;
        if (cs[k].down == 0 && pf_used(&cs[k]) < prefetch) {
            *cursor = (k + 1) % n;
            return k;
        }
    }
    return n;
}

bool pf_holds(const struct pf_consumer *c, const struct request *m, int64_t sent_ns)
{
    if (c->cur == m)
        return c->cur_sent_ns == sent_ns;
    for (uint32_t i = 0; i < c->len; i++) {
        const struct pf_slot *s = &c->ring[(c->head + i) % c->cap];
        if (s->m == m)
            return s->sent_ns == sent_ns;
    }
    return false;
}

void pf_fini(struct pf_consumer *c)
{
    free(c->ring);
    c->ring = NULL;
    c->len = c->cap = 0;
}
