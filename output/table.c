/* table: the headline table `sdsim run` prints, one line per sweep point,
 * and the warnings about runs that ended with a growing backlog. Its
 * columns are a table (struct table_col) of summary metrics from the
 * dictionary (output/columns.c); values are the ones summary.csv has. Every
 * sweep variable's value has a column of its own. Numbers have 3-4
 * significant digits without exponents (report_fmt_num), a latency column
 * is in ms, or in s when some value of it reaches 10000 ms, and "-" marks
 * a value that does not apply. Printing it is main's job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "output/writers.h"
#include "sim/xalloc.h"

enum cell_kind { CELL_RATE, CELL_PERCENT, CELL_LATENCY };

struct table_col {
    const char *head;   /* a latency column's unit and "(95% CI)" are added */
    const char *metric; /* a summary metric of columns.c */
    enum cell_kind kind;
    bool with_ci;       /* "value ± half-width" (the upper side) */
};

static const struct table_col table_cols[] = {
    {"offered/s", "offered_rps", CELL_RATE, false},
    {"throughput/s", "throughput_rps", CELL_RATE, false},
    {"goodput/s", "goodput_rps", CELL_RATE, false},
    {"failed %", "failed_ratio", CELL_PERCENT, false},
    {"reject %", "refused_ratio", CELL_PERCENT, false},
    {"timeout %", "timeout_ratio", CELL_PERCENT, false},
    {"unfinished %", "unfinished_ratio", CELL_PERCENT, false},
    {"success mean", "latency_mean_ms", CELL_LATENCY, true},
    {"success p99", "latency_p99_ms", CELL_LATENCY, false},
    {"all p99", "latency_all_p99_ms", CELL_LATENCY, false},
};
#define NCOLS (sizeof table_cols / sizeof table_cols[0])
#define SIG 4        /* significant digits of a value */
#define SIG_PCT 3    /* of a percentage */
#define SIG_CI 2     /* of an interval's half-width */
#define MS_TO_S 1e4  /* a latency column reaching this many ms is shown in s */

static const char legend[] =
    "failed: rejected, rate limited, timed out or error; reject: incl. rate limited; "
    "unfinished: in flight at the end; goodput: successes without fallbacks; success: "
    "successful requests only; all: every finished request\n";

void report_fmt_num(char *buf, size_t size, double v, int sig)
{
    if (isnan(v)) {
        snprintf(buf, size, "-");
        return;
    }
    double a = fabs(v);
    if (a == 0 || isinf(v) || a >= 1e15 || a < 1e-9) { /* 0, inf, or far from ordinary */
        snprintf(buf, size, "%.*g", sig, v == 0 ? 0.0 : v);
        return;
    }
    int e = (int)floor(log10(a));
    double scale = pow(10, sig - 1 - e);
    if (round(a * scale) / scale >= pow(10, e + 1)) /* 9.9996 rounds to 10.00 */
        e++;
    int d = sig - 1 - e;
    if (d <= 0) {
        double p = pow(10, -d);
        snprintf(buf, size, "%.0f", round(v / p) * p);
        return;
    }
    snprintf(buf, size, "%.*f", d, v);
    char *dot = strchr(buf, '.');
    if (!dot)
        return;
    char *end = buf + strlen(buf);
    while (end > dot + 1 && end[-1] == '0')
        *--end = '\0';
    if (end == dot + 1)
        *dot = '\0';
}

/* Characters on the screen (UTF-8: "±" is two bytes, one character). */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *f, const char *s, int width, bool left)
{
    int n = width - text_width(s);
    if (!left)
        fprintf(f, "%*s", n > 0 ? n : 0, "");
    fputs(s, f);
    if (left)
        fprintf(f, "%*s", n > 0 ? n : 0, "");
}

/* One point's value and interval of every column. */
struct point_vals {
    double v[NCOLS], hi[NCOLS];
    size_t b, e;
};

