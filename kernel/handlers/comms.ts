import type { JSONObject } from '../../src/contract';
import type { CommManager } from '../comms/manager';
import type { Handler } from '../protocol/dispatcher';
import { NoReply } from '../protocol/dispatcher';
import { isJSONObject } from '../protocol/message';

function data(content: JSONObject): JSONObject {
  return isJSONObject(content.data) ? content.data : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
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
  return async ({ content }) => {
    comms.open(str(content.comm_id), str(content.target_name), data(content));
    throw new NoReply();
  };
}

export function commMsgHandler(comms: CommManager): Handler {
  return async ({ content, msg }) => {
    comms.message(str(content.comm_id), data(content), msg.buffers);
    throw new NoReply();
  };
}

export function commCloseHandler(comms: CommManager): Handler {
  return async ({ content }) => {
    comms.close(str(content.comm_id), data(content));
    throw new NoReply();
  };
}
