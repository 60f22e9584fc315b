/**
 * Everything a cell sees beyond the language: the shell's globals (`$`, `sh`,
 * the magics' runtime), the `warren` object and the line magics, each with the
 * TypeScript declarations the checker needs. The engines run cells; this room
 * puts the services in their reach, so engines never import services.
 */
import type { OutputSink } from '../engines/engine';
import type { ShellEngine } from '../engines/shell/shell';
import { RUNTIME } from './magics';
import type { Runtime } from '../engines/typescript/runtime';
import type { RunManager } from '../services/cluster/manager';
import { MapRunner } from '../services/cluster/map';
import type { MountManager } from '../services/mounts';
import { CLUSTER_DECLARATIONS, clusterApi, clusterMagics } from './cluster';
import type { ShellRuntime } from './shell';
import { DECLARATIONS as SHELL_DECLARATIONS, shellGlobals } from './shell';
import { WARREN_DECLARATIONS, warrenApi, warrenMagics } from './warren';

export type { ShellRuntime } from './shell';

export interface ICellApiOptions {
  runtime: Runtime;
  shell: ShellEngine;
  mounts: MountManager;
  runs: RunManager;
}

/** Defines the cell API on `runtime`; returns what the cell engine runs `!` lines and magics with. */
export function installCellApi({ runtime, shell, mounts, runs }: ICellApiOptions): ShellRuntime {
  const sink = (): OutputSink => runtime.current();
  const warrenOptions = {
    mounts,
    cwd: () => shell.cwd,
    setEnv: (name: string, value: string) => shell.setEnv(name, value),
    env: () => shell.env
  };
  const clusterOptions = {
    manager: runs,
    maps: new MapRunner(runs.store),
    cwd: () => shell.cwd,
    sink
  };
  const globals = shellGlobals(shell, sink, {
    ...warrenMagics(warrenOptions),
    ...clusterMagics(clusterOptions)
  });
  for (const [name, value] of Object.entries(globals)) {
    runtime.define(name, value, '');
  }
  runtime.declarations += SHELL_DECLARATIONS;
  runtime.define(
    'warren',
    { ...warrenApi(warrenOptions), ...clusterApi(clusterOptions) },
    WARREN_DECLARATIONS + CLUSTER_DECLARATIONS
  );
  return globals[RUNTIME] as ShellRuntime;
}
