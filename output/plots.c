/* plots: the plot data (.dat, whitespace separated, one block per curve,
 * blocks separated by two blank lines, each starting with a header line
 * whose first field is the curve's title) and the gnuplot scripts that
 * draw them. A data file's columns are laid out by a table of named
 * groups (struct dat_group), and a script asks that table for a metric's
 * column number when it is written, so no script depends on a column
 * order written elsewhere.
 *
 * Every plot follows the same rules, here and nowhere else: a title (the
 * scenario and the first sentence of its opening comment), axis labels
 * with the dictionary's units, the key outside the data, at most
 * MAX_SERIES lines a panel (struct layout splits the sweeps into lines and
 * panels), an Okabe-Ito palette with a dash and point type per line,
 * numeric sweeps on a numeric (perhaps log) axis and other sweeps as
 * categories without lines across them, and y ranges from 0 shared by the
 * panels of a row. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/diag.h"
#include "sim/hist.h"
#include "sim/spec.h"
#include "output/theory_apply.h"
#include "output/writers.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define NS_PER_MS 1e6

/* A data file's columns after column 1 (x, headed by the block's title):
 * a metric's value, CI low and CI high (three columns under head, "lo",
 * "hi"), or, with metric NULL, the x value as text (one column, for tick
 * labels), or, with theory, the metric's value by a formula (one column,
 * summary.csv's theory; nan where none holds). metric "" stands for the
 * block's own column (sweep_metrics). */
struct dat_group {
    const char *head;
    const char *metric;
    bool theory;
};

static size_t group_width(const struct dat_group *g)
{
    return g->metric && !g->theory ? 3 : 1;
}

/* The column number (from 1) of metric's value (its lo and hi follow), or
 * of the x label when metric is NULL. */
static size_t dat_col(const struct dat_group *g, size_t n, const char *metric)
{
    size_t col = 2;
    for (size_t i = 0; i < n; i++) {
        if (metric ? g[i].metric && !g[i].theory && strcmp(g[i].metric, metric) == 0
                   : !g[i].metric)
            return col;
        col += group_width(&g[i]);
    }
    assert(0 && "a script asked for a column its data file does not have");
    return 0;
}

/* The column number of metric's theory, or 0 when the file has none. */
static size_t dat_theory_col(const struct dat_group *g, size_t n, const char *metric)
{
    size_t col = 2;
    for (size_t i = 0; i < n; i++) {
        if (g[i].theory && strcmp(g[i].metric, metric) == 0)
            return col;
        col += group_width(&g[i]);
    }
    return 0;
}

static void dat_header(struct outfile *o, const struct dat_group *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outfile_printf(o, group_width(&g[i]) == 3 ? " \"%s\" \"lo\" \"hi\"" : " \"%s\"",
                       g[i].head);
    outfile_printf(o, "\n");
}

/* sweep_latency.dat */
static const struct dat_group sweep_groups[] = {
    {"p50", "latency_p50_ms", false},
    {"p99", "latency_p99_ms", false},
    {"x", NULL, false},
    {"throughput", "throughput_rps", false},
    {"errors", "failed_ratio", false},
    {"p99_all", "latency_all_p99_ms", false},
    {"p50_theory", "latency_p50_ms", true},
    {"p99_theory", "latency_p99_ms", true},
    {"p99_all_theory", "latency_all_p99_ms", true},
};
#define NSWEEP_GROUPS (sizeof sweep_groups / sizeof sweep_groups[0])
/* sweep_metrics.dat */
/* the block's own column, the x label, and the column's theory (a formula's
 * value at the point, NaN where none holds: output/theory_apply.h) */
static const struct dat_group metrics_groups[] = {
    {"mean", "", false}, {"x", NULL, false}, {"theory", "", true}};
#define NMETRICS_GROUPS (sizeof metrics_groups / sizeof metrics_groups[0])

/* A value and its interval as three plot-data columns. Without an interval
 * (one replication, or a maximum) the error bar has no length. */
static void plot_triple(struct outfile *o, double value, const struct ci *ci)
{
    outfile_printf(o, " %.9g %.9g %.9g", value, isnan(ci->lo) ? value : ci->lo,
                   isnan(ci->hi) ? value : ci->hi);
}


/* ---- the look every plot shares ------------------------------------------ */

#define MAX_SERIES 8 /* lines in one panel; more are split into panels */
#define NO_SWEEP ((size_t)-1)

/* s as a gnuplot single-quoted string (a quote is doubled). */
static void gp_str(struct outfile *o, const char *s)
{
    outfile_printf(o, "'");
    for (; *s; s++)
        outfile_printf(o, *s == '\'' ? "''" : "%c", *s);
    outfile_printf(o, "'");
}

/* The plots' title: the scenario's file name without folder and .ini, and
 * the question of its opening comment (its first sentence, which may run
 * over several comment lines). Caller frees. */
static char *plot_title(const struct scenario *sc)
{
    const char *f = sc->file ? sc->file : "scenario";
    const char *slash = strrchr(f, '/');
    f = slash ? slash + 1 : f;
    size_t flen = strlen(f);
    if (flen > 4 && strcmp(f + flen - 4, ".ini") == 0)
        flen -= 4;
    char q[240] = "";
    size_t qlen = 0;
    bool done = false;
    for (const char *p = sc->text ? sc->text : ""; *p && !done;) {
        const char *t = p + strspn(p, " \t");
        size_t n = strcspn(t, "\n");
        p = t[n] ? t + n + 1 : t + n;
        if (*t != '#' && *t != ';') {
            done = qlen > 0 || (n > 0);
            continue;
        }
        size_t skip = strspn(t, "#; \t");
        t += skip;
        n = n > skip ? n - skip : 0;
        if (n == 0) { /* an empty comment line ends the paragraph */
            done = qlen > 0;
            continue;
        }
        for (size_t i = 0; i < n && qlen + 2 < sizeof q; i++) {
            q[qlen++] = t[i];
            if ((t[i] == '.' || t[i] == '?') && (i + 1 == n || t[i + 1] == ' ')) {
                done = true;
                break;
            }
        }
        if (!done && qlen + 2 < sizeof q)
            q[qlen++] = ' ';
        q[qlen] = '\0';
    }
    while (qlen && q[qlen - 1] == ' ')
        q[--qlen] = '\0';
    size_t size = flen + qlen + 8;
    char *s = xmalloc(size);
    snprintf(s, size, "%.*s%s%s", (int)flen, f, qlen ? ": " : "", q);
    return s;
}

/* s as a gnuplot double-quoted string broken into lines of about width
 * characters at its spaces. */
static void gp_wrapped(struct outfile *o, const char *s, size_t width)
{
    outfile_printf(o, "\"");
    size_t col = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' && col + strcspn(p + 1, " ") + 1 > width) {
            outfile_printf(o, "\\n");
            col = 0;
            continue;
        }
        if (*p == '`') /* gnuplot would run what is between backquotes */
            continue;
        if (*p == '"' || *p == '\\')
            outfile_printf(o, "\\");
        outfile_printf(o, "%c", *p);
        col++;
    }
    outfile_printf(o, "\"");
}

/* Okabe-Ito colours (their pale yellow left out), each with its own dash
 * and point type, so the lines differ without colour too. */
static const char *const palette[MAX_SERIES] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#7F7F7F",
};
static const char *const dashes[MAX_SERIES] = {
    "1", "2", "3", "4", "5", "(10,4,2,4)", "(2,3)", "(14,6)",
};

/* The terminal, the title, the palette and the grid of a multiplot of
 * rows x cols panels. */
static void plot_begin(struct outfile *o, const struct scenario *sc, const char *png,
                       size_t rows, size_t cols, size_t panel_w, size_t panel_h)
{
    char *title = plot_title(sc);
    cols = cols ? cols : 1;
    rows = rows ? rows : 1;
    outfile_printf(o, "set terminal pngcairo size %zu,%zu noenhanced font ',10'\nset output ",
                   panel_w * cols + 60, panel_h * rows + 70);
    gp_str(o, png);
    outfile_printf(o, "\n");
    for (size_t i = 0; i < MAX_SERIES; i++)
        outfile_printf(o, "set linetype %zu lc rgb '%s' lw 2 dt %s pt %zu ps 1.2\n", i + 1,
                       palette[i], dashes[i], (size_t[]){7, 5, 9, 11, 13, 4, 6, 8}[i]);
    outfile_printf(o, "set linetype cycle %d\n"
                      "set grid\n"
                      "set key outside below left Left reverse horizontal maxcols 2 samplen 3\n"
                      "set datafile missing 'nan'\n"
                      "set lmargin 11\n"
                      "set multiplot layout %zu,%zu title ",
                   MAX_SERIES, rows, cols);
    gp_wrapped(o, title, (panel_w * cols + 60) / 10);
    outfile_printf(o, " font ',12'\n");
    free(title);
}

/* ---- what a metric is ---------------------------------------------------- */

/* The dictionary's unit of a metric (a summary metric, a kind's metric
 * "<component>.<name>" or a time-series column), or "". */
static const char *metric_unit(const char *name)
{
    const struct summary_metric *m = columns_summary_metric(name);
    if (m)
        return m->doc.unit;
    const char *dot = strrchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    for (size_t i = 0; columns_timeseries[i].doc.name; i++) {
        const char *n = columns_timeseries[i].doc.name, *nd = strrchr(n, '.');
        if (strcmp(n, name) == 0 || (dot && nd && n[0] == '<' && strcmp(nd + 1, base) == 0))
            return columns_timeseries[i].doc.unit;
    }
    for (size_t i = 0; columns_kind_metrics[i].doc.name; i++)
        if (strcmp(columns_kind_metrics[i].doc.name, base) == 0)
            return columns_kind_metrics[i].doc.unit;
    return "";
}

