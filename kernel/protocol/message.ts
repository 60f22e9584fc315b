import { randomUUID } from 'node:crypto';
import type { JSONObject } from '../../src/contract';
import { isJSONObject } from '../../src/contract';
import type { RawMessage } from './transport';

/**
 * 5.5 asks for an XPUB iopub that welcomes each subscriber (JEP 65) and a
 * `supported_features` list in kernel_info_reply (JEP 92); warren does both.
 */
export const PROTOCOL_VERSION = '5.5';

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

/** A decoded message. Content stays `JSONObject`: handlers narrow what they read. */
export interface Message {
  identities: Buffer[];
  header: Header;
  parent_header: Partial<Header>;
  metadata: JSONObject;
  content: JSONObject;
  buffers: Buffer[];
}

export { isJSONObject };

function parseObject(text: string, part: string): JSONObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${part} is not valid JSON`);
  }
  if (!isJSONObject(value)) {
    throw new Error(`${part} must be a JSON object`);
  }
  return value;
}

/** Parses the JSON parts; throws a clear error naming the bad part. */
export function parseMessage(raw: RawMessage): Message {
  const header = parseObject(raw.header, 'header');
  if (typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
    throw new Error('header lacks msg_type or msg_id');
  }
  return {
    identities: raw.identities,
    header: {
      session: '',
      username: '',
      date: '',
      version: PROTOCOL_VERSION,
      ...header,
      msg_id: header.msg_id,
      msg_type: header.msg_type
    },
    parent_header: parseObject(raw.parent || '{}', 'parent_header'),
    metadata: parseObject(raw.metadata || '{}', 'metadata'),
    content: parseObject(raw.content || '{}', 'content'),
    buffers: raw.buffers
  };
}

export class MessageFactory {
  constructor(
    readonly session: string = randomUUID(),
    readonly username = 'warren'
  ) {}

  header(msgType: string): Header {
    return {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION
    };
  }

  /** Builds the wire form of a message whose parent is `parent` (or none). */
  raw(
    msgType: string,
    content: unknown,
    parent: Partial<Header> | undefined,
    identities: Buffer[] = [],
    metadata: unknown = {},
    buffers: Buffer[] = []
  ): RawMessage {
    return {
      identities,
      header: JSON.stringify(this.header(msgType)),
      parent: JSON.stringify(parent ?? {}),
      metadata: JSON.stringify(metadata),
      content: JSON.stringify(content),
      buffers
    };
  }
}

/** The reply type for a request type: `x_request` -> `x_reply`. */
export function replyType(requestType: string): string {
  return requestType.replace(/_request$/, '_reply');
}
