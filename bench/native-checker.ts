/**
 * TypeScript 7's native checker (tsgo, driven through its API) beside
 * warren's compiler process, the same typed cells in one run: is the native
 * compiler the way to the issue's goals for the first typed cell and memory?
 *
 *   npm run bench:native [-- --cells 300]
 *
 * TypeScript 7 is installed for this bench alone, in .cache/typescript-7
 * (a dependency of the project would take node_modules/.bin/tsc from
 * TypeScript 5).
 *
 * Not like for like, and printed as such: warren's compiler checks a cell and
 * emits its JavaScript and declarations (what a kernel runs); tsgo's API only
 * checks (it emits no JavaScript), so its figures are a floor for a kernel
 * built on it, not a kernel. Both read lib.es2022 and @types/node, with the
 * options warren checks cells with where TypeScript 7 still has them (not
 * strict, libraries unchecked). warren's compiler starts from its V8 snapshot
 * (TypeScript parsed and readied at build time); tsgo starts from nothing.
 *
 * Cells: `const voxI: number[] = [1, vox(I-1)[1]]; voxI.length + 1`, each
 * reading the one before it, so a checker that lost earlier cells fails. For
 * tsgo two ways: each cell a script file of its own in one project (scripts
 * share the global scope), added and checked alone; or one file that each
 * cell is appended to and checked again whole (the median hides that a cell
 * costs more as the file grows).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Compiler, compilerEntry } from '../kernel/engines/typescript/compiler';
import { median, processChildren, ROOT, rssMB } from './measure';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const CELLS = Number(arg('--cells', '300'));
const cell = (i: number) =>
  `const vox${i}: number[] = [1, ${i === 0 ? 0 : `vox${i - 1}[1]`}]; vox${i}.length + 1;`;
const BAD = 'const wrong: number = "one";';

/** Where `npm run bench:native` installs TypeScript 7. */
const NATIVE = join(ROOT, '.cache', 'typescript-7');

/** The part of tsgo's synchronous API (typescript@7, `unstable/sync`) used here. */
interface NativeApi {
  API: new (options: { cwd: string; fs?: NativeFs }) => NativeClient;
}
interface NativeClient {
  updateSnapshot(params: {
    openProjects?: string[];
    fileChanges?: { created?: string[]; changed?: string[] };
  }): NativeSnapshot;
  close(): void;
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

/** The pid of this process's child whose arguments and environment `matches` accepts. */
function findChild(what: string, matches: (args: string[], env: string[]) => boolean): number {
  for (const pid of processChildren().get(process.pid) ?? []) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (matches(args, env)) return pid;
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process found for ${what}`);
}

async function warren(folder: string): Promise<Figures> {
  // A compiler of this run's own (none already running answers for it),
  // gone when this run lets go of it.
  const sockets = mkdtempSync(join(tmpdir(), 'warren-bench-compiler-'));
  process.env.WARREN_COMPILER_DIR = sockets;
  process.env.WARREN_COMPILER_LINGER_S = '0';
  const t = now();
  const compiler = new Compiler(compilerEntry(), {
    isJS: false,
    cwd: folder,
    globals: '',
    committed: []
  });
  try {
    return await convertAll(compiler, t, sockets);
  } finally {
    await compiler.dispose();
    rmSync(sockets, { recursive: true, force: true });
  }
}

async function convertAll(compiler: Compiler, t: number, sockets: string): Promise<Figures> {
  const first = await compiler.convert(cell(0));
  const firstMs = now() - t;
  if (first.output === undefined) throw new Error('warren: the first cell did not convert');
  await compiler.commit(null, []);
  const pid = findChild("warren's compiler", (_, env) =>
    env.some((e) => e.startsWith(`WARREN_COMPILER_SOCKET=${sockets}/`))
  );
  const rssFirstMB = rssMB(pid);
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
  const bad = await compiler.convert(BAD);
  const rssLastMB = rssMB(pid);
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
        strict: false,
        skipLibCheck: true,
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
    getAccessibleEntries: (dir) =>
      dir === project
        ? {
            files: ['tsconfig.json', ...[...cells.keys()].map((f) => basename(f))],
            directories: []
          }
        : undefined
  };
  const file = (i: number) => join(project, `cell${mode === 'files' ? i : 0}.ts`);
  const api = nativeApi();
  const t = now();
  const client = new api.API({ cwd: project, fs });
  try {
    cells.set(file(0), cell(0));
    let snapshot = client.updateSnapshot({ openProjects: [config] });
    const diagnostics = (f: string) =>
      snapshot.getProject(config).program.getSemanticDiagnostics(f);
    if (diagnostics(file(0)).length > 0) throw new Error('tsgo: the first cell has errors');
    const firstMs = now() - t;
    // tsgo, spawned by this process for this project.
    const pid = findChild('tsgo', (args) => {
      const at = args.indexOf('--cwd');
      return args.includes('--api') && at >= 0 && args[at + 1] === project;
    });
    const rssFirstMB = rssMB(pid);
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
        const rssLastMB = rssMB(pid);
        snapshot.dispose();
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
  } finally {
    client.close();
  }
}

/** TypeScript 7's API, from the folder `npm run bench:native` installs it in. */
function nativeApi(): NativeApi {
  const api = join(NATIVE, 'node_modules', 'typescript', 'dist', 'api', 'sync', 'api.js');
  if (!existsSync(api))
    throw new Error(`no TypeScript 7 in ${NATIVE}: npm run bench:native installs it`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(api) as NativeApi;
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'warren-bench-native-'));
  try {
    report([
      ['warren compiler (checks and emits)', await warren(folder)],
      ['tsgo 7 API, a file a cell (checks only)', native(folder, 'files')],
      ['tsgo 7 API, one growing file (checks only)', native(folder, 'append')]
    ]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function report(rows: [string, Figures][]): void {
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
