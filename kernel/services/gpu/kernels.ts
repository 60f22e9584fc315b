import { readdirSync, readFileSync } from 'node:fs';
import type { KernelProcess } from './owner';

/** jupyter_client names connection files `kernel-<kernel id>.json`. */
const CONNECTION_FILE =
  /(?:^|\/)kernel-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

/**
 * The Jupyter kernels running on this machine, of any language: a kernel is
 * a process whose command line names its connection file, and the file's
 * name carries the kernel id that the server's sessions map to notebooks.
 */
export function discoverKernels(procRoot = '/proc'): KernelProcess[] {
  const found: KernelProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`${procRoot}/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    for (const arg of cmdline.split('\0')) {
      const m = CONNECTION_FILE.exec(arg);
      if (m) {
        found.push({ pid: Number(entry), kernelId: m[1] });
        break;
      }
    }
  }
  return found;
}
