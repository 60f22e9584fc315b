import type { Toolbox } from '../../../src/contract/mounts';
import { MountStore } from './store';
import { binDirs, repairExecBits, toolEnvironment } from './toolboxes';

export { errorText, MountError } from './errors';
export {
  formatMounts,
  formatPending,
  MOUNT_USAGE,
  parseMount,
  parseUnmount,
  splitArgs
} from './commands';
export { MountManager } from './manager';
export { jupyterConfigDir, MountStore } from './store';
export { toolEnvironment, withoutToolbox } from './toolboxes';

/**
 * At kernel start (and in the headless runner): every registered toolbox's
 * bin goes on PATH and its variables into `env`, and programs that lost their
 * exec bits get them back. Called before the shell engine copies the
 * environment. A volume that does not answer costs at most `timeoutMs`.
 */
export async function applyToolboxes(
  env: NodeJS.ProcessEnv = process.env,
  store = new MountStore(),
  timeoutMs = 5000
): Promise<Toolbox[]> {
  const toolboxes = store.read().toolboxes;
  if (toolboxes.length === 0) return [];
  Object.assign(env, toolEnvironment(toolboxes, env));
  let timer: NodeJS.Timeout | undefined;
  try {
    // A toolbox whose volume hangs is left as it is; the others are repaired.
    await Promise.race([
      Promise.allSettled(toolboxes.map((t) => repairExecBits(binDirs(t), t.root))),
      new Promise((ok) => {
        timer = setTimeout(ok, timeoutMs);
      })
    ]);
  } finally {
    clearTimeout(timer);
  }
  return toolboxes;
}
