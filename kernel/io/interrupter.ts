import {
  closeSync,
  constants,
  openSync,
  readFileSync,
  readSync,
  readlinkSync,
  statSync
} from 'node:fs';
import { Session } from 'node:inspector';
import { descendants } from '../services/processes';

/** How long main may take to run its interrupt handler when its event loop turns. */
const DELIVERY_MS = 200;
/** How long a main thread busy in the kernel's own code may take to get back to its event loop. */
const PATIENCE_MS = 500;
/** How long a stuck main thread is watched for running before it is taken for blocked in a call. */
const SAMPLE_MS = 250;

/** Linux syscall numbers of the calls a stuck cell is seen blocked in. */
const SYSCALLS: Record<string, { read: number; openat: number }> = {
  x64: { read: 0, openat: 257 },
  arm64: { read: 63, openat: 56 }
};

/**
 * Interrupts from the io thread. Main's event loop is asked first to run its
 * interrupt handler, which ends a cell that awaits (a shell command, a timer,
 * a promise). A main that does not answer within DELIVERY_MS is busy: in a
 * cell's own synchronous code (main says so, USER_CODE), it is stuck; busy
 * anywhere else, it is stuck if it does not answer within PATIENCE_MS more.
 * How a stuck main is stopped depends on what its thread is doing:
 * - running JavaScript (a busy loop, a microtask chain, a loop in a
 *   callback): V8's terminate-execution through an inspector session on the
 *   main thread (as Deno interrupts from another thread). It unwinds that
 *   JavaScript only; V8 cancels the termination when the outermost script
 *   ends, so the kernel and every variable live on. A cell's code runs in a
 *   task of its own (user-code.ts), so the kernel's own frames on the stack
 *   are at most those of what the cell called (print, display); the kernel's
 *   own work never runs that long without yielding.
 * - blocked in the kernel (a synchronous child process, a read): terminating
 *   would wait until the call returns and then unwind the kernel's own frames,
 *   so the call is made to return instead. Child processes in the kernel's
 *   process group (what execSync and a plain spawn start; shells and mount
 *   daemons have sessions of their own) get SIGINT, and SIGKILL on a later
 *   interrupt while main is still stuck; a FIFO that main waits to open or
 *   read is opened for writing and closed, which gives the reader end-of-file.
 */
export class Interrupter {
  private strikes = 0;

  constructor(private readonly options: Interrupter.IOptions) {}

  async interrupt(): Promise<void> {
    if (await this.options.ping(DELIVERY_MS, true)) {
      this.strikes = 0;
      return;
    }
    // Odd: main is in that run of a cell's own code.
    const run = this.options.userCodeRun();
    const inUserCode = run % 2 === 1;
    if (!inUserCode && (await this.options.ping(PATIENCE_MS, false))) {
      this.strikes = 0;
      return;
    }
    this.strikes++;
    // Children in the kernel's group first: a main thread waiting on one
    // (execSync) runs now and then, reading its output, and terminating it
    // there would unwind the kernel's own frames once the call returns. A
    // third interrupt terminates anyway.
    const running = await Private.seenRunning(SAMPLE_MS);
    const children = Private.groupChildren();
    if (running && (children.length === 0 || this.strikes > 2)) {
      // Taken for stuck at once because it ran a cell's own code: should it
      // have left that run meanwhile, the termination would land in the
      // kernel's (or in the next cell), so it is looked at again as the
      // termination is sent, and if it left, main gets the time any busy
      // main gets.
      const still = inUserCode ? () => this.options.userCodeRun() === run : () => true;
      this.options.log(
        'interrupt: the main thread runs JavaScript that never yields; terminating it'
      );
      if (await Private.terminateMain(still)) return;
      if (await this.options.ping(PATIENCE_MS, false)) {
        this.strikes = 0;
        return;
      }
      await Private.terminateMain(() => true);
      return;
    }
    if (children.length > 0) {
      const signal = this.strikes > 1 ? 'SIGKILL' : 'SIGINT';
      this.options.log(
        `interrupt: the main thread waits on ${children.join(', ')}; sending ${signal}`
      );
      for (const pid of children) Private.signal(pid, signal);
      return;
    }
    const fifo = Private.blockingFifo();
    if (fifo) {
      this.options.log(`interrupt: the main thread waits on the FIFO ${fifo}; ending its read`);
      Private.release(fifo);
    }
  }
}

