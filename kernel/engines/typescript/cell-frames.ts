import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

/** A cell's script as it ran, and how its positions go back to the cell. */
export interface RanCell {
  /** How the notebook shows the cell: `In[3]`. */
  label: string;
  /** The cell as written. */
  text: string;
  /** The source map's `mappings` from the script's code to `text`; none: the code is `text` itself. */
  mappings?: string;
  /** Lines of the script before the code (a wrapper's own). */
  linesBefore: number;
  /** Characters of the script before the code on the code's first line. */
  columnsBefore: number;
  /** Lines of the code; what comes after them is the wrapper's. */
  lines: number;
}

/** What the frames of cells keep, at most: the oldest cells' go first (a frame there says so). */
const KEPT_CHARS = 2_000_000;

/**
 * The scripts of the cells that ran, by the file name each ran under, so a
 * stack frame in one is shown as the cell's own line and column, with its
 * code, rather than as a position in the converted JavaScript.
 */
export class CellFrames {
  private readonly cells = new Map<string, RanCell>();
  /** The source maps of the notebook's own TypeScript modules, by path (local-modules.ts). */
  private readonly modules = new Map<string, string>();
  private chars = 0;
  private made = 0;

  constructor(private readonly keptChars = KEPT_CHARS) {}

  /** A file name of its own for a cell's script (vm.Script's `filename`). */
  add(cell: RanCell): string {
    const file = `warren-cell-${++this.made}`;
    this.cells.set(file, cell);
    this.chars += Private.size(cell);
    for (const [old, kept] of this.cells) {
      if (this.chars <= this.keptChars || old === file) break;
      this.cells.delete(old);
      this.chars -= Private.size(kept);
    }
    return file;
  }

  /**
   * The cell of `file` has run to its end, and no stack frame can be in its
   * script from now on unless it `definesFunctions`: one that does not is
   * forgotten (a notebook of 10,000 small cells kept 2.5 MB for frames that
   * could never come).
   */
  ran(file: string, definesFunctions: boolean): void {
    if (definesFunctions) return;
    const cell = this.cells.get(file);
    if (!cell) return;
    this.cells.delete(file);
    this.chars -= Private.size(cell);
  }

  /** How many cells' scripts are kept (for tests). */
  get kept(): number {
    return this.cells.size;
  }

  /**
   * A stack trace's lines with each frame in a cell's script given as the
   * cell's position, followed by that line of the cell; frames in a script's
   * wrapper are left out. Other lines are kept as they are.
   */
  rewrite(frames: string[]): string[] {
    const out: string[] = [];
    // A recursion repeats frames of one cell or module: each map is parsed, each file read, once.
    const seen: Private.Seen = { maps: new Map(), files: new Map() };
    for (const frame of frames) {
      const m = Private.FRAME.exec(frame);
      const mappings = m ? this.modules.get(m[3]) : undefined;
      if (m && mappings !== undefined) {
        out.push(...Private.moduleFrame(m, mappings, seen));
        continue;
      }
      if (!m || !m[3].startsWith('warren-cell-')) {
        out.push(frame);
        continue;
      }
      const [, indent, name, file, line, column] = m;
      const cell = this.cells.get(file);
      const who = name ? `${name.replace(/^(?:async )?Proxy\./, (p) => p.slice(0, -6))} ` : '';
      if (!cell) {
        out.push(`${indent}at ${who}(an earlier cell, no longer kept)`);
        continue;
      }
      const at = Private.position(cell, Number(line) - 1, Number(column) - 1, seen);
      if (at === 'wrapper') continue;
      if (!at) {
        out.push(`${indent}at ${who}(Cell ${cell.label})`);
        continue;
      }
      const where = `Cell ${cell.label}:${at.line + 1}:${at.column + 1}`;
      out.push(`${indent}at ${who ? `${who}(${where})` : where}`);
      const code = cell.text.split('\n')[at.line]?.trim();
      if (code) out.push(`${indent}    ${code}`);
    }
    return out;
  }

  /** A notebook's TypeScript module, loaded as the JavaScript that `mappings` maps to its file. */
  addModule(path: string, mappings: string): void {
    this.modules.set(path, mappings);
  }
}

/** The kernel's cells (one engine a process). */
export const cellFrames = new CellFrames();

namespace Private {
  /** `    at name (file:line:column)` or `    at file:line:column`. */
  export const FRAME = /^(\s*)at (?:(.*?) \()?([^()]+?):(\d+):(\d+)\)?$/;

  /** What one traceback's frames have parsed and read so far. */
  export interface Seen {
    maps: Map<string, SourceMap>;
    files: Map<string, string>;
  }

  /** A frame in a notebook's module, at the line and column of its TypeScript file, with that line. */
  export function moduleFrame(m: RegExpExecArray, mappings: string, seen: Seen): string[] {
    const [frame, indent, name, file, line, column] = m;
    let text = seen.files.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = ''; // gone since: the position is still the file's
      }
      seen.files.set(file, text);
    }
    const at = position(
      { label: '', text, mappings, linesBefore: 0, columnsBefore: 0, lines: Infinity },
      Number(line) - 1,
      Number(column) - 1,
      seen
    );
    if (!at || at === 'wrapper') return [frame];
    const where = `${file}:${at.line + 1}:${at.column + 1}`;
    const code = text.split('\n')[at.line]?.trim();
    return [
      `${indent}at ${name ? `${name} (${where})` : where}`,
      ...(code ? [`${indent}    ${code}`] : [])
    ];
  }

  export function size(cell: RanCell): number {
    return cell.text.length + (cell.mappings?.length ?? 0) + cell.label.length + 64;
  }

  /**
   * The cell's own line and column (from 0) of the script's `line` and
   * `column` (from 0); 'wrapper' outside the code, null where the map says nothing.
   */
  export function position(
    cell: RanCell,
    line: number,
    column: number,
    seen: Seen
  ): { line: number; column: number } | 'wrapper' | null {
    const codeLine = line - cell.linesBefore;
    if (codeLine < 0 || codeLine >= cell.lines) return 'wrapper';
    const codeColumn = Math.max(0, column - (codeLine === 0 ? cell.columnsBefore : 0));
    if (cell.mappings === undefined) return { line: codeLine, column: codeColumn };
    let map = seen.maps.get(cell.mappings);
    if (!map) {
      map = new SourceMap({
        version: 3,
        file: 'cell.js',
        sources: ['cell.ts'],
        sourcesContent: [],
        sourceRoot: '',
        names: [],
        mappings: cell.mappings
      });
      seen.maps.set(cell.mappings, map);
    }
    const entry = map.findEntry(codeLine, codeColumn) as {
      originalLine?: number;
      originalColumn?: number;
    };
    if (entry.originalLine === undefined || entry.originalColumn === undefined) return null;
    return { line: entry.originalLine, column: entry.originalColumn };
  }
}
