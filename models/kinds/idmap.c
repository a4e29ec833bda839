/* idmap: see idmap.h. */
#include "models/kinds/idmap.h"

#include <stdlib.h>

#include "sim/rng.h"
#include "sim/xalloc.h"

static size_t home(const struct idmap *m, uint64_t key)
{
    return (size_t)rng_mix64(key) & (m->cap - 1);
}

struct idmap_slot *idmap_find(const struct idmap *m, uint64_t id)
{
    if (m->len == 0)
        return NULL;
    uint64_t key = id + 1;
    for (size_t i = home(m, key);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == key)
            return &m->slots[i];
        if (m->slots[i].key == 0)
            return NULL;
    }
}

static void grow(struct idmap *m)
{
    struct idmap_slot *old = m->slots;
    size_t ocap = m->cap;
    m->cap = ocap ? 2 * ocap : 64;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    for (size_t j = 0; j < ocap; j++) {
        if (old[j].key == 0)
            continue;
        size_t i = home(m, old[j].key);
        while (m->slots[i].key != 0)
            i = (i + 1) & (m->cap - 1);
        m->slots[i] = old[j];
    }
    free(old);
}

struct idmap_slot *idmap_get(struct idmap *m, uint64_t id)
{
    struct idmap_slot *s = idmap_find(m, id);
    if (s)
        return s;
    if (2 * (m->len + 1) > m->cap) /* load at most 1/2 */
        grow(m);
    uint64_t key = id + 1;
    size_t i = home(m, key);
    while (m->slots[i].key != 0)
        i = (i + 1) & (m->cap - 1);
    m->slots[i] = (struct idmap_slot){key, 0, 0};
    m->len++;
    return &m->slots[i];
}

void idmap_del(struct idmap *m, uint64_t id)
{
    struct idmap_slot *s = idmap_find(m, id);
    if (!s)
        return;
    size_t mask = m->cap - 1;
    size_t i = (size_t)(s - m->slots);
    /* Backward shift: move later entries of the run into the hole when
     * their home is not between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].key != 0; j = (j + 1) & mask) {
        size_t h = home(m, m->slots[j].key);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->len--;
}

void idmap_free(struct idmap *m)
{
    free(m->slots);
    *m = (struct idmap){0};
}
