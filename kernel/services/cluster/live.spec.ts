import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG, RESULT, readLive } from './job';
import { LiveText } from './live';
import { LocalSite } from './site';
import type { Site } from './site';
import type { RunRecord } from './types';

/** A run folder on this machine, and a site that counts the bytes each read brings back. */
function runFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'warren-live-'));
  const local = new LocalSite();
  const brought: number[] = [];
  const t: Site = {
    description: local.description,
    exec: async (argv, options) => {
      const r = await local.exec(argv, options);
      brought.push(r.stdout.length);
      return r;
    },
    put: (l, r) => local.put(l, r),
    get: (r, l) => local.get(r, l)
  };
  const record = { id: 'r1', remoteDir: dir } as RunRecord;
  const live = new LiveText((since) => readLive(t, record, since));
  const notebook = (...texts: string[]) =>
    writeFileSync(
      join(dir, RESULT),
      JSON.stringify({
        cells: [{ outputs: texts.map((text) => ({ output_type: 'stream', text })) }]
      })
    );
  return {
    dir,
    live,
    brought,
    notebook,
    log: (text: string) => appendFileSync(join(dir, LOG), text)
  };
}

test("a run's log is read from where the last read stopped: its end first, then only what it gains", async () => {
  const { live, log } = runFolder();
  expect(await live.next()).toEqual({ text: '', reset: true });
  log('x'.repeat(5000) + 'end of the start\n');
  // Read from its start (the log was empty when first looked at), past the bound: its last stretch.
  const first = await live.next();
  expect(first?.reset).toBe(true);
  expect(first?.text.endsWith('end of the start\n')).toBe(true);
  expect(first?.text.length).toBe(LiveText.max);
  expect(await live.next()).toBeNull();
  log('warren run: cell 2 (2/3)\n');
  expect(await live.next()).toEqual({ text: 'warren run: cell 2 (2/3)\n', reset: false });
});

test("the notebook's outputs take over from the log, and only what they gain is sent", async () => {
  const { live, log, notebook, brought } = runFolder();
  log('warren run: cell 1 (1/2)\n');
  expect(await live.next()).toEqual({ text: 'warren run: cell 1 (1/2)\n', reset: true });
  notebook('red sub-02\n');
  expect(await live.next()).toEqual({ text: 'red sub-02\n', reset: true });
  notebook('red sub-02\n', '\r50%');
  expect(await live.next()).toEqual({ text: '\r50%', reset: false });
  // Unchanged, the notebook is not brought back: a checksum and a byte count are.
  brought.length = 0;
  expect(await live.next()).toBeNull();
  expect(brought[0]).toBeLessThan(100);
  // A notebook whose outputs no longer continue what was sent starts the reader over.
  notebook('cleared\n');
  expect(await live.next()).toEqual({ text: 'cleared\n', reset: true });
  expect(live.text).toBe('cleared\n');
});

test('a run folder that is not there yet reads as nothing, not an error', async () => {
  const live = new LiveText((since) =>
    readLive(new LocalSite(), { id: 'r', remoteDir: '/nonexistent/warren' } as RunRecord, since)
  );
  expect(await live.next()).toEqual({ text: '', reset: true });
  expect(await live.next()).toBeNull();
});
