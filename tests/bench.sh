#!/bin/sh
# make bench: prints speed and memory figures. Nothing here is asserted:
# these machines are shared and noisy, so figures are for reading and for
# comparing runs on one machine (for stable comparisons use
# valgrind --tool=callgrind, which counts instructions).
set -eu
CC=${CC:-cc}
FLAGS="-O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I."
# The objects of today's sources (make sdsim built them), not whatever lies
# in obj/: an object left from a file since moved would be linked twice.
lib_objs() { find sim models output -name '*.c' ! -name main.c | sort | sed 's#^#obj/#; s#[.]c$#.o#'; }
B=obj/bench
mkdir -p $B $B/out

now_ns() { date +%s%N; }
col() { # col FILE NAME: the value of column NAME in the first data row
    awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==2{print $c}' "$1"
}

echo "== event queue: ns per operation at n pending events (lower is better)"
$CC $FLAGS -DEVQ_ARITY=2 tests/bench_evq.c sim/evq.c sim/rng.c sim/xalloc.c -lm -o $B/evq2
$CC $FLAGS -DEVQ_ARITY=4 tests/bench_evq.c sim/evq.c sim/rng.c sim/xalloc.c -lm -o $B/evq4
$B/evq2
$B/evq4
echo "  (hold = pop the earliest + push at now+Exp; churn = cancel a pending timeout + push one."
echo "   sdsim uses the 4-ary heap: as fast as the binary heap when small, faster at 10^6,"
echo "   and unlike the pairing heap it does not degrade on the hold model at 10^6.)"

echo
echo "== whole simulator: sdsim run vs a minimal C event loop (same model, one core; 3 runs of each,"
echo "   alternated, so a busy moment slows both; the median of the 3 ratios)"
$CC $FLAGS tests/bench_minimal.c sim/rng.c -lm -o $B/minimal
N=10000000
for model in mm1:1 mm10:10; do
    name=${model%%:*}; c=${model##*:}
    rate=$(awk -v c="$c" 'BEGIN{print 0.9*c}')
    dur=$(awk -v n=$N -v r="$rate" 'BEGIN{printf "%.0fs", n/r}')
    for rep in 1 2 3; do
        set -- $($B/minimal "$c" 0.9 $N)
        min_rps=$1
        t0=$(now_ns)
        ./sdsim run tests/bench/$name.ini --set sim.duration=$dur -q -o $B/out/$name
        t1=$(now_ns)
        done_n=$(col $B/out/$name/runs.csv completed)
        events=$(col $B/out/$name/runs.csv events)
        awk -v n="$done_n" -v e="$events" -v dt="$(( t1 - t0 ))" -v m="$min_rps" 'BEGIN{
            s = dt / 1e9; printf "%.6f %.6f %.6f %.6f\n", n / s / m, n / s / 1e6, e / s / 1e6, m / 1e6 }'
    done | sort -n | sed -n 2p | awk -v name="$name" '{
        printf "  %-5s rho=0.9  sdsim %5.2f M requests/s, %5.2f M events/s;  minimal loop %5.2f M requests/s;  ratio %.2f (floor 0.5)\n",
               name, $2, $3, $4, $1 }'
done

echo
echo "== progress line: the same M/M/1 run (10^7 requests) without and with --progress"
for opt in --no-progress --progress; do
    t0=$(now_ns)
    ./sdsim run tests/bench/mm1.ini --set sim.duration=11111111s -q $opt -o $B/out/prog 2>/dev/null
    t1=$(now_ns)
    events=$(col $B/out/prog/runs.csv events)
    awk -v e="$events" -v dt="$(( t1 - t0 ))" -v o="$opt" \
        'BEGIN{printf "  %-14s %5.2f M events/s\n", o, e / (dt / 1e9) / 1e6}'
done

echo
echo "== memory: peak resident set of one run, 10^6 vs 10^8 requests (M/M/1, rho = 0.9)"
$CC $FLAGS tests/bench_rss.c -o $B/rss
small=$($B/rss ./sdsim run tests/bench/mm1.ini --set sim.duration=1111111s -q -o $B/out/rss1)
big=$($B/rss ./sdsim run tests/bench/mm1.ini --set sim.duration=111111111s -q -o $B/out/rss2)
awk -v a="$small" -v b="$big" 'BEGIN{printf "  10^6 requests: %d KiB   10^8 requests: %d KiB   growth %+.1f%% (floor: at most +10%%)\n", a, b, (b - a) * 100 / a}'

