/* publish: whole-folder publication of results (see publish.h).
 *
 * Invariant: OUTDIR only ever changes by one rename (or, without
 * RENAME_EXCHANGE, two renames made under the same mutex the signal thread
 * takes), and only a file named by the old folder's manifest (or, for a
 * folder from an older sdsim, a name sdsim has always written) is removed.
 * p->state says what the path p->tidy_path holds, so that the signal thread
 * and the error paths remove exactly that: our own stage (every file in it is
 * ours) or the old folder after the swap (only its listed files). */
#define _GNU_SOURCE /* renameat2, RENAME_EXCHANGE, flock */
#include "output/publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "output/outfile.h"
#include "sim/xalloc.h"

enum stage_state {
    STAGE_NONE, /* nothing to remove */
    STAGE_OURS, /* tidy_path is our stage: every file in it is ours */
    STAGE_OLD,  /* tidy_path is the replaced folder: remove its listed files */
};

struct publish {
    struct publish_opts o;
    char *dir;    /* OUTDIR without trailing slashes */
    char *parent; /* its parent folder ("." when none is named) */
    char *name;   /* its last component */
    char *stage;  /* PARENT/.NAME.sdsim-stage.PID */
    char *aside;  /* stage + ".old": the old folder, without RENAME_EXCHANGE */
    int lock_fd;  /* PARENT/.NAME.sdsim-lock, flock'd; -1 before */
    pthread_mutex_t mu; /* held by whoever changes the stage or OUTDIR */
    pthread_t guard;
    bool guarded;
    sigset_t sigs; /* SIGINT, SIGTERM, SIGHUP */
    pid_t child;   /* gnuplot running now, or 0 */
    atomic_bool dying; /* the signal thread has a signal: take no new step */
    atomic_bool stopping; /* publish_free is ending the signal thread */
    enum stage_state state;
    const char *tidy_path;
};

/* A sorted list of file names. */
struct names {
    char **v;
    size_t n, cap;
};

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool names_has(const struct names *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i], s))
            return true;
    return false;
}

static void names_add(struct names *l, const char *s)
{
    xgrow(&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = xstrdup(s);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t l = strlen(s), sl = strlen(suffix);
    return l >= sl && !strcmp(s + l - sl, suffix);
}

/* Entries of dir but . and .., sorted; suffix "" for all. -1 with errno. */
static int list_dir(const char *dir, const char *suffix, struct names *out)
{
    memset(out, 0, sizeof *out);
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && has_suffix(e->d_name, suffix))
            names_add(out, e->d_name);
    closedir(dp);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return 0;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = xmalloc(n);
    snprintf(s, n, "%s/%s", a, b);
    return s;
}

__attribute__((format(printf, 3, 4))) static int fail(struct publish_status *st,
                                                      enum publish_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    st->code = code;
    vsnprintf(st->msg, sizeof st->msg, fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 2, 3))) static void warn(struct publish_status *st, const char *fmt,
                                                       ...)
{
    size_t used = strlen(st->warn);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->warn + used, sizeof st->warn - used, fmt, ap);
    va_end(ap);
}

/* The test hook: true (with errno EIO) when the countdown reaches 0. */
static bool injected(const struct publish *p)
{
    long *c = p->o.fail_countdown;
    if (!c || *c < 0 || (*c)-- != 0)
        return false;
    errno = EIO;
    return true;
}

/* ---- which files are sdsim's --------------------------------------------- */

