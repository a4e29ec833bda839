#!/bin/sh
# End-to-end tests: real scenario files through the real binary, reading the
# CSV files it writes. Usage: sh tests/e2e.sh ./sdsim
# SDSIM_E2E_QUICK=1 skips the slowest checks (used for the sanitizer build).
set -u
SDSIM=${1:-./sdsim}
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
# tests/trace_check reads the trace.json files (from "consumers' calls
# traced" on): built, or rebuilt when its source changed, before any check
# uses it, so that a first run in a fresh tree does not fail on its absence.
make -s tests/trace_check >/dev/null 2>&1 || ko "make tests/trace_check (the trace checks below fail)"
check() { # check NAME COMMAND...: passes when the command succeeds
    name=$1; shift
    if "$@"; then ok "$name"; else ko "$name"; fi
}
# col FILE NAME ROW: value of column NAME in data row ROW (1 = first data row)
col() {
    awk -F, -v n="$2" -v r="$3" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i} NR==r+1{print $c}' "$1"
}
has_cols() { # has_cols FILE COL...
    f=$1; shift
    for c in "$@"; do
        head -1 "$f" | tr ',' '\n' | grep -qx "$c" || { echo "  missing column $c in $f"; return 1; }
    done
}
# Every measured request ends in exactly one outcome or is still in flight.
accounting_holds() {
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        { ended = $c["completed"] + $c["rejected"] + $c["timeouts"] + $c["errors"] + $c["in_flight"]
          # outcomes with a column only when some component can produce them
          if ("rate_limited" in c) ended += $c["rate_limited"]
          if ("unauthenticated" in c) ended += $c["unauthenticated"]
          if ("denied" in c) ended += $c["denied"]
          if ($c["offered"] != ended) bad++ }
        END { exit bad > 0 }' "$1"
}
# all rows of components.csv: |L - lambda W| <= tol * L for services
little_holds() {
    awk -F, -v tol="$2" 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        { L = $c["mean_in_system"]; lw = $c["littles_law_l"]; d = L - lw; if (d < 0) d = -d;
          if (d > tol * L) { print "  L=" L " lambda*W=" lw; bad++ } n++ }
        END { exit bad > 0 || n == 0 }' "$1"
}

# bare NAME [SECTIONS]: the path of a copy of scenarios/NAME.ini without its
# [expect] and [predict] sections (SECTIONS: an alternation, as "expect" to
# keep [predict]). The runs below that shorten a shipped scenario (fewer
# replications, a shorter run, a changed setting) test something else; its
# expectations hold at its own settings (tests/claims.sh runs them) and
# would be judged on the shortened run too, exit 1 on a failure.
mkdir "$T/bare"
bare() {
    awk -v s="${2:-expect|predict}" '/^[ \t]*\[/ {
            skip = ($0 ~ ("^[ \t]*\\[[ \t]*(" s ")[ \t]*\\][ \t]*$")) } !skip' \
        "scenarios/$1.ini" > "$T/bare/$1.ini" && echo "$T/bare/$1.ini"
}

# --- the example scenario -------------------------------------------------
"$SDSIM" run scenarios/hello.ini -o "$T/hello" > "$T/hello.out" 2> "$T/hello.err"
check "hello.ini runs" [ $? -eq 0 ]
check "hello.ini (85% load): no backlog warning" [ ! -s "$T/hello.err" ]
check "runs.csv has the documented columns" has_cols "$T/hello/runs.csv" run rep seed offered \
    completed rejected timeouts errors in_flight throughput_rps latency_mean_ms latency_p50_ms \
    latency_p90_ms latency_p99_ms latency_p999_ms latency_max_ms
check "one row per replication" [ "$(tail -n +2 "$T/hello/runs.csv" | wc -l)" -eq 5 ]
check "summary, components, histograms and manifest are written" \
    test -s "$T/hello/summary.csv" -a -s "$T/hello/components.csv" -a -s "$T/hello/histograms.csv" \
    -a -s "$T/hello/manifest.txt" -a -s "$T/hello/latency_cdf.gp"
# Every row has as many fields as its header (no quoted commas in these).
same_width() {
    for f in "$@"; do
        awk -F, 'NR==1{n=NF} NF!=n{print "  " FILENAME ":" NR ": " NF " fields, header " n; bad=1} END{exit bad}' "$f" || return 1
    done
}
check "every CSV row matches its header" same_width "$T/hello/runs.csv" "$T/hello/summary.csv" \
    "$T/hello/components.csv" "$T/hello/histograms.csv"
check "no temporary files are left" [ -z "$(find "$T/hello" -name '*.tmp')" ]
check "request accounting adds up (hello)" accounting_holds "$T/hello/runs.csv"
# hello.ini quotes the Erlang C mean (2.623 s), and its [expect] section
# checks the run against a band around it (2100 to 3150 ms): the quote must
# be Erlang C's, and the band 20% either side of it.
hello_quotes_hold() {
    th=$(sed -n 's/.*mean response time is \([0-9.]*\) s.*/\1/p' scenarios/hello.ini)
    lo=$(sed -n 's/^latency_mean_ms > \([0-9]*\)ms$/\1/p' scenarios/hello.ini)
    hi=$(sed -n 's/^latency_mean_ms < \([0-9]*\)ms$/\1/p' scenarios/hello.ini)
    echo "  quoted theory $th s, expected band $lo .. $hi ms"
    awk -v t="$th" -v lo="$lo" -v hi="$hi" 'BEGIN { e = 2.55 / 6 * 2.55 * 2.55 / 0.15
        p = e / (1 + 2.55 + 2.55 * 2.55 / 2 + e)   # Erlang C, c = 3, a = 2.55
        exit !(t != "" && (t - (1 + p / 0.45) < 0.0005 && (1 + p / 0.45) - t < 0.0005) &&
               lo != "" && hi != "" && (lo / (1000 * t) - 0.8)^2 < 1e-4 && (hi / (1000 * t) - 1.2)^2 < 1e-4) }'
}
check "hello.ini's quoted theory and its expected band are true" hello_quotes_hold
# Its expectations pass, each printed after the table, and the guess is
# printed beside the result (never an error).
verdicts() { # verdicts FILE: "kind:verdict" of each expect.csv row, sorted and counted
    awk -F, 'NR==1{for(i=1;i<=NF;i++) h[$i]=i; next} {print $h["kind"] ":" $h["verdict"]}' "$1" |
        sort | uniq -c | awk '{ c = $1; sub(/^ *[0-9]+ /, ""); printf "%s%s x%s", (NR > 1 ? ", " : ""), $0, c }'
}
v=$(verdicts "$T/hello/expect.csv")
check "hello.ini: 5 expectations pass, the guess is judged outside its interval, the bottleneck guess matches ($v)" \
    [ "$v" = "expect:pass x5, predict:match x1, predict:outside x1" ]
check "hello.ini: the verdicts are printed after the table, with the interval" \
    sh -c "grep -q '^expect: PASS latency_mean_ms > 2100ms \\[all runs\\]: 26[0-9][0-9] ms, 95% CI [0-9]* \\.\\. [0-9]*\$' '$T/hello.out' &&
           grep -q '^predict: latency_p99_ms = 8s \\[all runs\\]: .*; guess off by -[0-9.]*%; outside the 95% interval\$' '$T/hello.out' &&
           grep -qx 'predict: bottleneck = app \\[all runs\\]: app (utilisation 0\\.8[0-9]*); guess right; napkin math said app' '$T/hello.out' &&
           grep -q '^0,predict,app\\.utilisation,bottleneck = app,0\\.8[0-9]*,.*,5,match,,\$' '$T/hello/expect.csv' &&
           grep -qx 'expect: 5 passed, 0 failed, 0 inconclusive' '$T/hello.out' && [ ! -s '$T/hello.err' ]"
# A failed expectation exits 1 and says so on stderr, even with -q; one
# replication is judged on its value and says so; inconclusive ones are a
# warning (exit 0). Guesses never change the exit status.
"$SDSIM" run scenarios/hello.ini --set 'load.arrival=poisson(rate=2/s)' -o "$T/exfail" -q \
    > "$T/exfail.out" 2> "$T/exfail.err"
rc=$?
check "a failed expectation: exit 1, FAIL lines and the count on stderr, nothing on stdout with -q" \
    sh -c "[ $rc -eq 1 ] && [ ! -s '$T/exfail.out' ] &&
           grep -q '^expect: FAIL latency_mean_ms > 2100ms \\[all runs\\]: ' '$T/exfail.err' &&
           grep -qx 'expect: 3 passed, 2 failed, 0 inconclusive (exit 1)' '$T/exfail.err' &&
           [ -s '$T/exfail/expect.csv' ]"
"$SDSIM" run scenarios/hello.ini --set sim.repeat=1 -o "$T/exone" > "$T/exone.out" 2>&1
rc=$?
v=$(verdicts "$T/exone/expect.csv")
check "one replication: judged on the value, and the line says so (exit $rc; $v)" \
    sh -c "[ $rc -eq 0 ] && grep -q '^expect: PASS error_ratio == 0 \\[all runs\\]: 0 (one replication: no interval, judged on the value)\$' '$T/exone.out' &&
           [ '$v' = 'expect:pass x5, predict:match x1, predict:no interval x1' ]"
"$SDSIM" run scenarios/hello.ini --set sim.repeat=2 --set sim.duration=500s -o "$T/exinc" -q \
    > "$T/exinc.out" 2> "$T/exinc.err"
rc=$?
check "an inconclusive expectation: exit 0 with the verdict and a hint on stderr (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && [ ! -s '$T/exinc.out' ] && grep -q '^expect: INCONCLUSIVE latency_mean_ms' '$T/exinc.err' &&
           grep -q '^expect: [0-9] passed, 0 failed, [1-9] inconclusive (more replications may decide' '$T/exinc.err'"
"$SDSIM" validate scenarios/hello.ini > "$T/exval.out"
check "validate counts the expectations and guesses" \
    grep -qx 'checks: 5 expectations, 2 predictions (judged after a run)' "$T/exval.out"
"$SDSIM" run tests/e2e/sweep.ini -o "$T/noexpect" -q
check "no [expect] or [predict]: no expect.csv" [ ! -e "$T/noexpect/expect.csv" ]
# M/M/3 at lambda = 2.55: Erlang C mean response 2.6231 s. The 95% interval
# of the five replications must hold it.
ci=$(grep ',latency_mean_ms,' "$T/hello/summary.csv" | awk -F, '{print $(NF-4), $(NF-3)}')
check "hello's mean latency interval holds Erlang C's 2623.06 ms: [$ci]" \
    awk -v c="$ci" 'BEGIN{split(c, b, " "); exit !(b[1] <= 2623.06 && 2623.06 <= b[2])}'
check "Little's law holds in components.csv (hello, 3%)" little_holds "$T/hello/components.csv" 0.03
# summary.csv's theory beside the simulation: hello.ini is exactly M/M/3
# (Erlang C 2623.06 ms, as its comment quotes; 0.1 ms: the quote's rounding).
th=$(grep ',latency_mean_ms,' "$T/hello/summary.csv" | awk -F, '{print $(NF-1), $NF}')
tq=$(sed -n 's/.*beside the simulated mean (\([0-9.]*\) ms,.*/\1/p' scenarios/hello.ini)
check "hello's summary.csv gives Erlang C's 2623.06 ms (hello.ini quotes $tq) beside the mean, method erlang_c: [$th]" \
    awk -v t="$th" -v q="$tq" 'BEGIN{split(t, b, " "); d = b[1] - 2623.06; e = q - 2623.06
        exit !(b[2] == "erlang_c" && d < 0.1 && d > -0.1 && q != "" && e < 0.1 && e > -0.1)}'
check "hello's summary.csv: a theory for every latency percentile, none for the counts" \
    awk -F, 'FNR == 1 { next } $(NF-6) ~ /^latency_(all_)?(mean|p50|p90|p99|p999)_ms$/ { if ($NF != "erlang_c" || $(NF-1) == "") bad++; n++; next }
        { if ($(NF-1) != "" || $NF != "") bad++ } END { exit bad > 0 || n != 8 }' "$T/hello/summary.csv"

# --- theory beside the simulation: the table, the plots, more methods --------
# queueing-theory.ini: M/M/1 against M/D/1 over a rate sweep. The numbers its
# comment quotes at 8/s, the methods that give them, and up to 8/s the 95%
# intervals of the mean and the p99 holding theory; at 9/s the short runs'
# mean lies below theory's (the queue still filling), as it says.
"$SDSIM" run scenarios/queueing-theory.ini -j 2 -o "$T/qt" > "$T/qt.out" 2> "$T/qt.err"
check "queueing-theory.ini runs" [ $? -eq 0 ]
qt_row() { # qt_row RATE SERVICE METRIC: "value ci_low ci_high theory method"
    awk -F, -v r="$1" -v s="$2" -v m="$3" '$2 == r && $3 == s && $4 == m { print $5, $6, $7, $9, $10 }' \
        "$T/qt/summary.csv"
}
qt_quotes() {
    for q in "exp(mean=100ms) latency_mean_ms 500 erlang_c" "exp(mean=100ms) latency_p99_ms 2303 erlang_c" \
             "const(100ms) latency_mean_ms 300 pk_mg1" "const(100ms) latency_p99_ms 1136 md1"; do
        set -- $q
        grep -q "a mean of $3 ms\|a p99 of $3 ms" scenarios/queueing-theory.ini ||
            { echo "  $3 not quoted"; return 1; }
        qt_row 8 "$1" "$2" | awk -v t="$3" -v m="$4" '{ d = $4 - t; if (d < 0) d = -d
            if (d > 0.5 || $5 != m) { print "  " $0 " (quoted " t " " m ")"; exit 1 } }' || return 1
    done
}
check "queueing-theory.ini: its quoted theory at 8/s (500, 2303; 300, 1136 ms) and methods" qt_quotes
qt_hold() {
    awk -F, 'FNR > 1 && $2 <= 8 && ($4 == "latency_mean_ms" || $4 == "latency_p99_ms") {
            n++; if (!($6 <= $9 && $9 <= $7)) { print "  " $0; bad++ } }
        END { exit bad > 0 || n != 16 }' "$T/qt/summary.csv"
}
check "queueing-theory.ini: up to 8/s every interval of the mean and the p99 holds the theory" qt_hold
check "queueing-theory.ini: at 9/s the simulated M/M/1 mean is below theory's 1000 ms" sh -c \
    "[ \"\$(awk -F, '\$2 == 9 && \$3 == \"exp(mean=100ms)\" && \$4 == \"latency_mean_ms\" { print (\$5 < \$9 && \$9 == 1000) }' '$T/qt/summary.csv')\" = 1 ]"
check "the table shows a theory column beside the mean and the p99, and names the methods" sh -c \
    "grep -q 'success mean ms (95% CI)  theory ms' '$T/qt.out' && grep -q 'success p99 ms  theory ms' '$T/qt.out' &&
     grep -q 'theory: the steady-state value the column to its left has by erlang_c, pk_mg1 or md1' '$T/qt.out'"
"$SDSIM" run "$(bare load-test)" --set sim.repeat=2 --set sim.duration=30s --set sim.warmup=5s \
    -j 2 -o "$T/lt-th" > "$T/lt-th.out" 2>/dev/null
check "no formula, no theory column in the table (load-test.ini: a timeout, round robin)" sh -c \
    "grep -q 'success mean' '$T/lt-th.out' && ! grep -q theory '$T/lt-th.out'"
check "sweep_latency.gp draws the theory of the p50 and the p99 as a dashed line per series" sh -c \
    "[ \$(grep -c \"title (i == 0 ? 'theory' : '')\" '$T/qt/sweep_latency.gp') -eq 2 ] &&
     grep -q 'with lines lt (i-0+1) lw 1.5 dt (8,5)' '$T/qt/sweep_latency.gp' &&
     head -1 '$T/qt/sweep_latency.dat' | grep -q '\"p50_theory\" \"p99_theory\"'"
# Loss systems and a tandem (scenarios/validation, shortened to 10^5 s x 5):
# the theory column holds the value their comments quote (from
# tests/validation/queueing.csv), and the simulated interval holds it.
loss_row() { # loss_row DIR METRIC: "value ci_low ci_high theory method"
    awk -F, -v m="$2" 'FNR > 1 && $2 == m { print $3, $4, $5, $7, $8 }' "$1/summary.csv"
}
in_ci() { # in_ci DIR METRIC METHOD THEORY TOL: theory within TOL of THEORY, in the interval
    loss_row "$1" "$2" | awk -v m="$3" -v t="$4" -v tol="$5" '{ d = $4 - t; if (d < 0) d = -d
        if ($5 != m || d > tol || !($2 <= $4 && $4 <= $3)) { print "  " $0; exit 1 } n++ }
        END { exit n != 1 }'
}
for v in erlb-10 mmck-4-6 tandem-2 feedback; do
    "$SDSIM" run scenarios/validation/$v.ini --set sim.duration=101000s --set sim.warmup=1000s \
        --set sim.repeat=5 -j 2 -q -o "$T/th-$v"
done
check "erlb-10 (M/M/10/10, a = 7): erlang_b's blocking 0.0787, in the interval" \
    in_ci "$T/th-erlb-10" rejected_ratio erlang_b 0.0787 0.00005
check "erlb-10: the reject % of the table (refused_ratio) gets the same" \
    in_ci "$T/th-erlb-10" refused_ratio erlang_b 0.0787 0.00005
check "erlb-10: erlang_b's admitted mean, the service time's 1 s, in the interval" \
    in_ci "$T/th-erlb-10" latency_mean_ms erlang_b 1000 0.000001
check "mmck-4-6 (M/M/4/6, lambda 3): mmck's blocking 0.0913, in the interval" \
    in_ci "$T/th-mmck-4-6" rejected_ratio mmck 0.0913 0.00005
check "mmck-4-6: mmck's mean of the admitted 1.112 s, in the interval" \
    in_ci "$T/th-mmck-4-6" latency_mean_ms mmck 1112 0.5
near_theory() { # near_theory DIR METRIC METHOD THEORY REL: theory as quoted, value within REL
    loss_row "$1" "$2" | awk -v m="$3" -v t="$4" -v r="$5" '{ d = ($4 - t) / t; e = ($1 - $4) / $4
        if (d < 0) d = -d; if (e < 0) e = -e
        if ($5 != m || d > 1e-6 || e > r) { print "  " $0; exit 1 } n++ } END { exit n != 1 }'
}
# the admitted's percentiles (by hand in tests/check_theorycheck.c); the
# histogram's buckets are 0.5% wide, so the simulated value is within 1%
check "mmck-4-6: mmck's admitted p50 821.7723 ms, the simulated within 1%" \
    near_theory "$T/th-mmck-4-6" latency_p50_ms mmck 821.7723 0.01
check "mmck-4-6: mmck's admitted p99 4756.7195 ms, the simulated within 1%" \
    near_theory "$T/th-mmck-4-6" latency_p99_ms mmck 4756.7195 0.01
check "feedback (M/M/1, q 0.2, resent until success): jackson_feedback's mean 3.333 s, in the interval" \
    in_ci "$T/th-feedback" latency_mean_ms jackson_feedback 3333.333 0.001
# the power of 2 choices over 100 replicas: the mean-field mean, an
# approximation its comment says is about 1% low at N = 100
"$SDSIM" run scenarios/validation/lb-p2c-100.ini --set sim.duration=12000s --set sim.warmup=1000s \
    --set sim.repeat=4 -j 2 -q -o "$T/th-p2c"
check "lb-p2c-100: power_of_d's mean 2.614 s, the simulated 0-2.5% above it" sh -c \
    "awk -F, '\$2 == \"latency_mean_ms\" { r = \$3 / \$7; if (\$8 == \"power_of_d\" && \$7 > 2614.05 && \$7 < 2614.06 && r >= 1 && r < 1.025) ok = 1 } END { exit !ok }' '$T/th-p2c/summary.csv'"
# WARS: P(consistent) exact for exponential delays (within 1.5 standard
# errors of 10^8 Monte Carlo trials), 1 for a strict quorum, in the interval
"$SDSIM" run scenarios/validation/pbs-exp.ini --set sim.duration=201s -j 2 -q -o "$T/th-pbs"
for s in t0:0.4195590 t30:0.9711015 n5:0.2900626 strict:1; do
    check "pbs-exp ${s%%:*}: wars_consistent's P(consistent) ${s#*:}, in the interval" \
        in_ci "$T/th-pbs" "${s%%:*}.p_consistent" wars_consistent "${s#*:}" 0.0000001
done
check "tandem-2 (two M/M/1 at lambda 0.8): jackson_tandem's mean 10 s, in the interval" \
    in_ci "$T/th-tandem-2" latency_mean_ms jackson_tandem 10000 0.000001
# cache-size.ini's LRU caches: Che's hit ratios, as its comment quotes them
# (0.156, 0.237, 0.342, 0.455, 0.605), beside the simulated ones (within
# 0.003 on 5e5 requests: sampling and Che's own error at this size are
# below 1e-3), and the table shows them beside cache.hit_ratio.
"$SDSIM" run "$(bare cache-size)" --set cache.eviction=lru --set sim.duration=1s \
    --set sim.warmup=500ms -j 2 -o "$T/th-cs" > "$T/th-cs.out" 2>/dev/null
che_quotes() {
    q=$(tr '\n' ' ' < scenarios/cache-size.ini | sed -n "s/.*Che's approximation (\([0-9., ]*\)).*/\1/p" | tr -d ',')
    [ -n "$q" ] || { echo "  no quote"; return 1; }
    awk -F, -v q="$q" 'BEGIN { n = split(q, w, " ") }
        FNR > 1 && $3 == "cache.hit_ratio" { i++; d = $8 - w[i]; e = $4 - $8
            if ($9 != "che_lru" || d > 0.0005 || d < -0.0005 || e > 0.003 || e < -0.003) {
                print "  " $0 " (quoted " w[i] ")"; bad++ } }
        END { exit bad > 0 || i != n || n != 5 }' "$T/th-cs/summary.csv"
}
check "cache-size.ini: Che's quoted hit ratios in summary.csv's theory, the simulation within 0.003" che_quotes
check "cache-size.ini: sweep_metrics.dat carries Che's hit ratio beside cache.hit_ratio (its dashed line)" \
    awk 'NR == 1 { ok = ($NF == "\"theory\"") } NR > 1 && NF > 5 && $NF + 0 > 0.15 { n++ }
         END { exit !(ok && n == 5) }' "$T/th-cs/sweep_metrics.dat"
check "cache-size.ini: the table shows the theory beside cache.hit_ratio" \
    grep -q 'cache.hit_ratio  theory  store_reads' "$T/th-cs.out"
check "erlb-10, mmck-4-6: no theory for latency_all_ (it counts the rejected too)" sh -c \
    "! grep -h ',latency_all_' '$T/th-erlb-10/summary.csv' '$T/th-mmck-4-6/summary.csv' | grep -q ',[a-z][a-z_0-9]*\$'"
# --- determinism ------------------------------------------------------------
"$SDSIM" run tests/e2e/sweep.ini -o "$T/j1" -q -j 1 &&
    "$SDSIM" run tests/e2e/sweep.ini -o "$T/j2" -q -j 2 &&
    "$SDSIM" run tests/e2e/sweep.ini -o "$T/j3" -q -j 3
check "sweep runs with -j1, -j2, -j3" [ $? -eq 0 ]
same_files() {
    for f in runs.csv summary.csv components.csv histograms.csv latency_cdf.dat sweep_latency.dat; do
        cmp -s "$1/$f" "$2/$f" || { echo "  $f differs"; return 1; }
    done
}
check "-j1 and -j2 give byte-identical files" same_files "$T/j1" "$T/j2"
check "-j1 and -j3 give byte-identical files" same_files "$T/j1" "$T/j3"
# --- progress line ------------------------------------------------------------
# It reads counters the runs publish and never changes them: the files are the
# same with it. Off when stderr is not a terminal, unless --progress asks (one
# line a second, and a last one with the totals).
"$SDSIM" run tests/e2e/sweep.ini -o "$T/prog" -j 2 --progress >/dev/null 2>"$T/prog.err"
check "--progress: the run succeeds" [ $? -eq 0 ]
check "--progress gives byte-identical files" same_files "$T/j1" "$T/prog"
check "--progress on a non-terminal ends with the totals" \
    grep -Eq '^sdsim: 24/24 runs done in [0-9.]+s; [0-9.]+[kMG]? events/s$' "$T/prog.err"
