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

  test("equalToFile says how many bytes of the process's memory equal a file's, from an offset, up to the file's end", () => {
    // A buffer of 8 MB is a malloc block of its own (a mapping /proc/self/maps
    // lists); it is found in the process's memory by its first bytes, as the
    // snapshot's copy is.
    const script = `
      const fs = require('fs');
      const { pages } = require(${JSON.stringify(PAGES)});
      const addon = pages();
      if (typeof addon === 'string') throw new Error(addon);
      const size = 8 * 1048576;
      const data = require('crypto').randomBytes(size);
      const copy = Buffer.allocUnsafeSlow(size);
      data.copy(copy);
      const file = require('path').join(require('os').tmpdir(), 'warren-equal-' + process.pid);
      const differing = Buffer.from(data);
      differing[5000000] ^= 0xff;
      fs.writeFileSync(file, differing);
      const memory = fs.openSync('/proc/self/mem', 'r');
      let address = 0n;
      for (const line of fs.readFileSync('/proc/self/maps', 'latin1').split('\\n')) {
        const [range, perms] = line.split(' ');
        if (perms !== 'rw-p') continue;
        const [start, end] = range.split('-').map((h) => BigInt('0x' + h));
        if (end - start < BigInt(size)) continue;
        const chunk = Buffer.alloc(Number(end - start));
        try { fs.readSync(memory, chunk, 0, chunk.length, start); } catch { continue; }
        const head = data.subarray(0, 4096);
        for (let at = chunk.indexOf(head); at >= 0 && !address; at = chunk.indexOf(head, at + 1))
          if (chunk.subarray(at, at + size).equals(copy)) address = start + BigInt(at);
        if (address) break;
      }
      const out = {
        found: address > 0n,
        whole: String(addon.equalToFile(address, BigInt(size), file, 0)),
        from16: String(addon.equalToFile(address + 16n, BigInt(size - 16), file, 16)),
        after: String(addon.equalToFile(address + 5000001n, 1000n, file, 5000001)),
        pastEnd: String(addon.equalToFile(address + BigInt(size - 100), 4096n, file, size - 100)),
      };
      fs.rmSync(file);
      console.log(JSON.stringify(out));
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      found: true,
      whole: '5000000',
      from16: '4999984',
      after: '1000',
      // The file ends 100 bytes on.
      pastEnd: '100'
    });
  });
  test('unmapProgram unmaps the read-only pages of the binary and of the libraries it loaded, which map again as the process uses them', () => {
    // The binary's pages (and the C library's) this process maps, summed from smaps; then code that
    // runs after (a module loaded, a child started, Intl, OpenSSL, a thread) works as before,
    // which it would not had a written page (the dynamic linker's) gone.
    const script = `
      const fs = require('fs');
      const { pages } = require(${JSON.stringify(PAGES)});
      const addon = pages();
      if (typeof addon === 'string') throw new Error(addon);
      const exe = fs.realpathSync('/proc/self/exe');
      const mapped = (of = (file) => file === exe) => {
        let file = null, kB = 0;
        for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
          const head = /^[0-9a-f]+-[0-9a-f]+ \\S+ \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
          if (head) file = head[1];
          else if (of(file) && line.startsWith('Rss:')) kB += Number(line.split(/\\s+/)[1]);
        }
        return kB;
      };
      const libc = (file) => /\\/libc\\.so/.test(file);
      const before = mapped();
      const libcBefore = mapped(libc);
      const range = addon.unmapProgram();
      const after = mapped();
      const libcAfter = mapped(libc);
      const child = require('child_process').execFileSync(process.execPath, ['-e', 'console.log(6 * 7)'], { encoding: 'utf8' }).trim();
      const date = new Intl.DateTimeFormat('de-DE', { timeZone: 'UTC' }).format(new Date(0));
      const zlib = require('zlib').gunzipSync(require('zlib').gzipSync('warren')).toString();
      const hash = require('crypto').createHash('sha256').update('warren').digest('hex').slice(0, 8);
      const { Worker } = require('worker_threads');
      new Worker('require("worker_threads").parentPort.postMessage(6 * 7)', { eval: true }).once('message', (worker) =>
        console.log(JSON.stringify({ before, after, libcBefore, libcAfter, range, child, date, zlib, hash, worker, later: mapped() }))
      );
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const got = JSON.parse(run.stdout) as Record<string, number | string>;
    expect(got).toMatchObject({
      child: '42',
      date: '1.1.1970',
      zlib: 'warren',
      hash: 'b4e78f1c',
      worker: 42
    });
    // The C library's pages went too (not only the binary's).
    expect(got.libcAfter as number).toBeLessThan(got.libcBefore as number);
    // Node maps 30-40 MB of itself as it starts; little of it stays.
    expect(got.before as number).toBeGreaterThan(20 * 1024);
    expect(got.after as number).toBeLessThan((got.before as number) / 4);
    expect(got.range as number).toBeGreaterThan((got.before as number) * 1024);
    expect(got.later as number).toBeGreaterThan(got.after as number);
  });
});
