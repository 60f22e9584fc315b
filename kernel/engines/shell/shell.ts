import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { alive } from '../../pids';
import type { Completion, OutputSink } from '../engine';
import type { PtyProcess } from './pty';
import { spawnPty } from './pty';
import { ShellCompleter } from './complete';
import { watchStdin } from './stdin-watch';
import { ScreenDisplay } from './screen-display';
import { TerminalText } from './terminal';
import type { DcsEnd } from './terminal';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  /** The signal that ended the command, e.g. 'SIGINT', or null. */
  signal: string | null;
  lines: string[];
  /** Characters the command wrote past the capture limit and that were dropped (0 if none). */
  dropped: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  interrupted: boolean;
}

/**
 * Characters captured per stream at most. A JavaScript string holds about 512
 * million; past that, appending throws, and the output was cut short with no
 * word said. Past this limit the rest is read and counted, not kept.
 */
export const CAPTURE_LIMIT = 256 * 1024 * 1024;
/** How long a finished command's output must be quiet before its terminal is let go. */
const QUIET_MS = 2;
/** After reading resumes, how long the output must stay away before it is taken to have stopped. */
const RESUME_GRACE_MS = 20;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGKILL'];
/** The pty's height: the screen a command that moves its cursor up draws on. */
const ROWS = 40;
/**
 * How long a redrawn line (a progress bar's `\r`) waits before it is shown.
 * Nested bars draw their first frames as separate writes: the outer bar, a
 * line end, the inner bar, then the move back up. Shown at once, the first
 * two would stay in the stream above the screen that then takes over.
 */
const REDRAW_HOLD_MS = 30;

/**
 * Shell commands from cells: each in a pseudo-terminal of its own, in its own
 * process group, with the kernel's environment, streaming through the
 * terminal renderer into the sink. Keeps the working directory and the
 * environment that `%cd` and `%env` change.
 */
export class ShellEngine {
  cwd = process.cwd();
  readonly env: Record<string, string> = Private.baseEnv();
  /** The last command's exit status (null if a signal ended it). */
  exitCode: number | null = 0;
  /**
   * Every command running now: a cell may start several at once
   * (`await Promise.all([$\`a\`, $\`b\`])`), and an interrupt is for all of them.
   */
  private readonly running = new Set<Private.Running>();
  private readonly completer = new ShellCompleter(() => ({
    cwd: this.cwd,
    path: this.env.PATH ?? ''
  }));
  /** Sixel and other DCS bodies, for the sixel extractor to turn into images. */
  onDcs: ((body: string, sink: OutputSink, end: DcsEnd) => void) | null = null;
  /**
   * Answers a terminal query (`ESC [ params final`; `column` is the cursor's)
   * or returns null; the answer is written to the command's pty, as a terminal would.
   */
  onQuery: ((params: string, final: string, column: number) => string | null) | null = null;

  /** How wide the page's output is, in characters, once a page said (`setColumns`). */
  private pageColumns: number | null = null;

  constructor(private readonly options: ShellEngine.IOptions = {}) {}

  /**
   * The terminal's width: the engine's option, else COLUMNS where the user
   * set it (`%env COLUMNS=100`), else the width the page's output has, else 120.
   */
  private columns(): number {
    return this.options.columns ?? (Number(this.env.COLUMNS) || this.pageColumns || 120);
  }

  /**
   * The page's output is `columns` characters wide: commands started from now
   * on get a terminal that wide, and those running now are resized (their
   * programs get SIGWINCH, and a progress bar drawn after it fits).
   */
  setColumns(columns: number): void {
    const before = this.columns();
    this.pageColumns = columns;
    const now = this.columns();
    if (now === before) return;
    for (const r of this.running) {
      r.pty?.resize(now, ROWS);
      r.term?.resize(now);
    }
  }

