/* queue and consumers: the first messaging kinds.
 *
 * [queue NAME] is a message broker. A publish is a
 * request sent to it (a client with `to = NAME`, or a service's `calls`):
 * after the broker's `latency` (one draw per publish) the message is stored
 * and the publish is acknowledged (REQ_OK), or, when the queue is full, it
 * is refused (REQ_REJECTED, cause queue full) with `full = reject`, or the
 * oldest waiting message is dropped to make room with `full = drop_oldest`,
 * or the publish waits at the broker, unacked, with `full = block`: held
 * in its partition's `blocked` ring (the failover's), in arrival order,
 * until every group's partition has room. A message that leaves
 * (msg_free: processed and acked, dropped, expired, dead-lettered, lost)
 * schedules one unblock_event for its partition (kick_blocked), which
 * stores the held publishes while there is room (drain_blocked); one whose
 * caller gave up (dep_caller_gone) is dropped unstored at the front. The
 * broker deletes expired messages when it looks for room. A dead letter
 * put into a full block queue is refused (nobody waits for it), as is a
 * publish to a block queue nobody reads; block needs ack = after_processing.
 * The publisher's request ends at the acknowledgement: it does not wait for
 * the message to be processed.
 *
 * [consumers NAME] with `from = QUEUE` is the group that reads the queue:
 * `consumers` workers of one station (models/kinds/station.h), each taking
 * the oldest waiting message when it is free and holding it for a
 * `service` draw (from the message's work seed: common random numbers).
 * The station's FIFO queue is the broker's backlog, so a message waits in
 * it until a consumer is free: with Poisson publishes and exponential
 * service this is M/M/c, and with a capacity K (ack = after_processing) it
 * is M/M/c/K.
 *
 * `partitions = P` splits the queue into P independent FIFO partitions, one
 * station each, with consumers / P of the group's consumers each (the
 * consumers must be a multiple of P); a publish goes to the partition of its
 * key's hash (route = key: one key's messages stay in order when a
 * partition has one consumer) or to each in turn (route = round_robin), and
 * `capacity` applies to each partition.
 *
 * Partition ownership (the consumers' `assignment = range | round_robin`; the
 * default `shared` is the sharing above): a Kafka consumer group. Any number
 * of consumers (members); each partition's station has one worker place, so
 * one message of a partition is processed at a time, and its waiting
 * messages are all in the partition's `parked` ring (its log), never in the
 * station's queue: a member takes them one at a time (member_next), from its
 * partitions in turn (mcursor), when it is free. assign_partitions gives the
 * live members (in member order) the partitions: range, consecutive blocks
 * (Kafka's RangeAssignor on one topic); round_robin, partition p to the
 * (p mod L)-th. Members beyond P own none (idle_lv). A membership change
 * (members_changed: the autoscaler's count, a [fault] crash of member K or
 * of all, a recovery) pauses the group for `rebalance` (no member takes a
 * message; a change during the pause restarts it as one rebalance; 0 still
 * groups the changes of one instant), then the partitions are assigned
 * again. A member that lost a partition finishes (and acks) the message it
 * processes (with batch, the rest of its fetch: see "Batches"); the new
 * owner waits for the partition's station to be free (consumers_freed
 * kicks it), so a rebalance alone never makes a duplicate. A crashed
 * member's message is cut (station_cut: to the front of its partition, or
 * lost with on_receive). An autoscaler's max is capped at P (KEDA); member
 * slots 0..max-1, the first `ready` present.
 *
 * Acks on their way (`ack_delay`, after_processing): a processed message is
 * held (parked.acking, counted in capacity) in its member's `acks` ring
 * (member 0 for a shared group; with prefetch its consumer's) until its
 * ack lands (ack_event; acks of one member land in order, the delay being
 * constant). A crash of that member
 * (or of the group) bumps its aepoch (the pending ack events go stale) and
 * sends the messages back to the front of their partitions, in order
 * (acks_lose), marked STEP_DONE: their next processing is a duplicate
 * (note_processed, which also counts the visibility timeout's copies, once).
 *
 * `capacity` counts the messages the broker holds. With ack =
 * after_processing (the default) a message is held until its processing
 * ends, so the messages being processed count; with ack = on_receive the
 * broker forgets a message once a consumer takes it, so only the waiting
 * ones count. drop_oldest drops only a waiting message: when every held
 * message is being processed, the new one is refused.
 *
 * Sizes (`message_size`, `capacity_bytes`): a message's size is drawn once
 * per publish (publish_bytes: from the publish's work seed, on a stream of
 * its own at the queue) and kept in the message (request.bytes): its copies
 * in a fanout topic, its redeliveries, its visibility copies and its dead
 * letter carry it. `capacity_bytes` bounds each partition's (each group's
 * partition's) held bytes, counted as `capacity` counts held messages: each
 * partition keeps hbytes (held) and wbytes (in its rings: the parked ring
 * and the station's queue, the ones drop_oldest may drop; a message is
 * marked STEP_WAITING while it is there, wait_add / wait_take). With
 * after_processing a message's bytes are held from its delivery to its
 * msg_free (a visibility family once); with on_receive, while it waits. A
 * message must fit both bounds; one larger than capacity_bytes is refused
 * outright (too_large); drop_oldest drops waiting messages oldest first
 * until the new one fits, after has_room found that dropping them all
 * would make room (else it refuses and drops nothing); block holds the
 * publish until it fits, in arrival order, so a large held publish holds
 * the smaller ones behind it (head-of-line). A sized queue's groups always
 * use the demand hook (the take is when a message stops waiting).
 *
 * `mode = fanout` makes the queue a topic: several [consumers] groups may
 * read it, each a subscription with its own copy of every message, its own
 * stations (one per partition), parked messages, backlog and end-to-end
 * histogram, so a slow or crashed group's backlog is its own and the other
 * groups never wait for it. A publish goes to the same partition in every
 * group. `capacity` bounds each group's partition: with full = reject a
 * publish is refused (no copy stored) when any group's partition is full;
 * with drop_oldest each full group drops its own oldest waiting message,
 * and the publish is refused only when a full group has none waiting. With
 * `mode = queue` (the default) one group reads the queue.
 *
 * Faults (on the consumers, the group as one node): slow multiplies the
 * processing times; a crash takes every consumer down. In a group that owns
 * partitions a fault names a member (`replica = K`, or all): a crash is
 * owned_crash's; slow is the member's (mnf), and a partition's station
 * takes the slow factor of the member that starts a message on it
 * (member_nf), so only the messages member K processes are slowed. The broker stays up:
 * the waiting messages and new publishes are parked per partition, in
 * order, and the messages being processed are cut: with after_processing
 * they go back to the front (redelivered: at least once), with on_receive
 * they are lost. At recovery the consumers take the parked messages in
 * order. Parked messages count in the backlog and against capacity.
 *
 * Failures, dead letters, retention, duplicates (the consumers' `fail`,
 * `poison`, `dedupe`; the queue's `max_deliveries`, `dlq`, `retention`,
 * `visibility_timeout`): a failed processing (after_processing) sends the
 * message to the back of its partition, or, at its max_deliveries-th
 * delivery (failed or crash-cut), to the dlq (another queue: put() with the
 * message's first age and id) or away. Retention deletes an expired message
 * when the broker stores a new one on its partition (purge_expired, oldest
 * first) or a consumer reaches it (the station's gone hook). A visibility
 * timeout starts with each processing (the demand hook; with prefetch at
 * the delivery, with batch at the fetch: see those): if the processing
 * is still running when it ends, a copy of the message (same id) is
 * delivered again; the group's family map counts the processings of each
 * such message to find the duplicates. An idempotent group (dedupe)
 * remembers the ids it processed for its window and skips a delivery of one
 * (a zero demand, then acked unprocessed).
 *
 * Request-response (`reply = QUEUE`): the publish is not acked at the
 * store; its request stays at the queue, in the `pending` map under its id
 * (the correlation id, the message's id). When a processing ends the
 * consumer publishes the reply to the reply queue, which holds it for its
 * latency (reply_event); the request waiting under that id is then replied
 * to. A caller that gave up meanwhile (dep_caller_gone: its timeout, or a
 * retry that published again) or an id answered already (a copy processed
 * twice) makes a late reply, counted and dropped; the abandoned request
 * still goes back so its caller frees it. A lost message (or a refused reply)
 * leaves its caller to its timeout, counted in unanswered (rr_lost); once
 * the caller gave up, a later publish hands the request back (reap_orphans).
 *
 * Broker faults (a [fault] on the queue, action = crash; replica = a
 * partition, or all): a partition that is down (bdown) refuses publishes
 * and delivers nothing: its waiting messages park in every group (lost at
 * the crash with persistence = false), and the messages being processed
 * finish. With `failover` a crash is a pause instead: publishes wait in
 * `blocked` and are stored in order when it ends, after the parked
 * messages go to the consumers; the fault's end does nothing then.
 *
 * Calls (the consumers' `calls`, as a service's): when a message's own
 * processing (its `service` draw) ends well, the consumer, still held, makes
 * its calls in order (calls_begin), on a call request of its own (a child
 * of the message, with its key, op and work seed, so that nothing a callee
 * writes into it touches the message; a call to a queue is a publish),
 * through dep.c's guards when any is set (call_timeout, breaker, fallback,
 * bulkhead). The message is processed (its end-to-end time ends, it is
 * acked, or its ack_delay starts) only after the last call came back; a
 * failed call (an error, a timeout, a refusal) fails the processing, which
 * goes the failed way (redelivered, max_deliveries, dlq; lost on receive).
 * The message and its call find their record in `ctab` through their
 * frames' `epoch`; a crash that cuts the message while a call is out
 * detaches the call (calls_cut: abandoned, its parent link cleared, so the
 * message may be freed or delivered again), and its late return is
 * dropped. A group whose calls lead back to its own queue is refused
 * (message_circle): every message would beget another.
 *
 * A message is a request of its own (from the pool, one frame: the
 * consumers'), born when it is stored; it ends, and returns to the pool, when
 * its processing ends or it is dropped. Its `version` is the message id
 * (the publish's request id, kept by copies and dead letters), its `user`
 * the deliveries ended so far, its frame's `replica` its partition and
 * `step` the STEP_* flags; `attempt` stays 0, so every delivery draws the
 * same processing time (common random numbers). Its end-to-end latency runs from the
 * publish's arrival at the broker to the end of its processing (broker
 * latency + wait + service).
 *
 * Batches (the consumers' `batch = N`, `fetch_latency`):
 * a consumer that takes a message (its station's worker starts it) fetches
 * up to N - 1 more waiting messages of its partition with it, oldest first,
 * in one fetch whose round trip (`fetch_latency`, one draw per fetch) it
 * pays before processing the first. The fetched messages leave the
 * partition's queue at once and wait in the fetch record (struct fbatch,
 * found from the message in processing through `held_by`), each counted in
 * its partition's `fetched` (held with after_processing): when a processing
 * ends (release_or_next), the worker goes straight to the next one
 * (station_handover), so they are processed one after another, each acked
 * as it ends, even while another consumer is idle (head-of-line). A crash
 * of the group cuts the fetch (cut_fetch): with after_processing its
 * unprocessed messages go back to the front of their partition, after the
 * one cut in processing, in order (redelivered, not counted as a delivery);
 * with on_receive they are lost. A fetch takes what waits at that instant:
 * a message stored to an idle consumer is fetched alone. The slow fault
 * scales the fetch with the processing. With the queue's visibility
 * timeout, each fetched message's runs from the fetch (vt_sent keeps the
 * fetch's sending time by message id while it is fetched or in
 * processing; visible_event copies one still there when it ends), and a
 * crash's cut fetch comes back when the timeout ends (vt_invisible). An
 * idempotent group skips a fetched message it has seen, as any delivery.
 * With calls, each message makes its calls (the consumer held) before the
 * next of its fetch starts; a crash while one is out detaches the call
 * (calls_cut) and cuts the fetch as above. With owned partitions (Kafka's
 * max.poll.records) a member that takes a message (member_next) fetches
 * from that one partition's parked log (fetch_take), oldest first; it
 * holds the partition's one worker place for the whole fetch, so a
 * rebalance that gives the partition to another member lets it finish the
 * batch it fetched (Kafka's consumer processes the records it polled)
 * while the new owner waits for the place (consumers_freed kicks it): the
 * order per partition holds and a rebalance alone delivers nothing twice.
 * A crash of the member cuts its fetch as above (member_crash: back to the
 * front of the partition in order, or lost with on_receive); its acks on
 * the way (ack_delay) go back in front of them (acks_lose). With an
 * autoscaler, a consumer that a scale-down removes while it holds a fetch
 * finishes it first: a shared group's station keeps handing it its worker
 * (station_handover, busy above workers until it releases it), an owned
 * group's member keeps its partition's place as in a rebalance.
 *
 * Prefetch (the consumers' `prefetch = N`; per-consumer data in
 * models/kinds/prefetch.[ch]): each consumer has an identity (a shared
 * group's partition p's are p * pf_per .. (p + 1) * pf_per - 1, one
 * station worker each; an owned group's are its members) and a buffer.
 * The partition's waiting messages are all in its `parked` ring (the
 * broker's log, as an owned group's), never in the station's queue;
 * pf_kick pushes them, oldest first, to the consumers with credit (fewer
 * than N delivered and unacked: buffer plus the one in processing) in
 * round robin from pf_cursor (RabbitMQ's rule; pf_credit, a 64-ary bit
 * tree of the consumers with credit, finds the next one in O(log64 n)
 * instead of a scan; pf_sync keeps it after every change), whenever a
 * message is stored or sent back, a processing ends, or a consumer or the
 * broker comes back. Dispatch rule and refill rule are one: every
 * delivery is sent at once and lands `fetch_latency` later (a draw from
 * the message's work seed, stream 1; no earlier than the consumer's
 * previous landing: a channel delivers in order), so several are in
 * flight and the buffer refills while the consumer works. A consumer that
 * is free starts on its oldest landed message (pf_start, station_offer,
 * or station_handover from the one just ended). Buffered messages count
 * in `fetched` (held with after_processing, as a batch's). An expired
 * message is deleted when it would be sent (only when a consumer has
 * credit, as the station's queue deletes one a consumer reaches); one
 * stored or sent back to an empty log with credit free is taken at once,
 * unchecked, as station_offer starts it: so prefetch = 1 without
 * fetch_latency (nor ack_delay, whose acks hold the credit) is exactly the
 * group without prefetch. A [fault] with
 * `replica = K` acts on consumer K alone: slow multiplies its own demands
 * (its pf slow factor), a crash cuts its message (station_cut) and
 * pf_return sends its buffer (landed or in flight: its epoch makes the
 * landing events stale) back to the front, in order, behind the cut one
 * (after_processing: redelivered, not a delivery; the cut one counts
 * towards max_deliveries), or loses it (on_receive); the broker sends it
 * nothing until it recovers. A crash of the group does the same for every
 * consumer. The visibility timeout runs from each delivery (sent by the
 * broker), not from the processing: its timer is set in pf_kick, and
 * visible_event finds the delivery through held_by (the message's
 * consumer) and pf_holds (buffered or in processing, sent vt ago): a
 * message still in a buffer or in processing when it ends is delivered
 * again (a copy, possibly to the same consumer), so a buffer that holds
 * more than the timeout's worth of work makes duplicates. With a
 * timeout a crashed consumer's messages (cut or buffered) come back when
 * their timeout ends (STEP_INVISIBLE, their frame's start_ns set to the
 * delivery), or, past it, are dropped (pf_invisible: a copy is out).
 * With calls, a consumer makes a buffered message's calls as any
 * consumer does (calls_begin, its worker and its credit held): the
 * message is acked, and its credit freed (pf_done), when its last call
 * came back; a failed call fails it (release_or_next, then the failed
 * way). A crash while a call is out detaches the call (calls_cut) and cuts
 * the message as above, its buffer with it; a visibility timeout that
 * ends while the call is out (pf_holds: still its consumer's) sends a copy.
 * An idempotent group (dedupe) checks a buffered message when its consumer
 * starts it (the demand hook, as without prefetch): one it has seen is
 * acked unprocessed at once (served, STEP_SKIP) and its credit freed, so
 * the broker sends the next; one whose original is still in processing
 * is processed (nothing is seen before its processing ends). With
 * ack_delay each consumer has its own acks ring (acks_n: its channel), and
 * a processed message holds its consumer's credit (pf_consumer.acking)
 * until its ack lands (ack_event frees it and kicks the broker), as
 * RabbitMQ frees a credit on the ack, not at the processing's end: the
 * consumer goes on with its buffer meanwhile, but prefetch must cover the
 * ack's time too (prefetch = 1 pays it on every message). A crash of the
 * consumer (or of the group: every consumer's) loses its acks on the way
 * (acks_lose): those messages go back in front of its cut and buffered
 * ones, counted towards max_deliveries, and are processed again
 * (duplicates_processed); a lost ack's visibility timeout runs from its
 * delivery (its frame's start_ns set to it). With batch = B a delivery
 * (pf_kick) carries up to B waiting messages, oldest first, to the
 * consumer the round robin picks, no more than its credit left, landing
 * together after one round trip (one draw, from the first one's work
 * seed); the round robin moves on per delivery. It takes what waits when
 * it is sent: a message stored while a consumer has credit goes alone,
 * so batches form from a backlog (a burst, a recovery). Each message is
 * then a buffered one as above (no fetch record: cut_fetch and batch_vt
 * serve only a group without prefetch). An owned member's delivery
 * (pf_member) takes up to B messages of its partitions in turn, as one
 * Kafka fetch returns records of several partitions; its acks ring is its
 * member's (acks_n: one per consumer with a buffer, npf). A consumer an
 * autoscaler removes keeps its acks on the way: they land (its credit no
 * longer matters) unless it crashes first.
 * Owned partitions (assignment = range or round_robin; Kafka's fetch
 * buffer): member k's buffer holds messages of the partitions it owns
 * only; pf_member fills its credit from them in turn (mcursor), oldest
 * first, and starts its oldest landed one when it is idle (taking the
 * partition's one station place: mpart, pserver, its slow fault through
 * member_nf), so each partition's messages are processed in order. Nothing
 * is sent or started during a rebalance's pause; at its end (reassign)
 * each member's buffered messages of a partition it no longer owns go back
 * to that partition's front, in order (pf_drop_moved, redelivered), and a
 * partition whose old owner still processes one of its messages sends its
 * new owner nothing until that ends (consumers_freed kicks it): the new
 * owner starts from the first unprocessed message, and a rebalance alone
 * makes no duplicate. A member's crash cuts its message and returns or
 * loses its buffer as above (member_crash), then the group rebalances.
 * Autoscale: a new consumer starts with an empty buffer and its full
 * credit; a removed one (pf_rescale: an owned group's members from
 * `ready` up; a shared group's idle consumers first, then busy ones,
 * highest number first) gets nothing more and finishes its message, and
 * its buffer goes back to the front of its partitions in delivery order
 * (pf_hand_back merges several leaving buffers by their delivery
 * sequence): redelivered, never lost (whatever the ack) nor processed
 * twice. The autoscaler's lag (consumers_measure) counts the buffered
 * messages too: pf_send adds each to its partition's `fetched`, pf_start,
 * pf_return and pf_unbuffer (hand-back, moved partition) take it out, so
 * a deep buffer hides no lag from it. prefetch = 1 without fetch_latency (nor
 * ack_delay) never holds a message it does not start at once: an owned
 * (or autoscaled owned) group is then exactly the group without prefetch.
 *
 * Invariants: those of the station; held messages (waiting or parked, plus
 * those being processed with after_processing) never exceed capacity, nor
 * their bytes capacity_bytes; published = stored + rejected_full +
 * too_large after the cut (a publish is counted when its latency has
 * passed). */
#include "models/kinds/queue.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kind.h"
#include "models/kinds/dep.h"
#include "models/kinds/fault.h"
#include "models/kinds/idmap.h"
#include "models/kinds/prefetch.h"
#include "models/kinds/station.h"
#include "models/napkin.h"
#include "models/scale/autoscale.h"
#include "sim/hist.h"
#include "sim/units.h"
#include "sim/xalloc.h"

enum queue_full { FULL_REJECT, FULL_DROP_OLDEST, FULL_BLOCK };
enum queue_route { ROUTE_KEY, ROUTE_ROUND_ROBIN };
enum queue_mode { MODE_QUEUE, MODE_FANOUT };

#define QUEUE_MAX_PARTITIONS 1024

struct consumers;

/* The messages of a queue nobody reads (a dead-letter queue without
 * consumers): only their birth times, oldest first, so retention can
 * expire them. */
struct unread {
    int64_t *born;
    uint32_t *size;           /* their sizes in bytes (message_size; 0: unsized) */
    size_t head, len, cap;
    long long bytes;          /* the sum of their sizes */
};

struct queue {
    struct component base;
    struct consumers **groups; /* the groups reading it, in file order (set by their builds) */
    size_t ngroups;
    enum queue_mode mode;     /* queue: one group; fanout: each group gets every message */
    long long capacity;       /* messages held per partition; -1: unbounded */
    enum queue_full full;
    /* sizes (message_size, capacity_bytes; see "Sizes" in the top comment) */
    bool sized;               /* message_size is set: each message has a size */
    struct dist msg_size;     /* a message's size in bytes */
    long long capacity_bytes; /* bytes held per partition (and group); -1: unbounded */
    struct level bytes_lv;    /* bytes held, every group and partition (and unread) */
    int64_t bytes_max;        /* its peak in the measured window */
    uint64_t too_large;       /* publishes larger than capacity_bytes, refused outright */
    uint64_t published_bytes; /* the bytes of the publishes that reached the broker */
    uint64_t rejected_bytes;  /* of those, refused (full or too large) */
    uint32_t partitions;      /* independent FIFO partitions, each with its consumers */
    enum queue_route route;   /* which partition a publish goes to */
    uint64_t next_rr;         /* round robin: the next partition */
    struct hist *e2e;         /* publish at the broker -> processed (every group's copies) */
    uint64_t published;       /* publishes that reached the broker (measured window) */
    uint64_t rejected_full;   /* refused by a full queue */
    uint64_t dropped_oldest;  /* waiting messages dropped to make room (copies, in all groups) */
    int64_t retention_ns;     /* a message older than this is lost; -1: kept until processed */
    long long max_deliveries; /* deliveries of a message before it is dead-lettered; 0: no limit */
    struct queue *dlq;        /* where dead letters go; NULL: they are discarded */
    struct loc dlq_loc;
    bool is_dlq;              /* another queue's dlq: it may have no consumers */
    struct unread unread;     /* with no consumers: the messages it holds */
    struct level unread_lv;   /* their count */
    uint64_t dead_lettered;   /* messages delivered max_deliveries times, failing each time */
    uint64_t lost_retention;  /* messages older than retention, deleted unprocessed */
    uint64_t lost_dead_letter; /* dead letters discarded: no dlq, or a full dlq refused them */
    int64_t vt_ns;            /* visibility timeout: an unacked delivery comes back after it;
                                 -1: none */
    int64_t next_seq;         /* the store order of the next message */
    /* request-response (reply = QUEUE): a publish waits for its reply */
    struct queue *reply;      /* where the consumers publish each reply; NULL: no replies */
    bool is_reply;            /* another queue's reply queue: its readers are the callers */
    struct idmap pending;     /* correlation id (the publish's id) -> its waiting request
                                 (the pointer kept in the slot's two halves: looked up by id
                                 only, so its value never orders anything) */
    uint64_t replied;         /* replies that reached a caller still waiting */
    uint64_t late_replies;    /* replies that found no caller waiting: given up (timeout,
                                 retry) or answered already by an earlier copy; dropped */
    uint64_t unanswered;      /* publishes whose request message, or its reply, was lost: their
                                 caller waits for its timeout, or to the end of the run */
    struct {                  /* the correlation ids of those publishes, oldest first: each
                                 goes back to its caller once the caller gave up (reap_orphans),
                                 so a lossy run's memory does not grow with its losses */
        uint64_t *id;
        size_t head, len, cap;
    } orphans;
    /* broker faults (a [fault] with target = the queue, action = crash) */
    bool persistence;         /* held messages survive a broker crash */
    int64_t failover_ns;      /* a crash is a leader failover: the partition pauses this long;
                                 0: none (down until the fault ends) */
    uint8_t *bdown;           /* per partition: BROKER_UP, BROKER_DOWN or BROKER_FAILOVER */
    int64_t *back_ns;         /* per partition in a failover: when it ends */
    struct parked *blocked;   /* per partition: publishes waiting for the failover to end */
    bool faulted;             /* a [fault] aims at it: it reports its broker figures */
    uint64_t refused_down;    /* publishes refused by a partition that was down */
    uint64_t lost_crash;      /* messages lost with a crashed broker (persistence = false) */
    uint64_t blocked_publishes; /* publishes that waited for a failover */
    /* full = block: a publish to a full partition waits in `blocked` too */
    uint8_t *unblock_due;     /* per partition: an unblock_event is scheduled */
    uint64_t blocked_full;    /* publishes that waited for room (full = block) */
    uint64_t blocked_gone;    /* of those, dropped unstored: their caller gave up */
};

