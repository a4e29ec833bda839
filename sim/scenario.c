/* scenario: line-oriented INI reader plus textual sweep substitution.
 * Sections and entries keep file order; sweeps keep order of definition. */
#include "sim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define CLI_FILE "<command line>"

static bool is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.';
}

static bool valid_name(const char *s)
{
    if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!is_name_char((unsigned char)*s))
            return false;
    return true;
}

/* Offset where a comment starts in line[0..len) ('#' or ';' at the start or
 * after a blank, outside ${...}), or len. */
static size_t comment_start(const char *line, size_t len)
{
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '$' && i + 1 < len && line[i + 1] == '{')
            depth++;
        else if (line[i] == '}' && depth > 0)
            depth--;
        else if ((line[i] == '#' || line[i] == ';') && depth == 0 &&
                 (i == 0 || isspace((unsigned char)line[i - 1])))
            return i;
    }
    return len;
}

/* The names read so far (section names, and each section's keys) in an
 * open-addressing hash table of indexes, so that a file of n lines is read
 * in O(n) time: comparing each key with every key before it took minutes
 * for 10^5 keys. A slot holds section sec + 1 (0: empty) and entry ent, or
 * SIZE_MAX for the section's name. */
struct seen_slot {
    size_t sec1;
    size_t ent;
};

struct seen {
    struct seen_slot *slots;
    size_t cap, n; /* cap is 0 or a power of two */
};

static const char *slot_name(const struct scenario *sc, const struct seen_slot *s)
{
    const struct sc_section *sec = &sc->sections[s->sec1 - 1];
    return s->ent == SIZE_MAX ? sec->name : sec->entries[s->ent].key;
}

/* The slot of key `name` in section sec, or of a section named `name` when
 * sec is SIZE_MAX: the one holding it, or the empty one where it goes. */
static struct seen_slot *seen_slot(const struct seen *t, const struct scenario *sc, size_t sec,
                                   const char *name)
{
    uint64_t h = rng_mix64(rng_hash_str(RNG_FNV_BASIS, name) ^ (uint64_t)sec);
    for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct seen_slot *s = &t->slots[i];
        if (!s->sec1)
            return s;
        bool same =
            sec == SIZE_MAX ? s->ent == SIZE_MAX : s->ent != SIZE_MAX && s->sec1 - 1 == sec;
        if (same && strcmp(slot_name(sc, s), name) == 0)
            return s;
    }
}

static void seen_add(struct seen *t, const struct scenario *sc, size_t sec, size_t ent)
{
    if (2 * (t->n + 1) > t->cap) {
        struct seen old = *t;
        t->cap = old.cap ? 2 * old.cap : 64;
        t->slots = xcalloc(t->cap, sizeof *t->slots);
        for (size_t i = 0; i < old.cap; i++) {
            const struct seen_slot *o = &old.slots[i];
            size_t osec = o->ent == SIZE_MAX ? SIZE_MAX : o->sec1 - 1;
            if (o->sec1)
                *seen_slot(t, sc, osec, slot_name(sc, o)) = *o;
        }
        free(old.slots);
    }
    struct seen_slot slot = {sec + 1, ent};
    *seen_slot(t, sc, ent == SIZE_MAX ? SIZE_MAX : sec, slot_name(sc, &slot)) = slot;
    t->n++;
}

/* The earlier section named name, or NULL. */
static const struct sc_section *seen_section(const struct seen *t, const struct scenario *sc,
                                             const char *name)
{
    if (!t->cap)
        return NULL;
    const struct seen_slot *s = seen_slot(t, sc, SIZE_MAX, name);
    return s->sec1 ? &sc->sections[s->sec1 - 1] : NULL;
}

/* The earlier entry key of the last section, or NULL. */
static const struct sc_entry *seen_entry(const struct seen *t, const struct scenario *sc,
                                         const char *key)
{
    if (!t->cap)
        return NULL;
    const struct seen_slot *s = seen_slot(t, sc, sc->nsections - 1, key);
    return s->sec1 ? &sc->sections[s->sec1 - 1].entries[s->ent] : NULL;
}

