/* dep: guarded calls (timeout, breaker, bulkhead) to one dependency, by
 * child requests. See dep.h. */
#include "models/dep.h"

#include <stdlib.h>

#include "sim/xalloc.h"

bool dep_caller_gone(const struct request *r)
{
    for (; r; r = r->parent)
        if (r->abandoned)
            return true;
    return false;
}

int dep_setup(struct sim *sim, struct dep *dp, struct component *from, uint32_t index,
              const struct dep_config *cfg, dep_done_fn *done, struct diag *d)
{
    int rc = 0;
    dp->from = from;
    dp->to = from->callees[index];
    dp->index = index;
    dp->done = done;
    dp->timeout_ns = cfg->timeout_ns;
    dp->fallback = cfg->fallback;
    if (cfg->breaker) {
        if (breaker_setup(&dp->br, cfg->breaker, cfg->breaker_loc, d) < 0)
            rc = -1;
        else
            dp->has_breaker = true;
    }
    if (cfg->bulkhead) {
        if (bulkhead_setup(&dp->bh, cfg->bulkhead, cfg->bulkhead_loc, d) < 0)
            rc = -1;
        else
            dp->has_bulkhead = true;
    }
    sim_level_init(sim, &dp->open_lvl);
    sim_level_init(sim, &dp->half_lvl);
    sim_level_init(sim, &dp->inflight_lvl);
    sim_level_init(sim, &dp->queue_lvl);
    return rc;
}

void dep_fini(struct dep *dp)
{
    if (dp->has_breaker)
        breaker_fini(&dp->br);
    free(dp->wait);
    dp->wait = NULL;
}

void dep_reset(struct dep *dp)
{
    dp->calls = dp->timeouts = dp->rej_breaker = dp->rej_bulkhead = dp->fallbacks = 0;
    dp->opens_at_cut = dp->br.opens;
}

double dep_breaker_state(const struct dep *dp)
{
    if (!dp->has_breaker)
        return 0;
    return dp->br.state == BREAKER_OPEN ? 1.0 : dp->br.state == BREAKER_HALF_OPEN ? 0.5 : 0.0;
}

static void breaker_tick(struct sim *sim, void *a, void *b);

/* Brings the breaker's levels up to its state, and sets the timer that
 * ends a new open period (so time in each state is exact). */
static void sync_breaker(struct sim *sim, struct dep *dp)
{
    if (!dp->has_breaker)
        return;
    int64_t open = dp->br.state == BREAKER_OPEN;
    int64_t half = dp->br.state == BREAKER_HALF_OPEN;
    if (dp->open_lvl.value != open)
        sim_level_set(sim, &dp->open_lvl, open);
    if (dp->half_lvl.value != half)
        sim_level_set(sim, &dp->half_lvl, half);
    if (dp->br.opens != dp->seen_opens && dp->br.state == BREAKER_OPEN) {
        dp->seen_opens = dp->br.opens;
        sim_at(sim, dp->br.opened_ns + dp->br.open_ns, breaker_tick, dp,
               (void *)(uintptr_t)dp->br.epoch);
    }
}

static void breaker_tick(struct sim *sim, void *a, void *b)
{
    struct dep *dp = a;
    if (dp->br.epoch != (uint32_t)(uintptr_t)b)
        return;
    breaker_poll(&dp->br, sim_now(sim));
    sync_breaker(sim, dp);
}

static void wait_push(struct dep *dp, struct request *r, uint32_t ticket)
{
    if (dp->len == dp->cap) {
        size_t ncap = dp->cap ? 2 * dp->cap : 16;
        struct dep_wait *nw = xmalloc(ncap * sizeof *nw);
        for (size_t i = 0; i < dp->len; i++)
            nw[i] = dp->wait[(dp->head + i) % dp->cap];
        free(dp->wait);
        dp->wait = nw;
        dp->cap = ncap;
        dp->head = 0;
    }
    dp->wait[(dp->head + dp->len) % dp->cap] = (struct dep_wait){r, ticket};
    dp->len++;
}

static struct dep_wait wait_pop(struct dep *dp)
{
    struct dep_wait w = dp->wait[dp->head];
    dp->head = (dp->head + 1) % dp->cap;
    dp->len--;
    return w;
}

static void on_call_timeout(struct sim *sim, void *a, void *b);

