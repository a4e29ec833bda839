/* client: request generation, timeouts, simple retries and end-to-end
 * accounting. A request keeps its client frame at the bottom of its stack;
 * the frame's timer is the pending timeout. When the timeout fires first the
 * request is marked abandoned and counted as a timeout; its late reply is
 * then dropped here, so nothing is counted twice. */
#include "models/kinds/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/admission/gate.h"
#include "models/arrival/arrival.h"
#include "models/resilience/backoff.h"
#include "models/kinds/dep.h"
#include "models/data/keys.h"
#include "models/kind.h"
#include "models/napkin.h"
#include "models/kinds/service.h"
#include "models/theorycheck.h"
#include "sim/hist.h"
#include "sim/stats.h"

struct client {
    struct component base;
    struct arrival arrival;
    bool closed;            /* closed loop: users + think */
    long long users;
    struct dist think;
    int64_t timeout_ns;     /* 0: wait forever */
    long long max_attempts; /* 0: unlimited */
    bool has_keys;
    bool draw_keys;         /* has_keys, and a key may be read (start) */
    struct keys keys;
    double writes;          /* fraction of requests that are writes */
    struct rng arrival_rng;
    struct rng work_rng;
    struct rng think_rng;
    struct rng key_rng;     /* keys and read/write: their own stream */
    struct client_totals tot;
    /* Resilience (issue 6): retries with backoff, a retry budget, per-attempt
     * timeouts and hedging. Any of them turns on the attempt path below. */
    bool resilient;
    bool report_resil;      /* write the resilience metrics (runs.csv columns) */
    struct backoff backoff;
    unsigned retry_on;      /* RETRY_ON_* */
    bool has_budget;
    struct budget budget;
    int64_t attempt_timeout_ns; /* 0: none */
    int64_t hedge_ns;       /* 0: no hedging */
    long long hedges;       /* extra copies per request at most */
    struct rng backoff_rng;
    struct client_resil res;
    bool has_dep;           /* `breaker`: every attempt is a guarded call (models/kinds/dep.c) */
    struct dep dep;
    /* Optimistic concurrency (`occ = true`): see the section below. */
    bool occ;
    uint64_t occ_reads;      /* reads sent by measured transactions */
    uint64_t occ_cas;        /* conditional writes sent by measured transactions */
    uint64_t occ_done;       /* users whose write went through */
    int64_t occ_last_ns;     /* when the last of them did */
    /* Auth outcomes of every request (measured or not) for the time series,
     * and their counts at the last sample. */
    uint64_t ts_unauth, ts_denied, ts_unauth_mark, ts_denied_mark;
    int64_t ts_mark_ns;
};

enum { RETRY_ON_ERROR = 1, RETRY_ON_TIMEOUT = 2, RETRY_ON_REJECTED = 4, RETRY_ON_RATE_LIMITED = 8,
       RETRY_ON_UNAUTHENTICATED = 16 };

static const struct param_spec params[] = {
    {"to", "component", NULL, "where requests go"},
    {"arrival", "arrival", "",
     "open-loop arrival process, e.g. poisson(rate=100/s) (see `sdsim list arrival`); "
     "or use users + think"},
    {"keys", "keys", "uniform(n=1000000)",
     "key of each request, e.g. zipf(n=100000, s=0.99) (see `sdsim list keys`)"},
    {"writes", "fraction", "0", "share of requests that are writes (the rest are reads)"},
    {"users", "int", "", "closed loop: number of users, each with one request at a time"},
    {"think", "dist", "exp(mean=1s)", "closed loop: think time between a reply and the next request"},
    {"timeout", "duration", "0", "give up on a request after this long (0: never)"},
    {"attempts", "int", "1",
     "attempts per request (0: unlimited); without `retry` errors are retried at once"},
    {"retry", "backoff", "",
     "wait before a retry: none, constant(delay=100ms, jitter=none), "
     "exponential(base=5ms, cap=2s, jitter=full|equal|decorrelated|none) "
     "(see `sdsim list backoff`); needs attempts > 1"},
    {"retry_on", "list", "error",
     "what is retried: any of error (failed replies), timeout (attempt_timeout), rejected "
     "(queue full, shed, breaker, bulkhead), rate_limited (a balancer's or service's `limit`; the retry "
     "waits at least the limiter's retry_after hint when it sends one), unauthenticated "
     "(a service's or gateway's auth refused it); denied (authorisation) is never retried"},
    {"retry_budget", "fraction|none", "none",
     "retries (and hedges) at most this share of requests, plus retry_burst (token bucket, "
     "as Finagle and gRPC)"},
    {"retry_burst", "number", "10", "the retry budget's bucket size and starting tokens"},
    {"attempt_timeout", "duration", "0",
     "give up on one attempt after this long and maybe retry (0: never); `timeout` bounds "
     "the whole request"},
    {"hedge", "duration", "0",
     "send another copy when no reply came after this long, take the first success (0: off)"},
    {"hedges", "int", "1", "extra copies per request at most (with hedge)"},
    {"breaker", "breaker", "none",
     "circuit breaker on the client's attempts, e.g. consecutive(failures=5, open=10s) (see "
     "`sdsim list breaker`); an attempt it refuses fails at once as rejected (retried with "
     "retry_on = rejected); an attempt counts for it when its reply comes back"},
    {"latency", "dist", "", "one-way network delay to `to` (and back), e.g. const(1ms)"},
    {"occ", "bool", "false",
     "optimistic concurrency, with users = N: every user starts at 0, reads its key, then "
     "writes it conditionally (cas) with the version read; a refused write waits `retry` "
     "and reads again (`attempts` bounds the writes, 0: unlimited); a user stops after one "
     "write goes through (AWS \"Exponential Backoff And Jitter\"); reports total_calls and "
     "last_completion_s"},
    {NULL, NULL, NULL, NULL},
};

