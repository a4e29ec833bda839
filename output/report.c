/* report: CSV and plot writers. Every number goes through "%.*g" in the C
 * locale, and rows follow run order, then component file order, so the
 * files are byte-identical for the same scenario and seed whatever the
 * number of threads. */
#include "output/report.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/stats.h"
#include "sim/xalloc.h"

#ifndef SDSIM_COMMIT
#define SDSIM_COMMIT "" /* the git commit sdsim was built from, when known */
#endif
#define NA ((double)NAN) /* an empty CSV field */
#define NS_PER_MS 1e6
#define NS_PER_S 1e9

/* ---- small helpers ------------------------------------------------------ */

/* A CSV field, quoted when it holds a separator, quote or newline. */
static void csv_str(struct outfile *o, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        outfile_printf(o, "%s", s);
        return;
    }
    outfile_printf(o, "\"");
    for (; *s; s++)
        outfile_printf(o, *s == '"' ? "\"\"" : "%c", *s);
    outfile_printf(o, "\"");
}

static void num(struct outfile *o, double v)
{
    if (isnan(v))
        outfile_printf(o, ",");
    else
        outfile_printf(o, ",%.9g", v == 0 ? 0.0 : v); /* no "-0" */
}

static void sweep_header(struct outfile *o, const struct scenario *sc)
{
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, ",");
        csv_str(o, sc->sweeps[i].name);
    }
}

static void sweep_values(struct outfile *o, const struct scenario *sc, size_t point)
{
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, ",");
        csv_str(o, scenario_sweep_value(sc, point, i));
    }
}

/* "name=value name2=value2", or "all runs" without sweeps; caller frees. */
static char *point_label(const struct scenario *sc, size_t point)
{
    size_t cap = 64, len = 0;
    char *s = xmalloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < sc->nsweeps; i++) {
        const char *v = scenario_sweep_value(sc, point, i);
        size_t need = len + strlen(sc->sweeps[i].name) + strlen(v) + 3;
        xgrow(&s, &cap, need, 1);
        len += (size_t)snprintf(s + len, cap - len, "%s%s=%s", i ? " " : "", sc->sweeps[i].name, v);
    }
    if (sc->nsweeps == 0)
        snprintf(s, cap, "all runs");
    return s;
}

static double ms(double ns)
{
    return ns / NS_PER_MS;
}

static struct hist *hist_of(const struct sparse_hist *s)
{
    struct hist *h = hist_new();
    sparse_into_hist(s, h);
    return h;
}

static double sparse_mean(const struct sparse_hist *s)
{
    return s->total ? (double)(s->sum / (long double)s->total) : NA;
}

/* Quantile of a sparse histogram, in ns; NaN when empty. */
static double sparse_q(const struct sparse_hist *s, double q)
{
    if (!s->total)
        return NA;
    struct hist *h = hist_of(s);
    double v = (double)hist_quantile(h, q);
    hist_free(h);
    if (q >= 1.0)
        v = (double)s->max;
    return v;
}

/* ---- the per-run metrics (runs.csv and summary.csv share this table) ---- */

struct metric {
    const char *name;
    double q; /* a latency quantile (pooled in the summary), or -1 */
    double (*get)(const struct run_result *r);
};

static double m_offered_rps(const struct run_result *r)
{
    return r->window_s > 0 ? (double)r->offered / r->window_s : NA;
}
static double m_throughput(const struct run_result *r)
{
    return r->window_s > 0 ? (double)r->completed / r->window_s : NA;
}
static double m_completed(const struct run_result *r)
{
    return (double)r->completed;
}
static double m_rejected_ratio(const struct run_result *r)
{
    return r->offered ? (double)r->rejected / (double)r->offered : NA;
}
static double m_timeout_ratio(const struct run_result *r)
{
    return r->offered ? (double)r->timeouts / (double)r->offered : NA;
}
static double m_error_ratio(const struct run_result *r)
{
    return r->offered ? (double)r->errors / (double)r->offered : NA;
}
static double m_failed_ratio(const struct run_result *r)
{
    return r->offered ? (double)(r->rejected + r->timeouts + r->errors) / (double)r->offered : NA;
}
static double m_attempts(const struct run_result *r)
{
    return r->offered ? (double)r->attempts / (double)r->offered : NA;
}
static double m_lat_mean(const struct run_result *r)
{
    return ms(sparse_mean(&r->latency));
}
static double m_lat_q(const struct run_result *r)
{
    (void)r;
    return NA; /* replaced by the quantile in metric_value */
}

static const struct metric metrics[] = {
    {"offered_rps", -1, m_offered_rps},
    {"throughput_rps", -1, m_throughput},
    {"completed", -1, m_completed},
    {"rejected_ratio", -1, m_rejected_ratio},
    {"timeout_ratio", -1, m_timeout_ratio},
    {"error_ratio", -1, m_error_ratio},
    {"attempts_per_request", -1, m_attempts},
    {"latency_mean_ms", -1, m_lat_mean},
    {"latency_p50_ms", 0.5, m_lat_q},
    {"latency_p90_ms", 0.9, m_lat_q},
    {"latency_p99_ms", 0.99, m_lat_q},
    {"latency_p999_ms", 0.999, m_lat_q},
    {"latency_max_ms", 1.0, m_lat_q},
    {"failed_ratio", -1, m_failed_ratio}, /* rejected + timeouts + errors */
};
#define M_FAILED 13
#define NMETRICS (sizeof metrics / sizeof metrics[0])

static double metric_value(const struct metric *m, const struct run_result *r)
{
    return m->q >= 0 ? ms(sparse_q(&r->latency, m->q)) : m->get(r);
}

/* ---- runs.csv --------------------------------------------------------- */

/* The names of the extra metrics over all runs, in first-seen order (runs
 * are in run order, so this is deterministic). Caller frees the array only. */
static size_t extra_names(const struct report *rp, const char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < rp->nruns; i++) {
        for (size_t k = 0; k < rp->runs[i].nextra; k++) {
            const char *name = rp->runs[i].extra[k].name;
            size_t j = 0;
            while (j < n && strcmp((*out)[j], name) != 0)
                j++;
            if (j < n)
                continue;
            xgrow(out, &cap, n + 1, sizeof **out);
            (*out)[n++] = name;
        }
    }
    return n;
}

