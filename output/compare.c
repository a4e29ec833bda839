/* compare: see compare.h. Reads the folder's manifest.txt (the names of the
 * sweep variables) and runs.csv (one row per run), never the scenario: a
 * folder copied from another machine compares the same. */
#include "output/compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "output/outfile.h"
#include "output/report.h"
#include "output/writers.h"
#include "sim/stats.h"
#include "sim/xalloc.h"

/* ---- statistics ----------------------------------------------------------- */

void compare_pairs(const double *b, const double *x, size_t n, struct compare_diff *out)
{
    struct moments mb = {0}, mx = {0}, md = {0};
    for (size_t i = 0; i < n; i++) {
        if (isnan(b[i]) || isnan(x[i]))
            continue;
        moments_add(&mb, b[i]);
        moments_add(&mx, x[i]);
        moments_add(&md, x[i] - b[i]);
    }
    out->n = md.n;
    out->base = md.n ? mb.mean : (double)NAN;
    out->var = md.n ? mx.mean : (double)NAN;
    out->diff = md.n ? md.mean : (double)NAN;
    out->paired_half = out->unpaired_half = (double)NAN;
    if (md.n < 2)
        return;
    double k = (double)md.n;
    out->paired_half = stats_t_quantile(0.975, k - 1) * sqrt(moments_var(&md) / k);
    /* Welch: each mean's variance, and the Welch-Satterthwaite df */
    double vb = moments_var(&mb) / k, vx = moments_var(&mx) / k;
    if (vb + vx == 0) {
        out->unpaired_half = 0;
        return;
    }
    double df = (vb + vx) * (vb + vx) / (vb * vb / (k - 1) + vx * vx / (k - 1));
    out->unpaired_half = stats_t_quantile(0.975, df) * sqrt(vb + vx);
}

int compare_direction(const char *metric)
{
    static const char *const lower[] = {"latency", "_ms",   "fail",  "reject", "timeout",
                                        "error",   "stale", "lost",  "unfinished", "drop",
                                        "conflict", "wasted", "queue", "shed", "rate_limited"};
    static const char *const higher[] = {"throughput", "goodput", "hit_ratio", "completed",
                                         "admitted", "p_consistent"};
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
        if (strstr(metric, higher[i]))
            return 1;
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        if (strstr(metric, lower[i]))
            return -1;
    return 0;
}

/* ---- reading the folder --------------------------------------------------- */

struct table {
    char **head;   /* column names */
    size_t ncols;
    char ***rows;  /* rows[r][c] */
    size_t nrows;
};

static void table_free(struct table *t)
{
    for (size_t c = 0; c < t->ncols; c++)
        free(t->head[c]);
    free(t->head);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
}

/* The fields of one CSV line (quotes as sdsim writes them). */
static char **split_csv(const char *line, size_t *n)
{
    size_t cap = 8, k = 0, len = 0;
    char **f = xmalloc(cap * sizeof *f);
    char *cur = xmalloc(strlen(line) + 1);
    int q = 0;
    for (const char *p = line;; p++) {
        if (*p == '"') {
            if (q && p[1] == '"')
                cur[len++] = *++p;
            else
                q = !q;
        } else if ((*p == ',' && !q) || !*p || *p == '\n' || *p == '\r') {
            cur[len] = '\0';
            xgrow(&f, &cap, k + 1, sizeof *f);
            f[k++] = xstrdup(cur);
            len = 0;
            if (*p != ',')
                break;
        } else {
            cur[len++] = *p;
        }
    }
    free(cur);
    *n = k;
    return f;
}

static int read_runs(const char *path, struct table *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sdsim: compare: cannot open '%s': %s\n", path, strerror(errno));
        return EX_NOINPUT;
    }
    char *line = NULL;
    size_t lcap = 0, rcap = 0;
    int rc = 0;
    while (getline(&line, &lcap, f) > 0) {
        size_t n;
        char **fields = split_csv(line, &n);
        if (!t->head) {
            t->head = fields;
            t->ncols = n;
            continue;
        }
        if (n != t->ncols) {
            fprintf(stderr, "sdsim: compare: %s: row %zu has %zu fields, the header %zu\n", path,
                    t->nrows + 2, n, t->ncols);
            for (size_t c = 0; c < n; c++)
                free(fields[c]);
            free(fields);
            rc = EX_DATAERR;
            break;
        }
        xgrow(&t->rows, &rcap, t->nrows + 1, sizeof *t->rows);
        t->rows[t->nrows++] = fields;
    }
    free(line);
    fclose(f);
    if (rc == 0 && !t->head) {
        fprintf(stderr, "sdsim: compare: %s is empty\n", path);
        rc = EX_DATAERR;
    }
    return rc;
}

