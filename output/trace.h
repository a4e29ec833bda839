/* trace: trace.json, the spans of the requests [sim] trace samples
 * (sim/trace.h), in the Chrome trace event format that Perfetto
 * (https://ui.perfetto.dev) and chrome://tracing open. See trace.c. */
#ifndef SDSIM_OUTPUT_TRACE_H
#define SDSIM_OUTPUT_TRACE_H

#include <stdbool.h>

#include "output/outfile.h"
#include "output/report.h"

/* Did some run record a trace? Then trace.json is written. */
bool trace_any(const struct report *rp);
void trace_write_json(struct outfile *o, const struct report *rp);
/* "trace: ..." lines for the terminal and manifest.txt (requests traced,
 * runs that hit trace_max_events); "" without a trace. Caller frees. */
char *trace_lines(const struct report *rp);

#endif
