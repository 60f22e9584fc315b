import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import { CommClient } from '../comm/client';
import { CommModel } from '../comm/model';
import { CommTargets } from '../contract';
import type { JSONObject } from '../contract';
import type { RunsRequest, RunState, RunSummary } from '../contract/runs';
import { FINAL_STATES, isRunLog, isRunSummary } from '../contract/runs';
import type { IWarrenServices } from '../tokens';

/** A state change the panel announces (a run ended). */
export interface RunEnded {
  run: RunSummary;
  previous: RunState;
}

/**
 * Runs as the `warren.runs` comm reports them, newest first, and the latest
 * tail text of each. Given the services, it sends the panel's requests
 * through src/comm's client (queued while the services kernel is away; one
 * not delivered in time is a `failed`) and takes the live log of the run it
 * follows as the kernel pushes it.
 * No widgets here.
 */
export class RunsModel extends CommModel implements IDisposable {
  constructor(options: RunsModel.IOptions = {}) {
    super();
    if (!options.services) return;
    const client = new CommClient({ services: options.services, target: CommTargets.runs });
    // The kernel sends the list on each open, a reopen after a restart included.
    client.received.connect((_, message) => this.ingest(message));
    client.undelivered.connect((_, { request, reason }) =>
      this._failed.emit(
        `${String(request.type)}${request.id ? ` ${String(request.id)}` : ''}: ${reason}`
      )
    );
    this.attach(client);
  }

  /**
   * Sends a request (opening the comm if need be). While the kernel is away
   * a list, a tail or a follow waits once, the latest asked for.
   */
  send(request: RunsRequest): void {
    const key =
      request.type === 'list' || request.type === 'follow'
        ? request.type
        : request.type === 'tail'
          ? `tail:${request.id}`
          : undefined;
    this._client?.send(request as unknown as JSONObject, { key });
  }

  /**
   * Follows the live log of the run `which()` names (null: none, the panel is
   * hidden, nothing is selected): the kernel pushes what that log gains, and
   * `tail(id)` adds it up. `which()` is looked at every `checkMs`, here in the
   * page, and on `refresh()`; the kernel is told only when the answer
   * changes, and again when the comm reopens after a restart. Disposing the
   * result stops it.
   */
  followTail(which: () => string | null, checkMs = RunsModel.followCheckMs): RunsModel.IFollow {
    let told: string | null | undefined = undefined;
    /** The last follow waits in the client's queue: the reopen sends it. */
    let queued = false;
    const check = () => {
      const id = which();
      if (id === told) return;
      told = id;
      this.send({ type: 'follow', id });
      queued = (this._client?.queued ?? 0) > 0;
    };
    // A restarted kernel follows nothing: it is told again.
    const reopened = () => {
      if (queued) queued = false;
      else if (told) this.send({ type: 'follow', id: told });
    };
    this._client?.opened.connect(reopened);
    const timer = setInterval(check, checkMs);
    let disposed = false;
    const follow: RunsModel.IFollow = {
      get isDisposed() {
        return disposed;
      },
      refresh: () => {
        if (!disposed) check();
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        clearInterval(timer);
        this._client?.opened.disconnect(reopened);
        if (told) this.send({ type: 'follow', id: null });
        this._follows.delete(follow);
      }
    };
    this._follows.add(follow);
    check();
    return follow;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const f of [...this._follows]) f.dispose();
    this._client?.dispose();
    Signal.clearData(this);
  }

  get changed(): ISignal<RunsModel, void> {
    return this._changed;
  }

  /** Emitted once when a run reaches a final state after being seen unfinished. */
  get ended(): ISignal<RunsModel, RunEnded> {
    return this._ended;
  }

  /** Emitted for `error` messages from the kernel. */
  get failed(): ISignal<RunsModel, string> {
    return this._failed;
  }

  /** Emitted when a fetched result is ready: its path. */
  get fetched(): ISignal<RunsModel, string> {
    return this._fetched;
  }

  get runs(): RunSummary[] {
    return [...this._runs.values()].sort((a, b) => b.submitted.localeCompare(a.submitted));
  }

  get(id: string): RunSummary | undefined {
    return this._runs.get(id);
  }

  tail(id: string): string {
    return this._tails.get(id) ?? '';
  }

  static isFinal(state: RunState): boolean {
    return FINAL_STATES.includes(state);
  }

  /** How long a run took, or has taken so far (ms); null for a date that does not parse. */
  static duration(run: RunSummary, now = Date.now()): number | null {
    const start = Date.parse(run.submitted);
    const end = run.ended
      ? Date.parse(run.ended)
      : RunsModel.isFinal(run.state)
        ? Date.parse(run.updated)
        : now;
    return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
  }

  /** Takes one comm message; false when it is not one of ours. */
  ingest(message: JSONObject): boolean {
    switch (message.type) {
      case 'runs': {
        if (!Array.isArray(message.runs)) return false;
        this._runs.clear();
        for (const r of message.runs) if (isRunSummary(r)) this._runs.set(r.id, r);
        break;
      }
      case 'run': {
        if (!isRunSummary(message.run)) return false;
        const run = message.run;
        const previous = this._runs.get(run.id);
        this._runs.set(run.id, run);
        if (previous && !RunsModel.isFinal(previous.state) && RunsModel.isFinal(run.state))
          this._ended.emit({ run, previous: previous.state });
        break;
      }
      case 'tail':
        if (typeof message.id !== 'string' || typeof message.text !== 'string') return false;
        this._tails.set(message.id, message.text);
        break;
      case 'log': {
        // A piece of a followed run's log, pushed: it adds to what is held, or replaces it.
        if (!isRunLog(message)) return false;
        const text = message.reset ? message.text : this.tail(message.id) + message.text;
        this._tails.set(message.id, text.slice(-RunsModel.tailChars));
        break;
      }
      case 'forgotten':
        if (typeof message.id !== 'string') return false;
        this._runs.delete(message.id);
        this._tails.delete(message.id);
        break;
      case 'fetched':
        if (typeof message.path !== 'string') return false;
        this._fetched.emit(message.path);
        return true;
      case 'error':
        this._failed.emit(String(message.message ?? 'unknown error'));
        return true;
      default:
        return false;
    }
    this._changed.emit();
    return true;
  }

  private readonly _follows = new Set<IDisposable>();
  private _disposed = false;
  private readonly _runs = new Map<string, RunSummary>();
  private readonly _tails = new Map<string, string>();
  private readonly _changed = new Signal<RunsModel, void>(this);
  private readonly _ended = new Signal<RunsModel, RunEnded>(this);
  private readonly _failed = new Signal<RunsModel, string>(this);
  private readonly _fetched = new Signal<RunsModel, string>(this);
}

