/* theory_apply: summary.csv's theory beside the simulation (see
 * theory_apply.h). */
#include "output/theory_apply.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/model.h"
#include "output/theory.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

const char theory_apply_conditions[] =
    "summary.csv's theory and theory_method columns have a value only when the sweep point's "
    "model, as built, is exactly a method's model: open-loop clients with homogeneous Poisson "
    "arrivals (several add up) sending every request straight to one [service] with "
    "replicas = 1 (one queue), or several replicas of one speed with balance = random (each "
    "replica then sees a Poisson stream of lambda/replicas), no shedding, no error_rate, no "
    "autoscale, no auth; no timeouts, retries, hedges or breakers at the clients; no network "
    "latency; no [fault] or other component. With an unbounded queue the load must be below "
    "capacity (rho < 1); a bounded queue (queue = K - c places per replica) is a loss system, "
    "stable at any load. Several replicas (100 or more) of one exponential worker each with "
    "balance = power_of_two or power_of_two_replace (exact counts) get the power of d choices' "
    "mean, an approximation. A failing service (error_rate = q, exponential service, unbounded queue) "
    "qualifies when every client resends a failure at once until it succeeds (attempts = 0, no "
    "retry policy): Bernoulli feedback, the only revisiting of a station sdsim's call graph "
    "allows (a call loop is refused when the model is built). A tandem qualifies too: the service calls one more [service] "
    "(calls = NEXT, async = true, no call_timeout, call_hedge, breaker or bulkhead), that one "
    "perhaps another, each with exponential service, an unbounded queue and rho < 1. Then the "
    "rows a method lists under `summary` above get its steady-state value; other rows and "
    "models stay empty. Apart from these, a cache's hit_ratio row gets che_lru, martina_fifo "
    "or martina_random under the conditions listed with them";

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

struct theory_memo {
    const struct scenario *sc;
    size_t npoints;
    struct theory_model **point; /* npoints, NULL until checked */
};

struct theory_memo *theory_memo_new(const struct scenario *sc)
{
    struct theory_memo *m = xcalloc(1, sizeof *m);
    m->sc = sc;
    m->npoints = scenario_npoints(sc);
    m->point = xcalloc(m->npoints, sizeof *m->point);
    return m;
}

void theory_memo_free(struct theory_memo *memo)
{
    if (!memo)
        return;
    for (size_t i = 0; i < memo->npoints; i++)
        free(memo->point[i]);
    free(memo->point);
    free(memo);
}

