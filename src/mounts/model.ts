import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { CommClient } from '../comm/client';
import { CommModel } from '../comm/model';
import { CommTargets, isRecord } from '../contract';
import type {
  MountLogLine,
  MountSpec,
  MountsRequest,
  MountStatus,
  PendingToolbox,
  Toolbox,
  ToolboxStatus
} from '../contract/mounts';
import {
  isMountLogLine,
  isMountStatus,
  isPendingToolbox,
  isToolboxStatus
} from '../contract/mounts';
import type { IWarrenServices } from '../tokens';

/**
 * What the Mounts panel shows: the latest state from the `warren.mounts` comm,
 * the answers to this page's requests and the last log lines. Given the
 * services, it sends the panel's requests through src/comm's client: made
 * while the services kernel is away they wait for it, and one that cannot be
 * delivered in time is answered here as a failed request. No widgets here.
 */
export class MountsModel extends CommModel implements IDisposable {
  constructor(options: MountsModel.IOptions = {}) {
    super();
    if (!options.services) return;
    const client = new CommClient({ services: options.services, target: CommTargets.mounts });
    client.received.connect((_, message) => {
      if (this.ingest(message)) this._changed.emit();
    });
    // The log so far, on each open: a restarted kernel has its own.
    client.opened.connect(() => client.send({ type: 'logs' }));
    client.undelivered.connect((_, { request, reason }) => {
      const id = typeof request.request === 'string' ? request.request : '';
      if (this.ingest({ type: 'result', request: id, ok: false, message: reason }))
        this._changed.emit();
    });
    this.attach(client);
  }

  /** Something the panel shows changed. */
  get changed(): ISignal<MountsModel, void> {
    return this._changed;
  }

  mount(spec: MountSpec): void {
    this._send({ type: 'mount', request: this.request(), spec });
  }

  /** Unmounts and forgets the definition. */
  unmount(mountpoint: string): void {
    this._send({ type: 'unmount', request: this.request(), mountpoint, forget: true });
  }

  addToolbox(toolbox: Toolbox): void {
    this._send({ type: 'add-toolbox', request: this.request(), toolbox });
  }

  /** Removes a toolbox in effect, or declines one a volume brought. */
  removeToolbox(name: string): void {
    this._send({ type: 'remove-toolbox', request: this.request(), name });
  }

  acceptToolbox(name: string): void {
    this._send({ type: 'accept-toolbox', request: this.request(), name });
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._client?.dispose();
    Signal.clearData(this);
  }

  get mounts(): MountStatus[] {
    return this._mounts;
  }

  get toolboxes(): ToolboxStatus[] {
    return this._toolboxes;
  }

  /** Toolboxes a mounted volume brought: not in effect until accepted. */
  get pendingToolboxes(): PendingToolbox[] {
    return this._pendingToolboxes;
  }

  get logs(): MountLogLine[] {
    return this._logs;
  }

  /** The answer to the latest request, if any. */
  get lastResult(): { ok: boolean; message: string } | null {
    return this._lastResult;
  }

  /** Whether a request from this page waits for its answer. */
  get pending(): boolean {
    return this._pending.size > 0;
  }

  /** A request id; the answer (a `result`) echoes it. */
  request(): string {
    const id = `r${++this._counter}`;
    this._pending.add(id);
    return id;
  }

  /** Takes a message from the comm; returns false for anything else. */
  ingest(message: unknown): boolean {
    if (!isRecord(message)) return false;
    switch (message.type) {
      case 'state':
        if (!Array.isArray(message.mounts) || !Array.isArray(message.toolboxes)) return false;
        this._mounts = message.mounts.filter(isMountStatus);
        this._toolboxes = message.toolboxes.filter(isToolboxStatus);
        this._pendingToolboxes = Array.isArray(message.pending)
          ? message.pending.filter(isPendingToolbox)
          : [];
        return true;
      case 'result':
        if (typeof message.request !== 'string' || typeof message.message !== 'string')
          return false;
        this._pending.delete(message.request);
        this._lastResult = { ok: message.ok === true, message: message.message };
        return true;
      case 'logs':
        if (!Array.isArray(message.lines)) return false;
        this._logs = [...this._logs, ...message.lines.filter(isMountLogLine)].slice(-200);
        return true;
      default:
        return false;
    }
  }

  private _send(message: MountsRequest): void {
    this._client?.send(message);
    this._changed.emit();
  }

  private readonly _changed = new Signal<MountsModel, void>(this);
  private _disposed = false;
  private _mounts: MountStatus[] = [];
  private _toolboxes: ToolboxStatus[] = [];
  private _pendingToolboxes: PendingToolbox[] = [];
  private _logs: MountLogLine[] = [];
  private _lastResult: { ok: boolean; message: string } | null = null;
  private readonly _pending = new Set<string>();
  private _counter = 0;
}

export namespace MountsModel {
  export interface IOptions {
    /** Where the comm comes from; without it the model only takes what `ingest` is given. */
    services?: IWarrenServices;
  }
}

/** A spec from the form's fields; empty fields are left out. */
export function specFromForm(fields: {
  kind: string;
  source: string;
  mountpoint: string;
  readOnly: boolean;
  auto: boolean;
  port: string;
  identityFile: string;
  rcloneConfig: string;
}): MountSpec {
  const kind =
    (['rclone', 'sshfs', 'bind', 'nfs'] as const).find((k) => k === fields.kind) ?? 'rclone';
  const spec: MountSpec = {
    kind,
    source: fields.source.trim(),
    mountpoint: fields.mountpoint.trim()
  };
  if (fields.readOnly) spec.readOnly = true;
  if (fields.auto) spec.auto = true;
  if (kind === 'sshfs' && fields.port.trim()) spec.port = Number(fields.port);
  if (kind === 'sshfs' && fields.identityFile.trim())
    spec.identityFile = fields.identityFile.trim();
  if (kind === 'rclone' && fields.rcloneConfig.trim())
    spec.rcloneConfig = fields.rcloneConfig.trim();
  return spec;
}

/** A toolbox from the form's fields: bin folders comma separated, `bin` when empty. */
export function toolboxFromForm(fields: { name: string; root: string; bin: string }): Toolbox {
  const bin = fields.bin
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return {
    name: fields.name.trim(),
    root: fields.root.trim(),
    bin: bin.length ? bin : ['bin'],
    env: {}
  };
}

/** "1 command", "2 commands". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
