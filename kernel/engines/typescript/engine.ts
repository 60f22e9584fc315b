import Module from 'node:module';
import { join } from 'node:path';
import * as vm from 'node:vm';
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
} from '../engine';
import { Interrupted } from '../engine';
import { COMPILER_HEAP_MB, Compiler } from './compiler';
import type { ConvertedCell as Converted } from './compiler';
import type { CommittedCell } from './protocol';
import { cellFrames } from './cell-frames';
import { LocalModules } from './local-modules';
import { toBundle, toError } from './format';
import type { Runtime } from './runtime';
import { runCell } from './uncached';
import { UserCode } from './user-code';

/** Cells converted since the last declaration, keyed by source: re-running one skips the compiler. */
const CACHE_SIZE = 256;
/** The largest cell the compiler is given (a 4 MB literal already takes seconds to check). */
const MAX_CELL_CHARS = 4_000_000;

/**
 * TypeScript (or JavaScript) cells, checked and converted in the compiler
 * process (compiler-process.ts, converter.ts). Top-level declarations are
 * kept on one `exports` object, so they carry across cells; code runs in
 * this thread, in a task of its own (user-code.ts), so an interrupt can
 * terminate a busy loop and every variable survives.
 */
export class TypeScriptEngine implements Engine {
  private compilerInstance: Compiler | null = null;
  private readonly compilerOptions: { entry: string; isJS: boolean };
  private readonly runtime: Runtime;
  private readonly userCode: UserCode;
  private readonly exports: Record<string, unknown>;
  /**
   * Declarations committed so far: the compiler process holds them, and one
   * that replaces a process that died is given them again.
   */
  private readonly committed: (string | CommittedCell)[] = [];
  /** Emptied by every declaration: a cell converted before it may type differently after it. */
  private readonly cache = new Map<string, Converted>();
  /** The notebook's own TypeScript modules, which the compiler converts for `require`. */
  private readonly localModules = new LocalModules();
  private interruptCurrent: (() => void) | null = null;
  /** While a cell runs: how many times each of its names has been assigned on `exports`. */
  private assignments: Map<string, number> | null = null;

  constructor(options: TypeScriptEngine.IOptions) {
    this.compilerOptions = {
      entry: options.compilerEntry,
      isJS: options.language === 'javascript'
    };
    this.runtime = options.runtime;
    this.userCode = options.userCode ?? new UserCode();
    this.exports = Private.createExports((name) => {
      if (this.assignments) this.assignments.set(name, (this.assignments.get(name) ?? 0) + 1);
    });
    Object.assign(this.exports, this.runtime.globals);
    this.localModules.install();
    const require = Module.createRequire(join(process.cwd(), '__warren__.js'));
    Object.defineProperty(globalThis, '__warren__', {
      value: { exports: this.exports, require },
      enumerable: false
    });
  }

  /**
   * The compiler process, adopted from the early launch (main.ts, the command
   * line) on first need or by `warmUp`, or started again after one died.
   */
  private get compiler(): Compiler {
    if (!this.compilerInstance || this.compilerInstance.dead) {
      this.compilerInstance = new Compiler(this.compilerOptions.entry, {
        isJS: this.compilerOptions.isJS,
        cwd: process.cwd(),
        globals: this.runtime.declarations,
        committed: this.committed
      });
    }
    return this.compilerInstance;
  }

  /**
   * Starts the compiler in the background, so the first TypeScript cell finds
   * it ready; settles once it is (never, should it die first).
   */
  warmUp(): Promise<void> {
    return this.compiler.ready;
  }

  /** The variables cells have declared (for tests and the inspector). */
  get locals(): Readonly<Record<string, unknown>> {
    return this.exports;
  }

