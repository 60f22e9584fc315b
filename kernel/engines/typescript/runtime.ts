import { Console } from 'node:console';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { JSONObject } from '../../../src/contract';
import type { MimeBundle, OutputSink } from '../engine';
import { exitAllowed } from '../../exit';
import type { Displayable } from './format';
import { BUNDLE, toBundle, toError } from './format';

/** `display`'s options as a cell gives them. */
interface DisplayOptions {
  id?: string;
  update?: boolean;
  metadata?: { [key: string]: unknown };
}

/**
 * What cells see as globals: `display`, `input`, `page`, and a `console` that
 * writes to the running cell. Output made after a cell ended (a timer) goes to
 * the last cell, as ipykernel does.
 */
export class Runtime {
  private sink: OutputSink | null = null;
  /**
   * The names `declarations` declares. The converter treats declared names as
   * earlier cells' exports, so the engine puts these on its exports too.
   */
  readonly globals: Record<string, unknown>;
  /** The globals this class defines itself, typed: the cell API checks them against their declarations. */
  readonly builtins = {
    display: this.makeDisplay(),
    input: (prompt = '', options: { password?: boolean } = {}) =>
      this.need().input(String(prompt), options.password === true),
    page: (value: string | MimeBundle) =>
      this.need().page(typeof value === 'string' ? { 'text/plain': value } : value),
    rich: (bundle: MimeBundle): Displayable => ({ [BUNDLE]: bundle })
  };
  private readonly writeOut = process.stdout.write.bind(process.stdout);
  private readonly writeErr = process.stderr.write.bind(process.stderr);

  /**
   * The ambient declarations of every global, for the TypeScript checker.
   * The cell API (kernel/api) sets them: they are generated from the types
   * in api/globals.ts, which the objects here and there are checked against.
   */
  declarations = '';

  /** Adds a global for cells, with its TypeScript declaration. */
  define(name: string, value: unknown, declaration: string): void {
    this.globals[name] = value;
    (globalThis as Record<string, unknown>)[name] = value;
    this.declarations += declaration + '\n';
  }

  /** The sink of the running cell (or the last one). */
  current(): OutputSink {
    return this.need();
  }

  constructor() {
    const stream = (name: 'stdout' | 'stderr') =>
      new Writable({
        decodeStrings: false,
        write: (chunk: string | Uint8Array, _encoding, done) => {
          this.write(name, chunk);
          done();
        }
      });
    (globalThis as Record<string, unknown>).console = new Console({
      stdout: stream('stdout'),
      stderr: stream('stderr'),
      colorMode: false
    });
    this.globals = { ...this.builtins };
    Object.assign(globalThis, this.globals);
    // Bytes written straight to process.stdout belong to the cell too.
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (this.sink) {
        this.write('stdout', chunk);
        const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        cb?.();
        return true;
      }
      return this.writeOut(chunk as string);
    }) as typeof process.stdout.write;
  }

  /** The kernel's own log line: to the real stderr, never into a cell. */
  log(text: string): void {
    this.writeErr(`[warren] ${text}\n`);
  }

  /**
   * Keeps the kernel alive through errors that no cell catches: one thrown in
   * a timer or an event handler, or a promise rejected that nobody awaited
   * (Node would end the process, and every variable with it). The error goes
   * to the running cell, or the last one (as late output does), and to the log.
   */
  catchStrayErrors(): void {
    const report = (where: string) => (error: unknown) => {
      const { evalue, traceback } = toError(error);
      const text = `${traceback[0]} (${where}; the kernel goes on)\n${traceback.slice(1).join('\n')}`;
      this.log(`${where}: ${evalue}`);
      if (this.sink) this.sink.stream('stderr', text.trimEnd() + '\n');
    };
    process.on('uncaughtException', report('thrown outside any cell, in a callback'));
    process.on('unhandledRejection', report('a promise rejected that nothing awaited'));
  }

  /**
   * `process.exit()` from a cell (or a library it calls) throws instead of
   * ending the kernel, as Python's sys.exit() does in ipykernel.
   */
  guardExit(): void {
    const exit = process.exit.bind(process);
    process.exit = ((code?: number | string | null) => {
      if (exitAllowed()) return exit(code);
      throw new Error(
        `process.exit(${code ?? ''}) would end the kernel and every variable with it; ` +
          'restart or shut it down from the Kernel menu instead'
      );
    }) as typeof process.exit;
  }

  use(sink: OutputSink): void {
    this.sink = sink;
  }

  private need(): OutputSink {
    if (!this.sink) throw new Error('no cell is running');
    return this.sink;
  }

  private write(name: 'stdout' | 'stderr', chunk: string | Uint8Array): void {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (this.sink) this.sink.stream(name, text);
    else (name === 'stdout' ? this.writeOut : this.writeErr)(text);
  }

  private makeDisplay() {
    const show = (bundle: MimeBundle, options: DisplayOptions = {}) =>
      this.need().display(bundle, {
        displayId: options.id,
        update: options.update,
        // A cell passes any object; it goes out as JSON.
        metadata: options.metadata as JSONObject | undefined
      });
    const b64 = (v: Uint8Array | string) =>
      typeof v === 'string'
        ? v.startsWith('/') || v.startsWith('.')
          ? readFileSync(v).toString('base64')
          : v
        : Buffer.from(v).toString('base64');
    const display = (value: unknown, options?: DisplayOptions) => show(toBundle(value), options);
    return Object.assign(display, {
      html: (s: string, o?: object) => show({ 'text/html': s, 'text/plain': s }, o),
      markdown: (s: string, o?: object) => show({ 'text/markdown': s, 'text/plain': s }, o),
      svg: (s: string, o?: object) => show({ 'image/svg+xml': s, 'text/plain': '<svg image>' }, o),
      png: (v: Uint8Array | string, o?: object) =>
        show({ 'image/png': b64(v), 'text/plain': '<png image>' }, o),
      jpeg: (v: Uint8Array | string, o?: object) =>
        show({ 'image/jpeg': b64(v), 'text/plain': '<jpeg image>' }, o),
      json: (v: unknown, o?: object) =>
        show(
          {
            'application/json': JSON.parse(JSON.stringify(v ?? null)),
            'text/plain': JSON.stringify(v)
          },
          o
        ),
      text: (s: string, o?: object) => show({ 'text/plain': s }, o),
      latex: (s: string, o?: object) => show({ 'text/latex': s, 'text/plain': s }, o),
      mime: (bundle: MimeBundle, o?: object) => show(bundle, o),
      clear: (wait = false) => this.need().clear(wait)
    });
  }
}
