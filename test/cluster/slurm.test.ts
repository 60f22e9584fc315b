/**
 * Notebooks and command maps on a real one-node Slurm on 127.0.0.1
 * (scripts/slurm-up.sh), driven through the local CLI and over a real sshd
 * (scripts/start-sshd.sh).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunProfile } from '../../src/contract/runs';
import { backendFor, RunManager, siteFor } from '../../kernel/services/cluster/manager';
import type { Site } from '../../kernel/services/cluster/site';
import { SiteError } from '../../kernel/services/cluster/site';
import type { Backend, RunRecord } from '../../kernel/services/cluster/types';
import { MapRunner } from '../../kernel/services/cluster/map';
import { findProfile, readProfiles } from '../../kernel/services/cluster/profiles';
import { RunStore } from '../../kernel/services/cluster/store';
import { launchWarren, text } from '../harness';
import type { KernelClient } from '../../kernel/client/client';
import type { NotebookLike } from './fixtures';
import {
  cellText,
  CLI,
  dataDirWithWarren,
  ROOT,
  tempDir,
  until,
  warren,
  writeNotebook
} from './fixtures';

jest.setTimeout(240000);

let slurmDir: string;
let sshDir: string;
let sshPort: number;
let conf: string;
let work: string;
let remote: string;
let data: string;
let settings: string;
let store: RunStore;
let manager: RunManager;
const profiles: Record<string, RunProfile> = {};

const sh = (script: string, args: string[]) =>
  execFileSync('bash', [join(ROOT, 'scripts', script), ...args], { encoding: 'utf8' }).trim();
const slurm = (args: string[]) =>
  execFileSync(args[0], args.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, SLURM_CONF: conf }
  });
/** Job ids Slurm recorded under a name (sacct -c ignores --name: filter here). */
const jobsNamed = (name: string) =>
  slurm(['sacct', '-c', '-n', '-P', '-o', 'JobID,JobName'])
    .trim()
    .split('\n')
    .map((l) => l.split('|'))
    .filter(([, n]) => n === name)
    .map(([id]) => id);
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as NotebookLike;

beforeAll(() => {
  slurmDir = tempDir('warren-slurm-');
  conf = sh('slurm-up.sh', [slurmDir]);
  sshDir = tempDir('warren-sshd-');
  sshPort = Number(sh('start-sshd.sh', [sshDir]));
  work = tempDir('warren-work-');
  remote = tempDir('warren-remote-');
  data = dataDirWithWarren();
  settings = tempDir('warren-settings-');
  const env = {
    SLURM_CONF: conf,
    JUPYTER_DATA_DIR: data,
    WARREN_NO_HISTORY: '1',
    PATH: process.env.PATH ?? ''
  };
  const warrenCmd = `${process.execPath} ${CLI}`;
  const ssh = {
    host: '127.0.0.1',
    port: sshPort,
    user: 'root',
    keyPath: join(sshDir, 'id_ed25519'),
    knownHostsPath: join(sshDir, 'known_hosts')
  };
  const list: RunProfile[] = [
    { name: 'local', kind: 'slurm', workdir: remote, warren: warrenCmd, env },
    { name: 'login', kind: 'slurm', ...ssh, workdir: remote, warren: warrenCmd, env },
    { name: 'box', kind: 'ssh', ...ssh, workdir: remote, warren: warrenCmd, env },
    {
      name: 'nowhere',
      kind: 'slurm',
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      keyPath: ssh.keyPath,
      workdir: remote,
      warren: warrenCmd,
      env
    }
  ];
  // The CLI reads profiles where JupyterLab keeps the settings; comments allowed.
  execFileSync('mkdir', ['-p', join(settings, 'warren')]);
  writeFileSync(
    join(settings, 'warren', 'runs.jupyterlab-settings'),
    `{\n  // written by the test\n  "profiles": ${JSON.stringify(list, null, 2)}\n}\n`
  );
  process.env.JUPYTERLAB_SETTINGS_DIR = settings;
  for (const p of readProfiles()) profiles[p.name] = p;
  store = new RunStore(join(data, 'warren', 'runs'));
  manager = new RunManager(store);
});

