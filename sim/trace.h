/* trace: the spans of sampled requests ([sim] trace = SHARE; trace.json).
 *
 * A request is sampled when a hash of its id falls under SHARE: the same
 * requests are traced at any -j, and the trace is the same bytes for the
 * same seed. Its attempts, hedges and guarded calls (child requests) follow
 * their parent's choice. The trace rides on the attribution hooks (sim/
 * attrib.h): tracing turns the per-request accumulators on (without the
 * attribution sinks unless attribution is on too), and a sampled request's
 * accumulator points to its trace state (struct trace_req, from a pool with
 * a free list: reused when the request's slot is taken again).
 *
 * What is recorded, in simulated nanoseconds (output/trace.c writes them as
 * Chrome trace events in microseconds):
 *   - "request": the client's whole view of a request, born to its end,
 *     on the client's track (TRACE_REQUEST);
 *   - a hop: the time a component held the request, from its arrival to its
 *     reply, on the track of the component's replica (TRACE_HOP), with
 *     "queue" (arrival to service start) and "service" (start to reply) as
 *     children when a station served it;
 *   - "network": a message's flight, on the caller's track, nested in the
 *     caller's span (both ways: the call and the reply);
 *   - "backoff": a client's wait before a retry;
 *   - a flow (TRACE_FLOW) from the sender at the send to the callee's hop
 *     span: it links every attempt, retry and hedge to the request;
 *   - a delivery (TRACE_DELIVERY): a message the request published to a
 *     [queue], on the track of its consumers group's partition, from its
 *     store (or its redelivery) to its processing's end (or its loss), with
 *     "queue" and "service" children when a consumer took it; its parent is
 *     the publish's hop at the queue, and a flow goes from that hop's start
 *     to each delivery (one per group of a fanout topic, one per
 *     redelivery). A fire-and-forget message outlives its publish: the
 *     writer marks it late;
 *   - a reply (TRACE_REPLY, request-response): the reply a processing
 *     published, on the reply queue's track, from its publish to the caller
 *     taking it; its parent is the publish's hop at the request queue, a
 *     flow goes from the processing's end to it and another from it to the
 *     caller's track when the caller takes it.
 * Every span has an id, its parent's id and its request's id, so a checker
 * can verify nesting (tests/trace_check.c). A span whose request was given
 * up before it ended (a hedge that lost, a timed-out attempt) is marked
 * late: it may end after its parent.
 *
 * Memory: at most max events per run (then full is set and later events are
 * dropped), in one array grown by doubling.
 *
 * Cost: off, a run pays one predictable test per request end (the client's
 * account) and per child request (sim_req_child); the others sit behind the
 * attribution and message hooks' tests. Callgrind, M/M/1 (tests/bench/
 * mm1.ini), instructions per request: 1825.7 before, 1828.8 off, 2186 at
 * 0.1% (the accumulators of every request), 44166 at 100% with writing. */
#ifndef SDSIM_SIM_TRACE_H
#define SDSIM_SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim;
struct request;
struct component;

enum trace_what {
    TRACE_REQUEST, /* a client's request, born to end */
    TRACE_HOP,     /* a component held it: name is the component */
    TRACE_QUEUE,
    TRACE_SERVICE,
    TRACE_NETWORK,
    TRACE_BACKOFF,
    TRACE_FLOW_OUT, /* "s": the sender's end of a flow */
    TRACE_FLOW_IN,  /* "f": the callee's end, at its hop's start */
    TRACE_DELIVERY, /* a queue's message held by a consumers group: name is the group */
    TRACE_REPLY,    /* request-response: a reply at the reply queue, from its publish by the
                       consumer to the caller taking it; name is the reply queue */
};

/* What a flow (TRACE_FLOW_OUT / TRACE_FLOW_IN, status) links: a sender to the
 * callee's hop, or a publish to a delivery (span); a delivery's processing
 * to the reply it published (span: the reply); a reply to its caller (span:
 * the reply; its id has bit 31 set, apart from the first). */
enum trace_flow { TRACE_FLOW_CALL, TRACE_FLOW_TO_REPLY, TRACE_FLOW_TO_CALLER };

struct trace_ev {
    int64_t ts_ns, dur_ns;
    uint64_t req;      /* the sampled request's id */
    uint32_t span;     /* this span's id (a flow's: the callee hop's span) */
    uint32_t parent;   /* the parent span's id, or 0: none (a request) */
    uint32_t tid;      /* track: index in trace_result.tracks */
    uint32_t comp;     /* TRACE_HOP, TRACE_DELIVERY: component id */
    uint8_t what;      /* enum trace_what */
    uint8_t status;    /* TRACE_REQUEST: enum req_status; a flow: enum trace_flow */
    bool late;
};

