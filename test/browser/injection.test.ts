/**
 * Issue 18's probe found no HTML injection in any panel; kept as a test. A
 * mount, a run and a run's profile whose names hold markup are shown as the
 * text they are: no element is made from them and no handler in them runs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

/** Runs in the page if it is ever parsed as HTML (an image that cannot load). */
const HOSTILE = '<img src=x onerror="globalThis.warrenPwned=1">';

const base = mkdtempSync(join(tmpdir(), 'warren-injection-'));
const config = join(base, 'config');
const data = join(base, 'data');
const mountpoint = join(base, HOSTILE, 'mnt');
const source = join(base, `src ${HOSTILE}`);
const notebook = `${HOSTILE}.ipynb`;

beforeAll(() => {
  // A saved mount (not mounted at start) and a failed run, as the services kernel reads them.
  mkdirSync(join(config, 'warren'), { recursive: true });
  writeFileSync(
    join(config, 'warren', 'mounts.json'),
    JSON.stringify({
      version: 1,
      mounts: [{ kind: 'bind', source, mountpoint, auto: false }],
      toolboxes: [],
      pending: []
    })
  );
  mkdirSync(join(data, 'warren', 'runs'), { recursive: true });
  const when = new Date(Date.now() - 60000).toISOString();
  writeFileSync(
    join(data, 'warren', 'runs', 'r-hostile.json'),
    JSON.stringify({
      id: 'r-hostile',
      kind: 'notebook',
      profile: { name: HOSTILE, kind: 'slurm', workdir: join(base, 'remote') },
      source: join(base, notebook),
      remoteDir: join(base, 'remote', 'r-hostile'),
      jobId: null,
      state: 'failed',
      message: HOSTILE,
      submitted: when,
      updated: when,
      ended: when,
      resources: {},
      parameters: {},
      inputs: [],
      outputs: [],
      result: null,
      fetched: true
    })
  );
});

const lab = useLab({ JUPYTER_CONFIG_DIR: config, JUPYTER_DATA_DIR: data });

/** The panel's images (there should be none) and whether a handler ran. */
async function noMarkupRan(panel: Locator): Promise<void> {
  await expect(panel.locator('img').count()).resolves.toBe(0);
  // An image that fails to load fires its onerror at once; give it a moment anyway.
  await lab.page.waitForTimeout(500);
  await expect(
    lab.page.evaluate(() => (globalThis as unknown as { warrenPwned?: number }).warrenPwned)
  ).resolves.toBeUndefined();
}

test('a mount whose paths hold markup is shown as text in the Mounts panel', async () => {
  const { page } = lab;
  await withScreenshot(page, 'injection-mounts', async () => {
    await runCommand(page, 'warren:open-mounts');
    const panel = page.locator('#jp-warren-mounts');
    const row = panel.locator('.jp-WarrenMounts-row').first();
    await row.waitFor({ timeout: 120000 });
    await expect(row.getAttribute('data-mountpoint')).resolves.toBe(mountpoint);
    await expect(row.locator('.jp-WarrenMounts-mountpoint').textContent()).resolves.toBe(
      mountpoint
    );
    await expect(row.textContent()).resolves.toContain(source);
    await noMarkupRan(panel);
  });
});

test('a run whose notebook, message and profile name hold markup is shown as text in the Runs panel', async () => {
  const { page } = lab;
  await withScreenshot(page, 'injection-runs', async () => {
    await runCommand(page, 'warren:open-runs');
    const panel = page.locator('#jp-warren-runs');
    const row = panel.locator('.jp-WarrenRuns-run[data-id="r-hostile"]');
    await row.waitFor({ timeout: 120000 });
    await expect(row.locator('.jp-WarrenRuns-name').textContent()).resolves.toBe(notebook);
    await expect(row.locator('.jp-WarrenRuns-meta').textContent()).resolves.toContain(HOSTILE);
    await expect(row.locator('.jp-WarrenRuns-state').getAttribute('title')).resolves.toBe(HOSTILE);
    await noMarkupRan(panel);
  });
});
