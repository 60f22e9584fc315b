import type { JSONObject } from '../../src/contract';
import type { CommManager, CommSend } from '../comms/manager';
import type { Handler, RequestContext } from '../protocol/dispatcher';
import { NoReply } from '../protocol/dispatcher';
import { isJSONObject } from '../protocol/message';

function data(content: JSONObject): JSONObject {
  return isJSONObject(content.data) ? content.data : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The request's comm sender: iopub under this request's header, buffers and all. */
function sender({ output }: RequestContext): CommSend {
  return (type, content, buffers) => output.publish(type, content, {}, buffers);
}

/** comm_info_request: answered under its own name (tslab sent complete_reply). */
export function commInfoHandler(comms: CommManager): Handler {
  return async ({ content }) => ({
    status: 'ok',
    comms: comms.info(str(content.target_name) || undefined)
  });
}

/** comm_open, comm_msg and comm_close have no reply. */
export function commOpenHandler(comms: CommManager): Handler {
  return async (ctx) => {
    const { content } = ctx;
    comms.open(str(content.comm_id), str(content.target_name), data(content), sender(ctx));
    throw new NoReply();
  };
}

export function commMsgHandler(comms: CommManager): Handler {
  return async (ctx) => {
    const { content, msg } = ctx;
    comms.message(str(content.comm_id), data(content), msg.buffers, sender(ctx));
    throw new NoReply();
  };
}

export function commCloseHandler(comms: CommManager): Handler {
  return async ({ content }) => {
    comms.close(str(content.comm_id), data(content));
    throw new NoReply();
  };
}
