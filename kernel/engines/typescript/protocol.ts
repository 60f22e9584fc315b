/** Requests and answers between the TypeScript engine and its compiler thread. */

export interface CompilerDiagnostic {
  line: number;
  character: number;
  message: string;
  fileName?: string;
}

export interface Converted {
  output?: string;
  declOutput?: string;
  diagnostics: CompilerDiagnostic[];
  lastExpressionVar?: string;
  hasToplevelAwait?: boolean;
}

export type CompilerRequest =
  | { id: number; op: 'convert'; prevDecl: string; src: string }
  | { id: number; op: 'complete'; prevDecl: string; src: string; position: number }
  | { id: number; op: 'inspect'; prevDecl: string; src: string; position: number }
  | { id: number; op: 'isComplete'; src: string }
  /** A failed cell's declarations: `declOutput` less the values in `notRun`, which keep `prevDecl`'s. */
  | { id: number; op: 'keepRun'; prevDecl: string; declOutput: string; notRun: string[] };

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
      value: Converted | CompletionAnswer | InspectAnswer | CompletenessAnswer | string;
    }
  | { id: number; ok: false; error: string }
  | { id: -1; ok: true; value: 'ready' };
