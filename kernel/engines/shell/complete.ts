import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { remoteMountOf } from '../../mountinfo';
import type { Completion } from '../engine';

/**
 * How long a completion waits for a folder. A folder on a volume that stopped
 * answering (a hung sshfs or Drive mount, often on PATH as a toolbox's bin)
 * never comes back: its names are left out, and the kernel goes on.
 */
export const FOLDER_WAIT_MS = 500;

/** How a folder is read (`readdir`), and which volume may hang with it: given in tests. */
export interface Reader {
  read(dir: string): Promise<Dirent[]>;
  /** A key per remote volume holding `dir` (its mount), or null for a local one. */
  volumes(): (dir: string) => string | null;
}

const SYSTEM: Reader = {
  read: (dir) => readdir(dir, { withFileTypes: true }),
  // A read of a network or FUSE volume that outlives its wait holds up every
  // other read of that volume; a slow local disk holds up only the folder.
  volumes: remoteMountOf
};

/**
 * Completion for shell lines: command names from PATH (read at most every
 * 10 s while PATH stays the same) where a command is expected, and file paths.
 */
export class ShellCompleter {
  private commandCache: { at: number; path: string; names: string[] } | null = null;
  /** Reads not back yet, by folder: a folder that hangs is asked once. */
  private readonly reading = new Map<string, { read: Promise<Dirent[] | null>; late: boolean }>();
  /**
   * The last read of each remote volume: the next read of that volume starts
   * once it is back, so a volume that stopped answering holds one of libuv's
   * four threads (which every other file read of the kernel needs), not one
   * per folder of it on PATH.
   */
  private readonly lastOnVolume = new Map<string, Promise<unknown>>();
  /** Remote volumes with a read that outlived its wait: not read again until it is back. */
  private readonly stuck = new Set<string>();

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
    const volumeOf = this.reader.volumes();
    const [commands, paths] = await Promise.all([
      isCommand && !word.includes('/') ? this.commands(volumeOf) : [],
      this.paths(word, volumeOf)
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

  private async commands(volumeOf: VolumeOf): Promise<string[]> {
    // A toolbox accepted or removed, or %env PATH, changes PATH: read it anew.
    const { path } = this.where();
    const cached = this.commandCache;
    if (cached && cached.path === path && Date.now() - cached.at < 10000) return cached.names;
    const folders = await Promise.all(path.split(':').map((dir) => this.list(dir, volumeOf)));
    const names = new Set<string>();
    for (const entries of folders) for (const e of entries ?? []) names.add(e.name);
    this.commandCache = { at: Date.now(), path, names: [...names] };
    return this.commandCache.names;
  }

  private async paths(word: string, volumeOf: VolumeOf): Promise<string[]> {
    const expanded = word.replace(/^~(?=$|\/)/, homedir());
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded);
    const prefix = expanded.endsWith('/') ? '' : basename(expanded);
    const shownDir = word.endsWith('/') ? word : word.slice(0, word.length - prefix.length);
    const entries = await this.list(isAbsolute(dir) ? dir : join(this.where().cwd, dir), volumeOf);
    return (entries ?? [])
      .filter(
        (e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.'))
      )
      .map((e) => shownDir + e.name + (e.isDirectory() ? '/' : ''));
  }

  /** A folder's entries, or null: missing, unreadable, on a hung volume, or not back within FOLDER_WAIT_MS. */
  private list(path: string, volumeOf: VolumeOf): Promise<Dirent[] | null> {
    if (!path) return Promise.resolve(null);
    const dir = normalize(path).replace(/(.)\/+$/, '$1');
    let pending = this.reading.get(dir);
    if (pending?.late) return Promise.resolve(null);
    if (!pending) {
      const volume = volumeOf(dir);
      if (volume !== null && this.stuck.has(volume)) return Promise.resolve(null);
      const before = volume === null ? undefined : this.lastOnVolume.get(volume);
      const read = (before ?? Promise.resolve())
        .then(() => this.reader.read(dir))
        .then(
          (entries) => entries,
          () => null
        );
      const entry = { read, late: false };
      pending = entry;
      this.reading.set(dir, entry);
      if (volume !== null) this.lastOnVolume.set(volume, read);
      const timer = setTimeout(() => {
        entry.late = true;
        if (volume !== null) this.stuck.add(volume);
      }, FOLDER_WAIT_MS);
      void read.finally(() => {
        clearTimeout(timer);
        this.reading.delete(dir);
        if (volume === null) return;
        if (this.lastOnVolume.get(volume) === read) this.lastOnVolume.delete(volume);
        if (entry.late) this.stuck.delete(volume);
      });
    }
    const { read } = pending;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), FOLDER_WAIT_MS);
      void read.then((entries) => {
        clearTimeout(timer);
        resolve(entries);
      });
    });
  }
}

type VolumeOf = (dir: string) => string | null;