/* The smallest round number (1, 2 or 5 times a power of ten, in steps of
 * a tenth of it) at or above v > 0: the top of a linear axis. */
static double nice_ceil(double v)
{
    double p = pow(10, floor(log10(v))), step = p / 10;
    if (v / p > 5)
        step = p / 2;
    else if (v / p > 2)
        step = p / 5;
    return ceil(v / step - 1e-9) * step;
}

/* "set ylabel 'label (unit)'" and the y range, the same for every panel
 * of a row so they compare: a log scale when the values (lo the smallest,
 * hi the largest) are all positive and span 100x or more, else from 0 to
 * a round number above hi (a ratio's at most 1). scale: 100 for a ratio
 * drawn in %. */
static void y_axis(struct outfile *o, const char *label, const char *metric, double lo, double hi,
                   double scale)
{
    char buf[200];
    const char *unit = scale == 100 ? "%" : metric_unit(metric);
    if (*unit && strcmp(unit, "-") != 0)
        snprintf(buf, sizeof buf, "%s (%s)", label, unit);
    else
        snprintf(buf, sizeof buf, "%s", label);
    outfile_printf(o, "set ylabel ");
    gp_str(o, buf);
    double mn, mx;
    columns_range(metric, &mn, &mx);
    lo *= scale;
    hi *= scale;
    mx *= scale;
    if (lo > 0 && hi / lo >= 100 && !isinf(hi)) {
        outfile_printf(o, "\nset logscale y\nset yrange [%.6g:%.6g]\n", lo / 1.5, hi * 1.5);
        return;
    }
    double top = hi > 0 && isfinite(hi) ? nice_ceil(hi * 1.02) : 1; /* all zero: 0..1 */
    top = top > mx ? mx : top;
    double bottom = mn < 0 && lo < 0 ? -nice_ceil(-lo * 1.02) : 0; /* over_admission */
    outfile_printf(o, "\nunset logscale y\nset yrange [%.9g:%.9g]\n", bottom, top);
}

/* ---- the x axis: a sweep variable ---------------------------------------- */

/* A sweep's values as numbers: plain numbers (with the unit written after
 * the ${...}, if any), or durations (in ms or s); else categories. */
struct x_axis {
    size_t sweep;      /* NO_SWEEP: none (time series, CDF) */
    bool numeric, log;
    double *v;         /* per value */
    double lo, hi;     /* the range to draw */
    char label[256];
    char **cat;        /* categories: the tic labels (the values, shortened) */
    size_t ncat;
};

/* What follows the ${...} of sweep w in the scenario text: "ms" in
 * "${t = 0, 5}ms", or "". */
static void sweep_suffix(const struct scenario *sc, const struct sc_sweep *w, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = sc->text;
    for (int line = 1; p && line < w->loc.line; line++)
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
    if (!p || w->loc.col < 1)
        return;
    size_t len = strcspn(p, "\n");
    if ((size_t)w->loc.col - 1 >= len)
        return;
    p += w->loc.col - 1;
    const char *close = strncmp(p, "${", 2) == 0 ? strchr(p, '}') : NULL;
    if (!close)
        return;
    size_t n = strspn(close + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ%/");
    snprintf(out, size, "%.*s", (int)n, close + 1);
}

/* A category value read as a spec "name(k=v, ...)" (sim/spec.h); nargs 0
 * when it has no arguments or is not a spec at all. */
static void category_spec(struct spec *sp, const char *v)
{
    struct diag *d = diag_new();
    if (spec_parse(sp, v, (struct loc){0}, d) < 0)
        sp->nargs = 0;
    diag_free(d);
}

static bool arg_same(const struct spec_arg *a, const struct spec_arg *b)
{
    return (a->key == NULL) == (b->key == NULL) && (!a->key || strcmp(a->key, b->key) == 0) &&
           strcmp(a->val, b->val) == 0;
}

/* Whether argument a is in every spec of sp[0..n) that has arguments and,
 * with name, that policy name, and at least two such specs exist. */
static bool arg_shared(const struct spec *sp, size_t n, const char *name, const struct spec_arg *a)
{
    size_t same = 0;
    for (size_t j = 0; j < n; j++) {
        if (!sp[j].nargs || (name && strcmp(sp[j].name, name) != 0))
            continue;
        bool has = false;
        for (size_t k = 0; k < sp[j].nargs && !has; k++)
            has = arg_same(&sp[j].args[k], a);
        if (!has)
            return false;
        same++;
    }
    return same >= 2;
}

/* Appends argument a ("key=val", or "val" when positional) to buf. */
static void put_arg(char *buf, size_t size, const char *sep, const struct spec_arg *a)
{
    size_t l = strlen(buf);
    if (l < size)
        snprintf(buf + l, size - l, "%s%s%s%s", sep, a->key ? a->key : "", a->key ? "=" : "",
                 a->val);
}

/* Category tic labels: a parameter that every value (or every value of
 * the same policy) shares says nothing about the difference, and six
 * labels that repeat it side by side overlap; it moves into the axis
 * label once ("backoff (exponential: base=5ms, cap=2s)") and the tic
 * keeps "exponential(jitter=full)". */
static void x_categories(struct x_axis *x, const struct sc_sweep *w)
{
    x->cat = xmalloc(w->nvalues * sizeof *x->cat);
    struct spec *sp = xmalloc(w->nvalues * sizeof *sp);
    for (size_t i = 0; i < w->nvalues; i++)
        category_spec(&sp[i], w->values[i]);
    char common[200] = "", everywhere[120] = "";
    for (size_t i = 0; i < w->nvalues; i++) {
        const struct spec *v = &sp[i];
        if (!v->nargs) { /* no arguments: as written */
            x->cat[i] = xstrdup(w->values[i]);
            continue;
        }
        /* the first value of its policy name (or with arguments at all)
         * says in the axis label what is shared */
        bool first = true, first_any = true;
        for (size_t j = 0; j < i; j++)
            if (sp[j].nargs) {
                first_any = false;
                first &= strcmp(sp[j].name, v->name) != 0;
            }
        char out[256], sh[160] = "";
        snprintf(out, sizeof out, "%s", v->name);
        size_t kept = 0, shared = 0;
        for (size_t k = 0; k < v->nargs; k++) {
            const struct spec_arg *a = &v->args[k];
            if (arg_shared(sp, w->nvalues, NULL, a)) {
                if (first_any)
                    put_arg(everywhere, sizeof everywhere, everywhere[0] ? ", " : "", a);
            } else if (arg_shared(sp, w->nvalues, v->name, a))
                put_arg(sh, sizeof sh, shared++ ? ", " : "", a);
            else
                put_arg(out, sizeof out, kept++ ? ", " : "(", a);
        }
        if (kept && strlen(out) + 1 < sizeof out)
            strcat(out, ")");
        x->cat[i] = xstrdup(out);
        if (shared && first) {
            size_t cl = strlen(common);
            snprintf(common + cl, sizeof common - cl, "%s%s: %s", cl ? "; " : "", v->name, sh);
        }
    }
    free(sp);
    if (everywhere[0] || common[0]) {
        size_t l = strlen(x->label);
        snprintf(x->label + l, sizeof x->label - l, " (%s%s%s)", everywhere,
                 everywhere[0] && common[0] ? "; " : "", common);
    }
}

static void x_axis_free(struct x_axis *x)
{
    if (x->cat)
        for (size_t i = 0; i < x->ncat; i++)
            free(x->cat[i]);
    free(x->cat);
    free(x->v);
}

static void x_axis_make(struct x_axis *x, const struct scenario *sc, size_t sweep)
{
    memset(x, 0, sizeof *x);
    x->sweep = sweep;
    if (sweep == NO_SWEEP)
        return;
    const struct sc_sweep *w = &sc->sweeps[sweep];
    x->v = xmalloc(w->nvalues * sizeof *x->v);
    char suffix[32];
    sweep_suffix(sc, w, suffix, sizeof suffix);
    bool plain = true, dur = true;
    int64_t maxns = 0;
    for (size_t i = 0; i < w->nvalues; i++) {
        char *end;
        x->v[i] = strtod(w->values[i], &end);
        plain &= end != w->values[i] && !*end && isfinite(x->v[i]);
        int64_t ns;
        const char *why;
        if (units_parse_duration(w->values[i], &ns, &why) == 0)
            maxns = ns > maxns ? ns : maxns;
        else
            dur = false;
    }
    const char *unit = suffix;
    if (!plain && dur) {
        unit = maxns >= 10 * (int64_t)1000000000 ? "s" : "ms";
        for (size_t i = 0; i < w->nvalues; i++) {
            int64_t ns;
            const char *why;
            units_parse_duration(w->values[i], &ns, &why);
            x->v[i] = unit[0] == 's' ? units_ns_to_s(ns) : units_ns_to_ms(ns);
        }
    }
    x->numeric = (plain || dur) && w->nvalues > 1;
    if (x->numeric && *unit)
        snprintf(x->label, sizeof x->label, "%s (%s)", w->name, unit);
    else
        snprintf(x->label, sizeof x->label, "%s", w->name);
    if (!x->numeric) {
        for (size_t i = 0; i < w->nvalues; i++)
            x->v[i] = (double)i;
        x->lo = -0.5;
        x->hi = (double)w->nvalues - 0.5;
        x->ncat = w->nvalues;
        x_categories(x, w);
        return;
    }
    double mn = x->v[0], mx = x->v[0];
    for (size_t i = 1; i < w->nvalues; i++) {
        mn = x->v[i] < mn ? x->v[i] : mn;
        mx = x->v[i] > mx ? x->v[i] : mx;
    }
    x->log = mn > 0 && mx / mn >= 100;
    if (x->log) {
        x->lo = mn / 1.4;
        x->hi = mx * 1.4;
    } else {
        double pad = (mx - mn) * 0.04;
        x->lo = mn - pad;
        x->hi = mx + pad;
        if (mn >= 0 && x->lo < 0)
            x->lo = mn == 0 ? -pad : 0;
    }
}

/* A category label broken into lines of about width characters at its
 * spaces, commas, parentheses and underscores, as a gnuplot double-quoted
 * string. Returns its number of lines. */
static size_t wrapped_label(struct outfile *o, const char *s, size_t width)
{
    size_t lines = 1;
    outfile_printf(o, "\"");
    size_t col = 0;
    /* gnuplot formats a tic label with a '%' in a buffer of 50 characters
     * and cuts the rest (gnuplot 5.4): such a long label says "pct" */
    bool long_pct = strchr(s, '%') && strlen(s) + strlen(s) / (width ? width : 1) + 2 > 48;
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            outfile_printf(o, "\\");
        if (*p == '%' && long_pct)
            outfile_printf(o, "pct");
        else if (*p != '`') /* gnuplot would run what is between backquotes */
            outfile_printf(o, *p == '%' ? "%%%%" : "%c", *p); /* a tic label is a format */
        col++;
        if (strchr(", (_", *p) && p[1]) {
            size_t next = strcspn(p + 1, ", (_") + 1; /* the next piece */
            if (col + next > width) {
                outfile_printf(o, "\\n");
                col = 0;
                lines++;
                if (p[1] == ' ')
                    p++;
            }
        }
    }
    outfile_printf(o, "\"");
    return lines;
}

