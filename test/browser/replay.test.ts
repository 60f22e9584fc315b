/**
 * A cell that runs on while its page is closed or reloaded: the stock
 * JupyterLab 4.6.4 from .venv, warren's kernel and extension, Debian's
 * Chromium. The page that comes back shows what the cell printed meanwhile,
 * then the rest as it comes; the file saved holds it; a second page shows it
 * once.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  cellState,
  openNotebook,
  reconnect,
  runCell,
  until,
  waitForIdle,
  warrenNotebook
} from './cells';
import type { LabLike } from './harness';
import { openLab, runCommand, useLab, withScreenshot } from './harness';

/**
 * A line a second for 30 s (the issue says 20): opening a Lab page took up to
 * 11 s on the shared test machine, and the page must be back while the cell
 * still runs to see the rest stream in.
 */
const TICKS = 30;

/** The ticker prints a line a second; the convert cell is a real mrconvert with its progress line. */
function notebook(): string {
  const code = (id: string, source: string) => ({ id, source });
  return warrenNotebook([
    code(
      'ticker',
      `for (let i = 0; i < ${TICKS}; i++) {\n  console.log(\`tick \${i}\`)\n  await new Promise((r) => setTimeout(r, 1000))\n}`
    ),
    code('convert', '!mrconvert rnd.mih out.nii.gz && echo converted'),
    code(
      'flood',
      'const { randomBytes } = await import("node:crypto")\n' +
        'for (let i = 0; i < 40; i++) {\n' +
        '  process.stdout.write(randomBytes(1 << 20).toString("latin1"))\n' +
        '  await new Promise((r) => setTimeout(r, 100))\n' +
        '}\n' +
        'console.log("\\nTHE END")'
    ),
    code(
      'progress',
      'display.text("step 0", { id: "p" })\n' +
        'for (let i = 1; i <= 20; i++) {\n' +
        '  await new Promise((r) => setTimeout(r, 1000))\n' +
        '  display.text(`step ${i}`, { id: "p", update: true })\n' +
        '}'
    ),
    code('queued', 'console.log("queued ran")')
  ]);
}

// A quarter of a megabyte per execution, so the flood below is cut short.
const lab = useLab(
  { WARREN_JOURNAL_EXECUTION_MB: '0.25' },
  {
    beforeOpen: ({ server }) => {
      const work = join(server.root, 'work');
      writeFileSync(join(work, 'replay.ipynb'), notebook());
      // 512 MB of random floats: gzip cannot shrink them, so mrconvert to
      // .nii.gz takes long enough (about 10 s) to reload the page in.
      for (let i = 0; i < 8; i++) appendFileSync(join(work, 'rnd.dat'), randomBytes(64 << 20));
      writeFileSync(
        join(work, 'rnd.mih'),
        'mrtrix image\ndim: 512,512,512\nvox: 1,1,1\nlayout: +0,+1,+2\ndatatype: Float32LE\n' +
          'transform: 1,0,0,0\ntransform: 0,1,0,0\ntransform: 0,0,1,0\nfile: rnd.dat 0\n'
      );
    }
  }
);

const lines = (n: number, from = 0) =>
  Array.from({ length: n - from }, (_, i) => `tick ${i + from}\n`).join('');

let second: Page | null = null;

