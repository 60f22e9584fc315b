import type { JSONObject } from '../../src/contract';
import type { DisplayOptions, MimeBundle, OutputSink } from '../engines/engine';
import type { Transport } from './transport';
import { HIGH_WATER } from './transport';
import type { Header, MessageFactory } from './message';
import { MessagePace } from './message-pace';
import type { Outgoing } from './message-pace';
import { StreamPace } from './pace';
import { IopubBudget } from './server-window';
import type { PaceLimits, StreamPiece } from './pace';

/**
 * Bytes of stream text held back before a flush, and how long at most. This
 * is the one coalescer of stream output: engines hand text over as they make
 * it (the shell after each read of its pty), so no second timer runs in series
 * with this one. Small messages keep a flooding pty's reading loop short:
 * encoding and posting a large message at once lets the pty's buffer fill and
 * stalls the command.
 */
const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 8;
/**
 * Under a Jupyter server, a page shows the output: JupyterLab and Notebook 7
 * render a stream's whole text again for each message that adds to it, so a
 * 2 MB burst in 64 kB messages kept the page busy for half a minute (measured:
 * the end of a flood on the page after 49 s, and after 18 s in messages of up
 * to 1 MB, 50 ms apart). What goes to a page goes in fewer, larger messages.
 */
const PAGE_FLUSH_BYTES = 1024 * 1024;
const PAGE_FLUSH_MS = 50;

/**
 * The output sink of one request: publishes on iopub under the request's
 * header. Stream text is coalesced (by size and time) into few messages; any
 * other output flushes it first, so the order the user wrote is kept.
 */
export class RequestOutput implements OutputSink {
  readonly payload: JSONObject[] = [];
  private pending: { name: 'stdout' | 'stderr'; text: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastFlush = 0;
  /** Under a Jupyter server: what stream output it would pass on (see pace.ts). */
  private readonly pace: StreamPace | null;
  /** Under a Jupyter server: how many messages it would pass on (see message-pace.ts). */
  private readonly messages: MessagePace | null;
  private releaseTimer: NodeJS.Timeout | null = null;
  private readonly flushBytes: number;
  private readonly flushMs: number;
  /** While stream output is left out: shows its latest lines once it goes quiet. */
  private quietTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly factory: MessageFactory,
    readonly parent: Header,
    private readonly stdin: (
      prompt: string,
      password: boolean,
      withdraw?: AbortSignal
    ) => Promise<string>,
    /** The kernel's iopub budget under a Jupyter server (limits alone: one of this request's own). */
    budget: IopubBudget | PaceLimits | null = null
  ) {
    const now = performance.now();
    const shared = budget instanceof IopubBudget || !budget ? budget : new IopubBudget(budget);
    const limits = shared?.limits;
    this.flushBytes = shared ? PAGE_FLUSH_BYTES : FLUSH_BYTES;
    this.flushMs = shared ? PAGE_FLUSH_MS : FLUSH_MS;
    this.pace = shared?.bytes ? new StreamPace(limits!, now, shared.bytes) : null;
    this.messages = shared?.messages
      ? new MessagePace(limits!.messagesPerSecond, limits!.windowSeconds, now, shared.messages)
      : null;
  }

  publish(
    type: string,
    content: JSONObject,
    metadata: JSONObject = {},
    buffers: Uint8Array[] = []
  ): void {
    this.push();
    if (this.pace)
      for (const piece of this.pace.interlude(performance.now()))
        this.emit({ kind: 'stream', ...piece });
    this.emit({ kind: 'message', type, content, metadata, buffers });
  }

