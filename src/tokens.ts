import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { JSONObject } from './contract';

/**
 * Where the shared background services kernel stands.
 * - `idle`: nothing has asked for it yet (it starts on demand)
 * - `starting`: finding or starting the session
 * - `connected`: comms are open
 * - `restarting`: the kernel restarts; comms reopen when it is back
 * - `disconnected`: the websocket is down (server gone?); it reconnects
 * - `dead`: the kernel died or could not start; retried with a backoff
 */
export type ServicesStatus =
  'idle' | 'starting' | 'connected' | 'restarting' | 'disconnected' | 'dead';

/** What a comm is opened with: fixed, or read afresh at each (re)open. */
export type OpenData = JSONObject | (() => JSONObject);

/** One comm to a kernel-side target, reopened each time the kernel comes back. */
export interface IServicesChannel extends IDisposable {
  readonly target: string;
  /** Each message the kernel sends on the comm. Still `unknown` in shape: narrow it. */
  readonly received: ISignal<IServicesChannel, JSONObject>;
  /** Emitted each time the comm is (re)opened. */
  readonly opened: ISignal<IServicesChannel, void>;
  /** Sends if open; dropped (returns false) while the kernel is away. */
  send(data: JSONObject): boolean;
}

/** The shared background warren session that every panel talks through. */
export interface IWarrenServices {
  readonly status: ServicesStatus;
  /** Why, for `dead` and `disconnected`, or what holds up `starting`/`restarting`; null otherwise. */
  readonly message: string | null;
  readonly statusChanged: ISignal<IWarrenServices, ServicesStatus>;
  /** The services kernel's id, once one runs. */
  readonly kernelId: string | null;
  /**
   * Opens (and starts the session if needed) a channel to a comm target. A
   * function for `data` is called at each open, a reopen after a restart included.
   */
  openChannel(target: string, data?: OpenData): IServicesChannel;
  /** Restarts the services kernel (or starts a fresh session if it is gone). */
  restart(): Promise<void>;
}

export const IWarrenServices = new Token<IWarrenServices>(
  'warren:IWarrenServices',
  'The shared background warren kernel session and its comm channels.'
);
