import { homedir } from 'node:os';
import { join } from 'node:path';

/** Jupyter's data directory for this user, as jupyter_core computes it on Linux. */
export function jupyterDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  const xdg = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(xdg, 'jupyter');
}
