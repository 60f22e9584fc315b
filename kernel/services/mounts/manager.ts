import type {
  MountLogLine,
  MountSpec,
  MountStatus,
  PendingToolbox,
  Toolbox,
  ToolboxStatus
} from '../../../src/contract/mounts';
import { mountBackend, preflight } from './backends';
import { errorText, MountError } from './errors';
import { mountAt } from '../../mountinfo';
import { probe } from './probe';
import { normalizeMountpoint, normalizeSpec, prepareMountpoint, removeCreated } from './mountpoint';
import { ToolboxRegistry } from './registry';
import type { Added } from './registry';
import { redact } from './secrets';
import { alive } from '../../pids';
import { MountStore } from './store';
import type { MountRuntime } from './store';
import {
  daemonPids,
  endDaemon,
  forceUnmount,
  unmountBackend,
  waitExit,
  waitForUploads
} from './unmount';

/** Seconds before a failed heal is tried again; doubled at each failure, up to RETRY_MAX_S. */
const RETRY_FIRST_S = 5;
const RETRY_MAX_S = 300;

/**
 * Mounts and toolboxes for one process (a kernel, the CLI). Definitions,
 * runtime records and the log are shared with every other warren process
 * through the MountStore; a per-mountpoint lock keeps two of them from
 * mounting or healing the same path at once.
 */
