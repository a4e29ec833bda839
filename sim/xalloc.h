/* xalloc: allocation that ends the program on exhaustion, so no caller needs
 * an out-of-memory path (git's xmalloc). */
#ifndef SDSIM_SIM_XALLOC_H
#define SDSIM_SIM_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grows *p (an array of *cap elements of size elem) to hold at least need. */
void xgrow(void *pp, size_t *cap, size_t need, size_t elem);

#endif
