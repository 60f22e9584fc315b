import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from '@tslab/typescript-for-tslab';
import { Converter, createRegistry } from './converter';
import { newestWins, topLevelNames } from './declarations';

let folder: string;
let converter: Converter;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'warren-converter-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));
/** A TypeScript converter for a notebook in `folder`, with a registry of its own. */
const fresh = () =>
  new Converter({
    isJS: false,
    cwd: folder,
    globals: 'declare const display: (value: unknown) => void;\n',
    registry: createRegistry()
  });

beforeEach(() => {
  converter = fresh();
});

/** Converts a cell that must check, and commits what it declares. */
function run(src: string) {
  const r = converter.convert(src);
  expect(r.diagnostics).toEqual([]);
  converter.commit(r.declOutput ?? '');
  return r;
}

const messages = (src: string) => converter.convert(src).diagnostics.map((d) => d.message);

describe('the converter', () => {
  test('a name a cell declares is typed in the cells after it and read from exports', () => {
    run('const epochs: number = 5');
    const next = run('epochs.toFixed(1)');
    expect(next.output).toContain('exports.tsLastExpr = exports.epochs.toFixed(1)');
    expect(next.lastExpressionVar).toBe('tsLastExpr');
    expect(messages('epochs.toUpperCase()')[0]).toMatch(
      /toUpperCase.*does not exist on type 'number'/
    );
  });

  test('a redeclared name has its newest type; a value typed by the old one keeps that type', () => {
    run('interface Scan { voxels: number }\nconst t1: Scan = { voxels: 3 }');
    run('interface Scan { subject: string }');
    expect(messages('t1.voxels + 1')).toEqual([]);
    expect(messages('const s: Scan = { subject: "sub-01" }')).toEqual([]);
    expect(messages('const s: Scan = { voxels: 1 }')[0]).toMatch(/voxels/);
    run('const t1 = "now a string"');
    expect(messages('t1.toUpperCase()')).toEqual([]);
  });

  test('cells that import nothing stay live until 64 have declared something, then move to a declaration file; 32 files fold into the base; the newest of each name wins', () => {
    run('const kept: number = 1');
    expect(converter.liveCells).toBe(1);
    const shifting = (i: number) =>
      run(
        `const shifting: ${i % 2 === 0 ? 'number' : 'string'} = ${i % 2 === 0 ? i : `"${i}"`}; const n${i} = ${i}`
      );
    for (let i = 0; i < 150; i++) shifting(i);
    // 151 declaring cells: two files of 64 cells each, 23 live.
    expect(converter.liveCells).toBe(151 - 128);
    expect(converter.unfolded).toBe(2);
    // The last cell (i = 149) made it a string; every other name is still there.
    expect(messages('shifting.toUpperCase(); kept + n0 + n100 + n149')).toEqual([]);
    expect(messages('shifting.toFixed()')[0]).toMatch(/toFixed/);
    // The 33rd file folds the 32 before it into the base: 33 x 64 declaring cells.
    for (let i = 150; i < 33 * 64 - 1; i++) shifting(i);
    expect(converter.unfolded).toBe(1);
    expect(converter.liveCells).toBe(0);
    // The last cell (i = 2110) made it a number again.
    expect(messages('shifting.toFixed(); kept + n0 + n1000 + n2110')).toEqual([]);
    expect(messages('shifting.toUpperCase()')[0]).toMatch(/toUpperCase/);
  });

  test('a live cell answered before its declarations: they come after, the same text, and a commit of null makes them count', () => {
    const whole = fresh().convert('const vox: number[] = [1, 2]; vox.length');
    const first = converter.convert('const vox: number[] = [1, 2]; vox.length', true);
    expect(first.declOutput).toBeUndefined();
    expect(first.declarationsFollow).toBe(true);
    expect(first.output).toBe(whole.output);
    const left = converter.declarationsLeft();
    expect(left).toBe(whole.declOutput);
    expect(left).toContain('declare const vox: number[]');
    converter.commit(null);
    expect(converter.liveCells).toBe(1);
    expect(messages('vox.map((v) => v.toFixed(1))')).toEqual([]);
    expect(messages('vox.toUpperCase()')[0]).toMatch(/toUpperCase/);
    // A cell that declares nothing has nothing to follow.
    expect(converter.convert('vox.length + 1', true).declarationsFollow).toBeUndefined();
    // Committed without asking first, the declarations are made then.
    converter.convert('const later: string = "x"', true);
    converter.commit(null);
    expect(messages('later.toUpperCase(); vox.length')).toEqual([]);
  });

  test('a cell that imports a module sees the live cells before it, and the cells after it see both', () => {
    writeFileSync(join(folder, 'rates.ts'), 'export const rate: number = 2;\n');
    run('interface Run { loss: number }\nconst first: Run = { loss: 1 }');
    expect(converter.liveCells).toBe(1);
    run('import { rate } from "./rates"; const second: Run = { loss: first.loss * rate }');
    expect(converter.liveCells).toBe(0);
    expect(messages('const third: Run = { loss: first.loss + second.loss + rate }')).toEqual([]);
    expect(messages('second.loss.toUpperCase()')[0]).toMatch(/toUpperCase/);
  });

  test('cells that need the whole program fold into the base file after 32 declaration files', () => {
    writeFileSync(join(folder, 'rates.ts'), 'export const rate: number = 2;\n');
    for (let i = 0; i < 40; i++)
      run(`import { rate } from "./rates"; const m${i}: number = rate * ${i}`);
    expect(converter.liveCells).toBe(0);
    expect(converter.unfolded).toBeLessThan(32);
    expect(messages('m0 + m31 + m39')).toEqual([]);
  });

  test('a live cell with a type error is stopped and leaves nothing behind; its comments can excuse an error', () => {
    run('const ok: number = 1');
    expect(messages('const broken: string = ok')[0]).toMatch(/not assignable to type 'string'/);
    expect(messages('broken')[0]).toMatch(/Cannot find name 'broken'/);
    expect(messages('// @ts-expect-error\nconst excused: string = ok')).toEqual([]);
    expect(messages('// @ts-expect-error\nconst fine: number = ok')[0]).toMatch(
      /Unused '@ts-expect-error'/
    );
  });

  test('a cell that failed part way keeps the older declaration of a value that never ran', () => {
    run('const lr: number = 0.1');
    const failed = converter.convert('throw new Error("stop"); const lr: string = "never"');
    expect(failed.diagnostics).toEqual([]);
    converter.commit(failed.declOutput ?? '', ['lr']);
    expect(messages('lr.toFixed(2)')).toEqual([]);
  });

  test('top-level await and for await are allowed and said; inside a plain function they are errors', () => {
    const r = converter.convert('const v = await Promise.resolve(3); v');
    expect(r.diagnostics).toEqual([]);
    expect(r.hasToplevelAwait).toBe(true);
    expect(converter.convert('function f() { await 1 }').diagnostics.length).toBeGreaterThan(0);
    const loop = converter.convert(
      'async function* gen() { yield 1; yield 2 }\nconst acc: number[] = [];\nfor await (const g of gen()) acc.push(g)'
    );
    expect(loop.diagnostics).toEqual([]);
    expect(loop.hasToplevelAwait).toBe(true);
    expect(
      converter.convert('function g() { for await (const x of []) x }').diagnostics.length
    ).toBeGreaterThan(0);
  });

  test("the runtime's globals are typed, and read from exports", () => {
    const r = run('display(1)');
    expect(r.output).toContain('exports.display(1)');
    expect(messages('display()')[0]).toMatch(/Expected 1 arguments/);
  });

  test("a notebook's own module is read again when it changes", () => {
    const file = join(folder, 'settings.ts');
    writeFileSync(file, 'export const rate: number = 1;\n');
    expect(messages('import { rate } from "./settings"; rate.toFixed()')).toEqual([]);
    writeFileSync(file, 'export const rate: string = "fast";\n');
    // A file's version is its modification time: make the change visible even within one tick.
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    expect(messages('import { rate } from "./settings"; rate.toFixed()')[0]).toMatch(/toFixed/);
  });

  test('a converter readied elsewhere serves a notebook folder with the same @types, its imports read from there', () => {
    const notebook = mkdtempSync(join(tmpdir(), 'warren-moved-'));
    const project = mkdtempSync(join(tmpdir(), 'warren-project-'));
    try {
      run('const first: number = 1');
      writeFileSync(join(notebook, 'rates.ts'), 'export const rate: number = 2;\n');
      expect(converter.moveTo(notebook)).toBe(true);
      expect(messages('first + 1')).toEqual([]);
      // Moved where it is already (readied before its kernel came), it keeps its checker and live cells.
      run('const second: number = first + 1');
      const live = converter.liveCells;
      expect(live).toBeGreaterThan(0);
      expect(converter.moveTo(notebook)).toBe(true);
      expect(converter.liveCells).toBe(live);
      expect(messages('import { rate } from "./rates"; rate + first')).toEqual([]);
      // What a cell imports keeps its types in the cells after it, and an
      // untyped package of the notebook's folder can be imported again.
      const pkg = join(notebook, 'node_modules', 'typedpkg');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        '{"name":"typedpkg","main":"index.js","types":"index.d.ts"}'
      );
      writeFileSync(join(pkg, 'index.js'), 'exports.fn = (n) => n * 2;\n');
      writeFileSync(join(pkg, 'index.d.ts'), 'export declare function fn(n: number): number;\n');
      const untyped = join(notebook, 'node_modules', 'leftpadx');
      mkdirSync(untyped, { recursive: true });
      writeFileSync(join(untyped, 'package.json'), '{"name":"leftpadx","main":"index.js"}');
      writeFileSync(join(untyped, 'index.js'), 'module.exports = (s) => " " + s;\n');
      run('import { fn } from "typedpkg"');
      expect(messages('const doubled: string = fn(2)')[0]).toMatch(
        /Type 'number' is not assignable to type 'string'/
      );
      expect(converter.complete('fn', 2).candidates).toContain('fn');
      run('import lp from "leftpadx"');
      run('import lp from "leftpadx"');
      // A folder with @types/node of its own: checked against those, by another converter.
      mkdirSync(join(project, 'node_modules', '@types', 'node'), { recursive: true });
      writeFileSync(join(project, 'node_modules', '@types', 'node', 'package.json'), '{}');
      expect(converter.moveTo(project)).toBe(false);
      expect(messages('import { rate } from "./rates"; rate')).toEqual([]);
    } finally {
      rmSync(notebook, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });

  test("a package installed after a library's import of it found nothing is found by the next cell, in each notebook of the folder", async () => {
    // The compiler serves each request in a task of its own; what it reads of the disk is kept for one.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const notebook = mkdtempSync(join(tmpdir(), 'warren-installed-'));
    const install = (name: string, declarations: string) => {
      const pkg = join(notebook, 'node_modules', name);
      mkdirSync(pkg, { recursive: true });
      writeFileSync(join(pkg, 'package.json'), `{"name":"${name}","types":"index.d.ts"}`);
      writeFileSync(join(pkg, 'index.d.ts'), declarations);
    };
    // Two notebooks of the folder, served by one compiler: one registry of parsed files.
    const registry = createRegistry();
    const open = () =>
      new Converter({
        isJS: false,
        cwd: notebook,
        globals: 'declare const display: (value: unknown) => void;\n',
        registry
      });
    const missing = (c: Converter, src: string) => c.convert(src).diagnostics.map((d) => d.message);
    try {
      install('maker', 'import { Made } from "madetype";\nexport declare function make(): Made;\n');
      const [first, second] = [open(), open()];
      for (const c of [first, second]) {
        c.commit(c.convert('import { make } from "maker"').declOutput ?? '');
        // Its import found nothing: what it returns is typed as nothing at all.
        expect(missing(c, 'make().missing')).toEqual([]);
      }
      await turn();
      install('madetype', 'export interface Made { size: number }\n');
      await turn();
      // The library's file is unchanged; its import is looked for again all the same.
      for (const c of [first, second]) {
        expect(missing(c, 'const made = make(); made.missing')[0]).toMatch(
          /'missing' does not exist on type 'Made'/
        );
        expect(missing(c, 'make().size + 1')).toEqual([]);
      }
    } finally {
      rmSync(notebook, { recursive: true, force: true });
    }
  });

  test("a converter moved to a notebook's folder does not look for the libraries' imports again, nor parse the runtime's globals again", () => {
    const notebook = mkdtempSync(join(tmpdir(), 'warren-moved-'));
    const looked: string[] = [];
    const { fileExists, directoryExists } = ts.sys;
    /** The parsed file of the runtime's globals in the converter's program. */
    const globals = () =>
      (converter as unknown as { service: ts.LanguageService }).service
        .getProgram()!
        .getSourceFiles()
        .find((f) => f.fileName.endsWith('_globals__.d.ts'));
    try {
      converter.warmUp();
      const parsed = globals();
      expect(parsed?.text).toContain('declare const display');
      ts.sys.fileExists = (path) => (looked.push(path), fileExists(path));
      ts.sys.directoryExists = (path) => (looked.push(path), directoryExists(path));
      expect(converter.moveTo(notebook)).toBe(true);
      converter.warmUp();
      ts.sys.fileExists = fileExists;
      ts.sys.directoryExists = directoryExists;
      // @types/node's 'node:events' and the like (a walk up from its folder
      // for a node_modules), and undici-types' own files: 119 lookups when
      // they were resolved again. What is left is finding @types/node.
      expect(
        looked.filter((p) => /undici-types|@types\/node\/node_modules|@types\/node_modules/.test(p))
      ).toEqual([]);
      expect(looked.length).toBeLessThan(30);
      expect(globals()).toBe(parsed);
      expect(messages('display(1); display.nope')[0]).toMatch(/Property 'nope' does not exist/);
      expect(messages('const pid: string = process.pid')[0]).toMatch(
        /Type 'number' is not assignable to type 'string'/
      );
    } finally {
      ts.sys.fileExists = fileExists;
      ts.sys.directoryExists = directoryExists;
      rmSync(notebook, { recursive: true, force: true });
    }
  });

  test('a cell TypeScript cannot write declarations for still carries its names, typed where they can be', () => {
    // TS4094: a class expression with private members cannot be declared.
    run(
      'const rows = [1, 2]\nconst Trainer = class { private lr = 0.1; rate() { return this.lr } }\nfunction scale(n: number) { return n * 2 }'
    );
    expect(messages('rows.length + scale(1)')).toEqual([]);
    expect(messages('rows.toUpperCase()')[0]).toMatch(
      /toUpperCase.*does not exist on type 'number\[\]'/
    );
    expect(messages('scale("x")')[0]).toMatch(/not assignable to parameter of type 'number'/);
    expect(messages('new Trainer().rate()')).toEqual([]);
    // The same when the declarations follow the answer (as the compiler gives them).
    const later = converter.convert(
      'const cols = [3]\nconst Later = class { private p = 1 }',
      true
    );
    expect(later.diagnostics).toEqual([]);
    converter.commit(null);
    expect(messages('cols.toUpperCase()')[0]).toMatch(/does not exist on type 'number\[\]'/);
    // Imported by the same cell: its names still resolve.
    run('import { join } from "path"\nconst Kept = class { private k = 1 }');
    expect(messages('join("a", "b").length')).toEqual([]);
  });

  test('completes the members of an earlier name and shows its type on inspect', () => {
    run('const scan = { voxels: 3, subject: "sub-01" }');
    const c = converter.complete('scan.vo', 7);
    expect(c).toMatchObject({ start: 5, end: 7 });
    expect(c.candidates[0]).toBe('voxels');
    expect(converter.inspect('scan', 2).signature).toMatch(/const scan: \{\s*voxels: number;/);
  });

  test('completion and inspect of text being typed answer on the live cells’ checker, as a program of their own answers, making none', () => {
    // The reference: the same cells, completion and inspect in the language service's program.
    const reference = fresh();
    (reference as unknown as { probe(): null }).probe = () => null;
    const cells = [
      'const scan = { voxels: [1, 2], subject: "s1" }',
      'interface Scan { subject: string; voxels: number[] }\nconst scans: Scan[] = [scan]',
      'class Volume { constructor(public dims: number[]) {} size() { return this.dims.length } }',
      'enum Shell { Bash, Sh }'
    ];
    for (const cell of cells) {
      run(cell);
      const r = reference.convert(cell);
      reference.commit(r.declOutput ?? '');
    }
    const typed = [
      'scan.voxels.map((v) => v + 1)',
      'scans[0].subject.toUpperCase()',
      'new Volume([1]).size() + Shell.Bash',
      'process.env.HOME; setTimeout(() => 1, 10)',
      'const { voxels } = scan; voxels.at(0)',
      'scan.'
    ];
    let answered = 0;
    for (const text of typed)
      for (let at = 0; at <= text.length; at++) {
        expect([text, at, converter.inspect(text, at)]).toEqual([
          text,
          at,
          reference.inspect(text, at)
        ]);
        expect([text, at, converter.complete(text, at)]).toEqual([
          text,
          at,
          reference.complete(text, at)
        ]);
        if (converter.inspect(text, at).found) answered++;
      }
    // The comparison means something only where there was something to show.
    expect(answered).toBeGreaterThan(100);
    // A cell, then text typed: the language service makes no program for it.
    run('const later = scan.voxels.length');
    const service = (converter as unknown as { service: ts.LanguageService }).service;
    const program = service.getProgram();
    for (let i = 0; i < 20; i++) {
      expect(converter.inspect(`later + ${i}`, 3).signature).toBe('const later: number');
      expect(converter.complete(`scan.vo${' '.repeat(i)}`, 7).candidates).toEqual(['voxels']);
    }
    expect(service.getProgram()).toBe(program);
  });

  test("a cell that imports only Node's own modules stays live, typed and emitted as in a program of its own", () => {
    // The reference: the same cell checked in a program (a package import beside it makes it one).
    const reference = fresh();
    run('const kept: number = 1');
    const cell =
      "import * as fs from 'fs'\nimport { join } from 'node:path'\nimport os = require('os')\n" +
      "const listed = fs.readdirSync(join(os.tmpdir(), '.'))";
    const live = run(cell);
    expect(converter.liveCells).toBe(2);
    const whole = reference.convert(cell);
    expect(live.output).toBe(whole.output);
    expect(converter.declarationsLeft() || live.declOutput).toBe(whole.declOutput);
    // Its names, and the names before it, are typed in the cells after it.
    expect(messages('listed.map((f) => f.toUpperCase()); kept.toFixed()')).toEqual([]);
    expect(messages('listed.toFixed()')[0]).toMatch(/toFixed.*does not exist on type 'string\[\]'/);
    expect(messages("fs.readFileSync('/x', 'utf8').toFixed()")[0]).toMatch(/type 'string'/);
    expect(messages("import { nothing } from 'fs'")[0]).toMatch(/has no exported member/);
    expect(converter.liveCells).toBe(2);
    // Any other import needs the program (it resolves it): the live cells fold once it counts.
    writeFileSync(join(folder, 'live-volume.ts'), 'export const dims = [2, 3];\n');
    run("import { dims } from './live-volume'\nconst voxels = dims.length");
    expect(converter.liveCells).toBe(0);
    expect(messages('voxels.toFixed(); listed.length')).toEqual([]);
  });

  test("once a cell is checked, the libraries' variables and parameters hold no empty export table, and one a cell merges into is typed", () => {
    run('const kept: number = 1');
    expect(converter.emptyLibraryExportTables).toBe(0);
    // A global a cell declares in the libraries' scope is typed as declared.
    run('declare global { var counted: number }\ncounted = 2');
    expect(messages('const bad: string = counted')).toEqual([
      "Type 'number' is not assignable to type 'string'."
    ]);
    expect(messages('setTimeout(() => kept, 1).ref()')).toEqual([]);
  });

  test('a notebook starts without the Node modules nothing it uses reaches, and reads one in, typed, with those it imports, once a cell imports it', () => {
    run('const kept: number = 1');
    run("import * as fs from 'fs'\nconst listed = fs.readdirSync('/')");
    expect(messages('process.stdout.columns.toFixed(); Buffer.from(listed[0]).byteLength')).toEqual(
      []
    );
    expect(converter.nodeModulesRead).toEqual([]);
    expect(
      messages("import { gzipSync } from 'zlib'\nconst packed: number = gzipSync('a')")
    ).toEqual(["Type 'Buffer' is not assignable to type 'number'."]);
    expect(converter.nodeModulesRead).toEqual(['zlib']);
    // What the cells before declared counts as it did, live or not.
    expect(messages('kept.toFixed(); listed.map((f) => f.length)')).toEqual([]);
    run(
      "import * as inspector from 'node:inspector/promises'\nconst session = new inspector.Session()"
    );
    expect(messages('session.post("Runtime.enable").then((r) => r.toFixed())')[0]).toMatch(
      /toFixed.*does not exist on type 'void'/
    );
    // node:test imports assert.
    expect(
      messages("import { mock } from 'node:test'\nmock.fn().mock.calls.length.toFixed()")
    ).toEqual([]);
    expect(converter.nodeModulesRead).toEqual(['assert', 'inspector', 'test', 'zlib']);
  });

  test('Node modules left out are read in for getBuiltinModule, a module of the notebook that imports one, a module name being completed, and declarations given back', () => {
    expect(messages("const v: string = process.getBuiltinModule('zlib').gzipSync('a')")).toEqual([
      "Type 'Buffer' is not assignable to type 'string'."
    ]);
    expect(converter.nodeModulesRead).toHaveLength(18);
    converter = fresh();
    writeFileSync(
      join(folder, 'packing.ts'),
      "import { gzipSync } from 'zlib';\nexport const pack = (s: string) => gzipSync(s);\n"
    );
    run("import * as path from 'path'\nconst where = path.join('a', 'b')");
    expect(converter.nodeModulesRead).toEqual([]);
    expect(messages("import { pack } from './packing'\nconst n: number = pack('a')")).toEqual([
      "Type 'Buffer' is not assignable to type 'number'."
    ]);
    expect(converter.nodeModulesRead).toEqual(['zlib']);
    // A module's name being completed, while a live cell's declarations are yet to come.
    converter = fresh();
    expect(converter.convert('const pending: number = 1', true).declarationsFollow).toBe(true);
    expect(converter.complete("import * as web from 'http", 26).candidates).toEqual([
      'http',
      'http2',
      'https'
    ]);
    expect(converter.nodeModulesRead).toEqual(['http2', 'https']);
    converter.commit(null);
    expect(messages('pending.toFixed()')).toEqual([]);
    converter = fresh();
    converter.commit("declare const zip: typeof import('zlib');\n");
    expect(messages("const m: number = zip.gzipSync('a')")).toEqual([
      "Type 'Buffer' is not assignable to type 'number'."
    ]);
  });

  test('variables nothing named since they were declared wait as text once their files fold, and come back typed when a cell, completion or inspect names them', () => {
    converter.commit('declare const old: number[];');
    converter.commit('interface Scan { n: typeof kept }\ndeclare const kept: string;');
    converter.commit('declare const shadowed: number;');
    converter.commit('declare const chained: typeof link;\ndeclare const link: boolean;');
    converter.commit('declare const used: number;');
    expect(messages('used + 1')).toEqual([]);
    // Each commit of its own is a file: the 33rd folds the 32 before it.
    for (let i = 0; i < 28; i++) converter.commit(`declare const f${i}: number;`);
    // old, shadowed, chained, link and f0 to f26; kept stays, as Scan names
    // it, and used, named since it was declared.
    expect(converter.namesAside).toBe(4 + 27);
    // The 65th folds again: used, not named since the last fold, goes too.
    for (let i = 28; i < 62; i++) converter.commit(`declare const f${i}: number;`);
    const aside = converter.namesAside;
    expect(aside).toBe(4 + 27 + 1 + 32);
    expect(messages('const s: Scan = { n: kept }')).toEqual([]);
    expect(converter.namesAside).toBe(aside);
    expect(messages('used.toFixed(1)')).toEqual([]);
    expect(converter.namesAside).toBe(aside - 1);
    expect(converter.complete('f1', 2).candidates).toEqual(
      expect.arrayContaining(['f1', 'f10', 'f19'])
    );
    expect(converter.inspect('f20', 2).signature).toBe('const f20: number');
    expect(messages('old.length + 1')).toEqual([]);
    expect(messages('old.toUpperCase()')[0]).toMatch(/toUpperCase/);
    // A name its type names comes back with it.
    expect(messages('const b: string = chained')[0]).toMatch(/'boolean' is not assignable/);
    expect(messages('link === true')).toEqual([]);
    // Declared again, a name's newest declaration wins over the one set aside.
    converter.commit('declare const shadowed: string;');
    expect(messages('shadowed.toUpperCase()')).toEqual([]);
    // Back: used, f1 (typed for completion), f20, old, chained, link and shadowed.
    expect(converter.namesAside).toBe(aside - 7);
  });

  test('says whether a cell defines code that may run after it: a function, a class, eval', () => {
    for (const src of [
      'const f = (x: number) => x + 1',
      'function g() {}',
      'class Scan {}',
      'const o = { get n() { return 1 } }',
      'const p = { m() {} }',
      '[1, 2].map(function (x) { return x })',
      'eval("1 + 1")',
      'new Function("return 1")'
    ])
      expect([src, converter.convert(src).definesFunctions]).toEqual([src, true]);
    for (const src of [
      'const vox: number[] = [1, 2]; vox.length + 1',
      'let label = `sub-${1}`',
      'const m = new Map<string, number>(); m.set("a", 1)'
    ])
      expect([src, converter.convert(src).definesFunctions]).toEqual([src, false]);
  });

  test('a cell of expressions only declares nothing and adds no file', () => {
    const r = run('1 + 1');
    expect(r.declOutput).toBe('');
    expect(converter.unfolded).toBe(0);
  });
});

describe('top-level names', () => {
  test('are every name a cell declares, bindings and imports included, less what it exports itself', () => {
    expect(
      topLevelNames(
        'import fs, { join as j } from "path"; import * as os from "os"; const [a, { b }] = x; ' +
          'function f() { const inner = 1 } class C {} interface I {} type T = 1; enum E {} export const out = 1'
      ).sort()
    ).toEqual(['C', 'E', 'I', 'T', 'a', 'b', 'f', 'fs', 'j', 'os'].sort());
  });
});

describe('folding declarations', () => {
  test('keeps a statement unless a newer text declares one of its names; imports keep the rest', () => {
    const folded = newestWins([
      'declare const a: number, b: number;\nimport { x, y } from "m";\ninterface I { old: 1 }',
      'declare const a: string;\ndeclare const y: number;\ninterface I { fresh: 1 }'
    ]);
    expect(folded).toMatch(/declare const b: number;/);
    expect(folded).not.toMatch(/a: number/);
    expect(folded).toMatch(/import \{ x \} from "m"/);
    expect(folded).not.toMatch(/old/);
    expect(folded).toMatch(/declare const a: string, y: number;/);
  });

  test('neighbouring declarations of one kind share a statement; one with a comment before it keeps its own', () => {
    const texts = Array.from({ length: 300 }, (_, i) => `declare const v${i}: number[];`);
    texts.push('declare let l0: string;\ndeclare let l1: string;');
    texts.push('/** The subject. */\ndeclare const doc: string;');
    texts.push('/// <reference types="node" />\ndeclare const buf: Buffer;');
    texts.push('declare const v7: string;\ndeclare const v299: boolean;');
    const folded = newestWins(texts);
    const sf = ts.createSourceFile('folded.d.ts', folded, ts.ScriptTarget.Latest, true);
    const statements = sf.statements.filter(ts.isVariableStatement);
    // 298 names of the first texts in statements of at most 128; two lets; two on their own; the newest pair.
    expect(statements.map((st) => st.declarationList.declarations.length)).toEqual([
      128, 128, 42, 2, 1, 1, 2
    ]);
    expect(folded).toMatch(/^declare const v0: number\[\], v1: number\[\], v2/);
    expect(folded).toMatch(/declare let l0: string, l1: string;/);
    expect(folded).toMatch(/\/\*\* The subject. \*\/\ndeclare const doc: string;/);
    expect(folded).toMatch(/\/\/\/ <reference types="node" \/>\ndeclare const buf: Buffer;/);
    expect(folded).not.toMatch(/v7: number/);
    expect(folded).toMatch(/declare const v7: string, v299: boolean;$/);
  });

  test('a notebook of thousands of one-name cells folds into a few statements, each name still typed', () => {
    for (let i = 0; i < 33 * 64 + 1; i++) run(`const vox${i}: number[] = [1, ${i}]`);
    expect(converter.unfolded).toBeLessThan(32);
    expect(messages('vox0.length + vox1000.length + vox2112.length')).toEqual([]);
    expect(messages('vox1000.toUpperCase()')[0]).toMatch(/toUpperCase/);
    expect(converter.inspect('vox1000', 3).signature).toBe('const vox1000: number[]');
    expect(converter.complete('vox100', 6).candidates).toContain('vox1000');
    expect(converter.foldedStatements).toBeLessThanOrEqual(Math.ceil((33 * 64) / 128) + 1);
  });
});