static struct sc_section *add_section(struct scenario *sc, size_t *cap)
{
    xgrow(&sc->sections, cap, sc->nsections + 1, sizeof *sc->sections);
    struct sc_section *s = &sc->sections[sc->nsections++];
    memset(s, 0, sizeof *s);
    return s;
}

static void add_entry(struct sc_section *s, const char *key, size_t klen, const char *val,
                      size_t vlen, struct loc kl, struct loc vl)
{
    /* The capacity is the next power of two: doubled when it is reached. */
    size_t n = s->nentries;
    if ((n & (n - 1)) == 0)
        s->entries = xrealloc(s->entries, (n ? 2 * n : 1) * sizeof *s->entries);
    s->entries[s->nentries++] =
        (struct sc_entry){xstrndup(key, klen), xstrndup(val, vlen), kl, vl};
}

static int parse_header(struct scenario *sc, size_t *cap, struct seen *seen, const char *p,
                        size_t len, struct loc loc, struct diag *d)
{
    const char *close = memchr(p, ']', len);
    if (!close)
        return diag_error(d, loc, "missing ']' in section header");
    for (const char *q = close + 1; q < p + len; q++)
        if (!isspace((unsigned char)*q))
            return diag_error(d, (struct loc){loc.file, loc.line, loc.col + (int)(q - p)},
                              "unexpected text after ']'");
    char words[2][128];
    int nw = 0;
    const char *q = p + 1;
    while (q < close) {
        while (q < close && isspace((unsigned char)*q))
            q++;
        if (q == close)
            break;
        const char *b = q;
        while (q < close && !isspace((unsigned char)*q))
            q++;
        struct loc wl = {loc.file, loc.line, loc.col + (int)(b - p)};
        if (nw == 2)
            return diag_error(d, wl, "a section header is [kind name] or [sim]");
        size_t wlen = (size_t)(q - b);
        if (wlen >= sizeof words[0])
            return diag_error(d, wl, "name too long");
        memcpy(words[nw], b, wlen);
        words[nw][wlen] = '\0';
        if (!valid_name(words[nw]))
            return diag_error(d, wl,
                              "bad name '%s' (letters, digits, '_', '-' and '.', starting "
                              "with a letter)",
                              words[nw]);
        nw++;
    }
    if (nw == 0)
        return diag_error(d, loc, "empty section header");
    if (nw == 1 && strcmp(words[0], "sim") != 0)
        return diag_error(d, loc, "section [%s] needs a name, as in [%s NAME]", words[0],
                          words[0]);
    const char *name = nw == 2 ? words[1] : words[0];
    int rc = 0;
    const struct sc_section *first = seen_section(seen, sc, name);
    if (first)
        rc = diag_error(d, loc, "'%s' is defined twice (first at line %d)", name,
                        first->loc.line);
    /* Added even when a duplicate, so its keys are not blamed on the first. */
    struct sc_section *s = add_section(sc, cap);
    s->kind = xstrdup(words[0]);
    s->name = xstrdup(name);
    s->loc = loc;
    if (!first)
        seen_add(seen, sc, sc->nsections - 1, SIZE_MAX);
    return rc;
}

/* 1 for "[expect]", 2 for "[predict]" (blanks allowed inside the
 * brackets), else 0. */
static int checks_header(const char *p, size_t len)
{
    if (len < 2 || p[0] != '[' || p[len - 1] != ']')
        return 0;
    size_t b = 1, e = len - 1;
    while (b < e && isspace((unsigned char)p[b]))
        b++;
    while (e > b && isspace((unsigned char)p[e - 1]))
        e--;
    if (e - b == 6 && memcmp(p + b, "expect", 6) == 0)
        return 1;
    if (e - b == 7 && memcmp(p + b, "predict", 7) == 0)
        return 2;
    return 0;
}

/* *checks: the section the lines belong to (0: a normal one, 1: [expect],
 * 2: [predict]). */
