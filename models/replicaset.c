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
 * Reads take `read_time` at the node that serves them, which `consistency`
 * picks:
 *   strong           the leader
 *   eventual         any node that is up, uniformly
 *   read_your_writes any node, unless it lacks the session's last write of
 *                    the key: then the leader
 *   monotonic_reads  any node, unless it is older than the session's last
 *                    read of the key: then the leader
 *   causal           any node that has applied everything the session wrote
 *                    or read (its applied lsn), else the leader
 *   quorum(r=2)      r distinct nodes; the newest answer wins; latency is the
 *                    slowest of the r
 * A session is a closed-loop user of the client (request.user), or the whole
 * client for open-loop load. Session guarantees fall back to the leader
 * instead of waiting for the follower: their cost shows as leader reads.
 *
 * Staleness: the truth is the newest committed version of each key; a read
 * that returns an older one is stale, by how many versions, and by how long
 * since the newest version committed (a lower bound of how far behind it
 * is). Leader failure comes from the fault schedule (`[fault]` with `target`
 * this component, `replica` the leader's index, `action = crash`): writes and
 * leader reads fail until, `failover` later, the follower with the longest
 * log becomes leader. Acknowledged writes it never received are lost
 * (lost_writes), and the truth of their keys returns to its version. A
 * crashed node that recovers copies the leader's state.
 *
 * A conditional write (OP_CAS) is treated as a plain write. A write waiting
 * for follower acks waits as long as it takes (a client timeout ends it)
 * when too few followers are up.
 *
 * Cost: O(replicas) events per write; 16 bytes per key per node, and the
 * log holds writes until every follower that is up has applied them. */
#include <stdlib.h>
#include <string.h>

#include "models/keymap.h"
#include "models/kind.h"
#include "output/hist.h"
#include "sim/xalloc.h"

#define RS_MAX_NODES 16
#define SESSION_SHIFT 40 /* session keys: (session << 40) | key; keys must be < 2^40 */

enum rs_level { RS_STRONG, RS_EVENTUAL, RS_RYW, RS_MONOTONIC, RS_CAUSAL, RS_QUORUM };
enum rs_ack { ACK_ASYNC, ACK_SEMI, ACK_SYNC };

struct rnode {
    struct keymap ver;      /* key -> version applied here */
    struct keymap lsn;      /* key -> lsn of that version */
    uint64_t applied_lsn;   /* every write up to here is applied (log prefix) */
    int64_t last_apply_ns;  /* the stream's previous apply: applies stay in order */
    bool up;
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
    struct rnode node[RS_MAX_NODES];
    bool leader_down;
    uint32_t epoch;                 /* leaders so far; a new leader drops the old stream */
    enum rs_level level;
    uint32_t quorum_r;
    enum rs_ack ack;
    uint32_t ack_k;
    int64_t failover_ns;
    struct dist write_time, read_time, repl_delay;
    struct keymap truth, truth_ns;  /* key -> newest committed version, its commit time */
    struct keymap sess_w, sess_r;   /* (session, key) -> version last written / read */
    struct keymap sess_dep;         /* session -> lsn the session depends on (causal) */
    struct wentry *log;             /* log[i] holds lsn base_lsn + i */
    size_t log_len, log_cap;
    uint64_t base_lsn, next_lsn;
    struct rng rng;
    /* Measured counters. */
    uint64_t reads, stale, behind_versions, writes, lost, failed, fallbacks;
    uint64_t ryw_violations; /* reads older than the session's own last write of the key */
    double behind_ns;
};

static const struct param_spec params[] = {
    {"replicas", "int", "3", "nodes; node 0 leads at the start (1..16)"},
    {"consistency", "level", "eventual",
     "strong | eventual | read_your_writes | monotonic_reads | causal | quorum(r=2)"},
    {"ack", "policy", "async", "async | semi_sync(k=1) | sync: when a write is acknowledged"},
    {"write_time", "dist", "exp(mean=1ms)", "leader: request to commit"},
    {"read_time", "dist", "exp(mean=1ms)", "a read at the node that serves it"},
    {"replication_delay", "dist", "exp(mean=10ms)", "commit to apply at a follower"},
    {"failover", "duration", "5s", "leader crash to the new leader"},
    {NULL, NULL, NULL, NULL},
};

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
    return r->user == UINT32_MAX ? 0 : (uint64_t)r->user + 1;
}

