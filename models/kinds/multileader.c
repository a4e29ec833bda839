/* multileader: a multi-leader replicated store (issue 7, "Multi-leader" and
 * the catalogue's "Master-Master Replication"). `leaders` nodes all accept
 * writes; each commits a write locally after `write_time` and ships it to
 * every other node, where it arrives `replication_delay` later. Concurrent
 * writes to one key conflict; `conflict` resolves them:
 *   lww       last writer wins: every node keeps the write with the highest
 *             (timestamp, origin) it has received. The timestamp is the
 *             origin's clock: sim time + the node's `skew`.
 *   siblings  every node keeps all concurrent writes (the antichain); a read
 *             returns them all and the next write from a node supersedes
 *             the siblings that node holds (the client merged them).
 * `exchange = async` acknowledges a write at its local commit; `sync_all`
 * (the catalogue's sketch) only when every other node has applied it, and
 * fails it as soon as one of them is down (or its origin crashes) - the
 * write stays committed where it got to (partial_writes).
 *
 * Causality is exact, by dotted version vectors (Preguica et al., "Dotted
 * Version Vectors", 2010; Riak's DVV sets). A write has a dot (origin,
 * counter), the counter counting the origin's writes to the key, and a
 * context: the version vector of the key at its origin when it was
 * written, which it supersedes. The writes of a key are also numbered 1, 2,
 * ... in commit order over all nodes (g), and every vector here is kept as
 * the set of writes it covers (models/kinds/writeset.h: all writes up to a
 * watermark, and the members above it), which is the same thing: a vector's
 * sets are closed per origin under earlier writes, the join of vectors is
 * the union of sets, the sum of the counters is the set's size. Per key,
 * each node keeps
 *   cv       writes covered: received, or superseded by a write received
 *            (the union of the contexts of every write received)
 *   recv     lww: writes received (per origin a prefix, since links are
 *            FIFO)
 *   sib      siblings: the antichain, by origin (o's writes are ordered, so
 *            it has one per origin at most and the set needs no cap)
 *   winner   lww: (timestamp, origin, counter) of the best write received
 *   own      writes it committed itself (the next one's counter).
 * Links are FIFO: a message never overtakes an earlier one on the same link
 * (origin -> node); they do not preserve causality across links, which the
 * vectors handle. Every node receives every write exactly once, so lww
 * converges to the highest (timestamp, origin) and siblings to the same
 * antichain.
 *
 * Truth, per key: how many writes were committed (G) and when each one
 * still in flight was. A read at X is stale if X lacks a committed write
 * (lww: recv; siblings: cv, since a superseded write is no longer part of
 * the answer); versions behind is how many (G minus the size of the set),
 * time behind is now minus the commit of the newest one missing. The truth also keeps the
 * key's global lww winner: a write that stops being (or never becomes) the
 * winner, beaten by a write whose context does not cover it, is a lost
 * update if it was acknowledged (each write is judged once, when it loses,
 * since the winner only grows). A sync_all write still waiting for its
 * acks is marked and counted if its success is acknowledged later.
 *
 * Faults: `[fault]` crash of node i: requests it has not finished fail, it
 * takes no requests (random and nearest routing skip it, home fails), and
 * writes arriving for it are held (hinted handoff) and delivered in order
 * `catchup` after it recovers; it keeps its data. It serves reads while it
 * catches up, so those may be stale.
 *
 * `[fault]` partition of node i (action = partition): i is cut off from the
 * other nodes, not from the clients. It keeps serving reads and writes
 * (that is the point of multi-leader), but every replication message
 * between it and another node that arrives while the link is cut is held
 * at its receiver (the hinted-handoff queue of a crashed node) and, when
 * the partition heals, delivered in order `catchup` later (at the heal
 * when 0); messages still in flight at the heal arrive as usual, after the
 * held ones, so links stay FIFO. A link is cut while either end is
 * partitioned (two partitioned nodes cannot talk either). A sync_all
 * write fails when one of its messages reaches a cut link (as for a down
 * node). The truth is global, so stale reads, conflicts and lost updates
 * count exactly as the partition lets the two sides drift apart.
 *
 * Other node faults (struct nodefault, per node): slow(factor=F) makes the
 * node's read_time and write_time F times longer (replication_delay is the
 * network and stays); errors(rate=P) fails that share of the reads and
 * writes it serves when their time ends, a write before its commit (it is
 * neither applied nor shipped), drawn from the node's own stream
 * ("node<i>.faults"); latency(add=D) adds D to its replies.
 *
 * A conditional write (OP_CAS) is treated as a plain write.
 *
 * Cost, with n leaders. A request's node is chosen in O(log n)
 * (models/kinds/nodeset.h). A write is n - 1 deliveries, one event each:
 * that fan-out is the model (each node applies the write at its own time,
 * and its sync_all ack counts them), not overhead. Shipping it draws n - 1
 * delays; a delivery joins the write's context into the node's cv, O(w)
 * where w is the size of the two sets above their watermarks (the writes
 * committed since the oldest one the node, or the origin at the commit,
 * lacked: the writes in flight, about write rate x replication delay, so
 * O(1) in n; while a node is down or cut off, every write made since). A
 * commit snapshots the origin's cv, O(w); a read is O(1) but the search
 * for the newest write missing, O(members above it), and O(siblings) with
 * siblings. Memory: per key and node about 130 bytes with lww, 170 with
 * siblings (a record, its hash slot, the antichain), and 8 bytes per
 * member of its sets above the watermark; per key 16 bytes per write still
 * in flight; per write in flight a pooled record of 100 + 8 x w bytes (no
 * malloc per write after warm-up); the FIFO links' clocks, n arrivals (8 x
 * n bytes) per origin with a message on its way, from a pool, not n x n
 * (less than its n - 1 events in the queue); held messages grow with the
 * writes a down node misses. Nothing is n^2: 4096
 * leaders (the most) and one key take about 5 MiB. */
