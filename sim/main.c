/* main: the sdsim command line. The only module that prints, exits, reads
 * the environment or looks at the clock (never the simulated one). Exit
 * codes follow sysexits.h. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "models/kind.h"
#include "output/outfile.h"
#include "output/report.h"
#include "output/theory.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/xalloc.h"

#define MAX_SETS 256

static const char usage_text[] =
    "usage: sdsim run FILE [-o DIR] [-j N] [--seed N] [--set NAME.KEY=VALUE]... [--runs LIST] [-q]\n"
    "       sdsim validate FILE [--set NAME.KEY=VALUE]...\n"
    "       sdsim list [KIND|FAMILY]\n"
    "       sdsim plot DIR\n"
    "       sdsim --help | --version\n";

static const char help_text[] =
    "sdsim: a deterministic discrete-event simulator for system-design scenarios.\n"
    "\n"
    "Commands:\n"
    "  run FILE       run every sweep point and replication of a scenario and write\n"
    "                 CSV results and plots to results/<FILE name>/\n"
    "  validate FILE  check a scenario (every sweep point) without running it\n"
    "  list [WHAT]    print every component kind, policy and distribution with\n"
    "                 its parameters, defaults and meaning (WHAT narrows it: a kind\n"
    "                 such as 'service', a family such as 'balance' or 'dist', or 'sim';\n"
    "                 'theory' lists the queueing and caching formulas and when they hold)\n"
    "  plot DIR       redraw the PNG plots of a results folder with gnuplot\n"
    "\n"
    "Options of run:\n"
    "  -o DIR         results folder (default results/<scenario name>)\n"
    "  -j N           run N runs in parallel; the output is identical for any N\n"
    "  --seed N       base seed, overriding [sim] seed\n"
    "  --set K=V      override a key, e.g. --set app.workers=4 or --set sim.duration=10s;\n"
    "                 V may be a sweep: --set app.workers='${w = 1, 2, 4}'\n"
    "  --runs LIST    only these run numbers, e.g. 3 or 0-4,9 (see manifest.txt)\n"
    "  -q             no table on stdout\n"
    "\n"
    "Exit status: 0 ok, 64 usage, 65 bad scenario, 66 cannot open input,\n"
    "69 gnuplot missing (plot), 70 internal error, 73 cannot create output.\n";

struct cli {
    const char *file;
    const char *outdir;
    const char *sets[MAX_SETS];
    size_t nsets;
    int jobs;
    int has_seed;
    unsigned long long seed;
    const char *runs;
    int quiet;
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

/* Parses the options after `run FILE` / `validate FILE`. */
static int parse_opts(int argc, char **argv, struct cli *c, int allow_run_opts)
{
    c->jobs = 1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        char flag[3];
        if ((!strncmp(a, "-j", 2) || !strncmp(a, "-o", 2)) && a[2]) { /* -j2, -oDIR */
            snprintf(flag, sizeof flag, "%.2s", a);
            v = a + 2;
            a = flag;
            i--; /* the value is in this argument: do not skip the next one */
        }
        int takes = !strcmp(a, "-o") || !strcmp(a, "-j") || !strcmp(a, "--seed") ||
                    !strcmp(a, "--set") || !strcmp(a, "--runs");
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
        } else if (!strcmp(a, "-q") && allow_run_opts) {
            c->quiet = 1;
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

/* Loads, applies --set, finds sweeps and validates every point. Returns 0
 * or an exit code. */
static int load(const struct cli *c, struct scenario **out)
{
    struct diag *d = diag_new();
    int ioerr;
    struct scenario *sc = scenario_load(c->file, d, &ioerr);
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
    if (rc == 0 && runner_validate(sc, d) < 0)
        rc = -1;
    if (rc < 0) {
        diag_print(d, stderr);
        size_t n = diag_count(d);
        fprintf(stderr, "%zu error%s in %s\n", n, n == 1 ? "" : "s", c->file);
        diag_free(d);
        scenario_free(sc);
        return EX_DATAERR;
    }
    diag_free(d);
    *out = sc;
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    struct cli c = {0};
    int rc = parse_opts(argc, argv, &c, 0);
    if (rc)
        return rc;
    struct scenario *sc;
    rc = load(&c, &sc);
    if (rc)
        return rc;
    long long repeat;
    uint64_t seed;
    size_t n = runner_nruns(sc, NULL, &seed, &repeat);
    printf("%s: ok (%zu sweep point%s x %lld replication%s = %zu run%s)\n", c.file,
           scenario_npoints(sc), scenario_npoints(sc) == 1 ? "" : "s", repeat,
           repeat == 1 ? "" : "s", n, n == 1 ? "" : "s");
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

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rsdsim: %zu/%zu runs done", done, total);
    if (done == total)
        fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

static int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

static void remove_tree_files(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(dp);
    rmdir(dir);
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

/* Moves the staged files into dir, replacing what a previous run left. */
static int publish(const char *stage, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return rename(stage, dir);
    static const char *const ours[] = {".csv", ".txt", ".dat", ".gp", ".png"};
    for (size_t k = 0; k < sizeof ours / sizeof ours[0]; k++) {
        char **old;
        size_t n = list_dir(dir, ours[k], &old);
        for (size_t i = 0; i < n; i++) {
            char path[4096], staged[4096];
            snprintf(staged, sizeof staged, "%s/%s", stage, old[i]);
            snprintf(path, sizeof path, "%s/%s", dir, old[i]);
            if (stat(staged, &st) != 0) /* stale from an earlier run */
                unlink(path);
        }
        free_list(old, n);
    }
    char **files;
    size_t n = list_dir(stage, "", &files);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/%s", stage, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        rc = rename(from, to);
    }
    free_list(files, n);
    rmdir(stage);
    return rc;
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

/* Runs gnuplot on every .gp script in dir. Returns the number that failed. */
static int render(const char *dir)
{
    char **scripts;
    size_t n = list_dir(dir, ".gp", &scripts);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            if (chdir(dir) != 0)
                _exit(127);
            execlp("gnuplot", "gnuplot", scripts[i], (char *)NULL);
            _exit(127);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "sdsim: warning: gnuplot failed on %s/%s\n", dir, scripts[i]);
            failed++;
        }
    }
    free_list(scripts, n);
    return failed;
}

