import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { onNetworkFuse } from '../../mountinfo';

export interface ExecResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** The command ran past its timeout and was killed. */
  timedOut: boolean;
  /** The program could not be started (ENOENT, EACCES). */
  spawnError: string | null;
}

export interface ExecOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** The mountpoint the command mounts or unmounts: no folder inside it is searched for programs. */
  volume?: string;
}

/**
 * Runs a program with an argument list (never a shell string: nothing the
 * user typed is ever parsed by a shell) and collects its output. On timeout
 * the program gets SIGTERM, then SIGKILL a second later.
 */
export function execArgs(
  command: string,
  args: string[],
  options: ExecOptions
): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const env = helperEnv(options.env, options.volume);
    // By its full path: a search of PATH in the child would wait on a hung volume too.
    const program = isAbsolute(command)
      ? command
      : (findIn(command, env.PATH!.split(delimiter)) ?? command);
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = (result: Omit<ExecResult, 'stdout' | 'stderr' | 'timedOut'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ ...result, stdout, stderr, timedOut });
    };
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 1000);
    }, options.timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', (error: NodeJS.ErrnoException) =>
      finish({ code: null, signal: null, spawnError: error.code ?? error.message })
    );
    child.once('close', (code, signal) => finish({ code, signal, spawnError: null }));
  });
}

/** The system's program folders, where mount helpers and their tools are installed. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The PATH a mount helper runs with: PATH's folders in their order, less those
 * on a network FUSE volume (sshfs, rclone...), then the system's folders it
 * lacks. Toolboxes put folders of mounted volumes first on PATH, and sshfs
 * runs ssh by a search of it: healing a hung volume that held a toolbox, the
 * new sshfs waited in execve on the hung volume for good, two processes left
 * behind at each try (the hung mount detached, the folder was then inside
 * the new one: `volume`). A cluster's NFS home (~/.local/bin) stays.
 */
export function helperPath(path: string, volume?: string, table?: string): string {
  // A folder inside the volume being mounted: sshfs searched it for ssh
  // through its own mount, not answering yet, and waited for good.
  const within = (d: string) =>
    volume !== undefined && (d === volume || d.startsWith(`${volume}/`));
  // A folder reached through a link (~/tools -> the Drive) is where the link leads.
  const mayHang = onNetworkFuse(table, within);
  const own = path.split(delimiter).filter((d) => d && isAbsolute(d) && !mayHang(d));
  return [...new Set([...own, ...SYSTEM_DIRS])].join(delimiter);
}

/** `env` (the process's by default) with helperPath's PATH, for a helper of `volume`. */
export function helperEnv(
  env: NodeJS.ProcessEnv = process.env,
  volume?: string
): NodeJS.ProcessEnv {
  return { ...env, PATH: helperPath(env.PATH ?? '', volume) };
}

/**
 * The full path of a program, looked for in helperPath's folders; or null.
 * Looking in a folder whose volume hangs stops the kernel's thread: the
 * health check that would heal it froze the kernel so.
 */
export function which(program: string, path = process.env.PATH ?? ''): string | null {
  return findIn(program, helperPath(path).split(delimiter));
}

/** The first of `dirs` holding `program`, executable, as a full path; or null. */
function findIn(program: string, dirs: string[]): string | null {
  for (const dir of dirs) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The first line of a program's stderr that says something, for error messages. */
export function firstError(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\s*/, '').trim())
    .filter((l) => l && !/^NOTICE:/.test(l));
  return (
    lines.find((l) =>
      /error|fail|denied|refused|not found|no such|timed out|cannot|can't|bad|invalid/i.test(l)
    ) ??
    lines[0] ??
    ''
  );
}
