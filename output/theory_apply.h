/* theory_apply: the `theory` and `theory_method` columns of summary.csv.
 * For one sweep point it builds the model (models/model.h), asks
 * models/theorycheck.h whether it is one station (or a tandem) fed by
 * Poisson clients,
 * and then gives each summary metric a formula's value where one method of
 * output/theory.c holds exactly, with that method's name (as `sdsim list
 * theory` lists it); otherwise nothing: never an approximation, never a
 * value outside the method's conditions. Steady-state values: the
 * simulation agrees within its intervals once the warm-up has passed.
 *
 *   exponential service, c workers   erlang_c: latency_mean_ms and the
 *                                    percentiles (M/M/c response time, FIFO);
 *                                    random_split with several replicas
 *                                    picked at random (M/M/c at lambda/n)
 *   any service, one worker          pk_mg1: latency_mean_ms (Pollaczek-
 *                                    Khinchine, from the mean and SCV)
 *   constant service, one worker     pk_mg1 for the mean, md1 for the
 *                                    percentiles (exact M/D/1 wait)
 * The same values for the latency_all_ rows: in this model every request
 * ends in success. A bounded queue (a loss system, any load):
 *   queue = 0, any service           erlang_b: rejected_ratio and
 *                                    refused_ratio (blocking), latency_mean_ms
 *                                    (the service time: no waiting)
 *   queue > 0, exponential service   mmck: the blocking, the admitted's mean
 *   queue > 0, constant, one worker  md1k: the blocking
 * (latency_all_ rows stay empty: they count the rejected requests too).
 * Stations in series, exponential   jackson_tandem: the sum of the M/M/c
 *                                    means; percentiles with c = 1 each */
#ifndef SDSIM_OUTPUT_THEORY_APPLY_H
#define SDSIM_OUTPUT_THEORY_APPLY_H

#include <stddef.h>

#include "models/theorycheck.h"
#include "sim/scenario.h"

/* Builds sweep point `point` of sc and checks it into *out (out->applies
 * false, with out->why, when the model does not qualify or cannot be
 * built). */
void theory_apply_point(const struct scenario *sc, size_t point, struct theory_model *out);

/* The checked models of a scenario's sweep points, each built and checked
 * once, when first asked for: the writers of one results folder (summary.csv,
 * the table, the plot data) share it, so a large Che solve runs once per
 * point instead of once per writer. Not thread-safe (the writers run one
 * after the other). */
struct theory_memo;
struct theory_memo *theory_memo_new(const struct scenario *sc);
void theory_memo_free(struct theory_memo *memo);

/* Sweep point `point`'s checked model: memo's (checked on first use), or,
 * when memo is NULL, checked now into *scratch. The result lives as long as
 * memo (or scratch). */
const struct theory_model *theory_apply_memo(struct theory_memo *memo, const struct scenario *sc,
                                             size_t point, struct theory_model *scratch);

/* The theory of summary metric `metric` for the checked model m, in the
 * metric's unit, with *method the method's name; NAN and NULL when no
 * method gives this metric for m. */
double theory_apply_value(const struct theory_model *m, const char *metric, const char **method);

/* For `sdsim list theory`: the summary.csv metrics a method fills, or NULL
 * when it fills none. */
const char *theory_apply_metrics(const char *method);

/* For `sdsim list theory`: when summary.csv's theory column has a value. */
extern const char theory_apply_conditions[];

#endif
