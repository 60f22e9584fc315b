/**
 * The process Jupyter launches: `native/warren-supervisor` (supervisor.c,
 * compiled by the kernel's build), which runs the kernel process as its
 * child and outlives it. Where V8 itself must die (the heap limit, an
 * allocation larger than V8 allows, a kill by the system), it starts a new
 * kernel on the same ports and leaves it what it saw of the death and the
 * requests the dead one had taken (io/afterlife.ts). It is C so that it holds
 * about 1 MB, where a Node process holds 40. This module says how to launch
 * it, and runs it for `warren kernel` typed by hand.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';

/** The supervisor's executable, where the build put it beside `cli` (lib/kernel/cli/warren.js). */
function supervisorOf(cli: string): string {
  return join(dirname(cli), '..', 'native', 'warren-supervisor');
}

/** Whether the supervisor was built (it needs a C compiler: scripts/native.js). */
function built(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * What Jupyter runs for a kernel (a kernelspec's argv): the supervisor, given
 * Node and the CLI; without it, the CLI's `kernel`, which then runs the kernel
 * unsupervised.
 */
export function kernelArgv(cli: string, language: string): string[] {
  const file = supervisorOf(cli);
  const args = ['--language', language, '-f', '{connection_file}'];
  return built(file)
    ? [file, process.execPath, cli, ...args]
    : [process.execPath, cli, 'kernel', ...args];
}

/**
 * `warren kernel` run by hand: the supervisor as its child, with signals
 * passed on, ending with it. Null when the supervisor was not built.
 */
export function superviseByHand(cli: string, args: string[]): Promise<number> | null {
  const file = supervisorOf(cli);
  if (!built(file)) return null;
  // Nothing watches this process but the supervisor: it ends with this one.
  const child = spawn(file, [process.execPath, cli, ...args], {
    stdio: 'inherit',
    env: { ...process.env, WARREN_SUPERVISOR_WATCH_PARENT: '1' }
  });
  // A terminal's Ctrl-C, like jupyter_client's signal mode, signals the
  // whole group, the supervisor too: passed on as well, it would interrupt twice.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve) => {
    child.once('error', (error) => {
      process.stderr.write(`warren kernel: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(signal ? 1 : (code ?? 1)));
  });
}
