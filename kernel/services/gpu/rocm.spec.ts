import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import type { GpuSnapshot } from '../../../src/contract/gpu';
import { GpuCollector } from './collector';
import { parseRocmSmi } from './rocm';

const AMD = join(__dirname, '../../../test/fixtures/gpu/amd');

/**
 * The fixtures are written by hand in the shape ROCm documents (no AMD GPU
 * could be reached to capture one: test/fixtures/gpu/README.md); the names
 * say so.
 */
describe('rocm-smi --json parser, on fixtures of the documented shape', () => {
  it('maps two MI210-class cards (documented shape) into the GPU model', () => {
    const gpus = parseRocmSmi(readFileSync(join(AMD, 'rocm-smi.json'), 'utf8'));
    expect(gpus).not.toBeNull();
    expect(gpus?.map((g) => [g.vendor, g.index, g.uuid])).toEqual([
      ['amd', 0, 'card0'],
      ['amd', 1, 'card1']
    ]);
    const [busy, idle] = gpus ?? [];
    expect(busy.utilizationGpu).toBe(87);
    expect(busy.utilizationMemory).toBe(41);
    expect(busy.memoryTotalMiB).toBe(65520); // 68702699520 B
    expect(busy.memoryUsedMiB).toBe(22320); // 23404150784 B
    expect(busy.temperatureC).toBe(61);
    expect(busy.powerDrawW).toBe(241);
    expect(idle.powerDrawW).toBeNull(); // "N/A"
    expect(idle.memoryUsedMiB).toBe(10);
  });

  it('reads MI300 key names of the documented shape (socket power, no edge sensor)', () => {
    const [g] = parseRocmSmi(readFileSync(join(AMD, 'rocm-smi-mi300.json'), 'utf8')) ?? [];
    expect(g.powerDrawW).toBe(612);
    expect(g.temperatureC).toBe(58); // junction, as edge is N/A
    expect(g.utilizationMemory).toBeNull();
    expect(g.memoryTotalMiB).toBe(196592);
  });

  it('returns null for text that is not rocm-smi JSON', () => {
    expect(parseRocmSmi('ERROR: GPU[0] : Unable to read')).toBeNull();
    expect(parseRocmSmi('[]')).toBeNull();
  });
});

/** A collector that can only find the rocm-smi stand-in (and node, for its #! line). */
function rocmCollector(extra: Record<string, string> = {}): GpuCollector {
  return new GpuCollector({
    env: {
      PATH: `${resolve(__dirname, '../../../test/bin/rocm')}:${dirname(process.execPath)}`,
      ...extra
    },
    intervalMs: 200
  });
}

function first(c: GpuCollector): Promise<GpuSnapshot> {
  return new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`no snapshot; latest ${JSON.stringify(c.latest)}`)),
      10000
    );
    const off = c.subscribe((s) => {
      clearTimeout(timer);
      off();
      res(s);
    });
    c.start();
  });
}

describe('the collector through a rocm-smi stand-in (documented shape)', () => {
  it('polls rocm-smi when there is no nvidia-smi and publishes both cards', async () => {
    const c = rocmCollector();
    try {
      const s = await first(c);
      expect(s.state).toBe('ok');
      expect(s.source).toBe('rocm-smi');
      expect(
        s.gpus.map((g) => [
          g.vendor,
          g.index,
          g.utilizationGpu,
          g.memoryUsedMiB,
          g.powerDrawW,
          g.allocated
        ])
      ).toEqual([
        ['amd', 0, 87, 22320, 241, true],
        ['amd', 1, 0, 10, null, true]
      ]);
    } finally {
      await c.stop();
    }
  });

  it('GPU_DEVICE_ORDINAL=1 puts card1 first and leaves card0 unallocated', async () => {
    const c = rocmCollector({ GPU_DEVICE_ORDINAL: '1' });
    try {
      const s = await first(c);
      expect(s.allocation).toBe('GPU_DEVICE_ORDINAL');
      expect(s.gpus.map((g) => [g.index, g.allocated])).toEqual([
        [1, true],
        [0, false]
      ]);
    } finally {
      await c.stop();
    }
  });

  it("reports rocm-smi's own error line when it fails", async () => {
    const c = rocmCollector({ WARREN_FAKE_ROCM_MODE: 'fail' });
    try {
      const s = await first(c);
      expect(s.state).toBe('error');
      expect(s.message).toBe('ERROR: GPU[0]\t: Unable to read GPU use');
    } finally {
      await c.stop();
    }
  });
});
