/* attribution: where the time of each client's measured successes goes
 * ([sim] attribution = on; sim/attrib.h): attribution.csv, the stacked bar
 * plot attribution.dat/.gp (attribution.png) and a sentence per client
 * for the terminal.
 *
 * Over a sweep point's replications, a phase's figures are the mean of the
 * per-run ones: mean_ms = the phase's time / the group's requests, share =
 * the phase's time / the group's time (all its phases, so the shares of a
 * group add up to 1), with a Student-t 95% interval of the share. A run in
 * which a client has no row for a phase counts 0 for it. */
#include "output/attribution.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/writers.h"
#include "sim/attrib.h"
#include "sim/stats.h"
#include "sim/xalloc.h"

/* The phases a point's runs have, first seen first (runs are in run order,
 * rows in component order: deterministic). */
struct akey {
    const char *client, *component, *phase;
};
struct akeys {
    struct akey *v;
    size_t n, cap;
    const char **clients;
    size_t nclients, ccap;
};

static void keys_of(const struct report *rp, size_t b, size_t e, struct akeys *k)
{
    memset(k, 0, sizeof *k);
    for (size_t i = b; i < e; i++) {
        const struct run_result *r = &rp->runs[i];
        for (size_t c = 0; c < r->nattr; c++) {
            const struct attr_result *x = &r->attr[c];
            size_t j = 0;
            while (j < k->nclients && strcmp(k->clients[j], x->client) != 0)
                j++;
            if (j == k->nclients) {
                xgrow(&k->clients, &k->ccap, k->nclients + 1, sizeof *k->clients);
                k->clients[k->nclients++] = x->client;
            }
            for (size_t w = 0; w < x->nrows; w++) {
                const struct attr_row *row = &x->rows[w];
                bool seen = false;
                for (size_t q = 0; q < k->n && !seen; q++)
                    seen = !strcmp(k->v[q].client, x->client) &&
                           !strcmp(k->v[q].component, row->component) &&
                           !strcmp(k->v[q].phase, row->phase);
                if (seen)
                    continue;
                xgrow(&k->v, &k->cap, k->n + 1, sizeof *k->v);
                k->v[k->n++] = (struct akey){x->client, row->component, row->phase};
            }
        }
    }
}

static void keys_free(struct akeys *k)
{
    free(k->v);
    free(k->clients);
}

static const struct attr_result *client_of(const struct run_result *r, const char *client)
{
    for (size_t c = 0; c < r->nattr; c++)
        if (!strcmp(r->attr[c].client, client))
            return &r->attr[c];
    return NULL;
}

/* The mean over runs [b, e) of the phase key's time per request (ms) and
 * share in group g, with the share's interval. Runs without the client or
 * without requests in the group are left out; *nruns says how many count. */
static void phase_figures(const struct report *rp, size_t b, size_t e, const struct akey *key,
                          size_t g, double *mean_ms, struct ci *share, size_t *nruns)
{
    double *ms = xcalloc(e - b + 1, sizeof *ms), *sh = xcalloc(e - b + 1, sizeof *sh);
    size_t n = 0;
    for (size_t i = b; i < e; i++) {
        const struct attr_result *x = client_of(&rp->runs[i], key->client);
        if (!x || !(x->n[g] > 0))
            continue;
        double t = 0, total = 0;
        for (size_t w = 0; w < x->nrows; w++) {
            total += x->rows[w].ns[g];
            if (!strcmp(x->rows[w].component, key->component) &&
                !strcmp(x->rows[w].phase, key->phase))
                t = x->rows[w].ns[g];
        }
        ms[n] = t / x->n[g] / 1e6;
        sh[n] = total > 0 ? t / total : 0;
        n++;
    }
    struct ci mc;
    stats_ci95(ms, n, &mc);
    stats_ci95(sh, n, share);
    *mean_ms = n ? mc.mean : (double)NAN;
    if (!n)
        share->mean = (double)NAN;
    if (!isnan(share->lo) && share->lo < 0)
        share->lo = 0;
    if (!isnan(share->hi) && share->hi > 1)
        share->hi = 1;
    *nruns = n;
    free(ms);
    free(sh);
}

bool attribution_any(const struct report *rp)
{
    for (size_t i = 0; i < rp->nruns; i++)
        if (rp->runs[i].attribution)
            return true;
    return false;
}

/* ---- attribution.csv ------------------------------------------------------ */

