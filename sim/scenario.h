/* scenario: reading a scenario file, --set overrides and sweep expansion.
 *
 * A scenario is INI text: `[kind name]` (or `[sim]`) section headers and
 * `key = value` lines; '#' or ';' start a comment at the start of a line or
 * after a blank. Values may hold sweeps: `${name = a, b, c}`,
 * `${name = 1..10 step 2}`, or `${name}` to reuse a sweep defined elsewhere.
 * The sweeps span a cross product of points (the first sweep defined is the
 * outermost loop); scenario_point() makes the concrete sections of one point
 * by substituting each sweep's value for that point. This module knows
 * nothing of component kinds: models/ checks keys against its tables.
 * The lines of [expect] and [predict] sections are kept apart, unparsed
 * (struct sc_check). 
 * All strings are owned by the scenario and live until scenario_free. */
#ifndef SDSIM_SIM_SCENARIO_H
#define SDSIM_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"

struct sc_entry {
    char *key;
    char *value;
    struct loc key_loc;
    struct loc val_loc;
};

struct sc_section {
    char *kind;  /* "sim", "client", "service", ... */
    char *name;  /* "sim" for [sim] */
    struct loc loc;
    struct sc_entry *entries;
    size_t nentries;
};

struct sc_sweep {
    char *name;
    char **values;
    size_t nvalues;
    struct loc loc;
    size_t cap;    /* allocated length of values (it grows geometrically) */
};

/* A line of an [expect] or [predict] section, kept as written (comment and
 * surrounding blanks removed): output/expect.c reads it, once the sweeps
 * are known. These sections hold assertions and guesses about the
 * results, not `key = value` settings, so they are not sections here. */
struct sc_check {
    char *text;
    struct loc loc;  /* of the first character of text */
    bool predict;    /* from [predict]; else [expect] */
};

struct scenario {
    char *file;        /* path as given */
    char *text;        /* whole file */
    uint64_t hash;     /* FNV-1a 64 of text */
    struct sc_section *sections;
    size_t nsections;
    struct sc_sweep *sweeps;
    size_t nsweeps;
    struct sc_check *checks; /* the [expect] and [predict] lines, in file order */
    size_t nchecks;
};

/* One sweep point: concrete sections (no ${...} left) and the value of each
 * sweep at this point (values[i] belongs to sweeps[i]). */
struct sc_point {
    size_t index;
    struct sc_section *sections;
    size_t nsections;
    const char **values; /* borrowed from the scenario */
};

/* Parses text (the content of file). Returns NULL with diagnostics on error. */
struct scenario *scenario_parse(const char *file, const char *text, struct diag *d);
/* Reads and parses a file ("-": standard input); *io_error is set (and NULL
 * returned, no diagnostic) when the file cannot be read, so the caller can
 * exit with EX_NOINPUT. */
struct scenario *scenario_load(const char *path, struct diag *d, int *io_error);
/* The same, but the scenario is called name (its messages and the paths it
 * names are relative to name, not path): sdsim merge reads a results
 * folder's copy, scenario.ini, as the file the run was given. */
struct scenario *scenario_load_named(const char *path, const char *name, struct diag *d,
                                     int *io_error);
void scenario_free(struct scenario *sc);

/* Applies `name.key=value` (as given to --set). A sweep in value is allowed;
 * an empty value removes the key, so its default applies. Returns 0 or -1
 * with a diagnostic naming "<command line>". */
int scenario_set(struct scenario *sc, const char *assignment, struct diag *d);

/* Finds sweeps in all values and checks them. Call once after the --set
 * overrides. Returns 0 or -1. */
int scenario_find_sweeps(struct scenario *sc, struct diag *d);

/* True when the file writes a sweep `${name = ...}` that is not among the
 * scenario's sweeps: a --set replaced (or removed) the key holding it. */
bool scenario_sweep_replaced(const struct scenario *sc, const char *name);

size_t scenario_npoints(const struct scenario *sc); /* product of sweep sizes, >= 1 */
struct sc_point *scenario_point(const struct scenario *sc, size_t index);
void scenario_point_free(struct sc_point *p);

/* The value of sweep i at point `point`, without building the point. */
const char *scenario_sweep_value(const struct scenario *sc, size_t point, size_t i);
/* 1 when every value of sweep i is a duration ("100ms", "1s", and "0" once
 * another value has a unit): the CSV files then carry its value in
 * milliseconds in a column NAME_ms beside NAME, which sorts and plots as a
 * number. */
bool scenario_sweep_is_duration(const struct scenario *sc, size_t i);
/* The value of such a sweep at point, in milliseconds. */
double scenario_sweep_ms(const struct scenario *sc, size_t point, size_t i);

/* Lookup helpers over a point's sections. */
const struct sc_section *sc_find_section(const struct sc_section *secs, size_t n,
                                         const char *name);
const struct sc_entry *sc_find_entry(const struct sc_section *s, const char *key);

#endif
