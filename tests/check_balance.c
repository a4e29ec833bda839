/* Tests for the balance policies: exact choice sequences, load awareness and
 * tie spreading, sampling, staleness (the herd), key movement of the hashing
 * policies when a replica joins, parameter errors, and a generic run of every
 * registered policy (which ASan and LeakSanitizer watch). Policies are driven
 * directly through pick / on_start / on_done, with b.now_ns set by hand. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/balance/balance.h"
#include "sim/diag.h"
#include "sim/rng.h"
#include "sim/sim.h"

/* ck_assert records a mark point even when it passes, so loops of many
 * thousand checks use this instead. */
#define REQUIRE(cond, ...)                                                                        \
    do {                                                                                          \
        if (!(cond))                                                                              \
            ck_abort_msg(__VA_ARGS__);                                                            \
    } while (0)

#define SEC 1000000000LL

static const struct loc LOC = {"t.ini", 3, 11};

static void setup_ok(struct balance *b, const char *text, uint32_t n, uint64_t seed)
{
    struct rng rng;
    rng_seed(&rng, seed);
    struct diag *d = diag_new();
    int rc = balance_setup(b, text, LOC, n, &rng, d);
    ck_assert_msg(rc == 0, "%s: %s", text, diag_count(d) ? diag_message(d, 0) : "?");
    diag_free(d);
}

/* Expects text to fail for n replicas with a message containing `want`. */
static void setup_fails(const char *text, uint32_t n, const char *want)
{
    struct rng rng;
    rng_seed(&rng, 1);
    struct diag *d = diag_new();
    struct balance b;
    int rc = balance_setup(&b, text, LOC, n, &rng, d);
    ck_assert_msg(rc == -1, "%s should fail", text);
    ck_assert_uint_ge(diag_count(d), 1);
    const char *msg = diag_message(d, 0);
    ck_assert_msg(strstr(msg, want), "%s: got '%s', want '%s'", text, msg, want);
    ck_assert_msg(strncmp(msg, "t.ini:3:", 8) == 0, "no location in '%s'", msg);
    balance_fini(&b);
    diag_free(d);
}

static uint32_t pick_key(struct balance *b, uint64_t key)
{
    struct request rq;
    memset(&rq, 0, sizeof rq);
    rq.key = key;
    return b->pol->pick(b, &rq);
}

static uint32_t pick(struct balance *b)
{
    return pick_key(b, 0);
}

/* Picks and starts: the request stays in flight. */
static uint32_t pick_start(struct balance *b)
{
    uint32_t i = pick(b);
    b->pol->on_start(b, i);
    return i;
}

/* Picks, starts and ends at once. */
static uint32_t pick_start_done(struct balance *b)
{
    uint32_t i = pick_start(b);
    b->pol->on_done(b, i, 0);
    return i;
}

/* --- exact sequences ----------------------------------------------------------- */

static void check_sequence(struct balance *b, const char *want, int rounds)
{
    size_t len = strlen(want);
    for (int k = 0; k < rounds; k++)
        for (size_t j = 0; j < len; j++) {
            char got = (char)('a' + pick(b));
            ck_assert_msg(got == want[j], "%s: pick %zu of round %d: got %c, want %c",
                          b->pol->head.name, j + 1, k + 1, got, want[j]);
        }
}

/* nginx: current += w; best = max (first among equals); best -= total.
 *   (5,1,1) -> a (-2,1,1) -> a (-4,2,2) -> b (1,-4,3) -> a (-1,-3,4)
 *   -> c (4,-2,-2) -> a (2,-1,-1) -> a (0,0,0): back to the start. */
START_TEST(smooth_wrr_interleaves_5_1_1)
{
    struct balance b;
    setup_ok(&b, "weighted_round_robin(weights=5:1:1)", 3, 1);
    check_sequence(&b, "aabacaa", 3);
    balance_fini(&b);
}
END_TEST

START_TEST(smooth_wrr_reads_the_service_weights)
{
    static const double w[] = {5, 1, 1};
    struct balance b;
    setup_ok(&b, "weighted_round_robin", 3, 1);
    b.weight = w;
    check_sequence(&b, "aabacaa", 3);
    balance_fini(&b);
}
END_TEST

START_TEST(smooth_wrr_parameter_overrides_service_weights)
{
    static const double w[] = {1, 1, 5};
    struct balance b;
    setup_ok(&b, "weighted_round_robin(weights=5:1:1)", 3, 1);
    b.weight = w;
    check_sequence(&b, "aabacaa", 2);
    balance_fini(&b);
}
END_TEST

/* Zero weight: never chosen; equal weights: plain round robin. */
START_TEST(smooth_wrr_skips_zero_weights_and_equal_is_round_robin)
{
    struct balance b;
    setup_ok(&b, "weighted_round_robin(weights=2:0:1)", 3, 1);
    check_sequence(&b, "aca", 4);
    balance_fini(&b);
    setup_ok(&b, "weighted_round_robin", 4, 1);
    check_sequence(&b, "abcd", 3);
    balance_fini(&b);
}
END_TEST

/* The recorded cycle (whole weights) must give exactly nginx's O(n) step:
 * compare 10 periods of weights 7:3:2:5:1 against a reference written here,
 * and check that fractional weights (no cycle) keep the shares. */
