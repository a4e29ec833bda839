/* quiz: `sdsim run FILE --quiz`: ask for the [predict] lines' values
 * before the runs, judge the answers after them (see quiz.h). */
#include "sim/quiz.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/expect.h"
#include "output/report.h"
#include "output/writers.h"
#include "sim/scenario.h"
#include "sim/xalloc.h"

#define QUIZ_TRIES 5 /* bad answers to one question before it is skipped */

struct question {
    size_t item, point;
    char *label;   /* "cache=1000 workers=12", or "all runs" */
    bool answered;
    double guess;  /* a number, in the metric's unit */
    char comp[EXPECT_NAME_MAX]; /* a bottleneck answer */
};

struct quiz {
    const struct expect_set *es;
    const struct scenario *sc;
    struct question *q;
    size_t n;
};

/* Does it apply at point (its `when` holds there)? As expect.c judges. */
static bool applies(const struct expect_item *it, const struct scenario *sc, size_t point)
{
    if (it->replaced[0])
        return false;
    for (size_t k = 0; k < it->nwhen; k++)
        if (strcmp(scenario_sweep_value(sc, point, it->when_sweep[k]),
                   sc->sweeps[it->when_sweep[k]].values[it->when_value[k]]) != 0)
            return false;
    return true;
}

static const char *unit_suffix(const char *unit)
{
    return !strcmp(unit, "ms") ? " ms" : !strcmp(unit, "s") ? " s" : !strcmp(unit, "1/s") ? "/s" : "";
}

/* A section that serves requests (what `bottleneck =` may name). */
static bool is_component(const struct scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->nsections; i++) {
        const struct sc_section *s = &sc->sections[i];
        if (!strcmp(s->name, name) && strcmp(s->kind, "sim") && strcmp(s->kind, "client") &&
            strcmp(s->kind, "fault") && strcmp(s->kind, "plot"))
            return true;
    }
    return false;
}

static void list_components(const struct scenario *sc, FILE *out)
{
    const char *sep = "";
    for (size_t i = 0; i < sc->nsections; i++)
        if (is_component(sc, sc->sections[i].name)) {
            fprintf(out, "%s%s", sep, sc->sections[i].name);
            sep = ", ";
        }
}

/* The answer in line (blanks trimmed) into q: 1 read, 0 skipped (empty),
 * -1 bad (said on out). */
static int take(struct quiz *qz, struct question *q, char *line, FILE *out)
{
    const struct expect_item *it = &qz->es->items[q->item];
    char *e = line + strlen(line);
    while (e > line && isspace((unsigned char)e[-1]))
        *--e = '\0';
    while (isspace((unsigned char)*line))
        line++;
    if (!*line)
        return 0;
    if (it->bottleneck) {
        if (!is_component(qz->sc, line) || strlen(line) >= sizeof q->comp) {
            fprintf(out, "quiz: '%.60s' is not a component of this scenario (its components: ",
                    line);
            list_components(qz->sc, out);
            fprintf(out, "); try again, or an empty line to skip\n");
            return -1;
        }
        snprintf(q->comp, sizeof q->comp, "%s", line);
        q->answered = true;
        return 1;
    }
    const char *why = NULL;
    double v;
    if (expect_parse_value(line, it->unit, &v, &why) < 0 || !isfinite(v)) {
        fprintf(out, "quiz: '%.60s' is not a value of %s (%s): %s; try again, or an empty "
                     "line to skip\n",
                line, it->metric, it->unit, why ? why : "not a finite number");
        return -1;
    }
    q->guess = v;
    q->answered = true;
    return 1;
}

