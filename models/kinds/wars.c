/* wars: a Dynamo-style partial-quorum store of N replicas that follows the
 * WARS model of Bailis et al., "Probabilistically Bounded Staleness for
 * Practical Partial Quorums" (VLDB 2012), and probes it: each trial writes
 * a fresh key and reads it `read_after` after the write returned.
 *
 * A write goes to all N replicas; replica i applies it W[i] after it was
 * sent and its ack reaches the coordinator A[i] later; the write returns at
 * the write_quorum-th ack, i.e. at the W-th smallest W[i] + A[i]. A read is
 * sent to all N replicas; replica i answers with the version it has applied
 * when the request reaches it, R[i] after the read was sent, and the answer
 * arrives S[i] later; the read returns at the read_quorum-th answer, with
 * the newest version among the answers. It is consistent when that is the
 * newest write, i.e. when one of the R first answering replicas had W[i] <=
 * write return + t + R[i]. W, A, R, S are drawn independently for every
 * replica and message from the four delay distributions.
 *
 * With `writes = k` a trial makes k writes one after the other (each sent
 * when the previous returned) before its read; the read is then k - v
 * versions behind when it returns version v. `propagate = quorum` keeps a
 * write only at the write_quorum replicas that acked first (no anti-entropy,
 * no read repair): the setting of PBS's k-staleness, where a read sees one
 * of the last k versions with probability 1 - (C(N-W, R) / C(N, R))^k.
 *
 * Trials run one after the other on one state: the trial counter and the
 * version are part of every event's argument, so events of a finished trial
 * (answers after the quorum) find a newer counter and do nothing, and a
 * late apply of an older write never hides a newer one. Cost: 4N + 2 events a write
 * and read, 8 bytes per replica allocated at build time. Trials started before the warm-up cut are not
 * counted. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/theorycheck.h"
#include "sim/hist.h"
#include "sim/xalloc.h"

#define WARS_MAX_N 65535 /* replicas: an event's tag holds the index in 16 bits */

struct wars {
    struct component base;
    uint32_t n, r, w;            /* replicas, read quorum, write quorum */
    uint32_t writes;             /* writes per trial (k) */
    bool quorum_only;            /* propagate = quorum */
    int64_t read_after_ns;       /* t */
    int64_t gap_ns;              /* idle time between trials */
    struct dist wd, ad, rd, sd;  /* write, ack, read and response delays */
    struct rng rng;
    /* The trial in progress. */
    uint64_t trial;              /* counter; events carry its low 48 bits */
    bool counted;                /* started in the measured window */
    uint32_t version;            /* newest version written so far (1..writes) */
    uint32_t acks, answers;      /* of the current write or read */
    uint32_t newest_seen;        /* newest version among the read's answers */
    int64_t sent_ns;             /* the current write or read was sent */
    uint32_t *applied;           /* newest version applied by each replica (n) */
    uint32_t *seen;              /* version each replica read (n) */
    /* Measured counters. */
    uint64_t reads, consistent, behind_sum;
    uint64_t within_k;           /* reads that returned one of the trial's writes */
    struct hist *write_lat, *read_lat;
};

static const struct param_spec params[] = {
    {"replicas", "int", "3", "N: replicas of every key (1..65535)"},
    {"read_quorum", "int", "1", "R: a read returns at the R-th answer"},
    {"write_quorum", "int", "1", "W: a write returns at the W-th ack"},
    {"write_delay", "dist", "exp(mean=1ms)", "W[i]: until replica i applies a write"},
    {"ack_delay", "dist", "exp(mean=1ms)", "A[i]: replica i's ack back to the coordinator"},
    {"read_delay", "dist", "exp(mean=1ms)", "R[i]: a read request to replica i"},
    {"response_delay", "dist", "exp(mean=1ms)", "S[i]: replica i's answer back"},
    {"read_after", "duration", "0s", "t: the read is sent this long after the write returned"},
    {"writes", "int", "1", "k: writes per trial before the read (k-staleness)"},
    {"propagate", "all|quorum", "all",
     "all: every replica applies every write; quorum: only the first W to ack keep it"},
    {"gap", "duration", "0s", "idle time between trials"},
    {NULL, NULL, NULL, NULL},
};

static struct wars *as_wars(struct component *c)
{
    return (struct wars *)c;
}

/* An event's second argument: the trial counter (low 32 bits: events of a
 * trial 2^32 trials back are long gone), the version written (16 bits, 0
 * for a read) and a replica index (16 bits). */
#define TRIAL_MASK 0xffffffffULL
_Static_assert(sizeof(uintptr_t) >= 8, "an event tag needs 64 bits");
static void *tag(const struct wars *w, uint32_t version, uint32_t i)
{
    return (void *)(uintptr_t)(((w->trial & TRIAL_MASK) << 32) | ((uint64_t)version << 16) | i);
}

