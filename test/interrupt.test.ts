import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelClient } from '../kernel/client/client';
import { alive } from '../kernel/pids';
import { launchWarren, result } from './harness';

/** Interrupts that SIGINT alone cannot deliver: the main thread never returns to its event loop. */
describe('interrupting a main thread that never yields', () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await launchWarren();
    await k.execute('const keptAcrossInterrupts = "kept"');
  });
  afterAll(async () => {
    await k.shutdown();
  });

  /** An interrupt_request on control, as JupyterLab sends it (the kernelspec's message mode). */
  async function interruptRequest() {
    const { reply } = await k.call('control', 'interrupt_request', {}, 5000);
    expect(reply.content.status).toBe('ok');
  }

  async function interruptAfter(
    ms: number,
    code: string,
    times = 1,
    extra = {},
    interrupt: () => Promise<void> = interruptRequest
  ) {
    // Counted from when the kernel takes the cell (its execute_input): on a
    // busy machine the request may reach it late, and an interrupt that
    // finds no cell running is meant to leave the next one alone.
    const taken = new Promise<void>((resolve) => {
      k.onIopub = (m) => {
        if (m.header.msg_type !== 'execute_input') return;
        k.onIopub = null;
        resolve();
      };
    });
    const running = k.execute(code, { stop_on_error: false, ...extra }, 30000);
    await taken;
    await new Promise((r) => setTimeout(r, ms));
    for (let i = 0; i < times; i++) {
      await interrupt();
      if (i + 1 < times) await new Promise((r) => setTimeout(r, 500));
    }
    const t0 = performance.now();
    const done = await running;
    return { ...done, ms: performance.now() - t0 };
  }

  async function stillAlive() {
    const { iopub } = await k.execute('keptAcrossInterrupts + " " + (6 * 7)');
    expect(result(iopub)).toBe("'kept 42'");
  }

  test('an interrupt that finds no cell running leaves the next cell alone', async () => {
    for (let i = 0; i < 10; i++) {
      const { reply } = await k.call('control', 'interrupt_request', {}, 5000);
      expect(reply.content.status).toBe('ok');
      const { iopub } = await k.execute(
        `await new Promise((r) => setTimeout(r, 20)); keptAcrossInterrupts + ${i}`
      );
      expect(result(iopub)).toBe(`'kept${i}'`);
    }
  });

  test('an endless microtask chain stops on interrupt; every variable is kept', async () => {
    const done = await interruptAfter(
      500,
      'let hops = 0; const hop = (): Promise<void> => Promise.resolve().then(() => { hops++; return hop() }); void hop()'
    );
    expect(done.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(done.ms).toBeLessThan(3000);
    await stillAlive();
  });

  test("SIGINT to the kernel's process group, as jupyter_client's signal mode sends it, stops a busy loop", async () => {
    const done = await interruptAfter(500, 'while (true) {}', 1, {}, async () => {
      process.kill(-(k.pid as number), 'SIGINT');
    });
    expect(done.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(done.ms).toBeLessThan(3000);
    await stillAlive();
    // One interrupt, not two: the next cells run.
    for (let i = 0; i < 3; i++)
      expect(result((await k.execute(`${i} + 1`)).iopub)).toBe(`${i + 1}`);
  });

  test('execSync("sleep 100") stops on interrupt, and its child is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-int-'));
    const done = await interruptAfter(
      800,
      `import { execSync } from 'node:child_process'; execSync("echo $$ > ${dir}/pid; exec sleep 100")`
    );
    expect(done.reply.content.status).toBe('error');
    expect(done.ms).toBeLessThan(3000);
    const pid = Number(execFileSync('cat', [join(dir, 'pid')], { encoding: 'utf8' }).trim());
    expect(alive(pid)).toBe(false);
    await stillAlive();
  });

  test('execSync of a command that ignores SIGINT stops on a second interrupt (SIGKILL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-int-'));
    const done = await interruptAfter(
      800,
      `import { execSync } from 'node:child_process'; execSync("trap '' INT; echo $$ > ${dir}/pid; sleep 100; echo survived")`,
      2
    );
    expect(done.reply.content.status).toBe('error');
    expect(String(done.reply.content.evalue)).not.toMatch(/survived/);
    const pid = Number(execFileSync('cat', [join(dir, 'pid')], { encoding: 'utf8' }).trim());
    expect(alive(pid)).toBe(false);
    await stillAlive();
  });

  test('a user expression that never ends stops on interrupt; the reply comes and the kernel goes on', async () => {
    const done = await interruptAfter(800, 'const beforeTheExpression = 1', 1, {
      user_expressions: { loop: '(() => { for (;;) {} })()' }
    });
    const ue = done.reply.content.user_expressions as Record<string, { ename?: string }>;
    expect(ue.loop.ename).toBe('KeyboardInterrupt');
    await stillAlive();
  });

  test('a blocking read of a FIFO nobody writes stops on interrupt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warren-int-'));
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const done = await interruptAfter(
      800,
      `import { readFileSync } from 'node:fs'; readFileSync(${JSON.stringify(fifo)}, 'utf8')`
    );
    expect(done.reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(done.ms).toBeLessThan(3000);
    await stillAlive();
  });
});
