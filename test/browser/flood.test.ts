/**
 * A flood of `!` output in the stock JupyterLab. jupyter_server passes on at
 * most 1 MB/s of a kernel's stream output (its iopub_data_rate_limit, over
 * 3 s) and drops the rest, the end included, once a flood passes it; warren
 * keeps below that limit and chooses what to leave out.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNotebook, runCell, until, warrenNotebook } from './cells';
import { useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const LINES = 3_000_000;

const lab = useLab(
  {},
  {
    beforeOpen: ({ server }) => {
      writeFileSync(
        join(server.root, 'work', 'flood.ipynb'),
        // About 21 MB in well under a second, then the line a user looks for.
        warrenNotebook([
          { id: 'flood', source: `!seq 1 ${LINES}; echo THE-END` },
          { id: 'after', source: '!echo after' }
        ])
      );
    }
  }
);

test('a flood through the Jupyter server shows its start and its end, and says what it left out', async () => {
  const { page } = lab;
  await withScreenshot(page, 'flood', async () => {
    await openNotebook(page, 'flood.ipynb');
    await runCell(page, 0);
    const done = await until(page, 0, (s) => (s.count !== null ? s : false), 120000);
    expect(done.text).not.toContain('IOPub data rate exceeded');
    expect(done.text.startsWith('1\n2\n3\n')).toBe(true);
    expect(done.text.endsWith(`\n${LINES - 1}\n${LINES}\nTHE-END\n`)).toBe(true);
    expect(done.text).toMatch(
      /\[warren: \d+\.\d MB of output left out here: it came faster than the Jupyter server passes on \(1 MB\/s\)/
    );
    // What reached the page is bounded by the server's rate, not the 21 MB written.
    expect(done.text.length).toBeLessThan(3_000_000);
    // And the next cell's output is not held back by what came before.
    await runCell(page, 1);
    const after = await until(page, 1, (s) => (s.count !== null ? s : false), 60000);
    expect(after.text).toBe('after\n');
  });
});
