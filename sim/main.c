/* main: the sdsim command line. The only module that prints, exits, reads
 * the environment or looks at the clock (never the simulated one). Exit
 * codes follow sysexits.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "models/kind.h"
#include "models/model.h"
#include "models/napkin.h"
#include "output/attribution.h"
#include "output/trace.h"
#include "output/columns.h"
#include "output/compare.h"
#include "output/expect.h"
#include "output/outfile.h"
#include "output/partfile.h"
#include "output/publish.h"
#include "output/report.h"
#include "output/theory.h"
#include "output/theory_apply.h"
#include "output/theory_apply.h"
#include "sim/find.h"
#include "sim/lessons.h"
#include "sim/quiz.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "sim/xalloc.h"

#define MAX_SETS 256

static const char usage_text[] =
    "usage: sdsim run FILE [-o DIR] [-j N] [--seed N] [--set NAME.KEY=VALUE]... [--runs LIST] [-q]\n"
    "                [--force] [--strict] [--progress|--no-progress] [--shard K/N]\n"
    "                [--find 'max|min NAME.KEY where METRIC OP VALUE'] [--quiz]\n"
    "                (FILE -: standard input)\n"
    "       sdsim merge -o DIR PART_DIR... [-q]\n"
    "       sdsim compare DIR --by VAR [--baseline VALUE] [--metric M[,M]...] [--csv FILE]\n"
    "       sdsim validate FILE [--set NAME.KEY=VALUE]... [--force] [--strict] [--find SEARCH]\n"
    "       sdsim list [KIND|FAMILY|expect|theory|metrics|learn|drills]\n"
    "       sdsim plot DIR\n"
    "       sdsim help [COMMAND] | COMMAND --help | --help | --version\n";

static const char help_text[] =
    "sdsim: a deterministic discrete-event simulator for system-design scenarios.\n"
    "\n"
    "Commands:\n"
    "  run FILE       run every sweep point and replication of a scenario and write\n"
    "                 CSV results and plots to results/<FILE name>/\n"
    "  validate FILE  check a scenario (every sweep point) without running it, and\n"
    "                 estimate its cost: runs, simulated events, output rows and size;\n"
    "                 then the napkin math: per component its offered load, capacity\n"
    "                 and utilisation, and the bottleneck (? where a run is needed to\n"
    "                 know); run prints it too, unless -q\n"
    "  list [WHAT]    print every component kind, policy and distribution with\n"
    "                 its parameters, defaults and meaning (WHAT narrows it: a kind\n"
    "                 such as 'service', a family such as 'balance' or 'dist', 'sim', or\n"
    "                 'expect' for the [expect] and [predict] sections;\n"
    "                 'theory' lists the queueing and caching formulas and when they hold,\n"
    "                 'metrics' every column of the results files: unit, meaning, when;\n"
    "                 'learn' the steps of the learning path, each with its question;\n"
    "                 'drills' the interview drills, each with its design task)\n"
    "  merge -o DIR PART_DIR...  put the folders of run --shard 0/N .. N-1/N together:\n"
    "                 checks they hold the same scenario, version and seed and every run\n"
    "                 once, then writes the files one run would have written\n"
    "  compare DIR --by VAR  each value of the sweep variable VAR against the first\n"
    "                 (or --baseline VALUE), paired by replication (the same seeds):\n"
    "                 the difference of each metric (--metric, default latency_mean_ms,\n"
    "                 latency_p99_ms, goodput_rps) with its 95% interval and a verdict;\n"
    "                 --csv FILE writes the comparisons\n"
    "  plot DIR       redraw the PNG plots of a results folder with gnuplot\n"
    "\n";

static const char help_options[] =
    "Options of run:\n"
    "  -o, --output DIR  results folder (default results/<scenario name>, or\n"
    "                 results/stdin for a scenario read from standard input)\n"
    "  -j, --jobs N   run N runs in parallel (default: the number of online CPUs);\n"
    "                 the output is identical for any N\n"
    "  --seed N       base seed, overriding [sim] seed\n"
    "  --set K=V      override a key, e.g. --set app.workers=4 or --set sim.duration=10s;\n"
    "                 V may be a sweep: --set app.workers='${w = 1, 2, 4}'\n"
    "  --runs LIST    only these run numbers, e.g. 3 or 0-4,9 (see manifest.txt)\n"
    "  --find SEARCH  (run and validate) a capacity search, as [sim] find = SEARCH (it\n"
    "                 needs [sim] find_range): e.g.\n"
    "                 --find 'min app.workers where latency_p99_ms < 100ms'\n"
    "                 probes values of the key, each a full set of replications, and\n"
    "                 prints the answer; find.csv and find.png in the results folder\n"
    "  --shard K/N    only the runs whose number is K modulo N (0 <= K < N), and a\n"
    "                 part.sdsim file in the folder for merge: N machines (or N jobs\n"
    "                 of GNU parallel or a Slurm array) run shards 0/N .. N-1/N\n"
    "  -q, --quiet    no table on stdout, and no progress line unless --progress;\n"
    "                 warnings stay on stderr (e.g. a point that ends with more than\n"
    "                 1% of its requests unfinished behind an overloaded component)\n"
    "  --progress     a progress line on stderr while the runs go (runs done/total,\n"
    "                 simulated-time share of the runs in progress, events/s, ETA);\n"
    "                 the default when stderr is a terminal (rewritten in place up to\n"
    "                 4 times a second, cleared at the end); elsewhere one line a second\n"
    "                 and a last one with the totals. The results are the same either way\n"
    "  --no-progress  no progress line\n"
    "  --quiz         before the runs, ask for each [predict] line's value at each\n"
    "                 sweep point it names, one answer a line on standard input (a\n"
    "                 number in the metric's unit or with a unit: 40ms, 80%, 2000/s;\n"
    "                 a component for bottleneck; empty: skip; end of input: skip the\n"
    "                 rest; a bad answer is asked again); after them, a table of each\n"
    "                 answer, the drill's estimate, the simulated value with its 95%\n"
    "                 interval, how far off (ratio and %) and a verdict. Not with\n"
    "                 --shard or a scenario read from standard input\n"
    "  --force        (run and validate) go past the cost budget: both refuse a\n"
    "                 scenario of more than 100000 runs (sweep points x repeat) or\n"
    "                 an estimated 2 GB of results, naming the sweep to narrow\n"
    "  --strict       (run and validate) a component whose unbounded queue is offered\n"
    "                 its capacity or more is an error (exit 65), not a warning\n"
    "\n"
    "[expect] and [predict] (see `sdsim list expect`): after the table, each\n"
    "  expectation is judged at each sweep point on summary.csv's 95% interval:\n"
    "  PASS (all of it satisfies the line), FAIL (none of it does) or INCONCLUSIVE\n"
    "  (it straddles the bound; a warning), and each guess shown beside the result.\n"
    "  Passes and guesses go to stdout (not with -q), failures and inconclusive\n"
    "  ones to stderr always; every row to expect.csv.\n"
    "\n"
    "Exit status: 0 ok, 1 an [expect] line failed (the results are written),\n"
    "64 usage, 65 bad scenario, 66 cannot open input (the\n"
    "scenario or a file it names), 69 gnuplot missing (plot), 70 internal error,\n"
    "71 out of memory, 73 cannot create output (or the results folder holds files\n"
    "sdsim did not write), 75 the results folder is being written by another sdsim run.\n";

struct cli {
    const char *file;
    const char *outdir;
    const char *sets[MAX_SETS];
    size_t nsets;
    char *find_set;            /* --find SEARCH as "sim.find=SEARCH" (owned), in sets */
    int jobs;
    int has_seed;
    unsigned long long seed;
    const char *runs;
    const char *shard;         /* --shard K/N as given */
    const char *name;          /* merge: what the scenario (file, a copy) is called */
    int quiet;
    int force;                 /* --force: past the cost budget */
    int strict;                /* --strict: napkin warnings are errors */
    int progress;              /* --progress 1, --no-progress 0, neither -1 */
    int quiz;                  /* --quiz: ask for the [predict] values first */
    struct quiz *qz;           /* --quiz: the answers (sim/quiz.c) */
    struct runner_estimate est; /* filled by load() */
};

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sdsim: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage_text);
    return EX_USAGE;
}

static int parse_ull(const char *s, unsigned long long *out)
{
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 19)
        return -1;
    *out = strtoull(s, NULL, 10);
    return 0;
}

/* The short option a long one stands for: --output DIR and --output=DIR are
 * -o DIR, --jobs N is -j N, --quiet is -q. With "=", the value is taken
 * from the argument and *i steps back so the caller does not skip the next
 * one. Anything else is returned as it is. */
