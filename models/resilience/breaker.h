/* breaker: a circuit breaker on calls to one dependency, as a pure state
 * machine over simulated time (the caller, models/kinds/dep.c, schedules the end
 * of the open period and keeps the time in each state).
 *
 *   CLOSED --trip--> OPEN --after `open`--> HALF_OPEN --probes pass--> CLOSED
 *                      ^                        |
 *                      +------probes fail-------+
 *
 * Policies (`sdsim list breaker`):
 *   consecutive(failures=5, open=10s, probes=1)
 *       trips after `failures` failures in a row (the catalogue's breaker);
 *       in half-open any failed probe re-opens, `probes` successes close.
 *   count(window=100, min_calls=100, rate=50%, open=60s, probes=10, ...)
 *   time(window=60s, min_calls=100, rate=50%, open=60s, probes=10, ...)
 *       Resilience4j's failure-rate breaker over the last `window` calls or
 *       the last `window` of time (10 buckets), evaluated once min_calls are
 *       in the window; in half-open exactly `probes` calls pass, and when all
 *       have completed the breaker opens if their failure rate (or slow
 *       rate) reaches the threshold, else it closes.
 * All take slow=D (0: off) and slow_rate: a call that succeeds but takes at
 * least D is slow; the breaker trips when the slow share reaches slow_rate
 * (consecutive: a slow call counts as a failure).
 *
 * Unlike the catalogue's Go sketch, half-open admits at most `probes` calls
 * at once (the sketch lets every caller through once the timeout passed and
 * serialises all calls under its mutex), and the result of a call admitted
 * in an earlier state is ignored (each admission carries the state's epoch).
 * Costs: O(1) per call; the time window is O(buckets) when it slides. */
#ifndef SDSIM_MODELS_BREAKER_H
#define SDSIM_MODELS_BREAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

enum breaker_state { BREAKER_CLOSED, BREAKER_OPEN, BREAKER_HALF_OPEN };

#define BREAKER_BUCKETS 10

struct breaker;

struct breaker_policy {
    struct policy_head head; /* first: name, summary, parameters */
    int (*init)(struct breaker *b, const struct spec *sp, struct diag *d);
    /* Records a call's outcome while closed; returns true if it trips. */
    bool (*closed_record)(struct breaker *b, int64_t now_ns, bool failed, bool slow);
};

struct breaker {
    const struct breaker_policy *pol;
    /* parameters */
    uint32_t failures;    /* consecutive: the run of failures that trips */
    uint32_t window;      /* count: calls in the window */
    int64_t window_ns;    /* time: length of the window */
    uint32_t min_calls;   /* rate policies: calls before the rate counts */
    double rate;          /* rate policies: failure share that trips */
    int64_t open_ns;      /* how long it stays open */
    uint32_t probes;      /* calls admitted in half-open */
    int64_t slow_ns;      /* a call at least this long is slow (0: off) */
    double slow_rate;     /* slow share that trips */
    /* state */
    enum breaker_state state;
    uint32_t epoch;       /* changes at every transition */
    int64_t opened_ns;    /* when it last opened */
    uint32_t run;         /* consecutive failures so far */
    uint32_t probes_out, probes_done, probes_failed, probes_slow;
    uint8_t *ring;        /* count window: per call bit 0 failed, bit 1 slow */
    uint32_t ring_head, ring_len;
    uint32_t nfailed, nslow;                  /* in the window (count or time) */
    uint32_t bcalls[BREAKER_BUCKETS], bfailed[BREAKER_BUCKETS], bslow[BREAKER_BUCKETS];
    int64_t bucket_id;    /* time window: index of the newest bucket */
    uint32_t ncalls;      /* time window: calls in the window */
    uint64_t opens;       /* transitions to open since the start */
    uint64_t cycles;      /* closed -> open -> closed: half-open probes passed */
    uint64_t reopens;     /* half-open -> open: probes failed (also counted in opens) */
};

/* Parses "consecutive(failures=5, ...)" at loc. Returns 0 or -1. */
int breaker_setup(struct breaker *b, const char *text, struct loc loc, struct diag *d);
void breaker_fini(struct breaker *b);

/* May a call go now? Moves OPEN to HALF_OPEN once the open period is over.
 * On true, *ticket receives the epoch to give back to breaker_record. */
bool breaker_allow(struct breaker *b, int64_t now_ns, uint32_t *ticket);
/* The outcome of an admitted call (latency_ns from its start). Ignored when
 * the breaker changed state since the call was admitted. */
void breaker_record(struct breaker *b, int64_t now_ns, uint32_t ticket, bool failed,
                    int64_t latency_ns);
/* The call admitted with ticket will not report (its caller gave up
 * without an outcome): frees its half-open probe place. */
void breaker_forget(struct breaker *b, uint32_t ticket);
/* Moves OPEN to HALF_OPEN if the open period is over (for a timer). */
void breaker_poll(struct breaker *b, int64_t now_ns);

extern const struct policy_family breaker_family; /* its policies, registry.c */

extern const struct breaker_policy breaker_consecutive;
extern const struct breaker_policy breaker_count;
extern const struct breaker_policy breaker_time;

#endif
