/* gate: a component's admission (a rate limiter, its shared forms, and at
 * a balancer auth and rbac). See gate.h. */
#include "models/admission/gate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/service.h"
#include "models/kinds/store.h"
#include "models/napkin.h"
#include "sim/units.h"
#include "sim/xalloc.h"

/* A limit check's frame at the owner carries this in `replica`. */
#define GATE_CHILD 0x6A7E0000u

static void after_limit(struct sim *sim, struct gate *g, struct request *r);

/* A leaky bucket's delayed request leaves its queue. */
static void on_released(struct sim *sim, void *a, void *b)
{
    struct gate *g = a;
    limit_release(&g->lim, sim_now(sim));
    after_limit(sim, g, b);
}

/* A limiter's verdict on r: refuse it (429), hold it, or send it on.
 * Returns true when r does not go on at once. */
static bool decided(struct sim *sim, struct gate *g, struct request *r, struct limit_verdict v)
{
    if (!v.admit) {
        g->owner->st.rejected++;
        r->status = REQ_REJECTED;
        r->cause = CAUSE_RATE_LIMITED;
        r->retry_after_ns = g->retry_after ? v.retry_after_ns : 0;
        sim_reply(sim, r);
        return true;
    }
    if (v.delay_ns > 0) {
        sim_after(sim, v.delay_ns, on_released, g, r);
        return true;
    }
    return false;
}

/* ---- checks at a counter store ------------------------------------------ */

/* A check settled without the store's answer (error or timeout), for parent r. */
static void store_failed(struct sim *sim, struct gate *g, struct request *r, bool timeout)
{
    g->store_errors += r->measured;
    if (g->fail_open) {
        limit_count_unchecked(&g->lim, sim_now(sim));
        after_limit(sim, g, r);
        return;
    }
    g->owner->st.errors++;
    r->status = REQ_ERROR;
    r->cause = timeout ? CAUSE_CALL_TIMEOUT : CAUSE_NONE;
    sim_reply(sim, r);
}

static void on_check_timeout(struct sim *sim, void *a, void *b)
{
    struct gate *g = a;
    struct request *ch = b;
    ch->stack[0].timer = EVQ_NONE;
    ch->abandoned = true; /* its late answer still counts, then frees it */
    store_failed(sim, g, ch->parent, true);
}

/* Sends r's check to the store: a write of the scope's counter, from a
 * child request whose only frame below the store's is the owner's. */
static void check_at_store(struct sim *sim, struct gate *g, struct request *r, uint64_t scope)
{
    struct component *c = g->owner;
    struct request *ch = sim_req_child(sim, r);
    ch->op = OP_WRITE;
    ch->key = scope;
    struct frame *f = sim_enter(ch, c);
    f->replica = GATE_CHILD;
    f->arrive_ns = sim_now(sim);
    f->timer = sim_after(sim, g->store_timeout_ns, on_check_timeout, g, ch);
    g->store_checks += r->measured;
    sim_send(sim, c, ch, g->store);
}

/* The store answered check ch: the counter decides (or the error policy). */
static void check_answered(struct sim *sim, struct gate *g, struct request *ch)
{
    struct frame *f = &ch->stack[0];
    if (ch->abandoned) { /* timed out and settled; a served check still landed */
        if (ch->status == REQ_OK)
            limit_land(&g->lim, ch->key, sim_now(sim));
        sim_req_free(sim, ch);
        return;
    }
    evq_cancel(sim->q, f->timer);
    struct request *r = ch->parent;
    bool ok = ch->status == REQ_OK;
    if (ok && r->measured)
        g->check_ns_sum += sim_now(sim) - f->arrive_ns;
    uint64_t scope = ch->key;
    sim_req_free(sim, ch);
    if (!ok) {
        store_failed(sim, g, r, false);
        return;
    }
    if (!decided(sim, g, r, limit_check(&g->lim, scope, sim_now(sim))))
        after_limit(sim, g, r);
}

