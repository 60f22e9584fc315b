/**
 * The `warren.runs` comm: runs sent to a cluster, as the kernel and the Runs
 * panel see them. Imports nothing.
 */

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

export interface RunResources {
  partition?: string;
  gpus?: number;
  cpus?: number;
  /** Slurm's --mem, e.g. "2G". */
  mem?: string;
  /** Slurm's --time, e.g. "10:00" or "1-00:00:00"; minutes when a number. */
  time?: string;
}

/** A cluster profile, from the `warren:runs` settings. No secrets: a key path, never a key. */
export interface RunProfile extends RunResources {
  name: string;
  kind: 'slurm' | 'ssh';
  /** Empty or "local": Slurm's CLI on this machine. */
  host?: string;
  port?: number;
  user?: string;
  keyPath?: string;
  knownHostsPath?: string;
  /** Remote folder under which each run gets its own folder. */
  workdir: string;
  /** How to start warren there (default `warren`). */
  warren?: string;
  env?: { [name: string]: string };
}

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

/** Panel -> kernel. */
export type RunsRequest =
  | { type: 'list' }
  | {
      type: 'submit';
      notebook: string;
      profile: RunProfile;
      resources?: RunResources;
      parameters?: { [name: string]: string };
      inputs?: string[];
      outputs?: string[];
    }
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
