import type { GpuInfo, GpuMigDevice, GpuState } from '../../../src/contract/gpu';

/**
 * The fields the streaming `--query-gpu` asks for, in order. Each was checked
 * against nvidia-smi 580.159.04 on an H100 (test/fixtures/gpu/h100/help.txt):
 * PCIe throughput is not a query-gpu field (only `-q` and `dmon -s t` show it),
 * and one invalid field fails the whole query, so add fields with care.
 * test/fixtures/gpu/capture.sh must ask for the same list.
 */
export const QUERY_GPU_FIELDS = [
  'timestamp',
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'utilization.gpu',
  'utilization.memory',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'clocks.sm',
  'clocks.mem',
  'fan.speed',
  'mig.mode.current'
] as const;

export const COMPUTE_APPS_FIELDS = ['pid', 'gpu_uuid', 'used_memory'] as const;

export const CSV_FORMAT = '--format=csv,noheader,nounits';

/** Arguments of the one long-lived nvidia-smi that streams a line per GPU every `intervalMs`. */
export function streamArgs(intervalMs: number): string[] {
  return [
    `--query-gpu=${QUERY_GPU_FIELDS.join(',')}`,
    CSV_FORMAT,
    '-lms',
    String(Math.round(intervalMs))
  ];
}

export function computeAppsArgs(): string[] {
  return [`--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`, CSV_FORMAT];
}

export const LIST_ARGS = ['-L'];

/**
 * A number, or null for what nvidia-smi prints when it has none:
 * `[N/A]`, `[Not Supported]`, `N/A`, `[Unknown Error]`, an empty field.
 */
export function parseNumber(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = text.trim();
  if (t === '' || t.startsWith('[') || t === 'N/A') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseText(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = text.trim();
  return t === '' || t.startsWith('[') || t === 'N/A' ? null : t;
}

/** A GPU as one stream line tells it, before allocation is applied. */
export type GpuSample = Omit<GpuInfo, 'allocated' | 'cudaIndex' | 'migDevices'> & {
  timestamp: string;
};

/**
 * One line of the `--query-gpu` stream, or null if it is not one (a banner,
 * an error, a short line). nvidia-smi does not quote CSV fields; no field we
 * ask for holds a comma.
 */
export function parseGpuLine(line: string): GpuSample | null {
  const f = line.split(',').map((s) => s.trim());
  if (f.length !== QUERY_GPU_FIELDS.length) return null;
  const index = parseNumber(f[1]);
  const uuid = parseText(f[2]);
  if (index === null || uuid === null) return null;
  return {
    vendor: 'nvidia',
    timestamp: f[0],
    index,
    uuid,
    name: f[3],
    busId: parseText(f[4]),
    utilizationGpu: parseNumber(f[5]),
    utilizationMemory: parseNumber(f[6]),
    memoryUsedMiB: parseNumber(f[7]),
    memoryTotalMiB: parseNumber(f[8]),
    temperatureC: parseNumber(f[9]),
    powerDrawW: parseNumber(f[10]),
    powerLimitW: parseNumber(f[11]),
    clockSmMHz: parseNumber(f[12]),
    clockMemMHz: parseNumber(f[13]),
    fanPercent: parseNumber(f[14]),
    pcieRxKBs: null,
    pcieTxKBs: null,
    migMode: parseText(f[15])
  };
}

export type ComputeApp = { pid: number; gpuUuid: string; usedMemoryMiB: number | null };

/** Output of `--query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits`. */
export function parseComputeApps(text: string): ComputeApp[] {
  const apps: ComputeApp[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(',').map((s) => s.trim());
    if (f.length !== COMPUTE_APPS_FIELDS.length) continue;
    const pid = parseNumber(f[0]);
    if (pid === null || !f[1]) continue;
    apps.push({ pid, gpuUuid: f[1], usedMemoryMiB: parseNumber(f[2]) });
  }
  return apps;
}

export type ListedGpu = { index: number; name: string; uuid: string; migDevices: GpuMigDevice[] };

/**
 * `nvidia-smi -L`: GPUs and, indented under each, its MIG devices:
 *   GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-5d5ba0d6-...)
 *     MIG 1g.5gb      Device  0: (UUID: MIG-c6d4f1ef-...)
 */
export function parseList(text: string): ListedGpu[] {
  const gpus: ListedGpu[] = [];
  for (const line of text.split('\n')) {
    const g = /^GPU (\d+): (.*) \(UUID: (GPU-[^)]+)\)/.exec(line);
    if (g) {
      gpus.push({ index: Number(g[1]), name: g[2], uuid: g[3], migDevices: [] });
      continue;
    }
    const m = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: (MIG-[^)]+)\)/.exec(line);
    if (m && gpus.length > 0) {
      gpus[gpus.length - 1].migDevices.push({ name: m[1], index: Number(m[2]), uuid: m[3] });
    }
  }
  return gpus;
}

/** Maps what a failed nvidia-smi printed to a state the panel can explain. */
export function classifyFailure(output: string): { state: GpuState; message: string } {
  const text = output.trim();
  if (
    /couldn't communicate with the NVIDIA driver|NVIDIA driver is not loaded|Driver Not Loaded/i.test(
      text
    )
  ) {
    return { state: 'no-driver', message: firstLine(text) };
  }
  if (/No devices were found/i.test(text)) {
    return { state: 'no-gpu', message: firstLine(text) };
  }
  return {
    state: 'error',
    message: text === '' ? 'nvidia-smi exited without output' : firstLine(text)
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
