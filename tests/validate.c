/* validate: checks sdsim against queueing theory (issue 3, "Validation").
 *
 * tests/validation/queueing.csv lists closed-form results (case, metric,
 * expected value, tolerance), and tests/validation/extra.csv more of them in
 * the same form (cases not in the shared set, each with its source);
 * tests/validation/map.csv (and extra-map.csv) says, for each of their
 * rows, which scenario in scenarios/validation/ models the system and how the
 * simulated value is read from the CSV files that `sdsim run` writes. This
 * program runs every scenario it needs once (`sdsim run FILE -o TMP -q -j N`),
 * reads runs.csv, components.csv and histograms.csv, and prints one row per
 * (case, metric, scenario): expected, simulated, the 95% confidence interval
 * across replications, the tolerance and PASS, FAIL, INFO or SKIP.
 *
 * How a value is pooled over the replications of a scenario:
 *   means and ratios   the mean of the per-replication values (replications
 *                      have the same length); CI: Student t over them.
 *   percentiles, P(X>x) from the histogram pooled over replications (the
 *                      bucket counts added); CI: t over per-replication values
 *                      read from each replication's own histogram.
 *   sigma_root         not simulated: the root of the E_N/M/1 equation
 *                      sigma = A*(mu(1 - sigma)) (output/theory.c).
 * Rows are gated on the file's rel= or abs= tolerance (README, point 4: the
 * CI is a diagnostic, printed with '*' when it misses the expected value);
 * `exact` alone gates at EXACT_TOL; `info` rows print INFO. A CSV file whose
 * rows do not have as many fields as its header is refused, not read with
 * shifted columns. Every queueing.csv row must have a map.csv row, or it
 * FAILs; rows that need a component sdsim lacks are listed as SKIP.
 *
 * --fast (make check) runs only the scenarios marked `fast` in map.csv, at
 * their full length: the cheap ones (about 1e7 requests each) whose rows
 * reach the file's tolerance with margin. It never loosens a tolerance.
 *
 * Measures (map.csv column `measure`):
 *   runs:COL                 runs.csv column (_ms columns are read in seconds)
 *   runs:A/B                 per-replication ratio of two runs.csv columns
 *   comp:NAME:COL            components.csv column of component NAME
 *   comp:NAME:A/B            ratio; B may be a runs.csv column (window_s)
 *   hist:NAME:q=P[:atom=T]   P-quantile of histogram NAME, in seconds; atom=T:
 *                            see eval_hist()
 *   hist:NAME:gt=X           fraction of values above X seconds
 * theory: rows are computed, not simulated, by output/theory.c (the library
 * the planned theory column of the results will use too), except the WARS
 * Monte Carlo estimators (wars, wars_q), which are here:
 *   theory:erlang_root:N=..:lambda=..:mu=..  E_N/M/1 root sigma
 *   theory:mmc:c=..:lambda=..:mu=..:what=wq|lq|t  M/M/c Wq, Lq = lambda Wq or T
 *   theory:mmck:c=..:K=..:lambda=..:mu=..:what=block|t  M/M/c/K blocking or T
 *   theory:ekm1:k=..:lambda=..:mu=..:what=wq|t  E_k/M/1 mean wait or T
 *   theory:jsq2_ctmc:lambda=..[:what=pwait]  computed: join the shortest of 2
 *                            queues, mean time in system (or P(wait > 0))
 *   theory:wars:N=..:R=..:W=..:ew=..:ea=..:er=..:es=..:t=..[:trials=..]
 *   theory:wars:prof=lnkd-ssd|lnkd-disk|ymmr:N=..:R=..:W=..:t=..
 *                            computed: P(consistent read) of the WARS model
 *                            (exponential means, or the paper's production fits)
 *   theory:wars_q:prof=..:N=..:K=..:what=w|r:q=..  q-quantile (s) of a write's
 *                            or read's latency under a production profile (MC)
 *                            with exponential delays (means and t in ms), by
 *                            Monte Carlo here (default 2e6 trials)
 *   theory:kstale:N=..:R=..:W=..:k=..  PBS k-staleness closed form
 *   theory:wars_latency:N=..:K=..:a=..:b=..:q=..  q-quantile (s) of the K-th
 *                            smallest of N Exp(a ms) + Exp(b ms): WARS latency
 *   skip:REASON              the row needs a component that does not exist yet
 *
 * Usage: tests/validate [--fast] [--case ID]... [-j N] [--sdsim PATH] [--keep]
 * Exit status: 0 when every gated row passes, 1 otherwise, 2 on a usage or
 * input error. Run from the repository root. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/hist.h"
#include "output/theory.h"
#include "sim/xalloc.h"

#define QUEUEING_CSV "tests/validation/queueing.csv"
#define MAP_CSV "tests/validation/map.csv"
#define EXTRA_CSV "tests/validation/extra.csv"         /* more rows of queueing.csv's form */
#define EXTRA_MAP_CSV "tests/validation/extra-map.csv" /* and their map.csv rows */
#define SCENARIO_DIR "scenarios/validation"
#define MAX_REPS 256
#define EXACT_TOL 1e-9 /* expected values carry 10 significant digits */

/* ---- CSV tables -------------------------------------------------------- */

/* A CSV file parsed in place: cells point into buf. Quoted fields may hold
 * commas and doubled quotes, not newlines. Row 0 is the header. */
struct table {
    char *buf;
    char **cell; /* nrows * ncols, row-major */
    size_t ncols, nrows;
    size_t bad_row;    /* first data row whose field count differs from the header; 0: none */
    size_t bad_fields; /* its field count */
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2)
            xgrow(&buf, &cap, cap * 2, 1);
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* Parses one field starting at *p; returns it (NUL-terminated in place) and
 * leaves *p after the separator. *eol is set when the field ended a line. */
