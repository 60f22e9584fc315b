#!/usr/bin/env node
/*
 * Builds the TypeScript compiler's startup snapshot (lib/kernel/engines/
 * typescript/compiler.blob): TypeScript loaded, its standard library and
 * @types/node parsed. A kernel starts its compiler from it in a fraction of a
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
        WARREN_SNAPSHOT_TYPESCRIPT: require.resolve('@tslab/typescript-for-tslab', { paths: [ROOT] }),
        WARREN_SNAPSHOT_FOLDER: folder,
        WARREN_SNAPSHOT_DIR: DIR
      }
    }
  );
  if (r.status !== 0) {
    fs.rmSync(`${BLOB}.tmp`, { force: true });
    fs.rmSync(BLOB, { force: true });
    console.warn(
      `warren: no compiler snapshot (the first typed cell will wait for TypeScript to load): ${(r.stderr || r.error || '').toString().trim().split('\n').slice(-3).join(' ')}`
    );
  } else {
    fs.renameSync(`${BLOB}.tmp`, BLOB);
  }
} finally {
  fs.rmSync(folder, { recursive: true, force: true });
}
