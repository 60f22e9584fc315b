import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { CommClient } from '../comm/client';
import { CommModel } from '../comm/model';
import { WarrenServices } from '../comm/session';
import { CommTargets } from '../contract';
import type {
  GpuConfigure,
  GpuHistoryPoint,
  GpuInfo,
  GpuProcess,
  GpuSnapshot
} from '../contract/gpu';
import { historyPoint, isGpuHistory, isGpuSnapshot } from '../contract/gpu';
import type { IWarrenServices } from '../tokens';

/**
 * What the GPU panel shows: the latest snapshot from the `warren.gpu` comm,
 * bounded series per GPU and for the host for the charts (seeded from the
 * kernel's history when the comm opens), the process table's order, the GPU
 * the status item names and which notebook each kernel belongs to. Given the
 * services, it holds the comm too (src/comm's policy while the kernel is
 * away): opened, and reopened after a restart, with the current interval.
 * No widgets here.
 */
export class GpuModel extends CommModel implements IDisposable {
  constructor(options: GpuModel.IOptions = {}) {
    super();
    this._historySeconds = options.historySeconds ?? 1800;
    this._gapSeconds = options.gapSeconds ?? 15;
    this._intervalMs = options.intervalMs ?? 1000;
    if (options.services) {
      const client = new CommClient({
        services: options.services,
        target: CommTargets.gpu,
        openData: () => ({ intervalMs: this._intervalMs })
      });
      client.received.connect((_, message) => {
        if (this.ingest(message)) this._changed.emit();
      });
      this.attach(client);
    }
  }

  /** An accepted comm message changed what the panel shows. */
  get changed(): ISignal<GpuModel, void> {
    return this._changed;
  }

  /** The sampling interval the comm opens with, and asks for when it changes. */
  get intervalMs(): number {
    return this._intervalMs;
  }

  set intervalMs(value: number) {
    if (value === this._intervalMs) return;
    this._intervalMs = value;
    const configure: GpuConfigure = { type: 'configure', intervalMs: value };
    // Before the first open there is nothing to tell: the open carries it. While
    // away only the latest waits, and a reopen carries it anyway.
    if (this._client?.isStarted) this._client.send(configure, { key: 'configure' });
  }

  /**
   * The notebook sessions the Lab runs, for the process table's notebook
   * column: the services kernel's own session is not a notebook.
   */
  setSessions(sessions: Iterable<GpuModel.ISessionLike>): void {
    this._owners.clear();
    for (const s of sessions)
      if (s.kernel && s.type !== WarrenServices.sessionType) this._owners.set(s.kernel.id, s.path);
    this._version++;
  }

  /** The path of the notebook whose kernel this is, or null. */
  notebookOf(kernelId: string): string | null {
    return this._owners.get(kernelId) ?? null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._client?.dispose();
    Signal.clearData(this);
  }

  get snapshot(): GpuSnapshot | null {
    return this._snapshot;
  }

  /** Increases on each accepted message; views compare it to skip redraws. */
  get version(): number {
    return this._version;
  }

  get historySeconds(): number {
    return this._historySeconds;
  }

  set historySeconds(value: number) {
    this._historySeconds = Math.max(10, value);
  }

  /** One GPU's series: seconds since the epoch and, for each, the figure or null (a gap). */
  history(uuid: string): GpuModel.IGpuSeries {
    return this._gpuSeries.get(uuid) ?? emptyGpuSeries();
  }

  /** The host's series: CPU busy % and memory used. */
  get hostHistory(): GpuModel.IHostSeries {
    return this._host;
  }

