import { EXEC_MAX_BYTES, LocalSite } from './site';

test('a command that floods output is stopped at the limit, and its result says so', async () => {
  const site = new LocalSite();
  const r = await site.exec(['head', '-c', String(EXEC_MAX_BYTES * 2), '/dev/zero']);
  expect(r.code).toBeNull();
  expect(r.stdout.length).toBeLessThanOrEqual(EXEC_MAX_BYTES);
  expect(r.stderr).toBe('warren: stopped head: its output passed 32 MB');
});

test('output is decoded whole: a character split between two reads stays one', async () => {
  const site = new LocalSite();
  // 200,000 three-byte characters: the pipe's 64 KB reads cut through some.
  const r = await site.exec(['node', '-e', "process.stdout.write('€'.repeat(200000))"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('€'.repeat(200000));
});
