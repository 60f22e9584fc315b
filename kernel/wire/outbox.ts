/**
 * A bounded send queue for one socket. zeromq.js 6 rejects a send issued while
 * another is still pending on the same socket (EBUSY); a peer that fires sends
 * without awaiting them loses messages, `status: idle` among them. Every send
 * here goes through one loop that awaits each in turn.
 */
export class Outbox {
  private readonly queue: Array<{ frames: Buffer[]; weight: number }> = [];
  private running = false;
  private queuedBytes = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly send: (frames: Buffer[]) => Promise<void>,
    private readonly options: Outbox.IOptions = {}
  ) {}

  get bytes(): number {
    return this.queuedBytes;
  }

  get length(): number {
    return this.queue.length;
  }

  /** Queues frames; `weight` (default: their size) is what `onSent` reports back. */
  push(frames: Buffer[], weight = Private.size(frames)): void {
    this.queue.push({ frames, weight });
    this.queuedBytes += weight;
    if (!this.running) {
      void this.pump();
    }
  }

  /** Resolves when everything queued so far has been handed to the socket. */
  drained(): Promise<void> {
    if (!this.running && this.queue.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private async pump(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const { frames, weight } = this.queue.shift()!;
      try {
        await this.send(frames);
      } catch (error) {
        this.options.onError?.(error);
      }
      this.queuedBytes -= weight;
      this.options.onSent?.(weight);
    }
    this.running = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    waiters.forEach((w) => w());
  }
}

export namespace Outbox {
  export interface IOptions {
    onSent?: (bytes: number) => void;
    onError?: (error: unknown) => void;
  }
}

namespace Private {
  export function size(frames: Buffer[]): number {
    let n = 0;
    for (const f of frames) {
      n += f.length;
    }
    return n;
  }
}
