/*
 * Builds the prebuilt labextension (warren/labextension) with JupyterLab's own
 * builder as JupyterLab 4.6 ships it (`jupyter-builder build`, which
 * `jupyter labextension build` now forwards to), from the stock JupyterLab in
 * .venv: it runs @jupyter/builder from node_modules with that JupyterLab's own
 * core package for the shared singletons, so the result loads in it as is.
 *   node scripts/build-labextension.js [--development]
 */
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');
const { ensureVenv, ROOT } = require('./venv');

function main() {
  const bin = ensureVenv();
  // JupyterLab's own package (its staging/package.json): the versions the page
  // shares. Left to itself the builder takes those of the newest core it knows.
  const core = spawnSync(
    path.join(bin, 'python'),
    ['-c', 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging", "package.json"))'],
    { encoding: 'utf8' }
  );
  if (core.status !== 0) throw new Error(`cannot find JupyterLab's core package in .venv: ${core.stderr}`);
  const args = ['build', ROOT, `--core-package-file=${core.stdout.trim()}`];
  if (process.argv.includes('--development')) args.push('--development=True');
  const r = spawnSync(path.join(bin, 'jupyter-builder'), args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`jupyter-builder build failed (${r.status ?? r.signal})`);
}

try {
  main();
} catch (error) {
  console.error(`warren: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
}