static double extra_value(const struct run_result *r, const char *name)
{
    for (size_t k = 0; k < r->nextra; k++)
        if (strcmp(r->extra[k].name, name) == 0)
            return r->extra[k].value;
    return NA;
}

/* The fixed columns of the files that also carry one column per sweep
 * variable, which therefore must not take any of these names. */
#define KEY_COLS "run,rep,seed"
static const char runs_cols[] =
    "offered,completed,rejected,timeouts,errors,in_flight,attempts,"
    "attempts_per_request,offered_rps,throughput_rps,latency_mean_ms,"
    "latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_p999_ms,"
    "latency_max_ms,warmup_s,window_s,precision_met,events,stopped,stopped_at_s";
static const char components_cols[] =
    "component,kind,arrivals,completed,rejected,errors,throughput_rps,"
    "utilisation,mean_busy,mean_queue,mean_in_system,wait_mean_ms,"
    "wait_p50_ms,wait_p90_ms,wait_p99_ms,p_wait_gt0,wait_m2_s2,"
    "local_mean_ms,response_mean_ms,response_p50_ms,response_p99_ms,"
    "littles_law_l";
static const char summary_cols[] = "metric,value,ci_low,ci_high,n";

static bool in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && strncmp(p, name, n) == 0)
            return true;
        p += k + (p[k] == ',');
    }
    return false;
}

const char *report_column_taken(const char *name)
{
    if (in_list(KEY_COLS, name) || in_list(runs_cols, name))
        return "runs.csv";
    if (in_list(components_cols, name))
        return "components.csv";
    if (strcmp(name, "point") == 0 || in_list(summary_cols, name))
        return "summary.csv";
    if (in_list("t_s,failed_rps,requests_in_system", name)) /* the rest are runs.csv's */
        return "timeseries.csv";
    return NULL;
}

static void write_runs(struct outfile *o, const struct report *rp)
{
    const char **xn;
    size_t nx = extra_names(rp, &xn);
    outfile_printf(o, "%s", KEY_COLS);
    sweep_header(o, rp->sc);
    outfile_printf(o, ",%s", runs_cols);
    for (size_t k = 0; k < nx; k++) {
        outfile_printf(o, ",");
        csv_str(o, xn[k]);
    }
    outfile_printf(o, "\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        outfile_printf(o, "%zu,%zu,%llu", r->run, r->rep, (unsigned long long)r->seed);
        sweep_values(o, rp->sc, r->point);
        outfile_printf(o, ",%llu,%llu,%llu,%llu,%llu,%llu,%llu", (unsigned long long)r->offered,
                       (unsigned long long)r->completed, (unsigned long long)r->rejected,
                       (unsigned long long)r->timeouts, (unsigned long long)r->errors,
                       (unsigned long long)r->in_flight, (unsigned long long)r->attempts);
        num(o, m_attempts(r));
        num(o, m_offered_rps(r));
        num(o, m_throughput(r));
        for (size_t m = 7; m < M_FAILED; m++) /* latency mean .. max */
            num(o, metric_value(&metrics[m], r));
        num(o, r->warmup_s);
        num(o, r->window_s);
        outfile_printf(o, ",%s,%llu,%s",
                       r->precision_met < 0 ? "" : r->precision_met ? "yes" : "no",
                       (unsigned long long)r->events,
                       r->stop.overloaded ? "overload" : r->stop.stalled ? "stalled" : "");
        num(o, r->stop.overloaded || r->stop.stalled ? r->stop.at_s : NA);
        for (size_t k = 0; k < nx; k++)
            num(o, extra_value(r, xn[k]));
        outfile_printf(o, "\n");
    }
    free(xn);
}

/* ---- components.csv --------------------------------------------------- */

static void write_components(struct outfile *o, const struct report *rp)
{
    outfile_printf(o, "%s", KEY_COLS);
    sweep_header(o, rp->sc);
    outfile_printf(o, ",%s\n", components_cols);
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t c = 0; c < r->ncomps; c++) {
            const struct comp_result *cr = &r->comps[c];
            outfile_printf(o, "%zu,%zu,%llu", r->run, r->rep, (unsigned long long)r->seed);
            sweep_values(o, rp->sc, r->point);
            outfile_printf(o, ",");
            csv_str(o, cr->name);
            outfile_printf(o, ",%s,%llu,%llu,%llu,%llu", cr->kind,
                           (unsigned long long)cr->arrivals, (unsigned long long)cr->completed,
                           (unsigned long long)cr->rejected, (unsigned long long)cr->errors);
            double win = r->window_s;
            num(o, win > 0 ? (double)cr->completed / win : NA);
            num(o, cr->servers > 0 ? cr->mean_busy / cr->servers : NA);
            num(o, cr->mean_busy);
            num(o, cr->mean_queue);
            num(o, cr->mean_insys);
            const struct sparse_hist *w = &cr->wait;
            num(o, ms(sparse_mean(w)));
            num(o, ms(sparse_q(w, 0.5)));
            num(o, ms(sparse_q(w, 0.9)));
            num(o, ms(sparse_q(w, 0.99)));
            double gt0 = NA;
            if (w->total) {
                uint64_t zero = w->n && w->index[0] == 0 ? w->count[0] : 0;
                gt0 = 1.0 - (double)zero / (double)w->total;
            }
            num(o, gt0);
            num(o, w->total ? (double)(w->sumsq / (long double)w->total) / (NS_PER_S * NS_PER_S)
                            : NA);
            num(o, ms(sparse_mean(&cr->local)));
            num(o, ms(sparse_mean(&cr->resp)));
            num(o, ms(sparse_q(&cr->resp, 0.5)));
            num(o, ms(sparse_q(&cr->resp, 0.99)));
            /* Little's law: arrival rate times mean time in the component. */
            num(o, win > 0 && cr->resp.total
                       ? (double)cr->arrivals / win * sparse_mean(&cr->resp) / NS_PER_S
                       : NA);
            outfile_printf(o, "\n");
        }
    }
}

/* ---- histograms.csv --------------------------------------------------- */