struct quiz *quiz_ask(const struct expect_set *es, const struct scenario *sc, FILE *in, FILE *out)
{
    struct quiz *qz = xcalloc(1, sizeof *qz);
    qz->es = es;
    qz->sc = sc;
    size_t npoints = scenario_npoints(sc), cap = 0;
    for (size_t i = 0; es && i < es->n; i++) {
        if (!es->items[i].line->predict)
            continue;
        for (size_t p = 0; p < npoints; p++) {
            if (!applies(&es->items[i], sc, p))
                continue;
            if (qz->n == cap) {
                cap = cap ? 2 * cap : 8;
                qz->q = xrealloc(qz->q, cap * sizeof *qz->q);
            }
            qz->q[qz->n++] = (struct question){.item = i, .point = p,
                                               .label = wr_point_label(sc, p)};
        }
    }
    if (qz->n == 0) {
        fprintf(out, "quiz: this scenario has no [predict] line to ask about\n");
        fflush(out);
        return qz;
    }
    fprintf(out, "quiz: %zu question%s before the run. Answer each with a number in the "
                 "metric's unit (or with a unit: 40ms, 80%%, 2000/s); an empty line skips it\n",
            qz->n, qz->n == 1 ? "" : "s");
    bool echo = !isatty(fileno(in)); /* piped answers: show them in the transcript */
    char *line = NULL;
    size_t size = 0;
    bool eof = false;
    for (size_t k = 0; k < qz->n && !eof; k++) {
        struct question *q = &qz->q[k];
        const struct expect_item *it = &es->items[q->item];
        for (int tries = 0; tries < QUIZ_TRIES; tries++) {
            if (it->bottleneck) {
                fprintf(out, "quiz %zu/%zu: which component limits the design [%s]? (", k + 1,
                        qz->n, q->label);
                list_components(sc, out);
                fprintf(out, ") ");
            } else {
                fprintf(out, "quiz %zu/%zu: %s [%s], in %s? ", k + 1, qz->n, it->metric,
                        q->label,
                        !strcmp(it->unit, "ratio") ? "ratio (0 to 1, or a %)" : it->unit);
            }
            fflush(out);
            if (getline(&line, &size, in) < 0) {
                eof = true;
                if (k + 1 < qz->n)
                    fprintf(out, "\nquiz: end of input: questions %zu..%zu skipped\n", k + 1,
                            qz->n);
                else
                    fprintf(out, "\nquiz: end of input: question %zu skipped\n", k + 1);
                break;
            }
            if (echo)
                fprintf(out, "%s%s", line, line[0] && line[strlen(line) - 1] == '\n' ? "" : "\n");
            if (take(qz, q, line, out) >= 0)
                break;
            if (tries + 1 == QUIZ_TRIES)
                fprintf(out, "quiz: question %zu skipped after %d bad answers\n", k + 1,
                        QUIZ_TRIES);
        }
    }
    free(line);
    fflush(out);
    return qz;
}

/* The outcome's row of question q, or NULL. */
static const struct expect_row *row_of(const struct expect_outcome *eo, const struct question *q)
{
    for (size_t i = 0; eo && i < eo->nrows; i++)
        if (eo->rows[i].item == q->item && eo->rows[i].point == q->point)
            return &eo->rows[i];
    return NULL;
}

enum { C_NUM, C_QUESTION, C_GUESS, C_ESTIMATE, C_SIM, C_OFF, C_VERDICT, C_N };

/* The cells of question q (each owned). Returns the verdict's class: 0
 * inside the interval or right, 1 within 25%, 2 within 2x, 3 further
 * off or wrong, -1 unanswered or no value. */
