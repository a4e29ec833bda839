/* expect: reading, judging and writing the [expect] and [predict] lines.
 *
 * A line is `METRIC OP VALUE [when VAR = VAL [and VAR = VAL]...]`; OP is
 * one of < <= > >= == != in [expect], = in [predict]. VALUE is a number in
 * the metric's unit, or a quantity with a unit the metric's unit converts
 * from (a duration for ms and s, a rate for 1/s, a percentage for ratios,
 * a size for bytes). */
#include "output/expect.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/report.h"
#include "output/writers.h"
#include "sim/units.h"
#include "sim/xalloc.h"

#define NA ((double)NAN)

static const char *const op_text[] = {"<", "<=", ">", ">=", "==", "!="};

const char *expect_verdict_name(enum expect_verdict v)
{
    return v == EXPECT_PASS ? "pass" : v == EXPECT_FAIL ? "fail" : "inconclusive";
}

/* ---- the metric ------------------------------------------------------------ */

/* name is pattern, where "<i>" stands for one or more digits. */
static bool name_matches(const char *pattern, const char *name)
{
    while (*pattern) {
        if (strncmp(pattern, "<i>", 3) == 0) {
            if (!isdigit((unsigned char)*name))
                return false;
            while (isdigit((unsigned char)*name))
                name++;
            pattern += 3;
        } else if (*pattern++ != *name++) {
            return false;
        }
    }
    return *name == '\0';
}

/* A kind metric called name (per component or summed), reported by a kind
 * of some section of sc (kind: that section's kind only), or NULL. */
static const struct kind_metric *kind_metric(const struct scenario *sc, const char *name,
                                             bool per_component, const char *kind)
{
    for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++) {
        if (k->timeseries || k->per_component != per_component || !name_matches(k->doc.name, name))
            continue;
        if (kind && columns_kind_listed(k->kinds, kind))
            return k;
        for (size_t i = 0; !kind && i < sc->nsections; i++)
            if (columns_kind_listed(k->kinds, sc->sections[i].kind))
                return k;
    }
    return NULL;
}

/* The numeric components.csv column called name, or NULL. */
static const struct comp_column *comp_column(const char *name)
{
    for (const struct comp_column *c = columns_components; c->doc.name; c++)
        if ((c->type == COL_NUM || c->type == COL_COUNT) && strcmp(c->doc.name, name) == 0)
            return c;
    return NULL;
}

/* Kinds without a components.csv row. */
static bool has_component_row(const char *kind)
{
    return strcmp(kind, "sim") != 0 && strcmp(kind, "client") != 0 && strcmp(kind, "fault") != 0;
}

/* Finds metric it->metric; 0, or -1 when the scenario has no such metric. */
static int find_metric(const struct scenario *sc, struct expect_item *it)
{
    const struct summary_metric *m = columns_summary_metric(it->metric);
    if (m) {
        it->unit = m->doc.unit;
        return 0;
    }
    const struct kind_metric *k = kind_metric(sc, it->metric, false, NULL);
    if (k) {
        it->unit = k->doc.unit;
        return 0;
    }
    /* COMPONENT.NAME: a component's name may hold dots, so each split. */
    for (const char *dot = strchr(it->metric, '.'); dot; dot = strchr(dot + 1, '.')) {
        size_t n = (size_t)(dot - it->metric);
        for (size_t i = 0; i < sc->nsections; i++) {
            const struct sc_section *s = &sc->sections[i];
            if (strlen(s->name) != n || strncmp(s->name, it->metric, n) != 0 ||
                !strcmp(s->kind, "sim"))
                continue;
            k = kind_metric(sc, dot + 1, true, s->kind);
            if (k) {
                it->unit = k->doc.unit;
                return 0;
            }
            const struct comp_column *c = comp_column(dot + 1);
            if (c && has_component_row(s->kind)) {
                it->unit = c->doc.unit;
                it->col = c;
                snprintf(it->comp, sizeof it->comp, "%s", s->name);
                return 0;
            }
        }
    }
    return -1;
}

/* Every metric name this scenario has (for a suggestion); caller frees each
 * and the array. */
