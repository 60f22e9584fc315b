import type { Socket } from 'node:net';
import { join } from 'node:path';
import { COMPILER_HEAP_MB, logTail, openCompiler } from './compiler-socket';
import type {
  CompilerAnswer,
  CompilerCommit,
  CompilerDeclarations,
  CompilerRequest,
  CompilerSetup,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';
import { onMessages, sendMessage } from './protocol';

export { COMPILER_HEAP_MB } from './compiler-socket';

type Omit2<T> = T extends unknown ? Omit<T, 'id'> : never;

/** A converted cell as the kernel has it. */
export interface ConvertedCell extends Converted {
  /**
   * With `declarationsFollow`: its declarations once the compiler has sent
   * them (set on `declOutput` too); null should the compiler end first.
   */
  declarationsLater?: Promise<string | null>;
}

/** How many times a connection that closes before its compiler answered is made again. */
const REOPEN_MAX = 3;

/**
 * How long a kernel may ask its compiler nothing before it lets go: the
 * compiler drops that notebook's checker and its memory, and the next typed
 * cell connects again (starting a compiler if none is left, a few tenths of
 * a second), giving every declaration so far. WARREN_COMPILER_IDLE_S sets
 * another.
 */
export function compilerIdleMs(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.WARREN_COMPILER_IDLE_S);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 10 * 60) * 1000;
}

/** A connection opened before its kernel knew what to ask. */
let early: { entry: string; opening: Promise<{ socket: Socket; path: string }> } | null = null;

/** The compiled compiler process's entry, beside this file. */
export function compilerEntry(): string {
  return join(__dirname, 'compiler-process.js');
}

/**
 * The kernel's connection to the user's compiler process
 * (compiler-process.ts, started by compiler-socket.ts when none listens).
 * The compiler has a session of its own, so an interrupt that ends what a
 * cell started leaves it alone; it drops this kernel's checker when the
 * connection closes.
 */
export class Compiler {
  /**
   * Connects now (starting the compiler if none listens), for the first
   * `Compiler` made with the same entry: a kernel calls this first thing, so
   * the compiler loads while the kernel does. Resolves once the compiler
   * is under way (listening, being started by this kernel or another) or
   * could not be: the kernel's modules load synchronously, and would hold
   * up the start until they had. A compiler it starts for a TypeScript
   * notebook (`folder`, the notebook's) readies its converter there.
   */
  static launchEarly(entry: string, folder: string | null = null): Promise<void> {
    if (early?.entry === entry) return Promise.resolve();
    let underway = () => {};
    const started = new Promise<void>((resolve) => (underway = resolve));
    early = { entry, opening: openCompiler(entry, underway, folder) };
    early.opening.then(underway, underway);
    return started;
  }