afterAll(() => {
  try {
    slurm(['scancel', '--user=root']);
  } catch {
    // nothing queued
  }
  sh('slurm-down.sh', [slurmDir]);
  sh('stop-sshd.sh', [sshDir, '--drop']);
});

function notebook(name: string, cells: { source: string; tags?: string[] }[]): string {
  return writeNotebook(join(work, name), cells);
}

test('profiles are read from the Jupyter settings dir; an unknown one is a clear error', () => {
  expect(Object.keys(profiles).sort()).toEqual(['box', 'local', 'login', 'nowhere']);
  expect(() => findProfile('gpu-cluster')).toThrow(
    /unknown cluster profile "gpu-cluster" \(known: local, login, box, nowhere/
  );
});

test('a warren notebook sent to Slurm over SSH comes back executed, with parameters, inputs and outputs', async () => {
  writeFileSync(join(work, 'numbers.txt'), '3\n4\n');
  const nb = notebook('train.ipynb', [
    { source: 'const epochs = 1;', tags: ['parameters'] },
    {
      source:
        "import { readFileSync, writeFileSync } from 'node:fs';\nconst xs = readFileSync('numbers.txt', 'utf8').trim().split('\\n').map(Number);\nconsole.log('sum', xs.reduce((a, b) => a + b, 0) * epochs);"
    },
    { source: '!echo job $SLURM_JOB_ID on $(hostname -s) > where.txt; cat where.txt' },
    { source: "writeFileSync('model.json', JSON.stringify({ epochs: epochs }));\nepochs + 0.5" }
  ]);
  const record = await manager.submit({
    notebook: nb,
    profile: profiles.login,
    parameters: { epochs: '3' },
    inputs: ['numbers.txt'],
    outputs: ['model.json', 'where.txt'],
    resources: { cpus: 1, mem: '300M', time: '5' }
  });
  expect(record.jobId).toMatch(/^\d+$/);
  // The job id is on disk before anything polls.
  expect(store.load(record.id).jobId).toBe(record.jobId);
  const seen: string[] = [];
  const done = await manager.wait(record.id, {
    intervalMs: 300,
    onUpdate: (r) => seen.push(r.state)
  });
  expect(done.state).toBe('completed');
  expect(seen).toContain('running');
  const result = read(done.result as string);
  expect(result.cells[1].source).toBe('let epochs = 3;');
  expect(cellText(result, 2)).toBe('sum 21\n');
  expect(cellText(result, 3)).toBe(
    `job ${record.jobId} on ${execFileSync('hostname', ['-s'], { encoding: 'utf8' }).trim()}\n`
  );
  expect(cellText(result, 4)).toBe('3.5');
  expect(
    JSON.parse(readFileSync(join(work, `train.run-${record.id}`, 'model.json'), 'utf8'))
  ).toEqual({ epochs: 3 });
  // No credential travels: neither the key's path nor its content is in the run folder.
  const key = readFileSync(join(sshDir, 'id_ed25519'), 'utf8');
  for (const f of readdirSync(join(remote, record.id))) {
    const text = readFileSync(join(remote, record.id, f), 'utf8');
    expect(text).not.toContain('id_ed25519');
    expect(text).not.toContain(key.split('\n')[1]);
  }
  expect(JSON.stringify(result)).not.toContain('id_ed25519');
});

test('a cell that fails remotely ends FAILED with the error and the earlier outputs fetched', async () => {
  const nb = notebook('fails.ipynb', [
    { source: "console.log('before')" },
    { source: '!exit 3' },
    { source: "throw new Error('remote boom')" },
    { source: "console.log('after')" }
  ]);
  const record = await manager.submit({ notebook: nb, profile: profiles.local });
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('failed');
  expect(done.message).toMatch(/FAILED.*exit 1:0/);
  const result = read(done.result as string);
  expect(cellText(result, 0)).toBe('before\n');
  expect(cellText(result, 2)).toContain('Error: remote boom');
  expect(result.cells[3].outputs).toEqual([]);
  expect(result.metadata.warren).toMatchObject({ status: 'failed', cell: 2 });
});

async function longRun(name: string, profile: RunProfile, time?: string) {
  const nb = notebook(name, [
    { source: "console.log('first')" },
    {
      source:
        "for (let i = 0; i < 3000; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 100)); }"
    },
    { source: "console.log('never')" }
  ]);
  const record = await manager.submit({ notebook: nb, profile, resources: time ? { time } : {} });
  const live = join(remote, record.id, 'out.ipynb');
  await until(
    () => existsSync(live) && cellText(read(live), 1).includes('tick 2'),
    60000,
    'the remote notebook to run'
  );
  return record;
}

test('scancel from outside: CANCELLED, and the partial notebook comes back', async () => {
  const record = await longRun('scancel.ipynb', profiles.local);
  // The live tail shows the running cell.
  expect(await manager.tail(record.id)).toMatch(/tick \d+\n$/);
  // The log the panel is pushed: the same text first, then only what the run added.
  const live = manager.live(record.id);
  const first = await live.next();
  expect(first?.reset).toBe(true);
  expect(first?.text).toMatch(/tick \d+\n$/);
  await new Promise((r) => setTimeout(r, 1000));
  const more = await live.next();
  expect(more?.reset).toBe(false);
  expect(more?.text).toMatch(/^tick \d+\n(tick \d+\n)*$/);
  expect(live.text.endsWith(more?.text ?? '-')).toBe(true);
  slurm(['scancel', record.jobId as string]);
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('cancelled');
  const result = read(done.result as string);
  expect(cellText(result, 0)).toBe('first\n');
  expect(cellText(result, 1)).toMatch(/tick 2\n/);
  expect(result.cells[2].outputs).toEqual([]);
});

test('cancel through warren (as the Lab does) ends CANCELLED with the outputs so far', async () => {
  const record = await longRun('cancel.ipynb', profiles.login);
  await manager.cancel(record.id);
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('cancelled');
  expect(cellText(read(done.result as string), 1)).toMatch(/tick 2\n/);
});

test('the SSH connection drops while polling: polling resumes on the same job, none duplicated', async () => {
  const nb = notebook('drop.ipynb', [{ source: '!sleep 6; echo slept' }]);
  const record = await manager.submit({ notebook: nb, profile: profiles.login });
  await until(async () => (await manager.poll(record.id)).state === 'running', 30000, 'running');
  // The host goes, and with it the connection the polls share.
  sh('stop-sshd.sh', [sshDir, '--drop']);
  const lost = await manager.poll(record.id);
  expect(lost.state).toBe('running');
  expect(lost.message).toMatch(/retrying$/);
  sh('start-sshd.sh', [sshDir, String(sshPort)]);
  const done = await manager.wait(record.id, { intervalMs: 300 });
  expect(done.state).toBe('completed');
  expect(cellText(read(done.result as string), 0)).toBe('slept\n');
  expect(jobsNamed(`warren-${record.id}`)).toEqual([record.jobId]);
});

test('slurmctld restarts while a job runs: polling rides it out and the job completes', async () => {
  const nb = notebook('ctld.ipynb', [{ source: '!sleep 5; echo survived' }]);
  const record = await manager.submit({ notebook: nb, profile: profiles.local });
  await until(async () => (await manager.poll(record.id)).state === 'running', 30000, 'running');
  sh('slurm-down.sh', [slurmDir, '--ctld-only']);
  const down = await manager.poll(record.id);
  expect(down.state).toBe('running');
  expect(down.message).toMatch(/retrying$/);
  sh('slurm-up.sh', [slurmDir, '--restart-ctld']);
  const done = await manager.wait(record.id, { intervalMs: 500 });
  expect(done.state).toBe('completed');
  expect(cellText(read(done.result as string), 0)).toBe('survived\n');
});

test('an unreachable host is a clear error before anything is submitted', async () => {
  const before = store.list().length;
  const nb = notebook('nowhere.ipynb', [{ source: '1' }]);
  await expect(manager.submit({ notebook: nb, profile: profiles.nowhere })).rejects.toThrow(
    /profile nowhere: ssh root@127.0.0.1:1: .*(refused|Connection)/
  );
  expect(store.list().length).toBe(before);
  const r = await warren(['submit', nb, '--profile', 'nowhere'], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/profile nowhere: ssh/);
  const unknown = await warren(['submit', nb, '--profile', 'nope'], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data
  });
  expect(unknown.stderr).toMatch(/unknown cluster profile "nope"/);
});

