/* runner: run expansion and execution. Each run is built from scratch from
 * its sweep point (parsing is cheap next to simulating), so runs share no
 * mutable state and any number of threads give the same results. */
#include "sim/runner.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "models/kinds/client.h"
#include "models/kind.h"
#include "models/model.h"
#include "models/napkin.h"
#include "output/columns.h"
#include "sim/hist.h"
#include "output/report.h"
#include "sim/stats.h"
#include "sim/sim.h"
#include "sim/units.h"
#include "sim/xalloc.h"

/* [sim] max_in_flight: its bounds, shown by `sdsim list sim` from the same
 * numbers the reader checks. */
#define MAX_IN_FLIGHT_MIN 1
#define MAX_IN_FLIGHT_MAX 1000000000
#define STR2(x) #x
#define STR(x) STR2(x)
#define MAX_IN_FLIGHT_RANGE STR(MAX_IN_FLIGHT_MIN) " to " STR(MAX_IN_FLIGHT_MAX)

const struct param_spec runner_sim_params[] = {
    {"duration", "duration", "60s",
     "simulated time of one run (the maximum when `precision` is set)"},
    {"warmup", "duration|auto", "0",
     "statistics ignore requests born before this; auto: MSER-5 on a pilot run"},
    {"repeat", "int", "1", "independent replications per sweep point"},
    {"seed", "int", "1", "base seed; replication r uses a seed derived from it and r"},
    {"precision", "fraction|off", "off",
     "run until the 95% CI half-width of mean latency (batch means) is within this, e.g. 2%"},
    {"slo", "objective", "none",
     "p50|p90|p99|p999|mean < DURATION, or errors < FRACTION: marks the sweep points that meet it"},
    {"interval", "duration", "0",
     "write timeseries.csv with one row per run and interval of this length (0: none)"},
    {"plot", "list", "",
     "runs.csv columns to plot against the x sweep (plot_x), e.g. total_calls, "
     "latency_p99_ms: sweep_COLUMN.png (mean and 95% CI over replications)"},
    {"show", "list", "",
     "extra columns of the terminal table, 8 at most: runs.csv columns or summary.csv "
     "metrics (latency_p99_ms, lost_writes, cache.hit_ratio) or COMPONENT.COLUMN of "
     "components.csv (app.utilisation); the mean over a point's replications. "
     "`only: NAME, ...` shows just these after the sweep values and runs; the default "
     "columns are offered_rps, throughput_rps, goodput_rps, failed_ratio, refused_ratio, "
     "timeout_ratio, unfinished_ratio, latency_mean_ms (with its 95% CI), latency_p99_ms, "
     "latency_all_p99_ms (those with nothing to show are left out, and a table wider than 100 "
     "columns is printed in blocks; see `table`)"},
    {"table", "fit|wide", "fit",
     "the terminal table: fit (at most 100 columns wide: columns with nothing to show left "
     "out, the rest in blocks) or wide (every column on one line, as SDSIM_TABLE=wide in the "
     "environment); e.g. --set sim.table=wide"},
    {"plot_x", "sweep name", "the first sweep",
     "the sweep variable on the x axis of the sweep plots; the other sweeps become the "
     "lines (and, past 8 lines, the panels)"},
    {"compare", "sweep name", "none",
     "after the table, each value of this sweep against its first, paired by replication "
     "(the same seeds), with 95% intervals and verdicts: what sdsim compare DIR --by NAME "
     "prints"},
    {"max_in_flight", "int|none", "1000000",
     "stop a run when it holds this many requests (" MAX_IN_FLIGHT_RANGE "), counting those "
     "whose client gave up but that still wait in a queue; runs.csv marks it "
     "stopped = overload (none: no limit, memory grows about 230 bytes per request held two "
     "calls deep, more deeper: make bench measures it)"},
    /* the capacity search: sim/find.c reads these */
    {"find", "search", "none",
     "max|min SECTION.KEY where METRIC OP VALUE: the largest (smallest) value of a numeric key "
     "(or SECTION.KEY.ARG, a number in its spec: load.arrival.rate) at which the objective "
     "holds, e.g. max load.arrival.rate where latency_p99_ms < 100ms, min app.workers where "
     "latency_p99_ms < 100ms (OP < <= > >=; METRIC and VALUE "
     "as in [expect]); bisection (or find_method = secant), each probe a full set of replications with the same seeds; "
     "find.csv, find.png, the answer in manifest.txt and on the terminal"},
    {"find_range", "LO..HI", "(with find)",
     "the values searched, in the unit probes are written in: 50/s..400/s, 1..16"},
    {"find_tolerance", "number|%", "1% (int: 1)",
     "stop when the passing and the failing probe are this close (a percentage: of the answer)"},
    {"find_method", "bisect|secant", "bisect",
     "how the next probe is chosen between the passing and the failing one: bisect (the "
     "middle) or secant (where the line through their metric means crosses the threshold, "
     "Illinois-style, at least find_tolerance from either; the middle when they give no line): "
     "fewer probes when the metric is smooth, the same safe-side answer"},
    {"find_max_repeat", "int", "4 x repeat",
     "a probe whose 95% interval straddles the threshold gets twice the replications, up to "
     "this; still unsure, it counts as failing (the answer passes with its interval clear)"},
    {"attribution", "bool", "off",
     "on: split each client's measured successes into phases (queue and service at each "
     "component, network per hop, backoff, hedge waits, failed attempts) for all requests "
     "and those at or above p99 and p99.9: attribution.csv, attribution.png and a line per "
     "client (off: a few predictable tests per request)"},
    {"trace", "off|share", "off",
     "a share of the client requests, e.g. 0.1%, picked by a hash of the request id (the same "
     "requests at any -j): their spans (each hop with its queue and service, the network, "
     "backoff, the deliveries of the messages they publish to queues and the replies of "
     "request-response queues) and the flows linking attempts, retries, hedges, publishes, "
     "deliveries and replies go to trace.json in the Chrome "
     "trace event format (open it in https://ui.perfetto.dev or chrome://tracing); the first "
     "replication of each sweep point only, one process per point; run --shard writes none"},
    {"trace_max_events", "int", "200000",
     "the most trace events one run keeps (1..10000000); past it later events are dropped and "
     "the terminal and manifest.txt say so"},
    {NULL, NULL, NULL, NULL},
};

/* [plot NAME]: a plot of chosen runs.csv columns (see struct report_plot). */
const struct param_spec runner_plot_params[] = {
    {"y", "list", NULL,
     "runs.csv columns drawn together, e.g. cache.hit_ratio, cache.byte_hit_ratio (8 at most)"},
    {"x", "sweep name", "plot_x", "the sweep variable on the x axis ([sim] plot_x, or the first)"},
    {"series", "sweep names", "the others",
     "the sweeps whose combinations are the lines (with each y column)"},
    {"facet", "sweep names", "",
     "the sweeps whose combinations are the panels (sweeps named nowhere join them)"},
    {NULL, NULL, NULL, NULL},
};

