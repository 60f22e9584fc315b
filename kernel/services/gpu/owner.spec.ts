import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ownerOf, parseStatParent } from './owner';

const capture = readFileSync(
  join(__dirname, '../../../test/fixtures/gpu/h100/load-proc.txt'),
  'utf8'
);

/** The /proc/<pid>/stat lines captured on the GPU machine for the torch process and its ancestors. */
const stats = new Map<number, string>();
for (const m of capture.matchAll(/^ {2}stat: ((\d+) .*)$/gm)) stats.set(Number(m[2]), m[1]);

describe('owner of a GPU process', () => {
  it('reads the parent from a stat line, even when the name holds ") "', () => {
    expect(parseStatParent('491 (python3) R 401 400 400 0 -1')).toBe(401);
    expect(parseStatParent('77 (a) b (c) S 12 77 77 0')).toBe(12);
    expect(parseStatParent('garbage')).toBeNull();
  });

  it('walks the captured chain from the torch pid up to the kernel that started it', () => {
    expect([...stats.keys()]).toEqual([491, 401, 400, 396, 1]);
    const parentOf = (pid: number): number | null => {
      const s = stats.get(pid);
      return s === undefined ? null : parseStatParent(s);
    };
    expect(ownerOf(491, [{ pid: 396, kernelId: 'k-396' }], parentOf)).toEqual({
      pid: 396,
      kernelId: 'k-396'
    });
    expect(ownerOf(491, [{ pid: 491 }], parentOf)).toEqual({ pid: 491, kernelId: null });
    expect(ownerOf(491, [{ pid: 9999, kernelId: 'other' }], parentOf)).toBeNull();
    expect(ownerOf(12345, [{ pid: 396 }], parentOf)).toBeNull();
  });

  it('finds this process as the owner of a grandchild in the live /proc', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      stdio: ['ignore', 'pipe', 'ignore']
    });
    let grandchild = 0;
    try {
      grandchild = await new Promise<number>((resolve) =>
        child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())))
      );
      expect(grandchild).toBeGreaterThan(0);
      expect(ownerOf(grandchild, [{ pid: 1 }, { pid: process.pid, kernelId: 'me' }])).toEqual({
        pid: process.pid,
        kernelId: 'me'
      });
      expect(ownerOf(grandchild, [{ pid: process.ppid + 1e6 }])).toBeNull();
    } finally {
      // Kill the sleep and let its sh reap it and exit: killing sh first would leave the sleep to init.
      const closed = new Promise((r) => child.once('close', r));
      if (grandchild > 0) process.kill(grandchild, 'SIGKILL');
      else child.kill('SIGKILL');
      await closed;
    }
  });
});