echo
echo "== memory under overload: bytes of resident memory per request held (an unbounded queue at 2x"
echo "   its capacity, stopped by [sim] max_in_flight at 10^5 and at 10^6 requests held)"
per_req() { # per_req LABEL [--set ...]: peak RSS at 10^5 and 10^6 held, and the slope
    label=$1; shift
    a=$($B/rss ./sdsim run ${OVERLOAD:-tests/bench/overload.ini} "$@" --set sim.max_in_flight=100000 -q \
        -o $B/out/ov1 2>/dev/null)
    b=$($B/rss ./sdsim run ${OVERLOAD:-tests/bench/overload.ini} "$@" --set sim.max_in_flight=1000000 -q \
        -o $B/out/ov2 2>/dev/null)
    w=$(col $B/out/ov2/runs.csv in_flight)
    awk -v a="$a" -v b="$b" -v l="$label" -v w="$w" 'BEGIN{
        printf "  %-38s %7d KiB at 10^5, %8d KiB at 10^6: %5.0f bytes per request held (the client waits for %d)\n",
               l, a, b, (b - a) * 1024 / 900000, w }'
}
per_req "no client timeout"
per_req "timeout = 1s (given up, still queued)" --set load.timeout=1s
OVERLOAD=tests/bench/overload-deep.ini per_req "queued two calls deeper (4 frames)"
peak=$($B/rss ./sdsim run tests/bench/overload.ini --set load.timeout=1s --set app.drop_abandoned=true \
    --set sim.duration=1000s --set sim.max_in_flight=none -q -o $B/out/ov3 2>/dev/null)
echo "  timeout = 1s, drop_abandoned = true: never stopped, peak $peak KiB over 1000 s (2*10^6 requests)"
sizes=$(printf '#include "sim/sim.h"\n#include <stdio.h>\nint main(void){printf("%%zu %%d %%zu %%d", sizeof(struct request), REQ_INLINE_FRAMES, sizeof(struct frame_block), REQ_BLOCK_FRAMES);return 0;}\n' \
    | $CC $FLAGS -x c - -o $B/reqsize && $B/reqsize)
set -- $sizes
echo "  (sizeof(struct request) is $1 bytes with its first $2 frames, a client and the component it"
echo "   calls; every $4 frames deeper add a block of $3 bytes from the pool. The rest is the queue's"
echo "   ring of pointers. A request whose client gave up stays whole until the service reaches it:"
echo "   it is still served, or dropped)"

if [ -f tests/bench_evict.c ]; then
    echo
    echo "== cache eviction policies: 10^7 Zipf(1.0) requests over 10^6 keys, cache of 10^5"
    # the library objects `make` built: the policies are listed in models/registry.c
    $CC $FLAGS tests/bench_evict.c $(lib_objs) \
        -lm -lpthread -o $B/evict
    $B/evict
fi
if [ -f tests/bench_balance.c ]; then
    echo
    echo "== balancing policies: pick + start + done per second"
    # the library objects `make` built (bench depends on sdsim); see bench_balance.c
    $CC $FLAGS tests/bench_balance.c $(lib_objs) \
        -lm -lpthread -o $B/balance
    $B/balance
fi
if [ -f tests/bench_limit.c ]; then
    echo
    echo "== rate limiters: checks per second, most entries held, bytes (one scope; 10^5 keys)"
    $CC $FLAGS tests/bench_limit.c $(lib_objs) \
        -lm -lpthread -o $B/limit
    $B/limit
fi

echo
echo "== requests per second through a [balancer] (10^6 requests, M/M/1 replicas at 80% load)"
printf '  %-22s %14s %14s\n' policy "10 replicas" "1000 replicas"
for policy in random round_robin weighted_round_robin least_connections power_of_two \
              least_response_time consistent_hash rendezvous "rendezvous(fanout=16)"; do
    line=$(printf '  %-22s' "$policy")
    for n in 10 1000; do
        rate=$(awk -v n=$n 'BEGIN{print 0.8*n}')
        dur=$(awk -v r="$rate" 'BEGIN{printf "%.0fs", 1e6/r}')
        t0=$(now_ns)
        ./sdsim run tests/bench/balancer.ini -q -o $B/out/lb --set "lb.policy=$policy" \
            --set app.replicas=$n --set load.arrival="poisson(rate=$rate/s)" --set sim.duration=$dur
        t1=$(now_ns)
        done_n=$(col $B/out/lb/runs.csv completed)
        line="$line$(awk -v n="$done_n" -v dt="$(( t1 - t0 ))" 'BEGIN{printf " %11.2f M/s", n / (dt / 1e9) / 1e6}')"
    done
    echo "$line"
done