  /** Runs `command` with bash (or sh) in a pty, streaming to `sink`. */
  run(command: string, sink: OutputSink, shell: 'bash' | 'sh' = 'bash'): Promise<RunResult> {
    const cols = this.columns();
    const pty = spawnPty(
      shell === 'bash' ? '/bin/bash' : '/bin/sh',
      ['-c', Private.endsOnInterrupt(Private.keepsJobs(command))],
      {
        cwd: this.cwd,
        env: this.env,
        cols,
        rows: ROWS
      }
    );
    const term = new TerminalText(cols, ROWS);
    const state: Private.Running = { pty, term, interrupts: 0 };
    this.running.add(state);
    const display = new ScreenDisplay(sink);
    term.onDcs = (body, end) => {
      flush();
      // An image goes below what the screen shows, and the text after it below the image.
      if (term.screen) {
        display.freeze(term.screen);
        term.restartScreen();
      }
      this.onDcs?.(body, sink, end);
    };
    // The screen went quiet and the output is back on the stream: the display
    // keeps what the screen showed above the line being drawn, and the stream
    // goes on below it (publishing it pushes any stream text before it first).
    term.onScreenEnd = (screen) => display.freeze(screen);
    term.onQuery = (params, final) => {
      const answer = this.onQuery?.(params, final, term.column);
      if (answer) pty.write(answer);
    };
    let paused = false;
    // Terminal text goes to the sink as each read is rendered: the sink is the
    // one place that coalesces stream output (by size and time), for every
    // engine. A timer here too put a second delay in series with it.
    let held: NodeJS.Timeout | null = null;
    const flush = () => {
      if (held) clearTimeout(held);
      held = null;
      term.redrawn = false;
      const text = term.take();
      if (text) sink.stream('stdout', text);
      if (term.screen) display.update(term.screen);
    };
    /** Shows what a read drew: at once, but a redrawn line a moment later (see REDRAW_HOLD_MS). */
    const show = () => {
      if (term.screen || !(held || term.redrawn)) return flush();
      held ??= setTimeout(flush, REDRAW_HOLD_MS);
    };
    let lastData = performance.now();
    /** When the output may be taken to have stopped coming: QUIET_MS after the last data, or a grace after a resume. */
    let quietAfter = lastData + QUIET_MS;
    const resume = () => {
      if (!paused) return;
      paused = false;
      // Reading starts again on a later turn of the loop: until it has had
      // the chance, silence means nothing.
      quietAfter = performance.now() + RESUME_GRACE_MS;
      pty.resume();
    };
    const stdinWatch = watchStdin(pty, term, sink, () => lastData);
    // A command's exit hangs its terminal up, and the hang-up discards output
    // still queued in it: a command that writes and exits at once (img2sixel)
    // would lose its end. So the slave side is held open here from the start,
    // and released once the command is gone and its output has stopped
    // coming; node-pty then reads to the end of the stream.
    const release = pty.holdOpen();
    let closeUntil = performance.now() + 200;
    let hold: NodeJS.Timeout | null = null;
    state.watchClosely = () => {
      closeUntil = performance.now() + 200;
      if (hold) {
        clearTimeout(hold);
        watchExit();
      }
    };
    const watchExit = () => {
      hold = setTimeout(
        () => {
          if (alive(pty.pid)) return watchExit();
          // Paused for the outbox, nothing is being read: letting go now would
          // lose what is still queued (a 100 MB flood lost 10 KB near its end).
          // The outbox drains, reading resumes, and the output then goes quiet.
          if (paused) return watchExit();
          if (performance.now() < quietAfter) return watchExit();
          // A timer can run before the loop's poll has read what the command
          // wrote just before it ended (a busy machine): one more turn of the
          // loop, which polls the pty, and any data read then keeps it open.
          const seen = lastData;
          hold = setTimeout(() => {
            if (lastData !== seen) return watchExit();
            hold = null;
            release();
          }, 0);
        },
        // Quick commands, and commands just interrupted, are seen to end
        // quickly; long ones are checked less often.
        performance.now() < closeUntil ? 1 : 20
      );
    };
    watchExit();
    return new Promise<RunResult>((done) => {
      pty.onData((data) => {
        lastData = performance.now();
        quietAfter = lastData + QUIET_MS;
        term.write(data);
        show();
        // Backpressure: a command that floods waits for the kernel's outbox.
        const wait = paused ? null : sink.room();
        if (wait) {
          paused = true;
          pty.pause();
          void wait.then(resume);
        }
      });
      pty.onExit(({ exitCode, signal }) => {
        // node-pty reports the exit only once the pty's stream closed, so every
        // byte has been read; one turn of the loop lets the last data handler run.
        setImmediate(() => {
          stdinWatch.stop();
          if (hold) clearTimeout(hold);
          release();
          term.write('');
          flush();
          const rest = term.end();
          if (rest) sink.stream('stdout', rest);
          if (term.screen) display.end(term.screen);
          const interrupted = state.interrupts > 0;
          if (interrupted) {
            // Whatever the command left in its group goes with it.
            pty.signalGroup('SIGKILL');
          }
          this.running.delete(state);
          const signalName = signal ? Private.signalName(signal) : null;
          this.exitCode = signalName ? null : exitCode;
          done({ exitCode: signalName ? null : exitCode, signal: signalName, interrupted });
        });
      });
    });
  }