enum { BROKER_UP, BROKER_DOWN, BROKER_FAILOVER };

/* A partition's messages while its consumers are down: the broker keeps
 * them, oldest first, until the consumers recover. */
struct parked {
    struct request **ring;
    size_t head, len, cap;
    long long invisible; /* crash-cut messages waiting for their visibility timeout */
    long long copies;    /* deliveries made by a visibility timeout beyond the first of their
                            message: the broker holds the message once */
    long long acking;    /* processed messages whose ack is on its way (ack_delay): held */
    long long fetched;   /* fetched in a batch, not yet in processing (held with
                            after_processing) */
    long long hbytes;    /* bytes held, as `held` counts messages (a group's partition) */
    long long wbytes;    /* bytes of the messages waiting in its rings (the parked ring and
                            the station's queue): those drop_oldest may drop */
};

/* One consumer's fetch (`batch`): the messages fetched with the one in
 * processing, m[pos, len) still to process, in order. */
struct fbatch {
    struct request **m;  /* batch - 1 places */
    uint32_t pos, len;
    uint32_t next_free;  /* free list link (index + 1, 0: end) */
};

/* The message ids an idempotent consumers group processed in the last
 * `dedupe` window, oldest first (with the set in struct consumers). */
struct seen {
    uint64_t *id;
    int64_t *at;
    size_t head, len, cap;
};

/* A message's frame `step` holds these flags (its calls go on a request of
 * their own, whose frame's step is the call's index). */
#define STEP_INVISIBLE 1u /* cut by a crash, back when its visibility timeout ends */
#define STEP_FAMILY 2u    /* redelivered while in processing: in the group's family map */
#define STEP_SKIP 4u      /* an idempotent consumer has seen its id: acked unprocessed */
#define STEP_DONE 8u      /* processed once already (its ack was lost): a duplicate if again */
#define STEP_FETCHED 16u  /* fetched with an earlier message: no fetch of its own */
#define STEP_WAITING 32u  /* in its partition's rings: its bytes count in wbytes */

/* How a group shares its queue's partitions (the consumers' `assignment`). */
enum assignment {
    ASSIGN_SHARED,      /* each partition has consumers / partitions consumers of its own */
    ASSIGN_RANGE,       /* each partition one owner: consecutive ranges (Kafka's range) */
    ASSIGN_ROUND_ROBIN, /* each partition one owner: partition p to member p mod members */
};

#define NO_MEMBER UINT32_MAX /* a partition nobody owns or processes; an idle member */

struct consumers {
    struct component base;
    struct queue *q;          /* the queue read */
    struct loc from_loc;      /* where its `from` is (for errors found by the queue) */
    struct level backlog;     /* its messages waiting for a consumer (or parked) */
    struct hist *e2e;         /* its messages: publish at the broker -> processed */
    struct hist *ts_e2e;      /* the same, in the time series' interval ts_row (made at
                                 the first message processed, when [sim] interval is set;
                                 emptied by the first of a later interval) */
    size_t ts_row;            /* the time-series row its values belong to */
    uint64_t dropped_oldest;  /* its waiting messages dropped to make room (measured window) */
    struct station *stn;      /* one per partition (built by the queue): its workers are
                                 the partition's consumers, its queue the partition's
                                 backlog */
    uint32_t nstn;
    struct parked *parked;    /* one per partition: its messages while the group is down */
    long long n;              /* consumers in all */
    struct dist service;
    bool has_service;
    bool ack_on_receive;      /* ack = on_receive: a taken message no longer counts */
    double fail;              /* chance that one processing fails */
    double poison;            /* share of messages whose every processing fails */
    struct rng fail_rng;      /* draws `fail` (and an errors fault) */
    struct sim *sim;          /* the run it belongs to (the retention test reads the clock,
                                 the visibility timer is scheduled from the demand hook) */
    int64_t dedupe_ns;        /* idempotent: ids processed in this window are skipped; -1: no */
    struct idmap seen_set;    /* those ids */
    struct seen seen;
    size_t dedupe_ids_max;    /* most ids remembered at once */
    size_t dedupe_bytes_max;  /* most bytes they took (ring and map) */
    struct idmap family;      /* message id -> (copies alive, processings ended) of the
                                 messages redelivered while in processing */
    uint64_t duplicates;      /* processings of a message already processed */
    uint64_t vt_expired;      /* deliveries whose visibility timeout ended in processing */
    uint64_t deduped;         /* deliveries skipped by dedupe */
    struct idmap last_seq;    /* key -> store order of its latest message processed */
    uint64_t out_of_order;    /* processings of a message stored before one of the same key
                                 processed already */
    bool autoscale;           /* consumers scaled by an HPA rule (one partition) */
    struct loc autoscale_loc;
    struct hpa hpa;
    uint32_t ready, starting; /* consumers taking messages, and starting (cold start) */
    struct level hpa_busy;    /* a private copy, never reset at the cut (not registered) */
    double hpa_busy_mark;
    uint64_t hpa_arrivals;
    int64_t hpa_last_ns;
    uint64_t processed;       /* messages whose processing ended (measured window) */
    uint64_t failed;          /* processings that failed (fail, poison, an errors fault) */
    uint64_t redelivered;     /* messages delivered again: a crash cut them, or they failed */
    uint64_t lost;            /* messages a crash cut, or whose processing failed, after an ack
                                 on receive (at most once) */
    /* partition ownership (assignment = range or round_robin; see the top comment) */
    enum assignment assign;
    uint32_t nmem;            /* member places: consumers, or the autoscaler's max */
    uint8_t *mdown;           /* per member: crash faults on it now */
    struct nodefault *mnf;    /* per member: its slow fault (crashes are mdown's); the
                                 partition it processes takes it (member_nf) */
    uint32_t *mpart;          /* per member: the partition of the message it processes, or
                                 NO_MEMBER (idle) */
    uint32_t *mcursor;        /* per member: its next partition in turn (an index into its own) */
    uint32_t *own_start, *own_len; /* per member: its partitions, own_parts[start, start + len) */
    uint32_t *own_parts;      /* every partition, grouped by owner */
    uint32_t *powner;         /* per partition: its owner, or NO_MEMBER */
    uint32_t *pserver;        /* per partition: the member processing one of its messages */
    uint32_t live;            /* members present and up, as of the last change */
    int64_t rebalance_ns;     /* a membership change pauses the group this long */
    bool paused;              /* a rebalance is under way: no member takes a new message */
    uint64_t pause_gen;       /* the change the pause waits for (a later one restarts it) */
    int64_t pause_mark_ns;    /* when the pause (or the measured window) began */
    int64_t paused_ns;        /* paused time in the measured window, up to pause_mark_ns */
    uint64_t rebalances;      /* rebalances (measured window) */
    struct level idle_lv;     /* live members owning no partition */
    /* ack latency (ack_delay, with ack = after_processing) */
    int64_t ack_delay_ns;
    struct parked *acks;      /* per member (one for a shared group): processed messages whose
                                 ack is on its way, oldest first */
    uint32_t *aepoch;         /* per member: crashes that lost its acks on the way */
    uint64_t acks_lost;       /* acks a crash lost: those messages were delivered again */
    /* downstream calls (`calls`; see "Calls" in the top comment) */
    struct dep *deps;         /* one guarded call per callee (a guard asked for), or NULL */
    struct ccall *ctab;       /* the processings out on their calls (grows; stable indices) */
    uint32_t ccap, cfree;     /* its places; free list head: index + 1, 0: empty */
    uint64_t calls_sent;      /* calls sent without guards (measured window) */
    uint64_t calls_failed;    /* calls that came back failed, timed out or refused */
    /* batch receive (`batch`, `fetch_latency`; see "Batches" in the top comment) */
    uint32_t batch;           /* messages per fetch; 1: one at a time */
    struct dist fetch;        /* one fetch's round trip (has_fetch) */
    bool has_fetch;
    struct idmap held_by;     /* id of a message in processing -> its fetch record (a) */
    struct fbatch *fb;        /* fetch records (grows; stable indices) */
    uint32_t fbcap, fbfree;   /* places; free list head: index + 1, 0: empty */
    struct idmap vt_sent;     /* with a visibility timeout: id of a message fetched (in
                                 processing or waiting in its fetch) -> when the fetch was sent
                                 (a: low, b: high 32 bits of the time in ns) */
    /* prefetch (`prefetch`; see "Prefetch" in the top comment) */
    uint32_t prefetch;        /* messages in flight per consumer; 0: off (no buffers) */
    struct loc prefetch_loc;
    struct pf_consumer *pf;   /* per consumer: partition p's are [p * pf_per, (p + 1) * pf_per) */
    uint32_t pf_per;          /* consumers per partition */
    uint32_t *pf_cursor;      /* per partition: where the broker's round robin goes on */
    struct level pf_buffered; /* messages in the consumers' buffers (in flight or landed) */
    struct hist *pf_wait;     /* delivery (sent by the broker) -> processing start */
    uint32_t npf;             /* consumers with a buffer: shared, partitions x pf_per; owned,
                                 its member places (nmem) */
    uint32_t pf_present;      /* autoscaled: the consumers present, as of the last change */
    uint32_t *pf_scratch;     /* npf places: the consumers leaving at once (pf_rescale) */
    uint64_t pf_seq;          /* deliveries sent so far (a hand-back restores their order) */
    struct pf_set pf_credit;  /* shared: the consumers with credit (pf_eligible) */
};

/* A processing out on its calls: the message (NULL once a crash cut it:
 * the call's late return is then dropped), its partition's station and the
 * call request going down the list of callees. */
struct ccall {
    struct request *m;
    struct station *stn;
    struct request *p;
    uint32_t next_free;       /* free list link (index + 1, 0: end) */
};

static bool owned(const struct consumers *g)
{
    return g->assign != ASSIGN_SHARED;
}

/* Is member k of an owned group in it: present (below the autoscaler's
 * count) and not crashed? */
static bool member_live(const struct consumers *g, uint32_t k)
{
    uint32_t present = g->autoscale ? g->ready : (uint32_t)g->n;
    return k < present && g->mdown[k] == 0;
}

/* Does member k take a message now (live, idle, no rebalance under way)? */
static bool member_free(const struct consumers *g, uint32_t k)
{
    return k != NO_MEMBER && !g->paused && member_live(g, k) && g->mpart[k] == NO_MEMBER;
}

static void owned_kick(struct sim *sim, struct consumers *g, uint32_t part);
static void pf_member(struct sim *sim, struct consumers *g, uint32_t k);
static void pf_drop_moved(struct sim *sim, struct consumers *g, uint32_t k);
static bool pf_eligible(const struct consumers *g, uint32_t k);
static void pf_sync(struct consumers *g, uint32_t k);
static uint32_t acks_n(const struct consumers *g);
static void pf_kick(struct sim *sim, struct consumers *g, uint32_t part,
                    const struct request *fresh);

/* ---- messages parked while the consumers are down ----------------------- */

static void park_grow(struct parked *p)
{
    size_t ncap = p->cap ? 2 * p->cap : 16;
    p->ring = xring_grow(p->ring, sizeof *p->ring, p->cap, p->head, p->len, ncap);
    p->cap = ncap;
    p->head = 0;
}

static void park_back(struct parked *p, struct request *m)
{
    if (p->len == p->cap)
        park_grow(p);
    p->ring[(p->head + p->len++) % p->cap] = m;
}

static void park_front(struct parked *p, struct request *m)
{
    if (p->len == p->cap)
        park_grow(p);
    p->head = (p->head + p->cap - 1) % p->cap;
    p->ring[p->head] = m;
    p->len++;
}

static struct request *park_pop(struct parked *p)
{
    struct request *m = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    p->len--;
    return m;
}

/* A parked message waits like a queued one: it moves the same levels. */
static void backlog_add(struct sim *sim, struct station *st, int64_t delta)
{
    for (int i = 0; i < 2; i++)
        if (st->queue_lv[i])
            sim_level_add(sim, st->queue_lv[i], delta);
}

/* Is partition part of q's broker taking publishes and delivering? */
static bool broker_up(const struct queue *q, uint32_t part)
{
    return !q->bdown || q->bdown[part] == BROKER_UP;
}

/* ---- bytes held (message_size) ------------------------------------------- */

/* The size of the message publish r makes at q: a draw of message_size
 * from r's work seed (its own stream at q), so the same publish always
 * gets the same size at any -j; whole bytes, at least 1 (sizes beyond
 * 4 GiB count as 4 GiB). 0 when q has no message_size. */
static uint32_t publish_bytes(const struct queue *q, const struct request *r)
{
    if (!q->sized)
        return 0;
    double x = floor(dist_sample_seeded(&q->msg_size, sim_work_seed(r, &q->base, 0x62797465)) +
                     0.5);
    return x < 1.0 ? 1 : x >= 4294967295.0 ? UINT32_MAX : (uint32_t)x;
}

/* The bytes q holds changed by delta (its level and peak). */
static void bytes_add(struct sim *sim, struct queue *q, long long delta)
{
    sim_level_add(sim, &q->bytes_lv, delta);
    if (q->bytes_lv.value > q->bytes_max)
        q->bytes_max = q->bytes_lv.value;
}

/* Group g's partition part holds delta more bytes. */
static void held_bytes_add(struct sim *sim, struct consumers *g, uint32_t part, long long delta)
{
    g->parked[part].hbytes += delta;
    bytes_add(sim, g->q, delta);
}

/* m enters its partition's rings (stored, delivered again, cut back to the
 * front): it waits, and with ack = on_receive its bytes are held. */
static void wait_add(struct sim *sim, struct consumers *g, struct request *m)
{
    struct frame *f = sim_top(m);
    if (m->bytes == 0 || (f->step & STEP_WAITING))
        return;
    f->step |= STEP_WAITING;
    g->parked[f->replica].wbytes += m->bytes;
    if (g->ack_on_receive)
        held_bytes_add(sim, g, f->replica, m->bytes);
}

/* m leaves its partition's rings (a consumer takes or fetches it, or it is
 * freed there). */
static void wait_take(struct sim *sim, struct consumers *g, struct request *m)
{
    struct frame *f = sim_top(m);
    if (!(f->step & STEP_WAITING))
        return;
    f->step &= ~STEP_WAITING;
    g->parked[f->replica].wbytes -= m->bytes;
    if (g->ack_on_receive)
        held_bytes_add(sim, g, f->replica, -(long long)m->bytes);
}

/* ---- a queue nobody reads ------------------------------------------------ */

static void unread_push(struct sim *sim, struct queue *q, int64_t born_ns, uint32_t size)
{
    struct unread *u = &q->unread;
    if (u->len == u->cap) {
        size_t ncap = u->cap ? 2 * u->cap : 16;
        u->born = xring_grow(u->born, sizeof *u->born, u->cap, u->head, u->len, ncap);
        u->size = xring_grow(u->size, sizeof *u->size, u->cap, u->head, u->len, ncap);
        u->cap = ncap;
        u->head = 0;
    }
    u->born[(u->head + u->len) % u->cap] = born_ns;
    u->size[(u->head + u->len) % u->cap] = size;
    u->len++;
    u->bytes += size;
    if (size)
        bytes_add(sim, q, size);
}

static void unread_pop(struct sim *sim, struct queue *q)
{
    struct unread *u = &q->unread;
    uint32_t size = u->size[u->head];
    u->head = (u->head + 1) % u->cap;
    u->len--;
    u->bytes -= size;
    if (size)
        bytes_add(sim, q, -(long long)size);
}

/* ---- the end of a message ------------------------------------------------- */

static void rr_lost(struct consumers *g, struct request *m);

/* Group g is done with its message m (processed: its processing ended
 * successfully). A message redelivered while in processing has copies: the
 * second and later processings ended count as duplicates. */
/* A processing of m ended well: the second and later of one message are
 * duplicates, whether a visibility timeout made a copy (its family counts
 * the processings) or a crash lost the first one's ack (STEP_DONE). */
static void note_processed(struct consumers *g, struct request *m)
{
    struct frame *f = sim_top(m);
    if (f->step & STEP_FAMILY) {
        struct idmap_slot *s = idmap_find(&g->family, m->version);
        assert(s && s->a > 0);
        if (++s->b > 1)
            g->duplicates++;
    } else if (f->step & STEP_DONE) {
        g->duplicates++;
    }
    f->step |= STEP_DONE;
}

static void kick_blocked(struct sim *sim, struct queue *q, uint32_t part);

static void msg_free(struct sim *sim, struct consumers *g, struct request *m, bool processed)
{
    if (sim->trace) /* its last delivery ends */
        trace_msg_end(sim, m, true);
    if (processed)
        note_processed(g, m);
    /* a request-reply message dropped before any processing answered it
     * (STEP_DONE: processed, its ack on its way or lost; its reply went) */
    if (!processed && g->q->reply && !(sim_top(m)->step & (STEP_SKIP | STEP_DONE)))
        rr_lost(g, m);
    wait_take(sim, g, m);
    bool copy = false; /* another copy of its family is alive: held still */
    if (sim_top(m)->step & STEP_FAMILY) {
        struct idmap_slot *s = idmap_find(&g->family, m->version);
        assert(s && s->a > 0);
        if (s->a > 1) {
            g->parked[sim_top(m)->replica].copies--; /* the family counts once */
            copy = true;
        }
        if (--s->a == 0)
            idmap_del(&g->family, m->version);
    }
    if (m->bytes && !g->ack_on_receive && !copy)
        held_bytes_add(sim, g, sim_top(m)->replica, -(long long)m->bytes);
    sim_level_add(sim, &g->base.st.insys, -1);
    if (g->q->full == FULL_BLOCK) /* its partition gained room */
        kick_blocked(sim, g->q, sim_top(m)->replica);
    sim_req_free(sim, m);
}

/* ---- retention ------------------------------------------------------------- */

/* Is a message born at born_ns older than q's retention now? */
static bool expired(const struct queue *q, int64_t born_ns, int64_t now_ns)
{
    return q->retention_ns >= 0 && now_ns - born_ns > q->retention_ns;
}

/* Group g's message m is deleted unprocessed: older than the retention. */
static void lose_expired(struct sim *sim, struct consumers *g, struct request *m)
{
    g->q->lost_retention++;
    msg_free(sim, g, m, false);
}

/* The broker deletes the expired messages at the head of group g's
 * partition st (parked first: they are older) before it stores a new one
 * there; a consumer reaching an expired message deletes it too (gone). */
static void purge_expired(struct sim *sim, struct queue *q, struct consumers *g,
                          struct station *st)
{
    if (q->retention_ns < 0)
        return;
    int64_t now = sim_now(sim);
    struct parked *pk = &g->parked[st->index];
    while (pk->len > 0 && expired(q, pk->ring[pk->head]->born_ns, now)) {
        struct request *m = park_pop(pk);
        backlog_add(sim, st, -1);
        lose_expired(sim, g, m);
    }
    while (st->len > 0 && expired(q, st->ring[st->head]->born_ns, now))
        lose_expired(sim, g, station_take_oldest(sim, st));
}

static void purge_unread(struct sim *sim, struct queue *q)
{
    struct unread *u = &q->unread;
    while (u->len > 0 && expired(q, u->born[u->head], sim_now(sim))) {
        unread_pop(sim, q);
        sim_level_add(sim, &q->unread_lv, -1);
        q->lost_retention++;
    }
}

static const struct station_ops consumers_station;

/* Message m goes to a consumer of group g's partition st, or waits parked
 * while the consumers or the partition's broker are down. */
static void offer_or_park(struct sim *sim, struct consumers *g, struct station *st,
                          struct request *m)
{
    wait_add(sim, g, m);
    if (owned(g) || g->prefetch) { /* the partition's log: its owner takes it in turn, or
                                      the broker pushes it to a consumer with credit */
        bool fresh = g->parked[st->index].len == 0; /* a consumer may take it at once */
        park_back(&g->parked[st->index], m);
        backlog_add(sim, st, 1);
        if (g->prefetch)
            pf_kick(sim, g, st->index, fresh ? m : NULL);
        else
            owned_kick(sim, g, st->index);
        return;
    }
    if (!station_is_up(st) || !broker_up(g->q, st->index)) {
        park_back(&g->parked[st->index], m);
        backlog_add(sim, st, 1);
        return;
    }
    enum station_verdict v = station_offer(sim, st, m);
    assert(v == STATION_STARTED || v == STATION_QUEUED);
    (void)v;
}

/* The consumers and the broker of group g's partition st are up again: the
 * parked messages go to the consumers in order (the expired ones deleted). */
static void unpark(struct sim *sim, struct consumers *g, struct station *st)
{
    struct parked *pk = &g->parked[st->index];
    if (g->prefetch) { /* the expired ones deleted, the others stay in order for pf_kick */
        for (size_t n = pk->len; n > 0; n--) {
            struct request *m = park_pop(pk);
            if (expired(g->q, m->born_ns, sim_now(sim))) {
                backlog_add(sim, st, -1);
                lose_expired(sim, g, m);
            } else {
                park_back(pk, m);
            }
        }
        pf_kick(sim, g, st->index, NULL);
        return;
    }
    while (pk->len > 0) {
        struct request *m = park_pop(pk);
        backlog_add(sim, st, -1);
        if (expired(g->q, m->born_ns, sim_now(sim))) {
            lose_expired(sim, g, m);
            continue;
        }
        enum station_verdict v = station_offer(sim, st, m);
        assert(v == STATION_STARTED || v == STATION_QUEUED);
        (void)v;
    }
}

/* ---- queue ----------------------------------------------------------------- */