static char *csv_field(char **p, bool *eol)
{
    char *s = *p, *out = s, *start = s;
    bool quoted = *s == '"';
    if (quoted)
        s++;
    for (;;) {
        if (quoted && *s == '"' && s[1] == '"') {
            *out++ = '"';
            s += 2;
        } else if (quoted && *s == '"') {
            quoted = false;
            s++;
        } else if (!quoted && (*s == ',' || *s == '\n' || *s == '\r' || *s == '\0')) {
            break;
        } else {
            *out++ = *s++;
        }
    }
    *eol = *s != ',';
    if (*s == '\r')
        s++;
    if (*s != '\0')
        s++;
    *out = '\0';
    *p = s;
    return start;
}

/* Parses buf, which t then owns. */
static int table_parse(struct table *t, char *buf)
{
    memset(t, 0, sizeof *t);
    t->buf = buf;
    if (!t->buf)
        return -1;
    size_t cap = 0, n = 0, col = 0;
    char *p = t->buf;
    while (*p != '\0') {
        if (col == 0 && (*p == '\n' || *p == '\r')) { /* blank line */
            p++;
            continue;
        }
        bool eol;
        char *f = csv_field(&p, &eol);
        if (t->nrows == 0 && t->ncols == 0 && eol)
            t->ncols = col + 1; /* end of the header */
        if (t->ncols == 0 || col < t->ncols) {
            xgrow(&t->cell, &cap, n + 1, sizeof *t->cell);
            t->cell[n++] = f;
        }
        col++;
        if (eol) {
            if (t->nrows > 0 && col != t->ncols && t->bad_row == 0) {
                t->bad_row = t->nrows;
                t->bad_fields = col;
            }
            for (; t->ncols && col < t->ncols; col++) {
                xgrow(&t->cell, &cap, n + 1, sizeof *t->cell);
                t->cell[n++] = t->buf + strlen(t->buf); /* "" */
            }
            col = 0;
            t->nrows++;
        }
    }
    return t->ncols && t->bad_row == 0 ? 0 : -1;
}

static int table_load(struct table *t, const char *path)
{
    return table_parse(t, read_file(path));
}

/* Loads path and, when the file extra exists, appends its data rows; extra
 * must begin with the same header line. */
static int table_load_with(struct table *t, const char *path, const char *extra)
{
    char *base = read_file(path), *more = read_file(extra);
    if (!base || !more) {
        free(more);
        return table_parse(t, base);
    }
    size_t hb = strcspn(base, "\r\n"), hm = strcspn(more, "\r\n");
    if (hb != hm || strncmp(base, more, hb) != 0) {
        fprintf(stderr, "validate: %s does not have the header of %s\n", extra, path);
        free(base);
        free(more);
        memset(t, 0, sizeof *t);
        return -1;
    }
    size_t lb = strlen(base), lm = strlen(more + hm);
    char *buf = xmalloc(lb + 1 + lm + 1);
    memcpy(buf, base, lb);
    buf[lb] = '\n';
    memcpy(buf + lb + 1, more + hm, lm + 1);
    free(base);
    free(more);
    return table_parse(t, buf);
}

