/**
 * Issue 17, GPU panel: readable charts, kept history, the process table, in
 * the stock Lab with the stand-in nvidia-smi replaying the real H100 capture
 * (test/fixtures/gpu/h100). Screenshots go to test-results/ for review.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Page } from 'playwright-core';
import { openLab, RESULTS, ROOT, runCommand, useLab, withScreenshot } from './harness';
import type { LabLike } from './harness';

jest.setTimeout(300000);

const gpuPidFile = join(mkdtempSync(join(tmpdir(), 'warren-gpu-pid-')), 'pid');

/**
 * Every string a canvas draws, with its fill colour and the chart it belongs
 * to: uPlot draws axis labels on the canvas, so this is how a test reads them.
 */
const RECORD_CANVAS_TEXT = `
  window.warrenDrawn = [];
  const fillText = CanvasRenderingContext2D.prototype.fillText;
  CanvasRenderingContext2D.prototype.fillText = function (text, x, y, w) {
    const figure = this.canvas.closest && this.canvas.closest('[data-chart]');
    if (figure) {
      const card = figure.closest('.jp-WarrenGpu-card');
      window.warrenDrawn.push({
        chart: figure.dataset.chart,
        uuid: card ? card.dataset.uuid : null,
        text: String(text),
        fill: String(this.fillStyle)
      });
      if (window.warrenDrawn.length > 4000) window.warrenDrawn.splice(0, 2000);
    }
    return fillText.call(this, text, x, y, w);
  };
`;

const lab = useLab(
  {
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100',
    WARREN_FAKE_GPU_PID: `file:${gpuPidFile}`
  },
  {
    beforeOpen: async ({ page }) => {
      await page.addInitScript({ content: RECORD_CANVAS_TEXT });
    }
  }
);

type Drawn = { chart: string; uuid: string | null; text: string; fill: string };

/** The figures of the replayed capture, column by column. */
const capture = readFileSync(join(ROOT, 'test/fixtures/gpu/h100/stream-load.csv'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => l.split(',').map((f) => f.trim()));
const capturedPower = new Set(capture.map((f) => Math.round(Number(f[10]))));
const capturedTemperature = new Set(capture.map((f) => Number(f[9])));

async function drawn(page: Page): Promise<Drawn[]> {
  return page.evaluate(() => (globalThis as unknown as { warrenDrawn: Drawn[] }).warrenDrawn);
}

/** The legend of a chart: label → value, as uPlot's DOM table shows it. */
async function legend(page: Page, selector: string): Promise<Record<string, string>> {
  const rows = page.locator(`${selector} .u-legend .u-series`);
  const out: Record<string, string> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const label = (await rows.nth(i).locator('.u-label').textContent()) ?? '';
    out[label] = (await rows.nth(i).locator('.u-value').textContent()) ?? '';
  }
  return out;
}

/** JupyterLab asks about its news in a toast over the sidebar's foot: answer it, as a user would. */
async function dismissNews(page: Page): Promise<void> {
  const no = page.locator('.jp-toast-button', { hasText: /^No$/ });
  if (await no.count())
    await no
      .first()
      .click({ timeout: 5000 })
      .catch(() => undefined);
}

async function openPanel(page: Page): Promise<void> {
  await dismissNews(page);
  await runCommand(page, 'warren:open-gpu');
  await page.locator('.jp-WarrenGpu-card').first().waitFor({ state: 'visible', timeout: 120000 });
}

async function points(page: Page, chart: string): Promise<number> {
  const value = await page
    .locator(`.jp-WarrenGpu [data-chart="${chart}"]`)
    .first()
    .getAttribute('data-points');
  return Number(value ?? 0);
}

async function shot(page: Page, name: string): Promise<void> {
  await dismissNews(page);
  mkdirSync(RESULTS, { recursive: true });
  await page.locator('.jp-WarrenGpu').screenshot({ path: join(RESULTS, `${name}.png`) });
}