START_TEST(smooth_wrr_cycle_matches_the_reference_step)
{
    static const double w[] = {7, 3, 2, 5, 1};
    double cur[5] = {0};
    struct balance b;
    setup_ok(&b, "weighted_round_robin(weights=7:3:2:5:1)", 5, 1);
    for (int k = 0; k < 180; k++) {
        uint32_t best = 0;
        for (uint32_t i = 0; i < 5; i++) {
            cur[i] += w[i];
            if (cur[i] > cur[best])
                best = i;
        }
        cur[best] -= 18;
        ck_assert_uint_eq(b.pol->pick(&b, NULL), best);
    }
    balance_fini(&b);
    setup_ok(&b, "weighted_round_robin(weights=2.5:1:1.5)", 3, 1);
    unsigned count[3] = {0};
    for (int k = 0; k < 500; k++)
        count[b.pol->pick(&b, NULL)]++;
    ck_assert_uint_eq(count[0], 250);
    ck_assert_uint_eq(count[1], 100);
    ck_assert_uint_eq(count[2], 150);
    balance_fini(&b);
}
END_TEST

START_TEST(round_robin_cycles)
{
    struct balance b;
    setup_ok(&b, "round_robin", 3, 1);
    check_sequence(&b, "abc", 4);
    balance_fini(&b);
}
END_TEST

/* --- least connections ---------------------------------------------------------- */

/* 4000 picks of Binomial(4000, 1/4): mean 1000, sd 27; +-150 is > 5 sd. */
START_TEST(least_connections_spreads_ties_over_all_replicas)
{
    struct balance b;
    setup_ok(&b, "least_connections", 4, 7);
    unsigned got[4] = {0};
    for (int k = 0; k < 4000; k++)
        got[pick_start_done(&b)]++;
    for (int i = 0; i < 4; i++)
        ck_assert_msg(got[i] >= 850 && got[i] <= 1150, "replica %d got %u of 4000", i, got[i]);
    balance_fini(&b);
}
END_TEST

START_TEST(least_connections_never_picks_a_loaded_replica_while_others_idle)
{
    struct balance b;
    setup_ok(&b, "least_connections", 4, 3);
    b.pol->on_start(&b, 2);
    unsigned got[4] = {0};
    for (int k = 0; k < 3000; k++)
        got[pick_start_done(&b)]++;
    ck_assert_uint_eq(got[2], 0);
    for (int i = 0; i < 4; i++)
        if (i != 2)
            ck_assert_uint_gt(got[i], 800);
    balance_fini(&b);
}
END_TEST

/* Loads 3, 1, 2, 5: replica 1 is chosen; once it reaches 2, both 1 and 2. */
START_TEST(least_connections_picks_the_least_loaded)
{
    static const unsigned load[] = {3, 1, 2, 5};
    struct balance b;
    setup_ok(&b, "least_connections", 4, 5);
    for (uint32_t i = 0; i < 4; i++)
        for (unsigned k = 0; k < load[i]; k++)
            b.pol->on_start(&b, i);
    ck_assert_uint_eq(pick_start(&b), 1);
    unsigned got[4] = {0};
    for (int k = 0; k < 200; k++)
        got[pick_start_done(&b)]++;
    ck_assert_uint_eq(got[0] + got[3], 0);
    ck_assert_uint_gt(got[1], 50);
    ck_assert_uint_gt(got[2], 50);
    balance_fini(&b);
}
END_TEST

/* Random starts and ends against a plain array: every pick has the minimum
 * count, and each tied minimum replica is picked sometimes. */
START_TEST(least_connections_matches_a_naive_scan)
{
    enum { N = 13 };
    struct balance b;
    setup_ok(&b, "least_connections", N, 11);
    unsigned count[N] = {0};
    struct rng ops;
    rng_seed(&ops, 99);
    for (int k = 0; k < 200000; k++) {
        unsigned min = UINT32_MAX;
        for (int i = 0; i < N; i++)
            min = count[i] < min ? count[i] : min;
        uint32_t i = pick(&b);
        REQUIRE(count[i] == min, "step %d: picked %u with %u in flight, min %u", k, i, count[i],
                min);
        if (rng_below(&ops, 100) < 55) {
            b.pol->on_start(&b, i);
            count[i]++;
        } else {
            uint32_t j = (uint32_t)rng_below(&ops, N);
            if (count[j] > 0) {
                b.pol->on_done(&b, j, 0);
                count[j]--;
            }
        }
    }
    balance_fini(&b);
}
END_TEST

/* --- staleness: the herd --------------------------------------------------------- */

/* Replicas 1..3 are busy when the first snapshot is taken at t = 1 s, so
 * replica 0 looks idle until the next refresh at t >= 2 s: without counting
 * its own picks, the policy sends it every request of that interval. */
static void herd_setup(struct balance *b, const char *text)
{
    setup_ok(b, text, 4, 21);
    for (uint32_t i = 1; i < 4; i++)
        b->pol->on_start(b, i);
    b->now_ns = 1 * SEC;
}