#include "models/kinds/multileader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/data/keymap.h"
#include "models/kind.h"
#include "models/kinds/nodefault.h"
#include "models/kinds/nodeset.h"
#include "models/kinds/writeset.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define ML_MAX 4096 /* leaders */
#define ML_NONE UINT32_MAX
#define ML_CHUNK_BYTES 65536 /* write records are allocated this many bytes at once */
#define ML_CLASSES 32        /* write record sizes: room for 2^k members of its context */

enum ml_conflict { ML_LWW, ML_SIBLINGS };
enum ml_exchange { ML_ASYNC, ML_SYNC_ALL };
enum ml_route { ML_RANDOM, ML_NEAREST, ML_HOME };
enum { BEATEN_NOT, BEATEN_BY_LATER, BEATEN_BY_EARLIER }; /* the winner's commit, in real time */

struct mlset;

/* A committed write on its way to the other nodes, shared by its messages.
 * Its context + dot (everything it supersedes, and itself) is the set of
 * writes (low, more[0..nmore)), a copy of its origin's cv after the
 * commit. */
struct mlw {
    struct mlset *s;
    struct mlw *next_free;
    struct request *waiting; /* sync_all: the client's write until every node applied it */
    uint64_t key;
    uint64_t g;              /* its number among the key's writes */
    size_t ti;               /* its key's truth */
    int64_t ts_ns;           /* the origin's clock at the commit */
    uint32_t origin, counter;
    uint32_t refs;           /* messages not yet applied (held ones included) */
    uint32_t transit;        /* messages not yet arrived */
    uint32_t acks_due;       /* sync_all: nodes still to apply it */
    uint32_t origin_epoch;   /* the origin's crash count at the commit */
    uint8_t beaten;          /* before its ack, it lost to a concurrent write: BEATEN_* */
    uint8_t cls;             /* room for 2^cls members in more */
    uint32_t nmore;
    uint64_t low;
    uint64_t more[];
};

/* A sibling: a write in a node's antichain. */
struct mlsib {
    uint64_t g;
    uint32_t origin, counter;
};

/* One key at one node. */
struct mlrec {
    struct writeset cv;   /* covered */
    struct writeset recv; /* lww: received */
    struct mlsib *sib;    /* siblings: the antichain, by origin */
    uint32_t nsib, sib_cap;
    int64_t win_ts;
    uint32_t win_origin, win_counter; /* win_counter 0: no value received */
    uint32_t own;                     /* writes this node committed */
};

struct mlnode {
    struct keymap idx;    /* key -> record index */
    struct mlrec *rec;
    size_t nrec, rec_cap;
    struct mlw **held;    /* messages for this node while down or catching up (FIFO) */
    size_t held_len, held_cap;
    int64_t skew_ns, distance_ns;
    int64_t *clock;       /* while a message of this node is on its way: the arrival of
                             its latest write at each node (its links' FIFO clocks), or NULL */
    struct mlw *last_w;   /* that latest write */
    uint32_t epoch;       /* crashes so far */
    uint32_t cuts;        /* partitions so far (tags a heal's catch-up) */
    struct nodefault *nf;  /* crash, slow, errors, latency (nf->up: not crashed): in s->ns */
    struct rng *fault_rng; /* errors(rate=): which of its requests fail: in s->ns */
    bool catching_up;
    bool cut;             /* partitioned from the other nodes */
    bool isolated;        /* cut, or healed and its held links not yet drained */
};

/* The commit time of a write, while some node has not received it. */
struct mlcommit {
    int64_t ns;
    bool alive; /* not yet received by every node */
};

/* The truth of one key. */
struct mltruth {
    uint64_t writes;               /* committed so far: the newest one's g */
    uint64_t done;                 /* writes up to this g have reached every node */
    struct mlcommit *ring;         /* writes done + 1 .. writes, at g mod ring_cap */
    size_t ring_cap;               /* a power of two, or 0 */
    int64_t best_ts;               /* the global lww winner so far */
    uint64_t best_g;
    uint32_t best_origin, best_counter; /* best_counter 0: none yet */
    struct mlw *best_pending;      /* the winner, while it waits for its acks */
    bool best_acked;
};

struct mlset {
    struct component base;
    uint32_t n;
    enum ml_conflict conflict;
    enum ml_exchange exchange;
    enum ml_route write_to, read_from;
    struct dist write_time, read_time, repl_delay;
    int64_t catchup_ns;
    struct mlnode *node;           /* n of them */
    struct nodeset ns;             /* fault states, distances, the set of up nodes */
    int64_t **free_clock;          /* link clocks of n arrivals not in use */
    size_t nfree_clock, free_clock_cap, clocks;
    struct keymap tidx;            /* key -> truth index */
    struct mltruth *truth;
    size_t ntruth, truth_cap;
    struct mlw *free_w[ML_CLASSES]; /* write records by size class */
    void **chunks;
    size_t nchunks, chunks_cap, chunk_bytes;
    struct rng rng;
    /* Measured counters. */
    uint64_t reads, stale, behind_versions, writes, conflicting, lost, failed, partial;
    uint64_t lost_to_earlier; /* lost updates whose winner committed earlier (clock skew) */
    uint64_t sibling_reads, valued_reads, values_read;
    double behind_ns;
};

