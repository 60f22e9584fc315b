import { resolve } from 'node:path';
import { parseParameter } from '../services/runner/params';
import type { Parameters } from '../services/runner/params';
import { NotebookRunner } from '../services/runner/runner';

export const RUN_USAGE =
  '  warren run NOTEBOOK.ipynb [-o OUT.ipynb] [-p name=value ...] [--timeout S] [--kernel NAME] [--cwd DIR]';

/** `warren run`: 0 when every cell ran, 1 on a failed cell, 130/143 on a signal, 2 on bad usage. */
export async function runCommand(args: string[]): Promise<number> {
  let input: string | undefined;
  let output: string | undefined;
  let timeoutS: number | undefined;
  let kernel: string | undefined;
  let cwd: string | undefined;
  const parameters: Parameters = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '-o' || a === '--output') output = next();
    else if (a === '-p' || a === '--parameter') {
      const [name, value] = parseParameter(next());
      parameters[name] = value;
    } else if (a === '--timeout') timeoutS = Number(next());
    else if (a === '--kernel') kernel = next();
    else if (a === '--cwd') cwd = next();
    else if (!a.startsWith('-') && input === undefined) input = a;
    else throw new Error(`warren run: unexpected argument ${a}\nusage:\n${RUN_USAGE}`);
  }
  if (!input) throw new Error(`warren run: NOTEBOOK is required\nusage:\n${RUN_USAGE}`);
  const runner = new NotebookRunner({
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
  for (const warning of runner.warnings) process.stderr.write(`${warning}\n`);
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    process.stderr.write(`warren run: ${signal}: interrupting the kernel and saving\n`);
    void runner.cancel('cancelled');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const result = await runner.run();
  process.stderr.write(`warren run: ${result.status}: ${result.message}\n`);
  if (signalled) return signalled === 'SIGINT' ? 130 : 143;
  return result.status === 'ok' ? 0 : 1;
}