static int parse_line(struct scenario *sc, size_t *cap, struct seen *seen, const char *line,
                      size_t len, int lineno, int *checks, struct diag *d)
{
    len = comment_start(line, len);
    size_t b = 0;
    while (b < len && isspace((unsigned char)line[b]))
        b++;
    while (len > b && isspace((unsigned char)line[len - 1]))
        len--;
    if (b == len)
        return 0;
    struct loc loc = {sc->file, lineno, (int)b + 1};
    if (line[b] == '[') {
        *checks = checks_header(line + b, len - b);
        if (*checks)
            return 0;
        return parse_header(sc, cap, seen, line + b, len - b, loc, d);
    }
    if (*checks) {
        size_t n = sc->nchecks;
        if ((n & (n - 1)) == 0)
            sc->checks = xrealloc(sc->checks, (n ? 2 * n : 1) * sizeof *sc->checks);
        sc->checks[sc->nchecks++] =
            (struct sc_check){xstrndup(line + b, len - b), loc, *checks == 2};
        return 0;
    }
    const char *eq = memchr(line + b, '=', len - b);
    if (!eq)
        return diag_error(d, loc, "expected 'key = value' or a [section] header");
    size_t ke = (size_t)(eq - line);
    while (ke > b && isspace((unsigned char)line[ke - 1]))
        ke--;
    size_t vb = (size_t)(eq - line) + 1;
    while (vb < len && isspace((unsigned char)line[vb]))
        vb++;
    if (ke == b)
        return diag_error(d, loc, "missing key before '='");
    char key[128];
    if (ke - b >= sizeof key)
        return diag_error(d, loc, "key too long");
    memcpy(key, line + b, ke - b);
    key[ke - b] = '\0';
    if (!valid_name(key))
        return diag_error(d, loc, "bad key '%s'", key);
    struct loc vloc = {sc->file, lineno, (int)vb + 1};
    if (vb == len)
        return diag_error(d, (struct loc){sc->file, lineno, (int)(eq - line) + 2},
                          "missing value for '%s'", key);
    if (sc->nsections == 0)
        return diag_error(d, loc, "'%s' is outside any section; start with [sim] or [kind name]",
                          key);
    struct sc_section *s = &sc->sections[sc->nsections - 1];
    const struct sc_entry *prev = seen_entry(seen, sc, key);
    if (prev)
        return diag_error(d, loc, "'%s' is set twice in [%s] (first at line %d)", key, s->name,
                          prev->key_loc.line);
    add_entry(s, key, strlen(key), line + vb, len - vb, loc, vloc);
    seen_add(seen, sc, sc->nsections - 1, s->nentries - 1);
    return 0;
}

struct scenario *scenario_parse(const char *file, const char *text, struct diag *d)
{
    struct scenario *sc = xcalloc(1, sizeof *sc);
    sc->file = xstrdup(file);
    sc->text = xstrdup(text);
    sc->hash = rng_hash_str(RNG_FNV_BASIS, text);
    diag_add_source(d, file, text);
    size_t cap = 0;
    struct seen seen = {NULL, 0, 0};
    int rc = 0, lineno = 0, checks = 0;
    for (const char *p = text; *p;) {
        lineno++;
        size_t len = strcspn(p, "\n");
        size_t l = len;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (parse_line(sc, &cap, &seen, p, l, lineno, &checks, d) < 0)
            rc = -1;
        p += len;
        if (*p == '\n')
            p++;
    }
    free(seen.slots);
    if (rc == 0 && sc->nsections == 0)
        rc = diag_error(d, (struct loc){file, 1, 1},
                        "%s: nothing to simulate; a scenario needs at least a [client NAME] "
                        "section and what it sends to",
                        *text ? "no sections (only comments and blank lines)" : "empty file");
    if (rc < 0) {
        scenario_free(sc);
        return NULL;
    }
    return sc;
}

/* The first byte of text[0..len) that cannot be in a text file (NUL or an
 * ASCII control other than tab, CR and LF), or NULL. */
static const char *first_binary(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
            return text + i;
    }
    return NULL;
}

