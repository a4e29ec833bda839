/* trace_check: checks a trace.json written by [sim] trace (output/trace.c).
 * Standalone (libc only): `make tests/trace_check`; tests/e2e.sh runs it.
 *
 *   tests/trace_check [--all-add-up] [--min-tiled N] [--min-late N] [--min-backoff N]
 *                     [--min-deliveries N] [--min-redeliveries N] [--min-replies N] FILE
 *
 * It parses the whole file as JSON (any malformed byte fails), then checks
 * the trace events:
 *   - every event has ph, pid and tid; every one but "M" has ts; "X" has
 *     dur >= 0, args.req and args.span, unique per pid;
 *   - every span but a request's top span (name "request", parent 0) has its
 *     parent in the file, of the same request, and nests in it: it starts
 *     at or after the parent and ends at or before it, unless args.late says
 *     the request had been given up when it ended (then only the start);
 *   - a top span's dur equals its args.latency_us (the client's latency);
 *   - a hop with "queue" and "service" children: they add up to the hop;
 *   - a request's direct children (network, hops, backoff: its attempts)
 *     add up to its latency, exactly: sorted by start, the first starts with
 *     the request, each starts where the one before ended and the last ends
 *     with the request. Requests whose children overlap (a hedge, a copy
 *     given up) are counted apart, not checked;
 *   - every flow end "f" has its start "s" (same id), not later, and every
 *     start its end;
 *   - every delivery of a message (cat "delivery") is the end of a flow:
 *     an "f" at its start, on its track, whose "s" is on its parent's
 *     track (the publish's hop at the queue), inside the parent, not after
 *     the delivery; the delivery is on a track of its own (not its
 *     publish's). Deliveries of one publish on one track beyond the first
 *     are redeliveries;
 *   - every reply of a request-response exchange (cat "reply", on the reply
 *     queue's track, its parent the publish's hop at the request queue) is
 *     the end of a flow, an "f" at its start on its track, whose "s" is in a
 *     delivery of the same publish (on that delivery's track, not after the
 *     reply starts); and the start of a flow (its id with bit 31 set) from
 *     its track, inside it, whose "f" is on the caller's track (the track of
 *     the publish's parent) where the reply ends.
 * Times are compared in integer nanoseconds (the file has microseconds with
 * three decimals). Prints a summary line; exits 1 on the first failure, or
 * when fewer than N requests tiled (--min-tiled), spans are late
 * (--min-late), backoff spans (--min-backoff), deliveries
 * (--min-deliveries), redeliveries (--min-redeliveries) or replies
 * (--min-replies) are present; with
 * --all-add-up, when some request's spans do not add up (or overlap). */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *src, *p, *file;

__attribute__((format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "trace_check: %s: ", file);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void ws(void)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
}

static void expect(char c)
{
    ws();
    if (*p != c)
        fail("offset %ld: expected '%c'", (long)(p - src), c);
    p++;
}

/* A string: returns its text (escapes kept as written) in buf. */
static void string(char *buf, size_t size)
{
    expect('"');
    size_t n = 0;
    while (*p != '"') {
        if (*p == '\0' || (unsigned char)*p < 0x20)
            fail("offset %ld: unterminated string", (long)(p - src));
        if (*p == '\\') {
            if (!strchr("\"\\/bfnrtu", p[1]))
                fail("offset %ld: bad escape", (long)(p - src));
            if (n + 1 < size)
                buf[n++] = *p;
            p++;
        }
        if (n + 1 < size)
            buf[n++] = *p;
        p++;
    }
    p++;
    buf[n] = '\0';
}

/* A number, as written, in buf. */
static void number(char *buf, size_t size)
{
    ws();
    const char *s = p;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        fail("offset %ld: expected a value", (long)(p - src));
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            fail("offset %ld: bad number", (long)(p - src));
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            fail("offset %ld: bad number", (long)(p - src));
        while (isdigit((unsigned char)*p))
            p++;
    }
    snprintf(buf, size, "%.*s", (int)(p - s), s);
}

