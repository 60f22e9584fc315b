import { Worker } from 'node:worker_threads';
import type { JSONObject } from '../../src/contract';
import type { ReceiveChannel, SendChannel, ToIo, ToMain } from './bridge';
import { HARD_LIMIT, HIGH_WATER, LOW_WATER, PENDING, SLOTS, USER_CODE, WANT_DRAIN } from './bridge';
import type { ConnectionInfo } from '../wire/connection';
import type { RawMessage, Transport } from '../protocol/transport';
import { exitKernel } from '../exit';

/**
 * The io thread's young generation, in MB (V8 gives a third of it to each
 * semi-space: 1 MB). V8 grows a busy young generation up to 16 MB
 * semi-spaces, and gives it back only at a collection that finds allocation
 * slow, which the io thread does not make (it collects only after a flood,
 * thread.ts): a kernel idle after 1,000 cells that came one after another
 * held 5-7 MB more than one whose cells came 25 ms apart (53-55 against 47-48
 * MB), and a bench's memory figure depended on what else ran beside it. Each
 * message leaves the thread a few kB of short-lived objects (its frames are
 * Buffers, outside the heap): at 1 MB a scavenge is still rare, and a `!`
 * flood ran as fast (33 against 31 MB/s, two runs each).
 */
export const IO_YOUNG_GENERATION_MB = 3;

/** The main thread's side of the io thread: a `Transport` over a worker. */
export class IoTransport implements Transport {
  private readonly worker: Worker;
  private readonly counters = new Int32Array(new SharedArrayBuffer(4 * SLOTS));
  private messageHandler: (channel: ReceiveChannel, raw: RawMessage) => void = () => {};
  private shutdownHandler: (restart: boolean) => Promise<void> = async () => {};
  private interruptHandler: () => void = () => {};
  private roomWaiters: Array<() => void> = [];
  private closed = false;
  readonly ready: Promise<void>;

  constructor(options: IoTransport.IOptions) {
    this.worker = new Worker(options.entry, {
      workerData: {
        connection: options.connection,
        session: options.session,
        kernelInfo: options.kernelInfo,
        shared: this.counters.buffer
      },
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: IO_YOUNG_GENERATION_MB }
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.on('message', (m: ToMain) => {
        switch (m.op) {
          case 'ready':
            resolve();
            break;
          case 'message':
            this.messageHandler(m.channel, m.raw);
            break;
          case 'drain':
            this.wakeRoomWaiters();
            break;
          case 'shutdown':
            void this.shutdownHandler(m.restart).finally(() => this.post({ op: 'released' }));
            break;
          case 'closed':
            this.closed = true;
            break;
          case 'log':
            process.stderr.write(`[warren] ${m.text}\n`);
            break;
          case 'ping':
            if (m.interrupt) this.interruptHandler();
            this.post({ op: 'pong', id: m.id });
            break;
        }
      });
    });
    this.worker.on('exit', (code) => {
      if (this.closed) exitKernel(0);
      process.stderr.write(`[warren] io thread exited (${code}); the kernel cannot go on\n`);
      exitKernel(1);
    });
  }

  send(channel: SendChannel, raw: RawMessage): void {
    const bytes =
      channel === 'iopub' ? raw.content.length + raw.header.length + raw.parent.length : 0;
    this.post({ op: 'send', channel, raw, bytes });
    // Counted once posted: a termination between the two (a cell that prints
    // in a loop, interrupted) leaves the count short, never held for good.
    if (bytes) Atomics.add(this.counters, PENDING, bytes);
  }

  onMessage(handler: (channel: ReceiveChannel, raw: RawMessage) => void): void {
    this.messageHandler = handler;
  }

  onShutdown(handler: (restart: boolean) => Promise<void>): void {
    this.shutdownHandler = handler;
  }

  onInterrupt(handler: () => void): void {
    this.interruptHandler = handler;
  }

  /** Ends the kernel as a shutdown_request would (for SIGTERM): main's resources first, then the sockets. */
  stop(): void {
    void this.shutdownHandler(false).finally(() => {
      this.post({ op: 'stop' });
      // Should the io thread not end, the process ends anyway.
      setTimeout(() => exitKernel(0), 3000).unref();
    });
  }

  pendingBytes(): number {
    return Atomics.load(this.counters, PENDING);
  }

  room(): Promise<void> {
    if (this.pendingBytes() < HIGH_WATER) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.roomWaiters.push(resolve);
      Atomics.store(this.counters, WANT_DRAIN, 1);
      // The io thread may have drained between the check and the flag.
      if (this.pendingBytes() < LOW_WATER) {
        this.wakeRoomWaiters();
      }
    });
  }

  /** Tells the io thread which run of a cell's own code main is in: odd while one runs (see USER_CODE). */
  markUserCode(run: number): void {
    Atomics.store(this.counters, USER_CODE, run);
  }

  blockWhileFull(): void {
    for (;;) {
      const pending = Atomics.load(this.counters, PENDING);
      if (pending < HARD_LIMIT) {
        return;
      }
      Atomics.wait(this.counters, PENDING, pending, 100);
    }
  }

  unanswered(msgId: string): void {
    this.post({ op: 'unanswered', msgId });
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    waiters.forEach((w) => w());
  }

  private post(m: ToIo): void {
    this.worker.postMessage(m);
  }
}

export namespace IoTransport {
  export interface IOptions {
    /** The compiled io thread entry (kernel/io/thread.js). */
    entry: string;
    connection: ConnectionInfo;
    session: string;
    kernelInfo: JSONObject;
  }
}
