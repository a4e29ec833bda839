/* columns_kinds: the documentation of the figures component kinds report
 * beyond the fixed columns: the extra runs.csv columns (and their
 * summary.csv rows) of each kind's metrics hook, and the time-series
 * columns of its ts_extra hook. The values come from the kinds
 * (the models); the names here must match theirs, which
 * tests/check_columns.c and tests/e2e.sh check against real runs. A name
 * with <i> stands for one column per node or shard (0, 1, ...). */
#include "output/columns.h"

#define KM(n, u, m, k, s) {{n, u, m, "when a " k " reports it", s}, k, true, false}
#define KS(n, u, m, k, s) {{n, u, m, "when a " k " reports it", s}, k, false, false}
#define KT(n, u, m, k, s) {{n, u, m, "every interval, when a " k " records it", s}, k, true, true}
#define CNT "counted after the warm-up cut"
#define RES "clients with retries, timeouts, breakers or fallbacks"

const struct kind_metric columns_kind_metrics[] = {
    /* cache */
    KM("hit_ratio", "ratio", "lookups answered from the cache", "cache", "hits / (hits + misses)"),
    KM("hits", "lookups", "lookups found in the cache", "cache", CNT),
    KM("misses", "lookups", "lookups not found", "cache", CNT),
    KM("coalesced", "lookups", "misses that joined a load already under way", "cache", CNT),
    KM("early_refreshes", "loads", "entries reloaded before they expired", "cache", CNT),
    KM("wb_dropped", "writes", "write-behind writes lost (crash or full buffer)", "cache", CNT),
    KM("wb_rejected", "writes", "writes refused because the write-behind buffer was full",
       "cache", CNT),
    KM("wb_unflushed", "writes", "write-behind writes not yet flushed at the end", "cache",
       "buffer length + writes in flight at the end"),
    KM("events_lost", "events", "invalidation events lost", "cache", CNT),
    KM("byte_hit_ratio", "ratio", "bytes answered from the cache (byte mode)", "cache",
       "bytes hit / bytes requested"),
    KM("bytes_cached", "bytes", "bytes held at the end (byte mode)", "cache", "the policy"),
    KM("too_big", "objects", "objects larger than the cache, never stored (byte mode)", "cache",
       CNT),
    KM("lookup_rejected", "lookups", "lookups refused by a full lookup queue", "cache", CNT),
    KT("objects", "objects", "objects in the cache", "cache", "the eviction policy's size"),
    KT("wb_queue", "writes", "write-behind writes waiting or in flight", "cache", "the buffer"),
    /* client */
    KS("rate_limited", "requests", "requests refused by a rate limiter (summed over clients)",
       "client behind a limit", CNT),
    KM("breaker_cycles", "cycles", "times a half-open breaker closed again (closed, open, closed)",
       "client or service", CNT),
    KM("breaker_reopens", "openings", "times a half-open breaker's probes failed and it opened again",
       "client or service", CNT),
    KS("fallbacks", "requests", "requests answered by a fallback", "client", RES),
    KS("rejected_queue", "requests", "rejections by a full queue", "client", RES),
    KS("rejected_breaker", "requests", "rejections by an open breaker", "client", RES),
    KS("rejected_bulkhead", "requests", "rejections by a full bulkhead", "client", RES),
    KS("rejected_shed", "requests", "rejections by load shedding", "client", RES),
    KS("errors_failed", "requests", "errors from a failed replica", "client", RES),
    KS("errors_call_timeout", "requests", "errors from a call timeout downstream", "client", RES),
    KS("errors_dropped", "requests", "errors from a dropped request", "client", RES),
    KS("attempt_timeouts", "attempts", "attempts that timed out", "client", RES),
    KS("hedges", "attempts", "hedged attempts sent", "client", RES),
    KS("retries_denied", "retries", "retries refused by the retry budget", "client", RES),
    KS("total_calls", "calls", "reads and compare-and-set writes of the users", "client",
       "optimistic-concurrency clients"),
    KS("occ_reads", "calls", "reads of the optimistic-concurrency users", "client", CNT),
    KS("occ_writes", "calls", "compare-and-set writes of those users", "client", CNT),
    KS("last_completion_s", "s", "when the last user finished", "client",
       "empty when none finished"),
    KS("unfinished_users", "users", "users not finished at the end", "client",
       "offered - finished"),
    KM("breaker_opens", "openings", "times the breaker opened", "client, service or consumers", CNT),
    KM("breaker_open_s", "s", "time the breaker spent open", "client or service", CNT),
    KM("breaker_rejected", "requests", "calls refused by the open breaker",
       "client, service or consumers", CNT),
    KT("breaker_state", "0/0.5/1", "breaker: 0 closed, 0.5 half open, 1 open (the worst)",
       "client or service", "the breakers at the sample"),
    /* service */
    KM("wasted_work_s", "s", "service time spent on requests whose caller had given up",
       "service", CNT),
    KM("dropped", "requests", "requests dropped (crash, abandoned)", "service", CNT),
    KM("shed", "requests", "requests refused by load shedding", "service", CNT),
    KM("calls", "calls", "calls made to downstream components", "service or consumers", CNT),
    KM("call_timeouts", "calls", "downstream calls that timed out", "service or consumers", CNT),
    KM("breaker_half_open_s", "s", "time the breakers spent half open", "service", CNT),
    KM("fallbacks", "calls", "calls answered by a fallback", "service or consumers", CNT),
    KM("bulkhead_rejected", "calls", "calls refused by a full bulkhead", "service or consumers", CNT),
    KM("call_hedges", "calls", "hedged downstream calls", "service", "with call hedging"),
    KT("starting", "replicas", "replicas starting (cold start)", "service", "with autoscale"),
    KT("bulkhead_in_flight", "calls", "calls inside the bulkheads", "service", "with bulkheads"),
    KT("bulkhead_limit", "calls", "the bulkheads' limits, summed", "service", "with bulkheads"),
    KT("bulkhead_queue", "calls", "calls waiting for a bulkhead slot", "service",
       "with bulkheads"),
    /* balancer */
    KT("in_rotation", "replicas", "replicas the balancer sends traffic to", "balancer",
       "health checks and outlier ejection"),
    KT("ejections", "ejections", "outlier ejections so far", "balancer", "outlier detection"),
    KM("nodes", "nodes", "replicas (or shards) the shares are taken over",
       "balancer, shards or service", "the pool's size"),
    KM("share_max_over_mean", "ratio", "the busiest node's share of the requests over the mean share",
       "balancer, shards or service", "routed to the busiest / (routed / nodes)"),
    KM("share_cv", "ratio", "coefficient of variation of the nodes' shares of the requests",
       "balancer, shards or service", "standard deviation / mean of the shares"),
    KM("inflight_ge<i>", "ratio",
       "time-average fraction of replicas with at least i of the balancer's requests (i = 0..8)",
       "balancer", "time-weighted over the measured window"),
    KM("admitted_rps", "1/s", "requests the rate limiter let through, per second",
       "balancer or service with a limit", "admitted / window_s"),
    KM("rate_limited", "requests", "requests the rate limiter refused",
       "balancer or service with a limit", CNT),
    KM("delayed", "requests", "requests a leaky bucket held before sending them on",
       "balancer or service with a limit", CNT),
    KM("peak_passed", "requests", "the most requests let through in any one window's span",
       "balancer or service with a limit", "at a tenth of a window's resolution"),
    KM("limiter_scopes", "scopes", "limiter states held (one per client, key or user seen)",
       "balancer or service with a limit", "at the end"),
    KM("limiter_entries", "entries", "numbers the limiter stores (a sliding log: one per admitted request in its window)",
       "balancer or service with a limit", "at the end"),
    KM("limiter_entries_max", "entries", "the most numbers the limiter stored at once",
       "balancer or service with a limit", "over the run"),
    KM("limiter_bytes", "bytes",
       "memory the limiter's states take (with sync: the global count's and every node's copy)",
       "balancer or service with a limit",
       "at the end"),
    KT("limiter_entries", "entries", "numbers the limiter stores", "balancer or service with a limit",
       "at the sample"),
    KM("over_admission", "ratio",
       "requests admitted beyond what one exact limiter at one place would have admitted of "
       "the same requests, over that (0: exact)",
       "balancer or service with a store or sync limit", "admitted / shadow limiter's admitted - 1"),
    KM("store_errors", "checks", "limit checks the counter store failed or did not answer in "
       "store_timeout (settled by on_store_error)", "balancer or service with a store limit", CNT),
    KM("check_mean_ms", "ms", "mean time a limit check took at the counter store, send to "
       "answer (the latency it adds to each request)", "balancer or service with a store limit",
       "answered checks, " CNT),
    KT("admitted_rps", "1/s", "requests the rate limiter let through in the interval, per second",
       "balancer or service with a limit", "passes in the interval / interval"),
    KT("limit_rps", "1/s", "the limit as a rate (rate, or limit / window) of one scope",
       "balancer or service with a limit", "the limiter's parameters"),
    /* store */
    KS("reads", "reads", "reads served (summed over stores)", "store", CNT),
    KS("stale_reads", "reads", "reads that returned an old version", "store", CNT),
    KS("writes", "writes", "writes committed", "store", CNT),
    KS("lost_writes", "writes", "acknowledged writes later lost", "store", CNT),
    KS("store_reads", "reads", "reads that reached the store", "store", CNT),
    KS("cas_conflicts", "writes", "compare-and-set writes refused by a newer version", "store",
       CNT),
    /* replicaset and multileader */
    KM("reads", "reads", "reads served", "replicaset or multileader", CNT),
    KM("stale_fraction", "ratio", "reads that missed the newest write a leader committed, acknowledged to its client or not (with ack = sync, a read during replication counts)",
       "replicaset or multileader", "stale reads / reads"),
    KM("stale_versions_mean", "versions", "mean versions behind, over the stale reads",
       "replicaset or multileader", CNT),
    KM("stale_behind_ms_mean", "ms", "mean time behind, over the stale reads",
       "replicaset or multileader", CNT),
    KM("writes", "writes", "writes accepted", "replicaset or multileader", CNT),
    KM("failed", "requests", "requests that failed (no quorum, node down)",
       "replicaset or multileader", CNT),
    KM("ryw_violation_fraction", "ratio", "reads that missed the session's own write",
       "replicaset", "violations / reads"),
    KM("lost_writes", "writes", "acknowledged writes lost at a failover", "replicaset", CNT),
    KM("leader_fallbacks", "reads", "session reads sent to the leader", "replicaset", CNT),
    KM("queue_full", "requests", "requests refused by a full node queue", "replicaset", CNT),
    KM("session_waits", "reads", "session reads that waited for a node to catch up",
       "replicaset", CNT),
    KM("session_wait_ms_mean", "ms", "mean wait of those reads", "replicaset", CNT),
    KM("node<i>_busy", "workers", "mean busy workers of node i (first 10 nodes)", "replicaset",
       "time-weighted level"),
    KM("node<i>_queue", "requests", "mean queue of node i (first 10 nodes)", "replicaset",
       "time-weighted level"),
    KM("conflicting_writes", "writes", "writes concurrent with another on the same key",
       "multileader", CNT),
    KM("lost_updates", "writes", "writes overwritten by a concurrent one (last writer wins)",
       "multileader", CNT),
    KM("lost_to_earlier", "writes", "of those, lost to a write that began earlier",
       "multileader", CNT),
    KM("sibling_reads", "reads", "reads that returned more than one value", "multileader", CNT),
    KM("siblings_mean", "values", "mean values per read that had a value", "multileader", CNT),
    KM("partial_writes", "writes", "writes that reached only some leaders", "multileader", CNT),
    /* shards */
    KM("keys_moved", "keys", "keys moved by resharding", "shards", "the shard map"),
    KM("moved_fraction", "ratio", "share of the key space moved", "shards", "keys_moved / keys"),
    KM("copy_s", "s", "how long the copy of moved keys took", "shards", "the copy's span"),
    KM("unavailable", "requests", "requests to keys being moved, refused", "shards", CNT),
    KM("shard<i>_share", "ratio", "share of requests routed to shard i (first 16)", "shards",
       "routed to i / routed"),
    /* queue and consumers (messaging) */
    KM("published", "messages", "publishes that reached the broker", "queue", CNT),
    KM("rejected_full", "messages", "publishes refused by a full queue (full = reject)", "queue",
       CNT),
    KM("dropped_oldest", "messages", "waiting messages dropped to make room (full = drop_oldest; "
       "a consumers group of a fanout queue: its own)", "queue or consumers", CNT),
    KM("backlog_mean", "messages", "mean messages waiting for a consumer, time-weighted (a fanout "
       "queue: of all its groups; a consumers group of one: its own)", "queue or consumers",
       "time-weighted level"),
    KM("e2e_mean_ms", "ms", "mean time from a publish's arrival at the broker to the end of its "
       "processing (a consumers group of a fanout queue: its own copies)", "queue or consumers",
       "histogram of processed messages"),
    KM("e2e_p99_ms", "ms", "99th percentile of that time", "queue or consumers",
       "histogram of processed messages"),
    KT("backlog", "messages", "messages waiting for a consumer (a consumers group of a fanout "
       "queue: its own)", "queue or consumers", "at the sample"),
    KM("processed", "messages", "messages whose processing ended", "consumers", CNT),
    KM("redelivered", "messages", "messages delivered again (ack = after_processing): a crash "
       "of the consumers cut their processing, or it failed", "consumers", CNT),
    KM("lost", "messages", "messages a crash of the consumers cut, or whose processing failed, "
       "after an ack on receive", "consumers", CNT),
    KM("failed_processing", "messages", "processings that failed (fail, poison, an errors fault, "
       "a failed call)", "consumers", CNT),
    KM("failed_calls", "calls", "calls of the consumers' processings that came back failed, "
       "timed out or refused (each failed its processing)", "consumers with calls", CNT),
    KM("duplicates_processed", "messages", "processings of a message this group had processed "
       "already (a delivery whose visibility timeout ended in processing came back, or a crash "
       "lost its ack)",
       "consumers", CNT),
    KM("visibility_expired", "deliveries", "deliveries still in processing when the queue's "
       "visibility_timeout ended: the broker delivered the message again", "consumers", CNT),
    KM("deduped", "deliveries", "deliveries of a message whose id an idempotent consumer "
       "remembered: acked without processing", "consumers with dedupe", CNT),
    KM("dedupe_ids_max", "ids", "most message ids an idempotent consumer remembered at once",
       "consumers with dedupe", "the peak over the run"),
    KM("dedupe_bytes_max", "bytes", "most memory those ids took (a ring of 16 bytes a place "
       "and a map of 16 bytes a slot, at most half full)", "consumers with dedupe",
       "the peak over the run"),
    KM("out_of_order", "messages", "processings that ended after one of a message of the same "
       "key stored later (several consumers of a partition, a failed message sent to the back, "
       "a redelivered copy, round robin)", "consumers", CNT),
    KT("lag_s", "s", "the group's lag in time: the age of the oldest message waiting at the head "
       "of a partition (0: none waits)", "consumers", "at the sample"),
    KT("consumers_ready", "consumers", "consumers taking messages", "consumers",
       "with autoscale"),
    KT("consumers_starting", "consumers", "consumers starting (cold start)", "consumers",
       "with autoscale"),
    KM("rebalances", "rebalances", "changes of an owning group's members (a consumer joining or "
       "leaving: autoscaler, crash, recovery) that paused it and assigned its partitions again "
       "(changes during a pause are one)", "consumers with assignment = range or round_robin",
       CNT),
    KM("rebalance_paused_s", "s", "time the group took no new message because of a rebalance",
       "consumers with assignment = range or round_robin", "summed over the measured window"),
    KM("idle_consumers", "consumers", "mean consumers owning no partition (beyond the "
       "partitions), time-weighted", "consumers with assignment = range or round_robin",
       "time-weighted level"),
    KM("acks_lost", "messages", "processed messages whose ack a crash of their consumer lost "
       "before it reached the broker (ack_delay): delivered again", "consumers with ack_delay "
       "or assignment = range or round_robin", CNT),
    KM("buffered_mean", "messages", "mean messages in the consumers' prefetch buffers "
       "(delivered, in flight or landed, not yet in processing), time-weighted",
       "consumers with prefetch", "time-weighted level"),
    KM("buffered_worst_mean", "messages", "the most any one consumer had in its prefetch buffer "
       "on average (time-weighted; a slow consumer's stuck messages)", "consumers with prefetch",
       "time-weighted level"),
    KM("buffer_wait_mean_ms", "ms", "mean time from a message's delivery (sent by the broker "
       "to a consumer's buffer) to the start of its processing: the round trip not hidden, "
       "plus the wait behind the consumer's earlier messages", "consumers with prefetch",
       "over the measured window"),
    KM("buffer_wait_p99_ms", "ms", "99th percentile of that time", "consumers with prefetch",
       "over the measured window"),
    KT("rebalancing", "0/1", "1 while a rebalance pauses the group", "consumers with assignment "
       "= range or round_robin", "at the sample"),
    KM("dead_lettered", "messages", "messages delivered max_deliveries times, failing each "
       "time: sent to the dlq, or discarded without one", "queue", CNT),
    KM("lost_at_most_once", "messages", "messages lost because they were acked on receive: a "
       "crash cut or a failure of their processing (every group)", "queue", CNT),
    KM("lost_retention", "messages", "messages older than the retention, deleted unprocessed",
       "queue", CNT),
    KM("lost_drop_oldest", "messages", "messages dropped for room by a full queue "
       "(full = drop_oldest; = dropped_oldest)", "queue", CNT),
    KM("lost_dead_letter", "messages", "dead letters discarded: no dlq, or a full dlq refused "
       "them", "queue", CNT),
    KM("lost_total", "messages", "stored messages never processed here, every cause: "
       "lost_at_most_once + lost_retention + lost_drop_oldest + lost_dead_letter (+ "
       "lost_broker_crash)",
       "queue", CNT),
    KM("consumer_utilization", "ratio", "mean busy consumers over consumers", "consumers",
       "time-weighted level"),
    KM("replied", "replies", "replies that reached a caller still waiting for them "
       "(request-response: reply = QUEUE)", "queue with reply", CNT),
    KM("late_replies", "replies", "replies that found no caller waiting, dropped: the caller "
       "gave up (its timeout, or a retry published again) or an earlier copy's reply answered "
       "it", "queue with reply", CNT),
    KM("unanswered", "publishes", "publishes whose request message (dropped, expired, "
       "dead-lettered, lost in a crash) or reply (refused by a reply queue that was down) was "
       "lost while their caller waited: it times out, or is still in flight at the end",
       "queue with reply", CNT),
    KM("refused_broker_down", "publishes", "publishes refused because their partition's broker "
       "was down (a crash without failover)", "queue with a fault", CNT),
    KM("lost_broker_crash", "messages", "messages waiting for a consumer when the broker "
       "crashed with persistence = false: lost", "queue with a fault", CNT),
    KM("blocked_publishes", "publishes", "publishes that waited for a partition's leader "
       "failover to end (failover = D)", "queue with a fault", CNT),
    KM("blocked_full", "publishes", "publishes that found their partition full and waited at "
       "the broker, unacked, for room (full = block)", "queue with full = block", CNT),
    KM("blocked_gone", "publishes", "held publishes (full = block) whose caller gave up (its "
       "timeout, or a retry) before room freed: dropped unstored", "queue with full = block", CNT),
    KM("bytes_held_mean", "bytes", "mean bytes the broker holds, time-weighted, counted as "
       "capacity counts messages (every group and partition)", "queue with message_size",
       "time-weighted level"),
    KM("bytes_held_max", "bytes", "most bytes the broker held at once (every group and "
       "partition)", "queue with message_size", "the peak over the measured window"),
    KM("rejected_too_large", "messages", "publishes larger than capacity_bytes, refused "
       "outright whatever full says (not in rejected_full)", "queue with message_size", CNT),
    KM("published_bytes", "bytes", "the bytes of the publishes that reached the broker (stored "
       "or refused)", "queue with message_size", CNT),
    KM("rejected_bytes", "bytes", "the bytes of the publishes refused: rejected_full and "
       "rejected_too_large (rejected_bytes / rejected_full: the mean size refused)",
       "queue with message_size", CNT),
    KT("bytes_held", "bytes", "bytes the broker holds (every group and partition)",
       "queue with message_size", "at the sample"),
    KT("bytes_cap", "bytes", "the most bytes_held can reach: capacity_bytes times the "
       "partitions of every group (timeseries.png draws it as a dashed line on bytes_held)",
       "queue with capacity_bytes", "the queue's parameters"),
    KT("e2e_p99_ms", "ms", "99th percentile of publish at the broker -> processed of the group's "
       "messages processed in the interval (empty: none; timeseries.png draws it)", "consumers",
       "histogram of the interval's processed messages"),
    /* fault */
    KM("dropped_messages", "messages", "messages a link fault lost", "fault", CNT),
    /* wars (staleness probe) */
    KM("trials", "reads", "probe reads made", "wars", "the probe"),
    KM("p_consistent", "ratio", "probe reads that saw the latest write", "wars", "the probe"),
    KM("p_within_k", "ratio", "probe reads at most k versions behind", "wars", "the probe"),
    KM("versions_behind_mean", "versions", "mean versions behind per probe read", "wars",
       "the probe"),
    KM("write_mean_ms", "ms", "mean probe write latency", "wars", "the probe's histogram"),
    KM("write_p50_ms", "ms", "median probe write latency", "wars", "the probe's histogram"),
    KM("write_p99_ms", "ms", "99th percentile probe write latency", "wars",
       "the probe's histogram"),
    KM("write_p999_ms", "ms", "99.9th percentile probe write latency", "wars",
       "the probe's histogram"),
    KM("read_mean_ms", "ms", "mean probe read latency", "wars", "the probe's histogram"),
    KM("read_p50_ms", "ms", "median probe read latency", "wars", "the probe's histogram"),
    KM("read_p99_ms", "ms", "99th percentile probe read latency", "wars",
       "the probe's histogram"),
    KM("read_p999_ms", "ms", "99.9th percentile probe read latency", "wars",
       "the probe's histogram"),
    /* auth and rbac at a service or a balancer (models/auth/auth.c, models/admission/gate.c), their outcomes at the client */
    KS("unauthenticated", "requests",
       "requests a service's or gateway's auth refused (failed token refresh or session lookup; summed over "
       "clients)", "client behind a service or balancer with auth or rbac", CNT),
    KS("denied", "requests", "requests a service's or gateway's authorisation denied (summed over clients)",
       "client behind a service or balancer with auth or rbac", CNT),
    KT("unauthenticated_rps", "1/s", "requests ended unauthenticated per second",
       "client behind a service or balancer with auth or rbac", "since the last interval"),
    KT("denied_rps", "1/s", "requests ended denied per second",
       "client behind a service or balancer with auth or rbac", "since the last interval"),
    KM("unauthenticated", "requests", "requests this component's auth refused",
       "service or balancer with auth", CNT),
    KM("refreshes", "calls", "token refreshes (calls to the auth service)", "service or balancer with "
       "jwt(ttl=...)", CNT),
    KM("refresh_failed", "calls", "token refreshes that failed", "service or balancer with jwt(ttl=...)", CNT),
    KM("refreshes_ahead", "calls", "token refreshes made in the background before expiry",
       "service or balancer with jwt(refresh_ahead=...)", CNT),
    KM("session_lookups", "calls", "calls to the session store", "service or balancer with session auth",
       CNT),
    KM("key_fetches", "calls", "signing-key fetches from the key service (every verifier)",
       "service or balancer with jwt(keys=...)", CNT),
    KM("key_waits", "requests", "requests that waited for their verifier's key fetch under way",
       "service or balancer with jwt(keys=..., coalesce=true)", CNT),
    KM("denied", "requests", "requests this component's authorisation denied", "service or balancer with rbac",
       CNT),
    KM("rbac_hit_ratio", "ratio", "permission checks answered by the decision cache",
       "service or balancer with rbac(cache=N)", "hits / checks"),
    KM("policy_calls", "calls", "calls to the policy service (decision cache misses)",
       "service or balancer with rbac(policy=NAME)", CNT),
    {{NULL, NULL, NULL, NULL, NULL}, NULL, false, false},
};