static size_t metric_names(const struct scenario *sc, char ***out)
{
    size_t n = 0, cap = 0;
    char **v = NULL;
    char buf[2 * EXPECT_NAME_MAX];
#define ADD(s)                                                                                     \
    do {                                                                                           \
        xgrow(&v, &cap, n + 1, sizeof *v);                                                         \
        v[n++] = xstrdup(s);                                                                       \
    } while (0)
    for (const struct summary_metric *m = columns_summary_metrics; m->doc.name; m++)
        ADD(m->doc.name);
    for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++) {
        if (k->timeseries || strstr(k->doc.name, "<i>"))
            continue;
        for (size_t i = 0; i < sc->nsections; i++) {
            const struct sc_section *s = &sc->sections[i];
            if (!columns_kind_listed(k->kinds, s->kind))
                continue;
            if (!k->per_component) {
                ADD(k->doc.name);
                break;
            }
            snprintf(buf, sizeof buf, "%s.%s", s->name, k->doc.name);
            ADD(buf);
        }
    }
    for (size_t i = 0; i < sc->nsections; i++)
        for (const struct comp_column *c = columns_components; c->doc.name; c++)
            if ((c->type == COL_NUM || c->type == COL_COUNT) &&
                has_component_row(sc->sections[i].kind)) {
                snprintf(buf, sizeof buf, "%s.%s", sc->sections[i].name, c->doc.name);
                ADD(buf);
            }
#undef ADD
    *out = v;
    return n;
}

/* The kinds that report name (a summed figure, or per component after the
 * first dot), whatever the scenario holds, or NULL. */
static const char *reported_by(const char *name)
{
    const char *dot = strchr(name, '.');
    for (const struct kind_metric *k = columns_kind_metrics; k->doc.name; k++)
        if (!k->timeseries && name_matches(k->doc.name, k->per_component && dot ? dot + 1 : name) &&
            k->per_component == (dot != NULL))
            return k->kinds;
    return NULL;
}