static void hist_rows(struct outfile *o, size_t run, const char *name, const struct sparse_hist *s)
{
    for (size_t i = 0; i < s->n; i++) {
        int64_t lo, hi;
        hist_bucket_bounds(s->index[i], &lo, &hi);
        outfile_printf(o, "%zu,", run);
        csv_str(o, name);
        outfile_printf(o, ",%lld,%lld,%llu\n", (long long)lo, (long long)hi,
                       (unsigned long long)s->count[i]);
    }
}

static void write_histograms(struct outfile *o, const struct report *rp)
{
    outfile_printf(o, "run,histogram,lo_ns,hi_ns,count\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        hist_rows(o, r->run, "latency", &r->latency);
        for (size_t c = 0; c < r->ncomps; c++) {
            const struct comp_result *cr = &r->comps[c];
            if (!cr->has_hists)
                continue;
            char name[256];
            snprintf(name, sizeof name, "%s.wait", cr->name);
            hist_rows(o, r->run, name, &cr->wait);
            snprintf(name, sizeof name, "%s.response", cr->name);
            hist_rows(o, r->run, name, &cr->resp);
        }
    }
}

/* ---- summary.csv ------------------------------------------------------ */

/* Runs of one sweep point, as a range [b, e) of rp->runs (runs are sorted). */
static size_t point_end(const struct report *rp, size_t b)
{
    size_t e = b;
    while (e < rp->nruns && rp->runs[e].point == rp->runs[b].point)
        e++;
    return e;
}

/* Pooled latency histogram of runs [b, e). */
static struct hist *pooled(const struct report *rp, size_t b, size_t e)
{
    struct hist *h = hist_new();
    for (size_t i = b; i < e; i++)
        sparse_into_hist(&rp->runs[i].latency, h);
    return h;
}

static int64_t pooled_max(const struct report *rp, size_t b, size_t e)
{
    int64_t m = 0;
    for (size_t i = b; i < e; i++)
        if (rp->runs[i].latency.total && rp->runs[i].latency.max > m)
            m = rp->runs[i].latency.max;
    return m;
}

/* The range a metric's value lies in, so that no interval leaves it: every
 * sdsim metric is a count, rate, time or ratio, so none is negative, and
 * ratios, fractions and probabilities (names ending in _ratio or _fraction,
 * or starting with p_ after the component's prefix) are at most 1. */
static void metric_range(const char *name, double *min, double *max)
{
    const char *dot = strrchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    size_t n = strlen(base);
    bool unit = (n > 6 && strcmp(base + n - 6, "_ratio") == 0) ||
                (n > 9 && strcmp(base + n - 9, "_fraction") == 0) || strncmp(base, "p_", 2) == 0;
    *min = 0.0;
    *max = unit ? 1.0 : (double)INFINITY;
}

/* Mean and CI over replications of a metric with no pooled form (an extra
 * metric, or a mean), cut to the metric's range. */
static void ci_of_values(const double *x, size_t n, const char *name, struct ci *ci)
{
    double min, max;
    stats_ci95(x, n, ci);
    metric_range(name, &min, &max);
    stats_ci_clamp(ci, min, max);
}

/* Summary of one metric over runs [b, e). Means and ratios: the mean of the
 * per-replication values with a Student t interval. Percentiles: the value
 * of the histogram pooled over the replications, never a mean of
 * percentiles, with a sectioning interval about it (stats_ci95_about: the
 * spread of the per-replication percentiles). The maximum is an observed
 * extreme, not an estimate of a parameter: it has no interval. One
 * replication gives no interval (lo, hi NAN). */
static void summarise(const struct report *rp, size_t b, size_t e, const struct metric *m,
                      const struct hist *pool, struct ci *ci, double *value)
{
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double v = metric_value(m, &rp->runs[i]);
        if (!isnan(v))
            x[n++] = v;
    }
    if (m->q >= 1.0) {
        stats_ci95(x, 0, ci);
        ci->n = n;
        *value = ms((double)pooled_max(rp, b, e));
    } else if (m->q >= 0) {
        *value = hist_count(pool) ? ms((double)hist_quantile(pool, m->q)) : NA;
        stats_ci95_about(x, n, *value, ci);
        double min, max;
        metric_range(m->name, &min, &max);
        stats_ci_clamp(ci, min, max);
    } else {
        ci_of_values(x, n, m->name, ci);
        *value = ci->mean;
    }
    free(x);
    if (n == 0)
        *value = ci->lo = ci->hi = NA;
}

/* A value and its interval as three plot-data columns. Without an interval
 * (one replication, or a maximum) the error bar has no length. */
static void plot_triple(struct outfile *o, double value, const struct ci *ci)
{
    outfile_printf(o, " %.9g %.9g %.9g", value, isnan(ci->lo) ? value : ci->lo,
                   isnan(ci->hi) ? value : ci->hi);
}

/* Runs of [b, e) that stopped early (max_in_flight, or a stalled clock). */
static size_t stopped_runs(const struct report *rp, size_t b, size_t e)
{
    size_t n = 0;
    for (size_t i = b; i < e; i++)
        n += rp->runs[i].stop.overloaded || rp->runs[i].stop.stalled;
    return n;
}

/* Whether the pooled value of the SLO's metric over runs [b, e) is below its
 * limit (pooled percentiles, mean of means). A point where some run stopped
 * early never meets it: the load could not be carried, whatever the figures
 * until the stop say. */
static int slo_met(const struct report *rp, size_t b, size_t e, const struct hist *pool)
{
    if (stopped_runs(rp, b, e) > 0)
        return 0;
    for (size_t m = 0; m < NMETRICS; m++) {
        if (strcmp(metrics[m].name, rp->slo_metric) != 0)
            continue;
        struct ci ci;
        double value;
        summarise(rp, b, e, &metrics[m], pool, &ci, &value);
        return !isnan(value) && value < rp->slo_limit;
    }
    return 0;
}

