#!/usr/bin/env node
/*
 * `npm test`: jest (its global setup installs and builds what is missing), then
 * the galata suite (playwright.config.js) on the stock JupyterLab. Arguments go
 * to jest. Exits non-zero when either fails; both always run.
 */
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

const jest = spawnSync(bin('jest'), process.argv.slice(2), { cwd: ROOT, stdio: 'inherit' });
// jest's set-up has made .venv and the builds; the system packages are in place.
const galata = spawnSync(bin('playwright'), ['test'], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, WARREN_SKIP_SYSTEM: '1' }
});
process.exit(jest.status === 0 && galata.status === 0 ? 0 : 1);
