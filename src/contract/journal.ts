/**
 * The payloads of the `warren.journal` comm (CommTargets.journal): what the
 * kernel published on IOPub for each recent execution, so that a page that
 * was closed or reloaded while a cell ran can show its output. This module
 * imports nothing. Types are aliases, not interfaces, so that they stay
 * assignable to a JSON object.
 */

/** One IOPub message the kernel published for an execution, in order. */
export type JournalMessage = {
  msg_type: string;
  content: { [key: string]: unknown };
};

/** How much of an execution's output the kernel no longer holds (always its oldest part). */
export type JournalDropped = { messages: number; bytes: number };

export type JournalExecution = {
  /** The execute_request's msg_id: IOPub messages of this execution carry it as their parent. */
  msgId: string;
  /** The `cellId` JupyterLab sent in the request's metadata, or null (a console, nbclient). */
  cellId: string | null;
  /** null until execute_input, and for a silent request. */
  executionCount: number | null;
  /** queued: received, not yet started; running: busy, not yet idle; done: idle went out. */
  state: 'queued' | 'running' | 'done';
  /** The execute_reply's status once sent: ok, error or aborted. */
  status: string | null;
  /** When its idle went out (ms since the epoch, the kernel's clock), or null. */
  ended: number | null;
  /** The journal's sequence number of this execution's latest change. */
  changed: number;
  messages: JournalMessage[];
  dropped: JournalDropped;
};

/**
 * Opening a comm to the target asks for the executions changed after `after`
 * in journal `journal` (both omitted, or another journal's id: everything the
 * kernel holds). Limits, when given, replace the kernel's (megabytes).
 */
export type JournalRequest = {
  journal?: string;
  after?: number;
  limits?: { executionMB?: number; totalMB?: number };
};

/** The one comm_msg the kernel sends on open: its latest execution of each cell. */
export type JournalReply = {
  type: 'executions';
  /** This kernel process's journal: a new id means nothing from the old one is held. */
  journal: string;
  /** Ask with `after: seq` next time to get only what changed since. */
  seq: number;
  /** What the journal holds in all, in bytes of JSON (its own accounting, against its limit). */
  bytes: number;
  executions: JournalExecution[];
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isExecution(value: unknown): value is JournalExecution {
  return (
    isRecord(value) &&
    typeof value.msgId === 'string' &&
    (value.cellId === null || typeof value.cellId === 'string') &&
    (value.executionCount === null || typeof value.executionCount === 'number') &&
    (value.state === 'queued' || value.state === 'running' || value.state === 'done') &&
    Array.isArray(value.messages) &&
    value.messages.every(
      (m) => isRecord(m) && typeof m.msg_type === 'string' && isRecord(m.content)
    ) &&
    isRecord(value.dropped) &&
    typeof value.dropped.messages === 'number' &&
    typeof value.dropped.bytes === 'number'
  );
}

export function isJournalReply(value: unknown): value is JournalReply {
  return (
    isRecord(value) &&
    value.type === 'executions' &&
    typeof value.journal === 'string' &&
    typeof value.seq === 'number' &&
    typeof value.bytes === 'number' &&
    Array.isArray(value.executions) &&
    value.executions.every(isExecution)
  );
}

/** The line a cell shows in place of the output the journal dropped. */
export function droppedNote(dropped: JournalDropped): string {
  const mb = dropped.bytes / (1024 * 1024);
  const size = mb >= 0.1 ? `${mb.toFixed(1)} MB` : `${dropped.bytes} bytes`;
  return (
    `[warren: ${size} of earlier output (${dropped.messages} messages) was dropped ` +
    `while no page was open; the kernel keeps the end of each execution]\n`
  );
}
