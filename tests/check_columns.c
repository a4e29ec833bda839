/* The column dictionary (output/columns.c): every column documented, names
 * unique within a file, and the headers the writers print from it equal
 * the known headers of a small scenario with a sweep, a cache (extra
 * metrics) and a time series. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/columns.h"
#include "output/report.h"
#include "output/theory.h"
#include "sim/diag.h"
#include "sim/scenario.h"
#include "testlib.h"

struct seen {
    size_t total;
};

static bool filled(const char *s)
{
    return s && s[0] && strcmp(s, " ") != 0;
}

static void check_doc(void *ctx, const char *file, const char *name, const struct coldoc *d)
{
    struct seen *s = ctx;
    ck_assert_msg(filled(name), "a column of %s has no name", file);
    ck_assert_msg(filled(d->unit), "%s %s: no unit", file, name);
    ck_assert_msg(filled(d->meaning), "%s %s: no meaning", file, name);
    ck_assert_msg(filled(d->when), "%s %s: not said when it appears", file, name);
    ck_assert_msg(filled(d->source), "%s %s: not said how it is got", file, name);
    s->total++;
}

/* failed_ratio counts what the system did not serve: an unauthenticated
 * request failed (a 401), a denied one got its answer (a 403). */
START_TEST(failed_ratio_counts_unauthenticated_not_denied)
{
    struct run_result r = {0};
    r.offered = 100;
    r.completed = 70;
    r.rejected = 3;
    r.rate_limited = 2;
    r.timeouts = 1;
    r.errors = 4;
    r.unauthenticated = 10;
    r.denied = 5;
    const struct summary_metric *m = columns_summary_metric("failed_ratio");
    ck_assert_ptr_nonnull(m);
    ck_assert_double_eq_tol(m->get(&r), 0.20, 1e-12);
}
END_TEST

/* A kind metric's kinds name whole kinds, in prose: "a, b or c", "b with a
 * limit", "(c)"; a kind is not a part of a longer word. */
START_TEST(kind_lists_name_whole_kinds)
{
    const char *list = "client, service or consumers";
    ck_assert(columns_kind_listed(list, "client"));
    ck_assert(columns_kind_listed(list, "service"));
    ck_assert(columns_kind_listed(list, "consumers"));
    ck_assert(!columns_kind_listed(list, "consumer"));
    ck_assert(!columns_kind_listed(list, "cache"));
    ck_assert(columns_kind_listed("balancer,shards", "balancer"));
    ck_assert(columns_kind_listed("balancer,shards", "shards"));
    ck_assert(columns_kind_listed("a cache (byte mode)", "cache"));
    ck_assert(columns_kind_listed("a store_x;cache", "cache"));
    ck_assert(!columns_kind_listed("a store_x;cache", "store"));
    ck_assert(!columns_kind_listed("multileader", "leader"));
    ck_assert(!columns_kind_listed("service", ""));
    /* the dictionary's comma lists are read the same */
    for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++)
        if (!strcmp(k->doc.name, "share_max_over_mean") && !k->timeseries)
            ck_assert_msg(columns_kind_listed(k->kinds, "balancer") &&
                              columns_kind_listed(k->kinds, "shards") &&
                              columns_kind_listed(k->kinds, "service"),
                          "%s", k->kinds);
}
END_TEST

START_TEST(every_column_has_unit_meaning_and_when)
{
    struct seen s = {0};
    columns_each(check_doc, &s);
    ck_assert_uint_gt(s.total, 100); /* the fixed columns and the kinds' metrics */
}
END_TEST

/* Names are compared within a file: a pair (file, name) seen twice fails. */
struct uniq {
    char files[512][40], names[512][96];
    size_t n;
    char dup[200];
};

static void check_unique(void *ctx, const char *file, const char *name, const struct coldoc *d)
{
    (void)d;
    struct uniq *u = ctx;
    for (size_t i = 0; i < u->n; i++)
        if (!strcmp(u->files[i], file) && !strcmp(u->names[i], name))
            snprintf(u->dup, sizeof u->dup, "%s: %s twice", file, name);
    ck_assert_uint_lt(u->n, 512);
    snprintf(u->files[u->n], sizeof u->files[0], "%s", file);
    snprintf(u->names[u->n], sizeof u->names[0], "%s", name);
    u->n++;
}