static void launch(struct sim *sim, struct dep *dp, struct request *r, uint32_t ticket)
{
    struct request *ch = sim_req_new(sim);
    ch->work_seed = r->work_seed;
    ch->key = r->key;
    ch->op = r->op;
    ch->version = r->version;
    ch->born_ns = r->born_ns;
    ch->attempt = r->attempt;
    ch->user = r->user;
    ch->measured = r->measured;
    ch->parent = r;
    struct frame *f = sim_enter(ch, dp->from);
    f->replica = dp->index;
    f->arrive_ns = f->start_ns = sim_now(sim);
    f->slot = ticket;
    f->holds_worker = dp->has_bulkhead;
    if (dp->has_bulkhead) {
        bulkhead_start(&dp->bh);
        sim_level_add(sim, &dp->inflight_lvl, 1);
    }
    if (dp->timeout_ns > 0)
        f->timer = sim_after(sim, dp->timeout_ns, on_call_timeout, dp, ch);
    dp->calls++;
    sim_send(sim, dp->from, ch, dp->to);
}

/* Frees the call's bulkhead place and feeds its outcome to the policies. */
static void settle(struct sim *sim, struct dep *dp, struct frame *f, bool failed,
                   bool dropped, int64_t latency_ns)
{
    if (f->holds_worker) {
        f->holds_worker = false;
        bulkhead_done(&dp->bh, failed && !dropped, latency_ns);
        sim_level_add(sim, &dp->inflight_lvl, -1);
    }
    if (dp->has_breaker) {
        if (dropped)
            breaker_forget(&dp->br, f->slot);
        else
            breaker_record(&dp->br, sim_now(sim), f->slot, failed, latency_ns);
        sync_breaker(sim, dp);
    }
}

/* Lets queued calls go while the bulkhead has room. */
static void admit_waiting(struct sim *sim, struct dep *dp)
{
    while (dp->len > 0 && bulkhead_has_room(&dp->bh)) {
        struct dep_wait w = wait_pop(dp);
        sim_level_add(sim, &dp->queue_lvl, -1);
        launch(sim, dp, w.r, w.ticket);
    }
}

static void on_call_timeout(struct sim *sim, void *a, void *b)
{
    struct dep *dp = a;
    struct request *ch = b;
    struct frame *f = &ch->stack[0];
    struct request *r = ch->parent;
    f->timer = EVQ_NONE;
    ch->abandoned = true;
    dp->timeouts++;
    settle(sim, dp, f, true, false, dp->timeout_ns);
    r->status = REQ_ERROR;
    r->cause = CAUSE_CALL_TIMEOUT;
    admit_waiting(sim, dp);
    dp->done(sim, dp->from, r);
}

void dep_on_reply(struct sim *sim, struct dep *deps, struct request *ch)
{
    struct frame *f = &ch->stack[0];
    struct dep *dp = &deps[f->replica];
    if (ch->abandoned) { /* timed out already: settled then */
        sim_req_free(sim, ch);
        return;
    }
    if (f->timer != EVQ_NONE)
        evq_cancel(sim->q, f->timer);
    struct request *r = ch->parent;
    bool failed = ch->status != REQ_OK;
    settle(sim, dp, f, failed, ch->cause == CAUSE_DROPPED, sim_now(sim) - f->start_ns);
    r->status = ch->status;
    r->cause = ch->cause;
    r->version = ch->version;
    sim_req_free(sim, ch);
    admit_waiting(sim, dp);
    dp->done(sim, dp->from, r);
}

void dep_call(struct sim *sim, struct dep *dp, struct request *r)
{
    uint32_t ticket = 0;
    if (dp->has_breaker) {
        bool ok = breaker_allow(&dp->br, sim_now(sim), &ticket);
        sync_breaker(sim, dp);
        if (!ok) {
            if (dp->fallback)
                dp->fallbacks++;
            else
                dp->rej_breaker++;
            r->status = dp->fallback ? REQ_OK : REQ_REJECTED;
            r->cause = dp->fallback ? CAUSE_FALLBACK : CAUSE_BREAKER;
            dp->done(sim, dp->from, r);
            return;
        }
    }
    if (dp->has_bulkhead && !bulkhead_has_room(&dp->bh)) {
        if ((long long)dp->len < dp->bh.queue) {
            wait_push(dp, r, ticket);
            sim_level_add(sim, &dp->queue_lvl, 1);
            return;
        }
        if (dp->has_breaker) {
            breaker_forget(&dp->br, ticket);
            sync_breaker(sim, dp);
        }
        dp->rej_bulkhead++;
        r->status = REQ_REJECTED;
        r->cause = CAUSE_BULKHEAD;
        dp->done(sim, dp->from, r);
        return;
    }
    launch(sim, dp, r, ticket);
}