/* Refuses binary data at the line and column of its first such byte, with
 * the lines before it registered so the message can show them. */
static int refuse_binary(const char *path, const char *buf, const char *bad, struct diag *d)
{
    int line = 1;
    const char *bol = buf;
    for (const char *p = buf; p < bad; p++)
        if (*p == '\n') {
            line++;
            bol = p + 1;
        }
    char *head = xstrndup(buf, (size_t)(bad - buf));
    diag_add_source(d, path, head);
    free(head);
    return diag_error(d, (struct loc){path, line, (int)(bad - bol) + 1},
                      "byte \\x%02x: binary data, not a scenario (a scenario is text)",
                      (unsigned char)*bad);
}

struct scenario *scenario_load(const char *path, struct diag *d, int *io_error)
{
    return scenario_load_named(path, NULL, d, io_error);
}

struct scenario *scenario_load_named(const char *path, const char *name, struct diag *d,
                                     int *io_error)
{
    *io_error = 0;
    int from_stdin = strcmp(path, "-") == 0;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        *io_error = errno ? errno : EIO;
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
    }
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    if (!from_stdin)
        fclose(f);
    if (err) {
        free(buf);
        *io_error = err;
        return NULL;
    }
    buf[len] = '\0';
    const char *bad = first_binary(buf, len);
    if (bad) {
        refuse_binary(name ? name : from_stdin ? "<stdin>" : path, buf, bad, d);
        free(buf);
        return NULL;
    }
    struct scenario *sc = scenario_parse(name ? name : from_stdin ? "<stdin>" : path, buf, d);
    free(buf);
    return sc;
}

static void free_sections(struct sc_section *secs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < secs[i].nentries; j++) {
            free(secs[i].entries[j].key);
            free(secs[i].entries[j].value);
        }
        free(secs[i].entries);
        free(secs[i].kind);
        free(secs[i].name);
    }
    free(secs);
}

void scenario_free(struct scenario *sc)
{
    if (!sc)
        return;
    free_sections(sc->sections, sc->nsections);
    for (size_t i = 0; i < sc->nsweeps; i++) {
        for (size_t j = 0; j < sc->sweeps[i].nvalues; j++)
            free(sc->sweeps[i].values[j]);
        free(sc->sweeps[i].values);
        free(sc->sweeps[i].name);
    }
    free(sc->sweeps);
    for (size_t i = 0; i < sc->nchecks; i++)
        free(sc->checks[i].text);
    free(sc->checks);
    free(sc->file);
    free(sc->text);
    free(sc);
}

const struct sc_section *sc_find_section(const struct sc_section *secs, size_t n,
                                         const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(secs[i].name, name) == 0)
            return &secs[i];
    return NULL;
}

const struct sc_entry *sc_find_entry(const struct sc_section *s, const char *key)
{
    for (size_t i = 0; i < s->nentries; i++)
        if (strcmp(s->entries[i].key, key) == 0)
            return &s->entries[i];
    return NULL;
}

int scenario_set(struct scenario *sc, const char *assignment, struct diag *d)
{
    struct loc loc = {CLI_FILE, 0, 0};
    const char *eq = strchr(assignment, '=');
    const char *dot = strchr(assignment, '.');
    if (!eq || !dot || dot > eq)
        return diag_error(d, loc, "--set needs NAME.KEY=VALUE, got '%s'", assignment);
    char *name = xstrndup(assignment, (size_t)(dot - assignment));
    char *key = xstrndup(dot + 1, (size_t)(eq - dot - 1));
    const char *val = eq + 1;
    while (isspace((unsigned char)*val))
        val++;
    int rc = 0;
    struct sc_section *s = (struct sc_section *)sc_find_section(sc->sections, sc->nsections, name);
    if (!s) {
        const char *names[256];
        size_t n = sc->nsections < 256 ? sc->nsections : 256;
        for (size_t i = 0; i < n; i++)
            names[i] = sc->sections[i].name;
        const char *near = diag_closest(name, names, n);
        rc = near ? diag_error(d, loc, "--set %s: no section named '%s' (did you mean '%s'?)",
                               assignment, name, near)
                  : diag_error(d, loc, "--set %s: no section named '%s'", assignment, name);
    } else if (!valid_name(key)) {
        rc = diag_error(d, loc, "--set %s: bad key '%s'", assignment, key);
    } else if (!*val) { /* NAME.KEY= : back to the default */
        struct sc_entry *e = (struct sc_entry *)sc_find_entry(s, key);
        if (e) {
            free(e->key);
            free(e->value);
            size_t i = (size_t)(e - s->entries);
            memmove(e, e + 1, (s->nentries - i - 1) * sizeof *e);
            s->nentries--;
        }
    } else {
        struct sc_entry *e = (struct sc_entry *)sc_find_entry(s, key);
        if (e) {
            free(e->value);
            e->value = xstrdup(val);
            e->key_loc = e->val_loc = loc;
        } else {
            add_entry(s, key, strlen(key), val, strlen(val), loc, loc);
        }
    }
    free(name);
    free(key);
    return rc;
}