"$SDSIM" run tests/e2e/sweep.ini -o "$T/noprog" -j 2 >/dev/null 2>"$T/noprog.err"
check "no progress line when stderr is not a terminal" [ ! -s "$T/noprog.err" ]
"$SDSIM" run tests/e2e/sweep.ini -o "$T/noprog2" -j 2 --progress --no-progress -q 2>"$T/noprog2.err"
check "--no-progress after --progress silences it" [ ! -s "$T/noprog2.err" ]
check "validate refuses --progress (a run option)" \
    sh -c "'$SDSIM' validate tests/e2e/sweep.ini --progress 2>/dev/null; [ \$? -eq 64 ]"
if [ -z "${SDSIM_E2E_QUICK:-}" ]; then
    # A run of a few seconds: lines with runs done, the share of simulated
    # time of the runs in progress, events/s and an ETA. How long "a few
    # seconds" of simulated time take depends on the machine, so the run
    # grows tenfold until it outlasts the first line (at most three tries).
    prog_line='^sdsim: [0-9]/5 runs done; [12] at [0-9]+% of sim time; [0-9.]+[kMG]? events/s; ETA ([0-9.]+s|--|[0-9]+m[0-9]+s|[0-9]+h[0-9]+m)$'
    for d in 300000s 3000000s 30000000s; do
        "$SDSIM" run scenarios/hello.ini -o "$T/prog_long" -j 2 --progress -q --force \
            --set sim.duration=$d 2>"$T/prog_long.err"
        grep -Eq "$prog_line" "$T/prog_long.err" && break
        rm -rf "$T/prog_long"
    done
    check "--progress: a line a second while runs go" grep -Eq "$prog_line" "$T/prog_long.err"
fi
# On a terminal (script(1) gives one): the line is drawn in place and cleared
# at the end; -q silences it.
if command -v script >/dev/null 2>&1 && script -qc true /dev/null >/dev/null 2>&1; then
    drawn_and_cleared() { # a line "\rsdsim: ... runs done; ...\033[K", then "\r\033[K", no newline
        cr=$(printf '\r'); esc=$(printf '\033')
        tr -d '\n' < "$1" | grep -q "${cr}sdsim: [0-9]*/5 runs done; [^$cr]*${esc}\\[K${cr}${esc}\\[K"
    }
    for d in 300000s 3000000s 30000000s; do # longer until the run outlasts a line
        rm -rf "$T/tty"
        script -qc "'$SDSIM' run scenarios/hello.ini -o '$T/tty' -j 2 --force --set sim.duration=$d \
            >/dev/null" "$T/tty.log" >/dev/null 2>&1
        drawn_and_cleared "$T/tty.log" && break
    done
    check "on a terminal the line is drawn in place and cleared at the end" \
        drawn_and_cleared "$T/tty.log"
    script -qc "'$SDSIM' run scenarios/hello.ini -o '$T/tty_q' -j 2 -q \
        --set sim.duration=300000s" "$T/tty_q.log" >/dev/null 2>&1
    check "on a terminal -q shows no progress line" sh -c "! grep -q 'runs done' '$T/tty_q.log'"
fi
"$SDSIM" run tests/e2e/sweep.ini -o "$T/seed2" -q --seed 2
check "another --seed gives other numbers" sh -c "! cmp -s '$T/j1/runs.csv' '$T/seed2/runs.csv'"
check "sweep: 8 points x 3 replications" [ "$(tail -n +2 "$T/j1/runs.csv" | wc -l)" -eq 24 ]
check "sweep variables are runs.csv columns" has_cols "$T/j1/runs.csv" rate w b
check "request accounting adds up (sweep)" accounting_holds "$T/j1/runs.csv"
# A replication's seed depends on the replication only, not on the point.
seeds_by_rep() {
    awk -F, 'NR>1 { if (($2 in s) && s[$2] != $3) bad++; s[$2] = $3 } END { exit bad > 0 }' "$1"
}
check "replication seeds do not depend on the sweep point" seeds_by_rep "$T/j1/runs.csv"
# --runs reproduces one row of the full run exactly (the manifest's promise).
"$SDSIM" run tests/e2e/sweep.ini --runs 13 -o "$T/one" -q
row_full=$(awk -F, '$1==13' "$T/j1/runs.csv")
row_one=$(tail -1 "$T/one/runs.csv")
check "--runs 13 reproduces run 13" [ "$row_full" = "$row_one" ]
check "manifest names the command that reproduces run 13" \
    grep -q "^run 13 .*--runs 13" "$T/j1/manifest.txt"
check "sweep plot script is written" test -s "$T/j1/sweep_latency.gp"
"$SDSIM" run tests/e2e/sweep.ini --set front.workers=5 --set sim.repeat=1 -o "$T/set" -q
check "--set overrides a key and removes its sweep" \
    [ "$(tail -n +2 "$T/set/runs.csv" | wc -l)" -eq 4 ]

# --- outcomes, timeouts, Little ------------------------------------------
"$SDSIM" run tests/e2e/timeouts.ini -o "$T/to" -q
check "overload: timeouts, rejections and in-flight all occur" awk -F, \
    'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} {exit !($c["timeouts"]>0 && $c["rejected"]>0 && $c["in_flight"]>0)}' \
    "$T/to/runs.csv"
check "request accounting adds up (overload)" accounting_holds "$T/to/runs.csv"
if [ -z "${SDSIM_E2E_QUICK:-}" ]; then
    "$SDSIM" run tests/e2e/little.ini -o "$T/little" -q
    check "Little's law holds for every service (2%)" little_holds "$T/little/components.csv" 0.02
fi

# Overload: hello.ini at 6/s against 3 workers of 1 s (capacity 3/s). About
# half the requests are still queued at the end, and the table and a
# warning on stderr (also with -q) say so; the success-only figures alone
# would read "0% failed".
SDSIM_TABLE=wide "$SDSIM" run scenarios/hello.ini --set 'load.arrival=poisson(rate=6/s)' -j 2 \
    -o "$T/h6" > "$T/h6.out" 2> "$T/h6.err"
check "hello at 6/s runs, and its [expect] lines fail (exit 1)" [ $? -eq 1 ]
# the row of the wide table "all runs  5  offered throughput goodput failed reject timeout unfinished ..."
check "hello at 6/s: the table shows about 50% unfinished" awk \
    '$1 == "unfinished" { next } /^all runs / { ok = $10 >= 45 && $10 <= 60; found = 1 }
     END { exit !(found && ok) }' "$T/h6.out"
check "hello at 6/s: summary.csv's unfinished_ratio is about 0.5" \
    sh -c "grep ',unfinished_ratio,' '$T/h6/summary.csv' | awk -F, '{ exit !(\$4 >= 0.45 && \$4 <= 0.6) }'"
check "hello at 6/s: one warning names app, its offered rate above its capacity" \
    sh -c "[ \$(grep -c '^sdsim: warning' '$T/h6.err') -eq 1 ] && grep -Eq '^sdsim: warning: app: offered (5\.9[0-9]?|6|6\.0[0-9]?)/s > capacity (2\.9[0-9]?|3|3\.0[0-9]?)/s; (4[5-9]|5[0-9])% of requests unfinished\$' '$T/h6.err'"
"$SDSIM" run scenarios/hello.ini --set 'load.arrival=poisson(rate=6/s)' --set sim.duration=500s \
    -q -o "$T/h6q" > "$T/h6q.out" 2> "$T/h6q.err"
check "the backlog warning goes to stderr with -q too" \
    sh -c "[ ! -s '$T/h6q.out' ] && grep -q '^sdsim: warning: app: offered' '$T/h6q.err'"
# autoscaling.ini: a 10 s timeout; with a 60 s cold start about 11% of the
# requests time out. Their latency counts in the all-finished p99 (10 s),
# never below the successes' p99 that leaves them out.
"$SDSIM" run scenarios/autoscaling.ini -j 2 -o "$T/as" -q
check "autoscaling.ini runs" [ $? -eq 0 ]
all_p99_above() { # per point: latency_all_p99_ms >= latency_p99_ms, > where timeouts are many
    awk -F, 'FNR == 1 { next } { k = $1 } $(NF-6) == "latency_p99_ms" { s[k] = $(NF-5) }
        $(NF-6) == "latency_all_p99_ms" { a[k] = $(NF-5) }
        $(NF-6) == "timeout_ratio" { t[k] = $(NF-5) }
        END { for (k in s) { n++; if (!(a[k] + 0 >= s[k] + 0)) bad++
                             if (t[k] > 0.05 && !(a[k] + 0 > s[k] + 0)) bad++ }
              exit bad > 0 || n != 2 }' "$1"
}
check "autoscaling.ini: the all-finished p99 is at least the success p99" all_p99_above "$T/as/summary.csv"
# the autoscaled replicas get their own panel beside the same service's queue
# (only a balancer's replicas in rotation stand for its replicas)
check "autoscaling.ini: timeseries.png draws app.queue and app.replicas" \
    sh -c "grep -q \"^set ylabel 'app.queue \" '$T/as/timeseries.gp' && grep -q \"^set ylabel 'app.replicas \" '$T/as/timeseries.gp'"

# goodput_rps leaves the breaker's fallback replies out of throughput_rps:
# in breaker-sweep.ini with fallback = reply, about a third of the replies
# at failures=3 are fallbacks.
"$SDSIM" run "$(bare breaker-sweep)" --set api.fallback=reply --set sim.repeat=2 -j 2 \
    -o "$T/fb" -q
goodput_is_throughput_less_fallbacks() {
    awk 'function split_csv(s, out,   n, i, ch, q, f) { n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) { ch = substr(s, i, 1)
                if (ch == "\"") q = !q
                if (ch == "," && !q) { out[++n] = f; f = "" } else f = f ch }
            out[++n] = f; return n }
        NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) c[h[i]] = i; next }
        { split_csv($0, v); g = v[c["goodput_rps"]]; t = v[c["throughput_rps"]]
          want = t - v[c["fallbacks"]] / v[c["window_s"]]; d = g - want
          if (d * d > 1e-10 * t * t) { print "  goodput " g ", want " want; bad++ }
          if (v[c["rep"]] == 0 && g + 0 < t + 0) less++ }
        END { exit bad > 0 || less < 2 }' "$1"
}
check "goodput_rps = throughput_rps - fallbacks / window_s, below it with fallbacks" \
    goodput_is_throughput_less_fallbacks "$T/fb/runs.csv"

# Delays and samples near the end of time (73 years) saturate: no overflow,
# no "event in the past", replies later than the run's end stay in flight.
"$SDSIM" run tests/e2e/end_of_time.ini -o "$T/eot" -q
check "times near the end of time run to the end (exit 0)" [ $? -eq 0 ]
check "request accounting adds up (end of time)" accounting_holds "$T/eot/runs.csv"
# An attempt's timeout after its request's deadline: counted once, not twice
# (timeouts used to exceed offered, and in_flight went below zero).
"$SDSIM" run tests/e2e/deadline-retry.ini -o "$T/dlr" -q 2>/dev/null
check "request accounting adds up (attempts outliving their request's deadline)" \
    accounting_holds "$T/dlr/runs.csv"

# --- run length and warm-up chosen by the simulator ----------------------------
"$SDSIM" run scenarios/hello.ini --set sim.precision=5% --set sim.duration=300000s \
    --set sim.repeat=2 -o "$T/prec" -q
check "precision = 5%: runs stop early with precision_met = yes" awk -F, \
    'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
     { if ($c["precision_met"] != "yes" || $c["window_s"] >= 99900) bad++ } END { exit bad > 0 }' \
    "$T/prec/runs.csv"
"$SDSIM" run tests/e2e/transient.ini -o "$T/auto" -q
check "warmup = auto cuts the overloaded start (MSER-5 reports a cut after it)" awk -F, \
    'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} { if (!($c["warmup_s"] >= 100)) bad++ } END { exit bad > 0 }' \
    "$T/auto/runs.csv"

# --- bad input --------------------------------------------------------------
for f in tests/bad/*.ini; do
    base=${f%.ini}
    out="$T/bad-$(basename "$base")"
    want=65 # a file named in the scenario that is missing: 66 (tests/bad/noinput_*)
    case $base in */noinput_*) want=66 ;; esac
    "$SDSIM" run "$f" -o "$out" -q 2> "$T/err"
    rc=$?
    if [ $rc -eq $want ] && cmp -s "$T/err" "$base.err" && [ ! -e "$out" ]; then
        ok "bad scenario $(basename "$f"): exit $want, expected message, no results folder"
    else
        ko "bad scenario $(basename "$f") (exit $rc)"
        diff "$base.err" "$T/err" | head -5
    fi
done
"$SDSIM" run "$T/does-not-exist.ini" -q 2>/dev/null
check "missing scenario file: exit 66" [ $? -eq 66 ]
# Out of memory: exit 71 and a message naming what was being allocated. (Not
# under AddressSanitizer, which cannot start with its address space limited.)
case "$SDSIM" in
*-san) ;;
*)
    (ulimit -v 400000; "$SDSIM" run tests/e2e/oom.ini -o "$T/oom" -q 2> "$T/oom.err")
    rc=$?
    oom_ok() { [ $rc -eq 71 ] && [ ! -e "$T/oom" ] &&
        grep -q "^sdsim: out of memory: [0-9]* bytes for models/" "$T/oom.err"; }
    check "out of memory: exit 71, the allocation named, no results folder" oom_ok
    ;;
esac
"$SDSIM" frobnicate 2>/dev/null
check "unknown command: exit 64" [ $? -eq 64 ]
"$SDSIM" run scenarios/hello.ini -j 0 2>/dev/null
check "bad -j: exit 64" [ $? -eq 64 ]
"$SDSIM" run scenarios/hello.ini --set app.workers=3 --set sim.duration=200s -o /proc/sdsim-no/x -q 2>/dev/null
check "unwritable results folder: exit 73" [ $? -eq 73 ]
for n in 0 1 3 6; do
    SDSIM_FAIL_OUTPUT=$n "$SDSIM" run scenarios/hello.ini --set sim.duration=200s -o "$T/fail$n" -q 2>/dev/null
    rc=$?
    check "failed write number $n: exit 73 and no results folder" [ $rc -eq 73 -a ! -e "$T/fail$n" ]
done
# A failed write over an existing folder leaves the old results untouched.
cp -r "$T/hello" "$T/keep"
SDSIM_FAIL_OUTPUT=2 "$SDSIM" run scenarios/hello.ini --set sim.duration=200s -o "$T/keep" -q 2>/dev/null
check "a failed write keeps the previous results intact" cmp -s "$T/hello/runs.csv" "$T/keep/runs.csv"
"$SDSIM" run tests/bad/cycle.ini -o "$T/hello" -q 2>/dev/null
check "a bad scenario does not touch an existing results folder" cmp -s "$T/hello/runs.csv" "$T/keep/runs.csv"

# --- the other commands -------------------------------------------------------
"$SDSIM" validate tests/e2e/sweep.ini > "$T/v"
check "validate: ok and the number of runs" grep -q "ok (8 sweep points x 3 replications = 24 runs)" "$T/v"
check "validate: estimates events and output rows" \
    grep -q "^estimate: .* simulated events; output 24 rows of runs.csv, .* about .* MB$" "$T/v"
"$SDSIM" validate tests/bad/huge_sweep.ini --force > "$T/v" 2>&1
check "validate --force lifts the run budget (110000 runs)" \
    grep -q "ok (11 sweep points x 10000 replications = 110000 runs)" "$T/v"
"$SDSIM" validate tests/bad/huge_output.ini --force > "$T/v" 2>&1
check "validate --force lifts the output budget, estimating 10^8 timeseries rows" \
    grep -q "100000000 timeseries.csv" "$T/v"
"$SDSIM" validate tests/bad/huge_sweep.ini --set sim.repeat=9000 > "$T/v" 2>&1
check "99000 runs are within the budget" grep -q "= 99000 runs)" "$T/v"
"$SDSIM" list > "$T/list"
check "list shows every kind, policy family and distribution" sh -c \
    "grep -q '^\[client NAME\]' '$T/list' && grep -q '^\[service NAME\]' '$T/list' && grep -q '^balance:' '$T/list' && grep -q 'round_robin' '$T/list' && grep -q 'lognormal' '$T/list' && grep -q '^\[sim\]' '$T/list'"
