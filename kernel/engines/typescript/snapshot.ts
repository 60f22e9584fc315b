/**
 * The compiler process's startup snapshot: `node --snapshot-blob
 * compiler.blob --build-snapshot snapshot.js`, run by the kernel's build
 * (scripts/compiler-snapshot.js). It loads TypeScript, parses the standard
 * library and @types/node (as node-types.ts starts a notebook with it) once,
 * and leaves the process waiting to serve: a compiler started from the blob
 * skips all of that. A snapshot's builder may
 * require Node's own modules only, so the compiler's files and TypeScript are
 * loaded here by a small CommonJS loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v8 from 'node:v8';
import type * as CompilerProcess from './compiler-process';

/**
 * The TypeScript module's main file and the code to run as it (minified by
 * scripts/compiler-snapshot.js: TypeScript still finds its standard library
 * beside its own path), an empty folder to parse from, and this file's folder.
 */
const TYPESCRIPT = process.env.WARREN_SNAPSHOT_TYPESCRIPT ?? '';
const TYPESCRIPT_CODE = process.env.WARREN_SNAPSHOT_TYPESCRIPT_CODE || TYPESCRIPT;
const FOLDER = process.env.WARREN_SNAPSHOT_FOLDER ?? '';
const HERE = process.env.WARREN_SNAPSHOT_DIR ?? '';

const loaded = new Map<string, { exports: unknown }>();

function load(file: string): unknown {
  const known = loaded.get(file);
  if (known) return known.exports;
  const module = { exports: {} as unknown };
  loaded.set(file, module);
  const folder = dirname(file);
  const requireHere = (id: string): unknown => {
    if (id === '@tslab/typescript-for-tslab') return load(TYPESCRIPT);
    if (id.startsWith('.')) {
      const path = join(folder, id);
      if (existsSync(`${path}.js`)) return load(`${path}.js`);
      return load(existsSync(join(path, 'index.js')) ? join(path, 'index.js') : path);
    }
    // Node's own modules: the only ones a snapshot's builder may require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  };
  const body = oneByte(readFileSync(file === TYPESCRIPT ? TYPESCRIPT_CODE : file, 'utf8'));
  const run = new Function('module', 'exports', 'require', '__filename', '__dirname', body);
  run(module, module.exports, requireHere, file, folder);
  return module.exports;
}

/**
 * JavaScript source with every character above U+00FF written as its `\u`
 * escape. V8 keeps a script's source in the heap, two bytes a character if
 * any one character needs more than one: TypeScript's 8.1 million took 16 MB
 * of the snapshot for five typographic quotes in its comments, and every
 * compiler start read and paged in the extra 8 MB. An escape means the same
 * character in a comment, a string, a regular expression or a name; only a
 * template's raw text or a backslash before the character would differ, and
 * the snapshot spec checks that TypeScript's source has neither.
 */
export function oneByte(source: string): string {
  const escaped = source.replace(
    /[^\x00-\xff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
  );
  // Pieces of a two-byte string stay two-byte: a new string from Latin-1 bytes is one-byte.
  return Buffer.from(escaped, 'latin1').toString('latin1');
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  const compiler = load(join(HERE, 'compiler-process.js')) as typeof CompilerProcess;
  // The cell API's declarations, which the build wrote before this runs: the
  // converter readied with them serves the first kernel at once.
  const globals = join(HERE, '..', '..', 'api', 'cell-globals.d.ts');
  compiler.prepare(FOLDER, existsSync(globals) ? readFileSync(globals, 'utf8') : '');
  v8.startupSnapshot.setDeserializeMainFunction(() => compiler.serve());
}
