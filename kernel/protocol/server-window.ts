import type { PaceLimits } from './pace';

/**
 * What jupyter_server counts of a kernel's iopub, mirrored on the kernel's
 * side: it sums what came in the last `rate_limit_window` seconds and stops
 * passing messages on once that sum passes the limit for a window. So what
 * was sent in the last window and a second more is kept at 0.9 of that: the
 * server counts messages when it reads them, and a busy server reads late and
 * then many at once, so a window of its clock can hold what the kernel sent
 * over a longer span (up to a second late, unevenly, it still sees no more
 * than it allows: the pacing specs replay that through a replica of its
 * count). Beyond the window, a bucket refilled at half the limit smooths
 * what a long flood gets: room that comes back as the window moves on comes
 * back in the lumps it was spent in, and a quiet spell between lumps would
 * find none. Against the bucket alone (0.4 of a window at once, then half the
 * limit) a cell's first output gets 0.9 of a window at once: 2,700 outputs or
 * 2.7 MB, which the server passes on.
 */
export class ServerWindow {
  /** Amount the window holds at most. */
  readonly capacity: number;
  private readonly spanMs: number;
  /** What was sent, oldest first, from `head` on: when, and how much. */
  private at: number[] = [];
  private amount: number[] = [];
  private head = 0;
  private sum = 0;
  /** The bucket: refilled at half the limit, holding the window's capacity. */
  private tokens: number;
  private last = -Infinity;
  private readonly perMs: number;

  /** `perSecond`: the server's limit; `windowSeconds`: its rate_limit_window. */
  constructor(perSecond: number, windowSeconds: number) {
    this.capacity = perSecond * windowSeconds * 0.9;
    this.spanMs = (windowSeconds + LATE_S) * 1000;
    this.tokens = this.capacity;
    this.perMs = (perSecond * 0.5) / 1000;
  }

  /** What may be sent at `now` (below zero once more was sent than it held). */
  available(now: number): number {
    this.expire(now);
    return Math.min(this.capacity - this.sum, this.tokens);
  }

  spend(now: number, amount: number): void {
    this.expire(now);
    this.at.push(now);
    this.amount.push(amount);
    this.sum += amount;
    this.tokens -= amount;
  }

  /** How long from `now` until `amount` may be sent, in ms. */
  msUntil(now: number, amount: number): number {
    this.expire(now);
    const bucket = amount > this.tokens ? (amount - this.tokens) / this.perMs : 0;
    let short = amount - (this.capacity - this.sum);
    if (short <= 0) return bucket;
    for (let i = this.head; i < this.at.length; i++) {
      short -= this.amount[i];
      if (short <= 0) return Math.max(bucket, this.at[i] + this.spanMs - now);
    }
    // More than the window ever holds: as soon as all of it has expired.
    return Math.max(bucket, this.spanMs);
  }

  /** The server starts counting afresh (it saw the kernel go idle). */
  reset(): void {
    this.at = [];
    this.amount = [];
    this.head = 0;
    this.sum = 0;
    this.tokens = this.capacity;
  }

  private expire(now: number): void {
    if (now > this.last) {
      if (this.last > -Infinity)
        this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
    }
    const before = now - this.spanMs;
    while (this.head < this.at.length && this.at[this.head] <= before) {
      this.sum -= this.amount[this.head];
      this.head++;
    }
    // Compact now and then: the arrays hold at most a window's sends past head.
    if (this.head > 4096 && this.head * 2 > this.at.length) {
      this.at = this.at.slice(this.head);
      this.amount = this.amount.slice(this.head);
      this.head = 0;
    }
    if (this.head === this.at.length) this.sum = 0;
  }
}

/** How late, at most, the server may read what was sent, in seconds. */
const LATE_S = 1;

/**
 * The server's two counts of one kernel's iopub, shared by every request's
 * output: a cell's output and a timer's of an earlier cell count together, as
 * the server counts them, until it sees the kernel go idle.
 */
export class IopubBudget {
  /** Stream bytes (null: no limit). */
  readonly bytes: ServerWindow | null;
  /** Messages (null: no limit). */
  readonly messages: ServerWindow | null;

  constructor(readonly limits: PaceLimits) {
    this.bytes =
      limits.bytesPerSecond > 0
        ? new ServerWindow(limits.bytesPerSecond, limits.windowSeconds)
        : null;
    this.messages =
      limits.messagesPerSecond > 0
        ? new ServerWindow(limits.messagesPerSecond, limits.windowSeconds)
        : null;
  }

  /** The kernel published idle: jupyter_server resets both counts when it reads that. */
  idle(): void {
    this.bytes?.reset();
    this.messages?.reset();
  }
}