"$SDSIM" list service > "$T/ls"
check "list service shows its keys with defaults" grep -q "workers *int *1" "$T/ls"
# key_tables_aligned FILE: every key table in FILE (an `sdsim list` output)
# keeps its columns in line: in a kind's table (under its "  key type
# default meaning" header) and in a family's parameters (six spaces in, in
# line with the family's first), each of the type, default and meaning
# columns starts at the same place in every row, after a space.
key_tables_aligned() {
    awk '
    function at(row, i) { return substr(row, i, 1) }
    function check(row,   j) {
        for (j = 1; j <= 3; j++)
            if (at(row, p[j] - 1) != " " || at(row, p[j]) == " ") {
                print "  misaligned in " table ": " substr(row, 1, 60); bad++; return
            }
    }
    /^\[/ || /^[a-z_]+: / { table = $1; fam = ($0 !~ /^\[/); kind = 0; np = 0; next }
    /^$/ { kind = 0; fam = 0; next }
    /^  key / && !fam {
        p[1] = index($0, " type ") + 1; p[2] = index($0, " default ") + 1
        p[3] = index($0, " meaning") + 1; kind = 1; next
    }
    kind && /^  [a-z_0-9]/ { check($0); next }
    fam && /^      [a-z_0-9]/ {
        if (!np) { # the first row of the family sets the columns: cells have no spaces
            s = $0; off = 0
            for (j = 1; j <= 3; j++) {
                m = match(substr(s, off + 1), /[^ ]+ +/); off += RSTART + RLENGTH - 1; p[j] = off + 1
            }
            np = 1
        }
        check($0)
    }
    END { exit bad > 0 }' "$1"
}
# every table `sdsim list WHAT` prints, for each kind, family, sim and plot
# (and expect: [predict] is a part of it), and `sdsim list` itself
lists_aligned() {
    key_tables_aligned "$T/list" || return 1
    for w in $(sed -n 's/^\[\([a-z_]*\)[] ].*/\1/p; s/^\([a-z_]*\): .*/\1/p' "$T/list" |
               grep -vx predict | sort -u); do
        "$SDSIM" list "$w" > "$T/lw" || { echo "  sdsim list $w failed"; return 1; }
        key_tables_aligned "$T/lw" || return 1
    done
}
check "no sdsim list KIND table has a misaligned row (queue's full: reject|drop_oldest|block)" lists_aligned
"$SDSIM" list theory > "$T/lt"
check "list theory shows each formula with its conditions" sh -c \
    "grep -q '^  erlang_c ' '$T/lt' && grep -q '^  che_lru ' '$T/lt' && grep -q '^      when ' '$T/lt'"
# list learn / list drills: one entry per file of scenarios/learn/ and
# scenarios/drills/, each with the first paragraph of its comment, found
# beside the binary whatever the current folder
lessons_listed() { # lessons_listed TOPIC OUTPUT
    for f in scenarios/$1/*.ini; do
        n=$(basename "$f" .ini)
        # the summary's first four words, as the file writes them
        w=$(sed -n '1s/^# \(Step [0-9]* of [0-9]*: \|Drill: \)//p' "$f" | cut -d' ' -f1-4)
        grep -q "^  $n  *$w" "$2" || { echo "  $n: '$w' not listed"; return 1; }
    done
    [ "$(grep -c '^  [a-z0-9]' "$2")" -eq "$(ls scenarios/$1/*.ini | wc -l)" ]
}
SDSIM_ABS=$(cd "$(dirname "$SDSIM")" && pwd)/$(basename "$SDSIM")
(cd "$T" && "$SDSIM_ABS" list learn > "$T/llearn" && "$SDSIM_ABS" list drills > "$T/ldrills")
check "list learn: every step with its question (from another folder)" lessons_listed learn "$T/llearn"
check "list learn: step 1's whole question" sh -c \
    "tr -s ' \n' ' ' < '$T/llearn' | grep -q \"01-littles-law utilisation and Little's law. How busy is a server, and how many requests are inside it at once? 02-saturation\""
check "list drills: every drill with its design task" lessons_listed drills "$T/ldrills"
"$SDSIM" list nothing 2>/dev/null
check "list of an unknown name: exit 64" [ $? -eq 64 ]
"$SDSIM" --version | grep -q '^sdsim [0-9]'
check "--version" [ $? -eq 0 ]
"$SDSIM" --help | grep -q 'sdsim run FILE'
check "--help" [ $? -eq 0 ]
# Without gnuplot on the PATH the scripts are still written, and no PNG.
env PATH=/nonexistent "$SDSIM" run scenarios/hello.ini --set sim.duration=300s -o "$T/nognu" -q
check "without gnuplot the .gp scripts are written and the run succeeds" \
    sh -c "test -s '$T/nognu/latency_cdf.gp' && ! ls '$T/nognu'/*.png >/dev/null 2>&1"
if command -v gnuplot >/dev/null 2>&1; then
    check "plots are drawn when gnuplot is installed" test -s "$T/j1/latency_cdf.png" -a -s "$T/j1/sweep_latency.png"
    rm -f "$T/j1"/*.png
    "$SDSIM" plot "$T/j1" > /dev/null
    check "sdsim plot redraws the PNGs" test -s "$T/j1/latency_cdf.png"
fi

# --- caches and stores (issue 5) ---------------------------------------------
"$SDSIM" run "$(bare cache-strategies)" --set sim.duration=8s --set sim.warmup=2s \
    --set sim.repeat=1 -o "$T/cs" -q
check "cache-strategies.ini runs" [ $? -eq 0 ]
check "runs.csv has the observer's and the cache's columns" has_cols "$T/cs/runs.csv" \
    stale_reads lost_writes reads writes store_reads cache.hit_ratio
# write_around leaves the users' own writes stale: more stale reads than cache_aside
sa=$(col "$T/cs/runs.csv" stale_reads 1); sw=$(col "$T/cs/runs.csv" stale_reads 6)
check "write_around serves more stale reads than cache_aside ($sw > $sa)" [ "$sw" -gt "$sa" ]
"$SDSIM" run "$(bare write-behind-crash)" --set sim.repeat=1 --runs 5 -o "$T/wb" -q
lost=$(col "$T/wb/runs.csv" lost_writes 1)
check "a cache crash under write-behind loses acknowledged writes ($lost)" [ "${lost:-0}" -gt 0 ]
"$SDSIM" run scenarios/cache-trace.ini --set 'cache.capacity=500' \
    --set 'cache.eviction=lru' -o "$T/tr" -q 2>/dev/null
check "cache-trace.ini replays the whole trace" [ "$(col "$T/tr/runs.csv" completed 1)" = 20000 ]

# --- optimistic concurrency and backoff (issue 6: the AWS experiment) -------
# (stderr: gnuplot's warnings about the long tick labels of one point)
"$SDSIM" run "$(bare aws-backoff-jitter)" --set clients.users=50 --set sim.repeat=10 \
    -o "$T/aws" -q 2>"$T/aws.err"
check "aws-backoff-jitter.ini runs at N = 50" [ $? -eq 0 ]
check "runs.csv has the occ columns" has_cols "$T/aws/runs.csv" total_calls occ_reads \
    occ_writes last_completion_s unfinished_users
# mean total_calls of the rows whose backoff ends in "jitter=WORD)"; the
# quoted backoff holds commas, so columns after it are found from the end
calls_of() {
    awk -F, -v j="jitter=$2)" 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; w=NF; next}
        index($0, j) { s += $(c["total_calls"] + NF - w); n++ }
        END { if (n) printf "%.0f", s / n }' "$1"
}
cn=$(calls_of "$T/aws/runs.csv" none); cf=$(calls_of "$T/aws/runs.csv" full)
check "exponential backoff without jitter makes more calls than with full jitter ($cn > $cf)" \
    [ "${cn:-0}" -gt "${cf:-0}" ]
check "every occ user writes once and finishes" awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; w=NF; next}
    { d = NF - w; if ($(c["unfinished_users"] + d) != 0 || $(c["completed"] + d) != 50 ||
          $(c["occ_writes"] + d) < 50 || $(c["occ_reads"] + d) != $(c["occ_writes"] + d)) bad++ }
    END { exit bad > 0 || NR != 51 }' "$T/aws/runs.csv"
check "[sim] plot writes sweep_metrics.gp for each column" \
    grep -q "sweep_last_completion_s.png" "$T/aws/sweep_metrics.gp"
"$SDSIM" run tests/e2e/sweep.ini --set 'sim.plot=throughput_rps, nope' --set sim.repeat=1 \
    -o "$T/plot" -q 2>"$T/plot.err"
check "[sim] plot warns about a column no run has" \
    grep -q "plot: no runs.csv column 'nope'" "$T/plot.err"
check "[sim] plot draws the columns that exist" grep -q "sweep_throughput_rps.png" \
    "$T/plot/sweep_metrics.gp"
"$SDSIM" run "$(bare client-breaker)" --set sim.repeat=1 -o "$T/cb" -q 2>/dev/null
# components.csv: app's arrivals, run 0 without the breaker and run 1 with it
app_arrivals() {
    awk -F, -v run="$2" '$1 == run && /,app,service,/ { for (i = NF; i > 0; i--) if ($i == "app") { print $(i + 2); exit } }' "$1"
}
a0=$(app_arrivals "$T/cb/components.csv" 0); a1=$(app_arrivals "$T/cb/components.csv" 1)
check "a client-side breaker keeps refused attempts from app ($a1 < $a0 / 2)" \
    [ "$((${a1:-0} * 2))" -lt "${a0:-0}" -a "${a1:-0}" -gt 0 ]
check "the client's breaker reports its openings and state" has_cols "$T/cb/runs.csv" \
    load.breaker_opens load.breaker_open_s load.breaker_rejected
check "timeseries.csv has the client's breaker state" has_cols "$T/cb/timeseries.csv" \
    load.breaker_state
check "the client's breaker counts cycles apart from re-opens" has_cols "$T/cb/runs.csv" \
    load.breaker_cycles load.breaker_reopens
# ring-balance.ini, short: each replication's ring drawn from its seed
# (ring_seed = run) against one fixed ring; shares over all 100 replicas.
spread() { # spread FILE COLUMN: max - min of the column over the rows
    awk -F, -v n="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==n) c=i; next}
        {v=$c+0; if (NR==2||v<lo) lo=v; if (NR==2||v>hi) hi=v} END{print hi-lo}' "$1"
}
for ring in run fixed; do
    "$SDSIM" run "$(bare ring-balance)" --set sim.duration=20s --set sim.repeat=4 -q \
        --set "lb.policy=consistent_hash(vnodes=4, ring_seed=$ring)" -o "$T/ring-$ring" 2>/dev/null
done
check "ring-balance.ini reports per-node shares and in-flight levels" has_cols \
    "$T/ring-run/runs.csv" lb.nodes lb.share_max_over_mean lb.share_cv lb.inflight_ge0 lb.inflight_ge8
check "ring-balance.ini: shares over all 100 replicas" [ "$(col "$T/ring-run/runs.csv" lb.nodes 1)" = 100 ]
s_run=$(spread "$T/ring-run/runs.csv" lb.share_cv); s_fixed=$(spread "$T/ring-fixed/runs.csv" lb.share_cv)
check "ring_seed = run: a ring per replication (CV spread $s_run > 0.02 > $s_fixed, fixed ring)" \
    awk -v a="$s_run" -v b="$s_fixed" 'BEGIN{exit !(a > 0.02 && b < 0.02)}'
"$SDSIM" run "$(bare link-faults)" --set sim.repeat=1 -o "$T/lf" -q 2>/dev/null
check "link-faults.ini runs" [ $? -eq 0 ]
lost=$(col "$T/lf/runs.csv" lossy.dropped_messages 1); ct=$(col "$T/lf/runs.csv" api.call_timeouts 1)
check "a lossy link drops messages, each a call timeout at api ($lost = $ct > 0)" \
    [ "${lost:-0}" -gt 0 -a "${lost:-0}" = "${ct:-x}" ]
check "no message is lost at 0% ($(col "$T/lf/runs.csv" lossy.dropped_messages 2))" \
    [ "$(col "$T/lf/runs.csv" lossy.dropped_messages 2)" = 0 ]
# the delayed link: p50 of the second 10 s fault is 200 ms above the first
lag=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["run"] == 1 && $c["t_s"] == 35 { print int($c["latency_p50_ms"]) }' "$T/lf/timeseries.csv")
check "a delayed link adds 100 ms each way (p50 at 35 s: $lag ms)" [ "${lag:-0}" -ge 200 -a "${lag:-0}" -lt 260 ]
"$SDSIM" run "$(bare hedged-calls)" --set sim.repeat=1 --set sim.duration=30s -o "$T/hc" -q \
    2>/dev/null
p0=$(col "$T/hc/runs.csv" latency_p99_ms 1); p40=$(col "$T/hc/runs.csv" latency_p99_ms 2)
check "hedging db calls after 40 ms cuts api's p99 ($p40 < $p0)" \
    awk -v a="$p40" -v b="$p0" 'BEGIN { exit !(a > 0 && a < 0.8 * b) }'
h40=$(col "$T/hc/runs.csv" api.call_hedges 2); c40=$(col "$T/hc/runs.csv" api.calls 2)
check "a hedge is an extra call, a few percent of them at 40 ms ($h40 of $c40)" \
    awk -v h="$h40" -v c="$c40" 'BEGIN { exit !(h > 0 && h < 0.1 * c) }'

# --- rate limiting (scenarios/rate-limit.ini, rate-limit-retries.ini) -------
# rows of rate-limit.ini: 1 token_bucket, 2 leaky_bucket, 3 fixed_window,
# 4 sliding_log, 5 sliding_window, all at 100/s
"$SDSIM" run "$(bare rate-limit)" --set sim.repeat=1 --set sim.duration=120s -j 2 \
    -o "$T/rl" -q 2>/dev/null
"$SDSIM" run "$(bare rate-limit)" --set sim.repeat=1 --set sim.duration=120s -j 1 \
    -o "$T/rl1" -q 2>/dev/null
check "rate limiters: the same runs.csv at -j 1 and -j 2" cmp -s "$T/rl/runs.csv" "$T/rl1/runs.csv"
# the sweep values hold commas inside quotes: read a copy with them blanked
sed 's/"[^"]*"/limiter/g' "$T/rl/runs.csv" > "$T/rl.csv"
fw=$(col "$T/rl.csv" GW.peak_passed 3); sl=$(col "$T/rl.csv" GW.peak_passed 4)
check "a fixed window passes more than its limit within 1 s, a sliding log never ($fw, $sl; limit 100)" \
    awk -v a="$fw" -v b="$sl" 'BEGIN { exit !(a > 150 && b > 0 && b <= 100) }'
lb=$(col "$T/rl.csv" GW.peak_passed 2); ld=$(col "$T/rl.csv" GW.delayed 2)
check "a leaky bucket shapes: at most its rate passes in 1 s, delaying the rest ($lb, $ld delayed)" \
    awk -v a="$lb" -v b="$ld" 'BEGIN { exit !(a > 0 && a <= 100 && b > 0) }'
rl_ends_once() { # the accounting holds, and every limiter refused some
    accounting_holds "$T/rl.csv" &&
        awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} { if ($c["rate_limited"] == 0) bad++ }
            END { exit bad > 0 || NR < 6 }' "$T/rl.csv"
}
check "each request ends once: offered = completed + rate_limited + rejected + timeouts + errors + in_flight" \
    rl_ends_once
check "without retries the client's rate_limited is the gateway's refusals" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        { if ($c["rate_limited"] != $c["GW.rate_limited"] || $c["rejected"] != 0) bad++ }
        END { exit bad > 0 }' "$T/rl.csv"
check "runs.csv has a rate_limited column only where a balancer limits" \
    sh -c "! head -1 '$T/hello/runs.csv' | tr ',' '\\n' | grep -qx rate_limited"
"$SDSIM" run "$(bare rate-limit-retries)" --set sim.repeat=1 --set sim.duration=40s \
    -o "$T/rr" -q 2>/dev/null
"$SDSIM" run "$(bare rate-limit-retries)" --set sim.repeat=1 --set sim.duration=40s \
    --set users.retry_on=error -o "$T/rr0" -q 2>/dev/null
sed 's/"[^"]*"/limiter/g' "$T/rr/runs.csv" > "$T/rr.csv"
sed 's/"[^"]*"/limiter/g' "$T/rr0/runs.csv" > "$T/rr0.csv"
a0=$(col "$T/rr0.csv" attempts_per_request 1); a1=$(col "$T/rr.csv" attempts_per_request 1)
check "a 429 is retried only when retry_on names rate_limited ($a0 vs $a1 attempts per request)" \
    awk -v a="$a0" -v b="$a1" 'BEGIN { exit !(a == 1 && b > 2) }'
# rows: 1 no hint/token_bucket, 2 no hint/fixed_window, 3 hint/token_bucket, 4 hint/fixed_window
p2=$(col "$T/rr.csv" latency_p99_ms 2); p4=$(col "$T/rr.csv" latency_p99_ms 4)
check "clients honour a fixed window's Retry-After: retries wait for the next window ($p2 vs $p4 ms p99)" \
    awk -v a="$p2" -v b="$p4" 'BEGIN { exit !(b > 1000 && b > 3 * a) }'

# --- a limit shared by gateway nodes (scenarios/rate-limit-distributed.ini) --
# points: 0-2 token_bucket, 3-5 fixed_window, 6-8 sliding_window; within
# each, sync = 10ms, 100ms, 1s. Shorter runs than the scenario's (2 x 60 s):
# the bands hold the scenario's figures and these runs' spread.
"$SDSIM" run scenarios/rate-limit-distributed.ini --set sim.repeat=2 --set sim.duration=60s \
    -j 2 -o "$T/rld" -q 2>/dev/null
"$SDSIM" run scenarios/rate-limit-distributed.ini --set sim.repeat=2 --set sim.duration=60s \
    -j 1 -o "$T/rld1" -q 2>/dev/null
check "shared limits: the same runs.csv and timeseries.csv at -j 1 and -j 2" \
    sh -c "cmp -s '$T/rld/runs.csv' '$T/rld1/runs.csv' && cmp -s '$T/rld/timeseries.csv' '$T/rld1/timeseries.csv'"
sed 's/"[^"]*"/limiter/g' "$T/rld/summary.csv" > "$T/rld.csv"
sv() { # sv POINT METRIC: the summary value
    awk -F, -v p="$1" -v m="$2" 'NR > 1 && $1 == p && $5 == m { print $6 }' "$T/rld.csv"
}
within() { # within VALUE LO HI
    awk -v v="$1" -v a="$2" -v b="$3" 'BEGIN { exit !(v != "" && v + 0 >= a && v + 0 <= b) }'
}
f0=$(sv 3 SYNCED.over_admission); f1=$(sv 4 SYNCED.over_admission); f2=$(sv 5 SYNCED.over_admission)
check "synced fixed window: about 0.7%, 7%, 100% over the limit at 10 ms, 100 ms, 1 s ($f0, $f1, $f2)" \
    eval "within '$f0' 0.004 0.011 && within '$f1' 0.055 0.09 && within '$f2' 0.97 1.02"
s0=$(sv 6 SYNCED.over_admission); s1=$(sv 7 SYNCED.over_admission); s2=$(sv 8 SYNCED.over_admission)
check "synced sliding window: about 0.5%, 5%, 46% over at 10 ms, 100 ms, 1 s ($s0, $s1, $s2)" \
    eval "within '$s0' 0.003 0.008 && within '$s1' 0.035 0.065 && within '$s2' 0.40 0.52"
t0=$(sv 0 SYNCED.admitted_rps); t1=$(sv 1 SYNCED.admitted_rps); t2=$(sv 2 SYNCED.admitted_rps)
check "synced token bucket: the long-run rate within 2% of the 200/s limit at every interval ($t0, $t1, $t2)" \
    eval "within '$t0' 196 204 && within '$t1' 196 204 && within '$t2' 196 204"
p0=$(sv 0 SYNCED.peak_passed); p2=$(sv 2 SYNCED.peak_passed)
check "synced token bucket: its most in one second grows from about 207 to about 415 ($p0, $p2)" \
    eval "within '$p0' 200 215 && within '$p2' 380 450"
sed 's/"[^"]*"/limiter/g' "$T/rld/timeseries.csv" > "$T/rld-ts.csv"
sed 's/"[^"]*"/limiter/g' "$T/rld/components.csv" > "$T/rld-comp.csv"
check "synced token bucket at 1 s: the admitted rate swings between about 100/s and 300/s" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        $c["run"] == 4 && $c["t_s"] > 5 { v = $c["SYNCED.admitted_rps"]; n++; lo += v < 150; hi += v > 250 }
        END { exit !(n >= 50 && lo >= 0.2 * n && hi >= 0.2 * n) }' "$T/rld-ts.csv"
check "the central counter is exact within 0.05% at every point" \
    awk -F, 'NR > 1 && $5 == "CENTRAL.over_admission" { n++; if ($6 < -0.0005 || $6 > 0.0005) bad++ }
        END { exit !(n == 9 && bad == 0) }' "$T/rld.csv"
check "400 checks/s keep the counter store about 40% busy (components.csv)" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        $c["component"] == "counters" { u += $c["utilisation"]; n++ }
        END { u /= n; exit !(n == 18 && u > 0.38 && u < 0.42) }' "$T/rld-comp.csv"
bc=$(sv 3 CENTRAL.limiter_bytes); bs=$(sv 3 SYNCED.limiter_bytes)
check "a limit synced over 4 nodes holds 5 copies: the global count and each node's ($bs = 5 x $bc bytes)" \
    awk -v c="$bc" -v s="$bs" 'BEGIN { exit !(c > 0 && s == 5 * c) }'
cm=$(sv 0 CENTRAL.check_mean_ms)
check "a check at the counter store takes about 2.6 ms ($cm)" within "$cm" 2.5 2.8
check "requests through CENTRAL take about 8.7 ms, through SYNCED 6.0 ms (components.csv)" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        $c["component"] == "CENTRAL" { a += $c["response_mean_ms"]; na++ }
        $c["component"] == "SYNCED" { b += $c["response_mean_ms"]; nb++ }
        END { a /= na; b /= nb; exit !(a > 8.4 && a < 9.0 && b > 5.8 && b < 6.25) }' "$T/rld-comp.csv"
"$SDSIM" run scenarios/rate-limit-distributed.ini --set sim.repeat=1 --set sim.duration=20s \
    --set 'synced_users.arrival=poisson(rate=2000/s)' -o "$T/rld4" -q 2>/dev/null
sed 's/"[^"]*"/limiter/g' "$T/rld4/runs.csv" > "$T/rld4.csv"
a4=$(col "$T/rld4.csv" SYNCED.admitted_rps 6)
check "4 synced fixed-window nodes pass 4 times the limit under a heavy load ($a4 of 800/s)" \
    within "$a4" 780 800
"$SDSIM" run scenarios/rate-limit-distributed.ini --set sim.repeat=1 --set sim.duration=20s \
    --set SYNCED.limit_nodes=1 -o "$T/rld1n" -q 2>/dev/null
sed 's/"[^"]*"/limiter/g' "$T/rld1n/runs.csv" > "$T/rld1n.csv"
check "one node synced with itself decides exactly as one limiter (over_admission 0)" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} { n++; if ($c["SYNCED.over_admission"] != 0) bad++ }
        END { exit !(n == 9 && bad == 0) }' "$T/rld1n.csv"

"$SDSIM" run tests/e2e/limit_store_fault.ini -o "$T/lsf" -q 2>/dev/null
check "a crashed counter store: allow lets its checks through uncounted, deny fails them" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        { e = $c["GW.store_errors"]; if (e < 1800 || e > 2200) bad++ }
        $c["on_store_error"] == "allow" && !($c["errors"] == 0 && $c["completed"] == 2000 + e) { bad++ }
        $c["on_store_error"] == "deny" && !($c["errors"] == e && $c["completed"] == 2000) { bad++ }
        END { exit !(NR == 3 && bad == 0) }' "$T/lsf/runs.csv"
# --- an auth service outage ---------------------------------------------------
# auth-outage.ini: the auth service is down 55-70 s and every token expires
# at 60 s. Valid tokens carry requests through the first 5 s of the outage;
# from 60 s every request needs a refresh that fails (unauthenticated); from
# 70 s refreshes work again. (t_s is an interval's end.)
"$SDSIM" run tests/e2e/auth-outage.ini -o "$T/ao" -q 2>/dev/null
check "auth service down: valid tokens go on, expired ones end unauthenticated until it is back" \
    awk -F, 'NR==1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { t = $c["t_s"]; ok = $c["throughput_rps"]; un = $c["users.unauthenticated_rps"]
          if (t > 56 && t <= 60 && !(ok > 150 && un == 0)) bad++
          if (t > 61 && t <= 70 && !(ok == 0 && un > 150)) bad++
          if (t > 71 && un != 0) bad++; n++ }
        END { exit bad > 0 || n < 100 }' "$T/ao/timeseries.csv"
check "auth service down: the requests ended unauthenticated are the refreshes that failed (about 10 s x 200/s)" \
    awk -F, 'NR==1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { u = $c["unauthenticated"]; f = $c["app.refresh_failed"]
          exit !(u == f && u > 1800 && u < 2200) }' "$T/ao/runs.csv"
check "request accounting adds up (auth outage)" accounting_holds "$T/ao/runs.csv"

# --- every shipped scenario parses ------------------------------------------
bad_scenarios=""
for f in scenarios/*.ini scenarios/validation/*.ini; do
    "$SDSIM" validate "$f" > /dev/null 2>"$T/validate.err" || { bad_scenarios="$bad_scenarios $f"; cat "$T/validate.err"; }
done
check "every scenario in scenarios/ validates${bad_scenarios:+ (not:$bad_scenarios)}" [ -z "$bad_scenarios" ]
# Every shipped scenario names the columns its table is about.
noshow=""
for f in scenarios/*.ini scenarios/*/*.ini; do
    case $f in scenarios/validation/*) continue ;; esac
    grep -q '^ *show *=' "$f" || noshow="$noshow $f"
done
check "every shipped scenario sets [sim] show${noshow:+ (not:$noshow)}" [ -z "$noshow" ]

# --- napkin math before a run ------------------------------------------------
# hello.ini is M/M/3 at rho = 2.55 / 3 = 0.85 (its comment says so).
"$SDSIM" validate scenarios/hello.ini > "$T/nap" 2> "$T/nap.err"
check "validate of hello.ini: app offered 2.55/s, capacity 3/s, utilisation 0.85, the bottleneck" \
    sh -c "grep -Eq '^  app +service +2\.55 +3 +0\.85\$' '$T/nap' &&
           grep -qx '  bottleneck: app, utilisation 0.85' '$T/nap' && [ ! -s '$T/nap.err' ]"
hq=$(sed -n 's/.*utilisation \([0-9.]*\), the bottleneck.*/\1/p' scenarios/hello.ini)
check "hello.ini's comment quotes the napkin utilisation ($hq)" [ "$hq" = 0.85 ]
# components.csv: the napkin utilisation next to the simulated one (mean of
# the 5 replications); 2%: the runs' spread of utilisation is about 1%.
nap_close() {
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        $c["component"] == "app" { u += $c["utilisation"]; e = $c["utilisation_expected"]; n++
            if ($c["capacity_rps"] != 3 || $c["offered_rps_expected"] != 2.55) bad++ }
        END { u /= n; d = (u - e) / e; if (d < 0) d = -d
              printf "  simulated %.4f, expected %s\n", u, e; exit bad > 0 || n != 5 || d > 0.02 }' \
        "$T/hello/components.csv"
}
check "components.csv: hello's utilisation_expected is within 2% of the simulated utilisation" nap_close
hl=$(grep -n '^\[service app\]' scenarios/hello.ini | cut -d: -f1)
"$SDSIM" validate scenarios/hello.ini --set 'load.arrival=poisson(rate=6/s)' > "$T/nap" 2> "$T/nap.err"
rc=$?
check "validate warns at hello.ini:$hl:1 when app is offered 6/s for 3/s, and exits 0" \
    sh -c "[ $rc -eq 0 ] && grep -q ': ok (' '$T/nap' &&
           [ \"\$(cat '$T/nap.err')\" = 'scenarios/hello.ini:$hl:1: warning: app: offered 6.0/s >= capacity 3.0/s: its queue grows without bound' ]"
"$SDSIM" validate scenarios/hello.ini --set 'load.arrival=poisson(rate=6/s)' --strict \
    > "$T/nap" 2> "$T/nap.err"
rc=$?
check "validate --strict makes it an error: exit 65, no ok line" \
    sh -c "[ $rc -eq 65 ] && [ ! -s '$T/nap' ] &&
           grep -qx 'scenarios/hello.ini:$hl:1: error: app: offered 6.0/s >= capacity 3.0/s: its queue grows without bound' '$T/nap.err' &&
           grep -qx '1 error in scenarios/hello.ini' '$T/nap.err'"
ol=$(grep -n '^\[service app\]' scenarios/overload.ini | cut -d: -f1)
"$SDSIM" validate scenarios/overload.ini > "$T/nap" 2> "$T/nap.err"
rc=$?
check "validate of overload.ini warns at its line $ol for the 3.3/s and 6/s points only, exit 0" \
    sh -c "[ $rc -eq 0 ] && [ \$(grep -c warning '$T/nap.err') -eq 2 ] &&
           grep -qx 'scenarios/overload.ini:$ol:1: warning: app: offered 6.0/s >= capacity 3.0/s: its queue grows without bound (sweep point 2: rate=6)' '$T/nap.err' &&
           grep -q 'scenarios/overload.ini:$ol:1: warning: app: offered 3.3/s >= capacity 3.0/s' '$T/nap.err'"
"$SDSIM" run scenarios/overload.ini --strict -q -o "$T/nap_run" 2> "$T/nap.err"
rc=$?
check "run --strict refuses overload.ini before any run (exit 65, no results)" \
    sh -c "[ $rc -eq 65 ] && [ ! -e '$T/nap_run' ] && grep -q '2 errors in scenarios/overload.ini' '$T/nap.err'"
"$SDSIM" run scenarios/hello.ini --set sim.duration=200s -o "$T/nap_run" > "$T/nap" 2>/dev/null
check "run prints the napkin math before its table (without -q)" \
    sh -c "head -1 '$T/nap' | grep -q '^napkin math' && grep -qx '  bottleneck: app, utilisation 0.85' '$T/nap'"
# Only the scenarios meant to be overloaded warn: overload.ini, consumers-batch.ini
# and consumers-batch-partitions.ini (batch = 1), consumers-prefetch.ini (prefetch = 1), and
# pubsub-slow-subscriber.ini, whose analytics group is sent 500/s for its
# 400/s (a queue's consumers get its publishes in the napkin math).
warned=""
for f in scenarios/*.ini scenarios/validation/*.ini; do
    "$SDSIM" validate "$f" > /dev/null 2>"$T/nap.err"
    grep -q ': warning: ' "$T/nap.err" && warned="$warned $f"
done
warned=" $(printf '%s\n' $warned | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" # any locale's glob order
check "no shipped scenario warns but consumers-batch.ini and consumers-batch-partitions.ini (batch = 1: 667/s for 800/s, on purpose), consumers-prefetch.ini (prefetch = 1: 444/s for 600/s, on purpose), consumers-rebalance.ini (1 consumer of 250/s for 400/s, on purpose), overload.ini and pubsub-slow-subscriber.ini (warned:$warned)" \
    [ "$warned" = " scenarios/consumers-batch-partitions.ini scenarios/consumers-batch.ini scenarios/consumers-prefetch.ini scenarios/consumers-rebalance.ini scenarios/overload.ini scenarios/pubsub-slow-subscriber.ini" ]
"$SDSIM" validate scenarios/queue-backlog.ini > "$T/napq" 2>&1
check "validate: a queue's consumers are offered its publishes (600/s of 1000/s: 0.6)" \
    grep -Eq '^  workers +consumers +600 +1000 +0\.6$' "$T/napq"

# --- caches in bytes, cache lookup queues (issue 5) -----------------------------
# cell FILE COL KEY=VALUE...: COL of the first row whose named columns match
cell() {
    f=$1; c=$2; shift 2
    awk -F, -v want="$c" -v conds="$*" 'NR==1{for(i=1;i<=NF;i++) h[$i]=i; n=split(conds, cs, " "); next}
        { for (k = 1; k <= n; k++) { e = index(cs[k], "="); if ($h[substr(cs[k], 1, e - 1)] != substr(cs[k], e + 1)) next }
          print $h[want]; exit }' "$f"
}
"$SDSIM" run scenarios/cache-bytes.ini -j 2 -o "$T/cb2" -q 2>/dev/null
check "cache-bytes.ini runs" [ $? -eq 0 ]
check "a byte-capacity cache reports byte_hit_ratio, bytes_cached and too_big" \
    has_cols "$T/cb2/runs.csv" cache.byte_hit_ratio cache.bytes_cached cache.too_big
bc=$(cell "$T/cb2/runs.csv" cache.bytes_cached eviction=lru)
"$SDSIM" run scenarios/cache-bytes.ini -j 1 -o "$T/cb1" -q 2>/dev/null
check "cache-bytes.ini: -j1 and -j2 give byte-identical runs.csv" cmp -s "$T/cb1/runs.csv" "$T/cb2/runs.csv"
check "the cache never holds more than its 64 MB ($bc)" \
    awk -v b="$bc" 'BEGIN { exit !(b > 0.9 * 64e6 && b <= 64e6) }'
# lfu and sieve tie in the short runs of cache-bytes.ini and cache-trace.ini
# (SIEVE's hand never comes round: both drop the oldest object not hit since
# it came in) and part once it does: cache-bytes.ini at 8 MB
hl=$(cell "$T/cb2/runs.csv" cache.hit_ratio eviction=lfu)
hs=$(cell "$T/cb2/runs.csv" cache.hit_ratio eviction=sieve)
check "cache-bytes.ini: lfu and sieve tie ($hl, $hs)" [ -n "$hl" -a "$hl" = "$hs" ]
"$SDSIM" run "$(bare cache-bytes)" --set cache.capacity=8MB \
    --set 'cache.eviction=${eviction = lfu, sieve}' -j 2 -o "$T/cb8" -q 2>/dev/null
hl=$(cell "$T/cb8/runs.csv" cache.hit_ratio eviction=lfu)
hs=$(cell "$T/cb8/runs.csv" cache.hit_ratio eviction=sieve)
check "cache-bytes.ini at 8 MB: lfu 0.416, sieve 0.409 ($hl, $hs)" \
    awk -v l="$hl" -v s="$hs" 'BEGIN { exit !(l > 0.41 && l < 0.42 && s > 0.404 && s < 0.414) }'
"$SDSIM" run scenarios/cache-trace.ini -j 2 -o "$T/trls" -q 2>/dev/null
tl=$(cell "$T/trls/runs.csv" cache.hit_ratio capacity=500 eviction=lfu)
ts=$(cell "$T/trls/runs.csv" cache.hit_ratio capacity=500 eviction=sieve)
check "cache-trace.ini: lfu and sieve tie at 500 objects ($tl, $ts)" [ -n "$tl" -a "$tl" = "$ts" ]
"$SDSIM" run "$(bare cache-queue expect)" --set sim.repeat=1 --set sim.duration=10s -o "$T/cq" -q 2>/dev/null
r1=$(cell "$T/cq/runs.csv" cache.lookup_rejected rate=12000 workers=1)
r2=$(cell "$T/cq/runs.csv" cache.lookup_rejected rate=5000 workers=1)
check "one cache worker overloaded at 12000/s rejects lookups, not at 5000/s ($r1, $r2)" \
    [ "${r1:-0}" -gt 0 -a "${r2:-x}" = 0 ]
# Its [predict] guesses the database as the bottleneck: at every point the
# single-threaded cache node is busier (and the napkin math says so too).
v=$(verdicts "$T/cq/expect.csv")
check "cache-queue.ini: the bottleneck guess 'db' is off at all 8 points, the cache is busiest ($v)" \
    sh -c "[ '$v' = 'predict:miss x8' ] && [ \$(grep -c ',predict,cache\\.utilisation,bottleneck = db,' '$T/cq/expect.csv') -eq 8 ]"
"$SDSIM" run "$(bare cache-queue expect)" --set sim.repeat=1 --set sim.duration=10s -o "$T/cq" 2>/dev/null |
    grep '^predict: ' > "$T/cq.pred"
check "cache-queue.ini: each point's line names the cache, the guess's utilisation and the napkin's bottleneck" \
    sh -c "[ \$(grep -c '^predict: bottleneck = db \\[rate=[0-9]* workers=[12]\\]: cache (utilisation [0-9.]*; db [0-9.]*); guess off; napkin math said cache\$' '$T/cq.pred') -eq 8 ]"
# README: at 5000/s on one worker, the cache about 0.5 (5000/s x 100 us), the database under 0.1
u=$(sed -n 's/^predict: bottleneck = db \[rate=5000 workers=1\]: cache (utilisation \([0-9.]*\); db \([0-9.]*\)).*/\1 \2/p' "$T/cq.pred")
check "cache-queue.ini: at 5000/s on one worker the cache is about 0.5 busy, the database under 0.1 ($u)" \
    awk -v c="${u% *}" -v b="${u#* }" 'BEGIN { exit !(c > 0.45 && c < 0.55 && b > 0 && b < 0.1) }'

# --- messaging (scenarios/queue-backlog.ini) -------------------------------------
"$SDSIM" run scenarios/queue-backlog.ini -j 2 -o "$T/qb" -q 2>/dev/null
check "queue-backlog.ini runs" [ $? -eq 0 ]
# The comment's numbers: a peak backlog of about 10000 at the end of the
# spike (t = 40 s), drained in about backlog / (capacity - rate) = 25 s (the
# first second after the peak whose backlog is under 1% of the peak), both
# within 10%.
qb=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { n++; b[n] = $c["q.backlog"]; t[n] = $c["t_s"]; if (b[n] > peak) { peak = b[n]; ip = n } }
    END { for (i = ip + 1; i <= n && !d; i++) if (b[i] < peak / 100) d = t[i] - 40
          print peak, d + 0 }' "$T/qb/timeseries.csv")
check "queue-backlog.ini: the spike leaves about 10000 messages, drained in about 25 s ($qb)" \
    awk -v p="${qb% *}" -v d="${qb#* }" 'BEGIN { exit !(p > 9000 && p < 11000 && d > 22.5 && d < 27.5) }'
ep=$(cell "$T/qb/runs.csv" q.e2e_p99_ms)
check "queue-backlog.ini: a message published at the end of the spike waits about 10 s ($ep ms)" \
    awk -v e="$ep" 'BEGIN { exit !(e > 9000 && e < 11000) }'
pl=$(cell "$T/qb/runs.csv" latency_p99_ms)
check "queue-backlog.ini: publishers are acked at once through the spike (p99 $pl ms)" \
    awk -v l="$pl" 'BEGIN { exit !(l > 6.5 && l < 7.5) }'
"$SDSIM" run scenarios/queue-backlog.ini --set sim.repeat=3 -j 1 -o "$T/qb1" -q 2>/dev/null &&
    "$SDSIM" run scenarios/queue-backlog.ini --set sim.repeat=3 -j 2 -o "$T/qb2" -q 2>/dev/null
check "queue-backlog.ini: -j1 and -j2 give byte-identical files" \
    sh -c "cmp -s '$T/qb1/runs.csv' '$T/qb2/runs.csv' && cmp -s '$T/qb1/summary.csv' '$T/qb2/summary.csv' && cmp -s '$T/qb1/components.csv' '$T/qb2/components.csv' && cmp -s '$T/qb1/timeseries.csv' '$T/qb2/timeseries.csv' && cmp -s '$T/qb1/histograms.csv' '$T/qb2/histograms.csv'"

# scenarios/queue-consumer-crash.ini: the consumers down from 30 to 40 s
"$SDSIM" run scenarios/queue-consumer-crash.ini -j 2 -o "$T/qc" -q 2>/dev/null
check "queue-consumer-crash.ini runs" [ $? -eq 0 ]
qc=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["ack"] != "after_processing" { next }
    { n++; b[n] = $c["q.backlog"]; t[n] = $c["t_s"]; if (b[n] > peak) { peak = b[n]; ip = n } }
    END { for (i = ip + 1; i <= n && !d; i++) if (b[i] < peak / 100) d = t[i] - 40
          print peak, d + 0 }' "$T/qc/timeseries.csv")
check "queue-consumer-crash.ini: 10 s down leave about 6000 messages, drained in about 15 s ($qc)" \
    awk -v p="${qc% *}" -v d="${qc#* }" 'BEGIN { exit !(p > 5100 && p < 6900 && d > 12.75 && d < 17.25) }'
lg=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["t_s"] == 40 { printf "%s ", $c["workers.lag_s"] }' "$T/qc/timeseries.csv")
check "queue-consumer-crash.ini: the lag in time at t = 40 s is about the 10 s outage ($lg)" \
    awk -v l="$lg" 'BEGIN { n = split(l, v, " "); for (i = 1; i <= n; i++) if (!(v[i] >= 9.5 && v[i] <= 10.5)) bad++
        exit n != 2 || bad > 0 }'
ra=$(cell "$T/qc/runs.csv" workers.redelivered ack=after_processing)
la=$(cell "$T/qc/runs.csv" workers.lost ack=after_processing)
rr=$(cell "$T/qc/runs.csv" workers.redelivered ack=on_receive)
lr=$(cell "$T/qc/runs.csv" workers.lost ack=on_receive)
pa=$(cell "$T/qc/runs.csv" workers.processed ack=after_processing)
pr=$(cell "$T/qc/runs.csv" workers.processed ack=on_receive)
check "queue-consumer-crash.ini: after_processing redelivers, on_receive loses the messages in processing ($ra/$la, $rr/$lr; processed $pa, $pr)" \
    awk -v ra="$ra" -v la="$la" -v rr="$rr" -v lr="$lr" -v pa="$pa" -v pr="$pr" \
    'BEGIN { exit !(ra > 0 && ra <= 10 && la == 0 && rr == 0 && lr == ra && pa - pr == lr) }'
# scenarios/queue-hot-key.ini: the hot key's partition lags by 0.3 s a
# second (its [expect] lines check the rest); the keys column holds commas
# (in quotes, before the components' columns), so workers.lag_s is found by
# its place from the end of the header
"$SDSIM" run scenarios/queue-hot-key.ini -j 2 -o "$T/qh" -q 2>/dev/null
check "queue-hot-key.ini runs" [ $? -eq 0 ]
hl=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "workers.lag_s") back = NF - i; next }
    /"hotset\(/ && /,key,60,/ { printf "%s ", $(NF - back) }' "$T/qh/timeseries.csv")
check "queue-hot-key.ini: the hot partition's lag in time at t = 60 s is about 17.5 s ($hl)" \
    awk -v l="$hl" 'BEGIN { n = split(l, v, " "); for (i = 1; i <= n; i++) if (!(v[i] >= 16 && v[i] <= 19)) bad++
        exit n != 3 || bad > 0 }'
