import type { ChildProcess } from 'node:child_process';

import type {
  GpuInfo,
  GpuProcess,
  GpuSnapshot,
  GpuState,
  HostStats
} from '../../../src/contract/gpu';
import { applyAllocation, readAllocation } from './allocation';
import { HostSampler } from './host';
import type { ComputeApp, GpuSample, ListedGpu } from './nvidia';
import {
  classifyFailure,
  computeAppsArgs,
  LIST_ARGS,
  parseComputeApps,
  parseGpuLine,
  parseList,
  streamArgs
} from './nvidia';
import type { KernelProcess, ParentReader } from './owner';
import { ownerOf, procParentReader } from './owner';
import type { ProcessInfoReader } from './process-info';
import { procInfoReader } from './process-info';
import { parseRocmSmi, ROCM_ARGS } from './rocm';
import { ToolRunner, which } from './tools';

type Env = Record<string, string | undefined>;
export type SnapshotListener = (snapshot: GpuSnapshot) => void;

export const MIN_INTERVAL_MS = 100;
export const MAX_INTERVAL_MS = 60_000;

export interface GpuCollectorOptions {
  /** PATH to find nvidia-smi / rocm-smi in, and the allocation variables. Default: process.env. */
  env?: Env;
  /** Directory whose disk is reported. Default: process.cwd(). */
  cwd?: string;
  intervalMs?: number;
  /** How often compute apps are queried when nothing changes. */
  processesEveryMs?: number;
  /** A tool silent this long is killed and the state becomes `timeout`. Default max(5 s, 3 intervals). */
  timeoutMs?: number;
  /** Wait before trying again after a failure or timeout. */
  retryMs?: number;
  /** The kernels whose process trees own GPU processes. */
  kernels?: () => readonly KernelProcess[];
  parentOf?: ParentReader;
  /** User and command of a GPU pid. Default: /proc and /etc/passwd. */
  processInfo?: ProcessInfoReader;
}

/**
 * Samples every GPU through one long-lived `nvidia-smi --query-gpu ... -lms N`
 * (a line per GPU per tick), compute apps through a short query at a slower
 * cadence or when a GPU's memory changes, and the host through /proc. AMD is
 * polled through `rocm-smi --json`, which has no loop mode. Every failure
 * becomes a snapshot state; nothing throws to listeners.
 */
export class GpuCollector {
  private readonly env: Env;
  private readonly host: HostSampler;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly tools: ToolRunner;
  private intervalMs: number;
  private running = false;
  private generation = 0;
  private stream: ChildProcess | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private batch: GpuSample[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private listed: ListedGpu[] = [];
  private apps: ComputeApp[] = [];
  private appsAt = 0;
  private appsMemory = '';
  private memory = '';
  private appsInFlight = false;
  private emitting: Promise<void> = Promise.resolve();
  private lastSnapshot: GpuSnapshot | null = null;
  private processInfo: ProcessInfoReader | null = null;

  constructor(private readonly options: GpuCollectorOptions = {}) {
    this.env = options.env ?? process.env;
    this.intervalMs = clampInterval(options.intervalMs ?? 1000);
    this.host = new HostSampler({ cwd: options.cwd ?? process.cwd() });
    this.tools = new ToolRunner(this.env, () => this.timeoutMs);
  }

  get latest(): GpuSnapshot | null {
    return this.lastSnapshot;
  }

  get isRunning(): boolean {
    return this.running;
  }

  get interval(): number {
    return this.intervalMs;
  }

  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.begin(++this.generation);
  }

  /** Restarts sampling at a new interval (clamped to 100 ms .. 60 s). */
  configure(intervalMs: number): void {
    const next = clampInterval(intervalMs);
    if (next === this.intervalMs) return;
    this.intervalMs = next;
    if (!this.running) return;
    this.halt();
    void this.begin(++this.generation);
  }

