/* Prefetch (the consumers' `prefetch = N`, models/kinds/queue.c and
 * models/kinds/prefetch.c), driven publish by publish with constant times
 * so every figure is exact: the broker pushes up to N messages to each
 * consumer in round robin, each landing fetch_latency later, so the round
 * trip hides behind the processing; a message in a slow consumer's buffer
 * waits there while another consumer idles (head-of-line); one consumer's
 * crash sends its buffer back to the front (after_processing) or loses it
 * (on_receive); prefetch = 1 without fetch_latency is exactly the group
 * without prefetch; a run is the same at any -j. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/prefetch.h"
#include "models/kinds/queue.h"
#include "output/results.h"
#include "sim/scenario.h"
#include "sim/sim.h"
#include "tests/testlib.h"
#include "tests/queue_fixture.h"

static const struct station *stn(void)
{
    return queue_station(kind_lookup(&sim, "q"), 0);
}

/* Two consumers, prefetch 2, fetch 5 ms, service 10 ms, six messages
 * published at 0. The broker pushes 1, 3 to the first consumer and 2, 4 to
 * the second at once (round robin, two credits each); they land at 5 ms,
 * so 1 and 2 end at 15, and 3, 4 start at once (landed at 5) and end at
 * 25. At 15 each consumer's credit frees: 5 and 6 are sent then, land at
 * 20 while 3 and 4 are processed, and end at 35. Ends 15, 15, 25, 25, 35,
 * 35: only the first round trip is paid. Without prefetch every take pays
 * it: 15, 15, 30, 30, 45, 45. Buffer wait (sent to processing start): 1, 2:
 * 5 ms; 3, 4: 15; 5, 6: 10 (sent at 15, started at 25). In the buffers: 4
 * for [0, 5), 2 for [5, 25), 0 after: 60 message-ms. */
START_TEST(prefetch_hides_the_round_trip_behind_the_processing)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nprefetch = 2\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 1);
    ck_assert_double_eq(backlog_now(), 2); /* 5, 6: no credit left */
    ck_assert_uint_eq(stn()->busy, 0);     /* nothing landed yet */
    tl_run_until(&sim, 15 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 0);
    tl_run_until(&sim, 15 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(backlog_now(), 0); /* 5 and 6 on their way */
    ck_assert_uint_eq(stn()->busy, 2);     /* 3 and 4 started at once */
    tl_run_until(&sim, 25 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 25 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 35 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 35 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 15 + 25 + 25 + 35 + 35) / 6,
                            1e-9);
    ck_assert_double_eq_tol(metric("w", "buffer_wait_mean_ms"), (5.0 + 5 + 15 + 15 + 10 + 10) / 6,
                            1e-9);
    ck_assert_double_eq_tol(metric("w", "buffered_mean"), 60.0 / 35, 1e-9);
    /* each consumer held half: 30 message-ms */
    ck_assert_double_eq_tol(metric("w", "buffered_worst_mean"), 30.0 / 35, 1e-9);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    teardown();
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 45 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 15 + 30 + 30 + 45 + 45) / 6,
                            1e-9);
}
END_TEST

/* Prefetch 1 with the same round trip pays it every time, like a consumer
 * without prefetch: 1, 2 end at 15; 3, 4 are sent at 15, land at 20, end
 * at 30; 5, 6 at 45. */
START_TEST(prefetch_one_pays_every_round_trip)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nprefetch = 1\nfetch_latency = const(5ms)\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 45 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 15 + 30 + 30 + 45 + 45) / 6,
                            1e-9);
    ck_assert_double_eq_tol(metric("w", "buffer_wait_mean_ms"), 5, 1e-9);
}
END_TEST

#define TWO_BY_3 "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n" \
                 "service = const(10ms)\nprefetch = 3\n"

/* Head-of-line: two consumers, prefetch 3, no round trip, the second 10x
 * slow (100 ms a message). Round robin gives 1, 3, 5 to the first (ending
 * at 10, 20, 30 ms) and 2, 4, 6 to the second (100, 200, 300 ms): from 30
 * ms the first idles while 4 and 6 wait in the slow one's buffer. Buffer
 * waits 0, 0, 10, 100, 20, 200 ms. The slow one's buffer holds 2 for 100
 * ms and 1 for 100 ms: 300 message-ms over 300 ms. With prefetch 1 the
 * fast consumer takes 3, 4, 5, 6 from the broker in turn (ends 20, 30, 40,
 * 50) and the last message ends at 100 ms (2, on the slow one). */
START_TEST(a_slow_consumer_holds_its_buffer_while_another_idles)
{
    build(QUIET TWO_BY_3);
    fault(1, FAULT_SLOW, 10, true);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 30 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_uint_eq(stn()->busy, 1); /* the fast one idles */
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 200 * MS + 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 300 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 100 + 20 + 200 + 30 + 300) / 6,
                            1e-9);
    ck_assert_double_eq_tol(metric("w", "buffer_wait_mean_ms"),
                            (0.0 + 0 + 10 + 100 + 20 + 200) / 6, 1e-9);
    ck_assert_double_eq_tol(metric("w", "buffered_worst_mean"), 1.0, 1e-9);
    teardown();
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nprefetch = 1\n");
    fault(1, FAULT_SLOW, 10, true);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 100 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 100 + 20 + 30 + 40 + 50) / 6,
                            1e-9);
    ck_assert_double_eq(metric("w", "buffered_worst_mean"), 0);
}
END_TEST

/* Two consumers, prefetch 3, no round trip: 1, 3, 5 to the first, 2, 4, 6
 * to the second. The first crashes at 5 ms with 1 in processing and 3, 5
 * buffered: after_processing sends 1, 3, 5 back to the front, in order (3
 * redelivered); the second has no credit until 2 ends at 10, then takes 1
 * (its buffer 6, 1). The first recovers at 15 and gets 3, 5 (ends 25, 35);
 * the second ends 4 at 20, 6 at 30, 1 at 40. Every message once. */
START_TEST(a_consumer_crash_sends_its_buffer_back_after_processing)
{
    build(QUIET TWO_BY_3);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 5 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "redelivered"), 3);
    ck_assert_double_eq(backlog_now(), 3);
    ck_assert_uint_eq(stn()->busy, 1);
    tl_run_until(&sim, 10 * MS + 1);
    ck_assert_double_eq(backlog_now(), 2); /* 1 went to the second consumer */
    tl_run_until(&sim, 15 * MS);
    fault(0, FAULT_CRASH, 0, false);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    /* ends 2: 10, 4: 20, 3: 25, 6: 30, 5: 35, 1: 40 */
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 25 + 30 + 35 + 40) / 6,
                            1e-9);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

/* The same crash with ack = on_receive: the broker forgot 1, 3 and 5 when
 * it delivered them, so all three are lost; the second consumer processes
 * 2, 4, 6 (ends 10, 20, 30). */
