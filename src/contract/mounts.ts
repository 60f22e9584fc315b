/**
 * Mount definitions, toolboxes and the payloads of the `warren.mounts` comm
 * (CommTargets.mounts), with their guards. This module imports nothing
 * outside contract/. Types are aliases, not
 * interfaces, so that they stay assignable to a JSON object.
 *
 * No field ever holds a secret: rclone remotes are named (their tokens stay in
 * rclone's own config file), ssh keys are given by path.
 */

import { isRecord } from './index';

export type MountKind = 'rclone' | 'sshfs' | 'bind' | 'nfs';

/** What a mount is; stored as is in `<jupyter config>/warren/mounts.json`. */
export type MountSpec = {
  kind: MountKind;
  /**
   * rclone: `remote:` or `remote:path` (a name from the rclone config);
   * sshfs: `[user@]host:/path`; bind: a local folder; nfs: `host:/export`.
   */
  source: string;
  /** Absolute path where the volume appears. */
  mountpoint: string;
  readOnly?: boolean;
  /** Mount it again whenever warren restores mounts (kernel start, `warren mounts --restore`). */
  auto?: boolean;
  /** Seconds to wait for the mount (and for each connection) before giving up. */
  timeoutS?: number;
  /** rclone: the config file (default: rclone's own default). */
  rcloneConfig?: string;
  /** rclone: report files as executable (--file-perms 0755), since remotes keep no mode bits. Default true. */
  execBits?: boolean;
  /** sshfs: the port (default 22). */
  port?: number;
  /** sshfs: a private key file (its path; the key itself is never read by warren). */
  identityFile?: string;
  /** sshfs: a known_hosts file; without it the host key is accepted on first use. */
  knownHostsFile?: string;
};

/**
 * - `mounted`: the volume answers
 * - `stale`: mounted but dead ("Transport endpoint is not connected")
 * - `unmounted`: defined, not mounted
 * - `busy`: a mount, unmount or heal is running
 * - `error`: the last attempt failed (see `message`)
 */
export type MountState = 'mounted' | 'stale' | 'unmounted' | 'busy' | 'error';

export type MountStatus = MountSpec & {
  state: MountState;
  /** Why, for `error` and `stale`; null otherwise. */
  message: string | null;
  /** The FUSE daemon's pid (rclone, sshfs), when known. */
  pid: number | null;
  /** The file system type the kernel reports (fuse.rclone, fuse.sshfs, nfs, ...). */
  fsType: string | null;
  /** Milliseconds since the epoch of the last successful mount. */
  mountedAt: number | null;
};

/** A folder on a volume whose `bin` goes on PATH and whose env is set in every new kernel. */
export type Toolbox = {
  name: string;
  /** Absolute path of the tool tree (e.g. /content/drive/mrtrix3). */
  root: string;
  /** Folders relative to root put on PATH, first wins (default ['bin']). */
  bin: string[];
  /** Variables to set; `${root}` in a value is replaced by the root. */
  env: { [name: string]: string };
};

export type ToolboxStatus = Toolbox & {
  /** The root exists and can be read. */
  present: boolean;
  /** How many commands the bin folders hold. */
  commands: number;
  /** Why it is not present, when its volume did not answer. */
  message?: string;
};

/**
 * A toolbox a mounted volume's manifest brings: it takes effect only once the
 * user accepts it (`warren toolbox accept NAME`, or the panel), since it puts
 * the volume's programs first on PATH and sets variables in every new kernel.
 */
export type PendingToolbox = Toolbox & {
  /** The mountpoint whose `.warren-tools.json` named it. */
  volume: string;
};

/** `<volume>/.warren-tools.json`: the toolboxes a volume carries, roots relative to it. */
export type ToolManifest = {
  version: 1;
  toolboxes: Array<{ name: string; path: string; bin: string[]; env: { [name: string]: string } }>;
};

export type MountLogLine = {
  /** Milliseconds since the epoch. */
  time: number;
  mountpoint: string | null;
  level: 'info' | 'warn' | 'error';
  text: string;
};

/** Kernel to frontend: every mount and toolbox, after each change and each health check. */
export type MountsState = {
  type: 'state';
  time: number;
  mounts: MountStatus[];
  toolboxes: ToolboxStatus[];
  /** Toolboxes volumes brought, waiting to be accepted (or removed). */
  pending: PendingToolbox[];
};

/** Kernel to frontend: the answer to one request. */
export type MountsResult = {
  type: 'result';
  request: string;
  ok: boolean;
  message: string;
};

export type MountsLogs = {
  type: 'logs';
  lines: MountLogLine[];
};

/** Frontend to kernel. `request` is echoed in the result. */
export type MountsRequest =
  | { type: 'refresh' }
  | { type: 'logs' }
  | { type: 'mount'; request: string; spec: MountSpec }
  | { type: 'unmount'; request: string; mountpoint: string; forget: boolean }
  | { type: 'add-toolbox'; request: string; toolbox: Toolbox }
  | { type: 'remove-toolbox'; request: string; name: string }
  | { type: 'accept-toolbox'; request: string; name: string };

export type MountsKernelMessage = MountsState | MountsResult | MountsLogs;

const MOUNT_STATES = new Set<string>(['mounted', 'stale', 'unmounted', 'busy', 'error']);

/** Narrows one entry of a `state` message's mounts; the fields the panel reads are checked. */
export function isMountStatus(value: unknown): value is MountStatus {
  return (
    isRecord(value) &&
    typeof value.mountpoint === 'string' &&
    typeof value.source === 'string' &&
    typeof value.kind === 'string' &&
    typeof value.state === 'string' &&
    MOUNT_STATES.has(value.state)
  );
}

export function isToolboxStatus(value: unknown): value is ToolboxStatus {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.root === 'string' &&
    Array.isArray(value.bin)
  );
}

export function isPendingToolbox(value: unknown): value is PendingToolbox {
  return isToolboxStatus(value) && typeof (value as { volume?: unknown }).volume === 'string';
}

export function isMountLogLine(value: unknown): value is MountLogLine {
  return isRecord(value) && typeof value.time === 'number' && typeof value.text === 'string';
}
