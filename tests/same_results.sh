#!/bin/sh
# tests/same_results.sh OLD NEW [scenario.ini ...]: runs every scenario (by
# default scenarios/*.ini) with two sdsim binaries and compares the CSVs
# they write, file by file. A refactoring that should not change results
# must print "same" for every scenario. Runs longer than the scenario's own
# duration are not needed to see a difference, so SAME_DURATION (e.g. 600s)
# shortens them when set. Exit status: the number of scenarios that differ
# (capped at 100).
set -u
old=$1 new=$2
shift 2
[ $# -gt 0 ] || set -- scenarios/*.ini
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
differ=0
for f in "$@"; do
    name=$(basename "$f" .ini)
    set_dur=""
    [ -n "${SAME_DURATION:-}" ] && set_dur="--set sim.duration=$SAME_DURATION"
    # shellcheck disable=SC2086
    "$old" run "$f" -q -o "$T/old-$name" $set_dur 2>"$T/old.err"; rc_old=$?
    # shellcheck disable=SC2086
    "$new" run "$f" -q -o "$T/new-$name" $set_dur 2>"$T/new.err"; rc_new=$?
    if [ $rc_old -ne $rc_new ]; then
        echo "DIFFERS $name: exit $rc_old vs $rc_new"; differ=$((differ + 1)); continue
    fi
    if [ $rc_old -ne 0 ]; then
        if cmp -s "$T/old.err" "$T/new.err"; then echo "same    $name (both fail, same message)"
        else echo "DIFFERS $name: different messages"; differ=$((differ + 1)); fi
        continue
    fi
    bad=""
    n=0
    for c in $(cd "$T/old-$name" && find . -name '*.csv' | sort); do
        n=$((n + 1))
        cmp -s "$T/old-$name/$c" "$T/new-$name/$c" || bad="$bad ${c#./}"
    done
    extra=$(cd "$T/new-$name" && find . -name '*.csv' | sort | while read -r c; do
        [ -e "$T/old-$name/$c" ] || printf ' %s(new only)' "${c#./}"; done)
    if [ -z "$bad$extra" ]; then echo "same    $name ($n CSV files)"
    else echo "DIFFERS $name:$bad$extra"; differ=$((differ + 1)); fi
    rm -rf "$T/old-$name" "$T/new-$name"
done
[ $differ -gt 100 ] && differ=100
exit $differ