static const char *long_option(const char *a, const char **v, int *i)
{
    static const struct {
        const char *name, *flag;
    } longs[] = {{"--output", "-o"}, {"--jobs", "-j"}, {"--quiet", "-q"}};
    for (size_t k = 0; k < sizeof longs / sizeof longs[0]; k++) {
        size_t n = strlen(longs[k].name);
        if (strncmp(a, longs[k].name, n) != 0)
            continue;
        if (a[n] == '\0')
            return longs[k].flag;
        if (a[n] == '=' && longs[k].flag[1] != 'q') {
            *v = a + n + 1;
            (*i)--;
            return longs[k].flag;
        }
    }
    return a;
}

/* Online CPUs: the default for -j (1 when unknown). */
static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* Parses the options after `run FILE` / `validate FILE`. */
static int parse_opts(int argc, char **argv, struct cli *c, int allow_run_opts)
{
    c->jobs = online_cpus();
    c->progress = -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char flag[3];
        a = long_option(a, &v, &i);
        if ((!strncmp(a, "-j", 2) || !strncmp(a, "-o", 2)) && a[2]) { /* -j2, -oDIR */
            snprintf(flag, sizeof flag, "%.2s", a);
            v = a + 2;
            a = flag;
            i--; /* the value is in this argument: do not skip the next one */
        }
        int takes = !strcmp(a, "-o") || !strcmp(a, "-j") || !strcmp(a, "--seed") ||
                    !strcmp(a, "--set") || !strcmp(a, "--runs") || !strcmp(a, "--shard") ||
                    !strcmp(a, "--find");
        if (takes && !v)
            return usage_error("option %s needs a value", a);
        if (!strcmp(a, "--set")) {
            if (c->nsets == MAX_SETS)
                return usage_error("too many --set options");
            c->sets[c->nsets++] = v;
        } else if (!strncmp(a, "--set=", 6)) {
            if (c->nsets == MAX_SETS)
                return usage_error("too many --set options");
            c->sets[c->nsets++] = a + 6;
            continue;
        } else if (!strcmp(a, "--find")) {
            /* the same as --set sim.find=SEARCH */
            if (c->nsets == MAX_SETS || c->find_set)
                return usage_error(c->find_set ? "--find is given twice" : "too many --set options");
            size_t n = strlen(v) + 16;
            c->find_set = xmalloc(n);
            snprintf(c->find_set, n, "sim.find=%s", v);
            c->sets[c->nsets++] = c->find_set;
        } else if (!allow_run_opts && takes) {
            return usage_error("option %s is for 'run'", a);
        } else if (!strcmp(a, "-o")) {
            c->outdir = v;
        } else if (!strcmp(a, "-j")) {
            unsigned long long j;
            if (parse_ull(v, &j) < 0 || j < 1 || j > 1024)
                return usage_error("-j needs a number of jobs from 1 to 1024, got '%s'", v);
            c->jobs = (int)j;
        } else if (!strcmp(a, "--seed")) {
            if (parse_ull(v, &c->seed) < 0)
                return usage_error("--seed needs a non-negative integer, got '%s'", v);
            c->has_seed = 1;
        } else if (!strcmp(a, "--runs")) {
            c->runs = v;
        } else if (!strcmp(a, "--shard")) {
            c->shard = v;
        } else if (!strcmp(a, "--force")) {
            c->force = 1;
            continue;
        } else if (!strcmp(a, "--strict")) {
            c->strict = 1;
            continue;
        } else if (!strcmp(a, "-q") && allow_run_opts) {
            c->quiet = 1;
            continue;
        } else if (!strcmp(a, "--quiz") && allow_run_opts) {
            c->quiz = 1;
            continue;
        } else if ((!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) && allow_run_opts) {
            c->progress = a[2] == 'p';
            continue;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (!c->file) {
            c->file = a;
            continue;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
        i++;
    }
    if (!c->file)
        return usage_error("missing scenario FILE");
    return 0;
}

/* Loads, applies --set, finds sweeps and validates every point, and reads
 * the [expect] and [predict] lines into *es (when es is not NULL; NULL
 * when there are none). Returns 0 or an exit code. */
static int load(struct cli *c, struct scenario **out, struct expect_set **es,
                struct find_spec **fsp)
{
    struct diag *d = diag_new();
    int ioerr;
    struct scenario *sc = scenario_load_named(c->file, c->name, d, &ioerr);
    if (!sc && ioerr) {
        fprintf(stderr, "sdsim: cannot open '%s': %s\n", c->file, strerror(ioerr));
        diag_free(d);
        return EX_NOINPUT;
    }
    int rc = sc ? 0 : -1;
    for (size_t i = 0; sc && i < c->nsets; i++)
        if (scenario_set(sc, c->sets[i], d) < 0)
            rc = -1;
    if (rc == 0 && scenario_find_sweeps(sc, d) < 0)
        rc = -1;
    for (size_t i = 0; sc && rc == 0 && i < sc->nsweeps; i++) {
        const char *file = report_column_taken(sc->sweeps[i].name);
        if (file)
            diag_error(d, sc->sweeps[i].loc,
                            "sweep variable '%s' has the name of a column of %s; call it "
                            "something else (e.g. '%s_value')",
                            sc->sweeps[i].name, file, sc->sweeps[i].name);
        if (!scenario_sweep_is_duration(sc, i))
            continue;
        /* its NAME_ms column must not take another column's name either */
        char ms[160];
        snprintf(ms, sizeof ms, "%.150s_ms", sc->sweeps[i].name);
        const char *other = report_column_taken(ms);
        for (size_t j = 0; !other && j < sc->nsweeps; j++)
            if (strcmp(sc->sweeps[j].name, ms) == 0)
                other = "a sweep variable";
        if (other)
            diag_error(d, sc->sweeps[i].loc,
                       "sweep variable '%s' is a duration, so its value in ms is written as "
                       "'%s', which is already a column (%s); call it something else",
                       sc->sweeps[i].name, ms, other);
    }
    struct expect_set *checks = NULL;
    if (rc == 0 && !(checks = expect_read(sc, d)))
        rc = -1;
    struct find_spec *fs = NULL;
    if (rc == 0 && find_read(sc, c->sets, c->nsets, &fs, d) < 0)
        rc = -1;
    if (rc == 0 && diag_count(d) > 0)
        rc = -1;
    if (rc == 0 && runner_validate_budget(sc, c->force, &c->est, d) < 0)
        rc = -1;
    if (rc < 0) {
        diag_print(d, stderr);
        size_t n = diag_count(d);
        fprintf(stderr, "%zu error%s in %s\n", n, n == 1 ? "" : "s", c->file);
        int code = diag_only_noinput(d) ? EX_NOINPUT : EX_DATAERR;
        diag_free(d);
        expect_set_free(checks);
        find_spec_free(fs);
        scenario_free(sc);
        return code;
    }
    diag_free(d);
    if (fsp)
        *fsp = fs;
    else
        find_spec_free(fs);
    if (es && checks && checks->n > 0)
        *es = checks;
    else
        expect_set_free(checks);
    *out = sc;
    return 0;
}

/* ---- napkin math -------------------------------------------------------------
 * Before a run (and in validate): per component, the load it is offered,
 * its capacity and its utilisation, from the model of each sweep point as
 * built (models/napkin.h), and the bottleneck. A component offered its
 * capacity or more with an unbounded queue is a warning (an error with
 * --strict) at its section. */

/* A rate for a message: "6.0", "2.55", "0.05", "1234.5". */
static void fmt_rate(double v, char *buf, size_t size)
{
    if (v >= 1e4)
        snprintf(buf, size, "%.0f", v);
    else {
        snprintf(buf, size, "%.4g", v);
        if (!strchr(buf, '.') && !strchr(buf, 'e') && strlen(buf) + 3 < size)
            strcat(buf, ".0");
    }
}

/* A table cell: "?" for unknown, "unbounded" for infinite. */
static void fmt_cell(double v, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "?");
    else if (isinf(v))
        snprintf(buf, size, "unbounded");
    else
        snprintf(buf, size, "%.4g", v);
}

/* One sweep point: its table on out (may be NULL) and its warnings on
 * stderr. Returns the number of warnings. */
