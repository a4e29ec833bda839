/* theory: closed forms and standard approximations from queueing and caching
 * theory: the one implementation that both the validator (tests/validate)
 * and the planned `theory` column beside simulated results use.
 *
 * Every function is a pure function of its arguments: no globals, no I/O,
 * no allocation (except theory_jsq2_*, which needs a work array). Each says
 * its source and the conditions under which it is the answer; a caller that
 * cannot vouch for the conditions must not print the value (`-` instead).
 * theory_methods() lists the same conditions as text for `sdsim list theory`.
 *
 * Conventions, for all functions unless a comment says otherwise:
 * - Rates (lambda, mu) are per unit of time and times are in the inverse
 *   unit; any unit works if it is the same throughout. Rates are totals of a
 *   station: lambda arrivals per unit time to the station, mu the service
 *   rate of ONE worker (server), so rho = lambda / (c mu).
 * - Invalid arguments (negative or NaN rates, mu <= 0, c == 0, a
 *   probability outside (0, 1), ...) return NAN.
 * - An infinite-waiting-room queue that is not stable (rho >= 1) has no
 *   steady state: means and quantiles of waits and response times return
 *   +INFINITY, and the probability of waiting returns 1 (the limit).
 * - Quantile p is a probability in (0, 1): p = 0.99 is the 99th percentile.
 * - "FIFO" means first come first served; mean values of the work-conserving
 *   single-class disciplines that do not look at service times (FIFO, LIFO,
 *   random order) coincide, but quantiles are FIFO only. */
#ifndef SDSIM_OUTPUT_THEORY_H
#define SDSIM_OUTPUT_THEORY_H

#include <stddef.h>

/* ---- Erlang B and C: M/M/c and M/G/c/c ------------------------------------ */

/* Erlang B: the probability that an arrival finds all c servers busy and is
 * lost, with offered load a = lambda / mu erlangs (Erlang 1917). Computed
 * by the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which is
 * stable for c in the millions (O(c) time). Conditions: Poisson arrivals,
 * c servers, no waiting room (M/G/c/c); ANY service distribution with that
 * mean (insensitivity, Sevastyanov 1957). The mean number of busy servers is
 * a (1 - B). */
double theory_erlang_b(unsigned c, double a);

/* Erlang C: the probability that an arrival waits in M/M/c, with offered
 * load a = lambda / mu < c: C = c B / (c - a (1 - B)) with B = Erlang B
 * (Kleinrock 1975, Vol. 1, s3.5). Conditions: Poisson arrivals, exponential
 * service, c identical servers sharing one unbounded FIFO queue. a >= c: 1. */
double theory_erlang_c(unsigned c, double a);

/* M/M/c mean wait in queue Wq = C / (c mu - lambda), and mean response
 * (sojourn) time Wq + 1/mu (Kleinrock 1975, s3.5). Conditions as for
 * theory_erlang_c; c = 1 is M/M/1: Wq = rho / (mu - lambda). */
double theory_mmc_wait_mean(unsigned c, double lambda, double mu);
double theory_mmc_response_mean(unsigned c, double lambda, double mu);

/* M/M/c FIFO waiting time: P(Wq > t) = C exp(-(c mu - lambda) t) for
 * t >= 0 (an atom 1 - C at 0 plus an exponential; Gross and Harris,
 * Fundamentals of Queueing Theory, s2.3). The p-quantile is 0 when
 * p <= 1 - C, else ln(C / (1 - p)) / (c mu - lambda). */
double theory_mmc_wait_sf(unsigned c, double lambda, double mu, double t);
double theory_mmc_wait_quantile(unsigned c, double lambda, double mu, double p);

/* M/M/c FIFO response time T = S + Wq with S ~ Exp(mu) independent of Wq:
 * P(T > t) = (1 - C) e^(-mu t) + C P(Exp(mu) + Exp(c mu - lambda) > t),
 * exact, in a form that stays accurate when c mu - lambda is close to mu.
 * The quantile inverts it by bisection to 1e-15 relative. For c = 1 it is
 * Exp(mu - lambda): the p-quantile is -ln(1 - p) / (mu - lambda). */
double theory_mmc_response_sf(unsigned c, double lambda, double mu, double t);
double theory_mmc_response_quantile(unsigned c, double lambda, double mu, double p);

/* ---- M/M/c/K: finite capacity --------------------------------------------- */

