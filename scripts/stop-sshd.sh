#!/usr/bin/env bash
# Stops the sshd that scripts/start-sshd.sh DIR started (by its pid file).
set -uo pipefail
dir=${1:?usage: stop-sshd.sh DIR}
[ -s "$dir/sshd.pid" ] || exit 0
pid=$(cat "$dir/sshd.pid")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 50); do
  kill -0 "$pid" 2>/dev/null || break
  [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
  sleep 0.1
done
rm -f "$dir/sshd.pid"
