/* The part file of run --shard (output/partfile.c): what is written reads
 * back bit for bit, including the values text formats lose (NaN, -0, the
 * smallest and largest doubles, long double sums), strings with blanks and
 * '%', and NULL strings; damaged files are refused with a place. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/outfile.h"
#include "output/partfile.h"
#include "sim/xalloc.h"

static char dir[] = "/tmp/sdsim-partfile-XXXXXX";

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/sdsim-partfile-XXXXXX")));
}

static void teardown(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, PARTFILE_NAME);
    unlink(path);
    rmdir(dir);
}

static void fill_hist(struct sparse_hist *s, uint64_t base)
{
    s->n = 3;
    s->index = xmalloc(3 * sizeof *s->index);
    s->count = xmalloc(3 * sizeof *s->count);
    for (size_t i = 0; i < 3; i++) {
        s->index[i] = (uint32_t)(base + 7 * i);
        s->count[i] = base * 1000 + i;
    }
    s->total = base * 3000 + 3;
    s->sum = 1.0L / 3.0L + (long double)base;
    s->sumsq = 1e30L / 7.0L;
    s->min = -5;
    s->max = INT64_MAX / 4;
}

static void fill_run(struct run_result *r)
{
    memset(r, 0, sizeof *r);
    r->run = 7;
    r->point = 2;
    r->rep = 1;
    r->seed = UINT64_MAX;
    r->warmup_s = 0.1;
    r->window_s = (double)NAN;
    r->precision_met = -1;
    r->offered = 123456789012ULL;
    r->events = 1;
    fill_hist(&r->latency, 1);
    fill_hist(&r->latency_all, 5);
    r->fallbacks = 9;
    r->ncomps = 2;
    r->comps = xcalloc(2, sizeof *r->comps);
    r->comps[0].name = xstrdup("app server %1");
    r->comps[0].kind = "service";
    r->comps[0].servers = -0.0;
    r->comps[0].mean_busy = 5e-324;
    r->comps[0].mean_queue = 1.7976931348623157e308;
    r->comps[0].mean_insys = (double)INFINITY;
    r->comps[0].has_hists = 1;
    fill_hist(&r->comps[0].wait, 2);
    fill_hist(&r->comps[0].local, 3);
    fill_hist(&r->comps[0].resp, 4);
    r->comps[1].name = xstrdup("");
    r->comps[1].kind = "service"; /* the same kind: read back as one string */
    r->ts_nrows = 2;
    r->ts_ncols = 1;
    r->ts_names = xcalloc(1, sizeof *r->ts_names);
    r->ts_names[0] = xstrdup("app.queue");
    r->ts_rows = xcalloc(4, sizeof *r->ts_rows);
    r->ts_rows[0] = 1;
    r->ts_rows[1] = 0.3;
    r->ts_rows[2] = 2;
    r->ts_rows[3] = (double)NAN;
    r->nextra = 1;
    r->extra = xcalloc(1, sizeof *r->extra);
    r->extra[0].name = xstrdup("cache.hit_ratio");
    r->extra[0].value = 0.1 + 0.2;
    r->stop.busiest = NULL;
    r->stop.offered_rps = (double)NAN;
    r->attribution = 1;
    r->nattr = 1;
    r->attr = xcalloc(1, sizeof *r->attr);
    r->attr[0].client = xstrdup("web users");
    r->attr[0].n[0] = 1000;
    r->attr[0].n[1] = 10.25; /* a boundary bucket's share */
    r->attr[0].n[2] = 1;
    r->attr[0].nrows = 2;
    r->attr[0].rows = xcalloc(2, sizeof *r->attr[0].rows);
    r->attr[0].rows[0].component = xstrdup("db");
    r->attr[0].rows[0].phase = xstrdup("queue");
    r->attr[0].rows[0].ns[0] = 0.1 + 0.2;
    r->attr[0].rows[0].ns[1] = 1e300;
    r->attr[0].rows[0].ns[2] = -0.0;
    r->attr[0].rows[1].component = xstrdup(""); /* a request-wide phase */
    r->attr[0].rows[1].phase = xstrdup("backoff");
    r->attr[0].rows[1].ns[0] = 2e8;
}

static void same_hist(const struct sparse_hist *a, const struct sparse_hist *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_uint_eq(a->index[i], b->index[i]);
        ck_assert_uint_eq(a->count[i], b->count[i]);
    }
    ck_assert_uint_eq(a->total, b->total);
    ck_assert(a->sum == b->sum && a->sumsq == b->sumsq);
    ck_assert_int_eq(a->min, b->min);
    ck_assert_int_eq(a->max, b->max);
}

/* Bit for bit, so NaN equals NaN and -0 differs from 0. */
static void same_double(double a, double b)
{
    ck_assert_msg(memcmp(&a, &b, sizeof a) == 0, "%a read back as %a", a, b);
}

static void write_part(const struct part_header *h, const struct run_result *r, size_t n)
{
    struct outdir od = {dir, NULL};
    struct outfile o;
    ck_assert_int_eq(outfile_open(&o, &od, PARTFILE_NAME), 0);
    partfile_write(&o, h, r, n);
    ck_assert_int_eq(outfile_commit(&o), 0);
}