static uint64_t skey(const struct request *r)
{
    return (session_of(r) << SESSION_SHIFT) | (r->key & ((1ULL << SESSION_SHIFT) - 1));
}

static void finish(struct sim *sim, struct rset *s, struct request *r, enum req_status st)
{
    struct component *c = &s->base;
    r->status = (uint8_t)st;
    sim_level_add(sim, &c->st.insys, -1);
    hist_add(c->st.resp, sim_now(sim) - sim_top(r)->arrive_ns);
    if (st == REQ_OK)
        c->st.completed++;
    else
        c->st.errors++;
    if (st == REQ_ERROR && sim->measuring)
        s->failed++;
    sim_reply(sim, r);
}

/* ---- writes ------------------------------------------------------------- */

static struct wentry *entry(struct rset *s, uint64_t lsn)
{
    if (lsn < s->base_lsn || lsn - s->base_lsn >= s->log_len)
        return NULL;
    return &s->log[lsn - s->base_lsn];
}

/* Drops log entries every follower that is up has applied. */
static void trim(struct rset *s)
{
    uint64_t low = s->next_lsn;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->node[i].up && i != s->leader && s->node[i].applied_lsn < low)
            low = s->node[i].applied_lsn;
    size_t drop = 0;
    while (drop < s->log_len && s->base_lsn + drop <= low && !s->log[drop].waiting)
        drop++;
    if (drop == 0)
        return;
    memmove(s->log, s->log + drop, (s->log_len - drop) * sizeof *s->log);
    s->log_len -= drop;
    s->base_lsn += drop;
}

static void apply_at(struct rnode *nd, uint64_t key, uint64_t version, uint64_t lsn)
{
    keymap_put(&nd->ver, key, version);
    keymap_put(&nd->lsn, key, lsn);
    nd->applied_lsn = lsn;
}

/* An apply event's b: follower (8 bits), epoch (16 bits), lsn (40 bits). */
static void on_apply(struct sim *sim, void *a, void *b)
{
    struct rset *s = a;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t f = (uint32_t)(v & 0xff), epoch = (uint32_t)((v >> 8) & 0xffff);
    uint64_t lsn = v >> 24;
    struct rnode *nd = &s->node[f];
    if (epoch != s->epoch % 0x10000 || s->leader_down || !nd->up || lsn <= nd->applied_lsn ||
        f == s->leader)
        return; /* a crashed leader ships nothing more */
    struct wentry *e = entry(s, lsn);
    if (!e)
        return;
    apply_at(nd, e->key, e->version, lsn);
    if (++e->acks >= s->ack_k && e->waiting) {
        struct request *r = e->waiting;
        e->waiting = NULL;
        e->acked = true;
        finish(sim, s, r, REQ_OK);
    }
    trim(s);
}

static void replicate(struct sim *sim, struct rset *s, uint64_t lsn)
{
    for (uint32_t f = 0; f < s->n; f++) {
        struct rnode *nd = &s->node[f];
        if (f == s->leader || !nd->up)
            continue;
        int64_t at = sim_now(sim) + dist_sample_ns(&s->repl_delay, &s->rng);
        if (at < nd->last_apply_ns)
            at = nd->last_apply_ns;
        nd->last_apply_ns = at;
        uint64_t tag = (lsn << 24) | ((uint64_t)(s->epoch % 0x10000) << 8) | f;
        sim_at(sim, at, on_apply, s, (void *)(uintptr_t)tag);
    }
}

