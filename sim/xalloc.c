/* xalloc: malloc wrappers that end the program with a message naming the
 * allocation site on exhaustion. Printing and exiting here is the one
 * exception to "only sim/main.c prints": no caller could do better. */
#include "sim/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exits rather than aborting: running out of memory is not a bug in sdsim,
 * and 71 tells a script what happened. The results folder is only ever
 * replaced by a finished one, so nothing half-written is published. */
static void oom(size_t n, const char *what)
{
    fprintf(stderr,
            "sdsim: out of memory: %zu bytes for %s (try a shorter run, fewer replications in "
            "parallel (-j), or smaller sizes in the scenario)\n",
            n, what);
    fflush(NULL);
    _Exit(XALLOC_EXIT_OOM);
}

void *xmalloc_at(size_t n, const char *site)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n, site);
    return p;
}

void *xcalloc_at(size_t n, size_t size, const char *site)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX, site);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size, site);
    return p;
}

void *xrealloc_at(void *p, size_t n, const char *site)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n, site);
    return q;
}

char *xstrndup_at(const char *s, size_t n, const char *site)
{
    char *p = xmalloc_at(n + 1, site);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void xgrow_slow(void *pp, size_t *cap, size_t need, size_t elem, const char *what)
{
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem)
            oom(SIZE_MAX, what);
        c *= 2;
    }
    if (c > SIZE_MAX / elem)
        oom(SIZE_MAX, what);
    void **p = pp;
    *p = xrealloc_at(*p, c * elem, what);
    *cap = c;
}

void *xring_grow_at(void *items, size_t elem, size_t cap, size_t head, size_t len, size_t ncap,
                    const char *site)
{
    char *n = xmalloc_at(ncap * elem, site);
    if (len > 0) {
        size_t first = cap - head < len ? cap - head : len; /* up to the array's end */
        memcpy(n, (char *)items + head * elem, first * elem);
        memcpy(n + first * elem, items, (len - first) * elem);
    }
    free(items);
    return n;
}
