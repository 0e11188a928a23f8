#!/usr/bin/env bash
# Stop the cluster started by scripts/slurm-up.sh DIR (by the PIDs in its pid files).
# munged is stopped too if slurm-up.sh started it (or with --munge).
set -uo pipefail
D=${1:?usage: slurm-down.sh DIR [--munge]}
for f in "$D/slurmd.pid" "$D/slurmctld.pid"; do
    if [ -s "$f" ]; then
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
done
if { [ -e "$D/munged.started" ] || [ "${2:-}" = "--munge" ]; } && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null
    rm -f "$D/munged.started"
fi
true
