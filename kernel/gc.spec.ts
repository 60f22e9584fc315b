import { getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fullCollection } from './gc';

/** Bytes `collect` freed of 200,000 objects that became garbage just before it. */
function freedOfGarbage(collect: () => void): number {
  let garbage: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i }));
  const full = getHeapStatistics().used_heap_size;
  garbage = null;
  collect();
  expect(garbage).toBeNull();
  return full - getHeapStatistics().used_heap_size;
}

test('the full collection frees garbage and leaves new contexts no gc global', () => {
  const collect = fullCollection(Infinity);
  expect(collect).not.toBeNull();
  expect(freedOfGarbage(collect!)).toBeGreaterThan(4 * 1024 * 1024);
  expect(runInNewContext('typeof gc')).toBe('undefined');
});

test('no full collection above its heap limit: a heap of data is left to V8', () => {
  const collect = fullCollection(0);
  expect(collect).not.toBeNull();
  expect(freedOfGarbage(collect!)).toBeLessThan(4 * 1024 * 1024);
});
