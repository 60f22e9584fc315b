/**
 * Full garbage collections once the kernel has run no cell for a while. V8
 * collects the old generation only when it reaches a limit that grows with
 * it, keeps the pages it emptied, and grows its young generation over a long
 * session (to 32 MB) without giving it back while the kernel sits idle: a
 * kernel that ran 10,000 cells held 115 MB, 84 MB after 1,000. Collected
 * when quiet, it holds its live data and little more (78 MB after 10,000).
 */

/**
 * When the kernel collects, each counted from the one before, the first from
 * the end of the last cell. V8 shrinks its young generation only at a
 * collection that finds allocation slow over the 5 s before it: the second
 * one does, the first having collected (and counted) what the cells left.
 */
export const IDLE_COLLECTIONS_MS = [2000, 5000];

/**
 * Above this much used heap an idle collection does not compact, and runs
 * only when much of the heap is garbage (gc.ts): compacting a heap of
 * gigabytes of a notebook's data stops the thread for seconds, just when the
 * next cell may come.
 */
export const IDLE_COLLECTION_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Runs `collect` after each of `delaysMs` once nothing has run since the
 * last piece of work ended, and never while one runs (a cell that awaits
 * leaves the thread free, so a timer alone would fire inside it). A piece of
 * work costs a counter and a refresh of one timer: the io thread wraps each
 * message it sends.
 */
export class IdleCollection {
  private running = 0;
  /** Which of `delaysMs` the timer waits for. */
  private step = 0;
  private timer: NodeJS.Timeout | null = null;
  private disposed = false;

  constructor(
    private readonly collect: () => void,
    private readonly delaysMs = IDLE_COLLECTIONS_MS
  ) {}

  /** `work` wrapped: no collection while it runs; the quiet spell starts when it ends. */
  around<A extends unknown[], R>(work: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args) => {
      this.running++;
      try {
        return await work(...args);
      } finally {
        if (--this.running === 0) this.quiet();
      }
    };
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The quiet spell starts (again): the first delay, on the timer already set for it if any. */
  private quiet(): void {
    if (this.disposed) return;
    if (this.timer && this.step === 0) {
      this.timer.refresh();
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.wait(0);
  }

  private wait(step: number): void {
    this.step = step;
    this.timer = setTimeout(() => this.fire(), this.delaysMs[step]);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    // Work began in the spell: a new spell starts when it ends.
    if (this.running > 0) return;
    this.collect();
    if (this.step + 1 < this.delaysMs.length) this.wait(this.step + 1);
  }
}