static int unknown_metric(const struct scenario *sc, struct loc loc, const char *name,
                          struct diag *d)
{
    const char *kinds = reported_by(name);
    if (kinds && !strchr(name, '.'))
        return diag_error(d, loc, "'%s' is reported by a %s, and this scenario has none", name,
                          kinds);
    if (kinds)
        return diag_error(d, loc,
                          "'%s': a %s reports '%s', and '%.*s' is not one (or is not a "
                          "component of this scenario)",
                          name, kinds, strchr(name, '.') + 1, (int)(strchr(name, '.') - name),
                          name);
    char **names;
    size_t n = metric_names(sc, &names);
    const char *near = diag_closest(name, (const char *const *)names, n);
    int rc;
    if (near)
        rc = diag_error(d, loc, "unknown metric '%s' (did you mean '%s'?)", name, near);
    else
        rc = diag_error(d, loc,
                        "unknown metric '%s' (a summary.csv metric, or COMPONENT.NAME for a "
                        "component's figure; see `sdsim list metrics`)",
                        name);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* ---- the value ------------------------------------------------------------- */

/* s in the metric's unit. */
static int parse_bound(const char *s, const char *unit, double *out, const char **why)
{
    size_t len = strlen(s);
    bool letters = len > 0 && isalpha((unsigned char)s[len - 1]);
    if (!strcmp(unit, "ms") || !strcmp(unit, "s")) {
        if (!letters)
            return units_parse_double(s, out, why);
        int64_t ns;
        if (units_parse_duration(s, &ns, why) < 0)
            return -1;
        *out = !strcmp(unit, "ms") ? units_ns_to_ms(ns) : units_ns_to_s(ns);
        return 0;
    }
    if (!strcmp(unit, "1/s") && strchr(s, '/'))
        return units_parse_rate(s, out, why);
    if (!strcmp(unit, "ratio") && len > 0 && s[len - 1] == '%')
        return units_parse_fraction(s, out, why);
    if (!strcmp(unit, "bytes") && units_has_byte_unit(s)) {
        uint64_t b;
        if (units_parse_bytes(s, &b, why) < 0)
            return -1;
        *out = (double)b;
        return 0;
    }
    if (units_parse_double(s, out, why) < 0) {
        if (letters || strchr(s, '%') || strchr(s, '/'))
            *why = "this metric takes a plain number";
        return -1;
    }
    return 0;
}

/* A value typed in the metric's unit or with a unit it converts from (for
 * `run --quiz`: the same rules as an [expect] line's value). */
int expect_parse_value(const char *s, const char *unit, double *out, const char **why)
{
    return parse_bound(s, unit, out, why);
}

/* ---- a line ---------------------------------------------------------------- */

static struct loc at(const struct sc_check *l, const char *p)
{
    return (struct loc){l->loc.file, l->loc.line, l->loc.col + (int)(p - l->text)};
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool is_metric_char(int c)
{
    return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* The word at p is w (followed by a blank or the end). */
static bool word_is(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncmp(p, w, n) == 0 && (p[n] == '\0' || p[n] == ' ' || p[n] == '\t');
}

/* The end of a sweep value at p: a blank or a ',' outside parentheses,
 * or the end. */
static const char *value_end(const char *p)
{
    int depth = 0;
    const char *e = p;
    for (; *e; e++) {
        if (*e == '(')
            depth++;
        else if (*e == ')' && depth > 0)
            depth--;
        else if (depth == 0 && (*e == ',' || *e == ' ' || *e == '\t'))
            break;
    }
    return e;
}

/* The index of value v among the sweep's values (also numerically: "3.0"
 * is "3"), or SIZE_MAX. */
static size_t sweep_value(const struct sc_sweep *sw, const char *v)
{
    for (size_t i = 0; i < sw->nvalues; i++)
        if (strcmp(sw->values[i], v) == 0)
            return i;
    const char *why;
    double x, y;
    if (units_parse_double(v, &x, &why) < 0)
        return SIZE_MAX;
    for (size_t i = 0; i < sw->nvalues; i++)
        if (units_parse_double(sw->values[i], &y, &why) == 0 && x == y)
            return i;
    return SIZE_MAX;
}

/* "a, b, c" (the first few) into buf. */
static void list_values(char *buf, size_t size, char *const *v, size_t n, const char *more)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        if (i == 6) {
            snprintf(buf + len, size - len, ", ...%s", more);
            return;
        }
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", v[i]);
    }
}

static int read_when(const struct scenario *sc, const struct sc_check *l, const char *p,
                     struct expect_item *it, struct diag *d)
{
    for (;;) {
        p = skip_blanks(p);
        const char *nb = p;
        while (is_metric_char((unsigned char)*p))
            p++;
        if (p == nb)
            return diag_error(d, at(l, nb), "expected a sweep variable after 'when'");
        char name[EXPECT_NAME_MAX];
        snprintf(name, sizeof name, "%.*s", (int)(p - nb), nb);
        size_t s = 0;
        while (s < sc->nsweeps && strcmp(sc->sweeps[s].name, name) != 0)
            s++;
        bool replaced = scenario_sweep_replaced(sc, name);
        if (replaced && !it->replaced[0])
            snprintf(it->replaced, sizeof it->replaced, "%s", name);
        if (s == sc->nsweeps && !replaced) {
            if (sc->nsweeps == 0)
                return diag_error(d, at(l, nb),
                                  "'when %s': the scenario has no sweeps (a `when` picks sweep "
                                  "points, as in `when policy = random`)",
                                  name);
            char **names = xcalloc(sc->nsweeps, sizeof *names);
            for (size_t i = 0; i < sc->nsweeps; i++)
                names[i] = sc->sweeps[i].name;
            char known[256];
            list_values(known, sizeof known, names, sc->nsweeps, "");
            free(names);
            return diag_error(d, at(l, nb), "no sweep variable '%s' (the sweeps: %s)", name,
                              known);
        }
        for (size_t k = 0; k < it->nwhen && !replaced; k++)
            if (it->when_sweep[k] == s)
                return diag_error(d, at(l, nb), "'%s' is named twice in 'when'", name);
        if (it->nwhen == EXPECT_MAX_WHEN)
            return diag_error(d, at(l, nb), "at most %d conditions in 'when'", EXPECT_MAX_WHEN);
        p = skip_blanks(p);
        if (*p != '=' || p[1] == '=')
            return diag_error(d, at(l, p), "expected '=' after '%s' (when %s = VALUE)", name,
                              name);
        p = skip_blanks(p + 1);
        const char *ve = value_end(p);
        if (ve == p)
            return diag_error(d, at(l, p), "missing value of '%s' after '='", name);
        const char *vb = p;
        p = skip_blanks(ve);
        if (replaced)
            goto next;
        char *v = xstrndup(vb, (size_t)(ve - vb));
        size_t vi = sweep_value(&sc->sweeps[s], v);
        if (vi == SIZE_MAX) {
            char known[256];
            list_values(known, sizeof known, sc->sweeps[s].values, sc->sweeps[s].nvalues,
                        "");
            diag_error(d, at(l, vb), "'%s' is not a value of sweep '%s' (its values: %s)", v,
                       name, known);
            free(v);
            return -1;
        }
        free(v);
        it->when_sweep[it->nwhen] = s;
        it->when_value[it->nwhen++] = vi;
    next:
        if (*p == '\0')
            return 0;
        if (*p == ',')
            p++;
        else if (word_is(p, "and"))
            p += 3;
        else
            return diag_error(d, at(l, p), "expected 'and' or the end of the line");
    }
}

/* it->text: the line with each run of blanks as one ("a   <  b" as "a < b"). */
static void set_text(struct expect_item *it, const struct sc_check *l)
{
    char *t = it->text = xstrdup(l->text);
    for (const char *q = l->text; *q; q++)
        if (!((*q == ' ' || *q == '\t') && (q[1] == ' ' || q[1] == '\t')))
            *t++ = *q == '\t' ? ' ' : *q;
    *t = '\0';
}

/* The end of a line from p: nothing, or `when ...`; then the line's text. */
static int read_tail(const struct scenario *sc, const struct sc_check *l, const char *p,
                     struct expect_item *it, struct diag *d)
{
    if (*p && !word_is(p, "when"))
        return diag_error(d, at(l, p), "unexpected '%s' (only 'when VAR = VALUE' may follow)",
                          p);
    if (*p && read_when(sc, l, p + 4, it, d) < 0)
        return -1;
    set_text(it, l);
    return 0;
}

/* `bottleneck = NAME [when ...]` in [predict], p after "bottleneck": NAME
 * must be a component of the scenario (one with a components.csv row). */
static int read_bottleneck(const struct scenario *sc, const struct sc_check *l, const char *p,
                           struct expect_item *it, struct diag *d)
{
    it->bottleneck = true;
    it->unit = "ratio"; /* the value compared: a utilisation */
    it->op = EXPECT_EQ;
    it->bound = NA;
    p = skip_blanks(p);
    if (*p != '=' || (p[1] == '=' && p[2] == '='))
        return diag_error(d, at(l, p),
                          "expected '=' and a component after 'bottleneck' (bottleneck = NAME)");
    p = skip_blanks(p + (p[1] == '=' ? 2 : 1));
    const char *nb = p;
    while (is_metric_char((unsigned char)*p))
        p++;
    if (p == nb)
        return diag_error(d, at(l, nb), "missing component after 'bottleneck ='");
    if ((size_t)(p - nb) >= sizeof it->comp)
        return diag_error(d, at(l, nb), "component name too long");
    snprintf(it->comp, sizeof it->comp, "%.*s", (int)(p - nb), nb);
    const char **names = xcalloc(sc->nsections + 1, sizeof *names);
    size_t n = 0;
    const struct sc_section *found = NULL;
    for (size_t i = 0; i < sc->nsections; i++) {
        const struct sc_section *s = &sc->sections[i];
        if (!has_component_row(s->kind))
            continue;
        names[n++] = s->name;
        if (strcmp(s->name, it->comp) == 0)
            found = s;
    }
    if (!found) {
        char known[256] = "";
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < sizeof known; i++)
            k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", names[i]);
        const struct sc_section *other = NULL;
        for (size_t i = 0; i < sc->nsections; i++)
            if (strcmp(sc->sections[i].name, it->comp) == 0)
                other = &sc->sections[i];
        const char *near = diag_closest(it->comp, names, n);
        if (other)
            diag_error(d, at(l, nb), "bottleneck: '%s' is a %s, not a component that serves "
                                     "requests (this scenario's: %s)",
                       it->comp, other->kind, n ? known : "none");
        else if (near)
            diag_error(d, at(l, nb),
                       "bottleneck: no component '%s' in this scenario (did you mean '%s'?)",
                       it->comp, near);
        else
            diag_error(d, at(l, nb), "bottleneck: no component '%s' in this scenario (its "
                                     "components: %s)",
                       it->comp, n ? known : "none");
        free(names);
        return -1;
    }
    free(names);
    p = skip_blanks(p);
    return read_tail(sc, l, p, it, d);
}