START_TEST(stale_least_connections_herds_onto_one_replica)
{
    struct balance b;
    herd_setup(&b, "least_connections(refresh=1s)");
    for (int k = 0; k < 100; k++) {
        b.now_ns = 1 * SEC + k * (SEC / 100);
        ck_assert_uint_eq(pick_start(&b), 0);
    }
    b.now_ns = 2 * SEC; /* refresh: replica 0 has 100 in flight */
    for (int k = 0; k < 30; k++)
        ck_assert_uint_ne(pick(&b), 0);
    balance_fini(&b);
}
END_TEST

START_TEST(stale_least_connections_counting_own_picks_spreads)
{
    struct balance b;
    herd_setup(&b, "least_connections(refresh=1s, count_picks=true)");
    unsigned got[4] = {0};
    for (int k = 0; k < 41; k++)
        got[pick_start(&b)]++;
    /* 0 first, then all at 1: the other 40 picks fill the replicas level. */
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(got[i], i == 0 ? 11 : 10);
    balance_fini(&b);
}
END_TEST

START_TEST(exact_least_connections_does_not_herd)
{
    struct balance b;
    herd_setup(&b, "least_connections");
    ck_assert_uint_eq(pick_start(&b), 0);
    unsigned got[4] = {0};
    for (int k = 0; k < 40; k++)
        got[pick_start(&b)]++;
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(got[i], 10);
    balance_fini(&b);
}
END_TEST

START_TEST(stale_power_of_two_herds_when_it_sees_everything)
{
    struct balance b;
    herd_setup(&b, "power_of_two(d=4, refresh=500ms)");
    for (int k = 0; k < 50; k++)
        ck_assert_uint_eq(pick_start(&b), 0);
    b.now_ns += SEC / 2;
    ck_assert_uint_ne(pick(&b), 0);
    balance_fini(&b);
}
END_TEST

/* --- power of d choices --------------------------------------------------------- */

START_TEST(power_of_two_with_d_equal_n_picks_the_global_minimum)
{
    enum { N = 9 };
    struct balance b;
    setup_ok(&b, "power_of_two(d=9)", N, 13);
    unsigned count[N] = {0};
    struct rng ops;
    rng_seed(&ops, 5);
    for (int k = 0; k < 50000; k++) {
        unsigned min = UINT32_MAX;
        for (int i = 0; i < N; i++)
            min = count[i] < min ? count[i] : min;
        uint32_t i = pick(&b);
        REQUIRE(count[i] == min, "step %d: picked %u with %u, min %u", k, i, count[i], min);
        if (rng_below(&ops, 2)) {
            b.pol->on_start(&b, i);
            count[i]++;
        } else {
            uint32_t j = (uint32_t)rng_below(&ops, N);
            if (count[j] > 0) {
                b.pol->on_done(&b, j, 0);
                count[j]--;
            }
        }
    }
    balance_fini(&b);
}
END_TEST

/* d = 1 ignores load: a replica with 100 in flight still gets its quarter
 * (Binomial(4000, 1/4), +-150 is > 5 sd). */
START_TEST(power_of_two_with_d_1_is_random)
{
    struct balance b;
    setup_ok(&b, "power_of_two(d=1)", 4, 17);
    for (int k = 0; k < 100; k++)
        b.pol->on_start(&b, 3);
    unsigned got[4] = {0};
    for (int k = 0; k < 4000; k++)
        got[pick_start_done(&b)]++;
    for (int i = 0; i < 4; i++)
        ck_assert_msg(got[i] >= 850 && got[i] <= 1150, "replica %d got %u of 4000", i, got[i]);
    balance_fini(&b);
}
END_TEST

/* d = 2 of 4 with replica 3 loaded: it loses every sample it is in, so it is
 * never chosen; the others share the load, and ties spread evenly. */
