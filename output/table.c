/* table: the headline table `sdsim run` prints, one line per sweep point,
 * and the warnings about runs that ended with a growing backlog. Its
 * columns are a table (struct table_col) of summary metrics from the
 * dictionary (output/columns.c); values are the ones summary.csv has. Every
 * sweep variable's value has a column of its own. Numbers have 3-4
 * significant digits without exponents (report_fmt_num), a latency column
 * is in ms, or in s when some value of it reaches 10000 ms, and "-" marks
 * a value that does not apply. [sim] show adds columns (rp->show): any
 * runs.csv column, summary metric or COMPONENT.COLUMN of components.csv,
 * the mean over a point's replications; `show = only: a, b` replaces the
 * fixed columns with those named (the sweep values and runs stay).
 * To fit a terminal of TABLE_WIDTH columns, the default table leaves out
 * the fixed columns that say nothing at any point (a share of failures
 * that is 0 everywhere, unfinished requests under the share that warns of
 * a backlog, goodput equal to throughput, the all-finished p99 equal to
 * the successes'), and a table still wider is printed in stacked blocks,
 * each with the sweep values and runs first, the legend in lines of at
 * most that width. [sim] table = wide (or SDSIM_TABLE=wide in the
 * environment) prints every column on one line instead. Printing it is
 * main's job. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "output/theory_apply.h"
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
#define TABLE_WIDTH 100 /* the terminal the default table fits */
#define BACKLOG_UNFINISHED 0.01 /* warn above this share of requests unfinished */

/* The legend under the table: each abbreviation whose column is shown. */
static const struct {
    const char *text;
    const char *metrics[3]; /* the columns it explains */
} legend[] = {
    {"failed: rejected, rate limited, timed out, unauthenticated or error", {"failed_ratio"}},
    {"reject: incl. rate limited", {"refused_ratio"}},
    {"unfinished: in flight at the end", {"unfinished_ratio"}},
    {"goodput: successes without fallbacks", {"goodput_rps"}},
    {"success: successful requests only", {"latency_mean_ms", "latency_p99_ms"}},
    {"all: every finished request", {"latency_all_p99_ms"}},
};

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

/* A column as printed: a fixed one of table_cols, or one [sim] show names,
 * or the theory of the column before it (summary.csv's theory column). */
struct tcol {
    const struct table_col *fixed; /* NULL: a show column */
    bool theory;                   /* the theory of the column before it (same fixed, name) */
    char name[64];                 /* the show column's name */
    char head[96];
    double scale;                  /* shown value = value * scale */
    int width;
    bool hidden;                   /* left out: says nothing at any point */
};

static void cell_text(char *buf, size_t size, const struct tcol *tc, double v, double hi)
{
    char num[40], half[40];
    bool pct = tc->fixed && tc->fixed->kind == CELL_PERCENT;
    report_fmt_num(num, sizeof num, v * tc->scale, pct ? SIG_PCT : SIG);
    if (!tc->fixed || !tc->fixed->with_ci || tc->theory || isnan(v) || isnan(hi)) {
        snprintf(buf, size, "%s", num);
        return;
    }
    /* the upper side: the lower may be cut at 0 */
    report_fmt_num(half, sizeof half, (hi - v) * tc->scale, SIG_CI);
    snprintf(buf, size, "%s ± %s", num, half);
}

/* One run's value of a show column: a runs.csv column, a kind metric, or
 * COMPONENT.COLUMN of components.csv; NAN when the run has none. */
static double run_value(const struct run_result *r, const char *name)
{
    for (const struct run_column *c = columns_runs; c->doc.name; c++) {
        if (strcmp(c->doc.name, name) != 0)
            continue;
        if (c->type == COL_COUNT)
            return (double)c->count(r);
        if (c->type == COL_NUM)
            return c->num(r);
    }
    double v = wr_extra_value(r, name);
    const char *dot = strchr(name, '.');
    if (!isnan(v) || !dot)
        return v;
    for (size_t i = 0; i < r->ncomps; i++) {
        const struct comp_result *cr = &r->comps[i];
        if (strlen(cr->name) != (size_t)(dot - name) ||
            strncmp(cr->name, name, (size_t)(dot - name)) != 0)
            continue;
        for (const struct comp_column *c = columns_components; c->doc.name; c++) {
            if (strcmp(c->doc.name, dot + 1) != 0)
                continue;
            if (c->type == COL_COUNT)
                return (double)c->count(r, cr);
            if (c->type == COL_NUM)
                return c->num(r, cr);
        }
    }
    return (double)NAN;
}

