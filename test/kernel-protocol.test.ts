import { execFileSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseStatParent } from '../kernel/services/gpu/owner';
import { alive } from '../kernel/pids';
import type { KernelClient } from '../kernel/client/client';
import { IDLE_COLLECTIONS_MS } from '../kernel/services/idle-collection';
import { launchWarren, result, tempDataDir, text, types } from './harness';

describe('the kernel over real ZeroMQ', () => {
  let k: KernelClient;
  const dataDir = tempDataDir();

  beforeAll(async () => {
    k = await launchWarren({ env: { JUPYTER_DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('kernel_info_reply carries status and TypeScript language_info', async () => {
    const { reply, iopub } = await k.call('shell', 'kernel_info_request', {});
    expect(reply.header.msg_type).toBe('kernel_info_reply');
    expect(reply.content.status).toBe('ok');
    expect(reply.content.protocol_version).toBe('5.5');
    expect(reply.content.supported_features).toEqual(['iopub_welcome']);
    expect(reply.content.language_info).toMatchObject({
      name: 'typescript',
      file_extension: '.ts',
      // runtimed-based clients parse a string or {name, version: int};
      // JupyterLab's CodeMirror registry finds TypeScript by this name.
      codemirror_mode: 'typescript'
    });
    expect(types(iopub)).toEqual(['status', 'status']);
  });

  test('an expression cell publishes execute_input and execute_result, then idle', async () => {
    const { reply, iopub } = await k.execute('1 + 1');
    expect(reply.content).toMatchObject({ status: 'ok' });
    expect(types(iopub)).toEqual(['status', 'execute_input', 'execute_result', 'status']);
    const result = iopub[2].content as { data: Record<string, string>; execution_count: number };
    expect(result.data['text/plain']).toBe('2');
    expect(result.execution_count).toBe(reply.content.execution_count);
  });

  test('declarations carry across cells and top-level await works', async () => {
    await k.execute('const base: number = 20; function twice(n: number) { return n * 2 }');
    const { iopub } = await k.execute(
      'await new Promise((r) => setTimeout(r, 10)); twice(base) + 2'
    );
    const result = iopub.find((m) => m.header.msg_type === 'execute_result');
    expect((result?.content.data as Record<string, string>)['text/plain']).toBe('42');
  });

  test('a thrown error gives an error message and an error reply with ename, evalue and traceback', async () => {
    const { reply, iopub } = await k.execute('throw new RangeError("out of range")', {
      stop_on_error: false
    });
    expect(reply.content).toMatchObject({
      status: 'error',
      ename: 'RangeError',
      evalue: 'out of range'
    });
    expect(Array.isArray(reply.content.traceback)).toBe(true);
    const err = iopub.find((m) => m.header.msg_type === 'error');
    expect(err?.content).toMatchObject({ ename: 'RangeError', evalue: 'out of range' });
  });

  test('a type error is reported as TSError and runs nothing', async () => {
    await k.execute('let counter = 0');
    const { reply } = await k.execute('counter = "text"; counter', { stop_on_error: false });
    expect(reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    const { iopub } = await k.execute('counter');
    expect(result(iopub)).toBe('0');
  });

  test('silent execution publishes nothing and does not count', async () => {
    const before = (await k.execute('1')).reply.content.execution_count as number;
    const { reply, iopub } = await k.execute('console.log("quiet"); 5', { silent: true });
    expect(types(iopub)).toEqual(['status', 'status']);
    const after = (await k.execute('1')).reply.content.execution_count as number;
    expect(after).toBe(before + 1);
    expect(reply.content.status).toBe('ok');
  });

  test('user_expressions are evaluated after the cell', async () => {
    await k.execute('let ue = 6');
    const { reply } = await k.execute('ue = 7', {
      user_expressions: { a: 'ue * 6', bad: 'nope.nope' }
    });
    const ue = reply.content.user_expressions as Record<
      string,
      { status: string; data?: Record<string, string>; ename?: string }
    >;
    expect(ue.a).toMatchObject({ status: 'ok', data: { 'text/plain': '42' } });
    expect(ue.bad.status).toBe('error');
  });

  test('a user expression whose value is a promise shows the promise, pending or not, and is not awaited', async () => {
    const { reply } = await k.execute('1', {
      user_expressions: { never: 'new Promise(() => {})', thenable: '({ then() {} })' }
    });
    const ue = reply.content.user_expressions as Record<
      string,
      { status: string; data?: Record<string, string> }
    >;
    expect(ue.never).toMatchObject({
      status: 'ok',
      data: { 'text/plain': 'Promise { <pending> }' }
    });
    expect(ue.thenable).toMatchObject({
      status: 'ok',
      data: { 'text/plain': '{ then: [Function: then] }' }
    });
  });

  test('stop_on_error aborts the executes queued behind a failing cell', async () => {
    // The first fails after a moment: the two behind it are queued by then,
    // however late a busy machine delivers them.
    const first = k.execute(
      'await new Promise((r) => setTimeout(r, 300)); throw new Error("first fails")'
    );
    const second = k.execute('console.log("must not run")');
    const third = k.execute('console.log("nor this")');
    const [a, b, c] = await Promise.all([first, second, third]);
    expect(a.reply.content.status).toBe('error');
    expect(b.reply.content.status).toBe('aborted');
    expect(c.reply.content.status).toBe('aborted');
    expect(text(b.iopub) + text(c.iopub)).toBe('');
    const { reply } = await k.execute('1');
    expect(reply.content.status).toBe('ok');
  });

  test('is_complete tells complete, incomplete (with indent) and invalid code apart', async () => {
    const status = async (code: string) =>
      (await k.call('shell', 'is_complete_request', { code })).reply.content;
    expect((await status('let a = 1')).status).toBe('complete');
    expect(await status('function f() {')).toEqual({ status: 'incomplete', indent: '  ' });
    expect((await status('const s = `abc')).status).toBe('incomplete');
    expect((await status('let = = 2;')).status).toBe('invalid');
    expect((await status('a b c')).status).toBe('invalid');
  });

  test('completion counts cursor positions in code points', async () => {
    await k.execute('const completeMe = { alpha: 1, beta: 2 }');
    const code = '"😀"; completeMe.al';
    const cursor = Array.from(code).length;
    const { reply } = await k.call('shell', 'complete_request', { code, cursor_pos: cursor });
    expect(reply.content.matches).toContain('alpha');
    expect(reply.content.cursor_end).toBe(cursor);
    expect(reply.content.cursor_start).toBe(cursor - 2);
  });

  test('inspect shows the type of a symbol', async () => {
    await k.execute('/** Adds one. */\nfunction addOne(n: number): number { return n + 1 }');
    const { reply } = await k.call('shell', 'inspect_request', {
      code: 'addOne',
      cursor_pos: 3,
      detail_level: 0
    });
    expect(reply.content.found).toBe(true);
    const data = reply.content.data as Record<string, string>;
    expect(data['text/plain']).toContain('addOne(n: number): number');
    expect(data['text/plain']).toContain('Adds one.');
  });

  test("inspect shows a library's documentation, which the compiler reads only when asked", async () => {
    const code = "import { readFileSync } from 'node:fs'; readFileSync('a.txt')";
    const { reply } = await k.call('shell', 'inspect_request', {
      code,
      cursor_pos: code.lastIndexOf('readFileSync') + 4,
      detail_level: 0
    });
    expect(reply.content.found).toBe(true);
    const text = (reply.content.data as Record<string, string>)['text/plain'];
    expect(text).toContain('readFileSync(path: PathOrFileDescriptor');
    expect(text).toContain('Returns the contents of the `path`.');
    expect(text).toContain('@param path');
  });

  test('display API publishes display_data and updates by display id', async () => {
    const { iopub } = await k.execute(
      'display.html("<b>a</b>", { id: "d1" }); display.markdown("**b**", { id: "d1", update: true }); display.png(new Uint8Array([1,2,3]))'
    );
    expect(types(iopub)).toEqual([
      'status',
      'execute_input',
      'display_data',
      'update_display_data',
      'display_data',
      'status'
    ]);
    expect(iopub[2].content.transient).toEqual({ display_id: 'd1' });
    expect((iopub[3].content.data as Record<string, string>)['text/markdown']).toBe('**b**');
    expect((iopub[4].content.data as Record<string, string>)['image/png']).toBe('AQID');
  });

  test('input() sends an input_request on stdin and gets the answer, passwords flagged', async () => {
    const prompts: Array<[string, boolean]> = [];
    k.onInputRequest = (prompt, password) => {
      prompts.push([prompt, password]);
      return password ? 's3cret' : 'Ada';
    };
    const { iopub } = await k.execute(
      'const who = await input("name? "); const pw = await input("pw? ", { password: true }); console.log(who, pw.length)'
    );
    expect(prompts).toEqual([
      ['name? ', false],
      ['pw? ', true]
    ]);
    expect(text(iopub)).toBe('Ada 6\n');
  });

  test('comm_info lists open comms; an unknown target is answered with comm_close', async () => {
    const commId = 'c-unknown-1';
    const { iopub } = await k.call('shell', 'comm_open', {
      comm_id: commId,
      target_name: 'no.such.target',
      data: {}
    });
    const close = iopub.find((m) => m.header.msg_type === 'comm_close');
    expect(close?.content.comm_id).toBe(commId);
    const { reply } = await k.call('shell', 'comm_info_request', {});
    expect(reply.header.msg_type).toBe('comm_info_reply');
    expect(reply.content.comms).toEqual({});
    // A comm to a real target is listed by its id, also when asked by target; once closed it is not.
    await k.call('shell', 'comm_open', {
      comm_id: 'c-mounts-1',
      target_name: 'warren.mounts',
      data: {}
    });
    const open = await k.call('shell', 'comm_info_request', {});
    expect(open.reply.content).toEqual({
      status: 'ok',
      comms: { 'c-mounts-1': { target_name: 'warren.mounts' } }
    });
    const byTarget = await k.call('shell', 'comm_info_request', { target_name: 'warren.mounts' });
    expect(byTarget.reply.content.comms).toEqual({
      'c-mounts-1': { target_name: 'warren.mounts' }
    });
    const other = await k.call('shell', 'comm_info_request', { target_name: 'warren.gpu' });
    expect(other.reply.content.comms).toEqual({});
    await k.call('shell', 'comm_close', { comm_id: 'c-mounts-1', data: {} });
    const closed = await k.call('shell', 'comm_info_request', {});
    expect(closed.reply.content.comms).toEqual({});
  });

  test('heartbeat answers within 100 ms while a cell spins, and interrupt keeps every variable', async () => {
    await k.execute('let kept = "still here"; let spins = 0');
    const running = k.execute('while (true) { spins++ }', { stop_on_error: false });
    await new Promise((r) => setTimeout(r, 300));
    const beats: number[] = [];
    for (let i = 0; i < 5; i++) beats.push(await k.heartbeat());
    expect(Math.max(...beats)).toBeLessThan(100);
    const usage = await k.call('control', 'usage_request', {});
    expect(usage.reply.content).toMatchObject({ status: 'ok', pid: k.pid });
    const t0 = performance.now();
    const { reply } = await k.call('control', 'interrupt_request', {});
    expect(reply.content.status).toBe('ok');
    const done = await running;
    const elapsed = performance.now() - t0;
    expect(done.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(elapsed).toBeLessThan(2000);
    const after = await k.execute('`${kept} after ${spins > 0 ? "spinning" : "nothing"}`');
    expect(result(after.iopub)).toBe("'still here after spinning'");
  });

  test('interrupt stops a pending await', async () => {
    const running = k.execute('await new Promise(() => {})', { stop_on_error: false });
    await new Promise((r) => setTimeout(r, 200));
    await k.call('control', 'interrupt_request', {});
    const done = await running;
    expect(done.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
  });

  test('usage_request reports the fields jupyter-resource-usage reads', async () => {
    const { reply } = await k.call('control', 'usage_request', {});
    expect(reply.header.msg_type).toBe('usage_reply');
    const c = reply.content as Record<string, unknown>;
    expect(c.hostname).toBe(hostname());
    // The pid the frontend launched (the supervisor's), as jupyter-resource-usage expects.
    expect(c.pid).toBe(k.pid);
    expect(c.cpu_count).toBe(availableParallelism());
    expect(c.kernel_memory as number).toBeGreaterThan(10 * 1024 * 1024);
    expect(c.kernel_memory as number).toBeLessThan(totalmem());
    expect(c.kernel_cpu as number).toBeGreaterThanOrEqual(0);
    expect(c.host_cpu_percent as number).toBeGreaterThanOrEqual(0);
    expect(c.host_cpu_percent as number).toBeLessThanOrEqual(100);
    const vm = c.host_virtual_memory as Record<string, number>;
    expect(vm.total).toBe(totalmem());
    expect(vm.available).toBeGreaterThan(0);
    expect(vm.available).toBeLessThanOrEqual(vm.total);
    expect(vm.used).toBe(vm.total - vm.available);
    expect(vm.percent).toBeCloseTo((100 * vm.used) / vm.total, 0);
  });

  test('a signed message sent again (a replay) is dropped and logged, and runs once', async () => {
    const header = JSON.stringify({
      msg_id: 'replayed-once',
      msg_type: 'execute_request',
      session: 's',
      username: 'u',
      date: new Date().toISOString(),
      version: '5.4'
    });
    const code = 'globalThis.replayed = ((globalThis as any).replayed ?? 0) + 1';
    const parts = [header, '{}', '{}', JSON.stringify({ code, silent: true })].map((p) =>
      Buffer.from(p)
    );
    const frames = [Buffer.from('<IDS|MSG>'), Buffer.from(k.sign(parts)), ...parts];
    await k.sendRaw('shell', frames);
    await k.sendRaw('shell', frames);
    await new Promise((r) => setTimeout(r, 300));
    expect(k.stderr).toMatch(/shell: dropped a message: a signature seen before/);
    const { iopub } = await k.execute('(globalThis as any).replayed');
    const result = iopub.find((m) => m.header.msg_type === 'execute_result');
    expect(result?.content.data).toMatchObject({ 'text/plain': '1' });
  });

  test('a message with a bad signature is dropped and logged; the kernel lives on', async () => {
    const parts = [
      '{"msg_id":"forged","msg_type":"execute_request","session":"s","username":"u","date":"","version":"5.4"}',
      '{}',
      '{}',
      '{"code":"1"}'
    ].map((s) => Buffer.from(s));
    await k.sendRaw('shell', [Buffer.from('<IDS|MSG>'), Buffer.from('0'.repeat(64)), ...parts]);
    await k.sendRaw('shell', [Buffer.from('no delimiter at all')]);
    const good = k.sign(parts.slice(0, 3).concat([Buffer.from('not json')]));
    await k.sendRaw('shell', [
      Buffer.from('<IDS|MSG>'),
      Buffer.from(good),
      ...parts.slice(0, 3),
      Buffer.from('not json')
    ]);
    const unknownType = parts.map((p, i) =>
      i === 0 ? Buffer.from(p.toString().replace('execute_request', 'frobnicate_request')) : p
    );
    await k.sendRaw('shell', [
      Buffer.from('<IDS|MSG>'),
      Buffer.from(k.sign(unknownType)),
      ...unknownType
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(k.stderr).toMatch(/dropped a message: bad signature/);
    expect(k.stderr).toMatch(/no <IDS\|MSG> delimiter/);
    expect(k.stderr).toMatch(/content is not valid JSON/);
    expect(k.stderr).toMatch(/unknown message type frobnicate_request/);
    const { reply } = await k.execute('"alive"');
    expect(reply.content.status).toBe('ok');
  });

  test('10,000 executes in a row lose no idle and no output', async () => {
    // One cell text, so the TypeScript check runs once and this measures the
    // protocol, not the checker (bench:typescript times distinct cells); each
    // execution still prints its own number, so a lost or misplaced output shows.
    await k.execute('let soakCount = 0');
    const n = 10000;
    const calls = [];
    for (let i = 0; i < n; i++) calls.push(k.execute('console.log(soakCount++)', {}, 240000));
    const results = await Promise.all(calls);
    let ok = 0;
    results.forEach((r, i) => {
      if (
        r.reply.content.status === 'ok' &&
        text(r.iopub) === `${i}\n` &&
        r.iopub[r.iopub.length - 1].content.execution_state === 'idle'
      )
        ok++;
    });
    expect(ok).toBe(n);
  }, 300000);

  test('a 100 MB output flood arrives complete and in order', async () => {
    const { reply, iopub } = await k.execute(
      'const line = "x".repeat(999_999); for (let i = 0; i < 100; i++) { console.log(String(i).padStart(3, "0") + line.slice(3)) }',
      {},
      240000
    );
    expect(reply.content.status).toBe('ok');
    const out = text(iopub);
    expect(out.length).toBe(100 * 1_000_000);
    const heads = out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(0, 3));
    expect(heads).toEqual(Array.from({ length: 100 }, (_, i) => String(i).padStart(3, '0')));
  }, 300000);

  test('history is kept across a restart: tail, range and search', async () => {
    await k.execute('const histMarker = 1');
    const tail = await k.call('shell', 'history_request', {
      output: false,
      raw: true,
      hist_access_type: 'tail',
      n: 1
    });
    const [[session, line, input]] = tail.reply.content.history as [number, number, string][];
    expect(input).toBe('const histMarker = 1');
    await k.shutdown();
    k = await launchWarren({ env: { JUPYTER_DATA_DIR: dataDir } });
    const range = await k.call('shell', 'history_request', {
      output: false,
      raw: true,
      hist_access_type: 'range',
      session,
      start: line,
      stop: line + 1
    });
    expect(range.reply.content.history).toEqual([[session, line, 'const histMarker = 1']]);
    const search = await k.call('shell', 'history_request', {
      output: false,
      raw: true,
      hist_access_type: 'search',
      pattern: 'const histMarker*',
      n: 5
    });
    const found = search.reply.content.history as [string, number, string][];
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.length).toBeLessThanOrEqual(5);
    // The glob 'const histMarker*': every entry, not just one, must match it.
    expect(found.filter(([, , source]) => !source.startsWith('const histMarker'))).toEqual([]);
  });
});

describe('transports and kernelspecs', () => {
  test('the ipc transport works', async () => {
    const k = await launchWarren({ transport: 'ipc' });
    const { iopub } = await k.execute('6 * 7');
    expect(result(iopub)).toBe('42');
    await k.shutdown();
  });

  test('the JavaScript kernel runs plain JavaScript, never refused for its types; syntax errors stop it', async () => {
    const k = await launchWarren({ language: 'javascript' });
    const info = await k.call('shell', 'kernel_info_request', {});
    expect((info.reply.content.language_info as Record<string, string>).name).toBe('javascript');
    const { iopub } = await k.execute('const o = { a: 1 }; o.a + 1');
    expect(result(iopub)).toBe('2');
    // Valid JavaScript is not refused for its types, as Node would not.
    expect(result((await k.execute("let a = 1\na = 'x'\no.b = 2\na + o.b")).iopub)).toBe("'x2'");
    const broken = await k.execute('let = = 1', { stop_on_error: false });
    expect(broken.reply.content.status).toBe('error');
    await k.shutdown();
  });

  test('shutdown_request ends the process', async () => {
    const k = await launchWarren();
    const { reply } = await k.call('control', 'shutdown_request', { restart: false });
    expect(reply.content).toMatchObject({ status: 'ok', restart: false });
    expect(await k.exited).toBe(0);
    k.close();
  });

  test('SIGTERM ends the kernel as a shutdown does: its command gone, exit 0, no abort', async () => {
    const k = await launchWarren();
    const running = k.execute('!sleep 317', { stop_on_error: false });
    running.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const sleeper = execFileSync('pgrep', ['-f', '^sleep 317$'], { encoding: 'utf8' }).trim();
    expect(sleeper).not.toBe('');
    process.kill(k.pid as number, 'SIGTERM');
    expect(await k.exited).toBe(0);
    expect(k.stderr).not.toMatch(/terminate called|Napi::Error/);
    expect(() => process.kill(Number(sleeper.split('\n')[0]), 0)).toThrow();
    k.close();
  });
});

describe('processes a cell spawned', () => {
  test('end with a shutdown: a child, a detached child and a grandchild', async () => {
    const k = await launchWarren();
    const dir = mkdtempSync(join(tmpdir(), 'warren-spawned-'));
    const { reply, iopub } = await k.execute(
      [
        "import { spawn } from 'node:child_process';",
        "const plain = spawn('sleep', ['1001']);",
        "const detached = spawn('sleep', ['1002'], { detached: true, stdio: 'ignore' });",
        `const parent = spawn('bash', ['-c', 'sleep 1003 & echo $! > ${dir}/grandchild; wait']);`,
        'console.log(plain.pid, detached.pid, parent.pid)'
      ].join('\n')
    );
    expect(reply.content.status).toBe('ok');
    const pids = text(iopub).trim().split(' ').map(Number);
    const grandchild = join(dir, 'grandchild');
    // The shell makes the file before `echo` writes to it: wait for the pid, not the file.
    const written = () => existsSync(grandchild) && readFileSync(grandchild, 'utf8').trim() !== '';
    for (let i = 0; i < 250 && !written(); i++) await new Promise((r) => setTimeout(r, 20));
    pids.push(Number(readFileSync(grandchild, 'utf8')));
    expect(pids).toHaveLength(4);
    expect(pids.filter((p) => alive(p))).toEqual(pids);
    await k.shutdown();
    expect(await k.exited).toBe(0);
    // Orphans would live on under init (as zombies at worst, which count as ended).
    expect(pids.filter((p) => alive(p))).toEqual([]);
  });
});

describe('usage_request with a GPU (replayed real H100 capture)', () => {
  test("the kernel's own GPU processes are reported", async () => {
    const k = await launchWarren({
      env: {
        PATH: `${join(__dirname, 'bin')}:${process.env.PATH}`,
        WARREN_FAKE_GPU_FIXTURE: 'h100',
        WARREN_FAKE_GPU_PID: 'parent'
      }
    });
    const { reply } = await k.call('control', 'usage_request', {});
    // compute-apps-load.csv: one process with 1386 MiB, here attributed to this kernel.
    expect(reply.content).toMatchObject({ gpu_state: 'ok', gpu_memory: 1386 * 1024 * 1024 });
    // The GPU process is the kernel process, a child of the supervisor Jupyter launched.
    const gpuPid = (reply.content.gpu_processes as { pid: number }[])[0].pid;
    expect(parseStatParent(readFileSync(`/proc/${gpuPid}/stat`, 'utf8'))).toBe(k.pid);
    await k.shutdown();
  });

  test('no nvidia-smi on PATH says no-gpu', async () => {
    const k = await launchWarren({ env: { PATH: '/usr/bin:/bin' } });
    const { reply } = await k.call('control', 'usage_request', {});
    expect(reply.content).toMatchObject({ status: 'ok', gpu_state: 'no-gpu' });
    await k.shutdown();
  });
});

describe('the first cells after launch', () => {
  test('an expression cell runs at once; a typed cell still gets its type check', async () => {
    const k = await launchWarren();
    const t0 = performance.now();
    const first = await k.execute('Math.max(3, 4) * 2');
    const firstMs = performance.now() - t0;
    expect(result(first.iopub)).toBe('8');
    // Far below the compiler's start-up: the cell did not wait for it.
    expect(firstMs).toBeLessThan(500);
    const typed = await k.execute('const s: string = 1', { stop_on_error: false });
    expect(typed.reply.content).toMatchObject({ status: 'error', ename: 'TSError' });
    await k.shutdown();
  });
});

describe('names from earlier cells', () => {
  test('work in shorthand properties and destructuring assignments', async () => {
    const k = await launchWarren();
    await k.execute('const epochs = 5; let lr = 0.1; let a = 0, b = 0;');
    const { iopub } = await k.execute(
      '({ a, b = 2 } = { a: 1 });\nJSON.stringify({ epochs, lr, a, b })'
    );
    expect(result(iopub)).toBe(`'{"epochs":5,"lr":0.1,"a":1,"b":2}'`);
    await k.shutdown();
  });
});

describe('the TypeScript checker process', () => {
  test('a cell too large for it fails with a clear error; the next cells run, every variable kept', async () => {
    const k = await launchWarren();
    await k.execute('const kept: number = 41;');
    // 2,000,000 numbers in a literal, 15 MB: refused before it reaches the checker.
    const huge = `const big: number[] = [${Array.from({ length: 2_000_000 }, (_, i) => i).join(',')}];`;
    const failed = await k.execute(huge, { stop_on_error: false }, 120_000);
    expect(failed.reply.content.status).toBe('error');
    expect(String(failed.reply.content.evalue)).toMatch(
      /this cell is 14\.9 MB of source, more than the TypeScript checker takes \(4 MB\)/
    );
    const after = await k.execute('const next: number = kept + 1; next', {}, 60_000);
    expect(after.reply.content.status).toBe('ok');
    expect(result(after.iopub)).toBe('42');
    await k.shutdown();
  });
});

describe('errors no cell catches', () => {
  test('a throw in a timer, an unawaited rejection and process.exit() are shown; the kernel lives on', async () => {
    const k = await launchWarren();
    await k.execute('const kept = 41;');
    // Thrown while the next cell runs: shown in that cell.
    await k.execute('setTimeout(() => { throw new Error("late boom") }, 50);');
    const during = await k.execute('await new Promise((r) => setTimeout(r, 300)); kept');
    expect(during.reply.content.status).toBe('ok');
    expect(text(during.iopub, 'stderr')).toMatch(/Error.*: late boom \(thrown outside any cell/);
    // Rejected and left alone: shown in the cell that did it.
    const rejected = await k.execute('Promise.reject(new Error("nobody waits")); 1');
    expect(text(rejected.iopub, 'stderr')).toMatch(
      /nobody waits \(a promise rejected that nothing awaited/
    );
    expect(text(rejected.iopub, 'stderr')).not.toMatch(/kernel\/handlers|node:internal/);
    // Thrown after every cell has finished: the kernel survives it.
    await k.execute('setTimeout(() => { throw new Error("when idle") }, 10);');
    await new Promise((r) => setTimeout(r, 200));
    const exit = await k.execute('process.exit(3)', { stop_on_error: false });
    expect(exit.reply.content).toMatchObject({ status: 'error' });
    expect(String(exit.reply.content.evalue)).toMatch(/would end the kernel/);
    const after = await k.execute('kept + 1');
    expect(result(after.iopub)).toBe('42');
    expect(k.stderr).toMatch(/thrown outside any cell, in a callback: when idle/);
    await k.shutdown();
  });
});

describe('hostile input the probe tried, kept as tests', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren();
    await k.execute('const kept: number = 41;');
  });
  afterAll(async () => {
    await k.shutdown();
  });

  async function alive(): Promise<void> {
    // The process Jupyter launched may outlive a V8 that died: the kept variable tells them apart.
    expect(await k.heartbeat()).toBeLessThan(1000);
    const after = await k.execute('kept + 1', {}, 60_000);
    expect(after.reply.content.status).toBe('ok');
    expect(result(after.iopub)).toBe('42');
  }

  test('a 50 MB execute_request is answered with a clear refusal; the kernel keeps running and its variables', async () => {
    const fifty = 50 * 1024 * 1024;
    const { reply, iopub } = await k.execute(
      `"${'x'.repeat(fifty)}".length`,
      { stop_on_error: false },
      240_000
    );
    expect(types(iopub)).toEqual(['status', 'execute_input', 'error', 'status']);
    expect(String(reply.content.evalue)).toMatch(
      /^this cell is 52\.4 MB of source, more than the TypeScript checker takes \(4 MB\); every variable is kept/
    );
    await alive();
  }, 300_000);

  test('a 50 MB field in an execute_request is read and the cell runs', async () => {
    const { reply, iopub } = await k.execute(
      'kept + 1',
      { padding: 'y'.repeat(50 * 1024 * 1024) },
      240_000
    );
    expect(reply.content.status).toBe('ok');
    expect(result(iopub)).toBe('42');
    await alive();
  }, 300_000);

  test('huge allocations that throw are errors in their cell; the kernel lives on with its variables', async () => {
    for (const [code, message] of [
      ['const b1 = Buffer.alloc(2 ** 40);', /The value of "size" is out of range/],
      ['const b2 = new ArrayBuffer(2 ** 40);', /Array buffer allocation failed/],
      ["const s1 = 'x'.repeat(2 ** 30);", /Invalid string length/]
    ] as const) {
      const { reply, iopub } = await k.execute(code, { stop_on_error: false }, 60_000);
      expect(reply.content).toMatchObject({ status: 'error', ename: 'RangeError' });
      expect(String(reply.content.evalue)).toMatch(message);
      expect(iopub.find((m) => m.header.msg_type === 'error')?.content.ename).toBe('RangeError');
      await alive();
    }
  }, 300_000);
});

describe('memory a kernel gives back', () => {
  test('once idle, a kernel that dropped more garbage than its compaction limit gives it back', async () => {
    const k = await launchWarren();
    try {
      const rss = async () => {
        const { reply } = await k.call('control', 'usage_request', {});
        return (reply.content.kernel_memory as number) / 1048576;
      };
      // 320 MB of arrays that reach V8's old generation, held while the
      // kernel's size is read (a reading taken once they were garbage could
      // come after a collection, on a busy machine), then dropped: above
      // IDLE_COLLECTION_MAX_BYTES until collected.
      const { reply } = await k.execute(
        [
          'let held: number[][] = [];',
          'for (let i = 0; i < 40; i++) held.push(new Array(1e6).fill(i + 0.5));'
        ].join('\n')
      );
      expect(reply.content.status).toBe('ok');
      const full = await rss();
      expect(full).toBeGreaterThan(300);
      expect((await k.execute('held = []; 0')).reply.content.status).toBe('ok');
      await new Promise((r) => setTimeout(r, IDLE_COLLECTIONS_MS.reduce((a, b) => a + b) + 1000));
      expect(await rss()).toBeLessThan(full - 250);
      // The kernel's threads took V8's gc for themselves: cells see none.
      const seen = await k.execute(
        "[typeof gc, (await import('node:vm')).runInNewContext('typeof gc')].join(' ')"
      );
      expect(result(seen.iopub)).toBe("'undefined undefined'");
    } finally {
      await k.shutdown();
    }
  }, 60_000);
});
