/* theorycheck: does a model, as built for one sweep point, meet the
 * conditions of a queueing formula, so that summary.csv can give the
 * theory beside the simulated value (output/theory_apply.c picks the
 * method and computes it)? Never a guess: a model that is not exactly the
 * formula's model gets no theory, with the first condition it fails.
 *
 * The one shape covered today: open-loop homogeneous Poisson clients (any
 * number; their superposition is Poisson) each sending every request, once,
 * straight to the same one station, and nothing else in the model. The
 * station is a single FIFO queue without limit in front of c identical
 * workers, with i.i.d. service times that do not depend on the arrivals,
 * no calls onwards, no failures, no shedding, no autoscaling, and the
 * load below capacity (rho < 1, so a steady state exists). No network
 * delay anywhere, no fault schedule. A [service] qualifies with
 * replicas = 1, or with several replicas of the same speed and balance =
 * random: each replica has its own queue (several replicas are not one
 * pool), and a uniform random choice independent of the state splits the
 * Poisson stream into independent Poisson streams of lambda / replicas.
 *
 * The kinds answer through two hooks of struct kind (models/kind.h),
 * theory_source and theory_station, like napkin's; a kind without them
 * never qualifies. Pure: reads the built components, changes nothing. */
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
};

struct theory_model {
    bool applies;          /* the shape above holds */
    const char *why;       /* when not: the first condition that fails (static text) */
    const char *component; /* the station's name (borrowed), or NULL */
    double lambda;         /* arrivals per second at the station */
    double rho;            /* lambda mean_s / (replicas workers) */
    struct theory_station st;
};

/* Checks sim's built components (model_build done) and fills *out. */
void theory_check(const struct sim *sim, struct theory_model *out);

#endif
