import { readFileSync } from 'node:fs';

/**
 * Whether a process exists and is not a zombie (ended, not yet reaped): from
 * its /proc stat, which any user may read, unlike `kill(pid, 0)` across users.
 */
export function alive(pid: number, procRoot = '/proc'): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    // The state follows the command's name, which may itself hold ") ".
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * When a process started (clock ticks after boot, from its /proc stat), or
 * null where it does not exist: with its pid, names one process even after
 * the pid is reused.
 */
export function startTicks(pid: number, procRoot = '/proc'): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    // Field 22; the fields after the name start at field 3.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}
