/**
 * The terminal a `!` command gets is as wide as the notebook's output, in
 * stock JupyterLab: a line as wide as the terminal shows on one line, and a
 * window made narrower while a command runs resizes its terminal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNotebook, runCell, until, waitForIdle, warrenNotebook } from './cells';
import { useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const lab = useLab();

/** Runs cell `i` and waits for its count; returns its stream text. */
async function run(i: number, count: number): Promise<string> {
  await runCell(lab.page, i);
  return until(lab.page, i, (s) => (s.count === count && s.state !== 'running' ? s.text : false));
}

/** How many lines the page draws cell `i`'s text output on. */
async function drawn(i: number): Promise<{ lines: number }> {
  return lab.page.evaluate((index) => {
    const g = globalThis as unknown as {
      document: {
        querySelectorAll(s: string): ArrayLike<{
          querySelector(s: string): { getBoundingClientRect(): { height: number } } | null;
        }>;
      };
      getComputedStyle(e: unknown): { lineHeight: string };
    };
    const cell = g.document.querySelectorAll('.jp-Notebook .jp-CodeCell')[index];
    const pre = cell.querySelector('.jp-OutputArea-output pre')!;
    const lineHeight = parseFloat(g.getComputedStyle(pre).lineHeight);
    return { lines: Math.round(pre.getBoundingClientRect().height / lineHeight) };
  }, i);
}

test("a command's terminal is as wide as the output, and follows the window while it runs", async () => {
  const page = lab.page;
  writeFileSync(
    join(lab.server.root, 'work', 'width.ipynb'),
    warrenNotebook([
      // A line exactly as wide as the terminal says it is.
      { source: "!printf 'x%.0s' $(seq $(tput cols)); echo" },
      { source: '!for i in $(seq 30); do tput cols; sleep 0.1; done' }
    ])
  );
  await withScreenshot(page, 'terminal-width', async () => {
    await openNotebook(page, 'width.ipynb');
    await waitForIdle(page);
    await page.setViewportSize({ width: 900, height: 900 });
    await page.waitForTimeout(1000);
    const line = (await run(0, 1)).trim();
    // Narrower than the 120 columns every command got before, and drawn on one line.
    expect(line.length).toBeGreaterThan(40);
    expect(line.length).toBeLessThan(120);
    expect((await drawn(0)).lines).toBe(1);

    // Wider while a command runs: its terminal follows.
    await runCell(page, 1);
    await page.waitForTimeout(1000);
    await page.setViewportSize({ width: 1400, height: 900 });
    const widths = await until(page, 1, (s) =>
      s.count === 2 && s.state !== 'running' ? s.text : false
    );
    const seen = [...new Set(widths.trim().split('\n').map(Number))];
    expect(seen[0]).toBe(line.length);
    expect(seen.length).toBe(2);
    expect(seen[1]).toBeGreaterThan(line.length + 40);
    // And the wider line still fits one line.
    const wide = (await run(0, 3)).trim();
    expect(wide.length).toBe(seen[1]);
    expect((await drawn(0)).lines).toBe(1);
  });
});
