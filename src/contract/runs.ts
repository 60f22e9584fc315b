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
  profile: string;
  notebook: string;
  jobId: string | null;
  state: RunState;
  message: string;
  submitted: string;
  updated: string;
  /** Where the executed notebook was fetched to, once it was. */
  result: string | null;
}

/** A notebook to run on a profile's cluster, from the panel or `warren.run`. */
export interface RunSubmission {
  notebook: string;
  profile: RunProfile;
  resources?: RunResources;
  parameters?: { [name: string]: string };
  inputs?: string[];
  outputs?: string[];
}

/** Panel -> kernel. */
export type RunsRequest =
  | { type: 'list' }
  | ({ type: 'submit' } & RunSubmission)
  | { type: 'cancel'; id: string }
  | { type: 'fetch'; id: string }
  | { type: 'tail'; id: string };

/** Kernel -> panel. */
export type RunsMessage =
  | { type: 'runs'; runs: RunSummary[] }
  | { type: 'run'; run: RunSummary }
  | { type: 'tail'; id: string; text: string }
  | { type: 'fetched'; id: string; path: string }
  | { type: 'error'; message: string; id?: string };
