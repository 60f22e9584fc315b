import type { JSONObject } from '../../src/contract';
import type { LiveChunk } from '../services/cluster/live';
import type { Comm } from './comm';
import { LiveLogs } from './runs-logs';

function comm(id: string): Comm & { sent: JSONObject[] } {
  const sent: JSONObject[] = [];
  return {
    id,
    targetName: 'warren.runs',
    sent,
    send: (d) => void sent.push(d),
    close: () => undefined,
    onMessage: () => undefined,
    onClose: () => undefined
  };
}

/** A run whose reads return the chunks queued, and which ends when told. */
function fakeRun() {
  const queued: LiveChunk[] = [];
  let text = '';
  const run = {
    reads: 0,
    ended: false,
    queue: (chunk: LiveChunk) => queued.push(chunk),
    source: {
      get text() {
        return text;
      },
      next: () => {
        run.reads++;
        const chunk = queued.shift() ?? null;
        if (chunk) text = chunk.reset ? chunk.text : text + chunk.text;
        return Promise.resolve(chunk);
      }
    }
  };
  return run;
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

afterEach(() => jest.useRealTimers());

test('a followed run is pushed only what is new, to each comm following it, and let go after its end', async () => {
  jest.useFakeTimers();
  const run = fakeRun();
  const logs = new LiveLogs({ open: () => run.source, ended: () => run.ended, everyMs: 2000 });
  const a = comm('a');
  const b = comm('b');
  run.queue({ text: 'cell 1\n', reset: true });
  logs.follow(a, 'r1');
  await settle();
  expect(a.sent).toEqual([{ type: 'log', id: 'r1', text: 'cell 1\n', reset: true }]);
  // A second follower gets the text so far at once; the run is still read once a period.
  logs.follow(b, 'r1');
  expect(b.sent).toEqual([{ type: 'log', id: 'r1', text: 'cell 1\n', reset: true }]);
  run.queue({ text: 'cell 2\n', reset: false });
  jest.advanceTimersByTime(2000);
  await settle();
  expect(run.reads).toBe(2);
  for (const c of [a, b])
    expect(c.sent.at(-1)).toEqual({ type: 'log', id: 'r1', text: 'cell 2\n', reset: false });
  // Nothing new, nothing sent.
  jest.advanceTimersByTime(2000);
  await settle();
  expect(a.sent).toHaveLength(2);
  // Once ended, one last read, then no more.
  run.ended = true;
  run.queue({ text: '100%\n', reset: false });
  jest.advanceTimersByTime(2000);
  await settle();
  expect(a.sent.at(-1)).toMatchObject({ text: '100%\n' });
  const reads = run.reads;
  jest.advanceTimersByTime(10000);
  await settle();
  expect(run.reads).toBe(reads);
});

test('a run nobody follows any more is not read', async () => {
  jest.useFakeTimers();
  const run = fakeRun();
  const logs = new LiveLogs({ open: () => run.source, ended: () => false, everyMs: 2000 });
  const a = comm('a');
  logs.follow(a, 'r1');
  await settle();
  logs.follow(a, null);
  jest.advanceTimersByTime(10000);
  await settle();
  expect(run.reads).toBe(1);
  logs.follow(a, 'r1');
  await settle();
  logs.drop(a);
  jest.advanceTimersByTime(10000);
  await settle();
  expect(run.reads).toBe(2);
});
