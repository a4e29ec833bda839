/* arrival trace: replays the requests of a CSV file,
 *
 *   trace(file=requests.csv)
 *
 * one request per line: `time, key, op` or just `time`. time is a duration
 * from the start of the run ("1.5s", "250ms"; a bare number is seconds) and
 * must not decrease from line to line; key is an unsigned 64-bit integer; op
 * is read|write, r|w or 0|1. '#' starts a comment; blank lines and one header
 * line (a first field starting with a letter) are skipped; columns after the
 * third are ignored. Every data line must have the same columns as the
 * first. With three columns each arrival carries its key and op
 * (a->has_item); with one the client picks them. After the last line the
 * process ends (INT64_MAX). A relative path is taken from the directory of
 * the scenario file, as for empirical distributions (sim/dist.c).
 *
 * The whole file is read at set-up, so every bad line is reported with its
 * file:line before the run starts. Cost: 17 bytes per line in memory (per
 * run), O(1) per arrival. a->rate_per_s is the trace's mean rate over
 * [0, last time]. */
#include "models/arrival/arrival.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

#define TRACE_MAX_ERRORS 10 /* bad lines reported before giving up */
#define TRACE_MAX_FIELD 64  /* longest time field, with the unit appended */
#define TRACE_COLS 3

struct trace {
    size_t n;                       /* requests loaded */
    size_t next;                    /* index of the request next_gap returns next */
    size_t cap_at, cap_key, cap_op; /* allocated lengths of the arrays */
    int64_t *at_ns;                 /* non-decreasing */
    uint64_t *key;                  /* NULL when the file has only times */
    uint8_t *op;                    /* 0 read, 1 write; NULL with key */
};

/* What one pass over the file needs besides the trace. */
struct trace_reader {
    const char *path; /* as opened, for messages */
    struct loc loc;   /* the file= argument */
    struct diag *d;
    size_t ncols; /* columns of the first data line: 1 or 3; 0 before it */
    size_t nbad;
};

