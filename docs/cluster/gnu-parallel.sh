#!/usr/bin/env bash
# A sweep over several machines with GNU parallel (over ssh), then a merge.
#
#   docs/cluster/gnu-parallel.sh host1,host2,host3
#
# Each machine needs rpasim and the scenarios at the same path, and the
# output directories on a shared file system (or copied back before the
# merge). Shards are independent: a failed one can be rerun alone.
set -euo pipefail
HOSTS=${1:?"usage: $0 host1,host2,..."}
SHARDS=12
seq 1 "$SHARDS" | parallel --sshlogin "$HOSTS" --halt now,fail=1 \
  "cd $PWD && rpasim sweep scenarios/sweeps/month-end-capacity.toml --replications 20 \
     --shard {}/$SHARDS --out reports/sweep-shard-{} --resume --quiet"
rpasim merge $(seq -f "reports/sweep-shard-%g" 1 "$SHARDS") --out reports/sweep