/* ---- sweeps ------------------------------------------------------------ */

bool scenario_sweep_replaced(const struct scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->nsweeps; i++)
        if (strcmp(sc->sweeps[i].name, name) == 0)
            return false;
    size_t n = strlen(name);
    for (const char *p = sc->text; p && (p = strstr(p, "${")) != NULL; p += 2) {
        const char *q = p + 2;
        while (isspace((unsigned char)*q))
            q++;
        if (strncmp(q, name, n) != 0)
            continue;
        q += n;
        while (isspace((unsigned char)*q))
            q++;
        if (*q == '=')
            return true;
    }
    return false;
}

static struct sc_sweep *find_sweep(struct scenario *sc, const char *name, size_t len)
{
    for (size_t i = 0; i < sc->nsweeps; i++)
        if (strlen(sc->sweeps[i].name) == len && strncmp(sc->sweeps[i].name, name, len) == 0)
            return &sc->sweeps[i];
    return NULL;
}

static void sweep_add_value(struct sc_sweep *w, const char *v, size_t len)
{
    xgrow(&w->values, &w->cap, w->nvalues + 1, sizeof *w->values);
    w->values[w->nvalues++] = xstrndup(v, len);
}

static char *trim_dup(const char *b, const char *e)
{
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    return xstrndup(b, (size_t)(e - b));
}

#define SWEEP_MAX_VALUES 100000

