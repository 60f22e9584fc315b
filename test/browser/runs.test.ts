/**
 * The Runs UI against the real page and a real one-node Slurm: the notebook
 * toolbar's "Send to cluster" submits, the Runs panel follows the job to
 * COMPLETED, and "Open result" opens the executed notebook.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDirWithWarren, tempDir, writeNotebook } from '../cluster/fixtures';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';
import type { Page } from 'playwright-core';
import type { PageGlobal } from './harness';

jest.setTimeout(300000);

let slurmDir: string;
/** The Slurm config and the data dir (with warren's kernelspec) the profile's jobs use. */
let conf: string;
let data: string;

beforeAll(() => {
  slurmDir = tempDir('warren-slurm-');
  conf = execFileSync('bash', [join(ROOT, 'scripts', 'slurm-up.sh'), slurmDir], {
    encoding: 'utf8'
  }).trim();
  data = dataDirWithWarren();
});

// The services kernel keeps its run records in this data dir, not the user's.
const lab = useLab(
  { JUPYTER_DATA_DIR: tempDir('warren-lab-data-') },
  {
    beforeOpen: ({ server, page }) => {
      // The Lab's settings dir (start.js --settings-dir, passed on to kernels as
      // JUPYTERLAB_SETTINGS_DIR): the services kernel reads the profile here.
      const settings = join(server.root, 'lab', 'warren');
      mkdirSync(settings, { recursive: true });
      const profile = {
        name: 'local-slurm',
        kind: 'slurm',
        mem: '200M',
        workdir: tempDir('warren-remote-'),
        // No `warren` command given: the job calls the launcher that start.js's
        // install put on the Lab's PATH.
        env: { SLURM_CONF: conf, JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' }
      };
      // A profile whose job cannot run warren: the run must fail with the job's own error.
      const broken = {
        ...profile,
        name: 'broken-warren',
        warren: 'warren-missing-command',
        mem: '300M',
        time: '0:07:00'
      };
      writeFileSync(
        join(settings, 'runs.jupyterlab-settings'),
        JSON.stringify({ profiles: [profile, broken] })
      );
      writeNotebook(join(server.root, 'work', 'send.ipynb'), [
        { source: 'const x = 1;', tags: ['parameters'] },
        { source: '!echo from slurm job $SLURM_JOB_ID' },
        { source: "console.log('answer', x * 2)" }
      ]);
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning')
          console.log(`page ${m.type()}: ${m.text()}`);
      });
    }
  }
);

// Registered after useLab's afterAll: Slurm stops once the lab has.
afterAll(() => {
  execFileSync('bash', [join(ROOT, 'scripts', 'slurm-down.sh'), slurmDir]);
});

/** The ids of the runs the panel lists now. */
function runIds(page: Page): Promise<string[]> {
  return page
    .locator('.jp-WarrenRuns-run')
    .evaluateAll((rows) =>
      rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id)
    );
}

/** Waits for a run the panel did not list in `known` and returns its id. */
async function newRunId(page: Page, known: string[]): Promise<string> {
  const handle = await page.waitForFunction(
    (ids: string[]) => {
      const rows = (globalThis as unknown as PageGlobal).document.querySelectorAll(
        '.jp-WarrenRuns-run'
      );
      for (let i = 0; i < rows.length; i++) {
        const id = (rows[i] as unknown as { dataset: { id: string } }).dataset.id;
        if (!ids.includes(id)) return id;
      }
      return false;
    },
    known,
    { timeout: 60000, polling: 50 }
  );
  return String(await handle.jsonValue());
}