const struct client_totals *client_totals(const struct component *c)
{
    return &((const struct client *)c)->tot;
}

double client_rate_per_s(const struct component *c)
{
    const struct client *cl = (const struct client *)c;
    if (!cl->closed)
        return cl->arrival.rate_per_s;
    double think_s = cl->think.mean / 1e9;
    return think_s > 0 ? (double)cl->users / think_s : (double)cl->users * 1e9;
}

static inline void send_new(struct sim *sim, struct client *cl, uint32_t user);
static void think_then_send(struct sim *sim, struct client *cl, uint32_t user);

/* Counts a measured request's final outcome by its cause. */
static void count_cause(struct client *cl, const struct request *r)
{
    struct client_resil *x = &cl->res;
    switch ((enum req_status)r->status) {
    case REQ_OK: /* account counts its fallbacks */
        break;
    case REQ_REJECTED:
        if (r->cause == CAUSE_BREAKER)
            x->rejected_breaker++;
        else if (r->cause == CAUSE_BULKHEAD)
            x->rejected_bulkhead++;
        else if (r->cause == CAUSE_SHED)
            x->rejected_shed++;
        else if (r->cause != CAUSE_RATE_LIMITED && r->cause != CAUSE_UNAUTHENTICATED &&
                 r->cause != CAUSE_DENIED) /* outcomes of their own */
            x->rejected_queue++;
        break;
    case REQ_ERROR:
        if (r->cause == CAUSE_CALL_TIMEOUT)
            x->errors_call_timeout++;
        else if (r->cause == CAUSE_DROPPED)
            x->errors_dropped++;
        else
            x->errors_failed++;
        break;
    case REQ_TIMEOUT:
        break;
    }
}

/* The end of a request: time series, precision, totals. Its latency goes
 * to the success histogram or to the failed one (rejections, errors and
 * timeouts, at the time they ended), so the runner can report both the
 * successes' latency and that of every finished request. Inlined, as is
 * send_new: both run once per request. */
__attribute__((always_inline)) static inline void
account(struct sim *sim, struct client *cl, const struct request *r)
{
    int64_t latency = sim_now(sim) - r->born_ns;
    if (r->status == REQ_OK)
        sim_observe(sim, latency, r->measured);
    if (sim->trace) /* a sampled request's span */
        trace_end(sim, &cl->base, r, r->status, latency);
    sim_ts_outcome(sim, (enum req_status)r->status, latency);
    if (r->status == REQ_REJECTED) {
        cl->ts_unauth += r->cause == CAUSE_UNAUTHENTICATED;
        cl->ts_denied += r->cause == CAUSE_DENIED;
    }
    if (!r->measured)
        return;
    if (r->status != REQ_OK) { /* the call of every failure, not of every request */
        count_cause(cl, r);
        hist_add(cl->tot.latency_failed, latency);
    }
    switch (r->status) {
    case REQ_OK:
        cl->tot.completed++;
        cl->tot.fallbacks += r->cause == CAUSE_FALLBACK;
        hist_add(cl->tot.latency, latency);
        if (sim->attr)
            sim_attr_done(sim, &cl->base, r, latency);
        break;
    case REQ_REJECTED:
        if (r->cause == CAUSE_RATE_LIMITED)
            cl->tot.rate_limited++;
        else if (r->cause == CAUSE_UNAUTHENTICATED)
            cl->tot.unauthenticated++;
        else if (r->cause == CAUSE_DENIED)
            cl->tot.denied++;
        else
            cl->tot.rejected++;
        break;
    case REQ_TIMEOUT:
        cl->tot.timeouts++;
        break;
    default:
        cl->tot.errors++;
        break;
    }
}

/* ---- the attempt path: retries with backoff, attempt timeouts, hedging ----
 * The request a user makes (L below) is never sent. Each attempt is a child
 * request (parent = L) with the same work seed and its own attempt number,
 * so an attempt that was given up can still be in a queue while the next
 * one is sent. L keeps its state in its two client frames:
 *   stack[0].timer    the deadline (`timeout`) or EVQ_NONE
 *   stack[0].step     attempts alive (sent and not yet come back): L is
 *                     freed when it is finished and this is 0
 *   stack[0].slot     attempts awaited (alive and not given up)
 *   stack[0].replica  attempts sent;  stack[0].epoch  hedges sent
 *   stack[0].start_ns the last backoff wait (decorrelated jitter needs it)
 *   stack[1].timer    the pending retry or hedge, or EVQ_NONE
 * L->abandoned means finished: nobody waits for its attempts any more, so a
 * service with drop_abandoned may drop them. */

static void cancel(struct sim *sim, uint64_t *timer)
{
    if (*timer != EVQ_NONE)
        evq_cancel(sim->q, *timer);
    *timer = EVQ_NONE;
}

