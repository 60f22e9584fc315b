import { execFileSync } from 'node:child_process';
import { forgetFixedMmapThreshold, withFixedMmapThreshold } from './malloc';

describe('the fixed mmap threshold', () => {
  test('a warren process gets one, and its children get the environment the user had', () => {
    const env = withFixedMmapThreshold({ PATH: process.env.PATH });
    expect(env.MALLOC_MMAP_THRESHOLD_).toBe('131072');
    forgetFixedMmapThreshold(env);
    expect(env).toEqual({ PATH: process.env.PATH });
  });

  test("the user's own threshold is kept, in the process and in its children", () => {
    const env = withFixedMmapThreshold({ MALLOC_MMAP_THRESHOLD_: '65536' });
    forgetFixedMmapThreshold(env);
    expect(env).toEqual({ MALLOC_MMAP_THRESHOLD_: '65536' });
  });

  test('glibc reads it: a process started so keeps a freed 1 MB block out of its heap', () => {
    // Free a 1 MB buffer (raising the dynamic threshold), then allocate and
    // keep 64 more: without a fixed threshold they come from the heap. V8
    // frees a buffer's memory on a thread of its own after the collection:
    // the allocations wait for it (a loaded CI machine once freed it after them).
    const script = [
      'let keep = Buffer.allocUnsafeSlow(1 << 20); keep = null; gc();',
      'setTimeout(() => {',
      'const bufs = []; for (let i = 0; i < 64; i++) bufs.push(Buffer.allocUnsafeSlow(1 << 20).fill(1));',
      'const heap = require("fs").readFileSync("/proc/self/smaps", "utf8").split(/\\n(?=[0-9a-f]+-)/)',
      '  .filter((m) => m.split("\\n")[0].endsWith("[heap]"))',
      '  .reduce((n, m) => n + Number(/\\nRss:\\s+(\\d+)/.exec(m)[1]), 0);',
      'console.log(Math.round(heap / 1024), bufs.length);',
      '}, 500);'
    ].join('\n');
    const heapMb = (env: NodeJS.ProcessEnv) =>
      Number(
        execFileSync(process.execPath, ['--expose-gc', '-e', script], {
          env,
          encoding: 'utf8'
        }).split(' ')[0]
      );
    const plain = { ...process.env };
    delete plain.MALLOC_MMAP_THRESHOLD_;
    expect(heapMb(plain)).toBeGreaterThan(48);
    expect(heapMb(withFixedMmapThreshold(plain))).toBeLessThan(16);
  });
});