test('map: 50 commands in chunks of 10 run as a 5-task array, one fails, its retry succeeds', async () => {
  const flag = join(work, 'flag');
  const commands = Array.from({ length: 50 }, (_, i) =>
    i === 17
      ? `test -e ${flag} || { echo missing flag >&2; exit 3; }; echo fixed`
      : `echo command ${i}`
  );
  writeFileSync(join(work, 'commands.txt'), commands.join('\n') + '\n');
  const r = await warren(
    ['map', join(work, 'commands.txt'), '--chunk', '10', '--profile', 'local', '--interval', '300'],
    { JUPYTERLAB_SETTINGS_DIR: settings, JUPYTER_DATA_DIR: data, SLURM_CONF: conf }
  );
  expect(r.code).toBe(1);
  const id = /^(map-\w+):/.exec(r.stdout)?.[1] as string;
  expect(r.stdout).toContain('in 5 tasks of 10');
  expect(r.stdout).toContain('completed 50/50 done, 1 failed');
  const maps = new MapRunner(store);
  const progress = await maps.progress(id);
  expect(progress.failed).toEqual([17]);
  expect(progress.exitCodes.filter((c) => c === 0)).toHaveLength(49);
  expect(progress.exitCodes[17]).toBe(3);
  expect(await maps.log(id, 17)).toBe('missing flag\n');
  expect(await maps.log(id, 42)).toBe('command 42\n');
  // The scheduler saw one array of 5 tasks.
  expect(jobsNamed(`warren-${id}`)).toHaveLength(5);
  writeFileSync(flag, '');
  const again = await warren(['map', id, '--retry', '--interval', '300'], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data,
    SLURM_CONF: conf
  });
  expect(again.code).toBe(0);
  expect(again.stdout).toContain('1 command in 1 task of');
  expect(again.stdout).toContain('completed 50/50 done, 0 failed');
  expect(await maps.log(id, 17)).toBe('fixed\n');
});

