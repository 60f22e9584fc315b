import type { RawMessage, ReceiveChannel, SendChannel, Transport } from './transport';

/** What the tap tells the execution journal (kernel/services/journal.ts). */
export interface ExecutionRecorder {
  request(msgId: string, cellId: string | null): void;
  records(parentMsgId: string): boolean;
  published(parentMsgId: string, type: string, content: string): void;
  replied(parentMsgId: string, status: string): void;
}

function field(json: string, name: string): unknown {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)[name]
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A transport that tells the journal about each execute_request it receives
 * and each IOPub message and execute_reply sent under one, then passes the
 * message on unchanged. Only headers and parent headers are decoded here (a
 * few hundred bytes); content is handed over as the JSON already encoded, so a
 * flood costs the journal no copy.
 */
export class JournalTap implements Transport {
  constructor(
    private readonly inner: Transport,
    private readonly recorder: ExecutionRecorder
  ) {}

  send(channel: SendChannel, raw: RawMessage): void {
    if (channel === 'iopub' || channel === 'shell') this.tap(channel, raw);
    this.inner.send(channel, raw);
  }

  onMessage(handler: (channel: ReceiveChannel, raw: RawMessage) => void): void {
    this.inner.onMessage((channel, raw) => {
      if (channel === 'shell') this.received(raw);
      handler(channel, raw);
    });
  }

  onInterrupt(handler: () => void): void {
    this.inner.onInterrupt(handler);
  }

  onShutdown(handler: (restart: boolean) => Promise<void>): void {
    this.inner.onShutdown(handler);
  }

  pendingBytes(): number {
    return this.inner.pendingBytes();
  }

  room(): Promise<void> {
    return this.inner.room();
  }

  blockWhileFull(): void {
    this.inner.blockWhileFull();
  }

  unanswered(msgId: string): void {
    this.inner.unanswered(msgId);
  }

  private received(raw: RawMessage): void {
    if (field(raw.header, 'msg_type') !== 'execute_request') return;
    const msgId = field(raw.header, 'msg_id');
    // A silent request publishes nothing: there is nothing to keep for it.
    if (typeof msgId !== 'string' || field(raw.content, 'silent') === true) return;
    const cellId = field(raw.metadata || '{}', 'cellId');
    this.recorder.request(msgId, typeof cellId === 'string' ? cellId : null);
  }

  private tap(channel: 'iopub' | 'shell', raw: RawMessage): void {
    const parent = field(raw.parent, 'msg_id');
    if (typeof parent !== 'string' || !this.recorder.records(parent)) return;
    const type = field(raw.header, 'msg_type');
    if (typeof type !== 'string') return;
    if (channel === 'iopub') {
      this.recorder.published(parent, type, raw.content);
    } else if (type === 'execute_reply') {
      const status = field(raw.content, 'status');
      if (typeof status === 'string') this.recorder.replied(parent, status);
    }
  }
}