/* The sweep variables' names, from the manifest's "sweep NAME: ..." lines. */
static int read_sweeps(const char *path, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sdsim: compare: cannot open '%s': %s (is it a results folder?)\n", path,
                strerror(errno));
        return EX_NOINPUT;
    }
    char *line = NULL;
    size_t lcap = 0, cap = 0;
    while (getline(&line, &lcap, f) > 0) {
        if (strncmp(line, "sweep ", 6) != 0)
            continue;
        char *colon = strchr(line + 6, ':');
        if (!colon)
            continue;
        *colon = '\0';
        xgrow(names, &cap, *n + 1, sizeof **names);
        (*names)[(*n)++] = xstrdup(line + 6);
    }
    free(line);
    fclose(f);
    return 0;
}

static long col_of(const struct table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0)
            return (long)c;
    return -1;
}

/* Index of s in list[0..n), adding it when absent (first-seen order). */
static size_t intern(char ***list, size_t *n, size_t *cap, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0)
            return i;
    xgrow(list, cap, *n + 1, sizeof **list);
    (*list)[*n] = xstrdup(s);
    return (*n)++;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* ---- the comparison ------------------------------------------------------- */

struct ctx {
    const struct compare_opts *o;
    struct table t;
    char **sweeps;
    size_t nsweeps;
    long by, rep;
    char **variants, **strata; /* values of by; the other sweeps' values, joined */
    size_t nvar, nstrata, nrep;
    size_t *row_var, *row_stratum, *row_rep; /* per row */
    char **metrics;
    size_t nmetrics;
    long *mcol;
};

static const char *verdict(const struct compare_diff *d, int dir)
{
    if (d->n < 2 || isnan(d->paired_half))
        return "one replication: no interval";
    if (fabs(d->diff) <= d->paired_half)
        return "no clear difference";
    int up = d->diff > 0;
    if (dir == 0)
        return up ? "higher" : "lower";
    return (up ? 1 : -1) == dir ? "better" : "worse";
}

/* The stratum of each row: the values of the sweeps other than by. */
static void group_rows(struct ctx *x)
{
    size_t vcap = 0, scap = 0;
    x->row_var = xcalloc(x->t.nrows + 1, sizeof *x->row_var);
    x->row_stratum = xcalloc(x->t.nrows + 1, sizeof *x->row_stratum);
    x->row_rep = xcalloc(x->t.nrows + 1, sizeof *x->row_rep);
    for (size_t r = 0; r < x->t.nrows; r++) {
        char **row = x->t.rows[r];
        x->row_var[r] = intern(&x->variants, &x->nvar, &vcap, row[x->by]);
        size_t len = 1;
        for (size_t s = 0; s < x->nsweeps; s++)
            len += strlen(x->sweeps[s]) + strlen(row[col_of(&x->t, x->sweeps[s])]) + 3;
        char *key = xcalloc(len, 1);
        for (size_t s = 0; s < x->nsweeps; s++) {
            long c = col_of(&x->t, x->sweeps[s]);
            if (c == x->by)
                continue;
            if (*key)
                strcat(key, " ");
            strcat(key, x->sweeps[s]);
            strcat(key, "=");
            strcat(key, row[c]);
        }
        x->row_stratum[r] = intern(&x->strata, &x->nstrata, &scap, key);
        free(key);
        x->row_rep[r] = (size_t)strtoul(row[x->rep], NULL, 10);
        if (x->row_rep[r] + 1 > x->nrep)
            x->nrep = x->row_rep[r] + 1;
    }
}

static double cell(const struct ctx *x, size_t r, size_t m)
{
    const char *s = x->t.rows[r][x->mcol[m]];
    char *end;
    double v = strtod(s, &end);
    return end == s || *end ? (double)NAN : v;
}

/* The values of metric m for variant v in stratum s, by replication. */
static void gather(const struct ctx *x, size_t s, size_t v, size_t m, double *out)
{
    for (size_t i = 0; i < x->nrep; i++)
        out[i] = (double)NAN;
    for (size_t r = 0; r < x->t.nrows; r++)
        if (x->row_stratum[r] == s && x->row_var[r] == v && x->row_rep[r] < x->nrep)
            out[x->row_rep[r]] = cell(x, r, m);
}

static void fmt(char *buf, size_t size, double v)
{
    report_fmt_num(buf, size, v, 3);
}