static const struct param_spec queue_params[] = {
    {"capacity", "int|unbounded", "unbounded",
     "messages the broker holds (waiting, plus those being processed with ack = "
     "after_processing); then `full` applies"},
    {"capacity_bytes", "size|unbounded", "unbounded",
     "bytes the broker holds per partition (and group), counted as capacity counts messages; "
     "needs message_size. Both bounds may be set: a message must fit both. A message larger "
     "than this is refused outright (rejected_too_large); drop_oldest drops waiting messages, "
     "oldest first, until the new one fits; block holds a publish until it fits, and a large "
     "held publish holds the smaller ones behind it (head-of-line). Reports the bytes_cap time "
     "series (this times the partitions of every group): timeseries.png draws it dashed over "
     "bytes_held"},
    {"message_size", "dist", "",
     "each message's size in bytes (units B, kB, MB, GB, KiB, MiB, GiB), drawn once per "
     "publish from its work seed; copies, redeliveries and dead letters keep it. Reports "
     "bytes_held_mean, bytes_held_max, published_bytes, rejected_bytes and the bytes_held "
     "time series (timeseries.png draws it)"},
    {"full", "reject|drop_oldest|block", "reject",
     "what a publish to a full queue does: refused, the oldest waiting message is dropped, or "
     "it waits at the broker (not acked) until its partition has room (block; ack = "
     "after_processing)"},
    {"latency", "dist", "",
     "broker latency of each publish: from its arrival to the message stored and acked"},
    {"partitions", "int", "1",
     "independent FIFO partitions; each gets consumers / partitions of the group's consumers "
     "(or one owner: the consumers' assignment), and capacity applies to each"},
    {"route", "key|round_robin", "key",
     "the partition of a publish: a hash of its key, or each partition in turn"},
    {"retention", "duration|forever", "forever",
     "a message older than this (from its publish) is deleted unprocessed, counted in "
     "lost_retention; a dead letter keeps the age of its first publish"},
    {"max_deliveries", "int|unlimited", "unlimited",
     "deliveries of a message (ack = after_processing) before it is dead-lettered: each "
     "failed processing or crash-cut delivery counts; the last failure sends it to `dlq`, or "
     "discards it"},
    {"dlq", "queue", "",
     "the dead-letter queue: a [queue] that gets the messages delivered max_deliveries times; "
     "it may have its own [consumers], or none (it keeps them, bounded by its capacity and "
     "retention)"},
    {"visibility_timeout", "duration|none", "none",
     "with ack = after_processing: a delivery not acked this long after a consumer took it "
     "comes back: a slow consumer's message is delivered again while still in processing "
     "(both may be processed: duplicates_processed), a crash-cut one only when it ends"},
    {"reply", "queue", "",
     "request-response: a publish waits for its reply (correlated by the publish's id), which "
     "the consumers publish to this [queue] (no [consumers] of its own: the callers read it; its "
     "latency is the reply's broker latency) when a processing ends; the caller's timeout and "
     "retries apply, and a reply after the caller gave up is counted in late_replies and "
     "dropped; a request message or reply lost while its caller waits is counted in "
     "unanswered (the caller times out, or waits to the end of the run)"},
    {"persistence", "bool", "true",
     "whether the messages the broker holds survive its crash (a [fault] with target = the "
     "queue, action = crash): false loses the waiting ones, counted in lost_broker_crash; "
     "while down, publishes are refused and nothing is delivered"},
    {"failover", "duration|none", "none",
     "a crash (of the broker, or of one partition's leader with the fault's `replica = K`) "
     "is a leader failover: the partition's publishes wait and its deliveries stop for this "
     "long, then a follower takes over with every message (the fault's `until` does not "
     "matter); none: down until the fault ends"},
    {"mode", "queue|fanout", "queue",
     "queue: one [consumers] group reads it; fanout (a topic): several groups may, each a "
     "subscription getting every message with its own backlog; capacity bounds each group, "
     "and a full group refuses the publish for all (reject) or drops its own oldest message "
     "(drop_oldest), or makes the publish wait for room in every group (block)"},
    {NULL, NULL, NULL, NULL},
};

/* Prefetch with owned partitions: does partition p's owner take a message
 * of it at once (live, no rebalance, credit left, and no other member
 * still processing one of p's)? */
static bool owner_takes(const struct consumers *g, uint32_t p)
{
    uint32_t k = g->powner[p];
    return k != NO_MEMBER && !g->paused && member_live(g, k) &&
           pf_used(&g->pf[k]) < g->prefetch &&
           (g->pserver[p] == NO_MEMBER || g->pserver[p] == k);
}

/* Messages group g's partition st holds now. */
static long long held(const struct consumers *g, const struct station *st)
{
    long long n = (long long)st->len + (long long)g->parked[st->index].len +
                  g->parked[st->index].invisible - g->parked[st->index].copies +
                  g->parked[st->index].acking;
    if (!g->ack_on_receive)
        n += (long long)st->busy + g->parked[st->index].fetched;
    return n;
}

/* Would a new message of `size` bytes to group g's partition st be refused
 * room (before any drop): no place for one more message (capacity), or for
 * its bytes (capacity_bytes)? */
static bool is_full(const struct queue *q, const struct consumers *g, const struct station *st,
                    uint32_t size)
{
    if (q->capacity < 0 && q->capacity_bytes < 0)
        return false;
    if (g->ack_on_receive && !owned(g) && !g->prefetch && station_is_up(st) &&
        st->busy < st->workers)
        return false; /* handed to a free consumer at once: never held */
    if (g->ack_on_receive && owned(g) && broker_up(q, st->index) &&
        g->parked[st->index].len == 0 &&
        (g->prefetch ? owner_takes(g, st->index)
                     : st->busy == 0 && member_free(g, g->powner[st->index])))
        return false; /* its owner is idle (prefetch: has credit): taken at once */
    if (q->capacity >= 0 && held(g, st) >= q->capacity)
        return true;
    return q->capacity_bytes >= 0 &&
           g->parked[st->index].hbytes + (long long)size > q->capacity_bytes;
}

/* Messages waiting in group g's partition st (those drop_oldest may drop). */
static size_t waiting(const struct consumers *g, const struct station *st)
{
    return g->parked[st->index].len + st->len;
}

/* The partition a publish goes to (the same in every group): its key's
 * hash, or the next in turn. */
static uint32_t partition_of(struct queue *q, const struct request *r)
{
    if (q->partitions == 1)
        return 0;
    if (q->route == ROUTE_ROUND_ROBIN)
        return (uint32_t)(q->next_rr++ % q->partitions);
    return (uint32_t)(rng_mix64(r->key ^ q->base.salt) % q->partitions);
}

/* Can group g's partition st take one more message of `size` bytes, after
 * dropping its oldest waiting ones if full = drop_oldest? Dropping every
 * waiting message must make room for its bytes: those being processed (or
 * whose ack is on its way) stay. */
static bool has_room(const struct queue *q, const struct consumers *g, const struct station *st,
                     uint32_t size)
{
    if (!is_full(q, g, st, size))
        return true;
    if (q->full != FULL_DROP_OLDEST || waiting(g, st) == 0)
        return false;
    const struct parked *pk = &g->parked[st->index];
    return q->capacity_bytes < 0 || pk->hbytes - pk->wbytes + (long long)size <= q->capacity_bytes;
}

/* full = block: has every group's partition part room for a message of
 * `size` bytes (the expired ones deleted first)? One larger than
 * capacity_bytes never will: it goes on, to be refused (too large). */
static bool room_all(struct sim *sim, struct queue *q, uint32_t part, uint32_t size)
{
    if (q->capacity_bytes >= 0 && (long long)size > q->capacity_bytes)
        return true;
    for (size_t i = 0; i < q->ngroups; i++) {
        purge_expired(sim, q, q->groups[i], &q->groups[i]->stn[part]);
        if (is_full(q, q->groups[i], &q->groups[i]->stn[part], size))
            return false;
    }
    return true;
}

/* Group g's partition st is full: drop its oldest waiting message (has_room
 * said there is one). */
static void drop_oldest(struct sim *sim, struct queue *q, struct consumers *g, struct station *st)
{
    struct parked *pk = &g->parked[st->index];
    struct request *old;
    if (pk->len > 0) {
        old = park_pop(pk);
        backlog_add(sim, st, -1);
    } else {
        old = station_take_oldest(sim, st);
    }
    assert(old);
    q->dropped_oldest++;
    g->dropped_oldest++;
    msg_free(sim, g, old, false);
}

static void deliver(struct sim *sim, struct queue *q, struct consumers *g, struct station *st,
                    const struct request *r, int64_t at_ns, uint64_t msg_id, uint32_t size);

/* Would the queue nobody reads be refused a message of `size` bytes? */
static bool unread_full(const struct queue *q, uint32_t size)
{
    const struct unread *u = &q->unread;
    return (q->capacity >= 0 && (long long)u->len >= q->capacity) ||
           (q->capacity_bytes >= 0 && u->bytes + (long long)size > q->capacity_bytes);
}

/* A queue nobody reads stores message born_ns of `size` bytes, or refuses
 * it (false). */
static bool put_unread(struct sim *sim, struct queue *q, int64_t born_ns, uint32_t size)
{
    struct unread *u = &q->unread;
    purge_unread(sim, q);
    while (unread_full(q, size)) {
        if (q->full == FULL_REJECT || u->len == 0) {
            q->rejected_full++;
            return false;
        }
        unread_pop(sim, q);
        sim_level_add(sim, &q->unread_lv, -1);
        q->dropped_oldest++;
    }
    unread_push(sim, q, born_ns, size);
    sim_level_add(sim, &q->unread_lv, 1);
    return true;
}

/* Stores a copy of the message of r (its key and work seed), born at
 * born_ns, of `size` bytes, for each group, or refuses it whole (false): no
 * group gets a copy. One larger than capacity_bytes is refused outright
 * (too_large). */
static bool put(struct sim *sim, struct queue *q, const struct request *r, int64_t born_ns,
                uint64_t msg_id, uint32_t part, uint32_t size)
{
    q->published++;
    q->published_bytes += size;
    if (q->capacity_bytes >= 0 && (long long)size > q->capacity_bytes) {
        q->too_large++;
        q->rejected_bytes += size;
        return false;
    }
    if (q->ngroups == 0) {
        bool ok = put_unread(sim, q, born_ns, size);
        if (!ok)
            q->rejected_bytes += size;
        return ok;
    }
    for (size_t i = 0; i < q->ngroups; i++)
        purge_expired(sim, q, q->groups[i], &q->groups[i]->stn[part]);
    bool room = true;
    for (size_t i = 0; i < q->ngroups && room; i++)
        room = has_room(q, q->groups[i], &q->groups[i]->stn[part], size);
    if (!room) {
        q->rejected_full++;
        q->rejected_bytes += size;
        return false;
    }
    /* drop_oldest: each full group drops its waiting messages, oldest
     * first, until the new one fits. One drop frees one place, except a
     * waiting copy made by a visibility timeout whose message is still in
     * processing: the broker holds that message once, so dropping the copy
     * frees nothing; and a byte bound may need several drops. When dropping
     * every waiting message still leaves a group full, the publish is
     * refused (the drops stand), in no group, so a fanout publish is stored
     * in all its groups or in none. */
    bool fits = true;
    for (size_t i = 0; i < q->ngroups; i++) {
        struct consumers *g = q->groups[i];
        struct station *st = &g->stn[part];
        while (is_full(q, g, st, size) && waiting(g, st) > 0)
            drop_oldest(sim, q, g, st);
        if (is_full(q, g, st, size))
            fits = false;
    }
    if (!fits) {
        q->rejected_full++;
        q->rejected_bytes += size;
        return false;
    }
    for (size_t i = 0; i < q->ngroups; i++)
        deliver(sim, q, q->groups[i], &q->groups[i]->stn[part], r, born_ns, msg_id, size);
    return true;
}

/* The request waiting under correlation id `id`, or NULL. */
static struct request *pending_request(const struct queue *q, uint64_t id)
{
    const struct idmap_slot *ps = idmap_find(&q->pending, id);
    return ps ? (struct request *)(uintptr_t)((uint64_t)ps->a | (uint64_t)ps->b << 32) : NULL;
}

/* Publish `id`'s message or reply is lost: no reply will come (rr_lost). */
static void orphan_add(struct queue *q, uint64_t id)
{
    if (q->orphans.len == q->orphans.cap) {
        size_t ncap = q->orphans.cap ? 2 * q->orphans.cap : 16;
        q->orphans.id = xring_grow(q->orphans.id, sizeof *q->orphans.id, q->orphans.cap,
                                   q->orphans.head, q->orphans.len, ncap);
        q->orphans.cap = ncap;
        q->orphans.head = 0;
    }
    q->orphans.id[(q->orphans.head + q->orphans.len++) % q->orphans.cap] = id;
}

/* At each request-reply publish, look at the two oldest orphans: one whose
 * caller gave up (its timeout, or a retry) goes back to it abandoned, as a
 * late reply would, so that it is freed; one whose caller still waits (no
 * timeout) goes to the back. Amortised O(1) per publish. */
static void reap_orphans(struct sim *sim, struct queue *q)
{
    for (int k = 0; k < 2 && q->orphans.len > 0; k++) {
        uint64_t id = q->orphans.id[q->orphans.head];
        q->orphans.head = (q->orphans.head + 1) % q->orphans.cap;
        q->orphans.len--;
        struct request *r = pending_request(q, id);
        if (!r) /* answered after all (another copy), or handed back already */
            continue;
        if (!dep_caller_gone(r)) {
            orphan_add(q, id);
            continue;
        }
        idmap_del(&q->pending, id);
        r->status = REQ_ERROR;
        sim_reply(sim, r);
    }
}

/* The publish's latency is over: store a copy of its message for each group
 * (or refuse it) and ack. */
static void store_in(struct sim *sim, struct queue *q, struct request *r, uint32_t part)
{
    q->next_seq++;
    /* the publish's id: the message's */
    if (!put(sim, q, r, sim_top(r)->arrive_ns, r->id, part, publish_bytes(q, r))) {
        q->base.st.rejected++;
        r->status = REQ_REJECTED;
        r->cause = CAUSE_QUEUE_FULL;
        sim_reply(sim, r);
        return;
    }
    if (q->reply) { /* the caller waits for the reply, correlated by this id */
        reap_orphans(sim, q);
        struct idmap_slot *ps = idmap_get(&q->pending, r->id);
        ps->a = (uint32_t)(uintptr_t)r;
        ps->b = (uint32_t)((uint64_t)(uintptr_t)r >> 32);
        return;
    }
    q->base.st.completed++;
    r->status = REQ_OK;
    sim_reply(sim, r);
}

static void drain_blocked(struct sim *sim, struct queue *q, uint32_t part);

/* The publish's latency is over: its partition's broker stores it (or
 * refuses it, full), refuses it while down, or holds it until a failover
 * ends. */
static void store(struct sim *sim, struct queue *q, struct request *r)
{
    uint32_t part = partition_of(q, r);
    if (broker_up(q, part)) {
        if (q->full == FULL_BLOCK && q->ngroups > 0 &&
            (q->blocked[part].len > 0 || !room_all(sim, q, part, publish_bytes(q, r)))) {
            /* held, in arrival order, until its partition has room; the
             * look for room may expire a message (retention) */
            struct parked *bl = &q->blocked[part];
            park_back(bl, r);
            drain_blocked(sim, q, part);
            if (bl->len > 0) /* it is still held (the last one) */
                q->blocked_full++;
            return;
        }
        store_in(sim, q, r, part);
        return;
    }
    if (q->bdown[part] == BROKER_FAILOVER) {
        q->blocked_publishes++;
        park_back(&q->blocked[part], r);
        return;
    }
    q->refused_down++;
    q->base.st.errors++;
    r->status = REQ_ERROR;
    sim_reply(sim, r);
}

/* A reply with correlation id `id` reached request queue q's reply queue
 * and its latency passed: the caller waiting for it takes it; a caller that
 * gave up (its timeout, or a retry sent another publish) or a correlation
 * id answered already (a copy processed twice) makes it a late reply,
 * counted and dropped. A caller that gave up still gets the request back,
 * abandoned, so that it frees it (as for any late reply). */
static void reply_event(struct sim *sim, void *a, void *b)
{
    struct queue *q = a;
    uint64_t id = (uint64_t)(uintptr_t)b;
    struct request *r = pending_request(q, id);
    if (!r) {
        q->late_replies++;
        return;
    }
    idmap_del(&q->pending, id);
    q->reply->base.st.completed++;
    if (dep_caller_gone(r)) {
        q->late_replies++;
    } else {
        q->replied++;
        q->base.st.completed++;
    }
    r->status = REQ_OK;
    sim_reply(sim, r);
}

/* Group g processed message m of request queue q: its consumer publishes
 * the reply to q's reply queue, which holds it for its latency. A reply
 * queue that is down refuses it (its caller waits for its timeout); one in
 * a failover holds it until the failover ends. */
static bool send_reply(struct sim *sim, struct queue *q, const struct request *m)
{
    struct queue *rq = q->reply;
    struct component *rc = &rq->base;
    rc->st.arrivals++;
    uint32_t part = partition_of(rq, m);
    int64_t ns = 0;
    if (!broker_up(rq, part)) {
        if (rq->bdown[part] == BROKER_DOWN) {
            rq->refused_down++;
            rc->st.errors++;
            return false;
        }
        rq->blocked_publishes++;
        ns = rq->back_ns[part] - sim_now(sim);
    }
    rq->published++;
    if (rc->has_latency)
        ns += units_ns_from_double(dist_sample(&rc->latency, &rc->net_rng));
    if (sim->trace)
        trace_msg_reply(sim, m, rc, part, ns);
    sim_after(sim, ns > 0 ? ns : 0, reply_event, q, (void *)(uintptr_t)m->version);
    return true;
}

/* Request-response: group g's message m is gone unprocessed (lost, dropped,
 * dead-lettered), or its reply was refused: unless another copy of it is
 * still alive or was processed (its reply sent), and unless its caller's
 * request is no longer waiting, the caller will get no reply. It is counted
 * in unanswered, the cause of the caller's timeout; the request stays
 * pending (the caller is not told, as in a real system), so without a
 * timeout it is still in flight at the end of the run. Either way it joins
 * the orphans, handed back once its caller gives up (reap_orphans). */
static void rr_lost(struct consumers *g, struct request *m)
{
    struct queue *q = g->q;
    if (sim_top(m)->step & STEP_FAMILY) {
        const struct idmap_slot *s = idmap_find(&g->family, m->version);
        if (s && (s->a > 1 || s->b > 0))
            return;
    }
    struct request *r = pending_request(q, m->version);
    if (!r)
        return;
    if (!dep_caller_gone(r))
        q->unanswered++;
    orphan_add(q, m->version);
}

/* Group g's message m was delivered max_deliveries times and failed each
 * time: it goes to the dead-letter queue, with the age of its first publish
 * (as SQS keeps it), or is discarded. */
static void dead_letter(struct sim *sim, struct consumers *g, struct request *m)
{
    struct queue *q = g->q;
    q->dead_lettered++;
    struct queue *dq = q->dlq;
    if (dq) {
        dq->base.st.arrivals++;
        dq->next_seq++;
        uint32_t part = partition_of(dq, m);
        /* it keeps its size (or gets one from a dlq with message_size) */
        uint32_t size = !dq->sized ? 0 : q->sized ? m->bytes : publish_bytes(dq, m);
        if (broker_up(dq, part) && put(sim, dq, m, m->born_ns, m->version, part, size)) {
            dq->base.st.completed++;
        } else {
            dq->base.st.rejected++;
            q->lost_dead_letter++;
        }
    } else {
        q->lost_dead_letter++;
    }
    msg_free(sim, g, m, false);
}

static bool exhausted(const struct queue *q, const struct request *m)
{
    return q->max_deliveries > 0 && (long long)m->user >= q->max_deliveries;
}

/* A copy of publish r's message for group g's partition st. */
static void deliver(struct sim *sim, struct queue *q, struct consumers *g, struct station *st,
                    const struct request *r, int64_t at_ns, uint64_t msg_id, uint32_t size)
{
    struct request *m = sim_req_new(sim);
    m->bytes = size;
    m->work_seed = r->work_seed;
    m->key = r->key;
    m->op = r->op;
    m->born_ns = at_ns;
    m->measured = sim->measuring;
    m->version = msg_id; /* the message's id: the same in every copy */
    m->retry_after_ns = q->next_seq; /* its store order (a message is never rate limited) */
    m->user = 0;         /* a message has no user: its deliveries ended so far */
    struct frame *f = sim_enter(m, &g->base);
    f->arrive_ns = sim_now(sim);
    f->replica = st->index;
    f->step = 0;
    f->epoch = 0; /* out on no calls */
    if (sim->trace) /* traced with its publish */
        trace_msg_publish(sim, r, m);
    g->base.st.arrivals++;
    g->hpa_arrivals++;
    sim_level_add(sim, &g->base.st.insys, 1);
    if (size && !g->ack_on_receive) /* held until it is freed */
        held_bytes_add(sim, g, st->index, size);
    offer_or_park(sim, g, st, m); /* capacity is checked here; parked while down */
    assert(q->capacity < 0 || held(g, st) <= q->capacity || (g->ack_on_receive && st->len == 0));
    (void)q;
}

/* ---- broker faults ------------------------------------------------------------ */

/* Partition part's broker goes down (a crash) or starts a failover: no
 * delivery until it is back, so every group's waiting messages park; a
 * crash without persistence loses them (and a queue nobody reads, all it
 * holds). The messages being processed finish. */
static void broker_down(struct sim *sim, struct queue *q, uint32_t part);
static void failover_event(struct sim *sim, void *a, void *b);

static void broker_down(struct sim *sim, struct queue *q, uint32_t part)
{
    if (q->bdown[part] != BROKER_UP)
        return;
    q->bdown[part] = q->failover_ns > 0 ? BROKER_FAILOVER : BROKER_DOWN;
    bool lose = q->bdown[part] == BROKER_DOWN && !q->persistence;
    for (size_t i = 0; i < q->ngroups; i++) {
        struct consumers *g = q->groups[i];
        struct station *st = &g->stn[part];
        struct parked *pk = &g->parked[part];
        struct request *m;
        while ((m = station_take_oldest(sim, st)) != NULL) {
            park_back(pk, m);
            backlog_add(sim, st, 1);
        }
        while (lose && pk->len > 0) {
            m = park_pop(pk);
            backlog_add(sim, st, -1);
            q->lost_crash++;
            msg_free(sim, g, m, false);
        }
    }
    if (lose && q->ngroups == 0) {
        q->lost_crash += q->unread.len;
        sim_level_add(sim, &q->unread_lv, -(int64_t)q->unread.len);
        if (q->unread.bytes)
            bytes_add(sim, q, -q->unread.bytes);
        q->unread.len = 0;
        q->unread.bytes = 0;
    }
    if (q->failover_ns > 0) {
        q->back_ns[part] = sim_now(sim) + q->failover_ns;
        sim_after(sim, q->failover_ns, failover_event, q, (void *)(uintptr_t)part);
    }
}

/* Partition part's held publishes (a failover's, or full = block's) are
 * stored in order while its broker is up; with full = block, while every
 * group's partition has room, and a publish whose caller gave up (its
 * timeout, or a retry) is dropped unstored when it reaches the front,
 * handed back to its caller (abandoned) so that it is freed. */
static void drain_blocked(struct sim *sim, struct queue *q, uint32_t part)
{
    struct parked *bl = &q->blocked[part];
    while (bl->len > 0 && broker_up(q, part)) {
        if (q->full == FULL_BLOCK && q->ngroups > 0) {
            if (dep_caller_gone(bl->ring[bl->head])) {
                struct request *r = park_pop(bl);
                q->blocked_gone++;
                q->base.st.errors++;
                r->status = REQ_ERROR;
                sim_reply(sim, r);
                continue;
            }
            if (!room_all(sim, q, part, publish_bytes(q, bl->ring[bl->head])))
                break;
        }
        store_in(sim, q, park_pop(bl), part);
    }
}

/* Partition part's broker is back (the crash ended, or a follower took over
 * after the failover): the parked messages go to the consumers that are up,
 * in order, then the publishes held by the failover are stored, in order. */
static void broker_back(struct sim *sim, struct queue *q, uint32_t part)
{
    if (q->bdown[part] == BROKER_UP)
        return;
    q->bdown[part] = BROKER_UP;
    for (size_t i = 0; i < q->ngroups; i++) {
        struct consumers *g = q->groups[i];
        if (owned(g))
            owned_kick(sim, g, part);
        else if (station_is_up(&g->stn[part]))
            unpark(sim, g, &g->stn[part]);
    }
    drain_blocked(sim, q, part);
}

static void failover_event(struct sim *sim, void *a, void *b)
{
    broker_back(sim, a, (uint32_t)(uintptr_t)b);
}

static void unblock_event(struct sim *sim, void *a, void *b)
{
    struct queue *q = a;
    uint32_t part = (uint32_t)(uintptr_t)b;
    q->unblock_due[part] = 0;
    drain_blocked(sim, q, part);
}