/* A sampled request's state (request.attr->tr). */
struct trace_req {
    uint32_t span[16];  /* the span of the component at each depth */
    int64_t arrive[16]; /* when the request reached the component at each depth */
    int64_t started[16]; /* when the station at each depth started it (not the frame's
                          * start_ns: a cache sets that again when it fetches a miss) */
    uint32_t tid0;      /* track of frame 0 (a child's: its parent's caller) */
    uint32_t queued;    /* bit d: the station at depth d started it (queue span out) */
    uint64_t req;       /* the sampled request's id */
    struct trace_req *next_free;
    /* a message's (msg): span[0] and arrive[0] are its current delivery's;
     * the publish it came from is the queue's hop span pub_span (on track
     * pub_tid, from pub_ns); start_ns: its processing's start (queued bit 0) */
    bool msg;
    bool acking;         /* its delivery is drawn, its ack on its way (ack_delay) */
    uint32_t pub_span, pub_tid;
    uint32_t caller_tid; /* the publisher's track, which a reply goes back to */
    int64_t pub_ns, start_ns;
};

struct sim_trace {
    uint64_t threshold; /* sampled when hash(id) < threshold */
    bool all;           /* 100%: every request */
    struct trace_ev *ev;
    size_t n, cap, max;
    bool full;          /* max reached: later events were dropped */
    uint64_t sampled;   /* requests sampled */
    uint32_t next_span;
    struct trace_req **chunks; /* trace states, in chunks of 64 */
    size_t nchunks;
    struct trace_req *free_tr;
    /* tracks: (component, replica) -> track index + 1 (0: none yet) */
    size_t ncomps;
    uint32_t **track_of;
    uint32_t *nreplicas;
    uint32_t (*tracks)[2]; /* component, replica of each track, in first-use order */
    size_t ntracks, tracks_cap;
};

/* What a run hands to the writer (run_result.trace). */
struct trace_result {
    struct trace_ev *ev;
    size_t n;
    bool full;
    uint64_t sampled;
    char **tracks;  /* ntracks names: "component" or "component[replica]" */
    size_t ntracks;
    char **comps;   /* ncomps component names */
    size_t ncomps;
};

/* Turns tracing on for sim (after its model is built): share in (0, 1]. */
void sim_trace_enable(struct sim *sim, double share, size_t max_events);
void sim_trace_free(struct sim_trace *t); /* NULL-safe */
/* Moves the recorded trace out of sim (NULL when tracing was off). */
struct trace_result *sim_trace_take(struct sim *sim);
void trace_result_free(struct trace_result *t); /* NULL-safe */

/* The hooks, called from sim/attrib.c and sim/sim.c when sim->trace is set
 * and the request is sampled (request.attr->tr). */
void trace_begin(struct sim *sim, struct request *r);
void trace_child(struct sim *sim, struct request *r);
void trace_queue(struct sim *sim, struct request *r);
void trace_send(struct sim *sim, struct request *r, const struct component *from, int64_t delay_ns);
void trace_reply(struct sim *sim, struct request *r, int64_t delay_ns);
void trace_backoff(struct sim *sim, struct request *r, int64_t from_ns);
/* Messages (models/kinds/queue.c), when sim->trace is set: the queue
 * stores message m of publish r (a sampled request at the queue, or a
 * traced message: a dead letter), which starts its first delivery to m's
 * consumers group; m's delivery ends (final: m is freed; else it is
 * delivered again from now: a failure or a crash). */
void trace_msg_publish(struct sim *sim, const struct request *r, struct request *m);
void trace_msg_copy(struct sim *sim, const struct request *m, struct request *copy);
void trace_msg_end(struct sim *sim, struct request *m, bool final);
/* m's processing ended well and its ack is on its way (ack_delay): its
 * delivery ends now (store to the end of its processing), so a run that
 * ends before the ack lands still has it; the ack's landing (trace_msg_end,
 * final) draws nothing more, and a lost ack (trace_msg_end, not final:
 * delivered again) starts its next delivery then. */
void trace_msg_processed(struct sim *sim, struct request *m);
/* Request-response: m's processing ended and its consumer published the
 * reply to reply queue rq's partition part, which the caller takes after
 * delay_ns: the reply's span on rq's track, a flow from the processing to
 * it and one from it to the caller. */
void trace_msg_reply(struct sim *sim, const struct request *m, const struct component *rq,
                     uint32_t part, int64_t delay_ns);
/* The client c's request r ended with status (enum req_status) after latency_ns. */
void trace_end(struct sim *sim, const struct component *c, const struct request *r, int status,
               int64_t latency_ns);

#endif