static void finish_logical(struct sim *sim, struct client *cl, struct request *L,
                           bool timed_out)
{
    cancel(sim, &L->stack[0].timer);
    cancel(sim, &L->stack[1].timer);
    L->abandoned = true;
    account(sim, cl, L);
    uint32_t user = L->user;
    if (L->stack[0].step == 0)
        sim_req_free(sim, L);
    if (cl->closed && timed_out)
        send_new(sim, cl, user);
    else if (cl->closed)
        think_then_send(sim, cl, user);
}

static void on_attempt_timeout(struct sim *sim, void *a, void *b);
static void on_hedge(struct sim *sim, void *a, void *b);

static void attempt_send(struct sim *sim, struct client *cl, struct request *L)
{
    struct request *r = sim_req_child(sim, L);
    r->attempt = L->stack[0].replica++;
    L->stack[0].step++;
    L->stack[0].slot++;
    struct frame *f = sim_enter(r, &cl->base);
    f->arrive_ns = sim_now(sim);
    if (r->measured)
        cl->tot.attempts++;
    if (cl->attempt_timeout_ns > 0)
        f->timer = sim_after(sim, cl->attempt_timeout_ns, on_attempt_timeout, cl, r);
    if (cl->hedge_ns > 0 && (long long)L->stack[0].epoch < cl->hedges &&
        L->stack[1].timer == EVQ_NONE)
        L->stack[1].timer = sim_after(sim, cl->hedge_ns, on_hedge, cl, L);
    if (cl->has_dep) /* may finish L at once: last */
        dep_call(sim, &cl->dep, r);
    else
        sim_send(sim, &cl->base, r, cl->base.callees[0]);
}

static void on_retry(struct sim *sim, void *a, void *b)
{
    struct request *L = b;
    L->stack[1].timer = EVQ_NONE;
    if (sim->attr) /* the backoff wait ends */
        sim_attr_wait(sim, L);
    attempt_send(sim, a, L);
}

static void on_hedge(struct sim *sim, void *a, void *b)
{
    struct client *cl = a;
    struct request *L = b;
    L->stack[1].timer = EVQ_NONE;
    if (cl->has_budget && !budget_withdraw(&cl->budget)) {
        if (L->measured)
            cl->res.retries_denied++;
        return;
    }
    L->stack[0].epoch++;
    if (L->measured)
        cl->res.hedges++;
    attempt_send(sim, cl, L);
}

/* An attempt failed (kind: RETRY_ON_*) and L->status says how. Retries
 * after the backoff when allowed; waits when another copy is still out. */
static void after_failure(struct sim *sim, struct client *cl, struct request *L, unsigned kind)
{
    if (L->stack[0].slot > 0)
        return;
    if (sim->attr) /* no copy is awaited: the time since the last mark was lost */
        sim_attr_fail(sim, L);
    cancel(sim, &L->stack[1].timer);
    bool may = (cl->retry_on & kind) &&
               (cl->max_attempts == 0 || (long long)L->stack[0].replica < cl->max_attempts);
    if (may && cl->has_budget && !budget_withdraw(&cl->budget)) {
        may = false;
        if (L->measured)
            cl->res.retries_denied++;
    }
    if (!may) {
        finish_logical(sim, cl, L, false);
        return;
    }
    int64_t wait = backoff_delay(&cl->backoff, L->stack[0].replica, L->stack[0].start_ns,
                                 &cl->backoff_rng);
    if (kind == RETRY_ON_RATE_LIMITED && L->retry_after_ns > wait) /* honour Retry-After */
        wait = L->retry_after_ns;
    L->stack[0].start_ns = wait;
    L->stack[1].timer = sim_after(sim, wait, on_retry, cl, L);
}

static void on_attempt_timeout(struct sim *sim, void *a, void *b)
{
    struct client *cl = a;
    struct request *r = b;
    struct request *L = r->parent;
    r->stack[0].timer = EVQ_NONE;
    r->abandoned = true;
    if (L->abandoned) /* L has finished (its deadline, or another copy): it is accounted */
        return;
    L->stack[0].slot--;
    if (L->measured)
        cl->res.attempt_timeouts++;
    L->status = REQ_TIMEOUT;
    L->cause = CAUSE_NONE;
    after_failure(sim, cl, L, RETRY_ON_TIMEOUT);
}

static void on_deadline(struct sim *sim, void *a, void *b)
{
    struct request *L = b;
    L->stack[0].timer = EVQ_NONE;
    L->status = REQ_TIMEOUT;
    L->cause = CAUSE_NONE;
    finish_logical(sim, a, L, true);
}

static void attempt_reply(struct sim *sim, struct client *cl, struct request *r)
{
    struct request *L = r->parent;
    cancel(sim, &r->stack[0].timer);
    L->stack[0].step--;
    if (r->abandoned || L->abandoned) { /* given up, or L already finished */
        sim_req_free(sim, r);
        if (L->abandoned && L->stack[0].step == 0)
            sim_req_free(sim, L);
        return;
    }
    L->stack[0].slot--;
    L->status = r->status;
    L->cause = r->cause;
    L->version = r->version;
    L->retry_after_ns = r->retry_after_ns;
    unsigned kind = r->status != REQ_REJECTED            ? RETRY_ON_ERROR
                    : r->cause == CAUSE_RATE_LIMITED    ? RETRY_ON_RATE_LIMITED
                    : r->cause == CAUSE_UNAUTHENTICATED ? RETRY_ON_UNAUTHENTICATED
                    : r->cause == CAUSE_DENIED          ? 0 /* a 403: never retried */
                                                        : RETRY_ON_REJECTED;
    if (sim->attr && L->status == REQ_OK) /* the winner's phases become L's */
        sim_attr_adopt(sim, L, r);
    sim_req_free(sim, r);
    if (L->status == REQ_OK)
        finish_logical(sim, cl, L, false);
    else
        after_failure(sim, cl, L, kind);
}