void csvout_attribution(struct outfile *o, const struct report *rp)
{
    for (const struct coldoc *d = columns_attribution; d->name; d++) {
        if (strcmp(d->name, "<sweep variable>") == 0)
            wr_sweep_header(o, rp->sc);
        else {
            if (d != columns_attribution)
                outfile_printf(o, ",");
            wr_csv_str(o, d->name);
        }
    }
    outfile_printf(o, "\n");
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct akeys k;
        keys_of(rp, b, e, &k);
        for (size_t c = 0; c < k.nclients; c++)
            for (size_t g = 0; g < ATTR_GROUPS; g++)
                for (size_t q = 0; q < k.n; q++) {
                    const struct akey *key = &k.v[q];
                    if (strcmp(key->client, k.clients[c]) != 0)
                        continue;
                    double mean_ms;
                    struct ci share;
                    size_t n;
                    phase_figures(rp, b, e, key, g, &mean_ms, &share, &n);
                    outfile_printf(o, "%zu", rp->runs[b].point);
                    wr_sweep_values(o, rp->sc, rp->runs[b].point);
                    outfile_printf(o, ",");
                    wr_csv_str(o, key->client);
                    outfile_printf(o, ",%s,", attr_group_names[g]);
                    wr_csv_str(o, key->component);
                    outfile_printf(o, ",%s", key->phase);
                    wr_num(o, mean_ms);
                    wr_num(o, share.mean);
                    wr_num(o, share.lo);
                    wr_num(o, share.hi);
                    outfile_printf(o, ",%zu\n", n);
                }
        keys_free(&k);
    }
}

/* ---- the plot: one stacked bar per client and group ---------------------- */

/* "db's queue", "service at app", "network to db", "backoff", ... */
static void phase_words(char *buf, size_t size, const char *component, const char *phase)
{
    if (!strcmp(phase, "queue"))
        snprintf(buf, size, "%s's queue", component);
    else if (!strcmp(phase, "service"))
        snprintf(buf, size, "service at %s", component);
    else if (!strcmp(phase, "network"))
        snprintf(buf, size, "network to %s", component);
    else if (!strcmp(phase, "hedge_wait"))
        snprintf(buf, size, "waiting to hedge");
    else if (!strcmp(phase, "failed_attempts"))
        snprintf(buf, size, "failed attempts");
    else
        snprintf(buf, size, "%s", phase);
}

/* The stacks of the plot: every phase any point has, by component:phase
 * (the same phase of several clients is one stack). */
static size_t plot_phases(const struct report *rp, struct akey **out)
{
    struct akey *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct akeys k;
        keys_of(rp, b, e, &k);
        for (size_t q = 0; q < k.n; q++) {
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++)
                seen = !strcmp(v[j].component, k.v[q].component) &&
                       !strcmp(v[j].phase, k.v[q].phase);
            if (!seen) {
                xgrow(&v, &cap, n + 1, sizeof *v);
                v[n++] = (struct akey){NULL, k.v[q].component, k.v[q].phase};
            }
        }
        keys_free(&k);
    }
    *out = v;
    return n;
}

#define ATTR_PLOT_BARS 48 /* bars drawn at most (the first points') */

/* One row per bar: its label, then the share (%) of each phase. */
void attribution_plot_data(struct outfile *o, const struct report *rp)
{
    struct akey *ph;
    size_t nph = plot_phases(rp, &ph);
    outfile_printf(o, "bar");
    for (size_t j = 0; j < nph; j++) {
        char w[200];
        phase_words(w, sizeof w, ph[j].component, ph[j].phase);
        outfile_printf(o, " \"");
        for (const char *p = w; *p; p++)
            if (*p != '"' && *p != '\\')
                outfile_printf(o, "%c", *p);
        outfile_printf(o, "\"");
    }
    outfile_printf(o, "\n");
    size_t bars = 0;
    bool many = wr_point_end(rp, 0) < rp->nruns;
    for (size_t b = 0, e; b < rp->nruns && bars < ATTR_PLOT_BARS; b = e) {
        e = wr_point_end(rp, b);
        struct akeys k;
        keys_of(rp, b, e, &k);
        char *label = wr_point_label(rp->sc, rp->runs[b].point);
        for (size_t c = 0; c < k.nclients; c++)
            for (size_t g = 0; g < ATTR_GROUPS && bars < ATTR_PLOT_BARS; g++, bars++) {
                outfile_printf(o, "\"%s%s%s%s%s\"", attr_group_names[g],
                               k.nclients > 1 ? " " : "", k.nclients > 1 ? k.clients[c] : "",
                               many ? " " : "", many ? label : "");
                for (size_t j = 0; j < nph; j++) {
                    struct akey key = {k.clients[c], ph[j].component, ph[j].phase};
                    double mean_ms;
                    struct ci share;
                    size_t n;
                    phase_figures(rp, b, e, &key, g, &mean_ms, &share, &n);
                    outfile_printf(o, " %.6g", n ? 100 * share.mean : 0.0);
                }
                outfile_printf(o, "\n");
            }
        free(label);
        keys_free(&k);
    }
    free(ph);
}

static const char *const okabe_ito[] = {
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#7F7F7F",
};

