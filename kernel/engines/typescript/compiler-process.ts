/**
 * The compiler process: the converters (TypeScript language services) run
 * here, beside the kernels, so loading TypeScript and checking cells never
 * block a cell's thread. One process serves every TypeScript kernel of a
 * user (compiler-socket.ts), each with a converter of its own. It starts from a V8 startup snapshot that already
 * holds TypeScript with the standard library and @types/node parsed (less
 * the modules node-types.ts leaves out until a cell names one; snapshot.ts,
 * built with the kernel), so it is ready in a fraction of the
 * second that loading them takes; without the snapshot it starts as a plain
 * script and loads them itself.
 */
import { openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { unmapProgramPages } from '../../binary-pages';
import { fullCollection } from '../../gc';
import { pages } from '../../native/pages';
import type { DocumentRegistry } from './converter';
import { isComplete } from './cells';
import { attempt, snapshotCurrent, socketPath, takeLock } from './compiler-socket';
import { Converter, createRegistry } from './converter';
import { releaseSnapshotCopy, snapshotBlob } from './snapshot-copy';
import { TierUp, turbofanAfterMs } from './tier-up';
import type {
  CompilerAnswer,
  CompilerCommit,
  CompilerDeclarations,
  CompilerRequest,
  CompilerSetup,
  CommittedCell,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';
import { onMessages, sendMessage } from './protocol';

/** Where what the compiler has to say goes: its stderr, which the kernel that started it made its log. */
let note = (text: string): void => void process.stderr.write(text);

let registry: DocumentRegistry | null = null;
/** A TypeScript converter made while the snapshot was built, for the first kernel to take. */
let spare: { converter: Converter; globals: string } | null = null;

/**
 * A first cell of the shape most are (a typed declaration, an array, a
 * call, a template, the value of an expression), which the spare converter
 * checks and forgets once moved to its notebook's folder. Not while the
 * snapshot is built: V8 kept the code that compiled, and its check then took
 * 12-15 ms rather than 33-37, but the compiler held 2 MB more after the
 * first typed cell (72.6 against 70.6 MB, means of twelve launches).
 */
const WARM_CELL =
  'const __warren_warm__: number[] = [1, 2].map((x) => x * 2);\n' +
  '`${__warren_warm__.length}`.length + __warren_warm__[0]';

/**
 * Parses what every notebook shares (the libraries, @types/node) into a
 * registry the converters reuse, and readies a converter with the cell API's
 * `globals` (its checker made), which the first kernel takes when it can;
 * run while the snapshot is built, in a folder with no node_modules of its own.
 */
export function prepare(folder: string, globals = ''): void {
  registry = createRegistry();
  const converter = new Converter({ isJS: false, cwd: folder, globals, registry });
  converter.warmUp();
  spare = { converter, globals };
}

/**
 * Readies the spare converter for the notebook whose kernel started this
 * compiler (WARREN_COMPILER_FOLDER, its folder), while that kernel still
 * loads: its program in that folder made (a new checker: 40-50 ms here)
 * and a first cell checked (33-37 ms). Its kernel's setup then finds it moved. Done
 * once the compiler listens, so a kernel that asks sooner waits no longer
 * than it would have.
 */
function readySpare(): void {
  const folder = process.env.WARREN_COMPILER_FOLDER;
  delete process.env.WARREN_COMPILER_FOLDER;
  if (!spare || !folder) return;
  const started = performance.now();
  try {
    if (!spare.converter.moveTo(folder)) return;
    spare.converter.warmUp(WARM_CELL);
    note(
      `warren compiler: readied a converter for ${folder} in ${(performance.now() - started).toFixed(0)} ms\n`
    );
    startDone();
  } catch (error) {
    note(`warren compiler: readying for ${folder}: ${failure(error)}\n`);
    spare = null;
  }
}

let startPagesGone = false;

/**
 * What the start mapped of the node binary, once a converter has moved to
 * a notebook's folder and made its first program there (binary-pages.ts):
 * its cells settle 2.9 MB lower.
 */
function startDone(): void {
  if (startPagesGone) return;
  startPagesGone = true;
  const kB = unmapProgramPages();
  note(
    `warren compiler: gave back ${(kB / 1024).toFixed(1)} MB of code and constants, its first converter ready\n`
  );
}

/** The converter a kernel's setup asks for: the spare when it fits, else a new one. */
function converterFor(m: CompilerSetup): Converter {
  const ready = spare;
  spare = null;
  if (
    ready &&
    !m.isJS &&
    m.globals.trimEnd() === ready.globals.trimEnd() &&
    ready.converter.moveTo(m.cwd)
  )
    return ready.converter;
  return new Converter({
    isJS: m.isJS,
    cwd: m.cwd,
    globals: m.globals,
    registry: registry ?? (registry = createRegistry())
  });
}

/**
 * How long a compiler with no kernel stays, for the next notebook to find
 * (WARREN_COMPILER_LINGER_S sets another).
 */
export function compilerLingerMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.WARREN_COMPILER_LINGER_S);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : 60) * 1000;
}