START_TEST(power_of_two_avoids_the_loaded_replica)
{
    struct balance b;
    setup_ok(&b, "power_of_two", 4, 19);
    b.pol->on_start(&b, 3);
    unsigned got[4] = {0};
    for (int k = 0; k < 3000; k++)
        got[pick_start_done(&b)]++;
    ck_assert_uint_eq(got[3], 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(got[i] >= 850 && got[i] <= 1150, "replica %d got %u of 3000", i, got[i]);
    balance_fini(&b);
}
END_TEST

/* With replacement both draws hit the loaded replica 0 of 2 with
 * probability 1/4, so it still gets a quarter of the requests (power_of_two,
 * sampling distinct replicas, never picks it); d = 1 is random. 8000 picks:
 * 2000 +- 4 sd (155). */
START_TEST(power_of_two_replace_draws_with_replacement)
{
    struct balance b;
    setup_ok(&b, "power_of_two_replace", 2, 23);
    b.pol->on_start(&b, 0);
    unsigned got[2] = {0};
    for (int k = 0; k < 8000; k++)
        got[pick_start_done(&b)]++;
    ck_assert_msg(got[0] > 2000 - 155 && got[0] < 2000 + 155, "loaded replica got %u of 8000",
                  got[0]);
    balance_fini(&b);
    setup_ok(&b, "power_of_two", 2, 23);
    b.pol->on_start(&b, 0);
    for (int k = 0; k < 1000; k++)
        ck_assert_uint_eq(pick_start_done(&b), 1);
    balance_fini(&b);
    setup_fails("power_of_two_replace(d=0)", 4, "out of range");
}
END_TEST

START_TEST(power_of_two_default_d_works_with_one_replica)
{
    struct balance b;
    setup_ok(&b, "power_of_two", 1, 1);
    ck_assert_uint_eq(pick_start_done(&b), 0);
    balance_fini(&b);
}
END_TEST

/* --- least response time (peak EWMA) ---------------------------------------------- */

START_TEST(least_response_time_prefers_the_faster_replica)
{
    struct balance b;
    setup_ok(&b, "least_response_time(decay=10s)", 2, 23);
    b.now_ns = SEC;
    b.pol->on_start(&b, 0);
    b.pol->on_start(&b, 1);
    b.pol->on_done(&b, 0, 100000000); /* 100 ms */
    b.pol->on_done(&b, 1, 10000000);  /* 10 ms */
    for (int k = 0; k < 5; k++) /* cost 10 ms x (k + 1) < 100 ms */
        ck_assert_uint_eq(pick_start(&b), 1);
    /* 10 ms x 11 > 100 ms: the slow replica gets a turn. */
    for (int k = 5; k < 10; k++)
        b.pol->on_start(&b, 1);
    ck_assert_uint_eq(pick(&b), 0);
    balance_fini(&b);
}
END_TEST

START_TEST(least_response_time_jumps_to_a_peak_and_decays)
{
    struct balance b;
    setup_ok(&b, "least_response_time(decay=1s)", 2, 29);
    b.now_ns = SEC;
    b.pol->on_start(&b, 0);
    b.pol->on_start(&b, 1);
    b.pol->on_done(&b, 0, 20000000); /* 20 ms */
    b.pol->on_done(&b, 1, 30000000); /* 30 ms */
    ck_assert_uint_eq(pick(&b), 0);
    b.pol->on_start(&b, 0); /* one slow response: the peak counts at once */
    b.pol->on_done(&b, 0, 500000000);
    ck_assert_uint_eq(pick(&b), 1);
    /* Replica 1 keeps answering in 30 ms; replica 0 is idle and its cost
     * decays as exp(-t / 1 s): below 30 ms after ln(500 / 30) = 2.8 s. */
    for (int s = 0; s < 6; s++) {
        b.now_ns = SEC + s * SEC;
        b.pol->on_start(&b, 1);
        b.pol->on_done(&b, 1, 30000000);
    }
    ck_assert_uint_eq(pick(&b), 0);
    balance_fini(&b);
}
END_TEST

/* A replica with a request in flight and no response yet costs Finagle's
 * penalty, so probes of an unknown replica go one at a time. */
START_TEST(least_response_time_penalises_unknown_busy_replicas)
{
    struct balance b;
    setup_ok(&b, "least_response_time", 2, 31);
    b.now_ns = SEC;
    b.pol->on_start(&b, 1);
    b.pol->on_done(&b, 1, 50000000);
    b.pol->on_start(&b, 0);
    for (int k = 0; k < 20; k++)
        ck_assert_uint_eq(pick_start(&b), 1);
    balance_fini(&b);
}
END_TEST

/* --- hashing: stability and movement on a join ------------------------------------- */

enum { NKEYS = 100000 };

static uint64_t key_of(size_t k)
{
    return k * 7919 + 3; /* simple distinct keys: the policy must mix them */
}

/* Fraction of NKEYS keys whose owner differs between n and n + 1 replicas;
 * fails if any key moves elsewhere than to the new replica n. */
static double moved_on_join(const char *text, uint32_t n)
{
    struct balance small, big;
    setup_ok(&small, text, n, 1);
    setup_ok(&big, text, n + 1, 2);
    size_t moved = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        uint32_t a = pick_key(&small, key_of(k)), c = pick_key(&big, key_of(k));
        REQUIRE(a < n && c <= n, "key %zu: owners %u, %u", k, a, c);
        if (a != c) {
            REQUIRE(c == n, "%s: key %zu moved from %u to %u, not to the new %u", text, k, a, c,
                    n);
            moved++;
        }
    }
    balance_fini(&small);
    balance_fini(&big);
    return (double)moved / NKEYS;
}

/* Expected 1/11 = 0.091. With 100 vnodes the new replica's share has a
 * relative sd of about 1/sqrt(100) = 10%, so [0.05, 0.14] is wide. */
START_TEST(consistent_hash_moves_about_1_over_n_plus_1)
{
    double f = moved_on_join("consistent_hash(vnodes=100)", 10);
    ck_assert_msg(f >= 0.05 && f <= 0.14, "moved %.4f of keys", f);
}
END_TEST

/* Stable: the same key always goes to the same replica, in one balancer and
 * in another built alike (with another random stream), and the shares are
 * even enough with 100 vnodes (each of 10 gets 10% +- 5%). */
START_TEST(consistent_hash_maps_keys_stably)
{
    struct balance a, c;
    setup_ok(&a, "consistent_hash", 10, 1);
    setup_ok(&c, "consistent_hash(vnodes=100)", 10, 77);
    unsigned got[10] = {0};
    for (size_t k = 0; k < NKEYS; k++) {
        uint32_t i = pick_key(&a, key_of(k));
        REQUIRE(i == pick_key(&a, key_of(k)) && i == pick_key(&c, key_of(k)), "key %zu unstable",
                k);
        got[i]++;
    }
    for (int i = 0; i < 10; i++)
        ck_assert_msg(got[i] > 5000 && got[i] < 15000, "replica %d got %u keys", i, got[i]);
    balance_fini(&a);
    balance_fini(&c);
}
END_TEST

