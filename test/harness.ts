import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelClient } from '../kernel/client/client';
import { kernelArgv } from '../kernel/supervisor';

export const ROOT = join(__dirname, '..');
export const CLI = join(ROOT, 'lib', 'kernel', 'cli', 'warren.js');
/** The stock Jupyter that `npm test`'s set-up installs (scripts/venv.js). */
export const VENV_BIN = join(ROOT, '.venv', 'bin');

/** A fresh Jupyter data dir, so history and kernelspecs never touch the user's. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'warren-data-'));
}

let compilers: string | null = null;

/** This test file's folder for its kernels' compiler socket. */
export function compilerDir(): string {
  compilers ??= mkdtempSync(join(tmpdir(), 'warren-compilers-'));
  return compilers;
}

export function launchWarren(
  options: KernelClient.ILaunchOptions & { language?: 'typescript' | 'javascript' } = {}
): Promise<KernelClient> {
  const env = {
    JUPYTER_DATA_DIR: options.env?.JUPYTER_DATA_DIR ?? tempDataDir(),
    // The kernels of one test file share a compiler, as a user's do; the
    // files' compilers are apart, and go soon after the file's last kernel.
    WARREN_COMPILER_DIR: compilerDir(),
    WARREN_COMPILER_LINGER_S: '5',
    ...options.env
  };
  return KernelClient.launch(kernelArgv(CLI, options.language ?? 'typescript'), {
    ...options,
    env
  });
}

export function text(
  messages: { header: { msg_type: string }; content: Record<string, unknown> }[],
  name = 'stdout'
): string {
  return messages
    .filter((m) => m.header.msg_type === 'stream' && m.content.name === name)
    .map((m) => String(m.content.text))
    .join('');
}

/** The text/plain of a cell's execute_result, if it had one. */
export function result(
  messages: { header: { msg_type: string }; content: Record<string, unknown> }[]
): string | undefined {
  const r = messages.find((m) => m.header.msg_type === 'execute_result');
  return (r?.content.data as Record<string, string> | undefined)?.['text/plain'];
}

export function types(messages: { header: { msg_type: string } }[]): string[] {
  return messages.map((m) => m.header.msg_type);
}
