/**
 * Mounts and tool volumes against real FUSE, rclone 1.60 and a private sshd
 * on 127.0.0.1 (scripts/start-sshd.sh). Each test makes its own folders under
 * one temporary root and its own Jupyter config dir.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { CLI, launchWarren, ROOT, result, text } from './harness';

jest.setTimeout(120000);

const base = mkdtempSync(join(tmpdir(), 'warren-mounts-'));
const sshDir = join(base, 'sshd');
const config = join(base, 'config');
const rcloneConf = join(base, 'rclone.conf');
let port = 0;
let k: KernelClient;

type Msg = { header: { msg_type: string }; content: Record<string, unknown> };

function dir(name: string): string {
  const d = join(base, name);
  mkdirSync(d, { recursive: true });
  return d;
}

/** A volume folder holding one toolbox `name` (its bin has one script, `command`) and the manifest naming it. */
function toolVolume(
  folder: string,
  name: string,
  command: string,
  script: string,
  env: Record<string, string> = {}
): string {
  const src = dir(folder);
  mkdirSync(join(src, name, 'bin'), { recursive: true });
  writeFileSync(join(src, name, 'bin', command), script);
  chmodSync(join(src, name, 'bin', command), 0o755);
  writeFileSync(
    join(src, '.warren-tools.json'),
    JSON.stringify({ version: 1, toolboxes: [{ name, path: name, bin: ['bin'], env }] })
  );
  return src;
}

function cli(args: string[], configDir = config) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JUPYTER_CONFIG_DIR: configDir }
  });
}

async function run(
  kernel: KernelClient,
  code: string
): Promise<{ ok: boolean; out: string; err: string; value: string | undefined }> {
  const { reply, iopub } = await kernel.execute(code, {}, 90000);
  const result = (iopub as Msg[]).find((m) => m.header.msg_type === 'execute_result');
  return {
    ok: reply.content.status === 'ok',
    out: text(iopub as Msg[]),
    err: `${text(iopub as Msg[], 'stderr')}${String(reply.content.evalue ?? '')}`,
    value: (result?.content.data as Record<string, string> | undefined)?.['text/plain']
  };
}

/** `warren mount` arguments for an sshfs mount from the loopback sshd, with the test's key. */
function sshfsMount(remotePath: string, mp: string, key = join(sshDir, 'id_ed25519')): string[] {
  return [
    'mount',
    `root@127.0.0.1:${remotePath}`,
    mp,
    '-p',
    String(port),
    '-i',
    key,
    '--known-hosts',
    join(sshDir, 'known_hosts')
  ];
}

/** mounts.json as written; a missing or unreadable file is an error, never an empty string. */
function mountsJson(configDir = config): string {
  return readFileSync(join(configDir, 'warren', 'mounts.json'), 'utf8');
}

/** mounts.json parsed; an absent file is an empty registry (as before anything was saved). */
function registry(configDir = config): {
  mounts: unknown[];
  toolboxes: unknown[];
  pending?: unknown[];
} {
  if (!existsSync(join(configDir, 'warren', 'mounts.json'))) return { mounts: [], toolboxes: [] };
  return JSON.parse(mountsJson(configDir)) as { mounts: unknown[]; toolboxes: unknown[] };
}

/** The mountpoints mounts.json defines (the file must exist and parse). */
function savedMountpoints(configDir = config): string[] {
  const saved = JSON.parse(mountsJson(configDir)) as { mounts: Array<{ mountpoint: string }> };
  return saved.mounts.map((m) => m.mountpoint);
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  port = Number(
    execFileSync(join(ROOT, 'scripts', 'start-sshd.sh'), [sshDir], { encoding: 'utf8' }).trim()
  );
  writeFileSync(
    rcloneConf,
    [
      '[loc]',
      'type = alias',
      `remote = ${dir('alias-src')}`,
      '',
      '[ssh]',
      'type = sftp',
      'host = 127.0.0.1',
      `port = ${port}`,
      'user = root',
      `key_file = ${join(sshDir, 'id_ed25519')}`,
      `known_hosts_file = ${join(sshDir, 'known_hosts')}`,
      'shell_type = unix',
      'md5sum_command = none',
      'sha1sum_command = none',
      ''
    ].join('\n')
  );
  k = await launchWarren({
    cwd: base,
    env: { JUPYTER_CONFIG_DIR: config, WARREN_MOUNT_CHECK_MS: '1000' }
  });
});

afterAll(async () => {
  await k?.shutdown();
  // Whatever a failed test left mounted under the root.
  const left = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p && p.startsWith(base))
    .reverse();
  for (const p of left) spawnSync('umount', ['-l', p]);
  spawnSync(join(ROOT, 'scripts', 'stop-sshd.sh'), [sshDir]);
});

test('an rclone alias remote mounted from a cell: a file written in the kernel reaches the source, unmount flushes it', async () => {
  const src = join(base, 'alias-src');
  const mp = join(base, 'drive');
  const t0 = Date.now();
  const m = await run(
    k,
    `const s = await warren.mount(${JSON.stringify(mp)}, { remote: 'loc:', rcloneConfig: ${JSON.stringify(rcloneConf)} }); [s.state, s.kind, s.fsType]`
  );
  const mountMs = Date.now() - t0;
  expect(m.err).toBe('');
  expect(m.value).toBe("[ 'mounted', 'rclone', 'fuse.rclone' ]");
  expect(isMounted(mp)).toBe(true);
  expect((await run(k, `!echo written-in-kernel > ${mp}/a.txt && cat ${mp}/a.txt`)).out).toBe(
    'written-in-kernel\n'
  );
  const t1 = Date.now();
  const u = await run(k, `%unmount ${mp}`);
  const unmountMs = Date.now() - t1;
  expect(u.out).toBe(`unmounted ${mp}\n`);
  // rclone's vfs holds writes for 2 s before uploading: the unmount waited for them.
  expect(readFileSync(join(src, 'a.txt'), 'utf8')).toBe('written-in-kernel\n');
  expect(isMounted(mp)).toBe(false);
  process.stdout.write(`rclone alias: mount ${mountMs} ms, flush+unmount ${unmountMs} ms\n`);
  // The definition stays (no tokens in it), the runtime record goes.
  const saved = JSON.parse(mountsJson()) as { mounts: Array<Record<string, unknown>> };
  expect(saved.mounts).toEqual([
    { kind: 'rclone', source: 'loc:', mountpoint: mp, rcloneConfig: rcloneConf }
  ]);
});

test("a mount made from a cell outlives the kernel's shutdown, which ends the cells' processes", async () => {
  const mp = join(base, 'outlives');
  const k2 = await launchWarren({ cwd: base, env: { JUPYTER_CONFIG_DIR: config } });
  const m = await run(
    k2,
    `const s = await warren.mount(${JSON.stringify(mp)}, { remote: 'loc:', rcloneConfig: ${JSON.stringify(rcloneConf)} }); s.state`
  );
  expect(m.value).toBe("'mounted'");
  await k2.shutdown();
  expect(await k2.exited).toBe(0);
  expect(isMounted(mp)).toBe(true);
  expect(readdirSync(mp)).toEqual(readdirSync(join(base, 'alias-src')));
  expect(cli(['unmount', mp]).status).toBe(0);
  expect(isMounted(mp)).toBe(false);
});

test('an rclone sftp remote to the loopback sshd mounted with %mount', async () => {
  const src = dir('sftp-src');
  const mp = join(base, 'sftp');
  const m = await run(k, `%mount ssh:${src} ${mp} --config ${rcloneConf}`);
  expect(m.err).toBe('');
  expect(m.out).toBe(`mounted ssh:${src} on ${mp} (rclone)\n`);
  await run(k, `!seq 1 1000 > ${mp}/numbers.txt`);
  const listed = await run(k, '%mount');
  expect(listed.out).toMatch(new RegExp(`● mounted\\s+rclone\\s+ssh:${src}\\s+${mp}`));
  expect(savedMountpoints()).toContain(mp);
  await run(k, `%unmount ${mp} --forget`);
  expect(readFileSync(join(src, 'numbers.txt'), 'utf8').split('\n')).toHaveLength(1001);
  expect(savedMountpoints()).not.toContain(mp);
});

