/* columns: the tables of runs.csv, components.csv, timeseries.csv,
 * summary.csv and histograms.csv, with the functions that get each value
 * from a run's results. A table's order is its file's column order; the
 * writers (csvout.c) print the header and the rows from it, so a column is
 * added, moved or documented in one place. Units follow the names: _ms,
 * _s, _rps (1/s), _ratio (0..1). */
#include "output/columns.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/hist.h"
#include "sim/xalloc.h"

#define NA ((double)NAN)
#define NS_PER_MS 1e6
#define NS_PER_S 1e9

#define ALWAYS "always"
#define SWEEP "one per sweep variable"
#define KINDS "one per extra metric a kind reports (see the kind metrics)"

static double ms(double ns)
{
    return ns / NS_PER_MS;
}

static double sparse_mean(const struct sparse_hist *s)
{
    return s->total ? (double)(s->sum / (long double)s->total) : NA;
}

/* Quantile of a sparse histogram, in ns; NaN when empty; q >= 1: maximum. */
static double sparse_q(const struct sparse_hist *s, double q)
{
    if (!s->total)
        return NA;
    struct hist *h = hist_new();
    sparse_into_hist(s, h);
    double v = (double)hist_quantile(h, q);
    hist_free(h);
    if (q >= 1.0)
        v = (double)s->max;
    return v;
}

/* ---- per-run values ------------------------------------------------------ */

static uint64_t r_run(const struct run_result *r) { return r->run; }
static uint64_t r_rep(const struct run_result *r) { return r->rep; }
static uint64_t r_seed(const struct run_result *r) { return r->seed; }
static uint64_t r_offered(const struct run_result *r) { return r->offered; }
static uint64_t r_completed(const struct run_result *r) { return r->completed; }
static uint64_t r_rejected(const struct run_result *r) { return r->rejected; }
static uint64_t r_timeouts(const struct run_result *r) { return r->timeouts; }
static uint64_t r_errors(const struct run_result *r) { return r->errors; }
static uint64_t r_in_flight(const struct run_result *r) { return r->in_flight; }
static uint64_t r_attempts(const struct run_result *r) { return r->attempts; }
static uint64_t r_events(const struct run_result *r) { return r->events; }

static double per_offered(const struct run_result *r, uint64_t n)
{
    return r->offered ? (double)n / (double)r->offered : NA;
}
static double per_second(const struct run_result *r, uint64_t n)
{
    return r->window_s > 0 ? (double)n / r->window_s : NA;
}
static double m_offered_rps(const struct run_result *r) { return per_second(r, r->offered); }
static double m_throughput(const struct run_result *r) { return per_second(r, r->completed); }
static double m_completed(const struct run_result *r) { return (double)r->completed; }
static double m_rejected_ratio(const struct run_result *r) { return per_offered(r, r->rejected); }
static double m_timeout_ratio(const struct run_result *r) { return per_offered(r, r->timeouts); }
static double m_error_ratio(const struct run_result *r) { return per_offered(r, r->errors); }
static double m_failed_ratio(const struct run_result *r)
{
    /* unauthenticated: the request was not served; denied is an answer
     * (authorisation said no), not a failure of the system */
    return per_offered(r, r->rejected + r->rate_limited + r->timeouts + r->errors +
                              r->unauthenticated);
}
static double m_attempts(const struct run_result *r) { return per_offered(r, r->attempts); }
static double m_goodput(const struct run_result *r)
{
    return per_second(r, r->completed - r->fallbacks);
}
static double m_unfinished_ratio(const struct run_result *r) { return per_offered(r, r->in_flight); }
static double m_refused_ratio(const struct run_result *r)
{
    return per_offered(r, r->rejected + r->rate_limited);
}
static double m_all_mean(const struct run_result *r) { return ms(sparse_mean(&r->latency_all)); }
static double m_all_p50(const struct run_result *r) { return ms(sparse_q(&r->latency_all, 0.5)); }
static double m_all_p99(const struct run_result *r) { return ms(sparse_q(&r->latency_all, 0.99)); }
static double m_lat_mean(const struct run_result *r) { return ms(sparse_mean(&r->latency)); }
static double m_p50(const struct run_result *r) { return ms(sparse_q(&r->latency, 0.5)); }
static double m_p90(const struct run_result *r) { return ms(sparse_q(&r->latency, 0.9)); }
static double m_p99(const struct run_result *r) { return ms(sparse_q(&r->latency, 0.99)); }
static double m_p999(const struct run_result *r) { return ms(sparse_q(&r->latency, 0.999)); }
static double m_max(const struct run_result *r) { return ms(sparse_q(&r->latency, 1.0)); }
static double m_warmup(const struct run_result *r) { return r->warmup_s; }
static double m_window(const struct run_result *r) { return r->window_s; }
static bool stopped(const struct run_result *r) { return r->stop.overloaded || r->stop.stalled; }
static double m_stopped_at(const struct run_result *r) { return stopped(r) ? r->stop.at_s : NA; }
static const char *t_precision(const struct run_result *r)
{
    return r->precision_met < 0 ? "" : r->precision_met ? "yes" : "no";
}
static const char *t_stopped(const struct run_result *r)
{
    return r->stop.overloaded ? "overload" : r->stop.stalled ? "stalled" : "";
}