/** How long a new compiler waits for the kernel that started it. */
const FIRST_KERNEL_MS = 10_000;

/** How long every kernel asks nothing before the compiler collects its garbage. */
const QUIET_MS = 1000;
/**
 * And how long after that it collects once more. V8 gives back the young
 * generation the cells grew (4 MB) only at a collection that finds
 * allocation slow over the 5 s before it, which the first is too early to
 * find; V8's own memory reducer may do it 8 s later, or not: a compiler idle
 * 10 s after 1,000 cells held 4 MB of it in two runs of four.
 */
const SETTLED_MS = 5000;
/**
 * How long a cell's declarations wait for the compiler's next answer to go
 * with (one write, one wake of the kernel, rather than two) before they go
 * on their own: cells run one after another come sooner than this.
 */
const FOLLOW_MS = 100;

/**
 * Listens on WARREN_COMPILER_SOCKET and answers each kernel that connects
 * with a converter of its own, until no kernel has been connected for
 * `compilerLingerMs`. Started by a kernel's supervisor before the kernel
 * (WARREN_COMPILER_EARLY, supervisor.c), it first finds out whether it is
 * wanted, and leaves when not.
 */
export function serve(): void {
  if (process.env.WARREN_COMPILER_EARLY === '1') {
    delete process.env.WARREN_COMPILER_EARLY;
    void wanted().then((socket) => {
      if (!socket) process.exit(0);
      process.env.WARREN_COMPILER_SOCKET = socket.path;
      // Its stderr is nobody's: the log is where a kernel's compiler keeps it.
      const log = openSync(`${socket.path}.log`, 'w', 0o600);
      note = (text) => {
        try {
          writeSync(log, text);
        } catch {
          // a full disk: the compiler serves all the same
        }
      };
      listen(socket.path, socket.lock);
    });
    return;
  }
  const path = process.env.WARREN_COMPILER_SOCKET;
  if (!path) {
    note('warren compiler: WARREN_COMPILER_SOCKET is not set\n');
    process.exit(2);
  }
  listen(path, null);
}

/**
 * Where a compiler started early listens: the socket a kernel of this
 * build would start one on, with its start lock taken; null when its
 * snapshot is older than the code (a kernel starts the plain script), a
 * compiler listens there already, or a kernel is starting one.
 */
async function wanted(): Promise<{ path: string; lock: string } | null> {
  try {
    if (!snapshotCurrent(join(__dirname, 'compiler.blob'), __dirname)) return null;
    const path = socketPath(join(__dirname, 'compiler-process.js'));
    if (await listening(path)) return null;
    const lock = `${path}.starting`;
    if (!takeLock(lock)) return null;
    // Its holder may have let go of it just now, its compiler listening.
    if (await listening(path)) {
      rmSync(lock, { force: true });
      return null;
    }
    return { path, lock };
  } catch {
    return null;
  }
}

