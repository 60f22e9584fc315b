import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { alive } from '../kernel/pids';
import { launchWarren, result, text, VENV_BIN } from './harness';

const DIPY = '/usr/lib/python3/dist-packages/dipy/data/files';
const work = mkdtempSync(join(tmpdir(), 'warren-shell-'));

/** Polls `probe` until it returns a value. */
async function until<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Processes whose process group is `pgid`. */
function groupAlive(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const s = readFileSync(`/proc/${e}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return Number(f[2]) === pgid && f[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('shell passthrough with real MRtrix3', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('an MRtrix3 pipeline runs from cells and its files are right', async () => {
    const steps = [
      `!mrconvert ${DIPY}/small_64D.nii -fslgrad ${DIPY}/small_64D.bvec ${DIPY}/small_64D.bval dwi.mif`,
      '!dwi2mask dwi.mif mask.mif',
      '!dwi2tensor dwi.mif -mask mask.mif dt.mif',
      '!tensor2metric dt.mif -fa fa.mif',
      '!dwi2response fa dwi.mif response.txt',
      '!dwi2fod csd dwi.mif response.txt fod.mif -mask mask.mif'
    ];
    let shown = '';
    for (const step of steps) {
      const { reply, iopub } = await k.execute(step);
      expect(reply.content.status).toBe('ok');
      shown += text(iopub);
    }
    const exit = await k.execute('shell.exitCode');
    expect(result(exit.iopub)).toBe('0');
    const size = (f: string) =>
      execFileSync('mrinfo', ['-size', join(work, f)], { encoding: 'utf8' }).trim();
    expect(size('dwi.mif')).toBe('10 10 10 65');
    expect(size('fa.mif')).toBe('10 10 10');
    expect(size('fod.mif')).toBe('10 10 10 45');
    // Progress is drawn as clean lines: no erase or mode sequences leak into the output.
    expect(shown).not.toMatch(/\x1b\[\?7[hl]|\x1b\[0?K/);
    expect(shown).toMatch(/dwi2fod: \[100%\] performing constrained spherical deconvolution/);
  }, 120000);

  test('const r = !cmd captures mrinfo output as a typed result', async () => {
    const { iopub } = await k.execute(
      'const info = !mrinfo -size fa.mif\n[info.exitCode, info.stdout.trim(), info.lines.length]'
    );
    expect(result(iopub)).toBe("[ 0, '10 10 10', 1 ]");
  });

  test('a capture past its limit keeps the first 256 M characters and says how many it dropped', async () => {
    // Past about 512 M characters a string cannot grow: the output used to end there, unsaid.
    const { iopub, reply } = await k.execute(
      "const big = !head -c 300000000 /dev/zero | tr '\\0' a\n`${big.stdout.length} ${big.dropped} ${big.exitCode}`",
      {},
      120000
    );
    expect(reply.content.status).toBe('ok');
    expect(result(iopub)).toBe(`'268435456 ${300_000_000 - 268_435_456} 0'`);
    expect(text(iopub, 'stderr')).toMatch(
      /31564544 characters past the capture limit \(256 M a stream\) were dropped/
    );
  });

  test('interrupting a long command keeps state and leaves no process of its group', async () => {
    await k.execute('const keep = "kept"');
    const running = k.execute('!sleep 30 & sleep 30', { stop_on_error: false });
    await new Promise((r) => setTimeout(r, 400));
    const sleepers = spawnSync('pgrep', ['-f', '^sleep 30$'], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number);
    expect(sleepers.length).toBeGreaterThanOrEqual(2);
    const pgid = Number(
      readFileSync(`/proc/${sleepers[0]}/stat`, 'utf8').split(') ')[1].split(' ')[2]
    );
    const t0 = performance.now();
    await k.call('control', 'interrupt_request', {});
    const { reply } = await running;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    await new Promise((r) => setTimeout(r, 100));
    expect(groupAlive(pgid)).toEqual([]);
    expect(result((await k.execute('keep')).iopub)).toBe("'kept'");
  });

  test('an interrupt ends a %%bash script whose foreground command catches SIGINT and exits 0', async () => {
    // As MRtrix3's Python scripts do: they clean up and exit. bash's
    // cooperative exit then took the interrupt for theirs and ran the next line.
    const catcher =
      '/usr/bin/python3 -c \'import signal, sys, time; signal.signal(signal.SIGINT, lambda *a: (print("cleaned up"), sys.exit(0))); time.sleep(30)\'';
    for (const cell of [
      `%%bash\n${catcher}\necho next line ran\nsleep 30`,
      `!${catcher}; echo next line ran; sleep 30`
    ]) {
      const running = k.execute(cell, { stop_on_error: false });
      const python = await until(() => {
        const pids = spawnSync('pgrep', ['-f', '^/usr/bin/python3 -c import signal'], {
          encoding: 'utf8'
        })
          .stdout.trim()
          .split('\n')
          .filter(Boolean);
        return pids.length > 0 ? Number(pids[0]) : undefined;
      }, 5000);
      await new Promise((r) => setTimeout(r, 300)); // python has reached its sleep
      const pgid = Number(
        readFileSync(`/proc/${python}/stat`, 'utf8').split(') ')[1].split(' ')[2]
      );
      const t0 = performance.now();
      await k.call('control', 'interrupt_request', {});
      const { reply, iopub } = await running;
      expect(performance.now() - t0).toBeLessThan(2000);
      expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
      expect(text(iopub)).toContain('cleaned up');
      expect(text(iopub)).not.toContain('next line ran');
      expect(groupAlive(pgid)).toEqual([]);
    }
  });

  /** The process group of the one process whose command line is exactly `cmdline`. */
  async function groupOf(cmdline: string): Promise<number> {
    const pid = await until(() => {
      const found = spawnSync('pgrep', ['-f', `^${cmdline}$`], { encoding: 'utf8' }).stdout.trim();
      return found ? Number(found.split('\n')[0]) : undefined;
    }, 5000);
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
  }

  /** Whether `cell` has replied within `ms`. */
  async function repliesWithin(cell: Promise<unknown>, ms: number): Promise<boolean> {
    return Promise.race([
      cell.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms))
    ]);
  }

  test('a second interrupt sends SIGTERM to a script that ignores SIGINT; the first leaves it running', async () => {
    const running = k.execute("%%bash\ntrap '' INT\nsleep 31.1", { stop_on_error: false });
    const pgid = await groupOf('sleep 31.1');
    await k.call('control', 'interrupt_request', {});
    expect(await repliesWithin(running, 700)).toBe(false);
    expect(groupAlive(pgid).length).toBeGreaterThan(0);
    await k.call('control', 'interrupt_request', {});
    expect(await repliesWithin(running, 2000)).toBe(true);
    expect((await running).reply.content).toMatchObject({
      status: 'error',
      ename: 'KeyboardInterrupt'
    });
    expect(groupAlive(pgid)).toEqual([]);
  });

  test('a third interrupt sends SIGKILL to a script that ignores SIGINT and SIGTERM', async () => {
    const running = k.execute("%%bash\ntrap '' INT TERM\nsleep 31.2", { stop_on_error: false });
    const pgid = await groupOf('sleep 31.2');
    await k.call('control', 'interrupt_request', {});
    expect(await repliesWithin(running, 500)).toBe(false);
    await k.call('control', 'interrupt_request', {});
    expect(await repliesWithin(running, 700)).toBe(false);
    expect(groupAlive(pgid).length).toBeGreaterThan(0);
    await k.call('control', 'interrupt_request', {});
    expect(await repliesWithin(running, 2000)).toBe(true);
    expect((await running).reply.content).toMatchObject({ ename: 'KeyboardInterrupt' });
    expect(groupAlive(pgid)).toEqual([]);
  });

  test('an interrupt reaches every command a cell runs at once, after a shorter one has ended', async () => {
    const marker = join(work, 'short-ended');
    const running = k.execute(
      'const both = Promise.all([$`sleep 33.1`, shell.run("sleep 33.2")])\n' +
        `await $\`true\`\nawait $\`touch ${marker}\`\nawait both`,
      { stop_on_error: false }
    );
    const piped = await groupOf('sleep 33.1');
    const inPty = await groupOf('sleep 33.2');
    await until(() => (existsSync(marker) ? true : undefined), 5000);
    await k.call('control', 'interrupt_request', {});
    const { reply } = await running;
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    const gone = await until(
      () => (groupAlive(piped).length + groupAlive(inPty).length === 0 ? true : undefined),
      3000
    ).catch(() => [...groupAlive(piped), ...groupAlive(inPty)]);
    expect(gone).toBe(true);
  });

  test('a background job outlives its cell: nohup, setsid and a bare & in %%bash', async () => {
    const cells = [
      '!nohup sleep 300.1 > /dev/null 2>&1 &',
      '!setsid sleep 300.2 > /dev/null 2>&1 &',
      '%%bash\nsleep 300.3 &\necho started'
    ];
    const jobs: number[] = [];
    try {
      for (const [i, cell] of cells.entries()) {
        const { reply } = await k.execute(cell);
        expect(reply.content.status).toBe('ok');
        // The hang-up that ended it came as its shell exited, before the reply.
        await new Promise((r) => setTimeout(r, 300));
        const found = spawnSync('pgrep', ['-f', `^sleep 300.${i + 1}$`], { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .filter(Boolean)
          .map(Number);
        jobs.push(...found);
        expect([cell, found.length]).toEqual([cell, 1]);
      }
    } finally {
      for (const pid of jobs) process.kill(pid, 'SIGKILL');
    }
  });

  test('a command with no background job still ends when the kernel process is killed outright (its terminal hung up)', async () => {
    const own = await launchWarren();
    try {
      const children = readFileSync(`/proc/${own.pid}/task/${own.pid}/children`, 'utf8')
        .trim()
        .split(' ')
        .map(Number);
      const kernel = children.find((c) =>
        readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('kernel-process')
      );
      expect(kernel).toBeDefined();
      own.execute('!sleep 300.4', { stop_on_error: false }).catch(() => undefined);
      const sleeper = await until(() => {
        const found = spawnSync('pgrep', ['-f', '^sleep 300.4$'], {
          encoding: 'utf8'
        }).stdout.trim();
        return found ? Number(found.split('\n')[0]) : undefined;
      }, 5000);
      process.kill(kernel!, 'SIGKILL');
      const ended = await until(() => (alive(sleeper) ? undefined : true), 5000).catch(() => false);
      if (!ended) process.kill(sleeper, 'SIGKILL');
      expect(ended).toBe(true);
    } finally {
      await own.shutdown().catch(() => undefined);
    }
  });

  test('a 100 MB flood from a command arrives complete and in order', async () => {
    const expected = createHash('sha256')
      .update(execFileSync('seq', ['1', '12000000'], { maxBuffer: 200 * 1024 * 1024 }))
      .digest('hex');
    const { reply, iopub } = await k.execute('!seq 1 12000000', {}, 240000);
    expect(reply.content.status).toBe('ok');
    const out = text(iopub);
    const lines = out.split('\n');
    const bad = lines.findIndex((l, i) => i < 12000000 && l !== String(i + 1));
    expect(
      bad === -1 ? 'none' : `line ${bad}: ${JSON.stringify(lines.slice(bad - 1, bad + 2))}`
    ).toBe('none');
    expect(out.endsWith('11999999\n12000000\n')).toBe(true);
    expect(out.length).toBeGreaterThan(90_000_000);
    expect(createHash('sha256').update(out).digest('hex')).toBe(expected);
  }, 240000);

  test('a command reading stdin gets an input_request; a silent read is a password', async () => {
    const asked: Array<[string, boolean]> = [];
    k.onInputRequest = (prompt, password) => {
      asked.push([prompt, password]);
      return password ? 'hunter2' : 'Ada';
    };
    const { iopub } = await k.execute(
      '!read -p "name? " who; read -s -p "pw: " pw; echo; echo "got $who ${#pw}"'
    );
    expect(asked).toEqual([
      ['name? ', false],
      ['pw: ', true]
    ]);
    expect(text(iopub)).toMatch(/got Ada 7/);
    expect(text(iopub)).not.toMatch(/hunter2/);
  });

  test("a password prompt on /dev/tty (getpass) and Node's readline get the input box; only the first is a password", async () => {
    const asked: Array<[string, boolean]> = [];
    k.onInputRequest = (prompt, password) => {
      asked.push([prompt, password]);
      return password ? 'hunter2' : 'Ada';
    };
    const getpass = await k.execute(
      `!python3 -c "import getpass; print('got', len(getpass.getpass('pw? ')))"`,
      {},
      30000
    );
    const readline = await k.execute(
      `!node -e "require('readline').createInterface({ input: process.stdin, output: process.stdout }).question('name? ', (a) => { console.log('got', a); process.exit(0) })"`,
      {},
      30000
    );
    k.onInputRequest = () => '';
    expect(asked).toEqual([
      ['pw? ', true],
      ['name? ', false]
    ]);
    expect(text(getpass.iopub)).toMatch(/got 7/);
    expect(text(getpass.iopub)).not.toMatch(/hunter2/);
    expect(text(readline.iopub)).toMatch(/got Ada/);
  });

  test('a read by a process the command started, two levels down, gets the input box', async () => {
    const asked: string[] = [];
    k.onInputRequest = (prompt) => {
      asked.push(prompt);
      return 'deep';
    };
    const { iopub } = await k.execute(`!sh -c 'sh -c "printf q: >&2; head -n 1"' | tr a-z A-Z`);
    k.onInputRequest = () => '';
    expect(asked).toEqual(['q:']);
    expect(text(iopub)).toBe('q:deep\nDEEP\n');
  });

  test('a pipe reading its input is not a terminal read: no input box, and the next cell runs', async () => {
    // wc's fd 0 is the pipe from sleep, not the terminal: a box for it was
    // never answered by wc and blocked JupyterLab's queue ("pending input").
    const before = k.stdinLog.length;
    const bang = await k.execute('!sleep 1 | wc -l');
    expect(bang.reply.content.status).toBe('ok');
    expect(text(bang.iopub)).toBe('0\n');
    // MRtrix3's own pipes: dwiextract waits on the image name mrconvert sends down the pipe.
    const script = await k.execute(
      `%%bash\n{ sleep 1; mrconvert -quiet ${DIPY}/small_64D.nii -fslgrad ${DIPY}/small_64D.bvec ${DIPY}/small_64D.bval - ; } | dwiextract -quiet - -bzero - | mrinfo -size -`
    );
    expect(script.reply.content.status).toBe('ok');
    expect(text(script.iopub)).toBe('10 10 10 1\n');
    expect(k.stdinLog.length).toBe(before);
    const next = await k.execute('!echo next');
    expect(next.reply.content.status).toBe('ok');
    expect(text(next.iopub)).toBe('next\n');
  });

  test('an input request is withdrawn when its read ends: a late answer never reaches the command', async () => {
    k.onInputRequest = () => null; // the user has not typed yet
    const before = k.stdinLog.length;
    const cell = k.execute('!timeout --foreground 1 head -n 1; sleep 1.5; echo "read ended: $?"');
    const asked = await until(() => k.stdinLog[before], 3000);
    // The read times out at 1 s; the user answers the box only after that.
    await new Promise((r) => setTimeout(r, 1300));
    k.inputReply(asked, 'too-late');
    const { reply, iopub } = await cell;
    expect(reply.content.status).toBe('ok');
    expect(text(iopub)).toBe('read ended: 0\n');
    expect(k.stdinLog.length).toBe(before + 1);
    // Nor is it taken as the answer to the next request.
    const next = k.execute('!read y; echo "got [$y]"');
    await until(() => k.stdinLog[before + 1], 3000);
    k.inputReply(asked, 'too-late');
    k.inputReply(k.stdinLog[before + 1], 'fresh');
    const answered = await next;
    k.onInputRequest = () => '';
    expect(text(answered.iopub)).toBe('fresh\ngot [fresh]\n');
  });

  test('hostile terminal output leaves the kernel alive and the text sane', async () => {
    // A cursor sent a trillion columns right once made the renderer allocate
    // the whole line and V8 abort; random bytes open strings that never end;
    // a 10 MB line without a newline used to be redrawn whole at each push.
    const far = await k.execute(
      '!printf "a\\x1b[999999999999Cb \\x1b[?1049h\\x1b]0;t\\x07\\x1b[' +
        '1;'.repeat(500) +
        'mc\\n"',
      { stop_on_error: false }
    );
    expect(far.reply.content.status).toBe('ok');
    expect(text(far.iopub)).toBe('a' + ' '.repeat(118) + 'b c\n');
    const random = await k.execute('!head -c 2000000 /dev/urandom', { stop_on_error: false });
    expect(random.reply.content.status).toBe('ok');
    // What may reach the text: tabs, newlines, the \r of a redrawn line, and colours (SGR);
    // once a cursor move up comes, the rest is drawn on a screen shown as a display.
    const screens = new Map<unknown, string>();
    for (const m of random.iopub)
      if (m.header.msg_type === 'display_data' || m.header.msg_type === 'update_display_data')
        screens.set(
          (m.content.transient as Record<string, unknown>).display_id,
          String((m.content.data as Record<string, unknown>)['text/plain'])
        );
    const shown = text(random.iopub) + [...screens.values()].join('\n');
    const stray = shown.replace(/\x1b\[[0-9;:]*m/g, '').match(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g);
    expect(stray).toBeNull();
    // At most one character per byte read: cursor moves stop at the margin, strings are dropped.
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThanOrEqual(2_000_000);
    const long = await k.execute("!yes | head -c 20000000 | tr -d '\\n'", {}, 120000);
    expect(text(long.iopub)).toBe('y'.repeat(10_000_000));
    const after = await k.execute('1 + 1');
    expect(after.reply.content.status).toBe('ok');
  });

  test('a bad command gives a clear message and the kernel lives on', async () => {
    const { iopub } = await k.execute('!no-such-command --x');
    expect(text(iopub)).toMatch(/no-such-command: command not found/);
    expect(result((await k.execute('shell.exitCode')).iopub)).toBe('127');
  });

  test('a failing %%bash cell is an error and stops the queue', async () => {
    const failing = k.execute('%%bash\necho before\nexit 4');
    const queued = k.execute('!echo should-not-run');
    const [a, b] = await Promise.all([failing, queued]);
    expect(a.reply.content).toMatchObject({
      status: 'error',
      ename: 'CalledProcessError',
      evalue: expect.stringContaining('status 4')
    });
    expect(text(a.iopub)).toBe('before\n');
    expect(b.reply.content.status).toBe('aborted');
  });

  test("%%bash words are the script's $1, $2... and add no line: its line numbers are as without them", async () => {
    const { iopub } = await k.execute(
      `%%bash x "a b" 'c'\\''d' {2 * 21}\necho "$LINENO $# [$2] [$3] $4"\nnosuchcmd`,
      { stop_on_error: false }
    );
    expect(text(iopub)).toMatch(
      /^1 4 \[a b\] \[c'd\] 42\n.*line 2: nosuchcmd: command not found\n$/
    );
    // A comment on the magic line ends there, as the shell reads it.
    const commented = await k.execute('%%bash a # the subject\necho "$LINENO $# $1"');
    expect(text(commented.iopub)).toBe('1 1 a\n');
  });

  test('a command killed by a signal says so', async () => {
    const { reply } = await k.execute('%%bash\nkill -KILL $$', { stop_on_error: false });
    expect(reply.content).toMatchObject({
      status: 'error',
      evalue: expect.stringContaining('SIGKILL')
    });
  });

  test('shell.raise makes a failing ! line throw', async () => {
    const { reply } = await k.execute('shell.raise = true\n!false\nconsole.log("not reached")', {
      stop_on_error: false
    });
    expect(reply.content).toMatchObject({ status: 'error', ename: 'CalledProcessError' });
    await k.execute('shell.raise = false');
  });

  test('%cd and %env persist for later cells and commands', async () => {
    await k.execute(`%cd ${tmpdir()}`);
    await k.execute('%env WARREN_TEST_VAR=fsl-like');
    const { iopub } = await k.execute('!pwd; echo $WARREN_TEST_VAR');
    expect(text(iopub)).toBe(`${tmpdir()}\nfsl-like\n`);
    await k.execute(`%cd ${work}`);
  });

  test('a pager does not hold a cell: git log and help() print through; %env PAGER still chooses', async () => {
    // Longer than the terminal's 40 rows, so less -F (git's default) would wait for a key.
    const repo = mkdtempSync(join(tmpdir(), 'warren-pager-'));
    writeFileSync(
      join(repo, 'lines.txt'),
      Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('')
    );
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo, '-c', 'user.name=w', '-c', 'user.email=w@x', ...args]);
    git('init', '-q');
    git('add', 'lines.txt');
    git('commit', '-q', '-m', 'a hundred lines');
    const before = k.stdinLog.length;
    const log = await k.execute(`!git -C ${repo} log -p --no-color`, {}, 10000);
    expect(text(log.iopub)).toMatch(/a hundred lines[^]*\+line 99\n$/);
    const help = await k.execute("!python3 -c 'help(len)'", {}, 10000);
    expect(text(help.iopub)).toMatch(/Help on built-in function len[^]*Return the number of items/);
    expect(k.stdinLog.length).toBe(before);
    await k.execute('%env PAGER=head -n 1');
    const own = await k.execute("!python3 -c 'help(len)'", {}, 10000);
    await k.execute('%env PAGER=cat');
    expect(text(own.iopub)).toMatch(/^Help on built-in function len in module builtins:\n\s*$/);
  });

  test('colour is for the terminal: a capture and a redirected file get plain text', async () => {
    // Node colours nothing where CI is set (a CI run's environment): without it, as a user runs it.
    const { iopub } = await k.execute(
      'const printed = !env -u CI node -p "[1, 2, 3]"\nJSON.stringify(printed.stdout)'
    );
    expect(result(iopub)).toBe(`'"[ 1, 2, 3 ]\\\\n"'`);
    const file = join(work, 'colour.txt');
    await k.execute(`!env -u CI node -p "[1, 2, 3]" > ${file}`);
    expect(readFileSync(file, 'utf8')).toBe('[ 1, 2, 3 ]\n');
    // In the cell's own terminal, the program still colours its output.
    const shown = await k.execute('!env -u CI node -p "[1, 2, 3]"');
    expect(text(shown.iopub)).toContain('\x1b[33m1');
    expect(text(shown.iopub).replace(/\x1b\[[0-9;]*m/g, '')).toBe('[ 1, 2, 3 ]\n');
  });

  test("a command sees the user's environment, not the malloc and linker settings warren's processes run with", async () => {
    const { iopub } = await k.execute(
      '!echo "[${MALLOC_MMAP_THRESHOLD_-unset}] [${WARREN_MMAP_THRESHOLD-unset}] [${LD_BIND_NOW-unset}] [${WARREN_BIND_NOW-unset}]"'
    );
    expect(text(iopub)).toBe('[unset] [unset] [unset] [unset]\n');
  });

  test('interpolation from TypeScript: $name, {expression} and $$', async () => {
    writeFileSync(join(work, 'subject.txt'), 'x');
    const { iopub } = await k.execute(
      'const subject = "subject"\n!ls $subject.txt; echo {2 * 21} [$$subject] $HOME'
    );
    // $$ hands a literal $ to the shell, which expands it (there is no such shell variable).
    expect(text(iopub)).toBe(`subject.txt\n42 [] ${process.env.HOME}\n`);
    // ${name} as $name: TypeScript's when there is one, else the shell's, with its operators.
    const braces = await k.execute('const f = "fa.mif"\n!echo ${subject} ${HOME} ${f%.mif}');
    expect(braces.reply.content.status).toBe('ok');
    // (the shell has no f: its ${f%.mif} is empty)
    expect(text(braces.iopub)).toBe(`subject ${process.env.HOME}\n`);
    const shellOnly = await k.execute('!g=dwi.mif; echo ${g%.mif} ${#g}');
    expect(text(shellOnly.iopub)).toBe('dwi 7\n');
  });

  test('completion offers commands from PATH and file paths in ! lines and %%bash cells', async () => {
    const c1 = await k.call('shell', 'complete_request', { code: '!mrconv', cursor_pos: 7 });
    expect(c1.reply.content.matches).toContain('mrconvert');
    expect(c1.reply.content.cursor_start).toBe(1);
    const code = '%%bash\nmrinfo fa.m';
    const c2 = await k.call('shell', 'complete_request', { code, cursor_pos: code.length });
    expect(c2.reply.content.matches).toEqual(['fa.mif']);
  });
});

describe('nested progress bars with real tqdm', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('nested tqdm bars update one display in place and end as a terminal shows them', async () => {
    writeFileSync(
      join(work, 'nested.py'),
      [
        'import time',
        'from tqdm import tqdm',
        'outer = tqdm(total=2, desc="epoch", position=0, ncols=60, mininterval=0)',
        'inner = tqdm(total=3, desc="batch", position=1, ncols=60, mininterval=0)',
        'for e in range(2):',
        '    inner.reset()',
        '    for b in range(3):',
        '        time.sleep(0.05)',
        '        inner.update()',
        '    outer.update()',
        '    tqdm.write(f"epoch {e} done")',
        'inner.close()',
        'outer.close()'
      ].join('\n')
    );
    const { reply, iopub } = await k.execute(`!${VENV_BIN}/python nested.py`, {}, 30000);
    expect(reply.content.status).toBe('ok');
    // Nothing stacked in the stream: every frame went to the display.
    expect(text(iopub) + text(iopub, 'stderr')).toBe('');
    const shown = iopub.filter(
      (m) => m.header.msg_type === 'display_data' || m.header.msg_type === 'update_display_data'
    );
    const ids = new Set(
      shown.map((m) => (m.content.transient as Record<string, unknown>).display_id)
    );
    expect(ids.size).toBe(1);
    expect(shown.filter((m) => m.header.msg_type === 'display_data')).toHaveLength(1);
    expect(shown.length).toBeGreaterThan(2);
    const last = String(
      (shown[shown.length - 1].content.data as Record<string, unknown>)['text/plain']
    );
    const lines = last.split('\n');
    expect(lines.slice(0, 2)).toEqual(['epoch 0 done', 'epoch 1 done']);
    expect(lines[2]).toMatch(/^batch: 100%\|█+\| 3\/3 /);
    expect(lines[3]).toMatch(/^epoch: 100%\|█+\| 2\/2 /);
    expect(lines).toHaveLength(4);
  });

  test('a command that moved up once and then logs goes back to the stream: one display, then the text', async () => {
    // One write (printf's would be one a line, on a terminal), so that the
    // move up finds both lines still unshown, as a terminal would show them.
    writeFileSync(join(work, 'draw.txt'), 'step 1\nstep 2\x1b[A\rstep A\n\n');
    const { reply, iopub } = await k.execute('!cat draw.txt; seq 5000', {}, 30000);
    expect(reply.content.status).toBe('ok');
    const shown = iopub.filter(
      (m) => m.header.msg_type === 'display_data' || m.header.msg_type === 'update_display_data'
    );
    // The last text of each display, in the order they began.
    const last = new Map<unknown, string>();
    for (const m of shown)
      last.set(
        (m.content.transient as Record<string, unknown>).display_id,
        String((m.content.data as Record<string, unknown>)['text/plain'])
      );
    expect(last.size).toBeGreaterThan(0);
    expect(last.size).toBeLessThanOrEqual(2);
    const lines = ['step A', 'step 2', ...Array.from({ length: 5000 }, (_, i) => String(i + 1))];
    // The displays, then the stream below them: the scrollback a terminal keeps.
    expect([...last.values()].join('\n') + '\n' + text(iopub)).toBe(lines.join('\n') + '\n');
    expect(text(iopub).split('\n').length).toBeGreaterThan(4900);
  });
});

