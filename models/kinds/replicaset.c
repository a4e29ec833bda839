/* replicaset: a leader-follower replicated store (issue 7, "Replication" and
 * "Consistency levels"). `replicas` nodes; node 0 leads at the start.
 *
 * Writes go to the leader, which commits them after `write_time` in log
 * order (log sequence number, lsn) and streams them to every follower: a
 * follower applies a write `replication_delay` after its commit, in log
 * order (never before the previous one), so each follower's state is a
 * prefix of the leader's log. The write is acknowledged at the commit
 * (`ack = async`), when k followers have applied it (`semi_sync(k=1)`), or
 * when all have (`sync`).
 *
 * Nodes: each has `workers` (default unbounded: a pure delay) and a FIFO
 * `queue` (unbounded by default; a request that finds it full fails and is
 * counted in queue_full). A read takes `read_time` of a worker at the node
 * that serves it, a write `write_time` of a worker at the leader before it
 * commits, and with `apply_time` a follower spends that much of a worker on
 * each replicated write it applies: one write at a time, in log order, so a
 * follower that cannot keep up falls behind (its queue length counts the
 * waiting apply too). `distance` is the one-way network delay from the clients to each
 * node: a request served at node i pays it on the way in and on the way
 * back (a write pays the leader's). Per-node mean busy workers and queue
 * length are the metrics nodeK_busy and nodeK_queue (first 10 nodes); with
 * bounded workers the component's row of components.csv has utilisation and
 * queue waits too.
 *
 * Reads: `consistency` picks the node, `read_from` (any | nearest) which
 * node a non-strong read tries first: a uniformly random up node, or the up
 * node with the smallest distance (ties: the lowest index).
 *   strong           the leader
 *   eventual         the node read_from picks
 *   read_your_writes that node, unless it lacks the session's last write of
 *                    the key
 *   monotonic_reads  that node, unless it is older than the session's last
 *                    read of the key
 *   causal           that node, unless it has not applied everything the
 *                    session wrote or read (its applied lsn)
 *   quorum(r=2)      r distinct up nodes (random, or the r nearest); the
 *                    newest answer wins; latency is the slowest of the r
 * A session is a closed-loop user of the client (request.user), or the whole
 * client for open-loop load. When the node is behind, `behind = leader`
 * sends the read to the leader instead (leader_fallbacks), and `behind =
 * wait` parks it at the node until the node has applied the log position
 * the guarantee needs (the lsn of the session's last write of the key, of
 * the version it last read, or its causal dependency lsn), then it queues
 * for a worker there (session_waits, session_wait_ms_mean). Parked reads
 * leave in order of that lsn as the node applies (a min-heap per node). A
 * node that crashes fails its parked and queued requests; at a failover
 * every follower copies the new leader's state, so parked reads are released
 * then (they see every write that survived; a session's lost write shows as
 * a ryw violation). Work in service at a crashing node ends as before: a
 * read returns what the node had, a write fails at the commit.
 *
 * Staleness: the truth is the newest committed version of each key; a read
 * that returns an older one is stale, by how many versions, and by how long
 * since the newest version committed (a lower bound of how far behind it
 * is); it is judged when the node serves the read (for a quorum, when its
 * last node does). Leader failure comes from the fault schedule (`[fault]`
 * with `target` this component, `replica` the leader's index, `action =
 * crash`): writes and leader reads fail until, `failover` later, the
 * follower with the longest log becomes leader. Acknowledged writes it never
 * received are lost (lost_writes), and the truth of their keys returns to
 * its version. A crashed node that recovers copies the leader's state, and
 * that acknowledges every write still waiting for its ack.
 *
 * Partitions (`[fault]` with `action = partition`, `replica` a follower):
 * the follower is cut off from the other nodes, not from the clients. The
 * leader's stream stops reaching it (messages arriving during the cut are
 * lost), so it keeps serving reads from the state it had at the cut,
 * increasingly stale; semi_sync / sync writes that need its ack wait, as for a crashed
 * follower. The leader keeps the log from the follower's position (the
 * follower is up), and at the heal resumes streaming: the missed writes
 * arrive in log order, each replication_delay after the heal (never before
 * the previous one), so waiting writes get their acks then. If a failover
 * happened meanwhile, or the log no longer holds its position (it crashed
 * too), the follower copies the leader's state instead, like a recovered
 * node (writes waiting for its ack then keep waiting). A cut-off follower
 * cannot be elected or resynced at a failover. A partitioned leader is
 * refused at build time (node 0, or replica = all): with it cut off from the
 * majority the followers would elect a new one while it kept accepting
 * writes, a split brain this model does not elect its way out of. A node
 * that became leader by a failover and is then partitioned stops its
 * stream (followers stop receiving), keeps serving clients, and is not
 * replaced (no failure detector); at the heal the followers resume.
 *
 * Other node faults (struct nodefault, per node, `replica` any node or
 * all): slow(factor=F) multiplies the node's worker times by F: its reads,
 * the writes it leads (write_time) and, with apply_time, each replicated
 * write it applies, so a slow follower falls behind and its reads go
 * stale; replication_delay is the network and stays. errors(rate=P) fails
 * that share of the requests the node serves when their service ends: a
 * read (a quorum read whose part fails fails), or a write it leads, before
 * its commit (nothing is written or streamed); applies never fail. The
 * draws come from the node's own stream ("node<i>.faults"), so a run
 * without errors draws nothing new. latency(add=D) adds D to every reply
 * the node sends, after its service (its worker is free meanwhile).
 *
 * A conditional write (OP_CAS) is treated as a plain write. A write waiting
 * for follower acks waits as long as it takes (a client timeout ends it)
 * when too few followers are up. With unbounded workers, no distances and
 * read_from = any, a quorum read is one event that reads its r nodes when
 * the slowest is done (as before nodes had queues); otherwise each of its r
 * parts is served (and judged) at its own node.
 *
 * Nodes (models/kinds/nodeset.h) keep the set of up nodes as crashes and
 * recoveries happen: a read's node, or a quorum's r nodes, is chosen in
 * O(log n) (O(r log n)), with the draws and nodes of a list of the up
 * nodes by index (random) or by distance (nearest); the log is trimmed
 * from a min-tree of the up followers' positions, O(log n) per apply.
 *
 * Cost: O(replicas) events per write (the stream to every follower, inherent
 * to the model); O(log replicas) more per event; two 16-byte hash-map entries
 * per key per node (version, log position), in tables at most half full: 64
 * to 128 bytes per key per node (README.md); 16 per (session, key) for each
 * session guarantee, one pooled job per request at a node; the log holds
 * writes until every follower that is up has applied them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/data/keymap.h"
#include "models/kind.h"
#include "models/kinds/nodefault.h"
#include "models/kinds/nodeset.h"
#include "models/kinds/station.h" /* station_read_queue */
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define RS_MAX_NODES 65536 /* NODESET_MAX */
#define NODE_COLUMNS 10  /* nodes with per-node metrics in runs.csv */
#define JOB_CHUNK 256    /* jobs allocated at once */
#define SESSION_SHIFT 40 /* session keys: (session << 40) | key; keys must be < 2^40 */