  /** Kills every child and waits for each to be reaped. Safe to call twice. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    this.halt();
    await this.tools.stop();
    await this.emitting;
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? Math.max(5000, 3 * this.intervalMs);
  }

  private get retryMs(): number {
    return this.options.retryMs ?? 10_000;
  }

  private halt(): void {
    for (const t of [this.watchdog, this.timer, this.batchTimer]) if (t) clearTimeout(t);
    this.watchdog = this.timer = this.batchTimer = null;
    this.batch = [];
    if (this.stream) this.stream.kill('SIGTERM');
    this.stream = null;
  }

  private async begin(gen: number): Promise<void> {
    const nvidia = which('nvidia-smi', this.env.PATH);
    if (nvidia) {
      const list = await this.tools.run(nvidia, LIST_ARGS);
      if (gen !== this.generation) return;
      if (list.timedOut)
        return this.fail(gen, 'timeout', `nvidia-smi -L gave no answer in ${this.timeoutMs} ms`);
      if (list.code !== 0) {
        const f = classifyFailure(list.stdout + list.stderr);
        return this.fail(gen, f.state, f.message);
      }
      this.listed = parseList(list.stdout);
      if (this.listed.length === 0) return this.fail(gen, 'no-gpu', 'nvidia-smi lists no GPU');
      this.startStream(gen, nvidia);
      return;
    }
    const rocm = which('rocm-smi', this.env.PATH);
    if (rocm) return this.pollRocm(gen, rocm);
    this.fail(gen, 'no-gpu', 'neither nvidia-smi nor rocm-smi is on PATH');
  }

  /** Publishes a state and tries again later; host figures keep coming meanwhile. */
  private fail(gen: number, state: GpuState, message: string): void {
    if (gen !== this.generation) return;
    const started = Date.now();
    const tick = (): void => {
      if (gen !== this.generation) return;
      this.publish(state, message, null, [], []);
      if (state !== 'no-gpu' && Date.now() - started >= this.retryMs) {
        this.timer = null;
        void this.begin(gen);
        return;
      }
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  private startStream(gen: number, file: string): void {
    const child = this.tools.start(file, streamArgs(this.intervalMs));
    this.stream = child;
    let pending = '';
    let other = '';
    let lines = 0;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (other = (other + d).slice(-4096)));
    child.stdout?.on('data', (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const sample = parseGpuLine(line);
        if (sample) {
          lines++;
          this.armWatchdog(gen, child);
          this.add(gen, sample);
        } else if (line.trim()) {
          other = (other + line + '\n').slice(-4096);
        }
      }
    });
    const ended = (why: string): void => {
      // The watchdog and halt() forget the child first, so only an unexpected end gets here.
      if (gen !== this.generation || this.stream !== child) return;
      this.stream = null;
      if (this.watchdog) clearTimeout(this.watchdog);
      this.watchdog = null;
      const f = classifyFailure(other || `nvidia-smi ${why} after ${lines} lines`);
      this.fail(gen, f.state, f.message);
    };
    child.on('error', (err) => ended(`failed to run: ${err.message}`));
    child.on('close', (code, signal) => ended(`exited (${signal ?? code})`));
    this.armWatchdog(gen, child);
    void this.refreshApps(gen, file);
  }

