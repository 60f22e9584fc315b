import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
 * power loss is the one case it would cover.
 */
export function writeNotebookAtomic(path: string, nb: Notebook): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(nb, null, 1) + '\n');
  renameSync(tmp, path);
}

export const isObject = isJSONObject;

/**
 * What a terminal shows for `text`: a `\r` returns to the line start and the
 * next characters overwrite it (progress bars), `\r\n` is a newline. Lines
 * already ended are final, so only the last line of the previous text can change.
 */
export function cleanStream(previous: string, text: string): string {
  const joined = previous + text;
  if (!joined.includes('\r')) return joined;
  const lines = joined.replace(/\r\n/g, '\n').split('\n');
  return lines.map(overwrite).join('\n');
}

function overwrite(line: string): string {
  if (!line.includes('\r')) return line;
  let out = '';
  for (const part of line.split('\r')) {
    // A carriage return then fewer characters leaves the rest of the old line, as a terminal does.
    out = part + out.slice(part.length);
  }
  return out;
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
  if (
    output.output_type === 'stream' &&
    last &&
    last.output_type === 'stream' &&
    last.name === output.name
  ) {
    last.text = cleanStream(String(last.text), String(output.text));
    return;
  }
  if (output.output_type === 'stream') output.text = cleanStream('', String(output.text));
  outputs.push(output);
}