enum rs_level { RS_STRONG, RS_EVENTUAL, RS_RYW, RS_MONOTONIC, RS_CAUSAL, RS_QUORUM };
enum rs_ack { ACK_ASYNC, ACK_SEMI, ACK_SYNC };
enum job_type { JOB_READ, JOB_PART, JOB_WRITE, JOB_APPLY };

/* One request's work at one node (a quorum read has r of them), from its
 * arrival at the node to the end of its service, or a follower's apply of
 * one write (apply_time). Pooled. */
struct job {
    struct request *r; /* NULL for an apply */
    struct job *next;  /* free list */
    uint64_t need;     /* parked: the lsn the node must have applied; apply: its lsn */
    uint64_t seq;      /* parked: arrival order, so ties leave first come first;
                          apply: the epoch it belongs to */
    int64_t since_ns;  /* parked: since when; queued: since when */
    uint32_t node;
    uint8_t type;      /* enum job_type */
};

struct rnode {
    struct keymap ver;      /* key -> version applied here */
    struct keymap lsn;      /* key -> lsn of that version */
    uint64_t applied_lsn;   /* every write up to here is applied (log prefix) */
    int64_t last_apply_ns;  /* the stream's previous apply: applies stay in order */
    uint64_t delivered_lsn; /* apply_time: the stream has delivered up to here */
    bool applying;          /* apply_time: an apply job is queued or in service */
    struct rset *s;         /* its replica set (an apply event's argument is the node) */
    struct nodefault *nf;   /* crash, slow, errors, latency (nf->up: not crashed): in s->ns */
    struct rng *fault_rng;  /* errors(rate=): which of its requests fail: in s->ns */
    bool cut;               /* partitioned from the other nodes */
    bool gapless;           /* once its stream was cut: apply only the next lsn */
    uint32_t cut_epoch;     /* s->epoch when the partition began */
    int64_t dist_ns;        /* one-way delay between the clients and this node */
    uint32_t busy;          /* workers serving */
    struct job **q;         /* FIFO ring of jobs waiting for a worker */
    size_t qcap, qhead, qlen;
    struct job **park;      /* min-heap by (need, seq): reads waiting for applies */
    size_t npark, parkcap;
    struct level busy_lv, queue_lv;
};

struct wentry {
    uint64_t key, version;
    struct request *waiting; /* a write waiting for follower acks, or NULL */
    uint32_t acks;
    bool acked;              /* the client was told it succeeded */
};

struct rset {
    struct component base;
    uint32_t n, leader;
    struct rnode *node;             /* n of them */
    struct nodeset ns;              /* fault states, distances, the set of up nodes */
    uint64_t *low;                  /* min-tree over nodes: applied_lsn of an up follower,
                                       else UINT64_MAX; low[1] is the least (trim) */
    uint32_t low_size;              /* leaves: a power of two >= n */
    uint32_t *qnodes;               /* one-event quorums in flight: quorum_r nodes each */
    uint32_t *qfree;                /* free slots of qnodes */
    uint32_t *qscratch;             /* quorum_r nodes: a quorum read in parts */
    size_t nq, qcap, nqfree, qfree_cap;
    bool leader_down;
    uint32_t epoch;                 /* leaders so far; a new leader drops the old stream */
    enum rs_level level;
    uint32_t quorum_r;
    enum rs_ack ack;
    uint32_t ack_k;
    bool nearest;                   /* read_from = nearest */
    bool wait;                      /* behind = wait */
    bool one_event_quorum;          /* unbounded, no distances, random: the old quorum */
    uint32_t workers;               /* per node; 0: unbounded */
    long long queue_cap;            /* per node; -1: unbounded */
    int64_t failover_ns;
    struct dist write_time, read_time, repl_delay, apply_time;
    bool has_apply_time;            /* apply_time given: applies take a worker */
    struct keymap truth, truth_ns;  /* key -> newest committed version, its commit time */
    struct keymap sess_w, sess_r;   /* (session, key) -> version last written / read */
    struct keymap sess_wlsn, sess_rlsn; /* (session, key) -> lsn of those versions (wait) */
    struct keymap sess_dep;         /* session -> lsn the session depends on (causal) */
    struct wentry *log;             /* log[i] holds lsn base_lsn + i */
    size_t log_len, log_cap;
    uint64_t base_lsn, next_lsn;
    struct job *free_jobs;
    struct job **chunks;
    size_t nchunks, chunks_cap;
    uint64_t park_seq;
    struct rng rng;
    /* Measured counters. */
    uint64_t reads, stale, behind_versions, writes, lost, failed, fallbacks;
    uint64_t ryw_violations; /* reads older than the session's own last write of the key */
    uint64_t queue_full, waits;
    double behind_ns, waited_ns;
};

static const struct param_spec params[] = {
    {"replicas", "int", "3",
     "nodes; node 0 leads at the start (1..65536; a write is streamed to each follower)"},
    {"consistency", "level", "eventual",
     "strong | eventual | read_your_writes | monotonic_reads | causal | quorum(r=2)"},
    {"ack", "policy", "async", "async | semi_sync(k=1) | sync: when a write is acknowledged"},
    {"write_time", "dist", "exp(mean=1ms)", "leader: a worker's time from request to commit"},
    {"read_time", "dist", "exp(mean=1ms)", "a worker's time for a read at the node that serves it"},
    {"replication_delay", "dist", "exp(mean=10ms)",
     "commit to arrival at a follower (applied then, or after apply_time)"},
    {"failover", "duration", "5s", "leader crash to the new leader"},
    {"apply_time", "dist", "",
     "a follower worker's time to apply one replicated write, one at a time in log "
     "order (absent: free)"},
    {"workers", "int|unbounded", "unbounded", "requests each node serves at once"},
    {"queue", "int|unbounded", "unbounded",
     "waiting places per node; a request that finds them full fails (queue_full)"},
    {"distance", "durations", "0",
     "one-way delay from the clients to each node, one per node (or one for all), "
     "paid both ways: e.g. 1ms, 1ms, 40ms"},
    {"read_from", "any|nearest", "any",
     "non-strong reads: a random up node, or the up node with the smallest distance"},
    {"behind", "leader|wait", "leader",
     "a session read at a node that lacks what the session needs goes to the leader, or "
     "waits there until the node has applied it"},
    {NULL, NULL, NULL, NULL},
};

static const char *const busy_names[NODE_COLUMNS] = {
    "node0_busy", "node1_busy", "node2_busy", "node3_busy", "node4_busy",
    "node5_busy", "node6_busy", "node7_busy", "node8_busy", "node9_busy"};
static const char *const queue_names[NODE_COLUMNS] = {
    "node0_queue", "node1_queue", "node2_queue", "node3_queue", "node4_queue",
    "node5_queue", "node6_queue", "node7_queue", "node8_queue", "node9_queue"};

static struct rset *as_rset(struct component *c)
{
    return (struct rset *)c;
}

static uint64_t get0(const struct keymap *m, uint64_t key)
{
    uint64_t v = keymap_get(m, key);
    return v == KEYMAP_NONE ? 0 : v;
}

static uint64_t session_of(const struct request *r)
{
    return nodeset_session(r);
}

static uint64_t skey(const struct request *r)
{
    return (session_of(r) << SESSION_SHIFT) | (r->key & ((1ULL << SESSION_SHIFT) - 1));
}