/* A guarded attempt came back through the breaker (models/kinds/dep.c). */
static void dep_done(struct sim *sim, struct component *c, struct request *r)
{
    attempt_reply(sim, (struct client *)c, r);
}

static void start_logical(struct sim *sim, struct client *cl, struct request *L)
{
    struct frame *f = &L->stack[0];
    f->slot = 0;
    f->epoch = 0;
    sim_enter(L, &cl->base); /* stack[1]: the retry timer */
    if (cl->has_budget)
        budget_deposit(&cl->budget);
    if (cl->timeout_ns > 0)
        f->timer = sim_after(sim, cl->timeout_ns, on_deadline, cl, L);
    attempt_send(sim, cl, L);
}

static void on_timeout(struct sim *sim, void *a, void *b)
{
    struct client *cl = a;
    struct request *r = b;
    r->stack[0].timer = EVQ_NONE;
    r->abandoned = true;
    sim_ts_outcome(sim, REQ_TIMEOUT, 0);
    if (sim->trace)
        trace_end(sim, &cl->base, r, REQ_TIMEOUT, sim_now(sim) - r->born_ns);
    if (r->measured) {
        cl->tot.timeouts++;
        hist_add(cl->tot.latency_failed, sim_now(sim) - r->born_ns);
    }
    if (cl->closed)
        send_new(sim, cl, r->user);
}

__attribute__((always_inline)) static inline void
send_new(struct sim *sim, struct client *cl, uint32_t user)
{
    struct request *r = sim_req_new(sim);
    r->work_seed = rng_next(&cl->work_rng);
    r->born_ns = sim_now(sim);
    r->measured = sim->measuring;
    r->user = user;
    if (!cl->closed && cl->arrival.has_item) { /* trace replay gives both */
        r->key = cl->arrival.item_key;
        r->op = cl->arrival.item_op;
    } else {
        r->key = cl->draw_keys ? keys_next(&cl->keys, &cl->key_rng) : 0;
        r->op = cl->writes > 0 && rng_uniform(&cl->key_rng) < cl->writes;
    }
    struct frame *f = sim_enter(r, &cl->base);
    f->arrive_ns = r->born_ns;
    sim_ts_born(sim);
    if (r->measured) {
        cl->tot.offered++;
        cl->tot.attempts += !cl->resilient;
    }
    if (cl->resilient) {
        start_logical(sim, cl, r);
        return;
    }
    if (cl->timeout_ns > 0)
        f->timer = sim_after(sim, cl->timeout_ns, on_timeout, cl, r);
    sim_send(sim, &cl->base, r, cl->base.callees[0]);
}

static void user_wakes(struct sim *sim, void *a, void *b)
{
    send_new(sim, a, (uint32_t)(uintptr_t)b);
}

static void think_then_send(struct sim *sim, struct client *cl, uint32_t user)
{
    int64_t t = dist_sample_ns(&cl->think, &cl->think_rng);
    sim_after(sim, t, user_wakes, cl, (void *)(uintptr_t)user);
}

static void next_arrival(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct client *cl = a;
    /* The next gap is drawn before this request is sent (unless the draw
     * names the next request: gives_items), and scheduled after it, as
     * before: the draw only reads the arrival process and its stream, which
     * the request never touches, so results are the same, and the draw's
     * log runs alongside the request's work instead of at the end of the
     * event, where the next event waited on it (about 6% of an M/M/1
     * run's time). */
    bool later = cl->arrival.pol->gives_items;
    int64_t gap = 0;
    if (!later)
        gap = cl->arrival.pol->next_gap(&cl->arrival, sim_now(sim), &cl->arrival_rng);
    send_new(sim, cl, UINT32_MAX);
    if (later)
        gap = cl->arrival.pol->next_gap(&cl->arrival, sim_now(sim), &cl->arrival_rng);
    if (gap != INT64_MAX && gap <= sim->end_ns - sim_now(sim)) /* no overflow */
        sim_after(sim, gap, next_arrival, cl, NULL);
}

/* ---- optimistic concurrency (occ = true) -------------------------------
 * The experiment of "Exponential Backoff And Jitter" (Marc Brooker, AWS
 * Architecture Blog, 2015): each user runs one transaction, a read of its
 * key and then a conditional write (OP_CAS) with the version read. When the
 * store refuses the write (another user's write came first), failure n
 * (n = 1 first) waits backoff_delay(n) and the transaction starts again
 * from the read. One request object carries the whole transaction:
 * r->attempt counts refused writes and stack[0].start_ns keeps the last
 * wait (decorrelated jitter). As in the post's simulator, users start
 * together at time 0 and stop after their write; a read or write that fails
 * for another reason (a crash, a full queue) counts as a refusal. */

static void occ_send(struct sim *sim, struct client *cl, struct request *r, enum req_op op)
{
    r->op = (uint8_t)op;
    r->status = REQ_OK;
    r->cause = CAUSE_NONE;
    if (r->measured) {
        cl->occ_reads += op == OP_READ;
        cl->occ_cas += op == OP_CAS;
        cl->tot.attempts += op == OP_CAS;
    }
    sim_send(sim, &cl->base, r, cl->base.callees[0]);
}