  /** Runs `command` with pipes (no terminal), collecting its output without printing. */
  capture(command: string): Promise<ShellResult> {
    return new Promise((resolveResult) => {
      const child = spawn('/bin/bash', ['-c', Private.endsOnInterrupt(command)], {
        cwd: this.cwd,
        env: this.env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe']
      });
      const state: Private.Running = { childPid: child.pid, interrupts: 0 };
      this.running.add(state);
      let stdout = '';
      let stderr = '';
      let dropped = 0;
      const keep = (kept: string, d: string): string => {
        const room = CAPTURE_LIMIT - kept.length;
        if (d.length <= room) return kept + d;
        dropped += d.length - Math.max(0, room);
        return room > 0 ? kept + d.slice(0, room) : kept;
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = keep(stdout, d)));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = keep(stderr, d)));
      child.on('error', (e) => (stderr += String(e)));
      child.on('close', (code, signal) => {
        this.running.delete(state);
        this.exitCode = code;
        resolveResult({
          stdout,
          stderr,
          exitCode: code,
          signal,
          lines: stdout.split('\n').filter((l, i, a) => l.length > 0 || i < a.length - 1),
          dropped
        });
      });
    });
  }

  /**
   * SIGINT to each running command's process group; a second interrupt sends
   * SIGTERM and a third SIGKILL, for commands that ignore the first.
   */
  interrupt(): boolean {
    for (const r of this.running) {
      const signal = SIGNALS[Math.min(r.interrupts, SIGNALS.length - 1)];
      r.interrupts++;
      if (r.pty) {
        r.pty.signalGroup(signal);
        r.watchClosely?.();
      } else if (r.childPid) {
        try {
          process.kill(-r.childPid, signal);
        } catch {
          // gone
        }
      }
    }
    return this.running.size > 0;
  }

  cd(target: string): string {
    const dir = resolve(
      this.cwd,
      target.trim() === '' ? homedir() : target.trim().replace(/^~(?=$|\/)/, homedir())
    );
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`cd: no such directory: ${dir}`);
    }
    this.cwd = dir;
    // Node's own relative paths (fs in cells) follow the shell's.
    process.chdir(dir);
    return dir;
  }

  setEnv(name: string, value: string): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new Error(`env: not a variable name: ${name}`);
    this.env[name] = value;
    process.env[name] = value;
  }

  unsetEnv(name: string): void {
    delete this.env[name];
    delete process.env[name];
  }

  /** Command names from PATH and file paths, for the word at `cursor` of a shell line. */
  complete(line: string, cursor: number, offset: number): Promise<Completion> {
    return this.completer.complete(line, cursor, offset);
  }
}

export namespace ShellEngine {
  export interface IOptions {
    columns?: number;
  }
}

namespace Private {
  /** A command being run: in a pty (`run`) or with pipes (`capture`). */
  export interface Running {
    pty?: PtyProcess;
    term?: TerminalText;
    childPid?: number;
    interrupts: number;
    /** Watch for the command's end closely for a while (it was just signalled). */
    watchClosely?: () => void;
  }

  /**
   * The script with a trap that ends it on SIGINT. Without it, bash's
   * cooperative exit goes on to the next line when the foreground command
   * catches SIGINT and exits on its own (MRtrix3's Python scripts do): the
   * shell then takes the interrupt for the command's business. A trapped
   * SIGINT instead ends the shell as soon as that command is done. It goes
   * on the script's first line, so bash's line numbers in errors stay right.
   */
  export function endsOnInterrupt(script: string): string {
    return `trap 'exit 130' INT; ${script}`;
  }

  /**
   * A script that starts a background job (`nohup tensorboard ... &`,
   * `setsid ... &`, a bare `sleep 300 &`) with SIGHUP ignored, by the shell
   * and so by what it starts. The shell leads the pty's session with no job
   * control, so such a job is in the terminal's foreground group; when the
   * shell exits, the kernel hangs that group up, and the job died with the
   * cell, before nohup could ignore the signal. Interrupts (INT, TERM, KILL)
   * still reach the whole group. (Job control, set -m, would give jobs groups
   * of their own, but it prints "[1]+ Done" notices, leaves a job's stdin on
   * the terminal, and moves the foreground command out of the group that
   * interrupts signal.) Only such a script: any other command still ends
   * with the hang-up should the kernel be killed outright while it runs.
   */
  export function keepsJobs(script: string): string {
    return startsJob(script) ? `trap '' HUP; ${script}` : script;
  }

  /**
   * Whether a script may start a background job: an `&` that is no `&&`,
   * no redirection (`2>&1`, `&>`, `>&2`) and no `|&` (one inside quotes
   * counts too, which costs nothing but the hang-up).
   */
  export function startsJob(script: string): boolean {
    return /(?<![&|<>\\])&(?![&>])/.test(script);
  }

  export function baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.TERM = env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm-256color';
    // Tools that ask for colour through this see a colour terminal. No
    // FORCE_COLOR: the pty is a terminal, so programs colour themselves there,
    // and a forced colour went into captures and files (`!node x.js > out.txt`).
    env.CLICOLOR = '1';
    // A pager (less) in a cell's terminal waits for keys no one presses:
    // `git log` or Python's help() would hang the cell. As ipykernel does,
    // output goes straight through; `%env PAGER=...` in a cell still wins.
    env.PAGER = 'cat';
    env.GIT_PAGER = 'cat';
    return env;
  }

  export function signalName(signal: number): string {
    const names: Record<number, string> = {
      1: 'SIGHUP',
      2: 'SIGINT',
      3: 'SIGQUIT',
      6: 'SIGABRT',
      9: 'SIGKILL',
      11: 'SIGSEGV',
      13: 'SIGPIPE',
      15: 'SIGTERM'
    };
    return names[signal] ?? `signal ${signal}`;
  }
}

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
