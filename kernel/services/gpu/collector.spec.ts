import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';

import type { GpuSnapshot } from '../../../src/contract/gpu';
import { alive } from '../../pids';
import { GpuCollector } from './collector';

const STAND_IN = resolve(__dirname, '../../../test/bin');
const H100_UUID = 'GPU-85baf24e-6a19-8508-6cde-095e8894dab1';

/** An env with the stand-in nvidia-smi first on PATH (node stays findable for its #!). */
function fakeEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    PATH: `${STAND_IN}:${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100',
    ...extra
  };
}

function next(
  c: GpuCollector,
  accept: (s: GpuSnapshot) => boolean,
  ms = 15000
): Promise<GpuSnapshot> {
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      off();
      rej(new Error(`no matching snapshot in ${ms} ms; latest: ${JSON.stringify(c.latest)}`));
    }, ms);
    const off = c.subscribe((s) => {
      if (!accept(s)) return;
      clearTimeout(timer);
      off();
      res(s);
    });
  });
}

describe('GpuCollector against the stand-in nvidia-smi', () => {
  let collector: GpuCollector | null = null;
  afterEach(async () => {
    await collector?.stop();
    collector = null;
  });

  it('streams the loaded H100 capture with its values and attributes the process to its kernel', async () => {
    const gpuUser = spawn('sleep', ['30']);
    try {
      collector = new GpuCollector({
        env: fakeEnv({ WARREN_FAKE_GPU_PID: String(gpuUser.pid) }),
        intervalMs: 200,
        kernels: () => [{ pid: process.pid, kernelId: 'kernel-a' }]
      });
      const seen: GpuSnapshot[] = [];
      collector.subscribe((s) => seen.push(s));
      collector.start();
      const s = await next(collector, (x) => x.state === 'ok' && x.processes.length > 0);
      expect(s.source).toBe('nvidia-smi');
      expect(s.allocation).toBe('all');
      expect(s.gpus).toHaveLength(1);
      const g = s.gpus[0];
      expect(g).toMatchObject({
        vendor: 'nvidia',
        index: 0,
        uuid: H100_UUID,
        name: 'NVIDIA H100 80GB HBM3',
        busId: '00000000:00:06.0',
        memoryUsedMiB: 1395,
        memoryTotalMiB: 81559,
        utilizationMemory: 9,
        powerLimitW: 700,
        clockSmMHz: 1980,
        clockMemMHz: 2619,
        fanPercent: null,
        migMode: 'Disabled',
        allocated: true,
        cudaIndex: 0
      });
      expect([98, 99]).toContain(g.utilizationGpu);
      expect(s.processes).toEqual([
        {
          pid: gpuUser.pid,
          gpuUuid: H100_UUID,
          gpuIndex: 0,
          usedMemoryMiB: 1386,
          ownerPid: process.pid,
          ownerKernelId: 'kernel-a',
          user: userInfo().username,
          command: 'sleep 30'
        }
      ]);
      expect(s.host.memTotalBytes ?? 0).toBeGreaterThan(0);
      // The stream replays the capture in order: the first two ticks are its first two lines.
      await next(collector, (x) => x.state === 'ok');
      const ok = seen.filter((x) => x.state === 'ok');
      expect(ok[0].gpus[0].powerDrawW).toBe(630.67);
      expect(ok[1].gpus[0].powerDrawW).toBe(675.25);
    } finally {
      const closed = new Promise((r) => gpuUser.once('close', r));
      gpuUser.kill('SIGKILL');
      await closed;
    }
  });

  it('uses one long-lived nvidia-smi, and kills and reaps it on stop', async () => {
    collector = new GpuCollector({ env: fakeEnv(), intervalMs: 100 });
    const c = collector;
    const streamPid = () => (c as unknown as { stream: { pid: number } | null }).stream?.pid ?? 0;
    // The nvidia-smi behind each snapshot: a collector that respawned it per tick would show many.
    const pids: number[] = [];
    c.subscribe((s) => {
      if (s.state === 'ok') pids.push(streamPid());
    });
    c.start();
    await next(c, (x) => x.state === 'ok');
    await new Promise((r) => setTimeout(r, 1000));
    expect(pids.length).toBeGreaterThanOrEqual(6);
    const pid = pids[0];
    expect(pid).toBeGreaterThan(0);
    expect(new Set(pids)).toEqual(new Set([pid]));
    expect(alive(pid)).toBe(true);
    await collector.stop();
    expect(alive(pid)).toBe(false);
  });

  it('reports timeout when nvidia-smi hangs, and kills it', async () => {
    collector = new GpuCollector({
      env: fakeEnv({ WARREN_FAKE_GPU_MODE: 'hang' }),
      intervalMs: 200,
      timeoutMs: 700
    });
    const t0 = Date.now();
    collector.start();
    const s = await next(collector, () => true);
    expect(s.state).toBe('timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(650);
    expect(s.message).toMatch(/no answer in 700 ms/);
    expect(s.gpus).toEqual([]);
    expect(
      (collector as unknown as { tools: { children: Set<unknown> } }).tools.children.size
    ).toBe(0);
  });

  it('reports timeout when the stream goes silent after -L answered', async () => {
    collector = new GpuCollector({
      env: fakeEnv({ WARREN_FAKE_GPU_MODE: 'hang-stream' }),
      intervalMs: 200,
      timeoutMs: 700
    });
    collector.start();
    const s = await next(collector, () => true);
    expect(s.state).toBe('timeout');
    expect(s.message).toMatch(/silent for 700 ms and was killed/);
  });

  it('reports no-driver with nvidia-smi’s own message', async () => {
    collector = new GpuCollector({
      env: fakeEnv({ WARREN_FAKE_GPU_MODE: 'no-driver' }),
      intervalMs: 200
    });
    collector.start();
    const s = await next(collector, () => true);
    expect(s.state).toBe('no-driver');
    expect(s.message).toMatch(
      /^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/
    );
  });

  it('reports no-gpu, with host figures, when no tool is on PATH', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'warren-nogpu-'));
    collector = new GpuCollector({ env: { PATH: empty }, intervalMs: 200 });
    collector.start();
    const first = await next(collector, () => true);
    expect(first.state).toBe('no-gpu');
    expect(first.source).toBeNull();
    expect(first.gpus).toEqual([]);
    const second = await next(collector, () => true);
    expect(second.state).toBe('no-gpu');
    expect(second.host.cpuPercent).not.toBeNull();
  });

  it('marks the GPU named by CUDA_VISIBLE_DEVICES allocated and others not', async () => {
    collector = new GpuCollector({
      env: fakeEnv({ CUDA_VISIBLE_DEVICES: H100_UUID.slice(0, 12) }),
      intervalMs: 200
    });
    collector.start();
    const s = await next(collector, (x) => x.state === 'ok');
    expect(s.allocation).toBe('CUDA_VISIBLE_DEVICES');
    expect(s.gpus.map((g) => [g.index, g.allocated, g.cudaIndex])).toEqual([[0, true, 0]]);
    await collector.stop();

    collector = new GpuCollector({ env: fakeEnv({ CUDA_VISIBLE_DEVICES: '1' }), intervalMs: 200 });
    collector.start();
    const t = await next(collector, (x) => x.state === 'ok');
    expect(t.gpus.map((g) => [g.index, g.allocated, g.cudaIndex])).toEqual([[0, false, null]]);
  });

  it('changes the stream interval on configure', async () => {
    collector = new GpuCollector({ env: fakeEnv(), intervalMs: 1000 });
    collector.start();
    await next(collector, (x) => x.state === 'ok');
    collector.configure(100);
    expect(collector.interval).toBe(100);
    await next(collector, (x) => x.state === 'ok');
    const times: number[] = [];
    collector.subscribe((s) => times.push(s.time));
    await new Promise((r) => setTimeout(r, 1000));
    expect(times.length).toBeGreaterThanOrEqual(6);
    collector.configure(5);
    expect(collector.interval).toBe(100);
  });
});
