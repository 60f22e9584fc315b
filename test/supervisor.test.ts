import { readFileSync, readlinkSync } from 'node:fs';
import { KernelClient } from '../kernel/client/client';
import { alive } from '../kernel/pids';
import { descendants } from '../kernel/services/processes';
import { CLI, compilerDir, launchWarren, result, tempDataDir } from './harness';

/** What a process runs, or '' once it is gone. */
function exe(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** Where V8 itself must die, the kernel says why in the cell and comes back, its state lost. */
describe('a kernel whose V8 dies', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren({ env: { WARREN_HEAP_MB: '256' } });
  });
  afterAll(async () => {
    await k.shutdown();
  });

  test('an allocation larger than V8 can make: the cell says so, state lost, and the kernel answers again', async () => {
    await k.execute('const before = 41');
    const { reply, iopub } = await k.execute(
      'new Array(2 ** 31).fill(0)',
      { stop_on_error: false },
      60000
    );
    expect(reply.content).toMatchObject({ status: 'error', ename: 'DeadKernelError' });
    expect(String(reply.content.evalue)).toMatch(/the kernel died \(.+\)\. .*state lost/);
    const error = iopub.find((m) => m.header.msg_type === 'error');
    expect(error?.content.evalue).toBe(reply.content.evalue);
    expect(iopub[iopub.length - 1].content.execution_state).toBe('idle');
    // The process Jupyter launched never went away; the new kernel runs cells.
    expect(alive(k.pid as number)).toBe(true);
    const { iopub: again } = await k.execute('1 + 1');
    expect(result(again)).toBe('2');
    const lost = await k.execute('before', { stop_on_error: false });
    expect(lost.reply.content.status).toBe('error');
  }, 120000);

  test('a request of a type the kernel does not know gets no reply, and is not taken for the cell that died', async () => {
    const unknown = k.request('shell', 'frobnicate_request', {});
    let replied = false;
    void unknown.reply.then(() => (replied = true));
    await k.execute('1');
    // Were it still owed a reply, the new kernel would answer it, as the
    // request that was running, and abort the cell that was.
    const { reply } = await k.execute(
      'new Array(2 ** 31).fill(0)',
      { stop_on_error: false },
      60000
    );
    expect(reply.content).toMatchObject({ status: 'error', ename: 'DeadKernelError' });
    expect(result((await k.execute('1 + 1')).iopub)).toBe('2');
    expect(replied).toBe(false);
  }, 120000);

  test('the heap limit is met and named; a cell queued behind the dying one is aborted', async () => {
    const dying = k.execute(
      'const hoard: object[] = []; while (true) hoard.push({ n: hoard.length, s: "x" + hoard.length })',
      { stop_on_error: false },
      90000
    );
    const queued = k.execute('"queued"', {}, 90000);
    const { reply } = await dying;
    expect(reply.content).toMatchObject({ status: 'error', ename: 'DeadKernelError' });
    expect(String(reply.content.evalue)).toMatch(/out of memory.*limit of 256 MB/);
    expect((await queued).reply.content.status).toBe('aborted');
    const { iopub } = await k.execute('"alive"');
    expect(result(iopub)).toBe("'alive'");
    const usage = await k.call('control', 'usage_request', {});
    expect(usage.reply.content.pid).toBe(k.pid);
  }, 120000);
});

