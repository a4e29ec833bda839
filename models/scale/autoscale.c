/* autoscale: the HPA rule. See autoscale.h. Cost per decision: O(window /
 * period) to find the highest recommendation in the window (at most
 * HPA_MAX_RECS, checked at set-up). */
#include "models/scale/autoscale.h"

#include <math.h>
#include <string.h>

#include "models/kind.h"
#include "sim/units.h"

const struct param_spec hpa_params[] = {
    {"metric", "name", "utilisation",
     "utilisation, queue (waiting per replica), rps (per replica) or lag (a [consumers] "
     "group: messages not yet started per consumer, waiting or fetched, as KEDA's lag "
     "threshold)"},
    {"target", "number", "60%", "the metric's target per replica (a fraction for utilisation)"},
    {"min", "int", "1", "fewest replicas"},
    {"max", "int", "10", "most replicas"},
    {"period", "duration", "15s", "how often the metric is read and replicas adjusted"},
    {"tolerance", "fraction", "10%", "no change while |metric/target - 1| is within this"},
    {"window", "duration", "300s", "scale-down stabilisation: the highest recommendation of this long"},
    {"cold_start", "duration", "0s", "delay before a new replica takes traffic"},
    {NULL, NULL, NULL, NULL},
};

static int get_duration(const struct spec *sp, const char *key, int64_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, hpa_params, key, &loc);
    const char *why;
    if (units_parse_duration(v, out, &why) < 0)
        return diag_error(d, loc, "bad %s '%s': %s", key, v, why);
    return 0;
}

static int get_count(const struct spec *sp, const char *key, uint32_t *out, struct diag *d)
{
    struct loc loc;
    const char *v = spec_value(sp, hpa_params, key, &loc);
    long long x;
    const char *why;
    if (units_parse_int(v, &x, &why) < 0 || x < 1 || x > 100000)
        return diag_error(d, loc, "bad %s '%s': a whole number from 1 to 100000", key, v);
    *out = (uint32_t)x;
    return 0;
}

int hpa_setup(struct hpa *h, const char *text, struct loc loc, struct diag *d)
{
    memset(h, 0, sizeof *h);
    struct spec sp;
    if (!policy_setup(&autoscale_family, text, loc, &sp, d))
        return -1;
    int rc = 0;
    struct loc ml;
    const char *m = spec_value(&sp, hpa_params, "metric", &ml);
    if (strcmp(m, "utilisation") == 0 || strcmp(m, "utilization") == 0 || strcmp(m, "cpu") == 0)
        h->metric = HPA_UTILISATION;
    else if (strcmp(m, "queue") == 0)
        h->metric = HPA_QUEUE;
    else if (strcmp(m, "rps") == 0)
        h->metric = HPA_RPS;
    else if (strcmp(m, "lag") == 0)
        h->metric = HPA_LAG;
    else
        rc = diag_error(d, ml, "unknown metric '%s' (known: utilisation, queue, rps, lag)", m);
    struct loc tl;
    const char *t = spec_value(&sp, hpa_params, "target", &tl);
    const char *why;
    if (strchr(t, '%') ? units_parse_fraction(t, &h->target, &why) < 0
                       : units_parse_double(t, &h->target, &why) < 0)
        rc = diag_error(d, tl, "bad target '%s'", t);
    else if (!(h->target > 0))
        rc = diag_error(d, tl, "target must be positive");
    struct loc ol;
    const char *tol = spec_value(&sp, hpa_params, "tolerance", &ol);
    if (units_parse_fraction(tol, &h->tolerance, &why) < 0)
        rc = diag_error(d, ol, "bad tolerance '%s': %s", tol, why);
    rc |= get_count(&sp, "min", &h->min, d);
    rc |= get_count(&sp, "max", &h->max, d);
    rc |= get_duration(&sp, "period", &h->period_ns, d);
    rc |= get_duration(&sp, "window", &h->window_ns, d);
    rc |= get_duration(&sp, "cold_start", &h->cold_start_ns, d);
    if (rc == 0 && h->min > h->max)
        rc = diag_error(d, sp.loc, "min (%u) is more than max (%u)", h->min, h->max);
    if (rc == 0 && h->period_ns <= 0)
        rc = diag_error(d, sp.loc, "period must be positive");
    if (rc == 0 && h->window_ns / h->period_ns >= HPA_MAX_RECS)
        rc = diag_error(d, sp.loc, "window is more than %d periods", HPA_MAX_RECS - 1);
    return rc ? -1 : 0;
}

void hpa_start(struct hpa *h, int64_t now_ns, uint32_t current)
{
    h->head = 0;
    h->nrecs = 1;
    h->rec_at[0] = now_ns;
    h->rec[0] = current;
}

uint32_t hpa_decide(struct hpa *h, int64_t now_ns, uint32_t current, double metric)
{
    double ratio = metric / h->target;
    uint32_t want = current;
    if (fabs(ratio - 1.0) > h->tolerance) {
        double x = ceil((double)current * ratio - 1e-9);
        want = x < 0 ? 0 : x > 1e6 ? 1000000 : (uint32_t)x;
    }
    if (want < h->min)
        want = h->min;
    if (want > h->max)
        want = h->max;
    /* record, dropping what left the window */
    size_t tail = (h->head + h->nrecs) % HPA_MAX_RECS;
    h->rec_at[tail] = now_ns;
    h->rec[tail] = want;
    h->nrecs++;
    while (h->nrecs > 0 && h->rec_at[h->head] < now_ns - h->window_ns) {
        h->head = (h->head + 1) % HPA_MAX_RECS;
        h->nrecs--;
    }
    if (want >= current)
        return want; /* scale up (or stay) at once */
    uint32_t highest = want;
    for (size_t i = 0; i < h->nrecs; i++) {
        uint32_t r = h->rec[(h->head + i) % HPA_MAX_RECS];
        if (r > highest)
            highest = r;
    }
    return highest < current ? highest : current;
}

static const struct policy_head hpa = {
    "hpa",
    "Kubernetes HPA rule: ceil(current * metric / target) every period, scale-down stabilised "
    "over a window",
    hpa_params};

static const struct policy_head *const autoscalers[] = {&hpa, NULL};

const struct policy_family autoscale_family = {
    "autoscale", "autoscaler",
    "horizontal autoscalers of a service or a [consumers] group (key: autoscale)",
    autoscalers};
