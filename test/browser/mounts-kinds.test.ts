/**
 * The Mounts panel's other kinds, through its form on the real page: an
 * rclone remote (an alias remote in the test's own rclone config), read-only
 * and marked to mount at start; an sshfs mount from a private sshd on
 * 127.0.0.1 (scripts/start-sshd.sh) with a port and a key; and NFS, which
 * cannot mount here (see the comment in test/mounts.test.ts) and must say why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ROOT, runCommand, useLab, withScreenshot } from './harness';

jest.setTimeout(300000);

const base = mkdtempSync(join(tmpdir(), 'warren-mounts-kinds-'));
const config = join(base, 'config');
const sshDir = join(base, 'sshd');
const rcloneConf = join(base, 'rclone.conf');
const aliasSrc = join(base, 'alias-src');
const sshSrc = join(base, 'ssh-src');
let port = 0;

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

function saved(): Record<string, unknown>[] {
  return (
    JSON.parse(readFileSync(join(config, 'warren', 'mounts.json'), 'utf8')) as {
      mounts: Record<string, unknown>[];
    }
  ).mounts;
}

beforeAll(() => {
  mkdirSync(aliasSrc, { recursive: true });
  mkdirSync(sshSrc, { recursive: true });
  writeFileSync(join(aliasSrc, 'hello.txt'), 'hi\n');
  port = Number(
    execFileSync(join(ROOT, 'scripts', 'start-sshd.sh'), [sshDir], { encoding: 'utf8' }).trim()
  );
  writeFileSync(rcloneConf, ['[loc]', 'type = alias', `remote = ${aliasSrc}`, ''].join('\n'));
});

const lab = useLab({ JUPYTER_CONFIG_DIR: config });

afterAll(() => {
  // Runs after the lab stopped: whatever a failed test left mounted, the sshd, and
  // the host key the panel's sshfs accepted (it has no known-hosts field: accept-new).
  const left = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p && p.startsWith(base))
    .reverse();
  for (const p of left) spawnSync('umount', ['-l', p]);
  spawnSync(join(ROOT, 'scripts', 'stop-sshd.sh'), [sshDir]);
  if (port) spawnSync('ssh-keygen', ['-R', `[127.0.0.1]:${port}`], { stdio: 'ignore' });
});

interface FormFields {
  kind: 'rclone' | 'sshfs' | 'nfs';
  source: string;
  mountpoint: string;
  port?: string;
  key?: string;
  rcloneConfig?: string;
  readOnly?: boolean;
  auto?: boolean;
}

/** Fills the panel's mount form as a user does, by its labels, and adds the mount. */
async function addMount(page: Page, f: FormFields): Promise<Locator> {
  await runCommand(page, 'warren:open-mounts');
  const panel = page.locator('#jp-warren-mounts');
  // Once the comm is open the form's request goes at once (one made before it waits in the queue).
  await panel
    .locator('.jp-WarrenMounts-status[data-state="connected"]')
    .waitFor({ state: 'attached', timeout: 120000 });
  const form = panel.locator('.jp-WarrenMounts-form').first();
  await form.getByLabel('Kind').selectOption(f.kind);
  await form.getByLabel('Source').fill(f.source);
  await form.getByLabel('Mount at').fill(f.mountpoint);
  if (f.port) await form.getByLabel('Port (sshfs)').fill(f.port);
  if (f.key) await form.getByLabel('Key file (sshfs)').fill(f.key);
  if (f.rcloneConfig) await form.getByLabel('rclone config file').fill(f.rcloneConfig);
  await form.getByLabel('Read-only').setChecked(!!f.readOnly);
  await form.getByLabel('Mount when the services start').setChecked(!!f.auto);
  await form.locator('.jp-WarrenMounts-add').click();
  return panel.locator(`.jp-WarrenMounts-row[data-mountpoint="${f.mountpoint}"]`);
}

test('an rclone remote added read-only and to mount at start is listed so, reads, refuses writes, and is saved so', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-kinds-rclone', async () => {
    const mp = join(base, 'rclone-mp');
    const row = await addMount(page, {
      kind: 'rclone',
      source: 'loc:',
      mountpoint: mp,
      rcloneConfig: rcloneConf,
      readOnly: true,
      auto: true
    });
    await row.locator('.jp-WarrenMounts-light[data-state="mounted"]').waitFor({ timeout: 60000 });
    await expect(row.locator('.jp-WarrenMounts-source').textContent()).resolves.toBe(
      'rclone · loc: · read-only · auto'
    );
    expect(isMounted(mp)).toBe(true);
    expect(readFileSync(join(mp, 'hello.txt'), 'utf8')).toBe('hi\n');
    expect(() => writeFileSync(join(mp, 'new.txt'), 'no\n')).toThrow(/EROFS|EACCES|EPERM/);
    expect(saved()).toEqual([
      expect.objectContaining({
        kind: 'rclone',
        source: 'loc:',
        mountpoint: mp,
        rcloneConfig: rcloneConf,
        readOnly: true,
        auto: true
      })
    ]);
  });
});

test('an sshfs mount with a port and a key: a file written through it is at the source at once', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-kinds-sshfs', async () => {
    const mp = join(base, 'sshfs-mp');
    const row = await addMount(page, {
      kind: 'sshfs',
      source: `root@127.0.0.1:${sshSrc}`,
      mountpoint: mp,
      port: String(port),
      key: join(sshDir, 'id_ed25519')
    });
    await row.locator('.jp-WarrenMounts-light[data-state="mounted"]').waitFor({ timeout: 60000 });
    await expect(row.locator('.jp-WarrenMounts-source').textContent()).resolves.toBe(
      `sshfs · root@127.0.0.1:${sshSrc}`
    );
    writeFileSync(join(mp, 'written.txt'), 'through sshfs\n');
    expect(readFileSync(join(sshSrc, 'written.txt'), 'utf8')).toBe('through sshfs\n');
    expect(saved()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'sshfs',
          mountpoint: mp,
          port,
          identityFile: join(sshDir, 'id_ed25519')
        })
      ])
    );
  });
});

test('an NFS mount from the panel says why it cannot mount here and mounts nothing', async () => {
  const { page } = lab;
  await withScreenshot(page, 'mounts-kinds-nfs', async () => {
    const mp = join(base, 'nfs-mp');
    await addMount(page, { kind: 'nfs', source: '127.0.0.1:/export', mountpoint: mp });
    const message = page.locator('#jp-warren-mounts .jp-WarrenMounts-message.jp-mod-error');
    await message.waitFor({ timeout: 60000 });
    const hasClient = ['/sbin/mount.nfs', '/usr/sbin/mount.nfs'].some((p) => existsSync(p));
    await expect(message.textContent()).resolves.toMatch(
      hasClient
        ? /NFS (mount failed|server of 127\.0\.0\.1:\/export did not answer)/
        : /NFS is not available here: mount\.nfs is missing \(Debian package nfs-common\)/
    );
    expect(isMounted(mp)).toBe(false);
  });
});