test("each GPU has a utilisation and memory chart and a power and temperature chart, the host a CPU and memory chart, each with a legend of the capture's values", async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-panel-charts-failed', async () => {
    await openPanel(page);
    const card = '.jp-WarrenGpu-card';
    await expect(
      page.locator(`${card} .jp-WarrenGpu-chartTitle`).allTextContents()
    ).resolves.toEqual(['Utilisation and memory', 'Power and temperature']);
    await expect(
      page.locator('.jp-WarrenGpu-host .jp-WarrenGpu-chartTitle').textContent()
    ).resolves.toBe('Host CPU and memory');
    await page.waitForFunction(
      () =>
        Number(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { dataset: { points?: string } } | null };
            }
          ).document.querySelector('.jp-WarrenGpu-card [data-chart="use"]')?.dataset.points ?? 0
        ) >= 3,
      null,
      { timeout: 30000 }
    );
    const use = await legend(page, `${card} [data-chart="use"]`);
    expect(Object.keys(use)).toEqual(['Time', 'GPU', 'Memory']);
    expect(use.Time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(use.GPU).toMatch(/^(98|99|100)%$/);
    // 1395 of 81559 MiB in the capture.
    expect(use.Memory).toBe('1.4 GiB (1.7%)');
    const power = await legend(page, `${card} [data-chart="power"]`);
    expect(Object.keys(power)).toEqual(['Time', 'Power', 'Temperature']);
    const watts = /^(\d+) of 700 W$/.exec(power.Power);
    expect(watts && capturedPower.has(Number(watts[1]))).toBe(true);
    const celsius = /^(\d+) °C$/.exec(power.Temperature);
    expect(celsius && capturedTemperature.has(Number(celsius[1]))).toBe(true);
    const host = await legend(page, '.jp-WarrenGpu-host [data-chart="host"]');
    expect(Object.keys(host)).toEqual(['Time', 'CPU', 'Memory']);
    expect(host.Memory).toMatch(/^[\d.]+ GiB \(\d+%\)$/);

    // The axes are drawn with units: a time axis, percent, watts and degrees.
    const text = await drawn(page);
    const of = (chart: string) => text.filter((d) => d.chart === chart).map((d) => d.text);
    expect(of('use')).toEqual(expect.arrayContaining(['0%', '50%', '100%']));
    expect(of('use').some((t) => /^\d\d:\d\d(:\d\d)?$/.test(t))).toBe(true);
    expect(of('power').some((t) => /^\d+ W$/.test(t))).toBe(true);
    expect(of('power').some((t) => /^\d+°C$/.test(t))).toBe(true);
    expect(of('host')).toEqual(expect.arrayContaining(['0%', '100%']));
    await shot(page, 'gpu-panel-charts');
  });
});

test("axis labels are drawn in the theme's text colour, and again in the dark theme's after a switch", async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-panel-theme-failed', async () => {
    await openPanel(page);
    // What the canvas makes of the theme's --jp-ui-font-color1.
    const resolved = () =>
      page.evaluate(() => {
        const g = globalThis as unknown as {
          document: {
            querySelector(s: string): unknown;
            createElement(t: 'canvas'): { getContext(k: '2d'): { fillStyle: string } };
          };
          getComputedStyle(n: unknown): { getPropertyValue(p: string): string };
        };
        const ctx = g.document.createElement('canvas').getContext('2d');
        ctx.fillStyle = g
          .getComputedStyle(g.document.querySelector('.jp-WarrenGpu'))
          .getPropertyValue('--jp-ui-font-color1')
          .trim();
        return ctx.fillStyle;
      });
    const light = await resolved();
    const labelFill = async () =>
      (await drawn(page)).filter((d) => d.chart === 'use' && d.text === '100%').map((d) => d.fill);
    await expect(labelFill()).resolves.toContain(light);

    await runCommand(page, 'apputils:change-theme', { theme: 'JupyterLab Dark' });
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { document: { body: { dataset: { jpThemeName?: string } } } })
          .document.body.dataset.jpThemeName === 'JupyterLab Dark',
      null,
      { timeout: 30000 }
    );
    const dark = await resolved();
    expect(dark).not.toBe(light);
    await page.waitForFunction(
      (colour) =>
        (globalThis as unknown as { warrenDrawn: Drawn[] }).warrenDrawn.some(
          (d) => d.chart === 'use' && d.text === '100%' && d.fill === colour
        ),
      dark,
      { timeout: 30000 }
    );
    await page.waitForTimeout(1500);
    await shot(page, 'gpu-panel-charts-dark');
    await runCommand(page, 'apputils:change-theme', { theme: 'JupyterLab Light' });
    // The charts are made again for the light theme before the next test points at them.
    await page.evaluate(() => {
      (globalThis as unknown as { warrenDrawn: Drawn[] }).warrenDrawn.length = 0;
    });
    await page.waitForFunction(
      (colour) =>
        (globalThis as unknown as { warrenDrawn: Drawn[] }).warrenDrawn.some(
          (d) => d.chart === 'use' && d.text === '100%' && d.fill === colour
        ),
      light,
      { timeout: 30000 }
    );
  });
});

