/**
 * What a kernel that died leaves for the next one (see native/supervisor.c): the
 * io thread notes each shell request it takes and each reply it sends to the
 * supervisor, and a kernel started after a death answers what is left.
 */
import { readFileSync, rmSync, writeSync } from 'node:fs';
import type { MessageFactory } from '../protocol/message';
import type { RawMessage, SendChannel } from '../protocol/transport';

export interface PendingRequest {
  msgId: string;
  /** The request's header, as it came (JSON). */
  header: string;
  /** Routing identities, base64. */
  identities: string[];
}

/**
 * What the supervisor saw of a kernel's death (supervisor.c writes it, in the
 * file named by WARREN_AFTERLIFE).
 */
export interface Death {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  signal: string | null;
  /** The kernel's heap limit: WARREN_HEAP_MB, or V8's as the kernel noted it. */
  heapLimitMb: number | null;
  /** The end of what it wrote to stderr (16 KB). */
  stderr: string;
  /** Requests taken and not answered, in the order they came: the first was running. */
  pending: PendingRequest[];
}

export interface Afterlife {
  reason: string;
  pending: PendingRequest[];
}

/** The supervisor's pipe (fd 3), when there is a supervisor. */
const NOTES_FD = 3;
/** The pipe on which the supervisor passes SIGINT on (native/supervisor.c). */
export const SIGINT_FD = 4;

/** Notes requests and replies for the supervisor; a no-op without one. */
export class SupervisorNotes {
  private readonly enabled = Boolean(process.env.WARREN_SUPERVISOR_PID);

  received(raw: RawMessage): void {
    if (!this.enabled) return;
    // Only requests have replies; comm messages would stay pending for ever.
    const msgId = Private.msgId(raw.header, /_request$/);
    if (!msgId) return;
    const request: PendingRequest = {
      msgId,
      header: raw.header,
      identities: raw.identities.map((i) => i.toString('base64'))
    };
    this.write('R', JSON.stringify(msgId), JSON.stringify(request));
  }

  replied(raw: RawMessage): void {
    const msgId = Private.msgId(raw.parent);
    if (msgId) this.answered(msgId);
  }

  /** Nothing more is owed for this request: replied, or never to be. */
  answered(msgId: string): void {
    if (this.enabled) this.write('A', JSON.stringify(msgId));
  }

  stopping(): void {
    if (this.enabled) this.write('S');
  }

  heap(limitBytes: number): void {
    // The main thread's heap limit, for the supervisor to name should it be met.
    if (this.enabled) this.write('H', String(Math.round(limitBytes / (1024 * 1024))));
  }

  /**
   * One line for the supervisor: a letter, then fields apart by tabs, which
   * JSON never leaves unescaped (supervisor.c reads them).
   */
  private write(...fields: string[]): void {
    try {
      writeSync(NOTES_FD, fields.join('\t') + '\n');
    } catch {
      // the supervisor is gone; the kernel ends when it notices
    }
  }
}

/** The afterlife left by a kernel that died, if this kernel was started after one (read once). */
export function takeAfterlife(env: NodeJS.ProcessEnv = process.env): Afterlife | null {
  const file = env.WARREN_AFTERLIFE;
  if (!file) return null;
  try {
    const death = JSON.parse(readFileSync(file, 'utf8')) as Death;
    rmSync(file, { force: true });
    return { reason: deathReason(death), pending: death.pending };
  } catch {
    return null;
  }
}

/** Why the kernel died, in words for the cell. */
export function deathReason(death: Omit<Death, 'pending'>): string {
  const tail = death.stderr;
  if (/heap out of memory|Reached heap limit/.test(tail)) {
    const limit = death.heapLimitMb ? ` of ${death.heapLimitMb} MB` : '';
    return `it ran out of memory: its JavaScript heap reached its limit${limit} (WARREN_HEAP_MB sets another)`;
  }
  if (/invalid (array|table|size)|Invalid array length|invalid size error/i.test(tail)) {
    return 'a single allocation was larger than V8 can make (an array or string of billions of elements)';
  }
  if (death.signal === 'SIGKILL') {
    return 'it was killed (SIGKILL): the system may have run out of memory';
  }
  return death.signal
    ? `it was ended by ${death.signal}`
    : `it exited with code ${String(death.code)}`;
}

/**
 * Answers what the dead kernel left: the running execute gets an `error`
 * output saying why the kernel died and that every variable is lost, and an
 * error reply; requests queued behind it are aborted, as after a failed cell.
 * Each is bracketed by busy and idle, under its own header.
 */
export function answerAfterlife(
  afterlife: Afterlife,
  factory: MessageFactory,
  send: (channel: SendChannel, raw: RawMessage) => void
): void {
  afterlife.pending.forEach((request, index) => {
    let header: { msg_type?: unknown };
    try {
      header = JSON.parse(request.header) as { msg_type?: unknown };
    } catch {
      return;
    }
    const type = typeof header.msg_type === 'string' ? header.msg_type : '';
    if (!type.endsWith('_request')) return;
    const parent = header as Parameters<MessageFactory['raw']>[2];
    const identities = request.identities.map((i) => Buffer.from(i, 'base64'));
    const replyType = type.replace(/_request$/, '_reply');
    if (index > 0) send('iopub', factory.raw('status', { execution_state: 'busy' }, parent));
    let content: Record<string, unknown>;
    if (index === 0) {
      const evalue =
        `the kernel died (${afterlife.reason}). A new kernel has started in its place: ` +
        'state lost, every variable and import of earlier cells is gone; run them again.';
      const error = {
        ename: 'DeadKernelError',
        evalue,
        traceback: [`\x1b[31mDeadKernelError\x1b[0m: ${evalue}`]
      };
      if (type === 'execute_request') send('iopub', factory.raw('error', error, parent));
      content = { status: 'error', execution_count: null, ...error };
    } else {
      content =
        type === 'execute_request'
          ? { status: 'aborted', execution_count: null }
          : { status: 'error', ename: 'DeadKernelError', evalue: 'the kernel died', traceback: [] };
    }
    send('shell', factory.raw(replyType, content, parent, identities));
    send('iopub', factory.raw('status', { execution_state: 'idle' }, parent));
  });
}

namespace Private {
  export function msgId(json: string, type?: RegExp): string | null {
    try {
      const parsed = JSON.parse(json) as { msg_id?: unknown; msg_type?: unknown };
      if (type && !(typeof parsed.msg_type === 'string' && type.test(parsed.msg_type))) return null;
      return typeof parsed.msg_id === 'string' ? parsed.msg_id : null;
    } catch {
      return null;
    }
  }
}
