/* observer: see observer.h. The committed versions live in a keymap; a key
 * absent from it has version 0. O(1) expected per call. */
#include "models/data/observer.h"

void observer_init(struct observer *o)
{
    keymap_init(&o->committed);
    observer_reset(o);
}

void observer_fini(struct observer *o)
{
    keymap_fini(&o->committed);
}

void observer_reset(struct observer *o)
{
    o->reads = o->stale_reads = o->versions_behind = 0;
    o->commits = o->lost_writes = 0;
}

uint64_t observer_committed(const struct observer *o, uint64_t key)
{
    uint64_t v = keymap_get(&o->committed, key);
    return v == KEYMAP_NONE ? 0 : v;
}

uint64_t observer_commit(struct observer *o, uint64_t key)
{
    uint64_t v = observer_committed(o, key) + 1;
    keymap_put(&o->committed, key, v);
    o->commits++;
    return v;
}

bool observer_read(struct observer *o, uint64_t key, uint64_t version)
{
    o->reads++;
    if (version == OBSERVER_PENDING)
        return false;
    uint64_t newest = observer_committed(o, key);
    if (version >= newest)
        return false;
    o->stale_reads++;
    o->versions_behind += newest - version;
    return true;
}

void observer_lost(struct observer *o, uint64_t n)
{
    o->lost_writes += n;
}