START_TEST(a_consumer_crash_loses_its_buffer_on_receive)
{
    build(QUIET TWO_BY_3 "ack = on_receive\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 5 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "lost"), 3);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 20, 1e-9);
}
END_TEST

/* A crash of the whole group takes every buffer back, a crash-cut delivery
 * counts towards max_deliveries (the buffered ones do not: never started).
 * max_deliveries = 1: 1 and 2, cut in processing at 5 ms, are dead-lettered
 * (discarded, no dlq); 3, 4, 5, 6 go back and are processed after the
 * recovery at 100 ms (ends 110, 110, 120, 120). */
START_TEST(a_group_crash_returns_every_buffer_and_cut_ones_count_as_deliveries)
{
    build(QUIET "[queue q]\nmax_deliveries = 1\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                "service = const(10ms)\nprefetch = 3\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 5 * MS);
    fault(-1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("q", "dead_lettered"), 2);
    ck_assert_double_eq(backlog_now(), 4);
    ck_assert_uint_eq(stn()->busy, 0);
    tl_run_until(&sim, 100 * MS);
    fault(-1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 120 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (110.0 + 110 + 120 + 120) / 4, 1e-9);
}
END_TEST

/* ---- calls: a buffered message makes its calls as without prefetch --------- */

#define PF_CALLS(extra) \
    QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n" \
          "prefetch = 2\nfetch_latency = const(5ms)\ncalls = s\n" extra                  \
          "\n[service s]\nservice = const(5ms)\nworkers = 4\n"

/* Two consumers, prefetch 2, fetch 5 ms, service 10 ms, then a 5 ms call
 * (the consumer held through it), six messages at 0: 1, 3 to the first and
 * 2, 4 to the second land at 5; 1, 2 end their service at 15 and their
 * call at 20, when each is acked and its credit frees: 5 and 6 are sent
 * (land at 25) while 3 and 4 start at once (service to 30, call to 35);
 * 5, 6 start at 35 and end at 50. Ends 20, 20, 35, 35, 50, 50. Without
 * prefetch each take pays the fetch: 20, 20, 40, 40, 60, 60. */
START_TEST(a_buffered_message_makes_its_calls_before_its_ack)
{
    build(PF_CALLS(""));
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 20 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(metric("w", "calls"), 2);
    ck_assert_double_eq(backlog_now(), 2); /* no credit freed before the calls end */
    tl_run_until(&sim, 20 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(backlog_now(), 0); /* 5 and 6 sent at the acks */
    tl_run_until(&sim, 50 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "calls"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 20 + 35 + 35 + 50 + 50) / 6,
                            1e-9);
    /* buffer waits: 1, 2: 5 ms; 3, 4: 20 ms; 5, 6: 15 ms (sent 20, started 35) */
    ck_assert_double_eq_tol(metric("w", "buffer_wait_mean_ms"), (5.0 + 20 + 15) / 3, 1e-9);
    teardown();
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n"
                "fetch_latency = const(5ms)\ncalls = s\n"
                "\n[service s]\nservice = const(5ms)\nworkers = 4\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 60 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 20 + 40 + 40 + 60 + 60) / 6,
                            1e-9);
}
END_TEST

/* The first consumer crashes at 17 ms, 1 out on its call and 3 in its
 * buffer (5, 6 wait at the broker). after_processing: 1 is cut (a delivery)
 * and goes back to the front with 3 behind it (2 redelivered): the broker
 * holds 1, 3, 5, 6; 1's call comes back at 20 to nobody. The second
 * consumer alone: 2 acked at 20 (starts 4, takes 1: lands 25), 4 at 35
 * (starts 1, takes 3), 1 at 50, 3 at 65, 5 at 80, 6 at 95 (each sent at
 * the previous ack, landed 5 ms later, started at the next). Seven calls:
 * 1's first went. */
START_TEST(a_crash_mid_call_sends_the_message_and_its_buffer_back)
{
    build(PF_CALLS(""));
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 17 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 4);
    ck_assert_uint_eq(stn()->busy, 1);
    tl_run_until(&sim, 20 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1); /* 2; 1's return dropped */
    ck_assert_double_eq(backlog_now(), 3);            /* 1 sent to the second */
    tl_run_until(&sim, 95 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 95 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "calls"), 7);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 35 + 50 + 65 + 80 + 95) / 6,
                            1e-9);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

/* The same crash with ack = on_receive: 1 (out on its call) and 3 (in the
 * buffer) were forgotten at their delivery: both lost. The second consumer:
 * 2 acked at 20 (takes 5: lands 25), 4 at 35 (takes 6: lands 40), 5 at 50,
 * 6 at 65. */
START_TEST(a_crash_mid_call_loses_the_message_and_its_buffer_on_receive)
{
    build(PF_CALLS("ack = on_receive\n"));
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 17 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "lost"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    ck_assert_double_eq(backlog_now(), 2);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "calls"), 5);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 35 + 50 + 65) / 4, 1e-9);
}
END_TEST

/* A failed call fails the processing (after_processing: back to the end
 * of the log) and frees the credit at once. One consumer, prefetch 2, no
 * round trip, service 10 ms, a call with a 2 ms call_timeout to a service
 * that takes 5 ms: every call times out, so every processing fails, and
 * with max_deliveries = 2 each message is discarded at its second failure.
 * 1, 2 sent at 0; 1 fails at 12 (back behind 2: sent again at once, the
 * credit freed), 2 at 24, 1 at 36 (dead), 2 at 48 (dead): four calls, four
 * failed, two dead-lettered. */
