/**
 * Node's types as a notebook starts with them: @types/node less the modules
 * nothing else of it reaches, read in when something a notebook checks needs one.
 *
 * The compiler holds every declaration file it parsed for as long as it
 * lives, and @types/node is most of them: 31 MB of its heap, where the
 * standard library takes 8. Eighteen of its modules (`inspector`, `http2`,
 * `test`, `zlib`, …, 0.6 of its 2.2 MB) are reached from no global and from
 * no module that stays, but through `typeof import(…)` in the map behind
 * `process.getBuiltinModule`: without them the compiler holds about 10 MB
 * less and starts from a smaller snapshot, and no type of what stays changes
 * (the spec checks this of the @types/node the project pins; a notebook
 * folder's own @types/node is taken whole). All of them are read in, for
 * good, once a cell, a completion's text or declarations given back after a
 * restart import, require or augment one, or call `getBuiltinModule`, or
 * once a file the program reads for a cell (a package's types, the
 * notebook's own modules) imports one.
 */
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';

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

/** Text that may need the deferred modules: an import, a require, an augmentation, `getBuiltinModule`. */
const MAY_NAME_MODULES = /\bimport\b|\brequire\b|\bmodule\b|getBuiltinModule/;

/**
 * Whether `text` (a cell, a completion's text, declarations given back)
 * imports, requires or augments a deferred module, or calls `getBuiltinModule`.
 * What else it imports is read by the program, which `importsDeferred` looks at.
 */
export function needsAllNodeTypes(text: string): boolean {
  if (!MAY_NAME_MODULES.test(text)) return false;
  if (text.includes('getBuiltinModule')) return true;
  const found = ts.preProcessFile(text, true, true);
  return (
    found.importedFiles.some((f) => isDeferred(f.fileName)) ||
    (found.ambientExternalModules ?? []).some(isDeferred)
  );
}

/**
 * Whether a file of `program` other than @types/node's own (a package's
 * types, the notebook's modules, a cell's) imports or augments a deferred module.
 */
export function importsDeferred(program: ts.Program, core: CoreIndex): boolean {
  for (const file of program.getSourceFiles()) {
    if (file.fileName.startsWith(core.root) || program.isSourceFileDefaultLibrary(file)) continue;
    const { imports = [], moduleAugmentations = [] } = file as Private.WithImports;
    if (
      imports.some((i) => isDeferred(i.text)) ||
      moduleAugmentations.some((m) => isDeferred(m.text))
    )
      return true;
  }
  return false;
}

/** A module of Node's that the core index leaves out (`zlib`, `node:inspector/promises`). */
export function isDeferred(name: string): boolean {
  if (!isBuiltin(name)) return false;
  const bare = name.replace(/^node:/, '');
  return DEFERRED.has(bare) || DEFERRED.has(bare.split('/')[0]);
}

/** The index of @types/node a notebook starts with, in place of the package's own. */
export interface CoreIndex {
  /** Beside the package's index (its references are relative to it); no file on disk. */
  path: string;
  /** The package's index without the references to deferred modules. */
  text: string;
  /** The package's folder, ending in a separator. */
  root: string;
}

/**
 * The core index for a program with `options` in `cwd`, or null where
 * `node` resolves to another @types/node than `own` (the notebook folder's
 * own: its modules may depend on each other otherwise) or to nothing.
 */
export function coreIndex(options: ts.CompilerOptions, cwd: string, own: string): CoreIndex | null {
  const found = ts.resolveTypeReferenceDirective(
    'node',
    join(cwd, '__warren_types__.ts'),
    options,
    ts.sys
  ).resolvedTypeReferenceDirective?.resolvedFileName;
  const packageRoot = resolve(own, 'node');
  const root = packageRoot + sep;
  if (!found || !resolve(found).startsWith(root)) return null;
  const text = ts.sys.readFile(found);
  if (text === undefined) return null;
  const folder = dirname(found);
  const core = text.replace(/^\/\/\/\s*<reference\s+path="([^"]+)"\s*\/>[^\n]*$/gm, (line, to) =>
    DEFERRED.has(Private.moduleOf(packageRoot, resolve(folder, to as string))) ? '' : line
  );
  return { path: join(folder, 'index.warren-core.d.ts'), text: core, root };
}

/**
 * A language service host's type reference resolution, with `node` resolved
 * to `core()` while it gives a path (undici-types, which @types/node reads,
 * names `node` itself), TypeScript's own resolution otherwise.
 */
export function resolveTypeReferences(
  core: () => string | undefined,
  references: readonly (ts.FileReference | string)[],
  containingFile: string,
  redirected: ts.ResolvedProjectReference | undefined,
  options: ts.CompilerOptions
): ts.ResolvedTypeReferenceDirectiveWithFailedLookupLocations[] {
  return references.map((reference) => {
    const name = typeof reference === 'string' ? reference : reference.fileName.toLowerCase();
    const path = name === 'node' ? core() : undefined;
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

  /** `file`'s module within the package: `http2` for `…/node/http2.d.ts` or `…/node/ts5.6/http2.d.ts`. */
  export function moduleOf(packageRoot: string, file: string): string {
    return relative(packageRoot, file)
      .split(sep)
      .join('/')
      .replace(/\.d\.ts$/, '')
      .replace(/^ts[\d.]+\//, '');
  }
}