static void value(char *buf, size_t size);

static void skip_value(void)
{
    char tmp[256];
    value(tmp, sizeof tmp);
}

/* Any value; a scalar's text goes to buf ("" for objects and arrays). */
static void value(char *buf, size_t size)
{
    ws();
    buf[0] = '\0';
    if (*p == '"') {
        string(buf, size);
    } else if (*p == '{') {
        p++;
        ws();
        if (*p == '}') {
            p++;
            return;
        }
        for (;;) {
            char k[64];
            string(k, sizeof k);
            expect(':');
            skip_value();
            ws();
            if (*p == ',') {
                p++;
                continue;
            }
            expect('}');
            return;
        }
    } else if (*p == '[') {
        p++;
        ws();
        if (*p == ']') {
            p++;
            return;
        }
        for (;;) {
            skip_value();
            ws();
            if (*p == ',') {
                p++;
                continue;
            }
            expect(']');
            return;
        }
    } else if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) {
        snprintf(buf, size, "%.4s", p);
        p += 4;
    } else if (!strncmp(p, "false", 5)) {
        snprintf(buf, size, "false");
        p += 5;
    } else {
        number(buf, size);
    }
}

/* ---- events ---------------------------------------------------------------- */

struct ev {
    char ph;
    long long pid, tid;
    int64_t ts, dur, latency; /* ns */
    bool has_ts, has_dur, has_pid, has_tid, has_latency, late;
    unsigned long long req, span, parent, id;
    bool has_req, has_span;
    char name[256];
    char cat[32];
};

static struct ev *evs;
static size_t nev, cap;

/* "1234.567" microseconds -> 1234567 ns, exactly (at most 3 decimals). */
static int64_t us_to_ns(const char *s)
{
    bool neg = *s == '-';
    s += neg;
    char *end;
    long long whole = strtoll(s, &end, 10);
    int64_t ns = whole * 1000;
    if (*end == '.') {
        int64_t scale = 100;
        for (end++; isdigit((unsigned char)*end); end++) {
            if (scale == 0)
                fail("a time with more than 3 decimals (%s)", s);
            ns += (*end - '0') * scale;
            scale /= 10;
        }
    }
    if (*end)
        fail("a time that is not a plain decimal (%s)", s);
    return neg ? -ns : ns;
}

static void args(struct ev *e)
{
    expect('{');
    ws();
    if (*p == '}') {
        p++;
        return;
    }
    for (;;) {
        char k[64], v[256];
        string(k, sizeof k);
        expect(':');
        value(v, sizeof v);
        if (!strcmp(k, "req"))
            e->req = strtoull(v, NULL, 10), e->has_req = true;
        else if (!strcmp(k, "span"))
            e->span = strtoull(v, NULL, 10), e->has_span = true;
        else if (!strcmp(k, "parent"))
            e->parent = strtoull(v, NULL, 10);
        else if (!strcmp(k, "late"))
            e->late = strcmp(v, "0") != 0;
        else if (!strcmp(k, "latency_us"))
            e->latency = us_to_ns(v), e->has_latency = true;
        ws();
        if (*p == ',') {
            p++;
            continue;
        }
        expect('}');
        return;
    }
}

static void event(void)
{
    if (nev == cap) {
        cap = cap ? 2 * cap : 4096;
        evs = realloc(evs, cap * sizeof *evs);
        if (!evs)
            fail("out of memory");
    }
    struct ev *e = &evs[nev++];
    memset(e, 0, sizeof *e);
    expect('{');
    for (;;) {
        char k[64], v[256];
        string(k, sizeof k);
        expect(':');
        ws();
        if (!strcmp(k, "args") && *p == '{') {
            args(e);
        } else {
            value(v, sizeof v);
            if (!strcmp(k, "ph"))
                e->ph = v[0];
            else if (!strcmp(k, "pid"))
                e->pid = strtoll(v, NULL, 10), e->has_pid = true;
            else if (!strcmp(k, "tid"))
                e->tid = strtoll(v, NULL, 10), e->has_tid = true;
            else if (!strcmp(k, "ts"))
                e->ts = us_to_ns(v), e->has_ts = true;
            else if (!strcmp(k, "dur"))
                e->dur = us_to_ns(v), e->has_dur = true;
            else if (!strcmp(k, "id"))
                e->id = strtoull(v, NULL, 10);
            else if (!strcmp(k, "name"))
                snprintf(e->name, sizeof e->name, "%s", v);
            else if (!strcmp(k, "cat"))
                snprintf(e->cat, sizeof e->cat, "%.31s", v);
        }
        ws();
        if (*p == ',') {
            p++;
            continue;
        }
        expect('}');
        return;
    }
}

