#!/bin/sh
# The fuzzing part of `make check`:
#  1. every file of tests/fuzz/corpus/ through `sdsim validate` and
#     `sdsim-san validate`: each must exit 0, 64, 65 or 66 within
#     FUZZ_FILE_TIMEOUT seconds (never a signal, 70, a timeout or a sanitizer
#     report);
#  2. a short libFuzzer pass (FUZZ_CHECK_TIME seconds) from the committed
#     corpus and tests/bad/*.ini: any crash fails, its input is kept in
#     obj-fuzz/crashes/.
# Step 2 needs clang with libFuzzer; without them it is skipped with a
# message (tests/deps.sh tries to install them).
# Usage: sh tests/fuzz/check.sh ./sdsim ./sdsim-san
set -u
SDSIM=${1:-./sdsim}
SDSIM_SAN=${2:-./sdsim-san}
MAKE=${MAKE:-make}
FUZZ_CC=${FUZZ_CC:-clang}
FILE_TIMEOUT=${FUZZ_FILE_TIMEOUT:-20}
CHECK_TIME=${FUZZ_CHECK_TIME:-20}
fail=0
n=0

for f in tests/fuzz/corpus/*; do
    [ -f "$f" ] || continue
    for bin in "$SDSIM" "$SDSIM_SAN"; do
        timeout "$FILE_TIMEOUT" "$bin" validate "$f" >/dev/null 2>obj-fuzz-check.err
        rc=$?
        case $rc in
            0 | 64 | 65 | 66)
                if grep -q -e 'Sanitizer' -e 'runtime error' obj-fuzz-check.err; then
                    echo "FAIL: $bin validate $f: sanitizer report"; head -5 obj-fuzz-check.err
                    fail=1
                fi ;;
            124) echo "FAIL: $bin validate $f: no answer within ${FILE_TIMEOUT}s"; fail=1 ;;
            *) echo "FAIL: $bin validate $f: exit $rc"; head -5 obj-fuzz-check.err; fail=1 ;;
        esac
    done
    n=$((n + 1))
done
rm -f obj-fuzz-check.err
[ $fail -eq 0 ] && echo "PASS: $n corpus files through sdsim validate and sdsim-san validate"

probe=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-fuzzprobe.XXXXXX")
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$probe/p.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address -o "$probe/p" "$probe/p.c" >/dev/null 2>&1; then
    rm -rf "$probe"
    echo "SKIP: no fuzzing pass: '$FUZZ_CC' with libFuzzer is not available"
    echo "      (Debian: apt-get install clang libclang-rt-14-dev; make check installs them when it can)"
    exit $fail
fi
rm -rf "$probe"

"$MAKE" --no-print-directory -s -j2 obj-fuzz/fuzz_scenario tests/fuzz/scenario.dict || exit 1
rm -rf obj-fuzz/check-seeds obj-fuzz/check-corpus
mkdir -p obj-fuzz/check-seeds obj-fuzz/check-corpus obj-fuzz/crashes
for f in tests/bad/*.ini tests/fuzz/corpus/*; do
    [ -f "$f" ] && cp "$f" "obj-fuzz/check-seeds/$(echo "$f" | tr / _)"
done
before=$(ls obj-fuzz/crashes | wc -l)
# A fixed seed (FUZZ_SEED): every make check tries the same mutations first,
# so a crash it reports is a regression, not luck; `make fuzz` explores.
./obj-fuzz/fuzz_scenario -seed="${FUZZ_SEED:-1}" -dict=tests/fuzz/scenario.dict -max_len=4096 -timeout=30 \
    -rss_limit_mb=2048 -artifact_prefix=obj-fuzz/crashes/ -max_total_time="$CHECK_TIME" \
    -print_final_stats=1 obj-fuzz/check-corpus obj-fuzz/check-seeds > obj-fuzz/check.log 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' obj-fuzz/check.log)
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' obj-fuzz/check.log)
if [ $rc -ne 0 ] || [ "$(ls obj-fuzz/crashes | wc -l)" -ne "$before" ]; then
    echo "FAIL: the fuzzer found a crash (exit $rc); log obj-fuzz/check.log, input in obj-fuzz/crashes/:"
    grep -E 'ERROR|SUMMARY|#[0-9]+ 0x|Test unit written' obj-fuzz/check.log | head -20
    exit 1
fi
echo "PASS: ${CHECK_TIME}s of fuzzing, ${execs:-?} inputs (${speed:-?}/s), no crash"
exit $fail
