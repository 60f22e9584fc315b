import type { Kernel, KernelMessage, Session } from '@jupyterlab/services';
import type { JSONObject as LuminoJSONObject } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { isJSONObject, ServicesSession } from '../contract';
import type { JSONObject } from '../contract';
import type { IServicesChannel, IWarrenServices, OpenData, ServicesStatus } from '../tokens';

/**
 * The shared background warren session. Every browser tab asks the server for
 * the session at the same fixed path, and jupyter_server answers a POST for an
 * existing path with that session, so all tabs share one kernel even when they
 * race to start it. The panels never use the user's notebook kernel: a busy
 * loop in a cell must not freeze them.
 */
export class WarrenServices implements IWarrenServices {
  constructor(options: WarrenServices.IOptions) {
    this._sessions = options.sessions;
    this._path = options.path ?? WarrenServices.defaultPath;
    this._kernelName = options.kernelName ?? 'warren';
  }

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
    return this._session?.kernel?.id ?? null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  openChannel(target: string, data: OpenData = {}): IServicesChannel {
    const channel = new Channel(target, data, () => this._channels.delete(channel));
    this._channels.add(channel);
    if (this._status === 'connected' && this._session?.kernel) channel.attach(this._session.kernel);
    else void this._ensure();
    return channel;
  }

  async restart(): Promise<void> {
    const kernel = this._session?.kernel;
    if (kernel && this._status !== 'dead') {
      this._set('restarting', null);
      try {
        await kernel.restart();
        return;
      } catch (error) {
        this._set('dead', `restart failed: ${describe(error)}`);
      }
    }
    await this._replaceSession();
  }

  /** Closes this tab's comms and connection; the shared kernel keeps running. Safe to call twice. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    window.clearTimeout(this._retryTimer);
    window.clearTimeout(this._stallTimer);
    for (const channel of [...this._channels]) channel.dispose();
    this._session?.dispose();
    this._session = null;
    Signal.clearData(this);
  }

  private _set(status: ServicesStatus, message: string | null): void {
    if (status === this._status && message === this._message) return;
    this._status = status;
    this._message = message;
    this._statusChanged.emit(status);
  }

  /** Finds or starts the session once; concurrent callers share the attempt. */
  private _ensure(): Promise<void> {
    if (this._session || this._disposed) return Promise.resolve();
    this._starting ??= this._start().finally(() => (this._starting = null));
    return this._starting;
  }

  private async _start(): Promise<void> {
    this._set('starting', null);
    try {
      const model = await this._sessions.findByPath(this._path);
      const session =
        model && model.kernel && model.kernel.name === this._kernelName
          ? this._sessions.connectTo({ model })
          : await this._sessions.startNew({
              path: this._path,
              name: 'warren services',
              type: WarrenServices.sessionType,
              kernel: { name: this._kernelName }
            });
      if (this._disposed) {
        session.dispose();
        return;
      }
      this._adopt(session);
      this._retryDelay = 1000;
    } catch (error) {
      this._set('dead', `the warren services kernel could not start: ${describe(error)}`);
      this._scheduleRetry();
    }
  }

  private _adopt(session: Session.ISessionConnection): void {
    this._session = session;
    // Never a silent wait: if the kernel has not come up in a while, say where it stands.
    window.clearTimeout(this._stallTimer);
    this._stallTimer = window.setTimeout(() => {
      const kernel = this._session?.kernel;
      if (this._session !== session || this._status === 'connected' || this._status === 'dead')
        return;
      this._set(
        this._status,
        `no answer from the services kernel after ${WarrenServices.stallSeconds} s ` +
          `(kernel ${kernel?.status ?? 'missing'}, connection ${kernel?.connectionStatus ?? 'none'}); still trying`
      );
    }, WarrenServices.stallSeconds * 1000);
    session.kernelChanged.connect((_, change) => {
      if (change.newValue) this._watch(change.newValue);
    });
    // The server forgets a session whose kernel was shut down; the manager then
    // disposes our connection. Not by us: start over.
    session.disposed.connect(() => {
      if (this._session !== session) return;
      this._session = null;
      this._lost('the services session ended');
    });
    if (session.kernel) this._watch(session.kernel);
    else this._set('dead', 'the services session has no kernel');
  }

  private _watch(kernel: Kernel.IKernelConnection): void {
    kernel.disposed.connect(() => {
      if (kernel === this._session?.kernel) this._lost('the services kernel is gone');
    });
    kernel.statusChanged.connect(this._onKernelStatus, this);
    kernel.connectionStatusChanged.connect(this._onConnection, this);
    this._onKernelStatus(kernel, kernel.status);
  }

  private _onKernelStatus(kernel: Kernel.IKernelConnection, status: KernelMessage.Status): void {
    if (kernel !== this._session?.kernel) return;
    switch (status) {
      case 'restarting':
      case 'autorestarting':
        for (const channel of this._channels) channel.detach();
        this._set('restarting', 'the services kernel is restarting');
        break;
      case 'dead':
        this._lost('the services kernel died');
        break;
      default:
        // idle, busy, starting, unknown. jupyter_server 2 forwards no `status`
        // for kernel_info_request (one of its untracked message types), so a
        // connection that has only asked for kernel info stays 'unknown': being
        // connected is what counts, never a status we may not be sent.
        this._attachAll(kernel);
        break;
    }
  }