static void write_summary(struct outfile *o, const struct report *rp)
{
    const char **xn;
    size_t nx = extra_names(rp, &xn);
    outfile_printf(o, "point");
    sweep_header(o, rp->sc);
    outfile_printf(o, ",%s\n", summary_cols);
    for (size_t b = 0; b < rp->nruns;) {
        size_t e = point_end(rp, b);
        struct hist *pool = pooled(rp, b, e);
        for (size_t m = 0; m < NMETRICS; m++) {
            struct ci ci;
            double value;
            summarise(rp, b, e, &metrics[m], pool, &ci, &value);
            outfile_printf(o, "%zu", rp->runs[b].point);
            sweep_values(o, rp->sc, rp->runs[b].point);
            outfile_printf(o, ",%s", metrics[m].name);
            num(o, value);
            num(o, ci.lo);
            num(o, ci.hi);
            outfile_printf(o, ",%zu\n", ci.n);
        }
        for (size_t k = 0; k < nx; k++) {
            double *x = xcalloc(e - b + 1, sizeof *x);
            size_t n = 0;
            for (size_t i = b; i < e; i++) {
                double v = extra_value(&rp->runs[i], xn[k]);
                if (!isnan(v))
                    x[n++] = v;
            }
            struct ci ci;
            ci_of_values(x, n, xn[k], &ci);
            free(x);
            outfile_printf(o, "%zu", rp->runs[b].point);
            sweep_values(o, rp->sc, rp->runs[b].point);
            outfile_printf(o, ",");
            csv_str(o, xn[k]);
            num(o, n ? ci.mean : NA);
            num(o, n ? ci.lo : NA);
            num(o, n ? ci.hi : NA);
            outfile_printf(o, ",%zu\n", ci.n);
        }
        if (rp->slo_metric) {
            outfile_printf(o, "%zu", rp->runs[b].point);
            sweep_values(o, rp->sc, rp->runs[b].point);
            outfile_printf(o, ",slo_met,%d,,,%zu\n", slo_met(rp, b, e, pool), e - b);
        }
        size_t ns = stopped_runs(rp, b, e);
        if (ns > 0) { /* only then: results without a stop keep their rows */
            outfile_printf(o, "%zu", rp->runs[b].point);
            sweep_values(o, rp->sc, rp->runs[b].point);
            outfile_printf(o, ",stopped_runs,%zu,,,%zu\n", ns, e - b);
        }
        hist_free(pool);
        b = e;
    }
    free(xn);
}

/* ---- manifest.txt ----------------------------------------------------- */

static void write_manifest(struct outfile *o, const struct report *rp)
{
    const struct scenario *sc = rp->sc;
    outfile_printf(o, "# sdsim results manifest: how to reproduce every row\n");
    outfile_printf(o, "sdsim_version: %s\n", SDSIM_VERSION);
    if (SDSIM_COMMIT[0])
        outfile_printf(o, "sdsim_commit: %s\n", SDSIM_COMMIT);
    outfile_printf(o, "scenario: %s (a copy as run: scenario.ini)\n", sc->file);
    outfile_printf(o, "scenario_fnv1a64: %016llx\n", (unsigned long long)sc->hash);
    outfile_printf(o, "command: %s\n", rp->command);
    outfile_printf(o, "base_seed: %llu\n", (unsigned long long)rp->base_seed);
    outfile_printf(o, "repeat: %lld\n", rp->repeat);
    outfile_printf(o, "points: %zu\n", scenario_npoints(sc));
    outfile_printf(o, "runs_written: %zu\n", rp->nruns);
    for (size_t i = 0; i < sc->nsweeps; i++) {
        outfile_printf(o, "sweep %s:", sc->sweeps[i].name);
        for (size_t j = 0; j < sc->sweeps[i].nvalues; j++)
            outfile_printf(o, "%s %s", j ? "," : "", sc->sweeps[i].values[j]);
        outfile_printf(o, "\n");
    }
    outfile_printf(o, "\n# run point rep seed parameters | command that recomputes that run\n");
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        char *label = point_label(sc, r->point);
        outfile_printf(o,
                       "run %zu point %zu rep %zu seed %llu %s | sdsim run %s/scenario.ini%s%s "
                       "--seed %llu --runs %zu -o %s-run%zu\n",
                       r->run, r->point, r->rep, (unsigned long long)r->seed, label, rp->outdir,
                       rp->sets && *rp->sets ? " " : "", rp->sets ? rp->sets : "",
                       (unsigned long long)rp->base_seed, r->run, rp->outdir, r->run);
        free(label);
    }
}

/* ---- plots ------------------------------------------------------------ */

/* latency_cdf.dat: one block per sweep point (pooled over replications),
 * separated by two blank lines, each starting with a header for its title. */
static void write_cdf_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = 0;
    for (size_t b = 0; b < rp->nruns;) {
        size_t e = point_end(rp, b);
        struct hist *pool = pooled(rp, b, e);
        char *label = point_label(rp->sc, rp->runs[b].point);
        outfile_printf(o, "%s\"%s\" \"cdf\"\n", *nblocks ? "\n\n" : "", label);
        free(label);
        uint64_t total = hist_count(pool), seen = 0;
        size_t it = 0, idx;
        uint64_t cnt;
        while (hist_next_bucket(pool, &it, &idx, &cnt)) {
            int64_t lo, hi;
            hist_bucket_bounds(idx, &lo, &hi);
            if (seen == 0) /* the step up starts from 0 (and the x range is never empty) */
                outfile_printf(o, "%.9g 0\n", ms(lo > 0 ? (double)lo : ((double)hi + 1) / 2));
            seen += cnt;
            outfile_printf(o, "%.9g %.9g\n", ms((double)hi + 1), (double)seen / (double)total);
        }
        hist_free(pool);
        (*nblocks)++;
        b = e;
    }
}

static void write_cdf_script(struct outfile *o, size_t nblocks)
{
    outfile_printf(o,
                   "# Latency CDF per sweep point, pooled over replications.\n"
                   "# Redraw with: sdsim plot DIR (or: gnuplot latency_cdf.gp in DIR)\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set output 'latency_cdf.png'\n"
                   "set xlabel 'end-to-end latency (ms)'\n"
                   "set ylabel 'fraction of requests at or below'\n"
                   "set logscale x\n"
                   "set yrange [0:1]\n"
                   "set grid\n"
                   "set key bottom right\n"
                   "plot for [i=0:%zu] 'latency_cdf.dat' index i using 1:2 with steps lw 2 "
                   "title columnheader(1)\n",
                   nblocks ? nblocks - 1 : 0);
}