static void on_commit(struct sim *sim, void *a, void *b)
{
    struct rset *s = a;
    struct request *r = b;
    if (s->leader_down || sim_top(r)->epoch != s->epoch) {
        finish(sim, s, r, REQ_ERROR); /* the leader crashed before the commit */
        return;
    }
    uint64_t lsn = s->next_lsn++, version = get0(&s->truth, r->key) + 1;
    keymap_put(&s->truth, r->key, version);
    keymap_put(&s->truth_ns, r->key, (uint64_t)sim_now(sim));
    apply_at(&s->node[s->leader], r->key, version, lsn);
    if (s->log_len == s->log_cap)
        xgrow(&s->log, &s->log_cap, s->log_cap ? s->log_cap * 2 : 64, sizeof *s->log);
    if (s->log_len == 0)
        s->base_lsn = lsn;
    struct wentry *e = &s->log[s->log_len++];
    *e = (struct wentry){r->key, version, NULL, 0, false};
    keymap_put(&s->sess_w, skey(r), version);
    keymap_put(&s->sess_dep, session_of(r), lsn);
    s->writes += sim->measuring;
    r->version = version;
    replicate(sim, s, lsn);
    if (s->ack_k == 0) {
        e->acked = true;
        finish(sim, s, r, REQ_OK);
    } else {
        e->waiting = r;
    }
}

/* ---- reads -------------------------------------------------------------- */

static uint32_t any_up(struct rset *s)
{
    uint32_t ups[RS_MAX_NODES], k = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->node[i].up && (i != s->leader || !s->leader_down))
            ups[k++] = i;
    return k ? ups[rng_below(&s->rng, k)] : UINT32_MAX;
}

/* The node that serves a read at this level, or UINT32_MAX: none. */
static uint32_t pick_node(struct rset *s, const struct request *r, bool measuring)
{
    uint32_t leader = s->leader_down ? UINT32_MAX : s->leader;
    if (s->level == RS_STRONG)
        return leader;
    uint32_t i = any_up(s);
    if (i == UINT32_MAX || i == leader)
        return i;
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
    if (version > get0(&s->sess_r, skey(r)))
        keymap_put(&s->sess_r, skey(r), version);
    if (lsn > get0(&s->sess_dep, session_of(r)))
        keymap_put(&s->sess_dep, session_of(r), lsn);
    r->version = version;
}

/* A read ends: b is the request; the nodes it asked are in frame.replica
 * (a bit per node). */
static void on_read_done(struct sim *sim, void *a, void *b)
{
    struct rset *s = a;
    struct request *r = b;
    uint32_t mask = sim_top(r)->replica;
    uint64_t best = 0, lsn = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (!(mask & (1u << i)))
            continue;
        uint64_t v = get0(&s->node[i].ver, r->key);
        if (v >= best) {
            best = v;
            lsn = get0(&s->node[i].lsn, r->key);
        }
    }
    note_read(sim, s, r, best, lsn);
    finish(sim, s, r, REQ_OK);
}

static void start_read(struct sim *sim, struct rset *s, struct request *r)
{
    uint32_t mask = 0;
    int64_t wait = 0;
    if (s->level == RS_QUORUM) {
        uint32_t ups[RS_MAX_NODES], k = 0;
        for (uint32_t i = 0; i < s->n; i++)
            if (s->node[i].up && (i != s->leader || !s->leader_down))
                ups[k++] = i;
        if (k < s->quorum_r) {
            finish(sim, s, r, REQ_ERROR);
            return;
        }
        for (uint32_t j = 0; j < s->quorum_r; j++) { /* partial Fisher-Yates */
            uint32_t x = j + (uint32_t)rng_below(&s->rng, k - j), t = ups[j];
            ups[j] = ups[x];
            ups[x] = t;
            mask |= 1u << ups[j];
            int64_t d = dist_sample_ns(&s->read_time, &s->rng);
            wait = d > wait ? d : wait;
        }
    } else {
        uint32_t i = pick_node(s, r, sim->measuring);
        if (i == UINT32_MAX) {
            finish(sim, s, r, REQ_ERROR);
            return;
        }
        mask = 1u << i;
        wait = dist_sample_ns(&s->read_time, &s->rng);
    }
    sim_top(r)->replica = mask;
    sim_after(sim, wait, on_read_done, s, r);
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
    sim_after(sim, dist_sample_ns(&s->write_time, &s->rng), on_commit, s, r);
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
        if (s->node[i].up && (best == UINT32_MAX ||
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
    s->leader = best;
    s->leader_down = false;
    for (uint32_t i = 0; i < s->n; i++) /* the others catch up from the new leader */
        if (i != best && s->node[i].up) {
            resync(s, i);
            s->node[i].last_apply_ns = sim_now(sim);
        }
    trim(s);
}

static void crash_node(struct sim *sim, struct rset *s, uint32_t i)
{
    s->node[i].up = false;
    if (i != s->leader || s->leader_down)
        return;
    s->leader_down = true;
    for (size_t k = 0; k < s->log_len; k++) { /* writes waiting for acks fail */
        struct request *r = s->log[k].waiting;
        s->log[k].waiting = NULL;
        if (r)
            finish(sim, s, r, REQ_ERROR);
    }
    sim_after(sim, s->failover_ns, on_failover, s, NULL);
}

static void recover_node(struct rset *s, int64_t now_ns, uint32_t i)
{
    if (s->node[i].up)
        return;
    s->node[i].up = true;
    s->node[i].last_apply_ns = now_ns;
    if (i == s->leader && s->leader_down) {
        s->leader_down = false; /* back before the failover */
        return;
    }
    resync(s, i);
}

static void fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                  double value, bool start)
{
    (void)value;
    struct rset *s = as_rset(c);
    if (a != FAULT_CRASH)
        return;
    for (uint32_t i = 0; i < s->n; i++) {
        if (replica >= 0 && (uint32_t)replica != i)
            continue;
        if (start)
            crash_node(sim, s, i);
        else
            recover_node(s, sim_now(sim), i);
    }
}

/* ---- set-up and results -------------------------------------------------- */

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct rset *s = as_rset(c);
    s->reads = s->stale = s->behind_versions = s->writes = s->lost = s->failed = 0;
    s->fallbacks = s->ryw_violations = 0;
    s->behind_ns = 0;
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    (void)end_ns;
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
    };
    size_t n = sizeof m / sizeof m[0];
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
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

