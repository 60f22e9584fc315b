import { randomUUID } from 'node:crypto';
import type { JournalExecution, JournalMessage, JournalReply } from '../../src/contract/journal';
import type { Stored } from './journal-slabs';
import { JournalSlabs } from './journal-slabs';

export interface JournalLimits {
  /** Bytes of output kept per execution; past it the oldest output goes. */
  executionBytes: number;
  /** Bytes kept over all executions; past it the oldest ended executions go. */
  totalBytes: number;
  /** Executions kept per cell (the latest ones). */
  perCell: number;
  /** Executions kept in all (those without a cell id count here too). */
  executions: number;
}

export const DEFAULT_LIMITS: JournalLimits = {
  executionBytes: 2 * 1024 * 1024,
  totalBytes: 64 * 1024 * 1024,
  perCell: 2,
  executions: 500
};

/**
 * Limits from the kernel's environment: WARREN_JOURNAL_MB (in all) and
 * WARREN_JOURNAL_EXECUTION_MB (per execution); 0 in all turns recording off.
 */
export function journalLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<JournalLimits> {
  const mb = (name: string): number | undefined => {
    const value = Number(env[name]);
    return env[name] !== undefined && env[name] !== '' && Number.isFinite(value) && value >= 0
      ? value * 1024 * 1024
      : undefined;
  };
  const out: Partial<JournalLimits> = {};
  const total = mb('WARREN_JOURNAL_MB');
  const execution = mb('WARREN_JOURNAL_EXECUTION_MB');
  if (total !== undefined) out.totalBytes = total;
  if (execution !== undefined) out.executionBytes = execution;
  return out;
}

/** What one entry costs beyond its content: the type, the array slot, the object. */
const ENTRY_OVERHEAD = 64;

/**
 * Content of this many characters or more is kept as UTF-8 bytes outside V8's
 * heap (journal-slabs.ts says why). Below it, a string costs the collector
 * less than the encoding would.
 */
const OFF_HEAP_CHARS = 2048;

interface Entry {
  type: string;
  /** The content as published (JSON); a large one as its bytes, outside the heap (OFF_HEAP_CHARS). */
  content: string | Stored;
  size: number;
  /** display_data / execute_result with a display_id: update_display_data replaces it in place. */
  displayId?: string;
}

/** A journal execution as the kernel keeps it: the reply's fields, its output as entries. */
interface Execution extends Omit<JournalExecution, 'messages'> {
  entries: Entry[];
  bytes: number;
  /** A clear_output(wait=true) is pending: the next output clears what came before it. */
  clearPending: boolean;
}

function textOf(content: string | Stored): string {
  return typeof content === 'string' ? content : content.bytes.toString('utf8');
}

function parse(content: string | Stored): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(textOf(content));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient;
  if (typeof transient !== 'object' || transient === null) return undefined;
  const id = (transient as Record<string, unknown>).display_id;
  return typeof id === 'string' ? id : undefined;
}

const OUTPUT_TYPES = new Set(['stream', 'display_data', 'execute_result', 'error']);

/**
 * The execution journal: for each recent execute_request, what the kernel
 * published on IOPub for it, so that a page that was away can show it. Bounded
 * per execution (a flood keeps its end and counts what it dropped), per cell
 * and in total. It records what it is told; the protocol layer tells it.
 */
export class Journal {
  readonly id = randomUUID();
  private readonly executions = new Map<string, Execution>();
  private seq = 0;
  private total = 0;
  private limits: JournalLimits;
  private readonly store = new JournalSlabs();