static int read_slo(const char *v, struct loc loc, struct slo *slo, struct diag *d)
{
    static const struct {
        const char *word, *metric;
    } names[] = {
        {"p50", "latency_p50_ms"}, {"p90", "latency_p90_ms"}, {"p99", "latency_p99_ms"},
        {"p999", "latency_p999_ms"}, {"mean", "latency_mean_ms"}, {"errors", "error_ratio"},
    };
    memset(slo, 0, sizeof *slo);
    if (strcmp(v, "none") == 0)
        return 0;
    snprintf(slo->text, sizeof slo->text, "%s", v);
    const char *lt = strchr(v, '<');
    if (!lt)
        return diag_error(d, loc, "expected an objective like 'p99 < 200ms' or 'errors < 1%%'");
    char word[16];
    size_t n = strcspn(v, " <");
    snprintf(word, sizeof word, "%.*s", (int)(n < 15 ? n : 15), v);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(word, names[i].word) == 0)
            slo->metric = names[i].metric;
    if (!slo->metric)
        return diag_error(d, loc, "unknown objective '%s' (p50, p90, p99, p999, mean, errors)",
                          word);
    const char *why;
    const char *rhs = lt + 1;
    if (strcmp(slo->metric, "error_ratio") == 0) {
        if (units_parse_fraction(rhs, &slo->limit, &why) < 0)
            return diag_error(d, loc, "bad error limit '%s': %s", rhs, why);
        return 0;
    }
    int64_t ns;
    if (units_parse_duration(rhs, &ns, &why) < 0)
        return diag_error(d, loc, "bad latency limit '%s': %s", rhs, why);
    slo->limit = (double)ns / 1e6;
    return 0;
}

/* [sim] plot: up to REPORT_PLOT_MAX column names, letters, digits, '_', '.'. */
static int read_plot(const char *v, struct loc loc, char *out, size_t size, struct diag *d)
{
    if (!v)
        v = "";
    snprintf(out, size, "%s", v);
    if (strlen(v) >= size)
        return diag_error(d, loc, "plot: the list is too long");
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    size_t n = 0;
    for (const char *p = v + strspn(v, ", \t"); *p; p += strspn(p, ", \t"), n++) {
        size_t len = strspn(p, word);
        if (len == 0 || len >= 64 || !strchr(", \t", p[len]))
            return diag_error(d, loc, "plot: expected runs.csv column names, e.g. "
                                      "'total_calls, latency_p99_ms'");
        p += len;
    }
    if (n > REPORT_PLOT_MAX)
        return diag_error(d, loc, "plot: %d columns at most", REPORT_PLOT_MAX);
    return 0;
}

/* Does the name pattern (with "<i>" for a number: node<i>_busy) match s? */
static bool pattern_matches(const char *pat, const char *s)
{
    const char *i = strstr(pat, "<i>");
    if (!i)
        return strcmp(pat, s) == 0;
    size_t pre = (size_t)(i - pat);
    if (strncmp(pat, s, pre) != 0)
        return false;
    s += pre;
    size_t digits = strspn(s, "0123456789");
    return digits > 0 && strcmp(i + 3, s + digits) == 0;
}

/* A name [sim] show may take at this point: a summary.csv metric, a numeric
 * runs.csv column, a kind metric of a component the point has (summed ones
 * plain, others COMPONENT.NAME), or COMPONENT.COLUMN of components.csv.
 * When not, why says what is wrong. */
static bool show_known(const char *name, const struct sc_point *pt, char *why, size_t size)
{
    if (columns_summary_metric(name))
        return true;
    const char *plain[128];
    size_t np = 0;
    for (const struct run_column *c = columns_runs; c->doc.name; c++) {
        if (c->type != COL_COUNT && c->type != COL_NUM)
            continue;
        if (strcmp(c->doc.name, name) == 0)
            return true;
        if (np < 128)
            plain[np++] = c->doc.name;
    }
    for (const struct summary_metric *m = columns_summary_metrics; m->doc.name && np < 128; m++)
        plain[np++] = m->doc.name;
    const char *dot = strchr(name, '.');
    const struct sc_section *sec = NULL;
    for (size_t i = 0; dot && i < pt->nsections; i++)
        if (strlen(pt->sections[i].name) == (size_t)(dot - name) &&
            strncmp(pt->sections[i].name, name, (size_t)(dot - name)) == 0 &&
            strcmp(pt->sections[i].kind, "sim") != 0)
            sec = &pt->sections[i];
    if (dot && !sec) {
        snprintf(why, size, "show: no component '%.*s' for '%s'", (int)(dot - name), name, name);
        return false;
    }
    const char *col = dot ? dot + 1 : name;
    const char *by = NULL; /* the kinds of a summed metric of that name */
    for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++) {
        if (k->timeseries || k->per_component != (sec != NULL) || !pattern_matches(k->doc.name, col))
            continue;
        if (sec && columns_kind_listed(k->kinds, sec->kind))
            return true;
        for (size_t i = 0; !sec && i < pt->nsections; i++) /* summed: some component has it */
            if (columns_kind_listed(k->kinds, pt->sections[i].kind))
                return true;
        by = k->kinds;
    }
    if (!sec && by) {
        snprintf(why, size, "show: '%s' is reported by a %s, and this scenario has none", name, by);
        return false;
    }
    for (const struct comp_column *c = columns_components; sec && c->doc.name; c++)
        if ((c->type == COL_COUNT || c->type == COL_NUM) && strcmp(c->doc.name, col) == 0 &&
            strcmp(col, "run") != 0 && strcmp(col, "rep") != 0 && strcmp(col, "seed") != 0)
            return true;
    if (sec) {
        snprintf(why, size,
                 "show: %s (a %s) has no column '%s' (its components.csv columns, or a "
                 "metric its kind reports: see `sdsim list metrics`)",
                 sec->name, sec->kind, col);
        return false;
    }
    const char *near = diag_closest(name, plain, np);
    snprintf(why, size, "show: no runs.csv column or summary.csv metric '%s'%s%s%s", name,
             near ? " (did you mean '" : "; a component's column is COMPONENT.COLUMN",
             near ? near : "", near ? "'?)" : "");
    return false;
}

/* [sim] show: up to REPORT_SHOW_MAX names show_known knows, the first
 * unknown one pointed at. */