START_TEST(a_failed_call_fails_a_buffered_message)
{
    build(QUIET "[queue q]\nmax_deliveries = 2\n\n[consumers w]\nfrom = q\n"
                "service = const(10ms)\nprefetch = 2\ncalls = s\ncall_timeout = 2ms\n"
                "\n[service s]\nservice = const(5ms)\nworkers = 4\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 48 * MS - 1);
    ck_assert_double_eq(metric("q", "dead_lettered"), 1);
    tl_run_until(&sim, 48 * MS);
    ck_assert_double_eq(metric("q", "dead_lettered"), 2);
    ck_assert_double_eq(metric("w", "failed_calls"), 4);
    ck_assert_double_eq(metric("w", "processed"), 0);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

/* The visibility timeout runs from the delivery, calls included: one
 * consumer, prefetch 2, service 10 ms, a 5 ms call, timeout 25 ms. 1 and 2
 * are sent at 0: 1 is processed in [0, 15), 2 in [15, 30); at 25 ms 2 is
 * out on its call: a copy is sent (credit is free: 1 was acked), processed
 * in [30, 45) (its own timer, at 50, finds it done): a duplicate. Without
 * the call 2 ends at 20, before its timeout. */
START_TEST(a_delivery_out_on_its_call_at_its_timeout_is_sent_again)
{
    build(QUIET "[queue q]\nvisibility_timeout = 25ms\n\n[consumers w]\nfrom = q\n"
                "service = const(10ms)\nprefetch = 2\ncalls = s\n"
                "\n[service s]\nservice = const(5ms)\nworkers = 4\n");
    publish(1);
    publish(2);
    tl_run_until(&sim, 25 * MS);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    tl_run_until(&sim, 45 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    ck_assert_double_eq(metric("w", "calls"), 3);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (15.0 + 30 + 45) / 3, 1e-9);
}
END_TEST

/* ---- dedupe: a buffered duplicate is acked unprocessed ---------------------- */

#define PF_DEDUPE(extra) \
    QUIET "[queue q]\nvisibility_timeout = 25ms\n\n[consumers w]\nfrom = q\n" \
          "service = const(10ms)\nprefetch = 2\n" extra

/* One consumer, prefetch 2, service 10 ms, timeout 25 ms from the delivery;
 * 1 is processed 3x slow (30 ms), 2 and 3 at the normal 10 ms. 1 and 2 are
 * sent at 0 (3 waits: no credit); at 25 ms 1 is still in processing and 2
 * still in the buffer: copies of both go behind 3. Acks free the credit:
 * 1 at 30 (2 starts, 3 sent), 2 at 40 (3 starts, 1's copy sent), 3 at 50.
 * An idempotent consumer (dedupe) then reaches 1's copy: seen, acked
 * unprocessed at once, its slot freed, so 2's copy is sent and skipped at
 * 50 too: 3 processed, 2 deduped, no duplicate. Without dedupe both copies
 * are processed (50..60, 60..70): 5 processed, 2 duplicates. */
START_TEST(a_buffered_duplicate_is_acked_unprocessed_and_frees_its_slot)
{
    build(PF_DEDUPE("dedupe = 1s\n"));
    fault(0, FAULT_SLOW, 3, true);
    publish(1);
    fault(0, FAULT_SLOW, 3, false);
    publish(2);
    publish(3);
    tl_run_until(&sim, 25 * MS);
    ck_assert_double_eq(metric("w", "visibility_expired"), 2);
    ck_assert_double_eq(backlog_now(), 3); /* 3 and the two copies */
    tl_run_until(&sim, 50 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "deduped"), 0);
    tl_run_until(&sim, 50 * MS);
    ck_assert_double_eq(metric("w", "processed"), 3);
    ck_assert_double_eq(metric("w", "deduped"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_uint_eq(stn()->busy, 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (30.0 + 40 + 50) / 3, 1e-9);
    teardown();
    build(PF_DEDUPE(""));
    fault(0, FAULT_SLOW, 3, true);
    publish(1);
    fault(0, FAULT_SLOW, 3, false);
    publish(2);
    publish(3);
    tl_run_until(&sim, 70 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 4);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 5);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 2);
    ck_assert_double_eq(metric("w", "visibility_expired"), 2);
}
END_TEST

/* ---- ack_delay: a credit is freed when the ack lands ------------------------- */

/* One consumer, prefetch 1, service 10 ms, acks that take 5 ms: the
 * message stays unacked, holding the consumer's one credit, until its ack
 * lands, so the broker sends the next only then (RabbitMQ frees a credit
 * on the ack): 1 in [0, 10) (acked at 15), 2 sent at 15 and processed in
 * [15, 25), 3 in [30, 40), 4 in [45, 55). Were the credit freed at the
 * processing's end, they would end at 10, 20, 30, 40. With prefetch 2 the
 * acks hide behind the next processing: ends 10, 20, 30, 40. */
START_TEST(a_credit_is_held_until_the_ack_lands)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                "prefetch = 1\nack_delay = 5ms\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 14 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq(backlog_now(), 3); /* 1's ack not landed: no credit */
    ck_assert_uint_eq(stn()->busy, 0);     /* the consumer idles */
    tl_run_until(&sim, 15 * MS);
    ck_assert_double_eq(backlog_now(), 2);
    ck_assert_uint_eq(stn()->busy, 1);
    tl_run_until(&sim, 55 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 25 + 40 + 55) / 4, 1e-9);
    teardown();
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                "prefetch = 2\nack_delay = 5ms\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 40 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 40) / 4, 1e-9);
    ck_assert_double_eq(backlog_now(), 0);
}
END_TEST

/* Two consumers, prefetch 2, service 10 ms, acks 5 ms, six messages at 0:
 * 1, 3 to the first, 2, 4 to the second. At 12 ms the first crashes with
 * 3 in processing and 1's ack on its way (it would land at 15): 3 is cut
 * and 1's ack lost, so 1 then 3 go back to the front (2 redelivered, 1
 * ack lost), ahead of 5 and 6. The second alone, each credit freed by an
 * ack 5 ms after its processing: 2's ack (15) lets 1 in, which starts when
 * 4 ends (20) and ends at 30, processed a second time (a duplicate); 3
 * ends at 40, 5 at 50, 6 at 60. */
START_TEST(a_consumer_crash_loses_its_acks_on_the_way)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n"
                "prefetch = 2\nack_delay = 5ms\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 12 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 4);
    tl_run_until(&sim, 15 * MS);
    ck_assert_double_eq(backlog_now(), 3); /* 2's ack landed: 1 sent to the second */
    tl_run_until(&sim, 65 * MS);
    ck_assert_double_eq(metric("w", "processed"), 7);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 10 + 20 + 30 + 40 + 50 + 60) / 7,
                            1e-9);
}
END_TEST

/* A crash of the whole group loses every consumer's acks on the way: two
 * consumers, prefetch 2, service 10 ms, acks 5 ms, six messages. At 12 ms
 * the first has 3 in processing and 1's ack on its way, the second 4 and
 * 2's: 3 and 4 are cut, 1 and 2's acks lost, and all six wait at the
 * broker in their order (4 redelivered, 2 acks lost). After the recovery
 * at 100 ms: 1, 2 are processed again (110: duplicates), 3, 4 at 120, and
 * 5, 6 (sent when 1's and 2's acks land at 115) at 130. */
START_TEST(a_group_crash_loses_every_consumers_acks)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\nservice = const(10ms)\n"
                "prefetch = 2\nack_delay = 5ms\n");
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 12 * MS);
    fault(-1, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 4);
    ck_assert_double_eq(backlog_now(), 6);
    tl_run_until(&sim, 100 * MS);
    fault(-1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 130 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 6);
    tl_run_until(&sim, 135 * MS);
    ck_assert_double_eq(metric("w", "processed"), 8);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 2);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"),
                            (10.0 + 10 + 110 + 110 + 120 + 120 + 130 + 130) / 8, 1e-9);
}
END_TEST

/* With a visibility timeout, a message whose ack a crash lost comes back
 * when the timeout from its delivery ends (not from its processing). One
 * consumer, prefetch 2, service 10 ms, acks 5 ms, timeout 30 ms: 1 and 2
 * are sent at 0 (1 acked at 15, when 3 is sent), 2 is processed in [10,
 * 20), 3 from 20. A crash at 22 ms cuts 3 (back at 15 + 30 = 45) and loses
 * 2's ack (back at 0 + 30 = 30); the consumer recovers at 25. 2 is then
 * processed again in [30, 40) (a duplicate) and 3 in [45, 55). */
