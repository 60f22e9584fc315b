import type {
  MountLogLine,
  PendingToolbox,
  Toolbox,
  ToolboxStatus
} from '../../../src/contract/mounts';
import { errorText } from './errors';
import type { MountStore } from './store';
import type { Repair } from './toolboxes';
import {
  binDirs,
  readManifest,
  removeFromManifest,
  repairExecBits,
  toolboxProblems,
  toolboxStatus,
  validateToolbox,
  writeManifest
} from './toolboxes';

/** A toolbox put into effect: its status, the exec bits repaired, where its manifest went, and what keeps it from working. */
export type Added = ToolboxStatus & { repair: Repair; manifest: string | null; warnings: string[] };

/** How long a freshly mounted volume's manifest is waited for. */
const RESTORE_MS = 15_000;

/**
 * The registry of toolboxes, in the MountStore shared by every warren
 * process: those in effect, and those a mounted volume's manifest brought
 * that wait to be accepted. The MountManager holds one, for its log and its
 * change listeners.
 */
export class ToolboxRegistry {
  constructor(
    private readonly store: MountStore,
    private readonly log: (
      mountpoint: string | null,
      level: MountLogLine['level'],
      text: string
    ) => void,
    private readonly changed: () => void
  ) {}

  list(): Promise<ToolboxStatus[]> {
    return Promise.all(this.store.read().toolboxes.map((t) => toolboxStatus(t)));
  }

  /**
   * Registers a toolbox: its bin folders get their exec bits back, the
   * registry gets it (new kernels put it on PATH), and the manifest of the
   * volume holding it records it so a fresh machine restores it with one mount.
   */
  async add(input: Toolbox): Promise<Added> {
    const toolbox = await validateToolbox(input);
    const repair = await repairExecBits(binDirs(toolbox), toolbox.root);
    // Throws, before anything is registered, for a root given at its bin folder.
    const warnings = await this.problems(toolbox, repair);
    if (repair.fixed.length)
      this.log(
        null,
        'info',
        `toolbox ${toolbox.name}: exec bits restored on ${repair.fixed.length} file(s)`
      );
    this.store.update((r) => {
      r.toolboxes = [...r.toolboxes.filter((t) => t.name !== toolbox.name), toolbox];
      r.pending = r.pending.filter((t) => t.name !== toolbox.name);
    });
    let manifest: string | null = null;
    const volume = this.volumeOf(toolbox.root);
    if (volume) {
      try {
        await writeManifest(volume, toolbox);
        manifest = `${volume}/.warren-tools.json`;
      } catch (error) {
        this.log(
          volume,
          'warn',
          `could not write the tool manifest on ${volume}: ${errorText(error)}`
        );
      }
    }
    this.log(null, 'info', `toolbox ${toolbox.name} at ${toolbox.root} registered`);
    for (const w of warnings) this.log(null, 'warn', `toolbox ${toolbox.name}: ${w}`);
    this.changed();
    return { ...(await toolboxStatus(toolbox)), repair, manifest, warnings };
  }

  /** Toolboxes volumes brought that are not in effect yet. */
  pending(): PendingToolbox[] {
    return this.store.read().pending;
  }

  /**
   * Puts a toolbox a volume brought into effect: checked again (the volume
   * may have changed since it was mounted), exec bits repaired inside it.
   */
  async accept(name: string): Promise<Added> {
    const found = this.store.read().pending.find((t) => t.name === name);
    if (!found) throw new Error(`no toolbox named ${name} is waiting to be accepted`);
    const toolbox = await validateToolbox(found, found.volume);
    const repair = await repairExecBits(binDirs(toolbox), toolbox.root);
    const warnings = await this.problems(toolbox, repair);
    this.store.update((r) => {
      r.toolboxes = [...r.toolboxes.filter((t) => t.name !== name), toolbox];
      r.pending = r.pending.filter((t) => t.name !== name);
    });
    this.log(found.volume, 'info', `toolbox ${name} from ${found.volume} accepted`);
    for (const w of warnings) this.log(found.volume, 'warn', `toolbox ${name}: ${w}`);
    this.changed();
    return { ...(await toolboxStatus(toolbox)), repair, manifest: null, warnings };
  }

