/* find: reading [sim] find and running the search (see find.h). */
#include "sim/find.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "output/expect.h"
#include "output/report.h"
#include "sim/policy.h"
#include "sim/spec.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define FIND_MAX_PROBES 64

/* ---- reading ------------------------------------------------------------- */

static struct loc at(struct loc l, const char *text, const char *p)
{
    return (struct loc){l.file, l.line, l.col + (int)(p - text)};
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool is_name_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* Numeric types of a key or argument ("int", "int|unbounded", "rate", ...). */
static bool numeric_type(const char *t)
{
    static const char *const ok[] = {"int", "number", "rate", "fraction", "duration"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i]);
        if (strncmp(t, ok[i], n) == 0 && (t[n] == '\0' || t[n] == '|'))
            return true;
    }
    return false;
}

static const struct param_spec *param_named(const struct param_spec *p, const char *name)
{
    for (; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* The parameter table of the policy a spec names, in the family called
 * type (a key's type names its family: arrival, dist, ...), else in any
 * family that has such a policy. */
static const struct param_spec *spec_params(const char *type, const char *name)
{
    for (int pass = 0; pass < 2; pass++)
        for (const struct policy_family *const *f = family_all(); *f; f++) {
            if (pass == 0 && strcmp((*f)->name, type) != 0)
                continue;
            const struct policy_head *h = policy_find((*f)->table, name);
            if (h)
                return h->params;
        }
    return NULL;
}

/* A number and the unit after it: "100/s" is 100 and "/s". */
static int split_number(const char *s, double *v, char *unit, size_t usize)
{
    char *end;
    s = skip_blanks(s);
    if (!*s || !(isdigit((unsigned char)*s) || *s == '.' || *s == '-' || *s == '+'))
        return -1;
    *v = strtod(s, &end);
    if (end == s || !isfinite(*v))
        return -1;
    const char *u = skip_blanks(end);
    size_t n = strlen(u);
    while (n > 0 && (u[n - 1] == ' ' || u[n - 1] == '\t'))
        n--;
    if (n >= usize)
        return -1;
    memcpy(unit, u, n);
    unit[n] = '\0';
    return 0;
}

/* The target `SECTION.KEY` or `SECTION.KEY.ARG`: checks it names a numeric
 * key (or a numeric argument written in the key's spec) and sets
 * fs->section, key, param and integer. */
static int read_target(const struct scenario *sc, struct find_spec *fs, struct loc loc,
                       struct diag *d)
{
    const char *t = fs->target, *dot = strchr(t, '.');
    if (!dot || dot == t || !dot[1])
        return diag_error(d, loc, "find: expected SECTION.KEY after '%s', got '%s'",
                          fs->max ? "max" : "min", t);
    snprintf(fs->section, sizeof fs->section, "%.*s", (int)(dot - t), t);
    const char *k = dot + 1, *dot2 = strchr(k, '.');
    snprintf(fs->key, sizeof fs->key, "%.*s", (int)(dot2 ? dot2 - k : (long)strlen(k)), k);
    if (dot2)
        snprintf(fs->param, sizeof fs->param, "%s", dot2 + 1);
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, fs->section);
    if (!s || !strcmp(s->kind, "sim")) {
        const char **names = xcalloc(sc->nsections + 1, sizeof *names);
        size_t n = 0;
        for (size_t i = 0; i < sc->nsections; i++)
            if (strcmp(sc->sections[i].kind, "sim") != 0)
                names[n++] = sc->sections[i].name;
        const char *near = diag_closest(fs->section, names, n);
        free(names);
        if (s)
            return diag_error(d, loc, "find: [sim] keys cannot be searched (search a key of a "
                                      "component, such as app.workers)");
        if (near)
            return diag_error(d, loc, "find: no section named '%s' (did you mean '%s'?)",
                              fs->section, near);
        return diag_error(d, loc, "find: no section named '%s'", fs->section);
    }
    const struct kind *kd = kind_find(s->kind);
    const struct param_spec *ps = kd ? param_named(kd->params, fs->key) : NULL;
    if (!ps) {
        const char *names[128];
        size_t n = 0;
        for (const struct param_spec *p = kd ? kd->params : NULL; p && p->name && n < 128; p++)
            names[n++] = p->name;
        const char *near = diag_closest(fs->key, names, n);
        if (near)
            return diag_error(d, loc, "find: a %s has no key '%s' (did you mean '%s'?)", s->kind,
                              fs->key, near);
        return diag_error(d, loc, "find: a %s has no key '%s' (see `sdsim list %s`)", s->kind,
                          fs->key, s->kind);
    }
    if (!fs->param[0]) {
        if (!numeric_type(ps->type))
            return diag_error(d, loc,
                              "find: %s.%s is not a number (its type: %s); find searches a "
                              "numeric key, or a number inside it as %s.%s.ARG",
                              fs->section, fs->key, ps->type, fs->section, fs->key);
        fs->integer = strncmp(ps->type, "int", 3) == 0;
        return 0;
    }
    /* SECTION.KEY.ARG: an argument written in the key's spec */
    const struct sc_entry *e = sc_find_entry(s, fs->key);
    if (!e)
        return diag_error(d, loc, "find: %s.%s is not written in [%s %s]: write it (e.g. %s = "
                                  "NAME(%s=...)) to search its argument '%s'",
                          fs->section, fs->key, s->kind, s->name, fs->key, fs->param, fs->param);
    struct spec sp;
    if (spec_parse(&sp, e->value, e->val_loc, d) < 0)
        return -1;
    const struct param_spec *pp = spec_params(ps->type, sp.name);
    const struct param_spec *arg = pp ? param_named(pp, fs->param) : NULL;
    if (!arg)
        return diag_error(d, loc, "find: %s(...) in %s.%s has no argument '%s'", sp.name,
                          fs->section, fs->key, fs->param);
    if (!numeric_type(arg->type))
        return diag_error(d, loc, "find: %s.%s.%s is not a number (its type: %s)", fs->section,
                          fs->key, fs->param, arg->type);
    struct loc vl;
    const char *v = spec_value(&sp, pp, fs->param, &vl);
    if (!v || v < sp.buf || v >= sp.buf + sizeof sp.buf)
        return diag_error(d, loc, "find: write %s=... in %s.%s (its default is not in the file) "
                                  "to search it",
                          fs->param, fs->section, fs->key);
    fs->integer = strncmp(arg->type, "int", 3) == 0;
    return 0;
}

/* The key's value with the number v: "SECTION.KEY=VALUE" (caller frees),
 * the argument replaced in its spec for SECTION.KEY.ARG. sc: the scenario
 * with the --set options applied. NULL when the spec cannot be read. */
static char *assignment(const struct scenario *sc, const struct find_spec *fs, double v)
{
    char num[64];
    find_value_text(fs, v, num, sizeof num);
    char *out;
    if (!fs->param[0]) {
        size_t n = strlen(fs->section) + strlen(fs->key) + strlen(num) + 3;
        out = xmalloc(n);
        snprintf(out, n, "%s.%s=%s", fs->section, fs->key, num);
        return out;
    }
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, fs->section);
    const struct sc_entry *e = s ? sc_find_entry(s, fs->key) : NULL;
    if (!e)
        return NULL;
    struct spec sp;
    if (spec_parse(&sp, e->value, e->val_loc, NULL) < 0)
        return NULL;
    const struct kind *kd = kind_find(s->kind);
    const struct param_spec *ps = kd ? param_named(kd->params, fs->key) : NULL;
    const struct param_spec *pp = ps ? spec_params(ps->type, sp.name) : NULL;
    struct loc vl;
    const char *a = pp ? spec_value(&sp, pp, fs->param, &vl) : NULL;
    if (!a || a < sp.buf || a >= sp.buf + sizeof sp.buf)
        return NULL;
    size_t off = (size_t)(a - sp.buf), len = strlen(a);
    if (off + len > strlen(e->value) || strncmp(e->value + off, a, len) != 0)
        return NULL;
    size_t n = strlen(fs->section) + strlen(fs->key) + strlen(e->value) + strlen(num) + 3;
    out = xmalloc(n);
    snprintf(out, n, "%s.%s=%.*s%s%s", fs->section, fs->key, (int)off, e->value, num,
             e->value + off + len);
    return out;
}

void find_value_text(const struct find_spec *fs, double v, char *buf, size_t size)
{
    snprintf(buf, size, "%.10g%s", v == 0 ? 0.0 : v, fs->suffix);
}

/* The value of a `find_*` key of [sim], or NULL. */
static const struct sc_entry *sim_entry(const struct scenario *sc, const char *key)
{
    const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, "sim");
    return s && !strcmp(s->kind, "sim") ? sc_find_entry(s, key) : NULL;
}

