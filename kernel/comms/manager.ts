import type { JSONObject } from '../../src/contract';
import type { Comm, CommTarget } from './comm';

/**
 * How a comm reaches the frontend: iopub under one request's parent header.
 * The comm handlers build one per request (`handlers/comms.ts`) and hand it
 * to the manager with the request.
 */
export type CommSend = (
  type: 'comm_open' | 'comm_msg' | 'comm_close',
  content: JSONObject,
  buffers?: Uint8Array[]
) => void;

class OpenComm implements Comm {
  private messageHandlers: Array<(data: JSONObject, buffers: Uint8Array[]) => void> = [];
  private closeHandlers: Array<(data: JSONObject) => void> = [];
  closed = false;

  constructor(
    readonly id: string,
    readonly targetName: string,
    /**
     * The sender of the latest request that reached this comm. A comm outlives
     * the request that opened it: what it sends later (a poll, an answer after
     * an await) goes out under the parent of its latest request.
     */
    public sender: CommSend,
    private readonly forget: (id: string) => void
  ) {}

  send(data: JSONObject, buffers?: Uint8Array[]): void {
    if (this.closed) return;
    this.sender('comm_msg', { comm_id: this.id, data }, buffers);
  }

  close(data: JSONObject = {}): void {
    if (this.closed) return;
    this.sender('comm_close', { comm_id: this.id, data });
    this.closedByPeer(data);
  }

  onMessage(handler: (data: JSONObject, buffers: Uint8Array[]) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: JSONObject) => void): void {
    this.closeHandlers.push(handler);
  }

  deliver(data: JSONObject, buffers: Uint8Array[]): void {
    for (const h of this.messageHandlers) h(data, buffers);
  }

  closedByPeer(data: JSONObject): void {
    if (this.closed) return;
    this.closed = true;
    this.forget(this.id);
    for (const h of this.closeHandlers) h(data);
  }
}

/**
 * Targets, open comms and `comm_info` (xeus' xcomm_manager). It holds no
 * sender of its own: each request brings one bound to its parent header.
 */
export class CommManager {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, OpenComm>();

  register(target: CommTarget): void {
    this.targets.set(target.name, target);
  }

  /** A frontend opened a comm. An unknown target is answered with comm_close. */
  open(commId: string, targetName: string, data: JSONObject, send: CommSend): void {
    const target = this.targets.get(targetName);
    if (!target) {
      send('comm_close', {
        comm_id: commId,
        data: { error: `no comm target named ${targetName}` }
      });
      return;
    }
    const comm = new OpenComm(commId, targetName, send, (id) => this.comms.delete(id));
    this.comms.set(commId, comm);
    try {
      target.open(comm, data);
    } catch (error) {
      comm.close({ error: String(error) });
    }
  }

  /** A comm_msg; false when no comm has that id. */
  message(commId: string, data: JSONObject, buffers: Uint8Array[], send: CommSend): boolean {
    const comm = this.comms.get(commId);
    if (!comm) return false;
    comm.sender = send;
    comm.deliver(data, buffers);
    return true;
  }

  close(commId: string, data: JSONObject): void {
    this.comms.get(commId)?.closedByPeer(data);
  }

  info(targetName?: string): JSONObject {
    const out: JSONObject = {};
    for (const [id, comm] of this.comms) {
      if (!targetName || comm.targetName === targetName) {
        out[id] = { target_name: comm.targetName };
      }
    }
    return out;
  }

  /** The target an open comm belongs to. */
  targetOf(commId: string): string | undefined {
    return this.comms.get(commId)?.targetName;
  }

  dispose(): void {
    for (const comm of [...this.comms.values()]) comm.closedByPeer({});
  }
}
