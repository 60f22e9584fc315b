/**
 * The messages that cross between the main thread (protocol and engines) and
 * the io thread (sockets, heartbeat, control). Both sides import this file.
 */
import type { RawMessage, ReceiveChannel, SendChannel } from '../protocol/transport';

export type { ReceiveChannel, SendChannel } from '../protocol/transport';
export { HIGH_WATER, LOW_WATER } from '../protocol/transport';

export type ToIo =
  | { op: 'send'; channel: SendChannel; raw: RawMessage; bytes: number }
  /** Main has released what it holds and may be ended. */
  | { op: 'released' }
  /** Main was told to end (SIGTERM): close the sockets and end, as after a shutdown. */
  | { op: 'stop' }
  /** Main's answer to `ping`: its event loop runs. */
  | { op: 'pong'; id: number }
  /** A shell request main will not answer (unknown type): the supervisor stops holding it. */
  | { op: 'unanswered'; msgId: string };

export type ToMain =
  | { op: 'ready' }
  | { op: 'message'; channel: ReceiveChannel; raw: RawMessage }
  /** The iopub queue fell below its low-water mark. */
  | { op: 'drain' }
  /** Control asked for shutdown; main releases ptys and children, then answers `released`. */
  | { op: 'shutdown'; restart: boolean }
  | { op: 'log'; text: string }
  /** Sockets are closed after a shutdown: main may exit. */
  | { op: 'closed' }
  /**
   * Is main's event loop running? Answered with `pong`. With `interrupt`, main
   * runs its interrupt handler first: an interrupt delivered this way reaches
   * the cell that runs now, never one that starts after the reply.
   */
  | { op: 'ping'; id: number; interrupt?: boolean };

/**
 * Index in the shared Int32Array: bytes posted to iopub and not yet handed to
 * ZeroMQ. Main adds, io subtracts and notifies, so main can block a synchronous
 * flood (Atomics.wait) or pause a pty until the queue drains.
 */
export const PENDING = 0;
/** Index: main sets 1 when it wants a `drain` message. */
export const WANT_DRAIN = 1;
/**
 * Index: which run of a cell's synchronous part, the user's own code, main
 * is in (engines/typescript/user-code.ts counts them): odd while one runs.
 * A main thread busy in that run may be terminated; one busy in the
 * kernel's own code is given time.
 */
export const USER_CODE = 2;
/** How many Int32 slots the shared array has. */
export const SLOTS = 3;

/** Above this a synchronous writer blocks until the io thread catches up. */
export const HARD_LIMIT = 32 * 1024 * 1024;
