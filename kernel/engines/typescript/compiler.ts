import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type {
  CompilerAnswer,
  CompilerRequest,
  CompilerSetup,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';

type Omit2<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The compiler's heap cap. The language service grows with the programs it
 * keeps; should it run out, the engine starts a new compiler: the cells'
 * state lives in the kernel.
 */
export const COMPILER_HEAP_MB = 384;

/**
 * The compiler's V8 flags. A startup snapshot loads only under the flags it
 * was built with, so scripts/compiler-snapshot.js builds it with these.
 * `--expose-gc`: the compiler collects its garbage when a notebook goes
 * quiet, rather than holding each cell's program until the heap fills.
 */
export const COMPILER_FLAGS = [`--max-old-space-size=${COMPILER_HEAP_MB}`, '--expose-gc'];

/**
 * How long a compiler may go unasked before it is let go: a notebook left
 * open gives back its checker's memory (170 MB and more), and its next typed
 * cell starts a new one from the snapshot (a few tenths of a second), given
 * every declaration so far. WARREN_COMPILER_IDLE_S sets another.
 */
export function compilerIdleMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.WARREN_COMPILER_IDLE_S);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 10 * 60) * 1000;
}

/**
 * A blob holds the compiler's code as it was built: one older than that code
 * (the kernel rebuilt without it) would run the old converter.
 */
function snapshotCurrent(blob: string, folder: string): boolean {
  try {
    const built = statSync(blob).mtimeMs;
    return ['compiler-process.js', 'converter.js', 'declarations.js', 'cells.js', 'live.js'].every(
      (f) => statSync(join(folder, f)).mtimeMs <= built
    );
  } catch {
    return false;
  }
}

/** The kernel's environment, less what would keep the compiler from its snapshot or bloat it. */
function compilerEnv(): NodeJS.ProcessEnv {
  // glibc gives each thread that allocates an arena of its own; V8's helper
  // threads left the compiler about 13 MB larger, for no speed.
  const env: NodeJS.ProcessEnv = { ...process.env, MALLOC_ARENA_MAX: '2' };
  // V8 flags there (tuning for the user's own cells) would not match
  // the snapshot's, which then would not load.
  delete env.NODE_OPTIONS;
  return env;
}

/** A compiler process started before its kernel knew what to give it. */
interface Launched {
  entry: string;
  cwd: string;
  child: ChildProcess;
  fromSnapshot: boolean;
  /** The end of what it wrote to stderr (an out-of-memory report). */
  stderr: { text: string };
}

let early: Launched | null = null;

/** The compiled compiler process's entry, beside this file. */
export function compilerEntry(): string {
  return join(__dirname, 'compiler-process.js');
}

function launch(entry: string, cwd: string, snapshot: boolean): Launched {
  const blob = join(dirname(entry), 'compiler.blob');
  const fromSnapshot = snapshot && snapshotCurrent(blob, dirname(entry));
  const child = spawn(
    process.execPath,
    [...COMPILER_FLAGS, ...(fromSnapshot ? ['--snapshot-blob', blob] : [entry])],
    {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
      env: compilerEnv()
    }
  );
  const stderr = { text: '' };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr.text = (stderr.text + d).slice(-4000)));
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  return { entry, cwd, child, fromSnapshot, stderr };
}

/**
 * The kernel's handle on the compiler process (compiler-process.ts). It
 * starts from the startup snapshot beside the entry when there is one, else
 * (or when this Node cannot load that blob) as a plain script. It has a
 * process group of its own, so an interrupt that ends what a cell started
 * leaves it alone, and it ends when the kernel does.
 */
export class Compiler {
  /**
   * Starts a compiler process now, for the first `Compiler` made with the
   * same entry and folder: a kernel calls this first thing, so the compiler
   * loads while the kernel does.
   */
  static launchEarly(entry: string, cwd: string): void {
    early ??= launch(entry, cwd, true);
  }

  private launched: Launched;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { request: CompilerRequest; resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readyFlag = false;
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};
  private idle: NodeJS.Timeout | null = null;
  private readonly idleMs = compilerIdleMs();

  constructor(
    private readonly entry: string,
    private readonly setup: CompilerSetup
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const adopted =
      early && early.entry === entry && early.cwd === setup.cwd && early.child.exitCode === null
        ? early
        : null;
    early = null;
    this.launched = this.attach(adopted ?? launch(entry, setup.cwd, true));
  }

  private get child(): ChildProcess {
    return this.launched.child;
  }

  private attach(launched: Launched): Launched {
    const { child } = launched;
    child.on('message', (a: CompilerAnswer) => {
      if (a.id === -1) {
        this.readyFlag = true;
        this.markReady();
        this.watchIdle();
        return;
      }
      const w = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      this.watchIdle();
      if (!w) return;
      if (a.ok) w.resolve(a.value);
      else w.reject(new Error(a.error));
    });
    child.on('error', (error) => this.end(error));
    child.on('exit', (code, signal) => {
      if (this.launched !== launched || this.dead) return;
      if (!this.readyFlag && launched.fromSnapshot) {
        // A blob this Node cannot load: the plain script, with every request so far.
        this.launched = this.attach(launch(this.entry, this.setup.cwd, false));
        for (const w of this.waiting.values()) this.child.send(w.request);
        return;
      }
      const why = signal ?? `code ${code}`;
      const outOfMemory = /heap out of memory|Allocation failed/.test(launched.stderr.text);
      this.end(
        new Error(
          `the TypeScript compiler exited (${why}${outOfMemory ? `, out of memory at ${COMPILER_HEAP_MB} MB` : ''})`
        )
      );
    });
    child.send(this.setup);
    return launched;
  }

  /** The compiler has ended (out of memory, or a crash); make a new Compiler. */
  dead = false;
  /** Why it ended, once it has. */
  deathCause: Error | null = null;

  get isReady(): boolean {
    return this.readyFlag;
  }

  convert(src: string): Promise<Converted> {
    return this.request({ op: 'convert', src }) as Promise<Converted>;
  }

  complete(src: string, position: number): Promise<CompletionAnswer> {
    return this.request({ op: 'complete', src, position }) as Promise<CompletionAnswer>;
  }

  inspect(src: string, position: number): Promise<InspectAnswer> {
    return this.request({ op: 'inspect', src, position }) as Promise<InspectAnswer>;
  }

  /** A cell's declarations count for later cells, less the values in `notRun`. */
  async commit(declarations: string, notRun: string[]): Promise<void> {
    await this.request({ op: 'commit', declarations, notRun });
  }

  isComplete(src: string): Promise<CompletenessAnswer> {
    return this.request({ op: 'isComplete', src }) as Promise<CompletenessAnswer>;
  }

  async dispose(): Promise<void> {
    this.end(new Error('the TypeScript compiler was shut down'));
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** Once nothing is asked for `idleMs`, the process goes; the engine starts another on need. */
  private watchIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    if (this.waiting.size > 0 || this.dead) return;
    this.idle = setTimeout(() => {
      if (this.waiting.size === 0) void this.dispose();
    }, this.idleMs);
    this.idle.unref();
  }

  private request(req: Omit2<CompilerRequest>): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('the TypeScript compiler has ended'));
    if (this.idle) clearTimeout(this.idle);
    const request = { ...req, id: this.nextId++ } as CompilerRequest;
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { request, resolve, reject });
      this.child.send(request);
    });
  }

  /** Requests in flight fail with the cause; later ones are refused at once. */
  private end(error: Error): void {
    this.dead = true;
    this.deathCause ??= error;
    for (const w of this.waiting.values()) w.reject(this.deathCause);
    this.waiting.clear();
  }
}
