import type { OutputSink } from '../engine';
import { Interrupted } from '../engine';
import type { ShellEngine, ShellResult } from './shell';
import { CAPTURE_LIMIT } from './shell';
import { RUNTIME } from './syntax';

/** A non-zero exit where the user asked for errors (`shell.raise = true`, or `%%bash`). */
export class ShellError extends Error {
  override name = 'CalledProcessError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | null
  ) {
    super(
      signal
        ? `command was killed by ${signal}: ${command}`
        : `command exited with status ${exitCode}: ${command}`
    );
  }
}

export const DECLARATIONS = `
interface ShellResult {
  readonly stdout: string; readonly stderr: string; readonly exitCode: number | null; readonly signal: string | null; readonly lines: string[];
  /** Characters past the capture limit (256 M per stream) that were read and dropped; 0 if none. */
  readonly dropped: number;
}
interface WarrenShell {
  /** Exit status of the last command (null when a signal ended it). */
  readonly exitCode: number | null;
  /** When true, a failing ! command throws CalledProcessError. */
  raise: boolean;
  readonly cwd: string;
  readonly env: { [name: string]: string };
  run(command: string): Promise<number | null>;
  capture(command: string): Promise<ShellResult>;
}
declare const shell: WarrenShell;
/** Tagged template capture, as zx spells it: const r = await $ followed by a template literal. */
declare function $(strings: TemplateStringsArray, ...values: unknown[]): Promise<ShellResult>;
declare const ${RUNTIME}: {
  run(command: string): Promise<void>;
  capture(command: string): Promise<ShellResult>;
  magic(name: string, arg: string): Promise<void>;
  script(shell: 'bash' | 'sh', args: string, body: string): Promise<void>;
};
`;

/**
 * The globals cells use to reach the shell: `shell`, the `$` tag, and the
 * hidden runtime that rewritten `!` lines and `%` magics call.
 */
export interface ShellRuntime {
  run(command: string): Promise<void>;
  capture(command: string): Promise<ShellResult>;
  magic(name: string, arg: string): Promise<void>;
  script(shell: 'bash' | 'sh', args: string, body: string): Promise<void>;
}

/** A line magic added from outside the shell engine (`%mount`): its argument line and the cell's sink. */
export type LineMagic = (arg: string, out: OutputSink) => Promise<void>;

export function shellGlobals(
  engine: ShellEngine,
  sink: () => OutputSink,
  magics: Record<string, LineMagic> = {}
): Record<string, unknown> {
  let raise = false;
  const run = async (command: string): Promise<number | null> => {
    const r = await engine.run(command, sink());
    if (r.interrupted) throw new Interrupted();
    if (raise && r.exitCode !== 0) throw new ShellError(command, r.exitCode, r.signal);
    return r.exitCode;
  };
  const capture = async (command: string): Promise<ShellResult> => {
    const r = await engine.capture(command);
    if (r.dropped > 0)
      sink().stream(
        'stderr',
        `warning: ${command}: ${r.dropped} characters past the capture limit (${CAPTURE_LIMIT / 2 ** 20} M a stream) were dropped; ` +
          'redirect the output to a file to keep all of it\n'
      );
    if (raise && r.exitCode !== 0) throw new ShellError(command, r.exitCode, r.signal);
    return r;
  };
  const shell = {
    get exitCode() {
      return engine.exitCode;
    },
    get raise() {
      return raise;
    },
    set raise(v: boolean) {
      raise = v === true;
    },
    get cwd() {
      return engine.cwd;
    },
    get env() {
      return engine.env;
    },
    run,
    capture
  };
  const tag = (strings: TemplateStringsArray, ...values: unknown[]) =>
    capture(
      strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '')
    );
  const magic = async (name: string, arg: string) => {
    const out = sink();
    switch (name) {
      case 'cd':
        out.stream('stdout', engine.cd(arg) + '\n');
        break;
      case 'pwd':
        out.stream('stdout', engine.cwd + '\n');
        break;
      case 'env':
      case 'set_env': {
        const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*|\s+)(.*)$/.exec(arg);
        if (m) {
          engine.setEnv(m[1], m[2]);
          out.stream('stdout', `env: ${m[1]}=${m[2]}\n`);
        } else if (arg.trim()) {
          out.stream('stdout', `${engine.env[arg.trim()] ?? ''}\n`);
        } else {
          out.stream(
            'stdout',
            Object.keys(engine.env)
              .sort()
              .map((k) => `${k}=${engine.env[k]}`)
              .join('\n') + '\n'
          );
        }
        break;
      }
      default:
        if (!Object.hasOwn(magics, name)) throw new Error(`unknown magic %${name}`);
        await magics[name](arg, out);
    }
  };
  return {
    shell,
    $: tag,
    [RUNTIME]: {
      run: async (command: string) => {
        await run(command);
      },
      capture,
      magic,
      script: async (kind: 'bash' | 'sh', args: string, body: string) => {
        const r = await engine.run(`set -- ${args}\n${body}`, sink(), kind);
        if (r.interrupted) throw new Interrupted();
        if (r.exitCode !== 0) throw new ShellError(`%%${kind}`, r.exitCode, r.signal);
      }
    }
  };
}
