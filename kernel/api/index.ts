/**
 * Everything a cell sees beyond the language: the shell's globals (`$`, `sh`,
 * the magics' runtime), the `warren` object and the line magics. Their types
 * are written once in globals.ts: the objects defined here are checked against
 * them, and the build turns them into the ambient declarations the checker
 * reads (declarations.ts). The engines run cells; this room puts the services
 * in their reach, so engines never import services.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Toolbox } from '../../src/contract/mounts';
import type { OutputSink } from '../engines/engine';
import type { ShellEngine } from '../engines/shell/shell';
import type { Runtime } from '../engines/typescript/runtime';
import type { RunManager } from '../services/cluster/manager';
import { MapRunner } from '../services/cluster/map';
import type { MountManager } from '../services/mounts';
import { clusterApi, clusterMagics } from './cluster';
import { DECLARATIONS_FILE } from './declarations';
import type { CellGlobals } from './globals';
import { RUNTIME } from './magics';
import type { ShellRuntime } from './shell';
import { shellGlobals } from './shell';
import { followToolboxes, warrenApi, warrenMagics } from './warren';

export type { ShellRuntime } from './shell';

export interface ICellApiOptions {
  runtime: Runtime;
  shell: ShellEngine;
  mounts: MountManager;
  runs: RunManager;
  /** The generated declarations (the build writes them beside this file). */
  declarations?: string;
  /** The environment the kernel was launched with, before toolboxes: what removing one restores. */
  launchEnv?: NodeJS.ProcessEnv;
  /** The toolboxes the kernel put in its environment as it started. */
  toolboxes?: Toolbox[];
}

/** The shell runtime, and what the cell engine calls before each cell. */
export type CellApi = ShellRuntime & {
  /** Brings the environment to the toolboxes as they are now, however they changed. */
  beforeCell(): void;
};

/** The ambient declarations of `CellGlobals`, as the build generated them from globals.ts. */
export function cellDeclarations(dir = __dirname): string {
  try {
    return readFileSync(join(dir, DECLARATIONS_FILE), 'utf8');
  } catch (error) {
    throw new Error(
      `the cell API's declarations are missing (${String(error)}): npm run build:kernel writes them`
    );
  }
}

/** Defines the cell API on `runtime`; returns what the cell engine runs `!` lines and magics with. */
export function installCellApi({
  runtime,
  shell,
  mounts,
  runs,
  declarations = cellDeclarations(),
  launchEnv = {},
  toolboxes = []
}: ICellApiOptions): CellApi {
  const sink = (): OutputSink => runtime.current();
  const environment = {
    mounts,
    setEnv: (name: string, value: string) => shell.setEnv(name, value),
    unsetEnv: (name: string) => shell.unsetEnv(name),
    env: () => shell.env,
    launchEnv
  };
  const follower = followToolboxes(environment, toolboxes);
  const warrenOptions = {
    ...environment,
    cwd: () => shell.cwd,
    toolboxes: follower,
    warn: (text: string) => sink().stream('stderr', text)
  };
  const clusterOptions = {
    manager: runs,
    maps: new MapRunner(runs.store),
    cwd: () => shell.cwd,
    sink
  };
  // Every global against its declaration: one missing, extra or of another
  // type than globals.ts says fails the build.
  const globals: CellGlobals = {
    ...runtime.builtins,
    ...shellGlobals(shell, sink, {
      ...warrenMagics(warrenOptions),
      ...clusterMagics(clusterOptions)
    }),
    warren: { ...warrenApi(warrenOptions), ...clusterApi(clusterOptions) }
  };
  runtime.declarations = declarations;
  for (const [name, value] of Object.entries(globals)) {
    if (!(name in runtime.builtins)) runtime.define(name, value, '');
  }
  return {
    ...globals[RUNTIME],
    beforeCell: () => {
      try {
        follower.sync();
      } catch (error) {
        runtime.log(`toolboxes: ${String(error)}`);
      }
    }
  };
}