/* A panel's width: wider for many categories. */
static size_t panel_width(const struct scenario *sc, const struct x_axis *x)
{
    if (x->numeric)
        return 560;
    size_t w = 120 * sc->sweeps[x->sweep].nvalues;
    return w < 700 ? 700 : w;
}

/* Whether a numeric axis of n values (at most MAX_VALUE_TICS) can have a
 * tic labelled at each value without two labels overlapping in a panel
 * panel_w pixels wide (about 7 pixels a character, 100 for the margins). */
#define MAX_VALUE_TICS 10
static bool numeric_tics_fit(const struct x_axis *x, size_t n, size_t panel_w)
{
    if (n > MAX_VALUE_TICS)
        return false;
    double width = (double)panel_w - 100;
    double span = x->log ? log(x->hi / x->lo) : x->hi - x->lo;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            if (i == j || x->v[j] < x->v[i])
                continue;
            char a[32], b[32];
            int la = snprintf(a, sizeof a, "%.6g", x->v[i]), lb = snprintf(b, sizeof b, "%.6g", x->v[j]);
            double gap = x->log ? log(x->v[j] / x->v[i]) : x->v[j] - x->v[i];
            if (gap / span * width < (la + lb) / 2.0 * 7 + 8)
                return false;
        }
    return true;
}

static size_t x_axis_script(struct outfile *o, const struct scenario *sc, const struct x_axis *x,
                          size_t panel_w)
{
    outfile_printf(o, "set xlabel ");
    gp_str(o, x->label);
    outfile_printf(o, " offset 0,0\nset xrange [%.9g:%.9g]\n", x->lo, x->hi);
    if (x->numeric) {
        outfile_printf(o, "%s", x->log ? "set logscale x\n" : "unset logscale x\n");
        const struct sc_sweep *w = &sc->sweeps[x->sweep];
        if (numeric_tics_fit(x, w->nvalues, panel_w)) { /* a tic at each value */
            outfile_printf(o, "set xtics (");
            for (size_t i = 0; i < w->nvalues; i++)
                outfile_printf(o, "%s\"%.6g\" %.9g", i ? ", " : "", x->v[i], x->v[i]);
            outfile_printf(o, ")\n");
        } else /* autofreq: a category axis drawn before in the same script set its own */
            outfile_printf(o, "set xtics autofreq\n");
        return 1;
    }
    const struct sc_sweep *w = &sc->sweeps[x->sweep];
    size_t width = (panel_w - 100) / (w->nvalues ? w->nvalues : 1) / 7;
    width = width < 8 ? 8 : width;
    outfile_printf(o, "unset logscale x\nset xtics (");
    size_t lines = 1;
    for (size_t i = 0; i < w->nvalues; i++) {
        outfile_printf(o, "%s", i ? ", " : "");
        size_t n = wrapped_label(o, x->cat[i], width);
        lines = n > lines ? n : lines;
        outfile_printf(o, " %zu", i);
    }
    /* the label goes below the longest wrapped tic label */
    outfile_printf(o, ")\nset xlabel offset 0,%d\n", -(int)(lines - 1));
    return lines;
}

/* ---- panels and series --------------------------------------------------- */

/* The sweeps other than x split into facets (a panel each) and series (a
 * line each in a panel): facets take the leading sweeps until the rest make
 * at most MAX_SERIES lines; a single sweep of more values is cut into
 * chunks of at most MAX_SERIES, a panel each. Data blocks are in (facet,
 * series) order. */
struct layout {
    size_t fdim[16], nf, sdim[16], ns;
    size_t ny, nsub;         /* columns drawn, combinations of the series sweeps */
    size_t nfacets, nseries; /* combinations; nseries = ny x nsub lines */
    size_t nchunks, chunk;   /* panels per facet, series per panel */
    size_t *panel, npanel;   /* the panels some run has data for */
};

static size_t sweep_index(const struct scenario *sc, size_t pt, size_t k)
{
    size_t stride = 1;
    for (size_t j = k + 1; j < sc->nsweeps; j++)
        stride *= sc->sweeps[j].nvalues;
    return pt / stride % sc->sweeps[k].nvalues;
}

static size_t mixed_index(const struct scenario *sc, size_t pt, const size_t *dims, size_t n)
{
    size_t idx = 0;
    for (size_t i = 0; i < n; i++)
        idx = idx * sc->sweeps[dims[i]].nvalues + sweep_index(sc, pt, dims[i]);
    return idx;
}

/* The layout for x: the facets fixed (ff, in that order), then, with
 * series given (sf), every other sweep joins the facets; without, the
 * other sweeps are split as above, ny lines (columns) per combination. */
static void layout_build(struct layout *L, const struct scenario *sc, size_t x, const size_t *ff,
                         size_t nff, const size_t *sf, size_t nsf, bool series_given, size_t ny)
{
    memset(L, 0, sizeof *L);
    L->ny = ny ? ny : 1;
    size_t other[16], n = 0;
    for (size_t k = 0; k < sc->nsweeps && n < 16; k++) {
        bool named = k == x;
        for (size_t i = 0; i < nff; i++)
            named |= ff[i] == k;
        for (size_t i = 0; i < nsf; i++)
            named |= sf[i] == k;
        if (!named && sc->sweeps[k].nvalues > 1)
            other[n++] = k;
    }
    size_t p = 0;
    if (series_given)
        p = n; /* the unnamed ones are facets */
    else
        for (;; p++) {
            size_t prod = L->ny;
            for (size_t i = p; i < n; i++)
                prod *= sc->sweeps[other[i]].nvalues;
            if (prod <= MAX_SERIES || p + 1 >= n)
                break;
        }
    if (n == 0)
        p = 0;
    L->nfacets = L->nsub = 1;
    for (size_t i = 0; i < nff && L->nf < 16; i++) {
        L->fdim[L->nf++] = ff[i];
        L->nfacets *= sc->sweeps[ff[i]].nvalues;
    }
    for (size_t i = 0; i < nsf && L->ns < 16; i++) {
        L->sdim[L->ns++] = sf[i];
        L->nsub *= sc->sweeps[sf[i]].nvalues;
    }
    for (size_t i = 0; i < n; i++) {
        if (i < p && L->nf < 16) {
            L->fdim[L->nf++] = other[i];
            L->nfacets *= sc->sweeps[other[i]].nvalues;
        } else if (L->ns < 16) {
            L->sdim[L->ns++] = other[i];
            L->nsub *= sc->sweeps[other[i]].nvalues;
        }
    }
    L->nseries = L->ny * L->nsub;
    L->nchunks = (L->nseries + MAX_SERIES - 1) / MAX_SERIES;
    L->chunk = (L->nseries + L->nchunks - 1) / L->nchunks;
}

static void layout_make(struct layout *L, const struct scenario *sc, size_t x)
{
    layout_build(L, sc, x, NULL, 0, NULL, 0, false, 1);
}

/* The data block (from 0) of point pt and column m. */
static size_t layout_block_m(const struct scenario *sc, const struct layout *L, size_t pt,
                             size_t m)
{
    return mixed_index(sc, pt, L->fdim, L->nf) * L->nseries + m * L->nsub +
           mixed_index(sc, pt, L->sdim, L->ns);
}

static size_t layout_block(const struct scenario *sc, const struct layout *L, size_t pt)
{
    return layout_block_m(sc, L, pt, 0);
}

/* A point whose block is blk (any value of x). */
static size_t layout_point_of(const struct scenario *sc, const struct layout *L, size_t blk)
{
    size_t np = scenario_npoints(sc);
    for (size_t pt = 0; pt < np; pt++)
        for (size_t m = 0; m < L->ny; m++)
            if (layout_block_m(sc, L, pt, m) == blk)
                return pt;
    return 0;
}

