#!/usr/bin/env bash
# Stops the sshd that scripts/start-sshd.sh DIR started (by its pid file).
#   scripts/stop-sshd.sh DIR [--drop]
# The connections it serves stay, as when an sshd is restarted; with --drop they
# go too (each is a child process of it), as when the host or the network goes.
set -uo pipefail
dir=${1:?usage: stop-sshd.sh DIR [--drop]}
[ -s "$dir/sshd.pid" ] || exit 0
pid=$(cat "$dir/sshd.pid")
[ "${2:-}" = --drop ] && pkill -KILL -P "$pid" 2>/dev/null
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 50); do
  kill -0 "$pid" 2>/dev/null || break
  [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
  sleep 0.1
done
rm -f "$dir/sshd.pid"
