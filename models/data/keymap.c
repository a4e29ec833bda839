/* keymap: linear probing over a power-of-two table kept at most half full.
 * Invariant: every key sits in the run of occupied slots that starts at its
 * home slot and reaches it without crossing an empty slot. Deletion moves
 * later entries of the run back into the hole (Knuth TAOCP vol. 3, 6.4,
 * Algorithm R), so there are no tombstones and probes never degrade. Keys
 * are mixed with the splitmix64 finaliser so that ranks 0..n spread evenly.
 * Cost: O(1) expected per operation; a resize is O(count). */
#include "models/data/keymap.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>

#include "models/evict/evict_map.h"
#include "sim/xalloc.h"

void keymap_init(struct keymap *m)
{
    m->slots = NULL;
    m->mask = 0;
    m->count = 0;
}

void keymap_fini(struct keymap *m)
{
    free(m->slots);
    keymap_init(m);
}

void keymap_clear(struct keymap *m)
{
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        m->slots[i].val = KEYMAP_NONE;
    m->count = 0;
}

static size_t home(const struct keymap *m, uint64_t key)
{
    return (size_t)evict_mix64(key) & m->mask;
}

uint64_t keymap_get(const struct keymap *m, uint64_t key)
{
    if (!m->slots)
        return KEYMAP_NONE;
    for (size_t i = home(m, key);; i = (i + 1) & m->mask) {
        const struct keymap_slot *s = &m->slots[i];
        if (s->val == KEYMAP_NONE || s->key == key)
            return s->val;
    }
}

static void insert_new(struct keymap *m, uint64_t key, uint64_t val)
{
    size_t i = home(m, key);
    while (m->slots[i].val != KEYMAP_NONE)
        i = (i + 1) & m->mask;
    m->slots[i] = (struct keymap_slot){key, val};
    m->count++;
}

static void grow(struct keymap *m)
{
    struct keymap_slot *old = m->slots;
    size_t n_old = old ? m->mask + 1 : 0;
    size_t n = n_old ? 2 * n_old : 16;
    m->slots = xmalloc(n * sizeof *m->slots);
    for (size_t i = 0; i < n; i++)
        m->slots[i].val = KEYMAP_NONE;
    m->mask = n - 1;
    m->count = 0;
    for (size_t i = 0; i < n_old; i++)
        if (old[i].val != KEYMAP_NONE)
            insert_new(m, old[i].key, old[i].val);
    free(old);
}

void keymap_put(struct keymap *m, uint64_t key, uint64_t val)
{
    assert(val != KEYMAP_NONE && "KEYMAP_NONE is not a value");
    if (m->slots) {
        for (size_t i = home(m, key);; i = (i + 1) & m->mask) {
            struct keymap_slot *s = &m->slots[i];
            if (s->val == KEYMAP_NONE)
                break;
            if (s->key == key) {
                s->val = val;
                return;
            }
        }
    }
    if (!m->slots || 2 * (m->count + 1) > m->mask + 1)
        grow(m);
    insert_new(m, key, val);
}

uint64_t keymap_del(struct keymap *m, uint64_t key)
{
    if (!m->slots)
        return KEYMAP_NONE;
    size_t i = home(m, key);
    while (m->slots[i].val != KEYMAP_NONE && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    uint64_t val = m->slots[i].val;
    if (val == KEYMAP_NONE)
        return val;
    /* Algorithm R: refill the hole from later slots of the run. */
    size_t hole = i;
    for (size_t j = (i + 1) & m->mask; m->slots[j].val != KEYMAP_NONE; j = (j + 1) & m->mask) {
        size_t h = home(m, m->slots[j].key);
        bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
        if (!stays) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].val = KEYMAP_NONE;
    m->count--;
    return val;
}