int expect_read_line(const struct scenario *sc, const struct sc_check *l,
                     struct expect_item *it, struct diag *d)
{
    memset(it, 0, sizeof *it);
    it->line = l;
    const char *sect = l->predict ? "[predict]" : "[expect]";
    const char *p = l->text, *mb = p;
    while (is_metric_char((unsigned char)*p))
        p++;
    if (p == mb)
        return diag_error(d, l->loc, "%s: expected a line like '%s'", sect,
                          l->predict ? "latency_mean_ms = 2600ms" : "latency_p99_ms < 200ms");
    if ((size_t)(p - mb) >= sizeof it->metric)
        return diag_error(d, l->loc, "metric name too long");
    snprintf(it->metric, sizeof it->metric, "%.*s", (int)(p - mb), mb);
    if (l->predict && strcmp(it->metric, "bottleneck") == 0)
        return read_bottleneck(sc, l, p, it, d);
    if (find_metric(sc, it) < 0)
        return unknown_metric(sc, l->loc, it->metric, d);
    p = skip_blanks(p);
    const char *ob = p;
    while (*p && strchr("<>=!~", *p))
        p++;
    char op[4];
    snprintf(op, sizeof op, "%.*s", (int)(p - ob < 3 ? p - ob : 3), ob);
    if (l->predict) {
        if (p == ob)
            return diag_error(d, at(l, ob), "expected '=' and a guess after '%s'", it->metric);
        if (strcmp(op, "=") != 0 && strcmp(op, "==") != 0)
            return diag_error(d, at(l, ob),
                              "a guess is written '%s = VALUE'; comparisons such as '%s' belong "
                              "in [expect]",
                              it->metric, op);
        it->op = EXPECT_EQ;
    } else {
        size_t k = 0;
        while (k < sizeof op_text / sizeof op_text[0] && strcmp(op, op_text[k]) != 0)
            k++;
        if (k == sizeof op_text / sizeof op_text[0]) {
            if (!strcmp(op, "="))
                return diag_error(d, at(l, ob),
                                  "'=' is not a comparison: write '==' (or put a guess in "
                                  "[predict])");
            return diag_error(d, at(l, ob),
                              "%s after '%s': expected <, <=, >, >=, == or !=",
                              p == ob ? "missing operator" : "bad operator", it->metric);
        }
        it->op = (enum expect_op)k;
    }
    p = skip_blanks(p);
    const char *vb = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (p == vb)
        return diag_error(d, at(l, vb), "missing value after '%s'", op);
    /* "200 ms": a unit may follow a number after a blank. */
    const char *wb = skip_blanks(p), *we = wb;
    while (*we && *we != ' ' && *we != '\t')
        we++;
    bool unit_word = we > wb && !word_is(wb, "when") && (isdigit((unsigned char)p[-1]) || p[-1] == '.');
    size_t vlen = (size_t)(p - vb), wlen = unit_word ? (size_t)(we - wb) : 0;
    char *v = xmalloc(vlen + wlen + 1);
    memcpy(v, vb, vlen);
    memcpy(v + vlen, wb, wlen);
    v[vlen + wlen] = '\0';
    const char *why;
    if (parse_bound(v, it->unit, &it->bound, &why) < 0) {
        diag_error(d, at(l, vb), "bad value '%.*s%s%.*s' for %s (unit %s): %s", (int)vlen, vb,
                   unit_word ? " " : "", (int)wlen, wb, it->metric, it->unit, why);
        free(v);
        return -1;
    }
    free(v);
    p = skip_blanks(unit_word ? we : p);
    return read_tail(sc, l, p, it, d);
}

