#!/bin/sh
# Coverage of sdsim's 95% confidence intervals (make validate).
# Runs scenarios/validation/mm1-coverage.ini (M/M/1 at rho 0.8, 5
# replications) with N independent base seeds and counts how often the
# interval that summary.csv gives for the mean and for the p99 of the
# latency holds the theory value (E[T] = 5 s, p99 = ln(100)/0.2 s). A 95%
# method should cover 95% of the time: the check passes when both counts
# are between 93% and 97%. With N = 1000 the count's standard deviation is
# 0.69%, so a correct method leaves that band with probability under 0.4%.
# Usage: sh tests/coverage.sh [SDSIM] [N] [JOBS]
set -u
SDSIM=${1:-./sdsim}
N=${2:-1000}
JOBS=${3:-2}
T=$(mktemp -d "${TMPDIR:-/tmp}/sdsim-cov.XXXXXX")
trap 'rm -rf "$T"' EXIT
# Plots are not needed: run with a PATH where gnuplot cannot be found.
seq 1 "$N" | xargs -P "$JOBS" -I{} env PATH=/nonexistent "$SDSIM" run \
    scenarios/validation/mm1-coverage.ini --seed {} -q -o "$T/{}" ||
    { echo "coverage: a run failed"; exit 1; }
for s in $(seq 1 "$N"); do
    grep -E ',latency_(mean|p99)_ms,' "$T/$s/summary.csv"
done | awk -F, -v n="$N" '
    { v = $(NF-3); lo = $(NF-2); hi = $(NF-1); m = $(NF-4)
      truth = m == "latency_mean_ms" ? 5000 : 1000 * log(100) / 0.2
      seen[m]++; if (lo + 0 <= truth && truth <= hi + 0) cov[m]++
      sum[m] += v }
    END {
      bad = 0
      for (m in seen) {
        c = cov[m] / seen[m]
        ok = seen[m] == n && c >= 0.93 && c <= 0.97
        printf "%-16s %4d of %4d intervals hold the theory value (%.1f%%; mean estimate %.1f ms, theory %.1f ms)  %s\n",
            m, cov[m], seen[m], 100 * c, sum[m] / seen[m],
            m == "latency_mean_ms" ? 5000 : 1000 * log(100) / 0.2, ok ? "PASS" : "FAIL"
        if (!ok) bad++
      }
      exit bad > 0 || length(seen) != 2 }'
