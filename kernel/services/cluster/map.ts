import { randomBytes } from 'node:crypto';
import type { RunProfile, RunResources } from '../../../src/contract/runs';
import { isFinal, siteFor, submitInFlight, thisSubmitter } from './manager';
import { jobName, SlurmBackend } from './slurm';
import { RunStore } from './store';
import type { Site } from './site';
import { SiteError } from './site';
import type { RunRecord } from './types';
import { newRecord } from './types';

export interface MapOptions {
  commands: string[];
  /** Commands per array task: the scheduler sees ceil(commands / chunk) tasks. */
  chunk: number;
  profile: RunProfile;
  resources?: RunResources;
  /** At most this many array tasks at once (`--array=...%N`). */
  parallel?: number;
  /** The commands file or cell this came from, for the record. */
  source?: string;
}

export interface MapProgress {
  id: string;
  state: RunRecord['state'];
  message: string;
  total: number;
  /** Commands with a recorded exit code. */
  done: number;
  /** Exit code of each command by index; null while not run (or lost to a cancel or the time limit). */
  exitCodes: (number | null)[];
  failed: number[];
  jobs: string[];
  /** The exit files were read: false when the connection was lost (every code then null, unknown). */
  read: boolean;
}

/** How much of a command's log `log()` reads: its end, where a failure shows. */
export const MAP_LOG_BYTES = 1024 * 1024;

/**
 * Many shell commands as Slurm job arrays: each array task runs a chunk of
 * them one after another, writing each command's exit code and log to the
 * map folder. A retry submits a new array of only the failed ones.
 */
export class MapRunner {
  constructor(
    readonly store = new RunStore(),
    private readonly sites: (p: RunProfile) => Site = siteFor
  ) {}

  async submit(options: MapOptions): Promise<RunRecord> {
    if (options.profile.kind !== 'slurm')
      throw new Error(
        `map needs a Slurm profile; ${options.profile.name} is ${options.profile.kind}`
      );
    const commands = options.commands.map((c) => c.trim()).filter((c) => c && !c.startsWith('#'));
    if (commands.length === 0) throw new Error('map: no commands');
    // The list the array reads is one command a line.
    const broken = commands.findIndex((c) => /[\r\n]/.test(c));
    if (broken >= 0)
      throw new Error(
        `map: command ${broken} holds a line break (${JSON.stringify(commands[broken])}); a command is one line: join its lines with ';' or put them in a script`
      );
    if (!isCount(options.chunk))
      throw new Error(
        `map: the chunk is a whole number of commands, 1 or more, not ${options.chunk}`
      );
    if (options.parallel !== undefined && !isCount(options.parallel))
      throw new Error(
        `map: parallel is a whole number of array tasks, 1 or more, not ${options.parallel}`
      );
    const chunk = options.chunk;
    const t = this.sites(options.profile);
    const slurm = new SlurmBackend(t);
    try {
      await slurm.check();
    } catch (error) {
      throw new Error(
        `profile ${options.profile.name}: ${error instanceof Error ? error.message : String(error)}`
      );
    }
    const id = `map-${randomBytes(4).toString('hex')}`;
    const record: RunRecord = {
      ...newRecord(id, 'map', options.profile, options.source ?? '(cell)'),
      resources: { ...options.resources },
      parameters: options.parallel ? { parallel: String(options.parallel) } : {},
      inputs: [],
      outputs: [],
      chunk,
      count: commands.length,
      jobs: [],
      submitter: thisSubmitter()
    };
    this.store.save(record);
    const dir = record.remoteDir;
    await this.failing(record, async () => {
      const mk = await t.exec(['mkdir', '-p', `${dir}/results`, `${dir}/logs`]);
      if (mk.code !== 0) throw new Error(`cannot make ${dir}: ${mk.stderr.trim()}`);
      await this.write(t, `${dir}/commands.txt`, commands.join('\n') + '\n');
      await this.write(t, `${dir}/chunk.sh`, CHUNK_SCRIPT);
    });
    await this.submitList(
      record,
      slurm,
      commands.map((c, i) => [i, c])
    );
    return record;
  }