/* full = block: group message of partition part is gone (processed and
 * acked, dropped, expired, dead-lettered, lost), so the partition may have
 * room: its held publishes are looked at once the current event is over
 * (one event per partition at a time, never inside a store). */
static void kick_blocked(struct sim *sim, struct queue *q, uint32_t part)
{
    if (q->blocked[part].len == 0 || q->unblock_due[part] || !broker_up(q, part))
        return;
    q->unblock_due[part] = 1;
    sim_after(sim, 0, unblock_event, q, (void *)(uintptr_t)part);
}

/* A crash of the broker (replica < 0: every partition) or of one
 * partition's leader; its end brings it back, unless a failover does. */
static void queue_fault(struct sim *sim, struct component *c, int32_t replica,
                        enum fault_action a, double value, bool start)
{
    (void)value;
    struct queue *q = (struct queue *)c;
    if (a != FAULT_CRASH)
        return;
    uint32_t lo = replica < 0 ? 0 : (uint32_t)replica;
    uint32_t hi = replica < 0 ? q->partitions : (uint32_t)replica + 1;
    for (uint32_t p = lo; p < hi && p < q->partitions; p++) {
        if (start)
            broker_down(sim, q, p);
        else if (q->failover_ns == 0)
            broker_back(sim, q, p);
    }
    c->st.replicas_up = broker_up(q, 0);
}

/* The partitions a fault's `replica` may name (0 before the build: the
 * queue's check hook checks the number then). */
static uint32_t queue_nodes(const struct component *c)
{
    const struct queue *q = (const struct queue *)c;
    return q->partitions ? q->partitions : QUEUE_MAX_PARTITIONS;
}

static void stored_event(struct sim *sim, void *a, void *b)
{
    store(sim, a, b);
}

static void queue_on_request(struct sim *sim, struct component *c, struct request *r)
{
    struct queue *q = (struct queue *)c;
    struct frame *f = sim_enter(r, c);
    f->arrive_ns = sim_now(sim);
    f->timer = EVQ_NONE;
    c->st.arrivals++;
    r->target = -1;
    int64_t ns = 0;
    if (c->has_latency)
        ns = units_ns_from_double(dist_sample(&c->latency, &c->net_rng));
    if (ns <= 0)
        store(sim, q, r);
    else
        sim_after(sim, ns, stored_event, q, r);
}

static void queue_on_reply(struct sim *sim, struct component *c, struct request *r)
{
    (void)sim;
    (void)c;
    (void)r; /* a queue calls nobody: consumers take its messages */
}

static void queue_reset(struct sim *sim, struct component *c)
{
    (void)sim;
    struct queue *q = (struct queue *)c;
    q->published = q->rejected_full = q->dropped_oldest = 0;
    q->dead_lettered = q->lost_retention = q->lost_dead_letter = 0;
    q->replied = q->late_replies = q->unanswered = 0;
    q->refused_down = q->lost_crash = q->blocked_publishes = 0;
    q->blocked_full = q->blocked_gone = 0;
    q->too_large = q->published_bytes = q->rejected_bytes = 0;
    q->bytes_max = q->bytes_lv.value;
    hist_reset(q->e2e);
}

/* The backlog of all groups (the queue's backlog with one group): now, or
 * its time-weighted mean. */
static double backlog_now(const struct queue *q)
{
    double v = (double)q->unread_lv.value;
    for (size_t i = 0; i < q->ngroups; i++)
        v += (double)q->groups[i]->backlog.value;
    return v;
}

static double backlog_mean(const struct sim *sim, const struct queue *q, int64_t end_ns)
{
    double v = sim_level_mean(sim, &q->unread_lv, end_ns);
    for (size_t i = 0; i < q->ngroups; i++)
        v += sim_level_mean(sim, &q->groups[i]->backlog, end_ns);
    return v;
}

static size_t queue_metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                            struct metric_out *out, size_t max)
{
    const struct queue *q = (const struct queue *)c;
    uint64_t amo = 0; /* at most once: cut or failed after an ack on receive */
    for (size_t i = 0; i < q->ngroups; i++)
        amo += q->groups[i]->lost;
    struct metric_out m[26] = {
        {"published", (double)q->published, true},
        {"rejected_full", (double)q->rejected_full, true},
        {"dropped_oldest", (double)q->dropped_oldest, true},
        {"backlog_mean", backlog_mean(sim, q, end_ns), true},
        {"e2e_mean_ms", hist_mean(q->e2e) / 1e6, true},
        {"e2e_p99_ms", (double)hist_quantile(q->e2e, 0.99) / 1e6, true},
        {"dead_lettered", (double)q->dead_lettered, true},
        {"lost_at_most_once", (double)amo, true},
        {"lost_retention", (double)q->lost_retention, true},
        {"lost_drop_oldest", (double)q->dropped_oldest, true},
        {"lost_dead_letter", (double)q->lost_dead_letter, true},
        {"lost_total",
         (double)(amo + q->lost_retention + q->dropped_oldest + q->lost_dead_letter +
                  q->lost_crash),
         true},
    };
    size_t n = 12;
    if (q->reply) { /* request-response */
        m[n++] = (struct metric_out){"replied", (double)q->replied, true};
        m[n++] = (struct metric_out){"late_replies", (double)q->late_replies, true};
        m[n++] = (struct metric_out){"unanswered", (double)q->unanswered, true};
    }
    if (q->faulted) { /* a [fault] aims at the broker */
        m[n++] = (struct metric_out){"refused_broker_down", (double)q->refused_down, true};
        m[n++] = (struct metric_out){"lost_broker_crash", (double)q->lost_crash, true};
        m[n++] = (struct metric_out){"blocked_publishes", (double)q->blocked_publishes, true};
    }
    if (q->full == FULL_BLOCK) { /* publishes wait for room */
        m[n++] = (struct metric_out){"blocked_full", (double)q->blocked_full, true};
        m[n++] = (struct metric_out){"blocked_gone", (double)q->blocked_gone, true};
    }
    if (q->sized) { /* messages have sizes */
        m[n++] = (struct metric_out){"bytes_held_mean", sim_level_mean(sim, &q->bytes_lv, end_ns),
                                     true};
        m[n++] = (struct metric_out){"bytes_held_max", (double)q->bytes_max, true};
        m[n++] = (struct metric_out){"rejected_too_large", (double)q->too_large, true};
        m[n++] = (struct metric_out){"published_bytes", (double)q->published_bytes, true};
        m[n++] = (struct metric_out){"rejected_bytes", (double)q->rejected_bytes, true};
    }
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    return n;
}

static size_t queue_ts_extra(const struct sim *sim, const struct component *c, const char **names,
                             double *values, size_t max)
{
    (void)sim;
    const struct queue *q = (const struct queue *)c;
    if (max < 1)
        return 0;
    names[0] = "backlog";
    values[0] = backlog_now(q);
    if (!q->sized || max < 2)
        return 1;
    names[1] = "bytes_held";
    values[1] = (double)q->bytes_lv.value;
    if (q->capacity_bytes < 0 || max < 3)
        return 2;
    /* the most bytes_held can reach: capacity_bytes on each group's
     * partition (on the one store of a queue nobody reads) */
    size_t parts = q->ngroups ? q->ngroups * (size_t)q->partitions : 1;
    names[2] = "bytes_cap";
    values[2] = (double)q->capacity_bytes * (double)parts;
    return 3;
}

static void owned_init(struct sim *sim, struct consumers *g);

static int queue_build(struct sim *sim, struct component *c, const struct sc_section *s,
                       struct diag *d)
{
    struct queue *q = (struct queue *)c;
    int rc = 0;
    if (station_read_queue(s, queue_params, "capacity", &q->capacity, d) < 0)
        rc = -1;
    struct loc loc;
    bool present = false;
    if (kp_dist(s, queue_params, "message_size", DIST_BYTES, &q->msg_size, &present, d) < 0)
        rc = -1;
    q->sized = present;
    q->capacity_bytes = -1;
    const char *cb = kp_raw(s, queue_params, "capacity_bytes", &loc);
    if (strcmp(cb, "unbounded") != 0) {
        uint64_t bytes;
        const char *why;
        if (units_parse_bytes(cb, &bytes, &why) < 0)
            rc = diag_error(d, loc, "bad capacity_bytes '%s': %s", cb, why);
        else if (bytes == 0)
            rc = diag_error(d, loc, "capacity_bytes must be at least 1 byte (or unbounded)");
        else if (!present && !sc_find_entry(s, "message_size"))
            rc = diag_error(d, loc,
                            "capacity_bytes needs message_size on [queue %s]: each "
                            "message's size (e.g. message_size = lognormal(median=4kB, "
                            "sigma=1))",
                            s->name);
        else
            q->capacity_bytes = (long long)bytes;
    }
    sim_level_init(sim, &q->bytes_lv);
    const char *full = kp_raw(s, queue_params, "full", &loc);
    if (strcmp(full, "reject") == 0)
        q->full = FULL_REJECT;
    else if (strcmp(full, "drop_oldest") == 0)
        q->full = FULL_DROP_OLDEST;
    else if (strcmp(full, "block") == 0)
        q->full = FULL_BLOCK;
    else
        rc = diag_error(d, loc, "bad full '%s': reject, drop_oldest or block", full);
    long long np;
    if (kp_int(s, queue_params, "partitions", 1, QUEUE_MAX_PARTITIONS, &np, d) < 0)
        rc = -1, np = 1;
    q->partitions = (uint32_t)np;
    const char *route = kp_raw(s, queue_params, "route", &loc);
    if (strcmp(route, "key") == 0)
        q->route = ROUTE_KEY;
    else if (strcmp(route, "round_robin") == 0)
        q->route = ROUTE_ROUND_ROBIN;
    else
        rc = diag_error(d, loc, "bad route '%s': key or round_robin", route);
    const char *mode = kp_raw(s, queue_params, "mode", &loc);
    if (strcmp(mode, "queue") == 0)
        q->mode = MODE_QUEUE;
    else if (strcmp(mode, "fanout") == 0)
        q->mode = MODE_FANOUT;
    else
        rc = diag_error(d, loc, "bad mode '%s': queue or fanout", mode);
    const char *ret = kp_raw(s, queue_params, "retention", &loc);
    q->retention_ns = -1;
    if (strcmp(ret, "forever") != 0 && kp_duration(s, queue_params, "retention",
                                                   &q->retention_ns, d) < 0)
        rc = -1, q->retention_ns = -1;
    const char *vt = kp_raw(s, queue_params, "visibility_timeout", &loc);
    q->vt_ns = -1;
    if (strcmp(vt, "none") != 0) {
        if (kp_duration(s, queue_params, "visibility_timeout", &q->vt_ns, d) < 0)
            rc = -1, q->vt_ns = -1;
        else if (q->vt_ns <= 0)
            rc = diag_error(d, loc, "visibility_timeout must be above 0 (or none)"), q->vt_ns = -1;
    }
    const char *md = kp_raw(s, queue_params, "max_deliveries", &loc);
    q->max_deliveries = 0;
    if (strcmp(md, "unlimited") != 0 &&
        kp_int(s, queue_params, "max_deliveries", 1, 1000000, &q->max_deliveries, d) < 0)
        rc = -1, q->max_deliveries = 0;
    const struct sc_entry *de = sc_find_entry(s, "dlq");
    if (de) {
        struct component *to = kind_lookup(sim, de->value);
        q->dlq_loc = de->val_loc;
        if (to && to->kind == &kind_queue && to != c)
            ((struct queue *)to)->is_dlq = true; /* no second error: it has no consumers */
        if (!to)
            rc = diag_error(d, de->val_loc, "no queue named '%s' for the dead letters",
                            de->value);
        else if (to->kind != &kind_queue)
            rc = diag_error(d, de->val_loc, "'%s' is a [%s], not a [queue]", de->value,
                            to->kind->name);
        else if (to == c)
            rc = diag_error(d, de->val_loc,
                            "[queue %s] cannot be its own dead-letter queue: name another "
                            "[queue]",
                            s->name);
        else if (q->max_deliveries == 0 && rc == 0)
            rc = diag_error(d, de->val_loc,
                            "a dead-letter queue needs 'max_deliveries = N' on [queue %s] "
                            "(the deliveries before a message goes to '%s')",
                            s->name, de->value);
        else
            q->dlq = (struct queue *)to;
    }
    const char *pers = kp_raw(s, queue_params, "persistence", &loc);
    if (strcmp(pers, "true") == 0)
        q->persistence = true;
    else if (strcmp(pers, "false") == 0)
        q->persistence = false;
    else
        rc = diag_error(d, loc, "bad persistence '%s': true or false", pers);
    const char *fo = kp_raw(s, queue_params, "failover", &loc);
    q->failover_ns = 0;
    if (strcmp(fo, "none") != 0) {
        if (kp_duration(s, queue_params, "failover", &q->failover_ns, d) < 0)
            rc = -1, q->failover_ns = 0;
        else if (q->failover_ns <= 0)
            rc = diag_error(d, loc, "failover must be above 0 (or none)"), q->failover_ns = 0;
    }
    q->bdown = xcalloc(q->partitions, sizeof *q->bdown);
    q->back_ns = xcalloc(q->partitions, sizeof *q->back_ns);
    q->blocked = xcalloc(q->partitions, sizeof *q->blocked);
    q->unblock_due = xcalloc(q->partitions, sizeof *q->unblock_due);
    const struct sc_entry *re = sc_find_entry(s, "reply");
    if (re) {
        struct component *to = kind_lookup(sim, re->value);
        if (to && to->kind == &kind_queue && to != c)
            ((struct queue *)to)->is_reply = true; /* no second error: it has no consumers */
        if (!to)
            rc = diag_error(d, re->val_loc, "no queue named '%s' for the replies", re->value);
        else if (to->kind != &kind_queue)
            rc = diag_error(d, re->val_loc, "'%s' is a [%s], not a [queue]", re->value,
                            to->kind->name);
        else if (to == c)
            rc = diag_error(d, re->val_loc,
                            "[queue %s] cannot be its own reply queue: name another [queue]",
                            s->name);
        else if (((struct queue *)to)->ngroups > 0)
            rc = diag_error(d, re->val_loc,
                            "reply queue '%s' has a [consumers] group (%s): the callers read "
                            "the replies, so a reply queue has no consumers",
                            re->value, ((struct queue *)to)->groups[0]->base.name);
        else if (q->mode == MODE_FANOUT)
            rc = diag_error(d, re->val_loc,
                            "'reply' needs 'mode = queue' on [queue %s]: with fanout every "
                            "group would answer each request",
                            s->name);
        else
            q->reply = (struct queue *)to;
    }
    sim_stats_init(sim, &c->st, true);
    sim_level_init(sim, &q->unread_lv);
    q->e2e = hist_new();
    if (q->ngroups == 0) { /* queue_check says whether that is allowed */
        c->st.replicas_up = 1;
        return rc;
    }
    if (q->mode == MODE_QUEUE && q->ngroups > 1) {
        const struct consumers *g1 = q->groups[1];
        return diag_error(d, g1->from_loc,
                          "queue '%s' already has a [consumers] group (%s): one group per "
                          "queue; 'mode = fanout' on [queue %s] gives each group its own copy "
                          "of every message",
                          s->name, q->groups[0]->base.name, s->name);
    }
    for (size_t k = 0; k < q->ngroups; k++) {
        struct consumers *g = q->groups[k];
        if (q->full == FULL_BLOCK && g->ack_on_receive) {
            const struct sc_entry *e = sc_find_entry(s, "full");
            return diag_error(d, e ? e->val_loc : s->loc,
                              "full = block needs ack = after_processing on [consumers %s]: "
                              "with ack = on_receive a message leaves the queue as a "
                              "consumer takes it",
                              g->base.name);
        }
        if (!owned(g) && g->n % (long long)q->partitions != 0) {
            const struct sc_entry *e = sc_find_entry(s, "partitions");
            return diag_error(d, e ? e->val_loc : s->loc,
                              "%u partitions need a multiple of %u consumers: [consumers %s] has "
                              "%lld (or 'assignment = range' on it: each partition owned by one "
                              "consumer, any number of consumers)",
                              q->partitions, q->partitions, g->base.name, g->n);
        }
        if (owned(g) && g->autoscale) { /* KEDA: no more consumers than partitions */
            if (g->hpa.min > q->partitions)
                return diag_error(d, g->autoscale_loc,
                                  "the autoscaler's min %u is above the %u partitions of "
                                  "[queue %s]: each consumer owns at least one partition",
                                  g->hpa.min, q->partitions, s->name);
            if (g->hpa.max > q->partitions)
                g->hpa.max = q->partitions;
            if (g->n > (long long)g->hpa.max)
                return diag_error(d, g->autoscale_loc,
                                  "the %lld consumers it starts with are above the %u partitions "
                                  "of [queue %s] (an autoscaled group never has more consumers "
                                  "than partitions)",
                                  g->n, q->partitions, s->name);
            g->base.st.servers = (double)g->hpa.max;
        }
        if (!g->has_service)
            rc = -1;
    }
    if (rc < 0)
        return -1;
    /* One station per partition and group; each moves the group's backlog
     * and the queue's standard queued level (components.csv, timeseries.csv),
     * and the group's busy level and wait histogram. */
    for (size_t k = 0; k < q->ngroups; k++) {
        struct consumers *g = q->groups[k];
        g->nstn = q->partitions;
        g->stn = xcalloc(g->nstn, sizeof *g->stn);
        g->parked = xcalloc(g->nstn, sizeof *g->parked);
        uint32_t per = (uint32_t)(g->n / (long long)q->partitions);
        if (g->autoscale && q->partitions > 1 && !owned(g))
            return diag_error(d, g->autoscale_loc,
                              "an autoscaled [consumers %s] on a queue of several partitions "
                              "([queue %s] has %u) needs 'assignment = range' or 'round_robin' "
                              "(each partition owned by one consumer), or a queue of one "
                              "partition",
                              g->base.name, s->name, q->partitions);
        if (g->autoscale && !owned(g))
            per = g->hpa.max; /* places for the most it may have; set to the start below */
        if (owned(g))
            per = 1; /* one consumer at a time per partition: its owner */
        for (uint32_t i = 0; i < g->nstn; i++) {
            struct station *st = &g->stn[i];
            station_init(st, &consumers_station, g, &g->base, i, per, -1, 0);
            /* the group's demand hook when it must see each start */
            bool hook = (q->vt_ns >= 0 && !g->ack_on_receive) || g->dedupe_ns >= 0 ||
                        g->batch > 1 || g->has_fetch || q->sized || g->prefetch;
            st->dist = hook ? NULL : &g->service;
            st->busy_lv[0] = &g->base.st.busy;
            st->wait = g->base.st.wait;
            st->queue_lv[0] = &g->backlog;
            st->queue_lv[1] = &c->st.queued;
            if (g->autoscale) {
                st->busy_lv[1] = &g->hpa_busy;
                if (!owned(g) && !g->prefetch) /* prefetch: every place, pf_here says who */
                    st->workers = g->ready; /* no queue yet: station_set_workers not needed */
            }
        }
        if (owned(g))
            owned_init(sim, g);
        if (g->prefetch) {
            g->pf_per = per;
            g->npf = owned(g) ? g->nmem : per * g->nstn;
            g->pf_present = g->autoscale ? g->ready : owned(g) ? g->nmem : per;
            g->pf = xcalloc(g->npf, sizeof *g->pf);
            pf_set_init(&g->pf_credit, g->npf);
            g->pf_scratch = xcalloc(g->npf, sizeof *g->pf_scratch);
            for (uint32_t j = 0; j < g->npf; j++) {
                g->pf[j].slow = 1.0;
                g->pf[j].gone = !owned(g) && g->autoscale && j >= g->ready; /* one partition */
                sim_level_init(sim, &g->pf[j].buffered);
                if (!owned(g))
                    pf_set_put(&g->pf_credit, j, pf_eligible(g, j));
            }
            g->pf_cursor = xcalloc(g->nstn, sizeof *g->pf_cursor);
            sim_level_init(sim, &g->pf_buffered);
            g->pf_wait = hist_new();
        }
        if (g->ack_delay_ns > 0) {
            uint32_t na = acks_n(g);
            g->acks = xcalloc(na, sizeof *g->acks);
            g->aepoch = xcalloc(na, sizeof *g->aepoch);
        }
    }
    c->st.replicas_up = 1;
    return rc;
}

/* The components x leads to: its callees, and a queue's groups (its
 * messages). *n gets their number; the array is x's callees or tmp. */
static struct component *const *leads_to(struct component *x, struct component **tmp,
                                         size_t max, size_t *n)
{
    if (x->kind != &kind_queue) {
        *n = x->ncallees;
        return x->callees;
    }
    const struct queue *q = (const struct queue *)x;
    *n = 0;
    for (size_t i = 0; i < q->ngroups && *n < max; i++)
        tmp[(*n)++] = &q->groups[i]->base;
    return tmp;
}

/* Does a group of q, through its calls (and the calls and queues they lead
 * to), publish back to q? Then every processed message makes another one,
 * and the queue never drains: refused, reported once per circle, at its
 * first queue in the file, at the `calls` of the group that leaves it. */
static int message_circle(struct sim *sim, struct queue *q, struct diag *d)
{
    size_t n = sim->ncomps;
    uint32_t *from = xmalloc((n + 1) * sizeof *from); /* DFS tree: the parent's id */
    uint32_t *stack = xmalloc((n + 1) * sizeof *stack);
    struct component **tmp = xmalloc((n + 1) * sizeof *tmp);
    for (size_t i = 0; i < n; i++)
        from[i] = UINT32_MAX;
    size_t top = 0;
    uint32_t qid = q->base.id, end = UINT32_MAX;
    from[qid] = qid;
    stack[top++] = qid;
    while (top > 0 && end == UINT32_MAX) {
        struct component *x = sim->comps[stack[--top]];
        size_t k;
        struct component *const *to = leads_to(x, tmp, n, &k);
        for (size_t i = 0; i < k; i++) {
            uint32_t y = to[i]->id;
            if (y == qid) {
                end = x->id;
                break;
            }
            if (from[y] == UINT32_MAX) {
                from[y] = x->id;
                stack[top++] = y;
            }
        }
    }
    int rc = 0;
    if (end != UINT32_MAX) {
        /* the path q -> ... -> end -> q, read backwards */
        uint32_t first = qid, g = UINT32_MAX;
        size_t len = 0;
        for (uint32_t v = end; v != qid; v = from[v]) {
            stack[len++] = v;
            if (sim->comps[v]->kind == &kind_queue && v < first)
                first = v;
            if (from[v] == qid)
                g = v; /* q's group that starts it */
        }
        if (first == qid) {
            char buf[512];
            snprintf(buf, sizeof buf, "%s", q->base.name);
            for (size_t i = len; i-- > 0;) {
                strncat(buf, " -> ", sizeof buf - strlen(buf) - 1);
                strncat(buf, sim->comps[stack[i]]->name, sizeof buf - strlen(buf) - 1);
            }
            strncat(buf, " -> ", sizeof buf - strlen(buf) - 1);
            strncat(buf, q->base.name, sizeof buf - strlen(buf) - 1);
            const struct component *gc = sim->comps[g];
            struct component *next = len >= 2 ? sim->comps[stack[len - 2]] : &q->base;
            struct loc loc = gc->loc;
            for (size_t i = 0; i < gc->ncallees; i++)
                if (gc->callees[i] == next) {
                    loc = gc->callee_locs[i];
                    break;
                }
            rc = diag_error(d, loc,
                            "messages would go round in a circle: %s (each processed message "
                            "publishes another one to [queue %s], which never drains)",
                            buf, q->base.name);
        }
    }
    free(from);
    free(stack);
    free(tmp);
    return rc;
}

/* After every build: a queue nobody reads must be another's dead-letter
 * queue (whose messages may just be kept for inspection), and dead letters
 * and messages must not go round in a circle. */
