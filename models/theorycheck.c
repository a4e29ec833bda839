/* theorycheck: is a built model one station fed by Poisson clients (see
 * theorycheck.h)? */
#include "models/theorycheck.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "models/data/keys.h"
#include "models/kind.h"
#include "models/napkin.h"

/* The first condition that fails, or NULL when all hold. */
static const char *check(const struct sim *sim, struct theory_model *out)
{
    size_t nserving = 0;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->is_client)
            continue;
        if (c->kind->self_driven)
            return "a component that makes its own work (a probe) is no queue's model";
        if (c->kind->no_traffic)
            return "a fault schedule (crashes, slowdowns, link faults) is not a steady state";
        if (!c->kind->theory_station)
            return "a component of a kind no formula covers";
        nserving++;
    }
    if (nserving == 0)
        return "no component serves the clients' requests";
    /* the clients: Poisson, all straight to one station */
    const struct component *station = NULL;
    const char *why = NULL;
    double lambda = 0;
    size_t nclients = 0, nresend = 0;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (!c->kind->is_client)
            continue;
        double rate = (double)NAN;
        bool resends = false;
        if (!c->kind->theory_source || !c->kind->theory_source(c, &rate, &resends, &why))
            return c->kind->theory_source ? why : "a client of a kind no formula covers";
        nresend += resends;
        if (c->has_latency)
            return "a network delay (latency) adds to the response time";
        if (c->ncallees != 1 || (station && c->callees[0] != station))
            return "a client does not send straight to the station";
        station = c->callees[0];
        lambda += rate;
        nclients++;
    }
    if (nclients == 0 || !(lambda > 0) || !isfinite(lambda))
        return "no Poisson arrivals";
    if (!station->kind->theory_station)
        return "a component of a kind no formula covers";
    /* the station, and the stations it sends each request on to in series */
    size_t n = 0;
    double rho_max = 0, q = 0;
    for (const struct component *c = station; c;) {
        if (n == THEORY_TANDEM_MAX)
            return "more stations in series than a tandem covers";
        if (!c->kind->theory_station)
            return "a component of a kind no formula covers";
        struct theory_station *st = &out->tandem[n];
        if (!c->kind->theory_station(c, st, &why))
            return why;
        if (c->has_latency)
            return "a network delay (latency) adds to the response time";
        if (st->fails > 0 && (c != station || st->next || nresend != nclients))
            return "a service that fails requests (error_rate), other than one station whose "
                   "clients all resend a failure at once until it succeeds (attempts = 0)";
        if (st->fails > 0 && !st->exponential)
            return "a service that fails requests (error_rate) with service times that are not "
                   "exponential (feedback has a product form only then)";
        if (st->fails > 0 && st->queue >= 0)
            return "a service that fails requests (error_rate) with a bounded queue";
        if (st->choices > 1 && (st->workers != 1 || !st->exponential || st->queue >= 0 ||
                                st->fails > 0 || st->next || c != station))
            return "the power of d choices with more than one worker per replica, service "
                   "times that are not exponential, a bounded queue, failures or calls (the "
                   "supermarket model has none)";
        if (st->choices > 1 && st->replicas < THEORY_POWER_OF_D_MIN_REPLICAS)
            return "the power of d choices over fewer than 100 replicas (its mean-field "
                   "limit is off by more than 1%)";
        if (st->fails >= 1)
            return "a service that fails every request (error_rate = 1): no request ends";
        q = st->fails;
        /* each request visits 1 / (1 - q) times on average */
        double rho = lambda / (1 - q) * st->mean_s / ((double)st->workers * (double)st->replicas);
        rho_max = rho > rho_max ? rho : rho_max;
        if (st->queue < 0 && !(rho < 1)) {
            out->lambda = lambda;
            out->rho = rho;
            return "offered load at or above capacity (rho >= 1): no steady state";
        }
        if (++n > nserving)
            return "a call loop (a request would visit a station again)";
        c = st->next;
    }
    if (n != nserving)
        return "more than one component serves requests (not one station or one tandem)";
    if (nresend > 0 && q == 0)
        return "a client that may retry (attempts != 1) a station that refuses or fails "
               "requests otherwise than by error_rate";
    for (size_t k = 0; n > 1 && k < n; k++) {
        if (out->tandem[k].queue >= 0)
            return "a bounded queue in a tandem (a blocked request is lost between stations)";
        if (!out->tandem[k].exponential)
            return "a tandem whose service times are not exponential (no product form)";
    }
    out->st = out->tandem[0];
    out->nstations = n;
    out->lambda = lambda;
    out->feedback = q;
    out->rho = rho_max;
    out->component = station->name;
    return NULL;
}

