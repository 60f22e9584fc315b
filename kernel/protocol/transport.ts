/**
 * A message as it crosses the transport port: routing identities, the four
 * JSON parts not yet parsed (their bytes are what the HMAC signs, so they stay
 * as received), and the binary buffers. Protocol owns this shape; the wire's
 * codec has its own, and the io thread passes one for the other.
 */
export interface RawMessage {
  identities: Buffer[];
  header: string;
  parent: string;
  metadata: string;
  content: string;
  buffers: Buffer[];
}

export type SendChannel = 'shell' | 'control' | 'stdin' | 'iopub';
export type ReceiveChannel = 'shell' | 'control' | 'stdin';

/** Above this many bytes of iopub backlog a writer waits for `room()`. */
export const HIGH_WATER = 8 * 1024 * 1024;
/** `room()` resolves once the backlog is below this. */
export const LOW_WATER = 2 * 1024 * 1024;

/**
 * What the protocol layer needs from the wire. The dispatcher is written
 * against this, so it can be driven in memory in unit specs.
 */
export interface Transport {
  send(channel: SendChannel, raw: RawMessage): void;
  onMessage(handler: (channel: ReceiveChannel, raw: RawMessage) => void): void;
  onShutdown(handler: (restart: boolean) => Promise<void>): void;
  /** Called when an interrupt_request is delivered through main's event loop. */
  onInterrupt(handler: () => void): void;
  /** Bytes sent on iopub and not yet handed to the socket. */
  pendingBytes(): number;
  /** Resolves once the iopub backlog is below its low-water mark. */
  room(): Promise<void>;
  /** Blocks the calling thread while the backlog is above the hard limit. */
  blockWhileFull(): void;
  /** A request that gets no reply (a type the kernel does not know): the wire stops waiting for one. */
  unanswered(msgId: string): void;
}
