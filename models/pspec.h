/* pspec: typed readers for the arguments of a policy spec
 * ("exponential(base=5ms, cap=2s, jitter=full)"), shared by the resilience
 * families (backoff, breaker, bulkhead, shed); sim/policy.h finds the
 * policy. Each reader takes the value of `key` from sp (named, positional or
 * the default in params), reports a bad value at its location and returns
 * -1, else 0. */
#ifndef SDSIM_MODELS_PSPEC_H
#define SDSIM_MODELS_PSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/diag.h"
#include "sim/spec.h"

int pspec_duration(const struct spec *sp, const struct param_spec *p, const char *key,
                   int64_t *out_ns, struct diag *d);
int pspec_int(const struct spec *sp, const struct param_spec *p, const char *key, long long min,
              long long max, long long *out, struct diag *d);
int pspec_fraction(const struct spec *sp, const struct param_spec *p, const char *key,
                   double *out, struct diag *d);
int pspec_double(const struct spec *sp, const struct param_spec *p, const char *key, double min,
                 double max, double *out, struct diag *d);
/* One of the NULL-terminated words; *out is its index. */
int pspec_choice(const struct spec *sp, const struct param_spec *p, const char *key,
                 const char *const *words, int *out, struct diag *d);

#endif
