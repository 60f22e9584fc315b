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
});
