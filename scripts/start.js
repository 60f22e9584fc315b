#!/usr/bin/env node
/*
 * `npm start`: the stock JupyterLab (pip, in .venv) with warren installed into
 * it, on 127.0.0.1. Makes .venv and builds what is missing or stale
 * (scripts/setup.js), then runs `jupyter lab` and prints the URL with its token.
 *
 *   node scripts/start.js [--port N] [--root DIR] [--token T] [--expose-app]
 *                         [--settings-dir DIR] [--workspaces-dir DIR] [--no-build]
 *                         [--app lab|notebook] [--galata]
 * An empty --token ('') turns token auth and XSRF checks off (tests only);
 * --galata loads JupyterLab's own galata test helper extension (tests only).
 * A taken port: jupyter_server tries the next ones; the URL printed is the one it got.
 */
'use strict';
const { spawn, spawnSync } = require('child_process');
const crypto = require('crypto');
const path = require('path');
const { setup } = require('./setup');
const { BIN, VENV } = require('./venv');

function log(message) {
  console.log(`warren: ${message}`);
}

function parseArgs(argv) {
  const opts = {
    port: Number(process.env.PORT) || 8888,
    root: process.env.INIT_CWD || process.cwd(),
    token: null,
    exposeApp: false,
    settingsDir: null,
    workspacesDir: null,
    build: true,
    app: 'lab',
    galata: false,
    // `--Class.name=value`: the server's own settings, passed on as they are.
    serverSettings: []
  };
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
    else if (a === '--workspaces-dir') opts.workspacesDir = path.resolve(next());
    else if (a === '--expose-app') opts.exposeApp = true;
    else if (a === '--no-build') opts.build = false;
    else if (a === '--app') opts.app = next();
    else if (a === '--galata') opts.galata = true;
    else if (/^--[A-Za-z]\w*\.\w+=/.test(a)) opts.serverSettings.push(a);
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)
    throw new Error('--port needs a port number (1-65535)');
  if (opts.app !== 'lab' && opts.app !== 'notebook') throw new Error('--app is lab or notebook');
  return opts;
}

/** The galata helper extension that ships inside the jupyterlab package in .venv. */
function galataExtensionDir() {
  const r = spawnSync(
    path.join(BIN, 'python'),
    [
      '-c',
      'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "galata"))'
    ],
    { encoding: 'utf8' }
  );
  if (r.status !== 0)
    throw new Error(`cannot find galata's helper extension in .venv: ${r.stderr}`);
  return r.stdout.trim();
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build) setup();
  const token = opts.token ?? crypto.randomBytes(24).toString('hex');
  const args = [
    opts.app,
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.port=${opts.port}`,
    `--ServerApp.root_dir=${opts.root}`,
    `--IdentityProvider.token=${token}`,
    '--ServerApp.password='
  ];
  const appClass = opts.app === 'lab' ? 'LabApp' : 'JupyterNotebookApp';
  if (opts.exposeApp) args.push(`--${appClass}.expose_app_in_browser=True`);
  if (token === '') args.push('--ServerApp.disable_check_xsrf=True');
  if (opts.workspacesDir) args.push(`--${appClass}.workspaces_dir=${opts.workspacesDir}`);
  if (opts.galata) args.push(`--LabServerApp.extra_labextensions_path=${galataExtensionDir()}`);
  if (typeof process.getuid === 'function' && process.getuid() === 0) args.push('--allow-root');
  args.push(...opts.serverSettings);
  const env = { ...process.env, VIRTUAL_ENV: VENV };
  // The venv's bin first: kernels, terminals and the jobs they submit find
  // `warren`, `jupyter` and the pinned Python.
  env.PATH = [BIN, env.PATH].filter(Boolean).join(path.delimiter);
  // The Lab's own settings folder, by the variable JupyterLab reads it from, so
  // that kernels and the `warren` CLI (run profiles) read what the Settings Editor wrote.
  if (opts.settingsDir) env.JUPYTERLAB_SETTINGS_DIR = opts.settingsDir;
  // Its own process group: Ctrl+C reaches only us, and we stop the server with
  // SIGTERM (on SIGINT jupyter_server asks for a confirmation on stdin). The
  // working folder is the Lab root, where terminals open.
  const server = spawn(path.join(BIN, 'jupyter'), args, {
    cwd: opts.root,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
    detached: true
  });
  let announced = false;
  let stderr = '';
  server.stderr.on('data', (chunk) => {
    process.stderr.write(chunk);
    if (announced) return;
    stderr += chunk.toString();
    // jupyter_server logs the URL it listens on, after any port retries.
    const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
    if (m) {
      announced = true;
      const port = Number(m[1]);
      if (port !== opts.port) log(`port ${opts.port} was taken; using ${port}`);
      const url = `http://127.0.0.1:${port}/${opts.app === 'lab' ? 'lab' : 'tree'}${token ? `?token=${token}` : ''}`;
      console.log(
        `\nwarren: ${opts.app === 'lab' ? 'JupyterLab' : 'Jupyter Notebook'} is ready at ${url}\n`
      );
    }
  });
  const stop = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('exit', stop);
  server.on('error', (error) => {
    console.error(`warren: cannot run ${path.join(BIN, 'jupyter')}: ${error.message}`);
    process.exit(1);
  });
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
