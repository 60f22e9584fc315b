import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockFile, MountStore } from './store';

test('a second lock of one mountpoint in the same process waits for the first', async () => {
  const store = new MountStore(mkdtempSync(join(tmpdir(), 'warren-locks-')));
  const release = await store.lock('/mnt/data', 1000);
  await expect(store.lock('/mnt/data', 300)).rejects.toThrow(
    '/mnt/data is busy: this kernel is mounting or unmounting it'
  );
  const order: string[] = [];
  const second = store.lock('/mnt/data', 5000).then((r) => {
    order.push('second');
    return r;
  });
  await new Promise((r) => setTimeout(r, 250));
  order.push('first released');
  release();
  const releaseSecond = await second;
  expect(order).toEqual(['first released', 'second']);
  // A release that comes again (after the lock changed hands) takes nothing away.
  release();
  await expect(store.lock('/mnt/data', 300)).rejects.toThrow(/is busy/);
  releaseSecond();
  (await store.lock('/mnt/data', 300))();
});

test("a lock left with this process's pid by an earlier process is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-locks-'));
  const store = new MountStore(dir);
  const release = await store.lock('/mnt/x', 1000);
  const file = join(dir, 'warren', 'locks');
  const [name] = readdirSync(file);
  release();
  mkdirSync(file, { recursive: true });
  writeFileSync(join(file, name), `${process.pid} left-by-an-earlier-process`);
  const again = await store.lock('/mnt/x', 300);
  expect(readFileSync(join(file, name), 'utf8')).toMatch(
    new RegExp(`^${process.pid} [0-9a-f]{12}$`)
  );
  again();
});

test("an update waits for another process's, takes over one whose holder is gone, and never writes over a file it cannot parse", () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-update-'));
  const store = new MountStore(dir);
  store.update((r) => r.mounts.push({ kind: 'bind', source: '/a', mountpoint: '/mnt/a' }));
  const lock = `${store.file}.lock`;
  // Held by a live process (this one, under another token): the update waits, then says who.
  const release = lockFile(lock, 100);
  expect(() => store.update(() => undefined, 200)).toThrow(
    new RegExp(`mounts.json.lock is held by process ${process.pid}`)
  );
  release();
  // Left by a process that ended (a pid no process has).
  writeFileSync(lock, `${hostname()} 999999999 1 0123456789ab`);
  store.update((r) => r.mounts.push({ kind: 'bind', source: '/b', mountpoint: '/mnt/b' }));
  expect(store.read().mounts.map((m) => m.mountpoint)).toEqual(['/mnt/a', '/mnt/b']);
  expect(readdirSync(join(dir, 'warren'))).toEqual(['mounts.json']);
  // A hand edit gone wrong is kept as it is; the update says why it changed nothing.
  writeFileSync(store.file, '{ "mounts": [');
  expect(() => store.update((r) => (r.mounts = []))).toThrow(
    /is not valid JSON.*nothing was changed/
  );
  expect(readFileSync(store.file, 'utf8')).toBe('{ "mounts": [');
});
