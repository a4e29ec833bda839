/* balance_least_connections: the replica with the fewest requests in flight
 * (started by on_start and not yet ended by on_done, whether queued or in
 * service). Ties go uniformly at random to one of ALL the tied replicas, not
 * the first: always taking the lowest index would pile the idle periods'
 * traffic on replica 0. This is nginx's least_conn and HAProxy's leastconn
 * without weights (nginx, ngx_http_upstream_least_conn_module; the naive
 * version scans every replica on every pick, which is what this file avoids).
 *
 * Data structure: the replicas sorted by count in one array, order[], cut
 * into buckets of equal count: bucket c is order[first[c] .. first[c+1]),
 * with first[c] = n for every c above the largest count. pos[] is the
 * inverse of order[]. A count changes by one at a time, so a replica moves
 * to the neighbouring bucket by swapping it with the last (increment) or
 * first (decrement) member of its own bucket and moving that boundary by
 * one: O(1), as in the O(1) LFU of Shah, Mitra and Matani (2010). The minimum
 * is the count of order[0] and its ties are order[0 .. first[min+1]), so a
 * pick is one random index: O(1). Memory: n + (largest count) words.
 *
 * Stale load information (refresh > 0): the decision uses a snapshot of the
 * counts taken lazily at a pick once now - snapshot >= refresh (O(n + largest
 * count), so at most once per interval), as when counts come from periodic
 * load reports. By default the policy does NOT add its own picks to the
 * snapshot between refreshes: it then models one of many balancers reading
 * the same report (each sees a negligible share of the traffic), and every
 * request of an interval goes to the replica that was least loaded at the
 * last report: the herd effect (Mitzenmacher, "How useful is old information?",
 * IEEE TPDS 2000). count_picks=true adds its own picks (never its own
 * completions) to the snapshot, as a single real balancer would, which tames
 * the herd. With refresh = 0 the counts are exact and count_picks is moot.
 *
 * Resizing (an autoscaler): only the eligible replicas [0, n) are in the
 * buckets; the others keep exact counts (they still finish requests) and
 * rejoin with them. A resize rebuilds the buckets: O(n + largest count). */
#include "models/balance/balance.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

struct lc {
    uint32_t *order;   /* replicas by view count, ascending */
    uint32_t *pos;     /* pos[order[k]] == k */
    uint32_t *view;    /* the counts the decision uses: exact, or snapshot; for i < nin */
    uint32_t *exact;   /* requests in flight now */
    uint32_t *first;   /* first[c]: start of bucket c in order; nin above the max */
    size_t nfirst;     /* entries of first[] */
    uint32_t nin;      /* replicas [0, nin) are in the buckets: b->n after the last resize */
    int64_t refresh_ns; /* 0: exact counts */
    int64_t snap_ns;   /* when the snapshot was taken */
    bool have_snap;    /* false until the first pick (refresh > 0 only) */
    bool count_picks;  /* own picks go into the snapshot between refreshes */
};

/* Makes first[c] addressable, filling new entries with n (empty buckets). */
static void ensure_first(struct lc *s, uint32_t n, size_t c)
{
    if (c < s->nfirst)
        return;
    size_t old = s->nfirst;
    xgrow(&s->first, &s->nfirst, c + 1, sizeof *s->first);
    for (size_t k = old; k < s->nfirst; k++)
        s->first[k] = n;
}

static uint32_t first_at(const struct lc *s, uint32_t n, size_t c)
{
    return c < s->nfirst ? s->first[c] : n;
}

static void swap_slots(struct lc *s, uint32_t a, uint32_t b)
{
    uint32_t ra = s->order[a], rb = s->order[b];
    s->order[a] = rb;
    s->order[b] = ra;
    s->pos[rb] = a;
    s->pos[ra] = b;
}

/* Moves replica i from bucket c to c + 1: O(1) amortised. */
static void view_inc(struct lc *s, uint32_t n, uint32_t i)
{
    uint32_t c = s->view[i];
    uint32_t last = first_at(s, n, (size_t)c + 1) - 1;
    swap_slots(s, s->pos[i], last);
    ensure_first(s, n, (size_t)c + 1);
    s->first[c + 1] = last;
    s->view[i] = c + 1;
}

/* Moves replica i from bucket c to c - 1: O(1). */
static void view_dec(struct lc *s, uint32_t i)
{
    uint32_t c = s->view[i];
    assert(c > 0 && c < s->nfirst && "on_done without on_start");
    uint32_t f = s->first[c];
    swap_slots(s, s->pos[i], f);
    s->first[c] = f + 1;
    s->view[i] = c - 1;
}

