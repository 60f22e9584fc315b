import type { RawMessage } from './codec';
import type { ReceiveChannel, SendChannel } from './bridge';

/**
 * What the protocol layer needs from the wire. The dispatcher is written
 * against this, so it can be driven in memory in unit specs.
 */
export interface Transport {
  send(channel: SendChannel, raw: RawMessage): void;
  onMessage(handler: (channel: ReceiveChannel, raw: RawMessage) => void): void;
  onShutdown(handler: (restart: boolean) => Promise<void>): void;
  /** Called when the io thread delivers an interrupt_request through main's event loop. */
  onInterrupt(handler: () => void): void;
  /** Bytes sent on iopub and not yet handed to the socket. */
  pendingBytes(): number;
  /** Resolves once the iopub backlog is below its low-water mark. */
  room(): Promise<void>;
  /** Blocks the calling thread while the backlog is above the hard limit. */
  blockWhileFull(): void;
}