static const struct param_spec params[] = {
    {"leaders", "int", "3",
     "nodes, all of which accept writes (1..4096; memory: about 130 bytes per key and "
     "leader, 170 with siblings)"},
    {"conflict", "policy", "lww",
     "lww (highest timestamp, then origin, wins) | siblings (keep concurrent writes)"},
    {"exchange", "policy", "async",
     "async (ack at the local commit) | sync_all (ack when every node applied it; fails "
     "when one is down)"},
    {"write_to", "policy", "random",
     "random (an up node) | nearest (lowest distance, up) | home (the session's node, "
     "(user + 1) mod leaders, node 0 for open-loop load; fails when down)"},
    {"read_from", "policy", "random", "random | nearest | home, as write_to"},
    {"write_time", "dist", "exp(mean=1ms)", "a write: arrival to local commit"},
    {"read_time", "dist", "exp(mean=1ms)", "a read at the node that serves it"},
    {"replication_delay", "dist", "exp(mean=50ms)",
     "commit to arrival at each other node (links are FIFO)"},
    {"skew", "durations|normal", "0",
     "clock offset per node, signed: one value, one per node (0, -20ms, 5ms), or "
     "normal(sd=5ms, mean=0) drawn once per node and run"},
    {"distance", "durations", "0",
     "one-way delay from the clients to each node (one, or one each)"},
    {"catchup", "duration", "0",
     "a recovered node (or one whose partition healed) receives the writes it missed this "
     "much later"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec normal_params[] = {
    {"sd", "duration", NULL, "standard deviation of the clock offsets"},
    {"mean", "duration", "0", "mean offset (signed)"},
    {NULL, NULL, NULL, NULL},
};

static struct mlset *as_ml(struct component *c)
{
    return (struct mlset *)c;
}

static uint64_t session_of(const struct request *r)
{
    return nodeset_session(r);
}

/* ---- state per key ------------------------------------------------------ */

/* The record of key at nd, created (empty) when create is set; else
 * SIZE_MAX when absent. */
static size_t node_rec(struct mlnode *nd, uint64_t key, bool create)
{
    uint64_t v = keymap_get(&nd->idx, key);
    if (v != KEYMAP_NONE)
        return (size_t)v;
    if (!create)
        return SIZE_MAX;
    size_t i = nd->nrec++;
    xgrow(&nd->rec, &nd->rec_cap, i + 1, sizeof *nd->rec);
    memset(&nd->rec[i], 0, sizeof nd->rec[i]);
    keymap_put(&nd->idx, key, i);
    return i;
}

static size_t truth_of(struct mlset *s, uint64_t key, bool create)
{
    uint64_t v = keymap_get(&s->tidx, key);
    if (v != KEYMAP_NONE)
        return (size_t)v;
    if (!create)
        return SIZE_MAX;
    size_t i = s->ntruth++;
    xgrow(&s->truth, &s->truth_cap, i + 1, sizeof *s->truth);
    memset(&s->truth[i], 0, sizeof s->truth[i]);
    keymap_put(&s->tidx, key, i);
    return i;
}

/* A write commits to t at now: its number g, and its commit time kept
 * until every node has it. */
static uint64_t truth_commit(struct mltruth *t, int64_t now)
{
    uint64_t g = ++t->writes;
    if (g - t->done > t->ring_cap) { /* the ring is full: double it */
        size_t cap = t->ring_cap ? 2 * t->ring_cap : 8;
        struct mlcommit *ring = xcalloc(cap, sizeof *ring);
        for (uint64_t k = t->done + 1; k < g; k++)
            ring[k & (cap - 1)] = t->ring[k & (t->ring_cap - 1)];
        free(t->ring);
        t->ring = ring;
        t->ring_cap = cap;
    }
    t->ring[g & (t->ring_cap - 1)] = (struct mlcommit){now, true};
    return g;
}

static int64_t truth_commit_ns(const struct mltruth *t, uint64_t g)
{
    return t->ring[g & (t->ring_cap - 1)].ns;
}

/* Every node has write g of t: its commit time is no longer needed. */
static void truth_done(struct mltruth *t, uint64_t g)
{
    size_t mask = t->ring_cap - 1;
    t->ring[g & mask].alive = false;
    while (t->done < t->writes && !t->ring[(t->done + 1) & mask].alive)
        t->done++;
}

/* ---- write records ------------------------------------------------------ */

static size_t w_bytes(unsigned cls)
{
    return sizeof(struct mlw) + ((size_t)1 << cls) * sizeof(uint64_t);
}

/* A record with room for nmore members of its context. */
static struct mlw *w_new(struct mlset *s, uint32_t nmore)
{
    unsigned cls = 0;
    while (((size_t)1 << cls) < nmore)
        cls++;
    if (!s->free_w[cls]) { /* a chunk of records of this size */
        size_t size = w_bytes(cls), per = ML_CHUNK_BYTES / size;
        per = per ? per : 1;
        char *chunk = xcalloc(per, size);
        xgrow(&s->chunks, &s->chunks_cap, s->nchunks + 1, sizeof *s->chunks);
        s->chunks[s->nchunks++] = chunk;
        s->chunk_bytes += per * size;
        for (size_t i = 0; i < per; i++) {
            struct mlw *w = (struct mlw *)(void *)(chunk + i * size);
            w->next_free = s->free_w[cls];
            s->free_w[cls] = w;
        }
    }
    struct mlw *w = s->free_w[cls];
    s->free_w[cls] = w->next_free;
    memset(w, 0, sizeof *w);
    w->s = s;
    w->cls = (uint8_t)cls;
    return w;
}

static void w_unref(struct mlset *s, struct mlw *w)
{
    if (w->refs > 0 && --w->refs > 0)
        return;
    truth_done(&s->truth[w->ti], w->g);
    w->next_free = s->free_w[w->cls];
    s->free_w[w->cls] = w;
}

/* ---- replies ------------------------------------------------------------ */

static void finish(struct sim *sim, struct mlset *s, struct request *r, enum req_status st)
{
    nodeset_finish(sim, &s->ns, r, st);
}

/* Replies after the way back from node i to the client (plus a latency
 * fault's added time). */
static void finish_from(struct sim *sim, struct mlset *s, struct request *r, uint32_t i,
                        enum req_status st)
{
    nodeset_reply(sim, &s->ns, r, st, i);
}

/* ---- conflict resolution -------------------------------------------------- */

/* Whether write a beats write b under lww: the higher timestamp, then the
 * higher origin; from one origin at one timestamp the later write. */
static bool lww_beats(int64_t ts_a, uint32_t origin_a, uint32_t counter_a, int64_t ts_b,
                      uint32_t origin_b, uint32_t counter_b)
{
    if (ts_a != ts_b)
        return ts_a > ts_b;
    return origin_a != origin_b ? origin_a > origin_b : counter_a > counter_b;
}

/* Whether w's context (or w) covers write g. */
static bool w_covers(const struct mlw *w, uint64_t g)
{
    return writeset_has_in(w->low, w->more, w->nmore, g);
}

/* Siblings: w enters the antichain of rc, superseding the siblings its
 * context covers (any earlier one of its origin among them). */
static void sib_take(struct mlrec *rc, const struct mlw *w)
{
    uint32_t keep = 0, at = UINT32_MAX;
    for (uint32_t k = 0; k < rc->nsib; k++) {
        if (w_covers(w, rc->sib[k].g))
            continue;
        if (at == UINT32_MAX && rc->sib[k].origin > w->origin)
            at = keep;
        rc->sib[keep++] = rc->sib[k];
    }
    at = at == UINT32_MAX ? keep : at;
    if (keep + 1 > rc->sib_cap) { /* from 2: most keys have one or two */
        rc->sib_cap = rc->sib_cap ? 2 * rc->sib_cap : 2;
        rc->sib = xrealloc(rc->sib, rc->sib_cap * sizeof *rc->sib);
    }
    memmove(rc->sib + at + 1, rc->sib + at, (keep - at) * sizeof *rc->sib);
    rc->sib[at] = (struct mlsib){w->g, w->origin, w->counter};
    rc->nsib = keep + 1;
}

/* Node x receives w (its own write included): the vectors join, and the
 * winner or the antichain takes it in. */
static void apply(struct mlset *s, uint32_t x, const struct mlw *w)
{
    struct mlnode *nd = &s->node[x];
    size_t ri = node_rec(nd, w->key, true); /* before reading nd->rec, which it may move */
    struct mlrec *rc = &nd->rec[ri];
    uint32_t o = w->origin;
    if (s->conflict == ML_LWW) {
        writeset_add(&rc->recv, w->g);
        if (rc->win_counter == 0 || lww_beats(w->ts_ns, o, w->counter, rc->win_ts, rc->win_origin,
                                              rc->win_counter)) {
            rc->win_ts = w->ts_ns;
            rc->win_origin = o;
            rc->win_counter = w->counter;
        }
    } else {
        if (writeset_has(&rc->cv, w->g))
            return; /* superseded by a write this node already has */
        sib_take(rc, w);
    }
    writeset_join(&rc->cv, w->low, w->more, w->nmore);
}

/* lww: w joins the key's global contest. The loser is a lost update if it
 * was acknowledged and the winner's context does not cover it; w, newer
 * than the current winner, can never be covered by it. */
static void judge(struct sim *sim, struct mlset *s, struct mltruth *t, struct mlw *w,
                  bool acked)
{
    bool first = t->best_counter == 0;
    if (!first && !lww_beats(w->ts_ns, w->origin, w->counter, t->best_ts, t->best_origin,
                                t->best_counter)) {
        if (acked) {
            s->lost += sim->measuring;
            s->lost_to_earlier += sim->measuring;
        } else {
            w->beaten = BEATEN_BY_EARLIER;
        }
        return;
    }
    if (!first && !w_covers(w, t->best_g)) {
        if (t->best_acked)
            s->lost += sim->measuring;
        else if (t->best_pending)
            t->best_pending->beaten = BEATEN_BY_LATER;
    }
    t->best_ts = w->ts_ns;
    t->best_g = w->g;
    t->best_origin = w->origin;
    t->best_counter = w->counter;
    t->best_pending = acked ? NULL : w;
    t->best_acked = acked;
}

/* A sync_all write learns its outcome: every node applied it, or one could
 * not. */
static void resolve(struct sim *sim, struct mlset *s, struct mlw *w, bool ok)
{
    struct request *r = w->waiting;
    w->waiting = NULL;
    struct mltruth *t = &s->truth[w->ti];
    if (t->best_pending == w) {
        t->best_pending = NULL;
        t->best_acked = ok;
    }
    if (ok) {
        s->lost += w->beaten != BEATEN_NOT && sim->measuring;
        s->lost_to_earlier += w->beaten == BEATEN_BY_EARLIER && sim->measuring;
    } else {
        s->partial += sim->measuring;
    }
    finish_from(sim, s, r, w->origin, ok ? REQ_OK : REQ_ERROR);
}

/* ---- replication -------------------------------------------------------- */

static void deliver_now(struct sim *sim, struct mlset *s, uint32_t x, struct mlw *w)
{
    apply(s, x, w);
    if (w->waiting && --w->acks_due == 0)
        resolve(sim, s, w, true);
    w_unref(s, w);
}

static void hold(struct mlnode *nd, struct mlw *w)
{
    xgrow(&nd->held, &nd->held_cap, nd->held_len + 1, sizeof *nd->held);
    nd->held[nd->held_len++] = w;
}

/* Whether the link from node o to node x holds its messages: o != x and
 * one end is partitioned (or healed but not yet caught up). */
static bool link_blocked(const struct mlset *s, uint32_t o, uint32_t x)
{
    return o != x && (s->node[o].isolated || s->node[x].isolated);
}

/* A message of w reaches node b (its index). */
static void on_deliver(struct sim *sim, void *a, void *b)
{
    struct mlw *w = a;
    struct mlset *s = w->s;
    uint32_t x = (uint32_t)(uintptr_t)b;
    struct mlnode *nd = &s->node[x], *from = &s->node[w->origin];
    if (--w->transit == 0 && from->last_w == w) {
        /* every message from the origin has arrived: its link clocks are
         * moot (held messages do not keep them) */
        xgrow(&s->free_clock, &s->free_clock_cap, s->nfree_clock + 1, sizeof *s->free_clock);
        s->free_clock[s->nfree_clock++] = from->clock;
        from->clock = NULL;
        from->last_w = NULL;
    }
    if (w->waiting && s->node[w->origin].epoch != w->origin_epoch)
        resolve(sim, s, w, false); /* the origin crashed: it cannot answer */
    if (w->waiting && (!nd->nf->up || s->node[w->origin].cut || nd->cut))
        resolve(sim, s, w, false); /* one node could not apply it */
    if (!nd->nf->up || nd->catching_up || link_blocked(s, w->origin, x)) {
        hold(nd, w);
        return;
    }
    deliver_now(sim, s, x, w);
}

/* Node x, up and caught up, receives the messages held for it, in order,
 * but those on links still cut, which stay held in order. */
static void drain(struct sim *sim, struct mlset *s, uint32_t x)
{
    struct mlnode *nd = &s->node[x];
    if (!nd->nf->up || nd->catching_up)
        return;
    size_t keep = 0;
    for (size_t k = 0; k < nd->held_len; k++) {
        struct mlw *w = nd->held[k];
        if (link_blocked(s, w->origin, x))
            nd->held[keep++] = w;
        else
            deliver_now(sim, s, x, w);
    }
    nd->held_len = keep;
}

/* Sends w to every other node. The links' clocks (their latest arrivals)
 * are kept while a message of the origin is on its way, in an array of n
 * taken from a pool; once every message of the origin's latest write has
 * arrived (so every earlier one has: links are FIFO), each arrival is past
 * and a message sent later, arriving at now or after, cannot be held back
 * by it, so the array goes back to the pool. Arrays in use: the origins
 * with a message on its way, each with up to n - 1 events in the queue. */
static void ship(struct sim *sim, struct mlset *s, struct mlw *w)
{
    if (s->n == 1)
        return;
    struct mlnode *from = &s->node[w->origin];
    bool fresh = from->clock == NULL;
    if (fresh) {
        if (s->nfree_clock == 0) {
            xgrow(&s->free_clock, &s->free_clock_cap, 1, sizeof *s->free_clock);
            s->free_clock[s->nfree_clock++] = xcalloc(s->n, sizeof **s->free_clock);
            s->clocks++;
        }
        from->clock = s->free_clock[--s->nfree_clock];
    }
    int64_t *clock = from->clock;
    for (uint32_t p = 0; p < s->n; p++) {
        if (p == w->origin)
            continue;
        int64_t at = sim_now(sim) + dist_sample_ns(&s->repl_delay, &s->rng);
        if (!fresh && at < clock[p])
            at = clock[p]; /* FIFO link: never before the previous message */
        clock[p] = at;
        w->refs++;
        w->transit++;
        sim_at(sim, at, on_deliver, w, (void *)(uintptr_t)p);
    }
    from->last_w = w;
}

/* A write commits at its node (frame.replica). */
static void on_commit(struct sim *sim, void *a, void *b)
{
    struct mlset *s = a;
    struct request *r = b;
    uint32_t o = sim_top(r)->replica;
    struct mlnode *nd = &s->node[o];
    if (!nd->nf->up || sim_top(r)->epoch != nd->epoch) {
        finish_from(sim, s, r, o, REQ_ERROR); /* the node crashed before the commit */
        return;
    }
    if (nodefault_fails(nd->nf, nd->fault_rng)) {
        finish_from(sim, s, r, o, REQ_ERROR); /* errors fault: fails before the commit */
        return;
    }
    size_t ti = truth_of(s, r->key, true), ri = node_rec(nd, r->key, true);
    struct mltruth *t = &s->truth[ti];
    struct mlrec *rc = &nd->rec[ri];
    /* Its vector covers every other origin's writes unless some committed
     * write is missing from it (its own are all there). */
    bool conflicting = writeset_size(&rc->cv) < t->writes;
    uint64_t g = truth_commit(t, sim_now(sim));
    /* Its context + dot: the origin's cv and g, the newest write. */
    bool joins = rc->cv.nmore == 0 && rc->cv.low + 1 == g;
    struct mlw *w = w_new(s, rc->cv.nmore + !joins);
    w->key = r->key;
    w->g = g;
    w->ti = ti;
    w->ts_ns = sim_now(sim) + nd->skew_ns;
    w->origin = o;
    w->counter = ++rc->own;
    w->origin_epoch = nd->epoch;
    w->low = joins ? g : rc->cv.low;
    w->nmore = joins ? 0 : rc->cv.nmore + 1;
    if (!joins) {
        if (rc->cv.nmore > 0) /* (its list is NULL until first used) */
            memcpy(w->more, rc->cv.more, rc->cv.nmore * sizeof *w->more);
        w->more[rc->cv.nmore] = g;
    }
    s->writes += sim->measuring;
    s->conflicting += conflicting && sim->measuring;
    apply(s, o, w);
    bool acked = s->exchange == ML_ASYNC || s->n == 1;
    if (s->conflict == ML_LWW)
        judge(sim, s, t, w, acked);
    r->version = w->counter;
    ship(sim, s, w);
    if (acked) {
        finish_from(sim, s, r, o, REQ_OK);
    } else {
        w->waiting = r;
        w->acks_due = s->n - 1;
    }
    if (w->refs == 0)
        w_unref(s, w);
}

/* ---- reads -------------------------------------------------------------- */

/* How stale node x is on key, and how many values it returns. */
static void note_read(struct sim *sim, struct mlset *s, uint32_t x, struct request *r)
{
    struct mlnode *nd = &s->node[x];
    size_t ri = node_rec(nd, r->key, false), ti = truth_of(s, r->key, false);
    static const struct writeset none = {0, NULL, 0, 0};
    const struct writeset *have = &none;
    uint32_t values = 0;
    if (ri != SIZE_MAX) {
        const struct mlrec *rc = &nd->rec[ri];
        have = s->conflict == ML_LWW ? &rc->recv : &rc->cv;
        values = s->conflict == ML_LWW ? rc->win_counter != 0 : rc->nsib;
    }
    /* Every write a node has was committed, so it lacks the writes
     * committed less those it has. */
    uint64_t seen = writeset_size(have);
    uint64_t behind = ti == SIZE_MAX ? 0 : s->truth[ti].writes - seen;
    r->version = seen;
    if (!sim->measuring)
        return;
    s->reads++;
    if (behind) {
        const struct mltruth *t = &s->truth[ti];
        int64_t newest = truth_commit_ns(t, writeset_newest_missing(have, t->writes));
        s->stale++;
        s->behind_versions += behind;
        s->behind_ns += (double)(sim_now(sim) - newest);
    }
    if (values) {
        s->valued_reads++;
        s->values_read += values;
        s->sibling_reads += values > 1;
    }
}

static void on_read_done(struct sim *sim, void *a, void *b)
{
    struct mlset *s = a;
    struct request *r = b;
    uint32_t x = sim_top(r)->replica;
    if (!s->node[x].nf->up || sim_top(r)->epoch != s->node[x].epoch ||
        nodefault_fails(s->node[x].nf, s->node[x].fault_rng)) {
        finish_from(sim, s, r, x, REQ_ERROR);
        return;
    }
    note_read(sim, s, x, r);
    finish_from(sim, s, r, x, REQ_OK);
}

/* The node a request goes to, or ML_NONE: none that is up. */
static uint32_t pick(struct mlset *s, enum ml_route how, const struct request *r)
{
    if (how == ML_HOME) {
        uint32_t i = (uint32_t)(session_of(r) % s->n);
        return s->node[i].nf->up ? i : ML_NONE;
    }
    if (how == ML_NEAREST) /* the up node with the lowest distance (ties: lower index) */
        return s->ns.up ? nodeset_kth_nearest(&s->ns, 0) : ML_NONE;
    return nodeset_random(&s->ns, &s->rng); /* ML_NONE (UINT32_MAX) when none is up */
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct mlset *s = as_ml(c);
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    sim_level_add(sim, &c->st.insys, 1);
    bool read = r->op == OP_READ;
    uint32_t x = pick(s, read ? s->read_from : s->write_to, r);
    if (x == ML_NONE) {
        finish(sim, s, r, REQ_ERROR);
        return;
    }
    f->replica = x;
    f->epoch = s->node[x].epoch;
    const struct mlnode *nd = &s->node[x];
    int64_t there = nd->distance_ns;
    struct dist *t = read ? &s->read_time : &s->write_time;
    int64_t at = there + nodefault_service_ns(nd->nf, dist_sample_ns(t, &s->rng));
    sim_after(sim, at, read ? on_read_done : on_commit, s, r);
}

/* ---- failures ------------------------------------------------------------ */

/* The end of a recovered node's catch-up: b is the node (16 bits) and its
 * epoch, so a catch-up of an earlier recovery does nothing. */
static void on_catchup(struct sim *sim, void *a, void *b)
{
    struct mlset *s = a;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t x = (uint32_t)(v & 0xffff);
    struct mlnode *nd = &s->node[x];
    if (!nd->nf->up || !nd->catching_up || (uint32_t)(v >> 16) != nd->epoch)
        return;
    nd->catching_up = false;
    drain(sim, s, x);
}

/* Node x went down (nodefault_apply has marked it). */
static void crash_node(struct mlset *s, uint32_t x)
{
    struct mlnode *nd = &s->node[x];
    nd->catching_up = false;
    nd->epoch++;
    s->base.st.replicas_up--;
}

/* Node x is back (nodefault_apply has marked it up). */
static void recover_node(struct sim *sim, struct mlset *s, uint32_t x)
{
    struct mlnode *nd = &s->node[x];
    s->base.st.replicas_up++;
    if (s->catchup_ns == 0) {
        drain(sim, s, x);
        return;
    }
    nd->catching_up = true;
    uint64_t tag = ((uint64_t)nd->epoch << 16) | x;
    sim_after(sim, s->catchup_ns, on_catchup, s, (void *)(uintptr_t)tag);
}

/* Node x's links open again: every node receives what was held for it. */
static void reconnect(struct sim *sim, struct mlset *s, uint32_t x)
{
    s->node[x].isolated = false;
    for (uint32_t i = 0; i < s->n; i++)
        drain(sim, s, i);
}

/* The end of a healed node's catch-up: b is the node (16 bits) and its
 * partition count, so the catch-up of an earlier heal does nothing. */
static void on_heal_catchup(struct sim *sim, void *a, void *b)
{
    struct mlset *s = a;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t x = (uint32_t)(v & 0xffff);
    struct mlnode *nd = &s->node[x];
    if (nd->cut || (uint32_t)(v >> 16) != nd->cuts)
        return;
    reconnect(sim, s, x);
}

static void partition(struct sim *sim, struct component *c, int32_t replica, bool start)
{
    struct mlset *s = as_ml(c);
    for (uint32_t i = 0; i < s->n; i++) {
        struct mlnode *nd = &s->node[i];
        if (replica >= 0 && (uint32_t)replica != i)
            continue;
        if (start) {
            nd->cut = nd->isolated = true;
            nd->cuts++;
        } else if (nd->cut) {
            nd->cut = false;
            if (s->catchup_ns == 0)
                reconnect(sim, s, i);
            else
                sim_after(sim, s->catchup_ns, on_heal_catchup, s,
                          (void *)(uintptr_t)(((uint64_t)nd->cuts << 16) | i));
        }
    }
}

static void node_changed(struct sim *sim, void *ctx, uint32_t i, enum nodefault_change ch)
{
    if (ch == NODEFAULT_CRASHED)
        crash_node(ctx, i);
    else
        recover_node(sim, ctx, i);
}

static void fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                  double value, bool start)
{
    nodeset_fault(sim, &as_ml(c)->ns, replica, a, value, start, node_changed, as_ml(c));
}

size_t multileader_values(const struct component *c, uint32_t node, uint64_t key,
                          uint64_t *dots, size_t max)
{
    const struct mlset *s = (const struct mlset *)c;
    const struct mlnode *nd = &s->node[node];
    uint64_t v = keymap_get(&nd->idx, key);
    if (v == KEYMAP_NONE)
        return 0;
    const struct mlrec *rc = &nd->rec[(size_t)v];
    if (s->conflict == ML_LWW) {
        if (rc->win_counter && max > 0)
            dots[0] = MULTILEADER_DOT(rc->win_origin, rc->win_counter);
        return rc->win_counter != 0;
    }
    for (uint32_t k = 0; k < rc->nsib && k < max; k++)
        dots[k] = MULTILEADER_DOT(rc->sib[k].origin, rc->sib[k].counter);
    return rc->nsib;
}

size_t multileader_bytes(const struct component *c)
{
    const struct mlset *s = (const struct mlset *)c;
    size_t b = s->n * sizeof *s->node + s->truth_cap * sizeof *s->truth;
    b += s->chunk_bytes + s->chunks_cap * sizeof *s->chunks;
    b += s->clocks * s->n * sizeof(int64_t) + s->free_clock_cap * sizeof *s->free_clock;
    b += (s->tidx.mask + 1) * sizeof *s->tidx.slots * (s->tidx.slots != NULL);
    for (size_t i = 0; i < s->ntruth; i++)
        b += s->truth[i].ring_cap * sizeof *s->truth[i].ring;
    for (uint32_t x = 0; x < s->n; x++) {
        const struct mlnode *nd = &s->node[x];
        b += nd->rec_cap * sizeof *nd->rec + nd->held_cap * sizeof *nd->held;
        b += (nd->idx.mask + 1) * sizeof *nd->idx.slots * (nd->idx.slots != NULL);
        for (size_t i = 0; i < nd->nrec; i++) {
            const struct mlrec *rc = &nd->rec[i];
            b += writeset_bytes(&rc->cv) + writeset_bytes(&rc->recv);
            b += rc->sib_cap * sizeof *rc->sib;
        }
    }
    return b;
}

/* ---- set-up and results -------------------------------------------------- */

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct mlset *s = as_ml(c);
    s->reads = s->stale = s->behind_versions = s->writes = s->conflicting = s->lost = 0;
    s->failed = s->partial = s->lost_to_earlier = s->sibling_reads = 0;
    s->valued_reads = s->values_read = 0;
    s->behind_ns = 0;
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    (void)end_ns;
    const struct mlset *s = (const struct mlset *)c;
    double reads = s->reads ? (double)s->reads : 1, stale = s->stale ? (double)s->stale : 1;
    double valued = s->valued_reads ? (double)s->valued_reads : 1;
    const struct metric_out m[] = {
        {"reads", (double)s->reads, true},
        {"stale_fraction", (double)s->stale / reads, true},
        {"stale_versions_mean", (double)s->behind_versions / stale, true},
        {"stale_behind_ms_mean", s->behind_ns / stale / 1e6, true},
        {"writes", (double)s->writes, true},
        {"conflicting_writes", (double)s->conflicting, true},
        {"lost_updates", (double)s->lost, true},
        {"lost_to_earlier", (double)s->lost_to_earlier, true},
        {"sibling_reads", (double)s->sibling_reads, true},
        {"siblings_mean", (double)s->values_read / valued, true},
        {"failed", (double)s->failed, true},
        {"partial_writes", (double)s->partial, true},
    };
    size_t n = sizeof m / sizeof m[0];
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    return n;
}

