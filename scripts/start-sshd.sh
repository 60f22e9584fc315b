#!/usr/bin/env bash
# Starts a private sshd on 127.0.0.1 for the mount tests (sshfs, rclone sftp).
#   scripts/start-sshd.sh DIR [PORT]
# SSHD_EXTRA, if set, is appended to its sshd_config (a test's own limits).
# DIR receives: host key, client key (id_ed25519), authorized_keys, known_hosts,
# sshd_config, sshd.pid, sshd.log, and `port` (the port it listens on).
# Stop it with scripts/stop-sshd.sh DIR.
set -euo pipefail
dir=${1:?usage: start-sshd.sh DIR [PORT]}
port=${2:-0}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ "$port" = 0 ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mkdir -p -m755 /run/sshd
[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
${SSHD_EXTRA:-}
CONF
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 50); do
  [ -s "$dir/sshd.pid" ] && break
  sleep 0.1
done
[ -s "$dir/sshd.pid" ] || { echo "sshd did not start:" >&2; cat "$dir/sshd.log" >&2; exit 1; }
echo "$port" >"$dir/port"
echo "$port"
