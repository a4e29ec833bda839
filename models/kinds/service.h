/* service: the replica pool component. Other kinds reach into a service only
 * through these functions: a balancer or a health check asks about replicas,
 * a fault schedule crashes, slows or breaks them. */
#ifndef SDSIM_MODELS_SERVICE_H
#define SDSIM_MODELS_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#include "models/kind.h" /* enum fault_action */

extern const struct kind kind_service;

bool service_is(const struct component *c);
/* Does the service guard its calls (call_timeout, breaker, bulkhead) or
 * shed load? Clients then report their outcomes by cause. */
bool service_is_guarded(const struct component *c);
/* Does the service authenticate or authorise (`auth`, `rbac`)? */
bool service_has_auth(const struct component *c);
/* The service's admission gate (`limit` and its keys; models/admission/gate.h). */
struct gate *service_gate(const struct component *c);
/* Replica slots (the most replicas it can have), and how many take new
 * requests now (replicas [0, ready)); they differ under autoscaling. */
uint32_t service_replicas(const struct component *c);
uint32_t service_ready(const struct component *c);
bool service_replica_up(const struct component *c, uint32_t replica);

/* Starts (start = true) or ends a fault on one replica, or on all when
 * replica < 0. A crash fails the replica's queued and in-service requests at
 * once with an error; requests waiting on a downstream call fail when that
 * call returns. */
void service_fault(struct sim *sim, struct component *c, int32_t replica, enum fault_action a,
                   double value, bool start);

#endif
