import { lstat, open, readdir, realpath, rename, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, normalize, relative } from 'node:path';
import type { Toolbox, ToolboxStatus } from '../../../src/contract/mounts';
import { mountReached } from '../../mountinfo';
import { asToolbox } from './store';

export const MANIFEST = '.warren-tools.json';

/**
 * How long a toolbox's volume is waited for, each time it is read or
 * written. A hung network volume (a stopped sshfs, a Drive that stopped
 * answering) may never answer: read on the kernel's thread, it stopped every
 * cell for good.
 */
export const TOOLBOX_STATUS_MS = 2000;

/** A volume that did not answer in time. */
export class HungVolume extends Error {}

/**
 * Volumes (by the mount holding them) with an operation that outlived its
 * wait and is still pending. It holds one of libuv's four file threads until
 * the volume answers, perhaps never: no other operation of that volume
 * starts meanwhile, so a hung volume holds one thread, not one per try.
 */
const late = new Map<string, number>();

/**
 * A runner of operations on the volume holding `path` (found once), each
 * given `ms`: past that, or at once while an earlier one there is still late,
 * a HungVolume error says `what` did not answer.
 */
export function onVolume(
  path: string,
  what: string,
  ms = TOOLBOX_STATUS_MS
): <T>(op: () => Promise<T>) => Promise<T> {
  const volume = mountReached(path)?.id ?? path;
  const hung = () => new HungVolume(`${what} did not answer in ${ms} ms (a hung volume?)`);
  return async <T>(op: () => Promise<T>): Promise<T> => {
    if (late.has(volume)) throw hung();
    const work = op();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late.set(volume, (late.get(volume) ?? 0) + 1);
        void work
          .then(
            // A file opened after all is closed, not left to the collector.
            (v) =>
              void (v as { close?: () => Promise<void> } | null)?.close?.().catch(() => undefined),
            () => undefined
          )
          .finally(() => {
            const left = (late.get(volume) ?? 1) - 1;
            if (left > 0) late.set(volume, left);
            else late.delete(volume);
          });
        reject(hung());
      }, ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

export function binDirs(toolbox: Toolbox): string[] {
  // A registry written before ':' was refused may hold one: such a folder never goes on PATH.
  if (PATH_UNSAFE.test(toolbox.root)) return [];
  return (toolbox.bin.length ? toolbox.bin : ['bin'])
    .filter((b) => !PATH_UNSAFE.test(b))
    .map((b) => join(toolbox.root, b));
}

/** `${root}` in a toolbox variable is its root. */
export function envOf(toolbox: Toolbox): Record<string, string> {
  const out: Record<string, string> = {};
  // A registry written before names were checked may hold one validation refuses: never set it.
  for (const [k, v] of Object.entries(toolbox.env))
    if (envProblem(k) === null) out[k] = v.split('${root}').join(toolbox.root);
  return out;
}

/**
 * Variables a toolbox may not set: each makes a program that is not the
 * toolbox's (bash, sh, the dynamic loader, a system python, perl, node, ruby,
 * java, git, ssh) run code or load libraries from wherever the value points,
 * whatever command the user runs. A volume's own programs are put on PATH
 * through `bin`; a tool that needs its libraries or modules found sets them
 * in a wrapper script in its bin folder.
 * - shells: BASH_ENV and ENV (sourced by every non-interactive bash / sh),
 *   PROMPT_COMMAND and PS0-PS4 (run or expanded at each prompt or trace),
 *   SHELLOPTS/BASHOPTS (turn on xtrace, etc.), IFS and CDPATH (change how
 *   scripts split words and where cd goes), BASH_FUNC_* (exported functions
 *   that shadow commands), PATH (set from bin, nothing else), HOME and SHELL;
 * - the loader: every LD_* (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH: one libc.so.6
 *   in the folder would run in every program), DYLD_*, GCONV_PATH, LOCPATH;
 * - interpreters' start-up hooks and search paths: PYTHONSTARTUP, PYTHONPATH,
 *   PYTHONHOME, PYTHONUSERBASE, PERL5OPT, PERL5LIB, PERLLIB, PERL5DB,
 *   NODE_OPTIONS, NODE_PATH, RUBYOPT, RUBYLIB, JAVA_TOOL_OPTIONS, _JAVA_OPTIONS,
 *   JDK_JAVA_OPTIONS, LUA_INIT*, R_PROFILE*, R_ENVIRON*;
 * - programs a user runs every day that run a command named in a variable:
 *   GIT_* (GIT_SSH_COMMAND, GIT_EXEC_PATH, GIT_CONFIG_*), SSH_ASKPASS,
 *   PAGER, MANPAGER, EDITOR, VISUAL, BROWSER.
 */
const FORBIDDEN_ENV = new Set([
  'BASH_ENV',
  'ENV',
  'PROMPT_COMMAND',
  'PS0',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'SHELLOPTS',
  'BASHOPTS',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'PATH',
  'HOME',
  'SHELL',
  'GCONV_PATH',
  'LOCPATH',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONUSERBASE',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'NODE_OPTIONS',
  'NODE_PATH',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'SSH_ASKPASS',
  'PAGER',
  'MANPAGER',
  'EDITOR',
  'VISUAL',
  'BROWSER'
]);
const FORBIDDEN_PREFIX = /^(LD_|DYLD_|BASH_FUNC_|GIT_|LUA_INIT|R_PROFILE|R_ENVIRON)/;

/** Why a toolbox may not set this variable, or null when it may. */
export function envProblem(name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `not a variable name: '${name}'`;
  const upper = name.toUpperCase();
  if (FORBIDDEN_ENV.has(upper) || FORBIDDEN_PREFIX.test(upper))
    return `a toolbox may not set ${name}: it makes shells, the loader or interpreters run code from where it points`;
  return null;
}

/**
 * The variables to set for these toolboxes: their bin folders in front of
 * PATH (first toolbox first, each once), then their own variables.
 */
export function toolEnvironment(
  toolboxes: Toolbox[],
  env: NodeJS.ProcessEnv
): Record<string, string> {
  const bins = toolboxes.flatMap(binDirs);
  const rest = (env.PATH ?? '').split(delimiter).filter((p) => p && !bins.includes(p));
  const out: Record<string, string> = { PATH: [...new Set(bins), ...rest].join(delimiter) };
  for (const t of toolboxes) Object.assign(out, envOf(t));
  return out;
}

const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Whether an open file is a program: an ELF binary or a script with a `#!` line. */
async function isProgram(fh: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(4);
  const { bytesRead } = await fh.read(head, 0, 4, 0);
  return (
    (bytesRead >= 4 && head.equals(ELF)) || (bytesRead >= 2 && head[0] === 0x23 && head[1] === 0x21)
  );
}

export interface Repair {
  /** Files that had lost their exec bits and have them again. */
  fixed: string[];
  /** Files that need them but the volume would not keep them (rclone without execBits). */
  failed: string[];
}

/**
 * What removing toolbox `removed` changes in an environment toolboxes set
 * up, and nothing else: its bin folders leave PATH (unless a remaining
 * toolbox has one too, or PATH held it at launch: `before`), and each
 * variable it set, unless changed since, takes the value a remaining toolbox
 * gives it, or its value in `before`, or goes.
 */
export function withoutToolbox(
  removed: Toolbox,
  remaining: Toolbox[],
  env: NodeJS.ProcessEnv,
  before: NodeJS.ProcessEnv
): { set: Record<string, string>; unset: string[] } {
  const keep = new Set([...remaining.flatMap(binDirs), ...(before.PATH ?? '').split(delimiter)]);
  const gone = new Set(binDirs(removed).filter((d) => !keep.has(d)));
  const set: Record<string, string> = {};
  const path = (env.PATH ?? '').split(delimiter);
  if (path.some((p) => gone.has(p))) set.PATH = path.filter((p) => !gone.has(p)).join(delimiter);
  const unset: string[] = [];
  for (const [name, value] of Object.entries(envOf(removed))) {
    if (env[name] !== value) continue;
    const other = remaining.map(envOf).find((e) => name in e);
    const old = other ? other[name] : before[name];
    if (old === undefined) unset.push(name);
    else set[name] = old;
  }
  return { set, unset };
}

/** Whether `path` is `dir` or inside it (both real paths). */
export function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Gives programs in these folders back the exec bits the volume lost (x
 * wherever r is set). Only files whose real path is inside `within` are
 * touched: a symbolic link that leaves it is never followed, and the file
 * is changed through a descriptor opened without following links.
 */
export async function repairExecBits(dirs: string[], within: string): Promise<Repair> {
  const out: Repair = { fixed: [], failed: [] };
  // Each read of the volume waits TOOLBOX_STATUS_MS at most; a volume that
  // does not answer ends the repair with a HungVolume error.
  const v = onVolume(within, `the volume holding ${within}`);
  let boundary: string;
  try {
    boundary = await v(() => realpath(within));
  } catch (error) {
    if (error instanceof HungVolume) throw error;
    return out;
  }
  for (const dir of dirs) {
    let names: string[];
    try {
      if (!inside(boundary, await v(() => realpath(dir)))) continue;
      names = await v(() => readdir(dir));
    } catch (error) {
      if (error instanceof HungVolume) throw error;
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      try {
        const real = (await v(() => lstat(file))).isSymbolicLink()
          ? await v(() => realpath(file))
          : file;
        if (!inside(boundary, await v(() => realpath(real)))) continue;
        const fh = await v(() => open(real, constants.O_RDONLY | constants.O_NOFOLLOW));
        try {
          const s = await v(() => fh.stat());
          if (!s.isFile() || (s.mode & 0o111) !== 0 || !(await v(() => isProgram(fh)))) continue;
          await v(() => fh.chmod((s.mode & 0o7777) | ((s.mode & 0o444) >> 2)));
          if (((await v(() => fh.stat())).mode & 0o111) !== 0) out.fixed.push(file);
          else out.failed.push(file);
        } finally {
          void fh.close().catch(() => undefined);
        }
      } catch (error) {
        if (error instanceof HungVolume) throw error;
        out.failed.push(file);
      }
    }
  }
  return out;
}

/**
 * Reads of toolbox folders not answered yet, by root, bin folders and the
 * mount holding them: one at a time each, so a hung volume holds one of
 * libuv's four file threads per toolbox folder, not one per look, and a
 * remount of it is read afresh. The read is shared, never the toolbox: two
 * toolboxes on one folder each get their own name, bin and env.
 */
const reading = new Map<string, Promise<Omit<ToolboxStatus, keyof Toolbox>>>();

/** Whether a toolbox's folder is there, and how many commands its bin folders hold; a volume that does not answer in `timeoutMs` is said so. */
export async function toolboxStatus(
  toolbox: Toolbox,
  timeoutMs = TOOLBOX_STATUS_MS
): Promise<ToolboxStatus> {
  const bins = binDirs(toolbox);
  const key = [toolbox.root, ...bins, mountReached(toolbox.root)?.id ?? ''].join('\0');
  let read = reading.get(key);
  if (!read) {
    read = onVolume(
      toolbox.root,
      'its folder',
      timeoutMs
    )(async () => {
      try {
        if (!(await stat(toolbox.root)).isDirectory()) return { present: false, commands: 0 };
      } catch {
        return { present: false, commands: 0 };
      }
      let commands = 0;
      for (const dir of bins) {
        try {
          commands += (await readdir(dir)).length;
        } catch {
          // no such bin folder
        }
      }
      return { present: true, commands };
    }).catch((error: unknown) => {
      if (!(error instanceof HungVolume)) throw error;
      return { present: false, commands: 0, message: error.message };
    });
    reading.set(key, read);
    const done = () => void reading.delete(key);
    void read.then(done, done);
  }
  return { ...toolbox, ...(await read) };
}

/** What a PATH entry cannot hold: the separator, and control characters. */
const PATH_UNSAFE = /[:\x00-\x1f\x7f]/;

/**
 * Checks a toolbox, added by hand or brought by a volume's manifest; throws
 * with what is wrong. Its bin folders stay inside its root and, for a
 * manifest, the root inside the volume (`within`), with links resolved.
 */
export async function validateToolbox(input: Toolbox, within?: string): Promise<Toolbox> {
  if (!/^[A-Za-z0-9_.-]+$/.test(input.name) || input.name.length > 100)
    throw new Error(`a toolbox name is letters, digits, '.', '_' or '-', not '${input.name}'`);
  if (!isAbsolute(input.root))
    throw new Error(`a toolbox root must be an absolute path, not '${input.root}'`);
  const root = normalize(input.root).replace(/\/+$/, '') || '/';
  // Its bin folders go on PATH, where ':' splits one entry in two.
  if (PATH_UNSAFE.test(root))
    throw new Error(
      `toolbox ${input.name}: its folder ${JSON.stringify(root)} holds ':' or a control character, which PATH cannot hold`
    );
  const v = onVolume(root, `toolbox ${input.name}'s folder ${root}`);
  let real: string;
  try {
    real = await v(() => realpath(root));
  } catch (error) {
    if (error instanceof HungVolume) throw error;
    throw new Error(`toolbox folder ${root} does not exist (is its volume mounted?)`);
  }
  if (!(await v(() => stat(real))).isDirectory())
    throw new Error(`toolbox root ${root} is not a folder`);
  if (within !== undefined && !inside(await v(() => realpath(within)), real))
    throw new Error(`toolbox ${input.name}: its folder ${root} leaves the volume ${within}`);
  const bin = input.bin.length ? input.bin : ['bin'];
  for (const b of bin) {
    const n = normalize(b);
    if (!b || isAbsolute(b) || n === '..' || n.startsWith('../'))
      throw new Error(`bin folders are relative to the root, inside it: '${b}'`);
    if (PATH_UNSAFE.test(b))
      throw new Error(
        `bin folder ${JSON.stringify(b)} of ${input.name} holds ':' or a control character, which PATH cannot hold`
      );
    let target: string | null = null;
    try {
      target = await v(() => realpath(join(root, b)));
    } catch (error) {
      if (error instanceof HungVolume) throw error;
      // not there (yet): nothing to follow
    }
    if (target !== null && !inside(real, target))
      throw new Error(`bin folder '${b}' of ${input.name} is a link that leaves ${root}`);
  }
  for (const [k, v] of Object.entries(input.env)) {
    const problem = envProblem(k);
    if (problem) throw new Error(problem);
    if (typeof v !== 'string' || v.includes('\0'))
      throw new Error(`the value of ${k} must be text without a NUL character`);
  }
  return { name: input.name, root, bin, env: { ...input.env } };
}

/** A toolbox a volume brought that nobody accepted yet, and why some of its entries were refused. */
export type ManifestRead = { toolboxes: Toolbox[]; refused: string[] };

/** The manifest's text, read without following a link; a volume that does not answer throws HungVolume. */
async function readManifestText(volume: string, ms = TOOLBOX_STATUS_MS): Promise<string> {
  const v = onVolume(volume, `the volume ${volume}`, ms);
  const fh = await v(() => open(join(volume, MANIFEST), constants.O_RDONLY | constants.O_NOFOLLOW));
  try {
    return await v(() => fh.readFile('utf8'));
  } finally {
    void fh.close().catch(() => undefined);
  }
}

/**
 * The toolboxes a volume's manifest names, each checked as one added by hand
 * (and kept inside the volume). A manifest that is a symbolic link is not
 * read: it could name a file anywhere.
 */
export async function readManifest(
  volume: string,
  ms = TOOLBOX_STATUS_MS
): Promise<ManifestRead | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readManifestText(volume, ms));
  } catch (error) {
    // Not known yet: the caller keeps what it had.
    if (error instanceof HungVolume) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      return { toolboxes: [], refused: [`${MANIFEST} is a symbolic link: not read`] };
    return null;
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    !Array.isArray((raw as { toolboxes?: unknown }).toolboxes)
  )
    return { toolboxes: [], refused: [`${MANIFEST} is not a tool manifest`] };
  const out: ManifestRead = { toolboxes: [], refused: [] };
  for (const item of (raw as { toolboxes: unknown[] }).toolboxes) {
    const path =
      typeof item === 'object' && item !== null ? (item as { path?: unknown }).path : undefined;
    const t = asToolbox({ ...(item as object), root: '/' });
    const name = t ? t.name : '?';
    try {
      if (!t || typeof path !== 'string') throw new Error('not a toolbox entry');
      const n = normalize(path);
      if (isAbsolute(path) || n === '..' || n.startsWith('../'))
        throw new Error(`its path '${path}' leaves the volume`);
      out.toolboxes.push(await validateToolbox({ ...t, root: join(volume, n) }, volume));
    } catch (error) {
      out.refused.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return out;
}

/** The manifest's entries as stored (checked or not), or [] when there is none to read. */
async function rawEntries(volume: string): Promise<unknown[]> {
  try {
    const raw: unknown = JSON.parse(await readManifestText(volume));
    const list =
      typeof raw === 'object' && raw !== null ? (raw as { toolboxes?: unknown }).toolboxes : null;
    return Array.isArray(list) ? list : [];
  } catch (error) {
    // A hung volume is not written to either.
    if (error instanceof HungVolume) throw error;
    return [];
  }
}

const entryName = (e: unknown) =>
  typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;

/**
 * Writes the manifest: a file of its own first, closed, then renamed over it,
 * so that a write the volume never finishes leaves the old one whole. Never
 * through a symbolic link: one in the manifest's place is refused. Entries of
 * other toolboxes stay as they were, even those this machine refuses (a
 * folder not there yet): another machine may accept them.
 */
async function saveManifest(volume: string, entries: unknown[]): Promise<void> {
  const text = JSON.stringify({ version: 1, toolboxes: entries }, null, 2) + '\n';
  const v = onVolume(volume, `the volume ${volume}`);
  const target = join(volume, MANIFEST);
  const now = await v(() => lstat(target)).catch((error: unknown) => {
    if (error instanceof HungVolume) throw error;
    return null;
  });
  if (now?.isSymbolicLink()) throw new Error(`${target} is a symbolic link: not written through`);
  if (now && !now.isFile()) throw new Error(`${target} is not a file`);
  const temporary = `${target}.${process.pid}.tmp`;
  const fh = await v(() =>
    open(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
      0o644
    )
  );
  try {
    await v(() => fh.writeFile(text));
  } catch (error) {
    // Closed once the volume answers (a close waits for the write).
    void fh.close().catch(() => undefined);
    throw error;
  }
  // Errors a network volume reports at close (quota, I/O) count.
  await v(() => fh.close());
  await v(() => rename(temporary, target));
}

/** Adds (or replaces) a toolbox in the manifest on its volume. */
export async function writeManifest(volume: string, toolbox: Toolbox): Promise<void> {
  const entry = {
    name: toolbox.name,
    path: relative(volume, toolbox.root) || '.',
    bin: toolbox.bin,
    env: toolbox.env
  };
  const entries = await rawEntries(volume);
  await saveManifest(volume, [...entries.filter((e) => entryName(e) !== toolbox.name), entry]);
}

export async function removeFromManifest(volume: string, name: string): Promise<void> {
  const entries = await rawEntries(volume);
  if (!entries.some((e) => entryName(e) === name)) return;
  await saveManifest(
    volume,
    entries.filter((e) => entryName(e) !== name)
  );
}

/**
 * What keeps a toolbox's commands from running, checked as it is added or
 * accepted: a root given at its bin folder (so PATH would get `…/bin/bin`)
 * throws, nothing registered; a bin folder that is missing or empty, a volume
 * mounted noexec, programs the volume would not make executable come back as
 * warnings, each saying what to do. `volume` is warren's mount holding the
 * root, if any, and `execBits` false when it is an rclone mount made without
 * exec bits.
 */
export async function toolboxProblems(
  toolbox: Toolbox,
  repair: Repair,
  execBits = true
): Promise<string[]> {
  const v = onVolume(toolbox.root, `toolbox ${toolbox.name}'s folder ${toolbox.root}`);
  const warnings: string[] = [];
  const exists = (p: string) =>
    v(() => stat(p)).then(
      (s) => s.isDirectory(),
      (error: unknown) => {
        if (error instanceof HungVolume) throw error;
        return false;
      }
    );
  const dirs = binDirs(toolbox);
  const missing: string[] = [];
  for (const dir of dirs) if (!(await exists(dir))) missing.push(dir);
  if (missing.length === dirs.length && dirs.length > 0) {
    const programs = await programsIn(toolbox.root, v);
    if (programs > 0) {
      const parent = dirname(toolbox.root);
      throw new Error(
        `toolbox ${toolbox.name}: ${missing.join(', ')} does not exist, and ${toolbox.root} holds the programs itself: ` +
          (basename(toolbox.root) === 'bin'
            ? `the root is the folder above bin, ${parent}: add the toolbox with that root`
            : `add it with bin ['.'] (--bin .) to put ${toolbox.root} itself on PATH`) +
          '; nothing was registered'
      );
    }
  }
  for (const dir of missing)
    warnings.push(
      `${dir} does not exist: no command of it will be found (the root is the folder that holds ${toolbox.bin.join(', ')}; is the volume synced?)`
    );
  for (const dir of dirs) {
    if (missing.includes(dir)) continue;
    const mount = mountReached(dir);
    if (mount && mount.options.split(',').includes('noexec')) {
      warnings.push(
        `${dir} is on ${mount.mountpoint}, mounted noexec: no program there can run, exec bits or not; mount it without noexec, or copy the toolbox to a folder that allows programs`
      );
      continue;
    }
    const names = await v(() => readdir(dir)).catch((error: unknown) => {
      if (error instanceof HungVolume) throw error;
      return [] as string[];
    });
    if (names.length === 0)
      warnings.push(`${dir} is empty: the toolbox brings no commands (is the volume synced?)`);
  }
  if (repair.failed.length) {
    const shown = repair.failed
      .slice(0, 3)
      .map((f) => basename(f))
      .join(', ');
    warnings.push(
      `${repair.failed.length} program(s) (${shown}${repair.failed.length > 3 ? ', ...' : ''}) are not executable, and the volume does not keep exec bits: ` +
        (execBits
          ? 'they cannot run by name; run them through their interpreter (sh FILE), or copy the toolbox to a local disk'
          : 'it is an rclone mount made without exec bits: unmount it and mount it again without --no-exec-bits (execBits: false), so that rclone shows its files executable')
    );
  }
  return warnings;
}

/** How many programs (ELF or `#!`) a folder holds at its top, up to a few. */
async function programsIn(
  dir: string,
  v: <T>(op: () => Promise<T>) => Promise<T>
): Promise<number> {
  let names: string[];
  try {
    names = await v(() => readdir(dir));
  } catch (error) {
    if (error instanceof HungVolume) throw error;
    return 0;
  }
  let found = 0;
  for (const name of names.slice(0, 200)) {
    try {
      const fh = await v(() => open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW));
      try {
        if ((await v(() => fh.stat())).isFile() && (await v(() => isProgram(fh)))) found++;
      } finally {
        void fh.close().catch(() => undefined);
      }
    } catch (error) {
      if (error instanceof HungVolume) throw error;
    }
    if (found >= 3) break;
  }
  return found;
}