test('the time limit: TIMEOUT, with the outputs written before it', async () => {
  const record = await longRun('timelimit.ipynb', profiles.local, '1');
  const done = await manager.wait(record.id, { intervalMs: 1000 });
  expect(done.state).toBe('timeout');
  const result = read(done.result as string);
  expect(cellText(result, 0)).toBe('first\n');
  expect(cellText(result, 1)).toMatch(/tick 2\d+\n/);
}, 200000);

/** A kernel that reads this file's cluster profiles and talks to the loopback Slurm. */
function clusterKernel(cwd?: string): Promise<KernelClient> {
  return launchWarren({
    ...(cwd ? { cwd } : {}),
    env: {
      JUPYTERLAB_SETTINGS_DIR: settings,
      JUPYTER_DATA_DIR: data,
      SLURM_CONF: conf,
      WARREN_NO_HISTORY: '1'
    }
  });
}

test('warren.map in a cell: progress shown in place, exit codes, a log, and retry', async () => {
  const kernel = await clusterKernel();
  try {
    const flag = join(work, 'cell-flag');
    const { reply, iopub } = await kernel.execute(
      `const m = await warren.map(Array.from({ length: 12 }, (_, i) => i === 5 ? 'test -e ${flag} || exit 4' : 'echo line ' + i), { chunk: 4, profile: 'local' });\n` +
        'console.log(m.state, m.done, m.total, JSON.stringify(m.failed), m.exitCodes[5], (await m.log(7)).trim());',
      {},
      120000
    );
    expect(reply.content.status).toBe('ok');
    expect(text(iopub)).toBe('completed 12 12 [5] 4 line 7\n');
    const displays = iopub.filter(
      (m) => m.header.msg_type === 'display_data' || m.header.msg_type === 'update_display_data'
    );
    expect(displays[0].header.msg_type).toBe('display_data');
    expect(JSON.stringify(displays[displays.length - 1].content.data)).toContain(
      '12/12 commands done, 1 failed'
    );
    writeFileSync(flag, '');
    const again = await kernel.execute(
      'const r = await m.retry(); console.log(r.done, JSON.stringify(r.failed))',
      {},
      120000
    );
    expect(text(again.iopub)).toBe('12 []\n');
  } finally {
    await kernel.shutdown();
  }
});

