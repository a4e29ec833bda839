/* Tests for the eviction policies: one hand-computed trace per policy, generic
 * properties for every registered policy, and hit ratios under the
 * independent reference model against exact values from the literature. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models/evict/evict.h"
#include "models/evict/evict_map.h"

/* --- helpers ------------------------------------------------------------------ */

/* ck_assert records a mark point (a write to Check's pipe) even when it
 * passes, so loops of many thousand checks use this instead. */
#define REQUIRE(cond, ...)                                                                        \
    do {                                                                                          \
        if (!(cond))                                                                              \
            ck_abort_msg(__VA_ARGS__);                                                            \
    } while (0)

static size_t n_policies(void)
{
    return policy_count(&evict_family);
}

/* Runs keys through p (capacity cap) and checks each result against
 * pattern ('H' hit, 'M' miss), then that exactly the keys in `in` are cached
 * among those in `out`. Returns the state for more checks; caller destroys. */
static void *run_trace(const struct evict_policy *p, size_t cap, const uint64_t *keys,
                       const char *pattern, const uint64_t *in, size_t nin, const uint64_t *out,
                       size_t nout)
{
    void *s = p->create(cap, 1, NULL);
    ck_assert_ptr_nonnull(s);
    size_t n = strlen(pattern);
    for (size_t i = 0; i < n; i++) {
        bool hit = p->access(s, keys[i]);
        ck_assert_msg(hit == (pattern[i] == 'H'), "%s: request %zu (key %llu): got %s, want %c",
                      p->head.name, i + 1, (unsigned long long)keys[i], hit ? "hit" : "miss",
                      pattern[i]);
    }
    for (size_t i = 0; i < nin; i++)
        ck_assert_msg(p->contains(s, in[i]), "%s: key %llu should be cached", p->head.name,
                      (unsigned long long)in[i]);
    for (size_t i = 0; i < nout; i++)
        ck_assert_msg(!p->contains(s, out[i]), "%s: key %llu should not be cached", p->head.name,
                      (unsigned long long)out[i]);
    ck_assert_uint_eq(p->size(s), nin);
    return s;
}

#define TRACE(p, cap, keys, pattern, in, out)                                                     \
    p.destroy(run_trace(&p, cap, keys, pattern, in, sizeof in / sizeof in[0], out,               \
                        sizeof out / sizeof out[0]))

/* --- hand-computed traces, capacity 3 ------------------------------------------ */

/* LRU, recency order shown most recent first:
 *   1 M [1]  2 M [2 1]  3 M [3 2 1]  1 H [1 3 2]  4 M evict 2 [4 1 3]
 *   2 M evict 3 [2 4 1]  5 M evict 1 [5 2 4]  1 M evict 4 [1 5 2]
 *   2 H [2 1 5]  3 M evict 5 [3 2 1] */
START_TEST(lru_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 4, 2, 5, 1, 2, 3};
    static const uint64_t in[] = {1, 2, 3}, out[] = {4, 5};
    TRACE(evict_lru, 3, keys, "MMMHMMMMHM", in, out);
}
END_TEST

/* FIFO, insertion order newest first; hits change nothing:
 *   1 2 3 M [3 2 1]  1 H  4 M evict 1 [4 3 2]  2 H  5 M evict 2 [5 4 3]
 *   1 M evict 3 [1 5 4]  2 M evict 4 [2 1 5]  3 M evict 5 [3 2 1] */
START_TEST(fifo_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 4, 2, 5, 1, 2, 3};
    static const uint64_t in[] = {1, 2, 3}, out[] = {4, 5};
    TRACE(evict_fifo, 3, keys, "MMMHMHMMMM", in, out);
}
END_TEST

/* CLOCK as FIFO-with-reinsertion, newest first, * marks a set bit; new
 * objects enter with the bit clear:
 *   1 2 3 M [3 2 1]  2 H [3 2* 1]  1 H [3 2* 1*]
 *   4 M: tail 1* -> clear, to head [1 3 2*]; tail 2* -> [2 1 3]; evict 3 -> [4 2 1]
 *   5 M: tail 1 clear, evict 1 -> [5 4 2]   (LRU would evict 2 here)
 *   2 H [5 4 2*]
 *   1 M: tail 2* -> [2 5 4]; evict 4 -> [1 2 5] */
START_TEST(clock_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 2, 1, 4, 5, 2, 1};
    static const uint64_t in[] = {1, 2, 5}, out[] = {3, 4};
    TRACE(evict_clock, 3, keys, "MMMHHMMHM", in, out);
}
END_TEST

/* LFU with in-cache counts (key:count), ties to the least recently used:
 *   1 2 3 M (1:1 2:1 3:1)  2 H (2:2)
 *   4 M: count-1 objects 3, 1; 1 is older -> evict 1 (2:2 3:1 4:1)
 *   1 M: evict 3 (older than 4) (2:2 4:1 1:1)
 *   3 M: evict 4 (2:2 1:1 3:1)   3 H (3:2; count 2 holds 2 then 3)
 *   5 M: evict 1 (2:2 3:2 5:1)   4 M: evict 5 (2:2 3:2 4:1)
 *   4 H (4:2; count 2 holds 2, 3, 4 oldest first)
 *   6 M: lowest count is 2 -> evict its oldest, 2 (3:2 4:2 6:1)
 *   6 H (6:2; count 1 empties)  3 H (3:3, a new bucket)
 *   3 H (3:4, alone with no count-4 bucket: relabelled)
 *   7 M: lowest count 2 holds 4, 6 -> evict 4 (3:4 6:2 7:1)
 *   4 M: evict 7 (3:4 6:2 4:1)
 *   6 H (6:3, relabelled)  6 H (6:4, joins 3, which is older)
 *   4 H 4 H 4 H (4:4, the newest at count 4)
 *   8 M: all at count 4 -> evict the oldest there, 3 (6:4 4:4 8:1) */
START_TEST(lfu_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 2, 4, 1, 3, 3, 5, 4, 4, 6, 6, 3,
                                    3, 7, 4, 6, 6, 4, 4, 4, 8};
    static const uint64_t in[] = {6, 4, 8}, out[] = {1, 2, 3, 5, 7};
    TRACE(evict_lfu, 3, keys, "MMMHMMMHMMHMHHHMMHHHHHM", in, out);
}
END_TEST