START_TEST(a_lost_acks_message_comes_back_when_the_timeout_from_its_delivery_ends)
{
    build(QUIET "[queue q]\nvisibility_timeout = 30ms\n\n[consumers w]\nfrom = q\n"
                "service = const(10ms)\nprefetch = 2\nack_delay = 5ms\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 22 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "acks_lost"), 1);
    ck_assert_double_eq(backlog_now(), 0); /* both invisible */
    tl_run_until(&sim, 25 * MS);
    fault(0, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 30 * MS);
    ck_assert_uint_eq(stn()->busy, 1); /* 2 is back */
    tl_run_until(&sim, 55 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 3);
    tl_run_until(&sim, 60 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 0);
    ck_assert_uint_eq(stn()->busy, 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 40 + 55) / 4, 1e-9);
}
END_TEST

/* ---- batch: one delivery carries up to batch messages ------------------------ */

/* A delivery takes what waits at the broker when it is sent (a message
 * stored while a consumer has credit goes alone, as a fetch of a batch
 * takes what waits). Two consumers, prefetch 2, no round trip, service 10
 * ms, the second 10x slow; the group is down while four messages of one
 * key are published, and comes back at 10 ms. With batch = 2 each delivery
 * carries two consecutive messages: 1, 2 to the first (ends 20, 30), 3, 4
 * to the second (110, 210): they end in their order. With batch = 1 the
 * round robin alternates: 1, 3 to the first (20, 30), 2, 4 to the second
 * (110, 210): 2 ends after 3 (out of order). The same ends. */
START_TEST(a_delivery_carries_consecutive_messages_to_one_consumer)
{
    for (int b = 2; b >= 1; b--) {
        char text[512];
        snprintf(text, sizeof text,
                 QUIET "[queue q]\n\n[consumers w]\nfrom = q\nconsumers = 2\n"
                       "service = const(10ms)\nprefetch = 2\nbatch = %d\n", b);
        build(text);
        fault(1, FAULT_SLOW, 10, true);
        fault(-1, FAULT_CRASH, 0, true);
        for (int k = 0; k < 4; k++)
            publish(7);
        tl_run_until(&sim, 10 * MS);
        fault(-1, FAULT_CRASH, 0, false);
        tl_run_until(&sim, 210 * MS);
        ck_assert_double_eq(metric("w", "processed"), 4);
        ck_assert_double_eq(metric("w", "out_of_order"), (b == 2 ? 0 : 1));
        ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (20.0 + 30 + 110 + 210) / 4, 1e-9);
        teardown();
    }
}
END_TEST

/* A delivery carries no more than the consumer's credit left: one
 * consumer, prefetch 3, batch 2, fetch 5 ms, service 10 ms, down while six
 * messages are published, back at 10 ms: one delivery carries 1, 2 and the
 * next 3 (one credit left; were it not, 3 and 4), landing at 15: ends 25,
 * 35, 45. At each end one credit frees: 4, 5, 6 are sent alone at 25, 35,
 * 45 and end at 55, 65, 75. A crash at 60 ms (5 in processing, 6
 * buffered) sends 5, 6 back in order; after the recovery at 100 ms one
 * delivery carries both (landing at 105): ends 115, 125. */
START_TEST(a_delivery_carries_no_more_than_the_credit_left)
{
    build(QUIET "[queue q]\n\n[consumers w]\nfrom = q\nservice = const(10ms)\n"
                "prefetch = 3\nbatch = 2\nfetch_latency = const(5ms)\n");
    fault(0, FAULT_CRASH, 0, true);
    for (uint64_t k = 1; k <= 6; k++)
        publish(k);
    tl_run_until(&sim, 10 * MS);
    fault(0, FAULT_CRASH, 0, false);
    ck_assert_double_eq(backlog_now(), 3); /* 1, 2, 3 delivered, none landed */
    ck_assert_uint_eq(stn()->busy, 0);
    tl_run_until(&sim, 60 * MS);
    ck_assert_double_eq(metric("w", "processed"), 4);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(backlog_now(), 2);
    tl_run_until(&sim, 100 * MS);
    fault(0, FAULT_CRASH, 0, false);
    ck_assert_double_eq(backlog_now(), 0);
    tl_run_until(&sim, 125 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 5);
    tl_run_until(&sim, 125 * MS);
    ck_assert_double_eq(metric("w", "processed"), 6);
    ck_assert_double_eq(metric("w", "out_of_order"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (25.0 + 35 + 45 + 55 + 115 + 125) / 6,
                            1e-9);
}
END_TEST

/* ---- the visibility timeout runs from the delivery --------------------------- */

/* One consumer, prefetch 3, service 10 ms, visibility timeout 27 ms: 1, 2,
 * 3 are sent at 0 and processed in [0, 10), [10, 20), [20, 30); at 27 ms 3
 * is still in processing: a copy is sent (to the same consumer, which has
 * credit) and processed in [30, 40): a duplicate. */
START_TEST(a_delivery_still_in_processing_at_its_timeout_is_sent_again)
{
    build(QUIET "[queue q]\nvisibility_timeout = 27ms\n\n[consumers w]\nfrom = q\n"
                "service = const(10ms)\nprefetch = 3\n");
    for (uint64_t k = 1; k <= 3; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 1);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 40) / 4, 1e-9);
}
END_TEST

/* Prefetch 4, four messages sent at 0, the same timeout: at 27 ms 3 is in
 * processing and 4 still waits in the buffer: both are sent again (3', 4'
 * behind 4); 4 runs in [30, 40), 3' in [40, 50), 4' in [50, 60). At 54 ms
 * (27 after their sending) 3' is done but 4' is in processing: a third
 * copy 4'', in [60, 70). Seven processings of four messages: three
 * duplicates, three timeouts, one of them (4) before its first processing
 * began. */
START_TEST(a_message_buffered_past_its_timeout_is_delivered_twice)
{
    build(QUIET "[queue q]\nvisibility_timeout = 27ms\n\n[consumers w]\nfrom = q\n"
                "service = const(10ms)\nprefetch = 4\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 7);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 3);
    ck_assert_double_eq(metric("w", "visibility_expired"), 3);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 30 + 40 + 50 + 60 + 70) / 7,
                            1e-9);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

/* Two consumers, prefetch 2, timeout 50 ms: 1, 3 to the first, 2, 4 to the
 * second, all sent at 0. The first crashes at 5 ms: 1 (cut) and 3
 * (buffered) are not sent back at once: the broker knows only their
 * timeout, and delivers them again at 50 ms, to the second consumer
 * (ends 60, 70); 2 and 4 end at 10 and 20. */
