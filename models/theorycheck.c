/* theorycheck: is a built model one station fed by Poisson clients (see
 * theorycheck.h)? */
#include "models/theorycheck.h"

#include <math.h>
#include <stddef.h>

#include "models/kind.h"

/* The first condition that fails, or NULL when all hold. */
static const char *check(const struct sim *sim, struct theory_model *out)
{
    const struct component *station = NULL;
    /* the station first: every client must send to it */
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
        if (station)
            return "more than one component serves requests (not one station)";
        station = c;
    }
    if (!station)
        return "no component serves the clients' requests";
    const char *why = NULL;
    if (!station->kind->theory_station(station, &out->st, &why))
        return why;
    if (station->has_latency)
        return "a network delay (latency) adds to the response time";
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
        if (c->ncallees != 1 || c->callees[0] != station)
            return "a client does not send straight to the station";
        lambda += rate;
        nclients++;
    }
    if (nclients == 0 || !(lambda > 0) || !isfinite(lambda))
        return "no Poisson arrivals";
    double rho = lambda * out->st.mean_s / ((double)out->st.workers * (double)out->st.replicas);
    out->lambda = lambda;
    out->rho = rho;
    out->component = station->name;
    if (!(rho < 1))
        return "offered load at or above capacity (rho >= 1): no steady state";
    return NULL;
}

void theory_check(const struct sim *sim, struct theory_model *out)
{
    *out = (struct theory_model){.applies = false};
    out->why = check(sim, out);
    out->applies = out->why == NULL;
}
