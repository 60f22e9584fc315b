import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { DEFERRED, NodeTypes, completing, namedBy, resolveTypeReferences } from './node-types';

/** The node_modules/@types that holds the project's @types/node, as the converter finds it. */
const OWN = join(dirname(ts.getDefaultLibFilePath({})), '..', '..', '..', '@types');
/** As the converter's: Classic resolution would find a module left out as a file beside the one importing it. */
const options: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: [],
  typeRoots: [OWN],
  strict: true
};

const parsed = new Map<string, ts.SourceFile | undefined>();

/** A program of Node's types as `types` has them, as the converter's host gives it. */
function programOf(types: NodeTypes): ts.Program {
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile;
  host.getSourceFile = (path, ...rest) => {
    if (path === types.path) return ts.createSourceFile(path, types.text, ts.ScriptTarget.ES2022);
    if (!parsed.has(path)) parsed.set(path, read.call(host, path, ...rest));
    return parsed.get(path);
  };
  const fileExists = host.fileExists;
  host.fileExists = (path) => path === types.path || fileExists.call(host, path);
  host.resolveTypeReferenceDirectiveReferences = (references, containingFile, redirected, o) =>
    resolveTypeReferences(() => types.path, references, containingFile, redirected, o);
  return ts.createProgram([types.path], options, host);
}

/** Each import of `files` that finds no module, as `file: line`. */
function unfound(program: ts.Program, files: readonly ts.SourceFile[], root: string): string[] {
  return files.flatMap((f) =>
    program
      .getSemanticDiagnostics(f)
      .filter((d) => d.code === 2307)
      .map((d) => {
        const { line } = f.getLineAndCharacterOfPosition(d.start!);
        return `${relative(root, f.fileName)}: ${f.text.split('\n')[line].trim()}`;
      })
  );
}

/** `file`'s module: `http2` for …/node/http2.d.ts. */
const moduleOf = (root: string, file: string) =>
  relative(root, file)
    .replace(/^ts[\d.]+\//, '')
    .replace(/\.d\.ts$/, '');

/** The map behind `process.getBuiltinModule`: the one place what stays names a module left out. */
const BUILTIN_MAP = /^process\.d\.ts: "(node:)?[\w/]+": typeof import\("(node:)?[\w/]+"\);$/;

describe("Node's types a notebook starts with", () => {
  test('leave out modules reached from nothing kept but the map behind getBuiltinModule', () => {
    const types = NodeTypes.for(options, __dirname, OWN)!;
    expect(types).not.toBeNull();
    const program = programOf(types);
    const files = program.getSourceFiles().filter((f) => f.fileName.startsWith(types.root));
    const modules = files.map((f) => moduleOf(types.root, f.fileName));
    for (const left of DEFERRED) expect(modules).not.toContain(left);
    expect(modules).toEqual(expect.arrayContaining(['fs', 'process', 'stream', 'child_process']));
    const missing = unfound(program, files, types.root);
    expect(missing.length).toBeGreaterThan(DEFERRED.size);
    for (const line of missing) expect(line).toMatch(BUILTIN_MAP);
  });

  test('read each module left out in with those it imports in turn, and no more', () => {
    for (const module of DEFERRED) {
      const types = NodeTypes.for(options, __dirname, OWN)!;
      expect(types.readIn([module])).toBe(true);
      expect(types.readIn([module])).toBe(false);
      expect(types.modulesRead).toContain(module);
      const program = programOf(types);
      const read = program
        .getSourceFiles()
        .filter((f) => DEFERRED.has(moduleOf(types.root, f.fileName)));
      expect(read.map((f) => moduleOf(types.root, f.fileName)).sort()).toEqual(types.modulesRead);
      expect([module, unfound(program, read, types.root)]).toEqual([module, []]);
    }
    const test = NodeTypes.for(options, __dirname, OWN)!;
    test.readIn(['test']);
    expect(test.modulesRead).toEqual(['assert', 'test']);
  });

  test('are named by a text that imports, requires or augments a module left out; all of them by getBuiltinModule', () => {
    const cases: [string, string[]][] = [
      ["import { gzipSync } from 'zlib'", ['zlib']],
      ["const insp = require('node:inspector/promises')", ['inspector']],
      ["import assert = require('assert/strict')", ['assert/strict']],
      ["declare module 'http2' { interface Http2Session { mine: 1 } }", ['http2']],
      ["declare const z: typeof import('node:test')", ['test']],
      ["import * as fs from 'fs'\nimport { join } from 'node:path'", []],
      ["const cp = require('child_process'); import('node:stream/web')", []],
      ["import { pack } from './packing'\nimport * as lodash from 'lodash'", []],
      ["import test from 'test'", []],
      ['const imports = 3; // zlib', []]
    ];
    for (const [text, modules] of cases) expect([text, namedBy(text)]).toEqual([text, modules]);
    expect(namedBy("process.getBuiltinModule('fs')").sort()).toEqual([...DEFERRED].sort());
  });

  test('are taken whole from a notebook folder with an @types/node of its own', () => {
    const project = mkdtempSync(join(tmpdir(), 'warren-own-types-'));
    try {
      const types = join(project, 'node_modules', '@types');
      cpSync(join(OWN, 'node'), join(types, 'node'), { recursive: true });
      expect(NodeTypes.for({ ...options, typeRoots: [types, OWN] }, project, OWN)).toBeNull();
      expect(NodeTypes.for(options, project, OWN)).not.toBeNull();
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  test('that a module name being typed may become are those it starts', () => {
    expect(completing('ht')).toEqual(['http2', 'https']);
    expect(completing('node:insp')).toEqual(['inspector']);
    expect(completing('assert/')).toEqual(['assert/strict']);
    expect(completing('')).toEqual([...DEFERRED]);
    expect(completing('nod')).toEqual([...DEFERRED]);
    expect(completing('./')).toEqual([]);
    expect(completing('lodash')).toEqual([]);
  });
});