/* find_range = LO..HI (both in one unit, or plain numbers). */
static int read_range(const struct sc_entry *e, struct find_spec *fs, struct diag *d)
{
    const char *dots = strstr(e->value, "..");
    if (!dots)
        return diag_error(d, e->val_loc, "find_range: expected LO..HI, e.g. 100/s..400/s or 1..16");
    char left[64], ul[16], ur[16];
    snprintf(left, sizeof left, "%.*s", (int)(dots - e->value < 63 ? dots - e->value : 63),
             e->value);
    if (split_number(left, &fs->lo, ul, sizeof ul) < 0)
        return diag_error(d, e->val_loc, "find_range: '%s' is not a number", left);
    if (split_number(dots + 2, &fs->hi, ur, sizeof ur) < 0)
        return diag_error(d, at(e->val_loc, e->value, dots + 2), "find_range: '%s' is not a number",
                          skip_blanks(dots + 2));
    if (strcmp(ul, ur) != 0 && ul[0] && ur[0])
        return diag_error(d, e->val_loc, "find_range: write both ends in one unit ('%s' and '%s')",
                          ul, ur);
    snprintf(fs->suffix, sizeof fs->suffix, "%s", ul[0] ? ul : ur);
    if (!(fs->lo < fs->hi))
        return diag_error(d, e->val_loc, "find_range: LO must be below HI (%s)", e->value);
    if (fs->integer && (fs->lo != floor(fs->lo) || fs->hi != floor(fs->hi)))
        return diag_error(d, e->val_loc,
                          "find_range: %s takes whole numbers, so the range must be too (%s)",
                          fs->target, e->value);
    return 0;
}

