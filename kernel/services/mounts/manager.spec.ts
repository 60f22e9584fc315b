import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MountLogLine } from '../../../src/contract/mounts';
import { MountManager } from './manager';
import { MountStore } from './store';

test('a credential in what a mount reports reaches neither the panel, the kernel log, the log file nor the error', async () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-manager-'));
  const store = new MountStore(join(base, 'config'));
  const kernelLog: string[] = [];
  const manager = new MountManager({ store, log: (t) => kernelLog.push(t) });
  const panel: MountLogLine[] = [];
  manager.onLog((l) => panel.push(l));
  // A failing mount whose own words carry a password (here in the source path, as
  // rclone's errors quote a URL or a parameter).
  const source = join(base, 'x,pass=hunter2');
  const error = await manager
    .mount({ kind: 'bind', source, mountpoint: join(base, 'mp') })
    .catch((e: unknown) => e as Error);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(/does not exist|need root/);
  expect(panel.length).toBeGreaterThan(0);
  expect(kernelLog.length).toBeGreaterThan(0);
  const everything = [
    (error as Error).message,
    ...panel.map((l) => l.text),
    ...kernelLog,
    readFileSync(store.logFile, 'utf8')
  ];
  for (const text of everything) expect(text).not.toContain('hunter2');
  manager.dispose();
});

test('log lines stored before redaction existed are redacted when read back', () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-manager-'));
  const store = new MountStore(join(base, 'config'));
  mkdirSync(store.dir, { recursive: true });
  writeFileSync(
    store.logFile,
    JSON.stringify({
      time: 1,
      mountpoint: null,
      level: 'info',
      text: 'rclone :webdav,pass=hunter2:'
    }) + '\n'
  );
  const manager = new MountManager({ store });
  expect(manager.logs().map((l) => l.text)).toEqual(['rclone :webdav,pass=***']);
  manager.dispose();
});

test('a definition saved before secrets were refused is listed without its secret', async () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-manager-'));
  const store = new MountStore(join(base, 'config'));
  mkdirSync(store.dir, { recursive: true });
  const source = ':webdav,url="http://127.0.0.1:1",user=bob,pass=hunter2:';
  writeFileSync(
    store.file,
    JSON.stringify({
      version: 1,
      mounts: [{ kind: 'rclone', source, mountpoint: join(base, 'mp') }]
    })
  );
  const manager = new MountManager({ store });
  const [listed] = await manager.list();
  expect(listed.source).toBe(':webdav,url="http://127.0.0.1:1",user=bob,pass=***');
  manager.dispose();
});

test('the health check does not mount again what another process unmounted while it probed', async () => {
  const base = mkdtempSync(join(tmpdir(), 'warren-manager-'));
  const store = new MountStore(join(base, 'config'));
  const manager = new MountManager({ store });
  const lines: MountLogLine[] = [];
  manager.onLog((l) => lines.push(l));
  const mp = join(base, 'mp');
  mkdirSync(mp);
  // What the check saw: a mount of ours that did not answer its probe...
  const seen = {
    spec: { kind: 'bind' as const, source: base, mountpoint: mp },
    pid: null,
    rcPort: null,
    mountedAt: 1
  };
  store.setRuntime(mp, seen);
  // ...unmounted by another process (`warren unmount`) before the check could heal it.
  store.setRuntime(mp, null);
  const heal = (
    manager as unknown as { heal(r: typeof seen, reason: string): Promise<void> }
  ).heal.bind(manager);
  await heal(seen, 'no answer in 3000 ms');
  expect(lines.map((l) => l.text)).toEqual([]);
  expect(store.runtime(mp)).toBeNull();
  // One mounted anew meanwhile (another mountedAt) is left alone too.
  store.setRuntime(mp, { ...seen, mountedAt: 2 });
  await heal(seen, 'no answer in 3000 ms');
  expect(lines.map((l) => l.text)).toEqual([]);
  manager.dispose();
});