/* A keyword value of key among names; its index, or -1 with a diagnostic. */
static int read_choice(const struct sc_section *sec, const char *key, const char *const *names,
                       size_t n, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(sec, params, key, &loc);
    for (size_t k = 0; k < n; k++)
        if (strcmp(v, names[k]) == 0)
            return (int)k;
    const char *near = diag_closest(v, names, n);
    return diag_error(d, loc, "unknown %s '%s'%s%s%s", key, v, near ? " (did you mean '" : "",
                      near ? near : "", near ? "'?)" : "");
}

/* A duration that may be negative when allow_neg. */
static int parse_signed(const char *t, bool allow_neg, int64_t *out, const char **why)
{
    bool neg = allow_neg && *t == '-';
    if (units_parse_duration(neg ? t + 1 : t, out, why) < 0)
        return -1;
    *out = neg ? -*out : *out;
    return 0;
}

/* skew = normal(sd=5ms, mean=0): one draw per node and run; else a list. */
static int read_skew_into(struct sim *sim, struct mlset *s, const struct sc_section *sec,
                          int64_t *skew, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(sec, params, "skew", &loc);
    if (strncmp(v, "normal", 6) != 0) {
        if (kp_durations(sec, params, "skew", s->n, true, skew, d) < 0)
            return -1;
    } else {
        struct spec sp;
        struct loc vl;
        const char *why;
        int64_t sd, mean;
        if (spec_parse(&sp, v, loc, d) < 0)
            return -1;
        if (strcmp(sp.name, "normal") != 0)
            return diag_error(d, sp.loc, "skew is a list of durations or normal(sd=...), not '%s'",
                              sp.name);
        if (spec_check(&sp, normal_params, "skew 'normal'", d) < 0)
            return -1;
        const char *t = spec_value(&sp, normal_params, "sd", &vl);
        if (units_parse_duration(t, &sd, &why) < 0)
            return diag_error(d, vl, "bad sd '%s': %s", t, why);
        t = spec_value(&sp, normal_params, "mean", &vl);
        if (parse_signed(t, true, &mean, &why) < 0)
            return diag_error(d, vl, "bad mean '%s': %s", t, why);
        struct rng r;
        rng_stream(&r, sim->seed, s->base.name, "skew");
        const double lim = (double)UNITS_TIME_MAX_NS; /* a huge sd saturates */
        for (uint32_t i = 0; i < s->n; i++) {
            double x = (double)sd * rng_normal(&r);
            int64_t dev = UNITS_TIME_MAX_NS;
            if (x <= -lim)
                dev = -UNITS_TIME_MAX_NS;
            else if (x < lim)
                dev = (int64_t)x;
            skew[i] = mean + dev;
        }
    }
    return 0;
}