/* SIEVE, newest first, * marks visited, ^ the hand (none: start at the tail):
 *   1 2 3 M [3 2 1]  1 H [3 2 1*]
 *   4 M: hand at tail 1* -> clear, move to 2; evict 2; hand ^3 -> [4 3^ 1]
 *   2 M: evict 3; hand ^4 -> [2 4^ 1]
 *   5 M: evict 4; hand ^2 -> [5 2^ 1]   (CLOCK would evict 1 here)
 *   1 H [5 2^ 1*]
 *   3 M: evict 2; hand ^5 -> [3 5^ 1*]
 *   3 H, 5 H [3* 5*^ 1*]
 *   6 M: clear 5, clear 3, wrap to the tail, clear 1, back to 5: evict 5;
 *        hand ^3 -> [6 3^ 1]
 *   7 M: evict 3; hand ^6 -> [7 6^ 1] */
START_TEST(sieve_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 3, 5, 6, 7};
    static const uint64_t in[] = {7, 6, 1}, out[] = {2, 3, 4, 5};
    TRACE(evict_sieve, 3, keys, "MMMHMMMHMHHMM", in, out);
}
END_TEST

/* S3-FIFO, capacity 3: S's share round(0.3) -> 1, M holds 2, G floor(2.7) = 2.
 * Lists newest first, key:counter. A full cache evicts from S while S holds
 * >= 1 object (or M is empty), else from M.
 *   1 2 3 M S[3:0 2:0 1:0]  1 H 1 H 2 H  S[3:0 2:1 1:2]
 *   4 M: S tail 1:2 > 1 -> M[1:2]; S tail 2:1 -> G[2]; S[4 3] M[1] G[2]
 *   2 M (ghost): out of G; S tail 3:0 -> G[3]; 2 into M: M[2:0 1:2]  S[4]
 *   5 M: S tail 4 -> G[4 3]; S[5]
 *   3 M (ghost): out of G -> G[4]; S tail 5 -> G[5 4]; M[3:0 2:0 1:2] S[]
 *   6 M: S empty, evict from M: 1:2 -> 1:1 to head; 2:0 dropped; M[1:1 3:0] S[6]
 *   1 H (1:2)
 *   7 M: S tail 6 -> G full, drops 4 -> G[6 5]; S[7]
 *   4 M (no longer a ghost): S tail 7 -> G drops 5 -> G[7 6]; S[4]
 * Cached: M[1 3] S[4]. */
START_TEST(s3fifo_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 1, 2, 4, 2, 5, 3, 6, 1, 7, 4};
    static const uint64_t in[] = {1, 3, 4}, out[] = {2, 5, 6, 7};
    TRACE(evict_s3fifo, 3, keys, "MMMHHHMMMMMHMM", in, out);
}
END_TEST

/* ARC, c = 3, p = 0; lists most recent first.
 *   1 2 3 M T1[3 2 1]   1 H T1[3 2] T2[1]
 *   4 M: |L1| = 2, total 3 >= c: REPLACE, |T1| 2 > p 0: 2 -> B1; T1[4 3] B1[2]
 *   2 M (B1): p += 1 -> 1; REPLACE: |T1| 2 > 1: 3 -> B1; T1[4] T2[2 1] B1[3]
 *   5 M: |L1| 2, total 4: REPLACE, |T1| 1 = p: T2's 1 -> B2; T1[5 4] T2[2] B2[1]
 *   1 M (B2): p -= 1 -> 0; REPLACE: |T1| 2 > 0: 4 -> B1; T1[5] T2[1 2] B1[4 3]
 *   3 M (B1): p += 1 -> 1; REPLACE: |T1| 1 = p: 2 -> B2; T2[3 1] B1[4] B2[2]
 *   6 M: |L1| 2, total 5: REPLACE: 1 -> B2; T1[6 5] T2[3] B1[4] B2[1 2]
 *   7 M: |L1| = 3 = c, |T1| < c: drop B1's 4; REPLACE |T1| 2 > 1: 5 -> B1;
 *        T1[7 6] T2[3] B1[5] B2[1 2]
 *   5 M (B1): |B2| 2 > |B1| 1, p += 2/1 -> 3; REPLACE |T1| 2 < 3: 3 -> B2;
 *        T1[7 6] T2[5] B1[] B2[3 1 2]
 *   8 M: |L1| 2, total 6 = 2c: drop B2's 2; REPLACE: 5 -> B2;
 *        T1[8 7 6] T2[] B2[5 3 1]
 *   3 M (B2): p -= 1 -> 2; REPLACE |T1| 3 > 2: 6 -> B1; T1[8 7] T2[3] B1[6] B2[5 1]
 *   7 H: T1[8] T2[7 3]
 *   9 M: |L1| 2, total 6 = 2c: drop B2's 1; REPLACE |T1| 1 < 2: 3 -> B2;
 *        T1[9 8] T2[7] B1[6] B2[3 5]
 *   10 M: |L1| = 3 = c: drop B1's 6; REPLACE |T1| 2 = p, not a B2 hit: 7 -> B2
 *        (had p grown by 1 instead of 2 at the B1 hit on 5, 8 would go);
 *        T1[10 9 8] B2[7 3 5]
 *   8 H: T1[10 9] T2[8] */
START_TEST(arc_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 4, 2, 5, 1, 3, 6, 7, 5, 8, 3, 7, 9, 10, 8};
    static const uint64_t in[] = {10, 9, 8}, out[] = {1, 2, 3, 4, 5, 6, 7};
    TRACE(evict_arc, 3, keys, "MMMHMMMMMMMMMMHMMH", in, out);
}
END_TEST

/* W-TinyLFU, capacity 3: window round(0.03) -> 1, main 2, protected
 * floor(0.8 * 2) = 1. key#n is the sketch count after the access (exact: 4
 * rows of at least 64 counters, no reset before 30 samples).
 *   1 M W[1]  2 M: 1 -> probation P[1], W[2]  3 M: 2 -> P[2 1], W[3]
 *   1 H (1#2): P -> protected R[1]; P[2]
 *   2 H (2#2): R[2 1] over 1: 1 demoted, P[1] R[2]
 *   4 M: candidate 3#1 vs victim 1#2: rejected; W[4]
 *   4 H (4#2, in the window)
 *   5 M: candidate 4#2 vs 1#2: tie rejects; W[5]
 *   3 M (3#2): candidate 5#1 rejected; W[3]
 *   6 M: candidate 3#2 vs 1#2 rejected; W[6]
 *   3 M (3#3): candidate 6#1 rejected; W[3]
 *   7 M: candidate 3#3 > 1#2: 1 evicted, P[3]; W[7]
 *   3 H (3#4): P -> R[3 2], 2 demoted: P[2] R[3] */
