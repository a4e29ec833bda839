/* trace: trace.json from the runs' sampled spans (sim/trace.h).
 *
 * Only the first replication of each sweep point is traced (the runner
 * turns tracing off for the others), so the file holds one process per
 * sweep point: pid = the point's number, named "point N: its sweep values".
 * In it, a thread (tid) per component replica that a sampled request
 * visited, named "component" or "component[replica]", numbered in the order
 * the run first used them.
 *
 * Events, one per line:
 *   "X" complete events for spans: ts and dur in microseconds, written from
 *     the integer nanoseconds with three decimals (exact); args: req (the
 *     request's id), span and parent (ids unique within a point; parent 0:
 *     a request's top span), late: 1 when the span ended after its request
 *     or its parent did, or after the request (or the call it belongs to)
 *     was given up (a losing hedge, a timed-out attempt or call, a message
 *     processed after its publish was acked): it may end after its parent;
 *     a request's top span also has status and latency_us (the client's
 *     latency); a message's delivery to a consumers group has cat
 *     "delivery", on the track of the group's partition (it ends with its
 *     processing, before an ack_delay's ack lands); a request-response
 *     reply has cat "reply", on the reply queue's track (its partition's);
 * Spans of requests that had not ended when the run did (or whose parent
 * had not: a copy still queued), and the flows to them, are left out, and
 * so are all the spans of a request one of whose calls never ended (an
 * attempt given up and still out when the run ended, a message lost on a
 * link): the file holds whole requests only. A message a request
 * published may outlive it: its deliveries that had not ended are left
 * out, the request stays.
 *   "s" / "f" flow events from a send to the callee's hop span, and from a
 *     publish's hop at the queue (its start) to each delivery of its message
 *     (id: the point in the high 32 bits, the callee's or delivery's span in
 *     the low), "f" binding to the enclosing slice ("bp": "e"); a reply has
 *     two, named "reply": from its processing's end to its start (id: its
 *     span), and from it to the caller's track where it ends (id: its span
 *     with bit 31 set);
 *   "M" metadata events naming processes and threads. */
#include "output/trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/writers.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "sim/xalloc.h"

bool trace_any(const struct report *rp)
{
    if (rp->part) /* run --shard: part.sdsim does not hold traces, so no shard writes one */
        return false;
    for (size_t i = 0; i < rp->nruns; i++)
        if (rp->runs[i].trace)
            return true;
    return false;
}

/* A JSON string's content (names are scenario identifiers; quotes, back
 * slashes and control characters are escaped anyway). */
static void put_str(struct outfile *o, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            outfile_printf(o, "\\%c", c);
        else if (c < 0x20)
            outfile_printf(o, "\\u%04x", c);
        else
            outfile_printf(o, "%c", c);
    }
}

/* ns as microseconds, exactly: 1234567 -> 1234.567 */
static void put_us(struct outfile *o, int64_t ns)
{
    const char *sign = ns < 0 ? "-" : "";
    uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    outfile_printf(o, "%s%" PRIu64 ".%03" PRIu64, sign, a / 1000, a % 1000);
}

static const char *const status_names[] = {"ok", "rejected", "error", "timeout"};

static const char *span_name(const struct trace_result *t, const struct trace_ev *e)
{
    switch ((enum trace_what)e->what) {
    case TRACE_REQUEST:
        return "request";
    case TRACE_HOP:
    case TRACE_DELIVERY:
    case TRACE_REPLY:
        return e->comp < t->ncomps ? t->comps[e->comp] : "?";
    case TRACE_QUEUE:
        return "queue";
    case TRACE_SERVICE:
        return "service";
    case TRACE_NETWORK:
        return "network";
    case TRACE_BACKOFF:
        return "backoff";
    default:
        return "call";
    }
}