/* Every sync interval each node learns the global count. */
static void sync_nodes(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct gate *g = a;
    for (uint32_t i = 0; i < g->nnodes; i++)
        limit_sync_to(&g->lim, &g->nodes[i], sim_now(sim));
    limit_sync_done(&g->lim);
    if (sim_now(sim) + g->sync_ns <= sim->end_ns)
        sim_after(sim, g->sync_ns, sync_nodes, g, NULL);
}

/* ---- auth at a gate without workers --------------------------------------- */

static void verified(struct sim *sim, void *a, void *b)
{
    struct gate *g = a;
    auth_begin(sim, g->auth, b);
}

/* The local auth work (verify, check) as a delay of its own, then the calls. */
static void auth_work(struct sim *sim, struct gate *g, struct request *r)
{
    int64_t t = units_ns_from_double(auth_local_ns(g->auth, r));
    if (t > 0)
        sim_after(sim, t, verified, g, r);
    else
        auth_begin(sim, g->auth, r);
}

static void auth_done(struct sim *sim, struct component *owner, struct request *r,
                      enum auth_verdict v, bool on_worker)
{
    if (v == AUTH_PASS) {
        struct gate *g = gate_of(owner);
        if (!on_worker) /* refreshed: now the local work */
            auth_work(sim, g, r);
        else
            g->pass(sim, owner, r);
        return;
    }
    if (v == AUTH_FAILED) {
        owner->st.errors++;
        r->status = REQ_ERROR;
        r->cause = CAUSE_NONE;
    } else {
        owner->st.rejected++;
        r->status = REQ_REJECTED;
        r->cause = v == AUTH_DENIED ? CAUSE_DENIED : CAUSE_UNAUTHENTICATED;
    }
    sim_reply(sim, r);
}

/* r passed the limiter: auth at the gate, or on to the owner. */
static void after_limit(struct sim *sim, struct gate *g, struct request *r)
{
    if (!g->auth) {
        g->pass(sim, g->owner, r);
        return;
    }
    sim_top(r)->replica = 0; /* the gateway is one verifier */
    if (auth_arrive(sim, g->auth, r)) /* a token refresh first */
        return;
    auth_work(sim, g, r);
}

/* r passed the limiter at once: true when the gate still holds it (auth). */
static bool held_for_auth(struct sim *sim, struct gate *g, struct request *r)
{
    if (!g->auth)
        return false;
    after_limit(sim, g, r);
    return true;
}

/* gate_arrive's work when the gate has a limit or auth. */
bool gate_judge(struct sim *sim, struct gate *g, struct request *r)
{
    if (!g->has_limit)
        return held_for_auth(sim, g, r);
    uint64_t scope = limit_scope_of(&g->lim, r);
    if (g->has_shadow)
        limit_check(&g->shadow, scope, sim_now(sim));
    if (g->has_store) {
        check_at_store(sim, g, r, scope);
        return true;
    }
    struct limit_verdict v;
    if (g->nodes) { /* synced: one node decides on its copy; the global count follows */
        uint32_t i = (uint32_t)rng_below(&g->node_rng, g->nnodes);
        v = limit_check(&g->nodes[i], scope, sim_now(sim));
        if (v.admit)
            limit_force(&g->lim, scope, sim_now(sim));
        else
            limit_count_refusal(&g->lim);
    } else {
        v = limit_check(&g->lim, scope, sim_now(sim));
    }
    return decided(sim, g, r, v) || held_for_auth(sim, g, r);
}

bool gate_on_reply(struct sim *sim, struct gate *g, struct request *r)
{
    if (g->auth && auth_on_reply(sim, g->auth, r))
        return true;
    if (r->depth != 1 || sim_top(r)->replica != GATE_CHILD || !g->has_store)
        return false;
    check_answered(sim, g, r);
    return true;
}

/* ---- building ------------------------------------------------------------ */

/* Where a key of the section is, for errors about it. */
static struct loc key_loc(const struct sc_section *s, const char *key)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    return e ? e->key_loc : s->loc;
}

/* The counter store named by `store`: the owner's second callee (after
 * `to`), or looked up by name. */