START_TEST(with_a_timeout_a_crashed_consumers_messages_come_back_when_it_ends)
{
    build(QUIET "[queue q]\nvisibility_timeout = 50ms\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nservice = const(10ms)\nprefetch = 2\n");
    for (uint64_t k = 1; k <= 4; k++)
        publish(k);
    tl_run_until(&sim, 5 * MS);
    fault(0, FAULT_CRASH, 0, true);
    ck_assert_double_eq(backlog_now(), 0); /* invisible, not waiting */
    tl_run_until(&sim, 50 * MS - 1);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "redelivered"), 0);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "redelivered"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), (10.0 + 20 + 60 + 70) / 4, 1e-9);
}
END_TEST

/* Prefetch 1, the second consumer 10x slow, timeout 50 ms, capacity 2: 2 is
 * in processing on the slow one at 50 ms, so a copy goes to the first
 * (ends at 60); the slow one crashes at 70 ms, past 2's timeout: its copy
 * is out, so the cut delivery just ends (no third delivery, nothing held).
 * Two more publishes at 80 ms both fit the capacity of 2. */
START_TEST(a_crash_past_the_timeout_ends_the_delivery_its_copy_replaced)
{
    build(QUIET "[queue q]\ncapacity = 2\nvisibility_timeout = 50ms\n\n[consumers w]\nfrom = q\n"
                "consumers = 2\nservice = const(10ms)\nprefetch = 1\n");
    fault(1, FAULT_SLOW, 10, true);
    publish(1);
    publish(2);
    tl_run_until(&sim, 70 * MS);
    ck_assert_double_eq(metric("w", "processed"), 2); /* 1 and the copy of 2 */
    fault(1, FAULT_CRASH, 0, true);
    tl_run_until(&sim, 80 * MS);
    publish(3);
    publish(4);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(metric("w", "processed"), 4);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    ck_assert_double_eq(metric("w", "redelivered"), 1);
    ck_assert_double_eq(metric("w", "lost"), 0);
    ck_assert_uint_eq(stn()->busy, 0);
}
END_TEST

/* The same without prefetch (and with prefetch 1), one consumer, the group
 * slow (10x, to 75 ms) and crashed from 70 to 80 ms: 1 is still in
 * processing at its 50 ms timeout, so its copy waits at the broker; the
 * crash at 70 ms cuts 1 past its timeout: that delivery ends (before, it
 * waited for a timer that had gone, holding its capacity place for ever).
 * The copy is processed in [80, 90); a publish at 100 ms fits the capacity
 * of 1. */
static void crash_past_timeout(const char *prefetch)
{
    char text[1024];
    snprintf(text, sizeof text,
             QUIET "[queue q]\ncapacity = 1\nvisibility_timeout = 50ms\n\n[consumers w]\n"
                   "from = q\nservice = const(10ms)\n%s",
             prefetch);
    build(text);
    fault(-1, FAULT_SLOW, 10, true);
    publish(1);
    tl_run_until(&sim, 70 * MS);
    ck_assert_double_eq(metric("w", "visibility_expired"), 1);
    fault(-1, FAULT_CRASH, 0, true);
    tl_run_until(&sim, 75 * MS);
    fault(-1, FAULT_SLOW, 10, false);
    tl_run_until(&sim, 80 * MS);
    fault(-1, FAULT_CRASH, 0, false);
    tl_run_until(&sim, 100 * MS);
    ck_assert_double_eq(metric("w", "processed"), 1);
    ck_assert_double_eq_tol(metric("q", "e2e_mean_ms"), 90, 1e-9);
    publish(2);
    tl_run_until(&sim, 1 * S);
    ck_assert_double_eq(metric("q", "rejected_full"), 0);
    ck_assert_double_eq(metric("w", "processed"), 2);
    ck_assert_double_eq(metric("w", "duplicates_processed"), 0);
    teardown();
}

START_TEST(a_group_crash_past_the_timeout_holds_nothing_for_ever)
{
    crash_past_timeout("");
    crash_past_timeout("prefetch = 1\n");
}
END_TEST

/* ---- whole runs -------------------------------------------------------------- */

static struct run_result *run1(const char *text, int jobs, size_t *n)
{
    struct run_result *r = tl_runs(text, jobs, n);
    ck_assert_uint_ge(*n, 1);
    return r;
}

static void same_hist(const struct sparse_hist *a, const struct sparse_hist *b)
{
    ck_assert_uint_eq(a->total, b->total);
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        ck_assert_uint_eq(a->index[i], b->index[i]);
        ck_assert_uint_eq(a->count[i], b->count[i]);
    }
    ck_assert(a->sum == b->sum);
}

