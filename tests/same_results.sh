#!/bin/sh
# Are two sdsim builds' results byte-identical on every shipped scenario?
# Runs each scenarios/*.ini (and scenarios/validation/*.ini with --all)
# through both binaries with the same options and compares every CSV file
# they write (cmp), after dropping the columns named in IGNORE (a comma-
# separated list, for columns one build adds on purpose) and the rows of
# summary.csv whose metric is named in IGNORE (summary.csv is long: one row
# per point and metric, so a new metric is a new row). Prints one line
# per scenario and exits 1 if any differ. Used before and after refactors.
# OLD runs each scenario without its [expect], [predict] and [plot NAME]
# sections and its show, plot_x and compare keys (a build before them cannot read
# them; they change no CSV, though NEW may add expect.csv, which is not
# compared). A scenario with a capacity search ([sim] find) is compared as a
# plain run: OLD without the find keys, NEW with --set sim.find=none.
# Usage: sh tests/same_results.sh OLD_SDSIM NEW_SDSIM [--all] [-- SDSIM_RUN_OPTIONS...]
#   IGNORE=stopped,stopped_at_s sh tests/same_results.sh /tmp/old ./sdsim -- -j 2
set -u
OLD=$1; NEW=$2; shift 2
files=$(ls scenarios/*.ini)
if [ "${1:-}" = "--all" ]; then files="$files $(ls scenarios/validation/*.ini)"; shift; fi
[ "${1:-}" = "--" ] && shift
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-same.XXXXXX")
trap 'rm -rf "$T"' EXIT
# drop FILE: the CSV without the IGNORE columns (a line is split only on
# commas outside quotes, so quoted sweep values stay whole)
drop() {
    case $1 in */summary.csv) long=1 ;; *) long=0 ;; esac
    awk -v ign="${IGNORE:-}" -v long="$long" '
        function split_csv(s, out,   n, i, c, q, f) { n = 0; f = ""; q = 0
            for (i = 1; i <= length(s); i++) { c = substr(s, i, 1)
                if (c == "\"") q = !q
                if (c == "," && !q) { out[++n] = f; f = "" } else f = f c }
            out[++n] = f; return n }
        BEGIN { m = split(ign, ig, ","); for (k = 1; k <= m; k++) ignored[ig[k]] = 1 }
        { n = split_csv($0, v)
          if (NR == 1) for (i = 1; i <= n; i++) { if (v[i] in ignored) skip[i] = 1; if (long && v[i] == "metric") mc = i }
          if (NR > 1 && mc && (v[mc] in ignored)) next
          line = ""; sep = ""
          for (i = 1; i <= n; i++) if (!skip[i]) { line = line sep v[i]; sep = "," }
          print line }' "$1"
}
# for_old FILE: FILE without what changes no CSV and an older build may not
# know: the [expect], [predict] and [plot NAME] sections, the show, compare and
# plot_x keys, and the find keys
for_old() {
    awk '/^[ \t]*\[/ { skip = ($0 ~ /^[ \t]*\[[ \t]*(expect|predict|plot[ \t]+[^]]*)[ \t]*\][ \t]*$/) }
         !skip && !/^[ \t]*(show|plot_x|compare|find|find_range|find_tolerance|find_max_repeat)[ \t]*=/' "$1"
}
bad=0
for f in $files; do
    b=$(basename "$f" .ini)
    old_f=$f
    if ! for_old "$f" | cmp -s - "$f"; then
        # beside the original, so that the files it names are found
        old_f=$(dirname "$f")/.same-results-$$-$b.ini
        for_old "$f" > "$old_f"
    fi
    env PATH=/nonexistent "$OLD" run "$old_f" -q -o "$T/old-$b" "$@" >/dev/null 2>&1; r1=$?
    [ "$old_f" = "$f" ] || rm -f "$old_f"
    nofind=
    grep -q '^[ \t]*find[ \t]*=' "$f" && nofind=--set=sim.find=none
    env PATH=/nonexistent "$NEW" run "$f" $nofind -q -o "$T/new-$b" "$@" >/dev/null 2>&1; r2=$?
    diffs=""
    if [ "$r1" != "$r2" ]; then diffs="exit $r1 vs $r2"; fi
    if [ "$r1" != 0 ] && [ "$r1" = "$r2" ]; then
        echo "FAILED    $f: both exit $r1 (nothing compared)"; bad=1; continue
    fi
    for c in $(cd "$T/old-$b" 2>/dev/null && ls *.csv); do
        if [ ! -f "$T/new-$b/$c" ]; then diffs="$diffs $c(missing)"; continue; fi
        drop "$T/new-$b/$c" > "$T/new.cmp"
        drop "$T/old-$b/$c" | cmp -s - "$T/new.cmp" || diffs="$diffs $c"
    done
    if [ -z "$diffs" ]; then echo "same      $f"; else echo "DIFFERENT $f:$diffs"; bad=1; fi
    rm -rf "$T/old-$b" "$T/new-$b"
done
exit $bad