START_TEST(names_are_unique_within_a_file)
{
    struct uniq *u = calloc(1, sizeof *u);
    columns_each(check_unique, u);
    ck_assert_msg(u->dup[0] == '\0', "%s", u->dup);
    ck_assert_uint_gt(u->n, 100);
    free(u);
}
END_TEST

START_TEST(fixed_names_are_taken_by_their_file)
{
    ck_assert_str_eq(columns_taken("latency_p99_ms"), "runs.csv");
    ck_assert_str_eq(columns_taken("seed"), "runs.csv");
    ck_assert_str_eq(columns_taken("utilisation"), "components.csv");
    ck_assert_str_eq(columns_taken("ci_low"), "summary.csv");
    ck_assert_str_eq(columns_taken("point"), "summary.csv");
    ck_assert_str_eq(columns_taken("failed_rps"), "timeseries.csv");
    ck_assert_ptr_null(columns_taken("rate"));
    ck_assert_ptr_null(columns_taken("hit_ratio")); /* a kind's, not fixed */
}
END_TEST

START_TEST(time_series_columns_are_named_from_the_table)
{
    struct sim_ts_col run = {NULL, SIM_TS_P99, NULL}, comp = {"app", SIM_TS_QUEUE, NULL},
                      extra = {"lb", -1, "in_rotation"};
    char *a = columns_ts_name(&run), *b = columns_ts_name(&comp), *c = columns_ts_name(&extra);
    ck_assert_str_eq(a, "latency_p99_ms");
    ck_assert_str_eq(b, "app.queue");
    ck_assert_str_eq(c, "lb.in_rotation");
    free(a);
    free(b);
    free(c);
}
END_TEST

static const char scenario_text[] = "[sim]\n"
                                    "duration = 3s\n"
                                    "repeat = 2\n"
                                    "interval = 1s\n"
                                    "[client users]\n"
                                    "arrival = poisson(rate=${rate = 50/s, 100/s})\n"
                                    "keys = zipf(n=100, s=0.9)\n"
                                    "to = cache\n"
                                    "[cache cache]\n"
                                    "to = db\n"
                                    "capacity = 50\n"
                                    "[store db]\n"
                                    "service = exp(mean=1ms)\n";

