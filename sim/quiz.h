/* quiz: `sdsim run FILE --quiz`. Before the runs, one question per
 * [predict] line and sweep point it applies to ("latency_p99_ms at
 * cache=1000 workers=12?"), each answered by a line of standard input: a
 * number in the metric's unit (or with a unit it converts from: 40ms, 80%,
 * 2000/s), a component's name for `bottleneck`, or an empty line to skip.
 * A bad answer is said so and asked again; the end of the input skips every
 * question left, so a closed or piped standard input never hangs. After the
 * runs, a table: each answer beside the drill's own estimate (the line's
 * value), the simulated value with its 95% interval, how far off the answer
 * is (the ratio, and in %) and a verdict. On top of the layers, like
 * sim/main.c (it reads output/expect.h). */
#ifndef SDSIM_SIM_QUIZ_H
#define SDSIM_SIM_QUIZ_H

#include <stdio.h>

struct expect_set;
struct expect_outcome;
struct scenario;

struct quiz;

/* Asks on out, reads from in. Returns the answers (never NULL; a set
 * without predictions asks nothing and says so). */
struct quiz *quiz_ask(const struct expect_set *es, const struct scenario *sc, FILE *in, FILE *out);

/* The table of answers against the simulated values (eo NULL: no values). */
void quiz_report(const struct quiz *q, const struct expect_outcome *eo, FILE *out);

void quiz_free(struct quiz *q);

#endif