  async execute(code: string, sink: OutputSink, origin?: CellOrigin): Promise<ExecuteResult> {
    const label = origin?.label ?? 'In[ ]';
    const text = origin?.text ?? code;
    this.runtime.use(sink);
    let interrupt: () => void = () => {};
    const interrupted = new Promise<never>(
      (_, reject) => (interrupt = () => reject(new Interrupted()))
    );
    interrupted.catch(() => {});
    this.interruptCurrent = interrupt;
    /** Set once the cell's code starts: what it had declared when it failed is kept. */
    let started: { converted: Converted; before: Map<string, unknown> } | null = null;
    try {
      if (!this.compilerInstance?.isReady && Private.isPlainExpression(code)) {
        // While the compiler still loads (the first second or so), a cell that
        // declares, assigns and awaits nothing runs as plain JavaScript; any
        // other cell waits for the compiler and its type checks.
        const object = Private.objectLiteral(code);
        const file = cellFrames.add({
          label,
          text,
          linesBefore: 1,
          columnsBefore: object === code ? 0 : 1,
          lines: code.split('\n').length
        });
        const { value } = await Promise.race([
          this.userCode.run(() => runCell(`with (__warren__.exports) {\n${object}\n}`, file)),
          interrupted
        ]);
        void this.warmUp();
        return value === undefined ? { status: 'ok' } : { status: 'ok', value: toBundle(value) };
      }
      const converted = await Promise.race([this.convert(code), interrupted]);
      if (converted.diagnostics.length > 0) {
        return Private.diagnosticsError(converted, label, text, code);
      }
      if (converted.modules) this.localModules.update(converted.modules);
      let value: unknown = undefined;
      if (converted.output) {
        const before = `(${converted.hasToplevelAwait ? 'async ' : ''}function (exports, require) { `;
        const wrapped = `${before}${converted.output}\n})(__warren__.exports, __warren__.require)`;
        const file = cellFrames.add({
          label,
          text,
          mappings: converted.sourceMap,
          linesBefore: 0,
          columnsBefore: before.length,
          lines: converted.output.split('\n').length
        });
        started = { converted, before: this.valuesOf(Private.cellNames(converted.output)) };
        this.assignments = new Map();
        const { value: ret } = await Promise.race([
          this.userCode.run(() => runCell(wrapped, file)),
          interrupted
        ]);
        if (converted.hasToplevelAwait) {
          await Promise.race([ret, interrupted]);
        }
        if (converted.lastExpressionVar) {
          value = this.exports[converted.lastExpressionVar];
          delete this.exports[converted.lastExpressionVar];
        }
        // A promise the cell rejected and left alone is reported in the first
        // turn (Runtime.catchStrayErrors), in this cell, not after it; an
        // interrupt posted while the cell's microtasks held the thread (ended
        // by the io thread's terminate) is handled in the second.
        if (await Private.interruptedNow(interrupted)) throw new Interrupted();
        cellFrames.ran(file, converted.definesFunctions !== false);
      }
      this.commit(converted, [], code);
      return value === undefined ? { status: 'ok' } : { status: 'ok', value: toBundle(value) };
    } catch (error) {
      if (started) this.keepWhatRan(started.converted, started.before, code);
      // An interrupt that came while the cell's code was blocked in a call
      // (execSync, a read) is handled when the loop next turns; the call
      // failed because of it (its child was signalled): say it was interrupted.
      if (
        started &&
        !(error instanceof Interrupted) &&
        (await Private.interruptedNow(interrupted))
      ) {
        return toError(new Interrupted());
      }
      return toError(error);
    } finally {
      this.interruptCurrent = null;
      this.assignments = null;
    }
  }