START_TEST(tinylfu_trace_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 2, 4, 4, 5, 3, 6, 3, 7, 3};
    static const uint64_t in[] = {7, 2, 3}, out[] = {1, 4, 5, 6};
    TRACE(evict_tinylfu, 3, keys, "MMMHHMHMMMMMH", in, out);
}
END_TEST

/* RANDOM has no hand trace: the victim is one of the cached keys, chosen by
 * the seed, and reproducible; over many seeds each is equally likely. */
START_TEST(random_evicts_one_cached_key_uniformly)
{
    size_t evicted[3] = {0, 0, 0};
    enum { TRIALS = 3000 };
    for (uint64_t seed = 0; seed < TRIALS; seed++) {
        void *s = evict_random.create(3, seed, NULL);
        for (uint64_t k = 1; k <= 3; k++)
            REQUIRE(!evict_random.access(s, k), "first access hit");
        for (uint64_t k = 1; k <= 3; k++)
            REQUIRE(evict_random.access(s, k), "second access missed");
        REQUIRE(!evict_random.access(s, 4), "new key hit");
        REQUIRE(evict_random.contains(s, 4), "new key not cached");
        REQUIRE(evict_random.size(s) == 3, "size %zu", evict_random.size(s));
        size_t gone = 0;
        for (uint64_t k = 1; k <= 3; k++)
            if (!evict_random.contains(s, k)) {
                evicted[k - 1]++;
                gone++;
            }
        REQUIRE(gone == 1, "%zu keys evicted", gone);
        evict_random.destroy(s);
    }
    /* Binomial(3000, 1/3): sd 25.8, so +-130 is 5 sd. */
    for (int k = 0; k < 3; k++)
        ck_assert_msg(evicted[k] > 870 && evicted[k] < 1130, "key %d evicted %zu times", k + 1,
                      evicted[k]);
}
END_TEST

/* Perfect LFU, capacity 2. Counts after each request in brackets.
 *   1 miss, admitted (room)        {1:1}         cache {1}
 *   1 hit                          {1:2}         cache {1}
 *   2 miss, admitted (room)        {2:1}         cache {1, 2}
 *   3 miss: 1 is not > min 1 (2)   {3:1}         cache {1, 2}: declined
 *   3 miss: 2 > min 1 (key 2)      {3:2}         cache {1, 3}: 2 evicted
 *   2 miss: 2 is not > min 2       {2:2}         declined (ties keep the incumbent)
 *   2 miss: 3 > min 2              {2:3}         cache {1, 2}: 3 evicted, the
 *                                                newer of the two at count 2
 *   1 hit                          {1:3}
 *   3 miss: 3 is not > min 3       {3:3}         declined */
START_TEST(perfect_lfu_hand_sequence)
{
    const struct evict_policy *p = evict_find("lfu_perfect");
    void *s = p->create(2, 1, NULL);
    static const uint64_t seq[] = {1, 1, 2, 3, 3, 2, 2, 1, 3};
    static const bool hit[] = {false, true, false, false, false, false, false, true, false};
    for (size_t i = 0; i < 9; i++)
        ck_assert_msg(p->access(s, seq[i]) == hit[i], "request %zu", i);
    ck_assert(p->contains(s, 1) && p->contains(s, 2) && !p->contains(s, 3));
    /* A fill (insert) does not count a request: 3 stays out at count 3. */
    ck_assert(!p->insert(s, 3));
    ck_assert(!p->contains(s, 3));
    p->destroy(s);
}
END_TEST

/* --- registry ------------------------------------------------------------------ */

START_TEST(registry_names_are_unique_and_found)
{
    const struct policy_head *const *all = evict_family.table;
    ck_assert_uint_eq(n_policies(), 10);
    for (size_t i = 0; all[i]; i++) {
        ck_assert_ptr_eq(evict_find(all[i]->name), evict_of(all[i]));
        ck_assert_ptr_nonnull(all[i]->summary);
        ck_assert_ptr_nonnull(all[i]->params);
        for (size_t j = 0; all[i]->params[j].name; j++) {
            char *end;
            ck_assert_ptr_nonnull(all[i]->params[j].def);
            (void)strtod(all[i]->params[j].def, &end);
            ck_assert_int_eq(*end, '\0');
        }
        for (size_t j = i + 1; all[j]; j++)
            ck_assert_str_ne(all[i]->name, all[j]->name);
    }
    ck_assert_ptr_null(evict_find("lru2"));
    ck_assert_ptr_null(evict_find(""));
}
END_TEST

START_TEST(create_rejects_bad_arguments)
{
    static const double small_too_big[] = {1.0, 0.9}, ghost_negative[] = {0.1, -1};
    static const double window_zero[] = {0.0, 0.8}, protected_over[] = {0.01, 1.5};
    for (const struct policy_head *const *h = evict_family.table; *h; h++)
        ck_assert_ptr_null(evict_of(*h)->create(0, 1, NULL));
    ck_assert_ptr_null(evict_s3fifo.create(10, 1, small_too_big));
    ck_assert_ptr_null(evict_s3fifo.create(10, 1, ghost_negative));
    ck_assert_ptr_null(evict_tinylfu.create(10, 1, window_zero));
    ck_assert_ptr_null(evict_tinylfu.create(10, 1, protected_over));
}
END_TEST

/* --- properties of every policy (loop index = registry index) ------------------ */

static uint64_t test_next(uint64_t *x)
{
    *x += 0x9e3779b97f4a7c15ULL;
    return evict_mix64(*x);
}

/* A skewed key over 40 values, spread over the whole 64-bit range (0 and
 * UINT64_MAX included) so no key value is special. */
static uint64_t skewed_key(uint64_t *x)
{
    uint64_t r = test_next(x);
    uint64_t k = (r & 1) ? (r >> 1) % 6 : (r >> 1) % 40;
    return k == 0 ? 0 : k == 1 ? UINT64_MAX : evict_mix64(k);
}

static size_t count_cached(const struct evict_policy *p, const void *s)
{
    size_t n = 0;
    for (uint64_t k = 0; k < 40; k++) {
        uint64_t key = k == 0 ? 0 : k == 1 ? UINT64_MAX : evict_mix64(k);
        n += p->contains(s, key);
    }
    return n;
}