void expect_item_clear(struct expect_item *it)
{
    free(it->text);
    it->text = NULL;
}

struct expect_set *expect_read(const struct scenario *sc, struct diag *d)
{
    struct expect_set *es = xcalloc(1, sizeof *es);
    es->items = xcalloc(sc->nchecks + 1, sizeof *es->items);
    int rc = 0;
    for (size_t i = 0; i < sc->nchecks; i++) {
        if (expect_read_line(sc, &sc->checks[i], &es->items[es->n], d) < 0) {
            rc = -1;
            continue;
        }
        if (sc->checks[i].predict)
            es->npredict++;
        else
            es->nexpect++;
        es->n++;
    }
    if (rc < 0) {
        expect_set_free(es);
        return NULL;
    }
    return es;
}

void expect_set_free(struct expect_set *es)
{
    if (!es)
        return;
    for (size_t i = 0; i < es->n; i++)
        expect_item_clear(&es->items[i]);
    free(es->items);
    free(es);
}

/* ---- judging --------------------------------------------------------------- */

static bool holds(enum expect_op op, double x, double bound)
{
    switch (op) {
    case EXPECT_LT:
        return x < bound;
    case EXPECT_LE:
        return x <= bound;
    case EXPECT_GT:
        return x > bound;
    case EXPECT_GE:
        return x >= bound;
    case EXPECT_EQ:
        return x == bound;
    case EXPECT_NE:
        return x != bound;
    }
    return false;
}

