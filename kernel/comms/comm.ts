import type { JSONObject } from '../../src/contract';

/** One open comm, as a target sees it (xeus' xcomm). */
export interface Comm {
  readonly id: string;
  readonly targetName: string;
  /** Sends a `comm_msg` to the frontend. */
  send(data: JSONObject, buffers?: Uint8Array[]): void;
  /** Sends `comm_close` and forgets the comm. Safe to call twice. */
  close(data?: JSONObject): void;
  onMessage(handler: (data: JSONObject, buffers: Uint8Array[]) => void): void;
  onClose(handler: (data: JSONObject) => void): void;
}

/** A named target: called when the frontend opens a comm to it. */
export interface CommTarget {
  readonly name: string;
  open(comm: Comm, data: JSONObject): void;
}
