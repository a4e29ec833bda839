/* writeset: a set of a key's writes, by global number (see writeset.h). */
#include "models/kinds/writeset.h"

#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

void writeset_fini(struct writeset *a)
{
    free(a->more);
    *a = (struct writeset){0, NULL, 0, 0};
}

bool writeset_has_in(uint64_t low, const uint64_t *more, uint32_t nmore, uint64_t g)
{
    if (g <= low)
        return true;
    uint32_t lo = 0, hi = nmore; /* binary search in more[lo..hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (more[mid] == g)
            return true;
        if (more[mid] < g)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* The watermark rises over the members that continue it from more[from]
 * on, and the list keeps the rest: more[from..end) becomes the list. */
static void rise(struct writeset *a, uint32_t from, uint32_t end)
{
    while (from < end && a->more[from] == a->low + 1) {
        a->low++;
        from++;
    }
    if (from > 0 && end > from)
        memmove(a->more, a->more + from, (end - from) * sizeof *a->more);
    a->nmore = end - from;
}

static void reserve(struct writeset *a, size_t need)
{
    size_t cap = a->cap;
    xgrow(&a->more, &cap, need, sizeof *a->more);
    a->cap = (uint32_t)cap;
}

void writeset_add(struct writeset *a, uint64_t g)
{
    if (g <= a->low)
        return;
    if (g == a->low + 1) { /* in order: the watermark rises */
        a->low = g;
        rise(a, 0, a->nmore);
        return;
    }
    uint32_t at = a->nmore; /* where it goes: after the members below it */
    while (at > 0 && a->more[at - 1] > g)
        at--;
    if (at > 0 && a->more[at - 1] == g)
        return;
    reserve(a, (size_t)a->nmore + 1);
    memmove(a->more + at + 1, a->more + at, (a->nmore - at) * sizeof *a->more);
    a->more[at] = g;
    a->nmore++;
}

void writeset_join(struct writeset *a, uint64_t low, const uint64_t *more, uint32_t nmore)
{
    if (nmore == 0 && low <= a->low)
        return; /* nothing new */
    uint32_t ia = 0, jb = 0;
    if (low > a->low) { /* members of a up to the new watermark drop out */
        a->low = low;
        while (ia < a->nmore && a->more[ia] <= low)
            ia++;
    }
    while (jb < nmore && more[jb] <= a->low)
        jb++;
    /* Merge from the back into a's list (it never overtakes a member not
     * yet read), once each. */
    reserve(a, (size_t)a->nmore + (nmore - jb));
    uint32_t i = a->nmore, j = nmore, out = a->nmore + (nmore - jb), end = out;
    while (j > jb) {
        if (i > ia && a->more[i - 1] >= more[j - 1]) {
            if (a->more[i - 1] == more[j - 1])
                j--;
            a->more[--out] = a->more[--i];
        } else {
            a->more[--out] = more[--j];
        }
    }
    while (i > ia && out > i)
        a->more[--out] = a->more[--i];
    if (out == i) /* a's members below the merged ones are in place */
        out = ia;
    rise(a, out, end);
}

uint64_t writeset_newest_missing(const struct writeset *a, uint64_t top)
{
    uint32_t k = a->nmore;
    for (uint64_t g = top; g > a->low; g--) {
        if (k == 0 || a->more[k - 1] != g)
            return g;
        k--;
    }
    return 0;
}
