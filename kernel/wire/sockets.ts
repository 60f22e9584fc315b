// The only importer of zeromq in the project.
import * as zmq from 'zeromq';
import type { Channel, ConnectionInfo } from './connection';
import { endpoint } from './connection';

export interface Receiver {
  receive(): Promise<Buffer[]>;
}

export interface Sender {
  send(frames: Buffer[]): Promise<void>;
}

export interface WireSockets {
  shell: Receiver & Sender;
  control: Receiver & Sender;
  stdin: Receiver & Sender;
  iopub: Sender;
  /** Echoes every heartbeat; runs on its own, without the protocol layer. */
  close(): void;
}

/** Binds the five channels and starts the heartbeat echo. */
export async function bindSockets(info: ConnectionInfo): Promise<WireSockets> {
  const shell = new zmq.Router({ linger: 0 });
  const control = new zmq.Router({ linger: 0 });
  const stdin = new zmq.Router({ linger: 0 });
  // A slow subscriber must neither lose output (PUB drops at its high-water
  // mark) nor make the kernel buffer without bound (an unlimited mark): with
  // noDrop a send at the mark waits, and that wait is the outbox's
  // backpressure, up to the pty and the cell's console.
  const iopub = new zmq.Publisher({ linger: 1000, sendHighWaterMark: 1000, noDrop: true });
  const hb = new zmq.Reply({ linger: 0 });
  const sockets: Record<Channel, zmq.Socket> = { shell, control, stdin, iopub, hb };
  for (const channel of Object.keys(sockets) as Channel[]) {
    await sockets[channel].bind(endpoint(info, channel));
  }
  void (async () => {
    try {
      for await (const frames of hb) {
        await hb.send(frames);
      }
    } catch {
      // closed
    }
  })();
  return {
    shell: Private.wrap(shell),
    control: Private.wrap(control),
    stdin: Private.wrap(stdin),
    iopub: { send: (frames: Buffer[]) => iopub.send(frames) },
    close() {
      for (const s of Object.values(sockets)) {
        s.close();
      }
    }
  };
}

export interface ClientSockets {
  shell: Receiver & Sender;
  control: Receiver & Sender;
  stdin: Receiver & Sender;
  iopub: Receiver;
  hb: Receiver & Sender;
  close(): void;
}

/** The frontend's side of the five channels (the headless runner and tests use it). */
export function connectSockets(info: ConnectionInfo, identity: string): ClientSockets {
  // Shell and stdin share one routing identity: the kernel sends an
  // input_request to the identity of the shell request it belongs to.
  // A kernel that is still starting refuses the first connect; retry every
  // 10 ms rather than ZeroMQ's default 100 ms, or every launch waits for it.
  const retry = { linger: 0, reconnectInterval: 10 };
  const shell = new zmq.Dealer({ ...retry, routingId: identity });
  const control = new zmq.Dealer(retry);
  const stdin = new zmq.Dealer({ ...retry, routingId: identity });
  const iopub = new zmq.Subscriber(retry);
  const hb = new zmq.Request({ ...retry, receiveTimeout: -1 });
  iopub.subscribe();
  const sockets = { shell, control, stdin, iopub, hb };
  for (const channel of Object.keys(sockets) as Channel[]) {
    sockets[channel].connect(endpoint(info, channel));
  }
  return {
    shell: Private.wrap(shell),
    control: Private.wrap(control),
    stdin: Private.wrap(stdin),
    iopub: { receive: () => iopub.receive() },
    hb: Private.wrap(hb),
    close() {
      for (const s of Object.values(sockets)) s.close();
    }
  };
}

/** Sends raw frames on a fresh DEALER (tests use it to send malformed input). */
export async function sendRaw(address: string, frames: Buffer[]): Promise<void> {
  const s = new zmq.Dealer({ linger: 500 });
  s.connect(address);
  await s.send(frames);
  await new Promise((r) => setTimeout(r, 50));
  s.close();
}

/**
 * Hands every multipart message a socket receives to `handle`, one at a
 * time (a handler's promise is awaited), until the socket closes.
 */
export async function receiveEach(
  socket: Receiver,
  handle: (frames: Buffer[]) => void | Promise<void>
): Promise<void> {
  for (;;) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch {
      return; // closed
    }
    await handle(frames);
  }
}

namespace Private {
  export function wrap(s: zmq.Router | zmq.Dealer | zmq.Request): Receiver & Sender {
    return {
      receive: () => s.receive(),
      send: (frames: Buffer[]) => s.send(frames)
    };
  }
}