  /**
   * Runs a step of a submit; one that fails ends the record failed, saying
   * why, so that it can be forgotten or retried rather than stay
   * `submitting` for good. A connection lost during sbatch leaves it unknown
   * whether the array exists: the message names the job to look for.
   */
  private async failing<T>(record: RunRecord, step: () => Promise<T>, sbatch = false): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      delete record.submitter;
      record.state = 'failed';
      record.message =
        sbatch && error instanceof SiteError
          ? `submit: ${why}; the array may have reached Slurm: look for job name ${jobName(record)}`
          : `submit: ${why}`;
      record.ended = new Date().toISOString();
      this.store.save(record);
      throw error;
    }
  }

  /** Submits a new array of the commands that failed (or never ran); returns null when none did. */
  async retry(id: string): Promise<RunRecord | null> {
    const progress = await this.progress(id);
    if (!isFinal(progress.state)) throw new Error(`map ${id} is still ${progress.state}`);
    // Unread, every code is null: a retry would run every command again and
    // delete the exit files of those that succeeded.
    if (!progress.read)
      throw new SiteError(
        `map ${id}: its exit files could not be read (${progress.message}); nothing retried`
      );
    const record = this.store.load(id);
    if (!record.jobs?.length)
      throw new Error(`map ${id} never reached Slurm (${record.message}): submit it again`);
    const redo = progress.exitCodes.map((c, i) => (c === 0 ? -1 : i)).filter((i) => i >= 0);
    if (redo.length === 0) return null;
    const t = this.sites(record.profile);
    const read = await t.exec(['cat', `${record.remoteDir}/commands.txt`]);
    if (read.code !== 0)
      throw new Error(`map ${id}: cannot read its commands.txt: ${read.stderr.trim()}`);
    const all = read.stdout.split('\n');
    await t.exec(['rm', '-f', ...redo.map((i) => `${record.remoteDir}/results/${i}.exit`)]);
    await this.submitList(
      record,
      new SlurmBackend(t),
      redo.map((i) => [i, all[i]])
    );
    return record;
  }

  async progress(id: string): Promise<MapProgress> {
    const record = this.store.load(id);
    const t = this.sites(record.profile);
    const total = record.count ?? 0;
    const exitCodes: (number | null)[] = new Array<number | null>(total).fill(null);
    let forgotten = false;
    let read = false;
    try {
      // The state first, then the exit files: an array seen ended has written all of them.
      if (!isFinal(record.state) && record.jobId) {
        const seen = await new SlurmBackend(t).jobState(record.jobId);
        if (seen.state !== 'unknown') record.state = seen.state;
        record.message = seen.message;
        forgotten = seen.forgotten === true;
        if (isFinal(record.state)) record.ended ??= new Date().toISOString();
        this.store.save(record);
      }
      // The folder is an argument ($1), never part of the script: a workdir is any path.
      const r = await t.exec([
        'sh',
        '-c',
        `cd "$1" && for f in *.exit; do [ -e "$f" ] && printf '%s %s\\n' "\${f%.exit}" "$(cat "$f")"; done; true`,
        'sh',
        `${record.remoteDir}/results`
      ]);
      for (const line of r.stdout.split('\n')) {
        const [i, c] = line.trim().split(' ');
        if (i && c !== undefined && c !== '' && Number(i) < total) exitCodes[Number(i)] = Number(c);
      }
      read = true;
      if (forgotten) {
        // Slurm no longer knows the array and no accounting kept it: it has
        // ended, and its exit files say how far it got.
        const written = exitCodes.filter((c) => c !== null).length;
        record.state = written === total ? 'completed' : 'failed';
        record.message += `; ${written} of ${total} command(s) wrote an exit code`;
        record.ended ??= new Date().toISOString();
        this.store.save(record);
      }
    } catch (error) {
      if (!(error instanceof SiteError)) throw error;
      record.message = `${error.message}; retrying`;
    }
    const done = exitCodes.filter((c) => c !== null).length;
    const failed = exitCodes.map((c, i) => (c !== null && c !== 0 ? i : -1)).filter((i) => i >= 0);
    // The array ended well but a command failed: say so.
    return {
      id,
      state: record.state,
      message: record.message,
      total,
      done,
      exitCodes,
      failed,
      jobs: record.jobs ?? [],
      read
    };
  }

  async wait(
    id: string,
    options: { intervalMs?: number; onProgress?: (p: MapProgress) => void } = {}
  ): Promise<MapProgress> {
    // An ended array has written every exit file, but the scheduler's word and
    // the files can disagree for a moment (a state read from before a retry's
    // array existed, a file not yet visible): an end with commands unaccounted
    // for is read again a few times before it is believed.
    let doubts = 0;
    for (;;) {
      const p = await this.progress(id);
      options.onProgress?.(p);
      if (isFinal(p.state) && (p.done === p.total || doubts++ >= 10)) return p;
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 1000));
    }
  }

  /** The last `lastBytes` of a command's log (its whole log when shorter). */
  async log(id: string, index: number, lastBytes = MAP_LOG_BYTES): Promise<string> {
    const record = this.store.load(id);
    const r = await this.sites(record.profile).exec([
      'tail',
      '-c',
      String(Math.max(1, Math.floor(lastBytes))),
      `${record.remoteDir}/logs/${Math.floor(index)}.log`
    ]);
    return r.stdout;
  }

  /** Cancels every array of the map; one still being submitted once sbatch answers, one that never reached Slurm here. */
  async cancel(id: string): Promise<void> {
    const record = this.store.load(id);
    if (isFinal(record.state)) return;
    if (record.state === 'submitting' && submitInFlight(record)) {
      record.cancelRequested = true;
      record.message = 'cancel requested: sent once sbatch answers';
      this.store.save(record);
      return;
    }
    if (record.jobs?.length) await new SlurmBackend(this.sites(record.profile)).cancel(record);
    record.cancelRequested = false;
    if (record.state === 'submitting') {
      // Its submit (or a retry's) ended without an array, and nobody is at it.
      record.state = 'cancelled';
      record.message = 'cancelled before it reached Slurm';
      record.ended = new Date().toISOString();
    } else record.message = 'cancel requested';
    this.store.save(record);
  }

  private async submitList(
    record: RunRecord,
    slurm: SlurmBackend,
    list: [number, string][]
  ): Promise<void> {
    const t = this.sites(record.profile);
    const attempt = record.jobs?.length ?? 0;
    const listFile = `list-${attempt}.txt`;
    await this.write(
      t,
      `${record.remoteDir}/${listFile}`,
      list.map(([i, c]) => `${i}\t${c}`).join('\n') + '\n'
    );
    const chunk = record.chunk ?? 1;
    const tasks = Math.ceil(list.length / chunk);
    const parallel = record.parameters.parallel ? `%${record.parameters.parallel}` : '';
    const options = new SlurmBackend(t)
      .sbatchOptions(record, 'logs/chunk-%A_%a.out')
      .filter((o) => !o.startsWith('--open-mode'));
    record.state = 'submitting';
    record.submitter = thisSubmitter();
    // The state read during this submit is the new array's, never an ended one's.
    record.jobId = null;
    delete record.ended;
    record.cancelRequested ||= this.store.cancelAsked(record.id);
    if (record.cancelRequested) {
      // Cancelled while its files were written: nothing goes to Slurm.
      delete record.submitter;
      record.cancelRequested = false;
      record.state = 'cancelled';
      record.message = 'cancelled before it reached Slurm';
      record.ended = new Date().toISOString();
      this.store.save(record);
      return;
    }
    this.store.save(record);
    const jobId = await this.failing(
      record,
      () =>
        slurm.sbatch([
          ...options,
          `--array=0-${tasks - 1}${parallel}`,
          `${record.remoteDir}/chunk.sh`,
          listFile,
          String(chunk)
        ]),
      true
    );
    delete record.submitter;
    record.jobId = jobId;
    record.jobs = [...(record.jobs ?? []), jobId];
    record.state = 'pending';
    const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
    record.message = `array job ${jobId}: ${count(list.length, 'command')} in ${count(tasks, 'task')} of ${chunk}`;
    // A cancel asked for while sbatch ran (cancel() saved it in the stored record).
    record.cancelRequested = this.store.cancelAsked(record.id);
    this.store.save(record);
    if (record.cancelRequested) await this.cancel(record.id);
  }

  private async write(t: Site, path: string, text: string): Promise<void> {
    const r = await t.exec(['sh', '-c', 'cat > "$1"', 'sh', path], { input: text });
    if (r.code !== 0) throw new Error(`cannot write ${path}: ${r.stderr.trim()}`);
  }
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1;
}

/**
 * One array task: lines start*N+1 .. (start+1)*N of the list, each "INDEX<TAB>COMMAND".
 * A command's stdin is /dev/null so it cannot eat the list; `--` keeps a
 * command that starts with '-' a command, not options of sh. The exit file is
 * written through a rename: a reader never sees it half written.
 */
const CHUNK_SCRIPT = `#!/bin/sh
list=$1
n=$2
start=$((SLURM_ARRAY_TASK_ID * n + 1))
end=$((start + n - 1))
tab=$(printf '\\t')
sed -n "\${start},\${end}p" "$list" | while IFS= read -r line; do
  idx=\${line%%"$tab"*}
  cmd=\${line#*"$tab"}
  sh -c -- "$cmd" > "logs/$idx.log" 2>&1 < /dev/null
  echo $? > "results/$idx.exit.tmp" && mv "results/$idx.exit.tmp" "results/$idx.exit"
done
`;
