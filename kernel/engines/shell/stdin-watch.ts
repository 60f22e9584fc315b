import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { OutputSink } from '../engine';
import type { PtyProcess } from './pty';
import type { TerminalText } from './terminal';

/**
 * A command reading its terminal gets an input_request. Linux tells which
 * system call a process sleeps in: `read` (0) on fd 0, where fd 0 is this
 * command's pty, is a read of the terminal (in `a | b`, b's fd 0 is a pipe,
 * and a box for it would never be answered by b). Echo off (a password
 * prompt) is read from the terminal's modes. When the read ends unanswered
 * (a timeout, or the command is gone) the request is withdrawn.
 */
export function watchStdin(
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

namespace Private {
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
