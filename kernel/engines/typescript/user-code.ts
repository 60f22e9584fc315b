import { MessageChannel } from 'node:worker_threads';

/**
 * Runs the synchronous part of a cell in a task of its own, and says while it
 * runs (`mark`), so that whoever interrupts knows a busy main thread is in the
 * user's code and may stop it with V8's terminate-execution (io/interrupter.ts).
 *
 * vm's `breakOnSigint` did this before, and cost each cell a watchdog thread
 * started and joined, 0.4-0.8 ms in the kernel. A termination is not caught
 * at a vm call: it unwinds every JavaScript frame on the stack. Started from
 * a message of its own, the cell's frames are the only ones there, and the
 * queue of microtasks, which V8 empties on a termination, holds only what the
 * cell queued itself. The job a termination cut short never settles; the
 * interrupt that caused it settles the cell (the engine races the two) and
 * calls `reset`.
 */
export class UserCode {
  private readonly channel = new MessageChannel();
  private jobs: Array<() => void> = [];

  constructor(private readonly mark: (running: boolean) => void = () => undefined) {
    this.channel.port1.on('message', () => {
      const job = this.jobs.shift();
      // Idle, the channel keeps nothing alive.
      if (this.jobs.length === 0) this.channel.port1.unref();
      job?.();
    });
    this.channel.port1.unref();
  }

  /** Runs `code` in a task of its own; its value or what it threw. */
  run<T>(code: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        this.mark(true);
        let value: T;
        try {
          value = code();
        } catch (error) {
          this.mark(false);
          reject(error);
          return;
        }
        this.mark(false);
        resolve(value);
      });
      this.channel.port1.ref();
      this.channel.port2.postMessage(null);
    });
  }

  /** After an interrupt: a run that was terminated left its mark. */
  reset(): void {
    this.mark(false);
  }
}
