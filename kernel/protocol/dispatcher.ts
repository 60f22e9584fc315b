import type { JSONObject } from '../../src/contract';
import type { RawMessage, ReceiveChannel, Transport } from './transport';
import type { Message, MessageFactory } from './message';
import { parseMessage, replyType } from './message';
import { RequestOutput } from './output';
import type { PaceLimits } from './pace';
import { IopubBudget } from './server-window';

/** What a handler sees of the request it serves. */
export interface RequestContext {
  readonly msg: Message;
  readonly content: JSONObject;
  readonly output: RequestOutput;
}

export type Handler = (ctx: RequestContext) => Promise<JSONObject>;

/** Thrown by a handler to mean "no reply": the request was not for us. */
export class NoReply extends Error {}

/** Thrown when stdin is asked for but the frontend does not allow it. */
export class StdinNotAllowed extends Error {
  override name = 'StdinNotImplementedError';
}

/**
 * The shell dispatcher: a table from request type to handler. Requests run
 * one at a time; each is bracketed by busy and idle, a throw becomes an error
 * reply, and idle goes out only after all of the request's output.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, Handler>();
  private readonly queue: Message[] = [];
  private running = false;
  private pendingInput: {
    /** The input_request's msg_id: a reply to another (withdrawn) request is not this one's. */
    msgId: string;
    resolve(v: string): void;
    reject(e: Error): void;
  } | null = null;
  /** Executes queued before this one failed under stop_on_error are aborted. */
  private abortQueued = false;
  private atOnce: (msg: Message) => boolean = () => false;
  /** What the Jupyter server would pass on of the kernel's iopub, all requests together. */
  private readonly budget: IopubBudget | null;

  constructor(
    private readonly transport: Transport,
    private readonly factory: MessageFactory,
    private readonly log: (text: string) => void,
    /** Output kept below a Jupyter server's rate limits, or null (a client without one). */
    pace: PaceLimits | null = null
  ) {
    this.budget = pace ? new IopubBudget(pace) : null;
    transport.onMessage((channel, raw) => this.receive(channel, raw));
  }

  register(type: string, handler: Handler): void {
    this.handlers.set(type, handler);
  }

  /**
   * Requests for which `predicate` holds are served as they arrive, beside a
   * running request rather than after it. While the shell is busy they publish
   * no status: an idle of theirs would tell the frontend the kernel is idle
   * while a cell runs (JupyterLab's indicator follows every status on IOPub).
   */
  serveAtOnce(predicate: (msg: Message) => boolean): void {
    this.atOnce = predicate;
  }

  /** Rejects a pending `input()` (used on interrupt). */
  cancelInput(reason: Error): void {
    this.pendingInput?.reject(reason);
    this.pendingInput = null;
  }

  private receive(channel: ReceiveChannel, raw: RawMessage): void {
    let msg: Message;
    try {
      msg = parseMessage(raw);
    } catch (error) {
      this.log(`${channel}: dropped a malformed message: ${String(error)}`);
      return;
    }
    if (channel === 'stdin') {
      // jupyter_client's input() sends its reply with no parent; JupyterLab
      // names the request it answers, which may be one already withdrawn.
      const parent = msg.parent_header.msg_id;
      if (
        msg.header.msg_type === 'input_reply' &&
        this.pendingInput &&
        (typeof parent !== 'string' || parent === '' || parent === this.pendingInput.msgId)
      ) {
        const value = msg.content.value;
        this.pendingInput.resolve(typeof value === 'string' ? value : '');
        this.pendingInput = null;
      }
      return;
    }
    if (this.running && this.atOnce(msg)) {
      this.serve(msg, false).catch((error: unknown) =>
        this.log(`failed serving ${msg.header.msg_type}: ${String(error)}`)
      );
      return;
    }
    this.queue.push(msg);
    if (!this.running) {
      void this.run();
    }
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      const msg = this.queue.shift()!;
      try {
        await this.serve(msg);
      } catch (error) {
        this.log(`failed serving ${msg.header.msg_type}: ${String(error)}`);
      }
      if (this.queue.length === 0) {
        this.abortQueued = false;
      }
    }
    this.running = false;
  }

  private async serve(msg: Message, status = true): Promise<void> {
    const type = msg.header.msg_type;
    const output = new RequestOutput(
      this.transport,
      this.factory,
      msg.header,
      (prompt, password, withdraw) => this.input(msg, prompt, password, withdraw),
      this.budget
    );
    if (status) output.publish('status', { execution_state: 'busy' });
    try {
      if (type === 'execute_request' && this.abortQueued) {
        this.reply(msg, { status: 'aborted', execution_count: null });
        return;
      }
      const handler = this.handlers.get(type);
      if (!handler) {
        this.log(`shell: unknown message type ${type}, ignored`);
        // As ipykernel: no reply. Nothing should wait for one (the supervisor's notes).
        this.transport.unanswered(msg.header.msg_id);
        return;
      }
      let content: JSONObject;
      try {
        content = await handler({ msg, content: msg.content, output });
      } catch (error) {
        if (error instanceof NoReply) return;
        if (!type.endsWith('_request')) {
          // comm_msg and the like have no reply: a shell message named after
          // the request would be one no client expects.
          this.log(`failed serving ${type}: ${String(error)}`);
          this.transport.unanswered(msg.header.msg_id);
          return;
        }
        content = Private.errorContent(error);
      }
      output.flush();
      // As ipykernel: only a user's failed cell stops the cells queued after
      // it; a silent one (a variable inspector's probe, say) does not.
      if (
        type === 'execute_request' &&
        content.status === 'error' &&
        msg.content.silent !== true &&
        msg.content.stop_on_error !== false
      ) {
        this.abortQueued = true;
      }
      try {
        this.reply(msg, content);
      } catch (error) {
        // A reply JSON cannot hold (a cycle, a BigInt) is still answered: a
        // client waiting for it would wait for ever.
        this.log(`the ${replyType(type)} could not be encoded: ${String(error)}`);
        const failed = Private.errorContent(error, `the ${replyType(type)} could not be encoded: `);
        if (typeof content.execution_count === 'number')
          failed.execution_count = content.execution_count;
        this.reply(msg, failed);
      }
    } finally {
      if (status) {
        // What pacing held goes before the idle (a request with no reply
        // never flushed): the count is reset below as the server resets it
        // when it reads the idle, so nothing of this request may follow it.
        output.flush();
        output.publish('status', { execution_state: 'idle' });
        this.budget?.idle();
      } else output.flush();
    }
  }

  private reply(msg: Message, content: JSONObject): void {
    this.transport.send(
      'shell',
      this.factory.raw(replyType(msg.header.msg_type), content, msg.header, msg.identities, {})
    );
  }

  /**
   * The input_request goes out on stdin to the routing identity of the shell
   * request it belongs to; otherwise the frontend never sees it.
   */
  private input(
    msg: Message,
    prompt: string,
    password: boolean,
    withdraw?: AbortSignal
  ): Promise<string> {
    if (msg.content.allow_stdin === false) {
      return Promise.reject(new StdinNotAllowed('this frontend does not support input requests'));
    }
    this.pendingInput?.reject(new Error('superseded by a new input request'));
    return new Promise<string>((resolve, reject) => {
      const request = this.factory.raw(
        'input_request',
        { prompt, password },
        msg.header,
        msg.identities
      );
      const pending = {
        msgId: (JSON.parse(request.header) as { msg_id: string }).msg_id,
        resolve,
        reject
      };
      this.pendingInput = pending;
      withdraw?.addEventListener(
        'abort',
        () => {
          if (this.pendingInput !== pending) return;
          this.pendingInput = null;
          reject(new Error('input request withdrawn'));
        },
        { once: true }
      );
      this.transport.send('stdin', request);
    });
  }
}

namespace Private {
  /** An error reply's content for `error`; every field is a plain string, so JSON holds it. */
  export function errorContent(error: unknown, prefix = ''): JSONObject {
    const e = error instanceof Error ? error : new Error(String(error));
    return { status: 'error', ename: e.name, evalue: prefix + e.message, traceback: [] };
  }
}
