/* partfile: see partfile.h. The scalar members of a run, a component, a
 * stop, a span and an extra metric are listed once, in file order, in a
 * table (one row a member: its type and offset) that both the writer and
 * the reader walk, so they cannot disagree; the lists and histograms
 * between them are written and read by code side by side. */
#include "output/partfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

#define PART_FORMAT "sdsim-part-1"

/* ---- the scalar members, in file order ------------------------------------ */

enum ftype {
    F_SIZE, /* size_t: a count */
    F_U64,
    F_INT,  /* int, written as an integer */
    F_DBL,  /* double, in hexadecimal (exact) */
    F_STR,  /* char *, owned; NULL allowed */
    F_KIND, /* const char *: a kind's name, shared by the components of a part */
};

struct field {
    enum ftype type;
    size_t off;
};

/* A row for member m of struct S, which must have type C (else the array
 * size is -1: a compile error). */
#define ROW(S, m, C, t)                                                                           \
    {t, offsetof(struct S, m) + 0 * sizeof(char[_Generic(((struct S *)0)->m, C: 1, default: -1)])}
#define SZ(S, m) ROW(S, m, size_t, F_SIZE)
#define U64(S, m) ROW(S, m, uint64_t, F_U64)
#define INT(S, m) ROW(S, m, int, F_INT)
#define DBL(S, m) ROW(S, m, double, F_DBL)
#define STR(S, m) ROW(S, m, char *, F_STR)
#define NFIELDS(a) (sizeof a / sizeof a[0])

static const struct field run_fields[] = {
    SZ(run_result, run),           SZ(run_result, point),
    SZ(run_result, rep),           U64(run_result, seed),
    DBL(run_result, warmup_s),     DBL(run_result, window_s),
    INT(run_result, precision_met), U64(run_result, offered),
    U64(run_result, completed),    U64(run_result, rejected),
    U64(run_result, timeouts),     U64(run_result, errors),
    U64(run_result, in_flight),    U64(run_result, attempts),
    U64(run_result, rate_limited), U64(run_result, unauthenticated),
    U64(run_result, denied),       U64(run_result, fallbacks),
    U64(run_result, events),
};

static const struct field comp_fields[] = {
    STR(comp_result, name),
    ROW(comp_result, kind, const char *, F_KIND),
    U64(comp_result, arrivals),
    U64(comp_result, completed),
    U64(comp_result, rejected),
    U64(comp_result, errors),
    DBL(comp_result, servers),
    DBL(comp_result, mean_busy),
    DBL(comp_result, mean_queue),
    DBL(comp_result, mean_insys),
    INT(comp_result, has_hists),
    DBL(comp_result, offered_expected),
    DBL(comp_result, capacity_expected),
    DBL(comp_result, utilisation_expected),
};

static const struct field span_fields[] = {
    STR(result_span, name), DBL(result_span, from_s), DBL(result_span, to_s)};

static const struct field extra_fields[] = {STR(named_value, name), DBL(named_value, value)};

static const struct field stop_fields[] = {
    INT(run_stop, overloaded), INT(run_stop, stalled),     DBL(run_stop, at_s),
    U64(run_stop, in_flight),  STR(run_stop, busiest),     U64(run_stop, queued),
    DBL(run_stop, offered_rps), DBL(run_stop, capacity_rps),
};

/* ---- writing -------------------------------------------------------------- */

static void put_str(struct outfile *o, const char *s)
{
    outfile_printf(o, " ");
    if (!s) {
        outfile_printf(o, "%%-"); /* NULL: a token no escaped string can be */
        return;
    }
    if (!*s)
        outfile_printf(o, "%%");  /* the empty string */
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c <= ' ' || *c == '%' || *c >= 0x7f)
            outfile_printf(o, "%%%02X", *c);
        else
            outfile_printf(o, "%c", *c);
    }
}

static void put_u(struct outfile *o, uint64_t v)
{
    outfile_printf(o, " %" PRIu64, v);
}

static void put_i(struct outfile *o, int64_t v)
{
    outfile_printf(o, " %" PRId64, v);
}

static void put_d(struct outfile *o, double v)
{
    outfile_printf(o, " %a", v);
}

static void put_ld(struct outfile *o, long double v)
{
    outfile_printf(o, " %La", v);
}

