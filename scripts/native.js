#!/usr/bin/env node
/*
 * Compiles kernel/native/pages.c, the addon through which the TypeScript
 * compiler gives back the pages of Node's copy of its startup snapshot, with
 * the system's C compiler and the headers of the Node that runs this
 * (lib/kernel/native/pages.node). Without a C compiler or the headers the
 * kernel still works, holding that copy: this says so and the build goes on.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'kernel', 'native', 'pages.c');
const OUT = path.join(ROOT, 'lib', 'kernel', 'native', 'pages.node');

/** Node's headers: beside its binary (/usr/bin/node, /usr/include/node), or where the build says they are. */
function headers() {
  const places = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    path.join(process.config.variables.node_prefix || '/usr', 'include', 'node')
  ];
  return places.find((p) => fs.existsSync(path.join(p, 'node_api.h'))) || null;
}

const include = headers();
if (process.platform !== 'linux') {
  console.log('native: not Linux; the compiler keeps its snapshot copy');
} else if (!include) {
  console.warn(
    `native: Node's headers (node_api.h) not found; the compiler keeps its snapshot copy`
  );
} else {
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const cc = process.env.CC || 'cc';
  const r = spawnSync(
    cc,
    [
      '-O2',
      '-Wall',
      '-shared',
      '-fPIC',
      '-DNODE_GYP_MODULE_NAME=pages',
      `-I${include}`,
      '-o',
      `${OUT}.tmp`,
      SOURCE
    ],
    { encoding: 'utf8' }
  );
  if (r.status === 0) {
    fs.renameSync(`${OUT}.tmp`, OUT);
  } else {
    fs.rmSync(`${OUT}.tmp`, { force: true });
    console.warn(
      `native: ${cc} could not compile ${SOURCE}; the compiler keeps its snapshot copy\n${r.error ? r.error.message : r.stderr}`
    );
  }
}