export namespace Interrupter {
  export interface IOptions {
    /**
     * Asks the main thread to answer (running its interrupt handler first when
     * `interrupt`); resolves false if it does not within the time.
     */
    ping(timeoutMs: number, interrupt: boolean): Promise<boolean>;
    /** Which run of a cell's own synchronous code main is in: odd while one runs. */
    userCodeRun(): number;
    log(text: string): void;
  }
}

namespace Private {
  export function signal(pid: number, s: NodeJS.Signals): void {
    try {
      process.kill(pid, s);
    } catch {
      // gone
    }
  }

  /**
   * Whether the main thread is seen running (or ready to run) within `ms`:
   * its state sampled every few milliseconds. A thread that runs JavaScript
   * without end still sleeps now and then, waiting on V8's helper threads
   * (a garbage collection), more often on a busy machine; one sample could
   * take it for a thread blocked in a call.
   */
  export async function seenRunning(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if (mainState() === 'R') return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** The main thread's scheduler state (R running, S sleeping, D in I/O), from its task's stat. */
  export function mainState(): string {
    try {
      const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch {
      return '?';
    }
  }

  /** Terminates what main runs, if `still()` holds once the session is open; whether it did. */
  export async function terminateMain(still: () => boolean): Promise<boolean> {
    const session = new Session();
    session.connectToMainThread();
    try {
      if (!still()) return false;
      await new Promise<void>((resolve) => {
        session.post('Runtime.terminateExecution', () => resolve());
        // The answer comes once main has processed it; do not wait on it for long.
        setTimeout(resolve, 1000).unref();
      });
      return true;
    } finally {
      session.disconnect();
    }
  }

  /** Living children of this process that share its process group. */
  export function groupChildren(): number[] {
    const group = processGroup(process.pid);
    return descendants(process.pid).filter((pid) => processGroup(pid) === group);
  }

  function processGroup(pid: number): number | null {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]);
    } catch {
      return null;
    }
  }

  /** The FIFO the main thread is blocked opening or reading, if it is. */
  export function blockingFifo(): string | null {
    const numbers = SYSCALLS[process.arch];
    if (!numbers) return null;
    let fields: string[];
    try {
      fields = readFileSync(`/proc/self/task/${process.pid}/syscall`, 'utf8').trim().split(' ');
    } catch {
      return null;
    }
    const nr = Number(fields[0]);
    let path: string | null = null;
    if (nr === numbers.read) {
      try {
        path = readlinkSync(`/proc/self/fd/${Number(fields[1])}`);
      } catch {
        return null;
      }
    } else if (nr === numbers.openat) {
      path = readString(BigInt(fields[2]));
    }
    if (!path) return null;
    try {
      return statSync(path).isFIFO() ? path : null;
    } catch {
      return null;
    }
  }

  /** A NUL-terminated string in this process's memory (the path an openat was given). */
  function readString(address: bigint): string | null {
    let fd: number | null = null;
    try {
      fd = openSync('/proc/self/mem', 'r');
      const buffer = Buffer.alloc(4096);
      const n = readSync(fd, buffer, 0, buffer.length, address);
      const end = buffer.subarray(0, n).indexOf(0);
      return end > 0 ? buffer.subarray(0, end).toString('utf8') : null;
    } catch {
      return null;
    } finally {
      if (fd !== null) closeSync(fd);
    }
  }

  export function release(fifo: string): void {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader any more
    }
  }
}
