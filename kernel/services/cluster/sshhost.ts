import { join } from 'node:path';
import type { RunState } from '../../../src/contract/runs';
import { LOG, runLines, readLive, stage, tailRun } from './job';
import type { LiveMark, LiveRead } from './job';
import { fetchResults } from './slurm';
import type { Site } from './site';
import { shQuote } from './site';
import type { Backend, Observed, RunRecord } from './types';

/** Slurm's --time spellings in seconds: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
export function timeSeconds(time: string): number | null {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time.trim());
  if (!m) return null;
  const [d, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) =>
    x === undefined ? undefined : Number(x)
  );
  if (d !== undefined) return d * 86400 + (a ?? 0) * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return (a ?? 0) * 3600 + (b ?? 0) * 60 + c;
  if (b !== undefined) return (a ?? 0) * 60 + b;
  return (a ?? 0) * 60;
}

/**
 * A plain host: the run is detached with setsid (its own session and process
 * group, so it outlives the ssh connection), and leaves its state in files
 * in the run folder: pid, state (running/completed/failed/cancelled/timeout), exitcode, log.
 */
export class SshHostBackend implements Backend {
  constructor(private readonly t: Site) {}

  async check(): Promise<void> {
    const r = await this.t.exec(['sh', '-c', 'command -v setsid >/dev/null && echo ok']);
    if (r.stdout.trim() !== 'ok')
      throw new Error(`${this.t.description} has no setsid: ${r.stderr.trim()}`);
  }

  async submit(record: RunRecord): Promise<string> {
    const seconds = record.resources.time ? timeSeconds(record.resources.time) : null;
    const lines = runLines(record);
    const command = lines.pop() as string;
    // The wrapper waits for the runner across signals: a TERM reaches the
    // runner (same process group), which interrupts its kernel and saves.
    const script = [
      '#!/bin/sh',
      `# warren run ${record.id}`,
      'echo $$ > pid',
      'echo running > state',
      ...lines,
      "trap 'touch cancel-requested' TERM INT",
      `${seconds ? `timeout --foreground -s TERM -k 30 ${seconds} ` : ''}${command} &`,
      'child=$!',
      'while :; do wait $child; rc=$?; kill -0 $child 2>/dev/null || break; done',
      'echo $rc > exitcode',
      'if [ -e cancel-requested ]; then s=cancelled; elif [ $rc = 124 ]; then s=timeout; elif [ $rc = 0 ]; then s=completed; else s=failed; fi',
      'echo $s > state.tmp && mv state.tmp state',
      ''
    ].join('\n');
    await stage(this.t, record, { name: join(record.remoteDir, 'job.sh'), text: script });
    const dir = shQuote(record.remoteDir);
    const r = await this.t.exec([
      'sh',
      '-c',
      `cd ${dir} && setsid nohup sh job.sh > ${LOG} 2>&1 < /dev/null & echo $!`
    ]);
    const pid = r.stdout.trim();
    if (r.code !== 0 || !/^\d+$/.test(pid))
      throw new Error(`could not start the run: ${r.stderr.trim()}`);
    return pid;
  }

  async find(record: RunRecord): Promise<string | null> {
    const r = await this.t.exec(['cat', join(record.remoteDir, 'pid')]);
    return r.code === 0 && /^\d+$/.test(r.stdout.trim()) ? r.stdout.trim() : null;
  }

  async state(record: RunRecord): Promise<Observed> {
    if (!record.jobId) return { state: 'submitting', message: 'not started yet' };
    const dir = shQuote(record.remoteDir);
    // Liveness first: a wrapper that exits between the two reads has written its state by then.
    const r = await this.t.exec([
      'sh',
      '-c',
      `cd ${dir} || exit 3; a=gone && { kill -0 ${Number(record.jobId)} 2>/dev/null && a=alive; }; printf '%s\\n%s\\n%s\\n%s\\n' "$a" "$(cat state 2>/dev/null)" "$(cat exitcode 2>/dev/null)" "$([ -e cancel-requested ] && echo cancel)"`
    ]);
    // The host answered, but not from the run folder: purged (a scratch
    // clean-up) or removed by hand. Its state is gone with it.
    if (r.code === 3 && !r.stdout.trim())
      return {
        state: 'failed',
        message: `the run folder ${record.remoteDir} is gone from ${this.t.description} (${r.stderr.trim() || `exit ${r.code}`})`
      };
    const [alive, state, exit, cancel] = r.stdout.split('\n').map((s) => s.trim());
    const known: RunState[] = ['running', 'completed', 'failed', 'cancelled', 'timeout'];
    const s = known.includes(state as RunState) ? (state as RunState) : 'pending';
    if (s === 'running' && alive !== 'alive')
      return {
        state: 'failed',
        message: `process ${record.jobId} is gone without a final state (host restarted?)`
      };
    // Gone before it wrote any state: it never ran (cancelled, or the log may say why).
    if (s === 'pending' && alive === 'gone')
      return cancel === 'cancel'
        ? { state: 'cancelled', message: `pid ${record.jobId}: cancelled before it started` }
        : {
            state: 'failed',
            message: `process ${record.jobId} is gone before the run started (see its log)`
          };
    return {
      state: s,
      message: `pid ${record.jobId}: ${state || 'starting'}${exit ? ` exit ${exit}` : ''}`
    };
  }

  async cancel(record: RunRecord): Promise<void> {
    if (!record.jobId) return;
    const dir = shQuote(record.remoteDir);
    // setsid made the wrapper a group leader: its pid is the group id.
    await this.t.exec([
      'sh',
      '-c',
      `cd ${dir} && touch cancel-requested && kill -TERM -${Number(record.jobId)} 2>/dev/null; true`
    ]);
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
