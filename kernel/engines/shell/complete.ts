import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { mountHolding } from '../../mountinfo';
import type { Completion } from '../engine';

/**
 * How long a completion waits for a folder. A folder on a volume that stopped
 * answering (a hung sshfs or Drive mount, often on PATH as a toolbox's bin)
 * never comes back: its names are left out, and the kernel goes on.
 */
export const FOLDER_WAIT_MS = 500;

/** How a folder is read (`readdir`), and which mount holds it: given in tests. */
export interface Reader {
  read(dir: string): Promise<Dirent[]>;
  /** The mount holding `dir` (its mountinfo id), or null. */
  mountOf(dir: string): string | null;
}

const SYSTEM: Reader = {
  read: (dir) => readdir(dir, { withFileTypes: true }),
  mountOf: (dir) => {
    try {
      return mountHolding(dir)?.id ?? null;
    } catch {
      return null;
    }
  }
};

/**
 * Completion for shell lines: command names from PATH (read at most every
 * 10 s) where a command is expected, and file paths.
 */
export class ShellCompleter {
  private commandCache: { at: number; names: string[] } | null = null;
  /** Reads not back yet, one per folder: a folder that hangs is asked once. */
  private readonly reading = new Map<string, Promise<Dirent[] | null>>();
  /**
   * Mounts with a read that outlived its wait, and how many such reads: no
   * other folder of theirs is read until those come back. Each holds one of
   * libuv's four threads, which every other file read of the kernel needs.
   */
  private readonly stuck = new Map<string, number>();

  /**
   * `where`: the shell's working directory and PATH now (`%cd` and `%env`
   * change them).
   */
  constructor(
    private readonly where: () => { cwd: string; path: string },
    private readonly reader: Reader = SYSTEM
  ) {}

  /** The completions of the word at `cursor` of a shell line; `offset` is the line's in the cell. */
  async complete(line: string, cursor: number, offset: number): Promise<Completion> {
    const before = line.slice(0, cursor);
    let word = /[^\s'"|;&<>()]*$/.exec(before)?.[0] ?? '';
    if (word.startsWith('!') && /^\s*!/.test(before) && before.trimStart() === word)
      word = word.slice(1);
    const start = cursor - word.length;
    const isCommand =
      /^\s*(!|%%(ba)?sh\s*)?\s*$/.test(before.slice(0, start)) ||
      /[|;&]\s*$/.test(before.slice(0, start));
    const [commands, paths] = await Promise.all([
      isCommand && !word.includes('/') ? this.commands() : [],
      this.paths(word)
    ]);
    const matches = new Set<string>();
    for (const name of commands) if (name.startsWith(word)) matches.add(name);
    for (const path of paths) matches.add(path);
    return {
      matches: [...matches].sort().slice(0, 500),
      cursorStart: offset + start,
      cursorEnd: offset + cursor
    };
  }

  private async commands(): Promise<string[]> {
    if (this.commandCache && Date.now() - this.commandCache.at < 10000)
      return this.commandCache.names;
    const folders = await Promise.all(
      this.where()
        .path.split(':')
        .map((dir) => this.list(dir))
    );
    const names = new Set<string>();
    for (const entries of folders) for (const e of entries ?? []) names.add(e.name);
    this.commandCache = { at: Date.now(), names: [...names] };
    return this.commandCache.names;
  }

  private async paths(word: string): Promise<string[]> {
    const expanded = word.replace(/^~(?=$|\/)/, homedir());
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded);
    const prefix = expanded.endsWith('/') ? '' : basename(expanded);
    const shownDir = word.endsWith('/') ? word : word.slice(0, word.length - prefix.length);
    const entries = await this.list(isAbsolute(dir) ? dir : join(this.where().cwd, dir));
    return (entries ?? [])
      .filter(
        (e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.'))
      )
      .map((e) => shownDir + e.name + (e.isDirectory() ? '/' : ''));
  }

  /** A folder's entries, or null: missing, unreadable, on a hung volume, or not back within FOLDER_WAIT_MS. */
  private list(dir: string): Promise<Dirent[] | null> {
    if (!dir) return Promise.resolve(null);
    let read = this.reading.get(dir);
    if (!read) {
      const mount = this.stuck.size ? this.reader.mountOf(dir) : null;
      if (mount !== null && this.stuck.has(mount)) return Promise.resolve(null);
      read = this.reader.read(dir).then(
        (entries) => entries,
        () => null
      );
      this.reading.set(dir, read);
      let late: string | null = null;
      const timer = setTimeout(() => {
        late = this.reader.mountOf(dir) ?? dir;
        this.stuck.set(late, (this.stuck.get(late) ?? 0) + 1);
      }, FOLDER_WAIT_MS);
      void read.finally(() => {
        clearTimeout(timer);
        this.reading.delete(dir);
        if (late === null) return;
        const left = (this.stuck.get(late) ?? 1) - 1;
        if (left > 0) this.stuck.set(late, left);
        else this.stuck.delete(late);
      });
    }
    const reading = read;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), FOLDER_WAIT_MS);
      void reading.then((entries) => {
        clearTimeout(timer);
        resolve(entries);
      });
    });
  }
}
