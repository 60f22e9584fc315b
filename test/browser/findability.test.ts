/**
 * Issue 17, findability: the View menu lists the three panels, the command
 * palette finds them and the actions by the words a user would type, and the
 * Settings Editor's warren forms have human titles and no error before a
 * field is filled.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS, runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

// The palette in the left panel (its own setting, modal: false): the modal one closes when
// headless Chromium moves focus, before a test can read it. The search is the same.
const lab = useLab(
  {},
  {
    beforeOpen: ({ server }) => {
      const dir = join(server.root, 'lab', '@jupyterlab', 'apputils-extension');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'palette.jupyterlab-settings'), JSON.stringify({ modal: false }));
    }
  }
);

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  if (selector) await page.locator(selector).first().screenshot({ path });
  else await page.screenshot({ path });
}

/** The palette's entries for a search, as a user sees them (open it, type, read). */
async function search(page: Page, text: string): Promise<string[]> {
  await runCommand(page, 'apputils:activate-command-palette');
  const input = page.locator('#command-palette .lm-CommandPalette-input');
  await input.waitFor({ state: 'visible', timeout: 30000 });
  await input.click();
  await input.fill(text);
  await page.waitForTimeout(500);
  const labels = await page
    .locator('#command-palette .lm-CommandPalette-itemLabel')
    .allTextContents();
  // Filtered, not the whole list.
  expect(labels).not.toContain('Close All Tabs');
  if (text === 'cluster') await shot(page, 'findability-palette-cluster');
  return labels;
}

test('the View menu lists the GPU, Mounts and Runs panels and opens them', async () => {
  const { page } = lab;
  await withScreenshot(page, 'findability-view-menu-failed', async () => {
    await page.locator('.lm-MenuBar-itemLabel', { hasText: /^View$/ }).click();
    const menu = page.locator('.lm-Menu:visible').first();
    await menu.waitFor({ timeout: 10000 });
    const labels = await menu.locator('.lm-Menu-itemLabel').allTextContents();
    expect(labels).toEqual(
      expect.arrayContaining(['GPU Panel', 'Mounts Panel', 'Cluster Runs Panel'])
    );
    await shot(page, 'findability-view-menu', '.lm-Menu:visible');
    await menu.locator('.lm-Menu-item', { hasText: 'Cluster Runs Panel' }).click();
    await page.locator('#jp-warren-runs').waitFor({ state: 'visible', timeout: 30000 });
  });
});

test('the palette finds the panels and the actions by "gpu", "mount", "toolbox", "cluster" and "runs"', async () => {
  const { page } = lab;
  await withScreenshot(page, 'findability-palette-failed', async () => {
    expect(await search(page, 'gpu')).toContain('GPU Panel');
    const mount = await search(page, 'mount');
    expect(mount).toEqual(
      expect.arrayContaining(['Mounts Panel', 'Mount a Folder or Remote…'])
    );
    expect(await search(page, 'toolbox')).toContain('Add a Toolbox to PATH…');
    const cluster = await search(page, 'cluster');
    expect(cluster).toEqual(expect.arrayContaining(['Send to cluster', 'Cluster Runs Panel']));
    expect(await search(page, 'runs')).toContain('Cluster Runs Panel');
    await page.keyboard.press('Escape');
  });
});

test('the palette\'s "Mount a Folder or Remote…" opens the Mounts panel with the cursor in its form', async () => {
  const { page } = lab;
  await withScreenshot(page, 'findability-mount-command-failed', async () => {
    await runCommand(page, 'warren:mount');
    await page.locator('#jp-warren-mounts').waitFor({ state: 'visible', timeout: 30000 });
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            document: { activeElement: { getAttribute(n: string): string | null } | null };
          }
        ).document.activeElement?.getAttribute('name') === 'source',
      null,
      { timeout: 10000 }
    );
    await runCommand(page, 'warren:add-toolbox');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            document: { activeElement: { getAttribute(n: string): string | null } | null };
          }
        ).document.activeElement?.getAttribute('name') === 'toolboxName',
      null,
      { timeout: 10000 }
    );
  });
});

test('the Settings Editor shows the warren forms with human titles and no error before a profile is filled', async () => {
  const { page } = lab;
  await withScreenshot(page, 'findability-settings-failed', async () => {
    await runCommand(page, 'settingeditor:open', { query: 'Warren' });
    const editor = page.locator('.jp-SettingsPanel, .jp-SettingsEditor').first();
    await editor.waitFor({ state: 'visible', timeout: 60000 });
    const titles = page.locator('.jp-PluginList-entry-label-text, .jp-PluginList-entry');
    await page.waitForTimeout(1500);
    const text = (await titles.allTextContents()).join('\n');
    for (const title of ['Warren GPUs', 'Warren Mounts', 'Warren Runs'])
      expect(text).toContain(title);
    await page.locator('.jp-PluginList-entry', { hasText: 'Warren Runs' }).first().click();
    const form = page
      .locator('.jp-SettingsForm, .jp-SettingsPanel form')
      .filter({ hasText: 'Profiles' })
      .first();
    await form.waitFor({ state: 'visible', timeout: 30000 });
    await expect(form.textContent()).resolves.toContain('Results folder');
    // A new profile: its fields are titled, and nothing is marked wrong before it is filled.
    await form.locator('button[title="Add item"]').first().click();
    await page.waitForTimeout(1000);
    const fields = (await page.locator('.jp-SettingsPanel').first().textContent()) ?? '';
    for (const title of [
      'Name',
      'Kind',
      'Remote work folder',
      'SSH port',
      'SSH user',
      'Default time limit'
    ])
      expect(fields).toContain(title);
    // RJSF keeps empty error lists in the form; none may say anything.
    const errors = await page
      .locator('.jp-SettingsPanel .error-detail, .jp-SettingsPanel .validationErrors')
      .allTextContents();
    expect(errors.join('').trim()).toBe('');
    await expect(page.locator('.jp-SettingsPanel .has-error').count()).resolves.toBe(0);
    await shot(page, 'findability-settings-runs');
  });
});
