import type { OutputSink } from '../engines/engine';
import { Interrupted } from '../engines/engine';
import type { ShellEngine, ShellResult } from '../engines/shell/shell';
import { CAPTURE_LIMIT, ShellError } from '../engines/shell/shell';
import type { LineMagics } from './magics';
import { isLineMagic, RUNTIME, UnknownMagicError, UsageError } from './magics';
import type { CellGlobals, WarrenShellRuntime } from './globals';

/**
 * The hidden global that rewritten `!` lines and `%` magics call (declared,
 * with `shell` and `$`, in globals.ts).
 */
export type ShellRuntime = WarrenShellRuntime;

/** The line magics of the table that the shell engine itself implements. */
type ShellMagicName = 'cd' | 'pwd' | 'env' | 'set_env';

/** `%cd`, `%pwd`, `%env`, `%set_env`: the shell's working directory and environment. */
export function shellMagics(engine: ShellEngine): Pick<LineMagics, ShellMagicName> {
  const assignment = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*|\s+)(.*)$/;
  const set = (name: string, value: string, out: OutputSink) => {
    engine.setEnv(name, value);
    out.stream('stdout', `env: ${name}=${value}\n`);
  };
  return {
    cd: async (arg, out) => {
      try {
        out.stream('stdout', engine.cd(arg) + '\n');
      } catch (error) {
        throw new UsageError('cd', error instanceof Error ? error.message : String(error));
      }
    },
    pwd: async (arg, out) => {
      if (arg.trim()) throw new UsageError('pwd', `%pwd takes no arguments (got ${arg.trim()})`);
      out.stream('stdout', engine.cwd + '\n');
    },
    env: async (arg, out) => {
      const m = assignment.exec(arg);
      const name = arg.trim();
      if (m) set(m[1], m[2], out);
      else if (name === '')
        out.stream(
          'stdout',
          Object.keys(engine.env)
            .sort()
            .map((k) => `${k}=${engine.env[k]}`)
            .join('\n') + '\n'
        );
      else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        out.stream('stdout', `${engine.env[name] ?? ''}\n`);
      else throw new UsageError('env', `not a variable name: ${name}`);
    },
    set_env: async (arg, out) => {
      const m = assignment.exec(arg);
      if (!m)
        throw new UsageError('set_env', arg.trim() ? `no value for ${arg.trim()}` : 'no name');
      set(m[1], m[2], out);
    }
  };
}

export function shellGlobals(
  engine: ShellEngine,
  sink: () => OutputSink,
  /** The table's other line magics, implemented outside the shell engine (`%mount`, `%map`). */
  magics: Omit<LineMagics, ShellMagicName>
): Pick<CellGlobals, 'shell' | '$' | typeof RUNTIME> {
  const all: LineMagics = { ...shellMagics(engine), ...magics };
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
    if (!isLineMagic(name)) throw new UnknownMagicError(name, 'line');
    await all[name](arg, sink());
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
        // The words after the magic become $1, $2... on the body's first line,
        // so bash's line numbers ($LINENO, errors) count the script's lines.
        // Through eval, they are read as the magic line wrote them: quotes, and
        // a # comment that ends there.
        const positional = args.trim() ? `eval ${singleQuoted(`set -- ${args}`)}; ` : '';
        const r = await engine.run(positional + body, sink(), kind);
        if (r.interrupted) throw new Interrupted();
        if (r.exitCode !== 0) throw new ShellError(`%%${kind}`, r.exitCode, r.signal);
      }
    }
  };
}

/** `text` as one single-quoted shell word. */
function singleQuoted(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}
