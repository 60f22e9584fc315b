import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, normalize, resolve } from 'node:path';
import type { RunProfile, RunSubmission } from '../../../src/contract/runs';
import { FINAL_STATES } from '../../../src/contract/runs';
import { alive, startTicks } from '../../pids';
import { inputPlaces, NoResultError } from './job';
import { LiveText } from './live';
import { SlurmBackend } from './slurm';
import { SshHostBackend } from './sshhost';
import { RunStore } from './store';
import type { Site } from './site';
import { LocalSite, SshSite, SiteError } from './site';
import type { Backend, RunRecord, Submitter } from './types';
import { newRecord, resourcesOf } from './types';

export function siteFor(profile: RunProfile): Site {
  checkWorkdir(profile);
  if (!profile.host || profile.host === 'local') return new LocalSite(profile.env);
  return new SshSite({
    host: profile.host,
    port: profile.port,
    user: profile.user,
    keyPath: profile.keyPath,
    knownHostsPath: profile.knownHostsPath,
    env: profile.env
  });
}

/**
 * A declared output is a path inside the run's folder: it comes back to the
 * same path inside NAME.run-ID/, so `..` or an absolute path would write
 * outside it.
 */
export function checkOutput(output: string): string {
  const n = normalize(output);
  if (
    !output ||
    isAbsolute(output) ||
    n === '..' ||
    n.startsWith('../') ||
    n === '.' ||
    /[\0\n\r]/.test(output)
  )
    throw new Error(
      `declared output ${JSON.stringify(output)} must be a path inside the run's folder (relative, without '..')`
    );
  return n;
}

/**
 * A run folder's parent: any path, but not an option to mkdir/rm, and one
 * line. Every command gets it quoted, so no shell expands a leading `~`
 * (scp would, elsewhere): it is refused.
 */
function checkWorkdir(profile: RunProfile): void {
  const w = profile.workdir;
  if (!w || w.startsWith('-') || /[\x00-\x1f\x7f]/.test(w))
    throw new Error(
      `profile ${profile.name}: workdir ${JSON.stringify(w)} is not usable (empty, starts with '-', or holds a control character)`
    );
  if (w.startsWith('~'))
    throw new Error(
      `profile ${profile.name}: workdir ${JSON.stringify(w)}: '~' is not expanded; write the path from / (on an ssh host a relative workdir starts at the home folder)`
    );
}

export function backendFor(profile: RunProfile): Backend {
  const t = siteFor(profile);
  return profile.kind === 'slurm' ? new SlurmBackend(t) : new SshHostBackend(t);
}