# scenarios/queue-poison-dlq.ini: 1% poison messages, 10% transient
# failures, max_deliveries 1, 3 and 5, a dead-letter queue read by triage.
# Each ratio is checked within 4 standard deviations of its binomial count
# (sd = sqrt(n p (1 - p)) dead letters; the failures, a sum of at most max
# Bernoulli trials per message, within 4 sd of n times their variance
# bounded by max x 0.25).
"$SDSIM" run scenarios/queue-poison-dlq.ini -j 2 -o "$T/pd" -q 2>/dev/null
check "queue-poison-dlq.ini runs" [ $? -eq 0 ]
for mp in "1 0.109 0.109" "3 0.01099 0.13989" "5 0.0100099 0.16"; do
    set -- $mp
    n=$(cell "$T/pd/runs.csv" q.published max=$1)
    dl=$(cell "$T/pd/runs.csv" q.dead_lettered max=$1)
    fp=$(cell "$T/pd/runs.csv" workers.failed_processing max=$1)
    check "queue-poison-dlq.ini max_deliveries=$1: dead-lettered $dl of $n (expected $2 of them), failed processings $fp (expected $3)" \
        awk -v n="$n" -v d="$dl" -v f="$fp" -v p="$2" -v q="$3" -v m="$1" 'BEGIN {
            sd = sqrt(n * p * (1 - p)); e = d - n * p; if (e < 0) e = -e
            sf = sqrt(n * m * 0.25); g = f - n * q; if (g < 0) g = -g
            exit !(n > 23000 && n < 25000 && e <= 4 * sd && g <= 4 * sf) }'
    dp=$(cell "$T/pd/runs.csv" dead.published max=$1)
    tp=$(cell "$T/pd/runs.csv" triage.processed max=$1)
    wp=$(cell "$T/pd/runs.csv" workers.processed max=$1)
    lt=$(cell "$T/pd/runs.csv" q.lost_total max=$1)
    check "queue-poison-dlq.ini max_deliveries=$1: the dlq gets every dead letter ($dp), triage processes them but the last few ($tp), nothing is lost ($lt), every message is accounted for ($wp + $dl of $n)" \
        awk -v n="$n" -v d="$dl" -v dp="$dp" -v tp="$tp" -v wp="$wp" -v lt="$lt" 'BEGIN {
            exit !(dp == d && tp <= dp && dp - tp <= 3 && lt == 0 && wp + d <= n && n - wp - d <= 10) }'
done
# scenarios/queue-retention.ini: consumers down 20 min, retention 10 min;
# an unbounded queue loses about 6000 to retention, a capacity of 5000
# about 7000 to drop_oldest and none to retention (both within 5%); peak
# backlog about 6000 and 5000, drained in about 86 s and 71 s after
# t = 25 min (within 10%).
"$SDSIM" run scenarios/queue-retention.ini -j 2 -o "$T/rt" -q 2>/dev/null
check "queue-retention.ini runs" [ $? -eq 0 ]
ru=$(cell "$T/rt/runs.csv" q.lost_retention capacity=unbounded)
du=$(cell "$T/rt/runs.csv" q.lost_drop_oldest capacity=unbounded)
tu=$(cell "$T/rt/runs.csv" q.lost_total capacity=unbounded)
rc5=$(cell "$T/rt/runs.csv" q.lost_retention capacity=5000)
dc5=$(cell "$T/rt/runs.csv" q.lost_drop_oldest capacity=5000)
tc5=$(cell "$T/rt/runs.csv" q.lost_total capacity=5000)
check "queue-retention.ini: lost by cause: unbounded $ru retention + $du dropped, capacity 5000 $rc5 retention + $dc5 dropped" \
    awk -v ru="$ru" -v du="$du" -v tu="$tu" -v rc="$rc5" -v dc="$dc5" -v tc="$tc5" 'BEGIN {
        exit !(ru > 5700 && ru < 6300 && du == 0 && tu == ru && rc == 0 && dc > 6650 && dc < 7350 && tc == dc) }'
for pd in "unbounded 6000 86" "5000 5000 71"; do
    set -- $pd
    r=$(awk -F, -v cap="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["capacity"] != cap { next }
        { n++; b[n] = $c["q.backlog"]; t[n] = $c["t_s"]; if (b[n] > peak) peak = b[n] }
        END { for (i = 1; i <= n && !d; i++) if (t[i] > 1500 && b[i] < peak / 100) d = t[i] - 1500
              print peak, d + 0 }' "$T/rt/timeseries.csv")
    check "queue-retention.ini capacity=$1: peak backlog about $2, drained in about $3 s ($r)" \
        awk -v p="${r% *}" -v d="${r#* }" -v ep="$2" -v ed="$3" 'BEGIN {
            exit !(p > 0.9 * ep && p < 1.1 * ep && d > 0.9 * ed && d < 1.1 * ed) }'
done
# scenarios/queue-duplicates.ini: a 1 s visibility timeout, consumers
# slowed to 1.5 s a message from 30 to 40 s: about 70 deliveries come back
# (10 consumers x 7); without dedupe each is processed twice, with dedupe
# each is skipped, at the cost of 3000 to 3500 ids in 196608 bytes.
"$SDSIM" run scenarios/queue-duplicates.ini -j 2 -o "$T/dup" -q 2>/dev/null
check "queue-duplicates.ini runs" [ $? -eq 0 ]
n=$(cell "$T/dup/runs.csv" q.published dedupe=none)
vn=$(cell "$T/dup/runs.csv" workers.visibility_expired dedupe=none)
dn=$(cell "$T/dup/runs.csv" workers.duplicates_processed dedupe=none)
pn=$(cell "$T/dup/runs.csv" workers.processed dedupe=none)
check "queue-duplicates.ini dedupe=none: $vn deliveries came back (about 70), each processed twice ($dn), every message processed once at least ($pn - $dn of $n)" \
    awk -v n="$n" -v v="$vn" -v d="$dn" -v p="$pn" 'BEGIN {
        exit !(v >= 63 && v <= 70 && d == v && p - d <= n && n - (p - d) <= 10) }'
vd=$(cell "$T/dup/runs.csv" workers.visibility_expired dedupe=1min)
dd=$(cell "$T/dup/runs.csv" workers.duplicates_processed dedupe=1min)
kd=$(cell "$T/dup/runs.csv" workers.deduped dedupe=1min)
pd=$(cell "$T/dup/runs.csv" workers.processed dedupe=1min)
im=$(cell "$T/dup/runs.csv" workers.dedupe_ids_max dedupe=1min)
bm=$(cell "$T/dup/runs.csv" workers.dedupe_bytes_max dedupe=1min)
check "queue-duplicates.ini dedupe=1min: $kd of $vd copies deduped, $dd duplicates, $pd processed, $im ids in $bm bytes" \
    awk -v v="$vd" -v d="$dd" -v k="$kd" -v p="$pd" -v pn="$pn" -v dn="$dn" -v i="$im" -v b="$bm" 'BEGIN {
        exit !(v == '"$vn"' && k == v && d == 0 && p == pn - dn && i >= 3000 && i <= 3500 && b == 196608) }'
# scenarios/consumers-autoscale.ini: the same traffic step through two
# groups, autoscaled on lag and on utilisation.
"$SDSIM" run scenarios/consumers-autoscale.ini -j 2 -o "$T/cas" -q 2>/dev/null
check "consumers-autoscale.ini runs" [ $? -eq 0 ]
ca=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { l = $c["by_lag.backlog"]; u = $c["by_cpu.backlog"]; if (l > pl) pl = l; if (u > pu) pu = u
      r[$c["t_s"]] = $c["by_lag.consumers_ready"] " " $c["by_cpu.consumers_ready"] }
    END { print r[105], r[120], r[165], r[180], r[240], pl, pu }' "$T/cas/timeseries.csv")
check "consumers-autoscale.ini: lag 36-40 then 60 ready at 105 and 120 s, cpu 22, 32, 46, 60 at 105, 120, 165, 180 s, lag at its min 5 at 240 s; peaks about 11600 and 17000 ($ca)" \
    awk -v s="$ca" 'BEGIN { split(s, v, " ")
        exit !(v[1] >= 36 && v[1] <= 40 && v[2] == 22 && v[3] == 60 && v[4] == 32 && v[6] == 46 &&
               v[8] == 60 && v[9] == 5 && v[11] > 10440 && v[11] < 12760 && v[12] > 15300 && v[12] < 18700) }'
bl=$(cell "$T/cas/runs.csv" by_lag.backlog_mean)
bc=$(cell "$T/cas/runs.csv" by_cpu.backlog_mean)
pl=$(cell "$T/cas/runs.csv" by_lag.e2e_p99_ms)
pc=$(cell "$T/cas/runs.csv" by_cpu.e2e_p99_ms)
check "consumers-autoscale.ini: scaling on lag keeps the backlog ($bl < $bc) and the p99 ($pl < $pc ms) below scaling on CPU" \
    awk -v a="$bl" -v b="$bc" -v c="$pl" -v d="$pc" 'BEGIN { exit !(a < b && c < d) }'
# scenarios/consumers-rebalance.ini: a consumer group owning 8 partitions,
# 1 to 12 consumers, a crash and a recovery as rebalances; its [expect]
# lines pass, and the runs are the same at -j 1 and -j 2.
"$SDSIM" run scenarios/consumers-rebalance.ini -j 2 -o "$T/crb" -q 2>/dev/null
check "consumers-rebalance.ini runs and its expectations pass" [ $? -eq 0 ]
"$SDSIM" run scenarios/consumers-rebalance.ini -j 1 -o "$T/crb1" -q 2>/dev/null
check "consumers-rebalance.ini: -j1 and -j2 give byte-identical runs.csv and components.csv" \
    sh -c 'cmp -s "$1/runs.csv" "$2/runs.csv" && cmp -s "$1/components.csv" "$2/components.csv"' \
    _ "$T/crb" "$T/crb1"
# scenarios/consumers-autoscale-partitions.ini: autoscaled on lag, capped
# at the 8 partitions; the comment's timeline (timeseries.csv, every
# replication): about 13500 waiting at 50 s, 8 ready at 60 s and never
# more, drained by 110 s without pauses; with 3 s pauses, the scale-down's
# pause piles up about 600 events and 3 consumers are ready or starting at
# 151 s (1 without pauses).
"$SDSIM" run scenarios/consumers-autoscale-partitions.ini -j 2 -o "$T/cap" -q 2>/dev/null
check "consumers-autoscale-partitions.ini runs and its expectations pass" [ $? -eq 0 ]
cap=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { t = $c["t_s"]; rb = $c["rebalance"]; r = $c["w.consumers_ready"]; b = $c["log.backlog"]
      if (r > 8) bad++
      if (t == 50 && (b < 12000 || b > 15000)) bad++
      if (t == 60 && r != 8) bad++
      if (t == 110 && rb == "0s" && b >= 100) bad++
      if (t == 151 && r + $c["w.consumers_starting"] != (rb == "3s" ? 3 : 1)) bad++
      if (rb == "3s" && t > 140 && t < 150 && b > pile[$c["rep"]]) pile[$c["rep"]] = b }
    END { for (k in pile) if (pile[k] < 450 || pile[k] > 750) bad++; print bad + 0 }' "$T/cap/timeseries.csv")
check "consumers-autoscale-partitions.ini: at most 8 consumers (the partitions), the timeline of its comment ($cap misses)" \
    [ "$cap" = 0 ]
# scenarios/consumers-ack-delay.ini: crashes lose the acks on their way;
# every lost ack is one duplicate processing, or one dedupe with dedupe.
"$SDSIM" run scenarios/consumers-ack-delay.ini -j 2 -o "$T/cad" -q 2>/dev/null
check "consumers-ack-delay.ini runs and its expectations pass" [ $? -eq 0 ]
cad=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { l = $c["w.acks_lost"]; d = $c["w.duplicates_processed"]; k = $c["w.deduped"]
      if ($c["dedupe"] == "none" && d != l) bad++
      if ($c["dedupe"] == "1min" && (k != l || d != 0)) bad++ }
    END { print bad + 0 }' "$T/cad/runs.csv")
check "consumers-ack-delay.ini: duplicates_processed (or deduped with dedupe) = acks_lost in every run ($cad misses)" \
    [ "$cad" = 0 ]
