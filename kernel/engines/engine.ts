import type { JSONObject } from '../../src/contract';

export type MimeBundle = JSONObject;

export interface DisplayOptions {
  metadata?: JSONObject;
  displayId?: string;
  /** Replace the output shown under `displayId` instead of adding one. */
  update?: boolean;
}

/**
 * Where an engine writes what a cell produces. Engines see only this: no
 * sockets, no dispatcher, no comms.
 */
export interface OutputSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(data: MimeBundle, options?: DisplayOptions): void;
  clear(wait: boolean): void;
  /** Adds a pager payload to the execute reply. */
  page(data: MimeBundle): void;
  /**
   * Asks the user for a line on stdin. Aborting `withdraw` drops the request:
   * the promise rejects and a reply that comes later is ignored.
   */
  input(prompt: string, password: boolean, withdraw?: AbortSignal): Promise<string>;
  /**
   * Null while the output queue has room; otherwise a promise that resolves
   * once it drains. Asynchronous producers (a pty) pause until then.
   */
  room(): Promise<void> | null;
}

export interface ErrorResult {
  status: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ExecuteResult =
  | {
      status: 'ok';
      value?: MimeBundle;
      /** The cell asked the front end to close (`exit`, `quit`): the ask_exit payload. */
      askExit?: true;
    }
  | ErrorResult;

export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  metadata?: JSONObject;
}

export interface Inspection {
  found: boolean;
  data: MimeBundle;
}

export type Completeness =
  { status: 'complete' | 'invalid' | 'unknown' } | { status: 'incomplete'; indent: string };

/**
 * A language engine. Positions are UTF-16 offsets (JavaScript string
 * indices); the handlers convert from the code points the protocol counts.
 */
/** Where a cell's code comes from: what its error's stack frames name. */
export interface CellOrigin {
  /** How the notebook shows the cell: `In[3]`. */
  label: string;
  /** The cell as written, where the engine is given a rewritten form of it (line for line). */
  text?: string;
}

export interface Engine {
  execute(code: string, sink: OutputSink, origin?: CellOrigin): Promise<ExecuteResult>;
  /** Evaluates one expression for `user_expressions`. */
  evaluate(expression: string): Promise<{ status: 'ok'; data: MimeBundle } | ErrorResult>;
  complete(code: string, cursor: number): Promise<Completion>;
  inspect(code: string, cursor: number, detail: number): Promise<Inspection>;
  isComplete(code: string): Promise<Completeness>;
  /** Called on SIGINT (and interrupt_request): stop what runs, keep state. */
  interrupt(): void;
  dispose(): Promise<void>;
}

/** Thrown where a user's interrupt stops a cell; reported as KeyboardInterrupt. */
export class Interrupted extends Error {
  override name = 'KeyboardInterrupt';
  constructor() {
    super('interrupted by the user');
  }
}
