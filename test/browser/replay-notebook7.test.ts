/**
 * Notebook 7 (pip, the same .venv): a cell that runs on across a reload of
 * its notebook page shows what it printed meanwhile, then the rest.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellState, openNotebook7, runCell, until, waitForIdle, warrenNotebook } from './cells';
import { useLab, withScreenshot } from './harness';

const TICKS = 20;

const lab = useLab(
  {},
  {
    app: 'notebook',
    beforeOpen: ({ server }) => {
      const nb = warrenNotebook([
        {
          id: 'ticker',
          source: `for (let i = 0; i < ${TICKS}; i++) {\n  console.log(\`tick \${i}\`)\n  await new Promise((r) => setTimeout(r, 1000))\n}`
        }
      ]);
      writeFileSync(join(server.root, 'work', 'replay7.ipynb'), nb);
    }
  }
);

const lines = (n: number) => Array.from({ length: n }, (_, i) => `tick ${i}\n`).join('');

test('a reload of a Notebook 7 page mid-cell shows every line so far, then the rest', async () => {
  const { page, server } = lab;
  await withScreenshot(page, 'replay-notebook7', async () => {
    await openNotebook7(page, server.url, 'replay7.ipynb');
    await waitForIdle(page);
    await runCell(page, 0);
    await until(page, 0, (s) => s.text.includes('tick 2\n'), 60000);
    await openNotebook7(page, server.url, 'replay7.ipynb');
    const back = await until(page, 0, (s) => (s.text.length > 0 ? s : false), 60000);
    const shown = back.text.split('\n').length - 1;
    expect(shown).toBeGreaterThanOrEqual(3);
    expect(shown).toBeLessThan(TICKS);
    expect(back.text).toBe(lines(shown));
    expect(back.prompt).toBe('[*]:');
    const done = await until(page, 0, (s) => (s.count !== null ? s : false), 60000);
    expect(done.text).toBe(lines(TICKS));
    expect(done.count).toBe(1);
    expect(done.outputs).toBe(1);
    expect((await cellState(page, 0))?.prompt).toBe('[1]:');
  });
}, 240000);
