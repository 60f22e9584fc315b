/**
 * Issue 9 in the page: the GPU panel replaying a real two-GPU machine's
 * captures (nvidia-h200-x2, load on GPU 1), for a services kernel started
 * with CUDA_VISIBLE_DEVICES=1.
 */
import { delimiter, join } from 'node:path';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const lab = useLab({
  PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
  WARREN_FAKE_GPU_FIXTURE: 'h200x2',
  CUDA_VISIBLE_DEVICES: '1'
});

test('both GPUs are shown, the allocated GPU 1 first, GPU 0 dimmed, the process on GPU 1', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-two', async () => {
    await runCommand(page, 'warren:open-gpu');
    const cards = page.locator('.jp-WarrenGpu-card');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('.jp-WarrenGpu-card').length === 2,
      null,
      { timeout: 120000 }
    );
    await expect(cards.nth(0).locator('.jp-WarrenGpu-cardTitle').textContent()).resolves.toBe(
      'GPU 1: NVIDIA H200'
    );
    await expect(cards.nth(1).locator('.jp-WarrenGpu-cardTitle').textContent()).resolves.toBe(
      'GPU 0: NVIDIA H200'
    );
    await expect(cards.nth(0).getAttribute('class')).resolves.not.toContain('jp-mod-unallocated');
    await expect(cards.nth(1).getAttribute('class')).resolves.toContain('jp-mod-unallocated');
    const row = page.locator('.jp-WarrenGpu-processes tbody tr[data-pid]').first();
    await row.waitFor({ timeout: 30000 });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('1');
  });
});
