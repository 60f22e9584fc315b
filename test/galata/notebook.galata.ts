/**
 * The stock JupyterLab driven by galata: a warren notebook created, filled and
 * run through galata's notebook helpers, as JupyterLab's own UI tests do.
 */
import { expect, test } from '@jupyterlab/galata';

test.describe('a warren notebook in the stock JupyterLab', () => {
  test('a typed cell shows its value and nothing else', async ({ page }) => {
    await page.notebook.createNew('typed.ipynb', { kernel: 'warren' });
    await page.notebook.setCell(0, 'code', 'const vox: number[] = [1, 2, 3];\nvox.length * 14');
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['42']);
  });

  test('a ! cell prints the command output through the pseudo-terminal', async ({ page }) => {
    await page.notebook.createNew('shell.ipynb', { kernel: 'warren' });
    await page.notebook.setCell(0, 'code', '!tty >/dev/null && echo on a tty');
    await page.notebook.runCell(0);
    expect(await page.notebook.getCellTextOutput(0)).toEqual(['on a tty\n']);
  });

  test('a type error stops the cell with a TSError', async ({ page }) => {
    await page.notebook.createNew('error.ipynb', { kernel: 'warren' });
    await page.notebook.setCell(0, 'code', 'const n: number = "not a number"');
    await page.notebook.runCell(0);
    const output = (await page.notebook.getCellTextOutput(0))?.join('') ?? '';
    expect(output).toBe(
      "TSError Cell In[1]:1:7 - Type 'string' is not assignable to type 'number'.\n" +
        '    const n: number = "not a number"\n' +
        '          ^'
    );
  });

  test('the GPU status item shows the replayed H100 and opens the GPU panel', async ({ page }) => {
    const item = page.locator('.jp-WarrenGpuStatus');
    await expect(item).toHaveText(/GPU \d+% · [\d.]+\/[\d.]+ GiB/, { timeout: 60000 });
    await item.click();
    await expect(page.locator('.jp-WarrenGpu-status')).toHaveText(/1 GPU via nvidia-smi/);
  });
});
