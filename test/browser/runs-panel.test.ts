/**
 * Issue 17, the Runs panel against the real page and a real one-node Slurm:
 * the dialog shows the parameters cell (or warns there is none), a run's log
 * is drawn as a cell's output is and names its run, results land in the
 * results folder, a cancel and an end are announced, a map started from the
 * command line is listed with its counts and a retry, and a run is forgotten.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { dataDirWithWarren, tempDir, warren, writeNotebook } from '../cluster/fixtures';
import { RESULTS, ROOT, runCommand, useLab, withScreenshot } from './harness';
import type { PageGlobal } from './harness';

jest.setTimeout(300000);

let slurmDir: string;
let conf: string;
let data: string;
/** The services kernel's run records: the CLI given the same dir sees the same runs. */
const labData = tempDir('warren-lab-data-');

beforeAll(() => {
  slurmDir = tempDir('warren-slurm-');
  conf = execFileSync('bash', [join(ROOT, 'scripts', 'slurm-up.sh'), slurmDir], {
    encoding: 'utf8'
  }).trim();
  data = dataDirWithWarren();
});

const lab = useLab(
  { JUPYTER_DATA_DIR: labData },
  {
    beforeOpen: ({ server }) => {
      const settings = join(server.root, 'lab', 'warren');
      mkdirSync(settings, { recursive: true });
      const profile = {
        name: 'local-slurm',
        kind: 'slurm',
        workdir: tempDir('warren-remote-'),
        env: { SLURM_CONF: conf, JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' }
      };
      writeFileSync(
        join(settings, 'runs.jupyterlab-settings'),
        JSON.stringify({ profiles: [profile], resultsFolder: 'results' })
      );
      const work = join(server.root, 'work');
      writeNotebook(join(work, 'colours.ipynb'), [
        { source: "const subject = 'sub-01';\nconst steps = 3;", tags: ['parameters'] },
        {
          source:
            "!printf '\\033[31mred %s\\033[0m\\n' $subject; for i in 10 50 100; do printf '\\r%d%%' $i; sleep 3; done; echo"
        },
        { source: "console.log('steps', steps)" }
      ]);
      writeNotebook(join(work, 'untagged.ipynb'), [{ source: "const subject = 'sub-01';" }]);
      writeNotebook(join(work, 'slow.ipynb'), [{ source: '!sleep 120' }]);
    }
  }
);

afterAll(() => {
  execFileSync('bash', [join(ROOT, 'scripts', 'slurm-down.sh'), slurmDir]);
});

async function runIds(page: Page): Promise<string[]> {
  return page
    .locator('.jp-WarrenRuns-run')
    .evaluateAll((rows) =>
      rows.map((r) => (r as unknown as { dataset: { id: string } }).dataset.id)
    );
}

async function newRun(page: Page, known: string[]): Promise<string> {
  const handle = await page.waitForFunction(
    (before: string[]) => {
      const rows = (globalThis as unknown as PageGlobal).document.querySelectorAll(
        '.jp-WarrenRuns-run'
      );
      for (let i = 0; i < rows.length; i++) {
        const id = (rows[i] as unknown as { dataset: { id: string } }).dataset.id;
        if (!before.includes(id)) return id;
      }
      return false;
    },
    known,
    { timeout: 90000, polling: 100 }
  );
  return String(await handle.jsonValue());
}

async function stateIs(page: Page, id: string, states: string[], timeout = 150000): Promise<void> {
  await page.waitForFunction(
    (a) =>
      a.states.includes(
        (
          (globalThis as unknown as PageGlobal).document.querySelector(
            `.jp-WarrenRuns-run[data-id="${a.id}"]`
          ) as unknown as { dataset: { state?: string } } | null
        )?.dataset.state ?? ''
      ),
    { id, states },
    { timeout, polling: 200 }
  );
}

async function openDialog(page: Page, path: string): Promise<void> {
  await runCommand(page, 'docmanager:open', { path });
  const button = page.locator(
    '.jp-NotebookPanel:visible .jp-Toolbar [data-command="warren:send-to-cluster"]'
  );
  await button.waitFor({ timeout: 60000 });
  await button.click();
  await page.locator('.jp-Dialog .jp-WarrenRunsForm').waitFor({ timeout: 30000 });
}

async function shot(page: Page, name: string, selector?: string): Promise<void> {
  // Toasts sit over the sidebar's foot: close them (a user would) so the panel can be read.
  const close = page.locator('.jp-Notification-Toast-Close:visible');
  for (let i = 0; i < 20 && (await close.count()) > 0; i++)
    await close
      .first()
      .click({ timeout: 2000 })
      .catch(() => undefined);
  await page.waitForTimeout(800);
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  if (selector) await page.locator(selector).first().screenshot({ path });
  else await page.screenshot({ path });
}

test('a notebook without a parameters cell gets a warning in the send dialog', async () => {
  const { page } = lab;
  await withScreenshot(page, 'runs-dialog-warning-failed', async () => {
    await openDialog(page, 'untagged.ipynb');
    const warning = page.locator('.jp-Dialog .jp-WarrenRunsForm-cell.jp-mod-warning');
    await expect(warning.textContent()).resolves.toMatch(
      /no cell tagged "parameters".*a later cell that sets the same name wins/
    );
    await shot(page, 'runs-dialog-warning', '.jp-Dialog-content');
    await page.locator('.jp-Dialog .jp-mod-reject').click();
  });
});

test('a run shows its parameters cell in the dialog, its log as a cell shows it, its times, and its result in the results folder', async () => {
  const { page } = lab;
  await withScreenshot(page, 'runs-log-failed', async () => {
    await openDialog(page, 'colours.ipynb');
    const cell = page.locator('.jp-Dialog .jp-WarrenRunsForm-cell pre');
    await expect(cell.textContent()).resolves.toBe("const subject = 'sub-01';\nconst steps = 3;");
    await expect(
      page.locator('.jp-Dialog .jp-WarrenRunsForm-parameters').getAttribute('placeholder')
    ).resolves.toBe("subject='sub-01'\nsteps=3");
    await page.locator('.jp-Dialog .jp-WarrenRunsForm-parameters').fill('subject=sub-02');
    await shot(page, 'runs-dialog-parameters', '.jp-Dialog-content');
    const before = await runIds(page);
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    const id = await newRun(page, before);
    const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
    await row.click();
    await expect(page.locator('.jp-WarrenRuns-logTitle').textContent()).resolves.toMatch(
      new RegExp(`^Log of colours\\.ipynb · run ${id} · `)
    );
    await expect(row.locator('.jp-WarrenRuns-times').textContent()).resolves.toMatch(
      /^started (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d · (submitting|pending|running) for \d+ s$/
    );
    // While it runs the log streams: the red line is there before the end.
    await page
      .locator('.jp-WarrenRuns-log .ansi-red-fg', { hasText: 'red sub-02' })
      .waitFor({ timeout: 150000 });
    // Streamed, not read once at the end: the run has not printed its last redraw (100%,
    // 6 s after the red line) and its row does not say it ended.
    const whileRunning = (await row.getAttribute('data-state')) ?? '';
    const logWhileRunning = (await page.locator('.jp-WarrenRuns-log').textContent()) ?? '';
    expect(logWhileRunning).not.toContain('100%');
    await stateIs(page, id, ['completed', 'failed']);
    expect(await row.getAttribute('data-state')).toBe('completed');
    expect(['pending', 'running', 'submitting']).toContain(whileRunning);
    // The date too when the run started on another day (before midnight, the page after it).
    await expect(row.locator('.jp-WarrenRuns-times').textContent()).resolves.toMatch(
      /^started (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d · took (\d+ s|\d+ min \d\d s)$/
    );
    // The last tail: the progress line as its last redraw, rendered by the Lab's stdout renderer.
    await page.waitForFunction(
      () =>
        /steps 3/.test(
          (globalThis as unknown as PageGlobal).document.querySelector('.jp-WarrenRuns-log')
            ?.textContent ?? ''
        ),
      null,
      { timeout: 30000 }
    );
    // The Lab's renderer for a cell's stdout (warren's sixel-aware one, as in a cell).
    const log = page
      .locator('.jp-WarrenRuns-log > [data-mime-type="application/vnd.jupyter.stdout"]')
      .locator('.jp-RenderedText');
    const text = (await log.textContent()) ?? '';
    expect(text).toContain('red sub-02\n100%\n');
    expect(text).not.toContain('50%');
    expect(text).not.toMatch(/\[31m/);
    await expect(
      page.locator('.jp-WarrenRuns-log .ansi-red-fg').first().textContent()
    ).resolves.toBe('red sub-02');
    // The end is announced.
    await page
      .locator('.jp-toast-container, .Toastify')
      .filter({ hasText: 'colours.ipynb: COMPLETED' })
      .first()
      .waitFor({ state: 'attached', timeout: 20000 });
    await shot(page, 'runs-panel-log', '#jp-warren-runs');

    // The result is fetched into the results folder, and opens from the panel.
    await row.locator('.jp-WarrenRuns-open').click();
    await page.waitForFunction(
      (runId) => {
        const app = (globalThis as unknown as { jupyterapp: { shell: { currentWidget: unknown } } })
          .jupyterapp;
        const w = app.shell.currentWidget as { context?: { path?: string } } | null;
        return w?.context?.path === `results/colours.run-${runId}.ipynb`;
      },
      id,
      { timeout: 60000 }
    );
    await page.locator('.jp-WarrenRuns-results').click();
    await page
      .locator('.jp-FileBrowser-listing .jp-DirListing-item', {
        hasText: `colours.run-${id}.ipynb`
      })
      .waitFor({ timeout: 30000 });
  });
});

test('a cancel is announced when asked and when the run has stopped', async () => {
  const { page } = lab;
  await withScreenshot(page, 'runs-cancel-failed', async () => {
    await openDialog(page, 'slow.ipynb');
    const before = await runIds(page);
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    const id = await newRun(page, before);
    await stateIs(page, id, ['pending', 'running']);
    const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
    await row.locator('.jp-WarrenRuns-cancel').click();
    await page
      .locator('.jp-toast-container, .Toastify')
      .filter({ hasText: `Cancelling slow.ipynb (run ${id})` })
      .first()
      .waitFor({ state: 'attached', timeout: 10000 });
    await stateIs(page, id, ['cancelled']);
    await page
      .locator('.jp-toast-container, .Toastify')
      .filter({ hasText: 'slow.ipynb: CANCELLED' })
      .first()
      .waitFor({ state: 'attached', timeout: 30000 });
    // A run that did not complete can be run again: a new run of the same notebook.
    const known = await runIds(page);
    await row.locator('.jp-WarrenRuns-retry', { hasText: 'Run again' }).click();
    const again = await newRun(page, known);
    const second = page.locator(`.jp-WarrenRuns-run[data-id="${again}"]`);
    await expect(second.locator('.jp-WarrenRuns-name').textContent()).resolves.toBe('slow.ipynb');
    await stateIs(page, again, ['pending', 'running']);
    await second.locator('.jp-WarrenRuns-cancel').click();
    await stateIs(page, again, ['cancelled']);
  });
});

test('a map started with `warren map` is listed with its counts and a retry, and a run is forgotten from the panel and the CLI', async () => {
  const { page, server } = lab;
  await withScreenshot(page, 'runs-map-failed', async () => {
    const env = {
      JUPYTER_DATA_DIR: labData,
      JUPYTERLAB_SETTINGS_DIR: join(server.root, 'lab')
    };
    await runCommand(page, 'warren:open-runs');
    const file = join(tempDir('warren-map-'), 'commands.txt');
    writeFileSync(
      file,
      ['echo one', 'echo two', 'echo three >&2; exit 3', 'echo four', 'echo five'].join('\n')
    );
    const before = await runIds(page);
    const submitted = await warren(
      ['map', file, '--chunk', '2', '--profile', 'local-slurm', '--no-wait'],
      env
    );
    expect(submitted.code).toBe(0);
    const id = /^(map-[0-9a-f]+):/.exec(submitted.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(await newRun(page, before)).toBe(id);
    const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
    await expect(row.getAttribute('data-kind')).resolves.toBe('map');
    await expect(row.locator('.jp-WarrenRuns-meta').textContent()).resolves.toMatch(
      /^map · local-slurm/
    );
    await stateIs(page, id, ['completed', 'failed']);
    await page.waitForFunction(
      (mapId) =>
        (globalThis as unknown as PageGlobal).document.querySelector(
          `.jp-WarrenRuns-run[data-id="${mapId}"] .jp-WarrenRuns-counts`
        )?.textContent === '5 of 5 commands done, 1 failed',
      id,
      { timeout: 60000 }
    );
    // Retry failed: a new array of the one failed command, under the same map.
    const firstJob = (await row.locator('.jp-WarrenRuns-meta').textContent()) ?? '';
    await row.locator('.jp-WarrenRuns-retry').click();
    await page.waitForFunction(
      (a) =>
        ((globalThis as unknown as PageGlobal).document.querySelector(
          `.jp-WarrenRuns-run[data-id="${a.id}"] .jp-WarrenRuns-meta`
        )?.textContent ?? a.first) !== a.first,
      { id, first: firstJob },
      { timeout: 60000 }
    );
    await stateIs(page, id, ['completed', 'failed']);
    await page.waitForFunction(
      (mapId) =>
        (globalThis as unknown as PageGlobal).document.querySelector(
          `.jp-WarrenRuns-run[data-id="${mapId}"] .jp-WarrenRuns-counts`
        )?.textContent === '5 of 5 commands done, 1 failed',
      id,
      { timeout: 60000 }
    );
    await row.click();
    await page
      .locator('.jp-WarrenRuns-log', { hasText: 'command 2 exited 3' })
      .waitFor({ timeout: 30000 });
    await expect(page.locator('.jp-WarrenRuns-log').textContent()).resolves.toContain('three');
    await shot(page, 'runs-panel-map', '#jp-warren-runs');

    // Forget: asked first, then gone from the panel and from `warren runs list`.
    await row.locator('.jp-WarrenRuns-forget').click();
    await page.locator('.jp-Dialog', { hasText: 'Forget this run?' }).waitFor({ timeout: 10000 });
    await shot(page, 'runs-forget-confirm', '.jp-Dialog-content');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await row.waitFor({ state: 'detached', timeout: 30000 });
    const listed = await warren(['runs', 'list'], env);
    expect(listed.stdout).not.toContain(id);

    // The CLI forgets too, and the panel follows.
    const one = join(tempDir('warren-map-'), 'one.txt');
    writeFileSync(one, 'echo ok\n');
    const known = await runIds(page);
    const started = await warren(
      ['map', one, '--chunk', '1', '--profile', 'local-slurm', '--no-wait'],
      env
    );
    const other = /^(map-[0-9a-f]+):/.exec(started.stdout)?.[1] ?? '';
    expect(await newRun(page, known)).toBe(other);
    await stateIs(page, other, ['completed', 'failed']);
    const forgot = await warren(['runs', 'forget', other], env);
    expect(forgot.stdout).toMatch(new RegExp(`^forgot ${other}`));
    await page
      .locator(`.jp-WarrenRuns-run[data-id="${other}"]`)
      .waitFor({ state: 'detached', timeout: 30000 });
  });
});

test('maps started in a notebook with %map and warren.map are listed as they run, with their counts', async () => {
  const { page, server } = lab;
  await withScreenshot(page, 'runs-map-cell-failed', async () => {
    writeFileSync(join(server.root, 'work', 'three.txt'), 'echo a\necho b\necho c\n');
    await runCommand(page, 'notebook:create-new', { kernelName: 'warren' });
    await page.waitForFunction(
      () => {
        const app = (
          globalThis as unknown as {
            jupyterapp: { shell: { currentWidget: unknown } };
          }
        ).jupyterapp;
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
    const runCell = async (code: string) => {
      const before = await runIds(page);
      const editor = page
        .locator('.jp-NotebookPanel:visible .jp-Cell')
        .last()
        .locator('.cm-content');
      await editor.click();
      await page.keyboard.type(code);
      await page.keyboard.press('Shift+Enter');
      return newRun(page, before);
    };
    for (const [code, total, name] of [
      [
        `%map ${join(server.root, 'work', 'three.txt')} --chunk 2 --profile local-slurm`,
        3,
        'three.txt'
      ],
      [
        "await warren.map(['echo x', 'exit 4'], { chunk: 1, profile: 'local-slurm' })",
        2,
        'commands from a cell'
      ]
    ] as const) {
      const id = await runCell(code);
      const row = page.locator(`.jp-WarrenRuns-run[data-id="${id}"]`);
      await expect(row.getAttribute('data-kind')).resolves.toBe('map');
      await expect(row.locator('.jp-WarrenRuns-name').textContent()).resolves.toBe(name);
      await stateIs(page, id, ['completed', 'failed']);
      const failed = total === 2 ? 1 : 0;
      await page.waitForFunction(
        (a) =>
          (globalThis as unknown as PageGlobal).document.querySelector(
            `.jp-WarrenRuns-run[data-id="${a.id}"] .jp-WarrenRuns-counts`
          )?.textContent === a.text,
        { id, text: `${total} of ${total} commands done, ${failed} failed` },
        { timeout: 60000 }
      );
    }
    await runCommand(page, 'warren:open-runs');
    await shot(page, 'runs-panel-cell-maps', '#jp-warren-runs');
  });
});