export class MountManager {
  readonly store: MountStore;
  private readonly tools: ToolboxRegistry;
  private readonly busy = new Set<string>();
  private readonly errors = new Map<string, string>();
  private readonly changeListeners = new Set<() => void>();
  private readonly logListeners = new Set<(line: MountLogLine) => void>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: MountManager.IOptions = {}) {
    this.store = options.store ?? new MountStore();
    this.tools = new ToolboxRegistry(
      this.store,
      (mountpoint, level, text) => this.log(mountpoint, level, text),
      () => this.changed()
    );
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onLog(listener: (line: MountLogLine) => void): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Every defined or live mount, with its state (a stat of each mountpoint). */
  async list(): Promise<MountStatus[]> {
    const specs = new Map<string, MountSpec>();
    for (const s of this.store.read().mounts) specs.set(s.mountpoint, s);
    for (const r of this.store.runtimes())
      if (!specs.has(r.spec.mountpoint)) specs.set(r.spec.mountpoint, r.spec);
    return Promise.all([...specs.values()].map((s) => this.status(s)));
  }

  async status(spec: MountSpec): Promise<MountStatus> {
    const runtime = this.store.runtime(spec.mountpoint);
    const entry = mountAt(spec.mountpoint);
    const base = {
      ...spec,
      // A definition saved by a warren from before secrets were refused is shown, never its secret.
      source: redact(spec.source),
      pid: runtime?.pid && alive(runtime.pid) ? runtime.pid : null,
      fsType: entry?.fsType ?? null,
      mountedAt: entry ? (runtime?.mountedAt ?? null) : null
    };
    if (this.busy.has(spec.mountpoint)) return { ...base, state: 'busy', message: null };
    if (entry) {
      const p = await probe(spec.mountpoint);
      if (p.state === 'ok') return { ...base, state: 'mounted', message: null };
      if (p.state === 'stale') return { ...base, state: 'stale', message: p.message };
    }
    const error = this.errors.get(spec.mountpoint) ?? (entry ? undefined : runtime?.error);
    return error
      ? { ...base, state: 'error', message: error }
      : { ...base, state: 'unmounted', message: null };
  }

  /**
   * Mounts a volume. Every check runs before anything changes; on failure the
   * mountpoint folders it created are removed, nothing is saved, and a
   * MountError says why.
   */
  async mount(input: MountSpec, options: { save?: boolean } = {}): Promise<MountStatus> {
    const spec = normalizeSpec(input);
    const mp = spec.mountpoint;
    const release = await this.store.lock(mp, 5000);
    this.busy.add(mp);
    this.changed();
    try {
      const existing = mountAt(mp);
      if (existing) {
        const runtime = this.store.runtime(mp);
        const same =
          runtime && runtime.spec.kind === spec.kind && runtime.spec.source === spec.source;
        const p = same ? await probe(mp) : null;
        if (p?.state === 'ok') {
          this.log(mp, 'info', `${mp} is already mounted from ${spec.source}`);
          if (options.save !== false) this.save(spec);
          this.busy.delete(mp);
          return await this.status(spec);
        }
        if (runtime && p?.state === 'stale') {
          // Ours, and dead or hung: mounting it again is what the user asks for.
          this.log(mp, 'warn', `${mp} does not answer (${p.message}); detaching it to mount again`);
          await this.detach(runtime.spec, runtime.pid);
        }
        if (mountAt(mp)) {
          const from = runtime
            ? `${runtime.spec.kind} from ${runtime.spec.source}`
            : `${existing.fsType} from ${existing.source}`;
          throw new MountError(
            `${mp} is already a mount point (${from}): unmount it first or pick another folder`
          );
        }
      }
      const created = prepareMountpoint(mp);
      try {
        await preflight(spec);
        await this.attach(spec);
      } catch (error) {
        removeCreated(created);
        throw error;
      }
      if (options.save !== false) this.save(spec);
      this.errors.delete(mp);
      await this.tools.restore(mp);
      this.busy.delete(mp);
      return await this.status(spec);
    } catch (error) {
      // A program's own words (rclone's, sshfs's) can quote a credential.
      const message = redact(errorText(error));
      this.log(mp, 'error', `mount ${spec.source} on ${mp} failed: ${message}`);
      throw new MountError(message);
    } finally {
      this.busy.delete(mp);
      release();
      this.changed();
    }
  }

  /**
   * Unmounts, after rclone has uploaded every pending write. `forget` also
   * drops the definition from mounts.json.
   */
  async unmount(mountpoint: string, options: { forget?: boolean } = {}): Promise<void> {
    const mp = normalizeMountpoint(mountpoint);
    const runtime = this.store.runtime(mp);
    const defined = this.store.read().mounts.find((m) => m.mountpoint === mp);
    const spec = runtime?.spec ?? defined;
    if (!spec) throw new MountError(`${mp} is not a warren mount (see \`warren mounts\`)`);
    const release = await this.store.lock(mp, 5000);
    this.busy.add(mp);
    this.changed();
    try {
      if (mountAt(mp)) {
        const p = await probe(mp);
        if (p.state !== 'ok') {
          this.log(
            mp,
            'warn',
            `${mp} is stale (${p.state === 'stale' ? p.message : 'gone'}); detaching it`
          );
          await this.detach(spec, runtime?.pid ?? null);
        } else {
          if (spec.kind === 'rclone' && runtime?.rcPort)
            await waitForUploads(spec, runtime.rcPort, (level, text) => this.log(mp, level, text));
          await unmountBackend(spec);
          if (runtime?.pid) await waitExit(runtime.pid, 5000);
        }
        this.log(mp, 'info', `unmounted ${mp}`);
      }
      this.store.setRuntime(mp, null);
      this.errors.delete(mp);
      if (options.forget) {
        this.store.update((r) => {
          r.mounts = r.mounts.filter((m) => m.mountpoint !== mp);
        });
        this.log(mp, 'info', `forgot the definition of ${mp}`);
      }
    } catch (error) {
      this.log(mp, 'error', `unmount ${mp} failed: ${errorText(error)}`);
      throw error;
    } finally {
      this.busy.delete(mp);
      release();
      this.changed();
    }
  }

  /** Mounts every definition marked `auto` that is not mounted; one failure does not stop the rest. */
  async restore(): Promise<Array<{ mountpoint: string; ok: boolean; message: string }>> {
    const out: Array<{ mountpoint: string; ok: boolean; message: string }> = [];
    for (const spec of this.store.read().mounts.filter((m) => m.auto)) {
      if (mountAt(spec.mountpoint) && (await probe(spec.mountpoint)).state === 'ok') continue;
      try {
        const s = await this.mount(spec, { save: false });
        out.push({ mountpoint: spec.mountpoint, ok: true, message: s.state });
      } catch (error) {
        out.push({ mountpoint: spec.mountpoint, ok: false, message: errorText(error) });
      }
    }
    return out;
  }

  /**
   * The health check: a mount some warren process made (and nobody
   * unmounted) that is stale, or whose daemon died, is detached and mounted
   * again. A mountpoint another process is healing is skipped.
   */
  check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = null));
    return this.checking;
  }

  /** Runs the health check every `intervalMs` (the timer does not keep the process alive). */
  startHealthChecks(intervalMs = Number(process.env.WARREN_MOUNT_CHECK_MS) || 10000): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stopHealthChecks(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  toolboxes(): Promise<ToolboxStatus[]> {
    return this.tools.list();
  }

  /** Registers a toolbox (see ToolboxRegistry.add). */
  addToolbox(input: Toolbox): Promise<Added> {
    return this.tools.add(input);
  }

  /** Toolboxes volumes brought that are not in effect yet. */
  pendingToolboxes(): PendingToolbox[] {
    return this.tools.pending();
  }

  /** Puts a toolbox a volume brought into effect (see ToolboxRegistry.accept). */
  acceptToolbox(name: string): Promise<Added> {
    return this.tools.accept(name);
  }

  /** Removes a toolbox, or declines one a volume brought (see ToolboxRegistry.remove). */
  removeToolbox(name: string): Promise<void> {
    return this.tools.remove(name);
  }

  logs(limit = 200): MountLogLine[] {
    return this.store.readLog(limit);
  }

  dispose(): void {
    this.stopHealthChecks();
    this.changeListeners.clear();
    this.logListeners.clear();
  }

  /** Mounts with the backend and records the runtime (no checks, no lock). */
  private async attach(spec: MountSpec): Promise<void> {
    const daemon = await mountBackend(spec, {
      daemonLog: this.store.daemonLog(spec.mountpoint),
      log: (text, level = 'info') => this.log(spec.mountpoint, level, text)
    });
    const p = await probe(spec.mountpoint);
    if (p.state !== 'ok') {
      await forceUnmount(spec.mountpoint);
      throw new MountError(
        `mounted, but ${spec.mountpoint} does not answer: ${p.state === 'stale' ? p.message : 'gone'}`
      );
    }
    const runtime: MountRuntime = {
      spec,
      pid: daemon.pid,
      rcPort: daemon.rcPort,
      mountedAt: Date.now()
    };
    this.store.setRuntime(spec.mountpoint, runtime);
    this.log(
      spec.mountpoint,
      'info',
      `mounted ${spec.source} on ${spec.mountpoint}${spec.readOnly ? ' (read-only)' : ''}${daemon.pid ? ` (pid ${daemon.pid})` : ''}`
    );
  }

  private async checkAll(): Promise<void> {
    let changed = false;
    for (const runtime of this.store.runtimes()) {
      const mp = runtime.spec.mountpoint;
      if (this.busy.has(mp)) continue;
      // A heal that failed is tried again, each time a while later.
      if (runtime.retryAt !== undefined && Date.now() < runtime.retryAt) continue;
      const entry = mountAt(mp);
      let reason: string | null = null;
      if (entry) {
        const p = await probe(mp);
        if (p.state === 'stale') reason = p.message;
      } else if (runtime.failures) {
        reason = `the last remount failed: ${runtime.error ?? 'unknown error'}`;
      } else if (runtime.pid !== null && !alive(runtime.pid)) {
        reason = `its daemon (pid ${runtime.pid}) exited and the mount is gone`;
      } else if (runtime.pid === null) {
        this.log(mp, 'warn', `${mp} was unmounted outside warren`);
        this.store.setRuntime(mp, null);
        changed = true;
      }
      if (reason) {
        changed = true;
        await this.heal(runtime, reason);
      }
    }
    if (changed) this.changed();
  }

  private async heal(seen: MountRuntime, reason: string): Promise<void> {
    const { spec } = seen;
    const mp = spec.mountpoint;
    let release: () => void;
    try {
      release = await this.store.lock(mp, 0);
    } catch {
      return; // another process is on it
    }
    // Probing a hung volume takes seconds: one unmounted (or mounted anew) by
    // another process meanwhile is theirs, not ours to mount again.
    if (this.store.runtime(mp)?.mountedAt !== seen.mountedAt) {
      release();
      return;
    }
    this.busy.add(mp);
    this.changed();
    try {
      this.log(mp, 'warn', `${mp} is dead (${reason}); remounting`);
      await this.detach(spec, seen.pid);
      await this.attach(spec);
      this.errors.delete(mp);
      this.log(mp, 'info', `${mp} healed`);
    } catch (error) {
      const failures = (seen.failures ?? 0) + 1;
      const waitS = Math.min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (failures - 1));
      const message = redact(`remount failed: ${errorText(error)}`);
      this.errors.set(mp, message);
      // Left as it is, the record named a mount that is gone and a daemon
      // that may still be alive: no check ever tried again. It now asks for
      // the next try, and says why this one failed to every process; the
      // old daemon is ended.
      this.store.setRuntime(mp, {
        ...seen,
        pid: null,
        rcPort: null,
        failures,
        retryAt: Date.now() + waitS * 1000,
        error: message
      });
      this.log(
        mp,
        'error',
        `remount of ${mp} failed (${failures} in a row): ${errorText(error)}; trying again in ${waitS} s`
      );
    } finally {
      this.busy.delete(mp);
      release();
    }
  }

  /**
   * Takes a stale or hung mount of ours off its mountpoint (a lazy unmount:
   * nothing waits on the volume) and ends its daemon, which a lazy unmount
   * leaves running, hung, naming the path: the recorded one, and any other
   * of its program still naming the path once nothing is mounted there.
   */
  private async detach(spec: MountSpec, pid: number | null): Promise<void> {
    const mp = spec.mountpoint;
    await forceUnmount(mp);
    const program = spec.kind === 'rclone' || spec.kind === 'sshfs' ? spec.kind : null;
    const left = program && !mountAt(mp) ? daemonPids(program, mp) : [];
    const daemons = [...new Set([...(pid !== null ? [pid] : []), ...left])];
    if (daemons.length)
      this.log(
        mp,
        'info',
        `ending the old daemon${daemons.length > 1 ? 's' : ''} (pid ${daemons.join(', ')})`
      );
    await Promise.all(daemons.map((d) => endDaemon(d, mp)));
  }

  private save(spec: MountSpec): void {
    this.store.update((r) => {
      r.mounts = [...r.mounts.filter((m) => m.mountpoint !== spec.mountpoint), spec];
    });
  }

  /** One line to the shared log, this process's log and the panels: redacted once, for all three. */
  private log(mountpoint: string | null, level: MountLogLine['level'], raw: string): void {
    const text = redact(raw);
    const line: MountLogLine = { time: Date.now(), mountpoint, level, text };
    try {
      this.store.appendLog(line);
    } catch {
      // an unwritable config dir must not break a mount
    }
    this.options.log?.(`mounts: ${text}`);
    for (const l of this.logListeners) l(line);
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }
}

export namespace MountManager {
  export interface IOptions {
    store?: MountStore;
    /** The process's own log (the kernel's stderr), never a cell. */
    log?: (text: string) => void;
  }
}
