import { statSync } from 'node:fs';
import type { MountSpec, MountStatus, Toolbox, ToolboxStatus } from '../../src/contract/mounts';
import type { MountManager } from '../services/mounts';
import {
  formatMounts,
  formatPending,
  MountError,
  parseMount,
  parseUnmount,
  splitArgs,
  toolEnvironment,
  withoutToolbox
} from '../services/mounts';
import type { ClusterMember } from './cluster';
import type { WarrenApi, WarrenMountOptions } from './globals';
import type { LineMagics } from './magics';
import { UsageError } from './magics';

export interface WarrenApiOptions {
  mounts: MountManager;
  /** The shell's working directory: relative paths resolve against it. */
  cwd: () => string;
  /** Sets a variable in the shell and in this process. */
  setEnv: (name: string, value: string) => void;
  /** Removes a variable from the shell and this process. */
  unsetEnv: (name: string) => void;
  /** The environment the kernel was launched with, before toolboxes. */
  launchEnv: NodeJS.ProcessEnv;
  /** The shell's environment. */
  env: () => Record<string, string>;
  /** Keeps the environment to the toolboxes mounts.json holds (`followToolboxes`). */
  toolboxes: ToolboxFollower;
  /** Writes to the running cell's stderr: what the user must know though the call succeeded. */
  warn: (text: string) => void;
}

export interface ToolboxFollower {
  /**
   * Brings this kernel's environment to the toolboxes mounts.json holds now:
   * those gone (or changed) off PATH, their variables as they were; those
   * new on. Without `force`, only when the file changed since the last call.
   */
  sync(force?: boolean): void;
}

/**
 * Follows the toolboxes however they change: this kernel's cells, the Mounts
 * panel (whose services kernel writes mounts.json), another notebook, the
 * `warren` command. The kernel syncs before each cell (a stat of mounts.json)
 * and after its own changes. `applied` is what the kernel put in its
 * environment as it started.
 */
export function followToolboxes(
  options: Omit<WarrenApiOptions, 'toolboxes' | 'cwd' | 'warn'>,
  applied: Toolbox[]
): ToolboxFollower {
  let seen = applied;
  let stamp: string | null = null;
  const same = (a: Toolbox, b: Toolbox) =>
    a.root === b.root &&
    JSON.stringify(a.bin) === JSON.stringify(b.bin) &&
    JSON.stringify(a.env) === JSON.stringify(b.env);
  return {
    sync(force = false) {
      const file = options.mounts.store.file;
      const now = stampOf(file);
      if (!force && now === stamp) return;
      stamp = now;
      const current = options.mounts.store.read().toolboxes;
      for (const old of seen) {
        const still = current.find((t) => t.name === old.name);
        if (still && same(still, old)) continue;
        const change = withoutToolbox(
          old,
          current.filter((t) => t.name !== old.name),
          options.env(),
          options.launchEnv
        );
        for (const [k, v] of Object.entries(change.set)) options.setEnv(k, v);
        for (const k of change.unset) options.unsetEnv(k);
      }
      const added = current.some((t) => !seen.some((o) => o.name === t.name && same(o, t)));
      seen = current;
      if (!force && !added) return;
      const env = toolEnvironment(current, options.env());
      for (const [k, v] of Object.entries(env)) options.setEnv(k, v);
    }
  };
}

