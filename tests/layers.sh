#!/bin/sh
# The layers include downwards only: models/ and output/ may include sim/,
# output/ may include models/, but the engine (sim/) includes neither
# models/ nor output/, and models/ never includes output/. Prints every
# include that breaks this (file:line: the line) and exits 1 if any does.
#
# The one exception: the program itself, sim/main.c (the command line) and
# sim/runner.[ch] (builds a model, runs it, hands results to the writers),
# sit on top of all three layers. They live in sim/ for history; they are
# listed here by name so that no other file of sim/ can join them unnoticed.
# Usage: sh tests/layers.sh [ROOT]   (ROOT: the source tree, default .)
#        sh tests/layers.sh --selftest (shows the check fails on a bad tree)
set -u
if [ "${1:-}" = "--selftest" ]; then
    T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-layers.XXXXXX")
    trap 'rm -rf "$T"' EXIT
    mkdir -p "$T/sim" "$T/models/sub" "$T/output"
    printf '#include "sim/sim.h"\n' > "$T/models/sub/ok.c"
    printf '#include "models/kind.h"\n' > "$T/output/ok.c"
    sh "$0" "$T" > /dev/null || { echo "layers selftest: a good tree was refused" >&2; exit 1; }
    for bad in 'sim/a.c:#include "models/kind.h"' 'sim/b.h: #  include "output/report.h"' \
               'models/sub/c.c:#include "output/report.h"'; do
        f=$T/${bad%%:*}
        printf '%s\n' "${bad#*:}" > "$f"
        if sh "$0" "$T" > /dev/null 2>&1; then
            echo "layers selftest: missed ${bad#*:} in ${bad%%:*}" >&2; exit 1
        fi
        rm "$f"
    done
    echo "layers selftest: ok"
    exit 0
fi
cd "${1:-.}" || exit 2
TOP="sim/main.c sim/runner.c sim/runner.h sim/find.c sim/find.h sim/quiz.c sim/quiz.h"
bad=0
check() { # check DIR FORBIDDEN_REGEX
    for f in $(find "$1" -name '*.[ch]' | sort); do
        case " $TOP " in *" $f "*) continue ;; esac
        if grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"($2)/" "$f" | sed "s|^|$f:|" |
           grep .; then
            bad=1
        fi
    done
}
check sim 'models|output'
check models 'output'
if [ "$bad" -ne 0 ]; then
    echo "layers: the includes above go upwards (sim/ must not include models/ or output/," \
         "models/ must not include output/)" >&2
    exit 1
fi
echo "layers: ok (sim <- models <- output; top: $TOP)"