async function listening(path: string): Promise<boolean> {
  const socket = await attempt(path);
  socket?.destroy();
  return socket !== null;
}

/** Serves kernels on `path`; `lock`, a start lock this compiler holds, goes once it listens. */
function listen(path: string, lock: string | null): void {
  const linger = compilerLingerMs();
  // Compacting too: the pages each cell's program left half empty go back to
  // the system at once, not when V8's memory reducer gets to them, seconds
  // later (the compiler of a notebook that ran 10,000 cells: 200 MB a second
  // after its last cell rather than 243; 80 ms of collection instead of 30-60).
  // Made before the snapshot's copy goes (its context is made from it).
  const collect = fullCollection();
  if (!collect) note('warren compiler: V8 gave no gc(); garbage waits for V8\n');
  // Before it listens: ready 45 ms later (under load), and never holding the copy while it serves.
  releaseCopy();
  hugePagesOff();
  // What the start mapped of the node binary (33 MB) goes too: binary-pages.ts.
  unmapProgramPages();
  yieldingWorkers();
  let quiet: NodeJS.Timeout | null = null;
  let lonely: NodeJS.Timeout | null = null;
  let kernels = 0;
  const tierUp = new TierUp(turbofanAfterMs());
  const worked = (ms: number) => {
    if (tierUp.add(ms))
      note(`warren compiler: TurboFan on, after ${tierUp.worked.toFixed(0)} ms of work\n`);
  };
  const busy = () => {
    // Each cell leaves garbage behind: collect once the kernels go quiet.
    if (quiet) clearTimeout(quiet);
    if (!collect) return;
    quiet = setTimeout(() => {
      collect();
      quiet = setTimeout(collect, SETTLED_MS);
    }, QUIET_MS);
  };
  const alone = (wait = linger) => {
    if (lonely) clearTimeout(lonely);
    lonely = setTimeout(() => {
      // Another compiler may have taken the socket's name since: only ours goes.
      server.close();
      process.exit(0);
    }, wait);
  };
  const server = createServer((socket) => {
    kernels++;
    if (lonely) clearTimeout(lonely);
    let converter: Converter | null = null;
    /** The declarations of the cell converted last, until the next answer takes them. */
    let follow: CompilerDeclarations | null = null;
    let following: NodeJS.Timeout | null = null;
    const send = (answer: CompilerAnswer | null) => {
      if (following) clearTimeout(following);
      following = null;
      const out = [follow, answer].filter((m) => m !== null);
      follow = null;
      if (out.length > 0) sendMessage(socket, ...out);
    };
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (following) clearTimeout(following);
      converter = null;
      if (--kernels === 0) alone();
    });
    const handle = (m: CompilerSetup | CompilerRequest | CompilerCommit) => {
      busy();
      if (!('op' in m)) {
        converter = converterFor(m);
        for (const c of m.committed) replay(converter, c);
        converter.warmUp();
        send({ id: -1, ok: true, value: 'ready' });
        return;
      }
      if (m.op === 'commit') {
        // Nothing answers a commit: the kernel has gone on.
        try {
          converter!.commit(m.declarations, m.notRun);
        } catch (error) {
          note(`warren compiler: commit: ${failure(error)}\n`);
        }
        return;
      }
      let answer: CompilerAnswer;
      try {
        answer = { id: m.id, ok: true, value: answerTo(converter!, m) };
      } catch (error) {
        answer = { id: m.id, ok: false, error: failure(error) };
      }
      send(answer);
      // The kernel runs the cell meanwhile; its commit comes with its next request.
      if (answer.ok && (answer.value as Converted | null)?.declarationsFollow) {
        let declarations = '';
        try {
          declarations = converter!.declarationsLeft();
        } catch (error) {
          note(`warren compiler: declarations: ${String(error)}\n`);
        }
        follow = { id: m.id, declarations };
        following = setTimeout(() => send(null), FOLLOW_MS);
      }
      // Once its first answer has gone, unless readySpare did it before.
      startDone();
    };
    // Its time counts toward TurboFan's coming on (tier-up.ts).
    onMessages(socket, (message) => {
      const started = performance.now();
      try {
        handle(message as CompilerSetup | CompilerRequest | CompilerCommit);
      } finally {
        worked(performance.now() - started);
      }
    });
  });
  // Listening under a name of its own first, then taking the socket's name
  // at once: a kernel never finds a name with nobody behind it, and a name
  // left by a compiler that died is replaced.
  const own = `${path}.${process.pid}`;
  rmSync(own, { force: true });
  server.listen(own, () => {
    renameSync(own, path);
    if (lock) rmSync(lock, { force: true });
    // The kernel that started it connects in a moment.
    alone(Math.max(linger, FIRST_KERNEL_MS));
    readySpare();
  });
}

