#!/usr/bin/env bash
# Start a single-node Slurm cluster on loopback, for the orcapod-executor-slurm tests.
#
# Usage: scripts/slurm-up.sh DIR      then: export SLURM_CONF=DIR/slurm.conf
#        scripts/slurm-down.sh DIR    stops it again.
#
# Runs slurmctld and slurmd as root (SlurmUser=root) with munge authentication; state, spool,
# logs and the generated slurm.conf live under DIR, nothing is written to /etc/slurm. The node
# advertises ORCAPOD_SLURM_CPUS (default 8) CPUs whatever the machine has
# (SlurmdParameters=config_overrides), so that many short array tasks run side by side.
# Installs slurmctld, slurmd, slurm-client and munge with apt-get when they are missing.
set -euo pipefail
D=${1:?usage: slurm-up.sh DIR}
mkdir -p "$D"
D=$(cd "$D" && pwd)
H=$(hostname -s)
NCPU=${ORCAPOD_SLURM_CPUS:-8}

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge
fi

mkdir -p "$D/state" "$D/spool" "$D/log"
cat > "$D/slurm.conf" <<CONF
ClusterName=orcapod-test
SlurmctldHost=$H(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MaxArraySize=10001
MaxJobCount=100000
MinJobAge=60
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=$H NodeAddr=127.0.0.1 CPUs=$NCPU RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf

if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge && chown munge:munge /run/munge
if ! { [ -S /run/munge/munge.socket.2 ] && munge -n >/dev/null 2>&1; }; then
    runuser -u munge -- /usr/sbin/munged
    touch "$D/munged.started"   # slurm-down.sh stops only a munged this script started
fi

# Only one cluster can listen on Slurm's ports: refuse to start a second one (whose daemons
# would die at once while the readiness check below talked to the old cluster).
if timeout 10 scontrol ping 2>/dev/null | grep -q 'is UP'; then
    echo "a Slurm controller is already running on this host; stop it first" \
        "(scripts/slurm-down.sh ITS_DIR) or use it (export SLURM_CONF=ITS_DIR/slurm.conf)" >&2
    exit 1
fi

slurmctld
slurmd
running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
for _ in $(seq 150); do
    if running "$D/slurmctld.pid" && running "$D/slurmd.pid" \
        && srun -N1 -n1 --quiet true 2>/dev/null; then
        echo "slurm is up: export SLURM_CONF=$D/slurm.conf"
        exit 0
    fi
    sleep 0.2
done
echo "slurm did not come up" >&2
for f in "$D"/log/*.log; do echo "== $f" >&2; tail -20 "$f" >&2; done
exit 1
