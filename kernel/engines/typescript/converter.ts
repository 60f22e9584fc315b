/**
 * The TypeScript converter: checks a cell against what earlier cells declared
 * and turns it into CommonJS the engine can run, in the compiler process.
 * With declarations.ts (what a cell declares, carried and folded), cells.ts
 * (the transforms of a cell's source and output), library-docs.ts (the
 * libraries' documentation, read when asked for) and node-types.ts (which of
 * Node's types a notebook starts with), the project's only importer of the
 * TypeScript compiler.
 *
 * One language service holds the program. Each cell is one source file; what
 * earlier cells declared lives in small declaration files, one per cell that
 * declared something, chained newest first as the cell's outer scopes (a
 * source file's `parent` is the next older one), so a cell sees the newest
 * declaration of a name and an older cell's types keep meaning what they
 * meant. A new cell reuses every unchanged file: nothing earlier is parsed or
 * bound again, and the checker only looks at what the cell names. When the
 * chain grows past `RECENT`, its files fold into one base file, the newest
 * declaration of each name winning, so a notebook of thousands of cells
 * checks a cell against a few dozen files. The base's plain variables that no
 * cell named between two folds wait out of the program, as text, and come
 * back when a cell (or completion, or inspect) names them: a notebook's
 * memory stays flat however many names it declared.
 */
import { isBuiltin } from 'node:module';
import { basename, dirname, join } from 'node:path';
import ts = require('@tslab/typescript-for-tslab');
import { dropEmptyExportTables, emptyExportTables } from './library-symbols';
import {
  asObjectLiteral,
  asWritten,
  definesFunctions,
  earlierNamesOnExports,
  expandShorthand,
  isTopLevelAwait,
  lastExpression,
  originalOffset
} from './cells';
import type { Expanded } from './cells';
import {
  declarationsOnly,
  declares,
  dropValues,
  joined,
  newestPieces,
  newestWins,
  topLevelNames
} from './declarations';
import type { Declarator } from './declarations';
import { documentFor, withoutDocs } from './library-docs';
import { LIVE_MAX, LiveCells } from './live';
import { NodeTypes, completing, namedBy, resolveTypeReferences } from './node-types';
import { UnresolvedImports } from './unresolved';
import type { LiveCell } from './live';
import type { CompilerDiagnostic, CompletionAnswer, Converted, InspectAnswer } from './protocol';

/**
 * Declaration files kept apart before they fold into the base file. They are
 * always in the program, empty until a cell fills one: a program whose root
 * files stay the same reuses the last one's structure whole.
 */
const RECENT = 32;
/** `ts.EmitOnly.Js` in the TypeScript this project pins (5.0): JavaScript, no declarations. */
const EMIT_ONLY_JS = 0;
/** TypeScript's "'await' is only allowed within async functions" (top-level await is ours to run). */
const AWAIT_OUTSIDE_ASYNC = 1308;
/** TypeScript's "Top-level 'for await' loops are only allowed when 'module' is es2022…": a top-level await like any other. */
const FOR_AWAIT_AT_TOP = 1432;

/** Text that may name a module: an import, a require, a reference directive. */
const NAMES_MODULES = /\bimport\b|\brequire\b|<reference\b/;

