import { Worker } from 'node:worker_threads';
import type {
  CompilerAnswer,
  CompilerRequest,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';

type Omit2<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * The main thread's handle on the compiler thread. The thread starts (and
 * builds its language service) as soon as this is constructed.
 */
export class Compiler {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readyFlag = false;
  readonly ready: Promise<void>;

  constructor(entry: string, isJS: boolean) {
    this.worker = new Worker(entry, {
      workerData: { isJS },
      stdout: false,
      stderr: false,
      // The language service grows with every program version it keeps; a cap
      // makes its thread collect sooner. Should it still run out, the engine
      // starts a new one: the cells' state lives on the main thread.
      resourceLimits: { maxOldGenerationSizeMb: 160 }
    });
    this.worker.unref();
    let markReady: () => void = () => {};
    this.ready = new Promise((resolve) => (markReady = resolve));
    this.worker.on('message', (a: CompilerAnswer) => {
      if (a.id === -1) {
        this.readyFlag = true;
        markReady();
        return;
      }
      const w = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (!w) return;
      if (a.ok) w.resolve(a.value);
      else w.reject(new Error(a.error));
    });
    // Out of memory comes as an 'error' (ERR_WORKER_OUT_OF_MEMORY), then 'exit'.
    this.worker.on('error', (error) => this.end(error));
    this.worker.on('exit', (code) =>
      this.end(new Error(`the TypeScript compiler thread exited (${code})`))
    );
  }

  /** The thread has ended (out of memory, or a crash); make a new Compiler. */
  dead = false;
  /** Why the thread ended, once it has. */
  deathCause: Error | null = null;

  get isReady(): boolean {
    return this.readyFlag;
  }

  convert(prevDecl: string, src: string): Promise<Converted> {
    return this.request({ op: 'convert', prevDecl, src }) as Promise<Converted>;
  }

  complete(prevDecl: string, src: string, position: number): Promise<CompletionAnswer> {
    return this.request({ op: 'complete', prevDecl, src, position }) as Promise<CompletionAnswer>;
  }

  inspect(prevDecl: string, src: string, position: number): Promise<InspectAnswer> {
    return this.request({ op: 'inspect', prevDecl, src, position }) as Promise<InspectAnswer>;
  }

  /** The declarations a cell that failed part way leaves: what ran is kept, the rest as before. */
  keepRun(prevDecl: string, declOutput: string, notRun: string[]): Promise<string> {
    return this.request({ op: 'keepRun', prevDecl, declOutput, notRun }) as Promise<string>;
  }

  isComplete(src: string): Promise<CompletenessAnswer> {
    return this.request({ op: 'isComplete', src }) as Promise<CompletenessAnswer>;
  }

  async dispose(): Promise<void> {
    await this.worker.terminate();
  }

  private request(req: Omit2<CompilerRequest>): Promise<unknown> {
    if (this.dead) return Promise.reject(new Error('the TypeScript compiler thread has ended'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
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
