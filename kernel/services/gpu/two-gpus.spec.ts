import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GpuSnapshot } from '../../../src/contract/gpu';
import { GpuCollector } from './collector';

/**
 * Issue 9: the captures of a real two-GPU machine (nvidia-h200-x2, a PyTorch
 * load on GPU 1 only), replayed, must give what the collector gave there.
 */
const STAND_IN = resolve(__dirname, '../../../test/bin');
const FIXTURE = resolve(__dirname, '../../../test/fixtures/gpu/h200x2');
const GPU0 = 'GPU-1b78982c-0e04-daa0-7189-44a219fa7d37';
const GPU1 = 'GPU-0b6b0347-d03c-3e57-476c-d9a8e64fd5a6';

function realRun(file: string): GpuSnapshot {
  const lines = readFileSync(resolve(FIXTURE, file), 'utf8').trim().split('\n');
  return JSON.parse(lines[lines.length - 2]) as GpuSnapshot;
}

async function replay(extra: Record<string, string>): Promise<GpuSnapshot> {
  const c = new GpuCollector({
    env: {
      PATH: `${STAND_IN}:${process.env.PATH ?? ''}`,
      WARREN_FAKE_GPU_FIXTURE: 'h200x2',
      ...extra
    },
    intervalMs: 200,
    processesEveryMs: 200
  });
  try {
    return await new Promise<GpuSnapshot>((res, rej) => {
      const timer = setTimeout(
        () =>
          rej(
            new Error(
              `no snapshot with both GPUs and a process; latest ${JSON.stringify(c.latest)}`
            )
          ),
        15000
      );
      const off = c.subscribe((s) => {
        if (s.gpus.length === 2 && s.processes.length > 0) {
          clearTimeout(timer);
          off();
          res(s);
        }
      });
      c.start();
    });
  } finally {
    await c.stop();
  }
}

describe('two GPUs, load on GPU 1 (real nvidia-h200-x2 captures)', () => {
  test('the real collector run saw both GPUs and put the load and its process on GPU 1', () => {
    const s = realRun('collector-load-all.jsonl');
    expect(s.gpus.map((g) => [g.index, g.uuid])).toEqual([
      [0, GPU0],
      [1, GPU1]
    ]);
    expect(s.gpus[0].utilizationGpu).toBe(0);
    expect(s.gpus[1].utilizationGpu).toBeGreaterThanOrEqual(90);
    expect(s.gpus[1].memoryUsedMiB).toBe(1395);
    expect(s.processes).toEqual([
      expect.objectContaining({ gpuUuid: GPU1, gpuIndex: 1, usedMemoryMiB: 1386 })
    ]);
  });

  test('with CUDA_VISIBLE_DEVICES=1 the real run showed GPU 1 first as cuda:0 and GPU 0 not allocated', () => {
    const s = realRun('collector-load-cvd1.jsonl');
    expect(s.allocation).toBe('CUDA_VISIBLE_DEVICES');
    expect(s.gpus.map((g) => [g.index, g.allocated, g.cudaIndex])).toEqual([
      [1, true, 0],
      [0, false, null]
    ]);
  });

  test('replayed without CUDA_VISIBLE_DEVICES: both GPUs, the process on GPU 1', async () => {
    const s = await replay({});
    expect(s.gpus.map((g) => [g.index, g.allocated])).toEqual([
      [0, true],
      [1, true]
    ]);
    expect(s.gpus[1].memoryUsedMiB).toBe(1395);
    expect(s.gpus[0].memoryUsedMiB).toBe(0);
    expect(s.processes[0]).toMatchObject({ gpuUuid: GPU1, gpuIndex: 1, usedMemoryMiB: 1386 });
  });

  test('replayed with CUDA_VISIBLE_DEVICES=1: the same order and allocation as on the real machine', async () => {
    const s = await replay({ CUDA_VISIBLE_DEVICES: '1' });
    const real = realRun('collector-load-cvd1.jsonl');
    const shape = (x: GpuSnapshot) =>
      x.gpus.map((g) => [g.index, g.uuid, g.allocated, g.cudaIndex]);
    expect(shape(s)).toEqual(shape(real));
    expect(s.processes[0]).toMatchObject({ gpuIndex: 1 });
  });
});