/* The names every sdsim before the file list wrote (output/report.c). */
static bool is_legacy_name(const char *s)
{
    static const char *const fixed[] = {
        "runs.csv",          "summary.csv",       "components.csv",     "histograms.csv",
        "manifest.txt",      "latency_cdf.dat",   "latency_cdf.gp",     "latency_cdf.png",
        "timeseries.csv",    "timeseries.dat",    "timeseries.gp",      "timeseries.png",
        "sweep_latency.dat", "sweep_latency.gp",  "sweep_latency.png",  "sweep_throughput.png",
        "sweep_metrics.dat", "sweep_metrics.gp",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (!strcmp(s, fixed[i]))
            return true;
    return !strncmp(s, "sweep_", 6) && has_suffix(s, ".png") && !strchr(s, '/');
}

/* The "file: NAME" lines of dir/manifest.txt. false when there are none
 * (no manifest, or one from an sdsim before the list). */
static bool read_file_list(const char *dir, struct names *out)
{
    memset(out, 0, sizeof *out);
    char *path = join(dir, "manifest.txt");
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return false;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "file: ", 6) != 0)
            continue;
        line[strcspn(line, "\n")] = '\0';
        const char *n = line + 6;
        if (*n && !strchr(n, '/') && strcmp(n, ".") && strcmp(n, ".."))
            names_add(out, n);
    }
    fclose(f);
    return out->n > 0;
}

/* May a run remove dir/name? Listed, or (no list) a name sdsim always wrote;
 * and a file, never a folder. */
static bool is_ours(const char *dir, const char *name, const struct names *list, bool listed)
{
    if (listed ? !names_has(list, name) : !is_legacy_name(name))
        return false;
    char *path = join(dir, name);
    struct stat sb;
    bool file = lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode);
    free(path);
    return file;
}

/* The first entry of dir that is not ours, copied to bad (size n); false
 * when every entry is. */
static bool find_foreign(const char *dir, char *bad, size_t n)
{
    struct names list, ents;
    bool listed = read_file_list(dir, &list), found = false;
    if (list_dir(dir, "", &ents) < 0) {
        names_free(&list);
        return false;
    }
    for (size_t i = 0; i < ents.n && !found; i++)
        if (!is_ours(dir, ents.v[i], &list, listed)) {
            snprintf(bad, n, "%s", ents.v[i]);
            found = true;
        }
    names_free(&ents);
    names_free(&list);
    return found;
}

/* Unlinks dir/name unless the test hook fails it; on failure records the
 * first error in *err and what. */
static void unlink_ours(const struct publish *p, const char *dir, const char *name, int *err,
                        char *what, size_t n)
{
    char *path = join(dir, name);
    if ((injected(p) || unlink(path) != 0) && errno != ENOENT && !*err) {
        *err = errno;
        snprintf(what, n, "unlink '%s'", path);
    }
    free(path);
}

/* Removes what is ours in an old results folder, then the folder. The
 * manifest goes last, and stays when another file could not be removed, so
 * that the next run still knows the rest. Failures are warnings; a folder
 * that gained files that are not ours is renamed to a visible name, so that
 * no later clean-up mistakes it for a stage. */
static void remove_old(struct publish *p, const char *old, struct publish_status *st)
{
    struct names list, ents;
    bool listed = read_file_list(old, &list);
    int err = 0;
    char what[PATH_MAX + 32] = "", bad[NAME_MAX + 1] = "";
    if (list_dir(old, "", &ents) == 0)
        for (size_t i = 0; i < ents.n; i++) {
            if (!is_ours(old, ents.v[i], &list, listed))
                snprintf(bad, sizeof bad, "%s", ents.v[i]);
            else if (strcmp(ents.v[i], "manifest.txt") != 0)
                unlink_ours(p, old, ents.v[i], &err, what, sizeof what);
        }
    if (!err && is_ours(old, "manifest.txt", &list, listed))
        unlink_ours(p, old, "manifest.txt", &err, what, sizeof what);
    names_free(&ents);
    names_free(&list);
    if (!err && !*bad && (injected(p) || rmdir(old) != 0)) {
        err = errno;
        snprintf(what, sizeof what, "rmdir '%s'", old);
    }
    if (*bad) {
        size_t n = strlen(p->dir) + 40;
        char *kept = xmalloc(n);
        snprintf(kept, n, "%s.sdsim-kept.%ld", p->dir, (long)getpid());
        bool moved = rename(old, kept) == 0;
        warn(st, "warning: '%s' gained files sdsim did not write while it ran (such as '%s'); "
                 "they are kept in '%s'\n",
             p->dir, bad, moved ? kept : old);
        free(kept);
    } else if (err) {
        warn(st, "warning: the previous results of '%s' could not all be removed from '%s' "
                 "(%s: %s); the next run into '%s' removes them\n",
             p->dir, old, what, strerror(err), p->dir);
    }
}