static void put_fields(struct outfile *o, const void *base, const struct field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *m = (const char *)base + f[i].off;
        switch (f[i].type) {
        case F_SIZE:
            put_u(o, *(const size_t *)(const void *)m);
            break;
        case F_U64:
            put_u(o, *(const uint64_t *)(const void *)m);
            break;
        case F_INT:
            put_i(o, *(const int *)(const void *)m);
            break;
        case F_DBL:
            put_d(o, *(const double *)(const void *)m);
            break;
        case F_STR:
        case F_KIND:
            put_str(o, *(const char *const *)(const void *)m);
            break;
        }
    }
}

/* n, then n items of elem bytes each made of the fields f (get_list). */
static void put_list(struct outfile *o, const void *v, size_t n, size_t elem,
                     const struct field *f, size_t nf)
{
    put_u(o, n);
    for (size_t i = 0; i < n; i++)
        put_fields(o, (const char *)v + i * elem, f, nf);
}

static void put_hist(struct outfile *o, const struct sparse_hist *s)
{
    put_u(o, s->n);
    for (size_t i = 0; i < s->n; i++) {
        put_u(o, s->index[i]);
        put_u(o, s->count[i]);
    }
    put_u(o, s->total);
    put_ld(o, s->sum);
    put_ld(o, s->sumsq);
    put_i(o, s->min);
    put_i(o, s->max);
    outfile_printf(o, "\n");
}

static void put_run(struct outfile *o, const struct run_result *r)
{
    outfile_printf(o, "run");
    put_fields(o, r, run_fields, NFIELDS(run_fields));
    outfile_printf(o, "\nlatency");
    put_hist(o, &r->latency);
    outfile_printf(o, "latency_all");
    put_hist(o, &r->latency_all);
    outfile_printf(o, "comps");
    put_u(o, r->ncomps);
    outfile_printf(o, "\n");
    for (size_t i = 0; i < r->ncomps; i++) {
        const struct comp_result *c = &r->comps[i];
        outfile_printf(o, "comp");
        put_fields(o, c, comp_fields, NFIELDS(comp_fields));
        outfile_printf(o, "\n");
        put_hist(o, &c->wait);
        put_hist(o, &c->local);
        put_hist(o, &c->resp);
    }
    outfile_printf(o, "ts");
    put_u(o, r->ts_nrows);
    put_u(o, r->ts_ncols);
    for (size_t k = 0; k < r->ts_ncols; k++)
        put_str(o, r->ts_names[k]);
    outfile_printf(o, "\n");
    for (size_t i = 0; i < r->ts_nrows; i++) {
        for (size_t k = 0; k <= r->ts_ncols; k++)
            put_d(o, r->ts_rows[i * (r->ts_ncols + 1) + k]);
        outfile_printf(o, "\n");
    }
    outfile_printf(o, "spans");
    put_list(o, r->spans, r->nspans, sizeof *r->spans, span_fields, NFIELDS(span_fields));
    outfile_printf(o, "\nextra");
    put_list(o, r->extra, r->nextra, sizeof *r->extra, extra_fields, NFIELDS(extra_fields));
    outfile_printf(o, "\nattribution");
    put_i(o, r->attribution);
    put_u(o, r->nattr);
    for (size_t i = 0; i < r->nattr; i++) {
        const struct attr_result *a = &r->attr[i];
        outfile_printf(o, "\n");
        put_str(o, a->client);
        for (size_t g = 0; g < 3; g++)
            put_d(o, a->n[g]);
        put_u(o, a->nrows);
        for (size_t k = 0; k < a->nrows; k++) {
            put_str(o, a->rows[k].component);
            put_str(o, a->rows[k].phase);
            for (size_t g = 0; g < 3; g++)
                put_d(o, a->rows[k].ns[g]);
        }
    }
    outfile_printf(o, "\nstop");
    put_fields(o, &r->stop, stop_fields, NFIELDS(stop_fields));
    outfile_printf(o, "\nend\n");
}

void partfile_write(struct outfile *o, const struct part_header *h, const struct run_result *runs,
                    size_t n)
{
    outfile_printf(o, "%s\nversion", PART_FORMAT);
    put_str(o, h->version);
    outfile_printf(o, "\nscenario %016" PRIx64, h->hash);
    put_str(o, h->scenario);
    outfile_printf(o, "\nbase_seed");
    put_u(o, h->base_seed);
    outfile_printf(o, "\nsets");
    put_u(o, h->nsets);
    for (size_t i = 0; i < h->nsets; i++)
        put_str(o, h->sets[i]);
    outfile_printf(o, "\nsets_text");
    put_str(o, h->sets_text);
    outfile_printf(o, "\nshard");
    put_u(o, h->shard);
    put_u(o, h->nshards);
    outfile_printf(o, "\ntotal");
    put_u(o, h->total);
    outfile_printf(o, "\nruns");
    put_u(o, n);
    outfile_printf(o, "\n");
    for (size_t i = 0; i < n; i++)
        put_run(o, &runs[i]);
}