test('Send to cluster submits to the local Slurm profile; the Runs panel shows COMPLETED and opens the result', async () => {
  const { server, page } = lab;
  await withScreenshot(page, 'runs-send', async () => {
    await runCommand(page, 'docmanager:open', { path: 'send.ipynb' });
    const button = page.locator(
      '.jp-NotebookPanel:visible .jp-Toolbar [data-command="warren:send-to-cluster"]'
    );
    await button.waitFor({ timeout: 60000 });
    await button.click();
    const form = page.locator('.jp-Dialog .jp-WarrenRunsForm');
    await form.waitFor({ timeout: 30000 });
    await expect(form.locator('.jp-WarrenRunsForm-profile').inputValue()).resolves.toBe(
      'local-slurm'
    );
    await form.locator('input[name="time"]').fill('5');
    await form.locator('.jp-WarrenRunsForm-parameters').fill('x=21');
    // Runs of earlier pages may be listed (the services kernel keeps its records): find the new one.
    const before = await runIds(page);
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    const id = await newRunId(page, before);
    const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
    // Record each state the row shows on its way.
    const states = new Set<string>();
    const deadline = Date.now() + 120000;
    for (;;) {
      const state = (await row.getAttribute('data-state')) ?? '';
      states.add(state);
      if (state === 'completed' || state === 'failed' || Date.now() > deadline) break;
      await page.waitForTimeout(100);
    }
    if ((await row.getAttribute('data-state')) !== 'completed')
      console.log(server.output().slice(-6000));
    expect(await row.getAttribute('data-state')).toBe('completed');
    expect([...states].some((s) => s === 'pending' || s === 'running')).toBe(true);
    await expect(row.locator('.jp-WarrenRuns-state').textContent()).resolves.toBe('COMPLETED');
    // The end is announced.
    await page
      .locator('.jp-toast-container, .Toastify')
      .filter({ hasText: 'COMPLETED' })
      .first()
      .waitFor({ state: 'attached', timeout: 20000 });

    await row.locator('.jp-WarrenRuns-open').click();
    await page.waitForFunction(
      () => {
        const g = globalThis as unknown as PageGlobal;
        const tab = g.document.querySelector(
          '.lm-DockPanel-tabBar .lm-mod-current .lm-TabBar-tabLabel'
        );
        return /^send\.run-.*\.ipynb$/.test(tab?.textContent ?? '');
      },
      null,
      { timeout: 60000 }
    );
    const outputs = page.locator('.jp-NotebookPanel:visible .jp-OutputArea-output');
    await outputs.filter({ hasText: 'answer 42' }).first().waitFor({ timeout: 30000 });
    await expect(outputs.filter({ hasText: /from slurm job \d+/ }).count()).resolves.toBe(1);
  });
});

test("picking a profile fills in its resources, keeping those typed; a run whose job fails says the job's own error, not a missing result file", async () => {
  const { page } = lab;
  await withScreenshot(page, 'runs-failed', async () => {
    await runCommand(page, 'docmanager:open', { path: 'send.ipynb' });
    const button = page.locator(
      '.jp-NotebookPanel:visible .jp-Toolbar [data-command="warren:send-to-cluster"]'
    );
    await button.waitFor({ timeout: 60000 });
    const before = await runIds(page);
    const toasts: string[] = [];
    page.on('console', (m) => toasts.push(m.text()));
    await button.click();
    const form = page.locator('.jp-Dialog .jp-WarrenRunsForm');
    await form.waitFor({ timeout: 30000 });
    // The fields show the first profile's defaults; picking another fills in
    // its own, but keeps what the user typed.
    await expect(form.locator('input[name="mem"]').inputValue()).resolves.toBe('200M');
    await expect(form.locator('input[name="time"]').inputValue()).resolves.toBe('');
    await form.locator('input[name="cpus"]').fill('1');
    await form.locator('.jp-WarrenRunsForm-profile').selectOption('broken-warren');
    await expect(form.locator('input[name="mem"]').inputValue()).resolves.toBe('300M');
    await expect(form.locator('input[name="time"]').inputValue()).resolves.toBe('0:07:00');
    await expect(form.locator('input[name="cpus"]').inputValue()).resolves.toBe('1');
    await form.locator('input[name="time"]').fill('5');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    const id = await newRunId(page, before);
    const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
    await page.waitForFunction(
      (rowId) =>
        (
          (globalThis as unknown as PageGlobal).document.querySelector(
            `.jp-WarrenRuns-run[data-id="${rowId}"]`
          ) as unknown as { dataset: { state?: string } } | null
        )?.dataset.state === 'failed',
      id,
      { timeout: 120000, polling: 200 }
    );
    // The message the row carries once the run has been looked at after its end.
    await page.waitForFunction(
      (rowId) =>
        /not found/.test(
          (
            (globalThis as unknown as PageGlobal).document.querySelector(
              `.jp-WarrenRuns-run[data-id="${rowId}"] .jp-WarrenRuns-name`
            ) as unknown as { title?: string } | null
          )?.title ?? ''
        ),
      id,
      { timeout: 60000, polling: 200 }
    );
    const title = (await row.locator('.jp-WarrenRuns-name').getAttribute('title')) ?? '';
    expect(title).toMatch(/warren-missing-command: .*not found/);
    expect(title).not.toMatch(/ENOENT/);
    const notices = await page
      .locator('.jp-toast-container, .Toastify')
      .allTextContents()
      .catch(() => [] as string[]);
    expect([...notices, ...toasts].join('\n')).not.toMatch(/ENOENT/);
  });
});