enum expect_verdict expect_judge(enum expect_op op, double bound, double lo, double hi)
{
    if (isnan(lo) || isnan(hi) || isnan(bound))
        return EXPECT_INCONCLUSIVE;
    switch (op) {
    case EXPECT_LT:
    case EXPECT_LE:
    case EXPECT_GT:
    case EXPECT_GE: {
        /* The set of values satisfying it is a half-line: the interval
         * lies in it when both ends do, outside it when neither does. */
        bool a = holds(op, lo, bound), b = holds(op, hi, bound);
        return a && b ? EXPECT_PASS : !a && !b ? EXPECT_FAIL : EXPECT_INCONCLUSIVE;
    }
    case EXPECT_EQ:
        if (lo == bound && hi == bound)
            return EXPECT_PASS;
        return bound < lo || bound > hi ? EXPECT_FAIL : EXPECT_INCONCLUSIVE;
    case EXPECT_NE:
        if (bound < lo || bound > hi)
            return EXPECT_PASS;
        return lo == bound && hi == bound ? EXPECT_FAIL : EXPECT_INCONCLUSIVE;
    }
    return EXPECT_INCONCLUSIVE;
}

static bool applies(const struct expect_item *it, const struct scenario *sc, size_t point)
{
    if (it->replaced[0])
        return false;
    for (size_t k = 0; k < it->nwhen; k++) {
        const struct sc_sweep *sw = &sc->sweeps[it->when_sweep[k]];
        if (strcmp(scenario_sweep_value(sc, point, it->when_sweep[k]),
                   sw->values[it->when_value[k]]) != 0)
            return false;
    }
    return true;
}

/* The value and interval of a components.csv column over runs [b, e). */
static void component_ci(const struct report *rp, size_t b, size_t e, const char *comp,
                         const struct comp_column *col, struct ci *ci, double *value)
{
    double *x = xcalloc(e - b + 1, sizeof *x);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t k = 0; k < r->ncomps; k++) {
            if (strcmp(r->comps[k].name, comp) != 0)
                continue;
            double v = col->type == COL_COUNT ? (double)col->count(r, &r->comps[k])
                                              : col->num(r, &r->comps[k]);
            if (!isnan(v))
                x[n++] = v;
            break;
        }
    }
    wr_ci_of_values(x, n, col->doc.name, ci);
    if (!strcmp(col->doc.unit, "ratio")) /* utilisation: a share of the workers */
        stats_ci_clamp(ci, 0, 1);
    free(x);
    *value = n ? ci->mean : NA;
    if (n == 0)
        ci->lo = ci->hi = NA;
    ci->n = n;
}

/* A bottleneck guess over runs [b, e): the component (with workers) of
 * highest mean utilisation, the runner-up, the guessed one's, and the
 * napkin math's bottleneck (highest utilisation_expected, as
 * models/napkin.c names it: the first of the highest). */
static void bottleneck_row(const struct report *rp, size_t b, size_t e,
                           const struct expect_item *it, struct expect_row *row)
{
    const struct comp_column *util = comp_column("utilisation");
    const struct run_result *r0 = &rp->runs[b];
    row->guess_util = row->next_util = NA;
    row->value = row->lo = row->hi = NA;
    row->n = 0;
    double best = NA, nap = NA;
    for (size_t j = 0; j < r0->ncomps; j++) {
        const char *name = r0->comps[j].name;
        double u = r0->comps[j].utilisation_expected;
        if (isfinite(u) && (isnan(nap) || u > nap)) {
            nap = u;
            snprintf(row->napkin_comp, sizeof row->napkin_comp, "%s", name);
        }
        struct ci ci;
        double v;
        component_ci(rp, b, e, name, util, &ci, &v);
        if (isnan(v))
            continue;
        if (strcmp(name, it->comp) == 0)
            row->guess_util = v;
        if (isnan(best) || v > best) {
            if (!isnan(best)) {
                row->next_util = best;
                memcpy(row->next_comp, row->sim_comp, sizeof row->next_comp);
            }
            best = v;
            snprintf(row->sim_comp, sizeof row->sim_comp, "%s", name);
            row->value = v;
            row->lo = ci.lo;
            row->hi = ci.hi;
            row->n = ci.n;
        } else if (isnan(row->next_util) || v > row->next_util) {
            row->next_util = v;
            snprintf(row->next_comp, sizeof row->next_comp, "%s", name);
        }
    }
    row->no_interval = isnan(row->lo) || isnan(row->hi);
    row->verdict = EXPECT_INCONCLUSIVE;
    row->error_pct = NA;
    /* a tie with the highest is a right guess too */
    row->inside = !row->sim_comp[0] ? -1
                  : !strcmp(row->sim_comp, it->comp) || row->guess_util == best;
}

