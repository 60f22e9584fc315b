import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotBlob } from './snapshot-copy';

const BUILT = join(__dirname, '..', '..', '..', 'lib', 'kernel', 'engines', 'typescript');

/** Runs `main` (a function's source) in a process started from a snapshot that holds 600,000 objects. */
function fromSnapshot(main: string, env: NodeJS.ProcessEnv = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'warren-snapshot-copy-'));
  const blob = join(folder, 'test.blob');
  writeFileSync(
    join(folder, 'entry.js'),
    `const v8 = require('v8');
globalThis.kept = Array.from({ length: 600000 }, (_, i) => ({ i, s: 'x' + i }));
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const load = require('module').createRequire(${JSON.stringify(join(BUILT, 'x.js'))});
  (${main})(load('./snapshot-copy.js'), ${JSON.stringify(blob)});
});`
  );
  const built = spawnSync(
    process.execPath,
    ['--snapshot-blob', blob, '--build-snapshot', 'entry.js'],
    {
      cwd: folder,
      encoding: 'utf8'
    }
  );
  expect(built.stderr).toBe('');
  const run = spawnSync(process.execPath, ['--snapshot-blob', blob], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072', ...env }
  });
  // It ends well, freeing the block whose pages went.
  expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({
    status: 0,
    signal: null,
    stderr: ''
  });
  return { ...run, blob };
}

test("a process started from a snapshot gives Node's copy of it back, and its heap is intact", () => {
  const run = fromSnapshot(`(copy, blob) => {
    const released = copy.releaseSnapshotCopy(copy.snapshotBlob() === blob ? blob : '');
    const page = Number(require('child_process').execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }));
    // Whether each page is in memory: bit 63 of its entry in /proc/self/pagemap.
    const present = (address, count) => {
      const fs = require('fs');
      const entries = Buffer.alloc(8 * count);
      const map = fs.openSync('/proc/self/pagemap', 'r');
      fs.readSync(map, entries, 0, entries.length, Number(address / BigInt(page)) * 8);
      fs.closeSync(map);
      let n = 0;
      for (let k = 0; k < count; k++) if (entries.readBigUInt64LE(8 * k) >> 63n) n++;
      return n;
    };
    const at = BigInt('0x' + (released.at ?? '0'));
    const pages = Math.floor(released.bytes / page);
    const sum = globalThis.kept.reduce((a, o) => a + o.i + o.s.length, 0);
    process.stdout.write(JSON.stringify({
      released,
      // The block's first page (malloc's header) stays; the pages after it went.
      headerPresent: present(at - BigInt(page), 1),
      stillPresent: present(at, pages),
      sum
    }));
  }`);
  expect(run.stderr).toBe('');
  const { released, headerPresent, stillPresent, sum } = JSON.parse(run.stdout);
  // Its reason, should the addon be missing (no C compiler at build time).
  expect(released.reason).toBeUndefined();
  expect(released.bytes).toBeGreaterThan(8 * 1024 * 1024);
  // The pages really went back to the system; the header Node frees the block by is there.
  expect({ headerPresent, stillPresent }).toEqual({ headerPresent: 1, stillPresent: 0 });
  let expected = 0;
  for (let i = 0; i < 600000; i++) expected += i + `x${i}`.length;
  expect(sum).toBe(expected);
});

test('a Buffer holding the blob is left alone: only the copy Node keeps goes', () => {
  const run = fromSnapshot(`(copy, blob) => {
    const fs = require('fs');
    const held = fs.readFileSync(blob);
    const released = copy.releaseSnapshotCopy(blob);
    process.stdout.write(JSON.stringify({ released, intact: held.equals(fs.readFileSync(blob)) }));
  }`);
  expect(run.stderr).toBe('');
  const { released, intact } = JSON.parse(run.stdout);
  expect(released.reason).toBeUndefined();
  expect(released.bytes).toBeGreaterThan(8 * 1024 * 1024);
  expect(intact).toBe(true);
});

test('the blob is read from the command line either way it is written', () => {
  expect(snapshotBlob(['--max-semi-space-size=2', '--snapshot-blob', '/a/b.blob'])).toBe(
    '/a/b.blob'
  );
  expect(snapshotBlob(['--snapshot-blob=/c.blob'])).toBe('/c.blob');
});