static bool all_numeric(const struct sc_sweep *w)
{
    for (size_t i = 0; i < w->nvalues; i++) {
        char *end;
        strtod(w->values[i], &end);
        if (end == w->values[i] || *end)
            return false;
    }
    return true;
}

/* sweep_latency.dat: x, p50 (pooled) and its CI, p99 and its CI; one block
 * per combination of the other sweeps. */
static void write_sweep_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    const struct scenario *sc = rp->sc;
    size_t n0 = sc->sweeps[0].nvalues;
    size_t rest_n = scenario_npoints(sc) / n0;
    bool numeric = all_numeric(&sc->sweeps[0]);
    *nblocks = 0;
    for (size_t rest = 0; rest < rest_n; rest++) {
        bool header = false;
        for (size_t b = 0; b < rp->nruns;) {
            size_t e = point_end(rp, b);
            size_t pt = rp->runs[b].point;
            if (pt % rest_n != rest) {
                b = e;
                continue;
            }
            if (!header) {
                char *label = point_label(sc, pt);
                /* the title names only the other sweeps */
                const char *t = sc->nsweeps > 1 ? strchr(label, ' ') + 1 : "";
                outfile_printf(o,
                               "%s\"%s\" \"p50\" \"lo\" \"hi\" \"p99\" \"lo\" \"hi\" \"x\" "
                               "\"throughput\" \"lo\" \"hi\" \"errors\" \"lo\" \"hi\"\n",
                               *nblocks ? "\n\n" : "", t);
                free(label);
                header = true;
                (*nblocks)++;
            }
            struct hist *pool = pooled(rp, b, e);
            const char *xv = scenario_sweep_value(sc, pt, 0);
            outfile_printf(o, "%s", numeric ? xv : "");
            if (!numeric)
                outfile_printf(o, "%zu", pt / rest_n);
            for (int k = 0; k < 2; k++) {
                struct ci ci;
                double value;
                summarise(rp, b, e, &metrics[k ? 10 : 8], pool, &ci, &value);
                plot_triple(o, value, &ci);
            }
            outfile_printf(o, " \"%s\"", xv);
            for (int k = 0; k < 2; k++) { /* throughput, then error ratio */
                struct ci ci;
                double value;
                summarise(rp, b, e, &metrics[k ? M_FAILED : 1], pool, &ci, &value);
                plot_triple(o, value, &ci);
            }
            outfile_printf(o, "\n");
            hist_free(pool);
            b = e;
        }
    }
}

/* gnuplot cannot scale an axis whose values are all zero. */
static bool any_failed(const struct report *rp)
{
    for (size_t i = 0; i < rp->nruns; i++)
        if (m_failed_ratio(&rp->runs[i]) > 0)
            return true;
    return false;
}

static void write_sweep_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    const struct sc_sweep *w = &rp->sc->sweeps[0];
    bool numeric = all_numeric(w);
    outfile_printf(o,
                   "# p50 and p99 end-to-end latency, and throughput and failures, against\n"
                   "# the sweep variable '%s'.\n"
                   "# Points are pooled over replications; error bars are 95%% CIs across\n"
                   "# replications (none with repeat = 1).\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set output 'sweep_latency.png'\n"
                   "set xlabel '%s'\n"
                   "set ylabel 'end-to-end latency (ms)'\n"
                   "set grid\n"
                   "set key top left\n"
                   "set offsets graph 0.05, graph 0.05, graph 0.05, 0\n",
                   w->name, w->name);
    /* gnuplot takes the tick label as the last column spec */
    const char *x = numeric ? "" : ":xticlabels(8)";
    if (!numeric)
        outfile_printf(o, "set xtics rotate by 25 right font ',9'\nset bmargin 12\nset lmargin 20\n");
    outfile_printf(o,
                   "plot for [i=0:%zu] 'sweep_latency.dat' index i using 1:2:3:4%s with "
                   "yerrorlines lw 2 title sprintf('p50 %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'sweep_latency.dat' index i using 1:5:6:7 with "
                   "yerrorlines lw 2 dt 2 title sprintf('p99 %%s', columnheader(1))\n"
                   "set output 'sweep_throughput.png'\n"
                   "set ylabel 'requests per second'\n"
                   "set y2label 'failed requests (%%)'\n"
                   "set y2tics\n"
                   "set y2range [0:%s]\n"
                   "set ytics nomirror\n"
                   "plot for [i=0:%zu] 'sweep_latency.dat' index i using 1:9:10:11%s with "
                   "yerrorlines lw 2 title sprintf('throughput %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'sweep_latency.dat' index i using 1:($12*100):($13*100):"
                   "($14*100) axes x1y2 with yerrorlines lw 2 dt 2 "
                   "title sprintf('failed %%%% %%s', columnheader(1))\n",
                   nblocks ? nblocks - 1 : 0, x, nblocks ? nblocks - 1 : 0,
                   any_failed(rp) ? "*" : "1", nblocks ? nblocks - 1 : 0, x,
                   nblocks ? nblocks - 1 : 0);
}

/* ---- sweep_metrics: chosen runs.csv columns against the first sweep --- */

/* Splits rp->plot into the columns some run has (a summary metric or a
 * kind's extra metric), at most max, and the first one none has (into
 * unknown, "" if none). */
static size_t plot_split(const struct report *rp, char names[][64], size_t max, char *unknown,
                         size_t size)
{
    const char **xn;
    size_t nx = extra_names(rp, &xn), n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", rp->plot ? rp->plot : "");
    unknown[0] = '\0';
    for (char *save, *t = strtok_r(buf, ", \t", &save); t && n < max;
         t = strtok_r(NULL, ", \t", &save)) {
        bool known = false;
        for (size_t m = 0; m < NMETRICS; m++)
            known |= strcmp(metrics[m].name, t) == 0;
        for (size_t k = 0; k < nx; k++)
            known |= strcmp(xn[k], t) == 0;
        if (known)
            snprintf(names[n++], 64, "%s", t);
        else if (!unknown[0])
            snprintf(unknown, size, "%s", t);
    }
    free(xn);
    return n;
}