test('an sshfs mount to the loopback sshd: writes appear at the source at once', async () => {
  const src = dir('sshfs-src');
  const mp = join(base, 'sshfs');
  const m = await run(
    k,
    `(await warren.mount(${JSON.stringify(mp)}, { sshfs: 'root@127.0.0.1:${src}', port: ${port}, identityFile: ${JSON.stringify(join(sshDir, 'id_ed25519'))}, knownHostsFile: ${JSON.stringify(join(sshDir, 'known_hosts'))} })).state`
  );
  expect(m.err).toBe('');
  expect(m.value).toBe("'mounted'");
  await run(k, `!echo over-ssh > ${mp}/s.txt`);
  expect(readFileSync(join(src, 's.txt'), 'utf8')).toBe('over-ssh\n');
  // The key is stored by path only.
  const saved = (registry().mounts as Array<{ mountpoint: string }>).find(
    (m) => m.mountpoint === mp
  );
  expect(saved).toMatchObject({ identityFile: join(sshDir, 'id_ed25519') });
  expect(mountsJson()).not.toMatch(/PRIVATE KEY/);
  await run(k, `await warren.unmount(${JSON.stringify(mp)}, { forget: true })`);
  expect(isMounted(mp)).toBe(false);
});

test('sshfs takes a key and known_hosts in folders whose names hold a space and a % ("My Drive")', async () => {
  const src = dir('space-src');
  writeFileSync(join(src, 'f.txt'), 'through My Drive\n');
  const keys = dir('My Drive 100%/keys');
  const key = join(keys, 'id_ed25519');
  const known = join(keys, 'known hosts');
  writeFileSync(key, readFileSync(join(sshDir, 'id_ed25519')), { mode: 0o600 });
  writeFileSync(known, readFileSync(join(sshDir, 'known_hosts')));
  const mp = join(base, 'space-mp');
  const m = await run(
    k,
    `%mount root@127.0.0.1:${src} ${mp} -p ${port} -i "${key}" --known-hosts "${known}" --no-save`
  );
  expect(m.err).toBe('');
  expect(readFileSync(join(mp, 'f.txt'), 'utf8')).toBe('through My Drive\n');
  await run(k, `%unmount ${mp}`);
  const bad = await run(
    k,
    `%mount root@127.0.0.1:${src} ${mp} -p ${port} -i '${keys}/a"b' --no-save`
  );
  expect(bad.err).toMatch(/an sshfs key or known_hosts path cannot hold a double quote/);
  expect(isMounted(mp)).toBe(false);
});

test('%mount host:/path without user@ is sshfs, as the usage says, unless the rclone config names the host', async () => {
  const src = dir('nouser-src');
  writeFileSync(join(src, 'n.txt'), 'no user\n');
  const mp = join(base, 'nouser');
  const key = join(sshDir, 'id_ed25519');
  const known = join(sshDir, 'known_hosts');
  const m = await run(
    k,
    `%mount 127.0.0.1:${src} ${mp} -p ${port} -i ${key} --known-hosts ${known} --no-save`
  );
  expect(m.err).toBe('');
  expect(m.out).toBe(`mounted 127.0.0.1:${src} on ${mp} (sshfs)\n`);
  expect(readFileSync(join(mp, 'n.txt'), 'utf8')).toBe('no user\n');
  await run(k, `%unmount ${mp}`);
  const r = await run(k, `%mount nosuchremote:/x ${mp} --config ${rcloneConf}`);
  expect(r.err).toMatch(
    /unknown rclone remote 'nosuchremote:' in .*\(known: loc:, ssh:\); for sshfs to a host nosuchremote, write user@nosuchremote:\/x or add --sshfs/
  );
  expect(isMounted(mp)).toBe(false);
});

test('a bind mount, and a read-only one refuses writes', async () => {
  const src = dir('bind-src');
  const mp = join(base, 'bind');
  const ro = join(base, 'bind-ro');
  expect((await run(k, `%mount ${src} ${mp}`)).err).toBe('');
  await run(k, `!echo bound > ${mp}/b.txt`);
  expect(readFileSync(join(src, 'b.txt'), 'utf8')).toBe('bound\n');
  expect((await run(k, `%mount --bind ${src} ${ro} --ro`)).err).toBe('');
  const w = await run(k, `!echo no > ${ro}/c.txt`);
  expect(w.out).toMatch(/Read-only file system/);
  expect(existsSync(join(src, 'c.txt'))).toBe(false);
  await run(k, `%unmount ${ro} --forget`);
  await run(k, `%unmount ${mp} --forget`);
  expect(isMounted(mp) || isMounted(ro)).toBe(false);
});

test('a killed FUSE daemon is detected ("Transport endpoint is not connected") and the mount is healed', async () => {
  const src = dir('heal-src');
  writeFileSync(join(src, 'keep.txt'), 'still here\n');
  const mp = join(base, 'heal');
  const first = await run(
    k,
    `(await warren.mount(${JSON.stringify(mp)}, { sshfs: 'root@127.0.0.1:${src}', port: ${port}, identityFile: ${JSON.stringify(join(sshDir, 'id_ed25519'))}, knownHostsFile: ${JSON.stringify(join(sshDir, 'known_hosts'))} })).pid`
  );
  const pid = Number(first.value);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  // The mount goes stale once the kernel has closed the dead daemon's FUSE connection.
  let stale = '';
  await waitFor(() => {
    try {
      statSync(mp);
    } catch (error) {
      stale = (error as NodeJS.ErrnoException).code ?? '';
    }
    return stale !== '';
  }, 5000);
  // A stat the dead daemon had not answered when its connection was torn
  // down gets ECONNABORTED, those after it ENOTCONN: which one comes first
  // depends on whether the attribute cache was fresh at the kill.
  expect(['ENOTCONN', 'ECONNABORTED']).toContain(stale);
  const killedAt = Date.now();
  // The kernel's health check (every second here) remounts it.
  await waitFor(async () => {
    const r = await run(
      k,
      `(await warren.mounts()).filter((m) => m.mountpoint === ${JSON.stringify(mp)}).map((m) => m.state + ' ' + m.pid).join()`
    );
    const [state, newPid] = String(r.value).replace(/'/g, '').split(' ');
    return state === 'mounted' && Number(newPid) > 0 && Number(newPid) !== pid;
  }, 30000);
  process.stdout.write(`healed ${Date.now() - killedAt} ms after the kill\n`);
  expect(readFileSync(join(mp, 'keep.txt'), 'utf8')).toBe('still here\n');
  const log = readFileSync(join(config, 'warren', 'mounts.log'), 'utf8');
  expect(log).toMatch(/Transport endpoint is not connected/);
  expect(log).toMatch(/healed/);
  await run(k, `await warren.unmount(${JSON.stringify(mp)}, { forget: true })`);
});

/**
 * A kernel and a config of its own (the file's kernel never sees the volume),
 * an sshfs volume holding toolbox `name` (command `${name}hello`), accepted,
 * so that its bin folder is first on the kernel's PATH, and the daemon's pid.
 */
async function hungToolVolume(name: string, checkMs: string) {
  const own = dir(`${name}-config`);
  const hk = await launchWarren({
    cwd: base,
    env: { JUPYTER_CONFIG_DIR: own, WARREN_MOUNT_CHECK_MS: checkMs }
  });
  const src = toolVolume(`${name}-src`, name, `${name}hello`, `#!/bin/sh\necho ${name} tool\n`);
  const mp = join(base, name);
  const first = await run(
    hk,
    `(await warren.mount(${JSON.stringify(mp)}, { sshfs: 'root@127.0.0.1:${src}', port: ${port}, identityFile: ${JSON.stringify(join(sshDir, 'id_ed25519'))}, knownHostsFile: ${JSON.stringify(join(sshDir, 'known_hosts'))} })).pid`
  );
  const pid = Number(first.value);
  expect(pid).toBeGreaterThan(0);
  expect((await run(hk, `(await warren.acceptToolbox('${name}')).commands`)).value).toBe('1');
  const cleanUp = async () => {
    process.kill(pid, 'SIGKILL');
    process.kill(pid, 'SIGCONT');
    await hk.shutdown().catch(() => undefined);
    cli(['unmount', mp, '--forget'], own);
    spawnSync('umount', ['-l', mp]);
  };
  return { hk, own, mp, pid, cleanUp };
}

/** The state letter in a /proc `stat` line (`D`: uninterruptible sleep, `T`: stopped). */
function stateIn(stat: string): string {
  const at = stat.lastIndexOf(')');
  return stat.slice(at + 2, at + 3);
}

/** The state letter of each thread of a process. */
function threadStates(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) =>
    stateIn(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))
  );
}

