import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type {
  MountKind,
  MountSpec,
  MountStatus,
  PendingToolbox,
  ToolboxStatus
} from '../../../src/contract/mounts';
import { MountError } from './errors';

/** Splits a magic's argument line like a shell would split words (quotes, backslashes); nothing is expanded. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let started = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) out.push(word);
      word = '';
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (quote) throw new MountError(`unclosed ${quote} in: ${line}`);
  if (started) out.push(word);
  return out;
}

export const MOUNT_USAGE = `usage:
  mount                                       list mounts and toolboxes
  mount SOURCE MOUNTPOINT [options]           SOURCE: remote:path (rclone), [user@]host:/path (sshfs), /folder (bind)
  mount --restore                             mount every definition saved with --auto
options:
  --rclone | --sshfs | --bind | --nfs         the kind, when SOURCE does not tell
  --ro  --auto  --no-save  --timeout SECONDS
  --config FILE  --no-exec-bits               rclone
  -p/--port N  -i/--identity KEYFILE  --known-hosts FILE   sshfs
unmount MOUNTPOINT [--forget]                 flushes writes, unmounts (--forget drops the definition)`;

export type MountCommand =
  { action: 'list' } | { action: 'restore' } | { action: 'mount'; spec: MountSpec; save: boolean };

/** What, besides the source, tells an rclone remote from an sshfs host. */
export interface KindHints {
  /** The remotes the rclone config defines, or null where it cannot be read. */
  remotes: string[] | null;
  /** Whether ssh options (-p, -i, --known-hosts) were given. */
  sshOptions: boolean;
}

/**
 * Guesses the kind from the source: `/x` is a bind, `user@host:/x` sshfs (and
 * `user:password@host:/x`, which sshfs refuses without quoting it). `name:x`
 * is rclone when the rclone config defines `name`; otherwise `host:/x` whose
 * host is an IP address, localhost or a dotted name, or that comes with ssh
 * options and a path from /, is sshfs, as the usage's `[user@]host:/path` says. The rest is
 * rclone, whose preflight names an unknown remote.
 */
export function inferKind(
  source: string,
  hints: KindHints = { remotes: null, sshOptions: false }
): MountKind {
  if (source.startsWith('/')) return 'bind';
  if (/^[^@/\s]+@[^:/\s]+:/.test(source)) return 'sshfs';
  const host = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_][A-Za-z0-9._-]*):/.exec(source)?.[1];
  if (host === undefined) return 'rclone';
  // A remote set through RCLONE_CONFIG_NAME_TYPE is known by its upper-case name.
  if (hints.remotes?.some((r) => r === host || r === host.toUpperCase())) return 'rclone';
  const hostLike =
    host.startsWith('[') || host === 'localhost' || (host.includes('.') && !host.endsWith('.'));
  const absolutePath = source.startsWith(`${host}:/`);
  return hostLike || (hints.sshOptions && absolutePath) ? 'sshfs' : 'rclone';
}

/**
 * The remotes an rclone config defines (its `[name]` sections, and
 * RCLONE_CONFIG_NAME_TYPE variables), or null where it cannot be read (absent,
 * encrypted). Without `file`, the config rclone itself would read.
 */
export function rcloneRemotes(file?: string, env = process.env): string[] | null {
  const home = env.HOME ?? homedir();
  const path =
    file ??
    env.RCLONE_CONFIG ??
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'rclone', 'rclone.conf');
  const fromEnv = Object.keys(env)
    .map((k) => /^RCLONE_CONFIG_(.+)_TYPE$/.exec(k)?.[1])
    .filter((n): n is string => n !== undefined);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return fromEnv.length ? fromEnv : null;
  }
  const sections = [...text.matchAll(/^\s*\[([^\]\n]+)\]\s*$/gm)].map((m) => m[1].trim());
  // rclone matches RCLONE_CONFIG_NAME_* to a remote whatever its case.
  return [...sections, ...fromEnv.filter((n) => !sections.some((s) => s.toUpperCase() === n))];
}

