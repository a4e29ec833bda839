/* fault: a scheduled fault on a component whose kind has nodes (a service's
 * replicas, a cache, a store, a replicaset's or multileader's nodes). At
 * `at` the action starts on one node or all of them; at `until` (if given)
 * it ends. Each node keeps its state in a struct nodefault, which gives
 * every action one meaning across kinds (models/kinds/nodefault.h); the kind's
 * `fault` hook applies it and acts on crashes and recoveries. Which actions
 * a kind supports is nodefault's table: the others are refused here, at the
 * action's line, never ignored. The schedule is
 * part of the scenario, so it is swept and replicated like everything else,
 * and each fault appears as a shaded interval in the time-series plot.
 *
 *   [fault zone-a]
 *   target  = app
 *   replica = 2          # or all
 *   at      = 300s
 *   until   = 420s
 *   action  = crash      # or slow(factor=4), errors(rate=30%), latency(add=200ms)
 *
 * `action = partition` (replicaset and multileader only) cuts node `replica`
 * off from the component's other nodes, not from its clients: the kind's
 * `partition` hook says what that means; other kinds refuse it here.
 *
 * With `link_to = B` the fault is on the link between the target and B
 * instead, both ways: drop(rate=10%) loses that share of the requests and
 * replies sent directly between them, delay(add=50ms) makes them later
 * (struct link_fault, applied by sim_send and sim_reply).
 */
#include <assert.h>
#include <string.h>

#include "models/kinds/fault.h"

#include "models/kind.h"
#include "models/kinds/nodefault.h"
#include "models/kinds/service.h"
#include "sim/units.h"

struct fault {
    struct component base;
    struct component *target;
    int32_t replica; /* -1: all */
    int64_t at_ns, until_ns; /* until_ns < 0: never ends */
    enum fault_action action;
    double value;
    bool is_partition;      /* action = partition: the target's partition hook */
    bool is_link;           /* link_to: lf, not the target's fault hook */
    struct link_fault lf;
};

static const struct param_spec params[] = {
    {"target", "component", NULL,
     "the service, cache, store, replicaset, multileader, consumers group or queue (its "
     "broker) that fails (or one end of a link)"},
    {"replica", "int|all", "all",
     "which replica or node (0 is the first), or all; on a queue, which partition's leader; "
     "on a consumers group with assignment = range or round_robin, or with prefetch, which "
     "consumer (a shared group without prefetch is one node)"},
    {"at", "duration", NULL, "when the fault starts (simulated time)"},
    {"until", "duration|never", "never", "when it ends and the replica recovers"},
    {"action", "action", NULL,
     "crash | slow(factor=4) | errors(rate=30%) | latency(add=200ms) on any node: a "
     "service replica, cache, store, replicaset or multileader node (slow: its worker "
     "times x factor, a replica node's applies included, not replication_delay; errors: "
     "that share of the requests it serves fail after service, a write before it "
     "commits; latency: added to its replies, holding the worker on a service, cache or "
     "store) | partition (a replicaset or multileader node cut off from the other "
     "nodes); on a queue: crash (its broker, or one partition's leader: see the queue's "
     "persistence and failover); on a link: drop(rate=10%) | delay(add=50ms)"},
    {"link_to", "component", "",
     "a fault on the link between target and this component (both ways) instead: "
     "action = drop(...) or delay(...)"},
    {NULL, NULL, NULL, NULL},
};