/* M/M/c/K: Poisson arrivals, exponential service, c servers, at most K >= c
 * requests in the system (c in service + K - c waiting); an arrival that
 * finds K is lost (Gross and Harris s2.5, s2.6; birth-death chain solved in
 * log space, stable for large c and K, O(K) time). Any load is allowed (the
 * system is always stable). blocking: P(an arrival is lost) = p_K (PASTA);
 * mean_in_system: L; response_mean: mean sojourn of admitted requests,
 * L / (lambda (1 - p_K)) (Little). K == c is Erlang B. lambda == 0 gives
 * blocking 0, L 0 and response 1/mu. */
double theory_mmck_blocking(unsigned c, unsigned k, double lambda, double mu);
double theory_mmck_mean_in_system(unsigned c, unsigned k, double lambda, double mu);
double theory_mmck_response_mean(unsigned c, unsigned k, double lambda, double mu);

/* M/M/c/K FIFO response time of an admitted request: a mixture over the
 * number n < K it finds (PASTA, probability p_n / (1 - p_K)) of Exp(mu)
 * (n < c) and Erlang(n - c + 1, c mu) + Exp(mu) (n >= c), summed as
 * positive Poisson-weighted terms (no cancellation; see theory.c), to about
 * 1e-15 absolute. The quantile inverts it by bisection to 1e-15 relative;
 * O(K + c mu t) per evaluation. Any load. K == c: Exp(mu). */
double theory_mmck_response_sf(unsigned c, unsigned k, double lambda, double mu, double t);
double theory_mmck_response_quantile(unsigned c, unsigned k, double lambda, double mu, double p);

/* ---- M/D/1/K: finite capacity, constant service ------------------------------ */

/* M/D/1/K: Poisson arrivals at lambda, constant service d, one server, at
 * most K requests in the system (one in service, K - 1 waiting); an arrival
 * that finds K is lost. Returns P(an arrival is lost) (PASTA). Method (Gross
 * and Harris, Fundamentals of Queueing Theory, M/G/1/K): the departure-epoch
 * chain on {0, ..., K-1} is solved by the level-crossing recursion
 * pi_{j+1} a_0 = pi_0 A_j + sum_{i=1..j} pi_i A_{j-i+1}, with a_m the
 * Poisson(rho) probabilities and A_m = P(more than m arrivals in d), all
 * terms positive so it is stable; then P(loss) = 1 - 1 / (pi_0 + rho),
 * rho = lambda d, from lambda (1 - P) d = 1 - pi_0 (1 - P). O(K^2) time;
 * any load; 1 <= K <= THEORY_MD1K_MAX, else NAN. K = 1 gives rho / (1 + rho).
 * A token bucket with continuous refill at r per second and size b admits
 * a Poisson stream exactly as M/D/1/b with d = 1/r admits it: the missing
 * tokens, times 1/r, are the queue's unfinished work (models/admission/limit_token_bucket.c). */
#define THEORY_MD1K_MAX 4096
double theory_md1k_loss(unsigned k, double lambda, double d);

/* ---- M/G/1 and G/G/c ------------------------------------------------------ */

/* Pollaczek-Khinchine mean wait of M/G/1: Wq = lambda E[S^2] / (2 (1 - rho))
 * = rho E[S] (1 + scv) / (2 (1 - rho)) with rho = lambda E[S] and scv the
 * squared coefficient of variation of service, Var[S] / E[S]^2 (Kleinrock
 * 1975, s5.6). Conditions: Poisson arrivals, one server, i.i.d. service
 * with finite second moment, independent of arrivals, work-conserving
 * non-preemptive order that ignores service times (FIFO). scv = 1: M/M/1;
 * scv = 0: M/D/1. Response mean = Wq + E[S]. */
double theory_mg1_wait_mean(double lambda, double mean_s, double scv);
double theory_mg1_response_mean(double lambda, double mean_s, double scv);

/* Second moment of the M/G/1 FIFO wait (Takacs 1962):
 * E[Wq^2] = 2 Wq^2 + lambda E[S^3] / (3 (1 - rho)), from the service
 * moments s1 = E[S], s2 = E[S^2], s3 = E[S^3]. Conditions as above, plus a
 * finite third moment. */
double theory_mg1_wait_m2(double lambda, double s1, double s2, double s3);

/* M/D/1, constant service d: theory_mg1_* with scv = 0. */
double theory_md1_wait_mean(double lambda, double d);
double theory_md1_response_mean(double lambda, double d);

