/**
 * `npm start` (scripts/start.js) where pip reaches no package index: a fresh
 * environment (WARREN_VENV, in a temporary folder) and a pip whose only index
 * is a closed port on the loopback, with no config files, extra indexes or
 * wheel folders. It must say what pip said and what to configure, and stop.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './harness';

test("npm start with no reachable package index prints pip's lines and the index settings to configure, and exits", () => {
  const venv = join(mkdtempSync(join(tmpdir(), 'warren-start-')), 'venv');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WARREN_VENV: venv,
    // No pip.conf anywhere (os.devnull stops pip reading them), one index: port 9 refuses.
    PIP_CONFIG_FILE: '/dev/null',
    PIP_INDEX_URL: 'http://127.0.0.1:9/'
  };
  for (const name of ['PIP_EXTRA_INDEX_URL', 'PIP_FIND_LINKS', 'PIP_NO_INDEX']) delete env[name];
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'start.js')], {
    env,
    encoding: 'utf8',
    timeout: 180000
  });
  expect(r.status).toBe(1);
  expect(r.stdout).toContain(`warren: installing the stock JupyterLab into ${venv}`);
  const message = r.stderr;
  expect(
    message.startsWith(`warren: pip could not install the stock JupyterLab into ${venv}:\n`)
  ).toBe(true);
  // pip's own lines, as it printed them.
  expect(message).toMatch(/^ERROR: No matching distribution found for jupyterlab==/m);
  // What to configure: each way pip can be given an index.
  expect(message).toContain('a package index that holds jupyterlab 4.6');
  for (const setting of [
    'pip config set global.index-url URL',
    'PIP_INDEX_URL',
    'PIP_EXTRA_INDEX_URL',
    'PIP_FIND_LINKS'
  ])
    expect(message).toContain(setting);
  // A message, not a crash: no stack trace, and no server was started.
  expect(message).not.toMatch(/^\s+at /m);
  expect(r.stdout).not.toMatch(/is ready at/);
  // The venv was made where WARREN_VENV said; the project's own is not touched.
  expect(existsSync(join(venv, 'bin', 'python'))).toBe(true);
  expect(existsSync(join(venv, '.warren-requirements'))).toBe(false);
});
