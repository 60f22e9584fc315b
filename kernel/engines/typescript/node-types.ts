/**
 * Node's types as a notebook starts with them: @types/node less the modules
 * nothing else of it reaches, each read in when something a notebook checks
 * needs it.
 *
 * The compiler holds every declaration file it parsed for as long as it
 * lives, and @types/node is most of them: 31 MB of its heap, where the
 * standard library takes 8. Eighteen of its modules (`inspector`, `http2`,
 * `test`, `zlib`, …, 0.6 of its 2.2 MB) are reached from no global and from
 * no module that stays, but through `typeof import(…)` in the map behind
 * `process.getBuiltinModule`: without them the compiler holds about 10 MB
 * less and starts from a smaller snapshot, and no type of what stays changes
 * (the spec checks this of the @types/node the project pins; a notebook
 * folder's own @types/node is taken whole). A module left out is read in,
 * for good, with those of the others it imports, once a cell, a completion's
 * text or declarations given back after a restart import, require or augment
 * it, or once a file the program reads for a cell (a package's types, the
 * notebook's own modules) does; all of them for `getBuiltinModule`.
 */
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts = require('@tslab/typescript-for-tslab');

/** Node's modules whose declarations a notebook reads in only when it names one. */
export const DEFERRED = new Set([
  'assert',
  'assert/strict',
  'cluster',
  'constants',
  'diagnostics_channel',
  'domain',
  'http2',
  'https',
  'inspector',
  'punycode',
  'repl',
  'sea',
  'string_decoder',
  'test',
  'trace_events',
  'v8',
  'wasi',
  'zlib'
]);

/** Text that may need a deferred module: an import, a require, an augmentation, `getBuiltinModule`. */
const MAY_NAME_MODULES = /\bimport\b|\brequire\b|\bmodule\b|getBuiltinModule/;

/** A reference directive of the package's index, and where it points. */
const REFERENCE = /^\/\/\/\s*<reference\s+path="([^"]+)"\s*\/>[^\n]*$/gm;

/**
 * The deferred module that declares `name`, or null: `inspector` for
 * `node:inspector/promises`, `assert/strict` for itself, null for `fs` or a package.
 */
export function deferredModule(name: string): string | null {
  if (!isBuiltin(name)) return null;
  const bare = name.replace(/^node:/, '');
  if (DEFERRED.has(bare)) return bare;
  const first = bare.split('/')[0];
  return DEFERRED.has(first) ? first : null;
}

/**
 * The deferred modules `text` (a cell, a completion's text, declarations
 * given back) imports, requires or augments; all of them where it calls
 * `getBuiltinModule`. What else it imports is read by the program, which
 * `NodeTypes.importedBy` looks at.
 */
export function namedBy(text: string): string[] {
  if (!MAY_NAME_MODULES.test(text)) return [];
  if (text.includes('getBuiltinModule')) return [...DEFERRED];
  const found = ts.preProcessFile(text, true, true);
  return Private.deferredOf([
    ...found.importedFiles.map((f) => f.fileName),
    ...(found.ambientExternalModules ?? [])
  ]);
}

/**
 * The deferred modules a module name being typed may become: `zlib` for
 * `z`, every one for `node:` or nothing yet, none for `./` or `lodash`.
 */
export function completing(partial: string): string[] {
  if ('node:'.startsWith(partial)) return [...DEFERRED];
  const bare = partial.replace(/^node:/, '');
  return [...DEFERRED].filter((m) => m.startsWith(bare));
}

/**
 * @types/node as one notebook's program reads it: an index beside the
 * package's own (its references are relative to it), a root file of the
 * program that no disk holds, referring to every module but the deferred
 * ones not read in yet. Its name changes with what it refers to, so a
 * program that reads more is a program of its own.
 */
export class NodeTypes {
  /** The modules read in so far. */
  private readonly read = new Set<string>();
  /** Each deferred module's file. */
  private readonly files = new Map<string, string>();
  /** The index as it stands. */
  private current = { path: '', text: '' };

  private constructor(
    /** The package's folder, ending in a separator. */
    readonly root: string,
    /** The package's own index. */
    private readonly index: string,
    private readonly indexText: string
  ) {
    for (const [, to] of indexText.matchAll(REFERENCE)) {
      const file = resolve(dirname(index), to);
      const module = Private.moduleOf(root, file);
      if (DEFERRED.has(module)) this.files.set(module, file);
    }
    this.write();
  }

