import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { MountSpec } from '../../../src/contract/mounts';
import { MountError } from './errors';
import { execArgs, firstError, which } from './exec';
import { mountAt } from '../../mountinfo';
import { timeoutOf } from './mountpoint';
import { alive, startTicks } from '../../pids';

/** Waits until rclone's vfs cache has uploaded everything written; past twice the spec's timeout, throws. */
export async function waitForUploads(
  spec: MountSpec,
  rcPort: number,
  log: (level: 'info' | 'warn', text: string) => void
): Promise<void> {
  const limitMs = Math.max(60, timeoutOf(spec) * 2) * 1000;
  const deadline = Date.now() + limitMs;
  let pending = await pendingUploads(rcPort);
  if (pending === null) {
    log(
      'warn',
      `rclone's rc on port ${rcPort} does not answer: cannot tell whether writes are uploaded`
    );
    return;
  }
  if (pending > 0) log('info', `waiting for ${pending} upload(s) before unmounting`);
  while (pending !== null && pending > 0) {
    if (Date.now() > deadline)
      throw new MountError(
        `${pending} file(s) written to ${spec.mountpoint} are still uploading after ${limitMs / 1000} s; not unmounted (try again, or check the network)`
      );
    await new Promise((r) => setTimeout(r, 200));
    pending = await pendingUploads(rcPort);
  }
  log('info', 'all writes uploaded');
}

/** What rclone's vfs still has to upload, or null when its rc does not answer. */
export async function pendingUploads(rcPort: number): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${rcPort}/vfs/stats`, {
      method: 'POST',
      signal: AbortSignal.timeout(2000)
    });
    const body: unknown = await res.json();
    const cache =
      typeof body === 'object' && body !== null
        ? (body as { diskCache?: { uploadsQueued?: unknown; uploadsInProgress?: unknown } })
            .diskCache
        : undefined;
    if (!cache) return 0;
    return Number(cache.uploadsQueued ?? 0) + Number(cache.uploadsInProgress ?? 0);
  } catch {
    return null;
  }
}

/** Unmounts; throws a MountError (with who holds it, when busy). */
export async function unmountBackend(spec: MountSpec, lazy = false): Promise<void> {
  const fuse = spec.kind === 'rclone' || spec.kind === 'sshfs';
  const program = fuse ? (which('fusermount3') ?? which('fusermount') ?? 'umount') : 'umount';
  const args =
    program === 'umount'
      ? [...(lazy ? ['-l'] : []), spec.mountpoint]
      : ['-u', ...(lazy ? ['-z'] : []), spec.mountpoint];
  const r = await execArgs(program, args, { timeoutMs: 15000, volume: spec.mountpoint });
  if (r.code === 0) return;
  if (!mountAt(spec.mountpoint)) return;
  if (/busy/i.test(r.stderr)) {
    const users = usersOf(spec.mountpoint);
    throw new MountError(
      `${spec.mountpoint} is busy` +
        (users.length ? `: used by ${users.join(', ')}` : '') +
        ' (close files there, or %cd elsewhere if the shell is inside)'
    );
  }
  throw new MountError(
    `cannot unmount ${spec.mountpoint}: ${firstError(r.stderr) || `exit ${r.code}`}`
  );
}

/** Detaches whatever is on the mountpoint, stale or not; never throws. */
export async function forceUnmount(mountpoint: string): Promise<void> {
  const entry = mountAt(mountpoint);
  if (!entry) return;
  const fuse = entry.fsType.startsWith('fuse');
  const program = fuse ? (which('fusermount3') ?? which('fusermount')) : null;
  if (program)
    await execArgs(program, ['-u', '-z', mountpoint], { timeoutMs: 10000, volume: mountpoint });
  if (mountAt(mountpoint))
    await execArgs('umount', ['-l', mountpoint], { timeoutMs: 10000, volume: mountpoint });
}

/** Every process of that program whose arguments name the mountpoint: daemons serving it, or a detached mount there. */
export function daemonPids(program: string, mountpoint: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith(program) && argv.includes(mountpoint) && alive(Number(entry)))
        out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * The FUSE daemon serving a mountpoint: the process of that program whose
 * arguments name it and that is not one of `before` (those there before it
 * was mounted: a hung daemon of a detached mount names the path too); the
 * newest when more are left.
 */
export function daemonPid(
  program: string,
  mountpoint: string,
  before: readonly number[] = []
): number | null {
  const found = daemonPids(program, mountpoint).filter((pid) => !before.includes(pid));
  found.sort((a, b) => (startTicks(b) ?? 0) - (startTicks(a) ?? 0));
  return found[0] ?? null;
}

/**
 * Ends a FUSE daemon of ours that served `mountpoint` (a heal or an unmount
 * of a stale mount detached it): SIGTERM, SIGCONT (a stopped one acts on
 * nothing else), then SIGKILL if it is still there after `graceMs`. Its
 * end aborts the requests still waiting on it, and the processes (and
 * kernel file threads) that made them get an error back. A pid that names
 * another process now (reused) is left alone.
 */
export async function endDaemon(
  pid: number | null,
  mountpoint: string,
  graceMs = 2000
): Promise<void> {
  if (pid === null || !alive(pid)) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(mountpoint)) return;
  } catch {
    return;
  }
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // gone
    }
  };
  signal('SIGTERM');
  signal('SIGCONT');
  await waitExit(pid, graceMs);
  if (alive(pid)) {
    signal('SIGKILL');
    await waitExit(pid, 2000);
  }
}

/** `pid (name, cwd|file)` for each process with its cwd or an open file under the mountpoint. */
export function usersOf(mountpoint: string): string[] {
  const inside = (p: string) => p === mountpoint || p.startsWith(mountpoint + '/');
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let how = '';
    try {
      if (inside(readlinkSync(`/proc/${entry}/cwd`))) how = 'cwd';
      else if (
        readdirSync(`/proc/${entry}/fd`).some((fd) => inside(safeLink(`/proc/${entry}/fd/${fd}`)))
      )
        how = 'open file';
    } catch {
      continue;
    }
    if (how) {
      let name = '?';
      try {
        name = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      } catch {
        // gone
      }
      out.push(`${entry} (${name}, ${how})`);
    }
  }
  return out.slice(0, 8);
}

function safeLink(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

/** Resolves once process `pid` is gone, or after `timeoutMs`. */
export function waitExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((ok) => {
    const tick = () => {
      if (!alive(pid) || Date.now() > deadline) ok();
      else setTimeout(tick, 50);
    };
    tick();
  });
}
