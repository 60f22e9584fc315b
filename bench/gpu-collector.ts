/**
 * CPU cost of the GPU collector at 1 Hz (issue 5: < 0.5% of a core).
 * Runs the collector for ~20 s against the stand-in nvidia-smi replaying the
 * loaded H100 capture (or the real one with WARREN_BENCH_REAL=1), and prints
 * this process's CPU time over wall time, and the nvidia-smi child's.
 *   node lib/bench/gpu-collector.js [seconds]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { GpuCollector } from '../kernel/services/gpu/collector';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** test/bin of the checkout, found upwards from here (the bench runs from lib/ or from source). */
function standInDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'test/bin/nvidia-smi'))) return join(dir, 'test/bin');
  }
  throw new Error('test/bin/nvidia-smi not found above ' + __dirname);
}

function childCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND; // utime + stime
  } catch {
    return null;
  }
}

export async function main(seconds = 20): Promise<{ collectorPercent: number; snapshots: number }> {
  const real = process.env.WARREN_BENCH_REAL === '1';
  const env = real
    ? process.env
    : {
        ...process.env,
        PATH: `${standInDir()}:${process.env.PATH ?? ''}`,
        WARREN_FAKE_GPU_FIXTURE: process.env.WARREN_FAKE_GPU_FIXTURE ?? 'h100'
      };
  const collector = new GpuCollector({
    env,
    intervalMs: 1000,
    kernels: () => [{ pid: process.pid }]
  });
  let snapshots = 0;
  let ok = 0;
  collector.subscribe((s) => {
    snapshots++;
    if (s.state === 'ok') ok++;
  });
  collector.start();
  // Let start-up (nvidia-smi -L, first compute-apps query) pass before measuring the steady state.
  await new Promise((r) => setTimeout(r, 2500));
  const streamPid = (collector as unknown as { stream: { pid?: number } | null }).stream?.pid;
  const child0 = childCpuSeconds(streamPid);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const n0 = snapshots;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const child1 = childCpuSeconds(streamPid);
  await collector.stop();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const collectorPercent = (100 * cpuSeconds) / wall;
  console.log(
    `source: ${real ? 'real nvidia-smi' : 'stand-in nvidia-smi (test/bin)'}; interval 1000 ms; ${wall.toFixed(1)} s measured`
  );
  console.log(`snapshots: ${snapshots - n0} in the window (${ok} ok in all)`);
  console.log(
    `collector (this process): ${(cpuSeconds * 1000).toFixed(0)} ms CPU = ${collectorPercent.toFixed(3)}% of a core (target < 0.5%)`
  );
  if (child0 !== null && child1 !== null) {
    console.log(
      `nvidia-smi child: ${((child1 - child0) * 1000).toFixed(0)} ms CPU = ${((100 * (child1 - child0)) / wall).toFixed(3)}% of a core`
    );
  }
  return { collectorPercent, snapshots: snapshots - n0 };
}

if (require.main === module) {
  main(Number(process.argv[2] ?? 20)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
