import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Completion } from '../engine';

/**
 * Completion for shell lines: command names from PATH (read at most every
 * 10 s) where a command is expected, and file paths.
 */
export class ShellCompleter {
  private commandCache: { at: number; names: string[] } | null = null;

  /** `where`: the shell's working directory and PATH now (`%cd` and `%env` change them). */
  constructor(private readonly where: () => { cwd: string; path: string }) {}

  /** The completions of the word at `cursor` of a shell line; `offset` is the line's in the cell. */
  complete(line: string, cursor: number, offset: number): Completion {
    const before = line.slice(0, cursor);
    let word = /[^\s'"|;&<>()]*$/.exec(before)?.[0] ?? '';
    if (word.startsWith('!') && /^\s*!/.test(before) && before.trimStart() === word)
      word = word.slice(1);
    const start = cursor - word.length;
    const isCommand =
      /^\s*(!|%%(ba)?sh\s*)?\s*$/.test(before.slice(0, start)) ||
      /[|;&]\s*$/.test(before.slice(0, start));
    const matches = new Set<string>();
    if (isCommand && !word.includes('/')) {
      for (const name of this.commands()) if (name.startsWith(word)) matches.add(name);
    }
    for (const path of this.paths(word)) matches.add(path);
    return {
      matches: [...matches].sort().slice(0, 500),
      cursorStart: offset + start,
      cursorEnd: offset + cursor
    };
  }

  private commands(): string[] {
    if (this.commandCache && Date.now() - this.commandCache.at < 10000)
      return this.commandCache.names;
    const names = new Set<string>();
    for (const dir of this.where().path.split(':')) {
      try {
        for (const f of readdirSync(dir)) names.add(f);
      } catch {
        // missing PATH entry
      }
    }
    this.commandCache = { at: Date.now(), names: [...names] };
    return this.commandCache.names;
  }

  private paths(word: string): string[] {
    const expanded = word.replace(/^~(?=$|\/)/, homedir());
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded);
    const prefix = expanded.endsWith('/') ? '' : basename(expanded);
    const shownDir = word.endsWith('/') ? word : word.slice(0, word.length - prefix.length);
    try {
      return readdirSync(isAbsolute(dir) ? dir : join(this.where().cwd, dir), {
        withFileTypes: true
      })
        .filter(
          (e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.'))
        )
        .map((e) => shownDir + e.name + (e.isDirectory() ? '/' : ''));
    } catch {
      return [];
    }
  }
}