/* b has every figure of a, equal (b may report more: the prefetch metrics). */
static void same_results(const struct run_result *a, const struct run_result *b)
{
    ck_assert_uint_eq(a->offered, b->offered);
    ck_assert_uint_eq(a->completed, b->completed);
    ck_assert_uint_eq(a->rejected, b->rejected);
    ck_assert_uint_eq(a->errors, b->errors);
    ck_assert_uint_eq(a->timeouts, b->timeouts);
    same_hist(&a->latency, &b->latency);
    ck_assert_uint_eq(a->ncomps, b->ncomps);
    for (size_t i = 0; i < a->ncomps; i++) {
        const struct comp_result *x = &a->comps[i], *y = &b->comps[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_uint_eq(x->arrivals, y->arrivals);
        ck_assert_uint_eq(x->completed, y->completed);
        ck_assert_uint_eq(x->errors, y->errors);
        ck_assert(x->mean_busy == y->mean_busy);
        ck_assert_msg(x->mean_queue == y->mean_queue, "%s queue %.17g vs %.17g", x->name, x->mean_queue, y->mean_queue);
        ck_assert(x->mean_insys == y->mean_insys);
        same_hist(&x->wait, &y->wait);
        same_hist(&x->local, &y->local);
    }
    size_t found = 0;
    for (size_t i = 0; i < a->nextra; i++)
        for (size_t j = 0; j < b->nextra; j++)
            if (strcmp(a->extra[i].name, b->extra[j].name) == 0) {
                ck_assert_msg(a->extra[i].value == b->extra[j].value ||
                                  (isnan(a->extra[i].value) && isnan(b->extra[j].value)),
                              "%s: %.17g vs %.17g", a->extra[i].name, a->extra[i].value,
                              b->extra[j].value);
                found++;
            }
    ck_assert_uint_eq(found, a->nextra);
    ck_assert_uint_eq(a->ts_nrows, b->ts_nrows);
    ck_assert_uint_eq(a->ts_ncols, b->ts_ncols);
    for (size_t k = 0; k < a->ts_nrows * (1 + a->ts_ncols); k++)
        ck_assert(a->ts_rows[k] == b->ts_rows[k] || (isnan(a->ts_rows[k]) && isnan(b->ts_rows[k])));
}

/* A loaded group with failures, dead letters, retention, a capacity, a
 * crash and a slow spell of the whole group, two partitions: %s are more
 * queue lines, %s the ack, %s the prefetch line. */
#define RUN_TEXT                                                                                 \
    "[sim]\nduration = 30s\nwarmup = 2s\nseed = 11\n"                                            \
    "[client c]\narrival = poisson(rate=150/s)\nto = q\n"                                         \
    "[queue q]\ncapacity = 60\npartitions = 2\nmax_deliveries = 3\ndlq = d\nretention = 3s\n"   \
    "latency = exp(mean=1ms)\n%s"                                                                \
    "[queue d]\n"                                                                                \
    "[consumers w]\nfrom = q\nconsumers = 4\nservice = exp(mean=24ms)\nfail = 0.05\n"           \
    "ack = %s\n%s"                                                                               \
    "[fault down]\ntarget = w\naction = crash\nat = 10s\nuntil = 12s\n"                          \
    "[fault slow]\ntarget = w\naction = slow(factor=2)\nat = 20s\nuntil = 24s\n"

/* more: the group's other lines (and sections after it), in both runs */
static void prefetch_one_is_today(const char *queue, const char *ack, const char *more)
{
    char a[2048], b[2048], pf[1024];
    snprintf(pf, sizeof pf, "prefetch = 1\n%s", more);
    snprintf(a, sizeof a, RUN_TEXT, queue, ack, more);
    snprintf(b, sizeof b, RUN_TEXT, queue, ack, pf);
    size_t na, nb;
    struct run_result *ra = run1(a, 1, &na), *rb = run1(b, 1, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_gt(ra[0].completed, 2000); /* it ran */
    same_results(&ra[0], &rb[0]);
    tl_runs_free(ra, na);
    tl_runs_free(rb, nb);
}

START_TEST(prefetch_one_without_round_trip_is_the_group_without_prefetch)
{
    prefetch_one_is_today("", "after_processing", "");
    prefetch_one_is_today("", "on_receive", "");
    /* the timeout from the delivery is the timeout from the processing */
    prefetch_one_is_today("visibility_timeout = 60ms\n", "after_processing", "");
    /* calls (some timing out: failed processings) and an idempotent group:
     * each message's calls and its check are the plain group's */
    const char *calls = "calls = s\ncall_timeout = 30ms\ndedupe = 2s\n"
                        "[service s]\nservice = exp(mean=6ms)\nworkers = 2\n";
    prefetch_one_is_today("visibility_timeout = 60ms\n", "after_processing", calls);
    prefetch_one_is_today("", "on_receive", calls);
}
END_TEST

/* The same with partitions owned by their members (4 partitions, 3 members,
 * rebalance 300 ms), member 1 crashed from 10 to 12 s and member 2 slow
 * from 20 to 24 s, or autoscaled on lag (%s: the rate, the partitions,
 * more queue lines, the ack, the prefetch line, the group's lines and its
 * faults). Prefetch 1 without a round trip never buffers a message it does
 * not start at once, so each is the group without prefetch: the same
 * figures to the last bit. (Not a shared autoscaled group: with prefetch
 * its consumers have names, and the ones a scale-down removes are chosen
 * then; without, the first to finish leave.) */
#define RUN_OWNED                                                                                \
    "[sim]\nduration = 30s\nwarmup = 2s\nseed = 12\n"                                             \
    "[client c]\narrival = poisson(rate=%s/s)\nto = q\n"                                         \
    "[queue q]\ncapacity = 80\npartitions = %s\nmax_deliveries = 3\ndlq = d\nretention = 3s\n"  \
    "latency = exp(mean=1ms)\n%s"                                                                \
    "[queue d]\n"                                                                                \
    "[consumers w]\nfrom = q\nservice = exp(mean=15ms)\nfail = 0.05\nack = %s\n%s%s"

#define OWNED_FIXED                                                                              \
    "consumers = 3\nassignment = range\nrebalance = 300ms\n"                                      \
    "[fault down]\ntarget = w\nreplica = 1\naction = crash\nat = 10s\nuntil = 12s\n"             \
    "[fault slow]\ntarget = w\nreplica = 2\naction = slow(factor=3)\nat = 20s\nuntil = 24s\n"
#define OWNED_SCALED                                                                             \
    "consumers = 1\nassignment = round_robin\nrebalance = 200ms\n"                                \
    "autoscale = hpa(metric=lag, target=5, min=1, max=4, period=2s, window=4s)\n"

static void prefetch_one_is_today_for(const char *rate, const char *parts, const char *group,
                                      const char *ack)
{
    char a[2048], b[2048];
    snprintf(a, sizeof a, RUN_OWNED, rate, parts, "visibility_timeout = 100ms\n", ack, "",
             group);
    snprintf(b, sizeof b, RUN_OWNED, rate, parts, "visibility_timeout = 100ms\n", ack,
             "prefetch = 1\n", group);
    size_t na, nb;
    struct run_result *ra = run1(a, 1, &na), *rb = run1(b, 1, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_gt(ra[0].completed, 2000); /* it ran */
    same_results(&ra[0], &rb[0]);
    tl_runs_free(ra, na);
    tl_runs_free(rb, nb);
}

START_TEST(prefetch_one_owned_or_autoscaled_is_the_group_without_prefetch)
{
    prefetch_one_is_today_for("150", "4", OWNED_FIXED, "after_processing");
    prefetch_one_is_today_for("150", "4", OWNED_FIXED, "on_receive");
    prefetch_one_is_today_for("150", "4", OWNED_SCALED, "after_processing");
}
END_TEST

/* The broker's set of consumers with credit answers what a scan would: the
 * first member at or after a place, for sets of every size around the
 * tree's word boundaries, through puts and takes (a fixed sequence). */
START_TEST(the_credit_set_finds_the_next_consumer_as_a_scan_would)
{
    static const uint32_t sizes[] = {1, 2, 63, 64, 65, 200, 4095, 4096, 4097, 70000};
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        uint32_t n = sizes[z];
        struct pf_set set;
        pf_set_init(&set, n);
        bool *in = calloc(n, sizeof *in);
        uint64_t x = 0x9e3779b97f4a7c15ULL + n;
        for (int step = 0; step < 3000; step++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            uint32_t k = (uint32_t)(x >> 33) % n;
            bool put = (x >> 20) % 3 != 0; /* mostly puts: the set fills up, then thins */
            if (step > 2000)
                put = !put;
            pf_set_put(&set, k, put);
            in[k] = put;
            uint32_t from = (uint32_t)(x >> 40) % (n + 1);
            uint32_t want = n;
            for (uint32_t i = from; i < n; i++)
                if (in[i]) {
                    want = i;
                    break;
                }
            ck_assert_uint_eq(pf_set_next(&set, from), want);
            ck_assert(pf_set_has(&set, k) == put);
        }
        for (uint32_t k = 0; k < n; k++)
            pf_set_put(&set, k, false);
        ck_assert_uint_eq(pf_set_next(&set, 0), n);
        free(in);
        pf_set_fini(&set);
    }
}
END_TEST

/* Same scenario and seed: the same results at -j 1 and -j 2 (a sweep of
 * prefetch, a slow consumer, a crashed one, a round trip). */
START_TEST(prefetch_runs_are_deterministic)
{
    const char *text =
        "[sim]\nduration = 20s\nwarmup = 1s\nrepeat = 2\nseed = 5\n"
        "[client c]\narrival = poisson(rate=600/s)\nto = q\n"
        "[queue q]\n"
        "[consumers w]\nfrom = q\nconsumers = 4\nservice = exp(mean=4ms)\n"
        "fetch_latency = exp(mean=5ms)\nprefetch = ${p = 1, 4, 50}\n"
        "[fault slow]\ntarget = w\nreplica = 3\naction = slow(factor=10)\nat = 0s\n"
        "[fault down]\ntarget = w\nreplica = 1\naction = crash\nat = 5s\nuntil = 8s\n";
    size_t n1, n2;
    struct run_result *r1 = run1(text, 1, &n1), *r2 = run1(text, 2, &n2);
    ck_assert_uint_eq(n1, 6);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++)
        same_results(&r1[i], &r2[i]);
    tl_runs_free(r1, n1);
    tl_runs_free(r2, n2);
}
END_TEST

static double extra(const struct run_result *r, const char *name)
{
    for (size_t i = 0; i < r->nextra; i++)
        if (strcmp(r->extra[i].name, name) == 0)
            return r->extra[i].value;
    ck_abort_msg("no figure %s", name);
    return NAN;
}

/* Owned partitions autoscaled on lag with a round trip, a member crashed
 * for 3 s (its buffer back, a rebalance), a sweep of prefetch; and a
 * shared group of one partition autoscaled the same way: the same results
 * at -j 1 and -j 2, and at least once (after_processing, no timeout): every
 * message processed exactly once or still in the system, none lost or
 * processed twice, whatever the scale-downs and rebalances did to the
 * buffers. */
static void loses_nothing(const char *group)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[sim]\nduration = 40s\nwarmup = 0s\nseed = 9\n"
             "[client c]\narrival = poisson(rate=${rate = 300, 900}/s)\nto = q\n"
             "[queue q]\n%s"
             "service = exp(mean=4ms)\nfetch_latency = exp(mean=3ms)\nprefetch = ${p = 2, 20}\n"
             "autoscale = hpa(metric=lag, target=3, min=1, max=6, period=1s, window=3s)\n"
             "[fault down]\ntarget = w\nreplica = 0\naction = crash\nat = 15s\nuntil = 18s\n",
             group);
    size_t n1, n2;
    struct run_result *r1 = run1(text, 1, &n1), *r2 = run1(text, 2, &n2);
    ck_assert_uint_eq(n1, 4);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        same_results(&r1[i], &r2[i]);
        ck_assert_double_eq(extra(&r1[i], "w.lost"), 0);
        ck_assert_double_eq(extra(&r1[i], "w.duplicates_processed"), 0);
        ck_assert_double_eq(extra(&r1[i], "q.lost_total"), 0);
        /* the group's arrivals (the messages stored) = processed + still
         * held at the end (waiting, buffered, in processing): a few */
        const struct comp_result *w = NULL;
        for (size_t c = 0; c < r1[i].ncomps; c++)
            if (strcmp(r1[i].comps[c].name, "w") == 0)
                w = &r1[i].comps[c];
        ck_assert_ptr_nonnull(w);
        uint64_t done = (uint64_t)extra(&r1[i], "w.processed");
        ck_assert_uint_gt(done, 10000);
        ck_assert_uint_ge(w->arrivals, done);
        ck_assert_uint_le(w->arrivals - done, 200);
        ck_assert_double_gt(extra(&r1[i], "w.redelivered"), 0); /* the crash, the scale-downs */
    }
    tl_runs_free(r1, n1);
    tl_runs_free(r2, n2);
}