static int read_store(struct sim *sim, struct gate *g, const struct sc_section *s,
                      const struct param_spec *params, bool as_callee, struct diag *d)
{
    struct component *c = g->owner;
    struct loc loc;
    if (as_callee) {
        size_t before = c->ncallees;
        if (kind_read_callees(sim, c, s, "store", true, d) < 0)
            return -1;
        if (c->ncallees != before + 1)
            return diag_error(d, c->callee_locs[before + 1], "'store' names one store");
        if (c->ncallees != 2) /* 'to' failed: reported already */
            return -1;
        g->store = c->callees[1];
        loc = c->callee_locs[1];
    } else {
        const char *v = kp_raw(s, params, "store", &loc);
        g->store = kind_lookup(sim, v);
        if (!g->store) {
            const char *names[256];
            size_t n = 0;
            for (size_t i = 0; i < sim->ncomps && n < 256; i++)
                if (sim->comps[i] && store_is(sim->comps[i]))
                    names[n++] = sim->comps[i]->name;
            const char *near = diag_closest(v, names, n);
            return near ? diag_error(d, loc, "no component named '%s' (did you mean '%s'?)", v,
                                     near)
                        : diag_error(d, loc, "no component named '%s'", v);
        }
    }
    if (!store_is(g->store))
        return diag_error(d, loc, "'%s' is a %s; 'store' needs a store", g->store->name,
                          g->store->kind->name);
    return 0;
}

/* store, store_timeout, on_store_error, sync, limit_nodes (see gate.h). */
static int read_distributed(struct sim *sim, struct gate *g, const struct sc_section *s,
                            const struct param_spec *params, bool as_callee, const char *lim,
                            struct loc lloc, struct diag *d)
{
    struct component *c = g->owner;
    static const char *const keys[] = {"store", "store_timeout", "on_store_error", "sync",
                                       "limit_nodes"};
    bool any = false;
    for (size_t k = 0; k < 5; k++)
        if (sc_find_entry(s, keys[k])) {
            any = true;
            if (!g->has_limit)
                return diag_error(d, key_loc(s, keys[k]),
                                  "'%s' needs a 'limit' (the limit it shares)",
                                  keys[k]);
        }
    if (!any)
        return 0;
    int rc = 0;
    long long nodes = 1;
    if (kp_duration(s, params, "sync", &g->sync_ns, d) < 0 ||
        kp_int(s, params, "limit_nodes", 1, 1000, &nodes, d) < 0 ||
        kp_duration(s, params, "store_timeout", &g->store_timeout_ns, d) < 0)
        return -1;
    struct loc oloc;
    const char *onerr = kp_raw(s, params, "on_store_error", &oloc);
    if (strcmp(onerr, "allow") == 0 || strcmp(onerr, "deny") == 0)
        g->fail_open = strcmp(onerr, "allow") == 0;
    else
        rc = diag_error(d, oloc, "bad on_store_error '%s' (known: allow, deny)", onerr);
    if (g->sync_ns < 0)
        rc = diag_error(d, key_loc(s, "sync"), "sync must not be negative");
    if (g->store_timeout_ns <= 0)
        rc = diag_error(d, key_loc(s, "store_timeout"), "store_timeout must be positive");
    g->has_store = sc_find_entry(s, "store") != NULL;
    if (g->has_store && g->sync_ns > 0)
        return diag_error(d, key_loc(s, "sync"),
                          "'sync' and 'store' are two ways to share a limit: choose one");
    if (!g->has_store && (sc_find_entry(s, "store_timeout") || sc_find_entry(s, "on_store_error")))
        return diag_error(d, key_loc(s, sc_find_entry(s, "store_timeout") ? "store_timeout"
                                                                           : "on_store_error"),
                          "'%s' needs 'store = NAME'",
                          sc_find_entry(s, "store_timeout") ? "store_timeout" : "on_store_error");
    if (g->sync_ns == 0 && sc_find_entry(s, "limit_nodes"))
        return diag_error(d, key_loc(s, "limit_nodes"),
                          "'limit_nodes' needs 'sync = INTERVAL' (how often the nodes share "
                          "their counts)");
    if ((g->has_store || g->sync_ns > 0) && !g->lim.pol->consume)
        return diag_error(d, lloc,
                          "a %s cannot be shared by 'store' or 'sync': it queues requests at one "
                          "node (use token_bucket, fixed_window, sliding_log or sliding_window)",
                          g->lim.pol->head.name);
    if (g->has_store && read_store(sim, g, s, params, as_callee, d) < 0)
        return -1;
    if (rc < 0)
        return rc;
    if (g->sync_ns > 0) {
        g->nnodes = (uint32_t)nodes;
        g->nodes = xcalloc(g->nnodes, sizeof *g->nodes);
        struct diag *scratch = diag_new(); /* the text parsed once already */
        for (uint32_t i = 0; i < g->nnodes; i++) {
            limit_setup(&g->nodes[i], lim, lloc, scratch);
            limit_widen(&g->nodes[i], g->nnodes);
        }
        diag_free(scratch);
        limit_widen(&g->lim, g->nnodes);
        limit_track_changes(&g->lim);
        rng_stream(&g->node_rng, sim->seed, c->name, "limit_nodes");
    }
    struct diag *scratch = diag_new();
    limit_setup(&g->shadow, lim, lloc, scratch);
    diag_free(scratch);
    g->has_shadow = true;
    return 0;
}

