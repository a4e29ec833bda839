#!/bin/sh
# End-to-end tests of the results folder: sdsim never removes a file it did
# not write, a reader sees the complete old or the complete new set of files
# whatever signal or error arrives when, and two runs into one folder never
# mix. Real signals, real concurrent processes, real foreign files, compared
# by sha256sum before and after. Usage: sh tests/e2e_files.sh ./sdsim
# SDSIM_E2E_QUICK=1 tries fewer signal delays (used for the sanitizer build).
set -u
SDSIM=${1:-./sdsim}
case $SDSIM in /*) ;; *) SDSIM=$PWD/$SDSIM ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-files.XXXXXX")
# hello.ini without its [expect] and [predict] sections (kept out of $T,
# whose entries the tests count): these tests are about the results folder,
# and the short runs below would judge hello's expectations (exit 1 when one
# fails, verdicts on stderr).
H=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-hello.XXXXXX")
trap 'rm -rf "$T" "$H"' EXIT
awk '/^[ \t]*\[/ { skip = ($0 ~ /^[ \t]*\[[ \t]*(expect|predict)[ \t]*\][ \t]*$/) } !skip' \
    scenarios/hello.ini > "$H/hello.ini"
HELLO=$H/hello.ini
mkdir "$T/nognuplot" # a PATH without gnuplot: no plots, faster runs
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
    name=$1; shift
    if "$@"; then ok "$name"; else ko "$name"; fi
}
# A short run of the example: five replications of 200 simulated seconds.
FAST="--set sim.duration=200s --set sim.warmup=10s -q"

# sums DIR: every entry of DIR (names, kinds and sha256 of the files), sorted
sums() {
    (cd "$1" && ls -A && find . -mindepth 1 -maxdepth 1 -type f -exec sha256sum {} + | sort)
}
# complete DIR SEED: DIR holds exactly the files its manifest lists, all of
# them, from one run: the manifest's base seed is SEED and its per-run seeds
# are runs.csv's seed column.
complete() {
    d=$1
    [ -f "$d/manifest.txt" ] || { echo "  no $d/manifest.txt"; return 1; }
    sed -n 's/^file: //p' "$d/manifest.txt" | sort > "$T/listed"
    ls -A "$d" | sort > "$T/present"
    [ -s "$T/listed" ] || { echo "  $d/manifest.txt lists no files"; return 1; }
    cmp -s "$T/listed" "$T/present" || { echo "  $d: files differ from its manifest:";
        diff "$T/listed" "$T/present" | sed 's/^/    /'; return 1; }
    grep -qx "base_seed: $2" "$d/manifest.txt" || { echo "  $d: base seed is not $2"; return 1; }
    awk '$1=="run"{print $8}' "$d/manifest.txt" > "$T/mseeds"
    awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="seed") c=i; next} {print $c}' "$d/runs.csv" > "$T/rseeds"
    cmp -s "$T/mseeds" "$T/rseeds" || { echo "  $d: runs.csv seeds differ from the manifest's"; return 1; }
}
# only PARENT NAME...: PARENT holds exactly these entries (plus sdsim's lock
# files): no stage folder, no temporary, nothing left behind
only() {
    p=$1; shift
    got=$(ls -A "$p" | grep -v '^\..*\.sdsim-lock$' | sort | tr '\n' ' ')
    want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" = "$want" ] || { echo "  $p holds: $got (expected: $want)"; return 1; }
}
# no_gnuplot: no gnuplot process is working in a folder of this test
no_gnuplot() {
    for pid in $(pgrep -x gnuplot 2>/dev/null); do
        case $(readlink "/proc/$pid/cwd" 2>/dev/null) in
        "$T"/*) echo "  gnuplot $pid is still running in $(readlink "/proc/$pid/cwd")"; return 1 ;;
        esac
    done
}
# no_stage DIR: no stage folder, temporary or kept folder of sdsim in DIR
no_stage() {
    left=$(ls -A "$1" | grep 'sdsim-stage\|sdsim-tmp\|sdsim-kept\|\.tmp$')
    [ -z "$left" ] || { echo "  left in $1: $left"; return 1; }
}
same() { cmp -s "$1" "$2" || { echo "  contents changed:"; diff "$1" "$2" | sed 's/^/    /'; return 1; }; }
# old_or_new DIR OLD_SUMS NEW_SEED: DIR is the complete old set (byte for
# byte) or a complete new set
old_or_new() {
    sums "$1" > "$T/now"
    cmp -s "$T/now" "$2" && return 0
    complete "$1" "$3"
}

# --- foreign files are never touched ------------------------------------------
mkdir "$T/f"
echo "my notes" > "$T/f/notes.txt"
echo "x,y" > "$T/f/mydata.csv"
printf '\211PNG\r\n' > "$T/f/photo.png"
sums "$T/f" > "$T/f.sums"
"$SDSIM" run "$HELLO" $FAST -o "$T/f" 2> "$T/err"
rc=$?
check "a folder of foreign files is refused: exit 73 ($rc)" [ $rc -eq 73 ]
check "the refusal names the file in the way" \
    grep -q "results folder '$T/f' holds '$T/f/mydata.csv', which sdsim did not write; nothing was changed" "$T/err"
sums "$T/f" > "$T/now"
check "foreign files are byte-identical after" same "$T/f.sums" "$T/now"
check "nothing was created beside the folder" only "$T" f f.sums err now nognuplot

# A results folder someone added a file to is refused as a whole.
"$SDSIM" run "$HELLO" $FAST -o "$T/g"
echo "keep me" > "$T/g/notes.txt"
sums "$T/g" > "$T/g.sums"
"$SDSIM" run "$HELLO" $FAST --seed 2 -o "$T/g" 2> "$T/err"
rc=$?
sums "$T/g" > "$T/now"
check "a results folder holding a foreign file is refused (73) and unchanged" \
    sh -c "[ $rc -eq 73 ] && grep -q \"holds '$T/g/notes.txt'\" '$T/err' && cmp -s '$T/g.sums' '$T/now'"
mkdir "$T/g2" && "$SDSIM" run "$HELLO" $FAST -o "$T/g2" && mkdir "$T/g2/sub"
"$SDSIM" run "$HELLO" $FAST -o "$T/g2" 2> "$T/err"
check "a results folder holding a folder is refused (73)" \
    sh -c "[ $? -eq 73 ] && grep -q \"holds '$T/g2/sub'\" '$T/err' && [ -d '$T/g2/sub' ]"

# -o . and the folders above it are never results folders.
mkdir "$T/cwd" && echo "mine" > "$T/cwd/notes.txt" && cp "$T/g/runs.csv" "$T/cwd/runs.csv"
sums "$T/cwd" > "$T/cwd.sums"
(cd "$T/cwd" && "$SDSIM" run "$HELLO" $FAST -o . 2> "$T/err")
rc=$?
sums "$T/cwd" > "$T/now"
check "-o . is refused (73), naming the current folder ($rc)" \
    sh -c "[ $rc -eq 73 ] && grep -q \"'.' is the current folder\" '$T/err'"
check "-o . leaves the current folder byte-identical" same "$T/cwd.sums" "$T/now"
(cd "$T/cwd" && "$SDSIM" run "$HELLO" $FAST -o .. 2> "$T/err")
check "-o .. is refused (73)" [ $? -eq 73 ]
(cd "$T/cwd" && "$SDSIM" run "$HELLO" $FAST -o / 2> "$T/err")
check "-o / is refused (73)" sh -c "[ $? -eq 73 ] && grep -q 'root folder' '$T/err'"
mkdir "$T/home" && echo "profile" > "$T/home/.profile"
HOME="$T/home" "$SDSIM" run "$HELLO" $FAST -o "$T/home" 2> "$T/err"
check "-o \$HOME is refused (73)" sh -c "[ $? -eq 73 ] && grep -q 'home folder' '$T/err' && [ -f '$T/home/.profile' ]"

# -o naming a regular file: the message says so (not "File exists").
echo "a file" > "$T/afile"
"$SDSIM" run "$HELLO" $FAST -o "$T/afile" 2> "$T/err"
rc=$?
check "-o on a regular file: exit 73 and a true message ($rc: $(cat "$T/err"))" \
    sh -c "[ $rc -eq 73 ] && grep -q \"'$T/afile' is a file, not a folder\" '$T/err' && ! grep -q 'File exists' '$T/err'"
check "-o on a regular file leaves it alone" grep -qx "a file" "$T/afile"

# --- a second run replaces the whole set --------------------------------------
"$SDSIM" run tests/e2e/sweep.ini --set sim.repeat=1 -q -o "$T/r/out"
check "first run into a new folder (with its parent) is complete" complete "$T/r/out" 11
"$SDSIM" run "$HELLO" $FAST --seed 7 -o "$T/r/out"
check "a second run replaces the first set completely (seed 7; no sweep files left)" \
    complete "$T/r/out" 7
check "nothing is left beside the folder" only "$T/r" out

# A folder of an older sdsim (manifest without the file list) is replaced when
# it holds only the names sdsim has always written, and refused otherwise.
mkdir "$T/legacy"
for f in runs.csv summary.csv components.csv histograms.csv latency_cdf.dat latency_cdf.gp \
    latency_cdf.png sweep_latency.png sweep_p99.png timeseries.csv; do echo old > "$T/legacy/$f"; done
printf '# sdsim results manifest\nbase_seed: 1\n' > "$T/legacy/manifest.txt"
cp -r "$T/legacy" "$T/legacy2" && echo mine > "$T/legacy2/notes.txt"
sums "$T/legacy2" > "$T/legacy2.sums"
"$SDSIM" run "$HELLO" $FAST --seed 3 -o "$T/legacy"
check "an older sdsim's results folder is replaced completely" complete "$T/legacy" 3
"$SDSIM" run "$HELLO" $FAST -o "$T/legacy2" 2> "$T/err"
rc=$?
sums "$T/legacy2" > "$T/now"
check "an older results folder with a foreign file is refused (73) and unchanged" \
    sh -c "[ $rc -eq 73 ] && grep -q \"holds '$T/legacy2/notes.txt'\" '$T/err' && cmp -s '$T/legacy2.sums' '$T/now'"

# --- the lock: one run at a time per folder -----------------------------------
if command -v flock > /dev/null 2>&1; then
    flock -n "$T/.held.sdsim-lock" sleep 3 &
    holder=$!
    sleep 0.3
    start=$(date +%s)
    "$SDSIM" run "$HELLO" $FAST -o "$T/held" 2> "$T/err"
    rc=$?
    check "a folder being written is refused at once: exit 75 ($rc)" \
        sh -c "[ $rc -eq 75 ] && [ \$((\$(date +%s) - $start)) -le 2 ] && grep -q 'is being written by another sdsim run' '$T/err'"
    check "the refused run wrote nothing" [ ! -e "$T/held" ]
    kill "$holder" 2> /dev/null
    wait "$holder" 2> /dev/null
fi
# Two real runs at once into one folder: one is refused (75) or they run in
# turn; either way the folder is one complete set.
for i in 1 2 3; do
    "$SDSIM" run "$HELLO" -q --set sim.duration=8000s --seed 11 -o "$T/two" 2> "$T/err1" &
    a=$!
    "$SDSIM" run "$HELLO" -q --set sim.duration=8000s --seed 12 -o "$T/two" 2> "$T/err2" &
    b=$!
    wait $a; ra=$?
    wait $b; rb=$?
    case "$ra $rb" in
    "0 75") check "two runs at once ($i): the second is refused, the folder is the first's" complete "$T/two" 11 ;;
    "75 0") check "two runs at once ($i): the first is refused, the folder is the second's" complete "$T/two" 12 ;;
    "0 0") if complete "$T/two" 12 > /dev/null || complete "$T/two" 11; then
            ok "two runs at once ($i): both ran in turn, the folder is one complete set"
        else ko "two runs at once ($i): both ran, the folder is not one complete set"; fi ;;
    *) ko "two runs at once ($i): exit statuses $ra and $rb" ;;
    esac
    check "two runs at once ($i): no stage folder is left" no_stage "$T"
    rm -rf "$T/two"
done

# --- signals: the complete old set or the complete new set ---------------------
# A run slow enough to be caught: 5 replications of 20000 simulated seconds.
SLOW="--set sim.duration=20000s -q"
"$SDSIM" run "$HELLO" $SLOW --seed 1 -o "$T/ref"
check "reference run for the signal tests" complete "$T/ref" 1
# wait_stage PID: until the stage folder of run PID in $T/sig appears, or PID ends
wait_stage() {
    n=0
    while kill -0 "$1" 2> /dev/null && [ $n -lt 2000 ]; do
        ls -A "$T" | grep -q "^\.sig\.sdsim-stage\.$1\$\|^sig\.sdsim-tmp\$" && return 0
        sleep 0.01
        n=$((n + 1))
    done
}
if env --default-signal=INT true 2> /dev/null; then DEFSIG="env --default-signal=INT,TERM,HUP"; else DEFSIG=""; fi
delays="0 0.05 0.1 0.2 0.4"
[ "${SDSIM_E2E_QUICK:-0}" = 1 ] && delays="0 0.1"
for sig in TERM INT HUP; do
    [ $sig = INT ] && [ -z "$DEFSIG" ] && continue # a background job ignores SIGINT
    [ $sig = TERM ] && all=$delays || all="0 0.1"
    for when in simulating $all; do
        rm -rf "$T/sig" && cp -r "$T/ref" "$T/sig"
        sums "$T/sig" > "$T/sig.sums"
        $DEFSIG "$SDSIM" run "$HELLO" $SLOW --seed 2 -o "$T/sig" 2> "$T/err" &
        pid=$!
        if [ $when = simulating ]; then sleep 0.1; else wait_stage $pid; sleep "$when"; fi
        kill -s $sig $pid 2> /dev/null
        wait $pid 2> /dev/null
        rc=$?
        check "SIG$sig while $( [ $when = simulating ] && echo simulating || echo "publishing (+$when s)") (exit $rc): the old set or a complete new one" \
            old_or_new "$T/sig" "$T/sig.sums" 2
        check "SIG$sig at $when: no stage folder left" no_stage "$T"
        check "SIG$sig at $when: no gnuplot left running" no_gnuplot
    done
done
# SIGKILL cannot be caught: gnuplot still dies with sdsim (PR_SET_PDEATHSIG),
# the old set is intact, and the next run removes the stale stage.
rm -rf "$T/sig" && cp -r "$T/ref" "$T/sig"
sums "$T/sig" > "$T/sig.sums"
"$SDSIM" run "$HELLO" $SLOW --seed 2 -o "$T/sig" &
pid=$!
wait_stage $pid
sleep 0.05
kill -KILL $pid 2> /dev/null
wait $pid 2> /dev/null
sleep 0.2
check "SIGKILL: the old set or a complete new one" old_or_new "$T/sig" "$T/sig.sums" 2
check "SIGKILL: no gnuplot left running" no_gnuplot
"$SDSIM" run "$HELLO" $FAST --seed 4 -o "$T/sig"
check "the run after a SIGKILL removes the stale stage and publishes" \
    sh -c "[ $? -eq 0 ] && ! ls -A '$T' | grep -q sdsim-stage"
check "the run after a SIGKILL is complete" complete "$T/sig" 4

# --- injected failures at every step ------------------------------------------
# SDSIM_FAIL_OUTPUT=n fails the n-th file step (open, flush, stage, swap,
# removal) with EIO. Each outcome: exit 73 with the old set intact and a
# message naming EIO, or success with a complete new set (a failed removal
# of the old files is a warning; the next run removes them).
inject() { # inject LABEL ENV...
    label=$1; shift
    n=0
    while [ $n -le 60 ]; do
        rm -rf "$T/inj" && cp -r "$T/ref" "$T/inj"
        sums "$T/inj" > "$T/inj.sums"
        env "$@" SDSIM_FAIL_OUTPUT=$n "$SDSIM" run "$HELLO" $FAST --set sim.repeat=1 --seed 5 \
            -o "$T/inj" 2> "$T/err"
        rc=$?
        if [ $rc -eq 73 ]; then
            sums "$T/inj" > "$T/now"
            check "$label: failure at step $n: exit 73, old set intact" same "$T/inj.sums" "$T/now"
            check "$label: failure at step $n: the message names the cause ($(cat "$T/err"))" \
                sh -c "grep -q 'Input/output error' '$T/err' && ! grep -q 'File exists\|Directory not empty' '$T/err'"
            check "$label: failure at step $n: no stage left" no_stage "$T"
        elif [ $rc -eq 0 ]; then
            check "$label: failure at step $n: exit 0, complete new set" complete "$T/inj" 5
            if [ -s "$T/err" ]; then
                check "$label: failure at step $n: the warning names the cause ($(cat "$T/err"))" \
                    grep -q "could not all be removed .*Input/output error" "$T/err"
                env "$@" "$SDSIM" run "$HELLO" $FAST --set sim.repeat=1 --seed 6 -o "$T/inj"
                check "$label: the next run removes the leftovers" no_stage "$T"
            else
                check "$label: no step left to fail after $n steps; no stage left" no_stage "$T"
                break
            fi
        else
            ko "$label: failure at step $n: exit $rc"
        fi
        n=$((n + 1))
    done
    check "$label: the hook reached a step with nothing to fail ($n)" [ $n -gt 10 -a $n -le 60 ]
}
inject "swap" PATH="$T/nognuplot"
[ "${SDSIM_E2E_QUICK:-0}" = 1 ] || inject "swap with plots" PATH="$PATH"
inject "swap without RENAME_EXCHANGE" PATH="$T/nognuplot" SDSIM_NO_EXCHANGE=1
for n in 0 1 5; do
    rm -rf "$T/new"
    SDSIM_FAIL_OUTPUT=$n "$SDSIM" run "$HELLO" $FAST -o "$T/new" 2> "$T/err"
    check "failure $n into a new folder: exit 73, no folder" sh -c "[ $? -eq 73 ] && [ ! -e '$T/new' ]"
done

# --- sdsim plot redraws in place ------------------------------------------------
if command -v gnuplot > /dev/null 2>&1; then
    rm -rf "$T/pl" && env PATH="$T/nognuplot" "$SDSIM" run "$HELLO" $FAST -o "$T/pl"
    echo mine > "$T/pl/notes.txt"
    "$SDSIM" plot "$T/pl" > /dev/null
    rm "$T/pl/notes.txt"
    check "sdsim plot adds the PNGs and lists them in the manifest" \
        sh -c "[ -s '$T/pl/latency_cdf.png' ] && grep -qx 'file: latency_cdf.png' '$T/pl/manifest.txt'"
    check "after sdsim plot the folder is a complete set" complete "$T/pl" 1
    check "sdsim plot leaves no stage" no_stage "$T"
fi

# --- a mount point (only where mounting is allowed) ---------------------------
mkdir "$T/mnt"
if mount -t tmpfs -o size=1m sdsim-test "$T/mnt" 2> /dev/null; then
    echo "mine" > "$T/mnt/notes.txt"
    "$SDSIM" run "$HELLO" $FAST -o "$T/mnt" 2> "$T/err"
    rc=$?
    check "a mount point is refused (73) with the real cause ($(cat "$T/err"))" \
        sh -c "[ $rc -eq 73 ] && grep -q 'mount point' '$T/err' && [ -f '$T/mnt/notes.txt' ]"
    rm "$T/mnt/notes.txt"
    "$SDSIM" run "$HELLO" $FAST -o "$T/mnt" 2> "$T/err"
    check "an empty mount point is refused too (73), nothing written" \
        sh -c "[ $? -eq 73 ] && grep -q 'mount point' '$T/err' && [ -z \"\$(ls -A '$T/mnt')\" ]"
    umount "$T/mnt"
else
    echo "SKIP: mount point (mount not permitted here)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