/* The panels that hold a run (with --runs some may not), into L->panel. */
static void layout_runs(struct layout *L, const struct report *rp)
{
    size_t n = L->nfacets * L->nchunks;
    L->panel = xmalloc((n ? n : 1) * sizeof *L->panel);
    L->npanel = 0;
    for (size_t p = 0; p < n; p++) {
        size_t f = p / L->nchunks, c = p % L->nchunks;
        size_t a = f * L->nseries + c * L->chunk, z = a + L->chunk;
        bool any = false;
        for (size_t b = 0; b < rp->nruns && !any; b = wr_point_end(rp, b))
            for (size_t m = 0; m < L->ny; m++) {
                size_t blk = layout_block_m(rp->sc, L, rp->runs[b].point, m);
                any |= blk >= a && blk < z && blk < (f + 1) * L->nseries;
            }
        if (any)
            L->panel[L->npanel++] = p;
    }
}

/* "name=value ..." of point pt over dims. */
static void dims_label(const struct scenario *sc, size_t pt, const size_t *dims, size_t n,
                       char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        int w = snprintf(out + len, size - len, "%s%s=%s", i ? " " : "", sc->sweeps[dims[i]].name,
                         sc->sweeps[dims[i]].values[sweep_index(sc, pt, dims[i])]);
        len += w > 0 ? (size_t)w : 0;
    }
}

/* The runs [*b, *e) of the sweep point of block blk (*b = rp->nruns when no
 * run has it, e.g. with --runs) and the block's label. */
static void block_runs(const struct report *rp, const struct layout *L, size_t blk, size_t *b,
                       size_t *e, char *label, size_t size)
{
    *b = 0;
    *e = 0;
    for (; *b < rp->nruns; *b = *e) {
        *e = wr_point_end(rp, *b);
        if (layout_block(rp->sc, L, rp->runs[*b].point) == blk)
            break;
    }
    dims_label(rp->sc, *b < rp->nruns ? rp->runs[*b].point : 0, L->sdim, L->ns, label, size);
}


/* The blocks [first, last] of panel p (facet p / nchunks, its chunk p %
 * nchunks), and its title (the facet's values, and which part). */
static void panel_blocks(const struct scenario *sc, const struct layout *L, size_t p,
                         size_t *first, size_t *last, char *title, size_t size)
{
    size_t f = p / L->nchunks, c = p % L->nchunks;
    *first = f * L->nseries + c * L->chunk;
    size_t end = f * L->nseries + (c + 1) * L->chunk;
    end = end > (f + 1) * L->nseries ? (f + 1) * L->nseries : end;
    *last = end - 1;
    dims_label(sc, layout_point_of(sc, L, *first), L->fdim, L->nf, title, size);
    if (L->nchunks > 1) {
        size_t len = strlen(title);
        snprintf(title + len, size - len, "%s(part %zu of %zu)", len ? " " : "", c + 1,
                 L->nchunks);
    }
}

static void panel_title(struct outfile *o, const char *t)
{
    outfile_printf(o, "set title ");
    gp_str(o, t);
    outfile_printf(o, "\n");
}

/* The grid of panels: rows x cols for npanels of nmetrics each. */
static void grid_of(size_t nmetrics, size_t npanels, size_t *rows, size_t *cols)
{
    if (nmetrics > 1) {
        *rows = nmetrics;
        *cols = npanels;
        return;
    }
    *cols = npanels <= 3 ? npanels : (size_t)ceil(sqrt((double)npanels));
    *rows = (npanels + *cols - 1) / *cols;
}

/* gnuplot cannot scale an axis whose values are all zero. */
static bool any_failed_rows(const struct report *rp)
{
    const struct summary_metric *m = columns_summary_metric("failed_ratio");
    for (size_t i = 0; i < rp->nruns; i++)
        if (m->get(&rp->runs[i]) > 0)
            return true;
    return false;
}

/* The key's entries: one per line of a panel (none when the lines need
 * no names), and the width gnuplot gives each column of it in pixels
 * (about 7.5 a character of the longest title, and 8 characters for the
 * sample and the gaps). */
static size_t key_entries(const struct scenario *sc, const struct layout *L, double *entry_px)
{
    *entry_px = 0;
    if (L->ns == 0 && L->ny <= 1)
        return 0;
    size_t maxlen = 0, np = scenario_npoints(sc);
    for (size_t pt = 0; pt < np; pt++) {
        char label[256];
        dims_label(sc, pt, L->sdim, L->ns, label, sizeof label);
        maxlen = strlen(label) > maxlen ? strlen(label) : maxlen;
    }
    maxlen += L->ny > 1 ? 24 : 0; /* the column's name before it */
    *entry_px = (double)(maxlen + 8) * 7.5;
    return L->chunk < L->nseries ? L->chunk : L->nseries;
}

#define KEY_ROWS 4 /* a wider panel rather than more rows of key below it */
#define KEY_MARGINS 110 /* pixels of a panel beside its plot: the y axis's labels */

/* A panel's width: base, or wider (up to 1200 pixels) so that its key
 * fits in KEY_ROWS rows (a key of many long entries in one column took
 * 40% of the image's height). */
static size_t key_panel_width(const struct scenario *sc, const struct layout *L, size_t base)
{
    double px;
    size_t n = key_entries(sc, L, &px);
    if (n <= KEY_ROWS)
        return base;
    double need = ceil((double)n / KEY_ROWS) * px + KEY_MARGINS;
    need = need > 1200 ? 1200 : need;
    return need > (double)base ? (size_t)need : base;
}

/* The bottom margin of a row of panels, in character heights: the tic
 * labels (tic_lines high), the axis label and, with key, the key below
 * them (in as many columns as fit in a panel). gnuplot itself leaves too
 * little, and the key would cover the axis label. */
static void bottom_margin(struct outfile *o, const struct scenario *sc, const struct layout *L,
                          size_t panel_w, size_t tic_lines, bool key, size_t extra)
{
    size_t rows = 0;
    double px = 0;
    size_t n = key ? key_entries(sc, L, &px) + extra : 0; /* extra: e.g. "theory" */
    if (px == 0)
        px = (6 + 8) * 7.5; /* "theory" alone: its name, sample and gaps */
    if (n > 0) {
        size_t cols = (size_t)(((double)panel_w - KEY_MARGINS) / px);
        cols = cols < 1 ? 1 : cols > n ? n : cols;
        rows = (n + cols - 1) / cols;
        cols = (n + rows - 1) / rows; /* as few columns as those rows need */
        outfile_printf(o, "set key maxcols %zu maxrows %zu\n", cols, rows);
    }
    outfile_printf(o, "set bmargin %zu\n", tic_lines + rows + (rows ? 3 : 2));
}

/* ---- latency_cdf -------------------------------------------------------- */

void plots_cdf_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    struct layout L;
    layout_make(&L, rp->sc, NO_SWEEP);
    *nblocks = 0;
    size_t nb = L.nfacets * L.nseries;
    for (size_t blk = 0; blk < nb; blk++) {
        size_t b, e;
        char label[256];
        block_runs(rp, &L, blk, &b, &e, label, sizeof label);
        outfile_printf(o, "%s\"%s\" \"cdf\"\n", *nblocks ? "\n\n" : "",
                       label[0] ? label : "all runs");
        (*nblocks)++;
        if (b >= rp->nruns) {
            outfile_printf(o, "nan nan\n");
            continue;
        }
        struct hist *pool = wr_pooled(rp, b, e);
        uint64_t total = hist_count(pool), seen = 0;
        size_t it = 0, idx;
        uint64_t cnt;
        if (total == 0)
            outfile_printf(o, "nan nan\n");
        while (hist_next_bucket(pool, &it, &idx, &cnt)) {
            int64_t lo, hi;
            hist_bucket_bounds(idx, &lo, &hi);
            if (seen == 0) /* the step up starts from 0 (and the x range is never empty) */
                outfile_printf(o, "%.9g 0\n",
                               (lo > 0 ? (double)lo : ((double)hi + 1) / 2) / NS_PER_MS);
            seen += cnt;
            outfile_printf(o, "%.9g %.9g\n", ((double)hi + 1) / NS_PER_MS,
                           (double)seen / (double)total);
        }
        hist_free(pool);
    }
}

void plots_cdf_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    (void)nblocks;
    struct layout L;
    layout_make(&L, rp->sc, NO_SWEEP);
    layout_runs(&L, rp);
    size_t np = L.npanel, rows, cols;
    grid_of(1, np, &rows, &cols);
    outfile_printf(o, "# Latency CDF per sweep point, pooled over replications; the dotted\n"
                      "# lines mark the median (p50) and the 99th percentile (p99).\n"
                      "# Redraw with: sdsim plot DIR (or: gnuplot latency_cdf.gp in DIR)\n");
    size_t pw = key_panel_width(rp->sc, &L, 620);
    plot_begin(o, rp->sc, "latency_cdf.png", rows, cols, pw, 460);
    bottom_margin(o, rp->sc, &L, pw, 1, true, 0);
    outfile_printf(o, "set xlabel 'end-to-end latency (ms)'\n"
                      "set ylabel 'fraction of requests at or below'\n"
                      "set logscale x\n"
                      "set format x '%%g'\n"
                      "set yrange [0:1]\n"
                      "set ytics 0.1\n"
                      "set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lc rgb '#555555'\n"
                      "set arrow 2 from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 3 lc rgb '#555555'\n"
                      "set label 1 'p50' at graph 0.01, first 0.53\n"
                      "set label 2 'p99' at graph 0.01, first 0.955\n");
    for (size_t pi = 0; pi < np; pi++) {
        size_t p = L.panel[pi];
        size_t a, z;
        char t[256];
        panel_blocks(rp->sc, &L, p, &a, &z, t, sizeof t);
        panel_title(o, t);
        outfile_printf(o,
                       "plot for [i=%zu:%zu] 'latency_cdf.dat' index i using 1:2 with steps "
                       "lt (i-%zu+1) title columnheader(1)\n",
                       a, z, a);
    }
    outfile_printf(o, "unset multiplot\n");
    free(L.panel);
}