static char *default_outdir(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".ini") == 0)
        len -= 4;
    char *out = xmalloc(len + 16);
    snprintf(out, len + 16, "results/%.*s", (int)len, base);
    return out;
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

static int write_results(const struct report *rp, const char *outdir, long *fail)
{
    size_t sl = strlen(outdir) + 16;
    char *stage = xmalloc(sl);
    snprintf(stage, sl, "%s.sdsim-tmp", outdir);
    remove_tree_files(stage);
    char *parent = xstrdup(outdir);
    char *slash = strrchr(parent, '/');
    int rc = 0;
    if (slash) {
        *slash = '\0';
        if (*parent && mkdir_p(parent) < 0)
            rc = -1;
    }
    if (rc == 0 && mkdir(stage, 0777) != 0)
        rc = -1;
    if (rc < 0) {
        fprintf(stderr, "sdsim: cannot create '%s': %s\n", stage, strerror(errno));
        free(parent);
        free(stage);
        return EX_CANTCREAT;
    }
    struct outdir od = {stage, fail};
    int err = 0;
    const char *what = "";
    if (report_write(rp, &od, &err, &what) < 0) {
        fprintf(stderr, "sdsim: cannot write '%s/%s': %s (nothing was written)\n", outdir, what,
                strerror(err));
        remove_tree_files(stage);
        rc = EX_CANTCREAT;
    } else if (publish(stage, outdir) != 0) {
        fprintf(stderr, "sdsim: cannot move results into '%s': %s\n", outdir, strerror(errno));
        remove_tree_files(stage);
        rc = EX_CANTCREAT;
    }
    free(parent);
    free(stage);
    return rc;
}