static const char *span_cat(const struct trace_ev *e)
{
    switch ((enum trace_what)e->what) {
    case TRACE_REQUEST:
        return "request";
    case TRACE_HOP:
        return "hop";
    case TRACE_DELIVERY:
        return "delivery";
    case TRACE_REPLY:
        return "reply";
    case TRACE_NETWORK:
        return "network";
    case TRACE_BACKOFF:
        return "backoff";
    default:
        return "station";
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void write_run(struct outfile *o, const struct report *rp, const struct run_result *r,
                      bool *first)
{
    const struct trace_result *t = r->trace;
    size_t pid = r->point;
    char *label = wr_point_label(rp->sc, r->point);
    outfile_printf(o, "%s\n{\"ph\":\"M\",\"pid\":%zu,\"tid\":0,\"name\":\"process_name\","
                      "\"args\":{\"name\":\"point %zu",
                   *first ? "" : ",", pid, pid);
    *first = false;
    if (label[0]) {
        outfile_printf(o, ": ");
        put_str(o, label);
    }
    free(label);
    outfile_printf(o, "\"}}");
    outfile_printf(o, ",\n{\"ph\":\"M\",\"pid\":%zu,\"tid\":0,\"name\":\"process_sort_index\","
                      "\"args\":{\"sort_index\":%zu}}",
                   pid, pid);
    for (size_t i = 0; i < t->ntracks; i++) {
        outfile_printf(o, ",\n{\"ph\":\"M\",\"pid\":%zu,\"tid\":%zu,\"name\":\"thread_name\","
                          "\"args\":{\"name\":\"",
                       pid, i);
        put_str(o, t->tracks[i]);
        outfile_printf(o, "\"}}");
        outfile_printf(o, ",\n{\"ph\":\"M\",\"pid\":%zu,\"tid\":%zu,\"name\":\"thread_sort_index\","
                          "\"args\":{\"sort_index\":%zu}}",
                       pid, i, i);
    }
    /* Which spans are written, and when their request ended: a span's id is
     * always above its parent's, so one pass up the ids settles both. */
    uint32_t maxid = 0;
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].span > maxid)
            maxid = t->ev[i].span;
    uint32_t *parent = xcalloc((size_t)maxid + 1, sizeof *parent);
    int64_t *end = xcalloc((size_t)maxid + 1, sizeof *end);
    int64_t *req_end = xcalloc((size_t)maxid + 1, sizeof *req_end);
    bool *is_span = xcalloc((size_t)maxid + 1, sizeof *is_span);
    bool *is_delivery = xcalloc((size_t)maxid + 1, sizeof *is_delivery);
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (e->what == TRACE_FLOW_OUT || e->what == TRACE_FLOW_IN)
            continue;
        is_span[e->span] = true;
        is_delivery[e->span] = e->what == TRACE_DELIVERY;
        parent[e->span] = e->parent;
        end[e->span] = e->ts_ns + e->dur_ns;
    }
    for (uint32_t s = 1; s <= maxid; s++) /* INT64_MIN: not written */
        req_end[s] = !is_span[s]       ? INT64_MIN
                     : parent[s] == 0  ? end[s]
                     : parent[s] < s   ? req_end[parent[s]]
                                       : INT64_MIN;
    /* A request one of whose calls never reached its callee's end (an
     * attempt given up whose reply had not come when the run ended, a
     * message a link fault lost) is not whole: its spans are left out. */
    uint64_t *cut = NULL;
    size_t ncut = 0, cutcap = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (e->what == TRACE_FLOW_OUT && !is_span[e->span]) {
            if (ncut == cutcap) {
                cutcap = cutcap ? 2 * cutcap : 64;
                cut = xrealloc(cut, cutcap * sizeof *cut);
            }
            cut[ncut++] = e->req;
        }
    }
    if (ncut > 1)
        qsort(cut, ncut, sizeof *cut, cmp_u64);
    uint64_t flow_base = (uint64_t)pid << 32;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_ev *e = &t->ev[i];
        if (req_end[e->span] == INT64_MIN ||
            (ncut && bsearch(&e->req, cut, ncut, sizeof *cut, cmp_u64)))
            continue;
        if (e->what == TRACE_FLOW_OUT || e->what == TRACE_FLOW_IN) {
            outfile_printf(o, ",\n{\"ph\":\"%s\",\"pid\":%zu,\"tid\":%" PRIu32 ",\"ts\":",
                           e->what == TRACE_FLOW_OUT ? "s" : "f", pid, e->tid);
            put_us(o, e->ts_ns);
            uint64_t id = flow_base | e->span;
            if (e->status == TRACE_FLOW_TO_CALLER) /* the reply's second flow */
                id |= UINT64_C(1) << 31;
            outfile_printf(o, ",\"name\":\"%s\",\"cat\":\"flow\",\"id\":%" PRIu64 "%s}",
                           e->status != TRACE_FLOW_CALL ? "reply"
                           : is_delivery[e->span]       ? "message"
                                                        : "call",
                           id, e->what == TRACE_FLOW_IN ? ",\"bp\":\"e\"" : "");
            continue;
        }
        outfile_printf(o, ",\n{\"ph\":\"X\",\"pid\":%zu,\"tid\":%" PRIu32 ",\"ts\":", pid, e->tid);
        put_us(o, e->ts_ns);
        outfile_printf(o, ",\"dur\":");
        put_us(o, e->dur_ns);
        outfile_printf(o, ",\"name\":\"");
        put_str(o, span_name(t, e));
        outfile_printf(o, "\",\"cat\":\"%s\",\"args\":{\"req\":%" PRIu64 ",\"span\":%" PRIu32
                          ",\"parent\":%" PRIu32,
                       span_cat(e), e->req, e->span, e->parent);
        if (e->late || e->ts_ns + e->dur_ns > req_end[e->span] ||
            (e->parent && e->ts_ns + e->dur_ns > end[e->parent]))
            outfile_printf(o, ",\"late\":1");
        if (e->what == TRACE_REQUEST) {
            outfile_printf(o, ",\"status\":\"%s\",\"latency_us\":",
                           e->status < 4 ? status_names[e->status] : "?");
            put_us(o, e->dur_ns);
        }
        outfile_printf(o, "}}");
    }
    free(parent);
    free(end);
    free(req_end);
    free(is_span);
    free(is_delivery);
    free(cut);
}

