/**
 * Floods of output in the stock JupyterLab. jupyter_server passes on at most
 * 1 MB/s of a kernel's stream output (its iopub_data_rate_limit, over 3 s) and
 * 1,000 messages a second (iopub_msg_rate_limit), and drops the rest, the end
 * included, once a flood passes either; warren keeps below both limits and
 * chooses what to leave out.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNotebook, runCell, until, warrenNotebook } from './cells';
import { useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const LINES = 3_000_000;
/** About 3.4 MB: beyond what the server passes on at once, and quick for the page to show. */
const QUIET_LINES = 500_000;

const lab = useLab(
  {},
  {
    beforeOpen: ({ server }) => {
      writeFileSync(
        join(server.root, 'work', 'flood.ipynb'),
        // About 21 MB in well under a second, then the line a user looks for.
        warrenNotebook([
          { id: 'flood', source: `!seq 1 ${LINES}; echo THE-END` },
          { id: 'after', source: '!echo after' },
          // A progress display updated 20,000 times in a second, then a line.
          {
            id: 'progress',
            source: [
              'display.text("0", { id: "progress" });',
              'for (let i = 1; i <= 20_000; i++) display.text(String(i), { id: "progress", update: true });',
              'console.log("THE-END");'
            ].join('\n')
          },
          // A flood, then the command works on quietly.
          { id: 'quiet', source: `!seq 1 ${QUIET_LINES}; sleep 20; echo done` },
          // 2,000 outputs and 1.5 MB at once: the server passes both on whole.
          {
            id: 'rows',
            source: [
              'for (let i = 0; i < 2000; i++) display.text(`row ${i}`);',
              'console.log(Array.from({ length: 20_000 }, (_, i) => `${i}`.padStart(75, ".")).join("\\n"));'
            ].join('\n')
          }
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

test('a progress display updated 20,000 times through the Jupyter server ends on its last value, and the line after it shows', async () => {
  const { page } = lab;
  await openNotebook(page, 'flood.ipynb');
  await runCell(page, 2);
  const done = await until(page, 2, (s) => (s.count !== null && s.text !== '' ? s : false), 120000);
  expect(done.text).not.toContain('IOPub message rate exceeded');
  expect(done.displays).toEqual(['20000']);
  // The updates were folded, not left out: nothing to say but the line.
  expect(done.text).toBe('THE-END\n');
});

test('2,000 outputs and 1.5 MB at once, which the server passes on, all reach the page', async () => {
  const { page } = lab;
  await openNotebook(page, 'flood.ipynb');
  await runCell(page, 4);
  const done = await until(page, 4, (s) => (s.count !== null && s.text !== '' ? s : false), 120000);
  expect(done.text).not.toContain('rate exceeded');
  expect(done.text).not.toContain('[warren:');
  expect(done.displays).toEqual(Array.from({ length: 2000 }, (_, i) => `row ${i}`));
  const want = Array.from({ length: 20_000 }, (_, i) => `${i}`.padStart(75, '.')).join('\n') + '\n';
  expect(done.text.length).toBe(want.length);
  expect(done.text === want).toBe(true);
});

test('a flood that goes quiet while its command runs on shows its end before the command ends', async () => {
  const { page } = lab;
  await openNotebook(page, 'flood.ipynb');
  await runCell(page, 3);
  // The flood's last line shows while the cell still runs (no count yet).
  // The page shows what it was sent in order, some seconds behind when it is
  // large: the command sleeps long enough for the page to catch up.
  const mid = await until(
    page,
    3,
    (s) => (s.text.includes(`\n${QUIET_LINES}\n`) || s.count !== null ? s : false),
    90000
  );
  expect(mid.count).toBeNull();
  expect(mid.text).toMatch(/\[warren: [\d.]+ (MB|kB) of output left out here/);
  expect(mid.text).not.toContain('done');
  const done = await until(page, 3, (s) => (s.count !== null ? s : false), 60000);
  expect(done.text.endsWith(`\n${QUIET_LINES}\ndone\n`)).toBe(true);
  expect(done.text).not.toContain('IOPub data rate exceeded');
});