void attribution_plot_script(struct outfile *o, const struct report *rp)
{
    struct akey *ph;
    size_t nph = plot_phases(rp, &ph);
    free(ph);
    size_t bars = 0;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct akeys k;
        keys_of(rp, b, e, &k);
        bars += ATTR_GROUPS * k.nclients;
        keys_free(&k);
    }
    bars = bars > ATTR_PLOT_BARS ? ATTR_PLOT_BARS : bars;
    size_t w = 420 + 70 * bars;
    outfile_printf(o,
                   "set terminal pngcairo size %zu,%zu noenhanced font ',10'\n"
                   "set output 'attribution.png'\n"
                   "set title 'where the time goes: share of latency by phase "
                   "(all requests, and those at or above p99 and p99.9)'\n"
                   "set style data histograms\n"
                   "set style histogram rowstacked\n"
                   "set boxwidth 0.6\n"
                   "set ylabel 'share of the time (%%)'\n"
                   "set yrange [0:100]\n"
                   "set grid ytics\n"
                   "set key outside right top vertical Left reverse invert\n"
                   "%s",
                   w < 900 ? 900 : w, (size_t)560, bars > 6 ? "set xtics rotate by -25\n" : "");
    for (size_t j = 0; j < nph; j++) /* 8 colours; past them, the same in a lighter fill */
        outfile_printf(o, "set linetype %zu lc rgb '%s'\n", j + 1, okabe_ito[j % 8]);
    if (nph == 0) {
        outfile_printf(o, "plot 0 notitle\n");
        return;
    }
    outfile_printf(o, "plot for [i=2:%zu] 'attribution.dat' using i:xtic(1) title columnheader(i) "
                      "lt (i-1) fs solid (i-2 < 8 ? 0.9 : (i-2 < 16 ? 0.5 : 0.25)) border lc rgb "
                      "'#333333'\n",
                   nph + 1);
}

/* ---- the terminal -------------------------------------------------------- */

#define ATTR_LINES_MAX 16 /* lines on the terminal at most; the rest is in attribution.csv */

static void append(char **out, size_t *len, const char *line)
{
    size_t add = strlen(line);
    *out = xrealloc(*out, *len + add + 1);
    memcpy(*out + *len, line, add + 1);
    *len += add;
}

char *attribution_lines(const struct report *rp)
{
    char *out = xstrdup("");
    size_t len = 0, nlines = 0, skipped = 0;
    bool many = wr_point_end(rp, 0) < rp->nruns;
    for (size_t b = 0, e; b < rp->nruns; b = e) {
        e = wr_point_end(rp, b);
        struct akeys k;
        keys_of(rp, b, e, &k);
        char *label = wr_point_label(rp->sc, rp->runs[b].point);
        for (size_t c = 0; c < k.nclients; c++) {
            /* the two largest shares at or above p99, and the first's share of all */
            const struct akey *top[2] = {NULL, NULL};
            double s[2] = {-1, -1}, all0 = (double)NAN;
            for (size_t q = 0; q < k.n; q++) {
                if (strcmp(k.v[q].client, k.clients[c]) != 0)
                    continue;
                double mean_ms;
                struct ci share;
                size_t n;
                phase_figures(rp, b, e, &k.v[q], ATTR_P99, &mean_ms, &share, &n);
                if (!n)
                    continue;
                if (share.mean > s[0]) {
                    top[1] = top[0];
                    s[1] = s[0];
                    top[0] = &k.v[q];
                    s[0] = share.mean;
                } else if (share.mean > s[1]) {
                    top[1] = &k.v[q];
                    s[1] = share.mean;
                }
            }
            if (!top[0])
                continue;
            if (nlines == ATTR_LINES_MAX) {
                skipped++;
                continue;
            }
            nlines++;
            double mean_ms;
            struct ci share;
            size_t n;
            phase_figures(rp, b, e, top[0], ATTR_ALL, &mean_ms, &share, &n);
            all0 = n ? share.mean : (double)NAN;
            char w0[200], w1[200] = "", line[640];
            phase_words(w0, sizeof w0, top[0]->component, top[0]->phase);
            if (top[1])
                phase_words(w1, sizeof w1, top[1]->component, top[1]->phase);
            char second[240] = "";
            if (top[1] && s[1] >= 0.005)
                snprintf(second, sizeof second, ", %.0f%% in %s", 100 * s[1], w1);
            snprintf(line, sizeof line,
                     "attribution%s%s: %s: requests at or above p99 spend %.0f%% of their time in "
                     "%s (all requests: %.0f%%)%s\n",
                     many ? " at " : "", many ? label : "", k.clients[c], 100 * s[0], w0,
                     100 * all0, second);
            append(&out, &len, line);
        }
        free(label);
        keys_free(&k);
    }
    if (skipped) {
        char line[128];
        snprintf(line, sizeof line, "attribution: %zu more in attribution.csv\n", skipped);
        append(&out, &len, line);
    }
    return out;
}
