import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from '../harness';

export { CLI, ROOT };

export interface CellSpec {
  source: string;
  tags?: string[];
}

/** Writes an nbformat 4.5 notebook for `kernel` and returns its path. */
export function writeNotebook(
  path: string,
  cells: CellSpec[],
  kernel: 'warren' | 'python3' = 'warren'
): string {
  const language = kernel === 'warren' ? 'typescript' : 'python';
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: kernel, display_name: kernel, language },
      language_info: { name: language }
    },
    cells: cells.map((c, i) => ({
      id: `cell${i}`,
      cell_type: 'code',
      source: c.source,
      metadata: c.tags ? { tags: c.tags } : {},
      outputs: [],
      execution_count: null
    }))
  };
  writeFileSync(path, JSON.stringify(nb, null, 1));
  return path;
}

export interface OutputLike {
  output_type: string;
  name?: string;
  text?: string;
  ename?: string;
  evalue?: string;
  data?: { 'text/plain'?: string };
}
export interface NotebookLike {
  metadata: { warren?: { status?: string; cell?: number } };
  cells: {
    source: string;
    metadata: { tags?: string[] };
    outputs: OutputLike[];
    execution_count: number | null;
  }[];
}

/** Text of one cell's outputs: streams, results and errors. */
export function cellText(nb: NotebookLike, index: number): string {
  return nb.cells[index].outputs
    .map((o) =>
      o.output_type === 'stream'
        ? o.text
        : o.output_type === 'error'
          ? `${o.ename}: ${o.evalue}`
          : (o.data?.['text/plain'] ?? '')
    )
    .join('');
}

/** A Jupyter data dir holding warren's kernelspecs (installed by the CLI). */
export function dataDirWithWarren(): string {
  const dir = mkdtempSync(join(tmpdir(), 'warren-run-data-'));
  execFileSync(process.execPath, [CLI, 'install'], {
    env: { ...process.env, JUPYTER_DATA_DIR: dir }
  });
  return dir;
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs `warren ...args`, resolving with its exit code and output. */
export function warren(
  args: string[],
  env: NodeJS.ProcessEnv,
  onStart?: (pid: number) => void
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (child.pid) onStart?.(child.pid);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function until<T>(
  probe: () => T | Promise<T>,
  timeoutMs: number,
  what: string
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
