/* find: the files and the sentence of a capacity search (see find.h). */
#include "output/find.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/columns.h"
#include "output/report.h"
#include "output/writers.h"
#include "sim/xalloc.h"

const char *find_verdict_name(enum expect_verdict v)
{
    return v == EXPECT_PASS ? "pass" : v == EXPECT_FAIL ? "fail" : "unsure";
}

char *find_sentence(const struct find_result *fr)
{
    const struct find_spec *fs = fr->spec;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("find: no answer");
    fprintf(f, "%s %s with %s: ", fs->max ? "max" : "min", fs->target, fs->objective);
    const struct find_probe *p = fr->pass >= 0 ? &fr->probes[fr->pass] : NULL;
    const struct find_probe *q = fr->fail >= 0 ? &fr->probes[fr->fail] : NULL;
    if (p && q)
        fprintf(f, "%s (passes; %s %s)", p->text, q->text,
                q->verdict == EXPECT_FAIL ? "fails" : "is unsure, counted as failing");
    else if (p)
        fprintf(f, "%s (passes, and it is the %s end of find_range: widen it to look further)",
                p->text, fs->max ? "high" : "low");
    else if (q)
        fprintf(f, "none in find_range (its %s end, %s, %s already)", fs->max ? "low" : "high",
                q->text, q->verdict == EXPECT_FAIL ? "fails" : "is unsure");
    else
        fprintf(f, "no probe was made");
    fclose(f);
    return buf;
}

void find_csv(struct outfile *o, const struct find_result *fr)
{
    for (const struct coldoc *d = columns_find; d->name; d++) {
        if (d != columns_find)
            outfile_printf(o, ",");
        wr_csv_str(o, d->name);
    }
    outfile_printf(o, "\n");
    for (size_t i = 0; i < fr->nprobes; i++) {
        const struct find_probe *p = &fr->probes[i];
        outfile_printf(o, "%zu", p->order);
        wr_num(o, p->value);
        outfile_printf(o, ",");
        wr_csv_str(o, p->text);
        outfile_printf(o, ",");
        wr_csv_str(o, fr->spec->obj.metric);
        wr_num(o, p->mean);
        wr_num(o, p->lo);
        wr_num(o, p->hi);
        outfile_printf(o, ",%zu,%s\n", p->reps, find_verdict_name(p->verdict));
    }
}

/* find.dat: three blocks (pass, fail, unsure), each "value mean lo hi"
 * sorted by value; a block without probes holds one line of nan. */