  private armWatchdog(gen: number, child: ChildProcess): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (gen !== this.generation || this.stream !== child) return;
      this.stream = null;
      this.watchdog = null;
      child.kill('SIGKILL');
      this.fail(gen, 'timeout', `nvidia-smi was silent for ${this.timeoutMs} ms and was killed`);
    }, this.timeoutMs);
  }

  /** Lines of one tick arrive together; a tick ends when the index wraps or the pipe goes quiet. */
  private add(gen: number, sample: GpuSample): void {
    const last = this.batch[this.batch.length - 1];
    if (last && sample.index <= last.index) this.flush(gen);
    this.batch.push(sample);
    if (this.batch.length >= Math.max(1, this.listed.length)) {
      this.flush(gen);
      return;
    }
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = setTimeout(() => this.flush(gen), 50);
  }

  private flush(gen: number): void {
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.batchTimer = null;
    const samples = this.batch;
    this.batch = [];
    if (samples.length === 0 || gen !== this.generation) return;
    const gpus = samples.map((s): Omit<GpuInfo, 'allocated' | 'cudaIndex'> => {
      const gpu: Omit<GpuInfo, 'allocated' | 'cudaIndex'> & { timestamp?: string } = {
        ...s,
        migDevices: this.listed.find((l) => l.uuid === s.uuid)?.migDevices ?? []
      };
      delete gpu.timestamp;
      return gpu;
    });
    this.publish('ok', null, 'nvidia-smi', gpus, this.apps);
    // A process that starts or ends on a GPU changes its memory: query apps then, not only on the slow cadence.
    this.memory = samples.map((s) => `${s.uuid}=${s.memoryUsedMiB}`).join(',');
    const nvidia = this.stream?.spawnfile;
    if (
      nvidia &&
      (this.memory !== this.appsMemory ||
        Date.now() - this.appsAt >= (this.options.processesEveryMs ?? 5000))
    ) {
      void this.refreshApps(gen, nvidia);
    }
  }

  private async refreshApps(gen: number, file: string): Promise<void> {
    if (this.appsInFlight) return;
    this.appsInFlight = true;
    this.appsAt = Date.now();
    this.appsMemory = this.memory;
    try {
      const r = await this.tools.run(file, computeAppsArgs());
      if (gen === this.generation && r.code === 0) this.apps = parseComputeApps(r.stdout);
    } finally {
      this.appsInFlight = false;
    }
  }

  private pollRocm(gen: number, file: string): void {
    const tick = async (): Promise<void> => {
      if (gen !== this.generation) return;
      const r = await this.tools.run(file, ROCM_ARGS);
      if (gen !== this.generation) return;
      if (r.timedOut)
        return this.fail(gen, 'timeout', `rocm-smi gave no answer in ${this.timeoutMs} ms`);
      const gpus = r.code === 0 ? parseRocmSmi(r.stdout) : null;
      if (!gpus)
        return this.fail(
          gen,
          'error',
          (r.stderr || r.stdout).trim().split('\n')[0] || 'rocm-smi failed'
        );
      this.publish(
        gpus.length ? 'ok' : 'no-gpu',
        gpus.length ? null : 'rocm-smi lists no GPU',
        'rocm-smi',
        gpus,
        []
      );
      this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    void tick();
  }

  private publish(
    state: GpuState,
    message: string | null,
    source: GpuSnapshot['source'],
    gpus: Omit<GpuInfo, 'allocated' | 'cudaIndex'>[],
    apps: readonly ComputeApp[]
  ): void {
    const gen = this.generation;
    this.emitting = this.emitting.then(async () => {
      const host = await this.host.sample().catch((): HostStats | null => null);
      if (gen !== this.generation || !host) return;
      const allocation = readAllocation(this.env);
      const placed = applyAllocation(gpus, allocation);
      const snapshot: GpuSnapshot = {
        type: 'snapshot',
        time: Date.now(),
        state,
        message,
        source,
        allocation: allocation.source,
        gpus: placed,
        processes: this.owners(apps, placed),
        host
      };
      this.lastSnapshot = snapshot;
      for (const listener of this.listeners) {
        try {
          listener(snapshot);
        } catch {
          // A listener's fault must not stop sampling for the others.
        }
      }
    });
  }

  private owners(apps: readonly ComputeApp[], gpus: readonly GpuInfo[]): GpuProcess[] {
    const kernels = this.options.kernels?.() ?? [];
    const parentOf = this.options.parentOf ?? procParentReader();
    const info = (this.processInfo ??= this.options.processInfo ?? procInfoReader());
    return apps.map((a) => {
      const owner = kernels.length ? ownerOf(a.pid, kernels, parentOf) : null;
      return {
        ...info(a.pid),
        pid: a.pid,
        gpuUuid: a.gpuUuid,
        gpuIndex: gpus.find((g) => g.uuid === a.gpuUuid)?.index ?? null,
        usedMemoryMiB: a.usedMemoryMiB,
        ownerPid: owner?.pid ?? null,
        ownerKernelId: owner?.kernelId ?? null
      };
    });
  }
}

function clampInterval(ms: number): number {
  if (!Number.isFinite(ms)) return 1000;
  return Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, Math.round(ms)));
}