  /** Takes a message from the comm; returns false (and keeps the old state) for anything else. */
  ingest(message: unknown): boolean {
    if (isGpuHistory(message)) {
      this._gpuSeries.clear();
      this._host = emptyHostSeries();
      for (const point of message.points) this._record(point);
      this._version++;
      return true;
    }
    if (!isGpuSnapshot(message)) return false;
    this._snapshot = message;
    this._version++;
    this._record(historyPoint(message));
    const seen = new Set(message.gpus.map((g) => g.uuid));
    for (const uuid of [...this._gpuSeries.keys()])
      if (!seen.has(uuid)) this._gpuSeries.delete(uuid);
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

  get processSort(): GpuModel.IProcessSort {
    return this._sort;
  }

  /** Sorts the process table by a column; the same column again reverses it. */
  sortProcessesBy(key: GpuModel.ProcessColumn): void {
    this._sort =
      this._sort.key === key
        ? { key, ascending: !this._sort.ascending }
        : { key, ascending: key !== 'memory' };
    this._version++;
  }

  /** The processes in the table's order; `notebook` names a kernel's notebook (null: none). */
  sortedProcesses(notebook: (kernelId: string) => string | null): GpuProcess[] {
    const processes = this._snapshot ? [...this._snapshot.processes] : [];
    const { key, ascending } = this._sort;
    const value = (p: GpuProcess): string | number | null => {
      switch (key) {
        case 'pid':
          return p.pid;
        case 'user':
          return p.user ?? null;
        case 'command':
          return p.command ?? null;
        case 'gpu':
          return p.gpuIndex;
        case 'memory':
          return p.usedMemoryMiB;
        case 'notebook':
          return p.ownerKernelId ? notebook(p.ownerKernelId) : null;
      }
    };
    return processes.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      // Unknown values go last whichever way the column is sorted.
      if (va === null || vb === null) return va === vb ? a.pid - b.pid : va === null ? 1 : -1;
      const order =
        typeof va === 'number' && typeof vb === 'number'
          ? va - vb
          : String(va).localeCompare(String(vb));
      return (ascending ? order : -order) || a.pid - b.pid;
    });
  }

  /** The GPU the status item names: the one chosen, else the first allocated. */
  statusGpu(): GpuInfo | null {
    const gpus = this.sortedGpus();
    return gpus.find((g) => g.uuid === this._statusUuid) ?? gpus[0] ?? null;
  }

  /** Moves the status item to the next GPU (in the panel's order) and returns it. */
  nextStatusGpu(): GpuInfo | null {
    const gpus = this.sortedGpus();
    if (gpus.length === 0) return null;
    const at = gpus.findIndex((g) => g.uuid === this.statusGpu()?.uuid);
    const next = gpus[(at + 1) % gpus.length];
    this._statusUuid = next.uuid;
    this._version++;
    return next;
  }

  private _record(point: GpuHistoryPoint): void {
    const t = point.time / 1000;
    const oldest = t - this._historySeconds;
    append(this._host, t, this._gapSeconds, oldest, {
      cpu: point.cpuPercent,
      memory: point.memTotalBytes ? percent(point.memUsedBytes, point.memTotalBytes) : null,
      memoryBytes: point.memUsedBytes
    });
    for (const gpu of point.gpus) {
      let series = this._gpuSeries.get(gpu.uuid);
      if (!series) this._gpuSeries.set(gpu.uuid, (series = emptyGpuSeries()));
      append(series, t, this._gapSeconds, oldest, {
        util: gpu.utilizationGpu,
        memory: percent(gpu.memoryUsedMiB, gpu.memoryTotalMiB),
        memoryMiB: gpu.memoryUsedMiB,
        power: gpu.powerDrawW,
        temperature: gpu.temperatureC
      });
    }
  }

  private readonly _changed = new Signal<GpuModel, void>(this);
  private readonly _owners = new Map<string, string>();
  private _intervalMs: number;
  private _disposed = false;
  private _snapshot: GpuSnapshot | null = null;
  private _version = 0;
  private _historySeconds: number;
  private readonly _gapSeconds: number;
  private readonly _gpuSeries = new Map<string, GpuModel.IGpuSeries>();
  private _host: GpuModel.IHostSeries = emptyHostSeries();
  private _sort: GpuModel.IProcessSort = { key: 'memory', ascending: false };
  private _statusUuid: string | null = null;
}

export namespace GpuModel {
  export interface IOptions {
    /** How far back the charts reach (default 30 minutes, what the kernel keeps). */
    historySeconds?: number;
    /** Samples further apart than this are drawn with a gap between them. */
    gapSeconds?: number;
    /** The sampling interval to open the comm with (default 1 s). */
    intervalMs?: number;
    /** Where the comm comes from; without it the model only takes what `ingest` is given. */
    services?: IWarrenServices;
  }
  /** What `setSessions` reads of a Lab session. */
  export interface ISessionLike {
    readonly kernel?: { readonly id: string } | null;
    readonly type: string;
    readonly path: string;
  }
  export interface IGpuSeries {
    time: number[];
    util: (number | null)[];
    /** Percent of the GPU's memory in use. */
    memory: (number | null)[];
    memoryMiB: (number | null)[];
    power: (number | null)[];
    temperature: (number | null)[];
  }
  export interface IHostSeries {
    time: number[];
    cpu: (number | null)[];
    /** Percent of the host's memory in use. */
    memory: (number | null)[];
    memoryBytes: (number | null)[];
  }
  export type ProcessColumn = 'pid' | 'user' | 'command' | 'gpu' | 'memory' | 'notebook';
  export interface IProcessSort {
    key: ProcessColumn;
    ascending: boolean;
  }
}

/**
 * Appends one point; a point no later than the last is dropped (the history a
 * comm sends first holds the snapshot that follows it). After a silence longer
 * than `gap` a null point is put in, so the chart breaks the line there.
 */
function append(
  series: GpuModel.IGpuSeries | GpuModel.IHostSeries,
  t: number,
  gap: number,
  oldest: number,
  values: Record<string, number | null>
): void {
  // Every column of a series is an array as long as `time`.
  const columns = series as unknown as Record<string, (number | null)[]>;
  const last = series.time[series.time.length - 1];
  if (last !== undefined && t <= last) return;
  const keys = Object.keys(values);
  if (last !== undefined && t - last > gap) {
    series.time.push(last + gap / 2);
    for (const k of keys) columns[k].push(null);
  }
  series.time.push(t);
  for (const k of keys) columns[k].push(values[k]);
  let drop = 0;
  while (drop < series.time.length && series.time[drop] < oldest) drop++;
  if (drop) for (const k of ['time', ...keys]) columns[k].splice(0, drop);
}

function emptyGpuSeries(): GpuModel.IGpuSeries {
  return { time: [], util: [], memory: [], memoryMiB: [], power: [], temperature: [] };
}

function emptyHostSeries(): GpuModel.IHostSeries {
  return { time: [], cpu: [], memory: [], memoryBytes: [] };
}

function percent(used: number | null, total: number | null): number | null {
  return used === null || !total ? null : (100 * used) / total;
}

export function memoryPercent(gpu: GpuInfo): number | null {
  return percent(gpu.memoryUsedMiB, gpu.memoryTotalMiB);
}
