/* diag: a growing list of formatted messages plus the source texts they point
 * into. Messages keep the order in which they were reported, which is the
 * order of the file, so output is deterministic. */
#include "sim/diag.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xalloc.h"

struct diag_msg {
    struct loc loc; /* loc.file points to file below */
    char *file;     /* a copy: the scenario may be freed before printing */
    char *text;     /* "file:line:col: error: message" */
};

struct diag_source {
    char *file;
    char *text;
};

/* Limits on what a mistaken file can make sdsim print or keep: a megabyte
 * of random bytes would otherwise print thousands of errors, each echoing a
 * line of garbage. */
#define DIAG_MAX_PRINTED 20  /* errors printed; then "... and N more errors" */
#define DIAG_MAX_KEPT 10000  /* errors kept (and checked for repeats); the rest counted */
#define DIAG_VALUE_MAX 60    /* longest quoted value echoed in a message */
#define DIAG_TEXT_MAX 300    /* longest message (after the location) */
#define DIAG_LINE_MAX 100    /* longest part of a source line shown */

struct diag {
    struct diag_msg *msgs;
    size_t nmsgs, cap;
    size_t dropped; /* errors beyond DIAG_MAX_KEPT: counted, not kept */
    size_t noinput; /* errors reported by diag_noinput */
    struct diag_source *srcs;
    size_t nsrcs;
};

struct diag *diag_new(void)
{
    return xcalloc(1, sizeof(struct diag));
}

void diag_free(struct diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nmsgs; i++) {
        free(d->msgs[i].text);
        free(d->msgs[i].file);
    }
    for (size_t i = 0; i < d->nsrcs; i++) {
        free(d->srcs[i].file);
        free(d->srcs[i].text);
    }
    free(d->msgs);
    free(d->srcs);
    free(d);
}

/* Appends byte c to out[*n] (capacity size, always leaving room for a NUL),
 * escaped as \xNN unless it is printable ASCII or part of valid UTF-8. */
static void put_escaped(char *out, size_t *n, size_t size, const unsigned char *p, size_t *i)
{
    unsigned char c = p[*i];
    size_t seq = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                          : (c & 0xf8) == 0xf0 ? 4 : 0;
    bool ok = seq > 0 && !(c < 0x20 || c == 0x7f) && c != 0xc0 && c != 0xc1;
    for (size_t k = 1; ok && k < seq; k++)
        ok = (p[*i + k] & 0xc0) == 0x80;
    if (ok && *n + seq < size) {
        memcpy(out + *n, p + *i, seq);
        *n += seq;
        *i += seq;
        return;
    }
    if (*n + 4 < size)
        *n += (size_t)snprintf(out + *n, size - *n, "\\x%02x", c);
    (*i)++;
}

/* Whether the quote at s[i] opens a quoted value: it follows the start, a
 * blank or an opening mark, where an apostrophe in prose follows a letter. */
static bool opens_quote(const char *s, size_t i)
{
    return s[i] == '\'' && (i == 0 || strchr(" \t(=[,:", s[i - 1]));
}

/* Copies message text into out with bytes that are not printable escaped
 * as \xNN and each quoted value ('...') cut to DIAG_VALUE_MAX characters
 * with "...": what a user wrote is echoed, but never a screenful of it. */
static void sanitize(const char *text, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0, i = 0;
    while (p[i] && n + 1 < size) {
        const char *close = opens_quote(text, i) ? strchr(text + i + 1, '\'') : NULL;
        if (!close) {
            put_escaped(out, &n, size, p, &i);
            continue;
        }
        size_t stop = (size_t)(close - text), len = stop - i - 1;
        size_t keep = len <= DIAG_VALUE_MAX ? stop : i + 1 + DIAG_VALUE_MAX - 3;
        out[n++] = '\'';
        for (i++; i < keep && n + 1 < size;)
            put_escaped(out, &n, size, p, &i);
        if (keep < stop && n + 3 < size) {
            memcpy(out + n, "...", 3);
            n += 3;
        }
        if (n + 1 < size)
            out[n++] = '\'';
        i = stop + 1;
    }
    out[n] = '\0';
}

