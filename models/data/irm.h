/* irm: hit ratios of a cache under the independent reference model (IRM):
 * key i (1-based rank) of n is requested with probability
 * p_i = i^-s / H(n, s), requests independent (Zipf(s); s = 0 is uniform).
 * One implementation for the model's napkin math (models/napkin.c) and the
 * formulas `sdsim list theory` and the validator use (output/theory.c). */
#ifndef SDSIM_MODELS_IRM_H
#define SDSIM_MODELS_IRM_H

#include <stddef.h>

/* H(n, s) = sum_{i=1..n} i^-s (NAN for n = 0 or s negative). */
double irm_zipf_norm(size_t n, double s);

/* Che's approximation for LRU (Che, Tung and Wang, IEEE JSAC 20(7), 2002;
 * asymptotically exact, Fricker, Robert and Roberts 2012): the
 * characteristic time T (in requests) solves sum_i (1 - e^(-p_i T)) = C,
 * key i hits with probability 1 - e^(-p_i T), and the hit ratio is
 * sum_i p_i (1 - e^(-p_i T)). T by Newton's method from below (monotone for
 * this concave sum), O(n) per step. Conditions: IRM with Zipf(s) or uniform
 * popularity over n keys, C unit-size objects, 0 <= C; C >= n gives hit
 * ratio 1 (T infinite). NAN when the arguments are out of range or Newton
 * does not converge. */
double irm_che_lru_time(size_t n, double s, double capacity);
double irm_che_lru_hit_ratio(size_t n, double s, double capacity);

/* Martina, Garetto and Leonardi (INFOCOM 2014) for FIFO and RANDOM: key i
 * hits with probability p_i T / (1 + p_i T), T solves
 * sum_i p_i T / (1 + p_i T) = C. Conditions as for Che. */
double irm_martina_fifo_time(size_t n, double s, double capacity);
double irm_martina_fifo_hit_ratio(size_t n, double s, double capacity);

#endif