int gate_setup(struct sim *sim, struct gate *g, struct component *owner, gate_pass_fn pass,
               const struct sc_section *s, const struct param_spec *params,
               bool store_as_callee, struct diag *d)
{
    memset(g, 0, sizeof *g);
    g->owner = owner;
    g->pass = pass;
    g->store_timeout_ns = 1000000000;
    g->store_callee = store_as_callee;
    int rc = 0;
    struct loc lloc;
    const char *lim = kp_raw(s, params, "limit", &lloc);
    g->has_limit = strcmp(lim, "none") != 0;
    bool lim_ok = true;
    if (g->has_limit && limit_setup(&g->lim, lim, lloc, d) < 0)
        rc = -1, lim_ok = false;
    if (kp_bool(s, params, "retry_after", &g->retry_after, d) < 0)
        rc = -1;
    else if (g->retry_after && !g->has_limit)
        rc = diag_error(d, sc_find_entry(s, "retry_after")->key_loc,
                        "'retry_after' needs a 'limit' to send the hint");
    if (lim_ok && read_distributed(sim, g, s, params, store_as_callee, lim, lloc, d) < 0)
        rc = -1;
    return rc;
}

int gate_setup_auth(struct sim *sim, struct gate *g, const struct sc_section *s,
                    const struct param_spec *params, struct diag *d)
{
    return auth_read(sim, &g->auth, g->owner, 1, auth_done, s, params, d);
}

void gate_start(struct sim *sim, struct gate *g)
{
    if (g->has_limit)
        g->lim.ts_ns = sim->ts.interval_ns;
    if (g->nodes)
        sim_after(sim, g->sync_ns, sync_nodes, g, NULL);
}

void gate_reset(struct gate *g)
{
    if (g->has_limit)
        limit_reset_counts(&g->lim);
    if (g->has_shadow)
        limit_reset_counts(&g->shadow);
    g->store_checks = g->store_errors = 0;
    g->check_ns_sum = 0;
    if (g->auth)
        auth_reset(g->auth);
}

void gate_fini(struct gate *g)
{
    if (g->has_limit)
        limit_fini(&g->lim);
    for (uint32_t i = 0; g->nodes && i < g->nnodes; i++)
        limit_fini(&g->nodes[i]);
    free(g->nodes);
    g->nodes = NULL;
    if (g->has_shadow)
        limit_fini(&g->shadow);
    if (g->auth)
        auth_fini(g->auth);
    free(g->auth);
    g->auth = NULL;
}

/* ---- results ------------------------------------------------------------- */