static size_t napkin_point(const struct scenario *sc, size_t point, FILE *out, int strict)
{
    struct sc_point *pt = scenario_point(sc, point);
    struct sim sim;
    sim_init(&sim, 1, 0, 1);
    size_t nwarn = 0;
    if (model_build(&sim, pt, NULL) < 0) { /* validated before: cannot happen */
        sim_fini(&sim);
        scenario_point_free(pt);
        return 0;
    }
    struct napkin_row *rows = xcalloc(sim.ncomps + 1, sizeof *rows);
    long best = napkin_compute(&sim, rows);
    char label[512] = "";
    for (size_t i = 0; i < sc->nsweeps; i++) {
        size_t len = strlen(label);
        snprintf(label + len, sizeof label - len, "%s%s=%s", i ? ", " : "", sc->sweeps[i].name,
                 scenario_sweep_value(sc, point, i));
    }
    int namew = 9, kindw = 4;
    for (size_t i = 0; i < sim.ncomps; i++) {
        int nl = (int)strlen(sim.comps[i]->name), kl = (int)strlen(sim.comps[i]->kind->name);
        namew = nl > namew ? nl : namew;
        kindw = kl > kindw ? kl : kindw;
    }
    if (out && sc->nsweeps)
        fprintf(out, "sweep point %zu (%s):\n", point, label);
    if (out)
        fprintf(out, "  %-*s  %-*s  %10s  %10s  %11s\n", namew, "component", kindw, "kind",
                "offered/s", "capacity/s", "utilisation");
    int unknown = 0;
    for (size_t i = 0; i < sim.ncomps; i++) {
        const struct component *c = sim.comps[i];
        const struct napkin_row *r = &rows[i];
        if (c->kind->no_traffic)
            continue;
        char off[32], cap[32], util[32];
        fmt_cell(r->offered, off, sizeof off);
        if (c->kind->is_client) {
            snprintf(cap, sizeof cap, "-");
            snprintf(util, sizeof util, "-");
        } else {
            fmt_cell(r->capacity, cap, sizeof cap);
            if (isinf(r->capacity) && !isnan(r->offered))
                snprintf(util, sizeof util, "-");
            else {
                snprintf(util, sizeof util, isnan(r->utilisation) ? "?" : "%.3g",
                         r->utilisation);
                unknown |= isnan(r->utilisation) && !(r->offered == 0);
            }
        }
        if (out)
            fprintf(out, "  %-*s  %-*s  %10s  %10s  %11s\n", namew, c->name, kindw,
                    c->kind->name, off, cap, util);
        if (r->overloaded) {
            char o[32], k[32];
            fmt_rate(r->offered, o, sizeof o);
            fmt_rate(r->capacity, k, sizeof k);
            fprintf(stderr, "%s:%d:%d: %s: %s: offered %s/s >= capacity %s/s: its queue grows "
                    "without bound",
                    c->loc.file, c->loc.line, c->loc.col, strict ? "error" : "warning", c->name,
                    o, k);
            if (sc->nsweeps)
                fprintf(stderr, " (sweep point %zu: %s)", point, label);
            fprintf(stderr, "\n");
            nwarn++;
        }
    }
    if (out && best >= 0)
        fprintf(out, "  bottleneck: %s, utilisation %.3g%s\n", sim.comps[best]->name,
                rows[best].utilisation, unknown ? " (of the components where it is known)" : "");
    else if (out)
        fprintf(out, "  bottleneck: ? (no component's utilisation is known before a run)\n");
    free(rows);
    sim_fini(&sim);
    scenario_point_free(pt);
    return nwarn;
}

/* Sweep points whose table is printed; every point is checked. */
#define NAPKIN_POINTS 24

/* Every sweep point: the tables into *table (malloc'd text, or NULL when
 * table is NULL), the warnings on stderr. Returns the number of warnings. */
static size_t napkin_all(const struct scenario *sc, int strict, char **table)
{
    size_t tlen = 0, nwarn = 0;
    FILE *out = table ? open_memstream(table, &tlen) : NULL;
    if (out)
        fprintf(out, "napkin math (mean rates of first attempts; ?: not known before a run):\n");
    size_t np = scenario_npoints(sc);
    char *prev = NULL; /* the table of the point shown last, without its heading */
    for (size_t i = 0; i < np; i++) {
        char *one = NULL;
        size_t olen = 0;
        FILE *f = out && i < NAPKIN_POINTS ? open_memstream(&one, &olen) : NULL;
        nwarn += napkin_point(sc, i, f, strict);
        if (!f)
            continue;
        fclose(f);
        /* a point whose table is the previous one's says so in a line */
        char *body = sc->nsweeps ? strchr(one, '\n') + 1 : one;
        if (prev && strcmp(prev, body) == 0) {
            fprintf(out, "%.*s: as above\n", (int)(body - one - 2), one);
            free(one);
            continue;
        }
        fputs(one, out);
        free(prev);
        prev = xstrdup(body);
        free(one);
    }
    free(prev);
    if (out && np > NAPKIN_POINTS)
        fprintf(out, "(and %zu more sweep points, not shown; each is checked for overload)\n",
                np - NAPKIN_POINTS);
    if (out)
        fclose(out);
    else if (table)
        *table = NULL;
    return nwarn;
}

/* With --strict and warnings: the error count, and EX_DATAERR. */
static int napkin_strict(const struct cli *c, size_t nwarn)
{
    if (!c->strict || nwarn == 0)
        return 0;
    fprintf(stderr, "%zu error%s in %s\n", nwarn, nwarn == 1 ? "" : "s", c->file);
    return EX_DATAERR;
}

static int cmd_validate(int argc, char **argv)
{
    struct cli c = {0};
    int rc = parse_opts(argc, argv, &c, 0);
    if (rc)
        return rc;
    struct scenario *sc;
    struct expect_set *es = NULL;
    struct find_spec *fs = NULL;
    rc = load(&c, &sc, &es, &fs);
    free(c.find_set); /* the scenario holds its own copy */
    c.find_set = NULL;
    if (rc)
        return rc;
    long long repeat;
    uint64_t seed;
    size_t n = runner_nruns(sc, NULL, &seed, &repeat);
    char *table = NULL;
    rc = napkin_strict(&c, napkin_all(sc, c.strict, &table));
    if (rc) {
        free(table);
        expect_set_free(es);
        scenario_free(sc);
        return rc;
    }
    printf("%s: ok (%zu sweep point%s x %lld replication%s = %zu run%s)\n", c.file,
           scenario_npoints(sc), scenario_npoints(sc) == 1 ? "" : "s", repeat,
           repeat == 1 ? "" : "s", n, n == 1 ? "" : "s");
    char trace[64] = "";
    if (c.est.trace_events > 0)
        snprintf(trace, sizeof trace, ", %.0f trace.json events", c.est.trace_events);
    printf("estimate: %.3g simulated events; output %.0f rows of runs.csv, %.0f components.csv, "
           "%.0f summary.csv, %.0f histograms.csv, %.0f timeseries.csv%s, about %.3g MB\n",
           c.est.events, c.est.rows_runs, c.est.rows_components, c.est.rows_summary,
           c.est.rows_histograms, c.est.rows_timeseries, trace, c.est.output_bytes / 1e6);
    if (table)
        fputs(table, stdout);
    free(table);
    if (es)
        printf("checks: %zu expectation%s, %zu prediction%s (judged after a run)\n", es->nexpect,
               es->nexpect == 1 ? "" : "s", es->npredict, es->npredict == 1 ? "" : "s");
    if (fs) {
        char lo[64], hi[64];
        find_value_text(fs, fs->lo, lo, sizeof lo);
        find_value_text(fs, fs->hi, hi, sizeof hi);
        printf("find: %s %s where %s, between %s and %s (a probe: %lld replication%s, up to "
               "%lld when unsure); run searches\n",
               fs->max ? "max" : "min", fs->target, fs->objective, lo, hi, fs->repeat,
               fs->repeat == 1 ? "" : "s", fs->max_repeat);
    }
    find_spec_free(fs);
    expect_set_free(es);
    scenario_free(sc);
    return 0;
}

/* "3,5-7" into a sorted, de-duplicated list of run numbers below total. */
static int parse_runs(const char *s, size_t total, size_t **out, size_t *n)
{
    char *seen = xcalloc(total + 1, 1);
    const char *p = s;
    while (*p) {
        char *end;
        if (*p < '0' || *p > '9')
            goto bad;
        unsigned long long a = strtoull(p, &end, 10), b = a;
        if (*end == '-') {
            p = end + 1;
            if (*p < '0' || *p > '9')
                goto bad;
            b = strtoull(p, &end, 10);
        }
        if (b < a || b >= total) {
            fprintf(stderr, "sdsim: --runs %s: runs are numbered 0 to %zu\n", s, total - 1);
            free(seen);
            return EX_USAGE;
        }
        for (unsigned long long k = a; k <= b; k++)
            seen[k] = 1;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
    }
    *out = xcalloc(total + 1, sizeof **out);
    *n = 0;
    for (size_t k = 0; k < total; k++)
        if (seen[k])
            (*out)[(*n)++] = k;
    free(seen);
    return *n ? 0 : usage_error("--runs '%s' selects no run", s);
bad:
    free(seen);
    return usage_error("--runs needs a list like 3 or 0-4,9, got '%s'", s);
}

/* ---- progress line ---------------------------------------------------------
 * A thread of main's reads the counters the runner's workers publish
 * (runner_progress_read) and draws one stderr line: on a terminal rewritten
 * in place every PROGRESS_TTY_MS and cleared when the runs end, elsewhere
 * one line every PROGRESS_LOG_MS and a last one with the totals. The runs
 * never see it. Nothing else writes to stderr while it runs: main prints
 * its messages after progress_stop. */
#define PROGRESS_TTY_MS 250
#define PROGRESS_LOG_MS 1000

