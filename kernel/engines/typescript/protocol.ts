/** Requests and answers between the TypeScript engine and its compiler process. */
import type { Socket } from 'node:net';

export interface CompilerDiagnostic {
  line: number;
  character: number;
  /** How many characters of its line the error spans from `character` (at least 1). */
  length?: number;
  message: string;
  fileName?: string;
}

export interface Converted {
  /** The cell as CommonJS, when it checked. */
  output?: string;
  /** What the cell declares, as declarations: `commit` makes them count for later cells. */
  declOutput?: string;
  diagnostics: CompilerDiagnostic[];
  lastExpressionVar?: string;
  /**
   * The `mappings` of `output`'s source map (version 3, one source: the cell
   * as written), read only to show a stack frame as the cell's own line.
   */
  sourceMap?: string;
  /**
   * The notebook's own TypeScript modules this cell's imports reach, as
   * CommonJS with the `mappings` of its source map, by path: those changed
   * since the kernel was last given them.
   */
  modules?: Record<string, { js: string; mappings?: string }>;
  hasToplevelAwait?: boolean;
  /**
   * The cell holds a function or class (cells.ts `definesFunctions`): a stack
   * frame may be in its script after it has run, so the kernel keeps its map.
   */
  definesFunctions?: boolean;
  /**
   * The declarations are not in this answer: the compiler sends them right
   * after it, in a `CompilerDeclarations` message, and takes a commit of
   * null as this cell's.
   */
  declarationsFollow?: boolean;
}

/** The first message to the compiler process: what it serves. */
export interface CompilerSetup {
  isJS: boolean;
  /** The kernel's folder: cells import modules from here. */
  cwd: string;
  /** Ambient declarations of the runtime's globals. */
  globals: string;
  /**
   * Declarations committed so far, oldest first (a process that replaces one
   * that died, or was let go when idle). A cell that ran whole and whose
   * declarations have come is their text alone: 80 bytes less a cell in the
   * kernel than an object with an empty `notRun`, 0.7 MB over 9,000 cells.
   */
  committed: (string | CommittedCell)[];
}

/** A cell's declarations as the kernel keeps them for a compiler that replaces one. */
export interface CommittedCell {
  declarations: string;
  notRun: string[];
  /**
   * The cell's source, while its declarations have not come (they follow a
   * convert answer, and the compiler may end first): converted again for them.
   */
  source?: string;
}

export type CompilerRequest =
  | { id: number; op: 'convert'; src: string }
  | { id: number; op: 'complete'; src: string; position: number }
  | { id: number; op: 'inspect'; src: string; position: number }
  | { id: number; op: 'isComplete'; src: string };

/**
 * A cell's declarations count from now on, less the values in `notRun` (a
 * cell that failed part way); null: those of the cell converted last. No
 * answer comes: the kernel writes it with its next request, in one write.
 */
export interface CompilerCommit {
  op: 'commit';
  declarations: string | null;
  notRun: string[];
}

export interface CompletionAnswer {
  start: number;
  end: number;
  candidates: string[];
}

export interface InspectAnswer {
  found: boolean;
  signature: string;
  documentation: string;
}

export type CompletenessAnswer =
  { status: 'complete' | 'invalid' } | { status: 'incomplete'; indent: string };

export type CompilerAnswer =
  | {
      id: number;
      ok: true;
      value: Converted | CompletionAnswer | InspectAnswer | CompletenessAnswer;
    }
  | { id: number; ok: false; error: string }
  | { id: -1; ok: true; value: 'ready' };

/**
 * After an answer with `declarationsFollow`: the declarations of that convert
 * request, written with the compiler's next answer (or after `FOLLOW_MS`).
 */
export interface CompilerDeclarations {
  id: number;
  declarations: string;
}

/**
 * The messages' framing on the compiler's socket: one JSON text per line
 * (JSON escapes every newline inside a string). Several messages go in one
 * write: each write wakes the process at the other end, which costs more
 * than the message (0.2-0.4 ms of CPU a write on a virtual machine here).
 */
export function sendMessage(socket: Socket, ...messages: unknown[]): void {
  let text = '';
  for (const m of messages) text += `${JSON.stringify(m)}\n`;
  socket.write(text);
}

/** Calls `onMessage` with each message that arrives on `socket`, whole. */
export function onMessages(socket: Socket, onMessage: (message: unknown) => void): void {
  let pending: string[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      pending.push(chunk.slice(from, nl));
      const line = pending.join('');
      pending = [];
      from = nl + 1;
      onMessage(JSON.parse(line));
    }
    if (from < chunk.length) pending.push(chunk.slice(from));
  });
}
