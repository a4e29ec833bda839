/* xalloc: allocation that ends the program on exhaustion, so no caller needs
 * an out-of-memory path (git's xmalloc). On exhaustion it prints what it was
 * allocating (the call site, and for xgrow the array that grew) and exits
 * with XALLOC_EXIT_OOM, a documented exit status, rather than aborting. */
#ifndef SDSIM_SIM_XALLOC_H
#define SDSIM_SIM_XALLOC_H

#include <stddef.h>
#include <string.h>

/* Exit status on out of memory: EX_OSERR of sysexits.h (listed in --help). */
#define XALLOC_EXIT_OOM 71

/* The functions take the call site; use them through the macros below. */
void *xmalloc_at(size_t n, const char *site);
void *xcalloc_at(size_t n, size_t size, const char *site);
void *xrealloc_at(void *p, size_t n, const char *site);
char *xstrndup_at(const char *s, size_t n, const char *site);
void xgrow_slow(void *pp, size_t *cap, size_t need, size_t elem, const char *what);
void *xring_grow_at(void *items, size_t elem, size_t cap, size_t head, size_t len, size_t ncap,
                    const char *site);

#define XALLOC_STR2(x) #x
#define XALLOC_STR(x) XALLOC_STR2(x)
#define XALLOC_SITE __FILE__ ":" XALLOC_STR(__LINE__)

#define xmalloc(n) xmalloc_at((n), XALLOC_SITE)
#define xcalloc(n, size) xcalloc_at((n), (size), XALLOC_SITE)
#define xrealloc(p, n) xrealloc_at((p), (n), XALLOC_SITE)
#define xstrndup(s, n) xstrndup_at((s), (n), XALLOC_SITE)
#define xstrdup(s) xstrdup_at((s), XALLOC_SITE)
/* A ring buffer's array (cap slots of elem bytes, its len items from slot
 * head on, wrapping) moved to a new array of ncap slots, the items first
 * in order (head 0); the old array is freed. Returns the new array. */
#define xring_grow(items, elem, cap, head, len, ncap) \
    xring_grow_at((items), (elem), (cap), (head), (len), (ncap), XALLOC_SITE)

static inline char *xstrdup_at(const char *s, const char *site)
{
    return xstrndup_at(s, strlen(s), site);
}

/* Grows *p (an array of *cap elements of size elem) to hold at least need,
 * doubling. The check is inline, so the common case costs a compare; the
 * label names the array ("&q->heap at sim/evq.c:136") for the message. */
static inline void xgrow_at(void *pp, size_t *cap, size_t need, size_t elem, const char *what)
{
    if (need > *cap)
        xgrow_slow(pp, cap, need, elem, what);
}
#define xgrow(pp, cap, need, elem) xgrow_at((pp), (cap), (need), (elem), #pp " at " XALLOC_SITE)

#endif