static void judge_row(const struct expect_item *it, struct expect_row *row)
{
    double lo = row->lo, hi = row->hi;
    row->no_interval = isnan(lo) || isnan(hi);
    if (row->no_interval)
        lo = hi = row->value;
    if (it->line->predict) {
        row->verdict = EXPECT_INCONCLUSIVE;
        row->error_pct =
            row->value != 0 && !isnan(row->value) ? 100 * (it->bound - row->value) / fabs(row->value)
                                                  : NA;
        row->inside = row->no_interval ? -1 : it->bound >= lo && it->bound <= hi;
        return;
    }
    row->error_pct = NA;
    row->inside = -1;
    row->verdict = expect_judge(it->op, it->bound, lo, hi);
}

struct expect_outcome *expect_evaluate(const struct expect_set *es, const struct report *rp)
{
    struct expect_outcome *o = xcalloc(1, sizeof *o);
    o->set = es;
    size_t cap = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        size_t point = rp->runs[b].point;
        for (size_t i = 0; i < es->n; i++) {
            const struct expect_item *it = &es->items[i];
            if (!applies(it, rp->sc, point))
                continue;
            struct ci ci;
            double value;
            if (it->bottleneck) {
                xgrow(&o->rows, &cap, o->nrows + 1, sizeof *o->rows);
                struct expect_row *row = &o->rows[o->nrows++];
                memset(row, 0, sizeof *row);
                row->item = i;
                row->point = point;
                bottleneck_row(rp, b, e, it, row);
                continue;
            }
            if (it->col)
                component_ci(rp, b, e, it->comp, it->col, &ci, &value);
            else
                wr_column_ci(rp, b, e, it->metric, &ci, &value);
            xgrow(&o->rows, &cap, o->nrows + 1, sizeof *o->rows);
            struct expect_row *row = &o->rows[o->nrows++];
            *row = (struct expect_row){i, point, value, ci.lo, ci.hi, ci.n, false,
                                       EXPECT_INCONCLUSIVE, NA, -1, "", NA, "", NA, ""};
            if (isnan(value)) /* no run of the point has it */
                row->n = 0;
            judge_row(it, row);
            if (it->line->predict)
                continue;
            if (row->verdict == EXPECT_PASS)
                o->passed++;
            else if (row->verdict == EXPECT_FAIL)
                o->failed++;
            else
                o->inconclusive++;
        }
    }
    return o;
}

void expect_outcome_free(struct expect_outcome *o)
{
    if (!o)
        return;
    free(o->rows);
    free(o);
}

/* ---- output ---------------------------------------------------------------- */

/* The metric's unit after a number, if it reads as one ("ms", "s", "/s"). */
static const char *unit_suffix(const char *unit)
{
    if (!strcmp(unit, "ms"))
        return " ms";
    if (!strcmp(unit, "s"))
        return " s";
    if (!strcmp(unit, "1/s"))
        return "/s";
    return "";
}

/* "predict: bottleneck = db [all runs]: app (utilisation 0.85; db 0.31);
 * guess off; napkin math said app". */
static char *bottleneck_text(const struct expect_row *row, const struct expect_item *it,
                             const char *label)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("predict: bottleneck");
    fprintf(f, "predict: %s [%s]: ", it->text, label);
    char u[32];
    if (!row->sim_comp[0]) {
        fprintf(f, "no component with workers at this point");
    } else {
        report_fmt_num(u, sizeof u, row->value, 3);
        fprintf(f, "%s (utilisation %s", row->sim_comp, u);
        if (row->inside == 1 && row->next_comp[0]) {
            report_fmt_num(u, sizeof u, row->next_util, 3);
            fprintf(f, "; next %s %s", row->next_comp, u);
        } else if (row->inside == 0 && isnan(row->guess_util)) {
            fprintf(f, "; %s has no workers", it->comp);
        } else if (row->inside == 0) {
            report_fmt_num(u, sizeof u, row->guess_util, 3);
            fprintf(f, "; %s %s", it->comp, u);
        }
        fprintf(f, "); guess %s", row->inside == 1 ? "right" : "off");
    }
    if (row->napkin_comp[0])
        fprintf(f, "; napkin math said %s", row->napkin_comp);
    fclose(f);
    return buf;
}

