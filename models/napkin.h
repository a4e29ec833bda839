/* napkin: the back-of-the-envelope figures of a model, before any run.
 * For every component: the load it is offered (requests per second, from
 * the clients' mean arrival rates carried down `to` and `calls`, split into
 * reads and writes, thinned by a cache's hit ratio where it is known), its
 * capacity (servers over their mean holding time) and its utilisation
 * (offered / capacity); and the bottleneck, the component of highest
 * utilisation. A figure the scenario alone does not fix (a closed loop's
 * rate, a service whose workers wait on its calls, a rate limiter's
 * output, a sharded store's split) is NAN, printed as `?`: never a guess.
 *
 * The kinds answer through three hooks of struct kind (models/kind.h):
 * napkin_source (a client's rate, write share and keys), napkin_visits
 * (what one component sends each of its callees for the load it gets) and
 * napkin_server (its capacity). napkin_compute walks the call graph in
 * dependency order (callers before callees; model_build has refused
 * cycles). Pure: it reads the built components and changes nothing.
 * Retries, hedges and timeouts are left out: the figures are for first
 * attempts. */
#ifndef SDSIM_MODELS_NAPKIN_H
#define SDSIM_MODELS_NAPKIN_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/sim.h"

struct keys;

/* Load on one component: requests per second, NAN when unknown. keys: the
 * key distribution of every request in it, or NULL when unknown or mixed
 * (requests from clients with different keys). */
struct napkin_flow {
    double reads, writes;
    const struct keys *keys;
};

/* A server's capacity as its kind sees it. */
struct napkin_server {
    double rps;          /* requests per second it can serve; NAN: unknown;
                            INFINITY: no limit (unbounded workers) */
    bool unbounded_queue; /* work it cannot serve waits without limit */
};

/* One component's figures. */
struct napkin_row {
    double offered;       /* requests per second offered (reads + writes); NAN: unknown */
    double writes;        /* of which writes; NAN: unknown */
    double capacity;      /* as napkin_server.rps; NAN also for kinds without servers */
    double utilisation;   /* offered / capacity; NAN when either is unknown or capacity is
                             infinite */
    bool has_server;      /* the kind answers napkin_server (clients do not) */
    bool unbounded_queue;
    bool overloaded;      /* offered >= capacity with an unbounded queue: the queue grows */
};

/* Fills rows[0..sim->ncomps) (indexed like sim->comps) and returns the
 * index of the bottleneck (the highest known utilisation, the first in file
 * order on a tie), or -1 when no utilisation is known. */
long napkin_compute(const struct sim *sim, struct napkin_row *rows);

/* Helpers for the kinds' hooks. */

/* Capacity of `servers` servers each holding a request for mean_ns on
 * average: servers / mean, in requests per second (INFINITY for a zero
 * mean; NAN for a negative, NAN or infinite mean). */
double napkin_capacity(double servers, double mean_ns);

/* The hit ratio of a cache of `capacity` objects with eviction `policy`
 * ("lru", "fifo" or "random") for requests with keys k under the
 * independent reference model: Che's approximation for LRU, Martina et
 * al.'s for FIFO and RANDOM (models/data/irm.h). NAN when unknown: another
 * policy, key distribution (hotset) or no keys, or more than
 * NAPKIN_MAX_KEYS Zipf keys (the solver is O(n) per Newton step). */
#define NAPKIN_MAX_KEYS 2000000ULL
double napkin_hit_ratio(const char *policy, double capacity, const struct keys *k);

#endif
