/**
 * `npm start` (scripts/start.js) where pip reaches no package index: a fresh
 * environment (WARREN_VENV, in a temporary folder) and a pip whose only index
 * is a closed port on the loopback, with no config files, extra indexes or
 * wheel folders. It must say what pip said and what to configure, and stop.
 * And a taken port: the next free one, said.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../kernel/ports';
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

test('a taken port: start.js says it took the next free one and serves the Lab there', async () => {
  // Held on 127.0.0.1, where the Lab listens.
  const port = await freePort();
  const holder: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((ok, fail) => {
    holder.once('error', fail);
    holder.listen(port, '127.0.0.1', () => ok());
  });
  const root = mkdtempSync(join(tmpdir(), 'warren-start-port-'));
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, 'scripts', 'start.js'),
      '--no-build',
      '--port',
      String(port),
      '--token',
      '',
      '--root',
      root,
      '--settings-dir',
      join(root, '.settings'),
      '--workspaces-dir',
      join(root, '.workspaces')
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }
  );
  let stdout = '';
  let log = '';
  proc.stdout.on('data', (c: Buffer) => ((stdout += c.toString()), (log += c.toString())));
  proc.stderr.on('data', (c: Buffer) => (log += c.toString()));
  try {
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URL in 180 s:\n${log}`)), 180000);
      proc.stdout.on('data', () => {
        const m = /is ready at (http:\/\/\S+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          ok(m[1]);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`start.js exited (${code}):\n${log}`));
      });
    });
    const said = /^warren: port (\d+) was taken; using (\d+)$/m.exec(stdout);
    expect(said?.[1]).toBe(String(port));
    const used = Number(said?.[2]);
    expect(used).not.toBe(port);
    expect(url).toBe(`http://127.0.0.1:${used}/lab`);
    // The Lab answers there.
    const response = await fetch(`http://127.0.0.1:${used}/api/status`);
    expect(response.status).toBe(200);
  } finally {
    const exited = new Promise((ok) => proc.once('exit', ok));
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 15000))]);
    if (proc.exitCode === null && proc.pid) process.kill(-proc.pid, 'SIGKILL');
    await new Promise((ok) => holder.close(ok));
    rmSync(root, { recursive: true, force: true });
  }
}, 240000);
