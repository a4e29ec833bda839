/* The fixture of the messaging unit tests (check_queue*.c, check_consumer_*.c,
 * check_prefetch.c, check_batch.c): one model built from a scenario text,
 * with a client that sends nothing, so a test publishes to `q` by hand and
 * drives the clock itself. Included by one test file each: its definitions
 * are that file's own (static). A file that needs more at build time
 * defines QF_OWN_BUILD and writes its own build() around qf_build(). */
#ifndef SDSIM_TESTS_QUEUE_FIXTURE_H
#define SDSIM_TESTS_QUEUE_FIXTURE_H

#include <stdbool.h>
#include <string.h>

#include "models/kind.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"

#define MS 1000000LL
#define S 1000000000LL
/* A client that sends nothing during a test (its first arrival is at 10^4 s):
 * the model needs one, the test publishes by hand. */
#define QUIET "[client c]\narrival = constant(rate=0.0001/s)\nto = q\n\n"

static struct sim sim;
static struct scenario *sc;
static struct sc_point *pt;
static struct tl_sink sink;

/* Builds the model of `text` (one replication, 1000 s) and a fresh sink. */
static inline void qf_build(const char *text)
{
    tl_model_build(&sim, &sc, &pt, text, 1, 1000 * S);
    tl_sink_init(&sink);
}

#ifndef QF_OWN_BUILD
static inline void build(const char *text)
{
    qf_build(text);
}
#endif

static inline void teardown(void)
{
    tl_model_free(&sim, &sc, &pt);
}

/* Publishes a message with key `key` to q now (replies go to the sink);
 * returns its request, for a test that makes its caller give up. */
static inline struct request *publish(uint64_t key)
{
    return tl_sink_publish(&sim, &sink, key, kind_lookup(&sim, "q"));
}

/* Component comp's figure `name` now. */
static inline double metric(const char *comp, const char *name)
{
    return tl_metric(&sim, kind_lookup(&sim, comp), name);
}

/* Does component comp report a figure `name`? */
static inline bool has_metric(const char *comp, const char *name)
{
    struct component *c = kind_lookup(&sim, comp);
    struct metric_out out[64];
    size_t n = c->kind->metrics(&sim, c, sim_now(&sim), out, 64);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].name, name) == 0)
            return true;
    return false;
}

/* A fault on consumer k of the group w (k < 0: the whole group). */
static inline void fault(int32_t k, enum fault_action a, double value, bool start)
{
    struct component *c = kind_lookup(&sim, "w");
    c->kind->fault(&sim, c, k, a, value, start);
}

/* A crash of the whole group w (start) or its recovery (!start). */
static inline void group_crash(bool start)
{
    fault(-1, FAULT_CRASH, 0, start);
}

/* Messages waiting at the broker q now (its first time-series figure:
 * waiting and parked, not delivered to any consumer). */
static inline double backlog_now(void)
{
    struct component *c = kind_lookup(&sim, "q");
    const char *names[4];
    double values[4];
    ck_assert_uint_ge(c->kind->ts_extra(&sim, c, names, values, 4), 1);
    return values[0];
}

#endif
