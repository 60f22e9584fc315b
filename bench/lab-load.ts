/**
 * Page load to a restored JupyterLab, and what the warren extension adds:
 * its plugins' activate() time (performance measures the plugins record),
 * the work it defers until after restore, and fetching its prebuilt bundle.
 *   npm run build:kernel && node lib/bench/lab-load.js [runs]
 * Target: activation adds < 50 ms to load.
 *
 * Then a `!echo` cell as seen in the page, warren beside ipykernel 7.4 (the
 * stock Jupyter's, in .venv) in the same page, split where the time goes:
 * run command -> execute_request on the websocket (the page), -> the first
 * stream message back (server, kernel and back), -> the text in the DOM (the
 * page's rendering).
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

interface EchoSample {
  /** run command to execute_request sent */
  toWireMs: number;
  /** execute_request sent to the first stream message received */
  roundTripMs: number;
  /** first stream message received to the text in the output area */
  renderMs: number;
  totalMs: number;
}

/**
 * Opens a notebook on `kernel` in a fresh page and runs `!echo` `n` times
 * (after two unmeasured warm-ups), timing each step in the page itself.
 */
async function echoInPage(
  browser: Awaited<ReturnType<typeof launchChromium>>,
  url: string,
  kernel: string,
  n: number
): Promise<EchoSample[]> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await openLab(page, url);
  await page.evaluate(
    (name) =>
      (
        globalThis as unknown as {
          jupyterapp: { commands: { execute(id: string, args: object): Promise<unknown> } };
        }
      ).jupyterapp.commands
        .execute('notebook:create-new', { kernelName: name })
        .then(() => undefined),
    kernel
  );
  await page.waitForFunction(
    () => {
      const app = (globalThis as unknown as { jupyterapp: { shell: { currentWidget: unknown } } })
        .jupyterapp;
      const w = app.shell.currentWidget as {
        sessionContext?: {
          session?: { kernel?: { connectionStatus: string; status: string } | null };
        };
      } | null;
      const k = w?.sessionContext?.session?.kernel;
      return k?.connectionStatus === 'connected' && k.status === 'idle';
    },
    null,
    { timeout: 120000, polling: 100 }
  );
  const samples: EchoSample[] = [];
  for (let i = 0; i < n + 2; i++) {
    const s = await page.evaluate(async (token) => {
      type Msg = {
        header: { msg_type: string; msg_id: string };
        parent_header: { msg_id?: string };
      };
      const g = globalThis as unknown as {
        jupyterapp: {
          shell: { currentWidget: unknown };
          commands: { execute(id: string): Promise<unknown> };
        };
        performance: { now(): number };
        MutationObserver: new (cb: () => void) => {
          observe(n: unknown, o: object): void;
          disconnect(): void;
        };
      };
      const w = g.jupyterapp.shell.currentWidget as {
        sessionContext: {
          session: {
            kernel: {
              anyMessage: {
                connect(f: (s: unknown, a: { msg: Msg; direction: string }) => void): void;
                disconnect(f: (s: unknown, a: { msg: Msg; direction: string }) => void): void;
              };
            };
          };
        };
        content: {
          activeCell: {
            model: { sharedModel: { setSource(s: string): void } };
            node: { textContent: string | null };
          };
        };
      };
      const cell = w.content.activeCell;
      const k = w.sessionContext.session.kernel;
      let sent = 0;
      let requestId = '';
      let stream = 0;
      const onMessage = (_: unknown, a: { msg: Msg; direction: string }) => {
        if (a.direction === 'send' && a.msg.header.msg_type === 'execute_request') {
          sent = g.performance.now();
          requestId = a.msg.header.msg_id;
        } else if (
          a.direction === 'recv' &&
          !stream &&
          a.msg.header.msg_type === 'stream' &&
          a.msg.parent_header.msg_id === requestId
        )
          stream = g.performance.now();
      };
      k.anyMessage.connect(onMessage);
      cell.model.sharedModel.setSource(`!echo ${token}`);
      const shown = new Promise<number>((resolve) => {
        const observer = new g.MutationObserver(() => {
          // Once in the editor, once more in the output.
          if ((cell.node.textContent ?? '').split(token).length > 2) {
            observer.disconnect();
            resolve(g.performance.now());
          }
        });
        observer.observe(cell.node, { childList: true, subtree: true, characterData: true });
      });
      const start = g.performance.now();
      await g.jupyterapp.commands.execute('notebook:run-cell');
      const end = await shown;
      k.anyMessage.disconnect(onMessage);
      return {
        toWireMs: sent - start,
        roundTripMs: stream - sent,
        renderMs: end - stream,
        totalMs: end - start
      };
    }, `echo-${kernel}-${i}`);
    if (i >= 2) samples.push(s);
  }
  await context.close();
  return samples;
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
  const echo: Record<string, EchoSample[]> = {};
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
    for (const kernel of ['warren', 'python3'])
      echo[kernel] = await echoInPage(browser, server.url, kernel, runs * 4);
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
  console.log(
    `\n!echo in the page (median of ${echo.warren?.length ?? 0}), warren | ipykernel 7.4 | ratio`
  );
  const steps: [keyof EchoSample, string][] = [
    ['totalMs', 'run command to text shown'],
    ['toWireMs', '  page: command to websocket'],
    ['roundTripMs', '  server + kernel: request to first stream'],
    ['renderMs', '  page: stream to text in the DOM']
  ];
  for (const [key, label] of steps) {
    const w = median((echo.warren ?? []).map((s) => s[key]));
    const p = median((echo.python3 ?? []).map((s) => s[key]));
    console.log(
      `  ${label.padEnd(44)} ${w.toFixed(1)} ms | ${p.toFixed(1)} ms | ${(w / p).toFixed(2)}x`
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