static int read_tolerance(const struct scenario *sc, struct find_spec *fs, struct diag *d)
{
    const struct sc_entry *e = sim_entry(sc, "find_tolerance");
    fs->tol_rel = !fs->integer;
    fs->tol = fs->integer ? 1 : 0.01;
    if (!e)
        return 0;
    double v;
    char unit[16];
    const char *why;
    size_t n = strlen(e->value);
    if (n > 0 && e->value[n - 1] == '%') {
        if (units_parse_fraction(e->value, &v, &why) < 0 || !(v > 0) || v >= 1)
            return diag_error(d, e->val_loc,
                              "find_tolerance: a share of the answer above 0%% and below 100%%, "
                              "e.g. 2%%, got '%s'",
                              e->value);
        fs->tol = v;
        fs->tol_rel = true;
        return 0;
    }
    if (split_number(e->value, &v, unit, sizeof unit) < 0 || !(v > 0) ||
        (unit[0] && strcmp(unit, fs->suffix) != 0))
        return diag_error(d, e->val_loc,
                          "find_tolerance: a positive number in find_range's unit (%s), or a "
                          "percentage (2%%), got '%s'",
                          fs->suffix[0] ? fs->suffix : "none", e->value);
    fs->tol = fs->integer && v < 1 ? 1 : v;
    fs->tol_rel = false;
    return 0;
}

