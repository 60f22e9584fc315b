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
  /**
   * Called with the topic of every subscription to iopub, duplicates
   * included (a new subscriber to a topic someone already has): JEP 65's
   * iopub_welcome goes out in answer.
   */
  onSubscribe(handler: (topic: string) => void): void;
  /**
   * Resolves once a client has connected to shell and finished its handshake
   * (only with `watchShell`): until then a ROUTER drops what it sends to that
   * client's identity.
   */
  shellPeer: Promise<void>;
  /** Echoes every heartbeat; runs on its own, without the protocol layer. */
  close(): void;
}

/**
 * How long a send on iopub may wait for a subscriber's full queue before that
 * subscriber is taken for stalled. A reader that reads at all drains its
 * queue within milliseconds; one second is far above that, and it is what
 * every other subscriber waits once when a subscriber stops reading.
 */
export const IOPUB_STALL_MS = 1000;
/** Messages queued for one subscriber at most: bounds what a stalled one costs in memory. */
export const IOPUB_HIGH_WATER = 1000;

/** Binds the five channels and starts the heartbeat echo. */
export async function bindSockets(
  info: ConnectionInfo,
  options: { stallMs?: number; watchShell?: boolean } = {}
): Promise<WireSockets> {
  // A ROUTER drops what it cannot queue for a peer, with no error: past its
  // high-water mark (1,000 by default) a client that reads its replies later
  // than the kernel answers (10,000 executes sent at once) lost replies. Every
  // reply answers a request the client sent, so the client bounds the queue.
  const replies = { linger: 0, sendHighWaterMark: 0 };
  const shell = new zmq.Router(replies);
  const shellPeer = options.watchShell
    ? new Promise<void>((resolve) => shell.events.on('handshake', () => resolve()))
    : new Promise<void>(() => {});
  const control = new zmq.Router(replies);
  const stdin = new zmq.Router(replies);
  // XPUB, so that each new subscription is seen (JEP 65's iopub_welcome);
  // allSubs passes a second subscriber's duplicate subscription on too.
  // noDrop: see Private.publish for how one stalled subscriber is kept from
  // costing the others their output.
  const iopub = new zmq.XPublisher({
    linger: 1000,
    sendHighWaterMark: IOPUB_HIGH_WATER,
    noDrop: true,
    verbosity: 'allSubs'
  });
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
  let subscribed: (topic: string) => void = () => {};
  void (async () => {
    try {
      for await (const [frame] of iopub) {
        // A subscription is byte 1 and the topic; byte 0 is an unsubscription.
        if (frame.length > 0 && frame[0] === 1) subscribed(frame.subarray(1).toString('utf8'));
      }
    } catch {
      // closed
    }
  })();
  const stallMs = options.stallMs ?? IOPUB_STALL_MS;
  return {
    shell: Private.wrap(shell),
    control: Private.wrap(control),
    stdin: Private.wrap(stdin),
    iopub: { send: (frames: Buffer[]) => Private.publish(iopub, frames, stallMs) },
    onSubscribe(handler) {
      subscribed = handler;
    },
    shellPeer,
    close() {
      for (const s of Object.values(sockets)) {
        s.close();
      }
    }
  };
}

/**
 * A SUB socket connected to a kernel's iopub that subscribes to everything
 * and never reads: what a stalled frontend looks like to the kernel (tests).
 */
export function connectStalledSubscriber(address: string): { close(): void } {
  const sub = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 10 });
  sub.subscribe();
  sub.connect(address);
  return { close: () => sub.close() };
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
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * One iopub send, with backpressure from every subscriber that reads and
   * none from one that does not.
   *
   * The hazard: with noDrop, libzmq refuses a send (EAGAIN) while ANY
   * subscriber's queue is at its high-water mark, so one SUB socket that
   * subscribes and never reads blocks (or, if the refusal is dropped, robs)
   * every other subscriber, `status: idle` included. Without noDrop nothing
   * is refused, so nothing pushes back on a flood, and a subscriber that is
   * merely slower than the flood loses output.
   *
   * The design (measured: a stalled SUB beside a reader of 2,000 100 kB
   * messages; the reader got all 2,000 and one send went out lossy):
   * - A refused send is retried, with the outbox holding everything behind
   *   it; the outbox's byte count pauses the pty and blocks console.log, so
   *   a reader that is only behind slows the producer and loses nothing.
   * - A send refused for longer than `stallMs` goes out once with noDrop off.
   *   libzmq then writes it to every subscriber with room and, for each full
   *   one, drops it and takes that subscriber out of the eligible set
   *   (dist_t::write). Later noDrop sends no longer look at it, so the others
   *   get backpressure and every message again.
   * - A stalled subscriber that reads again down to its low-water mark is
   *   made eligible by libzmq; should it stall again, the same happens once more.
   * Memory: at most IOPUB_HIGH_WATER messages queued per subscriber, plus the
   * outbox's own bound.
   */
  export async function publish(
    socket: zmq.XPublisher,
    frames: Buffer[],
    stallMs: number
  ): Promise<void> {
    const start = performance.now();
    let wait = 1;
    for (;;) {
      try {
        await socket.send(frames);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EAGAIN') throw error;
      }
      if (performance.now() - start > stallMs) {
        setNoDrop(socket, false);
        try {
          await socket.send(frames);
        } finally {
          setNoDrop(socket, true);
        }
        return;
      }
      await sleep(wait);
      wait = Math.min(wait * 2, 16);
    }
  }

  /**
   * libzmq applies ZMQ_XPUB_NODROP at once (xpub_t::xsetsockopt), but
   * zeromq.js warns on any option set after bind that is not on its own
   * list; the warning would be false, so it is kept out of the kernel's log.
   */
  function setNoDrop(socket: zmq.XPublisher, value: boolean): void {
    const emit = process.emitWarning;
    process.emitWarning = () => {};
    try {
      socket.noDrop = value;
    } finally {
      process.emitWarning = emit;
    }
  }

  export function wrap(s: zmq.Router | zmq.Dealer | zmq.Request): Receiver & Sender {
    return {
      receive: () => s.receive(),
      send: (frames: Buffer[]) => s.send(frames)
    };
  }
}
