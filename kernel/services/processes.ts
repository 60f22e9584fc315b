import { readdirSync, readFileSync } from 'node:fs';
import { alive } from '../pids';
import { parseStatParent } from './gpu/owner';

/**
 * Every living descendant of `root` (children, their children, ...), read
 * from /proc in one pass, so a grandchild is found before its parent is
 * signalled and it is handed to init. `keep` roots subtrees to leave alone.
 */
export function descendants(
  root: number,
  keep: ReadonlySet<number> = new Set(),
  procRoot = '/proc'
): number[] {
  const children = new Map<number, number[]>();
  let names: string[] = [];
  try {
    names = readdirSync(procRoot);
  } catch {
    return [];
  }
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let parent: number | null = null;
    try {
      parent = parseStatParent(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      continue; // gone meanwhile
    }
    if (parent === null) continue;
    const list = children.get(parent) ?? [];
    list.push(pid);
    children.set(parent, list);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (keep.has(pid)) continue;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * Ends processes: SIGTERM to each, then SIGKILL to any still running after
 * `graceMs`. A zombie counts as ended (init here may never reap it).
 */
export async function endProcesses(pids: readonly number[], graceMs = 500): Promise<void> {
  const signal = (pid: number, s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // already gone
    }
  };
  pids.forEach((pid) => signal(pid, 'SIGTERM'));
  const deadline = Date.now() + graceMs;
  let left = pids.filter((pid) => alive(pid));
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter((pid) => alive(pid));
  }
  left.forEach((pid) => signal(pid, 'SIGKILL'));
}