struct progress {
    struct runner_progress *rp;
    int tty;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int shown;            /* a line is on the terminal */
    struct timespec t0;   /* monotonic, when the runs started */
};

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* 1234567 as "1.23M". */
static void human_count(double v, char *buf, size_t size)
{
    static const char suffix[] = " kMGT";
    int k = 0;
    while (v >= 999.5 && k < 4) {
        v /= 1000;
        k++;
    }
    if (k == 0)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.*f%c", v < 9.995 ? 2 : v < 99.95 ? 1 : 0, v, suffix[k]);
}

/* Seconds as "45s", "12m05s", "3h20m". */
static void human_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);
    if (s < 9.95)
        snprintf(buf, size, "%.1fs", s);
    else if (t < 60)
        snprintf(buf, size, "%lds", t);
    else if (t < 3600)
        snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

/* The line, e.g. "sdsim: 5/24 runs done; 2 at 43% of sim time; 3.10M
 * events/s; ETA 1m20s" (2 runs in progress, 43% of their simulated time
 * done on average). final: the totals instead. */
static void progress_text(const struct progress *pg, int final, char *buf, size_t size)
{
    struct runner_progress_view v;
    runner_progress_read(pg->rp, &v);
    double t = elapsed_s(&pg->t0);
    char rate[32], when[48];
    human_count(t > 0 ? (double)v.events / t : 0, rate, sizeof rate);
    if (final) {
        human_duration(t, when, sizeof when);
        snprintf(buf, size, "sdsim: %zu/%zu runs done in %s; %s events/s", v.done, v.total, when,
                 rate);
        return;
    }
    int n = snprintf(buf, size, "sdsim: %zu/%zu runs done", v.done, v.total);
    if (v.running && n > 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "; %zu at %.0f%% of sim time", v.running,
                      100 * v.share / (double)v.running);
    double f = v.total ? ((double)v.done + v.share) / (double)v.total : 0;
    if (f > 0.001 && t >= 1)
        human_duration(t * (1 - f) / f, when, sizeof when);
    else
        snprintf(when, sizeof when, "--");
    if (n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "; %s events/s; ETA %s", rate, when);
}

/* Terminal columns (80 when unknown). */
static size_t term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
        return ws.ws_col;
    return 80;
}

static void *progress_main(void *arg)
{
    struct progress *pg = arg;
    long period_ms = pg->tty ? PROGRESS_TTY_MS : PROGRESS_LOG_MS;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&pg->mu);
    for (;;) {
        next.tv_nsec += period_ms * 1000000L;
        next.tv_sec += next.tv_nsec / 1000000000L;
        next.tv_nsec %= 1000000000L;
        while (!pg->stop && pthread_cond_timedwait(&pg->cv, &pg->mu, &next) != ETIMEDOUT)
            ;
        if (pg->stop)
            break;
        char line[256];
        progress_text(pg, 0, line, sizeof line);
        if (pg->tty) {
            size_t w = term_width() - 1; /* the last column would wrap */
            if (strlen(line) > w)
                line[w] = '\0';
            fprintf(stderr, "\r%s\033[K", line);
            pg->shown = 1;
        } else {
            fprintf(stderr, "%s\n", line);
        }
        fflush(stderr);
    }
    pthread_mutex_unlock(&pg->mu);
    return NULL;
}

/* Starts the line for rp unless asked not to; returns NULL when there is
 * none. */
static struct progress *progress_start(const struct cli *c, struct runner_progress *rp)
{
    int tty = isatty(STDERR_FILENO);
    if (c->progress == 0 || (c->progress < 0 && (c->quiet || !tty)))
        return NULL;
    struct progress *pg = xcalloc(1, sizeof *pg);
    pg->rp = rp;
    pg->tty = tty;
    clock_gettime(CLOCK_MONOTONIC, &pg->t0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pg->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&pg->mu, NULL);
    if (pthread_create(&pg->th, NULL, progress_main, pg) != 0) { /* no line, same results */
        pthread_cond_destroy(&pg->cv);
        pthread_mutex_destroy(&pg->mu);
        free(pg);
        return NULL;
    }
    return pg;
}

