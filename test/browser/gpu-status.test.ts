/**
 * Issue 17, the GPU status item on a real two-GPU capture (h200x2, load on
 * GPU 1) for a services kernel given CUDA_VISIBLE_DEVICES=1: it names the GPU
 * it shows, and a click moves it to the other GPU and shows that GPU's card.
 */
import { mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Page } from 'playwright-core';
import { RESULTS, ROOT, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const lab = useLab({
  PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
  WARREN_FAKE_GPU_FIXTURE: 'h200x2',
  CUDA_VISIBLE_DEVICES: '1'
});

async function statusText(page: Page, pattern: RegExp): Promise<string> {
  const handle = await page.waitForFunction(
    (source) => {
      const text =
        (
          globalThis as unknown as {
            document: { querySelector(s: string): { textContent: string | null } | null };
          }
        ).document.querySelector('.jp-WarrenGpuStatus')?.textContent ?? '';
      return new RegExp(source).test(text) ? text : false;
    },
    pattern.source,
    { timeout: 60000 }
  );
  return String(await handle.jsonValue());
}

test('the status item names the allocated GPU 1, and each click moves it to the next GPU and shows its card', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-status-switch-failed', async () => {
    const item = page.locator('.jp-WarrenGpuStatus');
    // GPU 1 ran the captured load: 99-100 %, 1395 of 143771 MiB.
    await statusText(page, /^GPU (99|100)% · 1\.4\/140 GiB · #1 H200$/);
    await expect(item.getAttribute('title')).resolves.toMatch(/Click for the next of 2 GPUs/);
    mkdirSync(RESULTS, { recursive: true });
    await page
      .locator('#jp-main-statusbar')
      .screenshot({ path: join(RESULTS, 'gpu-status-gpu1.png') });

    await item.click();
    // GPU 0 was idle in the capture.
    await statusText(page, /^GPU 0% · 0\.0\/140 GiB · #0 H200$/);
    const selected = page.locator('.jp-WarrenGpu-card.jp-mod-selected');
    await selected.waitFor({ state: 'visible', timeout: 30000 });
    await expect(selected.locator('.jp-WarrenGpu-cardTitle').textContent()).resolves.toBe(
      'GPU 0: NVIDIA H200'
    );
    // It stays on GPU 0 as samples come.
    await page.waitForTimeout(2500);
    await expect(item.textContent()).resolves.toMatch(/#0 H200$/);
    await page.screenshot({ path: join(RESULTS, 'gpu-status-gpu0.png') });

    await item.click();
    await statusText(page, /#1 H200$/);
    await expect(
      page.locator('.jp-WarrenGpu-card.jp-mod-selected .jp-WarrenGpu-cardTitle').textContent()
    ).resolves.toBe('GPU 1: NVIDIA H200');
  });
});
