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
  // A slow subscriber must not drop output: queue rather than discard.
  const iopub = new zmq.Publisher({ linger: 1000, sendHighWaterMark: 0 });
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
  const wrap = (s: zmq.Router) => ({
    receive: () => s.receive(),
    send: (frames: Buffer[]) => s.send(frames)
  });
  return {
    shell: wrap(shell),
    control: wrap(control),
    stdin: wrap(stdin),
    iopub: { send: (frames: Buffer[]) => iopub.send(frames) },
    close() {
      for (const s of Object.values(sockets)) {
        s.close();
      }
    }
  };
}