/* Ends the line: clears it on a terminal, prints the totals elsewhere. */
static void progress_stop(struct progress *pg, int ok)
{
    if (!pg)
        return;
    pthread_mutex_lock(&pg->mu);
    pg->stop = 1;
    pthread_cond_signal(&pg->cv);
    pthread_mutex_unlock(&pg->mu);
    pthread_join(pg->th, NULL);
    if (pg->tty && pg->shown) {
        fputs("\r\033[K", stderr);
    } else if (!pg->tty && ok) {
        char line[256];
        progress_text(pg, 1, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    fflush(stderr);
    pthread_cond_destroy(&pg->cv);
    pthread_mutex_destroy(&pg->mu);
    free(pg);
}

/* Names of the files of a results folder, sorted, so redrawing is ordered. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_dir(const char *dir, const char *suffix, char ***out)
{
    DIR *dp = opendir(dir);
    *out = NULL;
    if (!dp)
        return 0;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (e->d_name[0] == '.' || l < sl || strcmp(e->d_name + l - sl, suffix) != 0)
            continue;
        xgrow(out, &cap, n + 1, sizeof **out);
        (*out)[n++] = xstrdup(e->d_name);
    }
    closedir(dp);
    if (n)
        qsort(*out, n, sizeof **out, cmp_str);
    return n;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *p = xstrdup(path);
    int found = 0;
    for (char *save, *d = strtok_r(p, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char f[4096];
        snprintf(f, sizeof f, "%s/gnuplot", *d ? d : ".");
        found = access(f, X_OK) == 0;
    }
    free(p);
    return found;
}

static char *default_outdir(const char *file)
{
    if (!strcmp(file, "-"))
        return xstrdup("results/stdin");
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".ini") == 0)
        len -= 4;
    char *out = xmalloc(len + 16);
    snprintf(out, len + 16, "results/%.*s", (int)len, base);
    return out;
}

/* The --set options as shell words: "--set 'a.b=1' --set 'c.d=2'". */
static char *sets_text(const struct cli *c)
{
    size_t len = 1;
    for (size_t i = 0; i < c->nsets; i++)
        len += 10 + 4 * strlen(c->sets[i]);
    char *s = xcalloc(len, 1), *p = s;
    for (size_t i = 0; i < c->nsets; i++) {
        p += sprintf(p, "%s--set '", i ? " " : "");
        for (const char *q = c->sets[i]; *q; q++)
            p += *q == '\'' ? sprintf(p, "'\\''") : sprintf(p, "%c", *q);
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

static char *join_args(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 3;
    char *s = xcalloc(len, 1);
    for (int i = 0; i < argc; i++) {
        if (i)
            strcat(s, " ");
        int quote = strpbrk(argv[i], " \t'\"$") != NULL;
        if (quote)
            strcat(s, "'");
        strcat(s, argv[i]);
        if (quote)
            strcat(s, "'");
    }
    return s;
}

/* Prints the warnings and, on failure, the message of a publish call;
 * returns the exit code. */
static int publish_exit(const struct publish_status *st, int ok)
{
    for (const char *w = st->warn; *w;) {
        size_t n = strcspn(w, "\n");
        fprintf(stderr, "sdsim: %.*s\n", (int)n, w);
        w += n + (w[n] == '\n');
    }
    if (ok)
        return 0;
    fprintf(stderr, "sdsim: %s\n", st->msg);
    return st->code == PUBLISH_BUSY       ? EX_TEMPFAIL
           : st->code == PUBLISH_NO_INPUT ? EX_NOINPUT
                                          : EX_CANTCREAT;
}

/* "1234567" as "1,234,567". */
static void group_digits(unsigned long long v, char *buf, size_t size)
{
    char raw[32];
    int n = snprintf(raw, sizeof raw, "%llu", v);
    size_t k = 0;
    for (int i = 0; i < n && k + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0 && k + 2 < size)
            buf[k++] = ',';
        buf[k++] = raw[i];
    }
    buf[k] = '\0';
}

/* One line per run that stopped at [sim] max_in_flight, in run order. */
static void report_stops(const struct run_result *res, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct run_stop *st = &res[i].stop;
        if (st->stalled)
            fprintf(stderr,
                    "sdsim: run %zu: the clock stood still at t=%.4gs for %u events (a loop of "
                    "zero-time steps: zero think, service and latency times?); stopped\n",
                    res[i].run, st->at_s, SIM_STALL_EVENTS);
        if (!st->overloaded)
            continue;
        char held[32], queued[32];
        group_digits(st->in_flight, held, sizeof held);
        fprintf(stderr, "sdsim: run %zu: %s requests in flight at t=%.4gs", res[i].run, held,
                st->at_s);
        if (st->busiest) {
            group_digits(st->queued, queued, sizeof queued);
            fprintf(stderr, "; %s has %s queued", st->busiest, queued);
            if (!isnan(st->offered_rps))
                fprintf(stderr, ", offered %.3g/s", st->offered_rps);
            if (!isnan(st->capacity_rps))
                fprintf(stderr, " %s capacity %.3g/s",
                        st->offered_rps > st->capacity_rps ? ">" : "vs", st->capacity_rps);
        }
        fprintf(stderr, "; stopped at [sim] max_in_flight\n");
    }
}

/* The verdicts after the table: passes and guesses on stdout (not with
 * -q), failures and inconclusive ones on stderr always, then a count.
 * Returns the exit status: EXIT_EXPECT_FAILED when an expectation failed. */
#define EXIT_EXPECT_FAILED 1
static int print_checks(const struct expect_outcome *eo, const struct scenario *sc, int quiet)
{
    fflush(stdout);
    for (size_t i = 0; i < eo->set->n && !quiet; i++) {
        const struct expect_item *it = &eo->set->items[i];
        if (it->replaced[0])
            printf("%s: skipped %s (--set replaced the sweep '%s': no point has it)\n",
                   it->line->predict ? "predict" : "expect", it->text, it->replaced);
    }
    for (size_t i = 0; i < eo->nrows; i++) {
        const struct expect_row *row = &eo->rows[i];
        int loud = !eo->set->items[row->item].line->predict && row->verdict != EXPECT_PASS;
        if (!loud && quiet)
            continue;
        char *line = expect_row_text(eo, sc, i);
        fprintf(loud ? stderr : stdout, "%s\n", line);
        fflush(loud ? stderr : stdout);
        free(line);
    }
    if (eo->set->nexpect == 0)
        return 0;
    int loud = eo->failed || eo->inconclusive;
    if (loud || !quiet)
        fprintf(loud ? stderr : stdout,
                "expect: %zu passed, %zu failed, %zu inconclusive%s\n", eo->passed,
                eo->failed, eo->inconclusive,
                eo->failed         ? " (exit 1)"
                : eo->inconclusive ? " (more replications may decide: [sim] repeat)"
                                   : "");
    return eo->failed ? EXIT_EXPECT_FAILED : 0;
}

/* "K/N" with 0 <= K < N into *k, *n. */
static int parse_shard(const char *s, size_t total, size_t *k, size_t *n)
{
    unsigned long long a, b;
    const char *slash = strchr(s, '/');
    char left[24];
    if (!slash || (size_t)(slash - s) >= sizeof left)
        return usage_error("--shard needs K/N, e.g. 0/8, got '%s'", s);
    snprintf(left, sizeof left, "%.*s", (int)(slash - s), s);
    if (parse_ull(left, &a) < 0 || parse_ull(slash + 1, &b) < 0 || b < 1 || a >= b)
        return usage_error("--shard needs K/N with 0 <= K < N, e.g. 0/8, got '%s'", s);
    if (a >= total) {
        fprintf(stderr,
                "sdsim: --shard %s: the scenario has %zu run%s, so shard %llu has none; use "
                "at most %zu shards\n",
                s, total, total == 1 ? "" : "s", a, total);
        return EX_USAGE;
    }
    *k = (size_t)a;
    *n = (size_t)b;
    return 0;
}

/* What run and merge hand to the results folder. */
struct results {
    struct scenario *sc;
    struct run_result *res;
    size_t n;
    long long repeat;
    uint64_t base_seed;
    const char *command, *sets, *outdir;
    const struct part_header *part;
    const struct expect_set *es; /* [expect] and [predict], or NULL */
    const struct find_result *find; /* [sim] find: the search, or NULL */
};

/* Writes the results folder (publish) and prints the table unless quiet.
 * Returns the exit code. */
static int write_results(const struct cli *c, const struct results *x, struct publish *pub,
                         struct publish_status *pst, int plots)
{
    struct sim_config cfg;
    runner_first_config(x->sc, &cfg);
    struct report rp = {.sc = x->sc,
                        .runs = x->res,
                        .nruns = x->n,
                        .repeat = x->repeat,
                        .base_seed = x->base_seed,
                        .command = x->command,
                        .outdir = x->outdir,
                        .slo_metric = cfg.slo.metric,
                        .slo_limit = cfg.slo.limit,
                        .slo_text = cfg.slo.text,
                        .plot = cfg.plot[0] ? cfg.plot : NULL,
                        .sets = x->sets,
                        .part = x->part,
                        .show = cfg.show[0] ? cfg.show : NULL,
                        .table_wide = cfg.table_wide,
                        .plot_x = cfg.plot_x[0] ? cfg.plot_x : NULL,
                        .find = x->find};
    struct report_plot *custom = NULL;
    runner_plots(x->sc, &custom, &rp.nplots, NULL); /* checked when validated */
    rp.plots = custom;
    rp.theory = theory_memo_new(x->sc); /* each point's theory, checked once for every writer */
    char from_show[512];
    if (report_plot_from_show(&rp, from_show, sizeof from_show))
        rp.plot = from_show;
    struct expect_outcome *eo = x->es ? expect_evaluate(x->es, &rp) : NULL;
    rp.expect = eo;
    char *backlog = report_backlog_warnings(&rp); /* on stderr even with -q */
    fputs(backlog, stderr);
    free(backlog);
    int rc = publish_exit(pst, publish_report(pub, &rp, pst) == 0);
    char unknown[64];
    if (rc == 0 && report_plot_unknown(&rp, unknown, sizeof unknown))
        fprintf(stderr, "sdsim: warning: [sim] plot: no runs.csv column '%s'\n", unknown);
    if (rc == 0 && !c->quiet) {
        char *table = report_table(&rp);
        fputs(table, stdout);
        free(table);
        char *attr = attribution_lines(&rp); /* [sim] attribution = on: "" otherwise */
        fputs(attr, stdout);
        free(attr);
        char *tl = trace_lines(&rp); /* [sim] trace: "" otherwise */
        fputs(tl, stdout);
        free(tl);
    }
    if (rc == 0 && !c->quiet)
        printf("results: %s/ (runs.csv, summary.csv, components.csv, histograms.csv%s%s%s)\n",
               x->outdir, eo ? ", expect.csv" : "", x->find ? ", find.csv" : "",
               plots && pst->plots_failed == 0 ? ", plots *.png" : "; install gnuplot for PNG plots");
    free(custom);
    /* [sim] compare: read from the folder; not when a --set replaced its sweep */
    if (rc == 0 && cfg.compare[0] && !c->quiet && !scenario_sweep_replaced(x->sc, cfg.compare)) {
        struct compare_opts co = {.dir = x->outdir, .by = cfg.compare};
        fflush(stdout);
        if (compare_run(&co, stdout) != 0)
            rc = EX_SOFTWARE;
    }
    if (rc == 0 && eo)
        rc = print_checks(eo, x->sc, c->quiet);
    if ((rc == 0 || rc == EXIT_EXPECT_FAILED) && c->qz) /* --quiz: the answers judged */
        quiz_report(c->qz, eo, stdout);
    expect_outcome_free(eo);
    theory_memo_free(rp.theory);
    return rc;
}

/* ---- find: the capacity search ([sim] find, --find) ----------------------- */

struct find_ctx {
    const struct cli *c;
};

/* A probe's runs: runner_run with the progress line. */
static int find_run_probe(void *ctx, const struct scenario *sc, const size_t *only, size_t nonly,
                          struct run_result *out, struct diag *d)
{
    const struct cli *c = ((struct find_ctx *)ctx)->c;
    struct runner_opts o = {.jobs = c->jobs, .has_seed = c->has_seed, .seed = c->seed,
                            .only = only, .nonly = nonly};
    o.progress = runner_progress_new(o.jobs);
    struct progress *pg = progress_start(c, o.progress);
    int rc = runner_run(sc, &o, out, d);
    progress_stop(pg, rc == 0);
    runner_progress_free(o.progress);
    if (rc == 0)
        report_stops(out, nonly);
    return rc;
}

/* "find: probe 3: app.workers = 4: latency_p99_ms 142.3 ms (95% CI 130.1 ..
 * 150.2, 5 runs): fail" on stdout, unless -q. */
static void find_show_probe(void *ctx, const struct find_spec *fs, const struct find_probe *p)
{
    const struct cli *c = ((struct find_ctx *)ctx)->c;
    if (c->quiet)
        return;
    char v[32], lo[32], hi[32];
    report_fmt_num(v, sizeof v, p->mean, 4);
    report_fmt_num(lo, sizeof lo, p->lo, 4);
    report_fmt_num(hi, sizeof hi, p->hi, 4);
    const char *u = !strcmp(fs->obj.unit, "ms") ? " ms" : !strcmp(fs->obj.unit, "1/s") ? "/s" : "";
    printf("find: probe %zu: %s = %s: %s %s%s", p->order, fs->target, p->text, fs->obj.metric, v,
           isnan(p->mean) ? "" : u);
    if (!isnan(p->lo))
        printf(" (95%% CI %s .. %s, %zu runs)", lo, hi, p->reps);
    else
        printf(" (%zu run%s, no interval)", p->reps, p->reps == 1 ? "" : "s");
    printf(": %s\n", p->verdict == EXPECT_PASS ? "pass"
                     : p->verdict == EXPECT_FAIL ? "fail"
                                                 : "unsure (counted as failing)");
    fflush(stdout);
}

/* sdsim run with [sim] find: the search, then the results folder (find.csv
 * and the shown probe's runs) and the answer. Returns the exit code. */
static int run_find(struct cli *c, struct scenario *sc, const struct expect_set *es,
                    const struct find_spec *fs, struct publish *pub, struct publish_status *pst,
                    int plots, const char *outdir, int full_argc, char **full_argv)
{
    struct find_ctx fc = {c};
    struct find_hooks h = {&fc, find_run_probe, find_show_probe};
    struct find_outcome out;
    struct diag *d = diag_new();
    int rc = 0;
    if (find_search(sc, c->sets, c->nsets, fs, &h, &out, d) < 0) {
        diag_print(d, stderr);
        rc = EX_SOFTWARE;
    }
    diag_free(d);
    if (rc == 0) {
        /* the --set options that make the shown probe from the file */
        struct cli withx = *c;
        for (size_t i = 0; i < out.nextra && withx.nsets < MAX_SETS; i++)
            withx.sets[withx.nsets++] = out.extra_sets[i];
        char *sets = sets_text(&withx);
        char *command = join_args(full_argc, full_argv);
        uint64_t base_seed;
        runner_nruns(out.sc, &(struct runner_opts){.jobs = 1, .has_seed = c->has_seed,
                                                   .seed = c->seed},
                     &base_seed, NULL);
        struct results x = {out.sc,  out.runs, out.nruns, (long long)out.nruns, base_seed,
                            command, sets,     outdir,    NULL,                 es,
                            &out.fr};
        rc = write_results(c, &x, pub, pst, plots);
        if (rc == 0 || rc == EXIT_EXPECT_FAILED) {
            char *line = find_sentence(&out.fr);
            printf("%s\n", line);
            free(line);
        }
        free(command);
        free(sets);
    }
    find_outcome_free(&out);
    return rc;
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    struct cli c = {0};
    int rc = parse_opts(argc, argv, &c, 1);
    if (rc)
        return rc;
    if (c.runs && c.shard)
        return usage_error("--runs and --shard both choose runs: give one");
    if (c.quiz && (c.shard || !strcmp(c.file, "-")))
        return usage_error(c.shard ? "--quiz judges the answers on every run: not with --shard"
                                   : "--quiz reads the answers from standard input: the "
                                     "scenario must come from a file");
    struct scenario *sc;
    struct expect_set *es = NULL;
    struct find_spec *fs = NULL;
    rc = load(&c, &sc, &es, &fs);
    if (rc) {
        free(c.find_set);
        return rc;
    }
    if (fs && (c.runs || c.shard)) {
        find_spec_free(fs);
        expect_set_free(es);
        scenario_free(sc);
        free(c.find_set);
        return usage_error("%s chooses runs, and a search (find) makes its own",
                           c.runs ? "--runs" : "--shard");
    }
    struct runner_opts o = {.jobs = c.jobs, .has_seed = c.has_seed, .seed = c.seed};
    uint64_t base_seed;
    long long repeat;
    size_t total = runner_nruns(sc, &o, &base_seed, &repeat);
    size_t *only = NULL, nonly = 0, shard = 0, nshards = 0;
    if (c.runs && (rc = parse_runs(c.runs, total, &only, &nonly)) != 0) {
        expect_set_free(es);
        scenario_free(sc);
        return rc;
    }
    if (c.shard) {
        if ((rc = parse_shard(c.shard, total, &shard, &nshards)) != 0) {
            expect_set_free(es);
            find_spec_free(fs);
            free(c.find_set);
            scenario_free(sc);
            return rc;
        }
        only = xcalloc(total / nshards + 1, sizeof *only);
        for (size_t r = shard; r < total; r += nshards)
            only[nonly++] = r;
    }
    if (c.quiz) /* --quiz: the questions before the napkin math gives anything away */
        c.qz = quiz_ask(es, sc, stdin, stdout);
    if (!c.quiet || c.strict) {
        char *table = NULL;
        rc = napkin_strict(&c, napkin_all(sc, c.strict, c.quiet ? NULL : &table));
        if (table && rc == 0)
            fputs(table, stdout);
        free(table);
        fflush(stdout);
        if (rc) {
            free(only);
            expect_set_free(es);
            find_spec_free(fs);
            free(c.find_set);
            quiz_free(c.qz);
            scenario_free(sc);
            return rc;
        }
    }
    o.only = only;
    o.nonly = nonly;
    char *outdir = c.outdir ? xstrdup(c.outdir) : default_outdir(c.file);
    const char *f = getenv("SDSIM_FAIL_OUTPUT"); /* test hook: fail the n-th file step */
    long fail = f ? atol(f) : -1;
    struct publish_opts po = {outdir, getenv("HOME"), f ? &fail : NULL, have_gnuplot(),
                              getenv("SDSIM_NO_EXCHANGE") != NULL, false};
    struct publish_status pst;
    struct publish *pub = publish_begin(&po, &pst); /* before the runner's threads */
    if (!pub) {
        free(outdir);
        free(only);
        expect_set_free(es);
        find_spec_free(fs);
        free(c.find_set);
        quiz_free(c.qz);
        scenario_free(sc);
        return publish_exit(&pst, 0);
    }
    publish_exit(&pst, 1);
    if (fs) {
        rc = run_find(&c, sc, es, fs, pub, &pst, po.plots, outdir, full_argc, full_argv);
        publish_free(pub);
        free(outdir);
        find_spec_free(fs);
        free(c.find_set);
        expect_set_free(es);
        quiz_free(c.qz);
        scenario_free(sc);
        return rc;
    }
    size_t n = only ? nonly : total;
    struct run_result *res = xcalloc(n + 1, sizeof *res);
    struct diag *d = diag_new();
    o.progress = runner_progress_new(o.jobs);
    struct progress *pg = progress_start(&c, o.progress);
    int run_rc = runner_run(sc, &o, res, d);
    progress_stop(pg, run_rc == 0);
    runner_progress_free(o.progress);
    if (run_rc < 0) {
        diag_print(d, stderr);
        rc = EX_SOFTWARE;
    }
    diag_free(d);
    if (rc == 0)
        report_stops(res, n);
    char *command = join_args(full_argc, full_argv);
    char *sets = sets_text(&c);
    struct part_header ph = {SDSIM_VERSION, sc->hash, sc->file, base_seed, c.sets,
                             c.nsets, sets, shard, nshards, total};
    /* a shard judges no expectation: merge does, on every run */
    struct results x = {sc,     res,    n, repeat, base_seed, command, sets, outdir,
                        c.shard ? &ph : NULL, c.shard ? NULL : es, NULL};
    if (rc == 0)
        rc = write_results(&c, &x, pub, &pst, po.plots);
    publish_free(pub);
    for (size_t i = 0; i < n; i++)
        run_result_free(&res[i]);
    free(res);
    free(only);
    free(outdir);
    free(command);
    free(sets);
    expect_set_free(es);
    free(c.find_set);
    quiz_free(c.qz);
    scenario_free(sc);
    return rc;
}

/* ---- compare -------------------------------------------------------------- */

static int cmd_compare(int argc, char **argv)
{
    struct compare_opts o = {0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--by")         ? &o.by
                            : !strcmp(a, "--baseline") ? &o.baseline
                            : !strcmp(a, "--metric")   ? &o.metrics
                            : !strcmp(a, "--csv")      ? &o.csv
                                                       : NULL;
        if (slot) {
            if (!v)
                return usage_error("compare: %s needs a value", a);
            *slot = v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("compare: unknown option '%s'", a);
        } else if (!o.dir) {
            o.dir = a;
        } else {
            return usage_error("compare: unexpected argument '%s'", a);
        }
    }
    if (!o.dir || !o.by)
        return usage_error("compare: give a results folder and --by VAR");
    return compare_run(&o, stdout);
}

/* ---- merge ---------------------------------------------------------------- */

static int merge_usage(const char *why)
{
    return usage_error("merge: %s", why);
}

/* Checks that part p belongs with the first part f; prints why not. */
static int part_matches(const struct part *f, const char *fdir, const struct part *p,
                        const char *dir)
{
    const struct part_header *a = &f->h, *b = &p->h;
    const char *what = strcmp(a->version, b->version) ? "sdsim version"
                       : a->hash != b->hash           ? "scenario (its text differs)"
                       : a->base_seed != b->base_seed ? "base seed"
                       : a->nshards != b->nshards     ? "number of shards"
                       : a->total != b->total         ? "number of runs"
                                                      : NULL;
    int sets_differ = a->nsets != b->nsets;
    for (size_t i = 0; !sets_differ && i < a->nsets; i++)
        sets_differ = strcmp(a->sets[i], b->sets[i]) != 0;
    if (!what && sets_differ)
        what = "--set options";
    if (!what)
        return 0;
    fprintf(stderr, "sdsim: merge: %s and %s come from different runs: their %s differ\n", fdir,
            dir, what);
    return -1;
}

static int cmd_merge(int argc, char **argv, int full_argc, char **full_argv)
{
    const char *outdir = NULL;
    struct cli c = {0};
    const char **dirs = xcalloc((size_t)argc + 1, sizeof *dirs);
    size_t ndirs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            if (!v) {
                free(dirs);
                return merge_usage("-o needs a folder");
            }
            outdir = v;
            i++;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            free(dirs);
            return usage_error("merge: unknown option '%s'", a);
        } else {
            dirs[ndirs++] = a;
        }
    }
    if (!outdir || ndirs == 0) {
        free(dirs);
        return merge_usage("give -o DIR and the folders of the shards");
    }
    struct part *parts = xcalloc(ndirs, sizeof *parts);
    int rc = 0;
    size_t nread = 0;
    for (size_t i = 0; i < ndirs && rc == 0; i++, nread++) {
        char path[4096], why[256];
        snprintf(path, sizeof path, "%s/%s", dirs[i], PARTFILE_NAME);
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "sdsim: merge: cannot open '%s': %s (a folder written by run "
                    "--shard K/N has one)\n", path, strerror(errno));
            rc = EX_NOINPUT;
        } else if (partfile_read(path, &parts[i], why, sizeof why) < 0) {
            fprintf(stderr, "sdsim: merge: %s: %s\n", path, why);
            rc = EX_DATAERR;
        } else if (strcmp(parts[i].h.version, SDSIM_VERSION) != 0) {
            fprintf(stderr, "sdsim: merge: %s was written by sdsim %s; this is %s\n", path,
                    parts[i].h.version, SDSIM_VERSION);
            rc = EX_DATAERR;
        } else if (i > 0 && part_matches(&parts[0], dirs[0], &parts[i], dirs[i]) < 0) {
            rc = EX_DATAERR;
        }
    }
    /* every run exactly once */
    size_t total = rc == 0 ? parts[0].h.total : 0;
    const struct run_result **by_run = xcalloc(total + 1, sizeof *by_run);
    const char **from = xcalloc(total + 1, sizeof *from);
    for (size_t i = 0; rc == 0 && i < ndirs; i++)
        for (size_t k = 0; rc == 0 && k < parts[i].nruns; k++) {
            size_t r = parts[i].runs[k].run;
            if (r >= total) {
                fprintf(stderr, "sdsim: merge: %s holds run %zu of a scenario of %zu runs\n",
                        dirs[i], r, total);
                rc = EX_DATAERR;
            } else if (by_run[r]) {
                fprintf(stderr, "sdsim: merge: run %zu is in both %s and %s\n", r, from[r],
                        dirs[i]);
                rc = EX_DATAERR;
            } else {
                by_run[r] = &parts[i].runs[k];
                from[r] = dirs[i];
            }
        }
    size_t missing = 0;
    for (size_t r = 0; rc == 0 && r < total; r++)
        missing += by_run[r] == NULL;
    if (rc == 0 && missing) {
        size_t r = 0;
        while (by_run[r])
            r++;
        fprintf(stderr, "sdsim: merge: %zu of %zu runs are missing (the first: run %zu, of "
                "shard %zu/%zu)\n", missing, total, r, r % parts[0].h.nshards, parts[0].h.nshards);
        rc = EX_DATAERR;
    }
    /* the scenario: the first part's copy, named as the run named it */
    struct scenario *sc = NULL;
    struct expect_set *es = NULL;
    char copy[4096];
    snprintf(copy, sizeof copy, "%s/scenario.ini", dirs[0]);
    if (rc == 0) {
        c.file = copy;
        c.name = parts[0].h.scenario;
        c.nsets = parts[0].h.nsets < MAX_SETS ? parts[0].h.nsets : MAX_SETS;
        for (size_t i = 0; i < c.nsets; i++)
            c.sets[i] = parts[0].h.sets[i];
        c.force = 1;
        rc = load(&c, &sc, &es, NULL);
        if (rc == 0 && sc->hash != parts[0].h.hash) {
            fprintf(stderr, "sdsim: merge: %s/scenario.ini is not the scenario the shards ran\n",
                    dirs[0]);
            rc = EX_DATAERR;
        }
    }
    struct run_result *res = NULL;
    if (rc == 0) {
        struct runner_opts o = {.jobs = 1, .has_seed = 1, .seed = parts[0].h.base_seed};
        uint64_t base_seed;
        long long repeat;
        if (runner_nruns(sc, &o, &base_seed, &repeat) != total) {
            fprintf(stderr, "sdsim: merge: the scenario has not the %zu runs of the shards\n",
                    total);
            rc = EX_DATAERR;
        } else {
            /* the runs move into res (parts keep empty shells) */
            res = xcalloc(total + 1, sizeof *res);
            for (size_t r = 0; r < total; r++) {
                res[r] = *by_run[r];
                memset((void *)by_run[r], 0, sizeof *by_run[r]);
            }
            const char *f = getenv("SDSIM_FAIL_OUTPUT");
            long fail = f ? atol(f) : -1;
            struct publish_opts po = {outdir, getenv("HOME"), f ? &fail : NULL, have_gnuplot(),
                                      getenv("SDSIM_NO_EXCHANGE") != NULL, false};
            struct publish_status pst;
            struct publish *pub = publish_begin(&po, &pst);
            if (!pub) {
                rc = publish_exit(&pst, 0);
            } else {
                publish_exit(&pst, 1);
                char *command = join_args(full_argc, full_argv);
                struct results x = {sc,      res,    total, repeat, base_seed, command,
                                    parts[0].h.sets_text, outdir, NULL, es, NULL};
                rc = write_results(&c, &x, pub, &pst, po.plots);
                publish_free(pub);
                free(command);
            }
            for (size_t r = 0; r < total; r++)
                run_result_free(&res[r]);
        }
    }
    free(res);
    expect_set_free(es);
    scenario_free(sc);
    free(by_run);
    free(from);
    for (size_t i = 0; i < nread; i++)
        partfile_free(&parts[i]);
    free(parts);
    free(dirs);
    return rc;
}

