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

const DAY_MS = 86_400_000;
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * `ms` since the epoch as `new Date(ms).toISOString()` writes it (years
 * 1970-9999), with no Date: V8's first `toISOString` reads the system's time
 * zone through ICU, which left 1.6 MB of ICU's code and data resident in the
 * kernel for the date of its first message. Days to a civil date as in
 * Howard Hinnant's `civil_from_days`.
 */
export function isoDate(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = Math.floor(rest - seconds * 1000);
  return (
    `${year}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}.` +
    `${String(millis).padStart(3, '0')}Z`
  );
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
      date: isoDate(Date.now()),
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