  constructor(limits: Partial<JournalLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes held over all executions. */
  get bytes(): number {
    return this.total;
  }

  /** Slabs held (journal-slabs.ts): none once no execution runs. */
  get slabs(): number {
    return this.store.slabs;
  }

  setLimits(limits: Partial<JournalLimits>): void {
    this.limits = { ...this.limits, ...limits };
    for (const e of this.executions.values()) this.trimExecution(e);
    this.trimTotal();
  }

  /** An execute_request arrived (not a silent one). */
  request(msgId: string, cellId: string | null): void {
    const e: Execution = {
      msgId,
      cellId,
      executionCount: null,
      state: 'queued',
      status: null,
      ended: null,
      changed: ++this.seq,
      entries: [],
      bytes: 0,
      dropped: { messages: 0, bytes: 0 },
      clearPending: false
    };
    this.executions.set(msgId, e);
    this.trimCount(cellId);
  }

  /** Whether IOPub messages with this parent are recorded. */
  records(parentMsgId: string): boolean {
    const e = this.executions.get(parentMsgId);
    return e !== undefined && e.state !== 'done';
  }

  /** The kernel published `type` with `content` (its JSON) under an execution's request. */
  published(parentMsgId: string, type: string, content: string): void {
    const e = this.executions.get(parentMsgId);
    // After idle a cell's output is not the page's any more: JupyterLab drops it too.
    if (!e || e.state === 'done') return;
    e.changed = ++this.seq;
    switch (type) {
      case 'status': {
        const state = parse(content).execution_state;
        if (state === 'busy') e.state = 'running';
        else if (state === 'idle') {
          e.state = 'done';
          e.ended = Date.now();
          this.settle(e);
        }
        return;
      }
      case 'execute_input': {
        const count = parse(content).execution_count;
        if (typeof count === 'number') e.executionCount = count;
        e.state = 'running';
        return;
      }
      case 'clear_output': {
        if (parse(content).wait === true) {
          e.clearPending = true;
          this.append(e, this.entry(type, content));
        } else {
          this.clearEntries(e);
        }
        return;
      }
      case 'update_display_data': {
        const id = displayIdOf(parse(content));
        const shown = id === undefined ? [] : e.entries.filter((x) => x.displayId === id);
        if (shown.length === 0) {
          this.append(e, this.entry(type, content, id));
          return;
        }
        // The update replaces what the display shows: keep one version, not every frame.
        for (const x of shown) {
          const merged = JSON.stringify({ ...parse(x.content), ...parse(content) });
          this.resize(e, x, merged);
        }
        this.trimExecution(e);
        this.trimTotal();
        return;
      }
      default:
        if (!OUTPUT_TYPES.has(type)) return;
        if (e.clearPending) this.clearEntries(e);
        this.append(
          e,
          this.entry(type, content, type === 'stream' ? undefined : displayIdOf(parse(content)))
        );
    }
  }

  /** The execute_reply went out with this status. */
  replied(parentMsgId: string, status: string): void {
    const e = this.executions.get(parentMsgId);
    if (!e) return;
    e.status = status;
    e.changed = ++this.seq;
  }

  /**
   * The executions changed after `after` (everything when `journal` is not
   * this journal's id): the latest of each cell, and each without a cell.
   */
  since(journal: string | undefined, after: number | undefined): JournalReply {
    const from = journal === this.id ? (after ?? 0) : 0;
    const latest = new Map<string, Execution>();
    const out: Execution[] = [];
    for (const e of this.executions.values()) {
      if (e.cellId === null) out.push(e);
      else latest.set(e.cellId, e);
    }
    out.push(...latest.values());
    const executions = out
      .filter((e) => e.changed > from)
      .sort((a, b) => a.changed - b.changed)
      .map((e) => this.snapshot(e));
    return { type: 'executions', journal: this.id, seq: this.seq, bytes: this.total, executions };
  }

  private snapshot(e: Execution): JournalExecution {
    const messages: JournalMessage[] = e.entries.map((x) => ({
      msg_type: x.type,
      content: parse(x.content)
    }));
    return {
      msgId: e.msgId,
      cellId: e.cellId,
      executionCount: e.executionCount,
      state: e.state,
      status: e.status,
      ended: e.ended,
      changed: e.changed,
      messages,
      dropped: { ...e.dropped }
    };
  }

  /**
   * An entry for `content`: a large one outside the heap, in the slabs while
   * its execution runs, in memory of its own once it has ended (`settle`).
   */
  private entry(type: string, content: string, displayId?: string, ended = false): Entry {
    // Sizes count characters, as the limits always have, wherever the content lies.
    const size = content.length + ENTRY_OVERHEAD;
    const kept =
      content.length < OFF_HEAP_CHARS
        ? content
        : ended
          ? { bytes: Buffer.from(content, 'utf8'), slab: null }
          : this.store.put(content);
    return { type, content: kept, size, displayId };
  }

  private release(entry: Entry): void {
    if (typeof entry.content !== 'string') this.store.release(entry.content);
  }

  /**
   * An ended execution's large entries move out of the slabs into one buffer
   * of their exact size: slabs are for the running execution's stream, and an
   * entry kept for long would hold a whole slab.
   */
  private settle(e: Execution): void {
    const moving = e.entries.filter(
      (x): x is Entry & { content: Stored } =>
        typeof x.content !== 'string' && x.content.slab !== null
    );
    if (moving.length > 0) {
      // Memory of its own, not a slice of Node's shared pool (as Buffer.concat's may be).
      const settled = Buffer.allocUnsafeSlow(
        moving.reduce((n, x) => n + x.content.bytes.length, 0)
      );
      let at = 0;
      for (const x of moving) {
        const from = x.content;
        from.bytes.copy(settled, at);
        x.content = { bytes: settled.subarray(at, at + from.bytes.length), slab: null };
        at += from.bytes.length;
        this.store.release(from);
      }
    }
    // Most cells end with no slab held: nothing to let go, and no need to look at every execution.
    if (this.store.slabs === 0) return;
    for (const x of this.executions.values()) if (x.state !== 'done') return;
    this.store.shrink();
  }

  private append(e: Execution, entry: Entry): void {
    e.entries.push(entry);
    e.bytes += entry.size;
    this.total += entry.size;
    this.trimExecution(e);
    this.trimTotal();
  }

  private resize(e: Execution, old: Entry, content: string): void {
    // Limits set smaller (setLimits) cut ended executions too.
    const { content: kept, size } = this.entry(old.type, content, undefined, e.state === 'done');
    this.release(old);
    e.bytes += size - old.size;
    this.total += size - old.size;
    old.content = kept;
    old.size = size;
  }

  /** What a clear_output cleared is not output any more: gone, not counted as dropped. */
  private clearEntries(e: Execution): void {
    e.entries.forEach((x) => this.release(x));
    this.total -= e.bytes;
    e.bytes = 0;
    e.entries = [];
    e.clearPending = false;
  }

  /** Over its limit an execution loses its oldest output; one entry alone keeps its end. */
  private trimExecution(e: Execution): void {
    const limit = this.limits.executionBytes;
    while (e.bytes > limit && e.entries.length > 1) this.dropFirst(e);
    const last = e.entries[0];
    if (e.bytes > limit && last) {
      const content = parse(last.content);
      if (last.type === 'stream' && typeof content.text === 'string') {
        const keep = Math.max(0, limit - ENTRY_OVERHEAD - 64);
        const text = content.text;
        const cut = text.slice(text.length - Math.min(keep, text.length));
        const before = last.size;
        this.resize(e, last, JSON.stringify({ ...content, text: cut }));
        e.dropped.bytes += before - last.size;
      } else {
        this.dropFirst(e);
      }
    }
  }

  private dropFirst(e: Execution): void {
    const entry = e.entries.shift();
    if (!entry) return;
    this.release(entry);
    e.bytes -= entry.size;
    this.total -= entry.size;
    e.dropped.messages++;
    e.dropped.bytes += entry.size;
  }

  /** Over the total the oldest executions go: ended ones first, then the output of running ones. */
  private trimTotal(): void {
    if (this.total <= this.limits.totalBytes) return;
    for (const e of [...this.executions.values()]) {
      if (this.total <= this.limits.totalBytes) return;
      if (e.state === 'done') this.forget(e);
    }
    const running = [...this.executions.values()].sort((a, b) => b.bytes - a.bytes);
    for (const e of running) {
      while (this.total > this.limits.totalBytes && e.entries.length > 0) this.dropFirst(e);
      if (this.total <= this.limits.totalBytes) return;
    }
  }

  /** Keeps the latest executions of a cell, and a bounded number in all. */
  private trimCount(cellId: string | null): void {
    if (cellId !== null) {
      const ofCell = [...this.executions.values()].filter((e) => e.cellId === cellId);
      for (const e of ofCell.slice(0, Math.max(0, ofCell.length - this.limits.perCell))) {
        this.forget(e);
      }
    }
    for (const e of this.executions.values()) {
      if (this.executions.size <= this.limits.executions) break;
      this.forget(e);
    }
  }

  private forget(e: Execution): void {
    e.entries.forEach((x) => this.release(x));
    this.total -= e.bytes;
    this.executions.delete(e.msgId);
  }
}
