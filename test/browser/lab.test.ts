/**
 * The real page: scripts/start.js serving the stock JupyterLab (pip, .venv) with
 * the warren kernel and extension installed, driven in the system Chromium.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';
import type { LabLike, PageGlobal } from './harness';

jest.setTimeout(300000);

const consoleErrors: string[] = [];
const consoleWarnings: string[] = [];
/** The stand-in nvidia-smi reports its compute process under the pid written here. */
const gpuPidFile = join(mkdtempSync(join(tmpdir(), 'warren-gpu-pid-')), 'pid');

// The services kernel inherits this environment: the stand-in nvidia-smi
// replays the H100 captures.
const lab = useLab(
  {
    PATH: `${join(ROOT, 'test', 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    WARREN_FAKE_GPU_FIXTURE: 'h100',
    WARREN_FAKE_GPU_PID: `file:${gpuPidFile}`
  },
  {
    beforeOpen: ({ page }) => {
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'warning') consoleWarnings.push(m.text());
      });
    }
  }
);

type KernelLike = { connectionStatus: string; status: string; name: string };

/** Waits for the current notebook's kernel to be connected and idle: a Shift+Enter sent earlier is lost. */
async function waitForIdleKernel(): Promise<string> {
  const handle = await lab.page.waitForFunction(
    () => {
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      const widget = app.shell.currentWidget as {
        sessionContext?: { session?: { kernel?: KernelLike | null } | null };
      } | null;
      const kernel = widget?.sessionContext?.session?.kernel;
      return kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
        ? kernel.name
        : false;
    },
    null,
    { timeout: 120000, polling: 200 }
  );
  return String(await handle.jsonValue());
}

async function runInCell(index: number, code: string): Promise<void> {
  const { page } = lab;
  const editor = page
    .locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.cm-content');
  await editor.click();
  await page.keyboard.type(code);
  await page.keyboard.press('Shift+Enter');
}

function outputOf(index: number) {
  return lab.page
    .locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-OutputArea-output');
}

/** Every plugin warren declares: one settings schema per plugin (schema/NAME.json is warren:NAME), and the mime renderer. */
const DECLARED = [
  ...readdirSync(join(ROOT, 'schema'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => `warren:${f.replace(/\.json$/, '')}`),
  'warren:sixel-mime'
].sort();

test('every plugin the extension declares is registered and active', async () => {
  const { page } = lab;
  await withScreenshot(page, 'plugins-active', async () => {
    expect(DECLARED.length).toBeGreaterThanOrEqual(8);
    const states = await page.evaluate((ids) => {
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      return ids.map((id) => [id, app.hasPlugin(id), app.isPluginActivated(id)]);
    }, DECLARED);
    expect(states).toEqual(DECLARED.map((id) => [id, true, true]));
  });
});

test("every plugin the extension declares records its activate time (bench/lab-load.ts's total)", async () => {
  const measured = await lab.page.evaluate(() =>
    (
      globalThis as unknown as {
        performance: { getEntriesByType(t: 'measure'): { name: string }[] };
      }
    ).performance
      .getEntriesByType('measure')
      .map((m) => m.name)
      .filter((n) => n.endsWith(' activate'))
  );
  expect([...new Set(measured)].sort()).toEqual(DECLARED.map((id) => `${id} activate`));
});

test('a warren notebook runs a TypeScript cell and shows its value', async () => {
  const { page } = lab;
  await withScreenshot(page, 'typescript-cell', async () => {
    await runCommand(page, 'notebook:create-new', { kernelName: 'warren' });
    expect(await waitForIdleKernel()).toBe('warren');
    await runInCell(0, '1+1');
    // Exactly the execute_result `2`, and nothing else in the output (a TS error mentions digits too).
    const result = outputOf(0).and(page.locator('[data-mime-type="text/plain"]'));
    await result.first().waitFor({ timeout: 60000 });
    await expect(result.first().textContent()).resolves.toBe('2');
    await expect(outputOf(0).count()).resolves.toBe(1);
    await expect(
      page
        .locator('.jp-NotebookPanel:visible .jp-Notebook .jp-Cell')
        .nth(0)
        .locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        .count()
    ).resolves.toBe(0);
    await page.waitForFunction(
      () => {
        const cell = (globalThis as unknown as PageGlobal).document.querySelectorAll(
          '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'
        )[0];
        return cell?.querySelector('.jp-InputPrompt')?.textContent?.includes('[1]');
      },
      null,
      { timeout: 60000 }
    );
  });
});

test('a ! cell runs a shell command and shows its output', async () => {
  const { page } = lab;
  await withScreenshot(page, 'shell-cell', async () => {
    await waitForIdleKernel();
    await runInCell(1, '!echo hi');
    // A stdout stream that says exactly `hi` (an error mentioning 'hi' must not pass).
    const stdout = outputOf(1).and(
      page.locator('[data-mime-type="application/vnd.jupyter.stdout"]')
    );
    await stdout.first().waitFor({ timeout: 60000 });
    await expect(stdout.first().textContent()).resolves.toBe('hi\n');
    await expect(
      outputOf(1).and(page.locator('[data-mime-type="application/vnd.jupyter.stderr"]')).count()
    ).resolves.toBe(0);
  });
});

test('the GPU panel shows the replayed H100 and the status bar item updates', async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-panel', async () => {
    await runCommand(page, 'warren:open-gpu');
    const card = page.locator('.jp-WarrenGpu-card').first();
    await card.waitFor({ state: 'visible', timeout: 120000 });
    await expect(card.locator('.jp-WarrenGpu-cardTitle').textContent()).resolves.toContain('H100');
    await expect(page.locator('.jp-WarrenGpu-status').textContent()).resolves.toMatch(
      /1 GPU via nvidia-smi/
    );
    // Each chart has samples in it, not just a canvas: the card's two and the host's.
    for (const chart of ['use', 'power', 'host'])
      await page.waitForFunction(
        (c) =>
          Number(
            (
              globalThis as unknown as {
                document: {
                  querySelector(s: string): { getAttribute(n: string): string | null } | null;
                };
              }
            ).document
              .querySelector(`.jp-WarrenGpu [data-chart="${c}"]`)
              ?.getAttribute('data-points') ?? 0
          ) > 0,
        chart,
        { timeout: 30000 }
      );
    // The host's figures: its legend gives the machine's memory in use.
    const hostLegend = page.locator('.jp-WarrenGpu-host [data-chart="host"] .u-legend .u-series');
    await expect(hostLegend.locator('.u-label').allTextContents()).resolves.toEqual([
      'Time',
      'CPU',
      'Memory'
    ]);
    await expect(hostLegend.nth(2).locator('.u-value').textContent()).resolves.toMatch(
      /^[\d.]+ GiB \(\d+%\)$/
    );
    // The captured load run's compute process: its pid, GPU 0 and 1386 MiB.
    const row = page.locator('.jp-WarrenGpu-processes tbody tr[data-pid]').first();
    await row.waitFor({ timeout: 30000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells[0]).toMatch(/^\d+$/);
    expect(cells[0]).toBe(await row.getAttribute('data-pid'));
    expect(cells.slice(1, 3)).toEqual(['0', '1.4 GiB']);
    // The status bar shows utilisation and memory, and changes as samples arrive.
    const status = page.locator('.jp-WarrenGpuStatus');
    await page.waitForFunction(
      () =>
        /GPU \d+% · [\d.]+\/[\d.]+ GiB/.test(
          (globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenGpuStatus')
            ?.textContent ?? ''
        ),
      null,
      { timeout: 30000 }
    );
    const first = await status.textContent();
    await page.waitForFunction(
      (before) =>
        ((globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenGpuStatus')
          ?.textContent ?? '') !== before,
      first,
      { timeout: 30000 }
    );
  });
});

test("a GPU process started by a notebook's kernel is shown with that notebook's name", async () => {
  const { page } = lab;
  await withScreenshot(page, 'gpu-owner', async () => {
    await runCommand(page, 'notebook:create-new', { kernelName: 'warren' });
    await waitForIdleKernel();
    // The notebook's kernel "holds the GPU": the stand-in reports its pid.
    await runInCell(
      0,
      `require("fs").writeFileSync(${JSON.stringify(gpuPidFile)}, String(process.pid))`
    );
    await runCommand(page, 'warren:open-gpu');
    // This notebook's own path: the one the current widget shows.
    const path = await page.evaluate(() => {
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      return (app.shell.currentWidget as { context: { path: string } }).context.path;
    });
    const owner = page.locator('.jp-WarrenGpu-processes a.jp-WarrenGpu-owner');
    await owner.first().waitFor({ timeout: 60000 });
    await expect(owner.first().textContent()).resolves.toBe(path);
    // The link opens that notebook: switch away, click, and it is the current widget again.
    await runCommand(page, 'launcher:create');
    // JupyterLab's news toast may sit over the link: the click goes to the link itself.
    await owner.first().dispatchEvent('click');
    await page.waitForFunction(
      (p) => {
        const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
        return (
          (app.shell.currentWidget as { context?: { path: string } } | null)?.context?.path === p
        );
      },
      path,
      { timeout: 30000 }
    );
  });
});

test('when the services kernel dies the GPU panel says so, then reconnects to a new one', async () => {
  const { page } = lab;
  await withScreenshot(page, 'services-reconnect', async () => {
    const before = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        fetch(url: string, init?: object): Promise<{ json(): Promise<unknown> }>;
        MutationObserver: new (cb: () => void) => { observe(node: unknown, options: object): void };
        warrenStates: string[];
      } & PageGlobal;
      // Record every state the panel's status line goes through.
      g.warrenStates = [];
      const status = g.document.querySelector('.jp-WarrenGpu-status') as unknown as {
        dataset: { state?: string };
      };
      new g.MutationObserver(() => g.warrenStates.push(status.dataset.state ?? '')).observe(
        status,
        {
          attributes: true,
          childList: true,
          characterData: true,
          subtree: true
        }
      );
      const sessions = (await (await g.fetch('/api/sessions')).json()) as {
        path: string;
        kernel: { id: string };
      }[];
      const id = sessions.find((s) => s.path === '.warren/services')?.kernel.id ?? '';
      await g.fetch(`/api/kernels/${id}`, { method: 'DELETE' });
      return id;
    });
    expect(before).not.toBe('');
    await page.waitForFunction(
      (old) => {
        const g = globalThis as unknown as { warrenStates: string[] } & PageGlobal;
        const status = g.document.querySelector('.jp-WarrenGpu-status') as unknown as {
          dataset: { state?: string };
        };
        const saw = g.warrenStates.some(
          (s) => s === 'dead' || s === 'disconnected' || s === 'restarting'
        );
        return saw && status.dataset.state === 'ok' && old !== '';
      },
      before,
      { timeout: 90000, polling: 200 }
    );
    const after = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        fetch(url: string): Promise<{ json(): Promise<unknown> }>;
      };
      const sessions = (await (await g.fetch('/api/sessions')).json()) as {
        path: string;
        kernel: { id: string };
      }[];
      return sessions.filter((s) => s.path === '.warren/services').map((s) => s.kernel.id);
    });
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);
    await page.locator('.jp-WarrenGpu-card').first().waitFor({ state: 'visible', timeout: 30000 });
  });
});

test('a Lab terminal opens at the Lab root', async () => {
  const { page } = lab;
  await withScreenshot(page, 'terminal-root', async () => {
    await runCommand(page, 'terminal:create-new');
    await page.locator('.jp-Terminal:visible .xterm-screen').waitFor({ timeout: 60000 });
    /** The active terminal's text, as xterm.js holds it. */
    const screen = () =>
      page.evaluate(() => {
        type Buffer = {
          length: number;
          getLine(i: number): { translateToString(trim: boolean): string } | undefined;
        };
        const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
        const widget = app.shell.currentWidget as {
          content?: { _term?: { buffer: { active: Buffer } } };
        } | null;
        const buffer = widget?.content?._term?.buffer.active;
        if (!buffer) return '';
        const lines: string[] = [];
        for (let i = 0; i < buffer.length; i++)
          lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
        return lines.join('\n');
      });
    // Typing before the shell's prompt is drawn can be lost.
    const deadline = Date.now() + 30000;
    while (!/[$#]\s*$/.test((await screen()).trimEnd() + ' ') && Date.now() < deadline)
      await page.waitForTimeout(200);
    await page.locator('.jp-Terminal:visible .xterm-screen').click();
    // The marker's brackets are printed only by the command, not by its echo.
    await page.keyboard.type('echo "cwd=[$(pwd)]"\n');
    let said: RegExpExecArray | null = null;
    while (!(said = /^cwd=\[(.*)\]$/m.exec(await screen())) && Date.now() < deadline + 30000)
      await page.waitForTimeout(200);
    expect(said?.[1]).toBe(join(lab.server.root, 'work'));
  });
});

test("the page raised no uncaught errors, and every shared package warren asks for is the Lab's own version", () => {
  // JupyterLab 4.6.4's debugger threw "No active debugger session" after each
  // cell of a kernel without a debugger; warren:debugger-guard stops it.
  expect(consoleErrors).toEqual([]);
  expect(consoleWarnings.filter((m) => /Unsatisfied version/.test(m))).toEqual([]);
});
