/**
 * The node binary's pages that a process mapped while it started. Each read
 * of the binary maps the 64 KB around it, so a kernel held 40 MB of it once
 * started and its compiler 33 MB: Node's and V8's start-up code, Node's
 * built-in snapshot, the symbol tables the dynamic linker read, most of
 * which never run or are read again. Unmapped, they stay in the system's
 * file cache, shared with every other Node process; what the process uses
 * again maps again from there, with nothing read from disk. After the first
 * typed cell the kernel held 19 MB of the binary and the compiler 20 MB.
 * The libraries Node and its addons loaded go the same way (the C library,
 * libstdc++, libzmq in zeromq's addon: what the dynamic linker read to
 * relocate them, their start-up code), but for any page the linker wrote:
 * after its first typed cell the kernel held 2.5 MB less of them, the
 * compiler 1.4 MB less.
 *
 * Done when each has started, and once more after the last of its start's
 * work: the kernel when its compiler is ready (answering kernel_info and
 * taking the compiler mapped 2.4 MB more that the first cells never run
 * again: after its first typed cell it held 15.8 MB of the binary rather
 * than 18.1), the compiler when it has taken its first kernel (moving its
 * converter to the notebook's folder: its cells settle 2.9 MB lower). After 200 more cells
 * and a shell command, the kernel held 29 MB of the binary, the compiler
 * 20 MB. Done again whenever they went quiet, the next cell, mapping again
 * what it runs, took 5-7 ms longer (20 ms here): not done.
 */
import { readFileSync } from 'node:fs';
import { pages } from './native/pages';

const BIND_NOW = 'LD_BIND_NOW';
/** Says the eager binding is warren's, not the user's: the user's commands do not inherit it. */
const OURS = 'WARREN_BIND_NOW';

/**
 * `env` for a warren process of its own (kernel, compiler; the supervisor
 * does the same in C): the dynamic linker binds every symbol as Node and each
 * addon load, unless the user set LD_BIND_NOW. Bound lazily, each function's
 * first call searches Node's symbol tables (7 MB, which export V8, OpenSSL
 * and libuv), and that search, after the start's pages were unmapped, left
 * the kernel 2.5 MB more of them resident. Node starts as fast either way.
 */
export function withEagerBinding(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[BIND_NOW] !== undefined) return env;
  return { ...env, [BIND_NOW]: '1', [OURS]: '1' };
}

/** In a process started so (the linker has read it): the environment its children get is the user's again. */
export function forgetEagerBinding(env: NodeJS.ProcessEnv = process.env): void {
  if (env[OURS] !== '1') return;
  delete env[BIND_NOW];
  delete env[OURS];
}

/**
 * Unmaps the read-only pages of the binary and its libraries (native/pages.ts
 * `unmapProgram`); the file-backed memory that gave back, in kB (0 where the
 * addon is missing).
 */
export function unmapProgramPages(): number {
  const addon = pages();
  if (typeof addon === 'string') return 0;
  const before = residentFileKB();
  addon.unmapProgram();
  return Math.max(0, before - residentFileKB());
}

/** This process's resident file-backed memory in kB (its status's RssFile), 0 where unknown. */
function residentFileKB(): number {
  try {
    return Number(/^RssFile:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
