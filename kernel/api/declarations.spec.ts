import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import type { ShellEngine } from '../engines/shell/shell';
import { Runtime } from '../engines/typescript/runtime';
import type { RunManager } from '../services/cluster/manager';
import type { MountManager } from '../services/mounts';
import { ambientDeclarations } from './declarations';
import { installCellApi } from './index';
import { RUNTIME } from './magics';

const ROOT = join(__dirname, '..', '..');
const generated = () => ambientDeclarations(readFileSync(join(__dirname, 'globals.ts'), 'utf8'));

/** The value names (`declare const`, `declare function`) an ambient text declares. */
function declaredValues(text: string): string[] {
  const sf = ts.createSourceFile('cell.d.ts', text, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) names.add(st.name.text);
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name)) names.add(d.name.text);
  }
  return [...names].sort();
}

/** Type-checks `cell` (a module) against `declarations` (ambient), with @types/node; answers the errors. */
function check(declarations: string, cell: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'warren-cell-api-'));
  try {
    writeFileSync(join(dir, 'cell-globals.d.ts'), declarations);
    writeFileSync(join(dir, 'cell.ts'), cell);
    const program = ts.createProgram([join(dir, 'cell-globals.d.ts'), join(dir, 'cell.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2023.d.ts'],
      types: ['node'],
      typeRoots: [join(ROOT, 'node_modules', '@types')]
    });
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('members of CellGlobals become declare const and declare function; types lose export, docs stay', async () => {
  const text = await ambientDeclarations(
    [
      '// not for cells',
      '/** A thing. */',
      'export interface Thing { n: number }',
      'export type Mode = "a" | "b";',
      'export interface CellGlobals {',
      '  /** The thing. */',
      '  thing: Thing;',
      '  make(mode: Mode): Thing',
      '}'
    ].join('\n')
  );
  expect(text).toBe(
    [
      '/** A thing. */',
      'interface Thing { n: number }',
      'type Mode = "a" | "b";',
      '/** The thing. */',
      'declare const thing: Thing;',
      'declare function make(mode: Mode): Thing;',
      ''
    ].join('\n')
  );
});

test('refuses a source that imports or defines a value, or has no CellGlobals', async () => {
  const globals = 'export interface CellGlobals { x: number }\n';
  await expect(ambientDeclarations("import type { A } from './a';\n" + globals)).rejects.toThrow(
    /only interfaces and types/
  );
  await expect(ambientDeclarations('export const x = 1;\n' + globals)).rejects.toThrow(
    /only interfaces and types/
  );
  await expect(ambientDeclarations('export interface Other { x: number }')).rejects.toThrow(
    /no interface CellGlobals/
  );
});

describe('the cell API installed on a runtime', () => {
  const saved = { console: globalThis.console, write: process.stdout.write };
  afterAll(() => {
    globalThis.console = saved.console;
    process.stdout.write = saved.write;
  });

  test('the generated text declares every global the runtime defines, and no other', async () => {
    const declarations = await generated();
    const runtime = new Runtime();
    installCellApi({
      runtime,
      shell: {} as ShellEngine,
      mounts: {} as MountManager,
      runs: { store: {} } as unknown as RunManager,
      declarations
    });
    expect(Object.keys(runtime.globals).sort()).toEqual(declaredValues(declarations));
    expect(runtime.globals).toHaveProperty([RUNTIME]);
    // define() adds to what the API set; nothing is declared twice.
    expect(runtime.declarations.startsWith(declarations)).toBe(true);
    expect(declaredValues(runtime.declarations)).toEqual(declaredValues(declarations));
  });
});

test('the generated text stands on its own, and a cell using every global type-checks against it', async () => {
  const cell = `
display.html('<b>x</b>', { id: 'a', metadata: { k: 1 } });
display({ a: 1 });
const name: string = await input('name? ', { password: true });
page('text');
display(rich({ 'text/plain': name }));
const code: number | null = shell.exitCode;
shell.raise = true;
const r: ShellResult = await $\`ls \${code}\`;
await ${RUNTIME}.magic('cd', r.stdout);
const m: WarrenMountStatus = await warren.mount('/mnt', { remote: 'gdrive:', readOnly: true });
const t: WarrenToolbox[] = await warren.toolboxes();
const map: WarrenMapResult = await warren.map(['true'], { chunk: 2, gpus: 1 });
const again: WarrenMapResult = await map.retry();
const runs: WarrenRunSummary[] = warren.runs();
console.log(m.state, t.length, again.exitCodes, runs.length, process.pid);
export {};
`;
  expect(check(await generated(), cell)).toEqual([]);
  // And they bite: a wrong use is an error.
  expect(check(await generated(), 'await warren.mount(1);\nexport {};\n').join('\n')).toMatch(
    /not assignable to parameter of type 'string'/
  );
});
