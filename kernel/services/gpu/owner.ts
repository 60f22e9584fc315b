import { readFileSync } from 'node:fs';

export type KernelProcess = { pid: number; kernelId?: string };
export type Owner = { pid: number; kernelId: string | null };

/** Reads a process's parent pid; null when the process is gone or unreadable. */
export type ParentReader = (pid: number) => number | null;

/**
 * The parent pid from the text of /proc/<pid>/stat. The command name (field 2)
 * is in parentheses and may itself hold spaces and ')', so fields are counted
 * from the last ')'.
 */
export function parseStatParent(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const rest = stat.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : null;
}

export function procParentReader(procRoot = '/proc'): ParentReader {
  return (pid) => {
    try {
      return parseStatParent(readFileSync(`${procRoot}/${pid}/stat`, 'utf8'));
    } catch {
      return null;
    }
  };
}

const MAX_DEPTH = 128;

/**
 * The kernel whose process tree holds `pid`: walks parents from `pid` itself
 * up to init (pid 1) or the first kernel found. A GPU pid comes from
 * nvidia-smi, which in a container with its own pid namespace may report host
 * pids that /proc here cannot see: those have no owner.
 */
export function ownerOf(
  pid: number,
  kernels: readonly KernelProcess[],
  parentOf: ParentReader = procParentReader()
): Owner | null {
  let current: number | null = pid;
  for (let depth = 0; current !== null && current > 1 && depth < MAX_DEPTH; depth++) {
    const kernel = kernels.find((k) => k.pid === current);
    if (kernel) return { pid: kernel.pid, kernelId: kernel.kernelId ?? null };
    const parent: number | null = parentOf(current);
    current = parent === current ? null : parent;
  }
  return null;
}
