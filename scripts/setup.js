/*
 * Everything a bare machine needs before warren runs or is tested, each step
 * skipped when already done:
 *   systemPackages()  the Debian tools the tests drive (scripts/system-packages.txt),
 *                     installed with apt-get when running as root
 *   ensureVenv()      .venv with the stock JupyterLab (scripts/venv.js)
 *   ensureBuilt()     the kernel (lib/) and the labextension (warren/labextension)
 *   installIntoVenv() warren's kernelspecs, labextension and `warren` launcher into .venv
 * `npm start` runs the last three; `npm test` (jest's global setup) runs all four.
 *   node scripts/setup.js [--system]
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { ensureVenv, VENV, ROOT } = require('./venv');

function log(message) {
  console.log(`warren: ${message}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

function wantedPackages() {
  return fs
    .readFileSync(path.join(__dirname, 'system-packages.txt'), 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .flatMap((line) => line.split(/\s+/));
}

/** The wanted packages dpkg does not list as installed (all of them where there is no dpkg). */
function missingPackages() {
  const wanted = wantedPackages();
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...wanted], {
    encoding: 'utf8'
  });
  if (r.error) return wanted;
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((line) => /\sii\s*$/.test(line))
      .map((line) => line.split(' ')[0].split(':')[0])
  );
  return wanted.filter((p) => !installed.has(p));
}

/** Installs the missing Debian packages as root; elsewhere says which are missing and goes on. */
function systemPackages() {
  const missing = missingPackages();
  if (missing.length === 0) return [];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!root || !apt) {
    log(
      `these system packages are missing and this is not root with apt-get: ${missing.join(' ')}; ` +
        'the tests that drive them will fail'
    );
    return missing;
  }
  log(`installing system packages with apt-get: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  return missingPackages();
}

/** The newest mtime of the files under the given paths (folders walked, node_modules skipped). */
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

/** Builds each part only if its output is missing or older than its sources. */
function ensureBuilt() {
  if (mtime('lib/kernel/cli/warren.js') < newest(['kernel', 'src/contract', 'schema'])) {
    log('building the kernel (lib/)');
    run('npm', ['run', '--silent', 'build:kernel']);
  } else if (
    (mtime('lib/kernel/native/pages.node') < mtime('kernel/native/pages.c') ||
      mtime('lib/kernel/native/warren-supervisor') < mtime('kernel/native/supervisor.c')) &&
    process.platform === 'linux'
  ) {
    // Missing (no C compiler when the kernel was built) or older than their sources.
    log('building the supervisor and the compiler\'s page release (lib/kernel/native/)');
    run(process.execPath, [path.join(ROOT, 'scripts', 'native.js')]);
  } else if (
    mtime('lib/kernel/engines/typescript/compiler.blob') < fs.statSync(process.execPath).mtimeMs
  ) {
    // A snapshot fits only the Node that built it: missing, or Node changed since.
    log("building the TypeScript compiler's snapshot");
    run(process.execPath, [path.join(ROOT, 'scripts', 'compiler-snapshot.js')]);
  }
  if (
    mtime('warren/labextension/package.json') < newest(['src', 'style', 'schema', 'package.json'])
  ) {
    log('building the labextension (warren/labextension)');
    run('npm', ['run', '--silent', 'build:labextension']);
  }
}

/**
 * `warren install --prefix .venv`: kernelspecs, the labextension and the
 * `warren` launcher land where the venv's JupyterLab and PATH find them. The
 * labextension is then a link, so that a rebuild alone updates a reloaded page.
 */
function installIntoVenv() {
  run(
    process.execPath,
    [path.join(ROOT, 'lib', 'kernel', 'cli', 'warren.js'), 'install', '--prefix', VENV],
    {
      stdio: ['ignore', 'ignore', 'inherit']
    }
  );
  const link = path.join(VENV, 'share', 'jupyter', 'labextensions', 'warren');
  fs.rmSync(link, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'warren', 'labextension'), link, 'dir');
}

/** The whole set-up; returns the system packages still missing. */
function setup({ system = false } = {}) {
  let missing = [];
  if (system) {
    try {
      missing = systemPackages();
    } catch (error) {
      // The tests that need the tools fail with their own message; the rest run.
      log(`installing system packages failed: ${error instanceof Error ? error.message : error}`);
      missing = missingPackages();
    }
  }
  ensureVenv();
  ensureBuilt();
  installIntoVenv();
  return missing;
}

module.exports = { setup, systemPackages, ensureBuilt, installIntoVenv };

if (require.main === module) {
  try {
    setup({ system: process.argv.includes('--system') });
  } catch (error) {
    console.error(`warren: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
