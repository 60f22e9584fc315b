/**
 * Hostile and careless input to the cluster side: profiles, map input,
 * parameters and Slurm fields, against the real one-node Slurm on 127.0.0.1
 * (scripts/slurm-up.sh) and a real sshd (scripts/start-sshd.sh). Nothing in
 * here may run a command it was not asked to run.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import type { RunProfile } from '../../src/contract/runs';
import { RunManager } from '../../kernel/services/cluster/manager';
import { RunStore } from '../../kernel/services/cluster/store';
import { ROOT, tempDir, warren, writeNotebook } from './fixtures';

jest.setTimeout(180000);

let slurmDir: string;
let sshDir: string;
let conf: string;
let work: string;
let remote: string;
let data: string;
let settings: string;
let pwned: string;
let env: NodeJS.ProcessEnv;
const profiles: Record<string, RunProfile> = {};

const sh = (script: string, args: string[]) =>
  execFileSync('bash', [join(ROOT, 'scripts', script), ...args], { encoding: 'utf8' }).trim();

beforeAll(() => {
  slurmDir = tempDir('warren-slurm-');
  conf = sh('slurm-up.sh', [slurmDir]);
  sshDir = tempDir('warren-sshd-');
  const port = Number(sh('start-sshd.sh', [sshDir]));
  work = tempDir('warren-hostile-');
  remote = tempDir('warren-remote-');
  data = tempDir('warren-data-');
  settings = tempDir('warren-settings-');
  pwned = join(work, 'pwned');
  // A program whose name starts with '-', for a command line that must run as a command.
  mkdirSync(join(work, 'bin'));
  writeFileSync(join(work, 'bin', '-hello'), '#!/bin/sh\necho "hello from a dash: $*"\n');
  chmodSync(join(work, 'bin', '-hello'), 0o755);
  const jobEnv = { SLURM_CONF: conf, PATH: `${join(work, 'bin')}:${process.env.PATH ?? ''}` };
  const ssh = {
    host: '127.0.0.1',
    port,
    user: 'root',
    keyPath: join(sshDir, 'id_ed25519'),
    knownHostsPath: join(sshDir, 'known_hosts')
  };
  const list: RunProfile[] = [
    // A workdir a careless or hostile settings file could hold: a space and a command substitution.
    {
      name: 'odd',
      kind: 'slurm',
      ...ssh,
      workdir: join(remote, `my runs $(touch ${pwned})`),
      env: jobEnv
    },
    { name: 'local', kind: 'slurm', workdir: remote, env: jobEnv },
    {
      name: 'evil-host',
      kind: 'slurm',
      ...ssh,
      host: `-oProxyCommand=touch ${pwned}`,
      workdir: remote
    },
    {
      name: 'evil-user',
      kind: 'ssh',
      ...ssh,
      user: `-oProxyCommand=touch ${pwned}`,
      workdir: remote
    },
    { name: 'at-host', kind: 'ssh', ...ssh, host: 'a@127.0.0.1', workdir: remote },
    { name: 'dash-workdir', kind: 'ssh', workdir: '-rf' },
    { name: 'tilde-workdir', kind: 'ssh', ...ssh, workdir: '~/runs' }
  ] as RunProfile[];
  mkdirSync(join(settings, 'warren'));
  writeFileSync(
    join(settings, 'warren', 'runs.jupyterlab-settings'),
    JSON.stringify({ profiles: list }, null, 2)
  );
  for (const p of list) profiles[p.name] = p;
  env = { JUPYTERLAB_SETTINGS_DIR: settings, JUPYTER_DATA_DIR: data, SLURM_CONF: conf };
});

afterAll(() => {
  try {
    execFileSync('scancel', ['--user=root'], { env: { ...process.env, SLURM_CONF: conf } });
  } catch {
    // nothing queued
  }
  sh('slurm-down.sh', [slurmDir]);
  sh('stop-sshd.sh', [sshDir, '--drop']);
});

const runs = () =>
  existsSync(join(data, 'warren', 'runs')) ? readdirSync(join(data, 'warren', 'runs')) : [];

test('map over ssh with a workdir holding a space and $(...): every command runs, a retry too, nothing is injected', async () => {
  const flag = join(work, 'flag');
  const commands = [
    'echo zero',
    '-hello world',
    `test -e ${flag} || exit 3`,
    'echo three',
    'echo four'
  ];
  writeFileSync(join(work, 'commands.txt'), commands.join('\n') + '\n');
  const r = await warren(
    ['map', join(work, 'commands.txt'), '--chunk', '2', '--profile', 'odd', '--interval', '300'],
    env
  );
  expect(r.stdout).toContain('completed 5/5 done, 1 failed');
  expect(r.stdout).toContain('failed: 2 ');
  expect(r.code).toBe(1);
  const id = /^(map-\w+):/.exec(r.stdout)?.[1] as string;
  const dir = join(profiles.odd.workdir, id);
  // A line starting with '-' ran as a command, not as options of sh.
  expect(readFileSync(join(dir, 'logs', '1.log'), 'utf8')).toBe('hello from a dash: world\n');
  writeFileSync(flag, '');
  const again = await warren(['map', id, '--retry', '--interval', '300'], env);
  expect(again.stdout).toContain('completed 5/5 done, 0 failed');
  expect(again.code).toBe(0);
  expect(existsSync(pwned)).toBe(false);
});

test('map input: a chunk or parallel that is not a whole number from 1 is a usage error, nothing submitted', async () => {
  writeFileSync(join(work, 'two.txt'), 'echo a\necho b\n');
  const before = runs();
  for (const [flag, value] of [
    ['--chunk', 'abc'],
    ['--chunk', '0'],
    ['--chunk', '2.5'],
    ['--parallel', '-1'],
    ['--parallel', 'x']
  ]) {
    const r = await warren(['map', join(work, 'two.txt'), '--profile', 'local', flag, value], env);
    expect([flag, value, r.code, r.stderr]).toEqual([
      flag,
      value,
      1,
      `warren: ${flag} takes a whole number from 1 up, not "${value}"\n`
    ]);
  }
  expect(runs()).toEqual(before);
});

test('a host or user that would be an ssh option, or is no host name, is refused before ssh runs', async () => {
  const nb = writeNotebook(join(work, 'nb.ipynb'), [{ source: '1' }]);
  const expected: Record<string, RegExp> = {
    'evil-host': /not a host name: "-oProxyCommand=touch .*it may not start with '-'/,
    'evil-user': /not a user name: "-oProxyCommand=touch .*it may not start with '-'/,
    'at-host': /not a host name: "a@127.0.0.1"/,
    'dash-workdir': /workdir "-rf" is not usable/,
    // Quoted, a leading ~ would make a folder named '~' in the home folder.
    'tilde-workdir':
      /workdir "~\/runs": '~' is not expanded; write the path from \/ \(on an ssh host a relative workdir starts at the home folder\)/
  };
  for (const [name, message] of Object.entries(expected)) {
    const r = await warren(['submit', nb, '--profile', name], env);
    expect([name, r.code]).toEqual([name, 1]);
    expect(r.stderr).toMatch(message);
  }
  const m = await warren(['map', join(work, 'two.txt'), '--profile', 'evil-host'], env);
  expect(m.stderr).toMatch(/not a host name/);
  expect(existsSync(pwned)).toBe(false);
});

test('Slurm fields holding ; $() and newlines reach sbatch as one argument each and run nothing', async () => {
  const nb = writeNotebook(join(work, 'fields.ipynb'), [{ source: '1' }]);
  const manager = new RunManager(new RunStore(join(data, 'warren', 'runs')));
  const hostile = [
    { partition: `debug;touch ${pwned}` },
    { partition: `$(touch ${pwned})` },
    { mem: `1G\n#SBATCH --wrap=touch ${pwned}` },
    { time: `\`touch ${pwned}\`` }
  ];
  const before = new Set(manager.store.list().map((r) => r.id));
  for (const resources of hostile)
    await expect(
      manager.submit({ notebook: nb, profile: profiles.odd, resources })
    ).rejects.toThrow(/sbatch refused the job/);
  // A refusal is final, not a lost connection that a poller would submit again.
  const refused = manager.store.list().filter((r) => !before.has(r.id));
  expect(refused.map((r) => r.state)).toEqual(['failed', 'failed', 'failed', 'failed']);
  expect(existsSync(pwned)).toBe(false);
});

test('hostile -p parameters reach the runner as literal text, over a real shell', async () => {
  // The runner is a stand-in that records its arguments: the job script's quoting is what is tested.
  const record = join(work, 'argv.json');
  const runner = join(work, 'fake-warren');
  writeFileSync(
    runner,
    `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`
  );
  chmodSync(runner, 0o755);
  const nb = writeNotebook(join(work, 'params.ipynb'), [{ source: '1' }]);
  const manager = new RunManager(new RunStore(join(data, 'warren', 'runs')));
  const parameters = {
    a: `$(touch ${pwned})`,
    b: `x'; touch ${pwned}; echo '`,
    c: 'line one\nline two',
    'd;touch x': '`touch pwned`',
    e: '"$HOME" \\ *'
  };
  const r = await manager.submit({
    notebook: nb,
    profile: { name: 'box', kind: 'ssh', workdir: remote, warren: runner } as RunProfile,
    parameters
  });
  const done = await manager.wait(r.id, { intervalMs: 200, fetch: false });
  expect(done.state).toBe('completed');
  const argv = JSON.parse(readFileSync(record, 'utf8')) as string[];
  expect(argv).toEqual([
    'run',
    'notebook.ipynb',
    '-o',
    'out.ipynb',
    ...Object.entries(parameters).flatMap(([k, v]) => ['-p', `${k}=${v}`])
  ]);
  expect(existsSync(pwned)).toBe(false);
});
