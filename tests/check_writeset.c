/* The set of a key's writes that [multileader] keeps in place of a version
 * vector (models/kinds/writeset.c): over random histories of writes by
 * random origins, a set built by joins and additions holds exactly the
 * writes its version vector covers, its size is the sum of the counters,
 * the join is the vector's join (the maximum of each counter), and the
 * newest write it lacks is the newest one any counter misses; any sets
 * (closed or not) add and join as unions; the
 * watermark rises over every full run, so a set that has every write keeps
 * no list. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "models/kinds/writeset.h"
#include "sim/rng.h"

#define MAXW 400 /* writes in a history */
#define MAXO 9   /* origins */

/* A history: write g (1-based) is the c-th write of origin o. */
struct history {
    uint32_t n;
    uint32_t origin[MAXW + 1], counter[MAXW + 1];
    uint32_t count[MAXO]; /* writes of each origin so far */
};

/* A version vector and the set that should stand for it. */
struct pair {
    uint32_t vv[MAXO];
    struct writeset set;
};

static void commit(struct history *h, uint32_t o)
{
    h->n++;
    h->origin[h->n] = o;
    h->counter[h->n] = ++h->count[o];
}

/* The set agrees with the vector: membership of every write, size. */
static void check_pair(const struct history *h, const struct pair *p)
{
    uint64_t sum = 0, newest = 0;
    for (uint32_t o = 0; o < MAXO; o++)
        sum += p->vv[o];
    ck_assert_uint_eq(writeset_size(&p->set), sum);
    for (uint32_t g = 1; g <= h->n; g++) { /* ck_abort only on a mismatch: a
                                                  ck_assert per write made the
                                                  suite slow (it marks each one) */
        bool covered = h->counter[g] <= p->vv[h->origin[g]];
        if (writeset_has(&p->set, g) != covered)
            ck_abort_msg("write %u: in the set %d, covered by the vector %d", g,
                         writeset_has(&p->set, g), covered);
        if (!covered)
            newest = g;
    }
    ck_assert_uint_eq(writeset_newest_missing(&p->set, h->n), newest);
    /* the list holds only members above the first write missing */
    for (uint32_t k = 0; k < p->set.nmore; k++)
        if (p->set.more[k] <= p->set.low + 1 || (k > 0 && p->set.more[k] <= p->set.more[k - 1]))
            ck_abort_msg("list entry %u (%llu) not above the watermark %llu + 1 and its "
                         "predecessor",
                         k, (unsigned long long)p->set.more[k], (unsigned long long)p->set.low);
}

/* Random nodes commit writes and send their sets to each other, as
 * [multileader] does: a commit adds the write to its node's set, a receipt
 * joins the sender's set as it was at the send. */
START_TEST(joins_match_version_vectors_over_random_histories)
{
    struct rng r;
    rng_seed(&r, 100 + (uint64_t)_i);
    struct history h;
    memset(&h, 0, sizeof h);
    struct pair node[MAXO], sent;
    memset(node, 0, sizeof node);
    memset(&sent, 0, sizeof sent);
    uint32_t origins = 2 + (uint32_t)_i % (MAXO - 1);
    while (h.n < MAXW) {
        uint32_t o = (uint32_t)rng_below(&r, origins);
        if (rng_below(&r, 3) == 0) { /* o commits a write */
            commit(&h, o);
            node[o].vv[o] = h.count[o];
            writeset_add(&node[o].set, h.n);
            /* and sends its set now: the snapshot a message carries */
            memcpy(sent.vv, node[o].vv, sizeof sent.vv);
            sent.set.low = 0; /* a copy: the union of the empty set and o's */
            sent.set.nmore = 0;
            writeset_join(&sent.set, node[o].set.low, node[o].set.more, node[o].set.nmore);
            check_pair(&h, &sent);
        } else { /* x receives the set o sent last */
            uint32_t x = (uint32_t)rng_below(&r, origins);
            for (uint32_t p = 0; p < MAXO; p++)
                if (sent.vv[p] > node[x].vv[p])
                    node[x].vv[p] = sent.vv[p];
            writeset_join(&node[x].set, sent.set.low, sent.set.more, sent.set.nmore);
            check_pair(&h, &node[x]);
        }
    }
    /* everyone hears from everyone: every set is full, with no list */
    for (uint32_t x = 0; x < origins; x++) {
        for (uint32_t o = 0; o < origins; o++) {
            node[x].vv[o] = h.count[o];
            writeset_join(&node[x].set, node[o].set.low, node[o].set.more, node[o].set.nmore);
        }
        check_pair(&h, &node[x]);
    }
    for (uint32_t x = 0; x < origins; x++) {
        ck_assert_uint_eq(node[x].set.low, h.n);
        ck_assert_uint_eq(node[x].set.nmore, 0);
        writeset_fini(&node[x].set);
    }
    writeset_fini(&sent.set);
}
END_TEST

/* Writes received out of order: 1, 3, 4 leave 2 missing (the list holds 3
 * and 4); 2 fills the gap and the watermark rises to 4. */