/* A column's value and interval over runs [b, e): a summary metric as
 * summary.csv has it, else the mean of the runs' values. */
static void col_value(const struct report *rp, size_t b, size_t e, const struct tcol *tc,
                      const struct hist *pool, double *v, double *hi)
{
    const struct summary_metric *m =
        columns_summary_metric(tc->fixed ? tc->fixed->metric : tc->name);
    struct ci ci;
    if (m) {
        wr_summarise(rp, b, e, m, pool, &ci, v);
        *hi = ci.hi;
        return;
    }
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double y = run_value(&rp->runs[i], tc->name);
        if (!isnan(y))
            x[n++] = y;
    }
    wr_ci_of_values(x, n, tc->name, &ci);
    free(x);
    *v = n ? ci.mean : (double)NAN;
    *hi = n ? ci.hi : (double)NAN;
}

/* Is the column a latency in ms (a fixed latency column, or a name in _ms)? */
static bool in_ms(const struct tcol *tc)
{
    if (tc->fixed)
        return tc->fixed->kind == CELL_LATENCY;
    size_t n = strlen(tc->name);
    return n > 3 && strcmp(tc->name + n - 3, "_ms") == 0;
}

static void fixed_column(struct tcol *c, const struct table_col *t)
{
    memset(c, 0, sizeof *c);
    c->fixed = t;
    c->scale = t->kind == CELL_PERCENT ? 100 : 1;
}

/* The fixed columns, then one per name of rp->show; with "only: a, b" just
 * the columns named, a fixed one's metric (latency_p99_ms) shown as the
 * fixed column is (its heading, % or interval). */
static size_t table_columns(const struct report *rp, struct tcol *cols)
{
    size_t n = 0;
    const char *p = rp->show ? rp->show : "";
    p += strspn(p, " \t");
    bool only = strncmp(p, "only:", 5) == 0;
    if (only)
        p += 5;
    for (size_t k = 0; k < NCOLS && !only; k++)
        fixed_column(&cols[n++], &table_cols[k]);
    for (p += strspn(p, ", \t"); *p && n < NCOLS + REPORT_SHOW_MAX; p += strspn(p, ", \t")) {
        size_t len = strcspn(p, ", \t");
        memset(&cols[n], 0, sizeof cols[n]);
        snprintf(cols[n].name, sizeof cols[n].name, "%.*s", (int)len, p);
        cols[n].scale = 1;
        for (size_t k = 0; k < NCOLS && only; k++)
            if (strcmp(cols[n].name, table_cols[k].metric) == 0)
                fixed_column(&cols[n], &table_cols[k]);
        n++;
        p += len;
    }
    return n;
}

/* The metric of a column: a summary metric, a kind's or a runs.csv column. */
static const char *col_metric(const struct tcol *tc)
{
    return tc->fixed ? tc->fixed->metric : tc->name;
}

#define MAX_METHODS 8 /* theory methods named in the legend */

/* After each column of cols[0, nc) that has a theory at some sweep point
 * (tm[0, np), one checked model per point), a theory column; returns the
 * new number of columns (cols has room for twice nc). methods[] gets the
 * methods met, each once, in the order met; *nm their number. */
static size_t theory_columns(struct tcol *cols, size_t nc, const struct theory_model *tm,
                             size_t np, const char **methods, size_t *nm)
{
    *nm = 0;
    bool any[NCOLS + REPORT_SHOW_MAX] = {false};
    for (size_t k = 0; k < nc; k++)
        for (size_t p = 0; p < np; p++) {
            const char *m;
            if (isnan(theory_apply_value(&tm[p], col_metric(&cols[k]), &m)))
                continue;
            any[k] = true;
            size_t i = 0;
            while (i < *nm && strcmp(methods[i], m) != 0)
                i++;
            if (i == *nm && *nm < MAX_METHODS)
                methods[(*nm)++] = m;
        }
    for (size_t k = nc; k-- > 0;) {
        if (!any[k])
            continue;
        memmove(&cols[k + 2], &cols[k + 1], (nc - k - 1) * sizeof *cols);
        cols[k + 1] = cols[k];
        cols[k + 1].theory = true;
        nc++;
    }
    return nc;
}