/** Each process whose command line names `text`: its pid, state and command line. */
function processesNaming(text: string): Array<{ pid: number; state: string; cmd: string }> {
  const out: Array<{ pid: number; state: string; cmd: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (!cmd.includes(text)) continue;
      const state = stateIn(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      out.push({ pid: Number(entry), state, cmd });
    } catch {
      // gone
    }
  }
  return out;
}

/** Processes in uninterruptible sleep whose command line names `text`. */
function stuckNaming(text: string): string[] {
  return processesNaming(text)
    .filter((p) => p.state === 'D')
    .map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`);
}

/** Stops a volume's daemon (SIGSTOP) and waits until each of its threads has stopped. */
async function stopDaemon(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  await waitFor(() => threadStates(pid).every((s) => s === 'T' || s === 't'), 5000);
}

/**
 * Registers toolbox `name` of a hungToolVolume again, through a link outside
 * the volume (`~/tools` pointing into the Drive); returns the link.
 */
async function throughLink(hk: KernelClient, mp: string, name: string): Promise<string> {
  const link = join(base, `${name}-link`);
  symlinkSync(join(mp, name), link);
  const swapped = await run(
    hk,
    `await warren.removeToolbox('${name}'); (await warren.addToolbox('${name}', ${JSON.stringify(link)})).commands`
  );
  expect(swapped).toMatchObject({ err: '', value: '1' });
  return link;
}

test('a hung sshfs volume holding a toolbox on PATH (its daemon stopped): cells still run, the toolbox is said not to answer', async () => {
  // No health check here: it would heal the volume (the next test).
  const { hk, own, mp, pid, cleanUp } = await hungToolVolume('ht', '600000');
  try {
    const complete = async (code: string) => {
      const { reply } = await hk.call(
        'shell',
        'complete_request',
        { code, cursor_pos: code.length },
        10000
      );
      return reply.content as { status: string; matches: string[] };
    };
    expect((await complete(`!ls ${mp}/`)).matches).toContain(`${mp}/ht/`);
    // The volume stops answering: a read of a folder on it waits for good.
    await stopDaemon(pid);
    // Tab completion reads PATH's folders (the toolbox's bin among them) and
    // the folder typed: both answer in time, without the hung volume's names.
    const asked = Date.now();
    const commands = await complete('!hthel');
    if (commands.matches.length) {
      // Seen once in CI: say what served the folder, should it come back.
      const path = await run(hk, 'process.env.PATH');
      process.stdout.write(
        `hung volume's command completed: daemon ${pid} threads ${threadStates(pid).join('')}; ` +
          `sshfs now ${JSON.stringify(processesNaming(mp).map((p) => `${p.pid} ${threadStates(p.pid).join('')} ${p.cmd.slice(0, 120)}`))}; ` +
          `mounts ${JSON.stringify(
            readFileSync('/proc/self/mountinfo', 'utf8')
              .split('\n')
              .filter((l) => l.includes(mp))
          )}; ` +
          `kernel PATH ${path.value}\n`
      );
    }
    expect(commands).toMatchObject({ status: 'ok', matches: [] });
    expect(await complete(`!ls ${mp}/`)).toMatchObject({ status: 'ok', matches: [] });
    expect(Date.now() - asked).toBeLessThan(5000);
    // The toolbox listing (the Mounts panel's, every 5 s) touches the volume;
    // cells go on all the same.
    const listed = await hk.execute(
      "(await warren.toolboxes()).filter((t) => t.name === 'ht').map((t) => `${t.present} ${t.message}`).join()",
      {},
      30000
    );
    expect(result(listed.iopub)).toBe(
      "'false its folder did not answer in 2000 ms (a hung volume?)'"
    );
    // Adding a toolbox on it is refused in time; removing it changes the
    // registry at once, and the log says the volume's manifest kept it.
    const added = await run(
      hk,
      `await warren.addToolbox('ht2', ${JSON.stringify(join(mp, 'ht'))}).then(() => 'added', (e) => e.message)`
    );
    expect(added.value).toMatch(/folder .*ht did not answer in 2000 ms \(a hung volume\?\)/);
    const removed = await run(
      hk,
      "await warren.removeToolbox('ht'); (await warren.toolboxes()).map((t) => t.name).join()"
    );
    expect(removed.err).toBe('');
    expect(removed.value).toBe("''");
    expect(readFileSync(join(own, 'warren', 'mounts.log'), 'utf8')).toMatch(
      /toolbox ht is still in .*\.warren-tools\.json: the volume .* did not answer in 2000 ms/
    );
    for (let i = 0; i < 3; i++) {
      const next = await hk.execute('1 + 1', {}, 10000);
      expect(result(next.iopub)).toBe('2');
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await cleanUp();
  }
});

test('a hung sshfs volume holding a toolbox is healed: the new sshfs finds ssh, though PATH starts on the hung volume', async () => {
  const { hk, own, mp, pid, cleanUp } = await hungToolVolume('hh', '1000');
  try {
    await stopDaemon(pid);
    const log = () => readFileSync(join(own, 'warren', 'mounts.log'), 'utf8');
    await waitFor(() => /healed|remount of .* failed/.test(log()), 45000);
    expect(log()).toMatch(new RegExp(`${mp} healed`));
    // The toolbox runs from the new mount, and nothing the heal started waits on the old one.
    expect((await run(hk, '!hhhello')).out).toBe('hh tool\n');
    expect(stuckNaming(mp)).toEqual([]);
  } finally {
    await cleanUp();
  }
});

test('a toolbox through a link into a hung volume is said not to answer; toolboxes on the local disk still are', async () => {
  const { hk, mp, pid, cleanUp } = await hungToolVolume('hl', '600000');
  try {
    await throughLink(hk, mp, 'hl');
    const local = dir('hl-local');
    mkdirSync(join(local, 'bin'));
    writeFileSync(join(local, 'bin', 'hllocal'), '#!/bin/sh\necho hl local\n');
    chmodSync(join(local, 'bin', 'hllocal'), 0o755);
    await stopDaemon(pid);
    const listed = await run(
      hk,
      "(await warren.toolboxes()).map((t) => `${t.name} ${t.present} ${t.message ?? ''}`).join()"
    );
    expect(listed.value).toBe("'hl false its folder did not answer in 2000 ms (a hung volume?)'");
    // The local disk is not taken for the hung volume: a toolbox there is read and goes on PATH.
    const added = await run(
      hk,
      `await warren.addToolbox('hll', ${JSON.stringify(local)}).then((t) => \`added \${t.commands}\`, (e) => e.message)`
    );
    expect(added.value).toBe("'added 1'");
    // (A command found by a search of PATH would wait on the hung folder first, link or not.)
    expect((await run(hk, 'process.env.PATH')).value).toContain(`${local}/bin`);
  } finally {
    await cleanUp();
  }
});

test('a toolbox kept through a link into a hung sshfs volume: the kernel still heals it and answers', async () => {
  const { hk, own, mp, pid, cleanUp } = await hungToolVolume('hs', '1000');
  try {
    // The same folder, on PATH through a link outside the volume.
    const link = await throughLink(hk, mp, 'hs');
    expect((await run(hk, 'process.env.PATH')).value).toMatch(new RegExp(`^'${link}/bin:`));
    await stopDaemon(pid);
    const log = () => readFileSync(join(own, 'warren', 'mounts.log'), 'utf8');
    // Healing looks for its programs on PATH: not in the linked folder, which waits for good.
    await waitFor(() => /healed|remount of .* failed/.test(log()), 45000);
    expect(log()).toMatch(new RegExp(`${mp} healed`));
    expect((await run(hk, '!hshello')).out).toBe('hs tool\n');
    expect(stuckNaming(mp)).toEqual([]);
  } finally {
    await cleanUp();
  }
});

