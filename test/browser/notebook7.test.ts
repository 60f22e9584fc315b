/**
 * Notebook 7 (pip, the same .venv): a warren notebook runs there, and the GPU
 * item (in the top bar: Notebook 7 has no status bar) and the three panels are
 * reachable.
 */
import { writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { openNotebook7, warrenNotebook } from './cells';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const pageErrors: string[] = [];

const lab = useLab(
  {
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100'
  },
  {
    app: 'notebook',
    beforeOpen: ({ server, page }) => {
      page.on('pageerror', (e) => pageErrors.push(e.message));
      writeFileSync(join(server.root, 'work', 'nb7.ipynb'), warrenNotebook([{ source: '' }]));
    }
  }
);

test('a warren notebook runs a ! cell in Notebook 7', async () => {
  const { page, server } = lab;
  await withScreenshot(page, 'notebook7-cell', async () => {
    // The kernel is up once the notebook's warren kernel is connected.
    await openNotebook7(page, server.url, 'nb7.ipynb', 'warren');
    await page.locator('.jp-Cell .cm-content').first().click();
    await page.keyboard.type('!echo hi from notebook 7');
    await page.keyboard.press('Shift+Enter');
    const out = page.locator('.jp-Cell').first().locator('.jp-OutputArea-output');
    await out.first().waitFor({ timeout: 60000 });
    await expect(out.first().textContent()).resolves.toBe('hi from notebook 7\n');
  });
});

test('the GPU item sits in the top bar and opens the GPU panel', async () => {
  const { page } = lab;
  await withScreenshot(page, 'notebook7-gpu', async () => {
    const item = page.locator('.jp-WarrenGpuStatus');
    await page.waitForFunction(
      () =>
        /GPU \d+% · [\d.]+\/[\d.]+ GiB/.test(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string | null } | null };
            }
          ).document.querySelector('.jp-WarrenGpuStatus')?.textContent ?? ''
        ),
      null,
      { timeout: 120000 }
    );
    await item.click();
    const status = page.locator('.jp-WarrenGpu-status');
    await status.waitFor({ state: 'visible', timeout: 30000 });
    await expect(status.textContent()).resolves.toMatch(/1 GPU via nvidia-smi/);
    await expect(page.locator('.jp-WarrenGpu-cardTitle').first().textContent()).resolves.toContain(
      'H100'
    );
  });
});

test('the Mounts and Runs panels open in Notebook 7 and are connected', async () => {
  const { page } = lab;
  await withScreenshot(page, 'notebook7-panels', async () => {
    await runCommand(page, 'warren:open-mounts');
    await page.locator('#jp-warren-mounts').waitFor({ state: 'visible', timeout: 30000 });
    // Its status line says where the services kernel stands until the comm is open.
    await page.waitForFunction(
      () =>
        (
          (
            globalThis as unknown as { document: { querySelector(s: string): unknown } }
          ).document.querySelector('.jp-WarrenMounts-status') as {
            dataset: { state?: string };
          } | null
        )?.dataset.state === 'connected',
      null,
      { timeout: 60000 }
    );
    await expect(page.locator('#jp-warren-mounts').textContent()).resolves.toContain(
      'No mounts yet.'
    );
    await runCommand(page, 'warren:open-runs');
    await page.locator('#jp-warren-runs').waitFor({ state: 'visible', timeout: 30000 });
    await page.waitForFunction(
      () =>
        (
          (
            globalThis as unknown as { document: { querySelector(s: string): unknown } }
          ).document.querySelector('.jp-WarrenRuns-status') as {
            dataset: { state?: string };
          } | null
        )?.dataset.state === 'connected',
      null,
      { timeout: 60000 }
    );
  });
});

test("Notebook 7 raised no page error of warren's", () => {
  // Notebook 7.6.3's shortcuts plugin throws this on load with or without warren installed.
  expect(
    pageErrors.filter((m) => m !== "Cannot read properties of undefined (reading 'schema')")
  ).toEqual([]);
});
