import { readFile, statfs } from 'node:fs/promises';
import { cpus } from 'node:os';

import type { HostStats } from '../../../src/contract/gpu';

type CpuTimes = { busy: number; total: number };

/** The aggregate `cpu` line of /proc/stat; iowait counts as idle, as top does. */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return null;
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 5 || v.some((n) => !Number.isFinite(n))) return null;
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3] + v[4];
  return { busy: total - idle, total };
}

/** MemTotal and MemAvailable of /proc/meminfo, in bytes. */
export function parseMeminfo(text: string): { total: number | null; available: number | null } {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  return { total: kb('MemTotal'), available: kb('MemAvailable') };
}

export interface HostSamplerOptions {
  /** The directory whose file system's usage is reported. */
  cwd: string;
  procRoot?: string;
}

/** CPU (a delta between two samples), RAM and disk, as Colab shows them. */
export class HostSampler {
  private last: CpuTimes | null = null;
  private readonly cpuCount = cpus().length;

  constructor(private readonly options: HostSamplerOptions) {}

  async sample(): Promise<HostStats> {
    const proc = this.options.procRoot ?? '/proc';
    const [stat, meminfo, disk] = await Promise.all([
      readFile(`${proc}/stat`, 'utf8').catch(() => ''),
      readFile(`${proc}/meminfo`, 'utf8').catch(() => ''),
      statfs(this.options.cwd).catch(() => null)
    ]);
    const now = parseProcStat(stat);
    let cpuPercent: number | null = null;
    if (now && this.last && now.total > this.last.total) {
      cpuPercent = (100 * (now.busy - this.last.busy)) / (now.total - this.last.total);
    }
    this.last = now;
    const mem = parseMeminfo(meminfo);
    return {
      cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10,
      cpuCount: this.cpuCount,
      memTotalBytes: mem.total,
      memAvailableBytes: mem.available,
      diskPath: this.options.cwd,
      diskTotalBytes: disk ? disk.blocks * disk.bsize : null,
      diskFreeBytes: disk ? disk.bavail * disk.bsize : null
    };
  }
}
