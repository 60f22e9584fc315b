/**
 * Page load to a restored JupyterLab, and what the warren extension adds:
 * its plugins' activate() time (performance measures the plugins record),
 * the work it defers until after restore, and fetching its prebuilt bundle.
 *   npm run build:kernel && node lib/bench/lab-load.js [runs]
 * Target: activation adds < 50 ms to load.
 */
import { delimiter, join } from 'node:path';
import { launchChromium, openLab, ROOT, startLab } from '../test/browser/harness';

/** What the page's performance API gives back, typed structurally (no DOM lib here). */
interface PagePerformance {
  getEntriesByType(type: 'measure'): { name: string; duration: number }[];
  getEntriesByType(type: 'resource'): { name: string; duration: number; encodedBodySize: number }[];
}

interface Sample {
  loadMs: number;
  measures: Record<string, number>;
  extensionFetchMs: number;
  extensionBytes: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2]) || 5;
  const server = await startLab({
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100'
  });
  const browser = await launchChromium();
  const samples: Sample[] = [];
  const panelUpdates: number[] = [];
  try {
    for (let i = 0; i <= runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const loadMs = await openLab(page, server.url);
      // The deferred GPU work ends with its own measure; give it a moment.
      await page.waitForTimeout(1500);
      const data = await page.evaluate(() => {
        const perf = (globalThis as unknown as { performance: PagePerformance }).performance;
        const measures: Record<string, number> = {};
        for (const m of perf.getEntriesByType('measure'))
          if (m.name.startsWith('warren:')) measures[m.name] = m.duration;
        let fetchMs = 0;
        let bytes = 0;
        for (const r of perf.getEntriesByType('resource')) {
          if (!r.name.includes('/lab/extensions/warren/')) continue;
          fetchMs += r.duration;
          bytes += r.encodedBodySize;
        }
        return { measures, fetchMs, bytes };
      });
      await context.close();
      // The first load warms the server's caches and starts the services kernel: not counted.
      if (i > 0)
        samples.push({
          loadMs,
          measures: data.measures,
          extensionFetchMs: data.fetchMs,
          extensionBytes: data.bytes
        });
    }
    // The GPU panel's update cost: open it, then sample each update's main-thread time.
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await openLab(page, server.url);
    await page.evaluate(() =>
      (
        globalThis as unknown as {
          jupyterapp: { commands: { execute(id: string): Promise<unknown> } };
        }
      ).jupyterapp.commands
        .execute('warren:open-gpu')
        .then(() => undefined)
    );
    await page.locator('.jp-WarrenGpu-card').first().waitFor({ timeout: 120000 });
    await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { dataset: Record<string, string> } | null };
        __updates: number[];
      };
      g.__updates = [];
      let last = '';
      const tick = () => {
        const v = g.document.querySelector('.jp-WarrenGpu')?.dataset.updateMs ?? '';
        if (v && v !== last) g.__updates.push(Number(v));
        last = v;
      };
      setInterval(tick, 50);
    });
    await page.waitForTimeout(12000);
    panelUpdates.push(
      ...(await page.evaluate(() => (globalThis as unknown as { __updates: number[] }).__updates))
    );
    await context.close();
  } finally {
    await browser.close();
    await server.stop();
  }
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.measures)))].sort();
  console.log(`lab-load: ${samples.length} warm loads (median)`);
  console.log(
    `  page load to restored app        ${median(samples.map((s) => s.loadMs)).toFixed(0)} ms`
  );
  for (const name of names)
    console.log(
      `  ${name.padEnd(32)} ${median(samples.map((s) => s.measures[name] ?? NaN)).toFixed(2)} ms`
    );
  const activation = samples.map((s) =>
    Object.entries(s.measures)
      .filter(([k]) => k.endsWith(' activate'))
      .reduce((a, [, v]) => a + v, 0)
  );
  console.log(
    `  extension activate() total       ${median(activation).toFixed(2)} ms (target < 50 ms)`
  );
  console.log(
    `  extension bundle fetch (sum)     ${median(samples.map((s) => s.extensionFetchMs)).toFixed(1)} ms, ${(
      median(samples.map((s) => s.extensionBytes)) / 1024
    ).toFixed(0)} KiB`
  );
  console.log(
    `  GPU panel update (main thread)   ${median(panelUpdates).toFixed(2)} ms median, ${Math.max(...panelUpdates).toFixed(2)} ms max over ${panelUpdates.length} updates (target < 2 ms)`
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