/* Removes our own stage: every file in it, then it. */
static void remove_stage(const char *stage)
{
    struct names ents;
    if (list_dir(stage, "", &ents) == 0)
        for (size_t i = 0; i < ents.n; i++) {
            char *path = join(stage, ents.v[i]);
            unlink(path);
            free(path);
        }
    names_free(&ents);
    rmdir(stage);
}

/* What is at tidy_path goes; call with p->mu held. */
static void tidy(struct publish *p, struct publish_status *st)
{
    if (p->state == STAGE_OURS)
        remove_stage(p->tidy_path);
    else if (p->state == STAGE_OLD)
        remove_old(p, p->tidy_path, st);
    p->state = STAGE_NONE;
}

/* A stage left by a killed run (in building or holding a replaced folder):
 * its listed files and the kinds of file sdsim writes go, then the folder. */
static void remove_stale(const char *stage, struct publish_status *st)
{
    static const char *const kinds[] = {".csv", ".txt", ".ini", ".dat",
                                        ".gp",  ".png", ".log", ".tmp"};
    struct names list, ents;
    read_file_list(stage, &list);
    if (list_dir(stage, "", &ents) == 0)
        for (size_t i = 0; i < ents.n; i++) {
            bool ours = names_has(&list, ents.v[i]);
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !ours; k++)
                ours = has_suffix(ents.v[i], kinds[k]);
            char *path = join(stage, ents.v[i]);
            struct stat sb;
            if (ours && lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
                unlink(path);
            free(path);
        }
    names_free(&ents);
    names_free(&list);
    if (rmdir(stage) != 0 && errno != ENOENT)
        warn(st, "warning: cannot remove the stale stage folder '%s' of a killed run: %s\n",
             stage, strerror(errno));
}

static void remove_stale_stages(struct publish *p, struct publish_status *st)
{
    size_t n = strlen(p->name) + 20;
    char *prefix = xmalloc(n);
    snprintf(prefix, n, ".%s.sdsim-stage.", p->name);
    struct names ents;
    if (list_dir(p->parent, "", &ents) == 0)
        for (size_t i = 0; i < ents.n; i++) {
            if (strncmp(ents.v[i], prefix, strlen(prefix)) != 0)
                continue;
            char *path = join(p->parent, ents.v[i]);
            struct stat sb;
            if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
                remove_stale(path, st);
            free(path);
        }
    names_free(&ents);
    free(prefix);
}

/* ---- signals ------------------------------------------------------------- */

/* Waits for SIGINT, SIGTERM or SIGHUP; then, once the step under way is done
 * (it holds p->mu), ends gnuplot, removes the stage and dies of the signal.
 * It never releases p->mu, so the main thread stops at its next step. */
static void *guard_main(void *arg)
{
    struct publish *p = arg;
    siginfo_t si;
    int sig;
    do
        sig = sigwaitinfo(&p->sigs, &si);
    while (sig < 0 && errno == EINTR);
    if (sig < 0 || (atomic_load(&p->stopping) && si.si_pid == getpid()))
        return NULL; /* publish_free's pthread_kill: a user's signal has another pid */
    atomic_store(&p->dying, true);
    pthread_mutex_lock(&p->mu);
    if (p->child > 0) {
        kill(p->child, SIGKILL);
        waitpid(p->child, NULL, 0); /* ECHILD when the main thread reaped it */
    }
    struct publish_status ignored = {0};
    tidy(p, &ignored);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached: the default action ends the process */
}

/* Takes p->mu for the next step. Once a signal has come the signal thread
 * gets the mutex instead and never gives it back: no step starts, and the
 * program ends of the signal. (A gnuplot killed by Ctrl-C must not let the
 * main thread publish half-drawn plots first.) */
