#!/bin/sh
# The learning path (scenarios/learn/, walked by docs/guide.md): runs every
# step as the guide tells a reader to, and fails when one of its [expect]
# lines does not pass (fail or inconclusive: a step must decide). Then runs
# each exercise's --set and checks the answer the step states, with
# sdsim's own judge: the step's [expect] and [predict] are replaced by the
# answer's lines, on the step's own settings and seed.
# Usage: sh tests/learn.sh ./sdsim   (about a minute on 2 cores)
set -u
SDSIM=${1:-./sdsim}
DIR=scenarios/learn
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-learn.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }

# verdicts OUT ERR: every judged line passed, at least one was judged, none
# was skipped (a --set that replaced a swept key the lines name)
verdicts() {
    grep -Eq '^expect: [1-9][0-9]* passed, 0 failed, 0 inconclusive$' "$1" &&
        ! grep -q 'skipped' "$1" "$2"
}

# step NAME: the command the guide gives, at the step's own settings
step() {
    f=$DIR/$1.ini
    "$SDSIM" run "$f" -o "$T/$1" -j 2 --no-progress > "$T/$1.out" 2> "$T/$1.err"
    rc=$?
    if [ $rc -eq 0 ] && verdicts "$T/$1.out" "$T/$1.err"; then
        ok "$1: every [expect] passes ($(grep '^expect: [0-9]' "$T/$1.out"))"
    else
        ko "$1: exit $rc; $(grep -E '^expect: (FAIL|INCONCLUSIVE|[0-9])' "$T/$1.out" "$T/$1.err" | head -5)"
    fi
}

# exercise NAME N 'KEY=VALUE'... <<EOF (the answer as [expect] lines)
# runs step NAME with the --set options of its exercise N, judged on the
# lines read from standard input.
exercise() {
    name=$1; n=$2; shift 2
    f=$DIR/$name.ini
    w=$T/$name-ex$n.ini
    awk '/^\[(expect|predict)\]/{skip=1; next} /^\[/{skip=0} !skip' "$f" > "$w"
    printf '\n[expect]\n' >> "$w"
    cat >> "$w"
    args=$T/args # $sets: the --set options, one a line
    printf '%s\n' "$sets" > "$args"
    set --
    while IFS= read -r s; do [ -n "$s" ] && set -- "$@" --set "$s"; done < "$args"
    "$SDSIM" run "$w" -o "$T/$name-ex$n" -j 2 --no-progress "$@" > "$T/$name-ex$n.out" 2> "$T/$name-ex$n.err"
    rc=$?
    if [ $rc -eq 0 ] && verdicts "$T/$name-ex$n.out" "$T/$name-ex$n.err"; then
        ok "$name exercise $n: the stated answer holds"
    else
        ko "$name exercise $n: exit $rc; $(grep -E '^expect: (FAIL|INCONCLUSIVE|[0-9])|error' "$T/$name-ex$n.out" "$T/$name-ex$n.err" | head -5)"
    fi
    # the exercise's --set options, as the step writes them
    while IFS= read -r s; do
        [ -z "$s" ] && continue
        grep -qF -- "$s" "$f" || ko "$name exercise $n: --set '$s' is not in $f"
        grep "^\./sdsim run $f " docs/guide.md | grep -qF -- "$s" ||
            ko "$name exercise $n: docs/guide.md does not give the command with --set '$s'"
    done < "$args"
}

# --- the course's shape ------------------------------------------------------
steps=$(cd $DIR && ls [0-9][0-9]-*.ini | sed 's/\.ini$//')
[ "$(echo "$steps" | wc -l)" -eq 14 ] && ok "14 steps" || ko "14 steps: $(echo $steps)"
for s in $steps; do
    f=$DIR/$s.ini
    shape=ok
    for want in '^# Step [0-9]+ of 14: ' '^# Question: ' '^# Predict first' '^# Napkin math' \
        '^# What to look at' '^# Exercise 1' "^#   \./sdsim run $f\$" '^\[predict\]' '^\[expect\]'; do
        grep -Eq "$want" "$f" || { shape="no '$want'"; break; }
    done
    [ "$shape" = ok ] && ok "$s: question, prediction, napkin math, plots, exercise, checks" ||
        ko "$s: $shape"
    grep -q "scenarios/learn/$s.ini" docs/guide.md && ok "$s: in docs/guide.md" ||
        ko "$s: docs/guide.md does not give its command"
done

# --- every step, as the guide runs it ----------------------------------------
for s in $steps; do step "$s"; done