  stream(name: 'stdout' | 'stderr', text: string): void {
    if (text.length === 0) return;
    if (this.pending && this.pending.name !== name) {
      this.push();
    }
    if (this.pending) {
      this.pending.text += text;
    } else {
      this.pending = { name, text };
    }
    if (
      this.pending.text.length >= this.flushBytes ||
      performance.now() - this.lastFlush > this.flushMs
    ) {
      this.push();
      // A synchronous flood (a loop of console.log) cannot await: block here
      // while the io thread catches up, rather than queue without bound.
      this.transport.blockWhileFull();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.push(), this.flushMs);
    }
  }

  display(data: MimeBundle, options: DisplayOptions = {}): void {
    const content: JSONObject = { data, metadata: options.metadata ?? {}, transient: {} };
    if (options.displayId) {
      content.transient = { display_id: options.displayId };
    }
    this.publish(options.update ? 'update_display_data' : 'display_data', content);
  }

  clear(wait: boolean): void {
    // Text left out before a clear is not shown after it. With wait, the page
    // clears at the next output: what is left out shows then, the latest
    // frame at the end of a loop included.
    this.push();
    if (!wait) this.pace?.discard();
    this.publish('clear_output', { wait });
  }

  page(data: MimeBundle): void {
    this.payload.push({ source: 'page', data, start: 0 });
  }

  input(prompt: string, password: boolean, withdraw?: AbortSignal): Promise<string> {
    this.flush();
    return this.stdin(prompt, password, withdraw);
  }

  room(): Promise<void> | null {
    return this.transport.pendingBytes() < HIGH_WATER ? null : this.transport.room();
  }

  /** Sends held stream text now, and what pacing held back (the reply, input or a result follows). */
  flush(): void {
    this.push();
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = null;
    if (this.pace)
      for (const piece of this.pace.settle(performance.now()))
        this.emit({ kind: 'stream', ...piece });
    if (!this.messages) return;
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = null;
    for (const item of this.messages.settle(performance.now())) this.sendLate(item);
    this.pace?.caughtUp();
  }

  /** Sends held stream text, as far as pacing lets it through. */
  private push(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.lastFlush = performance.now();
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    if (!this.pace) return this.emit({ kind: 'stream', ...pending });
    const behind = this.messages?.holding ?? false;
    for (const piece of this.pace.pass(pending, this.lastFlush, behind))
      this.emit({ kind: 'stream', ...piece });
    if (this.pace.leaving && !this.quietTimer) this.scheduleQuiet();
  }

  /** Once output left out goes quiet, its latest lines (see StreamPace.quiet). */
  private scheduleQuiet(): void {
    const pace = this.pace!;
    const due = pace.quietDue(performance.now());
    if (!Number.isFinite(due)) return;
    this.quietTimer = setTimeout(
      () => {
        this.quietTimer = null;
        // Text still coalescing is newer than what was left out: it goes through first.
        if (this.pending) this.push();
        for (const piece of pace.quiet(performance.now())) this.emit({ kind: 'stream', ...piece });
        if (pace.leaving && !this.quietTimer) this.scheduleQuiet();
      },
      Math.max(10, Math.ceil(due))
    );
  }

  /** Publishes `item` as far as message pacing lets it, now or once the budget refills. */
  private emit(item: Outgoing): void {
    if (!this.messages) return this.sendNow(item);
    for (const out of this.messages.offer(item, performance.now()))
      if (out === item) this.sendNow(out);
      else this.sendLate(out);
    if (!this.messages.holding) this.pace?.caughtUp();
    else if (!this.releaseTimer) this.scheduleRelease();
  }

  private scheduleRelease(): void {
    const messages = this.messages!;
    this.releaseTimer = setTimeout(
      () => {
        this.releaseTimer = null;
        for (const out of messages.release(performance.now())) this.sendLate(out);
        if (messages.holding) this.scheduleRelease();
        else this.pace?.caughtUp();
      },
      Math.max(10, messages.wait(performance.now()))
    );
  }

  /**
   * Sends what message pacing held back. Stream text in it was counted when
   * stream pacing let it through, maybe seconds ago, and the server counts it
   * now: counted again, so that what goes out after it finds the window as
   * the server will.
   */
  private sendLate(item: Outgoing): void {
    if (item.kind === 'stream' && this.pace) this.pace.sent(performance.now(), item.text);
    this.sendNow(item);
  }

  private sendNow(item: Outgoing): void {
    if (item.kind === 'stream') this.sendStream(item);
    else
      this.send(item.type, item.content as JSONObject, item.metadata as JSONObject, item.buffers);
  }

  private sendStream(piece: StreamPiece): void {
    // The content is written here, not by JSON.stringify: see Private.jsonString.
    this.transport.send('iopub', {
      ...this.factory.raw('stream', {}, this.parent),
      content: `{"name":"${piece.name}","text":${Private.jsonString(piece.text)}}`
    });
  }

  private send(
    type: string,
    content: JSONObject,
    metadata: JSONObject = {},
    buffers: Uint8Array[] = []
  ): void {
    this.transport.send(
      'iopub',
      this.factory.raw(
        type,
        content,
        this.parent,
        [],
        metadata,
        buffers.map((b) => Buffer.from(b))
      )
    );
  }
}

namespace Private {
  /** Every character JSON.stringify escapes but the newline: C0 controls, quote, backslash. */
  const ESCAPED = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c))
    .filter((c) => c !== '\n')
    .concat('"', '\\');

  /**
   * `JSON.stringify(text)`, faster for what a flood is made of: plain text
   * whose only escape is its newlines. includes() scans with memchr and
   * replaceAll copies once, where JSON.stringify looks at each character in
   * turn (for 67 MB of base64 lines: 0.05 s against 0.11 s; split and join
   * took 0.09 s and left an array of every line for the collector). Text with other escapes, or
   * beyond Latin-1 (where includes() has no memchr, and lone surrogates need
   * escapes), goes to JSON.stringify.
   */
  export function jsonString(text: string): string {
    if (/[^\x00-\xff]/.test(text)) return JSON.stringify(text);
    for (const c of ESCAPED) if (text.includes(c)) return JSON.stringify(text);
    return `"${text.replaceAll('\n', '\\n')}"`;
  }
}
