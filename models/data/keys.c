/* keys: key distributions (uniform, Zipf, hot set) over ranks [0, n).
 *
 * Zipf uses rejection-inversion: W. Hormann and G. Derflinger, "Rejection-
 * inversion to generate variates from monotone discrete distributions", ACM
 * TOMACS 6(3), 1996, 169-184, in the form of Apache Commons RNG's
 * RejectionInversionZipfSampler. With h(x) = x^-s and H its antiderivative
 * (H(x) = (x^(1-s) - 1) / (1 - s), or log x at s = 1), a uniform draw between
 * H(n + 1/2) and H(3/2) - 1 is inverted through H and rounded to a rank k,
 * which is kept when it falls in the part of the hat under h(k). The hat is
 * tight (measured: 1.000 to 1.012 tries per key for s from 0 to 5, any n); no
 * table, so the cost is O(1) in time and space whatever n is. */
#include "models/data/keys.h"

#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "sim/rng.h"
#include "sim/spec.h"
#include "sim/units.h"

#define KEYS_MAX_S 100.0 /* beyond this every key but the first has P ~ 0 */
/* Added to a rank before mixing so that rank 0 does not map to key 0 (the
 * mixer fixes 0); adding a constant mod 2^64 keeps the map a bijection. */
#define KEYS_SCRAMBLE_OFFSET 0x9e3779b97f4a7c15ULL