describe('shutting down a kernel whose main thread never yields', () => {
  test('ends it, and no new kernel is started in its place', async () => {
    const k = await launchWarren();
    const kernels = descendants(k.pid as number);
    expect(kernels.length).toBeGreaterThan(0);
    // The checker is ready (a typed cell waited for it), so the next cell starts at once.
    await k.execute('const warm: number = 1');
    const spinning = k.execute(
      'const spin = (): Promise<void> => Promise.resolve().then(spin); void spin()',
      { stop_on_error: false }
    );
    spinning.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const { reply } = await k.call('control', 'shutdown_request', { restart: false });
    expect(reply.content.status).toBe('ok');
    expect(await k.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(kernels.filter((p) => alive(p))).toEqual([]);
    expect(k.stderr).not.toMatch(/starting a new one/);
    k.close();
  }, 60000);
});

describe('the process Jupyter launched', () => {
  async function stuckKernel() {
    const k = await launchWarren();
    const kernels = descendants(k.pid as number);
    await k.execute('const warm: number = 1');
    k.execute('const spin = (): Promise<void> => Promise.resolve().then(spin); void spin()', {
      stop_on_error: false
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    return { k, kernels };
  }

  async function gone(pids: number[], timeoutMs: number): Promise<number[]> {
    const deadline = Date.now() + timeoutMs;
    while (pids.some((p) => alive(p)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    return pids.filter((p) => alive(p));
  }

  test('ends on SIGTERM, with its kernel, even when the kernel is stuck', async () => {
    const { k, kernels } = await stuckKernel();
    process.kill(k.pid as number, 'SIGTERM');
    expect(await k.exited).toBe(0);
    expect(await gone(kernels, 3000)).toEqual([]);
    k.close();
  }, 60000);

  test('killed (SIGKILL), leaves no kernel behind holding the ports', async () => {
    const { k, kernels } = await stuckKernel();
    process.kill(k.pid as number, 'SIGKILL');
    expect(await gone(kernels, 8000)).toEqual([]);
    k.close();
  }, 60000);
});

describe('the process Jupyter launched, while its kernel runs', () => {
  /** The number on a process's status line `name` (VmRSS in kB, voluntary_ctxt_switches, ...). */
  function statusNumber(pid: number, name: string): number {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${name}:`));
    return Number(line?.split(/\s+/)[1]);
  }

  test('is the native supervisor, not Node, and holds a few MB where a Node process holds 40', async () => {
    const k = await launchWarren();
    const { iopub } = await k.execute('1 + 1');
    expect(result(iopub)).toBe('2');
    const pid = k.pid as number;
    expect(exe(pid)).toMatch(/\/lib\/kernel\/native\/warren-supervisor$/);
    const [kernel] = descendants(pid).filter((p) => exe(p) === process.execPath);
    expect(kernel).toBeDefined();
    expect(statusNumber(pid, 'VmRSS')).toBeLessThan(5 * 1024);
    expect(statusNumber(kernel, 'VmRSS')).toBeGreaterThan(20 * 1024);
    await k.shutdown();
    expect(await k.exited).toBe(0);
  }, 60000);

  test('is not woken by each request: the notes of a hundred cells are read a few times, and all of them once its kernel dies', async () => {
    const k = await launchWarren();
    try {
      await k.execute('1');
      const pid = k.pid as number;
      const wakes = () => statusNumber(pid, 'voluntary_ctxt_switches');
      const before = wakes();
      for (let i = 0; i < 100; i++) await k.execute(`${i} + 1`);
      // Two notes a request (taken, answered): a watched pipe woke it 200 times.
      expect(wakes() - before).toBeLessThan(50);
      // What the kernel noted last and no read took yet is read at its death:
      // the cell it was running is answered by the kernel after it.
      const [kernel] = descendants(pid).filter((p) => exe(p) === process.execPath);
      const dying = k.execute('while (true) {}', {}, 60_000);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(kernel, 'SIGKILL');
      const { reply } = await dying;
      expect(reply.content).toMatchObject({ status: 'error' });
      expect(String(reply.content.evalue)).toMatch(/killed \(SIGKILL\)/);
    } finally {
      await k.shutdown();
    }
  }, 120000);

  test('with WARREN_NO_SUPERVISOR=1, the kernel runs in its place, one process', async () => {
    const k = await launchWarren({ env: { WARREN_NO_SUPERVISOR: '1' } });
    const { iopub } = await k.execute('process.pid');
    expect(Number(result(iopub))).toBe(k.pid);
    expect(exe(k.pid as number)).toBe(process.execPath);
    await k.shutdown();
    expect(await k.exited).toBe(0);
  }, 60000);
});

describe('`warren kernel` typed by hand', () => {
  test('runs the kernel under the supervisor, which restarts it after V8 dies, and ends on SIGTERM', async () => {
    const k = await KernelClient.launch(
      [process.execPath, CLI, 'kernel', '-f', '{connection_file}'],
      {
        env: {
          JUPYTER_DATA_DIR: tempDataDir(),
          WARREN_COMPILER_DIR: compilerDir(),
          WARREN_COMPILER_LINGER_S: '5'
        }
      }
    );
    const [supervisor] = descendants(k.pid as number).filter((p) =>
      exe(p).endsWith('/warren-supervisor')
    );
    expect(supervisor).toBeDefined();
    const { reply } = await k.execute('process.kill(process.pid, "SIGKILL")', {
      stop_on_error: false
    });
    expect(reply.content).toMatchObject({ status: 'error', ename: 'DeadKernelError' });
    expect(String(reply.content.evalue)).toMatch(/killed \(SIGKILL\)/);
    expect(result((await k.execute('1 + 1')).iopub)).toBe('2');
    process.kill(k.pid as number, 'SIGTERM');
    expect(await k.exited).toBe(0);
    k.close();
  }, 60000);
});
