import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import { isGpuConfigure } from '../../src/contract/gpu';
import { GpuCollector } from '../services/gpu/collector';
import { GpuHistoryBuffer } from '../services/gpu/history';
import type { Comm, CommTarget } from './comm';

export interface GpuCommTargetOptions {
  /** Builds the collector when the first comm opens; main.ts passes the kernels to attribute. */
  createCollector?: () => GpuCollector;
  /** How much history a new comm is sent first (default: 30 minutes). */
  history?: GpuHistoryBuffer;
}

/**
 * `warren.gpu`: every open comm shares one collector, started by the first
 * open and stopped (its nvidia-smi killed and reaped) when the last closes.
 * Snapshots go out as `{type: 'snapshot', ...}`; the frontend may send
 * `{type: 'configure', intervalMs}`, which changes the interval for all.
 * Each comm is first sent `{type: 'history', ...}`: the last 30 minutes, kept
 * here across collectors, so a page reloaded after its comm closed (the last
 * one, which stopped sampling) still finds what came before.
 */
export class GpuCommTarget implements CommTarget {
  readonly name = CommTargets.gpu;
  private collector: GpuCollector | null = null;
  private stopping: Promise<void> = Promise.resolve();
  private readonly open_ = new Map<string, () => void>();
  private readonly history: GpuHistoryBuffer;
  private unrecord: (() => void) | null = null;

  constructor(private readonly options: GpuCommTargetOptions = {}) {
    this.history = options.history ?? new GpuHistoryBuffer();
  }

  /** How many comms are open. */
  get size(): number {
    return this.open_.size;
  }

  open(comm: Comm, data: JSONObject): void {
    if (this.open_.has(comm.id)) return;
    const collector = (this.collector ??= (
      this.options.createCollector ?? (() => new GpuCollector())
    )());
    this.unrecord ??= collector.subscribe((snapshot) => this.history.add(snapshot));
    comm.send(this.history.message());
    const unsubscribe = collector.subscribe((snapshot) => comm.send(snapshot));
    this.open_.set(comm.id, unsubscribe);
    comm.onMessage((msg) => {
      if (isGpuConfigure(msg)) collector.configure(msg.intervalMs);
    });
    comm.onClose(() => this.closed(comm.id));
    if (isGpuConfigure({ type: 'configure', intervalMs: data.intervalMs }))
      collector.configure(Number(data.intervalMs));
    // A late joiner sees the latest figures at once rather than after a tick.
    if (collector.latest) comm.send(collector.latest);
    collector.start();
  }

  /** Stops the collector whatever is open; safe to call twice. */
  async dispose(): Promise<void> {
    for (const unsubscribe of this.open_.values()) unsubscribe();
    this.open_.clear();
    this.unrecord?.();
    this.unrecord = null;
    const collector = this.collector;
    this.collector = null;
    if (collector) this.stopping = collector.stop();
    await this.stopping;
  }

  private closed(id: string): void {
    const unsubscribe = this.open_.get(id);
    if (!unsubscribe) return;
    unsubscribe();
    this.open_.delete(id);
    if (this.open_.size === 0 && this.collector) {
      this.unrecord?.();
      this.unrecord = null;
      this.stopping = this.collector.stop();
      this.collector = null;
    }
  }
}
