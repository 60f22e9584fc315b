/**
 * Cells checked by a program's own checker, without a new program: a cell
 * that imports nothing (or only Node's own modules) is parsed and bound as a
 * source file of its own, whose outer scope is the newest earlier cell, and
 * the program's checker, which already knows the libraries and every earlier
 * cell's types, checks it and emits it. A cell then costs what its own text
 * costs, not a new program and a new checker. Cells kept this way are
 * `LiveCells`; they fold into the converter's declaration files when there
 * are `LIVE_MAX` of them (a checker's caches grow with every cell it checks)
 * or when a cell needs more than this path can give.
 */
import { isBuiltin } from 'node:module';
import ts = require('@tslab/typescript-for-tslab');

/** Cells kept live before they fold into declaration files and the checker starts afresh. */
export const LIVE_MAX = 64;
/** Cells checked by one checker (those with errors too) before it is let go. */
const ATTEMPTS_MAX = 4 * LIVE_MAX;

/** Global or module augmentations, merged when a checker starts: they need the whole program. */
const AUGMENTS = /\bdeclare\s+(global|module)\b/;
/** Text that may name a module: imports and `require` (resolved by the program's host), triple-slash references. */
const NAMES_MODULES = /\bimport\b|\brequire\b|\/\/\/\s*<reference/;

/**
 * Whether a cell needs the whole program. An import of Node's own modules
 * does not: @types/node declares them as ambient modules, which the checker
 * finds before it asks the program where an import resolved.
 */
function needsProgram(src: string): boolean {
  if (AUGMENTS.test(src)) return true;
  if (!NAMES_MODULES.test(src)) return false;
  const found = ts.preProcessFile(src, true, true);
  return (
    found.referencedFiles.length > 0 ||
    found.typeReferenceDirectives.length > 0 ||
    found.libReferenceDirectives.length > 0 ||
    (found.ambientExternalModules?.length ?? 0) > 0 ||
    found.importedFiles.some((f) => !isBuiltin(f.fileName))
  );
}

/** TypeScript's internal pieces this path uses, which its public types leave out. */
interface Internals {
  bindSourceFile(file: ts.SourceFile, options: ts.CompilerOptions): void;
  toPath(fileName: string, base: string, canonical: (f: string) => string): string;
}
const internal = ts as unknown as Internals;

/** A cell checked on its own, and what it declared once it ran. */
export interface LiveCell {
  file: ts.SourceFile;
  /** Its declaration output, for the declaration files it folds into. */
  declarations: string;
}

export class LiveCells {
  /** Oldest first: committed cells that declared something. */
  readonly cells: LiveCell[] = [];
  /** The program whose checker checked every cell in `cells`. */
  program: ts.Program | null = null;
  private made = 0;
  private attempts = 0;

  constructor(
    /** The start of its files' names: a path in the notebook's folder. */
    private readonly prefix: string,
    private readonly options: ts.CompilerOptions,
    private readonly isJS: boolean
  ) {}

  /** Whether a cell's source can be checked this way. */
  accepts(src: string): boolean {
    return this.cells.length < LIVE_MAX && !needsProgram(src);
  }

  /**
   * `text` parsed and bound as a file of its own, its outer scope `outer`
   * (the newest earlier cell, or the newest declaration file).
   */
  parse(text: string, outer: ts.Node | undefined): ts.SourceFile {
    this.attempts++;
    const name = `${this.prefix}_live${this.made++}__.${this.isJS ? 'js' : 'ts'}`;
    const file = ts.createSourceFile(
      name,
      text,
      this.options.target ?? ts.ScriptTarget.ES2022,
      true,
      this.isJS ? ts.ScriptKind.JS : ts.ScriptKind.TS
    );
    const path = internal.toPath(name, '/', (f) => f);
    Object.assign(file, { path, resolvedPath: path, originalFileName: name, parent: outer });
    internal.bindSourceFile(file, this.options);
    return file;
  }

  /** The newest live cell, the outer scope of the next one. */
  get newest(): ts.SourceFile | undefined {
    return this.cells[this.cells.length - 1]?.file;
  }

  /** Whether this checker has checked enough cells: its caches keep something of each. */
  get spent(): boolean {
    return this.attempts >= ATTEMPTS_MAX;
  }

  /** Every live cell is let go (they have folded into declaration files). */
  clear(): void {
    this.cells.length = 0;
    this.program = null;
    this.attempts = 0;
  }
}