static const struct param_spec trace_params[] = {
    {"file", "path", NULL,
     "CSV of time, key, op (or time only), relative to the scenario's "
     "directory; time in s "
     "unless it has a unit, op read|write, r|w or 0|1"},
    {NULL, NULL, NULL, NULL},
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Cuts line (comment and newline removed) into at most max trimmed fields;
 * returns how many there are (1 for an empty line, whose field is ""). */
static size_t split_fields(char *line, char **field, size_t max)
{
    size_t n = 0;
    line[strcspn(line, "#\r\n")] = '\0';
    for (char *p = line; n < max; n++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        field[n] = trim(p);
        if (!comma) {
            n++;
            break;
        }
        p = comma + 1;
    }
    return n;
}

static int parse_time(const char *tok, int64_t *out_ns, const char **why)
{
    char buf[TRACE_MAX_FIELD + 2];
    size_t n = strlen(tok);
    if (n > TRACE_MAX_FIELD) {
        *why = "value too long";
        return -1;
    }
    /* A field ending in a digit or '.' is a bare number of seconds. */
    bool bare = n > 0 && (tok[n - 1] == '.' || (tok[n - 1] >= '0' && tok[n - 1] <= '9'));
    snprintf(buf, sizeof buf, "%s%s", tok, bare ? "s" : "");
    return units_parse_duration(buf, out_ns, why);
}

static int parse_key(const char *tok, uint64_t *out)
{
    char *end;
    if (*tok < '0' || *tok > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(tok, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_op(const char *tok, uint8_t *out)
{
    static const char *const reads[] = {"read", "r", "0", "READ", "R", NULL};
    static const char *const writes[] = {"write", "w", "1", "WRITE", "W", NULL};
    for (size_t i = 0; reads[i]; i++) {
        if (strcmp(tok, reads[i]) == 0) {
            *out = 0;
            return 0;
        }
        if (strcmp(tok, writes[i]) == 0) {
            *out = 1;
            return 0;
        }
    }
    return -1;
}

/* Reports a bad line as "path:line: message" at the file= argument. */
__attribute__((format(printf, 3, 4))) static int bad_line(struct trace_reader *rd, size_t lineno,
                                                          const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rd->nbad++;
    return diag_error(rd->d, rd->loc, "%s:%zu: %s", rd->path, lineno, msg);
}

/* Appends one request to t (keys and ops only for three-column files). */
static void append(struct trace *t, int64_t at_ns, uint64_t key, uint8_t op, bool with_item)
{
    xgrow(&t->at_ns, &t->cap_at, t->n + 1, sizeof *t->at_ns);
    if (with_item) {
        xgrow(&t->key, &t->cap_key, t->n + 1, sizeof *t->key);
        xgrow(&t->op, &t->cap_op, t->n + 1, sizeof *t->op);
        t->key[t->n] = key;
        t->op[t->n] = op;
    }
    t->at_ns[t->n++] = at_ns;
}

/* Checks the fields of one data line and appends it to t. */
static int add_line(struct trace *t, struct trace_reader *rd, char **f, size_t nf, size_t lineno)
{
    int64_t at_ns;
    const char *why;
    uint64_t key = 0;
    uint8_t op = 0;
    if (rd->ncols == 0)
        rd->ncols = nf >= TRACE_COLS ? TRACE_COLS : nf;
    if (rd->ncols == 2 || nf < rd->ncols)
        return bad_line(rd, lineno, "expected time, key, op (or time only), got %s",
                        nf == 1 ? "one column" : "two columns");
    if (parse_time(f[0], &at_ns, &why) < 0)
        return bad_line(rd, lineno, "bad time '%s': %s", f[0], why);
    if (t->n > 0 && at_ns < t->at_ns[t->n - 1])
        return bad_line(rd, lineno,
                        "time %.9gs is before the previous line's %.9gs (times "
                        "must not decrease)",
                        units_ns_to_s(at_ns), units_ns_to_s(t->at_ns[t->n - 1]));
    bool with_item = rd->ncols == TRACE_COLS;
    if (with_item && parse_key(f[1], &key) < 0)
        return bad_line(rd, lineno, "bad key '%s': expected an integer from 0 to 2^64-1", f[1]);
    if (with_item && parse_op(f[2], &op) < 0)
        return bad_line(rd, lineno, "bad op '%s': expected read, write, r, w, 0 or 1", f[2]);
    append(t, at_ns, key, op, with_item);
    return 0;
}

/* Reads every line of f into t, reporting bad lines (at most
 * TRACE_MAX_ERRORS). Returns 0 or -1. */
static int read_lines(struct trace *t, struct trace_reader *rd, FILE *f)
{
    char *line = NULL, *field[TRACE_COLS + 1];
    size_t linecap = 0, lineno = 0;
    bool seen_data = false;
    int rc = 0;
    while (getline(&line, &linecap, f) >= 0 && rd->nbad < TRACE_MAX_ERRORS) {
        size_t nf = split_fields(line, field, TRACE_COLS + 1);
        lineno++;
        if (nf == 1 && !*field[0])
            continue;
        char c = field[0][0];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '"';
        if (!seen_data && letter) {
            seen_data = true; /* the header */
            continue;
        }
        seen_data = true;
        if (add_line(t, rd, field, nf, lineno) < 0)
            rc = -1;
    }
    free(line);
    return rc;
}

static void trace_free(struct trace *t)
{
    if (!t)
        return;
    free(t->at_ns);
    free(t->key);
    free(t->op);
    free(t);
}

static int trace_init(struct arrival *a, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *file = spec_value(sp, trace_params, "file", &loc);
    char *path = diag_path_near(file, loc);
    FILE *f = fopen(path, "r");
    int rc = 0;
    if (!f) {
        char err[128];
        if (strerror_r(errno, err, sizeof err) != 0)
            snprintf(err, sizeof err, "error %d", errno);
        rc = diag_noinput(d, loc, "cannot open '%s': %s", path, err);
        goto out_path;
    }
    struct trace *t = xcalloc(1, sizeof *t);
    struct trace_reader rd = {path, loc, d, 0, 0};
    rc = read_lines(t, &rd, f);
    if (ferror(f))
        rc = diag_error(d, loc, "error reading '%s'", path);
    else if (rc == 0 && t->n == 0)
        rc = diag_error(d, loc, "'%s' contains no requests", path);
    if (rc < 0) {
        trace_free(t);
        goto out_close;
    }
    a->state = t;
    double last_s = units_ns_to_s(t->at_ns[t->n - 1]);
    a->rate_per_s = last_s > 0.0 ? (double)t->n / last_s : (double)t->n;
out_close:
    fclose(f);
out_path:
    free(path);
    return rc;
}

static int64_t trace_gap(struct arrival *a, int64_t now_ns, struct rng *r)
{
    (void)r;
    struct trace *t = a->state;
    if (t->next >= t->n) {
        a->has_item = false;
        return INT64_MAX;
    }
    size_t i = t->next++;
    a->has_item = t->key != NULL;
    if (a->has_item) {
        a->item_key = t->key[i];
        a->item_op = t->op[i];
    }
    return t->at_ns[i] > now_ns ? t->at_ns[i] - now_ns : 0;
}

static void trace_fini(struct arrival *a)
{
    trace_free(a->state);
}

const struct arrival_policy arrival_trace = {
    .head.name = "trace",
    .head.summary = "replays a CSV of time, key, op (or time only); ends after the "
               "last line",
    .head.params = trace_params,
    .init = trace_init,
    .next_gap = trace_gap,
    .gives_items = true,
    .fini = trace_fini,
};