static void cell_text(char *buf, size_t size, const struct table_col *tc, double v, double hi,
                      double scale)
{
    char num[40], half[40];
    report_fmt_num(num, sizeof num, v * scale, tc->kind == CELL_PERCENT ? SIG_PCT : SIG);
    if (!tc->with_ci || isnan(v) || isnan(hi)) {
        snprintf(buf, size, "%s", num);
        return;
    }
    report_fmt_num(half, sizeof half, (hi - v) * scale, SIG_CI); /* the upper side: the lower may be cut at 0 */
    snprintf(buf, size, "%s ± %s", num, half);
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
    const struct scenario *sc = rp->sc;
    size_t np = 0;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b))
        np++;
    struct point_vals *pv = xcalloc(np + 1, sizeof *pv);
    double scale[NCOLS];
    for (size_t k = 0; k < NCOLS; k++)
        scale[k] = table_cols[k].kind == CELL_PERCENT ? 100 : 1;
    size_t p = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e, p++) {
        e = wr_point_end(rp, b);
        pv[p].b = b;
        pv[p].e = e;
        struct hist *pool = wr_pooled(rp, b, e);
        for (size_t k = 0; k < NCOLS; k++) {
            struct ci ci;
            wr_summarise(rp, b, e, columns_summary_metric(table_cols[k].metric), pool, &ci,
                         &pv[p].v[k]);
            pv[p].hi[k] = ci.hi;
            if (table_cols[k].kind == CELL_LATENCY &&
                (pv[p].v[k] >= MS_TO_S || (table_cols[k].with_ci && ci.hi >= MS_TO_S)))
                scale[k] = 1e-3;
        }
        hist_free(pool);
    }
    /* the headings and the widths: the widest of heading and cells */
    char head[NCOLS][48];
    int width[NCOLS];
    for (size_t k = 0; k < NCOLS; k++) {
        const struct table_col *tc = &table_cols[k];
        snprintf(head[k], sizeof head[k], "%s%s%s", tc->head,
                 tc->kind != CELL_LATENCY ? "" : scale[k] < 1 ? " s" : " ms",
                 tc->with_ci ? " (95% CI)" : "");
        width[k] = text_width(head[k]);
    }
    size_t nsw = sc->nsweeps, nlab = nsw ? nsw : 1;
    int *swidth = xcalloc(nlab, sizeof *swidth);
    for (size_t i = 0; i < nlab; i++)
        swidth[i] = nsw ? text_width(sc->sweeps[i].name) : (int)strlen("point");
    char cell[128];
    for (p = 0; p < np; p++) {
        size_t point = rp->runs[pv[p].b].point;
        for (size_t i = 0; i < nsw; i++) {
            int w = text_width(scenario_sweep_value(sc, point, i));
            if (w > swidth[i])
                swidth[i] = w;
        }
        for (size_t k = 0; k < NCOLS; k++) {
            cell_text(cell, sizeof cell, &table_cols[k], pv[p].v[k], pv[p].hi[k], scale[k]);
            if (text_width(cell) > width[k])
                width[k] = text_width(cell);
        }
    }
    if (!nsw && swidth[0] < (int)strlen("all runs"))
        swidth[0] = (int)strlen("all runs");
    for (size_t i = 0; i < nlab; i++) {
        pad(f, nsw ? sc->sweeps[i].name : "point", swidth[i], true);
        fputc(' ', f);
    }
    fprintf(f, "%4s", "runs");
    for (size_t k = 0; k < NCOLS; k++) {
        fputs("  ", f);
        pad(f, head[k], width[k], false);
    }
    fprintf(f, "%s\n", rp->slo_metric ? "  SLO" : "");
    const struct summary_metric *offered = columns_summary_metric("offered_rps");
    double best_offered = -1;
    char *best = NULL;
    size_t nstopped = 0;
    for (p = 0; p < np; p++) {
        size_t b = pv[p].b, e = pv[p].e, point = rp->runs[b].point;
        for (size_t i = 0; i < nlab; i++) {
            pad(f, nsw ? scenario_sweep_value(sc, point, i) : "all runs", swidth[i], true);
            fputc(' ', f);
        }
        fprintf(f, "%4zu", e - b);
        for (size_t k = 0; k < NCOLS; k++) {
            cell_text(cell, sizeof cell, &table_cols[k], pv[p].v[k], pv[p].hi[k], scale[k]);
            fputs("  ", f);
            pad(f, cell, width[k], false);
        }
        size_t ns = wr_stopped_runs(rp, b, e);
        if (rp->slo_metric) {
            struct hist *pool = wr_pooled(rp, b, e);
            int met = wr_slo_met(rp, b, e, pool);
            fprintf(f, "  %s", met ? "met" : ns ? "overload" : "missed");
            struct ci ci;
            double v;
            wr_summarise(rp, b, e, offered, pool, &ci, &v);
            hist_free(pool);
            if (met && v > best_offered) {
                best_offered = v;
                free(best);
                best = wr_point_label(sc, point);
            }
        }
        if (ns > 0)
            fprintf(f, "  [%zu/%zu stopped]", ns, e - b);
        nstopped += ns;
        fprintf(f, "\n");
    }
    fputs(legend, f);
    footer(f, rp, nstopped, best, best_offered);
    free(best);
    free(swidth);
    free(pv);
    fclose(f);
    return buf;
}