START_TEST(owned_and_autoscaled_prefetch_runs_are_deterministic_and_lose_nothing)
{
    loses_nothing("partitions = 6\n[consumers w]\nfrom = q\nconsumers = 1\n"
                  "assignment = range\nrebalance = 100ms\n");
    loses_nothing("[consumers w]\nfrom = q\nconsumers = 1\n");
}
END_TEST

/* Everything at once: owned partitions (or a shared group) autoscaled on
 * lag, prefetch 2 or 20, deliveries of 1 or 4, a round trip, calls to a
 * store and acks 2 ms on their way. With a member crashed for 3 s: the
 * same results at -j 1 and -j 2, and the crash's paths taken (acks lost,
 * messages redelivered). Without the crash, at least once and no more:
 * nothing lost, nothing processed twice, every message stored processed
 * or still held at the end (a few), whatever the scale-downs and
 * rebalances did to the buffers and the acks on their way. */
static void mixed_run(const char *group, bool crash)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[sim]\nduration = 30s\nwarmup = 0s\nseed = 11\n"
             "[client c]\narrival = poisson(rate=${rate = 300, 900}/s)\nto = q\n"
             "[queue q]\n%s"
             "service = exp(mean=3ms)\nfetch_latency = exp(mean=3ms)\n"
             "prefetch = ${p = 2, 20}\nbatch = 4\nack_delay = 2ms\ncalls = s\n"
             "autoscale = hpa(metric=lag, target=3, min=1, max=6, period=1s, window=3s)\n"
             "[service s]\nservice = exp(mean=1ms)\nworkers = 32\n%s",
             group,
             crash ? "[fault down]\ntarget = w\nreplica = 0\naction = crash\nat = 12s\nuntil = 15s\n"
                   : "");
    size_t n1, n2;
    struct run_result *r1 = run1(text, 1, &n1), *r2 = run1(text, 2, &n2);
    ck_assert_uint_eq(n1, 4);
    ck_assert_uint_eq(n1, n2);
    double acks_lost = 0;
    for (size_t i = 0; i < n1; i++) {
        same_results(&r1[i], &r2[i]);
        uint64_t done = (uint64_t)extra(&r1[i], "w.processed");
        ck_assert_uint_gt(done, 8000);
        ck_assert_double_eq(extra(&r1[i], "w.lost"), 0);
        ck_assert_double_eq(extra(&r1[i], "q.lost_total"), 0);
        /* a call per processing, plus those a crash cut or the end caught */
        ck_assert_double_ge(extra(&r1[i], "w.calls"), (double)done);
        ck_assert_double_le(extra(&r1[i], "w.calls"), (double)done + 100);
        if (crash) {
            ck_assert_double_gt(extra(&r1[i], "w.redelivered"), 0);
            acks_lost += extra(&r1[i], "w.acks_lost");
            continue;
        }
        ck_assert_double_eq(extra(&r1[i], "w.duplicates_processed"), 0);
        ck_assert_double_eq(extra(&r1[i], "w.acks_lost"), 0);
        const struct comp_result *w = NULL;
        for (size_t c = 0; c < r1[i].ncomps; c++)
            if (strcmp(r1[i].comps[c].name, "w") == 0)
                w = &r1[i].comps[c];
        ck_assert_ptr_nonnull(w);
        ck_assert_uint_ge(w->arrivals, done);
        ck_assert_uint_le(w->arrivals - done, 200);
    }
    if (crash) /* a crash with acks on their way: at least one point */
        ck_assert_double_gt(acks_lost, 0);
    tl_runs_free(r1, n1);
    tl_runs_free(r2, n2);
}

