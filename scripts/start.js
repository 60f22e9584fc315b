#!/usr/bin/env node
/*
 * `npm start`: builds what is missing or stale (the page, the kernel, the
 * labextension), installs the warren kernelspecs and the labextension into a
 * Jupyter data dir under app/build/jupyter, and serves JupyterLab on 127.0.0.1
 * with Debian's jupyter_server (scripts/lab.py). Prints the URL with its token.
 *
 *   node scripts/start.js [--port N] [--root DIR] [--token T] [--expose-app]
 *                         [--settings-dir DIR] [--no-build]
 * An empty --token ('') turns token auth and XSRF checks off (tests only).
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { installApp } = require('./install-app');

const ROOT = path.resolve(__dirname, '..');
const PYTHON = process.env.WARREN_PYTHON || '/usr/bin/python3';
const PREFIX = path.join(ROOT, 'app', 'build', 'jupyter');
const DATA = path.join(PREFIX, 'share', 'jupyter');

function log(message) {
  console.log(`warren: ${message}`);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** The newest mtime of the files under the given paths (folders walked). */
function newest(paths) {
  let t = 0;
  const walk = (p) => {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      if (path.basename(p) === 'node_modules') return;
      for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    } else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) walk(path.join(ROOT, p));
  return t;
}

function mtime(p) {
  try {
    return fs.statSync(path.join(ROOT, p)).mtimeMs;
  } catch {
    return 0;
  }
}

function checkPython() {
  const r = spawnSync(PYTHON, ['-c', 'import jupyter_server, jupyterlab_server'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import jupyter_server and jupyterlab_server.\n` +
        'On Debian/Ubuntu: apt-get install -y python3-jupyter-server python3-jupyterlab-server\n' +
        '(set WARREN_PYTHON to use another interpreter that has them)'
    );
  }
}

/** Builds each part only if its output is missing or older than its sources. */
function ensureBuilt() {
  if (installApp() !== 0) throw new Error('installing app/node_modules failed');
  if (mtime('app/build/static/index.html') < newest(['app/src', 'app/templates', 'app/build.js', 'app/package-lock.json'])) {
    log('building the JupyterLab page (app/build)');
    run('npm', ['run', '--silent', 'build:lab']);
  }
  if (mtime('lib/kernel/cli/warren.js') < newest(['kernel', 'src/contract', 'schema'])) {
    log('building the kernel (lib/)');
    run('npm', ['run', '--silent', 'build:kernel']);
  }
  if (mtime('warren/labextension/package.json') < newest(['src', 'style', 'schema', 'package.json'])) {
    log('building the labextension (warren/labextension)');
    run('npm', ['run', '--silent', 'build:labextension']);
  }
}

/** Kernelspecs and the labextension into app/build/jupyter, which JUPYTER_PATH points at. */
function installIntoPrefix() {
  run(process.execPath, [path.join(ROOT, 'lib', 'kernel', 'cli', 'warren.js'), 'install', '--prefix', PREFIX]);
  const labext = path.join(DATA, 'labextensions');
  fs.mkdirSync(labext, { recursive: true });
  const link = path.join(labext, 'warren');
  fs.rmSync(link, { recursive: true, force: true });
  // A link, so that `npm run build:labextension` alone updates a running page on reload.
  fs.symlinkSync(path.join(ROOT, 'warren', 'labextension'), link, 'dir');
}

function parseArgs(argv) {
  const opts = { port: Number(process.env.PORT) || 8888, root: process.env.INIT_CWD || process.cwd(), token: null, exposeApp: false, settingsDir: null, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port') opts.port = Number(next());
    else if (a === '--root') opts.root = path.resolve(next());
    else if (a === '--token') opts.token = next();
    else if (a === '--settings-dir') opts.settingsDir = path.resolve(next());
    else if (a === '--expose-app') opts.exposeApp = true;
    else if (a === '--no-build') opts.build = false;
    else throw new Error(`unknown option ${a}`);
  }
  return opts;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  checkPython();
  if (opts.build) ensureBuilt();
  installIntoPrefix();
  const token = opts.token ?? crypto.randomBytes(24).toString('hex');
  const args = [
    path.join(__dirname, 'lab.py'),
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${opts.port}`,
    `--ServerApp.root_dir=${opts.root}`,
    `--ServerApp.token=${token}`,
    '--ServerApp.password=',
    `--WarrenLab.expose_app_in_browser=${opts.exposeApp ? 'True' : 'False'}`
  ];
  if (token === '') args.push('--ServerApp.disable_check_xsrf=True');
  if (opts.settingsDir) args.push(`--WarrenLab.settings_root=${opts.settingsDir}`);
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--allow-root');
  const env = { ...process.env };
  env.JUPYTER_PATH = [DATA, env.JUPYTER_PATH].filter(Boolean).join(path.delimiter);
  // Its own process group: Ctrl+C reaches only us, and we stop the server with
  // SIGTERM (on SIGINT jupyter_server asks for a confirmation on stdin).
  const server = spawn(PYTHON, args, { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'pipe'], detached: true });
  let announced = false;
  let stderr = '';
  server.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    if (announced) return;
    stderr += chunk.toString();
    // jupyter_server logs its own URL; re-print ours once it is listening.
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
    if (m) {
      announced = true;
      const url = `http://127.0.0.1:${m[1]}/lab${token ? `?token=${token}` : ''}`;
      console.log(`\nwarren: JupyterLab is ready at ${url}\n`);
    }
  });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', stop);
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(`warren: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}

module.exports = { ensureBuilt, installIntoPrefix, DATA, PREFIX };
