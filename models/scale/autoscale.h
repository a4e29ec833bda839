/* autoscale: the decision rule of a horizontal autoscaler, modelled on the
 * Kubernetes HorizontalPodAutoscaler (autoscaling/v2):
 *
 *   desired = ceil(current * metric / target), left alone when
 *             |metric / target - 1| <= tolerance, clamped to [min, max];
 *   scaling up takes effect at once; scaling down takes the highest
 *   recommendation of the last `window` (the scale-down stabilisation
 *   window), so a brief dip does not remove replicas.
 *
 * This module is only the rule (pure, unit-tested); the service measures the
 * metric every `period` and adds replicas (after `cold_start`) or drains them. */
#ifndef SDSIM_MODELS_AUTOSCALE_H
#define SDSIM_MODELS_AUTOSCALE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/policy.h"
#include "sim/spec.h"

enum hpa_metric {
    HPA_UTILISATION, /* busy workers / workers of the ready replicas, averaged over the period */
    HPA_QUEUE,       /* mean waiting requests per ready replica over the period */
    HPA_RPS,         /* arrivals per second per ready replica over the period */
    HPA_LAG,         /* messages no consumer has started (waiting, or fetched but not in
                        processing) per ready consumer at the reading (KEDA's lag
                        threshold; [consumers] only) */
};

#define HPA_MAX_RECS 4096

struct hpa {
    enum hpa_metric metric;
    double target;
    double tolerance;
    uint32_t min, max;
    int64_t period_ns, window_ns, cold_start_ns;
    size_t nrecs, head;    /* ring of recent recommendations */
    int64_t rec_at[HPA_MAX_RECS];
    uint32_t rec[HPA_MAX_RECS];
};

extern const struct param_spec hpa_params[];

/* For `sdsim list autoscale`. */
extern const struct policy_family autoscale_family; /* lookups and `sdsim list` */

/* Parses "hpa(metric=utilisation, target=60%, ...)". Returns 0 or -1. */
int hpa_setup(struct hpa *h, const char *text, struct loc loc, struct diag *d);

/* Seeds the window with the starting count, as the Kubernetes controller
 * does when it first sees a workload: no scale-down before `window`. */
void hpa_start(struct hpa *h, int64_t now_ns, uint32_t current);

/* The replica count to have, given `current` replicas (ready or starting) and
 * the metric measured over the last period; records the recommendation. */
uint32_t hpa_decide(struct hpa *h, int64_t now_ns, uint32_t current, double metric);

#endif