START_TEST(access_contains_remove_agree)
{
    const struct evict_policy *p = evict_of(evict_family.table[_i]);
    static const size_t caps[] = {1, 2, 3, 8, 33};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        size_t cap = caps[c];
        void *s = p->create(cap, 7, NULL);
        uint64_t x = cap;
        for (int n = 0; n < 20000; n++) {
            uint64_t key = skewed_key(&x);
            size_t before = p->size(s);
            bool had = p->contains(s, key);
            if (n % 7 == 3) {
                REQUIRE(p->remove(s, key) == had, "%s: remove() disagrees", p->head.name);
                REQUIRE(!p->contains(s, key), "%s: removed key still there", p->head.name);
                REQUIRE(p->size(s) == before - had, "%s: size after remove", p->head.name);
                continue;
            }
            REQUIRE(p->access(s, key) == had, "%s cap %zu op %d: access vs contains", p->head.name,
                    cap, n);
            /* An admission policy may leave a missed key out when full. */
            bool in = p->contains(s, key);
            REQUIRE(in || (p->may_decline && before == cap), "%s: accessed key not cached",
                    p->head.name);
            size_t after = p->size(s);
            REQUIRE(after <= cap, "%s: size %zu over capacity %zu", p->head.name, after, cap);
            REQUIRE(had || !in ? after == before : after >= (before < cap ? before + 1 : 1),
                    "%s: size %zu -> %zu", p->head.name, before, after);
            if (n % 101 == 0)
                REQUIRE(count_cached(p, s) == after, "%s: size() vs contains()", p->head.name);
        }
        ck_assert_uint_eq(count_cached(p, s), p->size(s));
        p->destroy(s);
    }
}
END_TEST

START_TEST(working_set_within_capacity_misses_once_per_key)
{
    const struct evict_policy *p = evict_of(evict_family.table[_i]);
    static const size_t sets[] = {1, 7, 10};
    for (size_t w = 0; w < sizeof sets / sizeof sets[0]; w++) {
        void *s = p->create(10, 3, NULL);
        uint64_t x = 99;
        size_t misses = 0;
        for (int n = 0; n < 2000; n++)
            misses += !p->access(s, test_next(&x) % sets[w]);
        ck_assert_msg(misses == sets[w], "%s: %zu keys, %zu misses", p->head.name, sets[w], misses);
        ck_assert_uint_eq(p->size(s), sets[w]);
        p->destroy(s);
    }
}
END_TEST

START_TEST(same_seed_same_results)
{
    const struct evict_policy *p = evict_of(evict_family.table[_i]);
    void *a = p->create(50, 42, NULL), *b = p->create(50, 42, NULL);
    uint64_t x = 5;
    for (int n = 0; n < 20000; n++) {
        uint64_t key = test_next(&x) % 200 * (test_next(&x) & 1) + test_next(&x) % 20;
        REQUIRE(p->access(a, key) == p->access(b, key), "%s: runs diverge at %d", p->head.name, n);
    }
    p->destroy(a);
    p->destroy(b);
    p->destroy(NULL);
}
END_TEST

START_TEST(capacity_one_holds_the_last_key)
{
    const struct evict_policy *p = evict_of(evict_family.table[_i]);
    if (p->may_decline) /* perfect LFU keeps 5 (count 2) over 6 (count 1) */
        return;
    void *s = p->create(1, 1, NULL);
    ck_assert(!p->access(s, 5));
    ck_assert(p->access(s, 5));
    ck_assert(!p->access(s, 6));
    ck_assert(p->contains(s, 6));
    ck_assert(!p->contains(s, 5));
    ck_assert_uint_eq(p->size(s), 1);
    ck_assert(p->remove(s, 6));
    ck_assert(!p->remove(s, 6));
    ck_assert_uint_eq(p->size(s), 0);
    ck_assert(!p->access(s, 7));
    p->destroy(s);
}
END_TEST

/* --- hit ratios under IRM ----------------------------------------------------- */

/* Hit ratio of p with capacity 3 over 1e6 requests drawn i.i.d. from
 * Zipf(alpha = 1) over 10 keys. */
static double zipf10_hit_ratio(const struct evict_policy *p)
{
    double cdf[10], sum = 0;
    for (int i = 0; i < 10; i++)
        sum += 1.0 / (i + 1);
    double acc = 0;
    for (int i = 0; i < 10; i++)
        cdf[i] = (acc += 1.0 / (i + 1) / sum);
    void *s = p->create(3, 2024, NULL);
    uint64_t x = 12345;
    size_t hits = 0;
    enum { REQUESTS = 1000000 };
    for (int n = 0; n < REQUESTS; n++) {
        double u = (double)(test_next(&x) >> 11) * 0x1p-53;
        uint64_t k = 0;
        while (k < 9 && u >= cdf[k])
            k++;
        hits += p->access(s, k);
    }
    p->destroy(s);
    return (double)hits / REQUESTS;
}

/* Exact IRM hit ratios for Zipf(1), N = 10, capacity 3. LRU: King's formula
 * (King, "Analysis of demand paging algorithms", IFIP 1971), the sum over
 * ordered 3-tuples of stack-state probabilities. FIFO and RANDOM: Gelenbe's
 * (1973) product form, P(set S) proportional to the product of p_i over S;
 * both evaluated exactly by enumeration. Tolerance: the per-request hit
 * indicator has variance h(1 - h) ~ 0.25, i.e. 0.0005 standard error for
 * 1e6 independent samples; the cache state correlates successive requests,
 * which inflates that to about 0.001, so 0.003 is three standard errors. */
START_TEST(irm_zipf_hit_ratios_match_theory)
{
    ck_assert_double_eq_tol(zipf10_hit_ratio(&evict_lru), 0.47066419, 0.003);
    ck_assert_double_eq_tol(zipf10_hit_ratio(&evict_fifo), 0.4451044606, 0.003);
    ck_assert_double_eq_tol(zipf10_hit_ratio(&evict_random), 0.4451044606, 0.003);
}
END_TEST

/* --- the map itself ----------------------------------------------------------- */

/* Backward-shift deletion must keep every remaining key reachable, even when
 * runs wrap around the end of the table. */
