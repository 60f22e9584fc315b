import type { GpuHistory, GpuHistoryPoint, GpuSnapshot } from '../../../src/contract/gpu';
import { historyPoint } from '../../../src/contract/gpu';

/** The collector's memory for the charts: 30 minutes, as nvdashboard keeps none past the page. */
export const HISTORY_KEEP_MS = 30 * 60 * 1000;

/**
 * The last `keepMs` of snapshots, reduced to what the charts draw. It outlives
 * a collector (the comm target owns it), so a reload that closes the last comm
 * and opens a new one still finds the history; the time nothing sampled is a
 * gap, which the panel draws as one.
 */
export class GpuHistoryBuffer {
  private readonly points: GpuHistoryPoint[] = [];

  constructor(readonly keepMs = HISTORY_KEEP_MS) {}

  get size(): number {
    return this.points.length;
  }

  add(snapshot: GpuSnapshot): void {
    this.points.push(historyPoint(snapshot));
    const oldest = snapshot.time - this.keepMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].time < oldest) drop++;
    if (drop) this.points.splice(0, drop);
  }

  message(): GpuHistory {
    return { type: 'history', keepMs: this.keepMs, points: [...this.points] };
  }
}
