import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { JSONObject } from '../../src/contract';

/**
 * The fields of a `usage_reply` that jupyter-resource-usage reads, with the
 * same meaning as ipykernel's (psutil): percentages since the previous call.
 */
export class UsageSampler {
  private lastCpu = process.cpuUsage();
  private lastTime = process.hrtime.bigint();
  private lastHost = Private.hostTimes();

  /** Extra fields merged into each reply (the GPU monitor adds its own). */
  constructor(private readonly extra: () => Promise<JSONObject> = async () => ({})) {}

  async sample(): Promise<JSONObject> {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const elapsedUs = Number(now - this.lastTime) / 1000;
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    this.lastCpu = cpu;
    this.lastTime = now;
    const host = Private.hostTimes();
    const busy = host.busy - this.lastHost.busy;
    const total = host.total - this.lastHost.total;
    this.lastHost = host;
    const totalMem = os.totalmem();
    const available = Private.availableMemory() ?? os.freemem();
    return {
      hostname: os.hostname(),
      pid: process.pid,
      kernel_cpu: elapsedUs > 0 ? Private.round((100 * usedUs) / elapsedUs) : 0,
      kernel_memory: process.memoryUsage.rss(),
      host_cpu_percent: total > 0 ? Private.round((100 * busy) / total) : 0,
      cpu_count: os.availableParallelism(),
      host_virtual_memory: {
        total: totalMem,
        available,
        percent: Private.round((100 * (totalMem - available)) / totalMem),
        used: totalMem - available,
        free: os.freemem()
      },
      ...(await this.extra())
    };
  }
}

namespace Private {
  export function round(n: number): number {
    return Math.round(n * 10) / 10;
  }

  export function hostTimes(): { busy: number; total: number } {
    let busy = 0;
    let total = 0;
    for (const cpu of os.cpus()) {
      const t = cpu.times;
      busy += t.user + t.nice + t.sys + t.irq;
      total += t.user + t.nice + t.sys + t.irq + t.idle;
    }
    return { busy, total };
  }

  /** MemAvailable from /proc/meminfo, as psutil reports `available`. */
  export function availableMemory(): number | undefined {
    try {
      const text = readFileSync('/proc/meminfo', 'utf8');
      const m = /^MemAvailable:\s+(\d+) kB/m.exec(text);
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}
