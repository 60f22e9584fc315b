/**
 * TypeScript 7's native checker (tsgo, driven through its API) beside
 * warren's compiler process, the same typed cells in one run: is the native
 * compiler the way to the issue's goals for the first typed cell and memory?
 *
 *   npm run build:kernel && node lib/bench/native-checker.js [--cells 300]
 *
 * Not like for like, and printed as such: warren's compiler checks a cell and
 * emits its JavaScript and declarations (what a kernel runs); tsgo's API only
 * checks (it emits no JavaScript), so its figures are a floor for a kernel
 * built on it, not a kernel. Both read lib.es2022 and @types/node. warren's
 * compiler starts from its V8 snapshot (TypeScript parsed and readied at build
 * time); tsgo starts from nothing.
 *
 * Cells: `const voxI: number[] = [1, I]; voxI.length + 1`. For tsgo each cell
 * is a script file of its own in one project (scripts share the global
 * scope, so a cell sees the names of those before it), added to the project
 * and checked alone.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Compiler, compilerEntry } from '../kernel/engines/typescript/compiler';
import { median, ROOT } from './measure';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CELLS = Number(arg('--cells', '300'));
const cell = (i: number) => `const vox${i}: number[] = [1, ${i}]; vox${i}.length + 1;`;
const BAD = 'const wrong: number = "one";';

/** The part of tsgo's synchronous API (typescript@7, `unstable/sync`) used here. */
interface NativeApi {
  API: new (options: { cwd: string; fs?: NativeFs }) => {
    updateSnapshot(params: {
      openProjects?: string[];
      fileChanges?: { created?: string[]; changed?: string[] };
    }): NativeSnapshot;
    close(): void;
  };
}
interface NativeFs {
  readFile(file: string): string | undefined;
  fileExists(file: string): boolean | undefined;
  getAccessibleEntries(folder: string): { files: string[]; directories: string[] } | undefined;
}
interface NativeSnapshot {
  getProject(config: string): {
    program: { getSemanticDiagnostics(file: string): readonly { text?: string }[] };
  };
  dispose(): void;
}

interface Figures {
  /** How the checker started: warren's compiler from its snapshot or as a plain script. */
  how: string;
  firstMs: number;
  cellMs: number;
  rssFirstMB: number;
  rssLastMB: number;
  caught: boolean;
}

