/**
 * The process Jupyter launches. It runs the kernel as a child process with a
 * heap limit, and outlives it: where V8 itself must die (the heap limit, an
 * allocation larger than V8 allows, a kill by the system), the supervisor
 * starts a new kernel on the same ports, which tells the cell that was
 * running why the kernel died and that its state is lost, and answers the
 * requests the dead one had taken. The supervisor holds no socket; it knows
 * the pending requests from one line per request and reply that the kernel's
 * io thread writes to it (fd 3).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Afterlife, PendingRequest, SupervisorNote } from './io/afterlife';
import { withFixedMmapThreshold } from './malloc';

/**
 * A kernel that dies this soon after it started, before taking any request,
 * has a fault at start-up: it is not started again.
 */
const QUICK_DEATH_MS = 3000;
const STDERR_TAIL = 16 * 1024;

/**
 * The heap limit the kernel is started with: WARREN_HEAP_MB, passed as
 * --max-old-space-size, or null for V8's own (a quarter of the machine's
 * memory, at most about 4 GB), which keeps the kernel's heap below the
 * machine's memory, so it meets V8's limit, which can be reported, before
 * the system's OOM killer. The TypeScript compiler is a process of its own,
 * with its own cap (COMPILER_HEAP_MB), which this does not change.
 */
export function heapLimitMb(env: NodeJS.ProcessEnv = process.env): number | null {
  const asked = Number(env.WARREN_HEAP_MB);
  return Number.isInteger(asked) && asked >= 64 ? asked : null;
}

export async function supervise(cli: string, args: string[]): Promise<number> {
  const heapMb = heapLimitMb();
  const dir = mkdtempSync(join(tmpdir(), 'warren-supervisor-'));
  // Signal mode: jupyter_client signals the whole process group. The
  // supervisor passes SIGINT on to its kernel's io thread (runKernel), and
  // is not ended by it.
  process.on('SIGINT', () => {});
  let afterlife: string | null = null;
  for (let generation = 0; ; generation++) {
    const started = Date.now();
    const outcome = await Private.runKernel(cli, args, heapMb, afterlife);
    if (outcome.signal === null && outcome.code !== null && outcome.code <= 2) {
      return outcome.code; // shutdown (0), or a start-up error the kernel reported
    }
    if (outcome.stopping) return 0;
    const reason = Private.reason(outcome);
    process.stderr.write(`[warren] the kernel died: ${reason}; starting a new one\n`);
    if (Date.now() - started < QUICK_DEATH_MS && outcome.requests === 0) {
      process.stderr.write('[warren] it died again at once: giving up\n');
      return 1;
    }
    const file = join(dir, `afterlife-${generation}.json`);
    const note: Afterlife = { reason, pending: outcome.pending };
    writeFileSync(file, JSON.stringify(note));
    afterlife = file;
  }
}

namespace Private {
  export interface Outcome {
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
    pending: PendingRequest[];
    /** The supervisor (SIGTERM) or the kernel (shutdown_request) was asked to stop. */
    stopping: boolean;
    /** The kernel's heap limit in MB, as it reported it. */
    heapLimit: number | null;
    /** How many requests it took. */
    requests: number;
  }

  export function runKernel(
    cli: string,
    args: string[],
    heapMb: number | null,
    afterlife: string | null
  ): Promise<Outcome> {
    const env = withFixedMmapThreshold({
      ...process.env,
      WARREN_SUPERVISOR_PID: String(process.pid)
    });
    if (afterlife) env.WARREN_AFTERLIFE = afterlife;
    else delete env.WARREN_AFTERLIFE;
    const flags = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
    const child = spawn(process.execPath, [...flags, cli, 'kernel-process', ...args], {
      env,
      // fd 3: the kernel's notes (io/afterlife.ts); fd 4: interrupts, read by its io thread.
      stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'pipe']
    });
    let heapLimit: number | null = heapMb;
    let requests = 0;
    const pending = new Map<string, PendingRequest>();
    let stderr = '';
    let stopping = false;
    child.stderr?.on('data', (d: Buffer) => {
      process.stderr.write(d);
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    let partial = '';
    const notes = child.stdio[3] as NodeJS.ReadableStream | null;
    notes?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line) continue;
        const note = JSON.parse(line) as SupervisorNote;
        if (note.op === 'received') {
          requests++;
          pending.set(note.request.msgId, note.request);
        } else if (note.op === 'replied') pending.delete(note.msgId);
        else if (note.op === 'stopping') stopping = true;
        else heapLimit = heapMb ?? note.limitMb;
      }
    });
    let kill: NodeJS.Timeout | null = null;
    const forward = (signal: NodeJS.Signals) => () => {
      stopping = true;
      child.kill(signal);
      // A kernel whose main thread is stuck cannot run its SIGTERM handler.
      kill ??= setTimeout(() => child.kill('SIGKILL'), 5000);
    };
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    // A signal reaches only the main thread, which a busy cell holds: the io
    // thread, which can stop the cell, gets it as a byte on its pipe instead.
    const interrupts = child.stdio[4] as NodeJS.WritableStream | null;
    interrupts?.on('error', () => undefined);
    const onInt = () => interrupts?.write('i');
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    process.on('SIGINT', onInt);
    return new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (kill) clearTimeout(kill);
        process.off('SIGTERM', onTerm);
        process.off('SIGHUP', onHup);
        process.off('SIGINT', onInt);
        resolve({
          code,
          signal,
          stderr,
          pending: [...pending.values()],
          stopping,
          heapLimit,
          requests
        });
      });
    });
  }

  /** Why the kernel died, in words for the cell. */
  export function reason(outcome: Outcome): string {
    const tail = outcome.stderr;
    if (/heap out of memory|Reached heap limit/.test(tail)) {
      const limit = outcome.heapLimit ? ` of ${outcome.heapLimit} MB` : '';
      return `it ran out of memory: its JavaScript heap reached its limit${limit} (WARREN_HEAP_MB sets another)`;
    }
    if (/invalid (array|table|size)|Invalid array length|invalid size error/i.test(tail)) {
      return 'a single allocation was larger than V8 can make (an array or string of billions of elements)';
    }
    if (outcome.signal === 'SIGKILL') {
      return 'it was killed (SIGKILL): the system may have run out of memory';
    }
    return outcome.signal
      ? `it was ended by ${outcome.signal}`
      : `it exited with code ${String(outcome.code)}`;
  }
}