START_TEST(map_survives_churn)
{
    struct evict_map m;
    enum { N = 300 };
    evict_map_init(&m, N);
    uint64_t keys[N];
    uint64_t x = 1;
    for (uint32_t i = 0; i < N; i++) {
        keys[i] = test_next(&x);
        evict_map_put(&m, keys[i], i);
    }
    for (int round = 0; round < 20000; round++) {
        uint32_t i = (uint32_t)(test_next(&x) % N);
        REQUIRE(evict_map_del(&m, keys[i]) == i, "lost key %u", i);
        REQUIRE(evict_map_get(&m, keys[i]) == EVICT_MAP_NONE, "deleted key found");
        REQUIRE(evict_map_del(&m, keys[i]) == EVICT_MAP_NONE, "deleted twice");
        keys[i] = test_next(&x) & 1023; /* small keys collide in home slots */
        while (evict_map_get(&m, keys[i]) != EVICT_MAP_NONE)
            keys[i] = (keys[i] + 1) & 1023;
        evict_map_put(&m, keys[i], i);
    }
    ck_assert_uint_eq(m.count, N);
    for (uint32_t i = 0; i < N; i++)
        REQUIRE(evict_map_get(&m, keys[i]) == i, "lost key %u", i);
    evict_map_fini(&m);
}
END_TEST

/* --- byte mode: hand-computed traces with unequal sizes ------------------------ */

/* The sizes of the keys in the byte-mode traces below, capacity 10 bytes:
 * three of 3 bytes, one of 6 (which must push out two 3-byte objects), one of
 * 11 (larger than the whole cache: refused) and one of 1. */
static uint32_t size_of(uint64_t key)
{
    static const uint32_t sizes[] = {0, 3, 3, 3, 6, 11, 1, 0, 1, 1};
    return sizes[key];
}

/* Sum of the sizes of keys[0..n). */
static uint64_t bytes_of(const uint64_t *keys, size_t n, uint32_t (*sz)(uint64_t))
{
    uint64_t b = 0;
    for (size_t i = 0; i < n; i++)
        b += sz(keys[i]);
    return b;
}

/* Byte-mode run_trace: capacity cap bytes, sizes from sz. Also checks that a
 * request for an object larger than the capacity changes nothing, and that
 * bytes() is the sum of the sizes of the keys in `in`. */
static void *run_sized(const struct evict_policy *p, uint64_t cap, const double *values,
                       uint32_t (*sz)(uint64_t), const uint64_t *keys, const char *pattern,
                       const uint64_t *in, size_t nin, const uint64_t *out, size_t nout)
{
    void *s = p->create_bytes(cap, 10, 1, values);
    ck_assert_ptr_nonnull(s);
    size_t n = strlen(pattern);
    for (size_t i = 0; i < n; i++) {
        size_t objects = p->size(s);
        uint64_t bytes = p->bytes(s);
        bool hit = p->access_sized(s, keys[i], sz(keys[i]));
        ck_assert_msg(hit == (pattern[i] == 'H'), "%s: request %zu (key %llu): got %s, want %c",
                      p->head.name, i + 1, (unsigned long long)keys[i], hit ? "hit" : "miss",
                      pattern[i]);
        ck_assert_msg(p->bytes(s) <= cap, "%s: %llu bytes held, capacity %llu", p->head.name,
                      (unsigned long long)p->bytes(s), (unsigned long long)cap);
        if (sz(keys[i]) > cap) {
            ck_assert_msg(!p->contains(s, keys[i]), "%s: too big key admitted", p->head.name);
            ck_assert_uint_eq(p->size(s), objects);
            ck_assert_uint_eq(p->bytes(s), bytes);
        }
    }
    for (size_t i = 0; i < nin; i++)
        ck_assert_msg(p->contains(s, in[i]), "%s: key %llu should be cached", p->head.name,
                      (unsigned long long)in[i]);
    for (size_t i = 0; i < nout; i++)
        ck_assert_msg(!p->contains(s, out[i]), "%s: key %llu should not be cached", p->head.name,
                      (unsigned long long)out[i]);
    ck_assert_uint_eq(p->size(s), nin);
    ck_assert_uint_eq(p->bytes(s), bytes_of(in, nin, sz));
    return s;
}

#define SIZED(p, cap, values, sz, keys, pattern, in, out)                                         \
    p.destroy(run_sized(&p, cap, values, sz, keys, pattern, in, sizeof in / sizeof in[0], out,   \
                        sizeof out / sizeof out[0]))

/* The common trace: keys 1 2 3 1 4 5 6 2 4, sizes 3 3 3 6 11 1 (capacity 10). */
static const uint64_t sized_keys[] = {1, 2, 3, 1, 4, 5, 6, 2, 4, 1};

/* LRU, most recent first, [bytes]:
 *   1 2 3 M [3 2 1] 9   1 H [1 3 2]   4 (6) M: evict 2, evict 3 [4 1] 9
 *   5 (11) M: refused   6 (1) M [6 4 1] 10   2 M: evict 1 [2 6 4] 10   4 H */
START_TEST(lru_sized_by_hand)
{
    static const uint64_t in5[] = {1, 4}, out5[] = {2, 3};
    SIZED(evict_lru, 10, NULL, size_of, sized_keys, "MMMHM", in5, out5);
    static const uint64_t in[] = {2, 4, 6}, out[] = {1, 3, 5};
    SIZED(evict_lru, 10, NULL, size_of, sized_keys, "MMMHMMMMH", in, out);
}
END_TEST

/* FIFO, newest first: 1 2 3 M [3 2 1]  1 H  4 M: evict 1, evict 2 [4 3] 9
 *   5 refused   6 M [6 4 3] 10   2 M: evict 3 [2 6 4] 10   4 H */
START_TEST(fifo_sized_by_hand)
{
    static const uint64_t in5[] = {3, 4}, out5[] = {1, 2};
    SIZED(evict_fifo, 10, NULL, size_of, sized_keys, "MMMHM", in5, out5);
    static const uint64_t in[] = {2, 4, 6}, out[] = {1, 3, 5};
    SIZED(evict_fifo, 10, NULL, size_of, sized_keys, "MMMHMMMMH", in, out);
}
END_TEST

/* CLOCK, newest first: 1 2 3 M [3 2 1]  1 H (bit)  4 M: 1's bit cleared, 1
 * to the head [1 3 2], evict 2, evict 3 [4 1] 9   5 refused   6 M [6 4 1]
 *   2 M: 1's bit is clear: evict 1 [2 6 4] 10   4 H */
