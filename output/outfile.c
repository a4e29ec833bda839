/* outfile: temporary-name-then-rename writing. */
#include "output/outfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/xalloc.h"

/* True, with errno EIO (so the message names that cause, not a stale one),
 * when the countdown reaches 0. */
static int injected_failure(const struct outdir *od)
{
    long *c = od->fail_countdown;
    if (!c || *c < 0 || (*c)-- != 0)
        return 0;
    errno = EIO;
    return 1;
}

static char *join(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

int outfile_open(struct outfile *o, const struct outdir *od, const char *name)
{
    memset(o, 0, sizeof *o);
    o->od = od;
    o->path = join(od->dir, name, "");
    o->tmp = join(od->dir, name, ".tmp");
    o->f = injected_failure(od) ? NULL : fopen(o->tmp, "w");
    if (!o->f) {
        o->err = errno ? errno : EIO;
        o->failed = 1;
        return -1;
    }
    return 0;
}

void outfile_printf(struct outfile *o, const char *fmt, ...)
{
    if (o->failed || !o->f)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vfprintf(o->f, fmt, ap) < 0) {
        o->failed = 1;
        o->err = errno ? errno : EIO;
    }
    va_end(ap);
}

static void release(struct outfile *o)
{
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
}

int outfile_commit(struct outfile *o)
{
    int rc = 0;
    if (o->f) {
        errno = 0;
        if (fflush(o->f) != 0 || ferror(o->f) || injected_failure(o->od)) {
            o->failed = 1;
            o->err = errno ? errno : EIO;
        }
        if (fclose(o->f) != 0 && !o->failed) {
            o->failed = 1;
            o->err = errno ? errno : EIO;
        }
        o->f = NULL;
    }
    if (o->failed || rename(o->tmp, o->path) != 0) {
        if (!o->failed)
            o->err = errno;
        unlink(o->tmp);
        rc = -1;
    }
    release(o);
    return rc;
}

void outfile_abort(struct outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp)
        unlink(o->tmp);
    release(o);
}