test('the warren.runs comm: submit, live state to COMPLETED, fetch the result', async () => {
  const kernel = await clusterKernel(work);
  try {
    notebook('comm.ipynb', [
      { source: 'const x = 1;', tags: ['parameters'] },
      { source: 'console.log(x * 2)' }
    ]);
    const commId = 'runs-comm-1';
    await kernel.call('shell', 'comm_open', {
      comm_id: commId,
      target_name: 'warren.runs',
      data: {}
    });
    const messages = () =>
      kernel.iopubLog
        .filter((m) => m.header.msg_type === 'comm_msg' && m.content.comm_id === commId)
        .map(
          (m) =>
            m.content.data as {
              type: string;
              run?: { id: string; state: string; result: string | null };
              path?: string;
            }
        );
    expect(messages()[0].type).toBe('runs');
    await kernel.call('shell', 'comm_msg', {
      comm_id: commId,
      data: {
        type: 'submit',
        notebook: 'comm.ipynb',
        profile: profiles.local as unknown as Record<string, string>,
        parameters: { x: '21' }
      }
    });
    const done = await until(
      () =>
        messages().find((m) => m.type === 'run' && m.run?.state === 'completed' && m.run.result),
      60000,
      'completed with a result'
    );
    expect(done.run?.result).toMatch(/^comm\.run-.*\.ipynb$/);
    expect(messages().some((m) => m.type === 'run' && m.run?.state === 'running')).toBe(true);
    expect(cellText(read(join(work, done.run?.result as string)), 2)).toBe('42\n');
  } finally {
    await kernel.shutdown();
  }
});

test('a connection lost during sbatch: the job is found by name, never submitted twice', async () => {
  const nb = notebook('lost.ipynb', [{ source: "console.log('once')" }]);
  // sbatch went through but its answer never came back.
  const lossy = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async (r: RunRecord) => {
        await real.submit(r);
        throw new SiteError('ssh: connection reset during sbatch');
      }
    });
  });
  await expect(lossy.submit({ notebook: nb, profile: profiles.login })).rejects.toThrow(
    /connection reset/
  );
  const stuck = store.list().find((r) => r.source === nb) as RunRecord;
  expect(stuck).toMatchObject({ state: 'submitting', jobId: null });
  const done = await manager.wait(stuck.id, { intervalMs: 300 });
  expect(done.state).toBe('completed');
  expect(jobsNamed(`warren-${stuck.id}`)).toEqual([done.jobId]);
  expect(cellText(read(done.result as string), 0)).toBe('once\n');

  // Lost before sbatch ran: resuming submits it, once.
  const nb2 = notebook('never.ipynb', [{ source: "console.log('late')" }]);
  const dropping = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async () => {
        throw new SiteError('ssh: connection refused');
      }
    });
  });
  await expect(dropping.submit({ notebook: nb2, profile: profiles.login })).rejects.toThrow(
    /refused/
  );
  const never = store.list().find((r) => r.source === nb2) as RunRecord;
  const late = await manager.wait(never.id, { intervalMs: 300 });
  expect(late.state).toBe('completed');
  expect(jobsNamed(`warren-${never.id}`)).toEqual([late.jobId]);
});

