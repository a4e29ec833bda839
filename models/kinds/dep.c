/* dep: guarded calls (timeout, breaker, bulkhead) to one dependency, by
 * child requests. See dep.h. */
#include "models/kinds/dep.h"

#include <stdlib.h>

#include "sim/xalloc.h"
#include "models/kind.h"

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
    /* A 'to' that named no component left no callee: the error is already
     * reported, and the dependency is set up without a target. */
    dp->to = index < from->ncallees ? from->callees[index] : NULL;
    dp->index = index;
    dp->done = done;
    dp->timeout_ns = cfg->timeout_ns;
    dp->fallback = cfg->fallback;
    dp->hedge_ns = cfg->hedge_ns;
    dp->max_hedges = cfg->hedges;
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
    free(dp->hedge_tab);
    dp->hedge_tab = NULL;
}

void dep_reset(struct dep *dp)
{
    dp->calls = dp->timeouts = dp->rej_breaker = dp->rej_bulkhead = dp->fallbacks = 0;
    dp->hedges = 0;
    dp->opens_at_cut = dp->br.opens;
    dp->cycles_at_cut = dp->br.cycles;
    dp->reopens_at_cut = dp->br.reopens;
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
        dp->wait = xring_grow(dp->wait, sizeof *dp->wait, dp->cap, dp->head, dp->len, ncap);
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
static void on_hedge(struct sim *sim, void *a, void *b);

/* ---- hedged calls: records of the copies in flight (see dep.h) ---- */

static uint32_t hedge_new(struct dep *dp, struct request *r)
{
    if (dp->hedge_free == 0) {
        uint32_t old = dp->hedge_cap, ncap = old ? 2 * old : 16;
        dp->hedge_tab = xrealloc(dp->hedge_tab, ncap * sizeof *dp->hedge_tab);
        for (uint32_t i = old; i < ncap; i++)
            dp->hedge_tab[i].next_free = i + 1 < ncap ? i + 2 : 0;
        dp->hedge_cap = ncap;
        dp->hedge_free = old + 1;
    }
    uint32_t h = dp->hedge_free;
    struct dep_hedge *rec = &dp->hedge_tab[h - 1];
    dp->hedge_free = rec->next_free;
    rec->r = r;
    rec->ncopies = rec->sent = 0;
    rec->timer = EVQ_NONE;
    return h;
}

static void hedge_remove(struct dep_hedge *rec, const struct request *ch)
{
    for (uint32_t i = 0; i < rec->ncopies; i++)
        if (rec->copy[i] == ch)
            rec->copy[i] = rec->copy[--rec->ncopies];
}

/* The call's outcome is known: give up the other copies (settled when
 * their replies come back) and free the record. */
static void hedge_finish(struct sim *sim, struct dep *dp, uint32_t h)
{
    struct dep_hedge *rec = &dp->hedge_tab[h - 1];
    if (rec->timer != EVQ_NONE)
        evq_cancel(sim->q, rec->timer);
    for (uint32_t i = 0; i < rec->ncopies; i++) {
        struct request *ch = rec->copy[i];
        struct frame *f = &ch->stack[0];
        if (f->timer != EVQ_NONE)
            evq_cancel(sim->q, f->timer);
        f->timer = EVQ_NONE;
        f->step = 0;
        f->epoch = 1; /* given up unsettled: settle as dropped on its reply */
        ch->abandoned = true;
    }
    rec->r = NULL;
    rec->next_free = dp->hedge_free;
    dp->hedge_free = h;
}

static void launch(struct sim *sim, struct dep *dp, struct request *r, uint32_t ticket,
                   uint32_t h)
{
    if (sim->attr && h == 0) /* the caller's own time ends at its first copy */
        sim_attr_close(sim, r, dp->from);
    struct request *ch = sim_req_child(sim, r);
    struct frame *f = sim_enter(ch, dp->from);
    f->replica = dp->index;
    f->arrive_ns = f->start_ns = sim_now(sim);
    f->slot = ticket;
    f->epoch = 0;
    f->holds_worker = dp->has_bulkhead;
    if (dp->has_bulkhead) {
        bulkhead_start(&dp->bh);
        sim_level_add(sim, &dp->inflight_lvl, 1);
    }
    if (dp->timeout_ns > 0)
        f->timer = sim_after(sim, dp->timeout_ns, on_call_timeout, dp, ch);
    dp->calls++;
    if (dp->hedge_ns > 0) { /* the record is complete before the send runs the callee */
        h = h ? h : hedge_new(dp, r);
        struct dep_hedge *rec = &dp->hedge_tab[h - 1];
        /* copy k >= 1 is other work (another draw), as a client's hedge is */
        ch->attempt = r->attempt + 0x10000u * rec->sent;
        rec->copy[rec->ncopies++] = ch;
        rec->sent++;
        f->step = h;
        if (rec->sent <= dp->max_hedges)
            rec->timer = sim_after(sim, dp->hedge_ns, on_hedge, dp, (void *)(uintptr_t)h);
    }
    sim_send(sim, dp->from, ch, dp->to);
}

/* No copy came back in time: another one, if the breaker and the bulkhead
 * let it go now. */
static void on_hedge(struct sim *sim, void *a, void *b)
{
    struct dep *dp = a;
    uint32_t h = (uint32_t)(uintptr_t)b;
    struct dep_hedge *rec = &dp->hedge_tab[h - 1];
    rec->timer = EVQ_NONE;
    uint32_t ticket = 0;
    if (dp->has_breaker) {
        bool ok = breaker_allow(&dp->br, sim_now(sim), &ticket);
        sync_breaker(sim, dp);
        if (!ok)
            return;
    }
    if (dp->has_bulkhead && !bulkhead_has_room(&dp->bh)) {
        if (dp->has_breaker) {
            breaker_forget(&dp->br, ticket);
            sync_breaker(sim, dp);
        }
        return;
    }
    dp->hedges++;
    launch(sim, dp, rec->r, ticket, h); /* may finish the call: last */
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
        launch(sim, dp, w.r, w.ticket, 0);
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
    if (f->step) { /* hedged: the other copies may still succeed */
        uint32_t h = f->step;
        f->step = 0;
        hedge_remove(&dp->hedge_tab[h - 1], ch);
        if (dp->hedge_tab[h - 1].ncopies > 0) {
            admit_waiting(sim, dp);
            return;
        }
        hedge_finish(sim, dp, h);
    }
    r->status = REQ_ERROR;
    r->cause = CAUSE_CALL_TIMEOUT;
    if (sim->attr) /* the wait for the call was lost */
        sim_attr_fail(sim, r);
    admit_waiting(sim, dp);
    dp->done(sim, dp->from, r);
}

void dep_on_reply(struct sim *sim, struct dep *deps, struct request *ch)
{
    struct frame *f = &ch->stack[0];
    struct dep *dp = &deps[f->replica];
    if (ch->abandoned) { /* timed out (settled then) or a hedge that lost */
        if (f->epoch == 1) {
            settle(sim, dp, f, false, true, sim_now(sim) - f->start_ns);
            admit_waiting(sim, dp);
        }
        sim_req_free(sim, ch);
        return;
    }
    if (f->timer != EVQ_NONE)
        evq_cancel(sim->q, f->timer);
    struct request *r = ch->parent;
    bool failed = ch->status != REQ_OK;
    settle(sim, dp, f, failed, ch->cause == CAUSE_DROPPED, sim_now(sim) - f->start_ns);
    if (f->step) { /* hedged: a failure waits for the other copies */
        uint32_t h = f->step;
        hedge_remove(&dp->hedge_tab[h - 1], ch);
        if (failed && dp->hedge_tab[h - 1].ncopies > 0) {
            sim_req_free(sim, ch);
            admit_waiting(sim, dp);
            return;
        }
        hedge_finish(sim, dp, h);
    }
    r->status = ch->status;
    r->cause = ch->cause;
    r->version = ch->version;
    if (sim->attr && !failed) /* the call's phases become the caller's */
        sim_attr_adopt(sim, r, ch);
    else if (sim->attr)
        sim_attr_fail(sim, r);
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
    launch(sim, dp, r, ticket, 0);
}

int dep_read_guards(const struct sc_section *s, const struct param_spec *params,
                    struct dep_config *cfg, struct diag *d)
{
    int rc = 0;
    if (kp_duration(s, params, "call_timeout", &cfg->timeout_ns, d) < 0)
        rc = -1;
    cfg->breaker = kp_raw(s, params, "breaker", &cfg->breaker_loc);
    cfg->bulkhead = kp_raw(s, params, "bulkhead", &cfg->bulkhead_loc);
    if (strcmp(cfg->breaker, "none") == 0)
        cfg->breaker = NULL;
    if (strcmp(cfg->bulkhead, "none") == 0)
        cfg->bulkhead = NULL;
    struct loc floc;
    const char *fb = kp_raw(s, params, "fallback", &floc);
    if (strcmp(fb, "reply") == 0)
        cfg->fallback = true;
    else if (strcmp(fb, "fail") != 0)
        rc = diag_error(d, floc, "bad fallback '%s' (known: fail, reply)", fb);
    return rc;
}
