import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { OutputSink } from '../engine';
import type { PtyProcess } from './pty';
import type { TerminalText } from './terminal';

/**
 * A command reading its terminal gets an input_request. Linux tells which
 * system call a process sleeps in, and on what: a read of this command's pty
 * (fd 0, or /dev/tty, where getpass and ssh ask), or an epoll wait watching
 * it (Node's readline), is a wait for the terminal (readsTerminal). Echo off
 * (a password prompt) is read from the terminal's modes. When the read ends unanswered
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

  /** System call numbers of this machine's Linux: read, and the epoll waits. */
  const CALLS =
    process.arch === 'arm64' ? { read: 63, epoll: [22, 441] } : { read: 0, epoll: [232, 281, 441] };

  /** EPOLLIN. */
  const READABLE = 0x1;

  /**
   * Whether process `pid` waits for its terminal (`device`): it sleeps in
   * read() on a descriptor of it (fd 0, or /dev/tty opened anew, as a
   * password prompt does), or in an epoll wait that watches one for input
   * (Node's readline, an event loop). A read of a pipe is no read of the
   * terminal: in `a | b`, b's fd 0 is a pipe, and a box for it would never
   * be answered by b.
   */
  export function readsTerminal(pid: number, device: string): boolean {
    try {
      const [call, first] = readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ');
      const nr = Number(call);
      if (nr === CALLS.read) return isTerminal(pid, Number(first), device);
      if (!CALLS.epoll.includes(nr)) return false;
      for (const m of readFileSync(`/proc/${pid}/fdinfo/${Number(first)}`, 'utf8').matchAll(
        /^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)/gm
      ))
        if ((parseInt(m[2], 16) & READABLE) !== 0 && isTerminal(pid, Number(m[1]), device))
          return true;
      return false;
    } catch {
      return false; // gone or not ours
    }
  }

  function isTerminal(pid: number, fd: number, device: string): boolean {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target === device || target === '/dev/tty';
    } catch {
      return false;
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

  /**
   * Echo off with lines still read whole: a password prompt (getpass, `read
   * -s`). A program in raw mode (Node's readline, an editor) turns echo off
   * too, but echoes what it reads itself.
   */
  export function echoOff(device: string): boolean {
    if (!device) return false;
    const r = spawnSync('stty', ['-F', device, '-a'], { encoding: 'utf8' });
    const modes = r.stdout ?? '';
    return /(^|\s)-echo(\s|$)/.test(modes) && !/(^|\s)-icanon(\s|$)/.test(modes);
  }
}
