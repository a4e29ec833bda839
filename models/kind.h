/* kind: the table of functions behind a component kind ("client",
 * "service", ...), and the typed readers that build functions use to get
 * their keys. Kinds and policies are plain const data listed in
 * models/registry.c; the parser and `sdsim list` read the same tables. */
#ifndef SDSIM_MODELS_KIND_H
#define SDSIM_MODELS_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/dist.h"
#include "sim/policy.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "sim/spec.h"

struct keys;
struct limit;
struct napkin_flow;
struct napkin_server;
struct theory_station;
struct theory_wars;

/* What a scheduled fault does to a component (models/kinds/fault.c). */
enum fault_action {
    FAULT_CRASH,   /* the replica stops: its work fails, new requests are refused */
    FAULT_SLOW,    /* service times are multiplied by value */
    FAULT_ERRORS,  /* requests fail after service with probability value */
    FAULT_LATENCY, /* value nanoseconds are added to every reply */
};

struct metric_out {
    const char *name; /* static string */
    double value;
    bool per_component;
};

struct kind {
    const char *name;                /* as written in a scenario: [service app] */
    const char *summary;             /* one line for `sdsim list` */
    const struct param_spec *params; /* every key this kind accepts */
    size_t size;                     /* bytes of the kind's struct (starts with struct component) */
    /* Reads the section's keys into c (keys already checked against params).
     * May look up other components by name with kind_lookup. */
    int (*build)(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d);
    /* Optional, after every component is built (each that built without
     * error): checks what only the whole model can tell (a queue that
     * nobody reads and that is no other queue's dead-letter queue). */
    int (*check)(struct sim *sim, struct component *c, struct diag *d);
    void (*start)(struct sim *sim, struct component *c);       /* first events; may be NULL */
    void (*on_request)(struct sim *sim, struct component *c, struct request *r);
    void (*on_reply)(struct sim *sim, struct component *c, struct request *r);
    void (*reset)(struct sim *sim, struct component *c);       /* at the cut; may be NULL */
    void (*fini)(struct component *c);                         /* may be NULL */
    /* Extra per-run results for runs.csv and summary.csv (hit ratio, stale
     * reads, breaker openings, ...). Fills out[0..max) and returns how many.
     * A metric with per_component = true becomes the column
     * "<component>.<name>"; otherwise values of the same name from every
     * component are added up into the column "<name>". May be NULL. */
    size_t (*metrics)(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max);
    /* Extra time-series columns of this kind: fills names (static strings,
     * may be NULL) and values, returns how many (at most max). May be NULL. */
    size_t (*ts_extra)(const struct sim *sim, const struct component *c, const char **names,
                       double *values, size_t max);
    /* Starts (start = true) or ends a scheduled fault on one replica, or on
     * all when replica < 0; value is the action's parameter (a factor, a
     * probability, nanoseconds). The kind applies it to the node's struct
     * nodefault (models/kinds/nodefault.h), whose table lists the kinds and actions
     * fault.c lets through. NULL: the kind cannot be a fault's target. */
    void (*fault)(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                  double value, bool start);
    /* How many replicas a fault's `replica =` can name (numbered from 0),
     * once built; NULL: one node (replica 0 or all). Services answer
     * through service_replicas. */
    uint32_t (*nodes)(const struct component *c);
    /* `action = partition`: node `replica` (every node when < 0) is cut off
     * from the component's other nodes, not from its clients (start), or
     * reconnected (start = false). NULL: the kind has no nodes to cut
     * apart, and fault.c refuses the action at build time. */
    void (*partition)(struct sim *sim, struct component *c, int32_t replica, bool start);
    /* Why node `replica` (< 0: all) cannot be partitioned, once built (a
     * static string for the diagnostic), or NULL when it can. May be NULL. */
    const char *(*partition_refused)(const struct component *c, int32_t replica);
    /* Requests per second the component can serve now (its servers over
 * their mean holding time), for the message of a run stopped at
 * [sim] max_in_flight; NAN when it cannot say exactly. May be NULL. */
    double (*capacity_rps)(const struct sim *sim, const struct component *c);
    /* Napkin math before a run (models/napkin.h); each may be NULL.
     * napkin_source: a source's mean request rate per second (NAN: unknown,
     * e.g. a closed loop), its share of writes and its keys (NULL: none).
     * napkin_visits: the load c sends to its callee number `callee` (an
     * index into c->callees; a name listed twice is two callees) when it is
     * offered `in`; NULL: unknown (every callee gets NAN).
     * napkin_server: its capacity; NULL: the kind has no servers of its
     * own to speak of (printed `-` for clients, `?` otherwise). */
    double (*napkin_source)(const struct component *c, double *write_share,
                            const struct keys **keys);
    void (*napkin_visits)(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out);
    void (*napkin_server)(const struct component *c, struct napkin_server *out);
    /* napkin_fed_by: the component whose offered load c takes whole
     * without a call edge (a [consumers] group: its queue's publishes,
     * every group of a fanout queue all of them), or NULL. */
    const struct component *(*napkin_fed_by)(const struct component *c);
    /* napkin_side: calls c makes to components that are not its callees (a
     * service's auth: a session store, an auth, key or policy service):
     * fills to[] and, when in is not NULL, the load out[] each gets when c
     * is offered `in`; returns how many (at most max). NULL: none. */
    size_t (*napkin_side)(const struct component *c, const struct napkin_flow *in,
                          const struct component **to, struct napkin_flow *out, size_t max);
    /* Theory beside the simulation (models/theorycheck.h); each may be NULL:
     * the kind is never part of a model a formula covers.
     * theory_source (a client): true when c sends a homogeneous Poisson
     * stream, each request once to its callee, with nothing that abandons
     * or sends it again (timeouts, retries, hedges, a breaker); *rate_per_s
     * gets its rate, and *resends whether c sends a failed request to its
     * callee again at once, without limit (attempts = 0 and nothing else:
     * a failure after service is then Bernoulli feedback). theory_station: true when c is one FIFO station of
     * identical workers with an unbounded queue, i.i.d. service, no calls,
     * failures, shedding or autoscaling; fills *out. Otherwise false, with
     * *why the reason (static text). */
    bool (*theory_source)(const struct component *c, double *rate_per_s, bool *resends,
                          const char **why);
    bool (*theory_station)(const struct component *c, struct theory_station *out,
                           const char **why);
    /* theory_wars (a [wars] store): fills *out with its N, R, W, writes,
     * propagation and delays (models/theorycheck.h); false when c has no
     * WARS parameters to give. */
    bool (*theory_wars)(const struct component *c, struct theory_wars *out);
    /* theory_cache (a cache): true when c's hit ratio depends only on the
     * sequence of keys it is asked for (object capacity, an eviction policy
     * of Che's or Martina's model, no TTL, early refresh, coalescing or
     * bounded lookup queue); *policy gets the policy's name, *capacity the
     * objects it holds. Otherwise false, with *why. */
    bool (*theory_cache)(const struct component *c, const char **policy, double *capacity,
                         const char **why);
    /* theory_keys (a client): true when c sends each request once (no
     * retries, hedges, breaker or timeout), reads only, with keys drawn
     * independently from *keys (the independent reference model; any
     * open-loop arrival process); otherwise false, with *why. */
    bool (*theory_keys)(const struct component *c, const struct keys **keys, const char **why);
    bool is_client;                                            /* counts end-to-end results */
    bool no_traffic;   /* takes no requests and has no statistics (fault schedules) */
    bool self_driven;  /* makes its own work (a probe such as wars): needs no client */
    /* Kinds are built in increasing stage, file order within a stage, so a
     * kind that reads another's built state (a balancer reading the replica
     * count of its service) comes after it: services 0, others 1. */
    int build_stage;
};