/* The limiter's work since the cut, and the memory it holds at the end. */
static size_t limit_metrics(const struct sim *sim, const struct gate *g, int64_t end_ns,
                            struct metric_out *out, size_t max)
{
    if (!g->has_limit || max < 11) /* 11 at most */
        return 0;
    const struct limit *l = &g->lim;
    double window_s = (double)(end_ns - (sim->cut_ns > 0 ? sim->cut_ns : 0)) / 1e9;
    size_t n = 0;
    out[n++] = (struct metric_out){"admitted_rps", window_s > 0 ? (double)l->admitted / window_s
                                                                : 0, true};
    out[n++] = (struct metric_out){"rate_limited", (double)l->limited, true};
    out[n++] = (struct metric_out){"delayed", (double)l->delayed, true};
    out[n++] = (struct metric_out){"peak_passed", (double)l->peak_passed, true};
    out[n++] = (struct metric_out){"limiter_scopes", (double)l->nslots, true};
    out[n++] = (struct metric_out){"limiter_entries", (double)l->entries, true};
    out[n++] = (struct metric_out){"limiter_entries_max", (double)l->entries_max, true};
    size_t bytes = limit_bytes(l);
    for (uint32_t i = 0; g->nodes && i < g->nnodes; i++)
        bytes += limit_bytes(&g->nodes[i]);
    out[n++] = (struct metric_out){"limiter_bytes", (double)bytes, true};
    if (g->has_shadow)
        out[n++] = (struct metric_out){
            "over_admission",
            g->shadow.admitted > 0 ? (double)l->admitted / (double)g->shadow.admitted - 1
                                   : (double)NAN,
            true};
    if (g->has_store) {
        uint64_t answered = g->store_checks - g->store_errors;
        out[n++] = (struct metric_out){"store_errors", (double)g->store_errors, true};
        out[n++] = (struct metric_out){
            "check_mean_ms", answered > 0 ? (double)g->check_ns_sum / 1e6 / (double)answered
                                          : (double)NAN,
            true};
    }
    return n;
}

size_t gate_metrics(const struct sim *sim, const struct gate *g, int64_t end_ns,
                    struct metric_out *out, size_t max)
{
    size_t n = limit_metrics(sim, g, end_ns, out, max);
    if (g->auth)
        n += auth_metrics(g->auth, out + n, max - n);
    return n;
}

size_t gate_ts_extra(const struct sim *sim, const struct gate *g, const char **names,
                     double *values, size_t max)
{
    if (!g->has_limit || max < 3)
        return 0;
    names[0] = "limiter_entries";
    values[0] = (double)g->lim.entries;
    names[1] = "admitted_rps";
    values[1] = (double)limit_ts_passed(&g->lim, sim_now(sim)) * 1e9 /
                (double)sim->ts.interval_ns;
    names[2] = "limit_rps";
    values[2] = limit_rate_per_s(&g->lim);
    return 3;
}

size_t gate_napkin_side(const struct gate *g, double in_rps, const struct component **to,
                        struct napkin_flow *out, size_t max)
{
    size_t n = 0;
    if (g->store && !g->store_callee && n < max) { /* one write per request checked */
        to[n] = g->store;
        if (out)
            out[n] = (struct napkin_flow){0, in_rps, NULL};
        n++;
    }
    if (g->auth && n < max) {
        double rps[8];
        size_t k = auth_napkin_side(g->auth, in_rps, to + n, rps, max - n < 8 ? max - n : 8);
        for (size_t i = 0; out && i < k; i++)
            out[n + i] = (struct napkin_flow){rps[i], 0, NULL};
        n += k;
    }
    return n;
}

struct gate *gate_of(const struct component *c)
{
    if (balancer_is(c))
        return balancer_gate(c);
    if (service_is(c))
        return service_gate(c);
    return NULL;
}

const struct limit *gate_limit_of(const struct component *c)
{
    const struct gate *g = c && c->kind ? gate_of(c) : NULL;
    return g && g->has_limit ? &g->lim : NULL;
}

bool gate_has_auth(const struct component *c)
{
    if (!c || !c->kind)
        return false;
    if (service_is(c) && service_has_auth(c))
        return true;
    const struct gate *g = gate_of(c);
    return g && g->auth;
}