#define COUNT(n, u, m, w, s, f) {{n, u, m, w, s}, COL_COUNT, f, NULL, NULL}
#define NUM(n, u, m, w, s, f) {{n, u, m, w, s}, COL_NUM, NULL, f, NULL}
#define TEXT(n, u, m, w, s, f) {{n, u, m, w, s}, COL_TEXT, NULL, NULL, f}
#define LAT "end-to-end latency of the successful requests (successes only)"
#define FROM_HIST "from the run's latency histogram (successes only)"
#define LAT_ALL "end-to-end latency of every finished request: successes, and failures, " \
                "rejections and timeouts at the time they ended"
#define FROM_ALL "the run's success and failed-end latency histograms merged"
#define GOODPUT "successful replies per second, fallback replies left out"

const struct run_column columns_runs[] = {
    COUNT("run", "-", "run number: point * repeat + rep", ALWAYS, "the runner", r_run),
    COUNT("rep", "-", "replication of its sweep point, from 0", ALWAYS, "the runner", r_rep),
    COUNT("seed", "-", "the run's RNG seed", ALWAYS, "derived from the base seed and run", r_seed),
    {{"<sweep variable>", "as written", "the sweep variable's value in this run", SWEEP,
      "the scenario's ${...}"}, COL_SWEEPS, NULL, NULL, NULL},
    COUNT("offered", "requests", "requests the clients started in the measured window", ALWAYS,
          "counted by the clients after the warm-up cut", r_offered),
    COUNT("completed", "requests", "offered requests that ended in success", ALWAYS,
          "counted by the clients", r_completed),
    COUNT("rejected", "requests", "offered requests refused (full queue, breaker, shedding)",
          ALWAYS, "counted by the clients", r_rejected),
    COUNT("timeouts", "requests", "offered requests the client gave up on (timeout)", ALWAYS,
          "counted by the clients", r_timeouts),
    COUNT("errors", "requests", "offered requests that ended in an error reply", ALWAYS,
          "counted by the clients", r_errors),
    COUNT("in_flight", "requests", "offered requests unfinished when the run ended", ALWAYS,
          "offered - completed - rejected - rate_limited - timeouts - errors - unauthenticated "
          "- denied", r_in_flight),
    COUNT("attempts", "attempts", "attempts sent, retries and hedges included", ALWAYS,
          "counted by the clients", r_attempts),
    NUM("attempts_per_request", "ratio", "attempts per offered request (1: no retries)", ALWAYS,
        "attempts / offered", m_attempts),
    NUM("offered_rps", "1/s", "offered load", ALWAYS, "offered / window_s", m_offered_rps),
    NUM("throughput_rps", "1/s", "successful replies per second", ALWAYS,
        "completed / window_s", m_throughput),
    NUM("goodput_rps", "1/s", GOODPUT " (= throughput_rps without fallbacks)", ALWAYS,
        "(completed - fallbacks) / window_s", m_goodput),
    NUM("latency_mean_ms", "ms", "mean " LAT, ALWAYS, FROM_HIST, m_lat_mean),
    NUM("latency_p50_ms", "ms", "median " LAT, ALWAYS, FROM_HIST, m_p50),
    NUM("latency_p90_ms", "ms", "90th percentile " LAT, ALWAYS, FROM_HIST, m_p90),
    NUM("latency_p99_ms", "ms", "99th percentile " LAT, ALWAYS, FROM_HIST, m_p99),
    NUM("latency_p999_ms", "ms", "99.9th percentile " LAT, ALWAYS, FROM_HIST, m_p999),
    NUM("latency_max_ms", "ms", "largest " LAT, ALWAYS, "the exact maximum", m_max),
    NUM("latency_all_mean_ms", "ms", "mean " LAT_ALL, ALWAYS, FROM_ALL, m_all_mean),
    NUM("latency_all_p50_ms", "ms", "median " LAT_ALL, ALWAYS, FROM_ALL, m_all_p50),
    NUM("latency_all_p99_ms", "ms", "99th percentile " LAT_ALL, ALWAYS, FROM_ALL, m_all_p99),
    NUM("warmup_s", "s", "warm-up cut: results before it are dropped", ALWAYS,
        "[sim] warmup, or found by MSER-5 with warmup = auto", m_warmup),
    NUM("window_s", "s", "measured time: end of the run - warmup_s", ALWAYS, "the run loop",
        m_window),
    TEXT("precision_met", "yes/no", "whether [sim] precision was reached before the end",
         "empty unless [sim] precision is set", "batch means of the latency", t_precision),
    COUNT("events", "events", "events the run processed, warm-up included", ALWAYS,
          "the event queue", r_events),
    TEXT("stopped", "-", "overload: the run held [sim] max_in_flight requests; stalled: its "
         "clock stood still", "empty unless the run stopped early", "the run loop", t_stopped),
    NUM("stopped_at_s", "s", "when the run stopped early", "empty unless the run stopped early",
        "the run loop", m_stopped_at),
    {{"<kind metric>", "see the kind metric", "an extra figure a component kind reports", KINDS,
      "the kind's metrics hook, at the end of the run"}, COL_EXTRAS, NULL, NULL, NULL},
    {{NULL, NULL, NULL, NULL, NULL}, COL_NUM, NULL, NULL, NULL},
};

