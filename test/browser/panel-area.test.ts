/**
 * The `area` setting of the GPU and Mounts panels (schema/gpu.json,
 * schema/mounts.json): each starts in the sidebar its setting names (here the
 * opposite of its default, written to the Lab's settings folder before the
 * page opens); the GPU panel moves as soon as the setting changes, the Mounts
 * panel on the next page load, as their schemas say.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openLab, runCommand, useLab, withScreenshot } from './harness';
import type { PageGlobal } from './harness';

jest.setTimeout(300000);

const lab = useLab(
  {},
  {
    beforeOpen: ({ server }) => {
      const dir = join(server.root, 'lab', 'warren');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'gpu.jupyterlab-settings'), JSON.stringify({ area: 'left' }));
      writeFileSync(join(dir, 'mounts.jupyterlab-settings'), JSON.stringify({ area: 'right' }));
    }
  }
);

/** Which sidebar's stack holds the widget with this id, once it is in one. */
async function sidebarOf(page: Page, id: string, expected?: 'left' | 'right'): Promise<string> {
  const found = await page.waitForFunction(
    ({ id, expected }) => {
      const g = globalThis as unknown as PageGlobal;
      const side = g.document.querySelector(`#jp-left-stack > #${id}`)
        ? 'left'
        : g.document.querySelector(`#jp-right-stack > #${id}`)
          ? 'right'
          : null;
      return side && (!expected || side === expected) ? side : false;
    },
    { id, expected },
    { timeout: 60000, polling: 200 }
  );
  return (await found.jsonValue()) as string;
}

/** Opens the panel with its command; where it shows on the 1400-pixel-wide page. */
async function shownAt(page: Page, command: string, id: string): Promise<'left' | 'right'> {
  await runCommand(page, command);
  const box = await page.locator(`#${id}`).boundingBox();
  if (!box) throw new Error(`${id} is not shown`);
  return box.x + box.width / 2 < 700 ? 'left' : 'right';
}

/** The Lab's own setting registry, as its plugins get it (the page exposes the app, not its services). */
async function setSetting(page: Page, plugin: string, key: string, value: string): Promise<void> {
  await page.evaluate(
    async ({ plugin, key, value }) => {
      type Token = { name: string };
      const app = (globalThis as unknown as { jupyterapp: unknown }).jupyterapp as {
        pluginRegistry: { _services: Map<Token, string> };
        resolveRequiredService(token: Token): Promise<unknown>;
      };
      const token = [...app.pluginRegistry._services.keys()].find(
        (t) => t.name === '@jupyterlab/coreutils:ISettingRegistry'
      );
      if (!token) throw new Error('no ISettingRegistry in the page');
      const registry = (await app.resolveRequiredService(token)) as {
        set(plugin: string, key: string, value: unknown): Promise<void>;
      };
      await registry.set(plugin, key, value);
    },
    { plugin, key, value }
  );
}

test('each panel starts in the sidebar its area setting names', async () => {
  const { page } = lab;
  await withScreenshot(page, 'panel-area-from-settings', async () => {
    // The defaults are gpu: right, mounts: left; the settings folder says the opposite.
    await expect(sidebarOf(page, 'jp-warren-gpu')).resolves.toBe('left');
    await expect(sidebarOf(page, 'jp-warren-mounts')).resolves.toBe('right');
    await expect(shownAt(page, 'warren:open-gpu', 'jp-warren-gpu')).resolves.toBe('left');
    await expect(shownAt(page, 'warren:open-mounts', 'jp-warren-mounts')).resolves.toBe('right');
  });
});

test('a change of the GPU area moves the panel at once; a change of the Mounts area on the next load', async () => {
  const { page, server } = lab;
  await withScreenshot(page, 'panel-area-changed', async () => {
    await expect(sidebarOf(page, 'jp-warren-gpu')).resolves.toBe('left');
    await setSetting(page, 'warren:gpu', 'area', 'right');
    await setSetting(page, 'warren:mounts', 'area', 'left');
    await expect(sidebarOf(page, 'jp-warren-gpu', 'right')).resolves.toBe('right');
    await expect(shownAt(page, 'warren:open-gpu', 'jp-warren-gpu')).resolves.toBe('right');
    // The Lab wrote both to its settings folder.
    const saved = (name: string) =>
      readFileSync(join(server.root, 'lab', 'warren', `${name}.jupyterlab-settings`), 'utf8');
    expect(saved('gpu')).toMatch(/"area":\s*"right"/);
    expect(saved('mounts')).toMatch(/"area":\s*"left"/);
    await openLab(page, server.url);
    await expect(sidebarOf(page, 'jp-warren-mounts')).resolves.toBe('left');
    await expect(sidebarOf(page, 'jp-warren-gpu')).resolves.toBe('right');
    await expect(shownAt(page, 'warren:open-mounts', 'jp-warren-mounts')).resolves.toBe('left');
  });
});
