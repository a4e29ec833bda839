#!/bin/sh
# End-to-end test of `make install`: installs into a temporary DESTDIR with
# a PREFIX other than the default, then checks what a user gets: the binary
# runs, every installed scenario validates from where it was installed (so
# the data files they name came along), the man page is there and renders
# without warnings, and the bash completion, sourced in bash, completes
# commands, `sdsim list` topics (kinds and families) and policies.
# Usage: sh tests/install.sh (from the top of the source tree, after make).
set -u
MAKE=${MAKE:-make}
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-install.XXXXXX")
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "PASS: $1"; }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
check() { # check NAME COMMAND...: passes when the command succeeds
    name=$1; shift
    if "$@"; then ok "$name"; else ko "$name"; fi
}

PREFIX=/opt/sdsim-test
ROOT=$T/root$PREFIX
$MAKE --no-print-directory install DESTDIR="$T/root" PREFIX=$PREFIX >"$T/install.log" 2>&1
rc=$?
[ $rc -eq 0 ] || cat "$T/install.log"
check "make install DESTDIR=... PREFIX=$PREFIX succeeds" [ $rc -eq 0 ]
BIN=$ROOT/bin/sdsim
check "the binary is installed and runs" sh -c "'$BIN' --version | grep -q '^sdsim [0-9]'"

# Every scenario validates from the installed folder, run from another one
# (file names in a scenario are relative to the scenario, not to the cwd).
validates_all() {
    n=0
    for f in "$ROOT"/share/sdsim/scenarios/*.ini; do
        [ -e "$f" ] || { echo "  no scenario installed"; return 1; }
        (cd "$T" && "$BIN" validate "$f" >/dev/null 2>"$T/v.err") ||
            { echo "  $f:"; sed 's/^/    /' "$T/v.err"; return 1; }
        n=$((n + 1))
    done
    echo "  $n scenarios validate"
    [ "$n" -eq "$(ls scenarios/*.ini | wc -l)" ]
}
check "every installed scenario validates from the installed location" validates_all
# The learning path's steps are installed beside them, and run from there.
learn_installed() {
    n=$(ls "$ROOT"/share/sdsim/scenarios/learn/*.ini 2>/dev/null | wc -l)
    echo "  $n steps installed"
    [ "$n" -eq "$(ls scenarios/learn/*.ini | wc -l)" ] &&
        (cd "$T" && "$BIN" run "$ROOT/share/sdsim/scenarios/learn/01-littles-law.ini" -q -o "$T/learn1" 2>"$T/learn.err")
}
check "make install installs every step of scenarios/learn/, and the first runs there" learn_installed
# So are the interview drills.
drills_installed() {
    n=$(ls "$ROOT"/share/sdsim/scenarios/drills/*.ini 2>/dev/null | wc -l)
    echo "  $n drills installed"
    [ "$n" -eq "$(ls scenarios/drills/*.ini | wc -l)" ] &&
        (cd "$T" && "$BIN" run "$ROOT/share/sdsim/scenarios/drills/ticketing-occ.ini" -q -o "$T/drill1" 2>"$T/drill.err")
}
check "make install installs every drill of scenarios/drills/, and one runs there" drills_installed
# list learn / drills find them under the installed binary's ../share/sdsim
(cd "$T" && "$BIN" list learn > "$T/llearn" && "$BIN" list drills > "$T/ldrills")
RROOT=$(cd "$ROOT" && pwd -P) # as realpath gives it
check "the installed sdsim lists the installed steps and drills" sh -c \
    "grep -q '^run a step: sdsim run $RROOT/share/sdsim/scenarios/learn/01-littles-law.ini\$' '$T/llearn' &&
     [ \$(grep -c '^  [0-9][0-9]-' '$T/llearn') -eq $(ls scenarios/learn/*.ini | wc -l) ] &&
     grep -q '^run a drill, guessing first: sdsim run $RROOT/share/sdsim/scenarios/drills/' '$T/ldrills'"
# The trace scenario replays a file: it must run, not only validate.
(cd "$T" && "$BIN" run "$ROOT/share/sdsim/scenarios/cache-trace.ini" -q -o "$T/trace" \
    --set sim.repeat=1 2>"$T/trace.err")
check "the installed cache-trace.ini runs with its installed trace" [ $? -eq 0 ]

MAN=$ROOT/share/man/man1/sdsim.1
check "the man page is installed in share/man/man1" test -s "$MAN"
check "the man page names the installed scenarios folder" \
    grep -q "$PREFIX/share/sdsim/scenarios" "$MAN"
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww "$MAN" >/dev/null 2>"$T/man.err"
    cat "$T/man.err"
    check "the man page renders without warnings (groff -man -Tutf8 -ww)" [ ! -s "$T/man.err" ]
    groff -man -Tascii -P -cbou "$MAN" >"$T/man.txt" 2>/dev/null # plain text
    # Every option of `sdsim run --help` is in the man page.
    documents_options() {
        for o in $("$BIN" run --help | grep -o -- '--[a-z-]*' | sort -u) -o -j -q; do
            grep -q -- "$o" "$T/man.txt" || { echo "  $o is not in the man page"; return 1; }
        done
    }
    check "the man page documents every option of sdsim run --help" documents_options
    check "the man page lists every exit status of sdsim --help" sh -c \
        "for c in 64 65 66 69 70 71 73 75; do grep -q \"^ *\$c \" '$T/man.txt' || exit 1; done"
fi

COMP=$ROOT/share/bash-completion/completions/sdsim
check "the bash completion is installed in share/bash-completion/completions" test -s "$COMP"
if command -v bash >/dev/null 2>&1; then
    # completions WORDS...: what the completion offers for the last word.
    cat >"$T/complete.bash" <<EOF
source "$COMP"
export PATH="$ROOT/bin:\$PATH"
COMP_WORDS=("\$@"); COMP_CWORD=\$((\$# - 1)); COMP_LINE="\$*"; COMP_POINT=\${#COMP_LINE}
_sdsim
printf '%s\n' "\${COMPREPLY[@]}"
EOF
    completions() { bash "$T/complete.bash" "$@" 2>/dev/null; }
    check "completion: 'sdsim ru' completes to run" [ "$(completions sdsim ru)" = run ]
    completions sdsim list "" >"$T/list.txt"
    check "completion: 'sdsim list ' offers a kind (service)" grep -qx service "$T/list.txt"
    check "completion: 'sdsim list ' offers a family (balance)" grep -qx balance "$T/list.txt"
    check "completion: 'sdsim run F --pro' offers --progress" \
        sh -c "bash '$T/complete.bash' sdsim run x.ini --pro 2>/dev/null | grep -qx -- --progress"
    check "completion: '--set app.balance=p' offers the policy power_of_two" sh -c \
        "bash '$T/complete.bash' sdsim run x.ini --set app.balance = p 2>/dev/null |
         grep -qx power_of_two"
fi

$MAKE --no-print-directory uninstall DESTDIR="$T/root" PREFIX=$PREFIX >/dev/null 2>&1
check "make uninstall removes every installed file" [ -z "$(find "$T/root" -type f)" ]

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