/* Each key moves independently with probability 1/11: sd of the fraction
 * sqrt(0.091 * 0.909 / 1e5) = 0.0009, so +-0.006 is > 6 sd. */
START_TEST(rendezvous_moves_only_keys_of_the_new_replica)
{
    double f = moved_on_join("rendezvous", 10);
    ck_assert_msg(fabs(f - 1.0 / 11) < 0.006, "moved %.4f of keys", f);
    f = moved_on_join("rendezvous", 1);
    ck_assert_msg(fabs(f - 0.5) < 0.01, "moved %.4f of keys from 1 to 2", f);
}
END_TEST

/* hash_mod keeps equal keys together and spreads keys evenly, but a join
 * moves a key unless hash mod 10 == hash mod 11: about 10/11 of them (the
 * sd of the fraction is 0.0009, so +-0.01 is wide). moved_on_join does not
 * fit it (keys also move between old replicas), hence the count here. */
START_TEST(hash_mod_keeps_keys_together_but_moves_most_on_join)
{
    struct balance a, c, big;
    setup_ok(&a, "hash_mod", 10, 1);
    setup_ok(&c, "hash_mod", 10, 99);
    setup_ok(&big, "hash_mod", 11, 2);
    unsigned got[10] = {0};
    size_t moved = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        uint32_t i = pick_key(&a, key_of(k));
        REQUIRE(i < 10 && i == pick_key(&a, key_of(k)) && i == pick_key(&c, key_of(k)),
                "key %zu unstable", k);
        got[i]++;
        moved += pick_key(&big, key_of(k)) != i;
    }
    for (int i = 0; i < 10; i++)
        ck_assert_msg(got[i] > 9000 && got[i] < 11000, "replica %d got %u keys", i, got[i]);
    double f = (double)moved / NKEYS;
    ck_assert_msg(fabs(f - 10.0 / 11) < 0.01, "moved %.4f of keys", f);
    balance_fini(&a);
    balance_fini(&c);
    balance_fini(&big);
}
END_TEST

/* The skeleton variant (fanout=8) over 101 slots: picks stay below n, the
 * shares are even, and a join (resize 100 -> 101) gives the new replica
 * about 1/101 of the keys. Unlike exact HRW some keys also move between old
 * replicas (the ancestors of the new leaf gain weight); this pins how many. */
START_TEST(rendezvous_skeleton_is_even_and_disrupts_little)
{
    struct balance b;
    setup_ok(&b, "rendezvous(fanout=8)", 101, 1);
    balance_resize(&b, 100);
    static uint32_t before[NKEYS];
    unsigned share[101] = {0};
    for (size_t k = 0; k < NKEYS; k++) {
        before[k] = pick_key(&b, key_of(k));
        REQUIRE(before[k] < 100, "key %zu on %u", k, before[k]);
        share[before[k]]++;
    }
    /* 1000 keys each expected, sd 31.5: 5 sd is +-158 */
    for (int i = 0; i < 100; i++)
        ck_assert_msg(share[i] > 842 && share[i] < 1158, "replica %d got %u keys", i, share[i]);
    balance_resize(&b, 101);
    size_t to_new = 0, between_old = 0;
    for (size_t k = 0; k < NKEYS; k++) {
        uint32_t now = pick_key(&b, key_of(k));
        to_new += now == 100;
        between_old += now != 100 && now != before[k];
    }
    /* 1/101 = 0.0099 of the keys, sd 0.0003 */
    ck_assert_msg(fabs((double)to_new / NKEYS - 1.0 / 101) < 0.002, "to new: %zu", to_new);
    ck_assert_msg((double)between_old / NKEYS < 0.02, "between old replicas: %zu", between_old);
    balance_fini(&b);
}
END_TEST

/* Weights 3:1: a quarter of the keys on replica 1 (sd 0.0014); with equal
 * weights the weighted scores agree with the unweighted ones. */
START_TEST(rendezvous_weights_shares_and_agrees_when_equal)
{
    static const double w31[] = {3, 1}, w11[] = {1, 1, 1, 1, 1};
    struct balance b, u;
    setup_ok(&b, "rendezvous", 2, 1);
    b.weight = w31;
    size_t on1 = 0;
    for (size_t k = 0; k < NKEYS; k++)
        on1 += pick_key(&b, key_of(k));
    ck_assert_msg(fabs((double)on1 / NKEYS - 0.25) < 0.01, "replica 1 got %zu", on1);
    balance_fini(&b);
    setup_ok(&b, "rendezvous", 5, 1);
    setup_ok(&u, "rendezvous", 5, 1);
    b.weight = w11;
    for (size_t k = 0; k < NKEYS; k++)
        REQUIRE(pick_key(&b, key_of(k)) == pick_key(&u, key_of(k)), "key %zu", k);
    balance_fini(&b);
    balance_fini(&u);
}
END_TEST

