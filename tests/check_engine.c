/* Tests for the engine's parts outside the run loop: the request pool
 * (memory bounded by requests in flight, headers fresh on reuse), the
 * precision stop and the warm-up series. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/precision.h"
#include "sim/reqpool.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "sim/warmup.h"

START_TEST(pool_grows_by_chunks_and_reuses_returned_requests)
{
    struct reqpool p = {0};
    struct request *r[REQPOOL_CHUNK + 1];
    for (size_t i = 0; i <= REQPOOL_CHUNK; i++) {
        r[i] = reqpool_take(&p);
        ck_assert_uint_eq(r[i]->id, i);
        ck_assert(!r[i]->pooled);
    }
    ck_assert_uint_eq(p.live, REQPOOL_CHUNK + 1);
    ck_assert_uint_eq(p.nchunks, 2);
    for (size_t i = 0; i <= REQPOOL_CHUNK; i++)
        reqpool_put(&p, r[i]);
    ck_assert_uint_eq(p.live, 0);
    /* A second wave of the same size takes no new memory. */
    for (size_t i = 0; i <= REQPOOL_CHUNK; i++)
        r[i] = reqpool_take(&p);
    ck_assert_uint_eq(p.nchunks, 2);
    ck_assert_uint_eq(r[0]->id, REQPOOL_CHUNK + 1);
    reqpool_fini(&p); /* checks free + live = allocated */
    ck_assert_ptr_null(p.chunks);
}
END_TEST

START_TEST(pool_clears_a_reused_header)
{
    struct reqpool p = {0};
    struct request *r = reqpool_take(&p);
    r->key = 42;
    r->status = REQ_ERROR;
    r->abandoned = true;
    r->user = 7;
    r->target = 3;
    r->depth = 2;
    reqpool_put(&p, r);
    ck_assert(r->pooled);
    struct request *again = reqpool_take(&p);
    ck_assert_ptr_eq(again, r); /* last in, first out */
    ck_assert_uint_eq(again->key, 0);
    ck_assert_uint_eq(again->status, REQ_OK);
    ck_assert(!again->abandoned);
    ck_assert_uint_eq(again->user, UINT32_MAX);
    ck_assert_int_eq(again->target, -1);
    ck_assert_uint_eq(again->depth, 0);
    reqpool_fini(&p);
}
END_TEST

/* Constant latencies have a zero-width interval: the goal is met exactly
 * when the 100th batch of 100 completes, not before. */
/* A request holds two frames itself and takes blocks for deeper calls:
 * every frame keeps its address while deeper ones come and go, a second
 * call as deep reuses the blocks the request kept, and returning the
 * request returns its blocks (the next deep request takes no new memory). */
START_TEST(deep_frames_come_from_blocks_that_never_move)
{
    struct reqpool p = {0};
    struct component comps[REQ_MAX_DEPTH];
    struct request *r = reqpool_take(&p);
    struct frame *at[REQ_MAX_DEPTH];
    for (unsigned i = 0; i < REQ_MAX_DEPTH; i++) {
        at[i] = sim_enter(r, &comps[i]);
        at[i]->step = i;
        ck_assert_ptr_eq(sim_top(r), at[i]);
    }
    ck_assert_uint_eq(p.live_blocks, (REQ_MAX_DEPTH - REQ_INLINE_FRAMES) / REQ_BLOCK_FRAMES);
    for (unsigned i = 0; i < REQ_MAX_DEPTH; i++) {
        ck_assert_ptr_eq(sim_frame(r, i), at[i]);
        ck_assert_ptr_eq(sim_top_of(r, &comps[i]), at[i]);
        ck_assert_uint_eq(at[i]->step, i);
    }
    r->depth = 3; /* replies popped back to the first block */
    struct frame *again = sim_enter(r, &comps[0]);
    ck_assert_ptr_eq(again, at[3]);
    ck_assert_uint_eq(p.live_blocks, (REQ_MAX_DEPTH - REQ_INLINE_FRAMES) / REQ_BLOCK_FRAMES);
    reqpool_put(&p, r);
    ck_assert_uint_eq(p.live_blocks, 0);
    size_t chunks = p.nblock_chunks;
    struct request *s = reqpool_take(&p);
    ck_assert_ptr_null(s->deep);
    for (unsigned i = 0; i < REQ_MAX_DEPTH; i++)
        sim_enter(s, &comps[i]);
    ck_assert_uint_eq(p.nblock_chunks, chunks);
    reqpool_put(&p, s);
    reqpool_fini(&p); /* checks free + live = allocated, for blocks too */
}
END_TEST

START_TEST(precision_stops_at_the_first_check_that_meets_the_goal)
{
    struct precision p = {0};
    precision_init(&p, 0.01);
    for (int i = 1; i < 100 * 100; i++)
        ck_assert_msg(!precision_add(&p, 5e6), "stopped early at %d", i);
    ck_assert(precision_add(&p, 5e6));
    precision_fini(&p);
    ck_assert_ptr_null(p.bm);
}
END_TEST

/* Uniform noise: batch means keep some spread, so a goal of 1e-9 is never
 * met. */
START_TEST(precision_never_stops_on_an_unreachable_goal)
{
    struct precision p = {0};
    struct rng g;
    rng_seed(&g, 1);
    precision_init(&p, 1e-9);
    for (int i = 0; i < 200000; i++)
        ck_assert(!precision_add(&p, 1e6 * rng_uniform(&g)));
    precision_fini(&p);
}
END_TEST

START_TEST(warmup_series_keeps_batches_of_five_then_merges)
{
    struct series *s = calloc(1, sizeof *s);
    for (int i = 0; i < 10; i++)
        warmup_add(s, i < 5 ? 1.0 : 3.0, 100 * (i + 1));
    ck_assert_uint_eq(s->nbatches, 2);
    ck_assert_double_eq(s->mean[0], 1.0);
    ck_assert_double_eq(s->mean[1], 3.0);
    ck_assert_int_eq(s->end_ns[0], 500);
    ck_assert_int_eq(s->end_ns[1], 1000);
    /* Fill the table: neighbours merge and the batch size doubles. */
    for (int i = 10; i < 5 * SERIES_MAX; i++)
        warmup_add(s, 1.0, 100 * (i + 1));
    ck_assert_uint_eq(s->nbatches, SERIES_MAX / 2);
    ck_assert_uint_eq(s->batch_size, 10);
    ck_assert_double_eq(s->mean[0], 2.0); /* (1 + 3) / 2 */
    ck_assert_int_eq(s->end_ns[0], 1000);
    free(s);
}
END_TEST

Suite *engine_suite(void);
Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *pool = tcase_create("reqpool");
    tcase_add_test(pool, pool_grows_by_chunks_and_reuses_returned_requests);
    tcase_add_test(pool, pool_clears_a_reused_header);
    tcase_add_test(pool, deep_frames_come_from_blocks_that_never_move);
    suite_add_tcase(s, pool);
    TCase *stop = tcase_create("precision");
    tcase_add_test(stop, precision_stops_at_the_first_check_that_meets_the_goal);
    tcase_add_test(stop, precision_never_stops_on_an_unreachable_goal);
    suite_add_tcase(s, stop);
    TCase *warm = tcase_create("warmup");
    tcase_add_test(warm, warmup_series_keeps_batches_of_five_then_merges);
    suite_add_tcase(s, warm);
    return s;
}