/* The first line of dir/name, without its newline. */
static void first_line(const char *dir, const char *name, char *buf, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s not written", path);
    ck_assert_ptr_nonnull(fgets(buf, (int)size, f));
    buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

static void remove_dir(const char *dir)
{
    static const char *const files[] = {
        "runs.csv",        "summary.csv",    "components.csv", "histograms.csv",
        "manifest.txt",    "scenario.ini",   "latency_cdf.dat", "latency_cdf.gp",
        "timeseries.csv",  "timeseries.dat", "timeseries.gp",  "sweep_latency.dat",
        "sweep_latency.gp", NULL};
    char path[512];
    for (size_t i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

START_TEST(headers_come_out_as_known)
{
    size_t n;
    struct run_result *res = tl_runs(scenario_text, 1, &n);
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", scenario_text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                        .command = "test", .outdir = "out"};
    char dir[] = "/tmp/sdsim-columns.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct outdir od = {dir, NULL};
    int err;
    const char *what;
    ck_assert_int_eq(report_write(&rp, &od, &err, &what), 0);
    char line[4096];
    first_line(dir, "runs.csv", line, sizeof line);
    ck_assert_str_eq(line,
                     "run,rep,seed,rate,offered,completed,rejected,timeouts,errors,in_flight,"
                     "attempts,attempts_per_request,offered_rps,throughput_rps,goodput_rps,"
                     "latency_mean_ms,latency_p50_ms,latency_p90_ms,latency_p99_ms,"
                     "latency_p999_ms,latency_max_ms,latency_all_mean_ms,latency_all_p50_ms,"
                     "latency_all_p99_ms,warmup_s,window_s,precision_met,events,stopped,"
                     "stopped_at_s,cache.hit_ratio,cache.hits,cache.misses,cache.coalesced,"
                     "cache.early_refreshes,cache.wb_dropped,cache.wb_rejected,"
                     "cache.wb_unflushed,cache.events_lost,reads,stale_reads,writes,"
                     "lost_writes,store_reads,cas_conflicts");
    first_line(dir, "components.csv", line, sizeof line);
    ck_assert_str_eq(line, "run,rep,seed,rate,component,kind,arrivals,completed,rejected,"
                           "errors,throughput_rps,utilisation,mean_busy,mean_queue,"
                           "mean_in_system,wait_mean_ms,wait_p50_ms,wait_p90_ms,wait_p99_ms,"
                           "p_wait_gt0,wait_m2_s2,local_mean_ms,response_mean_ms,"
                           "response_p50_ms,response_p99_ms,littles_law_l,"
                           "offered_rps_expected,capacity_rps,utilisation_expected");
    first_line(dir, "summary.csv", line, sizeof line);
    ck_assert_str_eq(line, "point,rate,metric,value,ci_low,ci_high,n,theory,theory_method");
    first_line(dir, "histograms.csv", line, sizeof line);
    ck_assert_str_eq(line, "run,histogram,lo_ns,hi_ns,count");
    first_line(dir, "timeseries.csv", line, sizeof line);
    ck_assert_str_eq(line, "run,rep,seed,rate,t_s,offered_rps,throughput_rps,failed_rps,"
                           "latency_p50_ms,latency_p99_ms,requests_in_system,cache.replicas,"
                           "cache.queue,cache.busy,cache.objects,cache.wb_queue,db.replicas,"
                           "db.queue,db.busy");
    remove_dir(dir);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);
}
END_TEST

/* The table's numbers: significant digits, never an exponent for an
 * ordinary value, "-" for a value that does not apply. */
START_TEST(numbers_have_significant_digits_without_exponent)
{
    static const struct {
        double v;
        int sig;
        const char *want;
    } cases[] = {
        {547901.112, 4, "547900"}, {7696.7, 2, "7700"}, {2.82189, 4, "2.822"},
        {9.9996, 4, "10"},        {999.96, 4, "1000"}, {52.776, 3, "52.8"},
        {0.000123456, 3, "0.000123"}, {3.0, 3, "3"},   {0.5, 4, "0.5"},
        {0.0, 4, "0"},            {1234567.0, 3, "1230000"}, {12.5, 2, "13"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        report_fmt_num(buf, sizeof buf, cases[i].v, cases[i].sig);
        ck_assert_msg(strcmp(buf, cases[i].want) == 0, "%.9g with %d digits: '%s', want '%s'",
                      cases[i].v, cases[i].sig, buf, cases[i].want);
    }
    report_fmt_num(buf, sizeof buf, (double)NAN, 4);
    ck_assert_str_eq(buf, "-");
}
END_TEST

/* A service of capacity 2/s (one worker, 500 ms) offered 1/s and 4/s: the
 * table shows each sweep value on its row, no exponent, seconds for the
 * overloaded point's latency; only that point gets a backlog warning,
 * with the measured rates and about half the requests unfinished. */
static const char overload_text[] = "[sim]\n"
                                    "duration = 400s\n"
                                    "warmup = 10s\n"
                                    "repeat = 2\n"
                                    "[client load]\n"
                                    "arrival = poisson(rate=${rate = 1/s, 4/s})\n"
                                    "to = app\n"
                                    "[service app]\n"
                                    "workers = 1\n"
                                    "queue = unbounded\n"
                                    "service = const(500ms)\n";

START_TEST(table_and_backlog_warning)
{
    size_t n;
    struct run_result *res = tl_runs(overload_text, 1, &n);
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", overload_text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                        .command = "test", .outdir = "out",
                        .show = "completed, app.utilisation"};
    setenv("SDSIM_TABLE", "wide", 1); /* every column on one line */
    char *table = report_table(&rp);
    unsetenv("SDSIM_TABLE");
    ck_assert_msg(strncmp(table, "rate ", 5) == 0, "header: %s", table);
    /* [sim] show: the columns named, last; at 4/s the worker is always busy */
    char *nl = strchr(table, '\n');
    ck_assert_msg(nl && nl - strlen("completed  app.utilisation") >= table &&
                      strncmp(nl - strlen("completed  app.utilisation"),
                              "completed  app.utilisation", strlen("completed  app.utilisation")) == 0,
                  "show columns: %s", table);
    char *row4 = strstr(table, "\n4/s ");
    ck_assert_ptr_nonnull(row4);
    char *end4 = strchr(row4 + 1, '\n');
    char *last = end4;
    while (last[-1] != ' ')
        last--;
    double util = strtod(last, NULL);
    ck_assert_msg(util > 0.99 && util <= 1.0, "utilisation at 4/s: %g", util);
    ck_assert_msg(strstr(table, "\n1/s ") && strstr(table, "\n4/s "), "rows: %s", table);
    ck_assert_msg(!strstr(table, "e+") && !strstr(table, "e-0") && !strstr(table, "nan"),
                  "exponent or nan: %s", table);
    ck_assert_msg(strstr(table, "success mean s (95% CI)") && strstr(table, "all p99 s"),
                  "a column reaching 10000 ms is in s: %s", table);
    free(table);
    char *w = report_backlog_warnings(&rp);
    double off, cap, unf;
    ck_assert_msg(sscanf(w,
                         "sdsim: warning: rate=4/s: app: offered %lf/s > capacity %lf/s; %lf%% "
                         "of requests unfinished\n",
                         &off, &cap, &unf) == 3,
                  "warning: '%s'", w);
    ck_assert_msg(strchr(w, '\n') == w + strlen(w) - 1, "one line: '%s'", w);
    /* Poisson counts over 2 x 390 s at 4/s: the offered rate within 10%;
     * the capacity is exact but for the request in service at the end */
    ck_assert_msg(off > 3.6 && off < 4.4, "offered %g", off);
    ck_assert_msg(cap > 1.98 && cap < 2.02, "capacity %g", cap);
    ck_assert_msg(unf > 40 && unf < 60, "unfinished %g%%", unf);
    free(w);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);
}
END_TEST

/* [sim] show = only: the sweep values, the runs and just the columns
 * named; a default column's metric keeps its heading, % and legend. */
START_TEST(show_only_replaces_the_default_columns)
{
    size_t n;
    struct run_result *res = tl_runs(overload_text, 1, &n);
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", overload_text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                        .command = "test", .outdir = "out",
                        .show = " only: app.utilisation, unfinished_ratio, latency_mean_ms"};
    char *table = report_table(&rp);
    char *nl = strchr(table, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    ck_assert_str_eq(table, "rate runs  app.utilisation  unfinished %  success mean s (95% CI)  "
                            "theory s");
    *nl = '\n';
    ck_assert_msg(!strstr(table, "offered/s") && !strstr(table, "throughput/s"), "%s", table);
    /* at 4/s on a capacity of 2/s about half the requests are unfinished: in % */
    char *row4 = strstr(table, "\n4/s ");
    ck_assert_ptr_nonnull(row4);
    double util, unf;
    ck_assert_msg(sscanf(row4, "\n4/s %*d %lf %lf", &util, &unf) == 2, "%s", table);
    ck_assert_msg(util > 0.99 && util <= 1.0, "utilisation at 4/s: %g", util);
    ck_assert_msg(unf > 40 && unf < 60, "unfinished at 4/s: %g%%", unf);
    ck_assert_msg(strstr(row4, " ± "), "the mean keeps its interval: %s", table);
    /* the legend: only the abbreviations shown, and the theory's method */
    ck_assert_msg(strstr(table, "\nunfinished: in flight at the end; success: successful requests "
                                "only;\ntheory: the steady-state value the column to its left has "
                                "by pk_mg1 (sdsim list theory)\n"),
                  "%s", table);
    ck_assert_msg(!strstr(table, "goodput:"), "%s", table);
    free(table);
    /* the wide table keeps its whole legend, on one line */
    rp.show = NULL;
    setenv("SDSIM_TABLE", "wide", 1);
    table = report_table(&rp);
    unsetenv("SDSIM_TABLE");
    ck_assert_msg(strstr(table, "\nfailed: rejected, rate limited, timed out, unauthenticated or error; reject: "
                                "incl. rate limited; unfinished: in flight at the end; goodput: "
                                "successes without fallbacks; success: successful requests only; "
                                "all: every finished request; theory: the steady-state value the "
                                "column to its left has by pk_mg1 or md1 (sdsim list theory)\n"),
                  "%s", table);
    ck_assert_msg(strncmp(table, "rate runs  offered/s  throughput/s", 34) == 0, "%s", table);
    free(table);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);
}
END_TEST