START_TEST(clock_sized_by_hand)
{
    static const uint64_t in5[] = {1, 4}, out5[] = {2, 3};
    SIZED(evict_clock, 10, NULL, size_of, sized_keys, "MMMHM", in5, out5);
    static const uint64_t in[] = {2, 4, 6}, out[] = {1, 3, 5};
    SIZED(evict_clock, 10, NULL, size_of, sized_keys, "MMMHMMMMH", in, out);
}
END_TEST

/* SIEVE, newest first: 1 2 3 M [3 2 1]  1 H (visited)  4 M: the hand clears
 * 1 and moves on, evicts 2, then 3 [4 1] 9   5 refused   6 M [6 4 1]
 *   2 M: the hand wraps to 1 (clear): evict 1 [2 6 4] 10   4 H */
START_TEST(sieve_sized_by_hand)
{
    static const uint64_t in5[] = {1, 4}, out5[] = {2, 3};
    SIZED(evict_sieve, 10, NULL, size_of, sized_keys, "MMMHM", in5, out5);
    static const uint64_t in[] = {2, 4, 6}, out[] = {1, 3, 5};
    SIZED(evict_sieve, 10, NULL, size_of, sized_keys, "MMMHMMMMH", in, out);
}
END_TEST

/* LFU, (count) buckets lowest first, newest first within a bucket:
 *   1 2 3 M (1)[3 2 1]  1 H (1)[3 2] (2)[1]  4 M: evict 2, evict 3
 *   (1)[4] (2)[1] 9   5 refused   6 M (1)[6 4] 10   2 M: evict 4 (1)[2 6] 7
 *   4 M: evict 6, evict 2 (1)[4] (2)[1] 9 */
START_TEST(lfu_sized_by_hand)
{
    static const uint64_t in5[] = {1, 4}, out5[] = {2, 3};
    SIZED(evict_lfu, 10, NULL, size_of, sized_keys, "MMMHM", in5, out5);
    static const uint64_t in[] = {1, 4}, out[] = {2, 3, 5, 6};
    SIZED(evict_lfu, 10, NULL, size_of, sized_keys, "MMMHMMMMM", in, out);
}
END_TEST

/* S3-FIFO with small = 0.5: S 5 bytes, M 5, G 9 bytes of remembered objects.
 *   1 2 3 M S[3 2 1] 9   1 H (freq 1)   4 M: S's tail 1 (freq 1) to G, then
 *   2 to G: G[2 1] 6, S[4 3] 9   5 refused   6 M S[6 4 3] 10
 *   2 M: a ghost, out of G (G[1]); S's tail 3 to G (G[3 1] 6); 2 enters M
 *   M[2] 3, S[6 4] 7   4 H (freq 1)
 *   1 M: a ghost, out of G (G[3]); S's tail 4 (freq 1) to G (G[4 3] 9);
 *   1 enters M: M[1 2] 6, S[6] 1: 7 bytes */
START_TEST(s3fifo_sized_by_hand)
{
    static const double half[] = {0.5, 0.9};
    static const uint64_t in9[] = {2, 4, 6}, out9[] = {1, 3, 5};
    SIZED(evict_s3fifo, 10, half, size_of, sized_keys, "MMMHMMMMH", in9, out9);
    static const uint64_t in[] = {1, 2, 6}, out[] = {3, 4, 5};
    SIZED(evict_s3fifo, 10, half, size_of, sized_keys, "MMMHMMMMHM", in, out);
}
END_TEST

/* ARC in bytes, c = 10, p = 0:
 *   1 2 3 M T1[3 2 1] 9   1 H T1[3 2] T2[1]
 *   4 (6) M: |T1| + |B1| + 6 > 10 and B1 is empty: 2 is dropped from T1 (no
 *   ghost); REPLACE: T1's 3 to B1: T1[4] T2[1] B1[3], 9 bytes cached
 *   5 refused   6 M T1[6 4] T2[1] 10
 *   2 M (new): B1's 3 forgotten; REPLACE: 4 to B1: T1[2 6] T2[1] B1[4] 7
 *   4 M (B1 ghost): p += 6 * max(1, 0/6) = 6; REPLACE: |T1| = 4 <= p, so
 *   T2's 1 goes to B2: T1[2 6] T2[4] B2[1] 10
 *   1 M (B2 ghost): p -= 3 -> 3; REPLACE: |T1| = 4 > 3: 6 to B1; |T1| = 3 = p
 *   on a B2 hit: 2 to B1; T2[1 4] 9 */
START_TEST(arc_sized_by_hand)
{
    static const uint64_t in9[] = {2, 4, 6}, out9[] = {1, 3, 5};
    SIZED(evict_arc, 10, NULL, size_of, sized_keys, "MMMHMMMMM", in9, out9);
    static const uint64_t in[] = {1, 4}, out[] = {2, 3, 5, 6};
    SIZED(evict_arc, 10, NULL, size_of, sized_keys, "MMMHMMMMMM", in, out);
}
END_TEST

/* W-TinyLFU with the default window (1% of 10 bytes: 1 byte), main 9 bytes,
 * protected 7; f(k) is the sketch's count of k.
 *   1 M W[1]   2 M: 1 to probation P[1], W[2]   3 M: P[2 1], W[3]
 *   1 H: promoted, protected R[1], P[2]   4 (6) M: 3 to P[3 2] (main 9 fits);
 *   6 + 6 + 3 > 10: P's LRU 2 then 3 evicted; W[4] R[1] 9   5 refused
 *   6 M: 4 to P (3 + 6 fits main), W[6] 10
 *   2 M: candidate 6 (f 1) against P's LRU 4 (f 1): not greater, 6 evicted;
 *   3 + 6 + 3 > 10: 4 evicted; W[2] R[1] 6
 *   4 M: 2 to P[2]; 6 + 3 + 6 > 10: 2 evicted; W[4] R[1] 9 */
START_TEST(tinylfu_sized_by_hand)
{
    static const uint64_t in[] = {1, 4}, out[] = {2, 3, 5, 6};
    SIZED(evict_tinylfu, 10, NULL, size_of, sized_keys, "MMMHMMMMM", in, out);
}
END_TEST

/* Sizes for the admission trace: 1 and 2 of 2 bytes, 3, 5 and 7 of 4, 8 and
 * 9 of 1. */
static uint32_t size_adm(uint64_t key)
{
    static const uint32_t sizes[] = {0, 2, 2, 4, 0, 4, 0, 4, 1, 1};
    return sizes[key];
}