const struct theory_model *theory_apply_memo(struct theory_memo *memo, const struct scenario *sc,
                                             size_t point, struct theory_model *scratch)
{
    if (!memo || memo->sc != sc || point >= memo->npoints) {
        theory_apply_point(sc, point, scratch);
        return scratch;
    }
    if (!memo->point[point]) {
        memo->point[point] = xcalloc(1, sizeof *memo->point[point]);
        theory_apply_point(sc, point, memo->point[point]);
    }
    return memo->point[point];
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

#define MMCK_MAX 1000000ULL /* K of M/M/c/K at most (its solution is O(K)) */

/* A station with a bounded queue (a loss system): the share of requests
 * rejected, and the latency of the admitted ones. Each replica, all alike,
 * sees lambda / replicas and loses the same share. */
static double loss_value(const struct theory_model *m, const char *metric, const char **name)
{
    const struct theory_station *st = &m->st;
    double lambda = m->lambda / st->replicas, mu = 1 / st->mean_s;
    bool ratio = strcmp(metric, "rejected_ratio") == 0 || strcmp(metric, "refused_ratio") == 0;
    /* the rows of admitted requests only: latency_all_ counts the rejected too */
    double q = strncmp(metric, "latency_all_", 12) == 0 ? -1 : latency_quantile(metric);
    if (st->queue == 0) { /* no waiting room: Erlang B, any service time */
        *name = "erlang_b";
        if (ratio)
            return theory_erlang_b(st->workers, lambda * st->mean_s);
        /* an admitted request starts at once: its latency is its service time */
        if (q == 0)
            return st->mean_s * 1e3;
        if (q > 0 && st->exponential)
            return -log1p(-q) * st->mean_s * 1e3;
        if (q > 0 && st->constant)
            return st->mean_s * 1e3;
        return (double)NAN;
    }
    if (st->exponential) {
        if ((unsigned long long)st->workers + (unsigned long long)st->queue > MMCK_MAX)
            return (double)NAN;
        unsigned k = st->workers + (unsigned)st->queue;
        *name = "mmck";
        if (ratio)
            return theory_mmck_blocking(st->workers, k, lambda, mu);
        if (q == 0)
            return theory_mmck_response_mean(st->workers, k, lambda, mu) * 1e3;
        if (q > 0) /* the admitted's FIFO response time, a mixture over what it finds */
            return theory_mmck_response_quantile(st->workers, k, lambda, mu, q) * 1e3;
        return (double)NAN;
    }
    if (st->constant && st->workers == 1 && ratio && st->queue < THEORY_MD1K_MAX) {
        *name = "md1k";
        return theory_md1k_loss((unsigned)st->queue + 1, lambda, st->mean_s);
    }
    return (double)NAN;
}

/* Stations in series (an open Jackson network): the sum of each station's
 * M/M/c mean (M/M/c at lambda / n behind a random split); the percentiles
 * when every station is one exponential worker (independent Exp(mu_i -
 * lambda) sojourns, Burke and Reich). */
static double tandem_value(const struct theory_model *m, double q)
{
    if (q == 0) {
        double t = 0;
        for (size_t i = 0; i < m->nstations; i++) {
            const struct theory_station *st = &m->tandem[i];
            t += theory_random_split_response_mean(st->replicas, st->workers, m->lambda,
                                                   1 / st->mean_s);
        }
        return t;
    }
    double mu[THEORY_TANDEM_MAX];
    for (size_t i = 0; i < m->nstations; i++) {
        if (m->tandem[i].workers != 1 || m->tandem[i].replicas != 1)
            return (double)NAN;
        mu[i] = 1 / m->tandem[i].mean_s;
    }
    return theory_tandem_mm1_response_quantile(m->nstations, mu, m->lambda, q);
}

/* A [wars] store's row: STORE.p_consistent, p_within_k, write_ and
 * read_p50/p99/p999_ms. */
static double wars_value(const struct theory_wars *w, const char *what, const char **method)
{
    bool strict = w->r + w->w > w->n;
    if (strcmp(what, "p_consistent") == 0) {
        if (w->quorum_only) { /* the newest write is kept by W random replicas */
            *method = "pbs_kstale";
            return theory_pbs_kstale(w->n, w->r, w->w, 1);
        }
        for (size_t i = 0; i < 4 && !strict; i++)
            if (!w->exponential[i])
                return (double)NAN;
        *method = "wars_consistent";
        return theory_wars_p_consistent(w->n, w->r, w->w, w->mean_ms[0], w->mean_ms[1],
                                        w->mean_ms[2], w->mean_ms[3], w->read_after_ms);
    }
    if (strcmp(what, "p_within_k") == 0) {
        if (!w->quorum_only && !strict && w->writes == 1) /* within 1 is consistent */
            return wars_value(w, "p_consistent", method);
        if (!w->quorum_only && !strict)
            return (double)NAN;
        *method = "pbs_kstale";
        return theory_pbs_kstale(w->n, w->r, w->w, (double)w->writes);
    }
    static const struct {
        const char *name;
        double q;
    } lat[] = {{"write_p50_ms", 0.5}, {"write_p99_ms", 0.99}, {"write_p999_ms", 0.999},
               {"read_p50_ms", 0.5},  {"read_p99_ms", 0.99},  {"read_p999_ms", 0.999}};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        if (strcmp(what, lat[i].name) != 0)
            continue;
        size_t a = i < 3 ? 0 : 2; /* write and ack, or read and response */
        if (!w->exponential[a] || !w->exponential[a + 1])
            return (double)NAN;
        *method = "wars_latency";
        return theory_wars_latency_quantile(w->n, i < 3 ? w->w : w->r, w->mean_ms[a],
                                            w->mean_ms[a + 1], lat[i].q);
    }
    return (double)NAN;
}