/* A probe's scenario: the file, the --set options, no find, the key at v
 * and repeat replications. NULL (diagnostics in d) when it does not
 * validate. */
static struct scenario *probe_scenario(const struct scenario *base, const char *const *sets,
                                       size_t nsets, const struct find_spec *fs, double v,
                                       long long repeat, char **extra, size_t *nextra,
                                       struct diag *d)
{
    struct scenario *sc = scenario_parse(base->file, base->text, d);
    int rc = sc ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < nsets; i++)
        rc = scenario_set(sc, sets[i], d);
    char *mine[3] = {NULL, NULL, NULL};
    size_t n = 0;
    if (rc == 0) {
        mine[n++] = xstrdup("sim.find=none");
        mine[n] = assignment(sc, fs, v);
        if (!mine[n])
            rc = diag_error(d, (struct loc){base->file, 0, 0},
                            "internal error: find cannot rewrite %s", fs->target);
        else
            n++;
    }
    if (rc == 0 && repeat != fs->repeat) {
        mine[n] = xmalloc(48);
        snprintf(mine[n++], 48, "sim.repeat=%lld", repeat);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = scenario_set(sc, mine[i], d);
    if (rc == 0)
        rc = scenario_find_sweeps(sc, d);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && extra)
            extra[i] = mine[i];
        else
            free(mine[i]);
    }
    if (nextra)
        *nextra = rc == 0 ? n : 0;
    if (rc < 0) {
        scenario_free(sc);
        return NULL;
    }
    return sc;
}

