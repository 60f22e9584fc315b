/**
 * Issue 17, the Mounts panel: labelled fields, toolboxes added and removed
 * from the panel, destructive actions confirmed, full paths on hover, plurals,
 * and rows that stay put while health checks find nothing new.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS, runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const base = mkdtempSync(join(tmpdir(), 'warren-mounts-panel-'));
const config = join(base, 'config');
const src = join(base, 'a folder with a rather long name to show the full path on hover', 'src');
const mp = join(base, 'mounted here under another long folder name', 'mnt');
const tools = join(base, 'tools');

beforeAll(() => {
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'hello.txt'), 'hi\n');
  for (const [box, commands] of [
    ['one', ['only']],
    ['two', ['first', 'second']]
  ] as const) {
    mkdirSync(join(tools, box, 'bin'), { recursive: true });
    for (const c of commands) {
      writeFileSync(join(tools, box, 'bin', c), '#!/bin/sh\necho hi\n');
      chmodSync(join(tools, box, 'bin', c), 0o755);
    }
  }
});

const lab = useLab({ JUPYTER_CONFIG_DIR: config });

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  await page.locator('#jp-warren-mounts').screenshot({ path: join(RESULTS, `${name}.png`) });
}

async function addToolbox(page: Page, name: string, root: string): Promise<void> {
  const form = page.locator('#jp-warren-mounts .jp-WarrenMounts-toolboxForm');
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Folder', { exact: true }).fill(root);
  await form.locator('.jp-WarrenMounts-addToolbox').click();
}

test('every field of the mount form has a label, and the mount shows its full paths on hover', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-panel-form-failed', async () => {
    await runCommand(page, 'warren:open-mounts');
    const panel = page.locator('#jp-warren-mounts');
    await panel.locator('.jp-WarrenMounts-empty').first().waitFor({ timeout: 120000 });
    const form = panel.locator('.jp-WarrenMounts-form').first();
    await form.getByLabel('Kind').selectOption('sshfs');
    for (const label of ['Source', 'Mount at', 'Port (sshfs)', 'Key file (sshfs)'])
      await expect(form.getByLabel(label).isVisible()).resolves.toBe(true);
    await shot(page, 'mounts-panel-form-sshfs');
    await form.getByLabel('Kind').selectOption('bind');
    await expect(form.getByLabel('Port (sshfs)').isVisible()).resolves.toBe(false);
    await form.getByLabel('Source').fill(src);
    await form.getByLabel('Mount at').fill(mp);
    await form.locator('.jp-WarrenMounts-add').click();
    const row = panel.locator(`.jp-WarrenMounts-row[data-mountpoint="${mp}"]`);
    await row.locator('.jp-WarrenMounts-light[data-state="mounted"]').waitFor({ timeout: 60000 });
    await expect(row.locator('.jp-WarrenMounts-mountpoint').getAttribute('title')).resolves.toBe(
      mp
    );
    await expect(row.locator('.jp-WarrenMounts-source').getAttribute('title')).resolves.toBe(
      `bind ${src}\nmounted on ${mp}`
    );
  });
});

test('the list is not drawn again while health checks find nothing new', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-panel-stable-failed', async () => {
    await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): unknown };
        MutationObserver: new (cb: (m: unknown[]) => void) => {
          observe(n: unknown, o: object): void;
        };
        warrenMutations: number;
      };
      g.warrenMutations = 0;
      for (const s of ['.jp-WarrenMounts-list', '.jp-WarrenMounts-toolboxes'])
        new g.MutationObserver((m) => (g.warrenMutations += m.length)).observe(
          g.document.querySelector(s),
          { childList: true, subtree: true, characterData: true, attributes: true }
        );
    });
    // The comm pushes its state after each 5 s health check.
    await page.waitForTimeout(12000);
    await expect(
      page.evaluate(() => (globalThis as unknown as { warrenMutations: number }).warrenMutations)
    ).resolves.toBe(0);
  });
});

test('toolboxes are added from the panel with the right plural, and removed only after a confirmation', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-panel-toolboxes-failed', async () => {
    const panel = page.locator('#jp-warren-mounts');
    await addToolbox(page, 'one', join(tools, 'one'));
    await addToolbox(page, 'two', join(tools, 'two'));
    const one = panel.locator('.jp-WarrenMounts-toolbox[data-name="one"]');
    const two = panel.locator('.jp-WarrenMounts-toolbox[data-name="two"]');
    await two.waitFor({ timeout: 60000 });
    await expect(one.locator('.jp-WarrenMounts-source').first().textContent()).resolves.toBe(
      '1 command'
    );
    await expect(two.locator('.jp-WarrenMounts-source').first().textContent()).resolves.toBe(
      '2 commands'
    );
    await expect(one.locator('.jp-WarrenMounts-root').getAttribute('title')).resolves.toBe(
      `${join(tools, 'one')}\nPATH gets: ${join(tools, 'one')}/bin`
    );
    await expect(panel.locator('.jp-WarrenMounts-message').textContent()).resolves.toBe(
      'toolbox two: 2 commands'
    );
    const saved = JSON.parse(readFileSync(join(config, 'warren', 'mounts.json'), 'utf8')) as {
      toolboxes: { name: string }[];
    };
    expect(saved.toolboxes.map((t) => t.name)).toEqual(['one', 'two']);
    await panel
      .locator('.jp-WarrenMounts-heading', { hasText: 'Toolboxes' })
      .scrollIntoViewIfNeeded();
    await shot(page, 'mounts-panel-toolboxes');

    // Cancel keeps it.
    await one.locator('.jp-WarrenMounts-removeToolbox').click();
    const dialog = page.locator('.jp-Dialog', { hasText: 'Remove this toolbox?' });
    await dialog.waitFor({ timeout: 10000 });
    await expect(dialog.textContent()).resolves.toContain(
      `Its files in ${join(tools, 'one')} stay.`
    );
    mkdirSync(RESULTS, { recursive: true });
    await page
      .locator('.jp-Dialog-content')
      .screenshot({ path: join(RESULTS, 'mounts-remove-toolbox-confirm.png') });
    await dialog.locator('.jp-mod-reject').click();
    await page.waitForTimeout(1000);
    await expect(one.count()).resolves.toBe(1);
    // Confirming removes it.
    await one.locator('.jp-WarrenMounts-removeToolbox').click();
    await dialog.locator('.jp-mod-accept').click();
    await one.waitFor({ state: 'detached', timeout: 30000 });
    await expect(two.count()).resolves.toBe(1);
  });
});

test('removing a mount asks first', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-panel-remove-failed', async () => {
    const row = page.locator(`#jp-warren-mounts .jp-WarrenMounts-row[data-mountpoint="${mp}"]`);
    await row.locator('.jp-WarrenMounts-remove').click();
    const dialog = page.locator('.jp-Dialog', { hasText: 'Remove this mount?' });
    await dialog.waitFor({ timeout: 10000 });
    await dialog.locator('.jp-mod-reject').click();
    await page.waitForTimeout(1000);
    await expect(row.locator('.jp-WarrenMounts-light').getAttribute('data-state')).resolves.toBe(
      'mounted'
    );
    await row.locator('.jp-WarrenMounts-remove').click();
    await dialog.locator('.jp-mod-accept').click();
    await row.waitFor({ state: 'detached', timeout: 60000 });
    await shot(page, 'mounts-panel-after-remove');
  });
});