static int read_show(const char *v, struct loc loc, const struct sc_point *pt, char *out,
                     size_t size, struct diag *d)
{
    if (!v)
        v = "";
    snprintf(out, size, "%s", v);
    if (strlen(v) >= size)
        return diag_error(d, loc, "show: the list is too long");
    bool literal = !strstr(v, "${"); /* then a name's column is the value's + its offset */
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    size_t n = 0;
    /* "only: a, b": the table has just these columns */
    const char *list = v + strspn(v, " \t");
    bool only = strncmp(list, "only:", 5) == 0;
    if (!only)
        list = v;
    else
        list += 5;
    for (const char *p = list + strspn(list, ", \t"); *p; p += strspn(p, ", \t"), n++) {
        size_t len = strspn(p, word);
        struct loc at = loc;
        if (literal && loc.line > 0)
            at.col += (int)(p - v);
        if (len == 0 || len >= 64 || !strchr(", \t", p[len]))
            return diag_error(d, at, "show: expected column names, e.g. "
                                     "'latency_p99_ms, app.utilisation' (or 'only: NAME, ...' "
                                     "for just those columns)");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        char why[320];
        if (!show_known(name, pt, why, sizeof why))
            return diag_error(d, at, "%s", why);
        p += len;
    }
    if (n > REPORT_SHOW_MAX)
        return diag_error(d, loc, "show: %d columns at most", REPORT_SHOW_MAX);
    if (only && n == 0)
        return diag_error(d, loc, "show: 'only:' names no column (e.g. 'only: latency_p99_ms')");
    return 0;
}

/* Where the value of key is written, or the section header if it is not. */
static struct loc value_loc(const struct sc_section *s, const char *key)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    return e ? e->val_loc : s->loc;
}

int runner_config(const struct sc_point *pt, struct sim_config *cfg, struct diag *d)
{
    char sim_name[] = "sim";
    struct sc_section empty = {sim_name, sim_name, {NULL, 0, 0}, NULL, 0};
    const struct sc_section *s = sc_find_section(pt->sections, pt->nsections, "sim");
    if (s && strcmp(s->kind, "sim") != 0)
        s = NULL;
    if (!s)
        s = &empty;
    memset(cfg, 0, sizeof *cfg);
    int rc = kp_check_keys(s, runner_sim_params, "[sim]", d);
    if (kp_duration(s, runner_sim_params, "duration", &cfg->duration_ns, d) < 0)
        rc = -1;
    else if (cfg->duration_ns <= 0)
        rc = diag_error(d, value_loc(s, "duration"), "duration must be positive");
    struct loc loc;
    const char *w = kp_raw(s, runner_sim_params, "warmup", &loc);
    if (strcmp(w, "auto") == 0)
        cfg->warmup_auto = true;
    else if (kp_duration(s, runner_sim_params, "warmup", &cfg->warmup_ns, d) < 0)
        rc = -1;
    else if (rc == 0 && cfg->warmup_ns >= cfg->duration_ns)
        rc = diag_error(d, loc, "warmup (%s) must be shorter than duration", w);
    long long seed;
    if (kp_int(s, runner_sim_params, "repeat", 1, 1000000, &cfg->repeat, d) < 0)
        rc = -1;
    if (kp_int(s, runner_sim_params, "seed", 0, INT64_MAX, &seed, d) < 0)
        rc = -1;
    else
        cfg->seed = (uint64_t)seed;
    const char *slo = kp_raw(s, runner_sim_params, "slo", &loc);
    if (read_slo(slo, loc, &cfg->slo, d) < 0)
        rc = -1;
    if (kp_duration(s, runner_sim_params, "interval", &cfg->interval_ns, d) < 0)
        rc = -1;
    else if (cfg->interval_ns > 0 && rc == 0 && cfg->duration_ns / cfg->interval_ns > 1000000)
        rc = diag_error(d, value_loc(s, "interval"),
                        "interval is too short: more than 10^6 rows per run");
    const char *plot = kp_raw(s, runner_sim_params, "plot", &loc);
    if (read_plot(plot, loc, cfg->plot, sizeof cfg->plot, d) < 0)
        rc = -1;
    const char *show = kp_raw(s, runner_sim_params, "show", &loc);
    if (read_show(show, loc, pt, cfg->show, sizeof cfg->show, d) < 0)
        rc = -1;
    const char *tb = kp_raw(s, runner_sim_params, "table", &loc);
    if (strcmp(tb, "wide") == 0)
        cfg->table_wide = true;
    else if (strcmp(tb, "fit") != 0)
        rc = diag_error(d, value_loc(s, "table"), "bad table '%s' (known: fit, wide)", tb);
    const char *px = kp_raw(s, runner_sim_params, "plot_x", &loc);
    snprintf(cfg->plot_x, sizeof cfg->plot_x, "%s", strcmp(px, "the first sweep") ? px : "");
    const char *cmp = kp_raw(s, runner_sim_params, "compare", &loc);
    snprintf(cfg->compare, sizeof cfg->compare, "%s", strcmp(cmp, "none") ? cmp : "");
    const char *mif = kp_raw(s, runner_sim_params, "max_in_flight", &loc);
    long long limit;
    if (strcmp(mif, "none") == 0)
        cfg->max_in_flight = SIZE_MAX;
    else if (kp_int(s, runner_sim_params, "max_in_flight", MAX_IN_FLIGHT_MIN, MAX_IN_FLIGHT_MAX,
                    &limit, d) < 0)
        rc = -1;
    else
        cfg->max_in_flight = (size_t)limit;
    if (kp_bool(s, runner_sim_params, "attribution", &cfg->attribution, d) < 0)
        rc = -1;
    const char *tr = kp_raw(s, runner_sim_params, "trace", &loc);
    cfg->trace = 0;
    if (strcmp(tr, "off") != 0) {
        if (kp_fraction(s, runner_sim_params, "trace", &cfg->trace, d) < 0)
            rc = -1;
        else if (!(cfg->trace > 0 && cfg->trace <= 1))
            rc = diag_error(d, loc,
                            "trace must be a share above 0 and at most 100%%, e.g. 0.1%% (or off)");
    }
    if (kp_int(s, runner_sim_params, "trace_max_events", 1, 10000000, &cfg->trace_max_events,
               d) < 0)
        rc = -1;
    const char *p = kp_raw(s, runner_sim_params, "precision", &loc);
    if (strcmp(p, "off") != 0) {
        if (kp_fraction(s, runner_sim_params, "precision", &cfg->precision, d) < 0)
            rc = -1;
        else if (!(cfg->precision > 0 && cfg->precision < 1))
            rc = diag_error(d, loc, "precision must be between 0 and 100%%, e.g. 2%%");
    }
    return rc;
}