int find_read(const struct scenario *sc, const char *const *sets, size_t nsets,
              struct find_spec **out, struct diag *d)
{
    *out = NULL;
    const struct sc_entry *e = sim_entry(sc, "find");
    const char *companions[] = {"find_range", "find_tolerance", "find_max_repeat", "find_method"};
    if (!e || !strcmp(e->value, "none")) {
        for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
            const struct sc_entry *c = sim_entry(sc, companions[i]);
            if (c && (!e || strcmp(e->value, "none") != 0))
                return diag_error(d, c->key_loc, "%s without find: it bounds a search, `find = "
                                                 "max SECTION.KEY where METRIC < VALUE`",
                                  companions[i]);
        }
        return 0;
    }
    struct find_spec *fs = xcalloc(1, sizeof *fs);
    const char *v = e->value, *p = skip_blanks(v);
    struct loc loc = e->val_loc;
    int rc = 0;
    if (!strncmp(p, "max", 3) && (p[3] == ' ' || p[3] == '\t'))
        fs->max = true;
    else if (!(!strncmp(p, "min", 3) && (p[3] == ' ' || p[3] == '\t'))) {
        rc = diag_error(d, at(loc, v, p), "find: expected 'max' or 'min' first, as in `find = "
                                          "max app.workers where latency_p99_ms < 100ms`");
        goto done;
    }
    p = skip_blanks(p + 3);
    const char *tb = p;
    while (is_name_char((unsigned char)*p))
        p++;
    if (p == tb || (size_t)(p - tb) >= sizeof fs->target) {
        rc = diag_error(d, at(loc, v, tb), "find: expected SECTION.KEY after '%s'",
                        fs->max ? "max" : "min");
        goto done;
    }
    snprintf(fs->target, sizeof fs->target, "%.*s", (int)(p - tb), tb);
    struct loc tloc = at(loc, v, tb);
    p = skip_blanks(p);
    if (strncmp(p, "where", 5) != 0 || (p[5] != ' ' && p[5] != '\t')) {
        rc = diag_error(d, at(loc, v, p), "find: expected 'where METRIC OP VALUE' after '%s'",
                        fs->target);
        goto done;
    }
    p = skip_blanks(p + 5);
    if ((rc = read_target(sc, fs, tloc, d)) < 0)
        goto done;
    /* the objective: an [expect] line, read by output/expect.c */
    fs->line.text = xstrdup(p);
    fs->line.loc = at(loc, v, p);
    fs->line.predict = false;
    if ((rc = expect_read_line(sc, &fs->line, &fs->obj, d)) < 0) {
        memset(&fs->obj, 0, sizeof fs->obj);
        goto done;
    }
    if (fs->obj.op == EXPECT_EQ || fs->obj.op == EXPECT_NE || fs->obj.nwhen > 0 ||
        fs->obj.replaced[0]) {
        rc = diag_error(d, fs->line.loc,
                        "find: the objective is METRIC OP VALUE with OP one of < <= > >=");
        goto done;
    }
    snprintf(fs->objective, sizeof fs->objective, "%s", fs->obj.text);
    /* no sweeps beside a search */
    for (size_t i = 0; i < sc->nsweeps; i++) {
        const struct sc_sweep *w = &sc->sweeps[i];
        const struct sc_section *s = sc_find_section(sc->sections, sc->nsections, fs->section);
        const struct sc_entry *ke = s ? sc_find_entry(s, fs->key) : NULL;
        if (ke && strstr(ke->value, "${"))
            rc = diag_error(d, ke->val_loc,
                            "find searches %s itself: drop this sweep and give the range as "
                            "[sim] find_range = LO..HI",
                            fs->target);
        else
            rc = diag_error(d, w->loc,
                            "sweep '%s' beside find: a search runs one scenario; search once per "
                            "value (sdsim run FILE --set ...)",
                            w->name);
        goto done;
    }
    const struct sc_entry *re = sim_entry(sc, "find_range");
    if (!re) {
        rc = diag_error(d, loc, "find needs [sim] find_range = LO..HI, the values of %s to search "
                                "between",
                        fs->target);
        goto done;
    }
    if ((rc = read_range(re, fs, d)) < 0 || (rc = read_tolerance(sc, fs, d)) < 0)
        goto done;
    struct sim_config cfg;
    runner_first_config(sc, &cfg);
    fs->repeat = cfg.repeat;
    fs->max_repeat = 4 * cfg.repeat;
    const struct sc_entry *fm = sim_entry(sc, "find_method");
    if (fm && strcmp(fm->value, "secant") != 0 && strcmp(fm->value, "bisect") != 0) {
        rc = diag_error(d, fm->val_loc, "find_method: bisect or secant, got '%s'", fm->value);
        goto done;
    }
    fs->secant = fm && strcmp(fm->value, "secant") == 0;
    const struct sc_entry *me = sim_entry(sc, "find_max_repeat");
    if (me) {
        const char *why;
        if (units_parse_int(me->value, &fs->max_repeat, &why) < 0 || fs->max_repeat < fs->repeat ||
            fs->max_repeat > 1000000) {
            rc = diag_error(d, me->val_loc,
                            "find_max_repeat: a whole number from [sim] repeat (%lld) to 1000000, "
                            "got '%s'",
                            fs->repeat, me->value);
            goto done;
        }
    }
    /* both ends of the range must make a valid scenario */
    for (int end = 0; end < 2 && rc == 0; end++) {
        struct diag *pd = diag_new();
        struct scenario *ps = probe_scenario(sc, sets, nsets, fs, end ? fs->hi : fs->lo,
                                             fs->repeat, NULL, NULL, pd);
        if (!ps || runner_validate(ps, pd) < 0 || diag_count(pd) > 0) {
            char num[64];
            find_value_text(fs, end ? fs->hi : fs->lo, num, sizeof num);
            /* the first reason, without its place (the probe's key is set
             * from the command line) */
            const char *why = diag_count(pd) ? diag_message(pd, 0) : "";
            const char *ep = strstr(why, "error: ");
            rc = diag_error(d, re->val_loc, "find_range: the scenario is not valid with %s = %s%s%s",
                            fs->target, num, ep ? ": " : "", ep ? ep + 7 : "");
        }
        scenario_free(ps);
        diag_free(pd);
    }