const now = () => performance.now();

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The pid of a process whose command line holds `needle` and whose environment holds `env`. */
function findProcess(needle: string, env: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle) &&
        readFileSync(`/proc/${entry}/environ`, 'utf8').includes(env)
      )
        return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process running ${needle}`);
}

async function warren(folder: string): Promise<Figures> {
  // A compiler of this run's own: none already running answers for it.
  const sockets = mkdtempSync(join(tmpdir(), 'warren-bench-compiler-'));
  process.env.WARREN_COMPILER_DIR = sockets;
  const t = now();
  const compiler = new Compiler(compilerEntry(), {
    isJS: false,
    cwd: folder,
    globals: '',
    committed: []
  });
  const first = await compiler.convert(cell(0));
  const firstMs = now() - t;
  if (first.output === undefined) throw new Error('warren: the first cell did not convert');
  await compiler.commit(null, []);
  const pid = findProcess('compiler', `WARREN_COMPILER_SOCKET=${sockets}`);
  const rssFirstMB = rssOf(pid);
  // A kernel rebuilt without its snapshot (tsc alone) starts the plain script.
  const how = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--snapshot-blob')
    ? 'from its snapshot'
    : 'as a plain script: run npm run build:kernel';
  const times: number[] = [];
  for (let i = 1; i < CELLS; i++) {
    const s = now();
    const converted = await compiler.convert(cell(i));
    await compiler.commit(null, []);
    times.push(now() - s);
    if (converted.output === undefined) throw new Error(`warren: cell ${i} did not convert`);
  }
  const rssLastMB = rssOf(pid);
  const bad = await compiler.convert(BAD);
  await compiler.dispose();
  return {
    how,
    firstMs,
    cellMs: median(times),
    rssFirstMB,
    rssLastMB,
    caught: bad.output === undefined
  };
}

/**
 * `files`: each cell a script file of its own, added to the project;
 * `append`: one file, each cell appended to it (what a checker of one
 * growing program sees).
 */
function native(folder: string, mode: 'files' | 'append'): Figures {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const api = require('typescript-native/unstable/sync') as NativeApi;
  const project = join(folder, `native-${mode}`);
  mkdirSync(project);
  const config = join(project, 'tsconfig.json');
  const types = join(ROOT, 'node_modules', '@types');
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022'],
        types: ['node'],
        typeRoots: [types],
        strict: true,
        noEmit: true
      },
      include: ['*.ts']
    })
  );
  // Cells live in memory, as a kernel's would; anything else (an answer of
  // undefined) is read from disk.
  const cells = new Map<string, string>();
  const fs: NativeFs = {
    readFile: (f) => cells.get(f),
    fileExists: (f) => (cells.has(f) ? true : undefined),
    getAccessibleEntries: (folder) =>
      folder === project
        ? {
            files: ['tsconfig.json', ...[...cells.keys()].map((f) => basename(f))],
            directories: []
          }
        : undefined
  };
  const file = (i: number) => join(project, `cell${mode === 'files' ? i : 0}.ts`);
  const t = now();
  const client = new api.API({ cwd: project, fs });
  cells.set(file(0), cell(0));
  let snapshot = client.updateSnapshot({ openProjects: [config] });
  const diagnostics = (f: string) => snapshot.getProject(config).program.getSemanticDiagnostics(f);
  if (diagnostics(file(0)).length > 0) throw new Error('tsgo: the first cell has errors');
  const firstMs = now() - t;
  const pid = findProcess('--api', '');
  const rssFirstMB = rssOf(pid);
  const times: number[] = [];
  for (let i = 1; i <= CELLS; i++) {
    const s = now();
    const f = file(i);
    const text = i === CELLS ? BAD : cell(i);
    cells.set(f, mode === 'files' ? text : `${cells.get(f)}\n${text}`);
    snapshot.dispose();
    snapshot = client.updateSnapshot({
      fileChanges: mode === 'files' ? { created: [f] } : { changed: [f] }
    });
    const found = diagnostics(f);
    if (i < CELLS) {
      times.push(now() - s);
      if (found.length > 0) throw new Error(`tsgo: cell ${i}: ${found[0].text}`);
    } else {
      const rssLastMB = rssOf(pid);
      snapshot.dispose();
      client.close();
      return {
        how: 'from nothing',
        firstMs,
        cellMs: median(times),
        rssFirstMB,
        rssLastMB,
        caught: found.length > 0
      };
    }
  }
  throw new Error('unreachable');
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'warren-bench-native-'));
  const rows: [string, Figures][] = [
    ['warren compiler (checks and emits)', await warren(folder)],
    ['tsgo 7 API, a file a cell (checks only)', native(folder, 'files')],
    ['tsgo 7 API, one growing file (checks only)', native(folder, 'append')]
  ];
  console.log(`${CELLS} distinct typed cells, one run, lib.es2022 and @types/node`);
  console.log(
    'checker | start to first cell checked | a distinct cell, median | RSS after first | RSS after last | type error caught'
  );
  for (const [name, f] of rows) {
    console.log(
      `${name}, started ${f.how} | ${f.firstMs.toFixed(0)} ms | ${f.cellMs.toFixed(2)} ms | ${f.rssFirstMB.toFixed(0)} MB | ${f.rssLastMB.toFixed(0)} MB | ${f.caught ? 'yes' : 'NO'}`
    );
  }
  const w = rows[0][1];
  for (const [name, n] of rows.slice(1)) {
    console.log(
      `${name} / warren: start ${(n.firstMs / w.firstMs).toFixed(2)}x, cell ${(n.cellMs / w.cellMs).toFixed(2)}x, RSS after last ${(n.rssLastMB / w.rssLastMB).toFixed(2)}x`
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
