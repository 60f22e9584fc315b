/**
 * Issue 17: a notebook run with parameters but without a cell tagged
 * `parameters` warns, on the command line and in the output notebook, instead
 * of letting the notebook's own assignment win in silence.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NotebookLike } from './cluster/fixtures';
import { cellText, dataDirWithWarren, tempDir, warren, writeNotebook } from './cluster/fixtures';

jest.setTimeout(120000);

let data: string;
let dir: string;
const env = () => ({ JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' });
type WithTypes = NotebookLike & { cells: { cell_type: string }[]; metadata: { warren?: unknown } };
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as WithTypes;

beforeAll(() => {
  data = dataDirWithWarren();
  dir = tempDir('warren-params-');
});

test('warren run -p on a notebook with no parameters cell warns on stderr and in the output notebook', async () => {
  const nb = writeNotebook(join(dir, 'untagged.ipynb'), [
    { source: "const subject = 'sub-01';" },
    { source: 'console.log(subject)' }
  ]);
  const out = join(dir, 'untagged.out.ipynb');
  const r = await warren(['run', nb, '-o', out, '-p', 'subject=sub-02'], env());
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/no cell tagged "parameters", so subject was put in a new first cell/);
  const result = read(out);
  expect(result.cells[0].cell_type).toBe('markdown');
  expect(String(result.cells[0].source)).toMatch(
    /^\*\*Warning:\*\* this notebook has no cell tagged "parameters"/
  );
  expect(result.cells[1].metadata.tags).toEqual(['injected-parameters']);
  // What the warning is about: the notebook's own value won.
  expect(cellText(result, 3)).toBe('sub-01\n');
  expect(JSON.stringify(result.metadata.warren)).toMatch(/no cell tagged/);
});

test('a notebook with a parameters cell gets no warning', async () => {
  const nb = writeNotebook(join(dir, 'tagged.ipynb'), [
    { source: "const subject = 'sub-01';", tags: ['parameters'] },
    { source: 'console.log(subject)' }
  ]);
  const out = join(dir, 'tagged.out.ipynb');
  const r = await warren(['run', nb, '-o', out, '-p', 'subject=sub-02'], env());
  expect(r.code).toBe(0);
  expect(r.stderr).not.toMatch(/parameters/);
  const result = read(out);
  expect(result.cells.map((_, i) => result.cells[i].cell_type)).toEqual(['code', 'code', 'code']);
  expect(cellText(result, 2)).toBe('sub-02\n');
});

test('an injected TypeScript parameter is a variable of the widened type: a later cell assigns it and compares it', async () => {
  const nb = writeNotebook(join(dir, 'typed.ipynb'), [
    { source: "let n = 2;\nconst subject: string = 'all';", tags: ['parameters'] },
    { source: "n = n + 1;\nconsole.log(n, subject === 'all' ? 'every subject' : subject)" }
  ]);
  const out = join(dir, 'typed.out.ipynb');
  const r = await warren(['run', nb, '-o', out, '-p', 'n=5', '-p', 'subject=sub-01'], env());
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  expect(cellText(read(out), 2)).toBe('6 sub-01\n');
});

test('warren submit -p on a notebook with no parameters cell warns before it submits', async () => {
  const settings = tempDir('warren-params-settings-');
  mkdirSync(join(settings, 'warren'), { recursive: true });
  // A host nothing listens on: the warning must come before the submit is tried.
  writeFileSync(
    join(settings, 'warren', 'runs.jupyterlab-settings'),
    JSON.stringify({
      profiles: [
        {
          name: 'nowhere',
          kind: 'ssh',
          host: '127.0.0.1',
          port: 1,
          user: 'root',
          workdir: '/tmp/w'
        }
      ]
    })
  );
  const nb = writeNotebook(join(dir, 'submit-untagged.ipynb'), [
    { source: "const subject = 'sub-01';" }
  ]);
  const r = await warren(['submit', nb, '--profile', 'nowhere', '-p', 'subject=sub-02'], {
    ...env(),
    JUPYTERLAB_SETTINGS_DIR: settings
  });
  expect(r.stderr).toMatch(/no cell tagged "parameters", so subject was put in a new first cell/);
  expect(r.stderr.indexOf('no cell tagged')).toBeLessThan(r.stderr.indexOf('profile nowhere'));
});

test('a number is injected as it was typed: 1.0 stays a Python float, a 23-digit integer keeps its digits (a bigint in TypeScript)', async () => {
  const big = '12345678901234567890123';
  const py = writeNotebook(
    join(dir, 'numbers.ipynb'),
    [
      { source: 'alpha = 0.5\nbig = 0\nxs = []', tags: ['parameters'] },
      { source: 'print(repr(alpha), type(alpha).__name__, big, big % 1000, xs)' }
    ],
    'python3'
  );
  const args = ['-p', 'alpha=1.0', '-p', `big=${big}`, '-p', 'xs=[2.50, -3, 1e3]'];
  const r = await warren(['run', py, '-o', join(dir, 'numbers.out.ipynb'), ...args], env());
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  const result = read(join(dir, 'numbers.out.ipynb'));
  expect(result.cells[1].source).toBe(`alpha = 1.0\nbig = ${big}\nxs = [2.50, -3, 1e3]`);
  expect(cellText(result, 2)).toBe(`1.0 float ${big} 123 [2.5, -3, 1000.0]\n`);
  // The metadata keeps the digits a double would change.
  expect(JSON.stringify(result.metadata.warren)).toContain(
    `"parameters":{"alpha":1,"big":"${big}","xs":[2.5,-3,1000]}`
  );

  const ts = writeNotebook(join(dir, 'numbers-ts.ipynb'), [
    { source: 'let alpha = 0.5;\nlet big = 0n;', tags: ['parameters'] },
    { source: 'console.log(alpha, typeof big, String(big), String(big % 1000n))' }
  ]);
  const t = await warren(['run', ts, '-p', 'alpha=1.0', '-p', `big=${big}`], env());
  expect([t.code, t.stderr]).toEqual([0, expect.any(String)]);
  expect(read(ts).cells[1].source).toBe(`let alpha = 1.0;\nlet big = ${big}n;`);
  expect(cellText(read(ts), 2)).toBe(`1 bigint ${big} 123\n`);

  // What no double holds is refused, not run as Infinity.
  const huge = await warren(['run', ts, '-p', 'x=1e400'], env());
  expect(huge.code).toBe(2);
  expect(huge.stderr).toMatch(/parameter x: 1e400 is beyond a 64-bit float/);
});

test("parameter names are checked in the notebook's language: a non-ASCII identifier is taken, a reserved word is a usage error", async () => {
  const py = writeNotebook(
    join(dir, 'names.ipynb'),
    [{ source: 'größe = 1\n_n = 0', tags: ['parameters'] }, { source: 'print(größe, _n)' }],
    'python3'
  );
  const ok = await warren(['run', py, '-p', 'größe=3', '-p', '_n=4'], env());
  expect([ok.code, ok.stderr]).toEqual([0, expect.any(String)]);
  expect(cellText(read(py), 2)).toBe('3 4\n');
  for (const [name, why] of [
    ['class', 'is a reserved word in python'],
    ['def', 'is a reserved word in python'],
    ['None', 'is a reserved word in python'],
    ['$x', 'is not an identifier in python'],
    ['x²', 'is not an identifier in python']
  ]) {
    const r = await warren(['run', py, '-p', `${name}=1`], env());
    expect([name, r.code, r.stderr]).toEqual([
      name,
      2,
      expect.stringContaining(`parameter name "${name}" ${why}`)
    ]);
    expect(r.stderr).toMatch(/usage:\n {2}warren run NOTEBOOK/);
  }

  // TypeScript has other words: def and $x are names there, let and class are not.
  const ts = writeNotebook(join(dir, 'names-ts.ipynb'), [
    { source: 'let größe = 1;', tags: ['parameters'] },
    { source: 'console.log(größe, def, $x)' }
  ]);
  const t = await warren(['run', ts, '-p', 'größe=3', '-p', 'def=4', '-p', '$x=5'], env());
  expect([t.code, t.stderr]).toEqual([0, expect.any(String)]);
  expect(cellText(read(ts), 2)).toBe('3 4 5\n');
  for (const name of ['class', 'let', 'eval', 'require']) {
    const r = await warren(['run', ts, '-p', `${name}=1`], env());
    expect([name, r.code, r.stderr]).toEqual([
      name,
      2,
      expect.stringContaining(`parameter name "${name}" is`)
    ]);
  }
});
