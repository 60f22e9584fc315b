import { randomUUID } from 'node:crypto';
import type { JSONObject } from '../../src/contract';
import type { Comm, CommTarget } from './comm';

/** How the manager reaches the frontend; the comm handlers give it iopub. */
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
    private readonly manager: CommManager
  ) {}

  send(data: JSONObject, buffers?: Uint8Array[]): void {
    if (this.closed) return;
    this.manager.sendFor('comm_msg', { comm_id: this.id, data }, buffers);
  }

  close(data: JSONObject = {}): void {
    if (this.closed) return;
    this.manager.sendFor('comm_close', { comm_id: this.id, data });
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
    this.manager.forget(this.id);
    for (const h of this.closeHandlers) h(data);
  }
}

/** Targets, open comms and `comm_info` (xeus' xcomm_manager). */
export class CommManager {
  private readonly targets = new Map<string, CommTarget>();
  private readonly comms = new Map<string, OpenComm>();
  /** The iopub sender of the request being served, or the last one. */
  private sender: CommSend = () => {};

  register(target: CommTarget): void {
    this.targets.set(target.name, target);
  }

  /** Comms outlive the request that opened them; their messages go out under the latest parent. */
  useSender(send: CommSend): void {
    this.sender = send;
  }

  sendFor(
    type: 'comm_open' | 'comm_msg' | 'comm_close',
    content: JSONObject,
    buffers?: Uint8Array[]
  ): void {
    this.sender(type, content, buffers);
  }

  /** A frontend opened a comm. An unknown target is answered with comm_close. */
  open(commId: string, targetName: string, data: JSONObject): void {
    const target = this.targets.get(targetName);
    if (!target) {
      this.sender('comm_close', {
        comm_id: commId,
        data: { error: `no comm target named ${targetName}` }
      });
      return;
    }
    const comm = new OpenComm(commId, targetName, this);
    this.comms.set(commId, comm);
    try {
      target.open(comm, data);
    } catch (error) {
      comm.close({ error: String(error) });
    }
  }

  /** Opens a comm from the kernel side. */
  create(targetName: string, data: JSONObject = {}): Comm {
    const comm = new OpenComm(randomUUID(), targetName, this);
    this.comms.set(comm.id, comm);
    this.sender('comm_open', { comm_id: comm.id, target_name: targetName, data });
    return comm;
  }

  message(commId: string, data: JSONObject, buffers: Uint8Array[]): boolean {
    const comm = this.comms.get(commId);
    if (!comm) return false;
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

  forget(id: string): void {
    this.comms.delete(id);
  }

  dispose(): void {
    for (const comm of [...this.comms.values()]) comm.closedByPeer({});
  }
}