static void table_fini(struct table *t)
{
    free(t->cell);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

static long table_col(const struct table *t, const char *name)
{
    for (size_t c = 0; c < t->ncols; c++)
        if (strcmp(t->cell[c], name) == 0)
            return (long)c;
    return -1;
}

static const char *table_get(const struct table *t, size_t row, size_t col)
{
    return t->cell[row * t->ncols + col];
}

/* ---- one scenario's results -------------------------------------------- */

struct named_hist {
    char *name;
    struct hist *pooled;
    struct hist *per_run[MAX_REPS];
};

struct results {
    struct table runs, comps;
    size_t nruns;               /* data rows of runs.csv */
    struct named_hist *hists;
    size_t nhists;
};

static struct named_hist *results_hist(struct results *r, const char *name, bool create)
{
    for (size_t i = 0; i < r->nhists; i++)
        if (strcmp(r->hists[i].name, name) == 0)
            return &r->hists[i];
    if (!create)
        return NULL;
    r->hists = xrealloc(r->hists, (r->nhists + 1) * sizeof *r->hists);
    struct named_hist *h = &r->hists[r->nhists++];
    memset(h, 0, sizeof *h);
    h->name = xstrdup(name);
    h->pooled = hist_new();
    for (size_t i = 0; i < r->nruns; i++)
        h->per_run[i] = hist_new();
    return h;
}

/* Rebuilds the histograms: each bucket's count goes to its lower bound,
 * except one value at its upper bound, so the rebuilt min and max are the
 * bucket bounds and quantiles (bucket midpoints) and fractions (interpolated
 * inside a bucket) come out as sdsim computed them. */
static int results_load_hists(struct results *r, const char *path)
{
    struct table t;
    if (table_load(&t, path) < 0)
        return -1;
    long crun = table_col(&t, "run"), cname = table_col(&t, "histogram");
    long clo = table_col(&t, "lo_ns"), chi = table_col(&t, "hi_ns");
    long ccount = table_col(&t, "count");
    if (crun < 0 || cname < 0 || clo < 0 || chi < 0 || ccount < 0) {
        table_fini(&t);
        return -1;
    }
    for (size_t i = 1; i < t.nrows; i++) {
        size_t run = (size_t)strtoul(table_get(&t, i, (size_t)crun), NULL, 10);
        if (run >= r->nruns)
            continue;
        struct named_hist *h = results_hist(r, table_get(&t, i, (size_t)cname), true);
        int64_t lo = strtoll(table_get(&t, i, (size_t)clo), NULL, 10);
        int64_t hi = strtoll(table_get(&t, i, (size_t)chi), NULL, 10);
        uint64_t n = strtoull(table_get(&t, i, (size_t)ccount), NULL, 10);
        if (n == 0)
            continue;
        hist_add_n(h->per_run[run], lo, n - 1);
        hist_add(h->per_run[run], hi);
        hist_add_n(h->pooled, lo, n - 1);
        hist_add(h->pooled, hi);
    }
    table_fini(&t);
    return 0;
}

/* out = dir/name; -1 when it does not fit. */
static int path_join(char *out, size_t n, const char *dir, const char *name)
{
    int len = snprintf(out, n, "%s/%s", dir, name);
    return len < 0 || (size_t)len >= n ? -1 : 0;
}

/* Loads dir/name into t; on failure says why in err. A file whose rows do
 * not have as many fields as its header is refused: its columns cannot be
 * trusted (one extra field shifts every later column). */
static int load_csv(struct table *t, const char *dir, const char *name, char *err, size_t n)
{
    char path[4096];
    if (path_join(path, sizeof path, dir, name) < 0)
        return snprintf(err, n, "path too long"), -1;
    if (table_load(t, path) == 0)
        return 0;
    if (t->bad_row)
        snprintf(err, n, "%s line %zu has %zu fields, its header %zu", name, t->bad_row + 1,
                 t->bad_fields, t->ncols);
    else
        snprintf(err, n, "cannot read %s", name);
    return -1;
}

static int results_load(struct results *r, const char *dir, char *err, size_t n)
{
    memset(r, 0, sizeof *r);
    if (load_csv(&r->runs, dir, "runs.csv", err, n) < 0)
        return -1;
    r->nruns = r->runs.nrows - 1;
    if (r->nruns == 0 || r->nruns > MAX_REPS || table_col(&r->runs, "run") < 0)
        return snprintf(err, n, "runs.csv: no runs or more than %d", MAX_REPS), -1;
    if (load_csv(&r->comps, dir, "components.csv", err, n) < 0)
        return -1;
    char path[4096];
    if (path_join(path, sizeof path, dir, "histograms.csv") < 0 ||
        results_load_hists(r, path) < 0)
        return snprintf(err, n, "cannot read histograms.csv"), -1;
    return 0;
}

/* The base seed recorded in DIR/manifest.txt ("base_seed: N"), or "?". */
static void manifest_seed(const char *dir, char *out, size_t n)
{
    char path[4096];
    snprintf(out, n, "?");
    if (path_join(path, sizeof path, dir, "manifest.txt") < 0)
        return;
    char *text = read_file(path);
    const char *p = text ? strstr(text, "base_seed: ") : NULL;
    if (p)
        snprintf(out, n, "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
    free(text);
}

static void results_fini(struct results *r)
{
    for (size_t i = 0; i < r->nhists; i++) {
        free(r->hists[i].name);
        hist_free(r->hists[i].pooled);
        for (size_t j = 0; j < r->nruns; j++)
            hist_free(r->hists[i].per_run[j]);
    }
    free(r->hists);
    table_fini(&r->runs);
    table_fini(&r->comps);
}

/* Sum of a runs.csv column over replications (0 when missing). */
static double results_runs_sum(const struct results *r, const char *col)
{
    long c = table_col(&r->runs, col);
    double s = 0;
    for (size_t i = 1; c >= 0 && i <= r->nruns; i++)
        s += strtod(table_get(&r->runs, i, (size_t)c), NULL);
    return s;
}

/* ---- measures ---------------------------------------------------------- */

/* One evaluated row: the pooled value and the per-replication values. */
struct sample {
    double value;
    double rep[MAX_REPS];
    size_t nrep;
    bool computed; /* theory, not simulation: no CI */
    const char *method; /* how it was computed */
    bool atom_pass;
    char err[160];
};

static double col_scale(const char *col)
{
    size_t n = strlen(col);
    return n > 3 && strcmp(col + n - 3, "_ms") == 0 ? 1e-3 : 1.0;
}

/* Value of column col in run `run`: from components row (when comp is not
 * NULL and the column exists there) or else from runs.csv. NAN if missing. */
static double cell_value(const struct results *r, const char *comp, size_t run, const char *col)
{
    const char *runstr = table_get(&r->runs, run + 1, (size_t)table_col(&r->runs, "run"));
    if (comp) {
        long cc = table_col(&r->comps, col), cr = table_col(&r->comps, "run");
        long cn = table_col(&r->comps, "component");
        for (size_t i = 1; cc >= 0 && cr >= 0 && cn >= 0 && i < r->comps.nrows; i++)
            if (strcmp(table_get(&r->comps, i, (size_t)cr), runstr) == 0 &&
                strcmp(table_get(&r->comps, i, (size_t)cn), comp) == 0)
                return strtod(table_get(&r->comps, i, (size_t)cc), NULL) * col_scale(col);
        if (cc >= 0)
            return (double)NAN;
    }
    long c = table_col(&r->runs, col);
    if (c < 0)
        return (double)NAN;
    return strtod(table_get(&r->runs, run + 1, (size_t)c), NULL) * col_scale(col);
}

/* comp may be NULL (runs.csv). expr is COL or A/B. Mean over replications. */
static int eval_column(const struct results *r, const char *comp, const char *expr,
                       struct sample *s)
{
    char a[128], b[128] = "";
    const char *slash = strchr(expr, '/');
    size_t alen = slash ? (size_t)(slash - expr) : strlen(expr);
    if (alen >= sizeof a || (slash && strlen(slash + 1) >= sizeof b))
        return snprintf(s->err, sizeof s->err, "bad column '%s'", expr), -1;
    memcpy(a, expr, alen);
    a[alen] = '\0';
    if (slash)
        strcpy(b, slash + 1);
    double sum = 0;
    for (size_t i = 0; i < r->nruns; i++) {
        double v = cell_value(r, comp, i, a);
        if (slash)
            v /= cell_value(r, comp, i, b);
        if (isnan(v))
            return snprintf(s->err, sizeof s->err, "no value for '%s'%s%s", expr,
                            comp ? " of " : "", comp ? comp : ""), -1;
        s->rep[s->nrep++] = v;
        sum += v;
    }
    s->value = sum / (double)r->nruns;
    return 0;
}

/* P(X > 0) of a histogram, exact (bucket 0 holds only the value 0). */
static double hist_above_zero(const struct hist *h)
{
    uint64_t n = hist_count(h);
    return n ? (double)(n - hist_bucket_count(h, 0)) / (double)n : 0.0;
}

static int eval_hist(struct results *r, const char *spec, double expected, struct sample *s)
{
    char name[128];
    const char *colon = strchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof name)
        return snprintf(s->err, sizeof s->err, "bad hist measure '%s'", spec), -1;
    memcpy(name, spec, (size_t)(colon - spec));
    name[colon - spec] = '\0';
    const struct named_hist *h = results_hist(r, name, false);
    if (!h || hist_count(h->pooled) == 0)
        return snprintf(s->err, sizeof s->err, "no histogram '%s'", name), -1;
    const char *arg = colon + 1;
    bool is_q = strncmp(arg, "q=", 2) == 0, is_gt = strncmp(arg, "gt=", 3) == 0;
    if (!is_q && !is_gt)
        return snprintf(s->err, sizeof s->err, "bad hist measure '%s'", spec), -1;
    double x = strtod(arg + (is_q ? 2 : 3), NULL);
    for (size_t i = 0; i <= r->nruns; i++) {
        const struct hist *hh = i < r->nruns ? h->per_run[i] : h->pooled;
        double v = is_q ? (double)hist_quantile(hh, x) / 1e9
                        : hist_fraction_above(hh, (int64_t)llround(x * 1e9));
        if (i < r->nruns)
            s->rep[s->nrep++] = v;
        else
            s->value = v;
    }
    /* atom=T, for a quantile whose expected value is 0 because an atom at 0
     * holds exactly mass p (M/M/1 at rho = 0.5: P(Wq = 0) = 0.5 = p): a zero-width
     * band there is a coin flip, so the row also passes when the pooled
     * P(X > 0) is within T of 1 - p from below, i.e. the p-quantile is 0 up to
     * the sampling error that T allows for P(X > 0). */
    const char *atom = strstr(arg, ":atom=");
    if (is_q && atom && expected == 0.0) {
        double tol = strtod(atom + 6, NULL);
        s->atom_pass = hist_above_zero(h->pooled) <= (1.0 - x) + tol;
    }
    return 0;
}

static double param(const char *spec, const char *key, double dflt)
{
    char k[32];
    snprintf(k, sizeof k, "%s=", key);
    const char *p = strstr(spec, k);
    return p ? strtod(p + strlen(k), NULL) : dflt;
}

/* The WARS model of Bailis et al., "Probabilistically Bounded Staleness for
 * Practical Partial Quorums" (VLDB 2012), with exponential delays (means in
 * ms: ew write, ea ack, er read request, es read response), computed here
 * independently of sdsim's event loop: `trials` Monte Carlo trials of the
 * model as the paper states it (write returns at the W-th smallest W[i] +
 * A[i]; the read, sent t ms later, takes the R replicas with the smallest
 * R[i] + S[i] and is consistent if one has W[i] <= write return + t + R[i]).
 * Own generator (splitmix64), fixed seed: the value is reproducible. */
static uint64_t sm64_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double sm64_exp(uint64_t *s, double mean)
{
    return -mean * log((double)((sm64_next(s) >> 11) + 1) * 0x1.0p-53);
}

#define WARS_N_MAX 16

/* The k-th smallest (1-based) of v[0..n), n <= WARS_N_MAX. */
static double kth_smallest(const double *v, int n, int k)
{
    double a[WARS_N_MAX];
    memcpy(a, v, (size_t)n * sizeof *a);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            double x = a[j];
            a[j] = a[j - 1];
            a[j - 1] = x;
        }
    return a[k - 1];
}

