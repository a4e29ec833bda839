/* shards: a store split into shards (issue 7). The shards are other
 * components (stores, usually), listed in `to`; each keeps its own workers
 * and queue, so per-shard load and utilisation are their rows of
 * components.csv. This component only routes: every request goes to the
 * shard that owns its key under `sharding` (models/data/shard_route.h), and the
 * reply comes back through it. `active` shards are in use at the start; the
 * rest are spares.
 *
 * Resharding: at `reshard_at` the router switches to `reshard_to` shards
 * (adding spares or removing the last ones). Every key of [0, key_space)
 * whose owner changes is counted as moved (moved_fraction: the scheme's
 * cost). The moved keys are then copied in key order at `bandwidth` keys
 * per second; until its copy is done a moving key is served by its old
 * owner (`move = copy`) or refused (`move = offline`, counted in
 * unavailable). Keys outside [0, key_space) are not counted and never wait.
 *
 *   [shards data]
 *   to         = db0, db1, db2, db3
 *   active     = 3
 *   sharding   = consistent_hash(vnodes=3)
 *   reshard_at = 300s
 *   reshard_to = 4
 *
 * Cost: one router lookup per request (two while a copy runs, plus a binary
 * search of the moved keys); O(key_space) once at the resharding, and 8
 * bytes per moved key until the copy ends. */
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/nodeload.h"
#include "models/data/shard_route.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define SHARDS_MAX 65536 /* shards (each a component in `to`) */
#define SHARE_COLUMNS 16 /* per-shard request shares reported in runs.csv */

struct shards {
    struct component base;
    struct shard_router cur, old; /* old: the layout before the resharding, while copying */
    bool copying;
    uint64_t key_space;
    int64_t reshard_at_ns;        /* < 0: never */
    uint32_t reshard_to;
    bool offline;                 /* move = offline */
    double bandwidth_per_s;       /* keys copied per second */
    int64_t copy_start_ns, copy_end_ns;
    uint64_t *moved;              /* the moved keys, increasing, while copying */
    size_t nmoved;
    uint64_t keys_moved;          /* at the resharding (whole run, not reset at the cut) */
    uint64_t unavailable;         /* requests refused: key being moved (measured) */
    struct nodeload load;         /* requests sent to each shard (measured) */
};

static const struct param_spec params[] = {
    {"to", "component list", NULL, "the shards in order (stores or services), spares last"},
    {"active", "int", "all", "shards in use at the start"},
    {"sharding", "policy", "hash_mod",
     "range(boundaries=) | hash_mod | consistent_hash(vnodes=) | rendezvous | jump"},
    {"key_space", "int", "1000000", "keys [0, key_space): range split and moved-key counts"},
    {"reshard_at", "duration|never", "never", "when the number of shards changes"},
    {"reshard_to", "int", "0", "shards in use after reshard_at"},
    {"move", "copy|offline", "copy",
     "copy: a moving key is served by its old shard until copied; offline: refused"},
    {"bandwidth", "rate", "10000/s", "keys copied per second while resharding"},
    {NULL, NULL, NULL, NULL},
};

static const char *const share_names[SHARE_COLUMNS] = {
    "shard0_share",  "shard1_share",  "shard2_share",  "shard3_share",
    "shard4_share",  "shard5_share",  "shard6_share",  "shard7_share",
    "shard8_share",  "shard9_share",  "shard10_share", "shard11_share",
    "shard12_share", "shard13_share", "shard14_share", "shard15_share",
};

static struct shards *as_shards(struct component *c)
{
    return (struct shards *)c;
}

