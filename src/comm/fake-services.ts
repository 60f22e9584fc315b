import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import type { JSONObject } from '../contract';
import type { IServicesChannel, IWarrenServices, OpenData, ServicesStatus } from '../tokens';

/**
 * An in-memory services kernel for the specs of the comm client and the panel
 * models, as xeus tests its kernel against a mock server: `up()` opens every
 * channel's comm (reading its open data then, as comm/session.ts does),
 * `away()` drops them, and each channel records what was sent on it. Only
 * specs import this (eslint.config.mjs says so).
 */
export class FakeServices implements IWarrenServices {
  readonly channels: FakeChannel[] = [];

  get status(): ServicesStatus {
    return this._status;
  }

  get message(): string | null {
    return this._message;
  }

  get statusChanged(): ISignal<IWarrenServices, ServicesStatus> {
    return this._statusChanged;
  }

  get kernelId(): string | null {
    return this._status === 'connected' ? 'k1' : null;
  }

  openChannel(target: string, data: OpenData = {}): IServicesChannel {
    const channel = new FakeChannel(target, data);
    this.channels.push(channel);
    if (this._status === 'connected') channel.attach();
    return channel;
  }

  async restart(): Promise<void> {
    this.away('restarting', 'the services kernel is restarting');
    this.up();
  }

  /** The kernel answers: every channel's comm opens, then the status says so. */
  up(): void {
    for (const c of this.channels) if (!c.isDisposed) c.attach();
    this._set('connected', null);
  }

  /** The kernel goes away: comms are dropped. */
  away(status: ServicesStatus = 'dead', message: string | null = 'the services kernel died'): void {
    for (const c of this.channels) c.detach();
    this._set(status, message);
  }

  /** The one channel open to a target. */
  channel(target: string): FakeChannel {
    const found = this.channels.filter((c) => c.target === target && !c.isDisposed);
    if (found.length !== 1) throw new Error(`${found.length} channels to ${target}`);
    return found[0];
  }

  private _set(status: ServicesStatus, message: string | null): void {
    this._status = status;
    this._message = message;
    this._statusChanged.emit(status);
  }

  private _status: ServicesStatus = 'idle';
  private _message: string | null = null;
  private readonly _statusChanged = new Signal<IWarrenServices, ServicesStatus>(this);
}

export class FakeChannel implements IServicesChannel {
  constructor(
    readonly target: string,
    private readonly _data: OpenData
  ) {}

  /** What the comm was opened with, each time it opened. */
  readonly opens: JSONObject[] = [];
  /** What was delivered to the kernel, in order. */
  readonly sent: JSONObject[] = [];

  get received(): ISignal<IServicesChannel, JSONObject> {
    return this._received;
  }

  get opened(): ISignal<IServicesChannel, void> {
    return this._opened;
  }

  get isOpen(): boolean {
    return this._open;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  attach(): void {
    if (this._disposed) return;
    this._open = true;
    this.opens.push(typeof this._data === 'function' ? this._data() : this._data);
    this._opened.emit();
  }

  detach(): void {
    this._open = false;
  }

  /** The kernel sends a message on the comm. */
  receive(message: JSONObject): void {
    this._received.emit(message);
  }

  send(data: JSONObject): boolean {
    if (!this._open || this._disposed) return false;
    this.sent.push(data);
    return true;
  }

  dispose(): void {
    this._disposed = true;
    this._open = false;
  }

  private _open = false;
  private _disposed = false;
  private readonly _received = new Signal<IServicesChannel, JSONObject>(this);
  private readonly _opened = new Signal<IServicesChannel, void>(this);
}