/* A uniform in (0, 1]. */
static double sm64_unit(uint64_t *s)
{
    return (double)((sm64_next(s) >> 11) + 1) * 0x1.0p-53;
}

/* One part of a PBS latency fit: with probability p a Pareto(xm, alpha),
 * else an exponential of the given rate (per ms). */
struct pbs_fit {
    double p, xm, alpha, rate;
};

/* The production fits of Bailis et al., VLDB 2012, Table 3 (ms): a delay
 * is Pareto with probability p, else exponential. `w` is the write delay W,
 * `ars` the delays A, R and S. LNKD-SSD and LNKD-DISK share ars. */
struct pbs_profile {
    const char *name;
    struct pbs_fit w, ars;
};

static const struct pbs_profile pbs_profiles[] = {
    {"lnkd-ssd", {0.9122, 0.235, 10, 1.66}, {0.9122, 0.235, 10, 1.66}},
    {"lnkd-disk", {0.38, 1.05, 1.51, 0.183}, {0.9122, 0.235, 10, 1.66}},
    {"ymmr", {0.939, 3, 3.35, 0.0028}, {0.982, 1.5, 3.8, 0.0217}},
};

static double pbs_draw(uint64_t *s, const struct pbs_fit *f)
{
    if (sm64_unit(s) < f->p)
        return f->xm * pow(sm64_unit(s), -1.0 / f->alpha);
    return -log(sm64_unit(s)) / f->rate;
}

/* The profile named by prof=NAME in spec, or NULL (exponential means). */
static const struct pbs_profile *pbs_profile_of(const char *spec)
{
    const char *p = strstr(spec, "prof=");
    if (!p)
        return NULL;
    p += 5;
    for (size_t i = 0; i < sizeof pbs_profiles / sizeof pbs_profiles[0]; i++) {
        size_t n = strlen(pbs_profiles[i].name);
        if (strncmp(p, pbs_profiles[i].name, n) == 0 && (p[n] == ':' || p[n] == '\0'))
            return &pbs_profiles[i];
    }
    return NULL;
}

/* One WARS trial's delays for n replicas: write arrival wd, write ack back
 * wa (= wd + A), read arrival rd, read answer back rs (= rd + S). */
static void wars_draw(uint64_t *seed, const struct pbs_profile *pf, const double mean[4], int n,
                      double *wd, double *wa, double *rd, double *rs)
{
    for (int i = 0; i < n; i++) {
        if (pf) {
            wd[i] = pbs_draw(seed, &pf->w);
            wa[i] = wd[i] + pbs_draw(seed, &pf->ars);
            rd[i] = pbs_draw(seed, &pf->ars);
            rs[i] = rd[i] + pbs_draw(seed, &pf->ars);
        } else {
            wd[i] = sm64_exp(seed, mean[0]);
            wa[i] = wd[i] + sm64_exp(seed, mean[1]);
            rd[i] = sm64_exp(seed, mean[2]);
            rs[i] = rd[i] + sm64_exp(seed, mean[3]);
        }
    }
}

