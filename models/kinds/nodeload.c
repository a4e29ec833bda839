/* nodeload: per-node counts and their statistics (see nodeload.h). The
 * in-flight levels keep ge[k] = #nodes with at least k in flight; a request
 * moves one node from level j to j + 1 (or back), so exactly one ge[k]
 * changes, and only its integral is brought up to date: O(1) whatever n. */
#include "models/kinds/nodeload.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "sim/xalloc.h"

void nodeload_init(struct nodeload *l, uint32_t n, bool track_inflight)
{
    memset(l, 0, sizeof *l);
    l->n = n ? n : 1;
    l->routed = xcalloc(l->n, sizeof *l->routed);
    if (track_inflight)
        l->inflight = xcalloc(l->n, sizeof *l->inflight);
    l->ge[0] = l->n;
}

void nodeload_fini(struct nodeload *l)
{
    free(l->routed);
    free(l->inflight);
    l->routed = NULL;
    l->inflight = NULL;
}

static void level_move(struct nodeload *l, uint32_t k, int delta, int64_t now_ns)
{
    if (k > NODELOAD_K)
        return;
    l->area_ns[k] += (double)l->ge[k] * (double)(now_ns - l->last_ns[k]);
    l->last_ns[k] = now_ns;
    l->ge[k] = (uint32_t)((int64_t)l->ge[k] + delta);
}

void nodeload_start(struct nodeload *l, uint32_t i, int64_t now_ns, bool measuring)
{
    if (i >= l->n)
        return;
    l->routed[i] += measuring;
    if (l->inflight)
        level_move(l, ++l->inflight[i], 1, now_ns);
}

void nodeload_done(struct nodeload *l, uint32_t i, int64_t now_ns)
{
    if (i >= l->n || !l->inflight || l->inflight[i] == 0)
        return;
    level_move(l, l->inflight[i]--, -1, now_ns);
}

void nodeload_reset(struct nodeload *l, int64_t now_ns)
{
    memset(l->routed, 0, l->n * sizeof *l->routed);
    for (unsigned k = 0; k <= NODELOAD_K; k++) {
        l->area_ns[k] = 0;
        l->last_ns[k] = now_ns;
    }
    l->since_ns = now_ns;
}

void nodeload_shares(const struct nodeload *l, uint32_t n, double *max_over_mean, double *cv)
{
    *max_over_mean = *cv = 0;
    if (n > l->n)
        n = l->n;
    if (n == 0)
        return;
    double sum = 0, max = 0;
    for (uint32_t i = 0; i < n; i++) {
        double x = (double)l->routed[i];
        sum += x;
        if (x > max)
            max = x;
    }
    if (sum == 0)
        return;
    double mean = sum / n, ss = 0;
    for (uint32_t i = 0; i < n; i++) {
        double dx = (double)l->routed[i] - mean;
        ss += dx * dx;
    }
    *max_over_mean = max / mean;
    *cv = sqrt(ss / n) / mean;
}

double nodeload_frac_ge(const struct nodeload *l, unsigned k, int64_t end_ns)
{
    if (k > NODELOAD_K || !l->inflight || end_ns <= l->since_ns)
        return 0;
    double area = l->area_ns[k] + (double)l->ge[k] * (double)(end_ns - l->last_ns[k]);
    return area / ((double)l->n * (double)(end_ns - l->since_ns));
}

size_t nodeload_metrics(const struct nodeload *l, uint32_t n, int64_t end_ns,
                        struct metric_out *out, size_t max)
{
    static const char *const ge_names[NODELOAD_K + 1] = {
        "inflight_ge0", "inflight_ge1", "inflight_ge2", "inflight_ge3", "inflight_ge4",
        "inflight_ge5", "inflight_ge6", "inflight_ge7", "inflight_ge8",
    };
    double mom, cv;
    nodeload_shares(l, n, &mom, &cv);
    size_t k = 0;
    if (k < max)
        out[k++] = (struct metric_out){"nodes", (double)(n < l->n ? n : l->n), true};
    if (k < max)
        out[k++] = (struct metric_out){"share_max_over_mean", mom, true};
    if (k < max)
        out[k++] = (struct metric_out){"share_cv", cv, true};
    for (unsigned j = 0; l->inflight && j <= NODELOAD_K && k < max; j++)
        out[k++] = (struct metric_out){ge_names[j], nodeload_frac_ge(l, j, end_ns), true};
    return k;
}
