#!/usr/bin/env bash
# Starts a one-node Slurm (slurmctld + slurmd) on 127.0.0.1 for the cluster tests.
#   scripts/slurm-up.sh DIR [CPUS]
# DIR receives slurm.conf, state/spool/log/pid files and jobcomp.txt. Clients need
# SLURM_CONF=DIR/slurm.conf (printed on stdout). No munge, no cgroups, no database:
# auth/none, proctrack/linuxproc, sacct through jobcomp/filetxt (`sacct -c`).
# Stop with scripts/slurm-down.sh DIR; restart the controller alone with
# scripts/slurm-up.sh DIR --restart-ctld.
set -euo pipefail
dir=${1:?usage: slurm-up.sh DIR [CPUS|--restart-ctld]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_pid() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }

if [ "${2:-}" = --restart-ctld ]; then
  # Keeps its saved state: jobs survive a controller restart.
  /usr/sbin/slurmctld -f "$conf"
  wait_pid "$dir/slurmctld.pid"
  echo "$conf"
  exit 0
fi

cpus=${2:-$(nproc)}
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
cat >"$conf" <<CONF
ClusterName=warren
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
DefMemPerCPU=256
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
MaxArraySize=100001
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$(( $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) / 2 )) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
/usr/sbin/slurmctld -f "$conf" -i
wait_pid "$dir/slurmctld.pid" || { echo "slurmctld did not start" >&2; cat "$dir/log/slurmctld.log" >&2; exit 1; }
/usr/sbin/slurmd -f "$conf" -N localhost
wait_pid "$dir/slurmd.pid" || { echo "slurmd did not start" >&2; cat "$dir/log/slurmd.log" >&2; exit 1; }
for _ in $(seq 100); do
  SLURM_CONF="$conf" sinfo -h -o %t 2>/dev/null | grep -q idle && break
  sleep 0.1
done
echo "$conf"
