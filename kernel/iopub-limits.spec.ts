import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iopubLimits, isJupyterServer } from './iopub-limits';

/** A /proc with one process, 4242, running `argv`. */
function procWith(argv: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'warren-proc-'));
  mkdirSync(join(root, '4242'));
  writeFileSync(join(root, '4242', 'cmdline'), argv.join('\0') + '\0');
  return root;
}

const SERVER = { bytesPerSecond: 1_000_000, messagesPerSecond: 1000, windowSeconds: 3 };

describe('iopubLimits', () => {
  test.each([
    ['jupyter lab', ['/venv/bin/python', '/venv/bin/jupyter-lab', '--port', '8888']],
    ['jupyter server', ['/usr/bin/python3', '/usr/local/bin/jupyter-server']],
    ['Notebook 7', ['python3', '/opt/conda/bin/jupyter-notebook']],
    [
      'a JupyterHub single-user server',
      ['/opt/conda/bin/python', '/opt/conda/bin/jupyterhub-singleuser']
    ],
    ['python -m jupyterlab', ['python', '-m', 'jupyterlab', '--no-browser']],
    ['python -m jupyter_server', ['/usr/bin/python3', '-m', 'jupyter_server']]
  ])('a kernel launched by %s keeps below the server default limit', (_, argv) => {
    const proc = procWith(argv);
    expect(iopubLimits({ JPY_PARENT_PID: '4242' }, proc)).toEqual(SERVER);
  });

  test.each([
    ['nbclient', ['python', '-m', 'nbclient', 'run.ipynb']],
    ['a script', ['/usr/bin/python3', '/home/me/run.py']],
    ['VS Code', ['/usr/share/code/code', '--type=utility']],
    ['warren itself', ['/usr/bin/node', '/opt/warren/lib/kernel/cli/warren.js', 'run', 'nb.ipynb']]
  ])('a kernel launched by %s sends every byte', (_, argv) => {
    const proc = procWith(argv);
    expect(iopubLimits({ JPY_PARENT_PID: '4242' }, proc)).toBeNull();
  });

  test('without JPY_PARENT_PID, or with a launcher gone, there is no limit', () => {
    const proc = procWith(['/venv/bin/python', '/venv/bin/jupyter-lab']);
    expect(iopubLimits({}, proc)).toBeNull();
    expect(iopubLimits({ JPY_PARENT_PID: '99999' }, proc)).toBeNull();
    expect(iopubLimits({ JPY_PARENT_PID: 'x' }, proc)).toBeNull();
    expect(isJupyterServer(99999, proc)).toBe(false);
  });

  test('WARREN_IOPUB_RATE_LIMIT, _MSG_RATE_LIMIT and _RATE_WINDOW say a server changed its limits', () => {
    const proc = procWith(['/venv/bin/python', '/venv/bin/jupyter-lab']);
    const env = { JPY_PARENT_PID: '4242' };
    expect(
      iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: '0', WARREN_IOPUB_MSG_RATE_LIMIT: '0' }, proc)
    ).toBeNull();
    // Each limit on its own: the other keeps the server's default.
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: '0' }, proc)).toEqual({
      ...SERVER,
      bytesPerSecond: 0
    });
    expect(iopubLimits({ ...env, WARREN_IOPUB_MSG_RATE_LIMIT: '10000' }, proc)).toEqual({
      ...SERVER,
      messagesPerSecond: 10000
    });
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: '1e7' }, proc)).toEqual({
      ...SERVER,
      bytesPerSecond: 1e7
    });
    // Without a server found, only what was said.
    expect(
      iopubLimits({ WARREN_IOPUB_RATE_LIMIT: '500000', WARREN_IOPUB_RATE_WINDOW: '10' })
    ).toEqual({ bytesPerSecond: 500000, messagesPerSecond: 0, windowSeconds: 10 });
    // Nonsense is not taken for a limit: the server's own defaults stand.
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: 'lots' }, proc)).toEqual(SERVER);
    expect(iopubLimits({ ...env, WARREN_IOPUB_MSG_RATE_LIMIT: '-5' }, proc)).toEqual(SERVER);
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_WINDOW: '-1' }, proc)).toEqual(SERVER);
  });
});
