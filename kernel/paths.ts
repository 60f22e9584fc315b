import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
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