static int read_skew(struct sim *sim, struct mlset *s, const struct sc_section *sec,
                     struct diag *d)
{
    int64_t *skew = xcalloc(s->n, sizeof *skew);
    int rc = read_skew_into(sim, s, sec, skew, d);
    for (uint32_t i = 0; i < s->n && rc == 0; i++)
        s->node[i].skew_ns = skew[i];
    free(skew);
    return rc;
}

static int read_policies(struct mlset *s, const struct sc_section *sec, struct diag *d)
{
    static const char *const conflicts[] = {"lww", "siblings"};
    static const char *const exchanges[] = {"async", "sync_all"};
    static const char *const routes[] = {"random", "nearest", "home"};
    int c = read_choice(sec, "conflict", conflicts, 2, d);
    int e = read_choice(sec, "exchange", exchanges, 2, d);
    int w = read_choice(sec, "write_to", routes, 3, d);
    int r = read_choice(sec, "read_from", routes, 3, d);
    if (c < 0 || e < 0 || w < 0 || r < 0)
        return -1;
    s->conflict = (enum ml_conflict)c;
    s->exchange = (enum ml_exchange)e;
    s->write_to = (enum ml_route)w;
    s->read_from = (enum ml_route)r;
    return 0;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *sec,
                 struct diag *d)
{
    struct mlset *s = as_ml(c);
    long long n;
    int rc = 0;
    if (kp_int(sec, params, "leaders", 1, ML_MAX, &n, d) < 0)
        rc = -1, n = 1;
    s->n = (uint32_t)n;
    nodeset_init(&s->ns, sim, c, s->n);
    s->ns.failed = &s->failed;
    s->node = xcalloc(s->n, sizeof *s->node);
    for (uint32_t i = 0; i < s->n; i++) {
        keymap_init(&s->node[i].idx);
        s->node[i].nf = &s->ns.nf[i];
        s->node[i].fault_rng = &s->ns.fault_rng[i];
    }
    keymap_init(&s->tidx);
    bool present;
    if (read_policies(s, sec, d) < 0)
        rc = -1;
    if (read_skew(sim, s, sec, d) < 0)
        rc = -1;
    if (nodeset_read_distances(&s->ns, sec, params, "distance", d) < 0)
        rc = -1;
    for (uint32_t i = 0; i < s->n; i++)
        s->node[i].distance_ns = s->ns.dist_ns[i];
    if (kp_dist(sec, params, "write_time", DIST_DURATION, &s->write_time, &present, d) < 0 ||
        kp_dist(sec, params, "read_time", DIST_DURATION, &s->read_time, &present, d) < 0 ||
        kp_dist(sec, params, "replication_delay", DIST_DURATION, &s->repl_delay, &present,
                d) < 0 ||
        kp_duration(sec, params, "catchup", &s->catchup_ns, d) < 0)
        rc = -1;
    rng_stream(&s->rng, sim->seed, c->name, "multileader");
    sim_stats_init(sim, &c->st, true);
    c->st.replicas_up = s->n;
    return rc;
}