static void document(void)
{
    bool found = false;
    expect('{');
    for (;;) {
        char k[64];
        string(k, sizeof k);
        expect(':');
        ws();
        if (!strcmp(k, "traceEvents")) {
            found = true;
            expect('[');
            ws();
            if (*p != ']')
                for (;;) {
                    event();
                    ws();
                    if (*p == ',') {
                        p++;
                        continue;
                    }
                    break;
                }
            expect(']');
        } else {
            skip_value();
        }
        ws();
        if (*p == ',') {
            p++;
            continue;
        }
        expect('}');
        break;
    }
    ws();
    if (*p)
        fail("offset %ld: text after the document", (long)(p - src));
    if (!found)
        fail("no traceEvents");
}

/* ---- checks ---------------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
    const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->span != y->span)
        return x->span < y->span ? -1 : 1;
    return 0;
}

static struct ev **spans;
static size_t nspans;

static struct ev *find(long long pid, unsigned long long span)
{
    struct ev key = {.pid = pid, .span = span}, *k = &key;
    struct ev **f = bsearch(&k, spans, nspans, sizeof *spans, by_key);
    return f ? *f : NULL;
}

static int by_parent_ts(const void *a, const void *b)
{
    const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->span < y->span ? -1 : x->span > y->span;
}

static int by_flow(const void *a, const void *b)
{
    const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->ph == 's' ? 0 : 1) - (y->ph == 's' ? 0 : 1);
}

/* The index of the "s" of flow id (its "f" follows: paired, checked), or n. */
static size_t flow_start(struct ev **flows, size_t n, unsigned long long id)
{
    size_t a = 0, b = n;
    while (a < b) {
        size_t m = (a + b) / 2;
        if (flows[m]->id < id)
            a = m + 1;
        else
            b = m;
    }
    return a + 1 < n && flows[a]->id == id && flows[a]->ph == 's' ? a : n;
}

static int by_delivery(const void *a, const void *b)
{
    const struct ev *x = *(struct ev *const *)a, *y = *(struct ev *const *)b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    return x->span < y->span ? -1 : x->span > y->span;
}