static const struct param_spec slow_params[] = {
    {"factor", "number", NULL, "service times are multiplied by this (> 0)"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec errors_params[] = {
    {"rate", "fraction", NULL, "probability that a request fails after its service"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec latency_params[] = {
    {"add", "duration", NULL, "added to every reply of the replica"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec no_params[] = {{NULL, NULL, NULL, NULL}};
static const struct param_spec drop_params[] = {
    {"rate", "fraction", NULL, "probability that a message on the link is lost"},
    {NULL, NULL, NULL, NULL},
};
static const struct param_spec delay_params[] = {
    {"add", "duration", NULL, "added to every message on the link"},
    {NULL, NULL, NULL, NULL},
};

/* What a fault does to its target's nodes, and to a link: two policy
 * families (listed in models/registry.c). */
struct fault_action_policy {
    struct policy_head head;
    enum fault_action action;
    bool partition; /* the target's partition hook instead of its fault hook */
};

/* In enum fault_action's order (actions[a] is a), then partition. */
static const struct fault_action_policy actions[] = {
    {{"crash", "the node stops: its work fails, new requests are refused", no_params},
     FAULT_CRASH, false},
    {{"slow", "its worker times x factor (a replica node's applies included)", slow_params},
     FAULT_SLOW, false},
    {{"errors", "that share of its requests fail after service (a write before it commits)", errors_params},
     FAULT_ERRORS, false},
    {{"latency", "add is added to its replies, holding the worker", latency_params}, FAULT_LATENCY,
     false},
    {{"partition", "a replicaset or multileader node cut off from the other nodes", no_params},
     FAULT_CRASH, true},
};

static const struct policy_head *const action_table[] = {
    &actions[0].head, &actions[1].head, &actions[2].head, &actions[3].head, &actions[4].head,
    NULL,
};

_Static_assert(sizeof action_table / sizeof action_table[0] ==
                   sizeof actions / sizeof actions[0] + 1,
               "every action in the family's table");

const struct policy_family fault_action_family = {
    "action", "fault action", "what a [fault] does to its target's nodes (key: action)",
    action_table};

static const struct policy_head link_drop = {
    "drop", "that share of the messages on the link is lost", drop_params};
static const struct policy_head link_delay = {
    "delay", "every message on the link is later by add", delay_params};
static const struct policy_head *const link_table[] = {&link_drop, &link_delay, NULL};

const struct policy_family fault_link_family = {
    "link_action", "link action",
    "what a [fault] with link_to does to the link, both ways (key: action)", link_table};

/* drop(rate=) or delay(add=) of a link fault. */
static int read_link_action(struct fault *ft, const char *text, struct loc loc,
                            struct diag *d)
{
    struct spec sp;
    const struct policy_head *h = policy_setup(&fault_link_family, text, loc, &sp, d);
    if (!h)
        return -1;
    struct loc vl;
    const char *why;
    bool drop = h == &link_drop;
    const char *v = spec_value(&sp, h->params, drop ? "rate" : "add", &vl);
    if (drop && units_parse_fraction(v, &ft->lf.drop, &why) < 0)
        return diag_error(d, vl, "bad rate '%s': %s", v, why);
    if (!drop && units_parse_duration(v, &ft->lf.add_ns, &why) < 0)
        return diag_error(d, vl, "bad duration '%s': %s", v, why);
    return 0;
}

static int read_action(struct fault *ft, const char *text, struct loc loc, struct diag *d)
{
    if (ft->is_link)
        return read_link_action(ft, text, loc, d);
    struct spec sp;
    if (spec_parse(&sp, text, loc, d) < 0)
        return -1;
    if (policy_find(link_table, sp.name))
        return diag_error(d, sp.loc, "'%s' is a link fault: it needs 'link_to = COMPONENT'",
                          sp.name);
    const struct policy_head *h = policy_lookup(&fault_action_family, &sp, d);
    if (!h)
        return -1;
    const struct fault_action_policy *a = (const struct fault_action_policy *)h;
    char what[64];
    snprintf(what, sizeof what, "fault action '%s'", h->name);
    if (spec_check(&sp, h->params, what, d) < 0)
        return -1;
    if (a->partition) {
        ft->is_partition = true;
        return 0;
    }
    ft->action = a->action;
    struct loc vl;
    const char *why;
    const char *v;
    switch (ft->action) {
    case FAULT_CRASH:
        break;
    case FAULT_SLOW:
        v = spec_value(&sp, slow_params, "factor", &vl);
        if (units_parse_double(v, &ft->value, &why) < 0 || !(ft->value > 0))
            return diag_error(d, vl, "bad factor '%s': a positive number", v);
        break;
    case FAULT_ERRORS:
        v = spec_value(&sp, errors_params, "rate", &vl);
        if (units_parse_fraction(v, &ft->value, &why) < 0)
            return diag_error(d, vl, "bad rate '%s': %s", v, why);
        break;
    case FAULT_LATENCY: {
        int64_t ns;
        v = spec_value(&sp, latency_params, "add", &vl);
        if (units_parse_duration(v, &ns, &why) < 0)
            return diag_error(d, vl, "bad duration '%s': %s", v, why);
        ft->value = (double)ns;
        break;
    }
    }
    return 0;
}

static void fire(struct sim *sim, void *a, void *b)
{
    struct fault *ft = a;
    if (ft->is_link)
        ft->lf.active = b != NULL;
    else if (ft->is_partition)
        ft->target->kind->partition(sim, ft->target, ft->replica, b != NULL);
    else
        ft->target->kind->fault(sim, ft->target, ft->replica, ft->action, ft->value, b != NULL);
}

static void start(struct sim *sim, struct component *c)
{
    struct fault *ft = (struct fault *)c;
    if (ft->at_ns <= sim->end_ns)
        sim_at(sim, ft->at_ns, fire, ft, ft); /* b != NULL: start */
    if (ft->until_ns >= 0 && ft->until_ns <= sim->end_ns)
        sim_at(sim, ft->until_ns, fire, ft, NULL);
}

static void on_message(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
}

/* Whether the target's kind supports the fault's action (nodefault.c's
 * table, which the kinds' hooks must match). */
static bool supports(const struct fault *ft, const struct component *target)
{
    unsigned mask = nodefault_supported(target->kind->name);
    unsigned bit = ft->is_partition ? NODEFAULT_PARTITION : NODEFAULT_BIT(ft->action);
    if (!(mask & bit))
        return false;
    assert((ft->is_partition ? target->kind->partition != NULL : target->kind->fault != NULL) &&
           "nodefault's table names an action the kind has no hook for");
    return true;
}

/* A fault on a component without nodes (a client, a balancer, ...). */
static int refuse_kind(const struct component *target, struct loc loc, struct diag *d)
{
    char kinds[128];
    nodefault_kind_names(kinds, sizeof kinds);
    return diag_error(d, loc, "'%s' is a %s, which has no nodes to fail; faults apply to: %s",
                      target->name, target->kind->name, kinds);
}

/* An action the target's kind cannot have. */
static int refuse_action(const struct fault *ft, const struct component *target, struct loc loc,
                         struct diag *d)
{
    char names[128];
    nodefault_action_names(nodefault_supported(target->kind->name), names, sizeof names);
    return diag_error(d, loc, "'%s' is a %s: %s does not apply to it (a %s supports: %s)",
                      target->name, target->kind->name,
                      ft->is_partition ? "partition" : actions[ft->action].head.name,
                      target->kind->name, names);
}

/* link_to = B: the fault is on the link between the target and B. */
static int read_link(struct sim *sim, struct fault *ft, const struct sc_section *s,
                     struct diag *d)
{
    struct loc loc;
    const char *b = kp_raw(s, params, "link_to", &loc);
    if (!b)
        return 0;
    ft->is_link = true;
    ft->lf.a = ft->target;
    ft->lf.b = kind_lookup(sim, b);
    if (!ft->lf.b)
        return diag_error(d, loc, "no component named '%s'", b);
    if (ft->lf.b == ft->lf.a)
        return diag_error(d, loc, "a link joins two different components");
    rng_stream(&ft->lf.rng, sim->seed, ft->base.name, "link");
    sim_link_fault(sim, &ft->lf);
    return 0;
}

/* Messages a link fault lost in the measured window. */
static size_t metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                      struct metric_out *out, size_t max)
{
    (void)sim, (void)end_ns;
    const struct fault *ft = (const struct fault *)c;
    if (!ft->is_link || max < 1)
        return 0;
    out[0] = (struct metric_out){"dropped_messages", (double)ft->lf.dropped, true};
    return 1;
}

static void reset(struct sim *sim, struct component *c)
{
    (void)sim;
    ((struct fault *)c)->lf.dropped = 0;
}

static int build(struct sim *sim, struct component *c, const struct sc_section *s,
                 struct diag *d)
{
    struct fault *ft = (struct fault *)c;
    int rc = 0;
    struct loc loc;
    const char *t = kp_raw(s, params, "target", &loc);
    if (!t)
        return diag_error(d, s->loc, "[fault %s] needs 'target = COMPONENT'", s->name);
    ft->target = kind_lookup(sim, t);
    if (read_link(sim, ft, s, d) < 0)
        rc = -1;
    if (!ft->target)
        rc = diag_error(d, loc, "no component named '%s'", t);
    else if (!ft->is_link && !nodefault_supported(ft->target->kind->name))
        rc = refuse_kind(ft->target, loc, d);
    const char *rep = kp_raw(s, params, "replica", &loc);
    ft->replica = -1;
    if (ft->is_link && strcmp(rep, "all") != 0)
        rc = diag_error(d, loc, "a link fault is on the whole link: no 'replica'");
    else if (strcmp(rep, "all") != 0) {
        long long r;
        if (kp_int(s, params, "replica", 0, 1000000, &r, d) < 0)
            rc = -1;
        else if (ft->target && service_is(ft->target) && r >= service_replicas(ft->target))
            rc = diag_error(d, loc, "'%s' has %u replicas, numbered from 0", t,
                            service_replicas(ft->target));
        else if (ft->target && ft->target->kind->nodes &&
                 ft->target->kind->nodes(ft->target) > 1 &&
                 r >= ft->target->kind->nodes(ft->target))
            rc = diag_error(d, loc, "'%s' has %u nodes, numbered from 0", t,
                            ft->target->kind->nodes(ft->target));
        else if (ft->target && !service_is(ft->target) &&
                 (!ft->target->kind->nodes || ft->target->kind->nodes(ft->target) == 1) && r > 0)
            rc = strcmp(ft->target->kind->name, "consumers") == 0
                     ? diag_error(d, loc, "'%s' is a shared group, one node: replica 0 or all; "
                                          "to fault one consumer, use assignment = range (or "
                                          "round_robin), or prefetch: each consumer is then a "
                                          "node",
                                  t)
                     : diag_error(d, loc, "'%s' is one node: replica 0 or all", t);
        else
            ft->replica = (int32_t)r;
    }
    if (kp_duration(s, params, "at", &ft->at_ns, d) < 0)
        rc = -1;
    const char *u = kp_raw(s, params, "until", &loc);
    ft->until_ns = -1;
    if (strcmp(u, "never") != 0) {
        if (kp_duration(s, params, "until", &ft->until_ns, d) < 0)
            rc = -1;
        else if (rc == 0 && ft->until_ns <= ft->at_ns)
            rc = diag_error(d, loc, "'until' must be after 'at'");
    }
    const char *act = kp_raw(s, params, "action", &loc);
    if (!act)
        rc = diag_error(d, s->loc, "[fault %s] needs 'action = crash' (or slow, errors, latency)",
                        s->name);
    else if (read_action(ft, act, loc, d) < 0)
        rc = -1;
    else if (!ft->is_link && ft->target && nodefault_supported(ft->target->kind->name) &&
             !supports(ft, ft->target))
        rc = refuse_action(ft, ft->target, loc, d);
    else if (ft->is_partition && rc == 0 && ft->target->kind->partition_refused) {
        const char *why = ft->target->kind->partition_refused(ft->target, ft->replica);
        if (why)
            rc = diag_error(d, loc, "'%s': %s", t, why);
    }
    if (rc == 0)
        sim_note_span(sim, c->name, ft->at_ns, ft->until_ns < 0 ? sim->end_ns : ft->until_ns);
    return rc;
}

const struct kind kind_fault = {
    .name = "fault",
    .summary = "a scheduled fault: a node (a service replica, cache, store, or replicated "
               "store's node; or all) crashes, slows, fails or lags; a replicated store's node "
               "is cut off from the others (partition); "
               "or a link between two components drops or delays messages",
    .params = params,
    .size = sizeof(struct fault),
    .build = build,
    .start = start,
    .build_stage = 1,
    .on_request = on_message,
    .on_reply = on_message,
    .metrics = metrics,
    .reset = reset,
    .no_traffic = true,
};

const struct component *fault_target(const struct component *f, int32_t *replica)
{
    const struct fault *ft = (const struct fault *)f;
    *replica = ft->replica;
    return ft->is_link ? NULL : ft->target;
}

bool fault_may_crash(const struct sim *sim, const struct component *c)
{
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *f = sim->comps[i];
        if (f->kind != &kind_fault)
            continue;
        const struct fault *ft = (const struct fault *)f;
        if (!ft->is_link && !ft->is_partition && ft->target == c && ft->action == FAULT_CRASH)
            return true;
    }
    return false;
}