echo
echo "== cluster sizes: 10, 1000 and 4096 nodes. Marginal rate: (requests of a long run - those of a"
echo "   run 1/10 as long) / (time difference), so building the model and writing results do not"
echo "   count; then the long run's wall time and peak resident memory"
shards_ini() { # shards_ini N SHARDING: a client at 10000/s, [shards data] and N stores at 50% load
    awk -v n="$1" -v s="$2" 'BEGIN{
        printf "[sim]\nduration = 100s\nseed = 1\n\n[client load]\narrival = poisson(rate=10000/s)\n"
        printf "keys = uniform(n=10000000)\nto = data\n\n[shards data]\nsharding = %s\nto = ", s
        for (i = 0; i < n; i++) printf "%ss%d", (i ? ", " : ""), i
        printf "\n"
        for (i = 0; i < n; i++) printf "\n[store s%d]\nservice = exp(mean=%gms)\n", i, 0.05 * n
    }'
}
sized() { # sized LABEL N DURATION CSV COLUMN -- SDSIM_RUN_COMMAND...
    label=$1 n=$2 dur=$3 csv=$4 column=$5; shift 6
    short=$(awk -v d="$dur" 'BEGIN{printf "%.6fs", d / 10}')
    t0=$(now_ns)
    "$@" --set sim.duration=$short
    t1=$(now_ns)
    a=$(col "$csv" "$column")
    kib=$($B/rss "$@" --set sim.duration=${dur}s)
    t2=$(now_ns)
    b=$(col "$csv" "$column")
    awk -v l="$label" -v n="$n" -v a="$a" -v b="$b" -v d1="$(( t1 - t0 ))" -v d2="$(( t2 - t1 ))" \
        -v k="$kib" -v c="$column" 'BEGIN{ r = d2 > d1 ? (b - a) / ((d2 - d1) / 1e9) : 0
        printf "  %-44s n = %4d %10.0f %s/s  (%6.2f s, %7d KiB)\n", l, n, r, c, d2 / 1e9, k }'
}
for n in 10 1000 4096; do
    for policy in "consistent_hash(vnodes=256)" power_of_two power_of_two_replace; do
        rate=$(awk -v n=$n 'BEGIN{print 0.5*n}')
        dur=$(awk -v r="$rate" 'BEGIN{printf "%.3f", 1e6/r}')
        sized "[balancer] $policy, 50% load" $n $dur $B/out/cl/runs.csv completed -- \
            ./sdsim run tests/bench/balancer.ini -q -o $B/out/cl --set "lb.policy=$policy" \
            --set app.replicas=$n --set load.arrival="poisson(rate=$rate/s)" \
            --set "load.keys=uniform(n=10000000)"
    done
    for sharding in jump "consistent_hash(vnodes=256)" "consistent_hash(vnodes=256, ring_seed=run)"; do
        shards_ini $n "$sharding" > $B/shards.ini
        sized "[shards] $sharding" $n 100 $B/out/sh/runs.csv completed -- \
            ./sdsim run $B/shards.ini -q -o $B/out/sh
    done
    # with R = W = 1 a trial ends at the first of n answers, so trials get shorter as n grows
    wdur=$(case $n in 10) echo 20;; 1000) echo 0.1;; *) echo 0.005;; esac)
    sized "[wars] N = n, R = W = 1" $n $wdur $B/out/wars/runs.csv events -- \
        ./sdsim run tests/bench/wars.ini -q -o $B/out/wars --set q.replicas=$n
    # a write is n - 1 apply events (the stream to every follower): runs get shorter as n grows
    rdur=$(case $n in 10) echo 20;; 1000) echo 1;; *) echo 0.25;; esac)
    for level in eventual "quorum(r=3)"; do
        sized "[replicaset] $level, 10% writes" $n $rdur $B/out/rs/runs.csv completed -- \
            ./sdsim run tests/bench/replicaset.ini -q -o $B/out/rs --set db.replicas=$n \
            --set "db.consistency=$level"
    done
    # a write is n - 1 deliveries, each joining the writes in flight into the node's vector
    mdur=$(case $n in 10) echo 100;; 1000) echo 2;; *) echo 1;; esac)
    sized "[multileader] lww, 10% writes to one key" $n $mdur $B/out/ml/runs.csv completed -- \
        ./sdsim run tests/bench/multileader.ini -q -o $B/out/ml --set db.leaders=$n
done
echo "  (a [replicaset] write is streamed to n - 1 followers, an event each, and a read costs"
echo "   O(log n) to choose its node(s): at 10% writes a request is about 0.1 n events. A"
echo "   [multileader] write is n - 1 deliveries, an event each, each O(writes in flight) work"
echo "   (not O(n)), and a key takes about 130 bytes per leader: one key here)"
echo "  (a [wars] trial is 4n + 2 events: its rate is in events/s. A ring of 4096 x 256"
echo "   points is 16 MiB, built once per run. [shards] needs one store component per shard, and"
echo "   each component's statistics (histograms) take about 190 KiB: that, not the router, is"
echo "   the memory at 1000 and 4096 shards)"