int main(int argc, char **argv)
{
    long min_tiled = 0, min_late = 0, min_backoff = 0, min_deliveries = 0, min_redeliveries = 0,
         min_replies = 0;
    bool all_tiled = false;
    int i = 1;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--all-add-up")) {
            all_tiled = true;
            i--;
        } else if (!strcmp(argv[i], "--min-tiled"))
            min_tiled = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-late"))
            min_late = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-backoff"))
            min_backoff = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-deliveries"))
            min_deliveries = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-redeliveries"))
            min_redeliveries = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--min-replies"))
            min_replies = atol(argv[i + 1]);
        else
            break;
    }
    if (i + 1 != argc) {
        fprintf(stderr, "usage: trace_check [--all-add-up] [--min-tiled N] [--min-late N] "
                        "[--min-backoff N] [--min-deliveries N] [--min-redeliveries N] [--min-replies N] "
                        "FILE\n");
        return 2;
    }
    file = argv[i];
    FILE *f = fopen(file, "rb");
    if (!f)
        fail("cannot open");
    size_t size = 0, got;
    char *buf = NULL;
    do {
        buf = realloc(buf, size + 65536 + 1);
        if (!buf)
            fail("out of memory");
        got = fread(buf + size, 1, 65536, f);
        size += got;
    } while (got > 0);
    fclose(f);
    buf[size] = '\0';
    if (strlen(buf) != size)
        fail("a NUL byte in the file");
    src = p = buf;
    document();

    spans = malloc((nev + 1) * sizeof *spans);
    struct ev **flows = malloc((nev + 1) * sizeof *flows);
    size_t nflows = 0;
    long late = 0, backoff = 0, requests = 0;
    for (size_t k = 0; k < nev; k++) {
        struct ev *e = &evs[k];
        if (!e->ph || !e->has_pid || !e->has_tid)
            fail("event %zu lacks ph, pid or tid", k);
        if (e->ph != 'M' && !e->has_ts)
            fail("event %zu (%c) lacks ts", k, e->ph);
        if (e->ph == 's' || e->ph == 'f')
            flows[nflows++] = e;
        if (e->ph != 'X')
            continue;
        if (!e->has_dur || e->dur < 0)
            fail("span %zu: no dur, or a negative one", k);
        if (!e->has_req || !e->has_span)
            fail("span %zu: no args.req or args.span", k);
        spans[nspans++] = e;
        late += e->late;
        backoff += !strcmp(e->name, "backoff");
    }
    qsort(spans, nspans, sizeof *spans, by_key);
    for (size_t k = 1; k < nspans; k++)
        if (!by_key(&spans[k - 1], &spans[k]))
            fail("span %llu of pid %lld appears twice", spans[k]->span, spans[k]->pid);
    for (size_t k = 0; k < nspans; k++) {
        struct ev *e = spans[k];
        if (e->parent == 0) {
            if (strcmp(e->name, "request") != 0)
                fail("span %llu (%s) has no parent", e->span, e->name);
            if (!e->has_latency || e->latency != e->dur)
                fail("request %llu: dur %lld ns is not its latency_us", e->req, (long long)e->dur);
            requests++;
            continue;
        }
        struct ev *q = find(e->pid, e->parent);
        if (!q)
            fail("span %llu (%s, request %llu): parent %llu is not in the file", e->span,
                 e->name, e->req, e->parent);
        if (q->req != e->req)
            fail("span %llu: request %llu, its parent's %llu", e->span, e->req, q->req);
        if (e->ts < q->ts)
            fail("span %llu (%s, request %llu) starts before its parent %llu (%s)", e->span,
                 e->name, e->req, q->span, q->name);
        if (!e->late && e->ts + e->dur > q->ts + q->dur)
            fail("span %llu (%s, request %llu) ends %lld ns after its parent %llu (%s)", e->span,
                 e->name, e->req, (long long)(e->ts + e->dur - q->ts - q->dur), q->span, q->name);
    }
    /* children grouped by parent, in time order */
    struct ev **kids = malloc((nspans + 1) * sizeof *kids);
    memcpy(kids, spans, nspans * sizeof *kids);
    qsort(kids, nspans, sizeof *kids, by_parent_ts);
    long tiled = 0, overlapping = 0, hops = 0;
    for (size_t a = 0, b; a < nspans; a = b) {
        for (b = a + 1; b < nspans && kids[b]->pid == kids[a]->pid &&
                        kids[b]->parent == kids[a]->parent;
             b++)
            ;
        if (kids[a]->parent == 0)
            continue;
        struct ev *q = find(kids[a]->pid, kids[a]->parent);
        if (!strcmp(q->name, "request")) {
            bool overlap = false;
            int64_t at = q->ts;
            for (size_t k = a; k < b; k++) {
                overlap |= kids[k]->late || kids[k]->ts < at;
                if (kids[k]->ts + kids[k]->dur > at)
                    at = kids[k]->ts + kids[k]->dur;
            }
            if (overlap) {
                overlapping++;
                continue;
            }
            at = q->ts;
            for (size_t k = a; k < b; k++) {
                if (kids[k]->ts != at)
                    fail("request %llu: a gap of %lld ns before its span %llu (%s)", q->req,
                         (long long)(kids[k]->ts - at), kids[k]->span, kids[k]->name);
                at = kids[k]->ts + kids[k]->dur;
            }
            if (at != q->ts + q->dur)
                fail("request %llu: its spans end %lld ns before it", q->req,
                     (long long)(q->ts + q->dur - at));
            tiled++;
        } else {
            const struct ev *qu = NULL, *sv = NULL;
            for (size_t k = a; k < b; k++) {
                if (!strcmp(kids[k]->name, "queue") && kids[k]->tid == q->tid)
                    qu = kids[k];
                if (!strcmp(kids[k]->name, "service") && kids[k]->tid == q->tid)
                    sv = kids[k];
            }
            if (qu && sv) {
                if (qu->ts != q->ts || qu->ts + qu->dur != sv->ts || sv->ts + sv->dur != q->ts + q->dur)
                    fail("hop %llu (%s, request %llu): queue and service do not add up to it",
                         q->span, q->name, q->req);
                hops++;
            }
        }
    }
    /* a request with no children at all cannot have tiled: it counts as neither */
    qsort(flows, nflows, sizeof *flows, by_flow);
    long linked = 0;
    for (size_t k = 0; k < nflows; k++) {
        if (flows[k]->ph != 'f')
            continue;
        if (k == 0 || flows[k - 1]->id != flows[k]->id || flows[k - 1]->ph != 's')
            fail("flow %llu ends without a start", flows[k]->id);
        if (flows[k - 1]->ts > flows[k]->ts)
            fail("flow %llu ends before it starts", flows[k]->id);
        linked++;
    }
    for (size_t k = 0; k < nflows; k++)
        if (flows[k]->ph == 's' && (k + 1 == nflows || flows[k + 1]->id != flows[k]->id ||
                                    flows[k + 1]->ph != 'f'))
            fail("flow %llu starts without an end", flows[k]->id);
    /* deliveries: each the end of a flow from its publish */
    long deliveries = 0, redeliveries = 0;
    struct ev **dl = malloc((nspans + 1) * sizeof *dl);
    size_t nd = 0;
    for (size_t k = 0; k < nspans; k++) {
        struct ev *e = spans[k];
        if (strcmp(e->cat, "delivery") != 0)
            continue;
        dl[nd++] = e;
        struct ev *q = find(e->pid, e->parent); /* found: checked above */
        unsigned long long want = (unsigned long long)e->pid << 32 | e->span;
        size_t a = 0, b = nflows; /* the first flow of id >= want */
        while (a < b) {
            size_t m = (a + b) / 2;
            if (flows[m]->id < want)
                a = m + 1;
            else
                b = m;
        }
        /* sorted by id, "s" before "f", and paired (checked above) */
        if (a + 1 >= nflows || flows[a]->id != want || flows[a]->ph != 's')
            fail("delivery %llu (%s, request %llu) is the end of no flow", e->span, e->name,
                 e->req);
        const struct ev *sf = flows[a], *ff = flows[a + 1];
        if (ff->pid != e->pid || ff->tid != e->tid || ff->ts != e->ts)
            fail("delivery %llu (%s, request %llu): its flow ends elsewhere than at its start",
                 e->span, e->name, e->req);
        if (e->tid == q->tid)
            fail("delivery %llu (%s, request %llu) is on its publish's track", e->span, e->name,
                 e->req);
        if (sf->pid != e->pid || sf->tid != q->tid || sf->ts < q->ts || sf->ts > q->ts + q->dur ||
            sf->ts > e->ts)
            fail("delivery %llu (%s, request %llu): its flow does not start in its publish %llu "
                 "(%s) before it",
                 e->span, e->name, e->req, q->span, q->name);
        deliveries++;
    }
    /* redeliveries: a publish's deliveries on one track beyond the first */
    qsort(dl, nd, sizeof *dl, by_delivery);
    for (size_t k = 1; k < nd; k++)
        redeliveries += dl[k]->pid == dl[k - 1]->pid && dl[k]->parent == dl[k - 1]->parent &&
                        dl[k]->tid == dl[k - 1]->tid;
    /* replies: from a delivery of their publish, on to the caller */
    long replies = 0;
    for (size_t k = 0; k < nspans; k++) {
        struct ev *e = spans[k];
        if (strcmp(e->cat, "reply") != 0)
            continue;
        struct ev *q = find(e->pid, e->parent);
        if (strcmp(q->cat, "hop") != 0 || q->tid == e->tid)
            fail("reply %llu (%s, request %llu): its parent %llu (%s) is not a publish's hop on "
                 "another track", e->span, e->name, e->req, q->span, q->name);
        unsigned long long id = (unsigned long long)e->pid << 32 | e->span;
        size_t a = flow_start(flows, nflows, id);
        if (a == nflows)
            fail("reply %llu (%s, request %llu) is the end of no flow", e->span, e->name, e->req);
        const struct ev *sf = flows[a], *ff = flows[a + 1];
        if (ff->pid != e->pid || ff->tid != e->tid || ff->ts != e->ts)
            fail("reply %llu (%s, request %llu): its flow ends elsewhere than at its start",
                 e->span, e->name, e->req);
        size_t lo = 0, hi = nd; /* dl is sorted by pid, then parent: the publish's first */
        while (lo < hi) {
            size_t m = (lo + hi) / 2;
            if (dl[m]->pid < e->pid || (dl[m]->pid == e->pid && dl[m]->parent < e->parent))
                lo = m + 1;
            else
                hi = m;
        }
        bool from_delivery = false;
        for (size_t j = lo; j < nd && dl[j]->pid == e->pid && dl[j]->parent == e->parent; j++)
            from_delivery |= dl[j]->tid == sf->tid && sf->ts >= dl[j]->ts &&
                             sf->ts <= dl[j]->ts + dl[j]->dur && sf->ts <= e->ts;
        if (!from_delivery)
            fail("reply %llu (%s, request %llu): its flow does not start in a delivery of its "
                 "publish %llu before it", e->span, e->name, e->req, q->span);
        a = flow_start(flows, nflows, id | 1ULL << 31);
        if (a == nflows)
            fail("reply %llu (%s, request %llu) starts no flow to its caller", e->span, e->name,
                 e->req);
        sf = flows[a];
        ff = flows[a + 1];
        struct ev *caller = find(q->pid, q->parent);
        if (sf->pid != e->pid || sf->tid != e->tid || sf->ts < e->ts || sf->ts > e->ts + e->dur)
            fail("reply %llu (%s, request %llu): its flow to the caller does not start in it",
                 e->span, e->name, e->req);
        if (!caller || ff->pid != e->pid || ff->tid != caller->tid || ff->ts != e->ts + e->dur)
            fail("reply %llu (%s, request %llu): its flow does not reach the caller's track "
                 "where it ends", e->span, e->name, e->req);
        replies++;
    }
    free(dl);
    printf("trace_check: %zu events, %zu spans, %ld requests: %ld add up to their latency, %ld "
           "with overlapping attempts; %ld hops = queue + service; %ld flows; %ld late spans; "
           "%ld backoff spans; %ld deliveries (%ld redeliveries); %ld replies\n",
           nev, nspans, requests, tiled, overlapping, hops, linked, late, backoff, deliveries,
           redeliveries, replies);
    if (all_tiled && tiled != requests)
        fail("--all-add-up: only %ld of %ld requests add up to their latency", tiled, requests);
    if (tiled < min_tiled || late < min_late || backoff < min_backoff ||
        deliveries < min_deliveries || redeliveries < min_redeliveries || replies < min_replies)
        fail("fewer than asked: tiled %ld < %ld, late %ld < %ld, backoff %ld < %ld, deliveries "
             "%ld < %ld, redeliveries %ld < %ld or replies %ld < %ld",
             tiled, min_tiled, late, min_late, backoff, min_backoff, deliveries, min_deliveries,
             redeliveries, min_redeliveries, replies, min_replies);
    free(kids);
    free(flows);
    free(spans);
    free(evs);
    free(buf);
    return 0;
}
