#!/bin/sh
# A sweep as a Slurm array job: one task per shard, then one merge.
#
#   sbatch --parsable --array=1-8 docs/cluster/slurm-array.sh      # prints the job id
#   sbatch --dependency=afterok:<job id> --wrap \
#     'rpasim merge reports/sweep-shard-* --out reports/sweep'
#
# `--shard auto` takes the shard from Slurm's SLURM_ARRAY_TASK_ID,
# SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (and _STEP), so the array
# size is said once, in --array. The merge is run by /bin/sh (that is what
# `sbatch --wrap` uses): a glob, which any POSIX shell expands, not bash's
# {1..8}. Start from a reports/ without older sweep-shard-* directories.
#
# Every shard writes its own directory; `rpasim merge` checks that they are
# shards of the same sweep and that every run is present, and writes files
# byte-identical to an unsharded sweep. A shard that was cut off can be
# rerun with --resume: finished runs are kept. Submit the whole array
# again (its finished shards end at once): a task submitted on its own,
# --array=3, is shard 1/1 for --shard auto, and its directory, which holds
# shard 3, is refused. The array must be a range, not a list (1,3,5).
#
# RPASIM, SWEEP, REPLICATIONS and REPORTS may be set when submitting (sbatch
# passes the environment on); tests/cluster/slurm.sh runs this very file.
#SBATCH --job-name=rpasim-sweep
#SBATCH --cpus-per-task=4
#SBATCH --time=02:00:00
set -eu
"${RPASIM:-rpasim}" sweep "${SWEEP:-scenarios/sweeps/month-end-capacity.toml}" \
  --replications "${REPLICATIONS:-20}" \
  --shard auto \
  --jobs "${SLURM_CPUS_PER_TASK:-4}" \
  --out "${REPORTS:-reports}/sweep-shard-${SLURM_ARRAY_TASK_ID}" \
  --resume --quiet