/* The sweep named name (of length len), or -1. */
static long sweep_named(const struct scenario *sc, const char *name, size_t len)
{
    for (size_t i = 0; i < sc->nsweeps; i++)
        if (strlen(sc->sweeps[i].name) == len && strncmp(sc->sweeps[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

/* The sweeps a scenario has, "a, b, c", for messages. */
static void sweep_list(const struct scenario *sc, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sc->nsweeps && len < size; i++) {
        int w = snprintf(out + len, size - len, "%s%s", i ? ", " : "", sc->sweeps[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
}

/* A list of sweep names (key of [plot NAME] s) into out; each must be a
 * sweep, and none may be used twice (used[] marks them). */
static int plot_sweeps(const struct scenario *sc, const struct sc_section *s, const char *key,
                       char *out, size_t size, bool *used, struct diag *d)
{
    const struct sc_entry *e = sc_find_entry(s, key);
    out[0] = '\0';
    if (!e)
        return 0;
    snprintf(out, size, "%s", e->value);
    int rc = 0;
    for (const char *p = e->value + strspn(e->value, ", \t"); *p; p += strspn(p, ", \t")) {
        size_t len = strcspn(p, ", \t");
        long k = sweep_named(sc, p, len);
        char names[256];
        sweep_list(sc, names, sizeof names);
        if (k < 0)
            rc = diag_error(d, e->val_loc, "%s: no sweep variable named '%.*s' (%s%s)", key,
                            (int)len, p, sc->nsweeps ? "the sweeps: " : "this scenario has no sweeps",
                            names);
        else if (used[k])
            rc = diag_error(d, e->val_loc, "%s: sweep '%.*s' is already an axis of this plot",
                            key, (int)len, p);
        else
            used[k] = true;
        p += len;
    }
    return rc;
}

int runner_plots(const struct scenario *sc, struct report_plot **out, size_t *nout,
                 struct diag *d)
{
    int rc = 0;
    size_t n = 0;
    struct report_plot *plots = xcalloc(sc->nsections + 1, sizeof *plots);
    for (size_t i = 0; i < sc->nsections; i++) {
        const struct sc_section *s = &sc->sections[i];
        if (strcmp(s->kind, "plot") != 0)
            continue;
        struct report_plot *pl = &plots[n++];
        if (kp_check_keys(s, runner_plot_params, "[plot]", d) < 0)
            rc = -1;
        snprintf(pl->name, sizeof pl->name, "%s", s->name);
        for (const char *c = s->name; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.", *c)) {
                rc = diag_error(d, s->loc, "[plot %s]: a plot's name is a file name: letters, "
                                           "digits, '_', '-', '.'", s->name);
                break;
            }
        for (size_t k = 0; k < s->nentries; k++)
            if (strstr(s->entries[k].value, "${"))
                rc = diag_error(d, s->entries[k].val_loc, "a [plot] key cannot be swept");
        const struct sc_entry *y = sc_find_entry(s, "y");
        char ys[256];
        if (!y)
            rc = diag_error(d, s->loc, "[plot %s] needs 'y', the runs.csv columns to draw",
                            s->name);
        else if (read_plot(y->value, y->val_loc, ys, sizeof ys, d) < 0)
            rc = -1;
        else {
            char *save;
            for (char *t = strtok_r(ys, ", \t", &save); t && pl->ny < REPORT_PLOT_MAX;
                 t = strtok_r(NULL, ", \t", &save))
                snprintf(pl->y[pl->ny++], sizeof pl->y[0], "%s", t);
        }
        bool used[1024] = {false};
        if (sc->nsweeps > sizeof used)
            continue;
        const struct sc_entry *x = sc_find_entry(s, "x");
        if (x) {
            char one[256];
            if (plot_sweeps(sc, s, "x", one, sizeof one, used, d) < 0)
                rc = -1;
            else if (strpbrk(x->value, ", \t"))
                rc = diag_error(d, x->val_loc, "x: one sweep variable");
            snprintf(pl->x, sizeof pl->x, "%s", x->value);
        } else if (sc->nsweeps == 0) {
            rc = diag_error(d, s->loc, "[plot %s]: this scenario has no sweeps to draw against",
                            s->name);
        }
        if (!x && sc->nsweeps > 0) { /* plot_x or the first: not a series or a facet */
            struct sim_config cfg;
            runner_first_config(sc, &cfg);
            long k = cfg.plot_x[0] ? sweep_named(sc, cfg.plot_x, strlen(cfg.plot_x)) : 0;
            used[k < 0 ? 0 : k] = true;
        }
        if (plot_sweeps(sc, s, "series", pl->series, sizeof pl->series, used, d) < 0 ||
            plot_sweeps(sc, s, "facet", pl->facet, sizeof pl->facet, used, d) < 0)
            rc = -1;
    }
    if (out && rc == 0) {
        *out = plots;
        *nout = n;
    } else {
        free(plots);
        if (out) {
            *out = NULL;
            *nout = 0;
        }
    }
    return rc;
}

/* A [sim] key whose value names a sweep variable (plot_x, compare). A
 * --set that replaces that sweep drops the key rather than failing: the
 * first sweep left goes on the x axis, as with no plot_x, and there is no
 * comparison (sim/main.c). */
static int check_sweep_key(const struct scenario *sc, const struct sc_section *s,
                           const char *key, struct diag *d)
{
    const struct sc_entry *px = sc_find_entry(s, key);
    bool found = false;
    for (size_t i = 0; px && i < sc->nsweeps; i++)
        found |= strcmp(sc->sweeps[i].name, px->value) == 0;
    if (!px || found)
        return 0;
    if (scenario_sweep_replaced(sc, px->value))
        return 0;
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < sc->nsweeps && len < sizeof names; i++) {
        int w = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                         sc->sweeps[i].name);
        len += w > 0 ? (size_t)w : 0;
    }
    return diag_error(d, px->val_loc, "%s: no sweep variable named '%s' (%s%s)", key, px->value,
                      sc->nsweeps ? "the sweeps: " : "this scenario has no sweeps", names);
}

/* [sim] repeat and seed decide how runs are numbered, so a sweep may not
 * change them. */
static int check_fixed_keys(const struct scenario *sc, struct diag *d)
{
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, "sim");
    if (!s || strcmp(s->kind, "sim") != 0)
        return 0;
    int rc = 0;
    static const char *const fixed[] = {"repeat", "seed", "slo"};
    for (size_t i = 0; i < 3; i++) {
        const struct sc_entry *e = sc_find_entry(s, fixed[i]);
        if (e && strstr(e->value, "${"))
            rc = diag_error(d, e->val_loc, "'%s' cannot be swept: it numbers the runs", fixed[i]);
    }
    if (check_sweep_key(sc, s, "plot_x", d) < 0 || check_sweep_key(sc, s, "compare", d) < 0)
        rc = -1;
    return rc;
}

/* Every run keeps a result row in memory until the files are written: a
 * hard limit, which --force does not lift (RUNNER_MAX_RUNS is the budget). */
#define RUNNER_HARD_MAX_RUNS 1e6

/* Typical bytes of one row of each output file, measured on the shipped
 * scenarios (runs.csv grows with extra metrics and sweep columns). */
#define ROW_BYTES_RUNS 200.0
#define ROW_BYTES_COMPONENTS 220.0
#define ROW_BYTES_SUMMARY 50.0
#define ROW_BYTES_HISTOGRAMS 35.0
#define ROW_BYTES_TS_CELL 6.0 /* plus 30 for run, rep, seed and t_s */
/* Buckets a latency histogram fills at most in practice (log-linear, 128 per
 * power of two: about 900 were seen for an exponential service time). */
#define HIST_BUCKETS_TYPICAL 1000.0
#define SUMMARY_ROWS_PER_POINT 16.0
/* trace.json: the events of one sampled request, the client's span plus,
 * per component it visits, the hop with its queue and service spans, the
 * network both ways and a flow's two ends (retries and hedges add more:
 * trace-requests.ini measures 18 a request over two components where this
 * says 15), and the bytes of one event line (124 there). */
#define TRACE_EVENTS_PER_HOP 7.0
#define TRACE_BYTES_PER_EVENT 125.0

/* Adds the cost of one run of this point (built in sim) to est. */
static void estimate_point(const struct sim *sim, const struct sim_config *cfg, double sweep_cols,
                           struct runner_estimate *est)
{
    double rate = 0, traffic = 1, hists = 1;
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        if (c->kind->is_client)
            rate += client_rate_per_s(c);
        else if (!c->kind->no_traffic)
            traffic++;
    }
    hists += 2 * (traffic - 1);
    double dur_s = (double)cfg->duration_ns / 1e9;
    double requests = rate * dur_s;
    double r = (double)cfg->repeat;
    double buckets = requests < HIST_BUCKETS_TYPICAL ? requests : HIST_BUCKETS_TYPICAL;
    double ts_rows = cfg->interval_ns > 0 ? dur_s / ((double)cfg->interval_ns / 1e9) : 0;
    est->events += r * requests * 2 * (traffic > 1 ? traffic - 1 : 1);
    est->rows_runs += r;
    est->rows_components += r * (traffic - 1);
    est->rows_summary += SUMMARY_ROWS_PER_POINT;
    est->rows_histograms += r * hists * buckets;
    est->rows_timeseries += r * ts_rows;
    est->output_bytes += r * (ROW_BYTES_RUNS + 10 * sweep_cols) +
                         r * (traffic - 1) * (ROW_BYTES_COMPONENTS + 10 * sweep_cols) +
                         SUMMARY_ROWS_PER_POINT * (ROW_BYTES_SUMMARY + 10 * sweep_cols) +
                         r * hists * buckets * ROW_BYTES_HISTOGRAMS +
                         r * ts_rows *
                             (30 + ROW_BYTES_TS_CELL * (sweep_cols + 7 + 3 * (traffic - 1)));
    if (cfg->trace > 0) { /* the first replication of each point is traced */
        double ev = cfg->trace * requests * (1 + TRACE_EVENTS_PER_HOP * (traffic - 1));
        if (ev > (double)cfg->trace_max_events)
            ev = (double)cfg->trace_max_events;
        est->trace_events += ev;
        est->output_bytes += ev * TRACE_BYTES_PER_EVENT;
    }
}

/* Validates every point; with est, adds each point's cost to it. */
static int validate_points(const struct scenario *sc, struct runner_estimate *est, struct diag *d)
{
    int rc = check_fixed_keys(sc, d);
    if (runner_plots(sc, NULL, NULL, d) < 0)
        rc = -1;
    size_t np = scenario_npoints(sc);
    struct sim_config first;
    runner_first_config(sc, &first); /* repeat cannot be swept */
    const struct sc_section *ss = sc_find_section(sc->sections, sc->nsections, "sim");
    const struct sc_entry *re = ss ? sc_find_entry(ss, "repeat") : NULL;
    if ((double)np * (double)first.repeat > RUNNER_HARD_MAX_RUNS)
        rc = diag_error(d, re ? re->val_loc : (struct loc){sc->file, 1, 1},
                        "sweep points x repeat = %zu x %lld = %.3g runs: at most 10^6", np,
                        first.repeat, (double)np * (double)first.repeat);
    for (size_t i = 0; i < np; i++) {
        struct sc_point *pt = scenario_point(sc, i);
        struct sim_config cfg;
        int crc = runner_config(pt, &cfg, d);
        if (crc < 0)
            rc = -1;
        struct sim sim;
        sim_init(&sim, 1, 0, 1);
        if (model_build(&sim, pt, d) < 0)
            rc = -1;
        else if (est && crc == 0)
            estimate_point(&sim, &cfg, (double)sc->nsweeps, est);
        sim_fini(&sim);
        scenario_point_free(pt);
    }
    return rc;
}

int runner_validate(const struct scenario *sc, struct diag *d)
{
    return validate_points(sc, NULL, d);
}

/* The sweep at which the running product repeat x values of sweeps[0..i]
 * first exceeds limit (the one to narrow), or the last sweep. */
static struct loc budget_loc(const struct scenario *sc, long long repeat, double limit,
                             const struct loc *repeat_loc)
{
    double n = (double)repeat;
    if (n > limit && repeat_loc)
        return *repeat_loc;
    for (size_t i = 0; i < sc->nsweeps; i++) {
        n *= (double)sc->sweeps[i].nvalues;
        if (n > limit)
            return sc->sweeps[i].loc;
    }
    return sc->nsweeps ? sc->sweeps[sc->nsweeps - 1].loc : (struct loc){sc->file, 0, 0};
}

static const struct loc *repeat_loc(const struct scenario *sc)
{
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, "sim");
    const struct sc_entry *e =
        s && strcmp(s->kind, "sim") == 0 ? sc_find_entry(s, "repeat") : NULL;
    return e ? &e->val_loc : NULL;
}

/* One run alone is over the output budget: blame [sim] duration (or the
 * [sim] section, or the file). */
static struct loc sim_loc(const struct scenario *sc)
{
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, "sim");
    if (!s || strcmp(s->kind, "sim") != 0)
        return (struct loc){sc->file, 0, 0};
    const struct sc_entry *e = sc_find_entry(s, "duration");
    return e ? e->val_loc : s->loc;
}