  private _onConnection(kernel: Kernel.IKernelConnection, status: Kernel.ConnectionStatus): void {
    if (kernel !== this._session?.kernel) return;
    if (status === 'connected') {
      this._attachAll(kernel);
    } else if (status === 'connecting') {
      // Comms do not survive a reconnected websocket on every server: drop
      // them now, reopen them once connected.
      for (const channel of this._channels) channel.detach();
      if (this._status === 'connected')
        this._set('disconnected', 'lost the connection to the services kernel; reconnecting');
    } else {
      for (const channel of this._channels) channel.detach();
      this._set('disconnected', 'lost the connection to the services kernel; reconnecting');
      this._scheduleRetry();
    }
  }

  /**
   * Opens every channel's comm on a connected kernel. The comm_open messages
   * queue in the connection behind its own kernel_info_request, so they reach
   * a kernel that has answered.
   */
  private _attachAll(kernel: Kernel.IKernelConnection): void {
    if (kernel.connectionStatus !== 'connected' || kernel.status === 'dead') return;
    for (const channel of this._channels) channel.attach(kernel);
    this._set('connected', null);
  }

  private _lost(message: string): void {
    if (this._disposed) return;
    for (const channel of this._channels) channel.detach();
    this._set('dead', message);
    this._scheduleRetry();
  }

  private _scheduleRetry(): void {
    if (this._disposed || this._channels.size === 0) return;
    window.clearTimeout(this._retryTimer);
    const delay = this._retryDelay;
    this._retryDelay = Math.min(this._retryDelay * 2, 30000);
    this._retryTimer = window.setTimeout(() => void this._replaceSession(), delay);
  }

  /** Drops a dead or lost session and finds or starts another. */
  private async _replaceSession(): Promise<void> {
    const old = this._session;
    this._session = null;
    if (old) {
      const dead = old.kernel?.status === 'dead' || old.kernel?.connectionStatus === 'disconnected';
      if (dead) await old.shutdown().catch(() => undefined);
      old.dispose();
    }
    await this._ensure();
  }

  private readonly _sessions: Session.IManager;
  private readonly _path: string;
  private readonly _kernelName: string;
  private readonly _channels = new Set<Channel>();
  private readonly _statusChanged = new Signal<IWarrenServices, ServicesStatus>(this);
  private _session: Session.ISessionConnection | null = null;
  private _starting: Promise<void> | null = null;
  private _status: ServicesStatus = 'idle';
  private _message: string | null = null;
  private _retryTimer = 0;
  private _stallTimer = 0;
  private _retryDelay = 1000;
  private _disposed = false;
}

export namespace WarrenServices {
  export interface IOptions {
    sessions: Session.IManager;
    /** The fixed session path every tab shares. */
    path?: string;
    kernelName?: string;
  }
  export const defaultPath = ServicesSession.path;
  /** The session's type: how the panels tell it from the notebooks' sessions. */
  export const sessionType = 'warren-services';
  /** How long a start or restart may take before the panels say so. */
  export const stallSeconds = 20;
}

class Channel implements IServicesChannel {
  constructor(
    readonly target: string,
    private readonly _data: OpenData,
    private readonly _onDispose: () => void
  ) {}

  get received(): ISignal<IServicesChannel, JSONObject> {
    return this._received;
  }

  get opened(): ISignal<IServicesChannel, void> {
    return this._opened;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  attach(kernel: Kernel.IKernelConnection): void {
    if (this._disposed) return;
    if (this._comm && !this._comm.isDisposed && this._kernel === kernel) return;
    this.detach();
    this._kernel = kernel;
    const comm = kernel.createComm(this.target);
    comm.onMsg = (msg) => {
      const data: unknown = msg.content.data;
      if (isJSONObject(data)) this._received.emit(data);
    };
    comm.onClose = () => {
      if (this._comm === comm) this._comm = null;
    };
    // Read at each open, so a comm reopened after a restart carries today's settings.
    comm.open(toWire(typeof this._data === 'function' ? this._data() : this._data));
    this._comm = comm;
    this._opened.emit();
  }

  detach(): void {
    const comm = this._comm;
    this._comm = null;
    this._kernel = null;
    if (comm && !comm.isDisposed) comm.dispose();
  }

  send(data: JSONObject): boolean {
    if (!this._comm || this._comm.isDisposed) return false;
    this._comm.send(toWire(data));
    return true;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed) {
      try {
        comm.close();
      } catch {
        // The kernel is already gone; nothing to tell it.
      }
    }
    this._onDispose();
    Signal.clearData(this);
  }

  private readonly _received = new Signal<IServicesChannel, JSONObject>(this);
  private readonly _opened = new Signal<IServicesChannel, void>(this);
  private _comm: Kernel.IComm | null = null;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _disposed = false;
}

/** Our contract's objects may hold `undefined`; the wire's may not. */
function toWire(data: JSONObject): LuminoJSONObject {
  const copy: unknown = JSON.parse(JSON.stringify(data));
  return isJSONObject(copy) ? (copy as LuminoJSONObject) : {};
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
