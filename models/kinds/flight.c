/* flight: single flight (coalesced loads). See flight.h. */
#include "models/kinds/flight.h"

#include <stdlib.h>

#include "sim/xalloc.h"

void flight_init(struct flight *f)
{
    keymap_init(&f->inflight);
    f->loads = NULL;
    f->n = f->cap = 0;
    f->free_head = FLIGHT_NONE;
}

void flight_fini(struct flight *f)
{
    keymap_fini(&f->inflight);
    for (size_t i = 0; i < f->n; i++)
        free(f->loads[i].waiters);
    free(f->loads);
    f->loads = NULL;
    f->n = f->cap = 0;
}

uint32_t flight_find(const struct flight *f, uint64_t key)
{
    uint64_t i = keymap_get(&f->inflight, key);
    return i == KEYMAP_NONE ? FLIGHT_NONE : (uint32_t)i;
}

uint32_t flight_begin(struct flight *f, uint64_t key, struct request *leader)
{
    uint32_t i = f->free_head;
    if (i != FLIGHT_NONE) {
        f->free_head = f->loads[i].next_free;
    } else {
        i = (uint32_t)f->n;
        xgrow(&f->loads, &f->cap, f->n + 1, sizeof *f->loads);
        f->loads[i] = (struct flight_load){0};
        f->n++;
    }
    struct flight_load *l = &f->loads[i];
    l->key = key;
    l->leader = leader;
    l->nwaiters = 0;
    l->next_free = FLIGHT_NONE;
    l->used = true;
    keymap_put(&f->inflight, key, i);
    return i;
}

void flight_wait(struct flight *f, uint32_t i, struct request *r)
{
    struct flight_load *l = &f->loads[i];
    xgrow(&l->waiters, &l->cap, l->nwaiters + 1, sizeof *l->waiters);
    l->waiters[l->nwaiters++] = r;
}

bool flight_led_by(const struct flight *f, uint32_t i, const struct request *r)
{
    return flight_in_flight(f, i) && f->loads[i].leader == r;
}

struct request **flight_end(struct flight *f, uint32_t i, size_t *n)
{
    struct flight_load *l = &f->loads[i];
    struct request **w = l->waiters;
    *n = l->nwaiters;
    keymap_del(&f->inflight, l->key);
    l->used = false;
    l->leader = NULL;
    l->waiters = NULL; /* the caller's: answering them may start the next load */
    l->nwaiters = l->cap = 0;
    l->next_free = f->free_head;
    f->free_head = i;
    return w;
}
