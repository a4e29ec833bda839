#!/bin/bash
# Runs a scenario's sweep as a Slurm job array of N shards, then merges them.
# On the login node, with sdsim on the PATH (make install):
#
#   bash docs/slurm-sweep.sh scenarios/cache-size.ini 8
#
# submits the array (this script again, once per shard) and the merge.
# Each array task runs `sdsim run FILE --shard K/N` into parts/K (K is
# $SLURM_ARRAY_TASK_ID); a merge job that waits for the whole array
# (--dependency=afterok) writes results/NAME, byte for byte what one
# `sdsim run FILE` would have written. The shards share nothing but the
# parts folder, so it must be on a file system every node sees.
#
# Pick N from `sdsim validate FILE`: it prints the number of runs and the
# simulated events. N at most the number of runs (a shard of no runs is
# refused), and each shard should hold enough events to be worth a job
# (sdsim simulates a few million events a second per core: a shard of 10^9
# events takes minutes).
#SBATCH --job-name=sdsim-shard
#SBATCH --cpus-per-task=2
#SBATCH --output=parts/slurm-%A_%a.out
set -euo pipefail

if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
    # Run by hand (bash docs/slurm-sweep.sh FILE N): submit the array and
    # the merge that depends on it, then stop.
    file=${1:?usage: bash docs/slurm-sweep.sh FILE N}
    n=${2:?usage: bash docs/slurm-sweep.sh FILE N}
    mkdir -p parts
    array=$(sbatch --parsable --array=0-$((n - 1)) "$0" "$file" "$n")
    name=$(basename "$file" .ini)
    dirs=$(seq -f "parts/%g" 0 $((n - 1)) | tr '\n' ' ')
    sbatch --dependency=afterok:"$array" --job-name=sdsim-merge \
        --wrap="sdsim merge -q -o results/$name $dirs"
    exit 0
fi

file=$1
n=$2
k=$SLURM_ARRAY_TASK_ID
sdsim run "$file" --shard "$k/$n" -o "parts/$k" -q -j "${SLURM_CPUS_PER_TASK:-1}"
