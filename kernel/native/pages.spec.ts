import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The built module (its addon lies beside it in lib/, where the kernel's build puts it). */
const PAGES = join(__dirname, '..', '..', 'lib', 'kernel', 'native', 'pages.js');

describe('pages', () => {
  test('trim gives back the memory malloc holds free after a collection', () => {
    // 80 MB of small buffers, one in sixteen kept: the free ones lie between
    // live ones, where free() alone gives nothing back.
    const script = `
      const { pages } = require(${JSON.stringify(PAGES)});
      const rss = () => Number(require('fs').readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
      const kept = [];
      let all = [];
      for (let i = 0; i < 40000; i++) {
        const b = Buffer.allocUnsafeSlow(2048);
        b.fill(1);
        all.push(b);
        if (i % 16 === 0) kept.push(b);
      }
      all = null;
      gc();
      gc();
      // V8 frees array buffers' memory on a thread of its own after the collection.
      setTimeout(() => {
        const addon = pages();
        if (typeof addon === 'string') throw new Error(addon);
        const before = rss();
        const released = addon.trim();
        const after = rss();
        console.log(JSON.stringify({ before, after, released, kept: kept.length }));
      }, 300);
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const figures = JSON.parse(run.stdout) as { before: number; after: number; released: boolean };
    expect(figures.released).toBe(true);
    expect(figures.before - figures.after).toBeGreaterThan(30 * 1048576);
  });
});