test('hovering a chart shows the values under the pointer in its legend', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-panel-hover-failed', async () => {
    await openPanel(page);
    const chart = page.locator('.jp-WarrenGpu-card [data-chart="power"]').first();
    await page.waitForFunction(
      () =>
        Number(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { dataset: { points?: string } } | null };
            }
          ).document.querySelector('.jp-WarrenGpu-card [data-chart="power"]')?.dataset.points ?? 0
        ) >= 6,
      null,
      { timeout: 60000 }
    );
    const over = chart.locator('.u-over');
    const box = await over.boundingBox();
    if (!box) throw new Error('no plot area');
    // Under load a move can be handled a frame late: hover until the legend follows (5 s at most).
    const hover = async (x: number): Promise<Record<string, string>> => {
      let seen: Record<string, string> = {};
      for (let i = 0; i < 10; i++) {
        await page.mouse.move(x, box.y + box.height / 2, { steps: 3 });
        await page.waitForTimeout(250 + 250 * i);
        seen = await legend(page, '.jp-WarrenGpu-card [data-chart="power"]');
        if (seen.Time < latest.Time) break;
      }
      return seen;
    };
    const latest = await legend(page, '.jp-WarrenGpu-card [data-chart="power"]');
    const left = await hover(box.x + 3);
    const right = await hover(box.x + box.width / 2);
    expect(left.Time).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(right.Time).toMatch(/^\d\d:\d\d:\d\d$/);
    // Samples older than the latest: the left edge the first, the middle a later one.
    expect([left.Time < right.Time, right.Time < latest.Time, left, right]).toEqual([
      true,
      true,
      left,
      right
    ]);
    expect(left.Power).toMatch(/^\d+ of 700 W$/);
    await expect(chart.locator('.u-cursor-x').isVisible()).resolves.toBe(true);
    await shot(page, 'gpu-panel-hover');
    await page.mouse.move(5, 5);
  });
});

test('after a reload, and in a new tab, the charts show the kept history at once', async () => {
  const { page, browser, server } = lab;
  await withScreenshot(page, 'gpu-panel-history-failed', async () => {
    await openPanel(page);
    await page.waitForFunction(
      () =>
        Number(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { dataset: { points?: string } } | null };
            }
          ).document.querySelector('.jp-WarrenGpu-card [data-chart="use"]')?.dataset.points ?? 0
        ) >= 12,
      null,
      { timeout: 60000 }
    );
    const before = await points(page, 'use');
    await page.reload();
    await openLab(page, server.url);
    await openPanel(page);
    // A fresh page would need as many seconds to gather as many samples.
    expect(await points(page, 'use')).toBeGreaterThanOrEqual(before);
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await openLab(tab, server.url);
      await openPanel(tab);
      expect(await points(tab, 'use')).toBeGreaterThanOrEqual(before);
      expect(await points(tab, 'host')).toBeGreaterThanOrEqual(before);
    } finally {
      await tab.close();
    }
  });
});

