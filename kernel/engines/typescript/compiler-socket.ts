/**
 * Where a user's compiler process listens, and starting it. One compiler
 * serves every TypeScript kernel of a user that runs the same build: each
 * kernel's connection has a converter of its own (its own declarations, its
 * own folder), and all of them share TypeScript, the standard library and
 * @types/node, parsed once. The socket is in a folder only its user can
 * open; its name says which Node and which build it serves. The process
 * goes once it has had no kernel for a while (`compilerLingerMs`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { withEagerBinding } from '../../binary-pages';
import { withFixedMmapThreshold } from '../../malloc';
import { privateFolder, userRuntimeFolder } from '../../paths';
import { alive } from '../../pids';

/** The compiler's heap cap, for every kernel it serves. */
export const COMPILER_HEAP_MB = 1024;

/**
 * The compiler's V8 flags. A startup snapshot loads only under the flags it
 * was built with, so scripts/compiler-snapshot.js builds it with these.
 * `--max-semi-space-size=2`: a young generation of 2 MB halves, not 16 MB
 * (V8's own): 30 MB less resident at no cost in speed, as measured (a cell
 * leaves little garbage now that most reuse one checker).
 * `--no-rehash-snapshot`: the blob's hash tables keep the seed they were
 * built with, rather than V8 hashing every string in them again with a new
 * one at each start (a guard against crafted keys flooding a table, which
 * the compiler, fed only its user's cells, does not need): as measured, the
 * compiler listens about 45 ms sooner and holds 7 MB less.
 * `--no-turbofan`: V8's optimizing compiler waits until the compiler has
 * worked a while, then tier-up.ts lets it on.
 */
export const COMPILER_FLAGS = [
  `--max-old-space-size=${COMPILER_HEAP_MB}`,
  '--max-semi-space-size=2',
  '--no-rehash-snapshot',
  '--no-turbofan'
];

/**
 * The compiled files the compiler process runs, and this one, which holds
 * the flags it runs under: its snapshot and its socket's name follow them.
 */
export const COMPILER_CODE = [
  'compiler-process.js',
  'compiler-socket.js',
  'converter.js',
  'live.js',
  'unresolved.js',
  'declarations.js',
  'library-docs.js',
  'library-symbols.js',
  'node-types.js',
  'cells.js',
  'protocol.js',
  'snapshot-copy.js',
  'tier-up.js',
  '../../gc.js',
  '../../malloc.js',
  '../../pids.js',
  '../../paths.js',
  '../../../src/contract/index.js',
  '../../native/pages.js',
  '../../binary-pages.js'
];

/** How long a compiler may take to listen: a plain-script start on a busy machine. */
const START_MS = 60_000;
const RETRY_MS = 15;

/** The folder of the user's compiler sockets: WARREN_COMPILER_DIR, or the user's runtime folder. */
function socketFolder(): string {
  return privateFolder(
    process.env.WARREN_COMPILER_DIR ?? userRuntimeFolder(),
    "the TypeScript compiler's folder"
  );
}

/**
 * The compiler's socket for this Node and this build (the entry, its
 * snapshot and the code they were built from): a kernel of another build
 * starts a compiler of its own.
 */
export function socketPath(entry: string): string {
  const hash = createHash('sha256').update(`${process.execPath}\0${process.version}`);
  for (const f of [...COMPILER_CODE, 'compiler.blob']) {
    const file = join(dirname(entry), f);
    let stamp = 'none';
    try {
      stamp = String(statSync(file).mtimeMs);
    } catch {
      // no snapshot: the plain script
    }
    hash.update(`\0${file}\0${stamp}`);
  }
  return join(socketFolder(), `compiler-${hash.digest('hex').slice(0, 16)}.sock`);
}

/** The end of what the user's compilers wrote to stderr (an out-of-memory report). */
export function logTail(socket: string): string {
  try {
    return readFileSync(`${socket}.log`, 'utf8').slice(-4000);
  } catch {
    return '';
  }
}

/**
 * A blob holds the compiler's code as it was built: one older than that code
 * (the kernel rebuilt without it) would run the old converter.
 */
export function snapshotCurrent(blob: string, folder: string): boolean {
  try {
    const built = statSync(blob).mtimeMs;
    return COMPILER_CODE.every((f) => statSync(join(folder, f)).mtimeMs <= built);
  } catch {
    return false;
  }
}

/**
 * glibc's tunables with malloc's large blocks in transparent huge pages
 * (`glibc.malloc.hugetlb=1`: malloc asks for them with madvise, which is
 * what the usual `madvise` setting of the system serves), unless the user set
 * that tunable. Node reads the 33 MB blob into blocks of its own and copies
 * it twice before V8 reads it: in 4 KB pages that was 17,000 page faults of
 * the compiler's 36,700, and under a hypervisor a page fault is dear (the
 * compiler listened after 1.06-1.18 s here, 0.64-0.77 s with huge pages; its
 * RSS the same). The compiler takes no more once it serves
 * (compiler-process.ts, `hugePagesOff`).
 */