/* M/D/1 FIFO waiting-time distribution (Erlang 1909), computed in Franx's
 * form (Oper. Res. Letters 29, 2001), a sum of positive terms that keeps
 * full precision at any t (Erlang's alternating sum does not), to about
 * 1e-13; O(64 t / d) time, no allocation. The quantile is 0 for
 * p <= 1 - rho, else found by bisection to 1e-13 relative; the response
 * time is the wait plus d. Conditions: Poisson arrivals, constant service
 * d, one server, FIFO, rho < 1. t / d above 1e6: NAN. */
double theory_md1_wait_cdf(double lambda, double d, double t);
double theory_md1_wait_quantile(double lambda, double d, double p);
double theory_md1_response_quantile(double lambda, double d, double p);

/* G/G/c mean wait, APPROXIMATION (Allen-Cunneen; Kingman 1961 for c = 1):
 * Wq ~ Wq(M/M/c) (scv_a + scv_s) / 2, with scv_a and scv_s the squared
 * coefficients of variation of the interarrival and service times and
 * Wq(M/M/c) at the same lambda and mu = 1 / mean_s (Allen, Probability,
 * Statistics and Queueing Theory, 1990; Whitt 1993). Exact for M/M/c (both
 * scv 1) and M/G/1 (scv_a = 1); else an approximation, best in heavy
 * traffic and poor when rho is small or the scvs are far from 1.
 * Conditions: renewal arrivals, i.i.d. service, c servers sharing one FIFO
 * queue, rho < 1. */
double theory_allen_cunneen_wait_mean(unsigned c, double lambda, double mean_s, double scv_a,
                                      double scv_s);

/* ---- E_k/M/1: round robin over k M/M/1 servers ---------------------------- */

/* GI/M/1 with Erlang-k interarrival times of rate lambda (mean 1/lambda) and
 * exponential service of rate mu: sigma is the root in (0, 1) of
 * sigma = A*(mu (1 - sigma)), A*(s) = (k lambda / (k lambda + s))^k
 * (Kleinrock 1975, s6.4), found by bisection; k = INFINITY is D/M/1
 * (A*(s) = exp(-s / lambda)). sigma is P(an arrival waits); the FIFO
 * response time is Exp(mu (1 - sigma)) and the mean wait
 * sigma / (mu (1 - sigma)). Strict round robin of Poisson(k lambda) arrivals
 * over k single-worker exponential FIFO servers gives each server exactly
 * this queue. Unstable (lambda >= mu): sigma = 1. */
double theory_ekm1_sigma(double k, double lambda, double mu);
double theory_ekm1_wait_mean(double k, double lambda, double mu);
double theory_ekm1_response_mean(double k, double lambda, double mu);
double theory_ekm1_response_quantile(double k, double lambda, double mu, double p);

/* ---- load balancing ------------------------------------------------------- */

/* Random split: Poisson(lambda) arrivals each sent to one of n replicas
 * chosen uniformly at random, independently of the state (Poisson
 * thinning); each replica is an M/M/c queue with lambda / n. Mean and FIFO
 * quantile of the response time. */
double theory_random_split_response_mean(unsigned n, unsigned c, double lambda, double mu);
double theory_random_split_response_quantile(unsigned n, unsigned c, double lambda, double mu,
                                             double p);

/* Power of d choices (the supermarket model), mean-field limit as the
 * number of replicas N -> infinity (Vvedenskaya, Dobrushin and Karpelevich
 * 1996; Mitzenmacher, IEEE TPDS 12(10), 2001): with per-replica load rho < 1, the
 * fraction of queues with at least i requests is rho^((d^i - 1)/(d - 1)),
 * and the mean time in system is
 *   T = (1/mu) sum_{i >= 1} rho^((d^i - d)/(d - 1)).
 * An arrival waits with probability rho^d. Conditions: Poisson arrivals,
 * each request samples d replicas uniformly at random (with replacement)
 * and joins the one with the fewest requests, one exponential worker per
 * replica, FIFO, N large (the error is O(1/N)). d = 1 is M/M/1. */
double theory_power_of_d_response_mean(unsigned d, double rho, double mu);
double theory_power_of_d_wait_prob(unsigned d, double rho);