START_TEST(the_watermark_rises_over_a_filled_gap)
{
    struct writeset a = {0, NULL, 0, 0};
    writeset_add(&a, 1);
    writeset_add(&a, 3);
    writeset_add(&a, 4);
    ck_assert_uint_eq(a.low, 1);
    ck_assert_uint_eq(a.nmore, 2);
    ck_assert_uint_eq(writeset_size(&a), 3);
    ck_assert_uint_eq(writeset_newest_missing(&a, 4), 2);
    ck_assert_uint_eq(writeset_newest_missing(&a, 6), 6);
    ck_assert(!writeset_has(&a, 2));
    ck_assert(writeset_has(&a, 3));
    writeset_add(&a, 3); /* again: no change */
    ck_assert_uint_eq(writeset_size(&a), 3);
    writeset_add(&a, 2);
    ck_assert_uint_eq(a.low, 4);
    ck_assert_uint_eq(a.nmore, 0);
    ck_assert_uint_eq(writeset_newest_missing(&a, 4), 0);
    /* a join with a set below the watermark changes nothing */
    uint64_t more[] = {3};
    writeset_join(&a, 1, more, 1);
    ck_assert_uint_eq(a.low, 4);
    ck_assert_uint_eq(a.nmore, 0);
    writeset_fini(&a);
}
END_TEST

/* A set kept at a steady size allocates once: its list's capacity stops
 * growing (no allocation per event). */
START_TEST(a_steady_set_stops_allocating)
{
    struct writeset a = {0, NULL, 0, 0};
    size_t cap = 0;
    for (uint64_t k = 1; k < 100000; k++) {
        /* odd writes arrive at once, even ones 8 steps late */
        writeset_add(&a, 2 * k - 1);
        if (k > 8)
            writeset_add(&a, 2 * (k - 8));
        if (writeset_size(&a) != (k > 8 ? 2 * k - 8 : k))
            ck_abort_msg("step %llu: size %llu", (unsigned long long)k,
                         (unsigned long long)writeset_size(&a));
        if (k == 1000) {
            cap = a.cap;
        }
    }
    ck_assert_uint_le(a.nmore, 8);
    ck_assert_uint_eq(a.cap, cap);
    writeset_fini(&a);
}
END_TEST

/* Any sets (not only those of version vectors): random additions, in and
 * out of order, and joins with other random sets hold exactly the union,
 * checked against an array of flags. */
START_TEST(adds_and_joins_are_unions)
{
    enum { N = 300 };
    struct rng r;
    rng_seed(&r, 7 + (uint64_t)_i);
    bool ref[N + 1], other_ref[N + 1];
    memset(ref, 0, sizeof ref);
    struct writeset a = {0, NULL, 0, 0}, b = {0, NULL, 0, 0};
    for (int step = 0; step < 400; step++) {
        if (rng_below(&r, 4) != 0) {
            uint64_t g = 1 + rng_below(&r, N);
            writeset_add(&a, g);
            ref[g] = true;
        } else { /* a random set b, dense at the bottom and sparse above */
            memset(other_ref, 0, sizeof other_ref);
            b.low = 0;
            b.nmore = 0;
            uint64_t low = rng_below(&r, N / 2);
            for (uint64_t g = 1; g <= low; g++)
                other_ref[g] = true;
            writeset_join(&b, low, NULL, 0);
            for (int k = 0; k < 20; k++) {
                uint64_t g = 1 + rng_below(&r, N);
                writeset_add(&b, g);
                other_ref[g] = true;
            }
            writeset_join(&a, b.low, b.more, b.nmore);
            for (uint64_t g = 1; g <= N; g++)
                ref[g] |= other_ref[g];
        }
        uint64_t size = 0, newest = 0;
        for (uint64_t g = 1; g <= N; g++) {
            if (writeset_has(&a, g) != ref[g])
                ck_abort_msg("step %d: write %llu in the set %d, in the union %d", step,
                             (unsigned long long)g, writeset_has(&a, g), ref[g]);
            size += ref[g];
            if (!ref[g])
                newest = g;
        }
        ck_assert_uint_eq(writeset_size(&a), size);
        ck_assert_uint_eq(writeset_newest_missing(&a, N), newest);
        ck_assert(a.nmore == 0 || a.more[0] > a.low + 1);
        for (uint32_t k = 1; k < a.nmore; k++)
            if (a.more[k] <= a.more[k - 1])
                ck_abort_msg("step %d: list not increasing at %u", step, k);
    }
    writeset_fini(&a);
    writeset_fini(&b);
}
END_TEST

Suite *writeset_suite(void)
{
    Suite *s = suite_create("writeset");
    TCase *t = tcase_create("sets");
    tcase_add_loop_test(t, joins_match_version_vectors_over_random_histories, 0, 40);
    tcase_add_loop_test(t, adds_and_joins_are_unions, 0, 20);
    tcase_add_test(t, the_watermark_rises_over_a_filled_gap);
    tcase_add_test(t, a_steady_set_stops_allocating);
    suite_add_tcase(s, t);
    return s;
}
