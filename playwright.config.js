/*
 * Galata (JupyterLab's own UI test framework, @jupyterlab/galata 5.6.4, matching
 * the stock JupyterLab 4.6.4 in .venv) driving Debian's Chromium: the tests in
 * test/galata/*.galata.ts. `npm test` runs them after jest; scripts/start.js
 * serves the Lab with galata's helper extension and a temporary root.
 */
const { mkdtempSync } = require('fs');
const { tmpdir } = require('os');
const { join } = require('path');
const base = require('@jupyterlab/galata/lib/playwright-config');

// A port and root of their own per run (a fixed port could still be held by an
// earlier run's server). Playwright loads this file again in each worker: the
// first load's choice goes down to them through the environment.
process.env.WARREN_GALATA_PORT ??= String(20000 + Math.floor(Math.random() * 20000));
process.env.WARREN_GALATA_ROOT ??= mkdtempSync(join(tmpdir(), 'warren-galata-'));
const port = Number(process.env.WARREN_GALATA_PORT);
const root = process.env.WARREN_GALATA_ROOT;

module.exports = {
  ...base,
  testDir: 'test/galata',
  testMatch: '**/*.galata.ts',
  timeout: 120000,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: process.env.WARREN_GALATA_JSON || join('test-results', 'galata.json') }]],
  outputDir: join('test-results', 'galata'),
  use: {
    ...base.use,
    baseURL: `http://127.0.0.1:${port}`,
    appPath: '/lab',
    autoGoto: true,
    viewport: { width: 1400, height: 900 },
    // Video and traces need a downloaded ffmpeg and viewer: off.
    video: 'off',
    trace: 'off',
    screenshot: 'only-on-failure',
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: [
      'node scripts/start.js --no-build --galata --expose-app',
      `--port ${port} --token '' --root ${root}`,
      `--settings-dir ${join(root, '.settings')} --workspaces-dir ${join(root, '.workspaces')}`
    ].join(' '),
    url: `http://127.0.0.1:${port}/lab`,
    reuseExistingServer: false,
    timeout: 240000,
    // The server's log would drown the report; a test that fails says why itself.
    stdout: 'ignore',
    stderr: 'ignore',
    // start.js stops its server (its own process group) on SIGTERM and then exits.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15000 },
    env: {
      PATH: `${join(__dirname, 'test', 'bin')}:${process.env.PATH}`,
      WARREN_FAKE_GPU_FIXTURE: 'h100'
    }
  }
};
