/* testlib: shared helpers of the Check suites (see testlib.h). */
#include "tests/testlib.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/model.h"
#include "sim/runner.h"

static struct scenario *parse_valid(const char *text, struct diag *d)
{
    struct scenario *sc = scenario_parse("t.ini", text, d);
    ck_assert_msg(sc != NULL, "%s", diag_count(d) ? diag_message(d, 0) : "parse failed");
    ck_assert_msg(scenario_find_sweeps(sc, d) == 0, "%s", diag_message(d, 0));
    return sc;
}

void tl_model_build(struct sim *sim, struct scenario **sc, struct sc_point **pt,
                    const char *text, uint64_t seed, int64_t end_ns)
{
    struct diag *d = diag_new();
    *sc = parse_valid(text, d);
    *pt = scenario_point(*sc, 0);
    sim_init(sim, seed, 0, end_ns);
    int rc = model_build(sim, *pt, d);
    ck_assert_msg(rc == 0, "%s", diag_count(d) ? diag_message(d, 0) : "");
    diag_free(d);
}

void tl_model_free(struct sim *sim, struct scenario **sc, struct sc_point **pt)
{
    if (*pt) {
        sim_fini(sim);
        scenario_point_free(*pt);
        scenario_free(*sc);
    }
    *pt = NULL;
    *sc = NULL;
}

static void tick(struct sim *s, void *a, void *b)
{
    (void)s;
    (void)a;
    (void)b;
}

void tl_run_until(struct sim *sim, int64_t t_ns)
{
    struct evq_event ev;
    sim_at(sim, t_ns, tick, NULL, NULL);
    while (evq_peek_time(sim->q) <= t_ns && evq_pop(sim->q, &ev)) {
        sim->now_ns = ev.at_ns; /* as sim_run does */
        ev.fn(sim, ev.a, ev.b);
    }
}

double tl_metric(const struct sim *sim, const struct component *c, const char *name)
{
    struct metric_out out[64];
    size_t n = c->kind->metrics(sim, c, sim_now(sim), out, 64);
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i].name, name) == 0)
            return out[i].value;
    ck_abort_msg("%s has no metric %s", c->name, name);
    return (double)NAN;
}

static void sink_request(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r;
}

static void sink_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct tl_sink *s = (struct tl_sink *)c;
    s->replies++;
    s->oks += r->status == REQ_OK;
    s->errors += r->status == REQ_ERROR;
    s->last_status = r->status;
    s->last_version = r->version;
    s->last_reply_ns = sim_now(sim);
    if (r->op == OP_READ)
        s->read_reply_ns = s->last_reply_ns;
    sim_req_free(sim, r);
}

static const struct kind sink_kind = {
    .name = "sink",
    .on_request = sink_request,
    .on_reply = sink_reply,
};

void tl_sink_init(struct tl_sink *s)
{
    memset(s, 0, sizeof *s);
    kind_bind(&s->c, &sink_kind);
    s->c.name = "sink";
    s->last_reply_ns = s->read_reply_ns = -1;
}

void tl_sink_send(struct sim *sim, struct tl_sink *s, struct request *r, struct component *to)
{
    sim_enter(r, &s->c);
    sim_send(sim, &s->c, r, to);
}

struct run_result *tl_runs(const char *text, int jobs, size_t *n)
{
    struct diag *d = diag_new();
    struct scenario *sc = parse_valid(text, d);
    int rc = runner_validate(sc, d);
    ck_assert_msg(rc == 0, "%s", diag_count(d) ? diag_message(d, 0) : "");
    struct runner_opts o = {.jobs = jobs};
    *n = runner_nruns(sc, &o, NULL, NULL);
    struct run_result *res = calloc(*n + 1, sizeof *res);
    ck_assert_int_eq(runner_run(sc, &o, res, d), 0);
    diag_free(d);
    scenario_free(sc);
    return res;
}

void tl_runs_free(struct run_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_result_free(&r[i]);
    free(r);
}

struct run_result *tl_run_one(const char *text)
{
    size_t n;
    struct run_result *r = tl_runs(text, 1, &n);
    ck_assert_uint_eq(n, 1);
    return r;
}

double tl_ts_at(const struct run_result *r, const char *name, double t_s)
{
    size_t col = 0;
    while (col < r->ts_ncols && strcmp(r->ts_names[col], name) != 0)
        col++;
    ck_assert_msg(col < r->ts_ncols, "no time series %s", name);
    for (size_t k = 0; k < r->ts_nrows; k++) {
        const double *row = r->ts_rows + k * (1 + r->ts_ncols);
        if (fabs(row[0] - t_s) < 1e-9)
            return row[1 + col];
    }
    ck_abort_msg("no row at t=%g", t_s);
    return (double)NAN;
}

struct request *tl_sink_publish(struct sim *sim, struct tl_sink *s, uint64_t key,
                                struct component *to)
{
    struct request *r = sim_req_new(sim);
    r->key = key;
    r->op = OP_WRITE;
    r->work_seed = 0x9e3779b97f4a7c15ULL * key;
    tl_sink_send(sim, s, r, to);
    return r;
}
