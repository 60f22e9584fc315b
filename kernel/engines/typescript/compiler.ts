import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
 * The kernel's handle on the compiler process (compiler-process.ts). It
 * starts as soon as this is constructed: from the startup snapshot beside the
 * entry when there is one, else (or when this Node cannot load that blob) as
 * a plain script. It has a process group of its own, so an interrupt that
 * ends what a cell started leaves it alone, and it ends when the kernel does.
 */
export class Compiler {
  private child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { request: CompilerRequest; resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readyFlag = false;
  readonly ready: Promise<void>;
  private markReady: () => void = () => {};

  constructor(
    private readonly entry: string,
    private readonly setup: CompilerSetup
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const blob = join(dirname(entry), 'compiler.blob');
    this.child = this.launch(existsSync(blob) ? ['--snapshot-blob', blob] : [entry]);
  }

  private launch(args: string[]): ChildProcess {
    const child = spawn(process.execPath, [`--max-old-space-size=${COMPILER_HEAP_MB}`, ...args], {
      cwd: this.setup.cwd,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.on('message', (a: CompilerAnswer) => {
      if (a.id === -1) {
        this.readyFlag = true;
        this.markReady();
        return;
      }
      const w = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (!w) return;
      if (a.ok) w.resolve(a.value);
      else w.reject(new Error(a.error));
    });
    child.on('error', (error) => this.end(error));
    child.on('exit', (code, signal) => {
      if (this.child !== child || this.dead) return;
      if (!this.readyFlag && args[0] === '--snapshot-blob') {
        // A blob this Node cannot load: the plain script, with every request so far.
        this.child = this.launch([this.entry]);
        for (const w of this.waiting.values()) this.child.send(w.request);
        return;
      }
      const why = signal ?? `code ${code}`;
      const outOfMemory = /heap out of memory|Allocation failed/.test(stderr);
      this.end(
        new Error(
          `the TypeScript compiler exited (${why}${outOfMemory ? `, out of memory at ${COMPILER_HEAP_MB} MB` : ''})`
        )
      );
    });
    child.send(this.setup);
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    return child;
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

  private request(req: Omit2<CompilerRequest>): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('the TypeScript compiler has ended'));
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