# scenarios/consumers-batch.ini: one fetch per event caps the consumers,
# a batch amortises the fetch; the same results at -j 1 and -j 2.
"$SDSIM" run scenarios/consumers-batch.ini -j 2 -o "$T/cba" -q 2>/dev/null
check "consumers-batch.ini runs and its expectations pass" [ $? -eq 0 ]
"$SDSIM" run scenarios/consumers-batch.ini -j 1 -o "$T/cba1" -q 2>/dev/null
check "consumers-batch.ini: runs.csv the same at -j 1 and -j 2" cmp -s "$T/cba/runs.csv" "$T/cba1/runs.csv"
# scenarios/consumers-batch-partitions.ini: batch with owned partitions
# through a member's crash and two rebalances; the same at -j 1 and -j 2.
"$SDSIM" run scenarios/consumers-batch-partitions.ini -j 2 -o "$T/cbp" -q 2>/dev/null
check "consumers-batch-partitions.ini runs and its expectations pass" [ $? -eq 0 ]
"$SDSIM" run scenarios/consumers-batch-partitions.ini -j 1 -o "$T/cbp1" -q 2>/dev/null
check "consumers-batch-partitions.ini: runs.csv the same at -j 1 and -j 2" \
    cmp -s "$T/cbp/runs.csv" "$T/cbp1/runs.csv"
# scenarios/write-behind-queue.ini: the consumer writes each message to
# db_b (`calls`). Every processed message made one call (one more when a
# message is out on its write at the end), none failed; db_b serves the
# reads and those writes, about 25% busy (its comment); -j 1 = -j 2.
"$SDSIM" run scenarios/write-behind-queue.ini -j 1 -o "$T/wbq1" -q 2>/dev/null
check "write-behind-queue.ini runs and its expectations pass" [ $? -eq 0 ]
"$SDSIM" run scenarios/write-behind-queue.ini -j 2 -o "$T/wbq2" -q 2>/dev/null
check "write-behind-queue.ini: the same CSVs at -j 1 and -j 2" \
    sh -c "for f in runs.csv summary.csv components.csv timeseries.csv; do cmp '$T/wbq1/'\$f '$T/wbq2/'\$f || exit 1; done"
wbq=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { d = $c["writer.calls"] - $c["writer.processed"]; if (d < 0 || d > 1 || $c["writer.failed_calls"] != 0) bad++ }
    END { print bad + 0 }' "$T/wbq1/runs.csv")
check "write-behind-queue.ini: writer.calls = writer.processed (+1 out at the end), no failed call, in every run ($wbq misses)" \
    [ "$wbq" = 0 ]
wbu=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["component"] == "db_b" { n++; if ($c["utilisation"] < 0.22 || $c["utilisation"] > 0.28 || $c["throughput_rps"] < 950 || $c["throughput_rps"] > 1000) bad++;
      if ($c["utilisation_expected"] != 0.25) bad++ }
    END { print (n == 20 ? bad + 0 : "rows " n) }' "$T/wbq1/components.csv")
check "write-behind-queue.ini: db_b serves about 1000 requests/s, about 25% busy, as the napkin math expects ($wbu misses)" \
    [ "$wbu" = 0 ]
# A traced message's calls are hops under its delivery, and a message a
# call published is delivered in turn (tests/e2e/consumer-calls-trace.ini).
"$SDSIM" run tests/e2e/consumer-calls-trace.ini -j 1 -o "$T/cct1" -q 2>/dev/null
"$SDSIM" run tests/e2e/consumer-calls-trace.ini -j 2 -o "$T/cct2" -q 2>/dev/null
check "consumers' calls traced: nested in their deliveries, the published ones delivered (trace_check), -j 1 = -j 2" \
    sh -c "tests/trace_check --min-deliveries 150 '$T/cct1/trace.json' >/dev/null &&
           [ \$(grep -c '\"name\": *\"db\", *\"cat\": *\"hop\"' '$T/cct1/trace.json') -ge 75 ] &&
           cmp '$T/cct1/trace.json' '$T/cct2/trace.json'"
# scenarios/pubsub-slow-subscriber.ini: a topic with a fast and a slow
# subscription. Its [expect] lines pass (exit 0); the comment's numbers (the
# mean over its replications, summary.csv): billing's p99 about 47 ms (under
# 100 ms) and backlog near zero; analytics's mean backlog about 3000 and p99
# about 12 s, about 6000 held after 60 s; billing processes about every publish, analytics fewer.
"$SDSIM" run scenarios/pubsub-slow-subscriber.ini -j 2 -o "$T/ps" -q 2>/dev/null
check "pubsub-slow-subscriber.ini runs and its expectations pass" [ $? -eq 0 ]
sval() { awk -F, -v m="$2" '$2 == m { print $3; exit }' "$1"; }
bp=$(sval "$T/ps/summary.csv" billing.e2e_p99_ms)
bb=$(sval "$T/ps/summary.csv" billing.backlog_mean)
ab=$(sval "$T/ps/summary.csv" analytics.backlog_mean)
ap=$(sval "$T/ps/summary.csv" analytics.e2e_p99_ms)
check "pubsub-slow-subscriber.ini: billing keeps its pace (p99 $bp ms, backlog $bb) while analytics lags (backlog $ab, p99 $ap ms)" \
    awk -v bp="$bp" -v bb="$bb" -v ab="$ab" -v ap="$ap" \
    'BEGIN { exit !(bp > 40 && bp < 55 && bb < 0.1 && ab > 2700 && ab < 3300 && ap > 10800 && ap < 13200) }'
pe=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["t_s"] == 60 { n++; a += $c["analytics.backlog"]; if ($c["billing.backlog"] > bm) bm = $c["billing.backlog"] }
    END { print a / n, bm + 0 }' "$T/ps/timeseries.csv")
check "pubsub-slow-subscriber.ini: after 60 s analytics holds about 6000 messages, billing about none ($pe)" \
    awk -v a="${pe% *}" -v b="${pe#* }" 'BEGIN { exit !(a > 5400 && a < 6600 && b < 10) }'
# scenarios/queue-backpressure-block.ini: full = reject against block. Its
# [expect] lines check the comment's figures (exit 0); every publish ends
# once (a held one whose publisher timed out is dropped at the front), the
# held ones that timed out are exactly the block queue's blocked_gone, and
# the run is the same at -j 1 and -j 2.
"$SDSIM" run scenarios/queue-backpressure-block.ini -j 2 -o "$T/bpb" -q 2>/dev/null
check "queue-backpressure-block.ini runs and its expectations pass" [ $? -eq 0 ]
check "queue-backpressure-block.ini: request accounting adds up (offered = ended + in flight)" \
    accounting_holds "$T/bpb/runs.csv"
check "queue-backpressure-block.ini: block's timeouts are its held publishes dropped unstored" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["full"] == "block" { n++; if ($c["timeouts"] != $c["q.blocked_gone"] || $c["timeouts"] == 0) bad++ }
        END { exit !(n == 1 && !bad) }' "$T/bpb/runs.csv"
"$SDSIM" run scenarios/queue-backpressure-block.ini -j 1 -o "$T/bpb1" -q 2>/dev/null
check "queue-backpressure-block.ini: the same results at -j 1 and -j 2" \
    sh -c "cmp -s '$T/bpb/runs.csv' '$T/bpb1/runs.csv' && cmp -s '$T/bpb/components.csv' '$T/bpb1/components.csv'"
pp=$(sval "$T/ps/summary.csv" orders.published)
bn=$(sval "$T/ps/summary.csv" billing.processed)
an=$(sval "$T/ps/summary.csv" analytics.processed)
check "pubsub-slow-subscriber.ini: billing processes about every publish, analytics about 400/s ($pp, $bn, $an)" \
    awk -v p="$pp" -v b="$bn" -v a="$an" 'BEGIN { exit !(b > 0.99 * p && b <= p && a > 0.95 * 400 * 60 && a < 400 * 60) }'
"$SDSIM" run scenarios/pubsub-slow-subscriber.ini --set analytics.consumers=10 -j 2 -o "$T/psk" -q 2>/dev/null
check "pubsub-slow-subscriber.ini: a fast analytics leaves billing's figures unchanged, to the byte" \
    sh -c "[ \"\$(grep ',billing\.' '$T/ps/summary.csv')\" = \"\$(grep ',billing\.' '$T/psk/summary.csv')\" ] &&
           [ -n \"\$(grep ',billing\.e2e_p99_ms,' '$T/ps/summary.csv')\" ] &&
           ! cmp -s '$T/ps/summary.csv' '$T/psk/summary.csv'"
"$SDSIM" run scenarios/pubsub-slow-subscriber.ini --set sim.repeat=3 -j 1 -o "$T/ps1" -q 2>/dev/null &&
    "$SDSIM" run scenarios/pubsub-slow-subscriber.ini --set sim.repeat=3 -j 2 -o "$T/ps2" -q 2>/dev/null
check "pubsub-slow-subscriber.ini: -j1 and -j2 give byte-identical files" \
    sh -c "for f in runs.csv summary.csv components.csv timeseries.csv histograms.csv expect.csv; do cmp -s \"$T/ps1/\$f\" \"$T/ps2/\$f\" || exit 1; done"
# queue-request-reply-loss.ini: a request-reply whose request message or reply
# is lost. Every request is accounted for: with a timeout it times out (and
# the queue's unanswered says why), without one it is still in flight at the
# end; unanswered is each lost message or refused reply once. The same with
# the request queue's broker crashing (persistence = false) and with dead
# letters (failed processings, max_deliveries = 2), where the crash's
# refused publishes are errors.
rr_loss() { # FILE: exit 1 unless every row's identities hold
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { u = $c["requests.unanswered"]; lost = $c["requests.lost_total"]
          rb = ("replies.refused_broker_down" in c) ? $c["replies.refused_broker_down"] : 0
          ok = u > 0 && u == lost + rb && $c["requests.late_replies"] == 0
          if ($c["timeout"] == "0s") ok = ok && $c["timeouts"] == 0 && $c["in_flight"] == u
          else ok = ok && $c["timeouts"] == u && $c["in_flight"] == 0
          if ("requests.refused_broker_down" in c) ok = ok && $c["errors"] == $c["requests.refused_broker_down"]
          else ok = ok && $c["errors"] == 0
          if (!ok) { print "  row " NR ": unanswered " u ", lost " lost ", refused replies " rb ", timeouts " $c["timeouts"] ", in flight " $c["in_flight"]; bad++ } n++ }
        END { exit bad > 0 || n != 2 }' "$1"
}
"$SDSIM" run scenarios/queue-request-reply-loss.ini -j 2 -o "$T/rrl" -q 2>/dev/null
check "queue-request-reply-loss.ini runs and its expectations pass" [ $? -eq 0 ]
check "request-reply loss: every request accounted for (offered = ended + in flight)" accounting_holds "$T/rrl/runs.csv"
check "request-reply loss (drop_oldest, retention, refused replies): lost ones time out, or stay in flight without a timeout" \
    rr_loss "$T/rrl/runs.csv"
rr_sum() { awk -F, -v m="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } { s += $c[m] } END { print s + 0 }' "$1"; }
rr_loss_by() { # FILE CAUSE: CAUSE lost some, is the only loss, and the identities hold
    [ "$(rr_sum "$1" "$2")" -gt 0 ] && [ "$(rr_sum "$1" "$2")" = "$(rr_sum "$1" requests.lost_total)" ] &&
        rr_loss "$1" && accounting_holds "$1"
}
"$SDSIM" run "$(bare queue-request-reply-loss)" -j 2 -o "$T/rrl_c" -q \
    --set reply-broker.target=requests --set requests.persistence=false --set requests.retention=forever \
    --set requests.capacity=unbounded --set reply-broker.at=7s 2>/dev/null
check "request-reply loss, the request broker crashing ($(rr_sum "$T/rrl_c/runs.csv" requests.lost_broker_crash) lost): lost ones time out, or stay in flight" \
    rr_loss_by "$T/rrl_c/runs.csv" requests.lost_broker_crash
"$SDSIM" run "$(bare queue-request-reply-loss)" -j 2 -o "$T/rrl_d" -q \
    --set workers.fail=0.1 --set workers.consumers=3 --set requests.max_deliveries=2 --set requests.retention=forever \
    --set requests.capacity=unbounded --set reply-broker.at=100s --set reply-broker.until=101s 2>/dev/null
check "request-reply loss by dead letters ($(rr_sum "$T/rrl_d/runs.csv" requests.lost_dead_letter)): lost ones time out, or stay in flight" \
    rr_loss_by "$T/rrl_d/runs.csv" requests.lost_dead_letter
# --- messaging in the plots and the components (fixes6) ---------------------
# queue-capacity-bytes.ini: timeseries.png draws the bytes held in a panel of
# their own, with the cap (64 MB on one partition) as a dashed line;
# timeseries.csv has the cap only where capacity_bytes is set.
"$SDSIM" run scenarios/queue-capacity-bytes.ini -j 2 -o "$T/f6qcb" -q 2>"$T/f6qcb.err"
check "queue-capacity-bytes.ini: timeseries.png has a q.bytes_held panel with the 64 MB cap dashed, and gnuplot draws it" \
    sh -c "grep -q \"^set ylabel 'q.bytes_held (bytes)'\" '$T/f6qcb/timeseries.gp' &&
           grep -q '^set arrow 90 from graph 0, first 64000000 to graph 1, first 64000000 nohead dt 2' '$T/f6qcb/timeseries.gp' &&
           ! grep -q 'gnuplot failed' '$T/f6qcb.err'"
check "queue-capacity-bytes.ini: q.bytes_cap is 64000000 with capacity_bytes = 64MB, empty without, and bytes_held never above it" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { cap = $c["q.bytes_cap"]
          if ($c["bytes"] == "64MB") { n++; if (cap != 64000000 || $c["q.bytes_held"] > cap) bad++ }
          else if (cap != "") bad++ }
        END { exit !(n > 0 && bad == 0) }' "$T/f6qcb/timeseries.csv"
# queue-backlog.ini: the API's requests end at the publish's ack (a flat
# 7 ms), the messages' publish -> processed peaks at about 10 s when the
# last of the spike is processed (about t = 50 s: 10000 messages drained at
# 1000/s from t = 40 s): timeseries.png draws both, the second from the
# group's workers.e2e_p99_ms series. queue-capacity-bytes.ini's clients only
# publish: their ack latency row is left out, the group's row drawn.
"$SDSIM" run scenarios/queue-backlog.ini -j 2 -o "$T/f6qb" -q 2>/dev/null
check "queue-backlog.ini: timeseries.png draws the clients' p99 and the group's p99 publish -> processed" \
    sh -c "grep -q \"^set ylabel 'clients'' p99 request latency (ms)'\" '$T/f6qb/timeseries.gp' &&
           grep -q \"^set ylabel 'workers: p99 publish -> processed (ms)'\" '$T/f6qb/timeseries.gp'"
f6e=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { e = $c["workers.e2e_p99_ms"]; if (e > pk) { pk = e; at = $c["t_s"] }
      if ($c["latency_p99_ms"] > lat) lat = $c["latency_p99_ms"]; if ($c["t_s"] < 30 && e > pre) pre = e
      if (pk > 1000 && e < 100 && !back) back = $c["t_s"] }
    END { print pk, at, lat, pre, back }' "$T/f6qb/timeseries.csv")
check "queue-backlog.ini: workers.e2e_p99_ms peaks at 9..11 s at t = 48..53 s, under 100 ms before the spike and again by t = 65..69 s, the API's p99 at most 7.5 ms (peak, t, API, before, back: $f6e)" \
    awk -v v="$f6e" 'BEGIN { split(v, a, " "); exit !(a[1] > 9000 && a[1] < 11000 && a[2] >= 48 && a[2] <= 53 && a[3] <= 7.5 && a[4] < 100 && a[5] >= 65 && a[5] <= 69) }'
check "queue-capacity-bytes.ini (clients only publish): no ack latency row, the group's publish -> processed row" \
    sh -c "! grep -q \"^set ylabel '.*request latency\" '$T/f6qcb/timeseries.gp' &&
           ! grep -q \"^set ylabel 'p99 end-to-end latency\" '$T/f6qcb/timeseries.gp' &&
           grep -q \"^set ylabel 'workers: p99 publish -> processed (ms)'\" '$T/f6qcb/timeseries.gp'"
# Traced messages whose acks take ack_delay: a delivery ends with its
# processing, so a run that ends while a lookup's ack is on its way (3.007 s
# here: the reply already went to the caller) still has the delivery its
# reply's flow starts in; and a lost ack (consumers-ack-delay.ini's crashes)
# is drawn as a redelivery, not folded into one long delivery.
"$SDSIM" run scenarios/trace-messages.ini -o "$T/f6tm" -q -j 2 --set sim.trace=100% \
    --set sim.warmup=0s --set sim.duration=3007ms --set lookers.ack_delay=50ms \
    --set billing.ack_delay=50ms --set audit.ack_delay=50ms --set 'answers.latency=const(20ms)' 2>/dev/null
check "trace-messages.ini with ack_delay, cut while acks are on their way: every reply's flow starts in its delivery, every request whole" \
    tests/trace_check --all-add-up --min-replies 100 --min-deliveries 300 "$T/f6tm/trace.json"
"$SDSIM" run "$(bare consumers-ack-delay)" -o "$T/f6cad" -q -j 2 --set sim.trace=20% --set sim.repeat=1 2>/dev/null
check "consumers-ack-delay.ini traced: messages whose ack a crash lost are drawn delivered again" \
    tests/trace_check --min-redeliveries 5 "$T/f6cad/trace.json"
# --- replication (issue 7) --------------------------------------------------------
"$SDSIM" run "$(bare geo-replicas)" --set sim.repeat=1 -o "$T/geo" -q 2>/dev/null
ps=$(cell "$T/geo/runs.csv" latency_p50_ms level=strong behind=leader)
pe=$(cell "$T/geo/runs.csv" latency_p50_ms level=eventual behind=leader)
check "strong reads pay the far leader's round trip, eventual + nearest does not ($ps > $pe)" \
    awk -v s="$ps" -v e="$pe" 'BEGIN { exit !(s > 60 && e < 10) }'
wt=$(cell "$T/geo/runs.csv" db.session_waits level=causal behind=wait)
check "causal reads with behind = wait wait at the follower ($wt)" [ "${wt:-0}" -gt 0 ]
"$SDSIM" run scenarios/multi-leader.ini -j 2 -o "$T/ml" -q 2>/dev/null
check "multi-leader.ini runs" [ $? -eq 0 ]
lw=$(cell "$T/ml/runs.csv" db.lost_updates conflict=lww exchange=async lag=100ms skew=0)
sb=$(cell "$T/ml/runs.csv" db.lost_updates conflict=siblings exchange=async lag=100ms skew=0)
sr=$(cell "$T/ml/runs.csv" db.sibling_reads conflict=siblings exchange=async lag=100ms skew=0)
check "last-writer-wins loses updates, siblings keep them and show them to reads ($lw, $sb, $sr)" \
    [ "${lw:-0}" -gt 0 -a "${sb:-x}" = 0 -a "${sr:-0}" -gt 0 ]
"$SDSIM" run scenarios/multi-leader.ini -j 1 -o "$T/ml1" -q 2>/dev/null
check "multi-leader.ini: -j1 and -j2 give byte-identical runs, summary and components" \
    sh -c "cmp -s '$T/ml/runs.csv' '$T/ml1/runs.csv' && cmp -s '$T/ml/summary.csv' '$T/ml1/summary.csv' && cmp -s '$T/ml/components.csv' '$T/ml1/components.csv'"
fa=$(cell "$T/ml/runs.csv" db.failed conflict=lww exchange=async lag=10ms skew=0)
fs=$(cell "$T/ml/runs.csv" db.failed conflict=lww exchange=sync_all lag=10ms skew=0)
check "the synchronous master-master sketch fails writes while a leader is down ($fs >> $fa)" \
    awk -v a="$fa" -v s="$fs" 'BEGIN { exit !(s > 100 * (a + 1)) }'
# partitions (scenarios/partition.ini): node 2 cut off (or crashed) 20..21 s or 20..30 s
"$SDSIM" run scenarios/partition.ini -j 2 -o "$T/pa" -q 2>/dev/null
check "partition.ini runs" [ $? -eq 0 ]
l1=$(cell "$T/pa/runs.csv" ml.lost_updates heal=21s fault=partition ack=async)
l10=$(cell "$T/pa/runs.csv" ml.lost_updates heal=30s fault=partition ack=async)
lc=$(cell "$T/pa/runs.csv" ml.lost_updates heal=30s fault=crash ack=async)
mf=$(cell "$T/pa/runs.csv" ml.failed heal=30s fault=partition ack=async)
check "a partitioned leader keeps serving; lost updates grow with the partition ($mf; $lc < $l1 < $l10)" \
    awk -v f="$mf" -v c="$lc" -v a="$l1" -v b="$l10" 'BEGIN { exit !(f == 0 && c < a && 2 * a < b) }'
sc=$(cell "$T/pa/runs.csv" rs.stale_fraction heal=30s fault=crash ack=async)
sp=$(cell "$T/pa/runs.csv" rs.stale_fraction heal=30s fault=partition ack=async)
check "a partitioned follower serves stale reads a crashed one does not ($sp > 2 x $sc)" \
    awk -v c="$sc" -v p="$sp" 'BEGIN { exit !(p > 2 * c) }'
# ack = sync: writes of the 10 s window wait for node 2; a recovered
# follower copies the leader and acks them at once, a healed one gets the
# resent log: either way none is left waiting and p99 is seconds long
ic=$(cell "$T/pa/runs.csv" in_flight heal=30s fault=crash ack=sync)
ip=$(cell "$T/pa/runs.csv" in_flight heal=30s fault=partition ack=sync)
pc=$(cell "$T/pa/runs.csv" latency_p99_ms heal=30s fault=crash ack=sync)
check "sync writes wait out a crash or a partition, then complete ($ic, $ip in flight; p99 $pc ms)" \
    awk -v a="$ic" -v b="$ip" -v p="$pc" 'BEGIN { exit !(a < 20 && b < 20 && p > 5000) }'
"$SDSIM" run scenarios/partition.ini -j 1 -o "$T/pa1" -q 2>/dev/null
check "partition.ini: -j1 and -j2 give byte-identical runs and summary" \
    sh -c "cmp -s '$T/pa/runs.csv' '$T/pa1/runs.csv' && cmp -s '$T/pa/summary.csv' '$T/pa1/summary.csv'"

# --- failover.ini: the numbers its comment quotes --------------------------
# span FILE COL COND...: "min max" of COL over the rows matching every COND
span() {
    f=$1; c=$2; shift 2
    awk -F, -v want="$c" -v conds="$*" 'NR==1{for(i=1;i<=NF;i++) h[$i]=i; n=split(conds, cs, " "); next}
        { for (k = 1; k <= n; k++) { e = index(cs[k], "=")
              if ($h[substr(cs[k], 1, e - 1)] != substr(cs[k], e + 1)) next }
          v = $h[want] + 0; if (!seen++ || v < lo) lo = v; if (seen == 1 || v > hi) hi = v }
        END { print lo, hi }' "$f"
}
within() { # within "MIN MAX" LO HI: the span lies in [LO, HI]
    echo "$1" | awk -v a="$2" -v b="$3" '{ exit !($1 >= a && $2 <= b) }'
}
"$SDSIM" run scenarios/failover.ini -j 2 -o "$T/fo" -q 2>/dev/null
check "failover.ini runs (its expectations hold)" [ $? -eq 0 ]
v=$(verdicts "$T/fo/expect.csv")
check "failover.ini: all 24 expectations at their points pass ($v)" [ "$v" = "expect:pass x24" ]
# A shard judges nothing (it holds some replications of a point); merge
# judges every line on all the runs, as the whole run did.
"$SDSIM" run scenarios/failover.ini --shard 0/2 -o "$T/fo_s0" -q -j 2 &&
    "$SDSIM" run scenarios/failover.ini --shard 1/2 -o "$T/fo_s1" -q -j 2 &&
    "$SDSIM" merge -o "$T/fo_m" -q "$T/fo_s0" "$T/fo_s1"
check "failover.ini in two shards: no expect.csv in a shard, merge writes the whole run's (exit $?)" \
    sh -c "[ ! -e '$T/fo_s0/expect.csv' ] && [ ! -e '$T/fo_s1/expect.csv' ] && cmp -s '$T/fo/expect.csv' '$T/fo_m/expect.csv'"
"$SDSIM" run scenarios/failover.ini -j 2 -o "$T/fo_set" --set db.ack=sync > "$T/fo_set.out" 2>&1
rc=$?
v=$(verdicts "$T/fo_set/expect.csv")
check "--set replacing the ack sweep: its 9 lines are skipped, the others judged (exit $rc; $v)" \
    sh -c "[ $rc -eq 0 ] && [ \$(grep -c '^expect: skipped .*--set replaced the sweep .ack.' '$T/fo_set.out') -eq 9 ] &&
           [ '$v' = 'expect:pass x4' ]"
if [ -z "${SDSIM_E2E_QUICK:-}" ]; then
    "$SDSIM" run scenarios/quorum-staleness.ini -j 2 -o "$T/qs" -q 2>/dev/null
    check "quorum-staleness.ini runs (its expectations hold)" [ $? -eq 0 ]
    v=$(verdicts "$T/qs/expect.csv")
    check "quorum-staleness.ini: all 18 expectations at their points pass ($v)" [ "$v" = "expect:pass x18" ]
fi
r=$(span "$T/fo/runs.csv" db.lost_writes ack=async lag=10ms)
check "failover: async loses 4-7 writes at 10 ms ($r)" within "$r" 4 7
r=$(span "$T/fo/runs.csv" db.lost_writes ack=async lag=100ms)
check "failover: async loses 120-260 writes at 100 ms ($r)" within "$r" 120 260
r=$(span "$T/fo/runs.csv" db.lost_writes ack=sync)
r2=$(span "$T/fo/runs.csv" db.lost_writes "ack=semi_sync(k=1)")
check "failover: semi_sync and sync lose none ($r2; $r)" sh -c "[ '$r' = '0 0' ] && [ '$r2' = '0 0' ]"
r=$(span "$T/fo/runs.csv" latency_p99_ms "ack=semi_sync(k=1)" lag=10ms)
check "failover: semi_sync p99 about 48 ms at 10 ms ($r)" within "$r" 45 51
r=$(span "$T/fo/runs.csv" latency_p99_ms "ack=semi_sync(k=1)" lag=100ms)
check "failover: semi_sync p99 685-730 ms at 100 ms ($r)" within "$r" 680 740
r=$(span "$T/fo/runs.csv" latency_p99_ms ack=sync)
check "failover: sync writes wait for the crashed node, p99 about 26 s ($r)" within "$r" 24000 28000

# the replica count in the time series follows the leader's crash (30 s to 60 s)
"$SDSIM" run "$(bare failover)" -j 2 -o "$T/fo_ts" -q --set sim.interval=5s --set sim.repeat=1 \
    --set db.ack=async --set "db.replication_delay=exp(mean=10ms)" 2>/dev/null
r=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "db.replicas") c = i; if ($i == "t_s") t = i }; next }
    $t + 0 >= 35 && $t + 0 < 60 { down = down " " $c } $t + 0 >= 65 { up = up " " $c }
    END { print down "|" up }' "$T/fo_ts/timeseries.csv")