/* ---- reading -------------------------------------------------------------- */

struct rd {
    char *text, *p;
    size_t token;    /* number of the token read last, for messages */
    char *why;
    size_t whysize;
    int bad;
};

__attribute__((format(printf, 2, 3))) static void fail(struct rd *r, const char *fmt, ...)
{
    if (r->bad++)
        return;
    int n = snprintf(r->why, r->whysize, "token %zu: ", r->token);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->whysize)
        vsnprintf(r->why + n, r->whysize - (size_t)n, fmt, ap);
    va_end(ap);
}

/* The next blank-separated token (NUL-terminated in place), or "" at the
 * end or after an error. */
static char *token(struct rd *r)
{
    static char none[1];
    if (r->bad)
        return none;
    while (*r->p == ' ' || *r->p == '\n')
        r->p++;
    if (!*r->p) {
        fail(r, "the file ends too early");
        return none;
    }
    char *t = r->p;
    while (*r->p && *r->p != ' ' && *r->p != '\n')
        r->p++;
    if (*r->p)
        *r->p++ = '\0';
    r->token++;
    return t;
}

static void expect(struct rd *r, const char *word)
{
    const char *t = token(r);
    if (!r->bad && strcmp(t, word) != 0)
        fail(r, "expected '%s', found '%.40s'", word, t);
}

static uint64_t get_u(struct rd *r)
{
    const char *t = token(r);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(t, &end, 10);
    if (!r->bad && (end == t || *end || errno || *t == '-'))
        fail(r, "expected a count, found '%.40s'", t);
    return r->bad ? 0 : (uint64_t)v;
}

/* A count that sizes an allocation: at most limit, so a damaged file
 * cannot ask for terabytes. */
static size_t get_n(struct rd *r, size_t limit)
{
    uint64_t v = get_u(r);
    if (!r->bad && v > limit)
        fail(r, "a count of %" PRIu64 " is more than this file can hold", v);
    return r->bad ? 0 : (size_t)v;
}

static int64_t get_i(struct rd *r)
{
    const char *t = token(r);
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (!r->bad && (end == t || *end || errno))
        fail(r, "expected an integer, found '%.40s'", t);
    return r->bad ? 0 : (int64_t)v;
}

static double get_d(struct rd *r)
{
    const char *t = token(r);
    char *end;
    double v = strtod(t, &end);
    if (!r->bad && (end == t || *end))
        fail(r, "expected a number, found '%.40s'", t);
    return r->bad ? 0 : v;
}