done:
    if (rc < 0) {
        find_spec_free(fs);
        return -1;
    }
    *out = fs;
    return 0;
}

void find_spec_free(struct find_spec *fs)
{
    if (!fs)
        return;
    expect_item_clear(&fs->obj);
    free(fs->line.text);
    free(fs);
}

/* ---- searching ----------------------------------------------------------- */

struct probe_runs {
    struct scenario *sc;
    struct run_result *runs;
    size_t n;
    char *extra[3];
    size_t nextra;
};

static void probe_runs_free(struct probe_runs *pr)
{
    for (size_t i = 0; i < pr->n; i++)
        run_result_free(&pr->runs[i]);
    free(pr->runs);
    scenario_free(pr->sc);
    for (size_t i = 0; i < pr->nextra; i++)
        free(pr->extra[i]);
    memset(pr, 0, sizeof *pr);
}

/* The metric of the objective over runs[0..n): its mean, interval and verdict. */
static void judge(const struct find_spec *fs, const struct scenario *sc, const struct run_result *runs,
                  size_t n, uint64_t base_seed, struct find_probe *p)
{
    struct report rp = {.sc = sc, .runs = runs, .nruns = n, .repeat = (long long)n,
                        .base_seed = base_seed};
    struct expect_set es = {.items = (struct expect_item *)&fs->obj, .n = 1, .nexpect = 1};
    struct expect_outcome *eo = expect_evaluate(&es, &rp);
    const struct expect_row *row = eo->nrows ? &eo->rows[0] : NULL;
    p->mean = row ? row->value : ((double)NAN);
    p->lo = row && !row->no_interval ? row->lo : ((double)NAN);
    p->hi = row && !row->no_interval ? row->hi : ((double)NAN);
    p->verdict = row ? row->verdict : EXPECT_INCONCLUSIVE;
    expect_outcome_free(eo);
}

/* One probe at v: fs->repeat replications, doubled while unsure up to
 * fs->max_repeat. */
static int probe(const struct scenario *base, const char *const *sets, size_t nsets,
                 const struct find_spec *fs, const struct find_hooks *h, double v,
                 struct find_probe *p, struct probe_runs *pr, struct diag *d)
{
    memset(pr, 0, sizeof *pr);
    long long have = 0, want = fs->repeat;
    uint64_t base_seed = 0;
    for (;;) {
        struct scenario *sc = probe_scenario(base, sets, nsets, fs, v, want, NULL, NULL, d);
        if (!sc)
            return -1;
        size_t k = (size_t)(want - have);
        size_t *only = xcalloc(k + 1, sizeof *only);
        for (size_t i = 0; i < k; i++)
            only[i] = (size_t)have + i; /* one point: run r is replication r */
        pr->runs = xrealloc(pr->runs, ((size_t)want + 1) * sizeof *pr->runs);
        memset(pr->runs + have, 0, (k + 1) * sizeof *pr->runs);
        int rc = h->run(h->ctx, sc, only, k, pr->runs + have, d);
        free(only);
        if (rc < 0) {
            for (long long i = 0; i < want; i++)
                run_result_free(&pr->runs[i]);
            pr->n = 0;
            scenario_free(sc);
            return -1;
        }
        have = want;
        pr->n = (size_t)have;
        runner_nruns(sc, NULL, &base_seed, NULL);
        judge(fs, sc, pr->runs, pr->n, base_seed, p);
        p->reps = pr->n;
        p->value = v;
        find_value_text(fs, v, p->text, sizeof p->text);
        scenario_free(pr->sc);
        pr->sc = sc;
        if (p->verdict != EXPECT_INCONCLUSIVE || have >= fs->max_repeat)
            break;
        want = 2 * have < fs->max_repeat ? 2 * have : fs->max_repeat;
    }
    /* the --set options that make this probe's scenario from the file */
    struct scenario *again =
        probe_scenario(base, sets, nsets, fs, v, have, pr->extra, &pr->nextra, d);
    scenario_free(again);
    if (h->probe)
        h->probe(h->ctx, fs, p);
    return 0;
}