# --- every exercise, with the answer its step states -------------------------
sets='load.arrival=poisson(rate=18/s)'
exercise 01-littles-law 1 <<'EOF'
app.utilisation > 0.87             # 0.9
app.utilisation < 0.93
app.mean_in_system > 7.5           # L about 9.5
app.mean_in_system < 11.5
app.littles_law_l > 7.5            # lambda W: the same
app.littles_law_l < 11.5
latency_mean_ms > 430ms            # about 526 ms
latency_mean_ms < 630ms
EOF
sets='app.workers=3'
exercise 01-littles-law 2 <<'EOF'
app.utilisation > 0.48             # 0.5
app.utilisation < 0.52
latency_mean_ms > 110ms            # about 116 ms
latency_mean_ms < 122ms
app.mean_in_system > 1.6           # about 1.7
app.mean_in_system < 1.85
EOF

sets='app.service=const(10ms)'
exercise 02-saturation 1 <<'EOF'
latency_mean_ms > 50ms    when rate = 90    # M/D/1: 55 ms, half the wait
latency_mean_ms < 60ms    when rate = 90
EOF
sets='app.workers=4
app.service=exp(mean=40ms)'
exercise 02-saturation 2 <<'EOF'
latency_mean_ms > 108ms   when rate = 90    # Erlang C: 119 ms
latency_mean_ms < 130ms   when rate = 90
latency_mean_ms > 41ms    when rate = 50    # 43 ms
latency_mean_ms < 46ms    when rate = 50
EOF

sets='load.arrival=constant(rate=80/s)'
exercise 03-variability 1 <<'EOF'
latency_mean_ms == 10ms   when dist = const(10ms)      # nobody waits
latency_max_ms <= 10ms    when dist = const(10ms)
latency_mean_ms > 24ms    when dist = exp(mean=10ms)   # about 27 ms
latency_mean_ms < 30ms    when dist = exp(mean=10ms)
EOF
sets='load.arrival=mmpp(on=120/s, off=40/s, mean_on=1s, mean_off=1s)'
exercise 03-variability 2 <<'EOF'
offered_rps > 76          # still 80/s on average
offered_rps < 84
latency_mean_ms > 230ms   when dist = const(10ms)      # about 290 ms
latency_mean_ms < 350ms   when dist = const(10ms)
latency_mean_ms > 260ms   when dist = exp(mean=10ms)   # about 320 ms
latency_mean_ms < 390ms   when dist = exp(mean=10ms)
EOF

sets='app.speed=0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1'
exercise 04-load-balancing 1 <<'EOF'
latency_mean_ms > 4s       when policy = round_robin   # seconds, growing
unfinished_ratio > 0.03    when policy = round_robin   # about 5%
latency_mean_ms > 4s       when policy = random
unfinished_ratio > 0.03    when policy = random
latency_mean_ms < 50ms     when policy = power_of_two        # about 47 ms
latency_mean_ms < 35ms     when policy = least_connections   # about 31 ms
unfinished_ratio < 0.001   when policy = least_connections
EOF
sets='app.replicas=1
app.workers=10'
exercise 04-load-balancing 2 <<'EOF'
latency_mean_ms > 15.5ms   # Erlang C: 16.7 ms, whatever the policy
latency_mean_ms < 18ms
latency_p99_ms > 55ms      # about 62 ms
latency_p99_ms < 70ms
EOF

sets='users.keys=zipf(n=100000, s=1.2)'
exercise 05-caching 1 <<'EOF'
cache.hit_ratio > 0.77    when capacity = 1000 and eviction = lru   # about 0.8
cache.hit_ratio < 0.83    when capacity = 1000 and eviction = lru
EOF
sets='users.keys=uniform(n=100000)'
exercise 05-caching 2 <<'EOF'
cache.hit_ratio > 0.008   when capacity = 1000     # the cached fraction: 0.01
cache.hit_ratio < 0.012   when capacity = 1000
cache.hit_ratio > 0.095   when capacity = 10000    # 0.1
cache.hit_ratio < 0.105   when capacity = 10000
EOF

sets='cache.ttl=1s'
exercise 06-cache-consistency 1 <<'EOF'
stale_reads < 7000        when strategy = write_around   # 15% of 40400, from 37%
stale_reads < 800         when strategy = cache_aside    # under 2%
cache.hit_ratio > 0.35                                   # about 0.4, from 0.65-0.72
cache.hit_ratio < 0.47
EOF
sets='cache.invalidation=events(loss=0%)
cache.event_delay=exp(mean=20ms)'
exercise 06-cache-consistency 2 <<'EOF'
stale_reads < 100         when strategy = cache_aside    # about 0.15% of 40400
stale_reads < 100         when strategy = write_through
stale_reads > 400         when strategy = write_around   # about 1.4%
stale_reads < 800         when strategy = write_around
EOF