/* ---- summary.csv's metrics ----------------------------------------------- */

#define SUMMARY_MEAN "the mean over the point's replications, Student t interval"
#define SUMMARY_POOLED "pooled histogram of the replications; interval from their spread"
#define SMETRIC(n, u, m, q, f, s) {{n, u, m, ALWAYS, s}, q, f, false}
#define SMETRIC_ALL(n, u, m, q, f, s) {{n, u, m, ALWAYS, s}, q, f, true}

const struct summary_metric columns_summary_metrics[] = {
    SMETRIC("offered_rps", "1/s", "offered load", -1, m_offered_rps, SUMMARY_MEAN),
    SMETRIC("throughput_rps", "1/s", "successful replies per second", -1, m_throughput,
            SUMMARY_MEAN),
    SMETRIC("goodput_rps", "1/s", GOODPUT, -1, m_goodput, SUMMARY_MEAN),
    SMETRIC("completed", "requests", "successful requests per run", -1, m_completed,
            SUMMARY_MEAN),
    SMETRIC("rejected_ratio", "ratio", "share of offered requests rejected", -1,
            m_rejected_ratio, SUMMARY_MEAN),
    SMETRIC("timeout_ratio", "ratio", "share of offered requests that timed out", -1,
            m_timeout_ratio, SUMMARY_MEAN),
    SMETRIC("error_ratio", "ratio", "share of offered requests that ended in an error", -1,
            m_error_ratio, SUMMARY_MEAN),
    SMETRIC("attempts_per_request", "ratio", "attempts per offered request", -1, m_attempts,
            SUMMARY_MEAN),
    SMETRIC("latency_mean_ms", "ms", "mean " LAT, -1, m_lat_mean, SUMMARY_MEAN),
    SMETRIC("latency_p50_ms", "ms", "median " LAT, 0.5, m_p50, SUMMARY_POOLED),
    SMETRIC("latency_p90_ms", "ms", "90th percentile " LAT, 0.9, m_p90, SUMMARY_POOLED),
    SMETRIC("latency_p99_ms", "ms", "99th percentile " LAT, 0.99, m_p99, SUMMARY_POOLED),
    SMETRIC("latency_p999_ms", "ms", "99.9th percentile " LAT, 0.999, m_p999, SUMMARY_POOLED),
    SMETRIC("latency_max_ms", "ms", "largest " LAT, 1.0, m_max,
            "the largest over the replications; no interval"),
    SMETRIC("failed_ratio", "ratio", "share of offered requests rejected, rate limited, timed out, unauthenticated or failed (denied requests are answers, not failures)",
            -1, m_failed_ratio, SUMMARY_MEAN),
    SMETRIC("refused_ratio", "ratio", "share of offered requests refused: rejected or rate limited",
            -1, m_refused_ratio, SUMMARY_MEAN),
    SMETRIC("unfinished_ratio", "ratio",
            "share of offered requests unfinished when the run ended (in_flight / offered)", -1,
            m_unfinished_ratio, SUMMARY_MEAN),
    SMETRIC("latency_all_mean_ms", "ms", "mean " LAT_ALL, -1, m_all_mean, SUMMARY_MEAN),
    SMETRIC_ALL("latency_all_p50_ms", "ms", "median " LAT_ALL, 0.5, m_all_p50, SUMMARY_POOLED),
    SMETRIC_ALL("latency_all_p99_ms", "ms", "99th percentile " LAT_ALL, 0.99, m_all_p99,
                SUMMARY_POOLED),
    {{NULL, NULL, NULL, NULL, NULL}, -1, NULL, false},
};

const struct summary_metric *columns_summary_metric(const char *name)
{
    for (const struct summary_metric *m = columns_summary_metrics; m->doc.name; m++)
        if (strcmp(m->doc.name, name) == 0)
            return m;
    return NULL;
}

