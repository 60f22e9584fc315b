import { join } from 'node:path';
import type { RunState } from '../../../src/contract/runs';
import { LOG, RESULT, requireResult, runLines, readLive, stage, tailRun } from './job';
import type { LiveMark, LiveRead } from './job';
import type { ExecResult, Site } from './site';
import { SiteError } from './site';
import type { Backend, Observed, RunRecord } from './types';

/** Slurm's job states (squeue/scontrol/sacct spelling) in ours. */
export function mapSlurmState(s: string): RunState {
  const state = s.trim().split(/\s+/)[0].toUpperCase();
  switch (state) {
    case 'PENDING':
    case 'CONFIGURING':
    case 'REQUEUED':
    case 'RESV_DEL_HOLD':
    case 'REQUEUE_HOLD':
    case 'REQUEUE_FED':
    case 'SUSPENDED':
      return 'pending';
    case 'RUNNING':
    case 'COMPLETING':
    case 'STAGE_OUT':
    case 'SIGNALING':
      return 'running';
    case 'COMPLETED':
      return 'completed';
    case 'CANCELLED':
      return 'cancelled';
    case 'TIMEOUT':
    case 'DEADLINE':
      return 'timeout';
    case 'FAILED':
    case 'NODE_FAIL':
    case 'OUT_OF_MEMORY':
    case 'BOOT_FAIL':
    case 'PREEMPTED':
    case 'REVOKED':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** The controller is down or restarting: not an answer about the job, try again. */
function controllerDown(r: ExecResult): boolean {
  return /Unable to contact slurm controller|Connection refused|Socket timed out|Zero Bytes were transmitted|slurm_load_jobs error: Unable/i.test(
    r.stderr
  );
}

export function jobName(record: RunRecord): string {
  return `warren-${record.id}`;
}

/** sbatch/squeue/scontrol/sacct/scancel through a site: the local CLI or ssh to a login node. */
export class SlurmBackend implements Backend {
  constructor(private readonly t: Site) {}

  async check(): Promise<void> {
    const r = await this.t.exec(['sinfo', '-h', '-o', '%P %a']);
    if (r.code === 127 || /not found/.test(r.stderr))
      throw new Error(`Slurm's sinfo is not on ${this.t.description}`);
    if (r.code !== 0)
      throw new Error(`Slurm on ${this.t.description} does not answer: ${r.stderr.trim()}`);
  }

  /**
   * `output`: the log's name in the run folder, where Slurm's patterns (%A,
   * %a) may stand; a `%` in the folder itself is taken literally.
   */
  sbatchOptions(record: RunRecord, output: string): string[] {
    const r = record.resources;
    const o = [
      `--job-name=${jobName(record)}`,
      `--chdir=${record.remoteDir}`,
      `--output=${record.remoteDir.replace(/%/g, '%%')}/${output}`,
      '--open-mode=append'
    ];
    if (r.partition) o.push(`--partition=${r.partition}`);
    if (r.gpus) o.push(`--gres=gpu:${r.gpus}`);
    if (r.cpus) o.push(`--cpus-per-task=${r.cpus}`);
    if (r.mem) o.push(`--mem=${r.mem}`);
    if (r.time) o.push(`--time=${r.time}`);
    return o;
  }

  async submit(record: RunRecord): Promise<string> {
    const script = ['#!/bin/sh', `# warren run ${record.id}`, ...runLines(record), ''].join('\n');
    await stage(this.t, record, { name: join(record.remoteDir, 'job.sh'), text: script });
    return this.sbatch([...this.sbatchOptions(record, LOG), join(record.remoteDir, 'job.sh')]);
  }

  /** sbatch --parsable; the id goes back to the caller, who records it before polling. */
  async sbatch(args: string[]): Promise<string> {
    const r = await this.t.exec(['sbatch', '--parsable', ...args]);
    if (r.code !== 0) {
      if (controllerDown(r)) throw new SiteError(`sbatch: ${r.stderr.trim()}`);
      throw new Error(`sbatch refused the job: ${r.stderr.trim()}`);
    }
    const id = r.stdout.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: ${r.stdout.trim()}`);
    return id;
  }

  async find(record: RunRecord): Promise<string | null> {
    const q = await this.t.exec(['squeue', '-h', '-n', jobName(record), '-o', '%A']);
    if (q.code !== 0 && controllerDown(q)) throw new SiteError(q.stderr.trim());
    const ids = q.stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.length) return ids[0];
    // Ended already: the accounting database (from the day before the
    // submit: sacct's default is today alone), then the completion log.
    // sacct -c ignores --name and -j: the names are filtered here for both.
    const at = Date.parse(record.submitted);
    const since = Number.isFinite(at)
      ? new Date(at - 86_400_000).toISOString().slice(0, 10)
      : '1970-01-01';
    for (const source of [['-S', since, '--name', jobName(record)], ['-c']]) {
      const a = await this.t.exec(['sacct', ...source, '-n', '-X', '-P', '-o', 'JobID,JobName']);
      const done = a.stdout
        .split('\n')
        .map((l) => l.trim().split('|'))
        .filter(([id, name]) => /^\d+$/.test(id ?? '') && name === jobName(record))
        .map(([id]) => id);
      if (done.length) return done[done.length - 1];
    }
    return null;
  }

  async state(record: RunRecord): Promise<Observed> {
    if (!record.jobId) return { state: 'submitting', message: 'not submitted yet' };
    const seen = await this.jobState(record.jobId);
    return seen.forgotten ? this.endFromLog(record, seen) : seen;
  }

  /**
   * How a job Slurm has forgotten ended, from the runner's last word in the
   * run's log (`warren run: ok: ...`): where no accounting keeps jobs, the
   * run would otherwise show its last state seen for ever.
   */
  private async endFromLog(record: RunRecord, seen: Observed): Promise<Observed> {
    const r = await this.t.exec(['tail', '-c', '4000', join(record.remoteDir, LOG)]);
    if (r.code !== 0 && r.code !== 1) throw new SiteError(`reading the log: ${r.stderr.trim()}`);
    if (r.code === 1)
      return {
        state: 'failed',
        message: `${seen.message}; its log cannot be read (${r.stderr.trim()})`
      };
    const words = [
      ...r.stdout.matchAll(/^warren run: (ok|failed|dead|cancelled|timeout): (.*)$/gm)
    ];
    const last = words[words.length - 1];
    if (!last)
      return {
        state: 'failed',
        message: `${seen.message}; its log ends without the runner's word, so it ended before the notebook was saved`
      };
    const state: RunState =
      last[1] === 'ok'
        ? 'completed'
        : last[1] === 'cancelled' || last[1] === 'timeout'
          ? last[1]
          : 'failed';
    return { state, message: `${seen.message}; its log says: ${last[1]}: ${last[2]}` };
  }

  /**
   * squeue while queued or running; scontrol for a recently ended job; then
   * the accounting database (sacct), and the job completion log (sacct -c)
   * where a site keeps no database.
   */
  async jobState(jobId: string): Promise<Observed> {
    const sc = await this.t.exec(['scontrol', 'show', 'job', '-o', jobId]);
    if (sc.code === 0 && /JobState=/.test(sc.stdout)) {
      const states = [...sc.stdout.matchAll(/JobState=(\S+)/g)].map((m) => mapSlurmState(m[1]));
      const reason = /Reason=(\S+)/.exec(sc.stdout)?.[1] ?? '';
      const exit = /ExitCode=(\S+)/.exec(sc.stdout)?.[1] ?? '';
      return {
        state: combine(states),
        message: `slurm job ${jobId}: ${/JobState=(\S+)/.exec(sc.stdout)?.[1]}${reason && reason !== 'None' ? ` (${reason})` : ''}${exit ? ` exit ${exit}` : ''}`
      };
    }
    if (controllerDown(sc)) throw new SiteError(`slurm controller: ${sc.stderr.trim()}`);
    // The database holds the job itself (-X) and an array's tasks; the
    // completion log has no steps to leave out.
    for (const source of [['-X'], ['-c']]) {
      const a = await this.t.exec([
        'sacct',
        ...source,
        '-n',
        '-P',
        '-j',
        jobId,
        '-o',
        'JobID,State,ExitCode'
      ]);
      const rows = a.stdout
        .split('\n')
        .filter(
          (l) => l.startsWith(`${jobId}|`) || l.startsWith(`${jobId}_`) || l.startsWith(`${jobId}.`)
        );
      if (rows.length) {
        const states = rows.map((l) => mapSlurmState(l.split('|')[1] ?? ''));
        return {
          state: combine(states),
          message: `slurm job ${jobId}: ${rows[rows.length - 1].split('|').slice(1).join(' exit ')}`
        };
      }
    }
    // The controller answered and does not know the job: it ended, and
    // MinJobAge has passed since.
    if (/invalid job id/i.test(sc.stderr))
      return {
        state: 'unknown',
        forgotten: true,
        message: `slurm job ${jobId} has ended and Slurm no longer knows it (no accounting kept it)`
      };
    return {
      state: 'unknown',
      message: `slurm job ${jobId} is not known to squeue, scontrol or sacct`
    };
  }

  async cancel(record: RunRecord): Promise<void> {
    const ids = record.jobs?.length ? record.jobs : record.jobId ? [record.jobId] : [];
    if (ids.length === 0) return;
    const r = await this.t.exec(['scancel', ...ids]);
    if (r.code !== 0 && !/already completing|Invalid job id/i.test(r.stderr))
      throw new Error(`scancel: ${r.stderr.trim()}`);
  }

  tail(record: RunRecord): Promise<string> {
    return tailRun(this.t, record);
  }

  readLive(record: RunRecord, since: LiveMark): Promise<LiveRead> {
    return readLive(this.t, record, since);
  }

  async fetch(record: RunRecord, notebook: string, outputsDir: string): Promise<string[]> {
    return fetchResults(this.t, record, notebook, outputsDir);
  }
}

/** An array's states in one: running while any runs, then the worst end. */
export function combine(states: RunState[]): RunState {
  if (states.length === 0) return 'unknown';
  for (const s of ['running', 'pending', 'submitting', 'unknown'] as const)
    if (states.includes(s)) return s;
  for (const s of ['timeout', 'cancelled', 'failed'] as const) if (states.includes(s)) return s;
  return 'completed';
}

/** The executed notebook to `notebook`, declared outputs under `outputsDir`; returns the outputs that were missing. */
export async function fetchResults(
  t: Site,
  record: RunRecord,
  notebook: string,
  outputsDir: string
): Promise<string[]> {
  await requireResult(t, record);
  await t.get(join(record.remoteDir, RESULT), notebook);
  const missing: string[] = [];
  for (const o of record.outputs)
    await t.get(join(record.remoteDir, o), join(outputsDir, o)).catch((error: unknown) => {
      // A lost connection is not a missing output: the fetch is tried again.
      if (error instanceof SiteError) throw error;
      missing.push(o);
    });
  return missing;
}