/* ---- against a sweep variable ------------------------------------------- */

/* The x sweep: [sim] plot_x, or the first. */
static size_t x_sweep(const struct report *rp)
{
    for (size_t k = 0; rp->plot_x && k < rp->sc->nsweeps; k++)
        if (strcmp(rp->sc->sweeps[k].name, rp->plot_x) == 0)
            return k;
    return 0;
}

/* One row of a sweep data file: x (the value as a number, or its index
 * when the sweep is not numeric), then the groups; column is the block's
 * own column. */
static void sweep_row(struct outfile *o, const struct report *rp, const struct x_axis *x,
                      size_t b, size_t e, const struct dat_group *g, size_t ng,
                      const char *column)
{
    const struct scenario *sc = rp->sc;
    size_t pt = rp->runs[b].point;
    const char *xv = scenario_sweep_value(sc, pt, x->sweep);
    outfile_printf(o, "%.9g", x->v[sweep_index(sc, pt, x->sweep)]);
    const struct theory_model *tm = NULL;
    struct theory_model scratch;
    for (size_t i = 0; i < ng; i++) {
        if (!g[i].metric) {
            outfile_printf(o, " \"%s\"", xv);
            continue;
        }
        if (g[i].theory) {
            if (!tm)
                tm = theory_apply_memo(rp->theory, sc, pt, &scratch);
            const char *method;
            outfile_printf(o, " %.9g",
                           theory_apply_value(tm, g[i].metric[0] ? g[i].metric : column, &method));
            continue;
        }
        struct ci ci;
        double value;
        wr_column_ci(rp, b, e, g[i].metric[0] ? g[i].metric : column, &ci, &value);
        plot_triple(o, value, &ci);
    }
    outfile_printf(o, "\n");
}

/* One block per (facet, series), rows along x in its order. Returns the
 * number of blocks written. */
static size_t sweep_blocks(struct outfile *o, const struct report *rp, const struct dat_group *g,
                           size_t ng, const char *column, size_t nblocks)
{
    const struct scenario *sc = rp->sc;
    struct layout L;
    size_t xs = x_sweep(rp);
    layout_make(&L, sc, xs);
    struct x_axis x;
    x_axis_make(&x, sc, xs);
    size_t nb = L.nfacets * L.nseries;
    for (size_t blk = 0; blk < nb; blk++) {
        char label[256];
        dims_label(sc, layout_point_of(sc, &L, blk), L.sdim, L.ns, label, sizeof label);
        outfile_printf(o, "%s\"%s\"", nblocks + blk ? "\n\n" : "", label);
        dat_header(o, g, ng);
        for (size_t xi = 0; xi < sc->sweeps[xs].nvalues; xi++)
            for (size_t b = 0, e; b < rp->nruns; b = e) {
                e = wr_point_end(rp, b);
                size_t pt = rp->runs[b].point;
                if (layout_block(sc, &L, pt) == blk && sweep_index(sc, pt, xs) == xi)
                    sweep_row(o, rp, &x, b, e, g, ng, column);
            }
    }
    x_axis_free(&x);
    return nb;
}

void plots_sweep_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = sweep_blocks(o, rp, sweep_groups, NSWEEP_GROUPS, NULL, 0);
}

/* The smallest and the largest of a metric's values and interval bounds
 * over the sweep points (0 and 0 when it has none). */
static void metric_span(const struct report *rp, const char *metric, double *lo, double *hi)
{
    *lo = (double)INFINITY;
    *hi = -(double)INFINITY;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct ci ci;
        double v;
        wr_column_ci(rp, b, e, metric, &ci, &v);
        double c[3] = {v, ci.lo, ci.hi};
        for (size_t i = 0; i < 3; i++) {
            if (c[i] < *lo)
                *lo = c[i];
            if (c[i] > *hi)
                *hi = c[i];
        }
    }
    if (isinf(*lo) || isinf(*hi))
        *lo = *hi = 0;
}

/* The checked model of every sweep point run (in the order of rp->runs);
 * *n gets their number. Caller frees. */
static struct theory_model *theory_points(const struct report *rp, size_t *n)
{
    *n = 0;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b))
        (*n)++;
    struct theory_model *tm = xcalloc(*n + 1, sizeof *tm);
    size_t i = 0;
    for (size_t b = 0; b < rp->nruns; b = wr_point_end(rp, b), i++)
        tm[i] = *theory_apply_memo(rp->theory, rp->sc, rp->runs[b].point, &tm[i]);
    return tm;
}

/* Widens [lo, hi] to the theory of metric at every sweep point (tm[0,
 * n)); false when no point has one. */
static bool theory_span(const struct theory_model *tm, size_t n, const char *metric, double *lo,
                        double *hi)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const char *method;
        double v = theory_apply_value(&tm[i], metric, &method);
        if (isnan(v))
            continue;
        if (!any && *lo == 0 && *hi == 0) /* metric_span's "no values" */
            *lo = *hi = v;
        any = true;
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
    return any;
}

/* One panel row: metric (column c of file) against x in every panel. With
 * categories, points with error bars (each series a little apart so the
 * bars do not hide each other); with numbers, lines through them. tc, when
 * not 0, is the column of the metric's theory: a thin dashed line of each
 * series' colour (a cross at each category), one key entry "theory". */
static void row_panels(struct outfile *o, const struct report *rp, const struct layout *L,
                       const struct x_axis *x, const char *file, size_t c, const char *scale,
                       const char *metric, const char *label, size_t blk0, size_t panel_w,
                       double lo, double hi, size_t tc)
{
    y_axis(o, label, metric, lo, hi, strcmp(scale, "*100") == 0 ? 100 : 1);
    bottom_margin(o, rp->sc, L, panel_w, x_axis_script(o, rp->sc, x, panel_w), true, tc ? 1 : 0);
    for (size_t pi = 0; pi < L->npanel; pi++) {
        size_t p = L->panel[pi];
        size_t a, z;
        char t[256];
        panel_blocks(rp->sc, L, p, &a, &z, t, sizeof t);
        panel_title(o, t);
        char xs[96];
        if (x->numeric)
            snprintf(xs, sizeof xs, "1");
        else
            snprintf(xs, sizeof xs, "($1+(i-%zu-%g)*0.07)", a + blk0, (double)(z - a) / 2);
        outfile_printf(o,
                       "plot for [i=%zu:%zu] '%s' index i using %s:($%zu%s):($%zu%s):($%zu%s) "
                       "with %s lt (i-%zu+1)%s title columnheader(1)",
                       a + blk0, z + blk0, file, xs, c, scale, c + 1, scale, c + 2, scale,
                       x->numeric ? "yerrorlines" : "yerrorbars", a + blk0,
                       x->numeric ? "" : " dt 1");
        if (tc)
            outfile_printf(o,
                           ", \\\n     for [i=%zu:%zu] '%s' index i using %s:($%zu%s) with %s "
                           "lt (i-%zu+1) %s title (i == %zu ? 'theory' : '')",
                           a + blk0, z + blk0, file, xs, tc, scale,
                           x->numeric ? "lines" : "points", a + blk0,
                           x->numeric ? "lw 1.5 dt (8,5)" : "pt 2 ps 1.6", a + blk0);
        outfile_printf(o, "\n");
    }
}

/* row_panels over the span of metric (its unit and range); with the
 * metric's theory (column tc of file, 0: none) where some point has one. */
static void sweep_row_panels(struct outfile *o, const struct report *rp, const struct layout *L,
                             const struct x_axis *x, const char *file, size_t c,
                             const char *scale, const char *metric, const char *label,
                             size_t blk0, size_t panel_w, size_t tc,
                             const struct theory_model *tm, size_t ntm)
{
    double lo, hi;
    metric_span(rp, metric, &lo, &hi);
    if (tc && !theory_span(tm, ntm, metric, &lo, &hi))
        tc = 0;
    row_panels(o, rp, L, x, file, c, scale, metric, label, blk0, panel_w, lo, hi, tc);
}