static long double get_ld(struct rd *r)
{
    const char *t = token(r);
    char *end;
    long double v = strtold(t, &end);
    if (!r->bad && (end == t || *end))
        fail(r, "expected a number, found '%.40s'", t);
    return r->bad ? 0 : v;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* An owned string, or NULL for the NULL token. */
static char *get_str(struct rd *r)
{
    const char *t = token(r);
    if (r->bad)
        return NULL;
    if (!strcmp(t, "%-"))
        return NULL;
    if (!strcmp(t, "%"))
        return xstrdup("");
    char *s = xmalloc(strlen(t) + 1), *q = s;
    for (; *t; t++) {
        if (*t != '%') {
            *q++ = *t;
            continue;
        }
        int hi = hexval(t[1]), lo = hi < 0 ? -1 : hexval(t[2]);
        if (lo < 0 || (hi == 0 && lo == 0)) {
            fail(r, "a bad %% escape");
            break;
        }
        *q++ = (char)(hi * 16 + lo);
        t += 2;
    }
    *q = '\0';
    return s;
}

/* Counts are bounded by the bytes left: every item takes at least two. */
static size_t limit(const struct rd *r)
{
    return strlen(r->p) / 2 + 1;
}

static void get_hist(struct rd *r, struct sparse_hist *s)
{
    memset(s, 0, sizeof *s);
    size_t n = get_n(r, limit(r));
    s->index = xmalloc((n ? n : 1) * sizeof *s->index);
    s->count = xmalloc((n ? n : 1) * sizeof *s->count);
    for (size_t i = 0; i < n && !r->bad; i++) {
        uint64_t idx = get_u(r);
        if (idx > UINT32_MAX)
            fail(r, "a histogram bucket out of range");
        s->index[i] = (uint32_t)idx;
        s->count[i] = get_u(r);
        s->n = i + 1;
    }
    s->total = get_u(r);
    s->sum = get_ld(r);
    s->sumsq = get_ld(r);
    s->min = get_i(r);
    s->max = get_i(r);
}

/* The kind string shared by every component of that kind. */
static const char *intern_kind(struct part *p, char *k)
{
    if (!k)
        return NULL;
    for (size_t i = 0; i < p->nkinds; i++)
        if (!strcmp(p->kinds[i], k)) {
            free(k);
            return p->kinds[i];
        }
    p->kinds = xrealloc(p->kinds, (p->nkinds + 1) * sizeof *p->kinds);
    return p->kinds[p->nkinds++] = k;
}

static void get_fields(struct rd *r, struct part *p, void *base, const struct field *f,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *m = (char *)base + f[i].off;
        switch (f[i].type) {
        case F_SIZE:
            *(size_t *)(void *)m = get_n(r, SIZE_MAX);
            break;
        case F_U64:
            *(uint64_t *)(void *)m = get_u(r);
            break;
        case F_INT:
            *(int *)(void *)m = (int)get_i(r);
            break;
        case F_DBL:
            *(double *)(void *)m = get_d(r);
            break;
        case F_STR:
            *(char **)(void *)m = get_str(r);
            break;
        case F_KIND:
            *(const char **)(void *)m = intern_kind(p, get_str(r));
            break;
        }
    }
}

/* A count, then that many items of elem bytes each made of the fields f;
 * *n counts the items read (all of them unless the file is bad). */
static void *get_list(struct rd *r, struct part *p, size_t elem, const struct field *f, size_t nf,
                      size_t *n)
{
    size_t k = get_n(r, limit(r));
    char *v = k ? xcalloc(k, elem) : NULL;
    for (size_t i = 0; i < k && !r->bad; i++) {
        *n = i + 1;
        get_fields(r, p, v + i * elem, f, nf);
    }
    return v;
}

static void get_run(struct rd *r, struct part *p, struct run_result *x)
{
    expect(r, "run");
    get_fields(r, p, x, run_fields, NFIELDS(run_fields));
    expect(r, "latency");
    get_hist(r, &x->latency);
    expect(r, "latency_all");
    get_hist(r, &x->latency_all);
    expect(r, "comps");
    size_t nc = get_n(r, limit(r));
    x->comps = xcalloc(nc ? nc : 1, sizeof *x->comps);
    for (size_t i = 0; i < nc && !r->bad; i++) {
        struct comp_result *c = &x->comps[i];
        x->ncomps = i + 1;
        expect(r, "comp");
        get_fields(r, p, c, comp_fields, NFIELDS(comp_fields));
        get_hist(r, &c->wait);
        get_hist(r, &c->local);
        get_hist(r, &c->resp);
    }
    expect(r, "ts");
    size_t rows = get_n(r, limit(r)), cols = get_n(r, limit(r));
    if (!r->bad && cols && rows > limit(r) / cols)
        fail(r, "a time series larger than the file");
    if (!r->bad && (rows || cols)) {
        x->ts_names = xcalloc(cols ? cols : 1, sizeof *x->ts_names);
        x->ts_ncols = cols;
        for (size_t k = 0; k < cols; k++)
            x->ts_names[k] = get_str(r);
        x->ts_rows = xcalloc(rows * (cols + 1) + 1, sizeof *x->ts_rows);
        x->ts_nrows = rows;
        for (size_t i = 0; i < rows * (cols + 1); i++)
            x->ts_rows[i] = get_d(r);
    }
    expect(r, "spans");
    x->spans = get_list(r, p, sizeof *x->spans, span_fields, NFIELDS(span_fields), &x->nspans);
    expect(r, "extra");
    x->extra = get_list(r, p, sizeof *x->extra, extra_fields, NFIELDS(extra_fields), &x->nextra);
    expect(r, "attribution");
    x->attribution = (int)get_i(r);
    size_t na = get_n(r, limit(r));
    x->attr = na ? xcalloc(na, sizeof *x->attr) : NULL;
    for (size_t i = 0; i < na && !r->bad; i++) {
        struct attr_result *a = &x->attr[i];
        x->nattr = i + 1;
        a->client = get_str(r);
        if (!a->client) /* "%-" (NULL) is no name */
            fail(r, "an attribution row without a client");
        for (size_t g = 0; g < 3; g++)
            a->n[g] = get_d(r);
        size_t nr = get_n(r, limit(r));
        a->rows = nr ? xcalloc(nr, sizeof *a->rows) : NULL;
        for (size_t k = 0; k < nr && !r->bad; k++) {
            a->nrows = k + 1;
            a->rows[k].component = get_str(r);
            a->rows[k].phase = get_str(r);
            if (!a->rows[k].component || !a->rows[k].phase)
                fail(r, "an attribution row without a component or phase");
            for (size_t g = 0; g < 3; g++)
                a->rows[k].ns[g] = get_d(r);
        }
    }
    expect(r, "stop");
    get_fields(r, p, &x->stop, stop_fields, NFIELDS(stop_fields));
    expect(r, "end");
}