/**
 * Gives back Node's copy of the snapshot this process started from (36.5 MB),
 * unless WARREN_KEEP_SNAPSHOT_COPY=1 asks to keep it, and says so in the log.
 */
function releaseCopy(): void {
  const blob = snapshotBlob();
  if (!blob) return;
  if (process.env.WARREN_KEEP_SNAPSHOT_COPY === '1') {
    note("warren compiler: kept Node's copy of the snapshot, as WARREN_KEEP_SNAPSHOT_COPY asks\n");
    return;
  }
  const started = performance.now();
  const released = releaseSnapshotCopy(blob);
  const ms = (performance.now() - started).toFixed(0);
  note(
    released.bytes > 0
      ? `warren compiler: gave back ${(released.bytes / 1048576).toFixed(1)} MB, Node's copy of the snapshot, in ${ms} ms\n`
      : `warren compiler: kept Node's copy of the snapshot: ${released.reason}\n`
  );
}

/**
 * No transparent huge page from here on. The compiler asks malloc for them
 * (compiler-socket.ts), which pays while Node reads and copies the
 * snapshot; once it serves, they made each block of 128 kB or more that
 * malloc mapped resident in whole 2 MB pages, and its RSS 10 s after its
 * last cell came out up to 10 MB higher in one run than the next.
 */
function hugePagesOff(): void {
  const addon = pages();
  if (typeof addon === 'string' || !addon.hugePagesOff())
    note('warren compiler: transparent huge pages stay on\n');
}

/** What a failed request says: the error's stack where it has one. */
function failure(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * V8's worker threads of this process (its optimizing compiler, its
 * collector's helpers) at nice 19, yielding to every other thread of the
 * machine. TypeScript is a large program, and once TurboFan comes on
 * (tier-up.ts) V8 goes on optimizing its functions for thousands of cells,
 * on those threads, while the kernel runs the cell just answered and the
 * frontend takes its output: on a machine of two cores, their turn came out
 * of the user's. Without Linux's /proc, nothing changes.
 */
function yieldingWorkers(): void {
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const tid = Number(task);
      if (tid === process.pid) continue;
      try {
        setPriority(tid, 19);
      } catch {
        // ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
}

/** A committed cell given to a new converter; one whose declarations never came is converted again. */
export function replay(converter: Converter, cell: string | CommittedCell): void {
  if (typeof cell === 'string') {
    converter.commit(cell);
    return;
  }
  if (cell.source === undefined) {
    converter.commit(cell.declarations, cell.notRun);
    return;
  }
  const again = converter.convert(cell.source);
  if (again.output !== undefined) converter.commit(again.declOutput ?? '', cell.notRun);
}

function answerTo(
  converter: Converter,
  req: CompilerRequest
): Converted | CompletionAnswer | InspectAnswer | CompletenessAnswer {
  switch (req.op) {
    case 'convert':
      return converter.convert(req.src, true);
    case 'complete':
      return converter.complete(req.src, req.position);
    case 'inspect':
      return converter.inspect(req.src, req.position);
    case 'isComplete':
      return isComplete(req.src);
  }
}

if (require.main === module) serve();
