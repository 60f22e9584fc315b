import type { GpuInfo, GpuProcess, GpuSnapshot } from '../contract/gpu';

/**
 * What the GPU panel shows: the latest snapshot from the `warren.gpu` comm and
 * a bounded history per GPU for the charts. No widgets here.
 */
export class GpuModel {
  constructor(options: GpuModel.IOptions = {}) {
    this._historySeconds = options.historySeconds ?? 120;
  }

  get snapshot(): GpuSnapshot | null {
    return this._snapshot;
  }

  /** Increases on each accepted snapshot; views compare it to skip redraws. */
  get version(): number {
    return this._version;
  }

  get historySeconds(): number {
    return this._historySeconds;
  }

  set historySeconds(value: number) {
    this._historySeconds = Math.max(10, value);
  }

  /** The series of one GPU: seconds since the epoch, utilisation %, memory used %. */
  history(uuid: string): GpuModel.ISeries {
    return this._history.get(uuid) ?? { time: [], util: [], memory: [] };
  }

  /** Takes a message from the comm; returns false (and keeps the old state) for anything else. */
  ingest(message: unknown): boolean {
    if (!isGpuSnapshot(message)) return false;
    this._snapshot = message;
    this._version++;
    const t = message.time / 1000;
    const oldest = t - this._historySeconds;
    const seen = new Set<string>();
    for (const gpu of message.gpus) {
      seen.add(gpu.uuid);
      let series = this._history.get(gpu.uuid);
      if (!series) this._history.set(gpu.uuid, (series = { time: [], util: [], memory: [] }));
      series.time.push(t);
      series.util.push(gpu.utilizationGpu);
      series.memory.push(memoryPercent(gpu));
      let drop = 0;
      while (drop < series.time.length && series.time[drop] < oldest) drop++;
      if (drop) {
        series.time.splice(0, drop);
        series.util.splice(0, drop);
        series.memory.splice(0, drop);
      }
    }
    for (const uuid of [...this._history.keys()]) if (!seen.has(uuid)) this._history.delete(uuid);
    return true;
  }

  /** Allocated GPUs first (as the kernel sees them), then by index. */
  sortedGpus(): GpuInfo[] {
    const gpus = this._snapshot ? [...this._snapshot.gpus] : [];
    return gpus.sort((a, b) => Number(b.allocated) - Number(a.allocated) || a.index - b.index);
  }

  processesOf(uuid: string): GpuProcess[] {
    return this._snapshot ? this._snapshot.processes.filter((p) => p.gpuUuid === uuid) : [];
  }

  /** The status bar's summary: mean utilisation and summed memory of the allocated GPUs. */
  summary(): GpuModel.ISummary | null {
    const s = this._snapshot;
    if (!s || s.state !== 'ok' || s.gpus.length === 0) return null;
    const gpus = s.gpus.some((g) => g.allocated) ? s.gpus.filter((g) => g.allocated) : s.gpus;
    const utils = gpus.map((g) => g.utilizationGpu).filter((v): v is number => v !== null);
    const used = gpus.map((g) => g.memoryUsedMiB).filter((v): v is number => v !== null);
    const total = gpus.map((g) => g.memoryTotalMiB).filter((v): v is number => v !== null);
    return {
      count: gpus.length,
      utilization: utils.length ? utils.reduce((a, b) => a + b, 0) / utils.length : null,
      memoryUsedMiB: used.length ? used.reduce((a, b) => a + b, 0) : null,
      memoryTotalMiB: total.length ? total.reduce((a, b) => a + b, 0) : null
    };
  }

  private _snapshot: GpuSnapshot | null = null;
  private _version = 0;
  private _historySeconds: number;
  private readonly _history = new Map<string, GpuModel.ISeries>();
}

export namespace GpuModel {
  export interface IOptions {
    historySeconds?: number;
  }
  export interface ISeries {
    time: number[];
    util: (number | null)[];
    memory: (number | null)[];
  }
  export interface ISummary {
    count: number;
    utilization: number | null;
    memoryUsedMiB: number | null;
    memoryTotalMiB: number | null;
  }
}

export function memoryPercent(gpu: GpuInfo): number | null {
  if (gpu.memoryUsedMiB === null || !gpu.memoryTotalMiB) return null;
  return (100 * gpu.memoryUsedMiB) / gpu.memoryTotalMiB;
}

const STATES = new Set(['ok', 'no-gpu', 'no-driver', 'timeout', 'error']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isGpu(value: unknown): value is GpuInfo {
  return (
    isRecord(value) &&
    typeof value.uuid === 'string' &&
    typeof value.name === 'string' &&
    typeof value.index === 'number' &&
    typeof value.allocated === 'boolean'
  );
}

function isProcess(value: unknown): value is GpuProcess {
  return isRecord(value) && typeof value.pid === 'number' && typeof value.gpuUuid === 'string';
}

/** Narrows a comm message to a snapshot; the fields the panel reads are checked. */
export function isGpuSnapshot(value: unknown): value is GpuSnapshot {
  return (
    isRecord(value) &&
    value.type === 'snapshot' &&
    typeof value.time === 'number' &&
    typeof value.state === 'string' &&
    STATES.has(value.state) &&
    Array.isArray(value.gpus) &&
    value.gpus.every(isGpu) &&
    Array.isArray(value.processes) &&
    value.processes.every(isProcess) &&
    isRecord(value.host)
  );
}