test('a cell that ran on while its page was closed shows every line in order, then streams the rest', async () => {
  const { browser, server } = lab;
  let page = lab.page;
  await withScreenshot(page, 'replay-closed', async () => {
    await openNotebook(page, 'replay.ipynb');
    await waitForIdle(page);
    await runCell(page, 0);
    // The clock starts with the first line: a fresh kernel's first cell waits for its type checker.
    await until(page, 0, (s) => s.text.startsWith('tick 0\n'), 60000);
    const t0 = Date.now();
    // A websocket reconnect of the page running the cell adds no line twice.
    await until(page, 0, (s) => s.text.includes('tick 1\n'), 30000);
    await reconnect(page);
    const before = await until(page, 0, (s) => (s.text.includes('tick 4\n') ? s : false), 30000);
    expect(before.text).toBe(lines(before.text.split('\n').length - 1));
    await page.close();
    const closedAt = Date.now() - t0;
    // Back at about 15-20 s: the page is asked for at 10 s, and opening the Lab
    // and its notebook takes 5-11 s on this shared machine.
    await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - t0))));

    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    second = page;
    await openLab(page, server.url);
    await openNotebook(page, 'replay.ipynb');
    // Every line printed while no page was open is there, in order, and the cell is still running.
    const back = await until(page, 0, (s) => (s.text.length > 0 ? s : false), 30000);
    const backAt = Date.now() - t0;
    console.log(
      `closed at ${closedAt} ms, back at ${backAt} ms: ${back.text.split('\n').length - 1} lines, ${back.prompt}`
    );
    expect(backAt).toBeLessThan((TICKS - 1) * 1000);
    const shown = back.text.split('\n').length - 1;
    expect(shown).toBeGreaterThanOrEqual(10);
    expect(back.text).toBe(lines(shown));
    expect(back.state).toBe('running');
    expect(back.prompt).toBe('[*]:');
    expect(back.count).toBeNull();

    // The rest streams in, and the count is the kernel's.
    const done = await until(page, 0, (s) => (s.count !== null ? s : false), 30000);
    expect(done.text).toBe(lines(TICKS));
    expect(done.outputs).toBe(1);
    expect(done.count).toBe(1);
    expect(done.prompt).toBe('[1]:');
    expect(done.dirty).toBe(true);
  });
}, 240000);

test('a second browser opening the notebook shows the output once', async () => {
  const { browser, server } = lab;
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const other = await context.newPage();
  await withScreenshot(other, 'replay-second', async () => {
    await openLab(other, server.url);
    await openNotebook(other, 'replay.ipynb');
    const shown = await until(other, 0, (s) => (s.count !== null ? s : false), 30000);
    expect(shown.text).toBe(lines(TICKS));
    expect(shown.outputs).toBe(1);
    expect(shown.count).toBe(1);
    // Asked again (a websocket reconnect), nothing is added.
    await reconnect(other);
    await new Promise((r) => setTimeout(r, 2000));
    const again = await cellState(other, 0);
    expect(again?.text).toBe(lines(TICKS));
    expect(again?.outputs).toBe(1);
  });
  await context.close();
}, 180000);

test('the saved notebook holds the output made while the page was away', async () => {
  const page = second!;
  await runCommand(page, 'docmanager:save');
  const saved = JSON.parse(readFileSync(join(lab.server.root, 'work', 'replay.ipynb'), 'utf8')) as {
    cells: {
      id: string;
      execution_count: number | null;
      outputs: { text?: string[] | string }[];
    }[];
  };
  const ticker = saved.cells.find((c) => c.id === 'ticker')!;
  expect(ticker.execution_count).toBe(1);
  expect(ticker.outputs.map((o) => [o.text].flat().join('')).join('')).toBe(lines(TICKS));

  // Opened again once saved, the notebook is as the file holds it: nothing rewritten, nothing to save.
  const context = await lab.browser.newContext({ viewport: { width: 1400, height: 900 } });
  const other = await context.newPage();
  await withScreenshot(other, 'replay-saved', async () => {
    await openLab(other, lab.server.url);
    await openNotebook(other, 'replay.ipynb');
    await new Promise((r) => setTimeout(r, 3000));
    expect(await cellState(other, 0)).toMatchObject({
      text: lines(TICKS),
      outputs: 1,
      count: 1,
      dirty: false
    });
  });
  await context.close();
}, 120000);