/* W-TinyLFU with window = 0.5: window 5 bytes, main 5, protected 4.
 *   1 M W[1]  2 M W[2 1] 4   3 M: 1 and 2 to P[2 1]; W[3] 8   3 H 3 H (f 3)
 *   9 M W[9 3] 9   8 M: candidate 3 (f 3, 4 bytes) beats P's LRU 1 (f 1),
 *   which is evicted, then 2 (f 1), evicted; P[3]; W[8 9] 6
 *   5 M: 9 to P[9 3] 5; W[5 8] 10   7 M: candidate 8 (f 1) loses to 3
 *   (f 3): 8 evicted; candidate 5 (f 1) loses to 3: evicted; W[7] 9 */
START_TEST(tinylfu_sized_admission_by_hand)
{
    static const double half[] = {0.5, 0.8};
    static const uint64_t keys[] = {1, 2, 3, 3, 3, 9, 8, 5, 7};
    static const uint64_t in7[] = {3, 8, 9}, out7[] = {1, 2};
    SIZED(evict_tinylfu, 10, half, size_adm, keys, "MMMHHMM", in7, out7);
    static const uint64_t in[] = {3, 7, 9}, out[] = {1, 2, 5, 8};
    SIZED(evict_tinylfu, 10, half, size_adm, keys, "MMMHHMMMM", in, out);
}
END_TEST

/* Perfect LFU in bytes, (count):
 *   1 2 3 M, all fit, 9 bytes   1 H (2)   4 (6) M (1): not more than the
 *   least counted (1): refused   4 M (2): beats 3 (1, the newest of the
 *   least), evicted; 6 + 6 > 10: beats 2 (1), evicted; 4 admitted, 9
 *   5 refused   6 M (1) fits: 10   2 M (2): beats 6 (1), evicted; 9 + 3 > 10
 *   and 2 does not beat 4 (2): refused; 6 stays out: {1, 4} 9 */
START_TEST(perfect_lfu_sized_by_hand)
{
    static const uint64_t keys[] = {1, 2, 3, 1, 4, 4, 5, 6, 2};
    static const uint64_t in[] = {1, 4}, out[] = {2, 3, 5, 6};
    SIZED(evict_plfu, 10, NULL, size_of, keys, "MMMHMMMMM", in, out);
}
END_TEST

/* RANDOM: the 6-byte object needs exactly two of the three 3-byte ones out
 * (one leaves 12 > 10 bytes, two leave 9), whichever the draws pick. */
START_TEST(random_sized_evicts_until_it_fits)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        void *s = evict_random.create_bytes(10, 10, seed, NULL);
        for (uint64_t k = 1; k <= 3; k++)
            ck_assert(!evict_random.access_sized(s, k, 3));
        ck_assert(!evict_random.access_sized(s, 4, 6));
        ck_assert(evict_random.contains(s, 4));
        int left = evict_random.contains(s, 1) + evict_random.contains(s, 2) +
                   evict_random.contains(s, 3);
        ck_assert_int_eq(left, 1);
        ck_assert_uint_eq(evict_random.bytes(s), 9);
        ck_assert(!evict_random.access_sized(s, 5, 11)); /* too big: nothing changes */
        ck_assert_uint_eq(evict_random.size(s), 2);
        ck_assert_uint_eq(evict_random.bytes(s), 9);
        evict_random.destroy(s);
    }
}
END_TEST

/* --- byte mode: properties of every policy -------------------------------------- */

/* A key's size: a pure function of the key, 1 to 64 bytes, plus a few keys
 * larger than the test capacity. */
static uint32_t prop_size(uint64_t key)
{
    uint64_t h = evict_mix64(key ^ 0x5eed);
    return (h & 255) == 0 ? 5000 : (uint32_t)(1 + (h >> 8) % 64);
}

/* Over 200000 random accesses, fills and removes (keys 0..1999, capacity
 * 3000 bytes), bytes() never exceeds the capacity and size() never exceeds
 * max_objects; every 997 steps, size() equals the number of keys for which
 * contains() holds and bytes() the sum of their sizes. A missed key that fits
 * is cached right after the access (unless the policy may decline), and a
 * too-big key never is. Run twice: max_objects = 3000 (the capacity over the
 * smallest size, never binding) and 40 (binding: objects average 32 bytes,
 * so about 90 would fit by bytes). */
START_TEST(sized_bytes_within_capacity_and_consistent)
{
    const struct evict_policy *p = evict_of(evict_family.table[_i]);
    enum { KEYS = 2000, STEPS = 200000 };
    const uint64_t cap = 3000;
    static const size_t max_objects[] = {3000, 40};
    for (int m = 0; m < 2; m++) {
        void *s = p->create_bytes(cap, max_objects[m], 7, NULL);
        ck_assert_ptr_nonnull(s);
        uint64_t x = 99;
        for (int step = 1; step <= STEPS; step++) {
            uint64_t r = test_next(&x);
            uint64_t key = (r >> 16) % KEYS;
            uint32_t sz = prop_size(key);
            if ((r & 15) == 0) {
                p->remove(s, key);
            } else if ((r & 15) == 1 && p->insert_sized) {
                p->insert_sized(s, key, sz);
            } else {
                bool hit = p->access_sized(s, key, sz);
                REQUIRE(!(hit && sz > cap), "%s: hit on a too-big key", p->head.name);
                if (sz > cap)
                    REQUIRE(!p->contains(s, key), "%s: too-big key cached", p->head.name);
                else if (!p->may_decline)
                    REQUIRE(p->contains(s, key), "%s: key %llu not cached after access",
                            p->head.name, (unsigned long long)key);
            }
            REQUIRE(p->bytes(s) <= cap, "%s: %llu bytes > capacity", p->head.name,
                    (unsigned long long)p->bytes(s));
            REQUIRE(p->size(s) <= max_objects[m], "%s: %zu objects > %zu", p->head.name, p->size(s),
                    max_objects[m]);
            if (step % 997 == 0 || step == STEPS) {
                size_t n = 0;
                uint64_t b = 0;
                for (uint64_t k = 0; k < KEYS; k++)
                    if (p->contains(s, k)) {
                        n++;
                        b += prop_size(k);
                    }
                REQUIRE(n == p->size(s), "%s: size %zu, contains %zu", p->head.name, p->size(s), n);
                REQUIRE(b == p->bytes(s), "%s: bytes %llu, contained %llu", p->head.name,
                        (unsigned long long)p->bytes(s), (unsigned long long)b);
            }
        }
        /* Far from empty: the trace keeps the cache busy, by bytes while the
         * count bound is loose and by count when it binds. */
        if (m == 0)
            ck_assert_uint_gt(p->bytes(s), cap / 2);
        else
            ck_assert_uint_gt(p->size(s), max_objects[m] / 2);
        p->destroy(s);
    }
}
END_TEST

