#!/usr/bin/env node
/*
 * postinstall: installs the JupyterLab page's packages (app/package.json, with
 * its own lock file) into app/node_modules. They are kept apart from the root's
 * because the page pins ~930 packages through npm overrides that would
 * otherwise also apply to the kernel's dependencies.
 * Skips when app/node_modules matches app/package-lock.json already, and when
 * WARREN_SKIP_APP_INSTALL=1 (kernel-only work).
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const app = path.join(__dirname, '..', 'app');

function upToDate() {
  // npm writes node_modules/.package-lock.json on every install: compare its age.
  const hidden = path.join(app, 'node_modules', '.package-lock.json');
  const lock = path.join(app, 'package-lock.json');
  if (!fs.existsSync(hidden)) return false;
  return fs.statSync(hidden).mtimeMs >= fs.statSync(lock).mtimeMs;
}

function installApp({ force = false } = {}) {
  if (!force && upToDate()) return 0;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  console.log('warren: installing the JupyterLab page packages into app/node_modules (npm ci, about a minute)');
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, stdio: 'inherit' });
  return r.status === null ? 1 : r.status;
}

module.exports = { installApp, upToDate };

if (require.main === module) {
  if (process.env.WARREN_SKIP_APP_INSTALL === '1') process.exit(0);
  process.exit(installApp());
}
