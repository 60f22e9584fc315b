import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ServicesSession } from '../src/contract';

/** Jupyter's data directory for this user, as jupyter_core computes it on Linux. */
export function jupyterDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  const xdg = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(xdg, 'jupyter');
}

/** The folder of warren's package.json, from the source tree or from lib/. */
export function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/kernel')) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/**
 * Whether this kernel is the panels' services kernel: jupyter_server gives a
 * kernel its session's path (joined with the session's name) as
 * JPY_SESSION_NAME, and the panels start theirs in `.warren/`.
 */
export function isServicesSession(env: NodeJS.ProcessEnv = process.env): boolean {
  const session = env.JPY_SESSION_NAME;
  return !!session && basename(dirname(session)) === ServicesSession.folder;
}

/** The user's folder of warren's sockets: in the runtime folder, else the temporary one. */
export function userRuntimeFolder(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_RUNTIME_DIR ?? tmpdir(), `warren-${userInfo().uid}`);
}

/**
 * `folder`, made if missing, once it is sure that only this user can open
 * it: what listens there (the TypeScript compiler, whose answers are code
 * the kernel runs; ssh's shared connections, logged in as the user) would
 * otherwise be another user's to answer or use. Throws when it is not.
 */
export function privateFolder(folder: string, what: string): string {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { uid, mode } = statSync(folder);
  if (uid !== process.getuid!() || (mode & 0o077) !== 0)
    throw new Error(
      `${what} ${folder} is not this user's alone (owner ${uid}, mode ${(mode & 0o777).toString(8)})`
    );
  return folder;
}
