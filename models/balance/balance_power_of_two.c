/* balance_power_of_two: the power of d choices. Sample d distinct replicas
 * uniformly and send the request to the one with the fewest requests in
 * flight (ties: uniformly at random among the tied sampled ones). With d = 2
 * the maximum load drops from Theta(log n / log log n) (random) to
 * Theta(log log n / log 2), and in the queueing (supermarket) model the tail
 * of the queue lengths falls doubly exponentially: Mitzenmacher, "The power
 * of two choices in randomized load balancing", IEEE TPDS 12(10), 2001
 * (and Azar, Broder, Karlin and Upfal, 1994). d = 1 is random; d = n is
 * least connections.
 *
 * Sampling: a partial Fisher-Yates shuffle of a permutation kept in the state
 * (perm[]). Its first d slots after k swaps are d distinct uniform replicas
 * whatever order perm[] was left in, so it is never reset, except by a resize
 * (an autoscaler): then perm[] is reset to the identity, O(cap), so that its
 * first n slots hold the eligible replicas [0, n), which the swaps keep; d is
 * cut to n while n < d. Cost: O(d) per pick, O(1) per start and done.
 *
 * refresh > 0: the decision uses a snapshot of the counts, copied lazily at a
 * pick once now - snapshot >= refresh (O(n), at most once per interval). As in
 * least_connections, own picks are not added to the snapshot unless
 * count_picks=true. Sampling limits the herd: a stale minimum only wins the
 * samples that include it (Mitzenmacher 2000, "How useful is old
 * information?", where d = 2 is the robust choice). */
#include "models/balance/balance.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/units.h"
#include "sim/xalloc.h"

struct p2c {
    uint32_t *perm;     /* a permutation of [0, cap) whose first n hold [0, n) */
    uint32_t *exact;    /* requests in flight now */
    uint32_t *view;     /* counts the decision uses: == exact when refresh_ns == 0 */
    uint32_t d;         /* choices, 1 <= d <= cap; min(d, n) are sampled */
    uint32_t nin;       /* b->n after the last resize */
    int64_t refresh_ns; /* 0: exact counts */
    int64_t snap_ns;    /* when the snapshot was taken */
    bool have_snap;
    bool count_picks;
};

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    struct p2c *s = b->state;
    if (s->refresh_ns > 0 && (!s->have_snap || b->now_ns - s->snap_ns >= s->refresh_ns)) {
        memcpy(s->view, s->exact, b->n * sizeof *s->view);
        s->snap_ns = b->now_ns;
        s->have_snap = true;
    }
    uint32_t best = 0, best_load = UINT32_MAX, ties = 0;
    uint32_t d = s->d < b->n ? s->d : b->n;
    for (uint32_t k = 0; k < d; k++) {
        uint32_t j = k + (uint32_t)rng_below(&b->rng, b->n - k);
        uint32_t c = s->perm[j];
        s->perm[j] = s->perm[k];
        s->perm[k] = c;
        uint32_t load = s->view[c];
        if (load < best_load) {
            best = c, best_load = load, ties = 1;
        } else if (load == best_load && rng_below(&b->rng, ++ties) == 0) {
            best = c; /* reservoir: each of the ties kept with probability 1/ties */
        }
    }
    return best;
}

static void on_start(struct balance *b, uint32_t i)
{
    struct p2c *s = b->state;
    s->exact[i]++;
    if (s->view != s->exact && s->count_picks)
        s->view[i]++;
}

static void on_done(struct balance *b, uint32_t i, int64_t latency_ns)
{
    (void)latency_ns;
    struct p2c *s = b->state;
    assert(s->exact[i] > 0 && "on_done without on_start");
    s->exact[i]--;
}

/* perm[0, n) must hold exactly [0, n) again: reset to the identity, O(cap).
 * Replicas that become eligible enter a stale view with their exact count. */
static void resize(struct balance *b, uint32_t n)
{
    struct p2c *s = b->state;
    for (uint32_t i = 0; i < b->cap; i++)
        s->perm[i] = i;
    if (s->view != s->exact)
        for (uint32_t i = s->nin; i < n; i++)
            s->view[i] = s->exact[i];
    s->nin = n;
}

static const struct param_spec params[] = {
    {"d", "int", "2", "replicas sampled per request, 1 <= d <= replicas"},
    {"refresh", "duration", "0",
     "decide on a snapshot of the counts refreshed at most this often; 0: exact counts"},
    {"count_picks", "bool", "false",
     "with refresh > 0, add own picks to the snapshot between refreshes (one real balancer)"},
    {NULL, NULL, NULL, NULL},
};

/* d: an explicit value must lie in [1, n]; the default 2 is cut to n when
 * there is a single replica, so power_of_two works with replicas = 1. */
static int read_d(struct p2c *s, uint32_t n, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, params, "d", &loc);
    long long val;
    if (units_parse_int(v, &val, &why) < 0)
        return diag_error(d, loc, "bad integer '%s' for 'd': %s", v, why);
    if (v == params[0].def && val > n)
        val = n;
    if (val < 1 || val > n)
        return diag_error(d, loc, "'d' = %lld is out of range [1, %u] (the replicas)", val, n);
    s->d = (uint32_t)val;
    return 0;
}

static int read_params(struct p2c *s, uint32_t n, const struct spec *sp, struct diag *d)
{
    int rc = read_d(s, n, sp, d);
    if (balance_read_staleness(sp, params, &s->refresh_ns, &s->count_picks, d) < 0)
        rc = -1;
    return rc;
}

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    assert(b->n >= 1 && "a balancer needs replicas");
    struct p2c *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->d = 1;
    s->nin = b->n;
    s->perm = xcalloc(b->n, sizeof *s->perm);
    for (uint32_t i = 0; i < b->n; i++)
        s->perm[i] = i;
    s->exact = xcalloc(b->n, sizeof *s->exact);
    s->view = s->exact;
    int rc = read_params(s, b->n, sp, d);
    if (s->refresh_ns > 0)
        s->view = xcalloc(b->n, sizeof *s->view);
    return rc;
}

static void fini(struct balance *b)
{
    struct p2c *s = b->state;
    if (!s)
        return;
    if (s->view != s->exact)
        free(s->view);
    free(s->exact);
    free(s->perm);
    free(s);
}

static uint32_t theory_choices(const struct balance *b, bool *replace)
{
    const struct p2c *s = b->state;
    *replace = false;
    if (s->refresh_ns != 0) /* stale counts: not the supermarket model */
        return 0;
    return s->d < b->n ? s->d : b->n;
}

const struct balance_policy balance_power_of_two = {
    .head.name = "power_of_two",
    .head.summary = "fewest in flight among d random replicas, O(d) (Mitzenmacher 2001); "
               "refresh= for stale counts",
    .head.params = params,
    .init = init,
    .pick = pick,
    .on_start = on_start,
    .on_done = on_done,
    .resize = resize,
    .fini = fini,
    .theory_choices = theory_choices,
};