describe("the terminal's width, as the page reports it", () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ cwd: work });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  const commId = 'terminal-width-test';
  const width = async () => {
    const { reply, iopub } = await k.execute('!tput cols');
    expect(reply.content.status).toBe('ok');
    return Number(text(iopub).trim());
  };

  test('a command gets the width the page sent; a running one is resized at once, a bad width is refused', async () => {
    expect(await width()).toBe(120);
    k.request('shell', 'comm_open', {
      comm_id: commId,
      target_name: 'warren.terminal',
      data: { columns: 87 }
    });
    expect(await width()).toBe(87);
    // A command running while the page is resized: its terminal follows, and it is told (SIGWINCH).
    const running = k.execute(
      "!trap 'echo resized to $(tput cols)' WINCH; for i in $(seq 100); do sleep 0.05; done"
    );
    await new Promise((r) => setTimeout(r, 800));
    k.request('shell', 'comm_msg', { comm_id: commId, data: { columns: 64 } });
    const { iopub } = await running;
    expect(text(iopub)).toContain('resized to 64');
    expect(await width()).toBe(64);
    // Refused, saying why, and nothing changes.
    for (const bad of [5, 80.5, '90', null]) {
      const before = k.iopubLog.length;
      k.request('shell', 'comm_msg', { comm_id: commId, data: { columns: bad } });
      const answer = await until(
        () =>
          k.iopubLog
            .slice(before)
            .find((m) => m.header.msg_type === 'comm_msg' && m.content.comm_id === commId),
        10000
      );
      expect((answer.content.data as { error: string }).error).toMatch(
        /columns are a whole number from 20 to 1000/
      );
    }
    expect(await width()).toBe(64);
  });

  test('COLUMNS set by the user wins over the page', async () => {
    await k.execute('%env COLUMNS=101');
    expect(await width()).toBe(101);
  });
});