/* A balancer's health checks and outlier detections (models/kinds/balancer.c). */
extern const struct policy_family balancer_health_family;
extern const struct policy_family balancer_outlier_family;
/* Is c a balancer, and its admission gate (models/admission/gate.h). */
struct gate;
bool balancer_is(const struct component *c);
struct gate *balancer_gate(const struct component *c);
/* A fault's actions on a node and on a link (models/kinds/fault.c). */
extern const struct policy_family fault_action_family;
extern const struct policy_family fault_link_family;

/* models/registry.c */
const struct kind *const *kind_all(void);          /* NULL-terminated */
const struct kind *kind_find(const char *name);
const struct policy_family *const *family_all(void); /* NULL-terminated */

/* ---- typed key readers (models/params.c) ------------------------------
 * Each reads `key` from s, falling back to the default in the kind's param
 * table; reports a bad value at its location and returns -1. */
const char *kp_raw(const struct sc_section *s, const struct param_spec *params, const char *key,
                   struct loc *loc);
int kp_duration(const struct sc_section *s, const struct param_spec *p, const char *key,
                int64_t *out_ns, struct diag *d);
int kp_int(const struct sc_section *s, const struct param_spec *p, const char *key, long long min,
           long long max, long long *out, struct diag *d);
int kp_fraction(const struct sc_section *s, const struct param_spec *p, const char *key,
                double *out, struct diag *d);
int kp_double(const struct sc_section *s, const struct param_spec *p, const char *key, double min,
              double max, double *out, struct diag *d);
int kp_bool(const struct sc_section *s, const struct param_spec *p, const char *key, bool *out,
            struct diag *d);
/* Per-node durations: "5ms" for all n nodes, or "1ms, 30ms, 2ms" one each
 * (comma-separated); negative values ("-20ms") only with allow_negative.
 * A bad value is reported at its own column, a wrong count at the key. */
int kp_durations(const struct sc_section *s, const struct param_spec *p, const char *key,
                 uint32_t n, bool allow_negative, int64_t *out, struct diag *d);
/* A distribution; *present is false when the key is absent and has no default. */
int kp_dist(const struct sc_section *s, const struct param_spec *p, const char *key,
            enum dist_unit unit, struct dist *out, bool *present, struct diag *d);
/* Checks every key of s against params; reports unknown keys with a hint. */
int kp_check_keys(const struct sc_section *s, const struct param_spec *params, const char *what,
                  struct diag *d);

/* Limits on what a scenario may ask for, beyond each key's own range, so that
 * a legal-looking product (replicas x workers) cannot take gigabytes:
 * servers of one service (replicas, or autoscale max, x workers); servers of
 * the whole run (every component's st.servers); users of all clients. */
#define KIND_MAX_SERVERS 1e7
#define KIND_MAX_RUN_SERVERS 1e8
#define KIND_MAX_RUN_USERS 1e7

/* Makes c a component of kind k: sets c->kind and fills c->ops, the calls
 * the engine makes (models/model.c). */
void kind_bind(struct component *c, const struct kind *k);

/* The component named `name` in the run, or NULL. */
struct component *kind_lookup(struct sim *sim, const char *name);

/* Reads a comma-separated list of component names (`to`, `calls`) into
 * c->callees, reporting unknown names with a suggestion. */
int kind_read_callees(struct sim *sim, struct component *c, const struct sc_section *s,
                      const char *key, bool required, struct diag *d);

#endif
