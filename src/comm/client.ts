import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import type { JSONObject } from '../contract';
import type { IServicesChannel, IWarrenServices, ServicesStatus } from '../tokens';

/**
 * One panel's comm to a target of the services kernel, with the one policy
 * every panel follows while that kernel is away (starting, restarting,
 * reconnecting, dead):
 * - a request made then is queued (at most `maxQueued`; past that the oldest
 *   is given up) and `message` says the panel is waiting for the kernel;
 * - when the comm (re)opens it is opened with `openData()` read then, so a
 *   restart brings back today's settings, not the ones of the first open,
 *   and the queue is sent in order;
 * - a request still queued after `deliverWithinMs` is given up and said so
 *   through `undelivered`, for the panel to show as its own error.
 * Requests with the same `key` replace each other in the queue (a poll, a
 * setting): only the latest goes out.
 */
export class CommClient implements IDisposable {
  constructor(options: CommClient.IOptions) {
    this._services = options.services;
    this._target = options.target;
    this._openData = options.openData ?? (() => ({}));
    this._maxQueued = options.maxQueued ?? CommClient.maxQueued;
    this._deliverWithinMs = options.deliverWithinMs ?? CommClient.deliverWithinMs;
    this._services.statusChanged.connect(this._onStatus, this);
  }

  /** Each message the kernel sends on the comm; narrow it with a contract guard. */
  get received(): ISignal<CommClient, JSONObject> {
    return this._received;
  }

  /** Each (re)open of the comm, after the queue has gone out. */
  get opened(): ISignal<CommClient, void> {
    return this._opened;
  }

  /** `status`, `message` or the queue changed. */
  get changed(): ISignal<CommClient, void> {
    return this._changed;
  }

  /** A request given up: not delivered in time, or pushed out of a full queue. */
  get undelivered(): ISignal<CommClient, CommClient.IUndelivered> {
    return this._undelivered;
  }

  /** Where the services kernel stands. */
  get status(): ServicesStatus {
    return this._services.status;
  }

  /** How many requests wait for the kernel. */
  get queued(): number {
    return this._queue.length;
  }

  /**
   * What the panel should say about the connection: that requests wait for the
   * services kernel (and why it is away), else the services' own message.
   */
  get message(): string | null {
    const why = this._services.message;
    if (this._queue.length === 0) return why;
    const n = this._queue.length;
    return (
      `${CommClient.waitingText} (${n} request${n === 1 ? '' : 's'} queued)` +
      (why ? `: ${why}` : '')
    );
  }

  /** Whether `connect` (or a `send`) has opened the channel; it may be away since. */
  get isStarted(): boolean {
    return this._channel !== null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Opens the comm (starting the services kernel if need be); a second call does nothing. */
  connect(): void {
    if (this._channel || this._disposed) return;
    const channel = this._services.openChannel(this._target, () => this._openData());
    channel.received.connect((_, message) => this._received.emit(message), this);
    channel.opened.connect(this._onOpened, this);
    this._channel = channel;
  }

  /** Sends now if the comm is open, else queues until it is (connecting if need be). */
  send(request: JSONObject, options: CommClient.ISendOptions = {}): void {
    if (this._disposed) return;
    this.connect();
    if (this._queue.length === 0 && this._channel?.send(request)) return;
    const key = options.key ?? null;
    if (key !== null) {
      const at = this._queue.findIndex((q) => q.key === key);
      if (at >= 0) this._queue.splice(at, 1);
    }
    this._queue.push({ request, key, since: Date.now() });
    while (this._queue.length > this._maxQueued) {
      const dropped = this._queue.shift();
      if (dropped)
        this._undelivered.emit({
          request: dropped.request,
          reason: `not sent: more than ${this._maxQueued} requests waited for the warren services kernel`
        });
    }
    this._arm();
    this._changed.emit();
  }

  /** Closes the comm; queued requests are dropped unsaid. Safe to call twice. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    clearTimeout(this._timer);
    this._queue.length = 0;
    this._services.statusChanged.disconnect(this._onStatus, this);
    this._channel?.dispose();
    this._channel = null;
    Signal.clearData(this);
  }

  private _onStatus(): void {
    this._flush();
    this._changed.emit();
  }

  private _onOpened(): void {
    this._flush();
    this._opened.emit();
    this._changed.emit();
  }

  /** Sends the queue in order while the comm takes it. */
  private _flush(): void {
    while (this._queue.length > 0 && this._channel?.send(this._queue[0].request))
      this._queue.shift();
    this._arm();
  }

  /** One timer, for the oldest queued request's deadline. */
  private _arm(): void {
    clearTimeout(this._timer);
    const oldest = this._queue[0];
    if (!oldest || this._disposed) return;
    const wait = Math.max(0, oldest.since + this._deliverWithinMs - Date.now());
    this._timer = setTimeout(() => this._expire(), wait);
  }

  private _expire(): void {
    const now = Date.now();
    const seconds = Math.round(this._deliverWithinMs / 1000);
    const why = this._services.message;
    while (this._queue.length > 0 && this._queue[0].since + this._deliverWithinMs <= now) {
      const late = this._queue.shift();
      if (late)
        this._undelivered.emit({
          request: late.request,
          reason:
            `not sent: the warren services kernel was not reachable for ${seconds} s` +
            (why ? ` (${why})` : '')
        });
    }
    this._arm();
    this._changed.emit();
  }

  private readonly _services: IWarrenServices;
  private readonly _target: string;
  private readonly _openData: () => JSONObject;
  private readonly _maxQueued: number;
  private readonly _deliverWithinMs: number;
  private readonly _queue: Private.IQueued[] = [];
  private readonly _received = new Signal<CommClient, JSONObject>(this);
  private readonly _opened = new Signal<CommClient, void>(this);
  private readonly _changed = new Signal<CommClient, void>(this);
  private readonly _undelivered = new Signal<CommClient, CommClient.IUndelivered>(this);
  private _channel: IServicesChannel | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _disposed = false;
}

export namespace CommClient {
  export interface IOptions {
    services: IWarrenServices;
    /** The comm target (CommTargets). */
    target: string;
    /** What the comm is opened with, read at each (re)open: the panel's current settings. */
    openData?: () => JSONObject;
    maxQueued?: number;
    deliverWithinMs?: number;
  }
  export interface ISendOptions {
    /** A queued request with the same key is replaced by this one. */
    key?: string;
  }
  export interface IUndelivered {
    request: JSONObject;
    /** Says why, for the panel to show. */
    reason: string;
  }
  /** The panels' words while requests wait. */
  export const waitingText = 'waiting for the warren services kernel…';
  /** A services kernel start can take a minute on a cold machine; past two a request is given up. */
  export const deliverWithinMs = 120000;
  export const maxQueued = 100;
}

namespace Private {
  export interface IQueued {
    request: JSONObject;
    key: string | null;
    since: number;
  }
}