const char *report_plot_unknown(const struct report *rp, char *buf, size_t size)
{
    char names[REPORT_PLOT_MAX][64];
    plot_split(rp, names, REPORT_PLOT_MAX, buf, size);
    return buf[0] ? buf : NULL;
}

/* Mean and 95% CI over runs [b, e) of column `name`: a summary metric (its
 * quantiles pooled, as in summary.csv) or a kind's extra metric. */
static void column_ci(const struct report *rp, size_t b, size_t e, const char *name,
                      struct ci *ci, double *value)
{
    for (size_t m = 0; m < NMETRICS; m++) {
        if (strcmp(metrics[m].name, name) == 0) {
            struct hist *pool = pooled(rp, b, e);
            summarise(rp, b, e, &metrics[m], pool, ci, value);
            hist_free(pool);
            return;
        }
    }
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        double v = extra_value(&rp->runs[i], name);
        if (!isnan(v))
            x[n++] = v;
    }
    ci_of_values(x, n, name, ci);
    free(x);
    *value = n ? ci->mean : NA;
    if (n == 0)
        ci->lo = ci->hi = NA;
}

/* sweep_metrics.dat: for each column, one block per combination of the
 * other sweeps: x, mean, CI low, CI high, x label. first[k] is the index of
 * column k's first block; first[ncols] the number of blocks. */
static void write_metrics_data(struct outfile *o, const struct report *rp, char names[][64],
                               size_t ncols, size_t *first)
{
    const struct scenario *sc = rp->sc;
    size_t rest_n = scenario_npoints(sc) / sc->sweeps[0].nvalues;
    bool numeric = all_numeric(&sc->sweeps[0]);
    size_t nblocks = 0;
    for (size_t k = 0; k < ncols; k++) {
        first[k] = nblocks;
        for (size_t rest = 0; rest < rest_n; rest++) {
            bool header = false;
            for (size_t b = 0, e; b < rp->nruns; b = e) {
                e = point_end(rp, b);
                size_t pt = rp->runs[b].point;
                if (pt % rest_n != rest)
                    continue;
                if (!header) {
                    char *label = point_label(sc, pt);
                    const char *t = sc->nsweeps > 1 ? strchr(label, ' ') + 1 : "";
                    outfile_printf(o, "%s\"%s\" \"mean\" \"lo\" \"hi\" \"x\"\n",
                                   nblocks ? "\n\n" : "", t);
                    free(label);
                    header = true;
                    nblocks++;
                }
                struct ci ci;
                double value;
                column_ci(rp, b, e, names[k], &ci, &value);
                const char *xv = scenario_sweep_value(sc, pt, 0);
                if (numeric)
                    outfile_printf(o, "%s", xv);
                else
                    outfile_printf(o, "%zu", pt / rest_n);
                plot_triple(o, value, &ci);
                outfile_printf(o, " \"%s\"\n", xv);
            }
        }
    }
    first[ncols] = nblocks;
}

static void write_metrics_script(struct outfile *o, const struct report *rp, char names[][64],
                                 size_t ncols, const size_t *first)
{
    const struct sc_sweep *w = &rp->sc->sweeps[0];
    bool numeric = all_numeric(w);
    outfile_printf(o,
                   "# The runs.csv columns named by [sim] plot against the sweep variable\n"
                   "# '%s': the mean over replications with its 95%% CI (sweep_metrics.dat).\n"
                   "set terminal pngcairo size 900,600 noenhanced\n"
                   "set xlabel '%s'\n"
                   "set grid\n"
                   "set key top left Left reverse\n"
                   "set offsets graph 0.05, graph 0.05, graph 0.05, 0\n",
                   w->name, w->name);
    if (!numeric)
        outfile_printf(o, "set xtics rotate by 25 right font ',9'\nset bmargin 12\n");
    for (size_t k = 0; k < ncols; k++) {
        if (first[k + 1] == first[k])
            continue;
        outfile_printf(o,
                       "set output 'sweep_%s.png'\n"
                       "set ylabel '%s'\n"
                       "plot for [i=%zu:%zu] 'sweep_metrics.dat' index i using 1:2:3:4%s with "
                       "yerrorlines lw 2 title columnheader(1)\n",
                       names[k], names[k], first[k], first[k + 1] - 1,
                       numeric ? "" : ":xticlabels(5)");
    }
}

/* ---- timeseries.csv and its plot ------------------------------------ */

static bool has_timeseries(const struct report *rp)
{
    return rp->nruns > 0 && rp->runs[0].ts_nrows > 0;
}

/* The time-series column names over all runs, in first-seen order: a sweep
 * may add columns in some runs only (autoscale = ${a = none, hpa(...)},
 * breaker = ...). Caller frees the array only. */
static size_t ts_union_names(const struct report *rp, const char ***out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t k = 0; k < r->ts_ncols; k++) {
            size_t j = 0;
            while (j < n && strcmp((*out)[j], r->ts_names[k]) != 0)
                j++;
            if (j < n)
                continue;
            xgrow(out, &cap, n + 1, sizeof **out);
            (*out)[n++] = r->ts_names[k];
        }
    }
    return n;
}

static void write_timeseries(struct outfile *o, const struct report *rp)
{
    const char **names;
    size_t nn = ts_union_names(rp, &names);
    outfile_printf(o, "run,rep,seed");
    sweep_header(o, rp->sc);
    outfile_printf(o, ",t_s");
    for (size_t j = 0; j < nn; j++) {
        outfile_printf(o, ",");
        csv_str(o, names[j]);
    }
    outfile_printf(o, "\n");
    size_t *col = xmalloc((nn ? nn : 1) * sizeof *col); /* run column of each name, or SIZE_MAX */
    for (size_t i = 0; i < rp->nruns; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t j = 0; j < nn; j++) {
            col[j] = SIZE_MAX;
            for (size_t k = 0; k < r->ts_ncols && col[j] == SIZE_MAX; k++)
                if (strcmp(r->ts_names[k], names[j]) == 0)
                    col[j] = k;
        }
        for (size_t k = 0; k < r->ts_nrows; k++) {
            const double *row = r->ts_rows + k * (1 + r->ts_ncols);
            outfile_printf(o, "%zu,%zu,%llu", r->run, r->rep, (unsigned long long)r->seed);
            sweep_values(o, rp->sc, r->point);
            num(o, row[0]);
            for (size_t j = 0; j < nn; j++)
                num(o, col[j] == SIZE_MAX ? NA : row[1 + col[j]]);
            outfile_printf(o, "\n");
        }
    }
    free(col);
    free(names);
}

