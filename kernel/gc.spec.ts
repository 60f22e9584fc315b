import { getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fullCollection } from './gc';

/** 200,000 objects that become garbage: the used heap while they live, and a way to drop them. */
function garbage() {
  let objects: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i }));
  const full = getHeapStatistics().used_heap_size;
  return {
    full,
    drop: () => {
      objects = null;
      return objects;
    }
  };
}

test('the full collection frees garbage at once and leaves new contexts no gc global', async () => {
  const collect = fullCollection(Infinity);
  expect(collect).not.toBeNull();
  const { full, drop } = garbage();
  expect(drop()).toBeNull();
  const done = collect!();
  expect(full - getHeapStatistics().used_heap_size).toBeGreaterThan(4 * 1024 * 1024);
  await done;
  expect(runInNewContext('typeof gc')).toBe('undefined');
});

test('above its heap limit the collection runs in the background and still frees the garbage', async () => {
  const collect = fullCollection(0);
  expect(collect).not.toBeNull();
  const { full, drop } = garbage();
  expect(drop()).toBeNull();
  const done = collect!();
  // The thread goes on before the collection is done...
  expect(full - getHeapStatistics().used_heap_size).toBeLessThan(4 * 1024 * 1024);
  await done;
  // ...and the garbage is gone once it is.
  expect(full - getHeapStatistics().used_heap_size).toBeGreaterThan(4 * 1024 * 1024);
});
