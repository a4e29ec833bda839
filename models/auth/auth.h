/* auth: authentication and authorisation at a service (keys `auth` and
 * `rbac`), two policy families (`sdsim list auth`, `sdsim list rbac`).
 *
 * A request of a user whose token has expired (jwt with a ttl) first
 * refreshes it, before it takes a worker, as a client does: a call to the
 * auth service `refresh` (auth_arrive); a failed refresh ends the request
 * unauthenticated. A request that reaches a worker of a service with
 * `auth` or `rbac` then does its local auth work on that worker (a JWT
 * signature check, a permission check: auth_local_ns), then the calls auth
 * needs, one after the other, while it keeps its worker:
 *   jwt with keys: the verifier's (replica's) signing keys are stale (older
 *                  than keys_ttl, or from before the rotation at `rotate`)
 *                  -> a fetch from the key service `keys`; with coalesce
 *                  the verifier's other requests wait for that one fetch
 *                  (single flight, models/kinds/flight.h), else each
 *                  fetches (a thundering herd); failed: unauthenticated;
 *   session:       a lookup call to the session store `store` (failed:
 *                  unauthenticated);
 *   rbac check:    a decision cache (an eviction policy of `sdsim list
 *                  eviction`) keyed by (user, key); a miss calls the policy
 *                  service `policy` (failed: the request fails as an error);
 *                  the decision denies a `deny` share of (user, key) pairs:
 *                  the request ends denied.
 * Then the service's own work and calls follow (models/kinds/service.c).
 * Unauthenticated and denied requests end as REQ_REJECTED with
 * CAUSE_UNAUTHENTICATED or CAUSE_DENIED; the client counts them as
 * outcomes of their own.
 *
 * Users: a request belongs to user r->user (a closed-loop client's user)
 * modulo `users`, or, from an open-loop client, to a user drawn from its
 * work seed, uniform over `users`. Token state is one expiry time per user
 * (O(users) memory, allocated at build): every user logs in at time 0, so
 * without jitter every token expires at `ttl` at once (a refresh storm);
 * with ttl_jitter = j a token lives ttl x (1 - j U), U uniform in [0, 1),
 * drawn per user and refresh. With refresh_ahead = a a user's first
 * request after a point drawn uniformly in the last a x ttl of its token's
 * life refreshes it in the background (the request goes on at once); a
 * token that still expires is refreshed in the foreground. Calls are child
 * requests from the pool (sim_req_child); nothing is allocated per request
 * (a coalesced key fetch keeps the list of its waiters, as a cache's does). */
#ifndef SDSIM_MODELS_AUTH_H
#define SDSIM_MODELS_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "models/kinds/flight.h"
#include "sim/policy.h"
#include "sim/sim.h"

struct auth;
struct metric_out;

/* How auth ended for a request. */
enum auth_verdict { AUTH_PASS, AUTH_UNAUTHENTICATED, AUTH_DENIED, AUTH_FAILED };

struct auth_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int kind;                /* AUTH_KIND_* */
};
enum { AUTH_KIND_NONE, AUTH_KIND_JWT, AUTH_KIND_SESSION, RBAC_KIND_CHECK };

/* Auth calls done(sim, owner, r, verdict, on_worker) when its part of r is
 * over (r's top frame is the owner's again): on_worker false after the
 * refresh before the worker (AUTH_PASS: go on to a worker), true after the
 * work on the worker. */
typedef void (*auth_done_fn)(struct sim *sim, struct component *owner, struct request *r,
                             enum auth_verdict v, bool on_worker);