/* --- resizing: an autoscaler changes the eligible replicas --------------------- */

/* Phases of eligible replicas for a balancer set up with RS_CAP: down, to
 * one, up, to all, and part way down again. */
enum { RS_CAP = 12 };
static const uint32_t rs_phases[] = {RS_CAP, 5, 1, 3, RS_CAP, 7};

/* Random picks, starts and ends through every phase; ends and starts also hit
 * replicas that are no longer eligible (draining, or chosen by index by a
 * balancer component). Every pick must be below the current n. */
static void resize_run(const char *text)
{
    struct balance b;
    setup_ok(&b, text, RS_CAP, 17);
    ck_assert_uint_eq(b.cap, RS_CAP);
    uint32_t inflight[256], nin = 0;
    struct rng ops;
    rng_seed(&ops, 5);
    int64_t t = 0;
    for (size_t ph = 0; ph < sizeof rs_phases / sizeof *rs_phases; ph++) {
        balance_resize(&b, rs_phases[ph]);
        ck_assert_uint_eq(b.n, rs_phases[ph]);
        for (int k = 0; k < 3000; k++) {
            b.now_ns = t += 1000000;
            uint32_t i = balance_pick(&b, &(struct request){.key = rng_next(&ops)});
            REQUIRE(i < b.n, "%s, phase %zu: pick %u of %u", text, ph, i, b.n);
            if (rng_below(&ops, 50) == 0)
                i = (uint32_t)rng_below(&ops, RS_CAP); /* sent by index */
            if (b.pol->on_start)
                b.pol->on_start(&b, i);
            inflight[nin++] = i;
            if (nin == 256 || rng_below(&ops, 2)) {
                uint32_t j = (uint32_t)rng_below(&ops, nin);
                if (b.pol->on_done)
                    b.pol->on_done(&b, inflight[j], (int64_t)rng_below(&ops, 50000000));
                inflight[j] = inflight[--nin];
            }
        }
    }
    while (nin > 0 && b.pol->on_done) /* every count drains back to 0 (asserts check) */
        b.pol->on_done(&b, inflight[--nin], 1000);
    balance_fini(&b);
}

START_TEST(every_policy_picks_below_n_after_resizes)
{
    static const char *const extra[] = {
        "power_of_two(d=5)",
        "power_of_two(d=12)",
        "power_of_two(refresh=10ms)",
        "least_connections(refresh=10ms)",
        "least_connections(refresh=10ms, count_picks=true)",
        "consistent_hash(vnodes=3)",
        "weighted_round_robin(weights=5:1:1:2:2:2:1:1:1:1:1:0)",
    };
    for (const struct policy_head *const *p = balance_family.table; *p; p++)
        resize_run((*p)->name);
    for (size_t k = 0; k < sizeof extra / sizeof *extra; k++)
        resize_run(extra[k]);
}
END_TEST

/* Exact least connections (and power of d with d = cap, cut to n) against
 * plain counts through the phases: each pick has the minimum count among the
 * eligible replicas, while removed replicas keep finishing requests. */
static void resize_min_run(const char *text)
{
    struct balance b;
    setup_ok(&b, text, RS_CAP, 23);
    unsigned count[RS_CAP] = {0};
    struct rng ops;
    rng_seed(&ops, 77);
    for (size_t ph = 0; ph < sizeof rs_phases / sizeof *rs_phases; ph++) {
        balance_resize(&b, rs_phases[ph]);
        for (int k = 0; k < 20000; k++) {
            unsigned min = UINT32_MAX;
            for (uint32_t i = 0; i < b.n; i++)
                min = count[i] < min ? count[i] : min;
            uint32_t i = balance_pick(&b, &(struct request){.key = 0});
            REQUIRE(i < b.n && count[i] == min, "%s, phase %zu step %d: picked %u (%u in flight), "
                    "min %u", text, ph, k, i, count[i], min);
            if (rng_below(&ops, 100) < 55) {
                b.pol->on_start(&b, i);
                count[i]++;
            } else {
                uint32_t j = (uint32_t)rng_below(&ops, RS_CAP);
                if (count[j] > 0) {
                    b.pol->on_done(&b, j, 0);
                    count[j]--;
                }
            }
        }
    }
    balance_fini(&b);
}

START_TEST(least_loaded_after_resizes_matches_a_naive_scan)
{
    resize_min_run("least_connections");
    resize_min_run("power_of_two(d=12)");
}
END_TEST

/* Dropping replicas 7..9 of 10 moves exactly their keys, each to an eligible
 * replica, and gives the owners of a fresh 7-replica balancer; growing back
 * restores every key's owner. */
