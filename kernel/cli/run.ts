import { constants } from 'node:os';
import { resolve } from 'node:path';
import { parseParameter, UsageError } from '../services/runner/params';
import type { Parameters } from '../services/runner/params';
import { NotebookRunner } from '../services/runner/runner';

export const RUN_USAGE =
  '  warren run NOTEBOOK.ipynb [-o OUT.ipynb] [-p name=value ...] [--timeout S] [--kernel NAME] [--cwd DIR]';

/** The longest --timeout a timer can hold (Node's setTimeout: 2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

/** `warren run`: 0 when every cell ran, 1 on a failed cell, 128 + N on SIGHUP, SIGINT or SIGTERM, 2 on bad usage. */
export async function runCommand(args: string[]): Promise<number> {
  let input: string | undefined;
  let output: string | undefined;
  let timeoutS: number | undefined;
  let kernel: string | undefined;
  let cwd: string | undefined;
  const parameters: Parameters = {};
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const next = () => {
        const v = args[++i];
        if (v === undefined) throw new Error(`${a} needs a value`);
        return v;
      };
      if (a === '-h' || a === '--help') {
        process.stdout.write(`usage:\n${RUN_USAGE}\n`);
        return 0;
      } else if (a === '-o' || a === '--output') output = next();
      else if (a === '-p' || a === '--parameter') {
        const [name, value] = parseParameter(next());
        parameters[name] = value;
      } else if (a === '--timeout') timeoutS = Private.seconds(next());
      else if (a === '--kernel') kernel = next();
      else if (a === '--cwd') cwd = next();
      else if (!a.startsWith('-') && input === undefined) input = a;
      else throw new Error(`unexpected argument ${a}`);
    }
    if (!input) throw new Error('NOTEBOOK is required');
  } catch (error) {
    process.stderr.write(
      `warren run: ${error instanceof Error ? error.message : String(error)}\nusage:\n${RUN_USAGE}\n`
    );
    return 2;
  }
  let runner: NotebookRunner;
  try {
    runner = new NotebookRunner({
      input: resolve(input),
      output: resolve(output ?? input),
      parameters,
      timeoutS,
      kernel,
      cwd,
      onEvent: (e) => {
        if (e.type === 'cell')
          process.stderr.write(`warren run: cell ${e.index} (${e.position + 1}/${e.total})\n`);
      }
    });
  } catch (error) {
    // A parameter the notebook's language cannot take is known only once the notebook is read.
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`warren run: ${error.message}\nusage:\n${RUN_USAGE}\n`);
    return 2;
  }
  for (const warning of runner.warnings) process.stderr.write(`${warning}\n`);
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    // After a SIGHUP the terminal is gone: a failed write must not end the save.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    process.stderr.write(`warren run: ${signal}: interrupting the kernel and saving\n`);
    void runner.cancel('cancelled');
  };
  // SIGHUP too: a run started from a terminal that closes (ssh dropped)
  // would die by it with the notebook still marked running.
  for (const signal of Private.STOP_SIGNALS) process.on(signal, onSignal);
  const result = await runner.run();
  process.stderr.write(`warren run: ${result.status}: ${result.message}\n`);
  if (signalled) return 128 + constants.signals[signalled];
  return result.status === 'ok' ? 0 : 1;
}

namespace Private {
  export const STOP_SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGTERM'];

  /** --timeout's value: seconds, more than 0 and no more than a timer holds. */
  export function seconds(text: string): number {
    const s = Number(text);
    if (!Number.isFinite(s) || s <= 0 || s > MAX_TIMEOUT_S)
      throw new Error(
        `--timeout takes seconds, more than 0 and at most ${MAX_TIMEOUT_S}, not ${JSON.stringify(text)}`
      );
    return s;
  }
}