struct auth {
    struct component *owner;
    auth_done_fn done;
    bool has_authn, has_rbac;
    const struct auth_policy *authn; /* jwt or session, or none */
    /* jwt */
    struct dist verify;      /* signature check on the worker */
    bool has_verify;
    int64_t ttl_ns;          /* 0: tokens never expire */
    double ttl_jitter;
    struct component *refresh; /* the auth service */
    int64_t *expiry;         /* per user: when its token expires */
    double ahead;            /* refresh_ahead: share of a token's life refreshed early */
    uint8_t *refreshing;     /* per user: a background refresh is under way */
    struct rng jitter_rng;
    /* jwt signing keys: each verifier (replica) caches them for keys_ttl
     * and fetches them from `keys` when stale or after the rotation */
    struct component *keys;
    int64_t keys_ttl_ns;     /* 0: never stale by age */
    int64_t rotate_ns;       /* the rotation's time; 0: none */
    bool coalesce;           /* one fetch per verifier at a time (single flight) */
    uint32_t nodes;          /* verifiers: the service's replica slots */
    int64_t *keys_at;        /* per verifier: when its keys were fetched */
    struct flight flight;    /* fetches in flight, keyed by verifier */
    uint64_t key_fetches, key_waits;
    /* session */
    struct component *store;
    long long users;
    bool users_given;        /* `users` written in the auth spec */
    /* rbac */
    struct dist check;       /* permission check on the worker */
    bool has_check;
    const struct evict_policy *ev;
    void *cache;             /* the decision cache, or NULL: none */
    int64_t rbac_ttl_ns;     /* 0: decisions never expire */
    double deny;
    struct component *policy; /* the policy service, or NULL: decided locally */
    uint64_t salt;
    /* counts (measured requests, from the cut) */
    uint64_t unauthenticated, denied, refreshes, refresh_failed, lookups, rbac_hits,
        rbac_misses, policy_calls;
    uint64_t refreshes_ahead; /* refreshes made in the background, before expiry */
    uint64_t refreshes_all;  /* every refresh, for the time series */
    uint64_t ts_refresh_mark;
};

/* Reads the service's `auth` and `rbac` keys (texts and their locations;
 * "none" for neither). Component names are looked up with kind_lookup.
 * Returns 0 or -1 (reported in d). */
int auth_setup(struct sim *sim, struct auth *a, struct component *owner, uint32_t nodes,
               auth_done_fn done, const char *authn, struct loc authn_loc, const char *rbac,
               struct loc rbac_loc, struct diag *d);
/* Reads the keys `auth` and `rbac` of section s (params: the owner kind's
 * table) into *out: a new struct auth when either is set (and its policy
 * was understood), else NULL. Returns 0 or -1 (reported in d). */
struct sc_section;
struct param_spec;
int auth_read(struct sim *sim, struct auth **out, struct component *owner, uint32_t nodes,
              auth_done_fn done, const struct sc_section *s, const struct param_spec *params,
              struct diag *d);
void auth_fini(struct auth *a);
/* At the warm-up cut. */
void auth_reset(struct auth *a);

/* Nanoseconds of local auth work of r on a worker (before slow and speed). */
double auth_local_ns(const struct auth *a, const struct request *r);

/* r just arrived at the owner (its frame pushed): true when auth took it
 * (a token refresh first; done() follows with on_worker false), false
 * when it goes on to a worker at once. */
bool auth_arrive(struct sim *sim, struct auth *a, struct request *r);

/* r's local work is done: makes its calls (or none) and ends in done(). */
void auth_begin(struct sim *sim, struct auth *a, struct request *r);

/* Is r (arriving at the owner's on_reply) one of auth's calls? Then it is
 * handled (and freed) and true is returned. */
bool auth_on_reply(struct sim *sim, struct auth *a, struct request *r);

/* The user of r among `users` users. */
uint32_t auth_user(const struct request *r, long long users);

/* Napkin math (models/napkin.h): the mean worker time auth adds to a
 * request (ns), whether auth holds the worker through calls (then the
 * service's capacity is not known before a run), and the components auth
 * calls with the load each gets when the service is offered `in` (NAN:
 * not known before a run, e.g. behind a decision cache); returns how many
 * (at most max; out may be NULL). */
double auth_local_mean_ns(const struct auth *a);
bool auth_holds_calls(const struct auth *a);
size_t auth_napkin_side(const struct auth *a, double in_rps, const struct component **to,
                        double *out_rps, size_t max);

/* The service's metrics for runs.csv (per component). */
size_t auth_metrics(const struct auth *a, struct metric_out *out, size_t max);

extern const struct policy_family auth_family;
extern const struct policy_family rbac_family;
extern const struct auth_policy auth_none, auth_jwt, auth_session, rbac_none, rbac_check;

#endif