void plots_sweep_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    (void)nblocks;
    struct layout L;
    size_t xs = x_sweep(rp);
    layout_make(&L, rp->sc, xs);
    struct x_axis x;
    x_axis_make(&x, rp->sc, xs);
    layout_runs(&L, rp);
    size_t np = L.npanel;
    size_t pw = key_panel_width(rp->sc, &L, panel_width(rp->sc, &x));
    outfile_printf(o, "# p50 and p99 end-to-end latency (and, with failures, the p99 of every\n"
                      "# finished request), throughput and failures against the\n"
                      "# sweep variable '%s'; the other sweeps are the lines (and panels).\n"
                      "# Error bars: 95%% CIs across replications (none with repeat = 1).\n",
                   rp->sc->sweeps[xs].name);
    /* With failures, the latency of successes alone hides what the failed
     * requests waited (a timeout's full wait, a retry's backoff): a third
     * row draws the p99 of every finished request. */
    bool failed = any_failed_rows(rp);
    size_t ntm;
    struct theory_model *tm = theory_points(rp, &ntm);
    plot_begin(o, rp->sc, "sweep_latency.png", failed ? 3 : 2, np, pw, 440);
    sweep_row_panels(o, rp, &L, &x, "sweep_latency.dat",
                     dat_col(sweep_groups, NSWEEP_GROUPS, "latency_p50_ms"), "",
                     "latency_p50_ms", failed ? "p50 latency, successes" : "p50 end-to-end latency",
                     0, pw, dat_theory_col(sweep_groups, NSWEEP_GROUPS, "latency_p50_ms"), tm,
                     ntm);
    sweep_row_panels(o, rp, &L, &x, "sweep_latency.dat",
                     dat_col(sweep_groups, NSWEEP_GROUPS, "latency_p99_ms"), "",
                     "latency_p99_ms", failed ? "p99 latency, successes" : "p99 end-to-end latency",
                     0, pw, dat_theory_col(sweep_groups, NSWEEP_GROUPS, "latency_p99_ms"), tm,
                     ntm);
    if (failed)
        sweep_row_panels(o, rp, &L, &x, "sweep_latency.dat",
                         dat_col(sweep_groups, NSWEEP_GROUPS, "latency_all_p99_ms"), "",
                         "latency_all_p99_ms", "p99 latency, all finished", 0, pw,
                         dat_theory_col(sweep_groups, NSWEEP_GROUPS, "latency_all_p99_ms"), tm,
                         ntm);
    free(tm);
    outfile_printf(o, "unset multiplot\n");
    plot_begin(o, rp->sc, "sweep_throughput.png", any_failed_rows(rp) ? 2 : 1, np, pw, 440);
    sweep_row_panels(o, rp, &L, &x, "sweep_latency.dat",
                     dat_col(sweep_groups, NSWEEP_GROUPS, "throughput_rps"), "",
                     "throughput_rps", "throughput", 0, pw, 0, NULL, 0);
    if (any_failed_rows(rp))
        sweep_row_panels(o, rp, &L, &x, "sweep_latency.dat",
                         dat_col(sweep_groups, NSWEEP_GROUPS, "failed_ratio"), "*100",
                         "failed_ratio", "failed requests", 0, pw, 0, NULL, 0);
    outfile_printf(o, "unset multiplot\n");
    x_axis_free(&x);
    free(L.panel);
}

/* ---- sweep_metrics: chosen runs.csv columns against the x sweep -------- */

/* Splits rp->plot into the columns some run has (a summary metric or a
 * kind's extra metric), at most REPORT_PLOT_MAX, and the first one none
 * has (into unknown, "" if none). */
size_t plots_split(const struct report *rp, struct plot_cols *pc, char *unknown, size_t size)
{
    const char **xn;
    size_t nx = wr_extra_names(rp, &xn);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", rp->plot ? rp->plot : "");
    unknown[0] = '\0';
    pc->n = 0;
    for (char *save, *t = strtok_r(buf, ", \t", &save); t && pc->n < REPORT_PLOT_MAX;
         t = strtok_r(NULL, ", \t", &save)) {
        bool known = columns_summary_metric(t) != NULL;
        for (size_t k = 0; k < nx; k++)
            known |= strcmp(xn[k], t) == 0;
        if (known)
            snprintf(pc->names[pc->n++], sizeof pc->names[0], "%s", t);
        else if (!unknown[0])
            snprintf(unknown, size, "%s", t);
    }
    free(xn);
    return pc->n;
}

/* For each column, one block per (facet, series); pc->first[k] is the
 * index of column k's first block, first[n] the number of blocks. */
void plots_metrics_data(struct outfile *o, const struct report *rp, struct plot_cols *pc)
{
    size_t nblocks = 0;
    for (size_t k = 0; k < pc->n; k++) {
        pc->first[k] = nblocks;
        nblocks += sweep_blocks(o, rp, metrics_groups, NMETRICS_GROUPS, pc->names[k], nblocks);
    }
    pc->first[pc->n] = nblocks;
}

void plots_metrics_script(struct outfile *o, const struct report *rp, const struct plot_cols *pc)
{
    struct layout L;
    size_t xs = x_sweep(rp);
    layout_make(&L, rp->sc, xs);
    struct x_axis x;
    x_axis_make(&x, rp->sc, xs);
    size_t c = dat_col(metrics_groups, NMETRICS_GROUPS, ""), rows, cols;
    layout_runs(&L, rp);
    size_t np = L.npanel;
    size_t pw = key_panel_width(rp->sc, &L, panel_width(rp->sc, &x));
    grid_of(1, np, &rows, &cols);
    size_t ntm;
    struct theory_model *tm = theory_points(rp, &ntm);
    outfile_printf(o, "# The runs.csv columns named by [sim] plot against the sweep variable\n"
                      "# '%s': the mean over replications with its 95%% CI (sweep_metrics.dat);\n"
                      "# the other sweeps are the lines (and panels).\n",
                   rp->sc->sweeps[xs].name);
    for (size_t k = 0; k < pc->n; k++) {
        if (pc->first[k + 1] == pc->first[k])
            continue;
        char png[96];
        snprintf(png, sizeof png, "sweep_%s.png", pc->names[k]);
        plot_begin(o, rp->sc, png, rows, cols, pw, 440);
        sweep_row_panels(o, rp, &L, &x, "sweep_metrics.dat", c, "", pc->names[k], pc->names[k],
                         pc->first[k], pw, dat_theory_col(metrics_groups, NMETRICS_GROUPS, ""),
                         tm, ntm);
        outfile_printf(o, "unset multiplot\n");
    }
    free(tm);
    x_axis_free(&x);
    free(L.panel);
}

/* ---- timeseries --------------------------------------------------------- */

/* Panels of more lines than this draw no bands: theirs would overlap. */
#define TS_BAND_MAX_LINES 2
/* The most consumers groups whose publish -> processed gets a row. */
#define TS_E2E_MAX 3
/* The most caps drawn on a panel of bytes held (one per distinct value). */
#define TS_CAPS_MAX 4

/* The mean of one time slot's values over the replications (NaN when
 * none has one) and the band drawn around it: with 3 or more values the
 * 95% Student t interval of the mean, with 2 their min..max (an interval
 * from 2 values is too wide to read), with 1 none (lo = hi = the value). */
static void ts_band(const double *v, size_t n, double *mean, double *lo, double *hi)
{
    if (n == 0) {
        *mean = *lo = *hi = (double)NAN;
        return;
    }
    if (n >= 3) {
        struct ci ci;
        stats_ci95(v, n, &ci);
        *mean = ci.mean;
        *lo = ci.lo;
        *hi = ci.hi;
        return;
    }
    double sum = 0;
    *lo = *hi = v[0];
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
    *mean = sum / (double)n;
}

/* timeseries.dat: per sweep point the mean over its replications of each
 * interval (NaN where no replication had a value), one block each, in
 * (facet, series) order. Columns: t_s, then the time-series names of all
 * runs (wr_ts_names), then for each name the band drawn around its line
 * (ts_band), "NAME.lo" and "NAME.hi". */
void plots_ts_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    struct layout L;
    layout_make(&L, rp->sc, NO_SWEEP);
    *nblocks = 0;
    const char **names;
    size_t nn = wr_ts_names(rp, &names); /* every block has these columns */
    size_t nb = L.nfacets * L.nseries;
    /* per run, the column of each name (ts_ncols: none) */
    size_t *map = xmalloc((rp->nruns ? rp->nruns : 1) * (nn ? nn : 1) * sizeof *map);
    for (size_t r = 0; r < rp->nruns; r++)
        for (size_t j = 0; j < nn; j++) {
            const struct run_result *run = &rp->runs[r];
            size_t c = 0;
            while (c < run->ts_ncols && strcmp(run->ts_names[c], names[j]) != 0)
                c++;
            map[r * nn + j] = c;
        }
    double *mean = xmalloc((nn + 1) * sizeof *mean), *lo = xmalloc((nn + 1) * sizeof *lo),
           *hi = xmalloc((nn + 1) * sizeof *hi);
    double *vals = xmalloc((rp->nruns ? rp->nruns : 1) * sizeof *vals);
    for (size_t blk = 0; blk < nb; blk++) {
        size_t b, e;
        char label[256];
        block_runs(rp, &L, blk, &b, &e, label, sizeof label);
        outfile_printf(o, "%s\"%s\"", *nblocks ? "\n\n" : "", label[0] ? label : "all runs");
        for (size_t j = 0; j < nn; j++)
            outfile_printf(o, " \"%s\"", names[j]);
        for (size_t j = 0; j < nn; j++)
            outfile_printf(o, " \"%s.lo\" \"%s.hi\"", names[j], names[j]);
        outfile_printf(o, "\n");
        (*nblocks)++;
        size_t nrows = 0;
        for (size_t r = b; r < e; r++)
            nrows = rp->runs[r].ts_nrows > nrows ? rp->runs[r].ts_nrows : nrows;
        if (nrows == 0)
            outfile_printf(o, "nan\n");
        for (size_t k = 0; k < nrows; k++) {
            for (size_t j = 0; j <= nn; j++) {
                size_t n = 0;
                for (size_t r = b; r < e; r++) {
                    const struct run_result *run = &rp->runs[r];
                    if (k >= run->ts_nrows)
                        continue;
                    const double *row = run->ts_rows + k * (1 + run->ts_ncols);
                    size_t c = j ? map[r * nn + j - 1] : 0;
                    if (j && c == run->ts_ncols)
                        continue;
                    double v = j ? row[1 + c] : row[0];
                    if (!isnan(v))
                        vals[n++] = v;
                }
                ts_band(vals, n, &mean[j], &lo[j], &hi[j]);
            }
            for (size_t j = 0; j <= nn; j++)
                outfile_printf(o, j ? " %.9g" : "%.9g", mean[j]);
            for (size_t j = 1; j <= nn; j++)
                outfile_printf(o, " %.9g %.9g", lo[j], hi[j]);
            outfile_printf(o, "\n");
        }
    }
    free(mean);
    free(lo);
    free(hi);
    free(vals);
    free(map);
    free(names);
}

