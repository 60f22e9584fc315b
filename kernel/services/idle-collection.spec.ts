import { IdleCollection } from './idle-collection';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function counting(delaysMs: number[]) {
  const at: number[] = [];
  const start = performance.now();
  const idle = new IdleCollection(() => at.push(performance.now() - start), delaysMs);
  return { idle, at };
}

test('collects after the quiet delay once a cell ends, then once more after the next', async () => {
  const { idle, at } = counting([40, 60]);
  const cell = idle.around(async () => 'done');
  expect(await cell()).toBe('done');
  await sleep(20);
  expect(at).toHaveLength(0);
  await sleep(200);
  expect(at).toHaveLength(2);
  expect(at[1] - at[0]).toBeGreaterThanOrEqual(55);
  idle.dispose();
});

test('never collects while a cell runs, however long it awaits', async () => {
  const { idle, at } = counting([10, 10]);
  await idle.around(async () => undefined)();
  // A cell that starts inside the quiet spell puts its collections off.
  const long = idle.around(() => sleep(150));
  const running = long();
  await sleep(100);
  expect(at).toHaveLength(0);
  await running;
  await sleep(80);
  expect(at).toHaveLength(2);
  idle.dispose();
});

test('a cell that throws still starts the quiet spell', async () => {
  const { idle, at } = counting([10]);
  const failing = idle.around(async () => {
    throw new Error('cell failed');
  });
  await expect(failing()).rejects.toThrow('cell failed');
  await sleep(60);
  expect(at).toHaveLength(1);
  idle.dispose();
});

test('collects nothing once disposed', async () => {
  const { idle, at } = counting([10]);
  await idle.around(async () => undefined)();
  idle.dispose();
  await sleep(60);
  expect(at).toHaveLength(0);
});