static const struct param_spec uniform_params[] = {
    {"n", "int", NULL, "number of keys: keys 0..n-1, each equally likely"},
    {"scramble", "bool", "false", "map ranks to pseudo-random 64-bit keys (a fixed bijection)"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec zipf_params[] = {
    {"n", "int", NULL, "number of keys; key 0 is the most popular (up to 2^53)"},
    {"s", "number", "0.99", "exponent: P(key k) is proportional to 1/(k+1)^s; 0 is uniform"},
    {"scramble", "bool", "false", "map ranks to pseudo-random 64-bit keys (a fixed bijection)"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec hotset_params[] = {
    {"n", "int", NULL, "number of keys"},
    {"hot", "fraction", "1%", "fraction of the keys that are hot: keys 0..hot*n-1"},
    {"share", "fraction", "90%", "fraction of requests that go (uniformly) to the hot keys"},
    {"scramble", "bool", "false", "map ranks to pseudo-random 64-bit keys (a fixed bijection)"},
    {NULL, NULL, NULL, NULL},
};

/* In enum keys_kind order. */
static const struct policy_head kinds[] = {
    {"uniform", "keys 0..n-1, equally likely", uniform_params},
    {"zipf",
     "Zipf(s) popularity over n keys, key 0 the most popular "
     "(rejection-inversion, O(1))",
     zipf_params},
    {"hotset", "`share` of requests on the first hot*n keys, the rest on the others",
     hotset_params},
};

#define KEYS_NKINDS (sizeof kinds / sizeof kinds[0])

static const struct policy_head *const kinds_table[] = {
    &kinds[KEYS_UNIFORM],
    &kinds[KEYS_ZIPF],
    &kinds[KEYS_HOTSET],
    NULL,
};

_Static_assert(sizeof kinds_table / sizeof kinds_table[0] == KEYS_NKINDS + 1,
               "every key distribution in the family's table");

const struct policy_family keys_family = {
    "keys", "key distribution", "request key distributions of a client (key: keys)",
    kinds_table};

/* (exp(x) - 1) / x and log(1 + x) / x, accurate near x = 0 (series below
 * 1e-8, as in Commons RNG). */
static double expm1_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

static double log1p_over_x(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double zipf_h(double s, double x)
{
    return exp(-s * log(x));
}

static double zipf_big_h(double s, double x)
{
    double lx = log(x);
    return expm1_over_x((1.0 - s) * lx) * lx;
}

static double zipf_big_h_inv(double s, double x)
{
    double t = x * (1.0 - s);
    if (t < -1.0)
        t = -1.0; /* rounding can push it past the pole */
    return exp(log1p_over_x(t) * x);
}

static void zipf_prepare(struct keys *k)
{
    k->h_x1 = zipf_big_h(k->s, 1.5) - 1.0;
    k->h_n = zipf_big_h(k->s, (double)k->n + 0.5);
    k->squeeze = 2.0 - zipf_big_h_inv(k->s, zipf_big_h(k->s, 2.5) - zipf_h(k->s, 2.0));
}

/* A rank in [1, n] with P(k) proportional to k^-s. */
static uint64_t zipf_rank(const struct keys *k, struct rng *r)
{
    for (;;) {
        double u = k->h_n + rng_uniform(r) * (k->h_x1 - k->h_n);
        double x = zipf_big_h_inv(k->s, u);
        double kd = floor(x + 0.5);
        if (kd < 1.0)
            kd = 1.0;
        else if (kd > (double)k->n)
            kd = (double)k->n;
        if (kd - x <= k->squeeze || u >= zipf_big_h(k->s, kd + 0.5) - zipf_h(k->s, kd))
            return (uint64_t)kd;
    }
}

uint64_t keys_scramble(uint64_t rank)
{
    return rng_mix64(rank + KEYS_SCRAMBLE_OFFSET);
}

uint64_t keys_next(const struct keys *k, struct rng *r)
{
    uint64_t rank;
    switch (k->kind) {
    case KEYS_ZIPF:
        rank = zipf_rank(k, r) - 1;
        break;
    case KEYS_HOTSET:
        if (k->hot_n == k->n)
            rank = rng_below(r, k->n);
        else if (rng_uniform(r) < k->share)
            rank = rng_below(r, k->hot_n);
        else
            rank = k->hot_n + rng_below(r, k->n - k->hot_n);
        break;
    default:
        rank = rng_below(r, k->n);
        break;
    }
    return k->scramble ? keys_scramble(rank) : rank;
}

void keys_fini(struct keys *k)
{
    (void)k;
}

/* ---- set-up -------------------------------------------------------------- */

static int read_n(struct keys *k, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, kinds[k->kind].params, "n", &loc);
    const char *why;
    long long n;
    if (units_parse_int(v, &n, &why) < 0)
        return diag_error(d, loc, "bad n '%s': %s", v, why);
    if (n < 1 || (unsigned long long)n > KEYS_MAX_N)
        return diag_error(d, loc, "n must be between 1 and 2^53, got '%s'", v);
    k->n = (uint64_t)n;
    return 0;
}

static int read_fraction(const struct keys *k, const struct spec *sp, const char *key, double *out,
                         struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, kinds[k->kind].params, key, &loc);
    const char *why;
    if (units_parse_fraction(v, out, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    return 0;
}

static int read_zipf(struct keys *k, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, zipf_params, "s", &loc);
    const char *why;
    if (units_parse_double(v, &k->s, &why) < 0)
        return diag_error(d, loc, "bad s '%s': %s", v, why);
    if (!(k->s >= 0.0 && k->s <= KEYS_MAX_S))
        return diag_error(d, loc, "s must be between 0 and %g, got '%s'", KEYS_MAX_S, v);
    return 0;
}

/* hot and share; needs n (a valid n_ok) to turn hot into a number of keys. */
static int read_hotset(struct keys *k, const struct spec *sp, bool n_ok, struct diag *d)
{
    double hot;
    int rc = 0;
    if (read_fraction(k, sp, "hot", &hot, d) < 0)
        rc = -1;
    if (read_fraction(k, sp, "share", &k->share, d) < 0)
        rc = -1;
    if (rc < 0 || !n_ok)
        return -1;
    double hot_keys = floor(hot * (double)k->n + 0.5);
    if (hot_keys < 1.0) {
        struct loc loc;
        const char *v = spec_value(sp, hotset_params, "hot", &loc);
        return diag_error(d, loc, "hot=%s of n=%llu keys is less than one key", v,
                          (unsigned long long)k->n);
    }
    k->hot_n = hot_keys >= (double)k->n ? k->n : (uint64_t)hot_keys;
    return 0;
}

static int read_params(struct keys *k, const struct spec *sp, struct diag *d)
{
    struct loc loc;
    const char *why;
    const char *v = spec_value(sp, kinds[k->kind].params, "scramble", &loc);
    int rc = 0;
    if (units_parse_bool(v, &k->scramble, &why) < 0)
        rc = diag_error(d, loc, "bad scramble '%s': %s", v, why);
    bool n_ok = read_n(k, sp, d) == 0;
    if (!n_ok)
        rc = -1;
    if (k->kind == KEYS_ZIPF && read_zipf(k, sp, d) < 0)
        rc = -1;
    if (k->kind == KEYS_HOTSET && read_hotset(k, sp, n_ok, d) < 0)
        rc = -1;
    if (rc == 0 && k->kind == KEYS_ZIPF)
        zipf_prepare(k);
    return rc;
}

int keys_setup(struct keys *k, const char *text, struct loc loc, struct diag *d)
{
    struct spec sp;
    memset(k, 0, sizeof *k);
    const struct policy_head *h = policy_setup(&keys_family, text, loc, &sp, d);
    if (!h)
        return -1;
    k->kind = (enum keys_kind)(h - kinds);
    return read_params(k, &sp, d);
}