export function withHugePages(tunables: string | undefined): string {
  if (tunables && /(^|:)glibc\.malloc\.hugetlb=/.test(tunables)) return tunables;
  return tunables ? `${tunables}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1';
}

/**
 * The kernel's environment, less what would keep the compiler from its
 * snapshot or bloat it; with `folder`, the notebook's, for which it readies a
 * converter as soon as it listens (compiler-process.ts).
 */
function compilerEnv(socket: string, folder: string | null): NodeJS.ProcessEnv {
  // glibc gives each thread that allocates an arena of its own; V8's helper
  // threads left the compiler about 13 MB larger, for no speed.
  const env = withEagerBinding(
    withFixedMmapThreshold({
      ...process.env,
      MALLOC_ARENA_MAX: '2',
      WARREN_COMPILER_SOCKET: socket
    })
  );
  if (folder) env.WARREN_COMPILER_FOLDER = folder;
  else delete env.WARREN_COMPILER_FOLDER;
  // V8 flags there (tuning for the user's own cells) would not match
  // the snapshot's, which then would not load.
  delete env.NODE_OPTIONS;
  env.GLIBC_TUNABLES = withHugePages(env.GLIBC_TUNABLES);
  return env;
}

interface Started {
  child: ChildProcess;
  fromSnapshot: boolean;
  exited: boolean;
}

/** A compiler that listens on `socket`, started from the snapshot beside `entry` when it can. */
function start(entry: string, socket: string, snapshot: boolean, folder: string | null): Started {
  const blob = join(dirname(entry), 'compiler.blob');
  const fromSnapshot = snapshot && snapshotCurrent(blob, dirname(entry));
  const log = openSync(`${socket}.log`, 'w', 0o600);
  // A session of its own: no kernel's interrupt or shutdown reaches it.
  const child = spawn(
    process.execPath,
    [...COMPILER_FLAGS, ...(fromSnapshot ? ['--snapshot-blob', blob] : [entry])],
    { cwd: '/', stdio: ['ignore', 'ignore', log], detached: true, env: compilerEnv(socket, folder) }
  );
  closeSync(log);
  const started: Started = { child, fromSnapshot, exited: false };
  child.on('exit', () => (started.exited = true));
  child.on('error', () => (started.exited = true));
  child.unref();
  return started;
}

/** A connection to what listens on `path`, or null where nothing does. */
export function attempt(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

/**
 * Whether this kernel may start the compiler: one kernel at a time does
 * (notebooks opened together would each start one), by creating the lock
 * file; a lock whose kernel is gone, or older than a start may take, is
 * taken over.
 */
export function takeLock(lock: string): boolean {
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o600 });
      return true;
    } catch {
      try {
        const holder = Number(readFileSync(lock, 'utf8'));
        const age = Date.now() - statSync(lock).mtimeMs;
        if (alive(holder) && age < START_MS) return false;
        rmSync(lock, { force: true });
      } catch {
        // let go meanwhile: try again
      }
    }
  }
  return false;
}

/**
 * The compilers of the kernels whose WARREN_COMPILER_DIR is `folder`:
 * started by a supervisor before its kernel (from the snapshot, the folder in
 * their environment) or by a kernel (their socket there). What the tests and
 * the benches count; supervisor.c's `compiler_living` finds them alike.
 */
export function compilersIn(folder: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      const early =
        env.includes(`WARREN_COMPILER_DIR=${folder}`) &&
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('--snapshot-blob');
      if (early || env.some((v) => v.startsWith(`WARREN_COMPILER_SOCKET=${folder}/`)))
        out.push(Number(entry));
    } catch {
      // gone meanwhile, or another user's
    }
  }
  return out;
}

/**
 * The compiler the supervisor started before this kernel
 * (WARREN_COMPILER_EARLY_PID, supervisor.c), while it lives: the kernel
 * starts none of its own meanwhile. Taken out of the environment the user's
 * commands inherit.
 */
const earlyPid = Number(process.env.WARREN_COMPILER_EARLY_PID) || 0;
delete process.env.WARREN_COMPILER_EARLY_PID;
/**
 * How long a kernel waits for that compiler, at most, before starting one:
 * a snapshot's start takes half a second, and one that never listens on this
 * build's socket (another build's, say) must not hold the kernel up.
 */
const EARLY_WAIT_MS = 10_000;
const loaded = Date.now();

function earlyUnderway(): boolean {
  if (Date.now() - loaded > EARLY_WAIT_MS || !alive(earlyPid)) return false;
  try {
    // A pid taken by another process since (a kernel started again much later).
    return readFileSync(`/proc/${earlyPid}/cmdline`, 'latin1').includes('--snapshot-blob');
  } catch {
    return false;
  }
}

/**
 * A connection to the user's compiler for `entry`, started when none
 * listens (by one kernel at a time); from the plain script when this Node
 * cannot load the snapshot. `underway` is called once a compiler listens or
 * is starting (by this kernel or another). A compiler it starts readies a
 * TypeScript converter for `folder`, the notebook's, when one is given.
 */
export async function openCompiler(
  entry: string,
  underway: () => void = () => {},
  folder: string | null = null
): Promise<{ socket: Socket; path: string }> {
  const path = socketPath(entry);
  const lock = `${path}.starting`;
  const deadline = Date.now() + START_MS;
  let started: Started | null = null;
  let mine = false;
  try {
    while (Date.now() < deadline) {
      const socket = await attempt(path);
      if (socket) return { socket, path };
      if (!mine && !earlyUnderway() && takeLock(lock)) {
        mine = true;
        // The kernel that held the lock may have let go of it just now, its compiler listening.
        const again = await attempt(path);
        if (again) return { socket: again, path };
      }
      if (mine && !started) started = start(entry, path, true, folder);
      else if (mine && started?.exited) {
        if (!started.fromSnapshot)
          throw new Error(`the TypeScript compiler did not start: ${logTail(path).trim()}`);
        started = start(entry, path, false, folder);
      }
      underway();
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  } finally {
    if (mine) rmSync(lock, { force: true });
  }
  throw new Error(`the TypeScript compiler did not listen within ${START_MS / 1000} s`);
}
