import type { RunProfile, RunResources, RunState } from '../../../src/contract/runs';
import type { LiveMark, LiveRead } from './job';

/** What is kept locally about a run; written before anything is submitted. */
export interface RunRecord {
  id: string;
  kind: 'notebook' | 'map';
  profile: RunProfile;
  /** Local notebook (or commands file). */
  source: string;
  remoteDir: string;
  jobId: string | null;
  state: RunState;
  message: string;
  submitted: string;
  updated: string;
  resources: RunResources;
  parameters: { [name: string]: string };
  inputs: string[];
  outputs: string[];
  result: string | null;
  /** When the run was first seen in a final state. */
  ended?: string;
  /** Where results are fetched to (absolute); beside the source when unset. */
  resultsDir?: string;
  /** Set once an ended run's results were looked for and there was none to fetch (`message` says why). */
  fetched?: boolean;
  /** While a submit is in flight: the process doing it, so that no poller submits the run a second time meanwhile. */
  submitter?: Submitter;
  /** A cancel asked for before the job had an id: sent as soon as it has one. */
  cancelRequested?: boolean;
  /** Map runs: commands per array task, how many commands, the array job ids in order (retries after the first). */
  chunk?: number;
  count?: number;
  jobs?: string[];
}

/** A process on a host, named by its pid and start time (pids.ts `startTicks`). */
export interface Submitter {
  host: string;
  pid: number;
  started: number | null;
  /** When the submit began (ISO 8601): what a submit on another host is judged by. */
  since: string;
}

/** A new record's common fields: nothing submitted yet, a run folder named after it under the profile's workdir. */
export function newRecord(
  id: string,
  kind: RunRecord['kind'],
  profile: RunProfile,
  source: string
): Omit<RunRecord, 'resources' | 'parameters' | 'inputs' | 'outputs'> {
  const now = new Date().toISOString();
  return {
    id,
    kind,
    profile,
    source,
    remoteDir: `${profile.workdir.replace(/\/+$/, '')}/${id}`,
    jobId: null,
    state: 'submitting',
    message: 'submitting',
    submitted: now,
    updated: now,
    result: null
  };
}

/** The resource fields of `o` (a profile, or a cell's options) that are set. */
export function resourcesOf(o: RunResources): RunResources {
  const r: RunResources = {};
  if (o.partition) r.partition = o.partition;
  if (o.gpus) r.gpus = o.gpus;
  if (o.cpus) r.cpus = o.cpus;
  if (o.mem) r.mem = o.mem;
  if (o.time) r.time = o.time;
  return r;
}

export interface Observed {
  state: RunState;
  message: string;
  /**
   * The scheduler answered that it no longer knows the job (it ended long
   * enough ago), and no accounting said how it ended.
   */
  forgotten?: boolean;
}

/** One way of running a notebook elsewhere. The cluster does the scheduling, never warren. */
export interface Backend {
  /** Reaches the host and its tools; throws a clear error before anything is submitted. */
  check(): Promise<void>;
  /** Copies the notebook and inputs into the run folder and starts it; returns the job id. */
  submit(record: RunRecord): Promise<string>;
  /** Finds a job this record submitted if its id was never recorded (a drop during submit). */
  find(record: RunRecord): Promise<string | null>;
  state(record: RunRecord): Promise<Observed>;
  cancel(record: RunRecord): Promise<void>;
  /** Text of the run's live notebook outputs and its log, for a tail. */
  tail(record: RunRecord): Promise<string>;
  /** What the run's log and result notebook gained since `since` (see `readLive` in job.ts). */
  readLive(record: RunRecord, since: LiveMark): Promise<LiveRead>;
  /** Copies the executed notebook and declared outputs back; returns the outputs that were missing. */
  fetch(record: RunRecord, notebook: string, outputsDir: string): Promise<string[]>;
}
