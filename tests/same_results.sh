#!/bin/sh
# same_results.sh OLD_SDSIM [SCENARIO.ini]...: runs each scenario (default:
# scenarios/*.ini) with the sdsim binary OLD_SDSIM and with ./sdsim, and
# compares every CSV file the two write, byte for byte, after leaving out
# of both runs.csv files the columns named in IGNORE (columns that ./sdsim
# added). Prints one line per scenario; exits 1 when any differs.
# Example: sh tests/same_results.sh /tmp/main/sdsim
set -eu
IGNORE=${IGNORE:-"stopped stopped_at_s"}
old=$1
shift
[ $# -gt 0 ] || set -- scenarios/*.ini
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# drop FILE: FILE without the columns named in IGNORE. Fields are split on
# commas outside double quotes (sweep values such as "exponential(base=5ms,
# cap=2s)" are quoted) and written back as they were.
drop() {
    awk -v ig="$IGNORE" 'BEGIN{n=split(ig, w, " "); for(i=1;i<=n;i++) skip[w[i]]=1}
        { nf=0; f=""; q=0
          for(i=1;i<=length($0);i++){ c=substr($0,i,1)
              if(c=="\"") q=!q
              if(c=="," && !q){ fld[++nf]=f; f="" } else f=f c }
          fld[++nf]=f
          if(NR==1) for(i=1;i<=nf;i++) keep[i]=!(fld[i] in skip)
          s=""; first=1
          for(i=1;i<=nf;i++) if(keep[i]){ s=s (first?"":",") fld[i]; first=0 }
          print s }' "$1"
}
fail=0
for sc in "$@"; do
    name=$(basename "$sc" .ini)
    "$old" run "$sc" -q -j2 -o "$tmp/old/$name" 2>"$tmp/old.err" || { echo "$name: old binary failed"; fail=1; continue; }
    ./sdsim run "$sc" -q -j2 -o "$tmp/new/$name" 2>"$tmp/new.err" || { echo "$name: new binary failed"; fail=1; continue; }
    verdict="same"
    for f in "$tmp/old/$name"/*.csv; do
        b=$(basename "$f")
        if [ "$b" = runs.csv ]; then
            drop "$f" >"$tmp/a"; drop "$tmp/new/$name/$b" >"$tmp/b"
        else
            cp "$f" "$tmp/a"; cp "$tmp/new/$name/$b" "$tmp/b" 2>/dev/null || : >"$tmp/b"
        fi
        cmp -s "$tmp/a" "$tmp/b" || { verdict="DIFFERS in $b"; fail=1; }
    done
    n_old=$(ls "$tmp/old/$name"/*.csv | wc -l); n_new=$(ls "$tmp/new/$name"/*.csv | wc -l)
    [ "$n_old" = "$n_new" ] || { verdict="$verdict; $n_old vs $n_new CSV files"; fail=1; }
    stops=$(grep -c 'max_in_flight' "$tmp/new.err" || true)
    echo "$name: $verdict ($n_new CSV files; runs stopped at max_in_flight: $stops)"
done
exit $fail