static int queue_check(struct sim *sim, struct component *c, struct diag *d)
{
    struct queue *q = (struct queue *)c;
    if (message_circle(sim, q, d) < 0)
        return -1;
    if (q->ngroups == 0 && !q->is_dlq && !q->is_reply) {
        /* A group whose `from` is wrong has said so already (stage 0). */
        for (size_t i = 0; i < sim->ncomps; i++)
            if (sim->comps[i]->kind == &kind_consumers && !((struct consumers *)sim->comps[i])->q)
                return -1;
        return diag_error(d, c->loc,
                          "[queue %s] has no [consumers] reading it: add one with 'from = %s'",
                          c->name, c->name);
    }
    /* The faults aimed at it: its broker figures are reported, and a
     * `replica` must name one of its partitions. */
    for (size_t i = 0; i < sim->ncomps; i++) {
        int32_t rep;
        if (sim->comps[i]->kind != &kind_fault || fault_target(sim->comps[i], &rep) != c)
            continue;
        q->faulted = true;
        if (rep >= 0 && (uint32_t)rep >= q->partitions)
            return diag_error(d, sim->comps[i]->loc,
                              "[fault %s]: replica %d names a partition of [queue %s], which has "
                              "%u, numbered from 0",
                              sim->comps[i]->name, rep, c->name, q->partitions);
    }
    /* A fault on a member of an owned, autoscaled group names one below the
     * max capped at the partitions. */
    for (size_t i = 0; i < sim->ncomps; i++) {
        int32_t rep;
        const struct component *t;
        if (sim->comps[i]->kind != &kind_fault || !(t = fault_target(sim->comps[i], &rep)) ||
            t->kind != &kind_consumers || ((const struct consumers *)t)->q != q)
            continue;
        const struct consumers *g = (const struct consumers *)t;
        if (owned(g) && rep >= 0 && (uint32_t)rep >= g->nmem)
            return diag_error(d, sim->comps[i]->loc,
                              "[fault %s]: replica %d names a consumer of [consumers %s], which "
                              "has at most %u (numbered from 0)",
                              sim->comps[i]->name, rep, g->base.name, g->nmem);
    }
    /* A circle is reported once, at its first queue in the file. */
    size_t hops = 0;
    uint32_t first = c->id;
    for (const struct queue *p = q->dlq; p && hops <= sim->ncomps; p = p->dlq, hops++) {
        first = p->base.id < first ? p->base.id : first;
        if (p == q && first == c->id)
            return diag_error(d, q->dlq_loc,
                              "dead letters would go round in a circle: '%s' leads back to "
                              "[queue %s]",
                              q->dlq->base.name, c->name);
        if (p == q)
            break;
    }
    return 0;
}

static void queue_fini(struct component *c)
{
    struct queue *q = (struct queue *)c;
    hist_free(q->e2e);
    free(q->groups);
    free(q->unread.born);
    free(q->unread.size);
    if (q->sized)
        dist_fini(&q->msg_size);
    idmap_free(&q->pending);
    free(q->orphans.id);
    if (q->blocked)
        for (uint32_t p = 0; p < q->partitions; p++)
            free(q->blocked[p].ring);
    free(q->blocked);
    free(q->unblock_due);
    free(q->bdown);
    free(q->back_ns);
}

const struct kind kind_queue = {
    .name = "queue",
    .summary = "a message queue (FIFO partitions): publishes are acked after the broker latency; "
               "a [consumers] group takes the messages in order (mode = fanout: a topic, each group "
               "gets every message; reply = QUEUE: request-response, the publisher waits for the "
               "reply)",
    .params = queue_params,
    .size = sizeof(struct queue),
    .build = queue_build,
    .check = queue_check,
    .on_request = queue_on_request,
    .on_reply = queue_on_reply,
    .reset = queue_reset,
    .fini = queue_fini,
    .metrics = queue_metrics,
    .ts_extra = queue_ts_extra,
    .fault = queue_fault,
    .nodes = queue_nodes,
    .build_stage = 1, /* after its consumers, which register with it */
};

uint32_t queue_message_bytes(const struct component *c, const struct request *r)
{
    return publish_bytes((const struct queue *)c, r);
}

const struct station *queue_station(const struct component *c, uint32_t partition)
{
    const struct queue *q = (const struct queue *)c;
    if (q->ngroups == 0)
        return NULL;
    const struct consumers *g = q->groups[0];
    return partition < g->nstn ? &g->stn[partition] : NULL;
}

const struct station *consumers_station_of(const struct component *c, uint32_t partition)
{
    const struct consumers *g = (const struct consumers *)c;
    return partition < g->nstn ? &g->stn[partition] : NULL;
}

/* ---- consumers ------------------------------------------------------------- */

static const struct param_spec consumers_params[] = {
    {"from", "queue", NULL,
     "the [queue NAME] this group reads (several groups may read a queue with mode = fanout, "
     "each a subscription getting every message)"},
    {"consumers", "int", "1", "consumers in the group: messages processed at once"},
    {"service", "dist", NULL, "time to process one message, e.g. exp(mean=10ms)"},
    {"ack", "after_processing|on_receive", "after_processing",
     "when the broker forgets a message: after its processing (it counts against the "
     "queue's capacity until then) or when a consumer takes it"},
    {"fail", "probability", "0",
     "chance that one processing fails (a transient error): with after_processing the message "
     "is delivered again, at the back of its partition, until the queue's max_deliveries; with "
     "on_receive it is lost"},
    {"poison", "probability", "0",
     "share of messages whose every processing fails (poison messages, chosen by the "
     "message: the same in every group and in a dead-letter queue)"},
    {"autoscale", "autoscaler", "none",
     "scale the consumers (a queue of one partition, or one owned with assignment = range or "
     "round_robin: max capped at its partitions): hpa(metric=lag, target=100, min=1, "
     "max=20, period=15s, tolerance=10%, window=300s, cold_start=0s); lag is the messages "
     "no consumer has started per consumer at each reading (KEDA: waiting, and with batch or "
     "prefetch those fetched but not yet in processing), utilisation the busy share; new "
     "consumers "
     "take messages after cold_start, removed ones finish the message they hold (with batch, "
     "their fetch; with prefetch, their buffer goes back to the broker's front in order)"},
    {"dedupe", "duration|none", "none",
     "an idempotent consumer: it remembers the ids of the messages it processed for this "
     "window and acks a delivery of one of them without processing it (deduped); the memory "
     "is counted in dedupe_ids_max and dedupe_bytes_max"},
    {"assignment", "shared|range|round_robin", "shared",
     "how the consumers share the queue's partitions: shared, each partition has consumers / "
     "partitions consumers of its own (a multiple); range or round_robin (a Kafka consumer "
     "group), each partition is owned by one consumer, which serves its partitions in turn, "
     "any number of consumers, those beyond the partitions idle (idle_consumers); ranges of "
     "consecutive partitions, or partition p to the (p mod members)-th consumer; a [fault] "
     "with replica = K then crashes or slows consumer K alone (shared: the group is one node)"},
    {"rebalance", "duration", "0s",
     "with range or round_robin: when a consumer joins or leaves (autoscaler, crash, "
     "recovery) no consumer takes a new message for this long (messages in processing "
     "finish), then the partitions are assigned again; rebalances, rebalance_paused_s"},
    {"ack_delay", "duration", "0s",
     "with ack = after_processing: the time from the end of a processing to its ack reaching "
     "the broker (the message is held meanwhile); a crash of its consumer before then loses "
     "the ack (acks_lost): the message is delivered again and processed twice "
     "(duplicates_processed)"},
    {"calls", "components", "",
     "components each processing calls in order after its service, with its consumer held, "
     "e.g. db, cache (a [queue] named here is published to); the message is acked only after "
     "they come back, and a failed call (an error, a timeout, a refusal) fails the processing "
     "(redelivered up to max_deliveries, then the dlq); calls, failed_calls"},
    {"latency", "dist", "", "one-way network delay of each call the consumers make"},
    {"call_timeout", "duration", "0",
     "give up on each call in `calls` after this long (0: never); the processing then fails"},
    {"breaker", "breaker", "none",
     "a circuit breaker on each callee, e.g. consecutive(failures=5, open=10s, probes=1) "
     "(see `sdsim list breaker`); a call it refuses fails the processing"},
    {"fallback", "fail|reply", "fail",
     "while a breaker is open: fail the call (and the processing) or answer it with a "
     "fallback (success)"},
    {"bulkhead", "bulkhead", "none",
     "a concurrency limit on each callee, e.g. fixed(limit=10, queue=0) (see `sdsim list "
     "bulkhead`); a call it refuses fails the processing"},
    {"batch", "int", "1",
     "messages one fetch receives: a consumer that takes a message fetches up to batch - 1 "
     "more waiting ones of its partition with it and processes them one after another, each "
     "acked as it ends (held by that consumer even while another is idle); a crash sends the "
     "unprocessed ones back to the front (after_processing) or loses them (on_receive). "
     "An idempotent consumer (dedupe) skips a fetched message it has processed; the queue's "
     "visibility_timeout runs from the fetch; with calls, each message makes its calls before "
     "the next one starts. With assignment = range or round_robin a member fetches from the "
     "one partition it serves next, in order; a member that loses it in a rebalance finishes "
     "its fetched batch before the new owner starts (order per partition kept); a consumer an "
     "autoscaler removes finishes its fetched batch before it leaves. With prefetch, the most "
     "messages one delivery from the broker carries (see prefetch)"},
    {"fetch_latency", "dist", "",
     "the round trip of one fetch, paid once per fetch before its first message is "
     "processed, e.g. const(5ms); none by default; with prefetch, the round trip of each "
     "delivery (several in flight at once)"},
    {"prefetch", "int|none", "none",
     "messages in flight per consumer (RabbitMQ's prefetch count): the broker pushes waiting "
     "messages, in round robin, to every consumer with fewer than this delivered and unacked "
     "(its buffer plus the one it processes), each landing fetch_latency later, so the round "
     "trip hides behind the processing; a message in a slow or busy consumer's buffer waits "
     "there even while another consumer is idle (buffered_worst_mean, buffer_wait_*); a "
     "consumer's crash (a [fault] with replica = K: one consumer) sends its buffer back to the "
     "front (after_processing) or loses it (on_receive); the queue's visibility_timeout runs "
     "from each delivery, so a message buffered longer is delivered again; with calls, a "
     "message is acked (its credit freed) after its calls come back; with dedupe, a buffered "
     "message seen already is acked unprocessed when its consumer reaches it; with "
     "ack_delay, a processed message holds its credit until its ack lands; with batch, one "
     "delivery carries up to batch waiting messages (one round trip). With assignment "
     "= range or round_robin each member buffers from the partitions it owns, in turn, order "
     "per partition kept; a rebalance sends the buffered messages of a partition that moves "
     "back to its front and the new owner starts after the old one's message (nothing twice). "
     "With autoscale a new consumer starts with an empty buffer; a removed one finishes its "
     "message and hands its buffer back to the front in order (redelivered, not lost). The "
     "lag an autoscaler reads counts buffered messages (delivered, not started)"},
    {NULL, NULL, NULL, NULL},
};

/* ---- partition ownership (assignment = range or round_robin) ----------------- */

/* The live members get the partitions, in member order (as Kafka's
 * assignors sort members by id): range gives the i-th of L members the
 * partitions from i * (P / L) + min(i, P mod L), P / L of them, one more for
 * the first P mod L; round_robin gives partition p to the (p mod L)-th.
 * Members beyond P own none (idle). Each member serves its partitions in
 * turn, from the first. */
static void assign_partitions(struct sim *sim, struct consumers *g)
{
    uint32_t np = g->nstn, nl = 0;
    for (uint32_t k = 0; k < g->nmem; k++)
        nl += member_live(g, k);
    for (uint32_t p = 0; p < np; p++)
        g->powner[p] = NO_MEMBER;
    uint32_t i = 0, at = 0;
    for (uint32_t k = 0; k < g->nmem; k++) {
        g->own_start[k] = at;
        g->own_len[k] = 0;
        g->mcursor[k] = 0;
        if (!member_live(g, k))
            continue;
        if (g->assign == ASSIGN_RANGE) {
            uint32_t extra = np % nl; /* the first `extra` members get one more */
            uint32_t cnt = np / nl + (i < extra);
            uint32_t first = i * (np / nl) + (i < extra ? i : extra);
            for (uint32_t j = 0; j < cnt; j++)
                g->own_parts[at++] = first + j;
        } else {
            for (uint32_t p = i; p < np; p += nl)
                g->own_parts[at++] = p;
        }
        g->own_len[k] = at - g->own_start[k];
        for (uint32_t j = g->own_start[k]; j < at; j++)
            g->powner[g->own_parts[j]] = k;
        i++;
    }
    sim_level_add(sim, &g->idle_lv, (int64_t)(nl > np ? nl - np : 0) - g->idle_lv.value);
}

/* Partition station st is member k's while it processes one of its
 * messages: the station's slow factor (errors, latency) is the member's, so
 * a fault on one member slows only the messages it processes. The station's
 * up flag stays: an owned group's crashes are its members' (mdown). */
static void member_nf(const struct consumers *g, uint32_t k, struct station *st)
{
    bool up = st->nf.up;
    st->nf = g->mnf[k];
    st->nf.up = up;
}

/* Member k, free, takes the next message of its partitions in turn (the
 * expired ones deleted on the way): a partition whose broker is down, or
 * whose previous owner still processes one of its messages, waits. */
static void member_next(struct sim *sim, struct consumers *g, uint32_t k)
{
    if (g->prefetch) { /* its buffer: start its next landed, fill its credit */
        pf_member(sim, g, k);
        return;
    }
    if (!member_free(g, k))
        return;
    for (uint32_t i = 0; i < g->own_len[k]; i++) {
        uint32_t idx = (g->mcursor[k] + i) % g->own_len[k];
        uint32_t p = g->own_parts[g->own_start[k] + idx];
        struct parked *pk = &g->parked[p];
        struct station *st = &g->stn[p];
        if (st->busy > 0 || !broker_up(g->q, p))
            continue;
        while (pk->len > 0) {
            struct request *m = park_pop(pk);
            backlog_add(sim, st, -1);
            if (expired(g->q, m->born_ns, sim_now(sim))) {
                lose_expired(sim, g, m);
                continue;
            }
            g->mpart[k] = p;
            g->pserver[p] = k;
            g->mcursor[k] = (idx + 1) % g->own_len[k];
            member_nf(g, k, st);
            enum station_verdict v = station_offer(sim, st, m);
            assert(v == STATION_STARTED);
            (void)v;
            return;
        }
    }
}

/* A message of partition part waits, or its partition was freed: its owner
 * takes it if free. */
static void owned_kick(struct sim *sim, struct consumers *g, uint32_t part)
{
    if (g->powner[part] != NO_MEMBER)
        member_next(sim, g, g->powner[part]);
}

static void kick_all(struct sim *sim, struct consumers *g)
{
    for (uint32_t k = 0; k < g->nmem; k++)
        member_next(sim, g, k);
}

/* The partitions are assigned again; with prefetch, a member's buffered
 * messages of a partition that moved go back to it (pf_drop_moved). */
static void reassign(struct sim *sim, struct consumers *g)
{
    assign_partitions(sim, g);
    for (uint32_t k = 0; g->prefetch && g->pf && k < g->nmem; k++)
        pf_drop_moved(sim, g, k);
}

static void rebalance_end(struct sim *sim, void *a, void *b)
{
    struct consumers *g = a;
    if (!g->paused || (uint64_t)(uintptr_t)b != g->pause_gen)
        return; /* a later change restarted the pause */
    g->paused = false;
    g->paused_ns += sim_now(sim) - g->pause_mark_ns;
    reassign(sim, g);
    kick_all(sim, g);
}

/* The members present and up may have changed (an autoscaler's count, a
 * crash, a recovery): if they did, and some are left, the group rebalances:
 * it pauses for `rebalance` (a change during a pause restarts it, one
 * rebalance; with 0, the changes of one instant are one), then the
 * partitions are assigned again. A group left with no member stops until
 * one comes back. */
static void members_changed(struct sim *sim, struct consumers *g)
{
    uint32_t nl = 0;
    for (uint32_t k = 0; k < g->nmem; k++)
        nl += member_live(g, k);
    if (nl == g->live)
        return;
    g->live = nl;
    if (nl == 0) {
        reassign(sim, g);
        return;
    }
    if (!g->paused) { /* rebalance = 0: changes at one instant are one rebalance */
        g->rebalances++;
        g->paused = true;
        g->pause_mark_ns = sim_now(sim);
    }
    g->pause_gen++;
    sim_after(sim, g->rebalance_ns, rebalance_end, g, (void *)(uintptr_t)g->pause_gen);
}

static void owned_init(struct sim *sim, struct consumers *g)
{
    g->nmem = g->autoscale ? g->hpa.max : (uint32_t)g->n;
    g->mdown = xcalloc(g->nmem, sizeof *g->mdown);
    g->mpart = xmalloc(g->nmem * sizeof *g->mpart);
    g->mcursor = xcalloc(g->nmem, sizeof *g->mcursor);
    g->own_start = xcalloc(g->nmem, sizeof *g->own_start);
    g->own_len = xcalloc(g->nmem, sizeof *g->own_len);
    g->own_parts = xcalloc(g->nstn, sizeof *g->own_parts);
    g->powner = xmalloc(g->nstn * sizeof *g->powner);
    g->pserver = xmalloc(g->nstn * sizeof *g->pserver);
    g->mnf = xmalloc(g->nmem * sizeof *g->mnf);
    for (uint32_t k = 0; k < g->nmem; k++) {
        g->mpart[k] = NO_MEMBER;
        nodefault_init(&g->mnf[k]);
    }
    for (uint32_t p = 0; p < g->nstn; p++)
        g->pserver[p] = NO_MEMBER;
    sim_level_init(sim, &g->idle_lv);
    g->live = 0;
    for (uint32_t k = 0; k < g->nmem; k++)
        g->live += member_live(g, k);
    assign_partitions(sim, g); /* the group as it starts: no rebalance */
}

/* ---- acks on their way (ack_delay) --------------------------------------------- */

/* The rings of acks on their way: one per consumer with a buffer
 * (prefetch: each consumer's credit and channel, ack_member's number; an
 * owned group's are its members), one per member (an owned group), or
 * one. */
static uint32_t acks_n(const struct consumers *g)
{
    return g->prefetch ? g->npf : owned(g) ? g->nmem : 1;
}

/* The member whose acks m's ack joins: its processor (a prefetching
 * group's consumer, whose credit it holds; another shared group: 0). */
static uint32_t ack_member(const struct consumers *g, const struct station *st,
                           const struct request *m)
{
    if (g->prefetch)
        return idmap_find(&g->held_by, m->id)->a;
    return owned(g) ? g->pserver[st->index] : 0;
}

static void ack_event(struct sim *sim, void *a, void *b)
{
    struct consumers *g = a;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t k = (uint32_t)(v >> 32);
    if ((uint32_t)v != g->aepoch[k])
        return; /* a crash lost it */
    struct request *m = park_pop(&g->acks[k]);
    uint32_t part = sim_top(m)->replica;
    g->parked[part].acking--;
    msg_free(sim, g, m, false);
    if (g->prefetch) { /* the ack frees k's credit: the broker sends it more */
        g->pf[k].acking--;
        pf_sync(g, k);
        if (owned(g)) /* k itself: it may own part no longer */
            member_next(sim, g, k);
        else
            pf_kick(sim, g, part, NULL);
    }
}

/* m's processing by member k ended well: its ack takes ack_delay to reach
 * the broker, which holds m meanwhile (acks of one member land in order). */
static void ack_later(struct sim *sim, struct consumers *g, uint32_t k, struct request *m)
{
    park_back(&g->acks[k], m);
    g->parked[sim_top(m)->replica].acking++;
    uint64_t v = (uint64_t)k << 32 | g->aepoch[k];
    sim_after(sim, g->ack_delay_ns, ack_event, g, (void *)(uintptr_t)v);
}

static void dead_letter(struct sim *sim, struct consumers *g, struct request *m);
static bool exhausted(const struct queue *q, const struct request *m);

/* Member k crashed before the acks on their way landed: the broker never
 * gets them, so it delivers those messages again, first in their partitions
 * and in their order (they were processed before anything still waiting
 * there); with a visibility timeout, when it ends. Each counts towards
 * max_deliveries. Call after the crash-cut messages went to the front. */
static void acks_lose(struct sim *sim, struct consumers *g, uint32_t k)
{
    struct parked *ak = &g->acks[k];
    g->aepoch[k]++;
    if (g->prefetch) { /* its credit: the broker takes those messages back */
        g->pf[k].acking = 0;
        pf_sync(g, k);
    }
    while (ak->len > 0) {
        struct request *m = ak->ring[(ak->head + ak->len - 1) % ak->cap]; /* newest first */
        ak->len--;
        struct frame *f = sim_top(m);
        struct parked *pk = &g->parked[f->replica];
        pk->acking--;
        g->acks_lost++;
        m->user++;
        if (sim->trace) /* delivered again: its next delivery starts now */
            trace_msg_end(sim, m, false);
        if (exhausted(g->q, m)) {
            dead_letter(sim, g, m);
            continue;
        }
        if (g->q->vt_ns >= 0 && f->start_ns + g->q->vt_ns > sim_now(sim)) {
            f->step |= STEP_INVISIBLE; /* its timer, set at the start, brings it back */
            pk->invisible++;
            continue;
        }
        g->redelivered++;
        park_front(pk, m);
        wait_add(sim, g, m);
        backlog_add(sim, &g->stn[f->replica], 1);
    }
}

/* ---- visibility timeout and idempotent consumers ---------------------------- */

/* m's processing ended: was a message of its key stored after it processed
 * already? (Several consumers of a partition, a failed message sent to the
 * back, a redelivered copy, round robin: one key's messages then finish
 * out of their store order.) */
static void note_order(struct consumers *g, const struct request *m)
{
    uint64_t seq = (uint64_t)m->retry_after_ns;
    struct idmap_slot *s = idmap_get(&g->last_seq, m->key);
    uint64_t last = (uint64_t)s->a | (uint64_t)s->b << 32; /* order + 1; 0: none yet */
    if (seq + 1 < last) {
        g->out_of_order++;
        return;
    }
    s->a = (uint32_t)(seq + 1);
    s->b = (uint32_t)((seq + 1) >> 32);
}

static void seen_expire(struct consumers *g, int64_t now)
{
    struct seen *s = &g->seen;
    while (s->len > 0 && s->at[s->head] <= now - g->dedupe_ns) {
        idmap_del(&g->seen_set, s->id[s->head]);
        s->head = (s->head + 1) % s->cap;
        s->len--;
    }
}

/* An idempotent group processed message id now: it remembers the id for its
 * dedupe window (once: a duplicate processed meanwhile adds nothing). */
static void remember(struct consumers *g, uint64_t id, int64_t now)
{
    seen_expire(g, now);
    if (idmap_find(&g->seen_set, id))
        return;
    idmap_get(&g->seen_set, id);
    struct seen *s = &g->seen;
    if (s->len == s->cap) {
        size_t ncap = s->cap ? 2 * s->cap : 64;
        s->id = xring_grow(s->id, sizeof *s->id, s->cap, s->head, s->len, ncap);
        s->at = xring_grow(s->at, sizeof *s->at, s->cap, s->head, s->len, ncap);
        s->cap = ncap;
        s->head = 0;
    }
    s->id[(s->head + s->len) % s->cap] = id;
    s->at[(s->head + s->len) % s->cap] = now;
    s->len++;
    if (s->len > g->dedupe_ids_max)
        g->dedupe_ids_max = s->len;
    size_t bytes = s->cap * (sizeof *s->id + sizeof *s->at) +
                   g->seen_set.cap * sizeof *g->seen_set.slots;
    if (bytes > g->dedupe_bytes_max)
        g->dedupe_bytes_max = bytes;
}