/* Cache c's hit ratio under IRM into *out; false when a condition fails. */
static bool check_cache(const struct sim *sim, const struct component *c, struct theory_cache *out)
{
    const char *policy = NULL, *why = NULL;
    double capacity = (double)NAN;
    if (!c->kind->theory_cache(c, &policy, &capacity, &why))
        return false;
    if (c->ncallees != 1 || strcmp(c->callees[0]->kind->name, "store") != 0 ||
        !c->callees[0]->kind->napkin_server)
        return false;
    struct napkin_server srv = {0};
    c->callees[0]->kind->napkin_server(c->callees[0], &srv);
    if (!srv.unbounded_queue) /* a rejected miss is never filled */
        return false;
    const struct keys *keys = NULL;
    size_t nclients = 0;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *o = sim->comps[i];
        bool calls = false;
        for (size_t k = 0; k < o->ncallees; k++)
            calls |= o->callees[k] == c;
        if (!calls)
            continue;
        const struct keys *k = NULL;
        if (!o->kind->is_client || o->ncallees != 1 || !o->kind->theory_keys ||
            !o->kind->theory_keys(o, &k, &why))
            return false;
        if (keys && (k->kind != keys->kind || k->n != keys->n ||
                     (k->kind == KEYS_ZIPF && k->s != keys->s)))
            return false;
        keys = k;
        nclients++;
    }
    if (nclients == 0 || strlen(c->name) >= sizeof out->name)
        return false;
    double h = napkin_hit_ratio(policy, capacity, keys);
    if (!isfinite(h))
        return false;
    snprintf(out->name, sizeof out->name, "%s", c->name);
    out->method = strcmp(policy, "lru") == 0    ? "che_lru"
                  : strcmp(policy, "fifo") == 0 ? "martina_fifo"
                                                : "martina_random";
    out->hit_ratio = h;
    return true;
}

void theory_check(const struct sim *sim, struct theory_model *out)
{
    *out = (struct theory_model){.applies = false};
    out->why = check(sim, out);
    out->applies = out->why == NULL;
    bool faults = false;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct kind *k = sim->comps[i]->kind;
        faults |= (k->no_traffic || k->self_driven) && !k->theory_wars;
    }
    if (faults)
        return; /* a fault schedule or a probe: no steady state for any cache or store */
    for (size_t i = 0; i < sim->ncomps && out->nwars < THEORY_WARS_STORES; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->theory_wars && strlen(c->name) < sizeof out->wars[0].name &&
            c->kind->theory_wars(c, &out->wars[out->nwars])) {
            snprintf(out->wars[out->nwars].name, sizeof out->wars[0].name, "%s", c->name);
            out->nwars++;
        }
    }
    for (size_t i = 0; i < sim->ncomps; i++)
        if (sim->comps[i]->kind->no_traffic || sim->comps[i]->kind->self_driven)
            return; /* a [wars] store: no cache to check */
    for (size_t i = 0; i < sim->ncomps && out->ncaches < THEORY_CACHES_MAX; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->theory_cache && check_cache(sim, c, &out->caches[out->ncaches]))
            out->ncaches++;
    }
}