static void occ_retry(struct sim *sim, void *a, void *b)
{
    if (sim->attr)
        sim_attr_wait(sim, b);
    occ_send(sim, a, b, OP_READ);
}

static void occ_begin(struct sim *sim, void *a, void *b)
{
    struct client *cl = a;
    struct request *r = sim_req_new(sim);
    r->work_seed = rng_next(&cl->work_rng);
    r->born_ns = sim_now(sim);
    r->measured = sim->measuring;
    r->user = (uint32_t)(uintptr_t)b;
    r->key = keys_next(&cl->keys, &cl->key_rng);
    sim_enter(r, &cl->base)->arrive_ns = r->born_ns;
    sim_ts_born(sim);
    cl->tot.offered += r->measured;
    occ_send(sim, cl, r, OP_READ);
}

static void occ_reply(struct sim *sim, struct client *cl, struct request *r)
{
    if (r->op == OP_READ && r->status == REQ_OK) {
        occ_send(sim, cl, r, OP_CAS); /* r->version: the version read */
        return;
    }
    if (r->status == REQ_OK || (cl->max_attempts > 0 && r->attempt + 1 >= cl->max_attempts)) {
        if (r->status == REQ_OK && r->measured) {
            cl->occ_done++;
            cl->occ_last_ns = sim_now(sim);
        }
        account(sim, cl, r);
        sim_req_free(sim, r);
        return;
    }
    r->attempt++;
    if (sim->attr) /* the refused transaction's time so far was lost */
        sim_attr_fail_all(sim, r);
    int64_t wait = backoff_delay(&cl->backoff, r->attempt, r->stack[0].start_ns, &cl->backoff_rng);
    r->stack[0].start_ns = wait;
    sim_after(sim, wait, occ_retry, cl, r);
}

/* Could any component of the scenario read a request's key? Every kind
 * but these may: clients and fault schedules (they never take another's
 * requests) and services with one replica and no auth (their balance
 * policy never picks, and nothing else of theirs reads keys). */
static bool scenario_reads_keys(const struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (!c || c->ops.is_client || c->ops.no_traffic)
            continue;
        if (c->kind && service_is(c) && !service_has_auth(c) && service_replicas(c) == 1)
            continue;
        return true;
    }
    return false;
}

static void start(struct sim *sim, struct component *c)
{
    struct client *cl = (struct client *)c;
    /* Keys come from their own stream (key_rng), which writes also draw
     * from after the key: without writes and without a reader, skipping the
     * draw changes no other draw and nothing a run reports. */
    cl->draw_keys = cl->has_keys && (cl->writes > 0 || scenario_reads_keys(sim));
    if (cl->occ) {
        for (long long u = 0; u < cl->users; u++)
            sim_after(sim, 0, occ_begin, cl, (void *)(uintptr_t)u);
        return;
    }
    if (cl->closed) {
        for (long long u = 0; u < cl->users; u++)
            think_then_send(sim, cl, (uint32_t)u);
        return;
    }
    int64_t gap = cl->arrival.pol->next_gap(&cl->arrival, 0, &cl->arrival_rng);
    if (gap != INT64_MAX && gap <= sim->end_ns)
        sim_after(sim, gap, next_arrival, cl, NULL);
}

static void on_request(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
}

static void done(struct sim *sim, struct client *cl, struct request *r)
{
    uint32_t user = r->user;
    sim_req_free(sim, r);
    if (cl->closed)
        think_then_send(sim, cl, user);
}

static void on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct client *cl = (struct client *)c;
    struct frame *f = &r->stack[0];
    if (cl->occ) {
        occ_reply(sim, cl, r);
        return;
    }
    if (cl->has_dep && r->parent && r->parent->parent) { /* an attempt's guarded call */
        dep_on_reply(sim, &cl->dep, r);
        return;
    }
    if (r->parent) {
        attempt_reply(sim, cl, r);
        return;
    }
    if (r->abandoned) { /* counted when it timed out */
        sim_req_free(sim, r);
        return;
    }
    if (r->status == REQ_ERROR &&
        (cl->max_attempts == 0 || (long long)r->attempt + 1 < cl->max_attempts)) {
        r->attempt++;
        r->status = REQ_OK;
        r->cause = CAUSE_NONE;
        if (r->measured)
            cl->tot.attempts++;
        if (sim->attr) /* the failed attempt's time so far was lost */
            sim_attr_fail_all(sim, r);
        sim_send(sim, c, r, c->callees[0]);
        return;
    }
    if (f->timer != EVQ_NONE)
        evq_cancel(sim->q, f->timer);
    account(sim, cl, r);
    done(sim, cl, r);
}

/* Reads "error, timeout, rejected, rate_limited" into RETRY_ON_* bits. */
static int read_retry_on(const struct sc_section *s, unsigned *out, struct diag *d)
{
    static const char *const words[] = {"error", "timeout", "rejected", "rate_limited",
                                        "unauthenticated"};
    struct loc loc;
    const char *v = kp_raw(s, params, "retry_on", &loc);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    *out = 0;
    for (char *save, *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        size_t k = 0;
        while (k < 5 && strcmp(words[k], t) != 0)
            k++;
        if (k == 5) {
            const char *near = diag_closest(t, words, 5);
            return diag_error(d, loc, "bad retry_on '%s'%s%s%s", t,
                              near ? " (did you mean '"
                                   : " (known: error, timeout, rejected, rate_limited, "
                                     "unauthenticated",
                              near ? near : "", near ? "'?)" : ")");
        }
        *out |= 1u << k;
    }
    return 0;
}