  /** The current values of `names` on exports, for those that have one. */
  private valuesOf(names: string[]): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const n of names) if (Object.hasOwn(this.exports, n)) out.set(n, this.exports[n]);
    return out;
  }

  /**
   * A cell threw or was interrupted part way: what it declared before that
   * is kept, values and types, as ipykernel keeps what ran. Its names whose
   * declaration never ran (the converter set them all to undefined first)
   * get back what they held before the cell, or go.
   */
  private keepWhatRan(converted: Converted, before: Map<string, unknown>, code: string): void {
    const counts = this.assignments ?? new Map<string, number>();
    this.assignments = null;
    if (converted.lastExpressionVar) delete this.exports[converted.lastExpressionVar];
    const notRun = Private.cellNames(converted.output ?? '').filter(
      (n) => n !== converted.lastExpressionVar && (counts.get(n) ?? 0) < 2
    );
    for (const n of notRun) {
      if (before.has(n)) this.exports[n] = before.get(n);
      else delete this.exports[n];
    }
    this.commit(converted, notRun, code);
  }

  async evaluate(expression: string): Promise<{ status: 'ok'; data: MimeBundle } | ErrorResult> {
    // Interruptible as a cell is: a user expression that loops is terminated,
    // and its job never settles.
    let interrupt: () => void = () => {};
    const interrupted = new Promise<never>(
      (_, reject) => (interrupt = () => reject(new Interrupted()))
    );
    interrupted.catch(() => {});
    this.interruptCurrent = interrupt;
    try {
      const { value } = await Promise.race([
        this.userCode.run(() => runCell(`with (__warren__.exports) { (${expression}\n) }`)),
        interrupted
      ]);
      return { status: 'ok', data: toBundle(value) };
    } catch (error) {
      return toError(error);
    } finally {
      this.interruptCurrent = null;
    }
  }

  async complete(code: string, cursor: number): Promise<Completion> {
    const c = await this.compiler.complete(code, cursor);
    return { matches: c.candidates, cursorStart: c.start, cursorEnd: c.end };
  }

  async inspect(code: string, cursor: number): Promise<Inspection> {
    const info = await this.compiler.inspect(code, cursor);
    if (!info.found) return { found: false, data: {} };
    const text = info.documentation ? `${info.signature}\n\n${info.documentation}` : info.signature;
    return {
      found: true,
      data: {
        'text/plain': text,
        'text/markdown':
          '```typescript\n' +
          info.signature +
          '\n```' +
          (info.documentation ? `\n\n${info.documentation}` : '')
      }
    };
  }

  isComplete(code: string): Promise<Completeness> {
    return this.compiler.isComplete(code);
  }

  interrupt(): void {
    this.userCode.reset();
    this.interruptCurrent?.();
  }

  async dispose(): Promise<void> {
    await this.compilerInstance?.dispose();
  }

  private async convert(code: string): Promise<Converted> {
    const hit = this.cache.get(code);
    if (hit) return hit;
    // The compiler is the user's, shared by every notebook: a cell that would
    // fill its heap is refused here rather than taking the others down with it.
    if (code.length > MAX_CELL_CHARS)
      throw new Error(
        `this cell is ${(code.length / 1e6).toFixed(1)} MB of source, more than the TypeScript ` +
          `checker takes (${MAX_CELL_CHARS / 1e6} MB); every variable is kept. ` +
          'Large data belongs in a file that the cell reads.'
      );
    // A process that died earlier has been replaced by the getter. The
    // compiler serves every kernel of the user, so one that dies while this
    // cell waits may have died of another notebook's cell: the cell is tried
    // once more on a new one. Should that die too, this cell most likely is
    // the cause (out of memory), and it fails; the next request starts a new
    // compiler. No state is lost: the cells' variables live in the kernel.
    let converted: Converted | null = null;
    let compiler = this.compiler;
    for (let attempt = 0; converted === null; attempt++) {
      try {
        converted = await compiler.convert(code);
      } catch (error) {
        if (!compiler.dead) throw error;
        if (attempt === 0) {
          compiler = this.compiler;
          continue;
        }
        const cause = String(compiler.deathCause?.message ?? error);
        // Only a heap that filled is about the cell's size: a folder refused
        // or a crash says what it was, with no advice about data.
        throw new Error(
          compiler.outOfMemory
            ? `the TypeScript checker gave up on this cell (${cause}); it is capped at ` +
                `${COMPILER_HEAP_MB} MB and starts again for the next cell, with every variable kept. ` +
                'Large data belongs in a file that the cell reads.'
            : `the TypeScript compiler could not check this cell (${cause}); it is started ` +
                'again for the next cell, with every variable kept.'
        );
      }
    }
    // A cell that imports goes to the compiler each time: a module of the
    // notebook's it imports may have changed since (converted.modules).
    if (!/\bimport\b|\brequire\b/.test(code)) this.cache.set(code, converted);
    if (this.cache.size > CACHE_SIZE) {
      this.cache.delete(this.cache.keys().next().value as string);
    }
    return converted;
  }

  /** What a cell (`code`) declared, less `notRun`, counts for the cells after it. */
  private commit(converted: Converted, notRun: string[], code: string): void {
    const known = converted.declOutput;
    const later = known === undefined ? converted.declarationsLater : undefined;
    if (known === undefined ? !later : known.trim() === '') return;
    // A process started now is given `committed`, this entry included.
    const fresh = !this.compilerInstance || this.compilerInstance.dead;
    if (known !== undefined && notRun.length === 0) this.committed.push(known);
    else {
      const entry: CommittedCell = { declarations: known ?? '', notRun };
      // `committed` only grows: the entry keeps its place.
      const at = this.committed.push(entry) - 1;
      // Still on their way from the compiler, which takes a commit of null as
      // the cell's own: kept here, once they come, for a compiler that replaces
      // it. Should that compiler end first, the next one converts the cell again.
      if (later) {
        entry.source = code;
        void later.then((declarations) => {
          if (declarations === null) return;
          this.committed[at] = notRun.length === 0 ? declarations : { declarations, notRun };
        });
      }
    }
    this.cache.clear();
    const compiler = this.compiler;
    // Not waited for: it goes with the next request, down the same channel. Should
    // the process die first, the one that replaces it is given `committed`.
    if (!fresh) compiler.commit(known ?? null, notRun);
  }
}

export namespace TypeScriptEngine {
  export interface IOptions {
    language: 'typescript' | 'javascript';
    /** The compiled compiler process entry. */
    compilerEntry: string;
    runtime: Runtime;
    /** Runs cells' own code; main.ts gives one that tells the io thread while it runs. */
    userCode?: UserCode;
  }
}