static void lock_step(struct publish *p)
{
    pthread_mutex_lock(&p->mu);
    while (atomic_load(&p->dying)) {
        pthread_mutex_unlock(&p->mu);
        sched_yield();
        pthread_mutex_lock(&p->mu);
    }
}

static int start_guard(struct publish *p, struct publish_status *st)
{
    sigemptyset(&p->sigs);
    sigaddset(&p->sigs, SIGINT);
    sigaddset(&p->sigs, SIGTERM);
    sigaddset(&p->sigs, SIGHUP);
    int e = pthread_sigmask(SIG_BLOCK, &p->sigs, NULL);
    if (e == 0)
        e = pthread_create(&p->guard, NULL, guard_main, p);
    if (e != 0)
        return fail(st, PUBLISH_IO, "cannot start the signal thread: %s", strerror(e));
    p->guarded = true;
    return 0;
}

/* ---- checks before anything is touched ----------------------------------- */

static int mkdir_p(const char *path)
{
    char *s = xstrdup(path);
    int rc = 0;
    for (char *c = s + 1; *c && rc == 0; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(s, 0777) != 0 && errno != EEXIST)
            rc = -1;
        *c = '/';
    }
    if (rc == 0 && mkdir(s, 0777) != 0 && errno != EEXIST)
        rc = -1;
    free(s);
    return rc;
}

/* '/', $HOME, the current folder and the folders above it are never a
 * results folder: sdsim replaces a results folder as a whole. */
static int refuse_wholesale(const struct publish *p, struct publish_status *st)
{
    char *real = realpath(p->o.outdir, NULL);
    if (!real)
        return 0; /* absent: it is none of them */
    char cwd[PATH_MAX];
    char *home = p->o.home && *p->o.home ? realpath(p->o.home, NULL) : NULL;
    size_t rl = strlen(real);
    int rc = 0;
    if (!strcmp(real, "/"))
        rc = fail(st, PUBLISH_REFUSED, "'%s' is the root folder; sdsim will not write its "
                                       "results there. Use -o with a new folder",
                  p->o.outdir);
    else if (home && !strcmp(real, home))
        rc = fail(st, PUBLISH_REFUSED, "'%s' is your home folder; sdsim will not write its "
                                       "results there. Use -o with a new folder",
                  p->o.outdir);
    else if (getcwd(cwd, sizeof cwd) && !strncmp(cwd, real, rl) &&
             (cwd[rl] == '\0' || cwd[rl] == '/'))
        rc = fail(st, PUBLISH_REFUSED, "'%s' is the current folder or holds it; sdsim will not "
                                       "write its results there. Use -o with a new folder",
                  p->o.outdir);
    free(home);
    free(real);
    return rc;
}

/* OUTDIR is absent, or a folder (not a mount point) holding only our files. */
static int check_outdir(const struct publish *p, struct publish_status *st)
{
    struct stat sb, pb;
    if (lstat(p->dir, &sb) != 0) {
        if (errno == ENOENT)
            return 0;
        return fail(st, PUBLISH_IO, "cannot read '%s': %s", p->dir, strerror(errno));
    }
    if (S_ISLNK(sb.st_mode))
        return fail(st, PUBLISH_REFUSED, "'%s' is a symbolic link; nothing was changed. Give -o "
                                         "the folder it points to, or a new folder",
                    p->dir);
    if (!S_ISDIR(sb.st_mode))
        return fail(st, PUBLISH_REFUSED, "'%s' is a file, not a folder; nothing was changed. "
                                         "Use -o with a folder name",
                    p->dir);
    if (stat(p->parent, &pb) == 0 && pb.st_dev != sb.st_dev)
        return fail(st, PUBLISH_REFUSED, "'%s' is a mount point; nothing was changed. Write "
                                         "into a folder inside it, e.g. -o %s/results",
                    p->dir, p->dir);
    char bad[NAME_MAX + 1];
    struct names ents;
    if (list_dir(p->dir, "", &ents) < 0)
        return fail(st, PUBLISH_IO, "cannot read '%s': %s", p->dir, strerror(errno));
    names_free(&ents);
    if (find_foreign(p->dir, bad, sizeof bad))
        return fail(st, PUBLISH_REFUSED, "results folder '%s' holds '%s/%s', which sdsim did "
                                         "not write; nothing was changed. Use -o with a new "
                                         "folder, or move that file away",
                    p->dir, p->dir, bad);
    return 0;
}

