/* testlib: what several Check suites need to run a model from scenario
 * text: build it (asserting that it is valid), run it to a time, read a
 * kind's metric, or run every run of a scenario through the runner. */
#ifndef SDSIM_TESTS_TESTLIB_H
#define SDSIM_TESTS_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "output/results.h"
#include "sim/scenario.h"
#include "sim/sim.h"

/* Parses text and builds its first sweep point into *sim (seed, end_ns);
 * *sc and *pt receive the scenario and point, which the test owns until
 * tl_model_free. Fails the test with the first diagnostic if the scenario
 * is not valid. The test then drives the events itself. */
void tl_model_build(struct sim *sim, struct scenario **sc, struct sc_point **pt,
                    const char *text, uint64_t seed, int64_t end_ns);
/* Frees what tl_model_build made; safe when *pt is NULL (never built). */
void tl_model_free(struct sim *sim, struct scenario **sc, struct sc_point **pt);

/* Runs every event up to t_ns (inclusive); the clock is then t_ns. */
void tl_run_until(struct sim *sim, int64_t t_ns);

/* The value of metric `name` of component c (c->kind->metrics). */
double tl_metric(const struct sim *sim, const struct component *c, const char *name);

/* A component named "sink" that sends a test's hand-made requests to a
 * model and records the replies it gets back (and frees them). */
struct tl_sink {
    struct component c;   /* first: the sink's kind finds the record from it */
    int replies, oks, errors;
    int last_status;
    uint64_t last_version;
    int64_t last_reply_ns, read_reply_ns; /* of the last reply, of the last read's; -1: none */
};
/* Resets *s to no replies yet (call after tl_model_build). */
void tl_sink_init(struct tl_sink *s);
/* Sends r (from sim_req_new, its fields set by the test) from the sink to
 * `to`; the sink gets the reply. */
void tl_sink_send(struct sim *sim, struct tl_sink *s, struct request *r, struct component *to);
/* Sends a new write of `key` (its work seeded from the key) from the sink
 * to `to`: one message published by hand in the queue tests. */
struct request *tl_sink_publish(struct sim *sim, struct tl_sink *s, uint64_t key,
                                struct component *to);

/* Validates text and runs all its runs (jobs threads); *n gets their number.
 * Free with tl_runs_free. */
struct run_result *tl_runs(const char *text, int jobs, size_t *n);
void tl_runs_free(struct run_result *r, size_t n);
/* Runs text, which must have exactly one run; free with tl_runs_free(r, 1). */
struct run_result *tl_run_one(const char *text);
/* The value of r's time-series column `name` in its row for time t_s (the
 * test fails when there is no such column or row). */
double tl_ts_at(const struct run_result *r, const char *name, double t_s);

#endif