/* The default table fits 100 columns: the fixed columns that say nothing
 * at any point are left out (no failures here: failed, reject, timeout;
 * no fallbacks: goodput; the all-finished p99 is the successes'), with
 * their theory and legend, and the legend names them; unfinished stays
 * (half the requests at 4/s); what is left wraps into blocks, each starting
 * with the sweep values and runs; a theory column stays beside its
 * metric's. A named column (show = only) is never left out. */
START_TEST(default_table_fits_100_columns)
{
    size_t n;
    struct run_result *res = tl_runs(overload_text, 1, &n);
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", overload_text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                        .command = "test", .outdir = "out",
                        .show = "completed, app.utilisation, app.mean_queue"};
    unsetenv("SDSIM_TABLE");
    char *table = report_table(&rp);
    int lines = 0, headers = 0;
    for (char *line = table; *line; lines++) {
        char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        int w = 0; /* characters: "±" is two bytes */
        for (char *c = line; c < end; c++)
            w += ((unsigned char)*c & 0xC0) != 0x80;
        ck_assert_msg(w <= 100, "a line of %d characters: %.*s", w, (int)(end - line), line);
        headers += strncmp(line, "rate runs  ", 11) == 0;
        line = end + 1;
    }
    ck_assert_msg(headers == 2, "two blocks: %s", table);
    ck_assert_msg(strncmp(table, "rate runs  offered/s  throughput/s  unfinished %  success mean s "
                                 "(95% CI)  theory s\n", 80) == 0, "%s", table);
    ck_assert_msg(strstr(table, "\n\nrate runs  success p99 s  theory s  completed  "
                                "app.utilisation  app.mean_queue\n"), "%s", table);
    char *legend = strstr(table, "\nunfinished:"); /* the columns, before the legend */
    ck_assert_ptr_nonnull(legend);
    *legend = '\0';
    ck_assert_msg(!strstr(table, "goodput") && !strstr(table, "failed") &&
                      !strstr(table, "reject") && !strstr(table, "timeout") &&
                      !strstr(table, "all p99"),
                  "%s", table);
    *legend = '\n';
    ck_assert_msg(!strstr(legend, "all: every"), "%s", table);
    ck_assert_msg(strstr(table, "\nunfinished: in flight at the end; success: successful requests "
                                "only;\ntheory: the steady-state value the column to its left has "
                                "by pk_mg1 or md1 (sdsim list theory);\nleft out (nothing to "
                                "show): goodput/s, failed %, reject %, timeout %, all p99;\n"
                                "--set sim.table=wide shows every column\n"),
                  "%s", table);
    free(table);
    /* named, a column that says nothing is shown */
    rp.show = "only: timeout_ratio, goodput_rps";
    table = report_table(&rp);
    ck_assert_msg(strncmp(table, "rate runs  timeout %  goodput/s\n", 32) == 0, "%s", table);
    free(table);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);
}
END_TEST

