#!/usr/bin/env node
/*
 * Compiles warren's two C files with the system's C compiler:
 * - kernel/native/supervisor.c, the process Jupyter launches for a kernel
 *   (lib/kernel/native/warren-supervisor). Without it a kernelspec launches
 *   the kernel unsupervised: no new kernel after V8 dies;
 * - kernel/native/pages.c, the addon through which the TypeScript compiler
 *   gives back the pages of Node's copy of its startup snapshot, and every
 *   process malloc's free memory after a collection and the node binary's
 *   pages it mapped while it started, with the headers of
 *   the Node that runs this (lib/kernel/native/pages.node). Without it the
 *   compiler holds that copy and malloc keeps what it holds.
 * A C compiler is needed anyway (node-pty's install builds with one); where
 * one is missing this says what is lost and the build goes on.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const NATIVE = path.join(ROOT, 'kernel', 'native');
const OUT = path.join(ROOT, 'lib', 'kernel', 'native');

/** Node's headers: beside its binary (/usr/bin/node, /usr/include/node), or where the build says they are. */
function headers() {
  const places = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(process.config.variables.node_prefix || '/usr', 'include', 'node')
  ];
  return places.find((p) => fs.existsSync(path.join(p, 'node_api.h'))) || null;
}

/** Compiles `source` to `out` with `flags`; says what is lost when it cannot. */
function compile(source, out, flags, lost) {
  const cc = process.env.CC || 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', ...flags, '-o', `${out}.tmp`, source], {
    encoding: 'utf8'
  });
  if (r.status === 0) {
    fs.renameSync(`${out}.tmp`, out);
    return;
  }
  fs.rmSync(`${out}.tmp`, { force: true });
  console.warn(
    `native: ${cc} could not compile ${source}; ${lost}\n${r.error ? r.error.message : r.stderr}`
  );
}

if (process.platform !== 'linux') {
  console.log(
    'native: not Linux; kernels run unsupervised and the compiler keeps its snapshot copy'
  );
} else {
  fs.mkdirSync(OUT, { recursive: true });
  compile(
    path.join(NATIVE, 'supervisor.c'),
    path.join(OUT, 'warren-supervisor'),
    [],
    'kernels run unsupervised (no new kernel after V8 dies)'
  );
  const include = headers();
  if (!include) {
    console.warn(
      `native: Node's headers (node_api.h) not found; the compiler keeps its snapshot copy`
    );
  } else {
    compile(
      path.join(NATIVE, 'pages.c'),
      path.join(OUT, 'pages.node'),
      ['-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=pages', `-I${include}`],
      'the compiler keeps its snapshot copy'
    );
  }
}