static int cells(const struct quiz *qz, size_t k, const struct expect_outcome *eo,
                 char *c[C_N])
{
    const struct question *q = &qz->q[k];
    const struct expect_item *it = &qz->es->items[q->item];
    const struct expect_row *r = row_of(eo, q);
    const char *u = unit_suffix(it->unit);
    char a[64], b[64], d[64], buf[256];
    snprintf(buf, sizeof buf, "%zu", k + 1);
    c[C_NUM] = xstrdup(buf);
    snprintf(buf, sizeof buf, "%s [%s]", it->bottleneck ? "bottleneck" : it->metric, q->label);
    c[C_QUESTION] = xstrdup(buf);
    int cls = -1;
    if (it->bottleneck) {
        c[C_GUESS] = xstrdup(q->answered ? q->comp : "(skipped)");
        c[C_ESTIMATE] = xstrdup(it->comp);
        if (r && r->sim_comp[0]) {
            report_fmt_num(a, sizeof a, r->value, 3);
            snprintf(buf, sizeof buf, "%s (utilisation %s)", r->sim_comp, a);
        } else {
            snprintf(buf, sizeof buf, "-");
        }
        c[C_SIM] = xstrdup(buf);
        c[C_OFF] = xstrdup("-");
        if (q->answered && r && r->sim_comp[0])
            cls = strcmp(q->comp, r->sim_comp) ? 3 : 0;
        c[C_VERDICT] = xstrdup(cls < 0 ? "-" : cls ? "wrong component" : "right");
        return cls;
    }
    report_fmt_num(a, sizeof a, q->guess, 4);
    snprintf(buf, sizeof buf, "%s%s", a, u);
    c[C_GUESS] = xstrdup(q->answered ? buf : "(skipped)");
    report_fmt_num(a, sizeof a, it->bound, 4);
    snprintf(buf, sizeof buf, "%s%s", a, u);
    c[C_ESTIMATE] = xstrdup(buf);
    if (!r || isnan(r->value)) {
        c[C_SIM] = xstrdup("no value");
        c[C_OFF] = xstrdup("-");
        c[C_VERDICT] = xstrdup("-");
        return -1;
    }
    report_fmt_num(a, sizeof a, r->value, 4);
    if (isnan(r->lo)) {
        snprintf(buf, sizeof buf, "%s%s (no interval)", a, u);
    } else {
        report_fmt_num(b, sizeof b, r->lo, 4);
        report_fmt_num(d, sizeof d, r->hi, 4);
        snprintf(buf, sizeof buf, "%s%s (%s .. %s)", a, u, b, d);
    }
    c[C_SIM] = xstrdup(buf);
    if (!q->answered) {
        c[C_OFF] = xstrdup("-");
        c[C_VERDICT] = xstrdup("-");
        return -1;
    }
    bool inside = isnan(r->lo) ? q->guess == r->value : q->guess >= r->lo && q->guess <= r->hi;
    if (r->value == 0) {
        snprintf(buf, sizeof buf, q->guess == 0 ? "exact" : "- (the value is 0)");
        cls = inside ? 0 : 3;
    } else {
        double ratio = q->guess / r->value, pct = 100.0 * (q->guess - r->value) / fabs(r->value);
        report_fmt_num(a, sizeof a, ratio, 3);
        snprintf(buf, sizeof buf, "x%s (%+.0f%%)", a, pct);
        cls = inside ? 0 : fabs(pct) <= 25 ? 1 : ratio >= 0.5 && ratio <= 2 ? 2 : 3;
    }
    c[C_OFF] = xstrdup(buf);
    static const char *const verdicts[] = {"spot on: inside the 95% interval", "close: within 25%",
                                           "right order: within 2x", "off by more than 2x"};
    c[C_VERDICT] = xstrdup(verdicts[cls]);
    return cls;
}

void quiz_report(const struct quiz *qz, const struct expect_outcome *eo, FILE *out)
{
    if (!qz || qz->n == 0)
        return;
    static const char *const head[C_N] = {"#",         "question", "your guess",
                                          "file says", "simulated (95% CI)", "off",
                                          "verdict"};
    char *(*tab)[C_N] = xcalloc(qz->n, sizeof *tab);
    size_t w[C_N], count[4] = {0}, answered = 0;
    for (int j = 0; j < C_N; j++)
        w[j] = strlen(head[j]);
    for (size_t k = 0; k < qz->n; k++) {
        int cls = cells(qz, k, eo, tab[k]);
        if (qz->q[k].answered)
            answered++;
        if (cls >= 0)
            count[cls]++;
        for (int j = 0; j < C_N; j++)
            if (strlen(tab[k][j]) > w[j])
                w[j] = strlen(tab[k][j]);
    }
    fprintf(out, "quiz: your answers against the simulation\n");
    for (int j = 0; j < C_N; j++)
        fprintf(out, "%-*s%s", j == C_N - 1 ? 0 : (int)w[j], head[j], j == C_N - 1 ? "\n" : "  ");
    for (size_t k = 0; k < qz->n; k++) {
        for (int j = 0; j < C_N; j++) {
            fprintf(out, "%-*s%s", j == C_N - 1 ? 0 : (int)w[j], tab[k][j],
                    j == C_N - 1 ? "\n" : "  ");
            free(tab[k][j]);
        }
    }
    free(tab);
    fprintf(out, "quiz: %zu of %zu answered: %zu inside the 95%% interval, %zu within 25%%, "
                 "%zu within 2x, %zu further off (file says: the value of the scenario's "
                 "[predict] line)\n",
            answered, qz->n, count[0], count[1], count[2], count[3]);
    fflush(out);
}

void quiz_free(struct quiz *qz)
{
    if (!qz)
        return;
    for (size_t k = 0; k < qz->n; k++)
        free(qz->q[k].label);
    free(qz->q);
    free(qz);
}
