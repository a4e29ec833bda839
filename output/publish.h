/* publish: puts a results folder in place so that a reader sees the complete
 * old set of files or the complete new set, never a mix, and so that sdsim
 * never removes a file it did not write.
 *
 * A run writes every file (and renders the plots) in a stage folder beside
 * OUTDIR, PARENT/.NAME.sdsim-stage.PID, on the same filesystem. The stage
 * then replaces OUTDIR in one step (Linux renameat2 RENAME_EXCHANGE; where
 * that is missing, OUTDIR is renamed aside and the stage renamed in, so a
 * reader may find no folder for an instant, but never a mix), and the old
 * folder, now at the stage name, loses the files its manifest lists and is
 * removed. manifest.txt ends with "file: NAME" lines naming every file of
 * the folder; a folder without them (written by an older sdsim) is known by
 * the names sdsim has always written. Before anything is touched OUTDIR must
 * be absent, empty, or hold only such files.
 *
 * A lock file PARENT/.NAME.sdsim-lock, held with flock from before the
 * simulation until the folder is in place, keeps a second run out. SIGINT,
 * SIGTERM and SIGHUP are blocked and taken by a thread of this module, which
 * waits for the step under way, kills gnuplot, removes the stage and then
 * dies of the signal (exit status 128+N).
 *
 * Nothing here prints: failures come back as a code and a message. */
#ifndef SDSIM_OUTPUT_PUBLISH_H
#define SDSIM_OUTPUT_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>

#include "output/report.h"

enum publish_code {
    PUBLISH_OK = 0,
    PUBLISH_REFUSED,   /* OUTDIR is not sdsim's to replace: nothing changed */
    PUBLISH_BUSY,      /* another sdsim run holds the lock */
    PUBLISH_IO,        /* a file operation failed (message names the cause) */
    PUBLISH_NO_INPUT,  /* plot: no gnuplot scripts in the folder */
};

/* The outcome of a call: code and one message for the user (without the
 * "sdsim: " prefix and the newline), plus warnings that do not fail it. */
struct publish_status {
    enum publish_code code;
    char msg[1024];
    char warn[1024];    /* "" or one or more lines, each ending in '\n' */
    size_t plots_failed; /* gnuplot scripts that failed */
};

struct publish_opts {
    const char *outdir;   /* as the user named it */
    const char *home;     /* $HOME, or NULL */
    long *fail_countdown; /* test hook, see struct outdir; may be NULL */
    bool plots;           /* gnuplot is installed: render the .gp scripts */
    bool no_exchange;     /* test hook: act as if RENAME_EXCHANGE were missing */
    bool redraw;          /* for publish_redraw: OUTDIR exists, no checks of it */
};

struct publish;

/* Unless o->redraw, checks OUTDIR (refusing '/', $HOME, the current folder
 * and its ancestors, a file, a mount point, and a folder holding files sdsim
 * did not write) and creates its parent. Then takes the lock, removes stale
 * stage folders of killed runs and starts the signal thread. Call it before
 * any other thread starts. Returns the handle (free it with publish_free) or
 * NULL with st filled; st->warn may hold warnings either way. */
struct publish *publish_begin(const struct publish_opts *o, struct publish_status *st);

/* Writes the report into a new stage, renders its plots there, adds the file
 * list to the manifest and swaps the stage in for OUTDIR. Returns 0 (warnings
 * in st->warn) or -1 with st filled; then OUTDIR is as it was. */
int publish_report(struct publish *p, const struct report *rp, struct publish_status *st);

/* sdsim plot: redraws the PNGs of OUTDIR from its .gp scripts in a stage
 * copy and moves each whole PNG into OUTDIR (the manifest's file list first
 * gains their names). Returns 0 or -1 with st filled. */
int publish_redraw(struct publish *p, struct publish_status *st);

/* Releases the lock, stops the signal thread and unblocks the signals (one
 * that arrived meanwhile then ends the program). p may be NULL. */
void publish_free(struct publish *p);

#endif