/* Prints every comparison (and writes the CSV); ratios collects the
 * unpaired / paired widths of metric m from ratios[m * per], nratios[m]
 * of them. */
static void compare_all(struct ctx *x, size_t base, FILE *out, struct outfile *csv, double *ratios,
                        size_t per, size_t *nratios)
{
    double *b = xcalloc(x->nrep + 1, sizeof *b), *v = xcalloc(x->nrep + 1, sizeof *v);
    for (size_t s = 0; s < x->nstrata; s++) {
        for (size_t var = 0; var < x->nvar; var++) {
            if (var == base)
                continue;
            fprintf(out, "%s vs %s%s%s%s:\n", x->variants[var], x->variants[base],
                    *x->strata[s] ? " [" : "", x->strata[s], *x->strata[s] ? "]" : "");
            for (size_t m = 0; m < x->nmetrics; m++) {
                gather(x, s, base, m, b);
                gather(x, s, var, m, v);
                struct compare_diff d;
                compare_pairs(b, v, x->nrep, &d);
                const char *vd = verdict(&d, compare_direction(x->metrics[m]));
                double pct = d.base != 0 ? 100 * d.diff / fabs(d.base) : (double)NAN;
                double ppct = d.base != 0 ? 100 * d.paired_half / fabs(d.base) : (double)NAN;
                double ratio = d.paired_half > 0 ? d.unpaired_half / d.paired_half : (double)NAN;
                char a[32], c[32], e[32], f[32], g[32], h[32];
                fmt(a, sizeof a, d.base);
                fmt(c, sizeof c, d.var);
                fmt(e, sizeof e, pct);
                fmt(f, sizeof f, ppct);
                fmt(g, sizeof g, d.diff);
                fmt(h, sizeof h, d.paired_half);
                if (!isnan(pct))
                    fprintf(out, "  %-22s %s -> %s: %s%s%% ± %s%%", x->metrics[m], a, c,
                            d.diff > 0 ? "+" : "", e, f);
                else
                    fprintf(out, "  %-22s %s -> %s: %s%s ± %s", x->metrics[m], a, c,
                            d.diff > 0 ? "+" : "", g, h);
                if (!isnan(ratio)) {
                    fprintf(out, " (paired; unpaired ± %s%%, %.1fx wider)",
                            d.base != 0 ? (fmt(f, sizeof f, 100 * d.unpaired_half / fabs(d.base)), f)
                                        : "?",
                            ratio);
                    ratios[m * per + nratios[m]++] = ratio;
                }
                fprintf(out, ": %s\n", vd);
                if (!csv)
                    continue;
                wr_csv_str(csv, x->strata[s]);
                outfile_printf(csv, ",");
                wr_csv_str(csv, x->variants[var]);
                outfile_printf(csv, ",");
                wr_csv_str(csv, x->variants[base]);
                outfile_printf(csv, ",%s,%zu", x->metrics[m], d.n);
                double nums[] = {d.base, d.var, d.diff, d.diff - d.paired_half,
                                 d.diff + d.paired_half, pct, d.paired_half, d.unpaired_half, ratio};
                for (size_t k = 0; k < sizeof nums / sizeof *nums; k++)
                    wr_num(csv, nums[k]);
                outfile_printf(csv, ",%s\n", vd);
            }
        }
    }
    free(b);
    free(v);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int setup(struct ctx *x)
{
    const struct compare_opts *o = x->o;
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.txt", o->dir);
    int rc = read_sweeps(path, &x->sweeps, &x->nsweeps);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s/runs.csv", o->dir);
    if ((rc = read_runs(path, &x->t)) != 0)
        return rc;
    size_t i = 0;
    while (i < x->nsweeps && strcmp(x->sweeps[i], o->by) != 0)
        i++;
    if (i == x->nsweeps) {
        fprintf(stderr, "sdsim: compare: '%s' is not a sweep variable of %s (", o->by, o->dir);
        for (size_t k = 0; k < x->nsweeps; k++)
            fprintf(stderr, "%s%s", k ? ", " : "", x->sweeps[k]);
        fprintf(stderr, "%s)\n", x->nsweeps ? "" : "it has none");
        return EX_USAGE;
    }
    x->by = col_of(&x->t, o->by);
    x->rep = col_of(&x->t, "rep");
    for (size_t k = 0; k < x->nsweeps; k++)
        if (col_of(&x->t, x->sweeps[k]) < 0 || x->by < 0 || x->rep < 0) {
            fprintf(stderr, "sdsim: compare: %s lacks the column '%s'\n", path,
                    x->by < 0 ? o->by : x->rep < 0 ? "rep" : x->sweeps[k]);
            return EX_DATAERR;
        }
    size_t mcap = 0, n;
    char **names = split_csv(o->metrics ? o->metrics : COMPARE_METRICS, &n);
    for (size_t k = 0; k < n; k++) {
        char *s = names[k];
        while (*s == ' ')
            s++;
        size_t len = strlen(s);
        while (len && s[len - 1] == ' ')
            s[--len] = '\0';
        intern(&x->metrics, &x->nmetrics, &mcap, s);
    }
    free_list(names, n);
    x->mcol = xcalloc(x->nmetrics + 1, sizeof *x->mcol);
    for (size_t m = 0; m < x->nmetrics; m++)
        if ((x->mcol[m] = col_of(&x->t, x->metrics[m])) < 0) {
            fprintf(stderr, "sdsim: compare: runs.csv has no column '%s'\n", x->metrics[m]);
            return EX_USAGE;
        }
    group_rows(x);
    return 0;
}

int compare_run(const struct compare_opts *o, FILE *out)
{
    struct ctx x = {.o = o};
    int rc = setup(&x);
    size_t base = 0;
    if (rc == 0 && o->baseline) {
        while (base < x.nvar && strcmp(x.variants[base], o->baseline) != 0)
            base++;
        if (base == x.nvar) {
            fprintf(stderr, "sdsim: compare: '%s' is not a value of %s\n", o->baseline, o->by);
            rc = EX_USAGE;
        }
    }
    if (rc == 0 && x.nvar < 2) {
        fprintf(stderr, "sdsim: compare: %s has one value in %s: nothing to compare\n", o->by,
                o->dir);
        rc = EX_USAGE;
    }
    struct outfile csv;
    struct outdir od = {NULL, NULL};
    char *dir = NULL;
    if (rc == 0 && o->csv) {
        const char *slash = strrchr(o->csv, '/');
        dir = slash ? xstrndup(o->csv, (size_t)(slash - o->csv + (slash == o->csv))) : xstrdup(".");
        od.dir = dir;
        if (outfile_open(&csv, &od, slash ? slash + 1 : o->csv) < 0) {
            fprintf(stderr, "sdsim: compare: cannot write '%s': %s\n", o->csv,
                    strerror(csv.err));
            outfile_abort(&csv);
            rc = EX_CANTCREAT;
        } else {
            outfile_printf(&csv, "stratum,variant,baseline,metric,n,baseline_mean,variant_mean,"
                                 "diff,diff_lo,diff_hi,diff_pct,paired_half,unpaired_half,"
                                 "unpaired_over_paired,verdict\n");
        }
    }
    if (rc == 0) {
        fprintf(out, "compare %s by %s: each variant against %s, paired by replication "
                     "(same seeds); 95%% intervals\n",
                o->dir, o->by, x.variants[base]);
        size_t per = x.nvar * x.nstrata + 1;
        double *ratios = xcalloc(per * (x.nmetrics + 1), sizeof *ratios);
        size_t *nratios = xcalloc(x.nmetrics + 1, sizeof *nratios);
        compare_all(&x, base, out, o->csv ? &csv : NULL, ratios, per, nratios);
        fprintf(out, "pairing: unpaired intervals are wider than paired ones by (median over "
                     "the comparisons)");
        for (size_t m = 0; m < x.nmetrics; m++) {
            double *r = ratios + m * per;
            qsort(r, nratios[m], sizeof *r, cmp_double);
            if (nratios[m])
                fprintf(out, "%s %s %.1fx", m ? "," : "", x.metrics[m], r[nratios[m] / 2]);
            else
                fprintf(out, "%s %s -", m ? "," : "", x.metrics[m]);
        }
        fprintf(out, "\n");
        free(nratios);
        free(ratios);
        if (o->csv && outfile_commit(&csv) < 0) {
            fprintf(stderr, "sdsim: compare: cannot write '%s': %s\n", o->csv, strerror(csv.err));
            rc = EX_CANTCREAT;
        }
    }
    free(dir);
    table_free(&x.t);
    free_list(x.sweeps, x.nsweeps);
    free_list(x.variants, x.nvar);
    free_list(x.strata, x.nstrata);
    free_list(x.metrics, x.nmetrics);
    free(x.mcol);
    free(x.row_var);
    free(x.row_stratum);
    free(x.row_rep);
    return rc;
}