double theory_apply_value(const struct theory_model *m, const char *metric, const char **method)
{
    *method = NULL;
    const char *dot = strrchr(metric, '.');
    for (size_t i = 0; dot && i < m->nwars; i++)
        if (strlen(m->wars[i].name) == (size_t)(dot - metric) &&
            strncmp(m->wars[i].name, metric, (size_t)(dot - metric)) == 0) {
            double v = wars_value(&m->wars[i], dot + 1, method);
            if (isnan(v))
                *method = NULL;
            return v;
        }
    if (dot && strcmp(dot, ".hit_ratio") == 0) { /* CACHE.hit_ratio */
        for (size_t i = 0; i < m->ncaches; i++)
            if (strlen(m->caches[i].name) == (size_t)(dot - metric) &&
                strncmp(m->caches[i].name, metric, (size_t)(dot - metric)) == 0) {
                *method = m->caches[i].method;
                return m->caches[i].hit_ratio;
            }
        return (double)NAN;
    }
    if (!m->applies)
        return (double)NAN;
    if (m->nstations == 1 && m->st.queue >= 0) {
        const char *name = NULL;
        double v = loss_value(m, metric, &name);
        if (!isfinite(v))
            return (double)NAN;
        *method = name;
        return v;
    }
    double q = latency_quantile(metric);
    if (q < 0)
        return (double)NAN;
    if (m->nstations > 1) {
        double v = tandem_value(m, q);
        if (!isfinite(v))
            return (double)NAN;
        *method = "jackson_tandem";
        return v * 1e3;
    }
    const struct theory_station *st = &m->st;
    double v = (double)NAN, mu = 1 / st->mean_s;
    if (m->feedback > 0) { /* Bernoulli feedback: each request visits 1/(1 - q) times */
        if (q != 0)
            return (double)NAN;
        double visits = 1 / (1 - m->feedback);
        *method = "jackson_feedback";
        return theory_random_split_response_mean(st->replicas, st->workers, m->lambda * visits,
                                                  mu) *
               visits * 1e3;
    }
    /* each replica (all alike) sees a Poisson stream of lambda / replicas,
     * and a request's response time is its replica's */
    double lambda = m->lambda / st->replicas;
    const char *name = NULL;
    if (st->choices > 1) { /* the supermarket model's mean-field limit: the mean only */
        if (q != 0)
            return (double)NAN;
        *method = "power_of_d";
        return theory_power_of_d_response_mean(st->choices, lambda / mu, mu) * 1e3;
    }
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
    if (strcmp(method, "erlang_b") == 0)
        return "queue = 0, any service time: rejected_ratio and refused_ratio (the blocking "
               "probability), latency_mean_ms (the mean service time: an admitted request never "
               "waits) and, with exponential or constant service, the percentiles";
    if (strcmp(method, "mmck") == 0)
        return "queue = K - c > 0 (K up to 10^6), exponential service: rejected_ratio and "
               "refused_ratio, latency_mean_ms and latency_p50/p90/p99/p999_ms of the admitted "
               "requests";
    if (strcmp(method, "md1k") == 0)
        return "queue = K - 1 > 0 (K up to 4096), one worker, constant service: rejected_ratio and "
               "refused_ratio";
    if (strcmp(method, "che_lru") == 0 || strcmp(method, "martina_fifo") == 0 ||
        strcmp(method, "martina_random") == 0)
        return "CACHE.hit_ratio of a cache (capacity in objects, no ttl, xfetch or coalesce) "
               "whose only requesters are open-loop clients (not a trace) without retries, "
               "timeouts or writes, "
               "all with the same Zipf or uniform keys (uniform: capacity / n exactly), its "
               "misses going to a [store] with an unbounded queue, no [fault]; an "
               "APPROXIMATION that assumes each fill lands before the key is asked again";
    if (strcmp(method, "power_of_d") == 0)
        return "100 or more replicas of one exponential worker each, unbounded queues, balance = "
               "power_of_two (d distinct replicas) or power_of_two_replace (d drawn with "
               "replacement, the model the formula is the limit of), exact counts (no refresh): "
               "latency_mean_ms, latency_all_mean_ms; an APPROXIMATION, the limit of many "
               "replicas, about 1/N (d = 2) to 1.5/N (d = 3) below the simulated mean. The share "
               "of replicas with at least k requests is not filled: sdsim measures it "
               "(inflight_ge<i>) only at a [balancer] component, a model no method covers";
    if (strcmp(method, "jackson_feedback") == 0)
        return "one service (or random replicas) with exponential service and error_rate = q "
               "whose clients all resend a failed request at once until it succeeds (attempts "
               "= 0, no retry policy): latency_mean_ms, latency_all_mean_ms (the M/M/c mean at "
               "lambda / (1 - q), times 1 / (1 - q) visits)";
    if (strcmp(method, "wars_consistent") == 0)
        return "STORE.p_consistent of a [wars] store with propagate = all: exponential delays "
               "(N up to 100), or any delays when R + W > N (then 1)";
    if (strcmp(method, "pbs_kstale") == 0)
        return "STORE.p_consistent (k = 1) and STORE.p_within_k (k = writes) of a [wars] store "
               "with propagate = quorum, any delays; p_within_k is 1 when R + W > N";
    if (strcmp(method, "wars_latency") == 0)
        return "STORE.write_p50/p99/p999_ms (exponential write and ack delays) and "
               "STORE.read_p50/p99/p999_ms (exponential read and response delays) of a [wars] "
               "store";
    if (strcmp(method, "jackson_tandem") == 0)
        return "services in series (async calls), exponential service: latency_mean_ms, "
               "latency_all_mean_ms; with one worker and replica each the percentiles too";
    return NULL;
}
