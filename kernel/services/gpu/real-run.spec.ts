import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { GpuSnapshot } from '../../../src/contract/gpu';
import { GpuCollector } from './collector';

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

/**
 * Fixture checks: what the collector of 2026-11-24 recorded on the real H100.
 * They import no code and cannot catch a change in today's collector; the
 * replay below can.
 */
describe('fixture check: the recorded collector run on the real H100', () => {
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

describe("today's collector, replaying the real H100 capture", () => {
  it('reports, tick by tick, what the real nvidia-smi printed', async () => {
    // The capture's lines as nvidia-smi printed them, split here, not by the collector's parser.
    const lines = readFileSync(
      join(__dirname, '../../../test/fixtures/gpu/h100/stream-load.csv'),
      'utf8'
    )
      .trim()
      .split('\n')
      .map((l) => l.split(', '));
    const c = new GpuCollector({
      env: {
        PATH: `${resolve(__dirname, '../../../test/bin')}:${process.env.PATH ?? ''}`,
        WARREN_FAKE_GPU_FIXTURE: 'h100'
      },
      intervalMs: 100
    });
    const seen: GpuSnapshot[] = [];
    try {
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`only ${seen.length} snapshots`)), 15000);
        c.subscribe((s) => {
          if (s.state === 'ok') seen.push(s);
          if (seen.length === 8) {
            clearTimeout(timer);
            res();
          }
        });
        c.start();
      });
    } finally {
      await c.stop();
    }
    seen.slice(0, 8).forEach((s, i) => {
      const [, index, uuid, name, busId, util, memUtil, used, total, temp, power, limit, sm, mem] =
        lines[i];
      const g = s.gpus[0];
      expect([i, g.index, g.uuid, g.name, g.busId]).toEqual([i, Number(index), uuid, name, busId]);
      expect([
        g.utilizationGpu,
        g.utilizationMemory,
        g.memoryUsedMiB,
        g.memoryTotalMiB,
        g.temperatureC,
        g.powerDrawW,
        g.powerLimitW,
        g.clockSmMHz,
        g.clockMemMHz
      ]).toEqual([util, memUtil, used, total, temp, power, limit, sm, mem].map(Number));
    });
  });
});