namespace Private {
  /** Words after which a cell needs the compiler: declarations, modules, await, types. */
  const NEEDS_COMPILER =
    /\b(await|import|export|let|const|var|function|class|interface|type|enum|declare|namespace|yield|require)\b|[^=!<>]=(?![=>])|\+\+|--/;

  /**
   * Whether `interrupted` rejects within two turns of the event loop: the
   * first ends the turn in which the cell's code ran, the second polls what
   * the io thread posted meanwhile.
   */
  export function interruptedNow(interrupted: Promise<never>): Promise<boolean> {
    return Promise.race([
      new Promise<boolean>((resolve) => setImmediate(() => setImmediate(() => resolve(false)))),
      interrupted.then(
        () => false,
        () => true
      )
    ]);
  }

  /** `{ a: 1 }` as the object it reads as in Node's REPL (the compiler's cells.ts does the same), else `code`. */
  export function objectLiteral(code: string): string {
    if (!/^\s*\{/.test(code) || !/\}\s*$/.test(code)) return code;
    try {
      new vm.Script(`(${code})`);
      return `(${code})`;
    } catch {
      return code;
    }
  }

  /** A cell of expressions only, valid as plain JavaScript. */
  export function isPlainExpression(code: string): boolean {
    if (NEEDS_COMPILER.test(code)) return false;
    try {
      new vm.Script(code);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * TypeScript turns named imports into defineProperty getters; cells must be
   * able to reassign them later, so getters are read into plain values.
   */
  export function createExports(onDefine: (name: string) => void): Record<string, unknown> {
    const target: Record<string, unknown> = {};
    return new Proxy(target, {
      // An assignment (`exports.total += i` in a loop) stores the value
      // itself: without this trap it became a defineProperty with a
      // descriptor, about 490 ns rather than 60.
      set(t, prop, value) {
        t[prop as string] = value;
        if (typeof prop === 'string') onDefine(prop);
        return true;
      },
      defineProperty(t, prop, attrs) {
        if (prop === '__esModule') return true;
        t[prop as string] = attrs.get ? attrs.get() : attrs.value;
        if (typeof prop === 'string') onDefine(prop);
        return true;
      }
    });
  }

  /**
   * The names a converted cell declares: TypeScript's CommonJS output sets
   * them all to undefined on its first lines (`exports.b = exports.a = void
   * 0;`), then assigns each right after its declaration runs.
   */
  export function cellNames(output: string): string[] {
    const names: string[] = [];
    // Any identifier: ψ, café and 𝑥 are names as well as psi. Any character
    // past ASCII stands for one of a name's: TypeScript writes nothing else
    // there, and a Unicode property class (\p{ID_Continue}) had ICU build
    // its set, 0.3 MB of ICU's code and data resident for the first cell.
    for (const m of output.matchAll(/^((?:exports\.[\w$\u0080-\uffff]+ = )+)void 0;$/gm))
      for (const n of m[1].matchAll(/exports\.([\w$\u0080-\uffff]+) = /g)) names.push(n[1]);
    return names;
  }

  /**
   * A type error as tsc writes one, where the notebook shows it: the cell's
   * label, line and column, the message (a chain indented under its head),
   * then the line as written and a caret under the span. The caret is left
   * out where the line ran rewritten (a `!` command), its columns not the written ones.
   */
  export function diagnosticsError(
    converted: Converted,
    label: string,
    text: string,
    code: string
  ): ErrorResult {
    const written = text.split('\n');
    const ran = code.split('\n');
    const entries = converted.diagnostics.map((d) => {
      // A chain's lines come indented under its head already.
      const [head, ...chain] = d.message.split('\n');
      const where = `${d.fileName ?? `Cell ${label}`}:${d.line + 1}:${d.character + 1}`;
      const lines = [`\x1b[31mTSError\x1b[0m ${where} - ${head}`, ...chain];
      const line = d.fileName ? undefined : written[d.line]?.replace(/\r$/, '');
      if (line !== undefined && line.trim() !== '') {
        lines.push(`    ${line}`);
        if (line === ran[d.line]?.replace(/\r$/, '')) {
          const width = Math.max(1, Math.min(d.length ?? 1, line.length - d.character));
          // Tabs before the span keep their width, so the caret lines up.
          const pad = line.slice(0, d.character).replace(/[^\t]/g, ' ');
          lines.push(`    ${pad}\x1b[31m${'^'.repeat(width)}\x1b[0m`);
        }
      }
      return lines.join('\n');
    });
    const first = converted.diagnostics[0];
    return {
      status: 'error',
      ename: 'TSError',
      evalue: first.message,
      traceback: entries
    };
  }
}
