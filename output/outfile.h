/* outfile: files that appear whole or not at all. Each is written to
 * "NAME.tmp" beside its final name and renamed over it by outfile_commit
 * once every byte is written and flushed; outfile_abort removes the
 * temporary. A test hook makes the n-th open or write fail, so the error
 * paths run in tests (SQLite and jq do the same). */
#ifndef SDSIM_OUTPUT_OUTFILE_H
#define SDSIM_OUTPUT_OUTFILE_H

#include <stdio.h>

/* Where files go. fail_countdown is the test hook: when it is not NULL and
 * reaches 0 at an open or a final flush, that operation fails with EIO. main.c
 * sets it from the SDSIM_FAIL_OUTPUT environment variable. */
struct outdir {
    const char *dir;
    long *fail_countdown;
};

struct outfile {
    const struct outdir *od;
    FILE *f;
    char *path;
    char *tmp;
    int failed; /* a write failed: commit will refuse */
    int err;    /* errno of the first failure */
};

int outfile_open(struct outfile *o, const struct outdir *od, const char *name);
/* Flushes, closes and renames into place. Returns 0 or -1 (errno in o->err). */
int outfile_commit(struct outfile *o);
void outfile_abort(struct outfile *o);

/* printf into the file, in the C locale (the program never sets another). */
void outfile_printf(struct outfile *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