static void finish(struct sim *sim, struct rset *s, struct request *r, enum req_status st)
{
    nodeset_finish(sim, &s->ns, r, st);
}

/* The answer leaves node i: it reaches the client distance later (plus a
 * latency fault's added time). */
static void reply(struct sim *sim, struct rset *s, struct request *r, enum req_status st,
                  uint32_t i)
{
    nodeset_reply(sim, &s->ns, r, st, i);
}

/* ---- jobs, workers and queues -------------------------------------------
 * The nodes keep their own workers and queues rather than a station
 * (models/kinds/station.h), whose results would differ: a station queues
 * requests and keeps their state in the request's top frame, while a node
 * queues jobs (an apply has no request; a quorum read waits at r nodes at
 * once); a finished job frees its worker first but starts the next queued
 * job only after its outcome (commit, replication, reply), whose draws from
 * the component's stream and whose events come first, where a station
 * starts it at the release; a slow node rounds the drawn time and then the
 * slowed one (nodefault_service_ns), a station rounds once; and an apply
 * job ignores the queue's capacity (an apply is never refused). */

static struct job *job_new(struct rset *s, struct request *r, uint32_t node, enum job_type t)
{
    if (!s->free_jobs) {
        struct job *chunk = xcalloc(JOB_CHUNK, sizeof *chunk);
        xgrow(&s->chunks, &s->chunks_cap, s->nchunks + 1, sizeof *s->chunks);
        s->chunks[s->nchunks++] = chunk;
        for (size_t i = JOB_CHUNK; i-- > 0;) {
            chunk[i].next = s->free_jobs;
            s->free_jobs = &chunk[i];
        }
    }
    struct job *j = s->free_jobs;
    s->free_jobs = j->next;
    *j = (struct job){.r = r, .node = node, .type = (uint8_t)t};
    return j;
}

static void job_free(struct rset *s, struct job *j)
{
    j->next = s->free_jobs;
    s->free_jobs = j;
}

static bool bounded(const struct rset *s)
{
    return s->workers > 0;
}

static void busy_add(struct sim *sim, struct rset *s, struct rnode *nd, int64_t delta)
{
    nd->busy = (uint32_t)((int64_t)nd->busy + delta);
    sim_level_add(sim, &nd->busy_lv, delta);
    if (bounded(s))
        sim_level_add(sim, &s->base.st.busy, delta);
}

static void queue_push(struct sim *sim, struct rset *s, struct rnode *nd, struct job *j)
{
    if (nd->qlen == nd->qcap) { /* grow, keeping the ring's order */
        size_t cap = nd->qcap ? nd->qcap * 2 : 16;
        struct job **q = xcalloc(cap, sizeof *q);
        for (size_t k = 0; k < nd->qlen; k++)
            q[k] = nd->q[(nd->qhead + k) % nd->qcap];
        free(nd->q);
        nd->q = q;
        nd->qcap = cap;
        nd->qhead = 0;
    }
    nd->q[(nd->qhead + nd->qlen++) % nd->qcap] = j;
    sim_level_add(sim, &nd->queue_lv, 1);
    sim_level_add(sim, &s->base.st.queued, 1);
}

static struct job *queue_pop(struct sim *sim, struct rset *s, struct rnode *nd)
{
    struct job *j = nd->q[nd->qhead];
    nd->qhead = (nd->qhead + 1) % nd->qcap;
    nd->qlen--;
    sim_level_add(sim, &nd->queue_lv, -1);
    sim_level_add(sim, &s->base.st.queued, -1);
    return j;
}

static void on_job_done(struct sim *sim, void *a, void *b);

/* A worker of the job's node takes it now. */
static void start_job(struct sim *sim, struct rset *s, struct job *j)
{
    struct rnode *nd = &s->node[j->node];
    busy_add(sim, s, nd, 1);
    if (bounded(s) && j->type != JOB_APPLY)
        hist_add(s->base.st.wait, sim_now(sim) - j->since_ns);
    struct dist *t = j->type == JOB_WRITE   ? &s->write_time
                     : j->type == JOB_APPLY ? &s->apply_time
                                            : &s->read_time;
    int64_t t_ns = nodefault_service_ns(nd->nf, dist_sample_ns(t, &s->rng));
    sim_after(sim, t_ns, on_job_done, s, j);
}

static void part_end(struct sim *sim, struct rset *s, struct request *r, uint32_t i, bool ok);

/* The job's request fails at its node (down, or its queue is full). */
static void job_fail(struct sim *sim, struct rset *s, struct job *j)
{
    if (j->type == JOB_APPLY) { /* its node crashed: it copies the leader when back */
        s->node[j->node].applying = false;
        job_free(s, j);
        return;
    }
    struct request *r = j->r;
    uint32_t i = j->node;
    bool part = j->type == JOB_PART;
    job_free(s, j);
    if (part)
        part_end(sim, s, r, i, false);
    else
        reply(sim, s, r, REQ_ERROR, i);
}

/* The job wants a worker at its node: now, or in the queue. */
static void submit(struct sim *sim, struct rset *s, struct job *j)
{
    struct rnode *nd = &s->node[j->node];
    j->since_ns = sim_now(sim);
    if (!bounded(s) || nd->busy < s->workers) {
        start_job(sim, s, j);
    } else if (s->queue_cap >= 0 && nd->qlen >= (size_t)s->queue_cap && j->type != JOB_APPLY) {
        s->queue_full += sim->measuring;
        job_fail(sim, s, j);
    } else {
        queue_push(sim, s, nd, j);
    }
}

/* ---- parked reads (behind = wait) ---------------------------------------- */

static bool park_less(const struct job *x, const struct job *y)
{
    return x->need < y->need || (x->need == y->need && x->seq < y->seq);
}

