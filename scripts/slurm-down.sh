#!/usr/bin/env bash
# Stops what scripts/slurm-up.sh DIR started, by pid file.
#   scripts/slurm-down.sh DIR [--ctld-only]
set -uo pipefail
dir=${1:?usage: slurm-down.sh DIR [--ctld-only]}
stop() {
  local file=$1
  [ -s "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
  # Daemons become zombies here (PID 1 does not reap): a Z counts as gone.
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
    sleep 0.05
  done
  rm -f "$file"
}
stop "$dir/slurmctld.pid"
[ "${2:-}" = --ctld-only ] && exit 0
stop "$dir/slurmd.pid"
