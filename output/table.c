/* table: the headline table `sdsim run` prints, one line per sweep point.
 * Its columns are a table (struct table_col) of summary metrics from the
 * dictionary (output/columns.c), each with a heading, a width, a scale
 * (100 for a percentage) and a precision; values are the ones summary.csv
 * has. Printing it is main's job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "output/writers.h"
#include "sim/xalloc.h"

struct table_col {
    const char *head;
    int width;          /* characters, right-aligned */
    const char *metric; /* a summary metric of columns.c */
    double scale;       /* shown value = value * scale */
    int digits;         /* significant digits ("%.*g") */
    bool with_ci;       /* "value +/- half-width" (the upper side) */
};

static const struct table_col table_cols[] = {
    {"throughput/s", 12, "throughput_rps", 1, 5, false},
    {"error %", 8, "error_ratio", 100, 3, false},
    {"reject %", 8, "rejected_ratio", 100, 3, false},
    {"timeout %", 9, "timeout_ratio", 100, 3, false},
    {"mean ms (95% CI)", 21, "latency_mean_ms", 1, 4, true},
    {"p50 ms", 10, "latency_p50_ms", 1, 4, false},
    {"p99 ms", 10, "latency_p99_ms", 1, 4, false},
};
#define NCOLS (sizeof table_cols / sizeof table_cols[0])

static void cell(FILE *f, const struct table_col *tc, const struct report *rp, size_t b, size_t e,
                 const struct hist *pool)
{
    struct ci ci;
    double v;
    wr_summarise(rp, b, e, columns_summary_metric(tc->metric), pool, &ci, &v);
    v *= tc->scale;
    if (!tc->with_ci) {
        fprintf(f, " %*.*g", tc->width, tc->digits, v);
        return;
    }
    char text[64];
    if (!isnan(ci.hi)) /* the upper side: the lower may be cut at 0 */
        snprintf(text, sizeof text, "%.*g +/- %.2g", tc->digits, v, ci.hi * tc->scale - v);
    else
        snprintf(text, sizeof text, "%.*g", tc->digits, v);
    fprintf(f, " %*s", tc->width, text);
}

/* The width of the point column: its longest label, at least 10. */
static int label_width(const struct report *rp)
{
    size_t w = 10;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b)) {
        char *l = wr_point_label(rp->sc, rp->runs[b].point);
        if (strlen(l) > w)
            w = strlen(l);
        free(l);
    }
    return (int)w;
}

static void footer(FILE *f, const struct report *rp, size_t nstopped, const char *best,
                   double best_offered)
{
    if (nstopped > 0)
        fprintf(f, "[k/n stopped]: k runs reached [sim] max_in_flight (or their clock stood "
                   "still) and stopped early; their "
                   "figures cover the time until the stop (runs.csv: stopped, stopped_at_s)\n");
    if (rp->slo_metric && best)
        fprintf(f, "highest offered load meeting the SLO (%s): %.5g requests/s, at %s\n",
                rp->slo_text, best_offered, best);
    else if (rp->slo_metric)
        fprintf(f, "no sweep point meets the SLO (%s)\n", rp->slo_text);
}

char *report_table(const struct report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    int w = label_width(rp);
    fprintf(f, "%-*s %5s", w, "point", "runs");
    for (size_t k = 0; k < NCOLS; k++)
        fprintf(f, " %*s", table_cols[k].width, table_cols[k].head);
    fprintf(f, "%s\n", rp->slo_metric ? "  SLO" : "");
    const struct summary_metric *offered = columns_summary_metric("offered_rps");
    double best_offered = -1;
    char *best = NULL;
    size_t nstopped = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct hist *pool = wr_pooled(rp, b, e);
        char *l = wr_point_label(rp->sc, rp->runs[b].point);
        fprintf(f, "%-*s %5zu", w, l, e - b);
        for (size_t k = 0; k < NCOLS; k++)
            cell(f, &table_cols[k], rp, b, e, pool);
        size_t ns = wr_stopped_runs(rp, b, e);
        if (rp->slo_metric) {
            int met = wr_slo_met(rp, b, e, pool);
            fprintf(f, "  %s", met ? "met" : ns ? "overload" : "missed");
            struct ci ci;
            double v;
            wr_summarise(rp, b, e, offered, pool, &ci, &v);
            if (met && v > best_offered) {
                best_offered = v;
                free(best);
                best = xstrdup(l);
            }
        }
        if (ns > 0)
            fprintf(f, "  [%zu/%zu stopped]", ns, e - b);
        nstopped += ns;
        fprintf(f, "\n");
        free(l);
        hist_free(pool);
    }
    footer(f, rp, nstopped, best, best_offered);
    free(best);
    fclose(f);
    return buf;
}
