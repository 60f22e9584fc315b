import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { Converter, createRegistry } from './converter';
import { withoutDocs } from './library-docs';

/** Positions marked `|` in a cell: the cell without them, and where the cursor is. */
function marked(cell: string): { src: string; position: number } {
  return { src: cell.replace('|', ''), position: cell.indexOf('|') };
}

/**
 * TypeScript's own quick info for the cell, every library read whole (its
 * documentation comments parsed as TypeScript parses them), worded as the
 * converter words its answer.
 */
function reference(src: string, position: number, folder: string): string {
  const cell = join(folder, 'reference.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(dirname(require.resolve('@types/node/package.json')), '..')],
    skipLibCheck: true
  };
  const service = ts.createLanguageService({
    getScriptFileNames: () => [cell],
    getScriptVersion: () => '1',
    getScriptSnapshot: (path) => {
      const text = path === cell ? src : ts.sys.readFile(path);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => folder,
    getCompilationSettings: () => options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: (path) => path === cell || ts.sys.fileExists(path),
    readFile: (path) => (path === cell ? src : ts.sys.readFile(path)),
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories
  });
  const info = service.getQuickInfoAtPosition(cell, position);
  return [
    ts.displayPartsToString(info?.documentation),
    ...(info?.tags ?? []).map((t) => `@${t.name} ${ts.displayPartsToString(t.text)}`)
  ]
    .filter((s) => s.length > 0)
    .join('\n');
}

describe('library documentation', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'warren-docs-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const fresh = () =>
    new Converter({ isJS: false, cwd: folder, globals: '', registry: createRegistry() });

  test("inspect shows a library's documentation as TypeScript does with every comment parsed", () => {
    const converter = fresh();
    // A cell first, so the libraries are parsed (without their comments) before any inspect.
    expect(converter.convert('const vox: number[] = [1]; vox.length').diagnostics).toEqual([]);
    const cells = [
      // Destructured first: quick info caches a symbol's documentation, and
      // must not keep what it found before the file's comments came back.
      "const { len|gth } = 'abc'",
      "'abc'.len|gth",
      "import type { St|ats } from 'fs'",
      "import * as fs from 'fs'; fs.readFile|Sync('a.txt')",
      "import * as f|s from 'fs'",
      '[1, 2].m|ap((x) => x + 1)',
      'Buffer.fr|om("abc")',
      'process.e|nv',
      'setTime|out(() => 1, 10)',
      'new Map<string, number>().s|et("a", 1)',
      'JSON.pa|rse("{}")',
      'Promise.al|l([])',
      "import { EventEmitter } from 'events'; new EventEmitter().o|n('x', () => 1)",
      "import * as http from 'http'; http.createServer().lis|ten(0)",
      "import { Readable } from 'stream'; Readable.fr|om([])",
      "import * as util from 'util'; util.isArr|ay([])",
      "import { readFile } from 'fs/promises'; readF|ile",
      'console.l|og(1)',
      "import * as path from 'path'; path.jo|in('a', 'b')",
      "import * as fs from 'fs'; fs.mkdirSync('x', { recur|sive: true })"
    ];
    let documented = 0;
    for (const cell of cells) {
      const { src, position } = marked(cell);
      const expected = reference(src, position, folder);
      if (expected !== '') documented++;
      expect({ cell, documentation: converter.inspect(src, position).documentation }).toEqual({
        cell,
        documentation: expected
      });
    }
    // The comparison means something only if TypeScript found documentation for them.
    expect(documented).toBe(cells.length);
  });

  test('a declaration with two documentation comments, one deprecated, shows the one TypeScript shows (its last)', () => {
    const lib = join(folder, 'node_modules', 'twodocs');
    mkdirSync(lib, { recursive: true });
    writeFileSync(
      join(lib, 'package.json'),
      '{"name":"twodocs","version":"1.0.0","types":"index.d.ts"}'
    );
    writeFileSync(
      join(lib, 'index.d.ts'),
      [
        '/**',
        ' * Counts the voxels of an image.',
        ' * @param n how many images',
        ' */',
        '/** @deprecated use voxels() */',
        'export declare function vox(n: number): number;',
        '/** @deprecated the old name */',
        '/** Counts the voxels, the new way. */',
        'export declare function voxels(n: number): number;',
        ''
      ].join('\n')
    );
    const converter = fresh();
    expect(
      converter.convert("import { vox, voxels } from 'twodocs'; vox(1) + voxels(1)").diagnostics
    ).toEqual([]);
    // TypeScript reads a declaration's last comment: the deprecated one for vox, not for voxels.
    for (const [cell, shown] of [
      ["import { vox } from 'twodocs'; v|ox(1)", '@deprecated use voxels()'],
      ["import { voxels } from 'twodocs'; vox|els(1)", 'Counts the voxels, the new way.']
    ]) {
      const { src, position } = marked(cell);
      const expected = reference(src, position, folder);
      expect(expected).toBe(shown);
      expect({ cell, documentation: converter.inspect(src, position).documentation }).toEqual({
        cell,
        documentation: expected
      });
    }
  });

  test('inspect anywhere in an import type clause answers', () => {
    const converter = fresh();
    const src = "import type { Stats } from 'fs'; import type P = require('path');";
    for (let at = 0; at <= src.length; at++) expect(() => converter.inspect(src, at)).not.toThrow();
  });

  test("completion ranks a library's deprecated names after the others, as TypeScript does", () => {
    const converter = fresh();
    const src = "import * as util from 'util'; util.is";
    const { candidates } = converter.complete(src, src.length);
    // util.isArray is deprecated, util.isDeepStrictEqual is not.
    expect(candidates.indexOf('isDeepStrictEqual')).toBeGreaterThanOrEqual(0);
    expect(candidates.indexOf('isArray')).toBeGreaterThan(candidates.indexOf('isDeepStrictEqual'));
  });

  test('a declaration file is parsed with its documentation comments turned plain, its types untouched', () => {
    const text = [
      '/** Doc a, with “quotes”. */',
      'export declare const a: `/** not ${string} a comment */`;',
      '/** Doc b */',
      'export declare const b: "/** also not */";',
      'export interface X {',
      '  /** doc c */ c: `${number}px/**${`/**`}*/`;',
      '  /**/ d: 1; /* plain */',
      '}',
      ''
    ].join('\n');
    const out = withoutDocs('/lib/x.d.ts', text);
    expect(out.length).toBe(text.length);
    expect(out).not.toMatch(/[^\x00-\xff]/);
    // No documentation comment is left, and only comments changed.
    const comments = (s: string) => {
      const sf = ts.createSourceFile('/x.d.ts', s, ts.ScriptTarget.Latest, true);
      const printer = ts.createPrinter({ removeComments: true });
      return {
        code: printer.printFile(sf),
        docs: sf.statements.flatMap((n) => ts.getJSDocTags(n))
      };
    };
    expect(comments(out).code).toBe(comments(text).code);
    const sf = ts.createSourceFile('/x.d.ts', out, ts.ScriptTarget.Latest, true);
    const jsDocs: unknown[] = [];
    const visit = (n: ts.Node): void => {
      jsDocs.push(...((n as { jsDoc?: unknown[] }).jsDoc ?? []));
      ts.forEachChild(n, visit);
    };
    visit(sf);
    expect(jsDocs).toEqual([]);
    expect(out).toContain('`/** not ${string} a comment */`');
    expect(out).toContain('"/** also not */"');
    expect(out).toContain('`${number}px/**${`/**`}*/`');
    expect(out).toContain('/**/ d: 1; /* plain */');
    // `@deprecated` is read by the checker and completion: that comment stays.
    const old = '/** Old.\n * @deprecated use b */\nexport declare const o: 1;\n';
    expect(withoutDocs('/lib/y.d.ts', old)).toBe(old);
    // JavaScript's documentation comments carry its types: never touched.
    expect(withoutDocs('/lib/x.js', text)).toBe(text);
    expect(withoutDocs('/lib/x.ts', text)).toBe(text);
  });
});
