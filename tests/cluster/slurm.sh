#!/bin/sh
# The documented Slurm array job (docs/cluster/slurm-array.sh), run on a
# real Slurm on this machine: installs Debian's slurm-wlm and munge when it
# may (root with apt; otherwise it says why it skips and exits 0), starts
# munged, slurmctld and slurmd on localhost with a minimal configuration,
# submits the array job of a small sweep and the documented merge, waits,
# and checks the merged files are byte-identical to the same sweep run in
# one process; then that each task of a list array (--array=1,3,5) is
# refused. Stops the daemons it started.
#
#   tests/cluster/slurm.sh          # .ci/run runs it when CI=true
set -eu
cd "$(dirname "$0")/../.."
REPO=$(pwd)
SHARDS=4

skip() {
  echo "slurm test skipped: $*"
  exit 0
}

if ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || skip "Slurm is not installed and installing it needs root"
  command -v apt-get >/dev/null 2>&1 || skip "Slurm is not installed and there is no apt-get"
  echo "slurm test: installing slurm-wlm and munge (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q slurm-wlm munge >/dev/null 2>&1; } ||
    skip "apt-get could not install slurm-wlm and munge"
fi
[ "$(id -u)" = 0 ] || skip "starting slurmd needs root"

cargo build --release --quiet
RPASIM="$REPO/target/release/rpasim"
WORK=$(mktemp -d /tmp/rpasim-slurm.XXXXXX)
STARTED=""
stop() {
  for pid in $STARTED; do kill "$pid" 2>/dev/null || true; done
  # Wait until they are gone (at most 10 s), so that nothing of ours outlives us.
  for pid in $STARTED; do
    n=0
    while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
  done
  rm -rf "$WORK"
}
trap stop EXIT INT TERM

# munge: a key, and our own daemon on our own socket.
mkdir -p "$WORK/munge"
if [ ! -s /etc/munge/munge.key ]; then
  [ -x /usr/sbin/mungekey ] && /usr/sbin/mungekey --create --keyfile "$WORK/munge/munge.key" ||
    dd if=/dev/urandom of="$WORK/munge/munge.key" bs=1024 count=1 2>/dev/null
else
  cp /etc/munge/munge.key "$WORK/munge/munge.key"
fi
chmod 700 "$WORK/munge"
chmod 400 "$WORK/munge/munge.key"
SOCKET="$WORK/munge/munge.socket"
# Daemons that cannot start on this machine are a skip, said loudly; a
# wrong result once they run is a failure.
munged --force --key-file="$WORK/munge/munge.key" --socket="$SOCKET" \
  --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/munge/munged.log" \
  --seed-file="$WORK/munge/munge.seed" || skip "munged did not start on this machine"
STARTED="$(cat "$WORK/munge/munged.pid")"

HOST=$(hostname -s 2>/dev/null || uname -n)
mkdir -p "$WORK/state" "$WORK/spool"
cat >"$WORK/slurm.conf" <<CONF
ClusterName=rpasim
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$SOCKET
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$WORK/slurm.conf"
slurmctld -f "$SLURM_CONF" || skip "slurmctld did not start on this machine"
slurmd -f "$SLURM_CONF" || skip "slurmd did not start on this machine"
sleep 2
STARTED="$STARTED $(cat "$WORK/slurmctld.pid" "$WORK/slurmd.pid" 2>/dev/null || true)"

fail() {
  echo "slurm test FAILED: $*"
  for log in slurmctld.log slurmd.log; do
    echo "--- $log"; tail -n 20 "$WORK/$log" 2>/dev/null || true
  done
  exit 1
}

# Wait for the node to be idle.
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
  i=$((i + 1))
  if [ "$i" -ge 30 ]; then
    tail -n 20 "$WORK/slurmctld.log" "$WORK/slurmd.log" 2>/dev/null || true
    skip "the Slurm node did not come up on this machine in 30 s (logs above)"
  fi
  sleep 1
done

# The documented array job and merge, on a small sweep.
REPORTS="$WORK/reports"
mkdir -p "$REPORTS"
export RPASIM REPORTS REPLICATIONS=2
JOB=$(sbatch --parsable --array=1-$SHARDS --cpus-per-task=1 --chdir="$REPO" \
  --output="$WORK/shard-%a.out" docs/cluster/slurm-array.sh)
MERGE=$(sbatch --parsable --dependency=afterok:"$JOB" --chdir="$REPO" \
  --output="$WORK/merge.out" \
  --wrap "$RPASIM merge $REPORTS/sweep-shard-* --out $REPORTS/sweep")
i=0
while [ -n "$(squeue -h -j "$JOB,$MERGE" 2>/dev/null)" ]; do
  i=$((i + 1)); [ "$i" -lt 600 ] || fail "the jobs did not finish in 10 minutes"
  sleep 1
done
[ -f "$REPORTS/sweep/sweep.csv" ] || {
  cat "$WORK"/shard-*.out "$WORK/merge.out" 2>/dev/null || true
  fail "the merge wrote no sweep.csv"
}

# The same sweep in one process: the same bytes.
"$RPASIM" sweep scenarios/sweeps/month-end-capacity.toml --replications 2 \
  --out "$WORK/single" --quiet
# results.log is the one-process sweep's own log of runs, not an output.
diff -r -x results.log "$REPORTS/sweep" "$WORK/single" >"$WORK/diff" ||
  { head -n 20 "$WORK/diff"; fail "the merged sweep differs from the one-process sweep"; }
# A list array's ids do not tell the shards: every task refuses, and
# nothing is written.
LISTED="$WORK/listed"
mkdir -p "$LISTED"
LIST=$(REPORTS="$LISTED" sbatch --parsable --array=1,3,5 --cpus-per-task=1 --chdir="$REPO" \
  --output="$WORK/listed-%a.out" docs/cluster/slurm-array.sh)
i=0
while [ -n "$(squeue -h -j "$LIST" 2>/dev/null)" ]; do
  i=$((i + 1)); [ "$i" -lt 120 ] || fail "the list array did not finish in 2 minutes"
  sleep 1
done
for task in 1 3 5; do
  grep -q "not one range from 1 to 5" "$WORK/listed-$task.out" 2>/dev/null ||
    { cat "$WORK/listed-$task.out" 2>/dev/null || true; fail "list array task $task was not refused"; }
done
[ -z "$(ls -A "$LISTED")" ] || fail "a refused list array task wrote $(ls "$LISTED")"
echo "slurm test passed: $SHARDS array tasks on Slurm $(sinfo -V | cut -d' ' -f2), merged, identical to one process; a list array refused in each of its tasks"