export namespace RunsModel {
  export interface IOptions {
    /** Where the comm comes from; without it the model only takes what `ingest` is given. */
    services?: IWarrenServices;
  }
  /** How often the page looks again at which run's log to follow (nothing is sent unless it changed). */
  export const followCheckMs = 1000;
  /** Characters of a run's log held, the last ones (as the kernel's tail keeps). */
  export const tailChars = 4000;
  /** A followed log; `refresh()` looks at once at which run to follow (a run was selected). */
  export interface IFollow extends IDisposable {
    refresh(): void;
  }
}

/** "45 s", "2 min 13 s", "1 h 02 min". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A time of day, with the date when it is not today. */
export function formatTime(iso: string | null, now = new Date()): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return d.toDateString() === now.toDateString()
    ? time
    : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}

/**
 * Text as a terminal shows it: on each line only what the last carriage
 * return left (progress bars redraw with `\r`). ANSI colour codes are kept
 * for the renderer.
 */
export function applyCarriageReturns(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.replace(/\r+$/, '');
      const at = trimmed.lastIndexOf('\r');
      return at < 0 ? trimmed : trimmed.slice(at + 1);
    })
    .join('\n');
}

/** A map's progress in words: "37 of 50 commands done, 2 failed". */
export function mapCounts(run: RunSummary): string | null {
  if (run.kind !== 'map' || run.total === null) return null;
  const total = `${run.total} command${run.total === 1 ? '' : 's'}`;
  if (run.done === null) return total;
  return `${run.done} of ${total} done, ${run.failed ?? 0} failed`;
}

/**
 * Names and values a parameters cell assigns, one simple assignment a line
 * (`const n = 2;`, `n = 2`, `let label: string = 'x'`), for the dialog's hints.
 */
export function parameterDefaults(source: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of source.split('\n')) {
    const m = /^\s*(?:(?:const|let|var)\s+)?([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*(.*?);?\s*$/.exec(
      line
    );
    if (m && m[2] !== '') out.push([m[1], m[2]]);
  }
  return out;
}