/* ---- list ---------------------------------------------------------------- */

/* A key table's columns (key, type, default) are as wide as their widest
 * cell, at least 12, 16 and 14, so that every row keeps the meaning in line. */
struct param_cols {
    int w[3];
};
#define PARAM_COLS_MIN {{12, 16, 14}}

static const char *param_default(const struct param_spec *p)
{
    return !p->def ? "(required)" : *p->def ? p->def : "-";
}

static void param_cols_fit(struct param_cols *c, const struct param_spec *p)
{
    for (; p && p->name; p++) {
        const char *cell[3] = {p->name, p->type, param_default(p)};
        for (int i = 0; i < 3; i++)
            if ((int)strlen(cell[i]) > c->w[i])
                c->w[i] = (int)strlen(cell[i]);
    }
}

static void print_params_cols(const struct param_spec *p, const char *indent,
                              const struct param_cols *c)
{
    for (; p && p->name; p++)
        printf("%s%-*s %-*s %-*s %s\n", indent, c->w[0], p->name, c->w[1], p->type, c->w[2],
               param_default(p), p->help);
}

/* The header line "key type default MEANING" of a key table, then its rows. */
static void print_param_table(const struct param_spec *p, const char *meaning)
{
    struct param_cols c = PARAM_COLS_MIN;
    param_cols_fit(&c, p);
    printf("  %-*s %-*s %-*s %s\n", c.w[0], "key", c.w[1], "type", c.w[2], "default", meaning);
    print_params_cols(p, "  ", &c);
}

