/**
 * A converter's imports that found nothing, by importing file: the folders
 * where a package each names would be installed, with their modification
 * times then. TypeScript reuses an unchanged file's resolutions in the next
 * program, those that found nothing too, and a live cell makes no program at
 * all: a library whose import of a package not yet installed failed kept
 * failing after the package was installed, for as long as the compiler
 * lived. Once a folder changes, the file's imports are looked for again
 * (the language service host's `hasInvalidatedResolutions`). Each converter
 * keeps its own: another converter's program looking again says nothing of
 * this one's.
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

interface Entry {
  /** Folder -> modification time in ms when last looked at (-1: absent). */
  folders: Map<string, number>;
  names: Set<string>;
}

export class UnresolvedImports {
  private readonly files = new Map<string, Entry>();

  /** What resolving `name` from `file` gave: whether it found a module. */
  record(file: string, name: string, found: boolean): void {
    const key = fileKey(file);
    let entry = this.files.get(key);
    if (found) {
      if (!entry) return;
      entry.names.delete(name);
      if (entry.names.size === 0) this.files.delete(key);
      return;
    }
    if (!entry) this.files.set(key, (entry = { folders: new Map(), names: new Set() }));
    entry.names.add(name);
    for (const folder of installFolders(file, name)) entry.folders.set(folder, folderTime(folder));
  }

  /** Whether `path`'s imports must be resolved again: one found nothing, and a folder it would be installed in has changed. */
  invalidated(path: string): boolean {
    const entry = this.files.get(fileKey(path));
    if (!entry) return false;
    for (const [folder, time] of entry.folders) if (folderTime(folder) !== time) return true;
    return false;
  }

  /** The files whose imports are to be looked for again (`invalidated`); none, at once, where every import resolved. */
  invalidatedFiles(): string[] {
    if (this.files.size === 0) return [];
    return [...this.files.keys()].filter((f) => this.invalidated(f));
  }

  /** `file`'s folders taken as they are now: its imports were looked for again, or it left the program. */
  lookedAgain(file: string): void {
    const entry = this.files.get(fileKey(file));
    if (!entry) return;
    for (const folder of entry.folders.keys()) entry.folders.set(folder, folderTime(folder));
  }
}

/** A file as TypeScript names it to the host: in lower case, where the host says nothing of case. */
const fileKey = (file: string) => file.toLowerCase();

/** Folders' modification times, read once a turn (the compiler serves each request in a task of its own). */
let folderTimes: Map<string, number> | null = null;

function folderTime(folder: string): number {
  if (!folderTimes) {
    const made = new Map<string, number>();
    folderTimes = made;
    queueMicrotask(() => {
      if (folderTimes === made) folderTimes = null;
    });
  }
  let time = folderTimes.get(folder);
  if (time === undefined) {
    time = statSync(folder, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    folderTimes.set(folder, time);
  }
  return time;
}

/**
 * The folders whose entries change when `name`, imported from `file`, is
 * installed: each node_modules up from the file (with its @types, and the
 * package's scope), or the folder a relative import points into. A
 * node_modules made where there was none goes unseen: watching the folder
 * that would hold it would count every file a notebook writes there.
 */
function installFolders(file: string, name: string): string[] {
  if (name.startsWith('.') || name.startsWith('/')) return [dirname(join(dirname(file), name))];
  const scope = name.startsWith('@') ? name.split('/')[0] : null;
  const out: string[] = [];
  for (let folder = dirname(file); ; folder = dirname(folder)) {
    if (basename(folder) !== 'node_modules') {
      const modules = join(folder, 'node_modules');
      out.push(modules, join(modules, '@types'));
      if (scope) out.push(join(modules, scope));
    }
    if (dirname(folder) === folder) return out;
  }
}