static int cmd_run(int argc, char **argv, int full_argc, char **full_argv)
{
    struct cli c = {0};
    int rc = parse_opts(argc, argv, &c, 1);
    if (rc)
        return rc;
    struct scenario *sc;
    rc = load(&c, &sc);
    if (rc)
        return rc;
    struct runner_opts o = {.jobs = c.jobs, .has_seed = c.has_seed, .seed = c.seed};
    uint64_t base_seed;
    long long repeat;
    size_t total = runner_nruns(sc, &o, &base_seed, &repeat);
    size_t *only = NULL, nonly = 0;
    if (c.runs && (rc = parse_runs(c.runs, total, &only, &nonly)) != 0) {
        scenario_free(sc);
        return rc;
    }
    o.only = only;
    o.nonly = nonly;
    if (!c.quiet && isatty(STDERR_FILENO))
        o.progress = progress;
    size_t n = only ? nonly : total;
    struct run_result *res = xcalloc(n + 1, sizeof *res);
    struct diag *d = diag_new();
    if (runner_run(sc, &o, res, d) < 0) {
        diag_print(d, stderr);
        rc = EX_SOFTWARE;
    }
    diag_free(d);
    char *outdir = c.outdir ? xstrdup(c.outdir) : default_outdir(c.file);
    char *command = join_args(full_argc, full_argv);
    if (rc == 0) {
        struct sim_config cfg;
        runner_first_config(sc, &cfg);
        struct report rp = {sc,     res,         n,         repeat,       base_seed,
                            command, outdir, cfg.slo.metric, cfg.slo.limit, cfg.slo.text,
                            cfg.plot[0] ? cfg.plot : NULL};
        const char *f = getenv("SDSIM_FAIL_OUTPUT"); /* test hook: fail the n-th write */
        long fail = f ? atol(f) : -1;
        rc = write_results(&rp, outdir, f ? &fail : NULL);
        char unknown[64];
        if (rc == 0 && report_plot_unknown(&rp, unknown, sizeof unknown))
            fprintf(stderr, "sdsim: warning: [sim] plot: no runs.csv column '%s'\n", unknown);
        if (rc == 0 && !c.quiet) {
            char *table = report_table(&rp);
            fputs(table, stdout);
            free(table);
        }
        if (rc == 0) {
            int plots = have_gnuplot();
            if (plots && render(outdir) != 0)
                plots = 0;
            if (!c.quiet)
                printf("results: %s/ (runs.csv, summary.csv, components.csv, histograms.csv%s)\n",
                       outdir, plots ? ", plots *.png" : "; install gnuplot for PNG plots");
        }
    }
    for (size_t i = 0; i < n; i++)
        run_result_free(&res[i]);
    free(res);
    free(only);
    free(outdir);
    free(command);
    scenario_free(sc);
    return rc;
}

/* ---- list ---------------------------------------------------------------- */

static void print_params(const struct param_spec *p, const char *indent)
{
    for (; p && p->name; p++)
        printf("%s%-12s %-16s %-14s %s\n", indent, p->name, p->type,
               !p->def ? "(required)" : *p->def ? p->def : "-", p->help);
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
    }
    printf("\n");
}

static int cmd_list(int argc, char **argv)
{
    if (argc > 1)
        return usage_error("list takes at most one argument, got '%s'", argv[1]);
    const char *what = argc ? argv[0] : NULL;
    int shown = 0;
    if (!what || !strcmp(what, "sim")) {
        printf("[sim]  run settings\n  %-12s %-16s %-14s %s\n", "key", "type", "default",
               "meaning");
        print_params(runner_sim_params, "  ");
        printf("\n");
        shown = 1;
    }
    for (const struct kind *const *k = kind_all(); *k; k++) {
        if (what && strcmp(what, (*k)->name) != 0)
            continue;
        printf("[%s NAME]  %s\n  %-12s %-16s %-14s %s\n", (*k)->name, (*k)->summary, "key", "type",
               "default", "meaning ('-': optional, no default)");
        print_params((*k)->params, "  ");
        printf("\n");
        shown = 1;
    }
    for (const struct family *const *f = family_all(); *f; f++) {
        if (what && strcmp(what, (*f)->name) != 0)
            continue;
        struct policy_doc docs[64];
        size_t n = (*f)->docs(docs, 64);
        printf("%s: %s\n", (*f)->name, (*f)->summary);
        for (size_t i = 0; i < n; i++) {
            printf("  %-14s %s\n", docs[i].name, docs[i].summary);
            print_params(docs[i].params, "      ");
        }
        printf("\n");
        shown = 1;
    }
    if (what && !strcmp(what, "theory")) {
        list_theory();
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
    int failed = render(argv[0]);
    if (failed)
        return EX_SOFTWARE;
    printf("plots redrawn in %s/\n", argv[0]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("missing command");
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        printf("%s\n%s", usage_text, help_text);
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
    return usage_error("unknown command '%s'", cmd);
}