static void park(struct sim *sim, struct rset *s, struct rnode *nd, struct job *j, uint64_t need)
{
    j->need = need;
    j->seq = s->park_seq++;
    j->since_ns = sim_now(sim);
    xgrow(&nd->park, &nd->parkcap, nd->npark + 1, sizeof *nd->park);
    size_t k = nd->npark++;
    while (k > 0 && park_less(j, nd->park[(k - 1) / 2])) {
        nd->park[k] = nd->park[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    nd->park[k] = j;
}

static struct job *unpark(struct rnode *nd)
{
    struct job *top = nd->park[0], *last = nd->park[--nd->npark];
    size_t k = 0;
    for (;;) {
        size_t c = 2 * k + 1;
        if (c >= nd->npark)
            break;
        if (c + 1 < nd->npark && park_less(nd->park[c + 1], nd->park[c]))
            c++;
        if (!park_less(nd->park[c], last))
            break;
        nd->park[k] = nd->park[c];
        k = c;
    }
    if (nd->npark > 0)
        nd->park[k] = last;
    return top;
}

/* Parked reads at node i whose need it has met (all of them: every one)
 * go on to its workers. */
static void release(struct sim *sim, struct rset *s, uint32_t i, bool all)
{
    struct rnode *nd = &s->node[i];
    while (nd->npark > 0 && (all || nd->park[0]->need <= nd->applied_lsn)) {
        struct job *j = unpark(nd);
        if (sim->measuring) {
            s->waits++;
            s->waited_ns += (double)(sim_now(sim) - j->since_ns);
        }
        submit(sim, s, j);
    }
}

/* The log position node i must have applied before it may serve r under a
 * session guarantee (0: none). */
static uint64_t needed_lsn(const struct rset *s, const struct request *r)
{
    switch (s->level) {
    case RS_RYW:
        return get0(&s->sess_wlsn, skey(r));
    case RS_MONOTONIC:
        return get0(&s->sess_rlsn, skey(r));
    case RS_CAUSAL:
        return get0(&s->sess_dep, session_of(r));
    default:
        return 0;
    }
}

/* ---- writes ------------------------------------------------------------- */

static struct wentry *entry(struct rset *s, uint64_t lsn)
{
    if (lsn < s->base_lsn || lsn - s->base_lsn >= s->log_len)
        return NULL;
    return &s->log[lsn - s->base_lsn];
}

/* Node i's leaf of the min-tree: its applied_lsn while it is an up
 * follower, else none. O(log n); called whenever either changes. */
static void low_touch(struct rset *s, uint32_t i)
{
    size_t k = s->low_size + i;
    s->low[k] = s->node[i].nf->up && i != s->leader ? s->node[i].applied_lsn : UINT64_MAX;
    for (k /= 2; k >= 1; k /= 2)
        s->low[k] = s->low[2 * k] < s->low[2 * k + 1] ? s->low[2 * k] : s->low[2 * k + 1];
}

/* Drops log entries every follower that is up has applied. */
static void trim(struct rset *s)
{
    uint64_t low = s->next_lsn;
    if (s->low[1] < low)
        low = s->low[1];
    size_t drop = 0;
    while (drop < s->log_len && s->base_lsn + drop <= low && !s->log[drop].waiting)
        drop++;
    if (drop == 0)
        return;
    memmove(s->log, s->log + drop, (s->log_len - drop) * sizeof *s->log);
    s->log_len -= drop;
    s->base_lsn += drop;
}

static void apply_at(struct rset *s, uint32_t i, uint64_t key, uint64_t version, uint64_t lsn)
{
    struct rnode *nd = &s->node[i];
    keymap_put(&nd->ver, key, version);
    keymap_put(&nd->lsn, key, lsn);
    nd->applied_lsn = lsn;
    if (i != s->leader)
        low_touch(s, i);
}

/* Follower f applies the write at lsn (the next in its log). */
static void applied(struct sim *sim, struct rset *s, uint32_t f, uint64_t lsn)
{
    struct wentry *e = entry(s, lsn);
    if (!e)
        return;
    apply_at(s, f, e->key, e->version, lsn);
    if (++e->acks >= s->ack_k && e->waiting) {
        struct request *r = e->waiting;
        e->waiting = NULL;
        e->acked = true;
        reply(sim, s, r, REQ_OK, s->leader);
    }
    trim(s);
    release(sim, s, f, false);
}

/* With apply_time: follower f's apply lane takes the next delivered write,
 * unless it is busy with one. One at a time keeps log order. */
static void start_apply(struct sim *sim, struct rset *s, uint32_t f)
{
    struct rnode *nd = &s->node[f];
    if (nd->applying || !nd->nf->up || nd->applied_lsn >= nd->delivered_lsn)
        return;
    struct job *j = job_new(s, NULL, f, JOB_APPLY);
    j->need = nd->applied_lsn + 1;
    j->seq = s->epoch;
    nd->applying = true;
    submit(sim, s, j);
}

/* An apply job ends: the write is applied if nothing changed meanwhile (a
 * crash, a failover, a resync past it). */
static void apply_done(struct sim *sim, struct rset *s, uint32_t f, uint64_t lsn, uint64_t epoch)
{
    struct rnode *nd = &s->node[f];
    nd->applying = false;
    if (epoch != s->epoch || s->leader_down || !nd->nf->up || f == s->leader ||
        lsn != nd->applied_lsn + 1)
        return;
    applied(sim, s, f, lsn);
    start_apply(sim, s, f);
}

/* Whether the leader's stream reaches follower f: neither is cut off. */
static bool linked(const struct rset *s, uint32_t f)
{
    return !s->node[f].cut && !s->node[s->leader].cut;
}

/* An apply event's a: the follower; b: epoch (16 bits), lsn (48 bits). */
static void *apply_tag(const struct rset *s, uint64_t lsn)
{
    return (void *)(uintptr_t)((lsn << 16) | (uint64_t)(s->epoch % 0x10000));
}

static void on_apply(struct sim *sim, void *a, void *b)
{
    struct rnode *nd = a;
    struct rset *s = nd->s;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t f = (uint32_t)(nd - s->node), epoch = (uint32_t)(v & 0xffff);
    uint64_t lsn = v >> 16;
    if (epoch != s->epoch % 0x10000 || s->leader_down || !nd->nf->up || lsn <= nd->applied_lsn ||
        f == s->leader || !linked(s, f))
        return; /* a crashed leader ships nothing more; a cut link loses it */
    if (nd->gapless && lsn > (s->has_apply_time ? nd->delivered_lsn : nd->applied_lsn) + 1)
        return; /* sent before a cut, overtaken by the resent stream: it comes again */
    if (s->has_apply_time) {
        if (lsn > nd->delivered_lsn)
            nd->delivered_lsn = lsn;
        start_apply(sim, s, f);
        return;
    }
    applied(sim, s, f, lsn);
}

static void replicate(struct sim *sim, struct rset *s, uint64_t lsn)
{
    for (uint32_t f = 0; f < s->n; f++) {
        struct rnode *nd = &s->node[f];
        if (f == s->leader || !nd->nf->up || !linked(s, f))
            continue;
        int64_t at = sim_now(sim) + dist_sample_ns(&s->repl_delay, &s->rng);
        if (at < nd->last_apply_ns)
            at = nd->last_apply_ns;
        nd->last_apply_ns = at;
        sim_at(sim, at, on_apply, nd, apply_tag(s, lsn));
    }
}

/* A write's service at the leader (node i) ends. */
static void commit(struct sim *sim, struct rset *s, struct request *r, uint32_t i)
{
    if (s->leader_down || sim_top(r)->epoch != s->epoch) {
        reply(sim, s, r, REQ_ERROR, i); /* the leader crashed before the commit */
        return;
    }
    uint64_t lsn = s->next_lsn++, version = get0(&s->truth, r->key) + 1;
    keymap_put(&s->truth, r->key, version);
    keymap_put(&s->truth_ns, r->key, (uint64_t)sim_now(sim));
    apply_at(s, s->leader, r->key, version, lsn);
    if (s->log_len == s->log_cap)
        xgrow(&s->log, &s->log_cap, s->log_cap ? s->log_cap * 2 : 64, sizeof *s->log);
    if (s->log_len == 0)
        s->base_lsn = lsn;
    struct wentry *e = &s->log[s->log_len++];
    *e = (struct wentry){r->key, version, NULL, 0, false};
    keymap_put(&s->sess_w, skey(r), version);
    keymap_put(&s->sess_dep, session_of(r), lsn);
    if (s->wait)
        keymap_put(&s->sess_wlsn, skey(r), lsn);
    s->writes += sim->measuring;
    r->version = version;
    replicate(sim, s, lsn);
    if (s->ack_k == 0) {
        e->acked = true;
        reply(sim, s, r, REQ_OK, i);
    } else {
        e->waiting = r;
    }
}

/* ---- reads -------------------------------------------------------------- */

static bool serves(const struct rset *s, uint32_t i)
{
    return s->node[i].nf->up && (i != s->leader || !s->leader_down);
}

/* A non-strong read's first choice: the nearest up node (ties: the lower
 * index), or a uniformly random one (rng_below(up nodes), the k-th up node
 * by index); UINT32_MAX when none is up. A node serves while it is up (the
 * leader is down only while crashed), so the up set is the serving set. */
static uint32_t first_choice(struct rset *s)
{
    if (s->ns.up == 0)
        return UINT32_MAX;
    return s->nearest ? nodeset_kth_nearest(&s->ns, 0) : nodeset_random(&s->ns, &s->rng);
}

/* The node that serves a read at this level, or UINT32_MAX: none. */
static uint32_t pick_node(struct rset *s, const struct request *r, bool measuring)
{
    uint32_t leader = s->leader_down ? UINT32_MAX : s->leader;
    if (s->level == RS_STRONG)
        return leader;
    uint32_t i = first_choice(s);
    if (i == UINT32_MAX || i == leader || s->wait)
        return i; /* with behind = wait, the node itself decides on arrival */
    const struct rnode *nd = &s->node[i];
    bool behind = false;
    if (s->level == RS_RYW)
        behind = get0(&nd->ver, r->key) < get0(&s->sess_w, skey(r));
    else if (s->level == RS_MONOTONIC)
        behind = get0(&nd->ver, r->key) < get0(&s->sess_r, skey(r));
    else if (s->level == RS_CAUSAL)
        behind = nd->applied_lsn < get0(&s->sess_dep, session_of(r));
    if (!behind)
        return i;
    s->fallbacks += measuring;
    return leader;
}

static void note_read(struct sim *sim, struct rset *s, struct request *r, uint64_t version,
                      uint64_t lsn)
{
    uint64_t truth = get0(&s->truth, r->key);
    if (sim->measuring) {
        s->reads++;
        s->ryw_violations += version < get0(&s->sess_w, skey(r));
        if (version < truth) {
            s->stale++;
            s->behind_versions += truth - version;
            s->behind_ns += (double)(sim_now(sim) - (int64_t)get0(&s->truth_ns, r->key));
        }
    }
    if (version > get0(&s->sess_r, skey(r))) {
        keymap_put(&s->sess_r, skey(r), version);
        if (s->wait)
            keymap_put(&s->sess_rlsn, skey(r), lsn);
    }
    if (lsn > get0(&s->sess_dep, session_of(r)))
        keymap_put(&s->sess_dep, session_of(r), lsn);
    r->version = version;
}

/* A quorum read in parts keeps in its frame: replica = the nodes asked (a
 * bit each), step = parts not yet served, timer = the best answer's lsn,
 * start_ns = when the last answer reaches the client, holds_worker = a part
 * failed. request.version holds the best answer's version. */
static void part_end(struct sim *sim, struct rset *s, struct request *r, uint32_t i, bool ok)
{
    struct frame *f = sim_top(r);
    if (ok) {
        uint64_t v = get0(&s->node[i].ver, r->key);
        if (v >= r->version) {
            r->version = v;
            f->timer = get0(&s->node[i].lsn, r->key);
        }
    } else {
        f->holds_worker = true;
    }
    int64_t back = sim_now(sim) + nodeset_back_ns(&s->ns, i);
    f->start_ns = back > f->start_ns ? back : f->start_ns;
    if (--f->step > 0)
        return;
    if (!f->holds_worker)
        note_read(sim, s, r, r->version, f->timer);
    r->status = (uint8_t)(f->holds_worker ? REQ_ERROR : REQ_OK);
    if (f->start_ns == sim_now(sim))
        finish(sim, s, r, (enum req_status)r->status);
    else
        sim_at(sim, f->start_ns, nodeset_on_back, &s->ns, r);
}

static void on_job_done(struct sim *sim, void *a, void *b)
{
    struct rset *s = a;
    struct job *j = b;
    struct request *r = j->r;
    uint32_t i = j->node;
    enum job_type t = (enum job_type)j->type;
    uint64_t lsn = j->need, epoch = j->seq;
    struct rnode *nd = &s->node[i];
    job_free(s, j);
    busy_add(sim, s, nd, -1);
    /* errors(rate=): a request it served fails (a write before its commit);
     * applies of the stream never do. */
    bool failed = t != JOB_APPLY && nodefault_fails(nd->nf, nd->fault_rng);
    if (t == JOB_APPLY) {
        apply_done(sim, s, i, lsn, epoch);
    } else if (failed && t == JOB_PART) {
        part_end(sim, s, r, i, false);
    } else if (failed) {
        reply(sim, s, r, REQ_ERROR, i);
    } else if (t == JOB_WRITE) {
        commit(sim, s, r, i);
    } else if (t == JOB_PART) {
        part_end(sim, s, r, i, true);
    } else {
        note_read(sim, s, r, get0(&nd->ver, r->key), get0(&nd->lsn, r->key));
        reply(sim, s, r, REQ_OK, i);
    }
    if (nd->nf->up && nd->qlen > 0 && nd->busy < s->workers)
        start_job(sim, s, queue_pop(sim, s, nd));
}

/* A job reaches its node. */
static void arrive(struct sim *sim, struct rset *s, struct job *j)
{
    struct rnode *nd = &s->node[j->node];
    if (!serves(s, j->node) ||
        (j->type == JOB_WRITE && (j->node != s->leader || sim_top(j->r)->epoch != s->epoch))) {
        job_fail(sim, s, j);
        return;
    }
    if (j->type == JOB_READ && s->wait && j->node != s->leader) {
        uint64_t need = needed_lsn(s, j->r);
        if (need >= s->next_lsn)
            need = s->next_lsn - 1; /* a write lost at a failover: what the log has */
        if (nd->applied_lsn < need) {
            park(sim, s, nd, j, need);
            return;
        }
    }
    submit(sim, s, j);
}

static void on_arrive(struct sim *sim, void *a, void *b)
{
    arrive(sim, a, b);
}

/* The job leaves for its node. */
static void travel(struct sim *sim, struct rset *s, struct job *j)
{
    int64_t d = s->node[j->node].dist_ns;
    if (d == 0)
        arrive(sim, s, j);
    else
        sim_after(sim, d, on_arrive, s, j);
}

/* One-event quorums keep the nodes they asked in s->qnodes, quorum_r at
 * slot frame.slot, sorted by index; a free list reuses the slots. */
static uint32_t qslot_new(struct rset *s)
{
    if (s->nqfree > 0)
        return s->qfree[--s->nqfree];
    xgrow(&s->qnodes, &s->qcap, (s->nq + 1) * s->quorum_r, sizeof *s->qnodes);
    return (uint32_t)s->nq++;
}

static void qslot_free(struct rset *s, uint32_t slot)
{
    xgrow(&s->qfree, &s->qfree_cap, s->nqfree + 1, sizeof *s->qfree);
    s->qfree[s->nqfree++] = slot;
}

static int by_index(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* A quorum read as one event (unbounded workers, no distances, random
 * nodes): b is the request; the nodes it asked are at frame.slot. They are
 * read in index order, the newest answer winning (ties: the later node). */
static void on_quorum_done(struct sim *sim, void *a, void *b)
{
    struct rset *s = a;
    struct request *r = b;
    uint32_t slot = sim_top(r)->slot;
    const uint32_t *asked = s->qnodes + (size_t)slot * s->quorum_r;
    uint64_t best = 0, lsn = 0;
    bool failed = false;
    for (uint32_t j = 0; j < s->quorum_r; j++) {
        uint32_t i = asked[j];
        failed |= nodefault_fails(s->node[i].nf, s->node[i].fault_rng);
        uint64_t v = get0(&s->node[i].ver, r->key);
        if (v >= best) {
            best = v;
            lsn = get0(&s->node[i].lsn, r->key);
        }
    }
    qslot_free(s, slot);
    if (failed) { /* a node asked failed it (errors fault): as a failed part */
        finish(sim, s, r, REQ_ERROR);
        return;
    }
    note_read(sim, s, r, best, lsn);
    finish(sim, s, r, REQ_OK);
}

/* A quorum read asks quorum_r distinct up nodes: the nearest ones, or a
 * uniformly random set (a partial Fisher-Yates shuffle of the up nodes by
 * index, O(r log n)). */
static void start_quorum(struct sim *sim, struct rset *s, struct request *r)
{
    if (s->ns.up < s->quorum_r) {
        finish(sim, s, r, REQ_ERROR);
        return;
    }
    struct frame *f = sim_top(r);
    bool one_event = s->one_event_quorum;
    uint32_t *ups;
    if (one_event) {
        f->slot = qslot_new(s);
        ups = s->qnodes + (size_t)f->slot * s->quorum_r;
    } else {
        ups = s->qscratch;
    }
    int64_t wait = 0;
    uint32_t first = UINT32_MAX;
    for (uint32_t j = 0; j < s->quorum_r; j++) { /* each pick, then its read time */
        ups[j] = s->nearest ? nodeset_kth_nearest(&s->ns, j)
                            : nodeset_sample_next(&s->ns, &s->rng, j);
        first = ups[j] < first ? ups[j] : first;
        if (one_event) {
            const struct nodefault *nf = s->node[ups[j]].nf;
            int64_t d = nodefault_service_ns(nf, dist_sample_ns(&s->read_time, &s->rng)) +
                        nodefault_extra_latency_ns(nf);
            wait = d > wait ? d : wait;
        }
    }
    if (!s->nearest)
        nodeset_sample_end(&s->ns);
    f->replica = first; /* the lowest node asked (its track in a trace) */
    if (one_event) {
        qsort(ups, s->quorum_r, sizeof *ups, by_index);
        sim_after(sim, wait, on_quorum_done, s, r);
        return;
    }
    f->step = s->quorum_r;
    f->timer = 0;
    f->start_ns = sim_now(sim);
    f->holds_worker = false;
    r->version = 0;
    for (uint32_t j = 0; j < s->quorum_r; j++)
        travel(sim, s, job_new(s, r, ups[j], JOB_PART));
}

static void start_read(struct sim *sim, struct rset *s, struct request *r)
{
    if (s->level == RS_QUORUM) {
        start_quorum(sim, s, r);
        return;
    }
    uint32_t i = pick_node(s, r, sim->measuring);
    if (i == UINT32_MAX) {
        finish(sim, s, r, REQ_ERROR);
        return;
    }
    sim_top(r)->replica = i;
    travel(sim, s, job_new(s, r, i, JOB_READ));
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct rset *s = as_rset(c);
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    f->epoch = s->epoch;
    c->st.arrivals++;
    sim_level_add(sim, &c->st.insys, 1);
    if (r->op == OP_READ) {
        start_read(sim, s, r);
        return;
    }
    if (s->leader_down) {
        finish(sim, s, r, REQ_ERROR);
        return;
    }
    travel(sim, s, job_new(s, r, s->leader, JOB_WRITE));
}

/* ---- failures ------------------------------------------------------------ */

/* Node i copies the leader's state (a recovered node, or a follower after a
 * failover). */
static void resync(struct rset *s, uint32_t i)
{
    struct rnode *nd = &s->node[i];
    const struct rnode *ld = &s->node[s->leader];
    keymap_clear(&nd->ver);
    keymap_clear(&nd->lsn);
    for (size_t k = 0; ld->ver.slots && k <= ld->ver.mask; k++)
        if (ld->ver.slots[k].val != KEYMAP_NONE)
            keymap_put(&nd->ver, ld->ver.slots[k].key, ld->ver.slots[k].val);
    for (size_t k = 0; ld->lsn.slots && k <= ld->lsn.mask; k++)
        if (ld->lsn.slots[k].val != KEYMAP_NONE)
            keymap_put(&nd->lsn, ld->lsn.slots[k].key, ld->lsn.slots[k].val);
    nd->applied_lsn = ld->applied_lsn;
    nd->delivered_lsn = ld->applied_lsn;
    low_touch(s, i);
}

/* The follower with the longest log leads; acknowledged writes beyond its
 * log are lost, and their keys' truth returns to its versions. */
static void on_failover(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct rset *s = a;
    if (!s->leader_down)
        return; /* the leader came back first */
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->node[i].nf->up && !s->node[i].cut && (best == UINT32_MAX ||
                              s->node[i].applied_lsn > s->node[best].applied_lsn))
            best = i;
    if (best == UINT32_MAX) {
        sim_after(sim, s->failover_ns, on_failover, s, NULL); /* nobody to promote yet */
        return;
    }
    struct rnode *nl = &s->node[best];
    uint64_t cut = nl->applied_lsn;
    for (size_t i = 0; i < s->log_len; i++) {
        const struct wentry *e = &s->log[i];
        if (s->base_lsn + i <= cut)
            continue;
        s->lost += e->acked && sim->measuring;
        keymap_put(&s->truth, e->key, get0(&nl->ver, e->key));
    }
    if (cut + 1 >= s->base_lsn && cut + 1 - s->base_lsn < s->log_len)
        s->log_len = (size_t)(cut + 1 - s->base_lsn);
    s->epoch++;
    s->next_lsn = cut + 1;
    uint32_t old = s->leader;
    s->leader = best;
    s->leader_down = false;
    low_touch(s, old);
    low_touch(s, best);
    nl->delivered_lsn = nl->applied_lsn;
    for (uint32_t i = 0; i < s->n; i++) /* the others catch up from the new leader */
        if (i != best && s->node[i].nf->up && !s->node[i].cut) {
            resync(s, i);
            s->node[i].last_apply_ns = sim_now(sim);
        }
    trim(s);
    for (uint32_t i = 0; i < s->n; i++) /* every node now has all that survived */
        release(sim, s, i, true);
}

/* Node i went down (nodefault_apply has marked it). */
static void crash_node(struct sim *sim, struct rset *s, uint32_t i)
{
    struct rnode *nd = &s->node[i];
    s->base.st.replicas_up--;
    while (nd->qlen > 0) /* its queued and parked requests fail */
        job_fail(sim, s, queue_pop(sim, s, nd));
    while (nd->npark > 0)
        job_fail(sim, s, unpark(nd));
    if (i != s->leader || s->leader_down)
        return;
    s->leader_down = true;
    for (size_t k = 0; k < s->log_len; k++) { /* writes waiting for acks fail */
        struct request *r = s->log[k].waiting;
        s->log[k].waiting = NULL;
        if (r)
            reply(sim, s, r, REQ_ERROR, i);
    }
    sim_after(sim, s->failover_ns, on_failover, s, NULL);
}

/* Node i is back (nodefault_apply has marked it up). */
static void recover_node(struct sim *sim, struct rset *s, uint32_t i)
{
    s->base.st.replicas_up++;
    s->node[i].last_apply_ns = sim_now(sim);
    if (i == s->leader && s->leader_down) {
        s->leader_down = false; /* back before the failover */
        return;
    }
    if (s->node[i].cut)
        return; /* it cannot reach the leader: it catches up at the heal */
    uint64_t had = s->node[i].applied_lsn;
    resync(s, i);
    /* The copy holds every write up to the leader's log end: each write
     * still waiting for acks gets this follower's, as if streamed. */
    for (size_t k = 0; k < s->log_len; k++) {
        struct wentry *e = &s->log[k];
        uint64_t lsn = s->base_lsn + k;
        if (lsn <= had || lsn > s->node[i].applied_lsn || !e->waiting)
            continue;
        if (++e->acks >= s->ack_k) {
            struct request *r = e->waiting;
            e->waiting = NULL;
            e->acked = true;
            reply(sim, s, r, REQ_OK, s->leader);
        }
    }
    trim(s);
}

/* Follower f is reachable again: the leader resends what it missed, in
 * log order, or it copies the leader's state when the log cannot (a
 * failover since the cut, or entries trimmed while it was down). */
static void resume(struct sim *sim, struct rset *s, uint32_t f, uint32_t since_epoch)
{
    struct rnode *nd = &s->node[f];
    uint64_t from = (s->has_apply_time ? nd->delivered_lsn : nd->applied_lsn) + 1;
    if (since_epoch != s->epoch || (from < s->next_lsn && from < s->base_lsn)) {
        resync(s, f);
        nd->last_apply_ns = sim_now(sim);
        release(sim, s, f, false);
        return;
    }
    for (uint64_t lsn = from; lsn < s->next_lsn; lsn++) {
        int64_t at = sim_now(sim) + dist_sample_ns(&s->repl_delay, &s->rng);
        if (at < nd->last_apply_ns)
            at = nd->last_apply_ns;
        nd->last_apply_ns = at;
        sim_at(sim, at, on_apply, nd, apply_tag(s, lsn));
    }
}

static void partition(struct sim *sim, struct component *c, int32_t replica, bool start)
{
    struct rset *s = as_rset(c);
    for (uint32_t i = 0; i < s->n; i++) {
        struct rnode *nd = &s->node[i];
        if ((replica >= 0 && (uint32_t)replica != i) || nd->cut == start)
            continue;
        nd->cut = start;
        if (start) {
            nd->cut_epoch = s->epoch;
            for (uint32_t f = 0; f < s->n; f++) /* the followers it no longer reaches */
                if (f == i || i == s->leader)
                    s->node[f].gapless = true;
            continue;
        }
        for (uint32_t f = 0; f < s->n; f++)
            if (f != s->leader && s->node[f].nf->up && linked(s, f) && (f == i || i == s->leader))
                resume(sim, s, f, nd->cut_epoch);
    }
}

static const char *partition_refused(const struct component *c, int32_t replica)
{
    const struct rset *s = (const struct rset *)c;
    if (replica < 0)
        return "replica = all would cut the leader off too: partition applies to followers, "
               "one per fault";
    if ((uint32_t)replica == s->leader)
        return "node 0 leads at the start: partition applies to followers (a cut-off leader "
               "would need an election, not modelled)";
    return NULL;
}

static void node_changed(struct sim *sim, void *ctx, uint32_t i, enum nodefault_change ch)
{
    struct rset *s = ctx;
    low_touch(s, i);
    if (ch == NODEFAULT_CRASHED)
        crash_node(sim, s, i);
    else
        recover_node(sim, s, i);
}

static void fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                  double value, bool start)
{
    struct rset *s = as_rset(c);
    nodeset_fault(sim, &s->ns, replica, a, value, start, node_changed, s);
}

/* ---- set-up and results -------------------------------------------------- */

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct rset *s = as_rset(c);
    s->reads = s->stale = s->behind_versions = s->writes = s->lost = s->failed = 0;
    s->fallbacks = s->ryw_violations = s->queue_full = s->waits = 0;
    s->behind_ns = s->waited_ns = 0;
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    const struct rset *s = (const struct rset *)c;
    double reads = s->reads ? (double)s->reads : 1, stale = s->stale ? (double)s->stale : 1;
    const struct metric_out m[] = {
        {"reads", (double)s->reads, true},
        {"stale_fraction", (double)s->stale / reads, true},
        {"stale_versions_mean", (double)s->behind_versions / stale, true},
        {"stale_behind_ms_mean", s->behind_ns / stale / 1e6, true},
        {"ryw_violation_fraction", (double)s->ryw_violations / reads, true},
        {"writes", (double)s->writes, true},
        {"lost_writes", (double)s->lost, true},
        {"failed", (double)s->failed, true},
        {"leader_fallbacks", (double)s->fallbacks, true},
        {"queue_full", (double)s->queue_full, true},
        {"session_waits", (double)s->waits, true},
        {"session_wait_ms_mean", s->waits ? s->waited_ns / (double)s->waits / 1e6 : 0, true},
    };
    size_t n = sizeof m / sizeof m[0];
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    for (uint32_t i = 0; i < s->n && i < NODE_COLUMNS && n + 2 <= max; i++) {
        out[n++] = (struct metric_out){busy_names[i],
                                       sim_level_mean(sim, &s->node[i].busy_lv, end_ns), true};
        out[n++] = (struct metric_out){queue_names[i],
                                       sim_level_mean(sim, &s->node[i].queue_lv, end_ns), true};
    }
    return n;
}

