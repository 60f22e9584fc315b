import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  MountKind,
  MountLogLine,
  MountSpec,
  PendingToolbox,
  Toolbox
} from '../../../src/contract/mounts';
import { alive } from '../../pids';
import { redact } from './secrets';
import { isRecord } from '../../../src/contract';

/** Jupyter's config directory, as jupyter_core computes it. */
export function jupyterConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.JUPYTER_CONFIG_DIR || join(homedir(), '.jupyter');
}

/** What a mounting process leaves for the others (not in mounts.json: it changes with every mount). */
export type MountRuntime = {
  /** What was mounted (also for mounts that were not saved to mounts.json). */
  spec: MountSpec;
  /** The FUSE daemon, when there is one. */
  pid: number | null;
  /** rclone's remote control port on 127.0.0.1 (vfs/stats tells what is still to upload). */
  rcPort: number | null;
  mountedAt: number;
  /** Heals that failed in a row since the mount was lost; none while it is healthy. */
  failures?: number;
  /** When the next heal may be tried (ms since the epoch): a failed one waits longer each time. */
  retryAt?: number;
  /** Why the last heal failed. */
  error?: string;
};

type Registry = {
  version: 1;
  mounts: MountSpec[];
  toolboxes: Toolbox[];
  /** Brought by a volume's manifest, not in effect until accepted. */
  pending: PendingToolbox[];
};

const KINDS: readonly MountKind[] = ['rclone', 'sshfs', 'bind', 'nfs'];

function asSpec(value: unknown): MountSpec | null {
  if (!isRecord(value)) return null;
  const { kind, source, mountpoint } = value;
  if (typeof kind !== 'string' || !KINDS.includes(kind as MountKind)) return null;
  if (typeof source !== 'string' || typeof mountpoint !== 'string') return null;
  const spec: MountSpec = { kind: kind as MountKind, source, mountpoint };
  for (const key of ['readOnly', 'auto', 'execBits'] as const)
    if (typeof value[key] === 'boolean') spec[key] = value[key] as boolean;
  for (const key of ['timeoutS', 'port'] as const)
    if (typeof value[key] === 'number') spec[key] = value[key] as number;
  for (const key of ['rcloneConfig', 'identityFile', 'knownHostsFile'] as const)
    if (typeof value[key] === 'string') spec[key] = value[key] as string;
  return spec;
}

export function asToolbox(value: unknown): Toolbox | null {
  if (!isRecord(value) || typeof value.name !== 'string' || typeof value.root !== 'string')
    return null;
  const bin = Array.isArray(value.bin)
    ? value.bin.filter((b): b is string => typeof b === 'string')
    : ['bin'];
  const env: Record<string, string> = {};
  if (isRecord(value.env))
    for (const [k, v] of Object.entries(value.env)) if (typeof v === 'string') env[k] = v;
  return { name: value.name, root: value.root, bin, env };
}

/** The mount locks this process holds, each with the token written in it. */
const HELD = new Map<string, string>();

/**
 * `<config>/warren/mounts.json` (definitions and toolboxes), the runtime
 * records of live mounts, per-mountpoint locks and the shared log. Several
 * kernels use these at once: writes go through a temporary file and a rename.
 */
export class MountStore {
  readonly dir: string;

  constructor(configDir = jupyterConfigDir()) {
    this.dir = join(configDir, 'warren');
  }

  get file(): string {
    return join(this.dir, 'mounts.json');
  }

  get logFile(): string {
    return join(this.dir, 'mounts.log');
  }

