/**
 * A Jupyter server told to pass on more than its defaults (the flags its own
 * "IOPub data rate exceeded" notice advises): warren's output keeps to the
 * server's limits, not the defaults, so nothing is left out that the server
 * would have shown.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openNotebook, runCell, until, warrenNotebook } from './cells';
import { useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

/** About 1.3 MB at once: beyond the default limit's burst, within the raised one. */
const LINES = 200_000;
/** Distinct displays at once: beyond the default message budget, within the raised one. */
const DISPLAYS = 3_000;

const lab = useLab(
  {},
  {
    serverSettings: [
      '--ServerApp.iopub_data_rate_limit=1e10',
      '--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=100000'
    ],
    beforeOpen: ({ server }) => {
      writeFileSync(
        join(server.root, 'work', 'raised.ipynb'),
        warrenNotebook([
          { id: 'flood', source: `!seq 1 ${LINES}; echo THE-END` },
          {
            id: 'displays',
            source: `for (let i = 0; i < ${DISPLAYS}; i++) display.text(String(i));\nconsole.log("THE-END");`
          }
        ])
      );
    }
  }
);

test('under a server whose rate limits were raised on its command line, a flood arrives whole', async () => {
  const { page } = lab;
  await withScreenshot(page, 'server-limits', async () => {
    await openNotebook(page, 'raised.ipynb');
    await runCell(page, 0);
    const done = await until(page, 0, (s) => (s.count !== null ? s : false), 120000);
    expect(done.text).not.toContain('IOPub data rate exceeded');
    expect(done.text).not.toContain('[warren:');
    const want = Array.from({ length: LINES }, (_, i) => `${i + 1}\n`).join('') + 'THE-END\n';
    expect(done.text.length).toBe(want.length);
    expect(done.text === want).toBe(true);
  });
});

test('and so do more displays at once than the default message budget lets through', async () => {
  const { page } = lab;
  await runCell(page, 1);
  const done = await until(page, 1, (s) => (s.count !== null && s.text !== '' ? s : false), 120000);
  expect(done.text).toBe('THE-END\n');
  expect(done.displays.length).toBe(DISPLAYS);
  expect(done.displays[DISPLAYS - 1]).toBe(String(DISPLAYS - 1));
});
