/**
 * The services kernel's connection in the stock JupyterLab (jupyter_server 2):
 * the panels come back by themselves after each way the connection can go,
 * and say what happened meanwhile. Each test records the states and words the
 * GPU panel's status line goes through, makes the connection go, and waits
 * for the panel to be fed fresh samples again.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT, openLab, runCommand, useLab, withScreenshot } from './harness';
import type { PageGlobal } from './harness';

jest.setTimeout(300000);

/**
 * The Lab finds the `warren` kernelspec here first (JUPYTER_PATH: in a
 * virtualenv jupyter_core puts the environment's own folders before
 * JUPYTER_DATA_DIR): the kernel as the project's, started through a launcher
 * a test can take away, so that the services kernel cannot start.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'warren-services-data-'));
const launcher = join(dataDir, 'warren-kernel');
mkdirSync(join(dataDir, 'kernels', 'warren'), { recursive: true });
writeFileSync(
  launcher,
  `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'lib', 'kernel', 'cli', 'warren.js')}' kernel --language typescript "$@"\n`
);
chmodSync(launcher, 0o755);
writeFileSync(
  join(dataDir, 'kernels', 'warren', 'kernel.json'),
  JSON.stringify({
    argv: [launcher, '-f', '{connection_file}'],
    display_name: 'TypeScript (warren)',
    language: 'typescript',
    interrupt_mode: 'message',
    metadata: { debugger: false }
  })
);

const lab = useLab(
  {
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100',
    JUPYTER_PATH: dataDir
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

type Recorder = { warrenStates: string[]; warrenTexts: string[] } & PageGlobal;

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

/** Starts recording every state the GPU panel's status line takes, and its words. */
async function recordStates(): Promise<void> {
  await lab.page.evaluate(() => {
    const g = globalThis as unknown as Recorder & {
      MutationObserver: new (cb: () => void) => { observe(node: unknown, options: object): void };
    };
    g.warrenStates = [];
    g.warrenTexts = [];
    const status = g.document.querySelector('.jp-WarrenGpu-status') as unknown as {
      dataset: { state?: string };
      textContent: string | null;
    };
    new g.MutationObserver(() => {
      g.warrenStates.push(status.dataset.state ?? '');
      const text = status.textContent ?? '';
      if (g.warrenTexts[g.warrenTexts.length - 1] !== text) g.warrenTexts.push(text);
    }).observe(status, {
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
/** The words the status line showed since recordStates, each change once. */
async function recordedTexts(): Promise<string[]> {
  return lab.page.evaluate(() => (globalThis as unknown as Recorder).warrenTexts);
}

/** What the status line says while fed: "1 GPU via nvidia-smi", or the wait for the first sample. */
const FED = /^(\d+ GPUs? via \S+.*|Waiting for the first GPU sample…)$/;

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
    // Meanwhile it said so in words, and every line it showed was about the services kernel.
    const texts = await recordedTexts();
    expect(texts).toContain('lost the connection to the services kernel; reconnecting');
    expect(texts.filter((t) => !FED.test(t) && !/services (kernel|session)/.test(t))).toEqual([]);
  });
});

test('a services kernel that cannot start is said so in the panel, which comes back once it can', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-cannot-start', async () => {
    await panelFed();
    const [id] = await servicesKernels();
    await recordStates();
    // Its kernelspec's command is gone: jupyter_server cannot launch it.
    renameSync(launcher, `${launcher}.away`);
    try {
      await page.evaluate(async (kernelId) => {
        const g = globalThis as unknown as { fetch(url: string, init: object): Promise<unknown> };
        await g.fetch(`/api/kernels/${kernelId}`, { method: 'DELETE' });
      }, id);
      await page.waitForFunction(
        () =>
          /could not start/.test(
            (globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenGpu-status')
              ?.textContent ?? ''
          ),
        null,
        { timeout: 120000, polling: 200 }
      );
      const said = await page.locator('.jp-WarrenGpu-status').textContent();
      expect(said).toMatch(/^the warren services kernel could not start: .+\. Retrying…$/);
      expect(said).toContain('warren-kernel');
      await expect(page.locator('.jp-WarrenGpu-status').getAttribute('data-state')).resolves.toBe(
        'dead'
      );
    } finally {
      renameSync(`${launcher}.away`, launcher);
    }
    await backWithFreshSamples(['dead']);
    const after = await servicesKernels();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual([id]);
  });
});
