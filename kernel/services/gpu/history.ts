import type { GpuHistory, GpuHistoryPoint, GpuSnapshot } from '../../../src/contract/gpu';

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
    const h = snapshot.host;
    this.points.push({
      time: snapshot.time,
      gpus: snapshot.gpus.map((g) => ({
        uuid: g.uuid,
        utilizationGpu: g.utilizationGpu,
        memoryUsedMiB: g.memoryUsedMiB,
        memoryTotalMiB: g.memoryTotalMiB,
        powerDrawW: g.powerDrawW,
        temperatureC: g.temperatureC
      })),
      cpuPercent: h.cpuPercent,
      memUsedBytes:
        h.memTotalBytes !== null && h.memAvailableBytes !== null
          ? h.memTotalBytes - h.memAvailableBytes
          : null,
      memTotalBytes: h.memTotalBytes
    });
    const oldest = snapshot.time - this.keepMs;
    let drop = 0;
    while (drop < this.points.length && this.points[drop].time < oldest) drop++;
    if (drop) this.points.splice(0, drop);
  }

  message(): GpuHistory {
    return { type: 'history', keepMs: this.keepMs, points: [...this.points] };
  }
}
