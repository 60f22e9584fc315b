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

/**
 * CUDA_VISIBLE_DEVICES as CUDA reads it (the rules PyTorch's
 * torch.cuda._parse_visible_devices and _device_count_nvml encode), written
 * here apart from the collector: a list that starts with GPU- holds UUID
 * prefixes, any other holds ordinals read like strtoul ("1gpu2" is 1); the
 * list ends at a negative number, an ordinal past the last GPU, a UUID that
 * matches none (or more than one), or an entry of the other kind; a GPU named
 * twice leaves none visible. CUDA numbers the visible GPUs in list order.
 */
function cudaVisible(cvd: string, uuids: readonly string[]): number[] {
  const out: number[] = [];
  const uuidList = cvd.startsWith('GPU-');
  for (const raw of cvd.split(',')) {
    const e = raw.trim();
    let index: number;
    if (uuidList) {
      if (!e.startsWith('GPU-')) break;
      const hits = uuids.map((u, i) => (u.startsWith(e) ? i : -1)).filter((i) => i >= 0);
      if (hits.length !== 1) break;
      index = hits[0];
    } else {
      const m = /^\+?\d+/.exec(e);
      if (!m) break;
      index = Number(m[0]);
      if (index >= uuids.length) break;
    }
    if (out.includes(index)) return [];
    out.push(index);
  }
  return out;
}

/** What the panel should show for a list: visible GPUs in CUDA's order (cuda:0, cuda:1, ...), then the rest by index. */
function expectedShape(cvd: string, uuids: readonly string[]): [number, boolean, number | null][] {
  const visible = cudaVisible(cvd, uuids);
  const rest = uuids.map((_, i) => i).filter((i) => !visible.includes(i));
  return [
    ...visible.map((i, cuda): [number, boolean, number | null] => [i, true, cuda]),
    ...rest.map((i): [number, boolean, number | null] => [i, false, null])
  ];
}

describe('two GPUs, load on GPU 1 (real nvidia-h200-x2 captures)', () => {
  test('fixture check: the recorded collector run saw both GPUs and put the load and its process on GPU 1', () => {
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

  test('fixture check: with CUDA_VISIBLE_DEVICES=1 the recorded run showed GPU 1 first as cuda:0 and GPU 0 not allocated', () => {
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

  test.each([
    ['1'],
    ['1,0'],
    ['GPU-0b6b'],
    [`${GPU1},${GPU0}`],
    ['1,7,0'],
    ['0,-1,1'],
    ['1,1'],
    ['1gpu2'],
    ['GPU-0b6b,1'],
    ['GPU-nope,GPU-1b78']
  ])(
    'replayed with CUDA_VISIBLE_DEVICES=%s: the GPUs CUDA would number, in its order, first',
    async (cvd) => {
      const s = await replay({ CUDA_VISIBLE_DEVICES: cvd });
      expect(s.allocation).toBe('CUDA_VISIBLE_DEVICES');
      expect(s.gpus.map((g) => [g.index, g.allocated, g.cudaIndex])).toEqual(
        expectedShape(cvd, [GPU0, GPU1])
      );
      // The process stays on the GPU it runs on, whatever CUDA calls it.
      expect(s.processes[0]).toMatchObject({ gpuUuid: GPU1, gpuIndex: 1 });
    }
  );

  test('the rules above, spelled out for the cases the table relies on', () => {
    expect(cudaVisible('1,7,0', [GPU0, GPU1])).toEqual([1]);
    expect(cudaVisible('1,1', [GPU0, GPU1])).toEqual([]);
    expect(cudaVisible('1gpu2', [GPU0, GPU1])).toEqual([1]);
    expect(cudaVisible('GPU-0b6b,1', [GPU0, GPU1])).toEqual([1]);
  });
});
