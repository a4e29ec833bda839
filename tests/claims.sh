#!/bin/sh
# The claims of the shipped scenarios: every scenarios/*.ini with an [expect]
# section (the figures its comments quote) is run at its own settings, and
# must exit 0 with every [expect] row of its expect.csv judged `pass`: a
# failure, an inconclusive row (an interval that straddles a bound) or a run
# that exits non-zero fails the test. [predict] rows are guesses and are not
# judged. Prints one line per scenario with its counts.
# Usage: sh tests/claims.sh ./sdsim [scenarios/NAME.ini ...]
# (about 1.5 minutes on 2 cores for all of them; cache-size.ini alone takes
# about 35 s)
set -u
SDSIM=${1:-./sdsim}
case $SDSIM in /*) ;; *) SDSIM=$PWD/$SDSIM ;; esac
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then files="$*"; else files=$(ls scenarios/*.ini); fi
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-claims.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/nognuplot" # a PATH without gnuplot: no plots, faster runs
pass=0
fail=0
for f in $files; do
    grep -q '^[ \t]*\[[ \t]*expect[ \t]*\]' "$f" || continue
    name=$(basename "$f" .ini)
    out=$T/$name
    env PATH="$T/nognuplot" "$SDSIM" run "$f" -q -j 2 -o "$out" > "$T/$name.log" 2>&1
    rc=$?
    # counts of the [expect] rows' verdicts (a field is split on commas
    # outside quotes: an expectation's `when` may hold a quoted sweep value)
    counts=$(awk '
        function split_csv(s, out,   n, i, c, q, f) { n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
                if (c == "\"") q = !q
                if (c == "," && !q) { out[++n] = f; f = "" } else f = f c }
            out[++n] = f; return n }
        { n = split_csv($0, v) }
        NR == 1 { for (i = 1; i <= n; i++) col[v[i]] = i; next }
        v[col["kind"]] != "expect" { next }
        { rows++; verdict = v[col["verdict"]]
          if (verdict == "pass") ok++; else if (verdict == "fail") bad++; else other++ }
        END { printf "%d %d %d %d\n", rows, ok, bad, other }' "$out/expect.csv" 2>/dev/null)
    set -- $counts
    rows=${1:-0} ok=${2:-0} bad=${3:-0} other=${4:-0}
    line="$name: $rows expectations, $ok passed, $bad failed, $other inconclusive (exit $rc)"
    if [ "$rc" -eq 0 ] && [ "$rows" -gt 0 ] && [ "$ok" -eq "$rows" ]; then
        pass=$((pass + 1)); echo "PASS: $line"
    else
        fail=$((fail + 1)); echo "FAIL: $line"
        grep -v '^expect: PASS' "$T/$name.log" | sed 's/^/  /' | head -20
    fi
done
echo "claims: $pass scenarios passed, $fail failed"
[ "$fail" -eq 0 ]
