/**
 * The services kernel's connection in the stock JupyterLab (jupyter_server 2):
 * the panels come back by themselves after each way the connection can go.
 * Each test records the states the GPU panel's status line goes through, makes
 * the connection go, and waits for the panel to be fed fresh samples again.
 */
import { delimiter, join } from 'node:path';
import { ROOT, openLab, runCommand, useLab, withScreenshot } from './harness';
import type { PageGlobal } from './harness';

jest.setTimeout(300000);

const lab = useLab(
  {
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100'
  },
  {
    beforeOpen: async ({ page }) => {
      // Every websocket the page opens, so a test can drop one as a network would.
      await page.addInitScript(() => {
        const g = globalThis as unknown as {
          WebSocket: new (url: string, protocols?: string | string[]) => { url: string };
          warrenSockets: { url: string; close(): void }[];
        };
        const Native = g.WebSocket;
        g.warrenSockets = [];
        g.WebSocket = class extends (Native as unknown as new (
          url: string,
          protocols?: string | string[]
        ) => { url: string; close(): void }) {
          constructor(url: string, protocols?: string | string[]) {
            super(url, protocols);
            g.warrenSockets.push(this);
          }
        } as unknown as typeof g.WebSocket;
      });
    }
  }
);

type Recorder = { warrenStates: string[] } & PageGlobal;

/** The services session's kernel id, as the server lists it. */
async function servicesKernels(): Promise<string[]> {
  return lab.page.evaluate(async () => {
    const g = globalThis as unknown as {
      fetch(url: string): Promise<{ json(): Promise<unknown> }>;
    };
    const sessions = (await (await g.fetch('/api/sessions')).json()) as {
      path: string;
      kernel: { id: string };
    }[];
    return sessions.filter((s) => s.path === '.warren/services').map((s) => s.kernel.id);
  });
}

/** Opens the GPU panel and waits until it shows samples (state ok). */
async function panelFed(): Promise<void> {
  await runCommand(lab.page, 'warren:open-gpu');
  await lab.page.waitForFunction(
    () =>
      (
        (globalThis as unknown as PageGlobal).document.querySelector(
          '.jp-WarrenGpu-status'
        ) as unknown as {
          dataset: { state?: string };
        } | null
      )?.dataset.state === 'ok',
    null,
    { timeout: 120000, polling: 200 }
  );
}

/** Starts recording every state the GPU panel's status line takes. */
async function recordStates(): Promise<void> {
  await lab.page.evaluate(() => {
    const g = globalThis as unknown as Recorder & {
      MutationObserver: new (cb: () => void) => { observe(node: unknown, options: object): void };
    };
    g.warrenStates = [];
    const status = g.document.querySelector('.jp-WarrenGpu-status') as unknown as {
      dataset: { state?: string };
    };
    new g.MutationObserver(() => g.warrenStates.push(status.dataset.state ?? '')).observe(status, {
      attributes: true,
      childList: true,
      characterData: true,
      subtree: true
    });
  });
}

/**
 * Waits until the panel has left `ok` for one of `away` and come back to it,
 * then until the status bar changes: new samples are flowing through a comm
 * opened again, not the last one shown before the connection went.
 */
async function backWithFreshSamples(away: string[]): Promise<string[]> {
  const { page } = lab;
  await page.waitForFunction(
    (states) => {
      const g = globalThis as unknown as Recorder;
      const status = g.document.querySelector('.jp-WarrenGpu-status') as unknown as {
        dataset: { state?: string };
      };
      return g.warrenStates.some((s) => states.includes(s)) && status.dataset.state === 'ok';
    },
    away,
    { timeout: 120000, polling: 200 }
  );
  const before = await page.locator('.jp-WarrenGpuStatus').textContent();
  await page.waitForFunction(
    (text) =>
      ((globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenGpuStatus')
        ?.textContent ?? '') !== text,
    before,
    { timeout: 30000 }
  );
  return page.evaluate(() => (globalThis as unknown as Recorder).warrenStates);
}

test('after a page reload the panels reconnect to the same services kernel', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-reload', async () => {
    await panelFed();
    const before = await servicesKernels();
    expect(before).toHaveLength(1);
    await page.reload();
    await openLab(page, lab.server.url);
    await panelFed();
    await recordStates();
    const text = await page.locator('.jp-WarrenGpuStatus').textContent();
    await page.waitForFunction(
      (t) =>
        ((globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenGpuStatus')
          ?.textContent ?? '') !== t,
      text,
      { timeout: 30000 }
    );
    expect(await servicesKernels()).toEqual(before);
  });
});

test('a services kernel restart from the palette command brings the panels back', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-restart', async () => {
    await panelFed();
    const before = await servicesKernels();
    await recordStates();
    await runCommand(page, 'warren:restart-services');
    const states = await backWithFreshSamples(['restarting', 'starting', 'disconnected']);
    expect(states).toContain('restarting');
    // A restart keeps the kernel (and its id); only its process is new.
    expect(await servicesKernels()).toEqual(before);
  });
});

test('a dropped websocket to the services kernel reconnects and the comms reopen', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-websocket', async () => {
    await panelFed();
    const [id] = await servicesKernels();
    await recordStates();
    const closed = await page.evaluate((kernelId) => {
      const g = globalThis as unknown as { warrenSockets: { url: string; close(): void }[] };
      const mine = g.warrenSockets.filter((s) =>
        s.url.includes(`/api/kernels/${kernelId}/channels`)
      );
      for (const s of mine) s.close();
      return mine.length;
    }, id);
    expect(closed).toBeGreaterThan(0);
    const states = await backWithFreshSamples(['disconnected']);
    expect(states).toContain('disconnected');
    expect(await servicesKernels()).toEqual([id]);
  });
});

test('after the server restarts the panels start a new services kernel and come back', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-server-restart', async () => {
    await panelFed();
    const before = await servicesKernels();
    await recordStates();
    await lab.server.restart();
    const states = await backWithFreshSamples(['disconnected', 'dead', 'starting']);
    expect(states.some((s) => s !== 'ok')).toBe(true);
    const after = await servicesKernels();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });
});
