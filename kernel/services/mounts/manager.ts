import { lstatSync, mkdirSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import type {
  MountLogLine,
  MountSpec,
  MountStatus,
  PendingToolbox,
  Toolbox,
  ToolboxStatus
} from '../../../src/contract/mounts';
import {
  forceUnmount,
  MountError,
  mountBackend,
  pendingUploads,
  preflight,
  timeoutOf,
  unmountBackend
} from './backends';
import { mountAt, probe } from './mountinfo';
import { redact, secretInRemote } from './secrets';
import { alive, MountStore } from './store';
import type { MountRuntime } from './store';
import type { Repair } from './toolboxes';
import {
  binDirs,
  readManifest,
  removeFromManifest,
  repairExecBits,
  toolboxStatus,
  validateToolbox,
  writeManifest
} from './toolboxes';

/**
 * Mounts and toolboxes for one process (a kernel, the CLI). Definitions,
 * runtime records and the log are shared with every other warren process
 * through the MountStore; a per-mountpoint lock keeps two of them from
 * mounting or healing the same path at once.
 */
export class MountManager {
  readonly store: MountStore;
  private readonly busy = new Set<string>();
  private readonly errors = new Map<string, string>();
  private readonly changeListeners = new Set<() => void>();
  private readonly logListeners = new Set<(line: MountLogLine) => void>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;

  constructor(private readonly options: MountManager.IOptions = {}) {
    this.store = options.store ?? new MountStore();
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
    const error = this.errors.get(spec.mountpoint);
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
        if (same && (await probe(mp)).state === 'ok') {
          this.log(mp, 'info', `${mp} is already mounted from ${spec.source}`);
          if (options.save !== false) this.save(spec);
          this.busy.delete(mp);
          return await this.status(spec);
        }
        const from = runtime
          ? `${runtime.spec.kind} from ${runtime.spec.source}`
          : `${existing.fsType} from ${existing.source}`;
        throw new MountError(
          `${mp} is already a mount point (${from}): unmount it first or pick another folder`
        );
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
      this.restoreToolboxes(mp);
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
          await forceUnmount(mp);
        } else {
          if (spec.kind === 'rclone' && runtime?.rcPort) await this.flush(spec, runtime.rcPort);
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

  toolboxes(): ToolboxStatus[] {
    return this.store.read().toolboxes.map(toolboxStatus);
  }

  /**
   * Registers a toolbox: its bin folders get their exec bits back, the
   * registry gets it (new kernels put it on PATH), and the manifest of the
   * volume holding it records it so a fresh machine restores it with one mount.
   */
  async addToolbox(
    input: Toolbox
  ): Promise<ToolboxStatus & { repair: Repair; manifest: string | null }> {
    const toolbox = validateToolbox(input);
    const repair = await repairExecBits(binDirs(toolbox), toolbox.root);
    if (repair.fixed.length)
      this.log(
        null,
        'info',
        `toolbox ${toolbox.name}: exec bits restored on ${repair.fixed.length} file(s)`
      );
    if (repair.failed.length)
      this.log(
        null,
        'warn',
        `toolbox ${toolbox.name}: the volume did not keep exec bits on ${repair.failed.length} file(s) (an rclone mount needs execBits)`
      );
    this.store.update((r) => {
      r.toolboxes = [...r.toolboxes.filter((t) => t.name !== toolbox.name), toolbox];
      r.pending = r.pending.filter((t) => t.name !== toolbox.name);
    });
    let manifest: string | null = null;
    const volume = this.volumeOf(toolbox.root);
    if (volume) {
      try {
        writeManifest(volume, toolbox);
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
    this.changed();
    return { ...toolboxStatus(toolbox), repair, manifest };
  }

  /** Toolboxes volumes brought that are not in effect yet. */
  pendingToolboxes(): PendingToolbox[] {
    return this.store.read().pending;
  }

  /**
   * Puts a toolbox a volume brought into effect: checked again (the volume
   * may have changed since it was mounted), exec bits repaired inside it.
   */
  async acceptToolbox(
    name: string
  ): Promise<ToolboxStatus & { repair: Repair; manifest: string | null }> {
    const found = this.store.read().pending.find((t) => t.name === name);
    if (!found) throw new Error(`no toolbox named ${name} is waiting to be accepted`);
    const toolbox = validateToolbox(found, found.volume);
    const repair = await repairExecBits(binDirs(toolbox), toolbox.root);
    this.store.update((r) => {
      r.toolboxes = [...r.toolboxes.filter((t) => t.name !== name), toolbox];
      r.pending = r.pending.filter((t) => t.name !== name);
    });
    this.log(found.volume, 'info', `toolbox ${name} from ${found.volume} accepted`);
    this.changed();
    return { ...toolboxStatus(toolbox), repair, manifest: null };
  }

  /** Removes a toolbox, or declines one a volume brought. */
  removeToolbox(name: string): void {
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
    const volume = this.volumeOf(found.root);
    if (volume)
      try {
        removeFromManifest(volume, name);
      } catch {
        // a read-only volume keeps its manifest
      }
    this.log(null, 'info', `toolbox ${name} removed`);
    this.changed();
  }

  logs(limit = 200): MountLogLine[] {
    return this.store.readLog(limit);
  }

  dispose(): void {
    this.stopHealthChecks();
    this.changeListeners.clear();
    this.logListeners.clear();
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

  /**
   * What the volume's manifest brings waits for the user: a toolbox puts the
   * volume's programs first on PATH and sets variables in every new kernel.
   * One already registered exactly so (this machine wrote the manifest) is
   * not asked about again.
   */
  private restoreToolboxes(mp: string): void {
    const manifest = readManifest(mp);
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

  /** Waits until rclone's vfs cache has uploaded everything written. */
  private async flush(spec: MountSpec, rcPort: number): Promise<void> {
    const limitMs = Math.max(60, timeoutOf(spec) * 2) * 1000;
    const deadline = Date.now() + limitMs;
    let pending = await pendingUploads(rcPort);
    if (pending === null) {
      this.log(
        spec.mountpoint,
        'warn',
        `rclone's rc on port ${rcPort} does not answer: cannot tell whether writes are uploaded`
      );
      return;
    }
    if (pending > 0)
      this.log(spec.mountpoint, 'info', `waiting for ${pending} upload(s) before unmounting`);
    while (pending !== null && pending > 0) {
      if (Date.now() > deadline)
        throw new MountError(
          `${pending} file(s) written to ${spec.mountpoint} are still uploading after ${limitMs / 1000} s; not unmounted (try again, or check the network)`
        );
      await new Promise((r) => setTimeout(r, 200));
      pending = await pendingUploads(rcPort);
    }
    this.log(spec.mountpoint, 'info', 'all writes uploaded');
  }

  private async checkAll(): Promise<void> {
    let changed = false;
    for (const runtime of this.store.runtimes()) {
      const mp = runtime.spec.mountpoint;
      if (this.busy.has(mp)) continue;
      const entry = mountAt(mp);
      let reason: string | null = null;
      if (entry) {
        const p = await probe(mp);
        if (p.state === 'stale') reason = p.message;
      } else if (runtime.pid !== null && !alive(runtime.pid)) {
        reason = `its daemon (pid ${runtime.pid}) exited and the mount is gone`;
      } else if (runtime.pid === null) {
        this.log(mp, 'warn', `${mp} was unmounted outside warren`);
        this.store.setRuntime(mp, null);
        changed = true;
      }
      if (reason) {
        changed = true;
        await this.heal(runtime.spec, reason);
      }
    }
    if (changed) this.changed();
  }

  private async heal(spec: MountSpec, reason: string): Promise<void> {
    const mp = spec.mountpoint;
    let release: () => void;
    try {
      release = await this.store.lock(mp, 0);
    } catch {
      return; // another process is on it
    }
    this.busy.add(mp);
    this.changed();
    try {
      this.log(mp, 'warn', `${mp} is dead (${reason}); remounting`);
      await forceUnmount(mp);
      await this.attach(spec);
      this.errors.delete(mp);
      this.log(mp, 'info', `${mp} healed`);
    } catch (error) {
      this.errors.set(mp, redact(`remount failed: ${errorText(error)}`));
      this.log(mp, 'error', `remount of ${mp} failed: ${errorText(error)}`);
    } finally {
      this.busy.delete(mp);
      release();
    }
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

/** What a toolbox does once in effect, in one line: the folders it puts on PATH, the variables it sets. */
export function describeToolbox(t: Toolbox): string {
  const env = Object.entries(t.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `puts ${binDirs(t).join(', ')} first on PATH${env.length ? `, sets ${env.join(' ')}` : ''}`;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function normalizeMountpoint(path: string): string {
  if (!isAbsolute(path))
    throw new MountError(`the mountpoint must be an absolute path, not '${path}'`);
  return normalize(path).replace(/(.)\/+$/, '$1');
}

/** Checks a spec's shape and strips what does not belong to its kind. */
export function normalizeSpec(input: MountSpec): MountSpec {
  const mountpoint = normalizeMountpoint(input.mountpoint);
  if (mountpoint === '/') throw new MountError('cannot mount over /');
  const spec: MountSpec = {
    kind: input.kind,
    source: String(input.source ?? '').trim(),
    mountpoint
  };
  if (!spec.source) throw new MountError('a mount needs a source');
  if (input.readOnly) spec.readOnly = true;
  if (input.auto) spec.auto = true;
  if (input.timeoutS !== undefined) {
    if (!(input.timeoutS > 0 && input.timeoutS <= 3600))
      throw new MountError(`timeoutS must be between 0 and 3600 seconds, not ${input.timeoutS}`);
    spec.timeoutS = input.timeoutS;
  }
  switch (input.kind) {
    case 'rclone': {
      if (!spec.source.includes(':') || spec.source.startsWith('-'))
        throw new MountError(`an rclone source is remote: or remote:path, not '${spec.source}'`);
      const secret = secretInRemote(spec.source);
      if (secret)
        throw new MountError(
          `${secret} in the remote string would store a secret in clear text: put it in the rclone config (rclone config) and name the remote`
        );
      if (input.rcloneConfig) spec.rcloneConfig = resolve(input.rcloneConfig);
      if (input.execBits === false) spec.execBits = false;
      break;
    }
    case 'sshfs':
      if (input.port !== undefined) {
        if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535)
          throw new MountError(`not a port: ${input.port}`);
        spec.port = input.port;
      }
      if (input.identityFile) spec.identityFile = resolve(input.identityFile);
      if (input.knownHostsFile) spec.knownHostsFile = resolve(input.knownHostsFile);
      break;
    case 'bind':
      if (!isAbsolute(spec.source))
        throw new MountError(`a bind source must be an absolute path, not '${spec.source}'`);
      spec.source = normalize(spec.source).replace(/(.)\/+$/, '$1');
      break;
    case 'nfs':
      break;
    default:
      throw new MountError(
        `unknown mount kind '${String((input as { kind: unknown }).kind)}' (rclone, sshfs, bind or nfs)`
      );
  }
  return spec;
}

/** Makes sure the mountpoint is an empty folder; returns the folders it created, outermost first. */
function prepareMountpoint(mp: string): string[] {
  try {
    const s = lstatSync(mp);
    if (!s.isDirectory()) throw new MountError(`${mp} exists and is not a folder`);
    const entries = readdirSync(mp);
    if (entries.length)
      throw new MountError(
        `${mp} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}): mounting would hide them; pick an empty or new folder`
      );
    return [];
  } catch (error) {
    if (error instanceof MountError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new MountError(`cannot use ${mp} as a mountpoint: ${describeErrno(code)}`);
  }
  const missing: string[] = [];
  for (let dir = mp; ; dir = dirname(dir)) {
    try {
      lstatSync(dir);
      break;
    } catch {
      missing.unshift(dir);
      if (dir === dirname(dir)) break;
    }
  }
  try {
    // One level at a time: a recursive mkdir reports EROFS as ENOENT.
    for (const dir of missing) mkdirSync(dir);
  } catch (error) {
    removeCreated(missing);
    throw new MountError(
      `cannot create the mountpoint ${mp}: ${describeErrno((error as NodeJS.ErrnoException).code)}`
    );
  }
  return missing;
}

function removeCreated(created: string[]): void {
  for (const dir of [...created].reverse()) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system (permission denied)';
    case 'ENOTCONN':
      return 'Transport endpoint is not connected (a dead mount is on the way)';
    case 'ENOTDIR':
      return 'a part of the path is a file';
    default:
      return code ?? 'unknown error';
  }
}

function waitExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((ok) => {
    const tick = () => {
      if (!alive(pid) || Date.now() > deadline) ok();
      else setTimeout(tick, 50);
    };
    tick();
  });
}
