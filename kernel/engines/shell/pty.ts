// The only importer of node-pty in the project.
import { closeSync, constants, openSync } from 'node:fs';
import * as nodePty from 'node-pty';

export interface PtyProcess {
  readonly pid: number;
  /** The pseudo-terminal's device, e.g. /dev/pts/3. */
  readonly device: string;
  write(data: string): void;
  pause(): void;
  resume(): void;
  /** Signals the whole process group: the command and everything it started. */
  signalGroup(signal: NodeJS.Signals): void;
  /** Sets the terminal's size; the command's foreground group gets SIGWINCH. */
  resize(cols: number, rows: number): void;
  onData(handler: (data: string) => void): void;
  /**
   * Opens the terminal's slave side here too, until the returned release is
   * called. While it is open, the command's exit does not hang the terminal
   * up, and a hang-up would discard the output nobody has read yet.
   */
  holdOpen(): () => void;
  onExit(handler: (exit: { exitCode: number; signal?: number }) => void): void;
}

export interface PtyOptions {
  cwd: string;
  env: Record<string, string>;
  cols: number;
  rows: number;
}

/** Starts `file args` in a new session (so a new process group) on a fresh pty. */
export function spawnPty(file: string, args: string[], options: PtyOptions): PtyProcess {
  const p = nodePty.spawn(file, args, {
    name: options.env.TERM ?? 'xterm-256color',
    cols: options.cols,
    rows: options.rows,
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8'
  });
  const device = (p as unknown as { _pty?: string })._pty ?? '';
  return {
    pid: p.pid,
    device,
    write: (d) => p.write(d),
    pause: () => p.pause(),
    resume: () => p.resume(),
    signalGroup(signal) {
      try {
        process.kill(-p.pid, signal);
      } catch {
        // the group is gone
      }
    },
    resize(cols, rows) {
      try {
        p.resize(cols, rows);
      } catch {
        // the terminal is gone
      }
    },
    onData: (h) => void p.onData(h),
    holdOpen() {
      let fd: number | null = null;
      try {
        fd = openSync(device, constants.O_RDWR | constants.O_NOCTTY);
      } catch {
        // no device (already gone): nothing to hold
      }
      return () => {
        if (fd !== null) closeSync(fd);
        fd = null;
      };
    },
    onExit: (h) => void p.onExit((e) => h({ exitCode: e.exitCode, signal: e.signal }))
  };
}