export function isFinal(state: string): boolean {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/** How long a submit in flight on another host is believed, counted from its start. */
const SUBMIT_ELSEWHERE_MS = 10 * 60 * 1000;

/** This process, as the submitter of a run. */
export function thisSubmitter(): Submitter {
  return {
    host: hostname(),
    pid: process.pid,
    started: startTicks(process.pid),
    since: new Date().toISOString()
  };
}

/**
 * Whether a submit of `record` is still in flight: its process lives (on
 * this host), or it began in the last ten minutes (on another). A submit copies
 * the notebook and inputs first, which can take a while: a poller that
 * submitted again meanwhile would start the job twice.
 */
export function submitInFlight(record: RunRecord): boolean {
  const s = record.submitter;
  if (!s) return false;
  if (s.host !== hostname()) return Date.now() - Date.parse(s.since) < SUBMIT_ELSEWHERE_MS;
  return alive(s.pid) && startTicks(s.pid) === s.started;
}

/**
 * Submits runs, polls them to an end and fetches their results. Every step
 * is written to the run's record first, so a poller can die or lose its
 * connection and another one carries on with the same job.
 */
export class RunManager {
  constructor(
    readonly store = new RunStore(),
    private readonly backends: (p: RunProfile) => Backend = backendFor
  ) {}

  backend(record: RunRecord): Backend {
    return this.backends(record.profile);
  }

  async submit(options: RunSubmission): Promise<RunRecord> {
    const notebook = resolve(options.notebook);
    if (!existsSync(notebook)) throw new Error(`no notebook ${notebook}`);
    const outputs = (options.outputs ?? []).map(checkOutput);
    const inputs = (options.inputs ?? []).map((f) => resolve(dirname(notebook), f));
    for (const f of inputs)
      if (!existsSync(f)) throw new Error(`declared input ${f} does not exist`);
    inputPlaces(notebook, inputs);
    const backend = this.backends(options.profile);
    // Reach the host and its scheduler before anything exists anywhere.
    try {
      await backend.check();
    } catch (error) {
      throw new Error(
        `profile ${options.profile.name}: ${error instanceof Error ? error.message : String(error)}`
      );
    }
    const id = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
    const record: RunRecord = {
      ...newRecord(id, 'notebook', options.profile, notebook),
      resources: { ...resourcesOf(options.profile), ...options.resources },
      parameters: options.parameters ?? {},
      inputs,
      outputs,
      ...(options.resultsDir ? { resultsDir: resolve(options.resultsDir) } : {})
    };
    record.submitter = thisSubmitter();
    this.store.save(record);
    try {
      record.jobId = await backend.submit(record);
      record.state = 'pending';
      record.message = `submitted as ${record.jobId}`;
    } catch (error) {
      delete record.submitter;
      record.message = `submit: ${error instanceof Error ? error.message : String(error)}`;
      // A dropped connection leaves it unknown whether the job exists: poll() looks it up by name.
      if (!(error instanceof SiteError)) {
        record.state = 'failed';
        record.ended = new Date().toISOString();
      }
      this.store.save(record);
      throw error;
    }
    delete record.submitter;
    this.takeCancel(record);
    this.store.save(record);
    await this.cancelIfAsked(record, backend);
    this.store.save(record);
    return record;
  }

  /**
   * A cancel asked for while `record` was held here (cancel() saved it in
   * the stored record), taken into it before it is saved over the store's.
   */
  private takeCancel(record: RunRecord): void {
    if (record.cancelRequested === undefined && this.store.cancelAsked(record.id))
      record.cancelRequested = true;
  }

  /**
   * Saves what a poll or a cancel learnt over a record that a submit may
   * have saved meanwhile: its job id (and the end of its submit), its end
   * (a refused submit) and a cancel asked for are kept, not the older copy's.
   */
  private saveOver(record: RunRecord): void {
    let stored: RunRecord | null = null;
    try {
      stored = this.store.load(record.id);
    } catch {
      return; // forgotten meanwhile
    }
    // Ended meanwhile (sbatch refused the job while this poll looked): the
    // older copy would bring back `submitting`, and with it a submitter that
    // lives on, so the run would never end.
    if (isFinal(stored.state) && !isFinal(record.state)) {
      for (const key of Object.keys(record) as (keyof RunRecord)[])
        if (!(key in stored)) delete record[key];
      Object.assign(record, stored);
      return;
    }
    if (record.submitter && !stored.submitter && !stored.jobId) {
      // The submit under way when this copy was read has ended without a
      // job (a lost connection): what it said stands, and a later poll may
      // submit again.
      delete record.submitter;
      record.message = stored.message;
    }
    if (!record.jobId && stored.jobId) {
      record.jobId = stored.jobId;
      if (!stored.submitter) delete record.submitter;
      if (record.state === 'submitting') record.state = stored.state;
    }
    this.takeCancel(record);
    this.store.save(record);
  }

  /** Sends a cancel asked for while the job had no id, once it has one. */
  private async cancelIfAsked(record: RunRecord, backend: Backend): Promise<void> {
    if (!record.jobId || !record.cancelRequested) return;
    try {
      await backend.cancel(record);
    } catch (error) {
      // The job exists and its id is kept: the next poll asks again.
      record.message = `cancel: ${error instanceof Error ? error.message : String(error)}; retrying`;
      return;
    }
    record.cancelRequested = false;
    record.message = 'cancel requested';
  }

  /** One look at the scheduler; transient faults keep the last state and say so. */
  async poll(id: string): Promise<RunRecord> {
    const record = this.store.load(id);
    if (isFinal(record.state)) return record;
    const backend = this.backend(record);
    try {
      if (!record.jobId) {
        const found = await backend.find(record);
        if (found) record.jobId = found;
        else if (record.state === 'submitting' && !submitInFlight(record)) {
          if (record.cancelRequested) return this.cancelledUnsubmitted(record);
          // Never reached the scheduler, and nobody is submitting it: submitting again cannot duplicate it.
          record.submitter = thisSubmitter();
          this.store.save(record);
          try {
            record.jobId = await backend.submit(record);
          } catch (error) {
            delete record.submitter;
            // Only a lost connection is worth another try (the outer catch says so).
            if (error instanceof SiteError) throw error;
            record.state = 'failed';
            record.message = `submit: ${error instanceof Error ? error.message : String(error)}`;
            record.ended = new Date().toISOString();
            this.store.save(record);
            return record;
          }
          delete record.submitter;
        }
      }
      this.takeCancel(record);
      await this.cancelIfAsked(record, backend);
      const seen = await backend.state(record);
      record.state = seen.state === 'unknown' ? record.state : seen.state;
      record.message = seen.message;
      if (isFinal(record.state)) record.ended ??= new Date().toISOString();
    } catch (error) {
      if (!(error instanceof SiteError)) throw error;
      record.message = `${error.message}; retrying`;
    }
    this.saveOver(record);
    return record;
  }

  /** Polls until the run ends, then fetches its results. */
  async wait(
    id: string,
    options: {
      intervalMs?: number;
      timeoutMs?: number;
      onUpdate?: (r: RunRecord) => void;
      fetch?: boolean;
    } = {}
  ): Promise<RunRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    let delay = options.intervalMs ?? 1000;
    let last = '';
    for (;;) {
      const record = await this.poll(id);
      const key = `${record.state} ${record.message}`;
      if (key !== last) options.onUpdate?.(record);
      last = key;
      if (isFinal(record.state)) {
        if (
          options.fetch === false ||
          record.kind !== 'notebook' ||
          record.result ||
          record.fetched
        )
          return record;
        try {
          return await this.fetch(id);
        } catch (error) {
          if (!(error instanceof SiteError)) throw error;
          record.message = `${error.message}; retrying`;
        }
      }
      if (Date.now() > deadline) return record;
      // Back off while the connection or the controller is away.
      delay = /retrying$/.test(record.message)
        ? Math.min(delay * 2, 30000)
        : (options.intervalMs ?? 1000);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * Cancels the job; a run still being submitted is cancelled once it has a
   * job id, and one that never reached the scheduler, with nobody
   * submitting it, ends cancelled here.
   */
  async cancel(id: string): Promise<RunRecord> {
    const record = this.store.load(id);
    if (isFinal(record.state)) return record;
    const backend = this.backend(record);
    record.jobId ??= await backend.find(record);
    if (record.jobId) {
      await backend.cancel(record);
      record.message = 'cancel requested';
    } else if (submitInFlight(record)) {
      record.cancelRequested = true;
      record.message = 'cancel requested: sent once the scheduler has the job';
    } else {
      return this.cancelledUnsubmitted(record);
    }
    this.saveOver(record);
    return record;
  }

  private cancelledUnsubmitted(record: RunRecord): RunRecord {
    record.state = 'cancelled';
    record.message = 'cancelled before it reached the scheduler';
    record.cancelRequested = false;
    record.ended = new Date().toISOString();
    this.store.save(record);
    return record;
  }

  /** The executed notebook as NAME.run-ID.ipynb beside the source (or in the run's results folder); declared outputs in NAME.run-ID/. */
  async fetch(id: string): Promise<RunRecord> {
    const record = this.store.load(id);
    const stem = basename(record.source, extname(record.source));
    // A record written before outputs were checked is checked again here.
    for (const o of record.outputs) checkOutput(o);
    if (record.resultsDir) mkdirSync(record.resultsDir, { recursive: true });
    const base = join(record.resultsDir ?? dirname(record.source), `${stem}.run-${record.id}`);
    let missing: string[];
    try {
      missing = await this.backend(record).fetch(record, `${base}.ipynb`, base);
    } catch (error) {
      if (!(error instanceof NoResultError)) throw error;
      // Nothing to fetch, ever: say why and stop looking.
      record.message = [record.message, error.message].filter(Boolean).join('; ');
      record.fetched = true;
      this.store.save(record);
      return record;
    }
    record.result = `${base}.ipynb`;
    if (missing.length) record.message += `; declared outputs missing: ${missing.join(', ')}`;
    this.store.save(record);
    return record;
  }

  async tail(id: string): Promise<string> {
    const record = this.store.load(id);
    return this.backend(record).tail(record);
  }

  /** A run's live text, read from its host on each `next()`, only what is new. */
  live(id: string): LiveText {
    const record = this.store.load(id);
    return new LiveText((since) => this.backend(record).readLive(record, since));
  }
}
