/* partfile: the runs of a shard (sdsim run --shard K/N) saved whole, so that
 * sdsim merge can put the shards of a scenario together and write exactly
 * the files one sdsim run would have written.
 *
 * part.sdsim is a text file of whitespace-separated tokens: a header (format
 * version, sdsim version, the scenario's hash and path, the base seed, the
 * --set options, the shard, the number of runs of the whole scenario), then
 * every field of each struct run_result it holds. Doubles are written in
 * hexadecimal ("%a", "%La"), so they read back bit for bit; strings are
 * written with %XX escapes for blanks, '%' and control bytes. A field added
 * to struct run_result must be added here too: the end-to-end test that
 * compares a merge with a single run fails until it is. */
#ifndef SDSIM_OUTPUT_PARTFILE_H
#define SDSIM_OUTPUT_PARTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "output/outfile.h"
#include "output/results.h"

#define PARTFILE_NAME "part.sdsim"
/* The most runs a part may say its scenario has: sdsim run holds at most
 * 10^6 runs in memory, so a larger count is a damaged file. */
#define PARTFILE_MAX_RUNS 1000000

/* Read by partfile_read, the strings are owned by the part (freed by
 * partfile_free); written, they are the caller's. */
struct part_header {
    const char *version;  /* SDSIM_VERSION of the writer */
    uint64_t hash;        /* FNV-1a 64 of the scenario text */
    const char *scenario; /* the scenario's path as given to run */
    uint64_t base_seed;
    const char **sets;    /* the --set options, as given */
    size_t nsets;
    const char *sets_text; /* the same, quoted for a shell (the manifest's) */
    size_t shard, nshards;
    size_t total;         /* runs of the whole scenario */
};

struct part {
    struct part_header h;
    struct run_result *runs; /* in increasing run order */
    size_t nruns;
    char **kinds;            /* the kind names the runs point to */
    size_t nkinds;
};

/* Writes h and runs[0..n) to o. */
void partfile_write(struct outfile *o, const struct part_header *h, const struct run_result *runs,
                    size_t n);

/* Reads path into p. Returns 0, or -1 with a reason in why (e.g. "token
 * 12: expected a number"). The components' kind names are owned by p (the
 * runs' own strings by each run, freed by run_result_free). */
int partfile_read(const char *path, struct part *p, char *why, size_t whysize);
void partfile_free(struct part *p);

#endif
