/* theorycheck: does a model, as built for one sweep point, meet the
 * conditions of a queueing formula, so that summary.csv can give the
 * theory beside the simulated value (output/theory_apply.c picks the
 * method and computes it)? Never a guess: a model that is not exactly the
 * formula's model gets no theory, with the first condition it fails.
 *
 * The shapes covered: open-loop homogeneous Poisson clients (any number;
 * their superposition is Poisson) each sending every request, once,
 * straight to the same one station, and nothing else in the model. The
 * station is a single FIFO queue in front of c identical workers, with
 * i.i.d. service times that do not depend on the arrivals, no failures, no
 * shedding, no autoscaling. Its queue is either without limit, with the
 * load below capacity (rho < 1, so a steady state exists), or bounded
 * (queue = K - c places: a loss system, stable at any load). Or a tandem:
 * the station calls a second one once per request with its worker freed
 * (async = true, the call unguarded), that one a third, and so on, each
 * with an unbounded queue, exponential service and rho < 1 (an open
 * Jackson network in series). No network delay anywhere, no fault
 * schedule. A [service] qualifies with
 * replicas = 1, or with several replicas of the same speed and balance =
 * random: each replica has its own queue (several replicas are not one
 * pool), and a uniform random choice independent of the state splits the
 * Poisson stream into independent Poisson streams of lambda / replicas.
 *
 * Apart from that shape, each cache gets its hit ratio under the
 * independent reference model (Che's approximation for LRU, Martina's for
 * FIFO and RANDOM) when open-loop clients (any arrival process but a
 * trace) without retries, writes or timeouts, all with the same Zipf or
 * uniform keys, are the only ones sending to it, straight, it sends its
 * misses to a [store] with an unbounded queue, and the model has no fault
 * schedule.
 *
 * The kinds answer through hooks of struct kind (models/kind.h),
 * theory_source, theory_station and theory_cache, like napkin's; a kind
 * without them never qualifies. Pure: reads the built components, changes
 * nothing. */
#ifndef SDSIM_MODELS_THEORYCHECK_H
#define SDSIM_MODELS_THEORYCHECK_H

#include <stdbool.h>

#include "sim/sim.h"

/* One station as theory sees it. */
struct theory_station {
    unsigned replicas; /* identical stations, one chosen uniformly at random per request
                          (Poisson thinning: each sees lambda / replicas); 1: one station */
    unsigned workers;  /* c identical workers sharing one queue (per replica) */
    double mean_s;     /* mean service time in seconds (speed applied) */
    double scv;        /* squared coefficient of variation of the service time */
    bool exponential;  /* the service time is exactly exponential */
    bool constant;     /* the service time is constant */
    long long queue;   /* waiting places per replica; -1: without limit */
    /* the component each request is sent to next, once, when its service
     * is over, with the worker freed (async, unguarded); NULL: it replies */
    const struct component *next;
    /* the probability that a request fails after its service (error_rate);
     * theorycheck accepts it only when every client resends a failure at
     * once, without limit: Bernoulli feedback */
    double fails;
    /* replicas > 1: d >= 2 when each request joins the replica with the
     * fewest requests among d sampled (the power of d choices, exact
     * counts), replace whether drawn with replacement; 0: random */
    unsigned choices;
    bool replace;
};

/* The power of d choices' mean-field value is given from this many
 * replicas on: its error is about 1/N (d = 2) to 1.5/N (d = 3) relative,
 * 1-1.5% at N = 100 (measured, scenarios/validation/lb-p2c-100.ini). */
#define THEORY_POWER_OF_D_MIN_REPLICAS 100

#define THEORY_TANDEM_MAX 16 /* stations in series at most */
#define THEORY_CACHES_MAX 16 /* caches with a hit ratio at most */
#define THEORY_WARS_STORES 16 /* [wars] stores at most */

/* A [wars] store (models/kinds/wars.c) as the WARS model sees it. */
struct theory_wars {
    char name[64];             /* the component's name (a copy) */
    unsigned n, r, w, writes;  /* replicas, read and write quorums, writes per trial */
    bool quorum_only;          /* propagate = quorum: only the first W to ack keep a write */
    double mean_ms[4];         /* write, ack, read and response delays' means */
    bool exponential[4];       /* each delay exactly exponential */
    double read_after_ms;      /* t */
};

/* A cache's hit ratio under the independent reference model. */
struct theory_cache {
    char name[64];      /* the cache's name (a copy) */
    const char *method; /* che_lru, martina_fifo or martina_random (static) */
    double hit_ratio;   /* the method's hit ratio */
};

struct theory_model {
    bool applies;          /* the shape above holds */
    const char *why;       /* when not: the first condition that fails (static text) */
    const char *component; /* the station's name (borrowed), or NULL */
    double lambda;         /* arrivals per second at the station (from outside) */
    double feedback;       /* a single station's Bernoulli feedback q (st.fails), or 0 */
    double rho;            /* lambda mean_s / (replicas workers), the highest of a tandem's */
    struct theory_station st; /* the station (a tandem's first) */
    size_t nstations;         /* 1, or the stations of a tandem in series */
    struct theory_station tandem[THEORY_TANDEM_MAX]; /* tandem[0] is st */
    size_t ncaches;           /* caches whose hit ratio theory gives, whatever applies says */
    struct theory_cache caches[THEORY_CACHES_MAX];
    size_t nwars;             /* [wars] stores, whatever applies says (no fault schedule) */
    struct theory_wars wars[THEORY_WARS_STORES];
};

/* Checks sim's built components (model_build done) and fills *out. */
void theory_check(const struct sim *sim, struct theory_model *out);

#endif