sets='app.drop_abandoned=true'
exercise 07-retries 1 <<'EOF'
goodput_rps < 300          when budget = none   # the storm goes on
app.wasted_work_s > 900    when budget = none   # of 1200 worker-seconds
EOF
sets='app.shed=lifo(above=50)'
exercise 07-retries 2 <<'EOF'
goodput_rps > 750          # the storm ends, with or without a budget
EOF

sets='api.breaker=consecutive(failures=5, open=1h)'
exercise 08-breakers-bulkheads 1 <<'EOF'
goodput_rps > 150          when bulkhead = none   # about 167/s: a third of 500/s
goodput_rps < 185          when bulkhead = none
timeout_ratio < 0.01       when bulkhead = none
EOF
sets='api.call_timeout=2s'
exercise 08-breakers-bulkheads 2 <<'EOF'
api.breaker_opens == 0     # slow calls never trip it
timeout_ratio > 0.3        when bulkhead = none             # about 38%
timeout_ratio < 0.01       when bulkhead = fixed(limit=5)   # the bulkhead still protects
EOF

sets='data.sharding=hash_mod'
exercise 09-sharding 1 <<'EOF'
data.share_max_over_mean > 1.1   when keys = zipf(n=1000000, s=1.2)   # about 1.2
data.share_max_over_mean < 1.35  when keys = zipf(n=1000000, s=1.2)
latency_p99_ms < 15ms            when keys = zipf(n=1000000, s=1.2)   # about 6 ms
EOF
sets='load.arrival=poisson(rate=4400/s)'
exercise 09-sharding 2 <<'EOF'
rejected_ratio > 0.03     when keys = zipf(n=1000000, s=1.2)
db2.utilisation > 0.99    when keys = zipf(n=1000000, s=1.2)
db0.utilisation < 0.5     when keys = zipf(n=1000000, s=1.2)
rejected_ratio == 0       when keys = uniform(n=1000000)
EOF

sets='db.ack=sync'
exercise 10-replication 1 <<'EOF'
db.ryw_violation_fraction == 0                       # at every level and lag
latency_mean_ms > 100ms   when lag = 100ms           # from about 1 ms
EOF
sets='db.consistency=monotonic_reads'
exercise 10-replication 2 <<'EOF'
db.ryw_violation_fraction > 0.03   when lag = 100ms
EOF

sets='q.write_delay=exp(mean=1ms)'
exercise 11-quorums 1 <<'EOF'
q.p_consistent > 0.6    when r = 1 and w = 1 and t = 0
q.p_consistent > 0.99   when r = 1 and w = 1 and t = 10
EOF
sets='q.replicas=5'
exercise 11-quorums 2 <<'EOF'
q.p_consistent < 1      when r = 2 and w = 2 and t = 0    # no overlap at N = 5
q.p_consistent < 0.35   when r = 1 and w = 1 and t = 0
EOF

sets='q.full=drop_oldest'
exercise 12-backpressure 1 <<'EOF'
failed_ratio == 0                                  # the users see nothing
q.dropped_oldest > 7000   when capacity = 2000     # about 8000 lost silently
q.dropped_oldest < 9000   when capacity = 2000
q.rejected_full == 0
EOF
sets='workers.consumers=20'
exercise 12-backpressure 2 <<'EOF'
q.backlog_mean < 50       # about 8, against about 1500
q.e2e_p99_ms < 400ms      # about 140 ms, against about 10 s
q.rejected_full == 0
EOF

sets='users.arrival=poisson(rate=80/s)'
exercise 13-rate-limiting 1 <<'EOF'
refused_ratio < 0.01      # every limiter
EOF
sets='GW.limit=token_bucket(rate=100/s, burst=50, per=key)'
exercise 13-rate-limiting 2 <<'EOF'
rate_limited == 0
GW.peak_passed > 400
GW.limiter_scopes > 10000
EOF

sets='app.autoscale=none
app.replicas=7'
exercise 14-autoscaling 1 <<'EOF'
timeout_ratio == 0
latency_p99_ms < 550ms    # about 465 ms
app.utilisation > 0.3     # about 32%: the peak's replicas all day
app.utilisation < 0.34
EOF
sets='users.arrival=ramp(from=40/s, to=160/s, start=300s, over=300s)'
exercise 14-autoscaling 2 <<'EOF'
timeout_ratio == 0        # with either cold start
EOF

