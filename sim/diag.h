/* diag: diagnostics for the user. Parsing and model building report every
 * mistake here as FILE:LINE:COL messages and go on, so `sdsim validate` shows
 * them all at once. Only sim/main.c prints them. */
#ifndef SDSIM_SIM_DIAG_H
#define SDSIM_SIM_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A place in a scenario file. file is borrowed (it lives as long as the
 * scenario); line and col count from 1; line 0 means "no particular line". */
struct loc {
    const char *file;
    int line;
    int col;
};

struct diag;

struct diag *diag_new(void);
void diag_free(struct diag *d); /* d may be NULL */

/* Records an error at loc and returns -1, so the error path is one line:
 * `return diag_error(d, loc, "unknown key '%s'", k);`. d may be NULL (the
 * message is then dropped; tests that only want the return code use it). */
int diag_error(struct diag *d, struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like diag_error, for an input file named in the scenario that cannot be
 * opened: sdsim then exits 66 (cannot open input) rather than 65, unless
 * there are other mistakes too. */
int diag_noinput(struct diag *d, struct loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when there are errors and every one came from diag_noinput. */
bool diag_only_noinput(const struct diag *d);

/* Registers the text of a source file so that printed errors can show the
 * offending line with a caret. text is copied. */
void diag_add_source(struct diag *d, const char *file, const char *text);

size_t diag_count(const struct diag *d); /* errors recorded so far */

/* The i-th message, formatted as "file:line:col: error: message" without a
 * trailing newline. Borrowed; valid until the next diag_error or diag_free. */
const char *diag_message(const struct diag *d, size_t i);

/* Writes every message, each followed by the source line and a caret when
 * the source is known, to f. */
void diag_print(const struct diag *d, FILE *f);

/* The path of a file named in a scenario at loc: a relative path is taken
 * from the directory of the scenario file (loc.file). Caller frees. */
char *diag_path_near(const char *file, struct loc loc);

/* Levenshtein-closest of names[0..n) to word, or NULL if none is close
 * enough to be a useful suggestion. */
const char *diag_closest(const char *word, const char *const *names, size_t n);

#endif