/* "A..B step S" (step optional, default 1) into w. */
static int sweep_range(struct sc_sweep *w, const char *body, struct loc loc, struct diag *d)
{
    const char *dots = strstr(body, "..");
    if (!dots)
        return 1; /* not a range */
    char *end;
    char *first = xstrndup(body, (size_t)(dots - body));
    double a = strtod(first, &end);
    while (isspace((unsigned char)*end))
        end++;
    bool bad_first = end == first || *end;
    free(first);
    if (bad_first)
        return 1; /* "a..b" with a not a number: a plain value */
    const char *p = dots + 2;
    double b = strtod(p, &end);
    if (end == p)
        return diag_error(d, loc, "bad range in sweep '%s': expected A..B [step S]", w->name);
    double step = 1;
    while (isspace((unsigned char)*end))
        end++;
    if (strncmp(end, "step", 4) == 0) {
        p = end + 4;
        step = strtod(p, &end);
        if (end == p)
            return diag_error(d, loc, "bad step in sweep '%s'", w->name);
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return diag_error(d, loc, "unexpected '%s' in range of sweep '%s'", end, w->name);
    if (!(step > 0) || !isfinite(a) || !isfinite(b))
        return diag_error(d, loc, "the step of sweep '%s' must be positive", w->name);
    if (b < a)
        return diag_error(d, loc, "empty range %g..%g in sweep '%s'", a, b, w->name);
    double n = floor((b - a) / step * (1 + 1e-12)) + 1;
    if (n > SWEEP_MAX_VALUES)
        return diag_error(d, loc, "sweep '%s' has %.0f values (at most %d)", w->name, n,
                          SWEEP_MAX_VALUES);
    for (size_t i = 0; i < (size_t)n; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%.12g", a + (double)i * step);
        sweep_add_value(w, buf, strlen(buf));
    }
    return 0;
}

/* The first comma outside parentheses: sweep values may be specs with
 * arguments, as in ${lb = random, power_of_two(d=3)}. */
static const char *top_level_comma(const char *p)
{
    int depth = 0;
    for (; *p; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        else if (*p == ',' && depth == 0)
            return p;
    }
    return NULL;
}

static int define_sweep(struct scenario *sc, const char *name, size_t nlen, const char *body,
                        struct loc loc, struct diag *d)
{
    if (find_sweep(sc, name, nlen))
        return diag_error(d, loc, "sweep '%.*s' is defined twice; write ${%.*s} to reuse it",
                          (int)nlen, name, (int)nlen, name);
    sc->sweeps = xrealloc(sc->sweeps, (sc->nsweeps + 1) * sizeof *sc->sweeps);
    struct sc_sweep *w = &sc->sweeps[sc->nsweeps++];
    *w = (struct sc_sweep){xstrndup(name, nlen), NULL, 0, loc, 0};
    int rc = sweep_range(w, body, loc, d);
    if (rc <= 0)
        return rc;
    for (const char *p = body;;) {
        const char *c = top_level_comma(p);
        const char *e = c ? c : p + strlen(p);
        char *v = trim_dup(p, e);
        if (!*v) {
            free(v);
            return diag_error(d, loc, "empty value in sweep '%s'", w->name);
        }
        sweep_add_value(w, v, strlen(v));
        free(v);
        if (!c)
            break;
        p = c + 1;
    }
    return 0;
}

/* Walks the ${...} of one value: defines sweeps (define == true) or checks
 * references (define == false). */
static int scan_value(struct scenario *sc, const struct sc_entry *e, bool define, struct diag *d)
{
    int rc = 0;
    for (const char *p = e->value; (p = strstr(p, "${")) != NULL;) {
        struct loc loc = e->val_loc;
        if (loc.col > 0)
            loc.col += (int)(p - e->value);
        const char *close = strchr(p, '}');
        const char *nested = strstr(p + 2, "${");
        if (!close)
            return diag_error(d, loc, "unterminated '${' (missing '}')");
        if (nested && nested < close)
            return diag_error(d, loc, "'${' inside '${...}' is not supported");
        const char *nb = p + 2;
        while (isspace((unsigned char)*nb))
            nb++;
        const char *ne = nb;
        while (ne < close && is_name_char((unsigned char)*ne))
            ne++;
        const char *q = ne;
        while (isspace((unsigned char)*q))
            q++;
        if (ne == nb || (q != close && *q != '='))
            rc = diag_error(d, loc, "expected ${name = a, b, c} or ${name}");
        else if (*q == '=' && define) {
            char *body = trim_dup(q + 1, close);
            if (define_sweep(sc, nb, (size_t)(ne - nb), body, loc, d) < 0)
                rc = -1;
            free(body);
        } else if (q == close && !define && !find_sweep(sc, nb, (size_t)(ne - nb))) {
            rc = diag_error(d, loc, "no sweep named '%.*s' is defined", (int)(ne - nb), nb);
        }
        p = close + 1;
    }
    return rc;
}

int scenario_find_sweeps(struct scenario *sc, struct diag *d)
{
    int rc = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < sc->nsections; i++)
            for (size_t j = 0; j < sc->sections[i].nentries; j++)
                if (scan_value(sc, &sc->sections[i].entries[j], pass == 0, d) < 0)
                    rc = -1;
    size_t n = 1;
    for (size_t i = 0; i < sc->nsweeps; i++) {
        n *= sc->sweeps[i].nvalues;
        if (n > 1000000)
            return diag_error(d, sc->sweeps[i].loc, "the sweeps make more than 10^6 points");
    }
    return rc;
}

size_t scenario_npoints(const struct scenario *sc)
{
    size_t n = 1;
    for (size_t i = 0; i < sc->nsweeps; i++)
        n *= sc->sweeps[i].nvalues;
    return n;
}