static int split_path(struct publish *p, struct publish_status *st)
{
    char *d = p->o.redraw ? realpath(p->o.outdir, NULL) : xstrdup(p->o.outdir);
    if (!d)
        return fail(st, PUBLISH_NO_INPUT, "cannot open '%s': %s", p->o.outdir, strerror(errno));
    size_t l = strlen(d);
    while (l > 1 && d[l - 1] == '/')
        d[--l] = '\0';
    p->dir = d;
    char *slash = strrchr(d, '/');
    if (!slash) {
        p->parent = xstrdup(".");
        p->name = xstrdup(d);
    } else {
        p->parent = slash == d ? xstrdup("/") : xstrndup(d, (size_t)(slash - d));
        p->name = xstrdup(slash + 1);
    }
    if (!*p->name || !strcmp(p->name, ".") || !strcmp(p->name, ".."))
        return fail(st, PUBLISH_REFUSED, "-o '%s' does not name a folder of its own; sdsim "
                                         "replaces its results folder as a whole. Use -o with a "
                                         "new folder",
                    p->o.outdir);
    size_t n = strlen(p->parent) + strlen(p->name) + 64;
    p->stage = xmalloc(n);
    snprintf(p->stage, n, "%s/.%s.sdsim-stage.%ld", p->parent, p->name, (long)getpid());
    p->aside = xmalloc(n);
    snprintf(p->aside, n, "%s.old", p->stage);
    return 0;
}

static int take_lock(struct publish *p, struct publish_status *st)
{
    size_t n = strlen(p->parent) + strlen(p->name) + 32;
    char *path = xmalloc(n);
    snprintf(path, n, "%s/.%s.sdsim-lock", p->parent, p->name);
    int rc = 0;
    p->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (p->lock_fd < 0)
        rc = fail(st, PUBLISH_IO, "cannot create the lock file '%s': %s", path, strerror(errno));
    else if (flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0)
        rc = errno == EWOULDBLOCK
                 ? fail(st, PUBLISH_BUSY, "'%s' is being written by another sdsim run; wait for "
                                          "it to finish or choose another -o",
                        p->dir)
                 : fail(st, PUBLISH_IO, "cannot lock '%s': %s", path, strerror(errno));
    free(path);
    return rc;
}

struct publish *publish_begin(const struct publish_opts *o, struct publish_status *st)
{
    memset(st, 0, sizeof *st);
    struct publish *p = xcalloc(1, sizeof *p);
    p->o = *o;
    p->lock_fd = -1;
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->dying, false);
    atomic_init(&p->stopping, false);
    bool ok = start_guard(p, st) == 0 && (o->redraw || refuse_wholesale(p, st) == 0) &&
              split_path(p, st) == 0 && (o->redraw || check_outdir(p, st) == 0);
    if (ok && !o->redraw && strcmp(p->parent, ".") && mkdir_p(p->parent) < 0)
        ok = fail(st, PUBLISH_IO, "cannot create '%s': %s", p->parent, strerror(errno)) == 0;
    ok = ok && take_lock(p, st) == 0;
    if (ok && !o->redraw) /* again: another run may have finished meanwhile */
        ok = check_outdir(p, st) == 0;
    if (!ok) {
        publish_free(p);
        return NULL;
    }
    remove_stale_stages(p, st);
    return p;
}