static char *slurp(const char *path, int *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = errno;
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2)
            buf = xrealloc(buf, cap *= 2);
    }
    *err = ferror(f) ? EIO : 0;
    fclose(f);
    buf[len] = '\0';
    if (*err || strlen(buf) != len) { /* a NUL byte: not a part file */
        *err = *err ? *err : EINVAL;
        free(buf);
        return NULL;
    }
    return buf;
}

int partfile_read(const char *path, struct part *p, char *why, size_t whysize)
{
    memset(p, 0, sizeof *p);
    int err;
    char *text = slurp(path, &err);
    if (!text) {
        snprintf(why, whysize, "%s", err == EINVAL ? "not a text file" : strerror(err));
        return -1;
    }
    struct rd r = {text, text, 0, why, whysize, 0};
    struct part_header *h = &p->h;
    expect(&r, PART_FORMAT);
    if (r.bad) {
        snprintf(why, whysize, "not an sdsim part file (no '%s' at its start)", PART_FORMAT);
        free(text);
        return -1;
    }
    expect(&r, "version");
    h->version = get_str(&r);
    expect(&r, "scenario");
    const char *hx = token(&r);
    char *end;
    h->hash = (uint64_t)strtoull(hx, &end, 16);
    if (!r.bad && (end == hx || *end))
        fail(&r, "expected the scenario's hash");
    h->scenario = get_str(&r);
    expect(&r, "base_seed");
    h->base_seed = get_u(&r);
    expect(&r, "sets");
    h->nsets = get_n(&r, limit(&r));
    h->sets = xcalloc(h->nsets + 1, sizeof *h->sets);
    for (size_t i = 0; i < h->nsets; i++)
        h->sets[i] = get_str(&r);
    expect(&r, "sets_text");
    h->sets_text = get_str(&r);
    expect(&r, "shard");
    h->shard = get_n(&r, SIZE_MAX);
    h->nshards = get_n(&r, SIZE_MAX);
    expect(&r, "total");
    h->total = get_n(&r, PARTFILE_MAX_RUNS); /* merge sizes its tables by it */
    expect(&r, "runs");
    size_t n = get_n(&r, limit(&r));
    p->runs = xcalloc(n + 1, sizeof *p->runs);
    for (size_t i = 0; i < n && !r.bad; i++) {
        p->nruns = i + 1;
        get_run(&r, p, &p->runs[i]);
    }
    while (!r.bad && (*r.p == ' ' || *r.p == '\n'))
        r.p++;
    if (!r.bad && *r.p)
        fail(&r, "text after the last run");
    free(text);
    if (r.bad) {
        partfile_free(p);
        return -1;
    }
    return 0;
}

void partfile_free(struct part *p)
{
    free((char *)p->h.version);
    free((char *)p->h.scenario);
    for (size_t i = 0; p->h.sets && i < p->h.nsets; i++)
        free((char *)p->h.sets[i]);
    free(p->h.sets);
    free((char *)p->h.sets_text);
    for (size_t i = 0; i < p->nruns; i++)
        run_result_free(&p->runs[i]);
    free(p->runs);
    for (size_t i = 0; i < p->nkinds; i++)
        free(p->kinds[i]);
    free(p->kinds);
    memset(p, 0, sizeof *p);
}
