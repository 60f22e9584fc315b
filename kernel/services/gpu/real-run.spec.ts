import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { GpuSnapshot } from '../../../src/contract/gpu';

/**
 * Checks the record of the collector run on the real H100 (see
 * test/fixtures/gpu/README.md): its snapshots against a second, independent
 * nvidia-smi stream taken during the same PyTorch load.
 */
const DIR = join(__dirname, '../../../test/fixtures/gpu/h100-collector-run');
const snapshots = (f: string): GpuSnapshot[] =>
  readFileSync(join(DIR, f), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as GpuSnapshot);

describe('the collector on the real H100', () => {
  const load = snapshots('collector-load.jsonl');
  const reference = readFileSync(join(DIR, 'smi-reference-load.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(', '))
    .map(([ts, , util, memUtil, mem]) => ({
      time: Date.parse(ts.replace(/\//g, '-').replace(' ', 'T') + 'Z'),
      util: Number(util),
      memUtil: Number(memUtil),
      mem: Number(mem)
    }));

  it('reported what nvidia-smi itself reported at the same moment, once the load ran', () => {
    const steady = load.filter((s) => s.time >= reference[3].time);
    expect(steady.length).toBeGreaterThanOrEqual(18);
    for (const s of steady) {
      const ref = reference.reduce((a, b) =>
        Math.abs(b.time - s.time) < Math.abs(a.time - s.time) ? b : a
      );
      expect(Math.abs(ref.time - s.time)).toBeLessThan(500);
      const g = s.gpus[0];
      expect(g.memoryUsedMiB).toBe(ref.mem);
      expect(g.utilizationMemory).toBe(ref.memUtil);
      expect(Math.abs((g.utilizationGpu ?? 0) - ref.util)).toBeLessThanOrEqual(1);
    }
  });

  it('found the PyTorch process and attributed it to the process that started it', () => {
    const withProcess = load.filter((s) => s.processes.length > 0);
    expect(withProcess.length).toBeGreaterThanOrEqual(20);
    const last = withProcess[withProcess.length - 1].processes;
    expect(last).toEqual([
      {
        pid: 434,
        gpuUuid: load[0].gpus[0].uuid,
        gpuIndex: 0,
        usedMemoryMiB: 1386,
        ownerPid: 432,
        ownerKernelId: 'torch-parent'
      }
    ]);
    expect(readFileSync(join(DIR, 'run.log'), 'utf8')).toContain('kernel stand-in bash pid 432');
  });

  it('saw the idle GPU as idle, a snapshot every 500 ms', () => {
    const idle = snapshots('collector-idle.jsonl');
    expect(idle).toHaveLength(10);
    expect(
      idle.every(
        (s) => s.state === 'ok' && s.gpus[0].utilizationGpu === 0 && s.gpus[0].memoryUsedMiB === 0
      )
    ).toBe(true);
    const gaps = idle.slice(1).map((s, i) => s.time - idle[i].time);
    expect(Math.max(...gaps)).toBeLessThan(600);
    expect(Math.min(...gaps)).toBeGreaterThan(400);
  });
});