  /**
   * Removes a toolbox, or declines one a volume brought. The registry changes
   * at once; the volume's manifest is updated when the volume answers within
   * TOOLBOX_STATUS_MS, and the log says so when it does not.
   */
  async remove(name: string): Promise<void> {
    const registry = this.store.read();
    if (registry.pending.some((t) => t.name === name)) {
      this.store.update((r) => {
        r.pending = r.pending.filter((t) => t.name !== name);
      });
      this.log(null, 'info', `toolbox ${name} declined`);
      this.changed();
      if (!registry.toolboxes.some((t) => t.name === name)) return;
    }
    const found = registry.toolboxes.find((t) => t.name === name);
    if (!found) throw new Error(`no toolbox named ${name}`);
    this.store.update((r) => {
      r.toolboxes = r.toolboxes.filter((t) => t.name !== name);
    });
    this.log(null, 'info', `toolbox ${name} removed`);
    this.changed();
    const volume = this.volumeOf(found.root);
    if (volume)
      try {
        await removeFromManifest(volume, name);
      } catch (error) {
        // A read-only volume keeps its manifest, and says nothing of it.
        if ((error as NodeJS.ErrnoException).code !== 'EROFS')
          this.log(
            volume,
            'warn',
            `toolbox ${name} is still in ${volume}/.warren-tools.json: ${errorText(error)}`
          );
      }
  }

  /**
   * What the volume's manifest brings waits for the user: a toolbox puts the
   * volume's programs first on PATH and sets variables in every new kernel.
   * One already registered exactly so (this machine wrote the manifest) is
   * not asked about again.
   */
  async restore(mp: string): Promise<void> {
    let manifest: Awaited<ReturnType<typeof readManifest>>;
    try {
      // Just mounted: a Drive may take seconds to list its root.
      manifest = await readManifest(mp, RESTORE_MS);
    } catch (error) {
      this.log(
        mp,
        'warn',
        `${mp}/.warren-tools.json was not read: ${errorText(error)}; what it offers stays as it was`
      );
      return;
    }
    if (!manifest) return;
    for (const reason of manifest.refused)
      this.log(mp, 'warn', `${mp}/.warren-tools.json: refused ${reason}`);
    const registered = this.store.read().toolboxes;
    const same = (a: Toolbox, b: Toolbox) =>
      a.root === b.root &&
      JSON.stringify(a.bin) === JSON.stringify(b.bin) &&
      JSON.stringify(a.env) === JSON.stringify(b.env);
    const found = manifest.toolboxes.filter(
      (t) => !registered.some((r) => r.name === t.name && same(r, t))
    );
    this.store.update((r) => {
      r.pending = [
        ...r.pending.filter((t) => t.volume !== mp && !found.some((f) => f.name === t.name)),
        ...found.map((t) => ({ ...t, volume: mp }))
      ];
    });
    for (const t of found)
      this.log(
        mp,
        'warn',
        `${mp} brings toolbox ${t.name}: ${describeToolbox(t)}; not in effect until accepted (warren toolbox accept ${t.name})`
      );
  }

  /** What keeps a toolbox from working (see toolboxProblems), knowing warren's mount that holds it. */
  private problems(toolbox: Toolbox, repair: Repair): Promise<string[]> {
    const volume = this.volumeOf(toolbox.root);
    const spec = volume
      ? (this.store.runtime(volume)?.spec ??
        this.store.read().mounts.find((m) => m.mountpoint === volume))
      : undefined;
    return toolboxProblems(toolbox, repair, !(spec?.kind === 'rclone' && spec.execBits === false));
  }

  /** The mountpoint of the warren mount holding a path (the longest match). */
  private volumeOf(path: string): string | null {
    const mps = [
      ...this.store.read().mounts.map((m) => m.mountpoint),
      ...this.store.runtimes().map((r) => r.spec.mountpoint)
    ];
    const holding = mps
      .filter((mp) => path === mp || path.startsWith(mp + '/'))
      .sort((a, b) => b.length - a.length);
    return holding[0] ?? null;
  }
}

/** What a toolbox does once in effect, in one line: the folders it puts on PATH, the variables it sets. */
export function describeToolbox(t: Toolbox): string {
  const env = Object.entries(t.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `puts ${binDirs(t).join(', ')} first on PATH${env.length ? `, sets ${env.join(' ')}` : ''}`;
}