void publish_free(struct publish *p)
{
    if (!p)
        return;
    if (p->guarded) { /* not pthread_cancel: ASan trips on a cancelled thread's exit */
        atomic_store(&p->stopping, true);
        pthread_kill(p->guard, SIGTERM);
        pthread_join(p->guard, NULL);
        pthread_sigmask(SIG_UNBLOCK, &p->sigs, NULL); /* a pending signal ends us here */
    }
    if (p->lock_fd >= 0)
        close(p->lock_fd);
    pthread_mutex_destroy(&p->mu);
    free(p->dir);
    free(p->parent);
    free(p->name);
    free(p->stage);
    free(p->aside);
    free(p);
}

/* ---- plots --------------------------------------------------------------- */

/* In the child: default signals, die with the parent, cwd = dir, output to
 * the log. Only async-signal-safe calls (the parent has threads). */
static void child_exec(const char *dir, const char *script, int log_fd, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* even a SIGKILL of sdsim ends gnuplot */
    if (getppid() != parent)
        _exit(127);
#else
    (void)parent;
#endif
    int null_fd = open("/dev/null", O_RDONLY);
    if (chdir(dir) != 0 || null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
        dup2(log_fd, 2) < 0)
        _exit(127);
    execlp("gnuplot", "gnuplot", script, (char *)NULL);
    _exit(127);
}

/* Runs gnuplot on every .gp script in dir (a stage), cwd = dir, its output
 * into dir/gnuplot.log. The mutex is held around each change to the stage
 * and each fork, not while gnuplot runs, so a signal can kill it. Returns
 * the number that failed. */
static size_t render(struct publish *p, const char *dir, struct publish_status *st)
{
    struct names scripts;
    lock_step(p); /* the log is a new file in the stage: not while it is removed */
    int log_fd = -1;
    if (list_dir(dir, ".gp", &scripts) == 0 && scripts.n > 0) {
        char *log = join(dir, "gnuplot.log");
        log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        free(log);
    }
    pthread_mutex_unlock(&p->mu);
    size_t failed = 0;
    for (size_t i = 0; i < scripts.n; i++) {
        lock_step(p);
        pid_t parent = getpid();
        pid_t pid = log_fd < 0 ? -1 : fork();
        if (pid == 0)
            child_exec(dir, scripts.v[i], log_fd, parent);
        p->child = pid > 0 ? pid : 0;
        pthread_mutex_unlock(&p->mu);
        int status = 0;
        pid_t w;
        do
            w = pid > 0 ? waitpid(pid, &status, 0) : -1;
        while (w < 0 && errno == EINTR);
        pthread_mutex_lock(&p->mu);
        p->child = 0;
        pthread_mutex_unlock(&p->mu);
        if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            warn(st, "warning: gnuplot failed on %s/%s (its messages are in %s/gnuplot.log)\n",
                 p->dir, scripts.v[i], p->dir);
            failed++;
        }
    }
    if (log_fd >= 0)
        close(log_fd);
    names_free(&scripts);
    return failed;
}

/* ---- publication --------------------------------------------------------- */

/* Appends the "file: NAME" list of every file in the stage to its manifest. */
static int append_file_list(struct publish *p, struct publish_status *st)
{
    struct names ents;
    char *path = join(p->stage, "manifest.txt");
    FILE *f = NULL;
    int rc = 0;
    if (list_dir(p->stage, "", &ents) < 0 || injected(p) || !(f = fopen(path, "a")))
        rc = fail(st, PUBLISH_IO, "cannot write '%s': %s; '%s' was not changed", path,
                  strerror(errno), p->dir);
    if (f) {
        fprintf(f, "\n# every file of this folder; a later run into it removes only these\n");
        for (size_t i = 0; i < ents.n; i++)
            fprintf(f, "file: %s\n", ents.v[i]);
        if (fflush(f) != 0 || ferror(f))
            rc = fail(st, PUBLISH_IO, "cannot write '%s': %s; '%s' was not changed", path,
                      strerror(errno), p->dir);
        if (fclose(f) != 0 && rc == 0)
            rc = fail(st, PUBLISH_IO, "cannot write '%s': %s; '%s' was not changed", path,
                      strerror(errno), p->dir);
    }
    names_free(&ents);
    free(path);
    return rc;
}