  read(): Registry {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return { version: 1, mounts: [], toolboxes: [], pending: [] };
    }
    if (!isRecord(raw)) return { version: 1, mounts: [], toolboxes: [], pending: [] };
    const mounts = Array.isArray(raw.mounts)
      ? raw.mounts.map(asSpec).filter((s): s is MountSpec => s !== null)
      : [];
    const toolboxes = Array.isArray(raw.toolboxes)
      ? raw.toolboxes.map(asToolbox).filter((t): t is Toolbox => t !== null)
      : [];
    const pending = Array.isArray(raw.pending)
      ? raw.pending
          .map((p) => {
            const t = asToolbox(p);
            return t && isRecord(p) && typeof p.volume === 'string'
              ? { ...t, volume: p.volume }
              : null;
          })
          .filter((t): t is PendingToolbox => t !== null)
      : [];
    return { version: 1, mounts, toolboxes, pending };
  }

  /** Read, change, write: the change sees the latest file. */
  update(change: (registry: Registry) => void): Registry {
    const registry = this.read();
    change(registry);
    writeJson(this.file, registry);
    return registry;
  }

  runtime(mountpoint: string): MountRuntime | null {
    try {
      const raw: unknown = JSON.parse(readFileSync(this.runtimeFile(mountpoint), 'utf8'));
      if (!isRecord(raw) || typeof raw.mountedAt !== 'number') return null;
      const spec = asSpec(raw.spec);
      if (!spec) return null;
      return {
        spec,
        pid: typeof raw.pid === 'number' ? raw.pid : null,
        rcPort: typeof raw.rcPort === 'number' ? raw.rcPort : null,
        mountedAt: raw.mountedAt,
        ...(typeof raw.failures === 'number' ? { failures: raw.failures } : {}),
        ...(typeof raw.retryAt === 'number' ? { retryAt: raw.retryAt } : {}),
        ...(typeof raw.error === 'string' ? { error: raw.error } : {})
      };
    } catch {
      return null;
    }
  }

  setRuntime(mountpoint: string, runtime: MountRuntime | null): void {
    if (runtime) writeJson(this.runtimeFile(mountpoint), runtime);
    else
      try {
        unlinkSync(this.runtimeFile(mountpoint));
      } catch {
        // none
      }
  }

  /** The runtime records of every mount some warren process made and nobody unmounted. */
  runtimes(): MountRuntime[] {
    let names: string[] = [];
    try {
      names = readdirSync(join(this.dir, 'runtime'));
    } catch {
      return [];
    }
    const out: MountRuntime[] = [];
    for (const name of names) {
      try {
        const raw: unknown = JSON.parse(readFileSync(join(this.dir, 'runtime', name), 'utf8'));
        const spec = isRecord(raw) ? asSpec(raw.spec) : null;
        const r = spec ? this.runtime(spec.mountpoint) : null;
        if (r) out.push(r);
      } catch {
        // being written
      }
    }
    return out;
  }

  /** Where rclone writes its own log for this mountpoint. */
  daemonLog(mountpoint: string): string {
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    return join(this.dir, 'logs', `${key(mountpoint)}.log`);
  }

  /**
   * Takes the lock of a mountpoint, so that two kernels never mount or heal
   * the same path at once. A lock whose holder died is taken over.
   */
  async lock(mountpoint: string, timeoutMs: number): Promise<() => void> {
    const file = join(this.dir, 'locks', `${key(mountpoint)}.lock`);
    mkdirSync(dirname(file), { recursive: true });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
      try {
        writeFileSync(file, token, { flag: 'wx' });
        HELD.set(file, token);
        return () => {
          if (HELD.get(file) !== token) return;
          HELD.delete(file);
          try {
            // Only our own lock: never one taken over since.
            if (readFileSync(file, 'utf8') === token) unlinkSync(file);
          } catch {
            // gone
          }
        };
      } catch {
        let holder = 0;
        try {
          holder = Number(readFileSync(file, 'utf8').split(' ')[0]);
        } catch {
          continue;
        }
        // Our pid on a lock this process does not hold: an earlier process's, ended.
        const ours = holder === process.pid && HELD.has(file);
        if (!ours && (!alive(holder) || holder === process.pid)) {
          try {
            unlinkSync(file);
          } catch {
            // someone else took it over
          }
          continue;
        }
        if (Date.now() > deadline)
          throw new Error(
            ours
              ? `${mountpoint} is busy: this kernel is mounting or unmounting it`
              : `${mountpoint} is busy: process ${holder} is mounting or unmounting it`
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Appends to the shared log (every line redacted); keeps the file under ~256 KiB. */
  appendLog(line: MountLogLine): void {
    mkdirSync(this.dir, { recursive: true });
    appendFileSync(this.logFile, JSON.stringify({ ...line, text: redact(line.text) }) + '\n');
    try {
      if (statSync(this.logFile).size > 256 * 1024) {
        const keep = readFileSync(this.logFile, 'utf8').split('\n').slice(-1000).join('\n');
        writeJson(this.logFile, null, keep);
      }
    } catch {
      // another process trimmed it
    }
  }

  readLog(limit = 200): MountLogLine[] {
    let text = '';
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    const out: MountLogLine[] = [];
    for (const line of text.split('\n').slice(-limit - 1)) {
      try {
        const v: unknown = JSON.parse(line);
        if (isRecord(v) && typeof v.time === 'number' && typeof v.text === 'string')
          out.push({
            time: v.time,
            // Lines written before every line was redacted are redacted on the way out.
            text: redact(v.text),
            mountpoint: typeof v.mountpoint === 'string' ? v.mountpoint : null,
            level: v.level === 'warn' || v.level === 'error' ? v.level : 'info'
          });
      } catch {
        // a partial line
      }
    }
    return out.slice(-limit);
  }

  private runtimeFile(mountpoint: string): string {
    return join(this.dir, 'runtime', `${key(mountpoint)}.json`);
  }
}

function key(mountpoint: string): string {
  return createHash('sha256').update(mountpoint).digest('hex').slice(0, 16);
}

function writeJson(file: string, value: unknown, raw?: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, raw ?? JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
