import type { JSONObject } from '../../src/contract';
import type { RawMessage, SendChannel } from './transport';
import type { Message, MessageFactory } from './message';
import { parseMessage, replyType } from './message';

/**
 * The control channel's own loop. It runs on the io thread, beside the
 * sockets, so an interrupt or a usage request is answered while the main
 * thread is stuck in a user's busy loop.
 */
export class ControlLoop {
  constructor(private readonly options: ControlLoop.IOptions) {}

  async handle(raw: RawMessage): Promise<void> {
    let msg: Message;
    try {
      msg = parseMessage(raw);
    } catch (error) {
      this.options.log(`control: dropped a malformed message: ${String(error)}`);
      return;
    }
    const { factory, send } = this.options;
    const type = msg.header.msg_type;
    send('iopub', factory.raw('status', { execution_state: 'busy' }, msg.header));
    try {
      const content = await this.reply(msg);
      send('control', factory.raw(replyType(type), content, msg.header, msg.identities));
      if (type === 'shutdown_request') {
        send('iopub', factory.raw('status', { execution_state: 'idle' }, msg.header));
        await this.options.shutdown(content.restart === true);
        return;
      }
    } catch (error) {
      const content = { status: 'error', ename: 'Error', evalue: String(error), traceback: [] };
      send('control', factory.raw(replyType(type), content, msg.header, msg.identities));
    }
    send('iopub', factory.raw('status', { execution_state: 'idle' }, msg.header));
  }

  private async reply(msg: Message): Promise<JSONObject> {
    switch (msg.header.msg_type) {
      case 'interrupt_request':
        // Answered once the interrupt has reached the running cell: a request
        // sent after this reply is never the one interrupted.
        await this.options.interrupt();
        return { status: 'ok' };
      case 'shutdown_request':
        return { status: 'ok', restart: msg.content.restart === true };
      case 'kernel_info_request':
        return { status: 'ok', ...this.options.kernelInfo };
      case 'usage_request':
        return { status: 'ok', ...(await this.options.usage()) };
      case 'debug_request':
        // kernel_info says `debugger: false`; a frontend that asks anyway gets a clear refusal.
        return { type: 'response', success: false, message: 'warren has no debugger' };
      default:
        throw new Error(`unknown control message type ${msg.header.msg_type}`);
    }
  }
}

export namespace ControlLoop {
  export interface IOptions {
    factory: MessageFactory;
    send(channel: SendChannel, raw: RawMessage): void;
    kernelInfo: JSONObject;
    interrupt(): Promise<void>;
    usage(): Promise<JSONObject>;
    shutdown(restart: boolean): Promise<void>;
    log(text: string): void;
  }
}
