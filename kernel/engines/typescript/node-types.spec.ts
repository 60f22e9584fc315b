import { dirname, join, relative } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { DEFERRED, coreIndex, needsAllNodeTypes } from './node-types';

/** The node_modules/@types that holds the project's @types/node, as the converter finds it. */
const OWN = join(dirname(ts.getDefaultLibFilePath({})), '..', '..', '..', '@types');

describe("Node's types a notebook starts with", () => {
  test('the modules left out are reached from nothing kept but the map behind getBuiltinModule', () => {
    // As the converter's: Classic resolution would find a module left out as a file beside the one importing it.
    const options: ts.CompilerOptions = {
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      types: ['node'],
      typeRoots: [OWN],
      strict: true
    };
    const core = coreIndex(options, __dirname, OWN)!;
    expect(core).not.toBeNull();
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile;
    host.getSourceFile = (path, ...rest) =>
      path === core.path
        ? ts.createSourceFile(path, core.text, ts.ScriptTarget.ES2022)
        : read.call(host, path, ...rest);
    const fileExists = host.fileExists;
    host.fileExists = (path) => path === core.path || fileExists.call(host, path);
    host.resolveTypeReferenceDirectiveReferences = (references, containingFile, _r, o) =>
      references.map((r) => {
        const name = typeof r === 'string' ? r : r.fileName;
        return name === 'node'
          ? { resolvedTypeReferenceDirective: { primary: true, resolvedFileName: core.path } }
          : ts.resolveTypeReferenceDirective(name, containingFile, o, host);
      });
    const program = ts.createProgram([core.path], { ...options, types: [] }, host);
    const files = program.getSourceFiles().filter((f) => f.fileName.startsWith(core.root));
    const modules = files.map((f) => relative(core.root, f.fileName).replace(/^ts[\d.]+\//, ''));
    for (const left of DEFERRED) expect(modules).not.toContain(`${left}.d.ts`);
    expect(modules).toEqual(expect.arrayContaining(['fs.d.ts', 'process.d.ts', 'stream.d.ts']));
    // Every module a file kept names is found, but in the map of `process.getBuiltinModule`.
    const missing = files.flatMap((f) =>
      program
        .getSemanticDiagnostics(f)
        .filter((d) => d.code === 2307)
        .map((d) => {
          const { line } = f.getLineAndCharacterOfPosition(d.start!);
          return `${relative(core.root, f.fileName)}: ${f.text.split('\n')[line].trim()}`;
        })
    );
    expect(missing.length).toBeGreaterThan(DEFERRED.size);
    for (const line of missing)
      expect(line).toMatch(
        /^process\.d\.ts: "(node:)?[\w/]+": typeof import\("(node:)?[\w/]+"\);$/
      );
  });

  test('are all of them once a text imports, requires or augments a module left out, or calls getBuiltinModule', () => {
    for (const text of [
      "import { gzipSync } from 'zlib'",
      "const insp = require('node:inspector/promises')",
      "import assert = require('assert/strict')",
      "declare module 'http2' { interface Http2Session { mine: 1 } }",
      "declare const z: typeof import('node:test')",
      "process.getBuiltinModule('fs')"
    ])
      expect([text, needsAllNodeTypes(text)]).toEqual([text, true]);
    for (const text of [
      "import * as fs from 'fs'\nimport { join } from 'node:path'",
      "const cp = require('child_process'); import('node:stream/web')",
      "import { pack } from './packing'\nimport * as lodash from 'lodash'",
      "import test from 'test'",
      'const imports = 3; // zlib'
    ])
      expect([text, needsAllNodeTypes(text)]).toEqual([text, false]);
  });
});