/** What tells one version of a file from another: its inode (it is replaced whole), size and time. */
function stampOf(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

function resolvePath(path: string, cwd: string): string {
  return path.startsWith('/') ? path : `${cwd.replace(/\/$/, '')}/${path}`;
}

/** Turns the cell's options into a spec; with no source, the saved definition of that mountpoint. */
function toSpec(
  mounts: MountManager,
  mountpoint: string,
  o: WarrenMountOptions,
  cwd: string
): MountSpec {
  const mp = resolvePath(mountpoint, cwd);
  const sources = (['remote', 'sshfs', 'bind', 'nfs'] as const).filter(
    (k) => typeof o[k] === 'string'
  );
  if (sources.length > 1)
    throw new MountError(`give one of remote, sshfs, bind or nfs, not ${sources.join(' and ')}`);
  if (sources.length === 0) {
    const saved = mounts.store.read().mounts.find((m) => m.mountpoint === mp);
    if (!saved)
      throw new MountError(
        `${mp} has no saved definition: give { remote: 'name:' }, { sshfs }, { bind } or { nfs }`
      );
    return saved;
  }
  const key = sources[0];
  const source = String(o[key]);
  const spec: MountSpec = {
    kind: key === 'remote' ? 'rclone' : key,
    source: key === 'bind' ? resolvePath(source, cwd) : source,
    mountpoint: mp
  };
  if (o.readOnly !== undefined) spec.readOnly = o.readOnly;
  if (o.auto !== undefined) spec.auto = o.auto;
  if (o.timeoutS !== undefined) spec.timeoutS = o.timeoutS;
  if (o.rcloneConfig !== undefined) spec.rcloneConfig = resolvePath(o.rcloneConfig, cwd);
  if (o.execBits !== undefined) spec.execBits = o.execBits;
  if (o.port !== undefined) spec.port = o.port;
  if (o.identityFile !== undefined) spec.identityFile = resolvePath(o.identityFile, cwd);
  if (o.knownHostsFile !== undefined) spec.knownHostsFile = resolvePath(o.knownHostsFile, cwd);
  return spec;
}

/**
 * The members of the `warren` cell global for mounts and toolboxes; those for
 * clusters are api/cluster.ts's. Declared in globals.ts, checked here.
 */
export function warrenApi(options: WarrenApiOptions) {
  const { mounts } = options;
  // A toolbox's change applies to this kernel's shell at once, not only to new kernels.
  return {
    mount: async (mountpoint: string, o: WarrenMountOptions = {}): Promise<MountStatus> => {
      const status = await mounts.mount(toSpec(mounts, mountpoint, o, options.cwd()), {
        save: o.save !== false
      });
      options.toolboxes.sync(true);
      return status;
    },
    unmount: (mountpoint: string, o: { forget?: boolean } = {}) =>
      mounts.unmount(resolvePath(mountpoint, options.cwd()), o),
    mounts: () => mounts.list(),
    addToolbox: async (
      name: string,
      root: string,
      o: { bin?: string[]; env?: Record<string, string> } = {}
    ): Promise<ToolboxStatus> => {
      const added = await mounts.addToolbox({
        name,
        root: resolvePath(root, options.cwd()),
        bin: o.bin ?? ['bin'],
        env: o.env ?? {}
      });
      options.toolboxes.sync(true);
      warnToolbox(options, added);
      return {
        name: added.name,
        root: added.root,
        bin: added.bin,
        env: added.env,
        present: added.present,
        commands: added.commands,
        ...(added.message ? { message: added.message } : {})
      };
    },
    removeToolbox: async (name: string): Promise<void> => {
      await mounts.removeToolbox(name);
      // Off this kernel's PATH, its variables back as they were, at once.
      options.toolboxes.sync(true);
    },
    toolboxes: () => mounts.toolboxes(),
    pendingToolboxes: () => mounts.pendingToolboxes(),
    acceptToolbox: async (name: string): Promise<ToolboxStatus> => {
      const t = await mounts.acceptToolbox(name);
      options.toolboxes.sync(true);
      warnToolbox(options, t);
      return {
        name: t.name,
        root: t.root,
        bin: t.bin,
        env: t.env,
        present: t.present,
        commands: t.commands,
        ...(t.message ? { message: t.message } : {})
      };
    }
  } satisfies Omit<WarrenApi, ClusterMember>;
}

/** Each thing that keeps a toolbox just put into effect from working, on the cell's stderr. */
function warnToolbox(options: WarrenApiOptions, t: { name: string; warnings: string[] }): void {
  for (const w of t.warnings) options.warn(`warning: toolbox ${t.name}: ${w}\n`);
}

/** `%mount` and `%unmount`, for the shell engine's magic table. */
export function warrenMagics(options: WarrenApiOptions): Pick<LineMagics, 'mount' | 'unmount'> {
  const { mounts } = options;
  /** Arguments the parser refuses: its reason (the CLI's usage text left out), then the magic's usage. */
  const parsed = <T>(magic: 'mount' | 'unmount', parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof MountError)) throw error;
      throw new UsageError(
        magic,
        error.message.split('\n')[0].replace(/^usage: .*/, 'wrong arguments')
      );
    }
  };
  return {
    mount: async (arg, out) => {
      const command = parsed('mount', () => parseMount(splitArgs(arg), options.cwd()));
      if (command.action === 'list') {
        out.stream(
          'stdout',
          formatMounts(await mounts.list(), await mounts.toolboxes(), mounts.pendingToolboxes())
        );
      } else if (command.action === 'restore') {
        for (const r of await mounts.restore())
          out.stream(
            r.ok ? 'stdout' : 'stderr',
            `${r.mountpoint}: ${r.ok ? r.message : r.message}\n`
          );
      } else {
        const s = await mounts.mount(command.spec, { save: command.save });
        options.toolboxes.sync(true);
        out.stream(
          'stdout',
          `mounted ${s.source} on ${s.mountpoint} (${s.kind}${s.readOnly ? ', read-only' : ''})\n`
        );
        const brought = mounts.pendingToolboxes().filter((t) => t.volume === s.mountpoint);
        if (brought.length) out.stream('stdout', formatPending(brought).join('\n') + '\n');
      }
    },
    unmount: async (arg, out) => {
      const { mountpoint, forget } = parsed('unmount', () =>
        parseUnmount(splitArgs(arg), options.cwd())
      );
      await mounts.unmount(mountpoint, { forget });
      out.stream('stdout', `unmounted ${mountpoint}${forget ? ' (definition removed)' : ''}\n`);
    }
  };
}