/* Join the shortest of 2 queues (ties at random), each one exponential
 * worker of rate mu, Poisson arrivals at 2 rho mu: the exact CTMC on
 * (shorter queue, difference), truncated at 200 x 40 and solved by
 * Gauss-Seidel (Flatto and McKean 1977 and Adan, Wessels and Zijm 1990
 * solve the same chain analytically). Mean time in system, and the
 * probability that an arrival waits (both queues busy, PASTA). Allocates
 * a 66 KB work array; about 0.5 s at rho = 0.9. Conditions: as stated,
 * rho <= 0.95 (beyond, the truncation is not accurate: NAN). */
double theory_jsq2_response_mean(double rho, double mu);
double theory_jsq2_wait_prob(double rho, double mu);

/* ---- Jackson networks and closed loops ------------------------------------ */

/* Open Jackson network (Jackson 1957): n stations, station i with c[i]
 * exponential workers of rate mu[i], one FIFO queue; external Poisson
 * arrivals at rate lambda; visits[i] is the mean number of visits a request
 * makes to station i (the solution of the traffic equations, see
 * theory_jackson_visits). Each station is then M/M/c[i] with arrival rate
 * lambda visits[i] (product form), and the mean end-to-end sojourn is
 * sum_i visits[i] T_i. Conditions: Markovian routing independent of the
 * state, every station stable. */
double theory_jackson_response_mean(size_t n, const double *visits, const unsigned *c,
                                    const double *mu, double lambda);

/* The visit ratios v = entry + R^T v of an open network: entry[i] is the
 * probability that a request enters at station i, route[i * n + j] the
 * probability of going from i to j after service (rows sum to <= 1, the
 * rest leaves). Gauss-Seidel to 1e-14 relative. Returns 0, or -1 when the
 * network is not open (a request may never leave) or an argument is bad. */
int theory_jackson_visits(size_t n, const double *entry, const double *route, double *visits);

/* Tandem of n stations (every request visits each once): the sum of the
 * M/M/c[i] mean response times at lambda. */
double theory_tandem_response_mean(size_t n, const unsigned *c, const double *mu, double lambda);

/* Tandem of n single-worker exponential FIFO stations: one request's
 * sojourn times are independent Exp(mu[i] - lambda) (Burke 1956, Reich
 * 1957), so end-to-end time is hypoexponential; its p-quantile by
 * bisection on theory_hypoexp_sf. n <= THEORY_HYPOEXP_MAX. Not valid for
 * c > 1 stations (their sojourn times are not independent). */
double theory_tandem_mm1_response_quantile(size_t n, const double *mu, double lambda, double p);

/* One station with c exponential workers where a request, after service,
 * re-joins the end of the queue with probability q < 1 (Bernoulli feedback,
 * a retry loop without backoff): visits 1 / (1 - q), so the station is
 * M/M/c with lambda / (1 - q) and the mean end-to-end time per request is
 * T(lambda / (1 - q)) / (1 - q) (Jackson 1957). */
double theory_feedback_response_mean(unsigned c, double lambda, double mu, double q);

/* Survival P(X > t) of X = sum of n independent Exp(rate[i]) (hypo-
 * exponential; equal rates allowed), by uniformization, accurate to 1e-14
 * absolute. n <= THEORY_HYPOEXP_MAX. */
#define THEORY_HYPOEXP_MAX 64
double theory_hypoexp_sf(size_t n, const double *rate, double t);

/* Closed loop, exact Mean Value Analysis (Reiser and Lavenberg 1980):
 * `users` clients each think for a mean think_time (any distribution), then
 * send a request to one FIFO single-worker exponential server of mean
 * service time service_time and wait for its reply. Throughput (requests
 * per unit time) and mean response time at the server. */
double theory_mva_throughput(unsigned users, double think_time, double service_time);
double theory_mva_response_mean(unsigned users, double think_time, double service_time);

/* ---- caches under the independent reference model -------------------------- */

/* Popularity: key i (1-based rank) of n is requested with probability
 * p_i = i^-s / H(n, s), requests independent (IRM, Zipf(s); s = 0 is
 * uniform). theory_zipf_norm returns H(n, s) = sum_{i=1..n} i^-s. */
double theory_zipf_norm(size_t n, double s);

/* Che's approximation for LRU (Che, Tung and Wang, IEEE JSAC 20(7), 2002;
 * asymptotically exact, Fricker, Robert and Roberts 2012): the
 * characteristic time T (in requests) solves sum_i (1 - e^(-p_i T)) = C,
 * key i hits with probability 1 - e^(-p_i T), and the hit ratio is
 * sum_i p_i (1 - e^(-p_i T)). T by Newton's method from below (monotone for
 * this concave sum), O(n) per step (the whole solve takes 1.4 s at
 * n = 10^7 on one core). Conditions: IRM with Zipf(s) or uniform
 * popularity over n keys, C unit-size objects, 0 <= C; C >= n gives hit
 * ratio 1 (T infinite). An approximation: 0.005 below the exact value at
 * n = 10, C = 3, much closer for large n. */
