/* auth: authentication (jwt, session) and authorisation (rbac check) at a
 * service. See auth.h. */
#include "models/auth/auth.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/evict/evict.h"
#include "models/kind.h"
#include "models/pspec.h"
#include "sim/xalloc.h"

/* A child call's frame at the owner carries this in `replica`, and the
 * stage it belongs to in `step`. The parent's frame keeps the stage it is
 * in, in `step`, until auth is over. */
#define AUTH_CHILD 0xA0700000u
enum { STAGE_REFRESH = 1, STAGE_KEYS, STAGE_SESSION, STAGE_RBAC, STAGE_DONE, STAGE_AHEAD };

/* Work-seed purposes (sim_work_rng): service.c uses 0 (demand), 1 (fails). */
enum { PURPOSE_VERIFY = 0x61757468, PURPOSE_CHECK, PURPOSE_USER };

static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};
static const struct param_spec jwt_params[] = {
    {"verify", "dist", "const(50us)",
     "signature check on the worker, per request; typical costs on one 3 GHz x86 core "
     "(`openssl speed rsa2048 ecdsap256 hmac`, OpenSSL 3): RS256 (RSA-2048) ~25-35us, "
     "ES256 (ECDSA P-256, slower to verify than RSA) ~50-70us, HS256 (HMAC-SHA256 of a "
     "short token) ~1-2us"},
    {"ttl", "duration", "0",
     "tokens expire after this long and the next request of the user refreshes first "
     "(0: never expire)"},
    {"ttl_jitter", "fraction", "0",
     "a token lives ttl x (1 - j U), U uniform in [0, 1): spreads the refreshes of users "
     "who logged in at once (0: every token expires at ttl together)"},
    {"refresh_ahead", "fraction", "0",
     "refresh early, in the background: a user's first request after a point drawn uniformly "
     "in the last share of its token's life refreshes it and goes on at once (0: only when "
     "expired)"},
    {"refresh", "component", "",
     "the auth service a refresh calls (needed with ttl); a failed refresh ends the request "
     "unauthenticated, requests with a valid token go on"},
    {"users", "int", "1000",
     "users, each with one token (a closed-loop client's users keep their number; an open "
     "loop's requests belong to a user drawn uniformly)"},
    {"keys", "component", "",
     "the key service (a JWKS endpoint) a verifier fetches the signing keys from when its "
     "copy is stale; empty: keys never change"},
    {"keys_ttl", "duration", "0",
     "each verifier (replica) caches the keys this long (0: until the rotation)"},
    {"rotate", "duration", "0",
     "the signing key rotates at this time: every verifier's cached keys are stale at once "
     "(0: no rotation)"},
    {"coalesce", "bool", "false",
     "a verifier fetches its keys once and its other requests wait for that fetch (single "
     "flight, as a cache's coalesce); false: every request that finds them stale fetches"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec session_params[] = {
    {"store", "component", NULL,
     "the session store each request looks its session up in (a read of the user's key); a "
     "failed lookup ends the request unauthenticated"},
    {"users", "int", "1000", "users (the session store's keys 0 .. users-1)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec check_params[] = {
    {"time", "dist", "const(20us)", "the permission check on the worker, per request"},
    {"cache", "int", "0",
     "decisions cached per service, keyed by (user, key) (0: no cache, every check calls "
     "`policy`)"},
    {"eviction", "policy", "lru", "the decision cache's eviction (see `sdsim list eviction`)"},
    {"ttl", "duration", "0",
     "a cached decision is dropped at the next multiple of ttl, each (user, key) with its own "
     "offset, so it lives at most ttl (0: never)"},
    {"deny", "fraction", "0",
     "share of (user, key) pairs denied; a denied request ends as denied (never retried)"},
    {"policy", "component", "",
     "the policy service a cache miss calls (empty: decided on the worker); a failed call "
     "fails the request (error)"},
    {"users", "int", "1000", "users (an open loop's requests belong to one drawn uniformly)"},
    {NULL, NULL, NULL, NULL},
};

const struct auth_policy auth_none = {
    .head = {"none", "no authentication", no_params}, .kind = AUTH_KIND_NONE};
const struct auth_policy auth_jwt = {
    .head = {"jwt",
             "verify a signed token on the worker (cost `verify`); with ttl, an expired token "
             "is refreshed from `refresh` first (RFC 7519)",
             jwt_params},
    .kind = AUTH_KIND_JWT};
const struct auth_policy auth_session = {
    .head = {"session", "look the session up in a store on every request", session_params},
    .kind = AUTH_KIND_SESSION};
const struct auth_policy rbac_none = {
    .head = {"none", "no authorisation", no_params}, .kind = AUTH_KIND_NONE};
const struct auth_policy rbac_check = {
    .head = {"check",
             "a permission check per request, with a decision cache and a policy service "
             "on a miss; a `deny` share ends denied",
             check_params},
    .kind = RBAC_KIND_CHECK};

static int read_dist(const struct spec *sp, const struct param_spec *p, const char *key,
                     struct dist *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, key, &loc);
    return dist_parse(out, v, loc, DIST_DURATION, d);
}

/* A component named by key (required unless empty is allowed); NULL when empty. */
static int read_comp(struct sim *sim, const struct spec *sp, const struct param_spec *p,
                     const char *key, struct component *owner, struct component **out,
                     struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, p, key, &loc);
    *out = NULL;
    if (!v || !*v)
        return 0;
    struct component *c = kind_lookup(sim, v);
    if (!c) {
        const char *names[256];
        size_t n = 0;
        for (size_t i = 0; i < sim->ncomps && n < 256; i++)
            if (!sim->comps[i]->ops.is_client && !sim->comps[i]->ops.no_traffic)
                names[n++] = sim->comps[i]->name;
        const char *near = diag_closest(v, names, n);
        return near ? diag_error(d, loc, "%s=: no component named '%s' (did you mean '%s'?)", key,
                                 v, near)
                    : diag_error(d, loc, "%s=: no component named '%s'", key, v);
    }
    if (c == owner)
        return diag_error(d, loc, "'%s' cannot call itself for %s=", v, key);
    if (c->ops.is_client || c->ops.no_traffic)
        return diag_error(d, loc, "'%s' takes no requests: %s= needs a service or a store", v,
                          key);
    *out = c;
    return 0;
}

static int setup_authn(struct sim *sim, struct auth *a, const char *text, struct loc loc,
                       struct diag *d)
{
    struct spec sp;
    const struct policy_head *h = policy_setup(&auth_family, text, loc, &sp, d);
    if (!h)
        return -1;
    a->authn = (const struct auth_policy *)h;
    if (a->authn->kind == AUTH_KIND_NONE)
        return 0;
    a->has_authn = true;
    a->users_given = spec_get(&sp, "users") != NULL;
    int rc = 0;
    if (a->authn->kind == AUTH_KIND_JWT) {
        rc |= read_dist(&sp, jwt_params, "verify", &a->verify, d);
        a->has_verify = rc == 0;
        rc |= pspec_duration(&sp, jwt_params, "ttl", &a->ttl_ns, d);
        rc |= pspec_fraction(&sp, jwt_params, "ttl_jitter", &a->ttl_jitter, d);
        rc |= pspec_fraction(&sp, jwt_params, "refresh_ahead", &a->ahead, d);
        rc |= pspec_int(&sp, jwt_params, "users", 1, 10000000, &a->users, d);
        rc |= read_comp(sim, &sp, jwt_params, "refresh", a->owner, &a->refresh, d);
        if (rc == 0 && a->ttl_ns > 0 && !a->refresh)
            rc = diag_error(d, sp.loc, "jwt with a ttl needs refresh=NAME (the auth service)");
        if (rc == 0 && a->ttl_ns <= 0 &&
            (spec_get(&sp, "refresh") || spec_get(&sp, "ttl_jitter") ||
             spec_get(&sp, "refresh_ahead")))
            rc = diag_error(d, sp.loc, "refresh, ttl_jitter and refresh_ahead need a ttl above 0");
        rc |= read_comp(sim, &sp, jwt_params, "keys", a->owner, &a->keys, d);
        rc |= pspec_duration(&sp, jwt_params, "keys_ttl", &a->keys_ttl_ns, d);
        rc |= pspec_duration(&sp, jwt_params, "rotate", &a->rotate_ns, d);
        int co = 0;
        static const char *const bools[] = {"false", "true", NULL};
        rc |= pspec_choice(&sp, jwt_params, "coalesce", bools, &co, d);
        a->coalesce = co == 1;
        if (rc == 0 && !a->keys &&
            (spec_get(&sp, "keys_ttl") || spec_get(&sp, "rotate") || spec_get(&sp, "coalesce")))
            rc = diag_error(d, sp.loc, "keys_ttl, rotate and coalesce need keys=NAME (the key "
                                       "service)");
    } else {
        rc |= pspec_int(&sp, session_params, "users", 1, 10000000, &a->users, d);
        rc |= read_comp(sim, &sp, session_params, "store", a->owner, &a->store, d);
    }
    return rc ? -1 : 0;
}

static int setup_rbac(struct sim *sim, struct auth *a, const char *text, struct loc loc,
                      struct diag *d)
{
    struct spec sp;
    const struct policy_head *h = policy_setup(&rbac_family, text, loc, &sp, d);
    if (!h)
        return -1;
    if (((const struct auth_policy *)h)->kind == AUTH_KIND_NONE)
        return 0;
    a->has_rbac = true;
    int rc = read_dist(&sp, check_params, "time", &a->check, d);
    a->has_check = rc == 0;
    long long cap = 0, users = 0;
    rc |= pspec_int(&sp, check_params, "cache", 0, (long long)EVICT_MAX_CAPACITY, &cap, d);
    rc |= pspec_duration(&sp, check_params, "ttl", &a->rbac_ttl_ns, d);
    rc |= pspec_fraction(&sp, check_params, "deny", &a->deny, d);
    rc |= pspec_int(&sp, check_params, "users", 1, 10000000, &users, d);
    rc |= read_comp(sim, &sp, check_params, "policy", a->owner, &a->policy, d);
    if (!a->has_authn || (!a->users_given && spec_get(&sp, "users"))) {
        a->users = users;
    } else if (spec_get(&sp, "users") && users != a->users)
        rc |= diag_error(d, spec_get(&sp, "users")->val_loc,
                         "users=%lld differs from the auth policy's users=%lld", users, a->users);
    struct loc eloc;
    const char *ev = spec_value(&sp, check_params, "eviction", &eloc);
    struct spec esp;
    const struct policy_head *eh = policy_setup(&evict_family, ev, eloc, &esp, d);
    if (!eh)
        return -1;
    if (esp.nargs > 0)
        rc |= diag_error(d, eloc, "the decision cache takes an eviction policy by name only");
    a->ev = evict_of(eh);
    if (rc == 0 && cap > 0) {
        a->cache = a->ev->create((size_t)cap, rng_mix64(a->salt ^ 0x72626163u), NULL);
        if (!a->cache)
            rc = diag_error(d, spec_get(&sp, "cache") ? spec_get(&sp, "cache")->val_loc : sp.loc,
                            "a decision cache of %lld entries is refused by '%s'", cap,
                            eh->name);
    }
    if (rc == 0 && a->rbac_ttl_ns > 0 && !spec_get(&sp, "cache"))
        rc = diag_error(d, sp.loc, "ttl needs a decision cache (cache = N)");
    return rc ? -1 : 0;
}

static int64_t token_life(struct auth *a)
{
    double j = a->ttl_jitter > 0 ? a->ttl_jitter * rng_uniform(&a->jitter_rng) : 0;
    return (int64_t)llround((double)a->ttl_ns * (1 - j));
}

int auth_setup(struct sim *sim, struct auth *a, struct component *owner, uint32_t nodes,
               auth_done_fn done, const char *authn, struct loc authn_loc, const char *rbac,
               struct loc rbac_loc, struct diag *d)
{
    memset(a, 0, sizeof *a);
    flight_init(&a->flight);
    a->owner = owner;
    a->nodes = nodes;
    a->done = done;
    a->users = 1000;
    a->salt = owner->salt;
    rng_stream(&a->jitter_rng, sim->seed, owner->name, "auth-ttl");
    int rc = setup_authn(sim, a, authn, authn_loc, d);
    if (setup_rbac(sim, a, rbac, rbac_loc, d) < 0)
        rc = -1;
    if (rc == 0 && a->ttl_ns > 0) { /* everyone logged in at time 0 */
        a->expiry = xmalloc((size_t)a->users * sizeof *a->expiry);
        for (long long u = 0; u < a->users; u++)
            a->expiry[u] = token_life(a);
        if (a->ahead > 0)
            a->refreshing = xcalloc((size_t)a->users, 1);
    }
    if (rc == 0 && a->keys) /* every verifier starts with fresh keys */
        a->keys_at = xcalloc(nodes, sizeof *a->keys_at);
    return rc;
}

int auth_read(struct sim *sim, struct auth **out, struct component *owner, uint32_t nodes,
              auth_done_fn done, const struct sc_section *s, const struct param_spec *params,
              struct diag *d)
{
    struct loc aloc, rloc;
    const char *a = kp_raw(s, params, "auth", &aloc);
    const char *r = kp_raw(s, params, "rbac", &rloc);
    *out = NULL;
    if (strcmp(a, "none") == 0 && strcmp(r, "none") == 0)
        return 0;
    struct auth *au = xcalloc(1, sizeof *au);
    int rc = auth_setup(sim, au, owner, nodes, done, a, aloc, r, rloc, d);
    if (!au->has_authn && !au->has_rbac) { /* e.g. jwt... failed: keep none */
        auth_fini(au);
        free(au);
        return rc;
    }
    *out = au;
    return rc;
}

void auth_fini(struct auth *a)
{
    if (a->has_verify)
        dist_fini(&a->verify);
    if (a->has_check)
        dist_fini(&a->check);
    if (a->cache)
        a->ev->destroy(a->cache);
    free(a->expiry);
    free(a->refreshing);
    a->refreshing = NULL;
    free(a->keys_at);
    flight_fini(&a->flight);
    a->has_verify = a->has_check = false;
    a->cache = NULL;
    a->expiry = NULL;
    a->keys_at = NULL;
}

void auth_reset(struct auth *a)
{
    a->unauthenticated = a->denied = a->refreshes = a->refresh_failed = a->lookups = 0;
    a->refreshes_ahead = 0;
    a->rbac_hits = a->rbac_misses = a->policy_calls = 0;
    a->key_fetches = a->key_waits = 0;
}

uint32_t auth_user(const struct request *r, long long users)
{
    if (r->user != UINT32_MAX)
        return (uint32_t)((long long)r->user % users);
    /* an open loop: a user drawn from the work seed (its own purpose) */
    uint64_t h = rng_mix64(r->work_seed ^ (PURPOSE_USER * RNG_GOLDEN));
    return (uint32_t)(h % (uint64_t)users);
}

double auth_local_ns(const struct auth *a, const struct request *r)
{
    double t = 0;
    struct rng wr;
    if (a->has_verify) {
        sim_work_rng(r, a->owner, PURPOSE_VERIFY, &wr);
        t += dist_sample(&a->verify, &wr);
    }
    if (a->has_check) {
        sim_work_rng(r, a->owner, PURPOSE_CHECK, &wr);
        t += dist_sample(&a->check, &wr);
    }
    return t;
}

/* The decision key of (user, key) and whether the policy denies it: a
 * fixed function of the pair, so a cached decision is the one the policy
 * service would give again. */
static uint64_t pair_of(const struct auth *a, const struct request *r)
{
    uint64_t u = auth_user(r, a->users);
    return rng_mix64(rng_mix64(a->salt ^ (u * RNG_GOLDEN)) ^ r->key);
}

static bool pair_denied(const struct auth *a, uint64_t pair)
{
    if (a->deny <= 0)
        return false;
    double x = (double)(rng_mix64(pair ^ 0x64656e79u) >> 11) * 0x1.0p-53;
    return x < a->deny;
}

/* The cache key of a pair: with a ttl, the pair and the number of its
 * current ttl period (shifted by an offset of its own), so an entry of an
 * earlier period is never found again and ages out of the cache. */
static uint64_t cache_key(const struct auth *a, uint64_t pair, int64_t now)
{
    if (a->rbac_ttl_ns <= 0)
        return pair;
    uint64_t off = rng_mix64(pair) % (uint64_t)a->rbac_ttl_ns;
    uint64_t period = ((uint64_t)now + off) / (uint64_t)a->rbac_ttl_ns;
    return rng_mix64(pair ^ (period * RNG_GOLDEN));
}

static void call(struct sim *sim, struct auth *a, struct request *r, uint32_t stage,
                 struct component *to, uint64_t key, uint8_t op)
{
    sim_top(r)->step = stage;
    struct request *ch = sim_req_child(sim, r);
    ch->key = key;
    ch->op = op;
    ch->target = -1;
    struct frame *f = sim_enter(ch, a->owner);
    f->replica = AUTH_CHILD;
    f->step = stage;
    f->arrive_ns = f->start_ns = sim_now(sim);
    f->timer = EVQ_NONE;
    sim_send(sim, a->owner, ch, to);
}

static void end(struct sim *sim, struct auth *a, struct request *r, enum auth_verdict v,
                bool on_worker)
{
    sim_top(r)->step = STAGE_DONE;
    if (r->measured) {
        a->unauthenticated += v == AUTH_UNAUTHENTICATED;
        a->denied += v == AUTH_DENIED;
    }
    a->done(sim, a->owner, r, v, on_worker);
}

/* Are verifier i's keys stale at now? */
static bool keys_stale(const struct auth *a, uint32_t i, int64_t now)
{
    int64_t at = a->keys_at[i];
    if (a->keys_ttl_ns > 0 && now - at >= a->keys_ttl_ns)
        return true;
    return a->rotate_ns > 0 && now >= a->rotate_ns && at < a->rotate_ns;
}

/* Runs r's stages from `stage` on until one waits for a call or auth ends. */
static void run(struct sim *sim, struct auth *a, struct request *r, uint32_t stage)
{
    int64_t now = sim_now(sim);
    if (stage <= STAGE_KEYS && a->keys_at) {
        uint32_t i = sim_top(r)->replica;
        if (keys_stale(a, i, now)) {
            if (a->coalesce) {
                uint32_t k = flight_find(&a->flight, i);
                if (k != FLIGHT_NONE) { /* wait for the fetch under way */
                    sim_top(r)->step = STAGE_KEYS;
                    flight_wait(&a->flight, k, r);
                    if (r->measured)
                        a->key_waits++;
                    return;
                }
                flight_begin(&a->flight, i, r);
            }
            if (r->measured)
                a->key_fetches++;
            call(sim, a, r, STAGE_KEYS, a->keys, i, OP_READ);
            return;
        }
    }
    if (stage <= STAGE_SESSION && a->store) {
        if (r->measured)
            a->lookups++;
        call(sim, a, r, STAGE_SESSION, a->store, auth_user(r, a->users), OP_READ);
        return;
    }
    if (stage <= STAGE_RBAC && a->has_rbac) {
        uint64_t pair = pair_of(a, r);
        bool hit = a->cache && a->ev->access(a->cache, cache_key(a, pair, now));
        if (r->measured) {
            a->rbac_hits += hit;
            a->rbac_misses += !hit;
        }
        if (!hit && a->policy) {
            if (r->measured)
                a->policy_calls++;
            call(sim, a, r, STAGE_RBAC, a->policy, pair, OP_READ);
            return;
        }
        if (pair_denied(a, pair)) {
            end(sim, a, r, AUTH_DENIED, true);
            return;
        }
    }
    end(sim, a, r, AUTH_PASS, true);
}

/* When user u's current token is refreshed ahead: a point drawn uniformly
 * in the last `ahead` share of its life (a fixed function of the user and
 * the token's expiry, so no state). */
static int64_t ahead_point(const struct auth *a, uint32_t u)
{
    uint64_t h = rng_mix64(a->salt ^ ((uint64_t)u * RNG_GOLDEN) ^ (uint64_t)a->expiry[u]);
    double x = (double)(h >> 11) * 0x1.0p-53;
    return a->expiry[u] - (int64_t)llround(a->ahead * (double)a->ttl_ns * x);
}

/* A background refresh for user u: a request of its own, nobody waits. */
static void refresh_ahead(struct sim *sim, struct auth *a, struct request *r, uint32_t u)
{
    a->refreshing[u] = 1;
    a->refreshes_all++;
    if (r->measured) {
        a->refreshes++;
        a->refreshes_ahead++;
    }
    struct request *b = sim_req_child(sim, r);
    b->parent = NULL;
    b->born_ns = sim_now(sim);
    b->key = u;
    b->op = OP_WRITE;
    b->target = -1;
    struct frame *f = sim_enter(b, a->owner);
    f->replica = AUTH_CHILD;
    f->step = STAGE_AHEAD;
    f->arrive_ns = f->start_ns = sim_now(sim);
    f->timer = EVQ_NONE;
    sim_send(sim, a->owner, b, a->refresh);
}

bool auth_arrive(struct sim *sim, struct auth *a, struct request *r)
{
    if (!a->expiry)
        return false;
    uint32_t u = auth_user(r, a->users);
    if (sim_now(sim) < a->expiry[u]) {
        if (a->refreshing && !a->refreshing[u] && sim_now(sim) >= ahead_point(a, u))
            refresh_ahead(sim, a, r, u);
        return false;
    }
    a->refreshes_all++;
    if (r->measured)
        a->refreshes++;
    call(sim, a, r, STAGE_REFRESH, a->refresh, u, OP_WRITE);
    return true;
}

void auth_begin(struct sim *sim, struct auth *a, struct request *r)
{
    run(sim, a, r, STAGE_KEYS);
}

/* A key fetch of r's verifier came back: the verifier's keys are fresh
 * (ok), and r and whoever waited on its fetch go on, or end
 * unauthenticated. */
static void keys_fetched(struct sim *sim, struct auth *a, struct request *r, bool ok)
{
    uint32_t i = sim_top(r)->replica;
    if (ok && a->keys_at[i] < sim_now(sim))
        a->keys_at[i] = sim_now(sim);
    size_t n = 0;
    struct request **w = NULL;
    uint32_t k = a->coalesce ? flight_find(&a->flight, i) : FLIGHT_NONE;
    if (k != FLIGHT_NONE && flight_led_by(&a->flight, k, r))
        w = flight_end(&a->flight, k, &n);
    if (ok)
        run(sim, a, r, STAGE_SESSION);
    else
        end(sim, a, r, AUTH_UNAUTHENTICATED, true);
    for (size_t j = 0; j < n; j++) {
        if (ok)
            run(sim, a, w[j], STAGE_SESSION);
        else
            end(sim, a, w[j], AUTH_UNAUTHENTICATED, true);
    }
    free(w);
}

bool auth_on_reply(struct sim *sim, struct auth *a, struct request *ch)
{
    struct frame *f = sim_top(ch);
    if (ch->depth != 1 || f->replica != AUTH_CHILD)
        return false;
    uint32_t stage = f->step;
    bool ok = ch->status == REQ_OK;
    if (stage == STAGE_AHEAD) { /* a background refresh: nobody waits */
        uint32_t u = (uint32_t)ch->key;
        a->refreshing[u] = 0;
        if (ok && a->expiry[u] < sim_now(sim) + a->ttl_ns)
            a->expiry[u] = sim_now(sim) + token_life(a);
        else if (!ok && ch->measured)
            a->refresh_failed++;
        sim_req_free(sim, ch);
        return true;
    }
    struct request *r = ch->parent;
    uint32_t u = (uint32_t)ch->key;
    sim_req_free(sim, ch);
    switch (stage) {
    case STAGE_REFRESH:
        if (!ok) {
            if (r->measured)
                a->refresh_failed++;
            end(sim, a, r, AUTH_UNAUTHENTICATED, false);
            return true;
        }
        a->expiry[u] = sim_now(sim) + token_life(a);
        sim_top(r)->step = 0;
        a->done(sim, a->owner, r, AUTH_PASS, false);
        return true;
    case STAGE_KEYS:
        keys_fetched(sim, a, r, ok);
        return true;
    case STAGE_SESSION:
        if (!ok)
            end(sim, a, r, AUTH_UNAUTHENTICATED, true);
        else
            run(sim, a, r, STAGE_RBAC);
        return true;
    default: /* STAGE_RBAC */
        if (!ok)
            end(sim, a, r, AUTH_FAILED, true);
        else if (pair_denied(a, pair_of(a, r)))
            end(sim, a, r, AUTH_DENIED, true);
        else
            end(sim, a, r, AUTH_PASS, true);
        return true;
    }
}

/* At most 10 (jwt and session exclude each other: 9 at once), the first
 * max of them. */
size_t auth_metrics(const struct auth *a, struct metric_out *dst, size_t max)
{
    struct metric_out out[10];
    size_t n = 0;
    if (a->has_authn)
        out[n++] = (struct metric_out){"unauthenticated", (double)a->unauthenticated, true};
    if (a->expiry) {
        out[n++] = (struct metric_out){"refreshes", (double)a->refreshes, true};
        out[n++] = (struct metric_out){"refresh_failed", (double)a->refresh_failed, true};
        if (a->refreshing)
            out[n++] = (struct metric_out){"refreshes_ahead", (double)a->refreshes_ahead, true};
    }
    if (a->store)
        out[n++] = (struct metric_out){"session_lookups", (double)a->lookups, true};
    if (a->keys_at) {
        out[n++] = (struct metric_out){"key_fetches", (double)a->key_fetches, true};
        if (a->coalesce)
            out[n++] = (struct metric_out){"key_waits", (double)a->key_waits, true};
    }
    if (a->has_rbac) {
        out[n++] = (struct metric_out){"denied", (double)a->denied, true};
        uint64_t all = a->rbac_hits + a->rbac_misses;
        if (a->cache)
            out[n++] = (struct metric_out){"rbac_hit_ratio",
                                           all ? (double)a->rbac_hits / (double)all : (double)NAN,
                                           true};
        if (a->policy)
            out[n++] = (struct metric_out){"policy_calls", (double)a->policy_calls, true};
    }
    if (n > max)
        n = max;
    memcpy(dst, out, n * sizeof *out);
    return n;
}


double auth_local_mean_ns(const struct auth *a)
{
    return (a->has_verify ? a->verify.mean : 0) + (a->has_check ? a->check.mean : 0);
}

bool auth_holds_calls(const struct auth *a)
{
    return a->store || a->policy || a->keys_at;
}

size_t auth_napkin_side(const struct auth *a, double in_rps, const struct component **to,
                        double *out_rps, size_t max)
{
    size_t n = 0;
    /* refreshes: about users per token life, at most one per request */
    if (a->expiry && n < max) {
        double life_s = (double)a->ttl_ns * (1 - a->ttl_jitter / 2) / 1e9;
        double r = (double)a->users / life_s;
        to[n] = a->refresh;
        if (out_rps)
            out_rps[n] = r < in_rps ? r : in_rps;
        n++;
    }
    if (a->keys_at && n < max) { /* rare, and a herd at a rotation: not a mean rate */
        to[n] = a->keys;
        if (out_rps)
            out_rps[n] = (double)NAN;
        n++;
    }
    if (a->store && n < max) {
        to[n] = a->store;
        if (out_rps)
            out_rps[n] = in_rps;
        n++;
    }
    if (a->policy && n < max) { /* every request without a cache; misses with one */
        to[n] = a->policy;
        if (out_rps)
            out_rps[n] = a->cache ? (double)NAN : in_rps;
        n++;
    }
    return n;
}
