import type { JSONObject } from '../../src/contract';
import type { Header, Message } from './message';
import { MessageFactory, parseMessage } from './message';
import type { RawMessage, ReceiveChannel, SendChannel, Transport } from './transport';

/** One message the kernel sent, parsed, with the channel it went out on. */
export interface Sent {
  channel: SendChannel;
  msg: Message;
}

export interface IRequestOptions {
  channel?: ReceiveChannel;
  identities?: Buffer[];
  buffers?: Buffer[];
  metadata?: JSONObject;
  parent?: Partial<Header>;
}

/**
 * The `Transport` port in memory, as xeus' tests drive a kernel through a
 * mock server: a spec plays the frontend (`request`, `deliver`) and reads
 * what the kernel sent, in order, parsed (`sent`, `next`). Nothing is signed:
 * the HMAC is the wire's, and this stands where the wire would.
 */
export class MemoryTransport implements Transport {
  readonly sent: Sent[] = [];
  /** Bytes `pendingBytes()` answers: a spec sets it to play a full backlog. */
  backlog = 0;
  private handler: (channel: ReceiveChannel, raw: RawMessage) => void = () => {};
  private waiters: Array<() => void> = [];
  private readonly frontend = new MessageFactory('frontend-session', 'frontend');

  send(channel: SendChannel, raw: RawMessage): void {
    this.sent.push({ channel, msg: parseMessage(raw) });
    for (const wake of this.waiters.splice(0)) wake();
  }

  onMessage(handler: (channel: ReceiveChannel, raw: RawMessage) => void): void {
    this.handler = handler;
  }

  onShutdown(): void {}

  onInterrupt(): void {}

  pendingBytes(): number {
    return this.backlog;
  }

  room(): Promise<void> {
    return Promise.resolve();
  }

  blockWhileFull(): void {}

  /** The requests the kernel said it leaves unanswered. */
  readonly unansweredIds: string[] = [];

  unanswered(msgId: string): void {
    this.unansweredIds.push(msgId);
  }

  /** Hands the kernel a message as the wire would, well formed or not. */
  deliver(channel: ReceiveChannel, raw: RawMessage): void {
    this.handler(channel, raw);
  }

  /** Sends a request as a frontend does; answers its header. */
  request(type: string, content: object = {}, options: IRequestOptions = {}): Header {
    const raw = this.frontend.raw(
      type,
      content,
      options.parent,
      options.identities ?? [Buffer.from('frontend')],
      options.metadata ?? {},
      options.buffers ?? []
    );
    this.deliver(options.channel ?? 'shell', raw);
    return JSON.parse(raw.header) as Header;
  }

  /** What the kernel sent under `parent` (a request's header or its msg_id), in order. */
  childrenOf(parent: Header | string): Sent[] {
    const id = typeof parent === 'string' ? parent : parent.msg_id;
    return this.sent.filter((s) => s.msg.parent_header.msg_id === id);
  }

  /** Resolves with the first sent message `match` accepts, once it has gone out. */
  async next(match: (sent: Sent) => boolean, ms = 5000): Promise<Sent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.sent.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the kernel sent no such message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the idle status under `parent` has gone out: the request is done. */
  idle(parent: Header): Promise<Sent> {
    return this.next(
      (s) =>
        s.channel === 'iopub' &&
        s.msg.header.msg_type === 'status' &&
        s.msg.content.execution_state === 'idle' &&
        s.msg.parent_header.msg_id === parent.msg_id
    );
  }

  /** The reply on shell to `parent`, once it has gone out. */
  reply(parent: Header): Promise<Message> {
    return this.next(
      (s) => s.channel === 'shell' && s.msg.parent_header.msg_id === parent.msg_id
    ).then((s) => s.msg);
  }
}
