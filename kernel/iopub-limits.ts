import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { PaceLimits } from './protocol/pace';
import { JUPYTER_SERVER_LIMITS } from './protocol/pace';

/** Commands that run a Jupyter server, as the launcher's argv[0] or after `python -m`. */
const SERVER_COMMANDS = new Set([
  'jupyter-lab',
  'jupyter-server',
  'jupyter-notebook',
  'jupyter-nbclassic',
  'jupyter-labhub',
  'jupyterhub-singleuser',
  'voila'
]);
const SERVER_MODULES = new Set([
  'jupyterlab',
  'jupyter_server',
  'notebook',
  'nbclassic',
  'voila',
  'jupyterhub.singleuser'
]);

/**
 * The IOPub rate limits the kernel's output keeps under (see
 * protocol/pace.ts and protocol/message-pace.ts). WARREN_IOPUB_RATE_LIMIT
 * (bytes a second), WARREN_IOPUB_MSG_RATE_LIMIT (messages a second; either 0
 * for none) and WARREN_IOPUB_RATE_WINDOW (seconds) say them, for a server
 * whose limits were changed. Else: jupyter_server's defaults when the process
 * that launched the kernel (JPY_PARENT_PID, which jupyter_client sets) is a
 * Jupyter server, and none when it is not: a client that talks ZeroMQ itself
 * (nbclient, VS Code, `warren run`) gets every message and every byte.
 */
export function iopubLimits(env: NodeJS.ProcessEnv, procRoot = '/proc'): PaceLimits | null {
  const window = Number(env.WARREN_IOPUB_RATE_WINDOW);
  const windowSeconds =
    Number.isFinite(window) && window > 0 ? window : JUPYTER_SERVER_LIMITS.windowSeconds;
  let server: boolean | null = null;
  const underServer = () => {
    const parent = Number(env.JPY_PARENT_PID);
    server ??= Number.isInteger(parent) && parent > 0 && isJupyterServer(parent, procRoot);
    return server;
  };
  const limit = (asked: string | undefined, serverDefault: number) => {
    if (asked !== undefined && asked.trim() !== '') {
      const rate = Number(asked);
      if (Number.isFinite(rate) && rate >= 0) return rate;
    }
    return underServer() ? serverDefault : 0;
  };
  const bytesPerSecond = limit(env.WARREN_IOPUB_RATE_LIMIT, JUPYTER_SERVER_LIMITS.bytesPerSecond);
  const messagesPerSecond = limit(
    env.WARREN_IOPUB_MSG_RATE_LIMIT,
    JUPYTER_SERVER_LIMITS.messagesPerSecond
  );
  if (bytesPerSecond === 0 && messagesPerSecond === 0) return null;
  return { bytesPerSecond, messagesPerSecond, windowSeconds };
}

/** Whether process `pid` runs a Jupyter server (its command line, from /proc). */
export function isJupyterServer(pid: number, procRoot = '/proc'): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const m = argv.indexOf('-m');
  if (m >= 0 && m < 3 && SERVER_MODULES.has(argv[m + 1] ?? '')) return true;
  // argv[0], or the script an interpreter runs (python .../bin/jupyter-lab).
  return argv.slice(0, 2).some((a) => SERVER_COMMANDS.has(basename(a)));
}