static int build(struct sim *sim, struct component *c, const struct sc_section *sec,
                 struct diag *d)
{
    struct rset *s = as_rset(c);
    long long n;
    int rc = 0;
    if (kp_int(sec, params, "replicas", 1, RS_MAX_NODES, &n, d) < 0)
        rc = -1, n = 1;
    s->n = (uint32_t)n;
    for (uint32_t i = 0; i < s->n; i++) {
        keymap_init(&s->node[i].ver);
        keymap_init(&s->node[i].lsn);
        s->node[i].up = true;
    }
    keymap_init(&s->truth);
    keymap_init(&s->truth_ns);
    keymap_init(&s->sess_w);
    keymap_init(&s->sess_r);
    keymap_init(&s->sess_dep);
    s->next_lsn = 1;
    s->base_lsn = 1;
    bool present;
    if (read_level(s, sec, d) < 0 || read_ack(s, sec, d) < 0)
        rc = -1;
    if (kp_dist(sec, params, "write_time", DIST_DURATION, &s->write_time, &present, d) < 0 ||
        kp_dist(sec, params, "read_time", DIST_DURATION, &s->read_time, &present, d) < 0 ||
        kp_dist(sec, params, "replication_delay", DIST_DURATION, &s->repl_delay, &present,
                d) < 0 ||
        kp_duration(sec, params, "failover", &s->failover_ns, d) < 0)
        rc = -1;
    rng_stream(&s->rng, sim->seed, c->name, "replicaset");
    sim_stats_init(sim, &c->st, true);
    c->st.replicas_up = s->n;
    return rc;
}

static void fini(struct component *c)
{
    struct rset *s = as_rset(c);
    for (uint32_t i = 0; i < s->n; i++) {
        keymap_fini(&s->node[i].ver);
        keymap_fini(&s->node[i].lsn);
    }
    keymap_fini(&s->truth);
    keymap_fini(&s->truth_ns);
    keymap_fini(&s->sess_w);
    keymap_fini(&s->sess_r);
    keymap_fini(&s->sess_dep);
    free(s->log);
    dist_fini(&s->write_time);
    dist_fini(&s->read_time);
    dist_fini(&s->repl_delay);
}

const struct kind kind_replicaset = {
    .name = "replicaset",
    .summary = "leader-follower replicated store: async/semi-sync/sync replication, consistency "
               "levels, stale reads, failover and lost writes",
    .params = params,
    .size = sizeof(struct rset),
    .build = build,
    .on_request = on_request,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .fault = fault,
};
