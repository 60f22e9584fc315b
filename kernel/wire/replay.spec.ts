import { ReplayGuard } from './replay';

const sig = (n: number) => Buffer.from(n.toString(16).padStart(64, '0'));

test('a signature is admitted once; the same signature again is refused', () => {
  const guard = new ReplayGuard();
  expect(guard.admit(sig(1))).toBe(true);
  expect(guard.admit(sig(2))).toBe(true);
  expect(guard.admit(sig(1))).toBe(false);
  expect(guard.admit(Buffer.from(sig(2)))).toBe(false);
});

test('unsigned messages (empty signatures) are never taken for replays', () => {
  const guard = new ReplayGuard();
  expect(guard.admit(Buffer.alloc(0))).toBe(true);
  expect(guard.admit(Buffer.alloc(0))).toBe(true);
});

test('the history is bounded: past its capacity the oldest tenth is forgotten, the newest kept', () => {
  const guard = new ReplayGuard(100);
  for (let i = 0; i < 101; i++) expect(guard.admit(sig(i))).toBe(true);
  // 101 > 100: the 10 oldest went.
  expect(guard.admit(sig(0))).toBe(true);
  expect(guard.admit(sig(9))).toBe(true);
  expect(guard.admit(sig(10))).toBe(false);
  expect(guard.admit(sig(100))).toBe(false);
});