/* True when the event belongs to the trial in progress; fills its replica
 * and version. */
static bool is_current(const struct wars *w, void *b, uint32_t *i, uint32_t *version)
{
    uint64_t v = (uint64_t)(uintptr_t)b;
    *i = (uint32_t)(v & 0xffff);
    *version = (uint32_t)((v >> 16) & 0xffff);
    return (v >> 32) == (w->trial & TRIAL_MASK);
}

static void start_trial(struct sim *sim, void *a, void *b);
static void send_write(struct sim *sim, struct wars *w);

static void on_apply(struct sim *sim, void *a, void *b)
{
    (void)sim;
    struct wars *w = a;
    uint32_t i, v;
    if (is_current(w, b, &i, &v) && !w->quorum_only && v > w->applied[i])
        w->applied[i] = v;
}

static void on_read_answer(struct sim *sim, void *a, void *b)
{
    struct wars *w = a;
    uint32_t i, v;
    if (!is_current(w, b, &i, &v) || w->answers >= w->r)
        return;
    if (w->seen[i] > w->newest_seen)
        w->newest_seen = w->seen[i];
    if (++w->answers < w->r)
        return;
    if (w->counted) {
        w->reads++;
        w->consistent += w->newest_seen == w->version;
        w->within_k += w->newest_seen > 0;
        w->behind_sum += w->version - w->newest_seen;
        hist_add(w->read_lat, sim_now(sim) - w->sent_ns);
    }
    w->trial++;
    sim_after(sim, w->gap_ns, start_trial, w, NULL);
}

static void on_read_arrive(struct sim *sim, void *a, void *b)
{
    struct wars *w = a;
    uint32_t i, v;
    if (!is_current(w, b, &i, &v))
        return;
    w->seen[i] = w->applied[i];
    sim_after(sim, dist_sample_ns(&w->sd, &w->rng), on_read_answer, w, b);
}

static void send_read(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct wars *w = a;
    w->answers = 0;
    w->newest_seen = 0;
    w->sent_ns = sim_now(sim);
    for (uint32_t i = 0; i < w->n; i++)
        sim_after(sim, dist_sample_ns(&w->rd, &w->rng), on_read_arrive, w, tag(w, 0, i));
}

static void on_ack(struct sim *sim, void *a, void *b)
{
    struct wars *w = a;
    uint32_t i, v;
    if (!is_current(w, b, &i, &v) || v != w->version || w->acks >= w->w)
        return; /* an earlier write's ack, or one after the quorum */
    if (w->quorum_only)
        w->applied[i] = v;
    if (++w->acks < w->w)
        return;
    if (w->counted)
        hist_add(w->write_lat, sim_now(sim) - w->sent_ns);
    if (w->version < w->writes) {
        send_write(sim, w);
        return;
    }
    sim_after(sim, w->read_after_ns, send_read, w, NULL);
}

/* Draws W[i] and A[i] for every replica: apply at W[i], ack at W[i] + A[i].
 * In quorum mode a replica keeps the write only if its ack is among the
 * first W, so the apply happens with the ack (the read comes later). */
static void send_write(struct sim *sim, struct wars *w)
{
    w->version++;
    w->acks = 0;
    w->sent_ns = sim_now(sim);
    for (uint32_t i = 0; i < w->n; i++) {
        int64_t wi = dist_sample_ns(&w->wd, &w->rng);
        int64_t ai = dist_sample_ns(&w->ad, &w->rng);
        sim_after(sim, wi, on_apply, w, tag(w, w->version, i));
        sim_after(sim, wi + ai, on_ack, w, tag(w, w->version, i));
    }
}

static void start_trial(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct wars *w = a;
    w->counted = sim->measuring;
    w->version = 0;
    memset(w->applied, 0, w->n * sizeof *w->applied);
    memset(w->seen, 0, w->n * sizeof *w->seen);
    send_write(sim, w);
}