/** Text ending inside a module's name (`from '`, `import('`, `require("ht`), and the name so far. */
const IN_MODULE_NAME = /(?:\bfrom|\bimport\s*\(?|\brequire\s*\()\s*['"]([^'"\n]*)$/;

/** The words of a text that may be names: a superset of its identifiers (strings and comments too). */
const WORDS = /[\w$\u0080-\uffff]+/g;
/** The name a committed declaration text is parsed under, for its names. */
const DECLARATIONS_FILE = '__declarations__.d.ts';

/** Converters made in this process: each names its files apart. */
let made = 0;

/** Files read from disk (lib, @types, modules), read once for every converter of the process. */
const disk = new Map<string, ts.IScriptSnapshot | undefined>();

/**
 * Where libraries' imports resolve to, by importing folder, name and mode,
 * for every converter of the process: @types/node's imports of Node's own
 * modules (`'node:events'`, `'stream'`, … in 60 files, found in no folder),
 * and every import a library file resolved to a file (undici-types' own). A
 * library's import that found nothing is not kept here: a package may be
 * installed meanwhile (TypeScript itself reuses an unchanged file's
 * resolutions in the next program, which unresolved.ts sees to). TypeScript
 * keeps resolutions for one program only, and a program whose root files
 * moved (a converter readied in the snapshot's folder, then moved to the
 * notebook's) resolved all of them again, each a walk up the folders: about
 * half of readying a notebook's first program.
 */
const libraryResolutions = new Map<string, ts.ResolvedModuleWithFailedLookupLocations>();

interface DeclarationFile {
  path: string;
  version: number;
  text: string;
}

export type DocumentRegistry = ts.DocumentRegistry;

/** Where parsed files are kept for every converter of this process to reuse. */
export function createRegistry(): DocumentRegistry {
  return ts.createDocumentRegistry();
}

export interface ConverterOptions {
  isJS: boolean;
  /** Parsed libraries and @types, shared with other converters. */
  registry: DocumentRegistry;
  /** The folder module imports resolve from. */
  cwd: string;
  /** Ambient declarations of the runtime's globals (`display`, `warren`, …). */
  globals: string;
}

export class Converter {
  private cwd: string;
  private readonly prefix: string;
  private cellPath: string;
  private readonly service: ts.LanguageService;
  private readonly host: ts.LanguageServiceHost;
  private options: ts.CompilerOptions;
  private cell = { version: 0, text: 'export {};\n' };
  /** Oldest first: the runtime's globals, the folded base, then `RECENT` files for cells. */
  private readonly chain: DeclarationFile[] = [];
  /** The notebook's modules the kernel was given, as parsed then (a changed file is parsed anew). */
  private readonly sentModules = new WeakSet<ts.SourceFile>();
  /** Its imports that found nothing, looked for again once a package may have been installed. */
  private readonly unresolved = new UnresolvedImports();
  private readonly base: DeclarationFile;
  /** How many of the cells' files hold a cell's declarations. */
  private filled = 0;
  /**
   * Names set aside when the files folded: plain variables (`declare const
   * x: T`) no text had mentioned since they were declared (or, in the base,
   * since the fold before), nor anything kept named. Each is the newest
   * declaration of its name (a commit that declares one again brings it back
   * first), kept as text, about 150 bytes where TypeScript's nodes and symbol
   * for it took 900; a text that mentions one brings it back (`mention`).
   * Completion offers them too.
   */
  private readonly aside = new Map<string, Declarator>();
  /**
   * Names parsed in the base file or the cells' files, and those of them
   * mentioned since they were declared there (in the base, since it last
   * folded). A cell's own text does not count: it is read before its names
   * are declared.
   */
  private watched = new Set<string>();
  private readonly mentioned = new Set<string>();
  /** Cells checked on the program's own checker, newer than every declaration file. */
  private live: LiveCells;
  /**
   * The last cell converted live, which joins `live` if its declarations are
   * committed whole while `program` still checks the live cells.
   */
  private candidate: (LiveCell & { program: ts.Program }) | null = null;
  /** @types/node less the modules no cell has needed yet (node-types.ts); null where taken whole. */
  private readonly nodeTypes: NodeTypes | null;
  /** The cell whose declarations `convert(src, true)` left for `declarationsLeft`. */
  private left: { program: ts.Program; file: ts.SourceFile; names: string[] } | null = null;

  constructor(options: ConverterOptions) {
    this.cwd = options.cwd;
    // Names of this converter's own: the registry shares files by name, and
    // two notebooks of one folder may share a compiler.
    this.prefix = `__warren${made++}`;
    this.cellPath = join(this.cwd, `${this.prefix}_cell__.${options.isJS ? 'js' : 'ts'}`);
    this.options = {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      // Only @types/node is global; other @types packages apply when a cell
      // imports their module (a notebook folder holding a JavaScript
      // project's node_modules would otherwise check all of them every cell).
      types: ['node'],
      typeRoots: typeRoots(this.cwd),
      declaration: true,
      // Read by the kernel only when a cell's error is shown: each stack frame
      // of a cell is given as the cell's own line (format.ts).
      sourceMap: true,
      newLine: ts.NewLineKind.LineFeed,
      experimentalDecorators: true,
      resolveJsonModule: true,
      jsx: ts.JsxEmit.React,
      allowJs: true,
      // Checked for top-level await (reported as an error the engine takes);
      // the JavaScript kernel reports no other semantic error (check()).
      checkJs: true,
      // The fork's option: top-level await is reported (code 1308) instead of
      // refused for CommonJS, and the engine runs such a cell as async.
      disableTopLevelAwait: true,
      skipLibCheck: true,
      rootDir: this.cwd,
      outDir: join(this.cwd, '__warren_out__')
    } as ts.CompilerOptions;
    // Node's types come in through their own index, a root file, where they can.
    this.nodeTypes = NodeTypes.for(this.options, this.cwd, OWN_TYPES);
    if (this.nodeTypes) this.options.types = [];
    const file = (path: string) =>
      path === this.cellPath
        ? { version: this.cell.version, text: this.cell.text }
        : path === this.nodeTypes?.path
          ? { version: 0, text: this.nodeTypes.text }
          : this.chain.find((d) => d.path === path);
    const host: ts.LanguageServiceHost = {
      getScriptFileNames: () => [
        ...(this.nodeTypes ? [this.nodeTypes.path] : []),
        ...this.chain.map((d) => d.path),
        this.cellPath
      ],
      getScriptVersion: (path) => {
        const f = file(path);
        if (f) return String(f.version);
        // A notebook's own modules change while it runs; libraries do not.
        return settled(path) ? '0' : String(ts.sys.getModifiedTime?.(path)?.getTime() ?? 0);
      },
      getScriptSnapshot: (path) => {
        const f = file(path);
        if (f) return ts.ScriptSnapshot.fromString(f.text);
        return this.read(path);
      },
      getCurrentDirectory: () => this.cwd,
      getCompilationSettings: () => this.options,
      getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
      fileExists: (path) => file(path) !== undefined || ts.sys.fileExists(path),
      readFile: (path) => file(path)?.text ?? ts.sys.readFile(path),
      readDirectory: (...args) => ts.sys.readDirectory(...args),
      directoryExists: (path) => ts.sys.directoryExists(path),
      getDirectories: (path) => ts.sys.getDirectories(path)
    };
    host.resolveModuleNameLiterals = (literals, containingFile, redirected, options, file) =>
      resolveModules(host, this.unresolved, literals, containingFile, redirected, options, file);
    host.resolveTypeReferenceDirectiveReferences = (
      references,
      containingFile,
      redirected,
      options
    ) =>
      resolveTypeReferences(
        () => this.nodeTypes?.path,
        references,
        containingFile,
        redirected,
        options
      );
    // Read by TypeScript's language service, though its typings leave it out.
    (host as { hasInvalidatedResolutions?: (path: string) => boolean }).hasInvalidatedResolutions =
      (path) => this.unresolved.invalidated(path);
    this.host = host;
    this.service = ts.createLanguageService(host, options.registry);
    this.live = new LiveCells(join(this.cwd, this.prefix), this.options, options.isJS);
    this.chain.push(this.declarationFile('globals', moduleText(options.globals)));
    this.base = this.declarationFile('base', 'export {};\n');
    this.chain.push(this.base);
    for (let i = 0; i < RECENT; i++)
      this.chain.push(this.declarationFile(`cell${i}`, 'export {};\n'));
  }

  /**
   * Serves a notebook in `cwd` from now on, when that folder's @types are
   * this one's (a converter readied before its folder was known): cells that
   * import modules resolve them from there. False, and nothing changed, when
   * they differ.
   */
  moveTo(cwd: string): boolean {
    const roots = typeRoots(cwd);
    const mine = this.options.typeRoots ?? [];
    if (roots.length !== mine.length || roots.some((r, i) => r !== mine[i])) return false;
    // Readied for this folder already (compiler-process.ts, before its first kernel came).
    if (cwd === this.cwd) return true;
    const isJS = this.cellPath.endsWith('.js');
    // Every file of the chain moves too: imports that earlier cells carried
    // in their declarations resolve from the file that holds them, and from
    // the old folder a package of the notebook's is not found (its names
    // lost their types, an untyped one could not be imported again).
    this.absorb();
    this.cwd = cwd;
    this.cellPath = join(cwd, `${this.prefix}_cell__.${isJS ? 'js' : 'ts'}`);
    for (const file of this.chain) {
      // The runtime's globals name no module: they mean the same from any
      // folder, and their parse (the snapshot's) is kept.
      if (file === this.chain[0] && !NAMES_MODULES.test(file.text)) continue;
      file.path = join(cwd, basename(file.path));
      file.version++;
    }
    // A new options object: the language service makes a new program with them.
    this.options = { ...this.options, rootDir: cwd, outDir: join(cwd, '__warren_out__') };
    this.live = new LiveCells(join(cwd, this.prefix), this.options, isJS);
    return true;
  }

  /**
   * Parses the libraries and @types/node now, so the first cell finds them
   * ready; with `cell`, checks and emits it too, as a first cell would be,
   * and forgets it: what the checker and V8 make the first time they see a
   * typed declaration, an array and a call is made before a user waits on it.
   */
  warmUp(cell = '0'): void {
    this.convert(cell);
    this.candidate = null;
    this.left = null;
  }

  /**
   * Checks and converts a cell. Its declarations come back in `declOutput`
   * and count for later cells once `commit` is called with them.
   *
   * With `later`, a live cell's declarations are left out (`declarationsFollow`)
   * and `declarationsLeft` gives them: the compiler answers with the code,
   * which is what the kernel waits for, and emits the declarations while the
   * cell runs.
   */
  convert(source: string, later = false): Converted {
    const expanded = expandShorthand(asObjectLiteral(asWritten(source)));
    const src = expanded.text;
    this.readNodeTypes(namedBy(src));
    this.mention(src);
    const names = topLevelNames(src, this.cellPath);
    this.candidate = null;
    this.left = null;
    if (this.live.accepts(src)) {
      // A package installed since an import found nothing: a new program, which looks again.
      const installed = this.unresolved.invalidatedFiles();
      if (this.live.spent || installed.length > 0) this.absorb();
      const program = this.liveProgram();
      for (const path of installed) this.unresolved.lookedAgain(path);
      const sf = this.live.parse(withExports(src, names), this.outerScope(program));
      const leave = later && declares(sf);
      const converted = this.check(program, sf, expanded, names, leave);
      if (converted.output !== undefined && declares(sf))
        this.candidate = { file: sf, declarations: converted.declOutput ?? '', program };
      if (converted.output !== undefined && leave) {
        this.left = { program, file: sf, names };
        converted.declarationsFollow = true;
      }
      return converted;
    }
    const program = this.program(src, names);
    const converted = this.check(program, program.getSourceFile(this.cellPath)!, expanded, names);
    if (converted.output !== undefined) {
      const modules = this.localModules(program);
      if (modules) converted.modules = modules;
    }
    return converted;
  }

  /**
   * The notebook's own TypeScript modules in `program` (files a cell
   * imports, and what they import, outside node_modules) that changed since
   * the kernel was last given them, as CommonJS: Node cannot load a .ts file.
   */
  private localModules(program: ts.Program): Converted['modules'] {
    let out: Converted['modules'];
    for (const f of program.getSourceFiles()) {
      if (
        f.isDeclarationFile ||
        this.sentModules.has(f) ||
        !/\.tsx?$/.test(f.fileName) ||
        program.isSourceFileFromExternalLibrary(f) ||
        f.fileName.includes('/node_modules/') ||
        basename(f.fileName).startsWith(`${this.prefix}_`)
      )
        continue;
      let js: string | undefined;
      let mappings: string | undefined;
      program.emit(
        f,
        (name, text) => {
          if (name.endsWith('.js')) js = Private.withoutMapComment(text);
          else if (name.endsWith('.js.map')) mappings = Private.mappingsOf(text);
        },
        undefined,
        EMIT_ONLY_JS as unknown as boolean
      );
      if (js === undefined) continue;
      this.sentModules.add(f);
      (out ??= {})[f.fileName] = { js, mappings };
    }
    return out;
  }

  /**
   * The declarations of the cell converted last with `later`, which its answer
   * left out; '' if it left none. They count once `commit` is called with them
   * (or with null).
   */
  declarationsLeft(): string {
    const left = this.left;
    this.left = null;
    if (!left) return '';
    let text = '';
    left.program.emit(
      left.file,
      (name, t) => {
        if (name.endsWith('.d.ts')) text = t;
      },
      undefined,
      true
    );
    if (text === '' && left.names.length > 0)
      text = Private.declaredAnyway(left.program.getTypeChecker(), left.file, left.names);
    const declarations = declarationsOnly(text);
    if (this.candidate?.file === left.file) this.candidate.declarations = declarations;
    return declarations;
  }

  /**
   * `sf` (the cell, `expanded`, declaring `names`) checked and emitted in
   * `program`; its declarations too, unless `jsOnly`. Positions, in the
   * diagnostics and the source map, are the cell's as written.
   */
  private check(
    program: ts.Program,
    sf: ts.SourceFile,
    expanded: Expanded,
    names: string[],
    jsOnly = false
  ): Converted {
    const src = expanded.text;
    // Read only for a diagnostic or an expanded cell's map: not on every cell's path.
    let lineStarts: number[] | undefined;
    const written = (position: number) =>
      Private.internal.computeLineAndCharacterOfPosition(
        (lineStarts ??= Private.internal.computeLineStarts(expanded.original)),
        originalOffset(expanded, position)
      );
    let hasToplevelAwait = false;
    const diagnostics: CompilerDiagnostic[] = [];
    const syntax = new Set<ts.Diagnostic>(program.getSyntacticDiagnostics(sf));
    for (const d of [...syntax, ...program.getSemanticDiagnostics(sf)]) {
      if (
        (d.code === AWAIT_OUTSIDE_ASYNC || d.code === FOR_AWAIT_AT_TOP) &&
        isTopLevelAwait(sf, d.start ?? 0)
      ) {
        hasToplevelAwait = true;
        continue;
      }
      // JavaScript cells run as Node runs them: a name given a value of
      // another type, or a property added later, is no error there, and what
      // is (a const assigned) is Node's to throw. Syntax errors still stop them.
      if (this.cellPath.endsWith('.js') && !syntax.has(d)) continue;
      const start = Math.min(d.start ?? 0, src.length);
      const at = written(start);
      const end = written(Math.min(start + (d.length ?? 0), src.length));
      diagnostics.push({
        line: at.line,
        character: at.character,
        // Within its line: a span that goes on past it is marked to the line's end.
        length: Math.max(
          1,
          (end.line === at.line
            ? end.character
            : (expanded.original.split('\n')[at.line] ?? '').replace(/\r$/, '').length) -
            at.character
        ),
        message: ts.flattenDiagnosticMessageText(d.messageText, '\n')
      });
    }
    // Its checker has bound the libraries now: library-symbols.ts.
    dropEmptyExportTables(program);
    if (diagnostics.length > 0) return { diagnostics };
    const checker = program.getTypeChecker();
    const declared = new Set<ts.SourceFile | undefined>([
      ...this.chain.map((d) => program.getSourceFile(d.path)),
      ...this.live.cells.map((c) => c.file)
    ]);
    let output = '';
    let declOutput = '';
    let map = '';
    let lastExpressionVar: string | undefined;
    program.emit(
      sf,
      (name, text) => {
        if (name.endsWith('.d.ts')) declOutput = text;
        else if (name.endsWith('.js.map')) map = text;
        else if (!name.endsWith('.map')) output = text;
      },
      undefined,
      // A cell that declares nothing needs no declaration emit: TypeScript's
      // EmitOnly.Js (0), which `emit` passes on though its type says boolean.
      (declares(sf) && !jsOnly ? false : EMIT_ONLY_JS) as boolean,
      {
        before: [lastExpression(sf, (name) => (lastExpressionVar = name), names)],
        after: [earlierNamesOnExports(checker, declared, sf)]
      }
    );
    // TypeScript emits no declarations at all for a file where one cannot be
    // written (a class expression with private members, a type that cannot
    // be named): every name of the cell would be lost to later cells.
    if (!jsOnly && declOutput === '' && names.length > 0 && declares(sf))
      declOutput = Private.declaredAnyway(checker, sf, names);
    return {
      // Cells run in sloppy mode, as Node's REPL runs them; the directive's
      // line stays, empty, so the source map's lines still match.
      output: Private.withoutMapComment(output.replace(/^"use strict";\n/, '\n')),
      sourceMap: map ? Private.cellMappings(map, expanded, sf, written) : undefined,
      declOutput: jsOnly ? undefined : declarationsOnly(declOutput),
      diagnostics,
      lastExpressionVar,
      hasToplevelAwait,
      definesFunctions: definesFunctions(sf)
    };
  }

  /**
   * What a cell declared counts from now on, less the values in `notRun`
   * (names a cell that failed part way never assigned: their older
   * declarations, in older files, stand). Types are kept.
   */
  commit(declarations: string | null, notRun: string[] = []): void {
    // Declarations given back to a new compiler may name what the old one had read in.
    if (declarations !== null) this.readNodeTypes(namedBy(declarations));
    // null: the declarations of the cell converted last, whose answer left them out.
    if (declarations === null)
      declarations = this.left ? this.declarationsLeft() : (this.candidate?.declarations ?? '');
    const candidate = this.candidate;
    this.candidate = null;
    this.left = null;
    const text = notRun.length === 0 ? declarations : dropValues(declarations, new Set(notRun));
    if (text.trim() === '') return;
    // A name set aside that these declare again comes back first, as the older declaration.
    this.mention(text);
    for (const name of topLevelNames(text, DECLARATIONS_FILE)) {
      this.watched.add(flat(name));
      this.mentioned.delete(name);
    }
    if (
      candidate &&
      candidate.program === this.live.program &&
      notRun.length === 0 &&
      declarations === candidate.declarations
    ) {
      this.live.cells.push({ file: candidate.file, declarations: candidate.declarations });
      if (this.live.cells.length >= LIVE_MAX) this.absorb();
      return;
    }
    // A declaration file is older than every live cell: they go first.
    this.absorb();
    this.toFile(text);
  }

  /**
   * The live cells' declarations move to one declaration file, the newest of
   * each name winning; the next cell starts a new checker. Into the base they
   * go with the other files, once `RECENT` are full: folding them into the
   * base each time re-read every declaration of the notebook every 64 cells,
   * 40-100 ms a fold after 5,000 cells.
   */
  private absorb(): void {
    if (this.live.cells.length > 0)
      this.toFile(newestWins(this.live.cells.map((c) => c.declarations)));
    this.live.clear();
  }

  private toFile(text: string): void {
    if (this.filled === RECENT) this.fold();
    const file = this.chain[2 + this.filled++];
    file.text = moduleText(text);
    file.version++;
  }

  complete(src: string, position: number): CompletionAnswer {
    // A module's name being typed: Node's modules it may become are candidates.
    const typing = IN_MODULE_NAME.exec(src.slice(0, position));
    this.readNodeTypes(typing ? completing(typing[1]) : namedBy(src));
    this.mention(src);
    const live = this.probe(src);
    const info = live
      ? Private.internal.Completions.getCompletionsAtPosition(
          this.host,
          live.program,
          () => {},
          live.file,
          position,
          {},
          undefined,
          undefined,
          NEVER_CANCELLED
        )
      : (this.program(src, []), this.service.getCompletionsAtPosition(this.cellPath, position, {}));
    const before = /[\w$]*$/.exec(src.slice(0, position))![0];
    const after = /^[\w$]*/.exec(src.slice(position))![0];
    const entries: { name: string; sortText: string }[] = info?.entries ?? [];
    // Names set aside are in scope wherever the cell's own names are; as
    // TypeScript sorts a notebook's names (its LocationPriority).
    if (info?.isGlobalCompletion && this.aside.size > 0) {
      const offered = new Set(entries.map((e) => e.name));
      for (const name of this.aside.keys())
        if (!offered.has(name)) entries.push({ name, sortText: '11' });
    }
    const rank = (name: string): string | null => {
      if (before === '') return '';
      if (name.startsWith(before)) return '0';
      const lower = name.toLowerCase();
      if (lower.startsWith(before.toLowerCase())) return '1';
      if (lower.includes(before.toLowerCase())) return '2';
      return null;
    };
    const ranked = entries
      .map((e, index) => ({ name: e.name, key: rank(e.name), sort: e.sortText, index }))
      .filter(
        (e): e is { name: string; key: string; sort: string; index: number } => e.key !== null
      )
      .sort(
        (a, b) =>
          (a.key + a.sort).localeCompare(b.key + b.sort) ||
          (before === '' ? a.name.localeCompare(b.name) : a.index - b.index)
      );
    return {
      start: position - before.length,
      end: position + after.length,
      candidates: ranked.map((e) => e.name)
    };
  }

  inspect(src: string, position: number): InspectAnswer {
    this.readNodeTypes(namedBy(src));
    this.mention(src);
    const live = this.probe(src);
    const program = live?.program ?? this.program(src, []);
    const cell = live?.file ?? program.getSourceFile(this.cellPath)!;
    const quickInfo = (at: number) => {
      // The libraries' documentation comments were left out when they were parsed.
      documentFor(program, cell, at);
      return live
        ? Private.internal.getQuickInfoAtPosition(
            cell,
            program.getTypeChecker(),
            NEVER_CANCELLED,
            at
          )
        : this.service.getQuickInfoAtPosition(this.cellPath, at);
    };
    // The language service reports the symbol that ends at the cursor too.
    const info = quickInfo(position) ?? (position > 0 ? quickInfo(position - 1) : undefined);
    if (!info) return { found: false, signature: '', documentation: '' };
    return {
      found: true,
      signature: ts.displayPartsToString(info.displayParts),
      documentation: [
        ts.displayPartsToString(info.documentation),
        ...(info.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)
      ]
        .filter((s) => s.length > 0)
        .join('\n')
    };
  }

  /**
   * `src` as completion and inspect see it, when it would be a live cell: a
   * file of its own on the live cells' checker, which knows the libraries and
   * every earlier cell already. Null when it would not (it imports, say):
   * the language service's program then, new for each new text, its checker
   * too (10 ms a request, where each keystroke's text is new). A checker
   * that has checked its share is let go as a cell's check lets it go.
   */
  private probe(src: string): { program: ts.Program; file: ts.SourceFile } | null {
    if (!this.live.accepts(src)) return null;
    if (this.live.spent) {
      // A cell answered and not yet committed was checked by this checker, and joins its cells.
      if (this.candidate || this.left) return null;
      this.absorb();
    }
    const program = this.liveProgram();
    return { program, file: this.live.parse(withExports(src, []), this.outerScope(program)) };
  }

  /**
   * Node's `modules` read in, those not read in yet: the live cells fold
   * (their checker knew none of them) and the next program has them.
   * Whether there were any.
   */
  private readNodeTypes(modules: Iterable<string>): boolean {
    if (!this.nodeTypes?.readIn(modules)) return false;
    this.absorb();
    return true;
  }

  /** The program whose checker checks the live cells: the language service's, once made. */
  private liveProgram(): ts.Program {
    return this.live.program ?? (this.live.program = this.linked(this.serviceProgram()));
  }

  /**
   * The language service's program, with the modules of @types/node its
   * files need (a package's types, the notebook's modules, declarations
   * given back may name any).
   */
  private serviceProgram(): ts.Program {
    const program = this.service.getProgram()!;
    if (!this.nodeTypes || !this.readNodeTypes(this.nodeTypes.importedBy(program))) return program;
    return this.service.getProgram()!;
  }

  /** The modules of @types/node read in since the converter started, null where it took all (for tests). */
  get nodeModulesRead(): string[] | null {
    return this.nodeTypes?.modulesRead ?? null;
  }

  /** Variables and parameters of the libraries still holding an empty export table (for tests). */
  get emptyLibraryExportTables(): number {
    return emptyExportTables(this.liveProgram());
  }

  /** How many cells' declarations are not folded into the base yet (for tests). */
  get unfolded(): number {
    return this.filled;
  }

  /** How many statements the base file folds its names into, less its `export {}` (for tests). */
  get foldedStatements(): number {
    const sf = ts.createSourceFile(this.base.path, this.base.text, ts.ScriptTarget.Latest);
    return sf.statements.filter((st) => !ts.isExportDeclaration(st)).length;
  }

  /** How many committed cells are live, checked by the program's own checker (for tests). */
  get liveCells(): number {
    return this.live.cells.length;
  }

  /** The program with `src` as the cell, every name it declares exported. */
  private program(src: string, names: string[]): ts.Program {
    const text = withExports(src, names);
    if (text !== this.cell.text) this.cell = { version: this.cell.version + 1, text };
    const program = this.linked(this.serviceProgram());
    (program.getSourceFile(this.cellPath) as { parent?: ts.Node }).parent =
      this.outerScope(program);
    return program;
  }

  /** A new cell's outer scope: the newest live cell, else the newest declaration file. */
  private outerScope(program: ts.Program): ts.Node | undefined {
    return this.live.newest ?? program.getSourceFile(this.chain[this.chain.length - 1].path);
  }

  /** `program` with its declaration files chained, newest first: each file's outer scope is the next older one. */
  private linked(program: ts.Program): ts.Program {
    let outer: ts.Node | undefined;
    for (const d of this.chain) {
      const sf = program.getSourceFile(d.path)!;
      (sf as { parent?: ts.Node }).parent = outer;
      outer = sf;
    }
    return program;
  }

  /**
   * What `text` (a cell, text being typed, declarations) mentions: the
   * names parsed in the files count as used, and names set aside come back,
   * with those they name, in a declaration file newer than every other (each
   * is its name's newest declaration), used. Whether any came back.
   */
  private mention(text: string): boolean {
    if (this.watched.size === 0 && this.aside.size === 0) return false;
    const back = takeNamed([text], this.aside, (word) => {
      if (this.watched.has(word)) this.mentioned.add(word);
    });
    if (back.length === 0) return false;
    for (const d of back) {
      this.watched.add(d.name);
      this.mentioned.add(d.name);
    }
    this.absorb();
    this.toFile(joined(back));
    return true;
  }

  /** How many names are set aside, as text, out of the program (for tests). */
  get namesAside(): number {
    return this.aside.size;
  }

  /**
   * Every per-cell file folds into the base, then `newer` (declarations of
   * cells newer than them all), the newest declaration of a name winning.
   */
  private fold(newer: string[] = []): void {
    const cells = this.chain.slice(2, 2 + this.filled);
    const [fromBase, ...fromNewer] = newestPieces([
      this.base.text,
      ...cells.map((c) => c.text),
      ...newer
    ]);
    // Variables no text mentioned since they were declared (those of the
    // base: since the last fold) go aside, but those that what stays names
    // (`typeof x` in a type). A notebook's newest names waited a second
    // fold, 2,048 cells, and a long notebook held up to twice as many parsed
    // (V8's old space 1.3 MB larger after 10,000 one-name cells).
    const pieces = [...fromBase, ...fromNewer.flat()];
    const aside = new Map<string, Declarator>();
    for (const p of pieces)
      if (typeof p !== 'string' && !this.mentioned.has(p.name)) aside.set(p.name, p);
    const named = pieces.flatMap((p) =>
      typeof p === 'string' ? [p] : aside.has(p.name) ? [] : [p.text]
    );
    takeNamed(named, aside);
    const kept = pieces.filter((p) => typeof p === 'string' || !aside.has(p.name));
    // Flat copies: a slice of the text they were parsed from would keep all of it.
    for (const d of aside.values())
      this.aside.set(flat(d.name), { head: d.head, name: flat(d.name), text: flat(d.text) });
    this.watched = new Set(kept.flatMap((p) => (typeof p === 'string' ? [] : [flat(p.name)])));
    this.mentioned.clear();
    this.base.text = moduleText(joined(kept));
    this.base.version++;
    for (const c of cells) {
      c.text = 'export {};\n';
      c.version++;
    }
    this.filled = 0;
  }

  private declarationFile(name: string, text: string): DeclarationFile {
    return { path: join(this.cwd, `${this.prefix}_${name}__.d.ts`), version: 1, text };
  }

  private read(path: string): ts.IScriptSnapshot | undefined {
    if (!settled(path)) {
      const text = ts.sys.readFile(path);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    }
    if (!disk.has(path)) {
      const text = ts.sys.readFile(path);
      disk.set(
        path,
        text === undefined ? undefined : ts.ScriptSnapshot.fromString(withoutDocs(path, text))
      );
    }
    return disk.get(path);
  }
}

/** Module resolution for the language service: TypeScript's own, with `libraryResolutions` kept. */
function resolveModules(
  host: ts.ModuleResolutionHost,
  unresolved: UnresolvedImports,
  literals: readonly ts.StringLiteralLike[],
  containingFile: string,
  redirected: ts.ResolvedProjectReference | undefined,
  options: ts.CompilerOptions,
  file: ts.SourceFile
): ts.ResolvedModuleWithFailedLookupLocations[] {
  const library = settled(containingFile);
  return literals.map((literal) => {
    const mode = ts.getModeForUsageLocation(file, literal);
    const key = library ? `${dirname(containingFile)}\0${literal.text}\0${mode ?? ''}` : null;
    const known = key === null ? undefined : libraryResolutions.get(key);
    if (known) {
      // Found by another converter of the process since this one failed: off its record too.
      unresolved.record(containingFile, literal.text, true);
      return known;
    }
    const resolved = ts.resolveModuleName(
      literal.text,
      containingFile,
      options,
      host,
      programResolutions(host, options),
      redirected,
      mode
    );
    if (key !== null && (resolved.resolvedModule || isBuiltin(literal.text)))
      libraryResolutions.set(key, resolved);
    unresolved.record(
      containingFile,
      literal.text,
      !!resolved.resolvedModule || isBuiltin(literal.text)
    );
    return resolved;
  });
}

let resolutions: { options: ts.CompilerOptions; cache: ts.ModuleResolutionCache } | null = null;

/**
 * A cache of resolutions for what is being done now, as TypeScript keeps one
 * for each program it makes: dropped once this turn's work is done, so a
 * package installed between cells is found by the next one.
 */
function programResolutions(
  host: ts.ModuleResolutionHost,
  options: ts.CompilerOptions
): ts.ModuleResolutionCache {
  if (resolutions?.options !== options) {
    const folder = host.getCurrentDirectory?.() ?? ts.sys.getCurrentDirectory();
    const made = { options, cache: ts.createModuleResolutionCache(folder, (f) => f, options) };
    resolutions = made;
    queueMicrotask(() => {
      if (resolutions === made) resolutions = null;
    });
  }
  return resolutions.cache;
}

/** TypeScript's own libraries and installed packages: read once. */
function settled(path: string): boolean {
  return path.includes('/node_modules/') || path.startsWith(LIB_FOLDER);
}

const LIB_FOLDER = dirname(ts.getDefaultLibFilePath({}));
/** The node_modules/@types that holds warren's own @types/node, beside TypeScript. */
const OWN_TYPES = join(LIB_FOLDER, '..', '..', '..', '@types');

/**
 * @types roots from the folder up; when none holds @types/node, warren's own
 * (a kernel started in a folder without node_modules still knows Node).
 */
function typeRoots(cwd: string): string[] {
  const roots = ts.getDefaultTypeRoots?.(cwd, { directoryExists: ts.sys.directoryExists }) ?? [];
  if (roots.some((r) => ts.sys.fileExists(join(r, 'node', 'package.json')))) return roots;
  return ts.sys.fileExists(join(OWN_TYPES, 'node', 'package.json')) ? [...roots, OWN_TYPES] : roots;
}

/** A cell's source as a module exporting every name it declares (so its declarations are emitted). */
function withExports(src: string, names: string[]): string {
  return src + (names.length > 0 ? `\nexport { ${names.join(', ')} };\n` : '\nexport {};\n');
}

/**
 * The declarators of `from` that `texts` name, and those their own texts
 * name in turn, taken out of it; `read` sees every word read.
 */
function takeNamed(
  texts: string[],
  from: Map<string, Declarator>,
  read?: (word: string) => void
): Declarator[] {
  const taken: Declarator[] = [];
  while (texts.length > 0)
    for (const word of texts.pop()!.match(WORDS) ?? []) {
      read?.(word);
      const d = from.get(word);
      if (!d) continue;
      from.delete(word);
      taken.push(d);
      texts.push(d.text);
    }
  return taken;
}

/** `s` in a string of its own, not a slice of a longer one. */
function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** A declaration text as a module: its names stay in the chain, never global. */
function moduleText(text: string): string {
  return text.endsWith('\n') ? `${text}export {};\n` : `${text}\nexport {};\n`;
}

/** What a language service's answer takes, here never cancelled. */
const NEVER_CANCELLED: ts.CancellationToken = {
  isCancellationRequested: () => false,
  throwIfCancellationRequested: () => {}
};

/**
 * The language service's own completion and quick info, which take a program
 * and a source file (the service's methods take a file of their program).
 */
interface LanguageServiceInternals {
  Completions: {
    getCompletionsAtPosition(
      host: ts.LanguageServiceHost,
      program: ts.Program,
      log: (message: string) => void,
      file: ts.SourceFile,
      position: number,
      preferences: ts.UserPreferences,
      triggerCharacter: ts.CompletionsTriggerCharacter | undefined,
      triggerKind: ts.CompletionTriggerKind | undefined,
      cancellationToken: ts.CancellationToken
    ): ts.CompletionInfo | undefined;
  };
  getQuickInfoAtPosition(
    file: ts.SourceFile,
    checker: ts.TypeChecker,
    cancellationToken: ts.CancellationToken,
    position: number
  ): ts.QuickInfo | undefined;
}

namespace Private {
  /** TypeScript's internal pieces the source maps use, which its public types leave out. */
  interface Internals {
    computeLineStarts(text: string): number[];
    computeLineAndCharacterOfPosition(lineStarts: number[], position: number): ts.LineAndCharacter;
    getPositionOfLineAndCharacter(
      file: ts.SourceFile,
      line: number,
      character: number,
      allowEdits: boolean
    ): number;
    decodeMappings(mappings: string): Iterable<{
      generatedLine: number;
      generatedCharacter: number;
      sourceLine?: number;
      sourceCharacter?: number;
    }>;
    createSourceMapGenerator(
      host: { getCanonicalFileName(f: string): string; getCurrentDirectory(): string },
      file: string,
      sourceRoot: string,
      sourcesDirectoryPath: string,
      options: object
    ): {
      addSource(name: string): number;
      addMapping(
        generatedLine: number,
        generatedCharacter: number,
        sourceIndex: number,
        sourceLine: number,
        sourceCharacter: number
      ): void;
      toString(): string;
    };
  }
  export const internal = ts as unknown as Internals & LanguageServiceInternals;

  /** Emitted JavaScript less its `//# sourceMappingURL=` line: the kernel is given the map itself. */
  export function withoutMapComment(js: string): string {
    return js.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
  }

  /** The `mappings` of an emitted source map's JSON. */
  export function mappingsOf(map: string): string {
    return (JSON.parse(map) as { mappings: string }).mappings;
  }

  /**
   * The `mappings` of a cell's source map, with positions of the cell as
   * `written` rather than of `sf`, its `expanded` text.
   */
  export function cellMappings(
    map: string,
    expanded: Expanded,
    sf: ts.SourceFile,
    written: (position: number) => ts.LineAndCharacter
  ): string {
    const mappings = mappingsOf(map);
    if (expanded.text === expanded.original) return mappings;
    const generator = internal.createSourceMapGenerator(
      { getCanonicalFileName: (f) => f, getCurrentDirectory: () => '/' },
      'cell.js',
      '',
      '/',
      {}
    );
    generator.addSource('cell.ts');
    for (const m of internal.decodeMappings(mappings)) {
      if (m.sourceLine === undefined || m.sourceCharacter === undefined) continue;
      const at = written(
        internal.getPositionOfLineAndCharacter(sf, m.sourceLine, m.sourceCharacter, true)
      );
      generator.addMapping(m.generatedLine, m.generatedCharacter, 0, at.line, at.character);
    }
    return (JSON.parse(generator.toString()) as { mappings: string }).mappings;
  }

  /**
   * Declarations of a cell's names written from the checker's types, when
   * TypeScript's own declaration emit refused the cell: each value with the
   * type the checker gives it (`any` where that type cannot be written
   * outside the cell), each import as written. Types and interfaces of such
   * a cell are not carried.
   */
  export function declaredAnyway(
    checker: ts.TypeChecker,
    sf: ts.SourceFile,
    names: string[]
  ): string {
    const wanted = new Set(names);
    const lines: string[] = [];
    for (const st of sf.statements) {
      if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) {
        lines.push(st.getText(sf));
        continue;
      }
      const declared: { name: ts.Identifier; keyword: string }[] = [];
      if (ts.isVariableStatement(st)) {
        const keyword = st.declarationList.flags & ts.NodeFlags.Const ? 'const' : 'let';
        const visit = (n: ts.BindingName) => {
          if (ts.isIdentifier(n)) declared.push({ name: n, keyword });
          else for (const e of n.elements) if (!ts.isOmittedExpression(e)) visit(e.name);
        };
        for (const d of st.declarationList.declarations) visit(d.name);
      } else if (
        (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) &&
        st.name
      )
        declared.push({ name: st.name, keyword: 'const' });
      for (const { name, keyword } of declared) {
        if (!wanted.has(name.text)) continue;
        const symbol = checker.getSymbolAtLocation(name);
        let type = 'any';
        if (symbol && !ts.isClassDeclaration(st) && !ts.isEnumDeclaration(st)) {
          const text = checker.typeToString(
            checker.getTypeOfSymbolAtLocation(symbol, name),
            undefined,
            ts.TypeFormatFlags.NoTruncation
          );
          // A type named by the cell itself, or one TypeScript cannot write, stays any.
          if (!/\btypeof\b|\.\.\.|\bimport\(/.test(text)) type = text;
        }
        lines.push(`declare ${keyword} ${name.text}: ${type};`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