/* A value strictly between a and b near their middle, rounded to a round
 * number when one is there (250 rather than 251.37), whole for int keys;
 * ((double)NAN) when there is none. */
static double midpoint(const struct find_spec *fs, double a, double b)
{
    double lo = a < b ? a : b, hi = a < b ? b : a, w = hi - lo;
    double mid = lo + w / 2;
    if (fs->integer) {
        if (w < 2)
            return ((double)NAN);
        mid = floor(mid);
    }
    double step = pow(10, floor(log10(w / 8)));
    if (fs->integer && step < 1)
        step = 1;
    double m = round(mid / step) * step;
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", m); /* the value as written is the value probed */
    m = strtod(buf, NULL);
    if (!(m > lo && m < hi)) {
        snprintf(buf, sizeof buf, "%.10g", mid);
        m = strtod(buf, NULL);
    }
    return m > lo && m < hi ? m : ((double)NAN);
}

static bool close_enough(const struct find_spec *fs, double good, double bad)
{
    double w = fabs(bad - good);
    double tol = fs->tol_rel ? fs->tol * (good != 0 ? fabs(good) : fabs(bad)) : fs->tol;
    if (fs->integer && tol < 1)
        tol = 1;
    return w <= tol;
}

/* The tolerance at the bracket [good, bad], absolute. */
static double tol_at(const struct find_spec *fs, double good, double bad)
{
    double tol = fs->tol_rel ? fs->tol * (good != 0 ? fabs(good) : fabs(bad)) : fs->tol;
    return fs->integer && tol < 1 ? 1 : tol;
}

/* The objective's distance from its threshold at a probe's judged value m,
 * negative on the passing side. When the bound and both ends' means are
 * positive (recip), in reciprocals, 1/bound - 1/m: a latency near
 * saturation grows like 1/(capacity - load), so its reciprocal is nearly
 * straight in the load (or in workers) where a latency's own line is not;
 * else m - bound. Flipped for > and >=. */
static double excess(const struct find_spec *fs, double m, bool recip)
{
    double d = recip ? 1 / fs->obj.bound - 1 / m : m - fs->obj.bound;
    return fs->obj.op == EXPECT_GT || fs->obj.op == EXPECT_GE ? -d : d;
}

/* find_method = secant: where the line through (good, eg) and (bad, eb)
 * crosses 0 (regula falsi on excess(); eg and eb come scaled by the
 * Illinois rule, halved for an end kept twice in a row, so that end moves
 * too), at least a tolerance from either end so that every probe shrinks
 * the bracket by one, rounded to the tolerance's decade (whole for int
 * keys). NAN when the excesses do not straddle 0 (an unsure probe counted
 * as failing, a metric without a value) or the bracket is too narrow: then
 * the caller bisects. Pure, so the search stays deterministic. */
static double secant_point(const struct find_spec *fs, double gv, double eg, double bv, double eb)
{
    if (!(eg < 0 && eb > 0) || !isfinite(eg) || !isfinite(eb))
        return (double)NAN;
    double tol = tol_at(fs, gv, bv), lo = gv < bv ? gv : bv, hi = gv < bv ? bv : gv;
    if (hi - lo < 3 * tol)
        return (double)NAN;
    double x = gv + (bv - gv) * (-eg) / (eb - eg);
    x = fmax(lo + tol, fmin(hi - tol, x));
    double step = fs->integer ? 1 : pow(10, floor(log10(tol)));
    double r = round(x / step) * step;
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", r); /* the value as written is the value probed */
    r = strtod(buf, NULL);
    return r > lo && r < hi ? r : (double)NAN;
}