double theory_che_lru_time(size_t n, double s, double capacity);
double theory_che_lru_hit_ratio(size_t n, double s, double capacity);
double theory_che_lru_key_hit(double p, double t_c);

/* Martina, Garetto and Leonardi, "A unified approach to the performance
 * analysis of caching systems", INFOCOM 2014, for FIFO and RANDOM under
 * IRM (the same fixed point as Dan and Towsley 1990 for FIFO and Gelenbe
 * 1973 for RANDOM): key i hits with probability p_i T / (1 + p_i T), T
 * solves sum_i p_i T / (1 + p_i T) = C; hit ratio sum_i p_i^2 T / (1 + p_i T).
 * The same value for FIFO and RANDOM. Conditions as for Che. */
double theory_martina_fifo_time(size_t n, double s, double capacity);
double theory_martina_fifo_hit_ratio(size_t n, double s, double capacity);
double theory_martina_fifo_key_hit(double p, double t_c);

/* ---- replication: PBS (Bailis et al., VLDB 2012) --------------------------- */

/* PBS k-staleness (section 3.2): a read of r replicas out of n sees one of
 * the last k writes, each kept by w replicas chosen at random, with
 * probability 1 - (C(n - w, r) / C(n, r))^k (1 when r + w > n). Conditions:
 * writes reach exactly w random replicas and nothing propagates them further
 * (no anti-entropy), reads contact r random replicas. */
double theory_pbs_kstale(unsigned n, unsigned r, unsigned w, double k);

/* WARS latency: the q-quantile of the k-th smallest of n independent copies
 * of Exp(mean a) + Exp(mean b) (a write's latency with k = W, a = write
 * delay, b = ack delay; a read's with k = R): P(X_(k) <= x) =
 * sum_{j >= k} C(n, j) F^j (1 - F)^(n - j), F the hypoexponential CDF,
 * inverted by bisection to 1e-12 absolute. Same unit as a and b. */
double theory_wars_latency_quantile(unsigned n, unsigned k, double a, double b, double q);

/* WARS P(consistent read) t after a write returned, with exponential
 * delays of means mw (write applied), ma (ack), mr (read request), ms
 * (answer), N replicas, read quorum R, write quorum W; any writes before it
 * do not matter. Exact (numerically integrated, Simpson with 20000 steps
 * per 5 replicas over 80 of the largest mean, about 1e-7): given the write's return tau
 * (the W-th smallest W[i] + A[i]) the W replicas that acked have it, and
 * each of the N - W others is, independently, stale when W[i] > tau + t +
 * R[i]; the read is stale when its R first answers all come from stale
 * replicas. With memoryless W[i] the stale part factors:
 *   P(stale) = C(N-W, R) e^(-alpha R t) I J,
 *   I = int R k(x) K(x)^(R-1) (1 - F(x))^(N-R) dx,
 *   J = N C(N-1, W-1) int H^(W-1) (1 - H)^(N-W-R) h(s) e^(-alpha R s) ds,
 * F the CDF of R + S, k(x) = int f_R(r) e^(-alpha r) f_S(x - r) dr and K
 * its integral, H and h the CDF and density of W + A, alpha = 1/mw.
 * R + W > N (strict quorum): 1, for any delays. Agrees with 10^8 Monte
 * Carlo trials of the model (tests/validation/extra.csv) within 1.5
 * standard errors. Same unit for t and the means. */
#define THEORY_WARS_MAX_N 100 /* replicas at most (else NAN), unless R + W > N */
double theory_wars_p_consistent(unsigned n, unsigned r, unsigned w, double mw, double ma,
                                double mr, double ms, double t);

/* ---- the list of methods -------------------------------------------------- */

/* One method, as `sdsim list theory` prints it. */
struct theory_method {
    const char *name;       /* short id: "erlang_c" */
    const char *summary;    /* one line: what it gives */
    const char *conditions; /* when it holds; otherwise the column says '-' */
    const char *source;     /* book or paper, section */
};

/* The methods this module implements, in a fixed order; *n gets the count. */
const struct theory_method *theory_methods(size_t *n);

#endif