static int exchange(const char *a, const char *b)
{
#if defined(__linux__) && defined(RENAME_EXCHANGE)
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    (void)a;
    (void)b;
    errno = ENOSYS;
    return -1;
#endif
}

static int swap_failed(struct publish *p, struct publish_status *st, const char *what)
{
    if (errno == EBUSY || errno == EXDEV)
        return fail(st, PUBLISH_IO, "'%s' cannot be swapped for the new results (%s: %s): it "
                                    "is a mount point, or its filesystem cannot rename it; "
                                    "nothing was changed. Write into a folder inside it",
                    p->dir, what, strerror(errno));
    return fail(st, PUBLISH_IO, "cannot put the new results in place of '%s' (%s: %s); "
                                "'%s' was not changed",
                p->dir, what, strerror(errno), p->dir);
}

/* The stage takes OUTDIR's place; the old folder (if any) is then at
 * tidy_path with state STAGE_OLD. Call with p->mu held. */
static int swap_in(struct publish *p, struct publish_status *st)
{
    struct stat sb;
    if (lstat(p->dir, &sb) != 0) {
        if (injected(p) || rename(p->stage, p->dir) != 0)
            return swap_failed(p, st, "rename");
        p->state = STAGE_NONE;
        return 0;
    }
    if (!p->o.no_exchange) {
        if (!injected(p) && exchange(p->stage, p->dir) == 0) {
            p->tidy_path = p->stage;
            p->state = STAGE_OLD;
            return 0;
        }
        if (errno != EINVAL && errno != ENOSYS)
            return swap_failed(p, st, "renameat2");
    }
    /* No atomic exchange here: for an instant there is no OUTDIR, never a mix. */
    if (injected(p) || rename(p->dir, p->aside) != 0)
        return swap_failed(p, st, "rename");
    if (injected(p) || rename(p->stage, p->dir) != 0) {
        int e = errno;
        rename(p->aside, p->dir);
        errno = e;
        return swap_failed(p, st, "rename");
    }
    p->tidy_path = p->aside;
    p->state = STAGE_OLD;
    return 0;
}

static int make_stage(struct publish *p, struct publish_status *st)
{
    if (injected(p) || mkdir(p->stage, 0777) != 0)
        return fail(st, PUBLISH_IO, "cannot create '%s': %s; '%s' was not changed", p->stage,
                    strerror(errno), p->dir);
    p->tidy_path = p->stage;
    p->state = STAGE_OURS;
    return 0;
}

int publish_report(struct publish *p, const struct report *rp, struct publish_status *st)
{
    lock_step(p);
    int rc = make_stage(p, st);
    if (rc == 0) {
        struct outdir od = {p->stage, p->o.fail_countdown};
        int err = 0;
        const char *what = "";
        if (report_write(rp, &od, &err, &what) < 0)
            rc = fail(st, PUBLISH_IO, "cannot write '%s/%s': %s; '%s' was not changed", p->stage,
                      what, strerror(err), p->dir);
    }
    pthread_mutex_unlock(&p->mu);
    if (rc == 0 && p->o.plots)
        st->plots_failed = render(p, p->stage, st);
    lock_step(p);
    if (rc == 0)
        rc = append_file_list(p, st);
    if (rc == 0) /* nobody else wrote there meanwhile (the lock keeps sdsim out) */
        rc = check_outdir(p, st);
    if (rc == 0)
        rc = swap_in(p, st);
    tidy(p, st);
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* ---- sdsim plot ---------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (out >= 0) {
        char buf[65536];
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                break;
        rc = n == 0 ? 0 : -1;
    }
    int e = errno;
    if (out >= 0 && close(out) != 0)
        rc = -1;
    if (in >= 0)
        close(in);
    errno = e;
    return rc;
}

