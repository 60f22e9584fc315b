/**
 * The `warren.runs` comm: runs sent to a cluster, as the kernel and the Runs
 * panel see them. Imports only the settings types generated from the schemas.
 */
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
  | { type: 'forget'; id: string }
  | { type: 'retry'; id: string };

/** Kernel -> panel. */
export type RunsMessage =
  | { type: 'runs'; runs: RunSummary[] }
  | { type: 'run'; run: RunSummary }
  | { type: 'tail'; id: string; text: string }
  | { type: 'fetched'; id: string; path: string }
  | { type: 'forgotten'; id: string }
  | { type: 'error'; message: string; id?: string };