/* value with every ${...} replaced by its sweep's value at the point. */
static char *substitute(const struct scenario *sc, const char *value, const char **vals)
{
    size_t cap = strlen(value) + 64, len = 0;
    char *out = xmalloc(cap);
    const char *p = value;
    for (const char *s; (s = strstr(p, "${")) != NULL;) {
        const char *close = strchr(s, '}');
        const char *nb = s + 2;
        while (isspace((unsigned char)*nb))
            nb++;
        const char *ne = nb;
        while (is_name_char((unsigned char)*ne))
            ne++;
        const char *v = "";
        for (size_t i = 0; i < sc->nsweeps; i++)
            if (strlen(sc->sweeps[i].name) == (size_t)(ne - nb) &&
                strncmp(sc->sweeps[i].name, nb, (size_t)(ne - nb)) == 0)
                v = vals[i];
        size_t need = len + (size_t)(s - p) + strlen(v) + strlen(close) + 1;
        xgrow(&out, &cap, need, 1);
        memcpy(out + len, p, (size_t)(s - p));
        len += (size_t)(s - p);
        memcpy(out + len, v, strlen(v));
        len += strlen(v);
        p = close + 1;
    }
    xgrow(&out, &cap, len + strlen(p) + 1, 1);
    memcpy(out + len, p, strlen(p) + 1);
    return out;
}

const char *scenario_sweep_value(const struct scenario *sc, size_t point, size_t i)
{
    size_t rest = point;
    for (size_t j = sc->nsweeps; j-- > i + 1;)
        rest /= sc->sweeps[j].nvalues;
    return sc->sweeps[i].values[rest % sc->sweeps[i].nvalues];
}

bool scenario_sweep_is_duration(const struct scenario *sc, size_t i)
{
    const struct sc_sweep *w = &sc->sweeps[i];
    bool unit = false;
    for (size_t k = 0; k < w->nvalues; k++) {
        int64_t ns;
        const char *why;
        if (units_parse_duration(w->values[k], &ns, &why) < 0)
            return false;
        if (ns != 0 || strpbrk(w->values[k], "numsh") != NULL)
            unit = true;
    }
    return unit;
}

double scenario_sweep_ms(const struct scenario *sc, size_t point, size_t i)
{
    int64_t ns = 0;
    const char *why;
    if (units_parse_duration(scenario_sweep_value(sc, point, i), &ns, &why) < 0)
        return (double)NAN;
    return units_ns_to_ms(ns);
}

struct sc_point *scenario_point(const struct scenario *sc, size_t index)
{
    struct sc_point *pt = xcalloc(1, sizeof *pt);
    pt->index = index;
    pt->values = xcalloc(sc->nsweeps + 1, sizeof *pt->values);
    size_t rest = index;
    for (size_t i = sc->nsweeps; i-- > 0;) {
        const struct sc_sweep *w = &sc->sweeps[i];
        pt->values[i] = w->values[rest % w->nvalues];
        rest /= w->nvalues;
    }
    pt->nsections = sc->nsections;
    pt->sections = xcalloc(sc->nsections + 1, sizeof *pt->sections);
    for (size_t i = 0; i < sc->nsections; i++) {
        const struct sc_section *s = &sc->sections[i];
        struct sc_section *t = &pt->sections[i];
        t->kind = xstrdup(s->kind);
        t->name = xstrdup(s->name);
        t->loc = s->loc;
        t->nentries = s->nentries;
        t->entries = xcalloc(s->nentries + 1, sizeof *t->entries);
        for (size_t j = 0; j < s->nentries; j++) {
            t->entries[j] = s->entries[j];
            t->entries[j].key = xstrdup(s->entries[j].key);
            t->entries[j].value = substitute(sc, s->entries[j].value, pt->values);
        }
    }
    return pt;
}

void scenario_point_free(struct sc_point *p)
{
    if (!p)
        return;
    free_sections(p->sections, p->nsections);
    free(p->values);
    free(p);
}
