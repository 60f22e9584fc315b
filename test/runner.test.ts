/**
 * `warren run`: a notebook executed headless by its own kernelspec (warren's
 * and Debian's ipykernel), through the kernel's Jupyter client.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { alive } from '../kernel/pids';
import { descendants } from '../kernel/services/processes';
import type { NotebookLike } from './cluster/fixtures';
import {
  cellText,
  dataDirWithWarren,
  tempDir,
  until,
  warren,
  writeNotebook
} from './cluster/fixtures';

jest.setTimeout(120000);

let data: string;
let dir: string;
const env = () => ({ JUPYTER_DATA_DIR: data, WARREN_NO_HISTORY: '1' });
const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as NotebookLike;

beforeAll(() => {
  data = dataDirWithWarren();
  dir = tempDir('warren-run-');
});

test('runs a warren notebook with ! and TypeScript cells, parameters injected as TypeScript literals', async () => {
  const nb = writeNotebook(join(dir, 'ts.ipynb'), [
    {
      source: "const n = 2;\nconst label = 'default';\nconst opts = { fast: false };",
      tags: ['parameters']
    },
    { source: 'console.log(`n=${n} label=${label} fast=${opts.fast}`)' },
    { source: "!echo from shell $((6*7)); printf '10%%\\r50%%\\r100%%\\n'" },
    { source: 'n * 10' }
  ]);
  const out = join(dir, 'ts.out.ipynb');
  const r = await warren(
    ['run', nb, '-o', out, '-p', 'n=5', '-p', 'label=zed', '-p', 'opts={"fast":true}'],
    env()
  );
  expect(r.code).toBe(0);
  const result = read(out);
  expect(result.cells[1].metadata.tags).toEqual(['injected-parameters']);
  expect(result.cells[1].source).toBe('let n = 5;\nlet label = "zed";\nlet opts = {"fast":true};');
  expect(cellText(result, 2)).toBe('n=5 label=zed fast=true\n');
  // \r overwrites are applied as a frontend shows them.
  expect(cellText(result, 3)).toBe('from shell 42\n100%\n');
  expect(cellText(result, 4)).toBe('50');
  expect(result.metadata.warren?.status).toBe('ok');
  // The input notebook is untouched.
  expect(read(nb).cells).toHaveLength(4);
});

test('runs a python3 (ipykernel) notebook with Python literals', async () => {
  const nb = writeNotebook(
    join(dir, 'py.ipynb'),
    [
      { source: 'n = 1\nflag = False\nnames = []', tags: ['parameters'] },
      { source: 'print(n * 2, flag, names, type(n).__name__)' }
    ],
    'python3'
  );
  const r = await warren(
    ['run', nb, '-p', 'n=21', '-p', 'flag=true', '-p', 'names=["a",null]'],
    env()
  );
  expect(r.code).toBe(0);
  const result = read(nb);
  expect(result.cells[1].source).toBe('n = 21\nflag = True\nnames = ["a", None]');
  expect(cellText(result, 2)).toBe("42 True ['a', None] int\n");
});

test('a failing cell exits non-zero and leaves every finished cell saved, later cells not run', async () => {
  const nb = writeNotebook(join(dir, 'fail.ipynb'), [
    { source: "console.log('one')" },
    { source: "throw new Error('boom')" },
    { source: "console.log('never')" }
  ]);
  const out = join(dir, 'fail.out.ipynb');
  const r = await warren(['run', nb, '-o', out], env());
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('cell 1 failed: Error: boom');
  const result = read(out);
  expect(cellText(result, 0)).toBe('one\n');
  expect(cellText(result, 1)).toContain('Error: boom');
  expect(result.cells[2].outputs).toEqual([]);
  expect(result.cells[2].execution_count).toBeNull();
  expect(result.metadata.warren).toMatchObject({ status: 'failed', cell: 1 });
});

test('a cell tagged raises-exception may fail: the run goes on past it, as nbclient does', async () => {
  const nb = writeNotebook(join(dir, 'raises.ipynb'), [
    { source: "throw new Error('expected')", tags: ['raises-exception'] },
    { source: "console.log('after')" }
  ]);
  const out = join(dir, 'raises.out.ipynb');
  const r = await warren(['run', nb, '-o', out], env());
  expect(r.code).toBe(0);
  const result = read(out);
  expect(cellText(result, 0)).toContain('Error: expected');
  expect(cellText(result, 1)).toBe('after\n');
  expect(result.metadata.warren).toMatchObject({ status: 'ok' });
});

test('outputs are written as they arrive; SIGTERM interrupts the kernel, saves and exits non-zero', async () => {
  const nb = writeNotebook(join(dir, 'long.ipynb'), [
    { source: "console.log('first')" },
    {
      source:
        "for (let i = 0; i < 600; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 100)); }"
    },
    { source: "console.log('never')" }
  ]);
  const out = join(dir, 'long.out.ipynb');
  let pid = 0;
  const running = warren(['run', nb, '-o', out], env(), (p) => (pid = p));
  // The live file shows the running cell's output before the cell ends.
  await until(
    () => existsSync(out) && cellText(read(out), 1).includes('tick 3'),
    30000,
    'live output'
  );
  process.kill(pid, 'SIGTERM');
  const r = await running;
  expect(r.code).toBe(143);
  const result = read(out);
  expect(cellText(result, 0)).toBe('first\n');
  expect(cellText(result, 1)).toMatch(/tick 3\n/);
  expect(result.cells[2].outputs).toEqual([]);
  expect(result.metadata.warren?.status).toBe('cancelled');
});

test('a runner killed outright takes its kernel with it', async () => {
  const nb = writeNotebook(join(dir, 'orphan.ipynb'), [
    {
      source:
        "for (let i = 0; i < 600; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 100)); }"
    }
  ]);
  const out = join(dir, 'orphan.out.ipynb');
  let pid = 0;
  const running = warren(['run', nb, '-o', out], env(), (p) => (pid = p));
  await until(
    () => existsSync(out) && cellText(read(out), 0).includes('tick 3'),
    30000,
    'live output'
  );
  const kernel = descendants(pid);
  expect(kernel.length).toBeGreaterThanOrEqual(2); // the supervisor and the kernel
  process.kill(pid, 'SIGKILL');
  await running;
  await until(() => kernel.every((p) => !alive(p)), 15000, 'the kernel gone with its runner');
});

test('--timeout stops a cell that runs too long and fails the run', async () => {
  const nb = writeNotebook(join(dir, 'slow.ipynb'), [
    { source: '!sleep 30' },
    { source: "console.log('never')" }
  ]);
  const t0 = Date.now();
  const r = await warren(['run', nb, '--timeout', '2'], env());
  expect(r.code).toBe(1);
  expect(Date.now() - t0).toBeLessThan(20000);
  const result = read(nb);
  expect(cellText(result, 0)).toContain('timed out after 2 s');
  expect(result.metadata.warren?.status).toBe('timeout');
});

test('an unknown kernel is a clear error', async () => {
  const nb = writeNotebook(join(dir, 'k.ipynb'), [{ source: '1' }]);
  const r = await warren(['run', nb, '--kernel', 'nosuchkernel'], env());
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/no kernelspec named "nosuchkernel" \(found: .*python3/);
});

test('usage errors exit 2 with the usage line; --help prints it; --timeout takes seconds a timer can hold', async () => {
  const nb = writeNotebook(join(dir, 'usage.ipynb'), [{ source: '1' }]);
  const help = await warren(['run', '--help'], env());
  expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('warren run NOTEBOOK')]);
  for (const args of [
    [nb, '--timeout', 'abc'],
    [nb, '--timeout', '1e7'],
    [nb, '--timeout', '0'],
    [nb, '-p', 'noequals'],
    [nb, '--nosuch'],
    []
  ]) {
    const r = await warren(['run', ...args], env());
    expect([args, r.code]).toEqual([args, 2]);
    expect(r.stderr).toMatch(/usage:\n {2}warren run NOTEBOOK/);
  }
});

test('a kernel that cannot start ends the run at once, saved as dead: a missing --cwd, a kernel that exits', async () => {
  const broken = join(data, 'kernels', 'broken');
  mkdirSync(broken, { recursive: true });
  writeFileSync(
    join(broken, 'kernel.json'),
    JSON.stringify({
      argv: ['/bin/false', '{connection_file}'],
      display_name: 'broken',
      language: 'python'
    })
  );
  const nb = writeNotebook(join(dir, 'nostart.ipynb'), [{ source: '1' }]);
  const missing = await warren(['run', nb, '--cwd', join(dir, 'no-such-folder')], env());
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/no such folder/);
  expect(missing.stderr).not.toMatch(/supervisor|Uncaught|\n\s+at /);
  expect(read(nb).metadata.warren).toMatchObject({ status: 'dead' });
  const t0 = Date.now();
  const exits = await warren(['run', nb, '--kernel', 'broken'], env());
  expect(exits.code).toBe(1);
  expect(exits.stderr).toMatch(/did not answer kernel_info/);
  // It ends once the kernel is found dead, not when a timer or a socket lets it.
  expect(Date.now() - t0).toBeLessThan(20000);
});

test('progress lines ending in \\r overwrite their line as JupyterLab shows them, never glued to the next, the last state kept (TypeScript and Python)', async () => {
  const steps = ['a 10%\r', 'a 50%\r', 'a 100%\n', 'b 10%\r', 'b 99%\r'];
  const ts = writeNotebook(join(dir, 'progress.ipynb'), [
    {
      source:
        `for (const s of ${JSON.stringify(steps)}) {\n` +
        '  process.stdout.write(s);\n' +
        '  await new Promise((r) => setTimeout(r, 150));\n' +
        '}'
    }
  ]);
  const t = await warren(['run', ts], env());
  expect([t.code, t.stderr]).toEqual([0, expect.any(String)]);
  expect(cellText(read(ts), 0)).toBe('a 100%\nb 99%');

  const py = writeNotebook(
    join(dir, 'progress-py.ipynb'),
    [
      {
        source:
          `import time\nfor s in ${JSON.stringify(steps)}:\n` +
          "    print(s, end='', flush=True)\n" +
          '    time.sleep(0.3)\n' +
          // Then a line over the last one, a shorter one over it, and a backspace.
          "print('c 10% of 2\\rc 2/2', flush=True)\ntime.sleep(0.3)\nprint('d12\\b3')"
      }
    ],
    'python3'
  );
  const p = await warren(['run', py], env());
  expect([p.code, p.stderr]).toEqual([0, expect.any(String)]);
  expect(cellText(read(py), 0)).toBe('a 100%\nc 2/2 of 2\nd13\n');
});

test("a later cell's display update changes the earlier cell's output in the saved notebook, as nbclient does (Python and TypeScript)", async () => {
  const py = writeNotebook(
    join(dir, 'displays.ipynb'),
    [
      {
        source:
          'from IPython.display import display\n' +
          "h = display('first', display_id=True)\n" +
          "g = display('second', display_id=True)"
      },
      { source: "h.update('updated')" },
      // Shown again under its id, a display updates where it was shown before.
      { source: "display('again', display_id=g.display_id);" }
    ],
    'python3'
  );
  const p = await warren(['run', py], env());
  expect([p.code, p.stderr]).toEqual([0, expect.any(String)]);
  const result = read(py);
  expect(result.cells.map((c) => c.outputs.map((o) => o.data?.['text/plain']))).toEqual([
    ["'updated'", "'again'"],
    [],
    ["'again'"]
  ]);

  const ts = writeNotebook(join(dir, 'displays-ts.ipynb'), [
    { source: "display.markdown('running', { id: 'status' })" },
    { source: "display.markdown('done', { id: 'status', update: true })" }
  ]);
  const t = await warren(['run', ts], env());
  expect([t.code, t.stderr]).toEqual([0, expect.any(String)]);
  expect(read(ts).cells.map((c) => c.outputs.map((o) => o.data?.['text/plain']))).toEqual([
    ['done'],
    []
  ]);
});

test('a kernel killed mid-run is saved as dead, named by its signal, with every output it sent before (Python, and TypeScript whose supervisor restarts it)', async () => {
  const py = writeNotebook(
    join(dir, 'killed.ipynb'),
    [
      { source: "print('first')" },
      {
        source:
          "import os, signal, time\nprint('last words', flush=True)\ntime.sleep(0.05)\nos.kill(os.getpid(), signal.SIGKILL)"
      },
      { source: "print('never')" }
    ],
    'python3'
  );
  const p = await warren(['run', py], env());
  expect(p.code).toBe(1);
  expect(p.stderr).toContain('dead: the kernel was killed by SIGKILL during cell 1');
  let result = read(py);
  expect([cellText(result, 0), cellText(result, 1), cellText(result, 2)]).toEqual([
    'first\n',
    'last words\n',
    ''
  ]);
  expect(result.metadata.warren).toMatchObject({ status: 'dead', cell: 1 });

  // The process the runner started (here warren's supervisor) is seen dead
  // before what its kernel sent last has been read.
  const supervisor = writeNotebook(join(dir, 'killed-supervisor.ipynb'), [
    {
      source:
        "process.kill(process.ppid, 'SIGKILL');\nawait new Promise((r) => setTimeout(r, 30));\nconsole.log('last words')"
    }
  ]);
  const s = await warren(['run', supervisor], env());
  expect(s.code).toBe(1);
  expect(s.stderr).toContain('the kernel was killed by SIGKILL during cell 0');
  expect(cellText(read(supervisor), 0)).toBe('last words\n');

  // A TypeScript kernel killed under its supervisor: the supervisor answers
  // the cell with a DeadKernelError and starts another kernel, state lost.
  const ts = writeNotebook(join(dir, 'killed-ts.ipynb'), [
    { source: "console.log('first')" },
    { source: "process.kill(process.pid, 'SIGKILL')", tags: ['raises-exception'] },
    { source: "console.log('never')" }
  ]);
  const t = await warren(['run', ts], env());
  expect(t.code).toBe(1);
  expect(t.stderr).toContain('dead: the kernel died during cell 1: it was killed (SIGKILL)');
  result = read(ts);
  expect(cellText(result, 1)).toMatch(/^DeadKernelError: the kernel died/);
  expect(result.cells[2].outputs).toEqual([]);
  expect(result.metadata.warren).toMatchObject({ status: 'dead', cell: 1 });
});

test('SIGHUP (the terminal closed) stops the run as SIGTERM does: saved as cancelled, exit 129', async () => {
  const nb = writeNotebook(join(dir, 'hup.ipynb'), [
    {
      source:
        "for (let i = 0; i < 600; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 100)); }"
    }
  ]);
  let pid = 0;
  const running = warren(['run', nb], env(), (p) => (pid = p));
  await until(() => cellText(read(nb), 0).includes('tick 3'), 30000, 'live output');
  process.kill(pid, 'SIGHUP');
  const r = await running;
  expect(r.code).toBe(129);
  const result = read(nb);
  expect(cellText(result, 0)).toMatch(/tick 3\n/);
  expect(result.metadata.warren?.status).toBe('cancelled');
});

test('an output that is a symlink stays one, and the file it points at keeps its mode', async () => {
  const nb = writeNotebook(join(dir, 'linked.ipynb'), [{ source: "console.log('saved')" }]);
  const store = tempDir('warren-run-store-');
  const real = join(store, 'results.ipynb');
  writeFileSync(real, '{}');
  chmodSync(real, 0o640);
  const out = join(dir, 'linked.out.ipynb');
  symlinkSync(real, out);
  const r = await warren(['run', nb, '-o', out], env());
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  expect(lstatSync(out).isSymbolicLink()).toBe(true);
  expect(cellText(read(real), 0)).toBe('saved\n');
  expect(statSync(real).mode & 0o777).toBe(0o640);
  expect(readdirSync(store)).toEqual(['results.ipynb']);
});

test('with large outputs the notebook is saved less often, so saving takes a small share of the run', async () => {
  // 30 MB of output, then a cell whose output comes every 10 ms for about 3 s.
  const nb = writeNotebook(join(dir, 'large.ipynb'), [
    { source: "process.stdout.write('y'.repeat(99).concat('\\n').repeat(300000))" },
    {
      source:
        "for (let i = 0; i < 300; i++) { console.log('tick ' + i); await new Promise((r) => setTimeout(r, 10)); }"
    }
  ]);
  const out = join(dir, 'large.out.ipynb');
  const saves: number[] = [];
  let last = '';
  const watch = setInterval(() => {
    try {
      const s = statSync(out);
      const now = `${s.ino}:${s.mtimeMs}`;
      if (now !== last && s.size > 1e6) saves.push(Date.now());
      last = now;
    } catch {
      // not written yet
    }
  }, 5);
  const r = await warren(['run', nb, '-o', out], env());
  clearInterval(watch);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  const result = read(out);
  expect(cellText(result, 1)).toMatch(/tick 299\n$/);
  // What one save costs here, and how long the large notebook was being saved.
  const t0 = performance.now();
  writeFileSync(join(dir, 'large.copy.json'), JSON.stringify(result, null, 1));
  const cost = performance.now() - t0;
  const span = saves[saves.length - 1] - saves[0];
  // Saving back to back (every 50 ms after the last save ended) would make
  // span / (cost + 50) saves; spaced by ten times their cost, at most
  // span / (10 * cost) and the first and last. Five times is the margin.
  expect(saves.length).toBeLessThanOrEqual(Math.floor(span / (5 * cost)) + 2);
});

test('a figure redrawn many times does not pile up in the runner: it keeps no log of every message', async () => {
  // 300 frames of 1 MB, each clearing the last: the notebook holds one.
  const nb = writeNotebook(
    join(dir, 'redraw.ipynb'),
    [
      {
        source:
          'from IPython.display import display, clear_output\n' +
          'import base64, os\n' +
          'blob = base64.b64encode(os.urandom(750000)).decode()\n' +
          'for i in range(300):\n' +
          '    clear_output(wait=True)\n' +
          "    display({'image/png': blob, 'text/plain': f'frame {i}'}, raw=True)"
      }
    ],
    'python3'
  );
  let pid = 0;
  let peakKb = 0;
  const watch = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // not started, or ended
    }
  }, 20);
  const r = await warren(['run', nb], env(), (p) => (pid = p));
  clearInterval(watch);
  expect([r.code, r.stderr]).toEqual([0, expect.any(String)]);
  expect(read(nb).cells[0].outputs.map((o) => o.data?.['text/plain'])).toEqual(['frame 299']);
  // About 120 MB here; holding every frame, 370 MB.
  expect(Math.round(peakKb / 1024)).toBeLessThan(220);
});