test('a poll while a submit is still copying the notebook submits nothing; a cancel then is sent once the job has an id', async () => {
  const nb = notebook('slow.ipynb', [
    { source: 'await new Promise((r) => setTimeout(r, 120000))' }
  ]);
  // Copying the notebook and inputs takes a while (a large input, a slow link):
  // here, until the test lets it go on.
  let copied!: () => void;
  const copying = new Promise<void>((resolve) => (copied = resolve));
  const slow = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async (r: RunRecord) => {
        await copying;
        return real.submit(r);
      }
    });
  });
  const submitting = slow.submit({ notebook: nb, profile: profiles.local });
  const record = await until(
    () => store.list().find((r) => r.source === nb),
    10000,
    'the run record'
  );
  // The Runs panel's poller meanwhile: it waits for the submit rather than make a second job.
  for (let i = 0; i < 3; i++) {
    const seen = await manager.poll(record.id);
    expect(seen).toMatchObject({ state: 'submitting', jobId: null });
    await new Promise((r) => setTimeout(r, 300));
  }
  const asked = await manager.cancel(record.id);
  expect(asked.message).toMatch(/cancel requested: sent once the scheduler has the job/);
  copied();
  const submitted = await submitting;
  expect(submitted.message).toBe('cancel requested');
  const done = await manager.wait(record.id, { intervalMs: 300, fetch: false });
  expect(done.state).toBe('cancelled');
  expect(jobsNamed(`warren-${record.id}`)).toEqual([submitted.jobId]);
});

test('a submit Slurm refuses while a poll looks stays failed, saying why, and can be forgotten', async () => {
  const nb = notebook('refused-race.ipynb', [{ source: '1' }]);
  let letSubmit!: () => void;
  const submitGate = new Promise<void>((resolve) => (letSubmit = resolve));
  let letPoll!: () => void;
  const pollGate = new Promise<void>((resolve) => (letPoll = resolve));
  let polling!: () => void;
  const pollLooked = new Promise<void>((resolve) => (polling = resolve));
  const gated = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async (r: RunRecord) => {
        await submitGate;
        return real.submit(r);
      }
    });
  });
  // The Runs panel's poll: it read the record while the submit was under way.
  const panel = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      find: async (r: RunRecord) => {
        const found = await real.find(r);
        polling();
        await pollGate;
        return found;
      }
    });
  });
  const submitting = gated
    .submit({ notebook: nb, profile: profiles.local, resources: { partition: 'nope' } })
    .then(
      () => null,
      (error: unknown) => error
    );
  const record = await until(
    () => store.list().find((r) => r.source === nb),
    10000,
    'the run record'
  );
  const poll = panel.poll(record.id);
  await pollLooked;
  letSubmit();
  expect(String(await submitting)).toMatch(/partition/i);
  letPoll();
  const seen = await poll;
  expect(seen.state).toBe('failed');
  const stored = store.load(record.id);
  expect(stored).toMatchObject({ state: 'failed', jobId: null });
  expect(stored.message).toMatch(/^submit: .*partition/i);
  expect(stored.submitter).toBeUndefined();
  const forgot = await warren(['runs', 'forget', record.id], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data
  });
  expect(forgot.code).toBe(0);
});

test('a map retry whose exit files cannot be read (a lost connection) reruns nothing and keeps the successes', async () => {
  const maps = new MapRunner(store);
  const map = await maps.submit({
    commands: ['echo a', 'exit 4', 'echo c'],
    chunk: 1,
    profile: profiles.local
  });
  expect((await maps.wait(map.id, { intervalMs: 300 })).failed).toEqual([1]);
  const results = join(map.remoteDir, 'results');
  const lossy = new MapRunner(store, (p) => {
    const real = siteFor(p);
    return {
      description: real.description,
      put: (local, dir) => real.put(local, dir),
      get: (remote, local) => real.get(remote, local),
      exec: async (argv, options) => {
        if (argv.join(' ').includes('*.exit')) throw new SiteError('ssh: connection reset');
        return real.exec(argv, options);
      }
    } satisfies Site;
  });
  const unread = await lossy.progress(map.id);
  expect(unread).toMatchObject({ read: false, done: 0 });
  await expect(lossy.retry(map.id)).rejects.toThrow(
    /its exit files could not be read \(ssh: connection reset; retrying\); nothing retried/
  );
  expect(
    readdirSync(results)
      .filter((f) => f.endsWith('.exit'))
      .sort()
  ).toEqual(['0.exit', '1.exit', '2.exit']);
  expect(store.load(map.id).jobs).toHaveLength(1);
  // Read again, the retry reruns the failed command alone.
  const again = await maps.retry(map.id);
  expect(again?.jobs).toHaveLength(2);
});

