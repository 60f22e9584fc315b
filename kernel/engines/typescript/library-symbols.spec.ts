import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { dropEmptyExportTables, emptyExportTables } from './library-symbols';

const folder = mkdtempSync(join(tmpdir(), 'warren-library-symbols-'));
const cell = join(folder, 'cell.ts');
const options: ts.CompilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  typeRoots: [join(dirname(ts.getDefaultLibFilePath({})), '..', '..', '..', '@types')],
  strict: true
};

/** A cell that reads the libraries' variables, parameters, classes, enums and namespaces, and errs twice. */
const TEXT = [
  "import { readFileSync } from 'fs';",
  'const n: number = Math.max(1, 2);',
  "const s: string = readFileSync('x', 'utf8').length;",
  'process.stdout.write(String([1, 2].map((x) => x * 2)));',
  'const t: Intl.DateTimeFormatOptions = { weekday: 3 };',
  'new Map<string, number>().get("a")?.toFixed();',
  'const c = new URL("http://127.0.0.1/").searchParams; Buffer.from("a"); setTimeout(() => n, 1);',
  'declare global { var counted: number }',
  'export { n, s, t, c };'
].join('\n');

/** A program over `TEXT` reusing `old`'s files (the libraries, parsed and bound once). */
function programOf(old?: ts.Program): ts.Program {
  writeFileSync(cell, TEXT);
  const host = ts.createCompilerHost(options);
  if (old) {
    const read = host.getSourceFile;
    host.getSourceFile = (path, ...rest) =>
      path === cell
        ? read.call(host, path, ...rest)
        : (old.getSourceFile(path) ?? read.call(host, path, ...rest));
  }
  return ts.createProgram([cell], options, host);
}

const messages = (program: ts.Program): string[] =>
  ts
    .getPreEmitDiagnostics(program, program.getSourceFile(cell))
    .map((d) => `${d.start} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);

test("the libraries' variables and parameters give back their empty export tables, each file once, and a cell checks as before", () => {
  const first = programOf();
  const before = messages(first);
  expect(before).toEqual([
    expect.stringMatching(/Type 'number' is not assignable to type 'string'/),
    expect.stringMatching(/Type 'number' is not assignable to type '"long" \| "short" \| "narrow"/)
  ]);
  const empty = emptyExportTables(first);
  // 15,000 for lib.es2022 and @types/node.
  expect(empty).toBeGreaterThan(10_000);
  // Only variables and parameters have one besides classes, enums and namespaces, which keep theirs.
  expect(dropEmptyExportTables(first)).toBe(empty);
  expect(emptyExportTables(first)).toBe(0);
  expect(dropEmptyExportTables(first)).toBe(0);

  // A new checker over the same library files (as each program of the converter's is).
  const next = programOf(first);
  expect(next.getSourceFile(join(dirname(ts.getDefaultLibFilePath(options)), 'lib.es5.d.ts'))).toBe(
    first.getSourceFile(join(dirname(ts.getDefaultLibFilePath(options)), 'lib.es5.d.ts'))
  );
  expect(messages(next)).toEqual(before);
  expect(dropEmptyExportTables(next)).toBe(0);
});