/* The legend line for the fixed columns shown, and for theory columns
 * with the methods that filled them ("" when none is). */
/* Writes item after the legend's earlier ones ("; " between them), on a
 * new line when the line would pass width (0: no limit); *col: the
 * current line's length so far. */
static void legend_item(FILE *f, const char *item, int width, int *col)
{
    int w = text_width(item);
    if (*col > 0 && width > 0 && *col + 2 + w > width) {
        fputs(";\n", f);
        *col = 0;
    } else if (*col > 0) {
        fputs("; ", f);
        *col += 2;
    }
    fputs(item, f);
    *col += w;
}

static void put_legend(FILE *f, const struct tcol *cols, size_t nc, const char **methods,
                       size_t nm, int width)
{
    int col = 0;
    for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++) {
        bool shown = false;
        for (size_t k = 0; k < nc && !shown; k++)
            for (size_t m = 0; m < 3 && legend[i].metrics[m] && cols[k].fixed && !cols[k].hidden &&
                               !shown; m++)
                shown = strcmp(cols[k].fixed->metric, legend[i].metrics[m]) == 0;
        if (shown)
            legend_item(f, legend[i].text, width, &col);
    }
    if (nm > 0) {
        char item[512];
        int len = snprintf(item, sizeof item,
                           "theory: the steady-state value the column to its left has by ");
        for (size_t i = 0; i < nm && len > 0 && (size_t)len < sizeof item; i++)
            len += snprintf(item + len, sizeof item - (size_t)len, "%s%s",
                            i == 0 ? "" : i + 1 < nm ? ", " : " or ", methods[i]);
        if (len > 0 && (size_t)len < sizeof item)
            snprintf(item + len, sizeof item - (size_t)len, " (sdsim list theory)");
        legend_item(f, item, width, &col);
    }
    char item[256];
    int len = 0;
    for (size_t k = 0; k < nc; k++)
        if (cols[k].hidden && !cols[k].theory && len >= 0 && (size_t)len < sizeof item)
            len += snprintf(item + len, sizeof item - (size_t)len, "%s%s",
                            len ? ", " : "left out (nothing to show): ", cols[k].fixed->head);
    if (len > 0 && (size_t)len < sizeof item) {
        legend_item(f, item, width, &col);
        legend_item(f, "--set sim.table=wide shows every column", width, &col);
    }
    if (col > 0)
        fputc('\n', f);
}

/* Is every point's value of column k below under (or none), or equal to
 * column j's? */
static bool says_nothing(const double *v, size_t np, size_t nc, size_t k, size_t j, double under)
{
    for (size_t p = 0; p < np; p++) {
        double x = v[p * nc + k];
        if (j == SIZE_MAX ? !(isnan(x) || x <= under) : x != v[p * nc + j])
            return false;
    }
    return true;
}

/* The index of the shown fixed column of metric, or SIZE_MAX. */
static size_t fixed_index(const struct tcol *cols, size_t nc, const char *metric)
{
    for (size_t k = 0; k < nc; k++)
        if (cols[k].fixed && !cols[k].theory && strcmp(cols[k].fixed->metric, metric) == 0)
            return k;
    return SIZE_MAX;
}

/* The default table's fixed columns that say nothing at any point, and the
 * theory columns beside them, are hidden. */
static void hide_silent(struct tcol *cols, size_t nc, const double *v, size_t np)
{
    static const struct {
        const char *metric, *same_as; /* NULL: hidden when at most under everywhere */
        double under;
    } silent[] = {
        {"goodput_rps", "throughput_rps", 0},
        {"failed_ratio", NULL, 0},
        {"refused_ratio", NULL, 0},
        {"timeout_ratio", NULL, 0},
        /* the requests in flight at the end, below the share that warns of a backlog */
        {"unfinished_ratio", NULL, BACKLOG_UNFINISHED},
        {"latency_all_p99_ms", "latency_p99_ms", 0},
    };
    for (size_t i = 0; i < sizeof silent / sizeof silent[0]; i++) {
        size_t k = fixed_index(cols, nc, silent[i].metric);
        size_t j = silent[i].same_as ? fixed_index(cols, nc, silent[i].same_as) : SIZE_MAX;
        if (k == SIZE_MAX || (silent[i].same_as && j == SIZE_MAX))
            continue;
        if (says_nothing(v, np, nc, k, j, silent[i].under)) {
            cols[k].hidden = true;
            if (k + 1 < nc && cols[k + 1].theory)
                cols[k + 1].hidden = true;
        }
    }
}