static void visible_event(struct sim *sim, void *a, void *b);

/* The demand of m as its processing starts (the station's draw, from its
 * work seed), when the group needs to know the start: an idempotent
 * consumer skips an id it has seen (no processing), and the visibility
 * timer starts. */
static uint32_t fb_new(struct consumers *g)
{
    if (g->fbfree == 0) {
        uint32_t ncap = g->fbcap ? 2 * g->fbcap : 8;
        g->fb = xrealloc(g->fb, ncap * sizeof *g->fb);
        for (uint32_t i = g->fbcap; i < ncap; i++) {
            g->fb[i].m = xmalloc((g->batch - 1) * sizeof *g->fb[i].m);
            g->fb[i].next_free = i + 1 < ncap ? i + 2 : g->fbfree;
        }
        g->fbfree = g->fbcap + 1;
        g->fbcap = ncap;
    }
    uint32_t h = g->fbfree - 1;
    g->fbfree = g->fb[h].next_free;
    g->fb[h].pos = g->fb[h].len = 0;
    return h;
}

static void fb_free(struct consumers *g, uint32_t h)
{
    g->fb[h].next_free = g->fbfree;
    g->fbfree = h + 1;
}

static void vt_invisible(struct sim *sim, struct consumers *g, struct station *st,
                         struct request *m);

/* Batch with a visibility timeout: the timeout of m runs from its fetch,
 * sent at t (its timer set now); vt_took ends that delivery and gives back
 * t (false: m is not delivered by a fetch now). */
static bool batch_vt(const struct consumers *g)
{
    return g->batch > 1 && !g->prefetch && g->q->vt_ns >= 0 && !g->ack_on_receive;
}

static void vt_fetched(struct consumers *g, struct request *m, int64_t t)
{
    struct idmap_slot *s = idmap_get(&g->vt_sent, m->id);
    s->a = (uint32_t)(uint64_t)t;
    s->b = (uint32_t)((uint64_t)t >> 32);
    sim_after(g->sim, g->q->vt_ns, visible_event, m, (void *)(uintptr_t)m->id);
}

static bool vt_took(struct consumers *g, const struct request *m, int64_t *t)
{
    struct idmap_slot *s = idmap_find(&g->vt_sent, m->id);
    if (!s)
        return false;
    *t = (int64_t)((uint64_t)s->a | (uint64_t)s->b << 32);
    idmap_del(&g->vt_sent, m->id);
    return true;
}

/* The oldest waiting message of stn's partition, taken out (NULL: none): from
 * the station's queue, or an owned group's from the partition's parked log. */
static struct request *fetch_take(struct consumers *g, struct station *stn)
{
    if (!owned(g))
        return station_take_oldest(g->sim, stn);
    struct parked *pk = &g->parked[stn->index]; /* an owned partition's log */
    if (pk->len == 0)
        return NULL;
    backlog_add(g->sim, stn, -1);
    return park_pop(pk);
}

/* m starts a fetch: up to batch - 1 more waiting messages of its partition
 * come with it, oldest first (an expired one is deleted on the way);
 * returns the fetch's round trip (a draw from m's work seed, stream 1), 0
 * without fetch_latency. */
static double fetch_more(struct consumers *g, struct station *stn, struct request *m)
{
    if (batch_vt(g)) /* its timeout runs from the fetch, as its fetched ones' */
        vt_fetched(g, m, sim_now(g->sim));
    if (g->batch > 1 && (owned(g) ? g->parked[stn->index].len : stn->len) > 0) {
        uint32_t h = fb_new(g);
        struct fbatch *b = &g->fb[h];
        struct request *x;
        while (b->len < g->batch - 1 && (x = fetch_take(g, stn))) {
            if (expired(g->q, x->born_ns, sim_now(g->sim))) {
                lose_expired(g->sim, g, x);
                continue;
            }
            wait_take(g->sim, g, x);
            b->m[b->len++] = x;
            if (batch_vt(g))
                vt_fetched(g, x, sim_now(g->sim));
        }
        if (b->len > 0) {
            g->parked[stn->index].fetched += b->len;
            idmap_get(&g->held_by, m->id)->a = h;
        } else {
            fb_free(g, h);
        }
    }
    if (!g->has_fetch)
        return 0;
    struct rng wr;
    sim_work_rng(m, stn->comp, 1, &wr);
    return dist_sample(&g->fetch, &wr);
}

/* m's processing ended (its worker is still held): the worker goes to the
 * next message of m's fetch, or back to the station. */
static void pf_done(struct sim *sim, struct consumers *g, struct station *stn,
                    struct request *m);

static void release_or_next(struct sim *sim, struct consumers *g, struct station *stn,
                            struct request *m)
{
    if (g->prefetch) {
        pf_done(sim, g, stn, m);
        return;
    }
    int64_t sent;
    if (batch_vt(g) && vt_took(g, m, &sent)) /* its delivery ends: a lost ack's comes back */
        sim_top(m)->start_ns = sent;          /* when the timeout from its fetch ends */
    struct idmap_slot *s = g->batch > 1 ? idmap_find(&g->held_by, m->id) : NULL;
    if (!s) {
        station_release(sim, stn, m);
        return;
    }
    uint32_t h = s->a;
    idmap_del(&g->held_by, m->id);
    struct fbatch *b = &g->fb[h];
    struct request *nx = b->m[b->pos++];
    g->parked[stn->index].fetched--;
    if (b->pos < b->len)
        idmap_get(&g->held_by, nx->id)->a = h;
    else
        fb_free(g, h);
    sim_top(nx)->step |= STEP_FETCHED;
    station_handover(sim, stn, m, nx);
}

/* A crash cut m: the messages fetched with it and not yet processed go back
 * to the front of their partition, in order, with after_processing (before
 * m itself goes there), or are lost with on_receive. */
static void cut_fetch(struct sim *sim, struct consumers *g, struct station *stn,
                      struct request *m)
{
    struct idmap_slot *s = idmap_find(&g->held_by, m->id);
    if (!s)
        return;
    uint32_t h = s->a;
    idmap_del(&g->held_by, m->id);
    struct fbatch *b = &g->fb[h];
    for (uint32_t i = b->len; i > b->pos; i--) {
        struct request *x = b->m[i - 1];
        g->parked[stn->index].fetched--;
        int64_t sent;
        if (g->ack_on_receive) {
            g->lost++;
            g->base.st.errors++;
            msg_free(sim, g, x, false);
        } else if (batch_vt(g) && vt_took(g, x, &sent)) { /* back when its timeout ends */
            sim_top(x)->start_ns = sent;
            vt_invisible(sim, g, stn, x);
        } else {
            g->redelivered++;
            park_front(&g->parked[stn->index], x);
            wait_add(sim, g, x);
            backlog_add(sim, stn, 1);
        }
    }
    fb_free(g, h);
}

/* ---- prefetch (`prefetch`; see "Prefetch" in the top comment) ----------------- */

static void pf_level(struct sim *sim, struct consumers *g, uint32_t k, int64_t delta)
{
    sim_level_add(sim, &g->pf[k].buffered, delta);
    sim_level_add(sim, &g->pf_buffered, delta);
}

/* Is consumer k of a shared group present (not removed by the autoscaler)? */
static bool pf_here(const struct consumers *g, uint32_t k)
{
    return !g->pf[k].gone;
}

/* Has consumer k of a shared group credit the broker may use: present, up,
 * fewer than prefetch delivered and unacked? */
static bool pf_eligible(const struct consumers *g, uint32_t k)
{
    return pf_here(g, k) && g->pf[k].down == 0 && pf_used(&g->pf[k]) < g->prefetch;
}

/* Consumer k's credit, presence or faults changed: the broker's set of the
 * consumers with credit follows (a shared group's; an owned group's
 * members take from their own partitions, pf_member). */
static void pf_sync(struct consumers *g, uint32_t k)
{
    if (!owned(g))
        pf_set_put(&g->pf_credit, k, pf_eligible(g, k));
}

/* May consumer k start a landed message now? Shared: its station is up
 * and it is present; owned: a live member, no rebalance under way. */
static bool pf_can_start(const struct consumers *g, uint32_t k)
{
    if (owned(g))
        return member_live(g, k) && !g->paused;
    return station_is_up(&g->stn[k / g->pf_per]) && pf_here(g, k);
}

/* Consumer k starts on its oldest buffered message (landed): on the worker
 * whose processing `from` just ended (handed over), or on a free one of
 * the message's partition (owned: the member takes the partition's place,
 * and its slow fault). */
static void pf_start(struct sim *sim, struct consumers *g, uint32_t k, struct request *from)
{
    struct pf_consumer *pc = &g->pf[k];
    struct pf_slot s = pf_pop_front(pc);
    struct station *st = &g->stn[sim_top(s.m)->replica];
    pf_level(sim, g, k, -1);
    g->parked[st->index].fetched--;
    hist_add(g->pf_wait, sim_now(sim) - s.sent_ns);
    pc->cur = s.m;
    pc->cur_sent_ns = s.sent_ns;
    if (from) {
        station_handover(sim, st, from, s.m);
        return;
    }
    if (owned(g)) {
        g->mpart[k] = st->index;
        g->pserver[st->index] = k;
        member_nf(g, k, st);
    }
    enum station_verdict v = station_offer(sim, st, s.m);
    assert(v == STATION_STARTED); /* one worker per consumer (or partition), and k was idle */
    (void)v;
}

/* A delivery to consumer k landed (v: k and its crash count then). */
static void pf_land_event(struct sim *sim, void *a, void *b)
{
    struct consumers *g = a;
    uint64_t v = (uint64_t)(uintptr_t)b;
    uint32_t k = (uint32_t)(v >> 32);
    if ((uint32_t)v != g->pf[k].epoch || !pf_can_start(g, k))
        return; /* a crash took the buffer back, or it waits (a rebalance) */
    if (pf_head_ready(&g->pf[k], sim_now(sim)))
        pf_start(sim, g, k, NULL);
}

/* The broker puts m, just taken from its partition st's log, in a delivery
 * to consumer k: land < 0 opens the delivery, whose round trip
 * (fetch_latency) is a draw from m's work seed (stream 1), in order on k's
 * channel; a later message of the same delivery (batch) passes the landing
 * time it returned and lands with it. pf_deliver ends the delivery. */
static int64_t pf_send(struct sim *sim, struct consumers *g, uint32_t k, struct request *m,
                       struct station *st, int64_t land)
{
    struct pf_consumer *pc = &g->pf[k];
    int64_t now = sim_now(sim);
    wait_take(sim, g, m); /* delivered: no longer waiting */
    if (land < 0) { /* the delivery's round trip: a draw from its first message */
        land = now;
        if (g->has_fetch) {
            struct rng wr;
            sim_work_rng(m, st->comp, 1, &wr);
            land += (int64_t)(dist_sample(&g->fetch, &wr) + 0.5);
        }
        if (land < pc->last_land_ns)
            land = pc->last_land_ns;
        pc->last_land_ns = land;
    }
    pf_push(pc, m, now, land, g->pf_seq++);
    pf_sync(g, k);
    idmap_get(&g->held_by, m->id)->a = k; /* its visibility timer, demand and end find k */
    g->parked[st->index].fetched++;
    pf_level(sim, g, k, 1);
    if (g->q->vt_ns >= 0 && !g->ack_on_receive) /* from its delivery */
        sim_after(sim, g->q->vt_ns, visible_event, m, (void *)(uintptr_t)m->id);
    return land;
}

/* A delivery to consumer k (landing at land) is complete: it lands after
 * its round trip, or now, and an idle consumer starts on it as it lands. */
static void pf_deliver(struct sim *sim, struct consumers *g, uint32_t k, int64_t land)
{
    struct pf_consumer *pc = &g->pf[k];
    int64_t now = sim_now(sim);
    if (land > now) {
        uint64_t v = (uint64_t)k << 32 | pc->epoch;
        sim_after(sim, land - now, pf_land_event, g, (void *)(uintptr_t)v);
    } else if (pf_can_start(g, k) && pf_head_ready(pc, now)) {
        pf_start(sim, g, k, NULL);
    }
}

#ifdef SDSIM_CHECKS
/* The broker's round robin the slow way (what pf_credit answers): the
 * first consumer of partition part, from its cursor on, with credit; hi
 * when none has. */
static uint32_t pf_pick_scan(const struct consumers *g, uint32_t part)
{
    uint32_t lo = part * g->pf_per;
    for (uint32_t i = 0; i < g->pf_per; i++) {
        uint32_t k = lo + (g->pf_cursor[part] + i) % g->pf_per;
        if (pf_eligible(g, k))
            return k;
    }
    return lo + g->pf_per;
}
#endif

/* The broker of partition part pushes its waiting messages, oldest first,
 * to its consumers with credit, in round robin from its cursor (RabbitMQ's
 * rule; pf_credit finds the next one without a scan); an expired one is
 * deleted when it would be sent, as a consumer reaching it in the queue
 * would; not `fresh`, just stored or sent back, which a consumer with
 * credit takes at once. An owned partition's messages go to its owner
 * (pf_member). */
static void pf_kick(struct sim *sim, struct consumers *g, uint32_t part,
                    const struct request *fresh)
{
    if (owned(g)) {
        owned_kick(sim, g, part);
        return;
    }
    struct station *st = &g->stn[part];
    struct parked *pk = &g->parked[part];
    if (!station_is_up(st) || !broker_up(g->q, part))
        return;
    int64_t now = sim_now(sim);
    uint32_t lo = part * g->pf_per, hi = lo + g->pf_per;
    while (pk->len > 0) {
        uint32_t k = pf_set_next(&g->pf_credit, lo + g->pf_cursor[part]);
        if (k >= hi)
            k = pf_set_next(&g->pf_credit, lo);
        if (k > hi)
            k = hi;
        SIM_CHECK(k == pf_pick_scan(g, part));
        if (k == hi)
            return; /* no credit left: it waits at the broker */
        if (pk->ring[pk->head] != fresh && expired(g->q, pk->ring[pk->head]->born_ns, now)) {
            struct request *x = park_pop(pk);
            backlog_add(sim, st, -1);
            lose_expired(sim, g, x);
            continue;
        }
        g->pf_cursor[part] = (k - lo + 1) % g->pf_per;
        /* one delivery: up to batch messages (no more than k's credit
         * left), landing together after one round trip */
        struct pf_consumer *pc = &g->pf[k];
        uint32_t sent = 0;
        int64_t land = -1;
        while (sent < g->batch && pk->len > 0 && pf_used(pc) < g->prefetch) {
            if (sent > 0 && expired(g->q, pk->ring[pk->head]->born_ns, now)) {
                struct request *x = park_pop(pk);
                backlog_add(sim, st, -1);
                lose_expired(sim, g, x);
                continue;
            }
            struct request *m = park_pop(pk);
            backlog_add(sim, st, -1);
            land = pf_send(sim, g, k, m, st, land);
            sent++;
        }
        pf_deliver(sim, g, k, land);
    }
}

/* The next message member k of an owned group may be sent: the oldest of
 * its partitions in turn from mcursor (an expired one deleted on the way,
 * as member_next does), none of a partition whose broker is down or whose
 * previous owner still processes one of its messages (after a rebalance).
 * NULL when none; *st gets its partition. */
static struct request *pf_member_take(struct sim *sim, struct consumers *g, uint32_t k,
                                      struct station **st)
{
    for (uint32_t i = 0; i < g->own_len[k]; i++) {
        uint32_t idx = (g->mcursor[k] + i) % g->own_len[k];
        uint32_t p = g->own_parts[g->own_start[k] + idx];
        struct parked *pk = &g->parked[p];
        if ((g->pserver[p] != NO_MEMBER && g->pserver[p] != k) || !broker_up(g->q, p))
            continue;
        while (pk->len > 0) {
            struct request *x = park_pop(pk);
            backlog_add(sim, &g->stn[p], -1);
            if (expired(g->q, x->born_ns, sim_now(sim))) {
                lose_expired(sim, g, x);
                continue;
            }
            g->mcursor[k] = (idx + 1) % g->own_len[k];
            *st = &g->stn[p];
            return x;
        }
    }
    return NULL;
}

/* Member k of an owned group (live, no rebalance under way): when idle it
 * starts on its oldest landed message, and the broker fills its credit
 * with deliveries of up to batch messages each (pf_member_take: its
 * partitions in turn, oldest first in each), one round trip per delivery;
 * the new owner of a moved partition starts after its old one. */
static void pf_member(struct sim *sim, struct consumers *g, uint32_t k)
{
    if (k == NO_MEMBER || !member_live(g, k) || g->paused)
        return;
    struct pf_consumer *pc = &g->pf[k];
    if (pf_head_ready(pc, sim_now(sim)))
        pf_start(sim, g, k, NULL);
    while (pf_used(pc) < g->prefetch) {
        uint32_t sent = 0;
        int64_t land = -1;
        while (sent < g->batch && pf_used(pc) < g->prefetch) {
            struct station *st = NULL;
            struct request *m = pf_member_take(sim, g, k, &st);
            if (!m)
                break;
            land = pf_send(sim, g, k, m, st, land);
            sent++;
        }
        if (sent == 0)
            return;
        pf_deliver(sim, g, k, land);
    }
}

/* m's processing ended (its worker still held): its consumer goes on with
 * its next landed message, or frees the worker; the credit freed lets the
 * broker push more. An owned member frees its partition's place: the
 * freed hook (consumers_freed, member_next) starts its next and fills it. */
static void pf_done(struct sim *sim, struct consumers *g, struct station *stn,
                    struct request *m)
{
    struct idmap_slot *s = idmap_find(&g->held_by, m->id);
    assert(s);
    uint32_t k = s->a;
    idmap_del(&g->held_by, m->id);
    g->pf[k].cur = NULL;
    if (owned(g)) {
        station_release(sim, stn, m);
        return;
    }
    pf_sync(g, k);
    if (pf_here(g, k) && pf_head_ready(&g->pf[k], sim_now(sim)))
        pf_start(sim, g, k, m);
    else
        station_release(sim, stn, m);
    pf_kick(sim, g, stn->index, NULL);
}

/* With a visibility timeout, a delivered message whose consumer crashed (m,
 * its timeout started at its frame's start_ns: the processing's start, or
 * with prefetch its delivery) comes back when its timeout ends
 * (STEP_INVISIBLE: its timer brings it back); when that has passed
 * already, the timer found it delivered and the broker sent a copy then:
 * this delivery just ends (acked unprocessed, answered by its copy), else
 * it would wait for a timer that has gone, held for ever. */
static void vt_invisible(struct sim *sim, struct consumers *g, struct station *st,
                         struct request *m)
{
    struct frame *f = sim_top(m);
    if (f->start_ns + g->q->vt_ns > sim_now(sim)) {
        f->step |= STEP_INVISIBLE;
        g->parked[st->index].invisible++;
        return;
    }
    f->step |= STEP_SKIP;
    msg_free(sim, g, m, false);
}

/* Consumer k crashed: its buffer (in flight or landed) goes back to the
 * front of its partitions, in order (after_processing: delivered again, not
 * counted as a delivery), or is lost (on_receive: the broker forgot it). */
static void pf_return(struct sim *sim, struct consumers *g, uint32_t k)
{
    struct pf_consumer *pc = &g->pf[k];
    pc->epoch++; /* its landings on the way are stale */
    pc->last_land_ns = sim_now(sim);
    while (pc->len > 0) {
        struct pf_slot sl = pf_pop_back(pc);
        struct request *x = sl.m;
        struct station *st = &g->stn[sim_top(x)->replica];
        idmap_del(&g->held_by, x->id);
        pf_level(sim, g, k, -1);
        g->parked[st->index].fetched--;
        if (g->ack_on_receive) {
            g->lost++;
            g->base.st.errors++;
            msg_free(sim, g, x, false);
        } else if (g->q->vt_ns >= 0) { /* the broker knows only its timeout */
            sim_top(x)->start_ns = sl.sent_ns;
            vt_invisible(sim, g, st, x);
        } else {
            g->redelivered++;
            park_front(&g->parked[st->index], x);
            wait_add(sim, g, x);
            backlog_add(sim, st, 1);
        }
    }
    pf_sync(g, k);
}

/* m, just taken out of consumer k's buffer unprocessed, is handed back: to
 * the front of its partition (redelivered: the broker sends it again). */
static void pf_unbuffer(struct sim *sim, struct consumers *g, uint32_t k, struct request *m)
{
    struct station *st = &g->stn[sim_top(m)->replica];
    idmap_del(&g->held_by, m->id);
    pf_level(sim, g, k, -1);
    g->parked[st->index].fetched--;
    g->redelivered++;
    park_front(&g->parked[st->index], m);
    wait_add(sim, g, m);
    backlog_add(sim, st, 1);
}

/* Consumers ks[0 .. n) leave (an autoscaler's scale-down): each finishes
 * the message it processes, and their buffers (in flight or landed) go
 * back to the front of their partitions, newest delivery first, so that
 * each log is again in the order the broker sent them: a graceful leave
 * loses nothing (whatever the ack) and duplicates nothing. Their landings
 * on the way go stale. */
static void pf_hand_back(struct sim *sim, struct consumers *g, const uint32_t *ks, uint32_t n)
{
    for (;;) {
        uint32_t best = NO_MEMBER;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t k = ks[i];
            const struct pf_consumer *pc = &g->pf[k];
            if (pc->len > 0 &&
                (best == NO_MEMBER ||
                 pf_at(pc, pc->len - 1)->seq > pf_at(&g->pf[best], g->pf[best].len - 1)->seq))
                best = k;
        }
        if (best == NO_MEMBER)
            break;
        pf_unbuffer(sim, g, best, pf_pop_back(&g->pf[best]).m);
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k = ks[i];
        g->pf[k].epoch++;
        g->pf[k].last_land_ns = sim_now(sim);
        pf_sync(g, k);
    }
}

/* A rebalance gave member k's partitions out again: its buffered messages
 * of a partition it no longer owns go back to the front of that partition,
 * in order, so its new owner starts from the first unprocessed one (a
 * Kafka consumer from the committed offset); the others stay, in order. */
static void pf_drop_moved(struct sim *sim, struct consumers *g, uint32_t k)
{
    struct pf_consumer *pc = &g->pf[k];
    uint32_t n = pc->len, keep = 0;
    for (uint32_t i = n; i-- > 0;) { /* newest first; the kept ones packed at the back */
        struct pf_slot s = *pf_at(pc, i);
        if (g->powner[sim_top(s.m)->replica] == k)
            *pf_at(pc, n - 1 - keep++) = s;
        else
            pf_unbuffer(sim, g, k, s.m);
    }
    if (n > keep) {
        pc->head = (pc->head + n - keep) % pc->cap;
        pc->len = keep;
    }
}

/* A crash cut m, which consumer k processed: k's buffer goes (pf_return),
 * before m itself goes back to the front (cut). */
static void pf_cut(struct sim *sim, struct consumers *g, struct request *m)
{
    struct idmap_slot *s = idmap_find(&g->held_by, m->id);
    assert(s);
    uint32_t k = s->a;
    idmap_del(&g->held_by, m->id);
    g->pf[k].cur = NULL;
    sim_top(m)->start_ns = g->pf[k].cur_sent_ns; /* its visibility timeout's start */
    pf_return(sim, g, k);
}

/* A fault on consumer k alone of a shared group (`replica = K`): slow
 * multiplies its own processing times; a crash cuts its message and takes
 * its buffer back, and the broker gives it nothing until it recovers. */