static void fini(struct component *c)
{
    struct mlset *s = as_ml(c);
    for (uint32_t i = 0; i < s->n; i++) {
        keymap_fini(&s->node[i].idx);
        for (size_t k = 0; k < s->node[i].nrec; k++) {
            struct mlrec *rc = &s->node[i].rec[k];
            writeset_fini(&rc->cv);
            writeset_fini(&rc->recv);
            free(rc->sib);
        }
        free(s->node[i].rec);
        free(s->node[i].held);
        free(s->node[i].clock);
    }
    free(s->node);
    for (size_t i = 0; i < s->nfree_clock; i++)
        free(s->free_clock[i]);
    free(s->free_clock);
    nodeset_fini(&s->ns);
    keymap_fini(&s->tidx);
    for (size_t i = 0; i < s->ntruth; i++)
        free(s->truth[i].ring);
    free(s->truth);
    for (size_t i = 0; i < s->nchunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    dist_fini(&s->write_time);
    dist_fini(&s->read_time);
    dist_fini(&s->repl_delay);
}

static uint32_t nodes(const struct component *c)
{
    return ((const struct mlset *)c)->n;
}

const struct kind kind_multileader = {
    .name = "multileader",
    .summary = "multi-leader replicated store: writes at any leader, exchanged async or "
               "sync_all; conflicts by last-writer-wins or siblings; lost updates, stale reads",
    .params = params,
    .size = sizeof(struct mlset),
    .build = build,
    .on_request = on_request,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .fault = fault,
    .nodes = nodes,
    .partition = partition,
};