/** Parses `mount` arguments (the magic and the CLI share them). */
export function parseMount(argv: string[], cwd: string): MountCommand {
  let kind: MountKind | null = null;
  const spec: Partial<MountSpec> = {};
  const positional: string[] = [];
  let save = true;
  let restore = false;
  const value = (i: number, flag: string): string => {
    const v = args[i + 1];
    if (v === undefined) throw new MountError(`${flag} needs a value\n${MOUNT_USAGE}`);
    return v;
  };
  // --config=FILE is --config FILE (the options that take a value).
  const args = argv.flatMap((a) => {
    const m = /^(--(?:timeout|config|port|identity|known-hosts))=(.*)$/s.exec(a);
    return m ? [m[1], m[2]] : [a];
  });
  const given = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    given.add(a);
    switch (a) {
      case '--rclone':
      case '--sshfs':
      case '--bind':
      case '--nfs':
        kind = a.slice(2) as MountKind;
        break;
      case '--ro':
      case '--read-only':
        spec.readOnly = true;
        break;
      case '--auto':
        spec.auto = true;
        break;
      case '--no-save':
        save = false;
        break;
      case '--restore':
        restore = true;
        break;
      case '--no-exec-bits':
        spec.execBits = false;
        break;
      case '--timeout':
        spec.timeoutS = Number(value(i++, a));
        break;
      case '--config':
        spec.rcloneConfig = absolute(value(i++, a), cwd);
        break;
      case '-p':
      case '--port':
        spec.port = Number(value(i++, a));
        break;
      case '-i':
      case '--identity':
        spec.identityFile = absolute(value(i++, a), cwd);
        break;
      case '--known-hosts':
        spec.knownHostsFile = absolute(value(i++, a), cwd);
        break;
      default:
        if (a.startsWith('-') && a.length > 1)
          throw new MountError(`unknown option ${a}\n${MOUNT_USAGE}`);
        positional.push(a);
    }
  }
  if (restore) return { action: 'restore' };
  if (positional.length === 0) return { action: 'list' };
  if (positional.length !== 2)
    throw new MountError(`mount takes SOURCE and MOUNTPOINT\n${MOUNT_USAGE}`);
  const [source, mountpoint] = positional;
  const k =
    kind ??
    inferKind(source, {
      remotes: /^[A-Za-z0-9_[]/.test(source) ? rcloneRemotes(spec.rcloneConfig) : null,
      sshOptions:
        spec.port !== undefined ||
        spec.identityFile !== undefined ||
        spec.knownHostsFile !== undefined
    });
  const only = (which: MountKind, flags: string[]) => {
    const wrong = flags.filter((f) => given.has(f));
    if (wrong.length)
      throw new MountError(
        `${wrong.join(', ')} applies only to ${which} mounts, and ${source} is ${k === 'rclone' ? 'an' : 'a'} ${k} one` +
          (which === 'sshfs' ? ' (add --sshfs for sshfs)' : '')
      );
  };
  if (k !== 'sshfs') only('sshfs', ['-p', '--port', '-i', '--identity', '--known-hosts']);
  if (k !== 'rclone') only('rclone', ['--config', '--no-exec-bits']);
  return {
    action: 'mount',
    save,
    spec: {
      ...spec,
      kind: k,
      source: k === 'bind' ? absolute(source, cwd) : source,
      mountpoint: absolute(mountpoint, cwd)
    }
  };
}

export function parseUnmount(args: string[], cwd: string): { mountpoint: string; forget: boolean } {
  const positional = args.filter((a) => !a.startsWith('--'));
  const unknown = args.filter((a) => a.startsWith('--') && a !== '--forget');
  if (unknown.length || positional.length !== 1)
    throw new MountError(`usage: unmount MOUNTPOINT [--forget]`);
  return { mountpoint: absolute(positional[0], cwd), forget: args.includes('--forget') };
}

function absolute(path: string, cwd: string): string {
  if (path.startsWith('/')) return path;
  if (path === '~' || path.startsWith('~/')) return (process.env.HOME ?? '/root') + path.slice(1);
  return `${cwd.replace(/\/$/, '')}/${path}`;
}

const LIGHT: Record<MountStatus['state'], string> = {
  mounted: '●',
  stale: '▲',
  unmounted: '○',
  busy: '◌',
  error: '✕'
};

/** A plain-text table of mounts and toolboxes. */
export function formatMounts(
  mounts: MountStatus[],
  toolboxes: ToolboxStatus[],
  pending: PendingToolbox[] = []
): string {
  const lines: string[] = [];
  if (mounts.length === 0) lines.push('no mounts');
  else {
    const rows = mounts.map((m) => [
      `${LIGHT[m.state]} ${m.state}`,
      m.kind,
      m.source,
      m.mountpoint,
      [m.readOnly ? 'ro' : 'rw', m.auto ? 'auto' : '', m.pid ? `pid ${m.pid}` : '', m.message ?? '']
        .filter(Boolean)
        .join(' ')
    ]);
    lines.push(...table([['STATE', 'KIND', 'SOURCE', 'MOUNTPOINT', ''], ...rows]));
  }
  if (toolboxes.length) {
    lines.push('', 'toolboxes:');
    for (const t of toolboxes)
      lines.push(
        `  ${t.present ? '●' : '○'} ${t.name}  ${t.root}  bin: ${t.bin.join(', ')}  ${t.commands} command(s)` +
          (Object.keys(t.env).length ? `  env: ${Object.keys(t.env).join(', ')}` : '') +
          (t.message ? `  (${t.message})` : '')
      );
  }
  if (pending.length) lines.push('', ...formatPending(pending));
  return lines.join('\n') + '\n';
}

/** Toolboxes volumes brought, with all they would do, and how to accept or decline each. */
export function formatPending(pending: PendingToolbox[]): string[] {
  const lines = ['waiting to be accepted (a volume brought them; not in effect):'];
  for (const t of pending) {
    lines.push(`  ${t.name}  from ${t.volume}`);
    lines.push(`    PATH first: ${t.bin.map((b) => `${t.root}/${b}`).join(', ')}`);
    for (const [k, v] of Object.entries(t.env)) lines.push(`    ${k}=${JSON.stringify(v)}`);
  }
  lines.push('  accept: warren toolbox accept NAME   decline: warren toolbox remove NAME');
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => cell + ' '.repeat(widths[c] - [...cell].length))
      .join('  ')
      .trimEnd()
  );
}