char *expect_row_text(const struct expect_outcome *o, const struct scenario *sc, size_t i)
{
    const struct expect_row *row = &o->rows[i];
    const struct expect_item *it = &o->set->items[row->item];
    if (it->bottleneck) {
        char *label = wr_point_label(sc, row->point);
        char *s = bottleneck_text(row, it, label);
        free(label);
        return s;
    }
    const char *u = unit_suffix(it->unit);
    char *label = wr_point_label(sc, row->point);
    char head[64], got[256];
    if (it->line->predict)
        snprintf(head, sizeof head, "predict:");
    else
        snprintf(head, sizeof head, "expect: %s", row->verdict == EXPECT_PASS   ? "PASS"
                                                  : row->verdict == EXPECT_FAIL ? "FAIL"
                                                                                : "INCONCLUSIVE");
    char v[32], lo[32], hi[32]; /* 4 significant digits, no exponent */
    report_fmt_num(v, sizeof v, row->value, 4);
    report_fmt_num(lo, sizeof lo, row->lo, 4);
    report_fmt_num(hi, sizeof hi, row->hi, 4);
    if (isnan(row->value))
        snprintf(got, sizeof got, "no value at this point");
    else if (row->no_interval)
        snprintf(got, sizeof got, "%s%s (%s: no interval%s)", v, u,
                 row->n == 1 ? "one replication" : "summary.csv gives none",
                 it->line->predict ? "" : ", judged on the value");
    else
        snprintf(got, sizeof got, "%s%s, 95%% CI %s .. %s", v, u, lo, hi);
    size_t size = strlen(it->text) + strlen(label) + sizeof head + sizeof got + 160;
    char *s = xmalloc(size);
    int n = snprintf(s, size, "%s %s [%s]: %s", head, it->text, label, got);
    if (it->line->predict && !isnan(row->value) && n > 0 && (size_t)n < size) {
        char err[48] = "";
        if (!isnan(row->error_pct))
            snprintf(err, sizeof err, "guess off by %+.1f%%; ", row->error_pct);
        snprintf(s + n, size - (size_t)n, "; %s%s", err,
                 row->inside < 0  ? "no interval to hold it"
                 : row->inside    ? "inside the 95% interval"
                                  : "outside the 95% interval");
    }
    free(label);
    return s;
}

void csvout_expect(struct outfile *out, const struct report *rp)
{
    const struct expect_outcome *o = rp->expect;
    for (const struct coldoc *d = columns_expect; d->name; d++) {
        if (strcmp(d->name, "<sweep variable>") == 0)
            wr_sweep_header(out, rp->sc);
        else {
            if (d != columns_expect)
                outfile_printf(out, ",");
            wr_csv_str(out, d->name);
        }
    }
    outfile_printf(out, "\n");
    for (size_t i = 0; o && i < o->nrows; i++) {
        const struct expect_row *row = &o->rows[i];
        const struct expect_item *it = &o->set->items[row->item];
        bool pred = it->line->predict;
        outfile_printf(out, "%zu", row->point);
        wr_sweep_values(out, rp->sc, row->point);
        outfile_printf(out, ",%s,", pred ? "predict" : "expect");
        if (it->bottleneck) { /* the simulated bottleneck's utilisation */
            char m[EXPECT_NAME_MAX + 16];
            snprintf(m, sizeof m, "%s%s", row->sim_comp[0] ? row->sim_comp : "bottleneck",
                     row->sim_comp[0] ? ".utilisation" : "");
            wr_csv_str(out, m);
            outfile_printf(out, ",");
            wr_csv_str(out, it->text);
            wr_num(out, row->value);
            wr_num(out, row->no_interval ? NA : row->lo);
            wr_num(out, row->no_interval ? NA : row->hi);
            outfile_printf(out, ",%zu,%s", row->n,
                           row->inside < 0 ? "no value" : row->inside ? "match" : "miss");
            wr_num(out, NA);
            wr_num(out, NA);
            outfile_printf(out, "\n");
            continue;
        }
        wr_csv_str(out, it->metric);
        outfile_printf(out, ",");
        wr_csv_str(out, it->text);
        wr_num(out, row->value);
        wr_num(out, row->no_interval ? NA : row->lo);
        wr_num(out, row->no_interval ? NA : row->hi);
        outfile_printf(out, ",%zu,%s", row->n,
                       pred ? (isnan(row->value) ? "no value"
                               : row->inside < 0 ? "no interval"
                               : row->inside     ? "inside"
                                                 : "outside")
                            : expect_verdict_name(row->verdict));
        wr_num(out, pred ? it->bound : NA);
        wr_num(out, pred ? row->error_pct : NA);
        outfile_printf(out, "\n");
    }
}
