/**
 * The plain SSH host backend against a real sshd on 127.0.0.1: a detached run
 * whose state and logs live in its run folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunProfile } from '../../src/contract/runs';
import { backendFor, RunManager, siteFor } from '../../kernel/services/cluster/manager';
import type { Site } from '../../kernel/services/cluster/site';
import { SiteError } from '../../kernel/services/cluster/site';
import { SshHostBackend } from '../../kernel/services/cluster/sshhost';
import type { Backend, RunRecord } from '../../kernel/services/cluster/types';
import { RunStore } from '../../kernel/services/cluster/store';
import type { NotebookLike } from './fixtures';
import { cellText, CLI, dataDirWithWarren, ROOT, tempDir, until, writeNotebook } from './fixtures';

jest.setTimeout(120000);

let sshDir: string;
let work: string;
let remote: string;
let manager: RunManager;
let box: RunProfile;

const sh = (script: string, args: string[]) =>
  execFileSync('bash', [join(ROOT, 'scripts', script), ...args], { encoding: 'utf8' }).trim();
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as NotebookLike;

beforeAll(() => {
  sshDir = tempDir('warren-sshd-');
  const port = Number(sh('start-sshd.sh', [sshDir]));
  work = tempDir('warren-work-');
  remote = tempDir('warren-remote-');
  const data = dataDirWithWarren();
  box = {
    name: 'box',
    kind: 'ssh',
    host: '127.0.0.1',
    port,
    user: 'root',
    keyPath: join(sshDir, 'id_ed25519'),
    knownHostsPath: join(sshDir, 'known_hosts'),
    workdir: remote,
    warren: `${process.execPath} ${CLI}`,
    env: { JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' }
  };
  manager = new RunManager(new RunStore(join(data, 'warren', 'runs')));
});

afterAll(() => sh('stop-sshd.sh', [sshDir, '--drop']));

test('a notebook runs detached on the host and comes back with its declared output', async () => {
  writeFileSync(join(work, 'in.txt'), 'hello');
  const nb = writeNotebook(join(work, 'host.ipynb'), [
    { source: "const who = 'nobody';", tags: ['parameters'] },
    { source: "!cat in.txt; echo ' from' $$ > /dev/null; tr a-z A-Z < in.txt > out.txt" },
    { source: 'console.log(`hi ${who}`)' }
  ]);
  const record = await manager.submit({
    notebook: nb,
    profile: box,
    parameters: { who: 'ssh' },
    inputs: ['in.txt'],
    outputs: ['out.txt']
  });
  expect(record.jobId).toMatch(/^\d+$/);
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('completed');
  const result = read(done.result as string);
  expect(cellText(result, 2)).toBe('hello');
  expect(cellText(result, 3)).toBe('hi ssh\n');
  expect(readFileSync(join(work, `host.run-${record.id}`, 'out.txt'), 'utf8')).toBe('HELLO');
  // State and logs are files in the run folder.
  expect(readFileSync(join(remote, record.id, 'state'), 'utf8').trim()).toBe('completed');
  expect(readFileSync(join(remote, record.id, 'exitcode'), 'utf8').trim()).toBe('0');
  expect(readFileSync(join(remote, record.id, 'log'), 'utf8')).toContain('warren run: ok');
});

test("inputs keep their paths under the notebook's folder, so two of one name both arrive; clashes are refused first", async () => {
  for (const sub of ['sub-01', 'sub 02']) {
    mkdirSync(join(work, 'data', sub), { recursive: true });
    writeFileSync(join(work, 'data', sub, 'dwi.txt'), sub);
  }
  const nb = writeNotebook(join(work, 'paths.ipynb'), [
    { source: "!cat data/sub-01/dwi.txt; echo; cat 'data/sub 02/dwi.txt'" }
  ]);
  const record = await manager.submit({
    notebook: nb,
    profile: box,
    inputs: ['data/sub-01/dwi.txt', 'data/sub 02/dwi.txt']
  });
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('completed');
  expect(cellText(read(done.result as string), 0)).toBe('sub-01\nsub 02');
  const before = manager.store.list().length;
  writeFileSync(join(work, 'log'), 'mine');
  await expect(manager.submit({ notebook: nb, profile: box, inputs: ['log'] })).rejects.toThrow(
    /input .*log would take the place of warren's own log in the run folder/
  );
  await expect(
    manager.submit({ notebook: nb, profile: box, inputs: ['paths.ipynb'] })
  ).rejects.toThrow(
    /input .*paths\.ipynb would take the place of the notebook paths\.ipynb in the run folder/
  );
  await expect(
    manager.submit({ notebook: nb, profile: box, inputs: ['data', 'data/sub-01/dwi.txt'] })
  ).rejects.toThrow(/overlap in the run folder \(data, data\/sub-01\/dwi.txt\)/);
  expect(manager.store.list().length).toBe(before);
});

test('a failing cell ends FAILED; cancel ends CANCELLED with outputs so far; the time limit ends TIMEOUT', async () => {
  const failing = writeNotebook(join(work, 'hfail.ipynb'), [
    { source: "console.log('a')" },
    { source: "throw new Error('host boom')" }
  ]);
  const long = (name: string) =>
    writeNotebook(join(work, name), [
      {
        source:
          "for (let i = 0; i < 3000; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 100)); }"
      }
    ]);
  const f = await manager.submit({ notebook: failing, profile: box });
  const c = await manager.submit({ notebook: long('hcancel.ipynb'), profile: box });
  const t = await manager.submit({
    notebook: long('htime.ipynb'),
    profile: box,
    // The limit counts the kernel's start too, which takes seconds on a loaded
    // machine: 8 s leaves a second or more of ticks whatever the load.
    resources: { time: '0:08' }
  });
  const live = join(remote, c.id, 'out.ipynb');
  await until(
    () => existsSync(live) && cellText(read(live), 0).includes('tick 2'),
    30000,
    'running'
  );
  await manager.cancel(c.id);
  const [fd, cd, td] = await Promise.all(
    [f, c, t].map((r) => manager.wait(r.id, { intervalMs: 300 }))
  );
  expect(fd.state).toBe('failed');
  expect(cellText(read(fd.result as string), 1)).toContain('Error: host boom');
  expect(cd.state).toBe('cancelled');
  expect(cellText(read(cd.result as string), 0)).toMatch(/tick 2\n/);
  expect(read(cd.result as string).metadata.warren?.status).toBe('cancelled');
  expect(td.state).toBe('timeout');
  expect(cellText(read(td.result as string), 0)).toMatch(/tick 1\d\n/);
});

test('an unreachable host fails before anything is copied', async () => {
  const nb = writeNotebook(join(work, 'none.ipynb'), [{ source: '1' }]);
  const before = manager.store.list().length;
  await expect(manager.submit({ notebook: nb, profile: { ...box, port: 1 } })).rejects.toThrow(
    /profile box: ssh root@127.0.0.1:1/
  );
  expect(manager.store.list().length).toBe(before);
});

test('a copy the far side refuses, or a local file scp cannot read, fails the run at once; only a lost connection is tried again', async () => {
  const site = siteFor(box);
  writeFileSync(join(work, 'copied.txt'), 'x');
  // The far side refuses (scp exits 1): an error, not a lost connection.
  const refused = await site
    .put([join(work, 'copied.txt')], join(remote, 'no', 'such', 'folder'))
    .then(
      () => null,
      (e: unknown) => e
    );
  expect(refused).toBeInstanceOf(Error);
  expect(refused).not.toBeInstanceOf(SiteError);
  expect(String(refused)).toMatch(
    /scp to root@127\.0\.0\.1:\d+: .*dest open .*no\/such\/folder.*No such file or directory/
  );
  // A lost connection (scp exits 255): worth another try.
  const lost = await siteFor({ ...box, port: 1 })
    .put([join(work, 'copied.txt')], remote)
    .then(
      () => null,
      (e: unknown) => e
    );
  expect(lost).toBeInstanceOf(SiteError);

  // An input gone between the submit's check and the copy: the run fails,
  // saying why, rather than copy and fail again every poll.
  writeFileSync(join(work, 'vanishing.txt'), 'here');
  const nb = writeNotebook(join(work, 'vanish.ipynb'), [{ source: '1' }]);
  const vanishing = new RunManager(manager.store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async (r: RunRecord) => {
        rmSync(join(work, 'vanishing.txt'));
        return real.submit(r);
      }
    });
  });
  await expect(
    vanishing.submit({ notebook: nb, profile: box, inputs: ['vanishing.txt'] })
  ).rejects.toThrow(/vanishing\.txt.*No such file or directory/);
  const record = manager.store.list().find((r) => r.source === nb) as RunRecord;
  expect(record).toMatchObject({ state: 'failed', jobId: null });
  expect(record.message).toMatch(/^submit: scp to .*vanishing\.txt/);
  expect((await manager.poll(record.id)).state).toBe('failed');
});

test('a run whose folder is gone from the host ends failed, saying so, rather than starting for ever', async () => {
  const nb = writeNotebook(join(work, 'purged.ipynb'), [{ source: '1' }]);
  const done = await manager.wait((await manager.submit({ notebook: nb, profile: box })).id, {
    intervalMs: 300,
    fetch: false
  });
  expect(done.state).toBe('completed');
  // A scratch clean-up while nobody polled: the record still says running.
  rmSync(done.remoteDir, { recursive: true });
  manager.store.save({ ...done, state: 'running', ended: undefined });
  const seen = await manager.poll(done.id);
  expect(seen.state).toBe('failed');
  expect(seen.message).toMatch(/the run folder .* is gone from root@127\.0\.0\.1:\d+ \(.*can't cd/);
});

test('an output folder fetched again is updated in place, not copied inside itself', async () => {
  const nb = writeNotebook(join(work, 'folder-out.ipynb'), [
    { source: '!mkdir -p outdir && echo one > outdir/a.txt' }
  ]);
  const done = await manager.wait(
    (await manager.submit({ notebook: nb, profile: box, outputs: ['outdir'] })).id,
    { intervalMs: 300 }
  );
  expect(done.state).toBe('completed');
  const fetched = join(work, `folder-out.run-${done.id}`, 'outdir');
  expect(readFileSync(join(fetched, 'a.txt'), 'utf8')).toBe('one\n');
  writeFileSync(join(done.remoteDir, 'outdir', 'a.txt'), 'two\n');
  await manager.fetch(done.id);
  expect(readFileSync(join(fetched, 'a.txt'), 'utf8')).toBe('two\n');
  expect(existsSync(join(fetched, 'outdir'))).toBe(false);
  // A connection lost while fetching an output is not a missing output: the
  // fetch fails, to be tried again, and says nothing is missing.
  const lossy = new RunManager(manager.store, (p) => {
    const real = siteFor(p);
    return new SshHostBackend({
      description: real.description,
      exec: (argv, options) => real.exec(argv, options),
      put: (local, dir) => real.put(local, dir),
      get: async (remote, local) => {
        if (remote.endsWith('outdir')) throw new SiteError('ssh: connection reset');
        return real.get(remote, local);
      }
    } satisfies Site);
  });
  await expect(lossy.fetch(done.id)).rejects.toThrow(/connection reset/);
  expect(manager.store.load(done.id).message).not.toMatch(/missing/);
});

describe('the connection to a host', () => {
  const connection = async (site: Site) => {
    const r = await site.exec(['sh', '-c', 'echo $SSH_CONNECTION']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/mux_client|ControlSocket/);
    return r.stdout.trim();
  };

  test("is shared by the host's commands: the next one logs in over the first one's", async () => {
    const first = await connection(siteFor(box));
    expect(first).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/);
    // Another site for the same profile (each poll makes one), after a copy.
    writeFileSync(join(work, 'shared.txt'), 'x');
    await siteFor(box).put([join(work, 'shared.txt')], remote);
    expect(await connection(siteFor(box))).toBe(first);
    // Another key or known_hosts file logs in on its own.
    const known = join(tempDir('warren-known-'), 'known_hosts');
    expect(await connection(siteFor({ ...box, knownHostsPath: known }))).not.toBe(first);
  });

  test("is each command's own where WARREN_SSH_SHARE=0", async () => {
    process.env.WARREN_SSH_SHARE = '0';
    try {
      const profile = { ...box, knownHostsPath: join(tempDir('warren-known-'), 'known_hosts') };
      expect(await connection(siteFor(profile))).not.toBe(await connection(siteFor(profile)));
    } finally {
      delete process.env.WARREN_SSH_SHARE;
    }
  });

  test('a host that takes one session per connection still runs commands side by side, their errors their own', async () => {
    const dir = tempDir('warren-sshd-one-');
    const port = Number(
      execFileSync('bash', [join(ROOT, 'scripts', 'start-sshd.sh'), dir], {
        encoding: 'utf8',
        env: { ...process.env, SSHD_EXTRA: 'MaxSessions 1' }
      }).trim()
    );
    try {
      const site = siteFor({
        ...box,
        port,
        keyPath: join(dir, 'id_ed25519'),
        knownHostsPath: join(dir, 'known_hosts')
      });
      await connection(site);
      const [slow, failing] = await Promise.all([
        site.exec(['sh', '-c', 'sleep 1; echo done']),
        site.exec(['sh', '-c', 'echo refused >&2; exit 3'])
      ]);
      expect(slow).toMatchObject({ code: 0, stdout: 'done\n', stderr: '' });
      expect(failing).toMatchObject({ code: 3, stdout: '', stderr: 'refused\n' });
    } finally {
      sh('stop-sshd.sh', [dir, '--drop']);
    }
  });

  test("a known_hosts file in a folder with a space (Colab's My Drive) is the one ssh reads and writes", async () => {
    const folder = join(tempDir('warren-known-'), 'My Drive');
    mkdirSync(folder);
    const known = join(folder, 'known hosts');
    const site = siteFor({ ...box, knownHostsPath: known });
    expect((await site.exec(['true'])).code).toBe(0);
    expect(readFileSync(known, 'utf8')).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /);
    expect(existsSync(join(folder, '..', 'My'))).toBe(false);
  });
});