/* Rows of summary.csv's `metric` column that are not per-run figures. */
static const struct coldoc summary_special[] = {
    {"slo_met", "0/1", "1 when the point meets [sim] slo (never when a run stopped early)",
     "with [sim] slo", "the pooled value of the SLO's metric against its limit"},
    {"stopped_runs", "runs", "replications of the point that stopped early",
     "when a run of the point stopped early", "runs.csv's stopped column"},
    {"<kind metric>", "see the kind metric", "an extra figure a component kind reports", KINDS,
     SUMMARY_MEAN},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct coldoc columns_summary[] = {
    {"point", "-", "sweep point number (runs point*repeat .. +repeat-1)", ALWAYS, "the runner"},
    {"<sweep variable>", "as written", "the sweep variable's value at the point", SWEEP,
     "the scenario's ${...}"},
    {"metric", "-", "which metric the row is about (see summary.csv metrics)", ALWAYS,
     "the metric tables"},
    {"value", "the metric's", "the point's value of the metric", ALWAYS,
     "pooled percentiles, else the mean over the replications"},
    {"ci_low", "the metric's", "lower end of the 95% interval", "empty with one replication",
     "cut to the metric's range"},
    {"ci_high", "the metric's", "upper end of the 95% interval", "empty with one replication",
     "cut to the metric's range"},
    {"n", "runs", "replications the value is made of", ALWAYS, "runs with a value"},
    {"theory", "the metric's",
     "the steady-state value a queueing formula gives for the metric (empty: no exact method "
     "holds for this model; see `sdsim list theory`)",
     "latency rows of a model that is one station (or stations in series) fed by Poisson "
     "clients; rejected_ratio and refused_ratio of one with a bounded queue; a cache's "
     "hit_ratio under independent Zipf or uniform keys",
     "output/theory.c's formula named in theory_method, on the model as built"},
    {"theory_method", "-",
     "the method of the theory column: erlang_c (M/M/c), random_split (M/M/c replicas picked "
     "at random), pk_mg1 (M/G/1 mean), md1 (M/D/1 percentiles), erlang_b (queue = 0: "
     "blocking), mmck (M/M/c/K: blocking, admitted mean), md1k (M/D/1/K blocking), "
     "jackson_tandem (services in series), che_lru, martina_fifo, martina_random (a cache's "
     "hit ratio: approximations); empty with it",
     "with a theory value", "the model's conditions, checked at the sweep point"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct coldoc columns_histograms[] = {
    {"run", "-", "run number, as in runs.csv", ALWAYS, "the runner"},
    {"histogram", "-", "latency (end to end), or <component>.wait / <component>.response",
     "component rows for kinds with queues", "the run's histograms"},
    {"lo_ns", "ns", "lowest value of the bucket", ALWAYS, "log-linear buckets (output/hist.c)"},
    {"hi_ns", "ns", "highest value of the bucket", ALWAYS, "log-linear buckets (output/hist.c)"},
    {"count", "values", "values in the bucket (non-zero buckets only)", ALWAYS,
     "the run's histograms"},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- attribution.csv ----------------------------------------------------- */

#define ATTRIB "with [sim] attribution = on"
const struct coldoc columns_attribution[] = {
    {"point", "-", "sweep point number", ATTRIB, "the runner"},
    {"<sweep variable>", "as written", "the sweep variable's value at the point", SWEEP,
     "the scenario's ${...}"},
    {"client", "-", "the client whose measured successes the row is about", ATTRIB,
     "the scenario"},
    {"group", "-",
     "which requests: all, p99 (those at or above the p99 latency, the slowest 1%) or p99.9",
     ATTRIB,
     "the latency histogram's buckets from the top; the bucket holding the boundary gives a "
     "pro-rata share of its time (its width is under 0.8% of its latency)"},
    {"component", "-", "the component the phase happens at (empty for backoff, hedge_wait, "
     "failed_attempts, other, unaccounted)", ATTRIB, "the scenario"},
    {"phase", "-",
     "queue (waiting for a worker), service (at the component, not in its calls), network "
     "(the hop to the component and back), backoff (waits before retries), hedge_wait (before "
     "the copy that won was sent), failed_attempts (attempts and calls that failed or timed "
     "out), other (phases past a request's 12 slots), unaccounted (latency no phase explains)",
     ATTRIB, "each request's clock mark, moved at every queue start, send and reply"},
    {"mean_ms", "ms", "the phase's time per request of the group (the phases of a group add "
     "up to its mean latency)", ATTRIB, "mean over the replications"},
    {"share", "ratio", "the phase's share of the group's time (a group's shares add up to 1)",
     ATTRIB, "mean over the replications"},
    {"share_ci_low", "ratio", "lower end of the share's 95% interval",
     "empty with one replication", "Student t over the replications"},
    {"share_ci_high", "ratio", "upper end of the share's 95% interval",
     "empty with one replication", "Student t over the replications"},
    {"n", "runs", "replications with requests in the group", ATTRIB, "the runs of the point"},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- expect.csv ---------------------------------------------------------- */

#define CHECKS "with [expect] or [predict]"
const struct coldoc columns_expect[] = {
    {"point", "-", "sweep point number", CHECKS, "the runner"},
    {"<sweep variable>", "-", "value of each sweep variable at this point", "with a sweep",
     "the scenario"},
    {"kind", "-", "expect (an assertion) or predict (a guess)", CHECKS, "the section of the line"},
    {"metric", "-", "the metric the line is about (a summary.csv metric or COMPONENT.NAME)",
     CHECKS, "the line"},
    {"expectation", "-", "the line as written", CHECKS, "the scenario"},
    {"value", "the metric's", "the metric at this point, as summary.csv gives it", CHECKS,
     "mean over replications (latency quantiles: pooled)"},
    {"ci_low", "the metric's", "lower end of the 95% interval (empty: none)", CHECKS,
     "as summary.csv"},
    {"ci_high", "the metric's", "upper end of the 95% interval (empty: none)", CHECKS,
     "as summary.csv"},
    {"n", "runs", "replications with a value", CHECKS, "the runs of the point"},
    {"verdict", "-",
     "expect: pass, fail or inconclusive; predict: inside, outside (the 95% interval), no "
     "interval or no value; a bottleneck guess: match or miss",
     CHECKS,
     "pass: the whole interval satisfies it; fail: none of it does; inconclusive: the interval "
     "straddles the bound (one replication: the value is judged)"},
    {"guess", "the metric's", "the guess of a [predict] line (empty for expect)", CHECKS,
     "the line, in the metric's unit"},
    {"error_pct", "%", "how far the guess is from the value: (guess - value) / abs(value)", CHECKS,
     "empty for expect, or when the value is 0"},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- find.csv: a capacity search, one row per probe -------------------- */

#define FINDS "with [sim] find"
const struct coldoc columns_find[] = {
    {"order", "-", "the probe's place in the search (1: first)", FINDS, "the search"},
    {"value", "the key's", "the value of the searched key at this probe, as a number", FINDS,
     "find_range, then bisection"},
    {"value_text", "-", "the value as written into the key (with its unit: 182/s)", FINDS,
     "the search, through the --set path"},
    {"metric", "-", "the objective's metric", FINDS, "[sim] find"},
    {"mean", "the metric's", "the metric at this probe, as summary.csv would give it", FINDS,
     "mean over the probe's replications (latency quantiles: pooled)"},
    {"ci_low", "the metric's", "lower end of the 95% interval (empty: none)", FINDS,
     "as summary.csv"},
    {"ci_high", "the metric's", "upper end of the 95% interval (empty: none)", FINDS,
     "as summary.csv"},
    {"replications", "runs", "replications run at this probe", FINDS,
     "[sim] repeat, doubled while unsure up to find_max_repeat"},
    {"verdict", "-", "pass, fail or unsure (the interval still straddles the threshold at "
     "find_max_repeat; counted as failing)", FINDS,
     "the objective judged on the 95% interval, as [expect] lines are"},
    {NULL, NULL, NULL, NULL, NULL},
};

/* ---- components.csv ---------------------------------------------------- */

typedef const struct run_result run_t;
typedef const struct comp_result comp_t;

static uint64_t c_run(run_t *r, comp_t *c) { (void)c; return r->run; }
static uint64_t c_rep(run_t *r, comp_t *c) { (void)c; return r->rep; }
static uint64_t c_seed(run_t *r, comp_t *c) { (void)c; return r->seed; }
static const char *c_name(run_t *r, comp_t *c) { (void)r; return c->name; }
static const char *c_kind(run_t *r, comp_t *c) { (void)r; return c->kind; }
static uint64_t c_arrivals(run_t *r, comp_t *c) { (void)r; return c->arrivals; }
static uint64_t c_completed(run_t *r, comp_t *c) { (void)r; return c->completed; }
static uint64_t c_rejected(run_t *r, comp_t *c) { (void)r; return c->rejected; }
static uint64_t c_errors(run_t *r, comp_t *c) { (void)r; return c->errors; }
static double c_throughput(run_t *r, comp_t *c)
{
    return r->window_s > 0 ? (double)c->completed / r->window_s : NA;
}
static double c_util(run_t *r, comp_t *c)
{
    (void)r;
    return c->servers > 0 ? c->mean_busy / c->servers : NA;
}
static double c_offered_exp(run_t *r, comp_t *c) { (void)r; return c->offered_expected; }
static double c_capacity_exp(run_t *r, comp_t *c) { (void)r; return c->capacity_expected; }
static double c_util_exp(run_t *r, comp_t *c) { (void)r; return c->utilisation_expected; }
static double c_busy(run_t *r, comp_t *c) { (void)r; return c->mean_busy; }
static double c_queue(run_t *r, comp_t *c) { (void)r; return c->mean_queue; }
static double c_insys(run_t *r, comp_t *c) { (void)r; return c->mean_insys; }
static double c_wait_mean(run_t *r, comp_t *c) { (void)r; return ms(sparse_mean(&c->wait)); }
static double c_wait_p50(run_t *r, comp_t *c) { (void)r; return ms(sparse_q(&c->wait, 0.5)); }
static double c_wait_p90(run_t *r, comp_t *c) { (void)r; return ms(sparse_q(&c->wait, 0.9)); }
static double c_wait_p99(run_t *r, comp_t *c) { (void)r; return ms(sparse_q(&c->wait, 0.99)); }
static double c_wait_gt0(run_t *r, comp_t *c)
{
    (void)r;
    const struct sparse_hist *w = &c->wait;
    if (!w->total)
        return NA;
    uint64_t zero = w->n && w->index[0] == 0 ? w->count[0] : 0;
    return 1.0 - (double)zero / (double)w->total;
}
static double c_wait_m2(run_t *r, comp_t *c)
{
    (void)r;
    const struct sparse_hist *w = &c->wait;
    return w->total ? (double)(w->sumsq / (long double)w->total) / (NS_PER_S * NS_PER_S) : NA;
}
static double c_local_mean(run_t *r, comp_t *c) { (void)r; return ms(sparse_mean(&c->local)); }
static double c_resp_mean(run_t *r, comp_t *c) { (void)r; return ms(sparse_mean(&c->resp)); }
static double c_resp_p50(run_t *r, comp_t *c) { (void)r; return ms(sparse_q(&c->resp, 0.5)); }
static double c_resp_p99(run_t *r, comp_t *c) { (void)r; return ms(sparse_q(&c->resp, 0.99)); }
/* Little's law: arrival rate times mean time in the component. */
static double c_little(run_t *r, comp_t *c)
{
    double win = r->window_s;
    return win > 0 && c->resp.total
               ? (double)c->arrivals / win * sparse_mean(&c->resp) / NS_PER_S
               : NA;
}

#define CCOUNT(n, u, m, s, f) {{n, u, m, ALWAYS, s}, COL_COUNT, f, NULL, NULL}
#define CNUM(n, u, m, w, s, f) {{n, u, m, w, s}, COL_NUM, NULL, f, NULL}
#define CTEXT(n, u, m, s, f) {{n, u, m, ALWAYS, s}, COL_TEXT, NULL, NULL, f}
#define QUEUED "empty for a component without queued requests"
#define WAIT_H "the component's wait histogram (time queued before service)"
#define RESP_H "the component's response histogram (arrival to reply, calls included)"

const struct comp_column columns_components[] = {
    CCOUNT("run", "-", "run number, as in runs.csv", "the runner", c_run),
    CCOUNT("rep", "-", "replication of its sweep point", "the runner", c_rep),
    CCOUNT("seed", "-", "the run's RNG seed", "the runner", c_seed),
    {{"<sweep variable>", "as written", "the sweep variable's value in this run", SWEEP,
      "the scenario's ${...}"}, COL_SWEEPS, NULL, NULL, NULL},
    CTEXT("component", "-", "the component's name, as in the scenario", "the scenario", c_name),
    CTEXT("kind", "-", "the component's kind (service, cache, ...)", "the scenario", c_kind),
    CCOUNT("arrivals", "requests", "requests that reached the component in the window",
           "the component's counters after the cut", c_arrivals),
    CCOUNT("completed", "requests", "requests it answered with success",
           "the component's counters after the cut", c_completed),
    CCOUNT("rejected", "requests", "requests it refused (queue full, shed, ...)",
           "the component's counters after the cut", c_rejected),
    CCOUNT("errors", "requests", "requests it answered with an error",
           "the component's counters after the cut", c_errors),
    CNUM("throughput_rps", "1/s", "successful replies per second", ALWAYS,
         "completed / window_s", c_throughput),
    CNUM("utilisation", "ratio", "share of its workers busy, time-weighted",
         "empty for a component without workers", "mean_busy / workers", c_util),
    CNUM("mean_busy", "workers", "mean busy workers, time-weighted", ALWAYS,
         "the busy level's time average", c_busy),
    CNUM("mean_queue", "requests", "mean requests waiting (Lq), time-weighted", ALWAYS,
         "the queue level's time average", c_queue),
    CNUM("mean_in_system", "requests", "mean requests in the component (L), time-weighted",
         ALWAYS, "the in-system level's time average", c_insys),
    CNUM("wait_mean_ms", "ms", "mean time queued before service (Wq)", QUEUED, WAIT_H,
         c_wait_mean),
    CNUM("wait_p50_ms", "ms", "median time queued", QUEUED, WAIT_H, c_wait_p50),
    CNUM("wait_p90_ms", "ms", "90th percentile time queued", QUEUED, WAIT_H, c_wait_p90),
    CNUM("wait_p99_ms", "ms", "99th percentile time queued", QUEUED, WAIT_H, c_wait_p99),
    CNUM("p_wait_gt0", "ratio", "probability that a request waits at all", QUEUED,
         "1 - share of zero waits in " WAIT_H, c_wait_gt0),
    CNUM("wait_m2_s2", "s^2", "second moment of the wait, E[Wq^2] (for checks against theory)",
         QUEUED, "sum of squared waits / count", c_wait_m2),
    CNUM("local_mean_ms", "ms", "mean wait + own service, downstream calls excluded (a consumers "
         "group: per delivery, its wait and own processing, failed and deduped ones too, as a "
         "service's errors)", QUEUED,
         "the component's local histogram", c_local_mean),
    CNUM("response_mean_ms", "ms", "mean arrival to reply, downstream calls included (a consumers "
         "group: per delivery, its arrival at the group, or its redelivery, to the end of its "
         "processing, calls included, failed and deduped ones too; a delivery a crash cuts is "
         "not counted)", QUEUED,
         RESP_H, c_resp_mean),
    CNUM("response_p50_ms", "ms", "median arrival to reply", QUEUED, RESP_H, c_resp_p50),
    CNUM("response_p99_ms", "ms", "99th percentile arrival to reply", QUEUED, RESP_H,
         c_resp_p99),
    CNUM("littles_law_l", "requests", "arrival rate x mean response: should match "
         "mean_in_system (Little's law; a consumers group's matches it when each message is "
         "delivered once, else falls short: redeliveries, messages parked while it is down, acks "
         "on their way)", QUEUED, "arrivals / window_s * response mean",
         c_little),
    CNUM("offered_rps_expected", "1/s",
         "napkin math: requests per second offered, from the clients' mean rates through `to` "
         "and `calls`, the write share and known cache hit ratios (first attempts only)",
         "empty when the scenario does not fix it (closed loop, rate limiter, shards)",
         "models/napkin.c on the model as built, before the run", c_offered_exp),
    CNUM("capacity_rps", "1/s",
         "napkin math: requests per second it can serve, replicas x workers / mean service time "
         "(speed included)",
         "empty when unknown (workers held during calls, autoscaling) or unbounded",
         "the kind's napkin_server hook on the model as built", c_capacity_exp),
    CNUM("utilisation_expected", "ratio",
         "napkin math: offered_rps_expected / capacity_rps; compare with utilisation",
         "empty when either is", "offered_rps_expected / capacity_rps", c_util_exp),
    {{NULL, NULL, NULL, NULL, NULL}, COL_NUM, NULL, NULL, NULL},
};

/* ---- timeseries.csv ---------------------------------------------------- */

#define EVERY "every interval of [sim] timeseries"
#define TS_RUN(n, u, m, slot, s) {{n, u, m, EVERY, s}, COL_NUM, slot, false, NULL}
#define TS_COMP(n, u, m, slot) \
    {{n, u, m, "one per component with traffic, not clients", "its station level at the sample"}, \
     COL_NUM, slot, true, NULL}

const struct ts_column columns_timeseries[] = {
    {{"run", "-", "run number, as in runs.csv", ALWAYS, "the runner"}, COL_COUNT, -1, false,
     r_run},
    {{"rep", "-", "replication of its sweep point", ALWAYS, "the runner"}, COL_COUNT, -1, false,
     r_rep},
    {{"seed", "-", "the run's RNG seed", ALWAYS, "the runner"}, COL_COUNT, -1, false, r_seed},
    {{"<sweep variable>", "as written", "the sweep variable's value in this run", SWEEP,
      "the scenario's ${...}"}, COL_SWEEPS, -1, false, NULL},
    {{"t_s", "s", "end of the interval the row covers", EVERY, "the sampling clock"}, COL_NUM,
     COLUMNS_TS_TIME, false, NULL},
    TS_RUN("offered_rps", "1/s", "requests born in the interval, per second", SIM_TS_OFFERED,
           "births / interval"),
    TS_RUN("throughput_rps", "1/s", "successful replies in the interval, per second",
           SIM_TS_COMPLETED, "successes / interval"),
    TS_RUN("failed_rps", "1/s", "requests that failed in the interval, per second",
           SIM_TS_FAILED, "rejections, timeouts and errors / interval"),
    TS_RUN("latency_p50_ms", "ms", "median latency of the interval's successes", SIM_TS_P50,
           "the interval's histogram; empty without a success"),
    TS_RUN("latency_p99_ms", "ms", "99th percentile latency of the interval's successes",
           SIM_TS_P99, "the interval's histogram; empty without a success"),
    TS_RUN("requests_in_system", "requests", "requests alive at the sample", SIM_TS_IN_SYSTEM,
           "the request pool"),
    TS_COMP("<component>.replicas", "replicas", "replicas taking traffic", SIM_TS_REPLICAS),
    TS_COMP("<component>.queue", "requests", "requests waiting for a worker", SIM_TS_QUEUE),
    TS_COMP("<component>.busy", "workers", "workers serving a request", SIM_TS_BUSY),
    {{"<component>.<kind figure>", "see the kind metric", "a time-series figure a kind records",
      "one per figure the component's kind records", "the kind's ts_extra hook"},
     COL_EXTRAS, -1, true, NULL},
    {{NULL, NULL, NULL, NULL, NULL}, COL_NUM, -1, false, NULL},
};

char *columns_ts_name(const struct sim_ts_col *c)
{
    const char *what = c->extra;
    for (const struct ts_column *t = columns_timeseries; c->fixed >= 0 && t->doc.name; t++)
        if (t->type == COL_NUM && t->slot == c->fixed && t->per_component == (c->comp != NULL))
            what = t->per_component ? strchr(t->doc.name, '.') + 1 : t->doc.name;
    size_t len = strlen(what) + (c->comp ? strlen(c->comp) + 1 : 0) + 1;
    char *n = xmalloc(len);
    snprintf(n, len, "%s%s%s", c->comp ? c->comp : "", c->comp ? "." : "", what);
    return n;
}

/* ---- the walker and the names taken ------------------------------------ */

/* A duration sweep's number beside its text (see wr_sweep_header). */
static const struct coldoc sweep_ms_doc = {
    "<sweep variable>_ms", "ms", "a duration sweep's value in milliseconds, to sort and plot",
    "when every value of the sweep is a duration", "the sweep's value converted"};

/* fn for the row d, and for the _ms column that follows a sweep's. */
static void each_row(columns_fn *fn, void *ctx, const char *file, const struct coldoc *d)
{
    fn(ctx, file, d->name, d);
    if (strcmp(d->name, "<sweep variable>") == 0)
        fn(ctx, file, sweep_ms_doc.name, &sweep_ms_doc);
}

void columns_each(columns_fn *fn, void *ctx)
{
    for (const struct run_column *c = columns_runs; c->doc.name; c++)
        each_row(fn, ctx, "runs.csv", &c->doc);
    for (const struct coldoc *d = columns_summary; d->name; d++)
        each_row(fn, ctx, "summary.csv", d);
    for (const struct summary_metric *m = columns_summary_metrics; m->doc.name; m++)
        fn(ctx, "summary.csv:metric", m->doc.name, &m->doc);
    for (const struct coldoc *d = summary_special; d->name; d++)
        fn(ctx, "summary.csv:metric", d->name, d);
    for (const struct comp_column *c = columns_components; c->doc.name; c++)
        each_row(fn, ctx, "components.csv", &c->doc);
    for (const struct ts_column *c = columns_timeseries; c->doc.name; c++)
        each_row(fn, ctx, "timeseries.csv", &c->doc);
    for (const struct coldoc *d = columns_histograms; d->name; d++)
        fn(ctx, "histograms.csv", d->name, d);
    for (const struct coldoc *d = columns_expect; d->name; d++)
        fn(ctx, "expect.csv", d->name, d);
    for (const struct coldoc *d = columns_find; d->name; d++)
        fn(ctx, "find.csv", d->name, d);
    for (const struct coldoc *d = columns_attribution; d->name; d++)
        each_row(fn, ctx, "attribution.csv", d);
    for (int ts = 0; ts < 2; ts++) {
        for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++) {
            if (k->timeseries != ts)
                continue;
            char name[96];
            snprintf(name, sizeof name, "%s%s", k->per_component ? "<component>." : "",
                     k->doc.name);
            fn(ctx, ts ? "timeseries.csv (kind figures)" : "runs.csv (kind metrics)", name,
               &k->doc);
        }
    }
}

struct taken {
    const char *name, *file;
};

static void find_taken(void *ctx, const char *file, const char *name, const struct coldoc *d)
{
    (void)d;
    struct taken *t = ctx;
    if (!t->file && name[0] != '<' && strcmp(name, t->name) == 0 && !strchr(file, ':'))
        t->file = file;
}

/* Only the files with sweep columns count, and only their fixed columns
 * (the kind metrics are checked against the run's extras elsewhere). */
const char *columns_taken(const char *name)
{
    struct taken t = {name, NULL};
    for (const struct run_column *c = columns_runs; c->doc.name && !t.file; c++)
        find_taken(&t, "runs.csv", c->doc.name, &c->doc);
    for (const struct comp_column *c = columns_components; c->doc.name && !t.file; c++)
        find_taken(&t, "components.csv", c->doc.name, &c->doc);
    for (const struct coldoc *d = columns_summary; d->name && !t.file; d++)
        find_taken(&t, "summary.csv", d->name, d);
    for (const struct ts_column *c = columns_timeseries; c->doc.name && !t.file; c++)
        find_taken(&t, "timeseries.csv", c->doc.name, &c->doc);
    return t.file;
}

static bool kind_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

bool columns_kind_listed(const char *kinds, const char *kind)
{
    size_t n = strlen(kind);
    if (n == 0)
        return false;
    for (const char *p = strstr(kinds, kind); p; p = strstr(p + 1, kind))
        if ((p == kinds || !kind_name_char(p[-1])) && !kind_name_char(p[n]))
            return true;
    return false;
}

void columns_range(const char *name, double *min, double *max)
{
    const char *dot = strrchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    size_t n = strlen(base);
    bool unit = (n > 6 && strcmp(base + n - 6, "_ratio") == 0) ||
                (n > 9 && strcmp(base + n - 9, "_fraction") == 0) || strncmp(base, "p_", 2) == 0;
    *min = strcmp(base, "over_admission") == 0 ? -1.0 : 0.0;
    *max = unit ? 1.0 : (double)INFINITY;
}
