import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import type { ServicesStatus } from '../tokens';
import type { CommClient } from './client';

/**
 * What every panel's model says about its comm to the services kernel:
 * where that kernel stands, what waits for it, and `connect()`. A model
 * extends this and hands its CommClient to `attach` once built (the client's
 * open data may read the model, so it is built after `super()`). A model
 * without services (in memory, in a spec) says idle and connects nothing.
 */
export abstract class CommModel {
  /** Where the services kernel stands, or what waits for it, changed. */
  get connectionChanged(): ISignal<this, void> {
    return this._connectionChanged;
  }

  get servicesStatus(): ServicesStatus {
    return this._client?.status ?? 'idle';
  }

  /** What the panel says about the services kernel (why it is away, what waits). */
  get servicesMessage(): string | null {
    return this._client?.message ?? null;
  }

  /** Opens the comm (and so starts the services kernel); again does nothing. */
  connect(): void {
    this._client?.connect();
  }

  /** The model's comm from now on; its changes are the model's `connectionChanged`. */
  protected attach(client: CommClient): void {
    client.changed.connect(() => this._connectionChanged.emit());
    this._client = client;
  }

  protected _client: CommClient | null = null;
  private readonly _connectionChanged = new Signal<this, void>(this);
}