check "failover: db.replicas is 2 while the leader is down and 3 after ($r)" \
    sh -c "echo '$r' | grep -Eq '^( 2)+\|( 3)+\$'"

# a slow follower (scenarios/slow-replica.ini): slow(factor=10) on a
# replicaset node is honoured, not ignored: stale reads and sync writes
# follow its backlog, semi_sync writes do not wait for it
"$SDSIM" run scenarios/slow-replica.ini -j 2 -o "$T/sr" -q 2>/dev/null
check "slow-replica.ini runs (its expectations hold)" [ $? -eq 0 ]
v=$(verdicts "$T/sr/expect.csv")
check "slow-replica.ini: the figures its comment quotes, 27 expectations at their points, pass ($v)" \
    [ "$v" = "expect:pass x27" ]
s1=$(cell "$T/sr/runs.csv" db.stale_fraction factor=1 ack=sync)
s10=$(cell "$T/sr/runs.csv" db.stale_fraction factor=10 ack=sync)
m1=$(cell "$T/sr/runs.csv" latency_mean_ms factor=1 ack=sync)
m10=$(cell "$T/sr/runs.csv" latency_mean_ms factor=10 ack=sync)
ms=$(cell "$T/sr/runs.csv" latency_mean_ms factor=10 'ack=semi_sync(k=1)')
check "a slow follower: stale reads ($s1 -> $s10), sync writes wait ($m1 -> $m10 ms), semi_sync not ($ms)" \
    awk -v a="$s1" -v b="$s10" -v c="$m1" -v d="$m10" -v e="$ms" \
    'BEGIN { exit !(b > 20 * a && d > 50 * c && e < 5 * c) }'

# overload (scenarios/overload.ini): capacity 3/s (3 workers, 1 s); at 6/s
# the run holds max_in_flight = 2000 requests after about 2000 / (6 - 3) =
# 667 s (the fluid estimate; the system starts empty and the servers are
# busy within seconds, so the warm-up adds next to nothing). The held count
# is a random walk with drift 3/s and variance 6 + 3 = 9 per s, so the
# hitting time has a standard deviation of about sqrt(9 * 667) / 3 = 26 s:
# 567..767 s is about 4 of them.
"$SDSIM" run scenarios/overload.ini -j 2 -o "$T/ov" -q 2>"$T/ov.err"
check "overload.ini runs (a stopped run is no failure)" [ $? -eq 0 ]
ov_rows() { # ov_rows RATE: "stopped stopped_at_s in_flight window_s" of each run at RATE
    awk -F, -v rate="$1" 'NR==1{for(i=1;i<=NF;i++) h[$i]=i; next}
        $h["rate"] == rate { print $h["stopped"] "|" $h["stopped_at_s"] "|" $h["in_flight"] "|" $h["window_s"] }' "$T/ov/runs.csv"
}
check "runs over capacity stop at max_in_flight near the fluid estimate of 667 s ($(ov_rows 6 | tr '\n' ' '))" \
    sh -c "[ \$(printf '%s\n' '$(ov_rows 6)' | awk -F'|' '\$1 == \"overload\" && \$2 > 567 && \$2 < 767 && \$3 == 2000 && (\$4 + 100 - \$2)^2 < 1e-12' | wc -l) -eq 3 ]"
check "runs below the limit in the same sweep run to the end, unmarked" \
    sh -c "[ \$(printf '%s\n' '$(ov_rows 2.55)' '$(ov_rows 3.3)' | awk -F'|' '\$1 == \"\" && \$2 == \"\" && \$4 == 900' | wc -l) -eq 6 ]"
check "stderr names each stopped run once: held requests, time, the queue, offered > capacity" \
    sh -c "[ \$(grep -c 'requests in flight' '$T/ov.err') -eq 3 ] &&
           grep -Eq '^sdsim: run 6: 2,000 requests in flight at t=[0-9.]+s; app has 1,99[0-9] queued, offered [56]\.[0-9]+/s > capacity 3/s' '$T/ov.err'"
check "summary.csv counts the stopped runs of the overloaded point only" \
    sh -c "[ \"\$(grep ',stopped_runs,' '$T/ov/summary.csv')\" = '2,6,stopped_runs,3,,,3,,' ]"
"$SDSIM" run scenarios/overload.ini -j 1 -o "$T/ov1" -q 2>/dev/null
check "overload.ini: stopped runs give byte-identical CSVs at -j1 and -j2" \
    sh -c "for f in runs summary components histograms; do cmp -s '$T/ov/'\$f.csv '$T/ov1/'\$f.csv || exit 1; done"
# its p99 until the stop (about 330 s) is below 400 s, yet the load was not carried
"$SDSIM" run scenarios/overload.ini -o "$T/ovs" -q --set 'sim.slo=p99 < 400s' 2>/dev/null
check "a point with a stopped run never meets the SLO, whatever its figures until the stop" \
    sh -c "grep -q '^2,6,slo_met,0,' '$T/ovs/summary.csv' && grep -q '^1,3.3,slo_met,1,' '$T/ovs/summary.csv'"
"$SDSIM" list sim | grep -q '^  max_in_flight '
check "sdsim list sim documents max_in_flight" [ $? -eq 0 ]

# A zero-time loop (tests/e2e/stall.ini) stops with stopped = stalled and a
# message, instead of hanging.
if [ -z "${SDSIM_E2E_QUICK:-}" ]; then
    "$SDSIM" run tests/e2e/stall.ini -o "$T/stall" -q 2>"$T/stall.err"
    check "a zero-time loop ends (exit $?)" [ $? -eq 0 ]
    check "its run is marked stalled" [ "$(col "$T/stall/runs.csv" stopped 1)" = stalled ]
    check "stderr says the clock stood still" grep -q "the clock stood still at t=0s" "$T/stall.err"
fi

# --force lifts the budget of runs, not the hard limit of 10^6 runs in memory
"$SDSIM" validate tests/bad/runs.ini --force >/dev/null 2>"$T/force.err"
check "--force does not lift the hard limit on runs (exit $?)" \
    sh -c "[ $? -eq 65 ] && grep -q 'at most 10^6' '$T/force.err'"

# --- command-line conventions ----------------------------------------------
"$SDSIM" run --help >"$T/help.out" 2>&1
check "sdsim run --help exits 0 with the usage" sh -c "[ $? -eq 0 ] && grep -q '^usage: sdsim run' '$T/help.out'"
"$SDSIM" help run >/dev/null 2>&1
check "sdsim help run exits 0" [ $? -eq 0 ]
"$SDSIM" run scenarios/hello.ini --output "$T/long" --jobs 2 --quiet --set sim.repeat=2 >"$T/long.out"
check "--output, --jobs and --quiet work (exit $?, nothing on stdout)" \
    sh -c "[ -s '$T/long/runs.csv' ] && [ ! -s '$T/long.out' ]"
# A scenario from standard input: the folder keeps a copy, and each run's
# command in the manifest recomputes its row from that copy.
"$SDSIM" run - -o "$T/stdin" -q --set sim.repeat=2 --set 'load.arrival=poisson(rate=2/s)' \
    < scenarios/hello.ini
check "a scenario from standard input runs and is kept as scenario.ini" \
    cmp -s scenarios/hello.ini "$T/stdin/scenario.ini"
repro=$(grep '^run 1 ' "$T/stdin/manifest.txt" | sed 's/.*| sdsim run //')
eval "\"\$SDSIM\" run $repro -q" >/dev/null 2>&1
check "the manifest's command recomputes run 1 from the copy" \
    sh -c "[ \"\$(sed -n 3p '$T/stdin/runs.csv')\" = \"\$(sed -n 2p '$T/stdin-run1/runs.csv')\" ]"

# --- [sim] trace: trace.json -------------------------------------------------
# tests/trace_check (make tests/trace_check) parses the whole file as JSON and
# checks that every span nests in its parent, that each request's spans add
# up to its latency (those whose attempts did not overlap), that hops are
# queue + service and that every flow end has its start.
"$SDSIM" run scenarios/trace-requests.ini -o "$T/tr1" -q -j 1
"$SDSIM" run scenarios/trace-requests.ini -o "$T/tr2" -q -j 2
check "trace-requests.ini: trace.json well formed, spans nest and add up, retries and late hedges in it" \
    tests/trace_check --min-tiled 50 --min-late 1 --min-backoff 1 "$T/tr1/trace.json"
head -c 20000 "$T/tr1/trace.json" > "$T/tr_cut.json"
check "trace_check fails on a cut file" sh -c "! tests/trace_check '$T/tr_cut.json' 2>/dev/null"
# a hop span 1 us longer: it no longer nests in (or adds up to) its request
awk '!done && /"cat":"hop"/ { sub(/"dur":[0-9]+/, "&1"); done = 1 } { print }' "$T/tr1/trace.json" > "$T/tr_bad.json"
check "trace_check fails when a span does not fit its request" \
    sh -c "! cmp -s '$T/tr1/trace.json' '$T/tr_bad.json' && ! tests/trace_check '$T/tr_bad.json' 2>/dev/null"
check "trace.json is the same bytes at -j 1 and -j 2" cmp "$T/tr1/trace.json" "$T/tr2/trace.json"
check "only the first of the 2 replications is traced: one process" \
    [ "$(grep -c '"process_name"' "$T/tr1/trace.json")" = 1 ]
check "manifest.txt says how many requests were traced" \
    grep -q '^trace: trace.json holds the finished ones of [1-9][0-9]* sampled requests' "$T/tr1/manifest.txt"
check "a track per component replica: api[0], api[1], db[0], db[1] and the client" \
    sh -c "for n in load 'api\\[0\\]' 'api\\[1\\]' 'db\\[0\\]' 'db\\[1\\]'; do grep -q \"thread_name.*\\\"name\\\":\\\"\$n\\\"\" '$T/tr1/trace.json' || exit 1; done"
"$SDSIM" run scenarios/trace-requests.ini -o "$T/tr_off" -q -j 2 --set sim.trace=off
same_csvs_of() { for f in "$1"/*.csv; do cmp -s "$f" "$2/$(basename "$f")" || { echo "  $(basename "$f") differs"; return 1; }; done; }
check "tracing changes no result: the CSVs are those of the run without it" \
    same_csvs_of "$T/tr_off" "$T/tr1"
check "without trace, no trace.json" [ ! -e "$T/tr_off/trace.json" ]
"$SDSIM" run scenarios/retry-attribution.ini -o "$T/tr_attr" -q --set sim.duration=100s --set sim.trace=100%
"$SDSIM" run scenarios/retry-attribution.ini -o "$T/tr_attr0" -q --set sim.duration=100s
check "attribution with trace on: attribution.csv as without it" \
    cmp "$T/tr_attr/attribution.csv" "$T/tr_attr0/attribution.csv"
check "retry-attribution.ini traced at 100%: every request adds up (retries and backoffs, no overlap)" \
    tests/trace_check --all-add-up --min-tiled 50 --min-backoff 100 "$T/tr_attr/trace.json"
"$SDSIM" run scenarios/hedged-calls.ini -o "$T/tr_hedge" -q -j 2 --set sim.trace=1% --set sim.repeat=1
check "hedged-calls.ini traced: a process per sweep point, losing hedges marked late" \
    sh -c "[ \$(grep -c '\"process_name\"' '$T/tr_hedge/trace.json') = 4 ] && tests/trace_check --min-late 10 --min-tiled 100 '$T/tr_hedge/trace.json' >/dev/null"
# validate's estimate of the results counts trace.json: with every request
# traced it is most of the folder, and the estimate is within a factor 1.5
"$SDSIM" validate scenarios/trace-requests.ini --set sim.trace=100% > "$T/tr_all.est"
"$SDSIM" run scenarios/trace-requests.ini --set sim.trace=100% -o "$T/tr_all" -q -j 2
est_mb=$(sed -n 's/^estimate: .* trace.json events, about \([0-9.e+]*\) MB$/\1/p' "$T/tr_all.est")
got_mb=$(du -sk "$T/tr_all" | awk '{ print $1 / 1000 }')
check "validate's estimate counts trace.json (estimate ${est_mb:-none} MB, folder $got_mb MB at trace = 100%)" \
    awk -v e="${est_mb:-0}" -v g="$got_mb" 'BEGIN { exit !(e > g / 1.5 && e < g * 1.5) }'
"$SDSIM" run scenarios/trace-requests.ini -o "$T/tr_cap" -j 2 --set sim.trace_max_events=300 > "$T/tr_cap.out"
check "trace_max_events reached: the terminal and manifest say so, the file still checks" \
    sh -c "grep -q 'reached trace_max_events (300 events)' '$T/tr_cap.out' && grep -q 'reached trace_max_events' '$T/tr_cap/manifest.txt' && tests/trace_check '$T/tr_cap/trace.json' >/dev/null"
"$SDSIM" run scenarios/trace-requests.ini --shard 0/2 -o "$T/tr_s0" -q -j 2 &&
    "$SDSIM" run scenarios/trace-requests.ini --shard 1/2 -o "$T/tr_s1" -q -j 2 &&
    "$SDSIM" merge -o "$T/tr_sm" -q "$T/tr_s0" "$T/tr_s1"
check "run --shard writes no trace.json (part.sdsim holds none), nor does the merge" \
    sh -c "[ $? -eq 0 ] && [ ! -e '$T/tr_s0/trace.json' ] && [ ! -e '$T/tr_s1/trace.json' ] && [ ! -e '$T/tr_sm/trace.json' ]"

# Traces of messages (scenarios/trace-messages.ini): a request-reply lookup
# and a fanout topic of 2 partitions read by 2 groups, one of which fails
# 20% of its processings (redeliveries). trace_check checks that every
# delivery ends a flow that starts in its publish's hop at the queue, before
# it, on its own track, and that queue + service add up to it; and that each
# reply of the lookup (request-response) is on the reply queue's track
# (answers), linked by a flow from its processing and by one to its caller.
"$SDSIM" run scenarios/trace-messages.ini -o "$T/tm1" -q -j 1
"$SDSIM" run scenarios/trace-messages.ini -o "$T/tm2" -q -j 2
check "trace-messages.ini: deliveries linked to their publishes by flows, redeliveries in it, replies linked to processing and caller, every request whole" \
    tests/trace_check --all-add-up --min-tiled 40 --min-deliveries 150 --min-redeliveries 5 --min-replies 40 "$T/tm1/trace.json"
check "trace-messages.ini: trace.json is the same bytes at -j 1 and -j 2" cmp "$T/tm1/trace.json" "$T/tm2/trace.json"
check "trace-messages.ini: a track per consumers group and partition, and the reply queue's" \
    sh -c "for n in lookers answers 'billing\\[0\\]' 'billing\\[1\\]' 'audit\\[0\\]' 'audit\\[1\\]'; do grep -q \"thread_name.*\\\"name\\\":\\\"\$n\\\"\" '$T/tm1/trace.json' || exit 1; done"
# each publish to the topic: a delivery to each group (one flow per group)
tm_both=$(awk -F'"parent":' '/"cat":"delivery"/ { split($2, a, /[,}]/); p = a[1]
        if ($0 ~ /"name":"billing"/) b[p] = 1; if ($0 ~ /"name":"audit"/) u[p] = 1 }
    END { for (p in u) { n++; if (p in b) both++ } print both + 0, n + 0 }' "$T/tm1/trace.json")
check "trace-messages.ini: every publish to the topic delivered to both groups ($tm_both)" \
    awk -v b="${tm_both% *}" -v n="${tm_both#* }" 'BEGIN { exit !(n > 20 && b == n) }'
check "trace-messages.ini: the request-reply deliveries nest in their publish, the fire-and-forget ones are late" \
    sh -c "! grep '\"name\":\"lookers\",\"cat\":\"delivery\".*\"late\":1' '$T/tm1/trace.json' >/dev/null &&
           ! grep '\"name\":\"\(billing\|audit\)\",\"cat\":\"delivery\"' '$T/tm1/trace.json' | grep -v '\"late\":1' >/dev/null"
awk '!done && /"ph":"f".*"name":"message"/ { done = 1; next } { print }' "$T/tm1/trace.json" > "$T/tm_bad.json"
check "trace_check fails when a delivery's flow has lost its end" \
    sh -c "! cmp -s '$T/tm1/trace.json' '$T/tm_bad.json' && ! tests/trace_check '$T/tm_bad.json' 2>/dev/null"
# a reply's flow to its caller moved off the caller's track (id: bit 31 set)
awk '!done && /"ph":"f".*"name":"reply"/ { id = $0; sub(/.*"id":/, "", id); sub(/[,}].*/, "", id)
        if (id % 4294967296 >= 2147483648) { sub(/"tid":[0-9]*/, "\"tid\":999"); done = 1 } }
    { print }' "$T/tm1/trace.json" > "$T/tm_badreply.json"
check "trace_check fails when a reply's flow does not reach its caller's track" \
    sh -c "! cmp -s '$T/tm1/trace.json' '$T/tm_badreply.json' && ! tests/trace_check '$T/tm_badreply.json' 2>/dev/null"
# queue-request-reply.ini traced, the patience = 1 s points' late replies
# (the caller gave up) included: every reply is drawn and linked
"$SDSIM" run scenarios/queue-request-reply.ini -o "$T/tm_rr" -q -j 2 --set sim.trace=5% --set sim.repeat=1 2>/dev/null
check "queue-request-reply.ini traced: each reply on the replies track, from its processing to its caller" \
    sh -c "tests/trace_check --min-replies 1000 '$T/tm_rr/trace.json' >/dev/null &&
           grep -q '\"cat\":\"reply\",.*\"late\":1' '$T/tm_rr/trace.json'"
"$SDSIM" run scenarios/trace-messages.ini -o "$T/tm_off" -q -j 2 --set sim.trace=off
check "trace-messages.ini: tracing changes no result" same_csvs_of "$T/tm_off" "$T/tm1"
"$SDSIM" run scenarios/queue-poison-dlq.ini -o "$T/tm_dlq" -q -j 2 --set sim.trace=10% --set sim.repeat=1
check "queue-poison-dlq.ini traced: dead letters and redeliveries check" \
    tests/trace_check --min-deliveries 1000 --min-redeliveries 100 "$T/tm_dlq/trace.json"
# write-behind-queue.ini traced: the cache's read misses (a db_a fetch
# inside the cache's hop) are queue + service like every hop: the service
# span starts where the queue span ends, not at the fetch (the cache resets
# its frame's start there), and the queue path's deliveries check too.
"$SDSIM" run scenarios/write-behind-queue.ini -o "$T/tr_wbq" -q -j 2 --set sim.trace=1% --set sim.repeat=1
tr_wbq_miss=$(awk '/"cat":"hop"/ { d = $0; sub(/.*"pid":/, "", d); pid = d + 0
        nm = $0; sub(/.*"name":"/, "", nm); sub(/".*/, "", nm)
        s = $0; sub(/.*"span":/, "", s); p = $0; sub(/.*"parent":/, "", p)
        name[pid, s + 0] = nm; par[pid, s + 0] = p + 0 }
    END { for (k in name) { split(k, a, SUBSEP); if (name[k] == "db_a" && name[a[1], par[k]] == "wb") n++ }
          print n + 0 }' "$T/tr_wbq/trace.json")
check "write-behind-queue.ini traced: every hop is queue + service, the cache's $tr_wbq_miss read misses (>= 50) too" \
    sh -c "[ $tr_wbq_miss -ge 50 ] && tests/trace_check --all-add-up --min-deliveries 150 '$T/tr_wbq/trace.json' >/dev/null"

# --- shards and merge --------------------------------------------------------
# run --shard K/N runs the runs congruent to K mod N; merge puts the parts
# together and writes exactly the CSVs of one run (byte for byte), whatever
# the order of the parts. A sweep with a duration sweep and --set options.
shard_set="--set sim.repeat=3 --set sim.attribution=on" # attribution.csv merges too
"$SDSIM" run scenarios/cache-ttl.ini -o "$T/sh_full" -q -j 2 $shard_set
for k in 0 1 2; do
    "$SDSIM" run scenarios/cache-ttl.ini --shard $k/3 -o "$T/sh_p$k" -q -j 2 $shard_set || break
done
check "run --shard K/3 writes a part file in each folder" \
    sh -c "[ -s '$T/sh_p0/part.sdsim' ] && [ -s '$T/sh_p1/part.sdsim' ] && [ -s '$T/sh_p2/part.sdsim' ]"
shard_runs() { tail -n +2 "$1/runs.csv" | cut -d, -f1 | tr '\n' ' '; }
check "shard 1/3 holds the runs congruent to 1 mod 3 ($(shard_runs "$T/sh_p1"))" \
    [ "$(shard_runs "$T/sh_p1")" = "1 4 7 10 13 16 19 22 " ]
