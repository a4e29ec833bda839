/* limit: rate limiters, one self-contained object whose check is one call,
 * so any component can put one in front of its work (a balancer or a
 * service with `limit = ...`, through models/admission/gate.h). A limiter is a policy of the `limit` family
 * (token_bucket, leaky_bucket, fixed_window, sliding_log, sliding_window)
 * plus a scope, `per = global | client | key | user`: one state ("slot")
 * per scope value, kept in a table that grows by doubling (never one malloc
 * per request). A slot has a fixed size chosen at setup from the policy's
 * parameters (a sliding log's slot is a ring of `limit` timestamps).
 *
 * The memory a limiter holds is counted in entries, the numbers it stores:
 * two per token bucket (tokens, last refill), one per leaky bucket (the
 * next departure slot) plus one per request waiting in it, two per fixed
 * window (window, count), three per sliding window (window, current and
 * previous counts), and one per admitted request still in a sliding log
 * (expired ones are dropped when their scope is next checked).
 *
 * A limit shared by gateway nodes (models/admission/gate.c, `sync`): each
 * node decides on its own copy, and one more limiter holds the global
 * count, which every node's admission updates whatever its state
 * (limit_force: a token bucket goes into debt, a window past its limit);
 * at each sync the scopes the global count changed are copied into every
 * node (limit_sync_to). The leaky bucket, which queues at one node, has no
 * `consume` and cannot be shared. */
#ifndef SDSIM_MODELS_LIMIT_H
#define SDSIM_MODELS_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

struct request;
struct limit;

/* What one check decided. */
struct limit_verdict {
    bool admit;             /* false: rate limited */
    int64_t delay_ns;       /* admitted: hold the request this long first (leaky_bucket) */
    int64_t retry_after_ns; /* rejected: when a retry could first be admitted (a hint) */
};

struct limit_policy {
    struct policy_head head; /* first: name, summary, parameters */
    /* Reads the policy's parameters into l (rate, burst, limit, window,
     * queue) and sets l->slot_bytes. Returns 0 or -1 with a diagnostic. */
    int (*init)(struct limit *l, const struct spec *sp, struct diag *d);
    /* A fresh slot for a scope value first seen at now_ns. */
    void (*slot_init)(const struct limit *l, void *slot, int64_t now_ns);
    /* Decides one request of the slot's scope at now_ns (never before the
     * slot's previous check). Returns the change in the slot's entries. */
    long (*check)(const struct limit *l, void *slot, int64_t now_ns, struct limit_verdict *v);
    /* Entries the slot holds now (see the top of this file); NULL: always
     * slot_entries. */
    size_t (*entries)(const struct limit *l, const void *slot);
    size_t slot_entries;
    /* Counts one admission made elsewhere at now_ns, whatever the slot's
     * state (a token bucket goes into debt, a window's count past its
     * limit): the global count of a limiter synced across nodes
     * (limit_force). NULL: the policy cannot be synced. Returns the change
     * in the slot's entries. */
    long (*consume)(const struct limit *l, void *slot, int64_t now_ns);
};

#define LIMIT_BINS 10

enum limit_scope { LIMIT_GLOBAL, LIMIT_CLIENT, LIMIT_KEY, LIMIT_USER };

struct limit {
    const struct limit_policy *pol;
    enum limit_scope per;
    /* the policy's parameters (those it has) */
    double rate_per_s;  /* token_bucket, leaky_bucket */
    double burst;       /* token_bucket: bucket size in requests */
    uint32_t limit;     /* windows and logs: requests per window */
    uint32_t queue;     /* leaky_bucket: waiting places */
    int64_t window_ns;  /* windows and logs */
    size_t slot_bytes;  /* set by init, a multiple of 8 */
    /* the slots: an open-addressing map from scope value to slot index */
    uint64_t *ids;      /* slot i's scope value */
    uint32_t *map;      /* map_cap entries: slot index + 1, 0 = empty */
    size_t map_cap;     /* a power of two, > 2 * nslots */
    unsigned char *slots;
    size_t nslots, slots_cap;
    /* what it did and holds */
    uint64_t admitted, limited, delayed;
    size_t entries, entries_max; /* entries held now, and the most ever */
    /* The most requests let through (admitted at once, or leaving a leaky
     * bucket's queue) in any span of one window (1 s for the buckets), over
     * all scopes, at a resolution of a tenth of the span: the burst that
     * passed, to hold against the limit. */
    int64_t bin_ns;           /* span / LIMIT_BINS */
    int64_t bin;              /* index of the newest bin */
    uint32_t bins[LIMIT_BINS]; /* a ring: passes per bin */
    uint64_t span_passed;     /* sum of bins: passes in the last span */
    uint64_t peak_passed;     /* the most in one span since the cut */
    /* Passes per time-series interval (ts_ns, 0: none): ts_cur in interval
     * ts_bin, ts_prev in the one before (limit_ts_passed). */
    int64_t ts_ns, ts_bin;
    uint64_t ts_cur, ts_prev;
    /* sliding_log: the ring's size per scope, limit unless widened */
    uint32_t log_cap;
    /* The global count of a synced limit (limit_track_changes): the slots
     * limit_force changed since the last limit_sync_done, each once. */
    bool track;
    unsigned char *changed;  /* slots_cap flags */
    uint32_t *changes;       /* their indices, nchanges of them */
    size_t nchanges;
};

/* Parses "name(k=v, ..., per=SCOPE)" at loc into l. Returns 0 or -1. */
int limit_setup(struct limit *l, const char *text, struct loc loc, struct diag *d);
void limit_fini(struct limit *l); /* l may have failed setup */

/* The scope value of r under l->per: 0 (global), the client component's
 * id, the request's key, or the client id and user together. */