/* Rebuilds order, pos and first for the eligible replicas [0, n) from
 * count[] (exact, or view itself) by counting sort, and sets view[i] =
 * count[i] for them: O(n + max). Replicas [n, cap) sit at order[i] = i,
 * outside every bucket (first[c] <= n for all c). */
static void rebuild(struct lc *s, uint32_t n, uint32_t cap, const uint32_t *count)
{
    uint32_t max = 0;
    for (uint32_t i = 0; i < n; i++)
        max = count[i] > max ? count[i] : max;
    ensure_first(s, n, (size_t)max + 1);
    memset(s->first, 0, ((size_t)max + 2) * sizeof *s->first);
    for (uint32_t i = 0; i < n; i++)
        s->first[count[i] + 1]++;
    for (size_t c = 1; c <= (size_t)max + 1; c++)
        s->first[c] += s->first[c - 1];
    for (size_t c = (size_t)max + 2; c < s->nfirst; c++)
        s->first[c] = n;
    /* first[c] now counts the replicas below c: the start of bucket c. Fill
     * the buckets in index order, using first[c] as each bucket's cursor. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = count[i];
        s->view[i] = c;
        uint32_t k = s->first[c]++;
        s->order[k] = i;
        s->pos[i] = k;
    }
    /* Each first[c] advanced to the start of bucket c + 1: shift back. */
    for (size_t c = (size_t)max + 1; c > 0; c--)
        s->first[c] = s->first[c - 1];
    s->first[0] = 0;
    for (uint32_t i = n; i < cap; i++)
        s->order[i] = s->pos[i] = i;
    s->nin = n;
}

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    struct lc *s = b->state;
    assert(s->nin == b->n && "b->n changed without balance_resize");
    if (s->refresh_ns > 0 && (!s->have_snap || b->now_ns - s->snap_ns >= s->refresh_ns)) {
        rebuild(s, b->n, b->cap, s->exact);
        s->snap_ns = b->now_ns;
        s->have_snap = true;
    }
    uint32_t ties = first_at(s, b->n, (size_t)s->view[s->order[0]] + 1);
    return ties == 1 ? s->order[0] : s->order[rng_below(&b->rng, ties)];
}

static void on_start(struct balance *b, uint32_t i)
{
    struct lc *s = b->state;
    s->exact[i]++;
    if ((s->refresh_ns == 0 || s->count_picks) && i < s->nin)
        view_inc(s, s->nin, i);
}

static void on_done(struct balance *b, uint32_t i, int64_t latency_ns)
{
    (void)latency_ns;
    struct lc *s = b->state;
    assert(s->exact[i] > 0 && "on_done without on_start");
    s->exact[i]--;
    if (s->refresh_ns == 0 && i < s->nin)
        view_dec(s, i);
}

/* Replicas that become eligible enter with their exact count (a joining
 * replica's load is known, even to a stale view); the others keep their view.
 * O(n + largest count), like a refresh. */
static void resize(struct balance *b, uint32_t n)
{
    struct lc *s = b->state;
    for (uint32_t i = s->nin; i < n; i++)
        s->view[i] = s->exact[i];
    rebuild(s, n, b->cap, s->view);
}

static const struct param_spec params[] = {
    {"refresh", "duration", "0",
     "decide on a snapshot of the counts refreshed at most this often; 0: exact counts"},
    {"count_picks", "bool", "false",
     "with refresh > 0, add own picks to the snapshot between refreshes (one real balancer)"},
    {NULL, NULL, NULL, NULL},
};

static int read_params(struct lc *s, const struct spec *sp, struct diag *d)
{
    return balance_read_staleness(sp, params, &s->refresh_ns, &s->count_picks, d);
}

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct lc *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->order = xcalloc(b->n, sizeof *s->order);
    s->pos = xcalloc(b->n, sizeof *s->pos);
    s->view = xcalloc(b->n, sizeof *s->view);
    s->exact = xcalloc(b->n, sizeof *s->exact);
    rebuild(s, b->n, b->cap, s->exact); /* all zero: one bucket, index order */
    return read_params(s, sp, d);
}

static void fini(struct balance *b)
{
    struct lc *s = b->state;
    if (!s)
        return;
    free(s->order);
    free(s->pos);
    free(s->view);
    free(s->exact);
    free(s->first);
    free(s);
}

const struct balance_policy balance_least_connections = {
    .head.name = "least_connections",
    .head.summary = "fewest requests in flight, random among ties, O(1); refresh= shows the herd "
               "of stale counts (nginx least_conn; Mitzenmacher 2000)",
    .head.params = params,
    .init = init,
    .pick = pick,
    .on_start = on_start,
    .on_done = on_done,
    .resize = resize,
    .fini = fini,
};