/* The theory beside the table's values: at 1/s the service of
 * overload_text is M/D/1 at rho 0.5, whose mean response is d + rho d /
 * (2 (1 - rho)) = 0.5 + 0.25 = 0.75 s (Pollaczek-Khinchine; the column is
 * in s like the mean beside it) and whose p99 is md1's; at 4/s (rho 2)
 * no formula holds and the cell is "-". A model no formula covers (a
 * client timeout) gets no theory column at all. */
START_TEST(table_shows_theory_beside_its_metric)
{
    size_t n;
    struct run_result *res = tl_runs(overload_text, 1, &n);
    struct diag *d = diag_new();
    struct scenario *sc = scenario_parse("t.ini", overload_text, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    struct report rp = {.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                        .command = "test", .outdir = "out",
                        .show = "only: latency_mean_ms, latency_p99_ms, refused_ratio"};
    char *table = report_table(&rp);
    char *nl = strchr(table, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    /* the p99 of 4/s reaches 10000 ms: its theory column is in s too; no
     * formula gives the refusals here: no column beside them */
    ck_assert_str_eq(table, "rate runs  success mean s (95% CI)  theory s  success p99 s  theory s  "
                            "reject %");
    *nl = '\n';
    double mean, th_mean, p99, th_p99;
    char *row1 = strstr(table, "\n1/s ");
    ck_assert_ptr_nonnull(row1);
    ck_assert_msg(sscanf(row1, "\n1/s %*d %lf ± %*f %lf %lf %lf", &mean, &th_mean, &p99, &th_p99) ==
                      4,
                  "%s", table);
    ck_assert_double_eq_tol(th_mean, 0.75, 1e-9);
    /* the md1 p99 to the table's 4 significant digits (s) */
    double want = theory_md1_response_quantile(1, 0.5, 0.99);
    ck_assert_msg(fabs(th_p99 - want) <= 5e-4 * want, "md1 p99 %g s, theory %g", th_p99, want);
    char *row4 = strstr(table, "\n4/s ");
    ck_assert_ptr_nonnull(row4);
    char c1[16], c2[16];
    ck_assert_msg(sscanf(row4, "\n4/s %*d %*f ± %*f %15s %*f %15s", c1, c2) == 2, "%s", table);
    ck_assert_str_eq(c1, "-");
    ck_assert_str_eq(c2, "-");
    free(table);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);

    static const char no_formula[] = "[sim]\nduration = 100s\nwarmup = 10s\nrepeat = 2\n"
                                     "[client load]\narrival = poisson(rate=1/s)\nto = app\n"
                                     "timeout = 2s\n"
                                     "[service app]\nservice = const(500ms)\n";
    res = tl_runs(no_formula, 1, &n);
    d = diag_new();
    sc = scenario_parse("t.ini", no_formula, d);
    ck_assert_ptr_nonnull(sc);
    ck_assert_int_eq(scenario_find_sweeps(sc, d), 0);
    rp = (struct report){.sc = sc, .runs = res, .nruns = n, .repeat = 2, .base_seed = 1,
                         .command = "test", .outdir = "out"};
    table = report_table(&rp);
    ck_assert_msg(!strstr(table, "theory"), "no formula, no theory column: %s", table);
    free(table);
    scenario_free(sc);
    diag_free(d);
    tl_runs_free(res, n);
}
END_TEST

Suite *columns_suite(void)
{
    Suite *s = suite_create("columns");
    TCase *tc = tcase_create("dictionary");
    tcase_add_test(tc, every_column_has_unit_meaning_and_when);
    tcase_add_test(tc, kind_lists_name_whole_kinds);
    tcase_add_test(tc, failed_ratio_counts_unauthenticated_not_denied);
    tcase_add_test(tc, names_are_unique_within_a_file);
    tcase_add_test(tc, fixed_names_are_taken_by_their_file);
    tcase_add_test(tc, time_series_columns_are_named_from_the_table);
    tcase_add_test(tc, headers_come_out_as_known);
    tcase_add_test(tc, numbers_have_significant_digits_without_exponent);
    tcase_add_test(tc, table_and_backlog_warning);
    tcase_add_test(tc, show_only_replaces_the_default_columns);
    tcase_add_test(tc, default_table_fits_100_columns);
    tcase_add_test(tc, table_shows_theory_beside_its_metric);
    suite_add_tcase(s, tc);
    return s;
}
