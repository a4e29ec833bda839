/* expect: self-checking scenarios. The lines of a scenario's [expect]
 * section assert on its results (`latency_p99_ms < 200ms`,
 * `db.lost_writes == 0 when ack = sync`); those of [predict] are a
 * learner's guesses (`latency_mean_ms = 2600ms`). Each is read against the
 * metric dictionary (output/columns.c) and the scenario's components and
 * sweeps, so a typo is a file:line:col error at validate time; after the
 * runs each is judged at every sweep point it names, on the 95% interval
 * summary.csv gives the metric there, and the rows go to expect.csv.
 *
 * A metric is a summary.csv metric (`latency_p99_ms`, `lost_writes`,
 * `cache.hit_ratio`: the fixed ones and those the kinds report) or a
 * numeric components.csv column of a component (`db.utilisation`), whose
 * interval is then taken over the replications the same way.
 *
 * `bottleneck = NAME` in [predict] names the component a learner thinks
 * limits the design; after the run it is compared with the simulated
 * bottleneck of each point: the component with workers of highest measured
 * utilisation (components.csv, mean over the replications), shown beside
 * the napkin math's (highest utilisation_expected). */
#ifndef SDSIM_OUTPUT_EXPECT_H
#define SDSIM_OUTPUT_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "output/columns.h"
#include "sim/diag.h"
#include "sim/scenario.h"

struct report;

enum expect_op { EXPECT_LT, EXPECT_LE, EXPECT_GT, EXPECT_GE, EXPECT_EQ, EXPECT_NE };

enum expect_verdict { EXPECT_PASS, EXPECT_FAIL, EXPECT_INCONCLUSIVE };

#define EXPECT_MAX_WHEN 8
#define EXPECT_NAME_MAX 128

/* One [expect] or [predict] line, read. */
struct expect_item {
    const struct sc_check *line;   /* the scenario's line (text, place, section) */
    char *text;                    /* line->text with each run of blanks as one (owned) */
    char metric[EXPECT_NAME_MAX];  /* as written: "latency_p99_ms", "db.utilisation" */
    const char *unit;              /* the metric's unit, from the dictionary */
    /* A components.csv column (col) of component comp, or NULL: a
     * summary.csv metric. */
    const struct comp_column *col;
    char comp[EXPECT_NAME_MAX];    /* a bottleneck guess: the component guessed */
    bool bottleneck;               /* `bottleneck = NAME` in [predict] */
    enum expect_op op;             /* a prediction: EXPECT_EQ */
    double bound;                  /* in the metric's unit */
    size_t nwhen;                  /* `when VAR = VALUE and ...`: the points it holds at */
    size_t when_sweep[EXPECT_MAX_WHEN];
    size_t when_value[EXPECT_MAX_WHEN]; /* index into the sweep's values */
    /* A sweep the `when` names that the file defines but a --set replaced:
     * the line applies to no point (empty: none). */
    char replaced[EXPECT_NAME_MAX];
};

struct expect_set {
    struct expect_item *items;
    size_t n;
    size_t nexpect, npredict;
};

/* Reads sc->checks (after scenario_find_sweeps). Returns the set (empty when
 * there are none), or NULL with a diagnostic per bad line. */
struct expect_set *expect_read(const struct scenario *sc, struct diag *d);
void expect_set_free(struct expect_set *es);

/* Reads one line into it (for the tests); 0 or -1 with a diagnostic (then
 * it holds nothing to free). */
int expect_read_line(const struct scenario *sc, const struct sc_check *line,
                     struct expect_item *it, struct diag *d);
void expect_item_clear(struct expect_item *it);

/* The verdict of `X op bound` for an X known to lie in [lo, hi]: pass when
 * every value of the interval satisfies it, fail when none does,
 * inconclusive otherwise. lo == hi: a single value. */
enum expect_verdict expect_judge(enum expect_op op, double bound, double lo, double hi);

/* One line judged (or one guess compared) at one sweep point. */
struct expect_row {
    size_t item;            /* in the set */
    size_t point;
    double value, lo, hi;   /* lo, hi: NAN when there is no interval */
    size_t n;               /* replications with a value */
    bool no_interval;       /* judged on the value alone (one replication, or none given) */
    enum expect_verdict verdict; /* expectations; a value missing: inconclusive */
    double error_pct;       /* predictions: (guess - value) / |value| in %, NAN when value is 0 */
    int inside;             /* predictions: guess in [lo, hi] 1, outside 0, no interval -1;
                               a bottleneck guess: 1 it is the simulated one, 0 not */
    /* A bottleneck guess: the simulated bottleneck (value, lo, hi: its
     * utilisation; "" when no component has workers), the guessed
     * component's utilisation (NAN: it has no workers), the runner-up and
     * the napkin math's bottleneck ("" when it is not known before a run). */
    char sim_comp[EXPECT_NAME_MAX];
    double guess_util;
    char next_comp[EXPECT_NAME_MAX];
    double next_util;
    char napkin_comp[EXPECT_NAME_MAX];
};

struct expect_outcome {
    const struct expect_set *set;
    struct expect_row *rows; /* by point, then by line */
    size_t nrows;
    size_t passed, failed, inconclusive; /* expectation rows */
};

/* Judges every line at every point of rp (runs in run order) it applies
 * to; caller frees with expect_outcome_free. */
struct expect_outcome *expect_evaluate(const struct expect_set *es, const struct report *rp);
void expect_outcome_free(struct expect_outcome *o);

/* The text of row i for the terminal, e.g. "expect: PASS latency_mean_ms >
 * 2100ms (all runs): 2624 ms, 95% CI 2161 .. 3087"; caller frees. */
char *expect_row_text(const struct expect_outcome *o, const struct scenario *sc, size_t i);

/* expect.csv (rp->expect must be set). */
struct outfile;
void csvout_expect(struct outfile *out, const struct report *rp);

const char *expect_verdict_name(enum expect_verdict v);

/* s, a value in unit (`40`, or `40ms` for a ms metric, `80%` for a ratio,
 * `2000/s` for a rate): 0, or -1 with *why. As an [expect] line's value. */
int expect_parse_value(const char *s, const char *unit, double *out, const char **why);

#endif
