import type { Dirent } from 'node:fs';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FOLDER_WAIT_MS, ShellCompleter } from './complete';

const root = mkdtempSync(join(tmpdir(), 'warren-complete-'));
const bin = join(root, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'mrconvert'), '');
writeFileSync(join(bin, 'mrinfo'), '');
mkdirSync(join(root, 'data'));
writeFileSync(join(root, 'data', 'dwi.mif'), '');

/** Folders read for real, but those under `hung` (a mount of its own) never answer; counts the reads of each. */
function volume(hung: string) {
  const reads = new Map<string, number>();
  const reader = {
    read: (dir: string): Promise<Dirent[]> => {
      reads.set(dir, (reads.get(dir) ?? 0) + 1);
      if (dir.startsWith(hung)) return new Promise(() => undefined);
      return readdir(dir, { withFileTypes: true });
    },
    // The hung folders are one remote volume; the rest are local.
    volumes: () => (dir: string) => (dir.startsWith(hung) ? 'hung' : null)
  };
  return { reader, reads };
}

test('command names and paths come from the folders that answer; a hung folder is left out in time', async () => {
  const hung = join(root, 'hung');
  const { reader, reads } = volume(hung);
  const completer = new ShellCompleter(() => ({ cwd: root, path: `${hung}/bin:${bin}` }), reader);
  const started = Date.now();
  const commands = await completer.complete('!mr', 3, 0);
  expect(Date.now() - started).toBeLessThan(FOLDER_WAIT_MS + 1500);
  expect(commands).toEqual({ matches: ['mrconvert', 'mrinfo'], cursorStart: 1, cursorEnd: 3 });
  const paths = await completer.complete('!mrinfo data/d', 14, 0);
  expect(paths.matches).toEqual(['data/dwi.mif']);
  // A path on the hung volume: nothing, in time.
  const onHung = await completer.complete(`!ls ${hung}/`, 5 + hung.length, 0);
  expect(onHung.matches).toEqual([]);
  // Asked again, nothing more is read there while the first read waits.
  await completer.complete(`!ls ${hung}/`, 5 + hung.length, 0);
  await completer.complete('!mr', 3, 0);
  expect([...reads.entries()].filter(([d]) => d.startsWith(hung))).toEqual([[`${hung}/bin`, 1]]);
  // Once PATH's names are read again, the hung folder answers nothing at once.
  const again = Date.now();
  expect((await completer.complete(`!ls ${hung}/bin/`, 9 + hung.length, 0)).matches).toEqual([]);
  expect(Date.now() - again).toBeLessThan(FOLDER_WAIT_MS - 100);
});

test('a hung volume holds one read, though four of its folders are on PATH; local folders still complete', async () => {
  const hung = join(root, 'hung2');
  const { reader, reads } = volume(hung);
  const path = ['bin', 'sbin', 'tools/bin', 'tools/sbin'].map((b) => join(hung, b)).join(':');
  const completer = new ShellCompleter(() => ({ cwd: root, path: `${path}:${bin}` }), reader);
  expect((await completer.complete('!mr', 3, 0)).matches).toEqual(['mrconvert', 'mrinfo']);
  for (const sub of ['a/', 'b/', 'c/']) {
    const word = `${hung}/${sub}`;
    expect((await completer.complete(`!ls ${word}`, 5 + word.length, 0)).matches).toEqual([]);
  }
  // One thread waits on the hung volume, not seven.
  expect([...reads.keys()].filter((d) => d.startsWith(hung))).toEqual([`${hung}/bin`]);
  expect((await completer.complete('!ls data/', 9, 0)).matches).toEqual(['data/dwi.mif']);
});

test("a folder put on PATH (a toolbox accepted) completes its commands at once, not after the names' 10 s", async () => {
  const tools = join(root, 'tools-bin');
  mkdirSync(tools);
  writeFileSync(join(tools, 'mrnew'), '');
  let path = bin;
  const completer = new ShellCompleter(() => ({ cwd: root, path }));
  expect((await completer.complete('!mr', 3, 0)).matches).toEqual(['mrconvert', 'mrinfo']);
  path = `${tools}:${bin}`;
  expect((await completer.complete('!mr', 3, 0)).matches).toEqual(['mrconvert', 'mrinfo', 'mrnew']);
  path = bin;
  expect((await completer.complete('!mr', 3, 0)).matches).toEqual(['mrconvert', 'mrinfo']);
});
