import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from './compiler-process';
import { Converter, createRegistry } from './converter';

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'warren-replay-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const converter = () =>
  new Converter({
    isJS: false,
    cwd: folder,
    globals: 'declare const display: (value: unknown) => void;\n',
    registry: createRegistry()
  });
const messages = (c: Converter, src: string) => c.convert(src).diagnostics.map((d) => d.message);

describe('a compiler that replaces one that ended', () => {
  test('is given each committed cell: by its declarations (their text alone where the cell ran whole), or by its source when they never came', () => {
    const c = converter();
    replay(c, { declarations: 'declare const epochs: number;', notRun: [] });
    replay(c, 'declare const labels: string[];');
    replay(c, { declarations: '', notRun: [], source: 'const rates: string[] = ["a"]' });
    replay(c, { declarations: '', notRun: ['lost'], source: 'const kept = 1; const lost = 2' });
    expect(
      messages(
        c,
        'epochs.toFixed(1); labels.map((l) => l.length); rates.map((r) => r.toUpperCase()); kept + 1'
      )
    ).toEqual([]);
    // A value that never ran is not declared.
    expect(messages(c, 'lost')[0]).toMatch(/Cannot find name 'lost'/);
  });

  test('skips a cell whose source no longer checks, and goes on with the rest', () => {
    const c = converter();
    replay(c, { declarations: '', notRun: [], source: 'const bad: number = "x"' });
    replay(c, { declarations: 'declare const after: number;', notRun: [] });
    expect(messages(c, 'after + 1')).toEqual([]);
  });
});