/* The first column of the block after the one starting at b: as many
 * shown columns as fit in width after the labels (lw characters), a
 * theory column kept with its metric's, at least one. */
static size_t block_end(const struct tcol *cols, size_t nc, size_t b, int lw, int width)
{
    int w = lw;
    size_t k = b, shown = 0;
    while (k < nc) {
        if (cols[k].hidden) {
            k++;
            continue;
        }
        size_t e = k + 1;
        int cw = 2 + cols[k].width;
        while (e < nc && cols[e].theory && !cols[e].hidden)
            cw += 2 + cols[e++].width;
        if (shown > 0 && width > 0 && w + cw > width)
            break;
        w += cw;
        shown++;
        k = e;
    }
    return k;
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

/* The end of a point's row (runs [b, e)) in the last block: whether it
 * meets the SLO (the best point so far into *best), and how many of its
 * runs stopped early. */
static void end_row(FILE *f, const struct report *rp, size_t b, size_t e,
                    const struct summary_metric *offered, double *best_offered, char **best,
                    size_t *nstopped)
{
    size_t ns = wr_stopped_runs(rp, b, e);
    if (rp->slo_metric) {
        struct hist *pool = wr_pooled(rp, b, e);
        int met = wr_slo_met(rp, b, e, pool);
        fprintf(f, "  %s", met ? "met" : ns ? "overload" : "missed");
        struct ci ci;
        double ov;
        wr_summarise(rp, b, e, offered, pool, &ci, &ov);
        hist_free(pool);
        if (met && ov > *best_offered) {
            *best_offered = ov;
            free(*best);
            *best = wr_point_label(rp->sc, rp->runs[b].point);
        }
    }
    if (ns > 0)
        fprintf(f, "  [%zu/%zu stopped]", ns, e - b);
    *nstopped += ns;
}

char *report_table(const struct report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    const struct scenario *sc = rp->sc;
    struct tcol cols[2 * (NCOLS + REPORT_SHOW_MAX)];
    size_t nc = table_columns(rp, cols);
    size_t np = 0;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b))
        np++;
    size_t *start = xcalloc(np + 1, sizeof *start);
    struct theory_model *tm = xcalloc(np + 1, sizeof *tm);
    size_t p = 0;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b), p++) {
        start[p] = b;
        tm[p] = *theory_apply_memo(rp->theory, sc, rp->runs[b].point, &tm[p]);
    }
    start[np] = rp->nruns;
    const char *methods[MAX_METHODS];
    size_t nm;
    nc = theory_columns(cols, nc, tm, np, methods, &nm);
    double *v = xcalloc(np * nc + 1, sizeof *v), *hi = xcalloc(np * nc + 1, sizeof *hi);
    for (p = 0; p < np; p++) {
        size_t b = start[p], e = start[p + 1];
        struct hist *pool = wr_pooled(rp, b, e);
        for (size_t k = 0; k < nc; k++) {
            if (cols[k].theory) {
                const char *m;
                v[p * nc + k] = theory_apply_value(&tm[p], col_metric(&cols[k]), &m);
                hi[p * nc + k] = (double)NAN;
            } else {
                col_value(rp, b, e, &cols[k], pool, &v[p * nc + k], &hi[p * nc + k]);
            }
            bool ci = cols[k].fixed && cols[k].fixed->with_ci && !cols[k].theory;
            if (in_ms(&cols[k]) &&
                (v[p * nc + k] >= MS_TO_S || (ci && hi[p * nc + k] >= MS_TO_S)))
                cols[k].scale = 1e-3;
        }
        hist_free(pool);
    }
    free(tm);
    /* a theory column in the unit of its metric's column */
    for (size_t k = 1; k < nc; k++)
        if (cols[k].theory && cols[k].scale != cols[k - 1].scale)
            cols[k].scale = cols[k - 1].scale = 1e-3;
    /* the headings and the widths: the widest of heading and cells */
    for (size_t k = 0; k < nc; k++) {
        struct tcol *tc = &cols[k];
        const char *unit = !in_ms(tc) ? "" : tc->scale < 1 ? " s" : " ms";
        if (tc->theory)
            snprintf(tc->head, sizeof tc->head, "theory%s",
                     in_ms(tc) ? unit : tc->fixed && tc->fixed->kind == CELL_PERCENT ? " %" : "");
        else if (tc->fixed)
            snprintf(tc->head, sizeof tc->head, "%s%s%s", tc->fixed->head, unit,
                     tc->fixed->with_ci ? " (95% CI)" : "");
        else
            snprintf(tc->head, sizeof tc->head, "%s%s", tc->name,
                     tc->scale < 1 ? " (s)" : "");
        tc->width = text_width(tc->head);
    }
    const char *mode = getenv("SDSIM_TABLE");
    bool wide = rp->table_wide || (mode && strcmp(mode, "wide") == 0);
    const char *show = rp->show ? rp->show + strspn(rp->show, " \t") : "";
    if (!wide && strncmp(show, "only:", 5) != 0)
        hide_silent(cols, nc, v, np);
    int width = wide ? 0 : TABLE_WIDTH;
    size_t nsw = sc->nsweeps, nlab = nsw ? nsw : 1;
    int *swidth = xcalloc(nlab, sizeof *swidth);
    for (size_t i = 0; i < nlab; i++)
        swidth[i] = nsw ? text_width(sc->sweeps[i].name) : (int)strlen("all runs");
    char cell[128];
    for (p = 0; p < np; p++) {
        size_t point = rp->runs[start[p]].point;
        for (size_t i = 0; i < nsw; i++) {
            int w = text_width(scenario_sweep_value(sc, point, i));
            if (w > swidth[i])
                swidth[i] = w;
        }
        for (size_t k = 0; k < nc; k++) {
            cell_text(cell, sizeof cell, &cols[k], v[p * nc + k], hi[p * nc + k]);
            if (text_width(cell) > cols[k].width)
                cols[k].width = text_width(cell);
        }
    }
    int lw = 4; /* "runs" */
    for (size_t i = 0; i < nlab; i++)
        lw += swidth[i] + 1;
    const struct summary_metric *offered = columns_summary_metric("offered_rps");
    double best_offered = -1;
    char *best = NULL;
    size_t nstopped = 0;
    for (size_t kb = 0, ke; kb < nc || kb == 0; kb = ke) { /* the blocks of columns */
        ke = block_end(cols, nc, kb, lw, width);
        bool last = ke >= nc;
        if (kb > 0)
            fputc('\n', f);
        for (size_t i = 0; i < nlab; i++) {
            pad(f, nsw ? sc->sweeps[i].name : "point", swidth[i], true);
            fputc(' ', f);
        }
        fprintf(f, "%4s", "runs");
        for (size_t k = kb; k < ke; k++) {
            if (cols[k].hidden)
                continue;
            fputs("  ", f);
            pad(f, cols[k].head, cols[k].width, false);
        }
        fprintf(f, "%s\n", rp->slo_metric && last ? "  SLO" : "");
        for (p = 0; p < np; p++) {
            size_t b = start[p], e = start[p + 1], point = rp->runs[b].point;
            for (size_t i = 0; i < nlab; i++) {
                pad(f, nsw ? scenario_sweep_value(sc, point, i) : "all runs", swidth[i], true);
                fputc(' ', f);
            }
            fprintf(f, "%4zu", e - b);
            for (size_t k = kb; k < ke; k++) {
                if (cols[k].hidden)
                    continue;
                cell_text(cell, sizeof cell, &cols[k], v[p * nc + k], hi[p * nc + k]);
                fputs("  ", f);
                pad(f, cell, cols[k].width, false);
            }
            if (last)
                end_row(f, rp, b, e, offered, &best_offered, &best, &nstopped);
            fprintf(f, "\n");
        }
        if (last)
            break;
    }
    put_legend(f, cols, nc, methods, nm, width);
    footer(f, rp, nstopped, best, best_offered);
    free(best);
    free(swidth);
    free(start);
    free(v);
    free(hi);
    fclose(f);
    return buf;
}

/* ---- a growing backlog ---------------------------------------------------- */

/* A component's measured capacity in one run: its workers over their
 * measured mean holding time (busy worker-time / services ended), i.e.
 * replicas x workers / mean service time; NAN when it has no workers or
 * served nothing. */
static double measured_capacity(const struct run_result *r, const struct comp_result *c)
{
    double busy_s = c->mean_busy * r->window_s;
    if (!c->has_hists || !(c->servers > 0) || !(busy_s > 0) || c->local.total == 0)
        return (double)NAN;
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