test('the process table shows pid, GPU, user, command, memory and the notebook as a link, and sorts by a column', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-panel-processes-failed', async () => {
    await runCommand(page, 'notebook:create-new', { kernelName: 'warren' });
    await page.waitForFunction(
      () => {
        const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
        const w = app.shell.currentWidget as {
          sessionContext?: {
            session?: { kernel?: { status: string; connectionStatus: string } | null } | null;
          };
        } | null;
        const k = w?.sessionContext?.session?.kernel;
        return !!k && k.status === 'idle' && k.connectionStatus === 'connected';
      },
      null,
      { timeout: 120000, polling: 200 }
    );
    const editor = page
      .locator('.jp-NotebookPanel:visible .jp-Cell')
      .first()
      .locator('.cm-content');
    await editor.click();
    await page.keyboard.type(
      `require("fs").writeFileSync(${JSON.stringify(gpuPidFile)}, String(process.pid))`
    );
    await page.keyboard.press('Shift+Enter');
    // This notebook's own path: the one the current widget shows.
    const path = await page.evaluate(() => {
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      return (app.shell.currentWidget as { context: { path: string } }).context.path;
    });
    await openPanel(page);
    const row = page.locator('.jp-WarrenGpu-processes tbody tr[data-pid]').first();
    await page
      .locator('.jp-WarrenGpu-processes a.jp-WarrenGpu-owner')
      .first()
      .waitFor({ timeout: 60000 });
    await expect(
      page.locator('.jp-WarrenGpu-processes thead th').allTextContents()
    ).resolves.toEqual(['PID', 'GPU', 'Memory ▼', 'Notebook', 'User', 'Command']);
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toMatch(/^\d+$/);
    expect(cells[1]).toBe('0');
    // 1386 MiB in the captured compute apps.
    expect(cells[2]).toBe('1.4 GiB');
    expect(cells[3]).toBe(path);
    // Under it: the user and the command line, as /proc shows them for the notebook's kernel
    // (the hover shows the whole of it).
    const second = page.locator(`.jp-WarrenGpu-processes tr[data-command-of="${cells[0]}"] td`);
    await expect(second.nth(0).textContent()).resolves.toBe(userInfo().username);
    const command = second.nth(1);
    const commandText = (await command.textContent()) ?? '';
    expect(commandText).toMatch(/warren\.js kernel(-process)? .*-f \S+\.json/);
    await expect(command.getAttribute('title')).resolves.toBe(commandText);

    await page.locator('.jp-WarrenGpu-processes th[data-column="pid"] button').click();
    await expect(
      page.locator('.jp-WarrenGpu-processes th[data-column="pid"]').getAttribute('aria-sort')
    ).resolves.toBe('ascending');
    await page.locator('.jp-WarrenGpu-processes th[data-column="pid"] button').click();
    await expect(
      page.locator('.jp-WarrenGpu-processes th[data-column="pid"]').getAttribute('aria-sort')
    ).resolves.toBe('descending');
    await expect(
      page.locator('.jp-WarrenGpu-processes th[data-column="memory"]').getAttribute('aria-sort')
    ).resolves.toBeNull();
    await page.locator('.jp-WarrenGpu-processes').scrollIntoViewIfNeeded();
    await shot(page, 'gpu-panel-processes');

    // The link opens that notebook: switch away first, then follow it.
    await runCommand(page, 'launcher:create');
    await page.locator('.jp-WarrenGpu-processes a.jp-WarrenGpu-owner').first().click();
    await page.waitForFunction(
      (p) => {
        const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
        const w = app.shell.currentWidget as { context?: { path?: string } } | null;
        return w?.context?.path === p;
      },
      path,
      { timeout: 30000 }
    );
  });
});

test('the status bar item names the GPU it shows', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-status-item-failed', async () => {
    const item = page.locator('.jp-WarrenGpuStatus');
    await page.waitForFunction(
      () =>
        /^GPU \d+% · [\d.]+\/[\d.]+ GiB · #0 H100 80GB HBM3$/.test(
          (
            globalThis as unknown as {
              document: { querySelector(s: string): { textContent: string | null } | null };
            }
          ).document.querySelector('.jp-WarrenGpuStatus')?.textContent ?? ''
        ),
      null,
      { timeout: 30000 }
    );
    await expect(item.getAttribute('title')).resolves.toMatch(
      /^GPU 0: NVIDIA H100 80GB HBM3: utilisation/
    );
    mkdirSync(RESULTS, { recursive: true });
    await page
      .locator('#jp-main-statusbar')
      .screenshot({ path: join(RESULTS, 'gpu-status-item.png') });
  });
});
