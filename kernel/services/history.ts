import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One history row: [session, line, input] or [session, line, [input, output]]. */
export type HistoryRow = [number, number, string | [string, string | null]];

interface Entry {
  session: number;
  line: number;
  input: string;
  output: string | null;
}

/**
 * Cell history, kept across restarts in a JSON-lines file in the Jupyter data
 * directory. A session is one kernel process; lines count from 1 as
 * execution_count does.
 */
export class History {
  private readonly entries: Entry[] = [];
  readonly session: number;

  constructor(
    private readonly file: string | null,
    private readonly limit = 10000
  ) {
    if (file) {
      try {
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          if (!line) continue;
          try {
            const e: unknown = JSON.parse(line);
            if (Private.isEntry(e)) this.entries.push(e);
          } catch {
            // a torn last line from a killed kernel: skip it
          }
        }
      } catch {
        // no history yet
      }
      if (this.entries.length > this.limit) {
        this.entries.splice(0, this.entries.length - this.limit);
      }
    }
    this.session = this.entries.reduce((m, e) => Math.max(m, e.session), 0) + 1;
  }

  store(line: number, input: string, output: string | null = null): void {
    const entry: Entry = { session: this.session, line, input, output };
    this.entries.push(entry);
    // The file keeps every line; memory keeps the latest `limit`, as on loading.
    if (this.entries.length > this.limit) this.entries.shift();
    if (this.file) {
      try {
        mkdirSync(dirname(this.file), { recursive: true });
        appendFileSync(this.file, JSON.stringify(entry) + '\n');
      } catch {
        // history is a convenience: a read-only data dir must not fail a cell
      }
    }
  }

  /** Records the text form of a result for a line already stored. */
  setOutput(line: number, output: string): void {
    const e = this.entries.findLast((x) => x.session === this.session && x.line === line);
    if (e) e.output = output;
  }

  tail(n: number, output: boolean): HistoryRow[] {
    return this.entries
      .slice(Math.max(0, this.entries.length - n))
      .map((e) => Private.row(e, output));
  }

  /** Lines [start, stop) of a session; a session <= 0 counts back from the current one. */
  range(session: number, start: number, stop: number | undefined, output: boolean): HistoryRow[] {
    const s = session <= 0 ? this.session + session : session;
    return this.entries
      .filter((e) => e.session === s && e.line >= start && (stop === undefined || e.line < stop))
      .map((e) => Private.row(e, output));
  }

  /** Glob search (`*` and `?`), newest last, at most n rows; `unique` drops repeated inputs. */
  search(pattern: string, n: number | undefined, unique: boolean, output: boolean): HistoryRow[] {
    const re = Private.glob(pattern);
    let found = this.entries.filter((e) => re.test(e.input));
    if (unique) {
      const seen = new Set<string>();
      found = found
        .reverse()
        .filter((e) => !seen.has(e.input) && seen.add(e.input) !== undefined)
        .reverse();
    }
    if (n !== undefined && n > 0) found = found.slice(-n);
    return found.map((e) => Private.row(e, output));
  }
}

namespace Private {
  export function isEntry(v: unknown): v is Entry {
    if (typeof v !== 'object' || v === null) return false;
    const e = v as Record<string, unknown>;
    return (
      typeof e.session === 'number' && typeof e.line === 'number' && typeof e.input === 'string'
    );
  }

  export function row(e: Entry, output: boolean): HistoryRow {
    return [e.session, e.line, output ? [e.input, e.output] : e.input];
  }

  export function glob(pattern: string): RegExp {
    const body = pattern
      .split('')
      .map((c) =>
        c === '*' ? '[\\s\\S]*' : c === '?' ? '[\\s\\S]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
      )
      .join('');
    return new RegExp(`^${body}$`);
  }
}
