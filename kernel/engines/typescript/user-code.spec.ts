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
    await expect(ran).resolves.toBe(42);
    expect(order).toEqual(['caller', 'microtask', 'cell']);
  });

  test('marks the time the code runs, and only that, even when it throws', async () => {
    const marks: boolean[] = [];
    const code = new UserCode((running) => marks.push(running));
    let seen: boolean | undefined;
    await code.run(() => (seen = marks[marks.length - 1]));
    await expect(
      code.run(() => {
        throw new TypeError('from the cell');
      })
    ).rejects.toThrow('from the cell');
    expect(seen).toBe(true);
    expect(marks).toEqual([true, false, true, false]);
  });

  test('runs queued code in order, each in its own task', async () => {
    const code = new UserCode();
    const out: number[] = [];
    await Promise.all([1, 2, 3].map((n) => code.run(() => out.push(n))));
    expect(out).toEqual([1, 2, 3]);
  });

  test('reset clears the mark a terminated run left', () => {
    const marks: boolean[] = [];
    new UserCode((running) => marks.push(running)).reset();
    expect(marks).toEqual([false]);
  });
});
