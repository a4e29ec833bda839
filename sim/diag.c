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

struct diag {
    struct diag_msg *msgs;
    size_t nmsgs, cap;
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

int diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
{
    if (!d)
        return -1;
    char body[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
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
    return d ? d->nmsgs : 0;
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
    for (size_t k = 0; k < d->nmsgs; k++) {
        const struct diag_msg *m = &d->msgs[order[k]];
        fprintf(f, "%s\n", m->text);
        size_t len = 0;
        const char *line = m->loc.file && m->loc.line > 0
                               ? source_line(d, m->loc.file, m->loc.line, &len)
                               : NULL;
        if (!line || m->loc.col <= 0)
            continue;
        fprintf(f, "  %.*s\n  ", (int)len, line);
        for (int c = 1; c < m->loc.col && (size_t)c <= len; c++)
            fputc(line[c - 1] == '\t' ? '\t' : ' ', f);
        fputs("^\n", f);
    }
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
