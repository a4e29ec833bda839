/* balance_power_of_two_replace: the power of d choices with sampling WITH
 * replacement, the classic supermarket model of Mitzenmacher ("The power of
 * two choices in randomized load balancing", IEEE TPDS 12(10), 2001) and
 * Vvedenskaya, Dobrushin and Karpelevich (1996): each request draws d
 * replicas independently and uniformly (the same one may come up twice) and
 * goes to the one with the fewest requests in flight from this balancer,
 * ties uniformly at random among the draws. Its mean-field limit is the one
 * the theory states: the fraction of replicas with at least k requests is
 * rho^((d^k - 1)/(d - 1)) as n grows. power_of_two samples distinct replicas,
 * which differs only by O(d^2 / n) per pick. d = 1 is random.
 *
 * Cost: O(d) per pick, O(1) per start and done, 4 bytes per replica; a
 * resize needs nothing (picks draw from [0, n) and counts stay per replica).
 * Blind to keys and weights. */
#include "models/balance/balance.h"

#include <stdlib.h>

#include "sim/units.h"
#include "sim/xalloc.h"

struct p2r {
    uint32_t *inflight; /* requests in flight at each replica (cap entries) */
    uint32_t d;         /* draws per pick, >= 1 */
};

static uint32_t pick(struct balance *b, const struct request *r)
{
    (void)r;
    const struct p2r *s = b->state;
    uint32_t best = 0, best_load = UINT32_MAX, ties = 0;
    for (uint32_t k = 0; k < s->d; k++) {
        uint32_t c = (uint32_t)rng_below(&b->rng, b->n);
        uint32_t load = s->inflight[c];
        if (load < best_load)
            best = c, best_load = load, ties = 1;
        else if (load == best_load && rng_below(&b->rng, ++ties) == 0)
            best = c; /* reservoir: each tied draw kept with probability 1/ties */
    }
    return best;
}

static void on_start(struct balance *b, uint32_t i)
{
    struct p2r *s = b->state;
    s->inflight[i]++;
}

static void on_done(struct balance *b, uint32_t i, int64_t latency_ns)
{
    (void)latency_ns;
    struct p2r *s = b->state;
    if (s->inflight[i] > 0)
        s->inflight[i]--;
}

static const struct param_spec params[] = {
    {"d", "int", "2", "independent draws per request (with replacement), 1 <= d <= 64"},
    {NULL, NULL, NULL, NULL},
};

static int init(struct balance *b, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, params, "d", &loc);
    long long val;
    if (units_parse_int(v, &val, &why) < 0)
        return diag_error(d, loc, "bad integer '%s' for 'd': %s", v, why);
    if (val < 1 || val > 64)
        return diag_error(d, loc, "'d' = %lld is out of range [1, 64]", val);
    struct p2r *s = xcalloc(1, sizeof *s);
    b->state = s;
    s->d = (uint32_t)val;
    s->inflight = xcalloc(b->cap ? b->cap : 1, sizeof *s->inflight);
    return 0;
}

static void fini(struct balance *b)
{
    struct p2r *s = b->state;
    if (!s)
        return;
    free(s->inflight);
    free(s);
}

static uint32_t theory_choices(const struct balance *b, bool *replace)
{
    const struct p2r *s = b->state;
    *replace = true;
    return s->d;
}

const struct balance_policy balance_power_of_two_replace = {
    .head.name = "power_of_two_replace",
    .head.summary = "fewest in flight among d replicas drawn with replacement (the supermarket "
                    "model), O(d)",
    .head.params = params,
    .init = init,
    .pick = pick,
    .on_start = on_start,
    .on_done = on_done,
    .fini = fini,
    .theory_choices = theory_choices,
};