/* True while key's copy to its new owner has not happened yet. */
static bool is_moving(const struct shards *s, uint64_t key, int64_t now_ns)
{
    size_t lo = 0, hi = s->nmoved;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->moved[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == s->nmoved || s->moved[lo] != key)
        return false;
    double copied = (double)(now_ns - s->copy_start_ns) / 1e9 * s->bandwidth_per_s;
    return (double)lo >= copied;
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct shards *s = as_shards(c);
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    c->st.arrivals++;
    uint32_t i = shard_router_owner(&s->cur, r->key);
    if (s->copying && is_moving(s, r->key, sim_now(sim))) {
        if (s->offline) {
            s->unavailable += sim->measuring;
            c->st.rejected++;
            r->status = REQ_REJECTED;
            sim_reply(sim, r);
            return;
        }
        i = shard_router_owner(&s->old, r->key);
    }
    f->replica = i;
    nodeload_start(&s->load, i, sim_now(sim), sim->measuring);
    sim_level_add(sim, &c->st.insys, 1);
    sim_send(sim, c, r, c->callees[i]);
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct frame *f = sim_top(r);
    sim_level_add(sim, &c->st.insys, -1);
    hist_add(c->st.resp, sim_now(sim) - f->arrive_ns);
    if (r->status == REQ_OK)
        c->st.completed++;
    else
        c->st.errors++;
    sim_reply(sim, r);
}

static void copy_done(struct sim *sim, void *a, void *b)
{
    (void)sim;
    (void)b;
    struct shards *s = a;
    s->copying = false;
    free(s->moved);
    s->moved = NULL;
    s->nmoved = 0;
}

/* Counts and lists the keys whose owner changes, then starts the copy. */
static void reshard(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct shards *s = a;
    shard_router_resize(&s->cur, s->reshard_to);
    size_t cap = 1024;
    s->moved = xmalloc(cap * sizeof *s->moved);
    for (uint64_t k = 0; k < s->key_space; k++) {
        if (shard_router_owner(&s->cur, k) == shard_router_owner(&s->old, k))
            continue;
        if (s->nmoved == cap)
            xgrow(&s->moved, &cap, cap * 2, sizeof *s->moved);
        s->moved[s->nmoved++] = k;
    }
    s->keys_moved = s->nmoved;
    s->copying = true;
    s->copy_start_ns = sim_now(sim);
    double copy_ns = (double)s->nmoved / s->bandwidth_per_s * 1e9;
    s->copy_end_ns =
        sim_now(sim) + (copy_ns < (double)UNITS_TIME_MAX_NS ? (int64_t)copy_ns : UNITS_TIME_MAX_NS);
    sim_at(sim, s->copy_end_ns, copy_done, s, NULL);
}

static void start(struct sim *sim, struct component *c)
{
    struct shards *s = as_shards(c);
    if (s->reshard_at_ns >= 0)
        sim_at(sim, s->reshard_at_ns, reshard, s, NULL);
}

static void reset(struct sim *sim, struct component *c)
{
    struct shards *s = as_shards(c);
    s->unavailable = 0;
    nodeload_reset(&s->load, sim_now(sim));
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim;
    const struct shards *s = (const struct shards *)c;
    size_t n = 0;
    out[n++] = (struct metric_out){"keys_moved", (double)s->keys_moved, true};
    out[n++] = (struct metric_out){"moved_fraction",
                                   (double)s->keys_moved / (double)s->key_space, true};
    out[n++] = (struct metric_out){"copy_s", (double)(s->copy_end_ns - s->copy_start_ns) / 1e9,
                                   true};
    out[n++] = (struct metric_out){"unavailable", (double)s->unavailable, true};
    uint64_t total = 0;
    for (size_t i = 0; i < c->ncallees; i++)
        total += s->load.routed[i];
    for (size_t i = 0; i < c->ncallees && i < SHARE_COLUMNS && n < max; i++)
        out[n++] = (struct metric_out){share_names[i],
                                       total ? (double)s->load.routed[i] / (double)total : 0,
                                       true};
    /* any number of shards: over those in use at the end */
    n += nodeload_metrics(&s->load, s->cur.n, end_ns, out + n, max - n);
    return n;
}