/* Prints "label text" with text wrapped at 96 columns under itself. */
static void print_wrapped(const char *label, const char *text)
{
    const int width = 96, indent = 14;
    int col = printf("      %-*s", indent - 6, label);
    while (*text) {
        int word = (int)strcspn(text, " ");
        if (col > indent && col + 1 + word > width)
            col = printf("\n%*s", indent, "") - 1;
        else if (col > indent)
            col += printf(" ");
        col += printf("%.*s", word, text);
        text += word;
        text += strspn(text, " ");
    }
    printf("\n");
}

/* `sdsim list theory`: output/theory.c's methods with their conditions. */
static void list_theory(void)
{
    size_t n;
    const struct theory_method *m = theory_methods(&n);
    printf("theory: closed forms and approximations (a value applies only when the\n"
           "conditions hold)\n");
    for (size_t i = 0; i < n; i++) {
        printf("  %-16s %s\n", m[i].name, m[i].summary);
        print_wrapped("when", m[i].conditions);
        print_wrapped("source", m[i].source);
        const char *rows = theory_apply_metrics(m[i].name);
        if (rows)
            print_wrapped("summary", rows);
    }
    printf("\n");
    print_wrapped("theory", theory_apply_conditions);
    printf("\n");
}

/* `sdsim list expect`: the [expect] and [predict] sections. */
static void list_expect(void)
{
    printf("[expect]  assertions on the results, judged after the run (expect.csv)\n"
           "  line         METRIC OP VALUE [when VAR = VALUE [and VAR = VALUE]...]\n"
           "  METRIC       a summary.csv metric (latency_p99_ms, error_ratio, lost_writes,\n"
           "               cache.hit_ratio: see `sdsim list metrics`), or COMPONENT.COLUMN for a\n"
           "               numeric components.csv column (app.utilisation, db.wait_p99_ms)\n"
           "  OP           <  <=  >  >=  ==  !=\n"
           "  VALUE        in the metric's unit (200), or with a unit it converts from: a\n"
           "               duration for ms and s (200ms, 0.2s), a rate for 1/s (120/m), a\n"
           "               percentage for ratios (5%%), a size for bytes (64MB)\n"
           "  when         only at the sweep points where each VAR has that VALUE\n"
           "  verdict      at each point, on summary.csv's 95%% interval of the metric:\n"
           "               pass: all of it satisfies the line; fail: none of it does (exit 1);\n"
           "               inconclusive: it straddles the bound (a warning, exit 0); with one\n"
           "               replication the value itself is judged\n"
           "  e.g.         latency_p99_ms < 200ms when policy = least_connections\n"
           "               db.lost_writes == 0 when ack = sync\n"
           "[predict]  guesses, shown beside the result; never an error\n"
           "  line         METRIC = VALUE [when ...], as in latency_mean_ms = 2600ms\n"
           "  shown        the result, its 95%% interval, the guess's error in %% and whether\n"
           "               the interval holds the guess\n"
           "  bottleneck   bottleneck = COMPONENT [when ...]: the component you think limits\n"
           "               the design; shown beside the simulated one at each point (highest\n"
           "               mean utilisation among the components with workers) and the napkin\n"
           "               math's; expect.csv: match or miss\n"
           "  --quiz       sdsim run FILE --quiz asks for each line's value first (one answer a\n"
           "               line on standard input) and then shows how far off each answer was\n"
           "               (the interview drills in scenarios/drills/)\n\n");
}