/* Like sanitize for a source line: escapes, but no quoted-value cut. A
 * tab is kept, so the caret line can copy it. */
static void sanitize_plain(const char *text, char *out, size_t size)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t n = 0, i = 0;
    while (p[i] && n + 1 < size) {
        if (p[i] == '\t') {
            out[n++] = '\t';
            i++;
        } else {
            put_escaped(out, &n, size, p, &i);
        }
    }
    out[n] = '\0';
}

static int add_error(struct diag *d, struct loc loc, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

int diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_error(d, loc, fmt, ap);
    va_end(ap);
    return rc;
}

int diag_noinput(struct diag *d, struct loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t before = diag_count(d);
    int rc = add_error(d, loc, fmt, ap);
    va_end(ap);
    if (d && diag_count(d) > before)
        d->noinput++;
    return rc;
}

bool diag_only_noinput(const struct diag *d)
{
    return d && d->noinput > 0 && d->noinput == diag_count(d);
}

/* Records one error (see diag_error); a repeat of a kept one is dropped. */
static int add_error(struct diag *d, struct loc loc, const char *fmt, va_list ap)
{
    if (!d)
        return -1;
    if (d->nmsgs >= DIAG_MAX_KEPT) {
        d->dropped++;
        return -1;
    }
    char raw[1024], body[1024];
    vsnprintf(raw, sizeof raw, fmt, ap);
    sanitize(raw, body, sizeof body);
    if (strlen(body) > DIAG_TEXT_MAX) { /* cut on a character boundary */
        size_t cut = DIAG_TEXT_MAX - 3;
        while (cut > 0 && ((unsigned char)body[cut] & 0xc0) == 0x80)
            cut--;
        memcpy(body + cut, "...", 4);
    }
    char head[512];
    const char *file = loc.file ? loc.file : "sdsim";
    if (loc.line > 0 && loc.col > 0)
        snprintf(head, sizeof head, "%s:%d:%d: ", file, loc.line, loc.col);
    else if (loc.line > 0)
        snprintf(head, sizeof head, "%s:%d: ", file, loc.line);
    else
        snprintf(head, sizeof head, "%s: ", file);
    if (d->nmsgs == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->msgs = xrealloc(d->msgs, d->cap * sizeof *d->msgs);
    }
    size_t len = strlen(head) + strlen(body) + sizeof "error: ";
    char *text = xmalloc(len);
    snprintf(text, len, "%serror: %s", head, body);
    /* A mistake outside a sweep shows up once per sweep point: say it once. */
    for (size_t i = 0; i < d->nmsgs; i++) {
        if (strcmp(d->msgs[i].text, text) == 0) {
            free(text);
            return -1;
        }
    }
    char *fcopy = loc.file ? xstrdup(loc.file) : NULL;
    loc.file = fcopy;
    d->msgs[d->nmsgs++] = (struct diag_msg){loc, fcopy, text};
    return -1;
}

void diag_add_source(struct diag *d, const char *file, const char *text)
{
    if (!d || !file || !text)
        return;
    d->srcs = xrealloc(d->srcs, (d->nsrcs + 1) * sizeof *d->srcs);
    d->srcs[d->nsrcs].file = xstrdup(file);
    d->srcs[d->nsrcs].text = xstrdup(text);
    d->nsrcs++;
}

size_t diag_count(const struct diag *d)
{
    return d ? d->nmsgs + d->dropped : 0;
}

const char *diag_message(const struct diag *d, size_t i)
{
    return d && i < d->nmsgs ? d->msgs[i].text : NULL;
}

/* The text of line `line` of the registered source `file`, or NULL. */
static const char *source_line(const struct diag *d, const char *file, int line, size_t *len)
{
    for (size_t i = 0; i < d->nsrcs; i++) {
        if (strcmp(d->srcs[i].file, file) != 0)
            continue;
        const char *p = d->srcs[i].text;
        for (int l = 1; l < line && p; l++) {
            p = strchr(p, '\n');
            if (p)
                p++;
        }
        if (!p || !*p)
            return NULL;
        *len = strcspn(p, "\r\n");
        return p;
    }
    return NULL;
}