static int read_level(struct rset *s, const struct sc_section *sec, struct diag *d)
{
    static const char *const names[] = {"strong", "eventual", "read_your_writes",
                                        "monotonic_reads", "causal", "quorum"};
    struct loc loc;
    struct spec sp;
    if (spec_parse(&sp, kp_raw(sec, params, "consistency", &loc), loc, d) < 0)
        return -1;
    size_t k = 0;
    while (k < 6 && strcmp(names[k], sp.name) != 0)
        k++;
    if (k == 6) {
        const char *near = diag_closest(sp.name, names, 6);
        return diag_error(d, sp.loc, "unknown consistency '%s'%s%s%s", sp.name,
                          near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    s->level = (enum rs_level)k;
    s->quorum_r = 2;
    const struct spec_arg *ra = spec_get(&sp, "r");
    if (s->level == RS_QUORUM && ra) {
        long v = strtol(ra->val, NULL, 10);
        if (v < 1 || v > (long)s->n)
            return diag_error(d, ra->val_loc, "quorum r must be 1..%u", s->n);
        s->quorum_r = (uint32_t)v;
    }
    return 0;
}

static int read_ack(struct rset *s, const struct sc_section *sec, struct diag *d)
{
    struct loc loc;
    struct spec sp;
    if (spec_parse(&sp, kp_raw(sec, params, "ack", &loc), loc, d) < 0)
        return -1;
    if (strcmp(sp.name, "async") == 0) {
        s->ack = ACK_ASYNC, s->ack_k = 0;
    } else if (strcmp(sp.name, "sync") == 0) {
        s->ack = ACK_SYNC, s->ack_k = s->n - 1;
    } else if (strcmp(sp.name, "semi_sync") == 0) {
        const struct spec_arg *ka = spec_get(&sp, "k");
        long v = ka ? strtol(ka->val, NULL, 10) : 1;
        if (v < 1 || v > (long)s->n - 1)
            return diag_error(d, ka ? ka->val_loc : sp.loc, "semi_sync k must be 1..%u",
                              s->n - 1);
        s->ack = ACK_SEMI, s->ack_k = (uint32_t)v;
    } else {
        return diag_error(d, sp.loc, "unknown ack '%s': async, semi_sync(k=1) or sync", sp.name);
    }
    return 0;
}

/* `name = a | b`: *out = true for b. */
static int read_choice(const struct sc_section *sec, const char *key, const char *a,
                       const char *b, bool *out, struct diag *d)
{
    struct loc loc;
    const char *v = kp_raw(sec, params, key, &loc);
    *out = strcmp(v, b) == 0;
    if (!*out && strcmp(v, a) != 0)
        return diag_error(d, loc, "unknown %s '%s': %s or %s", key, v, a, b);
    return 0;
}

static int read_nodes(struct rset *s, const struct sc_section *sec, struct diag *d)
{
    int rc = 0;
    struct loc loc;
    long long v;
    const char *w = kp_raw(sec, params, "workers", &loc);
    if (strcmp(w, "unbounded") == 0 || strcmp(w, "inf") == 0)
        s->workers = 0;
    else if (kp_int(sec, params, "workers", 1, 10000000, &v, d) < 0)
        rc = -1;
    else
        s->workers = (uint32_t)v;
    if (station_read_queue(sec, params, "queue", &s->queue_cap, d) < 0)
        rc = -1;
    if (nodeset_read_distances(&s->ns, sec, params, "distance", d) < 0)
        rc = -1;
    for (uint32_t i = 0; i < s->n; i++)
        s->node[i].dist_ns = s->ns.dist_ns[i];
    bool b;
    if (read_choice(sec, "read_from", "any", "nearest", &b, d) < 0)
        rc = -1;
    s->nearest = b;
    if (read_choice(sec, "behind", "leader", "wait", &b, d) < 0)
        rc = -1;
    s->wait = b;
    s->one_event_quorum = s->workers == 0 && !s->nearest && !nodeset_has_distances(&s->ns);
    return rc;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *sec,
                 struct diag *d)
{
    struct rset *s = as_rset(c);
    long long n;
    int rc = 0;
    if (kp_int(sec, params, "replicas", 1, RS_MAX_NODES, &n, d) < 0)
        rc = -1, n = 1;
    s->n = (uint32_t)n;
    sim_stats_init(sim, &c->st, true);
    nodeset_init(&s->ns, sim, c, s->n);
    s->ns.failed = &s->failed;
    s->node = xcalloc(s->n, sizeof *s->node);
    s->low_size = 1;
    while (s->low_size < s->n)
        s->low_size *= 2;
    s->low = xcalloc(2 * (size_t)s->low_size, sizeof *s->low);
    for (size_t k = 0; k < 2 * (size_t)s->low_size; k++)
        s->low[k] = UINT64_MAX;
    for (uint32_t i = 0; i < s->n; i++) {
        s->node[i].s = s;
        s->node[i].nf = &s->ns.nf[i];
        s->node[i].fault_rng = &s->ns.fault_rng[i];
        keymap_init(&s->node[i].ver);
        keymap_init(&s->node[i].lsn);
        sim_level_init(sim, &s->node[i].busy_lv);
        sim_level_init(sim, &s->node[i].queue_lv);
    }
    keymap_init(&s->truth);
    keymap_init(&s->truth_ns);
    keymap_init(&s->sess_w);
    keymap_init(&s->sess_r);
    keymap_init(&s->sess_wlsn);
    keymap_init(&s->sess_rlsn);
    keymap_init(&s->sess_dep);
    s->next_lsn = 1;
    s->base_lsn = 1;
    bool present;
    for (uint32_t i = 0; i < s->n; i++) /* node 0 leads; the followers have applied 0 */
        low_touch(s, i);
    if (read_level(s, sec, d) < 0 || read_ack(s, sec, d) < 0)
        rc = -1;
    s->qscratch = xcalloc(s->quorum_r ? s->quorum_r : 1, sizeof *s->qscratch);
    if (read_nodes(s, sec, d) < 0)
        rc = -1;
    if (kp_dist(sec, params, "write_time", DIST_DURATION, &s->write_time, &present, d) < 0 ||
        kp_dist(sec, params, "read_time", DIST_DURATION, &s->read_time, &present, d) < 0 ||
        kp_dist(sec, params, "replication_delay", DIST_DURATION, &s->repl_delay, &present,
                d) < 0 ||
        kp_duration(sec, params, "failover", &s->failover_ns, d) < 0 ||
        kp_dist(sec, params, "apply_time", DIST_DURATION, &s->apply_time, &s->has_apply_time,
                d) < 0)
        rc = -1;
    rng_stream(&s->rng, sim->seed, c->name, "replicaset");
    c->st.replicas_up = s->n;
    c->st.servers = (double)s->n * (double)s->workers; /* 0: unbounded, no utilisation */
    return rc;
}

static void fini(struct component *c)
{
    struct rset *s = as_rset(c);
    for (uint32_t i = 0; i < s->n; i++) {
        keymap_fini(&s->node[i].ver);
        keymap_fini(&s->node[i].lsn);
        free(s->node[i].q);
        free(s->node[i].park);
    }
    free(s->node);
    nodeset_fini(&s->ns);
    free(s->low);
    free(s->qnodes);
    free(s->qfree);
    free(s->qscratch);
    keymap_fini(&s->truth);
    keymap_fini(&s->truth_ns);
    keymap_fini(&s->sess_w);
    keymap_fini(&s->sess_r);
    keymap_fini(&s->sess_wlsn);
    keymap_fini(&s->sess_rlsn);
    keymap_fini(&s->sess_dep);
    for (size_t i = 0; i < s->nchunks; i++)
        free(s->chunks[i]);
    free(s->chunks);
    free(s->log);
    dist_fini(&s->write_time);
    dist_fini(&s->read_time);
    dist_fini(&s->repl_delay);
    if (s->has_apply_time)
        dist_fini(&s->apply_time);
}

static uint32_t nodes(const struct component *c)
{
    return ((const struct rset *)c)->n;
}

const struct kind kind_replicaset = {
    .name = "replicaset",
    .summary = "leader-follower replicated store: async/semi-sync/sync replication, consistency "
               "levels, node queues and distances, stale reads, failover and lost writes",
    .params = params,
    .size = sizeof(struct rset),
    .build = build,
    .on_request = on_request,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .fault = fault,
    .partition = partition,
    .partition_refused = partition_refused,
    .nodes = nodes,
};
