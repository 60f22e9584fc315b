import { cpus, tmpdir } from 'node:os';
import { statfsSync } from 'node:fs';

import { HostSampler, parseMeminfo, parseProcStat } from './host';

describe('host figures', () => {
  it('counts iowait as idle in /proc/stat', () => {
    expect(parseProcStat('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 1 1 1 1')).toEqual({
      busy: 150,
      total: 1000
    });
    expect(parseProcStat('intr 1 2')).toBeNull();
  });

  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(
      parseMeminfo('MemTotal:       16384 kB\nMemFree: 1 kB\nMemAvailable:    8192 kB\n')
    ).toEqual({
      total: 16384 * 1024,
      available: 8192 * 1024
    });
  });

  it('samples this machine: CPU from the second sample on, RAM and the disk of cwd', async () => {
    const sampler = new HostSampler({ cwd: tmpdir() });
    const first = await sampler.sample();
    expect(first.cpuPercent).toBeNull();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i; // some CPU between the samples
    const second = await sampler.sample();
    expect(x).toBeGreaterThan(0);
    expect(second.cpuPercent).not.toBeNull();
    expect(second.cpuPercent ?? -1).toBeGreaterThan(0);
    expect(second.cpuPercent ?? 101).toBeLessThanOrEqual(100);
    expect(second.cpuCount).toBe(cpus().length);
    expect(second.memTotalBytes ?? 0).toBeGreaterThan(second.memAvailableBytes ?? Infinity);
    const fs = statfsSync(tmpdir());
    expect(second.diskTotalBytes).toBe(fs.blocks * fs.bsize);
    expect(second.diskPath).toBe(tmpdir());
  });
});
