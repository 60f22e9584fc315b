import { isRecord } from '../contract';
import type {
  MountLogLine,
  MountSpec,
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

/**
 * What the Mounts panel shows: the latest state from the `warren.mounts` comm,
 * the answers to this page's requests and the last log lines. No widgets here.
 */
export class MountsModel {
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

  private _mounts: MountStatus[] = [];
  private _toolboxes: ToolboxStatus[] = [];
  private _pendingToolboxes: PendingToolbox[] = [];
  private _logs: MountLogLine[] = [];
  private _lastResult: { ok: boolean; message: string } | null = null;
  private readonly _pending = new Set<string>();
  private _counter = 0;
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