int runner_validate_budget(const struct scenario *sc, bool force, struct runner_estimate *est,
                           struct diag *d)
{
    struct runner_estimate local;
    if (!est)
        est = &local;
    memset(est, 0, sizeof *est);
    est->points = scenario_npoints(sc);
    runner_nruns(sc, NULL, NULL, &est->repeat);
    est->runs = (double)est->points * (double)est->repeat;
    if (!force && est->runs > RUNNER_MAX_RUNS) {
        diag_error(d, budget_loc(sc, est->repeat, RUNNER_MAX_RUNS, repeat_loc(sc)),
                   "%zu sweep point%s x %lld replication%s = %.0f runs, more than the budget of "
                   "%d runs; narrow the sweep or pass --force",
                   est->points, est->points == 1 ? "" : "s", est->repeat,
                   est->repeat == 1 ? "" : "s", est->runs, RUNNER_MAX_RUNS);
        return -1;
    }
    if (validate_points(sc, est, d) < 0)
        return -1;
    if (!force && est->output_bytes > RUNNER_MAX_OUTPUT_BYTES) {
        /* The output grows with the runs: blame the sweep that takes the
         * run count past the share of the budget one run may use. */
        double per_run = est->output_bytes / est->runs;
        double limit = RUNNER_MAX_OUTPUT_BYTES / per_run;
        struct loc loc =
            limit < 1 ? sim_loc(sc) : budget_loc(sc, est->repeat, limit, repeat_loc(sc));
        return diag_error(d, loc,
                          "the results would take about %.1f GB (%.0f runs x %.1f MB), more "
                          "than the budget of %.0f GB; narrow the sweep, shorten the runs or "
                          "pass --force",
                          est->output_bytes / 1e9, est->runs, per_run / 1e6,
                          RUNNER_MAX_OUTPUT_BYTES / 1e9);
    }
    return 0;
}