/* The timeseries.dat column (from 1; 1 is t_s) of the series name. */
static size_t ts_col(const char *const *names, size_t nn, const char *name)
{
    for (size_t j = 0; j < nn; j++)
        if (strcmp(names[j], name) == 0)
            return j + 2;
    assert(0 && "a time series without the whole run's columns");
    return 0;
}

/* The smallest and the largest value of a time-series column over every
 * run (0 and 0 when it has none), and whether it ever changes. */
static bool ts_span(const struct report *rp, const char *name, double *lo, double *hi)
{
    *lo = (double)INFINITY;
    *hi = -(double)INFINITY;
    double first = (double)NAN;
    bool varies = false;
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        size_t c = 0;
        while (c < r->ts_ncols && strcmp(r->ts_names[c], name) != 0)
            c++;
        if (c == r->ts_ncols)
            continue;
        for (size_t k = 0; k < r->ts_nrows; k++) {
            double v = r->ts_rows[k * (1 + r->ts_ncols) + 1 + c];
            if (isnan(v))
                continue;
            if (isnan(first))
                first = v;
            varies |= v != first;
            if (v < *lo)
                *lo = v;
            if (v > *hi)
                *hi = v;
        }
    }
    if (isinf(*lo))
        *lo = 0;
    if (isinf(*hi))
        *hi = 0;
    return varies;
}

/* The component levels worth a panel of their own: rate limiters' admitted
 * rates, write-behind queues, queues, replicas in rotation (else replicas)
 * and breaker states that change during some run, at most max, in that
 * order. */
static size_t ts_levels(const struct report *rp, const char **names, size_t nn,
                        const char **out, size_t max)
{
    static const char *const kinds[] = {".admitted_rps", ".wb_queue", ".queue", ".bytes_held",
                                        ".in_rotation", ".replicas", ".breaker_state"};
    size_t n = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t j = 0; j < nn && n < max; j++) {
            const char *dot = strrchr(names[j], '.');
            if (!dot || strcmp(dot, kinds[k]) != 0)
                continue;
            if (k == 5) { /* replicas: not when in_rotation of it is already shown */
                size_t len = (size_t)(dot - names[j]) + 1; /* "COMPONENT." */
                bool shown = false;
                for (size_t i = 0; i < n; i++)
                    shown |= strncmp(out[i], names[j], len) == 0 &&
                             strcmp(out[i] + len, "in_rotation") == 0;
                if (shown)
                    continue;
            }
            double lo, hi;
            if (ts_span(rp, names[j], &lo, &hi))
                out[n++] = names[j];
        }
    return n;
}

/* The distinct values of a time-series column over every run, at most
 * max, ascending (a queue's bytes_cap: one per sweep point at most). */
static size_t ts_distinct(const struct report *rp, const char *name, double *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        size_t c = 0;
        while (c < r->ts_ncols && strcmp(r->ts_names[c], name) != 0)
            c++;
        for (size_t k = 0; c < r->ts_ncols && k < r->ts_nrows; k++) {
            double v = r->ts_rows[k * (1 + r->ts_ncols) + 1 + c];
            size_t j = 0;
            while (j < n && out[j] < v)
                j++;
            if (isnan(v) || (j < n && out[j] == v) || n == max)
                continue;
            memmove(out + j + 1, out + j, (n - j) * sizeof *out);
            out[j] = v;
            n++;
        }
    }
    return n;
}

/* True when every client publishes to a [queue] without a reply queue
 * (`to` names it): its requests end at the broker's ack, so their latency
 * is the broker's, not the messages' (a `to` with a sweep or a list is not
 * one). */
static bool only_publishers(const struct scenario *sc)
{
    size_t nclients = 0;
    for (size_t i = 0; i < sc->nsections; i++) {
        const struct sc_section *s = &sc->sections[i];
        if (strcmp(s->kind, "client") != 0)
            continue;
        nclients++;
        const struct sc_entry *to = sc_find_entry(s, "to");
        const struct sc_section *q =
            to ? sc_find_section(sc->sections, sc->nsections, to->value) : NULL;
        if (!q || strcmp(q->kind, "queue") != 0)
            return false;
        const struct sc_entry *reply = sc_find_entry(q, "reply");
        if (reply && reply->value[0])
            return false;
    }
    return nclients > 0;
}

/* Panels over time, rows: throughput, failures (when there are any), p99
 * latency of the requests (not when every client only publishes to a
 * queue: that is the broker's ack), each consumers group's p99 publish ->
 * processed (TS_E2E_MAX groups at most), and the component levels that
 * change (ts_levels); columns: facets. */
void plots_ts_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    (void)nblocks;
    const struct run_result *r0 = &rp->runs[0];
    const char **names;
    size_t nn = wr_ts_names(rp, &names); /* the columns of timeseries.dat */
    struct layout L;
    layout_make(&L, rp->sc, NO_SWEEP);
    const char *levels[3];
    size_t nlev = ts_levels(rp, names, nn, levels, 3);
    /* the consumers groups' publish -> processed, in component order */
    const char *e2e[TS_E2E_MAX];
    char e2e_label[TS_E2E_MAX][200];
    size_t ne2e = 0;
    for (size_t j = 0; j < nn && ne2e < TS_E2E_MAX; j++) {
        const char *dot = strrchr(names[j], '.');
        if (!dot || strcmp(dot, ".e2e_p99_ms") != 0)
            continue;
        snprintf(e2e_label[ne2e], sizeof e2e_label[ne2e], "%.*s: p99 publish -> processed",
                 (int)(dot - names[j]), names[j]);
        e2e[ne2e++] = names[j];
    }
    struct {
        const char *name, *label;
    } rows[3 + TS_E2E_MAX + 3] = {{"throughput_rps", "completed requests"},
                                  {"failed_rps", "failed requests"},
                                  {"latency_p99_ms", ne2e ? "clients' p99 request latency"
                                                          : "p99 end-to-end latency"}};
    bool publish_only = ne2e && only_publishers(rp->sc);
    size_t nrows = 0;
    for (size_t k = 0; k < 3; k++) { /* not a row of zeros (no failures) */
        double lo, hi;
        ts_span(rp, rows[k].name, &lo, &hi);
        if (hi > 0 && !(k == 2 && publish_only))
            rows[nrows++] = rows[k];
    }
    for (size_t i = 0; i < ne2e; i++, nrows++) {
        rows[nrows].name = e2e[i];
        rows[nrows].label = e2e_label[i];
    }
    size_t nbase = nrows;
    for (size_t i = 0; i < nlev; i++, nrows++)
        rows[nrows].name = rows[nrows].label = levels[i];
    layout_runs(&L, rp);
    size_t np = L.npanel;
    /* a band when some sweep point has 2 or more replications; a level's
     * band is a box per slot, [t, t + dt] as the steps draw it */
    bool band = false;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        band |= e - b >= 2;
    }
    double dt = r0->ts_nrows >= 2 ? r0->ts_rows[1 + r0->ts_ncols] - r0->ts_rows[0] : 0, tmax = 0;
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        if (r->ts_nrows && r->ts_rows[(r->ts_nrows - 1) * (1 + r->ts_ncols)] > tmax)
            tmax = r->ts_rows[(r->ts_nrows - 1) * (1 + r->ts_ncols)];
    }
    outfile_printf(o, "# Over time: the mean over replications of each sweep point\n"
                      "# (timeseries.dat); shaded: scheduled faults.%s\n",
                   band ? "\n# Bands (panels of at most 2 lines): per time slot the 95% t interval\n"
                          "# of the mean with 3 or more replications, min..max with 2."
                        : "");
    size_t pw = key_panel_width(rp->sc, &L, 620);
    plot_begin(o, rp->sc, "timeseries.png", nrows ? nrows : 1, np, pw, 360);
    /* a slot without a value (no request finished in it: no p99) is a gap:
     * as missing data gnuplot would draw a line across the whole outage */
    outfile_printf(o, "unset datafile missing\n");
    for (size_t i = 0; i < r0->nspans; i++)
        outfile_printf(o, "set object %zu rect from %.9g, graph 0 to %.9g, graph 1 behind "
                          "fc rgb 'gray85' fs solid 0.6 noborder\n",
                       i + 1, r0->spans[i].from_s, r0->spans[i].to_s);
    outfile_printf(o, "set xlabel 'simulated time (s)'\nset xrange [0:*]\n");
    for (size_t k = 0; k < nrows; k++) {
        double lo, hi;
        ts_span(rp, rows[k].name, &lo, &hi);
        bool level = k >= nbase;
        /* a limiter's admitted rate: its limit as a dashed line */
        const char *dot = strrchr(rows[k].name, '.');
        double limit = 0, limit_lo;
        if (level && dot && strcmp(dot, ".admitted_rps") == 0) {
            char lname[256];
            snprintf(lname, sizeof lname, "%.*s.limit_rps", (int)(dot - rows[k].name),
                     rows[k].name);
            ts_span(rp, lname, &limit_lo, &limit);
            if (limit > hi)
                hi = limit;
        }
        /* a queue's bytes held: each sweep point's cap (capacity_bytes
         * times the partitions) as a dashed line */
        double caps[TS_CAPS_MAX];
        size_t ncaps = 0;
        bool bytes = level && dot && strcmp(dot, ".bytes_held") == 0;
        if (bytes) {
            char cname[256];
            snprintf(cname, sizeof cname, "%.*s.bytes_cap", (int)(dot - rows[k].name),
                     rows[k].name);
            ncaps = ts_distinct(rp, cname, caps, TS_CAPS_MAX);
            if (ncaps && caps[ncaps - 1] > hi)
                hi = caps[ncaps - 1];
        }
        y_axis(o, rows[k].label, rows[k].name, level ? 0 : lo, hi, 1);
        if (bytes) /* 64 MB, not 6.4e+07 */
            outfile_printf(o, "set format y '%%.0s %%cB'\n");
        if (limit > 0)
            outfile_printf(o, "set arrow 99 from graph 0, first %.9g to graph 1, first %.9g "
                              "nohead dt 2 lw 2 lc rgb 'black' front\n"
                              "set label 99 'limit' at graph 0.01, first %.9g offset 0, 0.6 front\n",
                           limit, limit, limit);
        for (size_t i = 0; i < ncaps; i++)
            outfile_printf(o, "set arrow %zu from graph 0, first %.9g to graph 1, first %.9g "
                              "nohead dt 2 lw 2 lc rgb 'black' front\n"
                              "set label %zu 'cap %.4g MB' at graph 0.01, first %.9g offset 0, 0.6 "
                              "front\n",
                           90 + i, caps[i], caps[i], 90 + i, caps[i] / 1e6, caps[i]);
        if (k == 1) /* every row has the same lines: the first row's key names them */
            outfile_printf(o, "set key off\n");
        if (k <= 1)
            bottom_margin(o, rp->sc, &L, pw, 1, k == 0, 0);
        for (size_t pi = 0; pi < np; pi++) {
            size_t p = L.panel[pi];
            size_t a, z;
            char t[256];
            panel_blocks(rp->sc, &L, p, &a, &z, t, sizeof t);
            panel_title(o, t);
            size_t c = ts_col(names, nn, rows[k].name), cl = nn + 2 + 2 * (c - 2);
            /* more lines' bands pile into one grey mass that hides them */
            bool pband = band && z - a + 1 <= TS_BAND_MAX_LINES;
            outfile_printf(o, "plot ");
            if (pband && level)
                outfile_printf(o,
                               "for [i=%zu:%zu] 'timeseries.dat' index i using 1:(($%zu+$%zu)/2):1:"
                               "($1+%.9g<%.9g ? $1+%.9g : %.9g):%zu:%zu with boxxyerror "
                               "lt (i-%zu+1) fs transparent solid 0.2 noborder notitle, ",
                               a, z, cl, cl + 1, dt, tmax, dt, tmax, cl, cl + 1, a);
            else if (pband)
                outfile_printf(o,
                               "for [i=%zu:%zu] 'timeseries.dat' index i using 1:%zu:%zu "
                               "with filledcurves lt (i-%zu+1) fs transparent solid 0.2 "
                               "noborder notitle, ",
                               a, z, cl, cl + 1, a);
            outfile_printf(o,
                           "for [i=%zu:%zu] 'timeseries.dat' index i using 1:%zu with %s "
                           "lt (i-%zu+1) title columnheader(1)\n",
                           a, z, c, level ? "steps" : "lines", a);
        }
        if (limit > 0)
            outfile_printf(o, "unset arrow 99\nunset label 99\n");
        for (size_t i = 0; i < ncaps; i++)
            outfile_printf(o, "unset arrow %zu\nunset label %zu\n", 90 + i, 90 + i);
        if (bytes)
            outfile_printf(o, "set format y '%% h'\n");
    }
    outfile_printf(o, "unset multiplot\n");
    free(names);
    free(L.panel);
}