static void pf_fault(struct sim *sim, struct consumers *g, uint32_t k, enum fault_action a,
                     double value, bool start)
{
    struct pf_consumer *pc = &g->pf[k];
    uint32_t part = k / g->pf_per;
    if (a == FAULT_SLOW) {
        pc->slow = start ? value : 1.0;
        return;
    }
    assert(a == FAULT_CRASH);
    if (start) {
        if (pc->down++ > 0)
            return;
        pf_sync(g, k);
        if (pc->cur)
            station_cut(sim, &g->stn[part], pc->cur); /* cut: pf_cut returns its buffer */
        else
            pf_return(sim, g, k);
        if (g->acks) /* its acks on the way are lost: those messages go back first */
            acks_lose(sim, g, k);
        pf_kick(sim, g, part, NULL);
    } else if (pc->down > 0 && --pc->down == 0) {
        pf_sync(g, k);
        pf_kick(sim, g, part, NULL);
    }
}

static double consumers_demand(struct station *stn, struct request *m)
{
    struct consumers *g = stn->owner;
    struct frame *f = sim_top(m);
    wait_take(g->sim, g, m); /* taken: no longer waiting */
    double fetch_ns = 0;
    if (f->step & STEP_FETCHED)
        f->step &= ~STEP_FETCHED; /* fetched with an earlier message */
    else if (!g->prefetch && (g->batch > 1 || g->has_fetch))
        fetch_ns = fetch_more(g, stn, m);
    if (g->dedupe_ns >= 0) {
        seen_expire(g, f->start_ns);
        if (idmap_find(&g->seen_set, m->version)) {
            f->step |= STEP_SKIP;
            return fetch_ns;
        }
    }
    if (g->q->vt_ns >= 0 && !g->ack_on_receive && !g->prefetch && g->batch <= 1)
        /* prefetch: at delivery; batch: at the fetch */
        sim_after(g->sim, g->q->vt_ns, visible_event, m, (void *)(uintptr_t)m->id);
    struct rng wr;
    sim_work_rng(m, stn->comp, 0, &wr);
    double demand = dist_sample(&g->service, &wr);
    if (g->prefetch && !owned(g)) /* its consumer's own slow fault (owned: member_nf) */
        demand *= g->pf[idmap_find(&g->held_by, m->id)->a].slow;
    return fetch_ns + demand;
}

/* The visibility timeout of m's delivery (started at f->start_ns) ended.
 * Still in processing (a slow consumer): the broker delivers the message
 * again, and both deliveries may be processed. Cut by a crash: it comes
 * back now. Otherwise (processed, failed and delivered again, ended) the
 * timer is stale: a request's id is never reused, and the start tells a
 * later delivery of the same request. */
static void visible_event(struct sim *sim, void *a, void *b)
{
    struct request *m = a;
    if (m->pooled || m->id != (uint64_t)(uintptr_t)b)
        return;
    struct frame *f = sim_top(m);
    struct consumers *g = (struct consumers *)f->c;
    /* prefetch: delivered (buffered or in processing) by the delivery the
     * timer is for, sent vt ago */
    bool pf_live = (g->prefetch || g->batch > 1) && !(f->step & STEP_INVISIBLE);
    if (pf_live && g->prefetch) {
        struct idmap_slot *hs = idmap_find(&g->held_by, m->id);
        if (!hs || !pf_holds(&g->pf[hs->a], m, sim_now(sim) - g->q->vt_ns))
            return;
    } else if (pf_live) { /* batch: fetched (waiting or in processing) by that fetch */
        struct idmap_slot *vs = idmap_find(&g->vt_sent, m->id);
        if (!vs || (int64_t)((uint64_t)vs->a | (uint64_t)vs->b << 32) !=
                       sim_now(sim) - g->q->vt_ns)
            return;
    } else if (f->start_ns + g->q->vt_ns != sim_now(sim)) {
        return;
    }
    struct station *st = &g->stn[f->replica];
    if (f->step & STEP_INVISIBLE) {
        f->step &= ~STEP_INVISIBLE;
        g->parked[st->index].invisible--;
        g->redelivered++;
        f->arrive_ns = sim_now(sim);
        offer_or_park(sim, g, st, m);
        return;
    }
    if (!pf_live && !f->holds_worker)
        return;
    g->vt_expired++;
    struct idmap_slot *s = idmap_get(&g->family, m->version);
    if (!(f->step & STEP_FAMILY)) {
        f->step |= STEP_FAMILY;
        s->a++;
        if (f->step & STEP_DONE) /* processed once already: its ack was lost */
            s->b++;
    }
    s->a++;
    g->parked[st->index].copies++;
    struct request *c = sim_req_new(sim);
    c->work_seed = m->work_seed;
    c->key = m->key;
    c->op = m->op;
    c->born_ns = m->born_ns;
    c->measured = m->measured;
    c->version = m->version;
    c->retry_after_ns = m->retry_after_ns;
    c->user = m->user + 1; /* deliveries (its demand is the same: common random numbers) */
    c->bytes = m->bytes;   /* its size (the family's bytes are held once) */
    struct frame *cf = sim_enter(c, &g->base);
    cf->arrive_ns = sim_now(sim);
    cf->replica = st->index;
    cf->step = STEP_FAMILY;
    cf->epoch = 0;
    if (sim->trace)
        trace_msg_copy(sim, m, c);
    sim_level_add(sim, &g->base.st.insys, 1);
    if (exhausted(g->q, c)) {
        dead_letter(sim, g, c);
        return;
    }
    g->redelivered++;
    offer_or_park(sim, g, st, c);
}

/* Does this processing of m fail? Poison is the message's own (its work
 * seed); fail and an errors fault draw from the group's stream. */
static bool processing_fails(struct consumers *g, struct station *stn, const struct request *m)
{
    if (g->poison > 0 &&
        (double)(rng_mix64(m->work_seed ^ 0x706f69736f6e2121ULL) >> 11) * 0x1.0p-53 < g->poison)
        return true;
    if (g->fail > 0 && rng_uniform(&g->fail_rng) < g->fail)
        return true;
    return station_fails(stn, &g->fail_rng);
}

/* m's processing failed: with on_receive it is lost (the broker forgot it);
 * with after_processing the broker delivers it again at the back of its
 * partition, or dead-letters it after max_deliveries. */
static void processing_failed(struct sim *sim, struct station *stn, struct request *m)
{
    struct consumers *g = stn->owner;
    hist_add(g->base.st.resp, sim_now(sim) - sim_top(m)->arrive_ns); /* calls included */
    g->failed++;
    if (g->ack_on_receive) {
        g->lost++;
        g->base.st.errors++;
        release_or_next(sim, g, stn, m);
        msg_free(sim, g, m, false);
        return;
    }
    m->user++; /* deliveries so far */
    release_or_next(sim, g, stn, m);
    if (exhausted(g->q, m)) {
        dead_letter(sim, g, m);
        return;
    }
    if (sim->trace) /* this delivery ends; the next starts */
        trace_msg_end(sim, m, false);
    g->redelivered++;
    sim_top(m)->arrive_ns = sim_now(sim);
    offer_or_park(sim, g, stn, m);
}

/* m's processing, its calls included, ended well: it is processed; its ack
 * goes now, or takes ack_delay. */
static void processed_ok(struct sim *sim, struct station *stn, struct request *m)
{
    struct consumers *g = stn->owner;
    hist_add(g->base.st.resp, sim_now(sim) - sim_top(m)->arrive_ns); /* calls included */
    hist_add(g->q->e2e, sim_now(sim) - m->born_ns);
    hist_add(g->e2e, sim_now(sim) - m->born_ns);
    if (sim->ts.interval_ns > 0) {
        if (!g->ts_e2e)
            g->ts_e2e = hist_new();
        if (g->ts_row != sim->ts.nrows) { /* the first of this interval */
            hist_reset(g->ts_e2e);
            g->ts_row = sim->ts.nrows;
        }
        hist_add(g->ts_e2e, sim_now(sim) - m->born_ns);
    }
    g->processed++;
    g->base.st.completed++;
    note_order(g, m);
    if (g->dedupe_ns >= 0)
        remember(g, m->version, sim_now(sim));
    if (g->q->reply && !send_reply(sim, g->q, m))
        rr_lost(g, m);
    if (g->ack_delay_ns > 0) { /* held until its ack lands */
        uint32_t k = ack_member(g, stn, m);
        /* prefetch: its visibility timeout ran from its delivery (acks_lose) */
        int64_t sent = g->prefetch ? g->pf[k].cur_sent_ns : 0;
        if (g->prefetch) /* its credit stays in use until the ack lands (ack_event) */
            g->pf[k].acking++;
        if (sim->trace) /* its delivery ends with its processing */
            trace_msg_processed(sim, m);
        note_processed(g, m);
        release_or_next(sim, g, stn, m);
        if (g->prefetch)
            sim_top(m)->start_ns = sent;
        ack_later(sim, g, k, m);
        return;
    }
    release_or_next(sim, g, stn, m);
    msg_free(sim, g, m, true);
}

/* ---- downstream calls (`calls`) ------------------------------------------------ */

static uint32_t ccall_new(struct consumers *g)
{
    if (g->cfree == 0) {
        uint32_t old = g->ccap, ncap = old ? 2 * old : 16;
        g->ctab = xrealloc(g->ctab, ncap * sizeof *g->ctab);
        for (uint32_t i = old; i < ncap; i++)
            g->ctab[i].next_free = i + 1 < ncap ? i + 2 : 0;
        g->ccap = ncap;
        g->cfree = old + 1;
    }
    uint32_t h = g->cfree;
    g->cfree = g->ctab[h - 1].next_free;
    return h;
}

static void ccall_free(struct consumers *g, uint32_t h)
{
    g->ctab[h - 1] = (struct ccall){.next_free = g->cfree};
    g->cfree = h;
}

/* Call p makes its call to callee number step (its frame's): through the
 * callee's guard when the group has guards, else a plain send. */
static void call_next(struct sim *sim, struct consumers *g, struct request *p)
{
    uint32_t k = sim_top(p)->step;
    if (g->deps) {
        dep_call(sim, &g->deps[k], p);
        return;
    }
    g->calls_sent++;
    sim_send(sim, &g->base, p, g->base.callees[k]);
}

/* m's own processing ended well: its calls go, in order, with its worker
 * held, on a call request of its own (a child of m with its key, op and
 * work seed; its attempt is m's deliveries so far, so a redelivery's calls
 * are new draws at the callees), so that nothing a callee writes into it
 * touches the message. The frame's epoch links m and the call to their
 * record. */
static void calls_begin(struct sim *sim, struct consumers *g, struct station *stn,
                        struct request *m)
{
    uint32_t h = ccall_new(g);
    struct request *p = sim_req_child(sim, m);
    p->version = 0;          /* a data version, not the message id */
    p->user = UINT32_MAX;    /* no closed-loop user */
    p->attempt = m->user;
    struct frame *f = sim_enter(p, &g->base);
    f->replica = stn->index; /* its partition (the trace's track) */
    f->arrive_ns = f->start_ns = sim_now(sim);
    f->timer = EVQ_NONE;
    f->step = 0;
    f->epoch = h;
    sim_top(m)->epoch = h;
    g->ctab[h - 1] = (struct ccall){.m = m, .stn = stn, .p = p};
    call_next(sim, g, p);
}

/* A call of p came back (or its guard answered): the next call; after the
 * last, m is processed; a failed call (an error, a timeout, a refusal)
 * fails the processing. A call whose message a crash cut meanwhile is
 * dropped. */
static void call_returned(struct sim *sim, struct component *c, struct request *p)
{
    struct consumers *g = (struct consumers *)c;
    struct frame *f = sim_top(p);
    uint32_t h = f->epoch;
    struct ccall *cc = &g->ctab[h - 1];
    assert(cc->p == p);
    struct request *m = cc->m;
    struct station *stn = cc->stn;
    bool ok = p->status == REQ_OK;
    if (m && ok && ++f->step < c->ncallees) {
        call_next(sim, g, p);
        return;
    }
    ccall_free(g, h);
    sim_req_free(sim, p);
    if (!m)
        return;
    sim_top(m)->epoch = 0;
    if (!ok) {
        g->calls_failed++;
        processing_failed(sim, stn, m);
        return;
    }
    processed_ok(sim, stn, m);
}

/* A crash cut m while its calls were out: the call goes on without it (its
 * callees may drop it: its caller has gone), and its return is dropped. */
static void calls_cut(struct consumers *g, struct request *m)
{
    struct frame *mf = sim_top(m);
    struct ccall *cc = &g->ctab[mf->epoch - 1];
    mf->epoch = 0;
    cc->m = NULL;
    cc->p->abandoned = true;
    cc->p->parent = NULL; /* m may be freed before the call comes back */
}

static void served(struct sim *sim, struct station *stn, struct request *m)
{
    struct consumers *g = stn->owner;
    /* its wait and own processing, without its calls: every processing
     * that ends, failed or skipped too (a service's local counts its
     * failures) */
    tally_add(&g->base.st.local, sim_now(sim) - sim_top(m)->arrive_ns);
    if (sim_top(m)->step & STEP_SKIP) { /* seen: acked without processing */
        hist_add(g->base.st.resp, sim_now(sim) - sim_top(m)->arrive_ns);
        g->deduped++;
        release_or_next(sim, g, stn, m);
        msg_free(sim, g, m, false); /* STEP_SKIP still set: answered already, not lost */
        return;
    }
    if (processing_fails(g, stn, m)) {
        processing_failed(sim, stn, m);
        return;
    }
    if (g->base.ncallees > 0) {
        calls_begin(sim, g, stn, m);
        return;
    }
    processed_ok(sim, stn, m);
}

/* An owned group's member gave its partition's place back: it takes its
 * next message in turn, then the partition's owner (another member after a
 * rebalance) may start on it. */
static void consumers_freed(struct sim *sim, struct station *stn, struct request *m)
{
    (void)m;
    struct consumers *g = stn->owner;
    if (!owned(g))
        return;
    uint32_t k = g->pserver[stn->index];
    g->pserver[stn->index] = NO_MEMBER;
    if (k != NO_MEMBER) {
        g->mpart[k] = NO_MEMBER;
        member_next(sim, g, k);
    }
    if (g->powner[stn->index] != k)
        owned_kick(sim, g, stn->index);
}

/* A consumer reached an expired message: the broker deletes it. */
static bool consumers_gone(struct station *stn, struct request *m)
{
    const struct consumers *g = stn->owner;
    return expired(g->q, m->born_ns, sim_now(g->sim));
}

static void dropped(struct sim *sim, struct station *stn, struct request *m,
                    enum station_drop why)
{
    /* A crash parks the waiting messages before the station sees it, so
     * only retention (gone) drops from the queue. */
    assert(why == STATION_DROP_GONE);
    (void)why;
    lose_expired(sim, stn->owner, m);
}

/* A crash cut m's processing: with ack = after_processing the broker still
 * holds it and delivers it again first (at least once); with on_receive it
 * was forgotten at delivery and is lost. */
static void cut(struct sim *sim, struct station *stn, struct request *m, bool in_service)
{
    (void)in_service;
    struct consumers *g = stn->owner;
    if (sim_top(m)->epoch) /* out on its calls */
        calls_cut(g, m);
    int64_t sent;
    if (batch_vt(g) && vt_took(g, m, &sent)) /* its timeout runs from its fetch */
        sim_top(m)->start_ns = sent;
    if (g->batch > 1 && !g->prefetch) /* prefetch: the broker's batches are in the buffer */
        cut_fetch(sim, g, stn, m);
    if (g->prefetch)
        pf_cut(sim, g, m);
    if (g->ack_on_receive) {
        g->lost++;
        g->base.st.errors++;
        msg_free(sim, g, m, false);
        return;
    }
    m->user++; /* a cut delivery counts towards max_deliveries */
    if (exhausted(g->q, m)) {
        dead_letter(sim, g, m);
        return;
    }
    if (sim->trace) /* this delivery ends; the next starts */
        trace_msg_end(sim, m, false);
    if (g->q->vt_ns >= 0) { /* back when its visibility timeout ends (from its start, or
                               with prefetch its delivery: pf_cut) */
        vt_invisible(sim, g, stn, m);
        return;
    }
    g->redelivered++;
    park_front(&g->parked[stn->index], m);
    wait_add(sim, g, m);
    backlog_add(sim, stn, 1);
}

static const struct station_ops consumers_station = {
    .served = served,
    .dropped = dropped,
    .cut = cut,
    .gone = consumers_gone,
    .demand = consumers_demand,
    .freed = consumers_freed,
};

/* A crash of member k of an owned group: the message it processes is cut
 * (back to the front of its partition with after_processing, lost with
 * on_receive), its acks on the way are lost, and the group rebalances
 * without it. */
static void member_crash(struct sim *sim, struct consumers *g, uint32_t k)
{
    g->mdown[k]++;
    if (g->mdown[k] > 1)
        return;
    uint32_t p = g->mpart[k];
    if (p != NO_MEMBER) {
        struct station *st = &g->stn[p];
        g->mpart[k] = NO_MEMBER;
        g->pserver[p] = NO_MEMBER;
        assert(st->busy == 1);
        station_cut(sim, st, st->serving[0].r); /* prefetch: pf_cut returns its buffer */
    } else if (g->prefetch) {
        pf_return(sim, g, k);
    }
    if (g->acks)
        acks_lose(sim, g, k);
}

/* A crash fault on an owned group: on member `replica`, or on every member
 * (all); its end brings them back. One rebalance for the whole change. */
static void owned_crash(struct sim *sim, struct consumers *g, int32_t replica, bool start)
{
    uint32_t lo = replica < 0 ? 0 : (uint32_t)replica;
    uint32_t hi = replica < 0 ? g->nmem : (uint32_t)replica + 1;
    for (uint32_t k = lo; k < hi && k < g->nmem; k++) {
        if (start)
            member_crash(sim, g, k);
        else if (g->mdown[k] > 0)
            g->mdown[k]--;
    }
    members_changed(sim, g);
    g->base.st.replicas_up = g->live > 0;
}

/* A crash takes the whole group down (every partition's consumers); the
 * waiting messages stay with the broker, parked in order, and those being
 * processed go back to the front (after_processing) or are lost
 * (on_receive). At recovery the consumers take the parked messages in
 * order. slow(factor=) multiplies the processing times. */
static void consumers_fault(struct sim *sim, struct component *c, int32_t replica,
                            enum fault_action a, double value, bool start)
{
    struct consumers *g = (struct consumers *)c;
    if (owned(g) && a == FAULT_CRASH) {
        owned_crash(sim, g, replica, start);
        return;
    }
    if (g->prefetch && replica >= 0 && !owned(g)) { /* one consumer (crash, slow) */
        pf_fault(sim, g, (uint32_t)replica, a, value, start);
        return;
    }
    if (owned(g)) { /* slow: member `replica` (or each), whatever partition it processes */
        uint32_t lo = replica < 0 ? 0 : (uint32_t)replica;
        uint32_t hi = replica < 0 ? g->nmem : (uint32_t)replica + 1;
        for (uint32_t k = lo; k < hi && k < g->nmem; k++) {
            nodefault_apply(&g->mnf[k], a, value, start);
            if (g->mpart[k] != NO_MEMBER) /* the message it processes now: its end */
                member_nf(g, k, &g->stn[g->mpart[k]]);
        }
        return;
    }
    if (replica > 0 && !owned(g))
        return;
    bool crashed = false;
    for (uint32_t i = 0; i < g->nstn; i++) {
        struct station *st = &g->stn[i];
        struct parked *pk = &g->parked[i];
        enum nodefault_change ch = station_fault(st, a, value, start);
        struct request *m;
        if (ch == NODEFAULT_CRASHED) {
            while ((m = station_take_oldest(sim, st)) != NULL) {
                park_back(pk, m);
                backlog_add(sim, st, 1);
            }
            station_crash(sim, st); /* its queue is empty: only cuts */
            for (uint32_t j = 0; j < g->pf_per && g->prefetch; j++) /* the idle ones' buffers */
                pf_return(sim, g, i * g->pf_per + j);
            crashed = true;
        } else if (ch == NODEFAULT_RECOVERED && broker_up(g->q, i)) {
            unpark(sim, g, st);
        }
    }
    if (crashed && g->acks) /* the acks on their way are lost with the group (prefetch:
                               every consumer's, the first consumer's in front) */
        for (uint32_t k = acks_n(g); k-- > 0;)
            acks_lose(sim, g, k);
    c->st.replicas_up = g->nstn > 0 && station_is_up(&g->stn[0]);
}

static void consumers_on_request(struct sim *sim, struct component *c, struct request *r)
{
    /* Nothing is sent to a consumers group: its queue hands it messages. */
    (void)c;
    r->status = REQ_ERROR;
    sim_reply(sim, r);
}

/* A call came back: a guarded call's child (models/kinds/dep.c) to its
 * guard, else the call request itself. */
static void consumers_on_reply(struct sim *sim, struct component *c, struct request *r)
{
    struct consumers *g = (struct consumers *)c;
    if (g->deps)
        dep_on_reply(sim, g->deps, r);
    else
        call_returned(sim, c, r);
}

static void consumers_reset(struct sim *sim, struct component *c)
{
    struct consumers *g = (struct consumers *)c;
    g->processed = g->redelivered = g->lost = g->dropped_oldest = g->failed = 0;
    g->duplicates = g->vt_expired = g->deduped = g->out_of_order = 0;
    g->dedupe_ids_max = g->seen.len;
    g->rebalances = g->acks_lost = 0;
    g->calls_sent = g->calls_failed = 0;
    for (size_t k = 0; g->deps && k < c->ncallees; k++)
        dep_reset(&g->deps[k]);
    g->paused_ns = 0;
    if (g->paused)
        g->pause_mark_ns = sim_now(sim);
    hist_reset(g->e2e);
    if (g->pf_wait)
        hist_reset(g->pf_wait);
}

