#!/bin/sh
# The interview drills (scenarios/drills/): each drill must have the shape
# the README promises (requirements, napkin math, the --quiz command, a
# capacity search with its answer, [predict] and [expect]); runs at its own
# settings with every [expect] line passing (a fail or an inconclusive line
# fails); its capacity-search command, copied from its comment, must give
# the answer the comment states; the napkin figures the comments quote from
# `sdsim validate` must be what it prints; and `run --quiz` with piped
# answers asks, re-asks a bad answer, stops at the end of the input and
# judges the answers.
# Usage: sh tests/drills.sh ./sdsim   (about a minute on 2 cores)
set -u
SDSIM=${1:-./sdsim}
case $SDSIM in /*) ;; *) SDSIM=$PWD/$SDSIM ;; esac
DIR=scenarios/drills
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-drills.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/nognuplot" # a PATH without gnuplot: no plots, faster runs
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
run() { env PATH="$T/nognuplot" "$SDSIM" "$@"; }

drills=$(cd $DIR && ls *.ini | sed 's/\.ini$//')
n=$(echo "$drills" | wc -l)
[ "$n" -ge 6 ] && ok "$n drills" || ko "only $n drills: $(echo $drills)"

for d in $drills; do
    f=$DIR/$d.ini
    # --- the shape ------------------------------------------------------------
    shape=ok
    for want in '^# Drill: ' '^# Requirements' '^# Napkin math' \
        "^# Predict first: \./sdsim run $f --quiz\$" '^# What the simulation finds' \
        '^# Capacity' "^#   \./sdsim run $f --find '" '^# answers [0-9.]+(/s)? ' \
        '^# Follow-ups' '^\[predict\]' '^\[expect\]'; do
        grep -Eq "$want" "$f" || { shape="no '$want'"; break; }
    done
    [ "$shape" = ok ] && ok "$d: requirements, napkin math, quiz, capacity search, checks" ||
        ko "$d: $shape"
    grep -q "drills/$d.ini" README.md && ok "$d: in README.md's scenario table" ||
        ko "$d: README.md does not list it"

    # --- at its own settings: every [expect] passes -----------------------------
    start=$(date +%s)
    run run "$f" -q -j 2 -o "$T/$d" > "$T/$d.out" 2> "$T/$d.err"
    rc=$?
    secs=$(($(date +%s) - start))
    verdicts=$(awk '
        function split_csv(s, out,   n, i, c, q, f) { n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
                if (c == "\"") q = !q
                if (c == "," && !q) { out[++n] = f; f = "" } else f = f c }
            out[++n] = f; return n }
        { n = split_csv($0, v) }
        NR == 1 { for (i = 1; i <= n; i++) col[v[i]] = i; next }
        v[col["kind"]] != "expect" { next }
        { rows++; if (v[col["verdict"]] == "pass") good++ }
        END { printf "%d %d\n", rows, good }' "$T/$d/expect.csv" 2>/dev/null)
    set -- $verdicts
    rows=${1:-0} good=${2:-0}
    if [ $rc -eq 0 ] && [ "$rows" -gt 0 ] && [ "$good" -eq "$rows" ] && ! grep -q skipped "$T/$d.err"; then
        ok "$d: all $rows expectations pass (${secs}s)"
    else
        ko "$d: exit $rc, $good of $rows expectations pass"
        sed 's/^/  /' "$T/$d.err" | head -10
    fi
    [ "$secs" -le 60 ] && ok "$d: runs in under a minute (${secs}s on 2 jobs)" ||
        ko "$d: took ${secs}s"

    # --- its capacity search gives the answer its comment states ----------------
    cmd=$(grep -E "^#   \./sdsim run $f --find '" "$f" | head -1 | sed 's/^#   \.\/sdsim run //')
    want=$(grep -E '^# answers [0-9.]+(/s)? ' "$f" | head -1 | awk '{ print $3 }')
    eval "set -- $cmd"
    run run "$@" -q -j 2 -o "$T/$d-find" > "$T/$d-find.out" 2> "$T/$d-find.err"
    rc=$?
    got=$(sed -n 's/^find_answer: .*: \([^ ]*\) (passes.*/\1/p' "$T/$d-find/manifest.txt" 2>/dev/null)
    if [ $rc -eq 0 ] && [ -n "$want" ] && [ "$got" = "$want" ]; then
        ok "$d: the capacity search answers $got, as its comment says"
    else
        ko "$d: the capacity search (exit $rc) answers '$got', the comment says '$want'"
        sed 's/^/  /' "$T/$d-find.err" | head -5
    fi
done

# --- a second search a drill quotes ----------------------------------------------
f=$DIR/metrics-pipeline.ini
run run "$f" --find 'max agents.arrival.rate where points.e2e_p99_ms < 100ms' \
    --set points.route=round_robin --set sim.find_range=2500/s..4000/s -q -j 2 -o "$T/rr" \
    > /dev/null 2>&1
got=$(sed -n 's/^find_answer: .*: \([^ ]*\) (passes.*/\1/p' "$T/rr/manifest.txt" 2>/dev/null)
grep -q "round_robin $got" "$f" &&
    ok "metrics-pipeline: with round_robin the search answers $got, as its comment says" ||
    ko "metrics-pipeline: with round_robin the search answers '$got'"

