/* attrib: where a request's time goes ([sim] attribution = on).
 *
 * Every request keeps a clock mark, attr.at_ns: the time up to which its
 * life is accounted for. Each step that ends a stretch of it adds the
 * stretch (now - at_ns) to one phase and moves the mark:
 *   - a component starts serving it (sim_attr_queue, from the station):
 *     the stretch is that component's queue;
 *   - a component sends it on or replies (sim_send, sim_reply): the stretch
 *     is that component's service, and the message's network delay goes to
 *     the hop's network phase (the callee's, both ways);
 *   - a child request (a client's attempt or hedge, a guarded call) comes
 *     back: with success its phases join its parent's, and the time before
 *     it was sent is the parent's hedge wait (sim_attr_adopt); with failure
 *     the parent's whole stretch is time lost to failed attempts
 *     (sim_attr_fail); a retry's wait is backoff (sim_attr_wait).
 * So the phases of a request add up to its latency by construction; what a
 * path does not account for (none of the shipped kinds) is reported as
 * "unaccounted", never hidden in another phase.
 *
 * A request holds ATTR_SLOTS (phase, time) slots (a request visits few
 * components); time of phases past them goes to "other". At its end the
 * client adds the request's phases into a per-client sink, one row per
 * bucket of the latency histogram's layout (sim/hist.h), in blocks of one
 * octave allocated when first touched: memory is bounded (57 blocks at
 * most), not growing with the requests. sim_attr_groups then gives the
 * phase totals of all requests and of those at or above p99 and p99.9.
 *
 * Off (sim->attr NULL), a run pays one predictable test per request taken,
 * message (shared with the link faults' test), service start and success,
 * and one pointer per request (request.attr): make bench's callgrind count
 * went from 1707.5 to 1720.5 instructions per request (M/M/1). */
#ifndef SDSIM_SIM_ATTRIB_H
#define SDSIM_SIM_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct request;
struct component;

#define ATTR_SLOTS 12

/* A request's accumulator (struct request.attr). Written only with
 * attribution on. */
struct req_attr {
    int64_t at_ns;    /* its time is accounted up to here */
    int64_t start_ns; /* when it was taken from the pool: an attempt's or call's send */
    int64_t other_ns; /* phases past the slots */
    uint32_t n;
    uint32_t idx[ATTR_SLOTS]; /* phase index (see below) */
    int64_t ns[ATTR_SLOTS];
    struct trace_req *tr; /* sampled for the trace (sim/trace.h), or NULL */
    bool tr_decided;      /* sampled or not, decided */
};

/* Phase indices: component i has 3 (queue, service, network) at 3 i + k;
 * the request-wide ones follow at 3 ncomps + k. */
enum attr_comp_phase { ATTR_QUEUE, ATTR_SERVICE, ATTR_NETWORK, ATTR_COMP_PHASES };
enum attr_req_phase {
    ATTR_BACKOFF,     /* waiting between a failed attempt and its retry */
    ATTR_HEDGE,       /* waiting before the copy that won was sent */
    ATTR_FAILED,      /* attempts (or calls) that failed or timed out */
    ATTR_OTHER,       /* phases past a request's ATTR_SLOTS */
    ATTR_UNACCOUNTED, /* latency no phase explains (0 on every shipped path) */
    ATTR_REQ_PHASES
};
extern const char *const attr_comp_phase_names[ATTR_COMP_PHASES];
extern const char *const attr_req_phase_names[ATTR_REQ_PHASES];

/* The groups sim_attr_groups reports. */
enum attr_group { ATTR_ALL, ATTR_P99, ATTR_P999, ATTR_GROUPS };
extern const char *const attr_group_names[ATTR_GROUPS];

struct attr_sink;
/* The run's attribution state (sim->attr): one sink per component. */
struct sim_attr {
    size_t ncomps;
    size_t nphases; /* 3 ncomps + ATTR_REQ_PHASES */
    struct attr_sink **sinks;
    bool record; /* sinks filled (off when only [sim] trace turned the hooks on) */
};

/* Turns attribution on for sim (after its model is built). */
void sim_attr_enable(struct sim *sim);
void sim_attr_free(struct sim_attr *a); /* NULL-safe */

/* The hooks; each is called only when sim->attr is set. Marked cold: the
 * compiler keeps them off the hot paths of runs without attribution. */
#ifdef __GNUC__
#define ATTR_HOOK __attribute__((cold))
#else
#define ATTR_HOOK
#endif
ATTR_HOOK void sim_attr_begin(struct sim *sim, struct request *r);     /* a new request */
ATTR_HOOK void sim_attr_queue(struct sim *sim, struct request *r, const struct component *c);
ATTR_HOOK void sim_attr_hop(struct sim *sim, struct request *r, const struct component *holder,
                  const struct component *callee, int64_t delay_ns);
ATTR_HOOK void sim_attr_close(struct sim *sim, struct request *r, const struct component *c); /* service */
ATTR_HOOK void sim_attr_adopt(struct sim *sim, struct request *parent, const struct request *child);
ATTR_HOOK void sim_attr_fail(struct sim *sim, struct request *r);
ATTR_HOOK void sim_attr_fail_all(struct sim *sim, struct request *r);
ATTR_HOOK void sim_attr_wait(struct sim *sim, struct request *r); /* backoff */
/* A measured request of client c ended with success after latency_ns. */
ATTR_HOOK void sim_attr_done(struct sim *sim, const struct component *c, const struct request *r,
                   int64_t latency_ns);

/* Requests recorded at component c (a client), and the phase totals of the
 * groups: n[g] requests (fractional for the p99 groups, see attrib.c) and
 * ns[g * nphases + k] summed ns of phase k. Returns false when c recorded
 * none. */
bool sim_attr_groups(const struct sim_attr *a, size_t c, double n[ATTR_GROUPS], double *ns);

#endif