static size_t consumers_metrics(const struct sim *sim, const struct component *c, int64_t end_ns,
                                struct metric_out *out, size_t max)
{
    const struct consumers *g = (const struct consumers *)c;
    double busy = sim_level_mean(sim, &c->st.busy, end_ns);
    struct metric_out m[32];
    size_t n = 0;
    m[n++] = (struct metric_out){"processed", (double)g->processed, true};
    m[n++] = (struct metric_out){"redelivered", (double)g->redelivered, true};
    m[n++] = (struct metric_out){"lost", (double)g->lost, true};
    m[n++] = (struct metric_out){"failed_processing", (double)g->failed, true};
    m[n++] = (struct metric_out){"duplicates_processed", (double)g->duplicates, true};
    m[n++] = (struct metric_out){"visibility_expired", (double)g->vt_expired, true};
    m[n++] = (struct metric_out){"out_of_order", (double)g->out_of_order, true};
    double servers = c->st.servers; /* autoscaled: the mean of the consumers it had */
    if (g->autoscale)
        servers = sim_level_mean(sim, &c->st.capacity, end_ns);
    m[n++] = (struct metric_out){"consumer_utilization", servers > 0 ? busy / servers : 0.0,
                                 true};
    if (g->dedupe_ns >= 0) {
        m[n++] = (struct metric_out){"deduped", (double)g->deduped, true};
        m[n++] = (struct metric_out){"dedupe_ids_max", (double)g->dedupe_ids_max, true};
        m[n++] = (struct metric_out){"dedupe_bytes_max", (double)g->dedupe_bytes_max, true};
    }
    if (g->q && g->q->mode == MODE_FANOUT) {
        /* a subscription of a topic: its own lag (with one group the
         * queue's figures are the group's) */
        m[n++] = (struct metric_out){"backlog_mean", sim_level_mean(sim, &g->backlog, end_ns), true};
        m[n++] = (struct metric_out){"e2e_mean_ms", hist_mean(g->e2e) / 1e6, true};
        m[n++] = (struct metric_out){"e2e_p99_ms", (double)hist_quantile(g->e2e, 0.99) / 1e6, true};
        m[n++] = (struct metric_out){"dropped_oldest", (double)g->dropped_oldest, true};
    }
    if (owned(g) && g->nstn > 0) { /* partitions owned by one consumer each */
        int64_t paused = g->paused_ns;
        if (g->paused && end_ns > g->pause_mark_ns)
            paused += end_ns - g->pause_mark_ns;
        m[n++] = (struct metric_out){"rebalances", (double)g->rebalances, true};
        m[n++] = (struct metric_out){"rebalance_paused_s", units_ns_to_s(paused), true};
        struct level idle = g->idle_lv; /* brought up to end_ns (the run's end closes it) */
        if (end_ns > idle.last_ns)
            idle.area += (double)idle.value * (double)(end_ns - idle.last_ns);
        m[n++] = (struct metric_out){"idle_consumers", sim_level_mean(sim, &idle, end_ns), true};
    }
    if (g->ack_delay_ns > 0 || (owned(g) && g->nstn > 0))
        m[n++] = (struct metric_out){"acks_lost", (double)g->acks_lost, true};
    if (g->prefetch && g->pf) { /* per-consumer buffers */
        double worst = 0;
        for (uint32_t k = 0; k < g->npf; k++) {
            double b = sim_level_mean(sim, &g->pf[k].buffered, end_ns);
            worst = b > worst ? b : worst;
        }
        m[n++] = (struct metric_out){"buffered_mean", sim_level_mean(sim, &g->pf_buffered, end_ns),
                                     true};
        m[n++] = (struct metric_out){"buffered_worst_mean", worst, true};
        m[n++] = (struct metric_out){"buffer_wait_mean_ms", hist_mean(g->pf_wait) / 1e6, true};
        m[n++] = (struct metric_out){"buffer_wait_p99_ms",
                                     (double)hist_quantile(g->pf_wait, 0.99) / 1e6, true};
    }
    if (c->ncallees > 0) { /* its calls (with guards: as a service's) */
        double calls = (double)g->calls_sent, timeouts = 0, opens = 0, rej_br = 0, rej_bh = 0,
               fallbacks = 0;
        for (size_t k = 0; g->deps && k < c->ncallees; k++) {
            const struct dep *dp = &g->deps[k];
            calls += (double)dp->calls;
            timeouts += (double)dp->timeouts;
            opens += (double)(dp->br.opens - dp->opens_at_cut);
            rej_br += (double)dp->rej_breaker;
            rej_bh += (double)dp->rej_bulkhead;
            fallbacks += (double)dp->fallbacks;
        }
        m[n++] = (struct metric_out){"calls", calls, true};
        m[n++] = (struct metric_out){"failed_calls", (double)g->calls_failed, true};
        if (g->deps) {
            m[n++] = (struct metric_out){"call_timeouts", timeouts, true};
            m[n++] = (struct metric_out){"breaker_opens", opens, true};
            m[n++] = (struct metric_out){"breaker_rejected", rej_br, true};
            m[n++] = (struct metric_out){"fallbacks", fallbacks, true};
            m[n++] = (struct metric_out){"bulkhead_rejected", rej_bh, true};
        }
    }
    n = n < max ? n : max;
    memcpy(out, m, n * sizeof *out);
    return n;
}

/* The group's lag in seconds now: the age of the oldest message at the
 * head of a partition (parked, or waiting), 0 when none waits. */
static double lag_s(const struct sim *sim, const struct consumers *g)
{
    int64_t oldest = INT64_MAX;
    for (uint32_t i = 0; i < g->nstn; i++) {
        const struct parked *pk = &g->parked[i];
        const struct station *st = &g->stn[i];
        if (pk->len > 0 && pk->ring[pk->head]->born_ns < oldest)
            oldest = pk->ring[pk->head]->born_ns;
        if (st->len > 0 && st->ring[st->head]->born_ns < oldest)
            oldest = st->ring[st->head]->born_ns;
    }
    return oldest == INT64_MAX ? 0 : units_ns_to_s(sim_now(sim) - oldest);
}

/* Every group: its lag in seconds; a subscription of a topic also its lag
 * in messages (its backlog; with one group the queue's backlog is it). */
static size_t consumers_ts_extra(const struct sim *sim, const struct component *c,
                                 const char **names, double *values, size_t max)
{
    const struct consumers *g = (const struct consumers *)c;
    size_t n = 0;
    if (!g->q)
        return 0;
    if (g->q->mode == MODE_FANOUT && n < max) {
        names[n] = "backlog";
        values[n++] = (double)g->backlog.value;
    }
    if (n < max) {
        names[n] = "lag_s";
        values[n++] = lag_s(sim, g);
    }
    if (g->autoscale && n + 2 <= max) {
        names[n] = "consumers_ready";
        values[n++] = (double)g->ready;
        names[n] = "consumers_starting";
        values[n++] = (double)g->starting;
    }
    if (owned(g) && g->nstn > 0 && n < max) {
        names[n] = "rebalancing";
        values[n++] = g->paused ? 1.0 : 0.0;
    }
    if (n < max) { /* publish -> processed of the interval's messages (NaN: none) */
        const struct hist *h = g->ts_e2e;
        names[n] = "e2e_p99_ms";
        bool any = h && g->ts_row == sim->ts.nrows && hist_count(h) > 0;
        values[n++] = any ? (double)hist_quantile(h, 0.99) / 1e6 : (double)NAN;
    }
    return n;
}

static double consumers_capacity_rps(const struct sim *sim, const struct component *c)
{
    (void)sim;
    const struct consumers *g = (const struct consumers *)c;
    if (c->ncallees > 0) /* a consumer is held through its calls, whose time it does not know */
        return (double)NAN;
    double mean = g->service.mean;
    if (g->prefetch) { /* a credit is held for a round trip, a processing and its ack's
                          way: prefetch of them per consumer hide the round trip and the
                          ack, fewer do not */
        double cycle = (g->has_fetch ? g->fetch.mean : 0) + mean + (double)g->ack_delay_ns;
        if (cycle / (double)g->prefetch > mean)
            mean = cycle / (double)g->prefetch;
    } else if (g->has_fetch) { /* saturated, every fetch is full: its round trip shared by
                                  batch */
        mean += g->fetch.mean / (double)g->batch;
    }
    double n = g->autoscale ? (double)g->ready : (double)g->n;
    if (owned(g) && g->q && n >= 1) { /* the busiest owns ceil(P / n) of P even partitions */
        double np = (double)g->q->partitions;
        n = np / ceil(np / n);
    }
    return mean > 0 ? n / (mean / 1e9) : (double)NAN;
}

/* Napkin math (models/napkin.h): a group takes its queue's publishes (each
 * group of a fanout queue all of them; first deliveries only: failures and
 * redeliveries add to it), served by its consumers; the queue's capacity
 * bounds the backlog. */
static const struct component *consumers_napkin_fed_by(const struct component *c)
{
    const struct consumers *g = (const struct consumers *)c;
    return g->q ? &g->q->base : NULL;
}

/* Each processed message makes every call once, in order (first deliveries
 * only, as for the group's own load): its callees get the group's load. */
static void consumers_napkin_visits(const struct component *c, size_t callee,
                                    const struct napkin_flow *in, struct napkin_flow *out)
{
    (void)c;
    (void)callee;
    *out = *in;
}

static void consumers_napkin_server(const struct component *c, struct napkin_server *out)
{
    const struct consumers *g = (const struct consumers *)c;
    out->rps = g->has_service && !g->autoscale ? consumers_capacity_rps(NULL, c) : (double)NAN;
    out->unbounded_queue = g->q && g->q->capacity < 0 && g->q->retention_ns < 0;
}

/* ---- autoscaled consumers ----------------------------------------------------- */

/* A prefetching group's consumers become g->ready. An owned group's
 * members are its first `ready` (member_live): the removed ones hand their
 * buffers back. A shared group's leaving consumers are chosen now: those
 * processing nothing first, then busy ones (each finishes its message),
 * highest number first; a new one is the lowest-numbered absent one (one
 * still finishing its message last), with an empty buffer and its credit.
 * (Without prefetch the consumers are anonymous: the first ones to finish
 * their message leave.) */
static void pf_rescale(struct sim *sim, struct consumers *g)
{
    uint32_t *ks = g->pf_scratch, n = 0;
    if (owned(g)) {
        for (uint32_t k = g->ready; k < g->pf_present; k++)
            ks[n++] = k;
    }
    while (!owned(g) && g->pf_present > g->ready) {
        uint32_t pick = NO_MEMBER;
        for (uint32_t k = g->npf; k-- > 0;)
            if (!g->pf[k].gone && (pick == NO_MEMBER || (g->pf[pick].cur && !g->pf[k].cur)))
                pick = k;
        g->pf[pick].gone = true;
        g->pf_present--;
        ks[n++] = pick;
    }
    while (!owned(g) && g->pf_present < g->ready) {
        uint32_t pick = NO_MEMBER;
        for (uint32_t k = 0; k < g->npf; k++)
            if (g->pf[k].gone && (pick == NO_MEMBER || (g->pf[pick].cur && !g->pf[k].cur)))
                pick = k;
        g->pf[pick].gone = false;
        g->pf_present++;
        pf_sync(g, pick);
    }
    g->pf_present = g->ready;
    if (n > 0)
        pf_hand_back(sim, g, ks, n);
}

static void set_consumers(struct sim *sim, struct consumers *g)
{
    sim_level_add(sim, &g->base.st.capacity, (int64_t)g->ready - g->base.st.capacity.value);
    if (g->prefetch) /* the removed ones hand their buffers back; new ones get credit */
        pf_rescale(sim, g);
    if (owned(g)) /* members join or leave: a rebalance */
        members_changed(sim, g);
    else if (g->prefetch)
        pf_kick(sim, g, 0, NULL);
    else
        station_set_workers(sim, &g->stn[0], g->ready);
}

static void consumer_ready(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct consumers *g = a;
    if (g->starting == 0) /* cancelled by a scale-down meanwhile */
        return;
    g->starting--;
    g->ready++;
    set_consumers(sim, g);
}

/* The metric over the last period (lag: at the reading), per ready consumer.
 * The lag is the messages no consumer has started: waiting (or parked), and
 * fetched into a batch but not yet in processing. Kafka's lag is the log
 * end minus the group's committed offset: a fetch moves the consumer's
 * position, not the commit, so the fetched messages stay in it, and a
 * larger batch hides none of it. (It would also count the message each
 * consumer is processing, at most one a consumer; left out here, as the
 * lag has always left it out at batch = 1.) */
static double consumers_measure(struct sim *sim, struct consumers *g)
{
    double secs = (double)(sim_now(sim) - g->hpa_last_ns) / 1e9;
    sim_level_add(sim, &g->hpa_busy, 0); /* bring the areas up to now */
    double busy = (g->hpa_busy.area - g->hpa_busy_mark) / 1e9 / secs;
    double arrivals = (double)g->hpa_arrivals;
    double per = g->ready ? (double)g->ready : 1.0;
    g->hpa_busy_mark = g->hpa_busy.area;
    g->hpa_arrivals = 0;
    g->hpa_last_ns = sim_now(sim);
    switch (g->hpa.metric) {
    case HPA_UTILISATION:
        return busy / per;
    case HPA_QUEUE: /* refused at build: lag says it */
        break;
    case HPA_RPS:
        return arrivals / secs / per;
    case HPA_LAG: { /* not yet started: waiting, or fetched into a consumer's batch */
        long long lag = g->backlog.value;
        for (uint32_t i = 0; i < g->nstn; i++)
            lag += g->parked[i].fetched;
        return (double)lag / per;
    }
    }
    return 0;
}

/* Every period: the HPA rule's count; new consumers take messages after
 * cold_start, removed ones finish the message they hold. */
static void consumers_sync(struct sim *sim, void *a, void *b)
{
    (void)b;
    struct consumers *g = a;
    double metric = consumers_measure(sim, g);
    uint32_t current = g->ready + g->starting;
    uint32_t want = hpa_decide(&g->hpa, sim_now(sim), current, metric);
    while (current < want) {
        g->starting++;
        current++;
        sim_after(sim, g->hpa.cold_start_ns, consumer_ready, g, NULL);
    }
    bool fewer = false;
    while (current > want && current > 1) {
        if (g->starting > 0) {
            g->starting--; /* the newest start is abandoned */
        } else {
            g->ready--;
            fewer = true;
        }
        current--;
    }
    if (fewer)
        set_consumers(sim, g);
    if (sim_now(sim) + g->hpa.period_ns <= sim->end_ns)
        sim_after(sim, g->hpa.period_ns, consumers_sync, g, NULL);
}

static void consumers_start(struct sim *sim, struct component *c)
{
    struct consumers *g = (struct consumers *)c;
    if (!g->autoscale)
        return;
    hpa_start(&g->hpa, sim_now(sim), g->ready);
    g->hpa_last_ns = sim_now(sim);
    sim_after(sim, g->hpa.period_ns, consumers_sync, g, NULL);
}

static void dep_returned(struct sim *sim, struct component *c, struct request *p)
{
    call_returned(sim, c, p);
}

/* `calls` and their guards (call_timeout, breaker, fallback, bulkhead):
 * one guarded call per callee when any guard is asked for, as a service's. */
static int read_calls(struct sim *sim, struct consumers *g, const struct sc_section *s,
                      struct diag *d)
{
    struct component *c = &g->base;
    if (kind_read_callees(sim, c, s, "calls", false, d) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < c->ncallees; i++)
        if (c->callees[i]->kind == &kind_consumers)
            rc = diag_error(d, c->callee_locs[i],
                            "'%s' is a [consumers] group: nothing is sent to one; publish to "
                            "its queue instead",
                            c->callees[i]->name);
    struct dep_config cfg = {.hedges = 1};
    if (dep_read_guards(s, consumers_params, &cfg, d) < 0)
        rc = -1;
    bool any = cfg.timeout_ns > 0 || cfg.breaker || cfg.bulkhead;
    if (any && c->ncallees == 0)
        return diag_error(d, s->loc, "call_timeout, breaker and bulkhead guard `calls`, and "
                                     "[consumers %s] has none",
                          s->name);
    if (!any || rc < 0)
        return rc;
    g->deps = xcalloc(c->ncallees, sizeof *g->deps);
    for (uint32_t k = 0; k < c->ncallees; k++)
        if (dep_setup(sim, &g->deps[k], c, k, &cfg, dep_returned, d) < 0)
            rc = -1;
    return rc;
}

static int consumers_build(struct sim *sim, struct component *c, const struct sc_section *s,
                           struct diag *d)
{
    struct consumers *g = (struct consumers *)c;
    int rc = 0;
    long long n;
    if (kp_int(s, consumers_params, "consumers", 1, 1000000, &n, d) < 0)
        rc = -1, n = 1;
    bool present;
    if (kp_dist(s, consumers_params, "service", DIST_DURATION, &g->service, &present, d) < 0)
        rc = -1;
    else if (!present)
        rc = diag_error(d, s->loc, "[consumers %s] needs 'service = DIST', e.g. exp(mean=10ms)",
                        s->name);
    g->has_service = present && rc == 0;
    struct loc loc;
    const char *ack = kp_raw(s, consumers_params, "ack", &loc);
    if (strcmp(ack, "on_receive") == 0)
        g->ack_on_receive = true;
    else if (strcmp(ack, "after_processing") != 0)
        rc = diag_error(d, loc, "bad ack '%s': after_processing or on_receive", ack);
    if (kp_fraction(s, consumers_params, "fail", &g->fail, d) < 0)
        rc = -1;
    if (kp_fraction(s, consumers_params, "poison", &g->poison, d) < 0)
        rc = -1;
    rng_stream(&g->fail_rng, sim->seed, s->name, "fail");
    g->sim = sim;
    g->dedupe_ns = -1;
    const char *dd = kp_raw(s, consumers_params, "dedupe", &loc);
    if (strcmp(dd, "none") != 0) {
        if (kp_duration(s, consumers_params, "dedupe", &g->dedupe_ns, d) < 0)
            rc = -1, g->dedupe_ns = -1;
        else if (g->dedupe_ns <= 0)
            rc = diag_error(d, loc, "dedupe must be above 0 (or none)"), g->dedupe_ns = -1;
    }
    const struct sc_entry *e = sc_find_entry(s, "from");
    if (!e) {
        rc = diag_error(d, s->loc, "[consumers %s] needs 'from = QUEUE' (the queue it reads)",
                        s->name);
    } else {
        struct component *to = kind_lookup(sim, e->value);
        if (!to || to->kind != &kind_queue) {
            const char *names[256];
            size_t k = 0;
            for (size_t i = 0; i < sim->ncomps && k < 256; i++)
                if (sim->comps[i]->kind == &kind_queue)
                    names[k++] = sim->comps[i]->name;
            const char *near = diag_closest(e->value, names, k);
            if (to)
                rc = diag_error(d, e->val_loc, "'%s' is a [%s], not a [queue]", e->value,
                                to->kind->name);
            else if (near)
                rc = diag_error(d, e->val_loc, "no queue named '%s' (did you mean '%s'?)",
                                e->value, near);
            else
                rc = diag_error(d, e->val_loc, "no queue named '%s'", e->value);
        } else {
            /* The queue checks at its build (its mode is read then) that
             * only a fanout queue has several groups. */
            struct queue *q = (struct queue *)to;
            g->q = q;
            g->from_loc = e->val_loc;
            q->groups = xrealloc(q->groups, (q->ngroups + 1) * sizeof *q->groups);
            q->groups[q->ngroups++] = g;
        }
    }
    struct loc aloc;
    const char *as = kp_raw(s, consumers_params, "autoscale", &aloc);
    if (strcmp(as, "none") != 0) {
        if (hpa_setup(&g->hpa, as, aloc, d) < 0) {
            rc = -1;
        } else if (g->hpa.metric == HPA_QUEUE) {
            rc = diag_error(d, aloc, "metric = queue is for a service: a [consumers] group "
                                     "scales on lag (messages not yet started per consumer), "
                                     "utilisation or rps");
        } else if (n < g->hpa.min || n > g->hpa.max) {
            rc = diag_error(d, aloc, "the %lld consumers it starts with are outside the "
                                     "autoscaler's min %u and max %u",
                            n, g->hpa.min, g->hpa.max);
        } else {
            g->autoscale = true;
            g->autoscale_loc = aloc;
            g->ready = (uint32_t)n;
        }
    }
    const char *asg = kp_raw(s, consumers_params, "assignment", &loc);
    if (strcmp(asg, "shared") == 0)
        g->assign = ASSIGN_SHARED;
    else if (strcmp(asg, "range") == 0)
        g->assign = ASSIGN_RANGE;
    else if (strcmp(asg, "round_robin") == 0)
        g->assign = ASSIGN_ROUND_ROBIN;
    else /* taken as range: the queue then asks for no multiple (no second error) */
        rc = diag_error(d, loc, "bad assignment '%s': shared, range or round_robin", asg),
        g->assign = ASSIGN_RANGE;
    if (kp_duration(s, consumers_params, "rebalance", &g->rebalance_ns, d) < 0)
        rc = -1, g->rebalance_ns = 0;
    else if (g->rebalance_ns > 0 && g->assign == ASSIGN_SHARED && rc == 0)
        rc = diag_error(d, sc_find_entry(s, "rebalance")->val_loc,
                        "rebalance needs 'assignment = range' or 'round_robin' on [consumers %s]: "
                        "shared consumers own no partitions",
                        s->name);
    if (kp_duration(s, consumers_params, "ack_delay", &g->ack_delay_ns, d) < 0)
        rc = -1, g->ack_delay_ns = 0;
    else if (g->ack_delay_ns > 0 && g->ack_on_receive)
        rc = diag_error(d, sc_find_entry(s, "ack_delay")->val_loc,
                        "ack_delay needs 'ack = after_processing': with on_receive the message "
                        "is acked when a consumer takes it");
    if (read_calls(sim, g, s, d) < 0)
        rc = -1;
    /* batch receive: a consumer holds its worker through its fetch, even
     * past a scale-down (station_handover) or a rebalance */
    long long nb;
    if (kp_int(s, consumers_params, "batch", 1, 1000000, &nb, d) < 0)
        rc = -1, nb = 1;
    g->batch = (uint32_t)nb;
    if (kp_dist(s, consumers_params, "fetch_latency", DIST_DURATION, &g->fetch, &g->has_fetch,
                d) < 0)
        rc = -1, g->has_fetch = false;
    /* prefetch: per-consumer buffers */
    const struct sc_entry *pe = sc_find_entry(s, "prefetch");
    if (pe && strcmp(pe->value, "none") != 0) {
        long long np;
        if (kp_int(s, consumers_params, "prefetch", 1, 1000000, &np, d) < 0) {
            rc = -1;
        } else if (rc == 0) {
            g->prefetch = (uint32_t)np, g->prefetch_loc = pe->val_loc;
        }
    }
    g->n = n; /* its stations are built by the queue, which knows the partitions */
    sim_stats_init(sim, &c->st, true);
    sim_level_init(sim, &g->backlog);
    g->e2e = hist_new();
    c->st.servers = g->autoscale ? (double)g->hpa.max : (double)n;
    c->st.replicas_up = 1;
    c->st.capacity.value = n;
    return rc;
}

/* The consumers a fault's `replica` may name: an owned group's members (the
 * queue's check bounds them by an autoscaler's max once capped); a shared
 * group is one node. */
static uint32_t consumers_nodes(const struct component *c)
{
    const struct consumers *g = (const struct consumers *)c;
    if (!owned(g) && !g->prefetch)
        return 1;
    /* an owned group's members; a prefetching group's consumers (each has
     * its own buffer: one node each) */
    return g->autoscale ? g->hpa.max : (uint32_t)g->n;
}

static void consumers_fini(struct component *c)
{
    struct consumers *g = (struct consumers *)c;
    for (uint32_t i = 0; i < g->nstn; i++) {
        station_fini(&g->stn[i]);
        free(g->parked[i].ring);
    }
    free(g->stn);
    free(g->parked);
    free(g->mdown);
    free(g->mnf);
    free(g->mpart);
    free(g->mcursor);
    free(g->own_start);
    free(g->own_len);
    free(g->own_parts);
    free(g->powner);
    free(g->pserver);
    if (g->acks)
        for (uint32_t k = 0; k < acks_n(g); k++)
            free(g->acks[k].ring);
    free(g->acks);
    free(g->aepoch);
    free(g->seen.id);
    free(g->seen.at);
    idmap_free(&g->seen_set);
    idmap_free(&g->family);
    idmap_free(&g->last_seq);
    hist_free(g->e2e);
    hist_free(g->ts_e2e);
    if (g->has_service)
        dist_fini(&g->service);
    for (size_t k = 0; g->deps && k < c->ncallees; k++)
        dep_fini(&g->deps[k]);
    free(g->deps);
    free(g->ctab);
    for (uint32_t i = 0; i < g->fbcap; i++)
        free(g->fb[i].m);
    free(g->fb);
    idmap_free(&g->held_by);
    idmap_free(&g->vt_sent);
    for (uint32_t k = 0; g->pf && k < g->npf; k++)
        pf_fini(&g->pf[k]);
    free(g->pf);
    pf_set_fini(&g->pf_credit);
    free(g->pf_scratch);
    free(g->pf_cursor);
    hist_free(g->pf_wait);
    if (g->has_fetch)
        dist_fini(&g->fetch);
}

const struct kind kind_consumers = {
    .name = "consumers",
    .summary = "a group of consumers reading a [queue]: each processes one message at a time, "
               "oldest first, then makes its calls (calls = db, ...: acked after them) "
               "(assignment = range or round_robin: each partition owned by one consumer, "
               "rebalanced when one joins or leaves)",
    .params = consumers_params,
    .size = sizeof(struct consumers),
    .build = consumers_build,
    .on_request = consumers_on_request,
    .on_reply = consumers_on_reply,
    .reset = consumers_reset,
    .fini = consumers_fini,
    .metrics = consumers_metrics,
    .start = consumers_start,
    .capacity_rps = consumers_capacity_rps,
    .napkin_server = consumers_napkin_server,
    .napkin_fed_by = consumers_napkin_fed_by,
    .napkin_visits = consumers_napkin_visits,
    .ts_extra = consumers_ts_extra,
    .fault = consumers_fault,
    .nodes = consumers_nodes,
    .build_stage = 0,
};
