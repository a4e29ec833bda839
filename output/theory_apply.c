/* theory_apply: summary.csv's theory beside the simulation (see
 * theory_apply.h). */
#include "output/theory_apply.h"

#include <math.h>
#include <string.h>

#include "models/model.h"
#include "output/theory.h"
#include "sim/sim.h"

const char theory_apply_conditions[] =
    "summary.csv's theory and theory_method columns have a value only when the sweep point's "
    "model, as built, is exactly a method's model: open-loop clients with homogeneous Poisson "
    "arrivals (several add up) sending every request straight to one [service] with "
    "replicas = 1 (one queue), or several replicas of one speed with balance = random (each "
    "replica then sees a Poisson stream of lambda/replicas), an unbounded queue, no shedding, no calls, no error_rate, no "
    "autoscale; no timeouts, retries, hedges or breakers at the clients; no network latency; "
    "no [fault] or other component; and the load below capacity (rho < 1). Then the rows "
    "a method lists under `summary` above get its steady-state value; other rows and models "
    "stay empty";

void theory_apply_point(const struct scenario *sc, size_t point, struct theory_model *out)
{
    struct sc_point *pt = scenario_point(sc, point);
    struct sim sim;
    sim_init(&sim, 1, 0, 1);
    if (model_build(&sim, pt, NULL) == 0) {
        theory_check(&sim, out);
    } else { /* validated before the runs: cannot happen */
        *out = (struct theory_model){.applies = false, .why = "the model does not build"};
    }
    sim_fini(&sim);
    scenario_point_free(pt);
}

/* The quantile of a latency metric's name (latency_p99_ms: 0.99,
 * latency_all_p50_ms: 0.5), 0 for the mean, -1 for any other metric. */
static double latency_quantile(const char *metric)
{
    static const struct {
        const char *suffix;
        double q;
    } known[] = {{"mean_ms", 0},    {"p50_ms", 0.5},    {"p90_ms", 0.9},
                 {"p99_ms", 0.99},  {"p999_ms", 0.999}};
    const char *rest;
    if (strncmp(metric, "latency_all_", 12) == 0)
        rest = metric + 12;
    else if (strncmp(metric, "latency_", 8) == 0)
        rest = metric + 8;
    else
        return -1;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(rest, known[i].suffix) == 0)
            return known[i].q;
    return -1;
}

double theory_apply_value(const struct theory_model *m, const char *metric, const char **method)
{
    *method = NULL;
    double q = latency_quantile(metric);
    if (!m->applies || q < 0)
        return (double)NAN;
    const struct theory_station *st = &m->st;
    double v = (double)NAN, mu = 1 / st->mean_s;
    /* each replica (all alike) sees a Poisson stream of lambda / replicas,
     * and a request's response time is its replica's */
    double lambda = m->lambda / st->replicas;
    const char *name = NULL;
    if (st->exponential && st->replicas > 1) {
        name = "random_split";
        v = q == 0 ? theory_random_split_response_mean(st->replicas, st->workers, m->lambda, mu)
                   : theory_random_split_response_quantile(st->replicas, st->workers, m->lambda,
                                                           mu, q);
    } else if (st->exponential) {
        name = "erlang_c";
        v = q == 0 ? theory_mmc_response_mean(st->workers, lambda, mu)
                   : theory_mmc_response_quantile(st->workers, lambda, mu, q);
    } else if (st->workers == 1 && q == 0) {
        name = "pk_mg1";
        v = theory_mg1_response_mean(lambda, st->mean_s, st->scv);
    } else if (st->workers == 1 && st->constant) {
        name = "md1";
        v = theory_md1_response_quantile(lambda, st->mean_s, q);
    }
    if (!isfinite(v))
        return (double)NAN;
    *method = name;
    return v * 1e3; /* seconds to the metric's milliseconds */
}

const char *theory_apply_metrics(const char *method)
{
    if (strcmp(method, "erlang_c") == 0)
        return "exponential service: latency_mean_ms, latency_p50/p90/p99/p999_ms and the "
               "latency_all_ mean, p50, p99";
    if (strcmp(method, "random_split") == 0)
        return "exponential service, several replicas, balance = random: the rows of erlang_c";
    if (strcmp(method, "pk_mg1") == 0)
        return "one worker (per replica), any service time with a finite variance: "
               "latency_mean_ms, latency_all_mean_ms";
    if (strcmp(method, "md1") == 0)
        return "one worker (per replica), constant service: latency_p50/p90/p99/p999_ms, "
               "latency_all_p50/p99";
    return NULL;
}