check "its manifest says which shard it is" grep -q '^shard: 1/3 of 24 runs' "$T/sh_p1/manifest.txt"
"$SDSIM" merge -o "$T/sh_m" -q "$T/sh_p2" "$T/sh_p0" "$T/sh_p1"
check "merge of three shards (exit $?)" [ $? -eq 0 ]
same_csvs() {
    for f in "$1"/*.csv "$1"/*.dat; do
        cmp -s "$f" "$2/$(basename "$f")" || { echo "  $(basename "$f") differs"; return 1; }
    done
}
check "the merge writes the CSVs of one run, byte for byte" same_csvs "$T/sh_full" "$T/sh_m"
check "the merged folder has no part file" [ ! -e "$T/sh_m/part.sdsim" ]
"$SDSIM" merge -o "$T/sh_bad1" -q "$T/sh_p0" "$T/sh_p1" 2>"$T/sh_bad1.err"
check "a missing shard: exit 65, the first missing run named, no folder" \
    sh -c "[ $? -eq 65 ] && grep -q 'runs are missing (the first: run 2, of shard 2/3)' '$T/sh_bad1.err' && [ ! -e '$T/sh_bad1' ]"
"$SDSIM" merge -o "$T/sh_bad2" -q "$T/sh_p0" "$T/sh_p1" "$T/sh_p2" "$T/sh_p1" 2>"$T/sh_bad2.err"
check "a shard given twice: exit 65, the run named" \
    sh -c "[ $? -eq 65 ] && grep -q 'run 1 is in both' '$T/sh_bad2.err'"
"$SDSIM" run scenarios/cache-ttl.ini --shard 1/3 -o "$T/sh_other" -q -j 2 --seed 7 $shard_set
"$SDSIM" merge -o "$T/sh_bad3" -q "$T/sh_p0" "$T/sh_other" "$T/sh_p2" 2>"$T/sh_bad3.err"
check "a shard of another seed: exit 65, says what differs" \
    sh -c "[ $? -eq 65 ] && grep -q 'base seed differ' '$T/sh_bad3.err'"
"$SDSIM" merge -o "$T/sh_bad4" -q "$T/sh_full" 2>"$T/sh_bad4.err"
check "a folder without a part file: exit 66" \
    sh -c "[ $? -eq 66 ] && grep -q 'part.sdsim' '$T/sh_bad4.err'"
cp -r "$T/sh_p2" "$T/sh_cut" && head -c 5000 "$T/sh_p2/part.sdsim" > "$T/sh_cut/part.sdsim"
"$SDSIM" merge -o "$T/sh_bad5" -q "$T/sh_p0" "$T/sh_p1" "$T/sh_cut" 2>"$T/sh_bad5.err"
check "a cut part file: exit 65 with the place" \
    sh -c "[ $? -eq 65 ] && grep -q 'part.sdsim: token [0-9]*:' '$T/sh_bad5.err'"
check "--shard 3/3 is a usage error" \
    sh -c "'$SDSIM' run scenarios/hello.ini --shard 3/3 -o '$T/sh_u' -q 2>/dev/null; [ \$? -eq 64 ]"
check "--shard 5/8 of a 5-run scenario: no runs, a usage error" \
    sh -c "'$SDSIM' run scenarios/hello.ini --shard 5/8 -o '$T/sh_u' -q 2>/dev/null; [ \$? -eq 64 ]"
# The README's recipes: GNU parallel, and the Slurm array script (with an
# sbatch that runs each job here, in order).
repo=$(pwd)
sdsim_abs=$(cd "$(dirname "$SDSIM")" && pwd)/$(basename "$SDSIM")
if command -v parallel >/dev/null 2>&1; then
    (cd "$T" && parallel --will-cite "'$sdsim_abs' run '$repo/scenarios/cache-ttl.ini' \
        $shard_set --shard {}/4 -o par{} -q -j 1" ::: 0 1 2 3 &&
        "$sdsim_abs" merge -o par -q par0 par1 par2 par3)
    check "GNU parallel recipe: 4 shards merged equal one run" same_csvs "$T/sh_full" "$T/par"
else
    echo "SKIP: GNU parallel recipe (no GNU parallel; tests/deps.sh installs it)"
fi
mkdir -p "$T/slurm/bin"
ln -s "$sdsim_abs" "$T/slurm/bin/sdsim"
cat > "$T/slurm/bin/sbatch" <<'SBATCH'
#!/bin/sh
# A stand-in for Slurm's sbatch: runs the job at once, here.
array=""; wrap=""; script=""
while [ $# -gt 0 ] && [ -z "$script" ]; do
    case "$1" in
    --array=*) array=${1#--array=} ;;
    --wrap=*) wrap=${1#--wrap=} ;;
    --*) ;;
    *) script=$1 ;;
    esac
    shift
done
if [ -n "$wrap" ]; then
    sh -c "$wrap" || exit 1
else
    for k in $(seq "${array%-*}" "${array#*-}"); do
        SLURM_ARRAY_TASK_ID=$k bash "$script" "$@" || exit 1
    done
fi
echo 42
SBATCH
chmod +x "$T/slurm/bin/sbatch"
cp scenarios/cache-ttl.ini "$T/slurm/"
(cd "$T/slurm" && PATH="$T/slurm/bin:$PATH" bash "$repo/docs/slurm-sweep.sh" cache-ttl.ini 3 \
    >/dev/null)
"$SDSIM" run scenarios/cache-ttl.ini -o "$T/sh_plain" -q -j 2
check "the Slurm array script: 3 shards and their merge equal one run" \
    same_csvs "$T/sh_plain" "$T/slurm/results/cache-ttl"
# --- compare: paired verdicts -------------------------------------------------
"$SDSIM" compare "$T/j1" --by w --csv "$T/cmp.csv" > "$T/cmp.out"
check "compare --by w (exit $?)" [ $? -eq 0 ]
check "compare: each stratum of the other sweeps, the pairing line" sh -c "
    grep -q '^3 vs 2 \[rate=3 b=random\]:' '$T/cmp.out' &&
    grep -q '^3 vs 2 \[rate=5 b=round_robin\]:' '$T/cmp.out' &&
    grep -q '^pairing: unpaired intervals are wider than paired ones' '$T/cmp.out'"
check "compare.csv: 4 strata x 3 metrics" [ "$(tail -n +2 "$T/cmp.csv" | wc -l)" -eq 12 ]
cmp_verdicts_hold() { # better/worse only when the interval leaves out 0, in the good direction
    awk -F, 'NR > 1 { lo = $9 + 0; hi = $10 + 0; v = $NF
        lower = ($4 ~ /latency/); higher = ($4 ~ /goodput/)
        if (v == "better" && !((lower && hi < 0) || (higher && lo > 0))) bad++
        if (v == "worse" && !((lower && lo > 0) || (higher && hi < 0))) bad++
        if (v == "no clear difference" && (lo > 0 || hi < 0)) bad++ }
        END { exit bad > 0 }' "$1"
}
check "compare: each verdict agrees with its interval" cmp_verdicts_hold "$T/cmp.csv"
"$SDSIM" compare "$T/j1" --by w > "$T/cmp2.out"
check "compare: the same output twice" cmp -s "$T/cmp.out" "$T/cmp2.out"
"$SDSIM" compare "$T/j1" --by nosuch 2>"$T/cmp.err" >/dev/null
check "compare --by an unknown name: exit 64, the sweeps named" \
    sh -c "[ $? -eq 64 ] && grep -q \"'nosuch' is not a sweep variable of .* (rate, w, b)\" '$T/cmp.err'"
"$SDSIM" compare "$T/j1" --by w --metric nosuch 2>/dev/null >/dev/null
check "compare --metric an unknown column: exit 64" [ $? -eq 64 ]
"$SDSIM" run tests/e2e/sweep.ini -o "$T/cmp_run" --set sim.compare=w > "$T/cmp_run.out"
check "[sim] compare = w: the run prints the comparison after its table" sh -c "
    grep -q '^3 vs 2 \[rate=3 b=random\]:' '$T/cmp_run.out' &&
    grep -q '^pairing: ' '$T/cmp_run.out'"
"$SDSIM" run tests/e2e/sweep.ini -o "$T/cmp_runq" -q --set sim.compare=w > "$T/cmp_runq.out"
check "[sim] compare with -q: nothing on stdout" [ ! -s "$T/cmp_runq.out" ]
# --- intervals ------------------------------------------------------------
# Every summary.csv written above: each interval holds its value and stays in
# the metric's range (nothing below 0 but over_admission, from -1; ratios,
# fractions and p_ at most 1); a row with one replication has no interval
# at all.
intervals_hold() { # the last seven columns: metric,value,ci_low,ci_high,n,theory,theory_method
    awk -F, 'FNR==1{next}
        { m = $(NF-6); v = $(NF-5); lo = $(NF-4); hi = $(NF-3)
          sub(/.*\./, "", m)
          if ($(NF-2) == 1 && (lo != "" || hi != "")) { print "  " FILENAME ": " $0; bad++ }
          if (lo == "" || v == "") next
          unit = m ~ /_ratio$|_fraction$|^p_/
          if (lo + 0 > v + 1e-9 * (v < 0 ? -v : v) || hi + 0 < v - 1e-9 * (v < 0 ? -v : v) ||
              lo + 0 < (m == "over_admission" ? -1 : 0) || (unit && hi + 0 > 1)) {
              print "  " FILENAME ": " $0; bad++ }
          n++ }
        END { exit bad > 0 || n == 0 }' $(find "$T" -name summary.csv | sort)
}
check "every interval in every summary.csv holds its value and stays in range" intervals_hold
goodput_within_throughput() { # every runs.csv row written above (quoted sweep values kept whole)
    awk 'function split_csv(s, out,   n, i, ch, q, f) { n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) { ch = substr(s, i, 1)
                if (ch == "\"") q = !q
                if (ch == "," && !q) { out[++n] = f; f = "" } else f = f ch }
            out[++n] = f; return n }
        FNR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) c[h[i]] = i; next }
        { split_csv($0, v); g = v[c["goodput_rps"]]; t = v[c["throughput_rps"]]
          if (g == "" && t == "") next
          if (!(g + 0 <= t + 0) || g + 0 < 0) { print "  " FILENAME ": " $0; bad++ } n++ }
        END { exit bad > 0 || n == 0 }' $(find "$T" -name runs.csv | sort)
}
check "goodput_rps is at most throughput_rps in every runs.csv" goodput_within_throughput

# --- capacity search: [sim] find -------------------------------------------
# capacity-search.ini searches the highest rate an M/M/4 service keeps p99
# under 100 ms at; its comment quotes the answer and how far it lies below
# Erlang C's 350.1/s (tests/check_find.c checks that figure). The search is
# the same at -j1 and -j2 (probes one after another, the same seeds).
"$SDSIM" run scenarios/capacity-search.ini -j 1 -o "$T/find1" > "$T/find1.out" 2> "$T/find1.err"
rc1=$?
"$SDSIM" run scenarios/capacity-search.ini -j 2 -o "$T/find2" -q > "$T/find2.out" 2> "$T/find2.err"
rc2=$?
check "capacity-search.ini runs (exit 0 at -j1 and -j2, nothing on stderr)" \
    sh -c "[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ ! -s '$T/find1.err' ] && [ ! -s '$T/find2.err' ]"
check "capacity-search.ini: find.csv is byte-identical at -j1 and -j2 (and the answer's runs.csv)" \
    sh -c "cmp '$T/find1/find.csv' '$T/find2/find.csv' && cmp '$T/find1/runs.csv' '$T/find2/runs.csv'"
find_sentence_quoted() { # the answer sentence, as the scenario's comment quotes it
    want=$(tr '\n' ' ' < scenarios/capacity-search.ini | tr -s '# ' ' ' |
        sed -n 's/.*The search answers \([0-9.]*\/s (passes; [0-9.]*\/s is unsure, counted as failing)\).*/\1/p')
    [ -n "$want" ] && grep -qxF "max load.arrival.rate with latency_p99_ms < 100ms: $want" "$T/find1.out" &&
        grep -qxF "max load.arrival.rate with latency_p99_ms < 100ms: $want" "$T/find2.out" &&
        grep -qxF "find_answer: max load.arrival.rate with latency_p99_ms < 100ms: $want" "$T/find1/manifest.txt"
}
check "capacity-search.ini: the answer is the comment's, on stdout (also with -q) and in the manifest" \
    find_sentence_quoted
# The answer passes and the next probe up does not; the bracket is within
# find_tolerance (1%); and it lies within 2% of Erlang C's 350.1/s: 1%
# for the bisection's stop, about 1% for the p99 interval (+-3 ms at 20
# runs, at 1.76 ms per 1/s of rate near the answer).
find_bracket_holds() {
    awk -F, -v th=350.1 -v quoted="$(sed -n 's/.*counted as failing), \([0-9.]*\)% below.*/\1/p' scenarios/capacity-search.ini)" '
        NR == 1 { next }
        $9 == "pass" && (best == "" || $2 > best) { best = $2 }
        $9 != "pass" && (low == "" || $2 < low) { low = $2 }
        END { pct = (th - best) / th * 100
              printf "  answer %s, next failing %s, %.2f%% below theory (quoted %s%%)\n", best, low, pct, quoted
              exit !(best != "" && low > best && (low - best) <= 0.01 * best &&
                     best > 0.98 * th && best < 1.02 * th && quoted != "" &&
                     (pct - quoted)^2 < 0.0025) }' "$T/find1/find.csv"
}
check "capacity-search.ini: pass/fail bracket within 1%, answer within 2% of Erlang C as quoted" \
    find_bracket_holds
# find_method = secant on a wide range (50/s..1000/s, capacity 400/s):
# the same answer within find_tolerance (1%) in fewer probes (measured:
# bisection 11, secant 8)
for m in bisect secant; do
    "$SDSIM" run scenarios/capacity-search.ini --set sim.find_range=50/s..1000/s \
        --set sim.find_method=$m -j 2 -q -o "$T/find-$m" > /dev/null
done
secant_fewer() {
    awk -F, 'FNR == 1 { f++; next } { n[f]++ } $9 == "pass" && $2 > best[f] { best[f] = $2 }
        END { printf "  bisect %d probes -> %s, secant %d -> %s\n", n[1], best[1], n[2], best[2]
              d = best[1] - best[2]; if (d < 0) d = -d
              exit !(n[2] < n[1] && best[2] > 0 && d <= 0.01 * best[1]) }' \
        "$T/find-bisect/find.csv" "$T/find-secant/find.csv"
}
check "capacity-search.ini, find_method = secant: bisection's answer within 1%, fewer probes" \
    secant_fewer
check "capacity-search.ini: find.csv has one row per probe, every probe's verdict pass, fail or unsure" \
    awk -F, 'NR == 1 { ok = ($0 == "order,value,value_text,metric,mean,ci_low,ci_high,replications,verdict"); next }
             { n++; if ($1 != n || $9 !~ /^(pass|fail|unsure)$/ || $4 != "latency_p99_ms") ok = 0 }
             END { exit !(ok && n >= 3) }' "$T/find1/find.csv"
check "capacity-search.ini: the terminal shows each probe" \
    sh -c "[ \$(grep -c '^find: probe [0-9]*: load.arrival.rate = ' '$T/find1.out') -eq \$((\$(wc -l < '$T/find1/find.csv') - 1)) ]"
if command -v gnuplot > /dev/null 2>&1; then
    check "capacity-search.ini: find.png is drawn, and the manifest lists find.csv and find.png" \
        sh -c "[ -s '$T/find1/find.png' ] && grep -qx 'file: find.png' '$T/find1/manifest.txt' && grep -qx 'file: find.csv' '$T/find1/manifest.txt'"
fi
# The manifest's command for a run of the answer recomputes it exactly.
find_reproduces() {
    cmd=$(sed -n 's/^run 2 point 0 rep 2 .*| sdsim run //p' "$T/find1/manifest.txt" | sed "s|-o [^ ]*\$|-o $T/find_r2 -q|")
    [ -n "$cmd" ] && eval "\"$SDSIM\" run $cmd" &&
        [ "$(sed -n 2p "$T/find_r2/runs.csv")" = "$(grep '^2,' "$T/find1/runs.csv")" ]
}
check "capacity-search.ini: the manifest's command recomputes a run of the answer" find_reproduces
# --find on the command line overrides the scenario's search (an int key).
"$SDSIM" run scenarios/capacity-search.ini --find 'min app.workers where latency_p99_ms < 100ms' \
    --set sim.find_range=1..16 -o "$T/findw" -q > "$T/findw.out" 2>&1
rc=$?
check "--find overrides [sim] find: the fewest workers, whole numbers, bracketed by one" \
    sh -c "[ $rc -eq 0 ] && grep -qx 'min app.workers with latency_p99_ms < 100ms: 3 (passes; 2 fails)' '$T/findw.out' &&
           ! awk -F, 'NR > 1 && \$2 != int(\$2)' '$T/findw/find.csv' | grep -q ."
"$SDSIM" run scenarios/capacity-search.ini --runs 0 -o "$T/findr" -q 2> /dev/null
rc=$?
check "--runs with a search: usage error (exit 64), no folder" sh -c "[ $rc -eq 64 ] && [ ! -e '$T/findr' ]"
for n in 9:find.csv 13:find.gp; do # the file step (open or flush) that fails, and its file
    SDSIM_FAIL_OUTPUT=${n%%:*} "$SDSIM" run scenarios/capacity-search.ini -o "$T/findfail" -q \
        > /dev/null 2> "$T/findfail.err"
    rc=$?
    check "a search whose ${n#*:} cannot be written leaves no folder (exit 73)" \
        sh -c "[ $rc -eq 73 ] && [ ! -e '$T/findfail' ] && grep -q '/${n#*:}.: Input/output error' '$T/findfail.err'"
done
if [ -z "${SDSIM_E2E_QUICK:-}" ]; then
    # The smallest LRU cache with a 0.9 hit ratio, against Che's 592.
    "$SDSIM" run scenarios/cache-capacity-search.ini -j 2 -o "$T/findc" -q > "$T/findc.out" 2>&1
    find_cache_holds() {
        want=$(tr '\n' ' ' < scenarios/cache-capacity-search.ini | tr -s '# ' ' ' |
            sed -n 's/.*The search answers \([0-9]* (passes; [0-9]* is unsure, counted as failing)\).*/\1/p')
        quoted=$(tr '\n' ' ' < scenarios/cache-capacity-search.ini | tr -s '# ' ' ' |
            sed -n "s/.*counted as failing), \([0-9.]*\)% above Che.*/\1/p")
        answer=$(sed -n 's/^find_passes: //p' "$T/findc/manifest.txt")
        echo "  answer $answer, quoted $want, $quoted% above 592"
        [ -n "$want" ] && grep -qxF "min cache.capacity with cache.hit_ratio >= 0.9: $want" "$T/findc.out" &&
            awk -v a="$answer" -v q="$quoted" 'BEGIN { p = (a - 592) / 592 * 100
                exit !(q != "" && (p - q)^2 < 0.0025 && a >= 0.98 * 592 && a <= 1.02 * 592) }'
    }
    check "cache-capacity-search.ini: the answer is the comment's, within 2% of Che's 592 as quoted" \
        find_cache_holds
fi
# --- attribution: where the time goes ([sim] attribution = on) -------------
# tail-attribution.ini: a tandem of two M/M/1 (rho 0.5 then 0.9). Jackson:
# app queue 55.6 ms, app service 55.6 ms, db queue 900 ms, db service 100 ms
# of 1111.1 ms: shares 0.05, 0.05, 0.81, 0.09. Tolerances (the scenario's
# comment): 0.01 on a share (about 4 standard errors of db queue's share
# over 10 x 20000 s), 6% on a mean (about 4 of db's mean sojourn).
"$SDSIM" run scenarios/tail-attribution.ini -o "$T/attr-tandem" -j 2 > "$T/attr-tandem.out" 2> "$T/attr-tandem.err"
check "tail-attribution.ini runs (exit $?) and draws attribution.png" sh -c \
    "[ $? -eq 0 ] && ! grep -q 'gnuplot failed' '$T/attr-tandem.err' && { [ -s '$T/attr-tandem/attribution.png' ] || ! command -v gnuplot >/dev/null; }"
attr_row() { # attr_row FILE GROUP COMPONENT PHASE COLUMN: the column of that row
    awk -F, -v g="$2" -v c="$3" -v p="$4" -v n="$5" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["group"] == g && $col["component"] == c && $col["phase"] == p { print $col[n] }' "$1"
}
jackson_shares() { # every all-requests share and mean against the theory
    f="$T/attr-tandem/attribution.csv"
    for t in "app queue 0.05 55.556" "app service 0.05 55.556" "db queue 0.81 900" "db service 0.09 100"; do
        set -- $t
        s=$(attr_row "$f" all "$1" "$2" share); m=$(attr_row "$f" all "$1" "$2" mean_ms)
        awk -v s="$s" -v S="$3" -v m="$m" -v M="$4" -v w="$1 $2" 'BEGIN {
            d = s - S; r = (m - M) / M
            if (s == "" || d > 0.01 || d < -0.01 || r > 0.06 || r < -0.06) {
                print "  " w ": share " s " (theory " S "), mean " m " ms (theory " M ")"; exit 1 } }' || return 1
    done
}
check "tail-attribution.ini: the all-requests shares and means match Jackson's tandem" jackson_shares
phases_add_up() { # FOLDER: the all rows' mean_ms add up to the mean latency; nothing unaccounted
    mean=$(awk -F, '$(NF-6) == "latency_mean_ms" { print $(NF-5) }' "$1/summary.csv")
    awk -F, -v mean="$mean" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["phase"] == "unaccounted" && $col["mean_ms"] != 0 { bad = 1 }
        $col["group"] == "all" { sum += $col["mean_ms"] }
        END { d = sum - mean; if (d < 0) d = -d
              if (mean == "" || d > 1e-6 * mean || bad) { print "  phases " sum " ms, mean latency " mean " ms"; exit 1 } }' \
        "$1/attribution.csv"
}
check "tail-attribution.ini: the phases of all requests add up to the mean latency" phases_add_up "$T/attr-tandem"
check "tail-attribution.ini: at or above p99, about 96% in db's queue and 1% in app's" awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["group"] == "p99" && $col["component"] == "db" && $col["phase"] == "queue" { d = $col["share"] }
    $col["group"] == "p99" && $col["component"] == "app" && $col["phase"] == "queue" { a = $col["share"] }
    END { exit !(d >= 0.94 && d <= 0.98 && a > 0 && a < 0.02) }' "$T/attr-tandem/attribution.csv"
check "tail-attribution.ini: the terminal names db's queue as the tail's place" \
    grep -q "^attribution: load: requests at or above p99 spend 9[5-7]% of their time in db's queue" "$T/attr-tandem.out"
