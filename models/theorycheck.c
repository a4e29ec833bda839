/* theorycheck: is a built model one station fed by Poisson clients (see
 * theorycheck.h)? */
#include "models/theorycheck.h"

#include <math.h>
#include <stddef.h>

#include "models/kind.h"

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
    size_t nclients = 0;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (!c->kind->is_client)
            continue;
        double rate = NAN;
        if (!c->kind->theory_source || !c->kind->theory_source(c, &rate, &why))
            return c->kind->theory_source ? why : "a client of a kind no formula covers";
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
    double rho_max = 0;
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
        double rho = lambda * st->mean_s / ((double)st->workers * (double)st->replicas);
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
    for (size_t k = 0; n > 1 && k < n; k++) {
        if (out->tandem[k].queue >= 0)
            return "a bounded queue in a tandem (a blocked request is lost between stations)";
        if (!out->tandem[k].exponential)
            return "a tandem whose service times are not exponential (no product form)";
    }
    out->st = out->tandem[0];
    out->nstations = n;
    out->lambda = lambda;
    out->rho = rho_max;
    out->component = station->name;
    return NULL;
}

void theory_check(const struct sim *sim, struct theory_model *out)
{
    *out = (struct theory_model){.applies = false};
    out->why = check(sim, out);
    out->applies = out->why == NULL;
}