/* Does any service of the scenario guard its calls or shed load? Then the
 * client reports its outcomes by cause. Services are built first. */
static bool scenario_guarded(const struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i] && sim->comps[i]->kind && service_is(sim->comps[i]) &&
            service_is_guarded(sim->comps[i]))
            return true;
    return false;
}

static int read_resilience(struct sim *sim, struct client *cl, const struct sc_section *s,
                           struct diag *d)
{
    int rc = 0;
    struct loc retry_loc;
    const char *retry = kp_raw(s, params, "retry", &retry_loc);
    bool has_retry = retry && *retry;
    if (backoff_setup(&cl->backoff, has_retry ? retry : "none", retry_loc, d) < 0)
        rc = -1;
    if (read_retry_on(s, &cl->retry_on, d) < 0)
        rc = -1;
    const char *budget = kp_raw(s, params, "retry_budget", NULL);
    double burst = 0;
    if (kp_double(s, params, "retry_burst", 0, 1e12, &burst, d) < 0)
        rc = -1;
    if (strcmp(budget, "none") != 0) {
        double ratio;
        if (kp_fraction(s, params, "retry_budget", &ratio, d) < 0)
            rc = -1;
        cl->has_budget = true;
        budget_init(&cl->budget, ratio, burst);
    }
    if (kp_duration(s, params, "attempt_timeout", &cl->attempt_timeout_ns, d) < 0)
        rc = -1;
    if (kp_duration(s, params, "hedge", &cl->hedge_ns, d) < 0)
        rc = -1;
    if (kp_int(s, params, "hedges", 1, 100, &cl->hedges, d) < 0)
        rc = -1;
    struct dep_config cfg = {0};
    cfg.breaker = kp_raw(s, params, "breaker", &cfg.breaker_loc);
    if (strcmp(cfg.breaker, "none") != 0) {
        cl->has_dep = true;
        if (dep_setup(sim, &cl->dep, &cl->base, 0, &cfg, dep_done, d) < 0)
            rc = -1;
    }
    cl->resilient = has_retry || cl->has_budget || cl->attempt_timeout_ns > 0 ||
                    cl->hedge_ns > 0 || sc_find_entry(s, "retry_on") || cl->has_dep;
    if (has_retry && cl->max_attempts == 1) { /* at the retry line, naming the attempts one */
        const struct sc_entry *a = sc_find_entry(s, "attempts");
        if (a)
            rc = diag_error(d, retry_loc,
                            "'retry' never retries: 'attempts = 1' (line %d) allows one try in "
                            "all; set attempts above 1, or 0 for unlimited",
                            a->key_loc.line);
        else
            rc = diag_error(d, retry_loc,
                            "'retry' never retries: 'attempts' is 1 unless set, one try in all; "
                            "set attempts above 1, or 0 for unlimited");
    }
    cl->report_resil = cl->resilient || scenario_guarded(sim);
    rng_stream(&cl->backoff_rng, sim->seed, cl->base.name, "backoff");
    return rc;
}

/* The work and the makespan of an occ client's transactions. Columns of the
 * same name add up over clients, so give each occ scenario one client. */
/* occ = true: a closed loop whose only resilience keys are retry and attempts. */
static int read_occ(struct client *cl, const struct sc_section *s, struct diag *d)
{
    if (kp_bool(s, params, "occ", &cl->occ, d) < 0)
        return -1;
    if (!cl->occ)
        return 0;
    struct loc loc = sc_find_entry(s, "occ")->val_loc;
    if (!cl->closed)
        return diag_error(d, loc, "'occ' needs a closed loop ('users = N')");
    static const char *const others[] = {"timeout", "retry_on", "retry_budget", "attempt_timeout",
                                         "hedge",   "writes",   "breaker"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (sc_find_entry(s, others[i]))
            return diag_error(d, sc_find_entry(s, others[i])->key_loc,
                              "'%s' does not apply with 'occ' (it takes retry and attempts)",
                              others[i]);
    cl->resilient = false;
    return 0;
}

static size_t occ_metrics(const struct client *cl, struct metric_out *out)
{
    size_t n = 0;
    out[n++] = (struct metric_out){"total_calls", (double)(cl->occ_reads + cl->occ_cas), false};
    out[n++] = (struct metric_out){"occ_reads", (double)cl->occ_reads, false};
    out[n++] = (struct metric_out){"occ_writes", (double)cl->occ_cas, false};
    out[n++] = (struct metric_out){
        "last_completion_s", cl->occ_done ? (double)cl->occ_last_ns / 1e9 : (double)NAN, false};
    out[n++] = (struct metric_out){"unfinished_users", (double)(cl->tot.offered - cl->occ_done),
                                   false};
    return n;
}

/* Does a balancer or service of the scenario limit its rate? Then rate_limited is a
 * runs.csv column (left out otherwise, so other scenarios' files keep theirs). */
static bool scenario_limited(const struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i] && gate_limit_of(sim->comps[i]))
            return true;
    return false;
}