  /**
   * The types a program with `options` in `cwd` starts with, or null where
   * `node` resolves to another @types/node than the one in `own` (a notebook
   * folder's own, of a version whose modules may reach each other
   * otherwise) or to nothing.
   */
  static for(options: ts.CompilerOptions, cwd: string, own: string): NodeTypes | null {
    const found = ts.resolveTypeReferenceDirective(
      'node',
      join(cwd, '__warren_types__.ts'),
      { ...options, types: ['node'] },
      ts.sys
    ).resolvedTypeReferenceDirective?.resolvedFileName;
    const root = resolve(own, 'node') + sep;
    if (!found || !resolve(found).startsWith(root)) return null;
    const text = ts.sys.readFile(found);
    return text === undefined ? null : new NodeTypes(root, resolve(found), text);
  }

  /** The index's path, named for what it refers to beyond the core. */
  get path(): string {
    return this.current.path;
  }

  /** The index's text: the package's, less the references to modules not read in. */
  get text(): string {
    return this.current.text;
  }

  /** The deferred modules read in so far, in order (for tests). */
  get modulesRead(): string[] {
    return [...this.read].sort();
  }

  /**
   * Reads `modules` in, with the deferred modules each imports in turn;
   * whether that is any not read in before.
   */
  readIn(modules: Iterable<string>): boolean {
    const size = this.read.size;
    const todo = [...modules];
    for (let module = todo.pop(); module !== undefined; module = todo.pop()) {
      const file = this.files.get(module);
      if (!file || this.read.has(module)) continue;
      this.read.add(module);
      const text = ts.sys.readFile(file) ?? '';
      const imports = ts.preProcessFile(text, true, true).importedFiles;
      todo.push(...Private.deferredOf(imports.map((f) => f.fileName)));
    }
    if (this.read.size === size) return false;
    this.write();
    return true;
  }

  private write(): void {
    const folder = dirname(this.index);
    const text = this.indexText.replace(REFERENCE, (line, to: string) => {
      const module = Private.moduleOf(this.root, resolve(folder, to));
      return DEFERRED.has(module) && !this.read.has(module) ? '' : line;
    });
    const more =
      this.read.size === 0
        ? ''
        : this.read.size === this.files.size
          ? '+all'
          : `+${this.modulesRead.join('+').replace(/\//g, '-')}`;
    this.current = { path: join(folder, `index.warren${more}.d.ts`), text };
  }

  /**
   * The deferred modules a file of `program` other than @types/node's own
   * (a package's types, the notebook's modules, a cell) imports or augments.
   */
  importedBy(program: ts.Program): string[] {
    const names: string[] = [];
    for (const file of program.getSourceFiles()) {
      if (file.fileName.startsWith(this.root) || program.isSourceFileDefaultLibrary(file)) continue;
      const { imports = [], moduleAugmentations = [] } = file as Private.WithImports;
      for (const name of [...imports, ...moduleAugmentations]) names.push(name.text);
    }
    return Private.deferredOf(names).filter((m) => !this.read.has(m));
  }
}

/**
 * A language service host's type reference resolution, with `node` resolved
 * to `index()` while it gives a path (undici-types, which @types/node reads,
 * names `node` itself), TypeScript's own resolution otherwise.
 */
export function resolveTypeReferences(
  index: () => string | undefined,
  references: readonly (ts.FileReference | string)[],
  containingFile: string,
  redirected: ts.ResolvedProjectReference | undefined,
  options: ts.CompilerOptions
): ts.ResolvedTypeReferenceDirectiveWithFailedLookupLocations[] {
  return references.map((reference) => {
    const name = typeof reference === 'string' ? reference : reference.fileName.toLowerCase();
    const path = name === 'node' ? index() : undefined;
    if (path !== undefined)
      return {
        resolvedTypeReferenceDirective: {
          primary: true,
          resolvedFileName: path,
          isExternalLibraryImport: true
        }
      };
    return ts.resolveTypeReferenceDirective(name, containingFile, options, ts.sys, redirected);
  });
}

namespace Private {
  /** What a program records of a file's module names, which TypeScript's public types leave out. */
  export interface WithImports {
    imports?: readonly ts.StringLiteralLike[];
    moduleAugmentations?: readonly (ts.StringLiteral | ts.Identifier)[];
  }

  /** The deferred modules among `names`, once each. */
  export function deferredOf(names: string[]): string[] {
    const out = new Set<string>();
    for (const name of names) {
      const module = deferredModule(name);
      if (module) out.add(module);
    }
    return [...out];
  }

  /** `file`'s module within the package: `http2` for `…/node/http2.d.ts` or `…/node/ts5.6/http2.d.ts`. */
  export function moduleOf(root: string, file: string): string {
    return relative(root, file)
      .split(sep)
      .join('/')
      .replace(/\.d\.ts$/, '')
      .replace(/^ts[\d.]+\//, '');
  }
}
