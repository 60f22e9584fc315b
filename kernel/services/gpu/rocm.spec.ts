import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseRocmSmi } from './rocm';

const AMD = join(__dirname, '../../../test/fixtures/gpu/amd');

describe('rocm-smi --json parser', () => {
  it('maps two MI210-class cards into the GPU model', () => {
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

  it('reads MI300 key names (socket power, no edge sensor)', () => {
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