/* Does a service or balancer of the scenario authenticate or authorise? Then
 * unauthenticated and denied are runs.csv and time-series columns. */
static bool scenario_authed(const struct sim *sim)
{
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i] && gate_has_auth(sim->comps[i]))
            return true;
    return false;
}

static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)end_ns;
    const struct client *cl = (const struct client *)c;
    size_t n = 0;
    if (max >= 1 && scenario_limited(sim))
        out[n++] = (struct metric_out){"rate_limited", (double)cl->tot.rate_limited, false};
    if (max >= n + 2 && scenario_authed(sim)) {
        out[n++] = (struct metric_out){"unauthenticated", (double)cl->tot.unauthenticated, false};
        out[n++] = (struct metric_out){"denied", (double)cl->tot.denied, false};
    }
    if (cl->occ && max >= n + 5)
        n += occ_metrics(cl, out + n);
    if (!cl->report_resil || max < n + 11)
        return n;
    const struct client_resil *x = &cl->res;
    /* goodput_rps, (completed - fallbacks) / window_s, is a fixed column */
    out[n++] = (struct metric_out){"fallbacks", (double)cl->tot.fallbacks, false};
    out[n++] = (struct metric_out){"rejected_queue", (double)x->rejected_queue, false};
    out[n++] = (struct metric_out){"rejected_breaker", (double)x->rejected_breaker, false};
    out[n++] = (struct metric_out){"rejected_bulkhead", (double)x->rejected_bulkhead, false};
    out[n++] = (struct metric_out){"rejected_shed", (double)x->rejected_shed, false};
    out[n++] = (struct metric_out){"errors_failed", (double)x->errors_failed, false};
    out[n++] = (struct metric_out){"errors_call_timeout", (double)x->errors_call_timeout, false};
    out[n++] = (struct metric_out){"errors_dropped", (double)x->errors_dropped, false};
    out[n++] = (struct metric_out){"attempt_timeouts", (double)x->attempt_timeouts, false};
    out[n++] = (struct metric_out){"hedges", (double)x->hedges, false};
    out[n++] = (struct metric_out){"retries_denied", (double)x->retries_denied, false};
    if (cl->has_dep && max >= n + 5) {
        const struct dep *dp = &cl->dep;
        out[n++] = (struct metric_out){"breaker_opens", (double)(dp->br.opens - dp->opens_at_cut),
                                       true};
        out[n++] = (struct metric_out){"breaker_open_s", dp->open_lvl.area / 1e9, true};
        out[n++] = (struct metric_out){"breaker_rejected", (double)dp->rej_breaker, true};
        out[n++] = (struct metric_out){"breaker_cycles",
                                       (double)(dp->br.cycles - dp->cycles_at_cut), true};
        out[n++] = (struct metric_out){"breaker_reopens",
                                       (double)(dp->br.reopens - dp->reopens_at_cut), true};
    }
    return n;
}

static size_t ts_extra(const struct sim *sim, const struct component *c, const char **names,
                       double *values, size_t max)
{
    const struct client *cl = (const struct client *)c;
    size_t n = 0;
    if (cl->has_dep && max >= 1) {
        names[n] = "breaker_state";
        values[n++] = dep_breaker_state(&cl->dep);
    }
    if (max >= n + 2 && scenario_authed(sim)) {
        /* requests ended unauthenticated or denied per second since the last
         * sample; the marks are the client's own bookkeeping, moved here */
        struct client *m = (struct client *)(uintptr_t)c;
        int64_t now = sim_now(sim);
        double secs = now > m->ts_mark_ns ? (double)(now - m->ts_mark_ns) / 1e9 : 0;
        names[n] = "unauthenticated_rps";
        values[n++] = secs > 0 ? (double)(m->ts_unauth - m->ts_unauth_mark) / secs : 0;
        names[n] = "denied_rps";
        values[n++] = secs > 0 ? (double)(m->ts_denied - m->ts_denied_mark) / secs : 0;
        m->ts_unauth_mark = m->ts_unauth;
        m->ts_denied_mark = m->ts_denied;
        m->ts_mark_ns = now;
    }
    return n;
}

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct client *cl = (struct client *)c;
    if (cl->has_dep)
        dep_reset(&cl->dep);
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct client *cl = (struct client *)c;
    int rc = kind_read_callees(sim, c, s, "to", true, d);
    if (c->ncallees > 1)
        rc = diag_error(d, c->callee_locs[1], "a client sends to one component ('to = NAME')");
    struct loc aloc, uloc;
    const char *arr = kp_raw(s, params, "arrival", &aloc);
    const char *users = kp_raw(s, params, "users", &uloc);
    if (arr && users)
        rc = diag_error(d, uloc, "give either 'arrival' (open loop) or 'users' (closed loop), not both");
    else if (!arr && !users)
        rc = diag_error(d, s->loc, "[client %s] needs 'arrival = poisson(rate=...)' or 'users = N'",
                        s->name);
    else if (arr && arrival_setup(&cl->arrival, arr, aloc, d) < 0)
        rc = -1;
    cl->closed = users != NULL;
    bool present;
    if (cl->closed) {
        if (kp_int(s, params, "users", 1, 10000000, &cl->users, d) < 0)
            rc = -1;
        if (kp_dist(s, params, "think", DIST_DURATION, &cl->think, &present, d) < 0)
            rc = -1;
    } else if (sc_find_entry(s, "think")) {
        rc = diag_error(d, sc_find_entry(s, "think")->key_loc,
                        "'think' needs a closed loop ('users = N')");
    }
    if (kp_duration(s, params, "timeout", &cl->timeout_ns, d) < 0)
        rc = -1;
    if (kp_int(s, params, "attempts", 0, 1000000, &cl->max_attempts, d) < 0)
        rc = -1;
    struct loc kloc;
    const char *keys = kp_raw(s, params, "keys", &kloc);
    if (keys_setup(&cl->keys, keys, kloc, d) < 0)
        rc = -1;
    else
        cl->has_keys = true;
    if (kp_fraction(s, params, "writes", &cl->writes, d) < 0)
        rc = -1;
    if (read_resilience(sim, cl, s, d) < 0)
        rc = -1;
    if (read_occ(cl, s, d) < 0)
        rc = -1;
    rng_stream(&cl->key_rng, sim->seed, c->name, "keys");
    rng_stream(&cl->arrival_rng, sim->seed, c->name, "arrivals");
    rng_stream(&cl->work_rng, sim->seed, c->name, "work");
    rng_stream(&cl->think_rng, sim->seed, c->name, "think");
    cl->tot.latency = hist_new_no_moment2(); /* no output reads their second moment */
    cl->tot.latency_failed = hist_new_no_moment2();
    return rc;
}