/* Every policy offers byte mode, and its create_bytes refuses a zero capacity
 * or a zero object bound. */
START_TEST(create_bytes_rejects_bad_arguments)
{
    for (const struct policy_head *const *h = evict_family.table; *h; h++) {
        const struct evict_policy *p = evict_of(*h);
        ck_assert(p->create_bytes != NULL);
        ck_assert(p->access_sized != NULL);
        ck_assert(p->bytes != NULL);
        ck_assert_ptr_null(p->create_bytes(0, 10, 1, NULL));
        ck_assert_ptr_null(p->create_bytes(100, 0, 1, NULL));
    }
}
END_TEST

/* In-cache LFU and SIEVE make the same choices until SIEVE's hand first
 * comes round to the newest object: before that, the objects behind the
 * hand were all hit since they came in (their bits cleared in passing), so
 * those ahead of it with a clear bit are exactly LFU's count-1 bucket, and
 * both drop its oldest. The hand passes every cached object once before it
 * wraps, so on a stream like scenarios/traces/zipf-scan.csv (blocks of 3000
 * skewed requests over 5000 keys, each followed by a scan of 2000 keys) at
 * 500 objects they agree request by request for tens of thousands of
 * requests: why lfu and sieve tie in the short runs of cache-trace.ini
 * (20 000 requests) and cache-bytes.ini, and part in cache-size.ini's
 * 2 million. Returns the first request on which they differ (n if none) and
 * the hits of each over n requests. */
static size_t lfu_sieve_first_difference(bool sized, size_t n, size_t *hits_lfu,
                                         size_t *hits_sieve)
{
    void *a = sized ? evict_lfu.create_bytes(5000, 5000, 1, NULL) : evict_lfu.create(500, 1, NULL);
    void *b =
        sized ? evict_sieve.create_bytes(5000, 5000, 1, NULL) : evict_sieve.create(500, 1, NULL);
    uint64_t x = 7;
    size_t first = n;
    *hits_lfu = *hits_sieve = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = i % 5000;
        double u = (double)(test_next(&x) >> 11) / 9007199254740992.0;
        uint64_t key = j >= 3000 ? 1000000 + j : (uint64_t)(5000 * u * u * u);
        uint32_t size = (uint32_t)(1 + evict_mix64(key) % 19); /* 1..19 bytes, 10 on average */
        bool ha = sized ? evict_lfu.access_sized(a, key, size) : evict_lfu.access(a, key);
        bool hb = sized ? evict_sieve.access_sized(b, key, size) : evict_sieve.access(b, key);
        if (ha != hb && first == n)
            first = i;
        *hits_lfu += ha;
        *hits_sieve += hb;
    }
    evict_lfu.destroy(a);
    evict_sieve.destroy(b);
    return first;
}

START_TEST(lfu_and_sieve_agree_until_the_hand_wraps)
{
    for (int sized = 0; sized < 2; sized++) {
        size_t ha, hb;
        size_t first = lfu_sieve_first_difference(sized, 400000, &ha, &hb);
        ck_assert_msg(first >= 20000 && first < 400000, "%s: first difference at %zu",
                      sized ? "bytes" : "objects", first);
        ck_assert_uint_ne(ha, hb);
        ck_assert_uint_gt(ha, 40000); /* the popular keys do hit */
    }
}
END_TEST

Suite *evict_suite(void)
{
    Suite *s = suite_create("evict");
    TCase *t = tcase_create("traces");
    tcase_add_test(t, lru_trace_by_hand);
    tcase_add_test(t, fifo_trace_by_hand);
    tcase_add_test(t, clock_trace_by_hand);
    tcase_add_test(t, lfu_trace_by_hand);
    tcase_add_test(t, sieve_trace_by_hand);
    tcase_add_test(t, s3fifo_trace_by_hand);
    tcase_add_test(t, arc_trace_by_hand);
    tcase_add_test(t, tinylfu_trace_by_hand);
    tcase_add_test(t, perfect_lfu_hand_sequence);
    tcase_add_test(t, random_evicts_one_cached_key_uniformly);
    tcase_add_test(t, lfu_and_sieve_agree_until_the_hand_wraps);
    suite_add_tcase(s, t);

    TCase *r = tcase_create("registry");
    tcase_add_test(r, registry_names_are_unique_and_found);
    tcase_add_test(r, create_rejects_bad_arguments);
    tcase_add_test(r, map_survives_churn);
    suite_add_tcase(s, r);

    int n = (int)n_policies();
    TCase *p = tcase_create("properties");
    tcase_add_loop_test(p, access_contains_remove_agree, 0, n);
    tcase_add_loop_test(p, working_set_within_capacity_misses_once_per_key, 0, n);
    tcase_add_loop_test(p, same_seed_same_results, 0, n);
    tcase_add_loop_test(p, capacity_one_holds_the_last_key, 0, n);
    suite_add_tcase(s, p);

    TCase *b = tcase_create("bytes");
    tcase_set_timeout(b, 60);
    tcase_add_test(b, lru_sized_by_hand);
    tcase_add_test(b, fifo_sized_by_hand);
    tcase_add_test(b, clock_sized_by_hand);
    tcase_add_test(b, sieve_sized_by_hand);
    tcase_add_test(b, lfu_sized_by_hand);
    tcase_add_test(b, s3fifo_sized_by_hand);
    tcase_add_test(b, arc_sized_by_hand);
    tcase_add_test(b, tinylfu_sized_by_hand);
    tcase_add_test(b, tinylfu_sized_admission_by_hand);
    tcase_add_test(b, perfect_lfu_sized_by_hand);
    tcase_add_test(b, random_sized_evicts_until_it_fits);
    tcase_add_test(b, create_bytes_rejects_bad_arguments);
    tcase_add_loop_test(b, sized_bytes_within_capacity_and_consistent, 0, n);
    suite_add_tcase(s, b);

    TCase *z = tcase_create("irm");
    tcase_set_timeout(z, 30);
    tcase_add_test(z, irm_zipf_hit_ratios_match_theory);
    suite_add_tcase(s, z);
    return s;
}