size_t runner_nruns(const struct scenario *sc, const struct runner_opts *o, uint64_t *base_seed,
                    long long *repeat)
{
    struct sim_config cfg;
    runner_first_config(sc, &cfg);
    if (base_seed)
        *base_seed = o && o->has_seed ? o->seed : cfg.seed;
    if (repeat)
        *repeat = cfg.repeat;
    return scenario_npoints(sc) * (size_t)cfg.repeat;
}

void runner_first_config(const struct scenario *sc, struct sim_config *cfg)
{
    struct sc_point *pt = scenario_point(sc, 0);
    if (runner_config(pt, cfg, NULL) < 0)
        cfg->repeat = 1;
    scenario_point_free(pt);
}

uint64_t runner_rep_seed(uint64_t base_seed, size_t rep)
{
    return rng_mix64(base_seed ^ rng_mix64(0x5eed0000ULL + (uint64_t)rep));
}

static void comp_result(const struct sim *sim, const struct component *c, int64_t end_ns,
                        const struct napkin_row *nap, struct comp_result *cr)
{
    const struct comp_stats *st = &c->st;
    cr->name = xstrdup(c->name);
    cr->kind = c->kind->name;
    cr->arrivals = st->arrivals;
    cr->completed = st->completed;
    cr->rejected = st->rejected;
    cr->errors = st->errors;
    double capacity = sim_level_mean(sim, &st->capacity, end_ns);
    cr->servers = capacity > 0 ? capacity : st->servers;
    cr->mean_busy = sim_level_mean(sim, &st->busy, end_ns);
    cr->mean_queue = sim_level_mean(sim, &st->queued, end_ns);
    cr->mean_insys = sim_level_mean(sim, &st->insys, end_ns);
    cr->has_hists = st->wait != NULL;
    /* the napkin figures of the model as built (unbounded capacity: empty) */
    cr->offered_expected = nap ? nap->offered : (double)NAN;
    cr->capacity_expected = nap && isfinite(nap->capacity) ? nap->capacity : (double)NAN;
    cr->utilisation_expected = nap ? nap->utilisation : (double)NAN;
    if (cr->has_hists) {
        sparse_from_hist(&cr->wait, st->wait);
        sparse_from_tally(&cr->local, &st->local);
        sparse_from_hist(&cr->resp, st->resp);
    }
}

/* Adds value to the extra metric `name` (creating it at the end). */
static void add_extra(struct run_result *res, const char *name, double value)
{
    for (size_t i = 0; i < res->nextra; i++) {
        if (strcmp(res->extra[i].name, name) == 0) {
            res->extra[i].value += value;
            return;
        }
    }
    res->extra = xrealloc(res->extra, (res->nextra + 1) * sizeof *res->extra);
    res->extra[res->nextra++] = (struct named_value){xstrdup(name), value};
}

/* The most figures one component reports: a service with auth (up to 10),
 * a rate limit (11) and guarded calls (14) reports 35. */
#define METRICS_MAX 48

static void collect_extra(const struct sim *sim, const struct component *c, int64_t end_ns,
                          struct run_result *res)
{
    if (!c->kind->metrics)
        return;
    struct metric_out out[METRICS_MAX];
    size_t n = c->kind->metrics(sim, c, end_ns, out, METRICS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (!out[i].per_component) {
            add_extra(res, out[i].name, out[i].value);
            continue;
        }
        char name[256];
        snprintf(name, sizeof name, "%s.%s", c->name, out[i].name);
        add_extra(res, name, out[i].value);
    }
}

/* Client c's phases (sim/attrib.c) into res->attr, when it had successes. */
static void collect_attr(const struct sim *sim, const struct component *c,
                         struct run_result *res)
{
    const struct sim_attr *a = sim->attr;
    size_t np = a->nphases;
    double n[ATTR_GROUPS];
    double *ns = xcalloc(ATTR_GROUPS * np, sizeof *ns);
    if (sim_attr_groups(a, c->id, n, ns)) {
        struct attr_result *x = &res->attr[res->nattr++];
        x->client = xstrdup(c->name);
        memcpy(x->n, n, sizeof x->n);
        x->rows = xcalloc(np, sizeof *x->rows);
        for (size_t k = 0; k < np; k++) {
            if (ns[k] == 0 && ns[np + k] == 0 && ns[2 * np + k] == 0)
                continue;
            struct attr_row *row = &x->rows[x->nrows++];
            size_t ci = k / ATTR_COMP_PHASES;
            bool per_comp = ci < a->ncomps;
            row->component = xstrdup(per_comp ? sim->comps[ci]->name : "");
            row->phase = xstrdup(per_comp ? attr_comp_phase_names[k % ATTR_COMP_PHASES]
                                          : attr_req_phase_names[k - ATTR_COMP_PHASES * a->ncomps]);
            for (size_t g = 0; g < ATTR_GROUPS; g++)
                row->ns[g] = ns[g * np + k];
        }
    }
    free(ns);
}