/* Messages print in file order (line, then column); messages at the same
 * place keep the order they were reported in. */
static bool loc_before(const struct diag_msg *a, const struct diag_msg *b)
{
    return a->loc.line < b->loc.line || (a->loc.line == b->loc.line && a->loc.col < b->loc.col);
}

/* Prints line[0..len) (at most DIAG_LINE_MAX bytes of it around column col,
 * with "..." where it is cut, bytes that are not printable escaped) and a
 * caret under column col. */
static void print_caret_line(FILE *f, const char *line, size_t len, size_t col)
{
    size_t from = col > DIAG_LINE_MAX / 2 ? col - DIAG_LINE_MAX / 2 : 0;
    if (from > len)
        from = len;
    while (from > 0 && from < len && ((unsigned char)line[from] & 0xc0) == 0x80)
        from--; /* start on a character */
    size_t to = from + DIAG_LINE_MAX < len ? from + DIAG_LINE_MAX : len;
    while (to < len && ((unsigned char)line[to] & 0xc0) == 0x80)
        to++;
    char before[4 * DIAG_LINE_MAX + 8], rest[4 * DIAG_LINE_MAX + 8];
    size_t at = col - 1 < to ? col - 1 : to; /* the caret's byte, within the window */
    if (at < from)
        at = from;
    char *a = xstrndup(line + from, at - from), *b = xstrndup(line + at, to - at);
    sanitize_plain(a, before, sizeof before);
    sanitize_plain(b, rest, sizeof rest);
    free(a);
    free(b);
    const char *lead = from > 0 ? "..." : "";
    fprintf(f, "  %s%s%s%s\n  %s", lead, before, rest, to < len ? "..." : "", lead);
    for (const char *p = before; *p; p++) /* a tab keeps its width; a UTF-8 character is one */
        if (((unsigned char)*p & 0xc0) != 0x80)
            fputc(*p == '\t' ? '\t' : ' ', f);
    fputs("^\n", f);
}

void diag_print(const struct diag *d, FILE *f)
{
    if (!d)
        return;
    size_t *order = xcalloc(d->nmsgs + 1, sizeof *order);
    for (size_t i = 0; i < d->nmsgs; i++) { /* insertion sort: stable, n is small */
        size_t j = i;
        while (j > 0 && loc_before(&d->msgs[i], &d->msgs[order[j - 1]])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t shown = d->nmsgs < DIAG_MAX_PRINTED ? d->nmsgs : DIAG_MAX_PRINTED;
    for (size_t k = 0; k < shown; k++) {
        const struct diag_msg *m = &d->msgs[order[k]];
        fprintf(f, "%s\n", m->text);
        size_t len = 0;
        const char *line = m->loc.file && m->loc.line > 0
                               ? source_line(d, m->loc.file, m->loc.line, &len)
                               : NULL;
        if (line && m->loc.col > 0)
            print_caret_line(f, line, len, (size_t)m->loc.col);
    }
    size_t more = diag_count(d) - shown;
    if (more > 0)
        fprintf(f, "... and %zu more error%s\n", more, more == 1 ? "" : "s");
    free(order);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Levenshtein distance, capped: words longer than 63 are never suggested. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            row[j] = min3(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1]));
            prev = cur;
        }
    }
    return row[lb];
}

const char *diag_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t dist = edit_distance(word, names[i]);
        /* A prefix is a good hint too: "least" for "least_connections". */
        if (strlen(word) >= 3 && strncmp(word, names[i], strlen(word)) == 0)
            dist = 1;
        if (!best || dist < best_d) {
            best = names[i];
            best_d = dist;
        }
    }
    size_t limit = strlen(word) / 3 + 1;
    return best && best_d <= limit ? best : NULL;
}

char *diag_path_near(const char *file, struct loc loc)
{
    const char *slash = loc.file ? strrchr(loc.file, '/') : NULL;
    if (file[0] == '/' || !slash)
        return xstrdup(file);
    size_t dir = (size_t)(slash - loc.file) + 1;
    size_t len = strlen(file);
    char *p = xmalloc(dir + len + 1);
    memcpy(p, loc.file, dir);
    memcpy(p + dir, file, len + 1);
    return p;
}