test('a work folder holding % keeps the logs in the run folder (Slurm patterns only in the log names)', async () => {
  const percent = { ...profiles.local, workdir: join(remote, '100%j-runs') };
  const nb = notebook('percent.ipynb', [{ source: "console.log('pct')" }]);
  const done = await manager.wait((await manager.submit({ notebook: nb, profile: percent })).id, {
    intervalMs: 300
  });
  expect(done.state).toBe('completed');
  expect(done.remoteDir.startsWith(join(remote, '100%j-runs'))).toBe(true);
  expect(readFileSync(join(done.remoteDir, 'log'), 'utf8')).toMatch(/warren run: ok/);
  const maps = new MapRunner(store);
  const map = await maps.submit({ commands: ['echo in-percent'], chunk: 1, profile: percent });
  expect(await maps.wait(map.id, { intervalMs: 300 })).toMatchObject({ state: 'completed' });
  expect(await maps.log(map.id, 0)).toBe('in-percent\n');
  expect(readdirSync(join(map.remoteDir, 'logs')).some((f) => /^chunk-\d+_0\.out$/.test(f))).toBe(
    true
  );
});

test('a job Slurm has forgotten, with no accounting to ask, ends as its log or exit files say', async () => {
  // The job id stands for one that ended before MinJobAge and that no
  // accounting kept: scontrol answers "Invalid job id", sacct has no
  // database here, and the completion log never saw it.
  const forgottenId = '999999';
  expect(() => slurm(['scontrol', 'show', 'job', forgottenId])).toThrow(/Invalid job id/);
  const nb = notebook('forgotten.ipynb', [{ source: "console.log('kept')" }]);
  const ran = await manager.wait(
    (await manager.submit({ notebook: nb, profile: profiles.local })).id,
    { intervalMs: 300, fetch: false }
  );
  expect(ran.state).toBe('completed');
  const unseen = { ...ran, state: 'running' as const, jobId: forgottenId, ended: undefined };
  store.save(unseen);
  const seen = await manager.poll(ran.id);
  expect(seen.state).toBe('completed');
  expect(seen.message).toMatch(
    /slurm job 999999 has ended and Slurm no longer knows it .*; its log says: ok: /
  );
  const fetched = await manager.wait(ran.id, { intervalMs: 300 });
  expect(cellText(read(fetched.result as string), 0)).toBe('kept\n');
  // A log without the runner's last word: the job died before saving.
  writeFileSync(join(ran.remoteDir, 'log'), 'slurmstepd: error: *** JOB CANCELLED ***\n');
  store.save({ ...unseen, result: null });
  const died = await manager.poll(ran.id);
  expect(died.state).toBe('failed');
  expect(died.message).toMatch(/its log ends without the runner's word/);

  // A map: its exit files say how far it got.
  const maps = new MapRunner(store);
  const map = await maps.submit({
    commands: ['true', 'true', 'true'],
    chunk: 1,
    profile: profiles.local
  });
  const mapped = await maps.wait(map.id, { intervalMs: 300 });
  expect(mapped).toMatchObject({ state: 'completed', done: 3 });
  const forget = () =>
    store.save({ ...store.load(map.id), state: 'running', jobId: forgottenId, ended: undefined });
  forget();
  expect(await maps.progress(map.id)).toMatchObject({ state: 'completed', done: 3 });
  expect(store.load(map.id).message).toMatch(
    /no longer knows it.*; 3 of 3 command\(s\) wrote an exit code/
  );
  const exits = join(store.load(map.id).remoteDir, 'results');
  execFileSync('rm', [join(exits, '1.exit')]);
  forget();
  expect(await maps.progress(map.id)).toMatchObject({ state: 'failed', done: 2 });
});

test('a run that never reached the scheduler, with nobody submitting it, is cancelled at once', async () => {
  const nb = notebook('orphan.ipynb', [{ source: '1' }]);
  // A submit that died after saving its record (its process killed, say).
  const dead = new RunManager(store, (p) => {
    const real = backendFor(p);
    return Object.assign(Object.create(real) as Backend, {
      submit: async () => {
        throw new SiteError('ssh: connection reset while copying');
      }
    });
  });
  await expect(dead.submit({ notebook: nb, profile: profiles.local })).rejects.toThrow(/reset/);
  const stuck = store.list().find((r) => r.source === nb) as RunRecord;
  expect(stuck).toMatchObject({ state: 'submitting', jobId: null });
  const cancelled = await manager.cancel(stuck.id);
  expect(cancelled).toMatchObject({
    state: 'cancelled',
    message: 'cancelled before it reached the scheduler'
  });
  // Final: a poll submits nothing, and forgetting it is allowed.
  expect((await manager.poll(stuck.id)).state).toBe('cancelled');
  expect(jobsNamed(`warren-${stuck.id}`)).toEqual([]);
  const forgot = await warren(['runs', 'forget', stuck.id], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data
  });
  expect(forgot.code).toBe(0);
});

