import type {
  CellOrigin,
  Completeness,
  Completion,
  Engine,
  ErrorResult,
  ExecuteResult,
  Inspection,
  MimeBundle,
  OutputSink
} from './engine';
import { RUNTIME, UnknownMagicError } from '../api/magics';
import type { ShellEngine } from './shell/shell';
import { ShellError } from './shell/shell';
import { cellMagic, mask, plainCommands, rewrite, template } from './shell/syntax';
import type { Known } from './shell/syntax';
import { toError } from './typescript/format';

/**
 * What a cell is: a `%%bash`/`%%sh` script goes to the shell whole; `exit` or
 * `quit` alone (with or without `()`, unless the notebook declared that name)
 * asks the front end to close, as in IPython; anything else is TypeScript
 * whose `!` and `%` lines are first rewritten into calls.
 */
export class CellEngine implements Engine {
  constructor(
    private readonly code: Engine,
    private readonly shell: ShellEngine,
    private readonly isKnown: Known,
    /** The shell runtime that rewritten lines call, used directly for plain command cells. */
    private readonly direct?: {
      run(command: string): Promise<void>;
      magic(name: string, arg: string): Promise<void>;
      /** Points the runtime's output at this cell's sink. */
      use(sink: OutputSink): void;
      /** Readies what a cell sees (the toolboxes on PATH as they are now); never throws. */
      beforeCell?(): void;
    }
  ) {}

  async execute(source: string, sink: OutputSink, origin?: CellOrigin): Promise<ExecuteResult> {
    const written = origin && { ...origin, text: source };
    this.direct?.beforeCell?.();
    const magic = cellMagic(source);
    if (magic && 'unknown' in magic) return toError(new UnknownMagicError(magic.unknown, 'cell'));
    if (magic) {
      if (magic.args) {
        // Only the magic line is interpolated (in TypeScript); the script is the shell's own.
        return this.code.execute(
          `await ${RUNTIME}.script(${JSON.stringify(magic.shell)}, ${template(magic.args, this.isKnown)}, ${JSON.stringify(magic.body)})`,
          sink,
          written
        );
      }
      const r = await this.shell.run(magic.body, sink, magic.shell);
      if (r.interrupted) return Private.interrupted();
      if (r.exitCode !== 0) {
        const e = new ShellError(`%%${magic.shell}`, r.exitCode, r.signal);
        return {
          status: 'error',
          ename: e.name,
          evalue: e.message,
          traceback: [`\x1b[31m${e.name}\x1b[0m: ${e.message}`]
        };
      }
      return { status: 'ok' };
    }
    const leave = /^\s*(exit|quit)(?:\s*\(\s*\))?\s*;?\s*$/.exec(source);
    if (leave && !this.isKnown(leave[1])) return { status: 'ok', askExit: true };
    const plain = plainCommands(source, this.isKnown);
    if (plain && this.direct) {
      this.direct.use(sink);
      try {
        for (const step of plain) {
          if (step.magic) await this.direct.magic(step.magic, step.command);
          else await this.direct.run(step.command);
        }
        return { status: 'ok' };
      } catch (error) {
        return toError(error);
      }
    }
    return this.code.execute(rewrite(source, this.isKnown), sink, written);
  }

  evaluate(expression: string): Promise<{ status: 'ok'; data: MimeBundle } | ErrorResult> {
    return this.code.evaluate(expression);
  }

  async complete(source: string, cursor: number): Promise<Completion> {
    const lineStart = source.lastIndexOf('\n', cursor - 1) + 1;
    const line = source.slice(lineStart, cursor);
    if (cellMagic(source) && cursor > source.indexOf('\n')) {
      return this.shell.complete(line, line.length, lineStart);
    }
    if (/^\s*!/.test(line) && rewrite(line + 'x', this.isKnown) !== line + 'x') {
      return this.shell.complete(line, line.length, lineStart);
    }
    return this.code.complete(mask(source, this.isKnown), cursor);
  }

  inspect(source: string, cursor: number, detail: number): Promise<Inspection> {
    return this.code.inspect(mask(source, this.isKnown), cursor, detail);
  }

  async isComplete(source: string): Promise<Completeness> {
    if (cellMagic(source)) return { status: 'complete' };
    return this.code.isComplete(rewrite(source, this.isKnown));
  }

  interrupt(): void {
    this.shell.interrupt();
    this.code.interrupt();
  }

  dispose(): Promise<void> {
    this.shell.interrupt();
    return this.code.dispose();
  }
}

namespace Private {
  export function interrupted(): ErrorResult {
    return {
      status: 'error',
      ename: 'KeyboardInterrupt',
      evalue: 'interrupted by the user',
      traceback: ['\x1b[31mKeyboardInterrupt\x1b[0m: interrupted by the user']
    };
  }
}