/* ---- [plot NAME] sections: plots.dat, plots.gp, plot_NAME.png ----------- */

/* The sweep indices of a comma-separated list of names (checked by the
 * parser), into out. */
static size_t sweeps_of(const struct scenario *sc, const char *list, size_t *out, size_t max)
{
    size_t n = 0;
    for (const char *p = list + strspn(list, ", \t"); *p && n < max; p += strspn(p, ", \t")) {
        size_t len = strcspn(p, ", \t");
        for (size_t k = 0; k < sc->nsweeps; k++)
            if (strlen(sc->sweeps[k].name) == len && strncmp(sc->sweeps[k].name, p, len) == 0)
                out[n++] = k;
        p += len;
    }
    return n;
}

static size_t custom_x(const struct report *rp, const struct report_plot *pl)
{
    size_t k[1];
    return pl->x[0] && sweeps_of(rp->sc, pl->x, k, 1) ? k[0] : x_sweep(rp);
}

static void custom_layout(struct layout *L, const struct report *rp, const struct report_plot *pl)
{
    size_t ff[16], sf[16];
    size_t nff = sweeps_of(rp->sc, pl->facet, ff, 16), nsf = sweeps_of(rp->sc, pl->series, sf, 16);
    layout_build(L, rp->sc, custom_x(rp, pl), ff, nff, sf, nsf, pl->series[0] != '\0', pl->ny);
}

/* The columns of pl that some run has (plots_split's test). */
static bool custom_has(const struct report *rp, const char *name)
{
    if (columns_summary_metric(name))
        return true;
    const char **xn;
    size_t nx = wr_extra_names(rp, &xn);
    bool known = false;
    for (size_t k = 0; k < nx; k++)
        known |= strcmp(xn[k], name) == 0;
    free(xn);
    return known;
}

void plots_custom_data(struct outfile *o, const struct report *rp)
{
    const struct scenario *sc = rp->sc;
    size_t nblocks = 0;
    for (size_t q = 0; q < rp->nplots; q++) {
        const struct report_plot *pl = &rp->plots[q];
        struct layout L;
        custom_layout(&L, rp, pl);
        size_t xs = custom_x(rp, pl);
        struct x_axis x;
        x_axis_make(&x, sc, xs);
        size_t nb = L.nfacets * L.nseries;
        for (size_t blk = 0; blk < nb; blk++, nblocks++) {
            size_t m = blk % L.nseries / L.nsub;
            char label[256], title[330];
            dims_label(sc, layout_point_of(sc, &L, blk), L.sdim, L.ns, label, sizeof label);
            snprintf(title, sizeof title, "%s%s%s", L.ny > 1 ? pl->y[m] : "",
                     L.ny > 1 && label[0] ? " " : "", label);
            outfile_printf(o, "%s\"%s\"", nblocks ? "\n\n" : "", title);
            dat_header(o, metrics_groups, NMETRICS_GROUPS);
            bool any = false;
            if (custom_has(rp, pl->y[m]))
                for (size_t xi = 0; xi < sc->sweeps[xs].nvalues; xi++)
                    for (size_t b = 0, e; b < rp->nruns; b = e) {
                        e = wr_point_end(rp, b);
                        size_t pt = rp->runs[b].point;
                        if (layout_block_m(sc, &L, pt, m) == blk && sweep_index(sc, pt, xs) == xi) {
                            sweep_row(o, rp, &x, b, e, metrics_groups, NMETRICS_GROUPS, pl->y[m]);
                            any = true;
                        }
                    }
            if (!any) /* gnuplot needs a row in every block */
                outfile_printf(o, "nan nan nan nan \"\" nan\n");
        }
        x_axis_free(&x);
    }
}

void plots_custom_script(struct outfile *o, const struct report *rp)
{
    outfile_printf(o, "# The [plot NAME] sections: their runs.csv columns against a sweep\n"
                      "# variable, the mean over replications with its 95%% CI (plots.dat).\n");
    size_t first = 0, ntm;
    struct theory_model *tm = theory_points(rp, &ntm);
    for (size_t q = 0; q < rp->nplots; q++) {
        const struct report_plot *pl = &rp->plots[q];
        struct layout L;
        custom_layout(&L, rp, pl);
        layout_runs(&L, rp);
        struct x_axis x;
        x_axis_make(&x, rp->sc, custom_x(rp, pl));
        size_t np = L.npanel, rows, cols, pw = key_panel_width(rp->sc, &L, panel_width(rp->sc, &x));
        grid_of(1, np, &rows, &cols);
        char png[96];
        snprintf(png, sizeof png, "plot_%s.png", pl->name);
        plot_begin(o, rp->sc, png, rows, cols, pw, 440);
        /* the y axis: the columns' span, and their unit when they share it */
        double lo = (double)INFINITY, hi = -(double)INFINITY;
        bool same = true, theory = false;
        char label[200] = "";
        for (size_t m = 0; m < pl->ny; m++) {
            double l = 0, h = 0;
            if (custom_has(rp, pl->y[m])) {
                metric_span(rp, pl->y[m], &l, &h);
                theory |= theory_span(tm, ntm, pl->y[m], &l, &h); /* its dashed line */
            }
            lo = l < lo ? l : lo;
            hi = h > hi ? h : hi;
            same &= strcmp(metric_unit(pl->y[m]), metric_unit(pl->y[0])) == 0;
            size_t len = strlen(label);
            snprintf(label + len, sizeof label - len, "%s%s", m ? ", " : "", pl->y[m]);
        }
        row_panels(o, rp, &L, &x, "plots.dat", dat_col(metrics_groups, NMETRICS_GROUPS, ""), "",
                   same ? pl->y[0] : "", label, first, pw, lo, hi,
                   theory ? dat_theory_col(metrics_groups, NMETRICS_GROUPS, "") : 0);
        outfile_printf(o, "unset multiplot\n");
        first += L.nfacets * L.nseries;
        free(L.panel);
        x_axis_free(&x);
    }
    free(tm);
}
