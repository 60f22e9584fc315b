import type { OutputSink } from '../engines/engine';

/**
 * The global that rewritten `!` lines and `%` magics call (`api/shell.ts`
 * defines it): the parser writes its name into the cells it rewrites.
 */
export const RUNTIME = '__warren_shell__';

/**
 * Every magic a cell can use, in one table. The cell parser
 * (engines/shell/syntax.ts) recognises exactly these names, and the engines
 * import nothing else from api/ (a lint wall); the kernel's
 * implementations are a `LineMagics`, a record keyed by the line magics
 * here, so one missing or extra is a compile error (`%map` was documented
 * and implemented, but missing from the parser's own list).
 */
export const MAGICS = {
  cd: { kind: 'line', usage: '%cd [DIR]' },
  env: { kind: 'line', usage: '%env [NAME[=VALUE]]' },
  set_env: { kind: 'line', usage: '%set_env NAME VALUE' },
  pwd: { kind: 'line', usage: '%pwd' },
  mount: {
    kind: 'line',
    usage:
      '%mount [SOURCE MOUNTPOINT [--rclone|--sshfs|--bind|--nfs] [--ro] [--auto] [--no-save] ' +
      '[--timeout SECONDS] [--config FILE] [--no-exec-bits] [-p PORT] [-i KEYFILE] ' +
      '[--known-hosts FILE]] | %mount --restore'
  },
  unmount: { kind: 'line', usage: '%unmount MOUNTPOINT [--forget]' },
  map: { kind: 'line', usage: '%map COMMANDS.txt [--chunk N] [--profile NAME]' },
  bash: { kind: 'cell', usage: '%%bash [ARGS]' },
  sh: { kind: 'cell', usage: '%%sh [ARGS]' }
} as const satisfies Record<string, { kind: 'line' | 'cell'; usage: string }>;

export type MagicName = keyof typeof MAGICS;
export type LineMagicName = {
  [K in MagicName]: (typeof MAGICS)[K]['kind'] extends 'line' ? K : never;
}[MagicName];
export type CellMagicName = Exclude<MagicName, LineMagicName>;

/** A line magic's implementation: its argument line (interpolated) and the cell's sink. */
export type LineMagic = (arg: string, out: OutputSink) => Promise<void>;
export type LineMagics = Record<LineMagicName, LineMagic>;

export function isLineMagic(name: string): name is LineMagicName {
  return Object.hasOwn(MAGICS, name) && MAGICS[name as MagicName].kind === 'line';
}

export function isCellMagic(name: string): name is CellMagicName {
  return Object.hasOwn(MAGICS, name) && MAGICS[name as MagicName].kind === 'cell';
}

/** A magic given arguments it cannot take: the reason, then its usage line. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(magic: MagicName, reason: string) {
    super(`${reason}\nusage: ${MAGICS[magic].usage}`);
  }
}

/** A `%name` or `%%name` that is not in the table. */
export class UnknownMagicError extends Error {
  override name = 'UsageError';
  constructor(name: string, kind: 'line' | 'cell') {
    const known = (Object.keys(MAGICS) as MagicName[])
      .filter((n) => MAGICS[n].kind === kind)
      .map((n) => (kind === 'line' ? '%' : '%%') + n)
      .join(', ');
    super(`unknown ${kind} magic ${kind === 'line' ? '%' : '%%'}${name} (there are ${known})`);
  }
}