uint64_t limit_scope_of(const struct limit *l, const struct request *r);

/* Decides one request of scope value `scope` at now_ns (non-decreasing
 * across calls), counting it. Amortised O(1) for every policy. */
struct limit_verdict limit_check(struct limit *l, uint64_t scope, int64_t now_ns);

/* One call for a component: limit_check(l, limit_scope_of(l, r), now_ns). */
static inline struct limit_verdict limit_admit(struct limit *l, const struct request *r,
                                               int64_t now_ns)
{
    return limit_check(l, limit_scope_of(l, r), now_ns);
}

/* A leaky bucket's request held for delay_ns leaves its queue at now_ns. */
void limit_release(struct limit *l, int64_t now_ns);

/* The span of peak_passed: the window, or 1 s for the buckets. */
int64_t limit_span_ns(const struct limit *l);

/* Bytes the slots take (scopes seen x slot size). */
size_t limit_bytes(const struct limit *l);

/* Restarts the counters admitted, limited, delayed, entries_max and
 * peak_passed (the warm-up cut); the slots keep their state. */
void limit_reset_counts(struct limit *l);

/* ---- distributed limiting (limit_dist.c) --------------------------------
 * The counts a limiter synced across nodes shares, and the figures of a
 * limiter whose checks go to a counter store. */

/* Counts one admission of scope value `scope` at now_ns that a node made
 * (the global count; the policy's consume). */
void limit_force(struct limit *l, uint64_t scope, int64_t now_ns);
/* Counts one request a node refused. */
void limit_count_refusal(struct limit *l);
/* Counts one request let through without a decision (the counter store
 * failed and on_store_error = allow): admitted, not in any count. */
void limit_count_unchecked(struct limit *l, int64_t now_ns);
/* A check of scope value `scope` that a counter store served after the
 * request it was for was settled without it (the check timed out): the
 * store's increment lands all the same. Applies the check to the scope's
 * state at now_ns, counting neither an admission nor a refusal (the
 * request was counted when it was settled). */
void limit_land(struct limit *l, uint64_t scope, int64_t now_ns);
/* Makes l, a global count, remember the scopes limit_force changes. */
void limit_track_changes(struct limit *l);
/* A sync: node's states of the scopes g changed since the last
 * limit_sync_done become g's (both set up from the same text). A scope g
 * did not change saw no admission anywhere, so the node's state of it is
 * already g's, as time moved both: the cost is the scopes changed, not
 * the scopes held. Counters stay. */
void limit_sync_to(const struct limit *g, struct limit *node, int64_t now_ns);
/* Every node has synced: forget the changes. */
void limit_sync_done(struct limit *g);
/* Lets a sliding log hold n times its limit per scope (the most n nodes
 * admit in one window); before the first check. */
void limit_widen(struct limit *l, uint32_t n);
/* Requests let through in the time-series interval that ends at now_ns
 * (ts_ns must be set). */
uint64_t limit_ts_passed(const struct limit *l, int64_t now_ns);
/* The limit as a rate, per second, of one scope: rate (buckets) or
 * limit / window. */
double limit_rate_per_s(const struct limit *l);

extern const struct policy_family limit_family; /* registry.c */
extern const struct limit_policy limit_token_bucket;
extern const struct limit_policy limit_leaky_bucket;
extern const struct limit_policy limit_fixed_window;
extern const struct limit_policy limit_sliding_log;
extern const struct limit_policy limit_sliding_window;

/* Parameter readers shared by the policies (limit.c). */
int limit_read_rate(const struct spec *sp, const struct param_spec *p, double *out,
                    struct diag *d);
int limit_read_count(const struct spec *sp, const struct param_spec *p, const char *key,
                     long long min, uint32_t *out, struct diag *d);
int limit_read_window(const struct spec *sp, const struct param_spec *p, int64_t *out,
                      struct diag *d);

/* ---- the windowed limiters (limit_window.c) -----------------------------
 * fixed_window, sliding_window and sliding_log take the same parameters,
 * read the same way; the two window counters keep the same head. */

/* The window head: the index of the current fixed window, the requests
 * counted in it and in the window just before it (0 when that one was
 * not the previous window). */
struct limit_window {
    int64_t window;
    uint32_t cur;
    uint32_t prev;
};
/* Reads limit and window (the table p made with LIMIT_WINDOW_PARAMS) and
 * sets l->slot_bytes. Returns 0 or -1 with a diagnostic. */
int limit_window_setup(struct limit *l, const struct spec *sp, const struct param_spec *p,
                       size_t slot_bytes, struct diag *d);
/* A slot_init for a slot that starts with a window head: now's window, no counts. */
void limit_window_init(const struct limit *l, void *slot, int64_t now_ns);
/* The consume of a window counter: counts one admission in now's window. */
long limit_window_consume(const struct limit *l, void *slot, int64_t now_ns);
/* Moves the head to now's window: the current count becomes the previous
 * one when the windows are adjacent, and the current restarts. */
void limit_window_roll(const struct limit *l, struct limit_window *s, int64_t now_ns);

/* The parameter table of a windowed limiter. */
#define LIMIT_WINDOW_PARAMS(limit_help, window_help)                                               {                                                                                                  {"limit", "int", NULL, limit_help}, {"window", "duration", "1s", window_help},                     LIMIT_PER_PARAM, {NULL, NULL, NULL, NULL},                                             }

/* The `per` row every limiter's parameter table ends with. */
#define LIMIT_PER_PARAM                                                                        \
    {"per", "scope", "global",                                                                 \
     "one limiter for: global (all requests), client (each client component), key (each "    \
     "key), user (each closed-loop user of each client; a client's open-loop requests share "  \
     "one)"}

#endif