/* timeseries.dat: the first replication of each sweep point, one block each;
 * whitespace separated, "NaN" where an interval had no reply. */
static void write_ts_data(struct outfile *o, const struct report *rp, size_t *nblocks)
{
    *nblocks = 0;
    const char **names;
    size_t nn = ts_union_names(rp, &names); /* every block has these columns */
    for (size_t b = 0; b < rp->nruns; b = point_end(rp, b)) {
        const struct run_result *r = &rp->runs[b];
        char *label = point_label(rp->sc, r->point);
        outfile_printf(o, "%s\"%s (rep %zu)\"", *nblocks ? "\n\n" : "", label, r->rep);
        for (size_t j = 0; j < nn; j++)
            outfile_printf(o, " \"%s\"", names[j]);
        outfile_printf(o, "\n");
        free(label);
        for (size_t k = 0; k < r->ts_nrows; k++) {
            const double *row = r->ts_rows + k * (1 + r->ts_ncols);
            outfile_printf(o, "%.9g", row[0]);
            for (size_t j = 0; j < nn; j++) {
                size_t c = 0;
                while (c < r->ts_ncols && strcmp(r->ts_names[c], names[j]) != 0)
                    c++;
                double v = c < r->ts_ncols ? row[1 + c] : (double)NAN;
                outfile_printf(o, " %.9g", isnan(v) ? (double)NAN : v);
            }
            outfile_printf(o, "\n");
        }
        (*nblocks)++;
    }
    free(names);
}

/* Three panels over time: throughput and failures, p50/p99 latency, and the
 * replicas of every component that has them. Column numbers are those of
 * timeseries.dat (1 = t_s). */
static void write_ts_script(struct outfile *o, const struct report *rp, size_t nblocks)
{
    const struct run_result *r0 = &rp->runs[0];
    const char **names;
    size_t nn = ts_union_names(rp, &names); /* the columns of timeseries.dat */
    size_t last = nblocks ? nblocks - 1 : 0;
    outfile_printf(o, "# Shaded: scheduled faults.\n");
    for (size_t i = 0; i < r0->nspans; i++)
        outfile_printf(o, "set object %zu rect from %.9g, graph 0 to %.9g, graph 1 behind fc rgb 'gray85' fs solid 0.6 noborder\n",
                       i + 1, r0->spans[i].from_s, r0->spans[i].to_s);
    outfile_printf(o,
                   "# The first replication of each sweep point over time (timeseries.dat).\n"
                   "set terminal pngcairo size 1100,%zu noenhanced\n"
                   "set output 'timeseries.png'\n"
                   "set datafile missing 'nan'\n"
                   "set grid\n"
                   "set key outside below left Left reverse maxcols 1\n"
                   "set xrange [0:*]\n"
                   "set style rect fc rgb 'gray80' fs solid 0.5 noborder\n"
                   "set multiplot layout 3,1\n"
                   "set lmargin 12\n"
                   "set rmargin 4\n"
                   "set xlabel 'simulated time (s)'\n"
                   "set ylabel 'requests per second'\n"
                   "plot for [i=0:%zu] 'timeseries.dat' index i using 1:3 with lines lw 2 "
                   "title sprintf('completed %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'timeseries.dat' index i using 1:4 with lines dt 2 "
                   "title sprintf('failed %%s', columnheader(1))\n"
                   "set ylabel 'end-to-end latency (ms)'\n"
                   "set logscale y\n"
                   "plot for [i=0:%zu] 'timeseries.dat' index i using 1:6 with lines lw 2 "
                   "title sprintf('p99 %%s', columnheader(1)), \\\n"
                   "     for [i=0:%zu] 'timeseries.dat' index i using 1:5 with lines dt 2 "
                   "title sprintf('p50 %%s', columnheader(1))\n"
                   "unset logscale y\n"
                   "set ylabel 'replicas'\n"
                   "set yrange [0:*]\n"
                   "set ytics 1\n"
                   "plot ",
                   (size_t)900 + 3 * 40 * nblocks, last, last, last, last);
    bool first = true;
    for (size_t j = 0; j < nn; j++) {
        const char *n = names[j];
        const char *dot = strrchr(n, '.');
        if (!dot || strcmp(dot, ".replicas") != 0)
            continue;
        /* A balancer's own count is its pool's size; what it has in rotation
         * (its in_rotation column, further right) is what matters. */
        size_t col = j, plen = (size_t)(dot - n);
        const char *what = "up";
        for (size_t k = j + 1; k < nn; k++)
            if (!strncmp(names[k], n, plen + 1) && !strcmp(names[k] + plen, ".in_rotation")) {
                col = k;
                what = "in rotation";
            }
        outfile_printf(o,
                       "%sfor [i=0:%zu] 'timeseries.dat' index i using 1:%zu with steps lw 2 "
                       "title sprintf('%.*s %s %%s', columnheader(1))",
                       first ? "" : ", \\\n     ", last, col + 2, (int)plen, n, what);
        first = false;
    }
    if (first)
        outfile_printf(o, "0 notitle");
    outfile_printf(o, "\nunset multiplot\n");
    free(names);
}

/* ---- all files -------------------------------------------------------- */

/* What the writers of one results folder share: a data file's block count
 * for its script, and the columns named by `plot`. */
struct wctx {
    size_t nblocks;
    char cols[REPORT_PLOT_MAX][64];
    size_t ncols;
    size_t first[REPORT_PLOT_MAX + 1];
};

typedef void writer_fn(struct outfile *o, const struct report *rp, struct wctx *w);

static void w_runs(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_runs(o, rp);
}
/* scenario.ini: the scenario's text as it was read (the --set options are
 * in the manifest's commands), so the folder reproduces itself even when
 * the file changes or came from standard input. */
static void w_scenario(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    outfile_printf(o, "%s", rp->sc->text);
}