  private socket: Socket | null = null;
  private path = '';
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { request: CompilerRequest; resolve(v: unknown): void; reject(e: Error): void }
  >();
  /**
   * Messages not written yet, oldest first: requests made before the
   * connection opened, and commits, which wait for the next request to go
   * with it in one write (nothing answers a commit).
   */
  private readonly queued: (CompilerRequest | CompilerCommit)[] = [];
  /** Convert answers whose declarations are still to come, by request id. */
  private readonly following = new Map<number, (declarations: string | null) => void>();
  private readyFlag = false;
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};
  private idle: NodeJS.Timeout | null = null;
  private readonly idleMs = compilerIdleMs();
  private disposing = false;
  private reopened = 0;

  constructor(
    private readonly entry: string,
    private readonly setup: CompilerSetup
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.open(early?.entry === entry ? early.opening : openCompiler(entry, undefined, this.folder));
    early = null;
  }

  /** Where a compiler this kernel starts readies a converter: a TypeScript notebook's folder. */
  private get folder(): string | null {
    return this.setup.isJS ? null : this.setup.cwd;
  }

  private open(opening: Promise<{ socket: Socket; path: string }>): void {
    opening.then(
      ({ socket, path }) => this.attach(socket, path, this.setup),
      (error: Error) => this.end(error)
    );
  }

  private attach(socket: Socket, path: string, setup: CompilerSetup): void {
    if (this.dead) {
      socket.destroy();
      return;
    }
    this.socket = socket;
    this.path = path;
    onMessages(socket, (message) => {
      if ('declarations' in (message as object)) {
        const d = message as CompilerDeclarations;
        this.following.get(d.id)?.(d.declarations);
        this.following.delete(d.id);
        this.watchIdle();
        return;
      }
      const a = message as CompilerAnswer;
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
      if (a.ok && (a.value as Converted | null)?.declarationsFollow) {
        const converted = a.value as ConvertedCell;
        converted.declarationsLater = new Promise<string | null>((resolve) =>
          this.following.set(a.id, resolve)
        ).then((declarations) => {
          if (declarations !== null) converted.declOutput = declarations;
          return declarations;
        });
      }
      if (a.ok) w.resolve(a.value);
      else w.reject(new Error(a.error));
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.disposing) return;
      if (!this.readyFlag && this.reopened++ < REOPEN_MAX) {
        // Closed before it answered: a compiler that was dying as this kernel
        // connected (killed, or out of memory). Another is found or started,
        // and asked again.
        this.socket = null;
        this.queued.unshift(...[...this.waiting.values()].map((w) => w.request));
        this.open(openCompiler(this.entry, undefined, this.folder));
        return;
      }
      this.outOfMemory = /heap out of memory|Allocation failed/.test(logTail(this.path));
      this.end(
        new Error(
          `the TypeScript compiler exited${this.outOfMemory ? ` (out of memory at ${COMPILER_HEAP_MB} MB)` : ''}`
        )
      );
    });
    sendMessage(socket, setup, ...this.queued.splice(0));
  }

  /** The compiler has ended (out of memory, or a crash); make a new Compiler. */
  dead = false;
  /** Why it ended, once it has. */
  deathCause: Error | null = null;
  /** It ended because its heap was full (its log says so). */
  outOfMemory = false;

  get isReady(): boolean {
    return this.readyFlag;
  }

  convert(src: string): Promise<ConvertedCell> {
    return this.request({ op: 'convert', src }) as Promise<ConvertedCell>;
  }

  complete(src: string, position: number): Promise<CompletionAnswer> {
    return this.request({ op: 'complete', src, position }) as Promise<CompletionAnswer>;
  }

  inspect(src: string, position: number): Promise<InspectAnswer> {
    return this.request({ op: 'inspect', src, position }) as Promise<InspectAnswer>;
  }

  /**
   * A cell's declarations count for later cells, less the values in `notRun`;
   * null: those of the cell converted last (its answer had `declarationsFollow`).
   * Written with the next request, which is the first to need it.
   */
  commit(declarations: string | null, notRun: string[]): void {
    if (!this.dead) this.queued.push({ op: 'commit', declarations, notRun });
  }

  isComplete(src: string): Promise<CompletenessAnswer> {
    return this.request({ op: 'isComplete', src }) as Promise<CompletenessAnswer>;
  }

  /** Lets go of the compiler: it drops this kernel's checker (and goes, once no kernel is left). */
  async dispose(): Promise<void> {
    this.disposing = true;
    this.end(new Error('the TypeScript compiler was let go'));
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }

  /** Once nothing is asked for `idleMs`, the connection goes; the engine makes another on need. */
  private watchIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    if (this.waiting.size > 0 || this.following.size > 0 || this.dead) return;
    this.idle = setTimeout(() => {
      if (this.waiting.size === 0 && this.following.size === 0) void this.dispose();
    }, this.idleMs);
    this.idle.unref();
  }

  private request(req: Omit2<CompilerRequest>): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('the TypeScript compiler has ended'));
    if (this.idle) clearTimeout(this.idle);
    const request = { ...req, id: this.nextId++ } as CompilerRequest;
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { request, resolve, reject });
      this.queued.push(request);
      if (this.socket) sendMessage(this.socket, ...this.queued.splice(0));
    });
  }

  /** Requests in flight fail with the cause; later ones are refused at once. */
  private end(error: Error): void {
    this.dead = true;
    this.deathCause ??= error;
    for (const w of this.waiting.values()) w.reject(this.deathCause);
    this.waiting.clear();
    for (const follow of this.following.values()) follow(null);
    this.following.clear();
    this.queued.length = 0;
  }
}
