import { fullCollection } from '../gc';
import { Journal } from './journal';

const stream = (text: string, name = 'stdout') => JSON.stringify({ name, text });

function run(journal: Journal, msgId: string, cellId: string | null, outputs: string[]): void {
  journal.request(msgId, cellId);
  journal.published(msgId, 'status', JSON.stringify({ execution_state: 'busy' }));
  journal.published(msgId, 'execute_input', JSON.stringify({ code: '', execution_count: 1 }));
  for (const text of outputs) journal.published(msgId, 'stream', stream(text));
}

const end = (journal: Journal, msgId: string) =>
  journal.published(msgId, 'status', JSON.stringify({ execution_state: 'idle' }));

describe('Journal', () => {
  test('keeps the two latest executions of a cell and answers with the latest', () => {
    const j = new Journal();
    for (const id of ['a', 'b', 'c']) {
      run(j, id, 'cell', [id]);
      end(j, id);
    }
    const reply = j.since(undefined, undefined);
    expect(reply.executions.map((e) => e.msgId)).toEqual(['c']);
    // The oldest is gone, not only left out of the answer (64: an entry's overhead).
    expect(j.bytes).toBe(2 * (stream('c').length + 64));
    expect(reply.executions[0].messages).toEqual([
      { msg_type: 'stream', content: { name: 'stdout', text: 'c' } }
    ]);
  });

  test('answers only what changed after a sequence number of the same journal', () => {
    const j = new Journal();
    run(j, 'a', 'one', ['x']);
    end(j, 'a');
    const first = j.since(undefined, undefined);
    run(j, 'b', 'two', ['y']);
    expect(j.since(first.journal, first.seq).executions.map((e) => e.msgId)).toEqual(['b']);
    // Another journal's numbers mean nothing here: everything comes back.
    expect(j.since('another', first.seq).executions.map((e) => e.msgId)).toEqual(['a', 'b']);
  });

  test('records nothing after idle', () => {
    const j = new Journal();
    run(j, 'a', 'cell', ['before']);
    end(j, 'a');
    j.published('a', 'stream', stream('late'));
    expect(j.since(undefined, undefined).executions[0].messages).toHaveLength(1);
  });

  test('a clear_output with wait clears once the next output comes', () => {
    const j = new Journal();
    run(j, 'a', 'cell', ['one']);
    j.published('a', 'clear_output', JSON.stringify({ wait: true }));
    expect(j.since(undefined, undefined).executions[0].messages.map((m) => m.msg_type)).toEqual([
      'stream',
      'clear_output'
    ]);
    j.published('a', 'stream', stream('two'));
    expect(j.since(undefined, undefined).executions[0].messages).toEqual([
      { msg_type: 'stream', content: { name: 'stdout', text: 'two' } }
    ]);
  });

  test('a single stream message larger than the limit keeps its end', () => {
    const j = new Journal({ executionBytes: 1000 });
    run(j, 'a', 'cell', ['x'.repeat(5000) + 'END']);
    const e = j.since(undefined, undefined).executions[0];
    const text = String(e.messages[0].content.text);
    expect(text.endsWith('xEND')).toBe(true);
    expect(text.length).toBeLessThan(1000);
    expect(e.dropped.bytes).toBeGreaterThan(4000);
    expect(j.bytes).toBeLessThanOrEqual(1000);
  });

  test('past the total the oldest ended execution goes first', () => {
    const j = new Journal({ totalBytes: 3000 });
    run(j, 'old', 'one', ['o'.repeat(1200)]);
    end(j, 'old');
    run(j, 'running', 'two', ['r'.repeat(1200)]);
    run(j, 'new', 'three', ['n'.repeat(1200)]);
    const ids = j.since(undefined, undefined).executions.map((e) => e.msgId);
    expect(ids).toEqual(['running', 'new']);
    expect(j.bytes).toBeLessThanOrEqual(3000);
  });

  test("a flood's kept end lies outside V8's heap, and reads back whole once the cell ends", () => {
    const collect = fullCollection(Infinity, false);
    if (!collect) throw new Error('no full collection here');
    const line = (i: number) => `${String(i).padStart(6, '0')} ${'x'.repeat(64 * 1024)}\n`;
    const j = new Journal({ executionBytes: 8 * 1024 * 1024 });
    run(j, 'a', 'cell', []);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 400; i++) j.published('a', 'stream', stream(line(i)));
    collect();
    const grown = process.memoryUsage().heapUsed - before;
    // 8 MB kept: as strings they were all on the heap.
    expect(j.bytes).toBeGreaterThan(7.5 * 1024 * 1024);
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    const texts = () =>
      j.since(undefined, undefined).executions[0].messages.map((m) => String(m.content.text));
    const running = texts();
    expect(running[running.length - 1]).toBe(line(399));
    expect(running[0]).toBe(line(400 - running.length));
    expect(j.slabs).toBeGreaterThan(0);
    end(j, 'a');
    expect(texts()).toEqual(running);
    // Ended, its output moved into memory of its own: the slabs go.
    expect(j.slabs).toBe(0);
    // A smaller limit cuts its last message to its end, and takes no slab back.
    j.setLimits({ executionBytes: 32 * 1024 });
    expect(j.slabs).toBe(0);
    const cut = texts();
    expect(cut).toHaveLength(1);
    expect(line(399).endsWith(cut[0])).toBe(true);
    expect(cut[0].length).toBeGreaterThan(16 * 1024);
    expect(j.bytes).toBeLessThanOrEqual(32 * 1024);
  });

  test('output kept outside the heap is not written over by what comes after it', () => {
    // A message of 50 kB goes to the slabs; the limit keeps five of them.
    const j = new Journal({ executionBytes: 300 * 1024 });
    const big = (c: string) => c.repeat(50 * 1024);
    run(j, 'a', 'one', ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(big));
    j.published('a', 'clear_output', JSON.stringify({ wait: true }));
    for (const c of ['h', 'i']) j.published('a', 'stream', stream(big(c)));
    end(j, 'a');
    // 2.5 MB in all, past two 1 MB slabs: the first is written again once it holds nothing kept.
    const letters = Array.from({ length: 40 }, (_, i) => String.fromCharCode(0x41 + i));
    run(j, 'b', 'two', letters.map(big));
    const texts = j
      .since(undefined, undefined)
      .executions.map((e) => e.messages.map((m) => String(m.content.text)[0]).join(''));
    // Five of 51 kB fit 300 kB.
    expect(texts).toEqual(['hi', letters.slice(-5).join('')]);
    end(j, 'b');
    run(j, 'c', 'two', [big('t')]);
    run(j, 'd', 'two', [big('u')]);
    expect(
      j.since(undefined, undefined).executions.map((e) => String(e.messages[0].content.text)[0])
    ).toEqual(['h', 'u']);
  });
});