/** The state letter of a process, or 'gone' (a zombie whose parent, PID 1 here, never reaps it counts as gone). */
function processState(pid: number): string {
  try {
    const state = stateIn(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return state === 'Z' ? 'gone' : state;
  } catch {
    return 'gone';
  }
}

/** The live sshfs processes naming a mountpoint. */
function sshfsNaming(mp: string): Array<{ pid: number; state: string; cmd: string }> {
  return processesNaming(mp).filter((p) => p.state !== 'Z' && /sshfs$/.test(p.cmd.split(' ')[0]));
}

/** A kernel with a config of its own, an sshfs volume from the loopback sshd (f.txt in it), and the daemon's pid. */
async function sshfsVolume(name: string, checkMs: string, extra = '') {
  const own = dir(`${name}-config`);
  const hk = await launchWarren({
    cwd: base,
    env: { JUPYTER_CONFIG_DIR: own, WARREN_MOUNT_CHECK_MS: checkMs }
  });
  const src = dir(`${name}-src`);
  writeFileSync(join(src, 'f.txt'), 'answered\n');
  const mp = join(base, name);
  const args = `root@127.0.0.1:${src} ${mp} -p ${port} -i ${join(sshDir, 'id_ed25519')} --known-hosts ${join(sshDir, 'known_hosts')}${extra}`;
  const m = await run(hk, `%mount ${args}`);
  expect(m.err).toBe('');
  const state = async () => {
    const r = await run(
      hk,
      `(await warren.mounts()).filter((m) => m.mountpoint === ${JSON.stringify(mp)}).map((m) => m.state + ' ' + m.pid).join()`
    );
    const [s, p] = String(r.value).replace(/'/g, '').split(' ');
    return { state: s, pid: Number(p) };
  };
  const { pid } = await state();
  expect(pid).toBeGreaterThan(0);
  const log = () => readFileSync(join(own, 'warren', 'mounts.log'), 'utf8');
  const cleanUp = async () => {
    for (const p of sshfsNaming(mp)) {
      process.kill(p.pid, 'SIGKILL');
      process.kill(p.pid, 'SIGCONT');
    }
    await hk.shutdown().catch(() => undefined);
    cli(['unmount', mp, '--forget'], own);
    spawnSync('umount', ['-l', mp]);
  };
  return { hk, own, src, mp, args, pid, state, log, cleanUp };
}

test("a hung sshfs volume: each %mount lists it stale without taking one of the kernel's file threads, a cell's readFile answers, and %mount of it again heals it", async () => {
  // No health check: only the cells look at the volume.
  const v = await sshfsVolume('hung-probe', '600000');
  try {
    await stopDaemon(v.pid);
    // Past the kernel's attribute cache (1 s): each look now waits on the daemon.
    await new Promise((r) => setTimeout(r, 1500));
    for (let i = 0; i < 6; i++) {
      const listed = await run(v.hk, '%mount');
      expect(listed.out).toMatch(
        new RegExp(`▲ stale\\s+sshfs\\s+\\S+\\s+${v.mp}\\s+rw pid ${v.pid} no answer from`)
      );
    }
    // Each look above ran in a process of its own: libuv's four file threads are free.
    const read = await v.hk.execute(
      `await require('node:fs').promises.readFile(${JSON.stringify(join(v.src, 'f.txt'))}, 'utf8')`,
      {},
      10000
    );
    expect(result(read.iopub)).toBe("'answered\\n'");
    // Mounting it again detaches the hung mount, ends its daemon and mounts anew.
    const again = await run(v.hk, `%mount ${v.args}`);
    expect(again.err).toBe('');
    expect(again.out).toBe(`mounted ${v.args.split(' ')[0]} on ${v.mp} (sshfs)\n`);
    expect(readFileSync(join(v.mp, 'f.txt'), 'utf8')).toBe('answered\n');
    expect(processState(v.pid)).toBe('gone');
    const now = await v.state();
    expect(now.state).toBe('mounted');
    expect(now.pid).not.toBe(v.pid);
    expect(stuckNaming(v.mp)).toEqual([]);
  } finally {
    await v.cleanUp();
  }
});

test('a heal that fails (the server hangs too) is tried again until the volume is back', async () => {
  const v = await sshfsVolume('heal-retry', '1000', ' --timeout 2');
  const sshd = Number(readFileSync(join(sshDir, 'sshd.pid'), 'utf8'));
  try {
    // The server accepts no new connection, and the volume's daemon hangs.
    process.kill(sshd, 'SIGSTOP');
    await stopDaemon(v.pid);
    await waitFor(() => /remount of .* failed/.test(v.log()), 30000);
    expect((await v.state()).state).toBe('error');
    process.kill(sshd, 'SIGCONT');
    // The next try (5 s after the failure) mounts it.
    await waitFor(() => new RegExp(`${v.mp} healed`).test(v.log()), 30000);
    const healed = await v.state();
    expect(healed.state).toBe('mounted');
    expect(healed.pid).not.toBe(v.pid);
    expect(readFileSync(join(v.mp, 'f.txt'), 'utf8')).toBe('answered\n');
  } finally {
    process.kill(sshd, 'SIGCONT');
    await v.cleanUp();
  }
});

test('a heal ends the hung sshfs and records the new daemon: a later kill of that one is healed too', async () => {
  const v = await sshfsVolume('heal-pid', '1000');
  try {
    await stopDaemon(v.pid);
    await waitFor(() => new RegExp(`${v.mp} healed`).test(v.log()), 30000);
    // The hung daemon is ended, not left stopped beside the new one.
    await waitFor(() => processState(v.pid) === 'gone', 5000);
    const healed = await v.state();
    expect(healed.state).toBe('mounted');
    expect(healed.pid).not.toBe(v.pid);
    expect(sshfsNaming(v.mp).map((p) => p.pid)).toEqual([healed.pid]);
    // The recorded pid is the daemon serving the mount: killing it is seen and healed.
    process.kill(healed.pid, 'SIGKILL');
    await waitFor(async () => {
      const s = await v.state();
      return s.state === 'mounted' && s.pid > 0 && s.pid !== healed.pid;
    }, 30000);
    expect(readFileSync(join(v.mp, 'f.txt'), 'utf8')).toBe('answered\n');
  } finally {
    await v.cleanUp();
  }
});

test('a tool volume: a program that lost its exec bit runs from !cmd in a new kernel, and a fresh machine restores it with one mount', async () => {
  const src = dir('tools-src');
  mkdirSync(join(src, 'mrtools', 'bin'), { recursive: true });
  const tool = join(src, 'mrtools', 'bin', 'mrhello');
  writeFileSync(tool, '#!/bin/sh\necho "hello from $MRHOME ($MRTYPE)"\n');
  chmodSync(tool, 0o644);
  writeFileSync(join(src, 'mrtools', 'bin', 'README'), 'not a program\n');
  chmodSync(join(src, 'mrtools', 'bin', 'README'), 0o644);
  const mp = join(base, 'toolvol');
  const sshfs = `{ sshfs: 'root@127.0.0.1:${src}', port: ${port}, identityFile: ${JSON.stringify(join(sshDir, 'id_ed25519'))}, knownHostsFile: ${JSON.stringify(join(sshDir, 'known_hosts'))} }`;
  expect((await run(k, `await warren.mount(${JSON.stringify(mp)}, ${sshfs}); 1`)).err).toBe('');
  const added = await run(
    k,
    `const tb = await warren.addToolbox('mrtools', ${JSON.stringify(join(mp, 'mrtools'))}, { env: { MRHOME: '\${root}', MRTYPE: 'NIFTI_GZ' } }); [tb.present, tb.commands]`
  );
  expect(added.err).toBe('');
  expect(added.value).toBe('[ true, 2 ]');
  // Exec bits came back on the program (through sshfs, on the server's file), not on the README.
  expect(statSync(tool).mode & 0o777).toBe(0o755);
  expect(statSync(join(src, 'mrtools', 'bin', 'README')).mode & 0o777).toBe(0o644);
  // The current kernel has it at once.
  expect((await run(k, '!mrhello')).out).toBe(`hello from ${mp}/mrtools (NIFTI_GZ)\n`);
  const manifest = JSON.parse(readFileSync(join(src, '.warren-tools.json'), 'utf8')) as unknown;
  expect(manifest).toEqual({
    version: 1,
    toolboxes: [
      {
        name: 'mrtools',
        path: 'mrtools',
        bin: ['bin'],
        env: { MRHOME: '${root}', MRTYPE: 'NIFTI_GZ' }
      }
    ]
  });

  // The volume loses the bit again (as Drive does); a new kernel repairs it and has PATH and env.
  chmodSync(tool, 0o644);
  const k2 = await launchWarren({ cwd: base, env: { JUPYTER_CONFIG_DIR: config } });
  try {
    const r = await run(k2, '!mrhello');
    expect(r.out).toBe(`hello from ${mp}/mrtools (NIFTI_GZ)\n`);
    expect((await run(k2, '!echo $MRTYPE')).out).toBe('NIFTI_GZ\n');
  } finally {
    await k2.shutdown();
  }
  await run(k, `await warren.unmount(${JSON.stringify(mp)})`);

  // A fresh machine: an empty config dir; one mount of the volume brings the toolbox back.
  const fresh = join(base, 'fresh-config');
  chmodSync(tool, 0o644);
  const m = cli(sshfsMount(src, mp), fresh);
  expect(m.stderr).toBe('');
  // What the volume brings is shown, and waits for the user.
  expect(m.stdout).toContain('waiting to be accepted (a volume brought them; not in effect):');
  expect(m.stdout).toContain(`PATH first: ${join(mp, 'mrtools')}/bin`);
  expect(m.stdout).toContain('MRTYPE="NIFTI_GZ"');
  const toolbox = {
    name: 'mrtools',
    root: join(mp, 'mrtools'),
    bin: ['bin'],
    env: { MRHOME: '${root}', MRTYPE: 'NIFTI_GZ' }
  };
  expect(registry(fresh).toolboxes).toEqual([]);
  expect(registry(fresh).pending).toEqual([{ ...toolbox, volume: mp }]);
  expect(statSync(tool).mode & 0o777).toBe(0o644);
  const accepted = cli(['toolbox', 'accept', 'mrtools'], fresh);
  expect(accepted.stdout).toBe(
    'toolbox mrtools accepted: 2 command(s) in bin; exec bits restored on 1\n'
  );
  expect(registry(fresh).toolboxes).toEqual([toolbox]);
  expect(registry(fresh).pending).toEqual([]);
  const k3 = await launchWarren({ cwd: base, env: { JUPYTER_CONFIG_DIR: fresh } });
  try {
    expect((await run(k3, '!mrhello')).out).toBe(`hello from ${mp}/mrtools (NIFTI_GZ)\n`);
  } finally {
    await k3.shutdown();
  }
  expect(cli(['unmount', mp, '--forget'], fresh).status).toBe(0);
});

test('toolboxes added by many processes at once are all kept, and mounts.json is always whole', async () => {
  const own = dir('concurrent-config');
  const roots = dir('concurrent-roots');
  const finished = (child: ReturnType<typeof spawn>) =>
    new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  // 24 `warren toolbox add` at once, as kernels and terminals do.
  const adds = Array.from({ length: 24 }, (_, i) => {
    mkdirSync(join(roots, `t${i}`, 'bin'), { recursive: true });
    return spawn(process.execPath, [CLI, 'toolbox', 'add', `t${i}`, join(roots, `t${i}`)], {
      env: { ...process.env, JUPYTER_CONFIG_DIR: own },
      stdio: 'ignore'
    });
  });
  expect(await Promise.all(adds.map(finished))).toEqual(adds.map(() => 0));
  const names = () =>
    (registry(own).toolboxes as Array<{ name: string }>).map((t) => t.name).sort();
  expect(names()).toEqual(Array.from({ length: 24 }, (_, i) => `t${i}`).sort());
  // And under load: 8 processes, 40 additions each through the store, as fast as they go.
  const store = join(ROOT, 'lib', 'kernel', 'services', 'mounts', 'store.js');
  const script = `const { MountStore } = require(${JSON.stringify(store)});
const s = new MountStore(process.env.JUPYTER_CONFIG_DIR);
for (let i = 0; i < 40; i++)
  s.update((r) => { r.toolboxes.push({ name: 'p' + process.argv[1] + '-' + i, root: '/opt', bin: ['bin'], env: {} }); });`;
  const loops = Array.from({ length: 8 }, (_, p) =>
    spawn(process.execPath, ['-e', script, String(p)], {
      env: { ...process.env, JUPYTER_CONFIG_DIR: own },
      stdio: 'ignore'
    })
  );
  expect(await Promise.all(loops.map(finished))).toEqual(loops.map(() => 0));
  expect(names().filter((n) => n.startsWith('p'))).toHaveLength(8 * 40);
  expect(names().filter((n) => n.startsWith('t'))).toHaveLength(24);
  // No lock or temporary file is left behind.
  expect(readdirSync(join(own, 'warren')).sort()).toEqual(['mounts.json', 'mounts.log']);
});

test('a toolbox that cannot work says so in the cell: a root given at its bin folder, a noexec volume, a volume without exec bits', async () => {
  // A root given at …/bin: PATH would get …/bin/bin. Refused, with the folder to give.
  const tree = dir('atbin/fsl');
  mkdirSync(join(tree, 'bin'));
  writeFileSync(join(tree, 'bin', 'bet'), '#!/bin/sh\necho bet\n');
  chmodSync(join(tree, 'bin', 'bet'), 0o755);
  const atBin = await run(
    k,
    `await warren.addToolbox('atbin', ${JSON.stringify(join(tree, 'bin'))}).then(() => 'added', (e) => e.message)`
  );
  expect(atBin.value).toContain(
    `${tree}/bin/bin does not exist, and ${tree}/bin holds the programs itself: the root is the folder above bin, ${tree}`
  );
  expect((registry().toolboxes as Array<{ name: string }>).map((t) => t.name)).not.toContain(
    'atbin'
  );

  // A volume mounted noexec: exec bits or not, nothing there runs.
  const nxSrc = dir('noexec-src');
  mkdirSync(join(nxSrc, 'nx', 'bin'), { recursive: true });
  writeFileSync(join(nxSrc, 'nx', 'bin', 'nxhello'), '#!/bin/sh\necho nx\n');
  chmodSync(join(nxSrc, 'nx', 'bin', 'nxhello'), 0o755);
  const nxMp = dir('noexec-mp');
  execFileSync('mount', ['--bind', nxSrc, nxMp]);
  try {
    execFileSync('mount', ['-o', 'remount,bind,noexec', nxMp]);
    const nx = await run(
      k,
      `(await warren.addToolbox('nx', ${JSON.stringify(join(nxMp, 'nx'))})).commands`
    );
    expect(nx.value).toBe('1');
    expect(nx.err).toBe(
      `warning: toolbox nx: ${nxMp}/nx/bin is on ${nxMp}, mounted noexec: no program there can run, exec bits or not; mount it without noexec, or copy the toolbox to a folder that allows programs\n`
    );
    await run(k, "await warren.removeToolbox('nx')");
  } finally {
    spawnSync('umount', ['-l', nxMp]);
  }

  // An rclone mount made without exec bits: programs cannot be made executable there.
  const rcSrc = dir('noexecbits-src');
  mkdirSync(join(rcSrc, 'rb', 'bin'), { recursive: true });
  writeFileSync(join(rcSrc, 'rb', 'bin', 'rbhello'), '#!/bin/sh\necho rb\n');
  chmodSync(join(rcSrc, 'rb', 'bin', 'rbhello'), 0o644);
  const rcMp = join(base, 'noexecbits');
  const m = await run(
    k,
    `await warren.mount(${JSON.stringify(rcMp)}, { remote: ':local:${rcSrc}', execBits: false, save: false }); 1`
  );
  expect(m.err).toBe('');
  try {
    const rb = await run(
      k,
      `(await warren.addToolbox('rb', ${JSON.stringify(join(rcMp, 'rb'))})).commands`
    );
    expect(rb.value).toBe('1');
    expect(rb.err).toBe(
      'warning: toolbox rb: 1 program(s) (rbhello) are not executable, and the volume does not keep exec bits: it is an rclone mount made without exec bits: unmount it and mount it again without --no-exec-bits (execBits: false), so that rclone shows its files executable\n'
    );
    await run(k, "await warren.removeToolbox('rb')");
  } finally {
    await run(k, `%unmount ${rcMp}`);
  }
});

describe('bad specs give a clear error and change nothing', () => {
  const before = () => ({
    json: JSON.stringify(registry()),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').length
  });

  test('an unknown rclone remote', async () => {
    const was = before();
    const mp = join(base, 'bad1');
    const r = await run(
      k,
      `await warren.mount(${JSON.stringify(mp)}, { remote: 'gdrive:', rcloneConfig: ${JSON.stringify(rcloneConf)} })`
    );
    expect(r.ok).toBe(false);
    expect(r.err).toMatch(
      /unknown rclone remote 'gdrive:' in .*rclone\.conf \(known: loc:, ssh:\)/
    );
    expect(existsSync(mp)).toBe(false);
    expect(before()).toEqual(was);
  });

  test('a missing folder (bind source, folder on a remote) or rclone config file', async () => {
    const was = before();
    const mp = join(base, 'bad2');
    const r1 = cli(['mount', join(base, 'no-such-folder'), mp]);
    expect(r1.status).toBe(1);
    expect(r1.stderr).toBe(
      `warren mount: source folder ${join(base, 'no-such-folder')} does not exist\n`
    );
    const r2 = cli(['mount', 'loc:no/such/dir', mp, '--config', rcloneConf]);
    expect(r2.stderr).toBe('warren mount: folder not found on the remote: loc:no/such/dir\n');
    const r4 = cli(['mount', 'loc:', mp, '--config', join(base, 'rclon.conf')]);
    expect(r4.stderr).toBe(
      `warren mount: the rclone config file ${join(base, 'rclon.conf')} does not exist\n`
    );
    const r3 = cli(sshfsMount(join(base, 'nothing-here'), mp));
    expect(r3.stderr).toMatch(/^warren mount: sshfs failed: .*No such file or directory/);
    expect(existsSync(mp)).toBe(false);
    expect(before()).toEqual(was);
  });

  test('a busy mountpoint (already a mount, or holding files)', async () => {
    const src = dir('busy-src');
    const mp = join(base, 'busy');
    expect(cli(['mount', src, mp]).status).toBe(0);
    const was = before();
    const r = cli(['mount', 'loc:', mp, '--config', rcloneConf]);
    expect(r.stderr).toBe(
      `warren mount: ${mp} is already a mount point (bind from ${src}): unmount it first or pick another folder\n`
    );
    const full = dir('full');
    writeFileSync(join(full, 'x'), '');
    const r2 = cli(['mount', 'loc:', full, '--config', rcloneConf]);
    expect(r2.stderr).toBe(
      `warren mount: ${full} is not empty (1 entry): mounting would hide them; pick an empty or new folder\n`
    );
    expect(readdirSync(full)).toEqual(['x']);
    expect(before()).toEqual(was);
    // Unmount refuses while a process has its cwd inside, and says who.
    const u = spawnSync('sh', ['-c', `cd ${mp} && ${process.execPath} ${CLI} unmount ${mp}`], {
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_CONFIG_DIR: config }
    });
    expect(u.stderr).toMatch(
      new RegExp(`warren unmount: ${mp} is busy: used by \\d+ \\(sh, cwd\\)`)
    );
    expect(isMounted(mp)).toBe(true);
    expect(cli(['unmount', mp, '--forget']).status).toBe(0);
  });

  test('no permission: a key the server does not accept, a mountpoint on a read-only file system', async () => {
    const was = before();
    const other = join(base, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const mp = join(base, 'bad4');
    const r = cli([...sshfsMount(base, mp, other), '--timeout', '10']);
    expect(r.stderr).toMatch(/^warren mount: sshfs failed: .*Permission denied \(publickey\)/);
    expect(existsSync(mp)).toBe(false);
    // A read-only file system to put the mountpoint in.
    const roSrc = dir('ro-src');
    const roMp = join(base, 'ro');
    expect(cli(['mount', '--bind', roSrc, roMp, '--ro', '--no-save']).status).toBe(0);
    const was2 = before();
    const r2 = cli(['mount', 'loc:', join(roMp, 'inside'), '--config', rcloneConf]);
    expect(r2.stderr).toBe(
      `warren mount: cannot create the mountpoint ${join(roMp, 'inside')}: read-only file system (permission denied)\n`
    );
    expect(before()).toEqual(was2);
    expect(cli(['unmount', roMp]).status).toBe(0);
    // A secret in an rclone connection string is refused before it could be stored.
    const r3 = cli(['mount', ':sftp,host=127.0.0.1,pass=hunter2:/', join(base, 'bad5')]);
    expect(r3.stderr).toMatch(/'pass=' in the remote string would store a secret in clear text/);
    expect(r3.stderr).not.toContain('hunter2');
    expect(before()).toEqual(was);
  });
});

describe('hostile volumes and input', () => {
  test("a volume's manifest is shown and waits; a hostile entry is refused, an accepted one takes effect", async () => {
    const fresh = join(base, 'hostile-config');
    const src = dir('hostile-vol');
    const pwned = join(base, 'pwned-manifest');
    const outside = dir('hostile-outside');
    writeFileSync(join(outside, 'local-tool'), '#!/bin/sh\necho local\n');
    chmodSync(join(outside, 'local-tool'), 0o644);
    mkdirSync(join(src, 'good', 'bin'), { recursive: true });
    writeFileSync(join(src, 'good', 'bin', 'vhello'), '#!/bin/sh\necho "volume says $VGREETING"\n');
    chmodSync(join(src, 'good', 'bin', 'vhello'), 0o644);
    execFileSync('ln', ['-s', join(outside, 'local-tool'), join(src, 'good', 'bin', 'escape')]);
    writeFileSync(join(src, 'evil.sh'), `touch ${pwned}\n`);
    const entry = { name: 'good', path: 'good', bin: ['bin'], env: { VGREETING: "it's $(x)" } };
    writeFileSync(
      join(src, '.warren-tools.json'),
      JSON.stringify({
        version: 1,
        toolboxes: [
          entry,
          { ...entry, name: 'bashenv', env: { BASH_ENV: '${root}/../evil.sh' } },
          { ...entry, name: 'semicolon', env: { [`A;touch ${pwned};B`]: 'x' } },
          { ...entry, name: 'updots', bin: ['../../../../..'] }
        ]
      })
    );
    const mp = join(base, 'hostile-mp');
    const m = cli(['mount', src, mp, '--no-save'], fresh);
    expect(m.stderr).toBe('');
    expect(m.stdout).toBe(
      [
        `mounted ${src} on ${mp} (bind)`,
        'waiting to be accepted (a volume brought them; not in effect):',
        `  good  from ${mp}`,
        `    PATH first: ${mp}/good/bin`,
        `    VGREETING="it's $(x)"`,
        '  accept: warren toolbox accept NAME   decline: warren toolbox remove NAME',
        ''
      ].join('\n')
    );
    const log = readFileSync(join(fresh, 'warren', 'mounts.log'), 'utf8');
    expect(log).toMatch(/refused bashenv: a toolbox may not set BASH_ENV/);
    expect(log).toMatch(/refused semicolon: not a variable name/);
    expect(log).toMatch(/refused updots: bin folders are relative to the root, inside it/);
    // Nothing in effect yet: no PATH entry, no exec bits changed.
    expect(cli(['toolbox', 'env'], fresh).stdout).not.toContain(mp);
    expect(statSync(join(src, 'good', 'bin', 'vhello')).mode & 0o777).toBe(0o644);
    expect(cli(['toolbox', 'accept', 'bashenv'], fresh).stderr).toBe(
      'warren toolbox: no toolbox named bashenv is waiting to be accepted\n'
    );
    expect(cli(['toolbox', 'accept', 'good'], fresh).status).toBe(0);
    expect(statSync(join(src, 'good', 'bin', 'vhello')).mode & 0o777).toBe(0o755);
    // The link out of the volume was not followed.
    expect(statSync(join(outside, 'local-tool')).mode & 0o777).toBe(0o644);
    // eval "$(warren toolbox env)" as documented: the value arrives literally.
    const shell = spawnSync(
      'bash',
      ['-c', `eval "$(${process.execPath} ${CLI} toolbox env)"; vhello; echo "[$BASH_ENV]"`],
      { encoding: 'utf8', env: { ...process.env, JUPYTER_CONFIG_DIR: fresh } }
    );
    expect(shell.stdout).toBe(`volume says it's $(x)\n[]\n`);
    const k4 = await launchWarren({ cwd: base, env: { JUPYTER_CONFIG_DIR: fresh } });
    try {
      expect((await run(k4, '!vhello; echo "[$BASH_ENV]"')).out).toBe(
        `volume says it's $(x)\n[]\n`
      );
    } finally {
      await k4.shutdown();
    }
    expect(existsSync(pwned)).toBe(false);
    expect(cli(['unmount', mp], fresh).status).toBe(0);
  });

  test('a symlinked .warren-tools.json is not written through when a toolbox is added', async () => {
    const fresh = join(base, 'symlink-config');
    const src = dir('symlink-vol');
    mkdirSync(join(src, 'tb', 'bin'), { recursive: true });
    const local = join(dir('symlink-local'), 'precious.json');
    writeFileSync(local, 'precious\n');
    execFileSync('ln', ['-s', local, join(src, '.warren-tools.json')]);
    const mp = join(base, 'symlink-mp');
    expect(cli(['mount', src, mp], fresh).status).toBe(0);
    const added = cli(['toolbox', 'add', 'tb', join(mp, 'tb')], fresh);
    expect(added.stdout).toBe('toolbox tb: 0 command(s) in bin\n');
    expect(readFileSync(local, 'utf8')).toBe('precious\n');
    expect(readFileSync(join(fresh, 'warren', 'mounts.log'), 'utf8')).toMatch(
      /\.warren-tools\.json is a symbolic link: not written through/
    );
    expect(cli(['unmount', mp, '--forget'], fresh).status).toBe(0);
  });

  test('toolbox env never prints a name a shell would run, whatever mounts.json holds', () => {
    const fresh = join(base, 'env-config');
    const pwned = join(base, 'pwned-env');
    const root = dir('env-tb');
    mkdirSync(join(fresh, 'warren'), { recursive: true });
    writeFileSync(
      join(fresh, 'warren', 'mounts.json'),
      JSON.stringify({
        version: 1,
        mounts: [],
        toolboxes: [
          {
            name: 'old',
            root,
            bin: ['bin'],
            env: { [`A=1; touch ${pwned}; B`]: 'x', BASH_ENV: '/x', GOOD: "a'b $(touch /x)" }
          }
        ]
      })
    );
    const env = cli(['toolbox', 'env'], fresh);
    expect(
      env.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0])
    ).toEqual(['export PATH', 'export GOOD']);
    const shell = spawnSync(
      'bash',
      ['-c', `eval "$(${process.execPath} ${CLI} toolbox env)"; printf %s "$GOOD"`],
      {
        encoding: 'utf8',
        env: { ...process.env, JUPYTER_CONFIG_DIR: fresh }
      }
    );
    expect(shell.stdout).toBe("a'b $(touch /x)");
    expect(existsSync(pwned)).toBe(false);
    const add = cli(['toolbox', 'add', 'x', root, '--env', 'LD_PRELOAD=/x.so'], fresh);
    expect(add.stderr).toMatch(/a toolbox may not set LD_PRELOAD/);
  });

  test('option-like sshfs sources and rclone remotes are refused; /etc and ../../ are no mountpoints', async () => {
    const pwned = join(base, 'pwned-ssh');
    const mp = join(base, 'hostile-ssh');
    for (const [source, message] of [
      [`-oProxyCommand=touch ${pwned}:/`, /sshfs source: not a host name: "-oProxyCommand=touch/],
      [`-oProxyCommand=touch ${pwned}@127.0.0.1:/`, /sshfs source: not a user name/],
      ['root@127.0.0.1 -oX:/', /sshfs source: not a host name/]
    ] as const) {
      const r = await run(
        k,
        `await warren.mount(${JSON.stringify(mp)}, { sshfs: ${JSON.stringify(source)}, port: ${port} })`
      );
      expect([source, r.ok]).toEqual([source, false]);
      expect(r.err).toMatch(message);
    }
    const rc = await run(
      k,
      `await warren.mount(${JSON.stringify(mp)}, { remote: '--config=/etc/x:' })`
    );
    expect(rc.err).toMatch(/an rclone source is remote: or remote:path/);
    expect(existsSync(pwned)).toBe(false);
    expect(existsSync(mp)).toBe(false);
    // Kept from the probe: a mountpoint holding files, or the root, is refused.
    expect(cli(['mount', 'loc:', '/etc', '--config', rcloneConf]).stderr).toMatch(
      /^warren mount: \/etc is not empty \(\d+ entries\): mounting would hide them/
    );
    const up = spawnSync(
      process.execPath,
      [CLI, 'mount', 'loc:', '../../', '--config', rcloneConf],
      {
        encoding: 'utf8',
        cwd: dir('deep/er'),
        env: { ...process.env, JUPYTER_CONFIG_DIR: config }
      }
    );
    expect(up.stderr).toMatch(new RegExp(`^warren mount: ${base} is not empty`));
    expect(cli(['mount', 'loc:', '/', '--config', rcloneConf]).stderr).toBe(
      'warren mount: cannot mount over /\n'
    );
  });

  test('a password in an ssh-style source is refused, never quoted in the error or the log', async () => {
    const mp = join(base, 'sshpass');
    for (const flag of ['--sshfs ', '']) {
      const r = await run(
        k,
        `%mount ${flag}root:hunter2@127.0.0.1:${base} ${mp} -p ${port} -i ${join(sshDir, 'id_ed25519')}`
      );
      expect([flag, r.ok]).toEqual([flag, false]);
      expect(r.err).toMatch(/sshfs logs in with a key .*never a password in the source/);
      expect(r.err + r.out).not.toContain('hunter2');
    }
    expect(existsSync(mp)).toBe(false);
    expect(readFileSync(join(config, 'warren', 'mounts.log'), 'utf8')).not.toContain('hunter2');
    expect(existsSync(join(config, 'warren', 'mounts.json')) ? mountsJson() : '').not.toContain(
      'hunter2'
    );
  });

  test('a password in a webdav connection string never reaches mounts.json, the output or the log', () => {
    const mp = join(base, 'dav');
    for (const source of [
      ':webdav,url="http://127.0.0.1:1",user=bob,pass=hunter2:',
      ':webdav,url="http://bob:hunter2@127.0.0.1:1":',
      ":webdav,url='http://127.0.0.1:1',user=bob,PASS='hunter2':"
    ]) {
      const r = cli(['mount', source, mp]);
      expect([source, r.status]).toEqual([source, 1]);
      expect(r.stderr).toMatch(/would store a secret in clear text/);
      expect(r.stderr + r.stdout).not.toContain('hunter2');
    }
    expect(existsSync(mp)).toBe(false);
    const logFile = join(config, 'warren', 'mounts.log');
    expect(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '').not.toContain('hunter2');
    expect(existsSync(join(config, 'warren', 'mounts.json')) ? mountsJson() : '').not.toContain(
      'hunter2'
    );
  });
});

describe('warren mount --auto, --restore and --nfs', () => {
  test('definitions saved with --auto come back with mount --restore; one that fails is reported and the rest still mount', () => {
    const fresh = join(base, 'restore-config');
    const src = dir('restore-src');
    writeFileSync(join(src, 'kept.txt'), 'kept\n');
    const gone = dir('restore-gone');
    const mp = join(base, 'restore-mp');
    const mp2 = join(base, 'restore-mp2');
    expect(cli(['mount', src, mp, '--auto'], fresh).status).toBe(0);
    expect(cli(['mount', gone, mp2, '--auto'], fresh).status).toBe(0);
    expect(cli(['unmount', mp], fresh).status).toBe(0);
    expect(cli(['unmount', mp2], fresh).status).toBe(0);
    expect(isMounted(mp)).toBe(false);
    expect(savedMountpoints(fresh)).toEqual([mp, mp2]);
    // The second volume's source goes away while nothing is mounted.
    spawnSync('rm', ['-rf', gone]);
    const r = cli(['mount', '--restore'], fresh);
    expect(r.stdout).toBe(`${mp}: mounted\n`);
    expect(r.stderr).toBe(`${mp2}: source folder ${gone} does not exist\n`);
    expect(r.status).toBe(1);
    expect(isMounted(mp)).toBe(true);
    expect(readFileSync(join(mp, 'kept.txt'), 'utf8')).toBe('kept\n');
    // Restoring again leaves a live mount alone.
    expect(cli(['mount', '--restore'], fresh).stdout).toBe('');
    expect(cli(['unmount', mp, '--forget'], fresh).status).toBe(0);
    expect(cli(['unmount', mp2, '--forget'], fresh).status).toBe(0);
    expect(savedMountpoints(fresh)).toEqual([]);
  });

  // No test mounts a real NFS export. Debian's nfs-kernel-server and nfs-common can be
  // installed here (bookworm, 1:2.6.2-4+deb12u1), but this machine's kernel (a container's:
  // no /lib/modules, nothing to load) lists neither nfsd nor nfs in /proc/filesystems, so
  // no kernel NFS server can export a folder and no client could mount one
  // (`mount -t nfsd` answers "unknown filesystem type"). What runs is the refusal of an
  // option as a server name and the error path, with or without nfs-common.
  test('--nfs: a server name that is an option is refused; without nfs-common the error names the package', async () => {
    const mp = join(base, 'nfs-mp');
    const r = await run(k, `await warren.mount(${JSON.stringify(mp)}, { nfs: '-oX=1:/export' })`);
    expect(r.err).toMatch(/not a NFS server name: "-oX=1"/);
    const nfs = cli(['mount', '--nfs', '127.0.0.1:/export', mp]);
    expect(nfs.status).toBe(1);
    if (!existsSync('/sbin/mount.nfs') && !existsSync('/usr/sbin/mount.nfs'))
      expect(nfs.stderr).toBe(
        'warren mount: NFS is not available here: mount.nfs is missing (Debian package nfs-common)\n'
      );
    else
      expect(nfs.stderr).toMatch(
        /^warren mount: NFS (mount failed|server of 127\.0\.0\.1:\/export did not answer)/
      );
    expect(existsSync(mp)).toBe(false);
  });
});

test('in a cell: %mount shows what a volume brings, warren.acceptToolbox puts it on PATH at once, warren.removeToolbox takes it off', async () => {
  const src = toolVolume('cell-vol', 'ct', 'cthello', '#!/bin/sh\necho "cell tool $CTVAR"\n', {
    CTVAR: 'on'
  });
  const mp = join(base, 'cell-mp');
  const m = await run(k, `%mount ${src} ${mp} --no-save`);
  expect(m.out).toBe(
    [
      `mounted ${src} on ${mp} (bind)`,
      'waiting to be accepted (a volume brought them; not in effect):',
      `  ct  from ${mp}`,
      `    PATH first: ${mp}/ct/bin`,
      '    CTVAR="on"',
      '  accept: warren toolbox accept NAME   decline: warren toolbox remove NAME',
      ''
    ].join('\n')
  );
  expect((await run(k, 'warren.pendingToolboxes().map((t) => t.name)')).value).toBe("[ 'ct' ]");
  expect((await run(k, '!command -v cthello || echo none')).out).toBe('none\n');
  const a = await run(k, "(await warren.acceptToolbox('ct')).commands");
  expect(a.err).toBe('');
  expect(a.value).toBe('1');
  expect((await run(k, '!cthello')).out).toBe('cell tool on\n');
  const before = (await run(k, '!echo "$PATH"')).out;
  expect(before.split(':')).toContain(`${mp}/ct/bin`);
  await run(k, "await warren.removeToolbox('ct')");
  // Off this kernel's PATH and its variable gone, at once; the rest of PATH as it was.
  expect((await run(k, '!command -v cthello || echo none')).out).toBe('none\n');
  expect((await run(k, '!echo "${CTVAR-unset}"')).out).toBe('unset\n');
  expect((await run(k, '!echo "$PATH"')).out).toBe(
    before
      .split(':')
      .filter((d) => d !== `${mp}/ct/bin`)
      .join(':')
  );
  expect((await run(k, 'process.env.CTVAR ?? "unset"')).value).toBe("'unset'");
  await run(k, `await warren.unmount(${JSON.stringify(mp)})`);
});

test('a toolbox accepted or removed outside the notebook (the Mounts panel, the warren command) is on or off its PATH from its next cell', async () => {
  const src = toolVolume('other-vol', 'ot', 'othello', '#!/bin/sh\necho "other tool $OTVAR"\n', {
    OTVAR: 'set'
  });
  const mp = join(base, 'other-mp');
  await run(k, `%mount ${src} ${mp} --no-save`);
  const before = (await run(k, '!echo "$PATH"')).out;
  expect((await run(k, '!command -v othello || echo none')).out).toBe('none\n');
  // Written by another process, as the Mounts panel's services kernel writes it.
  const accepted = cli(['toolbox', 'accept', 'ot']);
  expect(accepted.stderr).toBe('');
  expect(accepted.status).toBe(0);
  expect((await run(k, '!othello')).out).toBe('other tool set\n');
  expect((await run(k, 'process.env.OTVAR')).value).toBe("'set'");
  const removed = cli(['toolbox', 'remove', 'ot']);
  expect(removed.status).toBe(0);
  expect((await run(k, '!command -v othello || echo none')).out).toBe('none\n');
  expect((await run(k, '!echo "${OTVAR-unset}"')).out).toBe('unset\n');
  expect((await run(k, '!echo "$PATH"')).out).toBe(before);
  expect((await run(k, 'process.env.OTVAR ?? "unset"')).value).toBe("'unset'");
  await run(k, `await warren.unmount(${JSON.stringify(mp)})`);
});

test('a definition saved with auto is mounted when a kernel starts', async () => {
  const fresh = join(base, 'autostart-config');
  const src = dir('autostart-src');
  writeFileSync(join(src, 'hello.txt'), 'from the volume\n');
  const mp = join(base, 'autostart-mp');
  mkdirSync(join(fresh, 'warren'), { recursive: true });
  writeFileSync(
    join(fresh, 'warren', 'mounts.json'),
    JSON.stringify({
      version: 1,
      mounts: [{ kind: 'bind', source: src, mountpoint: mp, auto: true }],
      toolboxes: []
    })
  );
  expect(isMounted(mp)).toBe(false);
  const k5 = await launchWarren({ cwd: base, env: { JUPYTER_CONFIG_DIR: fresh } });
  try {
    await waitFor(() => isMounted(mp), 10000);
    expect((await run(k5, `!cat ${mp}/hello.txt`)).out).toBe('from the volume\n');
  } finally {
    await k5.shutdown();
  }
  // The mount outlives the kernel, as a Colab drive does; unmount it here.
  expect(cli(['unmount', mp, '--forget'], fresh).status).toBe(0);
});
