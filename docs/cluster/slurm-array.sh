#!/usr/bin/env bash
# A sweep as a Slurm array job: one task per shard, then one merge.
#
#   sbatch --array=1-8 docs/cluster/slurm-array.sh      # the 8 shards
#   sbatch --dependency=afterok:<array job id> --wrap \
#     "rpasim merge reports/sweep-shard-{1..8} --out reports/sweep"
#
# Every shard writes its own directory; `rpasim merge` checks that they are
# shards of the same sweep and that every run is present, and writes files
# byte-identical to an unsharded sweep. A shard that was cut off can be
# rerun with --resume: finished runs are kept.
#SBATCH --job-name=rpasim-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
set -euo pipefail
SHARDS=${SLURM_ARRAY_TASK_COUNT:-8}
rpasim sweep scenarios/sweeps/month-end-capacity.toml \
  --replications 20 \
  --shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" \
  --jobs "${SLURM_CPUS_PER_TASK:-4}" \
  --out "reports/sweep-shard-${SLURM_ARRAY_TASK_ID}" \
  --resume --quiet
