import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  spawnError: boolean;
}

/**
 * The vendor tools' processes (nvidia-smi, rocm-smi) for one collector: short
 * commands with a deadline, and the long-lived stream, all tracked so that
 * `stop()` leaves none behind.
 */
export class ToolRunner {
  private readonly children = new Set<ChildProcess>();

  /** `timeoutMs`: read at each run (it follows the sampling interval). */
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly timeoutMs: () => number
  ) {}

  /** Starts a long-lived tool (argument array only, output piped), tracked until it ends. */
  start(file: string, args: string[]): ChildProcess {
    const child = spawn(file, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.track(child);
    return child;
  }

  /** Kept until it ends, so `stop()` can reap it. */
  private track(child: ChildProcess): void {
    this.children.add(child);
    child.on('close', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
  }

  /** One short command, argument array only, killed (SIGKILL) if silent past the timeout. */
  run(file: string, args: string[]): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn(file, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.track(child);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let spawnError = false;
      child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.timeoutMs());
      let settled = false;
      const done = (code: number | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ code: spawnError ? -1 : code, stdout, stderr, timedOut, spawnError });
      };
      child.on('error', (err) => {
        spawnError = true;
        stderr += err.message;
        done(-1);
      });
      child.on('close', (code) => done(code));
    });
  }

  /** Kills every child and waits for each to be reaped. */
  async stop(): Promise<void> {
    await Promise.all([...this.children].map((c) => reap(c)));
  }
}

/** The first executable file called `name` on `path`; no shell is involved. */
export function which(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Sends SIGTERM, then SIGKILL after a second, and resolves once the child is reaped. */
function reap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
