import { randomUUID } from 'node:crypto';
import type { KernelClient } from '../kernel/client/client';
import type { JSONObject } from '../src/contract';
import type { JournalExecution, JournalReply } from '../src/contract/journal';
import { isJournalReply } from '../src/contract/journal';
import { IDLE_COLLECTIONS_MS } from '../kernel/services/idle-collection';
import { launchWarren } from './harness';

async function until<T>(check: () => T | undefined | false, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Sends an execute_request as JupyterLab does (its cellId in the metadata), without waiting. */
function executeInCell(k: KernelClient, code: string, cellId: string): string {
  return k.request(
    'shell',
    'execute_request',
    {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true
    },
    { cellId }
  ).msgId;
}

/** Opens a `warren.journal` comm as the extension does and returns the kernel's answer. */
async function askJournal(
  k: KernelClient,
  data: JSONObject = {}
): Promise<{ reply: JournalReply; ms: number }> {
  const commId = randomUUID();
  const t0 = Date.now();
  k.request('shell', 'comm_open', { comm_id: commId, target_name: 'warren.journal', data });
  const msg = await until(() =>
    k.iopubLog.find((m) => m.header.msg_type === 'comm_msg' && m.content.comm_id === commId)
  );
  const ms = Date.now() - t0;
  k.request('shell', 'comm_close', { comm_id: commId, data: {} });
  const reply: unknown = msg.content.data;
  if (!isJournalReply(reply)) throw new Error(`not a journal reply: ${JSON.stringify(reply)}`);
  return { reply, ms };
}

function streamText(e: JournalExecution): string {
  return e.messages
    .filter((m) => m.msg_type === 'stream')
    .map((m) => String(m.content.text))
    .join('');
}

function idleOf(k: KernelClient, msgId: string) {
  return () =>
    k.iopubLog.find(
      (m) =>
        m.header.msg_type === 'status' &&
        m.parent_header.msg_id === msgId &&
        m.content.execution_state === 'idle'
    );
}

describe('the execution journal', () => {
  test('a page asking mid-cell is answered at once with every line so far, and the cell still running', async () => {
    const k = await launchWarren();
    try {
      const msgId = executeInCell(
        k,
        'for (let i = 0; i < 8; i++) { console.log(`line ${i}`); await new Promise((r) => setTimeout(r, 250)) }',
        'cell-a'
      );
      await until(() =>
        k.iopubLog.find(
          (m) => m.parent_header.msg_id === msgId && String(m.content.text).includes('line 3')
        )
      );
      const mid = await askJournal(k);
      // Served beside the running cell, not after it (the cell runs 2 s).
      expect(mid.ms).toBeLessThan(1000);
      const running = mid.reply.executions.find((e) => e.cellId === 'cell-a');
      expect(running).toMatchObject({ msgId, state: 'running', executionCount: 1 });
      expect(streamText(running!)).toMatch(/^line 0\nline 1\nline 2\nline 3\n/);
      expect(streamText(running!)).not.toContain('line 7');
      // The kernel published no status for the comm while busy: only the cell's own.
      const statuses = k.iopubLog.filter(
        (m) => m.header.msg_type === 'status' && m.parent_header.msg_type === 'comm_open'
      );
      expect(statuses).toEqual([]);

      await until(idleOf(k, msgId), 10000);
      const after = await askJournal(k, { journal: mid.reply.journal, after: mid.reply.seq });
      const done = after.reply.executions.find((e) => e.cellId === 'cell-a');
      expect(done).toMatchObject({ state: 'done', status: 'ok', executionCount: 1 });
      expect(streamText(done!)).toBe(Array.from({ length: 8 }, (_, i) => `line ${i}\n`).join(''));
      expect(done!.dropped).toEqual({ messages: 0, bytes: 0 });
      // Asked again after that, nothing has changed.
      const again = await askJournal(k, { journal: after.reply.journal, after: after.reply.seq });
      expect(again.reply.executions).toEqual([]);
    } finally {
      await k.shutdown();
    }
  }, 60000);

  test('keeps the latest execution of each cell, its display updated in place and cleared output gone', async () => {
    const k = await launchWarren();
    try {
      await until(idleOf(k, executeInCell(k, 'console.log("first run")', 'cell-b')));
      const second = executeInCell(
        k,
        [
          'console.log("before clear")',
          'display.clear()',
          'display.text("frame 0", { id: "bar" })',
          'for (let i = 1; i <= 50; i++) display.text(`frame ${i}`, { id: "bar", update: true })',
          'console.log("after")'
        ].join('\n'),
        'cell-b'
      );
      await until(idleOf(k, second));
      const { reply } = await askJournal(k);
      const cells = reply.executions.filter((e) => e.cellId === 'cell-b');
      expect(cells).toHaveLength(1);
      expect(cells[0].msgId).toBe(second);
      expect(cells[0].messages.map((m) => m.msg_type)).toEqual(['display_data', 'stream']);
      expect(cells[0].messages[0].content.data).toEqual({ 'text/plain': 'frame 50' });
      expect(streamText(cells[0])).toBe('after\n');
    } finally {
      await k.shutdown();
    }
  }, 60000);

  /** Runs the flood in a kernel with these limits; the journal's answer and the kernel's growth. */
  async function flood(env: Record<string, string>) {
    const k = await launchWarren({ env });
    try {
      // The compiler loaded and a cell run first: growth is the flood's, not start-up's.
      await k.execute('const warm = 1');
      const before = await k.call('control', 'usage_request', {});
      // 40 MB of random bytes through the pty (control characters, invalid
      // UTF-8), then 80 MB of TypeScript output, then a last line.
      const msgId = executeInCell(
        k,
        [
          '!head -c 40000000 /dev/urandom',
          'const { randomBytes } = await import("node:crypto")',
          'for (let i = 0; i < 80; i++) process.stdout.write(randomBytes(1 << 20).toString("latin1"))',
          'console.log("\\nTHE END")'
        ].join('\n'),
        'flood'
      );
      // Nothing reads the journal meanwhile: no page is open.
      const t0 = Date.now();
      await until(idleOf(k, msgId), 240000);
      const ms = Date.now() - t0;
      const { reply } = await askJournal(k);
      // The kernel still answers.
      const next = await k.execute('1 + 1');
      expect(next.reply.content.status).toBe('ok');
      // What the kernel keeps, once its idle collections have run: not the flood's garbage.
      await new Promise((r) => setTimeout(r, IDLE_COLLECTIONS_MS.reduce((a, b) => a + b) + 1000));
      const after = await k.call('control', 'usage_request', {});
      const grown =
        (after.reply.content.kernel_memory as number) -
        (before.reply.content.kernel_memory as number);
      return {
        execution: reply.executions.find((e) => e.cellId === 'flood'),
        bytes: reply.bytes,
        grown,
        ms
      };
    } finally {
      await k.shutdown();
    }
  }

  test('a binary flood keeps its end within the limit, says what it dropped, and the kernel answers', async () => {
    const off = await flood({ WARREN_JOURNAL_MB: '0' });
    const on = await flood({ WARREN_JOURNAL_EXECUTION_MB: '2', WARREN_JOURNAL_MB: '8' });
    const execution = on.execution!;
    const held = execution.messages.reduce((n, m) => n + JSON.stringify(m.content).length, 0);
    console.log(
      `flood: held ${held} bytes, dropped ${execution.dropped.bytes} bytes in ` +
        `${execution.dropped.messages} messages; rss +${Math.round(on.grown / 1048576)} MB ` +
        `(journal off: +${Math.round(off.grown / 1048576)} MB); the flood took ${on.ms} ms ` +
        `(journal off: ${off.ms} ms)`
    );
    expect(held).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(held).toBeGreaterThan(1024 * 1024);
    expect(streamText(execution).endsWith('\nTHE END\n')).toBe(true);
    expect(execution.dropped.bytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(execution.dropped.messages).toBeGreaterThan(100);
    // Off, the journal keeps nothing (and says what it dropped).
    expect(off.execution?.messages ?? []).toEqual([]);
    // The journal's limit, not the flood, bounds what it holds; once idle, the
    // kernel has given the flood's memory back: malloc its blocks (it kept
    // 150 MB of them when its mmap threshold rose with the flood), the io
    // thread the Buffers of the messages it sent (4-166 MB before it
    // collected once quiet; 0-13 MB since, up to 16 MB of them may stay).
    expect(on.bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(on.grown).toBeLessThan(48 * 1024 * 1024);
    expect(off.grown).toBeLessThan(48 * 1024 * 1024);
  }, 300000);
});