test('a map Slurm refuses ends failed, saying why, and can be forgotten; a command with a line break is refused first', async () => {
  const maps = new MapRunner(store);
  const before = store.list().length;
  await expect(
    maps.submit({ commands: ['echo a\necho b', 'true'], chunk: 1, profile: profiles.local })
  ).rejects.toThrow(/map: command 0 holds a line break \("echo a\\necho b"\)/);
  expect(store.list().length).toBe(before);
  await expect(
    maps.submit({
      commands: ['true'],
      chunk: 1,
      profile: profiles.local,
      resources: { partition: 'nope' }
    })
  ).rejects.toThrow(/sbatch refused the job: .*(nope|partition)/i);
  const refused = store.list().find((r) => r.kind === 'map' && /nope|partition/i.test(r.message));
  expect(refused).toMatchObject({ state: 'failed', jobId: null });
  expect(refused!.message).toMatch(/^submit: sbatch refused the job/);
  await expect(maps.retry(refused!.id)).rejects.toThrow(/never reached Slurm/);
  const forgot = await warren(['runs', 'forget', refused!.id], {
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTER_DATA_DIR: data
  });
  expect([forgot.code, forgot.stderr]).toEqual([0, '']);
  expect(store.list().length).toBe(before);
});

test('a map cancelled while sbatch runs is cancelled once Slurm answers, through the same record', async () => {
  // sbatch held until the test lets it answer.
  let answer!: () => void;
  const held = new Promise<void>((resolve) => (answer = resolve));
  let inSbatch = false;
  const maps = new MapRunner(store, (p) => {
    const real = siteFor(p);
    return {
      description: real.description,
      put: (local, dir) => real.put(local, dir),
      get: (remote, local) => real.get(remote, local),
      exec: async (argv, options) => {
        if (argv[0] === 'sbatch') {
          inSbatch = true;
          await held;
        }
        return real.exec(argv, options);
      }
    } satisfies Site;
  });
  const submitting = maps.submit({
    commands: ['sleep 120', 'sleep 120'],
    chunk: 1,
    profile: profiles.local,
    source: 'held-map'
  });
  await until(() => inSbatch, 20000, 'sbatch');
  const id = store.list().find((r) => r.source === 'held-map')!.id;
  await maps.cancel(id);
  expect(store.load(id)).toMatchObject({ state: 'submitting', cancelRequested: true });
  answer();
  const submitted = await submitting;
  expect(submitted.jobs).toHaveLength(1);
  const done = await maps.wait(id, { intervalMs: 300 });
  expect(done.state).toBe('cancelled');
  expect(done.done).toBe(0);
});
