/**
 * The documented command line, run as a user runs it (`node lib/.../warren.js`):
 * `warren toolbox add|remove|list|env`, `warren mounts`, and `warren runs
 * list|status|cancel|wait|fetch|tail` on runs detached on this machine by the
 * plain-host backend (a profile without a host: the same scripts ssh would run).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './harness';

jest.setTimeout(60000);

const base = mkdtempSync(join(tmpdir(), 'warren-cli-'));
const config = join(base, 'config');
const data = join(base, 'data');
const settings = join(base, 'settings');
const remote = join(base, 'remote');

function warren(args: string[], cwd = base) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd,
    env: {
      ...process.env,
      JUPYTER_CONFIG_DIR: config,
      JUPYTER_DATA_DIR: data,
      JUPYTERLAB_SETTINGS_DIR: settings
    }
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function until<T>(probe: () => T | null | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30000;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(() => {
  mkdirSync(remote);
  mkdirSync(join(settings, 'warren'), { recursive: true });
  // Stand-ins for `warren run` on the host: one that ends at once with a result, one that waits.
  const quick = join(base, 'runner-quick');
  writeFileSync(quick, '#!/bin/sh\necho "ran with $*"\ncp notebook.ipynb out.ipynb\n');
  const slow = join(base, 'runner-slow');
  writeFileSync(slow, '#!/bin/sh\necho started\nsleep 60\n');
  const failing = join(base, 'runner-failing');
  writeFileSync(failing, '#!/bin/sh\necho "cell failed" >&2\nexit 3\n');
  chmodSync(quick, 0o755);
  chmodSync(slow, 0o755);
  chmodSync(failing, 0o755);
  writeFileSync(
    join(settings, 'warren', 'runs.jupyterlab-settings'),
    JSON.stringify({
      profiles: [
        { name: 'quick', kind: 'ssh', workdir: remote, warren: quick },
        { name: 'slow', kind: 'ssh', workdir: remote, warren: slow },
        { name: 'failing', kind: 'ssh', workdir: remote, warren: failing }
      ]
    })
  );
  writeFileSync(
    join(base, 'nb.ipynb'),
    // A parameters cell, so that `-p n=1` goes where it should and nothing is warned.
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          cell_type: 'code',
          metadata: { tags: ['parameters'] },
          source: 'const n = 0;',
          outputs: [],
          execution_count: null
        }
      ]
    })
  );
});

describe('warren', () => {
  test("without a command prints the usage of every command, the mounts' included; an unknown one is an error", () => {
    const help = warren([]);
    expect(help.code).toBe(0);
    expect(help.stderr).toMatch(/^usage:\n {2}warren kernel -f CONNECTION_FILE/);
    expect(help.stderr).toMatch(/\n {2}warren mount SOURCE MOUNTPOINT/);
    expect(help.stderr).toMatch(/\n {2}warren toolbox add NAME ROOT/);
    const bad = warren(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(help.stderr);
    const noFile = warren(['kernel-process']);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/^warren kernel: -f CONNECTION_FILE is required\nusage:/);
  });
});

describe('warren toolbox', () => {
  test('add, list, env, remove: each says what it did, and env is what a shell evaluates', () => {
    expect(warren(['toolbox', 'list'])).toEqual({ code: 0, stdout: 'no toolboxes\n', stderr: '' });
    const root = join(base, 'tools');
    mkdirSync(join(root, 'bin'), { recursive: true });
    writeFileSync(join(root, 'bin', 'thello'), '#!/bin/sh\necho "tool $TCOLOR"\n');
    chmodSync(join(root, 'bin', 'thello'), 0o644);
    // A relative root is taken from the current folder.
    const add = warren(['toolbox', 'add', 'tools', 'tools', '--env', 'TCOLOR=deep blue']);
    expect(add).toEqual({
      code: 0,
      stdout: 'toolbox tools: 1 command(s) in bin; exec bits restored on 1\n',
      stderr: ''
    });
    const list = warren(['toolbox', 'list']);
    expect(list.stdout).toBe(
      `toolboxes:\n  ● tools  ${root}  bin: bin  1 command(s)  env: TCOLOR\n`
    );
    const env = warren(['toolbox', 'env']);
    expect(env.stdout.split('\n')[0]).toMatch(new RegExp(`^export PATH='${root}/bin:`));
    expect(env.stdout.split('\n')[1]).toBe("export TCOLOR='deep blue'");
    const shell = spawnSync('bash', ['-c', 'eval "$1"; thello', 'sh', env.stdout], {
      encoding: 'utf8'
    });
    expect(shell.stdout).toBe('tool deep blue\n');
    expect(warren(['toolbox', 'remove', 'tools'])).toEqual({
      code: 0,
      stdout: 'toolbox tools removed\n',
      stderr: ''
    });
    expect(warren(['toolbox', 'list']).stdout).toBe('no toolboxes\n');
    expect(warren(['toolbox', 'remove', 'tools'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'warren toolbox: no toolbox named tools\n'
    });
    const bad = warren(['toolbox', 'frobnicate']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^warren toolbox: usage:\n {2}warren toolbox add NAME ROOT/);
  });
});

describe('warren mounts', () => {
  test('lists definitions and their state, as a table and as JSON', () => {
    expect(warren(['mounts'])).toEqual({ code: 0, stdout: 'no mounts\n', stderr: '' });
    expect(JSON.parse(warren(['mounts', '--json']).stdout)).toEqual({
      mounts: [],
      toolboxes: [],
      pending: []
    });
    const src = join(base, 'src');
    const mp = join(base, 'never-mounted');
    mkdirSync(join(config, 'warren'), { recursive: true });
    writeFileSync(
      join(config, 'warren', 'mounts.json'),
      JSON.stringify({ version: 1, mounts: [{ kind: 'bind', source: src, mountpoint: mp }] })
    );
    const table = warren(['mounts']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^STATE\s+KIND\s+SOURCE\s+MOUNTPOINT$/);
    expect(table.stdout.split('\n')[1]).toMatch(
      new RegExp(`^○ unmounted\\s+bind\\s+${src}\\s+${mp}\\s+rw$`)
    );
    const json = JSON.parse(warren(['mounts', '--json']).stdout) as {
      mounts: { mountpoint: string; state: string; pid: number | null }[];
    };
    expect(json.mounts).toEqual([
      expect.objectContaining({ kind: 'bind', mountpoint: mp, state: 'unmounted', pid: null })
    ]);
  });
});

describe('warren runs', () => {
  const submit = (profile: string) => {
    const r = warren(['submit', join(base, 'nb.ipynb'), '--profile', profile, '-p', 'n=1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [id, state, name, pid] = r.stdout.trim().split('\t');
    expect([state, name]).toEqual(['pending', profile]);
    expect(pid).toMatch(/^\d+$/);
    return id;
  };
  const status = (id: string) =>
    JSON.parse(warren(['runs', 'status', id]).stdout) as { id: string; state: string };

  test('list, status, wait, fetch and tail of a run that completes', async () => {
    expect(warren(['runs', 'list'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const id = submit('quick');
    expect(warren(['runs', 'list']).stdout).toMatch(
      new RegExp(`^${id}\\tpending\\tquick\\t\\d+\\t`)
    );
    await until(() => status(id).state === 'completed', 'the run to complete');
    expect(status(id)).toMatchObject({ id, state: 'completed' });
    const waited = warren(['runs', 'wait', id]);
    expect(waited.code).toBe(0);
    const result = join(base, `nb.run-${id}.ipynb`);
    expect(waited.stdout).toContain(`result: ${result}`);
    expect(JSON.parse(readFileSync(result, 'utf8'))).toMatchObject({ nbformat: 4 });
    expect(warren(['runs', 'fetch', id]).stdout).toMatch(/\tcompleted\t/);
    expect(warren(['runs', 'tail', id]).stdout).toBe(
      'ran with run notebook.ipynb -o out.ipynb -p n=1\n\n'
    );
  });

  test('submit --wait follows the run to its end: 0 when it completed, 1 when it failed', () => {
    const ok = warren(['submit', join(base, 'nb.ipynb'), '--profile', 'quick', '--wait']);
    expect(ok.code).toBe(0);
    const last = ok.stdout.trim().split('\n').at(-1) ?? '';
    expect(last).toMatch(/^\S+\tcompleted\tquick\t\d+\t.*\tresult: .*nb\.run-\S+\.ipynb$/);
    expect(ok.stderr).toMatch(/\tcompleted\t/);
    const bad = warren(['submit', join(base, 'nb.ipynb'), '--profile', 'failing', '--wait']);
    expect(bad.code).toBe(1);
    // It left no result notebook (the runner never wrote one): said with the
    // end of the job's own log, not a crash.
    expect(bad.stdout.trim().split('\n').at(-1)).toMatch(
      /^(\S+)\tfailed\tfailing\t\d+\tpid \d+: failed exit 3; the run left no result notebook; its log ends: cell failed \(see: warren runs tail \1\)$/
    );
    expect(bad.stderr).not.toMatch(/ENOENT|^warren:/m);
  });

  test('cancel ends a running run CANCELLED; an unknown id is a clear error', async () => {
    const id = submit('slow');
    await until(() => status(id).state === 'running', 'the run to start');
    const c = warren(['runs', 'cancel', id]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(new RegExp(`^${id}\\trunning\\tslow\\t\\d+\\tcancel requested\\n$`));
    await until(() => status(id).state === 'cancelled', 'the run to be cancelled');
    const unknown = warren(['runs', 'status', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^warren: no run nope in /);
  });
});