static void resize_hash_run(const char *text)
{
    enum { CAP = 10, N = 7 };
    struct balance b, fresh;
    setup_ok(&b, text, CAP, 1);
    setup_ok(&fresh, text, N, 2);
    uint8_t *own = malloc(NKEYS);
    size_t moved = 0;
    for (size_t k = 0; k < NKEYS; k++)
        own[k] = (uint8_t)pick_key(&b, key_of(k));
    balance_resize(&b, N);
    for (size_t k = 0; k < NKEYS; k++) {
        uint32_t i = pick_key(&b, key_of(k));
        REQUIRE(i < N, "%s: key %zu went to %u of %u", text, k, i, N);
        REQUIRE(own[k] >= N || i == own[k], "%s: key %zu of kept replica %u moved to %u", text,
                k, own[k], i);
        REQUIRE(i == pick_key(&fresh, key_of(k)), "%s: key %zu: not the 7-replica owner", text,
                k);
        moved += i != own[k];
    }
    /* 3 of 10 replicas: about 30% of the keys; vnodes=3 gives 17% here */
    ck_assert_msg(moved > NKEYS / 10 && moved < NKEYS / 2, "%s: moved %zu", text, moved);
    balance_resize(&b, CAP);
    for (size_t k = 0; k < NKEYS; k++)
        REQUIRE(pick_key(&b, key_of(k)) == own[k], "%s: key %zu not restored", text, k);
    free(own);
    balance_fini(&b);
    balance_fini(&fresh);
}

START_TEST(hashing_resize_moves_only_the_removed_replicas_keys)
{
    resize_hash_run("consistent_hash");
    resize_hash_run("consistent_hash(vnodes=3)");
    resize_hash_run("rendezvous");
}
END_TEST

/* Weights 5:1:1:3. Smooth WRR's scores stay within a few weights of 0, so
 * over K picks replica i gets K w_i / W within a pick or two, before and
 * after a resize to 3 replicas (5:1:1) and back to 4. */
static void wrr_shares(struct balance *b, const unsigned *want, uint32_t n, unsigned picks)
{
    unsigned got[4] = {0};
    for (unsigned k = 0; k < picks; k++) {
        uint32_t i = pick(b);
        REQUIRE(i < n, "pick %u of %u", i, n);
        got[i]++;
    }
    for (uint32_t i = 0; i < n; i++)
        ck_assert_msg(got[i] + 2 >= want[i] && got[i] <= want[i] + 2,
                      "replica %u: %u of %u picks, want %u", i, got[i], picks, want[i]);
}

START_TEST(smooth_wrr_keeps_its_shares_across_resizes)
{
    static const unsigned all4[] = {500, 100, 100, 300}, first3[] = {500, 100, 100};
    struct balance b;
    setup_ok(&b, "weighted_round_robin(weights=5:1:1:3)", 4, 1);
    wrr_shares(&b, all4, 4, 997); /* stop mid-cycle: scores are not all 0 */
    b.next = 0;
    balance_resize(&b, 3);
    wrr_shares(&b, first3, 3, 700);
    balance_resize(&b, 4);
    wrr_shares(&b, all4, 4, 1000);
    balance_fini(&b);
}
END_TEST

/* --- parameter errors ---------------------------------------------------------- */

START_TEST(bad_parameters_are_reported_with_locations)
{
    setup_fails("power_of_two(dd=2)", 4, "unknown parameter 'dd'");
    setup_fails("power_of_two(d=0)", 4, "'d' = 0 is out of range [1, 4]");
    setup_fails("power_of_two(d=5)", 4, "'d' = 5 is out of range [1, 4]");
    setup_fails("power_of_two(d=2)", 1, "'d' = 2 is out of range [1, 1]");
    setup_fails("power_of_two(d=two)", 4, "bad integer 'two' for 'd'");
    setup_fails("power_of_two(refresh=5)", 4, "bad duration '5' for 'refresh'");
    setup_fails("least_connections(refresh=soon, count_picks=maybe)", 4, "bad duration");
    setup_fails("least_connections(count_picks=maybe)", 4, "bad value 'maybe' for 'count_picks'");
    setup_fails("weighted_round_robin(weights=5:1)", 3, "'weights' has 2 entries but there are 3");
    setup_fails("weighted_round_robin(weights=5:1:1:1)", 3, "has 4 entries");
    setup_fails("weighted_round_robin(weights=5:x:1)", 3, "bad weight 'x'");
    setup_fails("weighted_round_robin(weights=5::1)", 3, "bad weight ''");
    setup_fails("weighted_round_robin(weights=1:-1:1)", 3, "finite and >= 0, got '-1'");
    setup_fails("weighted_round_robin(weights=0:0)", 2, "all 0");
    setup_fails("least_response_time(decay=0)", 2, "'decay' must be positive");
    setup_fails("consistent_hash(vnodes=0)", 2, "'vnodes' = 0 is out of range");
    setup_fails("consistent_hash(vnodes=1000000)", 100, "ring points");
    setup_fails("rendezvous(vnodes=3)", 2, "unknown parameter 'vnodes'");
    setup_fails("rendezvous(fanout=1)", 2, "bad fanout");
    setup_fails("least_conections", 2, "did you mean 'least_connections'");
}
END_TEST

/* The bad weight is pointed at: "weighted_round_robin(weights=5:x:1)" starts
 * at column 11, so 'x' is at 11 + 31 = 42. */
START_TEST(bad_weight_points_at_the_item)
{
    struct rng rng;
    rng_seed(&rng, 1);
    struct diag *d = diag_new();
    struct balance b;
    ck_assert_int_eq(balance_setup(&b, "weighted_round_robin(weights=5:x:1)", LOC, 3, &rng, d),
                     -1);
    ck_assert_str_eq(diag_message(d, 0), "t.ini:3:42: error: bad weight 'x': not a number");
    balance_fini(&b);
    diag_free(d);
}
END_TEST