static void start(struct sim *sim, struct component *c)
{
    sim_after(sim, 0, start_trial, as_wars(c), NULL);
}

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct wars *w = as_wars(c);
    w->reads = w->consistent = w->behind_sum = w->within_k = 0;
    hist_reset(w->write_lat);
    hist_reset(w->read_lat);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
    assert(0 && "a wars component takes no requests");
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    (void)end_ns;
    const struct wars *w = (const struct wars *)c;
    double reads = w->reads ? (double)w->reads : 1;
    const struct metric_out m[] = {
        {"trials", (double)w->reads, true},
        {"p_consistent", (double)w->consistent / reads, true},
        {"p_within_k", (double)w->within_k / reads, true},
        {"versions_behind_mean", (double)w->behind_sum / reads, true},
        {"write_mean_ms", hist_mean(w->write_lat) / 1e6, true},
        {"write_p50_ms", ms(hist_quantile(w->write_lat, 0.5)), true},
        {"write_p99_ms", ms(hist_quantile(w->write_lat, 0.99)), true},
        {"write_p999_ms", ms(hist_quantile(w->write_lat, 0.999)), true},
        {"read_mean_ms", hist_mean(w->read_lat) / 1e6, true},
        {"read_p50_ms", ms(hist_quantile(w->read_lat, 0.5)), true},
        {"read_p99_ms", ms(hist_quantile(w->read_lat, 0.99)), true},
        {"read_p999_ms", ms(hist_quantile(w->read_lat, 0.999)), true},
    };
    size_t n = sizeof m / sizeof m[0];
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    return n;
}

static int read_delay(const struct sc_section *s, const char *key, struct dist *out,
                      struct diag *d)
{
    bool present;
    return kp_dist(s, params, key, DIST_DURATION, out, &present, d);
}

static int read_counts(struct wars *w, const struct sc_section *s, struct diag *d)
{
    long long n = 3, r = 1, wq = 1, k = 1;
    int rc = 0;
    if (kp_int(s, params, "replicas", 1, WARS_MAX_N, &n, d) < 0)
        rc = -1, n = 3;
    if (kp_int(s, params, "read_quorum", 1, n, &r, d) < 0)
        rc = -1;
    if (kp_int(s, params, "write_quorum", 1, n, &wq, d) < 0)
        rc = -1;
    if (kp_int(s, params, "writes", 1, 65535, &k, d) < 0)
        rc = -1;
    w->n = (uint32_t)n;
    w->r = (uint32_t)r;
    w->w = (uint32_t)wq;
    w->writes = (uint32_t)k;
    return rc;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct wars *w = as_wars(c);
    int rc = read_counts(w, s, d);
    w->applied = xcalloc(w->n, sizeof *w->applied);
    w->seen = xcalloc(w->n, sizeof *w->seen);
    if (read_delay(s, "write_delay", &w->wd, d) < 0 || read_delay(s, "ack_delay", &w->ad, d) < 0 ||
        read_delay(s, "read_delay", &w->rd, d) < 0 ||
        read_delay(s, "response_delay", &w->sd, d) < 0)
        rc = -1;
    if (kp_duration(s, params, "read_after", &w->read_after_ns, d) < 0)
        rc = -1;
    if (kp_duration(s, params, "gap", &w->gap_ns, d) < 0)
        rc = -1;
    struct loc loc;
    const char *p = kp_raw(s, params, "propagate", &loc);
    if (strcmp(p, "quorum") == 0)
        w->quorum_only = true;
    else if (strcmp(p, "all") != 0)
        rc = diag_error(d, loc, "bad propagate '%s': all or quorum", p);
    rng_stream(&w->rng, sim->seed, c->name, "wars");
    w->write_lat = hist_new();
    w->read_lat = hist_new();
    return rc;
}

static void fini(struct component *c)
{
    struct wars *w = as_wars(c);
    hist_free(w->write_lat);
    hist_free(w->read_lat);
    free(w->applied);
    free(w->seen);
    dist_fini(&w->wd);
    dist_fini(&w->ad);
    dist_fini(&w->rd);
    dist_fini(&w->sd);
}

/* Theory (models/theorycheck.h): the model's parameters, as built. */
static bool theory_wars(const struct component *c, struct theory_wars *out)
{
    const struct wars *w = (const struct wars *)c;
    *out = (struct theory_wars){.n = w->n,
                                .r = w->r,
                                .w = w->w,
                                .writes = w->writes,
                                .quorum_only = w->quorum_only,
                                .read_after_ms = (double)w->read_after_ns / 1e6};
    const struct dist *d[4] = {&w->wd, &w->ad, &w->rd, &w->sd};
    for (size_t i = 0; i < 4; i++) {
        out->mean_ms[i] = d[i]->mean / 1e6;
        out->exponential[i] = d[i]->kind == DIST_EXP;
    }
    return true;
}

const struct kind kind_wars = {
    .name = "wars",
    .summary = "a partial-quorum store of N replicas under the WARS model (Bailis et al., "
               "PBS): writes a key, reads it t later, reports P(consistent read) and latencies",
    .params = params,
    .size = sizeof(struct wars),
    .build = build,
    .start = start,
    .on_request = on_request,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .theory_wars = theory_wars,
    .no_traffic = true,
    .self_driven = true,
    .build_stage = 1,
};