void find_plot_data(struct outfile *o, const struct find_result *fr)
{
    size_t n = fr->nprobes;
    size_t *ord = xcalloc(n + 1, sizeof *ord);
    for (size_t i = 0; i < n; i++)
        ord[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort by value: a handful of probes */
        for (size_t j = i; j > 0 && fr->probes[ord[j]].value < fr->probes[ord[j - 1]].value; j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    static const enum expect_verdict blocks[] = {EXPECT_PASS, EXPECT_FAIL, EXPECT_INCONCLUSIVE};
    for (size_t b = 0; b < 3; b++) {
        outfile_printf(o, "# %s probes: value mean ci_low ci_high\n", find_verdict_name(blocks[b]));
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            const struct find_probe *p = &fr->probes[ord[i]];
            if (p->verdict != blocks[b])
                continue;
            double lo = isnan(p->lo) ? p->mean : p->lo, hi = isnan(p->hi) ? p->mean : p->hi;
            outfile_printf(o, "%.9g %.9g %.9g %.9g\n", p->value, p->mean, lo, hi);
            k++;
        }
        if (k == 0)
            outfile_printf(o, "nan nan nan nan\n");
        outfile_printf(o, "\n\n");
    }
    free(ord);
}

static const char *op_text_of(enum expect_op op)
{
    static const char *const t[] = {"<", "<=", ">", ">=", "==", "!="};
    return t[op];
}

static void gp_quoted(struct outfile *o, const char *s)
{
    outfile_printf(o, "'");
    for (; *s; s++)
        outfile_printf(o, *s == '\'' ? "''" : "%c", *s);
    outfile_printf(o, "'");
}

void find_plot_script(struct outfile *o, const struct find_result *fr)
{
    const struct find_spec *fs = fr->spec;
    char label[512];
    outfile_printf(o, "set terminal pngcairo size 900,560 noenhanced font ',10'\n"
                      "set output 'find.png'\n"
                      "set grid\n"
                      "set datafile missing 'nan'\n"
                      "set lmargin 11\n");
    /* the metric usually rises with the value (latency with load, hit ratio
     * with capacity): the key goes in the corner away from the curve and
     * the threshold, top left under a ceiling (<), bottom right over a
     * floor (>) */
    bool below = fs->obj.op == EXPECT_LT || fs->obj.op == EXPECT_LE;
    outfile_printf(o, "set key %s inside Left reverse vertical samplen 3 box opaque\n",
                   below ? "top left" : "bottom right");
    snprintf(label, sizeof label, "%s %s where %s", fs->max ? "max" : "min", fs->target,
             fs->objective);
    outfile_printf(o, "set title ");
    gp_quoted(o, label);
    outfile_printf(o, " font ',12'\n");
    snprintf(label, sizeof label, "%s%s%s%s", fs->target, fs->suffix[0] ? " (" : "",
             fs->suffix[0] == '/' ? "1" : "", fs->suffix[0] ? fs->suffix : "");
    if (fs->suffix[0])
        strncat(label, ")", sizeof label - strlen(label) - 1);
    outfile_printf(o, "set xlabel ");
    gp_quoted(o, label);
    /* the y axis: the metric in its unit (mean and 95% interval of each
     * probe), from 0, or on a log scale when the probes span more than a
     * factor of 10 (an overloaded probe would squash the others against
     * the threshold) */
    double ymin = (double)INFINITY, ymax = -(double)INFINITY;
    for (size_t i = 0; i < fr->nprobes; i++) {
        const struct find_probe *p = &fr->probes[i];
        double lo = isnan(p->lo) ? p->mean : p->lo, hi = isnan(p->hi) ? p->mean : p->hi;
        if (!isnan(lo) && lo < ymin)
            ymin = lo;
        if (!isnan(hi) && hi > ymax)
            ymax = hi;
    }
    if (fs->obj.bound < ymin)
        ymin = fs->obj.bound;
    if (fs->obj.bound > ymax)
        ymax = fs->obj.bound;
    bool logy = ymin > 0 && ymax / ymin > 10;
    snprintf(label, sizeof label, "%s (%s)%s", fs->obj.metric, fs->obj.unit,
             logy ? ", log scale" : "");
    outfile_printf(o, "\nset ylabel ");
    gp_quoted(o, label);
    outfile_printf(o, "\n");
    if (logy)
        outfile_printf(o, "set logscale y\nset yrange [%.9g:%.9g]\n", ymin / 1.5, ymax * 1.5);
    else if (ymin >= 0)
        outfile_printf(o, "set yrange [0:*]\n");
    /* the x range: find_range with a margin of 5% either side */
    double span = fs->hi - fs->lo;
    outfile_printf(o, "set xrange [%.9g:%.9g]\n", fs->lo - 0.05 * span, fs->hi + 0.05 * span);
    /* the threshold, and the answer as a vertical line */
    outfile_printf(o, "threshold = %.9g\n", fs->obj.bound);
    if (fr->pass >= 0) {
        const struct find_probe *p = &fr->probes[fr->pass];
        outfile_printf(o, "set arrow from %.9g, graph 0 to %.9g, graph 1 nohead lc rgb '#009E73' "
                          "lw 2 dt 2\n",
                       p->value, p->value);
        snprintf(label, sizeof label, " answer %s", p->text);
        outfile_printf(o, "set label ");
        gp_quoted(o, label);
        outfile_printf(o, " at %.9g, graph 0.95 left tc rgb '#009E73'\n", p->value);
    }
    snprintf(label, sizeof label, "threshold: %s %s %.6g", fs->obj.metric, op_text_of(fs->obj.op),
             fs->obj.bound);
    outfile_printf(o, "plot threshold with lines lc rgb '#D55E00' lw 2 title ");
    gp_quoted(o, label);
    outfile_printf(o, ", \\\n"
                      "     'find.dat' index 0 using 1:2:3:4 with yerrorbars pt 7 ps 1.4 "
                      "lc rgb '#0072B2' title 'passes (mean, 95%% CI)', \\\n"
                      "     'find.dat' index 1 using 1:2:3:4 with yerrorbars pt 5 ps 1.4 "
                      "lc rgb '#000000' title 'fails', \\\n"
                      "     'find.dat' index 2 using 1:2:3:4 with yerrorbars pt 9 ps 1.4 "
                      "lc rgb '#E69F00' title 'unsure (counted as failing)'\n");
}

void find_manifest(struct outfile *o, const struct find_result *fr)
{
    const struct find_spec *fs = fr->spec;
    char *s = find_sentence(fr);
    outfile_printf(o, "find: %s %s where %s\n", fs->max ? "max" : "min", fs->target,
                   fs->objective);
    outfile_printf(o, "find_answer: %s\n", s);
    outfile_printf(o, "find_passes: %s\n", fr->pass >= 0 ? fr->probes[fr->pass].text : "none");
    outfile_printf(o, "find_fails: %s\n", fr->fail >= 0 ? fr->probes[fr->fail].text : "none");
    outfile_printf(o, "find_probes: %zu (find.csv)\n", fr->nprobes);
    if (fr->shown >= 0)
        outfile_printf(o, "find_runs: the other files hold the runs of %s = %s\n", fs->target,
                       fr->probes[fr->shown].text);
    free(s);
}
