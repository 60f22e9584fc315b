import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { launchWarren, result } from './harness';

const work = mkdtempSync(join(tmpdir(), 'warren-cells-'));

/** Runs a cell that may fail, without stopping the queue. */
function run(k: KernelClient, code: string) {
  return k.execute(code, { stop_on_error: false });
}

describe('what a failed cell leaves behind', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('a cell that throws keeps what it declared before the throw, and later cells type-check against it', async () => {
    const failed = await run(
      k,
      'const keepMe = 41\ninterface Point { x: number }\nfunction inc(n: number) { return n + 1 }\nthrow new Error("boom")'
    );
    expect(failed.reply.content).toMatchObject({ status: 'error', evalue: 'boom' });
    expect(result((await run(k, 'keepMe')).iopub)).toBe('41');
    const typed = await run(k, 'const p: Point = { x: inc(keepMe) }\np.x');
    expect(typed.reply.content.status).toBe('ok');
    expect(result(typed.iopub)).toBe('42');
    // The checker knows keepMe's type: a misuse is a type error, not a missing name.
    const misuse = await run(k, 'const s: string = keepMe');
    expect(misuse.reply.content).toMatchObject({ ename: 'TSError' });
    expect(String(misuse.reply.content.evalue)).toMatch(/not assignable to type 'string'/);
  });

  test('what the cell would have declared after the throw is not there; an earlier value of that name comes back', async () => {
    await run(k, 'let later = "from before"');
    await run(k, 'const ran = 1\nthrow new Error("stop")\nconst notReached = 2\nlet later = 3');
    expect(result((await run(k, 'ran')).iopub)).toBe('1');
    const notReached = await run(k, 'notReached');
    expect(notReached.reply.content).toMatchObject({ ename: 'TSError' });
    expect(String(notReached.reply.content.evalue)).toMatch(/Cannot find name 'notReached'/);
    const later = await run(k, 'later.toUpperCase()');
    expect(result(later.iopub)).toBe("'FROM BEFORE'");
  });

  test('an interrupted cell keeps what it declared before the interrupt', async () => {
    const running = run(
      k,
      'const beforeLoop = "kept"\nlet n = 0\nwhile (true) n++\nconst afterLoop = 1'
    );
    await new Promise((r) => setTimeout(r, 1500));
    await k.call('control', 'interrupt_request', {});
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    const after = await run(k, 'beforeLoop.length + (n > 0 ? 1 : 0)');
    expect(after.reply.content.status).toBe('ok');
    expect(result(after.iopub)).toBe('5');
    expect(String((await run(k, 'afterLoop')).reply.content.evalue)).toMatch(
      /Cannot find name 'afterLoop'/
    );
  });

  test('an interrupted await keeps what the cell declared before it', async () => {
    const running = run(
      k,
      'const beforeAwait = [1, 2, 3]\nawait new Promise((r) => setTimeout(r, 30000))'
    );
    await new Promise((r) => setTimeout(r, 1500));
    await k.call('control', 'interrupt_request', {});
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    expect(result((await run(k, 'beforeAwait.map((x) => x * 2)')).iopub)).toBe('[ 2, 4, 6 ]');
  });
});