# --- the napkin figures the comments quote from sdsim validate -----------------------
napkin() { # napkin DRILL POINT COMPONENT 'offered capacity utilisation'
    line=$("$SDSIM" validate "$DIR/$1.ini" 2>/dev/null | awk -v p="sweep point $2 " -v c="$3" '
        index($0, p) == 1 { on = 1; next } /^sweep point/ { on = 0 }
        on && $1 == c { print $3, $4, $5; exit }')
    [ "$line" = "$4" ] && ok "$1: validate's napkin math for $3 at point $2: $4" ||
        ko "$1: validate's napkin math for $3 at point $2: '$line', the comment says '$4'"
}
napkin url-shortener 0 db '997.8 1200 0.831'
napkin news-feed 0 posts '1000 1600 0.625'
napkin chat-pubsub 0 push '2000 2250 0.889'
napkin chat-pubsub 2 push '2000 3000 0.667'
napkin chat-pubsub 0 notify '2000 2667 0.75'
napkin rate-limited-api 0 api '1200 1600 0.75'
napkin metrics-pipeline 0 ingest '3000 4000 0.75'

# --- run --quiz with piped answers -------------------------------------------------
f=$DIR/url-shortener.ini
printf '0.5\nabc\n60%%\n\n' | run run "$f" --quiz -q -j 2 -o "$T/quiz" > "$T/quiz.out" 2> "$T/quiz.err"
rc=$?
q=$T/quiz.out
[ $rc -eq 0 ] && ok "quiz: exit 0 with piped answers" || ko "quiz: exit $rc: $(head -3 "$T/quiz.err")"
grep -q '^quiz: 5 questions before the run' "$q" && ok "quiz: one question per [predict] line and point" ||
    ko "quiz: $(grep -m1 '^quiz: ' "$q")"
grep -q "^quiz 1/5: cache.hit_ratio \[cache=1000 workers=12\], in ratio (0 to 1, or a %)? 0.5" "$q" &&
    ok "quiz: asks the metric at its sweep point, echoing a piped answer" ||
    ko "quiz: question 1: $(grep -m1 '^quiz 1/5' "$q")"
grep -q "^quiz: 'abc' is not a value of db.utilisation (ratio)" "$q" &&
    [ "$(grep -c '^quiz 2/5: db.utilisation' "$q")" -eq 2 ] &&
    ok "quiz: a bad answer is said so and asked again" || ko "quiz: the bad answer 'abc'"
grep -q '^quiz: end of input: questions 4..5 skipped' "$q" &&
    ok "quiz: the end of the input skips the rest" || ko "quiz: no end-of-input line"
row() { grep -E "^$1 +$2" "$q"; }
row 1 'cache.hit_ratio \[cache=1000 workers=12\] +0.5 +0.5 +0.50[0-9]* \(0.[0-9]+ \.\. 0.[0-9]+\) +x0.98[0-9]* \(-1%\) +close: within 25%' > /dev/null &&
    ok "quiz: the guess, the drill's estimate, the interval, the ratio and the verdict" ||
    ko "quiz: row 1: $(grep -E '^1 ' "$q")"
row 2 'db.utilisation \[cache=1000 workers=12\] +0.6 +0.83 ' | grep -Eq 'x0.7[0-9]* \(-28%\) +right order: within 2x' &&
    ok "quiz: 60% read as 0.6, 28% low: right order" || ko "quiz: row 2: $(grep -E '^2 ' "$q")"
row 3 'latency_p99_ms \[cache=1000 workers=12\] +\(skipped\)' > /dev/null &&
    ok "quiz: an empty answer skips the question" || ko "quiz: row 3: $(grep -E '^3 ' "$q")"
row 4 'latency_p99_ms \[cache=10000 workers=16\] +\(skipped\)' > /dev/null &&
    ok "quiz: questions after the end of the input are skipped" || ko "quiz: row 4: $(grep -E '^4 ' "$q")"
grep -q '^quiz: 2 of 5 answered: 0 inside the 95% interval, 1 within 25%, 1 within 2x, 0 further off' "$q" &&
    ok "quiz: the summary counts the verdicts" || ko "quiz: $(grep '^quiz: [0-9]' "$q")"

# a bottleneck answer, and standard input closed at once: never hangs
printf '\n\n\n\ncache\n' | run run "$f" --quiz -q -j 2 -o "$T/quiz2" > "$T/quiz2.out" 2>&1
grep -Eq '^5 +bottleneck \[cache=1000 workers=12\] +cache +db +db \(utilisation 0.8[0-9]*\) +- +wrong component' "$T/quiz2.out" &&
    ok "quiz: a bottleneck answer is judged against the simulated bottleneck" ||
    ko "quiz: bottleneck row: $(grep -E '^5 ' "$T/quiz2.out")"
start=$(date +%s)
run run "$f" --quiz -q -j 2 -o "$T/quiz3" < /dev/null > "$T/quiz3.out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^quiz: end of input: questions 1..5 skipped' "$T/quiz3.out" &&
    grep -q '^quiz: 0 of 5 answered' "$T/quiz3.out" &&
    ok "quiz: an empty standard input skips every question and runs ($(($(date +%s) - start))s)" ||
    ko "quiz: with stdin /dev/null: exit $rc, $(head -3 "$T/quiz3.out")"
run run "$f" --quiz --shard 0/2 -q -o "$T/quiz4" < /dev/null > /dev/null 2>&1
[ $? -eq 64 ] && ok "quiz: not with --shard (usage, exit 64)" || ko "quiz: --shard accepted"

echo "drills: $pass passed, $fail failed"
[ $fail -eq 0 ]