/* `sdsim list learn` and `sdsim list drills`: the scenarios of the learning
 * path and of the interview drills, each with its question or task, read
 * from the files (sim/lessons.c). */
static int list_lessons(const char *topic)
{
    bool learn = !strcmp(topic, "learn");
    char *dir = lessons_dir(topic);
    if (!dir) {
        fprintf(stderr, "sdsim: no scenarios/%s/ beside the sdsim binary, under its "
                        "../share/sdsim/, or here\n", topic);
        return -1;
    }
    printf("%s: %s\n", topic,
           learn ? "the learning path of docs/guide.md, one idea a step, in order; each step\n"
                   "asks a question, has a [predict] to fill in and ends with exercises"
                 : "interview drills, end-to-end designs: requirements, levers, napkin math,\n"
                   "[predict] lines for run --quiz and a capacity search");
    lessons_print(dir, 100, stdout);
    printf(learn ? "run a step: sdsim run %s/01-littles-law.ini\n"
                 : "run a drill, guessing first: sdsim run %s/url-shortener.ini --quiz\n",
           dir);
    free(dir);
    return 0;
}

/* `sdsim list metrics`: every column of the results files, by file. */
static void list_metric(void *ctx, const char *file, const char *name, const struct coldoc *d)
{
    const char **last = ctx;
    if (!*last || strcmp(*last, file) != 0)
        printf("%s%s\n", *last ? "\n" : "", file);
    *last = file;
    printf("  %-34s  %-10s %s\n", name, d->unit, d->meaning);
    print_wrapped("when", d->when);
    print_wrapped("value", d->source);
}

static void list_metrics(void)
{
    const char *last = NULL;
    printf("metrics: the columns of the results files (summary.csv:metric: the values of\n"
           "summary.csv's metric column); name, unit, meaning, when it appears, how it is got\n");
    columns_each(list_metric, &last);
    printf("\n");
}

static int cmd_list(int argc, char **argv)
{
    if (argc > 1)
        return usage_error("list takes at most one argument, got '%s'", argv[1]);
    const char *what = argc ? argv[0] : NULL;
    int shown = 0;
    if (!what || !strcmp(what, "sim")) {
        printf("[sim]  run settings\n");
        print_param_table(runner_sim_params, "meaning");
        printf("  (validate and run refuse more than %d runs, sweep points x repeat, or an "
               "estimated %.0f GB of results, unless --force; they print the napkin math of "
               "each point, offered load, capacity and utilisation per component, and warn "
               "when an unbounded queue is offered its capacity or more, an error with "
               "--strict)\n\n",
               RUNNER_MAX_RUNS, RUNNER_MAX_OUTPUT_BYTES / 1e9);
        shown = 1;
    }
    if (!what || !strcmp(what, "plot")) {
        printf("[plot NAME]  a plot of chosen runs.csv columns, plot_NAME.png (mean and 95%% CI "
               "over replications)\n");
        print_param_table(runner_plot_params, "meaning");
        printf("\n");
        shown = 1;
    }
    for (const struct kind *const *k = kind_all(); *k; k++) {
        if (what && strcmp(what, (*k)->name) != 0)
            continue;
        printf("[%s NAME]  %s\n", (*k)->name, (*k)->summary);
        print_param_table((*k)->params, "meaning ('-': optional, no default)");
        printf("\n");
        shown = 1;
    }
    for (const struct policy_family *const *f = family_all(); *f; f++) {
        if (what && strcmp(what, (*f)->name) != 0)
            continue;
        printf("%s: %s\n", (*f)->name, (*f)->summary);
        struct param_cols c = PARAM_COLS_MIN; /* one layout for the family's parameters */
        for (const struct policy_head *const *h = (*f)->table; *h; h++)
            param_cols_fit(&c, (*h)->params);
        for (const struct policy_head *const *h = (*f)->table; *h; h++) {
            printf("  %-14s %s\n", (*h)->name, (*h)->summary);
            print_params_cols((*h)->params, "      ", &c);
        }
        printf("\n");
        shown = 1;
    }
    if (!what || !strcmp(what, "expect")) {
        list_expect();
        shown = 1;
    }
    if (what && !strcmp(what, "theory")) {
        list_theory();
        shown = 1;
    }
    if (what && !strcmp(what, "metrics")) {
        list_metrics();
        shown = 1;
    }
    if (what && (!strcmp(what, "learn") || !strcmp(what, "drills"))) {
        if (list_lessons(what) != 0)
            return EX_NOINPUT;
        shown = 1;
    }
    if (!shown)
        return usage_error("nothing named '%s' to list (try `sdsim list`)", what);
    return 0;
}

static int cmd_plot(int argc, char **argv)
{
    if (argc != 1)
        return usage_error("plot needs one results folder");
    char **scripts;
    size_t n = list_dir(argv[0], ".gp", &scripts);
    free_list(scripts, n);
    if (n == 0) {
        fprintf(stderr, "sdsim: no gnuplot scripts (*.gp) in '%s'\n", argv[0]);
        return EX_NOINPUT;
    }
    if (!have_gnuplot()) {
        fprintf(stderr, "sdsim: gnuplot is not installed (Debian: apt-get install gnuplot-nox);\n"
                        "the scripts in %s can be drawn with it later\n",
                argv[0]);
        return EX_UNAVAILABLE;
    }
    struct publish_opts po = {argv[0], NULL, NULL, true, false, true};
    struct publish_status st;
    struct publish *pub = publish_begin(&po, &st);
    int rc = pub ? publish_exit(&st, publish_redraw(pub, &st) == 0) : publish_exit(&st, 0);
    publish_free(pub);
    if (rc)
        return rc;
    if (st.plots_failed)
        return EX_SOFTWARE;
    printf("plots redrawn in %s/\n", argv[0]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    const char *cmd = argv[1];
    int asks_help = 0; /* sdsim COMMAND ... --help */
    for (int i = 2; i < argc; i++)
        asks_help |= !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help") || asks_help) {
        printf("%s\n%s%s", usage_text, help_text, help_options);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("sdsim %s\n", SDSIM_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2, argc, argv);
    if (!strcmp(cmd, "validate"))
        return cmd_validate(argc - 2, argv + 2);
    if (!strcmp(cmd, "list"))
        return cmd_list(argc - 2, argv + 2);
    if (!strcmp(cmd, "plot"))
        return cmd_plot(argc - 2, argv + 2);
    if (!strcmp(cmd, "compare"))
        return cmd_compare(argc - 2, argv + 2);
    if (!strcmp(cmd, "merge"))
        return cmd_merge(argc - 2, argv + 2, argc, argv);
    return usage_error("unknown command '%s'", cmd);
}