/* --- every policy ---------------------------------------------------------------- */

/* Each registered policy, n = 7, 20000 steps of picks, starts and ends with
 * latencies, twice with the same seed: picks in range and the same both
 * times. ASan and LeakSanitizer check the rest. */
static void run_policy(const struct balance_policy *p, uint32_t *trace, size_t len)
{
    enum { N = 7 };
    struct balance b;
    setup_ok(&b, p->head.name, N, 41);
    uint32_t inflight[64], nin = 0;
    struct rng ops;
    rng_seed(&ops, 3);
    for (size_t k = 0; k < len; k++) {
        b.now_ns = (int64_t)k * 1000000;
        uint32_t i = pick_key(&b, rng_next(&ops));
        REQUIRE(i < N, "%s: pick %u of %u", p->head.name, i, N);
        trace[k] = i;
        if (p->on_start)
            p->on_start(&b, i);
        inflight[nin++] = i;
        if (nin == 64 || rng_below(&ops, 2)) {
            uint32_t j = (uint32_t)rng_below(&ops, nin);
            if (p->on_done)
                p->on_done(&b, inflight[j], (int64_t)rng_below(&ops, 50000000));
            inflight[j] = inflight[--nin];
        }
    }
    balance_fini(&b);
}

START_TEST(every_policy_is_deterministic_and_in_range)
{
    enum { LEN = 20000 };
    uint32_t *t1 = malloc(LEN * sizeof *t1), *t2 = malloc(LEN * sizeof *t2);
    for (const struct policy_head *const *p = balance_family.table; *p; p++) {
        run_policy((const struct balance_policy *)*p, t1, LEN);
        run_policy((const struct balance_policy *)*p, t2, LEN);
        ck_assert_msg(memcmp(t1, t2, LEN * sizeof *t1) == 0, "%s is not deterministic",
                      (*p)->name);
    }
    free(t1);
    free(t2);
}
END_TEST

Suite *balance_suite(void)
{
    Suite *s = suite_create("balance");
    TCase *tc = tcase_create("sequences");
    tcase_add_test(tc, smooth_wrr_interleaves_5_1_1);
    tcase_add_test(tc, smooth_wrr_cycle_matches_the_reference_step);
    tcase_add_test(tc, smooth_wrr_reads_the_service_weights);
    tcase_add_test(tc, smooth_wrr_parameter_overrides_service_weights);
    tcase_add_test(tc, smooth_wrr_skips_zero_weights_and_equal_is_round_robin);
    tcase_add_test(tc, round_robin_cycles);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_add_test(tc, least_connections_spreads_ties_over_all_replicas);
    tcase_add_test(tc, least_connections_never_picks_a_loaded_replica_while_others_idle);
    tcase_add_test(tc, least_connections_picks_the_least_loaded);
    tcase_add_test(tc, least_connections_matches_a_naive_scan);
    tcase_add_test(tc, stale_least_connections_herds_onto_one_replica);
    tcase_add_test(tc, stale_least_connections_counting_own_picks_spreads);
    tcase_add_test(tc, exact_least_connections_does_not_herd);
    tcase_add_test(tc, stale_power_of_two_herds_when_it_sees_everything);
    tcase_add_test(tc, power_of_two_with_d_equal_n_picks_the_global_minimum);
    tcase_add_test(tc, power_of_two_with_d_1_is_random);
    tcase_add_test(tc, power_of_two_avoids_the_loaded_replica);
    tcase_add_test(tc, power_of_two_default_d_works_with_one_replica);
    tcase_add_test(tc, power_of_two_replace_draws_with_replacement);
    tcase_add_test(tc, least_response_time_prefers_the_faster_replica);
    tcase_add_test(tc, least_response_time_jumps_to_a_peak_and_decays);
    tcase_add_test(tc, least_response_time_penalises_unknown_busy_replicas);
    suite_add_tcase(s, tc);

    tc = tcase_create("hashing");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, consistent_hash_moves_about_1_over_n_plus_1);
    tcase_add_test(tc, consistent_hash_maps_keys_stably);
    tcase_add_test(tc, rendezvous_moves_only_keys_of_the_new_replica);
    tcase_add_test(tc, hash_mod_keeps_keys_together_but_moves_most_on_join);
    tcase_add_test(tc, rendezvous_skeleton_is_even_and_disrupts_little);
    tcase_add_test(tc, rendezvous_weights_shares_and_agrees_when_equal);
    suite_add_tcase(s, tc);

    tc = tcase_create("resize");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_policy_picks_below_n_after_resizes);
    tcase_add_test(tc, least_loaded_after_resizes_matches_a_naive_scan);
    tcase_add_test(tc, hashing_resize_moves_only_the_removed_replicas_keys);
    tcase_add_test(tc, smooth_wrr_keeps_its_shares_across_resizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, bad_parameters_are_reported_with_locations);
    tcase_add_test(tc, bad_weight_points_at_the_item);
    tcase_add_test(tc, every_policy_is_deterministic_and_in_range);
    suite_add_tcase(s, tc);
    return s;
}
