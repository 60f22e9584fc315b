import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import type { JSONObject } from '../contract';
import type { RunState, RunSummary } from '../contract/runs';
import { FINAL_STATES } from '../contract/runs';

/** A state change the panel announces (a run ended). */
export interface RunEnded {
  run: RunSummary;
  previous: RunState;
}

function isSummary(v: unknown): v is RunSummary {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.id === 'string' && typeof o.state === 'string' && typeof o.notebook === 'string';
}

/**
 * Runs as the `warren.runs` comm reports them, newest first, and the latest
 * tail text of each. No widgets here.
 */
export class RunsModel {
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

  /** Takes one comm message; false when it is not one of ours. */
  ingest(message: JSONObject): boolean {
    switch (message.type) {
      case 'runs': {
        if (!Array.isArray(message.runs)) return false;
        this._runs.clear();
        for (const r of message.runs) if (isSummary(r)) this._runs.set(r.id, r);
        break;
      }
      case 'run': {
        if (!isSummary(message.run)) return false;
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

  private readonly _runs = new Map<string, RunSummary>();
  private readonly _tails = new Map<string, string>();
  private readonly _changed = new Signal<RunsModel, void>(this);
  private readonly _ended = new Signal<RunsModel, RunEnded>(this);
  private readonly _failed = new Signal<RunsModel, string>(this);
  private readonly _fetched = new Signal<RunsModel, string>(this);
}