# retry-attribution.ini: two deterministic failures, each then 100 ms of
# constant backoff: the backoff phase is exactly the waits configured.
"$SDSIM" run scenarios/retry-attribution.ini -o "$T/attr-retry" -q -j 2
retry_exact() {
    f="$T/attr-retry/attribution.csv"
    for g in all p99 p99.9; do
        for t in ":backoff:200" ":failed_attempts:24" "app:service:10" "app:network:2"; do
            c=${t%%:*}; r=${t#*:}; p=${r%%:*}; v=${r#*:}
            [ "$(attr_row "$f" "$g" "$c" "$p" mean_ms)" = "$v" ] || { echo "  $g $c $p: $(attr_row "$f" "$g" "$c" "$p" mean_ms) ms, not $v"; return 1; }
        done
    done
}
check "retry-attribution.ini: backoff is exactly the 2 x 100 ms configured, failed attempts 2 x 12 ms" retry_exact
check "retry-attribution.ini: the phases add up to the 236 ms latency" phases_add_up "$T/attr-retry"
check "without [sim] attribution no attribution.csv (hello.ini)" [ ! -e "$T/hello/attribution.csv" ]

# --- the column dictionary ---------------------------------------------------
# Every column of every CSV written above, and every metric of summary.csv,
# is documented by `sdsim list metrics` (a sweep variable is the row
# <sweep variable>, a component's column <component>.NAME, a node's or
# shard's number <i>).
"$SDSIM" list metrics | sed -n 's/^  \([^ ]\)/\1/p' | awk -F '  +' '{print $1}' | sort -u > "$T/metric-names"
columns_documented() { # one awk over each folder's manifest (its sweeps), then its CSVs
    files=$(for m in $(find "$T" -name manifest.txt | sort); do
        echo "$m"; ls "$(dirname "$m")"/*.csv; done)
    [ "$(echo "$files" | grep -c manifest.txt)" -ge 5 ] || return 1
    awk -v names="$T/metric-names" '
        function chk(c) {
            if (c in sw) c = "<sweep variable>"
            else if (c ~ /_ms$/ && (substr(c, 1, length(c) - 3) in sw)) c = "<sweep variable>_ms"
            else if (c ~ /\./) sub(/^.*\./, "<component>.", c)
            if (c ~ /^(<component>\.)?node[0-9]+_/) sub(/node[0-9]+_/, "node<i>_", c)
            if (c ~ /^(<component>\.)?shard[0-9]+_/) sub(/shard[0-9]+_/, "shard<i>_", c)
            if (c ~ /^(<component>\.)?inflight_ge[0-9]+$/) sub(/ge[0-9]+$/, "ge<i>", c)
            if (!(c in known) && !((FILENAME, c) in told)) {
                print "  " FILENAME ": " c " is not in sdsim list metrics"; told[FILENAME, c] = 1; bad++ }
        }
        FILENAME == names { known[$0] = 1; next }
        FILENAME ~ /manifest\.txt$/ { if (FNR == 1) split("", sw)
            if ($0 ~ /^sweep [^:]*:/) { s = $0; sub(/^sweep /, "", s); sub(/:.*/, "", s); sw[s] = 1 }
            next }
        FNR == 1 { n = split($0, h, ","); for (i = 1; i <= n; i++) chk(h[i]); next }
        FILENAME ~ /summary\.csv$/ { n = split($0, f, ","); chk(f[n - 6]) }
        END { exit bad > 0 }' "$T/metric-names" $files
}
check "every column of every CSV written is in sdsim list metrics" columns_documented
readme_lists_metrics() { # every name of the list is in README.md's table
    awk 'FILENAME == ARGV[1] { known["`" $0 "`"] = 1; next }
         { for (k in known) if (index($0, "| " k " |")) seen[k] = 1 }
         END { for (k in known) if (!(k in seen)) { print "  README.md lacks " k; bad++ }
               exit bad > 0 }' "$T/metric-names" README.md
}
check "README.md lists every metric of sdsim list metrics" readme_lists_metrics


# --- a jwt gateway and a per-user limit on the API (scenarios/api-gateway.ini) -
"$SDSIM" run scenarios/api-gateway.ini -j 2 -o "$T/apigw" -q 2>"$T/apigw.err"
check "scenarios/api-gateway.ini runs and its expectations pass" [ $? -eq 0 ]
check "api-gateway.ini: jwt at the gateway (no workers) adds exactly its 0.06 ms to the API's mean response" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["limit"] == "none" { m[$c["rep"] "," $c["component"]] = $c["response_mean_ms"] }
        END { for (r = 0; r < 5; r++) { d = m[r ",gw"] - m[r ",api"]; n++; if (d < 0.059999 || d > 0.060001) bad++ }
              exit !(n == 5 && bad == 0) }' "$T/apigw/components.csv"
sed 's/"[^"]*"/limiter/g' "$T/apigw/runs.csv" > "$T/apigw.csv"
check "api-gateway.ini: request accounting adds up with a service-side limiter" accounting_holds "$T/apigw.csv"
check "api-gateway.ini: the client's rate_limited is the API's refusals (the service's own limiter)" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["limit"] == "limiter" { n++; if ($c["rate_limited"] != $c["api.rate_limited"] || $c["rate_limited"] == 0) bad++ }
        END { exit !(n == 5 && bad == 0) }' "$T/apigw.csv"
"$SDSIM" run scenarios/api-gateway.ini --set 'scrapers.think=const(1000s)' -j 2 -o "$T/apigw0" -q 2>/dev/null
sed 's/"[^"]*"/limiter/g' "$T/apigw0/runs.csv" > "$T/apigw0.csv"
check "api-gateway.ini: the people alone (about 78/s) are never refused: the per-user limit changes nothing for them" \
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next}
        { n++; s += $c["throughput_rps"]
          if ($c["limit"] == "limiter") { if ($c["rate_limited"] != 0) bad++; t[$c["rep"]] = $c["throughput_rps"] }
          else u[$c["rep"]] = $c["throughput_rps"] }
        END { for (r in t) if (t[r] != u[r]) bad++; m = s / n; exit !(n == 10 && bad == 0 && m > 76 && m < 80.5) }' "$T/apigw0.csv"

# --- auth and rbac (scenarios/auth-*.ini, rbac-cache.ini) --------------------
# Each scenario's [expect] lines check the numbers its comment quotes (exit
# 0: all pass); the time-series figures its comment quotes are checked here.
for s in auth-jwt-vs-session auth-refresh-storm auth-key-rotation rbac-cache; do
    "$SDSIM" run "scenarios/$s.ini" -j 2 -o "$T/$s" -q 2>"$T/$s.err"
    check "scenarios/$s.ini runs and its expectations pass" [ $? -eq 0 ]
done
# ts_peak FILE COL SWEEP VALUE: the largest COL of rep 0 at that sweep value
ts_peak() {
    awk -F, -v col="$2" -v sw="$3" -v val="$4" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i; next}
        $h["rep"] == 0 && $h[sw] == val && $h[col] > m { m = $h[col] } END { print m + 0 }' "$1"
}
# ts_slots FILE COL SWEEP VALUE: intervals of rep 0 with COL above 0
ts_slots() {
    awk -F, -v col="$2" -v sw="$3" -v val="$4" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i; next}
        $h["rep"] == 0 && $h[sw] == val && $h[col] > 0 { n++ } END { print n + 0 }' "$1"
}
# storm_peak JITTER AHEAD [FROM_S]: idp's largest queue at a 1 s sample from FROM_S on
storm_peak() {
    awk -F, -v j="$1" -v a="$2" -v from="${3:-0}" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i; next}
        $h["jitter"] == j && $h["ahead"] == a && $h["t_s"] >= from && $h["idp.queue"] > m {
            m = $h["idp.queue"] } END { print m + 0 }' "$T/auth-refresh-storm/timeseries.csv"
}
q0=$(storm_peak 0 0)
q50=$(storm_peak 50% 0)
qa=$(storm_peak 0 50%)
check "auth-refresh-storm.ini: idp's queue peaks near 1600 without a fix ($q0), a few with jitter ($q50) or refreshing ahead ($qa)" \
    awk -v a="$q0" -v b="$q50" -v c="$qa" 'BEGIN { exit !(a >= 1300 && a <= 1900 && b < 20 && c < 20) }'
q2=$(storm_peak 0 0 100)
check "auth-refresh-storm.ini: the second storm, near 120 s, queues at idp again but less ($q2 vs $q0)" \
    awk -v a="$q2" -v b="$q0" 'BEGIN { exit !(a > 0 && a < b / 10) }'
kq=$(ts_peak "$T/auth-key-rotation/timeseries.csv" jwks.queue coalesce false)
kn=$(ts_slots "$T/auth-key-rotation/timeseries.csv" jwks.queue coalesce false)
kc=$(ts_peak "$T/auth-key-rotation/timeseries.csv" jwks.queue coalesce true)
check "auth-key-rotation.ini: the herd queues about 110 fetches for 3 to 4 s ($kq, $kn s), coalesced its queue is empty at every 1 s sample ($kc)" \
    awk -v a="$kq" -v n="$kn" -v c="$kc" 'BEGIN { exit !(a >= 90 && a <= 140 && n >= 3 && n <= 5 && c == 0) }'
p99f=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i; next} $h["rep"]==0 && $h["t_s"]==31 && $h["coalesce"]=="false" { print $h["latency_p99_ms"] }' "$T/auth-key-rotation/timeseries.csv")
p99t=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i; next} $h["rep"]==0 && $h["t_s"]==31 && $h["coalesce"]=="true" { print $h["latency_p99_ms"] }' "$T/auth-key-rotation/timeseries.csv")
check "auth-key-rotation.ini: the rotation's second has a p99 of about 300 ms either way ($p99f, $p99t ms)" \
    awk -v a="$p99f" -v b="$p99t" 'BEGIN { exit !(a >= 150 && a <= 500 && b >= 150 && b <= 500) }'
check "runs.csv has unauthenticated and denied columns only where a service authenticates" sh -c \
    "head -1 '$T/rbac-cache/runs.csv' | tr ',' '\\n' | grep -qx denied && head -1 '$T/rbac-cache/runs.csv' | tr ',' '\\n' | grep -qx unauthenticated && ! head -1 '$T/hello/runs.csv' | tr ',' '\\n' | grep -qx denied"
rbac_ends_once() { # the accounting holds, and every run denied some
    accounting_holds "$T/rbac-cache/runs.csv" &&
        awk -F, 'NR==1{for(i=1;i<=NF;i++)c[$i]=i; next} { if ($c["denied"] == 0) bad++ }
            END { exit bad > 0 }' "$T/rbac-cache/runs.csv"
}
check "each request ends once with auth: offered = completed + rejected + timeouts + errors + unauthenticated + denied + in_flight" \
    rbac_ends_once
"$SDSIM" run scenarios/rbac-cache.ini -j 1 -o "$T/rbac-cache-j1" -q 2>/dev/null
check "rbac-cache.ini: -j1 and -j2 give byte-identical runs.csv" \
    cmp -s "$T/rbac-cache/runs.csv" "$T/rbac-cache-j1/runs.csv"

# --- plots: every gnuplot script of every results folder above -------------
# A few more shipped scenarios (shortened) so every kind of plot is linted:
# categories (balancers, backoff), a duration sweep (stale-load), faults and
# levels over time (metastable-retries, health-checks), facets
# (quorum-staleness, consistency-levels).
for s in balancers stale-load backoff-jitter metastable-retries health-checks; do
    "$SDSIM" run "$(bare $s)" --set sim.repeat=2 -j 2 -o "$T/plot-$s" -q 2>"$T/plot-$s.err"
    rc=$?
    check "scenarios/$s.ini runs and gnuplot draws its plots" sh -c \
        "[ $rc -eq 0 ] && ! grep -q 'gnuplot failed' '$T/plot-$s.err'"
done
# Retries, timeouts and a crash: no formula holds, so no theory at all.
check "backoff-jitter.ini (retries): summary.csv has no theory and no method" \
    awk -F, 'FNR == 1 { next } { n++; if ($(NF-1) != "" || $NF != "") bad++ } END { exit bad > 0 || n == 0 }' \
    "$T/plot-backoff-jitter/summary.csv"
# Six backoff policies side by side: what the four exponentials share goes
# into the axis label once, so the tic labels are short enough not to overlap.
check "backoff-jitter.ini: shared parameters move from the tics into the axis label" sh -c \
    "grep -q \"^set xlabel 'backoff (exponential: base=5ms, cap=2s)'\" '$T/plot-backoff-jitter/sweep_latency.gp' &&
     grep -q '\"exponential(\\\\njitter=full)\" 3' '$T/plot-backoff-jitter/sweep_latency.gp'"
# With failures the success-only p99 hides the retries' waits: a third row.
check "backoff-jitter.ini (failures): sweep_latency.png also draws the p99 of all finished requests" \
    grep -q "^set ylabel 'p99 latency, all finished (ms)'" "$T/plot-backoff-jitter/sweep_latency.gp"
check "stale-load.ini (no failures): no all-finished row" sh -c \
    "! grep -q 'all finished' '$T/plot-stale-load/sweep_latency.gp'"
check "stale-load.ini plots against refresh (plot_x), a duration axis in ms" \
    grep -q "^set xlabel 'refresh (ms)'" "$T/plot-stale-load/sweep_latency.gp"
check "a numeric sweep of few values has a tic at each (sweep.ini: rate = 3, 5)" \
    grep -q '^set xtics ("3" 3, "5" 5)$' "$T/j1/sweep_latency.gp"
check "stale-load.ini: refresh 0 and 100 ms would overlap, so automatic tics" \
    grep -q "^set xtics autofreq" "$T/plot-stale-load/sweep_latency.gp"
# A --set that replaces the sweep plot_x (and compare) name drops them: the
# first sweep left goes on x, no comparison; an empty --set value removes a
# key, plot_x included (the first sweep again).
short='--set sim.warmup=0s --set sim.duration=5s --set sim.repeat=2'
"$SDSIM" run scenarios/balancers.ini --set app.balance=round_robin $short -o "$T/px-set" \
    > "$T/px-set.out" 2>&1
check "balancers.ini --set app.balance=round_robin: runs, plots against rate, no comparison" \
    sh -c "grep -q \"^set xlabel 'rate (/s)'\" '$T/px-set/sweep_latency.gp' &&
           ! grep -qi 'paired' '$T/px-set.out' && grep -q '^expect: skipped' '$T/px-set.out'"
"$SDSIM" run "$(bare stale-load)" --set sim.plot_x= $short -o "$T/px-clear" -q 2>/dev/null
check "stale-load.ini --set sim.plot_x= (empty): plots against the first sweep, policy" \
    grep -q "^set xlabel 'policy'" "$T/px-clear/sweep_latency.gp"
check "balancers.ini plots the policies as categories, no line across them" sh -c \
    "grep -q 'yerrorbars' '$T/plot-balancers/sweep_latency.gp' && ! grep -q 'yerrorlines' '$T/plot-balancers/sweep_latency.gp'"
check "metastable-retries.ini draws app.queue over time" \
    grep -q "^set ylabel 'app.queue (requests)'" "$T/plot-metastable-retries/timeseries.gp"
# Bands only where a panel has at most 2 lines: health-checks has 4 (health x
# outlier), and with one outlier setting 2.
check "health-checks.ini (4 lines a panel) draws no bands: they would pile up" \
    sh -c "! grep -q 'transparent' '$T/plot-health-checks/timeseries.gp'"
"$SDSIM" run "$(bare health-checks)" --set sim.repeat=2 --set lb.outlier=none -j 2 \
    -o "$T/plot-hc2" -q 2>/dev/null
check "health-checks.ini, 2 lines a panel: bands around rates, a box per slot around levels" sh -c \
    "grep -q 'with filledcurves .*fs transparent solid 0.2' '$T/plot-hc2/timeseries.gp' && grep -q 'with boxxyerror .*fs transparent solid 0.2' '$T/plot-hc2/timeseries.gp'"
# With 2 replications the band is min..max: the mean lies within it, and
# it has width somewhere.
check "health-checks.ini: throughput's band holds its mean, and is not all zero width" awk '
    /^"/ { sub(/^"[^"]*"/, "label"); for (i = 1; i <= NF; i++) { h = $i; gsub(/"/, "", h); col[h] = i }; next }
    NF > 1 && $col["throughput_rps"] != "nan" {
        m = $col["throughput_rps"]; l = $col["throughput_rps.lo"]; u = $col["throughput_rps.hi"]
        if (l > m + 1e-9 || u < m - 1e-9) bad++
        if (u > l) wide++ }
    END { exit !(bad == 0 && wide > 0) }' "$T/plot-hc2/timeseries.dat"
check "write-behind-crash.ini with 1 replication draws no band" sh -c \
    "! grep -q 'transparent' '$T/wb/timeseries.gp'"
check "write-behind-crash.ini draws cache.wb_queue over time" \
    grep -q "^set ylabel 'cache.wb_queue (writes)'" "$T/wb/timeseries.gp"
# multi-leader.ini: 8 lines of about 56 characters a panel; the legend
# takes 4 rows (2 columns, in a wider panel), not 8 under the plot.
check "multi-leader.ini: every legend in at most 4 rows" awk '
    /^set key maxcols [0-9]+ maxrows [0-9]+$/ { n++; if ($6 > 4) bad++ }
    END { exit !(n > 0 && bad == 0) }' "$T/ml/sweep_latency.gp" "$T/ml/latency_cdf.gp"
"$SDSIM" run scenarios/quorum-staleness.ini --set sim.repeat=1 -j 2 -o "$T/plot-qs" -q
# show = only: the table has the sweep values, the runs and the columns
# named, under 100 characters a line (the default table takes about 190)
table_width() { # table_width FILE: the longest line from the heading to "results:"
    awk '/ runs  / { on = 1 } /^results:/ { on = 0 } on { n++; if (length($0) > m) m = length($0) }
         END { print (n > 1 ? m : 999) }' "$1"
}
for f in quorum-staleness ring-balance cache-ttl; do
    "$SDSIM" run scenarios/$f.ini --set sim.repeat=1 --set sim.duration=20s -j 2 -o "$T/only-$f" \
        > "$T/only-$f.out" 2>/dev/null
    w=$(table_width "$T/only-$f.out")
    check "$f.ini: show = only: its table is narrower than 100 characters ($w), without the default columns" \
        sh -c "[ $w -lt 100 ] && ! grep ' runs  ' '$T/only-$f.out' | grep -q 'offered/s'"
done
"$SDSIM" run scenarios/hello.ini --set 'sim.show=only: latency_p99_ms, unfinished_ratio, app.utilisation' \
    --set sim.duration=200s --set sim.warmup=10s -o "$T/only-hello" > "$T/only-hello.out" 2>/dev/null
# (hello is M/M/3: Erlang C's p99, 10.86 s, follows the p99 in its unit)
check "show = only: a default column named is shown as in the default table (heading, %, legend)" \
    sh -c "grep -q '^point    runs  success p99 s  theory s  unfinished %  app.utilisation\$' '$T/only-hello.out' &&
           grep -qx 'unfinished: in flight at the end; success: successful requests only;' '$T/only-hello.out' &&
           grep -qx 'theory: the steady-state value the column to its left has by erlang_c (sdsim list theory)' '$T/only-hello.out'"
# The default table fits 100 columns: the columns with nothing to show are
# left out (and named), the rest wraps into blocks that each start with the
# sweep values and runs; SDSIM_TABLE=wide prints every column on one line.
"$SDSIM" run scenarios/failover.ini --set sim.repeat=2 -j 2 -o "$T/tw" > "$T/tw.out" 2>/dev/null
SDSIM_TABLE=wide "$SDSIM" run scenarios/failover.ini --set sim.repeat=2 -j 2 -o "$T/tw-wide" \
    > "$T/tw-wide.out" 2>/dev/null
tw=$(awk '/ runs  / { on = 1 } /^results:/ { on = 0 } on { if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/tw.out")
check "failover.ini: the default table is at most 100 characters wide ($tw), in 2 blocks" \
    sh -c "[ $tw -le 100 ] && [ \$(grep -c '^ack  *lag  *runs  ' '$T/tw.out') -eq 2 ] &&
           grep -q '^left out (nothing to show): goodput/s, reject %, timeout %, unfinished %;\$' '$T/tw.out'"
check "failover.ini: SDSIM_TABLE=wide prints every column on one line" \
    grep -q '^ack  *lag  *runs  offered/s  throughput/s  goodput/s  failed %  reject %  timeout %  unfinished %  success mean ms (95% CI)  success p99 s  all p99 s  db.lost_writes  db.failed$' "$T/tw-wide.out"
"$SDSIM" run scenarios/failover.ini --set sim.repeat=2 -j 2 -o "$T/tw-key" --set sim.table=wide \
    2>/dev/null | grep -v '^results' > "$T/tw-key.out"
grep -v '^results' "$T/tw-wide.out" 2>/dev/null > "$T/tw-env.out"
check "failover.ini: [sim] table = wide prints the same table as SDSIM_TABLE=wide" \
    cmp -s "$T/tw-key.out" "$T/tw-env.out"
check "quorum-staleness.ini: t in ms (the unit after its \${...}), from 0" \
    grep -q "^set xlabel 't (ms)' offset 0,0" "$T/plot-qs/sweep_metrics.gp"
"$SDSIM" run "$(bare consistency-levels)" --set sim.duration=20s --set sim.repeat=2 -j 2 \
    -o "$T/plot-cl" -q
# A [plot NAME] section: two columns against w, a line per (column, b),
# and rate (named nowhere) as the panels.
{ cat tests/e2e/sweep.ini; printf '\n[plot p]\ny = latency_p99_ms, throughput_rps\nx = w\nseries = b\n'; } \
    > "$T/custom.ini"
"$SDSIM" run "$T/custom.ini" --set sim.repeat=2 --set sim.duration=60s -o "$T/plot-custom" -q
check "[plot p] draws plot_p.png: 2 columns x 2 values of b a panel, a panel per rate" sh -c \
    "grep -q \"plot_p.png\" '$T/plot-custom/plots.gp' && grep -q \"^set multiplot layout 1,2\" '$T/plot-custom/plots.gp' && [ \$(grep -c '^plot for \\[i=[0-9]*:[0-9]*\\]' '$T/plot-custom/plots.gp') -eq 2 ] && grep -q '^\"latency_p99_ms b=random\"' '$T/plot-custom/plots.dat'"
# gp_lint FILE...: each script has a title (the multiplot's, naming the
# scenario); a latency axis (ylabel "... (ms)") always has a y range, and it
# starts at 0 (or above, on a log scale); a plot command draws at most 8
# titled lines ("for [i=A:B]" draws B-A+1).
gp_lint() {
    awk '
        FNR == 1 { if (prev != "" && !titled) { print "  " prev ": no title"; bad++ }
                   prev = FILENAME; titled = 0; ylab = ""; yr = "" }
        { line = $0; while (line ~ /\\$/ && (getline nx) > 0) { sub(/\\$/, "", line); line = line nx } }
        line ~ /^set multiplot .*title "[^"]+"/ || line ~ /^set title ["'"'"'][^"'"'"']+/ { titled = 1 }
        line ~ /^set ylabel / { ylab = line; yr = "" }
        line ~ /^set yrange / { yr = line }
        line ~ /^plot / {
            if (ylab ~ /\(ms\)/ && (yr == "" || yr ~ /\[ *-/)) {
                print "  " FILENAME ": latency axis without a range from 0: " (yr == "" ? "autoscaled" : yr); bad++ }
            n = 0; rest = substr(line, 6)
            m = split(rest, cl, /, *(for|'"'"')/)
            for (k = 1; k <= m; k++) {
                if (cl[k] ~ /notitle/) continue
                if (match(cl[k], /\[i=[0-9]+:[0-9]+\]/)) {
                    r = substr(cl[k], RSTART + 3, RLENGTH - 4); split(r, ab, ":"); n += ab[2] - ab[1] + 1
                } else n++
            }
            if (n > 8) { print "  " FILENAME ": " n " lines in one panel"; bad++ }
        }
        END { if (prev != "" && !titled) { print "  " prev ": no title"; bad++ }
              exit bad > 0 }' "$@"
}
gps=$(find "$T" -name '*.gp' | sort)
check "the e2e runs wrote gnuplot scripts of every kind to lint" sh -c \
    "echo '$gps' | grep -q timeseries.gp && echo '$gps' | grep -q sweep_metrics.gp && echo '$gps' | grep -q latency_cdf.gp && echo '$gps' | grep -q sweep_latency.gp"
check "every plot has a title, latency axes from 0 and at most 8 lines a panel ($(echo "$gps" | wc -l) scripts)" \
    gp_lint $gps
mkdir -p "$T/lint"
printf "set multiplot layout 1,1 title \"x\"\nset ylabel 'latency (ms)'\nplot for [i=0:15] 'a.dat' index i using 1:2 title columnheader(1)\n" > "$T/lint/many.gp"
printf "set ylabel 'p99 (ms)'\nset yrange [-5:*]\nplot 'a.dat' using 1:2 title 'a'\n" > "$T/lint/bad.gp"
gp_lint "$T/lint/many.gp" >/dev/null
check "the plot lint finds 16 lines in a panel" [ $? -ne 0 ]
gp_lint "$T/lint/bad.gp" > "$T/lint/bad.out"
check "the plot lint finds an untitled plot and a latency axis from -5 ms" sh -c \
    "[ \$(grep -c 'no title\\|without a range' '$T/lint/bad.out') -eq 2 ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
