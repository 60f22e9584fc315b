/*
 * The project's Python environment: `.venv` (ignored) with the stock Jupyter
 * pinned in scripts/requirements.txt, from whatever index pip is configured
 * with. `npm start` serves JupyterLab from it; `npm test` tests warren in it.
 * Rebuilt only when requirements.txt changes (its text is kept in the venv).
 * WARREN_VENV puts it elsewhere (a fresh one for a test of the set-up itself).
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const VENV = process.env.WARREN_VENV ? path.resolve(process.env.WARREN_VENV) : path.join(ROOT, '.venv');
/** How messages name it: `.venv`, or the path WARREN_VENV gave. */
const NAME = process.env.WARREN_VENV ? VENV : '.venv';
const BIN = path.join(VENV, 'bin');
const REQUIREMENTS = path.join(__dirname, 'requirements.txt');
const STAMP = path.join(VENV, '.warren-requirements');

function log(message) {
  console.log(`warren: ${message}`);
}

/** A Python 3 that can make a venv: WARREN_PYTHON, else python3 on PATH, else Debian's. */
function basePython() {
  const candidates = [process.env.WARREN_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import venv, ensurepip, sys; print(sys.version_info >= (3, 9))'], {
      encoding: 'utf8'
    });
    if (r.status === 0 && r.stdout.trim() === 'True') return python;
  }
  throw new Error(
    'no Python 3.9+ with the venv module was found (tried ' +
      candidates.join(', ') +
      ').\nInstall one (on Debian: apt-get install python3-venv) or set WARREN_PYTHON to its path.'
  );
}

function upToDate() {
  try {
    return (
      fs.readFileSync(STAMP, 'utf8') === fs.readFileSync(REQUIREMENTS, 'utf8') &&
      fs.existsSync(path.join(BIN, 'jupyter-lab'))
    );
  } catch {
    return false;
  }
}

/** pip's lines worth showing: not the warnings about index folders that are not there. */
function pipOutput(text) {
  return text
    .split('\n')
    .filter((line) => line.trim() && !/is ignored: it is neither a file nor a directory/.test(line))
    .join('\n');
}

/** Makes or refreshes .venv; returns its bin folder. Throws with what to do when pip cannot. */
function ensureVenv() {
  if (upToDate()) return BIN;
  if (!fs.existsSync(path.join(BIN, 'python'))) {
    const python = basePython();
    log(`making the project's Python environment (${NAME}) with ${python}`);
    const made = spawnSync(python, ['-m', 'venv', VENV], { stdio: 'inherit' });
    if (made.status !== 0) throw new Error(`${python} -m venv ${NAME} failed (${made.status ?? made.signal})`);
  }
  log(`installing the stock JupyterLab into ${NAME} (scripts/requirements.txt)`);
  // --retries 0: where pip's default index is unreachable it would otherwise
  // wait on it for minutes before trying the configured ones.
  const pip = spawnSync(
    path.join(BIN, 'python'),
    ['-m', 'pip', 'install', '--retries', '0', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
  );
  if (pip.status !== 0) {
    const detail = pipOutput(`${pip.stdout}\n${pip.stderr}`).split('\n').slice(-12).join('\n');
    throw new Error(
      `pip could not install the stock JupyterLab into ${NAME}:\n${detail}\n\n` +
        'pip needs a package index that holds jupyterlab 4.6 (see scripts/requirements.txt): ' +
        'set one with `pip config set global.index-url URL` (or PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, ' +
        'or PIP_FIND_LINKS for a folder of wheels), then run the command again.'
    );
  }
  fs.writeFileSync(STAMP, fs.readFileSync(REQUIREMENTS, 'utf8'));
  return BIN;
}

module.exports = { ensureVenv, VENV, BIN, ROOT };

if (require.main === module) {
  try {
    ensureVenv();
    log(`${NAME} is ready (${BIN})`);
  } catch (error) {
    console.error(`warren: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
}
