import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface MountEntry {
  /** The kernel's id of this mount: a remount on the same path has another. */
  id: string;
  mountpoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** `\040` and friends: mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text (the optional fields end at the ` - ` separator). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    out.push({
      id: left[0],
      mountpoint: unescape(left[4]),
      options: left[5],
      fsType: right[0],
      source: unescape(right[1])
    });
  }
  return out;
}

/** The entry mounted last on exactly this path, or null. */
export function mountAt(
  path: string,
  text = readFileSync('/proc/self/mountinfo', 'utf8')
): MountEntry | null {
  const entries = parseMountinfo(text).filter((e) => e.mountpoint === path);
  return entries.length ? entries[entries.length - 1] : null;
}

/** The deepest mount holding this path. */
export function mountHolding(
  path: string,
  text = readFileSync('/proc/self/mountinfo', 'utf8')
): MountEntry | null {
  let best: MountEntry | null = null;
  for (const e of parseMountinfo(text)) {
    const inside =
      path === e.mountpoint || path.startsWith(e.mountpoint === '/' ? '/' : e.mountpoint + '/');
    if (inside && (!best || e.mountpoint.length >= best.mountpoint.length)) best = e;
  }
  return best;
}

export type Probe = { state: 'ok' } | { state: 'stale'; message: string } | { state: 'missing' };

/**
 * Whether the volume on `path` answers. A FUSE mount whose daemon died still
 * sits in mountinfo, and every access fails with ENOTCONN ("Transport endpoint
 * is not connected"); a hung network mount may not answer at all, so the stat
 * races a timer.
 */
export async function probe(path: string, timeoutMs = 3000): Promise<Probe> {
  if (!mountAt(path)) return { state: 'missing' };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probe>((ok) => {
    timer = setTimeout(
      () => ok({ state: 'stale', message: `no answer from ${path} in ${timeoutMs} ms` }),
      timeoutMs
    );
  });
  const check = stat(path).then(
    (): Probe => ({ state: 'ok' }),
    (error: NodeJS.ErrnoException): Probe => ({
      state: 'stale',
      message:
        error.code === 'ENOTCONN'
          ? 'Transport endpoint is not connected (the FUSE daemon is gone)'
          : `${error.code ?? 'error'}: ${error.message}`
    })
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