void trace_write_json(struct outfile *o, const struct report *rp)
{
    outfile_printf(o, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"sdsim\","
                      "\"base_seed\":%llu},\"traceEvents\":[",
                   (unsigned long long)rp->base_seed);
    bool first = true;
    for (size_t i = 0; i < rp->nruns; i++)
        if (rp->runs[i].trace)
            write_run(o, rp, &rp->runs[i], &first);
    outfile_printf(o, "\n]}\n");
}

char *trace_lines(const struct report *rp)
{
    if (!trace_any(rp))
        return xstrdup("");
    size_t runs = 0, events = 0;
    uint64_t sampled = 0;
    char *out = xstrdup("");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct trace_result *t = rp->runs[i].trace;
        if (!t)
            continue;
        runs++;
        events += t->n;
        sampled += t->sampled;
        if (t->full) {
            char line[256];
            snprintf(line, sizeof line,
                     "trace: run %zu reached trace_max_events (%zu events): later spans are "
                     "missing from trace.json\n",
                     rp->runs[i].run, t->n);
            out = xrealloc(out, strlen(out) + strlen(line) + 1);
            strcat(out, line);
        }
    }
    if (runs == 0)
        return out;
    char head[256];
    snprintf(head, sizeof head,
             "trace: trace.json holds the finished ones of %" PRIu64 " sampled requests (%zu events recorded) from %zu run%s "
             "(the first replication of each point)\n",
             sampled, events, runs, runs == 1 ? "" : "s");
    char *all = xcalloc(strlen(head) + strlen(out) + 1, 1);
    strcat(strcat(all, head), out);
    free(out);
    return all;
}