static void collect(const struct sim *sim, int64_t end_ns, const struct napkin_row *nap,
                    struct run_result *res)
{
    struct hist *lat = hist_new_no_moment2(), *all = hist_new_no_moment2();
    res->window_s = units_ns_to_s(end_ns > sim->cut_ns ? end_ns - sim->cut_ns : 0);
    res->warmup_s = units_ns_to_s(sim->cut_ns);
    res->events = sim->events;
    res->comps = xcalloc(sim->ncomps + 1, sizeof *res->comps);
    bool attr = sim->attr && sim->attr->record;
    res->attribution = attr;
    if (attr)
        res->attr = xcalloc(sim->ncomps + 1, sizeof *res->attr);
    for (size_t i = 0; i < sim->ncomps; i++) {
        const struct component *c = sim->comps[i];
        collect_extra(sim, c, end_ns, res);
        if (c->kind->is_client) {
            if (attr)
                collect_attr(sim, c, res);
            const struct client_totals *t = client_totals(c);
            res->offered += t->offered;
            res->completed += t->completed;
            res->rejected += t->rejected;
            res->rate_limited += t->rate_limited;
            res->unauthenticated += t->unauthenticated;
            res->denied += t->denied;
            res->timeouts += t->timeouts;
            res->errors += t->errors;
            res->attempts += t->attempts;
            res->fallbacks += t->fallbacks;
            hist_merge(lat, t->latency);
            hist_merge(all, t->latency);
            hist_merge(all, t->latency_failed);
            continue;
        }
        if (c->kind->no_traffic)
            continue;
        comp_result(sim, c, end_ns, nap ? &nap[i] : NULL, &res->comps[res->ncomps++]);
    }
    res->in_flight =
        res->offered - res->completed - res->rejected - res->rate_limited - res->timeouts -
        res->errors - res->unauthenticated - res->denied;
    res->spans = xcalloc(sim->faults.nspans + 1, sizeof *res->spans);
    for (size_t i = 0; i < sim->faults.nspans; i++)
        res->spans[i] = (struct result_span){xstrdup(sim->faults.spans[i].name),
                                             units_ns_to_s(sim->faults.spans[i].from_ns),
                                             units_ns_to_s(sim->faults.spans[i].to_ns)};
    res->nspans = sim->faults.nspans;
    res->ts_ncols = sim->ts.ncols;
    res->ts_nrows = sim->ts.nrows;
    if (sim->ts.nrows) {
        size_t n = sim->ts.nrows * (1 + sim->ts.ncols);
        res->ts_rows = xmalloc(n * sizeof *res->ts_rows);
        memcpy(res->ts_rows, sim->ts.rows, n * sizeof *res->ts_rows);
        res->ts_names = xcalloc(sim->ts.ncols + 1, sizeof *res->ts_names);
        for (size_t i = 0; i < sim->ts.ncols; i++)
            res->ts_names[i] = columns_ts_name(&sim->ts.cols[i]);
    }
    sparse_from_hist(&res->latency, lat);
    sparse_from_hist(&res->latency_all, all);
    hist_free(lat);
    hist_free(all);
}

static void collect_stop(const struct sim_overload *o, struct run_result *res)
{
    struct run_stop *st = &res->stop;
    st->overloaded = 1;
    st->at_s = units_ns_to_s(o->at_ns);
    st->in_flight = o->in_flight;
    st->busiest = o->busiest ? xstrdup(o->busiest->name) : NULL;
    st->queued = (uint64_t)o->queued;
    st->offered_rps = o->offered_rps;
    st->capacity_rps = o->capacity_rps;
}

/* ---- progress ------------------------------------------------------------ */

/* What one worker thread is simulating: the run's clock (sim_run stores it
 * in sp), plus base_ns of simulated time done before this simulation (the
 * pilot run of warmup = auto) out of span_ns in all; span_ns = 0: idle. */
struct progress_slot {
    struct sim_progress sp;
    _Atomic int64_t base_ns, span_ns;
};

struct runner_progress {
    _Atomic size_t total, done;
    _Atomic uint64_t events; /* of the simulations that have ended */
    size_t nslots;
    struct progress_slot *slots;
};

struct runner_progress *runner_progress_new(int jobs)
{
    struct runner_progress *p = xcalloc(1, sizeof *p);
    p->nslots = jobs < 1 ? 1 : (size_t)jobs;
    p->slots = xcalloc(p->nslots, sizeof *p->slots);
    return p;
}

void runner_progress_free(struct runner_progress *p)
{
    if (!p)
        return;
    free(p->slots);
    free(p);
}

void runner_progress_read(struct runner_progress *p, struct runner_progress_view *v)
{
    memset(v, 0, sizeof *v);
    v->total = atomic_load_explicit(&p->total, memory_order_relaxed);
    v->done = atomic_load_explicit(&p->done, memory_order_relaxed);
    v->events = atomic_load_explicit(&p->events, memory_order_relaxed);
    for (size_t i = 0; i < p->nslots; i++) {
        struct progress_slot *s = &p->slots[i];
        int64_t span = atomic_load_explicit(&s->span_ns, memory_order_relaxed);
        if (span <= 0)
            continue;
        int64_t at = atomic_load_explicit(&s->base_ns, memory_order_relaxed) +
                     atomic_load_explicit(&s->sp.now_ns, memory_order_relaxed);
        double share = (double)at / (double)span;
        v->running++;
        v->share += share < 0 ? 0 : share > 1 ? 1 : share;
        v->events += atomic_load_explicit(&s->sp.events, memory_order_relaxed);
    }
}

/* Marks slot busy with a simulation that starts at base_ns of span_ns. */
static void slot_start(struct progress_slot *slot, int64_t base_ns, int64_t span_ns)
{
    if (!slot)
        return;
    atomic_store_explicit(&slot->sp.now_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&slot->sp.events, 0, memory_order_relaxed);
    atomic_store_explicit(&slot->base_ns, base_ns, memory_order_relaxed);
    atomic_store_explicit(&slot->span_ns, span_ns, memory_order_relaxed);
}

/* Moves the events of the simulation that ended from slot to the total
 * (the slot stays busy until the run is done: see worker). */
static void slot_end(struct runner_progress *p, struct progress_slot *slot, uint64_t events)
{
    if (!slot)
        return;
    atomic_store_explicit(&slot->sp.events, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->events, events, memory_order_relaxed);
}

/* ---- running ------------------------------------------------------------- */

/* Where simulate() reports progress: nothing when slot is NULL. */
struct progress_at {
    struct runner_progress *p;
    struct progress_slot *slot;
};