int find_search(const struct scenario *base, const char *const *sets, size_t nsets,
                const struct find_spec *fs, const struct find_hooks *h,
                struct find_outcome *out, struct diag *d)
{
    memset(out, 0, sizeof *out);
    struct find_result *fr = &out->fr;
    fr->spec = fs;
    fr->pass = fr->fail = fr->shown = -1;
    fr->probes = xcalloc(FIND_MAX_PROBES + 1, sizeof *fr->probes);
    struct probe_runs *pr = xcalloc(FIND_MAX_PROBES + 1, sizeof *pr);
    double good_v = fs->max ? fs->lo : fs->hi, bad_v = fs->max ? fs->hi : fs->lo;
    long good = -1, bad = -1;
    /* secant: the end the last probe moved (+1 good, -1 bad), whether it
     * moved the same end as the probe before, the Illinois scales */
    int rc = 0, moved = 0;
    bool same = false;
    double next = good_v, sg = 1, sb = 1;
    for (int stage = 0; fr->nprobes < FIND_MAX_PROBES; stage++) {
        size_t i = fr->nprobes;
        struct find_probe *p = &fr->probes[i];
        p->order = i + 1;
        if (probe(base, sets, nsets, fs, h, next, p, &pr[i], d) < 0) {
            probe_runs_free(&pr[i]);
            rc = -1;
            break;
        }
        fr->nprobes++;
        bool passes = p->verdict == EXPECT_PASS;
        if (stage == 0 && !passes) { /* the end that should pass does not */
            bad = (long)i;
            break;
        }
        if (stage == 1 && passes) { /* the whole range passes */
            good = (long)i;
            break;
        }
        int end = passes ? 1 : -1;
        same = stage > 1 && end == moved;
        if (passes) {
            good = (long)i;
            sg = 1;
            sb = same ? sb / 2 : sb; /* the failing end stayed twice: Illinois */
        } else {
            bad = (long)i;
            sb = 1;
            sg = same ? sg / 2 : sg;
        }
        moved = end;
        if (stage == 0) {
            next = bad_v;
            continue;
        }
        double gv = fr->probes[good].value, bv = fr->probes[bad].value;
        if (close_enough(fs, gv, bv))
            break;
        next = (double)NAN;
        if (fs->secant && !same) { /* twice on one side: bisect once, then interpolate again */
            double mg = fr->probes[good].mean, mb = fr->probes[bad].mean;
            bool recip = fs->obj.bound > 0 && mg > 0 && mb > 0;
            next = secant_point(fs, gv, sg * excess(fs, mg, recip), bv, sb * excess(fs, mb, recip));
        }
        if (isnan(next))
            next = midpoint(fs, gv, bv);
        if (isnan(next))
            break;
    }
    fr->pass = good;
    fr->fail = bad;
    fr->shown = good >= 0 ? good : bad;
    for (size_t i = 0; i < fr->nprobes; i++) {
        if (rc == 0 && (long)i == fr->shown) {
            out->sc = pr[i].sc;
            out->runs = pr[i].runs;
            out->nruns = pr[i].n;
            memcpy(out->extra_sets, pr[i].extra, sizeof out->extra_sets);
            out->nextra = pr[i].nextra;
            continue;
        }
        probe_runs_free(&pr[i]);
    }
    free(pr);
    return rc;
}

void find_outcome_free(struct find_outcome *out)
{
    for (size_t i = 0; i < out->nruns; i++)
        run_result_free(&out->runs[i]);
    free(out->runs);
    scenario_free(out->sc);
    for (size_t i = 0; i < out->nextra; i++)
        free(out->extra_sets[i]);
    free(out->fr.probes);
    memset(out, 0, sizeof *out);
}
