import type { JSONObject } from '../../src/contract';
import { CommTargets } from '../../src/contract';
import type {
  MountKind,
  MountSpec,
  MountsKernelMessage,
  MountsState,
  Toolbox
} from '../../src/contract/mounts';
import type { MountManager } from '../services/mounts';
import { errorText } from '../services/mounts';
import type { Comm, CommTarget } from './comm';

/**
 * `warren.mounts`: each open comm gets the state of every mount and toolbox
 * on open, after each change, and after each health check while a comm is
 * open (the health check runs only then, besides the kernel's own timer).
 * Requests carry an id that the `result` echoes.
 */
export class MountsCommTarget implements CommTarget {
  readonly name = CommTargets.mounts;
  private readonly comms = new Map<string, Comm>();
  private unsubscribe: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private pushing: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly mounts: MountManager,
    private readonly options: { intervalMs?: number } = {}
  ) {}

  open(comm: Comm, _data: JSONObject): void {
    this.comms.set(comm.id, comm);
    comm.onClose(() => this.closed(comm.id));
    comm.onMessage((msg) => void this.handle(comm, msg));
    if (this.comms.size === 1) {
      this.unsubscribe = [
        this.mounts.onChange(() => void this.push()),
        this.mounts.onLog((line) => this.broadcast({ type: 'logs', lines: [line] }))
      ];
      this.timer = setInterval(
        () => void this.mounts.check().then(() => this.push()),
        this.options.intervalMs ?? 5000
      );
      this.timer.unref();
    }
    void this.push();
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.comms.clear();
  }

  private closed(id: string): void {
    this.comms.delete(id);
    if (this.comms.size === 0) this.dispose();
  }

  private broadcast(message: MountsKernelMessage): void {
    for (const c of this.comms.values()) c.send(message);
  }

  /** Sends the state; pushes asked for while one is being built coalesce into one more. */
  private push(): Promise<void> {
    if (this.pushing) {
      this.again = true;
      return this.pushing;
    }
    this.pushing = (async () => {
      do {
        this.again = false;
        const state: MountsState = {
          type: 'state',
          time: Date.now(),
          mounts: await this.mounts.list(),
          toolboxes: await this.mounts.toolboxes(),
          pending: this.mounts.pendingToolboxes()
        };
        this.broadcast(state);
      } while (this.again);
    })().finally(() => (this.pushing = null));
    return this.pushing;
  }

  private async handle(comm: Comm, msg: JSONObject): Promise<void> {
    const request = typeof msg.request === 'string' ? msg.request : '';
    const reply = (ok: boolean, message: string) =>
      comm.send({ type: 'result', request, ok, message });
    try {
      switch (msg.type) {
        case 'refresh':
          await this.mounts.check();
          await this.push();
          return;
        case 'logs':
          comm.send({ type: 'logs', lines: this.mounts.logs(200) });
          return;
        case 'mount': {
          const spec = asSpec(msg.spec);
          if (!spec) return reply(false, 'not a mount definition');
          const s = await this.mounts.mount(spec);
          return reply(true, `mounted ${s.source} on ${s.mountpoint}`);
        }
        case 'unmount': {
          if (typeof msg.mountpoint !== 'string') return reply(false, 'which mountpoint?');
          await this.mounts.unmount(msg.mountpoint, { forget: msg.forget === true });
          return reply(true, `unmounted ${msg.mountpoint}`);
        }
        case 'add-toolbox': {
          const t = asToolbox(msg.toolbox);
          if (!t) return reply(false, 'not a toolbox');
          const s = await this.mounts.addToolbox(t);
          return reply(
            true,
            `toolbox ${s.name}: ${s.commands} command${s.commands === 1 ? '' : 's'}` +
              (s.repair.fixed.length ? `, exec bits restored on ${s.repair.fixed.length}` : '') +
              s.warnings.map((w) => `; warning: ${w}`).join('')
          );
        }
        case 'accept-toolbox': {
          if (typeof msg.name !== 'string') return reply(false, 'which toolbox?');
          const s = await this.mounts.acceptToolbox(msg.name);
          return reply(
            true,
            `toolbox ${s.name} accepted: ${s.commands} command(s)` +
              s.warnings.map((w) => `; warning: ${w}`).join('')
          );
        }
        case 'remove-toolbox':
          if (typeof msg.name !== 'string') return reply(false, 'which toolbox?');
          await this.mounts.removeToolbox(msg.name);
          return reply(true, `toolbox ${msg.name} removed`);
        default:
          return reply(false, `unknown request ${String(msg.type)}`);
      }
    } catch (error) {
      reply(false, errorText(error));
      void this.push();
    }
  }
}

const KINDS: readonly string[] = ['rclone', 'sshfs', 'bind', 'nfs'];

function asSpec(value: unknown): MountSpec | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (
    typeof v.kind !== 'string' ||
    !KINDS.includes(v.kind) ||
    typeof v.source !== 'string' ||
    typeof v.mountpoint !== 'string'
  )
    return null;
  const spec: MountSpec = { kind: v.kind as MountKind, source: v.source, mountpoint: v.mountpoint };
  if (v.readOnly === true) spec.readOnly = true;
  if (v.auto === true) spec.auto = true;
  if (v.execBits === false) spec.execBits = false;
  if (typeof v.timeoutS === 'number') spec.timeoutS = v.timeoutS;
  if (typeof v.port === 'number') spec.port = v.port;
  for (const k of ['rcloneConfig', 'identityFile', 'knownHostsFile'] as const)
    if (typeof v[k] === 'string' && v[k]) spec[k] = v[k] as string;
  return spec;
}

function asToolbox(value: unknown): Toolbox | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || typeof v.root !== 'string') return null;
  const bin = Array.isArray(v.bin)
    ? v.bin.filter((b): b is string => typeof b === 'string' && b !== '')
    : [];
  const env: Record<string, string> = {};
  if (typeof v.env === 'object' && v.env !== null)
    for (const [k, x] of Object.entries(v.env)) if (typeof x === 'string') env[k] = x;
  return { name: v.name, root: v.root, bin: bin.length ? bin : ['bin'], env };
}
