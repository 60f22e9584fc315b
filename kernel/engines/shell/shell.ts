import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Completion, OutputSink } from '../engine';
import type { PtyProcess } from './pty';
import { spawnPty } from './pty';
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

/** Milliseconds between two pushes of terminal text to the sink. */
const FLUSH_MS = 10;
/**
 * Above this much output read since the last push, the renderer is drained at
 * once. Small pushes keep the reading loop's pauses short: encoding and
 * posting a large message at once lets the pty's buffer fill and stalls the
 * command. Pushing 10 ms of a flood at a time (560 KB) gave 42 MB/s through
 * `!`; 32 KB gives 58 (bench/shell.ts).
 */
const FLUSH_BYTES = 32 * 1024;
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
  private running: {
    pty?: PtyProcess;
    childPid?: number;
    interrupts: number;
    /** Watch for the command's end closely for a while (it was just signalled). */
    watchClosely?: () => void;
  } | null = null;
  private commandCache: { at: number; names: string[] } | null = null;
  /** Sixel and other DCS bodies, for the sixel extractor to turn into images. */
  onDcs: ((body: string, sink: OutputSink, end: DcsEnd) => void) | null = null;
  /**
   * Answers a terminal query (`ESC [ params final`; `column` is the cursor's)
   * or returns null; the answer is written to the command's pty, as a terminal would.
   */
  onQuery: ((params: string, final: string, column: number) => string | null) | null = null;

  constructor(private readonly options: ShellEngine.IOptions = {}) {}

  /** Runs `command` with bash (or sh) in a pty, streaming to `sink`. */
  run(command: string, sink: OutputSink, shell: 'bash' | 'sh' = 'bash'): Promise<RunResult> {
    const cols = this.options.columns ?? (Number(this.env.COLUMNS) || 120);
    const pty = spawnPty(
      shell === 'bash' ? '/bin/bash' : '/bin/sh',
      ['-c', Private.endsOnInterrupt(command)],
      {
        cwd: this.cwd,
        env: this.env,
        cols,
        rows: 40
      }
    );
    const state: NonNullable<ShellEngine['running']> = { pty, interrupts: 0 };
    this.running = state;
    const term = new TerminalText(cols);
    term.onDcs = (body, end) => {
      flush();
      this.onDcs?.(body, sink, end);
    };
    term.onQuery = (params, final) => {
      const answer = this.onQuery?.(params, final, term.column);
      if (answer) pty.write(answer);
    };
    let timer: NodeJS.Timeout | null = null;
    let paused = false;
    let unflushed = 0;
    const flush = () => {
      unflushed = 0;
      if (timer) {
        clearTimeout(timer);
        timer = null;
      }
      const text = term.take();
      if (text) sink.stream('stdout', text);
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
    const stdinWatch = this.watchStdin(pty, term, sink, () => lastData);
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
          if (Private.alive(pty.pid)) return watchExit();
          // Paused for the outbox, nothing is being read: letting go now would
          // lose what is still queued (a 100 MB flood lost 10 KB near its end).
          // The outbox drains, reading resumes, and the output then goes quiet.
          if (paused) return watchExit();
          if (performance.now() < quietAfter) return watchExit();
          hold = null;
          release();
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
        unflushed += data.length;
        if (unflushed >= FLUSH_BYTES) flush();
        else if (!timer) timer = setTimeout(flush, FLUSH_MS);
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
          const interrupted = state.interrupts > 0;
          if (interrupted) {
            // Whatever the command left in its group goes with it.
            pty.signalGroup('SIGKILL');
          }
          this.running = null;
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
      const state = { childPid: child.pid, interrupts: 0 };
      this.running = state;
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
        this.running = null;
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
   * SIGINT to the running command's process group; a second interrupt sends
   * SIGTERM and a third SIGKILL, for commands that ignore the first.
   */
  interrupt(): boolean {
    const r = this.running;
    if (!r) return false;
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
    return true;
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

  /** Command names from PATH and file paths, for the word at `cursor` of a shell line. */
  complete(line: string, cursor: number, offset: number): Completion {
    const before = line.slice(0, cursor);
    let word = /[^\s'"|;&<>()]*$/.exec(before)?.[0] ?? '';
    if (word.startsWith('!') && /^\s*!/.test(before) && before.trimStart() === word)
      word = word.slice(1);
    const start = cursor - word.length;
    const isCommand =
      /^\s*(!|%%(ba)?sh\s*)?\s*$/.test(before.slice(0, start)) ||
      /[|;&]\s*$/.test(before.slice(0, start));
    const matches = new Set<string>();
    if (isCommand && !word.includes('/')) {
      for (const name of this.commands()) if (name.startsWith(word)) matches.add(name);
    }
    for (const path of this.paths(word)) matches.add(path);
    return {
      matches: [...matches].sort().slice(0, 500),
      cursorStart: offset + start,
      cursorEnd: offset + cursor
    };
  }

  private commands(): string[] {
    if (this.commandCache && Date.now() - this.commandCache.at < 10000)
      return this.commandCache.names;
    const names = new Set<string>();
    for (const dir of (this.env.PATH ?? '').split(':')) {
      try {
        for (const f of readdirSync(dir)) names.add(f);
      } catch {
        // missing PATH entry
      }
    }
    this.commandCache = { at: Date.now(), names: [...names] };
    return this.commandCache.names;
  }

  private paths(word: string): string[] {
    const expanded = word.replace(/^~(?=$|\/)/, homedir());
    const dir = expanded.endsWith('/') ? expanded : dirname(expanded);
    const prefix = expanded.endsWith('/') ? '' : basename(expanded);
    const shownDir = word.endsWith('/') ? word : word.slice(0, word.length - prefix.length);
    try {
      return readdirSync(isAbsolute(dir) ? dir : join(this.cwd, dir), { withFileTypes: true })
        .filter(
          (e) => e.name.startsWith(prefix) && (prefix.startsWith('.') || !e.name.startsWith('.'))
        )
        .map((e) => shownDir + e.name + (e.isDirectory() ? '/' : ''));
    } catch {
      return [];
    }
  }

  /**
   * A command reading its terminal gets an input_request. Linux tells which
   * system call a process sleeps in: `read` (0) on fd 0, where fd 0 is this
   * command's pty, is a read of the terminal (in `a | b`, b's fd 0 is a pipe,
   * and a box for it would never be answered by b). Echo off (a password
   * prompt) is read from the terminal's modes. When the read ends unanswered
   * (a timeout, or the command is gone) the request is withdrawn.
   */
  private watchStdin(
    pty: PtyProcess,
    term: TerminalText,
    sink: OutputSink,
    lastData: () => number
  ): { stop(): void } {
    /** The request out now, or 'answered' for a moment after a reply while the read takes it. */
    let asking: AbortController | 'answered' | null = null;
    /** The process whose read the request is for: while it is out, only that one is looked at. */
    let reader = 0;
    let unread = 0;
    const timer = setInterval(() => {
      if (asking === 'answered') return;
      if (asking) {
        // Two looks in a row, so a read that returns and is at once made again is not missed.
        if (Private.readsTerminal(reader, pty.device)) unread = 0;
        else if (++unread >= 2) {
          asking.abort();
          asking = null;
        }
        return;
      }
      // A command that is writing is not waiting for input: look only when it falls quiet.
      if (performance.now() - lastData() < 100) return;
      const found = Private.terminalReader(pty.pid, pty.device);
      if (found === null) return;
      const request = new AbortController();
      asking = request;
      reader = found;
      unread = 0;
      const prompt = term.currentLine();
      const password = Private.echoOff(pty.device);
      const settle = () => {
        asking = 'answered';
        setTimeout(() => (asking = null), 100);
      };
      sink.input(prompt, password, request.signal).then(
        (value) => {
          if (request.signal.aborted) return;
          pty.write(value + '\r');
          settle();
        },
        () => {
          if (request.signal.aborted) return;
          pty.write('\x04'); // no stdin here: end of file
          settle();
        }
      );
    }, 50);
    return {
      stop: () => {
        clearInterval(timer);
        if (asking instanceof AbortController) asking.abort();
        asking = null;
      }
    };
  }
}

export namespace ShellEngine {
  export interface IOptions {
    columns?: number;
  }
}

namespace Private {
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

  /** Whether the process exists: node-pty's own thread reaps its child the moment it ends. */
  export function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  export function baseEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    env.TERM = env.TERM && env.TERM !== 'dumb' ? env.TERM : 'xterm-256color';
    // Tools that ask for colour through these see a colour terminal.
    env.CLICOLOR = '1';
    env.FORCE_COLOR = env.FORCE_COLOR ?? '1';
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

  /** A process of the group led by `leader` that sleeps in read(0, ...) with fd 0 on `device`. */
  export function terminalReader(leader: number, device: string): number | null {
    for (const pid of descendants(leader) ?? groupMembers(leader))
      if (readsTerminal(pid, device)) return pid;
    return null;
  }

  /**
   * `leader` and the processes it started, from /proc's children lists: a
   * few reads, where a scan of the group reads every process on the machine
   * (20 times a second while a command is quiet). Null where the kernel
   * keeps no children lists; orphans a command leaves are not found.
   */
  function descendants(leader: number): number[] | null {
    const out: number[] = [];
    const queue = [leader];
    while (queue.length > 0 && out.length < 4096) {
      const pid = queue.shift()!;
      out.push(pid);
      let tasks: string[];
      try {
        tasks = readdirSync(`/proc/${pid}/task`);
      } catch {
        continue; // gone
      }
      for (const task of tasks) {
        try {
          for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' '))
            if (child) queue.push(Number(child));
        } catch (error) {
          if (
            pid === leader &&
            (error as NodeJS.ErrnoException).code === 'ENOENT' &&
            existsSync(`/proc/${pid}`)
          )
            return null;
        }
      }
    }
    return out;
  }

  /** Whether process `pid` sleeps in read(0, ...) with its fd 0 on `device`. */
  export function readsTerminal(pid: number, device: string): boolean {
    try {
      return (
        readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith('0 0x0 ') &&
        readlinkSync(`/proc/${pid}/fd/0`) === device
      );
    } catch {
      return false; // gone or not ours
    }
  }

  function groupMembers(leader: number): number[] {
    const out: number[] = [];
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return out;
    }
    for (const e of entries) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === leader) out.push(Number(e));
      } catch {
        // raced with exit
      }
    }
    return out;
  }

  export function echoOff(device: string): boolean {
    if (!device) return false;
    const r = spawnSync('stty', ['-F', device, '-a'], { encoding: 'utf8' });
    return /(^|\s)-echo(\s|$)/.test(r.stdout ?? '');
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
