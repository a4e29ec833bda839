/* lessons: `sdsim list learn` and `sdsim list drills`, the scenarios of
 * scenarios/learn/ (the learning path) and scenarios/drills/ (the interview
 * drills), each with the first paragraph of its leading comment: the step's
 * question, the drill's design task. They are read from the files, so the
 * list cannot drift from the steps. libc only; on top of the layers like
 * sim/main.c, which calls it. */
#ifndef SDSIM_SIM_LESSONS_H
#define SDSIM_SIM_LESSONS_H

#include <stddef.h>
#include <stdio.h>

/* The folder scenarios/TOPIC: beside the running binary (a build in the
 * source tree, ./sdsim and ./scenarios/), under its ../share/sdsim/ (make
 * install: bin/sdsim and share/sdsim/scenarios/), else in the current
 * directory. NULL when none holds a scenario. Caller frees. */
char *lessons_dir(const char *topic);

/* The one-line summary of a scenario's text: the first paragraph of its
 * leading comment (up to a line that is "#" alone or not a comment), each
 * line's "#" and blanks removed, joined by spaces, without a leading
 * "Step N of M: " or "Drill: " label. NULL when the text does not start
 * with a comment. Caller frees. */
char *lessons_summary(const char *text);

/* Writes one entry per *.ini file of dir, in name order: the name without
 * .ini, then its summary wrapped to width columns under a fixed indent.
 * Returns the number of entries. */
size_t lessons_print(const char *dir, int width, FILE *out);

#endif