static void fini(struct component *c)
{
    struct client *cl = (struct client *)c;
    if (cl->closed)
        dist_fini(&cl->think);
    else
        arrival_fini(&cl->arrival);
    if (cl->has_keys)
        keys_fini(&cl->keys);
    hist_free(cl->tot.latency);
    hist_free(cl->tot.latency_failed);
    if (cl->has_dep)
        dep_fini(&cl->dep);
}

/* Napkin math (models/napkin.h): an open loop's mean rate; a closed loop's
 * rate depends on its response times, so it is unknown. A replayed trace
 * may bring its own keys and operations: their distribution is unknown
 * here (counted as reads, which only a cache tells apart, and it needs
 * keys). */
static double napkin_source(const struct component *c, double *write_share,
                            const struct keys **keys)
{
    const struct client *cl = (const struct client *)c;
    bool trace = !cl->closed && strcmp(cl->arrival.pol->head.name, "trace") == 0;
    *write_share = trace ? 0 : cl->writes;
    *keys = cl->has_keys && !trace ? &cl->keys : NULL;
    return cl->closed ? (double)NAN : cl->arrival.rate_per_s;
}

static void napkin_visits(const struct component *c, size_t callee, const struct napkin_flow *in,
                          struct napkin_flow *out)
{
    (void)c;
    (void)callee;
    *out = *in; /* every request goes to `to` once (retries left out) */
}

/* Theory (models/theorycheck.h): a homogeneous Poisson stream whose
 * requests each go once to `to` and are waited for without limit. */
static bool theory_source(const struct component *c, double *rate_per_s, bool *resends,
                          const char **why)
{
    const struct client *cl = (const struct client *)c;
    if (cl->closed)
        *why = "a closed-loop client (users): its rate depends on the response times";
    else if (cl->arrival.pol != &arrival_poisson)
        *why = "arrivals that are not a homogeneous Poisson stream";
    else if (cl->timeout_ns > 0)
        *why = "a client timeout abandons requests";
    else if (cl->max_attempts != 1 && cl->max_attempts != 0)
        *why = "a client that may retry (attempts != 1)";
    else if (cl->resilient || cl->has_dep)
        *why = "a client with retries, attempt timeouts, hedging or a breaker";
    else if (cl->occ)
        *why = "an optimistic-concurrency client";
    else {
        *rate_per_s = cl->arrival.rate_per_s;
        *resends = cl->max_attempts == 0; /* at once, to the end of the queue */
        return true;
    }
    return false;
}

/* Theory (models/theorycheck.h): independent keys, each request sent
 * once, reads only. */
static bool theory_keys(const struct component *c, const struct keys **keys, const char **why)
{
    const struct client *cl = (const struct client *)c;
    if (cl->closed)
        *why = "a closed-loop client (users)";
    else if (strcmp(cl->arrival.pol->head.name, "trace") == 0)
        *why = "a replayed trace (its keys are not independent draws)";
    else if (!cl->has_keys || (cl->keys.kind != KEYS_ZIPF && cl->keys.kind != KEYS_UNIFORM))
        *why = "keys that are neither Zipf nor uniform";
    else if (cl->writes != 0)
        *why = "a client that writes";
    else if (cl->timeout_ns > 0 || cl->max_attempts != 1 || cl->resilient || cl->has_dep ||
             cl->occ)
        *why = "a client that may send a key again or give up (retries, hedges, timeouts)";
    else {
        *keys = &cl->keys;
        return true;
    }
    return false;
}

const struct kind kind_client = {
    .name = "client",
    .summary = "generates requests (open or closed loop) and measures end-to-end latency",
    .params = params,
    .size = sizeof(struct client),
    .build = build,
    .start = start,
    .build_stage = 1,
    .on_request = on_request,
    .on_reply = on_reply,
    .fini = fini,
    .metrics = metrics,
    .ts_extra = ts_extra,
    .reset = reset,
    .is_client = true,
    .napkin_source = napkin_source,
    .napkin_visits = napkin_visits,
    .theory_source = theory_source,
    .theory_keys = theory_keys,
};
