import { MessageChannel } from 'node:worker_threads';
import { Interrupted } from '../engine';

/**
 * Runs the synchronous part of a cell in a task of its own, and says while it
 * runs (`mark`, with a count of runs: odd while one runs), so that whoever
 * interrupts knows a busy main thread is in this run of the user's code and
 * may stop it with V8's terminate-execution (io/interrupter.ts).
 *
 * vm's `breakOnSigint` did this before, and cost each cell a watchdog thread
 * started and joined, 0.4-0.8 ms in the kernel. A termination is not caught
 * at a vm call: it unwinds every JavaScript frame on the stack. Started from
 * a message of its own, the cell's frames are the only ones there, with the
 * kernel's own that the cell called (print, display). Microtasks the cell
 * queued before it was stopped still run after it, unmarked.
 *
 * The job a termination cut short never settles; the interrupt that caused it
 * settles the cell (the engine races the two) and calls `reset`, which also
 * drops a job still waiting for its task.
 */
export class UserCode {
  private readonly channel = new MessageChannel();
  private jobs: Array<{ run: () => void; drop: () => void }> = [];
  private runs = 0;

  constructor(private readonly mark: (run: number) => void = () => undefined) {
    this.channel.port1.on('message', () => {
      const job = this.jobs.shift();
      // Idle, the channel keeps nothing alive.
      if (this.jobs.length === 0) this.channel.port1.unref();
      job?.run();
    });
    this.channel.port1.unref();
  }

  /**
   * Runs `code` in a task of its own: what it returned, boxed (a promise or
   * any thenable it returns is the cell's value, not waited for), or what it
   * threw.
   */
  run<T>(code: () => T): Promise<{ value: T }> {
    return new Promise<{ value: T }>((resolve, reject) => {
      this.jobs.push({
        run: () => {
          this.mark(++this.runs);
          let value: T;
          try {
            value = code();
          } catch (error) {
            this.mark(++this.runs);
            reject(error);
            return;
          }
          this.mark(++this.runs);
          resolve({ value });
        },
        drop: () => reject(new Interrupted())
      });
      this.channel.port1.ref();
      this.channel.port2.postMessage(null);
    });
  }

  /** After an interrupt: a run that was terminated left its mark, and a job not yet run is dropped. */
  reset(): void {
    if (this.runs % 2 === 1) this.mark(++this.runs);
    for (const job of this.jobs.splice(0)) job.drop();
    this.channel.port1.unref();
  }
}
