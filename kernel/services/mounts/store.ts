import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync
} from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  MountKind,
  MountLogLine,
  MountSpec,
  PendingToolbox,
  Toolbox
} from '../../../src/contract/mounts';
import { alive, startTicks } from '../../pids';
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
    try {
      return this.readStrict();
    } catch {
      return { version: 1, mounts: [], toolboxes: [], pending: [] };
    }
  }

  /** As `read`, but a file that is there and cannot be read or parsed throws: an update must not write over it. */
  private readStrict(): Registry {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { version: 1, mounts: [], toolboxes: [], pending: [] };
      throw new Error(`cannot read ${this.file}: ${(error as Error).message}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new Error(
        `${this.file} is not valid JSON (${(error as Error).message}); nothing was changed: fix the file or move it away`
      );
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

  /**
   * Read, change, write, under a lock every warren process takes for it: the
   * change sees the latest file, and no other process writes between the
   * read and the write (two kernels adding toolboxes at once each lost some
   * of the other's). A file that cannot be parsed is left as it is.
   */
  update(change: (registry: Registry) => void, waitMs = UPDATE_LOCK_MS): Registry {
    const release = lockFile(`${this.file}.lock`, waitMs);
    try {
      const registry = this.readStrict();
      change(registry);
      writeJson(this.file, registry);
      return registry;
    } finally {
      release();
    }
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

/** How long an update waits for another process's; each holds the lock for a read and a write. */
const UPDATE_LOCK_MS = 10_000;
/** A lock held this long by a process on another host (a shared home) is taken for abandoned. */
const FOREIGN_STALE_MS = 30_000;

/** `host pid start token`: who holds a lock, precisely enough to tell when they are gone. */
function holderLine(): string {
  return `${hostname()} ${process.pid} ${startTicks(process.pid) ?? 0} ${randomBytes(6).toString('hex')}`;
}

/** Whether the holder a lock file names has ended (same host: that process is gone, or its pid is another's now). */
function abandoned(line: string, ageMs: number): boolean {
  const [host, pid, ticks] = line.split(' ');
  if (host !== hostname()) return ageMs > FOREIGN_STALE_MS;
  if (!alive(Number(pid))) return true;
  return ticks !== undefined && Number(ticks) !== 0 && startTicks(Number(pid)) !== Number(ticks);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Takes an exclusive lock across processes: a file created with O_EXCL,
 * naming its holder. Synchronous (each holder keeps it for a read and a
 * write of a small file), waiting up to `timeoutMs`. A lock whose holder
 * ended is broken by renaming it away first: of several processes that saw
 * it abandoned, one moves it; another moving a fresh lock in its place puts
 * it back. Returns the release.
 */
export function lockFile(file: string, timeoutMs: number): () => void {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  const token = holderLine();
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      writeFileSync(file, token, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (readFileSync(file, 'utf8') === token) unlinkSync(file);
        } catch {
          // gone
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = '';
    let ageMs = 0;
    try {
      holder = readFileSync(file, 'utf8');
      ageMs = Date.now() - statSync(file).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // Empty: created, not filled yet (or its holder died in between, long ago).
    if (holder ? abandoned(holder, ageMs) : ageMs > FOREIGN_STALE_MS) {
      breakLock(file, holder);
      continue;
    }
    if (Date.now() > deadline) {
      const [host, pid] = holder.split(' ');
      throw new Error(
        `${file} is held by process ${pid ?? '?'}${host && host !== hostname() ? ` on ${host}` : ''}: try again (or remove the file if that process is gone)`
      );
    }
    Atomics.wait(sleeper, 0, 0, wait);
  }
}

function breakLock(file: string, seen: string): void {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else broke it
  }
  try {
    // Not the abandoned lock: a fresh one taken since. Back where it was, unless another is there now.
    if (readFileSync(aside, 'utf8') !== seen) linkSync(aside, file);
  } catch {
    // another lock is in place
  } finally {
    try {
      unlinkSync(aside);
    } catch {
      // gone
    }
  }
}

function key(mountpoint: string): string {
  return createHash('sha256').update(mountpoint).digest('hex').slice(0, 16);
}

/** Writes a file whole or not at all: a temporary file, flushed to the disk, renamed over it. */
function writeJson(file: string, value: unknown, raw?: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeFileSync(fd, raw ?? JSON.stringify(value, null, 2) + '\n');
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // gone
    }
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, file);
}
