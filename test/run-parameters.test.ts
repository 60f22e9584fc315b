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