# --- numbers the steps quote from their time series ---------------------------
# tsstat DIR COLUMN PATTERN FROM TO: max and mean of COLUMN over the rows of
# timeseries.csv that contain PATTERN, with FROM <= t_s < TO (columns are
# counted from the end: sweep values may hold quoted commas)
tsstat() {
    grep -F -- "$3" "$1/timeseries.csv" | awk -F, -v h="$(head -1 "$1/timeseries.csv")" \
        -v c="$2" -v lo="$4" -v hi="$5" 'BEGIN { n = split(h, f, ","); for (i = 1; i <= n; i++) {
            if (f[i] == c) oc = n - i; if (f[i] == "t_s") ot = n - i } }
        { t = $(NF - ot); v = $(NF - oc); if (t >= lo && t < hi) { if (v > m) m = v; s += v; k++ } }
        END { if (k) printf "%g %g\n", m, s / k; else print "none" }'
}
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }
quote() { # quote NAME VALUE LO HI
    if within "$2" "$3" "$4"; then ok "$1: $2"; else ko "$1: $2, not in [$3, $4]"; fi
}
set -- $(tsstat "$T/14-autoscaling" app.queue ',0s,' 0 1500)
quote "14-autoscaling: app.queue peak without cold start (about 1300)" "$1" 1000 1700
set -- $(tsstat "$T/14-autoscaling" app.queue ',60s,' 0 1500)
quote "14-autoscaling: app.queue peak with a 60 s cold start (about 6100)" "$1" 5000 7500
set -- $(tsstat "$T/14-autoscaling" app.replicas ',0s,' 0 1500)
quote "14-autoscaling: most replicas without cold start (9)" "$1" 8 10
set -- $(tsstat "$T/14-autoscaling" app.replicas ',60s,' 0 1500)
quote "14-autoscaling: most replicas with a cold start (the maximum, 12)" "$1" 12 12
set -- $(tsstat "$T/08-breakers-bulkheads" failed_rps ',none,fixed(limit=5),' 2 20)
quote "08-breakers-bulkheads: healthy calls the bulkhead refuses before the fault (7% of 500/s)" "$2" 25 45
set -- $(tsstat "$T/08-breakers-bulkheads" api.queue ',none,none,' 0 60)
quote "08-breakers-bulkheads: api.queue peak without a guard (about 8000)" "$1" 7000 9000
set -- $(tsstat "$T/08-breakers-bulkheads" api.queue ',none,none,' 45 60)
quote "08-breakers-bulkheads: api.queue drained by 45 s" "$1" 0 0
set -- $(tsstat "$T/07-retries" throughput_rps ',none,' 30 120)
quote "07-retries: completions after the brownout without a budget (none)" "$1" 0 5
set -- $(tsstat "$T/07-retries" app.queue ',none,' 0 120)
quote "07-retries: app.queue in the storm at the end (about 300000)" "$1" 250000 350000
set -- $(tsstat "$T/07-retries" throughput_rps ',10%,' 60 120)
quote "07-retries: completions from 60 s with a budget (back to 800/s)" "$2" 750 850

set -- $(tsstat "$T/12-backpressure" q.backlog ',unbounded,' 0 120)
quote "12-backpressure: the backlog's peak (about 10000)" "$1" 9000 11000
set -- $(tsstat "$T/12-backpressure" q.backlog ',unbounded,' 66 120)
quote "12-backpressure: the backlog drained by about 65 s" "$1" 0 100
set -- $(tsstat "$T/12-backpressure" q.backlog ',2000,' 0 120)
quote "12-backpressure: the bounded backlog flattens at 2000" "$1" 1900 2000

# the napkin math step 5 quotes (Che's hit ratio leaves the database 658/s)
"$SDSIM" validate "$DIR/05-caching.ini" > "$T/nap5" 2>&1
grep -A4 '^sweep point 0 ' "$T/nap5" | grep -Eq '^  db +store +657\.9 ' &&
    ok "05-caching: validate offers the database 658 reads/s (Che)" ||
    ko "05-caching: validate's napkin math for db: $(grep -A4 '^sweep point 0 ' "$T/nap5" | grep db)"

# every exercise a step poses is checked above
for s in $steps; do
    posed=$(grep -c '^# Exercise [0-9]' "$DIR/$s.ini")
    checked=$(grep -c "^exercise $s " "$0")
    [ "$posed" -eq "$checked" ] && ok "$s: all $posed exercises checked" ||
        ko "$s: $posed exercises posed, $checked checked"
done

echo "learn: $pass passed, $fail failed"
[ $fail -eq 0 ]