/* Copies the .gp and .dat files of OUTDIR into the stage. */
static int copy_inputs(struct publish *p, struct publish_status *st)
{
    static const char *const kinds[] = {".gp", ".dat"};
    for (size_t k = 0; k < 2; k++) {
        struct names l;
        if (list_dir(p->dir, kinds[k], &l) < 0)
            return fail(st, PUBLISH_IO, "cannot read '%s': %s", p->dir, strerror(errno));
        for (size_t i = 0; i < l.n; i++) {
            char *from = join(p->dir, l.v[i]), *to = join(p->stage, l.v[i]);
            int rc = injected(p) || copy_file(from, to) != 0;
            if (rc)
                fail(st, PUBLISH_IO, "cannot copy '%s' to '%s': %s; '%s' was not changed", from,
                     to, strerror(errno), p->dir);
            free(from);
            free(to);
            if (rc) {
                names_free(&l);
                return -1;
            }
        }
        names_free(&l);
    }
    return 0;
}

/* When OUTDIR's manifest lists its files, it gains the names of the new
 * files before they arrive (rewritten in the stage, renamed over it). */
static int list_new_files(struct publish *p, const struct names *add, struct publish_status *st)
{
    struct names list;
    if (!read_file_list(p->dir, &list))
        return 0;
    char *from = join(p->dir, "manifest.txt"), *to = join(p->stage, "manifest.txt");
    int rc = 0;
    bool more = false;
    for (size_t i = 0; i < add->n; i++)
        more = more || !names_has(&list, add->v[i]);
    if (more && (injected(p) || copy_file(from, to) != 0))
        rc = fail(st, PUBLISH_IO, "cannot copy '%s' to '%s': %s", from, to, strerror(errno));
    FILE *f = more && rc == 0 ? fopen(to, "a") : NULL;
    if (more && rc == 0 && !f)
        rc = fail(st, PUBLISH_IO, "cannot write '%s': %s", to, strerror(errno));
    for (size_t i = 0; f && i < add->n; i++)
        if (!names_has(&list, add->v[i]))
            fprintf(f, "file: %s\n", add->v[i]);
    if (f && (fclose(f) != 0 || injected(p) || rename(to, from) != 0))
        rc = fail(st, PUBLISH_IO, "cannot update '%s': %s", from, strerror(errno));
    free(from);
    free(to);
    names_free(&list);
    return rc;
}

/* The PNGs and the log of the stage move into OUTDIR, each whole. */
static int move_plots(struct publish *p, struct publish_status *st)
{
    struct names all, out = {0};
    if (list_dir(p->stage, "", &all) < 0)
        return fail(st, PUBLISH_IO, "cannot read '%s': %s", p->stage, strerror(errno));
    for (size_t i = 0; i < all.n; i++)
        if (has_suffix(all.v[i], ".png") || !strcmp(all.v[i], "gnuplot.log"))
            names_add(&out, all.v[i]);
    names_free(&all);
    int rc = list_new_files(p, &out, st);
    for (size_t i = 0; i < out.n && rc == 0; i++) {
        char *from = join(p->stage, out.v[i]), *to = join(p->dir, out.v[i]);
        if (injected(p) || rename(from, to) != 0)
            rc = fail(st, PUBLISH_IO, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
        free(from);
        free(to);
    }
    names_free(&out);
    return rc;
}

int publish_redraw(struct publish *p, struct publish_status *st)
{
    struct names scripts;
    if (list_dir(p->dir, ".gp", &scripts) < 0 || scripts.n == 0) {
        names_free(&scripts);
        return fail(st, PUBLISH_NO_INPUT, "no gnuplot scripts (*.gp) in '%s'", p->dir);
    }
    names_free(&scripts);
    lock_step(p);
    int rc = make_stage(p, st);
    if (rc == 0)
        rc = copy_inputs(p, st);
    pthread_mutex_unlock(&p->mu);
    if (rc == 0)
        st->plots_failed = render(p, p->stage, st);
    lock_step(p);
    if (rc == 0)
        rc = move_plots(p, st);
    tidy(p, st);
    pthread_mutex_unlock(&p->mu);
    return rc;
}