static void w_summary(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_summary(o, rp);
}
static void w_components(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_components(o, rp);
}
static void w_histograms(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_histograms(o, rp);
}
static void w_manifest(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_manifest(o, rp);
}
static void w_cdf_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_cdf_data(o, rp, &w->nblocks);
}
static void w_cdf_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)rp;
    write_cdf_script(o, w->nblocks);
}
static void w_ts(struct outfile *o, const struct report *rp, struct wctx *w)
{
    (void)w;
    write_timeseries(o, rp);
}
static void w_ts_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_ts_data(o, rp, &w->nblocks);
}
static void w_ts_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_ts_script(o, rp, w->nblocks);
}
static void w_sweep_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_sweep_data(o, rp, &w->nblocks);
}
static void w_sweep_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_sweep_script(o, rp, w->nblocks);
}
static void w_metrics_data(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_metrics_data(o, rp, w->cols, w->ncols, w->first);
}
static void w_metrics_script(struct outfile *o, const struct report *rp, struct wctx *w)
{
    write_metrics_script(o, rp, w->cols, w->ncols, w->first);
}

/* Latency plots need at least one successful request (a run of probes such
 * as [wars] has none, and gnuplot cannot scale an empty axis). */
static bool any_latency(const struct report *rp)
{
    for (size_t i = 0; i < rp->nruns; i++)
        if (rp->runs[i].latency.total > 0)
            return true;
    return false;
}

int report_write(const struct report *rp, const struct outdir *od, int *err, const char **what)
{
    struct wctx w = {0};
    bool sweep = rp->sc->nsweeps > 0 && point_end(rp, 0) < rp->nruns; /* >= 2 points */
    bool lat = any_latency(rp);
    char unknown[64]; /* reported by main through report_plot_unknown */
    if (sweep)
        w.ncols = plot_split(rp, w.cols, REPORT_PLOT_MAX, unknown, sizeof unknown);
    const struct {
        const char *name;
        writer_fn *fn;
        bool wanted;
    } files[] = {
        {"runs.csv", w_runs, true},
        {"summary.csv", w_summary, true},
        {"components.csv", w_components, true},
        {"histograms.csv", w_histograms, true},
        {"manifest.txt", w_manifest, true},
        {"scenario.ini", w_scenario, true},
        {"latency_cdf.dat", w_cdf_data, lat},
        {"latency_cdf.gp", w_cdf_script, lat},
        {"timeseries.csv", w_ts, has_timeseries(rp)},
        {"timeseries.dat", w_ts_data, has_timeseries(rp)},
        {"timeseries.gp", w_ts_script, has_timeseries(rp)},
        {"sweep_latency.dat", w_sweep_data, sweep && lat},
        {"sweep_latency.gp", w_sweep_script, sweep && lat},
        {"sweep_metrics.dat", w_metrics_data, w.ncols > 0},
        {"sweep_metrics.gp", w_metrics_script, w.ncols > 0},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (!files[i].wanted)
            continue;
        struct outfile o;
        *what = files[i].name;
        if (outfile_open(&o, od, files[i].name) < 0) {
            *err = o.err;
            outfile_abort(&o);
            return -1;
        }
        files[i].fn(&o, rp, &w); /* data files set w.nblocks for their script */
        if (outfile_commit(&o) < 0) {
            *err = o.err;
            return -1;
        }
    }
    return 0;
}

/* ---- terminal table ----------------------------------------------------- */

char *report_table(const struct report *rp)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    size_t w = 10;
    for (size_t b = 0; b < rp->nruns; b = point_end(rp, b)) {
        char *l = point_label(rp->sc, rp->runs[b].point);
        if (strlen(l) > w)
            w = strlen(l);
        free(l);
    }
    fprintf(f, "%-*s %5s %12s %8s %8s %9s %21s %10s %10s%s\n", (int)w, "point", "runs",
            "throughput/s", "error %", "reject %", "timeout %", "mean ms (95% CI)", "p50 ms",
            "p99 ms", rp->slo_metric ? "  SLO" : "");
    double best_offered = -1;
    char *best = NULL;
    size_t nstopped = 0;
    for (size_t b = 0; b < rp->nruns;) {
        size_t e = point_end(rp, b);
        struct hist *pool = pooled(rp, b, e);
        struct ci c[NMETRICS];
        double v[NMETRICS];
        for (size_t m = 0; m < NMETRICS; m++)
            summarise(rp, b, e, &metrics[m], pool, &c[m], &v[m]);
        char *l = point_label(rp->sc, rp->runs[b].point);
        char mean[64];
        if (!isnan(c[7].hi)) /* the upper side: the lower may be cut at 0 */
            snprintf(mean, sizeof mean, "%.4g +/- %.2g", v[7], c[7].hi - v[7]);
        else
            snprintf(mean, sizeof mean, "%.4g", v[7]);
        fprintf(f, "%-*s %5zu %12.5g %8.3g %8.3g %9.3g %21s %10.4g %10.4g", (int)w, l, e - b,
                v[1], 100 * v[5], 100 * v[3], 100 * v[4], mean, v[8], v[10]);
        if (rp->slo_metric) {
            int met = slo_met(rp, b, e, pool);
            fprintf(f, "  %s", met ? "met" : stopped_runs(rp, b, e) ? "overload" : "missed");
            if (met && v[0] > best_offered) {
                best_offered = v[0];
                free(best);
                best = xstrdup(l);
            }
        }
        size_t ns = stopped_runs(rp, b, e);
        if (ns > 0)
            fprintf(f, "  [%zu/%zu stopped]", ns, e - b);
        nstopped += ns;
        fprintf(f, "\n");
        free(l);
        hist_free(pool);
        b = e;
    }
    if (nstopped > 0)
        fprintf(f, "[k/n stopped]: k runs reached [sim] max_in_flight (or their clock stood "
                   "still) and stopped early; their "
                   "figures cover the time until the stop (runs.csv: stopped, stopped_at_s)\n");
    if (rp->slo_metric && best)
        fprintf(f, "highest offered load meeting the SLO (%s): %.5g requests/s, at %s\n",
                rp->slo_text, best_offered, best);
    else if (rp->slo_metric)
        fprintf(f, "no sweep point meets the SLO (%s)\n", rp->slo_text);
    free(best);
    fclose(f);
    return buf;
}
