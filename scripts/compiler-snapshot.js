#!/usr/bin/env node
/*
 * Builds the TypeScript compiler's startup snapshot (lib/kernel/engines/
 * typescript/compiler.blob): TypeScript loaded, its standard library and
 * @types/node parsed (less the modules node-types.ts leaves out until a cell
 * names one). A kernel starts its compiler from it in a fraction of a
 * second. The blob fits only the Node binary that built it; a kernel run by
 * another Node (or one without the blob) starts the compiler as a plain
 * script instead, taking longer to its first typed cell.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'lib', 'kernel', 'engines', 'typescript');
const BLOB = path.join(DIR, 'compiler.blob');
const EARLY = path.join(DIR, 'compiler.early');
const TYPESCRIPT = require.resolve('@tslab/typescript-for-tslab', { paths: [ROOT] });
/** TypeScript's code without comments and with short local names (8.1 MB -> 4.1). */
const MINIFIED = path.join(DIR, 'typescript.min.js');

/** What the minified file was made from: rebuilt when any of it changes. */
const STAMP = `${MINIFIED}.json`;

/** terser's options: comments out, local names short, names of functions and classes kept. */
const TERSER_OPTIONS = {
  compress: false,
  mangle: { keep_fnames: true, keep_classnames: true },
  format: { comments: false, ascii_only: true }
};

const mtime = (file) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
};

const readOr = (file, fallback) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
};

/**
 * TypeScript's code as the snapshot holds it, minified: V8 keeps a script's
 * source in the heap for as long as it lives (8 MB of TypeScript's in every
 * compiler); minified, the compiler holds 5 MB less and its blob is 5 MB
 * smaller. Names of functions and classes are kept (they show in stack
 * traces). Made once per TypeScript (about 10 s); null, and the source as it
 * is, where terser cannot.
 */
async function minified() {
  const terser = path.join(ROOT, 'node_modules', 'terser', 'package.json');
  const made = JSON.stringify({
    typescript: TYPESCRIPT,
    typescriptTime: mtime(TYPESCRIPT),
    terser: /"version"\s*:\s*"([^"]+)"/.exec(readOr(terser, ''))?.[1] ?? null,
    options: TERSER_OPTIONS
  });
  if (mtime(MINIFIED) > 0 && readOr(STAMP, '') === made) return MINIFIED;
  try {
    const { minify } = require('terser');
    const { code } = await minify(fs.readFileSync(TYPESCRIPT, 'utf8'), TERSER_OPTIONS);
    fs.writeFileSync(`${MINIFIED}.tmp`, code);
    fs.renameSync(`${MINIFIED}.tmp`, MINIFIED);
    // Without its stamp, the file is only made again next time.
    fs.writeFile(STAMP, made, () => undefined);
    return MINIFIED;
  } catch (error) {
    console.warn(
      `warren: TypeScript not minified for the compiler's snapshot (it holds 5 MB more): ${error instanceof Error ? error.message : error}`
    );
    return null;
  }
}

/** Builds the blob, loading TypeScript's `code` (its source's path when null). */
function build(code) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-snapshot-'));
  // The builder runs its entry as a bare script: no `exports` for the compiled module.
  const entry = path.join(folder, 'entry.js');
  fs.writeFileSync(
    entry,
    `(function (exports) {\n${fs.readFileSync(path.join(DIR, 'snapshot.js'), 'utf8')}\n})({});\n`
  );
  try {
    const r = spawnSync(
      process.execPath,
      [
        // V8 loads a blob only under the flags it was built with: the compiler's own.
        ...require(path.join(DIR, 'compiler-socket.js')).COMPILER_FLAGS,
        '--snapshot-blob',
        `${BLOB}.tmp`,
        '--build-snapshot',
        entry
      ],
      {
        cwd: folder,
        encoding: 'utf8',
        env: {
          ...process.env,
          WARREN_SNAPSHOT_TYPESCRIPT: TYPESCRIPT,
          WARREN_SNAPSHOT_TYPESCRIPT_CODE: code ?? TYPESCRIPT,
          WARREN_SNAPSHOT_FOLDER: folder,
          WARREN_SNAPSHOT_DIR: DIR
        }
      }
    );
    if (r.status !== 0) {
      fs.rmSync(`${BLOB}.tmp`, { force: true });
      fs.rmSync(BLOB, { force: true });
      fs.rmSync(EARLY, { force: true });
      console.warn(
        `warren: no compiler snapshot (the first typed cell will wait for TypeScript to load): ${(r.stderr || r.error || '').toString().trim().split('\n').slice(-3).join(' ')}`
      );
    } else {
      fs.renameSync(`${BLOB}.tmp`, BLOB);
      // The supervisor starts the compiler with these before its kernel
      // (kernel/native/supervisor.c), one argument a line.
      const flags = require(path.join(DIR, 'compiler-socket.js')).COMPILER_FLAGS;
      fs.writeFileSync(EARLY, [...flags, '--snapshot-blob', BLOB, ''].join('\n'));
    }
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

minified().then(build);
