#!/bin/sh
# Installs what building and testing sdsim needs, when it is missing, on a
# Debian or Ubuntu machine:
#   pkg-config and check  - to build and run the unit tests (make check)
#   gnuplot-nox           - to draw PNG plots (optional: without it sdsim
#                           still writes the .gp scripts)
#   clang, libclang-rt-N-dev - clang and its libFuzzer runtime, for the
#                           fuzzing pass of make check (optional: without
#                           them make check skips it and says so)
#   parallel              - GNU parallel, for the test of the README's recipe
#                           that runs shards side by side and merges them
#                           (optional: without it that test is skipped)
# It uses apt-get as root, or sudo when that works without a password;
# otherwise it prints the exact command to run and fails.
# Usage: sh tests/deps.sh [--plots-only]
set -u

need=""
optional=""
if [ "${1:-}" != "--plots-only" ]; then
    command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
    if ! pkg-config --exists check 2>/dev/null; then need="$need check"; fi
fi
command -v gnuplot >/dev/null 2>&1 || optional="gnuplot-nox"
recipes=""
if [ "${1:-}" != "--plots-only" ]; then
    command -v parallel >/dev/null 2>&1 || recipes="parallel"
fi

# libFuzzer: clang links -fsanitize=fuzzer only with the compiler-rt package
# of its own version (Debian: libclang-rt-14-dev for clang 14).
fuzz=""
have_libfuzzer() {
    d=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-deps.XXXXXX") || return 1
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *p, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *p, unsigned long n) { (void)p; (void)n; return 0; }\n' > "$d/p.c"
    clang -fsanitize=fuzzer,address -o "$d/p" "$d/p.c" >/dev/null 2>&1
    r=$?
    rm -rf "$d"
    return $r
}
clang_rt() { # the compiler-rt package of the installed clang
    v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -1)
    echo "libclang-rt-${v:-14}-dev"
}
if [ "${1:-}" != "--plots-only" ] && ! have_libfuzzer; then
    command -v clang >/dev/null 2>&1 || fuzz="clang"
    [ -n "$fuzz" ] || fuzz=$(clang_rt)
fi

[ -z "$need$optional$fuzz$recipes" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    if [ -n "$need" ]; then
        echo "sdsim: missing build dependencies:$need" >&2
        echo "sdsim: install them with:  sudo apt-get install -y$need $optional" >&2
        exit 1
    fi
    [ -n "$optional" ] && echo "sdsim: gnuplot is not installed: plots will be written as .gp scripts only" >&2
    [ -n "$optional" ] && echo "sdsim: (to draw PNGs: sudo apt-get install -y gnuplot-nox)" >&2
    [ -n "$fuzz" ] && echo "sdsim: clang with libFuzzer is missing: make check will skip fuzzing (sudo apt-get install -y clang libclang-rt-14-dev)" >&2
    [ -n "$recipes" ] && echo "sdsim: GNU parallel is missing: make check will skip the sharding recipe test (sudo apt-get install -y parallel)" >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "sdsim: missing:$need $optional, and this is not a Debian-like system (no apt-get);" >&2
    echo "sdsim: install Check (https://libcheck.github.io/check/), pkg-config and gnuplot" >&2
    [ -n "$need" ] && exit 1
    exit 0
fi

install() {
    echo "sdsim: installing$1 with apt-get (needed by make check / make run)"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $1 \
        >/dev/null 2>&1 && return 0
    echo "sdsim: apt-get install failed; refreshing the package lists (apt-get update) and retrying"
    $sudo apt-get update -qq >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $1
}

if [ -n "$need" ]; then
    install "$need" || { echo "sdsim: could not install$need" >&2; exit 1; }
fi
if [ -n "$optional" ]; then
    install " $optional" || echo "sdsim: warning: gnuplot could not be installed; plots stay as .gp scripts" >&2
fi
if [ "$fuzz" = clang ]; then # then the runtime of the clang that came
    install " clang" && { have_libfuzzer || install " $(clang_rt)"; }
elif [ -n "$fuzz" ]; then
    install " $fuzz"
fi
if [ -n "$recipes" ]; then
    install " $recipes" || echo "sdsim: warning: GNU parallel could not be installed; make check skips the sharding recipe test" >&2
fi
if [ -n "$fuzz" ] && ! have_libfuzzer; then
    echo "sdsim: warning: clang with libFuzzer could not be installed; make check skips fuzzing" >&2
fi
exit 0