test('a reload in the middle of !mrconvert shows its progress line, then the end', async () => {
  const page = second!;
  await withScreenshot(page, 'replay-reload', async () => {
    await runCell(page, 1);
    await until(page, 1, (s) => /mrconvert: \[\s*\d+%\] copying/.test(s.text), 60000);
    // A websocket reconnect of the page that runs the cell: its own future
    // shows the output, the journal adds nothing to it.
    await reconnect(page);
    await new Promise((r) => setTimeout(r, 1000));
    const own = await cellState(page, 1);
    expect(own?.outputs).toBe(1);
    expect(own?.text.split('copying from').length).toBe(2);
    await page.reload();
    await openLab(page, lab.server.url);
    await openNotebook(page, 'replay.ipynb');
    const back = await until(page, 1, (s) => (s.text.length > 0 ? s : false), 60000);
    console.log(`after the reload: ${JSON.stringify(back)}`);
    expect(back.prompt).toBe('[*]:');
    // The progress line as it stood (one line, its redraws collapsed), not the lines before it twice.
    expect(back.text).toMatch(/^mrconvert: \[\s*\d+%\] copying from "rnd\.mih" to "out\.nii\.gz"/);
    expect(back.text.split('copying from').length).toBe(2);
    const done = await until(page, 1, (s) => (s.count !== null ? s : false), 120000);
    console.log(`at the end: ${JSON.stringify(done)}`);
    expect(done.count).toBe(2);
    expect(done.prompt).toBe('[2]:');
    expect(done.text).toMatch(
      /^mrconvert: \[100%\] copying from "rnd\.mih" to "out\.nii\.gz"\s*\nmrconvert: \[100%\] compressing image "out\.nii\.gz"\s*\nconverted\n$/
    );
  });
}, 240000);

test('a flood while no page was open shows its end and what was dropped', async () => {
  const { browser, server } = lab;
  await runCell(second!, 2);
  await until(second!, 2, (s) => s.outputs > 0, 60000);
  await second!.close();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  second = page;
  await withScreenshot(page, 'replay-flood', async () => {
    await openLab(page, server.url);
    await openNotebook(page, 'replay.ipynb');
    const done = await until(page, 2, (s) => (s.count !== null ? s : false), 120000);
    expect(done.count).toBe(3);
    // The cell says what it does not show: what the kernel left out to keep
    // below the server's rate limit, or what the journal dropped beyond its
    // limit (it may drop the kernel's note too), as the timing has it.
    expect(done.text).toMatch(
      /\[warren: [\d.]+ (MB|kB|bytes) of (earlier output \(\d+ messages\) was dropped while no page was open|output left out here)/
    );
    expect(done.text.endsWith('\nTHE END\n')).toBe(true);
    // What the page was sent is bounded by the kernel's limits (the server's
    // rate, a quarter of a megabyte of journal here), not by the 40 MB the cell wrote.
    expect(done.text.length).toBeLessThan(2 * 1024 * 1024);
  });
}, 240000);

test('after a reload a display keeps updating in place and a queued cell runs in its turn', async () => {
  const page = second!;
  await withScreenshot(page, 'replay-queued', async () => {
    await page.evaluate(() => {
      const app = (globalThis as unknown as { jupyterapp: LabLike }).jupyterapp;
      (
        app.shell.currentWidget as { content: { activeCellIndex: number } }
      ).content.activeCellIndex = 3;
      void app.commands.execute('notebook:run-all-below');
    });
    await until(page, 3, (s) => s.displays.includes('step 1'), 60000);
    await page.reload();
    await openLab(page, lab.server.url);
    await openNotebook(page, 'replay.ipynb');
    const back = await until(page, 3, (s) => (s.displays.length > 0 ? s : false), 60000);
    expect(back.prompt).toBe('[*]:');
    expect(back.displays).toHaveLength(1);
    expect(back.displays[0]).toMatch(/^step (1?[1-9])$/);
    // The cell queued behind it is marked as JupyterLab marks a queued cell.
    const queued = await cellState(page, 4);
    expect(queued).toMatchObject({ prompt: '[*]:', outputs: 0, count: null });

    const done = await until(page, 3, (s) => (s.count !== null ? s : false), 60000);
    expect(done.displays).toEqual(['step 20']);
    expect(done.count).toBe(4);
    const after = await until(page, 4, (s) => (s.count !== null ? s : false), 30000);
    expect(after).toMatchObject({ text: 'queued ran\n', count: 5, prompt: '[5]:' });
  });
}, 180000);
