/* prefetch: per-consumer buffers of a prefetching [consumers] group; see
 * prefetch.h and "Prefetch" in models/kinds/queue.c. */
#include "models/kinds/prefetch.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/xalloc.h"

void pf_push(struct pf_consumer *c, struct request *m, int64_t sent_ns, int64_t land_ns,
             uint64_t seq)
{
    if (c->len == c->cap) { /* grows to the prefetch count once, then never again */
        uint32_t ncap = c->cap ? 2 * c->cap : 4;
        c->ring = xring_grow(c->ring, sizeof *c->ring, c->cap, c->head, c->len, ncap);
        c->cap = ncap;
        c->head = 0;
    }
    c->ring[(c->head + c->len++) % c->cap] = (struct pf_slot){m, sent_ns, land_ns, seq};
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

void pf_set_init(struct pf_set *s, uint32_t n)
{
    *s = (struct pf_set){.n = n};
    uint32_t words = n ? (n + 63) / 64 : 1; /* level 0; at least one word at each level */
    for (;;) {
        assert(s->levels < PF_SET_LEVELS);
        s->nw[s->levels] = words;
        s->w[s->levels] = xcalloc(words, sizeof *s->w[0]);
        s->levels++;
        if (words == 1)
            break;
        words = (words + 63) / 64;
    }
}

void pf_set_fini(struct pf_set *s)
{
    for (uint32_t l = 0; l < s->levels; l++)
        free(s->w[l]);
    *s = (struct pf_set){0};
}

bool pf_set_has(const struct pf_set *s, uint32_t k)
{
    return k < s->n && (s->w[0][k >> 6] >> (k & 63) & 1);
}

void pf_set_put(struct pf_set *s, uint32_t k, bool in)
{
    assert(k < s->n);
    uint64_t pos = k;
    for (uint32_t l = 0; l < s->levels; l++, pos >>= 6) {
        uint64_t *w = &s->w[l][pos >> 6], bit = 1ULL << (pos & 63);
        bool was_zero = *w == 0;
        if (in) {
            *w |= bit;
            if (!was_zero) /* the levels above know this word already */
                return;
        } else {
            *w &= ~bit;
            if (*w != 0) /* still not zero: the levels above stay */
                return;
        }
    }
}

uint32_t pf_set_next(const struct pf_set *s, uint32_t from)
{
    if (from >= s->n)
        return s->n;
    uint64_t pos = from; /* a bit of level l */
    uint32_t l = 0;
    for (;;) { /* up: the first level with a set bit at or after pos */
        if (l == s->levels)
            return s->n;
        uint64_t wi = pos >> 6;
        if (wi >= s->nw[l])
            return s->n;
        uint64_t bits = s->w[l][wi] & (~0ULL << (pos & 63));
        if (bits) {
            pos = wi << 6 | (uint64_t)__builtin_ctzll(bits);
            break;
        }
        pos = wi + 1; /* the next word of level l: a bit of level l + 1 */
        l++;
    }
    while (l > 0) { /* down: the lowest set bit of each word below */
        l--;
        pos = pos << 6 | (uint64_t)__builtin_ctzll(s->w[l][pos]);
    }
    return (uint32_t)pos;
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
