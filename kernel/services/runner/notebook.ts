import {
  chmodSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { JSONObject, JSONValue } from '../../../src/contract';
import { isJSONObject } from '../../../src/contract';

/** The parts of nbformat 4 the runner reads and writes; everything else is kept as-is. */
export interface Cell extends JSONObject {
  cell_type: string;
  source: string | string[];
  metadata: JSONObject;
}

export interface CodeCell extends Cell {
  cell_type: 'code';
  outputs: JSONObject[];
  execution_count: number | null;
}

export interface Notebook extends JSONObject {
  cells: Cell[];
  metadata: JSONObject;
  nbformat: number;
  nbformat_minor: number;
}

export function isCodeCell(cell: Cell): cell is CodeCell {
  return cell.cell_type === 'code';
}

export function sourceOf(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

export function tagsOf(cell: Cell): string[] {
  const tags = cell.metadata.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

export function readNotebook(path: string): Notebook {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isObject(parsed) || !Array.isArray(parsed.cells) || typeof parsed.nbformat !== 'number')
    throw new Error(`${path} is not a notebook (nbformat 4 JSON)`);
  if (parsed.nbformat < 4)
    throw new Error(`${path} is nbformat ${parsed.nbformat}; only 4 is supported`);
  const nb = parsed as Notebook;
  nb.metadata ??= {};
  for (const cell of nb.cells) {
    cell.metadata ??= {};
    if (isCodeCell(cell)) {
      cell.outputs ??= [];
      cell.execution_count ??= null;
    }
  }
  return nb;
}

/**
 * Writes through a temporary file in the same folder and renames it over the
 * target, so a reader (or a crash of this process) never sees half a
 * notebook. No fsync: it would double the runner's time per cell, and a
 * power loss is the one case it would cover. An output that is a symlink
 * stays one: the file it points at is the one replaced, and a file's mode is
 * kept (the rename would give it the temporary file's).
 */
export function writeNotebookAtomic(path: string, nb: Notebook): void {
  const { target, mode } = Private.target(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(nb, null, 1) + '\n');
  if (mode !== null) chmodSync(tmp, mode);
  renameSync(tmp, target);
}

export const isObject = isJSONObject;

/**
 * Where the next character of a stream output goes, as JupyterLab's output
 * model keeps it (not saved): after a `\r` it is the line's start, and what
 * comes next overwrites the line. The text itself never holds the `\r`, so
 * the notebook reads, while running and after, as JupyterLab shows it.
 */
const cursors = new WeakMap<JSONObject, number>();

/**
 * Writes `text` onto a stream's `previous` text at `cursor`, as JupyterLab
 * does: `\r` returns to the line's start and the characters after it
 * overwrite the line (a shorter line leaves the old one's end, as a terminal
 * does), `\b` deletes the character before the cursor, `\n` ends the line.
 * Lines already ended are final: only the last can change.
 */
export function writeStream(
  previous: string,
  cursor: number,
  text: string
): { text: string; cursor: number } {
  if (cursor === previous.length && !/[\r\b]/.test(text))
    return { text: previous + text, cursor: previous.length + text.length };
  const start = previous.lastIndexOf('\n') + 1;
  let done = previous.slice(0, start);
  let line = previous.slice(start);
  let at = cursor - start;
  for (const piece of text.split(/([\r\n\b])/)) {
    if (piece === '\n') {
      done += line + '\n';
      line = '';
      at = 0;
    } else if (piece === '\r') at = 0;
    else if (piece === '\b') {
      if (at > 0) {
        line = line.slice(0, at - 1) + line.slice(at);
        at--;
      }
    } else if (piece) {
      line = line.slice(0, at) + piece + line.slice(at + piece.length);
      at += piece.length;
    }
  }
  return { text: done + line, cursor: done.length + at };
}

/** Turns an iopub message into the nbformat output it stands for, or null. */
export function outputFromMessage(type: string, content: JSONObject): JSONObject | null {
  switch (type) {
    case 'stream':
      return {
        output_type: 'stream',
        name: String(content.name ?? 'stdout'),
        text: String(content.text ?? '')
      };
    case 'display_data':
      return {
        output_type: 'display_data',
        data: content.data ?? {},
        metadata: content.metadata ?? {}
      };
    case 'execute_result':
      return {
        output_type: 'execute_result',
        data: content.data ?? {},
        metadata: content.metadata ?? {},
        execution_count: (content.execution_count as JSONValue) ?? null
      };
    case 'error':
      return {
        output_type: 'error',
        ename: String(content.ename ?? 'Error'),
        evalue: String(content.evalue ?? ''),
        traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : []
      };
    default:
      return null;
  }
}

/** Appends an output the way a frontend shows it: consecutive streams of one name merge. */
export function appendOutput(outputs: JSONObject[], output: JSONObject): void {
  const last = outputs[outputs.length - 1];
  if (output.output_type !== 'stream') {
    outputs.push(output);
    return;
  }
  const merge = last?.output_type === 'stream' && last.name === output.name;
  const target = merge ? last : output;
  const previous = merge ? String(last.text) : '';
  const written = writeStream(
    previous,
    cursors.get(target) ?? previous.length,
    String(output.text)
  );
  target.text = written.text;
  cursors.set(target, written.cursor);
  if (!merge) outputs.push(output);
}

namespace Private {
  /** The file a path names, through its symlinks, and that file's mode (null: none yet). */
  export function target(path: string): { target: string; mode: number | null } {
    try {
      const real = realpathSync(path);
      return { target: real, mode: statSync(real).mode & 0o7777 };
    } catch {
      // A link to a file not made yet makes it; no link, or no file: the path itself.
      try {
        if (lstatSync(path).isSymbolicLink())
          return { target: resolve(dirname(path), readlinkSync(path)), mode: null };
      } catch {
        // not there
      }
      return { target: path, mode: null };
    }
  }
}