START_TEST(a_run_reads_back_bit_for_bit)
{
    struct run_result r;
    fill_run(&r);
    const char *sets[] = {"app.workers=${w = 1, 2}", "sim.duration=10 s"};
    struct part_header h = {"0.1.0", 0x1d4b552155ecf9a3ULL, "my dir/x%.ini", 12, sets, 2,
                            "--set 'app.workers=${w = 1, 2}'", 1, 3, 24};
    write_part(&h, &r, 1);
    char path[128], why[128];
    snprintf(path, sizeof path, "%s/%s", dir, PARTFILE_NAME);
    struct part p;
    ck_assert_int_eq(partfile_read(path, &p, why, sizeof why), 0);
    ck_assert_str_eq(p.h.version, "0.1.0");
    ck_assert_uint_eq(p.h.hash, h.hash);
    ck_assert_str_eq(p.h.scenario, "my dir/x%.ini");
    ck_assert_uint_eq(p.h.nsets, 2);
    ck_assert_str_eq(p.h.sets[0], sets[0]);
    ck_assert_str_eq(p.h.sets[1], sets[1]);
    ck_assert_str_eq(p.h.sets_text, h.sets_text);
    ck_assert_uint_eq(p.h.shard, 1);
    ck_assert_uint_eq(p.h.nshards, 3);
    ck_assert_uint_eq(p.h.total, 24);
    ck_assert_uint_eq(p.nruns, 1);
    const struct run_result *q = &p.runs[0];
    ck_assert_uint_eq(q->run, 7);
    ck_assert_uint_eq(q->seed, UINT64_MAX);
    ck_assert_uint_eq(q->offered, r.offered);
    ck_assert_int_eq(q->precision_met, -1);
    same_double(q->warmup_s, r.warmup_s);
    same_double(q->window_s, r.window_s);
    same_hist(&q->latency, &r.latency);
    same_hist(&q->latency_all, &r.latency_all);
    ck_assert_uint_eq(q->fallbacks, 9);
    ck_assert_uint_eq(q->ncomps, 2);
    ck_assert_str_eq(q->comps[0].name, "app server %1");
    ck_assert_str_eq(q->comps[1].name, "");
    ck_assert_str_eq(q->comps[0].kind, "service");
    ck_assert_ptr_eq(q->comps[0].kind, q->comps[1].kind);
    same_double(q->comps[0].servers, -0.0);
    same_double(q->comps[0].mean_busy, 5e-324);
    same_double(q->comps[0].mean_queue, 1.7976931348623157e308);
    same_double(q->comps[0].mean_insys, (double)INFINITY);
    same_hist(&q->comps[0].resp, &r.comps[0].resp);
    ck_assert_uint_eq(q->ts_nrows, 2);
    ck_assert_str_eq(q->ts_names[0], "app.queue");
    for (size_t i = 0; i < 4; i++)
        same_double(q->ts_rows[i], r.ts_rows[i]);
    ck_assert_str_eq(q->extra[0].name, "cache.hit_ratio");
    same_double(q->extra[0].value, 0.1 + 0.2);
    ck_assert_ptr_null(q->stop.busiest);
    same_double(q->stop.offered_rps, (double)NAN);
    ck_assert_int_eq(q->attribution, 1);
    ck_assert_uint_eq(q->nattr, 1);
    ck_assert_str_eq(q->attr[0].client, "web users");
    for (size_t g = 0; g < 3; g++)
        same_double(q->attr[0].n[g], r.attr[0].n[g]);
    ck_assert_uint_eq(q->attr[0].nrows, 2);
    for (size_t k = 0; k < 2; k++) {
        ck_assert_str_eq(q->attr[0].rows[k].component, r.attr[0].rows[k].component);
        ck_assert_str_eq(q->attr[0].rows[k].phase, r.attr[0].rows[k].phase);
        for (size_t g = 0; g < 3; g++)
            same_double(q->attr[0].rows[k].ns[g], r.attr[0].rows[k].ns[g]);
    }
    partfile_free(&p);
    run_result_free(&r);
}
END_TEST

START_TEST(damaged_files_are_refused_with_a_place)
{
    struct run_result r;
    fill_run(&r);
    const char *sets[] = {NULL};
    struct part_header h = {"0.1.0", 1, "x.ini", 1, sets, 0, "", 0, 1, 1};
    write_part(&h, &r, 1);
    run_result_free(&r);
    char path[128], why[128];
    snprintf(path, sizeof path, "%s/%s", dir, PARTFILE_NAME);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    struct part p;
    /* every cut short of the whole file is refused (never a crash) */
    for (size_t cut = 0; cut + 1 < len; cut += 7) {
        f = fopen(path, "wb");
        fwrite(buf, 1, cut, f);
        fclose(f);
        ck_assert_msg(partfile_read(path, &p, why, sizeof why) == -1, "cut at %zu read", cut);
        ck_assert(why[0] != '\0');
    }
    /* a number where a word is expected */
    char *runword = strstr(buf, "\nrun ");
    ck_assert_ptr_nonnull(runword);
    memcpy(runword + 1, "rum", 3);
    f = fopen(path, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    ck_assert_int_eq(partfile_read(path, &p, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "expected 'run'") != NULL, "%s", why);
    ck_assert(strncmp(why, "token ", 6) == 0);
}
END_TEST

Suite *partfile_suite(void)
{
    Suite *s = suite_create("partfile");
    TCase *tc = tcase_create("round trip");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_run_reads_back_bit_for_bit);
    tcase_add_test(tc, damaged_files_are_refused_with_a_place);
    suite_add_tcase(s, tc);
    return s;
}