echo
echo "== instructions per request (callgrind counts instructions: stable on a noisy machine)."
echo "   Marginal: (instructions of a run of 3*10^5 requests - those of 10^5) / 2*10^5, so"
echo "   building the model and writing results do not count; the minimal loop's the same way"
if command -v valgrind >/dev/null 2>&1; then
    ir() { # ir COMMAND...: instructions callgrind counts for the command
        valgrind --tool=callgrind --callgrind-out-file=$B/cg.out "$@" >/dev/null 2>$B/cg.err
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p' $B/cg.err
    }
    for model in mm1:1 mm10:10; do
        name=${model%%:*}; c=${model##*:}
        rate=$(awk -v c="$c" 'BEGIN{print 0.9*c}')
        line=""
        for n in 100000 300000; do
            dur=$(awk -v n=$n -v r="$rate" 'BEGIN{printf "%.0fs", n/r}')
            i=$(ir ./sdsim run tests/bench/$name.ini --set sim.duration=$dur -q -o $B/out/ir$n)
            m=$(ir $B/minimal "$c" 0.9 $n)
            done_n=$(col $B/out/ir$n/runs.csv completed)
            line="$line $i $m $done_n"
        done
        echo "$line" | awk -v name="$name" '{
            s = ($4 - $1) / ($6 - $3); m = ($5 - $2) / 200000;
            printf "  %-5s rho=0.9  sdsim %6.0f instructions per request;  minimal loop %5.0f;  ratio %.2f\n",
                   name, s, m, m / s }'
    done
    # What the opt-in analyses cost: M/M/1 with attribution, and with a
    # sampled trace (README quotes these).
    for opt in sim.attribution=on sim.trace=0.1%; do
        line=""
        for n in 100000 300000; do
            dur=$(awk -v n=$n 'BEGIN{printf "%.0fs", n/0.9}')
            i=$(ir ./sdsim run tests/bench/mm1.ini --set sim.duration=$dur --set $opt -q -o $B/out/o$n)
            line="$line $i $(col $B/out/o$n/runs.csv completed)"
        done
        echo "$line" | awk -v o="$opt" '{
            printf "  mm1 with %-18s sdsim %6.0f instructions per request\n", o, ($3 - $1) / ($4 - $2) }'
    done
    # A message through a queue and 10 consumers against a request through a
    # service of 10 workers: the same M/M/10 shape (tests/bench/mm10q.ini).
    line=""
    for name in mm10 mm10q; do
        for n in 100000 300000; do
            dur=$(awk -v n=$n 'BEGIN{printf "%.0fs", n/9}')
            i=$(ir ./sdsim run tests/bench/$name.ini --set sim.duration=$dur -q -o $B/out/q$n)
            line="$line $i $(col $B/out/q$n/runs.csv offered) $(col $B/out/q$n/runs.csv events)"
        done
    done
    echo "$line" | awk '{
        r = ($4 - $1) / ($5 - $2); m = ($10 - $7) / ($11 - $8);
        re = ($6 - $3) / ($5 - $2); me = ($12 - $9) / ($11 - $8);
        printf "  M/M/10 as messages (queue + 10 consumers): %.0f instructions and %.2f events per message,\n", m, me
        printf "         against %.0f and %.2f per request through a service of 10 workers (%.2fx)\n", r, re, m / r }'
else
    echo "  (valgrind is not installed: no instruction counts)"
fi

echo
echo "== -j scaling: a sweep of 8 runs of M/M/10 at rho 0.9 (4*10^6 requests each), -j 1 vs -j 2"
echo "   (runs of 10^6 requests take about 0.1 s now: thread start and the plot, both once per"
echo "   sweep, and a busy moment then weigh more than the runs)"
for j in 1 2; do
    t0=$(now_ns)
    ./sdsim run tests/bench/mm10.ini --set sim.duration=444444s --set sim.repeat=8 -q -j $j \
        -o $B/out/j$j
    t1=$(now_ns)
    eval "t_j$j=$(( t1 - t0 ))"
done
cmp -s $B/out/j1/runs.csv $B/out/j2/runs.csv && same="byte-identical" || same="DIFFERENT"
awk -v a="$t_j1" -v b="$t_j2" -v s="$same" -v cpus="$(getconf _NPROCESSORS_ONLN)" 'BEGIN{
    printf "  -j 1 %.2f s, -j 2 %.2f s: speed-up %.2fx on %d online CPUs (results %s)\n",
           a / 1e9, b / 1e9, a / b, cpus, s }'