/* Simulates one run; cut_ns < 0 means "as configured". With series set, the
 * run records its latency series for MSER. */
static int simulate(const struct sc_point *pt, const struct sim_config *cfg, uint64_t seed,
                    int64_t cut_ns, struct series *series, struct run_result *res,
                    const struct progress_at *pa)
{
    struct sim sim;
    sim_init(&sim, seed, cut_ns, cfg->duration_ns);
    sim.limits.max_in_flight = cfg->max_in_flight;
    sim.warmup = series;
    sim.progress = pa->slot ? &pa->slot->sp : NULL;
    if (cfg->precision > 0 && !series) {
        precision_init(&sim.precision, cfg->precision);
    }
    struct diag *d = diag_new();
    int rc = model_build(&sim, pt, d);
    diag_free(d);
    if (rc == 0 && !series)
        sim_ts_start(&sim, cfg->interval_ns);
    if (rc == 0 && !series && cfg->attribution)
        sim_attr_enable(&sim);
    if (rc == 0 && !series && cfg->trace > 0) {
        sim_trace_enable(&sim, cfg->trace, (size_t)cfg->trace_max_events);
        sim.attr->record = cfg->attribution; /* the hooks without the sinks */
    }
    struct napkin_row *nap = NULL;
    if (rc == 0 && res) { /* from the model as built, before faults or autoscaling move it */
        nap = xcalloc(sim.ncomps + 1, sizeof *nap);
        napkin_compute(&sim, nap);
    }
    if (rc == 0) {
        int64_t end = sim_run(&sim);
        slot_end(pa->p, pa->slot, sim.events);
        if (res) {
            collect(&sim, end, nap, res);
            res->trace = sim_trace_take(&sim);
            res->precision_met =
                cfg->precision > 0 ? sim.stop && !sim.limits.overloaded && !sim.limits.stalled : -1;
            if (sim.limits.overloaded)
                collect_stop(&sim.limits.overload, res);
            if (sim.limits.stalled) {
                res->stop.stalled = 1;
                res->stop.at_s = units_ns_to_s(sim_now(&sim));
            }
        }
    }
    free(nap);
    sim.warmup = NULL; /* owned by the caller */
    sim_fini(&sim);
    return rc;
}

/* warmup = auto: a pilot run from time 0 records the latency series; MSER-5
 * picks the batch where the steady state begins, and its end time is the
 * cut for the real run (same seed, so the pilot is its exact prefix). */
static int64_t find_cut(const struct sc_point *pt, const struct sim_config *cfg, uint64_t seed,
                        const struct progress_at *pa)
{
    struct series *s = xcalloc(1, sizeof *s);
    int64_t cut = 0;
    if (simulate(pt, cfg, seed, 0, s, NULL, pa) == 0 && s->nbatches >= 10) {
        size_t dcut = stats_mser(s->mean, s->nbatches);
        cut = dcut > 0 ? s->end_ns[dcut - 1] : 0;
    }
    free(s);
    return cut;
}

static int run_one(const struct scenario *sc, size_t run, uint64_t base_seed, long long repeat,
                   struct run_result *res, const struct progress_at *pa)
{
    memset(res, 0, sizeof *res);
    size_t point = run / (size_t)repeat, rep = run % (size_t)repeat;
    struct sc_point *pt = scenario_point(sc, point);
    struct sim_config cfg;
    int rc = runner_config(pt, &cfg, NULL);
    if (rep != 0) /* the first replication of each point is traced */
        cfg.trace = 0;
    uint64_t seed = runner_rep_seed(base_seed, rep);
    if (rc == 0) {
        int64_t cut = cfg.warmup_ns, span = cfg.duration_ns;
        if (cfg.warmup_auto) { /* the pilot is the first half of the way */
            slot_start(pa->slot, 0, 2 * span);
            cut = find_cut(pt, &cfg, seed, pa);
        }
        slot_start(pa->slot, cfg.warmup_auto ? span : 0, cfg.warmup_auto ? 2 * span : span);
        rc = simulate(pt, &cfg, seed, cut, NULL, res, pa);
    }
    res->run = run;
    res->point = point;
    res->rep = rep;
    res->seed = seed;
    scenario_point_free(pt);
    return rc;
}

struct pool {
    const struct scenario *sc;
    const struct runner_opts *o;
    struct run_result *out;
    size_t n;
    uint64_t base_seed;
    long long repeat;
    pthread_mutex_t lock;
    size_t next, done;
    int failed;
};

/* A worker thread: its pool and where it reports progress. */
struct worker_arg {
    struct pool *pool;
    struct progress_at pa;
};

static void *worker(void *arg)
{
    struct worker_arg *w = arg;
    struct pool *p = w->pool;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            return NULL;
        size_t run = p->o->only ? p->o->only[i] : i;
        int rc = run_one(p->sc, run, p->base_seed, p->repeat, &p->out[i], &w->pa);
        if (w->pa.slot) {
            atomic_store_explicit(&w->pa.slot->span_ns, 0, memory_order_relaxed);
            atomic_fetch_add_explicit(&w->pa.p->done, 1, memory_order_relaxed);
        }
        pthread_mutex_lock(&p->lock);
        p->done++;
        if (rc < 0)
            p->failed = 1;
        pthread_mutex_unlock(&p->lock);
    }
}

int runner_run(const struct scenario *sc, const struct runner_opts *o, struct run_result *out,
               struct diag *d)
{
    struct pool p = {.sc = sc, .o = o, .out = out};
    size_t total = runner_nruns(sc, o, &p.base_seed, &p.repeat);
    p.n = o->only ? o->nonly : total;
    pthread_mutex_init(&p.lock, NULL);
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    if ((size_t)jobs > p.n)
        jobs = (int)(p.n ? p.n : 1);
    struct runner_progress *prog = o->progress;
    if (prog)
        atomic_store_explicit(&prog->total, p.n, memory_order_relaxed);
    pthread_t *th = xcalloc((size_t)jobs, sizeof *th);
    struct worker_arg *wa = xcalloc((size_t)jobs, sizeof *wa);
    for (int i = 0; i < jobs; i++)
        wa[i] = (struct worker_arg){&p, {prog, prog && (size_t)i < prog->nslots ? &prog->slots[i]
                                                                                 : NULL}};
    int started = 0;
    for (int i = 1; i < jobs; i++)
        if (pthread_create(&th[i], NULL, worker, &wa[i]) == 0)
            started = i;
        else
            break;
    worker(&wa[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(wa);
    pthread_mutex_destroy(&p.lock);
    if (p.failed)
        return diag_error(d, (struct loc){sc->file, 0, 0},
                          "internal error: a run failed to build after validation");
    return 0;
}
