/* attribution: the writers of [sim] attribution = on (see attribution.c):
 * attribution.csv, the stacked bar plot attribution.dat/.gp and one line per
 * client and sweep point for the terminal. */
#ifndef SDSIM_OUTPUT_ATTRIBUTION_H
#define SDSIM_OUTPUT_ATTRIBUTION_H

#include <stdbool.h>

#include "output/outfile.h"
#include "output/report.h"

/* Did some run record attribution? Then the files are written. */
bool attribution_any(const struct report *rp);
void csvout_attribution(struct outfile *o, const struct report *rp);
void attribution_plot_data(struct outfile *o, const struct report *rp);
void attribution_plot_script(struct outfile *o, const struct report *rp);
/* "attribution: api: requests at or above p99 spend 71% of their time in
 * db's queue (all requests: 40%), 4% in service at app\n" per client (and
 * sweep point); "" without attribution. Caller frees. */
char *attribution_lines(const struct report *rp);

#endif
