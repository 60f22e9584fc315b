import { Interrupted } from '../engine';
import { UserCode } from './user-code';

describe('UserCode', () => {
  test('runs code in a task of its own, after the microtasks queued before it', async () => {
    const order: string[] = [];
    const code = new UserCode();
    const ran = code.run(() => {
      order.push('cell');
      return 42;
    });
    void Promise.resolve().then(() => order.push('microtask'));
    order.push('caller');
    await expect(ran).resolves.toEqual({ value: 42 });
    expect(order).toEqual(['caller', 'microtask', 'cell']);
  });

  test('marks each run, odd while the code runs, even once it returned or threw', async () => {
    const marks: number[] = [];
    const code = new UserCode((run) => marks.push(run));
    let seen: number | undefined;
    await code.run(() => (seen = marks[marks.length - 1]));
    await expect(
      code.run(() => {
        throw new TypeError('from the cell');
      })
    ).rejects.toThrow('from the cell');
    expect(seen).toBe(1);
    expect(marks).toEqual([1, 2, 3, 4]);
  });

  test('a promise or thenable the code returns is its value, not waited for', async () => {
    const code = new UserCode();
    const never = new Promise(() => {});
    let called = false;
    const thenable = { then: () => (called = true) };
    await expect(code.run(() => never)).resolves.toEqual({ value: never });
    await expect(code.run(() => thenable)).resolves.toEqual({ value: thenable });
    expect(called).toBe(false);
  });

  test('runs queued code in order, each in its own task', async () => {
    const code = new UserCode();
    const out: number[] = [];
    await Promise.all([1, 2, 3].map((n) => code.run(() => out.push(n))));
    expect(out).toEqual([1, 2, 3]);
  });

  test('reset ends the mark a terminated run left, and drops code still waiting to run', async () => {
    const marks: number[] = [];
    const code = new UserCode((run) => marks.push(run));
    let ran = false;
    const waiting = code.run(() => (ran = true));
    code.reset();
    await expect(waiting).rejects.toBeInstanceOf(Interrupted);
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(false);
    expect(marks).toEqual([]);
    // The next run is not held up by the dropped one.
    await expect(code.run(() => 'next')).resolves.toEqual({ value: 'next' });
    expect(marks).toEqual([1, 2]);
  });
});
