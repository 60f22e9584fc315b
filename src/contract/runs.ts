/**
 * The `warren.runs` comm: runs sent to a cluster, as the kernel and the Runs
 * panel see them, with their guards. Imports only contract/: the settings
 * types generated from the schemas and `isRecord`.
 */
import { isRecord } from './index';
import type { RunProfile } from './settings';

/** A cluster profile, from the `warren:runs` settings (schema/runs.json). No secrets: a key path, never a key. */
export type { RunProfile };

export type RunState =
  | 'submitting'
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timeout'
  | 'unknown';

export const FINAL_STATES: readonly RunState[] = ['completed', 'failed', 'cancelled', 'timeout'];

/** What a job asks the scheduler for; a profile's are the defaults. */
export type RunResources = Pick<RunProfile, 'partition' | 'gpus' | 'cpus' | 'mem' | 'time'>;

export interface RunSummary {
  id: string;
  /** A notebook run, or a map (many shell commands as a Slurm job array). */
  kind: 'notebook' | 'map';
  profile: string;
  notebook: string;
  jobId: string | null;
  state: RunState;
  message: string;
  submitted: string;
  updated: string;
  /** When it was first seen ended, or null. */
  ended: string | null;
  /** Where the executed notebook was fetched to, once it was. */
  result: string | null;
  /** Maps: how many commands, how many have an exit code, how many failed (null until looked at). */
  total: number | null;
  done: number | null;
  failed: number | null;
}

/** A notebook to run on a profile's cluster, from the panel or `warren.run`. */
export interface RunSubmission {
  notebook: string;
  profile: RunProfile;
  resources?: RunResources;
  parameters?: { [name: string]: string };
  inputs?: string[];
  outputs?: string[];
  /** Where the executed notebook and outputs are fetched to (default: beside the notebook). */
  resultsDir?: string;
}

/** Panel -> kernel. */
export type RunsRequest =
  | { type: 'list' }
  | ({ type: 'submit' } & RunSubmission)
  | { type: 'cancel'; id: string }
  | { type: 'fetch'; id: string }
  | { type: 'tail'; id: string }
  /** The run whose live log this comm is pushed (null: none, the panel is hidden). */
  | { type: 'follow'; id: string | null }
  | { type: 'forget'; id: string }
  | { type: 'retry'; id: string };

/** Kernel -> panel. */
export type RunsMessage =
  | { type: 'runs'; runs: RunSummary[] }
  | { type: 'run'; run: RunSummary }
  | { type: 'tail'; id: string; text: string }
  /**
   * What a followed run's live log gained: `text` goes after what the panel
   * holds, or, with `reset`, replaces it (the first push of a follow, or the
   * log started over). The kernel sends only what is new.
   */
  | { type: 'log'; id: string; text: string; reset: boolean }
  | { type: 'fetched'; id: string; path: string }
  | { type: 'forgotten'; id: string }
  | { type: 'error'; message: string; id?: string };

/** A profile has at least a name, a kind and a work folder; the rest has defaults. */
export function isRunProfile(value: unknown): value is RunProfile {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    (value.kind === 'slurm' || value.kind === 'ssh') &&
    typeof value.workdir === 'string'
  );
}

/** Narrows one run as the kernel reports it; the fields the panel keys on are checked. */
export function isRunSummary(value: unknown): value is RunSummary {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.state === 'string' &&
    typeof value.notebook === 'string'
  );
}

const ID_REQUESTS = new Set<string>(['cancel', 'fetch', 'tail', 'forget', 'retry']);

function isStrings(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * What is wrong with a decoded `warren.runs` request, in words the panel can
 * show; null when it is a well-formed RunsRequest.
 */
export function runsRequestProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'a runs request must be an object';
  const type = value.type;
  if (type === 'list') return null;
  if (type === 'follow')
    return value.id === null || (typeof value.id === 'string' && value.id !== '')
      ? null
      : "a follow request needs the run's id (a string) or null";
  if (typeof type === 'string' && ID_REQUESTS.has(type))
    return typeof value.id === 'string' && value.id !== ''
      ? null
      : `a ${type} request needs the run's id (a string)`;
  if (type !== 'submit')
    return `unknown runs request ${typeof type === 'string' ? JSON.stringify(type) : String(type)}`;
  if (typeof value.notebook !== 'string' || value.notebook === '')
    return 'a submit request needs the notebook (a path)';
  if (!isRunProfile(value.profile))
    return 'the profile needs a name, a kind (slurm or ssh) and a workdir';
  if (value.resources !== undefined && !isRecord(value.resources))
    return 'resources must be an object';
  if (
    value.parameters !== undefined &&
    !(
      isRecord(value.parameters) &&
      Object.values(value.parameters).every((v) => typeof v === 'string')
    )
  )
    return 'parameters must map names to strings';
  if (value.inputs !== undefined && !isStrings(value.inputs))
    return 'inputs must be a list of paths';
  if (value.outputs !== undefined && !isStrings(value.outputs))
    return 'outputs must be a list of paths';
  if (value.resultsDir !== undefined && typeof value.resultsDir !== 'string')
    return 'resultsDir must be a path';
  return null;
}

/** Narrows a pushed piece of a live log. */
export function isRunLog(value: unknown): value is Extract<RunsMessage, { type: 'log' }> {
  return (
    isRecord(value) &&
    value.type === 'log' &&
    typeof value.id === 'string' &&
    typeof value.text === 'string' &&
    typeof value.reset === 'boolean'
  );
}

export function isRunsRequest(value: unknown): value is RunsRequest {
  return runsRequestProblem(value) === null;
}