/* ---- a growing backlog ---------------------------------------------------- */

#define BACKLOG_UNFINISHED 0.01 /* warn above this share of requests unfinished */

/* A component's measured capacity in one run: its workers over their
 * measured mean holding time (busy worker-time / services ended), i.e.
 * replicas x workers / mean service time; NAN when it has no workers or
 * served nothing. */
static double measured_capacity(const struct run_result *r, const struct comp_result *c)
{
    double busy_s = c->mean_busy * r->window_s;
    if (!c->has_hists || !(c->servers > 0) || !(busy_s > 0) || c->local.total == 0)
        return NAN;
    return c->servers * (double)c->local.total / busy_s;
}

/* Runs [b, e): the component whose measured offered rate (mean over the
 * runs) most exceeds its measured capacity, or SIZE_MAX. */
static size_t overloaded_component(const struct report *rp, size_t b, size_t e, double *offered,
                                   double *capacity)
{
    size_t best = SIZE_MAX;
    double best_ratio = 1;
    const struct run_result *r0 = &rp->runs[b];
    for (size_t j = 0; j < r0->ncomps; j++) {
        double off = 0, cap = 0;
        size_t noff = 0, ncap = 0;
        for (size_t i = b; i < e; i++) {
            const struct run_result *r = &rp->runs[i];
            if (j >= r->ncomps || strcmp(r->comps[j].name, r0->comps[j].name) != 0 ||
                !(r->window_s > 0))
                continue;
            off += (double)r->comps[j].arrivals / r->window_s;
            noff++;
            double c = measured_capacity(r, &r->comps[j]);
            if (!isnan(c)) {
                cap += c;
                ncap++;
            }
        }
        if (!noff || !ncap)
            continue;
        off /= (double)noff;
        cap /= (double)ncap;
        if (off > cap * best_ratio) {
            best = j;
            best_ratio = off / cap;
            *offered = off;
            *capacity = cap;
        }
    }
    return best;
}

char *report_backlog_warnings(const struct report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        uint64_t offered = 0, unfinished = 0;
        for (size_t i = b; i < e; i++) {
            offered += rp->runs[i].offered;
            unfinished += rp->runs[i].in_flight;
        }
        double share = offered ? (double)unfinished / (double)offered : 0;
        double off, cap;
        size_t j;
        if (!(share > BACKLOG_UNFINISHED) ||
            (j = overloaded_component(rp, b, e, &off, &cap)) == SIZE_MAX)
            continue;
        char o[48], c[48], s[48];
        report_fmt_num(o, sizeof o, off, 3);
        report_fmt_num(c, sizeof c, cap, 3);
        report_fmt_num(s, sizeof s, share * 100, 2);
        fprintf(f, "sdsim: warning: ");
        if (rp->sc->nsweeps > 0) {
            char *label = wr_point_label(rp->sc, rp->runs[b].point);
            fprintf(f, "%s: ", label);
            free(label);
        }
        fprintf(f, "%s: offered %s/s > capacity %s/s; %s%% of requests unfinished\n",
                rp->runs[b].comps[j].name, o, c, s);
    }
    fclose(f);
    return buf;
}