static double wars_mc(const char *spec)
{
    int n = (int)param(spec, "N", 3), r = (int)param(spec, "R", 1), w = (int)param(spec, "W", 1);
    const double mean[4] = {param(spec, "ew", 1), param(spec, "ea", 1), param(spec, "er", 1),
                            param(spec, "es", 1)};
    double t = param(spec, "t", 0);
    long trials = (long)param(spec, "trials", 2e6), ok = 0;
    uint64_t seed = 20120827;
    const struct pbs_profile *pf = pbs_profile_of(spec);
    if (n < 1 || n > WARS_N_MAX || r < 1 || r > n || w < 1 || w > n ||
        (strstr(spec, "prof=") && !pf))
        return (double)NAN;
    for (long k = 0; k < trials; k++) {
        double wd[WARS_N_MAX], wa[WARS_N_MAX], rd[WARS_N_MAX], rs[WARS_N_MAX];
        wars_draw(&seed, pf, mean, n, wd, wa, rd, rs);
        double ret = kth_smallest(wa, n, w), cut = kth_smallest(rs, n, r);
        bool fresh = false;
        for (int i = 0; i < n && !fresh; i++)
            fresh = rs[i] <= cut && wd[i] <= ret + t + rd[i];
        ok += fresh;
    }
    return (double)ok / (double)trials;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile, in seconds, of a WARS operation's latency under a
 * production profile (prof=): the K-th smallest of N draws of W + A (what=w,
 * a write with W = K) or R + S (what=r, a read with R = K), by Monte Carlo
 * (`trials` draws, default 2e6; sorted, nearest rank). No closed form: the
 * Pareto-exponential mixtures' sums have none. */
static double wars_q(const char *spec)
{
    int n = (int)param(spec, "N", 3), kk = (int)param(spec, "K", 1);
    double q = param(spec, "q", 0.5);
    long trials = (long)param(spec, "trials", 2e6);
    const struct pbs_profile *pf = pbs_profile_of(spec);
    bool write = strstr(spec, "what=w") != NULL;
    uint64_t seed = 20120828;
    static const double unused[4] = {1, 1, 1, 1};
    if (!pf || n < 1 || n > WARS_N_MAX || kk < 1 || kk > n || trials < 1 || q <= 0 || q >= 1)
        return (double)NAN;
    double *x = malloc((size_t)trials * sizeof *x);
    if (!x)
        return (double)NAN;
    for (long k = 0; k < trials; k++) {
        double wd[WARS_N_MAX], wa[WARS_N_MAX], rd[WARS_N_MAX], rs[WARS_N_MAX];
        wars_draw(&seed, pf, unused, n, wd, wa, rd, rs);
        x[k] = kth_smallest(write ? wa : rs, n, kk);
    }
    qsort(x, (size_t)trials, sizeof *x, cmp_dbl);
    long at = (long)ceil(q * (double)trials) - 1;
    double v = x[at < 0 ? 0 : at] / 1e3;
    free(x);
    return v;
}

/* Computed rows. The formulas are output/theory.c's, the same ones the
 * theory column uses; only the Monte Carlo estimators of the WARS model
 * live here. */
static int eval_theory(const char *spec, struct sample *s)
{
    if (strncmp(spec, "erlang_root:", 12) == 0) {
        s->value = theory_ekm1_sigma(param(spec, "N", 1), param(spec, "lambda", 0.9),
                                     param(spec, "mu", 1));
        s->method = "E_N/M/1 root";
    } else if (strncmp(spec, "jsq2_ctmc:", 10) == 0) {
        double rho = param(spec, "lambda", 0.9);
        s->value = strstr(spec, "what=pwait") ? theory_jsq2_wait_prob(rho, 1)
                                              : theory_jsq2_response_mean(rho, 1);
        s->method = "JSQ-2 CTMC";
    } else if (strncmp(spec, "mmc:", 4) == 0) {
        unsigned c = (unsigned)param(spec, "c", 1);
        double lambda = param(spec, "lambda", 0.5), mu = param(spec, "mu", 1);
        if (strstr(spec, "what=wq"))
            s->value = theory_mmc_wait_mean(c, lambda, mu);
        else if (strstr(spec, "what=lq"))
            s->value = lambda * theory_mmc_wait_mean(c, lambda, mu);
        else
            s->value = theory_mmc_response_mean(c, lambda, mu);
        s->method = "Erlang C";
    } else if (strncmp(spec, "mmck:", 5) == 0) {
        unsigned c = (unsigned)param(spec, "c", 1), k = (unsigned)param(spec, "K", 1);
        double lambda = param(spec, "lambda", 0.5), mu = param(spec, "mu", 1);
        s->value = strstr(spec, "what=block") ? theory_mmck_blocking(c, k, lambda, mu)
                                               : theory_mmck_response_mean(c, k, lambda, mu);
        s->method = "M/M/c/K chain";
    } else if (strncmp(spec, "ekm1:", 5) == 0) {
        double k = param(spec, "k", 2), lambda = param(spec, "lambda", 0.5);
        double mu = param(spec, "mu", 1);
        s->value = strstr(spec, "what=wq") ? theory_ekm1_wait_mean(k, lambda, mu)
                                            : theory_ekm1_response_mean(k, lambda, mu);
        s->method = "E_k/M/1";
    } else if (strncmp(spec, "wars:", 5) == 0) {
        s->value = wars_mc(spec);
        s->method = "WARS Monte Carlo";
    } else if (strncmp(spec, "kstale:", 7) == 0) {
        s->value = theory_pbs_kstale((unsigned)param(spec, "N", 3), (unsigned)param(spec, "R", 1),
                                     (unsigned)param(spec, "W", 1), param(spec, "k", 1));
        s->method = "PBS k-staleness";
    } else if (strncmp(spec, "wars_latency:", 13) == 0) {
        /* a and b in ms, the row in seconds */
        s->value = theory_wars_latency_quantile((unsigned)param(spec, "N", 3),
                                                (unsigned)param(spec, "K", 1), param(spec, "a", 1),
                                                param(spec, "b", 1), param(spec, "q", 0.5)) /
                   1e3;
        s->method = "order statistic";
    } else if (strncmp(spec, "wars_q:", 7) == 0) {
        s->value = wars_q(spec);
        s->method = "WARS latency Monte Carlo";
    } else {
        return snprintf(s->err, sizeof s->err, "unknown theory '%s'", spec), -1;
    }
    s->computed = true;
    return 0;
}

/* Evaluates measure m (see the top of the file). */
static int eval_measure(struct results *r, const char *m, double expected, struct sample *s)
{
    memset(s, 0, sizeof *s);
    if (strncmp(m, "runs:", 5) == 0)
        return eval_column(r, NULL, m + 5, s);
    if (strncmp(m, "comp:", 5) == 0) {
        char comp[128];
        const char *colon = strchr(m + 5, ':');
        if (!colon || (size_t)(colon - m - 5) >= sizeof comp)
            return snprintf(s->err, sizeof s->err, "bad measure '%s'", m), -1;
        memcpy(comp, m + 5, (size_t)(colon - m - 5));
        comp[colon - m - 5] = '\0';
        return eval_column(r, comp, colon + 1, s);
    }
    if (strncmp(m, "hist:", 5) == 0)
        return eval_hist(r, m + 5, expected, s);
    if (strncmp(m, "theory:", 7) == 0)
        return eval_theory(m + 7, s);
    return snprintf(s->err, sizeof s->err, "unknown measure '%s'", m), -1;
}

/* ---- statistics -------------------------------------------------------- */

/* Two-sided 95% Student t quantile with df degrees of freedom. */
static double t95(size_t df)
{
    static const double t[] = {0,     12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
                               2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
                               2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
                               2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
    return df < sizeof t / sizeof t[0] ? t[df] : 1.96;
}

/* 95% CI of the mean of x[0..n): false when n < 2. */
static bool ci95(const double *x, size_t n, double *lo, double *hi)
{
    if (n < 2)
        return false;
    double m = 0, v = 0;
    for (size_t i = 0; i < n; i++)
        m += x[i];
    m /= (double)n;
    for (size_t i = 0; i < n; i++)
        v += (x[i] - m) * (x[i] - m);
    double half = t95(n - 1) * sqrt(v / (double)(n - 1) / (double)n);
    *lo = m - half;
    *hi = m + half;
    return true;
}

/* ---- tolerances -------------------------------------------------------- */

struct tolerance {
    double rel, abs; /* < 0: not given */
    double n_hint;   /* 0: none */
    bool exact, info, ci;
};

static void tolerance_parse(const char *s, struct tolerance *t)
{
    t->rel = t->abs = -1;
    t->n_hint = 0;
    t->exact = t->info = t->ci = false;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
        if (strncmp(f, "rel=", 4) == 0)
            t->rel = strtod(f + 4, NULL);
        else if (strncmp(f, "abs=", 4) == 0)
            t->abs = strtod(f + 4, NULL);
        else if (strncmp(f, "n>=", 3) == 0)
            t->n_hint = strtod(f + 3, NULL);
        else if (strcmp(f, "exact") == 0)
            t->exact = true;
        else if (strcmp(f, "info") == 0)
            t->info = true;
        else if (strcmp(f, "ci95") == 0)
            t->ci = true;
    }
}

/* Allowed |sim - expected|; exact alone: the expected value's rounding. */
static double tolerance_band(const struct tolerance *t, double expected)
{
    if (t->abs >= 0)
        return t->abs;
    if (t->rel >= 0)
        return t->rel * fabs(expected);
    return EXACT_TOL;
}

static void tolerance_text(const struct tolerance *t, char *out, size_t n)
{
    if (t->info)
        snprintf(out, n, "info");
    else if (t->abs >= 0)
        snprintf(out, n, "abs=%g", t->abs);
    else if (t->rel >= 0)
        snprintf(out, n, "rel=%g", t->rel);
    else
        snprintf(out, n, "exact");
}

/* ---- the run ----------------------------------------------------------- */

struct options {
    bool fast, keep;
    const char *jobs;
    const char *sdsim;
    const char **cases;
    size_t ncases;
};

struct counts {
    size_t pass, fail, skip, info;
};

/* Runs `sdsim run FILE -o DIR -q -j N`; returns its exit status or -1. */
static int run_sdsim(const struct options *o, const char *file, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(o->sdsim, o->sdsim, "run", file, "-o", dir, "-q", "-j", o->jobs, (char *)NULL);
        fprintf(stderr, "validate: cannot run %s: %s\n", o->sdsim, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool case_selected(const struct options *o, const char *id)
{
    if (o->ncases == 0)
        return true;
    for (size_t i = 0; i < o->ncases; i++)
        if (strcasecmp(o->cases[i], id) == 0)
            return true;
    return false;
}

/* Column indexes of the two input tables. */
struct inputs {
    struct table q, map;
    size_t q_case, q_metric, q_expected, q_tol;
    size_t m_case, m_metric, m_scenario, m_measure, m_fast;
};

static int inputs_load(struct inputs *in)
{
    if (table_load_with(&in->q, QUEUEING_CSV, EXTRA_CSV) < 0 ||
        table_load_with(&in->map, MAP_CSV, EXTRA_MAP_CSV) < 0) {
        fprintf(stderr, "validate: cannot read %s or %s (run from the repository root)\n",
                QUEUEING_CSV, MAP_CSV);
        return -1;
    }
    long c[9] = {table_col(&in->q, "case_id"),      table_col(&in->q, "metric"),
                 table_col(&in->q, "expected_value"), table_col(&in->q, "suggested_tolerance"),
                 table_col(&in->map, "case_id"),    table_col(&in->map, "metric"),
                 table_col(&in->map, "scenario"),   table_col(&in->map, "measure"),
                 table_col(&in->map, "fast")};
    for (size_t i = 0; i < 9; i++)
        if (c[i] < 0) {
            fprintf(stderr, "validate: missing column in %s or %s\n", QUEUEING_CSV, MAP_CSV);
            return -1;
        }
    in->q_case = (size_t)c[0], in->q_metric = (size_t)c[1];
    in->q_expected = (size_t)c[2], in->q_tol = (size_t)c[3];
    in->m_case = (size_t)c[4], in->m_metric = (size_t)c[5], in->m_scenario = (size_t)c[6];
    in->m_measure = (size_t)c[7], in->m_fast = (size_t)c[8];
    return 0;
}

/* The queueing.csv row of (case, metric), or 0 when there is none. */
static size_t inputs_qrow(const struct inputs *in, const char *id, const char *metric)
{
    for (size_t i = 1; i < in->q.nrows; i++)
        if (strcmp(table_get(&in->q, i, in->q_case), id) == 0 &&
            strcmp(table_get(&in->q, i, in->q_metric), metric) == 0)
            return i;
    return 0;
}

static bool map_row_selected(const struct inputs *in, const struct options *o, size_t i)
{
    if (!case_selected(o, table_get(&in->map, i, in->m_case)))
        return false;
    return !o->fast || strcmp(table_get(&in->map, i, in->m_fast), "yes") == 0;
}

static void print_header(void)
{
    printf("%-20s %-34s %12s %12s  %-27s %-9s %s\n", "case", "metric", "expected", "simulated",
           "95% CI (replications)", "tolerance", "result");
}

static void print_row(const char *label, const char *metric, double expected, const char *sim,
                      const char *ci, const char *tol, const char *result)
{
    printf("%-20s %-34s %12.6g %12s  %-27s %-9s %s\n", label, metric, expected, sim, ci, tol,
           result);
}

/* The row label: the case id, plus the scenario when it is a variant
 * (ERLB-5 also runs as erlb-5-ln: "ERLB-5 [erlb-5-ln]"). */
static void row_label(const char *id, const char *scenario, char *out, size_t n)
{
    char lower[64];
    size_t i = 0;
    for (; id[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] - 'A' + 'a' : id[i]);
    lower[i] = '\0';
    if (strcmp(lower, scenario) == 0 || strncmp(id, "CLOSED-", 7) == 0)
        snprintf(out, n, "%s", id);
    else
        snprintf(out, n, "%s [%s]", id, scenario);
}

/* Evaluates and prints one map row against its queueing.csv row. */
static void check_row(const struct inputs *in, size_t mi, struct results *r, bool ran,
                      struct counts *cnt)
{
    const char *id = table_get(&in->map, mi, in->m_case);
    const char *metric = table_get(&in->map, mi, in->m_metric);
    const char *measure = table_get(&in->map, mi, in->m_measure);
    char label[96], tol_text[32], sim[32] = "-", ci[64] = "-";
    row_label(id, table_get(&in->map, mi, in->m_scenario), label, sizeof label);
    size_t qi = inputs_qrow(in, id, metric);
    if (qi == 0) {
        print_row(label, metric, (double)NAN, "-", "-", "-", "FAIL (no such row in queueing.csv)");
        cnt->fail++;
        return;
    }
    double expected = strtod(table_get(&in->q, qi, in->q_expected), NULL);
    struct tolerance t;
    tolerance_parse(table_get(&in->q, qi, in->q_tol), &t);
    tolerance_text(&t, tol_text, sizeof tol_text);
    if (strncmp(measure, "skip:", 5) == 0) {
        char why[200];
        snprintf(why, sizeof why, "SKIP (skipped: %s)", measure + 5);
        print_row(label, metric, expected, "-", "-", tol_text, why);
        cnt->skip++;
        return;
    }
    if (!ran) {
        print_row(label, metric, expected, "-", "-", tol_text, "FAIL (no usable run, see above)");
        cnt->fail++;
        return;
    }
    struct sample s;
    if (eval_measure(r, measure, expected, &s) < 0) {
        char why[200];
        snprintf(why, sizeof why, "FAIL (%s)", s.err);
        print_row(label, metric, expected, "-", "-", tol_text, why);
        cnt->fail++;
        return;
    }
    snprintf(sim, sizeof sim, "%.6g", s.value);
    double lo, hi;
    if (s.computed)
        snprintf(ci, sizeof ci, "(computed: %s)", s.method);
    else if (ci95(s.rep, s.nrep, &lo, &hi))
        snprintf(ci, sizeof ci, "[%.5g, %.5g]%s", lo, hi,
                 expected < lo || expected > hi ? " *" : "");
    if (t.info) {
        print_row(label, metric, expected, sim, ci, tol_text, "INFO");
        cnt->info++;
        return;
    }
    bool pass = fabs(s.value - expected) <= tolerance_band(&t, expected);
    const char *result = pass ? "PASS" : "FAIL";
    if (!pass && s.atom_pass) {
        pass = true;
        result = "PASS (atom at 0: P(X>0) <= 1-p+tol)";
    }
    print_row(label, metric, expected, sim, ci, tol_text, result);
    if (pass)
        cnt->pass++;
    else
        cnt->fail++;
}

/* Largest n>= hint over the selected rows of scenario sc. */
static double scenario_n_hint(const struct inputs *in, const struct options *o, const char *sc)
{
    double n = 0;
    for (size_t i = 1; i < in->map.nrows; i++) {
        if (!map_row_selected(in, o, i) || strcmp(table_get(&in->map, i, in->m_scenario), sc))
            continue;
        size_t qi = inputs_qrow(in, table_get(&in->map, i, in->m_case),
                                table_get(&in->map, i, in->m_metric));
        struct tolerance t;
        if (qi == 0)
            continue;
        tolerance_parse(table_get(&in->q, qi, in->q_tol), &t);
        if (t.n_hint > n)
            n = t.n_hint;
    }
    return n;
}

/* Runs scenario sc (unless every row of it is skipped) and checks its rows. */
static void check_scenario(const struct inputs *in, const struct options *o, const char *sc,
                           const char *tmp, struct counts *cnt)
{
    bool needs_run = false;
    for (size_t i = 1; i < in->map.nrows; i++)
        if (map_row_selected(in, o, i) && strcmp(table_get(&in->map, i, in->m_scenario), sc) == 0 &&
            strncmp(table_get(&in->map, i, in->m_measure), "skip:", 5) != 0 &&
            strncmp(table_get(&in->map, i, in->m_measure), "theory:", 7) != 0)
            needs_run = true;
    struct results r;
    memset(&r, 0, sizeof r);
    bool ran = !needs_run;
    if (needs_run) {
        char file[512], dir[4096];
        snprintf(file, sizeof file, "%s/%s.ini", SCENARIO_DIR, sc);
        double t0 = now_s();
        int rc = path_join(dir, sizeof dir, tmp, sc) < 0 ? -1 : run_sdsim(o, file, dir);
        double secs = now_s() - t0;
        char err[256] = "";
        ran = rc == 0 && results_load(&r, dir, err, sizeof err) == 0;
        if (rc != 0) {
            printf("# %s: sdsim exited with status %d\n", file, rc);
        } else if (!ran) {
            printf("# %s: unusable output: %s\n", file, err);
        } else {
            double done = results_runs_sum(&r, "completed");
            double hint = scenario_n_hint(in, o, sc);
            char seed[32];
            manifest_seed(dir, seed, sizeof seed);
            printf("# %s: seed %s, %zu replications, %.3g completions measured%s, %.1f s\n",
                   file, seed, r.nruns, done,
                   hint > 0 && done < hint ? " (FEWER than the n>= hint)" : "", secs);
        }
    }
    for (size_t i = 1; i < in->map.nrows; i++)
        if (map_row_selected(in, o, i) && strcmp(table_get(&in->map, i, in->m_scenario), sc) == 0)
            check_row(in, i, needs_run ? &r : NULL, ran, cnt);
    fflush(stdout);
    if (needs_run)
        results_fini(&r);
}

/* Every queueing.csv row must be mapped: an unmapped row is a FAIL, never
 * silently left out. */
static void check_unmapped(const struct inputs *in, const struct options *o, struct counts *cnt)
{
    for (size_t qi = 1; qi < in->q.nrows; qi++) {
        const char *id = table_get(&in->q, qi, in->q_case);
        const char *metric = table_get(&in->q, qi, in->q_metric);
        if (!case_selected(o, id))
            continue;
        bool mapped = false;
        for (size_t i = 1; i < in->map.nrows && !mapped; i++)
            mapped = strcmp(table_get(&in->map, i, in->m_case), id) == 0 &&
                     strcmp(table_get(&in->map, i, in->m_metric), metric) == 0;
        if (!mapped) {
            print_row(id, metric, strtod(table_get(&in->q, qi, in->q_expected), NULL), "-", "-",
                      "-", "FAIL (not in map.csv)");
            cnt->fail++;
        }
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: tests/validate [--fast] [--case ID]... [-j N] [--sdsim PATH] [--keep]\n"
                    "  --fast      only the cases marked fast in %s (for make check)\n"
                    "  --case ID   only this case_id (repeatable), e.g. --case MM1-A\n"
                    "  -j N        parallel runs of each scenario (default 2)\n"
                    "  --sdsim P   the simulator binary (default ./sdsim)\n"
                    "  --keep      keep the results folder and print its path\n",
            MAP_CSV);
    return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    o->jobs = "2";
    o->sdsim = "./sdsim";
    o->cases = xcalloc((size_t)argc, sizeof *o->cases);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--fast") == 0)
            o->fast = true;
        else if (strcmp(a, "--keep") == 0)
            o->keep = true;
        else if (strcmp(a, "--case") == 0 && i + 1 < argc)
            o->cases[o->ncases++] = argv[++i];
        else if (strcmp(a, "-j") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            o->jobs = argv[++i];
        else if (strncmp(a, "-j", 2) == 0 && atoi(a + 2) > 0)
            o->jobs = a + 2;
        else if (strcmp(a, "--sdsim") == 0 && i + 1 < argc)
            o->sdsim = argv[++i];
        else
            return -1;
    }
    return 0;
}

static void remove_tree(const char *dir)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    struct options o;
    memset(&o, 0, sizeof o);
    if (parse_options(argc, argv, &o) < 0)
        return usage();
    struct inputs in;
    if (inputs_load(&in) < 0)
        return 2;
    const char *tmpdir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/sdsim-validate.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmp)) {
        fprintf(stderr, "validate: cannot create a folder in %s: %s\n", tmp, strerror(errno));
        return 2;
    }
    double t0 = now_s();
    struct counts cnt = {0, 0, 0, 0};
    printf("sdsim validation against queueing theory (%s%s); time unit: mean service time\n",
           QUEUEING_CSV, o.fast ? ", fast subset" : "");
    print_header();
    /* Scenarios in the order of their first row in map.csv. */
    for (size_t i = 1; i < in.map.nrows; i++) {
        const char *sc = table_get(&in.map, i, in.m_scenario);
        if (!map_row_selected(&in, &o, i))
            continue;
        bool seen = false;
        for (size_t j = 1; j < i && !seen; j++)
            seen = map_row_selected(&in, &o, j) &&
                   strcmp(table_get(&in.map, j, in.m_scenario), sc) == 0;
        if (!seen)
            check_scenario(&in, &o, sc, tmp, &cnt);
    }
    if (!o.fast)
        check_unmapped(&in, &o, &cnt);
    if (cnt.pass + cnt.fail + cnt.skip + cnt.info == 0)
        printf("no rows selected (is the case id in %s?)\n", MAP_CSV);
    if (o.keep)
        printf("results kept in %s\n", tmp);
    else
        remove_tree(tmp);
    printf("total time %.1f s\n", now_s() - t0);
    printf("%zu passed, %zu failed, %zu skipped", cnt.pass, cnt.fail, cnt.skip);
    if (cnt.info)
        printf(", %zu info", cnt.info);
    printf("\n");
    table_fini(&in.q);
    table_fini(&in.map);
    free(o.cases);
    return cnt.fail == 0 && cnt.pass + cnt.info + cnt.skip > 0 ? 0 : 1;
}