START_TEST(owned_autoscaled_prefetch_with_calls_acks_and_batch_is_deterministic_and_at_least_once)
{
    static const char *const groups[] = {
        "partitions = 6\n[consumers w]\nfrom = q\nconsumers = 1\nassignment = range\n"
        "rebalance = 100ms\n",
        "[consumers w]\nfrom = q\nconsumers = 1\n",
    };
    for (int g = 0; g < 2; g++) {
        mixed_run(groups[g], true);
        mixed_run(groups[g], false);
    }
}
END_TEST

/* Prefetch (deliveries of 1 or 3) with calls, dedupe, acks on their way
 * and a visibility timeout, through a consumer's crash and the group's, with max_deliveries and a
 * capacity: the same results at -j 1 and -j 2, and each path taken (acks
 * lost, duplicates skipped, calls failed). */
START_TEST(prefetch_with_calls_dedupe_and_acks_runs_are_deterministic)
{
    const char *text =
        "[sim]\nduration = 20s\nwarmup = 1s\nrepeat = 2\nseed = 3\n"
        "[client c]\narrival = poisson(rate=300/s)\nto = q\n"
        "[queue q]\ncapacity = 200\nmax_deliveries = 4\nvisibility_timeout = 80ms\n"
        "[consumers w]\nfrom = q\nconsumers = 4\nservice = exp(mean=5ms)\n"
        "fetch_latency = exp(mean=3ms)\nprefetch = ${p = 1, 5}\nbatch = ${b = 1, 3}\n"
        "ack_delay = 4ms\n"
        "dedupe = 5s\ncalls = s\ncall_timeout = 40ms\n"
        "[service s]\nservice = hyperexp(mean=4ms, scv=10)\nworkers = 8\n"
        "[fault one]\ntarget = w\nreplica = 2\naction = crash\nat = 4s\nuntil = 6s\n"
        "[fault all]\ntarget = w\naction = crash\nat = 12s\nuntil = 13s\n";
    size_t n1, n2;
    struct run_result *r1 = run1(text, 1, &n1), *r2 = run1(text, 2, &n2);
    ck_assert_uint_eq(n1, 8);
    ck_assert_uint_eq(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        same_results(&r1[i], &r2[i]);
        double acks_lost = -1, deduped = -1, failed_calls = -1, processed = -1;
        for (size_t j = 0; j < r1[i].nextra; j++) {
            const char *nm = r1[i].extra[j].name;
            double v = r1[i].extra[j].value;
            if (strcmp(nm, "w.acks_lost") == 0)
                acks_lost = v;
            else if (strcmp(nm, "w.deduped") == 0)
                deduped = v;
            else if (strcmp(nm, "w.failed_calls") == 0)
                failed_calls = v;
            else if (strcmp(nm, "w.processed") == 0)
                processed = v;
        }
        ck_assert_double_gt(acks_lost, 0);
        ck_assert_double_gt(deduped, 0);
        ck_assert_double_gt(failed_calls, 0);
        ck_assert_double_gt(processed, 3000); /* prefetch 1 waits for each ack: below the 300/s */
    }
    tl_runs_free(r1, n1);
    tl_runs_free(r2, n2);
}
END_TEST

Suite *prefetch_suite(void)
{
    Suite *s = suite_create("prefetch");
    TCase *tc = tcase_create("exact");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, prefetch_hides_the_round_trip_behind_the_processing);
    tcase_add_test(tc, prefetch_one_pays_every_round_trip);
    tcase_add_test(tc, a_slow_consumer_holds_its_buffer_while_another_idles);
    tcase_add_test(tc, a_consumer_crash_sends_its_buffer_back_after_processing);
    tcase_add_test(tc, a_consumer_crash_loses_its_buffer_on_receive);
    tcase_add_test(tc, a_group_crash_returns_every_buffer_and_cut_ones_count_as_deliveries);
    tcase_add_test(tc, a_delivery_still_in_processing_at_its_timeout_is_sent_again);
    tcase_add_test(tc, a_message_buffered_past_its_timeout_is_delivered_twice);
    tcase_add_test(tc, with_a_timeout_a_crashed_consumers_messages_come_back_when_it_ends);
    tcase_add_test(tc, a_crash_past_the_timeout_ends_the_delivery_its_copy_replaced);
    tcase_add_test(tc, a_group_crash_past_the_timeout_holds_nothing_for_ever);
    tcase_add_test(tc, the_credit_set_finds_the_next_consumer_as_a_scan_would);
    tcase_add_test(tc, a_buffered_message_makes_its_calls_before_its_ack);
    tcase_add_test(tc, a_crash_mid_call_sends_the_message_and_its_buffer_back);
    tcase_add_test(tc, a_crash_mid_call_loses_the_message_and_its_buffer_on_receive);
    tcase_add_test(tc, a_failed_call_fails_a_buffered_message);
    tcase_add_test(tc, a_delivery_out_on_its_call_at_its_timeout_is_sent_again);
    tcase_add_test(tc, a_buffered_duplicate_is_acked_unprocessed_and_frees_its_slot);
    tcase_add_test(tc, a_credit_is_held_until_the_ack_lands);
    tcase_add_test(tc, a_consumer_crash_loses_its_acks_on_the_way);
    tcase_add_test(tc, a_group_crash_loses_every_consumers_acks);
    tcase_add_test(tc, a_lost_acks_message_comes_back_when_the_timeout_from_its_delivery_ends);
    tcase_add_test(tc, a_delivery_carries_consecutive_messages_to_one_consumer);
    tcase_add_test(tc, a_delivery_carries_no_more_than_the_credit_left);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("runs");
    tcase_set_timeout(tr, 120);
    tcase_add_test(tr, prefetch_one_without_round_trip_is_the_group_without_prefetch);
    tcase_add_test(tr, prefetch_one_owned_or_autoscaled_is_the_group_without_prefetch);
    tcase_add_test(tr, prefetch_runs_are_deterministic);
    tcase_add_test(tr, owned_and_autoscaled_prefetch_runs_are_deterministic_and_lose_nothing);
    tcase_add_test(tr, prefetch_with_calls_dedupe_and_acks_runs_are_deterministic);
    tcase_add_test(tr, owned_autoscaled_prefetch_with_calls_acks_and_batch_is_deterministic_and_at_least_once);
    suite_add_tcase(s, tr);
    return s;
}
