/**
 * The compiler process's startup snapshot: `node --snapshot-blob
 * compiler.blob --build-snapshot snapshot.js`, run by the kernel's build
 * (scripts/compiler-snapshot.js). It loads TypeScript, parses the standard
 * library and @types/node once, and leaves the process waiting to serve: a
 * compiler started from the blob skips all of that. A snapshot's builder may
 * require Node's own modules only, so the compiler's files and TypeScript are
 * loaded here by a small CommonJS loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as v8 from 'node:v8';
import type * as CompilerProcess from './compiler-process';

/** The TypeScript module's main file, an empty folder to parse from, and this file's folder. */
const TYPESCRIPT = process.env.WARREN_SNAPSHOT_TYPESCRIPT ?? '';
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
      return load(existsSync(`${path}.js`) ? `${path}.js` : path);
    }
    // Node's own modules: the only ones a snapshot's builder may require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(id);
  };
  const body = readFileSync(file, 'utf8');
  const run = new Function('module', 'exports', 'require', '__filename', '__dirname', body);
  run(module, module.exports, requireHere, file, folder);
  return module.exports;
}

const compiler = load(join(HERE, 'compiler-process.js')) as typeof CompilerProcess;
// The cell API's declarations, which the build wrote before this runs: the
// converter readied with them serves the first kernel at once.
const globals = join(HERE, '..', '..', 'api', 'cell-globals.d.ts');
compiler.prepare(FOLDER, existsSync(globals) ? readFileSync(globals, 'utf8') : '');
v8.startupSnapshot.setDeserializeMainFunction(() => compiler.serve());