static int read_counts(struct sim *sim, struct shards *s, const struct sc_section *sec,
                       uint32_t *active, struct diag *d)
{
    struct component *c = &s->base;
    if (kind_read_callees(sim, c, sec, "to", true, d) < 0)
        return -1;
    if (c->ncallees > SHARDS_MAX)
        return diag_error(d, sec->loc, "[shards %s]: at most %d shards", sec->name, SHARDS_MAX);
    long long v = (long long)c->ncallees;
    struct loc loc;
    int rc = 0;
    if (strcmp(kp_raw(sec, params, "active", &loc), "all") != 0 &&
        kp_int(sec, params, "active", 1, (long long)c->ncallees, &v, d) < 0)
        rc = -1, v = (long long)c->ncallees;
    *active = (uint32_t)v;
    long long ks, to;
    if (kp_int(sec, params, "key_space", 1, 1000000000, &ks, d) < 0)
        rc = -1, ks = 1;
    s->key_space = (uint64_t)ks;
    if (kp_int(sec, params, "reshard_to", 0, (long long)c->ncallees, &to, d) < 0)
        rc = -1, to = 0;
    s->reshard_to = (uint32_t)to;
    return rc;
}

static int read_reshard(struct shards *s, const struct sc_section *sec, struct diag *d)
{
    struct loc loc;
    int rc = 0;
    s->reshard_at_ns = -1;
    if (strcmp(kp_raw(sec, params, "reshard_at", &loc), "never") != 0) {
        if (kp_duration(sec, params, "reshard_at", &s->reshard_at_ns, d) < 0)
            rc = -1;
        else if (s->reshard_to == 0)
            rc = diag_error(d, loc, "reshard_at needs reshard_to = the new number of shards");
    }
    const char *m = kp_raw(sec, params, "move", &loc);
    if (strcmp(m, "offline") == 0)
        s->offline = true;
    else if (strcmp(m, "copy") != 0)
        rc = diag_error(d, loc, "bad move '%s': copy or offline", m);
    const char *bw = kp_raw(sec, params, "bandwidth", &loc), *why;
    if (units_parse_rate(bw, &s->bandwidth_per_s, &why) < 0 || !(s->bandwidth_per_s > 0))
        rc = diag_error(d, loc, "bad bandwidth '%s': keys per second, e.g. 10000/s", bw);
    return rc;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *sec,
                 struct diag *d)
{
    struct shards *s = as_shards(c);
    uint32_t active = 1;
    if (read_counts(sim, s, sec, &active, d) < 0)
        return -1;
    int rc = read_reshard(s, sec, d);
    struct loc loc;
    const char *text = kp_raw(sec, params, "sharding", &loc);
    uint32_t cap = (uint32_t)c->ncallees;
    struct rng ring; /* consistent_hash(ring_seed=run): both layouts share the run's ring */
    rng_stream(&ring, sim->seed, c->name, "ring");
    if (shard_router_setup(&s->cur, text, loc, active, cap, s->key_space, &ring, d) < 0 ||
        shard_router_setup(&s->old, text, loc, active, cap, s->key_space, &ring, d) < 0)
        rc = -1;
    nodeload_init(&s->load, cap, false);
    sim_stats_init(sim, &c->st, true);
    c->st.replicas_up = active;
    return rc;
}

static void fini(struct component *c)
{
    struct shards *s = as_shards(c);
    shard_router_fini(&s->cur);
    shard_router_fini(&s->old);
    nodeload_fini(&s->load);
    free(s->moved);
}

const struct kind kind_shards = {
    .name = "shards",
    .summary = "a store split into shards (the `to` components): routes each key by `sharding`; "
               "resharding at a time, counting and copying the keys that move",
    .params = params,
    .size = sizeof(struct shards),
    .build = build,
    .start = start,
    .on_request = on_request,
    .on_reply = on_reply,
    .reset = reset,
    .fini = fini,
    .metrics = metrics,
    .build_stage = 1,
};
