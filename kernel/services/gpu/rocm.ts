import { isRecord } from '../../../src/contract';
import type { GpuInfo } from '../../../src/contract/gpu';

/** One poll; rocm-smi has no loop mode, so AMD costs a process per tick. */
export const ROCM_ARGS = [
  '--showuse',
  '--showmemuse',
  '--showmeminfo',
  'vram',
  '--showtemp',
  '--showpower',
  '--json'
];

const MiB = 1024 * 1024;

function num(card: Record<string, unknown>, ...keys: string[]): number | null {
  for (const key of keys) {
    const v = card[key];
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    const n = Number(v);
    if (String(v).trim() !== '' && Number.isFinite(n)) return n;
  }
  return null;
}

/**
 * `rocm-smi ... --json` into the NVIDIA model. rocm-smi prints one object per
 * `cardN` (plus `system` with some flags), every value a string, `N/A` where a
 * sensor is missing; key names changed between ROCm releases (the power key
 * is `Current Socket Graphics Package Power (W)` on MI300), so each reading
 * tries the names known to us. Returns null when the text is not that JSON.
 */
export function parseRocmSmi(text: string): Omit<GpuInfo, 'allocated' | 'cudaIndex'>[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(doc)) return null;
  const gpus: Omit<GpuInfo, 'allocated' | 'cudaIndex'>[] = [];
  for (const [key, card] of Object.entries(doc)) {
    const m = /^card(\d+)$/.exec(key);
    if (!m || !isRecord(card)) continue;
    const total = num(card, 'VRAM Total Memory (B)');
    const used = num(card, 'VRAM Total Used Memory (B)');
    const uid = typeof card['Unique ID'] === 'string' ? card['Unique ID'] : key;
    const name = [card['Card Series'], card['Card series'], card['Card model']].find(
      (v) => typeof v === 'string'
    );
    gpus.push({
      vendor: 'amd',
      index: Number(m[1]),
      uuid: uid,
      name: typeof name === 'string' ? name : `AMD GPU ${m[1]}`,
      busId: typeof card['PCI Bus'] === 'string' ? card['PCI Bus'] : null,
      utilizationGpu: num(card, 'GPU use (%)'),
      utilizationMemory: num(card, 'GPU Memory Read/Write Activity (%)', 'GPU memory use (%)'),
      memoryUsedMiB: used === null ? null : Math.round(used / MiB),
      memoryTotalMiB: total === null ? null : Math.round(total / MiB),
      temperatureC: num(card, 'Temperature (Sensor edge) (C)', 'Temperature (Sensor junction) (C)'),
      powerDrawW: num(
        card,
        'Average Graphics Package Power (W)',
        'Current Socket Graphics Package Power (W)'
      ),
      powerLimitW: num(card, 'Max Graphics Package Power (W)'),
      clockSmMHz: null,
      clockMemMHz: null,
      fanPercent: null,
      pcieRxKBs: null,
      pcieTxKBs: null,
      migMode: null,
      migDevices: []
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}
